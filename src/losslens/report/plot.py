"""Annotated loss-curve figures: the data behind every chart, and the matplotlib figure.

:func:`chart_data` turns a :class:`~losslens.result.Diagnosis` (and the Run it carries) into
plain, JSON-ready lists: raw and smoothed train/validation curves, the plateau X with its
interval, the phases, the validation minimum, the generalization gap, the forecast band and
the learning-rate / gradient-norm / accuracy panels. The HTML report (:mod:`.html`) and
:func:`plot_diagnosis` both draw from it, so a figure in a paper shows what the report shows.

matplotlib is imported only inside the drawing functions (``pip install losslens[plot]``).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from ..exceptions import MissingExtraError, UsageError, UsageTypeError, check_number
from ..result import axis_text, finite_or_none

#: Colours (Tableau 10, colour-blind safe enough for two curves) and labels.
TRAIN_COLOR = "#1f77b4"
VAL_COLOR = "#e8710a"
EXTRA_COLOR = "#7b4fb0"
FORECAST_COLOR = "#2a9d8f"
PLATEAU_COLOR = "#c0392b"
NONFINITE_COLOR = "#8b0000"  # the diverged verdict's colour in the HTML report
PHASES = {
    "steep_drop": ("steep drop", "#4e79a7"),
    "slow_descent": ("slow descent", "#59a14f"),
    "plateau": ("plateau", "#8c8c8c"),
    "rising_validation": ("rising validation", "#e15759"),
    "restart_cycle": ("warm-restart cycle", "#f1ce63"),
}
RISING_PHASES = {"steep_drop": "steep rise", "slow_descent": "slow climb"}
#: The flat stretch a temporary_plateau verdict names (its ``flat_start`` .. ``flat_end``), drawn as a band of its own.
STRETCH_PHASE = ("temporary plateau", "#b8860b")
PANEL_SERIES = (
    # (title, [(series key, label, colour)], log scale when the range allows)
    ("accuracy", [("train_acc", "train acc", TRAIN_COLOR), ("val_acc", "val acc", VAL_COLOR)], False),
    ("learning rate", [("lr", "lr", "#6c757d")], True),
    ("grad norm", [("grad_norm", "grad norm", "#9c6ade")], True),
)
#: Per-layer gradient norms, first layer to last (viridis' ends and six steps between; the first layer dark).
LAYER_COLORS = ("#440154", "#46327e", "#365c8d", "#277f8e", "#1fa187", "#4ac16d", "#a0da39", "#e3c800")
LAYER_LINES = len(LAYER_COLORS)  # the most layers drawn: more is a tangle nobody reads


# ---- data ------------------------------------------------------------------------------------

def _log_panel(series: list[dict], log_ok: bool) -> bool:
    """A panel on a log axis: allowed for its kind, its values all positive and spanning more than 20x."""
    vals = np.array([v for s in series for v in s["values"] if v is not None], dtype=float)
    vals = vals[np.isfinite(vals)]
    return bool(log_ok and vals.size and np.all(vals > 0) and vals.max() / vals.min() > 20)


def _layer_panel(run, keep) -> dict | None:
    """The "layer grads" panel, each layer's gradient norm (:meth:`losslens.run.Run.layer_grads`): at most
    :data:`LAYER_LINES` layers -- the first, the last, the smallest and largest gradient (median over the run), then
    layers evenly between --, coloured in model order (``layers``: how many were logged); None where none was."""
    layers = run.layer_grads() if hasattr(run, "layer_grads") else {}
    if not layers:
        return None
    names = list(layers)
    level = [float(np.nanmedian(v)) if np.isfinite(v).any() else np.nan for v in layers.values()]
    chosen = {0, len(names) - 1}
    if np.isfinite(level).any():
        chosen |= {int(np.nanargmin(level)), int(np.nanargmax(level))}
    for i in np.linspace(0, len(names) - 1, LAYER_LINES).round().astype(int):
        if len(chosen) >= LAYER_LINES:
            break
        chosen.add(int(i))
    series = []
    for i in sorted(chosen):
        tone = LAYER_COLORS[round(i / max(1, len(names) - 1) * (LAYER_LINES - 1))]
        where = " (first)" if i == 0 else " (last)" if i == len(names) - 1 else ""
        series.append({"key": "grad_norm/" + names[i], "label": names[i] + where, "color": tone,
                       "values": round_sig_list(np.asarray(layers[names[i]], dtype=float)[keep])})
    # (The title names no count: a panel's label runs along its 1.1-inch height, and the legend says which.)
    return {"title": "layer grads", "logy": _log_panel(series, True), "series": series, "layers": len(names)}


#: How far (in the curve's point noise sds) the drawn smooth may stand from the curve at a point before its window
#: narrows there: noise alone puts a mean and the median of 5 about 0.4 sd apart, so 2 sds is a bend, not noise.
SMOOTH_HOLD = 2.0


def smooth(y: np.ndarray, window: int | None = None) -> np.ndarray:
    """The smoothed curve drawn on charts, shape (n,) -> (n,).

    The centred mean the plateau onset X is measured on (:func:`losslens.facts.smoothing.smooth`: a median of 3
    from 30 points on, then a mean of about n/15 points), its window narrowed point by point to the widest whose
    mean stays within :data:`SMOOTH_HOLD` noise sds of the curve there (:func:`held_mean`). Where the curve is flat
    the two are one line; where it is steep a fixed window reaches across the bend and lifts the line off the
    data (DeepOBS' F-MNIST drawn at 1.079 / 0.791 / 0.656 at epochs 1-3 where it logged 0.516 / 0.420 / 0.370,
    a cliff at 3 -> 4 the run never had). ``window``: the mean's width, default the facts'.
    """
    from ..facts.smoothing import median3, tapered_means, window_for

    y = np.asarray(y, dtype=float)
    n = y.shape[0]
    if n < 3:
        return y.copy()
    base = median3(y) if n >= 30 else y
    half = (window or window_for(n)) // 2
    if half < 1:  # (no mean to hold: the curve as the facts smooth it)
        return base.copy()
    return held_mean(y, tapered_means(base, half), base)


#: drawn_smooth steps over a curve's jumps only where it has this many points and at most this share of them jump:
#: more are the curve's own scatter (a climbing validation loss 2-3.4 over a best of 0.45, a resumed log's 8 points
#: within 0.04 of each other), which the line should average, not step under.
JUMPS_MIN_POINTS = 20
JUMPS_MOST = 0.1


def drawn_smooth(run, key: str, higher: bool = False) -> np.ndarray:
    """The smooth drawn for ``run``'s series ``key``, shape (n,), NaN where the series is not finite: :func:`smooth`
    of its finite points, each jump that came back (:func:`losslens.facts.optimizer.jumps`: off the best reached by
    then by half the improvement made and 5 noise sds, the next point back down; of a score, its drops) first
    replaced by the line between the points beside it. ``higher``: the series is a score.

    A jump is the step throwing the weights off the minimum they had reached, and the diagnosis reads the level
    as the curve between them (its X's median of 3); averaged into the line they lifted it and widened the noise
    that holds it near the curve: a Keras SGD at lr 1.0 (validation 2.378, 1.515, 0.163, 0.130, 4.193, 0.142,
    1.257, 0.078 at epochs 0-7) was drawn 0.944 at X = 2, where its plateau level is 0.163, and near 0.5 over
    epochs 4-6. A batch loss (:func:`losslens.facts.batch_loss`) keeps its high batches: its level is their mean;
    so does a curve of fewer than :data:`JUMPS_MIN_POINTS` points, or one where more than :data:`JUMPS_MOST` of them
    jump."""
    from ..facts import batch_loss
    from ..facts.optimizer import jumps

    raw = np.asarray(run.series[key], dtype=float)
    ok = np.isfinite(raw)
    sm = np.full(raw.shape, np.nan)
    y = raw[ok]
    if y.shape[0] >= JUMPS_MIN_POINTS and not batch_loss(run.axis_name, key):
        out = [i for i, _, _, back in jumps(-y if higher else y) if back]
        if 0 < len(out) <= y.shape[0] * JUMPS_MOST:
            keep = np.ones(y.shape, dtype=bool)
            keep[out] = False
            x = np.asarray(run.axis, dtype=float)[ok]
            if not (np.isfinite(x).all() and np.all(np.diff(x) > 0)):
                x = np.arange(y.shape[0], dtype=float)  # (an axis interp cannot read: by position)
            y = y.copy()
            y[out] = np.interp(x[out], x[keep], y[keep])
    sm[ok] = smooth(y)
    return sm


def held_mean(y: np.ndarray, means, base: np.ndarray | None = None, one_sided_end: bool = False) -> np.ndarray:
    """Per point, the widest of ``means`` (moving means of ``y``, shape (n,) each, narrowest first) that it and every
    narrower one stay within :data:`SMOOTH_HOLD` point noise sds of the curve's running median of 5 there, else
    ``base`` (what the means average, default ``y``) brought that near it; shape (n,). The noise is read where the
    point is (:func:`local_noise`): a memorising net's training loss scatters 0.03-0.09 late in a run whose early points
    moved by 0.005, and one figure for the whole curve had the late line follow every swing.

    A mean of a curve that bends departs from it by the bend, not by noise, and widening the window past that
    point only drags the line further off. The median of 5 is where the curve is -- on a monotone stretch each
    point's own value, on a noisy one robust to a stray batch -- narrowed to 3 and 1 at the start (a first drop
    is no neighbour of the first point) and at the end, or, ``one_sided_end`` (a batch loss's level, which ends on
    a mean of its last batches, ``facts.smoothing.level_smooth``), taken over the last 5 points there."""
    y = np.asarray(y, dtype=float)
    centre = _running_median5(y, one_sided_end)
    # (Never under a rounding's width: a noiseless line's means would otherwise miss it by its last bit.)
    tol = SMOOTH_HOLD * local_noise(y) + 1e-12 * float(np.max(np.abs(y)) if y.size else 0.0)
    # Where not even the narrowest mean holds, ``base`` kept as near the median: a lone spike (a loss thrown to 141
    # for one epoch of 20) is no level to draw the line through.
    out = np.clip(y if base is None else np.asarray(base, dtype=float), centre - tol, centre + tol)
    held = np.ones(y.shape, dtype=bool)
    # (Into buffers, and copyto rather than a boolean index's gather and scatter: 15 widths on a million points.)
    off, near = np.empty(y.shape), np.empty(y.shape, dtype=bool)
    for m in means:
        with np.errstate(invalid="ignore"):
            np.subtract(m, centre, out=off)
        np.less_equal(np.abs(off, out=off), tol, out=near)
        held &= near
        if not held.any():
            break
        np.copyto(out, m, where=held)
    return out


#: Points per block :func:`local_noise` reads the noise in.
NOISE_BLOCK = 15


def local_noise(y: np.ndarray, block: int = NOISE_BLOCK) -> np.ndarray:
    """Each point's noise sd, shape (n,): the robust sd of second differences over MAD / sqrt(6) (as
    ``facts.smoothing.difference_noise``, blind to a slow trend), per block of ``block`` points, the largest of its
    own block and the two beside it. A bend's one or two large differences in a block do not move its median; a
    stretch that scatters throughout does."""
    y = np.asarray(y, dtype=float)
    n = y.shape[0]
    if n < 4:
        return np.zeros(n)
    with np.errstate(all="ignore"):
        d2 = np.diff(y, 2)
    k = int(min(max(block, 4), d2.shape[0]))
    full = d2.shape[0] // k

    def middle(cells):
        # (np.median over whole blocks: nanmedian took half a second on a million points. Of an odd count of finite
        # values the median is the middle one, which partition alone finds: np.median's NaN check and mean of one
        # value cost twice that.)
        if cells.shape[1] % 2 and np.isfinite(cells).all():
            return np.partition(cells, cells.shape[1] // 2, axis=1)[:, cells.shape[1] // 2]
        return np.median(cells, axis=1)

    def robust(cells):
        with np.errstate(all="ignore"):
            med = middle(cells)
            return 1.4826 * middle(np.abs(cells - med[:, None])) / np.sqrt(6.0)

    sd = robust(d2[:full * k].reshape(full, k))
    if full * k < d2.shape[0]:
        sd = np.append(sd, robust(d2[full * k:][None, :]))
    # (A value that overflowed its differences (1e300 among losses near 1) says nothing of the noise: no narrowing.)
    sd = np.where(np.isnan(sd), np.inf, sd)
    # (A short last block's few differences read low as often as high: the larger of it and its neighbour stands.)
    wide = np.max(np.stack([sd, np.concatenate([sd[:1], sd[:-1]]), np.concatenate([sd[1:], sd[-1:]])]), axis=0)
    at = np.clip(np.arange(n) - 1, 0, d2.shape[0] - 1) // k
    return wide[at]


def _running_median5(y: np.ndarray, one_sided_end: bool) -> np.ndarray:
    """Median of the 5 points around each, narrowed to 3 and 1 at the edges (``one_sided_end``: the last 5 at the
    end), shape (n,)."""
    from ..facts.smoothing import median3

    n = y.shape[0]
    if n < 3:
        return y.copy()
    out = y.copy()
    if n >= 5 and np.isfinite(y).all():
        # The median of 5 as that of three: the fifth point, the larger of the two pairs' minima and the smaller
        # of their maxima (the two extremes of the four fall out). Eight passes of minimum/maximum pick the same
        # value partition does, 10x faster on a million points; with NaN (which minimum spreads) partition is kept.
        a, b, c, e, f = (y[k:n - 4 + k] for k in range(5))
        lo, hi = np.maximum(np.minimum(a, b), np.minimum(e, f)), np.minimum(np.maximum(a, b), np.maximum(e, f))
        out[2:-2] = np.maximum(np.minimum(lo, hi), np.minimum(np.maximum(lo, hi), c))
    elif n >= 5:
        w = np.lib.stride_tricks.sliding_window_view(y, 5)
        out[2:-2] = np.partition(w, 2, axis=1)[:, 2]
    m3 = median3(y)
    out[1] = m3[1]
    if one_sided_end and n >= 5:
        out[-2:] = out[-3]  # (the last 5 points' median: one batch is no level)
    else:
        out[-2] = m3[-2]
    return out


def _batch_window(d, key: str, n: int) -> int | None:
    """The window of batches the diagnosed curve ``key``'s X was read on, where it has one and was read on these
    ``n`` points (not bin-averaged first)."""
    f = getattr(d, "facts", None)
    pl = getattr(f, "plateau", None)
    if key != getattr(d, "metric", None) or pl is None or getattr(f, "n_points", None) != n:
        return None
    return getattr(pl, "window", None)


def round_sig(v, digits: int = 5):
    """JSON-safe number rounded to ``digits`` significant digits; NaN -> None; 3.0 -> 3.

    Five digits are more than a chart can show and keep a 1,000-run report small.
    """
    if v is None:
        return None
    v = float(v)
    if not math.isfinite(v):
        return None
    r = float(f"{v:.{digits}g}")
    return int(r) if r.is_integer() and abs(r) < 2**53 else r


def round_sig_list(arr, digits: int = 5) -> list:
    """Each value of ``arr`` as :func:`round_sig` gives it (a 1,000-run report rounds a million values: one
    format and parse each, the whole numbers found with numpy after, 3x faster than a call per value)."""
    spec = f".{digits}g"
    out = [float(format(v, spec)) if v - v == 0 else None for v in np.asarray(arr, dtype=float).tolist()]
    if out:
        r = np.array(out, dtype=float)
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(r) & (r == np.floor(r)) & (np.abs(r) < 2**53)
        for i in np.flatnonzero(whole).tolist():
            out[i] = int(out[i])
    return out


def curve_digits(values, least: int = 4) -> int:
    """Significant digits that keep curves drawn on one axis as they are: at least ``least``, and enough that the
    rounding step is at most 1/1000 of the range ``values`` (every value the axis shows) span, at most 10; all of
    them where the values are all equal. A loss that moved 2.325 -> 2.303 rounded to 4 digits took three values
    and was drawn as a staircase, and a constant 2.30979 was drawn at 2.31, above its own raw points."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return least
    if v.max() == v.min():
        return 10
    need = math.ceil(math.log10(float(np.abs(v).max()) / float(v.max() - v.min()))) + 3
    return int(min(10, max(least, need)))


