"""The method benchmarks/schedule_eval.py evaluates (not part of losslens: it lost to losslens' forecast there).

A loss curve forecast along the lr schedule still ahead: the learning-rate-annealing scaling law.

Tissue et al. (2024), "Scaling Law with Learning Rate Annealing" (arXiv 2408.11029), fit a loss curve as

    L(s) = L0 + A S1(s)^-alpha - C S2(s)

with ``S1(s) = sum_{i<=s} lr_i`` (the forward area: how far the optimiser has been carried) and
``S2(s) = sum_{i<=s} m_i``, ``m_i = lambda m_{i-1} + (lr_{i-1} - lr_i)`` (the annealing area: each drop of the lr
lowers the loss, with a delay ``lambda`` spreads; the paper's lambda is about 0.999 a step). Given the lr at every
point to the horizon, the law says what the drops still to come do to the loss, which a curve fit alone cannot
see.

Here the sums run on the log's own axis (epochs or steps): on a uniform grid from the axis' origin to the horizon
the lr is interpolated between logged points and carried on beyond the last one by :func:`future_lr`; ``S1`` is
its integral and the momentum decays with a time constant ``tau`` in axis units (``lambda = exp(-1/tau)`` a
unit), taken as a fraction of the run's planned length so that one grid serves an epoch axis and a step axis.
Only drops after the lr's peak count (a warm-up's rise is not annealing). For each (alpha, tau) on a small grid,
(L0, A, C) are a linear least-squares fit with A, C >= 0; the pair with the least squared error wins.

The future lr (:func:`future_lr`) comes from the schedule the run states (Ultralytics' ``args.yaml``:
``meta["lr_schedule"]``) scaled to the logged rates, else from the logged lr after its peak extrapolated to the
planned end as the best of: constant, linear, cosine to the end, exponential.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ALPHAS = np.array([0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0])
TAU_FRACTIONS = np.array([0.01, 0.03, 0.1, 0.3])  # tau over the planned run's length
GRID_POINTS = 2000
MIN_POINTS = 5
# Calibrated 90% interval: quantiles of (truth - forecast) / u, u = |forecast - level now| + noise sd, fitted on
# the schedule benchmark's training half (benchmarks/schedule_eval.py --calibrate).
Q05, Q95 = -0.29, 1.35


@dataclass
class LrPath:
    """The lr on a uniform grid from the axis origin to the horizon, and how its future part was obtained."""

    grid: np.ndarray
    lr: np.ndarray
    how: str
    peak: float  # axis value of the lr's peak (drops after it are annealing)


def _after_peak(x, lr):
    i = int(np.argmax(lr))
    return x[i:], lr[i:], float(x[i])


def extrapolate_lr(x, lr, end: float):
    """``(f, how)``: a function giving the lr at axis values beyond the last logged point, to ``end``, and its name:
    of constant, linear (to the end, not below 0), cosine to the end (its floor fitted) and exponential, the
    best least-squares fit (relative error) to the logged lr after its peak. With fewer than 3 points after
    the peak, or an lr that has not moved since the last cut, constant."""
    x = np.asarray(x, dtype=float)
    lr = np.asarray(lr, dtype=float)
    xa, la, xp = _after_peak(x, lr)
    last = float(lr[-1])
    const = (lambda t: np.full_like(np.asarray(t, dtype=float), last), "constant at the last logged lr")
    if xa.size < 3 or np.all(np.abs(la[-3:] - last) <= 1e-3 * abs(last)):
        return const
    scale = float(np.max(la))
    best, best_err = const, np.inf
    cands = []
    b, a = np.polyfit(xa, la, 1)
    cands.append((lambda t, a=a, b=b: np.maximum(a + b * np.asarray(t, dtype=float), 0.0), "linear", a + b * xa))
    span = end - xp
    if span > 0:
        c = (1.0 + np.cos(np.pi * np.clip((xa - xp) / span, 0, 1))) / 2.0
        peak = float(la[0])
        # lr = floor + (peak - floor) c  ->  lr - peak c = floor (1 - c)
        w = 1.0 - c
        floor = float(np.clip(np.dot(w, la - peak * c) / max(np.dot(w, w), 1e-300), 0.0, peak)) if np.dot(w, w) > 0 else 0.0

        def cosine(t, floor=floor, peak=peak):
            ct = (1.0 + np.cos(np.pi * np.clip((np.asarray(t, dtype=float) - xp) / span, 0, 1))) / 2.0
            return floor + (peak - floor) * ct

        cands.append((cosine, "cosine to the planned end", cosine(xa)))
    if np.all(la > 0):
        kb, ka = np.polyfit(xa, np.log(la), 1)
        cands.append((lambda t, ka=ka, kb=kb: np.exp(ka + kb * np.asarray(t, dtype=float)), "exponential",
                      np.exp(ka + kb * xa)))
    cands.append((const[0], const[1], np.full_like(la, last)))
    for f, name, fitted in cands:
        err = float(np.mean(((fitted - la) / scale) ** 2))
        if err < best_err:
            best, best_err = (f, name), err
    return best


def lr_path(x, lr, horizon: float, end: float | None = None, schedule: dict | None = None,
            true_lr=None) -> LrPath | None:
    """The lr from the axis origin to ``horizon`` on a uniform grid: the logged lr (interpolated) to the last
    logged point, then the future lr to ``horizon``: ``true_lr`` ((x, lr) of the whole run, for the benchmark),
    else the stated ``schedule`` (``meta["lr_schedule"]``), else :func:`extrapolate_lr` to ``end`` (default
    ``horizon``). None without a usable lr."""
    x = np.asarray(x, dtype=float)
    lr = np.asarray(lr, dtype=float)
    ok = np.isfinite(x) & np.isfinite(lr)
    x, lr = x[ok], lr[ok]
    if x.size < 2 or np.max(lr) <= 0:
        return None
    dx = float(np.median(np.diff(x)))
    origin = min(0.0, float(x[0]) - dx)
    grid = np.linspace(origin, float(horizon), GRID_POINTS)
    path = np.interp(grid, x, lr)
    ahead = grid > x[-1]
    end = float(horizon if end is None else max(end, horizon))
    how = "the logged lr"
    if true_lr is not None:
        tx, tl = (np.asarray(v, dtype=float) for v in true_lr)
        path[ahead] = np.interp(grid[ahead], tx, tl)
        how = "the run's own lr"
    elif schedule is not None:
        from losslens.schedules import lr_factor

        warm = float(schedule.get("offset", 0.0)) + float(schedule.get("warmup", 0.0))
        seen = x >= warm
        if not np.any(seen):
            seen = x >= x[-1]
        lf = lr_factor(schedule, x[seen])
        scale = float(np.median(lr[seen] / np.maximum(lf, 1e-12)))
        path[ahead] = scale * lr_factor(schedule, grid[ahead])
        how = str(schedule.get("from") or "the stated schedule")
    elif np.any(ahead):
        f, name = extrapolate_lr(x, lr, end)
        path[ahead] = f(grid[ahead])
        how = f"the logged lr carried on to the planned end ({name})"
    path = np.maximum(path, 0.0)
    peak = float(grid[int(np.argmax(path[~ahead]))]) if np.any(~ahead) else float(x[0])
    return LrPath(grid, path, how, peak)


def _areas(p: LrPath, taus):
    """``(S1, [S2 for each tau])`` on ``p.grid``."""
    from scipy.signal import lfilter

    dg = float(p.grid[1] - p.grid[0])
    s1 = np.cumsum(p.lr) * dg
    drops = np.r_[0.0, np.maximum(p.lr[:-1] - p.lr[1:], 0.0)]
    drops[p.grid <= p.peak] = 0.0
    s2 = []
    for tau in taus:
        lam = math.exp(-dg / max(tau, 1e-12))
        m = lfilter([1.0], [1.0, -lam], drops)
        s2.append(np.cumsum(m) * dg)
    return s1, s2


@dataclass
class ScheduleFit:
    """The fitted law: ``value_at(x)`` on the grid it was fitted on."""

    path: LrPath
    L0: float
    A: float
    alpha: float
    C: float
    tau: float
    s1: np.ndarray
    s2: np.ndarray
    sse: float
    sigma: float

    def value_at(self, x) -> np.ndarray:
        xs = np.asarray(x, dtype=float)
        s1 = np.interp(xs, self.path.grid, self.s1)
        s2 = np.interp(xs, self.path.grid, self.s2)
        return self.L0 + self.A * np.power(np.maximum(s1, 1e-300), -self.alpha) - self.C * s2


def _lsq(cols, y, nonneg: bool = False):
    """Least squares of y on [1, cols...] with every non-constant coefficient >= 0, and the constant too when
    ``nonneg`` (a loss's floor is not below 0); all subsets of the (<= 3) columns, the best feasible."""
    n = y.shape[0]
    best = None
    k = len(cols)
    for mask in range(1 << (k + 1)):
        one = mask >> k & 1
        if not one and not nonneg:
            continue
        use = [cols[j] for j in range(k) if mask >> j & 1]
        M = np.column_stack(([np.ones(n)] if one else [np.zeros(n)]) + use)
        coef, *_ = np.linalg.lstsq(M, y, rcond=None)
        if np.any(coef[1:] < 0) or (nonneg and coef[0] < 0) or not np.all(np.isfinite(coef)):
            continue
        sse = float(np.sum((M @ coef - y) ** 2))
        if best is None or sse < best[0]:
            full = np.zeros(k + 1)
            full[0] = coef[0]
            full[1 + np.array([j for j in range(k) if mask >> j & 1], dtype=int)] = coef[1:]
            best = (sse, full)
    return best


def fit(x, y, p: LrPath, span: float, alphas=ALPHAS, tau_fractions=TAU_FRACTIONS) -> ScheduleFit | None:
    """Fit the law to ``(x, y)`` along ``p``; ``span`` the planned run's length in axis units (tau's unit)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    taus = np.asarray(tau_fractions, dtype=float) * span
    s1, s2s = _areas(p, taus)
    s1x = np.interp(x, p.grid, s1)
    if np.any(s1x <= 0):
        return None
    yscale = max(float(np.ptp(y)), 1e-12)
    nonneg = bool(np.all(y >= 0))
    best = None
    for alpha in alphas:
        a_col = np.power(s1x, -alpha)
        a_col = a_col / max(float(np.max(a_col)), 1e-300)
        for tau, s2 in zip(taus, s2s):
            s2x = np.interp(x, p.grid, s2)
            norm = float(np.max(np.abs(s2x)))
            cols = [a_col] + ([-s2x / norm] if norm > 0 else [])
            r = _lsq(cols, y / yscale, nonneg)
            if r is None:
                continue
            sse, coef = r
            if best is None or sse < best[0]:
                amax = float(np.max(np.power(s1x, -alpha)))
                A = coef[1] * yscale / amax
                C = (coef[2] * yscale / norm) if len(cols) > 1 else 0.0
                best = (sse, ScheduleFit(p, coef[0] * yscale, A, float(alpha), C, float(tau), s1, s2,
                                         sse * yscale ** 2, 0.0))
    if best is None:
        return None
    f = best[1]
    resid = y - f.value_at(x)
    f.sigma = float(np.std(resid, ddof=min(4, max(len(y) - 1, 0)))) if len(y) > 4 else float(np.std(resid))
    return f


@dataclass
class ScheduleForecast:
    value: float
    interval: tuple[float, float]
    level: float
    how: str
    fit: ScheduleFit


def _fitted(x, y, lr, horizon, end, schedule, true_lr, alphas, tau_fractions):
    """``(x, y, lr, path, fit)`` on the finite points, the lr path to ``horizon`` and the law fitted along it; None
    where there are too few points or the lr or the fit is unusable."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    lr = np.asarray(lr, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(lr)
    x, y, lr = x[ok], y[ok], lr[ok]
    if x.size < MIN_POINTS:
        return None
    p = lr_path(x, lr, horizon, end, schedule, true_lr)
    if p is None:
        return None
    span = float(max(end if end is not None else horizon, horizon) - p.grid[0])
    f = fit(x, y, p, span, alphas, tau_fractions)
    return None if f is None else (x, y, lr, p, f)


def forecast(x, y, lr, horizon: float, end: float | None = None, schedule: dict | None = None,
             true_lr=None, q=(None, None), alphas=ALPHAS, tau_fractions=TAU_FRACTIONS) -> ScheduleForecast | None:
    """The law's value at ``horizon`` (float) for the curve ``(x, y)`` (lower is better) logged with ``lr``
    (same points), with a 90% interval from the calibrated quantiles (``q`` = (q05, q95) overrides them);
    None where the lr or the fit is unusable."""
    got = _fitted(x, y, lr, horizon, end, schedule, true_lr, alphas, tau_fractions)
    if got is None:
        return None
    x, y, lr, p, f = got
    k = max(2, x.size // 10)
    level = float(np.median(y[-k:]))
    shift = float(np.median(y[-k:] - f.value_at(x[-k:])))  # start from where the curve is now
    value = float(f.value_at(horizon)) + shift
    noise = float(np.median(np.abs(np.diff(y[-max(k, 5):]))) / 0.954) if x.size > 2 else 0.0
    u = abs(value - level) + noise
    q05 = Q05 if q[0] is None else q[0]
    q95 = Q95 if q[1] is None else q[1]
    lo, hi = value + q05 * u, value + q95 * u
    if np.all(y >= 0):
        value, lo, hi = max(value, 0.0), max(lo, 0.0), max(hi, 0.0)
    return ScheduleForecast(value, (lo, hi), level, p.how, f)


def _value_along(f: ScheduleFit, p: LrPath, x) -> np.ndarray:
    """The fitted law's value at ``x`` along another lr path ``p`` (same parameters, same tau)."""
    s1, (s2,) = _areas(p, [f.tau])
    xs = np.asarray(x, dtype=float)
    return (f.L0 + f.A * np.power(np.maximum(np.interp(xs, p.grid, s1), 1e-300), -f.alpha)
            - f.C * np.interp(xs, p.grid, s2))


def annealing_gain(x, y, lr, horizon: float, end: float | None = None, schedule: dict | None = None,
                   true_lr=None, alphas=ALPHAS, tau_fractions=TAU_FRACTIONS):
    """``(delta, how, fit)``: what the lr still to come changes at ``horizon`` against the lr held at its last
    logged value, by the fitted law (negative: the schedule's drops lower the loss); None where unusable."""
    got = _fitted(x, y, lr, horizon, end, schedule, true_lr, alphas, tau_fractions)
    if got is None:
        return None
    x, y, lr, p, f = got
    held = LrPath(p.grid, np.where(p.grid > x[-1], lr[-1], p.lr), "held", p.peak)
    delta = float(_value_along(f, p, horizon) - _value_along(f, held, horizon))
    return delta, p.how, f
