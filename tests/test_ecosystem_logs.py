"""Logs written by libraries beyond the core four: PyTorch Ignite, a plain SummaryWriter loop, skorch,
Sacred, MMEngine, Ray Tune, and the Trainer/Lightning patterns that run an evaluation after training.

Every file under tests/fixtures/ecosystem/ was written by the library itself in a tiny CPU run (the
script beside it; see that folder's README). Most runs are the same small MLP on 300 digits, which
overfits: validation loss bottoms out at epoch ~10-16 and ends 20-30% above it while the training loss
goes to ~0.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import losslens
from losslens.cli import app
from losslens.exceptions import NoLossError, ReadError, UnknownFormatError
from losslens.readers import read

ECO = Path(__file__).parent / "fixtures" / "ecosystem"


def _finite(run, key):
    return run.finite(key)[1]


@pytest.mark.parametrize("path", ["ignite/tb_logs", "torch_tb/runs"])
def test_tensorboard_with_epoch_and_iteration_steps_is_one_epoch_axis(path):
    # lr (and Ignite's batch loss) logged per iteration, the losses per epoch: on one step grid the
    # epoch series stopped at step 60 of 600 and the run read "diverged (NaN at step 65)".
    [run] = read(f"tb:{ECO / path}")
    assert run.axis_name == "epoch" and len(run) == 60
    assert np.isfinite(run.series["train_loss"]).all() and np.isfinite(run.series["val_loss"]).all()
    assert np.isfinite(run.series["lr"]).all()  # the per-iteration lr, one value per epoch
    d = losslens.diagnose(run)
    assert d.verdict == "overfitting"
    assert d.causes[0].numbers["val_best_epoch"] == run.axis[np.argmin(run.series["val_loss"])]


def test_ignite_printed_results_keep_their_split():
    text = (ECO / "ignite" / "stdout.txt").read_text()
    [run] = read(ECO / "ignite" / "stdout.txt")
    val = [float(v) for v in re.findall(r"Validation Results - Epoch: \d+\s+Avg accuracy: [\d.]+ Avg loss: ([\d.]+)", text)]
    train = [float(v) for v in re.findall(r"Training Results - Epoch: \d+\s+Avg accuracy: [\d.]+ Avg loss: ([\d.]+)", text)]
    np.testing.assert_array_equal(_finite(run, "val_loss"), val)
    np.testing.assert_array_equal(_finite(run, "train_loss"), train)
    assert "val_acc" in run.series and losslens.diagnose(run).verdict == "overfitting"


def test_skorch_printed_table_in_colour():
    text = (ECO / "skorch" / "stdout.txt").read_text()
    assert "\x1b[" in text and "-------" in text  # as skorch prints it, even into a file
    [run] = read(ECO / "skorch" / "stdout.txt")
    rows = [re.sub(r"\x1b\[[0-9;]*m", "", ln).split() for ln in text.splitlines()[2:] if ln.strip()]
    np.testing.assert_array_equal(_finite(run, "val_loss"), [float(r[3]) for r in rows])
    np.testing.assert_array_equal(_finite(run, "train_loss"), [float(r[1]) for r in rows])
    np.testing.assert_array_equal(_finite(run, "val_acc"), [float(r[2]) for r in rows])


def test_sacred_metrics_json():
    raw = json.loads((ECO / "sacred" / "metrics.json").read_text())
    [run] = read(ECO / "sacred" / "metrics.json")
    np.testing.assert_allclose(_finite(run, "val_loss"), raw["validation.loss"]["values"])
    np.testing.assert_allclose(_finite(run, "train_loss"), raw["training.loss"]["values"])
    np.testing.assert_allclose(_finite(run, "val_acc"), raw["validation.accuracy"]["values"])
    np.testing.assert_array_equal(run.axis, raw["validation.loss"]["steps"])
    # Validation bottoms out at 0.335 and ends at 0.435, 6% of its improvement from 1.83 but 30% of
    # its own level, while training goes to 0.0006: overfitting (it read "converged").
    d = losslens.diagnose(run)
    assert d.verdict == "overfitting"
    assert d.causes[0].numbers["val_best_epoch"] == raw["validation.loss"]["steps"][int(np.argmin(raw["validation.loss"]["values"]))]


def test_mmengine_scalars_validation_rows():
    rows = [json.loads(ln) for ln in (ECO / "mmengine" / "scalars.json").read_text().splitlines() if ln.strip()]
    [run] = read(ECO / "mmengine" / "scalars.json")
    assert run.axis_name == "epoch" and run.meta["format"] == "mmengine"
    val = {}
    for r in rows:
        if "iter" not in r:
            val[r["step"]] = r["loss"]  # validation rows: step is the epoch; the last one counts
    np.testing.assert_allclose(_finite(run, "val_loss"), [val[e] for e in sorted(val)])
    epoch1 = [r["loss"] for r in rows if r.get("epoch") == 1]
    assert run.series["train_loss"][0] == pytest.approx(np.mean(epoch1))  # the epoch's mean, as Keras reports
    assert "val_acc" in run.series  # accuracy/top1, in percent
    assert losslens.diagnose(run).verdict == "overfitting"
    # Validation measured only as an accuracy is the curve diagnosed, not the training loss beside it.
    [acc_only] = read(ECO / "mmengine" / "scalars_acc_only.json")
    assert "val_loss" not in acc_only.series and acc_only.default_metric() == "val_acc"


def test_ray_tune_trial_folder_is_one_run():
    # progress.csv, result.json and the event file are one trial written three times.
    runs = read(ECO / "raytune")
    assert [r.name for r in runs] == ["trial_0"]
    one = {fmt: read(ECO / "raytune" / "trial_0" / fmt)[0] for fmt in ("progress.csv", "result.json")}
    np.testing.assert_array_equal(_finite(one["progress.csv"], "val_loss"), _finite(one["result.json"], "val_loss"))


@pytest.mark.parametrize("name", ["trainer_state.json", "console.txt", "tb:runs"])
def test_trainer_evaluate_after_load_best_model_is_not_on_the_curve(name):
    # The TensorBoard log (report_to="tensorboard") holds the closing evaluate() at the last step too,
    # in a second event file: averaged into epoch 25 it halved the final rise (0.957 -> 0.479).
    state = json.loads((ECO / "hf_evaluate" / "trainer_state.json").read_text())
    [run] = read(f"tb:{ECO / 'hf_evaluate' / 'runs'}" if name.startswith("tb:") else ECO / "hf_evaluate" / name)
    evals = [r["eval_loss"] for r in state["log_history"] if "eval_loss" in r]
    assert evals[-1] == state["best_metric"]  # train(); evaluate() on the restored best model
    np.testing.assert_allclose(_finite(run, "val_loss"), evals[:-1], rtol=1e-3)
    after = run.meta["evaluated_after_training"]
    closing = after[0]["eval_loss"] if isinstance(after, list) else after["eval/loss"]
    assert closing == pytest.approx(state["best_metric"], rel=1e-3)
    d = losslens.diagnose(run)
    assert d.verdict == "overfitting"
    assert d.causes[0].numbers["val_rise"] == pytest.approx(evals[-2] - min(evals), rel=0.05)  # 0.957


def test_lightning_validate_and_test_after_fit_are_not_an_epoch():
    lines = (ECO / "lightning_validate" / "metrics.csv").read_text().splitlines()
    assert lines[-1].startswith("60,") and lines[-2].startswith("60,")  # validate() and test() with ckpt_path="best"
    [run] = read(ECO / "lightning_validate" / "metrics.csv")
    assert run.axis[-1] == 59 and len(run) == 60
    assert run.meta["evaluated_after_training"]["val_loss"] == pytest.approx(float(lines[-2].split(",")[-1]))
    assert losslens.diagnose(run).verdict == "overfitting"


def test_lightning_sparse_step_losses_do_not_read_as_bouncing():
    # log_every_n_steps=50 over 7-step epochs: 5 single-batch training losses beside 40 validation points.
    [run] = read(ECO / "lightning_sparse" / "metrics.csv")
    assert np.isfinite(run.series["train_loss"]).sum() == 5
    assert losslens.diagnose(run).verdict != "lr_too_high"


def test_two_lightning_loggers_are_one_run_each():
    runs = read(ECO / "lightning_two_loggers")
    # csv/version_N and tb/version_N hold the same fits: read once each, named apart.
    assert len(runs) == 2 and len({r.name for r in runs}) == 2
    csv = read(ECO / "lightning_two_loggers" / "logs" / "csv" / "version_0" / "metrics.csv")[0]
    assert any(np.array_equal(_finite(r, "val_loss").astype(np.float32), _finite(csv, "val_loss").astype(np.float32))
               for r in runs)


def test_trainer_without_training_loss_whose_accuracy_rose_overfits():
    # logging_steps=500 (the default) over a 250-step run logs no training loss. eval_loss went
    # 0.68 -> 1.64 from its first evaluation while eval_accuracy rose 0.575 -> 0.625: it read
    # "diverged, lower the learning rate", then "stuck at initialization".
    state = json.loads((ECO / "hf_no_train_loss" / "trainer_state.json").read_text())
    assert not any("loss" in r for r in state["log_history"])
    [run] = read(ECO / "hf_no_train_loss" / "trainer_state.json")
    acc = _finite(run, "val_acc")
    assert acc[-5:].mean() > acc[0] and _finite(run, "val_loss")[-1] > 2 * _finite(run, "val_loss")[0]
    assert losslens.diagnose(run).verdict == "overfitting"


@pytest.mark.parametrize("log, metric, twin", [("h2.log", "val_mse", "mse"),
                                                ("h2.log", "val_root_mean_squared_error", "root_mean_squared_error"),
                                                ("h3.log", "val_mae", "mae")])
def test_an_error_metric_other_than_the_loss_reads_overfitting(log, metric, twin):
    # Keras metrics beside the loss (CSVLogger names training metrics bare: "mae", "val_mae"). Every
    # validation metric bottoms out in the first epochs and ends far above it; --metric val_mae read
    # "converged at epoch 1" because only val_loss was compared with its training twin.
    path = ECO / "keras_metrics" / log
    [run] = read(path)
    val, train = _finite(run, metric), _finite(run, twin)
    assert val[-20:].mean() > 1.15 * val.min() and train[-1] < 0.2 * train[0]
    d = losslens.diagnose(path, metric=metric)
    assert d.verdict == "overfitting" and d.metric == metric
    assert d.causes[0].numbers["val_best_epoch"] == run.axis[np.argmin(val)]
    assert d.causes[0].evidence[0].startswith(f"{metric} reached its minimum {val.min():.4g}")
    assert d.causes[0].evidence[1].startswith(f"{twin} kept falling")


def test_overfitting_on_a_monitored_accuracy_restores_the_accuracys_best():
    # metric_for_best_model="accuracy": the Trainer kept checkpoint-80 (epoch 8, accuracy 0.645), while
    # eval_loss was lowest at step 10 (epoch 1). The advice named epoch 1, which the user's own setting never restores.
    path = ECO / "hf_best_accuracy" / "trainer_state.json"
    state = json.loads(path.read_text())
    evals = [r for r in state["log_history"] if "eval_accuracy" in r]
    best = max(evals, key=lambda r: r["eval_accuracy"])
    assert best["eval_accuracy"] == state["best_metric"] and state["best_model_checkpoint"].endswith("checkpoint-80")
    d = losslens.diagnose(path, metric="eval_accuracy")
    # (eval_accuracy itself did not fall beyond its noise, 0.637 smoothed at best, 0.625 at the end on 200 examples:
    # converged on it, the losses' overfitting listed beside it, its restore the Trainer's checkpoint)
    over = next(c for c in d.causes if c.id == "overfitting")
    assert d.verdict == "converged" and d.metric == "val_acc"
    assert over.numbers["metric_best_epoch"] == best["step"] == 80  # checkpoint-80
    assert over.numbers["val_best_epoch"] == min(evals, key=lambda r: r["eval_loss"])["step"] == 10
    # The Trainer kept (and, with load_best_model_at_end=True, loaded) checkpoint-80 itself: the advice says so.
    assert over.actions[0] == ("the Trainer kept its best checkpoint, checkpoint-80 (step 80, best_metric 0.645): "
                               "with load_best_model_at_end=True it loaded it at the end, keep it; without, load it "
                               "from there")
    # Diagnosing the loss itself names the loss's best step beside the checkpoint the Trainer kept.
    assert losslens.diagnose(path).causes[0].actions[0].endswith("keep it; without, load it from there; val_loss "
                                                                 "was lowest at step 10")


def test_a_straight_crawl_at_a_tiny_sgd_step_is_lr_too_low_not_stuck():
    # SGD(lr=1e-3) on the digits MLP: val_loss 2.3088 -> 2.2996 in 30 epochs, the same step down each
    # epoch. The forecast to epoch 58 gains < 1%, which read "stuck at initialization" (and, once that
    # was fixed, "underfitting" and "converged at 28"). The same run at lr 0.1 reached 0.41.
    slow, fast = (ECO / "lightning_sgd_slow" / d / "metrics.csv" for d in ("lr_0.001", "lr_0.1"))
    [run] = read(slow)
    val = _finite(run, "val_loss")
    assert np.all(np.diff(val) < 0) and 0.003 < 1 - val[-1] / val[0] < 0.005
    assert _finite(read(fast)[0], "val_loss")[-1] < 0.2 * val[-1]  # the counterfactual: a larger step
    d = losslens.diagnose(slow)
    assert d.verdict == "lr_too_low" and d.plateau is None
    assert {c.id for c in d.causes}.isdisjoint({"stuck_at_init", "underfitting", "converged"})
    pace = next(e for e in d.causes[0].evidence if e.startswith("at "))
    per_pct = 0.01 * val[-1] / abs(np.polyfit(run.finite("val_loss")[0], val, 1)[0])
    assert re.search(r"about (\d+) more epochs", pace) and abs(int(re.search(r"about (\d+)", pace)[1]) - per_pct) < 5


def test_a_level_held_by_a_small_step_after_a_slow_start_is_lr_too_low_not_underfitting():
    # A 5-layer linear network started small, plain SGD 0.3, lr logged (torch_deep_linear_slow): val_loss
    # took ~6 epochs to get going (an S-shaped start), then held at 51% of its start while still drifting
    # down, and read "underfitting". lr 3 from the start reached 28% lower, lr 3 from epoch 30 20% lower, while
    # twice the width (the same small start) lowered the training loss only 2%: the step held it, not capacity.
    folder = ECO / "torch_deep_linear_slow"
    [run] = read(folder / "sgd_lr0.3.csv")
    val, train = _finite(run, "val_loss"), _finite(run, "train_loss")
    assert np.all(run.series["lr"] == 0.3)
    steps = -np.diff(val)
    assert 0 < steps[0] < 0.2 * steps.max() and int(np.argmax(steps)) >= 3  # the slow start, as logged
    end = lambda name: _finite(read(folder / name)[0], "val_loss")[-1]  # noqa: E731
    assert end("cf_sgd_lr3.csv") < 0.85 * val[-1] and end("cf_sgd_lr0.3_to3_at30.csv") < 0.85 * val[-1]
    assert _finite(read(folder / "cf_sgd_lr0.3_width192.csv")[0], "train_loss")[-1] > 0.9 * train[-1]
    d = losslens.diagnose(run)
    assert d.verdict == "lr_too_low" and d.causes[0].status == "likely"
    assert "slow start" in d.causes[0].evidence[0]
    assert "underfitting" in {c.id for c in d.causes[1:]}  # a model too small stays the alternative
    assert "10x the learning rate" in d.causes[0].actions[0]
    # The counterfactual at 10x from the start reads no slow start: it got going at once.
    assert all("slow_start" not in c.numbers for c in losslens.diagnose(folder / "cf_sgd_lr3.csv").causes)


def test_a_fit_resumed_from_its_checkpoint_is_one_run_across_version_folders():
    # A new Trainer resuming last.ckpt logs into version_1 (epochs 12-39) beside version_0 (0-11);
    # read apart, the resumed half was judged without its start.
    root = ECO / "lightning_resume" / "logs"
    halves = [read(root / "csv" / v / "metrics.csv")[0] for v in ("version_0", "version_1")]
    assert halves[0].axis[-1] == 11 and halves[1].axis[0] == 12
    for where in (root / "csv", root):  # the CSV logger alone, and beside its TensorBoard twin
        [run] = read(where)
        assert run.name == "version_0+version_1" and list(run.axis) == list(range(40))
        np.testing.assert_allclose(_finite(run, "val_loss"),
                                   np.concatenate([_finite(h, "val_loss") for h in halves]), rtol=1e-6)
    assert [r.name for r in read(root, run_id="version_1")] == ["version_0+version_1"]
    d = losslens.diagnose(root)
    best = int(np.argmin(np.concatenate([_finite(h, "val_loss") for h in halves])))
    assert d.verdict == "overfitting" and d.causes[0].numbers["val_best_epoch"] == best
    # Two separate fits (each from epoch 0) stay two runs.
    assert len(read(ECO / "lightning_two_loggers")) == 2


def test_a_trainer_resumed_after_a_crash_is_one_tensorboard_run_the_resumed_records_read_from_its_start():
    # report_to="tensorboard": the crashed process (step 28, after step 25 was logged) and the one resumed from
    # checkpoint-20 log into two runs/<date>_<host> folders (one SummaryWriter per process; TensorBoard's purge
    # rule acts within a folder, not across). Read apart, the resumed half was judged without its start.
    runs = sorted(p for p in (ECO / "hf_tb_resume" / "hf_out" / "runs").iterdir() if p.is_dir())
    crashed, resumed = (read(p)[0] for p in runs)
    assert crashed.axis[-1] == resumed.axis[0] == 25  # step 25 logged by both: trained again after the resume
    for where in (runs[0].parent, runs[0].parent.parent):  # runs/, and hf_out/ beside the checkpoints' states
        run = next(r for r in read(where) if r.meta["format"] == "tensorboard")
        # (on the Trainer's steps, as its trainer_state.json is: tests/test_hf_tb_two_axes.py)
        assert run.name == f"{runs[0].name}+{runs[1].name}" and run.axis_name == "step"
        np.testing.assert_array_equal(run.axis, np.arange(5, 85, 5))
        np.testing.assert_allclose(run.series["epoch_frac"], np.arange(1, 17) / 2)
        np.testing.assert_array_equal(_finite(run, "train_loss"),
                                      np.concatenate([_finite(crashed, "train_loss")[:-1],
                                                      _finite(resumed, "train_loss")]))
        assert any("resumes at step 25" in n and "left out" in n for n in run.meta["notes"])
    assert len(read(runs[0].parent)) == 1
    # tb: shows the folders as TensorBoard does, as two runs (a Lightning version_N pair alike)
    assert len(read("tb:" + str(runs[0].parent))) == 2
    # the Trainer's own state of the same job holds the same training curve
    state = json.loads((ECO / "hf_tb_resume" / "hf_out" / "checkpoint-80" / "trainer_state.json").read_text())
    logged = [r["loss"] for r in state["log_history"] if "loss" in r]
    np.testing.assert_allclose(_finite(run, "train_loss"), logged, rtol=1e-6)


def test_a_short_run_read_still_falling_is_worded_by_what_was_tested():
    # The crashed half of hf_tb_resume: 5 training points (0.690, 0.661, 0.633, 0.672, 0.607), the last its best.
    # A run under 8 points is read falling where its best came last, beyond its noise, not by the tail's t: the line
    # said "train_loss still falling over the last 4 of 5 points: -0.0245/epoch, no clear trend (t = -0.9)".
    crashed = sorted(p for p in (ECO / "hf_tb_resume" / "hf_out" / "runs").iterdir() if p.is_dir())[0]
    d = losslens.diagnose(crashed)
    [line] = [c.evidence[0] for c in d.causes if c.id == "still_improving"]
    assert line.startswith("train_loss still falling: its last point is its best")
    assert "5 points are too few for a trend test" in line and "t = -0.9" in line
    assert "no clear trend" not in line and "slight" not in line


# ---- DVCLive, CatBoost, MMEngine's printed log -------------------------------------------------
def _tsv(path, column=-1):
    rows = [ln.split("\t") for ln in path.read_text().splitlines()[1:] if ln.strip()]
    return np.array([float(r[0]) for r in rows]), np.array([float(r[column]) for r in rows])


DVCLIVE = ECO / "dvclive" / "dvclive"


@pytest.mark.parametrize("where", ["", "plots", "plots/metrics"])
def test_dvclive_folder_is_one_run_split_by_its_folders(where):
    # One TSV per metric, the split a folder: a directory read took val/loss.tsv's "loss" for a training loss.
    [run] = read(DVCLIVE / where)
    # (DVCLive's step, next_step() once an epoch, training and validation logged at each one: read as epochs)
    assert run.name == "dvclive" and run.axis_name == "epoch" and run.meta["format"] == "dvclive"
    metrics = DVCLIVE / "plots" / "metrics"
    for key, rel in [("train_loss", "train/loss.tsv"), ("val_loss", "val/loss.tsv"), ("val_acc", "val/acc.tsv")]:
        steps, values = _tsv(metrics / rel)
        np.testing.assert_array_equal(run.finite(key)[0], steps)
        np.testing.assert_array_equal(_finite(run, key), values)
    assert sorted(run.series) == ["train_loss", "val_acc", "val_loss"]


def test_dvclive_run_overfits():
    steps, val = _tsv(DVCLIVE / "plots" / "metrics" / "val" / "loss.tsv")
    _, train = _tsv(DVCLIVE / "plots" / "metrics" / "train" / "loss.tsv")
    best = int(np.argmin(val))
    # Validation bottoms out at 0.335 (step 15) and ends 30% above it, while training goes to 0.0006.
    assert steps[best] == 15 and val[-1] > 1.25 * val[best] and train[-1] < 0.001 < train[best]
    d = losslens.diagnose(DVCLIVE)
    assert d.verdict == "overfitting" and d.metric == "val_loss"
    assert d.causes[0].numbers["val_best_epoch"] == steps[best]


def test_dvclive_folder_in_a_directory_is_read_once_and_its_summary_is_not_passed_over(caplog):
    runs = read(ECO / "dvclive")
    assert [r.name for r in runs] == ["dvclive"]
    assert "passed over" not in caplog.text  # metrics.json (last values) is part of the DVCLive folder


def test_a_dvclive_metric_file_read_alone_takes_its_split_from_its_folder(tmp_path):
    metrics = DVCLIVE / "plots" / "metrics"
    [val] = read(metrics / "val" / "loss.tsv")
    assert list(val.series) == ["val_loss"] and val.name == "dvclive"
    np.testing.assert_array_equal(_finite(val, "val_loss"), _tsv(metrics / "val" / "loss.tsv")[1])
    assert list(read(metrics / "train" / "loss.tsv")[0].series) == ["train_loss"]
    assert list(read(metrics / "val" / "acc.tsv")[0].series) == ["val_acc"]
    # Copied out of the tree, the folder still says the split.
    (tmp_path / "val").mkdir()
    (tmp_path / "val" / "loss.tsv").write_bytes((metrics / "val" / "loss.tsv").read_bytes())
    assert list(read(tmp_path / "val" / "loss.tsv")[0].series) == ["val_loss"]


def test_dvclive_lightning_logger():
    # DVCLiveLogger writes Lightning's train_loss_epoch as train/epoch/loss.tsv on the global step, and the
    # epoch as epoch.tsv: read per epoch like Lightning's metrics.csv, the epoch-level training loss.
    root = ECO / "dvclive_lightning" / "dvclive"
    [run] = read(root)
    metrics = root / "plots" / "metrics"
    _, epoch_loss = _tsv(metrics / "train" / "epoch" / "loss.tsv")
    _, val = _tsv(metrics / "val" / "loss.tsv")
    assert run.axis_name == "epoch" and len(run) == 40
    np.testing.assert_array_equal(run.axis, np.arange(40))
    np.testing.assert_array_equal(_finite(run, "train_loss"), epoch_loss)
    np.testing.assert_array_equal(_finite(run, "val_loss"), val)
    np.testing.assert_array_equal(_finite(run, "val_acc"), _tsv(metrics / "val" / "acc.tsv")[1])
    best = int(np.argmin(val))
    # Validation is lowest at epoch 10 (0.58) and ends 26% above it; training falls 50-fold after it.
    assert val[-1] > 1.2 * val[best] and epoch_loss[-1] < 0.05 * epoch_loss[best]
    d = losslens.diagnose(run)
    assert d.verdict == "overfitting" and d.causes[0].numbers["val_best_epoch"] == best


CATBOOST = ECO / "catboost" / "catboost_info"


def test_catboost_info_is_one_run_with_the_objective_as_its_loss():
    [run] = read(CATBOOST)
    assert run.name == "catboost_info" and run.axis_name == "round" and run.meta["loss_metric"] == "Logloss"
    # eval_metric="Accuracy" is the files' first column; the objective, Logloss, is the loss.
    assert (CATBOOST / "learn_error.tsv").read_text().startswith("iter\tAccuracy\tLogloss\n")
    for key, name, column in [("train_loss", "learn_error.tsv", 2), ("train_acc", "learn_error.tsv", 1),
                              ("val_loss", "test_error.tsv", 2), ("val_acc", "test_error.tsv", 1)]:
        iters, values = _tsv(CATBOOST / name, column)
        np.testing.assert_array_equal(run.finite(key)[0], iters)
        np.testing.assert_array_equal(_finite(run, key), values)
    # Each file alone keeps its side, and catboost_training.json holds the same run.
    assert sorted(read(CATBOOST / "learn_error.tsv")[0].series) == ["train_acc", "train_loss"]
    assert sorted(read(CATBOOST / "test_error.tsv")[0].series) == ["val_acc", "val_loss"]
    [from_json] = read(CATBOOST / "catboost_training.json")
    for key in ("train_loss", "val_loss", "train_acc", "val_acc"):
        np.testing.assert_array_equal(from_json.series[key], run.series[key])


def test_catboost_tensorboard_copies_are_not_more_runs():
    # learn/ and test/ hold the same metrics as event files: they read as two extra runs with a bare "logloss".
    runs = read(ECO / "catboost")
    assert [r.name for r in runs] == ["catboost_info"] and runs[0].meta["format"] == "catboost"


def test_catboost_run_overfits():
    iters, val = _tsv(CATBOOST / "test_error.tsv", 2)
    _, train = _tsv(CATBOOST / "learn_error.tsv", 2)
    best = int(np.argmin(val))
    # Validation Logloss is lowest at iteration 7 (0.484) and ends at 0.655; training goes to 0.007.
    assert iters[best] == 7 and val[-1] > 1.3 * val[best] and train[-1] < 0.01
    d = losslens.diagnose(CATBOOST)
    assert d.verdict == "overfitting" and d.causes[0].numbers["val_best_epoch"] == 7


def test_catboost_time_left_is_not_a_curve():
    with pytest.raises(UnknownFormatError, match="not a curve"):
        read(CATBOOST / "time_left.tsv")


def test_catboost_printed_progress_points_to_its_folder():
    # "0:\tlearn: 0.8415493\ttest: 0.7298246 ..." is the eval_metric (here Accuracy), never named:
    # read as a loss it would be upside down.
    path = CATBOOST.parent / "stdout.txt"
    before = path.read_bytes()
    with pytest.raises(UnknownFormatError, match="does not name its metric.*catboost_info/"):
        read(path)
    assert path.read_bytes() == before


MMENGINE_LOG = ECO / "mmengine" / "20261202_043519.log"
MMENGINE_ITERS = ECO / "mmengine" / "work_dir_iters" / "20261202_053553"


@pytest.mark.parametrize("log, scalars", [(MMENGINE_LOG, ECO / "mmengine" / "scalars.json"),
                                          (MMENGINE_ITERS / "20261202_053553.log",
                                           MMENGINE_ITERS / "vis_data" / "scalars.json")])
def test_mmengine_printed_log_reads_as_its_scalars_json(log, scalars):
    # The runner prints each row of scalars.json into the .log, to 4 decimals (scalars.json is the run in
    # `log`'s folder: the epoch-based one was copied out of it).
    [printed] = read(log)
    [written] = read(scalars)
    assert printed.meta["format"] == "mmengine_log"
    assert printed.axis_name == written.axis_name and sorted(printed.series) == sorted(written.series)
    np.testing.assert_array_equal(printed.axis, written.axis)
    for key in written.series:
        np.testing.assert_allclose(printed.series[key], written.series[key], rtol=0, atol=5e-5)
    assert losslens.diagnose(printed).verdict == losslens.diagnose(written).verdict


def test_mmengine_printed_log_values():
    text = MMENGINE_LOG.read_text()
    [run] = read(MMENGINE_LOG)
    val = [float(v) for v in re.findall(r"Epoch\(val\) \[\d+\]\[25/25\]\s+accuracy/top1: [\d.]+\s+loss: ([\d.]+)", text)]
    epoch1 = [float(v) for v in re.findall(r"Epoch\(train\)\s+\[1\]\[\s*\d+/10\].*loss: ([\d.]+)", text)]
    assert len(val) == 40 and len(epoch1) == 2
    np.testing.assert_array_equal(_finite(run, "val_loss"), val)
    assert run.series["train_loss"][0] == pytest.approx(np.mean(epoch1))
    assert losslens.diagnose(run).verdict == "overfitting"


def test_mmengine_iteration_based_validation_is_at_its_iteration():
    # LoggerHook(log_metric_by_epoch=True), the default, writes validation rows at step 0 (the epoch counter)
    # under an iteration-based loop: the 15 validations read as one point at step 0, the run as "still improving".
    rows = [json.loads(ln) for ln in (MMENGINE_ITERS / "vis_data" / "scalars.json").read_text().splitlines()]
    val = [r for r in rows if "iter" not in r]
    assert len(val) == 15 and {r["step"] for r in val} == {0}
    for path in (MMENGINE_ITERS / "vis_data" / "scalars.json", MMENGINE_ITERS / "20261202_053553.log"):
        [run] = read(path)
        assert run.axis_name == "step"
        np.testing.assert_array_equal(run.finite("val_loss")[0], np.arange(20, 301, 20))  # val_interval=20
        np.testing.assert_allclose(_finite(run, "val_loss"), [r["loss"] for r in val], atol=5e-5)


def test_mmengine_work_dir_reads_the_log_and_scalars_json_once():
    runs = read(ECO / "mmengine" / "work_dir_iters")
    # Named as MMEngine names the run: its timestamp folder (the .log's name too), not "vis_data".
    assert [r.name for r in runs] == ["20261202_053553"] and runs[0].meta["format"] == "mmengine"


# ---- damaged library files: one line naming the file, the file untouched -----------------------
def _drop_cell(text: str, line: int) -> str:
    """``text`` with the last cell of line ``line`` (1-based) gone: a damaged row mid-file. (A last
    row cut short, as a killed writer leaves it, is left out instead.)"""
    lines = text.split("\n")
    lines[line - 1] = lines[line - 1][:lines[line - 1].rindex("\t")]
    return "\n".join(lines)


def _damaged(tmp_path, folder, rel, edit):
    import shutil

    root = tmp_path / folder.name
    shutil.copytree(folder, root)
    path = root / rel
    path.write_text(edit(path.read_text()))
    return root, path


@pytest.mark.parametrize("folder, rel, edit, problem", [
    (DVCLIVE, "plots/metrics/val/loss.tsv", lambda t: "", "empty file"),
    (DVCLIVE, "plots/metrics/val/loss.tsv", lambda t: _drop_cell(t, 3), "line 3 has 1 cells, the header 2"),
    (DVCLIVE, "plots/metrics/val/loss.tsv", lambda t: t.replace("0.3348", "abc", 1), "line 17, column 'loss' holds 'abc"),
    (DVCLIVE, "plots/metrics/val/loss.tsv", lambda t: t.splitlines()[0] + "\n", "no data rows"),
    (CATBOOST, "test_error.tsv", lambda t: _drop_cell(t, 5), "line 5 has 2 cells, the header 3"),
    (CATBOOST, "test_error.tsv", lambda t: t.replace("\t0.4836148385", "\t", 1), "line 9, column 'Logloss' is empty"),
])
def test_a_damaged_library_file_is_one_line_naming_it(tmp_path, folder, rel, edit, problem):
    root, path = _damaged(tmp_path, folder, rel, edit)
    before = path.read_bytes()
    for source in (root, path):  # the run's folder (the message names the file in it), the file alone
        msg = _one_line_error(source, problem)
        assert source == path or msg.startswith(f"{root}: {rel}: "), msg
    assert path.read_bytes() == before


@pytest.mark.parametrize("folder, rel, edit, problem", [
    (DVCLIVE, "plots/metrics/val/loss.tsv", lambda t: t.replace("step\tloss", "step\tvalue"),
     "not DVCLive's header 'step, loss' (found: step, value)"),
    (CATBOOST, "learn_error.tsv", lambda t: t.replace("iter\t", "it\t", 1),
     "no 'iter' column first (found: it, Accuracy, Logloss)"),
])
def test_a_library_folder_with_a_column_missing_names_the_file(tmp_path, folder, rel, edit, problem):
    # (The file alone, without the column that makes it the library's, is read as a plain table.)
    root, path = _damaged(tmp_path, folder, rel, edit)
    msg = _one_line_error(root, problem)
    assert msg.startswith(f"{root}: {rel}: "), msg


def _one_line_error(source, problem):
    with pytest.raises(ReadError) as info:
        read(source)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(str(source)) and problem in msg, msg
    return msg


def test_a_validation_curve_alone_that_climbs_well_above_its_minimum_reads_overfitting():
    # DVCLive's val/loss.tsv read alone: minimum 0.335 at step 15, ending 30% above it. Without a
    # training curve the rule could not see training go on falling, and the run read "converged".
    path = ECO / "dvclive" / "dvclive" / "plots" / "metrics" / "val" / "loss.tsv"
    [run] = read(path)
    assert set(run.series) == {"val_loss"}
    val = _finite(run, "val_loss")
    assert val[-1] > 1.25 * val.min()
    d = losslens.diagnose(path)
    assert d.verdict == "overfitting" and d.causes[0].strength < 0.6
    assert any(e.startswith("no training curve logged") for e in d.causes[0].evidence)
    assert d.causes[0].numbers["val_best_epoch"] == run.axis[np.argmin(val)]


@pytest.mark.parametrize("name", ["nan_plain.csv", "console.txt", "history.json"])
def test_losses_that_were_nan_from_the_first_epoch_read_diverged(name):
    # SGD(0.01, momentum 0.9) on inputs scaled x3, no TerminateOnNaN: Keras logged 20 epochs of nan.
    # Each form was rejected as a log without losses ("train_loss and val_loss have no values").
    path = ECO / "keras_nan" / name
    before = path.read_bytes()
    [run] = read(path)
    assert len(run) == 20 and np.isnan(run.series["train_loss"]).all() and np.isnan(run.series["val_loss"]).all()
    d = losslens.diagnose(path)
    assert d.verdict == "diverged" and d.plateau is None
    assert "never had a finite value (20 points logged)" in d.causes[0].evidence[0]
    assert path.read_bytes() == before


@pytest.mark.parametrize("name", ["lr0.27.csv", "lr0.3.csv"])
def test_a_blow_up_lists_the_step_beside_diverged_not_what_its_huge_values_mimic(name):
    # Keras SGD above its stable step on a linear model: the loss climbs to 1e33-1e34 (at lr 0.3 then
    # inf and NaN). Beside diverged it also listed overfitting ("train_loss held its level" while it rose
    # 1e33x), stuck_at_init ("never moved far from its initial value") and data_limited (a gap of 1.8e+35%
    # "more data could close"). The same make.py at lr 0.027 (1/10) ends at val 0.28.
    path = ECO / "keras_sgd_blowup" / name
    run = read(path)[0]
    assert np.nanmax(run.series["train_loss"]) > 1e30                          # the premise: it blew up
    d = losslens.diagnose(path)
    assert d.verdict == "diverged" and d.cause_ids() == ["diverged", "lr_too_high"], str(d)
    assert "lower the learning rate" in d.causes[0].actions


def test_a_short_noisy_training_loss_still_falling_is_not_read_converged_off_a_four_point_tail():
    # A Trainer with no eval set, its training loss logged every 5 of 10 steps per epoch: 8 epochs give 16
    # points, whose last 4 (0.44, 0.56, 0.46, 0.51: t = +0.3) overruled a forecast of -23% (P 84%): "converged,
    # plateau at step 65". On 4 points with this curve's noise even the forecast's own descent would show
    # t = -0.5: the tail cannot tell. Trained on from the same start to 16 epochs, the loss fell to 0.1-0.3.
    e8, e16 = (read(ECO / "hf_no_eval_short" / f"e{n}_trainer_state.json")[0] for n in (8, 16))
    y8, y16 = e8.series["train_loss"], e16.series["train_loss"]
    assert e8.axis_name == "step" and len(y8) == 16 and y16[:16] == pytest.approx(y8, rel=1e-3)  # one run, trained on
    assert np.median(y16[-4:]) < 0.5 * np.median(y8[-4:])                     # the premise: it kept falling
    d = losslens.diagnose(ECO / "hf_no_eval_short" / "e8_trainer_state.json")
    assert d.verdict == "still_improving", str(d)
    assert "converged" not in d.cause_ids()
    assert any("too few to show a trend" in e for e in d.causes[0].evidence), d.causes[0].evidence


def _steps_mean(run, steps=20):
    """The mean training loss over the run's last ``steps`` steps (whatever its logging_steps)."""
    x, y = run.finite("train_loss")
    return float(np.mean(y[x > x[-1] - steps]))


