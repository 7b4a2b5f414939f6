"""A loss spike on steps the fp16 GradScaler skipped (tests/fixtures/ecosystem/torch_amp_skipped_spike, make.py): a
digits MLP at SGD 0.05 under fp16 autocast, two corrupt batches at epoch 15 with a loss of ~200, both steps skipped
(grad_norm inf), validation unmoved (0.1692 -> 0.1701). Read lr_too_high ("lower the learning rate", "gradient
clipping") off its 10.2 epoch mean; lr / 10 from epoch 4 kept the spike (8.02) and ended 11x higher. The skipped
steps' non-finite grad_norm rows went unsaid outside Hugging Face logs. The fp32 twin without a scaler applied the
updates (validation 0.12 -> 1.48) and stays lr_too_high, which lr / 10 confirmed (validation 0.155 -> 0.076)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

import losslens
from losslens.cli import app

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_amp_skipped_spike"
FP16, FP32 = HERE / "fp16_skipped", HERE / "fp32_jolted"


def _col(path: Path, name: str) -> list[float]:
    return [float(r[name]) for r in csv.DictReader(path.open())]


def test_premise_the_skipped_spike_is_the_batch_and_lr_div10_keeps_it():
    skipped = _col(FP16 / "epochs.csv", "skipped_steps")
    assert skipped[15] == 2 and _col(FP16 / "epochs.csv", "train_loss")[15] > 5
    val = _col(FP16 / "epochs.csv", "val_loss")
    assert abs(val[15] - val[14]) < 0.002  # no update made: validation where it was
    truth = _col(HERE / "truth_fp16_lr_div10" / "epochs.csv", "train_loss")
    assert truth[15] > 5 and truth[-1] > 5 * _col(FP16 / "epochs.csv", "train_loss")[-1]
    # fp32: the update went through, and lr / 10 ends lower
    assert _col(FP32 / "epochs.csv", "val_loss")[15] > 1.0
    assert _col(HERE / "truth_fp32_lr_div10" / "epochs.csv", "val_loss")[-1] < \
        0.6 * _col(FP32 / "epochs.csv", "val_loss")[-1]


def test_a_spike_on_skipped_steps_is_no_lr_too_high():
    assert losslens.diagnose(FP16 / "epochs.csv").verdict == "overfitting"  # (validation's reading: no spike read)
    for path, kw in ((FP16 / "steps.csv", {}), (FP16 / "epochs.csv", {"metric": "train_loss"})):
        d = losslens.diagnose(path, **kw)
        assert d.verdict != "lr_too_high", (path, kw, d)
        assert all(c.id != "lr_too_high" for c in d.causes), (path, kw, d)
        lead = d.causes[0]
        assert any("one batch's huge loss" in e and "epoch 15" in e for e in lead.evidence), (path, kw, lead.evidence)
        assert any(a.startswith("check the data of the batches at the spike") for a in lead.actions)
        assert all("gradient clipping" not in a for a in lead.actions)


def test_the_skipped_steps_are_noted_in_text_and_json():
    d = losslens.diagnose(FP16 / "steps.csv")
    notes = d.to_dict()["notes"]
    assert any("grad_norm is inf/NaN at 11 of its 1200 logged steps" in n and "GradScaler skipped" in n
               for n in notes), notes
    out = CliRunner().invoke(app, ["diagnose", str(FP16 / "steps.csv"), "--json"])
    body = json.loads(out.stdout)
    body = body[0] if isinstance(body, list) else body
    assert any("GradScaler skipped" in n for n in body["notes"])
    text = subprocess.run([sys.executable, "-m", "losslens", "diagnose", str(FP16 / "steps.csv")],
                          capture_output=True, text=True, check=True)
    assert "GradScaler skipped" in text.stderr and "one batch's huge loss" in text.stdout


def test_fp32_spike_that_threw_validation_stays_lr_too_high():
    for path, kw in ((FP32 / "steps.csv", {}), (FP32 / "epochs.csv", {}), (FP32 / "epochs.csv", {"metric": "train_loss"})):
        d = losslens.diagnose(path, **kw)
        assert d.verdict == "lr_too_high", (path, kw, d)
        assert not any("one batch's huge loss" in e for c in d.causes for e in c.evidence)
    assert not losslens.diagnose(FP32 / "steps.csv").to_dict()["notes"]
