"""Session 39's walk C: a first-epoch blow-up read as a logging glitch, and logged gradient norms left unread
(each fixture trained by PyTorch: tests/fixtures/ecosystem/torch_walk39c/make.py; make.out holds each run's first and
last rows)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.facts import smoothing

W = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_walk39c"


def _without(tmp_path: Path, name: str, column: str) -> Path:
    """The fixture ``name`` with ``column`` dropped, written under ``tmp_path``."""
    with open(W / name, newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = tmp_path / name
    with open(out, "w", newline="") as fh:
        w = csv.DictWriter(fh, [k for k in rows[0] if k != column])
        w.writeheader()
        w.writerows({k: v for k, v in r.items() if k != column} for r in rows)
    return out


@pytest.mark.parametrize("classes", [10, None])
def test_blow_up_with_its_gradient_is_no_glitch(classes):
    # SGD 3.0 on a BatchNorm CNN: epoch 0's training loss 1.5e22 at a logged gradient norm 5e17, then both losses at
    # ln 10 and accuracies ~0.1 for 39 epochs. Old code left the point out as "a glitch (an overflow, a logging
    # error)" and read underfitting, "a bigger model"; SGD 0.3 (bn_high0.3.csv) reaches val 0.04, accuracy 0.99.
    d = losslens.diagnose(W / "bn_high3.csv", classes=classes)
    assert d.verdict == "lr_too_high"
    ids = [c.id for c in d.causes]
    assert "underfitting" not in ids
    assert not any("bigger model" in a for c in d.causes for a in c.actions)
    ev = " ".join(d.causes[0].evidence)
    assert "glitch (an overflow" not in ev
    assert "1.486e+22" in ev and "5e+17" in ev
    assert d.causes[0].actions[0].startswith("lower the learning rate (try 1/10) and restart")
    better = losslens.diagnose(W / "bn_high0.3.csv", classes=classes)
    assert better.verdict != "lr_too_high" and min(better.run.series["val_loss"]) < 0.1


def test_thrown_start_at_ln_k_is_no_glitch_without_a_gradient_norm(tmp_path):
    # The same log with no gradient norm: a start 1e21 x ln 10 that lands at ln 10 with the accuracies at 1/10 is
    # the first steps throwing the outputs, not a logging error.
    d = losslens.diagnose(_without(tmp_path, "bn_high3.csv", "grad_norm"), classes=10)
    assert d.verdict == "lr_too_high"
    assert "underfitting" not in [c.id for c in d.causes]
    assert not any("glitch (an overflow" in e for c in d.causes for e in c.evidence)


def test_exploding_rnn_quotes_its_gradient_norm_and_clips_first():
    # A tanh RNN whose recurrent weights are orthogonal x 1.6, SGD 0.05: gradient norm 7.7e10 at epoch 0, NaN from
    # epoch 1. Old code read diverged with "lower the learning rate" first and no word of the logged norm.
    d = losslens.diagnose(W / "rnn_explode.csv")
    assert d.verdict == "diverged"
    v = d.causes[0]
    assert any("gradient norm 7.73e+10 at epoch 0" in e and "blew up with the loss" in e for e in v.evidence)
    assert v.actions[0].startswith("gradient clipping")
    assert v.numbers["grad_norm_at_blowup"] > 1e10


def test_a_flat_gradient_norm_at_a_guess_names_vanishing_gradients():
    # The vanishing-gradient RNN led with "check that the targets depend on the inputs" and nothing else on its
    # gradient: the curves cannot tell labels without signal from a gradient that dies on its way back, so both are
    # named, the cheap labels check first.
    d = losslens.diagnose(W / "rnn_vanish.csv")
    acts = d.causes[0].actions
    assert acts[0].startswith("check that the targets depend on the inputs")
    assert acts[1].startswith("gradients vanish? gating (an LSTM or GRU")
    assert any("vanishes on its way back" in e for e in d.causes[0].evidence)


def _direct_tapered_mean(y: np.ndarray, half: int) -> np.ndarray:
    """Each point's window summed on its own (no running sum), the width facts.smoothing.tapered_mean gives it."""
    n = y.shape[0]
    out = np.empty(n)
    for i in range(n):
        h = min(i, n - 1 - i, half)
        out[i] = y[i - h:i + h + 1].sum() / (2 * h + 1)
    return out