@pytest.mark.parametrize("every", [1, 2])
def test_a_training_loss_logged_every_step_or_two_still_falling_is_no_temporary_plateau(every):
    # hf_no_eval_short's run logged every step (80 points) or every 2 (40): each point one or two batches'
    # loss, noise 15-25% of the improvement. Smoothed over n/15 points that noise was still 3-5x the "flat
    # within 2%" band, so two points of the steady descent 11 steps apart matched by chance: "temporary
    # plateau, flat from step 46 to 57, then fell another 36%" (every 2: "from 26 to 36, then 76%"), with
    # converged behind it. The same run logged every 5 or 10 steps reads still_improving.
    hf = ECO / "hf_logging_steps"
    [e8], [e16] = read(hf / f"ls{every}_e8_trainer_state.json"), read(hf / f"ls{every}_e16_trainer_state.json")
    y8, y16 = e8.series["train_loss"], e16.series["train_loss"]
    assert e8.axis_name == "step" and len(y8) == 80 // every and y16[:len(y8)] == pytest.approx(y8, rel=1e-6)
    assert _steps_mean(e16) < 0.5 * _steps_mean(e8)                  # the premise: trained on, it kept falling
    d = losslens.diagnose(hf / f"ls{every}_e8_trainer_state.json")
    assert "temporary_plateau" not in d.cause_ids() and "converged" not in d.cause_ids(), str(d)
    assert d.verdict in ("still_improving", "lr_too_low") and "still_improving" in d.cause_ids(), str(d)
    assert d.forecast is not None and d.forecast["value"] < _steps_mean(e8)
    if d.verdict == "lr_too_low":  # what `losslens verify --cause lr_too_low` tries: 10x the lr from the start
        [faster] = read(hf / "lr1e-2_ls1_e8_trainer_state.json")
        assert _steps_mean(faster) < 0.85 * _steps_mean(e8)


