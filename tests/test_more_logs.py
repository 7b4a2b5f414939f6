"""More libraries' logs, and the names they give a loss: scikit-learn (log_loss, negated scores, a
HistGradientBoosting's scores), XGBoost's and LightGBM's printed rounds, MLflow stores as MLflow 3 lays
them out and a loop that logs on two step axes, tqdm's postfix, fastai's printed table, a TensorBoard
add_scalars folder read alone, and a W&B history with batch and epoch rows.

Every file under tests/fixtures/ecosystem/<case>/ was written by the library in a tiny CPU run (the
make.py beside it; see that folder's README). Inputs are only ever read: each test checks their hashes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.exceptions import NoLossError, ReadError
from losslens.readers import read

ECO = Path(__file__).parent / "fixtures" / "ecosystem"


def _hashes(*roots: Path) -> dict[str, str]:
    # Folders too: reading a store must not add one to it (MLflow's folder store made mlruns/.trash/).
    paths = [p for r in roots for p in ([r] if r.is_file() else sorted(r.rglob("*")))]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "folder" for p in paths}


@pytest.fixture
def unchanged():
    """``unchanged(path, ...)`` records the files' hashes; the test's end checks them again."""
    seen: dict[str, str] = {}
    roots: list[Path] = []

    def record(*paths):
        roots.extend(Path(p) for p in paths)
        seen.update(_hashes(*map(Path, paths)))
    yield record
    assert _hashes(*roots) == seen, "an input file was modified"


def _curve(path: Path) -> dict[str, list[float]]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return {name: [float(r[j]) for r in rows[1:]] for j, name in enumerate(rows[0])}


def _write(path: Path, columns: dict[str, list[float]]) -> Path:
    names = list(columns)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names)
        w.writerows(zip(*(columns[n] for n in names)))
    return path


def _unxz(src: Path, dst: Path) -> Path:
    with lzma.open(src) as fin, open(dst, "wb") as fout:
        shutil.copyfileobj(fin, fout)
    return dst


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "losslens", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


# ---- 1. the names libraries give a loss ------------------------------------------------------------
NAMINGS = [("train_log_loss", "test_log_loss"), ("log_loss", "test_log_loss"), ("train_log_loss", "val_log_loss"),
           ("train_logloss", "eval_logloss"), ("train_binary_logloss", "valid_binary_logloss"),
           ("train_mlogloss", "valid_mlogloss"), ("train_nll", "val_nll"), ("nll", "val_nll"), ("train_ce", "val_ce"),
           ("train_cross_entropy", "val_cross_entropy"), ("train_mse", "val_mse"), ("train_rmse", "val_rmse"),
           ("train_error", "val_error"), ("train_objective", "valid_objective"), ("logloss_train", "logloss_valid")]


@pytest.mark.parametrize("train,val", NAMINGS)
def test_loss_names_of_libraries_are_the_train_and_validation_loss(tmp_path, unchanged, train, val):
    # One real overfitting curve (MLflow run epoch_steps) under each naming: the probe read 19 namings into 6
    # verdicts (train_binary_logloss: 'still improving' on the training curve; train_nll: no loss at all).
    src = ECO / "column_names" / "train_loss__val_loss.csv"
    unchanged(src)
    plain = _curve(src)
    expected = losslens.diagnose(str(src))
    assert expected.verdict == "overfitting"
    path = _write(tmp_path / f"{train}__{val}.csv", {"epoch": plain["epoch"], train: plain["train_loss"],
                                                     val: plain["val_loss"]})
    [run] = read(path)
    np.testing.assert_allclose(run.series["train_loss"], plain["train_loss"])
    np.testing.assert_allclose(run.series["val_loss"], plain["val_loss"])
    assert "loss_parts" not in run.meta  # train_log_loss / val_log_loss is one loss, not parts named "log"
    d = losslens.diagnose(run)
    assert (d.metric, d.verdict, d.plateau_epoch) == ("val_loss", expected.verdict, expected.plateau_epoch)


def test_a_plain_loss_comes_before_other_loss_names(tmp_path):
    plain = _curve(ECO / "column_names" / "train_loss__val_loss.csv")
    doubled = [2 * v for v in plain["val_loss"]]
    path = _write(tmp_path / "keras_mse.csv", {"epoch": plain["epoch"], "loss": plain["train_loss"],
                                               "mse": doubled, "val_loss": plain["val_loss"], "val_mse": doubled,
                                               "train_logloss": doubled})
    [run] = read(path)
    np.testing.assert_allclose(run.series["train_loss"], plain["train_loss"])
    np.testing.assert_allclose(run.series["val_loss"], plain["val_loss"])
    np.testing.assert_allclose(run.series["val_mse"], doubled)
    # A split with no plain loss takes its own: a logloss logged for both splits beats an error.
    path = _write(tmp_path / "xgb.csv", {"iteration": plain["epoch"], "train_error": doubled,
                                         "train_logloss": plain["train_loss"], "eval_error": doubled,
                                         "eval_logloss": plain["val_loss"]})
    [run] = read(path)
    np.testing.assert_allclose(run.series["val_loss"], plain["val_loss"])
    np.testing.assert_allclose(run.series["train_loss"], plain["train_loss"])


def test_scikit_learn_log_loss_columns(unchanged):
    # SGDClassifier.partial_fit at eta0=1e-4, a CSV per epoch (train_log_loss, test_log_loss, accuracies): the test
    # log loss falls 2.22 -> 1.20 over 60 epochs, still ~0.8%/epoch. Read before on test_accuracy ('converged' at
    # 46), the training log loss unpaired.
    path = ECO / "sklearn_partial_fit" / "sgd_eta0.0001.csv"
    unchanged(path)
    [run] = read(path)
    cols = _curve(path)
    np.testing.assert_allclose(run.series["val_loss"], cols["test_log_loss"])
    np.testing.assert_allclose(run.series["train_loss"], cols["train_log_loss"])
    d = losslens.diagnose(run)
    assert d.metric == "val_loss" and d.verdict == "still_improving"


@pytest.mark.parametrize("name", ["hgb_scores.csv", "hgb_es_scores.csv"])
def test_hist_gradient_boosting_scores_are_negated_losses(unchanged, name):
    # train_score_ / validation_score_ with the default scoring="loss": the negated log loss (0.50 at
    # iteration 7 -> 1.345 at 300, or early-stopped at 17). Before: "no loss or accuracy column".
    path = ECO / "sklearn_hgb" / name
    unchanged(path)
    [run] = read(path)
    cols = _curve(path)
    np.testing.assert_allclose(run.series["val_loss"], -np.array(cols["validation_score"]))
    np.testing.assert_allclose(run.series["train_loss"], -np.array(cols["train_score"]))
    assert run.meta["negated"] == {"train_loss": "train_score", "val_loss": "validation_score"}
    assert run.axis_name == "step"
    d = losslens.diagnose(run)
    assert d.metric == "val_loss" and d.verdict == "overfitting"
    assert "0.5006 at step 7" in " ".join(d.causes[0].evidence)


def test_neg_log_loss_columns_are_flipped_not_summed_as_parts(tmp_path, unchanged):
    # The same scores under cross_validate's names: summed as YOLO-style loss parts with their sign, the
    # 'loss' rose from -0.69 to -0.00: 'diverged'.
    src = ECO / "sklearn_hgb" / "hgb_scores.csv"
    unchanged(src)
    cols = _curve(src)
    path = _write(tmp_path / "neg.csv", {"iteration": cols["iteration"], "train_neg_log_loss": cols["train_score"],
                                         "val_neg_log_loss": cols["validation_score"]})
    [run] = read(path)
    assert "loss_parts" not in run.meta
    assert run.meta["negated"] == {"train_loss": "train_neg_log_loss", "val_loss": "val_neg_log_loss"}
    np.testing.assert_allclose(run.series["val_loss"], -np.array(cols["validation_score"]))
    assert losslens.diagnose(run).verdict == "overfitting"


def test_a_validation_score_that_is_no_negated_loss_is_diagnosed_as_a_score(tmp_path):
    cols = _curve(ECO / "sklearn_hgb" / "hgb_scores.csv")
    accuracy = list(1 + np.array(cols["validation_score"]) / 4)  # positive: scoring="accuracy"-like
    path = _write(tmp_path / "acc.csv", {"iteration": cols["iteration"], "validation_score": accuracy})
    [run] = read(path)
    assert "val_loss" not in run.series and run.default_metric() == "validation_score"


def test_cross_validate_results_are_not_read_as_a_curve(tmp_path):
    # pd.DataFrame(cross_validate(..., scoring="neg_log_loss", return_train_score=True)): a row per fold.
    path = _write(tmp_path / "cv.csv", {"fit_time": [0.1, 0.1, 0.1], "score_time": [0.01] * 3,
                                        "test_score": [-0.5, -0.6, -0.55], "train_score": [-0.3, -0.31, -0.29]})
    with pytest.raises(NoLossError):
        read(path)


def test_unknown_column_error_names_the_command_line_option(tmp_path, unchanged):
    path = _write(tmp_path / "noloss.csv", {"epoch": [0, 1, 2], "foo": [1.0, 0.5, 0.4]})
    unchanged(path)
    with pytest.raises(NoLossError, match=r"columns=\{'train_loss': COLUMN\}"):
        read(path)
    proc = _cli("diagnose", str(path))
    err = proc.stderr.strip()
    assert proc.returncode == 2 and len(err.splitlines()) == 1 and str(path) in err
    assert "--metric COLUMN" in err and "columns=" not in err
    assert _cli("diagnose", str(path), "--metric", "foo").returncode == 0


# ---- 2. MLflow: a file store beside an sqlite store's artifacts; MLflow 3's layout ---------------------
@pytest.fixture
def two_stores(tmp_path):
    """Case 1's folder: mlruns/ (a file-store experiment and 1/, the sqlite store's artifacts) and mlflow.db."""
    pytest.importorskip("mlflow")
    shutil.copytree(ECO / "mlflow_two_stores" / "mlruns", tmp_path / "mlruns")
    return tmp_path


def test_mlflow_folder_that_is_no_experiment_is_one_line_not_a_traceback(two_stores, unchanged):
    unchanged(two_stores)
    proc = _cli("diagnose", "mlflow:mlruns", cwd=two_stores)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "Malformed" not in proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert "mlruns: passed over 1/: not an experiment" in line and "mlflow.db" not in line
    assert proc.stdout.startswith("overfit:")
    # With the sqlite store beside it, the line points to it.
    _unxz(ECO / "mlflow_two_stores" / "mlflow.db.xz", two_stores / "mlflow.db")
    unchanged(two_stores / "mlflow.db")
    import logging
    from losslens.readers.mlflow import read_mlflow

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("losslens").addHandler(handler)
    try:
        runs = read_mlflow(str(two_stores / "mlruns"))
    finally:
        logging.getLogger("losslens").removeHandler(handler)
    assert [r.name for r in runs] == ["overfit"]
    [msg] = [r.getMessage() for r in records]
    assert "passed over 1/" in msg and "mlflow:sqlite:///" in msg and "mlflow.db" in msg


def test_mlflow3_default_layout_points_to_mlflow_db(two_stores, unchanged):
    # MLflow 3 writes runs to ./mlflow.db and only their artifacts to ./mlruns/<experiment>/.
    shutil.rmtree(two_stores / "mlruns" / "516120821549668652")
    shutil.rmtree(two_stores / "mlruns" / "0")
    _unxz(ECO / "mlflow_two_stores" / "mlflow.db.xz", two_stores / "mlflow.db")
    unchanged(two_stores)
    proc = _cli("diagnose", "mlflow:.", cwd=two_stores)
    err = proc.stderr.strip()
    assert proc.returncode == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert "not an MLflow mlruns folder" in err and "losslens diagnose mlflow:sqlite:///mlflow.db" in err
    old = os.getcwd()
    os.chdir(two_stores)
    try:  # "mlflow:" alone is MLflow's default store, mlflow.db here
        [run] = read("mlflow:")
        with pytest.raises(ReadError, match="mlflow:sqlite:///.*mlflow.db"):
            read("mlflow:mlruns")
    finally:
        os.chdir(old)
    assert run.name == "overfit" and len(run.finite("val_loss")[1]) == 40


def test_mlflow_keras_autolog_lr_is_its_optimizer_param(two_stores, unchanged):
    # mlflow.keras.autolog (MLflow 3.17) logs Adam(3e-3)'s rate as the param optimizer_learning_rate: the sweep
    # table's lr column was blank for it (Lightning's autolog logs lr).
    from losslens.facts.regularization import learning_rate

    unchanged(two_stores)
    [run] = read(f"mlflow:{two_stores / 'mlruns'}")
    assert run.meta["params"]["optimizer_learning_rate"].startswith("0.003")
    assert learning_rate(run) == pytest.approx(3e-3)


def test_mlflow_keras_autolog_validation_copies_are_not_a_curve(two_stores, unchanged):
    # mlflow.keras.autolog (MLflow 3.17) logs each validation pass again from on_test_end, as validation_loss and
    # validation_accuracy without a step (40 values at step 0, twice each in the folder store), beside val_loss by
    # epoch: it read as a one-point series at epoch 0 holding the last value.
    db = _unxz(ECO / "mlflow_two_stores" / "mlflow.db.xz", two_stores / "mlflow.db")
    unchanged(two_stores)
    for uri in (f"mlflow:{two_stores / 'mlruns'}", f"mlflow:sqlite:///{db}"):
        [run] = read(uri)
        assert sorted(run.series) == ["train_acc", "train_loss", "val_acc", "val_loss"], uri
        assert run.meta["metric_copies"] == {"validation_accuracy": "val_accuracy", "validation_loss": "val_loss"}
        assert len(run.finite("val_loss")[1]) == 40


# ---- 3. a loop that logs per batch at the global step and validation per epoch at step=epoch ------------
def test_mlflow_batch_and_epoch_step_axes(tmp_path, unchanged):
    # train_loss and an "epoch" metric per batch at the global step (1..800), val_loss per epoch at
    # step=epoch (0..79). Read on the epoch metric, the 80 validations fell into epochs 0..7: 'diverged
    # (val_loss became NaN at epoch 8)'. The same training logged per epoch (run epoch_steps) is the reference.
    pytest.importorskip("mlflow")
    db = _unxz(ECO / "mlflow_manual_loop" / "mlflow.db.xz", tmp_path / "mlflow.db")
    unchanged(db)
    [mixed] = read(f"mlflow:sqlite:///{db}#run=mixed_steps")
    [ref] = read(f"mlflow:sqlite:///{db}#run=epoch_steps")
    assert mixed.axis_name == "epoch" and list(mixed.axis) == list(range(80))
    np.testing.assert_allclose(mixed.series["val_loss"], ref.series["val_loss"])
    np.testing.assert_allclose(mixed.series["train_loss"], ref.series["train_loss"], rtol=1e-5)
    d, r = losslens.diagnose(mixed), losslens.diagnose(ref)
    assert d.verdict == r.verdict == "overfitting" and d.plateau_epoch == r.plateau_epoch


@pytest.mark.parametrize("store", ["mlruns", "mlflow.db"])
def test_mlflow3_one_key_logged_per_dataset(tmp_path, unchanged, store, caplog):
    # MLflow 3.17: log_metric("loss", v, step=e, dataset=train_ds) and the same key with dataset=val_ds, with and
    # without model_id= (a LoggedModel). Before: the folder store's lines of a value logged with a dataset were
    # read at step 0 (MLflow's parse), so 'loss' read as 30 steps of the two curves interleaved; the SQL store,
    # which keeps the dataset only with a LoggedModel's metric, read the validation loss as the training loss.
    pytest.importorskip("mlflow")
    folder = ECO / "mlflow3_datasets"
    logged = json.loads((folder / "logged.json").read_text())
    if store == "mlruns":
        shutil.copytree(folder / "mlruns", tmp_path / "mlruns")
        uri = f"mlflow:{tmp_path / 'mlruns'}"
    else:
        uri = f"mlflow:sqlite:///{_unxz(folder / 'mlflow.db.xz', tmp_path / 'mlflow.db')}"
    unchanged(tmp_path)
    runs = {r.name: r for r in read(uri)}
    assert [r.name for r in read(uri)] == list(runs)  # read again in one process: the store MLflow keeps still works
    names = ["with_model", "datasets_only"] if store == "mlruns" else ["with_model"]
    for name in names:
        run = runs[name]
        # (logged with step=epoch, training and validation at each: read as epochs)
        assert run.axis_name == "epoch" and list(run.axis) == list(range(15))
        np.testing.assert_allclose(run.series["train_loss"], logged[name]["train"], rtol=1e-6)
        np.testing.assert_allclose(run.series["val_loss"], logged[name]["val"], rtol=1e-6)
        np.testing.assert_allclose(run.series["val_acc"], logged[name]["val_accuracy"], rtol=1e-6)
        assert run.meta["metric_datasets"] == {"train_loss": ["loss", "train"], "val_loss": ["loss", "val"]}
    if store == "mlflow.db":  # dataset= without model_id=: the SQL store cannot tell the two curves apart
        assert "loss holds 2 values at each of its steps" in caplog.text
        np.testing.assert_allclose(runs["datasets_only"].series["train_loss"], logged["datasets_only"]["val"],
                                   rtol=1e-6)
    assert losslens.diagnose(runs["with_model"]).metric == "val_loss"  # the validation curve, not a mix


def test_wandb_epoch_logged_in_the_row_that_ends_it(unchanged):
    # wandb 0.31 offline, as W&B's docs log it: wandb.log({"train/loss": l, "lr": lr}) each batch (a step each),
    # then wandb.log({"val/loss": v, "val/acc": a, "epoch": e}) ending the epoch. Before: each epoch's batches
    # were read into the epoch before (the last epoch logged before them), the first two epochs' into epoch 0,
    # the last epoch's training loss NaN.
    pytest.importorskip("wandb")
    folder = ECO / "wandb_epoch_at_end"
    unchanged(folder)
    logged = json.loads((folder / "logged.json").read_text())
    [run] = read(f"wandb:{folder / 'wandb'}")
    assert run.axis_name == "epoch" and list(run.axis) == list(range(12))
    for key in ("train_loss", "lr", "val_loss", "val_acc"):
        np.testing.assert_allclose(run.series[key], logged[key], rtol=1e-6, err_msg=key)
    assert "logged_until" not in run.meta


@pytest.mark.parametrize("swap", [False, True])
def test_wandb_offline_run_resumed_with_its_id_is_one_run(tmp_path, unchanged, swap):
    # wandb 0.31 offline: wandb.init(id="resumed01", resume="allow") for 8 epochs, then again for 8 more. Each part
    # is a folder of its own, its _step from 0 again; W&B appends the second to the first when synced. Before: two
    # runs of one name. The order is the parts' logged times: with the folders' names swapped it holds.
    pytest.importorskip("wandb")
    folder = ECO / "wandb_resumed"
    unchanged(folder)
    logged = json.loads((folder / "logged.json").read_text())
    shutil.copytree(folder / "wandb", tmp_path / "wandb")
    first, second = sorted((tmp_path / "wandb").iterdir())
    if swap:  # the later part's folder sorts first
        first.rename(tmp_path / "x")
        second.rename(first)
        (tmp_path / "x").rename(second)
    [run] = read(f"wandb:{tmp_path / 'wandb'}")
    assert run.name == "resumed01" and run.axis_name == "epoch" and list(run.axis) == logged["epoch"]
    for key in ("train_loss", "val_loss", "val_acc"):
        np.testing.assert_allclose(run.series[key], logged[key], rtol=1e-6, err_msg=key)
    assert [Path(p).parent.name for p in run.meta["resumed_parts"]] == [(second if swap else first).name,
                                                                          (first if swap else second).name]
    assert "starts_at_epoch" not in run.meta and any("2 offline parts" in n for n in run.meta["notes"])


@pytest.mark.parametrize("log", ["hf_out/trainer_state.json", "console.txt"])
def test_hf_training_rows_with_tokens_seen(unchanged, log):
    # Transformers 5.25 with include_num_input_tokens_seen=True: every training row carries train_runtime and
    # train_tokens_per_second beside its loss; logging_steps=3, eval_steps=7. Before: each was taken for the closing
    # summary row and skipped, the training loss, lr and grad_norm lost (train_loss NaN at every point).
    folder = ECO / "hf_tokens_seen"
    unchanged(folder)
    state = json.loads((folder / "hf_out" / "trainer_state.json").read_text())
    rows = state["log_history"]
    train = [r for r in rows if "loss" in r]
    evals = [r for r in rows if "eval_loss" in r]
    [run] = read(folder / log)
    key = "step" if log.endswith(".json") else "epoch"  # a printed row has no step: the fractional epoch
    xt, loss = run.finite("train_loss")
    np.testing.assert_allclose(xt, [r[key] for r in train])
    np.testing.assert_allclose(loss, [r["loss"] for r in train], rtol=1e-3)
    np.testing.assert_allclose(run.finite("lr")[1], [r["learning_rate"] for r in train], rtol=1e-3)
    np.testing.assert_allclose(run.finite("grad_norm")[1], [r["grad_norm"] for r in train], rtol=1e-3)
    xv, val = run.finite("val_loss")
    np.testing.assert_allclose(xv, [r[key] for r in evals])
    np.testing.assert_allclose(val, [r["eval_loss"] for r in evals], rtol=1e-3)
    assert [r["step"] for r in train][:4] == [3, 6, 9, 12] and [r["step"] for r in evals][:3] == [7, 14, 21]
    if key == "step":
        assert run.meta["train_loss_mean"] == pytest.approx(rows[-1]["train_loss"])
        assert "train_tokens_per_second" not in run.series  # a timing, as train_runtime is


@pytest.mark.parametrize("log", ["hf_out/trainer_state.json", "console.txt", "hf_out/runs"])
def test_hf_trainer_timings_are_no_series(unchanged, log):
    # A Trainer's timings (train_runtime, *_samples_per_second, *_steps_per_second, train_tokens_per_second,
    # total_flos, eval_runtime ...) were series read from its TensorBoard (train/train_runtime) and its printed dicts,
    # a metric to pick and a summary-table column; trainer_state.json already left them out. One list now.
    folder = ECO / "hf_tokens_seen"
    unchanged(folder)
    if log.endswith("runs"):
        pytest.importorskip("tensorboard")
    [run] = read(folder / log)
    assert not [k for k in run.series if _timing(k)], sorted(run.series)
    assert {"train_loss", "val_loss", "val_acc", "lr", "grad_norm", "eval_f1"} <= set(run.series)


def _timing(column: str) -> bool:
    return column.endswith(("_runtime", "_per_second", "total_flos"))


def test_hf_log_history_dumped_as_a_table_has_no_timings(tmp_path, unchanged):
    # pandas.DataFrame(trainer.state.log_history).to_csv(...): the same timings came through the table readers.
    pd = pytest.importorskip("pandas")

    folder = ECO / "hf_tokens_seen"
    unchanged(folder)
    rows = json.loads((folder / "hf_out" / "trainer_state.json").read_text())["log_history"]
    pd.DataFrame(rows).to_csv(tmp_path / "log_history.csv", index=False)
    pd.DataFrame(rows).to_json(tmp_path / "log_history.jsonl", orient="records", lines=True)
    for name in ("log_history.csv", "log_history.jsonl"):
        [run] = read(tmp_path / name)
        assert not [k for k in run.series if _timing(k)], (name, sorted(run.series))
        assert {"train_loss", "val_loss", "lr"} <= set(run.series)


def test_hf_tensorboard_still_going_keeps_its_last_evaluation(tmp_path, unchanged):
    # The same Trainer's TensorBoard file as a job killed after step 21's evaluation (the records up to it): every
    # training row logs train/train_runtime, so the last of them (step 21) was taken for the closing summary and
    # the evaluation after it for one run after training, left off the curve.
    pytest.importorskip("tensorboard")
    import struct
    from tensorboard.compat.proto.event_pb2 import Event

    folder = ECO / "hf_tokens_seen"
    unchanged(folder)
    [src] = (folder / "hf_out" / "runs").glob("*/events.out.tfevents.*")
    data, pos, keep = src.read_bytes(), 0, 0
    while pos + 12 <= len(data):  # records: length (u64), its crc, the Event, the Event's crc
        (n,) = struct.unpack_from("<Q", data, pos)
        event = Event.FromString(data[pos + 12:pos + 12 + n])
        pos += 16 + n
        keep = pos if event.step <= 21 else keep
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / src.name).write_bytes(data[:keep])
    [run] = read(f"tb:{tmp_path}")
    evals = [r for r in json.loads((folder / "hf_out" / "trainer_state.json").read_text())["log_history"]
             if "eval_loss" in r and r["step"] <= 21]
    xv, val = run.finite("val_loss")
    np.testing.assert_allclose(val, [r["eval_loss"] for r in evals], rtol=1e-6)
    assert "evaluated_after_training" not in run.meta


def test_mlflow_nested_runs_are_runs_of_their_own(tmp_path, unchanged, monkeypatch, caplog):
    # MLflow 3.17, a folder store: a parent run logging its own curve and two nested runs (nested=True), one of them
    # logging to a LoggedModel (model_id=). Each is read as a run named by its run name, with its own values.
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri((tmp_path / "mlruns").as_uri())
    curves = {"parent": [1.0, 0.6, 0.45, 0.4], "child_a": [2.0, 1.2, 0.9, 0.8, 0.75], "child_b": [3.0, 2.0, 1.5]}
    try:
        with mlflow.start_run(run_name="parent"):
            for e, v in enumerate(curves["parent"]):
                mlflow.log_metric("val_loss", v, step=e)
            for child in ("child_a", "child_b"):
                with mlflow.start_run(run_name=child, nested=True):
                    model = mlflow.initialize_logged_model(name="m") if child == "child_b" else None
                    for e, v in enumerate(curves[child]):
                        mlflow.log_metric("val_loss", v, step=e, model_id=model.model_id if model else None)
                        mlflow.log_metric("loss", v / 2, step=e)
        with mlflow.start_run(run_name="trainer_rows"):  # as the Trainer's MLflowCallback logs: the epoch in each row
            for step in (10, 20, 30):
                mlflow.log_metrics({"loss": 1 / step, "epoch": step / 20}, step=step)
                mlflow.log_metrics({"eval_loss": 2 / step, "epoch": step / 20}, step=step)
    finally:
        mlflow.set_tracking_uri(None)
    unchanged(tmp_path / "mlruns")
    runs = {r.name: r for r in read(f"mlflow:{tmp_path / 'mlruns'}")}
    assert sorted(runs) == sorted([*curves, "trainer_rows"])
    assert "values at each of its steps" not in caplog.text  # an epoch logged with both rows is no dataset's
    for name, values in curves.items():
        assert list(runs[name].axis) == list(range(len(values)))
        np.testing.assert_allclose(runs[name].series["val_loss"], values)
    np.testing.assert_allclose(runs["child_b"].series["train_loss"], np.array(curves["child_b"]) / 2)


def test_wandb_commit_false_and_explicit_steps(unchanged):
    # wandb 0.31 offline (wandb_commit_false/make.py): wandb.log({"loss": l}, step=10 * e, commit=False) then
    # wandb.log({"val_loss": v}, step=10 * e): one row a step, the two halves together, read on W&B's own steps.
    pytest.importorskip("wandb")
    folder = ECO / "wandb_commit_false" / "wandb"
    unchanged(folder)
    [read_run] = read(f"wandb:{folder}")
    assert read_run.name == "two_halves" and read_run.axis_name == "step"
    assert list(read_run.axis) == [0, 10, 20, 30, 40, 50]
    np.testing.assert_allclose(read_run.series["train_loss"], [2 / (e + 1) for e in range(6)])
    np.testing.assert_allclose(read_run.series["val_loss"], [2.2 / (e + 1) for e in range(6)])


# ---- 4. printed progress: tqdm's postfix, fastai's table ----------------------------------------------
@pytest.mark.parametrize("desc", [True, False])
def test_tqdm_trange_with_postfix(tmp_path, unchanged, desc):
    # for ep in (bar := trange(60, desc="training")): ...; bar.set_postfix(train_loss=..., val_loss=..., val_acc=...)
    # (validation min 0.1830 at epoch 24, 0.1972 at the end). Before: "no numeric columns".
    path = ECO / "tqdm_postfix" / "b.log"
    unchanged(path)
    if not desc:  # trange(60) without a description
        text = path.read_text(encoding="utf-8").replace("training: ", "")
        path = tmp_path / "b_nodesc.log"
        path.write_text(text, encoding="utf-8")
    [run] = read(path)
    assert run.axis_name == "epoch" and list(run.axis) == list(range(60))
    val = run.series["val_loss"]
    assert int(np.argmin(val)) == 24 and val.min() == pytest.approx(0.183) and val[-1] == pytest.approx(0.197)
    assert run.series["train_loss"][0] == pytest.approx(2.17) and run.series["val_acc"][0] == pytest.approx(0.675)
    assert losslens.diagnose(run).verdict == "overfitting"


def test_fastai_printed_table_is_its_csv_logger_file(unchanged):
    # What fit_one_cycle printed: progress bars redrawn with \r, then each epoch's row on the same line.
    # Before: "no numeric columns (found: █)".
    printed, csv_file = ECO / "fastai" / "printed_big_lr.log", ECO / "fastai" / "history_big_lr.csv"
    unchanged(printed, csv_file)
    [a], [b] = read(printed), read(csv_file)
    assert a.meta["format"] == "printed_table" and list(a.axis) == list(b.axis) == list(range(30))
    assert set(a.series) == set(b.series)
    for key in b.series:
        np.testing.assert_allclose(a.series[key], b.series[key], atol=1e-6)


# ---- 5. what XGBoost and LightGBM print ------------------------------------------------------------
def test_xgboost_printed_rounds(unchanged):
    # [0]\ttrain-error:0.14500\ttrain-logloss:0.55975\teval-error:0.21600\teval-logloss:0.58465, every 10th round.
    # Before: "unreadable JSON: Extra data at line 1 column 5".
    folder = ECO / "xgboost_printed"
    unchanged(folder)
    [run] = read(folder / "printed_train.log")
    evals = json.loads((folder / "evals_train.json").read_text())
    rounds = list(range(0, 200, 10)) + [199]
    assert run.axis_name == "round" and list(run.axis) == rounds
    np.testing.assert_allclose(run.series["val_loss"], [evals["eval"]["logloss"][r] for r in rounds], atol=6e-6)
    np.testing.assert_allclose(run.series["train_loss"], [evals["train"]["logloss"][r] for r in rounds], atol=6e-6)
    np.testing.assert_allclose(run.series["val_error"], [evals["eval"]["error"][r] for r in rounds], atol=6e-6)
    assert losslens.diagnose(run).verdict == "overfitting"
    # The scikit-learn API's numbered sets, as its evals_result() is read: the last is validation.
    [printed] = read(folder / "printed_sklearn.log")
    [stored] = read(folder / "evals_sklearn.json")
    np.testing.assert_allclose(printed.series["val_loss"], stored.series["val_loss"], atol=6e-6)
    assert losslens.diagnose(printed).verdict == losslens.diagnose(stored).verdict == "overfitting"


def test_xgb_train_evals_result_with_named_sets_reads_rounds():
    # xgb.train(evals=[(dtrain, "train"), (dval, "eval")], evals_result=res) saved with json.dump: its sets named, not
    # numbered as the scikit-learn API's validation_0 ..., and no iteration list beside them. It read "plateau at
    # epoch 4", where the same booster's printed log and the scikit-learn API's evals_result read rounds.
    folder = ECO / "xgboost_printed"
    path = folder / "evals_train.json"
    [run], [printed] = read(path), read(folder / "printed_train.log")
    assert run.axis_name == printed.axis_name == "round" and list(run.axis) == list(range(200))
    at = printed.axis.astype(int)  # (printed every 10th round, counted from 0 as the JSON's lists are)
    np.testing.assert_allclose(run.series["val_loss"][at], printed.series["val_loss"], atol=6e-6)
    for d in (losslens.diagnose(path), losslens.diagnose(json.loads(path.read_text()))):
        text = str(d)
        assert d.axis == d.to_dict()["axis"] == "round" and "plateau at round 4 " in text, text
        assert "epoch" not in text, text


def test_lightgbm_printed_rounds(unchanged):
    # [10]\ttrain's binary_logloss: 0.138874\tvalid's binary_logloss: 0.467696; rounds counted from 1.
    folder = ECO / "lightgbm_printed"
    unchanged(folder)
    [run] = read(folder / "printed_train.log")
    record = json.loads((folder / "record_eval.json").read_text())
    rounds = list(range(10, 201, 10))
    assert list(run.axis) == rounds
    np.testing.assert_allclose(run.series["val_loss"], [record["valid"]["binary_logloss"][r - 1] for r in rounds],
                               rtol=1e-5)
    np.testing.assert_allclose(run.series["train_loss"], [record["train"]["binary_logloss"][r - 1] for r in rounds],
                               rtol=1e-5)
    # Early stopping prints the best round again at the end ("Early stopping, best iteration is:\n[10] ..."):
    # not an 31st point.
    [es] = read(folder / "printed_es.log")
    default = json.loads((folder / "evals_default.json").read_text())["valid_0"]["binary_logloss"]
    assert list(es.axis) == list(range(1, 31))
    np.testing.assert_allclose(es.series["val_loss"], default, rtol=1e-5)
    d = losslens.diagnose(es)
    assert d.verdict == "overfitting" and "0.4677 at round 10" in " ".join(d.causes[0].evidence)


def test_printed_rounds_cut_mid_line_or_damaged(tmp_path):
    text = (ECO / "xgboost_printed" / "printed_train.log").read_text()
    cut = tmp_path / "cut.log"
    cut.write_text(text.rstrip("\n")[:-3])  # killed while writing "eval-logloss:0.66483"
    [run] = read(cut)
    assert list(run.axis)[-1] == 190
    cut.write_text(text.rstrip("\n")[:-30])  # ... in the middle of a name
    assert list(read(cut)[0].axis)[-1] == 190
    bad = tmp_path / "bad.log"
    bad.write_text("[0]\ttrain-logloss:0.5\n[1 garbage\n[2]\ttrain-logloss:0.4\n")
    with pytest.raises(ReadError, match=r"bad.log: line 2 is not a round"):
        read(bad)


# ---- 6. a TensorBoard add_scalars folder read alone; W&B's history with batch and epoch rows -------------
@pytest.mark.parametrize("child,series", [("Loss_val", "val_loss"), ("Loss_train", "train_loss")])
def test_add_scalars_folder_read_alone_keeps_its_split(unchanged, child, series):
    pytest.importorskip("tensorboard")
    run_dir = ECO / "tb_add_scalars" / "runs" / "adam_1e-3"
    unchanged(run_dir)
    [whole] = read(f"tb:{run_dir}")
    [alone] = read(f"tb:{run_dir / child}")
    [event] = read(f"tb:{next((run_dir / child).glob('events.out.tfevents.*'))}")
    for run in (alone, event):
        assert list(run.series) == [series]
        np.testing.assert_allclose(run.series[series], whole.series[series])


def test_wandb_history_with_batch_rows_keeps_its_last_epoch(unchanged):
    # wandb.log({"train/loss": l}) per batch, then wandb.log({"val/loss", "val/acc", "epoch"}) at the epoch's end:
    # the batch rows have no epoch. Given the epoch before them, epoch 39 kept only its validation and was
    # dropped as an evaluation after training (39 epochs; every training mean one epoch late).
    folder = ECO / "wandb_history"
    unchanged(folder)
    [run] = read(folder / "history_batch_and_epoch.csv")
    [ref] = read(folder / "history_per_epoch.csv")  # the same training, logged once per epoch
    assert list(run.axis) == list(ref.axis) == list(range(40))
    assert "evaluated_after_training" not in run.meta
    np.testing.assert_allclose(run.series["val_loss"], ref.series["val_loss"])
    np.testing.assert_allclose(run.series["train_loss"], ref.series["train_loss"], rtol=1e-6)



def test_lightning_epoch_interval_lr_monitor_gives_each_epoch_its_own_lr(unchanged, caplog):
    # LearningRateMonitor("epoch") beside ReduceLROnPlateau writes each epoch's lr without an epoch, at the
    # epoch's first step (0, 19, 38 ...), one past the epoch before's rows (18, 37 ...). Given the epoch
    # before, every lr was read one epoch early and epoch 39 had none: a "lr has no value after epoch 38"
    # warning on every such run, and the cut after epoch 8 (val 0.175 at 5, then 0.197, 0.240, 0.233 with
    # patience 2) placed at epoch 8, the epoch that the old rate still trained.
    folder = ECO / "lightning_rlrop_epoch_lr"
    unchanged(folder)
    [run] = read(folder / "metrics.csv")
    lr = run.series["lr"]
    assert list(run.axis) == list(range(40)) and np.isfinite(lr).all()
    assert lr[8] == pytest.approx(0.1) and lr[9] == pytest.approx(0.02)
    assert "no value after" not in caplog.text

# ---- 7. what a bare metric means, a log that starts late, a loss summed over accumulated batches -------
@pytest.mark.parametrize("name", ["history_random_labels.csv", "printed_random_labels.log"])
def test_fastai_bare_accuracy_is_the_validation_accuracy(unchanged, name):
    # fastai computes metrics=accuracy on the validation set and writes it bare beside train_loss and
    # valid_loss. Read as train_acc (Keras' meaning of a bare "accuracy"), a validation accuracy at chance
    # (0.089, 10 classes) was a training accuracy at chance: the evidence was the loss fallback and
    # --metric accuracy found nothing. The training labels here are shuffled: training memorises (2.31 ->
    # 0.13), validation stays at chance.
    folder = ECO / "fastai_random_labels"
    path = folder / name
    unchanged(path)
    [run] = read(path)
    assert "train_acc" not in run.series
    np.testing.assert_allclose(run.series["val_acc"], _column(folder / "history_random_labels.csv", "accuracy"),
                               atol=1e-6)
    d = losslens.diagnose(run)
    assert d.verdict == "no_signal"
    assert d.causes[0].evidence[0].startswith("validation accuracy 0.089 over the last quarter is at chance 1/10")
    assert losslens.diagnose(path, metric="accuracy").metric == "val_acc"  # the column as fastai names it
    # Keras' bare accuracy, beside its val_accuracy and a training loss named "loss", stays the training one.
    keras = Path(__file__).parent / "fixtures" / "logs" / "keras_csvlogger.csv"
    np.testing.assert_allclose(read(keras)[0].series["train_acc"], _column(keras, "accuracy"))


def test_a_lightning_log_written_anew_on_resume_says_its_first_epochs_are_missing(unchanged, caplog):
    # CSVLogger(version=0) given to the Trainer that resumed last.ckpt (epoch 12 of 40) wrote metrics.csv
    # anew: epochs 0-11 are gone. Read silently, the run looked like one that started at epoch 12.
    path = ECO / "lightning_resume_version0" / "logs" / "csv" / "version_0" / "metrics.csv"
    unchanged(path)
    cols = {k: _column(path, k) for k in ("epoch", "step", "val_loss")}
    assert cols["epoch"][0] == 12 and cols["step"][0] == 85  # as written: the fit's own epochs and steps
    [run] = read(path)
    assert list(run.axis) == list(range(12, 40)) and run.meta["starts_at_epoch"] == 12
    said = [r.getMessage() for r in caplog.records if "starts at epoch" in r.getMessage()]
    assert said == [f"losslens: {path}: the log starts at epoch 12, the earlier epochs are missing (a resumed fit: "
                    "in another log, or overwritten, as CSVLogger(version=0) does); X is measured from epoch 12"]
    d = losslens.diagnose(run)
    val = [(e, v) for e, v in zip(cols["epoch"], cols["val_loss"]) if np.isfinite(v)]
    best = int(min(val, key=lambda t: t[1])[0])
    assert d.plateau_epoch >= 12 and d.phases[0]["start"] == 12
    assert f"at epoch {best}" in d.causes[0].evidence[0]  # epochs are the run's, not row numbers
    # Read with the folder, the same warning; a fit resumed into version_1 beside its version_0 is joined: none.
    caplog.clear()
    read(ECO / "lightning_resume_version0" / "logs")
    assert sum("starts at epoch 12" in r.getMessage() for r in caplog.records) == 1
    caplog.clear()
    [joined] = read(ECO / "lightning_resume" / "logs" / "csv")
    assert joined.axis[0] == 0 and "starts at epoch" not in caplog.text


def test_transformers_loss_summed_over_accumulated_batches_is_divided_back(unchanged, caplog):
    # Transformers 5.24 with gradient_accumulation_steps=4 and a model whose forward takes **kwargs but
    # ignores num_items_in_batch (BertForSequenceClassification) logs the sum of the 4 batches' mean losses:
    # 2.76 at the start, where a 2-class guess is ln 2 = 0.69. Passed on, the training loss sat 0.96 above
    # validation at the end. The same training with the Trainer dividing (accepts_loss_kwargs = False) and
    # with batches of 64 log ~0.69 first.
    folder = ECO / "hf_accum4"
    unchanged(folder)
    names = ("accum4", "accum4_divided", "batch64")
    logged = {n: np.array([r["loss"] for r in json.loads((folder / f"{n}_trainer_state.json").read_text())
                           ["log_history"] if "loss" in r]) for n in names}
    assert logged["accum4"][0] == pytest.approx(4 * np.log(2), rel=0.01)
    assert logged["accum4_divided"][0] == pytest.approx(np.log(2), rel=0.01) == logged["batch64"][0]
    runs = {n: read(folder / f"{n}_trainer_state.json")[0] for n in names}
    np.testing.assert_allclose(_finite(runs["accum4"], "train_loss"), logged["accum4"] / 4)
    for n in ("accum4_divided", "batch64"):  # (accum4_divided: 4 batches per step too, logged right)
        np.testing.assert_allclose(_finite(runs[n], "train_loss"), logged[n])
        assert "train_loss_divided_by" not in runs[n].meta
    assert runs["accum4"].meta["train_loss_divided_by"] == 4
    said = [r.getMessage() for r in caplog.records if "too high" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith(f"losslens: {folder / 'accum4_trainer_state.json'}: the training "
                                                 "loss was logged 4x too high")
    d = {n: losslens.diagnose(r) for n, r in runs.items()}
    assert d["accum4"].verdict == d["accum4_divided"].verdict == d["batch64"].verdict
    for n in ("accum4_divided", "batch64"):
        assert d["accum4"].facts.generalization.gap_end == pytest.approx(d[n].facts.generalization.gap_end, abs=0.02)


def _finite(run, key):
    return run.finite(key)[1]


def _column(path: Path, name: str) -> np.ndarray:
    """One column of a CSV as written, an empty cell NaN."""
    with open(path, newline="") as f:
        return np.array([float(r[name]) if r[name] else np.nan for r in csv.DictReader(f)])


# ---- 8. verdicts on real logs that read wrong: a bouncing lr stopped early, a slow rise, sparse rounds -----
def test_keras_early_stopping_at_a_bouncing_lr_reads_lr_too_high(unchanged):
    # SGD(0.3, momentum 0.9) on digits, stopped by EarlyStopping: after 4 epochs (patience 3) validation went
    # 0.27 -> 0.81 -> 0.53 while training never got below 0.27, and read "overfitting (0.95)"; after 15
    # (patience 5) it bounced 0.19 -> 0.58 -> 0.15 with the training loss rising too, and read "overfitting"
    # by a gap measured at that lucky low. The same model at lr 0.03 (cf_lr0.03.csv) reaches 0.10.
    folder = ECO / "keras_earlystop_bounce"
    unchanged(folder)
    [p3], [p5], [cf] = read(folder / "es_p3.csv"), read(folder / "es_p5.csv"), read(folder / "cf_lr0.03.csv")
    best = {name: float(np.min(run.finite("val_loss")[1])) for name, run in (("p3", p3), ("p5", p5), ("cf", cf))}
    assert best["cf"] < 0.75 * min(best["p3"], best["p5"])  # the lower step does go lower: the premise
    d3 = losslens.diagnose(p3)
    assert d3.verdict == "lr_too_high" and "overfitting" not in d3.cause_ids(), str(d3)
    assert "0.8068" in d3.causes[0].evidence[0] and "its lowest 0.2839" in d3.causes[0].evidence[0]
    d5 = losslens.diagnose(p5)
    assert d5.verdict == "lr_too_high" and "overfitting" not in d5.cause_ids(), str(d5)
    assert d5.causes[0].numbers["val_bounce"] == pytest.approx(0.5768 - 0.1908, abs=1e-3)  # epochs 5 -> 8
    assert d5.causes[0].numbers["train_rise"] > 0.05
    # The counterfactual run, which settles instead of bouncing, is no lr_too_high.
    assert losslens.diagnose(cf).verdict == "converged"


def test_slow_validation_rise_while_training_falls_is_overfitting(two_stores, unchanged):
    # mlflow.keras.autolog on a 256-256 MLP over 300 digits, Adam(3e-3): validation 0.1502 at epoch 17, then
    # up to 0.160 by epoch 39 (4.4% of its minimum, 8 noise sds: under the 5% bar; tail t = 7) while training fell from
    # 0.0036 to 0.0007 (t = -14). It read "converged: stop at epoch 16". Restoring epoch 17 keeps 0.150, and
    # dropout 0.5 reached 0.1405 (counterfactual.out): the rise is the overfitting early stopping removes.
    folder = ECO / "mlflow_two_stores"
    unchanged(two_stores, folder)
    [run] = read(f"mlflow:{two_stores / 'mlruns'}")
    val = run.finite("val_loss")[1]
    d = losslens.diagnose(run)
    g = d.facts.generalization  # the rise as the rule reads it: the last quarter's median over the smoothed minimum
    assert int(np.argmin(val)) == 17 and g.val_rise / g.val_min < 0.05 and g.val_rise_noise > 5
    assert d.verdict == "overfitting" and d.causes[0].numbers["val_best_epoch"] == 17, str(d)
    assert any("still climbing" in e and "t = -14" in e for e in d.causes[0].evidence), d.causes[0].evidence
    assert d.causes[0].strength <= 0.65  # small against its level: a modest confidence
    dropout = re.search(r"dropout0\.5: val min ([\d.]+)", (folder / "counterfactual.out").read_text())
    assert float(dropout.group(1)) < val.min()  # regularising does go lower than this run's best
    # The same pattern written by add_scalars (Adam 1e-3, 512-512 MLP on 200 digits): 0.183 at epoch 24, 0.194 at 49.
    pytest.importorskip("tensorboard")
    [tb] = read(f"tb:{ECO / 'tb_add_scalars' / 'runs' / 'adam_1e-3'}")
    d = losslens.diagnose(tb)
    assert d.verdict == "overfitting" and d.causes[0].numbers["val_best_epoch"] == 24, str(d)


def test_lightgbm_printed_every_10_rounds_is_overfitting_not_no_signal(unchanged):
    # log_evaluation(10): the first printed round is 10, where training (0.139) is already far below
    # validation (0.468, itself far below ln 2). Taking 0.139 for the untrained level, "validation never got
    # below where training started" read no_signal; the record of every round reads overfitting from round 9.
    folder = ECO / "lightgbm_printed"
    unchanged(folder)
    [run] = read(folder / "printed_train.log")
    d = losslens.diagnose(run)
    assert d.verdict == "overfitting" and "no_signal" not in d.cause_ids(), str(d)
    assert d.causes[0].numbers["val_best_epoch"] == 10 and "the best round is 10" in d.causes[0].actions[0]
    assert losslens.diagnose(folder / "record_eval.json").verdict == "overfitting"


# ---- 9. XGBoost's scikit-learn API: eval_set=[(X_train, y_train), (X_val, y_val)] -----------------------
XGB_SK = ECO / "xgboost_sklearn_eval_set"


@pytest.mark.parametrize("name", ["evals_result.json", "printed.log"])
def test_xgboost_sklearn_eval_set_reads_validation_0_as_the_training_set(name):
    """The sklearn API names both sets validation_N; validation_0 (the training set) had been dropped, so
    a run whose validation rose 25% after round 40 read 'converged' or 'no training curve logged'."""
    res = json.loads((XGB_SK / "evals_result.json").read_text())
    train, val = np.array(res["validation_0"]["logloss"]), np.array(res["validation_1"]["logloss"])
    assert np.all(np.diff(train) <= 0) and int(np.argmin(val)) == 40 and val[-1] > 1.2 * val.min()  # the premise
    run = losslens.read(str(XGB_SK / name))[0]
    assert run.has("train_loss") and run.has("val_loss")
    d = losslens.diagnose(run)
    assert d.verdict == "overfitting", d
    assert any("early_stopping_rounds" in a for a in d.cause.actions), d.cause.actions


def test_two_held_out_sets_are_not_taken_for_a_training_set():
    """Numbered sets that do not fall at every round (a validation and a test set) keep their reading:
    the last is validation, the first keeps its name."""
    from losslens.columns import flatten_splits

    rng = np.random.default_rng(0)
    base = 0.3 + 0.4 * np.exp(-np.arange(50) / 8)
    out = flatten_splits({"validation_0": {"logloss": list(base + 0.01 * rng.standard_normal(50))},
                          "validation_1": {"logloss": list(base + 0.01 * rng.standard_normal(50))}})
    assert "train_loss" not in out and "val_loss" in out and "validation_0_logloss" in out


def test_a_small_gap_growth_is_quoted_not_denied():
    """A Keras CNN on 300 digits: the gap went 0.111 -> 0.138, too little next to an improvement of 2.0
    to call overfitting, but 'no gap growth' read as false; both ends are quoted."""
    run = losslens.read(str(ECO / "keras_cnn_digits" / "noaug_60.csv"))[0]
    val, train = run.series["val_loss"], run.series["train_loss"]
    assert val[-1] > 1.1 * val.min() and train[-1] < 0.002  # the premise
    d = losslens.diagnose(run)
    line = next(e for c in d.causes for e in c.evidence if "gap" in e)
    assert "no gap growth" not in line and "at the best" in line and "0.138 at the end" in line, line


def test_lightning_validate_and_test_after_fit_in_tensorboard_are_not_the_curve():
    """trainer.validate/test(ckpt_path="best") after fit each open an event file in the fit's version
    folder, one point one step past the last: read as the curve, the best checkpoint's 0.5805 came
    back as the last epoch of an overfitting run (0.7294), and the folder's CSV copy read as a second run."""
    here = ECO / "lightning_validate_tb" / "logs"
    csv_run = losslens.read(str(here / "csv" / "version_0" / "metrics.csv"))[0]
    x, v = csv_run.finite("val_loss")
    assert len(x) == 40 and v[-1] > 1.2 * v.min()  # the premise: the fit's own curve ends high
    tb_run = losslens.read("tb:" + str(here / "tb" / "version_0"))[0]
    xt, vt = tb_run.finite("val_loss")
    assert len(xt) == 40 and np.allclose(vt, v, rtol=1e-6)
    after = tb_run.meta["evaluated_after_training"]
    assert after["val_loss"] == pytest.approx(v.min(), rel=1e-6) and "test_loss" in after
    runs = losslens.read(str(here))
    assert len(runs) == 1 and losslens.diagnose(runs[0]).verdict == "overfitting"


