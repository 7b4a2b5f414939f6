"""What a person reads off `losslens plot`'s figure, checked on its matplotlib artists, on real logs (fixtures
written by Keras, Lightning, a Trainer and a PyTorch loop; each folder's make.py)."""

from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.report import html as report_html
from losslens.report.plot import chart_data, plot_diagnosis

pytest.importorskip("matplotlib")

REPO = Path(__file__).resolve().parents[1]
LOGS = REPO / "tests" / "fixtures" / "logs"
ECO = REPO / "tests" / "fixtures" / "ecosystem"


@pytest.fixture
def figure_of():
    """``figure_of(d)``: the main Axes of ``d``'s figure, drawn (so extents are known), closed afterwards."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    def draw(d):
        ax = plot_diagnosis(d)
        ax.figure.canvas.draw()
        return ax

    yield draw
    plt.close("all")


def _labels(ax):
    return ax.get_legend_handles_labels()[1]


def test_the_legends_cover_no_curve(figure_of):
    """A real Trainer's run (hf_best_accuracy, 250 steps, validation loss rising on a log axis): the legend, placed
    "best" inside the axes below the phase names, sat on the generalization gap and just under the validation
    loss from step 110 on; inside, no place is sure to be free. Every legend stands right of its axes."""
    d = losslens.diagnose(ECO / "hf_best_accuracy" / "trainer_state.json")
    ax = figure_of(d)
    for a in ax.figure.axes:
        if a.get_legend() is not None:
            assert not a.get_legend().get_window_extent().overlaps(a.get_window_extent())
    # every entry still there, and on the figure (not cut off at its right edge)
    legend = ax.get_legend()
    assert {"train loss (smoothed)", "val loss (smoothed)", "generalization gap", "X = 10"} <= {t.get_text() for t in legend.get_texts()}
    assert legend.get_window_extent().x1 <= ax.figure.bbox.x1


def test_x_and_its_interval_are_marked_apart_from_the_phases(figure_of):
    """A real Trainer's run (hf_output: X = 50, interval 15-60 steps): the interval was a red tint over the
    phase bands, one more band to the eye, and the legend said "X = 50" alone. (25-65 since the bootstrap reads
    the noise at each point: test_x_interval.py.)"""
    d = losslens.diagnose(LOGS / "hf_output")
    lo, hi = d.plateau.interval
    assert (d.plateau.epoch, lo, hi) == (50, 25, 65)
    ax = figure_of(d)
    assert "X = 50" in _labels(ax)
    [bracket] = [ln for ln in ax.get_lines() if ln.get_label() == "interval of X: 25\u201365"]
    assert list(bracket.get_xdata()) == [25, 65]
    edges = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":" and list(ln.get_xdata()) in ([25, 25], [65, 65])]
    assert len(edges) == 2
    assert ax.get_xlabel() == "" and ax.figure.axes[-1].get_xlabel() == "step"


def test_the_forecast_says_its_horizon_and_band(figure_of):
    """A real Keras CSVLogger run (6 epochs, still improving): the dashed line and band were labelled
    "forecast", with neither how far it reaches nor what the band is."""
    d = losslens.diagnose(LOGS / "keras_csvlogger.csv")
    ax = figure_of(d)
    horizon = d.forecast["horizon"]
    assert f"forecast to epoch {horizon:g}, 90% band" in _labels(ax)
    [line] = [ln for ln in ax.get_lines() if ln.get_label().startswith("forecast")]
    assert line.get_xdata()[-1] == pytest.approx(horizon)


def test_a_run_nan_from_its_first_epoch_draws_where_it_broke(figure_of):
    """A real Keras run NaN from its first epoch (keras_nan: SGD too large, no TerminateOnNaN): the chart was
    an empty 0-1 box with no mark, beside a verdict `diverged`."""
    d = losslens.diagnose(ECO / "keras_nan" / "nan_plain.csv")
    assert d.verdict == "diverged" and len(d.run) == 20
    marks = chart_data(d)["nonfinite"]
    assert marks == [{"x": 0, "label": "val loss and train loss NaN from epoch 0"}]
    ax = figure_of(d)
    # the run's own axis, with a margin: at (0, 19) the mark at 0 stood on the left spine, unseen
    lo, hi = ax.get_xlim()
    assert -1 < lo < 0 and 19 < hi < 20
    assert any("no finite value" in t.get_text() for t in ax.texts)
    assert "val loss and train loss NaN from epoch 0" in _labels(ax)
    assert '"nonfinite":[{"x":0,' in report_html.report_html([d])  # the HTML chart marks it too


def test_no_band_says_plateau_where_the_verdict_gives_no_x():
    """A real PyTorch run still falling at epoch 59 (torch_rlrop_high_lr's cf_adam: still_improving, no X): its
    last 43 epochs were shaded "plateau", beside a card saying "plateau X: none (not plateaued)"."""
    d = losslens.diagnose(ECO / "torch_rlrop_high_lr" / "cf_adam.csv")
    assert d.plateau is None and "plateau" in [p["name"] for p in d.facts.phases]   # the smooth alone names one
    phases = chart_data(d)["phases"]
    assert [p["label"] for p in phases] == ["steep drop", "slow descent"]
    assert phases[-1]["end"] == d.phases[-1]["end"]


def test_a_constant_lr_and_whole_epochs_get_plain_ticks(figure_of):
    """A real Lightning run (4 epochs, Adam 1e-3 constant): the lr panel's ticks ran 0.00095-0.00105, a range
    the lr never had, and the epoch axis had ticks at 0.5, 1.5 ..."""
    d = losslens.diagnose(LOGS / "lightning" / "version_0" / "metrics.csv")
    ax = figure_of(d)
    lr_ax = [a for a in ax.figure.axes if a.get_ylabel() == "learning rate"][0]
    assert list(lr_ax.get_yticks()) == [pytest.approx(1e-3)]
    ticks = [t for t in ax.figure.axes[-1].get_xticks() if 0 <= t <= 3]
    assert ticks and all(float(t).is_integer() for t in ticks)


def test_a_log_axis_under_a_decade_reads_in_plain_numbers(figure_of):
    """A real PyTorch loop's TensorBoard log (tb_lr_sweep, lr 1.0: the loss between 1.1 and 5.6, a log axis):
    its ticks were written 2×10⁰, 3×10⁰ ... 6×10⁰."""
    d = losslens.diagnose(ECO / "tb_lr_sweep" / "runs" / "lr_1.0")
    ax = figure_of(d)
    assert ax.get_yscale() == "log" and ax.get_ylim()[1] / ax.get_ylim()[0] < 10
    shown = [t.get_text() for t in ax.get_yticklabels(which="both") if t.get_text()
             and ax.get_ylim()[0] <= t.get_position()[1] <= ax.get_ylim()[1]]
    assert shown and all(float(t) > 0 for t in shown), shown  # "2", "3" ..., no mathtext
    # the phase names sit on white: X's line crosses the band they name
    [name] = [t for t in ax.texts if t.get_text() == "plateau"]
    assert name.get_bbox_patch() is not None


def test_the_nan_mark_runs_through_the_panels(figure_of):
    """A real PyTorch RNN whose gradients exploded (pathologies/explode_rnn.csv: NaN from epoch 15, its grad norm
    and lr logged): the mark stood in the loss panel only, and the grad norm's line just stopped below it."""
    d = losslens.diagnose(ECO / "pathologies" / "explode_rnn.csv")
    [mark] = chart_data(d)["nonfinite"]
    assert d.verdict == "diverged" and mark["x"] == 15
    ax = figure_of(d)
    panels = {a.get_ylabel(): a for a in ax.figure.axes[1:]}
    assert {"learning rate", "grad norm"} <= set(panels)
    for a in panels.values():
        assert [ln for ln in a.get_lines() if list(ln.get_xdata()) == [15, 15] and ln.get_color() == "#8b0000"]


def test_a_trainer_s_step_axis_title_gives_x_s_epoch(figure_of):
    """A real Trainer's run (hf_output, X at step 50 of 75, 25 steps an epoch): the card and the text say
    "50 (epoch 2)"; the figure's title said "X = 50" under a step axis, the epoch left to work out."""
    d = losslens.diagnose(LOGS / "hf_output")
    assert d.epoch_at(50) == 2
    ax = figure_of(d)
    assert "X = 50 (epoch 2) [25, 65]" in ax.get_title(loc="left")
    by_epoch = figure_of(losslens.diagnose(ECO / "torch_forecast_long" / "sigmoid_sgd.csv"))
    assert "(epoch" not in by_epoch.get_title(loc="left")  # an epoch axis says it once


def test_a_log_axis_over_two_decades_labels_2_and_5(figure_of):
    """A real Trainer's run (hf_best_accuracy: training loss down to 0.009, validation up to 1.6, two decades and
    more): only 0.01, 0.1 and 1 were labelled, as 10⁻², 10⁻¹, 10⁰, and the validation loss between 0.68 and 1.6
    had one label beside it."""
    d = losslens.diagnose(ECO / "hf_best_accuracy" / "trainer_state.json")
    ax = figure_of(d)
    lo, hi = ax.get_ylim()
    assert ax.get_yscale() == "log" and 100 < hi / lo < 1000
    shown = {float(t.get_text()) for t in ax.get_yticklabels(which="both")
             if t.get_text() and lo <= t.get_position()[1] <= hi}
    assert {0.02, 0.05, 0.1, 0.2, 0.5, 1} <= shown and not shown - {0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2}


def test_the_verification_chart_s_log_axis_reads_in_plain_numbers():
    """Real tiny PyTorch runs retrained by `verify` (test_verify's regression trainer, read `converged`): the
    training-loss panel's log axis, 1.5 down to 0.07, was labelled 10⁰ and 10⁻¹ only."""
    from test_verify import trainer

    from losslens import verify
    from losslens.report.plot import verification_figure

    t = trainer()
    v = verify(t, baseline=t(), causes=["underfitting"], progress=False)
    [ax] = [a for a in verification_figure(v).axes if a.get_ylabel() == "train_loss"]
    ax.figure.canvas.draw()
    lo, hi = ax.get_ylim()
    assert ax.get_yscale() == "log" and 10 < hi / lo < 1000
    shown = {float(t.get_text()) for t in ax.get_yticklabels(which="both")
             if t.get_text() and lo <= t.get_position()[1] <= hi}
    assert {0.1, 0.2, 0.5} <= shown


def test_a_loss_that_moves_little_keeps_its_shape(figure_of):
    """A real TensorBoard log of a sigmoid net stuck at init (layer_grads/tb_sigmoid: validation loss 2.325 ->
    2.306 over 40 steps): the smoothed curves were rounded to 4 significant digits, 5 and 7 distinct values, and
    drawn (chart and HTML report) as staircases."""
    d = losslens.diagnose(ECO / "layer_grads" / "tb_sigmoid")
    for s in chart_data(d)["loss"]:
        sm = [v for v in s["smooth"] if v is not None]
        assert len(sm) == 40 and len(set(sm)) >= 25, (s["key"], sorted(set(sm)))
        y = np.array(sm)
        exact = report_html.plot.smooth(np.asarray(d.run.series[s["key"]], dtype=float))
        assert np.abs(y - exact).max() < 1e-3 * np.ptp(exact)  # within a thousandth of its own range


def test_a_forecast_band_to_zero_leaves_the_log_axis_on_the_curves(figure_of):
    """The article's SGD run (exp3_sgd, still falling, validation 0.62 -> 0.0149): the forecast's 90% band reaches
    0 at epoch 98, and the log axis followed it down to 1.5e-4, two decades under every curve. Now the band runs
    off the foot, and the forecast chart alike."""
    from losslens.report.plot import forecast_figure

    d = losslens.diagnose(REPO / "tests" / "fixtures" / "article" / "exp3_sgd.json")
    data = chart_data(d)
    assert data["logy"] and data["forecast"]["lo"][-1] == 0
    low = min(v for s in data["loss"] for v in s["raw"] + data["forecast"]["mid"] if v is not None)
    ax = figure_of(d)
    assert ax.get_yscale() == "log" and ax.get_ylim()[0] >= low / 2.01
    run = d.run
    fc = losslens.forecast(run, horizon=2 * float(run.axis[-1]))
    fig = forecast_figure(run, fc)
    fig.canvas.draw()
    fax = fig.axes[0]
    assert fax.get_yscale() == "log" and fax.get_ylim()[0] >= fc.value / 2.01


def test_a_run_nan_after_its_first_point_shows_that_point(figure_of):
    """DeepOBS' Adam at lr 63.1 (deepobs_blowup: one finite epoch, NaN from epoch 1): the legend named a train
    loss and a val loss that drew nothing, since one point strokes no line."""
    d = losslens.diagnose(ECO / "deepobs_blowup" / "adam_lr63.1.csv")
    assert d.verdict == "diverged"
    ax = figure_of(d)
    for label in ("train loss", "val loss"):
        [line] = [ln for ln in ax.get_lines() if ln.get_label() == label]
        assert len(line.get_xdata()) == 1 and line.get_marker() not in (None, "None", "", " ")


def test_a_loss_thrown_up_for_one_epoch_is_marked_while_the_axis_shows_the_level_the_curves_settled_at(figure_of):
    """A real PyTorch loop at Adam 0.3 (torch_stuck_high_lr: training loss thrown to 22 at epoch 1, both curves
    at 2.3 before and after): the spike made a log axis of 2.2 to 25 labelled 5, 10, 20, and the curves sat
    under no label. One epoch's spike no longer sets the axis: a linear one stops just above the curves, labels
    their level, and the spike is a marker at the top edge with its value."""
    d = losslens.diagnose(ECO / "torch_stuck_high_lr" / "adam_lr0.3.csv")
    ax = figure_of(d)
    lo, hi = ax.get_ylim()
    assert ax.get_yscale() == "linear" and hi < 2.6, (ax.get_yscale(), lo, hi)
    shown = [float(t.get_text().replace("\u2212", "-")) for t in ax.get_yticklabels()
             if t.get_text() and lo <= t.get_position()[1] <= hi]
    best = chart_data(d)["valmin"]["y"]
    step = shown[1] - shown[0]
    assert len(shown) >= 3 and min(shown) - step <= best <= max(shown), (best, shown)  # within a tick of a label
    marks = [t.get_text() for t in ax.texts]
    assert "22" in marks, marks  # the spike's value beside its marker


def test_log_tick_labels_under_a_decade_do_not_touch():
    """The forecast chart of the Keras CSVLogger example (validation 0.28 to 2.0, a log axis under a decade): every
    minor tick was labelled, and 0.8, 0.9 and 1 stood 0.7 px apart."""
    from losslens.report.plot import forecast_figure

    [run] = losslens.read(REPO / "src" / "losslens" / "examples" / "keras_csvlogger.csv")
    fig = forecast_figure(run, losslens.forecast(run, horizon=158))
    fig.canvas.draw()
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    assert ax.get_yscale() == "log" and 3 < hi / lo < 10
    boxes = sorted((t.get_window_extent() for t in ax.get_yticklabels(which="both")
                    if t.get_text() and lo <= t.get_position()[1] <= hi), key=lambda b: b.y0)
    assert len(boxes) >= 5
    gaps = [b.y0 - a.y1 for a, b in zip(boxes, boxes[1:])]
    assert min(gaps) >= 3, gaps


def test_a_flat_loss_is_drawn_at_its_value_with_plain_ticks(figure_of):
    """A real PyTorch run whose weights were never updated (torch_weights_not_updated/no_dropout: validation loss
    2.30979 at all 30 epochs, training 2.30996): the y axis read -0.0002 ... 0 under a "+2.31" offset written
    over the run's name, and the smoothed validation line (4 digits: 2.31) ran above its own points and the
    minimum's mark."""
    d = losslens.diagnose(ECO / "torch_weights_not_updated" / "no_dropout.csv")
    data = chart_data(d)
    [val] = [s for s in data["loss"] if s["key"] == "val_loss"]
    [level] = set(val["raw"])
    assert set(val["smooth"]) == {level} and level == pytest.approx(data["valmin"]["y"], abs=1e-6)
    assert level == pytest.approx(2.30979, abs=1e-5)
    ax = figure_of(d)
    assert ax.yaxis.get_offset_text().get_text() == ""
    lo, hi = ax.get_ylim()
    shown = [float(t.get_text().replace("\u2212", "-")) for t in ax.get_yticklabels() if t.get_text()
             and lo <= t.get_position()[1] <= hi]
    assert shown and all(2.3 < v < 2.32 for v in shown), shown


def _renderer(ax):
    return ax.figure.canvas.get_renderer()


def test_phase_names_fit_their_bands_as_drawn(figure_of):
    """The Keras callback's printed log of a run it stopped at epoch 10 (walkthrough_keras_still_falling/cb.out),
    forecast to its planned epoch 199: the phase names were kept where a band held 12% of the run's 11 epochs, but
    the axis runs to 199, and "steep drop" and "slow descent" were written one over the other in 5% of the width.
    Each name drawn now lies inside its band and off the others; a run drawn to its own end keeps them."""
    d = losslens.diagnose(ECO / "walkthrough_keras_still_falling" / "cb.out")
    assert d.forecast["horizon"] == 199 and d.run.axis[-1] == 10
    for d in (d, losslens.diagnose(LOGS / "keras_csvlogger.csv")):
        ax = figure_of(d)
        names = {p["label"]: p for p in chart_data(d)["phases"]}
        shown = [t for t in ax.texts if t.get_text() in names]
        boxes = [t.get_window_extent(_renderer(ax)) for t in shown]
        for t, box in zip(shown, boxes):
            p = names[t.get_text()]
            left, right = (ax.transData.transform((v, 0))[0] for v in (p["start"], p["end"]))
            assert left - 1 <= box.x0 and box.x1 <= right + 1, (t.get_text(), box.x0, box.x1, left, right)
        assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert [t.get_text() for t in shown] == ["steep drop"]  # the 6-epoch CSVLogger run, drawn to its own end


@pytest.mark.parametrize("log, panel", [
    (ECO / "torch_gru_cliff" / "run.json", "grad norm"),  # a GRU's grad norm, 0.03 to 0.6
    (ECO / "layer_grads" / "sigmoid_diabetes_monitor.json", "grad norm"),  # losslens.integrations.torch.Monitor
    (ECO / "hf_logging_steps" / "ls1_e8_trainer_state.json", "grad norm"),  # 0.11 to 7.3
])
def test_a_small_log_panel_s_labels_stand_apart(figure_of, log, panel):
    """Real runs whose lr or grad norm spans one decade or so, drawn on a 1.1-inch log panel: matplotlib labelled
    every minor tick there (6x10^-1, 5x10^-1, 4x10^-1 ...), each label over the next. Now the labels shown (two at
    least) keep apart."""
    d = losslens.diagnose_all(log)[0]
    ax = figure_of(d)
    [pax] = [a for a in ax.figure.axes if a.get_ylabel() == panel]
    assert pax.get_yscale() == "log"
    lo, hi = pax.get_ylim()
    shown = [t for t in pax.get_yticklabels(which="both") if t.get_text() and lo <= t.get_position()[1] <= hi]
    boxes = [t.get_window_extent(_renderer(pax)) for t in shown]
    assert len(shown) >= 2, [t.get_text() for t in shown]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:]), [t.get_text() for t in shown]


