"""A classifier trained with loss="mse" on one-hot targets (tests/fixtures/ecosystem/mse_onehot: Keras' softmax MLP
on digits; make.py, make.out). At SGD 1.0 its val_loss fell 38% after the X a converged verdict named (epoch 18)
while training's loss still fell: trained on to 80 epochs it ended 21% lower, lr x10 46% lower. A squared error on
class probabilities crawls near its targets; its start, (K - 1) / K^2 beside accuracy at chance, is no
cross-entropy's. Adam 1e-2, flat for real (80 epochs no lower), keeps converged."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import losslens

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "mse_onehot"


def _end(name):
    return float(np.median(np.genfromtxt(HERE / f"{name}.csv", delimiter=",", names=True)["val_loss"][-3:]))


def test_the_premise_more_epochs_and_a_larger_step_lower_the_sgd_run_not_the_adam_run():
    assert _end("sgd1_e80") < 0.85 * _end("sgd1")
    assert _end("sgd10") < 0.6 * _end("sgd1") and _end("sgd3") < 0.8 * _end("sgd1")
    assert _end("adam_e80") > 0.97 * _end("adam")


def test_a_squared_error_still_falling_after_x_is_not_converged():
    d = losslens.diagnose(HERE / "sgd1.csv")
    assert d.verdict == "still_improving"
    lead = d.causes[0]
    assert any("squared error on the class probabilities" in e and "K = 10" in e for e in lead.evidence)
    assert any("38% of its level after epoch 18" in e for e in lead.evidence)
    assert any("cross-entropy" in str(a) for a in lead.actions)
    assert not any(c.id == "converged" and c.status == "likely" for c in d.causes)


def test_a_squared_error_flat_for_real_stays_converged():
    d = losslens.diagnose(HERE / "adam.csv")
    assert d.verdict == "converged"
    assert not any("squared error" in e for c in d.causes for e in c.evidence)