def _label(key: str) -> str:
    return key.replace("_", " ")


#: What a chart's title and the report's overview headline a solved run as, for the text's first line says it so
#: ("solved (validation accuracy at its ceiling)"): "still improving" alone there read "keep training" beside the
#: text's "stop here" (keras_solved/digits01.log).
SOLVED_WORDS = "solved (validation accuracy at its ceiling)"


def headline_words(d, short: bool = False) -> str:
    """The verdict as a chart or the overview headlines it: :data:`SOLVED_WORDS` for a solved run
    (``Diagnosis.solved``; ``short``: "solved", for the overview's 150-pixel column, which the whole ran out of),
    else the verdict id in words."""
    if getattr(d, "solved", False):
        return SOLVED_WORDS.split(" (")[0] if short else SOLVED_WORDS
    from .text import part_overfits

    part = None if short else part_overfits(d)
    # (a total still falling over a part that overfits: the text's headline names the part, so does the card)
    return _label(d.verdict) + (f", but {part}" if part else "")


def _series_label(run, key: str) -> str:
    """A series' legend: as the log spelt it where the reader only normalised its name (``metrics/mAP50-95(B)``,
    :meth:`losslens.run.Run.label`), else the key in words (``val loss``)."""
    logged = run.label(key) if hasattr(run, "label") else key
    return logged if logged != key else _label(key)


def _loss_keys(d) -> list[str]:
    """The series of the main panel: train and validation loss, plus the diagnosed metric; for a
    diagnosed score (accuracy, R², ...), that score and its training twin, with the losses in a
    panel of their own (a loss and an accuracy share no y axis)."""
    run = d.run
    if d.metric and _diagnosed_higher(d) and run.has(d.metric):
        twin = "train" + d.metric[3:] if d.metric.startswith("val") else None
        return [k for k in (twin, d.metric) if k and run.has(k)]
    twin = _loss_twin(d)
    if twin is not None:
        # One head's validation loss (val_head1_loss) beside its own training loss: the pair the text reads, its gap
        # the one it quotes. Drawn with the total's, the chart shaded the total's gap (100s, against the text's
        # 2.06) and coloured both validation curves alike; the total goes to a panel of its own.
        return [twin, d.metric]
    keys = [k for k in ("train_loss", "val_loss") if run.has(k)]
    if d.metric and d.metric not in keys and run.has(d.metric):
        keys.append(d.metric)
    return keys


def _loss_twin(d) -> str | None:
    """The training series measured like a diagnosed validation loss other than ``val_loss`` (``head1_loss`` for
    ``val_head1_loss``, ``train/cls_loss`` for ``val/cls_loss``: :func:`losslens.facts.paired_train`), else None."""
    from ..facts import paired_train

    run, metric = d.run, str(d.metric or "")
    if metric in ("val_loss", "train_loss") or series_role(metric) != "val" or _diagnosed_higher(d) \
            or not run.has(metric):
        return None
    return paired_train(run, metric)


def series_role(key: str) -> str:
    """``"train"``, ``"val"`` or ``"extra"``: which curve a series is by its name (``eval_loss`` is ``"val"``)."""
    if key == "train_loss" or key.startswith("train"):
        return "train"
    if key == "val_loss" or key.startswith(("val", "eval", "valid", "test")):
        return "val"
    return "extra"


def _diagnosed_higher(d) -> bool:
    """Is the diagnosed metric a score? As the diagnosis read it (a ``higher_is_better`` given),
    else by its name."""
    from ..facts import metric_direction

    facts = getattr(d, "facts", None)
    return bool(facts.higher_is_better) if facts is not None else metric_direction(str(d.metric)) is True


def _valmin(d) -> dict | None:
    """The best validation point (axis value, value) of the diagnosed metric or val_loss: the
    minimum of a loss, the maximum of an accuracy; ``label`` says which ("val min" / "val max")."""
    from ..facts import metric_direction

    run = d.run
    key = d.metric if d.metric and series_role(d.metric) == "val" and run.has(d.metric) else (
        "val_loss" if run.has("val_loss") else None)
    if key is None:
        return None
    x, y = run.finite(key)
    higher = _diagnosed_higher(d) if key == d.metric else metric_direction(key) is True
    i = int(np.argmax(y) if higher else np.argmin(y))
    # (all its digits: the point sits on its curve, which is drawn with as many as its axis needs)
    return {"key": key, "x": round_sig(x[i]), "y": round_sig(y[i], 10), "label": "val max" if higher else "val min"}


def y_label(data: dict) -> str:
    """"loss" when every curve drawn is a loss, else the diagnosed metric's name."""
    return "loss" if all(s["key"].endswith("loss") for s in data["loss"]) else str(data["metric"])


def gap_pair(loss: list) -> tuple[str, str] | None:
    """``(train key, validation key)`` of the losses drawn (``loss``: :func:`chart_data`'s ``{key, role}`` entries)
    whose gap the chart shades and the card quotes: ``train_loss`` and ``val_loss``, or one head's pair drawn instead
    of them (:func:`_loss_twin`); None for any other curves (a score and its twin)."""
    keys = [s["key"] for s in loss]
    if "train_loss" in keys and "val_loss" in keys:
        return "train_loss", "val_loss"
    if len(keys) == 2 and [s["role"] for s in loss] == ["train", "val"] and all(k.endswith("loss") for k in keys):
        return keys[0], keys[1]
    return None


def _gap(axis, smoothed: dict, pair: tuple[str, str] | None) -> dict | None:
    """Generalization gap (smoothed val - smoothed train) at the last point where both exist, of ``pair``
    (:func:`gap_pair`)."""
    if pair is None:
        return None
    tr, va = smoothed.get(pair[0]), smoothed.get(pair[1])
    if tr is None or va is None:
        return None
    both = np.isfinite(tr) & np.isfinite(va)
    if not both.any():
        return None
    i = int(np.flatnonzero(both)[-1])
    return {"x": round_sig(axis[i]), "train": round_sig(tr[i]), "val": round_sig(va[i]), "value": round_sig(va[i] - tr[i])}


def _forecast(d, last_x: float, drawn: list[str]) -> dict | None:
    """The forecast as a path (x, lo, mid, hi) or one point with its interval.

    Drawn only when it forecasts one of the ``drawn`` loss series (it shares their y axis).
    """
    return _forecast_path(d.forecast, d.metric, last_x, drawn)


def _forecast_path(f, metric, last_x: float, drawn: list[str]) -> dict | None:
    """:func:`_forecast` from a forecast's dict (``Forecast.to_dict``) and the metric it defaults to."""
    if not isinstance(f, dict) or f.get("metric", metric) not in drawn or f.get("reason"):
        return None  # (with a reason there is no forecast: its value and interval are a wide guess)
    path = f.get("path")
    if isinstance(path, dict) and all(k in path for k in ("x", "lo", "mid", "hi")):
        try:
            cols = [np.asarray(path[k], dtype=float) for k in ("x", "lo", "mid", "hi")]
        except (TypeError, ValueError):
            cols = None
        if cols and len({c.shape[0] for c in cols}) == 1 and cols[0].shape[0] > 0:
            # The path starts at the first logged point; the chart shows only what lies
            # ahead (from the last point before the end of the log), where the data stop.
            ahead = np.flatnonzero(cols[0] > last_x)
            if ahead.size:
                start = max(0, int(ahead[0]) - 1)
                cols = [c[start:] for c in cols]
                if start < int(ahead[0]) and cols[0].shape[0] > 1:
                    # Inside the log the band is the curve's noise band; every point ahead gets the interval
                    # calibrated for twice the run (forecasting._quantiles: its shortest calibrated horizon), so one
                    # path step later it is full width, and the band was drawn widening as a near-vertical wall
                    # (nanoGPT, a Trainer's log) from a point before the log's end. It starts at the log's last
                    # point (the middle read there), at its width ahead.
                    x0, x1 = cols[0][0], cols[0][1]
                    w = (last_x - x0) / (x1 - x0) if x1 > x0 else 0.0
                    cols = [c.astype(float, copy=True) for c in cols]
                    cols[0][0], cols[2][0] = last_x, cols[2][0] + w * (cols[2][1] - cols[2][0])
                    cols[1][0], cols[3][0] = cols[1][1], cols[3][1]
            return {"x": round_sig_list(cols[0]), "lo": round_sig_list(cols[1]), "mid": round_sig_list(cols[2]), "hi": round_sig_list(cols[3]),
                    "value": round_sig(f.get("value")), "horizon": round_sig(f.get("horizon")),
                    "p_improve": round_sig(f.get("p_improve"))} | _held(f)
    value, horizon = finite_or_none(f.get("value")), finite_or_none(f.get("horizon"))
    if value is None or horizon is None:
        return None
    interval = f.get("interval") or [None, None]
    lo, hi = (finite_or_none(interval[0]), finite_or_none(interval[1])) if len(interval) == 2 else (None, None)
    # ``horizon`` is where the forecast lands on the log's axis; a horizon shorter than
    # the run reads as "this many more epochs".
    hx = horizon if horizon > last_x else last_x + horizon
    return {"x": [round_sig(hx)], "lo": [round_sig(lo)], "mid": [round_sig(value)], "hi": [round_sig(hi)],
            "value": round_sig(value), "horizon": round_sig(horizon), "p_improve": round_sig(f.get("p_improve"))} \
        | _held(f)


