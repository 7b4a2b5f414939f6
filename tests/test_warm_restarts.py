"""Warm restarts (SGDR): Keras' SGD under CosineDecayRestarts, cycles of 10, 20 and 40 epochs, on a linear regression
(tests/fixtures/ecosystem/keras_sgdr_restarts, make.py). Each restart lifts validation (0.103 -> 0.175 at epoch 30) and
each cycle's annealing takes it back to the same level: the cycles ended at 0.1035, 0.1031, 0.1030, and 150 epochs at
0.1032 (make.out). Read as one curve, the last cycle's descent was "still improving, -18% by epoch 138" and the
schedule "warmup"; a forecast fitted from 4 epochs after a restart gave [0.150, 0.175] at epoch 69, a cycle's end,
where the run ended at 0.103."""
import csv
import re
from pathlib import Path

import losslens

FIX = Path(__file__).parent / "fixtures" / "ecosystem" / "keras_sgdr_restarts"


def _ends(name: str) -> list[float]:
    line = next(ln for ln in (FIX / "make.out").read_text().splitlines() if ln.split()[0] == name)
    return [float(v) for v in re.findall(r"\d+ (0\.\d+)", line.split("cycle ends (epoch val_loss):")[1])]


def test_the_premise_every_cycle_ends_at_one_level_and_150_epochs_no_lower():
    ends70, ends150 = _ends("sgdr.csv"), _ends("sgdr150.csv")
    assert len(ends70) == 3 and len(ends150) == 4, (ends70, ends150)
    assert max(ends70) - min(ends70) < 0.005 * min(ends70), ends70
    assert ends150[-1] > 0.995 * min(ends70), ends150  # the fourth cycle (40 -> 80 epochs) ended no lower
    run = losslens.read(FIX / "sgdr.csv")[0]
    val = run.get("val_loss")
    assert max(val[10:]) > 1.5 * min(ends70)  # the restarts' jumps


def test_warm_restarts_are_named_and_the_run_is_judged_on_its_cycle_ends():
    d = losslens.diagnose(FIX / "sgdr.csv")
    assert d.verdict == "converged", d
    assert d.to_dict()["facts"]["optimizer"]["lr_schedule"] == "restarts"
    assert d.plateau is not None and d.plateau.epoch == 9, d.plateau  # the first cycle's end is already at the floor
    c = d.causes[0]
    assert any("warm restarts" in e and "0.1035" in e for e in c.evidence), c.evidence
    assert "best cycle end (epoch 68: 0.103," in c.actions[0] and "train on" not in c.actions[0], c.actions
    assert not any(k.id == "still_improving" for k in d.causes), d.causes
    # `losslens forecast` of the same run, fitted through the jumps (-18% by 138): its note says where the cycles ended.
    assert "warm restarts" in (losslens.forecast(FIX / "sgdr.csv").note or "")


def test_a_forecast_cut_after_a_restart_reaches_the_level_earlier_cycles_ended_at(tmp_path):
    rows = list(csv.reader((FIX / "sgdr.csv").open()))
    cut = tmp_path / "sgdr_cut33.csv"
    with cut.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows[:35])  # the header and epochs 0-33: 4 epochs into the third cycle
    truth = float(rows[-1][rows[0].index("val_loss")])  # epoch 69, the third cycle's end
    earlier = min(float(r[rows[0].index("val_loss")]) for r in rows[1:35])  # the level cycles 1 and 2 ended at
    fc = losslens.forecast(cut, horizon=69)
    assert fc.interval[0] <= earlier and fc.interval[0] <= truth <= fc.interval[1], (fc.interval, earlier, truth)
    assert "warm restarts" in (fc.note or ""), fc.note
    d = losslens.diagnose(cut, horizon=69)
    assert d.forecast["interval"][0] <= truth, d.forecast


def test_a_warm_up_then_one_cosine_is_no_restart():
    # (A guard: a warm-up's climb from a tiny rate had no decay before it.)
    run = losslens.read(Path(__file__).parent / "fixtures" / "ecosystem" / "torch_cosine_end" / "cos_E40.csv")[0]
    d = losslens.diagnose(run, classes=10)
    assert d.to_dict()["facts"]["optimizer"]["lr_schedule"] == "decayed"
    assert getattr(d.facts, "cycles", None) is None


def _cut(tmp_path, last: int) -> Path:
    rows = list(csv.reader((FIX / "sgdr.csv").open()))
    cut = tmp_path / f"sgdr_cut{last}.csv"
    with cut.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows[:last + 2])  # the header and epochs 0-last
    return cut


def test_a_run_cut_mid_cycle_is_not_judged_before_the_cycle_ends(tmp_path):
    """Cut at epoch 33, 4 epochs after the second restart (lr 98% of its peak), val_loss 0.1565 read converged "stop
    at epoch 6, change the data or the model"; the third cycle ended at 0.1030 (epoch 69) as the earlier two had
    (0.1035, 0.1031). Cut at 12, 3 epochs after the first, it read converged "stop once it is flat"."""
    rows = list(csv.reader((FIX / "sgdr.csv").open()))
    val = [float(r[rows[0].index("val_loss")]) for r in rows[1:]]
    assert val[33] > 1.4 * val[69] and abs(val[69] - min(_ends("sgdr.csv")[:2])) < 0.005 * val[69]  # the premise
    d = losslens.diagnose(_cut(tmp_path, 33))
    assert d.verdict == "still_improving" and d.plateau is None and d.slowdown_epoch is None, d
    acts = [str(a) for a in d.cause.actions]
    assert acts[0].startswith("mid-cycle: finish the cycle (its lr is 98% of its peak) before judging"), acts
    assert "0.1035 (epoch 9)" in acts[0] and "0.1031 (epoch 29)" in acts[0], acts
    assert not any("change the data or the model" in a or a.startswith("stop") for a in acts), acts
    assert not any(c.id == "converged" for c in d.causes), d.causes
    d12 = losslens.diagnose(_cut(tmp_path, 12))
    assert d12.verdict == "still_improving" and d12.plateau is None, d12
    assert str(d12.cause.actions[0]).startswith("mid-cycle: finish the cycle"), d12.cause.actions
    assert "the cycle before ended at 0.1035" in str(d12.cause.actions[0]), d12.cause.actions
