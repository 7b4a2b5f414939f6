"""A step too large that Keras' ReduceLROnPlateau cut away, on real Keras logs (tests/fixtures/ecosystem/
keras_rlrop_sgd_high, make.py wrote the CSVs and make.out): a digits MLP at SGD momentum 0.9 under
ReduceLROnPlateau(factor 0.2, patience 3, min_lr 1e-6), 60 epochs.

At lr 0.3 validation climbed off its best at the peak (0.27 -> 0.81; seed 1 0.42 -> 1.07), then sat at 0.153
(0.164) from the cuts on. The many cuts, each in almost no lr-time, read as a fall "in a line per unit of lr":
"learning rate too low, try 10x the peak 0.3" at 97% (seed 1: converged, nothing about the step). lr / 10 ends
lower on both seeds (so do 0.1 and 0.15, seed 0), and 10x (lr 3) is a dead net at ln 10, which read "too low, try
10x the peak 3" as well.
"""
import csv
import math
from pathlib import Path

import pytest

import losslens

HIGH = Path(__file__).parent / "fixtures" / "ecosystem" / "keras_rlrop_sgd_high"


def _val(name: str) -> list[float]:
    """A fixture CSV's validation losses, read without losslens (the premises' numbers)."""
    with open(HIGH / name, newline="") as fh:
        return [float(r["val_loss"]) for r in csv.DictReader(fh)]


def _advice(d) -> str:
    return " ".join(a for c in d.causes for a in c.actions)


@pytest.mark.parametrize("run, lower", [("sgd0.3.csv", "sgd0.03.csv"), ("sgd0.3_s1.csv", "sgd0.03_s1.csv")])
def test_a_peak_that_threw_validation_off_its_best_reads_too_high_not_too_low(run, lower):
    v = _val(run)
    assert max(v[:3]) > 2 * v[0]  # the premise: it climbed off its first evaluation at the peak ...
    assert min(_val(lower)) < 0.85 * min(v) and _val(lower)[-1] < 0.85 * v[-1]  # ... and lr / 10 ends lower
    d = losslens.diagnose(HIGH / run, classes=10)
    assert d.verdict == "lr_too_high"
    assert "lr_too_low" not in d.cause_ids()
    assert "10x the peak" not in _advice(d)
    ev = " ".join(d.causes[0].evidence)
    assert "at its peak 0.3" in ev and "climbed off its best" in ev
    assert d.causes[0].actions[0].startswith("start at a lower learning rate (try 1/10 of the peak 0.3")


def test_the_dead_net_ten_times_higher_is_not_told_to_go_higher_still():
    v = _val("sgd3.csv")
    assert abs(v[-1] - math.log(10)) < 0.01 * math.log(10) and max(v[:7]) > v[0]  # the premise: at ln 10, bounced
    d = losslens.diagnose(HIGH / "sgd3.csv", classes=10)
    assert d.verdict == "lr_too_high"
    assert "lr_too_low" not in d.cause_ids()
    assert "10x" not in _advice(d) and "higher learning rate" not in _advice(d)
    assert "= ln 10, a uniform guess" in " ".join(d.causes[0].evidence)
    assert "converged" not in d.cause_ids()  # (no "stop at X" on a network that predicts the class frequencies)


@pytest.mark.parametrize("run", ["sgd0.03.csv", "sgd0.03_s1.csv", "sgd0.1.csv", "sgd0.15.csv"])
def test_the_rates_that_did_better_are_not_read_too_high(run):
    # The controls: lr 0.03 fell from its first point without climbing back (0.77 -> 0.12); 0.1 and 0.15, the best
    # of the rates tried (0.102, 0.108), bounce at the peak by less than half their improvement.
    assert min(_val(run)) < 0.85 * min(_val("sgd0.3.csv"))
    d = losslens.diagnose(HIGH / run, classes=10)
    assert "lr_too_high" not in d.cause_ids() and "lr_too_low" not in d.cause_ids()
