"""Is the curve still going down at the end, and how straight is its descent?

The tail slope is an ordinary least-squares fit on the last quarter of the run; its
t-statistic uses the residual noise, inflated for lag-1 autocorrelation (the usual AR(1)
effective-sample-size correction), because epoch losses are not independent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .smoothing import median3

TAIL_FRACTION = 0.25
MIN_TAIL_POINTS = 4  # a slope's t needs a few degrees of freedom, however short the run
#: A tail whose fitted change over its length is under this share of its level moves only in the values' last
#: digits (a float64 has ~16; 1e-12 is thousands of ulps, far above any rounding, far below any learning): flat.
FLOAT_FLAT = 1e-12
#: A tail whose residuals from its line have a skewness above this bounces (Bulmer's "highly skewed"): its t is read
#: again on a running median of 3 (11760be5; the reasoning in tail_trend).
BOUNCE_SKEW = 1.0


@dataclass
class TrendFacts:
    tail_start: int            # index where the tail window starts
    slope: float               # per axis unit, in the metric's units
    slope_t: float             # t-statistic of the slope (negative: still falling)
    tail_drop: float           # smoothed drop over the tail window, as a fraction of L(0) - L*
    tail_drop_level: float     # the same drop as a fraction of the current level |L_end| (a score's: its
                               # distance below its ceiling, ``top - score``)
    early_share: float         # share of the whole drop achieved in the first quarter (1 = all early)
    total_drop_rel: float      # (L(0) - L_end) / |L(0)|: how far the run got, relative to where it began (a
                               # score's: its starting distance below its ceiling, ``top - score``)
    tail_drop_noise: float = float("nan")  # the smoothed tail drop in noise sds (drift against diffusion)
    end_rate: float = float("nan")         # slope over the last 10% (>= 3 points) / the tail's slope
    half_share: float = float("nan")       # share of the whole drop achieved in the first half (straight: ~0.5)
    slope_t_median3: float = float("nan")  # the tail slope's t on the curve's running median of 3 (see tail_trend)
    below_resolution: bool = False         # the tail moved under FLOAT_FLAT of its level: slope and t read 0


def tail_trend(x: np.ndarray, y: np.ndarray, s: np.ndarray, start: float, floor: float,
               tail_fraction: float = TAIL_FRACTION, noise: float | None = None, top: float = 0.0,
               offset_free: bool = False) -> TrendFacts:
    """Trend facts of ``y`` (smoothed ``s``) over its last ``tail_fraction``; ``noise`` is the
    curve's noise sd (metric units), for ``tail_drop_noise``. ``top``: a score's ceiling (``y`` is then
    ``-score``), whose distance below it is the level ``tail_drop_level`` is a fraction of. ``offset_free``: the
    loss has no zero point (:func:`losslens.facts.offset_free`), so its level is no yardstick: ``tail_drop_level``
    is a share of the improvement so far (``start`` less the smoothed end), and ``total_drop_rel`` is NaN (how far
    below its start a curve got says nothing where a change of units adds a constant to both)."""
    n = y.shape[0]
    k = max(MIN_TAIL_POINTS, int(round(n * tail_fraction)))
    k = min(k, n)
    t0 = n - k
    xt, yt = x[t0:], y[t0:]
    slope, t = ols_slope_t(xt, yt)
    # A slope whose whole change over the tail is float rounding is no trend, however straight: its t divides
    # by residuals of the same last-bit size. A HistGradientBoostingRegressor whose training MSE reached 1e-32
    # (nothing left to fit) kept validation at 0.21862633950282306-...2320, "1.1e-18/step, a steady rise
    # (t = 4.7)".
    with np.errstate(over="ignore", invalid="ignore"):
        span = float(abs(slope) * (xt[-1] - xt[0])) if k > 1 else 0.0
        lvl = float(np.max(np.abs(yt))) if k > 0 else 0.0
    below_resolution = bool(slope != 0 and np.isfinite(span) and np.isfinite(lvl) and span <= FLOAT_FLAT * lvl)
    if below_resolution:
        slope, t = 0.0, 0.0
    # Least squares weighs a validation curve that bounces (isolated points several times its level, one side
    # only) as if each bounce were the trend's noise: a 1-D CNN on unscaled random-walk levels, validation
    # 3.3-4.5 with bounces to 10.8 over its last quarter while training fell steadily (t = -5.9), read t = -2.98
    # and "converged"; twice the epochs ended 11.6% lower. A running median of 3 drops an isolated bounce, and
    # the t read on it (AR(1)-corrected like the raw one) is the diagnosis's second reading of the same slope.
    # Only where the tail does bounce: its residuals from the line highly skewed to the worse side (skewness > 1,
    # Bulmer's "highly skewed"; 1.21 there), on a tail of at least twice the minimum. Elsewhere the medians only
    # trade noise for ties: a Keras tail of 4, 0.371 0.376 0.359 0.357 (t = -2.0), read -5.3 on its medians, and
    # a scikit-learn accuracy moving in steps of 1/180 (skewness 0.0) read 3.1 against 2.0.
    t_med3 = float("nan")
    if k >= 2 * MIN_TAIL_POINTS:
        with np.errstate(over="ignore", invalid="ignore"):
            r = yt - yt.mean() - slope * (xt - xt.mean())
            largest = float(np.max(np.abs(r))) if np.isfinite(r).all() else 0.0
            r = r / largest if largest > 0 else r * 0.0  # (skewness is scale-free: 1e103 cubed overflows)
            m2 = float(np.mean(r ** 2))
            if m2 ** 1.5 > 0 and float(np.mean(r ** 3)) / m2 ** 1.5 > BOUNCE_SKEW and not below_resolution:  # (a flat line's residuals underflow)
                t_med3 = ols_slope_t(xt, median3(y)[t0:])[1]
    rng = start - floor
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        tail_drop = float((s[t0] - s[-1]) / rng) if k > 1 and rng > 0 else 0.0
    # A score's level is its error, the distance below its ceiling (1 - R², 1 - accuracy), as the forecast
    # reads it: R² itself has no scale (near 0 any creep is a large share of it). A diabetes MLPRegressor's
    # val R² crept 0.437 -> 0.460 over its last quarter, "5.1% of the current level" where 1 - R² fell 4.3%;
    # trained on to twice its iterations 1 - R² ended 0.5403 -> 0.5390.
    level = s[-1] + top
    if offset_free:
        # The walker's Gaussian NLL shifted by -ln 10 / 0 / +ln 10 / +ln 1000 (y in other units), its first 20-35
        # epochs: its last quarter's fall was 9% of the level at one shift and under 1% at another.
        level = max(start - s[-1], 0.0)
    tail_drop_level = float((s[t0] - s[-1]) / abs(level)) if k > 1 and level != 0 else 0.0
    q = max(1, int(round(n * 0.25)))
    total = start - s[-1]
    early_share = float((start - s[q]) / total) if total > 0 else float("nan")
    half_share = float((start - s[n // 2]) / total) if total > 0 else float("nan")
    # A score's too: how much of its starting error it closed (scikit-learn's MLP at Adam 1e-4, val_acc 0.075 ->
    # 0.158 on 120 samples: 9% of the way to 1, not "111% above its start", which read as far from a crawl).
    begun = start + top
    total_drop_rel = float(total / abs(begun)) if begun != 0 and not offset_free else float("nan")
    drop = float(s[t0] - s[-1]) if k > 1 else 0.0
    if noise is None or not noise > 0:
        tail_drop_noise = float("inf") if drop > 0 else 0.0
    else:
        tail_drop_noise = drop / noise
    # Has the descent kept its pace to the very end, or just flattened (a schedule's cooldown
    # ending, a floor reached)? Ratio of the last 10%'s slope (raw points, >= 3: a smooth would
    # blur a flattening of the last few) to the tail's, counted only where the end is
    # significantly shallower than the tail (t > 2 on the end slope's own error); a few noisy
    # points that merely look flatter keep the ratio at 1.
    m = min(n, max(3, int(round(n * 0.1))))
    xe, ye = x[n - m:], y[n - m:]
    end_slope, _ = ols_slope_t(xe, ye)
    end_rate = float(end_slope / slope) if slope < 0 else float("nan")
    if slope < 0 and end_rate < 1:
        # Shallower beyond the noise? The end slope's error from the curve's own noise sd (a
        # 3-point fit's residuals have one degree of freedom); an exactly flat end counts.
        xec = xe - xe.mean()
        sxx = float(xec @ xec)
        sd = noise if noise is not None and noise > 0 else 0.0
        se = sd / np.sqrt(sxx) if sxx > 0 else np.inf
        if not (end_slope - slope > 2 * se):
            end_rate = 1.0
    return TrendFacts(t0, slope, t, tail_drop, tail_drop_level, early_share, total_drop_rel, tail_drop_noise,
                      end_rate, half_share, t_med3, below_resolution)


def ols_slope_t(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """OLS slope of ``y`` on ``x`` (shapes (n,), units of y per axis unit) and its t statistic, the standard error
    inflated by (1 + r1) / (1 - r1) for lag-1 autocorrelation r1 of the residuals (clipped to [0, 0.9]): the
    effective-sample-size correction for AR(1) errors (Wilks, *Statistical Methods in the Atmospheric
    Sciences*); neighbouring epochs of a training curve are not independent draws.
    ``(0, 0)`` under 3 points or with no spread in x; an exact line gives t = +-inf."""
    n = x.shape[0]
    if n < 3:
        return 0.0, 0.0
    xc = x - x.mean()
    sxx = float(xc @ xc)
    if sxx <= 0:
        return 0.0, 0.0
    slope = float(xc @ (y - y.mean()) / sxx)
    resid = y - y.mean() - slope * xc
    dof = n - 2
    s2 = float(resid @ resid) / dof
    if s2 <= 0:
        return slope, -np.inf if slope < 0 else (np.inf if slope > 0 else 0.0)
    r1 = float(resid[1:] @ resid[:-1] / (resid @ resid)) if n > 3 else 0.0
    r1 = min(max(r1, 0.0), 0.9)
    inflate = (1 + r1) / (1 - r1)
    se = np.sqrt(s2 * inflate / sxx)
    return slope, float(slope / se)


def t_text(v: float) -> str:
    """A t statistic for people: one decimal, or 2 significant digits where a noise-free curve (residual sd ~ 0) or
    seeds that agree to the last digit make it astronomically large (1.2e+07, not 12000000.0)."""
    out = f"{v:.1f}" if abs(v) < 1e4 else f"{v:.1e}"
    return "0.0" if out == "-0.0" else out  # a flat tail (negated for a score) is not "-0"
