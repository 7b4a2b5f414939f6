"""Logs that were read wrong without a word (session 39's walk on real and broken logs, D2-D4, D11, D12):
rows out of epoch order, a pandas history appended with its header again, a W&B export of a run whose name holds
" - ", a Hugging Face output folder whose final trainer_state.json was cut or left empty, and JSON logs cut off
mid-write. Every input is a file a real library wrote (the fixtures' Keras CSVLogger and History, the Trainer's
trainer_state.json; pandas' to_csv here), damaged as a crash or a hand does; each is only ever read."""
from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import losslens
from cli_helpers import refused
from losslens.readers import read

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LOGS = FIXTURES / "logs"
SPIKE = FIXTURES / "ecosystem" / "keras_cnn_spike" / "seed0.csv"  # Keras CSVLogger, 60 epochs


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _same(a, b):
    np.testing.assert_array_equal(np.asarray(a, float), np.asarray(b, float))


# ---- D2: epochs out of order, none logged twice: sorted, not read as resumes -------------------------------------
def test_rows_sorted_as_text_are_read_in_epoch_order(tmp_path, caplog):
    # A CSVLogger file whose rows were sorted as text (0, 1, 10, 11 ... 19, 2, 20 ...: a spreadsheet, `sort`):
    # read as three "training resumed at epoch 2/3/4" with 30 of its epochs left out.
    header, *rows = SPIKE.read_text().splitlines()
    path = tmp_path / "sorted.csv"
    path.write_text("\n".join([header, *sorted(rows)]) + "\n")
    before = _sha(path)
    [run] = read(path)
    [ref] = read(SPIKE)
    _same(run.axis, ref.axis)
    for name in ("train_loss", "val_loss", "val_acc"):
        _same(run.series[name], ref.series[name])
    assert "resumed" not in caplog.text and "left out" not in caplog.text
    assert caplog.text.count("not in order") == 1 and "epoch 2 after 19" in caplog.text
    assert _sha(path) == before
    assert losslens.diagnose(path).to_dict()["verdict"] == losslens.diagnose(SPIKE).to_dict()["verdict"]


def test_two_swapped_rows_are_put_back(tmp_path, caplog):
    header, *rows = SPIKE.read_text().splitlines()
    rows[5], rows[25] = rows[25], rows[5]
    path = tmp_path / "swapped.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    [run] = read(path)
    [ref] = read(SPIKE)
    assert len(run) == len(ref) == 60
    _same(run.series["val_loss"], ref.series["val_loss"])
    assert "not in order" in caplog.text and "resumed" not in caplog.text
    # A real resume keeps today's handling: fit(initial_epoch=10) after a crash at 19 logs epochs 10-19 again,
    # and the later rows are read.
    caplog.clear()
    header, *rows = SPIKE.read_text().splitlines()
    path = tmp_path / "resumed.csv"
    path.write_text("\n".join([header, *rows[:20], *rows[10:]]) + "\n")
    [run] = read(path)
    assert len(run) == 60 and "training resumed at epoch 10" in caplog.text and "not in order" not in caplog.text


# ---- D3: a history appended with pandas' to_csv(mode="a"): its header again mid-file -----------------------------
@pytest.mark.parametrize("index", [True, False])
def test_pandas_append_of_two_fits_reads_two_runs(tmp_path, caplog, index):
    pd = pytest.importorskip("pandas")
    hist = json.loads((LOGS / "keras_tensorboard.history.json").read_text())
    path = tmp_path / "history.csv"
    for _ in range(2):  # the same notebook cell run twice, each fit from a fresh model
        pd.DataFrame(hist).to_csv(path, mode="a", index=index)
    before = _sha(path)
    runs = read(path)
    assert [r.name[-2:] for r in runs] == ["#1", "#2"]
    for run in runs:
        assert list(run.axis) == list(range(12)) and "column_0" not in run.series
        _same(run.series["train_loss"], hist["loss"])
        _same(run.series["val_loss"], hist["val_loss"])
    assert "header line is written again before data row 13" in caplog.text and "a run of its own" in caplog.text
    assert _sha(path) == before


def test_pandas_append_of_a_fit_going_on_reads_one_run(tmp_path, caplog):
    # model.fit twice on one model, each fit's history appended: the second goes on from the first's loss.
    pd = pytest.importorskip("pandas")
    hist = json.loads((LOGS / "keras_tensorboard.history.json").read_text())
    path = tmp_path / "history.csv"
    pd.DataFrame({k: v[:7] for k, v in hist.items()}).to_csv(path, mode="a")
    pd.DataFrame({k: v[7:] for k, v in hist.items()}).to_csv(path, mode="a")
    [run] = read(path)
    assert list(run.axis) == list(range(12)) and "column_0" not in run.series
    _same(run.series["train_loss"], hist["loss"])
    assert "before data row 8" in caplog.text and "read as one run" in caplog.text


