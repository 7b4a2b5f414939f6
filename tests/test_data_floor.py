"""verify's "four times the data" forecast from the three sizes it retrained (half, once, twice the data), on two real
runs (session 50's walk):

- tests/fixtures/ecosystem/lightning_data_steep: a Lightning 64-64 MLP that memorises 60 rows. Best val 0.189, 0.158,
  0.125 at 30 / 60 / 120 rows was forecast 0.106 [0.085, 0.123] at 240 rows, which gave 0.040 / 0.041 / 0.039 on 3
  seeds: the three sizes steepen, and no floor fits them. The interval now reaches down to the training loss at 120 rows
  and says why. Its "a model twice the size: train_loss 4.0e-07 -> 1.0e-07 (-74.9%): holds" read a training loss at ~0.
- tests/fixtures/ecosystem/sklearn_sgd_data_floor: SGDRegressor, noise variance 0.04 stated: forecast 0.03995 at 4x,
  under the floor it was given; 4x gave 0.0419.
"""
import json
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.facts.learning_curve import learning_curve_facts

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
STEEP = ECO / "lightning_data_steep"
SGD = ECO / "sklearn_sgd_data_floor"


def _best(path: Path) -> float:
    return float(np.nanmin(losslens.read(path)[0].get("val_loss")))


def _steep(data_factor=1.0, epochs_factor=1.0, size_factor=1.0):
    # The logs make.py wrote for these changes (seed 0), as the walk's train() wrote them.
    tag = "e2" if epochs_factor != 1 else "s2" if size_factor != 1 else f"d{data_factor:g}"
    return STEEP / tag / "version_0" / "metrics.csv"


def _sgd(data_factor=1.0, epochs_factor=1.0):
    return json.loads((SGD / f"{'e2' if epochs_factor != 1 else f'd{data_factor:g}'}.json").read_text())


@pytest.fixture(scope="module")
def steep():
    return losslens.verify(_steep)


def test_the_premise_four_times_the_data_fell_far_below_the_power_law_of_three_sizes():
    fours = [_best(STEEP / "d4" / f"version_{s}" / "metrics.csv") for s in range(3)]
    twos = [_best(STEEP / "d2" / f"version_{s}" / "metrics.csv") for s in range(3)]
    assert max(fours) < 0.5 * min(twos), (fours, twos)
    assert _best(STEEP / "d8" / "version_0" / "metrics.csv") < min(fours)


def test_verify_s_four_times_the_data_interval_reaches_what_it_gave_where_three_sizes_steepen(steep):
    fc = steep.learning_curve
    lo, hi = fc.interval
    fours = [_best(STEEP / "d4" / f"version_{s}" / "metrics.csv") for s in range(3)]
    assert all(lo <= v <= hi for v in fours), (fc.interval, fours)
    assert fc.curve.steepening is not None and fc.curve.unpinned == pytest.approx(lo)
    # the lower bound is the training loss at twice the data, said so; the value is the power law's still
    train = losslens.read(_steep(2.0))[0].get("train_loss")
    assert 0 < lo < float(np.nanmax(train[-5:])) and fc.value > 0.1
    line = str(steep).splitlines()[-1]
    assert "the three sizes steepen" in line and "the lower bound is the training loss" in line, line


def test_a_bigger_model_s_training_loss_at_0_does_not_confirm_underfitting(steep):
    r = next(r for r in steep.results if r.check.cause == "underfitting" and r.check.metric == "train_loss")
    assert r.baseline < 1e-5 and r.value < r.baseline  # what read "-74.9%: holds"
    assert r.holds is None and r.why == "memorised" and "memorised its data" in r.skipped, r.line()
    assert steep.holds("underfitting") is False


def test_a_stated_noise_floor_bounds_the_data_forecast():
    v = losslens.verify(_sgd, noise_floor=0.04)
    fc = v.learning_curve
    truth = min(_sgd(4.0)["val_loss"])
    assert fc.value >= 0.04 and fc.interval[0] <= truth <= fc.interval[1], (fc.value, fc.interval, truth)
    assert "noise floor 0.04" in str(v).splitlines()[-1]
    # unstated, the power law walks on: what the floor changes
    assert losslens.verify(_sgd).learning_curve.value < 0.04


def test_the_bounds_leave_a_curve_of_more_sizes_or_no_training_loss_as_calibrated():
    curve = {1: 0.19, 2: 0.158, 4: 0.125}
    lc = learning_curve_facts(curve)
    calibrated = lc.forecast(2.0).interval
    lc.train_level = 1e-3
    assert lc.steepening is not None and lc.forecast(2.0).interval[0] == 1e-3
    five = learning_curve_facts({0.25: 0.26, 0.5: 0.22, **curve})
    five.train_level = 1e-3
    assert five.steepening is None and five.forecast(2.0).interval[0] > 1e-3
    flat = learning_curve_facts({1: 0.19, 2: 0.17, 4: 0.16})
    flat.train_level = 1e-3
    assert flat.steepening is None and flat.forecast(2.0).interval[0] > 0.1
    assert learning_curve_facts(curve).forecast(2.0).interval == calibrated
