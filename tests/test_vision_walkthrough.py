"""A new user's Keras 3 (torch backend) vision runs, written by the real library (make.py in each folder under
tests/fixtures/ecosystem/), each checked against the counterfactual run it was judged by.

- keras_autoencoder_code2: a dense autoencoder on digits with a 2-unit code. After a steep first epoch the
  validation loss creeps down at a steady 0.5-0.7% an epoch (t = -5 to -12); at epochs 9-11 the losslens
  callback reported "converged: stop at epoch 6, more epochs will not lower the loss", and `losslens diagnose`
  of the first 12 epochs said the same. Twice the epochs went 14% lower, 60 epochs 31%.
- keras_augment_still_falling: a small CNN behind augmentation layers (training loss above validation
  throughout), 40 epochs: read temporary_plateau (flat for its first epochs), "plateau at epoch 35", while its
  last quarter still gave 21% of the improvement; the next 40 epochs went 34% lower.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.integrations._core import Watcher

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
AE = ECO / "keras_autoencoder_code2"
AUG = ECO / "keras_augment_still_falling"


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _col(rows, key) -> np.ndarray:
    return np.array([float(r[key]) for r in rows])


def _history(rows) -> dict:
    return {"loss": list(_col(rows, "loss")), "val_loss": list(_col(rows, "val_loss"))}


@pytest.mark.parametrize("name", ["ae_code2.csv", "ae_code2_seed1.csv"])
def test_the_premise_the_2_unit_code_kept_falling(name):
    v = _col(_rows(AE / name), "val_loss")
    assert v.shape == (60,)
    assert v[23] < 0.91 * v[11]            # twice the epochs: 14% / 10% lower (converged predicts < 2%)
    assert v[59] < 0.75 * v[11]            # 60 epochs: 31% / 27% lower
    # lr x 10 ends 18% lower (lr_too_low's check, >= 15%), and a 32-unit code far lower: a capacity limit too
    lr10 = _col(_rows(AE / "ae_code2_lr0.01.csv"), "val_loss")
    wide = _col(_rows(AE / "ae_code32.csv"), "val_loss")
    if name == "ae_code2.csv":
        assert lr10[-1] < 0.85 * v[-1] and wide[-1] < 0.2 * v[-1]


@pytest.mark.parametrize("name", ["ae_code2.csv", "ae_code2_seed1.csv"])
@pytest.mark.parametrize("stop_on", [(), ("converged",)])
def test_the_callback_does_not_report_converged_while_the_stretch_still_falls(name, stop_on):
    """Was: 'converged ... Try: stop at epoch 6: more epochs will not lower the loss' at epoch 11 (seed 1: 10),
    in the same breath as 'that stretch alone is forecast to go 4.3% lower by the planned end: not stopping'."""
    rows = _rows(AE / name)
    w = Watcher(stop_on=stop_on, horizon=59, verbose=0, framework="keras", time_budget_ms=None)
    for r in rows:
        assert not w.end_epoch(int(r["epoch"]), {"loss": float(r["loss"]), "val_loss": float(r["val_loss"])},
                               lr=1e-3).stop
    w.end_training()
    assert w.reports, w.messages
    assert all(r["verdict"] != "converged" for r in w.reports), w.reports
    assert w.reports[0]["verdict"] == "lr_too_low" and w.reports[0]["epoch"] <= 21, w.reports


def test_the_first_12_epochs_read_still_improving_not_converged():
    rows = _rows(AE / "ae_code2.csv")
    d = losslens.diagnose(_history(rows[:12]))
    assert d.verdict == "still_improving", d
    assert "converged" not in [c.id for c in d.causes]
    text = " ".join(d.cause.evidence)
    assert "t = -12.2" in text and "4.8% more by epoch 22" in text, text
    # ... and 12 epochs later it was 14% lower
    v = _col(rows, "val_loss")
    assert v[23] < 0.9 * v[11]


def test_an_augmented_run_still_falling_has_no_plateau_epoch_yet():
    rows = _rows(AUG / "aug_80.csv")
    loss, v = _col(rows, "loss"), _col(rows, "val_loss")
    assert (loss[5:] > v[5:]).all()            # augmentation: training above validation
    assert v[79] < 0.8 * v[39]                 # the next 40 epochs: 34% lower
    d = losslens.diagnose(_history(rows[:40]))
    ids = [c.id for c in d.causes if c.status == "likely"]
    assert d.verdict in ("temporary_plateau", "still_improving", "lr_too_low") and "still_improving" in ids, d
    assert d.plateau_epoch is None, d           # was 'plateau at epoch 35 [35, 37]'
    assert "converged" not in [c.id for c in d.causes]
    assert d.cause.actions[0].startswith("keep training"), d.cause.actions


@pytest.mark.parametrize("stop_on", [(), ("converged",)])
def test_a_class_weighted_run_is_not_reported_converged_three_points_after_x(stop_on):
    """keras_class_weight: the weighted training loss sits above validation, and validation is noisy (0.813,
    0.986, 0.690, 0.620, 0.799 at epochs 14-18). The callback reported 'converged ... stop at epoch 16' at
    epoch 16 (18 with stop_on converged, whose stop it held for want of 5 points since X); training on reached
    0.268 at epoch 39."""
    rows = _rows(ECO / "keras_class_weight" / "class_weight.csv")
    loss, v = _col(rows, "loss"), _col(rows, "val_loss")
    assert (loss[:10] > v[:10]).all() and v[39] < 0.4 * v[18]
    w = Watcher(stop_on=stop_on, horizon=39, verbose=0, framework="keras", time_budget_ms=None)
    for r in rows:
        assert not w.end_epoch(int(r["epoch"]), {"loss": float(r["loss"]), "val_loss": float(r["val_loss"])},
                               lr=0.01).stop
    w.end_training()
    assert w.reports and all(r["verdict"] != "converged" for r in w.reports), w.reports
    assert w.reports[-1]["verdict"] == "still_improving"


def test_a_two_head_model_names_its_heads_beside_the_total():
    """keras_two_heads: val_loss is val_out_a_loss (cross-entropy, 0.119) + val_out_b_loss (MSE, 0.0027); the
    verdict on the total is the classifier's, and nothing said that the regression head was there at all."""
    path = ECO / "keras_two_heads" / "two_heads.csv"
    rows = _rows(path)
    v, a, b = (_col(rows, k) for k in ("val_loss", "val_out_a_loss", "val_out_b_loss"))
    assert np.allclose(v, a + b, rtol=1e-4)
    d = losslens.diagnose(str(path))
    assert d.metric == "val_loss"
    line = next((e for e in d.cause.evidence if "outputs' losses" in e), None)
    assert line is not None, d
    assert "val_out_a_loss 0.1186 (best 0.1151 at epoch 26)" in line and "val_out_b_loss 0.002667" in line, line
    assert "--metric val_out_b_loss" in line
    assert losslens.diagnose(str(path), metric="val_out_b_loss").metric == "val_out_b_loss"
    # the training side names the training heads
    t = losslens.diagnose(str(path), metric="train_loss")
    assert any("out_a_loss" in e and "val_out" not in e for e in t.cause.evidence), t


