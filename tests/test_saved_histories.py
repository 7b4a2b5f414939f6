"""A history as a new user saves it, read as the library's own log of the same run is (folders under
tests/fixtures/ecosystem/, each with the script that wrote it).

- keras_pandas_json: a Keras History saved with pandas, ``pd.DataFrame(history.history).to_json("history.json")``
  (the usual answer to "how do I save a Keras history"). pandas' default layout, ``orient="columns"``, is a dict
  of dicts keyed by the row index; losslens refused it ("a JSON object without history, log_history or lists
  of values"), and read ``orient="split"`` as a table whose columns were ``columns``, ``index`` and ``data``.
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
