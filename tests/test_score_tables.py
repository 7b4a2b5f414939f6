"""Tables of scores a new user meets first: an Ultralytics YOLO results.csv.

- A table that logs scores and no loss nor accuracy is diagnosed on its primary score (a detection mAP over
  IoU 0.50:0.95 first: Ultralytics' fitness is 0.9 x mAP50-95 + 0.1 x mAP50), and the report says so in one line.
- Reports spell a column as the log wrote it (``metrics/mAP50-95(B)``, not ``metrics_map50_95(b)``); ``--metric``
  takes either spelling, and the JSON's ``metric`` keeps the Run's key.

Fixtures: tests/fixtures/ecosystem/yolo_map_late (one real YOLOv8 run's two mAP columns) and
tests/fixtures/ecosystem/yolo_results (two real runs with losses and metrics, written as Ultralytics 8.0 and 8.3
write results.csv; rows from ../shared/curves/yolo_results_curves.csv, provenance in yolo_runs.csv and make.py).
"""

import json
from pathlib import Path

import pytest

import losslens
from cli_helpers import run_cli as _cli  # tests/cli_helpers.py
from losslens.exceptions import LosslensError

ECO = Path(__file__).resolve().parent / "fixtures" / "ecosystem"
MAP_ONLY = ECO / "yolo_map_late" / "results.csv"  # epoch,metrics/mAP50(B),metrics/mAP50-95(B)
# Abonia1/YOLOv8-Fire-and-Smoke-Detection runs/detect/train (Ultralytics 8.0: padded header, 0-based epochs) and
# AnantasinSangchai/Surface-Defect-Detection-YOLOv8 runs/detect/train5 (8.3: epoch,time,...).
FULL = {"v8_0": ECO / "yolo_results" / "v8_0" / "results.csv", "v8_3": ECO / "yolo_results" / "v8_3" / "results.csv"}



def _cut(src: Path, columns: list[str], dst: Path) -> Path:
    """``src``'s columns (stripped of Ultralytics' padding) in the order given, values as written."""
    lines = src.read_text().splitlines()
    head = [h.strip() for h in lines[0].split(",")]
    idx = [head.index(c) for c in columns]
    rows = [[cell.strip() for cell in line.split(",")] for line in lines[1:]]
    dst.write_text("\n".join([",".join(columns)] + [",".join(r[i] for i in idx) for r in rows]) + "\n")
    return dst


def test_a_map_only_table_is_read_on_map50_95_and_says_so():
    d = losslens.diagnose(MAP_ONLY)
    assert d.metric == "metrics_map50_95(b)"  # the JSON's key for the series, as --metric gives it
    note = d.causes[0].evidence[0]
    assert note.startswith("no loss logged: read on metrics/mAP50-95(B), mAP over IoU 0.50:0.95"), note
    assert "Ultralytics' fitness weighs it 0.9" in note and "before metrics/mAP50(B)" in note, note
    assert sum("no loss logged" in e for c in d.causes for e in c.evidence) == 1
    # The same run read on the column named: the same verdict and X, without the note.
    asked = losslens.diagnose(MAP_ONLY, metric="metrics/mAP50-95(B)")
    assert (asked.verdict, asked.plateau_epoch) == (d.verdict, d.plateau_epoch)
    assert not any("no loss logged" in e for c in asked.causes for e in c.evidence)


def test_a_map_only_table_on_the_command_line_text_and_json():
    res = _cli("diagnose", MAP_ONLY)
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("yolo_map_late: ") and lines[0].endswith(", metrics/mAP50-95(B))"), lines[0]
    assert lines[1].startswith("  - no loss logged: read on metrics/mAP50-95(B), "), lines[1]
    assert "metrics_map50_95" not in res.output and "metrics/mAP50-95(B)" in res.output.split("what to do:")[1]
    res = _cli("diagnose", MAP_ONLY, "--json")
    assert res.exit_code == 0, res.output
    [row] = [json.loads(line) for line in res.output.splitlines()]
    assert row["schema"] == "losslens.diagnosis/1" and row["metric"] == "metrics_map50_95(b)"
    assert row["facts"]["metric"] == "metrics_map50_95(b)" and row["facts"]["higher_is_better"] is True
    assert row["causes"][0]["evidence"][0].startswith("no loss logged: read on metrics/mAP50-95(B), ")


def test_the_primary_score_follows_the_documented_order(tmp_path):
    real = FULL["v8_3"]
    scores = ["metrics/precision(B)", "metrics/recall(B)", "metrics/mAP50(B)", "metrics/mAP50-95(B)"]
    # The four scores Ultralytics logs, in its order: mAP50-95, then the others named as passed over.
    d = losslens.diagnose(_cut(real, ["epoch"] + scores, tmp_path / "scores.csv"))
    assert d.metric == "metrics_map50_95(b)"
    assert "before metrics/mAP50(B), metrics/precision(B), metrics/recall(B);" in d.causes[0].evidence[0]
    d = losslens.diagnose(_cut(real, ["epoch", "metrics/recall(B)", "metrics/precision(B)", "metrics/mAP50(B)"],
                               tmp_path / "no95.csv"))
    assert d.metric == "metrics_map50(b)" and "a detection mAP" in d.causes[0].evidence[0]
    d = losslens.diagnose(_cut(real, ["epoch", "metrics/recall(B)", "metrics/precision(B)"], tmp_path / "pr.csv"))
    assert d.metric == "metrics_precision(b)"
    assert d.causes[0].evidence[0].startswith("no loss logged: read on metrics/precision(B), precision ")
    from losslens.columns import primary_score

    # Other libraries' names: torchmetrics' map (COCO's 0.50:0.95) before map_50; a held-out set's F1 before a
    # training one's, and before precision; an lr or a time is no score.
    assert primary_score(["val_map_50", "val_map", "val_map_small"])[0] == "val_map"
    assert primary_score(["coco_bbox_map_50", "coco_bbox_map", "coco_bbox_map_s"])[0] == "coco_bbox_map"
    assert primary_score(["train_f1", "val_precision", "val_f1"])[0] == "val_f1"
    assert primary_score(["lr", "time", "epoch"]) is None


