"""The torch Monitor's gradient norm is the one backward left, before the loop's clip_grad_norm_ (session 45's
walk: with clipping at 1.0 it recorded 1.0 at every epoch whose true norm was 10.6, 6.4, 4.5 ...)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from losslens.integrations.torch import Monitor  # noqa: E402

pytestmark = [pytest.mark.framework, pytest.mark.usefixtures("one_torch_thread")]


def _clipped_loop(clip=1.0, scaler=False, accumulate=1, epochs=3, scale_inputs=8.0):
    """A 64-wide MLP on 600 digits (pixels / 16 x ``scale_inputs``: a norm well above the clip), SGD 0.05, batches of
    8, ``clip_grad_norm_(clip)`` before every step (None: no clipping), a GradScaler with ``unscale_`` before the clip
    or none, gradients accumulated over ``accumulate`` batches. Returns the run the Monitor recorded (every step
    sampled, ``grad_every=1``) and each epoch's mean of the norms ``clip_grad_norm_`` returned (the true ones)."""
    from digits_task import digits_split

    x, y, xv, yv = (torch.tensor(a) for a in digits_split())
    x, xv = x * scale_inputs, xv * scale_inputs
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    scale = torch.amp.GradScaler("cpu") if scaler else None
    monitor = Monitor(model, opt, verbose=0, time_budget_ms=None, grad_every=1)
    true = []
    for _ in range(epochs):
        seen = []
        for j, i in enumerate(range(0, 600, 8)):
            loss = torch.nn.functional.cross_entropy(model(x[i:i + 8]), y[i:i + 8]) / accumulate
            (scale.scale(loss) if scaler else loss).backward()
            monitor.step(loss * accumulate)
            if (j + 1) % accumulate:
                continue
            if scaler:
                scale.unscale_(opt)
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip if clip else float("inf"))
            seen.append(float(norm))
            if scaler:
                scale.step(opt)
                scale.update()
            else:
                opt.step()
            opt.zero_grad()
        true.append(float(np.mean(seen)))
        with torch.no_grad():
            monitor.epoch_end(val_loss=torch.nn.functional.cross_entropy(model(xv), yv))
    monitor.finish()
    return monitor.run(), np.array(true)


@pytest.mark.parametrize("scaler, accumulate", [(False, 1), (True, 1), (False, 4)])
def test_the_recorded_norm_is_the_one_before_clipping(scaler, accumulate):
    # Old code: 1.0 (0.99999) at every epoch, the clipped gradient the optimizer's pre-step hook found, whatever the
    # true norm (here 5-30: the norm clip_grad_norm_ returns).
    run, true = _clipped_loop(scaler=scaler, accumulate=accumulate)
    assert np.all(true > 2.0)
    assert np.allclose(run.series["grad_norm"], true, rtol=1e-3)
    # Each layer's norm is the pre-clip one too (clipped, every layer's is under 1).
    layers = np.sqrt(sum(run.series[k] ** 2 for k in run.series if k.startswith("grad_norm/")))
    assert np.all(layers > 2.0)


def test_an_unclipped_loop_records_what_it_did():
    run, true = _clipped_loop(clip=None, scale_inputs=1.0)
    assert np.allclose(run.series["grad_norm"], true, rtol=1e-4)
