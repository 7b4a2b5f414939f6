"""A sweep's big inputs, each written by the library that writes it: wall time and peak RSS of one ``losslens``
process per command.

    python -m benchmarks.sweep_speed [--only tb,mlflow,csv,console,hf] [--scale 0.1] [--src OTHER/src]

* ``tb``: a folder of 300 TensorBoard runs (torch's SummaryWriter, 500 steps, validation every 5) -> diagnose
* ``mlflow``: an MLflow SQLite store of 500 runs (``MlflowClient.log_batch``, 200 steps x 2 metrics) -> diagnose --json
  (writing it takes about 4 minutes)
* ``csv``: a folder of 1,000 Keras CSVLogger files (100 epochs) -> report
* ``console``: 1,000,000 lines a loop printed (``step N | loss x``, validation every 1,000) -> diagnose
* ``hf``: a Trainer's ``trainer_state.json`` (the layout of tests/fixtures/logs/hf_output's), 500,000 logged
  steps -> diagnose, forecast

``--scale`` multiplies the run counts and lengths (a quick look); ``--src`` runs the commands on another source tree
(``git archive HEAD src``: the code before a change), the inputs the same. The figures are in docs/benchmarks.md;
the behaviour (the reading bar, the reads unchanged) is tested in tests/test_big_inputs.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks.speed import cli_run  # noqa: E402


def _curve(n, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    train = 0.3 + 2.0 * np.exp(-t / (n / 6)) + rng.normal(0, 0.02, n)
    val = 0.4 + 2.0 * np.exp(-t / (n / 6)) + (seed % 3) * 0.3 / n * np.maximum(t - n / 2, 0) + rng.normal(0, 0.03, n)
    return train, val


def tensorboard_folder(d: Path, runs: int, n: int = 500) -> Path:
    from torch.utils.tensorboard import SummaryWriter

    for r in range(runs):
        train, val = _curve(n, r)
        with SummaryWriter(str(d / "tb" / f"run_{r:03d}")) as w:
            for i in range(n):
                w.add_scalar("train/loss", train[i], i)
                w.add_scalar("train/lr", 1e-3, i)
                if i % 5 == 4:
                    w.add_scalar("val/loss", val[i], i)
    return d / "tb"


def mlflow_store(d: Path, runs: int, n: int = 200) -> str:
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{d}/mlflow.db")
    exp, t0 = client.create_experiment("sweep"), 1_700_000_000_000
    for r in range(runs):
        run = client.create_run(exp, run_name=f"trial_{r}")
        train, val = _curve(n, r)
        client.log_batch(run.info.run_id, metrics=[Metric("train_loss", float(v), t0 + i, i) for i, v in enumerate(train)]
                         + [Metric("val_loss", float(v), t0 + i, i) for i, v in enumerate(val)])
        client.log_param(run.info.run_id, "lr", str(1e-3 * (1 + r % 5)))
        client.set_terminated(run.info.run_id)
    return f"mlflow:sqlite:///{d}/mlflow.db"


def csvlogger_folder(d: Path, runs: int, n: int = 100) -> Path:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    (d / "csv").mkdir()
    for r in range(runs):
        train, val = _curve(n, r)
        logger = keras.callbacks.CSVLogger(str(d / "csv" / f"run_{r:04d}.csv"))
        logger.on_train_begin()
        for e in range(n):
            logger.on_epoch_end(e, {"loss": float(train[e]), "val_loss": float(val[e])})
        logger.on_train_end()
    return d / "csv"


def printed_log(d: Path, lines: int) -> Path:
    train, val = _curve(lines, 1)
    with open(d / "train.log", "w") as f:
        for i in range(lines):
            f.write(f"step {i + 1} | loss {train[i]:.4f}" + (f" | val_loss {val[i]:.4f}\n" if i % 1000 == 999 else "\n"))
    return d / "train.log"


def trainer_state(d: Path, steps: int) -> Path:
    state = json.loads((REPO / "tests/fixtures/logs/hf_output/checkpoint-75/trainer_state.json").read_text())
    train, val = _curve(steps, 2)
    logs = []
    for s in range(1, steps + 1):
        logs.append({"epoch": s / (steps / 10), "grad_norm": float(1 + train[s - 1]),
                     "learning_rate": 1e-3 * (1 - s / steps), "loss": float(train[s - 1]), "step": s})
        if s % max(steps // 100, 1) == 0:
            logs.append({"epoch": s / (steps / 10), "eval_loss": float(val[s - 1]), "eval_runtime": 1.2,
                         "eval_samples_per_second": 800.0, "eval_steps_per_second": 50.0, "step": s})
    state.update(global_step=steps, max_steps=steps, logging_steps=1, num_train_epochs=10, epoch=10.0,
                 log_history=logs)
    (d / "hf").mkdir()
    (d / "hf" / "trainer_state.json").write_text(json.dumps(state, indent=2))
    return d / "hf" / "trainer_state.json"


CASES = {  # key: (what, maker, size, commands)
    "tb": ("TensorBoard folder, {} runs x 500 steps", tensorboard_folder, 300, [["diagnose"]]),
    "mlflow": ("MLflow SQLite store, {} runs x 200 steps", mlflow_store, 500, [["diagnose", "--json"]]),
    "csv": ("folder of {} Keras CSVLogger files x 100 epochs", csvlogger_folder, 1000, [["report", "-o", "{d}/r.html"]]),
    "console": ("printed log, {} lines", printed_log, 1_000_000, [["diagnose"]]),
    "hf": ("trainer_state.json, {} logged steps", trainer_state, 500_000, [["diagnose"], ["forecast"]]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(CASES), help="which inputs (comma-separated)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the sizes (0.1: a quick look)")
    parser.add_argument("--src", help="run the commands on this source tree (its src/ folder)")
    args = parser.parse_args()
    if args.src:
        os.environ["PYTHONPATH"] = f"{Path(args.src).resolve()}{os.pathsep}{REPO}"
    print("| input | command | wall | peak RSS |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="losslens-sweep-") as tmp:
        for key in [k.strip() for k in args.only.split(",") if k.strip()]:
            what, make, size, commands = CASES[key]
            size = max(int(size * args.scale), 2)
            d = Path(tmp) / key
            d.mkdir()
            source = make(d, size)
            for command in commands:
                rest = [c.format(d=d) for c in command[1:]]
                wall, rss = cli_run(command[0], source, *rest)
                print(f"| {what.format(f'{size:,}')} | {' '.join(command[:2]).split(' -o')[0]} | {wall:.1f} s | "
                      f"{rss:.0f} MiB |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
