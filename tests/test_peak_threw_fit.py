"""lr_too_high listed beside a converged verdict where the peak lr threw the model out of its own fit
(diagnosis.peak_threw_fit): validation's best at the schedule's peak lr, never beaten after the cuts, and the
training accuracy falling while the lr was still at its peak. Two digits MLPs under ReduceLROnPlateau(patience=3),
SGD momentum 0.9, committed with the make.py that wrote them:
tests/fixtures/ecosystem/torch_rlrop_high_lr (lr 0.5, clean labels) and
tests/fixtures/ecosystem/torch_rlrop_flipped_labels (lr 0.05, 40% of the labels flipped: a noise floor)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
HIGH = ECO / "torch_rlrop_high_lr"
FLIPPED = ECO / "torch_rlrop_flipped_labels"


def _possible_high(d):
    return [c for c in d.causes[1:] if c.id == "lr_too_high" and "peak_fit_lost" in c.numbers]


def test_a_peak_lr_that_threw_the_fit_is_listed_beside_converged():
    # lr 0.5: training accuracy 0.77 -> 0.69 (running median of 3) at the peak, validation best 0.567 there and
    # frozen at 0.694 by the cuts (lr 5e-9); lr 0.05 ends at 0.112 (cf_sgd0.05.csv). The verdict stays converged
    # (the weights no longer move), with lr_too_high as possible and the retraining that decides it.
    d = losslens.diagnose(HIGH / "run.csv")
    assert d.verdict == "converged", d
    [high] = _possible_high(d)
    assert high.status == "possible" and high.strength < d.causes[0].strength
    assert 0.05 <= high.numbers["peak_fit_lost"] < 0.2
    assert any("lower the initial learning rate (try 1/10)" in a and "losslens verify --cause lr_too_high" in a
               for a in high.actions), high.actions
    assert "0.5674" in str(high.evidence) and "0.694" in str(high.evidence)


def test_a_noise_floor_at_a_workable_lr_gets_no_such_note():
    # 40% of the labels flipped at lr 0.05: validation's best also came at the peak lr and no cut beat it (the
    # rule's first two conditions hold), but training accuracy never fell there: a floor the labels set.
    df = pd.read_csv(FLIPPED / "run.csv")
    peak = df.lr >= 0.5 * df.lr.max()
    assert df.val_loss[peak].min() <= df.val_loss[~peak].min()  # the premise: best at the peak, never beaten
    assert df.val_loss.iloc[-1] > 1.7 and df.accuracy.iloc[-1] < 0.65  # the premise: far from fitting, a floor
    d = losslens.diagnose(FLIPPED / "run.csv")
    assert d.verdict == "converged", d
    assert not any(c.id == "lr_too_high" for c in d.causes), d
