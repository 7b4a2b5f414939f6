"""A Trainer run EarlyStoppingCallback already ended at its best, under label smoothing 0.1.

tests/fixtures/ecosystem/hf_es_smoothed (make.py, make.out): a tiny randomly-initialised BERT (hidden 32, one layer)
on 512 generated sequences (10% of labels flipped), ``label_smoothing_factor=0.1``, evaluated and saved every 16
steps, ``load_best_model_at_end=True`` and ``EarlyStoppingCallback(early_stopping_patience=3)``: stopped at step 224
of 320, best eval_loss 0.611 at 176 (checkpoint-176, loaded). losslens read overfitting with "early stopping at the
validation minimum" first, advice to add what had ended the run. Trained on (patience 10) the best held at 0.611
(validation accuracy 0.746 at the end); twice the data 0.520, dropout 0.3 0.584, hidden 16 0.634 (worse), lr x 10
0.676. The patience-10 run read lr_too_low (60%): "0.6213 = 90% of ln 2, near a uniform guess", where the smoothed
loss cannot go under 0.1985 and the model was right on 74.6% of validation.
"""

from __future__ import annotations

import json
import math
import pickle
import re
from pathlib import Path

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
HERE = ECO / "hf_es_smoothed"


def _best(name: str) -> tuple[float, float]:
    line = next(x for x in (HERE / "make.out").read_text().splitlines() if x.startswith(name + ":"))
    loss, acc = re.search(r"best eval_loss ([\d.]+) accuracy ([\d.]+)", line).groups()
    return float(loss), float(acc)


def test_the_truth_the_fixture_holds():
    """Training on past the stop kept the same best; more data lowered it most; a smaller model and a larger step
    did not lower it; the state says the callback ended the run at its best, kept."""
    base = _best("base")[0]
    assert _best("pat10")[0] == base
    assert _best("data2x_p10")[0] < 0.9 * base
    assert base > _best("drop0.3_p10")[0] > _best("data2x_p10")[0]
    assert _best("h16_p10")[0] > base and _best("lr0.01_p10")[0] > base
    state = json.loads((HERE / "base" / "trainer_state.json").read_text())
    assert state["best_model_checkpoint"].endswith("checkpoint-176") and state["global_step"] == 224


def test_the_smoothing_is_read_off_training_args_without_unpickling():
    from losslens.readers.huggingface import training_args_beside

    [run] = losslens.read(HERE / "base")
    assert run.meta["label_smoothing"] == {"value": 0.1, "where": "training_args.bin"}
    assert training_args_beside(HERE / "ls0_p10" / "trainer_state.json") == (
        str(HERE / "ls0_p10" / "training_args.bin"), {"label_smoothing_factor": 0.0})
    [plain] = losslens.read(HERE / "ls0_p10")
    assert "label_smoothing" not in plain.meta


def test_the_pickle_is_read_not_run():
    """A pickle whose unpickling would import and call something: its fields are still read, nothing runs."""
    from losslens.readers.huggingface import _pickled_fields

    class Args:
        def __reduce__(self):
            return (print, ("ran",), {"label_smoothing_factor": 0.2, "load_best_model_at_end": True})

    data = pickle.dumps(Args(), protocol=4).replace(b"builtins", b"notamodl")
    assert _pickled_fields(data, ("label_smoothing_factor", "load_best_model_at_end")) == {
        "label_smoothing_factor": 0.2, "load_best_model_at_end": True}
    assert _pickled_fields(b"not a pickle", ("label_smoothing_factor",)) == {}


def test_the_smoothed_floor():
    from losslens.facts.chance import smoothed_floor

    p = 1 - 0.1 + 0.1 / 2
    assert math.isclose(smoothed_floor(0.1, 2), -(p * math.log(p) + (1 - p) * math.log(1 - p)))
    assert abs(smoothed_floor(0.4, 10) - 1.444) < 1e-3
    assert smoothed_floor(0.0, 2) == 0.0


def test_a_run_the_callback_ended_at_its_best_is_told_what_comes_next():
    d = losslens.diagnose(HERE / "base")
    assert d.verdict == "overfitting"
    actions = [str(a) for a in d.causes[0].actions]
    assert not any(a.startswith("early stopping") for a in actions), actions
    # More data first: data_limited is read beside it (twice the data: 0.611 -> 0.520, the largest gain measured).
    assert actions[0] == "data augmentation or more training data", actions
    assert any(c.id == "data_limited" for c in d.causes)
    assert actions[-1].startswith("it was stopped early already: EarlyStoppingCallback ended it after 224 of its 320 "
                                  "steps"), actions
    assert "checkpoint-176" in actions[-1]


def test_a_smoothed_loss_at_0_746_accuracy_is_no_uniform_guess():
    d = losslens.diagnose(HERE / "pat10")
    text = json.dumps(d.to_dict())
    assert "near a uniform guess" not in text
    assert not any(c.id == "lr_too_low" for c in d.causes), [c.id for c in d.causes]
    assert d.verdict == "converged"


def test_without_an_accuracy_the_level_is_read_from_the_smoothed_floor(tmp_path):
    """The same log without its accuracy: the level is placed between the smoothed floor and ln 2, not against ln 2
    alone (0.6213 is 85% of the way from 0.1985 to 0.6931, 90% of ln 2)."""
    out = tmp_path / "pat10"
    out.mkdir()
    state = json.loads((HERE / "pat10" / "trainer_state.json").read_text())
    for row in state["log_history"]:
        row.pop("eval_accuracy", None)
    (out / "trainer_state.json").write_text(json.dumps(state))
    for name in ("config.json", "training_args.bin"):
        (out / name).write_bytes((HERE / "pat10" / name).read_bytes())
    text = json.dumps(losslens.diagnose(out).to_dict())
    assert "of the way from the smoothed floor 0.1985 (label smoothing 0.1, training_args.bin) to ln 2" in text
    assert "90% of ln 2" not in text


def test_a_move_past_the_noise_whose_margin_over_the_bar_is_not():
    c = losslens.compare(HERE / "base", HERE / "data2x_p10", change={"data_factor": 2})
    summary = c.summary()
    assert summary.startswith("not decided: the move is beyond the runs' noise, but its margin over the "
                              "prediction's bar is within it"), summary
    best = next(r for r in c.results if r.check.cause == "overfitting" and r.check.statistic == "best")
    assert "the move, -0.0913 (-14.9%), is beyond the two runs' own step-to-step noise" in best.skipped
    assert "its margin over the 10% bar, 4.9% of 0.611, is not" in best.skipped
