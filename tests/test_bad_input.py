"""The bad-input contract, per reader: corrupted copies of real logs (committed fixtures, written by
the libraries themselves) end in one line naming the file and the problem, exit code 2 (or are
read correctly, with a warning where something was left out); never a traceback, never a changed
input file."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import losslens
import losslens.readers
from losslens.cli import app
from cli_helpers import run_cli as _cli  # tests/cli_helpers.py
from losslens.exceptions import LosslensError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
runner = CliRunner()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused(path: Path, *words: str):
    """Every command: exit 2, one line on stderr naming the file and the problem; the file unchanged."""
    before = _sha(path)
    for cmd in (["diagnose"], ["diagnose", "--json"], ["forecast"], ["report", "-o", path.parent / "r.html"]):
        res = _cli(*cmd, path)
        err = res.stderr.strip()
        assert res.exit_code == 2, (cmd, res.exit_code, res.output)
        assert "\n" not in err and str(path) in err, err
        for w in words:
            assert w in err, err
    for call in (lambda: losslens.diagnose(path), lambda: losslens.forecast(path, horizon=1000)):
        with pytest.raises(LosslensError):
            call()
    assert _sha(path) == before


def test_huge_values_in_a_keras_history_are_read_not_a_traceback(tmp_path):
    # Every value 1e300 (a blown-up run): K's inference took exp(1e300) -> OverflowError traceback.
    hist = json.loads((FIXTURES / "logs" / "keras_history.json").read_text())
    huge = {k: [1e300] * len(v) for k, v in hist.items()}
    path = tmp_path / "keras_history.json"
    path.write_text(json.dumps(huge))
    before = _sha(path)
    for cmd in (["diagnose"], ["diagnose", "--json"], ["forecast"], ["report", "-o", tmp_path / "r.html"]):
        res = _cli(*cmd, path)
        assert res.exit_code == 0, (cmd, res.output)
    assert losslens.diagnose(path).verdict
    assert _sha(path) == before


@pytest.mark.parametrize("name", ["lr0.27.csv", "lr0.3.csv"])
def test_evidence_writes_huge_numbers_short(name):
    # Keras' CSVLogger of a linear model at a too-large SGD step: the loss climbs to 1e33-1e34 (at lr 0.3
    # then inf and NaN). The evidence wrote them out in full: 'a gap of 177275556633594321201240541581279232%
    # of validation's smoothed best', '(12683049614918 noise sds)'.
    path = FIXTURES / "ecosystem" / "keras_sgd_blowup" / name
    assert np.nanmax(losslens.read(path)[0].series["val_loss"]) > 1e30
    d = losslens.diagnose(path)
    lines = [line for c in d.causes for line in c.evidence + c.actions]
    assert lines and "diverged" in d.cause_ids()
    for line in lines:
        assert len(line) <= 300 and not re.search(r"\d{13}", line), line
    out = _cli("diagnose", path).output
    assert not re.search(r"\d{13}", out), out


TB_EVENTS = next((FIXTURES / "ecosystem" / "torch_tb" / "runs" / "exp1").glob("events.out.tfevents.*"))


@pytest.mark.parametrize("cut", ["tail", "crc"])
def test_a_cut_or_corrupt_tensorboard_record_is_said_not_read_silently(tmp_path, cut, caplog):
    # torch.utils.tensorboard's SummaryWriter wrote the fixture. TensorBoard's loader stops at a
    # half-written or CRC-failing record and says so only in a debug line: the run was read shorter
    # (a flipped byte mid-file lost half of it) with no word. A record failing its CRC is now read past.
    data = TB_EVENTS.read_bytes()
    if cut == "tail":
        data = data[:-7]
    else:
        mid = len(data) // 2
        data = data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1:]
    path = tmp_path / "run" / TB_EVENTS.name
    path.parent.mkdir()
    path.write_bytes(data)
    before = _sha(path)
    with caplog.at_level("WARNING", logger="losslens"):
        [run] = losslens.readers.read(path)
    said = [r.getMessage() for r in caplog.records if r.name == "losslens"]
    assert len(said) == 1 and str(path) in said[0], said
    assert ("cut off mid-write" if cut == "tail" else "corrupt record at byte") in said[0]
    assert _cli("diagnose", path).exit_code == 0  # read, with the warning (on the losslens logger)
    assert _sha(path) == before
    whole = losslens.readers.read(TB_EVENTS)[0]
    if cut == "tail":
        assert len(run) < len(whole) or np.isnan(run.series["val_loss"][-1])
    else:  # read on from the next whole record: the run whole to its end, the one record lost said
        assert len(run) == len(whole) and "read on from the next whole record" in said[0], said
        assert np.array_equal(run.val_loss, whole.val_loss, equal_nan=True)


def test_a_whole_tensorboard_file_says_nothing(caplog):
    with caplog.at_level("WARNING", logger="losslens"):
        losslens.readers.read(TB_EVENTS)
    assert not [r for r in caplog.records if r.name == "losslens"]


@pytest.mark.parametrize("fixture", ["logs/torch_loop.jsonl", "ecosystem/mmengine/scalars.json"])
def test_a_json_lines_log_cut_mid_line_says_so(tmp_path, fixture, caplog):
    # A CSV's half-written last line was left out with a warning; a JSON Lines one (a loop's own
    # log, MMEngine's vis_data/scalars.json) was dropped in silence: a shorter run, no word.
    data = (FIXTURES / fixture).read_bytes()
    path = tmp_path / Path(fixture).name
    path.write_bytes(data[: data.rindex(b"\n", 0, len(data) - 1) + 25])  # 24 bytes into the last line
    before = _sha(path)
    with caplog.at_level("WARNING", logger="losslens"):
        [run] = losslens.readers.read(path)
    said = [r.getMessage() for r in caplog.records if r.name == "losslens"]
    assert len(said) == 1 and str(path) in said[0] and "cut off mid-write" in said[0], said
    # Only the stump is left out: the run is the one its whole lines make.
    whole = tmp_path / "whole" / path.name
    whole.parent.mkdir()
    whole.write_bytes(data[: data.rindex(b"\n", 0, len(data) - 1) + 1])
    [expected] = losslens.readers.read(whole)
    assert len(run) == len(expected) and list(run.series) == list(expected.series)
    for key in expected.series:
        np.testing.assert_array_equal(run.series[key], expected.series[key])
    assert _cli("diagnose", path).exit_code == 0
    assert _sha(path) == before


def _one_cell(data: bytes, row: int, column: str, value: str) -> bytes:
    lines = data.decode().split("\n")
    j = lines[0].split(",").index(column)
    cells = lines[row].split(",")
    cells[j] = value
    lines[row] = ",".join(cells)
    return "\n".join(lines).encode()


@pytest.mark.parametrize("fixture,column,row", [
    ("logs/keras_csvlogger.csv", "loss", 3),                     # Keras CSVLogger
    ("logs/lightning/version_0/metrics.csv", "train_loss_step", 3),  # Lightning CSVLogger
    ("ecosystem/wandb_history/history_per_epoch.csv", "train_loss", 4),
])
def test_a_word_in_a_loss_column_of_numbers_is_named(tmp_path, fixture, column, row):
    # 'abc' in one cell made the whole loss column text: Keras' read 'no loss or accuracy column
    # (found: epoch)'; Lightning's train_loss_step silently went missing (diagnosed without it).
    path = tmp_path / Path(fixture).name
    path.write_bytes(_one_cell((FIXTURES / fixture).read_bytes(), row, column, "abc"))
    _refused(path, f"column {column!r} holds 'abc'", "among numbers")


def test_a_word_in_a_loss_column_past_the_first_rows_is_named(tmp_path):
    # Past the 200 rows that decide a column's type, the cell was read as a gap (NaN) in silence.
    lines = ["epoch,loss,val_loss"] + [f"{i},{1 / (i + 1):.5f},{1.1 / (i + 1):.5f}" for i in range(400)]
    lines[300] = "299,0.0033x,0.00367"
    path = tmp_path / "training.log"
    path.write_text("\n".join(lines) + "\n")
    _refused(path, "column 'loss' holds '0.0033x' in data row 300")


def test_missing_value_spellings_stay_gaps(tmp_path):
    lines = ["epoch,loss,val_loss"] + [f"{i},{1 / (i + 1):.5f},{'NA' if i % 3 else 1.1 / (i + 1)}"
                                       for i in range(300)]
    lines[250] = "249,-,?"
    path = tmp_path / "training.log"
    path.write_text("\n".join(lines) + "\n")
    [run] = losslens.readers.read(path)
    assert np.isnan(run.series["train_loss"][249]) and len(run) == 300


def test_keras_csvlogger_resumed_with_initial_epoch_reads_the_resumed_rows(tmp_path, caplog):
    """A job killed after epoch 4, resumed from the epoch-1 checkpoint with fit(initial_epoch=2) and
    CSVLogger(append=True): the file logs epochs 2-4 twice. They were appended as epochs 5-7 (one run
    of 8 epochs, X pushed three epochs late) with no word; now the resumed rows supersede the
    earlier ones (6 epochs, the resumed run's own values), said in one warning."""
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":  # pragma: no cover
        pytest.skip("Keras on the torch backend")
    from keras_models import article_data

    x, y = article_data(0, n=300)   # y = 2 x1 + 3 x2 + N(0, 0.1²)
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.layers.Input((2,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    m.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    path, ckpt = tmp_path / "training.log", tmp_path / "epoch1.weights.h5"

    class SaveAtEpoch1(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.save_weights(str(ckpt))

    m.fit(x, y, validation_split=0.2, epochs=5, batch_size=32, verbose=0,
          callbacks=[keras.callbacks.CSVLogger(str(path), append=True), SaveAtEpoch1()])
    m.load_weights(str(ckpt))
    h = m.fit(x, y, validation_split=0.2, epochs=6, initial_epoch=2, batch_size=32, verbose=0,
              callbacks=[keras.callbacks.CSVLogger(str(path), append=True)])
    before = _sha(path)
    with caplog.at_level("WARNING", logger="losslens"):
        [run] = losslens.readers.read(path)
    assert list(run.axis) == list(range(6))
    assert run.train_loss[2:] == pytest.approx(h.history["loss"], rel=1e-6)
    said = [r.getMessage() for r in caplog.records if r.name == "losslens"]
    assert len(said) == 1 and str(path) in said[0] and "resumed at epoch 2" in said[0], said
    assert _sha(path) == before


def test_report_refuses_to_write_over_its_input_log(tmp_path, monkeypatch):
    # `losslens report training.log -o training.log` replaced the Keras log with the HTML page.
    path = tmp_path / "training.log"
    path.write_bytes((FIXTURES / "logs" / "keras_csvlogger.csv").read_bytes())
    before = _sha(path)
    monkeypatch.chdir(tmp_path)
    for out in (path, "training.log", "./training.log"):
        res = _cli("report", path, "-o", out)
        assert res.exit_code == 2 and "input log" in res.stderr and "\n" not in res.stderr.strip(), res.output
        assert _sha(path) == before
    assert _cli("report", path, "-o", tmp_path / "r.html").exit_code == 0 and _sha(path) == before


def test_an_unreadable_folder_under_a_log_directory_is_said(tmp_path, monkeypatch, caplog):
    # os.walk passes over a folder it cannot list (permission denied) in silence: one of two runs
    # went missing from `losslens diagnose runs/` with no word. (The tests run as root, where
    # chmod 000 does not stop a read: the refusal is simulated at os.scandir, which os.walk calls.)
    import os

    for name in ("a", "b"):
        (tmp_path / "runs" / name).mkdir(parents=True)
        (tmp_path / "runs" / name / "metrics.csv").write_bytes(
            (FIXTURES / "logs" / "lightning" / "version_0" / "metrics.csv").read_bytes())
    real = os.scandir

    def scandir(path="."):
        if Path(path) == tmp_path / "runs" / "b":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with caplog.at_level("WARNING", logger="losslens"):
        runs = losslens.readers.read(tmp_path / "runs")
    assert [r.name for r in runs] == ["a"]
    said = [r.getMessage() for r in caplog.records if r.name == "losslens"]
    assert len(said) == 1 and "b: cannot read this folder (Permission denied)" in said[0], said

    def denied(path="."):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(os, "scandir", denied)
    with pytest.raises(LosslensError, match="cannot read this folder"):
        losslens.readers.read(tmp_path / "runs")


@pytest.mark.parametrize("fixture", ["logs/keras_history.json", "logs/torch_loop.jsonl",
                                     "logs/hf_output/trainer_state.json"])
def test_a_word_among_a_json_logs_loss_values_is_named(tmp_path, fixture):
    # "loss": "abc" in one entry of a Keras History, a loop's JSON Lines or a Trainer's log_history
    # was read as a gap (NaN), the run diagnosed without that point and no word said.
    src = FIXTURES / fixture
    path = tmp_path / src.name
    if src.suffix == ".jsonl":
        lines = src.read_text().splitlines()
        i = next(i for i, ln in enumerate(lines) if '"loss"' in ln and i > 2)
        row = json.loads(lines[i])
        row["loss"] = "abc"
        lines[i] = json.dumps(row)
        path.write_text("\n".join(lines) + "\n")
    else:
        obj = json.loads(src.read_text())
        if "log_history" in obj:
            rows = [r for r in obj["log_history"] if "loss" in r]
            rows[len(rows) // 2]["loss"] = "abc"
        else:
            obj["loss"][2] = "abc"
        path.write_text(json.dumps(obj))
    _refused(path, "'loss' holds 'abc'", "among numbers")


def test_null_and_numbers_as_strings_in_a_json_log_are_still_read(tmp_path):
    obj = json.loads((FIXTURES / "logs" / "keras_history.json").read_text())
    obj["loss"][2], obj["loss"][3] = None, str(obj["loss"][3])
    path = tmp_path / "history.json"
    path.write_text(json.dumps(obj))
    [run] = losslens.readers.read(path)
    assert np.isnan(run.train_loss[2]) and run.train_loss[3] == pytest.approx(float(obj["loss"][3]))


def test_a_learning_curve_cut_mid_value_is_said(tmp_path, caplog):
    # `losslens data`: '1600,0.3' cut from '1600,0.39' was read as the value 0.3 (the forecast
    # from it), no word; a training log's cut line is left out with a warning, and now this too.
    path = tmp_path / "curve.csv"
    path.write_text("n_train,val_loss\n100,0.9\n200,0.7\n400,0.55\n800,0.45\n1600,0.3")
    with caplog.at_level("WARNING", logger="losslens"):
        res = _cli("data", path)
    assert res.exit_code == 0 and "800 -> 1,600 samples" in res.stdout, res.output
    said = [r.getMessage() for r in caplog.records if r.name == "losslens"]
    assert len(said) == 1 and str(path) in said[0] and "cut off mid-write" in said[0], said


@pytest.mark.parametrize("kind, words", [
    ("gzip", "gzip-compressed event file: decompress it first"),
    ("garbage", "not a TensorBoard event file (or corrupt at byte 0: its first record fails its CRC check)"),
    ("empty", "empty file"),
])
def test_an_unreadable_tensorboard_file_is_one_line(tmp_path, kind, words):
    import gzip
    import random

    data = TB_EVENTS.read_bytes()
    data = {"gzip": gzip.compress(data), "garbage": random.Random(0).randbytes(3000), "empty": b""}[kind]
    path = tmp_path / TB_EVENTS.name
    path.write_bytes(data)
    _refused(path, words)


def test_losslens_own_json_output_given_back_says_so(tmp_path):
    # `losslens diagnose --json run.csv > d.json`, then d.json given back (to diagnose, or to data): it read "no loss
    # or accuracy column (found: epoch, causes, phases, notes)" and "JSON is neither a list of records ...".
    example = Path(losslens.__file__).parent / "examples"
    for cmd, log, schema in ((["diagnose", "--json"], "keras_csvlogger.csv", "diagnosis"),
                             (["forecast", "--json"], "keras_csvlogger.csv", "forecast"),
                             (["data", "--json"], "curve.csv", "data")):
        res = _cli(*cmd, example / log)
        assert res.exit_code == 0, res.output
        path = tmp_path / f"{schema}.json"
        path.write_text(res.stdout)
        _refused(path, f"losslens's own output (losslens.{schema}/1), not a training log")
        res = _cli("data", path)
        assert res.exit_code == 2 and f"losslens's own output (losslens.{schema}/1)" in res.stderr, res.output


def test_a_python_file_given_to_diagnose_says_so_and_names_verify():
    # The shipped training function, given to diagnose as a new user may: its docstring was read as a table
    # header, "not a training log: no numeric columns (found: A training function for ``losslens ve...)".
    path = Path(losslens.__file__).parent / "examples" / "verify_train.py"
    _refused(path, "a Python file, not a training log", f"losslens verify {path}:FUNCTION")


def test_a_wandb_run_named_as_on_the_server_says_losslens_reads_local_files(tmp_path, monkeypatch):
    # `losslens diagnose wandb:ENTITY/PROJECT/RUN_ID`, as W&B's API names a run, read "no such file or directory".
    monkeypatch.chdir(tmp_path)
    res = _cli("diagnose", "wandb:me/proj/abc123")
    err = res.stderr.strip()
    assert res.exit_code == 2 and "\n" not in err, res.output
    assert err.startswith("losslens: me/proj/abc123: no such file or directory; losslens reads W&B's local files"), err
    assert "Export CSV" in err
    res = _cli("diagnose", "wandb:runs/nosuch")  # a local path mistyped: no word of servers
    assert res.stderr.strip() == "losslens: runs/nosuch: no such file or directory", res.output


@pytest.mark.parametrize("kind", ["xz", "gzip"])
def test_a_compressed_mlflow_database_is_one_line_saying_decompress_it(tmp_path, kind):
    # The MLflow store MLflow wrote (mlflow_manual_loop/make.py), compressed as a user keeps an old one: read by
    # content as an SQLite store, its path then handed to MLflow compressed -- "unreadable SQLite database (file
    # is not a database)" with mlflow, "needs mlflow" without it, under an sqlite:/// URI the user never typed.
    import gzip
    import lzma

    db = lzma.decompress((FIXTURES / "ecosystem" / "mlflow_manual_loop" / "mlflow.db.xz").read_bytes())
    path = tmp_path / f"mlflow.db.{'xz' if kind == 'xz' else 'gz'}"
    path.write_bytes(lzma.compress(db) if kind == "xz" else gzip.compress(db))
    _refused(path, f"{'an xz' if kind == 'xz' else 'a gzip'}-compressed SQLite database (an MLflow store): "
                   "decompress it first")


def test_an_mlflow_folder_store_metric_cut_mid_line_is_said(tmp_path, caplog):
    # MLflow (mlflow.keras.autolog, committed) wrote the store; its val_loss file cut mid-line was
    # read by MLflow as a shorter run, the stump a point, with no word.
    pytest.importorskip("mlflow")
    import shutil

    store = tmp_path / "mlruns"
    shutil.copytree(FIXTURES / "ecosystem" / "mlflow_two_stores" / "mlruns", store)
    [metric] = store.glob("*/*/metrics/val_loss")
    before_other = _sha(next(store.glob("*/*/metrics/loss")))
    metric.write_bytes(metric.read_bytes()[:300])
    with caplog.at_level("WARNING", logger="losslens"):
        losslens.readers.read(store)
    said = [r.getMessage() for r in caplog.records if "cut off mid-write" in r.getMessage()]
    assert len(said) == 1 and "metrics/val_loss" in said[0] and str(store) in said[0], said
    assert _sha(next(store.glob("*/*/metrics/loss"))) == before_other


def test_a_word_among_sacred_metric_values_is_named(tmp_path):
    obj = json.loads((FIXTURES / "ecosystem" / "sacred" / "metrics.json").read_text())
    tag = next(t for t in obj if "loss" in t)
    obj[tag]["values"][3] = "abc"
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(obj))
    _refused(path, f"{tag!r} holds 'abc'")


@pytest.mark.parametrize("data", [b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n\r\n", b"\xff\xfe\n\x00"])
def test_a_file_of_only_a_byte_order_mark_is_an_empty_file(tmp_path, data):
    # Excel's "CSV UTF-8" of an empty sheet: was 'no header row'.
    path = tmp_path / "training.csv"
    path.write_bytes(data)
    _refused(path, "empty file")


def test_a_file_that_cannot_be_opened_is_one_line(tmp_path, monkeypatch):
    # chmod 000 does not stop root (the tests' user): the refusal is simulated at the reader's open().
    import builtins

    from losslens.readers import _source

    path = tmp_path / "training.log"
    path.write_bytes((FIXTURES / "logs" / "keras_csvlogger.csv").read_bytes())

    def denied(file, *args, **kwargs):
        if Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(_source, "open", denied, raising=False)
    _refused(path, "cannot read: permission denied")


def test_an_output_that_cannot_be_written_is_named_plainly(tmp_path):
    log = FIXTURES / "logs" / "keras_csvlogger.csv"
    # (a missing folder is refused before any log is read: test_report's test of it)
    for out, problem in ((tmp_path / "no" / "dir" / "r.html",
                          f"--output's folder {tmp_path / 'no' / 'dir'} does not exist; create it or write elsewhere"),
                         (tmp_path, "is a directory")):
        res = _cli("report", log, "-o", out)
        assert res.exit_code == 2 and res.stderr.strip() == f"losslens: {out}: {problem}", res.stderr


@pytest.mark.parametrize("damage, words", [("abc", "line 5: "), ("empty", "is empty"), ("binary", "is not text")])
def test_a_damaged_mlflow_metric_file_is_named(tmp_path, damage, words):
    # MLflow's own error named the value ("could not convert string to float: 'abc'"), not the file.
    pytest.importorskip("mlflow")
    import random
    import shutil

    store = tmp_path / "mlruns"
    shutil.copytree(FIXTURES / "ecosystem" / "mlflow_two_stores" / "mlruns", store)
    [metric] = store.glob("*/*/metrics/val_loss")
    lines = metric.read_text().splitlines(keepends=True)
    lines[4] = " ".join(lines[4].split()[:1] + ["abc"] + lines[4].split()[2:]) + "\n"
    metric.write_bytes({"abc": "".join(lines).encode(), "empty": b"",
                        "binary": random.Random(0).randbytes(500)}[damage])
    with pytest.raises(LosslensError, match="metric file .*metrics/val_loss") as exc:
        losslens.readers.read(f"mlflow:{store}")
    assert words in str(exc.value) and "\n" not in str(exc.value)


EXAMPLES = Path(losslens.__file__).resolve().parent / "examples"


def _keras_csv(tmp_path, edit) -> Path:
    """A copy of the Keras CSVLogger example with ``edit(rows, header)`` applied."""
    lines = (EXAMPLES / "keras_csvlogger.csv").read_text().splitlines()
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:]]
    edit(rows, header)
    path = tmp_path / "keras_csvlogger.csv"
    path.write_text("\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n")
    return path


def test_one_absurd_spike_is_named_as_a_glitch_and_left_out(tmp_path):
    # One row of 1e300 (a logging glitch) in the middle: it read "stuck at initialization" / "lr too
    # high ... 7e298 sds of its noise"; it is now the diagnosis of the run without it, the spike named.
    clean = losslens.diagnose(EXAMPLES / "keras_csvlogger.csv")

    def spike(rows, header):
        for col in ("loss", "val_loss"):
            rows[40][header.index(col)] = "1e300"

    path = _keras_csv(tmp_path, spike)
    d = losslens.diagnose(path)
    assert d.verdict == clean.verdict == "overfitting"
    assert d.plateau.epoch == clean.plateau.epoch
    text = " ".join(d.causes[0].evidence)
    assert "val_loss is 1e+300 at epoch 40 (1 of 80 points)" in text and "glitch" in text, text
    assert all("glitch" in e or "e+" not in e for c in d.causes for e in c.evidence)  # no 7e298 "sds"
    assert np.isnan(d.run.series["val_loss"][40])  # plotted and reported as the gap it was read as
    res = _cli("plot", path, "-o", tmp_path / "p.png")
    assert res.exit_code == 0 and (tmp_path / "p.png").stat().st_size > 0
    res = _cli("diagnose", path)
    assert res.exit_code == 0 and "read as a glitch" in res.stdout and "overfitting" in res.stdout.splitlines()[0]


def test_an_absurd_spike_in_a_json_lines_log_is_left_out(tmp_path):
    lines = (FIXTURES / "logs" / "torch_loop.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    rows[len(rows) // 2]["loss"] = 1e300
    path = tmp_path / "torch_loop.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    clean = losslens.diagnose(FIXTURES / "logs" / "torch_loop.jsonl")
    d = losslens.diagnose(path)
    assert d.verdict == clean.verdict
    assert any("read as a glitch" in e for e in d.causes[0].evidence)


def test_a_spike_the_run_never_came_back_from_is_still_a_divergence(tmp_path):
    def blow_up(rows, header):
        for r in rows[60:]:
            r[header.index("loss")] = r[header.index("val_loss")] = "1e300"

    d = losslens.diagnose(_keras_csv(tmp_path, blow_up))
    assert d.verdict == "diverged"
    assert not any("glitch" in e for c in d.causes for e in c.evidence)


def test_a_nan_inside_a_run_is_said_to_be_read_as_a_gap(tmp_path):
    # One NaN val_loss at epoch 7 with finite values after it (an fp16 skipped step): it was dropped
    # without a word.
    path = _keras_csv(tmp_path, lambda rows, header: rows[7].__setitem__(header.index("val_loss"), "nan"))
    d = losslens.diagnose(path)
    assert d.verdict == "overfitting"
    assert "val_loss is NaN at epoch 7 (1 of 80 points), read as a gap" in d.causes[0].evidence
    res = _cli("diagnose", path)
    assert res.exit_code == 0 and res.stdout.count("read as a gap") == 1


def test_nan_to_the_end_is_still_diverged_and_an_earlier_inf_a_gap(tmp_path):
    def edit(rows, header):
        rows[19][header.index("loss")] = "inf"
        for r in rows[59:]:
            r[header.index("loss")] = r[header.index("val_loss")] = "nan"

    d = losslens.diagnose(_keras_csv(tmp_path, edit))
    assert d.verdict == "diverged"
    ev = d.causes[0].evidence
    assert any("became NaN/inf at epoch 59" in e for e in ev), ev
    assert "train_loss is inf at epoch 19 (1 of 80 points), read as a gap" in ev


def test_api_usage_errors_are_losslens_errors_and_still_value_errors(tmp_path):
    # A file of two runs to diagnose()/forecast(), a horizon before the last point: a plain ValueError,
    # which `except LosslensError` missed. Now UsageError: both.
    lines = (EXAMPLES / "keras_csvlogger.csv").read_text().splitlines()
    long = tmp_path / "runs.csv"
    long.write_text("\n".join(["run_id," + lines[0]] + [f"{r}," + line for r in "ab" for line in lines[1:]]) + "\n")
    one = EXAMPLES / "keras_csvlogger.csv"
    for call, path, words in ((lambda: losslens.diagnose(long), long, "holds 2 runs; use losslens.diagnose_all()"),
                              (lambda: losslens.forecast(long), long, "holds 2 runs; pick one with run_id="),
                              (lambda: losslens.forecast(one, horizon=10), one,
                               "horizon 10 is not after the last logged epoch of val_loss (79)")):
        with pytest.raises(losslens.UsageError) as err:
            call()
        assert isinstance(err.value, ValueError) and isinstance(err.value, LosslensError)
        assert str(path) in str(err.value) and words in str(err.value) and "\n" not in str(err.value)
    res = _cli("forecast", "--horizon", 10, one)
    assert res.exit_code == 2 and res.stderr.strip().count("\n") == 0 and "a forecast looks ahead" in res.stderr


def test_forecast_refuses_a_run_diagnose_calls_too_short(tmp_path):
    # The first 2 epochs of the CSVLogger example: diagnose said "too short"; forecast printed a forecast
    # (interval 0 to 1.938, exit 0). Both now refuse it in one line saying how many points are needed.
    path = tmp_path / "keras_csvlogger.csv"
    path.write_text("\n".join((EXAMPLES / "keras_csvlogger.csv").read_text().splitlines()[:3]) + "\n")
    for cmd in (["diagnose"], ["forecast"], ["forecast", "--json"]):
        res = _cli(*cmd, path)
        err = res.stderr.strip()
        assert res.exit_code == 2 and "\n" not in err and str(path) in err, (cmd, res.output)
        assert "only 2 value(s) of val_loss: too short to" in err and "(need 3 epochs or more)" in err, err
    for call in (lambda: losslens.diagnose(path), lambda: losslens.forecast(path)):
        with pytest.raises(LosslensError, match="need 3 epochs or more"):
            call()


@pytest.mark.parametrize("word", ["nan", "NaN", "-inf", "Infinity"])
def test_a_lightgbm_printed_log_reads_nan_however_spelled(tmp_path, word):
    # LightGBM prints a NaN metric as "nan" (C++) but a log written through Python reads "NaN": "NaN"
    # was "line 3 is not a round of this printed boosting log".
    src = FIXTURES / "ecosystem" / "lightgbm_printed" / "printed_train.log"
    path = tmp_path / "printed_train.log"
    path.write_text(src.read_text().replace("0.571325", word))
    d = losslens.diagnose(path)
    assert d.verdict == losslens.diagnose(src).verdict
    assert any("val_loss is" in e and "at round 30 (1 of 20 points), read as a gap" in e for e in d.causes[0].evidence)


def test_a_diagnose_horizon_inside_the_run_is_no_backcast(tmp_path):
    # `diagnose --horizon 5` on the 80-epoch CSVLogger example filled the forecast with the fitted
    # value at epoch 5 (0.451, "gain" -19.8%, p_improve 0): a backcast quoted as a forecast. A folder of runs
    # of different lengths, and one run alone (session 39: it was the one-line error, exit 2, no diagnosis): a
    # warning for each run the horizon is not ahead of, and no forecast for it; the longer runs are still forecast.
    one = EXAMPLES / "keras_csvlogger.csv"
    res = _cli("diagnose", "--horizon", 5, one)
    assert res.exit_code == 0 and res.stderr.strip().count("\n") == 0 and "a forecast looks ahead" in res.stderr
    assert res.stdout.startswith("keras_csvlogger: overfitting") and "forecast at" not in res.stdout
    with pytest.raises(losslens.UsageError, match="horizon 5 is not after the last logged epoch"):
        losslens.diagnose(one, horizon=5)
    lines = one.read_text().splitlines()
    (tmp_path / "long.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "short.csv").write_text("\n".join(lines[:31]) + "\n")   # epochs 0-29
    res = _cli("diagnose", "--json", "--horizon", 50, tmp_path)
    assert res.exit_code == 0, res.output
    forecasts = {Path(d["source"]).name: d["forecast"] for d in map(json.loads, res.stdout.splitlines())}
    assert forecasts["short.csv"]["horizon"] == 50 and forecasts["long.csv"] is None, forecasts
    assert "long.csv" in res.stderr and "no forecast for this run" in res.stderr


KERAS_CONSOLE = FIXTURES / "ecosystem" / "keras_console"


def _text(path: Path) -> str:
    """The file's text as written: carriage returns kept (read_text would make each redrawing a line)."""
    return path.read_bytes().decode()


def _keras_epoch_value(text: str, epoch: int, name: str, value: str) -> tuple[str, int]:
    """``text`` with the value of ``name`` that ``fit`` printed last for 1-based epoch ``epoch`` replaced by
    ``value``, and the (1-based) line it is on."""
    start = text.index(f"Epoch {epoch}/")
    end = text.index(f"Epoch {epoch + 1}/", start)
    at = text.rindex(f" - {name}: ", start, end) + len(f" - {name}: ")
    old = re.match(r"\S+", text[at:]).group()
    return text[:at] + value + text[at + len(old):], text.count("\n", 0, at) + 1


@pytest.mark.parametrize("fixture", ["verbose1.txt", "verbose2.txt"])
@pytest.mark.parametrize("name", ["loss", "val_loss"])
def test_a_word_for_a_value_in_a_keras_console_log_is_named(tmp_path, fixture, name):
    # What fit(verbose=1 or 2) printed, one value of epoch 10 made a word: the epoch was read with that
    # value a gap, said as 'train_loss is NaN at epoch 9' (it was not NaN), or, its only metric, the epoch
    # missing; with verbose=1 the last good drawing's mid-epoch batch value stood in for it.
    text, line = _keras_epoch_value(_text(KERAS_CONSOLE / fixture), 10, name, "abc")
    path = tmp_path / fixture
    path.write_bytes(text.encode())
    _refused(path, f"line {line}: {name!r} holds 'abc' among numbers")


@pytest.mark.parametrize("fixture", ["verbose1.txt", "verbose2.txt"])
def test_nan_printed_by_keras_is_a_number_read_as_a_gap(tmp_path, fixture, caplog):
    text, _ = _keras_epoch_value(_text(KERAS_CONSOLE / fixture), 10, "loss", "nan")
    path = tmp_path / fixture
    path.write_bytes(text.encode())
    [run] = losslens.readers.read(path)
    assert len(run) == 40 and np.isnan(run.train_loss[9]) and np.isfinite(run.train_loss[8])
    assert _cli("diagnose", path).exit_code == 0


def test_a_word_in_a_keras_log_saved_in_a_notebook_names_the_cell(tmp_path):
    text, _ = _keras_epoch_value(_text(KERAS_CONSOLE / "verbose1.txt"), 10, "loss", "abc")
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# fit"]},
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": ["model.fit(...)"],
         "outputs": [{"output_type": "stream", "name": "stdout", "text": text.splitlines(keepends=True)}]}]}
    path = tmp_path / "fit.ipynb"
    path.write_text(json.dumps(nb))
    _refused(path, "cell 2, output line", "'loss' holds 'abc' among numbers")


def test_a_word_in_a_trainer_console_dict_is_named(tmp_path):
    # Transformers' Trainer printed {'loss': '3.186', ...}; 'abc' there was dropped (the point a gap).
    lines = _text(FIXTURES / "logs" / "hf_console.txt").split("\n")
    i = next(i for i, ln in enumerate(lines) if ln.startswith("{'loss'") and i > 2)
    lines[i] = re.sub(r"'loss': '[^']*'", "'loss': 'abc'", lines[i])
    path = tmp_path / "hf_console.txt"
    path.write_bytes(("\n".join(lines)).encode())
    _refused(path, f"line {i + 1}: 'loss' holds 'abc' among numbers")


def test_a_word_in_a_tqdm_postfix_is_named(tmp_path):
    # tqdm's set_postfix(train_loss=..., val_loss=...) bar: 'train_loss=abc' was left out of that epoch
    # (a gap), with no word.
    text = _text(FIXTURES / "ecosystem" / "tqdm_postfix" / "b.log")
    at = text.index("train_loss=0.952")
    path = tmp_path / "b.log"
    path.write_bytes((text[:at] + "train_loss=abc" + text[at + len("train_loss=0.952"):]).encode())
    _refused(path, f"line {text.count(chr(10), 0, at) + 1}: 'train_loss' holds 'abc' among numbers")


def test_a_word_in_a_fastai_printed_table_is_named(tmp_path):
    # fastai's printed table (#na# is its own missing value, read as a gap): a word in valid_loss was NaN.
    lines = _text(FIXTURES / "ecosystem" / "fastai" / "printed_big_lr.log").split("\n")
    i = next(i for i, ln in enumerate(lines) if ln.split("\r")[-1].startswith("3 "))
    last = lines[i].split("\r")[-1]
    lines[i] = lines[i][: len(lines[i]) - len(last)] + last.replace(last.split()[2], "abc", 1)
    path = tmp_path / "printed_big_lr.log"
    path.write_bytes(("\n".join(lines)).encode())
    _refused(path, f"line {i + 1}: 'valid_loss' holds 'abc' among numbers")


PRINTED = FIXTURES / "ecosystem" / "torch_printed_damaged"


def test_a_damaged_value_in_a_loops_printed_log_is_said_and_the_other_lines_read(caplog):
    # 'Epoch [7/12], Step [20/30], Loss: <bytes>' among the loop's prints was skipped in silence: epoch 7's
    # loss became the mean of two batches instead of three, no word. Now one warning names the file and the
    # line; the other lines are read as before.
    path = PRINTED / "damaged.log"
    before = _sha(path)
    with caplog.at_level("WARNING", logger="losslens"):
        [run] = losslens.readers.read(path)
    said = [r.getMessage() for r in caplog.records if r.name == "losslens"]
    assert len(said) == 1 and str(path) in said[0] and "line 20: 'Loss' holds" in said[0], said
    assert "\n" not in said[0] and "left out" in said[0]
    caplog.clear()
    with caplog.at_level("WARNING", logger="losslens"):
        [clean] = losslens.readers.read(PRINTED / "train.log")
    assert not [r for r in caplog.records if r.name == "losslens"]  # the undamaged log: no word
    values = [float(ln.rsplit(": ", 1)[1]) for ln in (PRINTED / "train.log").read_text().splitlines()]
    epoch7 = [v for i, v in enumerate(values) if i // 3 == 6 and i != 19]  # lines 19 and 21
    assert list(run.axis) == list(clean.axis) and len(run) == 12
    other = np.arange(12) != 6
    assert run.train_loss[other] == pytest.approx(clean.train_loss[other])
    assert run.train_loss[6] == pytest.approx(np.mean(epoch7))
    caplog.clear()
    with caplog.at_level("WARNING", logger="losslens"):
        res = _cli("diagnose", path)
    assert res.exit_code == 0 and "epochs" in res.stdout, res.output
    assert [r.getMessage() for r in caplog.records if r.name == "losslens"] == said
    assert _sha(path) == before


def test_a_loops_printed_log_with_no_number_left_is_one_line(tmp_path):
    lines = (PRINTED / "train.log").read_text().splitlines()
    path = tmp_path / "damaged.log"
    path.write_text("\n".join(ln.rsplit(": ", 1)[0] + ": tensor(" + ln.rsplit(": ", 1)[1] + ")" for ln in lines) + "\n")
    _refused(path, "line 1: 'Loss' holds 'tensor(", "where a number is printed")


@pytest.mark.parametrize("bad, words", [("-1", ("'val_ppl' holds -1 at epoch", "perplexity is >= 1")),
                                        ("abc", ("'val_ppl' holds 'abc'", "among numbers"))])
def test_a_damaged_perplexity_cell_is_said(tmp_path, bad, words):
    """Lightning's CSVLogger of a char-LM logging only perplexities (lightning_charlm_ppl): ln of a perplexity
    below 1 was a gap nobody was told of, and a word in the column dropped the whole column ('no loss column')."""
    lines = (FIXTURES / "ecosystem" / "lightning_charlm_ppl" / "metrics.csv").read_text().splitlines()
    head = lines[0].split(",")
    j = head.index("val_ppl")
    i = next(k for k, line in enumerate(lines[1:], 1) if line.split(",")[j] and line.split(",")[0] == "5")
    cells = lines[i].split(",")
    cells[j] = bad
    lines[i] = ",".join(cells)
    path = tmp_path / "metrics.csv"
    path.write_text("\n".join(lines) + "\n")
    _refused(path, *words)


def _blank_column(src, dst, column, value="nan"):
    """A copy of a real log with one column's every cell replaced (the original is left as it is)."""
    import csv

    with open(src, newline="") as fh:
        rows = list(csv.reader(fh))
    i = rows[0].index(column)
    for r in rows[1:]:
        r[i] = value
    with open(dst, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return dst


@pytest.mark.parametrize("src, column, value, read", [
    ("lightning_gan/balanced/metrics.csv", "d_loss", "nan", "g_loss"),       # Lightning CSVLogger, a GAN
    ("keras_solved/digits01.log", "loss", "nan", "val_loss"),                # Keras 3 CSVLogger
    ("keras_solved/digits01.log", "val_loss", "", "val_acc")])
def test_a_loss_logged_with_no_finite_value_is_named_not_passed_over(tmp_path, src, column, value, read):
    """A GAN log whose d_loss was NaN at every epoch read "still improving" on g_loss alone, and a Keras log whose
    training loss was NaN throughout read on val_loss, the report silent on the column it had left out."""
    eco = Path(__file__).parent / "fixtures" / "ecosystem"
    before = (eco / src).read_bytes()
    path = _blank_column(eco / src, tmp_path / Path(src).name, column, value)
    d = losslens.diagnose(str(path))
    assert d.metric == read
    canon = {"loss": "train_loss"}.get(column, column)
    said = [e for e in d.cause.evidence if "has no finite value" in e]
    assert said == [f"{canon} has no finite value in this file (NaN, inf or blank at every {d.axis}, or never "
                    f"logged): it is left out, and the verdict is read on {read}"], d.cause.evidence
    assert (eco / src).read_bytes() == before
    clean = losslens.diagnose(str(eco / src))
    assert not any("has no finite value" in e for c in clean.causes for e in c.evidence)


@pytest.mark.parametrize("max_steps", ["abc", None, -1])
def test_a_trainer_state_whose_max_steps_is_no_number_is_said(tmp_path, max_steps, caplog):
    """A Trainer's trainer_state.json (committed, written by the real Trainer) with max_steps edited to text, null or
    a negative number: the planned end is unknown and the forecast goes to twice the logged length; that used to
    happen with no word. JSON's NaN is not valid JSON for the reader's parser, so null stands in for it."""
    src = FIXTURES / "ecosystem" / "hf_linear_decay_low_lr" / "lr3e-5" / "trainer_state.json"
    state = json.loads(src.read_text())
    state["max_steps"] = max_steps
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps(state))
    before = _sha(path)
    with caplog.at_level("WARNING", logger="losslens"):
        [run] = losslens.readers.read(path)
    said = [r.getMessage() for r in caplog.records if r.name == "losslens"]
    assert "planned_end" not in run.meta
    if max_steps is None:
        assert not said            # (no max_steps at all: nothing to say)
        return
    assert len(said) == 1 and str(path) in said[0] and f"max_steps is {max_steps!r}" in said[0], said
    assert "twice the logged length" in said[0]
    assert _cli("diagnose", path).exit_code == 0 and _sha(path) == before


def _one_warning_from_the_cli(log: Path, yaml_file: Path) -> str:
    """``losslens diagnose LOG`` in a process of its own (pytest's log capture would swallow what the CLI shows):
    exit 0, a verdict on stdout, one line on stderr naming ``yaml_file``; that line."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "losslens", "diagnose", str(log)], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip(), proc.stderr
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"losslens: {yaml_file}: "), err
    return err


YOLO_ARGS = FIXTURES / "ecosystem" / "yolo_args"


@pytest.mark.parametrize("edit, problem", [
    (lambda t: "epochs: [\n", "not YAML (expected the node content, but found '<stream end>' at line 2, column 1)"),
    (lambda t: "- epochs\n- 12\n", "not a mapping of settings (it holds a list)"),
    (lambda t: t[: len(t) // 2] + "\x00" + t[len(t) // 2:], "not YAML (unacceptable character #x0000"),
    (lambda t: t.replace("epochs: 12\n", "epochs: many\n"), "epochs is 'many', not a positive whole number"),
    (lambda t: t.replace("epochs: 12\n", ""), "no epochs in it"),
    (lambda t: t.replace("lrf: 0.01\n", "lrf: 10\n"), "lrf is 10, not a number from 0 to 1: the lr schedule is unknown"),
    (lambda t: t.replace("cos_lr: false\n", "cos_lr: sometimes\n"), "cos_lr is 'sometimes', neither true nor false")], ids=["cut", "list", "nul", "epochs_text", "no_epochs", "lrf", "cos_lr"])
def test_a_malformed_args_yaml_beside_an_ultralytics_results_csv_is_said(tmp_path, edit, problem, caplog):
    """Ultralytics' real results.csv and args.yaml (fixture yolo_args, epochs=12, linear to lrf=0.01) copied, the
    args.yaml cut, corrupted or edited: the planned end or the lr schedule went unread with no word. Now one
    warning names the file and the problem; results.csv still reads and diagnoses (exit 0) as without it."""
    import shutil

    for name in ("results.csv", "args.yaml"):
        shutil.copy(YOLO_ARGS / name, tmp_path / name)
    args = tmp_path / "args.yaml"
    args.write_text(edit(args.read_text()))
    before = _sha(args), _sha(tmp_path / "results.csv")
    with caplog.at_level("WARNING", logger="losslens"):
        [run] = losslens.readers.read(tmp_path / "results.csv")
    said = [r.getMessage() for r in caplog.records if r.name == "losslens"]
    assert len(said) == 1 and said[0].startswith(f"losslens: {args}: ") and problem in said[0], said
    assert "lr_schedule" not in run.meta
    assert ("planned_end" in run.meta) == problem.startswith(("lrf", "cos_lr"))  # those leave the end it states
    assert problem in _one_warning_from_the_cli(tmp_path / "results.csv", args)
    assert (_sha(args), _sha(tmp_path / "results.csv")) == before
    caplog.clear()
    with caplog.at_level("WARNING", logger="losslens"):  # the file as the trainer wrote it says nothing
        [clean] = losslens.readers.read(YOLO_ARGS / "results.csv")
    assert not [r for r in caplog.records if r.name == "losslens"] and "lr_schedule" in clean.meta


@pytest.mark.parametrize("text, problem", [
    ("lr: 0.05\nweight_decay: [0.05\nwidth: 64\n", "not YAML (expected ',' or ']', but got"),
    ("- lr: 0.05\n- weight_decay: 0.05\n", "not a mapping of settings (it holds a list)"),
    ("lr: 0.05\nweight_decay: 0.05\nwidth: 64\n\tdepth: 2\n", "not YAML (found character '\\t' that cannot start any token")], ids=["cut", "list", "tab"])
def test_a_malformed_hparams_yaml_beside_a_lightning_metrics_csv_is_said(tmp_path, text, problem, caplog):
    """Lightning's real metrics.csv and hparams.yaml (fixture lightning_weight_decay/wd_0.05: weight_decay=0.05 reads
    'underfitting (held by a weight penalty)') copied, the hparams.yaml broken: the weight decay went unread with no
    word. Now one warning names the file and the problem; metrics.csv reads as it does with no hparams.yaml
    (converged, tests/test_ecosystem_logs.py), exit 0."""
    import shutil

    src = FIXTURES / "ecosystem" / "lightning_weight_decay" / "wd_0.05"
    shutil.copy(src / "metrics.csv", tmp_path / "metrics.csv")
    hp = tmp_path / "hparams.yaml"
    hp.write_text(text)
    before = _sha(hp)
    with caplog.at_level("WARNING", logger="losslens"):
        [run] = losslens.readers.read(tmp_path / "metrics.csv")
    said = [r.getMessage() for r in caplog.records if r.name == "losslens"]
    assert len(said) == 1 and said[0].startswith(f"losslens: {hp}: ") and problem in said[0], said
    assert "hparams" not in run.meta and losslens.diagnose(run).verdict == "converged"
    assert problem in _one_warning_from_the_cli(tmp_path / "metrics.csv", hp)
    assert _sha(hp) == before
    caplog.clear()
    for fine in ("{}\n", "lr: 0.05\nloss_fn: !!python/object:torch.nn.MSELoss {}\n"):  # Lightning writes these
        hp.write_text(fine)
        with caplog.at_level("WARNING", logger="losslens"):
            losslens.readers.read(tmp_path / "metrics.csv")
    assert not [r for r in caplog.records if r.name == "losslens"]


def test_trainer_state_of_an_evaluation_alone_is_one_line(tmp_path):
    # evaluate(); save_state() without train() (tests/fixtures/ecosystem/hf_eval_only): one eval row at step 0,
    # max_steps 0. It read as two lines, "max_steps is 0, not a positive number" and "only 1 value(s) of val_loss".
    path = tmp_path / "trainer_state.json"
    shutil.copy(FIXTURES / "ecosystem" / "hf_eval_only" / "trainer_state.json", path)
    _refused(path, "an evaluation alone", "evaluate() without train()")


def test_a_readers_warning_reaches_the_json_and_the_report_not_only_stderr(tmp_path):
    # Keras' CSVLogger log (committed, written by Keras 3) cut mid-line, beside another one whole, in one folder: the
    # cut row was left out with a warning on the losslens logger, which the CLI's text shows on stderr, but
    # --json's objects and the HTML report (no stderr) said nothing of it. Now the run it is about carries it.
    folder = tmp_path / "runs"
    folder.mkdir()
    text = (FIXTURES / "logs" / "keras_csvlogger.csv").read_text()
    (folder / "cut.csv").write_text(text + text.splitlines()[-1][:12])
    shutil.copy(FIXTURES / "logs" / "keras_rlrop.csv", folder / "whole.csv")
    before = _sha(folder / "cut.csv")
    res = _cli("diagnose", folder, "--json")
    assert res.exit_code == 0, res.output
    notes = {o["run"]: o["notes"] for o in map(json.loads, res.stdout.splitlines())}
    assert notes["whole"] == [] and len(notes["cut"]) == 1
    assert notes["cut"][0].startswith("the last line was cut off mid-write (") and notes["cut"][0].endswith(
        "no newline at the end): left out")
    res = _cli("diagnose", folder / "cut.csv")  # the text: on stderr (the losslens logger) as before, not twice
    assert res.exit_code == 0 and "cut off" not in res.stdout
    out = tmp_path / "report.html"
    assert _cli("report", folder, "-o", out).exit_code == 0
    page = out.read_text()
    assert page.count("How the log was read") == 1 and "the last line was cut off mid-write (" in page
    assert _sha(folder / "cut.csv") == before
    # A damaged value in a printed torch loop's log (committed): named in the notes of that run only.
    res = _cli("diagnose", FIXTURES / "ecosystem" / "torch_printed_damaged", "--json")
    notes = {o["run"]: o["notes"] for o in map(json.loads, res.stdout.splitlines())}
    assert notes["train"] == [] and notes["damaged"] == [
        "line 20: 'Loss' holds '\\x7f\\x7fq#' where a number is printed (a damaged or mistyped value): left out, "
        "the other lines read"]


def test_reading_an_mlflow_folder_store_writes_nothing_into_it(tmp_path):
    # MLflow's FileStore makes mlruns/.trash in the store it opens; git keeps no empty folder, so a
    # committed or copied store has none, and `losslens diagnose mlruns` wrote one into the input.
    pytest.importorskip("mlflow")
    store = tmp_path / "mlruns"
    shutil.copytree(FIXTURES / "ecosystem" / "mlflow_two_stores" / "mlruns", store)
    before = sorted(str(p.relative_to(store)) for p in store.rglob("*"))
    assert ".trash" not in before
    assert _cli("diagnose", store).exit_code == 0
    assert losslens.readers.read(f"mlflow:{store}")
    assert sorted(str(p.relative_to(store)) for p in store.rglob("*")) == before


def test_an_mlflow_folder_store_without_its_empty_folders_reads_every_run(tmp_path, monkeypatch):
    # git keeps no empty folder: an mlruns committed (or zipped) loses each run's empty params/ and artifacts/,
    # and MLflow's FileStore, which checks a run's folder for them, listed the runs and then failed to get
    # them ("Run '...' not found", rc 2). The store is read through a view that has them; nothing is added to it.
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 writes a folder store only when asked
    written = tmp_path / "written"
    mlflow.set_tracking_uri(written.as_uri())
    try:
        with mlflow.start_run(run_name="r"):
            for epoch, (loss, val) in enumerate([(1.0, 1.1), (0.6, 0.7), (0.4, 0.55), (0.3, 0.5)]):
                mlflow.log_metrics({"loss": loss, "val_loss": val}, step=epoch)
    finally:
        mlflow.set_tracking_uri(None)
    store = tmp_path / "mlruns"
    shutil.copytree(written, store, ignore=lambda d, names: [n for n in names if n == ".trash"])
    emptied = [p for p in store.rglob("*") if p.is_dir() and not any(p.iterdir())]
    assert {p.name for p in emptied} >= {"params", "artifacts"}
    for p in emptied:
        p.rmdir()
    before = sorted(str(p.relative_to(store)) for p in store.rglob("*"))
    runs = losslens.readers.read(f"mlflow:{store}")
    assert [r.name for r in runs] == ["r"] and list(runs[0].get("val_loss")) == [1.1, 0.7, 0.55, 0.5]
    assert _cli("diagnose", store).exit_code == 0
    assert sorted(str(p.relative_to(store)) for p in store.rglob("*")) == before


@pytest.mark.parametrize("header", ["1.0,", "loss,"])
def test_a_header_line_of_half_a_million_cells_is_refused_not_read_for_hours(tmp_path, header):
    # A damaged CSV whose first line is one cell repeated 500,000 times: naming the duplicate columns
    # (loss, loss_2, ... tried one suffix after another) was quadratic, then every column was typed in
    # turn; `losslens diagnose` ran for hours. (A subprocess, so the old code's hang ends in a failure.)
    import os
    import subprocess
    import sys

    path = tmp_path / "metrics.csv"
    path.write_text(header * 500_000 + "\n" + (FIXTURES / "logs" / "keras_csvlogger.csv").read_text())
    before = _sha(path)
    try:
        proc = subprocess.run([sys.executable, "-m", "losslens", "diagnose", str(path)], capture_output=True,
                              text=True, timeout=240, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    except subprocess.TimeoutExpired:
        pytest.fail("losslens diagnose still running after 240 s")
    err = proc.stderr.strip()
    assert proc.returncode == 2 and "\n" not in err and str(path) in err and "500,001 columns: not a training log" in err, err
    assert _sha(path) == before


def test_a_refused_file_is_one_line_without_the_readers_warnings_before_it(tmp_path, caplog):
    import os
    import subprocess
    import sys

    # Keras' CSVLogger cut mid-line, with its loss columns renamed away: "the last line was cut off mid-write
    # ... left out" was printed before "no loss or accuracy column", two lines for one refused file (the fuzz
    # harness, benchmarks/fuzz.py, found 22 such in 935 cases). A file that is read keeps its warning.
    lines = (FIXTURES / "logs" / "keras_csvlogger.csv").read_text().splitlines()
    header = lines[0].replace("val_loss", "val_x").replace("loss", "x").replace("accuracy", "y")
    path = tmp_path / "history.csv"
    cut = lines[-1][: lines[-1].rindex(",")]  # its last cell not written
    path.write_text("\n".join([header, *lines[1:-1], cut]))
    _refused(path, "no loss or accuracy column")
    # (Under pytest the losslens logger's lines go to pytest's handler, not the CliRunner's stderr.)
    proc = subprocess.run([sys.executable, "-m", "losslens", "diagnose", str(path)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "no loss or accuracy column" in proc.stderr, (
        proc.stderr)
    readable = tmp_path / "readable.csv"
    readable.write_text("\n".join([*lines[:-1], cut]))
    caplog.clear()
    with caplog.at_level("WARNING", logger="losslens"):
        [run] = losslens.readers.read(readable)
    said = [r.getMessage() for r in caplog.records if r.name == "losslens"]
    assert len(said) == 1 and "cut off mid-write" in said[0] and run.meta["notes"], said


def test_a_librarys_value_error_is_an_internal_error_not_bad_input(monkeypatch):
    # The command line turned every ValueError into the bad-input line and exit 2: a bug in the diagnosis
    # (numpy's reduction of an empty array here, standing in for one) was passed off as the user's file.
    import losslens.commands.report as report_cmd

    def broken(runs, **kwargs):
        return np.max(np.array([]))

    monkeypatch.setattr(report_cmd, "diagnose_runs", broken)
    res = _cli("diagnose", FIXTURES / "logs" / "keras_csvlogger.csv")
    err = res.stderr.strip()
    assert res.exit_code == 3 and "\n" not in err and err.startswith("losslens: internal error (ValueError: "), err
    assert "please report" in err
    # losslens's own ValueErrors stay the user's: a --horizon before the first point, exit 2.
    res = _cli("forecast", FIXTURES / "logs" / "keras_csvlogger.csv", "--horizon", "-5")
    assert res.exit_code == 2 and "internal error" not in res.stderr, res.stderr


def test_a_python_value_error_in_losslens_s_own_code_is_a_bug_not_bad_input(monkeypatch):
    # Which ValueErrors were the user's was told by where they were raised: any raised in a losslens frame was
    # bad input, exit 2. A plain Python error there (int() of a word, max() of nothing: builtins add no frame of
    # their own) is a bug all the same; losslens now refuses input only with a LosslensError (UsageError for a
    # parameter), so it is exit 3. The function below is compiled as if it lay in losslens/diagnosis.py.
    import losslens.diagnosis
    from losslens.stopping import ForecastStopping

    where = str(Path(losslens.diagnosis.__file__).resolve())
    space: dict = {}
    exec(compile("def diagnose_run(*args, **kwargs):\n    return max([])\n", where, "exec"), space)
    monkeypatch.setattr(losslens.diagnosis, "diagnose_run", space["diagnose_run"])
    res = _cli("diagnose", FIXTURES / "logs" / "keras_csvlogger.csv")
    err = res.stderr.strip()
    assert res.exit_code == 3 and err.startswith("losslens: internal error (ValueError: max()"), (res.exit_code, err)
    assert "in losslens/diagnosis.py:2" in err, err
    # Its deliberate refusals stay the user's, each a UsageError (still a ValueError / TypeError in Python).
    with pytest.raises(losslens.UsageError) as caught:
        ForecastStopping(min_gain=-1)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(TypeError):
        losslens.readers.read(3.5)
    monkeypatch.undo()
    res = _cli("diagnose", FIXTURES / "logs" / "keras_csvlogger.csv", "--horizon", "inf")
    assert res.exit_code == 2 and "horizon=inf: the epoch (or step) to forecast to, a finite number" in res.stderr and "\n" not in res.stderr.strip(), (res.exit_code, res.stderr)


def test_a_history_read_then_refused_is_its_error_line_alone_and_one_read_says_its_note_once(tmp_path):
    import os
    import subprocess
    import sys

    # A saved Keras History with validation every k epochs (2 values over 11 epochs: k = 4 or 5) says which k it
    # assumed. Run.from_history logged that at once, past the readers' notes: a file then refused (no loss column
    # here) printed the note about a file it did not read before its error.
    def stderr(path):
        proc = subprocess.run([sys.executable, "-m", "losslens", "diagnose", str(path)], capture_output=True,
                              text=True, timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        return proc.returncode, proc.stderr.splitlines()

    falling = [1, 0.8, 0.6, 0.5, 0.45, 0.4, 0.38, 0.36, 0.35, 0.34, 0.33]
    refused = tmp_path / "refused.json"
    refused.write_text(json.dumps({"x": falling, "val_x": [0.7, 0.5]}))
    rc, lines = stderr(refused)
    assert rc == 2 and len(lines) == 1 and "no loss or accuracy column" in lines[0], lines
    read = tmp_path / "history.json"
    read.write_text(json.dumps({"loss": falling, "val_loss": [0.7, 0.5]}))
    rc, lines = stderr(read)
    assert rc == 0 and len(lines) == 1 and lines[0].startswith(f"losslens: {read}: val_loss: 2 values over 11 epochs"), (
        lines)


def _raising(kind):
    """A stand-in for a bug in the diagnosis: it raises ``kind`` as such a bug would."""
    def broken(run, **kwargs):
        if kind is RecursionError:
            def deeper(n):
                return deeper(n + 1)
            return deeper(0)
        if kind is KeyError:
            return {}["val_loss"]
        if kind is IndexError:
            return [][0]
        if kind is AttributeError:
            return None.series
        if kind is ZeroDivisionError:
            return 1 / 0
        if kind is KeyboardInterrupt:
            raise KeyboardInterrupt
        raise kind("a bug")
    return broken


@pytest.mark.parametrize("kind", [TypeError, KeyError, IndexError, AttributeError, ZeroDivisionError, RecursionError,
                                  MemoryError])
@pytest.mark.parametrize("command", ["diagnose", "report", "plot"])
def test_any_exception_escaping_a_command_is_one_internal_error_line(tmp_path, monkeypatch, kind, command):
    # Only a ValueError was told from bad input: any other exception a bug raised (a TypeError, a KeyError, a
    # RecursionError ...) escaped the command as a Python traceback (exit 1). Now every command ends in one line
    # naming the exception, the losslens line it arose in and the file read, exit 3.
    import losslens.diagnosis

    monkeypatch.setattr(losslens.diagnosis, "diagnose_run", _raising(kind))
    log = FIXTURES / "logs" / "keras_csvlogger.csv"
    res = _cli(command, log, *(["-o", tmp_path / "r.png"] if command == "plot" else
                               ["-o", tmp_path / "r.html"] if command == "report" else []))
    err = res.stderr.strip()
    assert res.exit_code == 3 and "\n" not in err and "Traceback" not in res.output, (res.exit_code, err)
    assert err.startswith(f"losslens: internal error ({kind.__name__}"), err
    assert re.search(r", in losslens/commands/report\.py:\d+, reading " + re.escape(str(log)) + r"\)", err), err
    assert "please report it" in err and "--debug" in err


def test_debug_prints_the_internal_errors_traceback_and_ctrl_c_is_one_line(monkeypatch):
    import losslens.diagnosis

    log = FIXTURES / "logs" / "keras_csvlogger.csv"
    monkeypatch.setattr(losslens.diagnosis, "diagnose_run", _raising(TypeError))
    for args, env in ((["--debug", "diagnose", log], {}), (["diagnose", log], {"LOSSLENS_DEBUG": "1"})):
        res = runner.invoke(app, [str(a) for a in args], env=env)
        assert res.exit_code == 3 and "Traceback (most recent call last)" in res.stderr, res.stderr
        assert res.stderr.rstrip().splitlines()[-1].startswith("losslens: internal error (TypeError: a bug, in ")
    # Ctrl-C: typer ended it with exit 130 and nothing said; one line now, no traceback.
    monkeypatch.setattr(losslens.diagnosis, "diagnose_run", _raising(KeyboardInterrupt))
    res = _cli("diagnose", log)
    assert res.exit_code == 130 and res.stderr == "losslens: interrupted\n", res.stderr


@pytest.mark.parametrize("kind", ["TypeError", "SIGINT"])
def test_an_internal_error_or_ctrl_c_in_a_real_process_is_one_line(kind):
    import os
    import subprocess
    import sys

    # The console entry point in a process of its own; SIGINT is a real signal sent while the command runs.
    # A shell's background job (`make test &`, a CI step) starts with SIGINT ignored, which Python then leaves
    # so: the handler a terminal's Python starts with is put back, or the signal below would never arrive.
    code = ("import os, signal, sys, time\n"
            "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "import losslens.diagnosis\n"
            "def broken(run, **kwargs):\n"
            "    if sys.argv[1] == 'SIGINT':\n"
            "        os.kill(os.getpid(), signal.SIGINT)\n"
            "        time.sleep(30)\n"
            "    raise TypeError('a bug')\n"
            "losslens.diagnosis.diagnose_run = broken\n"
            "from losslens.cli import main\n"
            "main(sys.argv[2:])\n")
    log = FIXTURES / "logs" / "keras_csvlogger.csv"
    proc = subprocess.run([sys.executable, "-c", code, kind, "diagnose", str(log)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    if kind == "SIGINT":
        assert proc.returncode == 130 and proc.stderr == "losslens: interrupted\n", proc.stderr
    else:
        assert proc.returncode == 3 and proc.stderr.startswith("losslens: internal error (TypeError: a bug, in "), (
            proc.stderr)
        assert str(log) in proc.stderr


def test_a_decimal_comma_in_a_comma_separated_file_is_named_not_read_as_a_smaller_number(tmp_path):
    # A hand-edited Keras CSVLogger log, one val_loss typed the European way: the row split at its comma and was
    # cut to the header's width, so 1,5 was read as 1.0 with no word. (';'-separated with decimal commas, a
    # European spreadsheet's export, is read right: test_readers.)
    lines = (FIXTURES / "logs" / "keras_csvlogger.csv").read_text().splitlines()
    cells = lines[3].split(",")
    cells[-1] = "1,5"
    lines[3] = ",".join(cells)
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n")
    _refused(path, "data row 3", "decimal comma")


def test_a_european_spreadsheets_export_reads_the_same_numbers(tmp_path):
    # ';' between fields, ',' for the decimal point: read as the comma-separated original.
    src = FIXTURES / "logs" / "keras_csvlogger.csv"
    path = tmp_path / "history.csv"
    path.write_text(re.sub(r"(\d)\.(\d)", r"\1,\2", src.read_text().replace(",", ";")))
    [a], [b] = losslens.readers.read(src), losslens.readers.read(path)
    for key in a.series:
        np.testing.assert_allclose(b.series[key], a.series[key], equal_nan=True)


def test_a_cell_over_the_csv_modules_field_limit_is_one_line(tmp_path):
    # A line of 200,000 characters (no delimiter) 650 rows into an 800-epoch loop's CSV, past the rows sampled
    # for the columns' types: the cell-by-cell pass over the numbers split the rows with the csv module, whose
    # "field larger than field limit (131072)" came out as a traceback (the fuzz harness, benchmarks/fuzz.py).
    lines = (FIXTURES / "ecosystem" / "torch_forecast_long" / "relu_adam_bs512.csv").read_text().splitlines()
    lines.insert(650, "x" * 200_000)
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n")
    _refused(path, "field larger than field limit")


def test_a_control_character_in_a_quoted_column_name_stays_on_the_error_line(tmp_path):
    # A flipped byte made "validation" "validat\x1con" in scikit-learn's printed summary; the refusal quotes the
    # line it found, and \x1c (like \x85 or \u2028) ends a line for str.splitlines: the one line became two, the
    # second without 'losslens: ' (the fuzz harness, benchmarks/fuzz.py, seed 11). It is written as its escape.
    text = (FIXTURES / "ecosystem" / "sklearn_mlp_lr1" / "make.out").read_text()
    path = tmp_path / "make.out"
    path.write_text(text.replace("best validation", "be/t validat\x1con", 1))
    _refused(path, "printed results, not a training log", "validat\\x1con")
    res = _cli("diagnose", path)
    assert len(res.stderr.splitlines()) == 1 and res.stderr.startswith("losslens: "), res.stderr


def test_a_lightning_log_whose_training_rows_have_no_step_is_refused_without_a_numpy_warning(tmp_path):
    # Lightning's metrics.csv with its header's first name doubled: every column moves one to the right of its
    # values, and the training rows' "step" holds the empty train_loss_step cells. Looking for the rows
    # trainer.validate() wrote after fit, the reader took the largest step of no steps: numpy's "All-NaN slice
    # encountered" RuntimeWarning on the command's stderr, before its error line (the fuzz harness, seed 11).
    # Every row is then a cell short of the header: refused, as rows a cell too long are, not read shifted.
    lines = (FIXTURES / "ecosystem" / "lightning_ddpm" / "epochs80" / "metrics.csv").read_text().splitlines()
    lines[0] = "epoch," + lines[0]
    path = tmp_path / "metrics.csv"
    path.write_text("\n".join(lines) + "\n")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(LosslensError, match="data row 1 has 6 cells under 7 column names"):
            losslens.readers.read(path)


def test_a_header_missing_a_column_name_is_refused_not_read_shifted(tmp_path):
    # Keras' CSVLogger file with "accuracy" lost from its header: every row holds 5 numbers under 4 names. Cut to
    # the header's width, accuracy was read as the loss and the loss as val_accuracy: "diverged", train_loss
    # "195% above its starting value", with no word (the fuzz sweep's silent-answer check: a dropped column).
    lines = (FIXTURES / "logs" / "keras_csvlogger.csv").read_text().splitlines()
    assert lines[0].startswith("epoch,accuracy,")
    lines[0] = lines[0].replace("accuracy,", "", 1)
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n")
    _refused(path, "data row 1 has 5 cells under 4 column names")


def test_a_printed_log_with_decimal_commas_is_refused_not_read_as_their_integer_parts(tmp_path):
    # Ignite's printed "Avg loss: 1.68" written "Avg loss: 1,68": each value was read up to its comma, 1.68 as 1
    # and 0.83 as 0, and the run diagnosed "converged" at 0 with no word (the silent-answer check, benchmarks/fuzz.py's
    # "european" mutation; the original reads "overfitting").
    text = (FIXTURES / "ecosystem" / "ignite" / "stdout.txt").read_text()
    path = tmp_path / "stdout.txt"
    path.write_text(re.sub(r"(\d)\.(\d)", r"\1,\2", text))
    _refused(path, "'Avg accuracy' holds '0,89'")


def test_a_whitespace_table_whose_header_lost_a_name_is_refused_not_read_shifted(tmp_path):
    # DVCLive's val/loss.tsv ("step<TAB>loss") with "step" lost from its header: a one-name header, so the rows
    # were split at whitespace and numpy's loadtxt read only the first cell of each: the steps 0, 1, 2 ... as the
    # loss, diagnosed with no word (the silent-answer check, fuzz's drop_column). The fastai table's "time" cell
    # ("00:00") does not hide a lost name either: half a row's cells numbers is a row of numbers.
    src = FIXTURES / "ecosystem" / "dvclive" / "dvclive" / "plots" / "metrics" / "val" / "loss.tsv"
    lines = src.read_text().splitlines()
    assert lines[0] == "step\tloss"
    path = tmp_path / "loss.tsv"
    path.write_text("\n".join(["loss", *lines[1:]]) + "\n")
    _refused(path, "data row 1 has 2 cells under 1 column names")
    lines = (FIXTURES / "ecosystem" / "fastai" / "history_big_lr.csv").read_text().splitlines()
    path = tmp_path / "history_big_lr.csv"
    path.write_text("\n".join([lines[0].replace("train_loss,", ""), *lines[1:]]) + "\n")
    _refused(path, "data row 1 has 5 cells under 4 column names")


KERAS_CSV = FIXTURES / "logs" / "keras_csvlogger.csv"


def _keras_rows(edit) -> str:
    """keras_csvlogger.csv with ``edit(lines)`` applied to its lines (header first)."""
    lines = KERAS_CSV.read_text().splitlines()
    edit(lines)
    return "\n".join(lines) + "\n"


def test_a_header_name_written_twice_over_other_values_is_refused(tmp_path):
    """`epoch,loss,loss,...` where CSVLogger wrote `epoch,accuracy,loss,...`: read as loss and loss_2, the
    accuracy became the loss (0.14 -> 0.99 read as a loss climbing), without a word."""
    path = tmp_path / "keras_csvlogger.csv"
    path.write_text(_keras_rows(lambda lines: lines.__setitem__(0, lines[0].replace("accuracy,loss", "loss,loss", 1))))
    _refused(path, "'loss'", "twice")


def test_a_column_written_twice_with_its_name_still_reads(tmp_path):
    """The same name over the same values is one column written twice: read as before."""
    def twice(lines):
        for i, line in enumerate(lines):
            lines[i] = line + "," + line.split(",")[2]
    path = tmp_path / "keras_csvlogger.csv"
    path.write_text(_keras_rows(twice))
    assert path.read_text().splitlines()[0].endswith(",loss,val_accuracy,val_loss,loss")
    want, got = losslens.read(KERAS_CSV)[0], losslens.read(path)[0]
    np.testing.assert_array_equal(got.series["train_loss"], want.series["train_loss"])
    assert losslens.diagnose(path).verdict == losslens.diagnose(KERAS_CSV).verdict


def _drop_last_cell(lines, rows):
    for i in rows:
        lines[i] = lines[i].rsplit(",", 1)[0]


def test_rows_that_lost_a_cell_are_said_or_refused(tmp_path, caplog):
    """Rows shorter than the header were padded without a word. A few are said in one line; half the rows or
    more (as for rows too long) are refused; a last row cut short (a log being written) reads, said."""
    n = len(KERAS_CSV.read_text().splitlines()) - 1
    few = tmp_path / "few.csv"
    few.write_text(_keras_rows(lambda lines: _drop_last_cell(lines, [3])))
    last = tmp_path / "last.csv"
    last.write_text(_keras_rows(lambda lines: _drop_last_cell(lines, [len(lines) - 1])))
    for path, row in ((few, 3), (last, n)):
        caplog.clear()
        with caplog.at_level("WARNING", logger="losslens"):
            run = losslens.read(path)[0]
        said = [r.getMessage() for r in caplog.records if r.name == "losslens" and "cells under" in r.getMessage()]
        assert len(said) == 1 and str(path) in said[0] and f"data row {row} has 4 cells under 5" in said[0], said
        assert len(run.series["train_loss"]) == n
    many = tmp_path / "many.csv"
    many.write_text(_keras_rows(lambda lines: _drop_last_cell(lines, range(1, len(lines), 2))))
    _refused(many, "data row 1 has 4 cells under 5 column names")


def test_a_warning_escapes_control_characters_as_error_lines_do(tmp_path, caplog):
    """A file name holding a carriage return or a terminal code split or hid the warning line on stderr."""
    path = tmp_path / "run\x1b[2K\rx.csv"
    path.write_text(KERAS_CSV.read_text().rstrip("\n")[:-40])  # a last line cut mid-write, no newline
    with caplog.at_level("WARNING", logger="losslens"):
        losslens.read(path)
    said = [r.getMessage() for r in caplog.records if r.name == "losslens"]
    assert said and "cut off mid-write" in said[0], said
    assert "\r" not in said[0] and "\x1b" not in said[0] and "run\\x1b[2K\\rx.csv" in said[0], said


def _history_train(tmp_path, body: str) -> Path:
    hist = json.loads((FIXTURES / "logs" / "keras_history.json").read_text())
    path = tmp_path / "train.py"
    path.write_text(f"HIST = {hist!r}\n\n{body}")
    return path


def test_verify_calls_losslens_s_own_type_error_a_bug_not_bad_input(tmp_path, monkeypatch):
    """A TypeError from inside verification (a losslens bug) was exit 2, "bad input"; it is exit 3. The user's
    train that verify cannot call, and an unknown --cause, are still one line, exit 2."""
    import losslens.verification

    script = _history_train(tmp_path, "def train(lr_factor=1.0):\n    return HIST\n")

    def broken(*args, **kwargs):
        raise TypeError("unsupported operand type(s) for +: 'NoneType' and 'float'")

    with monkeypatch.context() as m:
        m.setattr(losslens.verification, "verify", broken)
        res = _cli("verify", f"{script}:train")
    assert res.exit_code == 3 and "internal error (TypeError" in res.stderr, res.output
    res = _cli("verify", f"{script}:train", "--cause", "no_such_cause")
    assert res.exit_code == 2 and "unknown cause 'no_such_cause'" in res.stderr, res.output
    wrong = _history_train(tmp_path, "def train(lr, lr_factor=1.0):\n    return HIST\n")
    res = _cli("verify", f"{wrong}:train")
    lines = res.stderr.strip().splitlines()
    assert res.exit_code == 2 and len(lines) == 1 and "train() requires 'lr'" in lines[0], res.output


def test_a_catboost_iteration_that_is_no_record_is_refused_not_an_internal_error(tmp_path):
    """The fuzz sweep (seed 11): CatBoost's catboost_training.json with one iteration damaged into a bare number
    gave "internal error (AttributeError: 'float' object has no attribute 'get')", exit 3, as if a losslens bug."""
    obj = json.loads((FIXTURES / "ecosystem" / "catboost" / "catboost_info" / "catboost_training.json").read_text())
    obj["iterations"][3] = 0.5
    path = tmp_path / "catboost_training.json"
    path.write_text(json.dumps(obj))
    _refused(path, "an iteration is float 0.5, not a record")


def test_a_stump_after_na_rows_is_a_cut_line_and_a_validation_loss_ending_at_0_is_no_crash(tmp_path):
    """The fuzz sweep (seed 3): a Keras CSVLogger log with validation every 5 epochs (``NA`` between), cut mid-write
    in its last validation value (``74,0.0934,0`` of ``0.0911…``), was read with a validation loss of 0 — "converged
    ... now 0" — and `plot` hit a ZeroDivisionError quoting training's end as validation's over a ratio of 0. The
    stump is now measured against the latest row holding a number in that column and left out with the warning; a
    validation loss that really ends at 0 (the line complete) is diagnosed."""
    real = FIXTURES / "ecosystem" / "keras_validation_freq" / "w64.csv"
    lines = real.read_text().splitlines(keepends=True)
    last = max(i for i, line in enumerate(lines) if i < 80 and not line.rstrip().endswith(",NA") and i > 0)
    epoch, train, val = lines[last].rstrip("\r\n").split(",")
    cut = tmp_path / "w64.csv"
    cut.write_text("".join(lines[:last]) + f"{epoch},{train},{val[0]}")
    whole = tmp_path / "w64_before.csv"
    whole.write_text("".join(lines[:last]))
    res = _cli("diagnose", "--json", cut)
    assert res.exit_code == 0, (res.exit_code, res.stderr)
    got, want = json.loads(res.stdout), json.loads(_cli("diagnose", "--json", whole).stdout)
    assert any("cut off mid-write" in note for note in got["notes"]), got["notes"]
    assert got["verdict"] == want["verdict"] and got["plateau_epoch"] == want["plateau_epoch"]
    assert got["length"] == want["length"] and not any("now 0 " in e for c in got["causes"] for e in c["evidence"])
    zero = tmp_path / "w64_zero.csv"
    zero.write_text("".join(lines[:last]) + f"{epoch},{train},0.0\n")
    for command in ("diagnose", "plot"):
        res = _cli(command, zero, *(["-o", tmp_path / "z.png"] if command == "plot" else []))
        assert res.exit_code == 0 and "internal error" not in res.stderr, (command, res.exit_code, res.stderr)


def _cut_after_newline_cases(text: str, last_field: str) -> list[str]:
    """``text`` cut inside the last ``last_field`` number of its last line, at every point the number can be cut
    at (``0.4960`` -> ``0``, ``0.``, ``0.4``, ``0.49``, ``0.496``), a newline added after each."""
    body = text.rstrip("\n")
    start = body.rindex(last_field) + len(last_field)
    number = re.match(r"[-\d.e+]+%?", body[start:]).group(0)
    return [body[:start + k] + "\n" for k in range(1, len(number.rstrip("%")))]


def test_a_printed_log_with_windows_line_ends_cut_mid_number_then_ended_is_left_out(tmp_path, caplog):
    """The torch loop's printed log saved with Windows line ends (``\\r\\n``), cut mid-number and ended: the lines
    before the stump were read as what follows their last "\\r" (nothing), no line had the stump's shape, and
    ``Val Loss: 1.0`` under ``Val Loss: 1.0890``'s format was read as 1.0, in silence."""
    text = (FIXTURES / "logs" / "printed_epochs.txt").read_text()
    keep = text.rstrip("\n")
    whole = tmp_path / "whole.txt"
    whole.write_bytes(keep[:keep.rindex("\n") + 1].replace("\n", "\r\n").encode())
    [expected] = losslens.readers.read(whole)
    for i, case in enumerate(_cut_after_newline_cases(text, "Val Loss: ")):
        path = tmp_path / f"cut{i}.txt"
        path.write_bytes(case.replace("\n", "\r\n").encode())
        caplog.clear()
        with caplog.at_level("WARNING", logger="losslens"):
            [run] = losslens.readers.read(path)
        said = [r.getMessage() for r in caplog.records if r.name == "losslens"]
        assert len(said) == 1 and "cut off mid-write" in said[0], (case[-30:], said)
        np.testing.assert_array_equal(run.series["val_loss"], expected.series["val_loss"])


def test_a_printed_log_cut_mid_number_then_ended_is_left_out_with_the_warning(tmp_path, caplog):
    """What Keras (``fit(verbose=2)``) and a PyTorch loop printed, cut mid-number with a newline after the stump
    (a shell or ``tee`` closing the stream): ``loss: 0.2`` where the log prints every loss as ``0.2638`` was read as
    0.2, in silence; ``0.`` as a loss of 0. The stump is now left out with the cut-line warning, and the run is the
    one the whole lines make. A short last value in a log whose format drops zeros (``round(loss, 4)``: ``1.21``),
    and a Keras ``evaluate`` line after ``fit`` (whole numbers, fewer fields) are no cut: read, no warning."""
    cases = [("printed_keras_val_improvement.txt", "loss: "),     # Keras fit continued without validation
             ("printed_keras_val_improvement.txt", "val_loss: "),  # its first fit's last line, with validation
             ("printed_epochs.txt", "Val Acc: "), ("printed_epochs.txt", "Val Loss: "),   # a torch loop's print
             # nanoGPT's evaluation line (six in the log, no padded zero among them: its iter lines show the %.4f)
             ("printed_nanogpt.txt", "val loss ")]
    for name, field in cases:
        text = (FIXTURES / "logs" / name).read_text()
        if field == "val_loss: ":  # (the first fit's lines only)
            text = text[:text.index("Epoch 17/22")]
        keep = text.rstrip("\n")
        whole = tmp_path / "whole.txt"
        whole.write_text(keep[:keep.rindex("\n") + 1])
        [expected] = losslens.readers.read(whole)
        cuts = _cut_after_newline_cases(text, field)
        assert len(cuts) >= 3
        for i, case in enumerate(cuts):
            path = tmp_path / f"cut{i}.txt"
            path.write_text(case)
            before = _sha(path)
            caplog.clear()
            with caplog.at_level("WARNING", logger="losslens"):
                [run] = losslens.readers.read(path)
            said = [r.getMessage() for r in caplog.records if r.name == "losslens"]
            assert len(said) == 1 and str(path) in said[0] and "cut off mid-write" in said[0], (case[-30:], said)
            assert run.series.keys() == expected.series.keys()
            for k in expected.series:
                np.testing.assert_array_equal(run.series[k], expected.series[k])
            assert _sha(path) == before
        # The whole log, and it cut after a whole line, say nothing.
        for path in (FIXTURES / "logs" / name, whole):
            caplog.clear()
            with caplog.at_level("WARNING", logger="losslens"):
                losslens.readers.read(path)
            assert not [r for r in caplog.records if r.name == "losslens"], path

    lines = [f"epoch {e} loss {round(v, 4)} val_loss {round(v * 1.1, 4)}"
             for e, v in enumerate([2.3104, 1.8923, 1.5637, 1.2481, 1.1])]
    assert lines[-1].endswith("val_loss 1.21")
    rounded = tmp_path / "rounded.txt"
    rounded.write_text("\n".join(lines) + "\n")
    evaluated = tmp_path / "evaluated.txt"
    text = (FIXTURES / "logs" / "printed_keras_val_improvement.txt").read_text()
    evaluated.write_text(text + "4/4 - 0s - 5ms/step - accuracy: 0.9410 - loss: 0.2711\n")
    runs = []
    for p in (rounded, evaluated):
        caplog.clear()
        with caplog.at_level("WARNING", logger="losslens"):
            runs += losslens.readers.read(p)
        assert not [r for r in caplog.records if r.name == "losslens"], p
    assert runs[0].series["val_loss"][-1] == pytest.approx(1.21)


def test_a_gzip_compressed_pickle_through_a_pipe_is_refused_before_its_end(tmp_path):
    """``joblib.dump(a, f, compress="gzip")`` of a 20000-float array, streamed through a pipe whose writer has not
    closed it: the gzip, bz2 and xz pickles were refused only after the whole file was read (to the pipe's end,
    or a checkpoint's gigabytes), the other binaries from their first 64 KiB. All are refused from the head now."""
    import threading

    joblib = pytest.importorskip("joblib")
    from losslens.exceptions import UnknownFormatError

    dumped = tmp_path / "a.joblib"
    joblib.dump(np.random.default_rng(0).normal(size=20000), dumped, compress="gzip")
    fifo = tmp_path / "model.joblib"
    os.mkfifo(fifo)
    release = threading.Event()

    def write():
        try:
            with open(fifo, "wb") as fh:
                fh.write(dumped.read_bytes())
                fh.flush()
                release.wait(60)  # (held open: a reader that reads to the end waits here)
        except BrokenPipeError:  # (the reader stopped at the head and closed its end: what is asked)
            pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    said = []

    def read():
        try:
            losslens.read(fifo)
        except UnknownFormatError as exc:
            said.append(str(exc))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)
    finished = not reader.is_alive()
    release.set()
    reader.join(20)
    assert finished, "read to the pipe's end before refusing the pickle"
    assert said and "gzip-compressed" in said[0], said
