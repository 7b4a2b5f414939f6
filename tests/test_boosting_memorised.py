"""Gradient-boosted trees that fit their training set to ~0 (the walk of session 39, items 2 and 6b).

Once a booster's training loss reaches ~0 nothing is left to fit: later trees change no prediction, and the
validation loss repeats its last value exactly (or moves only in its last float digits). That is a memorised
training set -- overfitting, stop at the best round -- not a network whose units died (lr_too_high's "constant
outputs, zero gradients"), and a slope made of float rounding is no trend.

The logs were written by scikit-learn (tests/fixtures/ecosystem/sklearn_hgb_memorised/make.py, deterministic);
the estimator tests refit the same models in-process for ``losslens.diagnose(model)``.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import re
from pathlib import Path

import numpy as np

import losslens
from losslens.facts.trend import tail_trend
from losslens.readers import read

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "sklearn_hgb_memorised"


def _make():
    spec = importlib.util.spec_from_file_location("hgb_memorised_make", HERE / "make.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _column(path: Path, name: str) -> np.ndarray:
    with open(path, newline="") as f:
        return np.array([float(r[name]) for r in csv.DictReader(f)])


def _read(name: str):
    path = HERE / name
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    [run] = read(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # inputs are only read
    return run


def _text(d) -> str:
    return " ".join(e for c in d.causes for e in c.evidence + c.actions)


def test_memorised_booster_log_reads_overfitting_not_dead_units():
    # Training log-loss 0.66 -> 4.7e-06 (frozen from round 47), validation best 0.2465 at round 4, then exactly
    # 0.4647 for its last 254 rounds: it read lr_too_high 87% "constant outputs, zero gradients (dead units or a
    # collapsed model) ... what was learned was lost", overfitting second, its rise "4.1e+08 sds".
    d = losslens.diagnose(_read("clf_scores.csv"))
    assert d.verdict == "overfitting"
    text = _text(d)
    assert "constant outputs" not in text and "dead units" not in text and "restart from scratch" not in text
    assert not any(c.id == "lr_too_high" for c in d.causes)
    assert "the training set is memorised, nothing is left to fit" in text
    assert "0.2465 at step 4" in text
    # The rise against a noise measured where the curve moved, not against the repeats' zero residuals.
    sds = float(re.search(r"beyond its noise \(([0-9.e+]+) sds\)", text).group(1))
    assert 10 <= sds < 1000


def test_memorised_booster_estimator_is_told_to_stop_at_its_best_round():
    m = _make().clf()
    # (The committed log is this fit's: make.py is deterministic.)
    np.testing.assert_array_equal(m.validation_score_, _column(HERE / "clf_scores.csv", "validation_score"))
    d = losslens.diagnose(m)
    assert d.verdict == "overfitting"
    first = d.cause.actions[0]
    assert "n_iter_no_change" in first and "the best round is 4" in first
    # Fewer, larger leaves before a smaller step (refit on 70%, test log-loss: min_samples_leaf 20 at its best
    # round 0.174, learning_rate 0.05 x 3000 rounds at its best round 0.378, against 0.354).
    assert "min_samples_leaf" in d.cause.actions[1] and "lower learning rate" in d.cause.actions[2]
    assert not any(c.id == "lr_too_high" for c in d.causes)
    assert "memorised" in " ".join(d.cause.evidence)


def test_float_rounding_tail_is_flat_not_a_steady_rise():
    # Training MSE 1e-32; validation 0.21862633950282306-...2320 over its last quarter: "1.1e-18/step, a steady
    # rise (t = 4.7)".
    m = _make().reg()
    np.testing.assert_array_equal(m.validation_score_, _column(HERE / "reg_scores.csv", "validation_score"))
    d = losslens.diagnose(_read("reg_scores.csv"))
    assert d.verdict == "converged"
    line = next(e for e in d.cause.evidence if "over the last quarter" in e)
    assert "flat: its values differ only in their last digits" in line and "t = " not in line
    assert "steady rise" not in _text(d)


def test_tail_trend_reads_float_rounding_as_flat_and_a_real_creep_as_a_trend():
    y = -_column(HERE / "reg_scores.csv", "validation_score")
    x = np.arange(y.shape[0], dtype=float)
    tr = tail_trend(x, y, y, float(y[0]), float(y.min()))
    assert tr.below_resolution and tr.slope == 0.0 and tr.slope_t == 0.0
    # The same tail with a rise of 1e-9 of its level per round (1e-7 over the quarter) is a trend.
    creep = y + 1e-9 * 0.2186 * x
    tr = tail_trend(x, creep, creep, float(creep[0]), float(creep.min()))
    assert not tr.below_resolution and tr.slope > 0 and tr.slope_t > 3

