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


def test_a_loss_held_at_ln2_with_a_tiny_drop_under_the_decay_reads_stuck_not_keep_training():
    ln2 = math.log(2)
    # What the counterfactuals did (the evidence the reading rests on): none left ln 2 by more than the run did.
    run_end = _evals("epoch")[-1]
    assert _evals("cf_2xep")[-1] > run_end + 0.05 and min(_evals("cf_2xep")) > run_end
    assert abs(_evals("cf_lr10")[-1] - ln2) < 0.001 and abs(_evals("cf_lr01")[-1] - ln2) < 0.001
    for name in ("epoch", "steps"):
        d = losslens.diagnose(FOLDER / name)
        assert d.verdict == "stuck_at_init", (name, d.verdict)
        ids = [c.id for c in d.causes]
        assert "still_improving" not in ids and "lr_too_low" not in ids, (name, ids)
        assert "sat at ln 2" in d.cause.evidence[0] and d.cause.actions[0].startswith("check that the targets")
        assert not any(a.startswith("keep training") for c in d.causes for a in c.actions), name


def test_the_flat_stretch_before_the_drop_is_no_steep_drop(tmp_path):
    # The state alone, as the walk had it (save_strategy="no", no save_model(): no config.json, K unknown), reads
    # still improving, its phases drawn: the whole run from step 10 was "steep drop".
    shutil.copy(FOLDER / "steps" / "trainer_state.json", tmp_path / "trainer_state.json")
    d = losslens.diagnose(tmp_path / "trainer_state.json")
    assert d.verdict == "still_improving"
    x, y = d.facts.x, d.facts.y
    flat_until = float(x[np.flatnonzero(y <= math.log(2) - 0.002)[0] - 1])  # the last point still at ln 2: step 80
    steep = [p for p in d.phases if p["name"] == "steep_drop"]
    assert steep and steep[0]["start"] >= flat_until, d.phases
    # A curve that falls fastest from its first point keeps its steep drop from there; so does one whose descent
    # accelerates from a start that was already falling (2.276 -> 2.029 over epochs 1-5, then 1.93 -> 1.086).
    example = losslens.diagnose(Path(losslens.__file__).parent / "examples" / "keras_csvlogger.csv")
    assert example.phases[0] == {"name": "steep_drop", "start": 0.0, "end": 4.0}
    printed = losslens.diagnose(Path(__file__).parent / "fixtures" / "logs" / "printed_epochs.txt")
    assert printed.phases[0]["name"] == "steep_drop" and printed.phases[0]["start"] == float(printed.facts.x[0])
