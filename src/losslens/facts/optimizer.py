"""What the optimizer's own logs say: the lr schedule, oscillation, gradient-norm decay and each layer's gradient."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .smoothing import difference_noise, median, residuals, robust_sd
from .trend import MIN_TAIL_POINTS, ols_slope_t


@dataclass
class OptimizerFacts:
    lr_schedule: str | None       # "constant", "decayed", "warmup", "restarts", "varying" or None when not logged
    lr_ratio: float | None        # last lr / max lr
    lr_last: float | None         # the last logged lr
    oscillation: float            # tail noise / (L(0) - L*): how hard the curve bounces at its floor
    tail_noise: float             # robust std of the tail residuals, metric units
    grad_norm_ratio: float | None  # median grad norm early / late (40 = fell 40x)
    grad_norm_early: float | None
    grad_norm_late: float | None
    grad_norm_peak: float | None = None     # the largest finite grad norm logged
    grad_norm_peak_at: float | None = None  # its axis value
    grad_norm_rise: float | None = None     # that peak / the early median (200 = rose 200x: exploding)
    lr_peak: float | None = None            # the largest logged lr (a schedule that ends at 0 still has one)
    lr_falling: bool = False                # the last 3 logged rates each fell (by > 0.1% of the one before)
    lr_rising: bool = False                 # ... each rose: a warm-up still under way when the log ends
    lr_first: float | None = None           # the first logged lr
    lr_zero_from: float | None = None       # axis value from which every logged lr to the end is <= ZERO_LR x the
                                            # peak (0 itself, most often); None where the last one is above it
    lr_next: float | None = None            # where lr_falling: the last lr less the last step's fall, the decay
                                            # carried one logged step on (<= 0: it reaches 0 there, as a cosine or
                                            # linear decay to 0 logged during each epoch does); None otherwise


@dataclass
class LrPhases:
    """A curve read against the lr schedule that trained it: the stretch where the lr was near its peak
    (at least half of it) and the annealed stretch after it. Slopes are per unit of lr-time, the lr
    integrated over the axis and divided by its peak (axis units at the peak rate): per unit of lr-time a
    descent the step size sets keeps its pace when the schedule slows it, and only a loss landscape's
    floor (or the step's own noise, which annealing removes) changes it."""
    peak_from: float         # axis value where the lr first reached half its peak (after any warm-up)
    peak_to: float           # the last axis value at >= half its peak; the annealed stretch follows it
    peak_points: int         # metric points in the peak stretch ...
    annealed_points: int     # ... and after it
    peak_slope: float        # the late half of the peak stretch: metric per unit of lr-time ...
    peak_slope_t: float      # ... and its t (negative: still falling while the lr was high)
    annealed_slope: float    # the annealed stretch: the same
    annealed_slope_t: float
    annealed_drop: float     # smoothed metric at the peak stretch's last point minus at the end
    peak_level: float        # median of the peak stretch's late half: the level the peak lr held
    end_level: float         # the smoothed metric at the end
    peak_noise: float        # point noise sd over the peak stretch (second differences: blind to its trend)

    @property
    def pace_ratio(self) -> float:
        """Annealed slope / late-peak slope, per unit of lr-time (1: the same pace; NaN: no descent at the peak)."""
        return self.annealed_slope / self.peak_slope if self.peak_slope < 0 else float("nan")


class DecayPace(NamedTuple):
    """A curve read against its lr-time (the logged lr summed over the axis, divided by its peak, so in axis units
    at the peak rate; each logged rate counts for the stretch that ends at its own point, the steps a loop took at
    the rate it logs before measuring the metric there): what its smooth fell per unit of lr-time over the whole
    run and over the later half of the run's lr-time. A step too small to get near a floor lowers the loss in
    proportion to the steps taken, so against lr-time it falls in a line whatever the schedule did to the axis;
    one nearing a floor falls slower per unit of lr as it goes. Read where :func:`lr_phases` cannot split the run
    (a decay too fast to leave points at half the peak)."""
    drop: float         # the smooth's first point minus its last, metric units
    pace_ratio: float   # the fall per unit of lr-time from the first point past half the run's lr-time to the end,
                        # over that from the first point (1: a line; NaN: no fall). An exponential approach to a
                        # floor, L* + A exp(-k tau) over lr-time T, gives 2 (e^(-kT/2) - e^(-kT)) / (1 - e^(-kT)):
                        # 0.8 at kT = 0.8, 0.5 at kT = 2.2
    late_slope_t: float  # OLS t of the points past half the lr-time against it (negative: still falling there)
    late_points: int
    lr_time: float      # the run's whole lr-time: axis units at the peak rate the run's steps add up to
    tenth_at: float     # the axis value where the lr first fell to 1/10 of its peak or below
    peak_points: int = 0  # metric points measured while the lr still sat at its peak, before its first cut
    past_peak_fall: float = float("nan")  # the lowest of those (raw) minus the lowest point after them, metric
                                          # units: > 0 where the fall went on past the peak stretch; NaN without
                                          # points on both sides
    span: float = float("nan")     # the lr-time from the curve's first point to its last (the whole run's pace's)
    before: float = float("nan")   # the lr-time the run's steps took before the curve's first point


def _lr_time(lr: np.ndarray | None, lr_axis: np.ndarray | None, rule: str = "trapezoid") -> tuple | None:
    """``(axis, lr, lr_time, peak)``: the logged lr's finite points in axis order, their lr-time at each point (the
    lr summed over the axis, divided by the peak lr: axis units at the peak rate) and that peak; None without two
    finite points, a positive peak, or with a negative lr.

    ``rule="trapezoid"`` starts at 0 on the first point and counts each interval at the mean of its two ends: what
    :func:`lr_phases` compares slopes on, within stretches where the lr is known at both ends. ``rule="rectangle"``
    counts each logged rate for the stretch ending at its own point (the first for one spacing before it), the
    steps a loop took at the rate it logs before measuring the metric there: what :func:`decay_pace` needs, whose
    ratio is of paces from the run's first point (the trapezoid put a digits MLP whose loss fell exactly in step
    with its logged rates at 81% of its pace for 100%)."""
    if lr is None or lr_axis is None or lr.shape != lr_axis.shape:
        return None
    ok = np.isfinite(lr) & np.isfinite(lr_axis)
    if ok.sum() < 2:
        return None
    ax, lv = lr_axis[ok], lr[ok]
    order = np.argsort(ax, kind="stable")
    ax, lv = ax[order], lv[order]
    top = float(lv.max())
    if not top > 0 or lv.min() < 0:
        return None
    if rule == "rectangle":
        return ax, lv, np.cumsum(lv * np.diff(ax, prepend=2 * ax[0] - ax[1])) / top, top
    return ax, lv, np.concatenate([[0.0], np.cumsum(0.5 * (lv[1:] + lv[:-1]) * np.diff(ax))]) / top, top


#: decay_pace: the decay has begun where the lr is first at most this share of its peak, sought from the peak on
#: (a warm-up's first rates sit under it too; dfd3887, b06ef46).
PACE_LOW_LR = 0.1
#: A logged rate that differs from the peak's by less than this share of it is the peak's rate: float rounding, no
#: change (bc04eb8: a decay in steps changes it at few points; ae6716a: the stretch the peak held).
LR_SAME = 1e-9


def decay_pace(lr: np.ndarray | None, lr_axis: np.ndarray | None, x: np.ndarray, y: np.ndarray,
               s: np.ndarray) -> DecayPace | None:
    """The curve ``(x, y)`` (lower is better; ``s`` its smooth) against lr-time (:class:`DecayPace`); None without
    a logged lr that fell to 1/10 of its peak or below and stayed there, that changed fewer than ``MIN_TAIL_POINTS``
    times after its peak (a decay in steps), or with fewer than ``MIN_TAIL_POINTS`` points past half the lr-time or 2
    before it."""
    got = _lr_time(lr, lr_axis, rule="rectangle")
    if got is None:
        return None
    ax, lv, cum, top = got
    # From the peak on: a warm-up's first rates sit under 1/10 of the peak before the decay has begun.
    peak = int(np.argmax(lv))
    low = peak + np.flatnonzero(lv[peak:] <= PACE_LOW_LR * top)
    if low.size == 0 or not (lv[low[0]:] <= PACE_LOW_LR * top).all():
        return None
    # A decay in steps (MultiStepLR's two milestones) is no line to read a pace along: the fall at each cut is the
    # spread narrowing at the smaller rate, in almost no lr-time, and it read as a pace per unit of lr the later
    # half kept (a Lightning MLP bouncing at 0.15, cut to 0.015 and 0.0015, flat at 0.093 for 16 epochs: "lr too
    # low, 117% of the whole run's pace"). A gradual decay changes the rate at most points.
    if np.count_nonzero(np.abs(np.diff(lv[peak:])) > LR_SAME * top) < MIN_TAIL_POINTS:
        return None
    tau = np.interp(x, ax, cum)
    late = tau > 0.5 * cum[-1]
    if late.sum() < MIN_TAIL_POINTS or (~late).sum() < 2:
        return None
    half = int(np.argmax(late))
    drop, late_drop = float(s[0] - s[-1]), float(s[half] - s[-1])
    span, late_span = float(tau[-1] - tau[0]), float(tau[-1] - tau[half])
    ratio = (late_drop / late_span) / (drop / span) if drop > 0 and late_span > 0 else float("nan")
    # The stretch the peak rate held, up to its first cut: the metric logged at a point was measured after steps at
    # the rate logged there, so a point belongs to the peak while its own rate is the peak's.
    cut = peak + int(np.argmax(np.r_[lv[peak:] < top * (1 - LR_SAME), True]))
    at_peak = (x >= ax[peak]) & (x <= ax[cut - 1])
    after = x > ax[cut - 1]
    fall = float(np.min(y[at_peak]) - np.min(y[after])) if at_peak.any() and after.any() else float("nan")
    return DecayPace(drop, ratio, ols_slope_t(tau[late], y[late])[1], int(late.sum()), float(cum[-1]),
                     float(ax[low[0]]), int(at_peak.sum()), fall, span, float(tau[0]))


class PeakClimb(NamedTuple):
    """The metric's largest climb off its own running best while the logged lr was at its peak (the stretch from the
    first point at ≥ half the peak lr, as long as it stays there), on the lower-is-better scale, and what came after
    the lr left that stretch. A step too small follows the gradient down and moves off its best by its noise at
    most; a step that throws the weights climbs off it."""
    climb: float        # the largest rise above the running best within the stretch, metric units
    climb_from: float   # axis value of the running best it rose from ...
    climb_peak: float   # ... and of the top of that rise
    peak_from: float    # the first axis value at ≥ half the peak lr
    from_level: float   # the running best's value there
    peak_to: float      # the last axis value at ≥ half the peak lr
    best_after: float   # the lowest value after the stretch (inf where none was logged)


#: An lr at or above this share of its logged peak is at the peak (the stretch a schedule held high: f63c8fc,
#: b233911); one that ends under it annealed (lr_schedule's "decayed", peak_lr_relapse's cut). 71c31f1's
#: "decayed" first; no measurement recorded.
PEAK_SHARE = 0.5


def _at_peak(got: tuple, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The logged lr at each point of ``x`` (``got``: :func:`_lr_time`'s axis, rates, lr-time and peak) and the
    indices of the points at ``PEAK_SHARE`` of the peak or more: the stretch at the peak that :func:`peak_climb` and
    :func:`lr_phases` each read."""
    ax, lv, _, top = got
    at = np.interp(x, ax, lv)
    return at, np.flatnonzero(at >= PEAK_SHARE * top)


def peak_climb(lr: np.ndarray | None, lr_axis: np.ndarray | None, x: np.ndarray, y: np.ndarray) -> PeakClimb | None:
    """The curve ``(x, y)`` (lower is better) at the logged lr's peak (:class:`PeakClimb`); None without a logged lr,
    where it never fell below half its peak after reaching it, or with fewer than 2 points in the stretch or none
    after it. Each logged rate is the one the steps took before the metric was measured at its point (as
    :func:`decay_pace` counts it), so a point belongs to the stretch where its own logged rate is ≥ half the peak."""
    got = _lr_time(lr, lr_axis, rule="rectangle")
    if got is None:
        return None
    top = got[3]
    at, high = _at_peak(got, x)
    if high.size == 0:
        return None
    a = int(high[0])
    below = np.flatnonzero(at[a:] < PEAK_SHARE * top)
    if below.size == 0:
        return None
    b = a + int(below[0])  # the first point past the stretch
    if b - a < 2 or b >= y.shape[0]:
        return None
    seg = y[a:b]
    best = np.minimum.accumulate(seg)
    rise = seg - best
    k = int(np.argmax(rise))
    j = int(np.flatnonzero(seg[:k + 1] == best[k])[0])
    return PeakClimb(float(rise[k]), float(x[a + j]), float(x[a + k]), float(x[a]), float(best[k]), float(x[b - 1]),
                     float(np.min(y[b:])))


#: lr_phases asks for 2 x MIN_TAIL_POINTS points at the peak, so a run of SPARSE_RUN_POINTS (diagnosis'
#: shape_min_points, the fewest annealed_early reads) needs 40% of them there. A run logged under SPARSE_RUN_POINTS
#: times is held to that share instead, with at least SPARSE_PEAK_POINTS (a t of 1 dof on its late half): thinning a
#: log keeps the schedule's shares, not its counts. The same tiny GPT-2 (warm-up + linear decay to 0 over 200 steps,
#: tests/fixtures/ecosystem/hf_gpt2_eval_steps) evaluated every 5 / 10 steps held 20 / 10 points at the peak and read
#: lr_too_low (10x the peak ended 9.6% lower, the decay over 400 steps 22%); every 20 steps it held 5 of its 10 and
#: was never split (read still_improving): split, its late peak t -11.5, annealed t -13.7, pace 0.50, as denser.
SPARSE_RUN_POINTS = 20
SPARSE_PEAK_POINTS = 5


def _peak_long_enough(peak: int, n: int) -> bool:
    """Enough of ``n`` points at the peak lr (``peak`` of them) to read its pace: see :data:`SPARSE_RUN_POINTS`."""
    if peak >= 2 * MIN_TAIL_POINTS:
        return True
    return n < SPARSE_RUN_POINTS and peak >= SPARSE_PEAK_POINTS \
        and peak * SPARSE_RUN_POINTS >= 2 * MIN_TAIL_POINTS * n


def lr_phases(lr: np.ndarray | None, lr_axis: np.ndarray | None, x: np.ndarray, y: np.ndarray,
              s: np.ndarray) -> LrPhases | None:
    """Split the curve ``(x, y)`` (lower is better; ``s`` its smooth) where a logged lr decayed once:
    the stretch at >= half the peak lr, the stretch after it. None without a logged lr, where it did not
    fall below half its peak, where it rose back to half its peak after falling below it (cycles, warm
    restarts: no single anneal), or with fewer than 2 x ``MIN_TAIL_POINTS`` points at the peak or
    ``MIN_TAIL_POINTS`` after it. The lr is read at the curve's own points (interpolated: a validation
    loss logged beside an lr of every step), its integral over the run's axis is the lr-time."""
    got = _lr_time(lr, lr_axis)
    if got is None:
        return None
    ax, _, cum, _ = got
    _, high = _at_peak(got, x)
    if high.size == 0:
        return None
    a, b = int(high[0]), int(high[-1])
    n = y.shape[0]
    if (b - a + 1) != high.size or n - 1 - b < MIN_TAIL_POINTS or not _peak_long_enough(b - a + 1, n):
        return None
    tau = np.interp(x, ax, cum)
    late = slice(a + (b - a + 1) // 2, b + 1)
    after = slice(b + 1, n)
    ps, pt = ols_slope_t(tau[late], y[late])
    an, at_ = ols_slope_t(tau[after], y[after])
    return LrPhases(float(x[a]), float(x[b]), b - a + 1, n - 1 - b, ps, pt, an, at_,
                    float(s[b] - s[-1]), float(median(y[late])), float(s[-1]), difference_noise(y[a:b + 1]))


#: lr_schedule: a logged lr whose largest value is within this factor of its smallest is constant ...
CONSTANT_LR_FACTOR = 1.01
#: ... and one that rose to its peak and ends above this share of it is a warm-up (71c31f1; no measurement
#: recorded).
WARMUP_END = 0.9


#: warm_restarts: a restart is one logged step that takes the lr from under PEAK_SHARE of its peak to at least this
#: many times its value and back to PEAK_SHARE or more, after the lr had been there before (a decay, then a jump back:
#: SGDR's CosineDecayRestarts / CosineAnnealingWarmRestarts). A warm-up's first step from a tiny rate had no decay
#: before it; a cyclical schedule logged finely climbs back over several steps, none of them 2x.
RESTART_JUMP = 2.0


def warm_restarts(lr: np.ndarray | None) -> tuple[int, ...]:
    """Indices into ``lr`` (NaN where not logged) of the rows where it jumped back up after a decay
    (:data:`RESTART_JUMP`), in order; ``()`` without a usable lr or a restart."""
    if lr is None:
        return ()
    rows = np.flatnonzero(np.isfinite(lr))
    if rows.shape[0] < 3:
        return ()
    lv = lr[rows]
    top = float(lv.max())
    if top <= 0:
        return ()
    high = lv >= PEAK_SHARE * top
    return tuple(int(rows[i]) for i in range(2, lv.shape[0])
                 if high[i] and not high[i - 1] and lv[i] >= RESTART_JUMP * lv[i - 1] and high[:i - 1].any())


def lr_schedule(lr: np.ndarray | None) -> tuple[str | None, float | None]:
    """The logged lr's shape, ``("constant" | "decayed" | "warmup" | "restarts" | "varying", last lr / peak lr)``,
    or ``(None, None)`` without a usable lr."""
    if lr is None:
        return None, None
    restarts = warm_restarts(lr)
    lr = lr[np.isfinite(lr)]
    if lr.shape[0] < 2 or lr.max() <= 0:
        return None, None
    top = float(lr.max())
    ratio = float(lr[-1] / top)
    if lr.max() <= lr.min() * CONSTANT_LR_FACTOR:
        return "constant", ratio
    if restarts:
        return "restarts", ratio
    peak = int(np.argmax(lr))
    if ratio < PEAK_SHARE:
        return "decayed", ratio
    if peak > 0 and ratio > WARMUP_END:
        return "warmup", ratio
    return "varying", ratio


class CycleEnds(NamedTuple):
    """A curve read at the ends of a warm-restart schedule's cycles (:func:`cycle_ends`), each end the better of
    the two points about the restart (a loop that logs the rate it trained at logs the restart on the first
    epoch of the new cycle; Keras' ``optimizer.learning_rate`` read at an epoch's end, on the last of the old):
    ``at`` their axis values and ``values`` the curve there, in order, the last one at the run's end where the run
    ended a cycle (its last rate within ``RESTART_JUMP`` of the lowest an earlier cycle reached), else the last
    restart's; ``start``, the curve's first point; ``ended``: whether the run ended at a cycle's end; ``restarts``,
    the lr axis values of the restarts' rows; ``lr_share``, the last logged lr over the last restart's (the share of
    its cycle's peak the run ended at, 1 or near it where it was cut just after a restart)."""
    at: tuple
    values: tuple
    start: float
    ended: bool
    restarts: tuple = ()
    lr_share: float | None = None


def cycle_ends(lr: np.ndarray | None, lr_axis: np.ndarray | None, x: np.ndarray, y: np.ndarray) -> CycleEnds | None:
    """The curve ``y`` (on axis ``x``, lower is better) at each warm restart's cycle end (:class:`CycleEnds`);
    None without a restart or where the lr and the curve share no row."""
    if lr is None or lr_axis is None or lr.shape != lr_axis.shape:
        return None
    restarts = warm_restarts(lr)
    if not restarts or y.shape[0] < 3:
        return None
    at, values = [], []

    def end(*axis_values):
        pos = [int(i) for i in np.flatnonzero(np.isin(x, axis_values))]
        if pos:
            best = min(pos, key=lambda i: y[i])
            at.append(float(x[best]))
            values.append(float(y[best]))

    for r in restarts:
        end(lr_axis[r - 1], lr_axis[r])
    rows = np.flatnonzero(np.isfinite(lr))
    low = float(np.min(lr[rows[rows < restarts[-1]]]))
    last = int(rows[-1])
    # The run ended a cycle: its last row is a restart's (Keras), or its rate had come down as far as an earlier
    # cycle's did; either way only where the curve was read at that last row.
    ended = float(x[-1]) == float(lr_axis[last]) and (last == restarts[-1] or lr[last] <= RESTART_JUMP * low)
    if ended and last != restarts[-1]:
        end(lr_axis[last])
    if not values:
        return None
    peak = float(lr[restarts[-1]])
    return CycleEnds(tuple(at), tuple(values), float(y[0]), bool(ended), tuple(float(lr_axis[r]) for r in restarts),
                     float(lr[last]) / peak if peak > 0 else None)


def oscillation(y: np.ndarray, tail_start: int, improvement: float) -> tuple[float, float]:
    """Robust std of the tail residuals, and that as a fraction of the curve's improvement."""
    if y.shape[0] - tail_start < 3:
        return 0.0, 0.0
    sd = robust_sd(residuals(y)[tail_start:])
    return (sd / improvement if improvement > 0 else float("inf") if sd > 0 else 0.0), sd


class Spikes(NamedTuple):
    """What :func:`spikes` found: ``every`` scanned point above the trend as ``(index, sds, share)`` (its jump in
    noise sds and as a fraction of the curve's improvement), in index order; ``points``, the number of points the
    caller's bar rises with (the second half's); ``top``, the position in ``every`` of the largest jump in the
    loss's units (None where there is none)."""
    every: tuple
    points: int
    top: int | None = None

    @property
    def largest(self) -> tuple[int | None, float, float]:
        """``(index, sds, share)`` of the largest jump; ``(None, 0.0, 0.0)`` where none was found. (Chosen in the
        loss's units, not by either ratio: sds are against two noise levels, and a share of an improvement not
        known, ``inf``, is 0 for all.)"""
        return (None, 0.0, 0.0) if self.top is None else self.every[self.top]


def spikes(y: np.ndarray, improvement: float, plateau: int | None = None) -> Spikes:
    """Every upward jump above the trend of ``y`` (shape (n,)) from its plateau on, in noise sds and as a fraction
    of the curve's improvement (:class:`Spikes`: its ``largest`` is the one the caller's bar reads, ``every`` counts
    spikes); none for fewer than 20 points or a curve that barely improved (< 3 noise sds: a percentage of nothing
    says nothing). Loss
    spikes in an epoch-mean training loss are the signature of an unstable step (Wortsman et al. 2023,
    "Small-scale proxies for large-scale Transformer training instabilities").

    Scanned from ``plateau`` (the curve's X, where its smooth made 95% of its improvement: the index of
    :func:`~losslens.facts.plateau.plateau_onset`; None: the second half alone), or from the second half where X
    comes later: a spike off the plateau is as unstable in the first half as in the second (DeepOBS svhn_wrn164,
    Adam 0.016: training loss 0.55 -> 11.4 -> 0.62 at epochs 42-44 of 160, test loss 13.2, unread while only the
    second half was scanned, and read converged). Not before X: a curve still coming down rings and bumps on the
    way without a step too large for a minimum it has not reached (scanned from 70% of the improvement on, one
    spike enough, DeepOBS' noisy quadratic under momentum 0.99, 354 -> 139 -> 218 -> 138 -> 170 ... in its first
    13 epochs, then down to its noise floor, read lr_too_high; so did a Keras RNN whose training loss bumped
    0.18 -> 0.27 at epoch 9 of 20 and fell to 0.0003). ``m`` stays the second half's count, the bar as it was:
    the stretch before it is measured against the larger noise instead (below).

    The trend is a running median of 5 (ends mirrored, so a spike at the last point shows): it
    keeps a cliff (a sudden drop) as a cliff, where a moving average would leave the points
    before it above the trend (Tukey's median smoothing). The noise sd comes from second
    differences (MAD / sqrt(6), as the forecast's): unbiased on white noise, blind to a slow trend and to the
    spikes themselves; that of the second half, and for a point before it the larger of that and the noise of
    the stretch it lies in (a loss still coming down is noisier than at its floor).
    """
    n = y.shape[0]
    half = n // 2
    lo = half if plateau is None else max(1, min(int(plateau), half))
    m = n - half
    if n < 20:
        return Spikes((), m)
    noise = difference_noise(y[half:])
    if not noise > 0 or not improvement > 3 * noise:
        return Spikes((), m)
    pad = np.concatenate([y[2:0:-1], y, y[-2:-4:-1]])
    med = np.median(np.lib.stride_tricks.sliding_window_view(pad, 5), axis=1)
    sd = np.full(n, noise)
    sd[lo:half] = max(noise, difference_noise(y[lo:half]))
    jump = (y - med)[lo:]
    up = np.flatnonzero(jump > 0)
    if not up.size:
        return Spikes((), m)
    return Spikes(tuple((int(lo + k), float(jump[k] / sd[lo + k]), float(jump[k] / improvement)) for k in up), m,
                  int(np.searchsorted(up, np.argmax(jump))))


def missed_improvement(y: np.ndarray, late: bool) -> float:
    """The improvement a log that starts late (its first epochs missing: a resumed fit read alone, the readers'
    ``starts_at_epoch``) had made before its first point, in the units of ``y`` (lower is better, shape (n,)):
    0 for a log that starts where training did. The descent before it is not in the log; a loss (≥ 0) fell to
    its first value from higher, and that first value stands in for the fall (a resume's first loss is
    typically well under half its start: the digits MLP resumed at epoch 8, 1.83 -> 0.35, fell 4.2x its
    first value; Lightning's at epoch 7, 1.98 -> 0.20, 9x). Without it the share of "the improvement" a
    bounce or jump is measures against the few points of a plateau the log starts on: a W&B run resumed at
    epoch 8 bounced 0.335-0.378, "4.3x the improvement made by then" of 0.0055, 0.3% of its real 1.5.
    ``inf`` (not known) for a late log of a score or a loss below 0, whose start cannot be bounded so."""
    if not late or not y.size:
        return 0.0
    return float(y[0]) if float(np.min(y)) >= 0 else math.inf


#: jumps: a jump counts off a best the curve had reached: above it by this many noise sds, the best itself this many
#: noise sds below the start ...
JUMP_NOISE = 5.0
#: ... and at least this share of the start below it (a flat curve's 0.001 improvement makes any wiggle "twice the
#: improvement"; 0217f5f).
JUMP_MIN_GAIN = 0.01


def jumps(y: np.ndarray, share: float = 0.5, missed: float = 0.0) -> tuple[tuple[int, float, float, bool], ...]:
    """The points of ``y`` (lower is better, shape (n,)) that jump off the best the curve had reached before them
    and come back: ``(index, excess, excess / improvement so far, came_back)`` for each point whose excess is
    ``>= share`` of the improvement made by then (``missed`` plus ``y[0]`` minus the running best before it, itself
    ≥ 5 noise sds and ≥ 1% of ``|y[0]|``; ``missed``, in ``y``'s units, is the improvement made before the log's
    first point, :func:`missed_improvement`: none for a log from the start, and ``inf`` where it cannot be known,
    which leaves no jump) and ``>= 5`` noise sds, the noise being :func:`difference_noise` of the other points
    from the first that improved on the start (a few outliers do not set their own bar; 0, no bar, where fewer
    than 4 are left to measure it). The excess of an inner point is its height above the larger of that best and
    the point after it, so a curve that climbs and stays (overfitting, a blow-up) has none; the last point, which
    cannot have come back yet, is measured against the larger of the best and the point before it, which must
    itself sit nearer the best than that (``came_back`` False).

    A step too large throws the weights off the minimum they reached, and the next evaluations show the loss
    back down: a Keras SGD at lr 1.2 on digits (fixture keras_sgd_spikes) had validation 0.55 -> 8.63 -> 0.21
    -> 2.77 -> 0.13 in its first 8 epochs, a level of 0.08 by epoch 12. Where in the run the jumps fall does
    not matter, once the curve had improved."""
    y = np.asarray(y, dtype=float)
    n = y.shape[0]
    if n < 3 or not math.isfinite(missed):
        return ()
    best = np.minimum.accumulate(y)
    before = np.concatenate([[y[0]], best[:-1]])
    gained = missed + y[0] - before
    # An inner point against the point after it (came back?); the last against the point before it: a curve that
    # climbed over many points ends far above its best without a jump.
    nxt = np.concatenate([y[1:], y[-2:-1]])
    excess = y - np.maximum(before, nxt)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(gained > 0, excess / np.where(gained > 0, gained, 1.0), 0.0)
    hit = (gained > 0) & (rel >= share)
    hit[0] = False
    # The last point jumps from a level only where the point before it sat nearer the best than the jump is high:
    # a validation loss climbing for epochs (overfitting) ends with a step no larger than its climb.
    hit[-1] &= y[-2] - before[-1] <= excess[-1]
    if not hit.any():
        return ()
    # (From the first point that improved on the start: a climb before any improvement is no noise around a level.)
    noise = difference_noise(y[int(np.argmax(gained > 0)):][~hit[int(np.argmax(gained > 0)):]])
    # Off a best the curve had reached, not off the start's noise: improved by ≥ 5 noise sds and ≥ 1% of its start
    # (a flat curve's 0.001 improvement makes any wiggle "twice the improvement").
    hit &= (excess >= JUMP_NOISE * noise) & (gained >= JUMP_NOISE * noise) \
        & (gained >= JUMP_MIN_GAIN * abs(y[0] + missed))
    return tuple((int(i), float(excess[i]), float(rel[i]), bool(i < n - 1)) for i in np.flatnonzero(hit))


#: peak_lr_relapse: a rate within this share of the peak's is still the peak's (c649e0a: a warm-up's end, a
#: schedule's first cut).
AT_PEAK_RATE = 0.999


def peak_lr_relapse(lr: np.ndarray | None, loss: np.ndarray | None, axis: np.ndarray,
                    late: bool = False) -> tuple | None:
    """The training loss going back up while a schedule still held the lr at its peak, before its
    first cut: ``(rise share, running best, peak value, peak axis, cut axis)`` -- the largest rise
    above the running minimum over the stretch's improvement so far -- or None (no logged schedule
    that cut the lr, or fewer than 5 training points at the peak). At a step the model can take, an
    epoch-mean loss falls and flattens at a constant lr; climbing back over half of what it gained is
    a step too large, whatever the schedule did afterwards. A ``late`` log (its first epochs missing: a resumed
    fit read alone) fell before its first point too, and what it had gained counts that fall
    (:func:`missed_improvement`)."""
    if lr is None or loss is None or lr.shape != loss.shape:
        return None
    ok = np.isfinite(lr) & np.isfinite(loss)
    if ok.sum() < 10:
        return None
    lr_, y, x = lr[ok], loss[ok], axis[ok]
    top = float(lr_.max())
    if not top > 0 or lr_[-1] >= PEAK_SHARE * top:
        return None
    cut = int(np.argmax(lr_ < AT_PEAK_RATE * top)) if (lr_ < AT_PEAK_RATE * top).any() else len(lr_)
    start = int(np.argmax(lr_ >= AT_PEAK_RATE * top))  # after a warm-up
    seg = y[start:cut]
    if seg.shape[0] < 5:
        return None
    best = np.minimum.accumulate(seg)
    rise = seg - best
    # A resumed log's first point is no start: the climb back is measured against the fall before it as well.
    gained = seg[0] - best + missed_improvement(y, late)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(gained > 0, rise / np.maximum(gained, 1e-300), 0.0)
    i = int(np.argmax(share))
    if share[i] <= 0:
        return None
    j = int(np.argmin(seg[:i + 1]))
    return float(share[i]), float(seg[j]), float(seg[i]), float(x[start + i]), float(x[cut]) if cut < len(x) else None


def grad_norm_decay(g: np.ndarray | None) -> tuple[float | None, float | None, float | None]:
    """Median gradient norm in the first and last 10% of the logged points, and their ratio."""
    if g is None:
        return None, None, None
    g = g[np.isfinite(g) & (g >= 0)]
    if g.shape[0] < 4:
        return None, None, None
    k = max(1, g.shape[0] // 10)
    early, late = float(median(g[:k])), float(median(g[-k:]))
    ratio = early / late if late > 0 else float("inf")
    return ratio, early, late


def grad_norm_peak(g: np.ndarray | None, axis: np.ndarray | None,
                   early: float | None) -> tuple[float | None, float | None, float | None]:
    """The largest finite gradient norm, its axis value, and how many times ``early`` (the median of
    the first 10%, :func:`grad_norm_decay`'s) it is.

    The early/late ratio misses an explosion that ends in NaN: the late points are the last finite
    ones, often the peak itself, so a norm that rose 200x reads as a ratio of 1/200, not as "stayed".
    """
    if g is None or axis is None or early is None or g.shape != axis.shape:
        return None, None, None
    ok = np.isfinite(g) & (g >= 0)
    gf, af = g[ok], axis[ok]
    i = int(np.argmax(gf))
    peak = float(gf[i])
    return peak, float(af[i]), (peak / early if early > 0 else float("inf"))


# A rate at or under this share of the run's peak moves float32 weights by less than their own rounding (a weight
# of 1 has a spacing of 1.2e-7; a gradient of 1 at 1e-8 of a peak of 1 moves it 1e-8): nothing trains. A schedule
# bug writes 0 itself (LambdaLR(lambda e: 1 // (e + 1)): 0.05, then 0 from epoch 1).
ZERO_LR = 1e-8


def lr_zero_from(lr: np.ndarray | None, axis: np.ndarray | None) -> float | None:
    """The axis value of the first logged lr (``lr``, shape (n,), on ``axis``) from which every later one is at most
    ``ZERO_LR`` x the largest (all of them where none is above 0); None without a logged lr, with a negative one, or
    where the last one is above that."""
    if lr is None or axis is None or lr.shape != axis.shape:
        return None
    ok = np.isfinite(lr) & np.isfinite(axis)
    if not ok.any():
        return None
    lv, ax = lr[ok], axis[ok]
    if np.any(lv < 0):
        return None  # (a negative rate steps uphill: whatever it is, it is no rate of 0)
    live = np.flatnonzero(lv > ZERO_LR * float(lv.max()))
    if live.size == 0:
        return float(ax[0])
    if live[-1] == lv.shape[0] - 1:
        return None
    return float(ax[live[-1] + 1])


def optimizer_facts(lr, grad_norm, y, tail_start, improvement, axis=None) -> OptimizerFacts:
    sched, ratio = lr_schedule(lr)
    osc, sd = oscillation(y, tail_start, improvement)
    g_ratio, g_early, g_late = grad_norm_decay(grad_norm)
    g_peak, g_peak_at, g_rise = grad_norm_peak(grad_norm, axis, g_early)
    last = top = first = None
    falling = rising = False
    nxt = None
    if lr is not None and np.isfinite(lr).any():
        fin = lr[np.isfinite(lr)]
        first, last, top = float(fin[0]), float(fin[-1]), float(np.max(fin))
        if fin.size >= 3:
            step, bar = np.diff(fin[-3:]), 1e-3 * np.abs(fin[-3:-1])
            falling, rising = bool(np.all(step < -bar)), bool(np.all(step > bar))
            if falling:
                nxt = float(fin[-1] + step[-1])
    return OptimizerFacts(sched, ratio, last, osc, sd, g_ratio, g_early, g_late, g_peak, g_peak_at, g_rise, top,
                          falling, rising, first, lr_zero_from(lr, axis), nxt)


@dataclass
class LayerGradFacts:
    """Per-layer gradient norms (:meth:`losslens.run.Run.layer_grads`): which layers' gradients were small, or
    shrank. Medians over the first 10% of a layer's logged points ("early") and its last quarter ("late")."""
    layers: tuple                    # layer names, first (input side) to last
    since: float                     # axis value of the first point a layer's norm was logged at
    first_to_last: float | None      # the first layer's early norm / the last layer's (1e-5: vanished on the way back)
    first_to_last_late: float | None  # the same, late
    shrink: tuple                    # per layer: late / early (0.1: fell 10x; the healthy fall as the loss flattens)
    zero: tuple                      # layers whose norm is exactly 0 at every point logged: no gradient ever reached them
    died: tuple = ()                 # layers whose norm was > 0, then exactly 0 at every point from some point on (>= 2
                                     # points to the end): they had a gradient and lost it (units that all died)
    died_since: tuple = ()           # per layer in ``died``: the axis value of its first point at exactly 0


def layer_grad_facts(layers: dict, axis: np.ndarray) -> LayerGradFacts | None:
    """:class:`LayerGradFacts` of ``{layer: norms}`` in model order (arrays on ``axis``); None for fewer than 2 layers
    or fewer than 4 points logged."""
    rows = {k: v for k, v in layers.items() if np.isfinite(v).sum() >= 4}
    if len(rows) < 2:
        return None
    early, late = {}, {}
    for k, v in rows.items():
        g = v[np.isfinite(v)]
        early[k] = float(median(g[: max(1, g.shape[0] // 10)]))
        late[k] = float(median(g[-max(1, g.shape[0] // 4):]))
    names = tuple(rows)
    first, last = names[0], names[-1]

    def ratio(a, b):
        return a / b if b > 0 else None

    shrink = tuple(ratio(late[k], early[k]) for k in names)
    zero = tuple(k for k in names if not np.any(rows[k][np.isfinite(rows[k])]))
    since = float(min(axis[np.isfinite(v)][0] for v in rows.values()))
    died, died_since = [], []
    for k in names:
        ok = np.isfinite(rows[k])
        g, x = rows[k][ok], axis[ok]
        live = np.flatnonzero(g != 0)
        # An epoch's norm is a mean over sampled batches: exactly 0 only where every sampled batch passed no
        # gradient to the layer at all (a live layer's never is). Two such points in a row to the end: it lost it
        # (for good where that stretch is long: the rule that reads it asks for the run's last quarter).
        if live.shape[0] and g.shape[0] - 1 - live[-1] >= 2:
            died.append(k)
            died_since.append(float(x[live[-1] + 1]))
    return LayerGradFacts(names, since, ratio(early[first], early[last]), ratio(late[first], late[last]), shrink, zero,
                          tuple(died), tuple(died_since))
