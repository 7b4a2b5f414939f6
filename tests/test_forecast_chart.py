"""`losslens forecast --plot` and ``Forecast.plot()``: "will more epochs help?" as a picture, read off its
matplotlib artists on real logs (Keras' CSVLogger, a PyTorch loop printing nanoGPT's lines)."""

import subprocess
import sys
from pathlib import Path

import pytest

import losslens
from losslens.cli import main

pytest.importorskip("matplotlib")

REPO = Path(__file__).resolve().parents[1]
CSVLOGGER = REPO / "src" / "losslens" / "examples" / "keras_csvlogger.csv"  # a Keras MLP, 80 epochs
NANOGPT = REPO / "tests" / "fixtures" / "logs" / "printed_nanogpt.txt"


def _run_cli(args):
    try:
        main(args)
    except SystemExit as exc:
        return exc.code
    return 0


@pytest.mark.parametrize("path, axis", [(CSVLOGGER, "epoch"), (NANOGPT, "step")])
def test_the_chart_shows_the_band_the_horizon_and_the_answer(path, axis):
    """The forecast band from the last point to the horizon, the value at the horizon with its 90% interval
    written beside it, X on the fitted curve, and P(improve) in the title: each as the forecast says."""
    from matplotlib.collections import PolyCollection

    fc = losslens.forecast(path)
    fig = fc.plot()
    ax = fig.axes[0]
    fig.canvas.draw()
    band = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert band, "no 90% band"
    verts = band[-1].get_paths()[0].vertices
    assert verts[:, 0].max() == pytest.approx(fc.horizon) and verts[:, 0].min() < fc.x_last + 1e-9
    labels = ax.get_legend_handles_labels()[1]
    # (where the fit starts off the smooth's end by > 10%, the label goes on to say so: plot.FORECAST_JUMP)
    [band_label] = [t for t in labels if t.startswith(f"forecast to {axis} {fc.horizon:,.0f}, 90% band")]
    assert band_label.endswith("90% band") or "; starts at the fitted level" in band_label
    # the horizon's marker: a point at (horizon, value) with its interval as error bars
    marks = [line for line in ax.get_lines() if line.get_marker() == "D"]
    assert len(marks) == 1 and marks[0].get_xdata()[0] == pytest.approx(fc.horizon)
    assert marks[0].get_ydata()[0] == pytest.approx(fc.value)
    lo, hi = fc.interval
    note = [t.get_text() for t in ax.texts if f"at {axis}" in t.get_text()]
    assert note == [f"{fc.value:.4g} at {axis} {fc.horizon:g}\n90%: {lo:.4g} to {hi:.4g}"]
    assert f"P({fc.improve_label()}) = {fc.p_improve:.2f}" in ax.get_title(loc="left")
    from losslens.forecasting import still_improving_past_x
    if still_improving_past_x(fc):  # the text's "plateau X: none yet", and no X line
        assert any(t.startswith(f"plateau {axis} X: none yet") for t in labels)
    else:
        assert any(t.startswith(f"X = {fc.plateau_epoch:g} on the fitted curve") for t in labels)
    # the interval's bars reach the interval's ends
    ys = sorted(y for c in ax.collections if not isinstance(c, PolyCollection) for seg in c.get_segments()
                for y in seg[:, 1])
    assert ys and min(ys) == pytest.approx(lo) and max(ys) == pytest.approx(hi)


