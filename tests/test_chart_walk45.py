"""Session 45's visual walk: what the PNG and the HTML report drew that the text does not say, checked on the figure
objects (title, spans, tick formatter, legend) and the HTML's embedded data, on real logs (fixtures written by the
Hugging Face Trainer and Keras; each folder's make.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.report import html as report_html
from losslens.report.plot import chart_data, drawn_figure

pytest.importorskip("matplotlib")

ECO = Path(__file__).resolve().parent / "fixtures" / "ecosystem"
BLOWN = ECO / "hf_grads_blown" / "blown" / "trainer_state.json"
SOLVED = ECO / "keras_solved" / "digits01.log"
STEPS = ECO / "hf_logging_steps" / "ls1_e16_trainer_state.json"
EARLYSTOP = ECO / "hf_earlystop_rise" / "stop128_trainer_state.json"


@pytest.fixture
def figure():
    """``figure(d)``: ``d``'s whole figure (main axes first, then its panels), closed afterwards."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    figs = []

    def draw(d):
        fig = drawn_figure(d, chart_data(d), True)
        fig.canvas.draw()  # tick labels are made at draw time
        figs.append(fig)
        return fig

    yield draw
    for f in figs:
        plt.close(f)


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_a_run_blown_before_its_first_log_has_no_plateau_anywhere(figure):
    # Old code: "X = 19 (epoch 1) [19, 19]" in the title, the text and the card, the whole run shaded "phase:
    # plateau", beside evidence saying its losses are "not a curve to read a plateau on".
    d = losslens.diagnose(BLOWN)
    assert d.verdict == "diverged" and "grads_blown" in d.causes[0].numbers
    assert d.plateau is None and d.plateau_epoch is None and d.phases == []
    assert json.loads(d.to_json())["plateau_epoch"] is None
    assert "plateau at" not in str(d).splitlines()[0]
    data = chart_data(d)
    assert data["plateau"] is None and data["phases"] == []
    fig = figure(d)
    assert "X =" not in fig.axes[0].get_title(loc="left")
    assert not [t for t in _legend(fig.axes[0]) if "phase" in t or "X" in t]
    card = report_html.card_html(d, data)
    assert "[19, 19]" not in card


def test_huge_values_on_a_linear_axis_are_written_as_a_mantissa_and_a_power(figure):
    # The same blow-up's losses, 5e19-2e20, on a linear axis: old code labelled them "200000000000000000000", a
    # third of the chart's width.
    d = losslens.diagnose(BLOWN)
    data = chart_data(d)
    assert not data["logy"]
    ax = figure(d).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert labels and max(len(t) for t in labels) <= 5, labels
    assert "10^{20}" in ax.get_ylabel()
    shown = [float(t) for t in labels]
    top = max(s["raw"][i] for s in data["loss"] for i in range(len(s["raw"])) if s["raw"][i] is not None)
    assert 0.5 < top / 1e20 / max(shown) < 2  # the labels times 10^20 are the values


def test_plain_values_stay_plain(figure):
    # A loss between 0.1 and 0.7: no power of ten in the label, its ticks the values themselves.
    d = losslens.diagnose(EARLYSTOP)
    ax = figure(d).axes[0]
    assert "10^" not in ax.get_ylabel()


def test_a_solved_run_is_headlined_solved_on_the_chart_and_the_overview(figure):
    # Old code: "still improving (86%)" on the PNG's title and the overview's verdict column, while the text's first
    # line says "solved (validation accuracy at its ceiling)" and the advice is "stop here".
    d = losslens.diagnose(SOLVED)
    assert d.solved and "solved (validation accuracy at its ceiling)" in str(d).splitlines()[0]
    title = figure(d).axes[0].get_title(loc="left")
    assert title.startswith("solved (validation accuracy at its ceiling)"), title
    page = report_html.report_html([d, losslens.diagnose(EARLYSTOP)])
    [row] = re.findall(r'<tr data-i="1".*?</tr>', page, re.S)
    assert "still improving" not in row
    assert '<span title="solved (validation accuracy at its ceiling)">solved</span>' in row, row


def test_a_band_of_no_width_gets_no_legend_entry_and_few_points_get_markers(figure):
    # The Trainer run stopped early at step 128: its phases read plateau 80-80; old code listed "phase: plateau" in
    # the legend and the HTML key with nothing drawn, and its 8 evaluations were drawn as a bare line.
    d = losslens.diagnose(EARLYSTOP)
    assert any(p["name"] == "plateau" and p["start"] == p["end"] for p in d.phases)
    data = chart_data(d)
    assert all(p["end"] > p["start"] for p in data["phases"])
    ax = figure(d).axes[0]
    assert "phase: plateau" not in _legend(ax)
    assert "plateau" not in re.findall(r'<div class="ll-key">(.*?)</div>', report_html.report_html([d]))[0]
    [val] = [ln for ln in ax.get_lines() if ln.get_label() == "val loss (smoothed)"]
    assert sum(v is not None for v in next(s for s in data["loss"] if s["key"] == "val_loss")["raw"]) == 8
    assert val.get_marker() == "o"


