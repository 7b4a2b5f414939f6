"""Logs written by libraries beyond the core four: PyTorch Ignite, a plain SummaryWriter loop, skorch,
Sacred, MMEngine, Ray Tune, and the Trainer/Lightning patterns that run an evaluation after training.

Every file under tests/fixtures/ecosystem/ was written by the library itself in a tiny CPU run (the
script beside it; see that folder's README). Most runs are the same small MLP on 300 digits, which
overfits: validation loss bottoms out at epoch ~10-16 and ends 20-30% above it while the training loss
goes to ~0.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import losslens
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


@pytest.mark.parametrize("name", ["trainer_state.json", "console.txt"])
def test_trainer_evaluate_after_load_best_model_is_not_on_the_curve(name):
    state = json.loads((ECO / "hf_evaluate" / "trainer_state.json").read_text())
    [run] = read(ECO / "hf_evaluate" / name)
    evals = [r["eval_loss"] for r in state["log_history"] if "eval_loss" in r]
    assert evals[-1] == state["best_metric"]  # train(); evaluate() on the restored best model
    np.testing.assert_allclose(_finite(run, "val_loss"), evals[:-1], rtol=1e-3)
    assert run.meta["evaluated_after_training"][0]["eval_loss"] == pytest.approx(state["best_metric"], rel=1e-3)
    assert losslens.diagnose(run).verdict == "overfitting"


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
    over = d.causes[0]
    assert d.verdict == "overfitting" and d.metric == "val_acc"
    assert over.numbers["metric_best_epoch"] == best["step"] == 80  # checkpoint-80
    assert over.numbers["val_best_epoch"] == min(evals, key=lambda r: r["eval_loss"])["step"] == 10
    assert over.actions[0].startswith("early stopping on val_acc with restore_best_weights: its best weights are "
                                      "from step 80 (val_acc 0.645")
    # Diagnosing the loss itself keeps the loss's best epoch.
    assert losslens.diagnose(path).causes[0].actions[0].endswith("the best weights are from step 10")


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
