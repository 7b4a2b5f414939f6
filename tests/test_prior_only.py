"""A classifier that learned only the class frequencies, read as overfitting (tests/fixtures/ecosystem/torch_prior_only:
a plain PyTorch loop on 95/5 classes, its make.py and make.out). With the labels independent of the 20 features,
validation accuracy sat at the majority's 0.948 for all 40 epochs and val_loss at best 0.2088, against 0.2044 for
predicting the class frequencies: "overfitting: regularize, a simpler model, more data", none of which finds signal
the labels do not carry. The same loop with the minority's mean shifted by 1 reads converged, as before."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

import losslens

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_prior_only"


def _made() -> dict[str, str]:
    return {line.split(":")[0]: line for line in (HERE / "make.out").read_text().splitlines()}


def test_the_premise_no_signal_without_the_shift_and_class_weights_create_none():
    made = _made()
    auc = lambda name: float(made[name].split("val ROC AUC ")[1].split(",")[0])  # noqa: E731
    balanced = lambda name: float(made[name].split("balanced accuracy ")[1].split(";")[0])  # noqa: E731
    assert auc("shift0") < 0.6 and balanced("shift0") == 0.5
    # Weighted 1 : 19, the usual remedy: decisions move, the ranking stays near a coin's (52 positives).
    assert auc("cf_shift0_weighted") < 0.6 and balanced("cf_shift0_weighted") < 0.6
    assert auc("shift1") > 0.9
    assert "entropy 0.2044" in made["shift0"]


@pytest.mark.parametrize("kwargs", [{"classes": 2}, {}, {"metric": "val_accuracy", "classes": 2},
                                    {"metric": "val_accuracy"}])
def test_accuracy_at_the_majority_and_a_loss_no_better_than_the_prior_is_no_signal(kwargs):
    d = losslens.diagnose(HERE / "shift0.csv", **kwargs)
    assert d.verdict == "no_signal", d
    ev = " ".join(d.cause.evidence)
    assert "validation accuracy is 0.948 at every one of its 40 epochs: always the majority class" in ev
    assert "val_loss 0.2088 at its best" in ev and "against 0.2044 for predicting the class frequencies" in ev
    assert d.cause.numbers["prior_entropy"] == pytest.approx(0.2044, abs=1e-4)
    assert d.cause.actions[0].startswith("check that the inputs carry signal about the labels")
    assert "will not create signal" in d.cause.actions[1]
    assert not any(a.startswith("regularize") for a in d.cause.actions)
    # Validation did rise after its best: overfitting stays listed, underfitting's "a bigger model" does not.
    assert "overfitting" in d.cause_ids() and "underfitting" not in d.cause_ids()


def test_k_unknown_says_two_classes_were_assumed():
    d = losslens.diagnose(HERE / "shift0.csv")
    assert any(e.startswith("two classes assumed") for e in d.cause.evidence)
    assert not any(e.startswith("two classes assumed") for e in losslens.diagnose(HERE / "shift0.csv",
                                                                                   classes=2).cause.evidence)


def test_k_unknown_without_training_accuracy_names_the_option_that_tests_it(tmp_path):
    """The same log without its training accuracy: nothing says two classes, so overfitting stays the verdict, with
    the prior's reading beside it and --classes first; read on a score that never moved, its stop is val_loss's."""
    rows = list(csv.DictReader((HERE / "shift0.csv").open()))
    path = tmp_path / "no_train_acc.csv"
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=[k for k in rows[0] if k != "accuracy"])
        w.writeheader()
        w.writerows({k: v for k, v in r.items() if k != "accuracy"} for r in rows)
    d = losslens.diagnose(path)
    assert d.verdict == "overfitting"
    assert d.cause.actions[0].startswith("pass the number of classes (--classes K")
    assert any("never got below 0.2044" in e and "(no_signal, not overfitting)" in e for e in d.cause.evidence)
    assert losslens.diagnose(path, classes=2).verdict == "no_signal"
    d = losslens.diagnose(path, metric="val_accuracy")
    assert d.verdict == "overfitting"
    assert not any("best weights are from epoch 0" in a for a in d.cause.actions)
    assert any(a.startswith("early stopping with restore_best_weights: the best weights are from epoch 10")
               for a in d.cause.actions)
    assert any(e.startswith("val_acc is 0.948 at every one of its 40 epochs: it never moved") for e in d.cause.evidence)


@pytest.mark.parametrize("kwargs", [{"classes": 2}, {}, {"metric": "val_accuracy"}])
def test_an_imbalanced_run_with_signal_is_not_touched(kwargs):
    """shift1: val_loss 0.118 at best, well under the split's 0.2044; validation accuracy moved (0.959 at the end)."""
    d = losslens.diagnose(HERE / "shift1.csv", **kwargs)
    assert "no_signal" not in d.cause_ids()
    assert not any("class frequencies" in e for c in d.causes for e in c.evidence)
    if "metric" not in kwargs:
        assert d.verdict == "converged"


