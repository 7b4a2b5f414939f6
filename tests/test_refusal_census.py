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
