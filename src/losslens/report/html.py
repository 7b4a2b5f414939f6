"""The HTML report: one self-contained file (no CDN, works offline) for one or many runs.

Per run, an annotated chart (raw and smoothed train/validation curves, X with its interval,
the phases, the validation minimum, the generalization gap, the forecast band, and
accuracy / learning-rate / gradient-norm panels where logged) beside a verdict card
(cause, confidence, evidence, actions). Several runs get an overview table, sortable by
verdict and X, linking to each run, and where they compare (a sweep: one experiment, one held-out
metric) one chart of their validation curves (:func:`sweep_payload`).

Charts are drawn in the browser by uPlot (vendored in ``assets/``, MIT) with zoom (drag)
and hover; a run's chart is drawn when it scrolls near the viewport (those on the first screen
at once) and its data are parsed only then, so a 1,000-run report opens as fast as a short one;
printing (or saving as PDF) draws every chart first. In a narrow window the overview scrolls
sideways, the run's number and name kept in view.

Everything that comes from a log (run names, sources, column names, evidence text) is
HTML-escaped here, and the JSON blocks escape ``<``, ``>`` and ``&`` so that no string can
close its ``<script>`` element.
"""

from __future__ import annotations

import os
import html
import json
import math
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..result import best_run, finite_or_none, saved_settings
from . import plot
from .text import as_logged, best_line, differing_settings, distinct_names, learning_rates, setting_text

#: One colour per cause id (verdict badges, overview dots).
CAUSE_COLORS = {
    "still_improving": "#1d63c9",
    "converged": "#2e8b57",
    "overfitting": "#e8710a",
    "lr_too_high": "#d62728",
    "lr_too_low": "#8e63ce",
    "underfitting": "#8c564b",
    "no_signal": "#7f7f7f",
    "diverged": "#8b0000",
    "stuck_at_init": "#4b5563",
    "data_limited": "#17a2b8",
    "temporary_plateau": "#c9a227",
}
DASH = "\u2013"
_ROLE_COLORS = {"train": plot.TRAIN_COLOR, "val": plot.VAL_COLOR, "extra": plot.EXTRA_COLOR}


