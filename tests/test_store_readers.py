"""TensorBoard, MLflow and W&B readers, on logs written by the real libraries."""

import hashlib
import shutil
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.exceptions import ReadError

pytestmark = pytest.mark.framework

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "logs"
EPOCHS = 12
TRAIN = [1.0 / (e + 1) for e in range(EPOCHS)]
VAL = [1.2 / (e + 1) + 0.05 * e for e in range(EPOCHS)]  # minimum at epoch 4, then rising


def digest(path: Path) -> str:
    """A hash of every file under ``path``: readers must leave their input untouched."""
    h = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        h.update(str(f.relative_to(path.parent)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


# ---- TensorBoard -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def writer():
    pytest.importorskip("tensorboard")
    tb = pytest.importorskip("torch.utils.tensorboard")
    return tb.SummaryWriter


def test_tensorboard_rerun_into_the_same_folder_is_not_spliced_into_the_first_run(tmp_path, writer, caplog):
    """`SummaryWriter("runs/exp")` run a second time (no clearing) writes a second event file whose steps start at
    0 again. A rerun killed at step 5 of a 12-step first try read as one 12-step run: steps 0-4 the rerun's, 5-11
    the first try's. As TensorBoard drops a restart's orphans, the later writer's points replace the earlier from
    the step it restarted at, said in one warning; a job resumed from a checkpoint (steps from 8) joins on."""
    exp = tmp_path / "runs" / "exp"
    for scale, epochs in ((3.0, EPOCHS), (1.0, 5)):
        w = writer(str(exp))
        for e in range(epochs):
            w.add_scalar("Loss/train", scale * TRAIN[e], e)
            w.add_scalar("Loss/val", scale * VAL[e], e)
        w.close()
        time.sleep(1.1)  # event files are ordered by the second in their name, as TensorBoard reads them
    before = digest(exp)
    [run] = losslens.read(f"tb:{exp}")
    assert list(run.axis) == [0, 1, 2, 3, 4] and run.val_loss == pytest.approx(VAL[:5])
    said = [r.getMessage() for r in caplog.records if "start again at 0 after step 11" in r.getMessage()]
    assert len(said) == 1 and "(24 points left out)" in said[0], said
    assert digest(exp) == before
    w = writer(str(exp))  # resumed from a checkpoint at step 3: the rerun's steps 3-4 are replaced
    for e in range(3, EPOCHS):
        w.add_scalar("Loss/train", TRAIN[e], e)
        w.add_scalar("Loss/val", VAL[e], e)
    w.close()
    [run] = losslens.read(str(exp))
    assert list(run.axis) == list(range(EPOCHS)) and run.val_loss == pytest.approx(VAL, rel=1e-6)
    assert losslens.diagnose(run).verdict == "overfitting"


def test_tensorboard_log_dir_with_many_runs(tmp_path, writer):
    logdir = tmp_path / "runs"
    for name, (t_tag, v_tag) in {"a": ("train/loss", "val/loss"), "b": ("loss_train", "loss_val")}.items():
        w = writer(str(logdir / name))
        for e in range(EPOCHS):
            w.add_scalar(t_tag, TRAIN[e], 10 * e)
            w.add_scalar(v_tag, VAL[e], 10 * e)
            w.add_scalar("lr", 0.1, 10 * e)
        w.close()
    w = writer(str(logdir / "c"))  # add_scalars writes one sub-directory per key
    for e in range(EPOCHS):
        w.add_scalars("Loss", {"train": TRAIN[e], "val": VAL[e]}, e)
    w.close()
    w = writer(str(logdir))  # a run in the log directory itself: a, b, c stay runs of their own
    for e in range(EPOCHS):
        w.add_scalar("train/loss", 2 * TRAIN[e], e)
    w.close()
    before = digest(logdir)

    runs = {r.name: r for r in losslens.read(f"tb:{logdir}")}
    assert sorted(runs) == ["a", "b", "c", "runs"]
    assert runs["runs"].train_loss == pytest.approx([2 * t for t in TRAIN], rel=1e-6)
    for name in ("a", "b", "c"):
        run = runs[name]
        assert run.train_loss == pytest.approx(TRAIN, rel=1e-6)
        assert run.val_loss == pytest.approx(VAL, rel=1e-6)
    assert runs["a"].axis_name == "step" and list(runs["a"].axis[:3]) == [0, 10, 20]
    assert runs["a"].lr == pytest.approx([0.1] * EPOCHS)
    # Plain paths are recognised by content: the directory and a single event file.
    assert {r.name for r in losslens.read(logdir)} == {"a", "b", "c", "runs"}
    event_file = next((logdir / "a").glob("events.out.tfevents.*"))
    assert losslens.read(event_file)[0].val_loss == pytest.approx(VAL, rel=1e-6)
    assert digest(logdir) == before


def test_tensorboard_keras_layout_train_and_validation_subdirectories(tmp_path, writer):
    # Keras' TensorBoard callback (it needs TensorFlow, so written here with the same layout and
    # tags): logs/train and logs/validation, each with epoch_loss / epoch_accuracy, step = epoch.
    for split, losses in (("train", TRAIN), ("validation", VAL)):
        w = writer(str(tmp_path / "logs" / split))
        for e in range(EPOCHS):
            w.add_scalar("epoch_loss", losses[e], e)
            w.add_scalar("epoch_accuracy", 1 - losses[e] / 2, e)
            if split == "train":
                w.add_scalar("epoch_learning_rate", 1e-3, e)
        w.close()
    [run] = losslens.read(f"tb:{tmp_path / 'logs'}")
    assert run.axis_name == "epoch" and list(run.axis) == list(range(EPOCHS))
    assert run.train_loss == pytest.approx(TRAIN, rel=1e-6)
    assert run.val_loss == pytest.approx(VAL, rel=1e-6)
    assert run.val_acc == pytest.approx([1 - v / 2 for v in VAL], rel=1e-6)
    assert run.lr == pytest.approx([1e-3] * EPOCHS)
    assert losslens.diagnose(f"tb:{tmp_path / 'logs'}").verdict == "overfitting"


def test_tensorboard_written_by_keras_itself_reads_as_its_history():
    """The real thing (tests/fixtures/logs/make_logs.py keras_tb, TensorFlow backend): Keras 3 also
    writes evaluation_loss_vs_iterations at step = iteration in validation/. Mixed into the epoch
    grid it made the training loss 'end' at epoch 11 of 240 steps, read as diverged."""
    pytest.importorskip("tensorboard")
    logs = FIXTURES / "keras_tensorboard"
    history = json.loads((FIXTURES / "keras_tensorboard.history.json").read_text())
    before = digest(logs)
    [run] = losslens.read(f"tb:{logs}")
    assert run.axis_name == "epoch" and list(run.axis) == list(range(12))
    assert run.train_loss == pytest.approx(history["loss"], rel=1e-6)
    assert run.val_loss == pytest.approx(history["val_loss"], rel=1e-6)
    assert run.val_acc == pytest.approx(history["val_accuracy"], rel=1e-6)
    assert not any("iteration" in k or "batch" in k for k in run.series)
    assert losslens.diagnose(logs).verdict == losslens.diagnose(history).verdict == "still_improving"
    # one split's file alone: its folder says which split it is
    [val] = losslens.read(next((logs / "validation").glob("events.out.tfevents.*")))
    assert val.val_loss == pytest.approx(history["val_loss"], rel=1e-6)
    assert digest(logs) == before


def test_tensorboard_step_log_with_an_epoch_tag_becomes_an_epoch_axis(tmp_path, writer):
    # Hugging Face's TensorBoardCallback: train/loss every logging step, eval/loss per epoch, and
    # train/epoch (fractional) beside each.
    w = writer(str(tmp_path / "hf"))
    step = 0
    for e in range(EPOCHS):
        for k in range(4):
            step += 5
            w.add_scalar("train/loss", TRAIN[e] + 0.01 * (k - 1.5), step)
            w.add_scalar("train/grad_norm", 2.0 / (e + 1), step)
            w.add_scalar("train/learning_rate", 5e-5, step)
            w.add_scalar("train/epoch", e + (k + 1) / 4, step)
        w.add_scalar("eval/loss", VAL[e], step)
        w.add_scalar("train/epoch", e + 1, step)
    w.close()
    [run] = losslens.read(tmp_path / "hf")
    assert run.axis_name == "epoch" and run.axis[-1] == EPOCHS
    assert run.val_loss[np.isfinite(run.val_loss)] == pytest.approx(VAL, rel=1e-6)
    assert run.has("grad_norm") and run.has("lr")


def test_tensorboard_half_written_final_record(tmp_path, writer):
    w = writer(str(tmp_path / "run"))
    for e in range(EPOCHS):
        w.add_scalar("train/loss", TRAIN[e], e)
    w.close()
    event_file = next((tmp_path / "run").glob("events.out.tfevents.*"))
    killed = tmp_path / "killed" / event_file.name
    killed.parent.mkdir()
    killed.write_bytes(event_file.read_bytes()[:-9])  # the job died inside the last record
    [run] = losslens.read(killed)
    assert run.train_loss == pytest.approx(TRAIN[:-1], rel=1e-6)


def test_tensorboard_bad_input_is_one_line(tmp_path, writer):
    from losslens.readers.tensorboard import read_tensorboard

    with pytest.raises(ReadError, match="no TensorBoard event files"):
        read_tensorboard(tmp_path)
    with pytest.raises(ReadError, match="no such file"):
        read_tensorboard(tmp_path / "missing")
    junk = tmp_path / "junk" / "events.out.tfevents.123.host"
    junk.parent.mkdir()
    junk.write_bytes(os.urandom(4000))
    with pytest.raises(ReadError) as info:
        read_tensorboard(junk.parent)
    assert "\n" not in str(info.value) and str(junk.parent) in str(info.value)


# ---- W&B ------------------------------------------------------------------------------------
@pytest.mark.slow  # wandb starts its service process: a few seconds
def test_wandb_offline_run(tmp_path, monkeypatch, caplog):
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    script = (
        "import wandb\n"
        "run = wandb.init(project='losslens', name='tiny', config={'lr': 0.1})\n"
        f"for e, (t, v) in enumerate(zip({TRAIN}, {VAL})):\n"
        "    run.log({'train/loss': t, 'val/loss': v, 'epoch': e})\n"
        "run.finish()\n")
    # A subprocess: wandb patches the interpreter it runs in (print hooks, atexit).
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    folder = tmp_path / "wandb"
    [offline] = list(folder.glob("offline-run-*"))
    before = digest(folder)
    for source in (f"wandb:{folder}", f"wandb:{offline}", next(offline.glob("run-*.wandb"))):
        [run] = losslens.read(source)
        assert run.name == "tiny" and run.axis_name == "epoch"
        assert run.train_loss == pytest.approx(TRAIN) and run.val_loss == pytest.approx(VAL)
        assert run.meta["config"] == {"lr": 0.1}
    assert digest(folder) == before
    # A job killed mid-write: the half-written last record is skipped, the rest is read.
    run_file = next(offline.glob("run-*.wandb"))
    data = run_file.read_bytes()
    history_end = data.rfind(b"val/loss") + 40  # inside the record after the last history row
    cut = tmp_path / "killed" / run_file.name
    cut.parent.mkdir()
    cut.write_bytes(data[:history_end])
    assert not [r for r in caplog.records if "cut off" in r.getMessage()]  # the whole file: nothing to say
    [run] = losslens.read(f"wandb:{cut}")
    assert len(run) >= EPOCHS - 1 and run.train_loss[:EPOCHS - 1] == pytest.approx(TRAIN[:EPOCHS - 1])
    # ... said, as for every other log cut off mid-write (it was left out in silence)
    said = [r.getMessage() for r in caplog.records if "cut off" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith(f"losslens: {cut}: the last record was cut off mid-write (")
    assert said[0].endswith(" bytes at the end): left out"), said


def test_wandb_run_file_cut_mid_write_is_read_to_the_cut_with_a_warning(tmp_path, caplog):
    """A run still writing (or killed) ends inside a record: read up to it, said in one line as for a TensorBoard
    or CSV log cut off mid-write; the half record was left out in silence. On the committed offline run (W&B 0.31)."""
    pytest.importorskip("wandb")
    whole = next((FIXTURES.parent / "ecosystem" / "wandb_offline_small_data").rglob("run-*.wandb"))
    [full] = losslens.read(f"wandb:{whole}")
    assert not [r for r in caplog.records if "cut off" in r.getMessage()]
    data = whole.read_bytes()
    cut = tmp_path / whole.name
    cut.write_bytes(data[:data.rfind(b"val/loss") + 40])
    [run] = losslens.read(f"wandb:{cut}")
    assert 0 < len(run) < len(full) and run.val_loss == pytest.approx(full.val_loss[:len(run)])
    said = [r.getMessage() for r in caplog.records if "cut off" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith(f"losslens: {cut}: the last record was cut off mid-write ("), said


def test_wandb_exported_history_csv_with_step_column(tmp_path):
    # The run page's "Export CSV" / run.history().to_csv(): W&B's own _step, _runtime, _timestamp.
    rows = ["_step,_runtime,_timestamp,train/loss,val/loss"]
    rows += [f"{e},{1.5 * e},{1.7e9 + e},{TRAIN[e]},{VAL[e]}" for e in range(EPOCHS)]
    path = tmp_path / "wandb_export.csv"
    path.write_text("\n".join(rows) + "\n")
    for source in (path, f"wandb:{path}"):
        [run] = losslens.read(source)
        # (_step counting wandb.log calls, one an epoch with both losses: read as epochs)
        assert run.axis_name == "epoch" and list(run.axis) == list(range(EPOCHS))
        assert run.train_loss == pytest.approx(TRAIN) and run.val_loss == pytest.approx(VAL)


def test_wandb_bad_input(tmp_path):
    from losslens.readers.wandb import read_wandb

    with pytest.raises(ReadError, match="no W&B run file"):
        read_wandb(tmp_path)
    bad = tmp_path / "run-x.wandb"
    bad.write_bytes(b"not a wandb file")
    with pytest.raises(ReadError, match="no :W&B header"):
        read_wandb(bad)


def test_a_wandb_run_file_without_its_suffix_is_read_not_recursed_into(tmp_path):
    from cli_helpers import refused

    """A run file renamed (``myrun``, no ``.wandb``) was sniffed as W&B by its header, handed back to the generic
    reader for lack of the suffix, sniffed again ...: RecursionError, a traceback (found by the fuzz test's random
    bytes after a :W&B header). Read as the run file it is; junk behind the header gets the one-line error."""
    pytest.importorskip("wandb")
    whole = next((FIXTURES.parent / "ecosystem" / "wandb_offline_small_data").rglob("run-*.wandb"))
    renamed = tmp_path / "myrun"
    renamed.write_bytes(whole.read_bytes())
    [run] = losslens.read(renamed)
    [full] = losslens.read(whole)
    assert run.val_loss == pytest.approx(full.val_loss) and run.meta["format"] == "wandb"
    junk = tmp_path / "log"
    junk.write_bytes(b":W&B\x00\x01" + bytes(range(256)))
    refused(junk, "W&B run holds no logged history")


# ---- MLflow ---------------------------------------------------------------------------------
def log_mlflow_runs(tracking_uri, experiment="demo"):
    """Two runs through the real MLflow client: Keras-autolog style and Lightning style (epoch metric)."""
    import mlflow
    from mlflow.entities import Metric

    client = mlflow.MlflowClient(tracking_uri)
    exp_id = client.create_experiment(experiment)
    now = int(time.time() * 1000)
    keras_run = client.create_run(exp_id, run_name="keras-style")
    metrics = [Metric("loss", TRAIN[e], now, e) for e in range(EPOCHS)]
    metrics += [Metric("val_loss", VAL[e], now, e) for e in range(EPOCHS)]
    client.log_batch(keras_run.info.run_id, metrics=metrics)  # one request per run (a server is slow)
    client.set_terminated(keras_run.info.run_id)
    pl_run = client.create_run(exp_id, run_name="lightning-style")
    metrics, step = [], 0
    for e in range(EPOCHS):
        for k in range(3):  # train loss every 10 steps, averaged per epoch by the reader
            step += 10
            metrics += [Metric("train_loss_step", TRAIN[e] + 0.01 * (k - 1), now, step),
                        Metric("epoch", e, now, step)]
        metrics.append(Metric("val_loss", VAL[e], now, step))
    client.log_batch(pl_run.info.run_id, metrics=metrics)
    client.set_terminated(pl_run.info.run_id)
    return keras_run.info.run_id, pl_run.info.run_id


def check_mlflow_store(uri, keras_id):
    runs = {r.name: r for r in losslens.read(f"mlflow:{uri}#experiment=demo")}
    assert sorted(runs) == ["keras-style", "lightning-style"]
    k, pl = runs["keras-style"], runs["lightning-style"]
    # (Keras-style: both losses at step=epoch, read as epochs)
    assert k.axis_name == "epoch" and k.train_loss == pytest.approx(TRAIN) and k.val_loss == pytest.approx(VAL)
    assert pl.axis_name == "epoch" and list(pl.axis) == list(range(EPOCHS))
    assert pl.train_loss == pytest.approx(TRAIN) and pl.val_loss == pytest.approx(VAL)
    from losslens.readers.mlflow import read_mlflow
    assert [r.meta["run_id"] for r in read_mlflow(uri, run_id=keras_id)] == [keras_id]
    assert [r.name for r in read_mlflow(uri, run_id="lightning-style")] == ["lightning-style"]
    with pytest.raises(ReadError, match="no experiment 'nope'"):
        read_mlflow(uri, experiment="nope")
    with pytest.raises(ReadError, match="no run with id or name"):
        read_mlflow(uri, run_id="nope")


def test_mlflow_mlruns_folder(tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 keeps the folder store behind a flag
    store = tmp_path / "mlruns"
    keras_id, _ = log_mlflow_runs(store.as_uri())
    before = digest(store)
    check_mlflow_store(str(store), keras_id)
    assert digest(store) == before


def test_mlflow_missing_store_is_an_error_not_a_new_store(tmp_path):
    pytest.importorskip("mlflow")
    from losslens.readers.mlflow import read_mlflow

    with pytest.raises(ReadError, match="no such MLflow sqlite database"):
        read_mlflow(f"sqlite:///{tmp_path / 'none.db'}")
    assert not (tmp_path / "none.db").exists()


@pytest.fixture(scope="module")
def mlflow_db(tmp_path_factory):
    """An sqlite store written by the real MLflow client (creating its tables takes seconds: once)."""
    pytest.importorskip("mlflow")
    db = tmp_path_factory.mktemp("mlflow") / "mlflow.db"
    keras_id, _ = log_mlflow_runs(f"sqlite:///{db}")
    return db, keras_id


@pytest.mark.slow
def test_mlflow_sqlite_store(mlflow_db):
    db, keras_id = mlflow_db
    before = digest(db)
    check_mlflow_store(f"sqlite:///{db}", keras_id)
    assert {r.name for r in losslens.read(db)} == {"keras-style", "lightning-style"}  # by content
    assert digest(db) == before


@pytest.mark.slow
def test_mlflow_server_on_loopback(tmp_path, mlflow_db):
    db, keras_id = mlflow_db
    served = tmp_path / "served.db"
    served.write_bytes(db.read_bytes())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    uri = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{served}",
         "--default-artifact-root", str(tmp_path / "artifacts"), "--workers", "1"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        import urllib.request
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"{uri}/health", timeout=2)
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    pytest.fail("mlflow server did not come up")
                time.sleep(0.5)
        check_mlflow_store(uri, keras_id)
        with pytest.raises(ReadError, match="cannot reach the MLflow server"):
            losslens.read(f"mlflow:http://127.0.0.1:{port + 1 if port < 65535 else port - 1}")
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


def test_an_sqlite_file_that_is_no_mlflow_store_is_never_written(tmp_path):
    # MLflow creates its schema in any SQLite file it opens: an Optuna study grew from 120 KB to 160 KB
    # and gained MLflow's tables, a cache in a project folder read as a directory likewise.
    pytest.importorskip("mlflow")
    import shutil
    import sqlite3

    db = tmp_path / "optuna.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE trials (trial_id INTEGER PRIMARY KEY, value REAL)")
        con.executemany("INSERT INTO trials (value) VALUES (?)", [(0.5,), (0.4,)])
    con.close()
    before = db.read_bytes()
    with pytest.raises(ReadError, match=r"an SQLite database, but not an MLflow tracking store \(its tables: trials\)"):
        losslens.read(db)
    with pytest.raises(ReadError, match="not an MLflow tracking store"):
        losslens.read(f"sqlite:///{db}")
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    shutil.copyfile(db, project / "data" / "cache.sqlite")
    (project / "log.csv").write_text("epoch,loss,val_loss\n" + "".join(f"{i},{1 / (i + 1)},{1.1 / (i + 1)}\n"
                                                                       for i in range(10)))
    assert [r.name for r in losslens.read(project)] == ["project"]  # (the log; the cache passed over)
    assert db.read_bytes() == before and (project / "data" / "cache.sqlite").read_bytes() == before


def test_mlflow_runs_of_one_name_in_two_experiments_are_told_apart(tmp_path):
    """run_name="baseline" in two experiments: the table showed two identical rows, and `losslens plot
    --run baseline` answered "holds 2 runs; pick one with --run (e.g. --run 'baseline')", a loop. The report's
    overview and its sections name them as the table does."""
    mlflow = pytest.importorskip("mlflow")
    from typer.testing import CliRunner
    from losslens.cli import app

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = mlflow.MlflowClient(uri)
    ids = {}
    for exp, rate in (("resnet", 0.5), ("vit", 0.05)):
        run = client.create_run(client.create_experiment(exp), run_name="baseline")
        for step in range(15):
            client.log_metric(run.info.run_id, "val_loss", 1 / (1 + rate * step) + 0.2, step=step)
        client.set_terminated(run.info.run_id)
        ids[exp] = run.info.run_id
    runner = CliRunner()
    res = runner.invoke(app, ["diagnose", f"mlflow:{uri}"])
    assert res.exit_code == 0, res.output
    for run_id in ids.values():  # each row and each report names the id --run takes
        assert f"baseline (--run {run_id})" in res.stdout
    # The report told them apart nowhere: two overview rows and two sections headed "baseline".
    res = runner.invoke(app, ["report", f"mlflow:{uri}", "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    import re
    want = sorted(f"baseline (--run {run_id})" for run_id in ids.values())
    assert sorted(re.findall(r'<tr data-i="\d+" data-name="([^"]+)"', page)) == want
    assert sorted(re.findall(r'<div class="ll-run-head"><h2>([^<]+)</h2>', page)) == want
    res = runner.invoke(app, ["plot", f"mlflow:{uri}", "--run", "baseline", "-o", str(tmp_path / "b.png")])
    assert res.exit_code == 2 and "pick one by its id" in res.stderr and ids["vit"] in res.stderr, res.stderr
    res = runner.invoke(app, ["plot", f"mlflow:{uri}", "--run", ids["vit"], "-o", str(tmp_path / "b.png")])
    assert res.exit_code == 0 and (tmp_path / "b.png").stat().st_size > 10_000, res.output


def test_a_lightning_tensorboard_version_is_picked_by_the_name_tb_gives_it_on_a_plain_path_too(tmp_path, writer):
    """Lightning's TensorBoardLogger("lightning_logs", name="mymodel") writes mymodel/version_0, version_1.
    `tb:lightning_logs` names them "mymodel/version_1", the plain folder "version_1"; `--run mymodel/version_1`
    on the plain folder answered "no run 'mymodel/version_1' (2 runs: version_0, version_1)"."""
    from typer.testing import CliRunner
    from losslens.cli import app

    root = tmp_path / "lightning_logs"
    for v, scale in ((0, 1.0), (1, 2.0)):
        w = writer(str(root / "mymodel" / f"version_{v}"))
        for e in range(EPOCHS):
            w.add_scalar("train_loss", scale * TRAIN[e], e)
            w.add_scalar("val_loss", scale * VAL[e], e)
        w.close()
    assert sorted(r.name for r in losslens.read(f"tb:{root}")) == ["mymodel/version_0", "mymodel/version_1"]
    for path in (str(root), f"tb:{root}"):
        for name in ("version_1", "mymodel/version_1"):
            (run,) = losslens.read(path, run_id=name)
            assert run.val_loss == pytest.approx([2 * v for v in VAL], rel=1e-6), (path, name)
    res = CliRunner().invoke(app, ["diagnose", str(root), "--run", "mymodel/version_1", "--json"])
    assert res.exit_code == 0 and len(res.stdout.splitlines()) == 1, res.output


def test_run_picked_from_whichever_of_several_paths_holds_it(tmp_path, writer):
    """`diagnose A B --run ID` looked for ID in every path and stopped with "B: no run 'ID'" where only A held it
    (an MLflow store beside a Keras CSVLogger file; two TensorBoard folders). The run is read where it is, each
    path without it is a "skipped" line on stderr, and an ID no path holds is one line naming every path."""
    mlflow = pytest.importorskip("mlflow")
    from typer.testing import CliRunner
    from losslens.cli import app

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = mlflow.MlflowClient(uri)
    run = client.create_run(client.create_experiment("demo"), run_name="baseline")
    for e in range(EPOCHS):
        client.log_metric(run.info.run_id, "loss", TRAIN[e], step=e)
        client.log_metric(run.info.run_id, "val_loss", VAL[e], step=e)
    client.set_terminated(run.info.run_id)
    csv = Path(losslens.__file__).parent / "examples" / "keras_csvlogger.csv"
    for root, names in (("tbA", ("a1", "a2")), ("tbB", ("b1",))):
        for scale, name in enumerate(names, 1):
            w = writer(str(tmp_path / root / name))
            for e in range(EPOCHS):
                w.add_scalar("train_loss", scale * TRAIN[e], e)
                w.add_scalar("val_loss", scale * VAL[e], e)
            w.close()
    tb_a, tb_b = str(tmp_path / "tbA"), str(tmp_path / "tbB")
    before = digest(tmp_path)
    runner = CliRunner()

    res = runner.invoke(app, ["diagnose", f"mlflow:{uri}", str(csv), "--run", "baseline", "--json"])
    assert res.exit_code == 0, res.output
    assert [json.loads(line)["run"] for line in res.stdout.splitlines()] == ["baseline"]
    assert res.stderr.strip().splitlines() == [f"losslens: skipped {csv}: no run 'baseline': the file holds one run "
                                               f"(keras_csvlogger) and no run-id column"]
    res = runner.invoke(app, ["diagnose", tb_a, tb_b, "--run", "a2", "--json"])
    assert res.exit_code == 0, res.output
    (line,) = res.stdout.splitlines()
    assert json.loads(line)["run"] == "a2"
    assert res.stderr.strip() == f"losslens: skipped {tb_b}: no run 'a2' (1 run: b1)"
    res = runner.invoke(app, ["report", tb_a, tb_b, "--run", "b1", "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 0 and "(1 run)" in res.stdout and f"skipped {tb_a}" in res.stderr, res.output
    res = runner.invoke(app, ["forecast", tb_a, tb_b, "--run", "b1"])
    assert res.exit_code == 0 and res.stdout.startswith("b1:"), res.output
    # Nowhere: one line naming every path, exit 2, no traceback.
    res = runner.invoke(app, ["diagnose", f"mlflow:{uri}", tb_a, tb_b, "--run", "zz"])
    assert res.exit_code == 2 and res.stdout == "", res.output
    (err,) = res.stderr.strip().splitlines()
    assert err.startswith("losslens: no run 'zz' in any of the 3 paths: ") and uri in err, err
    assert f"{tb_a}: no run 'zz' (2 runs: a1, a2)" in err and f"{tb_b}: no run 'zz' (1 run: b1)" in err
    # One path: its own line, as before.
    res = runner.invoke(app, ["diagnose", tb_a, "--run", "zz"])
    assert res.exit_code == 2 and res.stderr.strip() == f"losslens: {tb_a}: no run 'zz' (2 runs: a1, a2)"
    (tmp_path / "r.html").unlink()
    assert digest(tmp_path) == before


def _logged_without_step(mlflow, store: Path):
    """A folder store with one run whose loss and val_loss were logged by ``log_metric`` without ``step=``
    (MLflow's quickstart form): (the client, the run)."""
    client = mlflow.MlflowClient(store.as_uri())
    run = client.create_run(client.create_experiment("demo"), run_name="no-step")
    for e in range(EPOCHS):
        client.log_metric(run.info.run_id, "loss", TRAIN[e])
        client.log_metric(run.info.run_id, "val_loss", VAL[e])
    client.set_terminated(run.info.run_id)
    return client, run


def test_mlflow_metrics_logged_without_step_are_read_in_logging_order(tmp_path, monkeypatch, caplog):
    """`log_metric("val_loss", v)` with no step= (MLflow's quickstart form) logs every value at step 0: the run
    was skipped as "only 1 value(s) of val_loss" (the last one). Read in the order logged, with a warning."""
    mlflow = pytest.importorskip("mlflow")
    from typer.testing import CliRunner
    from losslens.cli import app

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    store = tmp_path / "mlruns"
    client, run = _logged_without_step(mlflow, store)
    assert {m.step for m in client.get_metric_history(run.info.run_id, "val_loss")} == {0}
    before = digest(store)
    [r] = losslens.read(f"mlflow:{store}")
    assert list(r.axis) == list(range(EPOCHS)) and r.meta["unstepped_metrics"] == ["loss", "val_loss"]
    assert r.train_loss == pytest.approx(TRAIN) and r.val_loss == pytest.approx(VAL)
    caplog.clear()
    res = CliRunner().invoke(app, ["diagnose", str(store)])
    assert res.exit_code == 0 and res.stdout.startswith("no-step: overfitting"), res.output
    said = [r.getMessage() for r in caplog.records if "log_metric without step=" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith(f"losslens: {store}#run={run.info.run_id}: loss, val_loss"), said
    assert digest(store) == before
    # Beside metrics logged by step, one logged without is left as it was (mlflow.keras.autolog logs such a
    # validation_loss beside its val_loss by epoch: read in order, it stretched the axis and val_loss "diverged").
    mixed = client.create_run(client.create_experiment("mixed"), run_name="mixed")
    for e in range(EPOCHS):
        client.log_metric(mixed.info.run_id, "val_loss", VAL[e], step=e)
        client.log_metric(mixed.info.run_id, "eval_seconds", 1.0 + e)
    [r] = losslens.read(f"mlflow:{store}#experiment=mixed")
    assert list(r.axis) == list(range(EPOCHS)) and "unstepped_metrics" not in r.meta
    assert losslens.diagnose(r).verdict == "overfitting"


def test_losslens_warnings_said_while_mlflow_is_quieted_reach_stderr(tmp_path, monkeypatch):
    """The MLflow reader quiets MLflow's logging (INFO lines, the file store's tracebacks) with a handler on the root
    logger, which also kept Python's last resort from printing losslens's own warnings said meanwhile: a user
    without logging set up (a script, the CLI) never saw them. In a fresh interpreter, as a user runs it: a real
    store whose metrics were logged without step= says so once on stderr (the reader says it while reading), and
    a warning said inside the quieted block is printed while MLflow's own lines are not."""
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(losslens.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]))
    store = tmp_path / "mlruns"
    client, run = _logged_without_step(mlflow, store)
    script = (
        "import logging, losslens\n"
        "from losslens.readers import _source, mlflow\n"
        "with mlflow._quiet():\n"
        "    logging.getLogger('mlflow.store').warning('MLflow noise')\n"
        "    _source.warn('here', 'a warning of losslens')\n"
        f"print(losslens.diagnose({f'mlflow:{store}'!r}).verdict)\n")
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0 and res.stdout.strip() == "overfitting", res.stderr
    lines = res.stderr.splitlines()
    assert "losslens: here: a warning of losslens" in lines and "MLflow noise" not in res.stderr, res.stderr
    said = [ln for ln in lines if "log_metric without step=" in ln]
    assert len(said) == 1 and said[0].startswith(f"losslens: {store}#run={run.info.run_id}: loss, val_loss"), \
        res.stderr


def test_mlflow_runs_with_the_same_values_in_one_folder_store_are_two_runs(tmp_path, monkeypatch):
    """A seeded rerun logs exactly the values of the first run: `losslens diagnose mlruns/` dropped the second
    as a copy of the first (the check meant for one fit written by two loggers), where `mlflow:mlruns` kept both."""
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    store = tmp_path / "mlruns"
    client = mlflow.MlflowClient(store.as_uri())
    exp = client.create_experiment("demo")
    for name in ("seed0", "seed0-rerun"):
        run = client.create_run(exp, run_name=name)
        for e in range(EPOCHS):
            client.log_metric(run.info.run_id, "val_loss", VAL[e], step=e)
        client.set_terminated(run.info.run_id)
    assert [r.name for r in losslens.read(str(store))] == [r.name for r in losslens.read(f"mlflow:{store}")] \
        == ["seed0", "seed0-rerun"]


def test_an_mlflow_run_left_running_is_said_to_be_maybe_not_over(tmp_path, monkeypatch):
    """A torch loop logging to MLflow, read while its run is open (or after a job killed before end_run:
    status RUNNING, no end time). It was diagnosed as if finished, its status only in meta; the report says
    so under the verdict. The same curve in a run that ended says nothing of it."""
    mlflow = pytest.importorskip("mlflow")
    from torch_loops import linear_regression_run
    from typer.testing import CliRunner
    from losslens.cli import app

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    store = tmp_path / "mlruns"
    client = mlflow.MlflowClient(store.as_uri())
    exp = client.create_experiment("demo")
    history = linear_regression_run(0.05, 25, weights=(1.0, -2.0, 0.5, 3.0), inputs="randn")
    open_run, done_run = (client.create_run(exp, run_name=n).info.run_id for n in ("open", "done"))
    for epoch, (loss, val) in enumerate(zip(history["loss"], history["val_loss"])):
        for run_id in (open_run, done_run):
            client.log_metric(run_id, "train_loss", loss, step=epoch)
            client.log_metric(run_id, "val_loss", val, step=epoch)
    client.set_terminated(done_run)
    assert client.get_run(open_run).info.status == "RUNNING" and client.get_run(open_run).info.end_time is None
    before = digest(store)
    res = CliRunner().invoke(app, ["diagnose", f"mlflow:{store}", "--run", "open"])
    assert res.exit_code == 0, res.output
    line = "the MLflow run is still RUNNING (no end time): the curve may not be over"
    assert line in res.stdout, res.stdout
    done = losslens.diagnose(f"mlflow:{store}#run=done")
    assert "RUNNING" not in str(done) and "the curve" not in str(done).split("\n")[0]
    assert digest(store) == before


def test_an_mlflow_run_that_failed_is_said_to_be_cut(tmp_path, monkeypatch):
    """An exception inside ``with mlflow.start_run()`` ends the run FAILED: its curve stops where the job died,
    which the report says under the verdict, as it does for a run still RUNNING."""
    mlflow = pytest.importorskip("mlflow")
    from torch_loops import linear_regression_run

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    store = tmp_path / "mlruns"
    history = linear_regression_run(0.05, 12, weights=(1.0, -2.0, 0.5, 3.0), inputs="randn")
    mlflow.set_tracking_uri(store.as_uri())
    try:  # the tracking URI is process-wide: a later test's "mlflow:" (the default store) must not see this one
        with pytest.raises(RuntimeError):
            with mlflow.start_run(run_name="crashed"):
                for epoch, (loss, val) in enumerate(zip(history["loss"], history["val_loss"])):
                    mlflow.log_metrics({"train_loss": loss, "val_loss": val}, step=epoch)
                raise RuntimeError("CUDA out of memory (the job dies)")
        [run] = mlflow.search_runs(output_format="list")
    finally:
        mlflow.set_tracking_uri(None)
    assert run.info.status == "FAILED"
    d = losslens.diagnose(f"mlflow:{store}#run=crashed")
    assert "the MLflow run ended FAILED: the curve stops where the job failed" in str(d), str(d)


def test_tensorboard_validation_that_stopped_being_logged_is_not_divergence(tmp_path, writer):
    """A torch loop writing to SummaryWriter stops adding val_loss after epoch 23 and trains on: the Run's
    val_loss ends in NaN at the steps no record was written for, read "diverged" (NaN from epoch 24). A
    record holding NaN is a loss that did turn NaN."""
    from torch_loops import linear_regression_run

    history = linear_regression_run(0.05, 30, weights=(1.0, -2.0, 0.5, 0.0, 3.0), inputs="randn")
    stopped, broke = writer(str(tmp_path / "stopped")), writer(str(tmp_path / "broke"))
    for epoch, (loss, val) in enumerate(zip(history["loss"], history["val_loss"])):
        for w in (stopped, broke):
            w.add_scalar("train_loss", loss, epoch)
        if epoch < 24:
            stopped.add_scalar("val_loss", val, epoch)
        broke.add_scalar("val_loss", val if epoch < 24 else float("nan"), epoch)
    stopped.close()
    broke.close()
    d = losslens.diagnose(tmp_path / "stopped")
    assert d.verdict != "diverged" and d.facts.divergence.nonfinite_from is None, str(d)
    assert d.run.meta["logged_until"] == {"val_loss": 23.0}
    nan = losslens.diagnose(tmp_path / "broke")
    assert nan.verdict == "diverged" and nan.facts.divergence.nonfinite_from == 24


def test_mlflow_values_logged_in_one_millisecond_keep_the_order_logged(tmp_path, monkeypatch):
    # Without step= every value sits at step 0 and the logging order is the axis; two calls in one millisecond
    # share a timestamp, and sorting by (step, timestamp, value) put those in the order of their values: a
    # falling loss read rising wherever calls came that fast (test_mlflow_metrics_logged_without_step... failed
    # so on a loaded machine).
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    store = tmp_path / "mlruns"
    client = mlflow.MlflowClient(store.as_uri())
    run = client.create_run(client.create_experiment("fast"), run_name="fast")
    val = [1.0, 0.6, 0.45, 0.4, 0.38, 0.37]
    for v in val:
        client.log_metric(run.info.run_id, "val_loss", v, timestamp=1_700_000_000_000)
    [r] = losslens.read(f"mlflow:{store}")
    assert list(r.val_loss) == val


ECO = Path(__file__).resolve().parent / "fixtures" / "ecosystem"


@pytest.mark.parametrize("store, target, where", [
    ("wandb", "wandb_resumed/wandb", "_to_run"),
    ("tensorboard", "tb_lr_sweep/runs/lr_0.001", "_hparams"),
    ("mlflow", "mlflow_two_stores/mlruns", "_to_run"),
])
def test_a_bug_in_a_store_reader_is_an_internal_error_and_a_damaged_store_still_bad_input(tmp_path, monkeypatch,
                                                                                           store, target, where):
    # readers.delegate turned every exception a store reader raised into "could not be read", exit 2: a TypeError in
    # losslens's own reading of what MLflow (W&B, TensorBoard) returned was passed off as the user's damaged store.
    # Only what the library itself raised is bad input now; a bug is the internal-error line, exit 3.
    import importlib

    from typer.testing import CliRunner

    from losslens.cli import app

    pytest.importorskip(store)
    module = importlib.import_module(f"losslens.readers.{store}")

    def bug(*args, **kwargs):
        raise TypeError("'NoneType' object is not subscriptable")

    path = tmp_path / Path(target).name
    shutil.copytree(ECO / target, path)
    uri = f"{store}:{path}" if store != "tensorboard" else f"tb:{path}"
    monkeypatch.setattr(module, where, bug)
    res = CliRunner().invoke(app, ["diagnose", uri])
    assert res.exit_code == 3 and res.stderr.startswith("losslens: internal error (TypeError: "), res.stderr
    assert f", in losslens/readers/{store}.py:" in res.stderr and "could not be read" not in res.stderr
    monkeypatch.undo()
    if store == "mlflow":  # a run's meta.yaml damaged: PyYAML's ParserError, raised inside MLflow, is bad input
        meta = next(p for p in path.rglob("meta.yaml") if p.parent.parent != path)
        meta.write_text("run_id: [unclosed\nname: : :\n")
        res = CliRunner().invoke(app, ["diagnose", uri])
        assert res.exit_code == 2 and res.stderr == (f"losslens: {uri}: an MLflow tracking store could not be read "
                                                     "(ParserError: while parsing a flow sequence)\n"), res.stderr


def test_a_resumed_wandb_runs_note_is_said_on_stderr_once_as_every_readers_note(tmp_path):
    # The note that two offline parts of one W&B run were read as one went into run.meta["notes"] (--json) only:
    # the command line, which prints every other reader's note, said nothing of it.
    pytest.importorskip("wandb")
    shutil.copytree(ECO / "wandb_resumed" / "wandb", tmp_path / "wandb")
    proc = subprocess.run([sys.executable, "-m", "losslens", "diagnose", "--json", f"wandb:{tmp_path / 'wandb'}"],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.returncode == 0, proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"losslens: {tmp_path / 'wandb'}") and "2 offline parts of W&B run resumed01" in line, line
    [obj] = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [n for n in obj["notes"] if "2 offline parts" in n] == [line.split(".wandb: ", 1)[1]], obj["notes"]
