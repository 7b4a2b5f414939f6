"""Training pathologies users hit, on logs the libraries wrote (tests/fixtures/ecosystem/pathologies/, the
make_*.py beside them), each next to its counterfactual run: an RNN whose gradients exploded (clipping
fixes it), a Keras L2 penalty that outweighs the fit (a weaker one fixes it), and validation below training
throughout (a validation set drawn from the training rows; 30% noisy training labels). Each test asserts
the counterfactual's numbers, the premise, before the verdict.
"""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.readers import read

PP = Path(__file__).parent / "fixtures" / "ecosystem" / "pathologies"


def _hashes(root: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module", autouse=True)
def unchanged():
    before = _hashes(PP)
    yield
    assert _hashes(PP) == before, "an input file was modified"


def _column(path: Path, name: str) -> np.ndarray:
    with open(path, newline="") as f:
        return np.array([float(r[name]) if r[name] else np.nan for r in csv.DictReader(f)])


def _one(path: Path):
    [run] = read(path)
    return run


# ---- exploding gradients --------------------------------------------------------------------------------
def test_exploding_gradients_show_in_the_divergence_and_are_not_stuck_at_init(tmp_path):
    # A tanh RNN over 60 steps (recurrent weights x1.6), SGD 0.05, no clipping: grad norm 2.1 -> 443 at
    # epoch 14, NaN from 15. It read "diverged" and also "stuck_at_init (0.90): gradient norm stayed at
    # 2.1-4.4e+02 from the start" (an early/late ratio of 1/210 passed "< 2"). Clipped at 1.0 it learns.
    raw, cf = PP / "explode_rnn.csv", PP / "cf_explode_rnn_clip1.csv"
    g, v = _column(raw, "grad_norm"), _column(raw, "val_loss")
    assert np.nanmax(g) / g[0] > 100 and np.isnan(v[-1])                     # the premise: it exploded ...
    assert _column(cf, "val_loss").min() < 0.2 * np.nanmin(v)                  # ... and clipping fixes it
    d = losslens.diagnose(_one(raw))
    c = d.causes[0]
    assert d.verdict == "diverged" and "stuck_at_init" not in d.cause_ids(), str(d)
    assert any("gradient norm exploded: 210x" in e and "443 at epoch 14" in e for e in c.evidence), c.evidence
    assert c.actions[0].startswith("gradient clipping") and c.numbers["grad_norm_rise"] == pytest.approx(209.7, abs=1)
    assert losslens.diagnose(_one(cf)).verdict != "diverged"
    # The report renders the gradient norms and the explosion.
    out = tmp_path / "r.html"
    r = subprocess.run([sys.executable, "-m", "losslens", "report", str(raw), "-o", str(out)], capture_output=True,
                       text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert r.returncode == 0, r.stderr
    html = out.read_text()
    assert '"grad norm"' in html and "gradient norm exploded" in html


# ---- a step that grew until the loss blew up ------------------------------------------------------------
def test_a_diverged_run_that_fell_first_gets_the_x_of_its_fall_not_its_first_epoch():
    # A torch MLP on diabetes (tests/torch_loops.py), SGD 0.05 grown 35% an epoch (ExponentialLR), batch 64:
    # val_loss fell 0.73 -> 0.47 over epochs 1-5, swung 1.2, 6.9, 1.0 ... and was NaN from epoch 13. Its X
    # read "epoch 1 [1, 1]" (the swings counted as the curve's noise: 0.26 of fall under 3 noise sds).
    import json

    from torch_loops import diabetes_mlp_run

    h = diabetes_mlp_run(0.05, epochs=16, lr_growth=1.35, batch=64)
    v = np.array(h["val_loss"])
    nan_from = int(np.flatnonzero(~np.isfinite(v))[0])
    assert 10 <= nan_from <= 14 and int(np.argmin(v[:nan_from])) >= 3                # the premise
    assert v[0] - v[:nan_from].min() > 0.2 and v[:nan_from].max() > 5 * v[0]
    d = losslens.diagnose(h)
    assert d.verdict == "diverged", str(d)
    best = int(np.argmin(v[:nan_from]))
    assert 3 <= d.plateau.epoch <= h["epoch"][best], d.plateau                     # where the fall flattened
    assert d.plateau.interval[0] > h["epoch"][0] and d.plateau.level < v[0] - 0.15
    out = json.loads(d.to_json())
    assert out["plateau_epoch"] == d.plateau.epoch > h["epoch"][0]


# ---- a penalty that outweighs the fit -------------------------------------------------------------------
def test_a_keras_l2_penalty_that_outweighs_the_fit_is_underfitting_not_converged():
    # kernel_regularizer=l2(0.1) on a 64-128-10 digits MLP: Keras adds the penalty to the logged loss, which
    # fell 9.96 -> 2.29 while training accuracy fell from 0.76 (epoch 3) to 0.36. It read "converged: stop at
    # epoch 4". With l2(1e-4) the same model reaches 99.6% training accuracy and val_loss 0.116.
    raw, cf = PP / "weight_decay_l2_0.1.csv", PP / "cf_weight_decay_l2_1e-4.csv"
    assert _column(cf, "accuracy")[-1] > 0.99 and _column(cf, "val_loss").min() < 0.1 * _column(raw, "val_loss").min()
    acc = _column(raw, "accuracy")
    assert acc.max() > 0.7 and acc[-1] < 0.4                                    # the premise: the fit was lost
    d = losslens.diagnose(_one(raw))
    c = d.causes[0]
    assert d.verdict == "underfitting", str(d)
    assert "fell from 0.702 (epoch 3) to 0.362" in c.evidence[0] and "no longer the fit" in c.evidence[0]
    assert c.actions[0].startswith("less regularization")
    assert losslens.diagnose(_one(cf)).verdict != "underfitting"


# ---- validation below training throughout -------------------------------------------------------------
def test_validation_far_below_training_says_what_to_check():
    # (a) Keras, dropout 0.5, validation_data = 300 rows of the training set: val_loss 0.0057 against a training
    # loss of 0.033; the same model on held-out rows scores 0.065 (cf_leak_heldout_val.csv). (b) Lightning,
    # 30% of the training labels replaced at random, clean validation: val 0.54 against training 1.07; clean
    # labels reach 0.107. Neither curve pair can say which; the verdict's evidence says what to check.
    leak, held = PP / "leak_val_from_train.csv", PP / "cf_leak_heldout_val.csv"
    assert _column(held, "val_loss").min() > 5 * _column(leak, "val_loss")[-1]   # the premise: a leak
    noisy, clean = (PP / "lightning" / n / "metrics.csv" for n in ("label_noise_0.3", "cf_label_noise_0"))
    nv, cv = _one(noisy).finite("val_loss")[1], _one(clean).finite("val_loss")[1]
    assert cv.min() < 0.25 * nv.min() and _one(noisy).finite("train_loss")[1][-1] > 1.0
    for path, ratio in ((leak, 0.17), (noisy, 0.5)):
        d = losslens.diagnose(_one(path))
        c = d.causes[0]
        assert any("sat below train_loss at 100% of its points" in e for e in c.evidence), str(d)
        assert c.numbers["val_train_ratio_end"] == pytest.approx(ratio, abs=0.02)
        assert any("score the training set in eval mode" in a for a in c.actions)
    # Dropout with a held-out validation set ends above training: nothing to check there.
    d = losslens.diagnose(_one(held))
    assert not any("sat below train_loss" in e for c in d.causes for e in c.evidence)
