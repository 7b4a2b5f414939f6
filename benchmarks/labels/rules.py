"""The labeling rules: pure functions of curves (numpy arrays), every threshold fixed up front.

A label never comes from looking at what a diagnosis says. Each rule returns the numbers it
used, and those numbers are stored next to the label (``numbers`` in the label files), so a
reader can check every label by hand.

Thresholds (chosen before any tool was run, from the issue and DESIGN.md):

``GAIN = 0.15``
    "Much better": an intervention (a better learning rate, more epochs, lr/10, 2x data)
    counts when it reaches a loss at least 15% lower, i.e. ``better <= 0.85 * original``.
``NO_GAIN = 0.02``
    "No better": more epochs lowered the loss by less than 2%.
``OVERFIT_RISE = 0.10``
    Overfitting: after its minimum the validation loss rises by at least 10% of the drop it
    made before the minimum, and by at least 5% of the minimum itself, while the training
    loss keeps falling (it ends at least 5% below its value at the validation minimum).
``CONVERGED_*``
    Converged by shape (no intervention available): the last third gains < 2%, the curve
    dropped by >= 10% of its start before that, it rose by <= 5% of that drop after its
    minimum (5-10% is left unlabeled: between converged and overfitting), the minimum is not
    "much better" (``GAIN``) than where the curve ends (DESIGN.md: converged *reached* the
    floor; a curve whose minimum lies 15% or more below its end left that floor, however
    small the rise is beside a steep first drop), and the training
    loss's last third gains < 10% (a flat validation curve beside a falling training curve
    is a growing gap, which DESIGN.md counts toward overfitting: left unlabeled).
``CHANCE = 0.01``
    At chance: a classifier's loss ends within 1% of ln K (it predicts the class prior).
``STUCK = 0.02``
    Stuck at init: the run never made 2% of the progress the reference run made.
``X_FRACTION = 0.05``
    DESIGN.md's plateau epoch: ``X = min{t : L(t) - L* <= 0.05 (L(0) - L*)}``, ``L*`` the
    curve's minimum (for an overfitting validation curve, its minimum).
``X_TYPICAL = 0.10``
    A multi-seed mean's X is one seed's ground truth only when that seed's level is within
    10% of the mean's drop of the mean's: a seed on another floor (stuck at ln K while the
    others learn, a VAE on the other of two floors) has another ``L*``, and the mean's X,
    read against the mean's ``L*``, does not describe its curve. The real part compares
    where the curves end (DeepOBS's best-rate seeds); the generated part compares ``L*``
    itself (``floor_level``), which for an overfitting curve is its minimum, not its end.
"""

from __future__ import annotations

import numpy as np

GAIN = 0.15
NO_GAIN = 0.02
OVERFIT_RISE = 0.10
OVERFIT_RISE_REL = 0.05
TRAIN_STILL_FALLING = 0.05
STUCK = 0.02
X_FRACTION = 0.05
X_TYPICAL = 0.10
CONVERGED_MIN_DROP = 0.10
CONVERGED_MAX_RISE = 0.05
CONVERGED_TRAIN_FLAT = 0.10
CHANCE = 0.01
DIVERGED_GROWTH = 1.5


def tail_level(values, frac: float = 0.05, min_points: int = 3) -> float:
    """Median of the last ``max(min_points, frac * n)`` finite values: the level a curve ends at."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan")
    k = max(min_points, int(round(frac * v.size)))
    return float(np.median(v[-k:]))


def plateau_x(values, axis=None, fraction: float = X_FRACTION):
    """DESIGN.md's plateau epoch X of a (mean) curve, in ``axis`` units; None without a drop.

    values : shape (n,), the loss (NaN allowed, ignored); axis : shape (n,), default 0..n-1.
    """
    v = np.asarray(values, dtype=float)
    a = np.arange(v.size, dtype=float) if axis is None else np.asarray(axis, dtype=float)
    ok = np.isfinite(v)
    if ok.sum() < 2:
        return None
    v, a = v[ok], a[ok]
    l0, lstar = v[0], float(np.min(v))
    drop = l0 - lstar
    if not drop > 0:
        return None
    idx = int(np.argmax(v - lstar <= fraction * drop))
    return float(a[idx])


def typical_seed(own: float, mean: float, mean_drop: float, typical: float = X_TYPICAL) -> bool:
    """True when a seed at level ``own`` (its end or its floor) shares the floor of the mean curve at the same
    level ``mean`` after dropping ``mean_drop``: the mean's X is then that seed's ground truth (``X_TYPICAL``)."""
    return bool(abs(own - mean) <= typical * mean_drop)


def floor_level(values) -> float:
    """DESIGN.md's ``L*`` of one run: its lowest point, on a running median of 3 (one dip of a noisy
    seed is not the level it reached); for a curve that rose after its best (overfitting), that best."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 3:
        return float(np.min(v)) if v.size else float("nan")
    return float(np.min(np.median(np.lib.stride_tricks.sliding_window_view(v, 3), axis=1)))


def gained(better: float, original: float, gain: float = GAIN) -> bool:
    """True when ``better`` is at least ``gain`` (relative) below ``original``."""
    return bool(np.isfinite(better) and np.isfinite(original) and better <= (1.0 - gain) * original)


