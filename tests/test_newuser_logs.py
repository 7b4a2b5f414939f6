"""A new user's runs that losslens read wrong, each on what the library wrote (folders under
tests/fixtures/ecosystem/, with the script that trained it and the counterfactual's numbers); each
test checks the premise (what the counterfactual reached) as well as the verdict.

- sklearn_mlp_lr1: MLPClassifier(early_stopping=True) at Adam lr 1.0 on digits: its loss_curve_ went
  24.9 -> 2.38 (ln 10 = 2.30), validation accuracy 0.08-0.19; read no_signal ("check the labels"),
  with overfitting 0.95 beside it. At lr 0.01 the same model reaches 0.975.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
SKL = ECO / "sklearn_mlp_lr1"


def _ids(d, status=None):
    return [c.id for c in d.causes if status is None or c.status == status]


class _FittedMLP:
    """The attributes losslens reads off a fitted MLPClassifier, as make.py dumped them."""
    def __init__(self, path: Path):
        self._d = json.loads(path.read_text())
        self.loss_curve_ = self._d["loss_curve_"]
        self.validation_scores_ = self._d["validation_scores_"]
        self.classes_ = self._d["classes_"]
        self.n_iter_ = self._d["n_iter_"]

    def get_params(self):
        return self._d["params"]


def test_the_premise_mlp_at_lr_1_learns_nothing_where_lr_0_01_reaches_0_975():
    hi, lo = (json.loads((SKL / f"mlp_lr{lr}.json").read_text()) for lr in ("1.0", "0.01"))
    assert hi["best_validation_score_"] < 0.2 and lo["best_validation_score_"] == pytest.approx(0.975)
    assert lo["test_accuracy"] > 0.9 > 0.15 > hi["test_accuracy"]
    # The training loss started 10x above a uniform guess's and ended at it, not below.
    assert hi["loss_curve_"][0] > 10 * math.log(10) and hi["loss_curve_"][-1] >= math.log(10)


def test_mlp_whose_training_loss_ends_at_ln_k_is_not_no_signal():
    """Was no_signal ("check the labels", 0.9) with overfitting (0.95) beside it, on a training loss
    that "kept falling" -- from 24.9 to 2.38, a uniform guess's loss: it memorised nothing."""
    d = losslens.diagnose(_FittedMLP(SKL / "mlp_lr1.0.json"))
    assert d.verdict == "lr_too_high", d
    assert "no_signal" not in _ids(d) and "overfitting" not in _ids(d)
    assert "ln 10" in str(d)


def test_the_counterfactual_mlp_still_reads_converged():
    d = losslens.diagnose(_FittedMLP(SKL / "mlp_lr0.01.json"))
    assert d.verdict == "converged", d
