"""More kinds of run nobody had fed losslens, each trained for real with the intervention that tells its truth
(tests/fixtures/ecosystem/fresh_kinds2/make.py: plain PyTorch loops saved by ``losslens.integrations.torch.Monitor``,
Keras 3 ``CSVLogger``; the interventions' figures in its make.out)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.readers import read

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "fresh_kinds2"
FASTAI = Path(__file__).parent / "fixtures" / "ecosystem" / "fastai"


def _best(name, key="val_loss"):
    [run] = read(HERE / name)
    return float(np.nanmin(run.series[key]))


@pytest.mark.parametrize("name, verdict", [
    ("cnn_adam1e-2.csv", "converged"),     # lr / 10 from scratch 0.0598, from the plateau 0.0694: both above 0.0437
    ("sgdr.json", "converged"),            # warm restarts every 10 epochs; plain cosine ends level (0.1398 vs 0.1415)
    ("onecycle.json", "converged"),        # the peak's bump (0.275 -> 0.448 at epoch 4) is no divergence
    ("batch1.json", "converged"),          # batch 1 SGD 0.05: lr / 10 0.266, batch 32 0.656, both above 0.181
    ("overconfident.csv", "overfitting"),  # val loss up 24% from epoch 11 while its accuracy held
    ("l2_0.1.csv", "underfitting"),        # Keras L2 0.1: L2 1e-3 reaches 0.264 against 2.30
])
def test_new_kinds_read_as_their_intervention_says(name, verdict):
    assert losslens.diagnose(HERE / name).verdict == verdict


def test_lr_tenth_confirms_the_cnn_was_not_held_by_its_step():
    assert _best("cf_cnn_adam1e-3.csv") > 0.85 * _best("cnn_adam1e-2.csv")
    assert _best("cf_cnn_lr1e-3_from20.csv") > 0.85 * _best("cnn_adam1e-2.csv")


def test_restart_bumps_are_not_divergence_or_overfitting():
    for name in ("sgdr.json", "onecycle.json"):
        d = losslens.diagnose(HERE / name)
        assert not any(c.id in ("diverged", "overfitting") for c in d.causes)


def test_adamw_decay_of_one_holds_the_fit_not_the_step():
    """AdamW weight_decay 1 on a digits MLP, lr 1e-2: validation bounces about 0.23 level with training and read
    lr_too_high. lr / 10 ends 5% lower (0.206 -> 0.196); the decay / 10 and / 100 at the same lr 68% and 58% lower
    (0.067, 0.086). The decay, not the step: underfitting held by it, lowering it the first action."""
    wd1 = _best("adamw_wd1.json")
    assert _best("cf_adamw_wd1_lr1e-3.json") > 0.85 * wd1
    assert _best("cf_adamw_wd1e-2.json") < 0.5 * wd1 and _best("cf_adamw_wd0.1.json") < 0.5 * wd1
    d = losslens.diagnose(HERE / "adamw_wd1.json")
    assert d.verdict == "underfitting" and d.cause.numbers["penalty"] == 1.0
    assert d.cause.actions[0].startswith("lower the weight decay (weight_decay = 1;")
    high = next(c for c in d.causes if c.id == "lr_too_high")
    assert high.status == "possible" and "a smaller step settles the bounce, not the level" in high.evidence[-1]


def test_adamw_decay_far_too_high_names_the_decay_before_capacity():
    """wd 10 at lr 1e-3 (val 1.35, accuracy 0.81): 'a bigger model' was the first action; 1/100 of it gives 0.104."""
    d = losslens.diagnose(HERE / "cf_adamw_wd10_lr1e-3.json")
    assert d.verdict == "underfitting" and d.cause.actions[0].startswith("lower the weight decay")


def test_adamw_at_usual_decay_is_not_blamed():
    for name in ("cf_adamw_wd1e-2.json", "cf_adamw_wd0.1.json", "cf_adamw_wd1e-2_lr1e-3.json"):
        d = losslens.diagnose(HERE / name)
        assert not any("penalty" in c.numbers for c in d.causes)
        # (More regularization may be advised where the gap dominates, as data_limited does: not a blame.)
        assert not any("lower the weight decay" in a for c in d.causes for a in c.actions)


def test_accuracy_frozen_at_the_majority_share_names_the_imbalance():
    """95/5 classes, SGD 1e-3: validation accuracy 0.950 and balanced accuracy 0.500 at 40 epochs and at 160 (the
    loss 0.193 -> 0.173) read 'keep training'; class weights 1:19 reach balanced accuracy 0.708 in 40."""
    for name in ("imbalanced.json", "cf_imbalanced_e160.json"):
        d = losslens.diagnose(HERE / name)
        assert d.cause.actions[0].startswith("imbalanced classes: weight them in the loss")
        assert any("the model answers the majority class for every input" in e for e in d.cause.evidence)
        assert d.cause.numbers["majority_share"] == pytest.approx(0.95)
    # lr x 10 flipped decisions (accuracy 0.954, balanced 0.544): not a model answering one class.
    d = losslens.diagnose(HERE / "cf_imbalanced_lr1e-2.json")
    assert "majority_share" not in d.cause.numbers


def test_accuracy_climbing_past_the_loss_minimum_stops_on_accuracy():
    """fastai fit_one_cycle at lr_max 0.1 on digits: val_loss lowest at epoch 2 (0.452, accuracy 0.867), then up to
    1.72 while accuracy climbed to 0.902 at epoch 18: 'early stopping, best weights from epoch 2' gave up 3.5
    points. The stop is the accuracy's best, its confidence a calibration matter."""
    d = losslens.diagnose(FASTAI / "history_cf_big_lr_div10.csv")
    assert d.verdict == "overfitting" and d.cause.numbers["accuracy_best_epoch"] == 18
    assert d.cause.actions[0].startswith("stop on validation accuracy, not val_loss: its best weights are from epoch 18")
    assert d.cause.actions[1].startswith("calibrate the kept model's confidence: temperature scaling")
    assert "the loss rose on confidence, not on fewer right answers" in d.cause.evidence[-1]


