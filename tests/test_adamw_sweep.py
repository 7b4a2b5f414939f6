"""A torch MLP sweep with AdamW on 400 digits, read against the sweep's own counterfactuals
(tests/fixtures/ecosystem/lightning_adamw_sweep/make.py: Lightning CSVLogger runs and Keras-CSVLogger-style copies of
one run jittered by 1e-4; the truth, each run's best validation loss beside lr / 10, width 16 and weight decay 1,
in its make.out)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import losslens

HERE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "ecosystem" / "lightning_adamw_sweep"


def _best(name: str) -> float:
    """A run's best validation loss as make.py printed it."""
    line = next(s for s in (HERE / "make.out").read_text().splitlines() if s.strip().startswith(name))
    return float(re.search(r"val best (\d+\.\d+)", line).group(1))


def test_the_sweep_refutes_overfitting_at_lr_0_1():
    """The truth the verdict is held to: at AdamW lr 0.1 (width 256, no decay) the advice overfitting gives, a
    smaller model or a weight penalty, ends worse, and lr / 10 ends 83% lower."""
    best = _best("lr0.1_w256_wd0 ")
    assert _best("lr0.1_w16_wd0") > best and _best("lr0.1_w256_wd1 ") > best
    assert _best("lr0.01_w256_wd0") < 0.2 * best


def test_training_held_near_validations_best_is_no_overfitting():
    """Training never below 0.56 (its last quarter 0.673, 87% of validation's best 0.777, not falling, t = 1.4) while
    validation bounced up to 1.3-2.0: read "overfitting 91%, regularize, a smaller model", lr_too_high second. Now
    lr_too_high is the verdict and overfitting is not listed; the evidence says why not."""
    d = losslens.diagnose(HERE / "lightning_logs" / "lr0.1_w256_wd0")
    assert d.verdict == "lr_too_high"
    assert "overfitting" not in [c.id for c in d.causes]
    assert any(e.startswith("not overfitting:") and "87%" in e for e in d.cause.evidence)
    assert "lower the learning rate" in d.cause.actions[0]


def test_a_run_that_memorises_keeps_overfitting():
    """The control at lr 3e-3: training to 0.0013 (accuracy 1.0) while validation rose off 0.147."""
    d = losslens.diagnose(HERE / "lightning_logs" / "lr0.003_w256_wd0")
    assert d.verdict == "overfitting"
    assert not any(e.startswith("not overfitting:") for c in d.causes for e in c.evidence)


@pytest.mark.xfail(strict=True, reason="a rule that fixed it (_forecast_at_or_above_end) read torch_forecast_long's "
                   "breast-cancer training loss, which fell 43% more, converged: reverted (docs/benchmarks.md)")
def test_a_forecast_above_the_curves_end_does_not_read_still_improving():
    """lr 0.1 with weight decay 1, as 11 copies jittered by 1e-4 of each value: the tail has no trend (t = -0.4) and
    the forecast, 1.18 at epoch 78, sits above the curve's end (1.16), "5% more" only against its own fitted level
    (1.24). By which side of the forecast's 5% bar the jitter puts the gain, 3 of the 11 read still_improving ("keep
    training") and 8 lr_too_high; every copy should read the same, none still_improving."""
    verdicts = {losslens.diagnose(p).verdict for p in sorted((HERE / "jitter").glob("s*.csv"))}
    assert verdicts == {"lr_too_high"}


def test_a_validation_curve_alone_that_bounces_keeps_overfitting_in_doubt():
    """lr 0.1, width 16, weight decay 1 as a W&B panel export, validation alone: 1.221 at epoch 13, then 1.33 (13% of
    its improvement) bouncing at sd 4.4% of it. Read "overfitting 86%, regularize" with only "no training curve
    logged" for doubt; the training loss the export left out ended flat at 1.30 beside validation's 1.34, and the same
    run's CSVLogger file reads lr_too_high. Now the evidence says a step too large reads the same rise, the second
    action asks for the training loss (or lr / 10) before regularizing, lr_too_high stays listed, and the reading is
    less sure (strength capped at 0.55, the slight rise's cap)."""
    line = next(s for s in (HERE / "make.out").read_text().splitlines() if s.startswith("lr0.1_w16_wd1 "))
    assert re.search(r"train lowest 1\.1\d+, end 1\.30", line)
    old = 0.86
    d = losslens.diagnose(HERE / "wandb_panel.csv")
    assert d.verdict == "overfitting" and d.cause.confidence < old
    assert any("a step too large throws it" in e for e in d.cause.evidence)
    assert d.cause.actions[1].startswith("log the training loss beside val_loss before regularizing")
    assert "lr_too_high" in [c.id for c in d.causes[1:]]
