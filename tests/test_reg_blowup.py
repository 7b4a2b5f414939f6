"""Session 40's walk: a regression blown up by Adam's step inside its first epoch, which no ln K shows (each fixture
trained by PyTorch: tests/fixtures/ecosystem/torch_reg_blowup/make.py; make.out holds each run's first and last
rows)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import losslens
from losslens.cli import app

W = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_reg_blowup"
LOWER_FIRST = "lower the learning rate (try 1/10)"


def _val(name: str) -> list[float]:
    with open(W / f"{name}.csv", newline="") as fh:
        return [float(r["val_loss"]) for r in csv.DictReader(fh)]


def test_the_fixtures_show_what_lr_tenfold_lower_reaches():
    # The intervention the verdict names: the blown runs end 100x above what Adam 0.1 and 0.01 reach on the same data.
    assert min(_val("adam1.0")) > 100 and min(_val("adam1.0_s1")) > 40 and min(_val("adam0.3")) > 1.0
    assert _val("adam0.1")[-1] < 0.02 and _val("adam0.01")[-1] < 0.005


def test_blow_up_validation_never_came_back_from_is_no_overfitting():
    # Adam 1.0: train 368,131 at epoch 0, then 103, 15 ... 1.02; val 287 -> 468 -> 461. Old code: "overfitting --
    # plateau at epoch 0 (99%)", "the best weights are from epoch 0", also data_limited: the blow-up's weights kept.
    d = losslens.diagnose(W / "adam1.0.csv")
    assert d.verdict == "lr_too_high"
    assert d.causes[0].actions[0].startswith(LOWER_FIRST)
    assert {c.id for c in d.causes} == {"lr_too_high"}
    assert "never got back below its first evaluation" in " ".join(d.causes[0].evidence)
    assert "epoch 0" not in " ".join(a for c in d.causes for a in c.actions)


def test_blow_up_whose_validation_still_creeps_down_is_not_still_improving():
    # Seed 1: train 427,103, then 518 ... 1.03; val 131 -> 41, falling 0.07 an epoch. Old code: "still improving
    # slowly ... keep training"; lr / 10 reaches 0.01.
    d = losslens.diagnose(W / "adam1.0_s1.csv")
    assert d.verdict == "lr_too_high"
    assert d.causes[0].actions[0].startswith(LOWER_FIRST)
    assert "still_improving" not in [c.id for c in d.causes]
    assert "39x training's later level" in " ".join(d.causes[0].evidence)


def test_a_floor_reached_inside_the_first_epoch_is_no_blow_up():
    # A linear fit at SGD 0.09 that reaches its noise floor inside epoch 0: train 1.6, then 0.011 (147x), validation
    # 0.011 after epoch 0 and lower after. Its first point is as far above the rest as a blow-up's; validation came
    # down with training, so nothing says the step threw it (nor, so, Adam 0.3's 336 -> 0.99, val 2.19 -> 1.07).
    reg = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_reg_floor" / "reg_floor_sgd.csv"
    for path in (reg, W / "adam0.3.csv"):
        d = losslens.diagnose(path)
        assert not any("first_thrown" in c.numbers for c in d.causes)


@pytest.mark.parametrize("name", ["adam0.1", "adam0.01", "raw_adam0.01"])
def test_descents_read_no_blow_up(name):
    # A fast first epoch is no blow-up: the raw targets' run starts 2,180x its later level, but 3.5x its second point.
    d = losslens.diagnose(W / f"{name}.csv")
    assert d.verdict == "converged"
    assert not any("first_thrown" in c.numbers for c in d.causes)


def test_json_names_the_step():
    # The walker's --json listed no lr_too_high.
    res = CliRunner().invoke(app, ["diagnose", "--json", str(W / "adam1.0.csv")])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout.splitlines()[0])
    assert d["verdict"] == "lr_too_high" and d["causes"][0]["numbers"]["first_thrown"] > 1000