def test_spikes_side_by_side_keep_their_values_apart(figure_of):
    """A real PyTorch loop at SGD 1.0 (torch_stuck_high_lr/sgd_lr1.0: at epoch 1 training thrown to 141 and
    validation to 3.1, at epoch 2 training to 2.63, all near 2.35 otherwise): "141" and "3.1" were written one over
    the other and "2.63" into them, and each triangle, centred on the top edge, stood half in the line of the run's
    name. Each value now keeps off the others, each triangle inside the axes' top. (The smoothed training line
    passes 2.63 at epoch 1, the median of that epoch and the two beside it, so the axis reaches it and epoch 2's
    point is drawn, not marked.)"""
    d = losslens.diagnose(ECO / "torch_stuck_high_lr" / "sgd_lr1.0.csv")
    spikes = chart_data(d)["spikes"]
    assert [(s["x"], s["y"]) for s in spikes] == [(1, 140.55), (1, 3.0982)]
    ax = figure_of(d)
    assert ax.get_ylim()[1] >= 2.6303
    r = _renderer(ax)
    boxes = [t.get_window_extent(r) for t in ax.texts if t.get_text() in ("141", "3.1")]
    assert len(boxes) == 2
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    marks = [ln.get_window_extent(r) for ln in ax.get_lines() if ln.get_marker() == "^"]
    assert len(marks) == 2 and not any(a.overlaps(m) for a in boxes for m in marks)
    top = ax.get_window_extent(r).y1
    assert all(m.y1 <= top + 0.5 for m in marks)


