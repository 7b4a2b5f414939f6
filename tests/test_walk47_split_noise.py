"""Two wrong answers a walker found (walk 47) on digits with a data problem in one split
(tests/fixtures/ecosystem/torch_split_noise, make.py and make.out: a 64-64 MLP, Adam 1e-3, a clean test set held out).

Noisy training labels (30% random): training accuracy held at 0.74 against validation's 0.91, read "underfitting (too
little capacity): a bigger model or better features" with K = 10; 4x the width made the clean test loss worse. Now
training erring 3x as often as validation reads as the training labels, ahead of a bigger model, capacity possible.

Wrong validation labels (30% random) and validation images rolled a pixel: validation loss climbing back several times
its improvement while its accuracy climbed, read "overfitting ... a simpler or smaller model"; 16 units made the
best validation loss worse in both. Now both causes are named together and the smaller model is not advised."""

from __future__ import annotations

from pathlib import Path

import pytest

import losslens

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_split_noise"


def _made() -> dict[str, str]:
    return {line.split()[0]: line for line in (HERE / "make.out").read_text().splitlines() if line.strip()}


def _num(line: str, words: str) -> float:
    return float(line.split(words + " ")[1].split()[0].rstrip(","))


def test_the_premise_a_bigger_model_and_a_smaller_one_made_things_worse():
    made = _made()
    test = {name: _num(line, "clean test loss") for name, line in made.items()}
    # Noisy training labels: 4x the width and twice the epochs both end worse on clean test data, clean labels far
    # better: the level is the labels', not the model's size.
    assert test["trainnoise_w256"] > test["trainnoise"] and test["trainnoise_120"] > test["trainnoise"]
    assert test["clean"] < 0.5 * test["trainnoise"]
    # The model fits its own training data no better than the share of right labels allows.
    assert _num(made["trainnoise"], "last train accuracy") < 0.8
    # Wrong or shifted validation: the smaller model's best validation loss is higher.
    for name in ("valnoise", "covshift"):
        assert _num(made[f"{name}_h16"], "best val_loss") > _num(made[name], "best val_loss")


def _actions(d) -> list[str]:
    return [str(a) for c in d.causes for a in c.actions]


@pytest.mark.parametrize("name", ["trainnoise", "trainnoise_120"])
def test_noisy_training_labels_are_named_ahead_of_a_bigger_model(name):
    d = losslens.diagnose(HERE / f"{name}.csv", classes=10)
    assert d.verdict != "underfitting", d
    assert any("what noisy training labels give" in e for e in d.cause.evidence), d
    acts = _actions(d)
    labels = next(i for i, a in enumerate(acts) if "check the training labels" in a)
    assert all(i > labels for i, a in enumerate(acts) if a.startswith("a bigger model")), d
    assert d.cause.numbers["train_err_share"] > 1.5


def test_capacity_stays_possible_where_the_training_loss_held_high():
    d = losslens.diagnose(HERE / "trainnoise.csv", classes=10)
    under = next(c for c in d.causes if c.id == "underfitting")
    assert under.status == "possible" and under.confidence < d.cause.confidence, d
    assert "a model twice the size tells" in str(under.actions[0]), d


def test_clean_labels_are_not_read_as_noisy():
    d = losslens.diagnose(HERE / "clean.csv", classes=10)
    assert "train_err_share" not in d.cause.numbers
    assert not any("check the training labels" in a for a in _actions(d)), d


@pytest.mark.parametrize("name,classes", [("valnoise", 10), ("valnoise", None), ("covshift", 10),
                                          ("covshift", None)])
def test_a_rise_past_all_it_gained_under_a_climbing_accuracy_names_the_validation_set(name, classes):
    d = losslens.diagnose(HERE / f"{name}.csv", classes=classes)
    assert d.verdict == "overfitting", d
    ev = " ".join(d.cause.evidence)
    assert "Wrong validation labels" in ev and "validation inputs from another distribution" in ev, d
    assert d.cause.numbers["val_rise_past_gain"] >= 1.0
    acts = [str(a) for a in d.cause.actions]
    assert acts[0].startswith("stop on validation accuracy"), d
    assert any(a.startswith("check the validation set") for a in acts), d
    assert not any("simpler or smaller model" in a or a.startswith("regularize") for a in acts), d
