"""The series a user names is the series losslens reads, draws and reports: a loss logged under the name of what it
measures (``val_nll``, ``objective_valid``, ``val_error``, Lightning's ``val_rmse``) is found by that name and shown
under it; one head's validation loss is drawn and its gap quoted with its own training loss; scores by name (average
precision) read as scores. Fixtures: tests/fixtures/ecosystem/logged_names (make.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import losslens
from losslens.cli import app
from losslens.facts import metric_direction

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "logged_names"
YOLO = Path(__file__).parent / "fixtures" / "ecosystem" / "yolo_results" / "v8_3" / "results.csv"


def _cli(*argv):
    return CliRunner().invoke(app, [str(a) for a in argv])


@pytest.mark.parametrize("name, asked", [("odd_nll.csv", "val_nll"), ("odd_nll.csv", "nll"),
                                         ("suffix_objective.csv", "objective_valid"),
                                         ("suffix_objective.csv", "objective_train"),
                                         ("error_only.csv", "val_error")])
def test_metric_takes_the_logs_own_name_of_a_renamed_loss(name, asked):
    # The log's own column was refused: "no series 'val_nll' in this run (has: train_loss, val_loss, val_acc);
    # did you mean val_loss?", exit 2, though the file has val_nll and no val_loss.
    res = _cli("diagnose", HERE / name, "--metric", asked)
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0].endswith(f", {asked})")
    canonical = _cli("diagnose", HERE / name, "--metric", "val_loss" if "val" in asked else "train_loss")
    assert canonical.exit_code == 0, canonical.output  # (the canonical names are still taken)


def test_a_name_not_logged_is_answered_with_the_logs_names():
    res = _cli("diagnose", HERE / "odd_nll.csv", "--metric", "val_nl")
    assert res.exit_code == 2
    assert "(has: nll, val_nll, val_acc); did you mean val_nll?" in res.output
    yolo = _cli("diagnose", YOLO, "--metric", "mAP")
    assert yolo.exit_code == 2
    assert "metrics/mAP50-95(B)" in yolo.output and "metrics_map50_95(b)" not in yolo.output


def test_python_api_and_forecast_take_the_logs_name():
    df = pd.read_csv(HERE / "odd_nll.csv")
    d = losslens.diagnose({"nll": list(df["nll"]), "val_nll": list(df["val_nll"])}, metric="val_nll")
    assert d.metric == "val_loss" and d.verdict == "overfitting"
    assert d.to_dict()["metric_column"] == "val_nll"
    res = _cli("forecast", HERE / "odd_nll.csv", "--metric", "val_nll", "--horizon", "160")
    assert res.exit_code == 0, res.output
    assert "val_nll" in res.stdout


def test_a_renamed_loss_is_reported_under_the_logs_name():
    # A classification error alone read "val_loss reached its minimum 0.15", the JSON saying val_loss only.
    res = _cli("diagnose", HERE / "error_only.csv")
    assert res.exit_code == 0, res.output
    assert "val_error reached its minimum 0.15" in res.stdout and "val_loss" not in res.stdout
    out = json.loads(_cli("diagnose", HERE / "error_only.csv", "--json").stdout)
    assert out["metric"] == "val_loss" and out["metric_column"] == "val_error"  # (the key stays canonical)
    plain = json.loads(_cli("diagnose", HERE.parent / "keras_thrown_held" / "sgd0.15_w128_s0.csv", "--json").stdout)
    assert "metric_column" not in plain  # (only where the reports name it otherwise)


def test_no_gap_between_a_training_loss_and_a_validation_rmse():
    # Lightning: train_loss (MSE + BCE) and only val_rmse, read as val_loss without saying so, then "generalization
    # gap grew from -0.713 to 0.81" between two different quantities.
    d = losslens.diagnose(HERE / "lightning_noval")
    assert d.metric == "val_loss" and d.run.label("val_loss") == "val_rmse"
    g = d.facts.generalization
    assert g.gap_end is None and g.gap_at_val_min is None and g.gap_growth_range == 0.0
    res = _cli("diagnose", HERE / "lightning_noval")
    assert res.exit_code == 0, res.output
    assert "val_rmse reached its minimum" in res.stdout and "gap" not in res.stdout
    assert _cli("diagnose", HERE / "lightning_noval", "--metric", "val_rmse").exit_code == 0
    # (train_nll beside val_nll is one quantity: its gap stays)
    assert losslens.diagnose(HERE / "odd_nll.csv").facts.generalization.gap_end is not None


def test_a_step_copy_asked_is_read_on_the_steps():
    # --metric train_loss_step read train_loss_epoch's means and labelled them train_loss_step; then it read the
    # means under their own name with a note, the column asked not read. It is now read, on the log's steps.
    res = CliRunner().invoke(app, ["diagnose", str(HERE / "lightning_noval"), "--metric", "train_loss_step", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["metric_column"] == "train_loss_step" and out["axis"] == "step"
    assert not any("not read" in n for n in out.get("notes", ()))


def test_one_heads_loss_is_drawn_and_its_gap_quoted_with_its_own_training_loss(tmp_path):
    from losslens.report.plot import chart_data

    d = losslens.diagnose(HERE / "keras_two_heads.csv", metric="val_head1_loss")
    data = chart_data(d)
    # The chart drew the total's training curve and shaded the total's gap (tens against the text's 1.83).
    assert [(s["key"], s["role"]) for s in data["loss"]] == [("head1_loss", "train"), ("val_head1_loss", "val")]
    assert data["gap"]["value"] == pytest.approx(d.facts.generalization.gap_end, rel=1e-3)
    assert any(p["title"] == "loss" for p in data["panels"])  # (the total, in a panel of its own)
    out = tmp_path / "r.html"
    res = _cli("report", HERE / "keras_two_heads.csv", "--metric", "val_head1_loss", "-o", out)
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert f"gap at end</dt><dd>{d.facts.generalization.gap_end:.4g}" in html
    png = tmp_path / "k.png"
    assert _cli("plot", HERE / "keras_two_heads.csv", "--metric", "val_head1_loss", "-o", png).exit_code == 0
    # (YOLO's val/cls_loss: the card quoted the summed losses' gap, 1.644, beside the text's 1.55)
    yolo = losslens.diagnose(YOLO, metric="val/cls_loss")
    ydata = chart_data(yolo)
    assert [s["key"] for s in ydata["loss"]] == ["train_cls_loss", "val_cls_loss"]
    assert ydata["gap"]["value"] == pytest.approx(yolo.facts.generalization.gap_end, rel=1e-3)
    total = chart_data(losslens.diagnose(HERE / "keras_two_heads.csv"))
    assert [s["key"] for s in total["loss"]] == ["train_loss", "val_loss"] and total["gap"]["value"] > 50


@pytest.mark.parametrize("name", ["val_ap", "val_fitness", "val_success_rate", "val_win_rate", "val_em",
                                  "val_explained_variance"])
def test_score_names_read_as_scores(name):
    assert metric_direction(name) is True


def test_average_precision_falling_after_its_best_is_overfitting():
    # val_ap, read as a loss, was "still improving: still falling" while it fell from its best 0.909 to 0.751.
    d = losslens.diagnose(HERE / "val_ap.csv", metric="val_ap")
    assert d.facts.higher_is_better and not d.facts.direction_assumed
    assert d.verdict == "overfitting"
    x, y = d.run.finite("val_ap")
    assert 5 <= d.plateau_epoch <= x[int(np.argmax(y))]