def test_no_line_runs_over_epochs_nobody_logged(figure_of):
    """A real Keras run whose notebook output Jupyter cut in the middle (keras_truncated_output/cell56.csv, from
    ageron/handson-ml3: epochs 0-16, then 361-377): every curve and the generalization gap were drawn as straight
    lines over 344 epochs with no value. Now no drawn segment crosses the gap; each side is still drawn."""
    d = losslens.diagnose(ECO / "keras_truncated_output" / "cell56.csv")
    ax = figure_of(d)
    lines = [ln for ln in ax.get_lines() if ln.get_color() in ("#1f77b4", "#e8710a") and len(ln.get_xdata()) > 2]
    assert len(lines) == 4  # raw and smoothed, train and validation
    for ln in lines:
        x, y = np.asarray(ln.get_xdata(), dtype=float), np.asarray(ln.get_ydata(), dtype=float)
        drawn = np.isfinite(y[:-1]) & np.isfinite(y[1:])
        assert not (drawn & (x[:-1] <= 16) & (x[1:] >= 361)).any()
        assert (x[np.isfinite(y)] <= 16).any() and (x[np.isfinite(y)] >= 361).any()
    [gap] = [c for c in ax.collections if c.get_label() == "generalization gap"]
    xs = np.concatenate([p.vertices[:, 0] for p in gap.get_paths()])
    assert not ((xs > 17) & (xs < 360)).any()
    assert chart_data(d)["breaks"] == [[16, 361]]  # (the HTML report's lines stop there too)
    # a run logged at steps that grow steadily, or every epoch, breaks nowhere
    assert chart_data(losslens.diagnose(LOGS / "keras_csvlogger.csv"))["breaks"] == []


