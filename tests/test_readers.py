"""Readers on logs written by the real libraries (tests/fixtures/logs, see make_logs.py there),
on the shared real curves, and on every kind of bad input.

Expected values are recomputed here from the raw files with the stdlib (csv / json), never
typed in, so a reader that shifts, drops or mixes up a series fails.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import math
import shutil
import sqlite3
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.exceptions import LosslensError, NoLossError, ReadError, UnknownFormatError
from losslens.readers import read

from conftest import SHARED_CURVES

LOGS = Path(__file__).resolve().parent / "fixtures" / "logs"
SHARED = SHARED_CURVES  # conftest's lookup; None when the real curves are not here
ARTICLE = Path(__file__).resolve().parent / "fixtures" / "article"


def _csv_columns(path: Path, delimiter=","):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=delimiter))
    return {k: np.array([float(r[k]) if r[k] not in ("NA", "") else np.nan for r in rows]) for k in rows[0]}


def _same(a, b):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=0, atol=0, equal_nan=True)


def _same_values(a, b) -> bool:
    """Two runs whose every shared series holds the same values at float32, gaps alike (what a directory reads once)."""
    shared = set(a.series) & set(b.series)
    return a.default_metric() == b.default_metric() and len(a) == len(b) and all(
        np.array_equal(np.asarray(a.series[k], np.float32), np.asarray(b.series[k], np.float32), equal_nan=True)
        for k in shared)


def _digest(path: Path) -> tuple[str, float]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime


# ---- formats ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,delimiter", [("keras_csvlogger.csv", ","), ("keras_csvlogger.tsv", "\t")])
def test_keras_csvlogger(name, delimiter):
    path = LOGS / name
    raw = _csv_columns(path, delimiter)
    [run] = read(path)
    assert run.name == "keras_csvlogger" and run.source == str(path) and run.axis_name == "epoch"
    _same(run.axis, raw["epoch"])  # Keras numbers epochs from 0
    _same(run.series["train_loss"], raw["loss"])
    _same(run.series["val_loss"], raw["val_loss"])  # NA on epochs without validation -> NaN
    _same(run.series["train_acc"], raw["accuracy"])
    _same(run.series["val_acc"], raw["val_accuracy"])
    assert np.isnan(run.series["val_loss"][0::2]).all() and np.isfinite(run.series["val_loss"][1::2]).all()


def test_keras_history_json_aligns_validation_every_k_epochs():
    raw = json.loads((LOGS / "keras_history.json").read_text())
    [run] = read(LOGS / "keras_history.json")
    n = len(raw["loss"])
    assert len(raw["val_loss"]) * 2 == n  # validation_freq=2
    _same(run.axis, np.arange(n))
    _same(run.series["train_loss"], raw["loss"])
    _same(run.series["val_loss"][1::2], raw["val_loss"])  # Keras validates after epochs 1, 3, 5
    assert np.isnan(run.series["val_loss"][0::2]).all()
    assert run.meta["format"] == "keras_history_json"


def test_keras_history_wrapped_with_epoch_and_params():
    raw = json.loads((LOGS / "keras_history_wrapped.json").read_text())
    [run] = read(LOGS / "keras_history_wrapped.json")
    _same(run.axis, raw["epoch"])
    _same(run.series["val_loss"], raw["history"]["val_loss"])
    assert run.meta["params"] == raw["params"]


def test_article_fixture_keeps_its_meta():
    raw = json.loads((ARTICLE / "exp1_complex.json").read_text())
    [run] = read(ARTICLE / "exp1_complex.json")
    _same(run.series["train_loss"], raw["history"]["loss"])
    assert run.meta["experiment"] == raw["meta"]["experiment"]


def test_lightning_metrics_csv_folds_rows_onto_epochs():
    path = LOGS / "lightning" / "version_0" / "metrics.csv"
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    epoch_rows = [r for r in rows if r["train_loss_epoch"]]
    val_rows = [r for r in rows if r["val_loss"]]
    [run] = read(path)
    assert run.name == "version_0" and run.axis_name == "epoch"  # named by its folder, not "metrics"
    _same(run.axis, [int(r["epoch"]) for r in epoch_rows])
    _same(run.series["train_loss"], [float(r["train_loss_epoch"]) for r in epoch_rows])
    _same(run.series["val_loss"], [float(r["val_loss"]) for r in val_rows])
    _same(run.series["train_acc"], [float(r["train_acc_epoch"]) for r in epoch_rows])
    assert not any(k.endswith("_step") for k in run.series)  # step twins of epoch values dropped
    # LearningRateMonitor rows carry no epoch: they are placed by their step.
    assert np.isfinite(run.series["lr"]).all()
    assert run.meta["steps_per_epoch"] > 1


def test_lightning_validation_checked_several_times_an_epoch_keeps_every_check():
    """val_check_interval=0.25 (make_logs.py lightning_interval): four val_loss rows an epoch. Each check
    is a point of the curve, read on the step axis (as a Trainer's eval_steps are), neither averaged over
    four models nor cut to the epoch's last (which left 6 points of 24 to the shape rules)."""
    path = LOGS / "lightning_interval" / "version_0" / "metrics.csv"
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    val_rows = [r for r in rows if r["val_loss"]]
    epochs = sorted({int(r["epoch"]) for r in val_rows})
    assert len(val_rows) == 4 * len(epochs)
    [run] = read(path)
    assert run.axis_name == "step"
    steps, vals = run.finite("val_loss")
    _same(steps, [float(r["step"]) for r in val_rows])
    _same(vals, [float(r["val_loss"]) for r in val_rows])
    assert "epoch_frac" in run.series


def test_a_lightning_step_is_quoted_with_the_epochs_done_there():
    """The same val_check_interval=0.25 log of 20-batch epochs: a step is quoted with the epochs done by it, as
    the Trainer's ``state.epoch`` counts them ("step 29 (epoch 1.5)"), not with the metrics.csv's whole epoch
    index ("step 29 (epoch 1)", so every check of an epoch was quoted at the same epoch)."""
    from losslens.result import at_text

    [run] = read(LOGS / "lightning_interval" / "version_0" / "metrics.csv")
    steps, _ = run.finite("val_loss")
    assert [at_text(run, "step", s) for s in steps[:6]] == [
        "step 4 (epoch 0.25)", "step 9 (epoch 0.5)", "step 14 (epoch 0.75)", "step 19 (epoch 1)",
        "step 24 (epoch 1.25)", "step 29 (epoch 1.5)"]
    assert at_text(run, "step", steps[-1]) == f"step {int(steps[-1])} (epoch 6)"  # 6 epochs run
    assert at_text(run, "step", steps[-1] + 10) == f"step {int(steps[-1]) + 10} (epoch 6.5)"  # a forecast's horizon


def test_what_a_lightning_progress_bar_drew_reads_as_its_metrics():
    """The TQDM bar, captured from the console (make_logs.py lightning_tqdm): redrawn with carriage
    returns, it shows the previous epoch's val_loss until this epoch's validation ends, so an epoch's
    value is its last drawing; equal to the run's metrics.csv to the bar's 3 significant digits."""
    [bar] = read(LOGS / "lightning_tqdm" / "progress.txt")
    [csv_run] = read(LOGS / "lightning_tqdm" / "version_0" / "metrics.csv")
    assert bar.meta["format"] == "lightning_console" and bar.axis_name == "epoch"
    _same(bar.axis, csv_run.axis)
    np.testing.assert_allclose(bar.series["val_loss"], csv_run.series["val_loss"], rtol=5e-3)


def test_hf_trainer_state_step_axis():
    path = LOGS / "hf_output" / "trainer_state.json"
    state = json.loads(path.read_text())
    train = [r for r in state["log_history"] if "loss" in r]
    evals = [r for r in state["log_history"] if "eval_loss" in r]
    summary = [r for r in state["log_history"] if "train_runtime" in r]
    [run] = read(path)
    assert run.axis_name == "step" and run.name == "hf_output"
    _same(run.axis, sorted({r["step"] for r in state["log_history"] if "train_runtime" not in r}))
    steps = list(run.axis)
    _same([run.series["train_loss"][steps.index(r["step"])] for r in train], [r["loss"] for r in train])
    _same([run.series["lr"][steps.index(r["step"])] for r in train], [r["learning_rate"] for r in train])
    _same([run.series["grad_norm"][steps.index(r["step"])] for r in train], [r["grad_norm"] for r in train])
    _same([run.series["val_loss"][steps.index(r["step"])] for r in evals], [r["eval_loss"] for r in evals])
    _same([run.series["val_acc"][steps.index(r["step"])] for r in evals], [r["eval_accuracy"] for r in evals])
    _same([run.series["epoch_frac"][steps.index(r["step"])] for r in train], [r["epoch"] for r in train])
    assert np.isfinite(run.series["val_loss"]).sum() == len(evals)
    # The closing row's train_loss is the run's mean, not a point of the curve.
    assert run.meta["train_loss_mean"] == summary[-1]["train_loss"]
    assert not any("runtime" in k or "per_second" in k or "flos" in k for k in run.series)
    assert run.meta["global_step"] == state["global_step"]


def test_hf_trainer_with_several_eval_datasets_reads_the_validation_one():
    """A Trainer given eval_dataset={"shifted": ..., "validation": ...} (make_logs.py hf_multi_eval)
    logs eval_shifted_loss and eval_validation_loss, no eval_loss: the set named validation is the
    curve diagnosed, though listed second; the other keeps its name."""
    import losslens

    state = json.loads((LOGS / "hf_multi_eval" / "trainer_state.json").read_text())
    val = [r for r in state["log_history"] if "eval_validation_loss" in r]
    other = [r for r in state["log_history"] if "eval_shifted_loss" in r]
    assert val and other and not any("eval_loss" in r for r in state["log_history"])
    [run] = read(LOGS / "hf_multi_eval" / "trainer_state.json")
    steps = list(run.axis)
    _same([run.series["val_loss"][steps.index(r["step"])] for r in val], [r["eval_validation_loss"] for r in val])
    _same([run.series["eval_shifted_loss"][steps.index(r["step"])] for r in other],
          [r["eval_shifted_loss"] for r in other])
    assert losslens.diagnose(LOGS / "hf_multi_eval" / "trainer_state.json").metric == "val_loss"


def test_a_long_file_of_runs_with_different_eval_names_maps_each_run_by_its_own_columns(tmp_path):
    """Two real Trainer logs in one long-format CSV (as an export of a project holds them): one
    logged eval_loss, the other eval_shifted_loss and eval_validation_loss. The shared header has
    an eval_loss column, empty for the second run: that run keeps its own validation curve."""
    import pandas as pd

    frames = []
    for rid, path in (("plain", LOGS / "hf_output" / "trainer_state.json"),
                      ("multi", LOGS / "hf_multi_eval" / "trainer_state.json")):
        rows = [r for r in json.loads(path.read_text())["log_history"] if "train_runtime" not in r]
        frames.append(pd.DataFrame(rows).assign(run_id=rid))
    long = tmp_path / "runs.csv"
    pd.concat(frames, ignore_index=True).to_csv(long, index=False)
    runs = {r.name: r for r in read(long)}
    [alone] = read(LOGS / "hf_multi_eval" / "trainer_state.json")
    np.testing.assert_allclose(runs["multi"].val_loss, alone.val_loss)
    [plain] = read(LOGS / "hf_output" / "trainer_state.json")
    np.testing.assert_allclose(runs["plain"].val_loss, plain.val_loss)


def test_a_nan_grad_norm_written_by_pythons_json_reads(tmp_path):
    """A NaN gradient norm (an fp16 overflow step) is written by the Trainer's json.dump as the
    bare literal NaN: not JSON, and orjson (the core's JSON parser) refuses it; it must still read."""
    state = json.loads((LOGS / "hf_output" / "trainer_state.json").read_text())
    train = [r for r in state["log_history"] if "grad_norm" in r]
    train[1]["grad_norm"] = float("nan")
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps(state))
    assert "NaN" in path.read_text()
    [run] = read(path)
    steps = list(run.axis)
    assert np.isnan(run.series["grad_norm"][steps.index(train[1]["step"])])
    assert run.series["grad_norm"][steps.index(train[0]["step"])] == train[0]["grad_norm"]