def test_accuracy_holding_keeps_the_loss_minimum():
    """overconfident.csv: accuracy 0.972 at the loss's minimum, 0.974 at the end (within a binomial standard error
    on 540): the stop at the minimum gives nothing up, so its action stays."""
    d = losslens.diagnose(HERE / "overconfident.csv")
    assert "accuracy_best_epoch" not in d.cause.numbers
    assert d.cause.actions[0].startswith("early stopping")


ECO = Path(__file__).parent / "fixtures" / "ecosystem"


@pytest.mark.parametrize("path", [
    ECO.parent / "logs" / "torch_splits.json",                       # digits: 0.963 held 72 of 100 epochs
    ECO / "torch_rlrop_high_lr" / "n900_lr0.003_s2.json",            # digits: 0.974 held 37 of 60
    ECO / "keras_valsplit_sorted" / "iris_shuffled.csv",             # iris: 0.967 held 29 of 40
    ECO / "keras_valsplit_sorted" / "wine_shuffled.csv",             # wine: 0.917 held 35 of 40, loss 0.67x the split's
])
def test_an_accuracy_reached_by_flipped_decisions_is_not_a_majority_answer(path):
    assert "majority_share" not in losslens.diagnose(path).cause.numbers


@pytest.mark.parametrize("path", [
    ECO / "keras_focal" / "shuffled.csv",               # shuffled labels: 0.076 -> 0.117 of 10 classes
    ECO / "fresh_kinds" / "cf_shift_e80.json",          # inverted-pixel validation: 0 -> 0.026
])
def test_an_accuracy_climbing_at_chance_gives_nothing_up(path):
    assert not any("accuracy_best_epoch" in c.numbers for c in losslens.diagnose(path).causes)