@pytest.mark.parametrize("every", [1, 2])
def test_a_long_tail_of_batch_losses_too_noisy_to_show_the_descent_leaves_it_to_the_forecast(every):
    # The same run at 16 epochs: its last 40 (20) points fall at t = -1.3 against batch noise of 0.11 (0.07),
    # where the forecast's own descent would reach only t = -1.1 (-1.3): "converged, plateau at step 147,
    # now 0.4388" (one batch's loss). Trained on to 32 epochs the last 20 steps' mean fell 0.178 -> 0.080.
    hf = ECO / "hf_logging_steps"
    [e16], [e32] = read(hf / f"ls{every}_e16_trainer_state.json"), read(hf / "ls1_e32_trainer_state.json")
    assert _steps_mean(e32) < 0.6 * _steps_mean(e16)                 # the premise
    d = losslens.diagnose(hf / f"ls{every}_e16_trainer_state.json")
    assert d.verdict == "still_improving" and "converged" not in d.cause_ids(), str(d)
    assert any("too noisy to show a trend" in e for e in d.causes[0].evidence), d.causes[0].evidence
    # Where the loss did flatten (at 32 epochs, ~0.08 from step 200 on, a tail at t = +0.8 whose slope is 2
    # standard errors above the forecast's), it still reads converged.
    assert losslens.diagnose(hf / "ls1_e32_trainer_state.json").verdict == "converged"


