"""A classifier that gives every input the same answer, having memorised nothing: the labels or dead units.

tests/fixtures/ecosystem/lab_random_labels: the lab's random-label experiment (a conv net, Adam 1e-3, 5 random
labels on 80 images), seeds 2 and 3, which fitted nothing: training accuracy at the majority's share, both losses
at ln 5, validation accuracy 0.25 for 45-50 of 50 epochs. They read underfitting alone ("a bigger model"), where
the labels are the cause. A 2-unit ReLU layer on digits (the diagnosis benchmark's gen/under_digits/seed0) shows
the same curves and a 64-unit layer fits, so the curves cannot choose: no_signal is named beside underfitting.
"""
import csv
import math
from pathlib import Path

import pytest

import losslens

LAB = Path(__file__).parent / "fixtures" / "ecosystem" / "lab_random_labels"


@pytest.mark.parametrize("seed", [2, 3])
def test_the_premise_nothing_fitted_and_no_decision_changed(seed):
    with open(LAB / f"seed{seed}.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert all(float(r["train_acc"]) < 0.3 for r in rows[-10:])
    assert all(abs(float(r["train_loss"]) - math.log(5)) < 0.02 for r in rows[-10:])
    assert len({r["val_acc"] for r in rows[len(rows) // 2:]}) == 1


@pytest.mark.parametrize("seed", [2, 3])
def test_random_labels_that_fitted_nothing_name_no_signal_beside_underfitting(seed):
    d = losslens.diagnose(LAB / f"seed{seed}.csv", classes=5)
    ids = [c.id for c in d.causes]
    assert ids[:2] == ["underfitting", "no_signal"]
    ev = " ".join(d.causes[1].evidence)
    assert "gives every input the same answer" in ev and "A bigger model tells which" in ev
    # (Shuffling labels that carry nothing leaves a dead model as dead: it cannot tell which.)
    assert "shuffled labels cannot" in ev


def test_two_dead_units_on_digits_stay_underfitting_with_no_signal_beside():
    from benchmarks.scenarios.generate import load_generated_cases

    case = next(c for c in load_generated_cases() if c.case_id == "gen/under_digits/seed0")
    d = losslens.diagnose(case.run, classes=case.classes)
    assert d.verdict == "underfitting"
    assert "no_signal" in [c.id for c in d.causes]
