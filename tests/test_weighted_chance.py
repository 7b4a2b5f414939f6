"""Class weights on imbalanced classes with labels drawn at random (tests/fixtures/ecosystem/weighted_chance:
make.py, make.out). A model that ignores its inputs scores anything up to the largest class's share, so validation
accuracy above 1/K is no signal; its validation loss never gets clearly under a uniform guess's ln K (torch's
CrossEntropyLoss(weight=) divides by the weights' sum; Keras scores validation unweighted). Both 3-class runs read
"overfitting: regularize"; their twins whose labels carry signal reach far under ln 3 and keep overfitting."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import losslens

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "weighted_chance"


def test_the_premise_random_labels_sit_at_ln_k_and_above_one_kth_accuracy():
    # make.out's truth: balanced validation accuracy at chance for the random runs, far above it with signal.
    out = (HERE / "make.out").read_text()
    for name in ("keras_3c_random", "torch_3c_random"):
        line = next(x for x in out.splitlines() if x.startswith(name + ":"))
        assert float(line.split("balanced acc ")[1].split(";")[0]) < 0.36
        a = np.genfromtxt(HERE / f"{name}.csv", delimiter=",", names=True)
        acc = a["val_accuracy"] if "val_accuracy" in a.dtype.names else a["val_acc"]
        assert acc[-10:].mean() > 0.45 and a["val_loss"].min() > 0.95 * math.log(3)
    for name in ("keras_3c_signal", "torch_3c_signal"):
        line = next(x for x in out.splitlines() if x.startswith(name + ":"))
        assert float(line.split("balanced acc ")[1].split(";")[0]) > 0.8


@pytest.mark.parametrize("name", ["keras_3c_random", "torch_3c_random"])
@pytest.mark.parametrize("classes", [None, 3])
def test_random_labels_under_class_weights_read_no_signal(name, classes):
    d = losslens.diagnose(HERE / f"{name}.csv", classes=classes)
    assert d.verdict == "no_signal"
    lead = d.causes[0]
    assert any("above chance 1/3" in e and "unequal classes" in e for e in lead.evidence)
    assert any("never got clearly under a uniform guess's ln 3" in e for e in lead.evidence)
    assert any("balanced" in a for a in lead.actions)
    assert "overfitting" in [c.id for c in d.causes[1:]]


@pytest.mark.parametrize("name", ["keras_3c_signal", "torch_3c_signal", "keras_bin_signal"])
@pytest.mark.parametrize("classes", [None, 3])
def test_the_weighted_runs_that_learn_keep_overfitting(name, classes):
    d = losslens.diagnose(HERE / f"{name}.csv", classes=classes if "3c" in name else 2)
    assert d.verdict == "overfitting"
    assert "no_signal" not in [c.id for c in d.causes]


def test_two_classes_a_little_learned_then_memorised_keeps_overfitting():
    # The tiny BERT on 160 examples with 20% of labels flipped: 0.625 on 200 (above 1/2 by 3.6 binomial sds), its
    # best loss 0.682 at its first check, under a noise sd from ln 2. Signal, weakly learned: not "no signal".
    d = losslens.diagnose(HERE.parent / "hf_evaluate" / "trainer_state.json")
    assert d.verdict == "overfitting"
