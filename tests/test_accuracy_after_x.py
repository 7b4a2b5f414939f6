"""Validation accuracy read beside a loss's converged or overfitting verdict (tests/fixtures/ecosystem/
accuracy_after_x, written by its make.py; make.out holds the truth: each run trained twice the epochs it logs,
with a test set the log never sees).

- ``ls.csv``: digits at label smoothing 0.3, Adam 1e-4. val_loss "a steady fall (t = -13.7)" read "converged:
  stop at epoch 30", the logged val_accuracy never read; it went 0.938 (30) -> 0.962 (59) -> 0.973 (119 trained
  on), test 0.951 -> 0.969 -> 0.976. Now the stop moves to where the accuracy flattened (epoch 45, test 0.964).
- ``noise.csv``: 20% of the training labels redrawn. val_loss "a slight rise ... the best weights are from epoch
  32" while validation accuracy peaked at 0.947 (epoch 17) and fell to 0.889 (test 0.938 at 17, 0.924 at 32,
  0.880 at 59). Now the fall is said and the restore names epoch 17.
- Where accuracy and loss agree (the label_smoothing fixtures at Adam 1e-3) nothing moves.
"""
import csv
from pathlib import Path

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
HERE = ECO / "accuracy_after_x"


def _col(name, col):
    with open(HERE / name, newline="") as fh:
        return [float(r[col]) for r in csv.DictReader(fh)]


def test_the_fixture_is_what_the_docstring_says():
    acc = _col("ls.csv", "val_accuracy")
    assert abs(acc[30] - 0.9376) < 1e-3 and abs(acc[59] - 0.9621) < 1e-3
    acc, loss = _col("noise.csv", "val_accuracy"), _col("noise.csv", "val_loss")
    assert min(range(60), key=loss.__getitem__) == 32
    assert max(acc) - acc[-1] > 0.05  # 5.8 points lost, 26 of 449 examples
    assert "epoch 119: val_loss 1.2623 val_acc 0.9733 test_acc 0.9756" in (HERE / "make.out").read_text()


def test_smoothed_run_does_not_stop_at_x_while_accuracy_climbs():
    d = losslens.diagnose(HERE / "ls.csv")
    c = d.causes[0]
    assert c.id == "converged"
    assert not str(c.actions[0]).startswith("stop at epoch 30")
    assert "at about epoch 45, not at epoch 30" in str(c.actions[0])
    assert "monitor='val_accuracy'" in str(c.actions[0])
    assert any("validation accuracy, also logged, kept rising after it: 0.9376 → 0.9621" in e for e in c.evidence)
    assert c.numbers["logged_metric"] == "val_acc"


def test_smoothed_run_read_on_its_accuracy_moves_the_stop_too():
    d = losslens.diagnose(HERE / "ls.csv", metric="val_accuracy")
    c = d.causes[0]
    assert c.id == "converged"
    assert "not at epoch 28" in str(c.actions[0])
    assert any("but it kept rising after it" in e for e in c.evidence)


def test_noisy_labels_name_the_accuracy_fall_and_its_best_epoch():
    d = losslens.diagnose(HERE / "noise.csv")
    c = d.causes[0]
    assert c.id == "overfitting"
    assert "; a slight rise:" not in c.evidence[0]
    assert any("0.9465 at epoch 17" in e and "0.8886 at the end" in e for e in c.evidence)
    assert "its best weights are from epoch 17" in str(c.actions[0])
    assert c.numbers["val_best_epoch"] == 32 and c.numbers["accuracy_best_epoch"] == 17


def test_agreeing_accuracy_leaves_the_reading():
    # The label-smoothing runs at Adam 1e-3 reach their accuracy with the loss: converged, stop at X, as before.
    for name in ("torch_ls0.4_w64_s0.csv", "keras_ls0.3_w64_s0.csv"):
        c = losslens.diagnose(ECO / "label_smoothing" / name).causes[0]
        assert "logged_metric" not in c.numbers and "accuracy_fall" not in c.numbers