# A torch loop's per-step log (step, [epoch,] train_loss, lr, val_loss, val_acc: OneCycleLR, 300 steps): the same log
# appended with pandas' to_csv(mode="a"), its header again mid-file. Old code merged the two fits step by step into one
# run of 300 points, in silence; an epoch count starting again was already split (above).
STEPS = FIXTURES / "ecosystem" / "torch_onecycle_collapse" / "onecycle_sgd_maxlr0.1.csv"


@pytest.mark.parametrize("epoch_column", [False, True])
def test_pandas_append_of_two_fits_logged_by_step_reads_two_runs(tmp_path, caplog, epoch_column):
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(STEPS)
    if not epoch_column:
        frame = frame.drop(columns=["epoch"])
    frame.to_csv(tmp_path / "once.csv", index=False)
    [ref] = read(tmp_path / "once.csv")
    path = tmp_path / "steps.csv"
    for _ in range(2):  # the same cell run twice, each fit from a fresh model
        frame.to_csv(path, mode="a", index=False)
    before = _sha(path)
    runs = read(path)
    assert [r.name[-2:] for r in runs] == ["#1", "#2"]
    for run in runs:
        assert run.axis_name == ref.axis_name  # (with the epoch column: folded to epochs, as the log alone is)
        _same(run.axis, ref.axis)
        for key in ("train_loss", "val_loss", "lr"):
            _same(run.series[key], ref.series[key])
    assert "header line is written again before data row 301" in caplog.text and "a run of its own" in caplog.text
    assert _sha(path) == before


def test_pandas_append_of_a_step_log_going_on_or_resumed_reads_one_run(tmp_path, caplog):
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(STEPS).drop(columns=["epoch"])
    path = tmp_path / "steps.csv"
    frame.iloc[:150].to_csv(path, index=False)  # the step count goes on after the header: one run, nothing said
    frame.iloc[150:].to_csv(path, index=False, mode="a")
    [run] = read(path)
    _same(run.axis, frame["step"])
    _same(run.series["train_loss"], frame["train_loss"])
    assert "header line" not in caplog.text
    # Resumed from a checkpoint at step 100 after logging to 199: the later rows are read, as a resumed epoch count's.
    path.unlink()
    frame.iloc[:200].assign(train_loss=lambda d: d.train_loss + 1).to_csv(path, index=False)
    frame.iloc[100:].to_csv(path, index=False, mode="a")
    [run] = read(path)
    _same(run.axis, frame["step"])
    _same(run.series["train_loss"][:100], frame["train_loss"][:100] + 1)
    _same(run.series["train_loss"][100:], frame["train_loss"][100:])
    assert "going back from 199 to 100 (training resumed there)" in caplog.text


def test_pandas_append_of_a_fresh_fit_whose_step_count_starts_one_row_in_reads_two_runs(tmp_path, caplog):
    # The same cell run again from a fresh model, its loop counting steps from 1: the count goes back from 299 to 1,
    # as a resume from a checkpoint at step 1 would, but its first loss is the fresh model's, not the one logged at
    # step 1. Read as a resume, 299 of the first fit's 300 rows were left out and the second fit joined to its
    # first row (session 40's review, t4).
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(STEPS).drop(columns=["epoch"])
    path = tmp_path / "steps.csv"
    frame.to_csv(path, index=False)
    frame.assign(step=frame.step + 1).to_csv(path, index=False, mode="a")
    first, second = read(path)
    assert (first.name[-2:], second.name[-2:]) == ("#1", "#2")
    _same(first.axis, frame["step"])
    _same(second.axis, frame["step"] + 1)
    for run in (first, second):
        _same(run.series["train_loss"], frame["train_loss"])
    assert "a run of its own" in caplog.text and "resumed" not in caplog.text


