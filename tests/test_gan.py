"""A GAN's log (d_loss / g_loss): read as a two-player game, not as one objective's plateau.

The fixtures are Lightning CSVLogger logs of a GAN on 8 Gaussians (tests/fixtures/ecosystem/lightning_gan/make.py),
with two sample-quality columns (modes, hq) the diagnosis does not read.
"""

from pathlib import Path

import numpy as np
import pytest

from losslens import diagnose
from losslens import read

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "lightning_gan"


def _d(name, path=None):
    return diagnose(path or HERE / name / "metrics.csv")


def _modes(name):
    run = read(HERE / name / "metrics.csv")[0]
    return float(np.median(run.series["modes"][-15:]))


def test_balanced_gan_is_no_learning_rate_problem():
    # Old reading: "learning rate too high -- d_loss bounces around its floor; lower the learning rate".
    d = _d("balanced")
    head = d.causes[0]
    assert d.metric == "d_loss"
    assert "lr_too_high" not in {c.id for c in d.causes}
    assert head.numbers.get("adversarial") and not head.numbers.get("d_wins")
    assert 0.5 <= head.numbers["d_share"] <= 1.5
    text = str(d)
    assert "two-player game" in text and "balanced" in text.split("\n")[0]
    assert not any("lower the learning rate" in a for c in d.causes for a in c.actions)
    assert not any(a.startswith("stop at ") for c in d.causes for a in c.actions)
    assert any("samples" in a for a in head.actions)


def test_discriminator_winning():
    # Old reading: "diverged -- d_loss ended 73% above its starting value; lower the learning rate".
    d = _d("d_wins")
    head = d.causes[0]
    assert d.verdict != "diverged"
    assert head.numbers.get("d_wins") and head.numbers["d_share"] < 0.5
    assert any("fewer D steps" in a for a in head.actions)
    assert any("label smoothing" in a for a in head.actions)
    assert any("Wasserstein" in a for a in head.actions)
    assert "discriminator winning" in str(d).split("\n")[0]


def test_fewer_d_steps_keeps_d_loss_from_zero():
    # The action measured on the run: 5 -> 1 D steps lifts the D loss toward its equilibrium and the samples
    # onto more modes; with D's lr back to G's as well, the game reads balanced.
    won, one_step, balanced = (_d(n).causes[0].numbers["d_share"] for n in ("d_wins", "d_wins_1step", "balanced"))
    assert won < one_step < balanced
    assert _modes("d_wins") < _modes("d_wins_1step") <= _modes("balanced")
    assert one_step - won > 0.1


@pytest.mark.parametrize("d_name,g_name,read_as", [
    ("loss_D", "loss_G", "loss_d"), ("disc_loss", "gen_loss", "disc_loss"),
    ("discriminator_loss", "generator_loss", "discriminator_loss"), ("train/d_loss", "train/g_loss", "train_d_loss"),
    ("train_loss_D", "train_loss_G", "train_loss_d"), ("errD", "errG", "errd"),
])
def test_gan_column_names(tmp_path, d_name, g_name, read_as):
    src = (HERE / "balanced" / "metrics.csv").read_text().splitlines()
    p = tmp_path / "metrics.csv"
    p.write_text("\n".join([src[0].replace("d_loss", d_name).replace("g_loss", g_name)] + src[1:]) + "\n")
    d = diagnose(p)
    assert d.metric == read_as
    assert d.causes[0].numbers.get("adversarial")
    assert "lr_too_high" not in {c.id for c in d.causes}


def test_gan_losses_on_both_splits_are_not_summed(tmp_path):
    # train_d_loss / train_g_loss beside val_d_loss / val_g_loss look like one loss's named parts (YOLO's
    # box/cls/dfl) to the table reader: a generator's and a discriminator's loss summed are nothing.
    src = (HERE / "balanced" / "metrics.csv").read_text().splitlines()
    head = src[0].split(",")
    rows = [r.split(",") for r in src[1:]]
    cols = head + ["val_d_loss", "val_g_loss"]
    cols[head.index("d_loss")], cols[head.index("g_loss")] = "train_d_loss", "train_g_loss"
    lines = [",".join(cols)] + [",".join(r + [r[head.index("d_loss")], r[head.index("g_loss")]]) for r in rows]
    p = tmp_path / "metrics.csv"
    p.write_text("\n".join(lines) + "\n")
    d = diagnose(p)
    assert d.metric == "val_d_loss"
    assert not (d.run.meta.get("loss_parts") or {})
    assert d.causes[0].numbers.get("adversarial")
