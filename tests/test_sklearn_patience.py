"""MLPClassifier(early_stopping=True) stopped by its default patience (n_iter_no_change=10) on 1,200 digits:
its score is an accuracy on 120 held-out samples (sd 0.020 at 0.95, 2.4 samples), and losslens read the
10 flat iterations after the best as "converged, more epochs will not raise val_acc". Patience 50 took the
same model from test accuracy 0.879 to 0.926 (tests/fixtures/ecosystem/sklearn_mlp_patience, make.py)."""

from __future__ import annotations

import json
from pathlib import Path

import losslens

DIR = Path(__file__).parent / "fixtures" / "ecosystem" / "sklearn_mlp_patience"


class _Fitted:
    """The attributes losslens reads off a fitted MLPClassifier, as make.py dumped them."""

    def __init__(self, name: str):
        self.d = json.loads((DIR / f"{name}.json").read_text())
        for k in ("loss_curve_", "validation_scores_", "classes_", "n_iter_", "t_"):
            if k in self.d:
                setattr(self, k, self.d[k])

    def get_params(self):
        return self.d["params"]


def test_the_premise_patience_50_raises_the_default_run_and_not_the_others():
    p10, p50, noes = (_Fitted(n).d for n in ("default_p10", "default_p50", "default_noes"))
    assert p10["n_iter_"] == 27 and p10["params"]["n_iter_no_change"] == 10
    assert p50["test_accuracy"] - p10["test_accuracy"] > 0.04 and p50["best_validation_score_"] > 0.98
    assert noes["test_accuracy"] - p10["test_accuracy"] > 0.04  # training on, with no stopping at all
    # 128 hidden at Adam 1e-2: patience 50 finds no better validation score, and keeps the same weights.
    a, b = _Fitted("h128_lr0.01_p10").d, _Fitted("h128_lr0.01_p50").d
    assert a["best_validation_score_"] == b["best_validation_score_"] and a["test_accuracy"] == b["test_accuracy"]
    # 6,000 samples (600 held out): patience 50 gains less than one test sd (1,000 samples: 0.008).
    a, b = _Fitted("synth_p10").d, _Fitted("synth_p50").d
    assert abs(b["test_accuracy"] - a["test_accuracy"]) < 0.008


def test_the_reader_knows_the_patience_and_the_held_out_size():
    from losslens.readers.sklearn import from_estimator

    run = from_estimator(_Fitted("default_p10"))
    assert run.meta["early_stopping"]["patience"] == 10 and run.meta["n_val"] == 120
    assert "early_stopping" not in from_estimator(_Fitted("default_noes")).meta


def test_a_patience_too_short_for_a_120_sample_score_is_still_improving():
    """Was converged (0.80), "stop at epoch 10: more epochs will not raise val_acc"."""
    d = losslens.diagnose(_Fitted("default_p10"))
    assert d.verdict == "still_improving", d
    text = str(d)
    assert "120 held-out samples" in text and "binomial sd at the best is 0.02" in text
    assert "n_iter_no_change" in text and "validation_fraction" in text
    assert "converged" not in [c.id for c in d.causes]


def test_runs_that_did_converge_under_early_stopping_still_read_converged():
    # patience 50 that still stopped; patience 10 where 50 gained nothing; 600 held-out samples, where
    # 2 sds are a third of the remaining error and a flat window means something.
    for name in ("default_p50", "h128_lr0.01_p10", "h128_lr0.01_p50", "synth_p10", "synth_p50"):
        d = losslens.diagnose(_Fitted(name))
        assert d.verdict == "converged", (name, d)


def test_a_scores_forecast_doubt_names_the_error_its_probability_is_about():
    """The since-X doubt weighs the score's own gain (+0.14% of validation_scores by 388), and its P is its error's
    falling > 1% (-8% of 1 - score): quoted as "(P = 64%)" it read as a 64% chance of the 0.14%. Run to twice the
    iterations (390, patience off) the last 5 scores rose one example of 120, the best and the test accuracy of the
    weights kept not at all: the doubt, read on the score, stands."""
    d = losslens.diagnose(DIR / "default_p50.json")
    assert d.verdict == "still_improving" and d.cause.strength <= 0.6
    doubt = next(e for e in d.cause.evidence if e.startswith("but the learning-curve forecast"))
    assert "more by epoch 388 (P = " in doubt and "% that 1 − validation_scores falls > 1%)" in doubt
