"""An lr range test read to its blow-up (session 44's walk; tests/fixtures/ecosystem/lr_range_test/make.py: a torch
loop, digits, a 64-64-10 MLP at SGD momentum 0.9, the rate x1.35 an epoch from 1e-4, NaN from epoch 37). The
diagnosis advised "a warm-up should stop at its target, here no higher than 0.81": held constant, 0.81 blows up; a
tenth of it, the range test's reading, trains. Beside it, lr_too_high said "validation accuracy fell from 0.054 to
0.630" of an accuracy that rose to 0.98 first (0.630: its last quarter's mean)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import losslens

DIR = Path(__file__).parent / "fixtures" / "ecosystem" / "lr_range_test"


def _rows(name):
    with open(DIR / name) as fh:
        return [{k: float(v) for k, v in r.items()} for r in csv.DictReader(fh)]


@pytest.mark.parametrize("seed, ceiling, use", [(0, "0.81", "0.081"), (1, "0.6", "0.06")])
def test_a_rate_raised_all_run_is_read_as_a_range_test_whose_minimum_is_a_ceiling(seed, ceiling, use):
    d = losslens.diagnose(DIR / f"range_s{seed}.csv")
    assert d.verdict == "diverged"
    first = d.causes[0].actions[0]
    assert first.startswith("fix the learning-rate schedule: it raised the rate all run (an lr range test, or a "
                            "warm-up that never stopped); train at a constant rate of about a tenth of the one where "
                            f"train_loss was lowest: here about {use} (the range test's reading: Smith 2017")
    assert first.endswith(f"{ceiling} is a ceiling, passed on the way up, not a rate to hold")
    assert not any("a warm-up should stop at its target" in a for a in d.causes[0].actions)
    nums = d.causes[0].numbers
    assert nums["lr_suggested"] == pytest.approx(0.1 * nums["lr_at_best"])
    # The advice checked by training at it: make.py held each seed's sweep at the rate where its training loss was
    # lowest (the old advice's ceiling) and at a tenth of it, 30 epochs from the same initialization.
    tenth, held = _rows(f"const_s{seed}_0.1.csv"), _rows(f"const_s{seed}_1.csv")
    assert tenth[0]["lr"] == pytest.approx(nums["lr_suggested"], rel=1e-6)
    assert held[0]["lr"] == pytest.approx(nums["lr_at_best"], rel=1e-6)
    assert tenth[-1]["val_loss"] < 0.15 and tenth[-1]["val_accuracy"] > 0.96
    assert losslens.diagnose(DIR / f"const_s{seed}_1.csv").verdict == "diverged"
    assert max(r["loss"] for r in held) > 1e15


def test_the_session_39_ramp_rose_all_run_too():
    # The session-39 LambdaLR(1.3 ** epoch) ramp rose all run too: a tenth of 0.179, not "no higher than 0.18".
    d = losslens.diagnose(DIR.parent / "walk39_readings" / "lr_ramp.csv", classes=10)
    assert d.causes[0].actions[0].startswith("fix the learning-rate schedule: it raised the rate all run")
    assert "here about 0.018 " in d.causes[0].actions[0]


def test_the_validation_accuracy_is_said_as_it_went_up_then_down():
    d = losslens.diagnose(DIR / "range_s0.csv")
    high = next(c for c in d.causes if c.id == "lr_too_high")
    said = [e for e in high.evidence if e.startswith("validation accuracy")]
    # Read on the run before the NaN (epochs 0-36): best 0.978 (running median of 3) first at epoch 25, 0.296 at 36.
    assert said == ["validation accuracy rose from 0.054 to 0.978 at epoch 25, then fell to 0.296 at epoch 36 "
                    "(0.630 over its last quarter)"]
