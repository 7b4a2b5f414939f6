"""A Hugging Face Trainer run its own EarlyStoppingCallback ended, read from its trainer_state.json.

tests/fixtures/ecosystem/hf_earlystop_held (make.py): a tiny BERT under EarlyStoppingCallback(early_stopping_patience=4)
ended at step 190 of 960, its best eval_loss 0.3626 at step 150, the 4 evaluations after it 0.401, 0.412, 0.388,
0.522 while training loss fell. losslens read "converged ... rather than stop, train on with early stopping on
val_loss (P = 70% that training on to step 960 gains > 1%)". The same run without the callback (trained_on, to step
480) never got below 0.3626 again: the stop was right, and the callback had run already."""

from __future__ import annotations

import json
from pathlib import Path

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
HELD = ECO / "hf_earlystop_held"
ES = HELD / "es190_trainer_state.json"
TRAINED_ON = HELD / "trained_on_trainer_state.json"
RISE = ECO / "hf_earlystop_rise" / "stop128_trainer_state.json"


def _evals(path: Path) -> list[tuple[int, float]]:
    state = json.loads(path.read_text())
    return [(r["step"], r["eval_loss"]) for r in state["log_history"] if "eval_loss" in r]


def test_the_truth_the_fixture_holds():
    """The premise: trained on past the stop, validation never beat the best the callback stopped on."""
    stopped, on = _evals(ES), _evals(TRAINED_ON)
    assert on[:len(stopped)] == stopped  # the same run up to the stop
    best = min(v for _, v in stopped)
    assert stopped[-1][0] == 190 and min(v for s, v in on if s > 190) > best * 1.05


def test_the_stop_is_read_from_the_state():
    [run] = losslens.read(ES)
    stop = run.meta["stopped_early"]
    assert stop["by"] == "EarlyStoppingCallback" and stop["monitor"] == "eval_loss"
    assert (stop["patience"], stop["wait_count"], stop["epochs_run"], stop["epochs"]) == (4, 4, 190, 960)
    assert abs(stop["best_score"] - 0.3626) < 1e-4
    assert (stop["checkpoint"], stop["best_step"]) == ("checkpoint-150", 150)


def test_a_run_the_callback_ended_is_not_told_to_train_on():
    d = losslens.diagnose(ES)
    first = str(d.causes[0].actions[0])
    assert first.startswith("it was stopped early already: EarlyStoppingCallback ended it after 190 of its 960 steps "
                            "(4 evaluations without a better eval_loss than 0.3626, its patience 4)"), first
    assert "the Trainer kept its best checkpoint, checkpoint-150 (step 150)" in first
    # Judged on what the log shows: the 4 after the best sat above it, as training on confirmed.
    assert "the stop was right on what the log shows" in first
    assert d.causes[0].numbers["stopped_after_best_rise_sds"] >= 2
    text = str(d.to_dict())
    assert "train on with early stopping" not in text and "rather than stop" not in text
    assert any(str(e).startswith("stopped by EarlyStoppingCallback after 190 steps, short of the 960 planned")
               for e in d.causes[0].evidence)
    # Not forecast to the max_steps it was never going on to.
    assert "it stopped, or this log was saved" not in text
    assert d.forecast is None or d.forecast["horizon"] < 960


def test_a_run_another_callback_ended_reads_no_such_stop():
    """The control: the same run past the stop, ended at 480 by a callback that is not EarlyStoppingCallback."""
    [run] = losslens.read(TRAINED_ON)
    assert "stopped_early" not in run.meta
    assert "stopped by EarlyStoppingCallback" not in str(losslens.diagnose(TRAINED_ON).to_dict())


def test_an_overfit_run_the_callback_ended_keeps_its_checkpoint_advice():
    """hf_earlystop_rise's run (patience 3, validation rising): the stop is said beside overfitting's kept checkpoint,
    after the gap's remedies: the stop and the kept best ran already, so neither is the next step (more data first,
    data_limited read beside it: 256 examples, a gap of 122% of the best; diagnosis._next_after_stop)."""
    d = losslens.diagnose(RISE)
    assert d.verdict == "overfitting"
    actions = [str(a) for a in d.causes[0].actions]
    assert actions[-1].startswith("the Trainer kept its best checkpoint, checkpoint-80"), actions
    assert actions[0] == "data augmentation or more training data", actions
    assert any(str(e).startswith("stopped by EarlyStoppingCallback after 128 steps, short of the 480 planned "
                                 "(patience 3 on eval_loss)") for e in d.causes[0].evidence)
