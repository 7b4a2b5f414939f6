"""One Transformers Trainer run, two logs: its TensorBoard event file and its checkpoint's trainer_state.json read on
one axis, the optimizer step, with the same planned end (tests/fixtures/ecosystem/hf_tb_two_axes: killed at step 145
of 256; the same run trained on to step 256 reached eval_loss 0.351 from 0.457 at step 144)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens import read

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
OUT = ECO / "hf_tb_two_axes" / "hf_out"


def _pair():
    [tb] = read(OUT / "runs" / "run")
    [state] = read(OUT / "checkpoint-144" / "trainer_state.json")
    return tb, state


def test_the_event_file_is_read_on_the_steps_its_trainer_state_is():
    tb, state = _pair()
    assert tb.axis_name == state.axis_name == "step"
    np.testing.assert_array_equal(tb.axis, state.axis)
    np.testing.assert_allclose(tb.series["epoch_frac"], state.series["epoch_frac"], rtol=1e-6)
    for key in ("train_loss", "val_loss", "lr"):
        np.testing.assert_allclose(tb.series[key], state.series[key], rtol=1e-6, equal_nan=True)
    # the Trainer's planned end, which the event file's TrainingArguments give (num_train_epochs=8, max_steps=-1)
    # with the 32 steps an epoch its logged epochs show
    assert tb.meta["planned_end"] == state.meta["planned_end"] == 256
    assert tb.meta["planned_end_from"] == state.meta["planned_end_from"] == "8 epochs of 32 steps"


def test_both_logs_of_the_run_read_the_same_diagnosis():
    tb, state = (losslens.diagnose(p) for p in (OUT / "runs" / "run", OUT / "checkpoint-144" / "trainer_state.json"))
    a, b = json.loads(tb.to_json()), json.loads(state.to_json())  # (7 digits: the event file holds float32)
    for d in (a, b):
        for key in ("run", "source", "settings"):  # (the state's own train_batch_size and num_train_epochs)
            d.pop(key)
    assert a == b
    assert tb.verdict == "still_improving" and tb.to_dict()["axis"] == "step"
    # Read on epochs the event file was forecast to epoch 8.5 (twice its logged length), past the 8 the schedule
    # decays to 0 by, and no planned end was said; trained on, the run ended at step 256 (eval_loss 0.351).
    text = str(tb)
    assert "no plateau by step 144" in text
    assert "the run is at step 144 of 256, the planned end (8 epochs of 32 steps)" in text
    assert "at step 256, the planned end (8 epochs of 32 steps)" in text
    assert tb.to_dict()["forecast"]["horizon"] == 256
    lo, hi = tb.to_dict()["forecast"]["interval"]
    assert lo <= 0.351 <= hi  # (make.out: the run trained on to its planned end)


def test_the_output_folder_reads_the_run_once_on_its_steps():
    [run] = read(OUT)
    assert run.axis_name == "step" and run.meta["planned_end"] == 256


def test_a_trainer_given_max_steps_plans_to_it(tmp_path):
    # The Trainer's state holds the total it computed: max_steps where set (its num_train_epochs then the epochs begun,
    # ceil(100 / 40) = 3, whose 120 steps are not the plan: "step 100"), as trainer_state.json says it.
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(tmp_path))
    w.add_text("args", json.dumps({"num_train_epochs": 3.0, "max_steps": 100, "logging_steps": 5}))
    for s in range(5, 65, 5):
        w.add_scalar("train/loss", 0.7 * np.exp(-s / 30) + 0.1, s)
        w.add_scalar("train/learning_rate", 1e-3 * (1 - s / 100), s)
        w.add_scalar("train/epoch", s / 40, s)
        if s % 10 == 0:
            w.add_scalar("eval/loss", 0.7 * np.exp(-s / 30) + 0.15, s)
            w.add_scalar("train/epoch", s / 40, s)
    w.close()
    [run] = read(tmp_path)
    assert run.axis_name == "step" and run.axis[-1] == 60
    assert run.meta["planned_end"] == 100 and run.meta["planned_end_from"] == "step 100"


def test_a_train_epoch_tag_without_the_trainers_arguments_keeps_the_epoch_axis(tmp_path):
    # A loop of the user's own logging "train/epoch" beside its losses is no Trainer's: its epochs stay the axis.
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(tmp_path))
    for s in range(1, 41):
        w.add_scalar("train/loss", 0.7 * np.exp(-s / 10) + 0.1, s * 10)
        w.add_scalar("train/epoch", s, s * 10)
        w.add_scalar("val/loss", 0.7 * np.exp(-s / 10) + 0.15, s * 10)
    w.close()
    [run] = read(tmp_path)
    assert run.axis_name == "epoch" and "planned_end" not in run.meta and "framework" not in run.meta


@pytest.mark.parametrize("case", ["lightning_val_interval_tb", "lightning_two_loggers"])
def test_a_lightning_tensorboard_log_reads_as_its_csv_twin(case):
    # Lightning's TensorBoardLogger beside its CSVLogger: the same fit, the same reading (no Trainer's marks on it:
    # val_check_interval=0.5 is read on steps with epoch_frac too, and is no Transformers run).
    logs = ECO / case / "logs"
    tb, csv = (losslens.diagnose(logs / kind / "version_0") for kind in ("tb", "csv"))
    a, b = tb.to_dict(), csv.to_dict()
    for d in (a, b):
        for key in ("run", "source"):
            d.pop(key)
    assert a == b
    [run] = read(logs / "tb" / "version_0")
    assert "framework" not in run.meta


def test_the_resumed_process_s_folder_read_alone_still_starts_late(caplog):
    # hf_tb_resume: the process resumed from checkpoint-20 logs from step 25 into a folder of its own. On epochs it
    # was said to start late at epoch 2.5; on steps it is still (its fall before step 25 is in the other folder).
    import logging

    folder = sorted(p for p in (ECO / "hf_tb_resume" / "hf_out" / "runs").iterdir() if p.is_dir())[1]
    with caplog.at_level(logging.WARNING, logger="losslens"):
        [run] = read(folder)
    assert run.axis_name == "step" and run.meta["starts_at_epoch"] == 2.5 and run.meta["starts_at_step"] == 25
    assert "the log starts at step 25 (epoch 2.5), the earlier epochs are missing" in caplog.text
    assert "X is measured from step 25" in caplog.text
