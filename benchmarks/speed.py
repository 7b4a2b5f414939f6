"""Speed of the core: prints the issue's four figures.

    python benchmarks/speed.py

1. one 1,000-epoch curve diagnosed (target <= 20 ms)
2. a 100,000-step Hugging Face trainer_state.json read and diagnosed (target <= 300 ms)
3. all 1,080 DeepOBS runs read and diagnosed (target <= 30 s on 2 cores)
4. `losslens diagnose run.csv` wall time including Python start-up (target <= 1 s)
5. a 1,000,000-row CSV (a per-step log) read (no target; the tests check it reads right, this how fast)
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import losslens
from losslens.diagnosis import diagnose_run

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks import curves_dir  # noqa: E402

CURVES = curves_dir() or REPO.parent / "shared" / "curves"  # (absent: the DeepOBS figure is skipped)


def best_of(fn, repeat=7):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def curve_1000():
    rng = np.random.default_rng(0)
    t = np.arange(1000)
    train = 0.1 + 2 * np.exp(-t / 60) + rng.normal(0, 0.01, 1000)
    val = 0.15 + 2 * np.exp(-t / 60) + 0.0002 * np.maximum(0, t - 300) + rng.normal(0, 0.02, 1000)
    run = losslens.Run.from_history({"loss": train, "val_loss": val, "lr": np.full(1000, 1e-3)})
    return best_of(lambda: diagnose_run(run))


def hf_100k(tmp: Path):
    rng = np.random.default_rng(1)
    logs = []
    for step in range(1, 100_001):
        logs.append({"epoch": step / 10_000, "grad_norm": float(2 * np.exp(-step / 30000) + 0.1),
                     "learning_rate": 5e-5 * (1 - step / 100_000), "loss": float(0.3 + np.exp(-step / 20000)
                                                                               + rng.normal(0, 0.05)),
                     "step": step})
        if step % 10_000 == 0:
            logs.append({"epoch": step / 10_000, "eval_loss": float(0.35 + np.exp(-step / 20000)), "step": step})
    path = tmp / "trainer_state.json"
    path.write_text(json.dumps({"global_step": 100_000, "log_history": logs}))
    return best_of(lambda: [diagnose_run(r) for r in losslens.read(path)], repeat=5)


def csv_million(tmp: Path):
    rng = np.random.default_rng(0)
    n = 1_000_000
    loss = np.exp(-np.arange(n) / 2e5) + 0.01 * rng.random(n)
    path = tmp / "big.csv"
    path.write_text("step,loss,val_loss,lr\n" + "\n".join(
        f"{i},{a:.6g},{f'{a + 0.05:.6g}' if i % 10 == 9 else 'NA'},0.001" for i, a in enumerate(loss)) + "\n")
    return best_of(lambda: losslens.read(path), repeat=3)


def deepobs_all():
    path = CURVES / "deepobs_baselines_curves.csv.gz"
    t = time.perf_counter()
    runs = losslens.read(path)
    t_read = time.perf_counter() - t
    for r in runs:
        diagnose_run(r)
    return len(runs), t_read, time.perf_counter() - t


def cli_wall(tmp: Path):
    hist = json.loads((REPO / "tests/fixtures/article/exp1_complex.json").read_text())["history"]
    path = tmp / "run.csv"
    path.write_text("epoch,loss,val_loss\n" + "\n".join(f"{i},{a},{b}" for i, (a, b) in
                                                       enumerate(zip(hist["loss"], hist["val_loss"]))))
    exe = str(Path(sys.executable).with_name("losslens"))
    return best_of(lambda: subprocess.run([exe, "diagnose", str(path)], check=True, capture_output=True), repeat=5)


def main():
    rows = []
    best, med = curve_1000()
    rows.append(("one 1,000-epoch curve diagnosed", f"{best * 1e3:.1f} ms (median {med * 1e3:.1f})", "<= 20 ms"))
    with tempfile.TemporaryDirectory() as d:
        best, med = hf_100k(Path(d))
        rows.append(("100,000-step trainer_state.json read + diagnosed", f"{best * 1e3:.0f} ms (median {med * 1e3:.0f})",
                     "<= 300 ms"))
        best, med = cli_wall(Path(d))
        rows.append(("`losslens diagnose run.csv` wall time", f"{best:.2f} s (median {med:.2f})", "<= 1 s"))
        best, med = csv_million(Path(d))
        rows.append(("1,000,000-row CSV read", f"{best:.2f} s (median {med:.2f})", "-"))
    if (CURVES / "deepobs_baselines_curves.csv.gz").exists():
        n, t_read, total = deepobs_all()
        rows.append((f"all {n} DeepOBS runs read + diagnosed", f"{total:.1f} s (read {t_read:.1f} s)", "<= 30 s"))
    print("| what | measured | target |\n|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")


if __name__ == "__main__":
    main()
