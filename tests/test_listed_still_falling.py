"""The metric's own fall since X read where converged is listed behind underfitting, not only where it leads
(diagnosis._still_falling_since_x), and not behind lr_too_high.

tests/fixtures/ecosystem/lightning_adamw_settings/lightning_logs/wd1: AdamW at weight_decay 1.0, read underfitting
(the decay) with converged listed: "stop once it is flat, at about epoch 33: more epochs will not lower the loss".
Fitted on to 80 epochs (listed_behind_lead/wd1_e80) val_loss went 0.4941 -> 0.4799 (median of the last 3, -2.9%):
still improving, listed in converged's place; the decay stays the lead (weight_decay 0.01 reached 0.2711).
keras_walk39/lr_high1.8.csv (SGD 1.8, lr_too_high, converged listed): its line since X fell 27%, but at 120 epochs
(listed_behind_lead/lr_high1.8_e120.csv) the median of the last 3 was 2.6% higher than at 60: the fall since X under a
step that bounces is not read there.
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

import pytest

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
WD1 = ECO / "lightning_adamw_settings" / "lightning_logs" / "wd1" / "metrics.csv"
HIGH = ECO / "keras_walk39" / "lr_high1.8.csv"
HERE = ECO / "listed_behind_lead"


def _val(path: Path) -> list[float]:
    rows = {}
    for r in csv.DictReader(open(path, newline="")):
        if r["val_loss"]:
            rows[int(r["epoch"])] = float(r["val_loss"])
    return [rows[e] for e in sorted(rows)]


def _med3(v: list[float], end: int) -> float:
    return statistics.median(v[end - 2:end + 1])


def test_the_premises():
    run, longer = _val(WD1), _val(HERE / "wd1_e80" / "metrics.csv")
    assert longer[:40] == pytest.approx(run, rel=1e-5)  # the same run, fitted on (float32's last digit apart)
    assert _med3(longer, 79) < 0.98 * _med3(run, 39)  # training on paid
    run, longer = _val(HIGH), _val(HERE / "lr_high1.8_e120.csv")
    assert longer[:60] == pytest.approx(run, rel=1e-5)
    assert _med3(longer, 119) > _med3(run, 59)  # it did not, under the bouncing step


def test_a_fall_since_x_behind_underfitting_is_listed_as_still_improving():
    d = losslens.diagnose(str(WD1))
    assert d.verdict == "underfitting"  # the weight decay stays the lever
    ids = [c.id for c in d.causes]
    assert "converged" not in ids and ids[1] == "still_improving"
    assert d.causes[1].actions[0].startswith("keep training")


def test_a_fall_since_x_behind_a_step_too_high_is_not_read():
    d = losslens.diagnose(str(HIGH))
    assert d.verdict == "lr_too_high"
    ids = [c.id for c in d.causes]
    assert "still_improving" not in ids and ids[1] == "converged"
