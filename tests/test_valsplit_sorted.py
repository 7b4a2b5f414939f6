"""Keras' ``validation_split`` holds out the last rows before any shuffling: on data sorted by class the held-out
classes never reach training, and validation loss rises from its first epoch while training falls. A model that
generalized at no point did not overfit (overfitting needs a fall, then a rise). Real Keras 3 CSVLogger runs on
scikit-learn's iris and digits, each with its shuffled twin (the truth by intervention), and the PyTorch analogue,
validation sliced off a dataset grouped by class, under Lightning's CSVLogger
(tests/fixtures/ecosystem/keras_valsplit_sorted/make.py, lightning_valsplit_sorted/make.py; figures in make.out)."""

from __future__ import annotations

from pathlib import Path

import pytest

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
KERAS = ECO / "keras_valsplit_sorted"
LIGHTNING = ECO / "lightning_valsplit_sorted" / "lightning_logs"


@pytest.mark.parametrize("name", ["iris_third_sorted.csv", "digits_sorted.csv"])
def test_validation_classes_training_never_saw_are_no_overfitting(name):
    """iris at validation_split=0.34 (validation: versicolor's last row and every virginica) and digits sorted by
    target at 0.2 (digits 7-9): validation loss best at epoch 0 (2.24, 8.84) and rising to 15.0 and 12.8,
    accuracy 0.02-0.04 throughout, K not given. Read "overfitting at epoch 0" with early stopping before."""
    d = losslens.diagnose(KERAS / name)
    assert d.verdict == "no_signal"
    head = d.causes[0]
    assert any("generalized at no point" in e and "needs a fall, then a rise" in e for e in head.evidence)
    assert "validation_split" in head.actions[0] and "shuffle before fit" in head.actions[0]
    assert not any("early stopping" in a for a in head.actions)


@pytest.mark.parametrize("name, verdict", [
    ("iris_third_shuffled.csv", "still_improving"),  # shuffled first: val 0.105, accuracy 0.94
    ("digits_shuffled.csv", "overfitting"),          # shuffled first: val best 0.161 at epoch 7, then 0.177
    ("wine_sorted.csv", "still_improving"),          # at 0.2 training saw 12 of class 2's 48: validation 100%
    ("iris_sorted.csv", "lr_too_high"),              # at 0.2 training saw 20 of virginica's 50: 0.93 at best
])
def test_a_split_training_learned_from_keeps_its_reading(name, verdict):
    d = losslens.diagnose(KERAS / name)
    assert d.verdict == verdict
    assert "no_signal" not in [c.id for c in d.causes]


@pytest.mark.parametrize("path", [ECO / "capacity_or_floor" / "wine_w64.csv",
                                  ECO / "keras_unscaled_inputs" / "cf_adam_lr0.1_scaled.csv",
                                  ECO / "fastai" / "history_cf_big_lr_div10.csv"])
def test_overfitting_from_the_first_epoch_after_generalizing_stays_overfitting(path):
    """Validation loss lowest at epoch 0 there too, K unknown, but validation accuracy was 0.79-0.96 at its first
    check and rose after it: the model generalized, then overfitted."""
    assert losslens.diagnose(path).verdict == "overfitting"


def test_lightning_slice_against_random_split():
    """Subset(ds, range(n_train, n)) on digits grouped by class: validation accuracy 0.017 every epoch, read
    no_signal; random_split on the same data reaches 0.983 and is still improving."""
    assert losslens.diagnose(LIGHTNING / "version_0" / "metrics.csv").verdict == "no_signal"
    d = losslens.diagnose(LIGHTNING / "version_1" / "metrics.csv")
    assert "no_signal" not in [c.id for c in d.causes]


def test_a_lightning_slice_of_sorted_data_is_told_to_split_at_random_first():
    """The slice's validation accuracy never moved from 0.0167 (6 of 360, a size its steps cannot tell) while
    training's climbed 0.638 -> 1.000: validation holds classes training never saw, as Keras' validation_split
    does. Was "at chance 1/7 = 0.143 (K = 7 guessed from the first loss 1.896 ≈ ln 7 ...)" for 10 digits, with the
    labels to check first and no word of the split: the first loss is the first epoch's mean, lowered by what that
    epoch learned (training accuracy 0.638 at it), so no K is read off it."""
    d = losslens.diagnose(LIGHTNING / "version_0" / "metrics.csv")
    assert d.verdict == "no_signal" and d.facts.chance.classes is None
    head = d.causes[0]
    assert any("never rose above its first value" in e and "generalized at no point" in e for e in head.evidence)
    assert not any("guessed" in e for c in d.causes for e in c.evidence)
    assert "not by slicing" in head.actions[0] and "random_split" in head.actions[0]


@pytest.mark.parametrize("path, k", [(LIGHTNING / "version_0" / "metrics.csv", 10), (KERAS / "digits_sorted.csv", 10),
                                     (KERAS / "iris_third_sorted.csv", 3)])
def test_a_k_given_still_names_the_sorted_split_first(path, k):
    """The same runs with K given (--classes): validation accuracy 0.017-0.038 under chance 1/K and never above its
    first value while training's reached 1.0. The Lightning slice read "at chance 1/10", labels to check first and
    no word of the split (its validation set's size unknown: no binomial test under chance); Keras' sorted splits
    "compare the preprocessing" first. A model never shown validation's classes scores under chance."""
    d = losslens.diagnose(path, classes=k)
    assert d.verdict == "no_signal" and d.facts.chance.classes == k
    head = d.causes[0]
    assert not head.evidence[0].startswith(f"validation accuracy {d.facts.chance.val_acc_tail:.3f} over the last "
                                           "quarter is at chance")
    assert any("never rose above its first value" in e and "training never saw" in e for e in head.evidence)
    assert "random_split" in head.actions[0] and "validation_split" in head.actions[0]


def test_shuffled_labels_given_k_keep_the_label_actions():
    """Keras on digits with its training labels shuffled (tests/fixtures/ecosystem/keras_focal/shuffled.csv),
    K = 10 given: validation accuracy about chance, not under it, so the labels stay the first thing to check."""
    d = losslens.diagnose(ECO / "keras_focal" / "shuffled.csv", classes=10)
    assert d.verdict == "no_signal"
    assert d.causes[0].actions[0].startswith("check the labels")
    assert not any("never saw" in e for e in d.causes[0].evidence)


def test_a_first_loss_beside_a_trained_first_accuracy_guesses_no_k():
    """The K guess needs an untrained first point by every accuracy logged there: 2.30 = ln 10 with training
    accuracy 0.11 reads K = 10; the same loss beside training accuracy 0.64 (an epoch mean that learned) none."""
    import numpy as np

    from losslens.facts.chance import chance_facts

    val, axis = np.full(6, 0.1), np.arange(6.0)
    for train_first, k in ((0.11, 10), (0.64, None)):
        train = np.array([train_first, 0.7, 0.8, 0.9, 0.95, 0.97])
        assert chance_facts(val, train, None, 2.30, axis=axis).classes == k
