"""Divergence: non-finite values after finite ones, or sustained growth above the start."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .smoothing import median3, tail_median


@dataclass
class DivergenceFacts:
    nonfinite_from: float | None  # first axis value where the loss became NaN/inf after being finite
    growth: float                 # (smoothed end - L(0)) / |L(0)|: > 0 means it ended above its start
    growth_noise: float           # the same rise in units of the noise
    peak_growth: float = 0.0      # (highest value in the first half - L(0)) / |L(0)|: an early blow-up
    peak_noise: float = 0.0       # the same rise in noise units
    peak_at: float | None = None  # axis value of that peak (None: the start is the highest point)
    peak: float | None = None     # the peak value (of a running median of 3: one bad point is no blow-up)
    start: float = 0.0            # L(0), the first finite value
    held_growth: float = 0.0      # (lowest value of the later half - L(0)) / |L(0)|: > 0 means every point
                                  # of the run's second half sat above its start
    end_held_growth: float = 0.0  # (lower of the last two finite values - L(0)) / |L(0)|: the end as it held for
                                  # two points (the smooth keeps the edges, so ``growth`` is the last point's)
    before_peak_growth: float = 0.0  # (highest finite value before the last - L(0)) / |L(0)|: the highest the
                                     # curve had been and come back from
    tail_growth: float = 0.0      # (median of the last quarter - L(0)) / |L(0)|: the level the curve ends at


def logged(run, key: str) -> np.ndarray:
    """``run.series[key]`` without the rows after the reader saw it stop being logged (blank cells to the
    end of a table: ``meta["logged_until"]``), which are gaps, not a loss turned NaN."""
    raw = np.asarray(run.series[key], dtype=float)
    until = (run.meta.get("logged_until") or {}).get(key)
    return raw if until is None else raw[: int(np.searchsorted(run.axis, until, side="right"))]


def never_finite_losses(run, metric: str | None) -> list[str]:
    """The losses (``metric``, else ``val_loss`` and ``train_loss``) a run logged but never with a finite value,
    where it diverged before its first (all NaN, or any inf, or NaN on 2 points or more) and no other loss has
    values; else ``[]``. ``diagnose`` reads such a run diverged, and ``losslens forecast`` withholds its forecast
    so, by this one test."""
    keys = [metric] if metric else ["val_loss", "train_loss"]
    found = [k for k in keys if k in run.series and run.series[k].shape[0] > 0]
    if not found or any(np.isfinite(run.series[k]).any() for k in found):
        return []
    if any(run.has(k) for k in ("train_loss", "val_loss") if k not in found):
        return []  # another loss has values: that one is read
    if not any(np.isinf(run.series[k]).any() or len(run) >= 2 for k in found):
        return []
    return found


def stated_final(run, key: str) -> bool:
    """Whether one NaN/inf last point of ``run.series[key]`` is a value the run logged, so that it counts as the
    run's end (:func:`nonfinite_start`'s ``one``): a table's column that spells nan/inf somewhere
    (``meta["nan_stated"]``, kept by the table reader), or any series a format without blank cells gave (a
    JSON/TensorBoard log, a dict, a callback: a point not logged is absent there, not NaN).

    A blank cell is a point not logged: a Lightning ``metrics.csv`` of a fit killed inside an epoch leaves that
    epoch's row blank in every epoch-level column (tests/fixtures/ecosystem/lightning_killed_short, the one
    one-row NaN tail of a loss in the committed fixtures, 2026-12-07), as pandas' ``to_csv`` writes NaN blank; the
    table reader tells pandas' blanks by the file's layout and puts them in ``nan_stated``
    (:func:`losslens.readers.table.blank_nan_tail`: tests/fixtures/ecosystem/pandas_nan_last).
    Where ``nan`` is spelt, the logger wrote the loss it computed: a digits MLP fed one NaN input in its last
    epoch (tests/fixtures/ecosystem/nan_last_epoch) logged ``nan`` for train_loss, val_loss and grad_norm and
    0.10 val_acc, chance, from NaN weights no later epoch brings back."""
    stated = run.meta.get("nan_stated")
    return stated is None or key in stated


def nonfinite_start(raw: np.ndarray, one: bool = False) -> int | None:
    """Index where ``raw`` turned NaN/inf for good after being finite, or None.

    Non-finite to the end is divergence; an early inf that training recovers from is not
    (YOLO logs inf validation losses in its first epochs). Trailing NaN counts only when the
    stretch is longer than any gap before it (validation every k epochs leaves gaps too), and, on one
    point only, with ``one`` (:func:`stated_final`: the log wrote that NaN, it is no blank cell).
    """
    finite = np.isfinite(raw)
    if not finite.any():
        return None
    idx = np.flatnonzero(finite)
    last = int(idx[-1])
    trailing = raw.shape[0] - 1 - last
    widest_gap = int(np.diff(idx).max()) - 1 if idx.shape[0] > 1 else 0
    if trailing >= 1 and (np.isinf(raw[last + 1:]).any() or ((trailing >= 2 or one) and trailing > widest_gap)):
        return last + 1
    return None


def nonfinite_onset(raw: np.ndarray, one: bool = False) -> tuple[int, str] | None:
    """``(index, "NaN" or "inf")`` where ``raw`` turned NaN/inf for good (:func:`nonfinite_start`), the kind
    being the first value it broke down to (an overflow: inf, then NaN); else None."""
    i = nonfinite_start(raw, one)
    if i is None:
        return None
    return i, "inf" if np.isinf(raw[i]) else "NaN"


def divergence(axis: np.ndarray, raw: np.ndarray, s: np.ndarray, start: float, sigma: float,
               x: np.ndarray | None = None, y: np.ndarray | None = None, one: bool = False) -> DivergenceFacts:
    """``raw`` is the series with NaN/inf kept; ``s`` the smoothed finite series; ``(x, y)`` the
    finite curve ``s`` and ``sigma`` were measured on (downsampled for long logs), where the
    early peak is looked for (default: the finite points of ``raw``); ``one``: as :func:`nonfinite_start`'s."""
    i = nonfinite_start(raw, one)
    nonfinite_from = None if i is None else float(axis[i])
    end = float(s[-1]) if s.shape[0] else start
    growth = (end - start) / abs(start) if start != 0 else 0.0
    growth_noise = (end - start) / sigma if sigma > 0 else (np.inf if end > start else 0.0)
    out = DivergenceFacts(nonfinite_from, float(growth), float(growth_noise), start=float(start))
    # The highest value in the first half, if it is above the start: a blow-up that the curve
    # may have come back from. Taken on a running median of 3, so it lasted at least two points.
    finite = np.isfinite(raw)
    fin_axis, fin = (axis[finite], raw[finite]) if y is None else (x, y)
    half = fin.shape[0] // 2
    if fin.shape[0] >= 2 and start != 0:
        out.end_held_growth = (float(np.min(fin[-2:])) - start) / abs(start)
        out.before_peak_growth = (float(np.max(fin[:-1])) - start) / abs(start)
        out.tail_growth = (tail_median(fin) - start) / abs(start)
    if half >= 2 and start != 0:
        out.held_growth = (float(np.min(fin[half:])) - start) / abs(start)
        med = median3(fin)
        k = int(np.argmax(med[:half]))
        rise = float(med[k]) - start
        if k > 0 and rise > 0:
            out.peak_growth = rise / abs(start)
            out.peak_noise = rise / sigma if sigma > 0 else float("inf")
            out.peak_at, out.peak = float(fin_axis[k]), float(med[k])
    return out
