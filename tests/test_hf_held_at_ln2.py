"""A Hugging Face Trainer run whose eval_loss sat at ln 2 for most of its evaluations, then dropped a little as the
linear decay ran the lr down (tests/fixtures/ecosystem/hf_held_at_ln2, written by its make.py with the
counterfactuals from the same seed).

- K: the model's config.json says BertForSequenceClassification, single_label_classification, two labels (the
  Transformers 5 default, left out of the file), yet ``facts.chance.classes`` was null.
- The reading: "still improving, keep training" (97%), and with K = 2 "lr too low" (88%); twice the epochs ended at
  0.743 (best 0.6923), lr x 10 at 0.6932, lr / 10 at 0.6931. It reads stuck_at_init.
- The chart shaded the flat ln 2 stretch, steps 10-80, as "phase: steep drop".
"""

import json
import math
import shutil
from pathlib import Path

import numpy as np

import losslens
from losslens.readers import read

FOLDER = Path(__file__).parent / "fixtures" / "ecosystem" / "hf_held_at_ln2"


def _evals(name):
    log = json.loads((FOLDER / name / "trainer_state.json").read_text())["log_history"]
    return [r["eval_loss"] for r in log if "eval_loss" in r]


def test_the_trainer_config_of_a_single_label_classifier_gives_k(tmp_path):
    [run] = read(FOLDER / "epoch" / "trainer_state.json")
    assert run.meta["classes"] == 2
    d = losslens.diagnose(run)
    assert d.facts.chance.classes == 2 and not d.facts.chance.classes_inferred
    # Not from a head whose loss is no K-way cross-entropy: a sigmoid per label, or a regression.
    for problem in ("multi_label_classification", "regression"):
        copy = tmp_path / problem
        shutil.copytree(FOLDER / "epoch", copy)
        cfg = json.loads((copy / "config.json").read_text())
        (copy / "config.json").write_text(json.dumps({**cfg, "problem_type": problem}))
        [other] = read(copy / "trainer_state.json")
        assert other.meta.get("classes") is None, problem