def test_a_loss_column_left_empty_is_still_no_loss(tmp_path):
    # Empty cells are "not logged", not a blow-up: only a value spelled nan/inf says the run diverged.
    path = tmp_path / "empty.csv"
    path.write_text("epoch,loss,val_loss\n0,,\n1,,\n2,,\n")
    with pytest.raises(NoLossError, match="no values"):
        read(path)


@pytest.mark.parametrize("log, keep", [("keras_metrics/h3.log", 3), ("keras_metrics/h3.log", 1),
                                        ("lightning_resume/logs/csv/version_1/metrics.csv", 2)])
def test_a_last_line_cut_off_mid_write_is_left_out(tmp_path, caplog, log, keep):
    # A job killed while writing: the file ends inside its last row, with no newline. The stump
    # ("0.0" of "0.0123...", or "39," alone) was read as a value: a loss of 0 turned converged
    # into "temporary plateau, fell another 48%".
    full = (ECO / log).read_text()
    last = full.rstrip("\n").split("\n")[-1]
    path = tmp_path / Path(log).name
    path.write_text(full.rstrip("\n")[:len(full.rstrip("\n")) - len(last) + len(last.split(",")[0]) + keep])
    before = path.read_bytes()
    without = tmp_path / "without_last_row.csv"
    without.write_text(full.rstrip("\n")[:len(full.rstrip("\n")) - len(last)])
    [whole], [cut], [expected] = read(ECO / log), read(path), read(without)
    assert len(expected) < len(whole) or np.isnan(expected.series["train_loss"][-1])  # (Lightning: a row of 3)
    assert list(cut.axis) == list(expected.axis) and set(cut.series) == set(expected.series)
    for key in expected.series:
        np.testing.assert_array_equal(cut.series[key], expected.series[key])
    assert "cut off mid-write" in caplog.text and path.read_bytes() == before
    # Written whole, the same file without its final newline loses nothing.
    path.write_text(full.rstrip("\n"))
    assert len(read(path)[0]) == len(whole)


def test_a_log_whose_tail_is_zero_bytes_is_read_up_to_them(tmp_path):
    # A machine that crashed mid-write leaves the file's last block NUL-filled: "binary file" before.
    path = tmp_path / "h3.log"
    path.write_bytes((ECO / "keras_metrics" / "h3.log").read_bytes() + b"\x00" * 4096)
    [run] = read(path)
    assert len(run) == len(read(ECO / "keras_metrics" / "h3.log")[0])
    path.write_bytes(b"epoch,loss\x00\x00,val_loss\n0,1,2\n")
    with pytest.raises(UnknownFormatError, match="binary"):
        read(path)


def test_a_library_folder_whose_last_row_was_cut_reads_without_it(tmp_path, caplog):
    # DVCLive killed while appending val/loss.tsv: the folder reads, one validation point shorter.
    root, path = _damaged(tmp_path, DVCLIVE, "plots/metrics/val/loss.tsv", lambda t: t.rstrip("\n")[:-5])
    [whole], [cut] = read(DVCLIVE), read(root)
    np.testing.assert_array_equal(_finite(cut, "val_loss"), _finite(whole, "val_loss")[:-1])
    assert "cut off mid-write" in caplog.text


def test_converged_advice_does_not_give_up_what_the_run_gained_after_x():
    # A PyTorch loop's log: X (95% of the whole drop from a steep start) is epoch 18, but val_loss
    # went on down by 46% until epoch ~95. "Stop at epoch 18: more epochs will not lower the loss"
    # gave that up; probes found the same on 8 of 8 converged runs from other libraries.
    path = ECO.parent / "logs" / "torch_splits.json"
    [run] = read(path)
    d = losslens.diagnose(path)
    x, val = run.finite("val_loss")
    assert d.verdict == "converged" and d.plateau.epoch == 18
    at_x = np.median(val[(x >= 17) & (x <= 19)])  # (the median of 3 centred on X)
    assert (at_x - val.min()) / at_x > 0.4  # the run itself went on improving
    went_on = next(e for e in d.causes[0].evidence if e.startswith("but it went on falling after epoch 18: 46% lower"))
    at = float(re.search(r"lower by epoch (\d+)", went_on)[1])
    assert abs(at - x[np.argmin(val)]) <= 5
    # Its lowest point is near its end (epoch 95 of 99) and the last quarter still falls: the advice says so first,
    # then when to stop, and what stopping at X would have given up.
    first = d.causes[0].actions[0]
    assert re.match(r"still falling at the end: 1\.7% lower over the last quarter, a steady fall \(t = -8\.2\); "
                    r"stop once it flattens", first) and first.endswith("stopping at 18 would have given up 46%"), first
    assert "stop at epoch 18" not in " ".join(d.causes[0].actions)
    # A run that gained < 5% after X keeps X and a plain stop, moved past the gain where it is beyond its noise
    # (ReduceLROnPlateau: 3.9% lower after epoch 8, its median of 3, once the lr was cut at 13: _stop_gives_up).
    rl = losslens.diagnose(ECO.parent / "logs" / "keras_rlrop.csv")
    assert rl.plateau.epoch == 8 and rl.causes[0].actions[0].startswith(
        "stop at epoch 14, after the learning rate's cut at epoch 13")


def test_a_finished_one_cycle_schedule_is_not_still_improving():
    # OneCycleLR ends at 6e-4 of its peak lr; the cooldown's last drop is still in the final quarter
    # (t = -2.5). "Still improving: keep training" was wrong: 20 more epochs at the final lr moved
    # val_loss from 0.0093996 to 0.0093999 (probe, same run).
    path = ECO / "lightning_onecycle" / "logs" / "onecycle" / "version_0" / "metrics.csv"
    [run] = read(path)
    lr = run.finite("lr")[1]
    assert lr[-1] < 1e-3 * lr.max()
    d = losslens.diagnose(path)
    assert d.verdict == "converged" and "still_improving" not in d.cause_ids()
    ev = " ".join(d.causes[0].evidence)
    assert "the learning rate was decayed to" in ev and "more epochs will not repeat it" in ev


COS = ECO / "torch_cosine_peak"


def _cosine_run(name):
    """A torch_cosine_peak save, its validation loss and its final value (median of the last 3, as make.out)."""
    [run] = read(COS / f"{name}.json")
    val = _finite(run, "val_loss")
    return run, val, float(np.median(val[-3:]))


def test_a_cosine_schedule_that_annealed_a_small_peak_lr_reads_lr_too_low():
    # CosineAnnealingLR over 30 epochs, Adam at peak 3e-4: validation flattens at 0.239 because the lr ran to
    # 0, and read "converged: stop here". Per unit of lr it still fell 62 noise sds over the annealed half, at
    # 38% of its pace at the peak. Peak 3e-3 (the counterfactual, x10) ends at 0.091 (-62% over 3 seeds,
    # make.out); there the annealed half fell by its noise, and it stays converged.
    low, val, end = _cosine_run("adam_lr0.0003")
    _, _, tuned_end = _cosine_run("adam_lr0.003")
    lr = _finite(low, "lr")
    assert lr[-1] == 0 and lr.max() < 3.01e-4 and tuned_end <= 0.85 * end      # the premise: a schedule; x10 pays
    assert np.all(np.abs(np.diff(val[-8:])) < 0.01 * (val[0] - end))           # ... and it does look flat
    d = losslens.diagnose(COS / "adam_lr0.0003.json")
    assert d.verdict == "lr_too_low" and d.causes[0].status == "likely"
    assert not {"converged", "lr_too_high"} & set(d.cause_ids())
    assert "annealed to 0" in d.causes[0].evidence[0] and "not at a floor" in d.causes[0].evidence[0]
    assert d.causes[0].numbers["pace_ratio"] <= 1
    acts = " ".join(d.causes[0].actions)
    assert "higher peak learning rate" in acts and "longer schedule" in acts
    for tuned in ("adam_lr0.003", "sgd_lr0.03"):
        d = losslens.diagnose(COS / f"{tuned}.json")
        assert d.verdict == "converged" and not {"lr_too_low", "lr_too_high"} & set(d.cause_ids()), tuned


def test_a_cosine_schedule_whose_peak_lr_held_the_loss_up_reads_lr_too_high():
    # SGD momentum 0.9 at peak 0.3: validation bounced 0.75-1.98 for the 15 epochs at half the peak lr or more,
    # then fell to 0.312 as the lr annealed: read "temporary_plateau" (a flat stretch the run left). Peak 0.03
    # ends at 0.097 (-92% over 3 seeds, make.out). Adam at peak 3e-2: validation climbed 0.136 -> 0.309 at
    # epoch 12 with training rising too, ending at 0.150: read converged; peak 3e-3 ends at 0.091 (-28%).
    high, val, end = _cosine_run("sgd_lr0.3")
    _, _, tenth_end = _cosine_run("sgd_lr0.03")
    assert tenth_end <= 0.85 * end and val[:15].max() > 1.5 * val[:15].min()   # bounced at the peak; /10 pays
    d = losslens.diagnose(COS / "sgd_lr0.3.json")
    assert d.verdict == "lr_too_high" and d.causes[0].status == "likely"
    assert "only as the lr annealed" in d.causes[0].evidence[0] and "lower peak" in d.causes[0].actions[0]
    _, _, end = _cosine_run("adam_lr0.03")
    assert _cosine_run("adam_lr0.003")[2] <= 0.85 * end
    d = losslens.diagnose(COS / "adam_lr0.03.json")
    assert d.verdict == "lr_too_high" and "lr_too_low" not in d.cause_ids()
    ev = " ".join(d.causes[0].evidence)
    assert "out of a bounce" in ev and "near its peak" in ev and "lower peak" in d.causes[0].actions[0]


def test_a_learning_rate_that_undoes_what_was_learned_reads_lr_too_high():
    # fastai fit_one_cycle at lr_max 1.0: validation 1.89 -> 1.78 -> 2.31 (= ln 10, accuracy 0.095)
    # while the training loss stayed above it (4.28 -> 2.33). Read "overfitting: regularize, a
    # smaller model" (train never got below validation: nothing was memorised). lr/10 reached 0.25.
    big = read(ECO / "fastai" / "history_big_lr.csv")[0]
    tenth = read(ECO / "fastai" / "history_cf_big_lr_div10.csv")[0]
    val, train = _finite(big, "val_loss"), _finite(big, "train_loss")
    assert val[-1] > val[0] > val.min() and np.all(train[1:] >= val[1:] - 1.2) and train[-1] > val[-1]
    assert _finite(tenth, "val_loss").min() < 0.5 * val.min()  # the counterfactual: a smaller step
    d = losslens.diagnose(big)
    assert d.verdict == "lr_too_high" and "overfitting" not in d.cause_ids()
    assert "climbed back above where it started" in d.causes[0].evidence[0]


