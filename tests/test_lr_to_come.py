"""Near the end of a decay to 0 the forecast is read in lr-time (forecasting.lr_to_come, _lr_time_ahead): a real
torch run (tests/fixtures/ecosystem/torch_charlm_cosine_end, AdamW 1e-2 under a cosine to 0 at step 2,400) cut at
step 2,160 ended 0.2% lower, where the forecast in steps said 1.725 [1.701, 1.746], P(gain > 1%) = 95%."""
import csv
from pathlib import Path

import numpy as np

import losslens
from losslens.forecasting import forecast_curve

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_charlm_cosine_end"


def _rows(name):
    with open(HERE / name) as f:
        return [[float(v) for v in r] for r in list(csv.reader(f))[1:]]


def _end():
    return _rows("cosine.csv")[-1][2]


def test_cut_near_the_end_interval_holds_the_end_and_p_is_low():
    fc = losslens.forecast(str(HERE / "cosine_c90.csv"), horizon=2400)
    end = _end()
    assert fc.interval[0] <= end <= fc.interval[1]
    assert fc.p_improve < 0.5  # (the run gained 0.2%)
    assert "flattens" in fc.note and "cosine" in fc.note


def test_diagnosis_quotes_the_same():
    d = losslens.diagnose(str(HERE / "cosine_c90.csv"), horizon=2400).to_dict()
    fc = d["forecast"]
    lo, hi = fc["interval"]
    assert lo <= _end() <= hi
    assert fc["p_improve"] < 0.5


def test_the_schedule_is_read_from_the_logged_lr():
    from losslens.forecasting import lr_to_come

    rows = np.array(_rows("cosine_c90.csv"))
    shape, peak_at, end = lr_to_come(rows[:, 0], rows[:, 3], 2400)
    assert shape == "cosine" and end == 2400 and 80 <= peak_at <= 120
    # Not to another end: the same decay read toward 3,000 is no decay to 0 there.
    assert lr_to_come(rows[:, 0], rows[:, 3], 3000) is None


def test_higher_up_the_decay_the_forecast_is_read_in_steps():
    # At step 1,800 the lr is 16% of its peak: the drop a falling rate adds is still to come, and the reading in
    # steps held the end ([1.628, 1.799] against 1.7565); it stays that reading.
    from losslens.forecasting import lr_to_come

    rows = np.array(_rows("cosine_c75.csv"))
    assert lr_to_come(rows[:, 0], rows[:, 3], 2400) is None
    fc = losslens.forecast(str(HERE / "cosine_c75.csv"), horizon=2400)
    plain = forecast_curve(rows[:, 0], rows[:, 2], 2400)
    assert fc.value == plain.value and fc.interval == plain.interval


def test_the_planned_end_caveat_says_the_curve_flattens():
    # The same log with its planned end stated (as a Trainer's max_steps is): the caveat had said the forecast
    # "cannot see the drops the schedule still has to make", where the lr left is 2.7% of the peak.
    run = losslens.read(str(HERE / "cosine_c90.csv"))[0]
    run.meta["planned_end"], run.meta["planned_end_from"] = 2400, "max_steps"
    text = " ".join(e for c in losslens.diagnose(run).causes for e in c.evidence)
    assert "the planned end (max_steps)" in text
    assert "cannot see the drops" not in text
    assert "cosine decay to 0 at step 2400" in text and "the curve flattens" in text
