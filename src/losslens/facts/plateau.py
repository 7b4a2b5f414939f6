"""The plateau onset X and the phases of a curve.

Definition (docs/ARCHITECTURE.md): X is the first epoch at which the curve has achieved 95%
of the improvement it achieves, ``X = min{t : L(t) − L* ≤ 0.05 · (L(0) − L*)}``, with ``L*``
the floor (the minimum of the smoothed curve; for an overfitting validation curve, its
minimum). On one noisy run X is measured on a smoothed curve, and its interval comes from a
moving-block residual bootstrap (Künsch 1989): resample the residuals in blocks, each standardized
by the noise around its point and put back at the scale of the point it lands on, re-smooth,
re-measure, take the 5% and 95% quantiles.

The smooth's minimum is the deepest of many noisy means, so it sits below the level the curve
settled at (the selection bias of a minimum): X is read against that minimum raised by up to
``FLOOR_SES`` standard errors of the smooth, as far as the curve's last value sits above it
(:func:`raised_floor`). The smooth's last half-window averages fewer points, down to the last point alone: a dip
there within its own noise of the rest's minimum is no floor the curve reached (:func:`settled_min`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..result import deferred, resolved_state
from .smoothing import (batch_window, level_smooth, residuals, robust_sd, smooth, tail_median,
                        window_for)

FRACTION = 0.05  # 95% of the improvement
STEEP_FRACTION = 0.30  # the steep drop ends where 70% of the improvement is made (phases)
STEEP_BEGUN = 1 / 3  # ... and starts no later than where the curve first made this share of it
STEEP_FLAT_PACE = 0.25  # ... after a start flat to this share of its pace (else from the first point)
#: A validation curve that first rose above its start by more than its whole improvement below it, over at least
#: this many points, memorised before it generalized: the rise is its own stretch, and the steep drop starts at the
#: peak. (A rise over a point or two is a step that threw the outputs: it keeps the steep drop from the first point,
#: as STEEP_BEGUN's bounce does; a Keras SGD run thrown 0.27 -> 0.81 at its second epoch.)
RISE_FIRST_POINTS = 5
N_BOOTSTRAP = 48
CLEAN_NOISE = 0.04  # noise sd below 4% of the improvement: a clean curve, smoothed less (set on the train split)
FLOOR_SES = 2.0  # how far (standard errors of the smooth) the minimum of a noisy smooth sits below its level


@dataclass
class PlateauFacts:
    index: int | None          # position of X in the (finite) series, None if no improvement
    epoch: float | None        # X in axis units
    interval: tuple[float, float] | None  # bootstrapped at its first read (result.deferred)
    level: float | None        # smoothed value at X
    floor: float               # L*: minimum of the smoothed curve
    floor_index: int
    start: float               # L(0)
    improvement: float         # L(0) - L*
    window: int | None = None  # a batch loss's: the window of batches X was read on (level_smooth), where the
                               # curve's own smooth is too noisy to place it; None otherwise
    x_floor: float | None = None  # with ``window``: the L* X was read against (raised_floor: that mean's minimum,
                                  # raised by the depth of its noise's dip)
    end: float | None = None   # with ``window``: the level at the last point (the mean of its last half-window)

    __getstate__ = resolved_state

    def interval_later(self):
        """The interval, or, not bootstrapped yet, a function that reads it (for result.Plateau)."""
        value = self.__dict__["_interval"]
        return (lambda: self.interval) if callable(value) else value


PlateauFacts.interval = deferred("interval")


def plateau_onset(x: np.ndarray, y: np.ndarray, *, random_state: int = 0, batch: bool = False) -> PlateauFacts:
    """X with its bootstrap interval for a curve ``y`` (lower is better) on axis ``x``; shapes (n,).
    ``batch``: ``y`` is a training loss logged by step, each point a batch's loss (see :func:`_batch_level`)."""
    n = y.shape[0]
    start = float(y[0])
    s, w, sd, resid, blown = _x_smooth(y)
    fi = int(np.argmin(s))
    floor = float(s[fi])
    improvement = start - floor
    if n < 3 or not improvement > 0:
        return PlateauFacts(None, None, None, None, floor, fi, start, max(improvement, 0.0))
    # A batch loss's X is read on a wider mean (_batch_level); floor and improvement stay the smooth's, which
    # the rules read beside the smooth's other numbers (its tail drop, its stretches). Either way X is read
    # against the raised floor: against the bare minimum, DeepOBS's 3c3d on CIFAR-10 (momentum, lr 4e-4, seed 44)
    # read X = 37 where its 10-seed mean flattens at 33 (raised: 33), waiting for a dip of the noise.
    base, wb, most = s, None, FLOOR_SES * sd / np.sqrt(w)
    # The noise around each point (never below the whole run's), which the bootstrap puts back and an end dip of the
    # smooth is measured against (settled_min); a batch loss's level_smooth has no point-wide end, so none there.
    scale = noise = _point_noise(resid, w, sd)
    if batch:
        wb, s, most_b = _batch_level(y, start, s)
        if wb:  # (the bootstrap reads the noise on the batch window)
            w, most, scale, noise = wb, most_b, None, None
    i = int(crossing_index(s, start, most, noise=noise, window=w))
    return PlateauFacts(i, float(x[i]), functools.partial(_interval, x.copy(), base.copy(), resid, sd, w, i, start,
                                                          random_state, most, bool(wb), blown if blown.any() else None,
                                                          scale),
                        float(s[i]), floor,
                        fi, start, improvement, wb, float(raised_floor(s, most)[0]) if wb else None,
                        float(s[-1]) if wb else None)


