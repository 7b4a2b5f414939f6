"""Scheduled runs read by session 47's schedule walk: a warmup-stable-decay run cut before its decay read "converged,
stop, change the data or the model"; a cosine decayed to ~0 read as ReduceLROnPlateau without a floor; and compare's
"holds" for converged where lr / 10 took the loss 5x its noise lower.

tests/fixtures/ecosystem/sched_charlm (make.py): a char-level MLP LM, AdamW 1e-2, 2,400 steps: cosine to 0 (its last
logged lr 5e-07 of its peak; over 4,800 steps it ends 2.9% lower), a held rate and the same with lr / 10 from the
middle. tests/fixtures/ecosystem/hf_wsd_cut: the same model under a Trainer's warmup_stable_decay, its checkpoint at
step 450 of max_steps 600 (the lr at its peak) and the run's own end after the decay (make.out: 5.6% lower).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

import losslens
from losslens.diagnosis import DATA_OR_MODEL

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
CHAR = ECO / "sched_charlm"
WSD = ECO / "hf_wsd_cut"


def _col(path: Path, key: str) -> list[float]:
    with open(path, newline="") as fh:
        return [float(r[key]) for r in csv.DictReader(fh) if r.get(key)]


def _evals(path: Path) -> dict:
    history = json.loads(path.read_text())["log_history"]
    return {h["step"]: h["eval_loss"] for h in history if "eval_loss" in h}


def test_the_premises():
    lr = _col(CHAR / "cosine.csv", "lr")
    assert 0 < lr[-1] / max(lr) < 1e-6 and lr[-1] < lr[-2] < lr[-3]  # a smooth decay below LR_CUT_AGAIN
    longer, short = re.search(r"ends ([0-9.]+); over 4800 steps ([0-9.]+)", (CHAR / "make.out").read_text()).groups()
    assert float(short) < 0.98 * float(longer)  # the cosine over twice the steps: 2.9% lower
    c75, end = _evals(WSD / "c75" / "trainer_state.json"), _evals(WSD / "end" / "trainer_state.json")
    state = json.loads((WSD / "c75" / "trainer_state.json").read_text())
    assert state["global_step"] == 450 and state["max_steps"] == 600
    assert [h["learning_rate"] for h in state["log_history"] if "learning_rate" in h][-1] == pytest.approx(0.01)
    assert end[600] < 0.96 * c75[450]  # the decay: 5.6% lower
    const, cut = _col(CHAR / "const.csv", "val_loss"), _col(CHAR / "const_lr10.csv", "val_loss")
    assert cut[-1] < 0.95 * const[-1]  # lr / 10 from the middle


def test_cosine_to_near_zero_is_a_planned_schedule_not_plateau_cuts():
    d = losslens.diagnose(str(CHAR / "cosine.csv"))
    text = " ".join(map(str, d.causes[0].actions))
    assert "ReduceLROnPlateau(min_lr" not in text
    assert "a longer schedule may go lower" in text
    assert "not the step count" not in text


def test_wsd_checkpoint_before_its_decay_names_the_decay_not_the_data():
    d = losslens.diagnose(str(WSD / "c75" / "trainer_state.json"))
    assert d.verdict == "converged"
    acts = d.causes[0].actions
    assert not any(getattr(a, "kind", None) == DATA_OR_MODEL for a in acts)
    assert "decay, still ahead by step 600" in str(acts[0]) and "stop at" not in str(acts[0])
    assert any("still at its peak" in e for e in d.causes[0].evidence)


def test_wsd_end_and_a_csv_held_at_peak_are_read_as_before():
    # (no planned end ahead: the run after its decay, and a CSV whose held lr names no schedule to come)
    end = losslens.diagnose(str(WSD / "end" / "trainer_state.json"))
    assert not any("still at its peak" in e for e in end.causes[0].evidence)
    const = losslens.diagnose(str(CHAR / "const.csv"))
    assert not any("still at its peak" in e for e in const.causes[0].evidence)


def test_compare_says_a_gain_far_past_the_noise_weakens_converged():
    c = losslens.compare(str(CHAR / "const.csv"), str(CHAR / "const_lr10.csv"))
    assert c.diagnosis.verdict == "converged"
    r = next(r for r in c.results if r.check.cause == "converged" and r.holds is not None)
    assert r.holds and r.beyond is not None and r.beyond >= 2
    assert "weakens converged" in r.line()
    assert "but weakened" in c.summary()


def test_compare_json_carries_the_weakening():
    """The text said "confirmed ..., but weakened" and --json had no key for it: a program reading "confirmed": true
    took converged's floor as the data's. ``weakened`` says it, and the check that weakened it its multiple of the
    noise band (``beyond_noise``); a confirmation with no such gain reads false."""
    from typer.testing import CliRunner

    from losslens.cli import app

    res = CliRunner().invoke(app, ["compare", str(CHAR / "const.csv"), str(CHAR / "const_lr10.csv"), "--json"])
    obj = json.loads(res.stdout)
    assert obj["confirmed"] is True and obj["weakened"] is True
    assert ", but weakened" in obj["summary"]
    held = [c for c in obj["checks"] if c["cause"] == "converged" and c["holds"]]
    assert held and held[0]["beyond_noise"] >= 2
    over = ECO / "keras_sgd_overshoot"
    res = CliRunner().invoke(app, ["compare", str(over / "lr3.0.csv"), str(over / "cf_lr0.3.csv"), "--change",
                                   "lr_factor=0.1", "--json"])
    plain = json.loads(res.stdout)
    assert plain["confirmed"] is True and plain["weakened"] is False
    assert all(c["beyond_noise"] is None for c in plain["checks"])
