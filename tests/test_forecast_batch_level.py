"""The forecast of a training loss logged by step starts at the batches' level: their mean, which the chart draws
beside it, not their median. A Hugging Face Trainer's tiny BERT logging every step (tests/fixtures/ecosystem/
hf_logging_steps, make.py: the 16- and 32-epoch runs share their first 160 steps, seed and batches alike)."""

from pathlib import Path

import numpy as np
import pytest

import losslens

HF = Path(__file__).resolve().parent / "fixtures" / "ecosystem" / "hf_logging_steps"


def test_a_batch_loss_forecast_starts_at_its_running_level():
    """At step 160 the last 20 batches average 0.178 (most near 0.05, a few hard ones at 0.2-0.44) and the same
    run carried on averages 0.146 over steps 141-180; the forecast's "fitted level now" was 0.0648, the median
    of the last 16 batches' residuals, and the chart's forecast path started 2.7x under the smoothed line it
    continues. It now starts within two standard errors of that line's last value and within 15% of where the
    run carried on really was."""
    from losslens.report.plot import chart_data

    d = losslens.diagnose(HF / "ls1_e16_trainer_state.json")
    y = np.asarray(d.run.series["train_loss"], dtype=float)
    longer = np.asarray(losslens.read(HF / "ls1_e32_trainer_state.json")[0].series["train_loss"], dtype=float)
    assert y.shape == (160,) and np.array_equal(y, longer[:160])  # the same run, carried on
    there = float(longer[140:180].mean())  # steps 141-180, centred on the forecast's start
    data = chart_data(d)
    [line] = [s for s in data["loss"] if s["key"] == "train_loss"]
    drawn_end = line["smooth"][-1]
    se = float(np.std(y[-20:], ddof=1) / np.sqrt(20))
    start = data["forecast"]["mid"][0]
    assert abs(start - drawn_end) <= 2 * se, (start, drawn_end, se)
    assert d.forecast["level"] == pytest.approx(there, rel=0.15)
    # losslens forecast gives the same level
    assert losslens.forecast(HF / "ls1_e16_trainer_state.json").level == pytest.approx(d.forecast["level"], rel=1e-9)


def test_an_epoch_curve_keeps_the_median_anchor():
    """The mean anchor is for batches only: the same points on an epoch axis (no batch loss) keep the median of the
    last points' residuals, the forecast as it was."""
    from losslens.forecasting import forecast_curve

    run = losslens.read(HF / "ls1_e16_trainer_state.json")[0]
    x, y = run.finite("train_loss")
    plain = forecast_curve(x, y, training=True)
    batch = forecast_curve(x, y, training=True, batch=True)
    assert plain.level < 0.5 * batch.level  # (the median under the mean of a skewed spread)


def test_a_memorised_batch_loss_is_forecast_from_its_batches_mean():
    """32 epochs of the same run (ls1_e32): most batches memorised at ~0.007, a few hard ones at 0.2-0.5, the last
    32 steps' mean 0.112. `losslens forecast` withheld its forecast, "the fit misses where the curve is now": the
    level now 0.0033 against the last 32 points' median 0.0064; the diagnosis kept one at 0.0044 and weighed it
    against a best so far of 0.0051, the lowest median of three batches. Both now read the batches' mean: a
    forecast from a level within 25% of that mean, and a best so far no lower than half the lowest mean of any 20
    steps in a row."""
    path = HF / "ls1_e32_trainer_state.json"
    y = np.asarray(losslens.read(path)[0].series["train_loss"], dtype=float)
    lowest20 = float(np.convolve(y, np.ones(20) / 20, "valid").min())
    fc = losslens.forecast(path)
    assert fc.reason is None
    assert fc.level == pytest.approx(float(y[-32:].mean()), rel=0.25)
    assert fc.best[0] >= 0.5 * lowest20
    d = losslens.diagnose(path).forecast
    assert d["reason"] is None and d["best_so_far"] >= 0.5 * lowest20


def test_a_training_loss_short_of_its_best_is_not_told_to_restore_the_best_weights():
    """A tiny BERT's per-step training loss (hf_logging_steps, 32 epochs) is forecast above the best window of
    batches it reached. Diagnose and `losslens forecast` said "restoring the best weights keeps about as much":
    nobody restores weights by a training loss, whose best is a run of lucky batches. A held-out series keeps the
    words (test_walk38_readings' Keras val_loss)."""
    from typer.testing import CliRunner

    from losslens.cli import app

    path = HF / "ls1_e32_trainer_state.json"
    d = losslens.diagnose(str(path))
    assert d.metric == "train_loss"
    said = [e for c in d.causes for e in c.evidence if "its best so far is" in e]
    assert said and all("restoring the best weights" not in e for e in said), said
    assert all("training on gains little over what it already reached" in e for e in said), said
    out = CliRunner().invoke(app, ["forecast", str(path)]).output
    assert "best so far" in out and "restoring the best weights" not in out, out
