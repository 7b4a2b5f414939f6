"""Kinds of run nobody had fed losslens before, each trained for real with the intervention that tells its
truth (tests/fixtures/ecosystem/fresh_kinds/make.py: plain PyTorch loops saved by
``losslens.integrations.torch.Monitor``, Keras 3 ``CSVLogger``; figures in its make.out)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.readers import read

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "fresh_kinds"


def _best(name, key="val_loss"):
    [run] = read(HERE / name)
    return float(np.nanmin(run.series[key])) if key.endswith("loss") else float(np.nanmax(run.series[key]))


@pytest.mark.parametrize("name, verdict", [
    ("deep_sigmoid.json", "stuck_at_init"),      # lr x100, ReLU, 2x epochs all stay at ln 10
    ("full_batch.json", "lr_too_low"),           # lr x10: val 1.466 -> 0.116
    ("shift.json", "no_signal"),                 # validation from training's distribution: 0.97 accuracy
    ("long_warmup.json", "lr_too_low"),          # a 3-epoch warm-up: val 0.477 -> 0.095
    ("mixup.json", "still_improving"),           # 2x epochs: val 0.185 -> 0.143
    ("dropout0.8.csv", "still_improving"),       # 2x epochs: val 0.154 -> 0.097
    ("smooth0.2.csv", "converged"),              # 2x epochs: val 0.961 -> 0.938 (-2.4%) at 98-99% accuracy
    ("unscaled_target.csv", "lr_too_low"),       # lr x10: val 15904 -> 3275
    ("hf_warmup10000/trainer_state.json", "still_improving"),  # printed "solved": 100% accuracy from step 650
])
def test_new_kinds_read_as_their_intervention_says(name, verdict):
    assert losslens.diagnose(HERE / name).verdict == verdict


def test_a_warm_up_still_rising_at_the_end_is_the_step_held_back():
    """SGD momentum 0.9 warming up linearly over 1000 epochs to 0.1, stopped at 30 (the lr at 0.003): val 0.477
    and still falling read still_improving, 'keep training' with a forecast of 0.44 at epoch 58. The run never
    trained at its rate: a 3-epoch warm-up to the same target reaches 0.095, and even training on to 60 (the lr
    growing on) 0.162, far below the forecast, which assumes today's rate."""
    assert _best("cf_long_warmup_w3.json") < 0.25 * _best("long_warmup.json")
    assert _best("cf_long_warmup_e60.json") < 0.5 * _best("long_warmup.json")
    d = losslens.diagnose(HERE / "long_warmup.json")
    assert d.verdict == "lr_too_low"
    assert d.cause.evidence[0].startswith("the learning rate was still rising when the run ended: ")
    assert d.cause.actions[0].startswith("a shorter warm-up")


def test_a_constant_or_annealed_lr_is_not_a_warm_up():
    for name in ("full_batch.json", "mixup.json"):
        d = losslens.diagnose(HERE / name)
        assert not any("learning rate was still rising" in e for c in d.causes for e in c.evidence)


def test_validation_far_below_chance_names_a_shift_not_missing_signal():
    """Validation from another distribution (held-out digits with their pixels inverted): accuracy 0.002, under
    chance by 8 binomial sds. It read 'at chance', as labels that carry nothing would; a model with no signal
    scores chance, so one far below it answers validation systematically wrong. Scored on the digits as
    trained, the same model reaches 0.97."""
    assert _best("cf_shift_none.json", "val_acc") > 0.95 and _best("shift.json", "val_acc") < 0.05
    d = losslens.diagnose(HERE / "shift.json")
    assert d.verdict == "no_signal"
    assert "is far below chance" in d.cause.evidence[0] and "binomial standard errors under it" in d.cause.evidence[0]
    assert d.cause.actions[0].startswith("compare validation with training")


def test_label_smoothing_floor_is_not_underfitting():
    """Label smoothing 0.2 over 10 classes puts the loss's floor near 0.87 by design; at 98% validation accuracy
    its level of 0.96 is not a model that cannot fit."""
    d = losslens.diagnose(HERE / "smooth0.2.csv")
    assert d.verdict == "converged"
    assert not any(c.id in ("underfitting", "stuck_at_init") and c.status == "likely" for c in d.causes)


def test_a_trainer_warm_up_longer_than_the_run_solved_anyway_stays_solved():
    """A Transformers Trainer with warmup_steps=10000 over 1000 steps (make_hf.py): the lr ends at a tenth of its
    target, yet the tiny BERT reaches 100% validation accuracy at step 650. Solved is the verdict; the unfinished
    warm-up is listed as a possibility, its larger step only a faster way to more confident right answers: with
    a 50-step warm-up the same run is solved from step 100."""
    d = losslens.diagnose(HERE / "hf_warmup10000" / "trainer_state.json")
    assert d.verdict == "still_improving" and d.cause.actions[0].startswith("stop here: the task is solved")
    assert d.cause.numbers["solved_since"] == 650
    assert losslens.diagnose(HERE / "hf_warmup50" / "trainer_state.json").cause.numbers["solved_since"] == 100
    low = next(c for c in d.causes if c.id == "lr_too_low")
    assert low.status == "possible"
    assert low.evidence[0].startswith("the learning rate was still rising when the run ended: ")
