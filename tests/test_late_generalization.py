"""A model that memorised, then began to generalize ("grokking"), cut before its validation accuracy climbed far.

tests/fixtures/ecosystem/torch_grokking (make.py): modular addition mod 31, an MLP under AdamW with weight decay 1.0,
481 held-out pairs, accuracies printed to 4 decimals. At epoch 1099 validation loss is back down from 11.4 (epoch
51) to 4.9 and falling, validation accuracy 0.023 -> 0.081 over the last quarter; trained on it reached 0.70 by
epoch 2500. losslens read "no learnable signal, check the labels" (accuracy "at chance" at 0.046) with the forecast
beside it giving P = 96% of a further fall. Earlier cuts of the same run sit under chance (0.000-0.008), which was
also called "at chance".
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

import losslens

RUN = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_grokking" / "grokking.csv"


def _rows(upto: int | None = None) -> dict[str, list[float]]:
    with open(RUN, newline="") as fh:
        rows = list(csv.DictReader(fh))[:upto]
    return {k: [float(r[k]) for r in rows] for k in rows[0]}


def test_n_val_read_off_rounded_accuracies():
    from losslens.facts.chance import rounded_denominator

    acc = np.array(_rows()["val_acc"])
    assert rounded_denominator(acc) == 481  # 961 pairs, 480 trained on
    # Values with no common denominator (a batch-averaged accuracy) give none.
    assert rounded_denominator(np.round(np.random.default_rng(0).uniform(0, 1, 60), 4)) is None


def test_late_generalization_is_not_no_signal():
    for classes in (31, None):
        d = losslens.diagnose(str(RUN), classes=classes)
        ids = [c.id for c in d.causes]
        assert "no_signal" not in ids, (classes, ids)
        lead = d.causes[0]
        assert lead.id in ("still_improving", "lr_too_low"), ids
        text = " ".join(lead.evidence)
        assert "grokking" in text and "above chance" in text
        assert not any("check the labels" in a for c in d.causes for a in c.actions)
        # Its best so far is the untrained model's: no early stop to restore it.
        assert not any("best weights are from epoch 0" in a for c in d.causes for a in c.actions)
        assert d.plateau_epoch is None
        # The forecast quoted beside it expects a further fall, as `losslens forecast` does.
        fc = losslens.forecast(str(RUN), horizon=2500)
        assert fc.p_improve > 0.5


def test_under_chance_is_not_at_chance():
    r = _rows(650)  # validation accuracy 0.000-0.008 over the last quarter, chance 1/31 = 0.032
    d = losslens.diagnose(r, classes=31)
    ev = " ".join(c for cause in d.causes for c in cause.evidence)
    assert "under chance 1/31" in ev
    assert "at chance 1/31" not in ev


def test_a_rise_first_is_no_steep_drop():
    # The same run to epoch 2490 (every 10th logged): validation loss 3.56 -> 11.4 by epoch ~50, back under its
    # start by ~1500, 1.0 at 2490. The rise is its own stretch; the steep drop starts at the peak.
    long = RUN.with_name("grokking_long.csv")
    d = losslens.diagnose(str(long))
    names = [p["name"] for p in d.phases]
    assert names[:2] == ["rising_validation", "steep_drop"], d.phases
    peak = d.phases[0]["end"]
    assert 40 <= peak <= 150 and d.phases[1]["start"] == peak
    # Cut before it got back under its start: the rise, then the fall still under way, no rise to the end.
    d = losslens.diagnose(str(RUN))
    assert [p["name"] for p in d.phases] == ["rising_validation", "no_plateau"], d.phases
    assert d.phases[0]["end"] < 100


SLOW = RUN.parent.parent / "torch_grokking_slow" / "grokking_lr1e3.csv"


def _slow(upto: int) -> dict[str, list[float]]:
    with open(SLOW, newline="") as fh:
        rows = list(csv.DictReader(fh))[:upto]
    return {k: [float(r[k]) for r in rows] for k in rows[0]}


def test_slow_grokking_premise():
    # The truth of the cuts below: at epoch 2999 validation accuracy is far above chance 1/31 (481 held out), its
    # loss well down from its peak, after sitting under chance while training held 1.000.
    r = _slow(3000)
    sd = (1 / 31 * 30 / 31 / 481) ** 0.5
    assert (np.median(r["val_acc"][-10:]) - 1 / 31) / sd > 4
    assert max(r["val_loss"]) - r["val_loss"][-1] > 4
    assert max(r["val_acc"][100:1200]) < 1 / 31 and min(r["train_acc"][150:]) == 1.0


def test_under_chance_while_memorising_is_not_no_signal():
    # Cut at epoch 999 (validation accuracy 0.000 since ~100, its loss just past its peak) and at 1499 (0.008 over the
    # last quarter, 2.9 binomial sds under chance): labels without signal score chance, not under it.
    for upto in (1000, 1500):
        for classes in (31, None):
            d = losslens.diagnose(_slow(upto), classes=classes)
            ids = [c.id for c in d.causes]
            assert "no_signal" not in ids, (upto, classes, ids)
            assert not any("check the labels" in a for c in d.causes for a in c.actions), (upto, classes)
            lead = d.causes[0]
            assert lead.id == "overfitting", ids
            assert "under chance 1/3" in lead.evidence[0] and "labels without signal score chance, not under it" \
                in lead.evidence[0]
            assert lead.actions[0].startswith("train on (with the weight decay")
            # Its best is the untrained model's: no early stop restoring it.
            assert not any("best weights are from epoch 0" in a for c in d.causes for a in c.actions)