def test_hf_output_directory_reads_the_final_state_once(tmp_path):
    [run] = read(LOGS / "hf_output")
    assert run.source.endswith(str(Path("hf_output") / "trainer_state.json"))
    # Without the final state, only the latest checkpoint counts (earlier ones are its prefixes).
    out = tmp_path / "my_model"
    for ck in (LOGS / "hf_output").glob("checkpoint-*"):
        shutil.copytree(ck, out / ck.name)
    [run] = read(out)
    latest = max((LOGS / "hf_output").glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    assert run.source == str(out / latest.name / "trainer_state.json") and run.name == "my_model"
    assert run.axis[-1] == json.loads((latest / "trainer_state.json").read_text())["global_step"]


def test_json_lines_from_a_torch_loop_fold_step_losses_per_epoch():
    rows = [json.loads(ln) for ln in (LOGS / "torch_loop.jsonl").read_text().splitlines()]
    [run] = read(LOGS / "torch_loop.jsonl")
    epochs = sorted({r["epoch"] for r in rows})
    _same(run.axis, epochs)
    for i, e in enumerate(epochs):
        losses = [r["loss"] for r in rows if r["epoch"] == e and "loss" in r]
        assert run.series["train_loss"][i] == pytest.approx(np.mean(losses), rel=1e-12)
        assert run.series["val_loss"][i] == [r["val_loss"] for r in rows if r["epoch"] == e and "val_loss" in r][0]


def test_nested_split_history_from_a_torch_loop():
    """``{"train": {"loss", "acc"}, "val": {...}}`` as a hand-written loop saves it (make_logs.py
    torch_splits): the splits become train_*/val_*, per epoch from 0, from a file or the dict."""
    import losslens

    hist = json.loads((LOGS / "torch_splits.json").read_text())
    [run] = read(LOGS / "torch_splits.json")
    assert run.axis_name == "epoch"
    _same(run.axis, range(len(hist["val"]["loss"])))
    for split in ("train", "val"):
        _same(run.series[f"{split}_loss"], hist[split]["loss"])
        _same(run.series[f"{split}_acc"], hist[split]["acc"])
    d = losslens.diagnose(hist)
    from_file = losslens.diagnose(LOGS / "torch_splits.json")
    assert (d.verdict, d.plateau_epoch, d.cause.evidence) == (from_file.verdict, from_file.plateau_epoch,
                                                              from_file.cause.evidence)
    # Both curves reached the diagnosis: the generalization gap is measured.
    assert d.metric == "val_loss" and d.facts.generalization.gap_end == pytest.approx(
        hist["val"]["loss"][-1] - hist["train"]["loss"][-1], rel=0.2)


def test_boosting_evals_result_read_per_round():
    """XGBoost's ``evals_result()`` and LightGBM's ``record_evaluation`` (make_logs.py boosting):
    the validation set is XGBoost's last numbered set / LightGBM's valid_N, the training set where it
    is named so or boosted on (falls at every round); the axis is the boosting round."""
    xgb = json.loads((LOGS / "xgboost_evals_result.json").read_text())
    [run] = read(LOGS / "xgboost_evals_result.json")
    assert run.axis_name == "round" and run.axis[0] == 0 and len(run.axis) == 300
    _same(run.series["val_loss"], xgb["validation_1"]["logloss"])
    # eval_set=[(X_train, y_train), (X_val, y_val)] (make_logs.py): validation_0 falls at every round and
    # ends below validation_1's best, the signature of the set the trees are fitted on (test_more_logs has
    # two held-out sets that keep their names).
    _same(run.series["train_loss"], xgb["validation_0"]["logloss"])
    lgb = json.loads((LOGS / "lightgbm_evals_result.json").read_text())
    assert set(lgb) == {"training", "valid_1"}
    [run] = read(LOGS / "lightgbm_evals_result.json")
    _same(run.series["train_loss"], lgb["training"]["binary_logloss"])
    _same(run.series["val_loss"], lgb["valid_1"]["binary_logloss"])
    import losslens

    d = losslens.diagnose(LOGS / "lightgbm_evals_result.json")
    best = int(np.argmin(lgb["valid_1"]["binary_logloss"])) + 1  # (LightGBM counts its rounds from 1)
    assert d.verdict == "overfitting" and d.facts.generalization is not None
    assert any(f"the best round is {best}" in a for a in d.cause.actions)


def test_printed_nanogpt_log_reads_the_estimates_at_the_eval_steps():
    """stdout of a loop printing with nanoGPT's two f-strings (make_logs.py printed): the
    evaluation lines give train_loss / val_loss at their steps, the iteration lines batch_loss."""
    values = json.loads((LOGS / "printed_nanogpt.values.json").read_text())
    [run] = read(LOGS / "printed_nanogpt.txt")
    assert run.axis_name == "step"
    ev = np.array(values["eval"])
    at = np.searchsorted(run.axis, ev[:, 0])
    _same(run.axis[at], ev[:, 0])
    np.testing.assert_allclose(run.series["train_loss"][at], ev[:, 1], atol=5e-5)  # printed to 4 decimals
    np.testing.assert_allclose(run.series["val_loss"][at], ev[:, 2], atol=5e-5)
    it = np.array(values["iter"])
    np.testing.assert_allclose(run.series["batch_loss"][np.searchsorted(run.axis, it[:, 0])], it[:, 1], atol=5e-5)
    assert np.isfinite(run.series["val_loss"]).sum() == len(ev)


def test_a_batch_loss_bouncing_by_the_batch_drawn_is_not_a_too_high_learning_rate():
    """nanoGPT's per-iteration loss is one batch's: at its floor it spreads by 7% of its improvement.
    Continuing that bigram run from its plateau (step 800) at lr/10 left the spread (sd 0.150 vs
    0.151 over the last 500 steps) and the full validation loss (2.616 vs 2.620) where they were,
    so "learning rate too high" would send the user after nothing."""
    import losslens

    d = losslens.diagnose(LOGS / "printed_nanogpt.txt", metric="batch_loss")
    assert d.metric == "batch_loss" and d.axis == "step"
    assert "lr_too_high" not in d.cause_ids() and d.verdict == "converged"


def test_printed_modded_nanogpt_log():
    values = np.array(json.loads((LOGS / "printed_modded.values.json").read_text())["eval"])
    [run] = read(LOGS / "printed_modded.txt")
    _same(run.axis, values[:, 0])
    np.testing.assert_allclose(run.series["val_loss"], values[:, 2], atol=5e-5)
    import losslens

    d = losslens.diagnose(LOGS / "printed_modded.txt")
    assert d.metric == "val_loss" and d.axis == "step" and d.verdict != "still_improving"


def test_printed_lines_that_name_their_split_once(tmp_path):
    """fairseq-style summaries (printed_fairseq.txt, the printed_epochs run): "| train | epoch 001 |
    loss 2.287" and "| valid | epoch 001 | valid on 'valid' subset | loss 2.277": one name, two
    curves, told apart by the split the line names."""
    values = json.loads((LOGS / "printed_epochs.values.json").read_text())
    [run] = read(LOGS / "printed_fairseq.txt")
    val = np.array(values["val"])
    _same(run.axis, val[:, 0])
    steps = np.array(values["step"])
    np.testing.assert_allclose(run.series["train_loss"], [steps[steps[:, 0] == e, 1].mean() for e in val[:, 0]],
                               atol=5e-4)
    np.testing.assert_allclose(run.series["val_loss"], val[:, 1], atol=5e-4)
    np.testing.assert_allclose(run.series["val_acc"], val[:, 2], atol=5e-3)


def test_a_printed_line_with_both_splits_keeps_each_accuracy():
    """"Epoch 3/12 Train Loss: .. Acc: .. | Val Loss: .. Acc: ..": the first "Acc" is the training
    accuracy, the second the validation one (the split a name carries holds for the names after it)."""
    values = np.array(json.loads((LOGS / "printed_epochs.values.json").read_text())["oneline"])
    [run] = read(LOGS / "printed_oneline.txt")
    _same(run.axis, values[:, 0])
    np.testing.assert_allclose(run.series["train_acc"], values[:, 1], atol=5e-5)
    np.testing.assert_allclose(run.series["val_acc"], values[:, 2], atol=5e-5)
    [same_run] = read(LOGS / "printed_epochs.txt")
    np.testing.assert_allclose(run.series["val_loss"], same_run.series["val_loss"], atol=5e-5)


def test_a_notebook_cell_that_printed_a_loop_is_a_run(tmp_path):
    printed = (LOGS / "printed_epochs.txt").read_text()
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "code", "metadata": {}, "execution_count": 1, "source": ["import torch"],
                     "outputs": []},
                    {"cell_type": "code", "metadata": {}, "execution_count": 2, "source": ["train()"],
                     "outputs": [{"output_type": "stream", "name": "stdout", "text": printed.splitlines(True)}]}]}
    (tmp_path / "loop.ipynb").write_text(json.dumps(nb))
    [cell] = read(tmp_path / "loop.ipynb")
    [run] = read(LOGS / "printed_epochs.txt")
    assert cell.name == "loop#cell2" and cell.meta["format"] == "notebook_printed_log"
    _same(cell.series["val_loss"], run.series["val_loss"])


