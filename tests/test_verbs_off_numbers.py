"""A change said with a verb fixed in the sentence said the opposite of its own numbers where the numbers went the
other way: "validation accuracy fell from 0.965 to 0.991", "generalization gap grew from 0.206 to 0.15" (session
44's walk, then every committed fixture's reading searched for the sentences that word a change). The verb is read
off the numbers shown."""

from __future__ import annotations

from pathlib import Path

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"


def _said(d, cause, start):
    return [e for c in d.causes if c.id == cause for e in c.evidence if e.startswith(start)]


def test_a_validation_accuracy_that_rose_is_said_to_rise():
    # Keras Adam 0.1 on scaled inputs (keras_unscaled_inputs/make.py): lr_too_high's unlearned reading beside it.
    d = losslens.diagnose(ECO / "keras_unscaled_inputs" / "cf_adam_lr0.1_scaled.csv")
    assert _said(d, "lr_too_high", "validation accuracy") == ["validation accuracy rose from 0.965 to 0.991"]


def test_a_gap_that_closed_is_said_to_shrink():
    # Keras transfer at 1e-3: training rose after validation's minimum (8% of its improvement) and the gap closed.
    d = losslens.diagnose(ECO / "keras_transfer" / "tiny_lr1e-3.log")
    assert _said(d, "overfitting", "generalization gap") == ["generalization gap shrank from 0.206 to 0.15"]
