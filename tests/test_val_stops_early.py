"""A validation series that stops while training goes on is read on the part both cover.

tests/fixtures/ecosystem/val_stops_early (make.py): a digits MLP at SGD 0.1 (momentum 0.9) under a grad clip of 1e-3,
60 epochs, logged by the torch Monitor (monitor.json). Its log with validation stopped after 14 epochs (the Monitor's
JSON cut mid-write inside val_loss, cut.json; the same lists as a pandas CSV blank after epoch 13; a Keras fit of
14 epochs with validation then 46 without, its Histories merged) read "underfitting (too little capacity) — plateau
at epoch 13 ... a bigger model", setting training's loss at epoch 59 (1.934) beside validation's from epoch 13.
The truth (make.out): lr x 10 ends at 0.268, no clip at 0.074, 4x the width at 1.769. Its first 14 epochs logged
alone read still_improving; so do the three cut logs now, saying where validation stopped. A Lightning metrics.csv
cut mid-line inside epoch 15's training rows, before its validation row, says the cut once: its "val_loss has no value
after epoch 14 ... write nan where it diverged" told of a divergence that was the cut.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

import losslens

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "val_stops_early"
STOPPED = ["cut.json", "pandas.csv", "keras_history.json"]


def _truth() -> dict[str, float]:
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"torch (.+?): final val_loss ([\d.]+)",
                                                               (HERE / "make.out").read_text())}


def _honest(name: str) -> losslens.Run:
    """The run as logged to epoch 13 only (the lists cut at 14 values)."""
    if name == "keras_history.json":
        h = json.loads((HERE / name).read_text())
    else:
        m = json.loads((HERE / "monitor.json").read_text())
        h = {k: m[k] for k in ("epoch", "loss", "val_loss", "val_accuracy")}
    return losslens.Run.from_history({k: v[:14] for k, v in h.items()}, name="honest")


def test_the_premises():
    truth = _truth()
    base = float(re.search(r"at 59 ([\d.]+);", (HERE / "make.out").read_text()).group(1))
    assert truth["lr x10"] < 0.2 * base and truth["no clip"] < 0.05 * base  # the step, not the capacity
    assert truth["width x4"] > 0.9 * base
    h = json.loads((HERE / "keras_history.json").read_text())
    assert len(h["val_loss"]) == 14 and len(h["loss"]) == 60


@pytest.mark.parametrize("name", STOPPED)
def test_a_validation_that_stops_is_read_where_both_cover(name):
    d = losslens.diagnose(HERE / name)
    assert d.verdict != "underfitting" and "underfitting" not in [c.id for c in d.causes], str(d)
    honest = losslens.diagnose(_honest(name))
    assert d.verdict == honest.verdict == "still_improving", (str(d), str(honest))
    line = next((e for e in d.causes[0].evidence if "the part both cover" in e), None)
    assert line is not None, str(d)
    assert line.startswith("val_loss stops at epoch 13, while training goes on to epoch 59") and \
        "read up to epoch 13" in line, line


def test_the_whole_log_is_read_whole():
    d = losslens.diagnose(HERE / "monitor.json")
    assert not any("the part both cover" in e for c in d.causes for e in c.evidence), str(d)


def test_a_lightning_log_cut_before_its_last_validation_says_the_cut_once(caplog):
    with caplog.at_level(logging.WARNING, logger="losslens"):
        d = losslens.diagnose(HERE / "lightning" / "metrics.csv")
    assert "the last line was cut off mid-write" in caplog.text
    assert "has no value after" not in caplog.text, caplog.text
    assert not any("the part both cover" in e for c in d.causes for e in c.evidence), str(d)


def test_the_same_rule_reads_a_wandb_history_and_a_dataframe(tmp_path):
    """The Monitor's lists as W&B's ``run.history()`` saves them (``_step``, ``epoch``, ``train/loss``,
    ``val/loss`` blank after epoch 13, pandas' to_csv with its index) and as the DataFrame itself."""
    import numpy as np
    import pandas as pd

    m = json.loads((HERE / "monitor.json").read_text())
    val = [v if e < 14 else np.nan for e, v in zip(m["epoch"], m["val_loss"])]
    frame = pd.DataFrame({"_step": m["epoch"], "epoch": m["epoch"], "train/loss": m["loss"], "val/loss": val})
    frame.to_csv(tmp_path / "history.csv")
    for source in (tmp_path / "history.csv", frame):
        d = losslens.diagnose(source)
        assert d.verdict == "still_improving", str(d)
        assert any(e.startswith("val_loss stops at epoch 13, while training goes on to epoch 59")
                   for e in d.causes[0].evidence), str(d)
