"""Gradient clipping far too tight, never named (session 50's walk; tests/fixtures/ecosystem/torch_clip_tight, its
make.py and make.out): the digits MLP 64-128-10, SGD 0.1 momentum 0.9, ``clip_grad_norm_(..., 1e-3)`` before every
step, 60 epochs, read lr_too_low "raise the learning rate" with "lr constant at 0.1"; the Monitor's grad_norm, read
in backward before the clip, held ~0.6. Without the clip it ends at 0.074 where lr x 10 ends at 0.268. The Monitor
now logs the clip factor (``grad_clip_ratio``, the step's gradient norm over backward's) and the share of steps clipped,
the Lightning callback computes them off ``Trainer(gradient_clip_val=)``, and the diagnosis names the clip first."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.diagnosis import CLIP_LESS, CLIP_READS, CLIP_TIGHT

torch = pytest.importorskip("torch")

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_clip_tight"
LOGS = ("clip.json", "clip_seed1.json", "lightning_clip.json")


def _made() -> dict[str, float]:
    return {line.split(":")[0]: float(line.split("val_loss ")[1].split()[0])
            for line in (HERE / "make.out").read_text().splitlines()}


def test_the_premise_the_clip_holds_the_run_back_more_than_the_lr():
    made = _made()
    for seed in ("", "_seed1"):
        base = made["clip.json" if not seed else "clip_seed1.json"]
        # No clip: 26x lower; lr x 10 through the same clip: 7x lower, still 3.5x above no clip.
        assert made["cf_noclip" + seed] < base / 20
        assert made["cf_noclip" + seed] < made["cf_lr1" + seed] / 3
    # Neither more epochs nor a bigger model comes near.
    assert made["cf_e120"] > 10 * made["cf_noclip"] and made["cf_w256"] > 10 * made["cf_noclip"]
    # On Adam the same clip costs nothing: it divides each step by the gradient's running size.
    assert made["cf_adam_clip"] <= 1.05 * made["cf_adam_noclip"]


@pytest.mark.parametrize("name", LOGS)
def test_a_run_clipped_to_a_600th_of_its_gradient_names_the_clip_first(name):
    # Old code: lr_too_low, first action "raise the learning rate", no word of the clip.
    d = losslens.diagnose(HERE / name)
    assert d.verdict in CLIP_READS
    first = d.cause.actions[0]
    assert getattr(first, "kind", None) == CLIP_LESS and first.startswith("raise max_norm")
    assert "Trainer(gradient_clip_val=)" in first if name.startswith("lightning") else "clip_grad_norm_" in first
    assert any("raise the learning rate" in a for a in d.cause.actions[1:])
    line = d.cause.evidence[0]
    assert "every sampled step's gradient was clipped" in line
    factor = d.cause.numbers["grad_clip_ratio"]
    assert factor < 0.003
    assert f"~{1 / factor:.0f}x smaller" in line and "max_norm ~0.001" in line
    logged = json.loads((HERE / name).read_text())
    assert 0.5 < np.median(logged["grad_norm"]) < 0.8  # backward's norm, before the clip
    assert min(logged["grad_clipped_share"]) == 1.0


def test_the_clip_on_adam_is_not_read():
    # The same clip on Adam 1e-3 (0.0754 against 0.0801 unclipped): no step was made smaller.
    d = losslens.diagnose(HERE / "cf_adam_clip.json")
    assert max(json.loads((HERE / "cf_adam_clip.json").read_text())["grad_clip_ratio"]) < CLIP_TIGHT
    assert "grad_clip_ratio" not in d.cause.numbers
    assert not any(getattr(a, "kind", None) == CLIP_LESS for c in d.causes for a in c.actions)


def _loop(clip, epochs=2):
    """The Monitor on a 64-32-10 MLP on 600 digits, SGD 0.1, batches of 32, ``clip_grad_norm_(clip)`` (None: no
    clip), every step sampled; returns the run and each epoch's mean clip factor clip_grad_norm_ applied."""
    from digits_task import digits_split

    from losslens.integrations.torch import Monitor

    x, y, xv, yv = (torch.tensor(a) for a in digits_split())
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    mon = Monitor(model, opt, verbose=0, grad_every=1)
    factors = []
    for _ in range(epochs):
        seen = []
        for i in range(0, 600, 32):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[i:i + 32]), y[i:i + 32])
            loss.backward()
            if clip is not None:
                norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), clip))
                seen.append(min(1.0, clip / (norm + 1e-6)))
            opt.step()
            mon.step(loss, batch_size=32)
        factors.append(np.mean(seen) if seen else 1.0)
        with torch.no_grad():
            mon.epoch_end(val_loss=torch.nn.functional.cross_entropy(model(xv), yv))
    mon.finish()
    return mon.run(), np.array(factors)


@pytest.mark.usefixtures("one_torch_thread")
def test_the_monitor_logs_the_clip_factor_it_measured():
    run, factors = _loop(1e-3)
    assert np.all(factors < 0.01)
    assert np.allclose(run.series["grad_clip_ratio"], factors, rtol=1e-4)
    assert np.all(run.series["grad_clipped_share"] == 1.0)


@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("clip", [None, 1e6])
def test_a_loop_that_never_clips_logs_no_clip_column(clip):
    run, _ = _loop(clip)
    assert "grad_clip_ratio" not in run.series and "grad_clipped_share" not in run.series
    assert "grad_norm" in run.series


@pytest.mark.slow
@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("algorithm", ["norm", "value"])
def test_the_lightning_callback_reads_the_trainers_clip(tmp_path, algorithm):
    L = pytest.importorskip("lightning.pytorch")
    from digits_task import digits_split
    from lightning_models import DigitsMLP

    from losslens.integrations.lightning import LosslensCallback

    x, y, xv, yv = (torch.tensor(a) for a in digits_split())
    ds = torch.utils.data.TensorDataset
    train = torch.utils.data.DataLoader(ds(x, y), batch_size=32)
    val = torch.utils.data.DataLoader(ds(xv, yv), batch_size=500)
    torch.manual_seed(0)
    cb = LosslensCallback(verbose=0, grad_every=1, save_path=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        L.Trainer(max_epochs=2, callbacks=[cb], default_root_dir=tmp_path, enable_progress_bar=False,
                  enable_model_summary=False, enable_checkpointing=False, logger=False, accelerator="cpu", devices=1,
                  gradient_clip_val=1e-3, gradient_clip_algorithm=algorithm).fit(
            DigitsMLP((32,), torch.optim.SGD, lr=0.1), train, val)
    run = cb.run()
    if algorithm == "value":  # (a value clip is no factor of the norm: not read)
        assert "grad_clip_ratio" not in run.series
        return
    # The callback sees backward's norm (Lightning clips after on_before_optimizer_step): the factor is 1e-3 over it.
    g, r = run.series["grad_norm"], run.series["grad_clip_ratio"]
    assert np.all(g > 0.05)
    assert np.allclose(r, 1e-3 / g, rtol=0.3)
    assert np.all(run.series["grad_clipped_share"] == 1.0)


def test_a_ppo_clip_ratio_is_no_gradient_clip():
    # A PPO trainer's "clip_ratio" (the share of tokens its objective clipped, ~0.001) is not the probe's pair.
    logged = json.loads((HERE / "clip.json").read_text())
    logged["clip_ratio"] = logged.pop("grad_clip_ratio")
    del logged["grad_clipped_share"]
    d = losslens.diagnose(logged)
    assert d.verdict in CLIP_READS and "grad_clip_ratio" not in d.cause.numbers
    assert not any(getattr(a, "kind", None) == CLIP_LESS for a in d.cause.actions)
