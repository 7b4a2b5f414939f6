"""A Trainer output folder holding both of its logs of one run, the TensorBoard event file and trainer_state.json
(tests/fixtures/ecosystem/hf_earlystop_tb: hf_earlystop_held's run, report_to="tensorboard", which its own
EarlyStoppingCallback(early_stopping_patience=4) ended at step 190 of 960; trained on without it, hf_earlystop_held's
second run never got below its best eval_loss 0.3626 again). The folder keeps the event file's reading and, with it,
what only the state holds: the stop, the best checkpoint, the saved settings, the training set's size."""

from __future__ import annotations

import json
from pathlib import Path

import losslens
from losslens import read

OUT = Path(__file__).parent / "fixtures" / "ecosystem" / "hf_earlystop_tb" / "hf_out"


def test_the_folder_keeps_what_only_the_state_holds():
    [run] = read(OUT)
    [state] = read(OUT / "trainer_state.json")
    assert run.meta["stopped_early"] == state.meta["stopped_early"]
    assert run.meta["early_stopped"] == state.meta["early_stopped"]
    for key in ("trainer_settings", "train_examples", "best_model_checkpoint", "best_global_step"):
        assert run.meta[key] == state.meta[key], key
    assert run.meta["trainer_settings"] == {"train_batch_size": 16, "num_train_epochs": 30}
    assert run.meta["facts_from"]["stopped_early"] == str(OUT / "trainer_state.json")


def test_the_folder_reads_the_stop_as_its_state_does():
    folder, state = (losslens.diagnose(p) for p in (OUT, OUT / "trainer_state.json"))
    text = str(folder)
    # (before: "rather than stop, train on with early stopping ... (P = 70% that training on to step 960 gains > 1%)"
    # and a forecast to step 960, the max_steps the callback's stop never went on to)
    assert "rather than stop, train on" not in text
    assert "it was stopped early already: EarlyStoppingCallback ended it after 190 of its 960 steps" in text
    assert "the Trainer kept its best checkpoint, checkpoint-150" in text
    a, b = json.loads(folder.to_json()), json.loads(state.to_json())
    for d in (a, b):
        for key in ("run", "source", "notes", "facts"):  # (facts: float32 events against float64, a digit apart)
            d.pop(key)
    assert a == b


def test_the_event_file_alone_holds_no_stop():
    # (what a folder with no state says: the events hold the planned end, not the callback's stop)
    [tb] = read(OUT / "runs" / "run")
    assert "stopped_early" not in tb.meta and tb.meta["planned_end"] == 960


def test_a_checkpoint_state_short_of_the_events_gives_no_stop(tmp_path):
    # A checkpoint's state, saved before the run went on, holds the settings but not the run's end.
    import shutil

    shutil.copytree(OUT / "runs", tmp_path / "runs")
    shutil.copytree(OUT / "checkpoint-150", tmp_path / "checkpoint-150")
    [run] = read(tmp_path)
    assert run.meta["format"] == "tensorboard"
    assert run.meta["trainer_settings"] == {"train_batch_size": 16, "num_train_epochs": 30}
    assert "stopped_early" not in run.meta and "best_model_checkpoint" not in run.meta
