"""A run read stuck_at_init whose loss still fell per unit of lr-time until the schedule ran the lr out
(diagnosis._annealed_descent) puts a larger peak lr first, not "check the initialization", and lists no underfitting.
A Transformers Trainer on a randomly initialised 1-layer BERT at the Trainer's default 5e-5, linear decay to 0, 12
epochs (tests/fixtures/ecosystem/hf_bert_lr_low, make.py): eval_loss at ln 10 throughout and validation accuracy 0.102
at every epoch, read "check the initialization and activations" first, "raise the learning rate" 4th and underfitting
likely; 10x the peak ended at 2.268, 100x at 2.041 (accuracy 0.22), twice the epochs and twice the hidden size at
2.3026 (make.out)."""
import math
import re
from pathlib import Path

import losslens
from losslens.diagnosis import RAISES_LR, _of_kind

FIX = Path(__file__).parent / "fixtures" / "ecosystem" / "hf_bert_lr_low"


def _final(name: str) -> float:
    return float(re.search(rf"^{name}: .* final eval_loss ([\d.]+) ", (FIX / "make.out").read_text(), re.M).group(1))


def test_the_premise_the_peak_lr_is_what_holds_it():
    base = _final("base")
    assert abs(base - math.log(10)) < 1e-3
    assert _final("ep24") >= base - 1e-3 and _final("h64") >= base - 1e-3  # more epochs or width: no lower
    assert _final("lr100") < _final("lr10") < base - 0.03  # the larger the peak, the lower


def test_a_loss_still_falling_per_unit_of_lr_time_puts_a_larger_peak_first():
    d = losslens.diagnose(FIX / "base")
    c = d.causes[0]
    assert c.id == "stuck_at_init" and "lr_paced" in c.numbers, d
    assert _of_kind(c.actions[0], RAISES_LR) and "10x the peak" in c.actions[0], c.actions
    assert any("per unit of learning rate val_loss still fell" in e for e in c.evidence), c.evidence
    # (every input's one answer is the step's, not dead units': no such line, and the units' check is not first)
    assert not any("units that all died" in e for e in c.evidence), c.evidence
    assert not any(x.id == "underfitting" for x in d.causes), [x.id for x in d.causes]


def test_runs_whose_loss_did_not_fall_so_keep_their_reading():
    # Twice the epochs (its annealed stretch rose in its last float digits) and twice the width (flat once
    # annealed): no fall per unit of lr-time to the end, so no larger peak first from this reading.
    for name in ("ep24", "h64"):
        c = losslens.diagnose(FIX / name).causes[0]
        assert c.id == "stuck_at_init" and "lr_paced" not in c.numbers, (name, c)
        assert not _of_kind(c.actions[0], RAISES_LR), (name, c.actions)