def test_printed_llm_c_log():
    """llm.c's printfs: ``val loss %f`` on a line of its own, after the step it was measured at
    (the first one before any step: read at step 1); ``step %4d/%d | loss ...`` numbered from 1."""
    values = json.loads((LOGS / "printed_llmc.values.json").read_text())
    [run] = read(LOGS / "printed_llmc.txt")
    it = np.array(values["iter"])
    _same(run.axis, it[:, 0])
    np.testing.assert_allclose(run.series["train_loss"], it[:, 1], atol=5e-7)
    ev = np.array(values["eval"])
    at = np.searchsorted(run.axis, np.maximum(ev[:, 0], 1))
    np.testing.assert_allclose(run.series["val_loss"][at], ev[:, 2], atol=5e-7)
    assert np.isfinite(run.series["val_loss"]).sum() == len(ev)
    assert set(run.series) == {"train_loss", "val_loss", "lr", "norm"}  # "bf16 MFU" and tok/s are no series


def test_a_modded_nanogpt_log_file_that_opens_with_its_source_code(tmp_path):
    """modded-nanogpt's log files start with the training script's source (120 KB and more), then the
    step lines: the code (here ~390 KB of the standard library's, with its own "x = 0.5" lines) is
    passed over and no series comes from it."""
    import argparse
    import os
    import random
    import tempfile
    import typing

    code = "".join(Path(m.__file__).read_text() for m in (json.decoder, shutil, tempfile, random, os, argparse, typing))
    path = tmp_path / "8f2c.txt"
    path.write_text(code + "\n" + (LOGS / "printed_modded.txt").read_text())
    [run] = read(path)
    [plain] = read(LOGS / "printed_modded.txt")
    assert set(run.series) == set(plain.series)
    _same(run.axis, plain.axis)
    _same(run.series["val_loss"], plain.series["val_loss"])


def test_printed_epoch_log_averages_the_batch_losses_of_each_epoch(tmp_path):
    """``Epoch [e/E], Step [s/S], Loss: ..`` lines and a per-epoch ``Val Loss, Val Acc ..%`` line."""
    values = json.loads((LOGS / "printed_epochs.values.json").read_text())
    [run] = read(LOGS / "printed_epochs.txt")
    assert run.axis_name == "epoch"
    val = np.array(values["val"])
    _same(run.axis, val[:, 0])
    steps = np.array(values["step"])
    means = [steps[steps[:, 0] == e, 1].mean() for e in val[:, 0]]
    np.testing.assert_allclose(run.series["train_loss"], means, atol=5e-5)
    np.testing.assert_allclose(run.series["val_loss"], val[:, 1], atol=5e-5)
    np.testing.assert_allclose(run.series["val_acc"], val[:, 2], atol=5e-3)  # percent, "%" dropped
    # The rules read it as a fraction of examples right (facts.chance.accuracy_fraction); a fraction stays one.
    from losslens.facts import accuracy_fraction
    np.testing.assert_allclose(accuracy_fraction(run.series["val_acc"]), val[:, 2] / 100, atol=5e-5)
    np.testing.assert_array_equal(accuracy_fraction(run.series["val_acc"] / 100), run.series["val_acc"] / 100)
    assert accuracy_fraction(None) is None
    # Prose around the numbers is not a log: a file that only mentions epochs and losses.
    path = tmp_path / "notes.txt"
    path.write_text("We trained for 12 epochs; the loss fell.\nStep 2 lowered the loss again.\nepoch 3 was best\n")
    with pytest.raises(LosslensError):
        read(path)
    # Two printed epochs are a log, too short to diagnose: that is the error, not a missing loss column.
    path.write_text("epoch 1 loss 0.5\nepoch 2 loss 0.4\n")
    [short] = read(path)
    _same(short.series["train_loss"], [0.5, 0.4])
    # What a non-interactive Lightning run printed (its RichProgressBar draws only the end): said so
    # in words about text, not "no numeric columns (found: Seed, set, to, 0)", naming the bar and what to read instead.
    path.write_text("Seed set to 0\nGPU available: False, used: False\n`Trainer.fit` stopped: `max_epochs=8` reached.\n"
                    "Epoch 7/7  38/38 0:00:00 550.31it/s v_num: 0.000\n   train_loss: 0.610\n   val_loss: 0.830\n")
    with pytest.raises(UnknownFormatError, match=r"RichProgressBar.*\(epoch 7\): no curve to read.*metrics\.csv"):
        read(path)


def test_json_records_array(tmp_path):
    history = json.loads((LOGS / "keras_history_wrapped.json").read_text())
    records = [{"epoch": e, "loss": lo, "val_loss": v}
               for e, lo, v in zip(history["epoch"], history["history"]["loss"], history["history"]["val_loss"])]
    path = tmp_path / "records.json"
    path.write_text(json.dumps(records))
    [run] = read(path)
    _same(run.series["val_loss"], history["history"]["val_loss"])


def test_format_comes_from_content_not_name(tmp_path):
    pairs = [("keras_csvlogger.csv", "run.json"), ("keras_history.json", "run.csv"),
             ("hf_output/trainer_state.json", "notes.txt"), ("torch_loop.jsonl", "noext")]
    for src, dst in pairs:
        shutil.copy(LOGS / src, tmp_path / dst)
        [expected] = read(LOGS / src)
        [got] = read(tmp_path / dst)
        _same(got.axis, expected.axis)
        assert got.series.keys() == expected.series.keys()
        for k in expected.series:
            _same(got.series[k], expected.series[k])


def test_gzip_detected_by_magic_bytes(tmp_path):
    path = tmp_path / "plain_name.csv"  # no .gz suffix: the bytes decide
    path.write_bytes(gzip.compress((LOGS / "keras_csvlogger.csv").read_bytes()))
    [run] = read(path)
    [expected] = read(LOGS / "keras_csvlogger.csv")
    _same(run.series["val_loss"], expected.series["val_loss"])


def test_long_format_runs_selection_and_column_overrides(tmp_path):
    a = _csv_columns(LOGS / "keras_csvlogger.csv")
    b = _csv_columns(LOGS / "keras_csvlogger.tsv", "\t")
    path = tmp_path / "long.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["run_name", "epoch", "loss", "my_dev_ce"])
        for rid, cols in (("adam", a), ("sgd", b)):
            for i in range(len(cols["epoch"])):
                w.writerow([rid, int(cols["epoch"][i]), cols["loss"][i], cols["val_loss"][i]])
    runs = read(path, columns={"val_loss": "my_dev_ce"})
    assert [r.name for r in runs] == ["adam", "sgd"]
    _same(runs[1].series["train_loss"], b["loss"])
    _same(runs[0].series["val_loss"], a["val_loss"])
    assert runs[0].meta["run_id"] == "adam" and runs[0].source == str(path)
    [one] = read(path, run_id="sgd")
    _same(one.series["train_loss"], b["loss"])
    with pytest.raises(ReadError, match="no run 'adamw'"):
        read(path, run_id="adamw")
    # Without the override my_dev_ce is just a metric (a plain dev_ce is the validation loss: columns.LOSS_STEMS);
    # with run_column= any column splits runs.
    assert "val_loss" not in read(path)[0].series
    assert len(read(path, run_column="run_name")) == 2


