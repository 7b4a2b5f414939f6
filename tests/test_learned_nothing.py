"""A classifier that learned nothing read "converged".

A 3-unit scikit-learn MLPClassifier on digits (tests/fixtures/ecosystem/sklearn_mlp_at_chance, make.py): its training
loss crept 2.537 -> 2.349 (ln 10 = 2.303) and its validation accuracy ended at 0.075, under 1/10; losslens read
"converged (89%): stop at epoch 7". Twice the iterations and lr x 10 stay at chance, twice the width reaches 0.20 and
30 units 0.875 (make.out). With K given, training at ln K and validation at or below 1/K is underfitting.

verify's line for a converged verdict said a score compared as its error under the score's name: "a model twice
the size went lower (val_acc 0.925 → 0.8, -13.5%)" of a val_acc that rose 0.075 -> 0.2.
"""

from __future__ import annotations

import csv
import math
from dataclasses import replace
from pathlib import Path

import losslens
from losslens.verification import CHECKS, Verification, as_loss, read_values

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
AT_CHANCE = ECO / "sklearn_mlp_at_chance"
TWO_UNITS = ECO / "sklearn_mlp_two_units"


def _col(path: Path, key: str) -> list[float]:
    with open(path, newline="") as fh:
        return [float(r[key]) for r in csv.DictReader(fh) if r.get(key)]


def test_the_premises_the_small_model_sits_at_a_guess_and_a_wider_one_learns():
    for name in ("three_units", "three_units_120", "three_units_lr10"):
        assert _col(AT_CHANCE / f"{name}.csv", "val_acc")[-1] < 0.1  # under 1/10: more epochs, a larger step
        assert _col(AT_CHANCE / f"{name}.csv", "loss")[-1] > 0.99 * math.log(10)
    assert _col(AT_CHANCE / "six_units.csv", "val_acc")[-1] >= 0.2
    assert _col(AT_CHANCE / "thirty_units.csv", "val_acc")[-1] > 0.85


def test_training_at_ln_k_and_validation_at_chance_is_underfitting_not_converged():
    """Was "converged (89%)", "stop at epoch 7: more epochs will not raise val_acc"."""
    for name in ("three_units", "three_units_120", "three_units_lr10"):
        d = losslens.diagnose(AT_CHANCE / f"{name}.csv", classes=10)
        assert d.verdict == "underfitting", (name, d)
        assert "converged" not in [c.id for c in d.causes], (name, d)
        assert "at or below chance 1/10" in d.cause.evidence[0] and "of ln 10" in d.cause.evidence[0]
        assert not any(a.startswith("stop at") for a in d.cause.actions)


def test_without_k_or_above_chance_the_reading_is_unchanged():
    # (K unknown: nothing says where a guess sits; the wider net learned: not at a guess.)
    assert losslens.diagnose(AT_CHANCE / "three_units.csv").verdict != "underfitting"
    d = losslens.diagnose(AT_CHANCE / "thirty_units.csv", classes=10)
    assert "learned nothing" not in str(d)


def test_a_bigger_models_move_is_said_in_the_score_as_logged():
    """Was "(val_acc 0.5167 → 0.01667, ...)": 1 - val_acc under val_acc's name."""
    d = losslens.diagnose(TWO_UNITS / "two_units.csv", classes=10)
    assert d.verdict == "converged" and d.metric == "val_acc"
    base, wide = (losslens.read(TWO_UNITS / f"{n}.csv")[0] for n in ("two_units", "sixty_four_units"))
    check = next(c for c in CHECKS["underfitting"] if c.metric is None)
    check = as_loss(replace(check, metric=d.metric), d, base)
    r = read_values(check, [base], [wide], lambda *a: None)
    assert r.holds and check.top == 1.0
    said = Verification(d, [r], [None])._capacity_or_floor()
    acc, wide_acc = 1 - r.baseline, 1 - r.value  # (the check compares the error, 1 - val_acc)
    assert acc < 0.5 < max(_col(TWO_UNITS / "two_units.csv", "val_acc")) + 0.1 and wide_acc > 0.95  # as logged
    assert f"val_acc rose {acc:.4g} → {wide_acc:.4g}; its error 1 - val_acc -" in said, said
    assert f"val_acc {r.baseline:.4g}" not in said
