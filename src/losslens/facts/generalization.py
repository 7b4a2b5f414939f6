"""The validation minimum, the generalization gap and whether validation rises after its minimum."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .smoothing import median, noise_sigma, smooth
from .trend import ols_slope_t


@dataclass
class GeneralizationFacts:
    val_min_epoch: float | None     # axis value of the smoothed validation minimum
    val_min: float | None           # smoothed validation minimum
    val_best_epoch: float | None    # axis value of the raw minimum (what restore_best_weights restores)
    val_best: float | None          # the raw minimum
    val_rise: float                 # smoothed val(end) - val(min), metric units
    val_rise_noise: float           # val_rise in units of the validation noise
    val_rise_range: float           # val_rise as a fraction of val(0) - val(min)
    val_improvement_noise: float    # (val(0) - val(min)) in units of validation noise
    train_drop_after_val_min: float  # train's further drop after the val minimum, fraction of its range
    train_slope_t: float            # t-statistic of the train slope over the tail
    gap_end: float | None           # val - train at the end (smoothed)
    gap_at_val_min: float | None    # val - train at the validation minimum
    gap_growth_range: float         # (gap_end - gap_at_val_min) / val range
    rising_index: int | None        # index (in val's finite series) where rising starts
    train_best: float | None = None  # the training loss's raw minimum
    val_bounce: float = 0.0          # raw climb above the previous best just before the run's best (metric units)
    val_bounce_from: float | None = None  # axis values of that previous best and of the climb's peak
    val_bounce_peak: float | None = None
    train_rise_in_bounce: float = 0.0  # the training loss's own rise over that climb, fraction of its range
    val_below_share: float = 0.0     # share of validation points (inside training's span) below the training loss
    val_train_ratio_end: float | None = None  # smoothed val / smoothed train at the end
    # The smoothed training series (the gap's, on the same scale: a train_acc twin negated) at the validation
    # minimum, interpolated there, and at its own last point.
    train_at_val_min: float | None = None
    train_end: float | None = None


def generalization(xv, yv, xt, yt, missed: float = 0.0) -> GeneralizationFacts | None:
    """Facts from validation ``(xv, yv)`` and training ``(xt, yt)`` finite series (lower is better). ``missed``, in
    ``yv``'s units, is validation's fall before a late log's first point (optimizer.missed_improvement; 0 for a log
    from the start): the rise's and the gap's growth's shares of the improvement count it."""
    if yv is None or yv.shape[0] < 4:
        return None
    sv = smooth(yv)
    i = int(np.argmin(sv))
    # The rise is read off the median of the last quarter, so one late spike of a bouncing
    # curve is not taken for a sustained climb.
    k = max(1, yv.shape[0] // 4)
    rise = float(max(0.0, min(sv[-1], median(yv[-k:])) - sv[i]))
    rng = float(yv[0] - sv[i])
    # A noiseless curve still gets a tiny sd (relative to its own scale, never an absolute one).
    sig = max(noise_sigma(yv), 1e-9 * max(abs(float(sv[i])), abs(rng), 1e-300))
    improvement_noise = rng / sig
    # A resumed log read alone starts on its plateau: against the few points it fell there, a frozen curve's drift
    # is "the improvement" many times over (a Lightning MLP resumed at epoch 40 at lr 3.8e-6, val rose 3.35e-6 off
    # its first point 0.2307, 29 noise sds, read "overfitting 99%"; tests/fixtures/ecosystem/lightning_resume_late_
    # start). The fall before the log is part of what the rise undoes.
    if math.isfinite(missed):
        rng += missed
    train_drop = float("nan")
    train_t = float("nan")
    gap_end = gap_min = ratio_end = t_min = t_end = None
    growth = below_share = 0.0
    if yt is not None and yt.shape[0] >= 4:
        st = smooth(yt)
        t_at = np.interp(xv, xt, st)
        gap = sv - t_at
        gap_end, gap_min = float(gap[-1]), float(gap[i])
        t_min, t_end = float(t_at[i]), float(st[-1])
        trng = float(yt[0] - st.min())
        j = int(np.searchsorted(xt, xv[i]))
        j = min(j, yt.shape[0] - 1)
        train_drop = float((st[j] - st[-1]) / trng) if trng > 0 else 0.0
        k = max(4, yt.shape[0] // 4)
        train_t = ols_slope_t(xt[-k:], yt[-k:])[1]
        # (Validation best at its first check, the gap then growing: unbounded against no improvement, as the rise is.)
        growth = float((gap_end - gap_min) / rng) if rng > 0 else float("inf") if gap_end > gap_min else 0.0
        inside = (xv >= xt[0]) & (xv <= xt[-1])
        if inside.any():
            below_share = float(np.mean(yv[inside] < np.interp(xv[inside], xt, yt)))
        if t_at[-1] > 0 and sv[-1] >= 0:
            ratio_end = float(sv[-1] / t_at[-1])
    rising = i if i < yv.shape[0] - 1 else None
    b = int(np.argmin(yv))
    bounce, frm, peak, train_rise = _bounce(xv, yv, b, xt, yt)
    return GeneralizationFacts(float(xv[i]), float(sv[i]), float(xv[b]), float(yv[b]), rise, rise / sig,
                               rise / rng if rng > 0 else float("inf") if rise > 0 else 0.0,
                               improvement_noise, train_drop, train_t, gap_end, gap_min, growth, rising,
                               float(yt.min()) if yt is not None and yt.shape[0] else None,
                               bounce, frm, peak, train_rise, below_share, ratio_end, t_min, t_end)


def _bounce(xv, yv, b, xt, yt):
    """The raw validation curve's climb between its previous best and the run's best (index ``b``):
    ``(climb, axis of the previous best, axis of the peak, the training loss's rise over the climb
    as a fraction of its range)``. A curve that reached its best by bouncing (up far, then down
    below where it was) climbs a lot here; one that settled onto its floor, by its noise."""
    if b < 2:
        return 0.0, None, None, 0.0
    i = int(np.argmin(yv[:b]))
    p = i + int(np.argmax(yv[i:b + 1]))
    climb = float(yv[p] - yv[i])
    train_rise = 0.0
    if yt is not None and yt.shape[0] >= 4 and climb > 0:
        seg = yt[(xt >= xv[i]) & (xt <= xv[p])]
        trng = float(yt[0] - yt.min())
        if seg.shape[0] >= 2 and trng > 0:
            train_rise = float(max(0.0, seg.max() - seg[0]) / trng)
    return climb, float(xv[i]), float(xv[p]), train_rise
