"""The `losslens diagnose` command as a user meets it: output, JSON, exit codes, one-line errors."""

import csv
import inspect
import json
import os
import re
from pathlib import Path
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import ARTICLE
import losslens
from losslens.cli import app
from torch_loops import linear_regression_run

runner = CliRunner()


@pytest.fixture
def keras_csv(tmp_path):
    """A Keras CSVLogger file made from the article's recorded 64-128-64 history."""
    hist = json.loads((ARTICLE / "exp1_complex.json").read_text())["history"]
    lines = ["epoch,loss,val_loss"] + [f"{i},{a},{b}" for i, (a, b) in enumerate(zip(hist["loss"], hist["val_loss"]))]
    path = tmp_path / "training.log"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_text_output_has_verdict_and_x_first_then_evidence_and_actions(keras_csv):
    res = runner.invoke(app, ["diagnose", str(keras_csv)])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert "converged" in lines[0] and "plateau at epoch" in lines[0]
    assert any(line.strip().startswith("- ") for line in lines[1:])
    assert "what to do:" in res.output


def test_json_lines_follow_the_schema(keras_csv, tmp_path):
    other = tmp_path / "second.csv"
    other.write_text(keras_csv.read_text())
    res = runner.invoke(app, ["diagnose", str(keras_csv), str(other), "--json"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.output.splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert row["schema"] == "losslens.diagnosis/1"
        assert row["verdict"] == "converged" and row["axis"] == "epoch" and row["length"] == 50
        assert row["metric"] == "val_loss"
        assert row["plateau_epoch"] == row["plateau"]["epoch"]
        lo, hi = row["plateau"]["interval"]
        assert lo <= row["plateau_epoch"] <= hi
        cause = row["causes"][0]
        assert cause["id"] == row["verdict"] and 0 < cause["confidence"] <= 1
        assert cause["evidence"] and cause["actions"]



def test_json_phases_name_no_plateau_where_plateau_is_null():
    """Real logs still falling at their end (a Lightning CSVLogger run of 4 epochs, a PyTorch loop's CSV at epoch 59:
    still_improving, no X): their --json gave ``"plateau": null`` beside a phase named "plateau" from the smooth's
    95% point. There the stretch is the slow descent still under way; the phases still cover the run."""
    fixtures = Path(__file__).resolve().parent / "fixtures"
    res = runner.invoke(app, ["diagnose", str(fixtures / "logs" / "lightning" / "version_0" / "metrics.csv"),
                              str(fixtures / "ecosystem" / "torch_rlrop_high_lr" / "cf_adam.csv"), "--json"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert row["plateau"] is None and row["plateau_epoch"] is None and row["verdict"] == "still_improving"
        names = [p["name"] for p in row["phases"]]
        assert "plateau" not in names and names[-1] == "slow_descent", names
        assert row["phases"][0]["start"] == 0 and row["phases"][-1]["end"] == row["length"] - 1

def test_several_runs_print_a_summary_table(shared_curves):
    path = shared_curves / "hf_trainer_state_logs.csv"
    res = runner.invoke(app, ["diagnose", str(path)])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("3 runs\n") and "verdict" in res.output
    # One row per run of the file, in its order, whose verdict is the one its own section below gives.
    with open(path, newline="") as fh:
        names = list(dict.fromkeys(r["run_id"] for r in csv.DictReader(fh)))
    [head] = [[c.strip() for c in ln.split("┃")[1:-1]] for ln in res.output.splitlines() if ln.startswith("┃")]
    rows = [[c.strip() for c in ln.split("│")[1:-1]] for ln in res.output.splitlines() if ln.startswith("│")]
    assert [r[0] for r in rows] == names
    for row in rows:
        name, verdict = row[0], row[head.index("verdict")]
        assert f"\n{name}: {verdict} — " in res.output and verdict in losslens.CAUSES


def test_fail_on_exits_1_only_when_the_verdict_matches(keras_csv):
    assert runner.invoke(app, ["diagnose", str(keras_csv), "--fail-on", "converged"]).exit_code == 1
    assert runner.invoke(app, ["diagnose", str(keras_csv), "--fail-on", "overfitting"]).exit_code == 0
    res = runner.invoke(app, ["diagnose", str(keras_csv), "--fail-on", "bogus"])
    assert res.exit_code == 2 and res.output.startswith("losslens: --fail-on: unknown cause 'bogus'; choose from ")
    assert len(res.output.strip().splitlines()) == 1


def test_fail_on_takes_several_causes_and_names_the_run_that_matched(keras_csv):
    res = runner.invoke(app, ["diagnose", str(keras_csv), "--fail-on", "overfitting,converged", "--json"])
    assert res.exit_code == 1
    assert f"--fail-on: {keras_csv} (" in res.output and ") is converged" in res.output
    assert runner.invoke(app, ["diagnose", str(keras_csv), "--fail-on", "diverged", "--fail-on", "converged"]).exit_code == 1
    assert runner.invoke(app, ["diagnose", str(keras_csv), "--fail-on", "overfitting, diverged"]).exit_code == 0
    # The space-separated form hands the second cause to the paths: one line saying how to write it.
    res = runner.invoke(app, ["diagnose", str(keras_csv), "--fail-on", "overfitting", "diverged"])
    assert res.exit_code == 2
    assert "--fail-on diverged,overfitting" in res.output and len(res.output.strip().splitlines()) == 1


def test_metric_and_classes_options(tmp_path):
    hist = json.loads((ARTICLE / "exp2_random_images.json").read_text())["history"]
    path = tmp_path / "history.json"
    path.write_text(json.dumps(hist))
    res = runner.invoke(app, ["diagnose", str(path), "--classes", "5", "--json"])
    row = json.loads(res.output)
    assert row["verdict"] == "no_signal"
    res = runner.invoke(app, ["diagnose", str(path), "--metric", "loss", "--json"])
    assert json.loads(res.output)["metric"] == "train_loss"



def test_diagnose_writes_the_metric_as_the_user_named_it():
    """``--metric val_accuracy`` on a Keras CSVLogger log (its column is val_accuracy): the text said val_acc,
    the key it is read under, in the headline and in the action "early stopping on val_acc" (Keras'
    EarlyStopping(monitor="val_acc") finds no such metric). The JSON keeps the key."""
    path = str(Path(losslens.__file__).parent / "examples" / "keras_csvlogger.csv")
    text = runner.invoke(app, ["diagnose", path, "--metric", "val_accuracy"]).output
    assert text.splitlines()[0].endswith(", val_accuracy)") and "early stopping on val_accuracy " in text
    assert not re.search(r"\bval_acc\b", text)
    assert json.loads(runner.invoke(app, ["diagnose", path, "--metric", "val_accuracy", "--json"]).output)["metric"] \
        == "val_acc"
    assert "early stopping on val_acc " in runner.invoke(app, ["diagnose", path, "--metric", "val_acc"]).output

BAD_INPUTS = {
    "empty.csv": (b"", "empty"),
    "noloss.csv": (b"epoch,foo\n0,1\n1,2\n", "loss"),
    "allempty.csv": (b"epoch,loss\n0,\n1,\n2,\n", "loss"),  # (spelled nan, the run diverged: exit 0)
    "broken.json": (b'{"loss": [1.0, 0.5', "JSON"),
    "junk.bin": (bytes(range(256)) * 4, ""),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_naming_the_file_exit_2(tmp_path, name):
    content, word = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_bytes(content)
    proc = subprocess.run([sys.executable, "-m", "losslens", "diagnose", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr + proc.stdout
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and name in err and "Traceback" not in err
    assert word.lower() in err.lower()
    assert path.read_bytes() == content  # input files are only ever read


def test_missing_file_is_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "losslens", "diagnose", str(tmp_path / "nope.csv")],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "nope.csv" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_import_and_diagnose_import_no_framework(keras_csv):
    code = ("import sys, losslens; losslens.diagnose(sys.argv[1]); "
            "heavy = [m for m in ('torch', 'keras', 'tensorflow', 'lightning', 'transformers', 'pandas', 'mlflow') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code, str(keras_csv)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_python_api_accepts_history_dict_dataframe_and_run():
    pd = pytest.importorskip("pandas")
    import losslens
    hist = json.loads((ARTICLE / "exp1_complex.json").read_text())["history"]
    a = losslens.diagnose(hist)
    b = losslens.diagnose(pd.DataFrame(hist))
    c = losslens.diagnose(losslens.Run.from_history(hist))
    assert a.verdict == b.verdict == c.verdict == "converged"
    assert a.plateau_epoch == b.plateau_epoch == c.plateau_epoch


def test_a_directory_says_which_files_it_passed_over(keras_csv, tmp_path):
    (tmp_path / "notes.csv").write_text("x,y\n1,2\n")
    proc = subprocess.run([sys.executable, "-m", "losslens", "diagnose", str(tmp_path), "--json"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 1  # the one training log
    assert "passed over 1 file" in proc.stderr and "notes.csv" in proc.stderr



KERAS_LOG = Path(__file__).parent / "fixtures" / "logs" / "keras_rlrop.csv"  # Keras CSVLogger, 60 epochs


@pytest.mark.parametrize("command", [["diagnose"], ["diagnose", "--json"], ["forecast", "--json"]],
                         ids=["diagnose", "diagnose_json", "forecast_json"])
def test_a_pipe_closed_early_ends_quietly_with_141(tmp_path, command):
    # `losslens diagnose runs | head -1`: the reader goes after one line. Exit 1 would say a --fail-on cause
    # matched (set -o pipefail in CI); a shell tool killed by SIGPIPE reports 141 (128 + 13), quietly.
    fcntl = pytest.importorskip("fcntl")
    if not hasattr(fcntl, "F_SETPIPE_SZ"):
        pytest.skip("needs Linux's F_SETPIPE_SZ")
    paths = []
    for i in range(60):  # (60 runs: the text's table alone is twice the pipe's 4 KiB; the JSON 100 times)
        paths.append(tmp_path / f"run{i:02d}.csv")
        paths[-1].write_bytes(KERAS_LOG.read_bytes())
    read, write = os.pipe()
    # (the smallest pipe, a page: what is left to write after one line is read cannot all fit in it, so the
    # writer meets the closed pipe whatever the timing)
    fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 4096)
    proc = subprocess.Popen([sys.executable, "-m", "losslens", *command, *map(str, paths)], stdout=write,
                            stderr=subprocess.PIPE)
    os.close(write)
    line = b""
    while not line.endswith(b"\n"):
        ch = os.read(read, 1)
        assert ch, "no line before the end"
        line += ch
    os.close(read)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141, (proc.returncode, err.decode())
    assert err.decode().strip() == "", err.decode()


# ---- losslens verify ---------------------------------------------------------------------------
EXAMPLE_TRAIN = Path(losslens.__file__).parent / "examples" / "verify_train.py"


def test_verify_retrains_the_example_and_confirms_lr_too_low(one_torch_thread):
    pytest.importorskip("torch")
    res = runner.invoke(app, ["verify", f"{EXAMPLE_TRAIN}:train", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["verdict"] == "lr_too_low" and out["confirmed"] is True
    check = next(c for c in out["checks"] if c["cause"] == "lr_too_low")
    assert check["change"] == {"lr_factor": 10.0} and check["holds"] and check["change_rel"] < -0.5


def test_verify_says_in_one_line_what_is_wrong_with_the_target(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def train(lr_factor=1.0):\n    raise RuntimeError('CUDA out of memory')\n")
    syntax = tmp_path / "syntax.py"
    syntax.write_text("def train(:\n")
    cases = [
        ([f"{tmp_path / 'missing.py'}:train"], "no such file"),
        ([f"{broken}:fit"], "has no function 'fit' (it defines train)"),
        ([f"{broken}:__name__"], "'__name__' in " + str(broken) + " is not a function (its type: str)"),
        ([f"{broken}"], f"{broken}: name the training function, e.g. losslens verify {broken}:train "
                        "(functions here: train)"),
        ([f"{tmp_path / 'missing.py'}"], "expected FILE.py:FUNCTION"),
        ([f"{syntax}:train"], "could not import it: SyntaxError"),
        ([f"{broken}:train"], "training raised RuntimeError: CUDA out of memory"),
        ([f"{broken}:train", "--seeds", "0,one"], "expected comma-separated integers"),
        ([f"{broken}:train", "--seeds", "0,1"], "needs train() to take a `seed` keyword"),
    ]
    for args, message in cases:
        res = runner.invoke(app, ["verify", *args])
        assert res.exit_code == 2, (args, res.output)
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and message in lines[0], (args, res.stderr)


def test_verify_without_a_function_names_the_file_s_training_functions_without_running_it(tmp_path):
    # A script as users write one: helpers, the training function, and training started at the top level.
    # verify must read its functions off the source (ast), never run it: importing would train (here: write a file).
    ran = tmp_path / "ran"
    script = tmp_path / "x.py"
    script.write_text(f"""import pathlib

def make_model(width=64):
    return width

def load_data(path, seed=0):
    return path

def _private(lr_factor=1.0):
    pass

def train(lr_factor=1.0, epochs_factor=1.0):
    return {{"loss": [1.0, 0.5]}}

class Trainer:
    def fit(self, lr_factor=1.0):
        pass

pathlib.Path({str(ran)!r}).write_text("trained")
""")
    res = runner.invoke(app, ["verify", str(script)])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    # the training-like ones (taking a keyword verify varies, seed included) first, in the file's order
    assert lines == [f"losslens: {script}: name the training function, e.g. losslens verify {script}:load_data "
                     "(functions here: load_data, train, make_model)"], res.stderr
    assert not ran.exists()
    # none that takes verify's keywords: said, and the example is a function that is there
    plain = tmp_path / "plain.py"
    plain.write_text("def fit(x):\n    return x\n")
    res = runner.invoke(app, ["verify", str(plain)])
    assert res.exit_code == 2 and f"{plain}:fit (functions here: fit; none takes a keyword verify varies" in res.stderr
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    res = runner.invoke(app, ["verify", str(empty)])
    assert res.exit_code == 2 and "defines no function" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_verify_exits_1_when_a_named_cause_s_prediction_fails(one_torch_thread, tmp_path):
    pytest.importorskip("torch")
    fig = Path(tmp_path) / "verify.png"
    res = runner.invoke(app, ["verify", f"{EXAMPLE_TRAIN}:train", "--cause", "converged", "--plot", str(fig)])
    assert res.exit_code == 1, res.output
    assert "✗ converged — twice the epochs" in res.stdout and "from epoch" in res.stdout
    assert fig.stat().st_size > 10_000 and f"wrote {fig}" in res.stdout


# A user's own train.py, as a newcomer writes it: a tiny PyTorch regression, SGD at lr 0.05 x lr_factor
# (the loop of tests/torch_loops.py, pasted in: verify imports the script from its file).
USER_TRAIN = "import torch\n\n\n" + inspect.getsource(linear_regression_run) + """

def fit(lr, epochs, seed=0, missing_value=False):
    def corrupt(epoch, x, opt):
        if missing_value and epoch == 0:  # a NaN in the inputs: every loss is NaN
            x[0, 0] = float("nan")
    return linear_regression_run(lr, epochs, seed=seed, before_epoch=corrupt)
"""


def test_verify_tells_the_user_s_code_from_losslens_s_in_one_line(tmp_path, one_torch_thread):
    pytest.importorskip("torch")
    called = tmp_path / "called"
    scripts = {
        # a positional parameter verify never passes
        "positional": "def train(lr):\n    return fit(lr, 20)\n",
        # a bug inside the user's code (a TypeError, not a wrong signature)
        "bug": "def train(lr_factor=1.0):\n    return fit('0.05' * lr_factor, 20)\n",
        "exits": "import sys\ndef train(lr_factor=1.0):\n    sys.exit(3)\n",
        "nan": "def train(lr_factor=1.0):\n    return fit(0.05 * lr_factor, 10, missing_value=True)\n",
        "short": "def train(lr_factor=1.0):\n    return fit(0.05 * lr_factor, 2)\n",
        "argparse_required": "import argparse\np = argparse.ArgumentParser()\np.add_argument('--data', required=True)\n"
                             "args = p.parse_args()\ndef train(lr_factor=1.0):\n    return fit(0.05, 20)\n",
        "nokeywords": "def train(seed=0):\n    return fit(0.05, 20, seed)\n",
        "nokw_named": "def train_nokw(seed=0):\n    return fit(0.05, 20, seed)\n",  # named in the line, not "train"
        "writes": f"def train(lr_factor=1.0):\n    open({str(called)!r}, 'w').close()\n    return fit(0.05, 20)\n",
    }
    for name, body in scripts.items():
        (tmp_path / f"{name}.py").write_text(USER_TRAIN + body)
    cases = [
        (["positional.py:train"], "train() requires 'lr' (no default), which verify never passes"),
        (["bug.py:train"], "training raised TypeError"),
        (["exits.py:train"], "training called sys.exit(3)"),
        (["nan.py:train"], "train() returned a run losslens cannot read: every value of train_loss, val_loss is NaN or "
                           "inf from its first epoch on"),  # not "no numeric columns": they are numbers
        (["short.py:train"], "train() returned a run losslens cannot diagnose: only 2 value(s)"),
        (["argparse_required.py:train"], "importing it exited (sys.exit(2): "),
        (["nokeywords.py:train"], "nokeywords.py:train: train() takes none of the keywords verify changes"),
        (["nokw_named.py:train_nokw"], "nokw_named.py:train_nokw: train_nokw() takes none of the keywords verify"),
        (["writes.py:train", "--plot", str(tmp_path / "no_dir" / "v.png")], "no such directory"),
        (["writes.py:train", "--classes", "1"], "--classes"),
    ]
    for args, message in cases:
        res = runner.invoke(app, ["verify", str(tmp_path / args[0]), *args[1:]])
        assert res.exit_code == 2, (args, res.output)
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert lines and message in res.stderr and "Traceback" not in res.output, (args, res.stderr)
        assert len(lines) == 1, (args, res.stderr)  # typer's own usage error for --classes 1 too (it was four)
        # training was never blamed for what losslens could not read, nor the reverse
        assert ("training raised" in lines[0]) == (args[0] == "bug.py:train"), (args, lines)
    assert not called.exists()  # the bad --plot and --classes were refused before any training


def test_verify_imports_a_script_that_parses_its_own_arguments(tmp_path, one_torch_thread):
    """`args = parser.parse_args()` at the top of train.py sees `train.py`'s command line, not losslens's."""
    pytest.importorskip("torch")
    script = tmp_path / "train.py"
    script.write_text(USER_TRAIN + "import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', default=0.05)\n"
                      "args = p.parse_args()\n\ndef train(lr_factor=1.0, epochs_factor=1.0):\n"
                      "    return fit(float(args.lr) * lr_factor, round(30 * epochs_factor))\n")
    res = runner.invoke(app, ["verify", f"{script}:train", "--json"])
    assert res.exit_code in (0, 1), res.output
    assert json.loads(res.stdout)["checks"]


def test_verify_json_is_one_object_however_much_the_training_prints(tmp_path, one_torch_thread):
    """A loop that prints each epoch (or Keras's progress bar at its default verbose) wrote into --json's
    stdout: `losslens verify train.py:train --json | jq` failed on "Expecting value". What the training and
    its import print goes to stderr; stdout is the one object."""
    pytest.importorskip("torch")
    script = tmp_path / "train.py"
    script.write_text(USER_TRAIN + "print('loading the data')\n\n"
                      "def train(lr_factor=1.0, epochs_factor=1.0):\n"
                      "    history = fit(0.05 * lr_factor, round(30 * epochs_factor))\n"
                      "    for epoch, v in enumerate(history['val_loss']):\n"
                      "        print(f'epoch {epoch}: val_loss {v:.4f}')\n"
                      "    return history\n")
    res = runner.invoke(app, ["verify", f"{script}:train", "--json"])
    assert res.exit_code in (0, 1), res.output
    out = json.loads(res.stdout)
    assert out["schema"] == "losslens.verification/1" and out["checks"]
    assert "loading the data" in res.stderr and "epoch 29: val_loss" in res.stderr
    # without --json the prints stay where the user put them
    res = runner.invoke(app, ["verify", f"{script}:train", "--cause", "lr_too_low"])
    assert "epoch 0: val_loss" in res.stdout and "verdict " in res.stdout


def test_verify_exits_2_when_the_checks_asked_for_could_not_run_because_training_failed(tmp_path, one_torch_thread):
    """A train() that trains the baseline but raises on twice the epochs (out of memory, no data for more)
    ended "verdict ...: not checked" with exit 0, a pass to a script. Exit 2, the report's last line naming the cause
    and the error (a result, as compare's: nothing on stderr). A check it cannot make (no such keyword) stays exit 0."""
    pytest.importorskip("torch")
    script = tmp_path / "train.py"
    script.write_text(USER_TRAIN + "def train(lr_factor=1.0, epochs_factor=1.0):\n"
                      "    if epochs_factor > 1:\n"
                      "        raise MemoryError('no room for 60 epochs')\n"
                      "    return fit(0.05 * lr_factor, 30)\n")
    res = runner.invoke(app, ["verify", f"{script}:train", "--cause", "still_improving"])
    assert res.exit_code == 2, res.output
    assert res.stderr == "", res.stderr
    assert ("verdict still_improving: not checked: each retraining for it failed (train(epochs_factor=2.0) raised "
            "MemoryError: no room for 60 epochs)") in res.stdout.splitlines(), res.stdout
    res = runner.invoke(app, ["verify", f"{script}:train", "--cause", "overfitting"])  # takes no size/data_factor
    assert res.exit_code == 0 and "asked overfitting: not checked" in res.stdout, res.output


def test_verify_compares_with_a_baseline_log_instead_of_retraining_it(tmp_path, one_torch_thread):
    pytest.importorskip("torch")
    import importlib.util

    spec = importlib.util.spec_from_file_location("verify_train", EXAMPLE_TRAIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    log = tmp_path / "base.json"
    log.write_text(json.dumps(module.train()))
    res = runner.invoke(app, ["verify", f"{EXAMPLE_TRAIN}:train", "--baseline", str(log), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["diagnosis"]["run"] == "base" and out["confirmed"] is True
    res = runner.invoke(app, ["verify", f"{EXAMPLE_TRAIN}:train", "--baseline", str(tmp_path / "nope.json")])
    assert res.exit_code == 2 and "nope.json" in res.stderr


@pytest.mark.parametrize("rows, expect", [
    (["0,1.0,1.1"], "only 1 value(s) of val_loss: too short to diagnose"),
    (["0,1.0,1.1", "1,0.8,0.9"], "only 2 value(s) of val_loss: too short to diagnose"),
    (["0,1.0,1.1", "1,nan,nan", "2,nan,nan"], "diverged"),      # one value, then NaN: that is an answer
    (["0,1.0,1.1", "1,0.8,0.9", "2,0.7,0.85"], "still improving"),
    # Both curves every epoch: the validation curve is the one read, however short (it was the
    # training curve's "still improving"); validation gained 0.2, 0.05, 0.01.
    # (4 points, under the 5 a forecast needs: no surer than a possibility, diagnosis._short_run.)
    (["0,1.0,1.1", "1,0.8,0.9", "2,0.7,0.85", "3,0.6,0.84"], "converged — plateau at epoch 2 [2, 3] "
                                                              "(confidence 58%, val_loss)"),
])
def test_a_log_of_one_or_two_epochs_is_too_short_not_stuck(tmp_path, rows, expect):
    """One epoch used to read 'stuck at initialization' and two 'converged -- no plateau'."""
    path = tmp_path / "short.csv"
    path.write_text("epoch,loss,val_loss\n" + "\n".join(rows) + "\n")
    res = runner.invoke(app, ["diagnose", str(path)])
    assert expect in res.output
    if "too short" in expect:
        assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1
    else:
        assert res.exit_code == 0


@pytest.fixture(scope="module")
def r2_log(tmp_path_factory):
    """A real torch run (linear regression, plain SGD at a small step) logging scikit-learn's
    validation R² each epoch: a score that rises from about -0.1 and flattens near 0.9."""
    torch = pytest.importorskip("torch")
    from sklearn.datasets import make_regression
    from sklearn.metrics import r2_score

    x, y = make_regression(n_samples=600, n_features=8, noise=20.0, random_state=0)
    x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y / y.std(), dtype=torch.float32)[:, None]
    torch.manual_seed(0)
    model = torch.nn.Linear(8, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.003)
    rows = ["epoch,loss,val_r2"]
    for epoch in range(40):
        for i in range(0, 400, 20):
            opt.zero_grad()
            loss = ((model(x[i:i + 20]) - y[i:i + 20]) ** 2).mean()
            loss.backward()
            opt.step()
        with torch.no_grad():
            rows.append(f"{epoch},{loss.item():.6f},{r2_score(y[400:], model(x[400:])):.6f}")
    path = tmp_path_factory.mktemp("r2") / "r2.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_rising_score_is_read_as_a_score_not_a_divergence(r2_log, tmp_path):
    """R² is a score; it was read as a loss that "diverged" (it ended far above its start). A
    column whose name says nothing is read as a loss and the evidence says so;
    --higher-is-better reads it right."""
    r2 = [float(line.split(",")[2]) for line in r2_log.read_text().splitlines()[1:]]
    assert r2[0] < 0.3 and r2[-1] > 0.8   # the run did learn
    res = runner.invoke(app, ["diagnose", str(r2_log), "--metric", "val_r2"])
    assert res.exit_code == 0 and "diverged" not in res.output.splitlines()[0]
    assert "(confidence" in res.output and "read as a loss" not in res.output
    renamed = tmp_path / "quality.csv"
    renamed.write_text(r2_log.read_text().replace("val_r2", "quality"))
    guessed = runner.invoke(app, ["diagnose", str(renamed), "--metric", "quality"]).output
    assert "quality read as a loss (lower is better): its name does not say" in guessed
    told = runner.invoke(app, ["diagnose", str(renamed), "--metric", "quality", "--higher-is-better"]).output
    assert guessed.splitlines()[0] != told.splitlines()[0]
    assert told.splitlines()[0] == res.output.splitlines()[0].replace("r2:", "quality:").replace("val_r2", "quality")
    out = json.loads(runner.invoke(app, ["forecast", str(r2_log), "--metric", "val_r2", "--json"]).output)
    assert out["value"] <= 1.0 and out["interval"][1] <= 1.0     # a fraction's ceiling
    text = runner.invoke(app, ["forecast", str(renamed), "--metric", "quality", "--higher-is-better"]).output
    assert "P(1 - quality > 1% lower)" in text


@pytest.mark.parametrize("name, direction", [
    ("val_loss", False), ("val_accuracy", True), ("val_r2", True), ("rollout/ep_rew_mean", True),
    ("eval/mean_reward", True), ("val_dice_coef", True), ("metrics/mAP50(B)", True), ("top1_err", False),
    ("fid_score", False), ("val_ppl", False), ("hits@10", True), ("val_mean_absolute_error", False),
    ("quality", None), ("psnr", True), ("wer", False), ("test_neg_mean_squared_error", True),
    ("neg_log_loss", True), ("Negative log loss", True), ("negative_sampling_loss", False),
    ("val_elbo", True), ("log_likelihood", True), ("negative_log_likelihood", False), ("eval_bpb", False),
    ("val_kl", False),
])
def test_the_direction_of_a_metric_from_its_name(name, direction):
    from losslens.facts import metric_direction

    assert metric_direction(name) is direction


def test_a_printed_log_piped_in_is_read_from_stdin():
    """python train.py | losslens diagnose -: the nanoGPT print fixture through standard input reads
    as the file does; nothing piped in is one line."""
    log = (Path(__file__).parent / "fixtures" / "logs" / "printed_nanogpt.txt").read_text()
    res = runner.invoke(app, ["diagnose", "-", "--json"], input=log)
    assert res.exit_code == 0, res.output
    piped = json.loads(res.stdout)
    from_file = losslens.diagnose(Path(__file__).parent / "fixtures" / "logs" / "printed_nanogpt.txt").to_dict()
    assert piped["source"] == "<stdin>" and piped["run"] == "stdin"
    assert (piped["verdict"], piped["plateau_epoch"], piped["metric"]) == \
        (from_file["verdict"], from_file["plateau_epoch"], from_file["metric"])
    res = runner.invoke(app, ["diagnose", "-"], input="")
    assert res.exit_code == 2 and res.stderr.strip() == "losslens: <stdin>: empty file"


def test_a_store_read_through_another_name_is_said_as_typed(tmp_path, caplog):
    """stdin is read through a temporary file and an mlflow.db through the sqlite:/// URI made of it: a TensorBoard
    event file cut mid-record piped in was said as "losslens: /tmp/tmpk3x/stdin: ..." (its warning and its error),
    and the database's runs carried the URI ("source": "sqlite:////abs/path/mlflow.db#run=...")."""
    import lzma

    fixtures = Path(__file__).parent / "fixtures"
    event = next((fixtures / "logs" / "keras_tensorboard" / "train").glob("events.out.tfevents.*"))
    res = runner.invoke(app, ["diagnose", "-"], input=event.read_bytes()[:300])
    assert res.exit_code == 2, res.output
    assert res.stderr.strip() == ("losslens: <stdin>: only 1 value(s) of train_loss: too short to diagnose "
                                  "(need 3 epochs or more)")
    warned = [r.getMessage() for r in caplog.records if r.name == "losslens"]
    assert warned == ["losslens: <stdin>: the last record was cut off mid-write (11 bytes at the end): left out"]
    db = tmp_path / "mlflow.db"
    db.write_bytes(lzma.decompress((fixtures / "ecosystem" / "mlflow_manual_loop" / "mlflow.db.xz").read_bytes()))
    res = runner.invoke(app, ["diagnose", str(db), "--json"])
    assert res.exit_code == 0, res.output
    sources = [json.loads(line)["source"] for line in res.stdout.splitlines()]
    assert len(sources) == 3 and all(s.startswith(f"{db}#run=") for s in sources), sources
    for typed, given in ((str(db), None), ("-", db.read_bytes())):
        res = runner.invoke(app, ["diagnose", typed, "--run", "nosuch"], input=given)
        where = "<stdin>" if typed == "-" else typed
        assert res.exit_code == 2 and res.stderr.strip() == f"losslens: {where}: no run with id or name 'nosuch'"


def test_an_accuracy_that_stops_changing_is_not_a_dead_network():
    """The real Keras CSVLogger example read on val_acc: 0.898148 (97 of 108) for its last 42
    epochs — no validation prediction flips any more while the training loss keeps falling 100x.
    That read as a collapsed network (lr_too_high: "constant outputs, zero gradients"); an exact
    repeat means that only for a loss. (Its losses show why it stopped: overfitting, listed beside the accuracy's own
    reading, converged: val_acc 0.9074 smoothed at best, 0.8981 at the end, 1 of its 108 examples.)"""
    path = Path(losslens.__file__).parent / "examples" / "keras_csvlogger.csv"
    d = losslens.diagnose(path, metric="val_acc")
    assert d.verdict == "converged" and "overfitting" in d.cause_ids() and "lr_too_high" not in d.cause_ids()
    assert not any("constant outputs" in e for c in d.causes for e in c.evidence)
    assert d.run.train_loss[-1] < d.run.train_loss[8] / 10


def test_a_loss_frozen_by_a_decayed_learning_rate_is_not_a_dead_network(tmp_path):
    """Keras ReduceLROnPlateau without min_lr (tests/fixtures/logs/keras_rlrop.csv, a real fit):
    the lr falls from 0.5 to 1.6e-11 and val_loss repeats 0.2848727 for the last epochs. That read
    as a collapsed network ("lower the learning rate and restart from scratch") with "what was
    learned was lost" for a 1% rise; the logged lr says the steps went to nothing."""
    path = Path(__file__).parent / "fixtures" / "logs" / "keras_rlrop.csv"
    d = losslens.diagnose(path)
    assert d.verdict == "converged" and "lr_too_high" not in d.cause_ids()
    assert any("learning rate was decayed to 1.6e-11" in e for e in d.cause.evidence)
    assert any("min_lr" in a for a in d.cause.actions)
    # Without the lr column the same frozen loss is all there is to go on: a collapse, said so,
    # but no "what was learned was lost" for a val_loss 1% above its best.
    rows = path.read_text().splitlines()
    header = rows[0].split(",")
    keep = [i for i, h in enumerate(header) if h != "learning_rate"]
    bare = tmp_path / "no_lr.csv"
    bare.write_text("\n".join(",".join(r.split(",")[i] for i in keep) for r in rows) + "\n")
    d = losslens.diagnose(bare)
    assert d.verdict == "lr_too_high" and any("constant outputs" in e for e in d.cause.evidence)
    assert not any("was lost" in e for e in d.cause.evidence)


def test_an_accuracy_read_next_to_its_losses_shows_the_overfitting_they_show(shared_curves):
    """Chollet's IMDB example (the Keras book's overfitting case) read on val_acc: validation
    accuracy only wobbles at its top, which read as lr_too_high; the validation loss rises 271%
    of its improvement from epoch 4 while the training loss falls. Overfitting, as on val_loss."""
    rid = "fchollet/deep-learning-with-python-notebooks:first_edition/3.5-classifying-movie-reviews.ipynb#cell32"
    res = runner.invoke(app, ["diagnose", str(shared_curves / "keras_notebook_curves.csv"), "--run", rid,
                              "--metric", "val_acc"])
    assert res.exit_code == 0
    head, evidence = res.output.splitlines()[:2]
    assert head.startswith(f"{rid}: overfitting") and head.endswith("val_acc)")
    # (led by the score's own fall, 225 of its 10,000 examples; the losses' rise beside it as support)
    assert evidence.startswith("  - val_acc fell from its smoothed best 0.8908 (epoch 3)")
    assert "val_loss reached its minimum 0.2735 at epoch 4" in res.output
    assert "val_acc bounces around its ceiling" in res.output   # the wobble is still said, as another cause


def test_a_score_at_its_ceiling_is_not_a_dead_network(shared_curves):
    """An Ultralytics run's mAP50 sits at exactly 0.995 — the most its 101-point interpolation
    gives — for 279 epochs while the losses keep falling: that read as a collapsed network
    (lr_too_high, "constant outputs, zero gradients"). A score freezing says nothing of the kind."""
    rid = "27hrs/YOLOv8:runs/detect/train/results.csv"
    runs = losslens.read(shared_curves / "yolo_results_curves.csv", run_id=rid)
    d = losslens.diagnose(runs[0], metric="metrics/mAP50(B)")
    assert d.metric == "metrics_map50(b)" and d.verdict == "converged" and "lr_too_high" not in d.cause_ids()
    m = d.run.series["metrics_map50(b)"]
    assert (m[-279:] == 0.995).all() and d.run.train_loss[-1] < d.run.train_loss[-279]


def test_an_accuracy_next_to_losses_that_blew_up_reads_diverged(shared_curves):
    """DeepOBS CIFAR-10 3c3d, Adam at lr 15.8: the training loss ends a million times above its
    start while test accuracy sits at chance. Read on the accuracy alone it was 'stuck at
    initialization'; next to its losses it is what the losses say: diverged."""
    rid = ("cifar10_3c3d/AdamOptimizer/num_epochs__100__batch_size__128__beta1__9.e-01__beta2__9.99e-01__"
           "epsilon__1.e-08__lr__1.5848931925e+01/random_seed__42__2019-02-13-16-25-38")
    [run] = losslens.read(shared_curves / "deepobs_baselines_curves.csv.gz", run_id=rid)
    d = losslens.diagnose(run, metric="val_acc")
    assert d.metric == "val_acc" and d.verdict == "diverged"
    assert d.causes[0].evidence[0].startswith("train_loss ended")


def test_a_run_of_many_without_the_metric_asked_for_is_skipped_not_fatal(shared_curves):
    """Three real trainer_state.json runs; only one logged eval_accuracy. The two others used to
    end the command before the third was read; now each is one line on stderr. When no run has
    the metric, it is one line and exit 2."""
    path = str(shared_curves / "hf_trainer_state_logs.csv")
    res = runner.invoke(app, ["diagnose", path, "--metric", "eval_accuracy", "--json"])
    assert res.exit_code == 0
    [out] = [json.loads(line) for line in res.stdout.splitlines()]
    assert out["run"].startswith("arshiv-web/") and out["metric"] == "val_acc"
    skipped = res.stderr.strip().splitlines()
    assert len(skipped) == 2 and all(s.startswith(f"losslens: skipped {path} [") for s in skipped)
    assert all("no finite values for 'eval_accuracy', read as val_acc" in s for s in skipped)
    res = runner.invoke(app, ["diagnose", path, "--metric", "no_such_metric"])
    assert res.exit_code == 2 and res.stdout == ""
    assert res.stderr.count("\n") == 1 and res.stderr.rstrip().endswith("(and 2 more runs)")


def test_forecast_reads_the_metric_as_the_file_spells_it_and_skips_runs_without_it(shared_curves):
    """The text writes the metric as the user named it (it said val_acc, the key, as diagnose's text did); the
    JSON keeps the key."""
    path = str(shared_curves / "hf_trainer_state_logs.csv")
    res = runner.invoke(app, ["forecast", path, "--metric", "eval_accuracy"])
    assert res.exit_code == 0 and res.stderr.count("losslens: skipped") == 2
    first, change = res.stdout.splitlines()[:2]
    assert first.startswith("arshiv-web/") and ": eval_accuracy at step 19665: " in first   # steps as the log writes
    assert not re.search(r"\bval_acc\b", res.stdout) and "(its error 1 - eval_accuracy " in change, change
    res = runner.invoke(app, ["forecast", path, "--metric", "eval_accuracy", "--json"])
    assert json.loads(res.stdout.splitlines()[0])["metric"] == "val_acc"


def test_files_people_point_at_by_mistake_get_a_line_that_says_what_they_are(tmp_path):
    """A NumPy array or archive, a pickled history and a PyTorch checkpoint, each written by its
    own library: one line naming the file, what it is and what to do, exit 2; the file untouched."""
    import pickle

    import numpy as np

    torch = pytest.importorskip("torch")
    losses = np.array([1.0, 0.6, 0.4, 0.3, 0.25, 0.22, 0.2])
    np.save(tmp_path / "losses.npy", losses)
    np.savez(tmp_path / "hist.npz", train_loss=losses, val_loss=losses + 0.1)
    (tmp_path / "history.pkl").write_bytes(pickle.dumps({"loss": list(losses)}))
    torch.save(torch.nn.Linear(2, 1).state_dict(), tmp_path / "model.pt")
    for name, says in (("losses.npy", "a NumPy array: no name says which curve it is"),
                       ("hist.npz", "losslens.diagnose(dict(np.load(path)))"),
                       ("history.pkl", "a Python pickle: losslens does not unpickle files"),
                       ("model.pt", "model weights, not a training log")):
        path = tmp_path / name
        before = path.read_bytes()
        res = runner.invoke(app, ["diagnose", str(path)])
        assert res.exit_code == 2 and res.stderr.startswith(f"losslens: {path}: ") and says in res.stderr
        assert res.stderr.count("\n") == 1 and path.read_bytes() == before
    assert losslens.diagnose(dict(np.load(tmp_path / "hist.npz"))).metric == "val_loss"   # the hint works


def test_a_trained_first_epoch_is_not_taken_for_an_untrained_binary_model(shared_curves):
    """Keras logs epoch-end values: handson-ml3's Fashion-MNIST run starts at loss 0.70 and accuracy
    0.76 after its first epoch. K was inferred as 2 (ln 2 = 0.69, and 2/K let any accuracy
    through), so the run read 'underfitting: 49% of ln 2'. An untrained binary model scores about
    0.5, not 0.76: K is not inferred, and the run reads converged, as it did before ln K was used."""
    from losslens.facts.chance import infer_classes

    assert infer_classes(0.70, 0.76) is None and infer_classes(0.69, 0.52) == 2 and infer_classes(2.30, 0.11) == 10
    rid = "ageron/handson-ml3:11_training_deep_neural_networks.ipynb#cell113"
    [run] = losslens.read(shared_curves / "keras_notebook_curves.csv", run_id=rid)
    d = losslens.diagnose(run)
    assert d.facts.chance.classes is None and d.verdict == "converged"


def test_a_misspelt_metric_is_named_with_the_nearest_series(keras_csv):
    res = runner.invoke(app, ["diagnose", str(keras_csv), "--metric", "val_los"])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1
    assert "no series 'val_los'" in res.output and "did you mean val_loss?" in res.output


KERAS_NAN_TRAIN = """
import numpy as np
import keras


def train(lr_factor=1.0, as_dict=False):
    # A Keras MLP whose SGD step is far too large (lr 1e6): the loss overflows to NaN in its first epoch.
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(256, 4)).astype("float32")
    y = x @ np.array([1.0, -2.0, 0.5, 3.0], dtype="float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(1e6 * lr_factor), loss="mse")
    history = model.fit(x, y, validation_split=0.25, epochs=6, verbose=0)
    return dict(history.history) if as_dict else history


def train_dict(lr_factor=1.0):
    return train(lr_factor, as_dict=True)
"""


def test_a_keras_run_nan_from_its_first_epoch_reads_the_same_as_a_history_and_as_a_dict(tmp_path, one_torch_thread):
    """A real Keras fit NaN from epoch 0: its History and its ``history.history`` dict are the same run. diagnose
    read the History "diverged" and refused the dict ("no numeric columns"); verify retrained the History (lr/10, a
    check against a baseline with no finite value) and refused the dict. Both now read "diverged", as a CSV spelling
    nan from its first row does (docs/ARCHITECTURE.md), and verify refuses both in one line (exit 2)."""
    pytest.importorskip("keras")
    (tmp_path / "nan_keras.py").write_text(KERAS_NAN_TRAIN)
    sys.path.insert(0, str(tmp_path))
    try:
        import nan_keras
    finally:
        sys.path.remove(str(tmp_path))
    history = nan_keras.train()
    assert np.isnan(history.history["loss"]).all() and np.isnan(history.history["val_loss"]).all()
    for run in (history, dict(history.history)):
        d = losslens.diagnose(run)
        assert d.verdict == "diverged", str(d)
    for name in ("train", "train_dict"):
        res = runner.invoke(app, ["verify", f"{tmp_path / 'nan_keras.py'}:{name}"])
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert res.exit_code == 2 and len(lines) == 1, (name, res.output)
        assert f"{name}() returned a run losslens cannot read: every value of train_loss, val_loss is NaN or inf " \
               "from its first epoch on" in lines[0], (name, lines)


@pytest.mark.parametrize("name", ["fig.png", "fig.SVG", "fig.pdf"])
def test_report_to_a_figure_name_is_one_line_pointing_to_plot(keras_csv, tmp_path, name):
    """`losslens report run.csv -o fig.png` wrote its HTML page under the .png name (exit 0, "wrote fig.png"): a
    file no image viewer opens. Now one line, exit 2, nothing written, naming the command that draws a figure."""
    out = tmp_path / name
    res = runner.invoke(app, ["report", str(keras_csv), "-o", str(out)])
    assert res.exit_code == 2, res.output
    assert res.output.strip() == (f"losslens: {out}: losslens report writes one HTML page; name it .html "
                                  f"(a figure of one run: losslens plot RUN -o {name})")
    assert not out.exists()


def test_forecast_tells_two_runs_of_one_name_apart():
    """Two real Keras CSVLogger logs both named keras_csvlogger: `losslens forecast` printed two lines starting
    "keras_csvlogger:", where `diagnose`'s table names each with its source. Now the same names."""
    from losslens.report.text import distinct_names

    repo = Path(__file__).resolve().parents[1]
    paths = [str(repo / "src" / "losslens" / "examples" / "keras_csvlogger.csv"),
             str(repo / "tests" / "fixtures" / "logs" / "keras_csvlogger.csv")]
    res = runner.invoke(app, ["forecast", *paths])
    assert res.exit_code == 0, res.output
    heads = [line.split(": ")[0] for line in res.output.splitlines() if not line.startswith(" ")]
    assert heads == distinct_names(losslens.read(paths)) == [f"keras_csvlogger ({p})" for p in paths]


def test_past_twenty_runs_the_table_says_where_each_runs_report_went():
    """22 real runs (a Keras ReduceLROnPlateau sweep and a torch one, fixtures): `diagnose` printed the table and
    stopped, each run's evidence and actions gone without a word. Now one line says so and how to get them."""
    eco = Path(__file__).resolve().parent / "fixtures" / "ecosystem"
    paths = [str(eco / "keras_rlrop_noise_floor"), str(eco / "torch_rlrop_high_lr")]
    n = len(losslens.read(paths))
    assert n > 20
    res = runner.invoke(app, ["diagnose", *paths])
    assert res.exit_code == 0, res.output
    assert res.stdout.rstrip().splitlines()[-1] == ("(each run's evidence and actions are left out past 20 runs: "
                                                    "--run NAME prints one run's, --json or losslens report all of them)")
    assert "what to do:" not in res.stdout and f"{n} runs" in res.stdout


def test_metric_help_names_the_default_the_diagnosis_uses():
    """`--metric`'s help said "default: val_loss, else train_loss"; a run with val_acc and no val_loss (MMEngine's,
    timm's default) is diagnosed on val_acc (Run.default_metric), as the README says."""
    import typer.main

    group = typer.main.get_command(app)
    for name in ("diagnose", "report", "plot", "forecast"):
        [option] = [p for p in group.commands[name].params if "--metric" in getattr(p, "opts", [])]
        assert "val_loss, else val_acc, else train_loss" in option.help, (name, option.help)
    d = losslens.diagnose({"loss": [1.0, 0.6, 0.5, 0.45, 0.42], "val_acc": [0.5, 0.7, 0.8, 0.82, 0.83]})
    assert d.metric == "val_acc"


def test_usage_lines_name_arguments_as_the_docs_write_them():
    """Typer printed `Usage: losslens diagnose [OPTIONS] {paths}...`: the Python parameter's name, where the README,
    docs/reading.md and the error lines say PATH (and verify FILE.py:FUNCTION). Every command's usage line names
    its arguments by a metavar, never by the parameter's name."""
    import typer.main

    def commands(group, prefix=()):
        for name, cmd in group.commands.items():
            if hasattr(cmd, "commands"):        # a group (typer vendors its own click: no isinstance)
                yield from commands(cmd, (*prefix, name))
            else:
                yield (*prefix, name), cmd

    checked = 0
    for path, cmd in commands(typer.main.get_command(app)):
        args = [p for p in cmd.params if p.param_type_name == "argument"]
        if not args:
            continue
        res = runner.invoke(app, [*path, "--help"])
        assert res.exit_code == 0, res.output
        usage = next(line for line in res.output.splitlines() if line.startswith("Usage:"))
        for arg in args:
            assert not re.search(rf"\b{re.escape(arg.name)}\b", usage), (path, usage)
        checked += 1
    assert checked >= 6      # diagnose, report, plot, forecast, data, verify (and lab variants)
    res = runner.invoke(app, ["diagnose", "--help"])
    assert "PATH" in res.output


@pytest.mark.parametrize("compress", [3, "gzip", "bz2", "lzma", "xz"])
def test_a_compressed_joblib_model_gets_the_route_an_uncompressed_one_gets(tmp_path, compress):
    """``joblib.dump(clf, "m.joblib", compress=3)`` (zlib, joblib's default method) read "binary file, not a training
    log", where the same model dumped without compression got the scikit-learn route; gzip, bz2, lzma and xz (joblib's
    other methods) too. The first bytes are unpacked to read the class the pickle names, never unpickled."""
    joblib = pytest.importorskip("joblib")
    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier
    from cli_helpers import refused

    X, y = load_digits(return_X_y=True)
    clf = MLPClassifier((8,), max_iter=5, early_stopping=True, random_state=0)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (5 epochs do not converge: ConvergenceWarning)
        clf.fit(X[:300] / 16, y[:300])
    path = tmp_path / "mlp.joblib"
    joblib.dump(clf, path, compress=compress)
    method = "zlib" if compress == 3 else compress
    line = refused(path, f"a pickled scikit-learn model ({method}-compressed)", "losslens.diagnose(joblib.load(path))",
                   "loss_curve_")
    assert "binary file" not in line
    # A compressed pickle of a Keras-style history keeps the general pickle line, as uncompressed.
    joblib.dump({"loss": [1.0, 0.5, 0.3]}, tmp_path / "history.joblib", compress=compress)
    refused(tmp_path / "history.joblib", f"a Python pickle ({method}-compressed)", "json.dump(history.history, f)")


def test_a_pickled_scikit_learn_model_is_refused_with_the_scikit_learn_route(tmp_path):
    """`losslens diagnose mlp.joblib` refused rightly, but with Keras's advice (json.dump(history.history, f)) for a
    scikit-learn MLP. The line names the scikit-learn routes (read, never unpickled: the pickle names its class),
    and the CSV it describes diagnoses as losslens.diagnose(clf) does."""
    joblib = pytest.importorskip("joblib")
    pd = pytest.importorskip("pandas")
    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier
    from cli_helpers import refused

    X, y = load_digits(return_X_y=True)
    clf = MLPClassifier((32,), max_iter=30, early_stopping=True, n_iter_no_change=30, random_state=0)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (30 epochs do not converge: ConvergenceWarning)
        clf.fit(X / 16, y)
    joblib.dump(clf, tmp_path / "mlp.joblib")
    line = refused(tmp_path / "mlp.joblib", "scikit-learn", "losslens.diagnose(joblib.load(path))", "loss_curve_",
                   "validation_scores_")
    assert "json.dump(history.history" not in line
    # A pickle of something else keeps the general line, which names both routes.
    import pickle
    (tmp_path / "history.pkl").write_bytes(pickle.dumps({"loss": [1.0, 0.5, 0.3]}))
    assert "loss_curve_" in refused(tmp_path / "history.pkl", "json.dump(history.history, f)")
    # The advice, followed: the columns read as the estimator's own (val_acc the curve diagnosed).
    pd.DataFrame({"loss": clf.loss_curve_, "val_acc": clf.validation_scores_}).to_csv(tmp_path / "run.csv")
    res = runner.invoke(app, ["diagnose", str(tmp_path / "run.csv"), "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["metric"] == "val_acc" == losslens.diagnose(clf).metric


EXAMPLES = Path(losslens.__file__).parent / "examples"


def test_usage_errors_are_one_line_with_clicks_suggestion():
    """A misspelt option (`forecast x.csv --horizn 5`), a missing argument, a value of the wrong kind, an unknown
    command: Click printed four lines (usage, hint, blank, error) where the README promises one, exit 2. Now one
    line naming the command, Click's suggestion kept, and where the help is."""
    from cli_helpers import run_cli

    log = EXAMPLES / "keras_csvlogger.csv"
    cases = [(["forecast", log, "--horizn", "5"], "losslens: forecast: No such option: --horizn", "--horizon"),
             (["dignose", log], "losslens: No such command 'dignose'", "Did you mean 'diagnose'?"),
             (["diagnose"], "losslens: diagnose: Missing argument 'PATH'", "losslens diagnose --help"),
             (["forecast", log, "--horizon", "abc"], "losslens: forecast: Invalid value for '--horizon'", "number"),
             (["diagnose", log, "--classes", "1"], "losslens: diagnose: Invalid value for '--classes'", "2"),
             (["lab", "variants", "--bogus"], "losslens: lab variants: No such option: --bogus", "--help"),
             (["--bogus"], "losslens: No such option: --bogus", "losslens --help")]
    for args, start, says in cases:
        res = run_cli(*args)
        err = res.stderr.strip()
        assert res.exit_code == 2, (args, res.output)
        assert "\n" not in err and err.startswith(start) and says in err, (args, err)
        assert res.stdout == "", (args, res.stdout)
    # The help asked for, or a group given no command, is still the help (Click's convention, as before).
    assert run_cli("diagnose", "--help").exit_code == 0
    bare = run_cli("lab")
    assert bare.exit_code == 2 and "Commands:" in bare.output and "seed" in bare.output


def test_losslens_with_no_command_is_the_help_on_stderr_exit_2_with_or_without_debug():
    """Bare `losslens` and `losslens lab` print their help on stderr, exit 2 (Click >= 8.2: a command missing is a
    usage error); `losslens --debug` alone printed it on stdout with exit 0, its callback's own path."""
    from cli_helpers import run_cli

    for args in ([], ["--debug"]):
        res = run_cli(*args)
        assert res.exit_code == 2 and res.stdout == "", (args, res.stdout)
        assert res.stderr.startswith("Usage: ") and "Commands:" in res.stderr and "diagnose" in res.stderr, args
    assert run_cli("--version").exit_code == 0


def test_every_json_option_names_its_schema():
    """Every --json help named its schema (losslens.diagnosis/1, losslens.data/1 ...) but forecast's."""
    import typer.main

    def commands(group, prefix=()):
        for name, cmd in group.commands.items():
            if hasattr(cmd, "commands"):
                yield from commands(cmd, (*prefix, name))
            else:
                yield (*prefix, name), cmd

    named = {}
    for path, cmd in commands(typer.main.get_command(app)):
        for p in cmd.params:
            if "--json" in getattr(p, "opts", ()):
                named[" ".join(path)] = re.search(r"schema (losslens\.\w+/\d)", p.help or "")
    assert {"diagnose", "forecast", "data", "verify", "compare"} <= set(named), named
    assert all(named.values()), {k for k, v in named.items() if not v}
    assert named["forecast"].group(1) == "losslens.forecast/1"
    assert "losslens.forecast/1" in runner.invoke(app, ["forecast", "--help"]).output


def test_diagnose_plot_saves_each_runs_chart(tmp_path):
    """verify, compare, forecast and data take --plot; diagnose did not ("No such option: --plot"), though the chart
    is the one `losslens plot` draws. One run: the name given; several: name-1.png ...; under --json the "wrote"
    lines go to stderr and stdout stays one object a line. A figure named as an input log is refused before any
    work."""
    pytest.importorskip("matplotlib")
    import shutil

    from cli_helpers import md5, run_cli

    log = EXAMPLES / "keras_csvlogger.csv"
    res = run_cli("diagnose", log, "--plot", tmp_path / "one.png")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "one.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert res.stdout.startswith("keras_csvlogger: overfitting") and f"wrote {tmp_path / 'one.png'}" in res.stdout
    runs = tmp_path / "runs"
    runs.mkdir()
    shutil.copy(log, runs / "a.csv")
    lines = log.read_text().splitlines(keepends=True)
    (runs / "b.csv").write_text("".join(lines[:16]))  # (the same run cut at epoch 14: a run of its own)
    res = run_cli("diagnose", runs, "--json", "--plot", tmp_path / "fig.svg")
    assert res.exit_code == 0, res.output
    assert [json.loads(line)["schema"] for line in res.stdout.splitlines()] == ["losslens.diagnosis/1"] * 2
    for k, name in ((1, "a"), (2, "b")):
        assert (tmp_path / f"fig-{k}.svg").read_text().lstrip().startswith("<?xml")
        # (whose chart each is: "wrote fig-1.svg" alone sent a new user to open each, walk 2026-12-06 finding 7)
        assert f"wrote {tmp_path / f'fig-{k}.svg'} ({name})\n" in res.stderr
    before = md5(runs / "a.csv")
    res = run_cli("diagnose", runs, "--plot", runs / "a.csv")
    assert res.exit_code == 2 and res.stderr.count("\n") == 1 and "unknown figure format" in res.stderr
    assert md5(runs / "a.csv") == before


@pytest.mark.parametrize("command", ["diagnose", "forecast"])
def test_plot_for_several_runs_never_overwrites_an_input_named_like_its_numbered_charts(tmp_path, command):
    """With several runs --plot fig.png writes fig-1.png, fig-2.png ...; diagnose and forecast checked only fig.png
    against the inputs, and a Keras CSVLogger log saved as fig-1.png (the name a log of charts' data can carry) was
    replaced by the first run's chart. Refused in one line before any chart is written, the log's bytes kept."""
    pytest.importorskip("matplotlib")
    import shutil

    from cli_helpers import md5, run_cli

    log = EXAMPLES / "keras_csvlogger.csv"
    shutil.copy(log, tmp_path / "fig-1.png")
    (tmp_path / "b.csv").write_text("".join(log.read_text().splitlines(keepends=True)[:16]))
    before = md5(tmp_path / "fig-1.png")
    res = run_cli(command, tmp_path / "fig-1.png", tmp_path / "b.csv", "--plot", tmp_path / "fig.png")
    assert res.exit_code == 2, res.output
    assert res.stderr == (f"losslens: {tmp_path / 'fig-1.png'}: --plot {tmp_path / 'fig.png'} (run 1's chart) names "
                          "an input log; it would be overwritten: write to another file\n")
    assert md5(tmp_path / "fig-1.png") == before and not (tmp_path / "fig-2.png").exists()
    # Named apart from the inputs, both charts are written.
    res = run_cli(command, tmp_path / "fig-1.png", tmp_path / "b.csv", "--plot", tmp_path / "chart.png")
    assert res.exit_code == 0, res.output
    for k, name in ((1, "fig-1.png"), (2, "b")):
        assert (tmp_path / f"chart-{k}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"wrote {tmp_path / f'chart-{k}.png'} ({name})\n" in res.stdout  # whose chart each is
    assert md5(tmp_path / "fig-1.png") == before


def test_a_misspelt_cause_or_change_names_the_near_one_and_stop_gain_is_refused_as_click_refuses(keras_csv):
    """A new user's walk (2026-12-06, finding 8): ``--fail-on divergd`` and ``--change lr=0.1`` listed the choices
    with no "did you mean" (``--metric`` and the commands give one), and ``forecast --stop-gain 2`` read
    "losslens: --stop-gain must be ..." where ``--stop-gain -1`` reads "losslens: forecast: Invalid value for
    '--stop-gain': ...; see losslens forecast --help". One line each, exit 2, the near name at its end."""
    from cli_helpers import run_cli

    res = run_cli("diagnose", keras_csv, "--fail-on", "divergd")
    assert res.exit_code == 2 and res.stderr.strip().endswith("; did you mean diverged?"), res.output
    assert res.stderr.startswith("losslens: --fail-on: unknown cause 'divergd'; choose from ")
    kc = Path(__file__).parent / "fixtures" / "ecosystem" / "compare_keras"
    res = run_cli("compare", kc / "sgd_lr0.3.csv", kc / "sgd_lr0.03.csv", "--change", "lr=0.1")
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1
    assert res.stderr.startswith("losslens: change lr=0.1: 'lr' is not one of lr_factor, ")
    assert res.stderr.strip().endswith("; did you mean lr_factor (AFTER's value over BEFORE's: 0.1 is a tenth)?")
    res = run_cli("compare", kc / "sgd_lr0.3.csv", kc / "sgd_lr0.03.csv", "--change", "decay_factr=10")
    assert "did you mean decay_factor " in res.stderr and res.exit_code == 2
    shapes = [run_cli("forecast", keras_csv, "--stop-gain", v).stderr.strip() for v in ("2", "-1")]
    for line in shapes:
        assert line.startswith("losslens: forecast: Invalid value for '--stop-gain': ") and \
            line.endswith("; see losslens forecast --help") and "\n" not in line, shapes
    assert "must be a fraction below 1, e.g. 0.01 for 1%, got 2" in shapes[0]
