"""Losses with no zero point (facts.offset_free): a Gaussian NLL, whose value moves by a constant with the target's
units (y measured 10x smaller: + ln 10 on every value), read by torch loops' CSV logs
(tests/fixtures/ecosystem/torch_gaussian_nll, make.py). 0 is no floor of such a loss and "% of its level" or "% of
its starting value" reads the units, not the fit: where the run says so (offset_free=, --offset-free) or where one
of its losses went below 0, the forecast is not held above 0 and the level-reading rules read the run's own
improvement. A cross-entropy run (tests/fixtures/ecosystem/torch_score_only) is the control."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import losslens
from losslens.readers import read

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
GNLL = ECO / "torch_gaussian_nll"
LN10 = math.log(10)


def _shifted(c: float) -> pd.DataFrame:
    # GaussianNLLLoss(full=True) of y / s, the model's mean and sd scaled with it, is the same fit's NLL + ln s.
    d = pd.read_csv(GNLL / "zero.csv")[["epoch", "loss", "val_loss"]]
    return d.assign(loss=d["loss"] + c, val_loss=d["val_loss"] + c)


def _reading(d) -> tuple:
    fc = d.to_dict()["forecast"]
    # (the levels a stop after X quotes, "(-2.066 → -2.155, 4.4 noise sds)", are the loss's own: a constant moves them)
    return (d.verdict, d.plateau_epoch, [c.id for c in d.causes],
            [re.sub(r"\(-?[\d.]+ → -?[\d.]+, ", "(", str(a)) for a in d.causes[0].actions],
            round(fc["p_improve"], 3), fc["uncertain"], round(fc["gain"], 4))


def test_a_gaussian_nll_in_other_units_reads_alike():
    # Shifted by -ln 10, 0 and +ln 10 the same fit read converged / still_improving "35% lower" / underfitting
    # "54% of its starting value ... cannot fit the training data either".
    readings = [_reading(losslens.diagnose(_shifted(c), offset_free=True)) for c in (-LN10, 0.0, LN10)]
    assert readings[0] == readings[1] == readings[2]
    assert readings[0][0] == "converged" and "underfitting" not in readings[0][2]
    # Below 0 somewhere, the run says it itself: no flag needed.
    assert _reading(losslens.diagnose(_shifted(-LN10))) == readings[0]


def test_the_forecast_of_a_loss_with_no_zero_point_is_not_held_above_0():
    # Positive for all 80 epochs, falling slowly: "1.223 (90% interval 0 to 1.783)" at epoch 200, where the same
    # seed trained on to 200 ended at -0.0063.
    truth = float(pd.read_csv(GNLL / "slow200.csv")["val_loss"].iloc[-1])
    assert truth < 0
    fc = losslens.forecast(str(GNLL / "slow.csv"), horizon=199, offset_free=True)
    assert fc.interval[0] < truth < fc.interval[1]
    assert fc.to_dict()["per_improvement"] is True and "of its improvement" in str(fc)
    # (Without the flag nothing tells it from a loss bounded by 0: the interval stops at 0.)
    assert losslens.forecast(str(GNLL / "slow.csv"), horizon=199).interval[0] >= 0


def test_a_training_loss_below_0_frees_the_validation_forecast():
    # The near-0 fit in units 1.13x larger (-0.12 on every value): training ends below 0, validation above. Read
    # on validation alone the forecast stopped at 0 and was "uncertain: its 90% interval reaches 0".
    d = _shifted(-0.12)
    assert (d["loss"] < 0).any() and (d["val_loss"] > 0).all()
    fc = losslens.forecast(d, horizon=300)
    assert fc.to_dict()["per_improvement"] is True and fc.uncertain is None
    assert fc.interval[0] < fc.value < fc.interval[1] and fc.interval[0] != 0


def test_a_rising_score_is_said_to_rise():
    # val_r2 of the slow run, rising steadily to epoch 199 beside a forecast of < 1% more: its doubt said "the
    # fall may be a swing settling".
    d = losslens.diagnose(str(GNLL / "slow200.csv"), metric="val_r2")
    text = str(d)
    assert d.metric == "val_r2" and "may be a swing settling" in text
    assert "the fall may be" not in text and "the rise may be a swing settling" in text


@pytest.mark.parametrize("name", ["full60.csv"])
def test_a_cross_entropy_run_is_not_offset_free(name):
    [run] = read(ECO / "torch_score_only" / name)
    from losslens.facts import offset_free

    assert not offset_free(run) and np.nanmin(run.series["val_loss"]) > 0
    d = losslens.diagnose(run)
    assert d.verdict == "converged" and "per_improvement" not in d.to_dict()["forecast"]
    # Its validation loss went on falling 5.4% after X = 23 (t = -14.7 over the last quarter): since the stop
    # advice reads a fall >= 5% after X (FELL_AFTER_X), it names that, not "stop at epoch 23".
    first = str(d.causes[0].actions[0])
    assert first.startswith("still falling at the end") and "stopping at 23 would have given up" in first


def test_offset_free_must_be_a_bool():
    with pytest.raises(TypeError, match="offset_free"):
        losslens.diagnose(str(GNLL / "zero.csv"), offset_free="yes")


@pytest.mark.parametrize("n", [20, 25, 30, 35])
def test_a_gaussian_nll_still_falling_in_other_units_reads_alike(n):
    # Its first 20-35 epochs, still falling: still_improving's "lowered the level >= 5%" and lr_too_low's "< 50% of
    # its starting value" read the units. Shifted by +ln 10 it read lr_too_low "a nearly straight descent, far
    # from a floor" (92%) where the fit in its own units read still_improving (67%).
    readings = []
    for c in (-LN10, 0.0, LN10, 3 * LN10):
        d = losslens.diagnose(_shifted(c).iloc[:n], offset_free=True)
        readings.append((d.verdict, [(x.id, round(x.confidence, 3)) for x in d.causes],
                         [str(a) for a in d.causes[0].actions]))
    assert all(r == readings[0] for r in readings), readings
    assert readings[0][0] == "still_improving"


def test_the_stop_gain_rule_on_a_gaussian_nll_stops_alike_in_other_units():
    from losslens.stopping import ForecastStopping

    def stop(c, free):
        d = _shifted(c)
        rule = ForecastStopping(min_gain=0.01, metric="val_loss", offset_free=free)
        return rule.replay(d["epoch"].to_numpy(float), d["val_loss"].to_numpy(float))

    # 1% of the value: at epoch 79 (never), 62 or 4 as the units go; 1% of the improvement: one epoch.
    stops = {stop(c, True) for c in (0.0, LN10, 3 * LN10)}
    assert len(stops) == 1 and stops != {None}
    assert stop(3 * LN10, False) != stop(0.0, False)


def test_watch_takes_offset_free(tmp_path):
    from typer.testing import CliRunner

    from losslens.cli import app
    from losslens.commands.watch import follow

    path = tmp_path / "gnll.csv"
    _shifted(LN10).iloc[:30].to_csv(path, index=False)

    class Seen:
        last = None

        def note(self, text):
            pass

        def update(self, key, w, stop_gain):
            self.last = w

        def end(self, watched):
            pass

    read = {}
    for free in (False, True):
        seen = Seen()
        assert follow(str(path), seen, interval=1.0, idle=0.0, offset_free=free, sleep=lambda s: None) == 0
        d = seen.last.diagnosis
        read[free] = (d.facts.offset_free, d.verdict, seen.last.stopper.offset_free)
    assert read[True] == (True, losslens.diagnose(path, offset_free=True).verdict, True)
    assert read[False][0] is False and read[False][2] is False
    r = CliRunner().invoke(app, ["watch", str(path), "--offset-free", "--idle", "0", "--json"])
    assert r.exit_code == 0 and "No such option" not in r.output


def test_the_callbacks_take_offset_free():
    from losslens.integrations._core import Watcher

    w = Watcher(offset_free=True)
    assert w.run().meta["offset_free"] is True and "offset_free" not in Watcher().run().meta
    with pytest.raises(TypeError, match="offset_free"):
        Watcher(offset_free="yes")


@pytest.mark.parametrize("module, name", [("torch", "Monitor"), ("lightning", "LosslensCallback"),
                                          ("transformers", "LosslensCallback"), ("keras", "LosslensCallback")])
def test_every_adapter_passes_offset_free_to_its_watcher(module, name):
    import importlib

    pytest.importorskip(module)
    adapter = getattr(importlib.import_module(f"losslens.integrations.{module}"), name)
    assert adapter(offset_free=True).watcher.run().meta["offset_free"] is True


@pytest.mark.parametrize("name", ["zero.csv", "slow.csv"])
def test_every_bar_of_the_stop_gain_rule_is_a_share_of_the_improvement_offset_free(name):
    """The rule's other weighings of min_gain (a missed fall, a missed steady fall, a curve not yet past its noise)
    read it as a share of the level too, which the units move: at min_gain 0.05, zero.csv stopped at epoch 41 at
    -ln 100 ... +ln 10, 36 at +ln 1000 and 33 at +ln 1e6; slow.csv at 31, but never at -ln 10."""
    from losslens.stopping import ForecastStopping

    d = pd.read_csv(GNLL / name)
    x, y = d["epoch"].to_numpy(float), d["val_loss"].to_numpy(float)
    stops = {ForecastStopping(min_gain=0.05, metric="val_loss", offset_free=True).replay(x, y + c)
             for c in (-2 * LN10, -LN10, 0.0, LN10, 3 * LN10, 6 * LN10)}
    assert len(stops) == 1 and stops != {None}, stops