def test_a_curve_falling_18_decades_in_one_step_draws_without_a_warning(shared_curves):
    """DeepOBS' Momentum at lr 1.58 on SVHN (the shared curves: the loss thrown to 2e19, then back to 2.3 at epoch
    92): its smoothed curve touches 0 there, and `losslens plot` and `report` printed "RuntimeWarning: divide by
    zero encountered in scalar divide" from the choice of a log axis. The axis is still log (19 decades)."""
    import warnings

    from conftest import runs_by_name

    runs = runs_by_name(shared_curves / "deepobs_baselines_curves.csv.gz")
    name = next(n for n in runs if n.startswith("svhn_wrn164/MomentumOptimizer/") and "lr__1.5848931925e+00" in n)
    d = losslens.diagnose(runs[name])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = chart_data(d)
    assert data["logy"]


def test_a_run_nan_after_its_first_point_gets_an_axis_in_proportion_to_it(figure_of, shared_curves):
    """DeepOBS runs NaN from their second epoch, their one finite training and validation losses a few thousandths
    apart (deepobs_blowup's Adam at lr 63.1: 3.585 and 3.591; All-CNN-C on CIFAR-100 at Adam lr 1.58 in the shared
    curves: 4.9298 and 4.9282): the y axis was padded to their spread, 0.007 and 0.002 tall, its ticks reading like a
    curve's range. It now spans 5% of the value each way, both points inside."""
    from conftest import runs_by_name

    runs = runs_by_name(shared_curves / "deepobs_baselines_curves.csv.gz")
    name = next(n for n in runs if n.startswith("cifar100_allcnnc/AdamOptimizer/") and "lr__1.5848931925e+00" in n)
    for d in (losslens.diagnose(ECO / "deepobs_blowup" / "adam_lr63.1.csv"), losslens.diagnose(runs[name])):
        pts = np.concatenate([np.asarray(d.run.series[k], dtype=float) for k in ("train_loss", "val_loss")])
        pts = pts[np.isfinite(pts)]
        assert d.verdict == "diverged" and pts.size == 2
        ax = figure_of(d)
        lo, hi = ax.get_ylim()
        assert lo < pts.min() <= pts.max() < hi and hi - lo >= 0.09 * pts.mean(), (d.run_name, lo, hi)


