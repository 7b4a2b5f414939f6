"""Smoothing and noise: the two measurements every other fact is scaled by.

Thresholds in losslens are multiples of a curve's own noise or range, so the noise estimate
must be robust to the trend and to outliers: we use the median absolute deviation (MAD,
Hampel 1974) of the residuals around a moving-average smooth.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import math

import numpy as np

MAX_POINTS = 2000  # longer curves are bin-averaged first: the shape survives, the cost stays O(1)


def window_for(n: int) -> int:
    """Odd smoothing window for a curve of ``n`` points: about n/15, between 1 and 31."""
    w = int(round(n / 15))
    w = max(1, min(31, w))
    return w if w % 2 == 1 else w + 1


# Inside one diagnosis the same curve is smoothed, and its residuals measured, by the facts, the plateau,
# the generalization gap and the oscillation alike (5 times the validation curve's residuals, 3 times
# the training curve's): ``shared()`` computes each once. Keyed by the values, so only the same input
# gets the same answer; callers get copies, so no one's array is shared.
_SHARED: contextvars.ContextVar[dict | None] = contextvars.ContextVar("losslens_smoothing_shared", default=None)


@contextlib.contextmanager
def shared():
    """Within this block, :func:`smooth` and :func:`residuals` of a 1-D curve (and :func:`noise_sigma`)
    are computed once per distinct curve and window."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def _once(kind: str, y: np.ndarray, window, compute):
    memo = _SHARED.get()
    if memo is None or y.ndim != 1:
        return compute()
    key = (kind, window, y.shape[0], y.tobytes())
    if key not in memo:
        memo[key] = compute()
    out = memo[key]
    return out.copy() if isinstance(out, np.ndarray) else out


def smooth(y: np.ndarray, window: int | None = None) -> np.ndarray:
    """Median-of-3 (kills single spikes) then a centred moving average; shape (n,) -> (n,).

    The averaging window narrows towards both ends (half-width at most the distance to the
    edge), so the steep first drop is not smeared forward (which would push X later) and
    the last value is not pulled towards older ones. Curves shorter than 30 points skip the
    median: there one point can be the real minimum (a validation dip at epoch 2 of 20).
    Works on a 2-D array of shape (B, n) row by row (used by the bootstrap).
    """
    y = np.asarray(y, dtype=float)
    return _once("smooth", y, window, lambda: _smooth(y, window))


