"""Training and validation swapped, and validation rows leaked into training (session 49).

tests/fixtures/ecosystem/swapped_splits (make.py): a 64-512-512-10 MLP on 300 digits, Adam 1e-3, 80 epochs, which
overfits. Lightning's names copy-pasted the wrong way round (training_step logs val_loss, validation_step train_loss)
read "solved ... stop here: the task is solved on this validation set" on validation accuracy 1.000, where the true
validation accuracy was 0.955 and the true validation loss rose from epoch 18 on (the honest log of the same seeded
fit reads overfitting). Now the first line says the columns look swapped and what the run reads the other way round,
and the first action is to check the plumbing. A loader swap (fit on the 100-row split, validated on the 500-row one)
and validation rows leaked into training (50%, 100%) log curves that honest runs give too: not read, and documented
as such (docs/reading.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
HERE = ECO / "swapped_splits"
SWAPPED = "training and validation columns look swapped"


def _made() -> dict[str, str]:
    return {line.split(":")[0]: line for line in (HERE / "make.out").read_text().splitlines() if line.strip()}


def _test_loss(name: str) -> float:
    return float(_made()[name].split("clean test loss ")[1].split()[0])


def test_names_swapped_is_said_first_with_the_other_reading():
    d = losslens.diagnose(HERE / "lightning_names_swapped", classes=10)
    first = d.causes[0]
    assert SWAPPED in first.evidence[0]
    assert "train_loss rose" in first.evidence[0] and "val_loss fell" in first.evidence[0]
    assert "check the plumbing" in str(first.actions[0])
    # Read the other way round, it is what the honest log of the same seeded fit reads.
    honest = losslens.diagnose(HERE / "lightning_honest", classes=10)
    assert honest.verdict == "overfitting"
    assert f"read the other way round this run is {honest.verdict}" in first.evidence[0]
    # (The same weights: the two logs are one fit, its clean test loss the same.)
    assert _test_loss("lightning_names_swapped") == _test_loss("lightning_honest")
    # The swap explains validation below training: the overlap/dropout check is not said beside it.
    assert not any("sat below train_loss" in e for e in first.evidence)


def test_names_swapped_in_the_json():
    d = losslens.diagnose(HERE / "lightning_names_swapped", classes=10)
    assert d.causes[0].numbers["columns_swapped_from"] == 14


def test_keras_log_with_its_names_exchanged(tmp_path):
    """Keras' honest CSVLogger file with its header written the wrong way round (what a history saved under each
    other's names gives): read swapped, and the other way round overfitting, as the file read as written."""
    src = (HERE / "keras_honest.csv").read_text().splitlines()
    assert src[0] == "epoch,accuracy,loss,val_accuracy,val_loss"
    out = tmp_path / "keras_names_swapped.csv"
    out.write_text("\n".join(["epoch,val_accuracy,val_loss,accuracy,loss"] + src[1:]) + "\n")
    first = losslens.diagnose(out, classes=10).causes[0]
    assert SWAPPED in first.evidence[0]
    assert losslens.diagnose(HERE / "keras_honest.csv", classes=10).verdict == "overfitting"
    assert "read the other way round this run is overfitting" in first.evidence[0]


@pytest.mark.parametrize("name", ["lightning_honest", "keras_honest.csv", "keras_loaders_swapped.csv",
                                  "keras_leak50.csv", "keras_leak100.csv"])
def test_honest_logs_are_not_read_swapped(name):
    """The honest fits, and the logs of a loader swap and of a leak, which are honest logs of those fits."""
    d = losslens.diagnose(HERE / name, classes=10)
    assert not any(SWAPPED in e for c in d.causes for e in c.evidence)


@pytest.mark.parametrize("path", [
    "torch_bn_tiny_batch/bn_bs2_s0.csv",       # training 2.15x validation through BatchNorm at batch 2
    "class_weighted/weighted_nosignal.csv",    # class weights on the training loss only
    "lightning_dropout",                       # dropout in the training pass
    "keras_augment_still_falling",             # augmentation in the training pass
    "pathologies/leak_val_from_train.csv",     # dropout 0.5 with validation rows taken from training
])
def test_training_above_validation_for_a_reason_is_not_read_swapped(path):
    for d in losslens.diagnose_all(ECO / path):
        assert not any(SWAPPED in e for c in d.causes for e in c.evidence), d.run.name


def test_leaks_hide_the_overfit():
    """What the log cannot show: the leaked runs' validation loss ends lower, and their verdict no longer says
    overfitting, while the clean test loss says the model is no worse (the leak hides the rise, it does not cause
    one). The docs say the log cannot tell a leak."""
    honest = losslens.diagnose(HERE / "keras_honest.csv", classes=10)
    assert honest.verdict == "overfitting"
    for name in ("keras_leak50.csv", "keras_leak100.csv"):
        assert losslens.diagnose(HERE / name, classes=10).verdict != "overfitting"
    text = (Path(__file__).parents[1] / "docs" / "reading.md").read_text()
    assert "leaked into training" in text
