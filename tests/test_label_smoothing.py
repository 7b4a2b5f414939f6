"""Label smoothing read as a model too small (tests/fixtures/ecosystem/label_smoothing, written by its make.py).

- The case: digits MLPs trained with label smoothing 0.3-0.4 (a torch loop logging validation accuracy only, and
  Keras' CSVLogger with training accuracy) read "underfitting (too little capacity) ... the model cannot fit the
  training data either → a bigger model or better features", the 4x wider model too.
- The truth: the lowest loss smoothing ε allows is the smoothed target's entropy, 1.4444 at ε = 0.4 and 1.1765 at
  0.3; training sits at 1.455 / 1.192, validation accuracy at 0.98-0.99 and Keras' training accuracy at 1.000; 4x
  the width moved training 1.455 -> 1.446 (torch) and 1.192 -> 1.179 (Keras). The log cannot say "label
  smoothing", but its accuracy says the model fits: the run reads converged, saying the floor is the loss's.
- Runs whose accuracy is low keep their underfitting (the bottleneck and weight-decay fixtures below).
"""
import csv
import math
from pathlib import Path

import pytest

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
HERE = ECO / "label_smoothing"
SMOOTHED = ["torch_ls0.4_w64_s0.csv", "torch_ls0.4_w64_s1.csv", "torch_ls0.4_w256_s0.csv", "keras_ls0.3_w64_s0.csv",
            "keras_ls0.3_w256_s0.csv"]
FLOOR = "the loss's floor is above 0 — label smoothing, a penalty inside the loss, or noisy labels — not a lack of capacity"


def _col(name, col):
    with open(HERE / name, newline="") as fh:
        return [float(r[col]) for r in csv.DictReader(fh)]


def _smoothing_floor(eps, k=10):
    on, off = 1 - eps + eps / k, eps / k
    return -(on * math.log(on) + (k - 1) * off * math.log(off))


def test_the_fixture_is_what_the_docstring_says():
    for name, eps in (("torch_ls0.4_w64_s0.csv", 0.4), ("keras_ls0.3_w64_s0.csv", 0.3)):
        floor, loss = _smoothing_floor(eps), _col(name, "loss")[-1]
        assert floor < loss < floor + 0.02  # training sits just above the least smoothing allows
    assert abs(_smoothing_floor(0.4) - 1.4444) < 1e-4 and abs(_smoothing_floor(0.3) - 1.1765) < 1e-4
    assert min(_col("torch_ls0.4_w64_s0.csv", "val_acc")[-15:]) > 0.97
    assert min(_col("keras_ls0.3_w64_s0.csv", "accuracy")[-15:]) == 1.0
    # 4x the width lowers the loss by about 1%: no capacity was missing
    assert _col("torch_ls0.4_w256_s0.csv", "loss")[-1] > 0.99 * _col("torch_ls0.4_w64_s0.csv", "loss")[-1]
    assert _col("keras_ls0.3_w256_s0.csv", "loss")[-1] > 0.98 * _col("keras_ls0.3_w64_s0.csv", "loss")[-1]


@pytest.mark.parametrize("name", SMOOTHED)
def test_a_model_that_fits_at_a_high_loss_reads_converged_not_a_bigger_model(name):
    d = losslens.diagnose(HERE / name)
    assert d.verdict == "converged", d
    assert "underfitting" not in [c.id for c in d.causes], d
    text = str(d)
    assert "a bigger model or better features" not in text and "cannot fit the training data" not in text
    assert FLOOR in text
    assert "a bigger model will not lower this floor" in text


def test_the_reason_quotes_the_accuracy_that_says_it():
    torch_run = str(losslens.diagnose(HERE / "torch_ls0.4_w64_s0.csv"))
    assert "its validation accuracy is 98.8% over the last quarter" in torch_run  # no training accuracy logged
    keras_run = str(losslens.diagnose(HERE / "keras_ls0.3_w64_s0.csv"))
    assert "its training accuracy is 100% over the last quarter (validation 97.9%)" in keras_run


def test_a_smaller_smoothing_reads_converged_as_before():
    d = losslens.diagnose(HERE / "torch_ls0.2_w64_s0.csv")
    assert d.verdict == "converged" and FLOOR not in str(d)  # (its level is under underfitting's bar: nothing to undo)


@pytest.mark.parametrize("path", ["keras_bottleneck/run.csv", "lightning_weight_decay/wd_0.05/metrics.csv",
                                  "torch_label_noise/bc_flip30_lr1e-4.csv", "fresh_kinds2/l2_0.1.csv"])
def test_underfitting_at_a_low_accuracy_stays(path):
    d = losslens.diagnose(ECO / path)
    assert d.verdict == "underfitting", d
    assert FLOOR not in str(d)


@pytest.mark.parametrize("acc,loss", [(0.98, 0.098), (0.99, 0.056)])
def test_a_majority_answer_near_1_is_no_fit(acc, loss):
    """A model answering the majority class of a 98/2 split (or a multi-label binary accuracy of mostly-0 labels)
    is right that often at the split's entropy: no floor above what its accuracy explains."""
    from losslens.diagnosis import FITTED_LOSS_FACTOR, _calibrated_loss_bound

    assert loss < FITTED_LOSS_FACTOR * _calibrated_loss_bound(acc, None)
    assert _calibrated_loss_bound(1.0, 10) == 0.0
    # Fano's bound at K = 10: H(0.9) + 0.1 ln 9
    assert abs(_calibrated_loss_bound(0.9, 10) - (0.3251 + 0.1 * math.log(9))) < 1e-3


@pytest.mark.parametrize("name", ["keras_ls0.3_w64_s0.csv", "torch_ls0.4_w64_s0.csv"])
def test_a_logged_weight_decay_does_not_bring_underfitting_back(name):
    """The same runs with a weight decay of 1e-4 in their settings read "underfitting: lower the weight decay"
    (_penalty_floor, 0.6) over converged, at training accuracy 1.000 / validation 0.985: _fitted_anyway kept
    underfitting's level reading away, not the penalty's reading of the same level."""
    import dataclasses

    run = losslens.read(str(HERE / name))
    run = run[0] if isinstance(run, list) else run
    run = dataclasses.replace(run, meta={**run.meta, "weight_decay": {"value": 1e-4, "name": "weight_decay",
                                                                     "where": "optimizer"}})
    d = losslens.diagnose(run, classes=10)
    assert d.verdict == "converged" and "underfitting" not in [c.id for c in d.causes], d
    assert FLOOR in str(d)
