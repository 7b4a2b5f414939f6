"""Speed of the core: prints the issue's four figures.

    python benchmarks/speed.py

1. one 1,000-epoch curve diagnosed (target <= 20 ms)
2. a 100,000-step Hugging Face trainer_state.json read and diagnosed (target <= 300 ms)
3. all 1,080 DeepOBS runs read and diagnosed (target <= 30 s on 2 cores)
4. `losslens diagnose run.csv` wall time including Python start-up (target <= 1 s)
5. a 1,000,000-row CSV (a per-step log) read (no target; the tests check it reads right, this how fast)

    python benchmarks/speed.py --big [--only csv,wandb,mlflow,hf,tensorboard]

A pretraining run that logs every step, each log written by the library that writes it (the TensorBoard and
MLflow ones take minutes to write): ``losslens diagnose`` wall time and peak RSS, one process each (target:
< 3 s and < 1 GiB), and ``losslens forecast`` / ``losslens report`` on the 1,000,000-row CSV.
"""

from __future__ import annotations

import argparse
import json
import os
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


# ---- --big: per-step logs of a long run, written by the real libraries ------------------------------------
def _pretrain_loss(n, seed=0):
    rng = np.random.default_rng(seed)
    return 2.0 + 6.0 * np.exp(-np.arange(n) / (n / 8)) + rng.normal(0, 0.05, n)


def big_lightning_csv(tmp: Path, n=1_000_000) -> Path:
    """Lightning's CSVLogger writer: metrics.csv, a training loss every step, validation every 1,000."""
    from lightning.fabric.loggers.csv_logs import _ExperimentWriter

    writer, loss = _ExperimentWriter(str(tmp / "csv")), _pretrain_loss(n)
    for i in range(n):
        m = {"train_loss": float(loss[i]), "lr": 3e-4, "epoch": i // 10_000}
        if i % 1000 == 999:
            m["val_loss"] = float(loss[i] + 0.1)
        writer.log_metrics(m, step=i)
    writer.save()
    return tmp / "csv" / "metrics.csv"


def big_wandb_export(tmp: Path, n=500_000) -> Path:
    """A W&B run page's "Export CSV" (``run.history().to_csv()``: pandas writes it; NaN as an empty cell)."""
    import pandas as pd

    loss, i = _pretrain_loss(n), np.arange(n)
    pd.DataFrame({"_step": i, "_runtime": i * 0.1, "_timestamp": 1.7e9 + i * 0.1, "train/loss": loss, "train/lr": 3e-4,
                  "val/loss": np.where(i % 500 == 499, loss + 0.1, np.nan), "epoch": i // 5000}
                 ).to_csv(tmp / "wandb_export.csv", index=False)
    return tmp / "wandb_export.csv"


def big_mlflow(tmp: Path, n=200_000) -> str:
    """A folder store written by ``MlflowClient.log_batch``: train_loss, val_loss and lr at every step."""
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient((tmp / "mlruns").as_uri())
    run = client.create_run(client.create_experiment("big"), run_name="pretrain")
    loss, t0 = _pretrain_loss(n), 1_700_000_000_000
    for key, values in {"train_loss": loss, "val_loss": loss + 0.1, "lr": np.full(n, 3e-4)}.items():
        for s in range(0, n, 1000):
            client.log_batch(run.info.run_id, metrics=[Metric(key, float(v), t0 + s + j, s + j)
                                                       for j, v in enumerate(values[s:s + 1000])])
    client.set_terminated(run.info.run_id)
    return f"mlflow:{tmp / 'mlruns'}"


def big_tensorboard(tmp: Path, n=300_000) -> Path:
    """torch's SummaryWriter: 5 tags logged every step."""
    from torch.utils.tensorboard import SummaryWriter

    writer, loss = SummaryWriter(str(tmp / "tb")), _pretrain_loss(n)
    for i in range(n):
        for tag, v in (("train/loss", loss[i]), ("val/loss", loss[i] + 0.1), ("train/lr", 3e-4),
                       ("train/grad_norm", 1 + loss[i] / 10), ("train/acc", 1 - loss[i] / 10)):
            writer.add_scalar(tag, v, i)
    writer.close()
    return tmp / "tb"


def big_hf(tmp: Path) -> Path:
    hf_100k(tmp)
    return tmp / "trainer_state.json"


# The child's own high-water mark (Linux's VmHWM): a forked child's ru_maxrss starts at its parent's size.
_PEAK = ("import atexit, os, runpy, sys\n"
         "def _peak():\n"
         "    with open('/proc/self/status') as f, open(os.environ['LOSSLENS_PEAK_FILE'], 'w') as out:\n"
         "        out.write(next(ln for ln in f if ln.startswith('VmHWM')).split()[1])\n"
         "atexit.register(_peak)\n"
         "sys.argv[0] = 'losslens'\n"
         "runpy.run_module('losslens', run_name='__main__')\n")


def cli_run(*args) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one ``losslens`` process (Linux: it reads /proc)."""
    with tempfile.NamedTemporaryFile("r", suffix=".peak") as peak:
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", _PEAK, *map(str, args)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env={**os.environ, "LOSSLENS_PEAK_FILE": peak.name})
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            raise SystemExit(f"losslens {' '.join(map(str, args))}: {proc.stderr.decode()[-300:]}")
        return wall, int(peak.read()) / 1024  # (kB)


BIG = {"csv": ("1,000,000-row Lightning metrics.csv", big_lightning_csv),
       "wandb": ("500,000-row W&B history export (CSV)", big_wandb_export),
       "mlflow": ("MLflow folder store, 200,000 steps x 3 metrics", big_mlflow),
       "hf": ("100,000-step trainer_state.json", big_hf),
       "tensorboard": ("TensorBoard event file, 300,000 steps x 5 tags", big_tensorboard)}


def main_big(only):
    print("| log | command | wall | peak RSS |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as d:
        for key in only:
            what, make = BIG[key]
            folder = Path(d) / key
            folder.mkdir()
            path = make(folder)
            wall, rss = cli_run("diagnose", path)
            print(f"| {what} | diagnose | {wall:.2f} s | {rss:.0f} MiB |", flush=True)
            if key == "csv":
                for cmd in (("forecast", path), ("report", path, "-o", folder / "r.html")):
                    wall, rss = cli_run(*cmd)
                    print(f"| {what} | {cmd[0]} | {wall:.2f} s | {rss:.0f} MiB |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="per-step logs of a long run, one process each")
    parser.add_argument("--only", default="csv,wandb,mlflow,hf,tensorboard", help="with --big: which logs")
    args = parser.parse_args()
    if args.big:
        return main_big([k.strip() for k in args.only.split(",") if k.strip()])
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
