"""A validation loss that climbs steadily after early bounces is overfitting, though the bounces make the climb
small in noise sds (tests/fixtures/ecosystem/keras_rise_after_bounces/make.py: Keras 3 CSVLogger, a digits MLP
at SGD batch 1; the intervention's figures in its make.out)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import losslens
from losslens.readers import read

RUN = Path(__file__).parent / "fixtures" / "ecosystem" / "keras_rise_after_bounces" / "sgd_bs1.csv"


def test_steady_climb_after_early_bounces_reads_overfitting():
    """Validation 0.0695 at epoch 13, then up nearly every epoch to 0.0941 while training fell 2.4e-2 -> 1.8e-4;
    batch-1 steps had thrown it to 0.83 and 0.22 before. The best epoch's weights (restore_best_weights) are 26%
    lower than the last epoch's: the generated benchmark's test for overfitting (>= 10%). Read converged while
    the rise was weighed against the whole curve's noise."""
    [run] = read(RUN)
    val, train = run.series["val_loss"], run.series["train_loss"]
    best = int(np.argmin(val))
    assert val[best] < 0.9 * val[-1] and train[-1] < 0.01 * train[best]
    assert val[:best].max() > 10 * val[best]
    d = losslens.diagnose(RUN)
    assert d.verdict == "overfitting"
    assert d.cause.actions[0].startswith("early stopping with restore_best_weights")
