"""Losses shaped unlike MSE or cross-entropy over the classes. A VAE's loss read with its KL term
(facts/elbo.py): logs written by Lightning's CSVLogger and Keras 3's CSVLogger (keras.io's VAE example),
tests/fixtures/ecosystem/lightning_vae and keras_vae. A contrastive loss (NT-Xent) at its chance level
ln(2B - 1): a torch loop's losslens Monitor, tests/fixtures/ecosystem/torch_contrastive."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.readers import read

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
LT = ECO / "lightning_vae"


def _end(run, key):
    y = run.series[key]
    y = y[np.isfinite(y)]
    return float(np.median(y[-5:]))


def test_posterior_collapse_is_named_and_a_bigger_model_is_not_the_advice():
    # beta = 10: the KL term falls to ~0 in the first epochs and the loss holds at an average digit's
    # reconstruction. The old reading, "underfitting (too little capacity): a bigger model", fails its own
    # check: 4x the width ends at the same level; beta = 1 reaches far lower reconstruction.
    collapsed, wide, beta1 = (read(LT / d / "metrics.csv")[0] for d in ("beta10", "beta10_wide", "beta1"))
    assert _end(wide, "val_loss") > 0.97 * _end(collapsed, "val_loss")  # the intervention
    assert _end(collapsed, "val_kl") < 0.001 * _end(collapsed, "val_loss") < _end(beta1, "val_kl")
    assert _end(beta1, "val_recon") < 0.9 * _end(collapsed, "val_recon")
    d = losslens.diagnose(collapsed)
    assert d.verdict == "underfitting" and d.causes[0].numbers["kl_collapse"] == 1.0
    assert "posterior collapse" in d.causes[0].evidence[0] and "val_kl" in d.causes[0].evidence[0]
    assert d.causes[0].actions[0].startswith("lower the KL weight (beta = 10)")
    assert not any(a.startswith("a bigger model or better features") for a in d.causes[0].actions)
    assert "posterior collapse" in str(d).splitlines()[0]
    assert d.to_dict()["facts"]["elbo"]["collapsed"] is True


def test_an_elbo_flat_at_its_floor_is_not_underfitting_by_its_level():
    # beta = 1: both losses level at ~60% of their start. That is the data's entropy under the decoder,
    # not a capacity limit: 4x the width ends only a few percent lower (the >= 30% underfitting promises).
    run, wide = (read(LT / d / "metrics.csv")[0] for d in ("beta1", "beta1_wide"))
    assert _end(wide, "train_loss") > 0.9 * _end(run, "train_loss")  # the intervention
    d = losslens.diagnose(run)
    assert d.verdict == "converged" and "underfitting" not in [c.id for c in d.causes]
    assert d.to_dict()["facts"]["elbo"]["collapsed"] is False


def test_a_plateau_inside_the_kl_warm_up_is_not_where_to_stop():
    # beta warmed up 0 -> 1 over 30 epochs: the total loss stalls while the KL weight climbs; X fell inside
    # the warm-up and the advice was "stop at X", a model trained for half the KL weight asked for.
    [run] = read(LT / "warmup" / "metrics.csv")
    d = losslens.diagnose(run)
    # (the intervention: the model at X scores far worse on the ELBO (beta = 1) trained at the end)
    vx, recon, kl = (run.series[k][np.isfinite(run.series["val_loss"])] for k in ("val_loss", "val_recon", "val_kl"))
    at_x = int(np.flatnonzero(run.axis[np.isfinite(run.series["val_loss"])] == d.plateau_epoch)[0])
    assert recon[at_x] + kl[at_x] > 1.05 * _end(run, "val_loss")
    settled = d.to_dict()["facts"]["elbo"]["weight_settled_at"]
    assert settled == 29 and d.plateau_epoch < settled
    text = " ".join(d.causes[0].evidence)
    assert "warm-up" in text and "beta went from" in text
    assert not any(a.startswith("stop at ") for a in d.causes[0].actions)
    assert d.causes[0].actions[0].startswith("judge the plateau from epoch 29")


def test_a_kl_tiny_only_next_to_a_loss_in_pixel_units_is_not_posterior_collapse():
    # 0..255 pixels, a sum-of-squared-errors reconstruction (tests/fixtures/ecosystem/torch_vae_pixels): the healthy
    # code keeps ~24 nats of KL, 0.02% of a loss of 1.2e5, and read "posterior collapse: lower beta". The control
    # feeds the decoder z * 0: its KL falls to ~0 and its reconstruction stays at the mean image's.
    healthy, collapsed = (read(ECO / "torch_vae_pixels" / f"{n}.csv")[0] for n in ("healthy", "collapsed"))
    assert _end(healthy, "val_kl") > 20 and _end(healthy, "val_kl") < 1e-3 * _end(healthy, "val_loss")
    assert _end(healthy, "val_recon") < 0.5 * _end(healthy, "val_recon_mean_image")  # the code carries the digit
    assert _end(collapsed, "val_kl") < 1e-3 and _end(collapsed, "val_recon") > 0.99 * _end(collapsed, "val_recon_mean_image")
    d = losslens.diagnose(healthy)
    assert d.to_dict()["facts"]["elbo"]["collapsed"] is False
    assert "underfitting" not in [c.id for c in d.causes] and "posterior collapse" not in str(d)
    c = losslens.diagnose(collapsed)
    assert c.to_dict()["facts"]["elbo"]["collapsed"] is True and c.causes[0].numbers["kl_collapse"] == 1.0


@pytest.mark.parametrize("log", ["beta1.log", "beta10.log"])
def test_keras_vae_example_log_reads_the_total_loss_not_the_kl_term(log):
    # keras.io's VAE logs total_loss, reconstruction_loss and kl_loss (and val_ ones): no plain loss. The KL
    # term was read as the loss: it rises as the code learns, so beta = 1 read "diverged".
    [run] = read(ECO / "keras_vae" / log)
    assert run.has("train_loss") and run.has("val_loss")
    assert np.allclose(run.series["val_loss"], run.series["val_total_loss"] if "val_total_loss" in run.series
                       else run.series["val_loss"])
    d = losslens.diagnose(run)
    assert d.metric == "val_loss" and d.verdict != "diverged"
    assert d.to_dict()["facts"]["elbo"]["kl"] == "val_kl_loss"
    if log == "beta10.log":
        assert d.verdict == "underfitting" and d.causes[0].numbers.get("kl_collapse") == 1.0
    else:
        assert d.verdict == "converged"


@pytest.mark.parametrize("names, kl", [
    (("train_loss", "val_loss", "train_kl", "val_kl"), "val_kl"),
    (("loss", "val_loss", "kl_loss", "val_kl_loss", "kl_weight"), "val_kl_loss"),
    (("train_loss", "val_loss", "train/kld_epoch", "val/kld_epoch"), "val_kld_epoch"),
    (("train_loss", "val_loss", "kl"), None),  # a training KL says nothing of the validation loss
])
def test_the_kl_column_of_the_diagnosed_split(names, kl):
    from losslens.facts.elbo import elbo_facts
    from losslens.run import Run
    n = 12
    cols = {c: np.linspace(2.0, 1.0, n) for c in names}
    run = Run.from_history(cols)
    e = elbo_facts(run, "val_loss")
    assert (e.kl if e else None) == kl


def test_a_contrastive_loss_held_at_its_chance_level_asks_about_the_pairs_first():
    # NT-Xent whose two views are of different images: nothing to learn, the loss sits at ln(2B - 1) = 5.541.
    # "stuck at initialization" led with the initialization, normalization and a larger lr; 10x the lr sits at
    # the same level, and the same loop and initialization with matching views learns (the init is fine).
    here = ECO / "torch_contrastive"
    unpaired, faster, paired = (read(here / f)[0] for f in ("unpaired.json", "unpaired_lr0.01.json", "paired.json"))
    chance = np.log(2 * 128 - 1)
    assert abs(_end(faster, "train_loss") - chance) < 0.002 * chance  # the interventions
    assert _end(paired, "val_loss") < 0.8 * chance
    d = losslens.diagnose(unpaired)
    assert d.verdict == "stuck_at_init"
    assert "a uniform guess's loss" in " ".join(d.causes[0].evidence)
    assert d.causes[0].actions[0].startswith("check that the targets depend on the inputs")
    assert "ln(2B − 1)" in d.causes[0].actions[0]
    # A model that learns is not told so.
    assert not any("targets depend" in a for c in losslens.diagnose(paired).causes for a in c.actions)


def test_shuffled_labels_under_a_focal_loss_say_nothing_carries_over():
    # CategoricalFocalCrossentropy starts at alpha (1 - 1/K)^gamma ln K (0.48 here), not ln K, so K is not
    # inferred and shuffled labels read "overfitting, early stopping at epoch 0" (cross-entropy and label
    # smoothing, K inferred, read no_signal). The right labels reach validation accuracy 0.94 on the same model.
    here = ECO / "keras_focal"
    shuffled, clean = (read(here / f)[0] for f in ("shuffled.csv", "clean.csv"))
    assert _end(clean, "val_acc") > 0.9 and _end(shuffled, "val_acc") < 0.15  # the intervention
    d = losslens.diagnose(shuffled)
    assert d.verdict == "overfitting"
    assert "nothing fitted carries over" in " ".join(d.causes[0].evidence)
    assert d.causes[0].actions[0].startswith("pass the number of classes (--classes K")
    assert losslens.diagnose(shuffled, classes=10).verdict == "no_signal"  # what the action leads to
    assert not any("carries over" in e for c in losslens.diagnose(clean).causes for e in c.evidence)
