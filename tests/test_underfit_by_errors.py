"""Underfitting read off the error rates where the loss gap is validation's confident mistakes.

A new user's Keras MLP on digits with a 1-unit ReLU bottleneck (tests/fixtures/ecosystem/keras_bottleneck:
Adam 3e-3, ``validation_split=0.2``) levels at a training loss of 1.29 (59% of ln K) with 61% of its own
training examples wrong, and read ``converged``: validation's loss ended 0.33 above training's (25% of the
level, where the loss-gap test allows 10%), while its error rate (0.66) is barely above training's (0.61).
The same network with a 64-unit bottleneck reaches a training loss of 0.0004: underfitting's own check (a
bigger model lowers the training loss >= 30%).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import losslens

BN = Path(__file__).parent / "fixtures" / "ecosystem" / "keras_bottleneck"


def _last(path: Path, key: str) -> float:
    with open(path, newline="") as fh:
        return float(list(csv.DictReader(fh))[-1][key])


def test_the_premise_a_bigger_bottleneck_lowers_the_training_loss_far_more_than_30_percent():
    run, big = _last(BN / "run.csv", "loss"), _last(BN / "cf_w64.csv", "loss")
    assert run == pytest.approx(1.2898, abs=1e-3) and big < 0.01 < 0.7 * run
    assert _last(BN / "run.csv", "accuracy") < 0.4 and _last(BN / "cf_w64.csv", "accuracy") == 1.0


def test_a_bottleneck_whose_error_rates_match_reads_underfitting_not_converged():
    """Was converged (0.80), underfitting not listed: the loss gap, 0.33, was over 10% of the level."""
    d = losslens.diagnose(BN / "run.csv")
    assert d.verdict == "underfitting", d
    text = str(d)
    assert "of its own training examples wrong" in text and "the error rates nearly match" in text
    assert "a bigger model" in d.cause.actions[0]


def test_the_bigger_model_is_not_read_as_underfitting():
    d = losslens.diagnose(BN / "cf_w64.csv")
    assert "underfitting" not in [c.id for c in d.causes], d


@pytest.mark.slow
def test_the_real_bottleneck_run_reads_underfitting(tmp_path, one_torch_thread):
    """The run itself, trained here (about 15 s on one thread)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bottleneck_make", BN / "make.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    h = make.train(1, str(tmp_path / "run.csv"))
    assert h["accuracy"][-1] < 0.5 and h["loss"][-1] > 1.0  # the premise: far from fitting its training data
    d = losslens.diagnose(tmp_path / "run.csv")
    assert d.verdict == "underfitting", d


RL = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_rlrop_high_lr"


def test_the_premise_a_tenth_of_the_step_reaches_a_sixth_of_the_frozen_loss():
    run, small, adam = (_last(RL / name, "val_loss") for name in ("run.csv", "cf_sgd0.05.csv", "cf_adam.csv"))
    assert run == pytest.approx(0.694, abs=1e-3) and small < 0.2 * run and adam < 0.2 * run
    assert _last(RL / "run.csv", "lr") < 1e-8  # ReduceLROnPlateau cut it to nothing


def test_error_rates_alike_under_an_lr_cut_to_nothing_are_not_read_as_too_small_a_model():
    """SGD 0.5 under ReduceLROnPlateau: the peak step threw the weights about (training accuracy 0.83 -> 0.67)
    and the cuts froze them there, at error rates 0.28 / 0.31 and a loss gap of 18% of the level. The level is
    where the step ran out, not the model's capacity: 64 hidden units reach 0.11 at lr 0.05."""
    d = losslens.diagnose(RL / "run.csv")
    assert "underfitting" not in [c.id for c in d.causes], d
    assert "no longer move the weights" in str(d)


def test_an_inferred_class_count_is_said_to_be_inferred():
    # The log has no class count: K comes from the first loss (2.2 ≈ ln 9, for digits' 10 classes), and the
    # report says so and how to give it, as the other chance-level evidence does.
    d = losslens.diagnose(BN / "run.csv")
    assert d.verdict == "underfitting"
    # A guess, said as one: which loss it came from and what moves it.
    assert "(K = 9 guessed from the first loss 2.2" in d.cause.evidence[0]
    assert "a thrown first step raises" in d.cause.evidence[0]
    # And its doubt: the true 10 (and 8) pass the same bar as the 9 guessed.
    assert "so K = 8 or 10 fits as well; pass classes= to be exact)" in d.cause.evidence[0]
    given = losslens.diagnose(BN / "run.csv", classes=10)
    assert "ln 10 = 2.303" in given.cause.evidence[0] and "inferred" not in given.cause.evidence[0]