# ---- escaping ----------------------------------------------------------------------------------
def esc(value) -> str:
    """HTML-escape any value as text (quotes too, so it is safe inside attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def json_for_script(obj) -> str:
    """JSON that is safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` become ``\\u003c`` etc., so ``</script>`` or ``<!--`` inside a run
    name cannot end the element; U+2028/2029 are escaped for old JavaScript parsers.
    NaN/inf must already be None (``allow_nan=False`` raises otherwise).
    """
    text = json.dumps(obj, allow_nan=False, separators=(",", ":"), ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _asset(name: str) -> str:
    return resources.files("losslens.report").joinpath("assets", name).read_text(encoding="utf-8")


# ---- formatting --------------------------------------------------------------------------------
def _under_one_example(d, fc: dict) -> str:
    """The card's note beside P(improves) where the forecast's whole gain in validation accuracy is under one
    validation example (the evidence says the same, read by the same rule): "89%" alone read as a gain worth
    training for."""
    f = getattr(d, "facts", None)
    if f is None:
        return ""
    from ..diagnosis import under_one_example

    one = under_one_example(f, fc)
    if one is None:
        return ""
    _, n, share = one
    return (f" <span class='ll-sub'>of &gt; 1% lower error, but its gain is {share:.2g} of one of the "
            f"{n} validation examples</span>")


def _fmt(v, digits: int = 4) -> str:
    """A number for people: 4 significant digits, scientific when tiny or huge, '–' when missing."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "\u2013"
    if not math.isfinite(f):
        return "\u2013"
    if f != 0 and (abs(f) < 1e-3 or abs(f) >= 1e5):
        return f"{f:.{digits - 1}e}"
    return f"{f:.{digits}g}"


def _at(v) -> str:
    """An axis value (epoch or step): whole numbers in full (20340, not 2.034e+04)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return DASH
    if math.isfinite(f) and f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    return _fmt(f)


def _label(cause_id: str) -> str:
    return str(cause_id).replace("_", " ")


def _color(cause_id: str) -> str:
    return CAUSE_COLORS.get(str(cause_id), "#6b7280")


def _conf(c) -> float | None:
    try:
        f = float(c.confidence)
    except (TypeError, ValueError, AttributeError):
        return None
    return min(1.0, max(0.0, f)) if math.isfinite(f) else None


# ---- the data one chart draws ------------------------------------------------------------------
def chart_payload(d, data: dict | None = None) -> dict | None:
    """The JSON the page's script draws for one run: one shared x axis, aligned columns.

    uPlot needs every series on one x array, so the forecast path (which runs past the end
    of the log) is merged into the run's axis and every column padded with None.
    """
    data = plot.chart_data(d) if data is None else data
    if data is None:
        return None
    x_run = np.array([np.nan if v is None else v for v in data["x"]], dtype=float)
    f = data["forecast"]
    x_f = np.array([np.nan if v is None else v for v in (f["x"] if f else [])], dtype=float)
    x_f = x_f[np.isfinite(x_f)] if x_f.size else x_f
    x = np.union1d(x_run[np.isfinite(x_run)], x_f) if x_f.size else x_run

    def align(values, on):
        out = [None] * x.shape[0]
        on = np.asarray(on, dtype=float)
        pos = np.searchsorted(x, on)
        # (The matches found at once: a loop over numpy scalars took 2 s of a 1,000-run report.)
        hit = np.flatnonzero((pos < x.shape[0]) & (x[np.minimum(pos, x.shape[0] - 1)] == on)) if x.shape[0] else []
        for i, p in zip(np.asarray(hit).tolist(), pos[hit].tolist()):
            out[p] = values[i]
        return out

    cols = []
    for s in data["loss"]:
        color = _ROLE_COLORS[s["role"]]
        cols.append({"label": s["label"], "kind": "raw", "role": s["role"], "color": color,
                     "values": align(s["raw"], x_run)})
        cols.append({"label": s["label"] + " (smoothed)", "kind": "smooth", "role": s["role"],
                     "color": color, "values": align(s["smooth"], x_run)})
    for role in ("chance", "floor", "baseline"):
        # A guesser's level (1/K, ln K), the data's noise floor or a constant prediction's loss across the run,
        # dashed: a run read against it.
        line = data.get(role)
        if line:
            cols.append({"label": line["label"], "kind": "level", "role": role, "color": plot.CHANCE_COLOR,
                         "values": align([line["y"]] * len(x_run), x_run)})
    forecast = None
    if f:
        fx = np.array(f["x"], dtype=float)
        single = fx.shape[0] == 1
        forecast = {"single": single, "x": f["x"][-1], "mid": f["mid"][-1], "lo": f["lo"][-1],
                    "hi": f["hi"][-1]}
        if not single:
            bottom = plot.log_bottom(data) if data["logy"] else None
            for kind, key in (("fc_lo", "lo"), ("fc_hi", "hi")):
                vals = f[key]
                if bottom is not None:  # (a lower edge at 0 has no place on a log axis: drawn along its foot)
                    vals = [None if v is None else max(v, plot.round_sig(bottom)) for v in vals]
                cols.append({"label": f"forecast {key}", "kind": kind, "role": "forecast",
                             "color": plot.FORECAST_COLOR, "values": align(vals, fx)})
        # (a path starting off the curve's drawn end says where it starts, as the PNG's legend does)
        jump = plot.forecast_jump(data, float(f["mid"][0])) if not single and f["mid"][0] is not None else ""
        cols.append({"label": "forecast" + jump, "kind": "fc_mid", "role": "forecast",
                     "color": plot.FORECAST_COLOR, "values": align(f["mid"], fx)})
    panels = [{"title": p["title"], "logy": p["logy"], "bounds": p.get("bounds"),
               "series": [{"label": s["label"], "color": s["color"], "values": align(s["values"], x_run)}
                          for s in p["series"]]
               + ([{"label": p["chance"]["label"], "color": plot.CHANCE_COLOR, "dash": [5, 3],
                    "values": align([p["chance"]["y"]] * len(x_run), x_run)}] if p.get("chance") else [])}
              for p in data["panels"]]
    ylabel = plot.y_label(data)
    return {"axis": data["axis"], "ylabel": ylabel, "x": plot.round_sig_list(x), "cols": cols,
            "logy": data["logy"], "ymax": data.get("ymax"), "yrange": data.get("yrange"), "spikes": data.get("spikes") or [],
            "breaks": data.get("breaks") or [], "plateau": data["plateau"], "flattened": data.get("flattened"),
            "phases": data["phases"], "valmin": data["valmin"],
            "nonfinite": data.get("nonfinite") or [], "forecast": forecast, "panels": panels,
            "colors": {"train": plot.TRAIN_COLOR, "val": plot.VAL_COLOR, "forecast": plot.FORECAST_COLOR}}


# ---- the verdict card --------------------------------------------------------------------------
def card_html(d, data: dict | None = None) -> str:
    """The verdict card of one run: cause, confidence, X, key numbers, evidence, actions. ``data``: the run's
    :func:`plot.chart_data`, whose values (best, gap, noise floor) the card quotes; without it, none of them."""
    causes = list(d.causes or [])
    top = causes[0] if causes else None
    conf = _conf(top) if top else None
    color = _color(d.verdict)
    out = ['<aside class="ll-card">',
           f'<div class="ll-verdict"><span class="ll-dot" style="background:{color}"></span>'
           # (the chart's title and the overview's words: a solved run read "still improving" beside a "solved"
           # tag, the two at odds, where the title and the text's headline say "solved" alone)
           f'{esc(plot.headline_words(d))}'
           + (f' <span class="ll-tag">{esc(top.status)}</span>' if top is not None and top.status else "")
           + "</div>"]
    if conf is not None:
        out.append(f'<div class="ll-conf"><span>confidence {conf:.0%}</span><span class="ll-bar">'
                   f'<span style="width:{conf * 100:.0f}%;background:{color}"></span></span></div>')
    facts = []
    axis = esc(d.axis or "epoch")
    # (X, else where a still-falling curve slowed, the text's "flattened at": the same mark, told apart by name)
    mark = d.plateau if d.plateau is not None else getattr(d, "slowdown", None)
    if mark is not None and finite_or_none(mark.epoch) is not None:
        x = _at(mark.epoch)
        e = d.epoch_at(mark.epoch) if hasattr(d, "epoch_at") else None
        if e is not None:  # a Trainer's step: its epoch beside it
            x += f" (epoch {_at(e)})"
        iv = mark.interval
        if iv is not None and len(iv) == 2 and finite_or_none(iv[0]) is not None and finite_or_none(iv[1]) is not None:
            wide = hasattr(d, "x_uncertain") and d.x_uncertain()  # (over most of the run: said, not bracketed)
            x += (f" <span class='ll-tag'>X uncertain: anywhere in {_at(iv[0])}\u2013{_at(iv[1])}</span>" if wide
                  else f" <span class='ll-sub'>[{_at(iv[0])}, {_at(iv[1])}]</span>")
        if mark is d.plateau:
            facts.append((f"plateau X ({axis})", x))
            if finite_or_none(d.plateau.level) is not None:
                facts.append(("level at X", _fmt(d.plateau.level)))
        else:
            facts.append(("plateau X", "none (still falling slowly)"))
            facts.append((f"flattened at ({axis})", x))
    else:
        facts.append(("plateau X", "none (not plateaued)"))
    facts.append(("metric", esc(as_logged(d, str(d.metric)))))
    facts.append(("logged to", esc(d.logged_to())))
    chance = plot.chance_levels(d)
    if chance:  # what a guesser scores, beside a verdict of no signal
        facts.append((f"chance (K = {chance['classes']})",
                      f"accuracy 1/{chance['classes']} = {chance['acc']:.3g}; loss ln {chance['classes']} = "
                      f"{chance['loss']:.4g}"))
    if data:
        vm = data.get("valmin")
        if vm:
            facts.append(("val maximum" if vm.get("label") == "val max" else "val minimum",
                          f"{_fmt(vm['y'])} at {_at(vm['x'])}"))
        g = getattr(getattr(d, "facts", None), "generalization", None)
        higher = bool(getattr(getattr(d, "facts", None), "higher_is_better", False))
        if plot.series_role(str(d.metric)) == "train" and d.best is not None:
            # Read on its training loss (no validation often enough): the smoothed best of that curve, named, not
            # validation's, or the card quotes a curve the verdict was not read on under the verdict's name.
            facts.append((f"smoothed {'max' if higher else 'min'} ({esc(str(d.metric))})",
                          f"{_fmt(d.best[1])} at {_at(d.best[0])}"))
        elif g is not None and finite_or_none(getattr(g, "val_min", None)) is not None:
            # The rules read the smoothed curve; its best can sit an epoch or two away. The facts hold a
            # score on the lower-is-better scale (an accuracy's best as -0.9028): shown in its own direction.
            facts.append(("smoothed max" if higher else "smoothed min",
                          f"{_fmt(-g.val_min if higher else g.val_min)} at {_at(g.val_min_epoch)}"))
        gap = data.get("gap")
        if gap:
            facts.append(("gap at end", f"{_fmt(gap['value'])} <span class='ll-sub'>(val {_fmt(gap['val'])}"
                                        f" \u2212 train {_fmt(gap['train'])})</span>"))
    f = d.forecast if isinstance(d.forecast, dict) else None
    if f and finite_or_none(f.get("value")) is not None:
        iv = f.get("interval") or []
        band = f" [{_fmt(iv[0])}, {_fmt(iv[1])}]" if len(iv) == 2 else ""
        # diagnose says "the forecast is uncertain" rather than quote it; the card's bare numbers must not read firmer
        unsure = f" <span class='ll-tag'>uncertain: {esc(f['uncertain'])}</span>" if f.get("uncertain") else ""
        floor = data.get("floor") if data else None  # (the chart's: none for a score, higher is better)
        lows = [finite_or_none(v) for v in [f.get("value"), *iv[:1]]]
        if floor and any(v is not None and v < floor["y"] for v in lows) and f.get("noise_floor") is not None:
            # Held by the floor (forecasting._held_at): under it only by the validation set's own draw of the noise.
            unsure += (f" <span class='ll-tag'>held at the noise floor {_fmt(floor['y'])}: under it only by a "
                       "validation set's own draw of the noise</span>")
        elif floor and any(v is not None and v < floor["y"] for v in lows):
            # Said beside the numbers, not clipped: the fit does not know the floor the data's noise sets.
            unsure += (f" <span class='ll-tag'>under the noise floor {_fmt(floor['y'])}, which no model goes "
                       "below: the fit does not know it</span>")
        facts.append((f"forecast at {_at(f.get('horizon'))}", f"{_fmt(f.get('value'))}{band}{unsure}"))
        if finite_or_none(f.get("p_improve")) is not None:
            facts.append(("P(improves)", f"{float(f['p_improve']):.0%}" + _under_one_example(d, f)))
    out.append('<dl class="ll-facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>")
    if top is not None:
        if top.evidence:
            out.append("<h3>Evidence</h3><ul>" + "".join(f"<li>{esc(as_logged(d, e))}</li>" for e in top.evidence)
                       + "</ul>")
        if top.actions:
            out.append("<h3>What to do</h3><ul>" + "".join(f"<li>{esc(as_logged(d, a))}</li>" for a in top.actions)
                       + "</ul>")
    notes = getattr(d, "notes", None)
    if notes:  # (the CLI's text prints them on stderr as the log is read; the page has no stderr)
        out.append("<h3>How the log was read</h3><ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    if len(causes) > 1:
        out.append("<h3>Other causes</h3>")
        for c in causes[1:]:
            cc = _conf(c)
            head = (f'<span class="ll-dot" style="background:{_color(c.id)}"></span> {esc(_label(c.id))}'
                    f'{f" {cc:.0%}" if cc is not None else ""}'
                    f'{f" <span class=ll-tag>{esc(c.status)}</span>" if c.status else ""}')
            body = "".join(f"<li>{esc(as_logged(d, e))}</li>" for e in c.evidence)
            body += "".join(f"<li><b>try:</b> {esc(as_logged(d, a))}</li>" for a in c.actions)
            out.append(f"<details><summary>{head}</summary><ul>{body}</ul></details>")
    out.append("</aside>")
    return "".join(out)


# ---- the page ----------------------------------------------------------------------------------
def _run_section(i: int, d, data: dict | None, total: int, name: str | None = None) -> tuple[str, str]:
    """(section HTML, JSON script block) of run number ``i`` (1-based), headed ``name`` (default: its run's)."""
    payload = chart_payload(d, data) if data else None
    src = f'<span class="ll-src">{esc(d.source)}</span>' if d.source else ""
    back = '<a class="ll-back" href="#ll-overview-box">overview \u2191</a>' if total > 1 else ""
    if payload:
        h = 300 + 110 * len(payload["panels"]) + 40
        chart = (f'<div class="ll-chart" id="ll-chart-{i}" data-idx="{i}" style="min-height:{h}px"></div>')
        hint = ('<noscript><div class="ll-hint">the charts are drawn by JavaScript, which is off: the verdict '
                'card beside each holds every number</div></noscript>'
                '<div class="ll-hint">drag to zoom, double-click to reset; click a legend entry to hide it</div>')
        script = f'<script type="application/json" id="ll-data-{i}">{json_for_script(payload)}</script>'
    else:
        chart, hint, script = '<div class="ll-chart ll-nochart">no curve to draw</div>', "", ""
    key = _phase_key(payload["phases"]) if payload else ""
    section = (f'<section class="ll-run ll-box" id="run-{i}" data-verdict="{esc(d.verdict)}">'
               f'<div class="ll-run-head"><h2>{esc(name or d.run_name)}</h2>{src}{back}</div>'
               f'<div class="ll-run-body"><div class="ll-chartcol">{chart}{key}{hint}</div>'
               f'{card_html(d, data)}</div></section>')
    return section, script


def _rgba(hexcol: str, a: float) -> str:
    n = int(hexcol.lstrip("#"), 16)
    return f"rgba({n >> 16 & 255},{n >> 8 & 255},{n & 255},{a})"


def _phase_key(phases) -> str:
    """The key to a chart's phase bands, one swatch per name: a band too narrow for its name (a slow descent over
    epochs 1-3, 70 px) was a colour nobody had named."""
    key = plot.phase_key({"phases": phases})
    if not key:
        return ""
    return ('<div class="ll-key"><span>phases:</span>' + "".join(
        f'<span><span class="ll-sw" style="background:{_rgba(c, 0.18)};border-color:{_rgba(c, 0.6)}"></span>'
        f'{esc(label)}</span>' for label, c in key) + "</div>")


#: The most runs the sweep chart overlays (past that, the best by smoothed best), and the points it keeps of each.
SWEEP_RUNS = 20
SWEEP_POINTS = 300
#: Its runs' colours (Tableau 20, paired hues split apart so neighbours in a sweep differ).
SWEEP_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
                "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7",
                "#dbdb8d", "#9edae5")
#: The best run's colour, whatever its place: near-black, which no hue of the palette is mistaken for under any colour
#: vision deficiency (it took the palette's colour of its place: a sweep's 12th run, the best, was a pale #ffbb78).
SWEEP_BEST_COLOR = "#111111"


def sweep_payload(diagnoses, datas, names) -> dict | None:
    """The overview's one chart of a sweep: each compared run's smoothed held-out curve on one axis, the best run
    marked; None unless the runs compare (:func:`~losslens.result.best_run` names one: one experiment, one held-out
    metric and direction) on one axis. Past :data:`SWEEP_RUNS` runs, the best ones by smoothed best.

    Keys: ``axis``, ``metric``, ``logy``, ``ymax`` (where the axis stops, or None), ``x`` (the union of the runs'
    points), ``runs`` (``{i, name, label, color, best, y}``, ``y`` aligned on ``x`` with None where a run has no
    point), ``caption``."""
    best = best_run(diagnoses)
    if best is None or len({str(d.axis) for d in diagnoses}) != 1:
        return None
    sign = -1.0 if getattr(diagnoses[best].facts, "higher_is_better", False) else 1.0
    curves = []
    for i, (d, data) in enumerate(zip(diagnoses, datas)):
        line = next((s for s in (data or {}).get("loss", ()) if s["key"] == d.metric), None)
        if line is None or d.best is None:
            continue
        x, y = np.asarray(data["x"], dtype=float), np.array([np.nan if v is None else v for v in line["smooth"]])
        ok = np.isfinite(x) & np.isfinite(y)
        keep = plot.decimate(int(ok.sum()), SWEEP_POINTS)
        curves.append((sign * d.best[1], i, x[ok][keep], y[ok][keep]))
    if len(curves) < 2:
        return None
    chosen = sorted(curves, key=lambda c: c[0])[:SWEEP_RUNS]
    chosen.sort(key=lambda c: c[1])  # in the overview's order, so a sweep's colours follow its rows
    from ..repeats import all_repeats

    repeats = bool(all_repeats(diagnoses))  # (folds or seeds of one setting: none drawn as the best)
    xs = np.unique(np.concatenate([c[2] for c in chosen]))
    runs, values = [], []
    labels = overview_labels([names[i] for _, i, _, _ in chosen], 48)
    for k, (_, i, x, y) in enumerate(chosen):
        aligned = np.full(xs.shape, np.nan)
        aligned[np.searchsorted(xs, x)] = y
        values.append(y)
        # (the legend's label cut as the overview's names are: DeepOBS' 130-character run ids made a legend twice the
        # chart's height; the hover line names the run in full)
        runs.append({"i": i + 1, "name": names[i], "label": labels[k],
                     "color": SWEEP_BEST_COLOR if i == best and not repeats else SWEEP_COLORS[k % len(SWEEP_COLORS)],
                     "best": i == best and not repeats,
                     "y": plot.round_sig_list(aligned, plot.curve_digits(aligned))})
    allv = np.concatenate(values)
    # A run that blew up (an lr sweep's largest, to 1e20) would squash the others into one line at the foot: the
    # axis stops at twice the highest start, and such a run leaves it at the top (hover still names it).
    top = 2.0 * max(float(y[0]) for _, _, _, y in chosen if y.size)
    ymax = top if sign > 0 and allv.size and allv.max() > top else None
    shown_v = allv if ymax is None else allv[allv <= ymax]
    # Log-y as the run's own chart decides it (a factor of 5): a sweep's stuck runs sit far above its best.
    logy = bool(sign > 0 and shown_v.size and np.all(shown_v > 0) and shown_v.max() / shown_v.min() > 5)
    metric = diagnoses[best].run.label(str(diagnoses[best].metric)) if getattr(diagnoses[best], "run", None) \
        else str(diagnoses[best].metric)
    shown = (f"all {len(chosen)} runs" if len(chosen) == len(curves) else
             f"the {len(chosen)} best of {len(curves)} runs by smoothed best")
    caption = (f"{metric}, smoothed, of {shown}"
               + ("; repeats of one setting, none the best" if repeats else f"; the best ({names[best]}) drawn thick")
               + (", on a log axis" if logy else "")
               + ("" if ymax is None else f"; cut at {ymax:.3g}, twice the highest start (a run that blew up "
                  "leaves at the top)") + "; hover names the nearest run")
    return {"axis": str(diagnoses[best].axis), "metric": metric, "logy": logy, "ymax": plot.round_sig(ymax),
            "x": plot.round_sig_list(xs), "runs": runs, "caption": caption}


def _sweep_section(payload: dict | None) -> tuple[str, str]:
    """(section HTML, JSON script block) of :func:`sweep_payload`; nothing without one."""
    if payload is None:
        return "", ""
    return (f'<section class="ll-sweep ll-box" id="ll-sweep-box">'
            f'<h2>{esc(payload["metric"])} of the compared runs</h2>'
            f'<div class="ll-sub">{esc(payload["caption"])}</div>'
            '<div class="ll-chart" id="ll-sweep-chart" style="min-height:340px"></div>'
            '<div class="ll-hint" id="ll-sweep-hover">&nbsp;</div></section>',
            f'<script type="application/json" id="ll-sweep-data">{json_for_script(payload)}</script>')


# Column widths of the overview (fixed layout); the run name takes the rest; a sweep's lr column after it.
# (val best holds "0.005658 point 0.005598", gap "-5.447e-04": at 130 and 84 px both ran into the next column)
_WIDTHS = ("44px", "", "150px", "62px", "70px", "110px", "96px", "172px", "96px")


#: The least width of the overview's run column (px): in a window narrower than the fixed columns (870 px with the lr)
#: the name column got what was left, nothing at 500 px, and rows read "1 0.001 converged 89% 3" without a name. The
#: table is now never narrower than its columns plus this; its box scrolls sideways, # and the name kept in view.
NAME_MIN_PX = 200


def _colgroup(lr: bool, settings: int = 0) -> tuple[str, int]:
    """(``<colgroup>`` of the overview, the table's least width in px); ``settings``: how many saved settings'
    columns follow the lr's."""
    widths = _WIDTHS[:2] + (("70px",) if lr else ()) + ("80px",) * settings + _WIDTHS[2:]
    least = sum(int(w[:-2]) for w in widths if w) + NAME_MIN_PX
    return "<colgroup>" + "".join(f'<col style="width:{w}">' if w else "<col>" for w in widths) + "</colgroup>", least


#: The most characters of a run's name the overview shows (its name column holds about 50 on a page 1300 pixels wide,
#: the "best" badge beside it).
NAME_WIDTH = 44
_SEPARATORS = "/_:# =,"  # (not "." nor "-": 1.e-03 and a date stay whole)


def overview_labels(names, width: int = NAME_WIDTH) -> list[str]:
    """Each run's name as the overview shows it, at most ``width`` characters. A longer one shows whole what it
    does not share with every other run of the report -- between the start and end all share, cut at separators
    -- with as much of that start and end as fits, the shared parts cut where they meet it (``…``); where even
    that does not fit, the name is cut in the middle. The browser cut long names at their end, and a sweep's runs
    differ inside them: DeepOBS's 150-character run ids all read ``cifar100_allcnnc/AdamOptimizer/num_epochs__...``.
    """
    names = [str(n) for n in names]
    if len(names) < 2:
        return [n if len(n) <= width else plot.shorten(n, width) for n in names]
    common = os.path.commonprefix(names)
    # back to a separator: lr__1.58 and lr__1.e-03 share "lr__1.", and a number is shown whole
    lead = max(common.rfind(c) + 1 for c in _SEPARATORS)
    common = os.path.commonprefix([n[lead:][::-1] for n in names])[::-1]
    trail = len(common) - min((common.find(c) for c in _SEPARATORS if c in common), default=len(common))
    out = []
    for name in names:
        middle = name[lead:len(name) - trail]
        room = width - len(middle) - (lead > 0) - (trail > 0)
        if len(name) <= width:
            out.append(name)
        elif room >= 8 * ((lead > 0) + (trail > 0)):
            head = min(lead, room if not trail else max(room // 2, room - trail))
            tail = min(trail, room - head)
            out.append(name[:head] + ("\u2026" if head < lead else "") + middle
                       + ("\u2026" + name[len(name) - tail:] if tail < trail else name[len(name) - trail:]))
        elif lead or trail:
            # The part that differs cut in its own middle, a little of what all share on either side.
            head, tail = min(lead, 8), min(trail, 8)
            used = head + (head < lead) + tail + (tail < trail)
            out.append(name[:head] + ("\u2026" if head < lead else "") + plot.shorten(middle, width - used)
                       + ("\u2026" if tail < trail else "") + name[len(name) - tail:])
        else:
            out.append(plot.shorten(name, width))
    return out


def _overview(diagnoses, datas, names) -> str:
    rows = []
    from ..repeats import all_repeats, best_setting_line, repeats_lines

    groups = all_repeats(diagnoses)
    best = None if groups else best_run(diagnoses)  # (repeats of one setting rank nothing: their mean is read)
    lrs = learning_rates(diagnoses)
    # What else the sweep varied, as the text summary's table has it (hidden, weight_decay ...): an lr column alone
    # left the report's runs that differ by another setting reading as repeats.
    settings = differing_settings(diagnoses)
    numeric = [all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values)
               for _, values in settings]
    labels = overview_labels(names)
    for i, (d, data, name, label) in enumerate(zip(diagnoses, datas, names, labels), start=1):
        top = d.causes[0] if d.causes else None
        conf = _conf(top) if top else None
        x = finite_or_none(d.plateau.epoch) if d.plateau is not None else None
        iv = d.plateau.interval if d.plateau is not None else None
        vm = (data or {}).get("valmin") if data else None
        # The column shows what the best mark ranks, the smoothed best, where it is the same series; the single
        # best point (the card's "val minimum") beside it where the two differ: a raw column put the mark on a row
        # whose value was not the column's lowest.
        smooth = d.best[1] if vm and vm["key"] == d.metric and d.best is not None else None
        shown = smooth if smooth is not None else (vm["y"] if vm else None)
        point = (f' <span class="ll-sub" title="the single best value logged, at {esc(d.axis)} {_at(vm["x"])}">'
                 f'point {_fmt(vm["y"])}</span>') if smooth is not None and _fmt(vm["y"]) != _fmt(smooth) else ""
        gap = (data or {}).get("gap") if data else None
        num = lambda v: "" if v is None else repr(float(v))  # noqa: E731 - sortable attribute value
        ivs = (f"{_at(iv[0])}\u2013{_at(iv[1])}" if x is not None and iv is not None and len(iv) == 2 else "")
        if ivs and hasattr(d, "x_uncertain") and d.x_uncertain():
            ivs += " (uncertain)"
        # The run a sweep's reader picks: its smoothed best, not the column's single best point, decides.
        mark = "" if best != i - 1 else (f' <span class="ll-best" title="best {esc(d.metric)} of these runs, '
                                         f'smoothed: {_fmt(d.best[1])} at {esc(d.axis)} {_at(d.best[0])}">best</span>')
        lr = None if not lrs else lrs[i - 1]
        lr_attr = f' data-lr="{num(lr)}"' if lrs else ""
        # 3 digits: a decayed schedule's peak, 0.000946667, ran into the verdict column (the full value is the title)
        lr_cell = ((f'<td class="ll-num">{DASH}</td>' if lr is None else
                    f'<td class="ll-num" title="{lr:g}">{lr:.3g}</td>') if lrs else "")
        set_attrs = "".join(f' data-set{k}="{num(values[i - 1]) if n else esc(setting_text(values[i - 1]))}"'
                            for k, ((_, values), n) in enumerate(zip(settings, numeric)))
        set_cells = "".join(f'<td class="ll-num">{DASH if values[i - 1] is None else esc(setting_text(values[i - 1]))}'
                            '</td>' for _, values in settings)
        # (a solved run is "solved", as the text headlines it, its gloss the title: whole, it ran out of the column)
        words, short = plot.headline_words(d), plot.headline_words(d, short=True)
        verdict = esc(short) if words == short else f'<span title="{esc(words)}">{esc(short)}</span>'
        rows.append(
            f'<tr data-i="{i}" data-name="{esc(name)}" data-verdict="{esc(d.verdict)}"{" data-best" if mark else ""} '
            f'data-conf="{num(conf)}" data-x="{num(x)}" data-len="{num(d.last_axis())}" '
            f'data-valmin="{num(shown)}" data-gap="{num(gap["value"] if gap else None)}"{lr_attr}{set_attrs}>'
            f'<td class="ll-num">{i}</td>'
            f'<td class="ll-name" title="{esc(name)}"><a href="#run-{i}">{esc(label)}</a>{mark}</td>{lr_cell}{set_cells}'
            f'<td><span class="ll-dot" style="background:{_color(d.verdict)}"></span> {verdict}</td>'
            f'<td class="ll-num">{"" if conf is None else f"{conf:.0%}"}</td>'
            f'<td class="ll-num">{_at(x) if x is not None else DASH}</td>'
            f'<td class="ll-num">{ivs}</td>'
            f'<td class="ll-num">{esc(d.logged_to())}</td>'
            f'<td class="ll-num">{DASH if shown is None else _fmt(shown)}{point}</td>'
            f'<td class="ll-num">{_fmt(gap["value"]) if gap else DASH}</td></tr>')
    # No badge across folders: the terminal's line saying why, or its absence reads as "none did well".
    why = (f'<div class="ll-sub">{esc(line)}</div>'
           if best is None and not groups and (line := best_line(diagnoses, names)) is not None else "")
    if groups and (line := best_setting_line(groups, diagnoses)) is not None:  # (a sweep repeated at each setting)
        why += f'<div class="ll-sub">{esc(line)}</div>'
    for group in groups:  # what they are, the mean's headline, the spread, who disagrees, who was left out
        said = [x for x in repeats_lines(group, diagnoses, names) if not x.startswith("  →")]
        keep = said[:2 + len(group.left_out)] + [x for x in said if "spread across" in x or "own verdicts" in x
                                                 or "the mean runs to" in x or "mean curve alone reads" in x]
        why += "".join(f'<div class="ll-sub">{esc(x.strip())}</div>' for x in dict.fromkeys(keep))
    verdicts = sorted({str(d.verdict) for d in diagnoses})
    where = ", ".join(dict.fromkeys(found[0] for d in diagnoses if (found := saved_settings(getattr(d, "run", None)))))
    num_type = ' data-type="num"'
    options = '<option value="">all verdicts</option>' + "".join(
        f'<option value="{esc(v)}">{esc(_label(v))}</option>' for v in verdicts)
    head = ('<tr><th data-key="i" data-type="num">#</th><th data-key="name">run</th>'
            + ('<th data-key="lr" data-type="num" title="the learning rate the log saved, else the largest it logged (a schedule\'s peak)">lr</th>'
               if lrs else "")
            + "".join(f'<th data-key="set{k}"{num_type if n else ""} title="a setting saved with each run '
                      f'({esc(where)}) that differs across them">{esc(name)}</th>'
                      for k, ((name, _), n) in enumerate(zip(settings, numeric))) +
            '<th data-key="verdict">verdict</th><th data-key="conf" data-type="num">conf.</th>'
            '<th data-key="x" data-type="num">X</th><th>X interval</th>'
            '<th data-key="len" data-type="num">logged to</th>'
            # a loss's minimum, a score's maximum: an accuracy's best under "val min" read as its worst
            '<th data-key="valmin" data-type="num" title="the best validation value of the smoothed curve, what the '
            'best mark compares (a loss\'s minimum, a score\'s maximum); the single best point beside it where it '
            'differs">val best</th><th data-key="gap" data-type="num">gap</th></tr>')
    cols, least = _colgroup(bool(lrs), len(settings))
    return (f'<section class="ll-overview ll-box" id="ll-overview-box"><div class="ll-tools">'
            f'<input id="ll-filter" type="search" placeholder="filter runs by name" aria-label="filter runs">'
            f'<select id="ll-verdict" aria-label="verdict">{options}</select>'
            f'<span id="ll-count" class="ll-sub">{len(diagnoses)} runs</span></div>'
            f'<div class="ll-scroll"><table class="ll-table" id="ll-overview" style="min-width:{least}px">{cols}'
            f'<thead>{head}</thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>{why}</section>')


def report_html(diagnoses: Iterable, title: str = "losslens report",
                progress: Callable[[int], None] | None = None, notes: Iterable[str] = (),
                notes_title: str = "Notes", note_sections: Iterable[tuple] = (),
                lead: tuple[str, Iterable] | None = None) -> str:
    """The whole report page as one string (see the module docstring).

    ``progress``, when given, is called with 1 after each run is rendered (for progress bars).
    ``lead``: ``(title, lines)``, a short list shown open under the header, above the overview (the lab's summary);
    ``note_sections``: more such lists, ``(title, lines)`` or ``(title, lines, subtitle)``, under the overview and
    folded (``<details>``, opened to print): the lab puts each experiment's claim, measurements, diagnosis and
    retraining there, which above the overview put ~60 lines before the first chart; ``notes``: one more, titled
    ``notes_title``, after them. A line may be ``(heading, lines)``, a nested list.
    """
    from .. import __version__

    diagnoses = list(diagnoses)
    # Two runs of one name (MLflow's "baseline" in two experiments) told apart as the terminal's table tells them
    names = distinct_names([getattr(d, "run", None) for d in diagnoses], [d.run_name for d in diagnoses])
    datas, sections, scripts = [], [], []
    for i, (d, name) in enumerate(zip(diagnoses, names), start=1):
        data = plot.chart_data(d)
        datas.append(data)
        section, script = _run_section(i, d, data, len(diagnoses), name)
        sections.append(section)
        scripts.append(script)
        if progress is not None:
            progress(1)
    counts: dict[str, int] = {}
    for d in diagnoses:
        counts[str(d.verdict)] = counts.get(str(d.verdict), 0) + 1
    chips = "".join(f'<span class="ll-chip"><span class="ll-dot" style="background:{_color(v)}"></span>'
                    f'{esc(_label(v))} <b>{n}</b></span>'
                    for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    overview = _overview(diagnoses, datas, names) if len(diagnoses) > 1 else ""
    sweep, sweep_script = _sweep_section(sweep_payload(diagnoses, datas, names))
    sources = sorted({str(d.source) for d in diagnoses if d.source})
    sub = f"{len(diagnoses)} run{'s' if len(diagnoses) != 1 else ''}"
    if sources:
        sub += " from " + esc(", ".join(sources[:3])) + (f" and {len(sources) - 3} more" if len(sources) > 3 else "")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="losslens {esc(__version__)}">'
        f"<title>{esc(title)}</title>"
        f"<style>{_asset('uPlot.min.css')}\n{_asset('report.css')}</style></head>"
        f'<body><div class="ll-page"><header class="ll-top"><h1>{esc(title)}</h1>'
        f'<div class="ll-sub">{sub} \u00b7 losslens {esc(__version__)}</div>'
        f'<div class="ll-chips">{chips}</div></header>'
        f'{_notes(lead[1], lead[0]) if lead else ""}{overview}{sweep}'
        f'{"".join(_notes(s[1], s[0], s[2] if len(s) > 2 else "", folded=True) for s in note_sections)}'
        f'{_notes(notes, notes_title, folded=True)}{"".join(sections)}'
        '<div id="ll-status" class="ll-status" data-state="loading">loading</div></div>'
        f'{sweep_script}{"".join(scripts)}'
        f"<script>{_asset('uPlot.iife.min.js')}</script><script>{_asset('report.js')}</script>"
        "</body></html>\n")


def _notes(notes: Iterable, title: str, subtitle: str = "", folded: bool = False) -> str:
    """A titled list; ``folded``: a ``<details>`` box whose summary is the title, the subtitle under it."""
    items = _items(notes)
    if not items:
        return ""
    if not folded:
        return f'<section class="ll-notes"><h2>{esc(title)}</h2><ul>{items}</ul></section>'
    sub = f'<div class="ll-sub">{esc(subtitle)}</div>' if subtitle else ""
    return (f'<details class="ll-notes ll-box"><summary><h2>{esc(title)}</h2>{sub}</summary>'
            f'<ul>{items}</ul></details>')


def _items(notes: Iterable) -> str:
    """``<li>`` per note: a string, or ``(heading, notes)``, the heading's item holding its notes as a list (the
    lab's lines per arm, nested as report.md indents them)."""
    out = []
    for n in notes:
        if isinstance(n, tuple):
            head, sub = n
            out.append(f"<li>{esc(head)}<ul>{_items(sub)}</ul></li>")
        else:
            out.append(f"<li>{esc(n)}</li>")
    return "".join(out)


def write_report(diagnoses: Iterable, path, title: str = "losslens report",
                 progress: Callable[[int], None] | None = None, notes: Iterable[str] = (),
                 notes_title: str = "Notes", note_sections: Iterable[tuple] = (),
                 lead: tuple[str, Iterable] | None = None) -> Path:
    """Write :func:`report_html` to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    text = report_html(diagnoses, title=title, progress=progress, notes=notes, notes_title=notes_title,
                       note_sections=note_sections, lead=lead)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:  # a failed write (disk full) names no file: "[Errno 28] No space left on device"
        if exc.filename is not None or exc.errno is None:
            raise
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    return path


# ---- notebooks ---------------------------------------------------------------------------------
def diagnosis_card_html(d) -> str:
    """Chart and verdict card of one Diagnosis for a notebook (``Diagnosis._repr_html_``).

    The chart is an inline SVG drawn by matplotlib, so it shows in every notebook front end
    (and in a notebook saved and viewed on GitHub), where a script might not run. Without
    matplotlib the card comes alone.
    """
    data = plot.chart_data(d)
    svg = ""
    if data is not None:
        try:
            svg = _svg(d)
        except ImportError:
            svg = ""
    style = ("<style>.ll-nb{font:13px/1.45 system-ui,sans-serif;display:flex;gap:16px;flex-wrap:wrap;"
             "align-items:flex-start}.ll-nb .ll-nbchart{flex:1 1 520px;min-width:0;max-width:960px}"
             ".ll-nb .ll-nbchart svg{width:100%;height:auto}"
             ".ll-nb .ll-card{flex:0 1 340px}.ll-nb .ll-dot{width:9px;height:9px;border-radius:50%;"
             "display:inline-block}.ll-nb .ll-verdict{font-size:16px;font-weight:650;display:flex;gap:8px;"
             "align-items:center}.ll-nb .ll-conf{display:flex;gap:8px;align-items:center;font-size:12px;opacity:.8}"
             ".ll-nb .ll-bar{flex:1;height:6px;background:#eef0f3;border-radius:3px;overflow:hidden}"
             ".ll-nb .ll-bar>span{display:block;height:100%}.ll-nb .ll-facts{display:grid;"
             "grid-template-columns:auto 1fr;gap:2px 10px;margin:6px 0}.ll-nb .ll-facts dt{opacity:.7}"
             ".ll-nb .ll-facts dd{margin:0}.ll-nb h3{font-size:12px;text-transform:uppercase;opacity:.7;"
             "margin:8px 0 2px}.ll-nb ul{margin:0;padding-left:18px}.ll-nb .ll-tag{font-size:11px;opacity:.7;"
             "border:1px solid #ccc;border-radius:4px;padding:0 4px}</style>")
    head = f"<div style='font-weight:600;margin-bottom:4px'>{esc(d.run_name)}</div>"
    chart = f'<div class="ll-nbchart">{svg}</div>' if svg else ""
    return f'{style}<div class="ll-nbwrap">{head}<div class="ll-nb">{chart}{card_html(d, data)}</div></div>'


def _svg(d) -> str:
    """The matplotlib figure of ``d`` as an inline ``<svg>`` element."""
    data = plot.chart_data(d)
    return plot.inline_svg(plot.drawn_figure(d, data, True))


def verification_html(v) -> str:
    """A :class:`~losslens.verification.Verification` for a notebook: the report's lines and its
    chart as inline SVG (without matplotlib, the lines alone)."""
    svg = ""
    try:
        svg = plot.inline_svg(plot.verification_figure(v))
    except ImportError:
        pass
    lines = str(v).splitlines()
    items = "".join(f"<li>{esc(line.strip())}</li>" for line in lines[1:-1])
    return (f"<div style='font:13px/1.45 system-ui,sans-serif;max-width:900px'>"
            f"<div style='font-weight:600'>{esc(lines[0])}</div><ul style='margin:4px 0'>{items}</ul>"
            f"<div style='font-weight:650'>{esc(lines[-1])}</div>"
            f"<div style='max-width:760px'>{svg}</div></div>")
