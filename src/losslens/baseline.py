"""The loss of the best constant prediction for a set of targets: what ``--baseline-loss`` / ``baseline_loss=``
states, a model's "learned nothing".

The Keras and PyTorch callbacks see the losses, never the targets, so a regression's level of "learned nothing" has to
be stated by hand; :func:`baseline_loss` computes it from the validation targets the user holds, for the losses whose
best constant answer has a closed form: the mean for MSE (its loss the variance), the median for MAE (the mean absolute
deviation from it), the label frequencies for a cross-entropy (their entropy).
"""
from __future__ import annotations

import numpy as np

from .exceptions import UsageError, UsageTypeError

#: The names taken for each loss (Keras' and PyTorch's spellings too): the name the computation goes by.
LOSSES = {"mse": "mse", "mean_squared_error": "mse", "mseloss": "mse",
          "mae": "mae", "mean_absolute_error": "mae", "l1": "mae", "l1loss": "mae",
          "bce": "bce", "binary_crossentropy": "bce", "bceloss": "bce",
          "crossentropy": "crossentropy", "categorical_crossentropy": "crossentropy",
          "sparse_categorical_crossentropy": "crossentropy", "cross_entropy": "crossentropy",
          "crossentropyloss": "crossentropy"}

_WHERE = "baseline_loss"


def _targets(y) -> np.ndarray:
    """``y`` as a float array of shape (n,) or (n, d), or a one-line error: empty, not numbers, NaN/inf, > 2 axes."""
    if hasattr(y, "detach"):  # a torch tensor (on any device, with a grad or not)
        y = y.detach().cpu().numpy()
    try:
        a = np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        raise UsageTypeError(f"y must be numbers, array-like of shape (n,) or (n, d); got {type(y).__name__}",
                             _WHERE) from None
    if a.ndim == 0 or a.ndim > 2:
        raise UsageError(f"y must have shape (n,) or (n, d); got shape {a.shape}", _WHERE)
    if a.shape[0] == 0 or a.size == 0:
        raise UsageError(f"y is empty (shape {a.shape}): no targets to take a constant prediction's loss on", _WHERE)
    bad = ~np.isfinite(a)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise UsageError(f"y holds {int(bad.sum())} NaN or infinite value(s), the first in row {row}: drop those "
                         "rows (a missing target has no loss)", _WHERE)
    return a


def baseline_loss(y, loss: str = "mse") -> float:
    """The loss of the best constant prediction for targets ``y``: the value to state as ``baseline_loss=``.

    ``y``: array-like (numpy, a list, a pandas Series or DataFrame, a torch tensor) of shape (n,) or (n, d), d
    outputs; give the validation targets, as the validation loss is read against it. ``loss``:

    - ``"mse"``: the variance of the targets (ddof 0; for (n, d) the mean of each output's, as Keras and
      ``torch.nn.MSELoss`` average over outputs), in the targets' units squared;
    - ``"mae"``: the mean absolute deviation from the median (per output, then averaged), in the targets' units;
    - ``"bce"``: 0/1 labels (or soft targets in [0, 1]), (n,) or (n, d) for d labels: the binary entropy of each
      label's mean, averaged over labels, in nats;
    - ``"crossentropy"``: class labels (n,) (integers, as a sparse cross-entropy takes them) or one-hot / probability
      rows (n, K): the entropy of the class frequencies, in nats (ln K for balanced classes).

    Keras' and PyTorch's names are taken too (``"mean_squared_error"``, ``"binary_crossentropy"``,
    ``"sparse_categorical_crossentropy"``, ``"MSELoss"`` ...). A float. Raises :class:`~losslens.UsageError` (one
    line) for an unknown loss, an empty ``y``, a NaN or infinite target, or labels a cross-entropy cannot take.
    """
    name = LOSSES.get(str(loss).strip().lower())
    if name is None:
        raise UsageError(f"unknown loss {loss!r}; known: mse, mae, bce, crossentropy (or Keras' and PyTorch's names "
                         "of these)", _WHERE)
    a = _targets(y)
    if name == "crossentropy":
        return _categorical_entropy(a)
    cols = a.reshape(len(a), -1)
    if name == "mse":
        return float(np.mean(np.var(cols, axis=0)))
    if name == "mae":
        return float(np.mean(np.abs(cols - np.median(cols, axis=0))))
    if cols.min() < 0 or cols.max() > 1:
        raise UsageError(f"bce takes labels or probabilities in [0, 1]; y runs {cols.min():g} to {cols.max():g}",
                         _WHERE)
    return float(np.mean([_entropy(np.array([p, 1 - p])) for p in cols.mean(axis=0)]))


def _entropy(p: np.ndarray) -> float:
    """-sum p ln p in nats, 0 ln 0 = 0."""
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def _categorical_entropy(a: np.ndarray) -> float:
    """The class frequencies' entropy (nats) of labels (n,) / (n, 1), or of one-hot / probability rows (n, K)."""
    if a.ndim == 2 and a.shape[1] > 1:
        if a.min() < 0 or not np.allclose(a.sum(axis=1), 1.0, atol=1e-6):
            raise UsageError(f"crossentropy takes class labels (n,) or rows of K class probabilities (n, K) that "
                             f"sum to 1; y has shape {a.shape} and its rows do not sum to 1", _WHERE)
        return _entropy(a.mean(axis=0))
    labels = a.reshape(-1)
    if (labels < 0).any() or not np.array_equal(labels, np.round(labels)):
        raise UsageError("crossentropy takes class labels (integers from 0) of shape (n,), or one-hot rows (n, K); "
                         f"y holds {labels[(labels < 0) | (labels != np.round(labels))][0]:g}", _WHERE)
    _, counts = np.unique(labels, return_counts=True)
    return _entropy(counts / counts.sum())