def test_a_network_knocked_back_to_a_uniform_guess_reads_lr_too_high():
    # SGD(momentum 0.9) at lr 1.0 in a SummaryWriter sweep: validation 5.59 -> 1.11 -> 2.33 = ln 10,
    # accuracy 0.24 -> 0.10. Read "underfitting: a bigger model" (and, with --classes 10, no_signal).
    runs = {r.name: r for r in read(f"tb:{ECO / 'tb_lr_sweep' / 'runs'}")}
    high = runs["lr_1.0"]
    val = _finite(high, "val_loss")
    assert abs(val[-1] - np.log(10)) < 0.05 and val.min() < 0.5 * np.log(10)
    assert _finite(runs["lr_0.03"], "val_loss")[-1] < 0.25  # the counterfactual
    for classes in (None, 10):
        d = losslens.diagnose(high, classes=classes)
        assert d.verdict == "lr_too_high", classes
        # (add_scalar(..., epoch): read as epochs, where both curves' fall back to ln 10 is read together)
        assert "both sit at a uniform guess's loss, ln 10 = 2.303" in d.causes[0].evidence[0]
        assert "validation accuracy 0.100 ≈ 1/10" in d.causes[0].evidence[0]


def test_two_points_up_after_the_best_are_not_yet_overfitting(tmp_path):
    # Plain SGD at lr 0.15: after 9 epochs validation read 0.10 at epoch 6, then 0.29 and 0.26; a live
    # monitor stopped the run there as "overfitting" and restored epoch 6. The same run went on to
    # 0.011 by epoch 19: two points above the best were a bounce.
    full = (ECO / "torch_loop_bounce" / "val.csv").read_text().splitlines()
    first9 = tmp_path / "first9.csv"
    first9.write_text("\n".join(full[:10]) + "\n")
    [seen], [whole] = read(first9), read(ECO / "torch_loop_bounce" / "val.csv")
    val = _finite(seen, "val_loss")
    assert int(np.argmin(val)) == 6 and val[7] > 2 * val[6]
    assert _finite(whole, "val_loss").min() < 0.15 * val.min()  # what training on gave
    assert losslens.diagnose(first9).verdict != "overfitting"


def test_two_points_each_higher_after_the_best_while_training_falls_are_overfitting():
    # A Trainer beside its own EarlyStoppingCallback and load_best_model_at_end, stopped at step 112 (best
    # checkpoint-80): validation 0.368 -> 0.418 -> 0.466 (9 noise sds) while training fell on, read "converged".
    # No bounce back as in the SGD run above; one evaluation later validation reached 0.615.
    hf = ECO / "hf_earlystop_rise"
    state = json.loads((hf / "stop112_trainer_state.json").read_text())
    assert state["global_step"] == 112 and state["best_model_checkpoint"].endswith("checkpoint-80")
    [run] = read(hf / "stop112_trainer_state.json")
    val = _finite(run, "val_loss")
    assert int(np.argmin(val)) == len(val) - 3 and val[-3] < val[-2] < val[-1]
    assert _finite(read(hf / "stop128_trainer_state.json")[0], "val_loss")[-1] > val[-1] + 0.1  # what came next
    d = losslens.diagnose(hf / "stop112_trainer_state.json")
    assert d.verdict == "overfitting", d.summary() if hasattr(d, "summary") else d.verdict
    assert d.causes[0].numbers["val_best_epoch"] == 80
    assert any(e.startswith("train_loss kept falling after it") for e in d.causes[0].evidence)
    assert losslens.diagnose(hf / "stop128_trainer_state.json").verdict == "overfitting"


def test_overfitting_under_load_best_model_at_end_says_the_trainer_kept_the_best_checkpoint():
    # The same Trainer stopped at step 128 by its EarlyStoppingCallback, with load_best_model_at_end=True: its
    # trainer_state.json records checkpoint-80, the one the Trainer loaded at the end. The first action read
    # "early stopping with restore_best_weights: the best weights are from step 80", advice to do what was done.
    path = ECO / "hf_earlystop_rise" / "stop128_trainer_state.json"
    state = json.loads(path.read_text())
    assert state["best_model_checkpoint"].endswith("checkpoint-80") and state["best_global_step"] == 80
    over = losslens.diagnose(path).causes[0]
    # Said last: its EarlyStoppingCallback had ended the run at that best, so the gap's remedies come first, more
    # data first beside data_limited (diagnosis._next_after_stop).
    assert over.id == "overfitting" and over.numbers["val_best_epoch"] == 80
    assert over.actions[-1].startswith("the Trainer kept its best checkpoint, checkpoint-80 (step 80, best_metric "
                                       f"{state['best_metric']:.4g}): with load_best_model_at_end=True it loaded it")
    assert "restore_best_weights" not in over.actions[-1] and "lowest at" not in over.actions[-1]
    from losslens.diagnosis import ACTIONS

    remedies = ACTIONS["overfitting"][1:]
    assert over.actions[:-1] == remedies[-1:] + remedies[:-1]


@pytest.mark.parametrize("path", [ECO.parent / "logs" / "lightgbm_evals_result.json", ECO / "catboost" / "catboost_info",
                                  ECO / "xgboost_printed" / "printed_train.log"])
def test_overfitting_boosted_trees_get_a_boosters_actions(path):
    # An evals_result, a catboost_info folder and xgb.train's printed log: "dropout, data augmentation,
    # restore_best_weights" are a neural net's knobs; a booster's are early_stopping_rounds, eta, depth.
    d = losslens.diagnose(path)
    assert d.verdict == "overfitting"
    acts = " ".join(d.causes[0].actions)
    assert acts.startswith("early stopping on the validation set (early_stopping_rounds")
    assert f"the best round is {d.causes[0].numbers['val_best_epoch']:g}" in acts and "max_depth" in acts
    assert "dropout" not in acts and "augmentation" not in acts
    # A Keras History (no booster metric names) keeps the network's actions.
    assert "dropout" in " ".join(losslens.diagnose(ECO / "keras_nan" / "history.json").causes[0].actions
                                 + losslens.diagnose(ECO / "keras_metrics" / "h3.log").causes[0].actions)


def test_a_one_cycle_collapse_to_a_uniform_guess_reads_lr_too_high(tmp_path):
    # A loop's CSV (the training loss and lr at every step, validation at each epoch's end), OneCycleLR at
    # max_lr 1.0 on the digits MLP: validation 2.12 -> 1.20 at epoch 1 -> 2.304 = ln 10 (accuracy 0.10),
    # training back at ln 10 too. With SGD it read "overfitting: regularize" (underfitting 0.55 beside
    # it), with Adam "overfitting"; the schedule's lr kept the collapse rule (relapsed) from looking.
    # The counterfactual, max_lr 0.1: val 0.427 at the end, accuracy 0.885.
    folder = ECO / "torch_onecycle_collapse"
    cf = read(folder / "onecycle_sgd_maxlr0.1.csv")[0]
    assert _finite(cf, "val_loss")[-1] < 0.5
    for opt in ("sgd", "adam"):
        [run] = read(folder / f"onecycle_{opt}_maxlr1.0.csv")
        val, train, lr = _finite(run, "val_loss"), _finite(run, "train_loss"), _finite(run, "lr")
        assert run.axis_name == "epoch" and abs(val[-1] - np.log(10)) < 0.01 and abs(train[-1] - np.log(10)) < 0.05
        assert val.min() < 0.75 * np.log(10) and lr[-1] < 0.01 * lr.max()  # learned first; a schedule ran
        d = losslens.diagnose(run)
        assert d.verdict == "lr_too_high", opt
        assert not {"overfitting", "underfitting", "converged"} & set(d.cause_ids()), opt
        ev = " ".join(d.causes[0].evidence)
        assert "uniform guess's loss, ln 10" in ev and "did not bring it back" in ev
        assert "max_lr" in d.causes[0].actions[0]
        # On the step axis (the same file without its epoch column) it read lr_too_high with "converged:
        # stop here, the schedule has run its course" beside it; a network at a uniform guess is not done.
        lines = (folder / f"onecycle_{opt}_maxlr1.0.csv").read_text().splitlines()
        steps = tmp_path / f"{opt}_steps.csv"
        steps.write_text("\n".join(",".join(c for i, c in enumerate(ln.split(",")) if i != 1) for ln in lines) + "\n")
        d = losslens.diagnose(steps)
        assert read(steps)[0].axis_name == "step" and d.verdict == "lr_too_high" and "converged" not in d.cause_ids()


def test_what_the_one_cycle_loop_printed_reads_as_its_csv():
    # make.py also prints each epoch, "epoch 3 train_loss(last step) 6.7250 val_loss 41.9818 val_acc 0.316"
    # (captured as out_sgd_maxlr*.txt). The noted name was dropped: no training curve, and max_lr 1.0 read
    # stuck_at_init with overfitting (0.95) beside it, where its CSV reads lr_too_high. The printed training
    # loss is each epoch's last step, as the note says.
    folder = ECO / "torch_onecycle_collapse"
    for lr in ("1.0", "0.1"):
        [printed] = read(folder / f"out_sgd_maxlr{lr}.txt")
        [logged] = read(folder / f"onecycle_sgd_maxlr{lr}.csv")
        rows = list(csv.DictReader((folder / f"onecycle_sgd_maxlr{lr}.csv").open()))
        last = {int(r["epoch"]): float(r["train_loss"]) for r in rows}  # each epoch's last step
        np.testing.assert_allclose(printed.series["train_loss"], [last[e] for e in sorted(last)], atol=5e-5)
        np.testing.assert_allclose(printed.series["val_loss"], _finite(logged, "val_loss"), atol=5e-5)
        assert losslens.diagnose(printed).verdict == losslens.diagnose(logged).verdict, lr
    d = losslens.diagnose(folder / "out_sgd_maxlr1.0.txt")
    assert d.verdict == "lr_too_high" and not {"stuck_at_init", "overfitting"} & set(d.cause_ids())


def test_a_collapse_reports_the_training_loss_share_it_measured():
    # The collapse rule raised its JSON train_back to 0.5 (relapse_share) whenever the run ended at ln K:
    # with Adam, training lost 19% of its gain (1.693 -> 2.303 of 4.985 -> 1.693) and the JSON said 50%.
    # The verdicts hold without it: no converged, overfitting or underfitting beside the collapse.
    from typer.testing import CliRunner

    from losslens.cli import app

    folder = ECO / "torch_onecycle_collapse"
    for opt in ("sgd", "adam"):
        path = folder / f"onecycle_{opt}_maxlr1.0.csv"
        out = json.loads(CliRunner().invoke(app, ["diagnose", str(path), "--json"]).stdout.splitlines()[0])
        [cause] = out["causes"]
        assert cause["id"] == "lr_too_high" and cause["numbers"]["uniform_guess"] == 10, opt
        tp = out["facts"]["train_plateau"]
        train = _finite(read(path)[0], "train_loss")
        measured = (np.median(train[-3:]) - tp["floor"]) / tp["improvement"]  # the last 3 epochs, all after the best
        # (--json writes 7 significant digits, and floor/improvement come through it too)
        assert cause["numbers"]["train_back"] == pytest.approx(measured, rel=1e-5), opt
    assert out["causes"][0]["numbers"]["train_back"] < 0.25  # Adam's: well below the rule's 0.5


def test_a_collapse_read_off_the_training_loss_alone_is_not_converged(tmp_path):
    # The same OneCycleLR max_lr 1.0 runs as a loop that logs only its training loss per step (with and
    # without the lr), the number of classes not given: no ln K to recognise. The loss fell from 2.32 to
    # about 0.3, climbed back (to 1.7e9 with SGD) and sat flat at 2.305; it read lr_too_high with
    # "converged (0.65): stop once it is flat" beside it. A curve back near its start after having been
    # far below it is a level the run fell back to, not a floor to stop at. max_lr 0.1 still converges.
    folder = ECO / "torch_onecycle_collapse"

    def keep(src, dst, names):
        rows = [ln.split(",") for ln in (folder / src).read_text().splitlines()]
        cols = [rows[0].index(n) for n in names]
        dst.write_text("\n".join(",".join(r[i] for i in cols) for r in rows) + "\n")
        return dst

    for opt in ("sgd", "adam"):
        for names in (("step", "train_loss"), ("step", "train_loss", "lr")):
            path = keep(f"onecycle_{opt}_maxlr1.0.csv", tmp_path / f"{opt}_{len(names)}.csv", names)
            run = read(path)[0]
            assert run.axis_name == "step" and "classes" not in run.meta and not run.has("val_loss")
            d = losslens.diagnose(path)
            assert d.metric == "train_loss" and d.verdict == "lr_too_high", (opt, names)
            assert "converged" not in d.cause_ids(), (opt, names)
            assert "of the way up to its start: the weights did not recover" in " ".join(d.causes[0].evidence)
    path = keep("onecycle_sgd_maxlr0.1.csv", tmp_path / "cf.csv", ("step", "train_loss"))
    assert losslens.diagnose(path).verdict == "converged"


