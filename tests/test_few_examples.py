"""A Transformers run that memorised 96 examples of a task with signal read "no learnable signal ... check the labels"
(tests/fixtures/ecosystem/hf_memorised_96, written by its make.py).

- small: a tiny BERT on 96 training examples, 20 epochs at lr 1e-3: eval_loss never went below its first 0.691
  (ln 2 = 0.693) and climbed to 1.89 while training memorised. losslens said no_signal, "check the labels",
  with nothing on the data's size.
- truth: the same model, lr and task on 512 examples reached eval_loss 0.3655 at epoch 3: the task has signal.
- One log where validation never beat chance while training memorised is ambiguous between labels without signal
  and too few examples; where the log says how many examples training had, and they are few, the reading says
  both, and lists data_limited. Labels the run says are random (the lab's experiment 2) keep no_signal plain.
"""

import json
import math
import sys
from pathlib import Path

import pytest

import losslens
from losslens.readers import read

TESTS = Path(__file__).parent
FOLDER = TESTS / "fixtures" / "ecosystem" / "hf_memorised_96"


def _evals(name):
    log = json.loads((FOLDER / name / "trainer_state.json").read_text())["log_history"]
    return [r["eval_loss"] for r in log if "eval_loss" in r]


def _more_data(d):
    return [a for a in d.causes[0].actions if a.startswith("or too few examples")]


def test_the_fixture_is_what_the_docstring_says():
    small, truth = _evals("small"), _evals("truth")
    assert min(small) >= 0.69 and small[-1] > 1.5  # never below chance's loss, then climbed
    assert min(truth) < 0.6 * math.log(2)          # the same task on 512 examples: signal


def test_the_trainer_state_gives_the_training_set_size():
    [small] = read(FOLDER / "small" / "trainer_state.json")
    [truth] = read(FOLDER / "truth" / "trainer_state.json")
    assert (small.meta["train_examples"], truth.meta["train_examples"]) == (96, 512)
    assert "6 steps an epoch x 16 examples a step" in small.meta["train_examples_from"]


def test_the_accumulated_batches_count_in_the_size():
    # Two batches of 16 accumulated: 3 optimizer steps an epoch of 32 examples each (the closing row's rates).
    from losslens.readers.huggingface import training_examples

    summary = {"train_samples_per_second": 52.56, "train_steps_per_second": 1.642}
    assert training_examples({"global_step": 120, "epoch": 40.0, "train_batch_size": 16}, summary)[0] == 96
    # A checkpoint saved mid-run has no closing row: train_batch_size alone would miss the accumulation.
    assert training_examples({"global_step": 60, "epoch": 20.0, "train_batch_size": 16}, None) is None


@pytest.mark.parametrize("path", ["small/losslens.json", "small/trainer_state.json"])
def test_a_small_set_memorised_reads_more_data_beside_the_labels(path):
    d = losslens.diagnose(str(FOLDER / path))
    assert d.verdict == "no_signal"
    [more] = _more_data(d)
    assert "twice the 96" in more
    labels = next(i for i, a in enumerate(d.causes[0].actions) if a.startswith("check the labels"))
    assert d.causes[0].actions[labels + 1] == more
    assert any("the training set is small: 96 examples" in e and "cannot tell them apart" in e
               for e in d.causes[0].evidence)
    dl = next(c for c in d.causes if c.id == "data_limited")
    assert dl.status == "likely" and dl.numbers["train_examples"] == 96
    assert "the training set holds 96 examples" in dl.evidence[0]


def test_a_large_set_or_random_labels_keep_no_signal_plain():
    [run] = read(FOLDER / "small" / "losslens.json")
    for meta in ({"train_examples": 600}, {"labels": "random"}, {"train_examples": None}):
        run.meta.update(meta)
        d = losslens.diagnose(run)
        assert d.verdict == "no_signal" and not _more_data(d)
        assert next(c for c in d.causes if c.id == "data_limited").status == "possible"
        run.meta.update(train_examples=96, labels=None)
    # The size known, two classes: 96 is under the bar, as read above.
    assert _more_data(losslens.diagnose(run))


def test_the_shuffled_label_fixtures_keep_no_signal_plain():
    for path in ("lab_random_labels/seed2.csv", "fastai_random_labels/history_random_labels.csv"):
        d = losslens.diagnose(str(TESTS / "fixtures" / "ecosystem" / path))
        assert not _more_data(d) and not any("examples" in e for c in d.causes for e in c.evidence), path


@pytest.mark.usefixtures("one_torch_thread")
def test_the_lab_says_its_random_labels():
    from losslens.lab import experiments, runner

    r = runner.train_arm(experiments.EXP2, experiments.EXP2.arms[0], [2], epochs=2, diagnose=False)
    assert r.runs[0].meta["labels"] == "random" and r.runs[0].meta["train_examples"] == 100


@pytest.mark.framework
@pytest.mark.slow
@pytest.mark.usefixtures("one_torch_thread")
def test_the_callback_records_the_training_set_size(tmp_path):
    pytest.importorskip("transformers")
    sys.path.insert(0, str(TESTS))
    from hf_models import tiny_bert_trainer

    from losslens.integrations.transformers import LosslensCallback

    cb = LosslensCallback(verbose=0, time_budget_ms=None)
    tiny_bert_trainer(tmp_path / "run", cb, hidden=16, layers=1, n_train=48, n_eval=32, epochs=1, eval_steps=None,
                      learning_rate=1e-3).train()
    assert cb.run().meta["train_examples"] == 48
    assert cb.run().meta["train_examples_from"] == "the Trainer's len(train_dataset)"