def test_yolo_loss_parts_sum_only_without_a_total(tmp_path):
    header = ["epoch", "train/box_loss", "train/cls_loss", "train/dfl_loss", "metrics/mAP50(B)",
              "val/box_loss", "val/cls_loss", "val/dfl_loss", "lr/pg0"]
    rng = np.random.default_rng(0)
    values = rng.uniform(0.5, 3.0, size=(6, len(header)))
    values[:, 0] = np.arange(1, 7)
    path = tmp_path / "results.csv"
    # Ultralytics pads its header cells with spaces.
    path.write_text(",".join(f"{h:>20}" for h in header) + "\n"
                    + "\n".join(",".join(f"{v:.5g}" for v in row) for row in values) + "\n")
    [run] = read(path)
    parsed = np.array([[float(x) for x in line.split(",")] for line in path.read_text().splitlines()[1:]])
    _same(run.series["train_loss"], parsed[:, 1] + parsed[:, 2] + parsed[:, 3])
    _same(run.series["val_loss"], parsed[:, 5] + parsed[:, 6] + parsed[:, 7])
    _same(run.series["lr"], parsed[:, 8])
    assert run.meta["loss_parts"]["train_loss"] == ["train_box_loss", "train_cls_loss", "train_dfl_loss"]
    # A plain total wins over the parts.
    path.write_text("epoch,loss,train/box_loss\n1,2.0,0.5\n2,1.0,0.4\n")
    [run] = read(path)
    _same(run.series["train_loss"], [2.0, 1.0])


def test_directory_reads_every_run_inside():
    runs = read(LOGS)
    sources = {Path(r.source).relative_to(LOGS).as_posix() for r in runs}
    # printed_oneline.txt is printed_epochs.txt's run printed in another form, in the same folder; it was read
    # once on its validation loss alone, but its training loss (2.2868, the epoch's; 2.28685, the steps' mean) and
    # validation accuracy (0.1352; 13.52%) are not those values: two runs, as every series must match for a copy.
    assert not _same_values(read(LOGS / "printed_oneline.txt")[0], read(LOGS / "printed_epochs.txt")[0])
    # keras_tensorboard.history.json is the History of the fit whose TensorBoard log is keras_tensorboard/:
    # one run in two formats, read once.
    assert _same_values(read(LOGS / "keras_tensorboard.history.json")[0], read(LOGS / "keras_tensorboard")[0])
    assert sources == {"keras_csvlogger.csv", "keras_csvlogger.tsv", "keras_history.json",
                       "keras_history_wrapped.json", "torch_loop.jsonl", "hf_output/trainer_state.json",
                       "lightning/version_0/metrics.csv", "keras_tensorboard", "hf_console.txt", "hf_console.log_history.json",
                       "torch_splits.json", "xgboost_evals_result.json", "lightgbm_evals_result.json",
                       "printed_nanogpt.txt", "printed_modded.txt", "printed_epochs.txt", "printed_oneline.txt",
                       "printed_llmc.txt", "printed_fairseq.txt",
                       "hf_multi_eval/trainer_state.json", "lightning_interval/version_0/metrics.csv",
                       "keras_rlrop.csv", "lightning_tqdm/version_0/metrics.csv", "lightning_tqdm/progress.txt",
                       "keras_val_improvement.json", "printed_keras_val_improvement.txt"}
    # make_logs.py and the *.values.json beside the printed logs are passed over; a TensorBoard run
    # is its folder; a printed console is a log too
    # Two Lightning loggers' runs are both "version_0": --run version_0 gets both.
    runs = read(LOGS, run_id="version_0")
    assert sorted(Path(r.source).parent.parent.name for r in runs) == ["lightning", "lightning_interval",
                                                                       "lightning_tqdm"]


# ---- delegation to the TensorBoard / MLflow / W&B readers ---------------------------------------
@pytest.fixture
def recorder(monkeypatch):
    """Replace the three optional reader modules by recorders of the calls read() makes."""
    calls = []
    from losslens.run import Run

    def make(func):
        def reader(target, **kwargs):
            calls.append((func, str(target), kwargs))
            return [Run([0, 1], {"train_loss": [1.0, 0.5]}, name="r1", source=str(target))]
        return reader

    for module, func in (("tensorboard", "read_tensorboard"), ("mlflow", "read_mlflow"), ("wandb", "read_wandb")):
        mod = types.ModuleType(f"losslens.readers.{module}")
        setattr(mod, func, make(func))
        monkeypatch.setitem(sys.modules, f"losslens.readers.{module}", mod)
    return calls


def test_uris_and_binary_stores_go_to_their_readers(recorder, tmp_path):
    read("tb:some/logdir")
    read("wandb:wandb/offline-run-1")
    read("mlflow:sqlite:///x.db", experiment="exp", run_id="abc")
    read("http://localhost:5000")
    db = tmp_path / "store.bin"
    sqlite3.connect(db).execute("create table t (x)").connection.commit()  # a real SQLite file
    read(db)
    assert recorder == [
        ("read_tensorboard", "some/logdir", {}),
        ("read_wandb", "wandb/offline-run-1", {}),
        ("read_mlflow", "sqlite:///x.db", {"run_id": "abc", "experiment": "exp"}),
        ("read_mlflow", "http://localhost:5000", {"run_id": None, "experiment": None}),
        ("read_mlflow", f"sqlite:///{db.resolve()}", {"run_id": None, "experiment": None}),
    ]
    with pytest.raises(ReadError, match="no run 'zz'"):
        read("tb:logs", run_id="zz")


def test_tensorboard_event_file_detected_by_content(recorder, tmp_path):
    # TensorBoard's own writer (what torch.utils.tensorboard wraps), without importing torch.
    writer_mod = pytest.importorskip("tensorboard.summary.writer.event_file_writer")
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    writer = writer_mod.EventFileWriter(str(tmp_path / "run"))
    for step in range(3):
        value = Summary.Value(tag="train/loss", simple_value=1.0 / (step + 1))
        writer.add_event(Event(step=step, wall_time=time.time(), summary=Summary(value=[value])))
    writer.close()
    [event] = list((tmp_path / "run").glob("*tfevents*"))
    renamed = tmp_path / "log.bin"
    shutil.copy(event, renamed)
    read(renamed)
    assert recorder[-1] == ("read_tensorboard", str(renamed), {})
    # In a directory: one call per run folder, other logs beside it still read.
    shutil.copy(LOGS / "keras_csvlogger.csv", tmp_path / "k.csv")
    runs = read(tmp_path)
    assert ("read_tensorboard", str(tmp_path / "run"), {}) in recorder
    assert {Path(r.source).name for r in runs} >= {"k.csv", "run"}


def test_missing_optional_reader_names_what_is_needed(monkeypatch):
    monkeypatch.setitem(sys.modules, "losslens.readers.wandb", None)
    with pytest.raises(UnknownFormatError, match="losslens.readers.wandb"):
        read("wandb:somewhere")


# ---- errors: one line, the file, the problem; files untouched ---------------------------------
def _error(path, kind, pattern, **options):
    before = _digest(path) if path.is_file() else None
    with pytest.raises(kind) as info:
        read(path, **options)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(str(path)), msg
    assert pattern in msg, msg
    if before is not None:
        assert _digest(path) == before
    return msg


def test_errors(tmp_path):
    _error(tmp_path / "nope.csv", ReadError, "no such file")
    (tmp_path / "empty.csv").write_text("")
    _error(tmp_path / "empty.csv", ReadError, "empty file")
    (tmp_path / "blank.csv").write_text("\n  \n\t\n")
    _error(tmp_path / "blank.csv", ReadError, "empty file")
    (tmp_path / "header.csv").write_text("epoch,loss,val_loss\n")
    _error(tmp_path / "header.csv", ReadError, "no data rows")
    (tmp_path / "acc.csv").write_text("epoch,accuracy,val_accuracy\n0,,\n1,NA,\n")
    msg = _error(tmp_path / "acc.csv", NoLossError, "no values")   # accuracies only, and empty
    assert "val_acc" in msg and "train_acc" in msg
    (tmp_path / "foo.csv").write_text("epoch,foo\n0,0.5\n1,0.6\n")
    msg = _error(tmp_path / "foo.csv", NoLossError, "no loss or accuracy column")
    assert "foo" in msg
    (tmp_path / "nan.csv").write_text("epoch,loss,val_loss\n0,NA,nan\n1,,NA\n")
    _error(tmp_path / "nan.csv", NoLossError, "no values")
    (tmp_path / "prose.txt").write_text("Dear diary,\ntoday the loss went down.\n")
    _error(tmp_path / "prose.txt", UnknownFormatError, "not a training log")
    (tmp_path / "numbers.csv").write_text("0.5,0.4\n0.3,0.2\n")
    _error(tmp_path / "numbers.csv", UnknownFormatError, "without a header")
    text = (LOGS / "hf_output" / "trainer_state.json").read_text()
    (tmp_path / "cut.json").write_text(text[:40])  # (a cut before any record: nothing to read)
    _error(tmp_path / "cut.json", ReadError, "unreadable JSON")
    (tmp_path / "array.json").write_text("[0.9, 0.5, 0.4]")
    _error(tmp_path / "array.json", UnknownFormatError, "not a training log")
    (tmp_path / "summary.json").write_text('{"loss": 0.1, "_step": 10}')
    _error(tmp_path / "summary.json", UnknownFormatError, "without history")
    (tmp_path / "junk.bin").write_bytes(bytes(range(256)) * 8)
    _error(tmp_path / "junk.bin", UnknownFormatError, "binary file")
    (tmp_path / "cut.csv.gz").write_bytes(gzip.compress((LOGS / "keras_csvlogger.csv").read_bytes())[:40])
    _error(tmp_path / "cut.csv.gz", ReadError, "corrupt gzip")
    (tmp_path / "runs.csv").write_text("run_id,lr,final_loss\na,0.1,0.5\nb,0.01,0.4\n")
    _error(tmp_path / "runs.csv", UnknownFormatError, "a table of runs")
    (tmp_path / "k.csv").write_bytes((LOGS / "keras_csvlogger.csv").read_bytes())
    _error(tmp_path / "k.csv", ReadError, "column 'dev' (given for val_loss) not found",
           columns={"val_loss": "dev"})
    empty_dir = tmp_path / "d"
    (empty_dir / "sub").mkdir(parents=True)
    (empty_dir / "sub" / "notes.txt").write_text("nothing here\n")
    _error(empty_dir, ReadError, "no training runs found")


