"""Readings that measured a level against the wrong reference.

A Lightning fit resumed with CSVLogger(version=0) (tests/fixtures/ecosystem/lightning_resume_late_start, make.py)
writes its log from the resume point (epoch 10): underfitting read "76% of its starting value 0.2943" of a
training loss that started at 1.794 (make.out), about 12% of it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
RESUMED = ECO / "lightning_resume_late_start" / "logs" / "csv" / "version_0" / "metrics.csv"


def _col(path: Path, key: str) -> list[float]:
    with open(path, newline="") as fh:
        return [float(r[key]) for r in csv.DictReader(fh) if r.get(key)]


def test_a_resumed_log_is_not_read_underfitting_against_its_first_point():
    """Was the verdict: "training loss flattened at 0.223, 76% of its starting value 0.2943"."""
    started = float(next(l for l in (RESUMED.parent.parent.parent.parent / "make.out").read_text().splitlines()
                         if "epoch 0 train_loss" in l).rsplit(" ", 1)[1])
    first = _col(RESUMED, "train_loss")[0]
    assert started > 5 * first  # the real start, overwritten, against the resume point's
    d = losslens.diagnose(RESUMED)
    assert "underfitting" not in [c.id for c in d.causes], d
    assert "starting value" not in str(d)


def test_a_resumed_log_flat_from_its_first_point_is_not_stuck_at_its_initial_value():
    """Was "stuck at initialization: train_loss never moved far from its initial value 0.223": the log resumed at
    epoch 40, where the cuts had left the lr at 3.8e-6 (a converged model frozen by the schedule); the fit began at
    1.794 (make.out)."""
    late = RESUMED.parent.parent / "version_1" / "metrics.csv"
    assert _col(late, "epoch")[0] == 40 and _col(late, "lr-SGD")[0] < 1e-5
    d = losslens.diagnose(late)
    assert d.verdict != "stuck_at_init" and "initial value" not in str(d), d
