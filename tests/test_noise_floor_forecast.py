"""A validation loss at the data's stated noise floor is not forecast to fall far below it, and reads converged.

Fixtures: tests/fixtures/ecosystem/keras_at_noise_floor (make.py: Keras Dense(1) at Adam(0.01) on y = 2x + N(0, 0.1^2),
its first 50 epochs and all 100) and tests/fixtures/ecosystem/lab_at_noise_floor (make.py: the lab's experiment 3 at
Adam(1e-3), 200 epochs, seeds 0 and 1, and seed 0 run 400 epochs); the runs still falling well above their floor are
tests/fixtures/ecosystem/lab_noise_floor's."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import losslens
from losslens.diagnosis import NOISE_FLOOR_NEAR

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
KERAS = ECO / "keras_at_noise_floor"
LAB = ECO / "lab_at_noise_floor"
FLOOR = 0.01


def _truth(path: Path, epoch: int) -> float:
    return float(pd.read_csv(path).set_index("epoch").loc[epoch, "val_loss"])


def test_keras_run_at_its_floor_is_converged_not_forecast_below_it():
    """Epoch 49 at 0.98x the floor read "still improving slowly ... 13% more by epoch 98 (P = 96%)", forecast 0.00827
    where the run went on to 0.009744 (the true function scores 0.009733 on this validation set)."""
    d = losslens.diagnose(KERAS / "adam01_first50.csv", noise_floor=FLOOR)
    last = float(d.run.series["val_loss"][-1])
    truth = _truth(KERAS / "adam01_100.csv", 98)
    assert last <= FLOOR * NOISE_FLOOR_NEAR
    assert d.verdict == "converged"
    assert any("noise floor" in e for e in d.causes[0].evidence)
    assert any("less noisy targets" in a for a in d.causes[0].actions)
    assert not any(c.id == "still_improving" for c in d.causes)
    f = d.forecast
    assert f["horizon"] == 98
    lo, hi = f["interval"]
    assert lo <= truth <= hi
    assert f["value"] == pytest.approx(truth, rel=0.005)
    assert f["p_improve"] < 0.28


def test_forecast_command_holds_the_same_run_at_its_floor():
    fc = losslens.forecast(KERAS / "adam01_first50.csv", noise_floor=FLOOR)
    truth = _truth(KERAS / "adam01_100.csv", 98)
    assert fc.value == pytest.approx(truth, rel=0.005)
    assert fc.interval[0] <= truth <= fc.interval[1]
    assert fc.interval[0] >= FLOOR / NOISE_FLOOR_NEAR * 0.97
    assert "noise floor" in fc.note
    assert fc.to_dict()["noise_floor"] == FLOOR
    bare = losslens.forecast(KERAS / "adam01_first50.csv")
    assert "noise_floor" not in bare.to_dict()


def test_a_floor_the_curve_contradicts_is_not_held():
    """A stated floor 10x above where the curve sits (under floor / 1.25: not the data's floor, or not these units)
    changes nothing in the forecast."""
    bare = losslens.forecast(KERAS / "adam01_first50.csv")
    wrong = losslens.forecast(KERAS / "adam01_first50.csv", noise_floor=0.1)
    assert (wrong.value, wrong.interval, wrong.p_improve) == (bare.value, bare.interval, bare.p_improve)
    assert "noise_floor" not in wrong.to_dict()


@pytest.mark.parametrize("seed", [0, 1])
def test_lab_adam_runs_at_their_floor_read_converged(seed):
    """`losslens lab seed -e optimizer -n 2 --epochs 200`: seed 0 (0.00978 at epoch 199, 0.98x the floor its meta
    states) read "still improving ... keep training", forecast 0.00557 at epoch 398 (-39%, P = 79%); run 400 epochs
    it was 0.00974 at 398. Both seeds read converged, with the floor's evidence."""
    d = losslens.diagnose(LAB / f"exp3_adam_seed{seed}.json")
    assert d.run.meta["noise_floor"] == pytest.approx(FLOOR)
    assert d.verdict == "converged"
    assert any("noise floor" in e for e in d.causes[0].evidence)
    assert d.forecast["p_improve"] < 0.28
    assert d.forecast["value"] >= min(FLOOR, float(np.min(d.run.series["val_loss"][-20:])))


def test_lab_seed0_forecast_meets_the_400_epoch_run():
    d = losslens.diagnose(LAB / "exp3_adam_seed0.json")
    v400 = json.loads((LAB / "adam400_seed0.json").read_text())["val_loss"]
    f = d.forecast
    truth = float(v400[int(f["horizon"])])
    assert f["interval"][0] <= truth <= f["interval"][1]
    assert f["value"] == pytest.approx(truth, rel=0.01)


@pytest.mark.parametrize("name,ratio", [("exp1_linear_seed0.json", 20), ("exp3_sgd_seed1.json", 1.03)])
def test_runs_still_falling_above_their_floor_keep_training(name, ratio):
    """The lab's linear model at Adam(1e-3) at epoch 49, 22x its floor, and SGD(0.01) at 1.04x (the 200-epoch SGD runs
    end at 0.96x): still falling, read lr_too_low with "keep training" beside it, the forecast still lower."""
    d = losslens.diagnose(ECO / "lab_noise_floor" / name)
    assert d.forecast["level"] > ratio * FLOOR
    assert d.verdict == "lr_too_low"
    assert d.forecast["gain"] > 0.01 and d.forecast["p_improve"] > 0.5
    assert d.forecast["value"] >= FLOOR


def test_forecast_stop_gain_replays_the_rule_on_the_forecast_held_at_the_floor():
    """`losslens forecast --stop-gain 0.01 --noise-floor 0.01` printed the forecast held at the floor ("0.0% lower,
    P = 0%") beside a replay of the stopping rule that forecast without it: "would not have stopped before epoch 49"
    on the first 50 epochs. The replay reads the run's stated floor too: it stops at the floor (epoch 36, 1.004x)."""
    from typer.testing import CliRunner

    from losslens.cli import app

    path = str(KERAS / "adam01_first50.csv")
    out = {nf: CliRunner().invoke(app, ["forecast", path, "--stop-gain", "0.01", *nf]).output
           for nf in ((), ("--noise-floor", str(FLOOR)))}
    assert "would not have stopped" in out[()]  # (no floor stated: as before)
    held = out[("--noise-floor", str(FLOOR))]
    assert "P(val_loss > 1% lower) = 0%" in held and "would have stopped at epoch 36" in held, held