def _held(f: dict) -> dict:
    """``{"noise_floor": floor}`` where the forecast was held by the data's noise floor (its dict's key), else {}."""
    floor = finite_or_none(f.get("noise_floor"))
    return {} if floor is None else {"noise_floor": round_sig(floor)}


def decimate(n: int, max_points: int) -> np.ndarray:
    """Indices keeping at most ``max_points`` evenly spaced points (first and last kept)."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(int))


def column_extremes(x: np.ndarray, y: np.ndarray, columns: int) -> np.ndarray:
    """Indices of the first smallest and the first largest finite ``y`` in each of ``columns`` equal stretches of
    ``x`` (shapes (n,); ``x`` ascending, as a Run's axis is), ascending, shape (k,) with k <= 2 * columns: a line
    through them spans, column by column, what the whole curve spans -- a lone spike, a dip -- as a pixel column
    of the curve drawn whole would."""
    y = np.asarray(y, dtype=float)
    idx = np.flatnonzero(np.isfinite(y))
    if idx.shape[0] == 0 or columns < 1:
        return idx
    x = np.asarray(x, dtype=float)
    pos = x[idx] if x.shape == y.shape else idx.astype(float)
    if not (np.isfinite(pos).all() and pos[-1] > pos[0]):  # (no span to cut: the points' places instead)
        pos = idx.astype(float)
    lo, hi = float(pos[0]), float(pos[-1])
    col = np.minimum(((pos - lo) * (columns / (hi - lo) if hi > lo else 0.0)).astype(np.int64), columns - 1)
    if np.any(col[1:] < col[:-1]):  # (an axis out of order: its columns gathered first)
        order = np.argsort(col, kind="stable")
        idx, col = idx[order], col[order]
    v = y[idx]
    starts = np.flatnonzero(np.concatenate([[True], col[1:] != col[:-1]]))
    counts = np.diff(np.append(starts, v.shape[0]))
    group = np.repeat(np.arange(starts.shape[0]), counts)
    found = []
    for reduce in (np.minimum, np.maximum):
        at = np.flatnonzero(v == np.repeat(reduce.reduceat(v, starts), counts))
        found.append(idx[at[np.concatenate([[True], group[at][1:] != group[at][:-1]])]])
    return np.unique(np.concatenate(found))


def _kept(run, keys, max_points: int, extremes=()) -> np.ndarray:
    """The points a chart draws: every point of a series logged sparsely (at most ``max_points / 2`` finite
    points), and of those in ``extremes`` (the loss curves drawn) logged densely, the smallest and largest in each of
    ``max_points / 2`` columns of the axis (shared between them: :func:`column_extremes`); ``max_points`` evenly
    spaced ones where none is dense. Thinned evenly alone, a validation loss logged every 100 steps beside a loss
    logged every step (5,000 steps to 2,000 points) lost 47 of its 50 points, and its minimum sat off its line; a
    million-step loss lost its spikes, and the band its batches scatter in narrowed to what 2,000 of them span."""
    n = len(run.axis)
    if n <= max_points:
        return np.arange(n)
    finite = {k: np.flatnonzero(np.isfinite(run.series[k])) for k in keys if run.has(k)}
    sparse = [idx for idx in finite.values() if idx.shape[0] <= max_points // 2]
    dense = [k for k in dict.fromkeys(extremes) if k in finite and finite[k].shape[0] > max_points // 2]
    if dense:
        columns = max(1, max_points // (2 * len(dense)))
        keep = np.unique(np.concatenate([[0, n - 1]] + [column_extremes(run.axis, run.series[k], columns)
                                                          for k in dense]).astype(np.int64))
    else:
        keep = decimate(n, max_points)
    return np.union1d(keep, np.concatenate(sparse)) if sparse else keep


def chart_data(d, max_points: int = 2000) -> dict | None:
    """Everything one chart draws, as JSON-ready lists (NaN -> None); None without a Run.

    Keys: ``x`` (axis values, shape (n,)), ``axis``, ``breaks`` (``[[before, after], ...]``: stretches nothing was
    logged in, :func:`axis_breaks`), ``loss`` (list of
    ``{key, label, role, raw, smooth}`` each of shape (n,)), ``logy``, ``ymax`` and ``spikes`` (:func:`_spike_cut`),
    ``yrange`` (``[bottom, top]`` where each curve has one finite point, :func:`_lone_points_range`), ``plateau``
    (``{x, lo, hi, level}``), ``flattened`` (the same, where a still-falling curve slowed: ``Diagnosis.slowdown``;
    None where ``plateau`` is set), ``phases``, ``valmin`` (``{key, x, y}``), ``gap``
    (``{x, train, val, value}``), ``forecast`` (``{x, lo, mid, hi, ...}`` on its own axis)
    and ``panels`` (accuracy, lr, grad norm: ``{title, logy, bounds, series: [{key, label, color,
    values}]}``, bounds as :func:`_natural_bounds`). Runs longer than ``max_points`` are thinned after smoothing (:func:`_kept`): each loss
    curve keeps its smallest and largest point per column of the axis, a series logged sparsely (a validation loss
    every 100 steps) every point.
    """
    run = getattr(d, "run", None)
    if run is None or len(run) == 0:
        return None
    axis = np.asarray(run.axis, dtype=float)
    drawn_keys = [*_loss_keys(d), "train_loss", "val_loss"] + [k for _, members, _ in PANEL_SERIES for k, _, _ in members]
    keep = _kept(run, dict.fromkeys(drawn_keys), max_points, extremes=_loss_keys(d))
    loss, smoothed = [], {}
    scores = bool(d.metric) and _diagnosed_higher(d)
    twin = _loss_twin(d)
    for key in _loss_keys(d):
        raw = np.asarray(run.series[key], dtype=float)
        ok = np.isfinite(raw)
        sm = drawn_smooth(run, key, scores)
        window = _batch_window(d, key, int(ok.sum()))
        if window:  # a batch loss: drawn as the mean X was read on (facts.plateau.window), not its last batch
            from ..facts.smoothing import level_smooth
            r = raw[ok]
            sm[ok] = held_mean(r, (level_smooth(r, 2 * h + 1) for h in range(1, window // 2 + 1)),
                               one_sided_end=True)
        smoothed[key] = sm
        # (Keras names a head's training loss bare, head1_loss: the diagnosed validation loss's twin is training's.)
        role = "train" if key == twin else series_role(key)
        loss.append({"key": key, "label": _series_label(run, key), "role": role, "raw": raw, "smooth": sm})
    # One axis, one rounding: the digits the range of every curve drawn on it needs.
    shown = np.concatenate([s["raw"][keep] for s in loss] or [np.array([])])
    raw_digits, smooth_digits = curve_digits(shown, 5), curve_digits(shown)
    for s in loss:
        s["raw"] = round_sig_list(s["raw"][keep], raw_digits)
        s["smooth"] = round_sig_list(s["smooth"][keep], smooth_digits)
    higher = d.metric in smoothed and _diagnosed_higher(d)
    logy, ymax, clipped = _y_scale(run, axis, {k: run.series[k] for k in smoothed}, smoothed, higher)
    yrange = None if logy else _lone_points_range([s["raw"] for s in loss])
    plateau = _mark(d.plateau)
    # Where a still-falling curve flattened (the text's "still improving slowly — flattened at ..."): drawn apart
    # from X, never as it, since the curve has not plateaued there (no plateau phase, "plateau X: none" on the card).
    flattened = _mark(getattr(d, "slowdown", None)) if plateau is None else None
    rising = bool(d.metric) and _diagnosed_higher(d)
    from ..facts.plateau import phases_without_x
    phases = []
    given = [p for p in d.phases or [] if isinstance(p, dict)]
    # diagnose() already names no plateau phase where it gives no X; a Diagnosis built otherwise may: a band named
    # "plateau" beside a card saying "none (not plateaued)" told the reader the opposite of the verdict.
    for p in given if plateau is not None else phases_without_x(given):
        start, end = finite_or_none(p.get("start")), finite_or_none(p.get("end"))
        if start is None or end is None or end <= start:
            # (A band of no width draws nothing: hf_earlystop_rise/stop128's "plateau" from step 80 to 80 was a
            # legend swatch with no band.)
            continue
        name = str(p.get("name", ""))
        label, color = PHASES.get(name, (_label(name), "#bbbbbb"))
        if rising:  # an accuracy climbs where a loss drops
            label = RISING_PHASES.get(name, label)
        phases.append({"name": name, "label": label, "color": color, "start": start, "end": end})
    phases = _with_stretch(phases, d)
    panels = []
    drawn = set(smoothed)
    extra = () if drawn & {"train_loss", "val_loss"} else (
        ("loss", [("train_loss", "train loss", TRAIN_COLOR), ("val_loss", "val loss", VAL_COLOR)], True),)
    for title, members, log_ok in extra + PANEL_SERIES:
        series = []
        for key, label, color in members:
            if run.has(key) and key not in drawn:
                series.append({"key": key, "label": label, "color": color,
                               "values": round_sig_list(np.asarray(run.series[key], dtype=float)[keep])})
        if series:
            panels.append({"title": title, "logy": _log_panel(series, log_ok), "series": series,
                           "bounds": _natural_bounds(title, series)})
    layers = _layer_panel(run, keep)
    if layers is not None:
        panels.append(layers)
    chance = chance_levels(d)
    main_chance = None
    if chance is not None:
        # 1/K on each accuracy drawn, ln K on each cross-entropy drawn: where a guesser's curves sit.
        loss_line = {"y": chance["loss"], "label": f"chance: ln {chance['classes']} = {chance['loss']:.4g}"}
        for p in panels:
            if p["title"] == "accuracy":
                p["chance"] = _acc_chance(chance, p["series"])
            elif p["title"] == "loss":
                p["chance"] = loss_line
        main_chance = (_acc_chance(chance, loss) if higher else loss_line if y_label({"loss": loss, "metric": ""})
                       == "loss" else None)
    return {
        "name": str(d.run_name), "axis": str(d.axis or run.axis_name), "metric": run.label(str(d.metric)),
        "x": round_sig_list(axis[keep]), "breaks": axis_breaks(axis),
        "loss": loss, "logy": logy, "ymax": round_sig(ymax), "spikes": clipped, "yrange": yrange,
        "plateau": plateau, "flattened": flattened, "phases": phases,
        "valmin": _valmin(d), "gap": _gap(axis, smoothed, gap_pair(loss)), "gap_keys": gap_pair(loss),
        "nonfinite": _nonfinite(run, axis, list(smoothed) or _never_finite(run, d.metric)),
        "forecast": _forecast(d, float(axis[-1]), list(smoothed)), "panels": panels,
        "chance": main_chance, "floor": None if higher else noise_floor_line(run),
        "baseline": None if higher else baseline_line(run),
    }


def _stretch(d) -> tuple[float, float] | None:
    """(start, end) on the run's axis of the flat stretch a ``temporary_plateau`` verdict names; None for any other."""
    top = d.causes[0] if d.verdict == "temporary_plateau" and d.causes else None
    if top is None:
        return None
    a, b = finite_or_none(top.numbers.get("flat_start")), finite_or_none(top.numbers.get("flat_end"))
    return (a, b) if a is not None and b is not None and b > a else None


def _with_stretch(phases: list[dict], d) -> list[dict]:
    """``phases`` with the flat stretch a temporary_plateau verdict names cut out of the bands it fell in and drawn
    as its own (:data:`STRETCH_PHASE`), unless a plateau band already holds it (a saddle after X). The text said "flat
    from epoch 10 to 18" while the chart drew 0-21 one "steep drop" (a step-decay run, its X the final plateau at
    41). New dicts where cut."""
    span = _stretch(d)
    if span is None:
        return phases
    a, b = span
    if any(p["name"] == "plateau" and p["start"] <= a and b <= p["end"] for p in phases):
        return phases
    out = []
    for p in phases:
        if p["end"] <= a or p["start"] >= b:
            out.append(p)
            continue
        if p["start"] < a:
            out.append(dict(p, end=a))
        if p["end"] > b:
            out.append(dict(p, start=b))
    label, color = STRETCH_PHASE
    out.append({"name": "temporary_plateau", "label": label, "color": color, "start": a, "end": b})
    return sorted(out, key=lambda p: p["start"])


def _mark(pl) -> dict | None:
    """``{x, lo, hi, level}`` of a :class:`~losslens.result.Plateau` (X, or where a curve slowed), on the run's axis;
    None without one."""
    if pl is None or finite_or_none(pl.epoch) is None:
        return None
    lo, hi = (list(pl.interval) + [None, None])[:2] if pl.interval is not None else (None, None)
    return {"x": round_sig(pl.epoch), "lo": round_sig(finite_or_none(lo)), "hi": round_sig(finite_or_none(hi)),
            "level": round_sig(finite_or_none(pl.level))}


def noise_floor_line(run) -> dict | None:
    """``{y, label}``: the data's noise floor where the run states it (``meta["noise_floor"]``, the lab's regression
    runs: the targets' noise variance, under which no model's MSE goes), else None. A forecast fitted to the curve
    alone does not know it: the lab's SGD run, 0.0104 at epoch 49, was forecast 0.00653 [0.00059, 0.0151] by epoch 98
    with nothing on the chart to say no model gets there."""
    nf = finite_or_none((getattr(run, "meta", None) or {}).get("noise_floor"))
    if nf is None or not nf > 0:
        return None
    return {"y": round_sig(nf), "label": f"noise floor {nf:.3g} (no model goes lower)"}


def baseline_line(run) -> dict | None:
    """``{y, label}``: the loss of one constant prediction for every input where the run states it
    (``meta["baseline_loss"]``: ``--baseline-loss``, or ``baseline_loss=`` in Python or on a callback), else None: a
    regression's "learned nothing", where a classifier's is ln K."""
    from ..facts import stated_baseline_loss

    stated = stated_baseline_loss(run) if hasattr(run, "meta") else None
    if stated is None:
        return None
    return {"y": round_sig(stated[0]), "label": f"constant prediction {stated[0]:.3g} (learned nothing)"}


def chance_levels(d) -> dict | None:
    """``{classes, acc, loss}`` -- K and a guesser's accuracy (1/K) and cross-entropy (ln K) -- where the diagnosis
    knows K (given, or read off the first loss: ``facts.chance``) and names ``no_signal`` among its causes: the
    chart of a run at chance showed no chance level to read it against. None otherwise."""
    ch = getattr(getattr(d, "facts", None), "chance", None)
    k = getattr(ch, "classes", None)
    if not isinstance(k, (int, float)) or not k >= 2 or "no_signal" not in {c.id for c in d.causes or []}:
        return None
    k = int(k)
    return {"classes": k, "acc": 1.0 / k, "loss": math.log(k)}


def _acc_chance(chance: dict, series: list) -> dict:
    """The 1/K line of an accuracy logged as a fraction, or as a percentage (values over 1.5)."""
    vals = [v for s in series for v in (s.get("values") or s.get("raw") or []) if v is not None]
    top = 100.0 if vals and max(vals) > 1.5 else 1.0
    return {"y": round_sig(top * chance["acc"]), "label": f"chance: 1/{chance['classes']} = {top * chance['acc']:.3g}"}


def _lone_points_range(curves: list) -> list | None:
    """The loss axis ``[bottom, top]`` where every curve drawn has one finite point at most (a run NaN from its
    second epoch), else None: the values padded by 5% of their size each way, or more where they stand further
    apart. Padded by their spread alone, two losses 0.006 apart (DeepOBS' Adam at lr 63.1: 3.585 and 3.591) made
    an axis 0.007 tall whose ticks read like a curve's range."""
    vals = [np.asarray(c, dtype=float) for c in curves]
    if not vals or any(np.isfinite(v).sum() > 1 for v in vals):
        return None
    pts = np.concatenate([v[np.isfinite(v)] for v in vals])
    if not pts.size:
        return None
    lo, hi = float(pts.min()), float(pts.max())
    mid = (lo + hi) / 2
    half = max(0.05 * abs(mid), 0.6 * (hi - lo)) or 0.5  # (all 0: a unit span)
    bottom = mid - half
    if lo >= 0 > bottom:  # a loss is not negative: the axis stops at 0 rather than below
        bottom = 0.0
    return [round_sig(bottom), round_sig(mid + half)]


def _natural_bounds(title: str, series: list) -> list | None:
    """The range a panel's values cannot leave, ``[low, high]``, or None: an accuracy logged as a fraction stays in
    [0, 1]. The HTML chart pads a constant value to twice itself (a stuck run's val accuracy 0.938 drew an axis up
    to 1.88), and stops its padding at these."""
    if title != "accuracy":
        return None
    vals = np.array([v for s in series for v in s["values"] if v is not None], dtype=float)
    return [0, 1] if vals.size and vals.min() >= 0 and vals.max() <= 1 else None


def axis_breaks(axis: np.ndarray) -> list:
    """Stretches of the axis where nothing was logged, ``[[before, after], ...]`` (axis values): a step more than 20
    times the median step and 10 times the step before it. A notebook's saved output that Jupyter cut in the middle
    (epochs 1-17, then 362-378) was drawn as a straight line over 345 epochs nobody logged. Steps that grow
    steadily (logged at 1, 2, 4, 8 ...) break nothing."""
    a = np.asarray(axis, dtype=float)
    a = a[np.isfinite(a)]
    if a.shape[0] < 4:
        return []
    step = np.diff(a)
    typical = float(np.median(step))
    if not typical > 0:
        return []
    at = 1 + np.flatnonzero((step[1:] > 20 * typical) & (step[1:] > 10 * step[:-1]))
    return [[round_sig(a[i]), round_sig(a[i + 1])] for i in at]


def spike_points(values: np.ndarray, fence: float = 5.0) -> np.ndarray:
    """Indices of a curve's lone spikes, shape (k,): points (not the first or last logged) that stand more than
    ``fence`` times the curve's interquartile range above the lower of the two points on each side -- a single
    bad batch, or two. A steep first drop stands below its left neighbours and is none, nor is a climb to a
    divergence. More than one point in 100 (2 in a short curve) so high is the curve's own scatter: none then."""
    v = np.asarray(values, dtype=float)
    at = np.flatnonzero(np.isfinite(v))
    f = v[at]
    n = f.shape[0]
    if n < 5:
        return np.array([], dtype=int)
    q1, q3 = np.percentile(f, [25, 75])
    if not q3 > q1:
        return np.array([], dtype=int)
    pad = np.concatenate([[np.inf], f, [np.inf]])  # (an edge has one neighbour on that side)
    left = np.minimum(pad[:-2], np.concatenate([[np.inf], pad[:-3]]))
    right = np.minimum(pad[2:], np.concatenate([pad[3:], [np.inf]]))
    high = f - np.maximum(left, right) > fence * (q3 - q1)
    high[[0, -1]] = False
    found = np.flatnonzero(high)
    return at[found] if 0 < found.shape[0] <= max(2, n // 100) else np.array([], dtype=int)


def _y_scale(run, axis: np.ndarray, raw: dict, smoothed: dict, higher: bool) -> tuple[bool, float | None, list]:
    """The loss axis of a chart drawing ``raw`` (key -> values as logged, shape (n,)) and ``smoothed`` (key ->
    their smoothed curves, shape (n,)): ``(logy, ymax, clipped)``, ymax and clipped as :func:`_spike_cut` gives
    them. ``higher``: a score, drawn linear and with no spike cut."""
    finite = np.concatenate([np.asarray(v, dtype=float)[np.isfinite(v)] for v in raw.values()] or [np.array([])])
    spikes = {} if higher else {k: spike_points(v) for k, v in raw.items()}
    rest = [np.delete(v, spikes.get(k, [])) for k, v in raw.items()] + list(smoothed.values())
    rest = np.concatenate([r[np.isfinite(r)] for r in rest] or [np.array([])])
    # Log scale once the losses span more than a factor of 5: the plateau's detail stays visible
    # (a score, bounded above, reads best on its own linear scale). Decided without a lone spike's points (one
    # batch's loss 1e4 in a curve about 1 set a log axis that squashed the curve into its foot).
    # (Over the positive values only: the smoother can dip to 0 or below where a curve falls 18 decades in one
    # step -- DeepOBS' Momentum at lr 1.58 on SVHN, 2e19 down to 2.3 -- and a divide by zero warned on stderr.)
    pos = rest[rest > 0]
    logy = bool(finite.size and np.all(finite > 0) and pos.size and pos.max() / pos.min() > 5 and not higher)
    ymax, clipped = _spike_cut(run, axis, spikes, rest, logy)
    return logy, ymax, clipped


def _spike_cut(run, axis: np.ndarray, spikes: dict, rest: np.ndarray, logy: bool) -> tuple[float | None, list]:
    """Where the loss axis stops (None: at the data) and the points it leaves above (``[{key, label, x, y}]``):
    cut just over the rest of the curves where a lone spike (:func:`spike_points`) would more than double the
    axis's span, as a chart of the curves would with the spike drawn at its edge."""
    pts = [(k, int(i)) for k, idx in spikes.items() for i in idx]
    if not pts or not rest.size:
        return None, []
    lo, hi = float(rest.min()), float(rest.max())
    top = max(float(run.series[k][i]) for k, i in pts)
    if logy:
        if not (lo > 0 and top > hi * hi / lo):
            return None, []
        ymax = hi * (hi / lo) ** 0.06
    else:
        if not (hi > lo and top > 2 * hi - lo):
            return None, []
        ymax = hi + 0.06 * (hi - lo)
    return ymax, [{"key": k, "label": _series_label(run, k), "x": round_sig(axis[i]), "y": round_sig(run.series[k][i])}
                  for k, i in pts if run.series[k][i] > ymax]


def _never_finite(run, metric) -> list[str]:
    """The losses logged without one finite value (Keras' History of a run NaN from its first batch): none is
    drawn, and an empty chart with no mark hid what the verdict (diverged) was read on."""
    keys = dict.fromkeys([metric, "val_loss", "train_loss"] if metric else ["val_loss", "train_loss"])
    return [k for k in keys if k in run.series and len(run.series[k]) and not run.has(k)]


def _nonfinite(run, axis: np.ndarray, keys: list) -> list:
    """Where each drawn loss turned NaN/inf for good (``facts.divergence.nonfinite_start``): the curve
    just stops there, so a diverged run's chart would otherwise show a clean descent. One mark per
    epoch, naming every series that broke there: ``[{x, label}]``."""
    from ..facts.divergence import logged, nonfinite_onset, stated_final

    at: dict = {}
    for key in keys:
        raw = logged(run, key)
        onset = nonfinite_onset(raw, stated_final(run, key))
        if onset is None and raw.size and not np.isfinite(raw).any():  # never finite: broken from the first point
            onset = (0, "inf" if np.isinf(raw[0]) else "NaN")
        if onset is None:
            continue
        i, kind = onset
        at.setdefault((float(axis[i]), kind), []).append(_series_label(run, key))
    name = str(run.axis_name)
    return [{"x": round_sig(x), "label": f"{' and '.join(what)} {kind} from {name} {x:g}"}
            for (x, kind), what in sorted(at.items())]


# ---- matplotlib ------------------------------------------------------------------------------
def _arr(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _figure_class():
    """matplotlib's bare ``Figure``; without matplotlib, a :class:`~losslens.MissingExtraError` that names the
    extra to install (the Python API's counterpart of the CLI's one line, caught as every other missing extra
    is), not a bare "No module named 'matplotlib'"."""
    try:
        from matplotlib.figure import Figure
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] != "matplotlib":
            raise
        err = MissingExtraError("losslens' charts need matplotlib: pip install 'losslens[plot]'")
        err.name = "matplotlib"  # as the ModuleNotFoundError it stands for says
        raise err from None
    return Figure


def _broken(x: np.ndarray, y: np.ndarray, breaks: list) -> tuple[np.ndarray, np.ndarray]:
    """``x``, ``y`` with a NaN point inside each of ``breaks`` (:func:`axis_breaks`), where a line drawn through them
    stops: nothing was logged there."""
    if not breaks or x.shape[0] < 2:
        return x, y
    cuts = np.array([(lo + hi) / 2 for lo, hi in breaks], dtype=float)
    at = np.searchsorted(x, cuts)
    return np.insert(x, at, cuts), np.insert(y, at, np.nan)


def _bridged(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``y`` with the gaps between its finite points filled by straight lines, as its line is drawn: a
    validation loss logged every 100 steps shares few points with a training loss logged every step, and
    the gap between them would be filled at those few points only (nothing visible)."""
    ok = np.isfinite(y) & np.isfinite(x)
    if ok.sum() < 2:
        return y
    out = y.copy()
    inside = (x >= x[ok][0]) & (x <= x[ok][-1])
    out[inside] = np.interp(x[inside], x[ok], y[ok])
    return out


def draw_loss(ax, data: dict, legend: bool = True):
    """Draw the main panel of ``data`` (from :func:`chart_data`) on a matplotlib Axes."""
    x = _arr(data["x"])
    for p in data["phases"]:
        ax.axvspan(p["start"], p["end"], color=p["color"], alpha=0.09, lw=0)
    top_labels = [(p["start"], p["end"], p["label"]) for p in data["phases"]]
    colors = {"train": TRAIN_COLOR, "val": VAL_COLOR, "extra": EXTRA_COLOR}
    breaks = data.get("breaks") or []
    curves = {}
    for s in data["loss"]:
        c = colors[s["role"]]
        raw, sm = _arr(s["raw"]), _arr(s["smooth"])
        ok = np.isfinite(raw)
        # One finite value (a run NaN from its second epoch) strokes no line: its point is drawn, or the legend
        # named curves nobody could see.
        lone = {"marker": "o", "ms": 5} if ok.sum() == 1 else {}
        if 1 < ok.sum() <= FEW_POINTS:
            # (Where the points are few a line alone hides where the run was measured: a Trainer's 8 evaluations
            # read as a continuous curve.)
            lone = {"marker": "o", "ms": 3.5}
        ax.plot(*_broken(x[ok], raw[ok], breaks), color=c, alpha=0.28, lw=0.9)
        # (The bold line is the smooth, the faint one the log: named "val loss" alone, the smooth was read as the
        # logged values.)
        name = s["label"] + (" (smoothed)" if ok.sum() > 2 else "")
        ax.plot(*_broken(x[ok], sm[ok], breaks), color=c, lw=1.8, label=name, **lone)
        curves[s["key"]] = sm
    pair = data.get("gap_keys")
    if pair is not None and pair[0] in curves and pair[1] in curves:
        gx, tr = _broken(x, _bridged(x, curves[pair[0]]), breaks)
        va = _broken(x, _bridged(x, curves[pair[1]]), breaks)[1]
        both = np.isfinite(tr) & np.isfinite(va)
        ax.fill_between(gx, tr, va, where=both, color=VAL_COLOR, alpha=0.10, lw=0,
                        label="generalization gap", interpolate=True)
    floor_line = data.get("floor")
    if floor_line:
        _chance_line(ax, floor_line)
    if data.get("baseline"):
        _chance_line(ax, data["baseline"])
    f = data["forecast"]
    if f:
        fx, lo, mid, hi = (_arr(f[k]) for k in ("x", "lo", "mid", "hi"))
        under = ""
        if floor_line and np.nanmin(np.concatenate([lo, mid])) < floor_line["y"]:
            # Said, not clipped: the fit reaches where the data's noise lets no model go. A forecast held by the floor
            # reaches under it only by the validation set's own draw of the noise (forecasting._held_at).
            under = "; held at the noise floor, under it only by a validation set's own scatter" if f.get("noise_floor") \
                else "; reaches under the noise floor, which the fit does not know"
        if fx.shape[0] > 1:
            bottom = log_bottom(data) if data["logy"] else None
            off = ""
            if bottom is not None and np.nanmin(lo) < bottom:
                # On a log axis a lower edge at 0 (or decades under the curves) fell off the axis as a cliff: the
                # band is drawn down to the axis's foot and the bound it reaches is written out.
                off = f"; its lower edge reaches {np.nanmin(lo):.3g}, under the axis"
                lo = np.maximum(lo, bottom)
            start = forecast_jump(data, float(mid[0]))
            if start:
                ax.plot(fx[:1], mid[:1], color=FORECAST_COLOR, marker="o", ms=4, ls="none", zorder=3)
            # The legend says how far it reaches and what the band is: "forecast" alone left both to guess.
            ax.fill_between(fx, lo, hi, color=FORECAST_COLOR, alpha=0.18, lw=0)
            ax.plot(fx, mid, color=FORECAST_COLOR, lw=1.5, ls="--",
                    label=f"forecast to {data['axis']} {axis_text(fx[-1], thousands=True)}, 90% band{off}{under}"
                          + start)
        else:
            yerr = None
            if np.isfinite(lo[0]) and np.isfinite(hi[0]):
                yerr = [[mid[0] - lo[0]], [hi[0] - mid[0]]]
            # Named as the band's label names its reach ("forecast to epoch 200, 90% band"): "forecast at 200"
            # left the axis and the value to guess.
            ax.errorbar(fx, mid, yerr=yerr, fmt="D", color=FORECAST_COLOR, ms=5, capsize=3,
                        label=f"forecast at {data['axis']} {axis_text(fx[0], thousands=True)}: {mid[0]:.4g}"
                              + (", 90% interval" if yerr is not None else "") + under)
    if data.get("chance"):
        _chance_line(ax, data["chance"])
    vm = data["valmin"]
    if vm:
        ax.plot([vm["x"]], [vm["y"]], marker="o", mfc="white", mec=VAL_COLOR, mew=1.8, ms=7, ls="none",
                label=f"{vm.get('label', 'val min')} {vm['y']:.4g} @ {vm['x']:g}", zorder=5)
    for m in data.get("nonfinite") or []:  # the loss broke down here: the curve stops, the reason is drawn
        ax.axvline(m["x"], color=NONFINITE_COLOR, lw=1.4, ls=(0, (4, 3)), label=m["label"])
    pl = data["plateau"]
    if pl:
        ax.axvline(pl["x"], color=PLATEAU_COLOR, lw=1.6, label=pl.get("label") or f"X = {pl['x']:g}")
        if pl["lo"] is not None and pl["hi"] is not None and pl["lo"] < pl["hi"]:
            # A bracket along the top and dotted edges, not a shaded span: a span tinted the phase bands under
            # it, and X's interval read as one more phase (a Trainer's 15-60 over its steep drop and plateau).
            bracket = ax.get_xaxis_transform()
            for edge in (pl["lo"], pl["hi"]):
                ax.axvline(edge, color=PLATEAU_COLOR, lw=0.9, ls=":", alpha=0.9)
            ax.plot([pl["lo"], pl["hi"]], [0.9, 0.9], transform=bracket, color=PLATEAU_COLOR, lw=1.4, marker="|",
                    ms=8, mew=1.4, solid_capstyle="butt", label=f"interval of X: {pl['lo']:g}\u2013{pl['hi']:g}")
    fl = data.get("flattened")
    if fl:  # dashed, "flattened": where it slowed, which the verdict says is no plateau
        ax.axvline(fl["x"], color=PLATEAU_COLOR, lw=1.4, ls=(0, (5, 3)),
                   label=f"flattened at {fl['x']:g}, still falling (not a plateau)")
        if fl.get("lo") is not None and fl.get("hi") is not None and fl["hi"] > fl["lo"]:
            # (The title's "[118, 145]" drawn as X's interval is: it was printed and nowhere on the chart.)
            ax.plot([fl["lo"], fl["hi"]], [0.9, 0.9], transform=ax.get_xaxis_transform(), color=PLATEAU_COLOR,
                    lw=1.2, ls=(0, (3, 2)), marker="|", ms=8, mew=1.2,
                    label=f"interval of the slowdown: {fl['lo']:g}\u2013{fl['hi']:g}")
    if not data["loss"] and x.size:
        # Nothing finite to draw (a loss NaN from its first point): the run's own axis and a line saying so,
        # not an empty 0-1 box.
        first, last = float(np.nanmin(x)), float(np.nanmax(x))
        # A margin as matplotlib gives drawn data: the NaN mark at the first point stood on the left spine, unseen.
        pad = 0.03 * (last - first if last > first else 1)
        ax.set_xlim(first - pad, (last if last > first else first + 1) + pad)
        ax.set_yticks([])
        ax.text(0.5, 0.5, "no finite value logged: nothing to draw", transform=ax.transAxes, ha="center",
                va="center", color=NONFINITE_COLOR, fontsize=9)
    if data["logy"]:
        ax.set_yscale("log")
    if data.get("yrange"):
        ax.set_ylim(*data["yrange"])
    if data.get("ymax") is not None:
        _mark_spikes(ax, data, colors)
    if data["logy"]:
        _log_floor(ax, data)
        _plain_log_ticks(ax)
    else:
        scale = _linear_ticks(ax)
    ax.set_ylabel(y_label(data) + ("" if data["logy"] else scale))
    ax.grid(True, color="#e6e6e6", lw=0.7)
    ax.set_axisbelow(True)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    # Phase names along the top, inside the axes, where the band as drawn is wide enough to hold the name, as the
    # HTML report measures it: a fraction of the run's own span let a 10-epoch run's forecast to epoch 199 squeeze
    # "steep drop" and "slow descent" into 5% of the width, one over the other.
    lo, hi = ax.get_xlim()
    points_wide = ax.get_position().width * ax.figure.get_figwidth() * 72
    for start, end, label in top_labels:
        drawn = min(end, hi) - max(start, lo)
        if hi > lo and drawn / (hi - lo) * points_wide >= _text_width(label, 7.5) + 8:
            ax.text((max(start, lo) + min(end, hi)) / 2, 0.985, label, transform=ax.get_xaxis_transform(), ha="center",
                    va="top", fontsize=7.5, color="#555555",  # on white, as in the HTML: X's line crossed "steep drop"
                    bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1.0})
    if legend and ax.get_legend_handles_labels()[0]:  # a run NaN throughout draws no line: matplotlib warned
        # Placed below the strip the phase names take ("best" weighs curves, not text: a legend over a Lightning
        # run's "rising validation" hid the name).
        handles, labels = _with_phases(ax, data)
        ax.legend(handles, labels, fontsize=7.5, frameon=True, framealpha=0.85, edgecolor="none", loc="best", ncol=2,
                  bbox_to_anchor=(0, 0, 1, 0.94 if any(t.get_text() for t in ax.texts) else 1))
    return ax


#: How far (a share of the drawn curve's last smoothed value) the forecast's first point may sit from it before the
#: legend says where the forecast starts: the fit's level, not the curve's end (hf_logging_steps/ls1_e16: the smooth
#: ends near 0.185 pulled by a last point at 0.439, the forecast starts at 0.134, a 28% step read as a drop).
FORECAST_JUMP = 0.1


def forecast_jump(data: dict, start: float) -> str:
    """The legend's words for a forecast that starts off the diagnosed curve's drawn end by over
    :data:`FORECAST_JUMP` of it ("; starts at the fitted level 0.134, not the curve's end 0.185"), else ""."""
    line = next((s for s in data["loss"] if s["key"] == data.get("metric")), None)
    if line is None:
        return ""
    sm = _arr(line["smooth"])
    sm = sm[np.isfinite(sm)]
    if not sm.size or not math.isfinite(start) or abs(start - sm[-1]) <= FORECAST_JUMP * abs(sm[-1]):
        return ""
    return f"; starts at the fitted level {start:.3g}, not the curve's end {sm[-1]:.3g}"


#: A curve of at most this many finite points is drawn with a marker at each (the 8 evaluations of a Trainer run
#: every 10 steps; at 40 epochs the markers run into a line of their own).
FEW_POINTS = 12


#: The chance level's line: grey, dashed, under the curves.
CHANCE_COLOR = "#6b7280"


def _chance_line(ax, line: dict) -> None:
    """A guesser's level (``{y, label}``, :func:`chance_levels`) across ``ax``, named in its legend."""
    ax.axhline(line["y"], color=CHANCE_COLOR, lw=1.1, ls=(0, (5, 3)), zorder=1.5, label=line["label"])


def phase_key(data: dict) -> list[tuple[str, str]]:
    """``(name, colour)`` of each phase band ``data`` draws, once a name, in the run's order: the key the PNG's
    legend and the HTML chart give the bands (a band too narrow for its name, epochs 1-3 of a slow descent, was a
    colour nobody named)."""
    seen: dict[str, str] = {}
    for p in data.get("phases") or ():
        seen.setdefault(str(p["label"]), p["color"])
    return list(seen.items())


def _with_phases(ax, data: dict | None) -> tuple[list, list]:
    """The legend's handles and labels of ``ax``, then one swatch per phase band (:func:`phase_key`), named
    "phase: NAME"; the swatch darker than the band's 9% tint, with an edge, to be seen at legend size."""
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    for name, color in phase_key(data or {}):
        handles.append(Patch(facecolor=_rgba_tuple(color, 0.18), edgecolor=_rgba_tuple(color, 0.6), lw=0.8))
        labels.append(f"phase: {name}")
    return handles, labels


def _rgba_tuple(hexcol: str, a: float) -> tuple:
    n = int(hexcol.lstrip("#"), 16)
    return ((n >> 16 & 255) / 255, (n >> 8 & 255) / 255, (n & 255) / 255, a)


def _text_width(text: str, size: float) -> float:
    """Width of ``text`` at font ``size`` (points), measured on its glyphs in matplotlib's default font, before
    anything is drawn (no renderer needed)."""
    from matplotlib.textpath import TextPath

    return float(TextPath((0, 0), text, size=size).get_extents().width)


def _drawn_values(data: dict, forecast: tuple) -> np.ndarray:
    """The finite values a chart's loss axis draws, shape (m,): each curve as logged and smoothed, and the
    forecast's ``forecast`` keys (its band's ``lo``, its path's ``mid``)."""
    f = data.get("forecast") or {}
    vals = np.array([v for s in data["loss"] for k in ("raw", "smooth") for v in s[k] if v is not None]
                    + [v for k in forecast for v in f.get(k, []) if v is not None], dtype=float)
    return vals[np.isfinite(vals)]


def _mark_spikes(ax, data: dict, colors: dict) -> None:
    """Stop the loss axis at ``data["ymax"]`` and mark each point left above it (``data["spikes"]``) at the top
    edge: a triangle pointing up in its curve's colour, its value beside it."""
    top = data["ymax"]
    # The bottom as matplotlib's margin would put it without the spike (with it, 5% of a span 1000x the curve's)
    vals = _drawn_values(data, ("lo", "mid"))
    vals = vals[(vals <= top) & ((vals > 0) if data["logy"] else True)]
    if vals.size:
        low = float(vals.min())
        ax.set_ylim(low / (top / low) ** 0.05 if data["logy"] else low - 0.05 * (top - low), top)
    else:
        ax.set_ylim(top=top)
    from matplotlib.transforms import ScaledTranslation

    edge = ax.get_xaxis_transform()  # x in data, y in axes: 1 is the top edge
    # The triangle hangs from the top edge, inside it, as the HTML draws it: centred on the edge its upper half
    # stood in the line of the run's name above the axes.
    hung = edge + ScaledTranslation(0, -3.5 / 72, ax.figure.dpi_scale_trans)
    roles = {s["key"]: s["role"] for s in data["loss"]}
    lo, hi = ax.get_xlim()
    per_x = ax.get_position().width * ax.figure.get_figwidth() * 72 / (hi - lo) if hi > lo else 0.0  # points per x
    spikes = sorted(data.get("spikes") or [], key=lambda p: p["x"])
    # Spikes at one x (training and validation thrown up at the same epoch) stand side by side, 8 points apart, in
    # the order the curves are listed: drawn on one place, the second triangle hid the first.
    order = {s["key"]: i for i, s in enumerate(data["loss"])}
    shift = []
    for p in spikes:
        same = sorted((q for q in spikes if q["x"] == p["x"]), key=lambda q: order.get(q["key"], len(order)))
        shift.append(8.0 * (same.index(p) - (len(same) - 1) / 2))
    # (left, right, row) of each triangle and value written, in points from the axis' left; row 0 is the triangles'
    taken: list = [((p["x"] - lo) * per_x + dx - 4, (p["x"] - lo) * per_x + dx + 4, 0) for p, dx in zip(spikes, shift)]
    # One legend entry per curve thrown off the axis, in its colour: the first spike's alone named only training
    # where training and validation were both thrown up at one epoch, the validation triangle beside it unnamed.
    named: set = set()
    for p, dx in zip(spikes, shift):
        c = colors.get(roles.get(p["key"]), EXTRA_COLOR)
        ax.plot([p["x"]], [1.0], transform=hung + ScaledTranslation(dx / 72, 0, ax.figure.dpi_scale_trans),
                marker="^", ms=7, color=c, ls="none", clip_on=False, zorder=6,
                label=None if p["key"] in named else f"{p['label']} off the axis")
        named.add(p["key"])
        # A value written beside its triangle ran over the next spike's (training thrown to 141 and validation to
        # 3.1 at one epoch, training to 2.63 at the next): a value that would touch a triangle or a value already
        # written goes a line lower.
        text = f"{p['y']:.3g}"
        left = (p["x"] - lo) * per_x + dx + 5
        right = left + _text_width(text, 7)
        row = 0
        while any(a < right and left < b and r == row for a, b, r in taken):
            row += 1
        taken.append((left, right, row))
        ax.annotate(text, (p["x"], 1.0), xycoords=edge, xytext=(5 + dx, -2 - 9 * row), textcoords="offset points",
                    ha="left", va="top", fontsize=7, color=c, annotation_clip=False, zorder=6,
                    bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 0.5})  # off the curves


def log_bottom(data: dict) -> float | None:
    """The lowest a log loss axis goes (:func:`_log_floor`): half the lowest curve value, forecast middle or noise
    floor drawn; None where none is positive."""
    vals = _drawn_values(data, ("mid",))
    for key in ("floor", "baseline"):
        if data.get(key):
            vals = np.append(vals, data[key]["y"])
    vals = vals[vals > 0]
    return float(vals.min()) / 2 if vals.size else None


def _log_floor(ax, data: dict) -> None:
    """On a log axis, keep the bottom within half the lowest curve value or forecast (its path's middle, which
    ends at the value at the horizon), so a forecast band whose lower edge reaches 0 runs along the foot instead of
    stretching the axis down decades below every curve (a still-falling linear model's band reached 0 at epoch 98: the axis ran to
    1e-4 under a curve that never went below 0.009, and the curve took the top third)."""
    floor = log_bottom(data)
    if floor is not None and ax.get_ylim()[0] < floor:
        ax.set_ylim(bottom=floor)


#: Powers of 10 outside which a linear y axis writes its ticks as a mantissa under one "×10ⁿ" (matplotlib's
#: ``set_powerlimits``): plain, a blown-up loss at 6e20 was labelled "600000000000000000000", a third of the
#: chart's width; 0.0002 and 900000 still read plainly.
LINEAR_POWER_LIMITS = (-4, 6)


def _linear_ticks(ax) -> str:
    """The values themselves on a linear y axis, with no offset: a loss flat at 2.3098-2.31 was labelled -0.0002 ...
    0 under a "+2.31" written over the run's name. Beyond :data:`LINEAR_POWER_LIMITS` the ticks are mantissas and
    the returned suffix (" (×10ⁿ)", mathtext) goes into the axis label: matplotlib's own ×10ⁿ above the axis is
    written over the run's name. "" where the values read plainly."""
    from matplotlib.ticker import FuncFormatter, ScalarFormatter

    lo, hi = ax.get_ylim()
    top = max(abs(lo), abs(hi))
    if not math.isfinite(top) or top == 0 or 10.0 ** LINEAR_POWER_LIMITS[0] <= top < 10.0 ** LINEAR_POWER_LIMITS[1]:
        ax.yaxis.set_major_formatter(ScalarFormatter(useOffset=False))
        ax.ticklabel_format(axis="y", style="plain", useOffset=False)
        return ""
    power = math.floor(math.log10(top))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 10.0 ** power:.6g}"))
    return f" ($\\times 10^{{{power}}}$)"


def _plain_log_ticks(ax):
    """Plain numbers on the log y axis of ``ax``, its minor ticks labelled as the range leaves room: every one under
    3x, all but 7 and 9 under a decade, 2, 3 and 5 under two decades, 2 and 5 up to three. matplotlib labels only
    the powers of 10 there (a validation loss between 0.27 and 0.7 stood under no label), and under a decade
    writes its minor ticks as 4×10⁰. Wider ranges keep matplotlib's 10ⁿ."""
    from matplotlib.ticker import FuncFormatter

    lo, hi = ax.get_ylim()
    if not 0 < lo < hi < 1000 * lo:
        return
    # Under two decades 3 is labelled too: with 2 and 5 alone a loss settled at 2.8 on an axis from 2.3 to 25
    # (a nanoGPT run from 22) sat under no label. Over 3x, 7 and 9 are not: on the forecast chart's axis from
    # 0.25 to 2.2 every tick's label left 0.8, 0.9 and 1 touching.
    mantissas = ((2, 5) if hi / lo >= 100 else (2, 3, 5)) if hi / lo >= 10 else (2, 3, 4, 5, 6, 8)
    few = hi / lo >= 3

    def minor(v, _):
        m = v / 10 ** math.floor(math.log10(v) + 1e-9)
        return f"{v:.3g}" if not few or min(abs(m - k) for k in mantissas) < 1e-6 else ""

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(minor))