def test_errors_are_losslens_errors_the_cli_can_print():
    assert issubclass(NoLossError, ReadError) and issubclass(UnknownFormatError, ReadError)
    assert issubclass(ReadError, LosslensError)


def test_truncated_csv_keeps_the_complete_rows(tmp_path):
    text = (LOGS / "keras_csvlogger.csv").read_text()
    cut = text[: text.rindex(",")]  # the last row loses its last cell
    (tmp_path / "cut.csv").write_text(cut)
    [run] = read(tmp_path / "cut.csv")
    [full] = read(LOGS / "keras_csvlogger.csv")
    # The cut row is left out whole: its last cell before the cut may itself be a stump.
    assert len(run) == len(full) - 1
    _same(run.series["train_loss"], full.series["train_loss"][:-1])
    _same(run.series["val_loss"], full.series["val_loss"][:-1])


# ---- the shared real curves ------------------------------------------------------------------
CURVES = ["deepobs_baselines_curves.csv.gz", "keras_notebook_curves.csv", "yolo_results_curves.csv",
          "modded_nanogpt_val_curves.csv", "hf_trainer_state_logs.csv"]
RUN_TABLES = {"deepobs_baselines_curves.csv.gz": "deepobs_baselines_runs.csv",
              "keras_notebook_curves.csv": "keras_notebook_runs.csv", "yolo_results_curves.csv": "yolo_runs.csv",
              "modded_nanogpt_val_curves.csv": "modded_nanogpt_runs.csv",
              "hf_trainer_state_logs.csv": "hf_trainer_state_runs.csv"}


def _shared(name):
    if SHARED is None:
        pytest.skip("no ../shared/curves beside this checkout (set LOSSLENS_CURVES)")
    return SHARED / name


@pytest.mark.parametrize("name", CURVES)
def test_shared_curve_files(name):
    path = _shared(name)
    with open(SHARED / RUN_TABLES[name], newline="") as fh:
        listed = [r["run_id"] for r in csv.DictReader(fh)]
    runs = read(path)
    assert [r.name for r in runs] == listed  # every run, in the file's order
    assert all(r.source == str(path) and len(r) > 0 for r in runs)
    assert all(r.has("train_loss") or r.has("val_loss") for r in runs)
    if name.startswith("deepobs"):
        # test_loss is DeepOBS' held-out loss: it is the validation curve.
        assert all(r.has("val_loss") and r.axis[0] == 0 for r in runs)
    if name.startswith("yolo"):
        assert all(r.meta["loss_parts"]["train_loss"] == ["train_box_loss", "train_cls_loss", "train_dfl_loss"]
                   for r in runs)
    if name.startswith("modded"):
        assert all(r.axis_name == "step" and not r.has("train_loss") for r in runs)


def test_shared_keras_notebook_values_match_the_file():
    path = _shared("keras_notebook_curves.csv")
    with open(path, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["run_id"].endswith("3.5-classifying-movie-reviews.ipynb#cell32")]
    [run] = read(path, run_id=rows[0]["run_id"])
    _same(run.axis, [float(r["epoch"]) for r in rows])
    _same(run.series["val_loss"], [float(r["val_loss"]) for r in rows])


@pytest.mark.parametrize("name", sorted(RUN_TABLES.values()))
def test_shared_run_tables_are_not_curves(name):
    path = _shared(name)
    with pytest.raises(UnknownFormatError, match="a table of runs"):
        read(path)


def test_shared_learning_curves_over_training_size_are_not_read_as_training_logs():
    with pytest.raises(ReadError, match="'size_train' holds training-set sizes, not epochs"):
        read(_shared("lcdb_v1_accuracy_mean_curves.csv"))


