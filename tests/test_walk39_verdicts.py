"""Runs whose cause is known, from session 39's walk, that read a wrong or overconfident verdict (each fixture
written by the real library: tests/fixtures/ecosystem/keras_walk39/make.py, lightning_killed_short/make.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
KW = ECO / "keras_walk39"


@pytest.mark.parametrize("name", ["metrics.csv", "metrics_epoch5.csv"])
def test_five_epochs_still_falling_faster_is_not_underfitting(name):
    # val 0.681 .655 .629 .601 .569, each drop bigger: the training loss's own X is its last point, so it held no
    # level to call high. Old code: "underfitting at epoch 4 [4, 4]" at 81% of ln 2; the run left to 12 epochs
    # went on to 0.334 (make.out).
    d = losslens.diagnose(ECO / "lightning_killed_short" / name)
    assert d.verdict == "still_improving"
    assert d.plateau is None
    assert "underfitting" not in [c.id for c in d.causes]


def test_frozen_weights_drift_is_not_still_falling():
    # ReduceLROnPlateau cut Adam to 1e-7 by epoch 23: val_loss then fell 0.00064% over the last quarter at
    # t = -74 (float drift). The advice must not say "still falling ... stop once it flattens".
    d = losslens.diagnose(KW / "rlrop2.csv", classes=10)
    assert d.verdict == "converged"
    conv = d.causes[0]
    assert not conv.actions[0].startswith("still falling")
    assert conv.actions[0].startswith("stop once it is flat, at about epoch 12")
    assert "flat for any use" in conv.evidence[0]
    assert not any("still falls (t =" in e for e in conv.evidence)


@pytest.mark.parametrize("classes", [10, None])
def test_keras_collapse_after_jumps_says_it_fitted_nothing(classes):
    # SGD 3.0: both losses at ln 10 from epoch 8, accuracies ~0.09. Old code quoted only "one jump at epoch 6"
    # and "try 1/10 from the plateau"; scikit-learn's collapse reads "ends at ... ln 10 ... restart from scratch".
    d = losslens.diagnose(KW / "lr_high3.csv", classes=classes)
    assert d.verdict == "lr_too_high"
    c = d.causes[0]
    assert "ln 10" in c.evidence[0] and "fitted nothing" in c.evidence[0]
    assert any("jumps above its trend" in e for e in c.evidence[1:])
    assert "restart from scratch" in c.actions[0]
    assert not any("from the plateau" in a for a in c.actions)


def test_sgd_step_spiking_at_a_low_floor_reads_lr_too_high():
    # SGD 1.8: bounced for 15 epochs, then the training loss's epoch mean jumped 0.06 -> 0.116 at epoch 52, 2.2% of
    # its whole fall (under the 5% spike bar) but 58% above its level there. Old code: still_improving 82%,
    # lr_too_high not listed; SGD 1.0 (the counterfactual, same seed) ends at val 0.108 against 0.177.
    d = losslens.diagnose(KW / "lr_high1.8.csv", classes=10)
    assert d.verdict == "lr_too_high"
    assert "at its floor" in d.causes[0].evidence[0] and "epoch 52" in d.causes[0].evidence[0]
    assert d.causes[0].numbers["train_spike_lift"] >= 0.5 > 0.05 > d.causes[0].numbers["train_spike_rel"]
    assert "still_improving" not in [c.id for c in d.causes]
    # The step that settles is read without it.
    cf = losslens.diagnose(KW / "lr_high1.0.csv", classes=10)
    assert cf.verdict == "converged" and "lr_too_high" not in [c.id for c in cf.causes]
    ends = {n: float(open(KW / f"{n}.csv").read().splitlines()[-1].split(",")[-1])
            for n in ("lr_high1.8", "lr_high1.0")}
    assert ends["lr_high1.0"] < 0.7 * ends["lr_high1.8"]


def test_a_two_unit_classifier_flat_at_a_fifth_of_its_training_data_wrong_lists_underfitting():
    # 64-2-10, Adam 3e-2, 150 epochs: training loss 0.585 (25% of ln 10, under the 40% level bar), accuracy 0.796
    # flat over its last quarter against validation's 0.740. Old code: converged 89%, underfitting not named; 32
    # units (tiny_fix.csv, same seed) take validation's best from 0.789 to 0.107 and training accuracy to 1.0.
    d = losslens.diagnose(KW / "tiny.csv", classes=10)
    assert d.verdict == "converged"
    under = next(c for c in d.causes if c.id == "underfitting")
    assert under.status == "possible" and under.confidence < d.cause.confidence
    assert "training accuracy 0.796" in under.evidence[0] and "losslens verify --cause underfitting" in under.actions[0]
    wide = losslens.diagnose(KW / "tiny_fix.csv", classes=10)
    assert "underfitting" not in [c.id for c in wide.causes]
    assert wide.run.finite("val_loss")[1].min() < 0.2 * d.run.finite("val_loss")[1].min()
