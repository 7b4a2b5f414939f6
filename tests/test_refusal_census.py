"""What a user reads where losslens cannot read a committed file: one line naming the file, saying what it is (as far
as it can tell) and what to pass instead. The census of every committed printed file (make.out, a console capture)
read so in session 50 found 121 refused "not a training log: no numeric columns (found: wine_w1: loss 0.4421, ...)",
and others "no loss or accuracy column (found: 2.13.0+cpu)" under a version line, "no data rows (header only:
dlin_lr0.2_600, val, 0:0.6121, ...)", "no training log in this text: not a table (its first line holds values ...)":
how the table reader failed, not what the file is."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from losslens import read
from losslens.cli import app
from losslens.exceptions import LosslensError

ROOT = Path(__file__).parent / "fixtures"
ECO = ROOT / "ecosystem"
RUN = "de89eaa56b9044e783a15b8eec14c1b5"
STORE = ECO / "mlflow_two_stores" / "mlruns"
PASS = ("pass the log the run wrote as it trained (a Keras CSVLogger file, Lightning's metrics.csv, a Trainer's "
        "trainer_state.json) or what it printed each epoch")

# (file, what the one line now says, what it said before)
CASES = [
    ("hf_lm_finetune/make.out", "printed results, not a training log (11 lines like 'pre_e2 steps 64, train loss last "
     "4.140 , eval loss best 4.095 at st...'): no value per epoch or step; " + PASS,
     "no loss or accuracy column (found: step, train loss last, eval loss best, val last)"),
    ("torch_deep_linear/make.out", "printed results, not a training log (1 line: 'dlin_lr0.2_600 val 0:0.6121 45:0.5457",
     "no data rows (header only"),
    # a version line first, then the results
    ("keras_adam_spikes_first_half/make.out", "printed results, not a training log (2 lines like 'adam_0.05.csv: "
     "val_loss best 0.0776", "found: 2.13.0+cpu"),
    # values joined by commas
    ("r2_nosignal/make.out", "printed results, not a training log (3 lines like 'nosignal 0,17.61527,-9.71427",
     "found: 17.61527"),
    ("capacity_or_floor/make.out", "printed results, not a training log (5 lines like 'wine_w1: loss 0.4421, accuracy",
     "no numeric columns"),
    ("keras_slow_overfit/make.out", "printed results, not a training log (2 lines like 'seed 0: val_loss at epoch 399",
     "no numeric columns (found: step)"),
    ("walkthrough_lightning_h1/out_h1.txt", "a console capture, not a training log (its first line: 'GPU available: "
     "False, used: False'): no value per epoch or step", "no numeric columns"),
    ("compare_lightning/e40/hparams.yaml", "Lightning's hparams.yaml, the run's saved settings: 'lr: 0.05', not a "
     "training log: pass the log written beside it (metrics.csv, an event file) or the folder holding both",
     "first line holds values"),
    ("lightning_resume/logs/tb/version_0/hparams.yaml", "Lightning's hparams.yaml, the run's saved settings: '{}', not "
     "a training log", "a JSON object without history"),
    ("dvclive/dvclive/params.yaml", "a YAML file of settings: 'lr: 0.001', not a training log", "first line holds values"),
    ("hf_lr_sweep/lr1e-3/config.json", "a Transformers model's config.json, not a training log: pass the Trainer's "
     "trainer_state.json (in its output folder or a checkpoint-N folder) or that folder",
     "no numeric columns (found: architectures)"),
    ("keras_cnn_spike/README.md", "a Markdown document, not a training log: pass the log it describes",
     "no printed epochs"),
    (f"mlflow_two_stores/mlruns/516120821549668652/{RUN}/params/optimizer_name", "an MLflow run's param file "
     f"(params/optimizer_name), not a log to read alone: pass its store, losslens diagnose {STORE} --run {RUN}",
     "no data rows (header only: adam)"),
    (f"mlflow_two_stores/mlruns/516120821549668652/{RUN}/metrics/loss", "an MLflow run's metric file (metrics/loss), "
     f"not a log to read alone: pass its store, losslens diagnose {STORE} --run {RUN}", "without a header row"),
]


def _refusal(*args) -> str:
    res = CliRunner().invoke(app, ["diagnose", *map(str, args)])
    assert res.exit_code == 2 and res.stdout == "", res.output
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    return lines[0]


@pytest.mark.parametrize("name, says, said", CASES, ids=[c[0] for c in CASES])
def test_a_committed_file_that_is_no_log_is_said_to_be_what_it_is(name, says, said):
    path = ECO / name
    line = _refusal(path)
    assert line.startswith(f"losslens: {path}: {says}"), line
    assert said not in line


def test_what_a_refusal_says_to_pass_instead_reads():
    # the hparams.yaml's folder, and the MLflow store with the run named: each diagnosed
    for args in ([ECO / "compare_lightning" / "e40"], [STORE, "--run", RUN]):
        res = CliRunner().invoke(app, ["diagnose", *map(str, args)])
        assert res.exit_code == 0 and "plateau" in res.stdout, (args, res.output)


# What the refusal of a printed file may say: what it is. "too short to diagnose" is a printed log read (one or two
# evaluations a Trainer printed), refused by the diagnosis, not the reader.
KINDS = ("printed results, not a training log (", "a console capture, not a training log (", "a Markdown document",
         "Lightning's RichProgressBar", "CatBoost's printed progress")
# How a table reader's failure was said of them.
OLD = ("no numeric columns", "no loss or accuracy column", "no data rows", "no training log in this text",
       "first line holds values", "only results printed after training")


def test_every_committed_printed_file_that_is_refused_says_what_it_is():
    printed = sorted(p for top in (ROOT, Path(__file__).parents[1] / "src" / "losslens" / "examples")
                     for p in top.rglob("*") if p.is_file() and p.suffix in (".out", ".txt", ".log", ".md"))
    assert len(printed) > 200
    refused = {}
    for path in printed:
        try:
            read(path)
        except LosslensError as exc:
            refused[path] = str(exc)
    assert len(refused) > 100  # (the make.out files of the fixtures: each a script's results)
    for path, said in refused.items():
        assert said.startswith(f"{path}: ") and "\n" not in said, said
        problem = said[len(f"{path}: "):]
        assert problem.startswith(KINDS) and not any(old in problem for old in OLD), said


# --- What lies beside the log, named in its place (session 50, msgs2) ---------------------------------------------

TWO = ECO / "mlflow_two_stores"
EXP = STORE / "516120821549668652"
M3 = ECO / "mlflow3_datasets" / "mlruns"
M3_EXP = M3 / "636352203226673343"
M3_RUN = "8a1e686438d849b19a022e9291c73047"
ART_RUN = "ac294027951949cc8ed703da1e1e3522"  # mlflow_two_stores' run of MLflow 3's mlflow.db: only artifacts here


def _diagnosed(*args) -> str:
    res = CliRunner().invoke(app, ["diagnose", *map(str, args)])
    assert res.exit_code == 0, res.output
    return res.stdout


@pytest.mark.parametrize("folder, store, run", [
    (EXP / RUN, STORE, RUN), (EXP / RUN / "metrics", STORE, RUN), (EXP / RUN / "params", STORE, RUN),
    (M3_EXP / M3_RUN, M3, M3_RUN), (M3_EXP / M3_RUN / "metrics", M3, M3_RUN)],
    ids=["two_stores_run", "two_stores_metrics", "two_stores_params", "mlflow3_run", "mlflow3_metrics"])
def test_an_mlflow_run_folder_reads_as_its_store_with_the_run_selected(folder, store, run):
    # (was "no training runs found in this directory (37 files read: artifacts/model_summary.txt: a console
    # capture ...; metrics/accuracy: an MLflow run's metric file ...")
    assert _diagnosed(folder) == _diagnosed(store, "--run", run)


def test_an_mlflow_experiment_folder_reads_its_runs():
    assert _diagnosed(M3_EXP) == _diagnosed(f"mlflow:{M3}#experiment={M3_EXP.name}")
    assert "with_model" in _diagnosed(M3_EXP) and "datasets_only" in _diagnosed(M3_EXP)
    assert _diagnosed(EXP).startswith("overfit: ")


def test_an_mlflow3_artifacts_folder_reads_the_database_beside_mlruns_or_names_it(tmp_path):
    import lzma
    import shutil

    folder = Path("mlruns") / "1" / ART_RUN
    refused = _refusal(TWO / folder)  # (committed without its mlflow.db: only mlflow.db.xz is beside)
    assert refused == (f"losslens: {TWO / folder}: an MLflow run's artifacts folder, not its metrics (MLflow 3 keeps "
                       f"those in its tracking database, and no mlflow.db is beside mlruns/ here): pass that store, "
                       f"losslens diagnose {TWO / 'mlflow.db'} --run {ART_RUN}"), refused
    shutil.copytree(TWO / "mlruns", tmp_path / "mlruns")
    (tmp_path / "mlflow.db").write_bytes(lzma.decompress((TWO / "mlflow.db.xz").read_bytes()))
    for named in (tmp_path / folder, tmp_path / folder / "artifacts"):
        assert _diagnosed(named) == _diagnosed(tmp_path / "mlflow.db", "--run", ART_RUN)


_LOG_A_RUN = """
import sys
import mlflow
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