def _panel_log_ticks(ax, fontsize: float) -> None:
    """Label a small panel's log y axis only as densely as its height allows: the powers of 10 with 2, 3, 4, 5, 6
    and 8, or 2, 3 and 5, or 2 and 5, or 3, or the powers alone -- the densest set of two labels or more whose
    labels stand 1.5 font heights apart. Under about a decade matplotlib labels every minor tick, and a YOLO run's lr (2e-5 to 4e-4) or a GRU's
    grad norm (0.03 to 0.6) wrote eight labels into the panel's 1.1 inch, one over the next. Over three decades its
    own labels (powers of 10, thinned) stand."""
    from matplotlib.ticker import FuncFormatter, LogFormatterSciNotation, NullFormatter

    lo, hi = ax.get_ylim()
    if not 0 < lo < hi:
        return
    if hi / lo >= 1000:
        ax.yaxis.set_minor_formatter(NullFormatter())
        return
    height = ax.get_position().height * ax.figure.get_figheight() * 72  # points
    per_decade = height / math.log10(hi / lo)
    decades = range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
    keep: set = set()
    for mantissas in ((1, 2, 3, 4, 5, 6, 8), (1, 2, 3, 5), (1, 2, 5), (1, 3), (1,)):
        marks = sorted(m * 10.0 ** k for k in decades for m in mantissas if lo <= m * 10.0 ** k <= hi)
        if (len(marks) >= 2 or mantissas == (1,)) and (np.diff(np.log10(marks)) * per_decade >= 1.5 * fontsize).all():
            keep = {round(math.log10(v), 6) for v in marks}
            break
    fmt = LogFormatterSciNotation(labelOnlyBase=False, minor_thresholds=(np.inf, np.inf))
    fmt.set_axis(ax.yaxis)

    def label(v, pos=None):
        return fmt(v, pos) if v > 0 and round(math.log10(v), 6) in keep else ""

    ax.yaxis.set_major_formatter(FuncFormatter(label))
    ax.yaxis.set_minor_formatter(FuncFormatter(label))


