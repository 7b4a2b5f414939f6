"""Warm-restart runs cut within a later cycle (epochs 30-70, the third cycle of 40 epochs): Keras' SGD under
CosineDecayRestarts (tests/fixtures/ecosystem/keras_sgdr_restarts/sgdr150.csv) and torch's SGD under
CosineAnnealingWarmRestarts(T_0=10, T_mult=2) (tests/fixtures/ecosystem/torch_sgdr_cuts/sgdr150.json), both a linear
regression trained through to 150 epochs. The truth of training on is the cycle's end: the Keras cycles ended at
0.1035, 0.1031, 0.1030, the torch ones at 0.1035, 0.1031, 0.1030, 0.1031 (make.out). Cut at 40-50, where the
restart's jump had not come back down, the curve read overfitting "regularize"; cut at 58-66, back at the earlier
ends' level, "keep training" or "stop at epoch 6"."""
import re
from pathlib import Path

import pytest

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
KERAS = ECO / "keras_sgdr_restarts" / "sgdr150.csv"
TORCH = ECO / "torch_sgdr_cuts" / "sgdr150.json"


def _ends(folder: Path) -> list[float]:
    line = next(ln for ln in (folder / "make.out").read_text().splitlines() if "sgdr150" in ln.split()[0])
    return [float(v) for v in re.findall(r"\d+ (0\.\d+)", line.split("cycle ends (epoch val_loss):")[1])]


def test_the_premise_the_third_cycle_ends_where_the_earlier_ones_did():
    for folder in (KERAS.parent, TORCH.parent):
        ends = _ends(folder)
        assert len(ends) >= 3, ends
        assert abs(ends[2] - min(ends[:2])) < 0.005 * min(ends), ends  # training on to the cycle's end gains nothing
    val = losslens.read(TORCH)[0].get("val_loss")
    assert max(val[30:50]) > min(val[:30]) + 0.005  # the restart's jump, still up at epoch 40


@pytest.mark.parametrize("path", [KERAS, TORCH], ids=["keras", "torch"])
@pytest.mark.parametrize("cut", [32, 40, 44, 46, 50, 56, 60, 64, 66])
def test_a_cut_within_the_cycle_reads_finish_the_cycle(path, cut):
    run = losslens.read(path)[0].head(cut)
    d = losslens.diagnose(run)
    assert d.verdict == "still_improving" and d.plateau is None, (cut, d)
    c = d.causes[0]
    assert "mid_cycle" in c.numbers, (cut, c)
    assert any("warm restarts" in e and "0.1031" in e for e in c.evidence), c.evidence  # the cycle ends compared
    assert c.actions[0].startswith("mid-cycle: finish the cycle"), c.actions
    assert not any(k.id == "overfitting" for k in d.causes), d.causes
    assert not any("regulari" in a or "keep training" in a for a in c.actions), c.actions


def test_a_rise_from_cycle_ends_that_climb_is_still_read():
    # (A guard: mid_cycle takes over an overfitting read only where the cycle ends hold their level.)
    import numpy as np
    from losslens.run import Run
    rng = np.random.default_rng(0)
    lr, val = [], []
    for e in range(50):
        k, p = (e, 10) if e < 10 else ((e - 10, 20) if e < 30 else (e - 30, 40))
        lr.append(0.01 + 0.99 * (1 + np.cos(np.pi * k / p)) / 2)
        val.append(0.1 + 0.5 / (1 + e) + 0.004 * max(0, e - 8) + 0.02 * lr[-1] + 0.001 * rng.standard_normal())
    train = [0.5 / (1 + e) + 0.02 * lr[e] for e in range(50)]
    d = losslens.diagnose(Run.from_history({"loss": train, "val_loss": val, "lr": lr}))
    assert d.to_dict()["facts"]["optimizer"]["lr_schedule"] == "restarts"
    assert "mid_cycle" not in d.causes[0].numbers, d.causes[0]


@pytest.mark.parametrize("cut", [50, 70])
def test_each_cycle_is_its_own_phase_not_a_plateau_or_a_rising_validation(cut):
    d = losslens.diagnose(losslens.read(KERAS)[0].head(cut))
    names = [p["name"] for p in d.phases]
    assert "rising_validation" not in names and "plateau" not in names, d.phases
    cycles = [(p["start"], p["end"]) for p in d.phases if p["name"] == "restart_cycle"]
    assert cycles[:2] == [(9.0, 29.0), (29.0, 69.0 if cut == 70 else cut - 1.0)], d.phases
    from losslens.report.plot import chart_data
    assert "warm-restart cycle" in [p["label"] for p in chart_data(d)["phases"]]
