"""A sweep's saved settings read as saved, and a log's axis read from its data (session 45's sweep walk).

Logs: tests/fixtures/ecosystem/lightning_adamw_settings (make.py: a 64-16-16-10 MLP on digits, AdamW, each run a real
Lightning fit whose hparams.yaml names the optimizer, then the same epochs laid out as Ray Tune writes a trial; Ray
is not installed here, so those files are written as Ray 2.x writes them, after the raytune fixture Ray wrote).
- compare missed an AdamW decay changed 1.0 -> 0.01 (and 0 -> 1, 1 -> 0): the decay was read through the
  diagnosis's strength test (lr x wd under STRONG_SHRINK: not a penalty), not as saved: "the change is not named".
- hparams.yaml's AdamW weight_decay 1.0 never reached the facts, though a callback's or a Trainer search's decoupled
  decay of 1 does: wd1 read still_improving; at 0.01 its best validation loss is 45% lower (0.4886 -> 0.2696).
- a Ray trial's params.json was passed over with a warning a trial, its result.json's config too, and each trial's
  result.json said "read once" on a line of its own: compare of two trials said "the change is not named".
- a Ray trial's training_iteration and MLflow metrics logged with step=epoch were read as optimizer steps, their
  training loss as a batch's: the same numbers read lr_too_high under an epoch header, overfitting under a step one.
"""

import csv
from pathlib import Path

import pytest

import losslens
from losslens.facts import batch_loss
from losslens.readers import read

from cli_helpers import run_cli

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "lightning_adamw_settings"
LT = HERE / "lightning_logs"
RAY = HERE / "ray" / "train_fn"


@pytest.mark.parametrize("before,after,factor", [("wd1", "wd0.01", 0.01), ("wd0.01", "wd1", 100.0),
                                                 ("wd1", "wd0", 0.0), ("wd0", "wd1", float("inf"))])
def test_compare_names_an_adamw_decay_change_as_saved(before, after, factor):
    c = losslens.compare(LT / before, LT / after)
    assert c.change.get("decay_factor") == pytest.approx(factor), c.change


def test_an_adamw_decay_of_1_in_hparams_yaml_is_the_weight_penalty():
    d = losslens.diagnose(LT / "wd1")
    reg = d.facts.regularization
    assert reg is not None and reg.value == 1.0 and reg.decoupled and reg.where.startswith("hparams.yaml")
    assert d.verdict == "underfitting" and "lower the weight decay" in str(d.causes[0].actions[0])
    # what the action predicts, measured: the same run at 0.01 (and at 0) ends far lower
    best = {n: min(float(r["val_loss"]) for r in csv.DictReader(open(LT / n / "metrics.csv")) if r["val_loss"])
            for n in ("wd1", "wd0.01", "wd0")}
    assert best["wd0.01"] < 0.6 * best["wd1"] and best["wd0"] < 0.6 * best["wd1"], best
    # AdamW's default 0.01 at the same lr holds nothing: no penalty read there
    assert losslens.diagnose(LT / "wd0.01").facts.regularization is None


def _epochs(name):
    """{epoch: (train_loss, val_loss)} of a Lightning run's metrics.csv."""
    out = {}
    for row in csv.DictReader(open(LT / name / "metrics.csv")):
        e = out.setdefault(int(row["epoch"]), {})
        e.update({k: float(v) for k, v in row.items() if v and k in ("train_loss", "val_loss")})
    return [(e["train_loss"], e["val_loss"]) for _, e in sorted(out.items())]


def test_a_ray_trial_is_read_by_report_not_by_step():
    [trial] = [p for p in RAY.iterdir() if p.name.startswith("trial_00004")]
    [run] = read(trial / "progress.csv")
    assert run.axis_name == "epoch" and not batch_loss(run.axis_name, "train_loss")
    ray, lt = losslens.diagnose(run), losslens.diagnose(LT / "lr0.1")
    assert ray.verdict == lt.verdict and ray.causes[0].confidence == pytest.approx(lt.causes[0].confidence, abs=0.02)
    assert ray.plateau_epoch == lt.plateau_epoch + 1  # (training_iteration counts from 1, Lightning's epoch from 0)