def plot_diagnosis(d, ax=None, panels: bool = True):
    """Draw the annotated chart of one Diagnosis with matplotlib; returns the main Axes.

    With ``ax=None`` a new pyplot figure is made, with small accuracy / learning-rate /
    gradient-norm panels below the loss where those were logged (``panels=False`` omits
    them). With an ``ax`` only the loss panel is drawn on it. The title gives the verdict,
    its confidence and X.
    """
    data = _data_or_fail(d)
    if ax is not None:
        draw_loss(ax, data)
        _title(ax, d, data)
        return ax
    _figure_class()  # matplotlib is there, or the error names the extra
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=_figsize(data, panels))
    return _draw_figure(fig, d, data, panels)


def save_plot(d, path, dpi: int = 150, panels: bool = True) -> Path:
    """Write the annotated chart of ``d`` to ``path`` (.png, .svg or .pdf, by its suffix).

    Uses a bare :class:`matplotlib.figure.Figure` (the Agg canvas), so it neither needs a
    display nor touches pyplot's global state.
    """
    _figure_class()  # matplotlib is there, or the error names the extra, before the path is checked

    path, suffix = _figure_path(path)
    check_number("dpi", dpi, above=0, means="dots per inch", note="dpi=150")
    data = _data_or_fail(d)
    fig = drawn_figure(d, data, panels)
    fig.savefig(path, dpi=dpi, format=suffix, metadata=_metadata(suffix))
    return path


