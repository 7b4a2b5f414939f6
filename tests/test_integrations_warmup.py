"""Stops held while the lr warms up: real tiny torch runs under a linear warm-up (LambdaLR), a Monitor watching."""

import os

import pytest

pytestmark = [pytest.mark.framework, pytest.mark.usefixtures("one_torch_thread")]

HELD = ("underfitting", "lr_too_low", "stuck_at_init", "converged")


def _warm_run(peak: float, stop_on=(), warmup: int = 40, epochs: int = 60, by_hand: bool = False, **options):
    """A digits MLP (64-32-10, SGD, batches of 64 of 800 images) whose lr rises linearly to ``peak`` over ``warmup``
    epochs, then holds; returns the Monitor, the epoch it stopped at (None: ran out) and the last val_loss.
    ``by_hand``: the loop sets the lr itself, from 0 at epoch 0 (no scheduler for the Monitor to ask); ``warmup`` 0:
    none."""
    torch = pytest.importorskip("torch")
    from sklearn.datasets import load_digits
    from losslens.integrations.torch import Monitor

    x, y = load_digits(return_X_y=True)
    xt, yt = torch.tensor((x / 16.0).astype("float32")), torch.tensor(y)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.SGD(model.parameters(), lr=peak)
    sched = None if by_hand else torch.optim.lr_scheduler.LambdaLR(opt, lambda e: min(1.0, (e + 1) / warmup))
    monitor = Monitor(model, opt, sched, grad_every=None, classes=10, epochs=epochs, stop_on=stop_on, verbose=0,
                      **options)
    stopped = None
    for epoch in range(epochs):
        if by_hand:
            for group in opt.param_groups:
                group["lr"] = peak * min(1.0, epoch / warmup) if warmup else peak
        for i in range(0, 800, 64):
            loss = torch.nn.functional.cross_entropy(model(xt[i:i + 64]), yt[i:i + 64])
            opt.zero_grad()
            loss.backward()
            opt.step()
            monitor.step(loss, batch_size=len(xt[i:i + 64]))
        with torch.no_grad():
            val = float(torch.nn.functional.cross_entropy(model(xt[1400:]), yt[1400:]))
        if monitor.epoch_end(val_loss=val):
            stopped = epoch
            break
        if sched is not None:
            sched.step()
    monitor.finish()
    return monitor, stopped, val


def test_a_slow_start_is_not_stopped_while_the_lr_warms_up():
    """Warm-up to 0.05 over 40 epochs: the curve crawls from ln 10 while the lr is a fraction of its peak, read
    lr_too_low from epoch 20; stop_on held it only for converged, and stopped there at val_loss 2.13 (lr 0.026).
    Held now until the lr stops rising; trained on, the run ends far lower (0.52 at epoch 59)."""
    monitor, stopped, val = _warm_run(0.05, HELD)
    assert stopped is None or stopped >= 40, (stopped, val)
    assert val < 1.0, val
    assert any("is still warming the lr up to its peak: not stopping" in m for m in monitor.messages), monitor.messages


def test_a_blow_up_during_the_warm_up_still_stops():
    """Warm-up to 20 (far too high for SGD here): the loss bounces off ln 10 by epoch 5, with the lr at 3 and rising;
    a higher lr only makes it worse, so lr_too_high and diverged stops are not held."""
    monitor, stopped, _ = _warm_run(20.0, ("lr_too_high", "diverged"))
    assert stopped is not None and stopped < 10, stopped
    assert not any("warming" in m for m in monitor.messages), monitor.messages


def test_a_forecast_stop_is_not_made_while_the_lr_warms_up():
    """A warm-up by hand from 0 to SGD 0.01 over 10 epochs of 40 (no scheduler for the Monitor to ask): stop_gain=0.01
    stopped it at epoch 4 (lr 0.004, val_loss 2.32, "forecast to improve 0.9%"), on a curve the warm-up was still
    shaping. Held now until the lr stops rising; it stops at 37 (2.10), where the run without warm-up stops too."""
    monitor, stopped, val = _warm_run(0.01, warmup=10, epochs=40, by_hand=True, stop_gain=0.01)
    assert stopped is None or stopped > 10, (stopped, val)
    assert any("rising to its peak (a warm-up): not stopping" in m for m in monitor.messages), monitor.messages


def test_a_forecast_stop_without_a_warm_up_is_not_held():
    """The same MLP at SGD 0.01 from its first epoch: stop_gain stops it where it did before the warm-up hold (epoch
    37, val_loss 2.04), and says nothing of a warm-up."""
    monitor, stopped, val = _warm_run(0.01, warmup=0, epochs=40, by_hand=True, stop_gain=0.01)
    assert stopped == 37, (stopped, val)
    assert not any("not stopping before it gets there" in m for m in monitor.messages), monitor.messages