def test_an_event_file_without_scalars_after_the_closing_evaluations_is_passed_over(tmp_path):
    """A stray event file after validate()/test()'s (a writer that logged nothing, one of random bytes)
    held the search for the closing evaluations: the best checkpoint's 0.5805 became the last epoch."""
    import shutil

    run_dir = tmp_path / "version_0"
    shutil.copytree(ECO / "lightning_validate_tb" / "logs" / "tb" / "version_0", run_dir)
    (run_dir / "events.out.tfevents.9999999999.vm.1.9").write_bytes(bytes(range(150)))
    before = {p.name: p.read_bytes() for p in run_dir.iterdir()}
    run = losslens.read("tb:" + str(run_dir))[0]
    assert "val_loss" in run.meta["evaluated_after_training"]
    assert losslens.diagnose(run).verdict == "overfitting"
    assert {p.name: p.read_bytes() for p in run_dir.iterdir()} == before


@pytest.mark.framework
@pytest.mark.usefixtures("one_torch_thread")
def test_lightning_with_two_validation_loaders_names_the_one_it_read(tmp_path):
    """A Lightning fit with two validation dataloaders logs val_loss/dataloader_idx_0 and ..._1 (CSVLogger). The
    first is read as val_loss, as before; the report now names it as logged, beside the other loader's series."""
    pytest.importorskip("torch")
    L = pytest.importorskip("lightning")
    sys.path.insert(0, str(Path(__file__).parent))
    from lightning_models import LinearRegressor, linear_loaders

    train, val0, val1 = linear_loaders(384, [(0, 256), (256, 320), (320, 384)])
    L.Trainer(max_epochs=12, logger=L.pytorch.loggers.CSVLogger(tmp_path, name="logs"), enable_checkpointing=False,
              enable_progress_bar=False, enable_model_summary=False).fit(LinearRegressor(lr=0.02), train, [val0, val1])
    [path] = tmp_path.glob("logs/version_0/metrics.csv")
    assert "val_loss/dataloader_idx_1" in path.read_text().splitlines()[0]
    d = losslens.diagnose(path)
    assert d.metric == "val_loss" and d.to_dict()["metric"] == "val_loss"
    text = str(d)
    assert "val_loss/dataloader_idx_0)" in text.splitlines()[0]      # the headline's series, as Lightning logged it
    assert " val_loss " not in text and "val_loss/dataloader_idx_0 " in text