def _noisy_mlp_regressor(**kw):
    """scikit-learn's MLPRegressor (100 units, lr 0.01) on 80 noisy points (y = sin 2x1 + x2 x3 + x4/2 + N(0, 0.3²)),
    with the test set's MSE."""
    import warnings

    from sklearn.metrics import mean_squared_error
    from sklearn.neural_network import MLPRegressor

    rng = np.random.default_rng(0)

    def data(n):
        X = rng.uniform(-2, 2, size=(n, 5))
        return X, np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.5 * X[:, 3] + rng.normal(0, 0.3, n)

    (Xtr, ytr), (Xte, yte) = data(80), data(2000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning
        m = MLPRegressor(hidden_layer_sizes=(100,), random_state=0, **{"learning_rate_init": 1e-2, **kw}).fit(Xtr, ytr)
    return m, mean_squared_error(yte, m.predict(Xte))


def test_a_training_loss_without_validation_does_not_advise_training_on_unhedged():
    # Only loss_curve_ (no early_stopping): stopped by its tol at iteration 153 with the training loss still
    # falling, it read "keep training", "raise the learning rate". Retrained, both made the test MSE worse:
    # 0.368 -> 0.436 (1000 iterations), 0.665 (lr x10). Without a held-out curve the training loss cannot
    # tell fitting from overfitting; the advice says so and names the held-out curve to read first.
    pytest.importorskip("sklearn")
    m, test_mse = _noisy_mlp_regressor()
    _, longer = _noisy_mlp_regressor(max_iter=1000, n_iter_no_change=1000)
    _, faster = _noisy_mlp_regressor(learning_rate_init=0.1)
    assert m.n_iter_ < 200 and longer > 1.1 * test_mse and faster > 1.1 * test_mse  # what following it gave
    d = losslens.diagnose(m)
    assert d.metric == "train_loss" and d.verdict in ("still_improving", "lr_too_low")  # the training loss does fall
    for c in d.causes:
        if c.id in ("still_improving", "lr_too_low"):
            assert "no validation curve" in " ".join(c.evidence)
            assert c.actions[0].startswith("before you") and "early_stopping=True" in c.actions[0]
            assert not any(a.startswith(("keep training: it is", "raise the learning rate (an lr range test")) for a in c.actions)
    # What the advice leads to: with early_stopping the held-out score is read, and it is not still improving.
    es, es_mse = _noisy_mlp_regressor(early_stopping=True)
    assert losslens.diagnose(es).metric == "val_r2" and losslens.diagnose(es).verdict != "still_improving"


def test_a_keras_console_log_with_callback_messages_reads_as_its_csvlogger():
    # fit(verbose=1 or 2) with EarlyStopping(restore_best_weights=True, verbose=1) ends in "Restoring model
    # weights from the end of the best epoch: 40.": that 'epoch: 40.' was read as the last epoch's metrics
    # and the epoch column, and the log refused ('train_loss and val_loss have no values').
    folder = ECO / "keras_console"
    logged = read(folder / "training.log")[0]
    for name in ("verbose1.txt", "verbose2.txt"):
        run = read(folder / name)[0]
        assert list(run.axis) == list(range(40)), name
        for col in ("train_loss", "val_loss", "lr"):
            assert np.allclose(run.series[col], logged.series[col], rtol=1e-3, atol=1e-4), (name, col)


def test_a_printed_log_opening_with_the_scripts_settings_reads_as_its_csvlogger():
    # `python train.py | losslens diagnose -` where train.py prints its settings first (print(config): a Python
    # dict; print(json.dumps(config)): JSON) and then fit(verbose=2)'s epochs: the format was guessed from that first
    # line alone, and the log refused as "unreadable JSON: Expecting property name ..." / "unreadable JSON Lines:
    # line 2: Expecting value". The same lines with the dict further down read fine.
    folder = ECO / "keras_settings_first"
    logged = read(folder / "training.log")[0]
    expected = losslens.diagnose(logged)
    for name in ("dict_first.txt", "json_first.txt"):
        run = read(folder / name)[0]
        assert run.meta["format"] == "keras_console" and list(run.axis) == list(range(40)), name
        for col in ("train_loss", "val_loss", "val_acc"):
            assert np.allclose(run.series[col], logged.series[col], rtol=1e-3, atol=1e-4), (name, col)
        res = CliRunner().invoke(app, ["diagnose", "-", "--json"], input=(folder / name).read_text())
        assert res.exit_code == 0, res.output
        got = json.loads(res.stdout)
        assert (got["verdict"], got["plateau_epoch"]) == (expected.verdict, expected.plateau_epoch), name


def test_a_settings_line_before_text_with_no_epochs_names_what_was_tried(tmp_path):
    # Nothing reads: the one line says the JSON failed and that no printed epochs were found either.
    for first in ("{'lr': 0.001}", '{"lr": 0.001}'):
        path = tmp_path / "train.out"
        path.write_text(f"{first}\nloading the data\ntraining done\n")
        res = CliRunner().invoke(app, ["diagnose", str(path)])
        assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1, res.output
        assert "unreadable JSON" in res.output and "nor a printed log" in res.output and str(path) in res.output


def test_every_view_of_one_keras_fit_quotes_the_same_epochs(tmp_path):
    # One fit: CSVLogger's training.log (0-based), the callback's run.json and reports, and what fit(verbose=2)
    # and the callback printed. The printed log read 1-based ("Epoch 4/40" -> epoch 4) and so put X at 4 where
    # every other view said 3; the last epoch's values were also taken from the callback's own printed line.
    folder = ECO / "keras_epoch_numbers"
    views = {name: read(folder / name)[0] for name in ("training.log", "run.json", "console.txt")}
    for name, run in views.items():
        assert list(run.axis) == list(range(13)), name
        assert np.allclose(run.series["val_loss"], views["training.log"].series["val_loss"], rtol=1e-3, atol=1e-4), name
    xs = {name: losslens.diagnose(run).plateau_epoch for name, run in views.items()}
    saved = json.loads((folder / "run.json").read_text())["meta"]
    assert len(set(xs.values())) == 1 and saved["reports"][0]["plateau_epoch"] == xs["training.log"], xs
    assert losslens.forecast(folder / "training.log").plateau_epoch == xs["training.log"]
    console = (folder / "console.txt").read_text()
    stop = saved["stopped_epoch"]
    assert f"losslens: stopped at epoch {stop} " in console and f"after epoch {stop})" in console
    # The callback says once how its epochs meet the progress bar's.
    assert console.count(f"epoch {stop} is the one Keras printed as 'Epoch {stop + 1}/40'") == 1
    from typer.testing import CliRunner

    from losslens.cli import app

    out = CliRunner().invoke(app, ["diagnose", str(folder / "console.txt"), "--json"])
    assert json.loads(out.stdout.splitlines()[0])["plateau_epoch"] == xs["training.log"]


def test_lightning_weight_decay_floor_reads_underfitting_with_the_decay_quoted():
    # SGD with weight_decay=0.05: both losses settle level at ~0.7 and the run read "converged" (stop
    # there; change the data or the model). weight_decay=1e-5 ends 80% lower; a model 8x wider at 0.05
    # no lower: the penalty sets the floor.
    here = ECO / "lightning_weight_decay"
    strong, weak, wide = (read(here / d / "metrics.csv")[0] for d in ("wd_0.05", "wd_1e-05", "wd_0.05_width512"))
    assert strong.meta["hparams"]["weight_decay"] == 0.05
    end = {k: float(_finite(r, "val_loss")[-1]) for k, r in (("strong", strong), ("weak", weak), ("wide", wide))}
    assert end["weak"] < 0.3 * end["strong"] and end["wide"] > 0.95 * end["strong"]  # the interventions
    d = losslens.diagnose(strong)
    assert d.verdict == "underfitting" and d.causes[0].numbers["weight_decay"] == 0.05
    assert "weight_decay = 0.05 (hparams.yaml)" in " ".join(d.causes[0].evidence)
    assert d.causes[0].actions[0].startswith("lower the weight decay")
    assert "converged" in [c.id for c in d.causes]  # flat it is: at this setting, more epochs will not help
    assert "held by a weight penalty" in str(d)
    assert losslens.diagnose(wide).verdict == "underfitting"
    assert losslens.diagnose(weak).verdict == "converged"  # train 0.013 far below val 0.157: no penalty floor


def test_weight_decay_floor_needs_the_decay_in_the_log(tmp_path):
    # The same metrics.csv without its hparams.yaml: nothing names a penalty; the curves alone
    # cannot tell it from a model too small or the data's floor, and the verdict stays converged.
    (tmp_path / "metrics.csv").write_bytes((ECO / "lightning_weight_decay" / "wd_0.05" / "metrics.csv").read_bytes())
    [run] = read(tmp_path / "metrics.csv")
    assert "hparams" not in run.meta
    assert losslens.diagnose(run).verdict == "converged"


def test_hparams_yaml_scalars_nested_and_odd_lines():
    from losslens.readers.hparams import scalars
    text = ("lr: 0.001\noptimizer:\n  name: SGD\n  weight_decay: 1.0e-05  # coupled\n"
            "layers: [64, 64]\nloss_fn: !!python/object:torch.nn.CrossEntropyLoss {}\nmodel:\n  width: 32\n")
    out = scalars(text)
    assert out == {"lr": 0.001, "optimizer.name": "SGD", "optimizer.weight_decay": 1e-5, "model.width": 32.0}
    from losslens.facts.regularization import weight_decay
    reg = weight_decay({"hparams": out})
    assert (reg.name, reg.value, reg.where) == ("optimizer.weight_decay", 1e-5, "hparams.yaml")


@pytest.mark.parametrize("hparams", [
    {"lr": 1e-3, "optimizer": "AdamW", "weight_decay": 0.05},                         # save_hyperparameters()
    {"optimizer": {"class_path": "torch.optim.AdamW", "init_args": {"weight_decay": 0.05}}},  # LightningCLI
    {"optim": "adamw_torch_fused", "weight_decay": 0.05},                              # Trainer's args
])
def test_an_adamw_decay_in_saved_settings_is_not_quoted_as_a_penalty(tmp_path, hparams):
    # AdamW's decay is decoupled: at 0.05 it leaves val at 0.199 vs 0.195 at 1e-5 (docs/integrations.md),
    # and the callbacks keep it apart; a decay read from the file Lightning writes follows the same rule.
    from lightning.pytorch.core.saving import save_hparams_to_yaml
    from losslens.facts.regularization import weight_decay
    from losslens.readers.hparams import beside
    save_hparams_to_yaml(tmp_path / "hparams.yaml", hparams)
    saved = beside(tmp_path / "metrics.csv")
    assert any(k.endswith("weight_decay") and v == 0.05 for k, v in saved.items())
    assert weight_decay({"hparams": saved}) is None
    sgd = {k: ("SGD" if isinstance(v, str) and "adamw" in v.lower() else v) for k, v in saved.items()}
    assert weight_decay({"hparams": sgd}).value == 0.05


@pytest.mark.parametrize("case, switch", [("bc_flip30", 8), ("digits_flip35", 7)])
def test_label_noise_bounce_is_memorising_not_lr_too_high(case, switch):
    # Labels flipped at random: validation's best sits high and bounces as the model memorises the
    # flips; "lr_too_high likely" (0.85 / 0.78) told the user to lower the lr. lr/10 from the start or
    # from the best epoch reaches no lower best; the clean labels reach a fraction of it.
    here = ECO / "torch_label_noise"
    best = {s: float(np.min(_finite(read(here / f"{case}{s}.csv")[0], "val_loss")))
            for s in ("", "_lr1e-4", f"_lr1e-4_from{switch}")}
    clean = float(np.min(_finite(read(here / f"{case.split('_')[0]}_clean.csv")[0], "val_loss")))
    assert min(best["_lr1e-4"], best[f"_lr1e-4_from{switch}"]) > 0.98 * best[""] and clean < 0.2 * best[""]
    d = losslens.diagnose(here / f"{case}.csv")
    assert d.verdict == "overfitting" and "lr_too_high" not in [c.id for c in d.causes]
    text = " ".join(d.causes[0].evidence + d.causes[0].actions)
    assert "memorises" in text and "check the labels" in text
    assert any("early stopping" in a.lower() for a in d.causes[0].actions)
    # The clean run overfits too, but its best is far below its start: no word about the labels.
    clean_d = losslens.diagnose(here / f"{case.split('_')[0]}_clean.csv")
    assert "check the labels" not in " ".join(clean_d.causes[0].actions)


def test_a_keras_log_from_epoch_one_is_not_told_its_labels_are_wrong(shared_curves):
    """Keras' IMDB example (Chollet, 3.5, 20 epochs, logged from epoch 1 at val_loss 0.4016 and accuracy 0.86) was
    told "validation's best 0.2735 is 68% of its first value 0.4016 ... a held-out floor this high under memorising
    is what wrong labels give": its first value came after an epoch that learned most of it. Set against an
    untrained binary classifier's ln 2 = 0.693 its best is 39%; the flipped-label runs stay above half of theirs."""
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(shared_curves / "keras_notebook_curves.csv")
    g = frame[frame.run_id.str.contains("3.5-classifying-movie-reviews.ipynb#cell32", regex=False)]
    d = losslens.diagnose({k: g[k].to_numpy(float) for k in ("epoch", "train_loss", "val_loss", "train_acc",
                                                              "val_acc")})
    assert d.verdict == "overfitting" and min(d.run.series["val_loss"]) == pytest.approx(0.2735)
    assert any("bounces as it climbs" in e for e in d.causes[0].evidence), str(d)
    assert not any("wrong labels" in e for e in d.causes[0].evidence), str(d)
    assert "check the labels" not in " ".join(d.causes[0].actions)
    # bc_flip30's first value 0.643 came after training began too: its best is set against ln 2 as well.
    bc = losslens.diagnose(ECO / "torch_label_noise" / "bc_flip30.csv")
    line = next(e for e in bc.causes[0].evidence if "wrong labels" in e)
    assert re.search(r"best 0\.563\d? is 8\d% of an untrained classifier's ln 2 = 0\.693", line), line


def test_recurrent_advice_only_where_the_run_says_it_is_recurrent():
    """The article's conv net on random images (no_signal) was told "a recurrent net over long sequences loses the
    gradient from early steps": nothing in its log says recurrent. Said as a condition there; as a fact where the
    run names a recurrent layer (its own gradient norm logged, grad_norm/rnn)."""
    conv = losslens.diagnose(ECO.parent / "article" / "exp2_random_images.json", classes=5)
    line = next(a for a in conv.causes[0].actions if "recurrent" in a)
    assert conv.verdict == "no_signal" and "if it is a recurrent net over long sequences" in line, line
    # The GRU of torch_gru_long_sequence, saved by a Monitor that logs each layer's gradient norm (grad_norm/rnn):
    # converged at chance, its check that the model can reach the label names the recurrent net as a fact.
    gru = losslens.diagnose(ECO / "torch_gru_long_sequence" / "layers.json")
    assert "grad_norm/rnn" in gru.run.series
    line = next(a for a in gru.causes[0].actions if "recurrent" in a)
    assert gru.verdict == "converged" and "this recurrent net, over long sequences, loses the gradient" in line, line
    # The same run saved without the layers' norms (run.json) keeps the condition.
    plain = losslens.diagnose(ECO / "torch_gru_long_sequence" / "run.json")
    assert any("if it is a recurrent net over long sequences" in a for a in plain.causes[0].actions)


def _stuck_by_a_large_step(d):
    """What a run stuck at its start by a step too large reads: stuck_at_init (the state), its first action
    lowering the learning rate, none raising it, and lr_too_high after it with the reason it ranks second."""
    assert d.verdict == "stuck_at_init"
    assert "both curves ended above their first points" in d.cause.evidence[-1]
    assert d.cause.actions[0].startswith("lower the learning rate")
    assert not any("raise the learning rate" in a for a in d.cause.actions)
    high = next(c for c in d.causes[1:] if c.id == "lr_too_high")
    assert high.strength > d.cause.strength and "ranked after it: the run never got going" in high.evidence[-1]


def test_stuck_at_its_start_by_a_step_too_large_lowers_the_lr():
    """DeepOBS fmnist_2c2d at Adam 0.158 (the grid's best is 2.5e-4): both losses sit at ln 10 from before
    training and end above it (val 2.301 -> 2.311, train 2.307 -> 2.312). It read "stuck at initialization"
    with "raise the learning rate" among its actions and "also likely: lr_too_high (0.85)" surer, no reason
    given. 1/10 of the rate learns (0.349): the steps moved the weights the wrong way, so the action lowers
    the rate. So for a VAE, not at ln K (133 -> 150). A run stuck at a rate far too small (cifar100_allcnnc
    at SGD 2.5e-5) never rose: it keeps "raise the learning rate"."""
    eco = ECO / "deepobs_stuck_high_lr"
    for name in ("fmnist_adam_lr0.158.csv", "fmnist_vae_sgd_lr0.251.csv"):
        _stuck_by_a_large_step(losslens.diagnose(eco / name))
    cf = losslens.read(eco / "fmnist_adam_lr0.0158.csv")[0]
    assert np.nanmin(cf.series["val_loss"]) < 0.5  # the counterfactual: 1/10 of the rate learns
    low = losslens.diagnose(eco / "cifar100_sgd_lr2.5e-05.csv")
    # (Its validation loss still falls steadily, t = -61 to its last point: raising the rate comes first, before
    # the labels; tests/test_tiny_lr.py.)
    assert low.verdict == "stuck_at_init" and low.cause.actions[0].startswith("raise the learning rate")


def test_a_torch_run_stuck_by_a_step_too_large_lowers_the_lr():
    """A PyTorch loop that logs epoch 0 before training, as DeepOBS does: digits MLP at Adam 0.3, val 2.308 =
    ln 10 before training, 2.358 at the end (train 2.308 -> 2.33); Adam 0.03 reaches 0.269, accuracy 0.96."""
    torch_eco = ECO / "torch_stuck_high_lr"
    d = losslens.diagnose(torch_eco / "adam_lr0.3.csv")
    _stuck_by_a_large_step(d)
    assert [c.id for c in d.causes[1:]] == ["lr_too_high"]
    assert losslens.read(torch_eco / "cf_adam_lr0.03.csv")[0].series["val_loss"][-1] < 0.3


def test_stuck_by_a_step_too_large_with_nothing_beside_it_lowers_the_lr():
    """The same state where no lr_too_high is read beside it: validation's rise within its noise (digits MLP at
    SGD momentum 1.0: training loss 2.31 before training, 140 after epoch 1, then 2.35-2.43 at all 30 later
    epochs, val 2.308 -> 2.334). It read "raise the learning rate". The training loss, which the steps lower,
    stood above its start at every later point: steps too large moved it there (Adam 0.03 and 0.003 on the
    digits reach 0.269 and 0.101)."""
    d = losslens.diagnose(ECO / "torch_stuck_high_lr/sgd_lr1.0.csv")
    assert d.verdict == "stuck_at_init"
    assert "both curves ended above their first points" in d.cause.evidence[-1]
    assert "up to 140.5 at epoch 1" in d.cause.evidence[-1]
    assert d.cause.actions[0].startswith("lower the learning rate")
    assert not any("raise the learning rate" in a for a in d.cause.actions)


@pytest.mark.parametrize("name, start, end", [
    ("fmnist_momentum_lr10.csv", "2.307", "2078%"),
    ("fmnist_adam_lr63.csv", "2.307", "1026%"),
    ("svhn_adam_lr3.98.csv", "2.778", "887937%"),
])
def test_a_loss_bouncing_many_times_above_its_start_diverged(name, start, end):
    """DeepOBS runs at rates far above their grid's best that jumped to many times their start in the first
    epoch and bounced there to the end: fmnist_2c2d at momentum 10 (2.31 -> 40-100) and Adam 63 (2.31 -> 17-56,
    26 at the end), svhn_wrn164 at Adam 3.98 (2.77 -> 24,669). Their bounce is their noise, so the climb was 3
    noise sds or fewer, under diverged's 5, and they read stuck_at_init, "never moved far from its initial value"
    (their advice, lower the rate, was right). DESIGN.md's diverged is a loss that exploded, its evidence
    sustained growth; stuck_at_init's a loss near its initial value from the start: no point of their second
    halves came back within 25% of the start. A run that bounced and came back near its start stays stuck (above)."""
    d = losslens.diagnose(ECO / "deepobs_stuck_high_lr" / name)
    assert d.verdict == "diverged" and "stuck_at_init" not in [c.id for c in d.causes]
    line = d.cause.evidence[0]
    assert line.startswith(f"train_loss ended {end} above its starting value ({start} at the start; the lowest "
                           "point of the run's second half still ")
    assert d.cause.actions[0] == "lower the learning rate"
    assert not any("raise the learning rate" in a for a in d.cause.actions)


def test_a_loss_ending_on_one_spike_it_came_back_from_before_did_not_diverge():
    """DeepOBS' char-RNN (tolstoi) at Adam 10, 200 epochs (the grid's best Adam rate, 2.5e-3, ends at 1.24): 4.44
    before training, 3.1 from epoch ~125, spiking to 13-37 and back at the next point 8 times; the 8th spike is its
    last point (32.07). The smooth keeps a curve's edges, so that one point read as "train_loss ended 622% above
    its starting value" (diverged 0.97). One point no higher than the curve had been and come back from (50.5 at
    epoch 1, 37 at a spike) is the next spike, not a climb; the spikes read lr_too_high. A last point above any
    before stays a climb (an RNN's 0.97 -> 964 the epoch before NaN, pathologies/explode_rnn.csv, test_pathologies)."""
    eco = ECO / "deepobs_spike_at_end"
    run = losslens.read(eco / "adam_lr10.csv")[0]
    loss = np.asarray(run.series["train_loss"])
    assert loss[-1] > 5 * loss[0] and loss[-2] < loss[0]  # the last point alone is up
    d = losslens.diagnose(eco / "adam_lr10.csv")
    assert d.verdict == "lr_too_high" and "diverged" not in [c.id for c in d.causes]
    assert d.cause.evidence[0].startswith("train_loss jumps above its trend")
    assert d.cause.actions[0].startswith("lower the learning rate")
    # the grid's best rate on the same problem learns far lower: the rate, not the model, held it at 3.1
    assert np.asarray(losslens.read(eco / "adam_lr0.0025.csv")[0].series["val_loss"])[-1] < 1.3
    # A loss that lives far above its start and dipped back near it the point before its last (svhn_wrn164 at Adam
    # 0.158: up to 3e11, its last quarter's median 58, 21x its start; 2.07 at epoch 159, 1300 at 160) still
    # diverged: the dip is the excursion, the level its last quarter holds is the climb.
    svhn = np.asarray(losslens.read(eco / "svhn_adam_lr0.158.csv")[0].series["train_loss"])
    assert svhn[-2] < svhn[0] < svhn[-1] and np.median(svhn[-40:]) > 20 * svhn[0]
    d = losslens.diagnose(eco / "svhn_adam_lr0.158.csv")
    assert d.verdict == "diverged"
    assert d.cause.evidence[0].startswith("train_loss ended 46711% above its starting value")


@pytest.mark.parametrize("path, verdict, surer", [
    ("../article/exp2_random_images.json", "no_signal", "overfitting"),
    ("fastai_random_labels/printed_random_labels.log", "no_signal", "overfitting"),
    ("torch_gru_long_sequence/wide64.json", "no_signal", "overfitting"),
    ("hf_accum4/accum4_trainer_state.json", "underfitting", "temporary_plateau"),
    ("torch_contrastive/paired.json", "still_improving", "underfitting"),
    ("torch_label_noise/bc_flip30_lr1e-4_from8.csv", "overfitting", "underfitting"),
    ("torch_rlrop_high_lr/n150_lr0.03_s0.json", "overfitting", "lr_too_high"),
])
def test_a_surer_cause_ranked_after_the_verdict_says_why(path, verdict, surer):
    """A cause listed after a verdict it outscores said nothing of why it ranks second, and read as the surer
    diagnosis: overfitting (0.95) after no_signal (0.75-0.9: validation at chance while training memorises random
    labels), underfitting's level after a curve still falling (lr_too_low, still_improving) or one that rose past
    its best (overfitting), a flat stretch the run already left (temporary_plateau), a smaller step after
    overfitting's early stopping. Each now says why, by the vocabulary's definitions."""
    d = losslens.diagnose(ECO / path)
    assert d.verdict == verdict
    listed = next(c for c in d.causes[1:] if c.id == surer)
    assert listed.strength > d.cause.strength
    assert all("ranked after it: " in c.evidence[-1] for c in d.causes[1:] if c.strength > d.cause.strength)


def test_stuck_by_a_large_step_read_on_accuracy_quotes_the_losses():
    """Diagnosed on val_acc (--metric val_acc), the same run quoted "both curves ended above their first points
    (val_acc 0.06901 -> 0.1016, ...)": an accuracy that ended higher rose, which says nothing of a step too
    large. The losses logged beside it are what went up."""
    d = losslens.diagnose(ECO / "torch_stuck_high_lr" / "adam_lr0.3.csv", metric="val_acc")
    assert d.verdict == "stuck_at_init" and d.cause.actions[0].startswith("lower the learning rate")
    assert "(val_loss 2.308 -> 2.358, train_loss 2.308 -> 2.332" in d.cause.evidence[-1]


def test_add_hparams_folders_are_the_runs_settings_not_runs(caplog):
    # torch's SummaryWriter.add_hparams({"lr": lr, "momentum": 0.9}, {...}) at the end of each run of a sweep writes
    # a <timestamp>/ folder in the run's holding the settings and one point per metric (fixture tb_lr_sweep).
    # `losslens diagnose tb:runs/` read 6 runs: the 3 curves and 3 one-point "runs" skipped as too short, and the
    # curves had no lr. Now 3 runs, each with its lr and momentum in meta["hparams"], and nothing skipped.
    folder = ECO / "tb_lr_sweep" / "runs"
    assert len([d for d in folder.glob("*/*") if d.is_dir()]) == 3  # the add_hparams folders
    runs = read(f"tb:{folder}")
    assert [r.name for r in runs] == ["lr_0.001", "lr_0.03", "lr_1.0"]
    assert [r.meta["hparams"] for r in runs] == [{"lr": lr, "momentum": 0.9} for lr in (0.001, 0.03, 1.0)]
    res = CliRunner().invoke(app, ["diagnose", f"tb:{folder}"])
    assert res.exit_code == 0 and "skipped" not in res.output and res.output.startswith("3 runs")
    # The summary shows each run's lr (a sweep's runs told apart by what the user varied), and the best one.
    header, *rows = [ln.split("│")[1:3] for ln in res.output.split("\n\n")[0].splitlines() if ln.startswith(("┃", "│"))]
    assert [c.strip() for c in rows[1]] == ["lr_0.03", "0.03"]
    assert "best val_loss: lr_0.03," in res.output
    from losslens.report.html import report_html
    page = report_html(losslens.diagnose_all(f"tb:{folder}"))
    assert '<th data-key="lr" data-type="num"' in page and 'data-lr="0.03"' in page
    # Read alone, such a folder is still what it is: the one-line "too short" error, not silence.
    [alone] = [d for d in (folder / "lr_0.03").iterdir() if d.is_dir()]
    assert CliRunner().invoke(app, ["diagnose", f"tb:{alone}"]).exit_code == 2


def test_a_lightning_run_thrown_to_a_guess_reads_lr_too_high_though_its_first_loss_says_ln_15():
    # An lr sweep (fixture lightning_sgd_collapse): SGD 3.0 threw the digits MLP out in its first epoch (val_loss
    # 6.68) and it sat at ln 10 with validation accuracy ~0.10 for 29 epochs; lr 1.0 reached ~0.12. Its epoch-mean
    # first training loss, 2.72, is ln 15, so K was inferred as 15, the end at ln 10 was not seen as a guess, and
    # the run read no_signal ("check the labels") without --classes 10, lr_too_high with it. Now both.
    folder = ECO / "lightning_sgd_collapse" / "lightning_logs"
    [good, high] = read(folder)
    assert good.meta["hparams"]["lr"] == 1.0 and high.meta["hparams"]["lr"] == 3.0
    val = _finite(high, "val_loss")
    assert val[0] > 2.5 * np.log(10) and abs(np.median(val[-8:]) - np.log(10)) < 0.05
    assert abs(_finite(high, "train_loss")[0] - np.log(15)) < 0.02
    assert _finite(good, "val_loss").min() < 0.1 * np.log(10)  # the counterfactual: a third of the step
    for classes in (None, 10):
        d = losslens.diagnose(high, classes=classes)
        assert d.verdict == "lr_too_high", (classes, d.cause_ids())
        assert "no_signal" not in d.cause_ids()
        assert d.causes[0].evidence[0].startswith("val_loss and train_loss end at") and "ln 10" in d.causes[0].evidence[0]


def test_a_sweep_run_whose_event_file_is_empty_is_said_not_dropped(tmp_path, caplog):
    # A writer killed before its first flush leaves a 0-byte event file: in a TensorBoard sweep that run vanished
    # from `losslens diagnose tb:runs/` without a word (or left only its add_hparams folder, "too short").
    import shutil

    runs = tmp_path / "runs"
    shutil.copytree(ECO / "tb_lr_sweep" / "runs", runs)
    [killed] = [f for f in (runs / "lr_1.0").iterdir() if f.is_file()]
    killed.write_bytes(b"")
    with caplog.at_level("WARNING", logger="losslens"):
        got = read(f"tb:{runs}")
    assert [r.name for r in got] == ["lr_0.001", "lr_0.03"]
    [line] = [r.getMessage() for r in caplog.records if "no scalars" in r.getMessage()]
    assert line == f"losslens: {runs}: passed over 1 folder(s) whose event files hold no scalars: lr_1.0"


def test_a_sweep_says_when_another_run_shows_the_labels_carry_signal():
    # A torch SGD sweep logged through Lightning's CSVLogger (fixture lightning_sgd_sweep_small_lr): at lr 1e-4 both
    # losses stay near ln 10 for 30 epochs, and the run read stuck_at_init, its first advice "check that the targets
    # depend on the inputs"; at lr 1.0 the same model and data reach val_loss 0.11. The folder then noted that the
    # data carries signal (sweep_notes; a stuck run beside one that learned: test_runs_of_several_folders_...). Its
    # validation loss falls in a straight line, 2.3129 -> 2.3098 (t = -1500), lowest at its end: read alone it is
    # now lr_too_low, as lr 1e-3 is, "raise the learning rate" first, and no note is needed (tests/test_tiny_lr.py).
    folder = ECO / "lightning_sgd_sweep_small_lr" / "lightning_logs"
    low, mid, high = losslens.diagnose_all(folder)
    assert (low.verdict, mid.verdict, high.verdict) == ("lr_too_low", "lr_too_low", "converged")
    assert low.causes[0].actions[0].startswith("raise the learning rate")
    assert "lr_too_high" not in [c.id for c in low.causes]  # (training's spread is no bounce beside that crawl)
    assert high.best[1] < 0.1 * low.best[1]
    from losslens.diagnosis import sweep_notes
    assert sweep_notes([low, mid, high]) == []


def test_one_folder_of_several_problems_names_no_best(shared_curves, tmp_path):
    # One folder of DeepOBS runs cut from the shared grid (fixture deepobs_stuck_high_lr): Fashion-MNIST, CIFAR-100
    # and SVHN classifiers beside a Fashion-MNIST VAE, whose loss (133 at the start) is no classifier's. It read
    # "best val_loss: fmnist_adam_lr0.0158": a ranking of problems, not of settings. Now one line says why none is
    # named; the classifiers' note (Adam 0.158 stuck where 0.0158 learned) stays.
    res = CliRunner().invoke(app, ["diagnose", str(ECO / "deepobs_stuck_high_lr")])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert not [ln for ln in lines if ln.startswith("best ")]
    # ("at least": told apart by the accuracy alone, the three classifiers' problems read as one)
    assert ("no best named: these runs solve at least 2 problems (fmnist_vae_sgd_lr0.251 logs no accuracy where the "
            "others do), whose val_loss values do not compare; rank each problem's runs apart") in lines
    assert [ln.split(":")[0] for ln in lines if "the data carries signal" in ln] == ["fmnist_adam_lr0.158"]
    # The shared grid's long table names each run's test problem first in its run id: two problems in one file
    # get no best, each problem alone still gets its own (the pick of the runs of one problem is unchanged).
    import pandas as pd
    frame = pd.read_csv(shared_curves / "deepobs_baselines_curves.csv.gz")
    ids = [r for r in frame["run_id"].unique() if "AdamOptimizer" in r and "random_seed__42" in r
           and r.split("/")[0] in ("fmnist_2c2d", "cifar10_3c3d") and ("lr__1.e-04" in r or "lr__1.e-03" in r)]
    assert len(ids) == 4
    frame[frame["run_id"].isin(ids)].to_csv(tmp_path / "grid.csv", index=False)
    ds = losslens.diagnose_all(tmp_path / "grid.csv")
    from losslens.report.text import best_line
    from losslens.result import best_run
    assert best_run(ds) is None
    assert best_line(ds) == ("no best named: these runs solve 2 problems (their run ids name cifar10_3c3d, "
                             "fmnist_2c2d), whose val_loss values do not compare; rank each problem's runs apart")
    for problem in ("cifar10_3c3d", "fmnist_2c2d"):
        own = [d for d in ds if d.run_name.startswith(problem + "/")]
        assert len(own) == 2 and best_run(own) is not None


def test_runs_of_several_folders_are_compared_only_within_each():
    # Three fixture folders, three experiments: DeepOBS problems (CIFAR-100, Fashion-MNIST, SVHN ...), a Keras
    # regression, torch MLPs on digits. `diagnose A B C` ranked them all on val_loss: "cifar100_sgd_lr2.5e-05: read
    # stuck_at_init, but n900_lr0.003_s0 got val_loss to 0.0704 ... the data carries signal", a digits MLP's loss
    # weighed against CIFAR-100's, and a best line naming a digits run. Now no best across folders (one line says
    # why), and a note only within one experiment: of one folder, started at one loss (CIFAR-100 at 4.93 at
    # initialisation, Fashion-MNIST at 2.31); Fashion-MNIST at Adam 0.158, stuck at 2.301 where 0.0158 got to 0.376
    # from the same start, keeps its note.
    paths = [str(ECO / n) for n in ("deepobs_stuck_high_lr", "keras_rlrop_noise_floor", "torch_rlrop_high_lr")]
    res = CliRunner().invoke(app, ["diagnose", *paths])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert not [ln for ln in lines if ln.startswith("best ")]
    assert ("no best named: these runs come from 3 folders, each its own experiment, whose val_loss values do not "
            "compare; diagnose each folder alone to rank its runs") in lines
    notes = [ln for ln in lines if "the data carries signal" in ln]
    assert [n.split(":")[0] for n in notes] == ["fmnist_adam_lr0.158"]
    assert "but fmnist_adam_lr0.0158 got val_loss to 0.3763 against its 2.301" in notes[0]
    from losslens.diagnosis import sweep_notes
    from losslens.result import best_run, experiments
    ds = losslens.diagnose_all(paths[0])
    by = {d.run_name: d for d in ds}
    assert by["cifar100_sgd_lr2.5e-05"].verdict == "stuck_at_init"
    assert not [n for n in sweep_notes(ds) if n.startswith("cifar100")]  # 4.93 vs 2.31 at the start: another task
    # One folder, but two problems (the VAE logs no accuracy): ranked within the classifiers only.
    assert len(experiments(ds)) == 2 and best_run(ds) is None
    assert ds[best_run(ds[:-2] + ds[-1:])].run_name == "fmnist_adam_lr0.0158"
    from losslens.report.html import report_html
    page = report_html(losslens.diagnose_all(paths))
    assert "data-best" not in page and "no best named: these runs come from 3 folders" in page


def test_a_validation_loss_thrown_far_above_its_start_beside_a_training_loss_that_never_fell_is_diverged():
    # A triplet margin loss at Adam lr 1.0 (make.py): validation 32 at its first epoch, then 10-81 and ending 78
    # rising, 10-80x the margin a collapsed embedding scores; training 21 -> 12 within its noise. It read converged
    # "stop at epoch 0, change the data or the model"; lr / 10 ends at 0.36.
    d = losslens.diagnose(ECO / "triplet_thrown" / "high.csv")
    assert d.verdict in ("diverged", "lr_too_high"), d
    assert "converged" not in d.cause_ids()
    assert "lower the learning rate" in " ".join(d.cause.actions)
    # The rate a tenth of it, and the control, learn: neither reads diverged.
    for name in ("tenth", "learn"):
        assert losslens.diagnose(ECO / "triplet_thrown" / f"{name}.csv").verdict != "diverged", name


def test_a_margin_loss_stuck_at_its_first_value_names_the_labels():
    # Triplets drawn from shuffled labels (make.py): both losses at the margin, 0.99, from the first epoch, and lr x 10
    # stays there. It read stuck_at_init with "raise the learning rate" and no word of the labels: with no uniform
    # guess's loss to name them, targets that carry nothing look like an untrained model.
    for name in ("shuffled", "shuffled_lr1e-2"):
        d = losslens.diagnose(ECO / "triplet_thrown" / f"{name}.csv")
        assert d.verdict == "stuck_at_init", (name, d)
        assert any(a.startswith("check that the targets depend on the inputs") for a in d.cause.actions[:2]), \
            (name, d.cause.actions)
