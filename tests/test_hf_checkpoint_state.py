"""What a Trainer's state says of how its run ended (session 45's early-stopping walk).

A checkpoint's trainer_state.json is the run up to its step: with ``save_total_limit=1`` and
``load_best_model_at_end=True`` the Trainer keeps the best checkpoint and deletes the later ones, so an output folder
whose run evaluated 6 times (best at step 24, then rising) held only checkpoint-24's state, 3 evaluations, and read
"converged ... read on 3 steps only" with no word that the rest is missing. And a state whose EarlyStoppingCallback
counter reached its patience with ``should_training_stop`` set is a run the callback ended: said beside the kept
checkpoint. Real Trainer states: tests/fixtures/logs/make_logs.py (hf_output) and
tests/fixtures/ecosystem/hf_earlystop_rise/make.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import losslens

FIX = Path(__file__).parent / "fixtures"
HF = FIX / "logs" / "hf_output"
RISE = FIX / "ecosystem" / "hf_earlystop_rise"


def _notes(d) -> list[str]:
    return [str(n) for n in d.to_dict().get("notes") or ()]


def test_a_checkpoint_alone_is_said_to_be_partial(tmp_path):
    out = tmp_path / "out"
    shutil.copytree(HF / "checkpoint-25", out / "checkpoint-25")
    state = json.loads((out / "checkpoint-25" / "trainer_state.json").read_text())
    assert state["global_step"] < state["max_steps"]  # the premise: saved mid-run
    d = losslens.diagnose(out)
    said = [n for n in _notes(d) if "a checkpoint's history" in n]
    assert len(said) == 1, _notes(d)
    assert "saved mid-run at step 25 of 75 (should_training_stop false)" in said[0]
    assert "no final trainer_state.json in out" in said[0]


def test_a_checkpoint_beside_the_final_state_is_not(tmp_path):
    # Controls: the output folder with its final state (the whole run is read), and that final state alone.
    for d in (losslens.diagnose(HF), losslens.diagnose(HF / "trainer_state.json")):
        assert not [n for n in _notes(d) if "a checkpoint's history" in n], _notes(d)


def test_the_early_stopping_callback_is_named():
    state = json.loads((RISE / "stop128_trainer_state.json").read_text())
    es = state["stateful_callbacks"]["EarlyStoppingCallback"]
    assert es["attributes"]["early_stopping_patience_counter"] == es["args"]["early_stopping_patience"] == 3
    d = losslens.diagnose(RISE / "stop128_trainer_state.json")
    assert d.verdict == "overfitting"
    # (since session 50 said after the gap's remedies, more data first with data_limited read beside it: the stop
    # already ran, so it is what comes next that leads; tests/test_hf_es_smoothed.py)
    acts = [str(a) for a in d.causes[0].actions]
    assert acts[0] == "data augmentation or more training data" and "data_limited" in [c.id for c in d.causes], acts
    act = acts[-1]
    assert act.startswith("the Trainer kept its best checkpoint, checkpoint-80")
    assert "EarlyStoppingCallback ended the run at step 128 of 480, after 3 evaluations without improvement" in act


def test_a_run_another_callback_stopped_is_not_said_early_stopped():
    # Control: the same run ended at step 112 by a callback of its own (should_training_stop set, the
    # EarlyStoppingCallback's counter short of its patience).
    d = losslens.diagnose(RISE / "stop112_trainer_state.json")
    assert "EarlyStoppingCallback ended" not in str(d)


def test_a_checkpoint_named_on_purpose_is_not_said_to_be_partial(tmp_path):
    # A user who names checkpoint-25 (the folder, or its trainer_state.json) chose that checkpoint: its history ending
    # at its step is what a checkpoint is. Said only where the folder named holds the checkpoint below it, its own
    # trainer_state.json missing (the test above).
    out = tmp_path / "out"
    shutil.copytree(HF / "checkpoint-25", out / "checkpoint-25")
    for named in (out / "checkpoint-25", out / "checkpoint-25" / "trainer_state.json"):
        d = losslens.diagnose(named)
        assert d.length > 0 and not [n for n in _notes(d) if "a checkpoint's history" in n], (named, _notes(d))
    # (a folder above the output folder holds the checkpoint below it too: said)
    d = losslens.diagnose(tmp_path)
    assert [n for n in _notes(d) if "a checkpoint's history" in n], _notes(d)