def test_an_accuracy_under_chance_said_at_chance_says_how_far_under_in_a_guessers_sds(unchanged):
    """"validation accuracy 0.100 ... is at chance 1/5 = 0.200" (the lab's random labels, 20 validation images) read
    as a contradiction: the evidence now says how far under chance it sits in a guesser's binomial sds. fastai on
    shuffled labels, 797 validation digits: 0.089 against 0.100 is 1.0 sd under."""
    path = ECO / "fastai_random_labels" / "history_random_labels.csv"
    unchanged(path)
    d = losslens.diagnose(path)
    assert d.verdict == "no_signal"
    assert d.causes[0].evidence[0].startswith(
        "validation accuracy 0.089 over the last quarter is at chance 1/10 = 0.100, 1.0 binomial standard errors "
        "under it (a guesser's sd on 797 samples: 0.011)"), d.causes[0].evidence[0]


def test_lightgbm_evals_result_counts_rounds_from_1_as_lightgbm_does():
    # LightGBM prints [1], [2] ... and its early stopping names best_iteration 10 ("Early stopping, best iteration
    # is:\n[10]", printed_es.log), the count of trees kept; its evals_result saved beside it (evals_default.json)
    # was read from round 0, "the best round is 9", "plateau at round 6", where the printed log of the same fit read
    # 10 and 7. The JSON, the same dict in memory and the printed log now read alike; XGBoost keeps its 0.
    folder = ECO / "lightgbm_printed"
    best = int(re.search(r"best iteration is:\n\[(\d+)\]", (folder / "printed_es.log").read_text())[1])
    [es] = read(folder / "printed_es.log")
    [saved] = read(folder / "evals_default.json")
    assert list(saved.axis) == list(es.axis) == list(range(1, 31)) and saved.axis_name == "round"
    held = json.loads((folder / "evals_default.json").read_text())
    for d in (losslens.diagnose(folder / "evals_default.json"), losslens.diagnose(held), losslens.diagnose(es)):
        assert (d.plateau_epoch, d.causes[0].numbers["val_best_epoch"]) == (7, best), str(d)
        assert f"the best round is {best}" in " ".join(d.causes[0].actions), str(d)
    [record] = read(folder / "record_eval.json")  # sets named train/valid: LightGBM's metric names say whose
    assert record.axis[0] == 1 and record.axis[-1] == 200
    assert read(ECO.parent / "logs" / "xgboost_evals_result.json")[0].axis[0] == 0