def _x_smooth(y: np.ndarray):
    """``(smooth, window, noise sd, residuals, blow-up mask)`` X is read on, for a curve ``y`` (n,), lower is better."""
    s = smooth(y)
    start = float(y[0])
    resid = residuals(y)
    blown = blown_up(y)
    sd = robust_sd(resid[~blown])
    # Smooth only as much as the noise needs: on a clean curve a wide window delays X.
    w = window_for(y.shape[0])
    improvement0 = start - float(s.min())
    if improvement0 > 0 and w > 1:
        ratio = sd / improvement0
        w_clean = 1 if ratio < CLEAN_NOISE / 4 else (max(1, w // 3) | 1 if ratio < CLEAN_NOISE else w)
        if w_clean != w:
            w = w_clean
            s = smooth(y, w)
    return s, w, sd, resid, blown


def _point_noise(resid: np.ndarray, w: int, sd: float) -> np.ndarray:
    """The noise sd around each point, shape (n,), never below the whole run's ``sd``: what an end dip of the smooth
    is measured against (:func:`settled_min`) and what the bootstrap puts back."""
    return np.maximum(local_scale(resid, w), sd)


def x_floor(y: np.ndarray) -> float:
    """The L* X of ``y`` ((n,), lower is better, not a batch loss) was read against, in ``y``'s units: the floor
    :func:`plateau_onset` reads, :func:`raised_floor` of the smooth with each point's noise and the smooth's window
    (its :func:`settled_min`: an end dip within its noise is no minimum). At or above ``y[0]`` the curve's noise
    swamps its whole fall, and X is its first point only because every point sits "within 5%" of an improvement
    that is not there."""
    s, w, sd, resid, _ = _x_smooth(y)
    return float(raised_floor(s, FLOOR_SES * sd / np.sqrt(w), _point_noise(resid, w, sd), w)[0])


#: A point this many times both where its curve started and where it ends is a blow-up the run came back from, not a
#: level it held or its noise (SVHN's 4e7 ... 2e19 against 2.3-2.8 at both ends). The same 1e6 as
#: smoothing.SWAMP_RATIO, which is a float64 running sum's precision: another idea, free to move on its own.
BLOWN_UP_RATIO = 1e6


def blown_up(y: np.ndarray) -> np.ndarray:
    """Mask over ``y`` (shape (n,)) of the points over ``BLOWN_UP_RATIO`` (1e6) times both where the curve started and
    where it ends (the median of its last quarter): a blow-up the run came back from.

    Their residuals are the blow-up's size, not the curve's noise, and where they are over half the run the MAD
    reads them: DeepOBS' SVHN WRN at momentum 1.6 (test loss 2.78, then 4e7 ... 2e19 over epochs 1-86, back to 2.3-2.8
    from 90) read a noise sd of 3.7e11, which raised L* to the last point, above the start, and put X at epoch 0.
    (A running sum that lost the 2.4s after the blow-up had read them as 0, and X at 92, the first point back.)"""
    y = np.asarray(y, dtype=float)
    ref = max(abs(float(y[0])), abs(tail_median(y))) if y.shape[0] else 0.0
    if not ref > 0:  # (a curve at 0 at both ends has no scale to be a million times above)
        return np.zeros(y.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        return np.abs(y) > BLOWN_UP_RATIO * ref


def _batch_level(y: np.ndarray, start: float, s: np.ndarray) -> tuple[int | None, np.ndarray, float]:
    """``(window, curve, most)`` X of a batch loss is read on: the moving mean of as many batches as it takes for
    the mean's noise to be half of 5% of the improvement (at most a quarter of the run), and two standard errors
    of that mean, the most :func:`raised_floor` raises L* above the mean's minimum: a minimum of a few such means
    sits below the level they scatter around by up to about two of them. ``(None, s, 0)`` where the smooth ``s``
    is already that precise.

    The curve's own smooth averages n/15 points and keeps the last one as it is: on a tiny BERT's batch losses,
    flat at 0.33 for 240 steps, that mean still scattered by 0.03 (1.7 times the 5% band) and its last point was the
    last batch, 0.15: L*, the minimum, was that batch, and X the last step. The band is re-read once on the
    wider mean (the improvement to its floor, not to the noisiest dip)."""
    window, spread = None, 0.0
    for _ in range(2):
        w, spread = batch_window(y, FRACTION * (start - float(s.min())))
        if w is None or w == window:
            break
        window, s = w, level_smooth(y, w)
    return window, s, (FLOOR_SES * spread / np.sqrt(window) if window else 0.0)


def raised_floor(s: np.ndarray, most: float, noise: np.ndarray | None = None, window: int = 1) -> np.ndarray:
    """L* of a smooth ``s`` ((n,) or (B, n), kept dims): its minimum (:func:`settled_min`, given ``noise`` and
    ``window``), raised by as much of ``most`` (``FLOOR_SES`` standard errors of the smooth) as its last value sits
    above it. A flat tail's minimum is a dip of the smooth's noise, and its end, where the curve sits now, shows how
    deep; a tail still falling has its minimum at the end and keeps it (raised in full, L* read 'flattened at step 54'
    of 80 on a Trainer's batch loss still falling in a straight line, hf_logging_steps ls1_e8, where the minimum
    itself reads 74)."""
    lowest = settled_min(s, noise, window)
    return lowest + np.clip(s[..., -1:] - lowest, 0.0, most)


def settled_min(s: np.ndarray, noise: np.ndarray | None = None, window: int = 1) -> np.ndarray:
    """The minimum of a :func:`~losslens.facts.smoothing.smooth` ``s`` ((n,) or (B, n), kept dims) of ``window``
    points, leaving out a dip in its last half-window that is within ``FLOOR_SES`` standard errors of the minimum
    before it. ``noise``: the sd of one point around each point, shape (n,), in the curve's units; None: the bare
    minimum.

    The smooth narrows towards the end, to the last point alone, so a point there carries up to sqrt(window) times
    the noise of one inside: a single low last value was the minimum, L* was not raised (its last value sits on it),
    and with a 5% band narrower than that noise X went to the end. On a 64-64 MLP's validation loss bouncing flat at
    Adam 1e-2 (tests/fixtures/ecosystem/linear_circles/circles_big.csv, 100 epochs, X = 4; 12 seeds' mean: 4), 3 of
    the bootstrap's 48 resamples that ended in such a dip read X = 99, and the interval ran 4-63. A dip deeper than
    that noise is a curve still falling at its end, and stays its minimum."""
    lowest = s.min(axis=-1, keepdims=True)
    n, half = s.shape[-1], window // 2
    if noise is None or half < 1 or n <= 2 * half + 1:
        return lowest
    k = n - half  # the end zone: points whose window is cut short by the end
    before = s[..., :k].min(axis=-1, keepdims=True)
    width = 2 * (n - 1 - np.arange(k, n)) + 1
    # the dip against the minimum before it: both means are noisy, the latter over a whole window
    se = noise[k:] * np.sqrt(1.0 / width + 1.0 / window)
    fell = (s[..., k:] < before - FLOOR_SES * se).any(axis=-1, keepdims=True)
    return np.where(fell, lowest, before)


def crossing_index(s: np.ndarray, start: float, most: float = 0.0, fraction: float = FRACTION,
                   noise: np.ndarray | None = None, window: int = 1) -> np.ndarray | int:
    """First index where ``s - L* <= fraction * (start - L*)``, L* the :func:`raised_floor`; s (n,) or (B, n).
    ``most`` is in the curve's units (how far L* may be raised), ``fraction`` a share of the improvement; ``noise``
    and ``window`` as :func:`settled_min` reads them."""
    floor = raised_floor(s, most, noise, window)
    return (s <= floor + fraction * (start - floor)).argmax(axis=-1)


def _interval(x, s, resid, sd, w, i, start, random_state, most, batch, blown=None,
              scale=None) -> tuple[float, float]:
    """X's 5-95% interval (axis units) from a moving-block residual bootstrap of the smooth ``s``, each resample
    read as X was, against :func:`raised_floor` (``batch``: a batch loss, re-read by a moving mean of ``w``
    batches; the interval then reaches back half a window, where the mean that crossed at X begins: the curve
    may have reached its level anywhere in it). ``blown``: a mask of :func:`blown_up` points, kept at the smooth in
    every resample. ``scale``: each point's noise, (n,), as :func:`plateau_onset` read it (None: read here)."""
    n = s.shape[0]
    with np.errstate(all="ignore"):  # (as inside diagnose_run, where it was made before it was deferred)
        # Bootstrap: moving blocks of the residuals keep their autocorrelation.
        rng = np.random.default_rng(random_state)
        # A loss's noise is not stationary: it shrinks as the loss does, and a flat tail (a cut learning rate)
        # can be a million times quieter than the bend where X sits. Blocks of the raw residuals, clipped at 3 of the
        # whole run's MAD (set by that tail), put the tail's noise at X: 43% of DeepOBS's seeds read a zero-width
        # interval (rlrop2's noise 0.03 near X, its MAD 2.6e-8). So the residuals are standardized by their local
        # scale, resampled in blocks, and put back at each point's own scale (a location-scale model y = s + σ(t)ε,
        # ε stationary: Künsch's blocks resample ε). Clipping ε at 3 still keeps the first cliff's few huge
        # residuals, which the smoother cannot follow, from reaching the tail as noise. The scale is never below
        # the whole run's MAD (a few equal values in a row read no noise), the blocks never shorter than the
        # 3-point smooth the residuals come from (their dependence spans it).
        if scale is None:
            scale = _point_noise(resid, w, sd)
        scale = scale + 1e-300
        z = np.clip(resid / scale, -3.0, 3.0)
        block = max(3, w)
        n_blocks = -(-n // block)
        starts = rng.integers(0, max(1, n - block + 1), size=(N_BOOTSTRAP, n_blocks))
        idx = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(N_BOOTSTRAP, -1)[:, :n]
        yb = s[None, :] + scale[None, :] * z[idx]
        yb[:, 0] = start
        if blown is not None:
            # A blow-up's swing is no noise to put back: at its own scale (1e11 on DeepOBS' SVHN WRN at momentum 1.6)
            # a resample of 4e12 went to -2e12, under the floor, and read X inside the blow-up (interval [17, 92]).
            yb[:, blown] = s[blown]
        sb = level_smooth(yb, w) if batch else smooth(yb, w)
        ib = crossing_index(sb, start, most, noise=None if batch else scale, window=w)
        lo, hi = _quantiles(np.concatenate([ib, [i]]))
    lo_i, hi_i = int(np.floor(min(lo, max(0, i - w // 2) if batch else i))), int(np.ceil(max(hi, i)))
    return float(x[lo_i]), float(x[hi_i])


LOCAL_POINTS = 7  # the fewest residuals a local noise scale is read on (the smooth's window where wider)


def local_scale(resid: np.ndarray, w: int) -> np.ndarray:
    """The noise sd around each point of a finite series of residuals (from a smooth: centred on 0), shape
    (n,) -> (n,): the median absolute residual of the ``max(LOCAL_POINTS, w)`` centred on it, mirrored at the
    ends, times 1.4826 (the MAD's factor to a normal sd, Hampel 1974)."""
    h = max(LOCAL_POINTS, w) // 2
    a = np.pad(np.abs(resid), h, mode="symmetric")
    # (an odd window: its median is its middle order statistic, a partition, a tenth of np.median's time)
    return 1.4826 * np.partition(np.lib.stride_tricks.sliding_window_view(a, 2 * h + 1), h, axis=1)[:, h]


_Q = np.array([0.05, 0.95])


def _quantiles(v: np.ndarray) -> np.ndarray:
    """``np.quantile(v, [0.05, 0.95])`` of a few dozen integers, the same floats: numpy's default
    (linear) method written out, its order statistics, fractions and interpolation, without the ~90 us
    of np.quantile's checks and dispatch (every diagnosis takes one or two, the live callbacks one an epoch)."""
    at = (v.shape[0] - 1) * _Q
    below = np.floor(at)
    gamma = at - below
    k = below.astype(np.intp)
    srt = np.sort(v)
    a, b = srt[k], srt[k + 1]
    diff = b - a
    out = np.add(a, diff * gamma)
    np.subtract(b, diff * (1 - gamma), out=out, where=gamma >= 0.5, casting="unsafe")
    return out


def _risen_first(s: np.ndarray, start: float, end: int, y: np.ndarray | None = None) -> int:
    """The index of the smooth's peak before ``end`` where a validation curve rose first (:data:`RISE_FIRST_POINTS`),
    else 0. ``y``, the curve as logged (same shape as ``s``): its own peak must come as late, and no one step may
    make half of the rise (a blow-up jumps there at once: DeepOBS' 3c3d at Adam 0.158, 3.59 then 314 at epoch 1,
    whose smooth peaks later; the modular MLP logged every 10th epoch climbed 3.56 -> 11.4 in steps of at most 2.3)."""
    if end < 2:
        return 0
    pk = int(np.argmax(s[:end + 1]))
    low = float(np.min(s))
    if pk < RISE_FIRST_POINTS or float(s[pk]) - start <= max(start - low, 0.0) \
            or float(s[pk] - s[-1]) <= 0.5 * (float(s[pk]) - start):
        return 0
    if y is not None and y.shape == s.shape:
        top = int(np.argmax(y[:end + 1]))
        if top < RISE_FIRST_POINTS or float(np.max(np.diff(y[:top + 1]))) >= 0.5 * (float(y[top]) - float(y[0])):
            return 0
    return pk


def phases(x: np.ndarray, s: np.ndarray, start: float, plateau_index: int | None,
           rising_from: int | None = None, validation: bool = False, y: np.ndarray | None = None) -> list[dict]:
    """Split the smoothed curve into named phases (axis values, inclusive).

    steep_drop: until 70% of the improvement is done, from the first point, or, after a flat start (falling at
    under ``STEEP_FLAT_PACE`` of its pace, never ``STEEP_BEGUN`` of the improvement above its start), the fewest points over which 70% of it was made (:func:`steepest_stretch`;
    the flat start is no phase); slow_descent: until X; plateau: from X;
    rising_validation: from the validation minimum when the curve rises after it; and, ``validation``, from the
    first point to the peak of a curve that rose first by more than its whole improvement and fell back by half that
    rise at least (:data:`RISE_FIRST_POINTS`: a model that memorised, then generalized -- a modular-addition MLP's
    validation loss 3.49 -> 9.70 over 863 epochs, then down to 1.08 by 6999, was drawn one steep drop over 0-5523),
    the steep drop then starting at the peak (never below the start: ``no_plateau`` from the peak); ``y``, the
    curve as logged, tells such a climb from a blow-up's jump (:func:`_risen_first`).
    """
    n = s.shape[0]
    if n < 2 or plateau_index is None:
        pk = _risen_first(s, start, n - 1, y) if validation and n >= 2 else 0
        if pk and rising_from is not None and rising_from < pk:  # rose, then fell back, not yet below its start
            return [{"name": "rising_validation", "start": float(x[rising_from]), "end": float(x[pk])},
                    {"name": "no_plateau", "start": float(x[pk]), "end": float(x[-1])}]
        if n >= 2 and rising_from is not None and rising_from < n - 1:  # never improved, then rose
            return [{"name": "rising_validation", "start": float(x[rising_from]), "end": float(x[-1])}]
        return [{"name": "no_plateau", "start": float(x[0]), "end": float(x[-1])}] if n else []
    # A share of the improvement, so the phase ends at the same epoch whatever the loss's scale (0.30 was once
    # passed as ``most``, loss units: on exp(-e/6) the steep drop ran to X, the 70% point being epoch 8).
    steep_end = int(crossing_index(s, start, fraction=STEEP_FRACTION))
    steep_end = min(steep_end, plateau_index)
    steep_start = 0
    if steep_end > 0:
        # (It starts before the curve first made a third of its improvement: a fall after a relapse is no start.)
        begun = int(crossing_index(s, start, fraction=1 - STEEP_BEGUN))
        a, b = steepest_stretch(s[:plateau_index + 1], (1 - STEEP_FRACTION) * (start - float(s.min())), steep_end, begun)
        # Only a flat start is left unnamed: one that fell at over STEEP_FLAT_PACE of the steep stretch's pace is the
        # start of an accelerating descent, and one that rose more than STEEP_BEGUN of the improvement above its start
        # a blow-up or a bounce (a Keras SGD run thrown 0.27 -> 0.81 read "steep drop" over 2 -> 3): both keep their
        # steep drop from the first point as before.
        before = (start - float(s[a])) / max(float(x[a] - x[0]), 1e-300)
        pace = (float(s[a]) - float(s[b])) / max(float(x[b] - x[a]), 1e-300)
        flat = float(s[:a + 1].max()) <= start + STEEP_BEGUN * (start - float(s.min()))
        if a > 0 and flat and before <= STEEP_FLAT_PACE * pace:
            steep_start, steep_end = a, b
    out = []
    pk = _risen_first(s, start, steep_end, y) if validation and steep_start == 0 else 0
    if pk and pk < steep_end:
        out.append({"name": "rising_validation", "start": float(x[0]), "end": float(x[pk])})
        steep_start = pk
    if steep_end > 0:
        out.append({"name": "steep_drop", "start": float(x[steep_start]), "end": float(x[steep_end])})
    if plateau_index > steep_end:
        out.append({"name": "slow_descent", "start": float(x[steep_end]), "end": float(x[plateau_index])})
    end = n - 1 if rising_from is None else rising_from
    if end >= plateau_index:
        out.append({"name": "plateau", "start": float(x[plateau_index]), "end": float(x[end])})
    if rising_from is not None and rising_from < n - 1:
        out.append({"name": "rising_validation", "start": float(x[rising_from]), "end": float(x[-1])})
    return out


_STRETCH_POINTS = 5000  # steepest_stretch reads a longer smooth every k-th point


def steepest_stretch(s: np.ndarray, drop: float, end: int, latest: int | None = None) -> tuple[int, int]:
    """``(a, b)``: the fewest points over which the smooth ``s`` (n,) falls by ``drop`` (curve units), ``s[a] - s[b]
    >= drop``, ``a <= latest`` (None: anywhere), the earliest of those; ``(0, end)`` where no stretch does (``end``:
    the index the steep drop ended at, measured from the start).

    The steep drop is where most of the improvement was made: a curve that sat flat before it fell (a tiny BERT at
    eval_loss 0.6931 = ln 2 for 70 of its 114 steps, then 0.6922 -> 0.6842 in 30) was drawn "steep drop" from its
    first point, over the flat stretch. A curve that falls fastest from its first point (most do) keeps ``a = 0``.
    Its length is found by bisection on a forward running minimum (O(n log n)); a smooth of more than
    ``_STRETCH_POINTS`` points is read every k-th point (a chart's band is drawn at pixels, not steps)."""
    from scipy.ndimage import minimum_filter1d

    n = s.shape[0]
    if n < 2 or not np.all(np.isfinite(s)) or not drop > 0:
        return 0, end
    if n > _STRETCH_POINTS:
        k = -(-n // _STRETCH_POINTS)
        a, b = steepest_stretch(s[::k], drop, -1, None if latest is None else latest // k)
        return (0, end) if b < 0 else (a * k, b * k)
    last = n - 1 if latest is None else min(max(latest, 0), n - 1)

    def reach(length: int) -> np.ndarray:
        # the lowest of s[a + 1 .. a + length], for each a (scipy's window is centred: shifted forward here)
        padded = np.concatenate([s, np.full(length + 1, np.inf)])
        low = minimum_filter1d(padded, length, mode="constant", cval=np.inf)
        return s - low[1 + length // 2:1 + length // 2 + n]

    if not (reach(n - 1)[:last + 1] >= drop).any():
        return 0, end
    lo, hi = 1, n - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if (reach(mid)[:last + 1] >= drop).any():
            hi = mid
        else:
            lo = mid + 1
    a = int(np.flatnonzero(reach(lo)[:last + 1] >= drop)[0])
    b = a + 1 + int(np.flatnonzero(s[a + 1:a + lo + 1] <= s[a] - drop)[0])
    return a, b


def phases_without_x(phases: list[dict], until: float | None = None) -> list[dict]:
    """``phases`` of a curve the diagnosis gives no X (still falling: ``still_improving``, ``lr_too_low``).

    Measured on the smoothed curve alone, the phases name a stretch ``plateau`` from its 95% point even
    where the verdict says the curve has not plateaued; there that stretch is the slow descent still under
    way, merged with the ``slow_descent`` before it. Without it a ``--json`` object held ``"plateau": null``
    beside a phase named plateau. ``until`` (an axis value): only the plateau before it is a slow descent, the
    rest stays plateau (a converged curve that went on falling after X, flat from its advice's ``flat_from``).
    New dicts; ``phases`` is left as it is.
    """
    out: list[dict] = []
    for p in phases:
        p = dict(p)
        if p.get("name") != "plateau" or (until is not None and float(p["start"]) >= until):
            out.append(p)
            continue
        rest = None
        if until is not None:
            rest = dict(p, start=until) if until < float(p["end"]) else None
            p["end"] = min(until, float(p["end"]))
        p["name"] = "slow_descent"
        if out and out[-1].get("name") == "slow_descent":  # (one descent, not two bands side by side)
            out[-1]["end"] = p["end"]
        else:
            out.append(p)
        if rest is not None:
            out.append(rest)
    return out
