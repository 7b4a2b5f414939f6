"""Adam at a rate that memorises under Keras' ReduceLROnPlateau, on real Keras logs (tests/fixtures/ecosystem/
keras_rlrop_adam_memorise, make.py wrote the CSVs and make.out): a digits MLP (64-32-10) at Adam 0.03 under
ReduceLROnPlateau(factor 0.2, patience 3), 30 epochs.

Validation reached its best at the peak lr (0.328 at epoch 2), bounced up (0.464) before the first cut and never
got below that best after the cuts (ends 0.335) while training ended at 0.011. The cuts, each in almost no
lr-time, put the bounce in the "later half" of the run's lr-time, which read as a fall "in a line per unit of lr":
"learning rate too low, try 10x the peak 0.03" at 97%. lr / 10 ends lower; 10x sits at chance.
"""
import csv
import math
from pathlib import Path

import losslens

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "keras_rlrop_adam_memorise"


def _col(name: str, col: str = "val_loss") -> list[float]:
    """A fixture CSV's column, read without losslens (the premises' numbers)."""
    with open(HERE / name, newline="") as fh:
        return [float(r[col]) for r in csv.DictReader(fh)]


def _advice(d) -> str:
    return " ".join(a for c in d.causes for a in c.actions)


def test_a_curve_that_stopped_gaining_at_the_peak_rate_is_not_told_to_go_10x_higher():
    v, lr = _col("adam0.03.csv"), _col("adam0.03.csv", "learning_rate")
    cut = next(i for i, r in enumerate(lr) if r < lr[0])
    # The premises: its best came while the peak rate held, it climbed off it before the cut and never got below it
    # after; lr / 10 ends lower and 10x is at chance (ln 10).
    assert cut >= 4 and min(v[:cut]) == min(v) and max(v[v.index(min(v)):cut]) > min(v) + 0.1
    assert _col("adam0.003.csv")[-1] < v[-1] and min(_col("adam0.003.csv")) < min(v)
    assert min(_col("adam0.3.csv")) > 0.9 * math.log(10)
    d = losslens.diagnose(HERE / "adam0.03.csv", classes=10)
    assert "lr_too_low" not in d.cause_ids()
    assert "10x" not in _advice(d) and "higher learning rate" not in _advice(d)
    assert "fell in a line" not in " ".join(e for c in d.causes for e in c.evidence)


def test_a_decay_that_kept_the_fall_going_past_its_peak_still_reads_too_low():
    # The control the guard must leave alone: SGD 1e-3 under ExponentialLR, whose peak rate held one epoch and whose
    # fall went on under every later rate (tests/fixtures/ecosystem/torch_decayed_slow).
    slow = HERE.parent / "torch_decayed_slow" / "sgd1e-3_exp.csv"
    d = losslens.diagnose(slow, classes=10)
    assert d.verdict == "lr_too_low"
    assert "fell in a line" in " ".join(d.causes[0].evidence)
