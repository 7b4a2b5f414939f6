"""Gradient-boosting readings from the walk of session 41 (gbm.py), and the forecast's axis in diagnose --json.

- Depth-1 trees on an XOR task: both losses sit at ln 2 (training 0.6925 -> 0.6821, validation never below its
  first 0.6926). It read "no learnable signal: check the labels" ("validation loss rose ... while training
  memorised") and, from the CSV, "overfitting: the best weights are from step 0"; max_depth=2 reaches 0.237
  (make.out): the model cannot represent the signal, underfitting.
- A regressor's validation_score is -val_loss, the very curve diagnosed; read as a metric logged beside it, it
  "kept rising after" val_loss's own plateau: "stop on it (monitor='validation_score')".
- A Trainer's step-axis run: the diagnosis said "axis": "step" and its forecast "axis": "epoch".

The logs were written by scikit-learn (tests/fixtures/ecosystem/sklearn_gbm_walk41/make.py, deterministic); the
estimator tests refit the same models in-process for ``losslens.diagnose(model)``.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
HERE = ECO / "sklearn_gbm_walk41"


def _make():
    spec = importlib.util.spec_from_file_location("gbm_walk41_make", HERE / "make.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _text(d) -> str:
    return " ".join(e for c in d.causes for e in c.evidence + c.actions)


def _scores(name: str) -> np.ndarray:
    with open(HERE / name, newline="") as fh:
        return np.array([float(r["validation_score"]) for r in csv.DictReader(fh)])


def test_stump_log_at_ln2_reads_underfitting_with_no_signal_possible_after_it():
    d = losslens.diagnose(HERE / "stump_scores.csv")
    assert [c.id for c in d.causes] == ["underfitting", "no_signal"], [c.id for c in d.causes]
    signal = d.causes[1]
    assert signal.status == "possible" and signal.confidence <= 0.5
    assert "train_loss fell only 1.5% below its start" in signal.evidence[0]
    text = _text(d)
    # Training learned 1.5%: nothing was memorised, and the untrained model's weights are no early stop.
    assert "while training memorised" not in text and "best weights are from" not in text
    assert "train on a tiny subset" not in text  # (a model too small cannot memorise one either)


def test_stump_model_reads_underfitting_and_names_the_trees_depth():
    mod = _make()
    m = mod.stump()
    assert np.allclose(m.validation_score_, _scores("stump_scores.csv"))  # the model behind the committed CSV
    d = losslens.diagnose(m)
    assert d.axis == "round" and d.facts.chance.classes == 2
    assert d.verdict == "underfitting" and [c.id for c in d.causes] == ["underfitting", "no_signal"]
    assert "max_depth" in d.causes[0].actions[0]
    assert "ln 2" in d.causes[1].evidence[0] and d.causes[1].status == "possible"


def test_a_booster_that_learned_keeps_its_reading():
    # The same task at max_depth=2 learns (validation 0.6926 -> 0.237): no underfitting, no no_signal.
    d = losslens.diagnose(_make().stump(2))
    assert d.verdict == "still_improving"
    assert not {"no_signal", "underfitting", "overfitting"} & {c.id for c in d.causes}


def test_negated_validation_score_is_not_read_as_a_metric_beside_its_own_loss():
    mod = _make()
    m = mod.loweta()
    assert np.allclose(m.validation_score_, _scores("loweta_scores.csv"))
    for d in (losslens.diagnose(HERE / "loweta_scores.csv"), losslens.diagnose(m)):
        assert d.metric == "val_loss"
        assert d.run.meta["negated"]["val_loss"] == "validation_score"
        text = _text(d)
        assert "validation_score" not in text, text
        assert "logged_metric" not in d.causes[0].numbers
        # X is where 95% of the improvement was made; the fall after it is said beside it, as still falling.
        assert d.verdict == "converged" and d.plateau_epoch == 62
        assert "26% lower by" in text and d.causes[0].actions[0].startswith("still falling at the end")


@pytest.mark.parametrize("source, horizon", [(ECO / "hf_lr_sweep" / "lr3e-4", None),  # still_improving's own
                                             (HERE / "stump_scores.csv", 400)])  # one asked
def test_diagnose_json_forecast_is_on_the_runs_axis(source, horizon):
    d = losslens.diagnose(source, horizon=horizon).to_dict()
    assert d["axis"] == "step" and d["forecast"] is not None
    assert d["forecast"]["axis"] == "step"


def test_booster_forecast_axis_is_round():
    d = losslens.diagnose(_make().loweta()).to_dict()
    assert d["axis"] == "round" and d["forecast"]["axis"] == "round"
