"""A training set sorted by class and never shuffled (tests/fixtures/ecosystem/lightning_sorted_unshuffled, make.py):
a digits MLP under Lightning, Adam 1e-3, 43 steps an epoch, 15 epochs, every step logged. Read "still improving,
keep training" with no word of the per-step loss's swing (0.07 to 2.02 each epoch, one profile repeated); --metric
train_loss_step was read off train_loss_epoch. Shuffled, the same 15 epochs reach val_loss 0.1611 (sorted: 0.3595);
sorted at lr x 10 it collapses to 2.3036 = ln 10, accuracy 0.10 (read "learning rate too high"), where shuffled at lr
x 10 reaches 0.0959. A torch loop on the same data writing a row per
step, 60 epochs, listed "also possible: lr_too_low, raise the learning rate"."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

import losslens

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "lightning_sorted_unshuffled"
SORTED = HERE / "logs" / "sorted" / "version_0" / "metrics.csv"
SHUFFLED = HERE / "logs" / "shuffled" / "version_0" / "metrics.csv"
LR10 = HERE / "logs" / "sorted_lr10" / "version_0" / "metrics.csv"
SHUFFLED_LR10 = HERE / "logs" / "shuffled_lr10" / "version_0" / "metrics.csv"
TORCH = HERE / "torch_sorted.csv"
SHUFFLE = "shuffle the training data each epoch"


def _last_val(path: Path) -> float:
    return float(pd.read_csv(path)["val_loss"].dropna().iloc[-1])


def test_the_premise_shuffling_fixes_it_and_a_larger_step_collapses():
    assert _last_val(SHUFFLED) < 0.5 * _last_val(SORTED)
    assert abs(_last_val(LR10) - math.log(10)) < 0.01
    # ... and that collapse is the order's: shuffled, lr 1e-2 ends lowest of all
    assert _last_val(SHUFFLED_LR10) < _last_val(SHUFFLED)


def test_collapsed_sorted_run_is_told_to_shuffle_first():
    d = losslens.diagnose(LR10)
    assert d.causes[0].actions[0].startswith(SHUFFLE)
    assert not any(a.startswith(SHUFFLE) for c in losslens.diagnose(SHUFFLED_LR10).causes for a in c.actions)


def test_sorted_run_names_the_swing_and_shuffling_first():
    d = losslens.diagnose(SORTED)
    v = d.causes[0]
    assert v.actions[0].startswith(SHUFFLE)
    assert any("one profile repeated every epoch" in e and "43 steps" in e for e in v.evidence)


def test_shuffled_run_is_not_told_to_shuffle():
    d = losslens.diagnose(SHUFFLED)
    assert not any(a.startswith(SHUFFLE) for c in d.causes for a in c.actions)


def test_step_metric_is_read_on_steps_as_asked():
    d = losslens.diagnose(SORTED, metric="train_loss_step")
    assert d.axis == "step"
    assert len(d.run) == 645  # every logged step, not 15 epoch means
    assert not any("not read" in n for n in d.run.meta.get("notes", ()))
    assert d.causes[0].actions[0].startswith(SHUFFLE)


def test_torch_step_log_drops_raising_the_lr():
    d = losslens.diagnose(TORCH)
    assert d.causes[0].actions[0].startswith(SHUFFLE)
    assert not any(c.id == "lr_too_low" for c in d.causes)
    assert not any("raise the learning rate" in a for c in d.causes for a in c.actions)


def test_the_swing_fact_against_its_shuffled_control():
    from losslens.facts.epoch_swing import epoch_swing

    rows = pd.read_csv(SORTED).dropna(subset=["train_loss_step"])
    swing = epoch_swing(rows["step"].to_numpy(), rows["train_loss_step"].to_numpy(), 43)
    assert swing is not None and swing.profile_sds > 5 and swing.lag_corr > 0.95
    rows = pd.read_csv(SHUFFLED).dropna(subset=["train_loss_step"])
    assert epoch_swing(rows["step"].to_numpy(), rows["train_loss_step"].to_numpy(), 43) is None


def test_a_log_missing_steps_is_not_read():
    from losslens.facts.epoch_swing import epoch_swing

    rows = pd.read_csv(SORTED).dropna(subset=["train_loss_step"]).iloc[::2]
    assert epoch_swing(rows["step"].to_numpy(), rows["train_loss_step"].to_numpy(), 43) is None
