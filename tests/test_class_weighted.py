"""Validation below training because the training loss is weighted by class (tests/fixtures/ecosystem/class_weighted:
Keras, 5% positives, class_weight 1:19, labels independent of the inputs; make.py, make.out). Keras weights each
training example's loss by its class's weight and scores validation unweighted, so training ends at 1.05 against
validation's 0.60 while their accuracies nearly match; the reasons listed for validation sitting below training named
dropout, BatchNorm, noisier labels and overlap, not class weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import losslens

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "class_weighted"


def test_the_premise_validation_far_below_training_at_matching_accuracy():
    a = np.genfromtxt(HERE / "weighted_nosignal.csv", delimiter=",", names=True)
    assert (a["val_loss"] < a["loss"]).all() and a["val_loss"][-1] < 0.6 * a["loss"][-1]
    assert abs(a["val_accuracy"][-10:].mean() - a["accuracy"][-10:].mean()) < 0.05


def test_class_weights_are_named_among_the_reasons_validation_sits_below_training():
    d = losslens.diagnose(HERE / "weighted_nosignal.csv")
    line = next(e for c in d.causes for e in c.evidence if "val_loss sat below train_loss" in e)
    assert "weighted by class (Keras' class_weight" in line and "validation's unweighted" in line
    assert any(a.startswith("check: score the training set in eval mode, unweighted") and "class weights" in a
               for c in d.causes for a in c.actions)