def test_a_blow_up_leaves_the_smooth_after_it_its_digits():
    # bn_high3's training loss: 1.5e22 at epoch 0, then 2.33. A running sum carried the 1.5e22 and kept none of the
    # 2.33s: every mean after it read 0 (facts' train_end 0.0, the chart's training line at 0 from epoch 2).
    y = np.loadtxt(W / "bn_high3.csv", delimiter=",", skiprows=1, usecols=1)
    assert y[0] > 1e22
    for half in (1, 2, 5, 15):
        got = smoothing.tapered_mean(y, half)
        np.testing.assert_allclose(got, _direct_tapered_mean(y, half), rtol=1e-13, atol=0)
        assert [m.tobytes() for m in smoothing.tapered_means(y, half)][-1] == got.tobytes()
        lvl = smoothing.level_smooth(y, 2 * half + 1)
        assert np.all(np.abs(lvl[2 * half + 1:] - math.log(10)) < 0.05)
    s = smoothing.smooth(y)
    assert np.all(np.abs(s[2:] - math.log(10)) < 0.05), s[:5]
    # The same on a batch of rows (the bootstrap's) and against direct sums of random series holding huge values.
    rng = np.random.default_rng(0)
    rows = rng.normal(2.3, 0.1, size=(6, 57))
    rows[np.arange(6), rng.integers(0, 57, size=6)] = 10.0 ** rng.uniform(8, 22, size=6)
    for half in (1, 4, 9):
        want = np.stack([_direct_tapered_mean(r, half) for r in rows])
        np.testing.assert_allclose(smoothing.tapered_mean(rows, half), want, rtol=1e-13, atol=0)
    d = losslens.diagnose(W / "bn_high3.csv")
    g = d.facts.generalization
    assert abs(g.train_end - math.log(10)) < 0.05 and abs(g.train_at_val_min - math.log(10)) < 0.05
    from losslens.report.plot import chart_data
    train = next(s for s in chart_data(d)["loss"] if s["key"] == "train_loss")
    assert all(abs(v - math.log(10)) < 0.05 for v in train["smooth"][1:])


def test_x_of_a_run_at_a_guess_after_its_blow_up_is_the_first_point_after_it():
    # Validation at ln 10 from epoch 1 (2.47 at epoch 0, after the 1.5e22 of training's first epoch): the fall back
    # was read as a drop, X = 13 [9, 35] off the noise after it, and the chart shaded a "steep drop" over epochs 0-12.
    d = losslens.diagnose(W / "bn_high3.csv")
    assert d.verdict == "lr_too_high"
    assert d.plateau_epoch == 1 and tuple(d.plateau.interval) == (1, 1)
    names = [p["name"] for p in d.phases]
    assert "steep_drop" not in names and "slow_descent" not in names
    assert d.phases[0] == {"name": "plateau", "start": 1.0, "end": d.phases[0]["end"]}
    assert any(e.startswith("X is epoch 1, the first point after the blow-up") for e in d.causes[0].evidence)
    assert abs(d.plateau.level - math.log(10)) < 0.1  # (where it sat from there, not a smooth reaching into epoch 0)
    from losslens.report.plot import chart_data
    c = chart_data(d)
    assert c["plateau"]["x"] == 1 and [p["name"] for p in c["phases"]] == names
    # DeepOBS' 3c3d at Adam 0.158: 3.59, then 314 at epoch 1, falling back to ln 10 by epoch 84, X = 84: the way back
    # was drawn a "steep drop" 0-81 and a "slow descent" 81-84.
    blow = losslens.diagnose(W.parent / "deepobs_blowup" / "adam_lr0.158.csv")
    assert blow.plateau_epoch == 84 and [p["name"] for p in blow.phases] == ["plateau"]
    # A run still falling after its blow-up learned something from there: its own X stands (the class prior at SGD
    # 0.01, val 0.66 -> 0.31 over 60 epochs: still falling, no X; 240 epochs: X = 111).
    prior = W.parent / "torch_imbalanced_prior"
    assert losslens.diagnose(prior / "sgd_lr0.01.csv").plateau_epoch is None
    assert losslens.diagnose(prior / "cf_sgd_lr0.01_ep240.csv").plateau_epoch == 111


@pytest.mark.parametrize("log", ["rnn_vanish.csv", "../fresh_kinds/cf_deep_sigmoid_relu.json",
                                 "../torch_contrastive/unpaired.json"])
def test_no_bounce_read_on_losses_that_never_left_a_guess(log):
    # A tanh RNN asked the sign of the first of 60 inputs, Adam 1e-3: both losses start and stay at ln 2 (0.695 ->
    # 0.689 training, 0.699 -> 0.694 validation), 7 noise sds, and old code listed "lr_too_high (85%): bounces
    # around its floor ... sd 11% of its whole improvement". Likewise a 10-layer ReLU MLP at ln 10 (80%) and NT-Xent
    # on views that share nothing at ln 255 (62%), where 10x the lr stays there too (unpaired_lr0.01.json).
    d = losslens.diagnose(W / log)
    assert d.verdict == "stuck_at_init"
    assert "lr_too_high" not in d.cause_ids()


def test_a_thrown_start_that_settled_at_a_guess_keeps_its_bounce():
    # The control: a digits MLP at Adam 0.1 whose first steps threw its training loss to 3.31 before both losses
    # settled at ln 10 left the guess; it learns at Adam 0.01 (test_thrown_start_readings), so lr_too_high stays.
    hlr = W.parent / "torch_high_lr_relapse" / "cf_adam_lr0.1.csv"
    with open(hlr, newline="") as fh:
        assert float(next(csv.DictReader(fh))["train_loss"]) > 3.0  # the premise: thrown well above ln 10
    assert losslens.diagnose(hlr).verdict == "lr_too_high"
