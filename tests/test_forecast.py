"""Forecast: calibrated on real curves it never saw, honest on short/odd input, usable from the CLI."""

import functools
import hashlib
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens import Run
from losslens.diagnosis import calibrated_confidence
from losslens.exceptions import EmptyRunError
from losslens.forecasting import MIN_POINTS, forecast_curve, forecast_run

from conftest import ARTICLE, REPO
from torch_loops import linear_regression_run


def _held_out(run_id: str) -> bool:
    # The benchmark's split: quantiles were fitted on the other half.
    return int(hashlib.md5(run_id.encode()).hexdigest(), 16) % 2 == 1


def _long_curves(path, xcol, ycol, limit, min_points):
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(path)
    out = []
    for rid, g in frame.groupby("run_id", sort=True):
        x, y = g[xcol].to_numpy(float), g[ycol].to_numpy(float)
        if not _held_out(str(rid)) or not np.isfinite(y[-1]):
            continue
        ok = np.isfinite(y)
        if ok.sum() >= min_points:
            out.append((x[ok], y[ok]))
        if len(out) == limit:
            break
    return out


def _score(curves, frac):
    """Coverage of the 90% interval and median abs % error (forecast, last value) at the end."""
    hits, err, err_last = [], [], []
    for x, y in curves:
        k = max(MIN_POINTS, int(math.ceil(frac * len(x))))
        fc = forecast_curve(x[:k], y[:k], horizon=x[-1])
        if fc.reason:  # withheld (the fit misses where the curve is now): neither an error nor coverage
            continue
        lo, hi = fc.interval
        hits.append(lo <= y[-1] <= hi)
        err.append(abs(fc.value - y[-1]) / abs(y[-1]))
        err_last.append(abs(y[k - 1] - y[-1]) / abs(y[-1]))
    return np.mean(hits), np.median(err), np.median(err_last)


def test_nanogpt_held_out_coverage_and_error(shared_curves):
    curves = _long_curves(shared_curves / "modded_nanogpt_val_curves.csv", "step", "val_loss", 200, 10)
    assert len(curves) == 200
    coverage, err, err_last = _score(curves, 0.5)
    assert 0.75 <= coverage <= 1.0
    assert err < err_last


def test_deepobs_held_out_coverage_and_error(shared_curves):
    curves = _long_curves(shared_curves / "deepobs_baselines_curves.csv.gz", "epoch", "test_loss", 150, 50)
    coverage, err, err_last = _score(curves, 0.25)
    assert 0.75 <= coverage <= 1.0
    assert err < err_last


def test_recalibrated_p_improve_beats_the_raw_probability_on_held_out_curves(shared_curves):
    """p_improve's map was fitted on the other half of the runs; on these DeepOBS test curves
    (given their first quarter) it must predict "the curve ends > 1% lower" better than the
    model's raw probability, and keep its order (a monotone map)."""
    from losslens.facts.smoothing import smooth
    from losslens.forecasting import calibrate_p

    curves = _long_curves(shared_curves / "deepobs_baselines_curves.csv.gz", "epoch", "test_loss", 150, 50)
    raw, cal, seen = [], [], []
    for x, y in curves:
        k = max(MIN_POINTS, int(math.ceil(0.25 * len(x))))
        fc = forecast_curve(x[:k], y[:k], horizon=x[-1])
        if fc.reason:  # withheld: no probability to score
            continue
        raw.append(fc.prob_below(fc.level * 0.99))
        cal.append(fc.p_improve)
        seen.append(float(smooth(y)[-1] < 0.99 * fc.level))
    raw, cal, seen = map(np.asarray, (raw, cal, seen))
    assert np.mean((cal - seen) ** 2) < np.mean((raw - seen) ** 2)
    grid = np.linspace(0, 1, 101)
    mapped = [calibrate_p(p) for p in grid]
    assert mapped == sorted(mapped) and mapped[0] == 0.0 and mapped[-1] == 1.0


def test_rising_validation_is_forecast_to_rise(shared_curves):
    # The IMDB example of Chollet's book: validation loss bottoms out at epoch 4 and climbs.
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(shared_curves / "keras_notebook_curves.csv")
    g = frame[frame.run_id.str.contains("3.5-classifying-movie-reviews.ipynb#cell32", regex=False)]
    x, y = g.epoch.to_numpy(float), g.val_loss.to_numpy(float)
    assert np.argmin(y) < len(y) // 2  # the real curve does rise
    fc = forecast_curve(x, y, horizon=2 * x[-1])
    assert fc.value > fc.level and fc.gain < 0
    assert fc.p_improve < 0.2
    assert fc.plateau_epoch <= x[np.argmin(y)] + 2  # X sits at the validation minimum


def test_a_validation_loss_that_turned_up_is_forecast_from_its_trough():
    """The Keras CSVLogger example (a real run): val_loss falls to 0.282 at epoch 15 and rises
    nearly every epoch to 0.376 at 79. Fitted across the turn, the fall outweighed the rise and
    the forecast said "0.7% lower by epoch 200"; fitted from the trough it keeps rising. A noisy
    flat tail (the article's MLP at its noise floor) has no such trough."""
    import losslens
    from losslens.forecasting import _trough

    run = losslens.read(REPO / "src" / "losslens" / "examples" / "keras_csvlogger.csv")[0]
    x, y = run.finite("val_loss")
    assert np.argmin(y) == 15 and y[-1] > 1.3 * y.min()
    fc = forecast_run(run, horizon=200, metric="val_loss")
    assert fc.value > fc.level > 0.36 and fc.gain < -0.05 and fc.p_improve < 0.3
    # fitted from the trough (epoch 11 once the lone dip at 15 is despiked); X still from the start
    assert 11 <= fc.x0 <= 15 and fc.plateau_epoch < 11
    for name in ("exp1_complex.json", "exp1_linear.json", "exp3_sgd.json"):
        _, flat = losslens.read(ARTICLE / name)[0].finite("val_loss")
        assert _trough(flat) is None, name


@functools.lru_cache(maxsize=None)
def _digits_full(epochs=60, seed=0):
    """A real tiny training run: logistic regression (sklearn SGD, constant step) on the digits,
    validation log-loss after each epoch."""
    datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.linear_model import SGDClassifier
    from sklearn.metrics import log_loss
    from sklearn.model_selection import train_test_split

    X, y = datasets.load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = train_test_split(X / 16.0, y, test_size=0.3, random_state=seed)
    clf = SGDClassifier(loss="log_loss", learning_rate="constant", eta0=1e-2, random_state=seed)
    classes = np.unique(y)
    losses = []
    for _ in range(epochs):
        clf.partial_fit(Xtr, ytr, classes=classes)
        losses.append(log_loss(yva, clf.predict_proba(Xva), labels=classes))
    return np.arange(epochs, dtype=float), np.array(losses)


def _digits_run(epochs=60):
    x, y = _digits_full()
    return x[:epochs].copy(), y[:epochs].copy()


def test_real_training_run_early_and_late():
    x, y = _digits_run()
    early = forecast_curve(x[:12], y[:12], horizon=x[-1])
    assert early.p_improve > 0.7 and early.gain > 0.05  # still falling fast at epoch 11
    lo, hi = early.interval
    assert lo <= y[-1] <= hi
    assert early.value < y[11]
    # At the end the curve has flattened: going on to twice the length gains little.
    late = forecast_curve(x, y)
    assert late.gain < early.gain / 2
    assert late.plateau_epoch < x[-1]


def test_article_fixtures_converged_vs_still_improving():
    import losslens

    # 1a (64-128-64 MLP at the noise floor) vs 1b (linear model, Adam 1e-3, still far off).
    complex_ = losslens.forecast(ARTICLE / "exp1_complex.json", horizon=100)
    linear = losslens.forecast(ARTICLE / "exp1_linear.json", horizon=100)
    assert abs(complex_.gain) < 0.02
    assert linear.gain > 0.3 and linear.p_improve > 0.8
    assert linear.p_improve > complex_.p_improve