def _figure_path(path) -> tuple[Path, str]:
    """``path`` and its format (png, svg or pdf, from the suffix); any other suffix is an error."""
    if not isinstance(path, (str, os.PathLike)):
        raise UsageTypeError(f"save_plot takes a path to write (run.png, .svg or .pdf), got {type(path).__name__}")
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("png", "svg", "pdf"):
        raise UsageError(f"{path}: unknown figure format {path.suffix!r}; use .png, .svg or .pdf")
    if not path.parent.is_dir():  # (matplotlib's FileNotFoundError came out of PIL, after the drawing)
        raise UsageError(f"{path}: no folder {str(path.parent)!r} to write the figure in; create it first")
    return path, suffix


def inline_svg(fig) -> str:
    """A matplotlib Figure as an inline ``<svg>`` element (no XML prolog, no date)."""
    import io

    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata=_metadata("svg"))
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _data_or_fail(d) -> dict:
    data = chart_data(d)
    if data is None:
        raise UsageError(f"{d.run_name}: the diagnosis carries no run to plot")
    return data


#: Width of the legends' column right of the axes (inches).
LEGEND_WIDTH = 2.3


def drawn_figure(d, data: dict, panels: bool):
    """The chart of ``d`` (``data``: its :func:`chart_data`) on a bare matplotlib ``Figure`` (no pyplot state), with
    the gradient-norm panels below the loss where ``panels``: what :func:`save_plot` writes and the HTML report
    inlines."""
    fig = _figure_class()(figsize=_figsize(data, panels))
    _draw_figure(fig, d, data, panels)
    return fig


