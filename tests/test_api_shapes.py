"""The command line and the Python API say the same things the same way: several paths read as a folder's files
are (each bad one a line, the good ones reported, exit 2 at the end), the CLI's own wording for the CLI."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from cli_helpers import md5, run_cli  # tests/cli_helpers.py

FIXTURES = Path(__file__).parent / "fixtures"
KERAS_LOG = FIXTURES / "logs" / "keras_rlrop.csv"  # Keras CSVLogger, 60 epochs


def _no_loss_csv(folder: Path) -> Path:
    path = folder / "badcol.csv"
    path.write_text("epoch,foo\n0,1\n1,2\n")
    return path


def test_several_paths_one_missing_still_reports_the_others_then_exits_2(tmp_path):
    bad = _no_loss_csv(tmp_path)
    before = md5(bad)
    for command in (["diagnose", "--json"], ["diagnose"], ["forecast", "--json"]):
        res = run_cli(*command, KERAS_LOG, tmp_path / "nonexistent.csv", bad)
        assert res.exit_code == 2, (command, res.output)
        if "--json" in command:
            rows = [json.loads(line) for line in res.stdout.splitlines()]
            assert [r["run"] for r in rows] == ["keras_rlrop"], res.stdout
        else:
            assert "keras_rlrop" in res.stdout
        err = res.stderr.strip().splitlines()
        assert f"losslens: {tmp_path / 'nonexistent.csv'}: no such file or directory" in err, err
        # the command line's way to name a column, not Python's columns={...}
        assert any(line.startswith(f"losslens: {bad}: no loss or accuracy column") and "--metric COLUMN" in line
                   and "columns=" not in line for line in err), err
    assert md5(bad) == before


def test_several_paths_all_bad_is_each_line_and_exit_2_with_no_output(tmp_path):
    res = run_cli("diagnose", "--json", tmp_path / "a.csv", _no_loss_csv(tmp_path))
    assert res.exit_code == 2 and res.stdout == ""
    assert len(res.stderr.strip().splitlines()) == 2, res.stderr
    # one path's problem is still the one line it was
    res = run_cli("diagnose", tmp_path / "a.csv")
    assert res.exit_code == 2 and res.stderr.strip() == f"losslens: {tmp_path / 'a.csv'}: no such file or directory"


def test_a_folder_s_passed_over_file_is_worded_for_the_command_line(tmp_path):
    shutil.copy(KERAS_LOG, tmp_path / "keras_rlrop.csv")
    _no_loss_csv(tmp_path)
    res = subprocess.run([sys.executable, "-m", "losslens", "diagnose", "--json", str(tmp_path)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "passed over 1 file(s): badcol.csv: no loss or accuracy column" in res.stderr
    assert "--metric COLUMN" in res.stderr and "columns=" not in res.stderr, res.stderr


def test_a_held_out_score_the_cli_does_not_read_is_said(tmp_path):
    """scikit-learn's MLPRegressor(early_stopping=True) logs its loss and a validation R²: the fitted model is read on
    the R² (the score early stopping watched), its curves saved as CSV on the loss; the CSV's reading says so."""
    import warnings

    import numpy as np
    import pandas as pd
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    import losslens

    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, (600, 2))
    y = np.sin(2 * X[:, 0]) * np.cos(2 * X[:, 1]) + 0.05 * rng.normal(size=600)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = MLPRegressor(hidden_layer_sizes=(2,), early_stopping=True, max_iter=200, n_iter_no_change=30,
                           random_state=0).fit(X, y)
    assert losslens.diagnose(reg).metric == "val_r2"
    path = tmp_path / "mlpreg.csv"
    pd.DataFrame({"loss": reg.loss_curve_, "val_r2": reg.validation_scores_}).to_csv(path, index=False)
    res = run_cli("diagnose", "--json", path)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["metric"] == "train_loss"
    first = out["causes"][0]["evidence"][0]
    assert "val_r2" in first and "not read" in first and "--metric val_r2" in first, first
    # asked for, it is read, and the line goes
    res = run_cli("diagnose", "--json", path, "--metric", "val_r2")
    out = json.loads(res.stdout)
    assert out["metric"] == "val_r2" and not any("not read" in e for e in out["causes"][0]["evidence"])


