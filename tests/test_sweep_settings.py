"""A sweep's saved settings read as saved, and a log's axis read from its data (session 45's sweep walk).

Logs: tests/fixtures/ecosystem/lightning_adamw_settings (make.py: a 64-16-16-10 MLP on digits, AdamW, each run a real
Lightning fit whose hparams.yaml names the optimizer, then the same epochs laid out as Ray Tune writes a trial; Ray
is not installed here, so those files are written as Ray 2.x writes them, after the raytune fixture Ray wrote).
- compare missed an AdamW decay changed 1.0 -> 0.01 (and 0 -> 1, 1 -> 0): the decay was read through the
  diagnosis's strength test (lr x wd under STRONG_SHRINK: not a penalty), not as saved: "the change is not named".
- hparams.yaml's AdamW weight_decay 1.0 never reached the facts, though a callback's or a Trainer search's decoupled
  decay of 1 does: wd1 read still_improving; at 0.01 its best validation loss is 45% lower (0.4886 -> 0.2696).
"""

import csv
from pathlib import Path

import pytest

import losslens

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "lightning_adamw_settings"
LT = HERE / "lightning_logs"


@pytest.mark.parametrize("before,after,factor", [("wd1", "wd0.01", 0.01), ("wd0.01", "wd1", 100.0),
                                                 ("wd1", "wd0", 0.0), ("wd0", "wd1", float("inf"))])
def test_compare_names_an_adamw_decay_change_as_saved(before, after, factor):
    c = losslens.compare(LT / before, LT / after)
    assert c.change.get("decay_factor") == pytest.approx(factor), c.change


def test_an_adamw_decay_of_1_in_hparams_yaml_is_the_weight_penalty():
    d = losslens.diagnose(LT / "wd1")
    reg = d.facts.regularization
    assert reg is not None and reg.value == 1.0 and reg.decoupled and reg.where.startswith("hparams.yaml")
    assert d.verdict == "underfitting" and "lower the weight decay" in str(d.causes[0].actions[0])
    # what the action predicts, measured: the same run at 0.01 (and at 0) ends far lower
    best = {n: min(float(r["val_loss"]) for r in csv.DictReader(open(LT / n / "metrics.csv")) if r["val_loss"])
            for n in ("wd1", "wd0.01", "wd0")}
    assert best["wd0.01"] < 0.6 * best["wd1"] and best["wd0"] < 0.6 * best["wd1"], best
    # AdamW's default 0.01 at the same lr holds nothing: no penalty read there
    assert losslens.diagnose(LT / "wd0.01").facts.regularization is None
