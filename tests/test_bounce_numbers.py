"""lr_too_high by a bounce at the floor: its JSON ``numbers.oscillation`` is the spread its evidence quotes.

The rule reads the training loss's spread where that is larger (and the metric's scaled to where its plateau
starts), but its JSON carried the metric's raw spread: a Lightning run at lr 0.5 (``compare_lightning/lr0.5``,
written by Lightning's CSVLogger) quoted "train_loss bounces around its floor ... its sd is 4.3% of its whole
improvement" beside ``"oscillation": 0.896``. A program reading the JSON read a different run than the text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import losslens

ECOSYSTEM = Path(__file__).parent / "fixtures" / "ecosystem"


# (fresh_kinds/cf_deep_sigmoid_relu.json was a third: a deep ReLU net whose losses never left ln 10, whose "bounce"
# is no longer read, test_walk39_blowup.py; compare_lightning's is the training loss's spread.)
@pytest.mark.parametrize("log", ["compare_lightning/lr0.5/metrics.csv", "compare_keras/sgd_lr0.3.csv"])
def test_the_oscillation_number_is_the_one_the_evidence_quotes(log):
    d = losslens.diagnose(str(ECOSYSTEM / log))
    [cause] = [c for c in d.causes if c.id == "lr_too_high" and "oscillation" in c.numbers]
    quoted = re.search(r"bounces around its \w+: over .*? its sd is ([\d.]+)% of its whole improvement",
                       " ".join(cause.evidence))
    assert quoted, cause.evidence
    # (quoted to 2 digits)
    assert cause.numbers["oscillation"] == pytest.approx(float(quoted.group(1)) / 100, rel=0.05)
    assert d.to_dict()["causes"][[c.id for c in d.causes].index("lr_too_high")]["numbers"]["oscillation"] \
        == pytest.approx(cause.numbers["oscillation"])