def _figsize(data: dict, panels: bool) -> tuple[float, float]:
    n = len(data["panels"]) if panels else 0
    return (7.5 + LEGEND_WIDTH, 3.2 + 1.1 * n + 0.8)


def _outside_legend(ax, fontsize: float = 7.5, data: dict | None = None):
    """The legend of ``ax`` right of it, one entry a row: inside, wherever placed, it covered a curve
    (a Trainer's rising validation loss ran under it on a log axis); ``data``'s phase bands keyed after the curves."""
    import textwrap

    handles, labels = _with_phases(ax, data)
    if handles:  # a run NaN throughout draws no line: matplotlib warned
        ax.legend(handles, [textwrap.fill(t, 30) for t in labels], fontsize=fontsize, frameon=False,
                  loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)


def _draw_figure(fig, d, data: dict, panels: bool):
    extra = data["panels"] if panels else []
    heights = [3.2] + [1.1] * len(extra)
    axes = fig.subplots(len(heights), 1, sharex=True, squeeze=False,
                        gridspec_kw={"height_ratios": heights})[:, 0]
    ax = axes[0]
    draw_loss(ax, data, legend=False)
    _outside_legend(ax, data=data)
    x = _arr(data["x"])
    for pax, panel in zip(axes[1:], extra):
        for s in panel["series"]:
            v = _arr(s["values"])
            ok = np.isfinite(v)
            pax.plot(x[ok], v[ok], color=s["color"], lw=1.3, label=s["label"])
        scale = ""
        if panel["logy"]:
            pax.set_yscale("log")
            _panel_log_ticks(pax, 7.5)
        else:
            scale = _linear_ticks(pax)
        pax.set_ylabel(panel["title"] + scale, fontsize=8)
        pax.tick_params(which="both", labelsize=7.5)  # (minor labels, "3 × 10⁻²", were drawn larger than the major)
        values = np.concatenate([_arr(s["values"]) for s in panel["series"]])
        values = values[np.isfinite(values)]
        if values.size and values.min() == values.max():
            # A constant lr: one tick at its value; matplotlib's default ticks (0.00095 ... 0.00105) read as a range.
            pax.set_yticks([values[0]], [f"{values[0]:g}"])
        pax.grid(True, color="#e6e6e6", lw=0.7)
        for spine in ("top", "right"):
            pax.spines[spine].set_visible(False)
        if panel.get("chance"):
            _chance_line(pax, panel["chance"])
        if len(panel["series"]) > 1 or panel.get("chance"):
            _outside_legend(pax, fontsize=7)
        if data["plateau"]:
            pax.axvline(data["plateau"]["x"], color=PLATEAU_COLOR, lw=1, alpha=0.6)
        for m in data.get("nonfinite") or []:  # a grad norm that stops there stopped for the same reason
            pax.axvline(m["x"], color=NONFINITE_COLOR, lw=1, ls=(0, (4, 3)), alpha=0.8)
    axes[-1].set_xlabel(data["axis"])
    _whole_epochs(axes[-1], data)
    _title(ax, d, data)
    fig.tight_layout()
    return ax


def _whole_epochs(ax, data: dict):
    """Whole epochs on an epoch axis of whole numbers: no tick at epoch 0.5 of a 4-epoch run."""
    x = _arr(data["x"])
    finite_x = x[np.isfinite(x)]
    if data["axis"] == "epoch" and finite_x.size and np.all(finite_x == np.round(finite_x)):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))


def _title(ax, d, data: dict):
    """Verdict, confidence and X in bold; the run name (shortened in the middle) above it."""
    title = headline_words(d)
    conf = finite_or_none(d.causes[0].confidence) if d.causes else None
    if conf is not None:
        title += f" ({conf:.0%})"
    span = _stretch(d)
    if span is not None:  # the stretch the verdict is named for, before X (the plateau the run settled on)
        title += f"  \u00b7  flat {span[0]:g}\u2013{span[1]:g}"
    pl = data["plateau"] or data.get("flattened")
    if pl:
        title += f"  \u00b7  {'X =' if data['plateau'] else 'flattened at'} {pl['x']:g}"
        e = d.epoch_at(pl["x"]) if hasattr(d, "epoch_at") else None
        if e is not None:  # a Trainer's step: its epoch beside it, as the card and the text say
            title += f" (epoch {e:g})"
        if pl["lo"] is not None and pl["hi"] is not None:
            title += f" [{pl['lo']:g}, {pl['hi']:g}]"
    _headline(ax, title, d.run_name)


def _headline(ax, title: str, name) -> None:
    """A chart's headline (the verdict, or the forecast's answer) in bold over ``ax``, the run's name under it."""
    ax.set_title(title, fontsize=10.5, loc="left", fontweight="bold", pad=16)
    ax.text(0, 1.0, shorten(str(name), 90), transform=ax.transAxes, fontsize=8, color="#555555",
            va="bottom", ha="left")


def shorten(text: str, width: int) -> str:
    """``text`` cut in the middle with an ellipsis to at most ``width`` characters."""
    if len(text) <= width:
        return text
    keep = width - 1
    return text[: keep // 2] + "\u2026" + text[len(text) - (keep - keep // 2):]


def _metadata(suffix: str) -> dict:
    # Reproducible files: no creation date in SVG/PDF output.
    return {"Date": None} if suffix in ("svg", "pdf") else {}


# ---- verification ------------------------------------------------------------------------------
CHECK_COLORS = ("#2a9d8f", "#e8710a", "#7b4fb0", "#c0392b", "#1f77b4", "#8c564b")
BASELINE_COLOR = "#222222"
AGAIN_COLOR = "#9a9a9a"  # the baseline trained a second time (a train() with no seed): grey, dashed


def save_verification_plot(v, path, dpi: int = 150) -> Path:
    """Write :func:`verification_figure` to ``path`` (.png, .svg or .pdf, by its suffix)."""
    path, suffix = _figure_path(path)
    verification_figure(v).savefig(path, dpi=dpi, format=suffix, metadata=_metadata(suffix))
    return path


def verification_figure(v):
    """A :class:`~losslens.verification.Verification`'s chart (a bare matplotlib Figure): per
    metric checked, the baseline run (black) and each retrained run (first seed; one colour per
    change), with a dotted line where a change began (``from_epoch``); a compared AFTER that resumed BEFORE
    (``v.resumed``) has a dashed line where it resumed and the stretch compared shaded. Each retrained run's legend
    gives the move of every statistic read on it (``end -3%, spread -97%``). Log scale when the curves span more
    than a decade."""
    from ..verification import change_key

    Figure = _figure_class()
    ran = [r for r in v.results if r.runs]
    metrics = list(dict.fromkeys(r.check.metric for r in ran)) or [v.diagnosis.metric]
    fig = Figure(figsize=(7.5, 0.6 + 3.0 * len(metrics)))
    axes = fig.subplots(len(metrics), 1, squeeze=False)[:, 0]
    base = v.baseline_runs[0] if v.baseline_runs else v.diagnosis.run
    # One colour per change across every panel: a change's lines in two panels (underfitting reads a bigger
    # model on train_loss and val_loss) are one retraining, and must read as one.
    colors: dict = {}
    for r in ran:
        colors.setdefault(change_key(r.check.change), CHECK_COLORS[len(colors) % len(CHECK_COLORS)])
    for ax, metric in zip(axes, metrics):
        lo, hi = np.inf, -np.inf
        curves = [(base, f"{v.baseline_label}: {_label(v.diagnosis.verdict)}", BASELINE_COLOR, None)]
        # (losslens compare where no check was read, the change not named: the AFTER run still drawn beside BEFORE)
        curves += [(run, label, CHECK_COLORS[0], None) for run, label in v.also_drawn]
        again = v.again
        if again is not None:  # train() twice unchanged: how far apart two runs land without any change
            curves.append((again, "baseline again, unchanged (not deterministic)", AGAIN_COLOR, None))
        seen = set()
        for r in (r for r in ran if r.check.metric == metric):
            key = change_key(r.check.change)
            if key in seen:  # two causes' checks that shared one retraining
                continue
            seen.add(key)
            when = f" from {r.began:g}" if r.began is not None else ""
            # (each statistic this run was read on, named: a spread that fell 96% beside an end that moved 5% is
            # what decided lr_too_high, and "(-5%)" alone read as the whole story)
            moves = {}
            for o in v.results:
                if o.runs and o.check.metric == metric and change_key(o.check.change) == key and \
                        o.change_rel is not None:
                    moves.setdefault(o.check.statistic, f"{o.check.statistic} {o.change_rel:+.0%}")
            name = v.drawn_label(r)
            label = name + when + (f" ({', '.join(moves.values())})" if moves else "")
            curves.append((r.runs[0], label, colors[key], r.check.change.get("from_epoch")))
        for run, label, color, start in curves:
            if run is None or run.series.get(metric) is None:
                continue
            x, y = run.finite(metric)
            if y.size == 0:
                if run is not base:  # a change that diverged at once has no line to draw; the legend still says so
                    ax.plot([], [], color=color, lw=1.8, ls="--", label=f"{label}: diverged (no finite value)")
                continue
            is_base = run is base  # on top: a retrained run is the baseline's until its change
            ax.plot(x, y, color=color, lw=1.2 if is_base or run is again else 1.8, label=label,
                    zorder=3 if is_base else 2, marker="o" if y.size == 1 else None, ms=5,
                    ls="--" if run is again else "-")
            lo, hi = min(lo, float(y.min())), max(hi, float(y.max()))
            # (a resumed AFTER's: the resume's own line below marks it)
            if start is not None and start < len(run.axis) and v.resumed is None:
                ax.axvline(run.axis[start], color=color, lw=1, ls=":")
        resumed = v.resumed
        if resumed is not None:
            # (losslens compare of a resumed AFTER: where it left BEFORE, and the stretch both logged, compared)
            unit = resumed.axis_name
            ax.axvspan(resumed.epoch, resumed.until, color="#9e9e9e", alpha=0.12, lw=0,
                       label=f"compared: {unit}s {resumed.epoch:g}–{resumed.until:g}")
            ax.axvline(resumed.epoch, color="#616161", lw=1, ls="--",
                       label=f"AFTER resumes BEFORE at {unit} {resumed.epoch:g}")
        if np.isfinite(lo) and lo > 0 and hi / lo > 10:
            ax.set_yscale("log")
            _plain_log_ticks(ax)
        ax.set_ylabel(metric)
        ax.set_xlabel(base.axis_name if base is not None else "epoch")
        ax.grid(True, color="#e6e6e6", lw=0.7)
        for spine in ("top", "right"):
            ax.spines[spine].set_visible(False)
        ax.legend(fontsize=7.5, frameon=False, loc="best")
    verdict = {True: "confirmed", False: "NOT confirmed", None: "not checked"}[v.confirmed]
    if v.unrun:
        verdict += " in part"
    by = v.checked_by
    verdict += f" by {by}"
    if v.confirmed is None:
        # (the text's own word for its state: compare's "not decided" where the move is within the noise)
        verdict = v.summary().split(":")[0] + ("" if v.summary().startswith("not decided") else f" by {by}")
        other = [r.check.cause for r in ran if r.check.cause != v.diagnosis.verdict and r.holds is not None]
        if other and v.summary().startswith("not checked"):
            # The verdict predicts nothing of this change, but another cause's check read it, and the text's check
            # lines say how it went: "not checked" alone over a chart 51% lower read as a failure.
            c = other[0]
            moved = next((r.change_rel for r in ran if r.check.cause == c and r.change_rel is not None), None)
            verdict = (f"no prediction of this change; {_label(c)}'s "
                       + ("held" if v.holds(c) else "did NOT hold") + ("" if moved is None else f" ({moved:+.0%})"))
    rival = v.points_to
    if rival:  # the title must not say "confirmed" alone where another cause's change did far more
        verdict = ("NOT confirmed" if v.confirmed is False else "held") + f"; {by} points to {_label(rival)}"
    if v.deterministic is False:
        verdict += " (not deterministic)"
    elif len(v.seeds) == 1 and v.confirmed is not None:
        verdict += f" ({v.one_run})"
    _headline(axes[0], f"{_label(v.diagnosis.verdict)}: {verdict}", v.diagnosis.run_name)
    fig.tight_layout()
    return fig


def save_data_plot(fc, path, dpi: int = 150) -> Path:
    """Write :func:`data_figure` to ``path`` (.png, .svg or .pdf, by its suffix)."""
    path, suffix = _figure_path(path)
    data_figure(fc).savefig(path, dpi=dpi, format=suffix, metadata=_metadata(suffix))
    return path


def data_figure(fc):
    """A :class:`~losslens.facts.learning_curve.DataForecast`'s chart (a bare matplotlib Figure),
    log-log: the learning curve (each fold/seed faint, their mean black), the damped power law
    from the largest size out to ``factor`` x the data, the forecast with its 90% interval, and
    the "10% lower" bar the verdict is read against."""
    Figure = _figure_class()

    from ..facts.learning_curve import DATA_GAIN, size_unit

    lc = fc.curve
    fig = Figure(figsize=(6.5, 4.0))
    ax = fig.subplots()
    for row in lc.losses if lc.losses.shape[0] > 1 else ():
        ax.plot(lc.sizes, row, color="#bbbbbb", lw=0.8, marker=".", ms=3, zorder=1)
    ax.plot(lc.sizes, lc.losses.mean(0), color=BASELINE_COLOR, lw=1.6, marker="o", ms=4, zorder=3,
            label=f"measured ({lc.losses.shape[0]} {lc.repeats})" if lc.losses.shape[0] > 1 else "measured")
    xs = np.geomspace(fc.size, fc.size_new, 30)
    ax.plot(xs, [fc.level * np.exp(lc.log_change(x / fc.size)) if x > fc.size else fc.level for x in xs],
            color=CHECK_COLORS[0], lw=1.6, ls="--", zorder=2, label="damped power law")
    lo, hi = fc.interval
    ax.errorbar([fc.size_new], [fc.value], yerr=[[fc.value - lo], [hi - fc.value]], color=CHECK_COLORS[0],
                marker="o", ms=6, capsize=4, zorder=4, label=f"{fc.factor:g}x the data: {fc.value:.4g} (90% interval)")
    ax.axhline((1 - DATA_GAIN) * fc.level, color="#888888", lw=0.9, ls=":", label=f"{DATA_GAIN:.0%} below now")
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.set_xscale("log")
    ax.set_yscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 10 else f"{v:.3g}")
    for axis in (ax.xaxis, ax.yaxis):  # log axes label minor ticks as 3x10^2: too busy here
        axis.set_major_formatter(plain)
        axis.set_minor_formatter(NullFormatter())
    # The y axis labelled as densely as its range leaves room for (every minor tick labelled wrote 0.09 over 0.1).
    _plain_log_ticks(ax)
    # The sizes measured and the one forecast, those whose labels would run into a neighbour's left out: LCDB's
    # sizes, 1.4x apart, wrote "1,0241,4482,0482,588".
    ax.set_xticks(_spaced_ticks(ax, [float(v) for v in lc.sizes], float(fc.size_new), 7.5))
    ax.tick_params(axis="x", labelsize=7.5)
    unit = size_unit(lc.sizes)  # (sizes 0.1 ... 1.0 are fractions of the data, not 0.1 samples)
    ax.set_xlabel(f"training-set size ({unit})" if unit else "training-set size")
    ax.set_ylabel(lc.metric)
    ax.grid(True, which="both", color="#eeeeee", lw=0.6)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    ax.legend(fontsize=7.5, frameon=False, loc="best")
    verdict = "data-limited" if fc.data_limited else "not clearly data-limited"
    ax.set_title(f"{verdict}: {-fc.gain:+.0%} forecast with {fc.factor:g}x the data, "
                 f"P(>{DATA_GAIN:.0%} lower) = {fc.p_gain:.2f}", fontsize=10, loc="left", fontweight="bold")
    fig.tight_layout()
    return fig