def test_reading_a_csv_imports_no_pandas_or_framework(tmp_path):
    import subprocess
    code = ("import sys, losslens.readers as r; r.read(sys.argv[1]); "
            "print(sorted(m for m in ('pandas', 'torch', 'keras', 'tensorflow', 'lightning', 'transformers') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(LOGS / "keras_csvlogger.csv")],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_infinite_loss_is_data_not_missing(tmp_path):
    (tmp_path / "div.csv").write_text("epoch,loss\n0,2.0\n1,inf\n2,nan\n")
    [run] = read(tmp_path / "div.csv")
    assert math.isinf(run.series["train_loss"][1]) and math.isnan(run.series["train_loss"][2])


def test_comment_lines_and_a_gnuplot_style_header(tmp_path):
    [keras] = read(LOGS / "keras_csvlogger.csv")
    rows = "\n".join(f"{int(e)} {float(lo)!r} {float(v)!r}" for e, lo, v in
                     zip(keras.axis, keras.series["train_loss"], keras.series["val_loss"]))
    (tmp_path / "loop.dat").write_text("# written by my loop\n# epoch loss val_loss\n" + rows + "\n")
    [run] = read(tmp_path / "loop.dat")
    _same(run.series["val_loss"], keras.series["val_loss"])
    text = (LOGS / "keras_csvlogger.csv").read_text()
    (tmp_path / "c.csv").write_text("# exported 2024-01-01\n" + text)
    _same(read(tmp_path / "c.csv")[0].series["train_loss"], keras.series["train_loss"])


def test_file_uri_and_metric_without_loss(tmp_path):
    [run] = read((LOGS / "keras_csvlogger.csv").resolve().as_uri())
    assert run.has("val_loss")
    (tmp_path / "acc.csv").write_text("epoch,accuracy,val_accuracy\n0,0.5,0.4\n1,0.6,0.5\n")
    [run] = read(tmp_path / "acc.csv", metric="val_acc")  # the caller diagnoses accuracy
    _same(run.series["val_acc"], [0.4, 0.5])


def test_directory_hands_a_keras_tensorboard_run_to_the_real_reader(tmp_path):
    pytest.importorskip("losslens.readers.tensorboard")
    writer_mod = pytest.importorskip("tensorboard.summary.writer.event_file_writer")
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    [keras] = read(LOGS / "keras_history_wrapped.json")
    for split, key in (("train", "train_loss"), ("validation", "val_loss")):
        writer = writer_mod.EventFileWriter(str(tmp_path / "logs" / "fit" / split))
        for epoch, value in zip(keras.axis, keras.series[key]):
            summary = Summary(value=[Summary.Value(tag="epoch_loss", simple_value=float(value))])
            writer.add_event(Event(step=int(epoch), wall_time=time.time(), summary=summary))
        writer.close()
    shutil.copy(LOGS / "keras_csvlogger.csv", tmp_path / "logs" / "history.csv")
    runs = {r.name: r for r in read(tmp_path / "logs")}
    assert set(runs) == {"fit", "logs"}  # the TensorBoard run folder and history.csv (named by its folder)
    np.testing.assert_allclose(runs["fit"].series["val_loss"], keras.series["val_loss"], rtol=1e-6)


def test_learning_curves_with_a_composite_run_id_and_a_named_axis():
    path = _shared("lcdb_v1_accuracy_mean_curves.csv")
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    keys = list(dict.fromkeys((r["openmlid"], r["learner"]) for r in rows))
    runs = read(path, run_column=["openmlid", "learner"], metric="valid_acc_mean", columns={"epoch": "size_train"})
    assert [r.name for r in runs] == [f"{a}/{b}" for a, b in keys]  # 4367 (dataset, learner) curves
    first = [r for r in rows if (r["openmlid"], r["learner"]) == keys[0]]
    _same(runs[0].axis, [float(r["size_train"]) for r in first])
    _same(runs[0].series["valid_acc_mean"], [float(r["valid_acc_mean"]) for r in first])


# ---- the installed libraries still write what the readers read (slow: real training) ---------
def _make_logs():
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_logs", LOGS / "make_logs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.usefixtures("one_torch_thread")  # torch's second thread spins on busy cores
def test_installed_keras_writes_what_the_readers_read(tmp_path):
    pytest.importorskip("keras")
    pytest.importorskip("sklearn")
    _make_logs().keras_logs(tmp_path, epochs=4, quick=True)
    raw = _csv_columns(tmp_path / "keras_csvlogger.csv")
    [run] = read(tmp_path / "keras_csvlogger.csv")
    _same(run.series["val_loss"], raw["val_loss"])
    assert np.isnan(run.series["val_loss"][0]) and np.isfinite(run.series["val_loss"][1])
    history = json.loads((tmp_path / "keras_history.json").read_text())
    [run] = read(tmp_path / "keras_history.json")
    _same(run.series["train_loss"], history["loss"])
    _same(run.series["val_loss"][1::2], history["val_loss"])


@pytest.mark.slow
@pytest.mark.usefixtures("one_torch_thread")  # torch's second thread spins on busy cores
def test_installed_lightning_writes_what_the_readers_read(tmp_path):
    pytest.importorskip("lightning")
    pytest.importorskip("sklearn")
    _make_logs().lightning_logs(tmp_path, epochs=3)
    [path] = list((tmp_path / "lightning").rglob("metrics.csv"))
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    [run] = read(tmp_path)
    _same(run.axis, [0, 1, 2])
    _same(run.series["train_loss"], [float(r["train_loss_epoch"]) for r in rows if r["train_loss_epoch"]])
    _same(run.series["val_loss"], [float(r["val_loss"]) for r in rows if r["val_loss"]])


@pytest.mark.slow
@pytest.mark.usefixtures("one_torch_thread")  # torch's second thread spins on busy cores
def test_installed_transformers_trainer_writes_what_the_readers_read(tmp_path):
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    _make_logs().hf_logs(tmp_path, epochs=2, n_train=160)
    state = json.loads((tmp_path / "hf_output" / "trainer_state.json").read_text())
    [run] = read(tmp_path / "hf_output")
    assert run.axis_name == "step" and run.axis[-1] == state["global_step"]
    evals = [r for r in state["log_history"] if "eval_loss" in r]
    _same(run.series["val_loss"][np.isfinite(run.series["val_loss"])], [r["eval_loss"] for r in evals])


def test_spreadsheet_decimal_commas(tmp_path):
    [keras] = read(LOGS / "keras_csvlogger.csv")
    lines = ["epoch;loss;val_loss"] + [f"{int(e)};{str(float(a)).replace('.', ',')};"
                                       f"{'NA' if np.isnan(b) else str(float(b)).replace('.', ',')}"
                                       for e, a, b in zip(keras.axis, keras.series["train_loss"],
                                                          keras.series["val_loss"])]
    (tmp_path / "excel.csv").write_text("\n".join(lines) + "\n")
    [run] = read(tmp_path / "excel.csv")
    _same(run.series["train_loss"], keras.series["train_loss"])
    _same(run.series["val_loss"], keras.series["val_loss"])


def test_wandb_chart_export_splits_into_runs(tmp_path):
    # The W&B panel's "Export CSV": one column per run and metric, plus __MIN/__MAX envelopes
    # (wandb/wandb#5349). Values here come from two real fixtures.
    [a] = read(LOGS / "keras_csvlogger.csv")
    [b] = read(LOGS / "keras_csvlogger.tsv")
    header = ["Step"] + [f"{r} - val_loss{agg}" for r in ("adam-1", "adam-2") for agg in ("", "__MIN", "__MAX")]
    rows = [[int(e)] + [x for v in (a.series["val_loss"][i], b.series["val_loss"][i]) for x in (v, v, v)]
            for i, e in enumerate(a.axis)]
    with open(tmp_path / "chart.csv", "w", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_NONNUMERIC)
        w.writerow(header)
        w.writerows([[c if c == c else "" for c in row] for row in rows])
    runs = read(tmp_path / "chart.csv")
    assert [r.name for r in runs] == ["adam-1", "adam-2"] and runs[0].axis_name == "step"
    _same(runs[0].axis, a.axis)
    _same(runs[0].series["val_loss"], a.series["val_loss"])  # (only adam-2's values were compared)
    _same(runs[1].series["val_loss"], b.series["val_loss"])
    assert list(runs[0].series) == ["val_loss"]  # envelopes left out


def test_wandb_chart_export_of_runs_of_different_lengths(tmp_path):
    # A chart comparing a 30-epoch run with one stopped at 20: W&B's export shares one Step column, the shorter
    # run's cells empty after its end (written here by hand in the format of the panel's "Export CSV", quoted
    # cells, `<run> - <metric>` and its __MIN/__MAX envelopes; values from two real Keras CSVLogger runs). The
    # blanks read as NaN to the end: "diverged — train_loss became NaN/inf at step 40".
    [a] = read(LOGS.parent / "ecosystem" / "keras_cnn_spike" / "seed0.csv")
    [b] = read(LOGS.parent / "ecosystem" / "keras_cnn_spike" / "seed2.csv")
    n, stop = len(a), 40
    header = ["Step"] + [f"{r} - loss{agg}" for r in ("long-run-1", "short-run-2") for agg in ("", "__MIN", "__MAX")]
    with open(tmp_path / "wandb_export.csv", "w", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        w.writerow(header)
        for i in range(n):
            x, y = a.series["train_loss"][i], b.series["train_loss"][i]
            w.writerow([i, x, x, x] + ([y, y, y] if i < stop else ["", "", ""]))
    long, short = read(tmp_path / "wandb_export.csv")
    assert (long.name, len(long), short.name, len(short)) == ("long-run-1", n, "short-run-2", stop)
    _same(short.series["train_loss"], b.series["train_loss"][:stop])
    assert losslens.diagnose(short).verdict != "diverged"


def test_pandas_to_csv_of_a_history_drops_the_index_column(tmp_path):
    """pd.DataFrame(history.history).to_csv(path): the blank-headed index is the row number."""
    pd = pytest.importorskip("pandas")
    hist = json.loads((LOGS / "keras_tensorboard.history.json").read_text())
    path = tmp_path / "history.csv"
    pd.DataFrame(hist).to_csv(path)
    [run] = read(path)
    assert sorted(run.series) == ["train_acc", "train_loss", "val_acc", "val_loss"]
    assert list(run.axis) == list(range(len(hist["loss"])))
    assert run.val_loss == pytest.approx(hist["val_loss"])
    # a first column that is not a 0..n-1 count is data and stays
    frame = pd.DataFrame(hist)
    frame.index = frame.index * 10
    frame.to_csv(path)
    assert "column_0" in read(path)[0].series


def test_a_log_of_accuracies_only_is_diagnosed_on_val_acc(tmp_path):
    """No loss logged (some loggers keep only accuracies): the curve is val_acc, rising."""
    hist = json.loads((LOGS / "keras_tensorboard.history.json").read_text())
    path = tmp_path / "acc.csv"
    path.write_text("epoch,accuracy,val_accuracy\n" + "".join(
        f"{i},{a},{v}\n" for i, (a, v) in enumerate(zip(hist["accuracy"], hist["val_accuracy"]))))
    import losslens

    [run] = read(path)
    assert run.default_metric() == "val_acc" and run.val_acc == pytest.approx(hist["val_accuracy"])
    d = losslens.diagnose(path)
    named = losslens.diagnose(hist, metric="val_acc")   # the full History, val_acc asked for by name
    assert d.metric == "val_acc" and d.verdict == named.verdict and d.plateau_epoch == named.plateau_epoch
    assert "val_acc" in d.cause.evidence[0]


@pytest.mark.parametrize("continued", [True, False])
def test_keras_csvlogger_appended_over_two_fits(tmp_path, continued):
    """CSVLogger(append=True) over two fit() calls writes epochs 0..5 twice. Training the same
    model on: one run of 12 epochs (it was merged into 6, a silent wrong answer). A new model:
    two runs."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":  # pragma: no cover
        pytest.skip("Keras on the torch backend")
    from keras_models import article_data

    x, y = article_data(0, n=400)   # y = 2 x1 + 3 x2 + N(0, 0.1²)

    def model():
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.layers.Input((2,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(1)])
        m.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
        return m

    path = tmp_path / "training.log"
    m = model()
    losses = []
    for _ in range(2):
        m = m if continued else model()
        h = m.fit(x, y, validation_split=0.2, epochs=6, batch_size=32, verbose=0,
                  callbacks=[keras.callbacks.CSVLogger(str(path), append=True)])
        losses.append(h.history["loss"])
    runs = read(path)
    if continued:
        [run] = runs
        assert list(run.axis) == list(range(12)) and run.meta["appended_segments"] == 1
        assert run.train_loss == pytest.approx(losses[0] + losses[1], rel=1e-6)
    else:
        base = runs[0].name[:-2]   # named after the folder: "training.log" says little
        assert [r.name for r in runs] == [f"{base}#1", f"{base}#2"]
        assert "started again" in runs[1].meta["restart"]
        for run, loss in zip(runs, losses):
            assert list(run.axis) == list(range(6)) and run.train_loss == pytest.approx(loss, rel=1e-6)


@pytest.mark.parametrize("by, names", [("seed", ["seed=0", "seed=1"]), ("model", ["mlp", "linear"])])
def test_histories_stacked_with_a_seed_or_model_column_are_separate_runs(tmp_path, by, names):
    """pd.concat of two runs' histories with a seed (or model) column, sorted by epoch so the rows
    interleave: each run reads back as itself. They were merged into one curve, the last row
    written per epoch winning — the second run, silently. The runs are real torch training
    (benchmarks/scenarios: an MLP and a linear model on moons, committed)."""
    pd = pytest.importorskip("pandas")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.scenarios.generate import load_generated_cases

    cases = {c.case_id: c for c in load_generated_cases()}
    second = "gen/under_moons/seed1" if by == "model" else "gen/conv_moons/seed1"
    runs = [cases["gen/conv_moons/seed0"].run, cases[second].run]
    frames = []
    for label, run in zip((0, 1) if by == "seed" else names, runs):
        frames.append(pd.DataFrame({"epoch": run.axis, "loss": run.series["train_loss"],
                                    "val_loss": run.series["val_loss"]}).assign(**{by: label}))
    path = tmp_path / "stacked.csv"
    pd.concat(frames).sort_values("epoch", kind="stable").to_csv(path, index=False)
    got = read(path)
    assert [r.name for r in got] == names
    for r, run in zip(got, runs):
        _same(r.axis, run.axis)
        _same(r.series["val_loss"], run.series["val_loss"])
    # A resumed log repeats epochs with nothing to tell them apart: still one run, last value wins.
    path.write_text("epoch,loss,val_loss,phase\n0,1.0,1.1,a\n1,0.8,0.9,a\n1,0.7,0.8,a\n2,0.6,0.7,a\n")
    [one] = read(path)
    assert list(one.axis) == [0, 1, 2] and list(one.series["val_loss"]) == [1.1, 0.8, 0.7]


def test_a_fitted_scikit_learn_mlp_is_a_run():
    """MLPClassifier on scikit-learn's bundled digits, early_stopping=True: loss_curve_ is the
    training loss, validation_scores_ the accuracy its early stopping watched (the curve read by
    default: scikit-learn stopped the fit on it), classes_ gives K = 10."""
    pytest.importorskip("sklearn")
    import warnings

    import losslens
    from sklearn.datasets import load_digits, make_regression
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    x, y = load_digits(return_X_y=True)
    clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=200, early_stopping=True, random_state=0).fit(x / 16, y)
    d = losslens.diagnose(clf)
    assert d.run.meta["classes"] == 10 and d.run.train_loss == pytest.approx(clf.loss_curve_)
    assert d.metric == "val_acc" and d.run.val_acc == pytest.approx(clf.validation_scores_)
    # scikit-learn stops 10 epochs without improvement after the best: the plateau came before. On 180
    # held-out digits (sd 0.012 at its best 0.972, 2 sds 88% of the remaining error) with the training loss
    # still falling at 8.9% of its start, that wait could not see the gain: n_iter_no_change=50 reaches
    # 0.989 (200: 0.994), so it reads still_improving, not converged.
    assert d.verdict == "still_improving" and d.plateau_epoch is None  # (not plateaued: where it slowed is kept apart)
    assert d.slowdown_epoch <= clf.n_iter_ - clf.n_iter_no_change
    assert losslens.diagnose(clf, metric="train_loss").metric == "train_loss"
    xr, yr = make_regression(n_samples=800, n_features=10, noise=10.0, random_state=0)
    reg = MLPRegressor(hidden_layer_sizes=(32,), max_iter=300, early_stopping=True, random_state=0).fit(xr, yr / yr.std())
    r = losslens.diagnose(reg)
    assert r.metric == "val_r2" and r.verdict != "diverged" and "classes" not in r.run.meta
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lbfgs's ConvergenceWarning at 20 iterations
        lbfgs = MLPClassifier(solver="lbfgs", max_iter=20).fit(x / 16, y)
    with pytest.raises(ReadError, match="^MLPClassifier: no loss_curve_: .*solver='sgd' or 'adam'"):
        losslens.diagnose(lbfgs)


def test_a_log_appended_with_its_header_each_time_reads_as_one_log(tmp_path):
    """pandas' to_csv(mode="a") after each fit writes the header again; those lines made every
    column text ("no numeric columns"). The real Keras history, written in two appends."""
    pd = pytest.importorskip("pandas")
    hist = json.loads((LOGS / "keras_tensorboard.history.json").read_text())
    frame = pd.DataFrame(hist)
    frame.insert(0, "epoch", range(len(frame)))
    path = tmp_path / "log.csv"
    half = len(frame) // 2
    frame.iloc[:half].to_csv(path, index=False)
    frame.iloc[half:].to_csv(path, index=False, mode="a")
    assert path.read_text().count("epoch,") == 2
    [run] = read(path)
    assert list(run.axis) == list(range(len(frame))) and run.val_loss == pytest.approx(hist["val_loss"])


# One process fits twice, verbose=1 then verbose=2 (importing Keras is most of a fit this small); a line
# printed after each fit splits what they printed.
_KERAS_FIT = """
import json, sys
sys.path.insert(0, {tests!r})
import keras
from keras_models import article_data, mlp
x, y = article_data(0, n=400)
for verbose in (1, 2):
    model = mlp()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse", metrics=["mae"])
    h = model.fit(x, y, validation_split=0.2, epochs=6, batch_size=32, verbose=verbose)
    json.dump(h.history, open({hist!r}.format(verbose), "w"))
    print({split!r}, flush=True)
"""
_SPLIT = "=== end of fit ==="


def test_what_keras_fit_printed_reads_as_its_history(tmp_path):
    """The console output of a real Keras 3 fit (verbose=1: the bar redrawn with carriage returns,
    backspaces and colour codes; verbose=2: a line per epoch), captured to a file and saved in a
    notebook cell's output: the epochs as History numbers them (0-5: "Epoch 1/6" is epoch 0) and the History's values to the printed
    four decimals. A log people have when they kept nothing else."""
    pytest.importorskip("keras")
    import os
    import subprocess

    hist = str(tmp_path / "history{}.json")
    code = _KERAS_FIT.format(tests=str(Path(__file__).parent), hist=hist, split=_SPLIT)
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env=dict(os.environ, KERAS_BACKEND="torch")).stdout.split(_SPLIT + "\n")
    assert len(printed) == 3 and printed[2] == ""
    for verbose, out in ((1, printed[0]), (2, printed[1])):
        expected = json.loads(Path(hist.format(verbose)).read_text())
        folder = tmp_path / f"verbose{verbose}"
        folder.mkdir()
        log = folder / "out.txt"
        log.write_text(out)
        [run] = read(log)
        assert run.meta["format"] == "keras_console" and list(run.axis) == [0, 1, 2, 3, 4, 5], verbose
        for key, canon in (("loss", "train_loss"), ("val_loss", "val_loss"), ("val_mae", "val_mae")):
            assert run.series[canon] == pytest.approx(expected[key], rel=1e-3, abs=1e-4), verbose
        if verbose == 2:  # the job killed while printing the last epoch: "... val_mae: 0.0" with no newline
            cut = folder / "cut.txt"
            cut.write_text(out.rstrip("\n")[:-3])
            [short] = read(cut)
            assert list(short.axis) == [0, 1, 2, 3, 4] and short.val_loss == pytest.approx(run.val_loss[:5])
        nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
              "cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# training"]},
                        {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": ["model.fit(...)"],
                         "outputs": [{"output_type": "stream", "name": "stdout", "text": out.splitlines(True)}]}]}
        (folder / "train.ipynb").write_text(json.dumps(nb))
        [cell] = read(folder / "train.ipynb")
        assert cell.name == "train#cell2" and cell.val_loss == pytest.approx(run.val_loss), verbose
        (folder / "empty.ipynb").write_text(json.dumps(dict(nb, cells=nb["cells"][:1])))
        with pytest.raises(UnknownFormatError, match="a notebook without a training log"):
            read(folder / "empty.ipynb")


def test_a_trainer_console_reads_as_its_log_history():
    """hf_console.txt: what a real transformers.Trainer printed (make_logs.py hf_console), beside
    the log_history of the same run. Python dicts, not JSON; the closing summary is no point."""
    [run] = read(LOGS / "hf_console.txt")
    history = json.loads((LOGS / "hf_console.log_history.json").read_text())
    assert run.meta["format"] == "hf_console" and run.name == "hf_console"
    assert list(run.axis) == [h["epoch"] for h in history if "eval_loss" in h]
    assert run.val_loss == pytest.approx([h["eval_loss"] for h in history if "eval_loss" in h], rel=1e-3)
    assert run.train_loss == pytest.approx([h["loss"] for h in history if "loss" in h], rel=1e-3)


def test_blank_validation_cells_at_the_end_are_not_logged_not_nan(tmp_path, caplog):
    """A plain torch loop's epochs written as rows by csv.DictWriter, the loop having stopped evaluating after
    epoch 23 and trained on: the last val_loss cells are empty. Read as NaN like a logged ``nan``, they read "diverged"
    (val_loss NaN from epoch 24); a blank is "not logged". The same loop writing ``nan`` did diverge."""
    from torch_loops import linear_regression_run

    history = linear_regression_run(0.05, 30, weights=(1.0, -2.0, 0.5, 0.0, 3.0), inputs="randn")
    rows = [{"epoch": e, "train_loss": t, **({"val_loss": v} if e < 24 else {})}
            for e, (t, v) in enumerate(zip(history["loss"], history["val_loss"]))]

    def written(name, rows):
        path = tmp_path / name
        with path.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=["epoch", "train_loss", "val_loss"])
            w.writeheader()
            w.writerows(rows)
        return path

    blank = written("blank.csv", rows)
    assert blank.read_text().splitlines()[-1].endswith(",")
    d = losslens.diagnose(blank)
    assert d.verdict != "diverged" and "diverged" not in [c.id for c in d.causes], str(d)
    assert d.facts.divergence.nonfinite_from is None
    assert d.run.meta["logged_until"] == {"val_loss": 23.0}
    # Said, since pandas writes a NaN as a blank too: the reading is the reader's guess, not the file's word.
    assert "val_loss has no value after epoch 23 (blank cells while another loss goes on)" in caplog.text
    # Evaluated every 5th epoch, the last rows blank by that rhythm: nothing stopped, nothing to say.
    caplog.clear()
    every5 = written("every5.csv", [r if e % 5 == 0 else {"epoch": e, "train_loss": r["train_loss"]}
                                    for e, r in enumerate(rows[:24])])
    losslens.diagnose(every5)
    assert "has no value after" not in caplog.text
    logged_nan = written("nan.csv", [dict(r, val_loss=r.get("val_loss", math.nan)) for r in rows])
    assert losslens.diagnose(logged_nan).verdict == "diverged"
    # Lightning's interleaved blanks fold onto epochs as before: nothing there stopped being logged.
    [lightning] = read(LOGS / "lightning" / "version_0" / "metrics.csv")
    assert "logged_until" not in lightning.meta


def test_blank_cells_are_not_logged_per_column_beside_a_column_that_spells_inf(tmp_path, caplog):
    """The same torch loop, stopped evaluating after epoch 23, also logs how far val_loss improved on the best so
    far: ``best - val_loss`` with ``best = inf`` at first, so epoch 0's cell is ``inf``. Both writers spell that inf
    (csv.DictWriter writes the blank val_loss cells from its restval, pandas' to_csv its NaN): the file spells a
    non-finite value, but not in val_loss, whose blank tail is still "not logged". A nan written in val_loss's own
    column still reads diverged."""
    import pandas as pd
    from torch_loops import linear_regression_run

    history = linear_regression_run(0.05, 30, weights=(1.0, -2.0, 0.5, 0.0, 3.0), inputs="randn")
    rows, best = [], math.inf
    for e, (t, v) in enumerate(zip(history["loss"], history["val_loss"])):
        row = {"epoch": e, "train_loss": t}
        if e < 24:
            row.update(val_loss=v, val_improvement=best - v)
            best = min(best, v)
        rows.append(row)
    fields = ["epoch", "train_loss", "val_loss", "val_improvement"]
    dictwriter = tmp_path / "dictwriter.csv"
    with dictwriter.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    frame = pd.DataFrame(rows, columns=fields)
    frame.to_csv(tmp_path / "pandas.csv", index=False)
    for path in (dictwriter, tmp_path / "pandas.csv"):
        text = path.read_text()
        assert ",inf" in text.splitlines()[1] and text.splitlines()[-1].endswith(",,"), text
        caplog.clear()
        d = losslens.diagnose(path)
        assert d.verdict != "diverged" and d.facts.divergence.nonfinite_from is None, (path.name, str(d))
        assert d.run.meta["logged_until"] == {"val_loss": 23.0}
        assert "val_loss has no value after epoch 23" in caplog.text
    # A nan in val_loss's own column: its writer spells NaN there, so the blanks may be NaN too.
    nan = tmp_path / "nan.csv"
    with nan.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows([dict(r, val_loss=math.nan) if e == 24 else r for e, r in enumerate(rows)])
    assert losslens.diagnose(nan).verdict == "diverged"


def test_a_dataframe_or_dict_of_a_loop_that_stopped_evaluating_reads_as_its_csv(tmp_path, caplog):
    """The torch loop that stopped evaluating after epoch 23, passed to losslens.diagnose as Python objects: its
    rows as a DataFrame (pandas fills the keys not logged with NaN), its DictWriter CSV read back by pandas
    (blank cells read as NaN), a dict of lists with None where it did not evaluate. All three read "not logged"
    as the CSV does (the old code read them diverged); a dict holding the float('nan') a loop logged diverged."""
    import pandas as pd
    from torch_loops import linear_regression_run

    history = linear_regression_run(0.05, 30, weights=(1.0, -2.0, 0.5, 0.0, 3.0), inputs="randn")
    rows = [{"epoch": e, "train_loss": t, **({"val_loss": v} if e < 24 else {})}
            for e, (t, v) in enumerate(zip(history["loss"], history["val_loss"]))]
    path = tmp_path / "loop.csv"
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["epoch", "train_loss", "val_loss"])
        w.writeheader()
        w.writerows(rows)
    columns = {k: [r.get(k) for r in rows] for k in ("epoch", "train_loss", "val_loss")}
    assert columns["val_loss"][-1] is None
    for source, said in ((pd.DataFrame(rows), True), (pd.read_csv(path), True), (columns, False)):
        caplog.clear()
        d = losslens.diagnose(source)
        assert d.verdict != "diverged" and d.facts.divergence.nonfinite_from is None, str(d)
        assert d.run.meta["logged_until"] == {"val_loss": 23.0}
        # NaN in a DataFrame may be a NaN the loop logged (pd.DataFrame(history.history)): the reading is said
        assert ("val_loss has no value after epoch 23 (NaN to the end while another loss goes on)" in caplog.text) \
            == said, caplog.text
    logged = dict(columns, val_loss=[math.nan if v is None else v for v in columns["val_loss"]])
    assert losslens.diagnose(logged).verdict == "diverged"


# A torch loop that prints each epoch in the forms people write with a note in brackets between a name and
# its value; one block per form on stdout, the values it printed saved beside them.
_NOTED_LOOP = r'''
import json, sys, torch
torch.manual_seed(0)
X = torch.randn(256, 8); y = (X[:, 0] + X[:, 1] > 0).long()
Xv = torch.randn(128, 8); yv = (Xv[:, 0] + Xv[:, 1] > 0).long()
model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
lf = torch.nn.CrossEntropyLoss()
rows = []
for epoch in range(6):
    losses = []
    for i in range(0, 256, 32):
        opt.zero_grad(); loss = lf(model(X[i:i + 32]), y[i:i + 32]); loss.backward(); opt.step()
        losses.append(loss.item())
    with torch.no_grad():
        out = model(Xv); val = lf(out, yv).item(); acc = (out.argmax(1) == yv).float().mean().item()
    rows.append({"last": losses[-1], "avg": sum(losses) / len(losses), "val": val, "acc": acc})
forms = [
    "epoch {e} train_loss(last step) {last:.4f} val_loss {val:.4f} val_acc {acc:.3f}",
    "epoch {e}: train_loss (avg) = {avg:.4f}, val_loss (avg) = {val:.4f}",
    "Epoch {e} | Loss (train): {avg:.4f} | Loss (val): {val:.4f}",
    "epoch {e} loss [train] {avg:.4f} loss [val] {val:.4f}",
]
for form in forms:
    for e, r in enumerate(rows):
        print(form.format(e=e, **r))
    print("%s")
json.dump(rows, open(sys.argv[1], "w"))
'''


def test_a_loops_names_with_a_note_in_brackets_are_read(tmp_path, caplog):
    """``train_loss(last step) 2.1998``, ``train_loss (avg) = 0.2``, ``Loss (train): 0.52``, ``loss [val] 0.3``:
    printed by a real torch loop and captured from its stdout. Each name was dropped (the note between the
    name and its value; a run with no training curve read stuck_at_init). The note is no part of the column's
    name; a split word in it names the split."""
    pytest.importorskip("torch")
    import subprocess

    values = tmp_path / "values.json"
    blocks = subprocess.run([sys.executable, "-c", _NOTED_LOOP % _SPLIT, str(values)], capture_output=True,
                            text=True, check=True).stdout.split(_SPLIT + "\n")
    rows = json.loads(values.read_text())
    assert len(blocks) == 5 and blocks[4] == ""
    for i, (out, train) in enumerate(zip(blocks, ("last", "avg", "avg", "avg"))):
        log = tmp_path / f"form{i}.txt"
        log.write_text(out)
        [run] = read(log)
        assert run.meta["format"] == "printed_log" and run.axis_name == "epoch", i
        np.testing.assert_array_equal(run.axis, np.arange(6))
        np.testing.assert_allclose(run.series["train_loss"], [r[train] for r in rows], atol=5e-5, err_msg=str(i))
        np.testing.assert_allclose(run.series["val_loss"], [r["val"] for r in rows], atol=5e-5, err_msg=str(i))
    np.testing.assert_allclose(read(tmp_path / "form0.txt")[0].series["val_acc"], [r["acc"] for r in rows], atol=5e-4)
    # A word where a noted name's number is printed is a damaged value, said as one for a name without a note.
    lines = blocks[1].splitlines()
    lines[2] = lines[2].replace(f"= {rows[2]['avg']:.4f}", "= abc")
    (tmp_path / "damaged.txt").write_text("\n".join(lines) + "\n")
    [run] = read(tmp_path / "damaged.txt")
    assert np.isnan(run.series["train_loss"][2]) and np.isfinite(run.series["train_loss"][[0, 1, 3, 4, 5]]).all()
    assert "line 3: 'train_loss' holds 'abc'" in caplog.text


@pytest.mark.parametrize("name", ["keras_val_improvement.json", "printed_keras_val_improvement.txt"])
def test_a_history_or_printed_fit_reads_nan_per_column_as_a_csv_does(tmp_path, name):
    """A real Keras fit (make_logs.py keras_best) whose callback logs val_improvement = best - val_loss, inf at
    epoch 0, validated for 16 epochs and continued 6 without validation: json.dump of the merged History, and
    what the fits printed. The file spells inf, but not in val_loss, which stopped being logged after epoch 15:
    the per-file test read both "diverged: val_loss became NaN/inf at epoch 16", as the CSV reader did before
    it decided per column (delimited.stated_nonfinite, shared by all three). A NaN in val_loss's own list or
    printed value still reads diverged."""
    d = losslens.diagnose(LOGS / name)
    assert d.verdict != "diverged" and d.facts.divergence.nonfinite_from is None, str(d)
    assert d.run.meta["logged_until"] == {"val_loss": 15.0, "val_acc": 15.0}
    assert np.isinf(d.run.series["val_improvement"][0])
    text = (LOGS / name).read_text()
    last = f"{json.loads(text)['val_loss'][-1]!r}" if name.endswith(".json") else "val_loss: 0.4960"
    assert text.count(last) == 1
    broken = tmp_path / name
    broken.write_text(text.replace(last, "NaN" if name.endswith(".json") else "val_loss: nan"))
    assert losslens.diagnose(broken).verdict == "diverged"


@pytest.mark.parametrize("verbose", [2, "auto"])
def test_a_keras_evaluate_printed_after_fit_is_not_the_last_epoch(tmp_path, verbose):
    """``model.fit(..., verbose=2)`` then ``model.evaluate(x_test, y_test)`` in one script, its output piped to
    losslens: the evaluate line ("10/10 - 0s - ... loss: 0.7975", no "Epoch" header of its own) was read as the last
    epoch's, its test loss as the training loss and the validation loss a gap. Each epoch now keeps its own line."""
    import contextlib
    import io

    keras = pytest.importorskip("keras")
    from keras_models import article_data

    keras.utils.set_random_seed(0)
    x, y = article_data(0)
    model = keras.Sequential([keras.layers.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        history = model.fit(x[:800], y[:800], validation_split=0.25, epochs=4, batch_size=32, verbose=2)
        test_loss = model.evaluate(x[800:], y[800:], batch_size=32, verbose=verbose)
    path = tmp_path / "out.txt"
    path.write_text(printed.getvalue())
    [run] = read(path)
    np.testing.assert_allclose(run.series["train_loss"], history.history["loss"], rtol=1e-3)
    np.testing.assert_allclose(run.series["val_loss"], history.history["val_loss"], rtol=1e-3)
    assert not np.isclose(run.series["train_loss"][-1], test_loss, rtol=1e-3)
