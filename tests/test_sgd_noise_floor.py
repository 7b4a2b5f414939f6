"""A linear regression at plain SGD, batch 4 (tests/fixtures/ecosystem/torch_sgd_noise_floor, make.py): at a constant
lr of 0.03 validation scatters about 0.145 from epoch 0 to 99 (its 10-epoch means 0.141-0.155), the weights jittering
about the optimum by the step's noise; one epoch's 0.1303 (the next 0.174) read "it went on falling after epoch 0:
10% lower by epoch 97" and "stopping at 0 would have given up 10%"."""
from pathlib import Path

import numpy as np
import pytest

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
FIX = ECO / "torch_sgd_noise_floor"


def test_the_premise_the_constant_lr_run_holds_one_level():
    val = losslens.read(FIX / "sreg_flat.csv")[0].get("val_loss")
    means = val.reshape(10, 10).mean(axis=1)
    assert means.max() < 1.11 * means.min(), means  # (0.141-0.155)
    assert np.median(val[50:]) >= np.median(val[1:50])  # the later half no lower (0.1481 against 0.1402)
    assert val.min() < 0.9 * np.median(val)  # single epochs dip 10% and more under the level


def test_a_dip_of_one_epoch_is_no_fall_after_x():
    d = losslens.diagnose(FIX / "sreg_flat.csv")
    lines = [line for c in d.causes for line in c.evidence + [str(a) for a in c.actions]]
    assert not any("went on falling after" in line or "would have given up" in line for line in lines), lines


def test_a_fall_of_the_level_after_x_is_still_said():
    # (A guard: a Keras MLP under a cosine to 0 fell 0.5113 -> 0.4452 after X = 8 and sat at 0.448 from epoch 18.)
    d = losslens.diagnose(ECO / "keras_cosine_nolr" / "cos_s0.csv")
    assert any("went on falling after epoch 8" in e for e in d.causes[0].evidence), d.causes[0].evidence


def test_the_premise_a_smaller_step_goes_lower():
    flat = losslens.read(FIX / "sreg_flat.csv")[0].get("val_loss")
    small = losslens.read(FIX / "sreg_lr003.csv")[0].get("val_loss")
    stair = losslens.read(FIX / "sreg.csv")[0].get("val_loss")
    assert np.median(small[-10:]) < 0.7 * np.median(flat[-10:])  # lr 0.003: 0.0926 against 0.1465
    assert np.median(stair[40:50]) < 0.7 * np.median(stair[30:40])  # the staircase's first cut, x 0.1 at epoch 40


@pytest.mark.xfail(strict=True, reason="known miss: nothing in a constant-lr log tells the step's noise floor from "
                   "the data's: validation's point noise here is 7.4% of its level, and 16 of the 72 committed fixture "
                   "runs read converged at a constant logged lr scatter as much or more (median 2%); naming the decay "
                   "wherever the held lr scatters >= 1% of the level (tried in session 46) also told it to a BatchNorm "
                   "net at batch 2 (torch_bn_tiny_batch, where the step is not the cause) and the lab's MLP at its "
                   "noise floor")
def test_a_constant_lr_sgd_noise_floor_lists_decaying_the_lr(tmp_path):
    # The staircase cut before its first decay: epochs 0-39 at lr 0.03, read "converged, stop at epoch 0 ... change
    # the data or the model", where the cut took validation from about 0.145 to 0.092.
    rows = (FIX / "sreg.csv").read_text().splitlines()
    cut = tmp_path / "sreg_cut39.csv"
    cut.write_text("\n".join(rows[:41]) + "\n")
    d = losslens.diagnose(cut)
    said = " ".join(line for c in d.causes for line in c.evidence + [str(a) for a in c.actions])
    assert "learning rate" in said and ("decay" in said or "lower the" in said), said
