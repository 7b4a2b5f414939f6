"""A run its first epoch threw far above a fresh network's loss is no run that never moved; a forecast gain under
one validation example is no gain to train for; an X interval over most of the run is said to be uncertain.
Real logs: tests/fixtures/ecosystem/keras_lr_blowup/make.py (Keras 3 CSVLogger, a 64-64-10 digits MLP at Adam 0.3
and SGD 5, two seeds, each beside its lr / 10; figures in its make.out), keras_adam_high_lr (the same task, one
hidden layer), and a scikit-learn MLPClassifier trained here."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.readers import read
from losslens.report.html import report_html
from losslens.report.text import headline, render_text

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
BLOWUP = ECO / "keras_lr_blowup"


@pytest.mark.parametrize("seed", [0, 1])
def test_a_run_thrown_far_above_ln_k_by_its_first_epoch_diverged(seed):
    """Adam 0.3: val_loss exactly 14.5 at every epoch from the first (6.3x ln 10 = 2.303, where a fresh
    network starts), training 14.2 -> 14.5. It read "stuck at initialization ... the weights were never
    updated", its actions the optimizer's plumbing, nothing about the lr. The same net at Adam 0.03 learns
    (val best < 0.2): the step is the cause. With K given, the verdict is diverged, lower the lr and restart first."""
    [run] = read(BLOWUP / f"adam_0.3_s{seed}.csv")
    val, train = run.series["val_loss"], run.series["train_loss"]
    assert np.all(val == val[0]) and val.min() > 6 * math.log(10) and train[-1] > train[0]
    [low] = read(BLOWUP / f"adam_0.03_s{seed}.csv")
    assert np.nanmin(low.series["val_loss"]) < 0.2
    d = losslens.diagnose(BLOWUP / f"adam_0.3_s{seed}.csv", classes=10)
    assert d.verdict == "diverged" and "stuck_at_init" not in d.cause_ids()
    assert "x ln 10 = 2.303, the loss of a fresh network" in d.cause.evidence[0]
    # why a restart, not a lower rate from here (a second, shorter RESTART_LOWER had dropped it)
    assert d.cause.actions[0].endswith(": units that died or saturated will not recover")
    assert not any("never updated" in e or "optimizer updates" in a for c in d.causes
                   for e, a in zip(c.evidence, c.actions))
    assert d.plateau.epoch == 0
    # Runs that sit at a fresh network's loss, not above it, still never got going, K given or not: an optimizer
    # that never stepped, a 10-layer sigmoid MLP at ln 10, and NT-Xent at ln 255 (K = 10 given wrongly: its
    # accuracy 0.005 is far under 1/10, so 10 is not what its loss chooses among).
    for path in ("torch_weights_not_updated/no_dropout.csv", "torch_weights_not_updated/dropout0.5.csv",
                 "layer_grads/sigmoid_monitor.json", "torch_contrastive/unpaired.json"):
        assert losslens.diagnose(ECO / path, classes=10).verdict == "stuck_at_init", path


def test_without_k_the_frozen_rise_is_a_step_not_an_optimizer_that_never_stepped():
    """Without --classes there is no ln K to compare with; the training loss still says the weights moved: it
    rose from its first point and then froze. Not "never updated": lower the lr and restart, first. (And the loss
    is Keras's for answers given with certainty: diverged, as with K; tests/test_chance_inferred.py.)"""
    d = losslens.diagnose(BLOWUP / "adam_0.3_s0.csv")
    assert d.verdict == "diverged"
    assert any(e.startswith("train_loss rose from 14.24, then froze") for e in d.cause.evidence)
    assert not any("never updated" in e for e in d.cause.evidence)
    assert d.cause.actions[0] == ("lower the learning rate (try 1/10) and restart from scratch: units that died or "
                                  "saturated will not recover")


@pytest.mark.parametrize("log", ["adam_0.3_s0.csv", "sgd_5_s1.csv"])
def test_with_k_the_frozen_rise_is_worded_as_without_it(log):
    """With --classes the ln K reading replaced the stuck cause and worded its facts again, its own way ("exactly
    ... at all 30 epochs: ... died or saturated there", "train_loss a -> b: the weights were updated"), dropping
    the rise-then-freeze line the run reads without K. One rule words those facts: with K, the ln K line comes
    first and the rest of the evidence is the reading without K, line for line."""
    without = losslens.diagnose(BLOWUP / log)
    with_k = losslens.diagnose(BLOWUP / log, classes=10)
    assert without.verdict == "diverged" and with_k.verdict == "diverged"
    assert "x ln 10 = 2.303, the loss of a fresh network" in with_k.cause.evidence[0]
    # (Without K the first line is the certain-answer reading instead of ln K's; the rest line for line.)
    assert "Keras's loss when every answer is given with certainty" in without.cause.evidence[0]
    assert with_k.cause.evidence[1:] == without.cause.evidence[1:]
    assert with_k.cause.evidence[2].startswith("train_loss rose from ")


@pytest.mark.parametrize("seed", [0, 1])
def test_sgd_thrown_off_its_start_diverged_too(seed):
    """SGD 5: the same throw by another optimizer; SGD 0.5 learns."""
    d = losslens.diagnose(BLOWUP / f"sgd_5_s{seed}.csv", classes=10)
    assert d.verdict == "diverged" and d.cause.actions[0].startswith("lower the learning rate")
    [low] = read(BLOWUP / f"sgd_0.5_s{seed}.csv")
    assert np.nanmin(low.series["val_loss"]) < 0.5


@pytest.mark.parametrize("seed", [0, 1])
def test_one_hidden_layer_at_adam_03_with_k_given_diverged(seed):
    """keras_adam_high_lr's Adam 0.3 (one hidden layer): val_loss wanders 12.9-13.0, not exactly constant, and
    the stuck_at_init rule read it ("train_loss never moved far from its initial value 12.6"). With K = 10 given,
    12.6 is 5.5x ln 10: the same throw."""
    d = losslens.diagnose(ECO / "keras_adam_high_lr" / f"adam_0.3_s{seed}.csv", classes=10)
    assert d.verdict == "diverged"
    assert [c.id for c in d.causes] == ["diverged", "lr_too_high"]


def _sklearn_mlp_log(tmp_path):
    """The walker's sk.py: MLPClassifier(64) on digits with early_stopping=True (180 validation digits),
    n_iter_no_change=200 so it runs its 200 iterations; loss_curve_ and validation_scores_ as a CSV."""
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y = load_digits(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier((64,), max_iter=200, early_stopping=True, random_state=0,
                            n_iter_no_change=200).fit(X / 16, y)
    path = tmp_path / "mlp.csv"
    rows = ["epoch,loss,val_acc"] + [f"{i},{a!r},{b!r}" for i, (a, b) in
                                     enumerate(zip(clf.loss_curve_, clf.validation_scores_))]
    path.write_text("\n".join(rows) + "\n")
    return path, np.asarray(clf.validation_scores_)


def test_a_forecast_gain_under_one_validation_example_is_said_so(tmp_path):
    """val_acc 0.9944 on 180 validation digits (one error) reads converged, "stop: more epochs will not raise
    val_acc", beside "probability that training on lowers 1 - val_acc by > 1%: 89%" (the card: "P(improves)
    89%"). 1% of one error in 180 is a fiftieth of an example: the forecast's whole gain is under one example,
    the smallest step val_acc can take, and the evidence and the card say so. The JSON's p_improve keeps its
    meaning (P of > 1% lower error)."""
    path, scores = _sklearn_mlp_log(tmp_path)
    assert np.allclose(scores * 180, np.round(scores * 180))  # 180 examples behind every score
    d = losslens.diagnose(path)
    assert d.verdict == "converged" and d.metric == "val_acc"
    fc = d.forecast
    assert fc["p_improve"] > 0.5 and 0 < (fc["value"] - fc["level"]) * 180 < 1
    line = next(e for e in d.cause.evidence if e.startswith("probability that training on"))
    assert "of one validation example (val_acc on 180 examples moves in steps of 0.0056, one example)" in line
    page = report_html([d])
    assert "but its gain is" in page and "of one of the 180 validation examples" in page


def test_an_x_interval_over_most_of_the_run_is_said_to_be_uncertain():
    """keras_adam_high_lr SGD 1.0, seed 0: X = epoch 8 with its interval [7, 29] over a 30-epoch run (76% of it),
    printed as "plateau at epoch 8 [7, 29]" like a precise one. Now "X uncertain: anywhere in 7–29", in the text
    and the HTML card; the JSON keeps the interval. SGD 3.0 seed 0 ([8, 11]) keeps its brackets. (Since the
    bootstrap reads the noise at each point, test_x_interval.py: [6, 27] and [8, 12]; since a resample's end dip
    within its noise no longer sets its floor, facts.plateau.settled_min, SGD 1.0 reads [6, 17], and the wide example
    is fresh_kinds2's AdamW at weight decay 1, wide: X = 31 [12, 38] over 40 epochs.)"""
    wide = losslens.diagnose(ECO / "fresh_kinds2" / "cf_adamw_wd1_wide.json")
    lo, hi = wide.plateau.interval
    axis = wide.run.axis
    assert (hi - lo) / (axis[-1] - axis[0]) > 0.5
    assert "plateau at epoch 31 (X uncertain: anywhere in 12–38)" in headline(wide)
    assert wide.to_dict()["plateau"]["interval"] == [12, 38]
    assert "X uncertain: anywhere in 12\u201338" in report_html([wide])
    narrow = losslens.diagnose(ECO / "keras_adam_high_lr" / "sgd_3_s0.csv")
    assert "plateau at epoch 9 [8, 12]" in render_text(narrow) and "uncertain" not in headline(narrow)
