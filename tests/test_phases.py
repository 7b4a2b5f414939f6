"""The phases a diagnosis reports: the steep drop ends where the curve has made 70% of its improvement, a share
of it, whatever the loss's scale; the slow descent runs from there to X (docs/ARCHITECTURE.md, ``phases``)."""

from pathlib import Path

import numpy as np
import pytest

import losslens

ARTICLE = Path(__file__).parent / "fixtures" / "article"


def _named(phases, name):
    return next(p for p in phases if p["name"] == name)


@pytest.mark.parametrize("scale", [0.01, 1.0, 100.0])
def test_steep_drop_ends_at_70_percent_at_any_scale(scale):
    # exp(-e/6) has made 70% of its improvement at e = 6 ln(1/0.3) = 7.2, so at epoch 8; 95% (X) at epoch 18.
    # The steep drop once ran to X at every scale, with no slow descent between them.
    epochs = np.arange(60)
    d = losslens.diagnose({"train_loss": list(scale * np.exp(-epochs / 6))}, metric="train_loss")
    facts = d.facts.phases
    assert [p["name"] for p in facts] == ["steep_drop", "slow_descent", "plateau"]
    assert _named(facts, "steep_drop") == {"name": "steep_drop", "start": 0.0, "end": 8.0}
    assert _named(facts, "slow_descent") == {"name": "slow_descent", "start": 8.0, "end": 18.0}
    assert d.facts.plateau.epoch == 18.0
    # The report's phases (named by the verdict) keep the same end of the steep drop.
    assert _named(d.phases, "steep_drop")["end"] == 8.0


def test_steep_drop_ends_at_70_percent_on_a_real_keras_log():
    # A Keras MLP's validation loss (Adam, 50 epochs; record_keras.py): 0.430 -> 0.031, 70% of that made at
    # epoch 8, 95% (X) at 27; the steep drop was drawn 0-27.
    path = ARTICLE / "exp3_adam.json"
    d = losslens.diagnose(str(path))
    assert d.metric == "val_loss"
    y = d.facts.y
    made = (y[0] - y) / (y[0] - y.min())
    seventy = int(np.argmax(made >= 0.7))
    end = _named(d.phases, "steep_drop")["end"]
    assert end == float(d.facts.x[seventy]) == 8.0
    descent = _named(d.phases, "slow_descent")
    assert descent["start"] == end and descent["end"] > end