def test_a_validation_curve_passed_over_for_too_few_evaluations_is_said():
    """Trainer checkpoints' trainer_state.json (transformers; made by the fixtures' make.py) with a few evaluations
    against more logged training losses are read on the training loss: the verdict says why, and how to read
    validation where it can be read alone."""
    eco = FIXTURES / "ecosystem"
    two = json.loads(run_cli("diagnose", "--json", eco / "hf_lm_finetune" / "ft_e1" / "trainer_state.json").stdout)
    assert two["metric"] == "train_loss"
    first = two["causes"][0]["evidence"][0]
    # 2 evaluations are too short to diagnose alone: no --metric hint that would be refused
    assert first.startswith("read on train_loss: val_loss was evaluated 2 times") and "--metric" not in first, first
    state = eco / "hf_lm_finetune" / "pre_e2" / "trainer_state.json"
    out = json.loads(run_cli("diagnose", "--json", state).stdout)
    first = out["causes"][0]["evidence"][0]
    assert first.startswith("read on train_loss: val_loss was evaluated ") and "--metric val_loss" in first, first
    asked = json.loads(run_cli("diagnose", "--json", state, "--metric", "val_loss").stdout)
    assert asked["metric"] == "val_loss" and not any("was evaluated" in e for e in asked["causes"][0]["evidence"])


def test_a_folder_names_the_event_file_it_could_not_read_not_dot(tmp_path):
    """An event file (torch.utils.tensorboard's SummaryWriter wrote the fixture) cut to its first 30 bytes, alone in
    the folder named: the line named "." where the file is meant."""
    events = next((FIXTURES / "ecosystem" / "torch_tb" / "runs" / "exp1").glob("events.out.tfevents.*"))
    (tmp_path / "cut").mkdir()
    (tmp_path / "cut" / events.name).write_bytes(events.read_bytes()[:30])
    res = run_cli("diagnose", tmp_path / "cut")
    assert res.exit_code == 2
    assert f"{events.name}: not a readable TensorBoard event file" in res.stderr and ": .:" not in res.stderr, res.stderr


def test_a_hole_of_nul_bytes_mid_log_is_read_around_and_said(tmp_path, caplog):
    """A Keras CSVLogger file (the fixture) with 300 bytes overwritten by NULs mid-file, as a crash leaves a lost
    block: the rows each side are read, the rows the hole cut are left out, and a warning says so."""
    import losslens

    data = KERAS_LOG.read_bytes()
    mid = len(data) // 2
    path = tmp_path / "hole.csv"
    path.write_bytes(data[:mid] + b"\x00" * 300 + data[mid + 300:])
    before = md5(path)
    with caplog.at_level("WARNING", logger="losslens"):
        [run] = losslens.read(path)
    said = [r.getMessage() for r in caplog.records if r.name == "losslens"]
    assert any(f"300 NUL bytes at byte {mid}" in s and "read around" in s for s in said), said
    [whole] = losslens.read(KERAS_LOG)
    lost = len(whole) - len(run)
    assert 1 <= lost <= 300 // 20 + 2, lost  # the rows in the hole and the two it cut, no more
    assert run.val_loss[0] == whole.val_loss[0] and run.val_loss[-1] == whole.val_loss[-1]
    assert run_cli("diagnose", path).exit_code == 0
    assert md5(path) == before