# ---- D4: a W&B chart export of a run whose name holds " - " ----------------------------------------------------
def test_wandb_export_run_name_with_dashes(tmp_path):
    # The panel's "Export CSV" names each column "<run name> - <metric>" (and its __MIN/__MAX envelopes); a run
    # named "lr 0.1 - bs 32" was read as run "lr 0.1" with a curve "bs 32 - loss", its val_loss never read.
    [ref] = read(SPIKE)
    run = "lr 0.1 - bs 32"
    header = ["Step"] + [f"{run} - {m}{agg}" for m in ("loss", "val_loss") for agg in ("", "__MIN", "__MAX")]
    with open(tmp_path / "export.csv", "w", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        w.writerow(header)
        for i in range(len(ref)):
            x, y = ref.series["train_loss"][i], ref.series["val_loss"][i]
            w.writerow([i, x, x, x, y, y, y])
    [got] = read(tmp_path / "export.csv")
    assert got.name == run and sorted(got.series) == ["train_loss", "val_loss"]
    _same(got.series["val_loss"], ref.series["val_loss"])


# ---- D11: an output folder whose final trainer_state.json is cut or empty ----------------------------------------
@pytest.mark.parametrize("damage", ["cut", "empty"])
def test_hf_output_folder_falls_back_to_the_newest_checkpoint(tmp_path, caplog, damage):
    out = tmp_path / "out"
    shutil.copytree(LOGS / "hf_output", out)
    state = out / "trainer_state.json"
    text = state.read_text()
    state.write_text(text[: text.index('"log_history"') + 200] if damage == "cut" else "")
    before = {p: _sha(p) for p in out.rglob("*.json")}
    [run] = read(out)
    [ref] = read(out / "checkpoint-75" / "trainer_state.json")
    _same(run.axis, ref.axis)
    _same(run.series["train_loss"], ref.series["train_loss"])
    line = next(r.getMessage() for r in caplog.records if "instead" in r.getMessage())
    assert str(state) in line and "checkpoint-75/trainer_state.json" in line and "step 75" in line
    assert ("empty" if damage == "empty" else "cut off mid-write") in line
    assert {p: _sha(p) for p in out.rglob("*.json")} == before
    # Whole, the output folder's own state is read (it goes past the last checkpoint: its closing summary).
    caplog.clear()
    [run] = read(LOGS / "hf_output")
    assert run.source == str(LOGS / "hf_output" / "trainer_state.json") and "instead" not in caplog.text


# ---- D12: JSON cut off mid-write: read up to the cut -------------------------------------------------------------
def test_trainer_state_cut_mid_record_reads_its_complete_records(tmp_path, caplog):
    text = (LOGS / "hf_output" / "trainer_state.json").read_text()
    [whole] = read(LOGS / "hf_output" / "trainer_state.json")
    path = tmp_path / "trainer_state.json"
    path.write_text(text[: text.index('"step": 50') + 4])  # inside the record of step 50
    before = _sha(path)
    [run] = read(path)
    assert run.axis.max() == 45 and len(run) >= 8
    keep = whole.axis <= 45
    _same(run.axis, whole.axis[keep])
    _same(run.series["train_loss"], whole.series["train_loss"][keep])
    assert "cut off mid-write" in caplog.text and "read up to the last complete value" in caplog.text
    assert _sha(path) == before


def test_keras_history_cut_in_a_list_keeps_what_was_written(tmp_path, caplog):
    hist = json.loads((LOGS / "keras_history.json").read_text())
    text = json.dumps(hist)  # what json.dump(history.history, f) writes
    at = text.index('"val_loss"')
    at = text.index(",", text.index(",", at) + 1) + 3  # two values into val_loss, the third cut short
    path = tmp_path / "history.json"
    path.write_text(text[:at])
    [run] = read(path)  # (validation every 2 epochs: 3 checks, the cut in the third's val_loss)
    _same(run.series["train_loss"], hist["loss"])
    val = run.series["val_loss"]
    _same(val[np.isfinite(val)], hist["val_loss"][:2])
    acc = run.series["val_acc"]
    _same(acc[np.isfinite(acc)], hist["val_accuracy"])
    assert "cut off mid-write" in caplog.text and "'val_loss' stops after 2 of 3 values" in caplog.text


def test_json_cut_before_anything_complete_is_one_line(tmp_path):
    path = tmp_path / "history.json"
    path.write_text('{"lo')
    line = refused(path, "unreadable JSON: Unterminated string starting at line 1 column 2")
    assert "at at" not in line


def test_cut_json_on_the_command_line_warns_in_one_line(tmp_path):
    text = (LOGS / "hf_output" / "trainer_state.json").read_text()
    path = tmp_path / "trainer_state.json"
    path.write_text(text[: text.index('"step": 50') + 4])
    # (a subprocess: in process, pytest's log capture takes the warning off stderr)
    res = subprocess.run([sys.executable, "-m", "losslens", "diagnose", str(path)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert res.returncode == 0, res.stderr
    warned = [line for line in res.stderr.splitlines() if "cut off mid-write" in line]
    assert len(warned) == 1 and warned[0].startswith(f"losslens: {path}: ")