def test_where_a_curve_flattened_its_interval_is_drawn_and_the_forecast_start_said(figure):
    # "flattened at 138 (epoch 13.8) [118, 145]" in the title, no interval on the chart; the forecast starts at the
    # fitted level 0.134 where the smooth ends near 0.18 (a last point at 0.439 pulls it): old code drew the 28% step
    # as if the curve dropped.
    d = losslens.diagnose(STEPS)
    fl = chart_data(d)["flattened"]
    assert fl is not None and fl["hi"] > fl["lo"]
    ax = figure(d).axes[0]
    legend = _legend(ax)
    assert any(t.replace("\n", " ").startswith(f"interval of the slowdown: {fl['lo']:g}") for t in legend)
    [fc] = [t.replace("\n", " ") for t in legend if t.startswith("forecast")]
    assert "starts at the fitted level" in fc, fc
    level = float(re.search(r"fitted level ([\d.]+)", fc).group(1))
    assert level == pytest.approx(chart_data(d)["forecast"]["mid"][0], rel=0.01)
    # the HTML chart's forecast series says it too
    [m] = re.findall(r'<script type="application/json" id="ll-data-1">(.*?)</script>', report_html.report_html([d]),
                     re.S)
    [col] = [c for c in json.loads(m)["cols"] if c["kind"] == "fc_mid"]
    assert col["label"] == "forecast" + fc[fc.index("; starts at"):]


def test_panel_minor_labels_are_no_larger_than_major_ones(figure):
    d = losslens.diagnose(STEPS)
    fig = figure(d)
    for pax in fig.axes[1:]:
        sizes = {t.get_fontsize() for t in pax.get_yticklabels(which="both") if t.get_text()}
        assert len(sizes) <= 1, sizes


def test_the_sweep_s_best_run_is_drawn_in_a_strong_colour():
    # A sweep's best run took the palette's colour of its place (the 12th, a pale #ffbb78); now near-black whatever
    # its place, every other run keeping the palette.
    ds = losslens.diagnose_all(ECO / "tb_lr_sweep" / "runs")
    payload = report_html.sweep_payload(ds, [chart_data(d) for d in ds], [d.run_name for d in ds])
    assert payload is not None
    best = [r for r in payload["runs"] if r["best"]]
    assert [r["color"] for r in best] == [report_html.SWEEP_BEST_COLOR]
    assert report_html.SWEEP_BEST_COLOR not in [r["color"] for r in payload["runs"] if not r["best"]]
    rgb = np.array([int(report_html.SWEEP_BEST_COLOR[i:i + 2], 16) for i in (1, 3, 5)])
    assert rgb.max() < 64


def test_the_flat_stretch_a_temporary_plateau_is_named_for_is_drawn(figure):
    # A deep linear net (the benchmark's generated temp_deeplinear runs, benchmarks/scenarios/generate.py): the text
    # says "val_loss was flat from epoch 0 to 44, then fell", X = 63 is where it settled after. Old code drew nothing
    # over 0-44 (the first band began at 52) and the title named only X; a walk's step-decay run had that stretch
    # inside one "steep drop".
    from benchmarks.scenarios.generate import load_generated_cases

    case = next(c for c in load_generated_cases() if c.case_id == "gen/temp_deeplinear/seed0")
    d = losslens.diagnose(case.run, metric=case.metric, classes=case.classes)
    assert d.verdict == "temporary_plateau"
    a, b = d.causes[0].numbers["flat_start"], d.causes[0].numbers["flat_end"]
    assert f"flat from epoch {a:g} to {b:g}" in d.causes[0].evidence[0]
    assert b < d.plateau_epoch
    data = chart_data(d)
    [band] = [p for p in data["phases"] if p["name"] == "temporary_plateau"]
    assert (band["start"], band["end"], band["label"]) == (a, b, "temporary plateau")
    assert not [p for p in data["phases"] if p is not band and p["start"] < b and p["end"] > a]  # no band under it
    ax = figure(d).axes[0]
    assert "phase: temporary plateau" in _legend(ax)
    assert f"flat {a:g}\u2013{b:g}" in ax.get_title(loc="left")
    assert "temporary plateau" in re.findall(r'<div class="ll-key">(.*?)</div>', report_html.report_html([d]))[0]


def test_a_solved_runs_card_says_what_its_title_says(figure):
    # The card read "still improving" with a "solved: validation accuracy at its ceiling" tag beside it, where the
    # PNG's title and the overview say "solved (validation accuracy at its ceiling)": the card's first words are now
    # the title's, before its confidence.
    d = losslens.diagnose(SOLVED)
    title = figure(d).axes[0].get_title(loc="left")
    card = report_html.card_html(d)
    words = re.search(r'<div class="ll-verdict">(.*?)</div>', card).group(1)
    words = re.sub(r"<span class=\"ll-tag\">[^<]*</span>", "", re.sub(r'<span class="ll-dot"[^>]*></span>', "", words))
    assert "still improving" not in card.split("<h3>")[0], card
    assert title.startswith(words.strip() + " ("), (title, words)
