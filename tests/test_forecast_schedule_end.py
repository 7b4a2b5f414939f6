"""``losslens forecast`` of a run whose planned decay ran the lr to ~0 as it ended says that its value, interval and P
carry the fitted curve on as though the lr held, as diagnose's converged does (tests/test_cosine_end.py). A Trainer's
warm-up + linear decay to 0 over 200 steps was forecast "0.9% lower by step 390; P = 37%", "levels off at step 140,
already passed", with nothing said of the schedule, where the same decay over 400 steps ended 22% lower; the cosine to
0 of torch_cosine_end, stretched over twice the epochs, ended 5.6-8.1% lower (make.out there)."""
import json
from pathlib import Path

import pytest

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
ENDED = "schedule ran it to ~0 as the run ended"


@pytest.mark.parametrize("path", [ECO / "torch_cosine_end" / "cos_E40.csv", ECO / "torch_cosine_end" / "cos_E80.csv",
                                  ECO / "hf_linear_decay_low_lr" / "lr3e-5"])
def test_a_forecast_past_a_schedule_run_to_0_says_it_carries_the_curve_on_as_if_the_lr_held(path):
    fc = losslens.forecast(path)
    assert fc.note and ENDED in fc.note and "as though the lr held" in fc.note, fc.note
    assert ENDED in fc.to_dict()["note"]


def test_the_cli_text_and_json_carry_it():
    from typer.testing import CliRunner

    from losslens.cli import app

    path = str(ECO / "hf_linear_decay_low_lr" / "lr3e-5")
    text = CliRunner().invoke(app, ["forecast", path])
    assert text.exit_code == 0 and f"note: the learning rate's {ENDED}" in text.output, text.output
    out = CliRunner().invoke(app, ["forecast", "--json", path])
    assert out.exit_code == 0 and ENDED in json.loads(out.output.strip().splitlines()[-1])["note"], out.output


def test_a_rate_held_after_its_cut_gets_no_such_note():
    # ReduceLROnPlateau: the rate is held between cuts, which is what the fit carries on.
    path = Path(__file__).parent / "fixtures" / "logs" / "keras_rlrop.csv"
    lr = losslens.read(path)[0].get("lr")
    assert lr[-2] == lr[-3] > 0
    assert ENDED not in (losslens.forecast(path).note or "")


@pytest.mark.parametrize("path, where", [(ECO / "hf_gpt2_decay_to_0" / "s200", "at step 140 (epoch 1.12), already passed"),
                                         (ECO / "hf_gpt2_decay_to_0" / "s400", "would level off at step 582")])
def test_where_the_fit_levels_off_is_said_as_the_schedules_end_not_a_floor(path, where):
    # Beside the note, "levels off at step 140 ..., already passed" read as a floor the run had reached (the same
    # decay over 400 steps ended 22% lower), and s400's "levels off at step 582, still ahead" as a level training
    # on at lr ~0 would reach: one line now says both the fit's X and that the schedule ended.
    from typer.testing import CliRunner

    from losslens.cli import app

    res = CliRunner().invoke(app, ["forecast", str(path)])
    assert res.exit_code == 0, res.output
    line = next(x for x in res.output.splitlines() if "level off" in x or "levels off" in x)
    assert where in line and "already passed" not in line.split(where)[1], line
    assert ("training on at its end rate gains nothing" in line if "passed" in where
            else "at the schedule's end rate the run stays about where it is" in line), line
    assert "still ahead" not in res.output and "on the fitted curve, already passed" not in res.output
    # A run whose schedule did not end keeps the plain line.
    plain = CliRunner().invoke(app, ["forecast", str(Path(__file__).parent / "fixtures" / "logs" / "keras_rlrop.csv")])
    assert "on the fitted curve," in plain.output and "schedule has ended" not in plain.output, plain.output
