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


def _printed_loop(path: Path, lines: int) -> tuple[np.ndarray, np.ndarray]:
    """What a training loop's ``print`` wrote (``python train.py > train.log``): ``step N | loss x`` every step,
    ``| val_loss y`` every 1,000th, as benchmarks/sweep_speed.py's million-line log; the values as printed."""
    train, val = _curve(lines, 7)
    with open(path, "w") as f:
        for i in range(lines):
            print(f"step {i + 1} | loss {train[i]:.4f}" + (f" | val_loss {val[i]:.4f}" if i % 1000 == 999 else ""),
                  file=f)
    return np.round(train, 4), np.round(val[999::1000], 4)


def test_one_big_printed_log_says_how_much_of_it_is_read(tmp_path, monkeypatch):
    """A loop's million printed lines were parsed for 20 s under a bar that said ``reading train.log 0/1``: the reader
    says, a megabyte of text at a time (here 64 KB, so that a small log is cut into several), how much of it is read,
    to the hook a bar hangs on; the values are the printed ones, as read in one go."""
    from losslens.readers import console, reporting

    train, val = _printed_loop(tmp_path / "train.log", 20_000)  # 0.5 MB
    whole, = losslens.read(tmp_path / "train.log")
    monkeypatch.setattr(console, "_CHUNK", 1 << 16, raising=False)
    said, shares = [], []
    with reporting(said.append, lambda done, total: shares.append((done, total))):
        run, = losslens.read(tmp_path / "train.log")
    size = len((tmp_path / "train.log").read_text())
    assert len(shares) >= 5 and all(total == size for _, total in shares)
    done = [d for d, _ in shares]
    assert done == sorted(done) and done[-1] == size and done[0] < size / 4
    assert said == []  # (one file: no parts)
    assert run.axis_name == "step" and np.array_equal(run.axis, np.arange(1, 20_001))
    assert np.array_equal(run.train_loss, train)
    assert np.array_equal(run.val_loss[999::1000], val) and np.isnan(run.val_loss[:999]).all()
    assert run.series.keys() == whole.series.keys()
    for name in whole.series:
        assert np.array_equal(run.series[name], whole.series[name], equal_nan=True), name
    shares.clear()
    losslens.read(tmp_path / "train.log")  # no hook outside reporting()
    assert shares == []


def test_a_printed_log_is_read_in_little_memory(tmp_path):
    """The printed-log reader held every line as a list of strings, two dicts per line and a dict of lists per point:
    ~1 GiB for a million lines (sweep_speed). Its values are now kept in arrays: 30,000 lines (0.8 MB of text) need
    about 5 MB beyond the text (the code before: 25 MB)."""
    import tracemalloc

    from losslens.readers import console

    _printed_loop(tmp_path / "train.log", 30_000)
    text = (tmp_path / "train.log").read_text()
    tracemalloc.start()
    try:
        cols, _ = console.printed_log_columns(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(cols["step"]) == 30_000
    assert peak < 12 * 2**20, f"{peak / 2**20:.1f} MiB"


def test_a_big_csv_is_parsed_in_parts_to_the_same_values(tmp_path, monkeypatch):
    """A W&B run's "Export CSV" (pandas writes it; NaN as an empty cell): a big table's numbers are parsed a part at a
    time (4 MB; here 16 KB, so that a small file is cut into many), each part said to the hook; the columns are
    those of one parse."""
    import pandas as pd

    from losslens.readers import delimited, reporting

    (train, val), i = _curve(5_000, 3), np.arange(5_000)
    pd.DataFrame({"_step": i, "_runtime": i * 0.1, "train/loss": train, "train/lr": 3e-4,
                  "val/loss": np.where(i % 100 == 99, val, np.nan), "epoch": i // 500}
                 ).to_csv(tmp_path / "wandb_export.csv", index=False)
    whole, = losslens.read(tmp_path / "wandb_export.csv")
    monkeypatch.setattr(delimited, "_PART", 1 << 14, raising=False)
    shares = []
    with reporting(lambda what: None, lambda done, total: shares.append((done, total))):
        parted, = losslens.read(tmp_path / "wandb_export.csv")
    assert len(shares) >= 5 and [d for d, _ in shares] == sorted(d for d, _ in shares)
    assert shares[-1][0] == shares[-1][1]
    assert np.array_equal(parted.train_loss, train) and np.array_equal(parted.val_loss[99::100], val[99::100])
    assert parted.series.keys() == whole.series.keys()
    for name in whole.series:
        assert np.array_equal(parted.series[name], whole.series[name], equal_nan=True), name


def test_the_reading_bar_fills_within_one_big_file_on_a_terminal(tmp_path):
    """On a terminal the bar says how much of one big log is read (``reading train.log 100%`` before it is taken
    away); piped, nothing is drawn and the diagnosis is the same."""
    _printed_loop(tmp_path / "train.log", 45_000)  # 1.2 MB: said at its first megabyte and at its end
    code, out, drawn = _on_a_terminal(["diagnose", "train.log"], tmp_path)
    assert code == 0, drawn
    # (The share at its first megabyte is drawn or not as the bar's 10 Hz refresh falls: the hook's test above
    # counts the updates; the bar's last drawing is its state when reading ends.)
    assert "reading train.log 100%" in drawn
    piped = subprocess.run([sys.executable, "-m", "losslens", "diagnose", "train.log"], capture_output=True, text=True,
                           cwd=tmp_path, env={**os.environ, "PYTHONPATH": SRC})
    assert piped.returncode == 0 and piped.stderr == "" and piped.stdout == out
