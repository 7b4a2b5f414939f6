"""Session 45's walk: a run blown up before its first log, which only its logged gradient norm shows as one (each
fixture trained by the Hugging Face Trainer: tests/fixtures/ecosystem/hf_grads_blown/make.py; make.out holds each
run's first and last values)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import losslens

W = Path(__file__).parent / "fixtures" / "ecosystem" / "hf_grads_blown"
CLIP = "gradient clipping"


def _state(name: str) -> str:
    return str(W / name / "trainer_state.json")


def _evals(name: str) -> list[float]:
    rows = json.loads((W / name / "trainer_state.json").read_text())["log_history"]
    return [r["eval_loss"] for r in rows if "eval_loss" in r]


def test_the_fixtures_show_what_clipping_and_a_smaller_step_reach():
    # The interventions the verdict names: clipping at 1.0 takes eval_loss from 5e19 to 93 (huge: 2.7e15 to 0.33),
    # lr / 1000 to 0.69.
    assert min(_evals("blown")) > 1e19 and min(_evals("blown_x3000")) > 1e21 and min(_evals("huge")) > 1e15
    assert _evals("clip1")[-1] < 100 and _evals("lr_div1000")[-1] < 0.7 and _evals("huge_clip1")[-1] < 0.34


@pytest.mark.parametrize("name, old", [("blown", "overfitting"), ("blown_x3000", "still_improving")])
def test_a_run_blown_before_its_first_log_is_diverged_not_a_curve(name, old):
    # Old code: blown read "overfitting ... generalization gap grew from -8.74e+19 to -2.06e+19 → early stopping",
    # blown_x3000 "still improving → keep training": the blow-up's values read as a curve.
    d = losslens.diagnose(_state(name))
    assert d.verdict == "diverged", d
    assert [c.id for c in d.causes] == ["diverged"]
    ev = " ".join(d.causes[0].evidence)
    assert "gradient norm" in ev and "never came back" in ev
    assert str(d.causes[0].actions[0]).startswith(CLIP)
    assert d.causes[0].numbers["grad_norm_early"] > 1e11


def test_a_climbing_blow_up_quotes_its_norm_and_puts_clipping_first():
    # huge: train 1.8e15 -> 8.1e15 was read diverged, "lower the learning rate" first and no word of the norm
    # (1.2e9 from the first log: no 10x rise over its early points); clipping at 1.0 reaches 0.33.
    d = losslens.diagnose(_state("huge"))
    assert d.verdict == "diverged"
    assert "gradient norm 1.21e+09" in " ".join(d.causes[0].evidence)
    assert str(d.causes[0].actions[0]).startswith(CLIP)


@pytest.mark.parametrize("name", ["clip1", "lr_div1000", "huge_clip1"])
def test_runs_whose_norm_stayed_sane_are_not_read_blown(name):
    # Controls: the same nets clipped (norms 80-400, 2-15) or at lr / 1000 (21 -> 1.9) keep their readings.
    d = losslens.diagnose(_state(name))
    assert not any("grads_blown" in c.numbers for c in d.causes)
    assert d.verdict != "diverged"
    if name == "lr_div1000":
        assert d.verdict == "converged"


@pytest.mark.parametrize("name, said", [
    ("gn_nan_mid", "grad_norm is NaN at 3 of its 10 logged steps (step 95, 114, 133)"),
    ("gn_inf_end", "grad_norm is inf at 3 of its 10 logged steps (step 152, 171, 190): the gradients overflowed"),
    ("gn_nan_all", "grad_norm is NaN at every one of its 10 logged steps")])
def test_non_finite_gradient_norms_are_said_in_one_line(name, said):
    # Old code: the report and the JSON identical to the clean run's, notes empty (every norm NaN: no gradient
    # evidence, and no word why). The verdict stays the clean run's.
    d = losslens.diagnose(_state(name))
    assert [n for n in d.notes if n.startswith("grad_norm is")] == [next(n for n in d.notes if said in n)]
    assert d.verdict == losslens.diagnose(_state("lr_div1000")).verdict
    assert not losslens.diagnose(_state("lr_div1000")).notes
    res = subprocess.run([sys.executable, "-m", "losslens", "diagnose", _state(name)], capture_output=True, text=True)
    assert res.returncode == 0 and said in res.stderr, res.stderr
    assert len([ln for ln in res.stderr.splitlines() if "grad_norm is" in ln]) == 1
