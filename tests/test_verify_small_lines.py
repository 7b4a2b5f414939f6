"""Two verify lines that read wrong on real runs (session 50).

- tests/fixtures/ecosystem/keras_wine_collapse: a Keras wine MLP collapsed at Adam 0.2 reads lr_too_high "lower the
  learning rate (try 1/10) and restart from scratch: the collapsed weights will not recover", so verify retrains
  lr / 10 from the first epoch (5.117 -> 0.143; from epoch 5 it ended +0.0%). Its line read "learning rate / 10"
  alone, as if from the plateau.
- tests/fixtures/ecosystem/verify_seed_spread (make.py): the breast_cancer MLP at seeds 0-2; twice the training
  data is not decided on the seeds' disagreement, and the line added "the baseline's tail bounces ±0.0% from epoch to
  epoch": each seed's smooth rise spreads 0.015% to 0.020% (make.out), rounded away at one decimal.
"""
from pathlib import Path

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
WINE = ECO / "keras_wine_collapse"
SPREAD = ECO / "verify_seed_spread"


def wine_train(lr_factor=1.0, from_epoch=0, seed=0):
    """The logged wine runs stand in for train(), as tests/test_collapse_restart.py reads them."""
    if lr_factor == 1.0:
        return str(WINE / "lr0.2_s0.csv")
    return str(WINE / ("lr0.2_to0.02_at5_s0.csv" if from_epoch else "lr0.02_s0.csv"))


def test_lr_tenth_retrained_from_scratch_says_so_and_why():
    r = losslens.verify(wine_train, causes=["lr_too_high"], seeds=(0,), progress=False)
    text = str(r)
    assert ("✓ lr_too_high — learning rate / 10 from scratch (the collapsed weights will not recover): predicts "
            "val_loss ends ≥ 15% lower; got 5.117 → 0.143") in text, text
    checks = r.to_dict()["checks"]
    lowered = [c for c in checks if c["cause"] == "lr_too_high" and c["statistic"] == "end"]
    assert lowered and lowered[0]["from_scratch"] == "the collapsed weights will not recover"
    assert "from scratch (the collapsed weights will not recover)" in lowered[0]["line"]
    # diverged's lr / 10 is from the start by its own prediction: no restart to explain
    assert all(c["from_scratch"] is None for c in checks if c["cause"] == "diverged")


def test_a_train_without_from_epoch_is_not_said_restarted():
    """lr / 10 from scratch because train() cannot start it later is not the diagnosis's restart."""
    def train(lr_factor=1.0, seed=0):
        return wine_train(lr_factor)
    r = losslens.verify(train, causes=["lr_too_high"], seeds=(0,), progress=False)
    assert "from scratch (" not in str(r)
    assert all(c["from_scratch"] is None for c in r.to_dict()["checks"])


def bc_train(size_factor=1.0, data_factor=1.0, decay_factor=1.0, seed=0):
    name = {(0.5, 1.0, 1.0): "size0.5", (1.0, 2.0, 1.0): "data2", (1.0, 1.0, 10.0): "decay10"}.get(
        (size_factor, data_factor, decay_factor), "base")
    return str(SPREAD / f"{name}_s{seed}.csv")


def test_a_smooth_tails_bounce_is_printed_with_its_digits():
    v = losslens.verify(bc_train, seeds=(0, 1, 2), progress=False)
    lines = [r.line() for r in v.results if r.why == "tail_noise"]
    assert lines, str(v)
    more_data = next(line for line in lines if "twice the training data: predicts val_loss best" in line)
    assert "the seeds' own moves (+4.8%, -27.3%, -7.8%) disagree" in more_data, more_data
    # the three baselines' own spreads, 0.018%, 0.015%, 0.020% (make.out): their mean
    assert more_data.endswith("the baseline's tail bounces ±0.018% from epoch to epoch)"), more_data
    assert not any("±0.0%" in line for line in lines), lines
