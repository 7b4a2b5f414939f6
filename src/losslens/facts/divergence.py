"""Divergence: non-finite values after finite ones, or sustained growth above the start."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class DivergenceFacts:
    nonfinite_from: float | None  # first axis value where the loss became NaN/inf after being finite
    growth: float                 # (smoothed end - L(0)) / |L(0)|: > 0 means it ended above its start
    growth_noise: float           # the same rise in units of the noise


def divergence(axis: np.ndarray, raw: np.ndarray, s: np.ndarray, start: float, sigma: float) -> DivergenceFacts:
    """``raw`` is the series with NaN/inf kept; ``s`` the smoothed finite series."""
    finite = np.isfinite(raw)
    nonfinite_from = None
    if finite.any():
        idx = np.flatnonzero(finite)
        last = int(idx[-1])
        trailing = raw.shape[0] - 1 - last
        # Non-finite to the end is divergence; an early inf that training recovers from is not
        # (YOLO logs inf validation losses in its first epochs). Trailing NaN counts only when the
        # stretch is longer than any gap before it (validation every k epochs leaves gaps too).
        widest_gap = int(np.diff(idx).max()) - 1 if idx.shape[0] > 1 else 0
        if trailing >= 1 and (np.isinf(raw[last + 1:]).any() or (trailing >= 2 and trailing > widest_gap)):
            nonfinite_from = float(axis[last + 1])
    end = float(s[-1]) if s.shape[0] else start
    growth = (end - start) / abs(start) if start != 0 else 0.0
    growth_noise = (end - start) / sigma if sigma > 0 else (np.inf if end > start else 0.0)
    return DivergenceFacts(nonfinite_from, float(growth), float(growth_noise))
