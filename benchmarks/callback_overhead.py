"""What the training-loop monitor costs: added step time and end-of-epoch diagnosis time.

    python -m benchmarks.callback_overhead                 # about a minute on one CPU core
    python -m benchmarks.callback_overhead --device cuda   # the same steps on a GPU, plus a transformer

1. Step time of a small CNN on CPU (2 conv layers + linear head, 1x28x28 inputs, batch 64,
   one torch thread) with and without :class:`losslens.integrations.torch.Monitor`:
   ``monitor.step(loss)`` at the default ``grad_every=16`` (gradient norm and
   update-to-weight ratio sampled every 16th step), at ``grad_every=1`` (every step), and
   with the probe off (loss averaging only). Blocks of steps run interleaved (base, monitor,
   base, ...) so drifts in machine load hit every variant alike; the figure is the median over
   blocks of the ratio to the neighbouring baseline block. Target: <= 2% at the default.
2. End-of-epoch time: ``Watcher.end_epoch`` (record, diagnose, decide, no saving) on runs of
   10 to 1,000 epochs: one diagnosis (median and 90th percentile) and the average per epoch
   end, which the watcher's ``time_budget_ms=5`` keeps low by skipping epochs after a slow
   diagnosis. Target: <= 5 ms.

On a GPU (``--device cuda``) step times are wall-clock, with the device synchronised at the
end of each block, and a second model is timed: a 6-layer transformer encoder (d_model 512,
8 heads, batch 32 x 256 tokens, AdamW), whose step is long enough to hide a CPU-side cost.

Cockpit (Schneider et al., NeurIPS 2021, "Cockpit: A Practical Debugging Tool for the
Training of Deep Neural Networks", Fig. 6) reports 1.51x step time for its economy
configuration when tracking every step and 1.04x when tracking every 16th step (GPU).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def small_cnn():
    import torch

    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(16 * 7 * 7, 10))


TRANSFORMER_BATCH = (32, 256)  # sequences x tokens per step


def small_transformer():
    import torch

    layer = torch.nn.TransformerEncoderLayer(512, 8, 2048, batch_first=True)
    return torch.nn.Sequential(torch.nn.TransformerEncoder(layer, 6), torch.nn.Linear(512, 1))


def _workload(kind: str, device: str):
    """(model, optimizer, loss closure) of one benchmark workload on ``device``."""
    import torch

    torch.manual_seed(0)
    if kind == "cnn":
        model = small_cnn().to(device)
        x = torch.randn(64, 1, 28, 28, device=device)
        y = torch.randint(0, 10, (64,), device=device)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = torch.nn.CrossEntropyLoss()
        return model, opt, lambda: loss_fn(model(x), y)
    model = small_transformer().to(device)
    batch, tokens = TRANSFORMER_BATCH
    x = torch.randn(batch, tokens, 512, device=device)
    y = torch.randn(batch, tokens, 1, device=device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    return model, opt, lambda: torch.nn.functional.mse_loss(model(x), y)


DEFAULT_VARIANTS = {"default (grad_every=16)": 16, "every step (grad_every=1)": 1, "probe off": None}


def step_overhead(blocks: int = 30, steps: int = 32, kind: str = "cnn", device: str = "cpu",
                  variants: dict | None = None) -> dict[str, float]:
    """Median added step time (fraction) per variant ({name: grad_every}, default :data:`DEFAULT_VARIANTS`),
    over interleaved blocks of ``steps`` steps."""
    import torch

    from losslens.integrations.torch import Monitor

    gpu = device != "cpu"
    if not gpu:
        torch.set_num_threads(1)
    model, opt, compute_loss = _workload(kind, device)
    variants = DEFAULT_VARIANTS if variants is None else variants
    # Without the optimizer the probe samples at monitor.step() (given it, the same probe runs from the optimizer's
    # pre-step hook, at every opt.step(): the baseline blocks here would pay for every variant's monitor).
    monitors = {name: Monitor(model, grad_every=every, verbose=0) for name, every in variants.items()}

    def block(monitor):
        # On CPU: CPU time of this process, not wall time, so the other jobs on a shared
        # machine (and their bursts) cost the baseline and the monitored blocks alike. On a
        # GPU: wall time to the end of the block's last kernel, which is what a sync costs.
        if gpu:
            torch.cuda.synchronize()
        t0 = time.perf_counter() if gpu else time.process_time()
        for _ in range(steps):
            opt.zero_grad()
            loss = compute_loss()
            loss.backward()
            opt.step()
            if monitor is not None:
                monitor.step(loss)
        if gpu:
            torch.cuda.synchronize()
            return time.perf_counter() - t0
        return time.process_time() - t0

    for _ in range(3):  # warm-up: allocator, kernels, first probe samples
        block(None)
        for m in monitors.values():
            block(m)
    ratios: dict[str, list[float]] = {name: [] for name in variants}
    base_times = []
    for _ in range(blocks):
        for name, m in monitors.items():
            before = block(None)
            with_monitor = block(m)
            after = block(None)
            ratios[name].append(with_monitor / ((before + after) / 2) - 1)
            base_times.append(before)
    for m in monitors.values():  # the epoch end reads the samples: its cost, once per epoch
        m.probe.pop_epoch()
    out = {name: statistics.median(r) for name, r in ratios.items()}
    out["base step (ms)"] = 1e3 * statistics.median(base_times) / steps
    return out


def step_call_cost(calls: int = 4000) -> dict[str, float]:
    """Microseconds per ``monitor.step(loss)`` call on the same CNN, sampled and not sampled.

    Timed apart from training, so machine noise does not drown a few-microsecond cost: the
    added fraction at ``grad_every=k`` is ``((k - 1) * plain + sampled) / k / step``.
    """
    import torch

    from losslens.integrations.torch import Monitor

    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = small_cnn()
    loss = torch.nn.CrossEntropyLoss()(model(torch.randn(64, 1, 28, 28)), torch.randint(0, 10, (64,)))
    loss.backward()
    out = {}
    for name, every in (("plain", 10**9), ("sampled", 1)):
        m = Monitor(model, grad_every=every, verbose=0)   # (sampling at step(), as above)
        m.step(loss)  # the epoch's first call is always sampled
        t0 = time.process_time()
        for _ in range(calls):
            m.step(loss)
        out[name] = 1e6 * (time.process_time() - t0) / calls
    return out


def epoch_end_time(lengths=(10, 50, 200, 1000), repeats: int = 30) -> dict[int, dict[str, float]]:
    """Per run length: CPU ms of one diagnosis (median, p90) and of an average ``end_epoch``.

    The average includes the epochs the time budget skips on long runs; CPU time, so the
    other jobs on a shared machine do not count.
    """
    from losslens.integrations._core import Watcher

    rng = np.random.default_rng(0)
    out = {}
    for n in lengths:
        e = np.arange(n + repeats)
        train = 0.05 + 2.0 * np.exp(-e / (n / 8)) + 0.01 * rng.standard_normal(e.shape[0])
        val = 0.08 + 2.0 * np.exp(-e / (n / 8)) + 0.0004 * np.maximum(e - n / 2, 0) \
            + 0.01 * rng.standard_normal(e.shape[0])
        grad = 1.0 * np.exp(-e / (n / 6)) + 0.01
        w = Watcher(verbose=0, start_from_epoch=0)
        for i in range(n):
            w.record(i, {"loss": train[i], "val_loss": val[i]}, lr=1e-3, extra={"grad_norm": grad[i]})
        per_call = []
        for i in range(n, n + repeats):
            t0 = time.process_time()
            w.end_epoch(i, {"loss": train[i], "val_loss": val[i]}, lr=1e-3, extra={"grad_norm": grad[i]})
            per_call.append(1e3 * (time.process_time() - t0))
        diag = [1e3 * t for t in w.cpu_timings]  # CPU time of the diagnoses alone
        out[n] = {"diagnosis median": statistics.median(diag), "diagnosis p90": float(np.percentile(diag, 90)),
                  "diagnosis wall median": 1e3 * statistics.median(w.timings),
                  "end_epoch mean": statistics.mean(per_call), "diagnosed": len(diag)}
    return out


def _print_steps(res: dict[str, float], indent: str = "   ") -> float:
    """Print one workload's figures; returns its baseline step in ms."""
    base = res.pop("base step (ms)")
    print(f"{indent}baseline step: {base:.2f} ms")
    for name, frac in res.items():
        print(f"{indent}{name:28s} {100 * frac:+6.2f}%   ({1 + frac:.3f}x)")
    return base


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blocks", type=int, default=30, help="interleaved blocks per variant")
    parser.add_argument("--device", default="cpu", help="torch device of the step benchmark: cpu, cuda, cuda:1 ...")
    args = parser.parse_args(argv)

    if args.device == "cpu":
        print("1. added step time, small CNN on CPU (1 thread, batch 64)")
        base = _print_steps(step_overhead(blocks=args.blocks))
        print("   Cockpit (economy, GPU): 1.51x every step, 1.04x every 16th step")
        cost = step_call_cost()
        step_us = 1e3 * base
        print(f"   per call: {cost['plain']:.1f} us plain, {cost['sampled']:.1f} us sampled -> "
              f"{100 * (15 * cost['plain'] + cost['sampled']) / 16 / step_us:.2f}% at grad_every=16, "
              f"{100 * cost['sampled'] / step_us:.2f}% at grad_every=1 of a {base:.2f} ms step")
    else:
        import torch

        print(f"1. added step time on {torch.cuda.get_device_name(args.device)} (wall time, torch {torch.__version__})")
        for kind, what in (("cnn", "small CNN, batch 64"), ("transformer", "6-layer transformer, 32 x 256 tokens")):
            print(f"   {what}:")
            _print_steps(step_overhead(blocks=args.blocks, kind=kind, device=args.device), indent="     ")
        print("   Cockpit (economy, GPU): 1.51x every step, 1.04x every 16th step")
    print("2. end-of-epoch time (record + diagnose + decide), 30 epoch ends per run length")
    for n, r in epoch_end_time().items():
        print(f"   {n:5d} epochs: one diagnosis {r['diagnosis median']:5.2f} ms CPU median "
              f"(p90 {r['diagnosis p90']:5.2f}; wall {r['diagnosis wall median']:5.2f}); "
              f"end_epoch on average {r['end_epoch mean']:5.2f} ms ({r['diagnosed']} of 30 diagnosed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
