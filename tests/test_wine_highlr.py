"""A learning model thrown by its step, read as one that answers the majority class.

A user's Keras 13-64-64-3 MLP on wine (tests/fixtures/ecosystem/keras_wine_highlr: validation 63 examples at
0.33/0.40/0.27) at Adam 0.05: validation accuracy 0.905, 0.9365 at epoch 1, 0.857-0.921 while training's loss blew
up (0.550 -> 0.954), then 0.9365 from epoch 9 to the end, the weights frozen there (training 0.1402 for 35 epochs).
It read ``no_signal`` (58%), with ``--classes 3`` off "answering the majority class (0.9365 of validation's
examples)", where the majority is 0.40. From scratch lr / 10 reaches 0.032-0.042 against its 0.537 (make.out).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.facts.chance import constant_answer

WINE = Path(__file__).parent / "fixtures" / "ecosystem" / "keras_wine_highlr"


def _col(path: Path, key: str) -> np.ndarray:
    with open(path, newline="") as fh:
        return np.array([float(r[key]) for r in csv.DictReader(fh)])


def test_the_premise_a_tenth_of_the_step_learns_far_more_and_the_majority_is_not_0_94():
    from sklearn.datasets import load_wine
    from sklearn.model_selection import train_test_split

    _, y = load_wine(return_X_y=True)
    _, _, _, yva = train_test_split(np.zeros(len(y)), y, test_size=0.35, random_state=1, stratify=y)
    assert np.bincount(yva).max() / len(yva) == pytest.approx(0.397, abs=1e-3)
    best = _col(WINE / "run.csv", "val_loss").min()
    assert best == pytest.approx(0.5372, abs=1e-4)
    for seed in (0, 1):
        assert _col(WINE / f"cf_lr0.005_s{seed}.csv", "val_loss").min() < 0.1 * best
        assert _col(WINE / f"cf_lr0.0005_s{seed}.csv", "val_loss").min() < 0.2 * best
        assert _col(WINE / f"cf_lr0.005_s{seed}.csv", "val_accuracy")[-1] > 0.96
    # Twice the epochs at the same step: no lower (the weights are frozen where the blow-up left them).
    assert _col(WINE / "cf_e80.csv", "val_loss")[-1] >= _col(WINE / "run.csv", "val_loss")[-1]


@pytest.mark.parametrize("classes", [None, 3])
def test_an_accuracy_that_climbed_back_to_its_best_is_no_constant_answer(classes):
    """Was (0.9365, floor, 32 held, False): held at epoch 1, then 9-39, with 0.857-0.921 between."""
    acc, loss = _col(WINE / "run.csv", "val_accuracy"), _col(WINE / "run.csv", "val_loss")
    assert constant_answer(acc, classes, float(_col(WINE / "run.csv", "loss")[0]), loss) is None


def test_constant_answers_held_from_their_first_evaluation_are_still_read():
    acc = np.array([0.086] + [0.914] * 30)
    m = constant_answer(acc, 2, 0.5)
    assert m is not None and m[0] == pytest.approx(0.914) and m[2] == 30


@pytest.mark.parametrize("classes", [None, 3])
def test_the_thrown_run_reads_lr_too_high_not_no_signal(classes):
    """Was no_signal 58% (both), overfitting and lr_too_high listed possible."""
    d = losslens.diagnose(WINE / "run.csv", classes=classes)
    assert d.verdict == "lr_too_high", d
    ids = [c.id for c in d.causes]
    assert "no_signal" not in ids and "majority" not in str(d)
    assert "1/10" in d.cause.actions[0] and "restart from scratch" in d.cause.actions[0]
    assert any("the rise is the blow-up's" in e for e in d.cause.evidence)
    over = next(c for c in d.causes if c.id == "overfitting")
    assert over.status == "possible" and over.confidence <= 0.5
    assert d.to_dict()["causes"][0]["numbers"]["val_fell_after_throw"] == pytest.approx(0.206, abs=0.01)


def test_the_other_seed_at_the_same_step_is_not_read_as_the_majority_either():
    """Seed 1 at 0.05 (validation accuracy 0.968 at 35 of 40 epochs, 0.81-0.94 during its own blow-up) read
    no_signal off "the majority class (0.9683 of validation's examples)"."""
    d = losslens.diagnose(WINE / "cf_seed1.csv")
    assert d.verdict != "no_signal" and "majority" not in str(d), d


@pytest.mark.parametrize("name", ["cf_lr0.005_s0.csv", "cf_lr0.005_s1.csv"])
def test_a_tenth_of_the_step_is_not_read_as_too_high(name):
    d = losslens.diagnose(WINE / name)
    assert d.verdict not in ("lr_too_high", "no_signal"), d


def test_a_spike_validation_came_back_from_keeps_overfitting():
    """A CNN resumed at Adam 1e-3 (training 4e-5, a spike to 0.0028): validation 0.069 -> 0.117 -> 0.0765, 10% above
    its best at the end: no throw the weights never recovered from; its restored best is the best kept."""
    d = losslens.diagnose(WINE.parent / "fresh_kinds2" / "cf_cnn_lr1e-3_from20.csv")
    assert d.verdict == "overfitting", d


@pytest.mark.slow
def test_the_real_run_reads_lr_too_high(tmp_path, one_torch_thread):
    """The run itself, trained here (a few seconds on one thread)."""
    import importlib.util
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")
    spec = importlib.util.spec_from_file_location("wine_make", WINE / "make.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    h = make.train(0.05, str(tmp_path / "run.csv"))
    assert h["val_accuracy"][-1] > 0.9  # the premise: it learned, far above the majority's 0.40
    d = losslens.diagnose(tmp_path / "run.csv", classes=3)
    assert d.verdict == "lr_too_high", d