def _spaced_ticks(ax, sizes: list, last: float, fontsize: float) -> list:
    """Of ``sizes`` (ascending) and ``last``, the ticks a log x axis of ``ax`` can label without two labels
    touching: ``last`` and the largest size first, then the others from the smallest up."""
    lo, hi = (math.log10(v) for v in (min(sizes + [last]), max(sizes + [last])))
    pad = 0.04 * (hi - lo) if hi > lo else 1.0
    lo, hi = lo - pad, hi + pad  # (the axis as the data will set it, margins included)
    width = ax.get_position().width * ax.figure.get_figwidth() * 72  # points

    def span(v):
        centre = (math.log10(v) - lo) / (hi - lo) * width
        half = _text_width(f"{v:,.0f}" if v >= 10 else f"{v:.3g}", fontsize) / 2 + 3
        return centre - half, centre + half

    kept = [last, sizes[-1]] if sizes[-1] != last else [last]
    if len(kept) == 2 and span(kept[1])[1] > span(kept[0])[0]:
        kept = [last]
    for v in sizes[:-1]:
        a, b = span(v)
        if all(b <= span(k)[0] or a >= span(k)[1] for k in kept):
            kept.append(v)
    return sorted(kept)


# ---- forecast ------------------------------------------------------------------------------------
def forecast_chart_data(run, fc) -> dict:
    """What :func:`forecast_figure` draws, in :func:`chart_data`'s keys (so :func:`draw_loss` draws it): the
    forecast series as logged and smoothed, the forecast band from the last point to the horizon, and the
    plateau epoch X on the fitted curve. No phases, minimum or gap: the chart answers "will more epochs help?"."""
    from ..forecasting import FlippedForecast, still_improving_past_x
    from ..result import at_text

    key = fc.metric
    axis = np.asarray(run.axis, dtype=float)
    keep = _kept(run, [key], 2000, extremes=[key])
    raw = np.asarray(run.series[key], dtype=float)
    ok = np.isfinite(raw)
    higher = isinstance(fc, FlippedForecast)  # a score: read on its own linear scale, as chart_data does
    sm = drawn_smooth(run, key, higher)
    last_x = float(axis[ok][-1]) if ok.any() else float(axis[-1])
    logy, ymax, clipped = _y_scale(run, axis, {key: raw}, {key: sm}, higher)
    pl = finite_or_none(fc.plateau_epoch)
    ahead = pl is not None and pl > last_x
    note = None
    if pl is not None and still_improving_past_x(fc):
        # The text says "plateau X: none yet" (95% of the whole fall reached after a steep start, the curve still
        # forecast to improve > 1%): a red line at that X beside it was a second answer (nanoGPT: "X = 2000 on the
        # fitted curve" over "none yet"). The chart says what the text says, and draws no X.
        note = (f"plateau {run.axis_name} X: none yet (still forecast to improve > 1%, P = {fc.p_improve:.2f}; "
                f"{at_text(run, f'by {run.axis_name}', pl)} the fitted curve made 95% of its fall)")
        pl = None
    return {
        "name": str(run.name), "axis": str(run.axis_name), "metric": run.label(key),
        "x": round_sig_list(axis[keep]), "logy": logy, "ymax": round_sig(ymax), "spikes": clipped,
        "loss": [{"key": key, "label": _series_label(run, key), "role": "train" if key.startswith("train") else "val",
                  "raw": round_sig_list(raw[keep], curve_digits(raw[keep], 5)),
                  "smooth": round_sig_list(sm[keep], curve_digits(raw[keep]))}],
        "plateau": None if pl is None else {
            "x": round_sig(pl), "lo": None, "hi": None, "level": None,
            "label": f"{at_text(run, 'X =', pl)} on the fitted curve ({'forecast' if ahead else 'already'})"},
        "x_note": note,
        "phases": [], "valmin": None, "gap": None, "nonfinite": _nonfinite(run, axis, [key]), "panels": [],
        "forecast": _forecast_path(fc.to_dict(), key, last_x, [key]),
        # (--noise-floor / noise_floor= were taken by forecast and drawn nowhere: the diagnosis chart's floor line)
        "floor": None if higher else noise_floor_line(run),
        "baseline": None if higher else baseline_line(run),
    }


def forecast_figure(run, fc):
    """A :class:`~losslens.forecasting.Forecast`'s chart (a bare matplotlib Figure): the logged curve, the forecast
    to the horizon with its 90% band (drawn by :func:`draw_loss`, as the diagnosis chart draws it), the value at
    the horizon with its interval written beside it, X on the fitted curve, and P(improve) in the title."""
    Figure = _figure_class()
    from ..result import at_text

    data = forecast_chart_data(run, fc)
    fig = Figure(figsize=(7.5 + LEGEND_WIDTH, 4.0))
    ax = fig.subplots()
    draw_loss(ax, data, legend=False)
    if data.get("x_note"):  # (a legend entry with no mark: the text's "none yet", where an X line would stand)
        ax.plot([], [], ls="none", label=data["x_note"])
    axis = data["axis"]
    value, lo, hi = (finite_or_none(v) for v in (fc.value, *fc.interval))
    if not fc.reason and value is not None:
        # The answer itself, on the chart: the band's end alone left the value to be read off the axis.
        yerr = None if lo is None or hi is None else [[value - lo], [hi - value]]
        ax.errorbar([fc.horizon], [value], yerr=yerr, fmt="D", color=FORECAST_COLOR, ms=5, capsize=3, zorder=6)
        interval = "" if yerr is None else f"\n90%: {lo:.4g} to {hi:.4g}"
        ax.annotate(f"{value:.4g} at {axis} {axis_text(fc.horizon)}{interval}", (fc.horizon, value),
                    xytext=(-8, 10), textcoords="offset points", ha="right", va="bottom", fontsize=8,
                    color=FORECAST_COLOR, bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1.0})
        ax.set_xlim(right=max(ax.get_xlim()[1], fc.horizon * 1.02))
        if data["logy"]:
            _log_floor(ax, data)
            _plain_log_ticks(ax)
    _outside_legend(ax)
    ax.set_xlabel(axis)
    _whole_epochs(ax, data)
    if fc.reason:  # its first clause: "val_loss turned NaN at epoch 5 and stayed so"
        title = f"no forecast of {data['metric']}: {fc.reason.split('; ')[0].split(': ')[0]}"
    else:
        # (On a Trainer's step axis the epoch beside the step, as the diagnosis chart's title quotes X.)
        title = (f"{data['metric']} {fc.change_text(1)} by {at_text(run, axis, fc.horizon)}  \u00b7  "
                 f"P({fc.improve_label()}) = {fc.p_improve:.2f}")
    _headline(ax, shorten(title, 100), data["name"])
    fig.tight_layout()
    return fig


def save_forecast_plot(run, fc, path, dpi: int = 150) -> Path:
    """Write :func:`forecast_figure` to ``path`` (.png, .svg or .pdf, by its suffix)."""
    path, suffix = _figure_path(path)
    forecast_figure(run, fc).savefig(path, dpi=dpi, format=suffix, metadata=_metadata(suffix))
    return path