def test_class_weights_that_moved_the_decisions_are_not_read_as_the_prior():
    d = losslens.diagnose(HERE / "cf_shift0_weighted.csv", classes=2)
    assert "no_signal" not in d.cause_ids()


def test_the_prior_entropy_bound():
    from losslens.diagnosis import _prior_entropy

    m = 0.948
    h = -(m * math.log(m) + (1 - m) * math.log(1 - m))
    assert _prior_entropy(m, 2) == pytest.approx(h) == pytest.approx(_prior_entropy(m, None))
    # K classes: the rest spread evenly is their largest entropy, ln K at m = 1/K.
    assert _prior_entropy(m, 3) == pytest.approx(h + (1 - m) * math.log(2))
    assert _prior_entropy(0.1, 10) == pytest.approx(math.log(10))


def _three_way_prior_only() -> dict[str, list[float]]:
    """The fixture's loop on three classes at 90/5/5, the labels independent of the 20 features (numpy seed 0: the
    validation split comes out 0.917 / 0.030 / 0.053), a 20-32-3 MLP at SGD 0.05, 40 epochs, trained here."""
    import numpy as np
    import torch
    import torch.nn as nn

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    y = rng.choice(3, size=4000, p=[0.9, 0.05, 0.05]).astype(np.int64)
    X = torch.tensor(rng.standard_normal((4000, 20)), dtype=torch.float32)
    Xtr, Xva, ytr, yva = X[:3000], X[3000:], torch.tensor(y[:3000]), torch.tensor(y[3000:])
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    lossf, g = nn.CrossEntropyLoss(), torch.Generator().manual_seed(0)
    rows: dict[str, list[float]] = {"loss": [], "val_loss": [], "accuracy": [], "val_accuracy": []}
    for _ in range(40):
        perm, total, right = torch.randperm(3000, generator=g), 0.0, 0
        for i in range(0, 3000, 64):
            idx = perm[i:i + 64]
            out = model(Xtr[idx])
            loss = lossf(out, ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            right += (out.argmax(1) == ytr[idx]).sum().item()
        with torch.no_grad():
            out = model(Xva)
        rows["loss"].append(total / 3000)
        rows["val_loss"].append(lossf(out, yva).item())
        rows["accuracy"].append(right / 3000)
        rows["val_accuracy"].append((out.argmax(1) == yva).float().mean().item())
    return rows


def test_three_classes_are_read_against_the_k_way_prior():
    # K = 3 at 90/5/5 without signal: validation accuracy 0.917 throughout and val_loss at best 0.351, above the
    # two-class H(0.917) = 0.287 by 22% (no reading there) but 2% over H(m) + (1 - m) ln 2 = 0.344, what predicting
    # the three frequencies scores at most: the (1 - m) ln (K - 1) term is what reads it.
    rows = _three_way_prior_only()
    m = rows["val_accuracy"][0]
    assert len(set(rows["val_accuracy"])) == 1 and m > 0.9  # the premise: always the majority
    two = -(m * math.log(m) + (1 - m) * math.log(1 - m))
    three = two + (1 - m) * math.log(2)
    assert 1.1 * two < min(rows["val_loss"]) <= 1.1 * three
    d = losslens.diagnose(rows, classes=3)
    assert d.verdict == "no_signal" and "overfitting" in d.cause_ids()
    assert d.causes[0].numbers["prior_entropy"] == pytest.approx(three)
    assert f"largest class at {m:.1%} of 3" in d.causes[0].evidence[1]
    assert losslens.diagnose(rows, classes=2).verdict == "overfitting"
