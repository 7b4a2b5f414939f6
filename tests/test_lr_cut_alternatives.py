"""The alternatives a diagnosis lists beside its verdict under an lr schedule that cut the rate
(tests/fixtures/ecosystem/torch_rlrop_high_lr: the losslens torch Monitor's saves of a digits MLP under
ReduceLROnPlateau, Adam at 3e-2, 3e-3 and 3e-4, seeds 0-2; make.py regenerates them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.readers import read

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_rlrop_high_lr"
SEEDS = (0, 1, 2)


def _best(lr: str, seed: int) -> float:
    [run] = read(HERE / f"lr{lr}_s{seed}.json")
    return float(np.min(run.finite("val_loss")[1]))


def test_the_interventions_recorded():
    # lr / 10 from the start lowers the high run's best validation loss on every seed (>= 15%, lr_too_high's
    # bar), and does not lower the tuned run's (its lr / 10 is still falling at 60 epochs, no lower best).
    for s in SEEDS:
        assert _best("0.003", s) < 0.85 * _best("0.03", s)
    assert np.mean([_best("0.0003", s) for s in SEEDS]) > 0.95 * np.mean([_best("0.003", s) for s in SEEDS])


def test_overfitting_under_reduce_lr_on_plateau_lists_a_peak_lr_that_bounced():
    # Seed 0 at Adam 3e-2: validation bounced (0.54 at best, 0.62-1.25 over the later half of the peak lr), the
    # cut after epoch 20 left it at 0.75 while training went to 2e-4. Read overfitting (validation above its
    # best, training falling), and lr_too_high was not among the causes, though lr / 10 lowers the best by 39%
    # (0.539 -> 0.327).
    d = losslens.diagnose(HERE / "lr0.03_s0.json")
    assert d.verdict == "overfitting"
    high = next((c for c in d.causes if c.id == "lr_too_high"), None)
    assert high is not None and high.status == "likely"
    text = " ".join(high.evidence)
    assert "peak" in text and "bounced" in text and "after the cut" in text
    assert any("lower learning rate" in a for a in high.actions) and any("cut it sooner" in a for a in high.actions)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_bounce_at_the_peak_lr_is_not_read_converged_alone(seed):
    # The other seeds' validation sat flat after the cut, above the best its bounce had touched: read converged
    # ("stop here") with lr_too_high nowhere; lr / 10 lowers their best by 35% and 32%.
    d = losslens.diagnose(HERE / f"lr0.03_s{seed}.json")
    assert "lr_too_high" in [c.id for c in d.causes]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_tuned_peak_that_overfits_lists_no_lr_too_high(seed):
    # The control: Adam 3e-3 under the same scheduler overfits too (validation 0.29-0.37 at its best, rising
    # as training falls) with a validation curve that barely bounces at the peak; lr / 10 reaches no lower best.
    d = losslens.diagnose(HERE / f"lr0.003_s{seed}.json")
    assert d.verdict == "overfitting"
    assert "lr_too_high" not in [c.id for c in d.causes]
