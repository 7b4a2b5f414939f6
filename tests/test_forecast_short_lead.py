"""A forecast a few epochs past the log's end: its interval widens smoothly with the lead (session 44's forecast
walk; the log written by Keras: tests/fixtures/ecosystem/keras_sgd_digits_slow/make.py).

A 64-32-10 MLP on digits at plain SGD 0.01, its validation loss falling a smooth ~0.0006 an epoch to its planned end
(0.2832 at epoch 295, 0.2809 at 299). Given 296 or 298 of its 300 epochs, the forecast for epoch 299 was
[0.191, 0.414] and [0.194, 0.409]: wider than the 50-epochs-ahead interval from 250 epochs, [0.267, 0.323], and the
live ``stop_gain`` quoted it when it stopped at epoch 295. Its families passed the curve 0.03 apart at its end, and
their disagreement about where the curve is now was read as uncertainty about where it goes; the quantiles calibrated
for a horizon twice the logged length were used one epoch out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from losslens.forecasting import forecast_curve
from losslens.stopping import ForecastStopping

LOG = Path(__file__).parent / "fixtures" / "ecosystem" / "keras_sgd_digits_slow" / "sgd_digits.csv"


@pytest.fixture(scope="module")
def curve():
    d = np.loadtxt(LOG, delimiter=",", skiprows=1)
    return d[:, 0], d[:, 2]  # epoch, val_loss


def _width(fc, at=None) -> float:
    lo, hi = fc.interval if at is None else (float(np.squeeze(v)) for v in fc.interval_at(at))
    return hi - lo


def test_the_run_falls_smoothly_to_its_end(curve):
    x, y = curve
    assert x.shape == (300,) and np.all(np.diff(y[250:]) < 0)  # a fall at every epoch
    assert 0.0004 < (y[249] - y[299]) / 50 < 0.001


@pytest.mark.parametrize("n", [280, 290, 294, 296, 298])
def test_a_shorter_lead_is_not_wider(curve, n):
    # The same epoch forecast from more of the same run: never wider than from 250 epochs, 50 epochs out, and holding
    # what the run logged there.
    x, y = curve
    far = forecast_curve(x[:250], y[:250], 299)
    near = forecast_curve(x[:n], y[:n], 299)
    assert _width(near) < _width(far)
    assert near.interval[0] <= y[299] <= near.interval[1]


def test_one_epoch_ahead_is_about_the_fall_of_a_few_epochs(curve):
    x, y = curve
    fc = forecast_curve(x[:298], y[:298], 299)
    fall = (y[247] - y[297]) / 50  # per epoch
    assert _width(fc) < 20 * fall  # was 0.215 = 320 epochs of this fall
    assert fc.interval[0] <= y[299] <= fc.interval[1]


def test_the_interval_widens_with_the_lead(curve):
    x, y = curve
    fc = forecast_curve(x[:296], y[:296], 1000)
    widths = [_width(fc, at) for at in (296, 297, 299, 310, 400, 600, 1000)]
    assert np.all(np.diff(widths) >= 0), widths
    assert widths[0] < 0.1 * widths[-1]  # one epoch out, far narrower than 700 out


def test_the_live_stop_quotes_a_narrow_interval(curve):
    # LosslensCallback(stop_gain=0.01) stopped this run at epoch 295 (make.out), quoting the rule's forecast.
    x, y = curve
    rule = ForecastStopping(min_gain=0.01, horizon=299.0, metric="val_loss")
    for xi, yi in zip(x, y):
        if rule.update(float(xi), float(yi)):
            break
    assert rule.stopped_epoch == 295
    fc = rule.forecast
    assert fc.interval[1] - fc.interval[0] < 0.1 * fc.level  # was [0.191, 0.414] at a level of 0.284
    assert fc.interval[0] <= y[299] <= fc.interval[1]


def test_the_spread_of_weighted_candidates_is_the_law_of_total_variance():
    # mean_spread reads it twice (the candidates' values, then their changes since t = 1); against the mixture's
    # second moment less its squared mean, and a sample drawn from the mixture.
    from losslens.forecasting import _total_variance

    rng = np.random.default_rng(0)
    w = rng.dirichlet(np.ones(5))[:, None]
    means, stds = rng.normal(size=(5, 3)), rng.uniform(0.1, 1.0, size=(5, 3))
    mean, var = _total_variance(w, means, stds)
    assert mean.shape == var.shape == (3,)
    assert np.allclose(var, (w * (stds ** 2 + means ** 2)).sum(axis=0) - mean ** 2)
    pick = rng.choice(5, size=200_000, p=w[:, 0])
    draws = rng.normal(means[pick], stds[pick])
    assert np.allclose(draws.mean(axis=0), mean, atol=0.01) and np.allclose(draws.var(axis=0), var, rtol=0.02)
