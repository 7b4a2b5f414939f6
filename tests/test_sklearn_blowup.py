"""scikit-learn runs whose training loss blew up (the walk of session 41, truth4).

An MLPClassifier at SGD lr 1.5 (momentum 0.9) on digits: training loss 3.67 -> 8e119 while validation accuracy
bounced 0.27-0.92; diagnosed on val_acc (what losslens picks), it read "stuck at initialization ... train_loss never
moved far from its initial value 3.669 ... raise the learning rate" -- diverged's climb was not read off a training
loss logged beside a score. lr 0.15 (1/10) reaches val_acc 0.994. A HistGradientBoostingClassifier at
learning_rate 1.0: training log-loss 0.6925 -> 0.1195 in 3 rounds, then up to 94,563; read diverged, but listed
"stuck_at_init: never moved far from its initial value 0.6925: best 0.1347 (81% lower)" against a noise sd of 517
that the blow-up made.

The logs were written by scikit-learn (tests/fixtures/ecosystem/sklearn_blowup/make.py, deterministic); the
estimator tests refit the same models in-process for ``losslens.diagnose(model)``.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import losslens
from cli_helpers import run_cli  # tests/cli_helpers.py

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "sklearn_blowup"


def _make():
    spec = importlib.util.spec_from_file_location("sklearn_blowup_make", HERE / "make.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _column(name: str, col: str) -> np.ndarray:
    with open(HERE / name, newline="") as f:
        return np.array([float(r[col]) for r in csv.DictReader(f)])


def _advice(d) -> list[str]:
    return [a for c in d.causes for a in c.actions]


def _blown_up(d):
    """A blow-up read as one: diverged, its line on the training loss, no cause that says the run never moved and
    no advice to raise the step."""
    assert d.verdict == "diverged", str(d)
    assert "train_loss ended" in d.causes[0].evidence[0], d.causes[0].evidence
    assert "stuck_at_init" not in [c.id for c in d.causes], str(d)
    assert not any("raise the learning rate" in a for a in _advice(d)), _advice(d)
    assert d.causes[0].actions[0] == "lower the learning rate"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mlp_whose_loss_blew_up_reads_diverged_on_val_acc(seed):
    loss = _column(f"mlp_sgd1.5_seed{seed}.csv", "loss")
    assert loss[-1] > 1e100 * loss[0] and loss.min() == loss[0]  # the run as make.out says: it only ever rose
    assert _column("mlp_sgd0.15_seed0.csv", "val_acc").max() > 0.99  # lr / 10 learns: "lower" is the right way
    d = losslens.diagnose(HERE / f"mlp_sgd1.5_seed{seed}.csv")
    assert d.metric == "val_acc"
    _blown_up(d)


def test_mlp_blowup_json_and_estimator():
    res = run_cli("diagnose", "--json", HERE / "mlp_sgd1.5_seed0.csv")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["verdict"] == "diverged"
    assert not any("raise the learning rate" in a for c in out["causes"] for a in c["actions"])
    _blown_up(losslens.diagnose(_make().mlp(1.5, 0)))


def test_booster_that_fell_then_blew_up_lists_no_stuck_at_init():
    # Its fall, 0.6925 -> 0.1195 over rounds 0-3, is > 3 sds of those rounds' own noise (0.049): "never moved far"
    # was true only against the blow-up's swings.
    train = -_column("hgb_lr1.csv", "train_score")
    assert train[:4].min() < 0.2 * train[0] and train[-1] > 1e4
    for d in (losslens.diagnose(HERE / "hgb_lr1.csv"), losslens.diagnose(_make().hgb(1.0))):
        _blown_up(d)
        assert not any("never moved" in e for c in d.causes for e in c.evidence), str(d)
    assert losslens.diagnose(HERE / "hgb_lr0.05.csv").verdict == "overfitting"  # the smaller step learns


@pytest.mark.framework
def test_a_folder_of_blown_up_runs_is_read_without_numpy_s_overflow_warning(tmp_path):
    """The copy test compares at float32, TensorBoard's precision, where 8e119 is inf: the cast warned "overflow
    encountered in cast" onto the user's stderr, and two runs apart only past float32's range read as one."""
    tensorboard = pytest.importorskip("torch.utils.tensorboard")
    loss, acc = _column("mlp_sgd1.5_seed0.csv", "loss"), _column("mlp_sgd1.5_seed0.csv", "val_acc")
    assert (loss > np.finfo(np.float32).max).sum() > 50
    # The float32 copy: TensorBoard's event file of the same run, where the blow-up's values are inf.
    copy = tmp_path / "copy"
    writer = tensorboard.SummaryWriter(str(copy / "tb"))
    for step, (a, b) in enumerate(zip(loss, acc)):
        writer.add_scalar("loss", a, step)
        writer.add_scalar("val_acc", b, step)
    writer.close()
    (copy / "run.csv").write_bytes((HERE / "mlp_sgd1.5_seed0.csv").read_bytes())
    # Another run whose values differ from it only past float32's range (its blow-up twice as high): not a copy.
    apart = tmp_path / "apart"
    apart.mkdir()
    (apart / "run.csv").write_bytes((HERE / "mlp_sgd1.5_seed0.csv").read_bytes())
    far = np.where(loss > np.finfo(np.float32).max, 2 * loss, loss)
    with open(apart / "twice.csv", "w", newline="") as f:
        csv.writer(f).writerows([("loss", "val_acc"), *((repr(float(a)), repr(float(b))) for a, b in zip(far, acc))])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        copies, runs = losslens.read(str(copy)), losslens.read(str(apart))
    assert not [str(w.message) for w in caught]
    assert [Path(r.source).name for r in copies] == ["tb"] and "read once" in " ".join(copies[0].meta["notes"])
    assert sorted(Path(r.source).name for r in runs) == ["run.csv", "twice.csv"], [r.source for r in runs]
