"""A decay to 0 that ended with the run, read converged with X inside the decay: the stop is the schedule's end.

tests/fixtures/ecosystem/sched_charlm/cosine.csv: a char-level MLP LM, AdamW 1e-2, a cosine to 0 over 2,400 steps,
read converged at X = 1640 (its lr 25% of its peak there) with "stop at step 1640: more steps at the schedule's end
rate will not lower the loss"; val_loss was 1.806 there and 1.7565 at the end (2.8%). The same cosine planned to end
at 1640 ends at 1.7990 (tests/fixtures/ecosystem/cosine_stop_in_decay/cosine_T1640.csv): neither stopping the run at
X nor a schedule re-planned to end there reaches the end's level. OneCycleLR on the same model
(cosine_stop_in_decay/onecycle.csv): X = 1720, 4.1% above the end there.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import losslens
from losslens.diagnosis import STOP_AT

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
COSINE = ECO / "sched_charlm" / "cosine.csv"
HERE = ECO / "cosine_stop_in_decay"


def _rows(path: Path) -> dict[int, tuple[float, float]]:
    with open(path, newline="") as fh:
        return {int(r["step"]): (float(r["val_loss"]), float(r["lr"])) for r in csv.DictReader(fh)}


def test_the_premises():
    full, short, cycle = _rows(COSINE), _rows(HERE / "cosine_T1640.csv"), _rows(HERE / "onecycle.csv")
    end = full[2400][0]
    assert full[1640][1] > 0.2 * max(lr for _, lr in full.values())  # X inside the decay
    assert full[1640][0] > 1.02 * end  # the decay's last gain after X
    assert max(short) == 1640 and short[1640][0] > 1.02 * end  # re-planned to end at X: above the full run's end
    assert cycle[1720][0] > 1.03 * cycle[2400][0]


@pytest.mark.parametrize("path, x, end", [(COSINE, 1640, 2400), (HERE / "onecycle.csv", 1720, 2400)])
def test_a_stop_inside_the_decay_names_the_schedules_end(path, x, end):
    d = losslens.diagnose(str(path))
    assert d.verdict == "converged" and d.plateau_epoch == x
    first = d.causes[0].actions[0]
    assert getattr(first, "kind", None) == STOP_AT
    assert first.startswith(f"stop at the schedule's end, step {end}: more steps at the schedule's end rate")
    assert f"not at step {x}, where the lr was still decaying" in first
    rows = _rows(path)
    at_x = sorted(rows[s][0] for s in (x - 40, x, x + 40))[1]
    share = (at_x - rows[end][0]) / at_x
    assert d.causes[0].numbers["stop_in_decay"] == pytest.approx(share, rel=0.05)
    assert f"{share:.1%}" in first or f"{share * 100:.2g}%" in first

