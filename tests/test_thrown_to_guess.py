"""A classifier its first steps threw to a uniform guess, read as the step, not the model (folders under
tests/fixtures/ecosystem/, with the script that trained it and the counterfactual that shows the truth).

- keras_sgd_collapse: Keras SGD(3.0) on digits: the first epoch threw the outputs out (val_loss 6.79), then
  both losses sat at ln 10 and both accuracies near 0.10. It read "underfitting (held by a weight penalty):
  weaken the L2" (there is none), and with --classes 10 "underfitting (too little capacity)"; lr 0.3 reaches
  val accuracy 0.93 with the same model.
"""
import csv
import math
from pathlib import Path

import pytest

import losslens

KSC = Path(__file__).parent / "fixtures" / "ecosystem" / "keras_sgd_collapse"


def _last(name, col):
    with open(KSC / name, newline="") as fh:
        return [float(r[col]) for r in csv.DictReader(fh)]


def test_the_premise_a_tenth_of_the_step_learns_with_the_same_model():
    assert _last("cf_lr0.3.csv", "val_accuracy")[-1] > 0.9
    val = _last("lr3.0.csv", "val_loss")
    assert val[0] > 2 * math.log(10)  # thrown out in the first epoch
    assert all(abs(v - math.log(10)) < 0.1 for v in val[-8:])
    assert max(_last("lr3.0.csv", "val_accuracy")[1:]) < 0.11


@pytest.mark.parametrize("classes", [None, 10])
def test_a_classifier_thrown_to_a_uniform_guess_is_lr_too_high_not_underfitting(classes):
    d = losslens.diagnose(KSC / "lr3.0.csv", classes=classes)
    assert d.verdict == "lr_too_high"
    ids = [c.id for c in d.causes]
    assert "underfitting" not in ids and "converged" not in ids
    text = str(d)
    assert "weight penalt" not in text and "regulariz" not in text
    assert "ln 10" in text and "val_loss started at 6.79" in text
    assert "lower the learning rate" in text


def test_the_counterfactual_at_lr_0_3_is_not_read_so():
    d = losslens.diagnose(KSC / "cf_lr0.3.csv")
    assert d.verdict != "lr_too_high"
    assert "uniform guess" not in str(d)