def test_a_file_of_nul_bytes_only_says_so(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_bytes(b"\x00" * 4096)  # a file preallocated (fallocate, a crash before the first write)
    res = run_cli("diagnose", path)
    assert res.exit_code == 2
    assert res.stderr.strip() == f"losslens: {path}: only NUL bytes (4096 of them): a file preallocated and never written?"


def test_forecast_to_dict_is_what_forecast_json_prints():
    """As Diagnosis.to_dict() is diagnose --json's object, Forecast.to_dict() is forecast --json's (a Keras CSVLogger
    file; a Trainer checkpoint, whose step axis adds the epoch at X), and to_json() its line."""
    import losslens

    from losslens.result import rounded

    for path in (KERAS_LOG, FIXTURES / "ecosystem" / "hf_lm_finetune" / "pre_e2" / "trainer_state.json"):
        res = run_cli("forecast", "--json", path)
        assert res.exit_code == 0, res.output
        cli = json.loads(res.stdout)
        fc = losslens.forecast(path)
        assert rounded(fc.to_dict()) == cli  # (the JSON's floats to 7 significant digits, to_dict's whole)
        assert json.loads(fc.to_json()) == cli
        assert cli["schema"] == "losslens.forecast/1" and cli["source"] == str(path)


def test_a_list_of_rows_is_sourced_as_list_as_a_dataframe_is_dataframe():
    import pandas as pd

    import losslens

    import csv

    # the Keras log's rows as a loop keeps them: one dict per epoch
    rows = [{k: float(row[k]) for k in ("epoch", "loss", "val_loss")} for row in csv.DictReader(KERAS_LOG.open())]
    assert losslens.diagnose(rows).source == "list"
    assert losslens.diagnose(pd.DataFrame(rows)).source == "DataFrame"
    assert losslens.forecast(rows).to_dict()["source"] == "list"


def test_no_color_on_a_terminal_writes_no_colour_nor_bold(tmp_path):
    """NO_COLOR=1 (https://no-color.org) on a terminal: no SGR escape (colour, bold, dim) in the report; without it,
    the headline is bold."""
    import os
    import pty
    import re

    log = FIXTURES / "ecosystem" / "keras_vae" / "beta1.log"  # Keras' printed fit output

    def on_a_terminal(**env):
        main, side = pty.openpty()
        proc = subprocess.run([sys.executable, "-m", "losslens", "diagnose", str(log)], stdout=side,
                              stderr=subprocess.DEVNULL, env={**os.environ, "COLUMNS": "120", **env}, timeout=120)
        os.close(side)
        out = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        os.close(main)
        assert proc.returncode == 0
        return out.decode("utf-8", "replace")

    sgr = re.compile(r"\x1b\[[0-9;]*m")
    assert sgr.search(on_a_terminal()), "a terminal gets colour and bold"
    plain = on_a_terminal(NO_COLOR="1")
    assert "beta1: converged" in plain and not sgr.search(plain), repr(plain[:300])


def test_json_floats_are_rounded_at_serialisation_only_and_whole_epochs_are_ints():
    """A Keras CSVLogger log's float32 values (0.29636380076408386) and the analysis' differences
    (0.010299999999999976) are written to 7 significant digits; to_dict() and the analysis keep every digit."""
    import re

    import losslens

    d = losslens.diagnose(KERAS_LOG)
    line = run_cli("diagnose", "--json", KERAS_LOG).stdout
    digits = [len(m.lstrip("-0.").replace(".", "").split("e")[0]) for m in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", line)]
    assert digits and max(digits) <= 7, max(digits)
    assert json.loads(line) == json.loads(d.to_json())
    assert d.to_dict()["plateau"]["level"] == float(d.plateau.level)  # every digit in memory
    assert json.loads(line)["plateau"]["level"] == float(f"{d.plateau.level:.7g}")
    # X on whole epochs is an int in Python as on the command line (42, not 42.0)
    assert isinstance(d.plateau_epoch, int) and json.loads(line)["plateau_epoch"] == d.plateau_epoch
    fc = json.loads(run_cli("forecast", "--json", KERAS_LOG).stdout)
    assert isinstance(fc["horizon"], int) and isinstance(fc["plateau_epoch"], int), fc


def test_a_far_forecast_s_legend_writes_the_epoch_in_full():
    """The Keras log forecast to epoch 20,000: the legend wrote ``:g``'s 2e+04 (a million-step run's 1.999e+06)."""
    import matplotlib

    matplotlib.use("Agg")
    import losslens

    fig = losslens.forecast(KERAS_LOG, horizon=20000).plot()
    labels = [a.get_label() for ax in fig.axes for a in ax.get_lines() + ax.collections]
    assert "forecast to epoch 20,000, 90% band" in labels, labels


def test_an_mlflow_store_of_two_experiments_names_no_best_across_them_as_a_tensorboard_tree(tmp_path):
    """MLflow (the library, its SQL store) with experiments A and B, two runs each: a best was named across both,
    where a TensorBoard tree's two folders refuse; within one experiment a best is still named."""
    import math

    mlflow = __import__("pytest").importorskip("mlflow")
    store = tmp_path / "mlflow.db"  # (MLflow 3's file store refuses new runs: its SQL store)
    mlflow.set_tracking_uri(f"sqlite:///{store}")
    try:
        for exp in ("expA", "expB"):
            mlflow.set_experiment(exp)
            for k, tau in enumerate((4, 6)):
                with mlflow.start_run(run_name=f"{exp}-{k}"):
                    for e in range(20):
                        mlflow.log_metric("loss", math.exp(-e / tau) + 0.1, step=e)
                        mlflow.log_metric("val_loss", math.exp(-e / tau) + 0.2 + 0.01 * max(0, e - 10), step=e)
    finally:
        # (set_experiment leaves its id as the process's active experiment: a later test's file store in this
        # worker then failed "Could not find experiment with ID 2")
        mlflow.set_tracking_uri(None)
        mlflow.tracking.fluent._active_experiment_id = None
        os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    out = run_cli("diagnose", store).stdout
    assert "no best named: these runs come from 2 experiments of one store" in out, out
    one = run_cli("diagnose", f"mlflow:sqlite:///{store}#experiment=expA").stdout
    assert "best val_loss: expA-" in one, one
