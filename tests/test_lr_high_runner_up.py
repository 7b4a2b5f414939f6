"""lr_too_high read first where its runner-up was true (session 50's walk).

tests/fixtures/ecosystem/keras_steps_per_epoch: a Keras digits MLP at SGD 0.5 whose "epoch" is 4 batches of 32 of a
repeating generator (steps_per_epoch=4): each epoch's training loss averages 128 examples, validation scores 450. Its
training loss jumped 0.25 -> 0.457 -> 0.17 at epoch 22 (seed 0) and scattered "sd 2.4% of its improvement" (seed 1),
read lr_too_high "lower the learning rate 1/10 from the plateau"; lr / 10 from epoch 21 ended higher on both seeds,
80 epochs lower: a few batches' mean scatters with the batches drawn (diagnosis._few_per_epoch).

tests/fixtures/ecosystem/sklearn_sgd_hinge: SGDClassifier(hinge) on standardized breast_cancer at eta0 0.01, its
validation accuracy at its best from the first check: the hinge loss's scatter read "bounces around its floor: sd 2.6%
of its whole improvement" of a tail (0.119 -> 0.088, after an unseen fall from 1.0), lr_too_high; eta0 / 10 from
epoch 22 or the start ended higher on both seeds (facts.learned_first). On raw inputs it blew up from its first check:
standardizing leads, and the climb quotes the logged value, not its median of 3 alone.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import losslens
from losslens import facts

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
STEPS = ECO / "keras_steps_per_epoch"
HINGE = ECO / "sklearn_sgd_hinge"


def _last(path: Path, col: str = "val_loss") -> float:
    with open(path, newline="") as fh:
        return float(list(csv.DictReader(fh))[-1][col])


@pytest.mark.parametrize("seed", [0, 1])
def test_the_premises(seed):
    base = _last(STEPS / f"lr0.5_s{seed}.csv")
    assert _last(STEPS / f"lr0.5_cut21_s{seed}.csv") > 1.2 * base  # lr / 10 from X: worse
    assert _last(STEPS / f"lr0.5_e80_s{seed}.csv") < 0.9 * base  # training on pays
    base = _last(HINGE / f"scaled_s{seed}.csv")
    assert _last(HINGE / f"scaled_cut22_s{seed}.csv") > base
    assert _last(HINGE / f"scaled_eta0.001_s{seed}.csv") > 1.1 * base
    with open(STEPS / f"lr0.5_s{seed}.csv", newline="") as fh:
        accs = [float(r["accuracy"]) for r in csv.DictReader(fh)]
    assert all(abs(a * 128 - round(a * 128)) < 1e-3 for a in accs)  # each epoch counts 128 examples


@pytest.mark.parametrize("name", ["lr0.5_s0", "lr0.5_s1", "lr1.0_s0", "lr1.0_s1"])
def test_few_examples_an_epoch_is_no_step_too_large(name):
    d = losslens.diagnose(STEPS / f"{name}.csv")
    assert d.verdict != "lr_too_high"
    if name == "lr0.5_s0":
        assert d.verdict == "still_improving"


@pytest.mark.parametrize("name", ["scaled_s0", "scaled_s1", "scaled_e80_s0", "scaled_e80_s1"])
def test_learned_before_the_first_check_bounces_against_that_fall(name):
    d = losslens.diagnose(HINGE / f"{name}.csv")
    assert d.verdict == "converged"
    assert facts.learned_first(losslens.read(HINGE / f"{name}.csv")[0])


def test_unscaled_hinge_standardizes_first_and_quotes_the_logged_peak():
    assert not facts.learned_first(losslens.read(HINGE / "raw_s0.csv")[0])
    d = losslens.diagnose(HINGE / "raw_s0.csv")
    assert d.verdict == "lr_too_high"
    text = str(d)
    assert "climbed from 427 to 2480 at epoch 3 (its median of 3 there 1732" in text
    first = text.split("what to do:")[1].splitlines()[1]
    assert "standardize them first" in first