def test_two_spikes_at_one_epoch_stand_side_by_side(figure_of):
    """A real PyTorch loop at SGD 1.0 (torch_stuck_high_lr/sgd_lr1.0: training thrown to 141 and validation to 3.1,
    both at epoch 1): their triangles were drawn on one place, and only the validation one could be seen. They now
    stand side by side, each in its curve's colour, apart from the values written beside them."""
    d = losslens.diagnose(ECO / "torch_stuck_high_lr" / "sgd_lr1.0.csv")
    assert [s["x"] for s in chart_data(d)["spikes"]].count(1) == 2
    ax = figure_of(d)
    r = _renderer(ax)
    marks = [ln for ln in ax.get_lines() if ln.get_marker() == "^" and list(ln.get_xdata()) == [1]]
    assert len(marks) == 2 and {m.get_color() for m in marks} == {"#1f77b4", "#e8710a"}
    a, b = (m.get_window_extent(r) for m in marks)
    assert not a.overlaps(b), (a, b)
    values = [t.get_window_extent(r) for t in ax.texts if t.get_text() in ("141", "3.1")]
    assert len(values) == 2 and not any(v.overlaps(m.get_window_extent(r)) for v in values for m in marks)


def test_two_spikes_at_one_epoch_are_each_named_in_the_legend(figure_of):
    """The same run (training thrown to 141 and validation to 3.1 at epoch 1, training to 2.63 at epoch 2): the
    legend named only the first triangle ("train loss off the axis"), the validation one beside it unnamed. Each
    curve thrown off the axis now has its entry, in its triangle's colour, once however many spikes it has."""
    d = losslens.diagnose(ECO / "torch_stuck_high_lr" / "sgd_lr1.0.csv")
    ax = figure_of(d)
    legends = [lg for lg in [ax.get_legend(), *ax.figure.legends] if lg is not None]
    entries = {t.get_text(): h for lg in legends for t, h in zip(lg.get_texts(), lg.legend_handles)}
    off = {text: h for text, h in entries.items() if text.endswith(" off the axis")}
    labels = {s["key"]: s["label"] for s in chart_data(d)["loss"]}
    assert set(off) == {f"{labels['train_loss']} off the axis", f"{labels['val_loss']} off the axis"}, list(entries)
    assert {h.get_color() for h in off.values()} == {"#1f77b4", "#e8710a"}


def test_a_forecast_drawn_as_one_point_names_its_axis_and_value(figure_of):
    """A forecast with no path to draw (a ``losslens.diagnosis/1`` object written without the key added to it)
    is drawn as one point with its interval: its legend read "forecast at 200", a bare number beside "forecast to
    epoch 200, 90% band" for the band. It now says the axis and the value: "forecast at epoch 200: 0.4536, 90%
    interval"."""
    d = losslens.diagnose(LOGS / "keras_csvlogger.csv", horizon=200)
    d.forecast = {k: v for k, v in d.forecast.items() if k != "path"}
    ax = figure_of(d)
    legends = [lg for lg in [ax.get_legend(), *ax.figure.legends] if lg is not None]
    texts = [" ".join(t.get_text().split()) for lg in legends for t in lg.get_texts()]  # (wrapped to its width)
    assert f"forecast at epoch 200: {d.forecast['value']:.4g}, 90% interval" in texts, texts