def test_to_dict_shape_and_default_horizon():
    x, y = _digits_run(epochs=30)
    fc = forecast_curve(x + 1, y)  # 1-based axis
    assert fc.horizon == 1 + 2 * 29
    d = fc.to_dict()
    json.dumps(d, allow_nan=False)
    for key in ("metric", "horizon", "value", "interval", "plateau_epoch", "p_improve", "path"):
        assert key in d
    assert d["interval"][0] <= d["value"] <= d["interval"][1]
    assert 0.0 <= d["p_improve"] <= 1.0
    path = d["path"]
    assert 2 <= len(path["x"]) <= 50 and path["x"][-1] == fc.horizon
    assert all(lo <= mid <= hi for lo, mid, hi in zip(path["lo"], path["mid"], path["hi"]))
    assert fc.value_at(fc.horizon) == pytest.approx(fc.value)
    assert np.asarray(fc.value_at([5.0, 10.0])).shape == (2,)


def test_nan_inf_short_constant():
    x = np.arange(20, dtype=float)
    y = 1.0 / (1 + x) + 0.1
    y[[3, 7]] = np.nan
    y[10] = np.inf
    fc = forecast_curve(x, y)
    assert fc.n_points == 17 and math.isfinite(fc.value)

    short = forecast_curve([0, 1, 2], [1.0, 0.8, 0.7])
    assert short.reason and short.p_improve is None
    assert short.interval[0] < 0.7 < short.interval[1]
    json.dumps(short.to_dict(), allow_nan=False)

    flat = forecast_curve(np.arange(30.0), np.full(30, 0.5))
    assert flat.value == pytest.approx(0.5, rel=1e-6)
    assert abs(flat.gain) < 1e-6 and flat.p_improve < 0.01

    with pytest.raises(EmptyRunError):
        forecast_curve([0, 1], [np.nan, np.nan])
    with pytest.raises(ValueError):
        forecast_curve([0, 1, 2], [1.0, 2.0])
    with pytest.raises(ValueError, match="horizon"):
        forecast_curve(x, 1.0 / (1 + x), horizon=-5)


def test_forecast_run_accuracy_is_flipped():
    x, y = _digits_run(epochs=30)
    acc = np.clip(1.0 - y / y.max(), 0, 1)  # an accuracy-like series rising with training
    run = Run(x, {"val_loss": y, "val_acc": acc})
    fa = forecast_run(run, metric="val_acc")
    assert fa.metric == "val_acc"
    assert fa.interval[0] <= fa.value <= fa.interval[1]
    assert fa.value >= fa.level - 1e-9  # accuracy forecast not to fall
    assert forecast_run(run).metric == "val_loss"