def diverged(values, growth: float = DIVERGED_GROWTH, train=None) -> dict | None:
    """Diverged: a non-finite value after the first point, or the curve ends ``growth`` x above its start.

    A validation curve that grows while ``train`` (the training loss, when given) ends at
    least 5% below its start is overfitting, not divergence: growth alone does not count then.
    Returns the evidence numbers, or None when the run did not diverge.
    """
    v = np.asarray(values, dtype=float)
    if v.size < 2:
        return None
    first_finite = np.flatnonzero(np.isfinite(v))
    if first_finite.size == 0:
        return {"first_nonfinite_index": 0}
    start = first_finite[0]
    after = v[start:]
    bad = np.flatnonzero(~np.isfinite(after))
    if bad.size:
        return {"first_nonfinite_index": int(start + bad[0]), "l0": float(v[start])}
    end = tail_level(after)
    if train is not None:
        t = np.asarray(train, dtype=float)
        t = t[np.isfinite(t)]
        if t.size >= 2 and tail_level(t) <= (1.0 - TRAIN_STILL_FALLING) * t[0]:
            return None
    if v[start] > 0 and end >= growth * v[start]:
        return {"l0": float(v[start]), "end": end, "growth": end / float(v[start])}
    return None


def overfitting(val, train=None) -> dict:
    """Overfitting rule on a validation curve (and the training curve beside it).

    Returns a dict with ``holds`` (bool) and the numbers: val minimum and where, drop before
    it, rise after it, and the training loss's fall after the validation minimum.
    """
    v = np.asarray(val, dtype=float)
    ok = np.isfinite(v)
    out = {"holds": False}
    if ok.sum() < 5:
        return out
    idx = np.flatnonzero(ok)
    vv = v[ok]
    i_min = int(np.argmin(vv))
    vmin, v0, vend = float(vv[i_min]), float(vv[0]), tail_level(vv)
    drop, rise = v0 - vmin, vend - vmin
    out.update(val_min=vmin, val_min_index=int(idx[i_min]), val_start=v0, val_end=vend,
               drop=drop, rise=rise)
    holds = drop > 0 and rise >= OVERFIT_RISE * drop and rise >= OVERFIT_RISE_REL * abs(vmin) \
        and i_min < vv.size - 2
    if train is not None:
        t = np.asarray(train, dtype=float)
        t_at = t[: idx[i_min] + 1]
        t_at = t_at[np.isfinite(t_at)]
        t_end = tail_level(t)
        if t_at.size and np.isfinite(t_end):
            t_ref = float(t_at[-1])
            out.update(train_at_val_min=t_ref, train_end=t_end)
            holds = holds and t_end <= (1.0 - TRAIN_STILL_FALLING) * t_ref
    out["holds"] = bool(holds)
    return out


def stuck(values, reference_min: float, threshold: float = STUCK) -> dict:
    """Stuck at init: the curve's best is within ``threshold`` of the progress the reference made.

    ``reference_min`` is the minimum of a run that did train (same problem, another setting).
    """
    v = np.asarray(values, dtype=float)
    fin = v[np.isfinite(v)]
    if fin.size < 2:
        return {"holds": False}
    l0, best = float(fin[0]), float(np.min(fin[1:]))
    ref_drop = l0 - reference_min
    progress = (l0 - best) / ref_drop if ref_drop > 0 else float("nan")
    return {"holds": bool(ref_drop > 0 and progress < threshold), "l0": l0, "best": best,
            "reference_min": float(reference_min), "progress_fraction": progress}


def tail_gain(values, start_frac: float = 2 / 3) -> float:
    """Relative loss decrease over the last third: ``1 - end / level at 2/3 of the run``."""
    v = np.asarray(values, dtype=float)
    fin = v[np.isfinite(v)]
    if fin.size < 6:
        return float("nan")
    k = int(start_frac * fin.size)
    ref = float(np.median(fin[max(0, k - 1): k + 2]))
    return 1.0 - tail_level(fin) / ref if ref else float("nan")


def converged_shape(val, train=None) -> dict:
    """The shape rule for ``converged`` (module docstring); ``holds`` and its numbers."""
    v = np.asarray(val, dtype=float)
    fin = v[np.isfinite(v)]
    if fin.size < 6:
        return {"holds": False}
    v0, vmin, vend = float(fin[0]), float(np.min(fin)), tail_level(fin)
    drop, rise, tg = v0 - vmin, vend - vmin, tail_gain(fin)
    out = {"tail_gain": tg, "drop_fraction": drop / v0 if v0 else float("nan"),
           "rise_over_drop": rise / drop if drop > 0 else float("nan")}
    holds = (tg < NO_GAIN and v0 > 0 and drop >= CONVERGED_MIN_DROP * v0 and rise <= CONVERGED_MAX_RISE * drop
             and not gained(vmin, vend))
    if train is not None:
        ttg = tail_gain(train)
        out["train_tail_gain"] = ttg
        holds = holds and not (ttg >= CONVERGED_TRAIN_FLAT)
    out["holds"] = bool(holds)
    return out


def at_chance(values, classes) -> dict | None:
    """Numbers when the curve ends within ``CHANCE`` of ln K (K = ``classes``), else None."""
    if not classes or classes < 2:
        return None
    end = tail_level(values)
    chance = float(np.log(classes))
    if np.isfinite(end) and abs(end - chance) <= CHANCE * chance:
        return {"end": end, "chance_lnK": chance}
    return None
