"""A loss whose drops span decades leaves a saddle that temporary_plateau reads on the log scale: a 4-layer deep
linear net (PyTorch, tests/fixtures/ecosystem/torch_deep_linear/make.py, session 39's walk, its CSV rerun
byte-identical) sits at 0.023 from epoch ~80 to ~250 and then falls to its noise floor 0.0025, a drop of 87% of
that level but 3% of the whole improvement (0.61 -> 0.0025), under the linear reading's 25%."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
DLIN = ECO / "torch_deep_linear" / "dlin_lr0.2_600.csv"


def test_second_saddle_of_a_deep_linear_net_is_a_temporary_plateau():
    # Old code: still_improving 59%, "no plateau in 600 epochs", "keep training", temporary_plateau not listed.
    d = losslens.diagnose(DLIN)
    tp = next((c for c in d.causes if c.id == "temporary_plateau"), None)
    assert tp is not None, [c.id for c in d.causes]
    assert d.verdict == "temporary_plateau"
    assert 80 <= tp.numbers["flat_start"] <= 90 and 200 <= tp.numbers["flat_end"] <= 250
    assert 0.3 < tp.numbers["log_scale_drop"] < 0.5
    assert "on the log scale" in tp.evidence[0] and "at 0.0234" in tp.evidence[0]
    # X is DESIGN's 95% point of the whole improvement, the first drop's end, before the saddle: the evidence, the
    # JSON and the chart's phases say so with the headline. (Old code: the evidence began "flat from epoch 84" under
    # "plateau at epoch 67", and one plateau phase ran from 67 to 599 over the fall from 0.021 to 0.0025.)
    x = d.plateau_epoch
    assert 60 <= x < tp.numbers["flat_start"]
    assert tp.evidence[0].startswith(f"val_loss made 95% of its improvement (0.612 to 0.00253) by epoch {x:g}, at")
    out = d.to_dict()
    assert out["plateau_epoch"] == x and out["plateau"]["interval"][1] < tp.numbers["flat_start"]
    settled = tp.numbers["drop_end"]
    assert 380 <= settled <= 430 and f"by epoch {settled:g}" in tp.evidence[0]
    assert [(p["name"], p["start"], p["end"]) for p in out["phases"] if p["start"] >= x] == [
        ("plateau", x, tp.numbers["flat_end"]), ("slow_descent", tp.numbers["flat_end"], settled),
        ("plateau", settled, 599)]
    from losslens.report.plot import chart_data
    assert [(p["name"], p["start"]) for p in chart_data(d)["phases"]][-3:] == [
        ("plateau", x), ("slow_descent", tp.numbers["flat_end"]), ("plateau", settled)]
    # Cut at epoch 250, inside the second saddle: its first 40 epochs near 0.61 are a slow start before one long fall
    # (lr 0.5 reached 0.0026 by epoch 198: lr_too_low is right), no saddle left; nor is a fast fall over decades
    # with no stretch before its floor (a 10-64-1 MLP at Adam 1e-2, 1.1 -> 0.019).
    df = pd.read_csv(DLIN).iloc[:251]
    cut = losslens.diagnose({k: df[k].tolist() for k in ("loss", "val_loss", "lr")})
    assert cut.verdict == "lr_too_low"
    assert "temporary_plateau" not in [c.id for c in cut.causes]
    fast = losslens.diagnose(ECO / "torch_reg_floor" / "reg_floor.csv")
    assert "temporary_plateau" not in [c.id for c in fast.causes]


def test_x_inside_the_saddle_is_said_inside_it():
    # X placed inside the flat stretch (after its start, before its end) once read "95% ... by epoch 90, at ..., then
    # was flat from epoch 84": the stretch said to follow a point inside it. The same run's facts, X moved into it.
    from dataclasses import replace

    from losslens.diagnosis import temporary_plateau
    from losslens.facts import measure
    from losslens.readers import read

    [run] = read(DLIN)
    f = measure(run, "val_loss")
    tp = temporary_plateau(f)
    start, end = tp.numbers["flat_start"], tp.numbers["flat_end"]
    k = int(np.searchsorted(f.x, start + 6))
    assert start < f.x[k] < end  # the premise: a point inside the stretch
    f.plateau = replace(f.plateau, index=k, epoch=float(f.x[k]), level=float(f.smoothed[k]))
    ev = temporary_plateau(f).evidence[0]
    assert f"by epoch {f.x[k]:g}, at" in ev
    assert f"inside a flat stretch from epoch {start:g} to {end:g} at" in ev
    assert "then was flat from" not in ev
