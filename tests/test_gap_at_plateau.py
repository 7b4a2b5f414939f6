"""The gap at X, as converged's "since the plateau" line reads it, is the gap there, not the steep drop before it."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import losslens


def test_a_gap_at_an_early_plateau_is_not_averaged_with_the_first_epochs_training_loss():
    """The article's 64-64 MLP (Adam 3e-3), 100 epochs on 300 points: X at epoch 3, where the centred smooth
    averaged epoch 0's training loss (that epoch's mean, 5.6) into the gap and read "val − train rose since the
    plateau: -0.676 at epoch 3 ... (26% of validation's improvement): what training still learns does not carry
    over to validation". The raw gap at epoch 3 is -0.206 (validation 0.128, training 0.334), and validation ends
    below training: its rise is training's loss coming down to validation's (which fell 96% more after X)."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":  # pragma: no cover
        pytest.skip("runs Keras on the torch backend")
    sys.path.insert(0, str(Path(__file__).parent))
    from keras_models import article_data, mlp

    x, y = article_data(0, n=300)
    h = mlp().fit(x, y, validation_split=0.2, epochs=100, batch_size=32, verbose=0).history
    d = losslens.diagnose(h)
    assert d.verdict == "converged" and d.plateau.epoch <= 5, d
    x_at = int(d.plateau.epoch)
    raw_gap = np.subtract(h["val_loss"], h["loss"])
    # (the premise: the first epoch's mean training loss is far above the gap anywhere from X on)
    assert h["loss"][0] > 10 * np.abs(raw_gap[x_at:]).max()
    text = "\n".join(d.cause.evidence)
    assert "does not carry over" not in text, text
    line = next(e for e in d.cause.evidence if "val − train" in e)
    at_x = re.search(rf"(-?\d+\.\d+(?:e-?\d+)?) at epoch {x_at}\b", line)
    assert at_x and float(at_x.group(1)) == pytest.approx(raw_gap[x_at], rel=0.01), (line, raw_gap[x_at])