def test_mlflow_metrics_logged_by_epoch_read_as_epochs(tmp_path, monkeypatch):
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    store = tmp_path / "mlruns"
    mlflow.set_tracking_uri(store.as_uri())
    try:  # (the tracking URI is process-wide; the default experiment is used, so no active one to restore)
        with mlflow.start_run(run_name="lr0.1"):
            mlflow.log_params({"lr": 0.1, "hidden": 16, "weight_decay": 0.0, "optimizer": "AdamW"})
            for epoch, (t, v) in enumerate(_epochs("lr0.1")):
                mlflow.log_metrics({"loss": t, "val_loss": v}, step=epoch)
    finally:
        mlflow.set_tracking_uri(None)
    [run] = read(f"mlflow:{store}")
    assert run.axis_name == "epoch"
    # PATH#RUN after an experiment (README: in every command): read "Default#lr0.1" as the experiment's name
    assert [r.name for r in read(f"mlflow:{store}#experiment=Default#lr0.1")] == ["lr0.1"]
    d, lt = losslens.diagnose(run), losslens.diagnose(LT / "lr0.1")
    assert (d.verdict, d.plateau_epoch) == (lt.verdict, lt.plateau_epoch)


def test_a_step_log_whose_training_loss_is_logged_apart_keeps_its_steps(tmp_path):
    # Lightning's on_step training loss (logged at steps validation is not) and a Trainer's log stay step logs.
    eco = HERE.parent
    assert read(eco / "hf_evaluate" / "trainer_state.json")[0].axis_name == "step"
    # the same numbers as the Ray trial, validation at every other step only: no report index read
    rows = _epochs("lr0.1")
    path = tmp_path / "steps.csv"
    path.write_text("step,loss,val_loss\n" + "".join(f"{k},{t},{v if k % 2 else ''}\n"
                                                      for k, (t, v) in enumerate(rows)))
    assert read(path)[0].axis_name == "step"
    path.write_text("step,loss,val_loss\n" + "".join(f"{10 * k},{t},{v}\n" for k, (t, v) in enumerate(rows)))
    assert read(path)[0].axis_name == "step"  # (10 steps apart: an optimizer's steps, not a report index)


def test_a_ray_trials_params_json_is_its_saved_settings(caplog):
    # params.json was passed over ("a JSON object without history", one line a trial) and each trial's result.json
    # said "read once" on a line of its own (18 lines for the walker's 18 trials); the sweep table had no lr column.
    with caplog.at_level("WARNING", logger="losslens"):
        runs = read(RAY)
    said = [r.getMessage() for r in caplog.records]
    assert len(runs) == 5 and not any("params.json" in s for s in said), said
    [once] = [s for s in said if "read once" in s]
    assert "so were 4 more files" in once, once
    assert all(r.meta["tune_config"]["hidden"] == 16 for r in runs)
    trials = {p.name.split("_")[1]: p for p in RAY.iterdir()}
    c = losslens.compare(trials["00001"], trials["00003"])  # lr 3e-3 -> 3e-2 at weight_decay 0.01
    assert c.change == pytest.approx({"lr_factor": 10.0}), c.change
    c = losslens.compare(trials["00000"], trials["00001"])  # weight_decay 1.0 -> 0.01
    assert c.change.get("decay_factor") == pytest.approx(0.01), c.change


def test_a_ray_result_json_alone_gives_its_config(tmp_path):
    # (params.json lost: each report of result.json holds the trial's config too)
    [trial] = [p for p in RAY.iterdir() if p.name.startswith("trial_00000")]
    (tmp_path / "result.json").write_bytes((trial / "result.json").read_bytes())
    [run] = read(tmp_path / "result.json")
    assert run.meta["tune_config"] == {"lr": 0.003, "hidden": 16, "weight_decay": 1.0}
    # (the config names no optimizer: its decay is read as an L2 penalty, as an hparams.yaml's that names none is)
    reg = losslens.diagnose(run).facts.regularization
    assert (reg.name, reg.value, reg.where, reg.decoupled) == ("weight_decay", 1.0, "params.json", False)


