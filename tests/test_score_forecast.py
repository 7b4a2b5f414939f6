"""A score's forecast (higher is better: accuracy, mAP) stays on the score's scale and says when it is uncertain.

Real logs: an Ultralytics YOLOv8 ``results.csv`` whose mAP50-95 swings in its first 12 epochs (0.31 0.53 0.27
0.20 ... 0.06) and ends at 0.736 at epoch 40 (fixture yolo_map_late), and a Keras CSVLogger CNN on digits whose
val_accuracy climbs cleanly to 0.963 at epoch 59 (fixture keras_cnn_digits). Each is cut at its first k epochs and
forecast to the epoch the run really reached.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.cli import main

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
YOLO = ECO / "yolo_map_late" / "results.csv"
DIGITS = ECO / "keras_cnn_digits" / "noaug_60.csv"
YOLO_END, YOLO_FINAL = 40, 0.73563  # the run's last epoch and its mAP50-95 there
MAP = "metrics/mAP50-95(B)"


def _cut(src: Path, k: int, tmp_path: Path) -> Path:
    """The first ``k`` logged rows of ``src``, written under its own file name (a YOLO run is read by it)."""
    rows = src.read_text().splitlines()
    out = tmp_path / f"first{k}" / src.name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(rows[:k + 1]) + "\n")
    return out


@pytest.mark.parametrize("k, k_clean", [(6, 6), (8, 10), (10, 15), (12, 30)])
def test_a_swinging_map_cut_early_is_forecast_inside_0_1_and_flagged_uncertain(k, k_clean, tmp_path):
    # Before: given 8 epochs the 90% interval was [-5.19, 1] and the value -0.018, an mAP below 0, quoted as a
    # forecast with nothing said.
    fc = losslens.forecast(_cut(YOLO, k, tmp_path), horizon=YOLO_END)
    lo, hi = fc.interval
    assert 0.0 <= lo <= fc.value <= hi <= 1.0, fc
    assert lo <= YOLO_FINAL <= hi  # the run's real end, inside
    assert fc.uncertain == "its 90% interval reaches 0"
    assert fc.to_dict()["uncertain"] == fc.uncertain and fc.to_dict()["interval"][0] >= 0.0
    # Its track record is the scores' own, in points, not the losses' percentages.
    assert "score forecasts this wide were off by a median" in str(fc)

    # The flag is for a wide interval, not for every score: read on the error 1 - accuracy the losses' rule would flag
    # each interval reaching a perfect accuracy, as these do from 6 to 15 epochs of a clean climb to 0.963.
    clean = losslens.forecast(_cut(DIGITS, k_clean, tmp_path), metric="val_accuracy", horizon=59)
    lo, hi = clean.interval
    assert 0.0 <= lo <= 0.963 <= hi <= 1.0, clean
    assert clean.uncertain is None and "uncertain" not in str(clean)


def test_diagnose_and_the_cli_say_a_scores_forecast_is_uncertain(tmp_path, capsys):
    path = _cut(YOLO, 10, tmp_path)
    d = losslens.diagnose(path, horizon=YOLO_END)
    fc = d.forecast
    assert fc["uncertain"] == "its 90% interval reaches 0"
    assert 0.0 <= fc["interval"][0] <= fc["value"] <= fc["interval"][1] <= 1.0
    assert min(fc["path"]["lo"]) >= 0.0 and max(fc["path"]["hi"]) <= 1.0
    ev = " ".join(e for c in d.causes for e in c.evidence)
    assert "the forecast is uncertain: its 90% interval reaches 0" in ev
    assert "score forecasts this wide" in ev and "forecasts this wide were off by a median 19%" not in ev

    with pytest.raises(SystemExit) as exc:
        main(["forecast", str(path), "--horizon", str(YOLO_END)])
    assert exc.value.code in (0, None)
    out = capsys.readouterr().out
    assert "(90% interval 0 to 1)" in out
    assert "  uncertain: its 90% interval reaches 0; the value says little (score forecasts this wide" in out


def test_the_score_benchmark_scores_what_the_floor_changed():
    """forecast_eval --scores on the two real runs above (each cut at 10/25/50%, forecast to its end): the intervals
    the forecast before the floor gave below 0 are gone, nothing else moved, and the table says so."""
    import csv

    from benchmarks import forecast_eval as fe

    curves = []
    for dataset, path, xcol, ycol in (("yolo", YOLO, "epoch", MAP), ("keras", DIGITS, "epoch", "val_accuracy")):
        rows = list(csv.DictReader(path.open()))
        x, y = (np.array([float(r[c]) for r in rows]) for c in (xcol, ycol))
        curves.append(fe.Curve(dataset, path.parent.name, x, y))
    df = fe.evaluate_scores(curves)
    assert len(df) == 5 and not df.withheld.any()  # (YOLO given 10%: 4 epochs, too few)
    yolo = df[df.dataset == "yolo"]
    assert (yolo.before_lo < 0).any()  # the swinging mAP's early interval, before
    assert (df.ll_lo >= 0).all() and (df.ll_hi <= 1).all()
    assert np.allclose(df.ll_mid[df.before_mid >= 0], df.before_mid[df.before_mid >= 0])
    keep = df.before_lo >= 0
    assert np.allclose(df.ll_lo[keep], df.before_lo[keep]) and np.allclose(df.ll_hi, df.before_hi)
    table = fe.score_table(df)
    lines = table.splitlines()
    i = next(i for i, r in enumerate(lines) if "| yolo | 25% |" in r)
    now, before = lines[i].split("|"), lines[i + 1].split("|")
    assert now[5].strip() == "losslens" and "before" in before[5]
    assert (now[9].strip(), before[9].strip()) == ("0%", "100%")  # interval outside [0, top]: YOLO given 10 epochs
    assert now[10].strip().startswith("100%")  # flagged uncertain


def test_diagnose_says_a_scores_lr_cut_note_on_the_scores_scale(tmp_path):
    """keras_rlrop.csv (a real Keras CSVLogger: SGD(0.5) on digits, ReduceLROnPlateau cut the lr 0.5 -> 0.1 at epoch
    13) read on val_accuracy, 0.93 after the cut. Before: diagnose quoted the fit across the cut on the error's scale,
    "would carry that on (to 0.1476)", an accuracy of 0.15, and 5 points on "not below 0.06183, the lowest point";
    `losslens forecast` said 0.8524 and "not above 0.9382, the highest point". Both now say the score's."""
    import re

    src = Path(__file__).parent / "fixtures" / "logs" / "keras_rlrop.csv"
    for k, said in ((14, "only 1 point(s) since the lr was cut at 13"), (18, "the highest point since the cut")):
        path = _cut(src, k, tmp_path)
        d = losslens.diagnose(path, metric="val_accuracy")
        note = d.forecast["note"]
        assert said in note and "lowest point" not in note, note
        assert note == losslens.forecast(path, metric="val_accuracy", horizon=d.forecast["horizon"]).note
        quoted = [float(v) for v in re.findall(r"(?:to|not above) ([0-9.]+\d)", note)]
        assert quoted and all(0.8 < v < 1.0 for v in quoted), note  # an accuracy near the 0.93 logged, not its error
        ev = " ".join(e for c in d.causes for e in c.evidence)
        assert note.split(";")[0] in ev  # the evidence quotes the note's first clause as it is


