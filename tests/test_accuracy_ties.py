"""A validation accuracy diagnosed with --metric: its best among ties, and overfitting read off its own fall.

Fixtures: tests/fixtures/ecosystem/accuracy_ties (make.py; real torch and Keras fits on breast cancer and digits,
with the test set's accuracy at every epoch as the truth)."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import losslens
from losslens.cli import app

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "accuracy_ties"


def _ties(name):
    va = pd.read_csv(HERE / name).val_accuracy.to_numpy()
    return np.flatnonzero(va == va.max())


def test_the_best_of_a_tied_accuracy_is_one_epoch_in_the_json_and_the_action():
    """bc_torch: val_accuracy's best 0.9718 recurs at 26 of 80 epochs, the first at epoch 5 (test accuracy 0.944
    there, 0.972-0.979 at the later ties). The action named epoch 5 while --json's best.epoch said 20."""
    from typer.testing import CliRunner

    out = CliRunner().invoke(app, ["diagnose", str(HERE / "bc_torch.csv"), "--metric", "val_accuracy", "--json"])
    d = json.loads(out.stdout)
    ties = _ties("bc_torch.csv")
    assert ties.size >= 20 and ties[0] == 5
    best = d["best"]["epoch"]
    over = next(c for c in d["causes"] if c["id"] == "overfitting")
    assert f"its best weights are from epoch {best:g} " in over["actions"][0]
    assert "epoch 5 " not in over["actions"][0].split("its first maximum")[0]
    # Not the first tie: the weights kept are among the later ties, which held the test accuracy up.
    truth = pd.read_csv(HERE / "bc_torch_truth.csv").test_accuracy.to_numpy()
    assert best > ties[0] and truth[int(best)] > truth[ties[0]] + 0.02
    # The single best point is the last of the raw ties.
    assert d["best"]["point"]["epoch"] == ties[-1]


def test_an_accuracy_that_did_not_fall_is_not_read_overfitting_off_the_losses():
    """keras_digits: val_loss rose from epoch 22, val_accuracy held 0.933-0.937 from epoch 18 to 99 (test
    0.935 -> 0.943); bc_torch: its fall is 1 example of 142. Overfitting is the losses' reading there: listed as
    possible, its evidence first the accuracy's own course, the losses' lines labelled as support."""
    for name in ("keras_digits.csv", "bc_torch.csv"):
        d = losslens.diagnose(HERE / name, metric="val_accuracy")
        assert d.verdict != "overfitting", name
        over = next(c for c in d.causes if c.id == "overfitting")
        assert over.status == "possible" and over.confidence <= 0.5
        assert over.evidence[0].split(" ", 1)[1].startswith("did not fall beyond its noise")
        assert "binomial sds" in over.evidence[0]
        assert all(e.startswith("support, from the losses") for e in over.evidence[1:])
        assert any("val_loss" in e for e in over.evidence[1:])


def test_the_callback_keeps_the_last_tie_of_a_score():
    """The Watcher fed Keras' logged breast-cancer epochs, monitor val_accuracy: the weights kept (best_epoch, and a
    snapshot at that epoch) are the last of the tied maxima, not the first (test 0.9518 at the first tie here)."""
    from losslens.integrations._core import Watcher

    log = pd.read_csv(HERE / "keras_bc.csv")
    truth = pd.read_csv(HERE / "keras_bc_test.csv").test_accuracy.to_numpy()
    ties = _ties("keras_bc.csv")
    assert ties.size > 10 and truth[ties[0]] < truth[ties[-1]]
    w = Watcher(monitor="val_accuracy", stop_on=(), start_from_epoch=10_000, verbose=0, framework="test")
    snapshots = []
    for row in log.to_dict("records"):
        e = int(row.pop("epoch"))
        if w.end_epoch(e, row).improved:
            snapshots.append(e)
    assert w.best_epoch == ties[-1] and snapshots[-1] == ties[-1]
    assert w.best == pytest.approx(log.val_accuracy.max())
    # The patience ran on through the ties: a tie is no improvement.
    assert w.wait == len(log) - 1 - int(np.flatnonzero(log.val_accuracy.to_numpy() >= log.val_accuracy.max())[0])