def test_cli_writes_the_figure_and_still_prints_the_forecast(tmp_path, capsys):
    out = tmp_path / "f.png"
    assert _run_cli(["forecast", str(CSVLOGGER), "--plot", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = capsys.readouterr()
    assert f"wrote {out}" in text.out and "val_loss at epoch 158" in text.out
    # two runs: one figure each, as `losslens data --plot` names them
    assert _run_cli(["forecast", str(CSVLOGGER), str(NANOGPT), "--plot", str(tmp_path / "g.svg"), "--json"]) == 0
    assert (tmp_path / "g-1.svg").exists() and (tmp_path / "g-2.svg").exists()


@pytest.mark.parametrize("name, problem", [("r.html", "unknown figure format '.html'"),
                                           ("r", "unknown figure format '(none)'"),
                                           ("no_dir/r.png", "no such directory")])
def test_a_figure_it_cannot_write_is_one_line_before_any_work(tmp_path, capsys, name, problem):
    before = CSVLOGGER.read_bytes()
    assert _run_cli(["forecast", str(CSVLOGGER), "--plot", str(tmp_path / name)]) == 2
    err = capsys.readouterr()
    assert problem in err.err and len(err.err.strip().splitlines()) == 1 and not err.out
    assert "Traceback" not in err.err and CSVLOGGER.read_bytes() == before
    assert list(tmp_path.iterdir()) == []


def test_without_matplotlib_one_line_and_the_named_extra(tmp_path):
    """A core install: the CLI ends in one line (exit 2) before forecasting; the API raises MissingExtraError."""
    block = "import sys; sys.modules['matplotlib'] = None; from losslens.cli import main; main(sys.argv[1:])"
    proc = subprocess.run([sys.executable, "-c", block, "forecast", str(CSVLOGGER), "--plot", str(tmp_path / "a.png")],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 2 and not proc.stdout, proc.stderr
    assert proc.stderr.strip().endswith("--plot needs matplotlib: pip install 'losslens[plot]'")
    assert len(proc.stderr.strip().splitlines()) == 1
    api = ("import sys; sys.modules['matplotlib'] = None; import losslens\n"
           f"fc = losslens.forecast({str(CSVLOGGER)!r})\n"
           f"try:\n    fc.save_plot({str(tmp_path / 'b.png')!r})\n"
           "except losslens.MissingExtraError as exc:\n    print(exc.extra)")
    proc = subprocess.run([sys.executable, "-c", api], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0 and proc.stdout.strip() == "plot", proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_withheld_forecast_draws_the_curve_its_break_and_the_reason():
    """A real PyTorch RNN whose loss turned NaN for good (pathologies/explode_rnn.csv): no forecast is made, and the
    chart says why in its title and marks where, on whole-epoch ticks, rather than a band fitted before the break."""
    from matplotlib.collections import PolyCollection

    fc = losslens.forecast(REPO / "tests" / "fixtures" / "ecosystem" / "pathologies" / "explode_rnn.csv")
    assert fc.withheld == "diverged"
    ax = fc.plot().axes[0]
    title = ax.get_title(loc="left")
    assert title.startswith(f"no forecast of {fc.metric}: ") and "NaN" in title and len(title) <= 100
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert any("NaN from epoch" in t for t in ax.get_legend_handles_labels()[1])
    assert all(float(t).is_integer() for t in ax.get_xticks())


def test_on_a_trainers_step_axis_the_title_quotes_the_epoch_as_the_diagnosis_chart_does(tmp_path, capsys):
    """A Trainer's trainer_state.json (tests/fixtures/ecosystem/hf_earlystop_rise, stopped at step 112 = epoch 7,
    16 steps an epoch, planned to max_steps 480): the diagnosis chart's title reads "X = 80 (epoch 5)", the
    forecast chart's "lower by step 480" with no epoch; and X on the fitted curve, step 332, was quoted as
    "epoch 7" (held at the last logged epoch) in the text and the JSON where the run reaches epoch 20.75."""
    import json

    state = REPO / "tests" / "fixtures" / "ecosystem" / "hf_earlystop_rise" / "stop112_trainer_state.json"
    fc = losslens.forecast(state)
    assert (fc.horizon, fc.horizon_from, fc.plateau_epoch) == (480, "30 epochs of 16 steps", 332)
    ax = fc.plot().axes[0]
    title = ax.get_title(loc="left")
    assert title.startswith(f"val_loss {fc.change_text(1)} by step 480 (epoch 30)  \u00b7  P("), title
    labels = ax.get_legend_handles_labels()[1]
    assert any(lb.startswith("X = 332 (epoch 20.75) on the fitted curve") for lb in labels), labels
    # The diagnosis chart's title quotes X the same way.
    d = losslens.diagnose(state)
    assert "X = 80 (epoch 5)" in d.plot().get_title(loc="left")
    assert _run_cli(["forecast", str(state)]) == 0
    out = capsys.readouterr().out
    assert "lower by step 480 (epoch 30);" in out and "levels off at step 332 (epoch 20.75) on the fitted curve" in out
    assert _run_cli(["forecast", str(state), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["plateau_epoch_frac"] == 20.75
