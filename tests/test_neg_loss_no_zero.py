"""A loss with no zero point read by compare and verify (session 50's walks A and B): -cosine similarity (floor -1)
logged by Lightning's CSVLogger on 150 / 300 / 600 training rows, and Keras' Poisson loss (y_pred - y log y_pred,
below 0) on 800 generated counts, from tests/fixtures/ecosystem/neg_loss_no_zero (make.py, make.out). A constant
added to such a loss moves its level and nothing else, so the bars compare and verify hold a change to (and
diagnose's stop after X) are shares of the baseline's own improvement, not of its level: the same runs shifted by
+1 (1 - cosine) read the same."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import losslens
from losslens.cli import app
from losslens.comparison import compare

ECO = Path(__file__).parent / "fixtures" / "ecosystem" / "neg_loss_no_zero"
COS = {n: ECO / "cosine" / f"n{n}" / "version_0" / "metrics.csv" for n in (150, 300, 600)}
POIS = ECO / "poisson"


def _shifted(tmp_path: Path, n: int, c: float = 1.0) -> Path:
    """The n-row cosine run as 1 - cosine (+c on every loss), in Lightning's layout."""
    d = pd.read_csv(COS[n])
    d["train_loss"] += c
    d["val_loss"] += c
    out = tmp_path / f"shift{n}" / "version_0" / "metrics.csv"
    out.parent.mkdir(parents=True)
    d.to_csv(out, index=False)
    return out


def _reading(c, cause: str) -> tuple:
    r = next(r for r in c.results if r.check.cause == cause)
    return r.holds, round(r.change_rel, 3)


def test_more_data_measured_against_the_improvement_holds():
    # Of the level: twice the data's best -4.2%, half the data's +5.7%, both "does NOT hold" against 10%. The
    # distance to the floor -1 went 0.234 -> 0.188 -> 0.154 (make.out): -18% a doubling.
    twice = compare(str(COS[300]), str(COS[600]), change={"data_factor": 2.0})
    half = compare(str(COS[300]), str(COS[150]), change={"data_factor": 0.5})
    assert _reading(twice, "data_limited") == (True, -0.136)
    assert _reading(half, "data_limited") == (True, 0.184)
    assert "of the baseline's own improvement, 0.25" in str(twice)
    assert "best -0.8116 → -0.8455 (-13.6%)" in str(twice)


def test_a_constant_added_reads_the_same(tmp_path):
    # 1 - cosine is positive: only --offset-free says it has no zero point; then it reads as -cosine does.
    raw = compare(str(COS[300]), str(COS[600]), change={"data_factor": 2.0})
    moved = compare(str(_shifted(tmp_path, 300)), str(_shifted(tmp_path, 600)), change={"data_factor": 2.0},
                    offset_free=True)
    assert [(r.check.name, r.check.statistic, r.holds, round(r.change_rel, 4)) for r in moved.results] \
        == [(r.check.name, r.check.statistic, r.holds, round(r.change_rel, 4)) for r in raw.results]
    assert raw.results and all(r.check.unit == pytest.approx(0.25, abs=0.001) for r in moved.results)


def test_compare_takes_offset_free(tmp_path):
    before, after = _shifted(tmp_path, 300), _shifted(tmp_path, 150)
    res = CliRunner().invoke(app, ["compare", str(before), str(after), "--change", "data_factor=0.5",
                                   "--offset-free"])
    assert res.exit_code == 0, res.output
    assert "✓ data_limited — half the training data" in res.output
    assert "(shares of BEFORE's own improvement, 0.25: the loss has no zero point)" in res.output


def _train(paths: dict):
    def train(data_factor: float = 1.0):
        return str(paths[data_factor])
    return train


def test_verify_reads_the_improvement():
    # The walker's `losslens verify verify_cos.py:train --cause data_limited`: "does NOT hold" (exit 1).
    v = losslens.verify(_train({1.0: COS[300], 0.5: COS[150], 2.0: COS[600]}), causes=["data_limited"],
                        progress=False)
    assert v.holds("data_limited") is True
    got = [(r.check.name, r.holds, round(r.change_rel, 3)) for r in v.results if r.check.cause == "data_limited"]
    assert got == [("half the training data", True, 0.184), ("twice the training data", True, -0.136)]


def test_verify_takes_offset_free(tmp_path):
    paths = {f: _shifted(tmp_path, n) for f, n in ((1.0, 300), (0.5, 150), (2.0, 600))}
    v = losslens.verify(_train(paths), causes=["data_limited"], progress=False, offset_free=True)
    assert v.holds("data_limited") is True
    assert all(r.check.unit is not None for r in v.results if r.check.cause == "data_limited")
    assert v.results[0].to_dict()["unit"] == pytest.approx(0.25, abs=0.001)


def test_a_zero_point_loss_keeps_its_level():
    # The control: 1 - cosine not said offset-free is read against its level, as before.
    c = compare(str(COS[300]), str(COS[600]), change={"data_factor": 2.0}, offset_free=False)
    assert all(r.check.unit is not None for r in c.results)  # (-cosine is below 0: implied)
    eco = Path(__file__).parent / "fixtures" / "ecosystem" / "keras_bottleneck"
    c = compare(str(eco / "run.csv"), str(eco / "cf_w64.csv"), change={"size_factor": 64.0})
    assert c.results and all(r.check.unit is None for r in c.results)
    assert "own improvement" not in str(c)


def test_poisson_stop_after_x_is_a_share_of_the_improvement():
    # "stop at epoch 5: more epochs will not lower the loss": val -1.9705 there, -2.029 at the end, -2.041 at its
    # best (epoch 43); the true rate scores -2.145, so X gave up 0.06 of the 0.17 left.
    d = losslens.diagnose(str(POIS / "base.csv"))
    assert d.verdict == "converged" and d.plateau_epoch == 5
    first = str(d.causes[0].actions[0])
    assert first.startswith("stop at epoch 16, where val_loss first reached the level it ended at"), first
    assert "not at epoch 5: stopping at X gives up 3.8% of its whole improvement (1.454" in first
    assert d.causes[0].numbers["stop_gives_up"] == pytest.approx(0.038, abs=0.001)


def test_poisson_gap_is_not_said_to_be_all_datas():
    # The true rate scores -2.92 on training and -2.145 on validation: 0.77 of the 0.986 gap is no model's.
    d = losslens.diagnose(str(POIS / "base.csv"))
    limited = next(c for c in d.causes if c.id == "data_limited")
    assert "the best possible model leaves a gap too" in str(limited.evidence[0])
    # twice the data: best -2.041 -> -2.092, 3.5% of the improvement (1.46): not the 10% data_limited predicts
    c = compare(str(POIS / "base.csv"), str(POIS / "data2x.csv"), change={"data_factor": 2.0})
    assert _reading(c, "data_limited") == (False, -0.035)
    # twice the epochs: ends 5.0% of its improvement higher, inside converged's 15% ceiling
    c = compare(str(POIS / "base.csv"), str(POIS / "ep120.csv"), change={"epochs_factor": 2.0})
    assert _reading(c, "converged") == (True, 0.05)
