"""The verdict's confidence is the rules' strength mapped to the chance the verdict is right (diagnosis.
calibrated_confidence, fitted on the diagnosis benchmark's train split); the rules keep comparing strengths."""

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

import losslens
from losslens.cli import app
from losslens.diagnosis import _CONF_CAUSE, calibrated_confidence

EXAMPLE = Path(losslens.__file__).parent / "examples" / "keras_csvlogger.csv"  # written by Keras' CSVLogger
STUCK = Path(__file__).parent / "fixtures" / "ecosystem" / "deepobs_stuck_high_lr"  # DeepOBS' logs (make.py)


def test_the_map_is_increasing_and_bounded_for_every_cause():
    """Monotone in the strength for each cause (a surer rule never reads as a smaller chance), within
    [0.01, 0.99], and it moves the causes the benchmark's train split found off apart: an underfitting verdict at
    0.56 was right 29% of the time there, an lr_too_low one at 0.67 95%."""
    s = np.linspace(0.0, 1.0, 201)
    for cause in [*_CONF_CAUSE, "a_cause_never_fitted"]:
        p = np.array([calibrated_confidence(float(v), cause) for v in s])
        assert np.all(np.diff(p) >= 0) and p.min() >= 0.01 and p.max() <= 0.99, cause
        inside = (p > 0.01) & (p < 0.99) & (s > 0.01) & (s < 0.99)  # the strength is read within [0.01, 0.99]
        assert inside.sum() > 100 and np.all(np.diff(p[inside]) > 0), cause   # strictly, inside the clip
    assert calibrated_confidence(0.56, "underfitting") < 0.5 < calibrated_confidence(0.56, "lr_too_low")
    assert calibrated_confidence(0.67, "lr_too_low") > 0.85
    assert np.isnan(calibrated_confidence(float("nan"), "converged"))


def test_the_json_confidence_is_the_verdicts_strength_calibrated():
    """A log Keras' CSVLogger wrote reads overfitting at strength 0.60 (data_limited possible at 0.50): the JSON's
    verdict confidence is the map of that strength, the other cause keeps its strength, the order is the rules'."""
    d = losslens.diagnose(EXAMPLE)
    res = CliRunner().invoke(app, ["diagnose", str(EXAMPLE), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.splitlines()[0])
    verdict, *rest = out["causes"]
    assert out["verdict"] == verdict["id"] == d.verdict == "overfitting"
    assert d.cause.strength == 0.6 and verdict["confidence"] == round(calibrated_confidence(0.6, "overfitting"), 3)
    assert verdict["confidence"] != round(d.cause.strength, 3)
    assert [c["id"] for c in rest] == [c.id for c in d.causes[1:]] == ["data_limited"]
    assert [c["confidence"] for c in rest] == [round(c.strength, 3) for c in d.causes[1:]] == [0.5]
    assert "(confidence 85%, val_loss)" in CliRunner().invoke(app, ["diagnose", str(EXAMPLE)]).stdout


def test_a_cause_surer_than_the_verdict_is_judged_on_strengths():
    """DeepOBS' F-MNIST 2c2d at Adam lr 0.158 (a step far too large) reads stuck_at_init with lr_too_high listed
    after it at a higher strength, and says why. The reason quotes the two strengths, not the verdict's calibrated
    confidence, which a reader sees at the head of the diagnosis."""
    d = losslens.diagnose(STUCK / "fmnist_adam_lr0.158.csv")
    high = next(c for c in d.causes[1:] if c.id == "lr_too_high")
    assert d.verdict == "stuck_at_init" and high.strength > d.cause.strength
    line = high.evidence[-1]
    assert line.startswith(f"surer than the verdict (evidence strength {high.strength:.0%} vs "
                           f"{d.cause.strength:.0%}) but ranked after it"), line
    assert d.cause.confidence == calibrated_confidence(d.cause.strength, "stuck_at_init") != d.cause.strength


def test_the_fit_reads_the_train_split_only():
    """``python -m benchmarks --calibrate-confidence`` fits on train-split verdicts: the held-out labels, changed,
    change nothing, and the map fitted is increasing in the strength."""
    import dataclasses

    from benchmarks import load_cases
    from benchmarks.baselines import losslens_method
    from benchmarks.confidence_cal import fit, rows

    cases = load_cases(("generated",))[:40]
    preds = {c.case_id: losslens_method(c.run, c.metric, classes=c.classes) for c in cases}
    assert {c.split for c in cases} == {"train", "test"}
    flipped = [c if c.split == "train" else dataclasses.replace(c, cause="no_signal") for c in cases]
    data = rows(cases, preds)
    assert data == rows(flipped, preds) and len(data) == sum(c.split == "train" for c in cases)
    train = [c for c in cases if c.split == "train"]
    assert [d[1] for d in data] == [preds[c.case_id].raw_confidence for c in train]
    a, b, u = fit(data)
    assert b > 0 and set(u) == {d[0] for d in data}
