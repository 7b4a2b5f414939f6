"""A training loss whose epoch-to-epoch scatter is its batches, not its steps: session 42's walk (a moons MLP at plain
SGD 0.003 that the torch Monitor read "learning rate too high", where lr x 10 from epoch 80 ended 28% lower and lr / 10
3.6% higher). Trained by PyTorch and the Monitor: tests/fixtures/ecosystem/torch_moons_slow_sgd/make.py; make.out
holds the counterfactual runs."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import losslens
from losslens.facts import measure

W = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_moons_slow_sgd"


def _truth() -> dict[str, float]:
    """make.out's validation ends: the run as logged, and lr x 10 / lr / 10 from epoch 80 on."""
    text = (W / "make.out").read_text()
    ends = {"base": float(re.search(r"lr 0.003 to 200: .* end ([0-9.]+)", text).group(1))}
    for factor in ("10", "0.1"):
        ends[factor] = float(re.search(rf"lr x {factor} from epoch 80: .* end ([0-9.]+)", text).group(1))
    return ends


def test_monitor_that_stopped_it_reads_no_bounce():
    # The premise, from the fixture's own runs (make.out): a larger step from the plateau ends far lower, a smaller
    # one higher, so "lower the learning rate" is the wrong advice here.
    ends = _truth()
    assert ends["10"] < 0.85 * ends["base"] and ends["0.1"] > ends["base"]
    # What the Monitor saved when its stop_gain stopped the run at epoch 156: old code read lr_too_high ("train_loss
    # bounces around its floor: sd 2.4% of its whole improvement") and said "lower the learning rate (try 1/10)".
    d = losslens.diagnose(W / "monitor.json")
    assert d.run.meta["reported"]["verdict"] == "lr_too_high"  # (what the Monitor said live, before the fix)
    assert "lr_too_high" not in [c.id for c in d.causes]
    assert not any(a.startswith("lower the learning rate") for c in d.causes for a in c.actions)


def test_the_same_epochs_from_the_csv_read_alike():
    # The CSV log cut to the epochs the Monitor saw reads as the Monitor's log does: the disagreement was the length
    # (the Monitor stopped itself at 156; at 200 the training scatter is 1.6% of its improvement, under the 2% bar).
    run = pd.read_csv(W / "run.csv").iloc[:157]
    d = losslens.diagnose(run)
    assert "lr_too_high" not in [c.id for c in d.causes]
    from losslens.diagnosis import BATCH_SCATTER  # (here: the tests above run on code without it too)

    f = measure(d.run)
    # The bar's margin: the weights each epoch ended at (validation) moved ~1/40 as much as the batch mean.
    assert f.train_oscillation >= 0.02 and f.noise < 0.1 * BATCH_SCATTER * f.train_noise


def _carried_on() -> tuple[float, float]:
    """make.out's run at lr 0.003 carried on past its planned 200 epochs: validation at epoch 199 and at 999."""
    m = re.search(r"lr 0.003 carried on: val 199 ([0-9.]+), .* 999 ([0-9.]+)", (W / "make.out").read_text())
    return float(m.group(1)), float(m.group(2))


# The Monitor's 156 epochs fell 5.2% after X = 83 (0.3626 -> 0.3437 by 142) and their last quarter still falls
# (t = -3.6): read "still falling at the end ... stopping at 83 would have given up 5.2%" since a fall after X of 5%
# is one converged does not give up (diagnosis.FELL_AFTER_X; 10% before).
@pytest.mark.parametrize("name", [pytest.param("run.csv", marks=pytest.mark.xfail(
    strict=True, raises=AssertionError,
    reason="known miss: read converged, 'change the data or the model, not the epoch count', where the same lr carried "
           "on to epoch 999 ends 25% lower (lr x 10 from epoch 80: 28%); nothing in the log (validation's last quarter "
           "at t = 4.7 over 200 epochs, a few 1e-5 an epoch; the gap growing) tells this slow SGD drift from a floor, "
           "and no rule was measured that does beyond this one run")), "monitor.json"])
def test_more_epochs_at_the_same_step_are_not_ruled_out(name):
    at_199, at_999 = _carried_on()
    if not at_999 < 0.8 * at_199:  # (the premise; not an AssertionError, so the xfail cannot hide it)
        pytest.fail(f"make.out's premise no longer holds: {at_199} at epoch 199, {at_999} at 999")
    d = losslens.diagnose(W / name)
    said = [a for c in d.causes for a in c.actions]
    assert not any("not the epoch count" in a or "more epochs will not lower" in a for a in said), said
