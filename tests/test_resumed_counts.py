"""Logs of one training kept over several processes whose counts do not say so: an MLflow run resumed into the same
run id with its steps counted from 0 again, a Keras CSVLogger(append=True) over a fit restarted from an older saved
model, and a Trainer's TensorBoard log at gradient_accumulation_steps=4. Each read as the library wrote it
(tests/fixtures/ecosystem/<case>/make.py says what was run)."""

from __future__ import annotations

import json
import logging
import lzma
import os
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.readers import read

ECO = Path(__file__).parent / "fixtures" / "ecosystem"


# ---- MLflow: start_run(run_id=...) after a checkpoint -------------------------------------------------------
@pytest.fixture
def resume_store(tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    db = tmp_path / "mlflow.db"
    db.write_bytes(lzma.decompress((ECO / "mlflow_step_restart" / "mlflow.db.xz").read_bytes()))
    monkeypatch.chdir(tmp_path)
    return f"sqlite:///{db}"


def _runs(uri):
    from losslens.readers.mlflow import read_mlflow
    return {r.name: r for r in read_mlflow(uri, experiment="resume")}


def test_mlflow_steps_counted_from_0_again_after_a_resume_follow_on(resume_store, caplog):
    # step_restart logged epochs 0-24 at steps 0-24, then the run resumed from the epoch-24 checkpoint logged epochs
    # 25-59 at steps 0-34. Before: read by step, the 35 resumed values replaced the 25 first (the whole descent) in
    # silence, "learning rate too high - plateau at step 23" on a curve of 35 points.
    with caplog.at_level(logging.WARNING, logger="losslens"):
        runs = _runs(resume_store)
    run, single = runs["step_restart"], runs["single"]
    assert np.array_equal(run.axis, np.arange(60))
    # Its first 25 epochs are the one-process run's (same seeds); what follows goes on from there, no jump.
    np.testing.assert_allclose(run.get("train_loss")[:25], single.get("train_loss")[:25], rtol=1e-6)
    assert abs(run.get("val_loss")[25] - run.get("val_loss")[24]) < 0.02
    said = [r.getMessage() for r in caplog.records if "steps started again at 0 after step 24" in r.getMessage()]
    assert len(said) == 1 and "read as one run, those steps as 25-59" in said[0]
    d, one = losslens.diagnose(run), losslens.diagnose(single)
    assert d.verdict == one.verdict != "lr_too_high"


def test_mlflow_resume_from_an_earlier_checkpoint_is_said(resume_store, caplog):
    # ckpt_resume: epochs 0-24, then resumed from epoch 14's checkpoint at steps 15-59. Read by step, the later values
    # stood for steps 15-24 before too, but without a word.
    with caplog.at_level(logging.WARNING, logger="losslens"):
        run = _runs(resume_store)["ckpt_resume"]
    assert np.array_equal(run.axis, np.arange(60))
    assert "the steps went back from 24 to 15 (resumed from a checkpoint there): the later values read from step 15 " \
           "on, 10 earlier ones left out" in caplog.text



def test_mlflow_a_metric_restarted_another_number_of_times_says_its_own_reading(tmp_path, caplog):
    # Three processes into one run, each counting from 0: the lr (constant 0.1) logged at each epoch's start, the
    # loss at its end; the third stopped before its first loss. train_loss went back once (renumbered: it goes on),
    # lr twice, decided on its own values (a constant is as near its start as its end: "over", its earlier values
    # left out). Before, only train_loss's line was said, "(and so for 1 more metric(s))", as if lr read the same.
    mlflow = pytest.importorskip("mlflow")
    from losslens.readers.mlflow import read_mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    try:
        mlflow.set_experiment("three")
        with mlflow.start_run(run_name="r") as r:
            for e in range(10):
                mlflow.log_metric("lr", 0.1, step=e)
                mlflow.log_metric("train_loss", 1.0 / (e + 1), step=e)
        for steps in (range(5), range(1)):
            with mlflow.start_run(run_id=r.info.run_id):
                for e in steps:
                    mlflow.log_metric("lr", 0.1, step=e)
                    if steps.stop > 1:
                        mlflow.log_metric("train_loss", 0.1 - 0.001 * e, step=e)
    finally:
        # (the tracking URI and set_experiment's active id are process-wide: a later test's file store in this worker
        # then failed "Could not find experiment with ID 1", as test_api_shapes found)
        mlflow.set_tracking_uri(None)
        mlflow.tracking.fluent._active_experiment_id = None
        os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    with caplog.at_level(logging.WARNING, logger="losslens"):
        (run,) = read_mlflow(uri, experiment="three")
    assert "read as one run, those steps as 10-14" in caplog.text
    assert "(and so for 1 more metric(s))" not in caplog.text
    assert "lr: the steps went back from 9 to 0" in caplog.text and "10 earlier ones left out" in caplog.text

def test_mlflow_a_metric_restarted_fewer_times_is_joined_at_the_lead_s_restarts(tmp_path, monkeypatch, caplog):
    # Three processes into one run, each counting its steps from 0 and going on from the last one's weights: the
    # loss logged at every step, the (constant) lr at each 5-step epoch's start; the second process stopped after 3
    # steps. train_loss went back twice (renumbered: 0-9, 10-12, 13-22), lr once (its second process logged one
    # value at step 0, its third's step 0 is not below it): before, lr was decided on its own values ("over": its
    # first process's values left out, "lr: ... 2 earlier ones left out") and read at steps 0 and 5 only.
    mlflow = pytest.importorskip("mlflow")
    import time

    from losslens.readers.mlflow import read_mlflow
    from torch_loops import linear_regression_run

    history = linear_regression_run(0.05, 23, weights=(1.0, -2.0, 0.5, 3.0), inputs="randn")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    store = tmp_path / "mlruns"
    mlflow.set_tracking_uri(store.as_uri())
    try:
        run_id, done = None, 0
        for steps in (10, 3, 10):
            with mlflow.start_run(run_id=run_id, run_name=None if run_id else "resumed") as r:
                run_id = r.info.run_id
                for step in range(steps):
                    if step % 5 == 0:
                        mlflow.log_metric("lr", 0.05, step=step)
                    mlflow.log_metric("train_loss", history["loss"][done + step], step=step)
            done += steps
            time.sleep(0.01)  # (a process restart takes seconds: the store's timestamps are milliseconds)
    finally:
        mlflow.set_tracking_uri(None)
        mlflow.tracking.fluent._active_experiment_id = None
        os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    with caplog.at_level(logging.WARNING, logger="losslens"):
        (run,) = read_mlflow(store.as_uri())
    np.testing.assert_allclose(run.get("train_loss"), history["loss"], rtol=1e-6)
    lr = run.get("lr")
    assert list(run.axis[np.isfinite(lr)]) == [0, 5, 10, 13, 18] and np.all(lr[np.isfinite(lr)] == 0.05)
    assert "those steps as 10-12 (and so for 1 more metric(s))" in caplog.text
    assert "those steps as 13-22 (and so for 1 more metric(s))" in caplog.text
    assert "lr:" not in caplog.text and "left out" not in caplog.text


def test_mlflow_a_metric_logged_every_other_step_is_renumbered_with_the_lead(tmp_path, monkeypatch):
    # Two processes into one run, each counting from 0: train_loss at every step, val_loss at every other. Both went
    # back once, renumbered by its own last step: val_loss's 8 made its second process 9, 11 ... 17, one step off the
    # training loss's 10-19 it was logged beside.
    mlflow = pytest.importorskip("mlflow")
    import time

    from losslens.readers.mlflow import read_mlflow
    from torch_loops import linear_regression_run

    history = linear_regression_run(0.05, 20, weights=(1.0, -2.0, 0.5, 3.0), inputs="randn")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    store = tmp_path / "mlruns"
    mlflow.set_tracking_uri(store.as_uri())
    try:
        run_id = None
        for done in (0, 10):
            with mlflow.start_run(run_id=run_id, run_name=None if run_id else "resumed") as r:
                run_id = r.info.run_id
                for step in range(10):
                    mlflow.log_metric("train_loss", history["loss"][done + step], step=step)
                    if step % 2 == 0:
                        mlflow.log_metric("val_loss", history["val_loss"][done + step], step=step)
            time.sleep(0.01)  # (a process restart takes seconds: the store's timestamps are milliseconds)
    finally:
        mlflow.set_tracking_uri(None)
        mlflow.tracking.fluent._active_experiment_id = None
        os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    (run,) = read_mlflow(store.as_uri())
    np.testing.assert_allclose(run.get("train_loss"), history["loss"], rtol=1e-6)
    val = run.get("val_loss")
    assert list(run.axis[np.isfinite(val)]) == list(range(0, 20, 2))
    np.testing.assert_allclose(val[np.isfinite(val)], history["val_loss"][::2], rtol=1e-6)


# ---- Keras: CSVLogger(append=True), the model reloaded from an older save ----------------------------------
def test_a_fit_from_an_older_saved_model_is_a_run_of_its_own(caplog):
    # jump.log: epochs 0-39, then 0-39 again from the epoch-3 model: the training loss 0.0012 -> 0.116, val_loss
    # 0.032 -> 0.112. Before: "the loss going on from where it was ... read as one run" (0.116 is nearer 0.0012 than
    # the first fit's 0.75), the jump never said and the forecast above the best already reached.
    log = np.genfromtxt(ECO / "keras_csv_reload_older" / "jump.log", delimiter=",", names=True)
    restart = int(np.flatnonzero(np.diff(log["epoch"]) < 0)[0]) + 1
    assert restart == 40 and log["loss"][restart] > 50 * log["loss"][restart - 1]
    with caplog.at_level(logging.WARNING, logger="losslens"):
        runs = read(ECO / "keras_csv_reload_older" / "jump.log")
    assert [len(r.axis) for r in runs] == [40, 40]
    assert "the epoch count started again at 0 after epoch 39, the loss at 0.1161 where it had ended at 0.001202 " \
           "(a fit from older saved weights?): read as a run of its own (#2)" in caplog.text
    np.testing.assert_array_equal(runs[1].get("val_loss"), log["val_loss"][restart:])
    assert all(r.meta["restart"].endswith("(the epoch count started again and the loss with it)") for r in runs)



def test_a_fit_from_an_older_saved_model_after_a_header_written_again_is_said_so(tmp_path, caplog):
    # The same three fits joined by pandas' to_csv(mode='a') without an epoch column: the header written again
    # before the refit from the epoch-3 model. Split as the epoch count splits it, but said as "the loss starting
    # again", where it started at 0.116 beside the 0.0012 it had ended at, not at the first fit's 0.92.
    lines = (ECO / "keras_csv_reload_older" / "jump.log").read_text().splitlines()
    rows = [",".join(line.split(",")[1:]) for line in lines]  # (the epoch column left out)
    path = tmp_path / "joined.csv"
    path.write_text("\n".join(rows[:41] + rows[:1] + rows[41:]) + "\n")
    with caplog.at_level(logging.WARNING, logger="losslens"):
        runs = read(path)
    assert [len(r.axis) for r in runs] == [40, 40]
    assert "before data row 41 (logs joined: pandas' to_csv(mode='a'), cat), the loss at 0.1161 where it had ended " \
           "at 0.001202 (a fit from older saved weights?): read as a run of its own" in caplog.text
    assert "the loss starting again" not in caplog.text

# ---- TensorBoard: a Trainer at gradient_accumulation_steps=4 ----------------------------------------------
def test_a_trainers_event_file_at_4_accumulated_batches_is_read_as_its_state_is(caplog):
    # The event file's "args" text holds the TrainingArguments (gradient_accumulation_steps=4); the training loss is
    # the sum of 4 batches' mean losses (2.80 at the start against ln 2). Before: read as logged, "val_loss sat below
    # train_loss ... look for rows shared by both splits", where trainer_state.json of the same run read divided by 4.
    pytest.importorskip("tensorboard")
    folder = ECO / "hf_tb_accum4" / "hf_out"
    logged = [r["loss"] for r in json.loads((folder / "trainer_state.json").read_text())["log_history"] if "loss" in r]
    assert logged[0] == pytest.approx(4 * np.log(2), rel=0.02)
    with caplog.at_level(logging.WARNING, logger="losslens"):
        [tb] = read(folder / "runs")
        [state] = read(folder / "trainer_state.json")
    np.testing.assert_allclose(tb.finite("train_loss")[1], np.array(logged) / 4, rtol=1e-6)
    np.testing.assert_allclose(tb.finite("train_loss")[1], state.finite("train_loss")[1], rtol=1e-6)
    assert tb.meta["train_loss_divided_by"] == 4
    assert f"losslens: {folder / 'runs' / 'run'}: the training loss was logged 4x too high" in caplog.text
    d = losslens.diagnose(folder / "runs")
    assert d.verdict == losslens.diagnose(folder / "trainer_state.json").verdict
    assert not any("rows shared by both splits" in str(a) for c in d.causes for a in c.actions)


def test_an_args_text_with_no_count_is_read_as_none(tmp_path):
    # json.loads reads Infinity: int() of it raised OverflowError, an internal error instead of the run.
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(tmp_path))
    w.add_text("args", '{"gradient_accumulation_steps": Infinity, "output_dir": "out"}')
    for s in range(1, 41):
        w.add_scalar("train/loss", 2.0 * np.exp(-s / 10) + 0.1, s * 10)
        if s % 4 == 0:
            w.add_scalar("eval/loss", 0.5 * np.exp(-s / 10) + 0.1, s * 10)
    w.close()
    (run,) = read(tmp_path)
    assert "train_loss_divided_by" not in run.meta
    assert run.get("train_loss")[-1] == pytest.approx(2.0 * np.exp(-4) + 0.1, rel=1e-6)
