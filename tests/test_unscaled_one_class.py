"""Unscaled inputs read as "learning rate too high, lower it 1/10".

scikit-learn's MLPClassifier(64,) with early_stopping=True on breast_cancer's raw features (values up to ~4000;
tests/fixtures/ecosystem/sklearn_unscaled_one_class, make.py): its loss started at 22.65, certain of one class, and
its validation accuracy took 0.375 and 0.625, the two classes' shares, at 15 of 20 evaluations: one class answered
for every input, then the other. losslens read "learning rate too high ... lower the learning rate (try 1/10)" first
(79% from the CSV, 62% from the model), overfitting listed off the best 0.625 (all benign), and quoted chance as "1/2 = 0.500" where answering all benign scores 0.625.
Measured (make.out, seeds 0-3): lr / 10 took test accuracy 0.61 / 0.63 / 0.90 / 0.88 to 0.37 / 0.63 / 0.37 / 0.83
(stuck on one class), lr x 10 to 0.90 / 0.90 / 0.83 / 0.91, standardized 0.93 / 0.92 / 0.92 / 0.84.

Keras' sigmoid MLP on the same split (keras/): both losses frozen from the first epoch at Adam 1e-4, 1e-3 and 1e-2,
test accuracy 0.626 each, standardized 0.959; read "the weights were never updated: check the optimizer".
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np

import losslens

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "sklearn_unscaled_one_class"


def one_class_shares(acc):
    from losslens.facts.chance import one_class_shares as shares  # (here: the behaviour tests run on older code)
    return shares(acc)


def _col(path: Path, key: str) -> np.ndarray:
    with open(path, newline="") as fh:
        return np.array([float(r[key]) for r in csv.DictReader(fh) if r.get(key)])


def _test_accuracies(name: str) -> list[float]:
    line = next(ln for ln in (HERE / "make.out").read_text().splitlines() if ln.startswith(f"{name}: test accuracy"))
    return [float(v) for v in line.split(":")[-1].split()]


def test_the_premises_scaling_helps_and_a_lower_rate_does_not():
    raw, div10, x10, scaled = (_test_accuracies(n) for n in ("raw", "raw_lr_div10", "raw_lr_x10", "scaled"))
    assert np.mean(div10) < np.mean(raw) < np.mean(x10) < np.mean(scaled)
    assert one_class_shares(_col(HERE / "raw.csv", "val_acc")) == (0.625, 15, 20)
    assert _col(HERE / "raw.csv", "loss")[0] > 20  # (certain of one class: 0.63 x -ln(2.2e-16))


def test_one_class_at_a_time_reads_standardize_first_not_lower_the_rate():
    """Was "lower the learning rate (try 1/10 from the plateau)" first, nothing of the inputs."""
    d = losslens.diagnose(HERE / "raw.csv")
    assert d.verdict == "lr_too_high"
    assert d.cause.actions[0].startswith("inputs unscaled? standardize them first")
    assert not any("lower the learning rate" in a for a in d.cause.actions), d.cause.actions
    line = next(e for e in d.cause.evidence if "answering one class" in e)
    assert "0.375 or 0.625 at 15 of 20 evaluations" in line and "scores 0.625" in line
    # (Was "also likely: overfitting (64%) ... the best weights are from epoch 8": its best 0.625 is all benign, a
    # constant answer, and "stop at epoch 8" would keep it.)
    assert not {c.id for c in d.causes} & {"overfitting", "converged"}, d


def test_the_fitted_model_quotes_the_majority_share_beside_one_half():
    """Was "at or below chance 1/2 = 0.500" alone, where answering all benign scores 0.625."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    X, y = load_breast_cancer(return_X_y=True)
    Xtr, _, ytr, _ = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = MLPClassifier((64,), learning_rate_init=1e-3, max_iter=200, early_stopping=True, n_iter_no_change=10,
                            random_state=0).fit(Xtr, ytr)
    d = losslens.diagnose(clf)
    assert d.verdict == "lr_too_high" and d.cause.actions[0].startswith("inputs unscaled? standardize")
    assert "ln 2 = 0.6931 (a uniform guess's loss" in next(e for e in d.cause.evidence if "answering one" in e)
    under = next(c for c in d.causes if c.id == "underfitting")
    assert "chance 1/2 = 0.500, and 0.625 for answering the majority class alone" in under.evidence[0]


def test_runs_that_decide_by_their_inputs_are_not_read_so():
    for name in ("raw_lr_x10", "scaled"):
        assert one_class_shares(_col(HERE / f"{name}.csv", "val_acc")) is None
        assert "answering one class" not in str(losslens.diagnose(HERE / f"{name}.csv"))
    # (stuck on one class, never flipping: no two shares to read)
    assert one_class_shares(_col(HERE / "raw_lr_div10.csv", "val_acc")) is None


def test_keras_frozen_from_a_saturated_start_reads_standardize_not_the_optimizer():
    """Was "the weights were never updated", first action "check that the optimizer updates the model's weights"."""
    for name in ("raw", "raw_lr_div10", "raw_lr_x10"):
        d = losslens.diagnose(HERE / "keras" / f"{name}.csv")
        assert d.verdict == "stuck_at_init", (name, d)
        assert d.cause.actions[0].startswith("standardize the inputs"), (name, d.cause.actions)
        assert not any("optimizer updates" in a for a in d.cause.actions)
        assert "never updated" not in str(d) and "per wrong answer" in d.cause.evidence[1]
    assert losslens.diagnose(HERE / "keras" / "scaled.csv").verdict != "stuck_at_init"


def test_the_committed_keras_unscaled_run_frozen_from_its_first_epoch_reads_standardize_too():
    """keras_unscaled_inputs' 256-wide run (unscaled breast_cancer, Adam 0.1: both losses frozen from epoch 0, the
    standardized run reaches 0.028) read "the weights were never updated: check the optimizer" first."""
    d = losslens.diagnose(HERE.parent / "keras_unscaled_inputs" / "cf_adam_lr0.1_width256.csv")
    assert d.verdict == "stuck_at_init" and d.cause.actions[0].startswith("standardize the inputs"), d