def test_the_converged_report_check_is_paced_within_the_time_budget(monkeypatch):
    """The forecast check of a converged report (a diagnosis with the forecast, 5-10 ms) ran at every epoch end
    while the autoencoder's converged verdict was held: 8-13 ms an epoch end on average against the 5 ms budget.
    Within the budget it is paced like the diagnoses, and the report it holds stays held."""
    rows = _rows(AE / "ae_code2.csv")
    counts = {}
    for budget in (None, 5.0):
        w = Watcher(stop_on=(), horizon=59, verbose=0, framework="keras", time_budget_ms=budget)
        calls = []
        real = w._backed_by_forecast

        def check(d, say=True):
            # As slow as the check is on a slow machine (it took 5-10 ms here), whatever this machine's speed.
            calls.append(d)
            t0 = time.thread_time()
            while time.thread_time() - t0 < 0.02:
                pass
            return real(d, say=say)

        monkeypatch.setattr(w, "_backed_by_forecast", check)
        for r in rows:
            w.end_epoch(int(r["epoch"]), {"loss": float(r["loss"]), "val_loss": float(r["val_loss"])}, lr=1e-3)
        w.end_training()
        assert all(r["verdict"] != "converged" for r in w.reports), w.reports
        counts[budget] = len(calls)
    assert counts[None] >= 5, counts                   # held at many epoch ends, each checked
    assert counts[5.0] < counts[None], counts          # the same run within the budget: fewer checks


def test_diagnosing_a_run_again_gives_the_same_actions():
    """The augmented CNN's verdict gets a "check: score the training set in eval mode" action (validation below
    training); appended to the shared ACTIONS list it piled up: 3, 4, 5 actions on three diagnoses of one file."""
    from losslens.diagnosis import ACTIONS

    before = {k: list(v) for k, v in ACTIONS.items()}
    runs = [losslens.diagnose(AUG / "aug_80.csv") for _ in range(3)]
    assert [r.cause.actions for r in runs[1:]] == [runs[0].cause.actions] * 2
    assert {k: list(v) for k, v in ACTIONS.items()} == before
