"""A training loss that climbs back off the floor it had reached, beside a validation loss that rises, is a step
too large, not overfitting (tests/fixtures/ecosystem/keras_adam_high_lr/make.py: Keras 3 CSVLogger, a 64-64-10
digits MLP at Adam 0.03 / 0.1 / 0.3 and SGD 1 / 3, two seeds, each beside a run at a tenth of the lr; the
figures in its make.out)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import losslens
from losslens.readers import read

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "keras_adam_high_lr"


def _series(name):
    [run] = read(HERE / name)
    return run.series["train_loss"], run.series["val_loss"]


def test_training_loss_climbing_off_its_floor_reads_lr_too_high_not_overfitting():
    """Adam 0.1, seed 0: training 1.38 -> 0.0106 at epoch 14, then back up to 0.04-0.11 with spikes while
    validation zig-zags 0.7-1.3 after its best 0.475 (epoch 6); read "overfitting 0.99" with lr_too_high not
    listed, its evidence "train_loss held its level". The same model at Adam 0.01 ends 62% lower on validation.
    Overfitting stays listed (validation did rise); the verdict is the step's."""
    train, val = _series("adam_0.1_s0.csv")
    low = int(np.argmin(train))
    assert low < 20 and np.median(train[-7:]) > 4 * train[low]
    _, val_low = _series("adam_0.01_s0.csv")
    assert val_low[-1] < 0.4 * val[-1]
    d = losslens.diagnose(HERE / "adam_0.1_s0.csv")
    assert d.verdict == "lr_too_high"
    assert "climbed back off its floor" in d.cause.evidence[0] and "0.01061" in d.cause.evidence[0]
    assert any(a.startswith("lower the learning rate") for a in d.cause.actions)
    over = next(c for c in d.causes if c.id == "overfitting")
    assert not any("held its level" in e for e in over.evidence)
    assert any(e.startswith("train_loss rose after it") for e in over.evidence)


def test_a_model_memorising_at_its_floor_still_reads_overfitting():
    """Adam 0.03 and 0.01 (both seeds of 0.03): training falls to 5e-4 - 6e-3 and sits there while validation
    rises after its best: overfitting, with no lr_too_high beside it. Checked in the same test as the lr 0.1
    seed whose training loss climbed back (the rule's line between the two)."""
    for name in ("adam_0.03_s0.csv", "adam_0.03_s1.csv", "adam_0.01_s0.csv"):
        train, _ = _series(name)
        assert np.median(train[-7:]) < 1.5 * train.min()
        d = losslens.diagnose(HERE / name)
        assert d.verdict == "overfitting", name
        assert "lr_too_high" not in [c.id for c in d.causes], name
    # A GRU at Adam 1e-2 on labels it cannot reach: training memorised down to 1.248 and climbed back to 1.27 while
    # validation, risen 1.39 -> 1.54 before, came back to 1.52: no rise over the same stretch, so no step reading.
    gru = losslens.diagnose(HERE.parent / "torch_gru_long_sequence" / "lr1e-2.json")
    assert not any("climbed back off its floor" in e for c in gru.causes for e in c.evidence)
    assert losslens.diagnose(HERE / "adam_0.1_s0.csv").verdict == "lr_too_high"
