"""losslens run from scripts and CI jobs, over folders of runs: every run answered, on every stream (walk of session 39).

A walk over 300 real runs (DeepOBS, modded-nanoGPT, Keras notebooks) read only the JSON and the exit codes, as a
CI job does: a folder lost distinct runs in silence, still-improving runs carried a plateau epoch, one file with a
--horizon inside it got no diagnosis, forecast --json left out the runs it could not forecast, and an ASCII stdout
was an internal error.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import losslens
from conftest import runs_by_name

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
ECO = FIXTURES / "ecosystem"
EXAMPLES = REPO / "src" / "losslens" / "examples"
DEEPOBS = "deepobs_baselines_curves.csv.gz"


def _losslens(*args, **env) -> subprocess.CompletedProcess:
    """``losslens ARGS`` as a script runs it: its own process, its own streams."""
    return subprocess.run([sys.executable, "-m", "losslens", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **env})


def _objects(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def _write_csv(run, path: Path) -> None:
    """A real run's series as a Keras-style CSV (NaN written as ``nan``, as DeepOBS' own logs hold it)."""
    keys = sorted(run.series)
    rows = ["epoch," + ",".join(keys)]
    rows += [f"{x:g}," + ",".join(f"{run.series[k][i]:.6g}" for k in keys) for i, x in enumerate(run.axis)]
    path.write_text("\n".join(rows) + "\n")


def _diverged_at_once(shared_curves, problem: str, k: int) -> list:
    """``k`` DeepOBS runs of ``problem`` (other lrs) whose validation loss is NaN from epoch 1: their one finite
    value, the loss at initialization, is one value for all."""
    runs = runs_by_name(shared_curves / DEEPOBS)
    out = [r for name, r in sorted(runs.items()) if name.startswith(problem + "/")
           and np.isfinite(r.series["val_loss"]).sum() == 1 and len(r) > 5]
    assert len(out) >= k and len({float(np.float32(r.series["val_loss"][0])) for r in out[:k]}) == 1
    return out[:k]


# ---- D1: a folder's runs are dropped only when one is another's copy, and said -------------------------------
def test_runs_that_diverged_at_once_with_one_shared_first_value_are_all_read(shared_curves, tmp_path):
    # 19 of 300 runs vanished from `diagnose runs300 --json` with nothing on stderr: the finite values of the
    # diagnosed series (one epoch-0 value) matched, and the later runs were taken for copies of the first.
    diverged = _diverged_at_once(shared_curves, "cifar10_3c3d", 4)
    for i, run in enumerate(diverged):
        _write_csv(run, tmp_path / f"deepobs_{i:03d}.csv")
    assert len(losslens.read(tmp_path)) == 4
    res = _losslens("diagnose", tmp_path, "--json")
    objs = _objects(res.stdout)
    assert res.returncode == 0 and len(objs) == 4, res.stderr
    assert {o["verdict"] for o in objs} == {"diverged"} and "read once" not in res.stderr


def test_a_run_logged_by_two_loggers_is_read_once_and_said(tmp_path):
    # Lightning's CSVLogger and TensorBoardLogger log each fit twice (csv/version_N, tb/version_N): one run each,
    # still, now with a line naming both files on stderr and in the kept run's notes.
    folder = tmp_path / "two"
    shutil.copytree(ECO / "lightning_two_loggers", folder)
    res = _losslens("diagnose", folder, "--json")
    objs = _objects(res.stdout)
    assert res.returncode == 0 and len(objs) == 2, res.stderr
    said = [line for line in res.stderr.splitlines() if "read once" in line]
    assert len(said) == 2 and all(" the same values as " in line and "metrics.csv" in line for line in said), said
    for o in objs:
        assert sum("the same values as" in n and "read once" in n for n in o["notes"]) == 1, o["notes"]


def test_a_copy_with_one_value_changed_is_another_run(tmp_path):
    # Only the validation loss was compared: a run whose training loss differs at one epoch read as a copy.
    lines = (EXAMPLES / "keras_csvlogger.csv").read_text().splitlines()
    (tmp_path / "a.csv").write_text("\n".join(lines) + "\n")
    header = lines[0].split(",")
    row = lines[20].split(",")
    col = header.index("loss")
    row[col] = f"{float(row[col]) * 1.01:.6g}"
    (tmp_path / "b.csv").write_text("\n".join(lines[:20] + [",".join(row)] + lines[21:]) + "\n")
    (tmp_path / "c.csv").write_text("\n".join(lines) + "\n")  # a true copy: read once
    runs = losslens.read(tmp_path)
    assert sorted(Path(r.source).name for r in runs) == ["a.csv", "b.csv"]
    assert any("c.csv: the same values as" in n for n in runs[0].meta["notes"])


# ---- D2: plateau_epoch is null where the curve has not plateaued ------------------------------------------------
NANO = ["track_1_short/2024-10-09_SOAP/5bdc3988-496c-4232-b4ef-53764cb81c92",
        "track_1_short/2024-10-10_Muon/eb5659d0-fb6a-49e5-a311-f1f89412f726"]


def test_a_still_improving_run_has_no_plateau_epoch_but_says_where_it_slowed(shared_curves):
    # modded-nanoGPT's validation loss, still_improving at t = -19: its JSON said plateau_epoch 1375 with
    # interval [1375, 1375] and the table "still improving | step 1250", against the documented contract.
    runs = runs_by_name(shared_curves / "modded_nanogpt_val_curves.csv")
    for name in NANO:
        d = losslens.diagnose(runs[name])
        assert d.verdict in ("still_improving", "lr_too_low")
        obj = json.loads(d.to_json())
        assert obj["plateau_epoch"] is None and obj["plateau"] is None, obj["plateau"]
        assert not any(p["name"] == "plateau" for p in obj["phases"])
        # where it flattened is kept under its own key (what the diagnosis benchmark scores as its X)
        assert obj["slowdown_epoch"] is not None and d.slowdown_epoch == obj["slowdown_epoch"]
        assert runs[name].axis[0] < obj["slowdown_epoch"] < runs[name].axis[-1]


def test_the_api_slowdown_epoch_is_the_jsons_value_an_int_on_a_whole_step(shared_curves):
    # As plateau_epoch: the API said 1250.0 where the JSON and the text write 1250 (the CSV's steps read as floats).
    runs = runs_by_name(shared_curves / "modded_nanogpt_val_curves.csv")
    for name in NANO:
        d = losslens.diagnose(runs[name])
        x = json.loads(d.to_json())["slowdown_epoch"]
        assert isinstance(x, int) and type(d.slowdown_epoch) is int and d.slowdown_epoch == x, (d.slowdown_epoch, x)


def test_flattened_is_the_plateau_else_the_slowdown_and_the_headline_says_it(shared_curves):
    # The one place "plateau, else where a still-falling curve slowed" is picked, which the headline, X's
    # uncertainty, verify's from-the-plateau check and the integrations read: on modded-nanoGPT's runs, both kinds.
    runs = runs_by_name(shared_curves / "modded_nanogpt_val_curves.csv")
    kinds = set()
    for name in sorted(runs)[:12]:
        d = losslens.diagnose(runs[name])
        obj = json.loads(d.to_json())
        x = obj["plateau_epoch"] if obj["plateau_epoch"] is not None else obj["slowdown_epoch"]
        assert d.flattened_epoch == x and (x is None or type(d.flattened_epoch) is int), (name, d.flattened_epoch, x)
        assert d.flattened is (d.plateau if d.plateau is not None else d.slowdown)
        if x is not None:
            kinds.add("plateau" if d.plateau is not None else "slowdown")
            said = "plateau at" if d.plateau is not None else "flattened at"
            assert f"{said} step {x} " in str(d).splitlines()[0], str(d).splitlines()[0]
    assert kinds == {"plateau", "slowdown"}, kinds


def test_the_phases_agree_with_x_in_every_verdict_on_a_folder(shared_curves, tmp_path):
    # A converged run's plateau phase starts at X, or where its advice says the curve is flat (flat_from);
    # a still-falling verdict has none; every other verdict's X is null or has its plateau phase from X.
    runs = runs_by_name(shared_curves / "modded_nanogpt_val_curves.csv")
    for i, name in enumerate(sorted(runs)[:12]):
        _write_csv(runs[name], tmp_path / f"nano_{i:02d}.csv")
    res = _losslens("diagnose", tmp_path, "--json")
    objs = _objects(res.stdout)
    assert res.returncode == 0 and len(objs) == 12
    for o in objs:
        plateau = [p for p in o["phases"] if p["name"] == "plateau"]
        if o["verdict"] in ("still_improving", "lr_too_low"):
            assert o["plateau_epoch"] is None and not plateau, o
        elif o["verdict"] == "converged" and plateau:
            assert plateau[0]["start"] in (o["plateau_epoch"], o["causes"][0]["numbers"].get("flat_from")), o
        if o["verdict"] != "still_improving" and o["verdict"] != "lr_too_low":
            assert o["slowdown_epoch"] is None
    # The text's table says no X for them either ("still improving | step 1250").
    rows = [line.split("\u2502") for line in _losslens("diagnose", tmp_path).stdout.splitlines()
            if "\u2502" in line and ("still improving" in line or "too low" in line)]
    assert rows and all(cells[3].strip() == "\u2014" for cells in rows), rows


# ---- D3: --horizon inside one file's run: the diagnosis without a forecast, as in a folder ---------------------
def test_a_horizon_inside_one_files_run_gives_its_diagnosis_without_a_forecast():
    path = ECO / "deepobs_blowup" / "adam_lr0.001.csv"
    res = _losslens("diagnose", path, "--horizon", 50, "--json")
    [obj] = _objects(res.stdout)
    assert res.returncode == 0 and obj["forecast"] is None and obj["verdict"] == losslens.diagnose(path).verdict
    err = res.stderr.strip()
    assert "\n" not in err and str(path) in err and "horizon 50 is not after" in err and "no forecast for this run" in err
    # A horizon no run can have is still bad input, one line, exit 2.
    res = _losslens("diagnose", path, "--horizon", "inf", "--json")
    assert res.returncode == 2 and not res.stdout and res.stderr.strip().count("\n") == 0


# ---- D4: forecast --json gives every run an object ---------------------------------------------------------------
def test_forecast_json_gives_a_run_that_diverged_at_once_its_withheld_object(tmp_path):
    res = _losslens("forecast", ECO / "deepobs_blowup", "--json")
    objs = {o["run"]: o for o in _objects(res.stdout)}
    assert res.returncode == 0 and len(objs) == 4, res.stderr
    assert objs["adam_lr63.1"]["withheld"] == "diverged" and objs["adam_lr63.1"]["p_improve"] is None
    assert "skipped" not in res.stderr
    # One such run alone, and a folder of them only: objects, exit 0 (diagnose calls them diverged, no bad input).
    res = _losslens("forecast", ECO / "deepobs_blowup" / "adam_lr63.1.csv", "--json")
    assert res.returncode == 0 and [o["withheld"] for o in _objects(res.stdout)] == ["diverged"], res.stderr


def test_a_withheld_forecast_goes_to_twice_the_runs_logged_length(shared_curves, tmp_path):
    # A 351-epoch DeepOBS run, NaN from epoch 1: "forecast to epoch 2" (twice its one finite point), inside the run;
    # the documented default is twice the logged length.
    runs = _diverged_at_once(shared_curves, "cifar100_allcnnc", 2)
    for i, run in enumerate(runs):
        _write_csv(run, tmp_path / f"allcnnc_{i}.csv")
    res = _losslens("forecast", tmp_path, "--json")
    objs = _objects(res.stdout)
    assert res.returncode == 0 and len(objs) == 2, res.stderr
    for o, run in zip(objs, runs):
        assert o["withheld"] == "diverged" and o["horizon"] == 2 * (run.axis[-1] - run.axis[0]) + run.axis[0]


# ---- D5: a stdout that cannot encode the reports' characters ------------------------------------------------------
@pytest.mark.parametrize("path", [ECO / "keras_vae" / "beta1.log", ECO / "deepobs_blowup"])
def test_an_ascii_stdout_gets_the_report_in_ascii(path):
    # PYTHONIOENCODING=ascii (a CI job's locale): "internal error (UnicodeEncodeError '\u2014' ...)", exit 3 -- one
    # run's report, and a folder's table.
    res = _losslens("diagnose", path, PYTHONIOENCODING="ascii")
    assert res.returncode == 0 and "internal error" not in res.stderr, res.stderr
    assert res.stdout.isascii() and res.stdout.strip()
    if path.is_file():
        assert res.stdout.startswith("beta1: converged - plateau at epoch")
        assert "\n  -> stop at epoch" in res.stdout
    else:
        # (the table's columns stay aligned: "\u2014" in a cell is one character)
        rows = [line for line in res.stdout.splitlines() if line.startswith("| adam_lr")]
        assert len(rows) == 4 and len({len(r) for r in rows}) == 1, rows
