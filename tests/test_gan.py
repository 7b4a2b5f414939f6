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


def _replay(name, nan_from=None, **options):
    """Feed the Lightning GAN log to the callbacks' Watcher epoch by epoch, as the callback would have seen it."""
    from losslens.integrations._core import Watcher

    run = read(HERE / name / "metrics.csv")[0]
    # (time_budget_ms=None: the decisions by rule, whatever the machine's speed)
    w = Watcher(verbose=0, framework="lightning", time_budget_ms=None, horizon=float(run.axis[-1]), **options)
    for i, e in enumerate(run.axis):
        logs = {k: float(run.series[k][i]) for k in ("d_loss", "g_loss")}
        if nan_from is not None and e >= nan_from:
            logs = {k: float("nan") for k in logs}
        if w.end_epoch(int(e), logs, lr=1e-3).stop:
            break
    w.end_training()
    return w, run


@pytest.mark.parametrize("name", ["balanced", "d_wins_1step"])
def test_the_callbacks_do_not_stop_a_gan_on_its_losses(name):
    """Old: stop_on=("converged",) stopped the balanced GAN at epoch 13 (d_loss flat since epoch 4) with 0 of the 8
    modes covered, and the one-D-step run at 15 with 1; trained on, they reach 5 and 4 modes."""
    w, run = _replay(name, stop_on=("converged",), reduce_lr_on=("converged", "underfitting"))
    assert w.stopped_epoch is None and not w.actions
    assert run.series["modes"][15] <= 2 and _modes(name) >= 4   # what the stop would have cost
    said = [m for m in w.messages if "one player's loss in a GAN's game" in m]
    assert len(said) == 1 and "quality score" in said[0]
    # stop_gain reads the monitored d_loss's forecast the same way: held too.
    w, _ = _replay(name, stop_gain=0.01, monitor="d_loss")
    assert w.stopped_epoch is None


def test_the_callbacks_stop_a_gan_whose_losses_became_nan():
    """A NaN is a divergence all the same: the players' losses are the GAN's training losses (it logs no 'loss')."""
    for stop_on in (("diverged",), ("converged", "diverged")):
        w, _ = _replay("balanced", nan_from=25, stop_on=stop_on)
        assert w.stopped_epoch == 25 and w.actions[0]["cause"] == "diverged"
    # and the headline does not call the diverged game "balanced"
    from losslens.report.text import render_text
    assert "balanced" not in render_text(w.diagnosis).splitlines()[0]


@pytest.mark.framework
def test_a_live_lightning_gan_is_not_stopped_on_its_losses(tmp_path, one_torch_thread):
    """The balanced GAN of make.py trained live with LosslensCallback(stop_on=("converged",)): it trains to the end."""
    import importlib.util

    import lightning.pytorch as pl
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from losslens.integrations.lightning import LosslensCallback

    spec = importlib.util.spec_from_file_location("lightning_gan_make", HERE / "make.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    pl.seed_everything(0, workers=True)
    g = torch.Generator().manual_seed(0)
    real = make.CENTRES[torch.randint(0, 8, (4096,), generator=g)] + make.SD * torch.randn(4096, 2, generator=g)
    cb = LosslensCallback(stop_on=("converged",), save_path=None, verbose=0, time_budget_ms=None)
    t = pl.Trainer(max_epochs=20, logger=False, enable_progress_bar=False, enable_model_summary=False,
                   enable_checkpointing=False, accelerator="cpu", devices=1, callbacks=[cb])
    t.fit(make.GAN(), DataLoader(TensorDataset(real), batch_size=256, shuffle=True))
    assert t.current_epoch == 20 and cb.watcher.stopped_epoch is None
    assert cb.watcher.diagnosis is not None and cb.watcher.diagnosis.adversarial
