"""Runs that went NaN in their last epoch only (session 47's numerics walk; every log written by the real library:
tests/fixtures/ecosystem/nan_last_epoch/make.py). One training sample with a NaN feature in epoch 24 of 25: the last
row's losses and gradient norm NaN, val_acc 0.10, chance. The old code needed two trailing NaN rows (or an inf) and
read the CSV and Lightning logs "converged", no warning, while the live Monitor (NaN kept as inf) read diverged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import losslens
from losslens.cli import app

NL = Path(__file__).parent / "fixtures" / "ecosystem" / "nan_last_epoch"
INPUTS = "check the inputs for NaN/inf and the loss for log(0)"


@pytest.mark.parametrize("log", ["torch/epochs.csv", "lightning/metrics.csv", "monitor/losslens.json"])
def test_one_nan_last_row_spelt_by_the_logger_is_diverged(log):
    # Old code: "converged — plateau at epoch 4 (confidence 96%)" (CSV), 89% (Lightning); the Monitor's diverged.
    d = losslens.diagnose(NL / log)
    assert d.verdict == "diverged"
    assert d.causes[0].numbers["nonfinite_from"] == 24
    assert "became NaN/inf at epoch 24" in d.causes[0].evidence[0]


def test_the_final_models_accuracy_is_chance_and_stays_so():
    # The truth the verdict answers: NaN weights, val_acc 0.10 on 10 classes, where it was 0.976 at epoch 23.
    run = losslens.read(NL / "torch" / "epochs.csv")[0]
    assert run.series["val_acc"][-1] == pytest.approx(0.10, abs=1e-6) and run.series["val_acc"][-2] > 0.97
    assert np.isnan(run.series["train_loss"][-1]) and np.isnan(run.series["grad_norm"][-1])


def test_fail_on_diverged_fails_the_job():
    res = CliRunner().invoke(app, ["diagnose", str(NL / "torch" / "epochs.csv"), "--fail-on", "diverged"])
    assert res.exit_code == 1, res.output


def test_an_accuracy_read_beside_the_nan_loss_is_diverged_not_too_early_to_tell():
    # Old code: lr_too_high, "too early to tell whether it comes back (a bounce) or goes on up": NaN weights do not.
    d = losslens.diagnose(NL / "torch" / "epochs.csv", metric="val_acc")
    assert d.verdict == "diverged"
    assert "too early to tell" not in str(d)


@pytest.mark.parametrize("log", ["torch/epochs.csv", "keras_style/history.csv"])
def test_no_forecast_of_a_run_that_ended_nan(log):
    # Old code: "0.7% lower by epoch 46" (torch), "a blow-up and its recovery" (keras_style): nothing recovered.
    fc = losslens.forecast(NL / log)
    assert fc.withheld == "diverged" and fc.p_improve is None


def test_a_blow_up_that_ends_in_nan_says_where():
    # Old code: diverged on the climb (7.8e+27% above its start), the NaN at epoch 13 never named.
    d = losslens.diagnose(NL / "keras_style" / "history.csv")
    assert d.verdict == "diverged"
    assert "train_loss became NaN/inf at epoch 13" in d.causes[0].evidence


@pytest.mark.parametrize("log, ratio", [("monitor/losslens.json", "0.4x"), ("torch/epochs.csv", "0.45x")])
def test_calm_gradients_before_the_nan_put_the_inputs_first(log, ratio):
    # Old code: "gradient norm 0.142 at epoch 23, 0x its median 0.358" and "lower the learning rate" first, the
    # inputs last. lr / 10 (torch_lr_div10) went NaN at the same epoch: the step was not the cause.
    d = losslens.diagnose(NL / log)
    grad = next(e for e in d.causes[0].evidence if e.startswith("gradient norm"))
    assert f", {ratio} its median" in grad and "calm" in grad
    assert d.causes[0].actions[0] == INPUTS


def test_lr_div10_goes_nan_at_the_same_epoch():
    run = losslens.read(NL / "torch_lr_div10" / "epochs.csv")[0]
    assert np.isnan(run.series["train_loss"][24]) and np.isfinite(run.series["train_loss"][:24]).all()
    d = losslens.diagnose(NL / "torch_lr_div10" / "epochs.csv")
    assert d.verdict == "diverged" and d.causes[0].actions[0] == INPUTS