def test_a_score_s_trend_at_its_ceiling_is_said_in_the_score_s_words(tmp_path, monkeypatch):
    """A forecast whose fitted trend reaches 0 before the horizon carries a note: a loss's value is then a lower bound.
    For a score, forecast as its error, that is the score at its ceiling, an upper bound; the diagnosis's evidence said
    "(no floor visible yet: the trend reaches 0, a lower bound)" of an accuracy all the same. Since the floor holds
    after the anchor shift (95709bb) no real curve reaches the note (none of the fixtures' accuracies nor the 3,519 rows
    of Keras notebook curves, at 1-100x the logged length): the fit is run on a real Keras val_accuracy (aug_80, its
    first 21 epochs) and given the note it writes there, and the words are read off `forecast` and `diagnose`."""
    from typer.testing import CliRunner

    from losslens import forecasting
    from losslens.cli import app

    fit = forecasting.forecast_curve

    def at_its_floor(*args, **kwargs):
        fc = fit(*args, **kwargs)
        fc.note = forecasting.TREND_AT_FLOOR
        return fc

    monkeypatch.setattr(forecasting, "forecast_curve", at_its_floor)
    lines = (ECO / "keras_augment_still_falling" / "aug_80.csv").read_text().splitlines(keepends=True)
    path = tmp_path / "aug_80_epoch20.csv"
    path.write_text("".join(lines[:22]))
    said = CliRunner().invoke(app, ["forecast", str(path), "--metric", "val_accuracy"])
    assert said.exit_code == 0, said.output
    assert ("note: the fitted trend reaches the score's ceiling of 1 before the horizon: the curve shows no plateau "
            "below it yet, so the value is an upper bound (clipped at 1)") in said.output
    assert "lower bound" not in said.output
    said = CliRunner().invoke(app, ["diagnose", str(path), "--metric", "val_accuracy"])
    assert said.exit_code == 0, said.output
    assert "(no plateau visible yet: the trend reaches val_accuracy's ceiling of 1, an upper bound)" in said.output
    assert "lower bound" not in said.output
    # A percentage's ceiling is 100%; a loss keeps the loss's words.
    assert forecasting.trend_at_ceiling(100.0).startswith("the fitted trend reaches the score's ceiling of 100% ")
    said = CliRunner().invoke(app, ["diagnose", str(path)])
    assert "(no floor visible yet: the trend reaches 0, a lower bound)" in said.output
