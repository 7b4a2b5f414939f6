"""A run at a uniform guess's loss with no gradient norm logged: the log cannot tell labels without signal from a
gradient that vanishes in a deep net, and the report says so (session 44's walk; tests/fixtures/ecosystem/
deep_sigmoid/make.py: ten 32-wide sigmoid layers on digits at SGD 0.05, both losses at ln 10 for 60 epochs, read
"check that the targets depend on the inputs" first with no word of the depth; the same labels with ReLUs and Adam
1e-3 reach validation accuracy 0.891)."""

from __future__ import annotations

import csv
from pathlib import Path

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
DIR = ECO / "deep_sigmoid"


def test_a_guess_with_no_gradient_logged_says_the_labels_and_the_depth_look_alike_there_only():
    d = losslens.diagnose(DIR / "sigmoid.csv")
    assert d.verdict == "stuck_at_init"
    said = [e for e in d.causes[0].evidence if e.startswith("nothing in this log tells why")]
    assert len(said) == 1 and "a gradient that vanishes before it reaches the early layers" in said[0]
    assert "a model of one hidden layer trained on the same data tells them apart" in said[0]
    # The labels do carry signal: the ReLU net on the same split learned them.
    with open(DIR / "relu_adam.csv") as fh:
        last = list(csv.DictReader(fh))[-1]
    assert float(last["val_accuracy"]) > 0.85
    # A log that tells keeps its own reading: every input one answer (dead ReLUs) puts the units first; a gradient
    # norm logged flat gets the vanishing-gradient line.
    dead = losslens.diagnose(ECO / "walk39_readings" / "dead_relu.csv", classes=10)
    rnn = losslens.diagnose(ECO / "torch_walk39c" / "rnn_vanish.csv")
    assert rnn.causes[0].evidence[-1].startswith("the gradient norm held flat while the loss sat at a guess")
    for other in (dead, rnn):
        assert other.verdict == "stuck_at_init"
        assert not any(e.startswith("nothing in this log tells why") for e in other.causes[0].evidence)
