"""Damaged records in the text formats: doubled names and keys, lists of different lengths, records repeated
over other values, steps going back, values of the wrong type, a printed line cut mid-number. Each case is a
damaged copy of a committed fixture (written by the library itself); each either reads as the undamaged file
does, or with one warning where something was left out, or is refused in one line naming the file (exit 2):
never another diagnosis in silence (docs/reading.md, "Damaged records")."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import losslens
from losslens.cli import app

FIXTURES = Path(__file__).resolve().parent / "fixtures"
runner = CliRunner()


def _refused(path: Path, *words: str) -> str:
    """``diagnose`` and ``diagnose --json``: exit 2, one line naming the file and the problem; the file unchanged."""
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    for cmd in (["diagnose"], ["diagnose", "--json"]):
        res = runner.invoke(app, [*cmd, str(path)], catch_exceptions=True)
        assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
        err = res.stderr.strip()
        assert res.exit_code == 2, (cmd, res.exit_code, res.output)
        assert "\n" not in err and err.startswith(f"losslens: {path}: "), err
        for w in words:
            assert w in err, err
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    return err


def _reading(path: Path) -> dict:
    d = losslens.diagnose(path).to_dict()
    for key in ("source", "run"):  # (a trainer_state.json's run is named by its folder)
        d.pop(key)
    return d


def _same_as_original(original: Path, damaged: Path, tmp_path: Path, warned: bool = False) -> dict:
    """The damaged copy's diagnosis equals the undamaged file's, number for number; its notes too unless
    ``warned`` (then they hold one more)."""
    clean = tmp_path / "clean" / damaged.name
    clean.parent.mkdir()
    shutil.copy(original, clean)
    got, want = _reading(damaged), _reading(clean)
    notes = got.pop("notes"), want.pop("notes")
    assert got == want
    assert len(notes[0]) == len(notes[1]) + warned, notes
    return {**got, "notes": notes[0]}


# -- tables: a doubled name ----------------------------------------------------------------------------

def test_a_doubled_non_curve_column_over_other_values_is_refused(tmp_path):
    # Lightning's beta-VAE log: "beta" written over the "epoch" column (epoch,beta -> beta,beta) read the betas
    # as a metric and the file on the step axis, another X, in silence.
    src = FIXTURES / "ecosystem" / "lightning_vae" / "beta1_wide" / "metrics.csv"
    lines = src.read_text().splitlines(True)
    names = lines[0].rstrip("\n").split(",")
    assert names[:2] == ["beta", "epoch"]
    path = tmp_path / "metrics.csv"
    path.write_text(",".join(["beta", "beta", *names[2:]]) + "\n" + "".join(lines[1:]))
    _refused(path, "'beta' is in the header twice, over different values", "columns 1 and 2")


def test_a_column_written_twice_over_the_same_values_is_read_once(tmp_path):
    # A Keras CSVLogger file whose val_accuracy column was written twice: kept as val_accuracy_2, it changed the
    # diagnosis; it is one column.
    src = FIXTURES / "ecosystem" / "fresh_kinds" / "cf_dropout0.csv"
    rows = [line.rstrip("\n").split(",") for line in src.read_text().splitlines(True)]
    j = rows[0].index("val_accuracy")
    path = tmp_path / src.name
    path.write_text("".join(",".join(r[:j + 1] + [r[j]] + r[j + 1:]) + "\n" for r in rows))
    _same_as_original(src, path, tmp_path)


# -- JSON: a key twice in one object -------------------------------------------------------------------

def test_a_curve_key_twice_in_a_keras_history_is_refused_alike_read_once(tmp_path):
    # {"val_accuracy": [...], "val_accuracy": [the val_loss values]}: json keeps the last; the history lost its
    # validation loss and read no_signal.
    src = FIXTURES / "logs" / "keras_history.json"
    text = src.read_text()
    path = tmp_path / "keras_history.json"
    path.write_text(text.replace('"val_loss":', '"val_accuracy":', 1))
    _refused(path, "key 'val_accuracy' is in one object twice, over different values")
    # Written twice over the same values, the key is one key.
    path.write_text(text.rstrip()[:-1] + ', "loss": ' + json.dumps(json.loads(text)["loss"]) + "}")
    _same_as_original(src, path, tmp_path)


def test_a_curve_key_twice_in_a_json_lines_record_names_the_line(tmp_path):
    # torch_loop.jsonl, line 13 {"step": 55, ..., "loss": 2.22, "loss": 4.44}: read as 4.44, stuck_at_init.
    lines = (FIXTURES / "logs" / "torch_loop.jsonl").read_text().splitlines()
    record = json.loads(lines[12])
    lines[12] = lines[12][:-1] + f', "loss": {record["loss"] * 2}}}'
    path = tmp_path / "torch_loop.jsonl"
    path.write_text("\n".join(lines) + "\n")
    _refused(path, "line 13: key 'loss' is in one object twice")


def test_another_key_twice_is_one_warning(tmp_path, caplog):
    # MMEngine's scalars.json with a record's "time" (not read) written twice: the reading stands, said once.
    src = FIXTURES / "ecosystem" / "mmengine" / "scalars.json"
    lines = src.read_text().splitlines()
    record = json.loads(lines[60])
    lines[60] = lines[60][:-1] + f', "time": {record["time"] * 2}}}'
    path = tmp_path / src.name
    path.write_text("\n".join(lines) + "\n")
    with caplog.at_level(logging.WARNING, logger="losslens"):
        got = _same_as_original(src, path, tmp_path, warned=True)
    said = [r.getMessage() for r in caplog.records if str(path) in r.getMessage()]
    assert len(said) == 1 and "line 61: key 'time' is in one object twice" in said[0], said
    assert any("'time' is in one object twice" in n for n in got["notes"])


# -- JSON: values of the wrong type ----------------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [("true", "true"), ("[2.22]", "[2.22]")])
def test_a_true_or_a_list_among_a_loss_s_numbers_is_refused(tmp_path, value, shown):
    # "loss": true was read as 1.0 (stuck_at_init), "loss": [2.22] as a gap.
    lines = (FIXTURES / "logs" / "torch_loop.jsonl").read_text().splitlines()
    record = json.loads(lines[12])
    record["loss"] = json.loads(value)
    lines[12] = json.dumps(record)
    path = tmp_path / "torch_loop.jsonl"
    path.write_text("\n".join(lines) + "\n")
    _refused(path, f"'loss' holds {shown} in record 13 among numbers")


def test_a_true_in_a_trainer_state_loss_is_refused(tmp_path):
    src = FIXTURES / "logs" / "hf_output" / "trainer_state.json"
    state = json.loads(src.read_text())
    state["log_history"][8]["loss"] = True  # read as 1.0: still_improving where the run converged
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps(state, indent=2))
    _refused(path, "'loss' holds true in record 9 among numbers")


# -- Keras History: lists of different lengths ------------------------------------------------------------

@pytest.mark.parametrize("key, cut, words", [
    ("loss", slice(1, None), "'loss' holds 5 values, 'accuracy' 6"),       # the first value lost
    ("accuracy", slice(None, -1), "'accuracy' holds 5 values, 'loss' 6"),  # the last
    ("val_loss", slice(1, None), "'val_loss' holds 2 values, 'val_accuracy' 3"),
])
def test_a_keras_history_whose_lists_lost_a_value_is_refused(tmp_path, key, cut, words):
    # Aligned from epoch 0, a list that lost its first value read each later one an epoch early.
    hist = json.loads((FIXTURES / "logs" / "keras_history.json").read_text())
    hist[key] = hist[key][cut]
    path = tmp_path / "keras_history.json"
    path.write_text(json.dumps(hist))
    _refused(path, words)


# -- trainer_state.json: steps going back, a curve twice at a step -------------------------------------

def _trainer_state(tmp_path, edit) -> Path:
    src = FIXTURES / "ecosystem" / "hf_evaluate" / "trainer_state.json"
    state = json.loads(src.read_text())
    state["log_history"] = edit(state["log_history"])
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps(state, indent=2))
    return path


def test_a_trainer_state_whose_step_goes_back_is_refused(tmp_path):
    # An eval record moved to step 10 (X moved from step 10 to 20 in silence), or the history's first third
    # written again after its end (read converged where it overfits).
    def back(log):
        i = [k for k, r in enumerate(log) if "eval_loss" in r][13]
        log[i]["step"] = 10
        return log
    _refused(_trainer_state(tmp_path, back), "log_history goes back from step 140 (record 41) to step 10 (record 42)")
    _refused(_trainer_state(tmp_path, lambda log: log + log[:25]), "log_history goes back from step 250")


def test_a_trainer_state_logging_eval_loss_twice_at_a_step_is_refused_alike_read_once(tmp_path):
    def twice(factor):
        def edit(log):
            i = [k for k, r in enumerate(log) if "eval_loss" in r][13]
            return log[:i + 1] + [dict(log[i], eval_loss=log[i]["eval_loss"] * factor)] + log[i + 1:]
        return edit
    _refused(_trainer_state(tmp_path, twice(1.5)), "logs eval_loss twice at step 140, over different values")
    src = FIXTURES / "ecosystem" / "hf_evaluate" / "trainer_state.json"
    _same_as_original(src, _trainer_state(tmp_path, twice(1.0)), tmp_path)


# -- JSON Lines: a record repeated over other values; MMEngine records cut short ----------------------

def test_a_json_lines_record_written_twice_over_another_loss_is_refused(tmp_path):
    # torch_loop.jsonl's record at step 55 written again with loss x1.5: read stuck_at_init, X at epoch 0.
    src = FIXTURES / "logs" / "torch_loop.jsonl"
    lines = src.read_text().splitlines()
    record = json.loads(lines[12])
    path = tmp_path / src.name
    path.write_text("\n".join([*lines[:13], json.dumps(dict(record, loss=record["loss"] * 1.5)), *lines[13:]]) + "\n")
    _refused(path, "records 13 and 14 are one record written twice (step 55, epoch 2)", "of loss")
    path.write_text("\n".join([*lines[:13], lines[12], *lines[13:]]) + "\n")  # written twice alike: read once
    _same_as_original(src, path, tmp_path)


@pytest.mark.parametrize("key, words", [
    ("epoch", "training record 61 has no epoch, where the others do"),  # read on the iteration axis: X 120 for 12
    ("iter", "record 61 has an epoch but no iter"),  # read as a validation loss of 0.007 at epoch 205
])
def test_an_mmengine_record_cut_short_is_refused(tmp_path, key, words):
    src = FIXTURES / "ecosystem" / "mmengine" / "scalars.json"
    lines = src.read_text().splitlines()
    record = json.loads(lines[60])
    del record[key]
    lines[60] = json.dumps(record)
    path = tmp_path / src.name
    path.write_text("\n".join(lines) + "\n")
    _refused(path, words)


def test_a_word_for_an_mmengine_epoch_names_the_file(tmp_path):
    # Was "losslens: could not convert string to float: 'abc'", no file named.
    src = FIXTURES / "ecosystem" / "mmengine" / "scalars.json"
    lines = src.read_text().splitlines()
    lines[60] = json.dumps(dict(json.loads(lines[60]), epoch="abc"))
    path = tmp_path / src.name
    path.write_text("\n".join(lines) + "\n")
    _refused(path, "'epoch' holds 'abc' in record 61 among numbers")


# -- printed logs: the last line cut mid-number ------------------------------------------------------------

@pytest.mark.parametrize("name, stump", [
    ("printed_llmc.txt", "val loss 2.7"),                # its last val line 50 training lines after the one before
    ("printed_fairseq.txt", "accuracy 87."),             # cut where the line goes on ("| num_updates 240")
    ("printed_epochs.txt", "Val Acc: 87."),              # "87." where the others print "85.93%"
])
def test_a_printed_log_cut_mid_number_leaves_the_stump_out(tmp_path, caplog, name, stump):
    # A killed writer's last line, no newline after it: "val loss 2.7" for 2.790882 was read as a value.
    src = FIXTURES / "logs" / name
    text = src.read_text().rstrip("\n")
    cut = text.rindex(stump) + len(stump)
    path = tmp_path / name
    path.write_text(text[:cut])
    with caplog.at_level(logging.WARNING, logger="losslens"):
        run = losslens.read(path)[0]
    assert any("the last line was cut off mid-write" in r.getMessage() and stump[-8:] in r.getMessage()
               for r in caplog.records), [r.getMessage() for r in caplog.records]
    whole = tmp_path / "whole" / name
    whole.parent.mkdir()
    whole.write_text(text[:text.rindex("\n")] + "\n")  # the file without its last line
    assert run.axis.tolist() == losslens.read(whole)[0].axis.tolist()


# -- a record or an epoch written twice: MMEngine's scalars.json refuses it, a printed Keras log reads the later ---

def test_an_mmengine_training_record_written_again_over_another_loss_is_refused_alike_read_once(tmp_path):
    # scalars.json's record at step 205 (epoch 21) written again with loss x1.5 was averaged into epoch 21 in
    # silence. The runner writes each iteration once and a resumed run into a new <timestamp>/vis_data/.
    src = FIXTURES / "ecosystem" / "mmengine" / "scalars.json"
    lines = src.read_text().splitlines()
    record = json.loads(lines[60])
    path = tmp_path / src.name
    path.write_text("\n".join([*lines[:61], json.dumps(dict(record, loss=record["loss"] * 1.5)), *lines[61:]]) + "\n")
    _refused(path, "records 61 and 62 are one training record written twice (step 205) over different values of "
                   "loss (0.00699253 and 0.0104888)")
    # the same record again further on: the step goes back (two runs' files joined)
    path.write_text("\n".join([*lines[:70], lines[60], *lines[70:]]) + "\n")
    _refused(path, "training record 71 goes back to step 205 from step 235 (record 70)")
    # written twice alike (its timing aside: not read): once in its epoch's mean, the reading unchanged
    path.write_text("\n".join([*lines[:61], json.dumps(dict(record, time=record["time"] * 2)), *lines[61:]]) + "\n")
    _same_as_original(src, path, tmp_path)
    # Under an iteration-based loop every validation row's step is 0 (the epoch counter): by design, read.
    [run] = losslens.read(FIXTURES / "ecosystem" / "mmengine" / "work_dir_iters")
    assert run.has("val_loss") and np.isfinite(run.get("val_loss")).sum() >= 3


def test_a_printed_keras_epoch_written_again_over_other_values_reads_the_later_with_a_warning(tmp_path, caplog):
    # verbose2.txt with "Epoch 13/40" and its line printed again, loss x1.5: the later was read in silence. Keras
    # prints an epoch twice where fit(initial_epoch=12) resumed at it: the resumed-run rule, later read, said once.
    src = FIXTURES / "ecosystem" / "keras_console" / "verbose2.txt"
    lines = src.read_text().splitlines()
    i = lines.index("Epoch 13/40")
    first = float(re.search(r" loss: ([\d.]+)", lines[i + 1]).group(1))
    again = re.sub(r" loss: [\d.]+", f" loss: {first * 1.5:.4f}", lines[i + 1], count=1)
    path = tmp_path / src.name
    path.write_text("\n".join([*lines[:i + 2], lines[i], again, *lines[i + 2:]]) + "\n")
    with caplog.at_level(logging.WARNING, logger="losslens"):
        run = losslens.read(path)[0]
    said = [r.getMessage() for r in caplog.records if str(path) in r.getMessage()]
    assert len(said) == 1 and "Epoch 13 printed twice over other values (lines 25 and 27): the later read" in said[0]
    loss = run.get("train_loss")
    assert len(loss) == 40 and loss[12] == pytest.approx(round(first * 1.5, 4))
    d = losslens.diagnose(path).to_dict()
    assert any("Epoch 13 printed twice" in n for n in d["notes"])
    # printed twice alike (a line pasted twice): read once, in silence
    path.write_text("\n".join([*lines[:i + 2], lines[i], lines[i + 1], *lines[i + 2:]]) + "\n")
    _same_as_original(src, path, tmp_path)


def test_a_csvlogger_epoch_written_again_in_place_reads_the_later_with_a_warning_as_a_printed_one(tmp_path, caplog):
    # The example CSVLogger log (80 epochs) with epoch 10's row written again right after itself, loss x1.5, the count
    # not going back (0 ... 10 10 11 ...): fit(initial_epoch=10) resumed at the epoch it had just logged, or a
    # callback run again. The later was read in silence (Run's merge of rows at one epoch); a printed Keras epoch
    # so is the later read with one warning, and a table now says it alike.
    src = Path(losslens.__file__).parent / "examples" / "keras_csvlogger.csv"
    lines = src.read_text().splitlines()
    fields = lines[11].split(",")
    assert fields[0] == "10"
    header = lines[0].split(",")
    again = ",".join(f"{float(v) * 1.5!r}" if name == "loss" else v for name, v in zip(header, fields))
    path = tmp_path / src.name
    path.write_text("\n".join([*lines[:12], again, *lines[12:]]) + "\n")
    with caplog.at_level(logging.WARNING, logger="losslens"):
        run = losslens.read(path)[0]
    said = [r.getMessage() for r in caplog.records if str(path) in r.getMessage()]
    assert len(said) == 1 and "epoch 10 written twice over other values (rows 11 and 12): the later read" in said[0]
    loss = run.get("train_loss")
    assert len(loss) == 80 and loss[10] == pytest.approx(float(fields[header.index("loss")]) * 1.5)
    assert any("epoch 10 written twice" in n for n in losslens.diagnose(path).to_dict()["notes"])
    # written twice alike (a row written twice): read once, in silence
    path.write_text("\n".join([*lines[:12], lines[11], *lines[12:]]) + "\n")
    _same_as_original(src, path, tmp_path)