def _smooth(y: np.ndarray, window: int | None) -> np.ndarray:
    n = y.shape[-1]
    if n < 3:
        return y.copy()
    w = window or window_for(n)
    out = median3(y) if n >= 30 else y
    if w > 1:
        out = tapered_mean(out, w // 2)
    return out


def tapered_mean(y: np.ndarray, half: int) -> np.ndarray:
    """Centred moving average of half-width ``min(half, i, n-1-i)`` at position i (cumulative sums); shape (n,) or
    (B, n), along the last axis."""
    hi, lo, width = _taper(y.shape[-1], half)
    if swamps_a_sum(y):
        return window_sums(y, lo, hi, 2 * half + 1) / width
    c = np.empty(y.shape[:-1] + (y.shape[-1] + 1,))
    c[..., 0] = 0.0
    np.cumsum(y, axis=-1, out=c[..., 1:])
    return (c[..., hi] - c[..., lo]) / width


def tapered_means(y: np.ndarray, most: int):
    """:func:`tapered_mean` of ``y`` (shape (n,)) at each half-width 1..``most``, narrowest first, from one
    cumulative sum (a chart's smooth tries every width: a million-step log, 15 of them), and without caching each
    width's ends as :func:`tapered_mean` does."""
    n = y.shape[0]
    if swamps_a_sum(y):
        for h in range(1, most + 1):
            yield tapered_mean(y, h)
        return
    c = np.concatenate([[0.0], np.cumsum(y)])
    # Width h differs from width h - 1 only at the points at least h from both ends (nearer ones are tapered to
    # the same narrower mean), so each width is the last one with its middle recomputed from two slices: the same
    # subtraction and division, point for point, as gathering every point's ends (1.2 s -> ~0.1 s on a million).
    mean = c[1:] - c[:-1]  # (half-width 0, the ends' own: the difference of the sums, not the value itself)
    for h in range(1, most + 1):
        mean = mean.copy()
        if n - 2 * h > 0:
            mean[h:n - h] = (c[2 * h + 1:] - c[:n - 2 * h]) / (2 * h + 1)
        yield mean


@functools.lru_cache(maxsize=256)
def _taper(n: int, half: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """tapered_mean's window ends and widths for ``n`` points: the same few lengths come back at every
    epoch of a live run, every bootstrap and every rule, so they are built once (read-only)."""
    i = np.arange(n)
    h = np.minimum(np.minimum(i, n - 1 - i), half)
    out = (i + h + 1, i - h, 2 * h + 1)
    for a in out:
        a.setflags(write=False)
    return out


#: A series whose largest magnitude is this many times its smallest nonzero one is summed window by window
#: (:func:`window_sums`), not off one running sum: past a value 1e6x the rest, a float64 running sum keeps fewer than
#: 10 of their 16 digits (summed over ~1e3 points, fewer still).
SWAMP_RATIO = 1e6


def swamps_a_sum(y: np.ndarray) -> bool:
    """Does ``y`` (any shape) hold a finite value over :data:`SWAMP_RATIO` times its smallest nonzero magnitude, so
    that a running sum past it loses the digits of the values after it? A first epoch at 1.5e22, then ln 10
    (tests/fixtures/ecosystem/torch_walk39c/bn_high3.csv): every later mean of its training loss read 0."""
    a = np.abs(y[np.isfinite(y)])
    a = a[a > 0]
    return bool(a.shape[0]) and float(a.max()) > SWAMP_RATIO * float(a.min())


def window_sums(y: np.ndarray, lo: np.ndarray, hi: np.ndarray, width: int) -> np.ndarray:
    """``y[..., lo[i]:hi[i]].sum(axis=-1)`` for each i, shape ``y.shape``, each sum made of that window's values
    alone: a window either starts at 0 (a running sum from the start), ends at n (one from the end) or spans
    ``width`` points (van Herk 1992 / Gil & Werman 1993: blocks of ``width``, each window the tail of one block's
    running sum plus the head of the next's). A running sum over the whole series carries every value before the
    window into it, and one of 1e22 leaves nothing of the 2.3s after it; here each sum is as exact as adding its
    own values. O(n) per call, as the running sum."""
    n = y.shape[-1]
    lead = y.shape[:-1]
    out = np.empty(lead + (n,))
    with np.errstate(over="ignore", invalid="ignore"):
        head = np.cumsum(y, axis=-1)  # sum of y[0:j + 1]
        tail = np.cumsum(y[..., ::-1], axis=-1)[..., ::-1]  # sum of y[j:n]
        at_start, at_end = lo == 0, (hi == n) & (lo > 0)
        out[..., at_start] = head[..., hi[at_start] - 1]
        out[..., at_end] = tail[..., lo[at_end]]
        inner = ~(at_start | at_end)
        if inner.any():
            k = -(-n // width) * width
            pad = np.zeros(lead + (k,))
            pad[..., :n] = y
            blocks = pad.reshape(lead + (k // width, width))
            up = np.cumsum(blocks, axis=-1).reshape(lead + (k,))  # within its block: from the block's start to j
            down = np.cumsum(blocks[..., ::-1], axis=-1)[..., ::-1].reshape(lead + (k,))  # from j to the block's end
            a = lo[inner]
            b = a + width - 1  # (inner windows all span ``width``: their ends are inside the series)
            # (A window that is one whole block is its running sum's last value; down[..., a] is that sum too.)
            out[..., inner] = np.where(a % width == 0, up[..., b], down[..., a] + up[..., b])
    return out


# Fewer points than this: a log whose points are each already the mean of many batches (a Trainer's at
# logging_steps=8: 20 points), where a window of a quarter of the run would place X no better than its points.
MIN_BATCH_POINTS = 30


def batch_window(y: np.ndarray, band: float) -> tuple[int | None, float]:
    """``(window, spread)``: the odd window whose mean's noise is half of ``band`` on a curve of batch losses
    ``y``, at most a quarter of the run (None where the curve's own smooth, :func:`window_for`, already averages
    that much), and the batches' spread (sd) it was sized by.

    A batch's loss scatters by the batch drawn, around a level, with a long upper tail (a few hard or
    mislabelled examples): a mean of w batches has that scatter's standard deviation over sqrt(w). The
    robust noise (MAD) the other facts use reads the bulk and misses the tail (a tiny BERT's flat batch
    losses: MAD-based 0.09-0.13, standard deviation 0.16-0.18), so the spread here is the root mean square of
    second differences (blind to a slow trend, as :func:`difference_noise`) over the later half of the run,
    where the level is read, and clear of the first drop's bend (a boosting round's deterministic curve: its
    first rounds' second differences are the drop, not noise)."""
    n = y.shape[0]
    if n < MIN_BATCH_POINTS or not band > 0:
        return None, 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        sd = float(np.sqrt(np.mean(np.diff(y[n // 2:], 2) ** 2) / 6.0))
        ratio = float(np.square(2 * sd / band))
    # (A batch of 1e300 among losses near 1 makes the spread overflow: the widest window, as for any huge spread.)
    need = math.ceil(ratio) if math.isfinite(ratio) and ratio < n else n
    if need <= window_for(n):
        return None, sd
    return min(need, max(window_for(n), n // 4)) | 1, sd


def level_smooth(y: np.ndarray, window: int) -> np.ndarray:
    """Moving mean of ``window`` batch losses: narrowed towards the start as :func:`tapered_mean` (the first
    drop is not smeared forward), one-sided at the end, the last value the mean of the last half-window.

    :func:`smooth` narrows to the point itself at the end, so that an epoch curve is not dragged towards
    older values; a batch loss's last point is one batch, and its scatter, not the drag, is what would
    set the level there."""
    n = y.shape[-1]
    half = window // 2
    i = np.arange(n)
    h = np.minimum(i, half)
    lo, hi = i - h, np.minimum(i + h, n - 1) + 1
    if swamps_a_sum(y):
        return window_sums(y, lo, hi, 2 * half + 1) / (hi - lo)
    c = np.zeros(y.shape[:-1] + (n + 1,))
    np.cumsum(y, axis=-1, out=c[..., 1:])
    return (c[..., hi] - c[..., lo]) / (hi - lo)


def median3(y: np.ndarray) -> np.ndarray:
    """Running median of 3 along the last axis, edges kept (min/max form: no sorting, no copies per row)."""
    a, b, c = y[..., :-2], y[..., 1:-1], y[..., 2:]
    out = y.copy()
    out[..., 1:-1] = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    return out


def tail_median(y: np.ndarray) -> float:
    """Where a series sits at the end: the median of its last quarter (at least its last point)."""
    return float(np.median(y[-max(1, y.shape[0] // 4):]))


def residuals(y: np.ndarray) -> np.ndarray:
    """Deviations from a smooth of at least 3 points, rescaled so their sd estimates the noise sd.

    A w-point mean leaves white noise with variance σ²(1 − 1/w) in the residuals; dividing by
    sqrt(1 − 1/w) undoes that. Short curves (where X itself is read unsmoothed) still get a
    noise estimate this way.
    """
    y = np.asarray(y, dtype=float)
    return _once("residuals", y, None, lambda: _residuals(y))


def _residuals(y: np.ndarray) -> np.ndarray:
    w = max(3, window_for(y.shape[-1]))
    return (y - smooth(y, w)) / np.sqrt(1 - 1 / w)


def median(a: np.ndarray):
    """``np.median`` of a 1-D float64 array, the same value: the same partition (numpy's own kth, the
    last one for its NaN check) and the same mean of the middle one or two. np.median's checks and
    dispatch cost ~15 us a call, ten times the partition of a 100-point curve, and a diagnosis takes
    dozens of medians: the live callbacks' per-epoch budget."""
    n = a.shape[0] if isinstance(a, np.ndarray) and a.ndim == 1 and a.dtype == np.float64 else 0
    if n == 0:
        return np.median(a)  # (empty, other dtypes and shapes: numpy's own answer and warnings)
    h = n // 2
    if n % 2:
        part = np.partition(a, [h, -1])
        mid = 0.0 + part[h]  # (numpy's mean sums from +0.0: a median of -0.0 is 0.0)
    else:
        part = np.partition(a, [h - 1, h, -1])
        mid = (0.0 + part[h - 1] + part[h]) / 2
    return part[-1] if np.isnan(part[-1]) else mid


def robust_sd(r: np.ndarray) -> float:
    """Standard deviation from the median absolute deviation (Hampel 1974): outliers barely move it."""
    if r.shape[0] == 0:
        return 0.0
    return float(1.4826 * median(np.abs(r - median(r))))


def theil_sen(x: np.ndarray, y: np.ndarray, max_points: int = 200) -> float:
    """The median of the pairwise slopes (Theil 1950, Sen 1968), over at most ``max_points`` evenly spaced points
    (n^2 / 2 pairs: a stretch of thousands of steps would take hundreds of MB)."""
    if x.shape[0] > max_points:
        keep = np.unique(np.linspace(0, x.shape[0] - 1, max_points).round().astype(int))
        x, y = x[keep], y[keep]
    i, j = np.triu_indices(x.shape[0], 1)
    return float(np.median((y[j] - y[i]) / (x[j] - x[i])))


def difference_noise(y: np.ndarray) -> float:
    """Point noise sd from second differences, MAD / sqrt(6): unbiased on white noise, blind to a
    slowly varying trend and to a few outliers. 0 for fewer than 4 points."""
    y = np.asarray(y, dtype=float)
    if y.shape[0] < 4:
        return 0.0
    return robust_sd(np.diff(y, 2)) / float(np.sqrt(6.0))


def noise_sigma(y: np.ndarray) -> float:
    """Robust standard deviation of the epoch-to-epoch noise around the trend (same units as y),
    measured against a smooth of at least 3 points (see :func:`residuals`), and no less than the
    rounding noise of the lattice the values sit on (:func:`resolution` / sqrt(12)): an accuracy on 120
    held-out samples moves in steps of 1/120 and holds still between them, so most residuals are 0 and
    the MAD gave 9e-17 (scikit-learn's MLP at Adam 1e-4: "the last quarter rose 5.4e+14 sds of the
    curve's noise", and every stretch between two steps "flat within 2% of the improvement").

    A tail that repeats its last value exactly (≥ 5 points and ≥ 10% of them: a model whose outputs stopped
    changing) is one measurement repeated, not samples of the noise: it counts once. Its zero residuals had
    carried the MAD to ~0 (a HistGradientBoostingClassifier whose training log-loss reached 4.7e-06, validation
    frozen for 254 of 301 rounds: a rise of 0.136 "far beyond its noise (4.1e+08 sds)")."""
    y = np.asarray(y, dtype=float)
    if y.shape[0] < 3:
        return 0.0
    return _once("noise", y, None, lambda: _noise_sigma(y))


#: A repeated last value (constant_tail) counts once in the noise where it covers at least this share of the points
#: (and 5): a model whose outputs stopped changing (42db3a0).
FROZEN_TAIL_SHARE = 0.1
#: resolution: every value a whole number of steps from the lowest, to within this share of a step (535749c).
LATTICE_TOL = 1e-3


def _noise_sigma(y: np.ndarray) -> float:
    n = constant_tail(y)
    if n >= max(5, FROZEN_TAIL_SHARE * y.shape[0]) and y.shape[0] - n + 1 >= 3:
        y = y[:y.shape[0] - n + 1]
    return max(robust_sd(residuals(y)), resolution(y) / math.sqrt(12.0))


def constant_tail(y: np.ndarray) -> int:
    """How many points at the end repeat the last value exactly.

    A live network's loss always jitters in its last digits; an exactly repeated value means
    constant outputs and zero gradients (dead ReLUs, a collapsed VAE)."""
    if y.shape[0] < 2:
        return 0
    same = y[::-1] == y[-1]
    return int(same.argmin()) if not same.all() else int(y.shape[0])


def resolution(y: np.ndarray) -> float:
    """The step ``y``'s values (shape (n,)) move in where they all sit on one lattice -- an accuracy on n samples:
    1/n; a log printed to 4 decimals: 1e-4 --, else 0: the smallest gap between distinct values, where every
    value is a whole number of such gaps from the lowest (within 1e-3 of a step). A curve with one value has
    none. A rounded value is known to that step, its rounding error uniform over it (sd step / sqrt(12))."""
    v = np.unique(y[np.isfinite(y)])
    if v.shape[0] < 2:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        q = float(np.min(np.diff(v)))
    if not (q > 0 and math.isfinite(q)):  # (values near ±1e308 overflow their differences)
        return 0.0
    k = (v - v[0]) / q
    return q if bool(np.all(np.abs(k - np.round(k)) < LATTICE_TOL)) else 0.0


def downsample(x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Bin-average ``(x, y)`` to at most ``max_points`` points (a 100,000-step log -> 2,000 bins); ``x``
    increasing.

    The first point is kept as is: L(0) matters for the plateau definition. Each bin stands at the axis value
    the log holds nearest its mean, a tie to the later (a bin's mean value is reached by the end of it): every
    epoch a fact reads off ``x`` is then one the log wrote. Bins at their mean axis put a 20,000-step dict's X at
    2566.5 (tests/fixtures/ecosystem/torch_dict_20k), which the JSON rounded to 2567 beside "since epoch 2566" in
    the evidence. The last bin stands at the last value logged, as the first point is the first: the run's end,
    from which "now" and the forecast's horizon are read.
    """
    n = x.shape[0]
    if n <= max_points:
        return x, y
    edges = np.linspace(1, n, max_points, dtype=int)
    idx = np.arange(1, n)
    bins = np.clip(np.searchsorted(edges, idx, side="right") - 1, 0, max_points - 2)
    counts = np.bincount(bins, minlength=max_points - 1).astype(float)
    keep = counts > 0
    xs = np.bincount(bins, weights=x[1:], minlength=max_points - 1)[keep] / counts[keep]
    ys = np.bincount(bins, weights=y[1:], minlength=max_points - 1)[keep] / counts[keep]
    i = np.clip(np.searchsorted(x, xs), 1, n - 1)
    lo, hi = x[i - 1], x[i]
    xs = np.where(hi - xs <= xs - lo, hi, lo).astype(float)
    # ... but the last bin stands at the last axis value logged: where the run is now. At its mean it put the 20,000-step
    # dict's end at epoch 19994, which the report drew as its last point, quoted "19994 more epochs" from and doubled
    # into a forecast horizon of 39988, not twice the logged length (default_horizon: 39998).
    xs[-1] = x[-1]
    return np.concatenate([x[:1], xs]), np.concatenate([y[:1], ys])
