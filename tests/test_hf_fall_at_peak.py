"""A Hugging Face Trainer run that started slowly: eval_loss sat near ln 2 for its first 80 steps, then fell to 0.30
while the linear decay still held the lr at 50-60% of its peak (tests/fixtures/ecosystem/hf_fall_at_peak, written by
its make.py with the same run at a third and a tenth of the peak, from the same seed).

- The reading was lr_too_high "the peak step held the loss up, the annealed steps did the learning → a lower peak lr
  (try 1/10)" (`peak_held`), where a third of the peak ended at 0.682 and a tenth at 0.680, against the run's 0.301:
  the fall began inside the stretch the rule calls the peak's (the lr at half of it or more), so the peak step was
  the one that started the learning.
"""

import json
from pathlib import Path

import losslens

FOLDER = Path(__file__).parent / "fixtures" / "ecosystem" / "hf_fall_at_peak"


def _evals(name):
    log = json.loads((FOLDER / name / "trainer_state.json").read_text())["log_history"]
    return [(r["step"], r["eval_loss"]) for r in log if "eval_loss" in r]


def _lr_at(name, step):
    log = json.loads((FOLDER / name / "trainer_state.json").read_text())["log_history"]
    return next(r["learning_rate"] for r in log if r.get("step") == step and "learning_rate" in r)


def test_a_fall_that_began_at_the_peak_lr_is_not_read_as_the_annealed_steps_doing_the_learning():
    run = _evals("peak1e-3")
    end = run[-1][1]
    # What the retraining did (the evidence the reading rests on): lower peaks did not get near the run's end.
    for name in ("peak3e-4", "peak1e-4"):
        assert _evals(name)[-1][1] > end + 0.3, name
    # The fall's first point (step 90: 0.590 from 0.668) was trained at over half the peak lr.
    fell = next(s for s, v in run if v < 0.62)
    assert fell == 90 and _lr_at("peak1e-3", fell) >= 0.5 * _lr_at("peak1e-3", 1)
    d = losslens.diagnose(FOLDER / "peak1e-3" / "trainer_state.json")
    assert not any("peak_held" in c.numbers for c in d.causes), [(c.id, c.evidence) for c in d.causes]
    assert d.verdict != "lr_too_high", d.cause.evidence
    assert not any("annealed steps did the learning" in e for c in d.causes for e in c.evidence)