def test_the_sweep_table_shows_the_settings_that_differ():
    # The table showed an lr column alone: width, weight decay and epochs varied unseen. Only the keys that differ
    # (here weight_decay and lr; hidden, max_epochs and optimizer are one value for all) get a column.
    from losslens.report.text import differing_settings

    ds = [losslens.diagnose(LT / n) for n in ("wd1", "wd0.01", "wd0", "lr0.03")]
    assert differing_settings(ds) == [("weight_decay", [1.0, 0.01, 0.0, 0.01])]
    res = run_cli("diagnose", LT)
    header = next(line for line in res.stdout.splitlines() if " run " in line)
    assert "weight_decay" in header and "hidden" not in header, res.stdout


@pytest.mark.parametrize("folder, saved", [(LT, "hparams.yaml"), (RAY, "params.json")])
def test_diagnose_json_carries_each_runs_saved_settings(folder, saved):
    # The settings compare reads and the sweep table shows were in no --json object: a program ranking a sweep had
    # the run's folder name to go by.
    import json

    import yaml

    res = run_cli("diagnose", "--json", folder)
    assert res.exit_code == 0, res.output
    objects = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert len(objects) == 5
    for d in objects:
        path = Path(d["source"]) / saved if Path(d["source"]).is_dir() else Path(d["source"]).parent / saved
        on_disk = (yaml.safe_load if saved.endswith(".yaml") else json.loads)(path.read_text())
        assert d["settings"]["from"] == saved, d["settings"]
        assert d["settings"]["values"] == on_disk, (path, d["settings"])


def test_a_run_that_saved_no_settings_says_null():
    res = run_cli("diagnose", "--json", Path(losslens.__file__).parent / "examples" / "keras_csvlogger.csv")
    import json

    assert json.loads(res.stdout)["settings"] is None


def test_the_html_overview_shows_the_settings_that_differ():
    # The text table's weight_decay column was not in the report's overview: its 5 runs read lr and verdict alone.
    import re

    import yaml
    from losslens.report.html import report_html

    ds = losslens.diagnose_all(LT)
    page = report_html(ds)
    head = re.search(r"<thead>(.*?)</thead>", page).group(1)
    names = re.findall(r"<th[^>]*>([^<]*)</th>", head)
    assert "weight_decay" in names and "hidden" not in names and "optimizer" not in names, names
    col = names.index("weight_decay")
    for d in ds:
        row = re.search(rf'<tr data-i="\d+" data-name="{re.escape(d.run_name)}".*?</tr>', page).group(0)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        wd = yaml.safe_load((LT / d.run_name / "hparams.yaml").read_text())["weight_decay"]
        assert cells[col] == f"{wd:g}", (d.run_name, cells)


def test_tensorboard_hparams_come_in_one_order_in_every_process():
    """A torch SummaryWriter.add_hparams log (tests/fixtures/ecosystem/tb_lr_sweep, lr and momentum): its settings,
    read off a protobuf map, came in whichever order that map's hash gave the process, so the same file's diagnose
    --json said {"lr": 0.03, "momentum": 0.9} in one run and {"momentum": 0.9, "lr": 0.03} in the next (3 of 6
    processes each way). Each read in a fresh process: one order, the names sorted."""
    import json
    import subprocess
    import sys

    path = Path(__file__).parent / "fixtures" / "ecosystem" / "tb_lr_sweep" / "runs" / "lr_0.03"
    code = ("import json, sys, losslens; "
            "print(json.dumps(list(losslens.diagnose(sys.argv[1]).to_dict()['settings']['values'])))")
    orders = {tuple(json.loads(subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                                              text=True, check=True).stdout))
              for _ in range(6)}
    assert orders == {("lr", "momentum")}