def test_cli_forecast_json_and_errors(tmp_path):
    from typer.testing import CliRunner

    from losslens.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["forecast", str(ARTICLE / "exp1_linear.json"), "--horizon", "80", "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout.strip().splitlines()[0])
    assert d["horizon"] == 80 and d["metric"] == "val_loss" and len(d["interval"]) == 2
    res = runner.invoke(app, ["forecast", str(ARTICLE / "exp1_linear.json")])
    assert res.exit_code == 0 and "90% interval" in res.stdout
    missing = tmp_path / "nope.csv"
    res = runner.invoke(app, ["forecast", str(missing)])
    assert res.exit_code == 2
    assert "nope.csv" in res.output and "Traceback" not in res.output



def test_cli_forecast_names_its_plateau_epoch_as_the_fitted_curves():
    """On the README's example log diagnose says X = 6 and forecast's fitted curve 7: the forecast line says
    whose X it is, so a user running both does not read two answers to one question."""
    from typer.testing import CliRunner

    from losslens.cli import app

    log = REPO / "src" / "losslens" / "examples" / "keras_csvlogger.csv"
    d = losslens.diagnose(str(log))
    out = CliRunner().invoke(app, ["forecast", str(log)]).stdout
    line = next(ln for ln in out.splitlines() if "levels off at epoch" in ln)
    fc_x = float(line.split("levels off at epoch ")[1].split()[0])
    assert fc_x != d.plateau_epoch  # the two definitions' readings differ here (7 vs 6) ...
    assert "on the fitted curve" in line and "`losslens diagnose` reads X off the logged curve" in line  # ... and say so

def test_one_exploding_evaluation_does_not_decide_the_forecast():
    x, y = _digits_run(epochs=40)
    spiked = y.copy()
    spiked[20] = 1e6  # one evaluation blew up (DeepOBS logs hold jumps like this)
    clean, noisy = forecast_curve(x, y, horizon=80), forecast_curve(x, spiked, horizon=80)
    assert noisy.value == pytest.approx(clean.value, rel=0.1)
    assert noisy.interval[1] < 2 * clean.interval[1]


def test_a_trend_through_zero_is_not_forecast_at_zero():
    """The article's linear model (Keras, Adam(1e-3), 50 epochs, val MSE 12.7 -> 1.68 on data with noise
    variance 0.01) forecast to epoch 200: the fit's asymptote sat on the floor 0 and the anchor shift carried
    the trend through it, clipped to a value of exactly 0 (with a note calling it a lower bound). The same
    code trained to 200 epochs ended at 0.153. The anchored trend now keeps its asymptote on the floor: a
    positive value, no clipping, and the same for its accuracy-like flip (never exactly 1)."""
    y = np.asarray(json.loads((ARTICLE / "exp1_linear.json").read_text())["history"]["val_loss"], dtype=float)
    x = np.arange(y.size, dtype=float)
    fc = forecast_curve(x, y, 4 * y.size)
    assert 0 < fc.value < y[-1] and fc.interval[0] <= 0.153 <= fc.interval[1]
    assert fc.note is None
    near = forecast_curve(x, y, 2 * y.size)
    assert near.value > 0 and near.note is None
    acc = forecast_run(Run(x, {"val_acc": 1.0 - y / y.max()}), horizon=4 * y.size)
    assert acc.value < 1.0 and acc.note is None


def test_a_horizon_inside_the_logged_run_is_a_one_line_error():
    """--horizon 20 on an 80-epoch run printed a 'forecast' of epoch 20 with exit 0."""
    from typer.testing import CliRunner

    from losslens.cli import app

    path = REPO / "src" / "losslens" / "examples" / "keras_csvlogger.csv"
    last = float(losslens.read(path)[0].axis[-1])
    res = CliRunner().invoke(app, ["forecast", str(path), "--horizon", "20"])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1
    assert str(path) in res.output and f"({last:g})" in res.output and "looks ahead" in res.output
    assert CliRunner().invoke(app, ["forecast", str(path), "--horizon", str(last + 20)]).exit_code == 0


def test_a_forecast_made_after_an_lr_cut_does_not_carry_the_drop_below_the_noise_floor(tmp_path):
    """Keras ReduceLROnPlateau(factor=0.3, patience=2) on y = 2 x1 + 3 x2 + N(0, 0.3²), 1000 held-out points
    (fixture keras_rlrop_noise_floor, 8 seeds): no model's expected validation MSE is below 0.09. Forecasts
    made right after a cut, fitted across it, carried the drop on: at epoch 11 (cut to 9e-4 at 11) the
    forecast for epoch 39 was 0.0869-0.0898, below the noise variance, while the run went on to 0.098.
    Held at the level since the cut, the value was right but the 90% interval kept the fit's lower bound
    (0 at worst, a median half-width of 27%: every final value inside); it is the noise at the new rate
    now, and covers about 90%."""
    from losslens.forecasting import forecast_run, last_lr_cut
    from losslens.readers import read

    folder = REPO / "tests" / "fixtures" / "ecosystem" / "keras_rlrop_noise_floor"
    below, errs, held = 0, [], []
    for path in sorted(folder.glob("rlrop_40*.csv")):
        [run] = read(path)
        lr, (x, y) = run.series["lr"], run.finite("val_loss")
        truth = float(y[-1])
        assert truth > 0.09  # the floor holds in the run itself
        lines = path.read_text().splitlines()
        for n in range(8, len(x) - 5):
            cut = last_lr_cut(x[:n], lr[:n])
            if cut is None:
                continue
            part = tmp_path / f"{path.stem}_{n}.csv"
            part.write_text("\n".join(lines[:n + 1]) + "\n")
            fc = forecast_run(read(part)[0], horizon=float(x[-1]))
            below += fc.value < 0.09
            errs.append(abs(fc.value - truth) / truth)
            assert fc.note and f"lr was cut at {cut:.4g}" in fc.note
            if np.sum(x[:n] >= cut) < 5:  # held at the level since the cut
                held.append((fc.interval[0] <= truth <= fc.interval[1], fc.interval[0]))
            else:
                assert fc.interval[0] <= truth <= fc.interval[1]
    assert len(errs) > 150 and below == 0 and np.median(errs) < 0.01
    coverage = np.mean([c for c, _ in held])
    assert len(held) > 100 and 0.85 <= coverage <= 0.95, coverage   # was 100%, at bounds down to 0
    assert min(lo for _, lo in held) > 0.06                          # was 0: far below the floor 0.09
    # Right after the cut (one point at the new rate) the forecast is the level now, and says why.
    part = tmp_path / "first12.csv"
    lines12 = (folder / "rlrop_40.csv").read_text().splitlines()[:13]
    part.write_text("\n".join(lines12) + "\n")
    fc = forecast_run(read(part)[0], horizon=39)
    assert fc.value == pytest.approx(fc.level) == pytest.approx(float(lines12[-1].split(",")[-1]))
    assert "only 1 point(s) since the lr was cut at 11" in fc.note
    assert fc.value > 0.09 and fc.path()["mid"][-1] == pytest.approx(fc.value)


def test_a_fit_on_the_first_points_after_a_plateau_cut_does_not_carry_the_drop_below_them():
    """Keras ReduceLROnPlateau(factor=0.1, patience=10) on y = 2 x1 + 3 x2 + N(0, 0.3²), validation MSE >= 0.09
    (fixture keras_rlrop_noise_floor/rlrop_60_s1_f0.1_p10.csv). The lr was cut at epoch 14 after the curve had
    stopped improving; the points since fell 0.0953 -> 0.0912 and the run ended at 0.0915. Fitted on those 5
    points, the forecast read the drop as a trend: 0.0835 at epoch 59 (interval from 0.037), 0.0787 at 1000
    (interval from 0). Now it stays above the lowest point since the cut less its noise at the new rate."""
    path = REPO / "tests" / "fixtures" / "ecosystem" / "keras_rlrop_noise_floor" / "rlrop_60_s1_f0.1_p10.csv"
    [run] = losslens.read(path)
    x, y = run.finite("val_loss")
    end = float(y[-1])
    assert end > 0.09 and float(np.min(y)) > 0.09
    for n in range(19, 24):                      # 5-9 points at the lr set at epoch 14
        part = Run(run.axis[:n], {k: v[:n] for k, v in run.series.items()})
        for horizon in (float(x[-1]), 1000.0):
            fc = forecast_run(part, horizon=horizon)
            assert "lr was cut at 14" in fc.note
            assert fc.value >= 0.089 and fc.interval[0] >= 0.085, (n, horizon, fc.value, fc.interval)
            assert fc.interval[0] <= end <= fc.interval[1]
            assert fc.path()["lo"][-1] == pytest.approx(fc.interval[0])


def test_a_steady_descent_cut_by_steplr_keeps_its_fit():
    """A PyTorch SGD + StepLR(8, 0.3) MLP on digits: still falling at every cut (the last point before each cut
    its lowest), so the points after a cut are the trend at the new rate, not a spread settling: the
    forecast is the fit's, as before, with no floor."""
    torch = pytest.importorskip("torch")
    from sklearn.datasets import load_digits

    torch.set_num_threads(1)
    torch.manual_seed(0)
    X, t = load_digits(return_X_y=True)
    X = torch.tensor(X[:1000] / 16.0, dtype=torch.float32)
    t = torch.tensor(t[:1000])
    xtr, ttr, xva, tva = X[:700], t[:700], X[700:], t[700:]
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    sched = torch.optim.lr_scheduler.StepLR(opt, 8, 0.3)
    loss_fn = torch.nn.CrossEntropyLoss()
    lrs, vals = [], []
    for _ in range(30):
        lrs.append(opt.param_groups[0]["lr"])
        for idx in torch.randperm(700).split(64):
            opt.zero_grad()
            loss_fn(model(xtr[idx]), ttr[idx]).backward()
            opt.step()
        with torch.no_grad():
            vals.append(loss_fn(model(xva), tva).item())
        sched.step()
    vals = np.asarray(vals)
    assert np.all(np.diff(vals) < 0)  # a steady descent through both cuts
    seen = 0
    for n in (21, 22, 23, 29, 30):                # 5-6 points after the cuts at 16 and 24
        part = Run(np.arange(n, dtype=float), {"val_loss": vals[:n], "lr": np.asarray(lrs[:n])})
        fc = forecast_run(part, horizon=60)
        assert "lr was cut at" in fc.note and "not below" not in fc.note
        assert fc.value < vals[n - 1]             # the descent goes on below the lowest point so far
        seen += 1
    assert seen == 5


def test_a_short_curve_whose_fit_misses_it_gets_no_forecast():
    """A Trainer's printed console (fixture hf_console_short): 5 eval_loss points, 0.676 0.628 0.055 0.017
    0.014. The ensemble, with no last points to hold out, fitted a Weibull through the cliff that put the
    level now at -0.0029; diagnose quoted "forecast at epoch 7.2: 0 (-100% vs. now), 90% interval [0, 1.33]"
    and `losslens forecast` printed "now -0.002905 ... 100.0% higher". Now: no forecast, and the number of
    points it needs."""
    from typer.testing import CliRunner

    from losslens.cli import app
    from losslens.forecasting import CHECKED_POINTS

    path = REPO / "tests" / "fixtures" / "ecosystem" / "hf_console_short" / "console.txt"
    [run] = losslens.read(path)
    x, y = run.finite("val_loss")
    assert len(x) == 5 and y[-1] == pytest.approx(0.01408)
    fc = forecast_run(run)
    assert fc.reason and fc.p_improve is None and f"need {CHECKED_POINTS}" in fc.reason
    assert fc.level == pytest.approx(0.01408) and fc.value == pytest.approx(0.01408)
    ev = " ".join(losslens.diagnose(run).cause.evidence)
    assert "no forecast: only 5 points" in ev and f"need {CHECKED_POINTS}" in ev
    assert "forecast at" not in ev and "-100%" not in ev
    from losslens.report.plot import chart_data

    d = losslens.diagnose(run)
    assert d.forecast["reason"] and chart_data(d)["forecast"] is None  # no band drawn for a guess
    out = CliRunner().invoke(app, ["forecast", str(path)])
    assert out.exit_code == 0, out.output
    assert "no forecast of val_loss" in out.output and "now 0.01408" in out.output and "interval" not in out.output
    # A longer curve of a saturating shape keeps its forecast; so do 5 points that a family fits.
    xs = np.arange(1.0, 6.0)
    ok = forecast_curve(xs, 0.1 + 1.0 / xs)
    assert ok.reason is None and 0.1 < ok.value < 0.3


BLOWUP = REPO / "tests" / "fixtures" / "ecosystem" / "deepobs_blowup"


def test_a_fit_that_misses_a_blown_up_curves_present_gets_no_forecast():
    """DeepOBS cifar10_3c3d, Adam at lr 1.58 (fixture deepobs_blowup, cut from the shared real curves): the
    test loss blew up from 3.59 to 3.5e4 and is coming back down, 45.7 -> 7.22 over its last 10 epochs. The
    ensemble's level now was -536: `losslens forecast` printed "now -536 ... 0 (90% interval 0 to 435.1)
    ... 100.0% higher", with 101 points, past the short-curve check. Now: no forecast, and why."""
    import json as _json

    from typer.testing import CliRunner

    from losslens.cli import app

    path = BLOWUP / "adam_lr1.58.csv"
    [run] = losslens.read(path)
    fc = forecast_run(run)
    assert fc.reason and fc.reason.startswith("the fit misses where the curve is now")
    assert fc.p_improve is None and fc.plateau_epoch is None
    assert fc.level == pytest.approx(7.22151) and fc.value == pytest.approx(7.22151)  # the last point, not -536
    out = CliRunner().invoke(app, ["forecast", str(path)])
    assert out.exit_code == 0, out.output
    assert "no forecast of val_loss" in out.output and "now 7.222" in out.output
    assert "the fit misses where the curve is now" in out.output and "its level now -536" in out.output
    assert "interval" not in out.output and "higher by" not in out.output
    out = CliRunner().invoke(app, ["diagnose", str(path), "--json", "--horizon", "200"])
    assert out.exit_code == 0, out.output
    d = _json.loads(out.output)
    assert d["forecast"]["reason"].startswith("the fit misses") and d["forecast"]["p_improve"] is None
    assert d["forecast"]["withheld"] == "misses_curve"
    ev = " ".join(d["causes"][0]["evidence"])
    assert "no forecast: the fit misses where the curve is now" in ev and "forecast at" not in ev
    # Any cut of it the fit misses is withheld, never a forecast from a level the curve is not at.
    x, y = run.finite("val_loss")
    for k in range(20, len(x) + 1, 5):
        part = forecast_curve(x[:k], y[:k], horizon=200)
        assert part.reason is not None or part.level >= 0.5 * float(np.min(y[k - 10:k]))


def test_a_blown_up_curve_back_at_a_guess_is_not_still_improving_by_its_forecast():
    """DeepOBS cifar10_3c3d, Adam at lr 0.158 (fixture deepobs_blowup): blew up to 610 and came back to
    2.31 = ln 10, a uniform guess over 10 classes, flat for its last 30 epochs. A fit through the blow-up
    put the level now at 0.698 and forecast 0 by epoch 200 (P = 96%), and diagnose read "still improving
    slowly, but the learning-curve forecast expects 100% more". The DeepOBS grid retrained the same network
    at lr/100 (0.00158): test loss 0.845 at epoch 100 (accuracy 0.80 against 0.10 here). Now no forecast,
    and the verdict is the blow-up: lr_too_high."""
    path = BLOWUP / "adam_lr0.158.csv"
    [run] = losslens.read(path)
    fc = forecast_run(run)
    assert fc.reason and "its level now 0.6978" in fc.reason and fc.value == pytest.approx(2.3124)
    d = losslens.diagnose(run)
    ev = " ".join(c for cause in d.causes for c in cause.evidence)
    assert d.verdict == "lr_too_high"
    assert "learning-curve forecast expects" not in ev and "-100%" not in ev


def test_an_ordinary_descent_keeps_its_forecast(monkeypatch):
    """The same network at lr 1e-3 (fixture deepobs_blowup, test loss 3.59 -> 0.7535): its forecast, of the
    whole run and of its first 10/25/50%, is the fit's, the same as without the check, and no reason."""
    import losslens.forecasting as F

    [run] = losslens.read(BLOWUP / "adam_lr0.001.csv")
    x, y = run.finite("val_loss")
    cuts = [(x, y, None)] + [(x[:k], y[:k], float(x[-1])) for k in (11, 26, 51)]
    kept = [forecast_curve(a, b, h).to_dict() for a, b, h in cuts]
    monkeypatch.setattr(F, "_missed_present", lambda *a, **k: None)
    fitted = [forecast_curve(a, b, h).to_dict() for a, b, h in cuts]
    for got, want in zip(kept, fitted):
        assert got["reason"] is None and got["p_improve"] is not None
        assert got == want
    assert abs(kept[-1]["value"] - y[-1]) / y[-1] < 0.1  # given half the run, within 10% of where it ended


LONG = REPO / "tests" / "fixtures" / "ecosystem" / "torch_forecast_long"


def test_an_s_shaped_loss_is_never_forecast_at_exactly_zero():
    """Plain PyTorch loops on the digits (fixture torch_forecast_long), run long enough that their later
    epochs are the "train on" check. A sigmoid MLP, SGD(0.5): flat at ln 10 for ~150 epochs, a steep drop,
    validation bottoming out near 0.22; a ReLU MLP at Adam(3e-4), batch 512: a slow start, then a steep fall.
    Cut mid-fall, the ensemble's asymptote sat on the floor 0 (no floor shows yet) and the anchor shift,
    moving the fit down to the last points, carried it below 0: the forecast was clipped to exactly 0.
    Given 300 of 1200 epochs, val_loss at epoch 598 was forecast 0.0074 and at 1199 exactly 0; the run
    held 0.22 and 0.23 there. The anchored candidates now keep their asymptote on the floor."""
    sig = losslens.read(LONG / "sigmoid_sgd.csv")[0]
    x, y = sig.finite("val_loss")
    assert y[:150].min() > 2.25 and y[299] < 0.8 and y[-300:].min() > 0.2  # the premise: an S, ending > 0.2
    fc = forecast_curve(x[:300], y[:300], 2 * x[299] - x[0])
    assert 0.5 < fc.value / y[int(2 * x[299] - x[0])] < 2.0
    end = forecast_curve(x[:300], y[:300], x[-1])
    assert end.value > 0 and end.interval[0] <= y[-1] <= end.interval[1]
    relu = losslens.read(LONG / "relu_adam_bs512.csv")[0]
    tx, ty = relu.finite("train_loss")
    fc = forecast_curve(tx[:200], ty[:200], tx[-1])  # 0 before; the run went on to 0.055
    assert fc.value > 0 and fc.interval[0] <= ty[-1] <= fc.interval[1]
    for run in (sig, relu):
        for metric in ("train_loss", "val_loss"):
            x, y = run.finite(metric)
            n = len(x)
            for k in range(n // 10, n + 1, n // 10):
                for h in (2 * x[k - 1] - x[0], x[-1]):
                    if h > x[k - 1]:
                        assert forecast_curve(x[:k], y[:k], h).value > 0, (run.name, metric, k, h)


@pytest.mark.parametrize("name", ["train_only_digits.csv", "train_only_breast_cancer.csv"])
def test_a_training_loss_reads_p_improve_through_the_training_loss_map(name):
    """A training loss alone (fixture torch_forecast_long: 16-16 MLPs, SGD(0.3), no validation set),
    diagnosed at epoch 9: the forecast expected 7-9% more by epoch 18, but P = 0.71-0.73 through the map
    fitted on held-out losses, under the bar of 0.92, and the verdict was converged. Training losses improve
    > 1% far more often (raw 0.55-0.6 came true 91% of the time on the benchmark's training losses); through
    their own map P >= 0.92 and the verdict is still_improving. Training on (the rest of the file) took the
    loss 43% (breast cancer) and 83% (digits) lower by epoch 19."""
    from losslens.forecasting import calibrate_p

    y = np.loadtxt(LONG / name, delimiter=",", skiprows=1)[:, 1]
    level = float(np.median(y[7:10]))
    assert y[19] < 0.6 * level  # the intervention: trained on, it fell > 40%
    d = losslens.diagnose({"loss": list(y[:10])})
    assert d.verdict == "still_improving" and d.forecast["p_improve"] >= 0.92
    fc = losslens.forecast({"loss": list(y[:10])})
    assert fc.p_improve == pytest.approx(calibrate_p(fc.prob_below(fc.level * 0.99), training=True))
    held = forecast_run(Run(np.arange(10.0), {"val_loss": y[:10]}))  # the same curve called held-out
    assert held.p_improve == pytest.approx(calibrate_p(held.prob_below(held.level * 0.99)))
    assert held.p_improve < fc.p_improve


def test_a_forecast_plateau_epoch_on_a_log_of_whole_epochs_is_a_whole_epoch():
    # A char-level GRU's Monitor save (tests/fixtures/ecosystem/torch_charlm_gap): the forecast's grid put X
    # at "epoch 26.41"; the run logs whole epochs, and X is the first of them at 95% of the improvement.
    run = losslens.read(REPO / "tests/fixtures/ecosystem/torch_charlm_gap/run.json")[0]
    fc = forecast_run(run, horizon=38)
    assert fc.plateau_epoch is not None and fc.plateau_epoch > run.axis[-1]
    assert float(fc.plateau_epoch).is_integer()
    fine = forecast_curve(run.axis + 0.5, run.get("val_loss"), horizon=38.5)  # a fractional axis keeps its grid
    assert fine.plateau_epoch is not None and not float(fine.plateau_epoch).is_integer()


def test_diagnose_and_forecast_quote_one_level_now():
    """A plain PyTorch loop's history.json (fixture torch_loop_records), val_loss still rising slowly at epoch 60:
    `losslens forecast` said "now 0.4772 ... 7.9% higher" while `losslens diagnose` said "+5.6% vs. now" (its smoothed
    last value, 0.4875) for the same forecast. Both measure from the forecast's fitted level now."""
    import re

    from typer.testing import CliRunner

    from losslens.cli import app

    path = REPO / "tests" / "fixtures" / "ecosystem" / "torch_loop_records" / "history.json"
    d = losslens.diagnose(path)
    line = next(e for c in d.causes for e in c.evidence if e.startswith("forecast at"))
    m = re.search(r"\(([+-][0-9.]+)% vs\. its fitted level now, ([0-9.]+)\)", line)
    assert m, line
    out = CliRunner().invoke(app, ["forecast", str(path)]).output
    level = re.search(r"now ([0-9.]+) at epoch", out).group(1)
    change = re.search(r"forecast: ([0-9.]+)% (higher|lower)", out)
    signed = float(change.group(1)) * (1 if change.group(2) == "higher" else -1)
    assert m.group(2) == level and float(m.group(1)) == pytest.approx(signed, abs=0.1), (line, out)
    assert d.forecast["level"] == pytest.approx(float(level), rel=1e-3)


def test_a_run_that_turned_nan_gets_no_forecast_and_says_why():
    """A real PyTorch run whose lr grows 60% an epoch: it falls to 0.01, then overflows (val inf at epoch 22,
    train at 23). The fit of the finite stretch forecast a further fall of a run that had ended in NaN."""
    from test_report import _lr_range_run
    from losslens.forecasting import forecast_run

    h = _lr_range_run()
    run = losslens.Run.from_history(h)
    fc = forecast_run(run, metric="train_loss")
    assert fc.reason and "train_loss turned inf at epoch 23 and stayed so: the run diverged" in fc.reason
    assert fc.p_improve is None and fc.plateau_epoch is None
    fc = losslens.forecast(h)  # val_loss, and the same from the top-level function
    assert fc.reason.startswith("val_loss turned inf at epoch 22")


def _nan_record_run() -> dict:
    """A real PyTorch run (linear regression, SGD 0.05) still falling when a corrupt record (a NaN input)
    reaches it at epoch 12: every loss after is NaN."""
    pytest.importorskip("torch")

    def corrupt(epoch, x, opt):
        if epoch == 12:
            x[3, 0] = float("nan")  # the corrupt record
    return linear_regression_run(lr=0.05, epochs=16, before_epoch=corrupt)


def test_a_clean_descent_that_ends_in_nan_is_not_forecast_to_fall_on():
    """Before, `losslens forecast` fit the clean descent and answered '... lower by epoch 24, P = 0.96' of a
    run that had ended in NaN."""
    history = _nan_record_run()
    assert np.isnan(history["loss"][12:]).all() and np.isfinite(history["loss"][:12]).all()
    assert history["val_loss"][11] < history["val_loss"][5]  # still falling when it broke
    fc = losslens.forecast(history)
    assert fc.reason is not None and "turned NaN at epoch 1" in fc.reason and fc.p_improve is None


def test_diagnose_with_a_horizon_gives_no_forecast_of_a_run_that_turned_nan():
    """`diagnose --horizon 40` of the same run: the forecast asked for is withheld with its reason, as
    `losslens forecast` does (it quoted a fall 'P = 96%' beside the diverged verdict)."""
    d = losslens.diagnose(_nan_record_run(), horizon=40)
    assert d.verdict == "diverged"
    assert d.forecast["p_improve"] is None and d.forecast["reason"].startswith("val_loss turned NaN at epoch 12")
    assert any(e.startswith("no forecast: val_loss turned NaN at epoch 12") for e in d.cause.evidence)
    assert "P = " not in " ".join(d.cause.evidence)
    # ... nor "also likely: still_improving, keep training" of the descent before the NaN.
    assert [c.id for c in d.causes if c.id in ("still_improving", "lr_too_low", "temporary_plateau")] == []


def _diabetes_log(tmp_path, lr, epochs):
    """A user's torch loop (tests/torch_loops.diabetes_mlp_run) written as the CSV it would log."""
    from torch_loops import diabetes_mlp_run

    h = diabetes_mlp_run(lr, epochs=epochs)
    path = tmp_path / "run.csv"
    path.write_text("epoch,train_loss,val_loss\n" + "".join(
        f"{e},{a!r},{b!r}\n" for e, a, b in zip(h["epoch"], h["train_loss"], h["val_loss"])))
    return path


def test_cli_forecast_far_horizon_and_stop_replay_say_what_the_log_holds(tmp_path):
    """A real 20-epoch SGD(1e-3) loop forecast to --horizon 400 (21x its length): the interval's width is held at
    its 10x value there, which the planned end's caveat says and an asked horizon's did not; and the stopping
    rule, replayed over the 20 logged points, said it "would not have stopped before epoch 400", epochs the log
    does not hold."""
    from typer.testing import CliRunner

    from losslens.cli import app

    log = _diabetes_log(tmp_path, 0.001, 20)
    res = CliRunner().invoke(app, ["forecast", str(log), "--horizon", "400", "--stop-gain", "0.01"])
    assert res.exit_code == 0, res.output
    assert "horizon: that is 21x the logged length, past the 10x" in res.stdout
    assert "would not have stopped before" not in res.stdout
    assert "would not have stopped by epoch 20, the last of the 20 logged points" in res.stdout
    stop = json.loads(CliRunner().invoke(app, ["forecast", str(log), "--horizon", "400", "--stop-gain", "0.01",
                                               "--json"]).stdout)["stopping"]
    assert stop["stopped_epoch"] is None and stop["horizon"] == 400 and stop["last_epoch"] == 20
    # Within 10x nothing is added.
    assert "horizon:" not in CliRunner().invoke(app, ["forecast", str(log), "--horizon", "150"]).stdout


def test_cli_stop_replay_takes_the_last_logged_epoch_as_its_horizon(tmp_path):
    """`losslens forecast F --horizon E --stop-gain 0.01` on a real 20-epoch loop whose last logged epoch is E exited 2
    ("horizon E is not after the last logged epoch"): for the replay a horizon at the run's end is the natural one (the
    planned end, which the run reached). It is taken for the replay; the forecast shown goes to the default horizon,
    and without --stop-gain the horizon is still refused."""
    from typer.testing import CliRunner

    from losslens.cli import app

    log = _diabetes_log(tmp_path, 0.001, 20)
    last = log.read_text().splitlines()[-1].split(",")[0]
    res = CliRunner().invoke(app, ["forecast", str(log), "--horizon", last, "--stop-gain", "0.01", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["stopping"]["horizon"] == float(last) and out["horizon"] > float(last)
    res = CliRunner().invoke(app, ["forecast", str(log), "--horizon", last])
    assert res.exit_code == 2 and "is not after the last logged epoch" in res.stderr


def test_forecast_json_keys_are_the_documented_ones():
    """Every key `losslens forecast --json --stop-gain` prints for a real Trainer's checkpoint (planned end,
    step axis) is named in ARCHITECTURE's paragraph on schema losslens.forecast/1, which named only five of them
    and said those were added to diagnose's object, which has them too."""
    import re

    from typer.testing import CliRunner

    from losslens.cli import app

    log = REPO / "tests/fixtures/logs/hf_output/checkpoint-50/trainer_state.json"
    res = CliRunner().invoke(app, ["forecast", str(log), "--json", "--stop-gain", "0.01"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.splitlines()[0])
    assert out["schema"] == "losslens.forecast/1" and "horizon_from" in out and "plateau_epoch_frac" in out
    doc = (REPO / "docs/ARCHITECTURE.md").read_text()
    start = doc.index("schema `losslens.forecast/1`")
    named = set(re.findall(r"`([a-z_]+)`", doc[start:doc.index("\n\n", start)]))
    assert set(out) - named == set()
    assert set(out["stopping"]) - named == set()
    diagnose_forecast = set(json.loads(CliRunner().invoke(app, ["diagnose", str(log), "--json"]).stdout)["forecast"])
    assert diagnose_forecast - named == set() and diagnose_forecast <= set(out)


def test_forecast_summary_counts_the_runs_own_unit_as_a_whole_number(tmp_path):
    """``losslens.forecast(...).summary()`` on a Trainer's checkpoint (logged by step) said "after 25 more epochs",
    and on a real 20-epoch loop asked for epoch 2000 "after 1.98e+03 more epochs"."""
    fc = losslens.forecast(REPO / "tests/fixtures/logs/hf_output/checkpoint-50/trainer_state.json")
    assert fc.axis == "step" and "after 25 more steps" in fc.summary()
    log = _diabetes_log(tmp_path, 0.003, 20)
    fc = losslens.forecast(str(log), horizon=2000)
    assert fc.axis == "epoch" and "after 1980 more epochs" in fc.summary()
    assert "after 1980 more updates" in fc.summary("update")


def test_cli_stop_gain_is_a_fraction_below_1_as_the_callbacks_ask():
    """`--stop-gain 1.5` on the example Keras log replayed a rule asking for a 150% fall and reported a stop at
    its first decision; the callbacks refuse stop_gain >= 1. One line, exit 2, before the log is read."""
    from typer.testing import CliRunner

    from losslens.cli import app

    log = str(REPO / "src/losslens/examples/keras_csvlogger.csv")
    res = CliRunner().invoke(app, ["forecast", log, "--stop-gain", "1.5"])
    assert res.exit_code == 2 and "would have stopped" not in res.output
    assert res.stderr.strip() == ("losslens: forecast: Invalid value for '--stop-gain': must be a fraction below 1, "
                                  "e.g. 0.01 for 1%, got 1.5; see losslens forecast --help")
    assert CliRunner().invoke(app, ["forecast", log, "--stop-gain", "0.5"]).exit_code == 0


def test_cli_stop_replay_on_a_checkpoint_forecasts_to_the_planned_end():
    """A Trainer's checkpoint at step 50 of max_steps 75 (a real run's, tests/fixtures/logs/hf_output): the stopping
    rule was replayed to the checkpoint's last point, the forecast quoted beside it to step 75; with that nearer
    horizon it "would have stopped at step 45", the best so far 0.4871, where step 50 logged 0.391 (20% lower). The
    callback live forecasts to max_steps, and so does the replay now: no stop by step 50."""
    from typer.testing import CliRunner

    from losslens.cli import app

    log = str(REPO / "tests/fixtures/logs/hf_output/checkpoint-50/trainer_state.json")
    out = json.loads(CliRunner().invoke(app, ["forecast", log, "--stop-gain", "0.01", "--json"]).stdout)
    assert out["horizon"] == 75 and out["horizon_from"] == "3 epochs of 25 steps"
    assert out["stopping"]["horizon"] == 75 and out["stopping"]["stopped_epoch"] is None
    # --horizon still decides when given.
    out = json.loads(CliRunner().invoke(app, ["forecast", log, "--stop-gain", "0.01", "--json", "--horizon",
                                              "60"]).stdout)
    assert out["stopping"]["horizon"] == 60



def test_still_improving_beside_a_forecast_of_under_1_percent_says_so_and_claims_less():
    """Keras Adam(0.1) on diabetes (a 32-unit MLP, 100 epochs, validation_split 0.2; CSVLogger, committed with
    tests/fixtures/ecosystem/pathologies/make_keras_adam_diabetes.py): val_loss fell to 0.51 by epoch 5, then swung
    between 0.52 and 1.6; its last quarter fell back from a swing (t = -3.9). It read "still_improving (0.64): keep
    training: it is still improving" while the same diagnosis's forecast expected 0.85% more by epoch 198 with
    P(> 1%) = 37%. The verdict stands (the tail did fall), but its confidence is no more than the forecast backs,
    the evidence says the forecast disagrees and the advice trains on with early stopping."""
    log = REPO / "tests" / "fixtures" / "ecosystem" / "pathologies" / "adam0.1_diabetes.csv"
    before = log.read_bytes()
    d = losslens.diagnose(log)
    fc = d.forecast
    assert fc is not None and fc["reason"] is None and not fc["uncertain"], str(d)
    assert fc["gain"] < 0.01 and fc["p_improve"] < 0.5                                  # the premise: a flat forecast
    assert d.facts.trend.slope_t < -3                                                   # ... beside a falling tail
    assert d.verdict == "still_improving", str(d)
    c = d.cause
    assert c.strength <= 0.6 + 1e-9, c.strength  # the rules' cap; what is shown is its calibration:
    assert any(e.startswith("but the learning-curve forecast, fitted to all 100 points, expects 0.85% more by "
                            "epoch 198 (P = 37%)") for e in c.evidence), c.evidence
    assert c.actions[0].startswith("train on only with early stopping on val_loss"), c.actions
    assert json.loads(d.to_json())["causes"][0]["confidence"] == round(calibrated_confidence(c.strength, c.id), 3)
    assert log.read_bytes() == before


def test_print_of_a_forecast_is_its_summary_and_its_repr_one_line():
    """`print(losslens.forecast(...))` in a notebook printed the dataclass repr (every field, the weights); now
    the sentence `Forecast.summary()` gives, with the caveat of an uncertain forecast, as `print(diagnosis)`
    prints the report; the repr is one short line (a withheld forecast's code, not its reason's prose). Real logs: a Keras CSVLogger log, a Trainer's output folder (uncertain), a PyTorch
    run that turned NaN (withheld)."""
    from conftest import REPO

    logs = REPO / "tests" / "fixtures" / "logs"
    fc = losslens.forecast(REPO / "src" / "losslens" / "examples" / "keras_csvlogger.csv")
    assert str(fc) == fc.summary() and str(fc).startswith("val_loss forecast ")
    assert repr(fc).startswith("Forecast(metric='val_loss', horizon=") and "\n" not in repr(fc)
    assert "weights" not in repr(fc) and len(repr(fc)) < 200, repr(fc)
    wide = losslens.forecast(logs / "hf_output")
    assert str(wide).startswith(wide.summary() + "; uncertain: its 90% interval is wider than the level now")
    assert repr(wide).endswith("uncertain='its 90% interval is wider than the level now')")
    withheld = losslens.forecast(_nan_record_run())
    assert str(withheld).startswith("val_loss: no forecast (val_loss turned NaN at epoch 12")
    assert repr(withheld).endswith("p_improve=None, withheld='diverged')") and len(repr(withheld)) < 200


def test_a_withheld_forecast_says_so_in_a_key_a_program_can_test(tmp_path):
    """`diagnose --json`'s and `forecast --json`'s forecast of a run that turned NaN, or of a curve too short,
    carried the last value and a wide interval "by convention", told apart only by the prose of `reason`: now
    `withheld` names why as a code (null for a forecast made). Real runs: the PyTorch regression a corrupt
    record made NaN from epoch 12, its first 4 epochs, and a Keras CSVLogger log."""
    from typer.testing import CliRunner

    from losslens.cli import app

    history = _nan_record_run()
    d = losslens.diagnose(history, horizon=40)
    assert d.forecast["withheld"] == "diverged" and d.forecast["reason"].startswith("val_loss turned NaN")
    path = tmp_path / "short.csv"
    path.write_text("epoch,loss,val_loss\n" + "".join(
        f"{e},{history['loss'][e]!r},{history['val_loss'][e]!r}\n" for e in range(4)))
    for argv in (["diagnose", str(path), "--json"], ["forecast", str(path), "--json"]):
        res = CliRunner().invoke(app, argv)
        assert res.exit_code == 0, res.output
        out = json.loads(res.stdout.splitlines()[0])
        fc = out["forecast"] if argv[0] == "diagnose" else out
        assert fc["withheld"] == "too_few_points" and fc["reason"] and fc["p_improve"] is None, fc
    made = losslens.forecast(REPO / "src" / "losslens" / "examples" / "keras_csvlogger.csv").to_dict()
    assert made["withheld"] is None and made["reason"] is None and made["p_improve"] is not None


def test_interval_at_an_epoch_is_the_forecast_to_that_epoch():
    # The way to ask one forecast for the interval at another epoch (the CSVLogger example, 80 epochs): what a
    # forecast to that epoch gives, without fitting again; a score's interval the right way round; an epoch of
    # the wrong kind is refused naming the call (a ValueError out of numpy before).
    from losslens import UsageTypeError

    example = Path(__file__).resolve().parents[1] / "src" / "losslens" / "examples" / "keras_csvlogger.csv"
    far = losslens.forecast(example, horizon=300)
    assert far.interval_at(far.horizon) == pytest.approx(far.interval)
    for epoch in (100, 150, 250):
        near = losslens.forecast(example, horizon=epoch)
        assert far.interval_at(epoch) == pytest.approx(near.interval) and far.value_at(epoch) == pytest.approx(near.value)
    lo, hi = far.interval_at([100, 150, 250])
    assert lo.shape == hi.shape == (3,) and np.all(lo <= far.value_at([100, 150, 250])) and np.all(np.diff(hi - lo) > 0)
    acc = losslens.forecast(example, horizon=300, metric="val_acc")
    a_lo, a_hi = acc.interval_at(150)
    assert a_lo <= acc.value_at(150) <= a_hi and acc.interval_at(acc.horizon) == pytest.approx(acc.interval)
    for wrong in ("epoch 150", [[1, 2], [3]]):
        with pytest.raises(UsageTypeError, match="Forecast.interval_at"):
            far.interval_at(wrong)


def test_a_curve_of_many_thousand_points_is_forecast_from_its_bin_means():
    # Every family's fit costs O(n): a 500,000-point per-step loss took 19 s in `losslens forecast` (the fuzzer's
    # 60 s hang under load). Past smoothing.MAX_POINTS the curve is fitted as its bin means
    # (forecasting.fitted_points, every forecast's rule); shorter curves (the benchmark's, at most 1,080) as logged.
    from losslens.facts.smoothing import MAX_POINTS, downsample
    from losslens.forecasting import forecast_curve

    rng = np.random.default_rng(0)
    x = np.arange(1, 120_001, dtype=float)
    y = 2.0 / np.sqrt(x / 50 + 1) + 0.3 + rng.normal(0, 0.01, x.size)
    long, thinned = forecast_curve(x, y, horizon=240_000), forecast_curve(*downsample(x, y), horizon=240_000)
    assert (long.value, long.interval) == (thinned.value, thinned.interval)
    short = x[:MAX_POINTS]
    assert forecast_curve(short, y[:MAX_POINTS], horizon=4000).value != forecast_curve(
        *downsample(short, y[:MAX_POINTS], max_points=200), horizon=4000).value


def test_cli_forecast_to_an_absurd_horizon_writes_its_numbers_short(tmp_path):
    """The README's Keras CSVLogger log forecast to --horizon 1e300: the epoch came out as all 301 digits, three
    times, and the ratio to the logged length as 299 more; the prose stays readable and the JSON exact."""
    from typer.testing import CliRunner

    from losslens.cli import app

    example = Path(losslens.__file__).parent / "examples" / "keras_csvlogger.csv"
    res = CliRunner().invoke(app, ["forecast", str(example), "--horizon", "1e300"])
    assert res.exit_code == 0, res.output
    assert "val_loss at epoch 1e+300:" in res.stdout and "by epoch 1e+300" in res.stdout
    assert "horizon: that is 1.47e+298x the logged length" in res.stdout
    assert max(len(line) for line in res.stdout.splitlines()) < 300
    out = json.loads(CliRunner().invoke(app, ["forecast", str(example), "--horizon", "1e300", "--json"]).stdout)
    assert out["horizon"] == 1e300
    # An ordinary far horizon still reads in full.
    assert "val_loss at epoch 7900:" in CliRunner().invoke(app, ["forecast", str(example), "--horizon", "7900"]).stdout


def test_forecast_claims_no_plateau_while_it_still_expects_a_gain():
    """A new user's walk (2026-12-06, finding 9): ``forecast`` said "plateau epoch X = 12 on the fitted curve
    (already ...)" beside "19.4% lower by epoch 48; P = 0.96", and ``diagnose`` "no plateau". X is where the fitted
    curve made 95% of its whole improvement: after a steep start, early, while the curve still falls. On a real torch
    Adam run (tests/fixtures/ecosystem/torch_rlrop_high_lr/cf_adam.csv, make.py) the line, and the chart's label,
    now say what X is and that it is no plateau; the JSON keeps the number. A run that has plateaued keeps "(already".
    """
    from cli_helpers import run_cli

    from losslens.report.plot import forecast_chart_data

    log = REPO / "tests" / "fixtures" / "ecosystem" / "torch_rlrop_high_lr" / "cf_adam.csv"
    assert losslens.diagnose(str(log)).verdict == "still_improving"
    fc = losslens.forecast(str(log))
    assert fc.plateau_epoch < fc.x_last and fc.p_improve >= 0.9  # (X "already", a gain still expected)
    out = run_cli("forecast", log).stdout
    line = next(ln for ln in out.splitlines() if "plateau epoch X" in ln)
    assert line.startswith(f"  plateau epoch X: none yet (by epoch {fc.plateau_epoch:g} the fitted curve made 95% of")
    assert "already passed" not in out and f"P = {fc.p_improve:.0%})" in line
    assert json.loads(run_cli("forecast", log, "--json").stdout)["plateau_epoch"] == fc.plateau_epoch
    # the chart says the text's "none yet", and draws no X line (it drew one, labelled "X = 12 on the fitted curve")
    chart = forecast_chart_data(losslens.read(str(log))[0], fc)
    assert chart["plateau"] is None and chart["x_note"].startswith("plateau epoch X: none yet ("), chart["x_note"]
    flat = REPO / "src" / "losslens" / "examples" / "keras_csvlogger.csv"  # overfitting, forecast 14% higher
    assert re.search(r"levels off at epoch \d+ on the fitted curve, already passed \(its plateau X: 95% of ",
                     run_cli("forecast", flat).stdout)


def test_a_steady_slow_fall_keeps_its_continuation_inside_the_interval():
    """Session 40's forecast walk: a Friedman1 MLP at SGD(0.002) (tests/fixtures/ecosystem/torch_slow_tail, make.py)
    falls steeply for 48 epochs, then at an almost constant rate. Cut at epoch 99 and forecast to 199, every family
    bent flat (0.2749, above the level now) and the 90% interval [0.2582, 0.2991] left out where the run went, 0.2271.
    The lower bound now reaches the steady fall of the last third carried on (the point value and P:
    test_a_steady_slow_fall_moves_the_value_p_and_x_toward_its_continuation). A curve flat at its noise floor
    (torch_reg_floor's SGD run, cut at half) has no such fall and keeps its interval off a carried-on line."""
    pd = pytest.importorskip("pandas")
    eco = REPO / "tests" / "fixtures" / "ecosystem"
    log = pd.read_csv(eco / "torch_slow_tail" / "fried_sgd_slow.csv")
    x, y = log.epoch.to_numpy(float), log.val_loss.to_numpy(float)
    fc = forecast_curve(x[:100], y[:100], x[-1])
    lo, hi = fc.interval
    assert lo <= y[-1] <= hi, (fc.value, fc.interval, y[-1])
    assert lo > 0.2  # the bound is no "anything to 0"
    assert fc.interval_at(x[-1]) == fc.interval and fc.uncertain is None
    flat = pd.read_csv(eco / "torch_reg_floor" / "reg_floor_sgd.csv")
    fx, fy = flat.epoch.to_numpy(float), flat.val_loss.to_numpy(float)
    ff = forecast_curve(fx[:30], fy[:30], fx[-1])
    # no fall carried on: the interval reaches no further under the value than over it
    assert ff.value - ff.interval[0] < ff.interval[1] - ff.value and ff.interval[0] > 0.009, ff.interval


def test_a_steady_slow_fall_moves_the_value_p_and_x_toward_its_continuation():
    """The same Friedman1 MLP at SGD(0.002) cut at epoch 99: the value, P and X were the ensemble's, which bends flat
    too soon: 0.2749 at epoch 199 (the level now 0.2751, "< 1% more", P = 0.37, levels off at epoch 53) where the run
    went on to 0.2271. A backtest over the last third (the fit on the points before its later half against the line
    through its earlier half) weighs the fall carried on into the value, and P and X read that value; the 90%
    interval is as it was. Given far less of the run than the horizon asks for (epoch 999), the backtest vouches for
    the line over the 17 epochs it was tested on only: the value stays the fit's."""
    pd = pytest.importorskip("pandas")
    log = pd.read_csv(REPO / "tests" / "fixtures" / "ecosystem" / "torch_slow_tail" / "fried_sgd_slow.csv")
    x, y = log.epoch.to_numpy(float), log.val_loss.to_numpy(float)
    fc = forecast_curve(x[:100], y[:100], x[-1])
    assert fc.gain > 0.02 and fc.p_improve >= 0.5, (fc.gain, fc.p_improve)  # the run fell 17% more
    fit = forecast_curve(x[:100], y[:100], x[-1], _weigh_tail=False)  # the ensemble alone, as before
    assert fc.interval == fit.interval
    assert abs(fc.value - y[-1]) < abs(fit.value - y[-1]) - 0.005, (fc.value, fit.value, y[-1])
    assert fc.plateau_epoch > fit.plateau_epoch, (fc.plateau_epoch, fit.plateau_epoch)
    far, far_fit = forecast_curve(x[:100], y[:100], 999.0), forecast_curve(x[:100], y[:100], 999.0, _weigh_tail=False)
    assert abs(far.value - far_fit.value) < 0.01 * far_fit.value, (far.value, far_fit.value)


@pytest.mark.xfail(strict=True, reason="known, not fixed (issue 7, session 44): the steady fall is weighed into the value "
                   "scaled by the backtest's reach over the horizon's; unscaled as a power law (branch "
                   "s44_slowfall_powerlaw) this passes, but sklearn_mlpregressor_creep s0, a log-log fall as steady that "
                   "flattened, then reads 'keep training' (docs/benchmarks.md, Forecast)")
@pytest.mark.parametrize("log, cuts", [("keras_slow_overfit/moons400_s0.csv", (60, 75, 90, 105)),
                                       ("keras_slow_overfit/moons400_s1.csv", (60, 75, 90, 105)),
                                       ("torch_slow_tail/fried_sgd_slow.csv", (90, 105, 120))])
def test_a_steady_slow_fall_is_forecast_most_of_the_way(log, cuts):
    """Issue 7: a small-lr SGD run falling at a near-constant log-log rate is forecast to gain a third to half of what
    it went on to gain. Keras' CSVLogger, a make_moons MLP at SGD(0.02) (tests/fixtures/ecosystem/keras_slow_overfit,
    its first 150 epochs, still falling at epoch 149), seed 0 cut at 60 / 75 / 90 / 105 and forecast to 149: 2.8 / 4.2
    / 4.1 / 3.0% lower where the run went 14.7 / 12.2 / 9.5 / 7.5% lower (seed 1: 0.15-0.38 of its gain); the
    Friedman1 MLP at SGD(0.002) (torch_slow_tail) cut at 105: 3.2% where it went 16.5% lower."""
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(REPO / "tests" / "fixtures" / "ecosystem" / log).iloc[:150 if "moons" in log else None]
    x, y = frame.epoch.to_numpy(float), frame.val_loss.to_numpy(float)
    end = float(np.median(y[-5:]))  # where the run went, one epoch's noise aside
    for k in cuts:
        fc = forecast_curve(x[:k], y[:k], x[-1])
        truth = (fc.level - end) / fc.level
        assert truth > 0.05, (k, truth)  # the run did fall on
        assert 0.5 * truth <= fc.gain <= 1.1 * truth, (k, fc.gain, truth)


def test_a_steady_fall_cut_by_steplr_goes_on_at_the_new_rate_under_the_held_level():
    """fried_sgd_slow's MLP with StepLR(97, 0.1) (tests/fixtures/ecosystem/torch_slow_tail/fried_sgd_steplr.csv,
    make.py): falling 0.0006 an epoch when the lr is cut at epoch 97, 0.00005 an epoch after. Forecast at epoch 99
    for 199 the value is held at the level since the cut; the steady fall, carried on across the cut from the level
    before it at the old rate, pulled the lower bound to 0.2167 under a band held at [0.27416, 0.27420]. At the new
    rate it reaches the run's 0.2690 and no further than the held level less the fall at the new rate."""
    pd = pytest.importorskip("pandas")
    log = pd.read_csv(REPO / "tests" / "fixtures" / "ecosystem" / "torch_slow_tail" / "fried_sgd_steplr.csv")
    part = Run(log.epoch.to_numpy(float)[:100], {"val_loss": log.val_loss.to_numpy(float)[:100],
                                                 "lr": log.lr.to_numpy(float)[:100]})
    fc = forecast_run(part, horizon=199)
    assert "only 3 point(s) since the lr was cut at 97" in fc.note
    lo, hi = fc.interval
    truth = float(log.val_loss.iloc[193])  # the last epoch at lr 0.0002
    assert lo <= truth <= hi and lo <= float(log.val_loss.iloc[-1]), (fc.interval, truth)
    fall_at_new_rate = 0.0006 * 0.1 * (199 - 99)
    assert lo > fc.value - 2 * fall_at_new_rate, fc.interval


@pytest.mark.xfail(strict=True, reason="known, not fixed (session 40): a converged noisy tail is extrapolated downward. "
                   "Shrinking the forecast's fall where the last third does not fall was measured on the forecast "
                   "benchmark's training half (74 forecasts moved, DeepOBS at 50% 2.73 -> 2.62-2.67%, DeepOBS at 25% "
                   "5.49 -> 5.67% at full shrink): too small and too few curves to pick a rule on; flat-tailed DeepOBS "
                   "curves (last third within 1 noise sd) did go on falling by about what the ensemble forecasts")
def test_a_converged_noisy_tail_is_not_forecast_far_below_its_best():
    """Session 40's forecast walk: a Friedman1 MLP at Adam(1e-3) (tests/fixtures/ecosystem/torch_slow_tail,
    fried_adam_conv) is flat within its noise from epoch ~60; cut at epoch 99 (0.0610) the ensemble (MMF 0.63) forecasts
    0.0533 for epoch 199, P(> 1% lower) 92%; the run never went below 0.0587 and ended at 0.0632."""
    pd = pytest.importorskip("pandas")
    log = pd.read_csv(REPO / "tests" / "fixtures" / "ecosystem" / "torch_slow_tail" / "fried_adam_conv.csv")
    x, y = log.epoch.to_numpy(float), log.val_loss.to_numpy(float)
    fc = forecast_curve(x[:100], y[:100], x[-1])
    assert fc.value >= 0.97 * y.min(), (fc.value, fc.interval, y.min(), y[-1])


def test_forecast_names_its_level_now_fitted_and_quotes_the_value_logged():
    """The examples' Keras CSVLogger log ends val_loss 0.3766 at epoch 79: `losslens forecast --horizon 200` printed
    "now 0.3797 at epoch 79", the forecast's fitted level, which read as a misread of the log. It is named as
    diagnose names it, with the last value logged beside it."""
    import csv

    from typer.testing import CliRunner

    from losslens.cli import app

    path = REPO / "src" / "losslens" / "examples" / "keras_csvlogger.csv"
    last = float(list(csv.DictReader(path.open()))[-1]["val_loss"])
    out = CliRunner().invoke(app, ["forecast", str(path), "--horizon", "200"])
    assert out.exit_code == 0, out.output
    assert f"fitted level now {losslens.forecast(path, horizon=200).level:.4g} at epoch 79" in out.output, out.output
    assert f"(last logged {last:.4g})" in out.output, out.output
