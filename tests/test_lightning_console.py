"""What Lightning's trainer.fit printed with its TQDM bar, captured to a file, reads as the run (readers/console.py).

tests/fixtures/ecosystem/lightning_console/: real Lightning fits captured as `python train.py > run.out 2>&1`, each
beside the same run's CSVLogger metrics.csv, the truth: ``tqdm_epoch`` (train_loss on_step and on_epoch on the bar,
then trainer.test and trainer.validate print their tables), ``tqdm_step`` (train_loss per step only on the bar, its
epoch mean ``train_loss_mean`` off it; validation every 2nd epoch) and ``rich`` (the default RichProgressBar, which
outside a terminal prints its bar once).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from losslens import diagnose
from losslens.cli import app
from losslens.exceptions import ReadError
from losslens.readers import read

CASE = Path(__file__).parent / "fixtures" / "ecosystem" / "lightning_console"
# The bar prints 3 significant digits (tqdm's format_num, '{:.3g}'): half a unit of the third is 0.5% of the value.
PRINTED = 5e-3


def _truth(name):
    [run] = read(CASE / name / "version_0" / "metrics.csv")
    return run


def _console(name):
    [run] = read(CASE / f"{name}.out")
    return run


def _text(name):
    """The capture as written, its carriage returns kept (read_text() would make each a newline)."""
    return (CASE / f"{name}.out").read_bytes().decode()


def test_an_epoch_is_read_from_its_last_drawing_as_metrics_csv_logged_it():
    # Before: read as a loop's prints, each epoch's training loss the mean of every drawing's train_loss_epoch, the
    # epoch before's included (epoch 1: 2.17 for 1.90), with v_num, 'Validation DataLoader 0' and max_epochs as curves.
    run, truth = _console("tqdm_epoch"), _truth("tqdm_epoch")
    assert run.meta["format"] == "lightning_console" and run.axis_name == "epoch"
    assert list(run.axis) == list(truth.axis) == list(range(40))
    for col in ("train_loss", "val_loss", "val_acc"):
        np.testing.assert_allclose(run.series[col], truth.series[col], rtol=PRINTED, err_msg=col)
    assert set(run.series) == {"train_loss", "val_loss", "val_acc"}  # no v_num, no train_loss_step, no test_*


def test_an_epoch_without_validation_has_no_val_loss_and_a_per_step_loss_is_its_epochs_mean():
    # Before: the bar's val_loss of an epoch that ran no validation (check_val_every_n_epoch=2) read as that epoch's
    # (epoch 2: 1.77, epoch 1's); the per-step train_loss averaged over every drawing, the reset bar's too.
    run, truth = _console("tqdm_step"), _truth("tqdm_step")
    assert list(run.axis) == list(truth.axis)
    validated = np.isfinite(truth.series["val_loss"])
    assert validated.sum() == 20
    assert np.array_equal(np.isfinite(run.series["val_loss"]), validated)
    np.testing.assert_allclose(run.series["val_loss"][validated], truth.series["val_loss"][validated], rtol=PRINTED)
    # Each batch's loss printed (3 digits), averaged unweighted: the epoch's mean weights the last, smaller batch
    # (44 of 300) less. Measured: within 3.3% of train_loss_mean at every epoch, 1.1% at the median one.
    np.testing.assert_allclose(run.series["train_loss"], truth.series["train_loss_mean"], rtol=0.035)


@pytest.mark.parametrize("name", ["tqdm_epoch", "tqdm_step"])
def test_the_console_gives_the_verdict_and_x_of_metrics_csv(name):
    console, csv = diagnose(CASE / f"{name}.out"), diagnose(CASE / name / "version_0" / "metrics.csv")
    assert console.verdict == csv.verdict
    assert abs(console.plateau_epoch - csv.plateau_epoch) <= 1
    assert console.plateau_interval == csv.plateau_interval


def test_the_tables_printed_after_fit_are_left_out_and_said(caplog):
    with caplog.at_level(logging.WARNING, logger="losslens"):
        run = _console("tqdm_epoch")
    said = [r.getMessage() for r in caplog.records if "after training" in r.getMessage()]
    assert len(said) == 1 and "test_acc" in said[0] and "4 such lines" in said[0]
    assert not any("test" in k for k in run.series)


def test_richs_capture_is_refused_saying_why_and_what_to_read():
    # RichProgressBar (Lightning's default where rich is installed) prints outside a terminal only its last drawing.
    with pytest.raises(ReadError, match=r"RichProgressBar.*epoch 39.*metrics\.csv.*TQDMProgressBar"):
        read(CASE / "rich.out")
    result = CliRunner().invoke(app, ["diagnose", str(CASE / "rich.out")])
    assert result.exit_code == 2


def test_an_epoch_cut_off_mid_way_is_left_out_and_said(tmp_path, caplog):
    text = _text("tqdm_epoch")
    cut = text.index("Epoch 20:  60%")
    cut = text.index("\r", text.index("train_loss_step=", cut))  # the drawing with that batch's values, whole
    path = tmp_path / "killed.out"
    path.write_bytes(text[:cut].encode())
    with caplog.at_level(logging.WARNING, logger="losslens"):
        [run] = read(path)
    assert list(run.axis) == list(range(20))
    assert any("epoch 20 was cut off after 3 of its batches" in r.getMessage() for r in caplog.records)


def test_a_bar_without_metrics_is_no_log(tmp_path):
    # Nothing logged with prog_bar=True: the bar shows v_num alone; no curve, refused as before.
    text = re.sub(r", (?:train|val)_\w+=[\d.e+-]+", "", _text("tqdm_epoch"))
    text = re.sub(r"│.*│\n", "", text)
    path = tmp_path / "bare.out"
    path.write_bytes(text.encode())
    with pytest.raises(ReadError):
        read(path)


def test_a_damaged_value_in_an_epochs_last_drawing_names_its_line(tmp_path):
    text = _text("tqdm_epoch")
    end = text.index("Epoch 6:   0%")
    start = text.rindex("val_loss=", 0, end)
    path = tmp_path / "damaged.out"
    path.write_bytes((text[:start] + "val_loss=abc" + text[text.index(",", start):]).encode())
    with pytest.raises(ReadError, match=r"line \d+: 'val_loss' holds 'abc'"):
        read(path)


@pytest.mark.parametrize("name", ["tqdm_epoch", "tqdm_step"])
def test_a_bar_without_a_total_reads_the_same(name, tmp_path):
    # A loader without a length draws "Epoch 3: |███| 5/?": its last count is the epoch's end.
    text = re.sub(r"(Epoch \d+: +)\d{1,3}%\|([^|]*)\|\s*(\d+)/5 ", r"\1|\2| \3/? ", _text(name))
    assert "5/? [" in text and "5/5 [" not in text.split("Testing")[0]
    path = tmp_path / "unsized.out"
    path.write_bytes(text.encode())
    [run], printed = read(path), _console(name)
    assert list(run.axis) == list(printed.axis)
    for col in printed.series:
        np.testing.assert_array_equal(run.series[col], printed.series[col])
    truth = _truth(name)
    train = "train_loss_mean" if name == "tqdm_step" else "train_loss"
    np.testing.assert_allclose(run.series["val_loss"], truth.series["val_loss"], rtol=PRINTED)
    np.testing.assert_allclose(run.series["train_loss"], truth.series[train], rtol=0.035)