def test_a_table_with_no_loss_accuracy_or_score_keeps_the_one_line_error(tmp_path):
    path = _cut(FULL["v8_3"], ["epoch", "time", "lr/pg0", "lr/pg1"], tmp_path / "results.csv")
    res = _cli("diagnose", path)
    err = res.stderr.strip()
    assert res.exit_code == 2, res.output
    assert err == (f"losslens: {path}: no loss or accuracy column (found: epoch, time, lr/pg0, lr/pg1); "
                   "name the one to diagnose with --metric COLUMN"), err
    with pytest.raises(LosslensError, match="no loss or accuracy column"):
        losslens.diagnose(path)


@pytest.mark.parametrize("version", sorted(FULL))
def test_a_full_results_csv_is_read_on_its_losses_with_the_names_as_logged(version):
    path = FULL[version]
    res = _cli("diagnose", path)
    assert res.exit_code == 0, res.output
    # Losses logged: read on the summed validation loss as before, no note about a score.
    assert res.output.splitlines()[0].endswith(", val_loss)") and "no loss logged" not in res.output
    # (where its parts read alone do not all read as the sum, the line says how each does, by its own --metric)
    assert "val_loss is the sum val/box_loss + val/cls_loss + val/dfl_loss (no total logged); " \
           "--metric val/box_loss reads one of them alone" in res.output \
        or "val_loss is the sum val/box_loss + val/cls_loss + val/dfl_loss (no total logged); read alone: " \
           "val/box_loss " in res.output and "(--metric val/cls_loss)" in res.output, res.output
    assert "val_box_loss" not in res.output
    # --metric in either spelling: the same report, the names as the log wrote them; the JSON's metric is the key.
    outputs = []
    for name in ("metrics/mAP50-95(B)", "metrics_map50_95(b)"):
        res = _cli("diagnose", path, "--metric", name)
        assert res.exit_code == 0, res.output
        assert res.output.splitlines()[0].endswith(", metrics/mAP50-95(B))"), res.output
        assert "metrics_map50_95" not in res.output
        outputs.append(res.output)
        res = _cli("diagnose", path, "--metric", name, "--json")
        assert json.loads(res.output)["metric"] == "metrics_map50_95(b)"
    assert outputs[0] == outputs[1]
    [run] = losslens.read(path)
    assert run.label("metrics_map50_95(b)") == "metrics/mAP50-95(B)" and run.label("val_loss") == "val_loss"


def test_names_already_plain_are_left_alone():
    # A Keras CSVLogger's columns are the canonical series: nothing to respell, the report as before.
    path = Path(losslens.__file__).parent / "examples" / "keras_csvlogger.csv"
    [run] = losslens.read(path)
    assert not run.meta.get("column_names")
    assert losslens.diagnose(path).summary().endswith("(confidence 85%, val_loss)")


def test_the_html_report_spells_the_columns_as_logged(tmp_path):
    # The page's facts, evidence, actions, legend and y label: the log's "metrics/mAP50-95(B)", as in the text.
    import re

    from losslens.report.html import write_report

    d = losslens.diagnose(MAP_ONLY)
    page = write_report([d], tmp_path / "report.html").read_text()
    assert "no loss logged: read on metrics/mAP50-95(B)" in page
    assert "metrics_map50_95(b)" not in page
    chart = json.loads(re.search(r'<script type="application/json" id="ll-data-1">(.*?)</script>', page, re.S).group(1))
    assert chart["ylabel"] == "metrics/mAP50-95(B)"
    assert "metrics/mAP50-95(B)" in [c["label"] for c in chart["cols"]]


@pytest.mark.parametrize("rows, said", [
    ("1,,\n2,,\n3,,\n", "metrics/mAP50-95(B) has no values (all empty or NaN)"),
    ("1,0.41158,0.30904\n", "only 1 value(s) of metrics/mAP50-95(B): too short to diagnose"),
    # A damaged cell in the primary score: said, not a silent switch to mAP50 (the column read as text).
    ("1,0.41158,0.30904\n2,0.40444,0.3O546\n3,0.52,0.41\n", "column 'metrics/mAP50-95(B)' holds '0.3O546' in data row 2"),
])
def test_a_broken_score_table_gets_one_line_naming_the_column_as_logged(tmp_path, rows, said):
    path = tmp_path / "results.csv"
    path.write_text("epoch,metrics/mAP50(B),metrics/mAP50-95(B)\n" + rows)
    before = path.read_bytes()
    res = _cli("diagnose", path)
    assert res.exit_code == 2 and said in res.output and len(res.output.strip().splitlines()) == 1, res.output
    assert "metrics_map50_95(b)" not in res.output and path.read_bytes() == before
