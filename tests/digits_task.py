"""The weight-decay task the callback tests train on: 600 of scikit-learn's bundled digits (pixels / 16),
validated on 899 others, the split of tests/fixtures/ecosystem/lightning_weight_decay/make.py. A 64-wide MLP
trained 40 epochs (batch 32) on it reaches a validation loss of ~0.15 at a weak decay (1e-5); a coupled
decay of 0.05 holds both losses level at ~0.7."""

import numpy as np


def digits_split():
    """(x_train, y_train, x_val, y_val): float32 pixels in [0, 1], int labels."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    xtr, xva, ytr, yva = train_test_split(x, y, test_size=0.5, random_state=0, stratify=y)
    return xtr[:600], ytr[:600].astype(np.int64), xva, yva.astype(np.int64)
