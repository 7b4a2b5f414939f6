"""Scheduled runs read by session 45's schedule walk: a stop epoch the run itself fell far past, advice that ruled out
a longer schedule where the lr was not logged or had been run to ~0, and a stop_gain report whose numbers read as a
contradiction.

tests/fixtures/ecosystem/keras_cosine_nolr (make.py): a Keras MLP under CosineDecay to 0 over 30 epochs, CSVLogger
writing no lr; its val_loss fell 13% (seed 0) and 9.6% (seed 1) after X = 8, and both read "stop at epoch 8: more
epochs will lower the loss by little"; the same decay over 90 epochs ended 5% lower on seed 0, 0.4% on seed 1
(make.out). Its constant-lr twin
said "stopping at 8 would have given up 10%" already. tests/fixtures/ecosystem/hf_linear_end: a Trainer's linear
decay to 1.2e-07 over 20 epochs, read lr_too_low "a longer schedule" beside "still_improving → keep training".
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
KERAS = ECO / "keras_cosine_nolr"
HF = ECO / "hf_linear_end"


def _col(path: Path, key: str) -> list[float]:
    with open(path, newline="") as fh:
        return [float(r[key]) for r in csv.DictReader(fh) if r.get(key)]


def _printed(path: Path) -> list[float]:
    """The final losses make.out printed, in order."""
    return [float(v) for v in re.findall(r"final \w+ ([0-9.]+)", path.read_text())]


def test_the_premises_a_longer_schedule_goes_lower():
    final0, final1 = _printed(KERAS / "make.out")
    assert final0 < 0.97 * _col(KERAS / "cos_s0.csv", "val_loss")[-1]  # 0.4227 against 0.4452
    assert final1 < _col(KERAS / "cos_s1.csv", "val_loss")[-1]  # 0.4238 against 0.4257: seed 1 gains little
    assert "lr" not in " ".join(next(csv.reader(open(KERAS / "cos_s0.csv"))))  # CSVLogger wrote no lr
    assert _col(KERAS / "const_lr_s0.csv", "learning_rate") == [pytest.approx(3e-4)] * 30
    (final60,) = _printed(HF / "make.out")
    history = json.loads((HF / "lin20" / "trainer_state.json").read_text())["log_history"]
    assert final60 < 0.5 * [h["eval_loss"] for h in history if "eval_loss" in h][-1]  # 0.49 against 1.50
    assert [h["learning_rate"] for h in history if "learning_rate" in h][-1] < 1e-2 * 1e-4  # 1.2e-07: run to ~0


def _stop_epoch(action: str) -> float:
    m = re.search(r"stop (?:once it is flat, )?at (?:about )?epoch (\d+)", action)
    assert m, action
    return float(m.group(1))


@pytest.mark.parametrize("name", ["cos_s0", "cos_s1", "const_lr_s0"])
def test_no_stop_advised_where_the_run_fell_on_past_it(name):
    """Where converged names an epoch to stop at, the run itself did not fall more than 5% of its level after it
    (running medians of 3: the level there against the lowest later)."""
    path = KERAS / f"{name}.csv"
    d = losslens.diagnose(path)
    assert d.verdict == "converged"
    first = d.cause.actions[0]
    if first.startswith("still falling"):  # (the constant-lr twin: its stop is "once it flattens", none named)
        assert "stopping at 8 would have given up" in first
        return
    at = _stop_epoch(first)
    y = np.asarray(_col(path, "val_loss"))
    med = np.array([np.median(y[max(i - 1, 0):i + 2]) for i in range(len(y))])
    assert (med[int(at)] - med[int(at):].min()) / med[int(at)] < 0.05, (at, first)
    assert "stopping at 8 would have given up" in first


def test_an_unlogged_lr_leaves_a_longer_schedule_open():
    d = losslens.diagnose(KERAS / "cos_s0.csv")
    said = [a for a in d.cause.actions if "change the data or the model" in a]
    assert len(said) == 1 and "a longer schedule" in said[0] and "none is logged" in said[0]
    assert sum("longer schedule" in a for c in d.causes for a in c.actions) == 1  # said once


@pytest.mark.parametrize("name", ["const_lr_s0"])
def test_a_logged_constant_lr_keeps_data_or_model(name):
    d = losslens.diagnose(KERAS / f"{name}.csv")
    assert d.verdict == "converged"
    assert any("change the data or the model" in a for a in d.cause.actions)
    assert not any("longer schedule" in a for c in d.causes for a in c.actions)


def test_still_improving_after_a_schedule_ran_out_says_a_longer_schedule():
    d = losslens.diagnose(HF / "lin20")
    assert d.verdict == "lr_too_low" and "a longer schedule" in " ".join(d.cause.actions)
    for c in d.causes:
        if c.id == "still_improving":
            assert not any(a.startswith("keep training") or "see the forecast" in a for a in c.actions), c.actions
            assert any("a longer schedule" in a for a in c.actions)


def test_a_constant_lr_still_improving_keeps_training():
    d = losslens.diagnose(HF / "const20")
    still = [c for c in d.causes if c.id == "still_improving"]
    assert still and still[0].actions[0].startswith("keep training")


@pytest.mark.slow
@pytest.mark.framework
def test_stop_gain_report_quotes_a_gain_under_the_bar(capsys):
    """A live stop_gain stop under a step schedule the Monitor was not given (SGD 0.05, cut to 0.005 at epoch 20):
    the rule stopped on a 0.97% gain, and the report said "by 1.0%, less than the 1% asked"."""
    torch = pytest.importorskip("torch")
    from sklearn.model_selection import train_test_split

    from losslens.integrations.torch import Monitor

    torch.manual_seed(0)
    g = np.random.RandomState(0)
    X = g.randn(2000, 20)
    y = (np.sin(X[:, :5]).sum(1) + 0.1 * g.randn(2000))[:, None]
    Xtr, Xva, ytr, yva = [torch.tensor(a, dtype=torch.float32)
                          for a in train_test_split(X, y, test_size=0.3, random_state=0)]
    m = torch.nn.Sequential(torch.nn.Linear(20, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
    opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
    sc = torch.optim.lr_scheduler.StepLR(opt, 20, 0.1)
    mon = Monitor(m, opt, None, epochs=40, stop_on=("converged", "overfitting"), stop_gain=0.01, verbose=1)
    lf = torch.nn.MSELoss()
    for _ in range(40):
        perm = torch.randperm(len(Xtr))
        for i in range(math.ceil(len(Xtr) / 16)):
            idx = perm[i * 16:(i + 1) * 16]
            loss = lf(m(Xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            mon.step(loss)
        with torch.no_grad():
            vl = lf(m(Xva), yva).item()
        sc.step()
        if mon.epoch_end(val_loss=vl):
            break
    mon.finish()
    out = capsys.readouterr().out
    said = re.search(r"so far by ([0-9.]+)%, less than the ([0-9.]+)% asked", out)
    assert said is not None, out  # (stopped at epoch 33 on a forecast gain of 0.97%)
    assert float(said.group(1)) < float(said.group(2)), said.group(0)
    if "probability that training on to" in out:
        assert "against the fitted level now, not against that best" in out


@pytest.mark.framework
@pytest.mark.parametrize("first", [True, False])
def test_csvlogger_writes_the_lr_only_after_the_scheduler(tmp_path, first):
    """docs/integrations.md's claim: CSVLogger writes LearningRateScheduler's learning_rate only where the scheduler
    comes first in callbacks=[...]."""
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    X = np.random.RandomState(0).randn(64, 3).astype("float32")
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    m.compile(keras.optimizers.Adam(1e-2), "mse")
    log = keras.callbacks.CSVLogger(str(tmp_path / "log.csv"))
    sched = keras.callbacks.LearningRateScheduler(lambda e, lr: 1e-2 / (e + 1))
    m.fit(X, X.sum(1), validation_split=0.25, epochs=2, verbose=0, callbacks=[sched, log] if first else [log, sched])
    header = (tmp_path / "log.csv").read_text().splitlines()[0].split(",")
    assert ("learning_rate" in header) == first, header


@pytest.mark.parametrize("name", ["cos_s0", "cos_s1"])
def test_the_stop_epoch_is_where_it_flattened_not_its_lowest_point(name):
    """"Stop once it is flat, at about epoch N" named the lowest point after X (seed 0: epoch 28 of 30, 0.4452), read
    "it flattens at 28" where the curve sat within 5% of that fall by epoch 18 (0.4482). N is where the running median
    of 3 first came within 5% of its fall after X (measured here on the CSV), give or take 2 epochs; the chart's
    plateau starts there too."""
    path = KERAS / f"{name}.csv"
    d = losslens.diagnose(path)
    first = d.cause.actions[0]
    at = _stop_epoch(first)
    y = np.asarray(_col(path, "val_loss"))
    med = np.array([np.median(y[max(i - 1, 0):i + 2]) for i in range(len(y))])
    x = int(d.plateau.epoch)
    low = med[x:-1].min()
    flat = x + int(np.argmax(med[x:] - low <= 0.05 * (med[x] - low)))
    assert int(np.argmin(med[x:-1])) + x >= flat + 5  # (the premise: its lowest point comes well after it flattened)
    assert abs(at - flat) <= 2, (at, flat, first)
    plateau = [p for p in d.phases if p["name"] == "plateau"]
    assert plateau and plateau[0]["start"] == at


@pytest.mark.parametrize("rel", ["catboost/catboost_info/test", "sklearn_mlp_lr1/mlp_lr0.1.json",
                                 "sklearn_mlpregressor_creep/s1.json", "sklearn_mlp_patience/synth_p50.json"])
def test_no_longer_schedule_where_the_source_says_the_lr_held(rel):
    """"If the learning rate was decayed to about 0 by the end (none is logged here), try a longer schedule" was said
    of CatBoost's TensorBoard copy of its metrics (boosting rounds at a fixed learning_rate: catboost_training.json
    lies beside it) and of scikit-learn MLPs' loss_curve_ saved beside params naming adam, whose step never decays.
    The same loss_curve_ as a bare CSV, which says nothing of its optimizer, keeps it."""
    path = ECO / rel
    if path.suffix == ".json":
        saved = json.loads(path.read_text())
        assert saved["params"].get("solver", "adam") == "adam" and "loss_curve_" in saved  # (the premise)
    else:
        assert (path.parent / "catboost_training.json").is_file()
    d = losslens.diagnose(path)
    assert d.verdict == "converged"
    assert not any("none is logged here" in a for a in d.cause.actions), d.cause.actions
    assert any("change the data or the model" in a for a in d.cause.actions) or "catboost" in rel


def test_a_loss_curve_as_a_bare_csv_keeps_the_longer_schedule(tmp_path):
    saved = json.loads((ECO / "sklearn_mlp_lr1" / "mlp_lr0.1.json").read_text())
    bare = tmp_path / "run.csv"
    bare.write_text("loss,val_acc\n" + "".join(f"{a!r},{b!r}\n" for a, b in zip(saved["loss_curve_"],
                                                                              saved["validation_scores_"])))
    d = losslens.diagnose(bare)
    assert d.verdict == "converged"
    assert any("none is logged here" in a for a in d.cause.actions)
