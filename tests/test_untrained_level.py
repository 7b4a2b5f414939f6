"""A flat validation loss first evaluated after a whole epoch of learning does not show the untrained model's level,
so it cannot say validation "never beat the untrained model": no_signal needs a level the log shows an untrained
model scoring. Logs written by PyTorch: tests/fixtures/ecosystem/torch_bs1_bounce_reg/make.py (session 41's walk,
its CSVs rerun byte-identical; make.out holds each run's summary, the untrained model's validation MSE among it)."""

from __future__ import annotations

from pathlib import Path

import losslens

RUNS = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_bs1_bounce_reg"


def test_a_regression_that_learned_in_its_first_epoch_then_bounced_is_not_no_signal():
    # make_regression (noise 60, targets standardized: predicting the mean scores about 1, the untrained model
    # 1.095) at plain SGD 0.05, batch 1: validation 0.138 after the first epoch's 400 steps, its lowest, then
    # 0.17-0.43. Old code: "no learnable signal ... val_loss never improved by more than 0.0 noise sds", "check the
    # labels", lr_too_high not listed (no X: the first point is the smoothed lowest). lr / 10 ends at 0.119 against
    # 0.278 over the last five epochs, batch 32 at 0.110.
    d = losslens.diagnose(RUNS / "lr0.05_bs1.csv")
    assert not any(c.id == "no_signal" for c in d.causes)
    assert not any("check the labels" in a for c in d.causes for a in c.actions)
    high = next(c for c in d.causes if c.id == "lr_too_high")
    assert high.numbers["level_bounce"] > 0.10  # (12% of its level over the last quarter)
    assert "of its own level" in high.evidence[0]
    assert "with a constant learning rate 0.05" in high.evidence


def test_its_counterfactuals_do_not_bounce():
    # lr / 10 and batch 32 settle (0.103-0.135 and 0.109-0.112 over their tails): no level bounce to read.
    for name in ("lr0.005_bs1.csv", "lr0.05_bs32.csv"):
        d = losslens.diagnose(RUNS / name)
        assert not any(c.id in ("lr_too_high", "no_signal") for c in d.causes), name


def test_targets_without_signal_still_read_no_signal():
    # The same setup at SGD 0.005 with the training targets permuted: validation 1.03 after the first epoch, its
    # best 0.988 barely below where training started (1.011), climbing to 1.45 as training memorises (0.355): the
    # level training started at is a model's not yet fitted to what it scored, and validation never beat it.
    d = losslens.diagnose(RUNS / "lr0.005_bs1_shuffled.csv")
    assert d.verdict == "no_signal"
    assert "barely below where training started (1.011)" in d.causes[0].evidence[0]
