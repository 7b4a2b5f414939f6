"""Would more data help? Read from a learning curve over training-set size, when one was measured.

A curve of one run cannot show this (DESIGN.md: ``data_limited`` needs a learning curve). When
a learning curve is at hand — ``run.meta["learning_curve"] = {n_train: best validation loss}``
(or a list of losses per seed), as the lab's variants and the benchmark scenarios attach — the
three largest sizes give the local log-log slope, per seed, and the gain one more doubling of
the data would bring, ``1 − 2**slope`` (a power law L ∝ n^slope, the usual shape of learning
curves: Hestness et al. 2017, "Deep Learning Scaling is Predictable, Empirically").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class LearningCurveFacts:
    """``sizes``: (n_sizes,) training-set sizes; ``losses``: (n_seeds, n_sizes) best validation loss;
    ``slopes``: (n_seeds,) d log(loss) / d log(n) over the three largest sizes."""

    sizes: np.ndarray
    losses: np.ndarray
    slopes: np.ndarray

    @property
    def slope(self) -> float:
        return float(self.slopes.mean())

    @property
    def slope_t(self) -> float | None:
        """t-statistic of the mean slope across seeds; None with one seed."""
        n = self.slopes.shape[0]
        if n < 2:
            return None
        sd = float(self.slopes.std(ddof=1))
        if sd == 0:
            return -math.inf if self.slope < 0 else math.inf
        return self.slope / (sd / math.sqrt(n))

    @property
    def gain_if_doubled(self) -> float:
        """Relative fall of the loss if the data doubled, extrapolating the slope: 1 - 2**slope."""
        return 1 - 2 ** self.slope

    def to_dict(self) -> dict:
        return {"sizes": self.sizes.tolist(), "losses": self.losses.mean(0).tolist(), "slope": self.slope,
                "slope_t": self.slope_t, "gain_if_doubled": self.gain_if_doubled}


def learning_curve_facts(curve) -> LearningCurveFacts | None:
    """From ``{n_train: loss or [loss per seed]}``; None when fewer than two usable sizes."""
    if not isinstance(curve, dict) or len(curve) < 2:
        return None
    try:
        rows = sorted((float(n), np.atleast_1d(np.asarray(v, dtype=float))) for n, v in curve.items())
    except (TypeError, ValueError):
        return None
    seeds = {r[1].shape[0] for r in rows}
    if len(seeds) != 1:
        return None
    sizes = np.array([r[0] for r in rows])
    losses = np.stack([r[1] for r in rows], axis=1)
    if not (np.all(sizes > 0) and np.all(np.isfinite(losses)) and np.all(losses > 0)) or np.any(np.diff(sizes) <= 0):
        return None
    k = min(3, sizes.shape[0])
    lx = np.log(sizes[-k:])
    ly = np.log(losses[:, -k:])
    lx_c = lx - lx.mean()
    slopes = (ly - ly.mean(1, keepdims=True)) @ lx_c / (lx_c @ lx_c)
    return LearningCurveFacts(sizes, losses, slopes)
