"""A step too small that the schedule then decays away, on real PyTorch logs (tests/fixtures/ecosystem/
torch_decayed_slow, make.py wrote the CSVs; make.out holds each run's first and last validation loss):

a digits MLP at plain SGD 1e-3 under ExponentialLR(10^-0.1), 10x down every 10 epochs, 40 epochs. Validation fell
2.2988 -> 2.2925, in a line per unit of lr, and flattened only as the lr ran out. It read "stuck at
initialization" with underfitting ("a bigger model") beside it. 10x the rate under the same decay and the same rate
undecayed each fell 10x as far (its 40 epochs add up to 4.9 at the peak rate): the step and its decay, not the model.
"""
import csv
from pathlib import Path

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
DS = ECO / "torch_decayed_slow"


def _fall(name: str) -> float:
    """First minus last validation loss of a fixture CSV, read without losslens (the premises' numbers)."""
    with open(DS / name, newline="") as fh:
        v = [float(r["val_loss"]) for r in csv.DictReader(fh)]
    return v[0] - v[-1]


def test_a_slow_descent_the_schedule_decayed_away_reads_lr_too_low():
    base = _fall("sgd1e-3_exp.csv")
    assert 0 < base < 0.01  # the premise: a sliver of ln 10 ...
    assert _fall("cf_lr1e-2_exp.csv") > 8 * base and _fall("cf_lr1e-3_const.csv") > 8 * base  # ... that either fix
    assert _fall("cf_lr1e-2_const.csv") > 1.5  # multiplies, and both together train it
    d = losslens.diagnose(DS / "sgd1e-3_exp.csv")
    assert d.verdict == "lr_too_low"
    assert "underfitting" not in d.cause_ids()
    ev = " ".join(d.causes[0].evidence)
    assert "decayed from its peak 0.001" in ev and "1/10 of the peak by epoch 10" in ev
    assert "add up to 4.9 at the peak rate" in ev
    assert d.causes[0].actions[0].startswith("a higher learning rate: try 10x the peak 0.001")


def test_ten_times_the_rate_under_the_same_decay_reads_the_same():
    d = losslens.diagnose(DS / "cf_lr1e-2_exp.csv")
    assert d.verdict == "lr_too_low" and "underfitting" not in d.cause_ids()


def test_a_fast_descent_a_plateau_schedule_then_cut_is_not_read_so():
    # The control: Adam 1e-2 under ReduceLROnPlateau on a regression at its noise floor fell most of the way in its
    # first epochs, then the lr was cut to 3e-5: 11% of its pace per unit of lr past half its lr-time, converged.
    d = losslens.diagnose(ECO / "keras_rlrop_noise_floor" / "rlrop_40_s3.csv")
    assert d.verdict == "converged"
    assert "lr_too_low" not in d.cause_ids()


def test_a_warm_up_epoch_before_the_decay_reads_the_same(tmp_path):
    # One epoch of warm-up at 1e-5 ahead of the same run: the first lr under 1/10 of the peak is that warm-up point,
    # before the peak; the decay's tenth is the one after it.
    with open(DS / "sgd1e-3_exp.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    first = dict(rows[0], lr="1e-05")
    out = tmp_path / "warm.csv"
    with open(out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        for i, r in enumerate([first] + rows):
            w.writerow(dict(r, epoch=str(i)))
    d = losslens.diagnose(out)
    assert d.verdict == "lr_too_low" and "underfitting" not in d.cause_ids()
    assert d.cause_ids() == losslens.diagnose(DS / "sgd1e-3_exp.csv").cause_ids()
    assert "1/10 of the peak by epoch 11" in " ".join(d.causes[0].evidence)
