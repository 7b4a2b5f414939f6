"""Runs that went NaN at their end, saved through pandas (session 48; every log written by the real library:
tests/fixtures/ecosystem/pandas_nan_last/make.py). ``pd.DataFrame(history.history).to_csv(...)`` writes a NaN as an
empty cell, which the old code read as a point not logged: the Keras digits MLP fed one NaN input in its last epoch
read "converged" (its final model: val_accuracy 0.10, NaN weights, still NaN 5 epochs on), where its CSVLogger twin,
``nan`` spelt, read diverged. A blank cell is read as NaN only in a table with no other blank cell, in rows that log
a value beside it (Lightning's sparse metrics.csv, a loop that stopped evaluating, a frame preallocated with NaN and
cut short stay "not logged")."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import losslens
from losslens.cli import app

PN = Path(__file__).parent / "fixtures" / "ecosystem" / "pandas_nan_last"
SAID = "blank in the last row (epoch 24) of a table with no other blank cell: read as NaN (pandas writes NaN so)"
PANDAS = ["keras_nan_input/history.csv", "keras_nan_input/history_noindex.csv", "torch_dict/history.csv"]


@pytest.mark.parametrize("log", PANDAS)
def test_a_nan_last_row_pandas_wrote_blank_is_diverged(log):
    # Old code: "converged — plateau at epoch 8 [6, 9] (confidence 75%)" (Keras), "plateau at epoch 4" (torch), no
    # word of the blank row.
    d = losslens.diagnose(PN / log)
    assert d.verdict == "diverged", str(d)
    assert d.causes[0].numbers["nonfinite_from"] == 24
    assert "train_loss became NaN/inf at epoch 24" in d.causes[0].evidence


def test_the_pandas_twin_reads_as_the_csvlogger_twin():
    # One Keras History, saved three ways: the verdict, its confidence, X and evidence agree.
    twin = losslens.diagnose(PN / "keras_nan_input" / "csvlogger.csv")
    for log in PANDAS[:2]:
        d = losslens.diagnose(PN / log)
        assert (d.verdict, d.causes[0].confidence, d.plateau_epoch) == \
            (twin.verdict, twin.causes[0].confidence, twin.plateau_epoch)
        assert d.causes[0].evidence == twin.causes[0].evidence


@pytest.mark.parametrize("log", ["keras_lr_blowup/history.csv", "keras_lr_blowup/history_noindex.csv"])
def test_an_lr_blow_up_ending_in_one_blank_row_names_the_nan(log):
    # Old code: diverged on "train_loss ended 7.7e+19% above its starting value", the NaN at epoch 12 unnamed, and the
    # lr "0.432 by epoch 11"; the CSVLogger's: "0.649 by the NaN at epoch 12".
    d = losslens.diagnose(PN / log)
    twin = losslens.diagnose(PN / "keras_lr_blowup" / "csvlogger.csv")
    assert d.verdict == twin.verdict == "diverged"
    assert d.causes[0].evidence == twin.causes[0].evidence
    assert "train_loss became NaN/inf at epoch 12" in d.causes[0].evidence


def test_the_final_model_is_broken():
    # The truth the verdict answers (make.out): val_accuracy 0.976 at epoch 23, 0.10 (chance) from NaN weights.
    run = losslens.read(PN / "keras_nan_input" / "history.csv")[0]
    assert run.series["val_acc"][-1] == pytest.approx(0.10, abs=1e-6) and run.series["val_acc"][-2] > 0.97
    assert np.isnan(run.series["val_loss"][-1]) and np.isfinite(run.series["val_loss"][:-1]).all()
    assert "nan" not in (PN / "keras_nan_input" / "history.csv").read_text()  # (blank cells: the file spells none)


@pytest.mark.parametrize("log", PANDAS)
def test_the_reading_is_said(log):
    res = CliRunner().invoke(app, ["diagnose", "--json", str(PN / log)])
    assert res.exit_code == 0, res.output
    notes = json.loads(res.stdout)["notes"]
    assert any(SAID in n and "not as a point not logged" in n for n in notes), notes


def test_no_forecast_of_the_pandas_twin():
    # Old code: a forecast of the clean descent before the NaN.
    fc = losslens.forecast(PN / "keras_nan_input" / "history.csv")
    assert fc.withheld == "diverged"


def test_a_dataframe_of_the_history_reads_as_its_file():
    # diagnose(pd.DataFrame(history.history)): the old code read the NaN row as not logged, converged.
    d = losslens.diagnose(pd.read_csv(PN / "keras_nan_input" / "history_noindex.csv"))
    assert d.verdict == "diverged" and d.causes[0].numbers["nonfinite_from"] == 24


def test_two_blank_rows_are_said_too(caplog):
    # Diverged before too (two rows), without a word of how the blanks were read.
    d = losslens.diagnose(PN / "keras_lr_blowup2" / "history.csv")
    assert d.verdict == "diverged" and "train_loss became NaN/inf at epoch 12" in d.causes[0].evidence
    assert "loss and val_loss blank in the last rows (2, from epoch 12) of a table with no other blank cell: read " \
           "as NaN (pandas writes NaN so), not as points not logged" in caplog.text


# -- blanks that are no NaN: what the same history becomes when its blanks have another cause ---------------------

def _frame():
    return pd.read_csv(PN / "keras_nan_input" / "history_noindex.csv").iloc[:24]


def test_a_frame_preallocated_and_cut_short_is_not_read_as_nan(tmp_path, caplog):
    # np.full(epochs, np.nan) filled epoch by epoch and saved each epoch: a killed run's rows hold nothing at all.
    df = _frame()
    df.loc[24] = np.nan
    df.to_csv(tmp_path / "prealloc.csv", index=False)
    d = losslens.diagnose(tmp_path / "prealloc.csv")
    assert d.verdict != "diverged" and "read as NaN" not in caplog.text


def test_a_blank_cell_before_the_tail_keeps_the_old_reading(tmp_path, caplog):
    # Validation every other epoch: blanks from the start, so a blank last row is no NaN of pandas'.
    df = pd.read_csv(PN / "keras_nan_input" / "history_noindex.csv")
    df.loc[df.index % 2 == 1, ["val_loss", "val_accuracy"]] = np.nan
    df.loc[24, ["loss", "val_loss"]] = np.nan
    df.to_csv(tmp_path / "every2.csv", index=False)
    losslens.diagnose(tmp_path / "every2.csv")
    assert "read as NaN" not in caplog.text


def test_a_loop_that_stopped_evaluating_stays_not_logged(tmp_path, caplog):
    df = pd.read_csv(PN / "keras_nan_input" / "history_noindex.csv").iloc[:24]
    df.loc[20:, ["val_loss", "val_accuracy"]] = np.nan
    df.to_csv(tmp_path / "stopped.csv", index=False)
    d = losslens.diagnose(tmp_path / "stopped.csv")
    assert d.verdict != "diverged" and "read as NaN" not in caplog.text
    assert "val_loss has no value after epoch 19 (blank cells while another loss goes on)" in caplog.text


def test_lightning_killed_mid_epoch_stays_still_improving():
    # Lightning's metrics.csv is sparse by design: its blank last row is a point not logged.
    d = losslens.diagnose(Path(__file__).parent / "fixtures" / "ecosystem" / "lightning_killed_short" / "metrics.csv")
    assert d.verdict != "diverged"
