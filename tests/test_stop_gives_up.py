"""Converged's "stop at X" where the log shows a gain beyond its noise after X, under the 5% of X's level from which
the stop is "once it is flat": the stop names where the level the curve ended at was first reached, and X stays.

tests/fixtures/ecosystem/accuracy_ties/keras_digits.csv (a Keras 64-512-512-10 MLP on 300 digits, --metric
val_accuracy) read "stop at epoch 8: more epochs will not raise val_accuracy": val_accuracy 0.9267 at epoch 8 (0.93,
the median of 3), 0.9367 from epoch 18 to 99; the test accuracy (keras_digits_test.csv) 0.9235 at 8, 0.9346 at 18.
tests/fixtures/ecosystem/step_stop_gain/step.csv (a char-level MLP LM under a step decay, lr / 10 at 1200 and 1800)
read "stop at step 1600": val_loss 1.8829 there, 1.8495 at the end after the second cut; the test loss on five other
stdlib modules (step_test.csv) 1.8598 at 1600, 1.8331 at 2120, 1.8282 at the end.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import losslens
from losslens.diagnosis import STOP_AT

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
DIGITS = ECO / "accuracy_ties" / "keras_digits.csv"
STEP = ECO / "step_stop_gain" / "step.csv"


def _col(path: Path, key: str, col: str) -> dict[int, float]:
    with open(path, newline="") as fh:
        return {int(float(r[key])): float(r[col]) for r in csv.DictReader(fh)}


def test_the_premises():
    val, test = _col(DIGITS, "epoch", "val_accuracy"), _col(ECO / "accuracy_ties" / "keras_digits_test.csv",
                                                            "epoch", "test_accuracy")
    assert val[18] - val[8] > 2.5 / 300 and min(val[e] for e in range(18, 100)) >= val[18] - 1.5 / 300
    assert test[18] - test[8] > 0.01 and test[99] > test[18]  # the held-out truth: stopping at 8 costs
    val, test = _col(STEP, "step", "val_loss"), _col(ECO / "step_stop_gain" / "step_test.csv", "step", "test_loss")
    assert val[1600] > 1.015 * val[2400] and test[1600] > 1.015 * test[2400]
    assert test[2120] < test[1800] < test[1600]  # the cut at 1800 paid on the test text too


def test_an_accuracy_that_gained_after_x_stops_where_it_reached_its_end_level():
    d = losslens.diagnose(str(DIGITS), metric="val_accuracy")
    assert d.verdict == "converged" and d.plateau_epoch == 8  # X, DESIGN's 95% point, stays
    c = d.causes[0]
    first = c.actions[0]
    assert getattr(first, "kind", None) == STOP_AT
    # (the API names the column val_acc, as it reads it; the CLI says the log's own name)
    assert first.startswith("stop at epoch 18, where val_acc first reached the level it ended at: more epochs will not "
                            "raise val_acc; not at epoch 8")
    assert "2 more of its 300 examples right" in first and "beyond its noise" in first
    assert c.numbers["stop_at"] == 18
    assert d.to_dict()["plateau"]["epoch"] == 8


def test_a_step_decay_that_paid_after_x_stops_after_its_cut():
    d = losslens.diagnose(str(STEP))
    assert d.verdict == "converged" and d.plateau_epoch == 1600
    first = d.causes[0].actions[0]
    assert getattr(first, "kind", None) == STOP_AT
    assert first.startswith("stop at step ") and "after the learning rate's cut at step 1840 (0.001 → 0.0001)" in first
    assert d.causes[0].numbers["stop_at"] > 1840
    assert "not at step 1600: stopping at X gives up 1.8% of its level (1.883 → 1.849" in first


@pytest.mark.parametrize("name", ["compare_resume/resumed.csv", "class_weighted/weighted_nosignal.csv"])
def test_a_later_level_within_its_noise_keeps_the_stop_at_x(name):
    # resumed.csv ends above its level at X; weighted_nosignal.csv 1.7% below it, 1.5 noise sds
    d = losslens.diagnose(str(ECO / name))
    c = next(c for c in d.causes if c.id == "converged")
    assert c.actions[0].startswith(f"stop at epoch {d.plateau_epoch}")
    assert "stop_at" not in c.numbers


def test_an_end_level_first_reached_at_the_last_point_stops_now():
    # fresh_kinds' label-smoothed Keras MLP trained on to 80 epochs: val_loss reached the level it ended at only at its
    # last epoch, 79; "stop at epoch 79, where val_loss first reached the level it ended at" said nothing.
    d = losslens.diagnose(str(ECO / "fresh_kinds" / "cf_smooth0.2_e80.csv"))
    first = d.causes[0].actions[0]
    assert d.verdict == "converged" and getattr(first, "kind", None) == STOP_AT
    assert first.startswith("stop now, at epoch 79, its last: val_loss reached the level it ended at only there")
    assert "not at epoch 26: stopping at X gives up" in first