X, y = load_digits(return_X_y=True)
Xtr, Xva, ytr, yva = train_test_split(X / 16, y, test_size=0.3, random_state=0)
mlflow.set_tracking_uri("file:" + sys.argv[1])
mlflow.set_experiment("digits")
clf = SGDClassifier(loss="log_loss", learning_rate="constant", eta0=0.01, random_state=0)
with mlflow.start_run(run_name="sgd") as run:
    for epoch in range(12):
        clf.partial_fit(Xtr, ytr, classes=np.arange(10))
        mlflow.log_metrics({"loss": log_loss(ytr, clf.predict_proba(Xtr), labels=range(10)),
                            "val_loss": log_loss(yva, clf.predict_proba(Xva), labels=range(10))}, step=epoch)
    mlflow.log_param("eta0", 0.01)
print(run.info.experiment_id, run.info.run_id)
"""


def test_a_real_mlflow_file_store_read_from_the_run_path_its_ui_shows(tmp_path):
    """A store the installed mlflow writes (a digits classifier trained 12 epochs with scikit-learn), read from the
    path the MLflow UI shows for the run, its experiment's folder and its metrics/."""
    import os
    import subprocess
    import sys

    pytest.importorskip("mlflow")
    store = tmp_path / "mlruns"
    out = subprocess.run([sys.executable, "-c", _LOG_A_RUN, str(store)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"}, check=True).stdout
    exp, run = out.split()[-2:]
    whole = _diagnosed(store, "--run", run)
    assert whole.startswith("sgd: ")
    for named in (store / exp / run, store / exp / run / "metrics", store / exp):
        assert _diagnosed(named) == whole, named
    with pytest.raises(AssertionError, match="give one"):
        _diagnosed(store / exp / run, "--run", "another")


# (file, what the one line says): a file a library writes beside the log, one value per key, each said "a JSON object
# without history, log_history or lists of values (keys: ...)" before.
SUMMARIES = [
    ("dvclive/dvclive/metrics.json", "DVCLive's metrics.json, the run's last values (keys: train, val, step), not a "
     "training log: pass its values per step, losslens diagnose {d}/dvclive/dvclive/plots/metrics, or the folder "
     "{d}/dvclive/dvclive"),
    ("hf_lm_beside/language_model/all_results.json", "a Transformers Trainer's all_results.json, the run's final "
     "figures (keys: epoch, eval_loss, eval_runtime, eval_samples_per_second, eval_steps_per_second, train_loss, "
     "train_runtime, train_samples_per_second, train_steps_per_second), not a training log: pass the Trainer's "
     "{d}/hf_lm_beside/language_model/trainer_state.json beside it, or the output folder "
     "{d}/hf_lm_beside/language_model"),
    ("raytune/trial_0/params.json", "Ray Tune's params.json, the trial's settings (keys: lr), not a training log: "
     "pass {d}/raytune/trial_0/progress.csv or {d}/raytune/trial_0/result.json beside it, or the trial folder "
     "{d}/raytune/trial_0"),
]


@pytest.mark.parametrize("name, says", SUMMARIES, ids=[c[0] for c in SUMMARIES])
def test_a_summary_json_beside_the_log_names_the_log(name, says):
    path = ECO / name
    assert _refusal(path) == f"losslens: {path}: {says.format(d=ECO)}"


def test_a_trainer_summary_names_the_latest_checkpoint_state_where_the_output_folder_has_none(tmp_path):
    import shutil

    out = tmp_path / "out"
    for step in (5, 10):
        (out / f"checkpoint-{step}").mkdir(parents=True)
        shutil.copy(ECO / "hf_lm_beside" / "language_model" / "trainer_state.json",
                    out / f"checkpoint-{step}" / "trainer_state.json")
    shutil.copy(ECO / "hf_lm_beside" / "language_model" / "all_results.json", out / "train_results.json")
    assert f"pass the Trainer's {out / 'checkpoint-10' / 'trainer_state.json'} beside it" in _refusal(
        out / "train_results.json")
    assert _diagnosed(out)  # (what it names reads)


# Committed files read as a log of one or two points ("only 2 value(s) of val_loss: too short to diagnose"): each a
# script's results, one line per run, or a file beside the run's log. (file, how its one line starts)
SHORT = [(f"{name}/make.out", "printed results, not a training log (") for name in (
    "cosine_stop_in_decay", "hf_bert_lr_low", "hf_gpt2_decay_to_0", "hf_gpt2_eval_steps", "keras_thrown_checked_late",
    "lab_at_noise_floor", "mse_onehot", "torch_charlm_cosine_end")] + [
    ("compare_resume/make_lightning.out", "printed results, not a training log (2 lines like 'version_0 (lr 0.05"),
    ("lightning_ae_slow/make.out", "printed results, not a training log (6 lines like 'base: lr=0.001 epochs=30"),
    ("tb_lr_sweep/runs/lr_0.001/1796193890.6093369/events.out.tfevents.1796193890.vm.14165.1", "an add_hparams "
     "summary (torch's SummaryWriter: the run's settings and one final value of val_loss, val_acc), not the run's "
     "curve: pass the run's folder {d}/tb_lr_sweep/runs/lr_0.001 (its event file events.out.tfevents.1796193886"),
    ("tb_lr_sweep/runs/lr_0.001/1796193890.6093369", "an add_hparams summary"),
    ("tb_seed_hparams/runs/Dec07_13-40-10_vm/1796650370.1847544/events.out.tfevents.1796650370.vm.11630.1",
     "an add_hparams summary"),
    ("hf_evaluate/runs/Dec02_04-49-39_vm/events.out.tfevents.1796186983.vm.6032.1", "one of the run's 2 event files "
     "(1 value of val_loss: a later session's, as a validate(), test() or evaluate() call after fit writes), not the "
     "whole run: pass its folder {d}/hf_evaluate/runs/Dec02_04-49-39_vm, which reads them together"),
    ("lightning_validate_tb/logs/tb/version_0/events.out.tfevents.1796206409.vm.5430.1", "one of the run's 3 event "
     "files"),
]


@pytest.mark.parametrize("name, says", SHORT, ids=[c[0] for c in SHORT])
def test_results_read_as_one_or_two_points_are_said_to_be_what_they_are(name, says):
    path = ECO / name
    line = _refusal(path)
    assert line.startswith(f"losslens: {path}: {says.format(d=ECO)}") and "too short" not in line, line


@pytest.mark.parametrize("text", ["epoch 1: loss 0.52, val_loss 0.61\nepoch 2: loss 0.47, val_loss 0.58\n",
                                  "[step 100] loss=0.52 val_loss=0.61\n[step 200] loss=0.47 val_loss=0.58\n"])
def test_a_short_printed_log_is_still_too_short(tmp_path, text):
    path = tmp_path / "train.log"
    path.write_text(text)
    assert "too short to diagnose" in _refusal(path)


def test_a_checkpoint_of_two_losses_is_still_too_short():
    # a Trainer's checkpoint-10 state, its history two logged losses: a real short log
    path = ECO / "hf_hp_search" / "hp_out" / "run-0" / "checkpoint-10" / "trainer_state.json"
    assert "only 2 value(s) of train_loss: too short to diagnose" in _refusal(path)
