"""Big inputs as a sweep's user meets them: feedback while a folder or store of many runs is read, and the fast paths
giving the answer the plain ones gave. The sizes and timings are measured by ``python -m benchmarks.sweep_speed``;
here the behaviour, on small logs written by the real libraries."""

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import losslens

SRC = str(Path(losslens.__file__).resolve().parents[1])  # the losslens under test, for the child processes


def _curve(n, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 0.3 + 2 * np.exp(-t / 15) + rng.normal(0, 0.02, n), 0.4 + 2 * np.exp(-t / 15) + rng.normal(0, 0.03, n)


def _tensorboard_sweep(root: Path, runs: int = 3, n: int = 40) -> Path:
    """``runs`` run folders, each written by torch's SummaryWriter: a training loss every step, validation every 5."""
    from torch.utils.tensorboard import SummaryWriter

    for r in range(runs):
        train, val = _curve(n, r)
        with SummaryWriter(str(root / f"trial_{r}")) as w:
            for i in range(n):
                w.add_scalar("train/loss", train[i], i)
                if i % 5 == 4:
                    w.add_scalar("val/loss", val[i], i)
    return root


def test_a_folder_of_runs_says_each_run_as_it_is_read(tmp_path):
    """A folder of a sweep's TensorBoard runs read for 40 s (300 runs) with nothing to say it was working: each run
    folder is said to the hook a progress bar hangs on, in the order read, before its run is read."""
    from losslens.readers import reporting

    root = _tensorboard_sweep(tmp_path / "tb")
    said = []
    with reporting(said.append):
        runs = losslens.read(root)
    assert [r.name for r in runs] == ["trial_0", "trial_1", "trial_2"]
    assert said == ["trial_0", "trial_1", "trial_2"]
    # the same logdir named as a TensorBoard store (tb:): its runs said by the TensorBoard reader
    said.clear()
    with reporting(said.append):
        assert len(losslens.read(f"tb:{root}")) == 3
    assert said == ["trial_0", "trial_1", "trial_2"]
    said.clear()
    losslens.read(root)  # no hook outside reporting()
    assert said == []


def test_an_mlflow_store_says_each_run_as_it_is_read(tmp_path):
    pytest.importorskip("mlflow")
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    from losslens.readers import reporting

    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    exp = client.create_experiment("sweep")
    for r in range(3):
        run = client.create_run(exp, run_name=f"lr_{r}")
        train, val = _curve(30, r)
        client.log_batch(run.info.run_id, metrics=[Metric("train_loss", float(v), 1_700_000_000_000 + i, i)
                                                   for i, v in enumerate(train)]
                         + [Metric("val_loss", float(v), 1_700_000_000_000 + i, i) for i, v in enumerate(val)])
        client.set_terminated(run.info.run_id)
    said = []
    before = (tmp_path / "mlflow.db").read_bytes()
    with reporting(said.append):
        runs = losslens.read(f"mlflow:sqlite:///{tmp_path}/mlflow.db")
    assert sorted(r.name for r in runs) == ["lr_0", "lr_1", "lr_2"]
    assert sorted(said) == ["lr_0", "lr_1", "lr_2"]
    for r in runs:  # every value as logged, in step order
        train, val = _curve(30, int(r.name[-1]))
        assert np.array_equal(r.train_loss, train) and np.array_equal(r.val_loss, val)
    # the statistics that let SQLite look a history up by its run went into losslens's copy, not the user's store
    assert (tmp_path / "mlflow.db").read_bytes() == before


def _on_a_terminal(args, cwd) -> tuple[int, str, str]:
    """Run ``losslens ARGS`` with its stderr on a pseudo-terminal: (exit code, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": SRC, "TERM": "xterm", "COLUMNS": "120"}
    proc = subprocess.Popen([sys.executable, "-m", "losslens", *args], stdout=subprocess.PIPE, stderr=slave,
                            cwd=cwd, env=env)
    os.close(slave)
    drawn = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # (the child closed its end)
                break
            if not chunk:
                break
            drawn += chunk
        elif proc.poll() is not None:
            break
    out = proc.stdout.read().decode()
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, out, drawn.decode(errors="replace")


def test_the_reading_bar_names_the_runs_of_a_folder_on_a_terminal(tmp_path):
    """On a terminal the reading bar says which run of the folder is read and how many so far (the last drawn
    before it is taken away: the third); piped, stderr stays empty and stdout is the diagnoses alone."""
    root = _tensorboard_sweep(tmp_path / "sweep")
    code, out, drawn = _on_a_terminal(["diagnose", str(root)], tmp_path)
    assert code == 0, drawn
    assert "reading sweep: trial_2 (3)" in drawn
    assert out.count("trial_") >= 3 and "reading" not in out
    piped = subprocess.run([sys.executable, "-m", "losslens", "diagnose", str(root)], capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": SRC})
    assert piped.returncode == 0 and piped.stderr == "" and piped.stdout == out


def test_a_folder_of_many_logs_looks_for_resumed_fits_in_linear_work(tmp_path, monkeypatch):
    """A folder of a sweep's 1,000 Keras CSVLogger files read in 54 s, 90% of it asking, for every pair of runs,
    whether one resumed the other (499,500 pairs, each two stat calls): only a Lightning ``version_N`` (or a Trainer's
    dated folder) can continue a run, and each run's folder is found once. The runs read are the same."""
    keras = pytest.importorskip("keras")
    from losslens.readers import directory

    n = 120
    for r in range(n):
        train, val = _curve(20, r)
        logger = keras.callbacks.CSVLogger(str(tmp_path / f"lr_{r}.csv"))
        logger.on_train_begin()
        for e in range(20):
            logger.on_epoch_end(e, {"loss": float(train[e]), "val_loss": float(val[e])})
        logger.on_train_end()
    asked = []
    folder = directory._folder
    monkeypatch.setattr(directory, "_folder", lambda run: asked.append(run) or folder(run))
    runs = losslens.read(tmp_path)
    assert [r.name for r in runs] == [f"lr_{r}" for r in range(n)]
    assert all(len(r) == 20 and np.isfinite(r.val_loss).all() for r in runs)
    assert len(asked) <= 3 * n  # (the code before: 28,800, two for each pair)


def test_a_run_split_into_train_and_validation_folders_is_said_once(tmp_path):
    """Keras' TensorBoard callback writes a run as ``run/train`` and ``run/validation``: the bar named each split
    folder (``validation (6)`` for 3 runs) where the user knows runs; each run is said once, by its own name."""
    from torch.utils.tensorboard import SummaryWriter

    from losslens.readers import reporting

    root = tmp_path / "tb"
    for r in range(3):
        train, val = _curve(30, r)
        for split, values in (("train", train), ("validation", val)):
            with SummaryWriter(str(root / f"trial_{r}" / split)) as w:
                for i, v in enumerate(values):
                    w.add_scalar("epoch_loss", v, i)
    said = []
    with reporting(said.append):
        runs = losslens.read(f"tb:{root}")
    assert [r.name for r in runs] == ["trial_0", "trial_1", "trial_2"]
    assert said == ["trial_0", "trial_1", "trial_2"]
