"""A long per-step log drawn on a chart of ~2,000 points: what the thinning keeps, and the fast smoother's bits.

The log is a real tiny training run's (torch, an MLP on noisy regression, SGD with batches of 16 and the lr cut
x 0.3 at 70% of the run, a step-lr drop), written per step as a training loop writes its CSV: the batch losses
scatter, a few batches stand far above the rest. Evenly spaced, 2,000 of its 6,000 points missed columns' highest and
lowest batches, and its highest after the first drop; each axis column now keeps its smallest and
largest point (benchmarks/big_inputs.py times it on a million points)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import losslens
from losslens.facts.smoothing import median3, tapered_mean, tapered_means
from losslens.report import plot

STEPS, VAL_EVERY = 6000, 125


@pytest.fixture(scope="module")
def step_log(tmp_path_factory):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    x = torch.randn(4096, 8)
    y = x @ torch.randn(8, 1) + 0.3 * torch.randn(4096, 1)
    xv, yv = x[-512:], y[-512:]
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.02)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=int(0.7 * STEPS), gamma=0.3)
    path = tmp_path_factory.mktemp("steps") / "train_steps.csv"
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["step", "train_loss", "val_loss", "lr"])
        for step in range(1, STEPS + 1):
            i = torch.randint(0, 3584, (16,))
            loss = torch.nn.functional.mse_loss(model(x[i]), y[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
            lr = opt.param_groups[0]["lr"]
            sched.step()
            val = ""
            if step % VAL_EVERY == 0:
                with torch.no_grad():
                    val = float(torch.nn.functional.mse_loss(model(xv), yv))
            out.writerow([step, loss.item(), val, lr])
    return path


def _columns(x, columns):
    return np.minimum(((x - x[0]) * (columns / (x[-1] - x[0]))).astype(int), columns - 1)


def test_each_axis_column_keeps_the_smallest_and_largest_batch_loss(step_log):
    d = losslens.diagnose(step_log)
    run = d.run
    full_x, full = run.axis, np.asarray(run.series["train_loss"], dtype=float)
    data = plot.chart_data(d)
    x = np.asarray(data["x"], dtype=float)
    train = next(s for s in data["loss"] if s["key"] == "train_loss")
    drawn = np.array([np.nan if v is None else v for v in train["raw"]])
    assert x.shape[0] <= 2000 + STEPS // VAL_EVERY + 2  # (2 points a column, and every validation point)
    # Validation (48 points) is sparse: one series dense, so 1,000 columns of the axis.
    cols, full_cols = _columns(x, 1000), _columns(full_x, 1000)
    ok = np.isfinite(drawn)
    for c in range(1000):
        logged = full[full_cols == c]
        shown = drawn[ok & (cols == c)]
        # (Drawn values are rounded to the chart's 5+ significant digits.)
        assert shown.min() == pytest.approx(logged.min(), rel=1e-4), c
        assert shown.max() == pytest.approx(logged.max(), rel=1e-4), c
    # The run's worst batch after its first drop stands in the chart: a spike, not thinned away.
    late = full_x > 0.1 * STEPS
    assert np.nanmax(drawn[x > 0.1 * STEPS]) == pytest.approx(full[late].max(), rel=1e-4)


def test_a_validation_logged_every_125_steps_keeps_its_extremes_when_it_is_dense_too(step_log):
    """At 60 points a chart, validation's 48 points are more than half of them, so validation is thinned too: evenly
    with the training loss's steps (every ~100th), the drawn axis met a validation step 3 times in 48 and its line
    was 3 points; each of the 15 columns (two dense curves share the 60 points) now keeps its smallest and largest."""
    d = losslens.diagnose(step_log)
    data = plot.chart_data(d, max_points=60)
    x = np.asarray(data["x"], dtype=float)
    val = next(s for s in data["loss"] if s["key"] == "val_loss")
    drawn = np.array([np.nan if v is None else v for v in val["raw"]])
    assert len(x) <= 60 + 2
    full = np.asarray(d.run.series["val_loss"], dtype=float)
    at = np.isfinite(full)
    full_x, full = d.run.axis[at], full[at]
    ok = np.isfinite(drawn)
    edges = np.linspace(full_x[0], full_x[-1], 16)
    for c in range(15):
        inside = (full_x >= edges[c]) & (full_x <= edges[c + 1])
        shown = drawn[ok & (x >= edges[c]) & (x <= edges[c + 1])]
        assert shown.size, c
        assert shown.min() <= full[inside].min() * (1 + 1e-4), c
        assert shown.max() >= full[inside].max() * (1 - 1e-4), c


def test_the_smoothers_fast_paths_give_the_same_bits(step_log):
    """Each width's mean from two slices equals :func:`tapered_mean`'s gathered ends, bit for bit; the running
    median of 5 by min/max equals numpy's median of each 5; the rounding of a list equals :func:`round_sig`'s."""
    y = np.asarray(losslens.read(step_log)[0].series["train_loss"], dtype=float)
    base = median3(y)
    for h, mean in enumerate(tapered_means(base, 15), start=1):
        assert mean.tobytes() == tapered_mean(base, h).tobytes(), h
    for n in (3, 4, 5, 6, 7, 31, 100):  # (short curves: the tapered ends are all there is)
        for h, mean in enumerate(tapered_means(base[:n], 6), start=1):
            assert mean.tobytes() == tapered_mean(base[:n], h).tobytes(), (n, h)
    med5 = plot._running_median5(y, one_sided_end=False)
    windows = np.lib.stride_tricks.sliding_window_view(y, 5)
    assert med5[2:-2].tobytes() == np.median(windows, axis=1).tobytes()
    values = np.concatenate([y, y * 1e7, [np.nan, np.inf, -0.0, 3.0, 2.0**53, 1.7976931348623157e308]])
    for digits in (4, 5, 10):
        fast = plot.round_sig_list(values, digits)
        one = [plot.round_sig(v, digits) for v in values]
        assert [type(v) for v in fast] == [type(v) for v in one]
        assert all(a == b or (a != a and b != b) for a, b in zip(fast, one))
