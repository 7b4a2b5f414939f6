"""A history as a new user saves it, read as the library's own log of the same run is (folders under
tests/fixtures/ecosystem/, each with the script that wrote it).

- keras_pandas_json: a Keras History saved with pandas, ``pd.DataFrame(history.history).to_json("history.json")``
  (the usual answer to "how do I save a Keras history"). pandas' default layout, ``orient="columns"``, is a dict
  of dicts keyed by the row index; losslens refused it ("a JSON object without history, log_history or lists
  of values"), and read ``orient="split"`` as a table whose columns were ``columns``, ``index`` and ``data``.
- torch_printed_tutorial: a PyTorch loop printing the PyTorch tutorials' block per epoch ("Epoch: 01 | Epoch
  Time: 0m 0s" then "Train Loss: ... | Train Acc: ...%" and " Val. Loss: ... |  Val. Acc: ...%" below it) was
  "not a training log: no numeric columns (found: Epoch: 01, Epoch Time: 0m 0s)", and "Val. Loss" was no
  validation loss; one printing "[Epoch 1] Training loss: ..." was "unreadable JSON" (its opening bracket).
"""
import csv
import json

import pytest

import losslens
from losslens.cli import app
from typer.testing import CliRunner

ECO = __import__("pathlib").Path(__file__).parent / "fixtures" / "ecosystem"
KPJ = ECO / "keras_pandas_json"


@pytest.mark.parametrize("name", ["history.json", "history_index.json", "history_split.json", "history_table.json"])
def test_a_history_pandas_wrote_as_json_reads_as_the_csvlogger_log(name):
    with open(KPJ / "history.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    run = losslens.read(KPJ / name)[0]
    assert set(run.series) >= {"train_loss", "val_loss", "train_acc", "val_acc"}
    assert list(run.axis) == [float(r["epoch"]) for r in rows]
    assert run.series["val_loss"] == pytest.approx([float(r["val_loss"]) for r in rows], rel=1e-6)
    assert run.series["train_acc"] == pytest.approx([float(r["accuracy"]) for r in rows], rel=1e-6)
    d, ref = losslens.diagnose(KPJ / name), losslens.diagnose(KPJ / "history.csv")
    assert (d.verdict, d.plateau_epoch) == (ref.verdict, ref.plateau_epoch)


def test_the_default_pandas_layout_is_what_the_file_holds():
    obj = json.loads((KPJ / "history.json").read_text())
    assert set(obj) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert list(obj["loss"])[:3] == ["0", "1", "2"]  # a dict of dicts keyed by the row index


def test_the_cli_diagnoses_the_pandas_json():
    res = CliRunner().invoke(app, ["diagnose", str(KPJ / "history.json"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output.splitlines()[0])
    assert out["metric"] == "val_loss" and out["length"] == 40


def test_a_json_object_that_is_no_frame_is_still_refused_in_one_line(tmp_path):
    p = tmp_path / "final.json"
    p.write_text(json.dumps({"train": {"loss": 0.2, "acc": 0.9}, "val": {"loss": 0.3, "acc": 0.8}}))
    res = CliRunner().invoke(app, ["diagnose", str(p)])
    assert res.exit_code == 2
    assert "final.json" in res.output and "Traceback" not in res.output


TPT = ECO / "torch_printed_tutorial"


def _csv(name):
    with open(TPT / name, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {k: [float(r[k]) for r in rows] for k in rows[0]}


@pytest.mark.parametrize("name, digits", [("train.log", 3), ("bracket.log", 4)])
def test_a_loop_printing_a_tutorials_epoch_lines_reads_as_its_csv(name, digits):
    ref = _csv("history.csv")
    run = losslens.read(TPT / name)[0]
    assert list(run.axis) == ref["epoch"]
    tol = 0.51 * 10 ** -digits
    assert run.series["val_loss"] == pytest.approx(ref["val_loss"], abs=tol)
    assert run.series["train_loss"] == pytest.approx(ref["train_loss"], abs=tol)
    scale = 100 if name == "train.log" else 1  # "Val. Acc: 72.33%"
    assert run.series["val_acc"] == pytest.approx([scale * v for v in ref["val_acc"]], abs=scale * tol)
    d, want = losslens.diagnose(TPT / name), losslens.diagnose(TPT / "history.csv")
    assert (d.verdict, d.metric, d.plateau_epoch) == (want.verdict, want.metric, want.plateau_epoch)


def test_the_tutorial_log_piped_in_reads_the_same():
    res = CliRunner().invoke(app, ["diagnose", "-", "--json"], input=(TPT / "train.log").read_text())
    assert res.exit_code == 0, res.output
    assert json.loads(res.output.splitlines()[0])["metric"] == "val_loss"


def test_text_that_opens_with_a_bracket_but_is_no_log_says_so_not_json(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("[INFO] starting the job\n[INFO] nothing else happened here\n")
    res = CliRunner().invoke(app, ["diagnose", str(p)])
    assert res.exit_code == 2 and "notes.txt" in res.output
    assert "JSON" not in res.output

