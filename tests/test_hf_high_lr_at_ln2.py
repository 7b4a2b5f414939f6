"""A Hugging Face Trainer run at a peak lr far too high for its model (tests/fixtures/ecosystem/hf_high_lr_at_ln2,
written by its make.py with the counterfactuals from the same seed): a tiny BERT at 3e-2 under the default linear
decay, eval_loss 0.702, 0.777, 0.681, 0.708, 0.684, 0.691 about ln 2 = 0.693 (two classes), the training loss at
0.64-0.69 (the classes' frequencies, 6/16 of the labels 1, score 0.662: a constant answer).

- The reading: "underfitting: a bigger model or better features" (64%) beside "converged, stop at step 32" (90%),
  lr_too_high not listed; a tenth of the peak ended at 0.114, twice the width at 3e-2 at 0.681.
- A known miss, stated by the strict xfail below: with K unknown (no accuracy logged, no config.json) and six
  evaluations, no rule reads the bounce. `bounced` measures validation's climb (0.075, 3.1 of its noise sds) against
  a noise the six points' own bounce sets, and under a schedule asks for `lr_phases`, which six points do not give;
  `facts.chance.resting_at_ln_k` skips a loss of fewer than 8 points and allows training to rest only 0.5% under
  ln K, where these unequal classes put the constant answer's loss 4.5% under it.
"""

import json
from pathlib import Path

import pytest

import losslens

FOLDER = Path(__file__).parent / "fixtures" / "ecosystem" / "hf_high_lr_at_ln2"


def _evals(name):
    log = json.loads((FOLDER / name / "trainer_state.json").read_text())["log_history"]
    return [r["eval_loss"] for r in log if "eval_loss" in r]


@pytest.mark.xfail(strict=True, reason="six evaluations bouncing about ln 2 under a decayed lr, K unknown: the "
                                       "bounce is not read (the module docstring says why)")
def test_a_bounce_about_ln2_at_a_high_peak_lr_lists_lr_too_high_not_only_a_bigger_model():
    end = _evals("lr3e-2")[-1]
    # What the retraining did: a tenth of the peak learned, twice the width at the same peak did not.
    assert _evals("lr3e-3")[-1] < 0.2 * end and _evals("lr3e-2_w64")[-1] > end - 0.02
    d = losslens.diagnose(FOLDER / "lr3e-2" / "trainer_state.json")
    assert any(c.id == "lr_too_high" for c in d.causes), [(c.id, c.evidence) for c in d.causes]
