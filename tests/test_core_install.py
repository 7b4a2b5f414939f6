"""losslens as ``pip install losslens`` leaves it: numpy, scipy, typer, rich and orjson, no extra.

Every command runs in a subprocess where the optional packages cannot be imported (a
``sys.meta_path`` finder raises ModuleNotFoundError for them, whatever this environment has), on
the committed example logs. What the core can do works; what needs an extra is one line on stderr
naming it (``pip install 'losslens[plot]'``), exit 2, no traceback; ``--help`` works everywhere.
The finder also records every optional package anything tried to import: ``import losslens`` and
``losslens diagnose run.csv`` try none, so an eager import of a heavy module is caught here rather
than by a user's slow start.
"""

import importlib.util
import json
import lzma
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "src" / "losslens" / "examples" / "keras_csvlogger.csv"
LOGS = ROOT / "tests" / "fixtures" / "logs"
ECO = ROOT / "tests" / "fixtures" / "ecosystem"
TB_DIR = LOGS / "keras_tensorboard"  # Keras' TensorBoard callback: train/ and validation/
MLRUNS = ECO / "mlflow_two_stores" / "mlruns"
WANDB_RUN = next((ECO / "wandb_offline_small_data" / "wandb").glob("offline-run-*"))
OPTIONAL = ("torch", "keras", "lightning", "pytorch_lightning", "transformers", "accelerate", "matplotlib",
            "pandas", "sklearn", "tbparse", "tensorboard", "mlflow", "wandb", "yaml", "jax",
            "tensorflow", "openpyxl")
# The losslens this test imported, not the one the cwd (a fresh folder: conftest) or an install would find.
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

# Runs each argv through the CLI in this one process (one start-up for all), stderr and stdout
# captured per command; prints one JSON line per command.
DRIVER = r"""
import contextlib, io, json, sys, traceback
BLOCKED = set(sys.argv[1].split(","))
tried = set()

class Missing:
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in BLOCKED:
            tried.add(top)
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Missing())
import losslens
print(json.dumps({"import": sorted(tried)}), flush=True)
from losslens.cli import main
for argv in json.loads(sys.argv[2]):
    tried.clear()
    out, err, rc = io.StringIO(), io.StringIO(), 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
            rc = "Traceback"
    print(json.dumps({"argv": argv, "rc": rc, "out": out.getvalue(), "err": err.getvalue(),
                      "tried": sorted(tried), "orjson": "orjson" in sys.modules}), flush=True)
"""


def _cli(commands, blocked=OPTIONAL):
    """``({argv[0..1] joined: result}, what import losslens tried)`` for each command, run without ``blocked``."""
    done = subprocess.run([sys.executable, "-c", DRIVER, ",".join(blocked), json.dumps(commands)],
                          capture_output=True, text=True, timeout=300, env=ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return lines[0]["import"], lines[1:]


def _one_line_naming(res, extra):
    err = res["err"].strip()
    assert res["rc"] == 2, res
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.endswith(f"'losslens[{extra}]'") and ": pip install " in err, err


def test_the_core_reads_diagnoses_forecasts_and_reports_without_any_extra(tmp_path):
    curve = tmp_path / "learning_curve.csv"
    curve.write_text("train_size,val_loss\n100,0.9\n200,0.7\n400,0.58\n800,0.5\n1600,0.45\n")
    html = tmp_path / "r.html"
    commands = [["diagnose", str(EXAMPLE)],
                ["diagnose", "--json", "--horizon", "200", str(EXAMPLE)],
                ["diagnose", str(LOGS / "keras_history.json")],
                ["diagnose", str(LOGS / "hf_output" / "trainer_state.json")],
                ["diagnose", str(LOGS / "lightning" / "version_0" / "metrics.csv")],
                ["diagnose", str(ECO / "wandb_history" / "history_per_epoch.csv")],
                ["forecast", str(EXAMPLE)],
                ["report", str(EXAMPLE), "-o", str(html)],
                ["data", str(curve)]]
    tried_at_import, results = _cli(commands)
    assert tried_at_import == []  # import losslens imports no optional package, not even to try
    for res in results:
        assert res["rc"] == 0, res
        assert res["out"].strip() and "Traceback" not in res["err"], res
    assert all(res["tried"] == [] for res in results), results  # nor does reading, diagnosing or reporting
    # orjson is a core dependency: the JSON logs are parsed with it where it is installed
    assert results[3]["orjson"] == (importlib.util.find_spec("orjson") is not None)
    assert json.loads(results[1]["out"].splitlines()[0])["verdict"] == "overfitting"
    assert "<html" in html.read_text(encoding="utf-8")[:500].lower()


def test_orjson_is_a_core_dependency_and_json_reads_the_same_without_it(tmp_path):
    """orjson parses JSON logs 2-3x faster than json (the 100,000-step trainer_state.json's <= 300 ms read +
    diagnosis needs it), so the core install has it; it was the ``fast`` extra, which a core install lacked.
    Where it is missing (a platform without a wheel) json reads every JSON log to the same diagnosis."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(dep.startswith("orjson") for dep in project["dependencies"])
    assert not any("orjson" in dep for extra in project["optional-dependencies"].values() for dep in extra)
    nan = json.loads((LOGS / "hf_output" / "trainer_state.json").read_text())
    next(r for r in nan["log_history"] if "grad_norm" in r)["grad_norm"] = float("nan")  # orjson refuses it
    (tmp_path / "trainer_state.json").write_text(json.dumps(nan))
    commands = [["diagnose", "--json", str(path)] for path in (
        LOGS / "keras_history.json", LOGS / "hf_output" / "trainer_state.json", LOGS / "torch_loop.jsonl",
        tmp_path / "trainer_state.json")]
    _, with_it = _cli(commands)
    _, without = _cli(commands, blocked=OPTIONAL + ("orjson",))
    for a, b in zip(with_it, without):
        # (The NaN grad_norm is said on stderr, one line, the same with either parser.)
        assert a["rc"] == b["rc"] == 0 and a["out"] == b["out"] and a["err"] == b["err"], (a, b)
        assert "Traceback" not in b["err"] and len(b["err"].splitlines()) <= 1, b["err"]
    assert without[0]["tried"] == ["orjson"] and not without[-1]["orjson"]


def test_what_needs_an_extra_is_one_line_naming_it(tmp_path):
    db = tmp_path / "mlflow.db"
    db.write_bytes(lzma.decompress((ECO / "mlflow_manual_loop" / "mlflow.db.xz").read_bytes()))
    png = str(tmp_path / "x.png")
    book = tmp_path / "run.xlsx"  # (an Excel workbook's opening parts: read by openpyxl, the excel extra)
    with zipfile.ZipFile(book, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    cases = [(["plot", str(EXAMPLE), "-o", png], "plot"),
             (["diagnose", str(book)], "excel"),
             (["data", str(EXAMPLE), "--plot", png], "plot"),
             (["verify", f"{tmp_path / 'train.py'}:train", "--plot", png], "plot"),
             (["diagnose", f"tb:{TB_DIR}"], "tensorboard"),
             (["diagnose", str(TB_DIR)], "tensorboard"),  # a folder of event files, named as itself
             (["diagnose", str(MLRUNS)], "mlflow"),
             (["diagnose", f"mlflow:sqlite:///{db}"], "mlflow"),
             (["diagnose", f"wandb:{WANDB_RUN}"], "wandb"),
             (["diagnose", str(WANDB_RUN)], "wandb"),
             (["demo", "-o", str(tmp_path / "lab")], "lab"),
             (["lab", "seed", "-o", str(tmp_path / "lab")], "lab"),
             (["lab", "variants", "-o", str(tmp_path / "lab")], "lab")]
    _, results = _cli([argv for argv, _ in cases])
    for res, (_, extra) in zip(results, cases):
        _one_line_naming(res, extra)
    assert not (tmp_path / "lab").exists() and not Path(png).exists()


def test_a_folder_of_stores_this_install_cannot_read_names_their_extras_in_one_line(tmp_path):
    """A parent folder holding an MLflow file store and a TensorBoard log (and a note), mlflow and tensorboard
    not installed: one line naming each store, what it needs and the one install for both, rc 2 (it said
    "no training runs found in this directory (1 files read: mlruns: reading MLflow stores needs ...; tb:
    ...; notes.txt: ...)", the extras buried in what was passed over). One such store below the folder: the same."""
    parent = tmp_path / "experiments"
    shutil.copytree(MLRUNS, parent / "mlruns")
    shutil.copytree(TB_DIR, parent / "tb")
    (parent / "notes.txt").write_text("hello\n")
    shutil.copytree(TB_DIR, tmp_path / "one" / "runs" / "tb")
    before = sorted((p, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file())
    _, [both, one] = _cli([["diagnose", str(parent)], ["diagnose", str(tmp_path / "one")]])
    _one_line_naming(both, "mlflow,tensorboard")
    assert both["err"].strip() == (f"losslens: {parent}: no training runs this install can read in this directory: "
                                   "mlruns needs mlflow, tb needs tensorboard (1 other file read, no run in it): "
                                   "pip install 'losslens[mlflow,tensorboard]'")
    _one_line_naming(one, "tensorboard")
    assert "runs/tb needs tensorboard: pip install" in one["err"]
    assert sorted((p, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file()) == before


def test_bench_and_the_shipped_verify_example_name_their_extra(tmp_path):
    """A new user's first tries beyond diagnose: `losslens bench` was an internal error (exit 3: "No module named
    'pandas'", in benchmarks/labels), and the README's `losslens verify src/losslens/examples/verify_train.py:train`
    "training raised ModuleNotFoundError: No module named 'torch' (call it in Python for the traceback)", no
    extra named; a training file that imports torch at its top alike."""
    top = tmp_path / "train_top.py"
    top.write_text("import torch\n\n\ndef train(lr_factor=1.0):\n    return {'loss': [1.0, 0.5, 0.4]}\n")
    example = ROOT / "src" / "losslens" / "examples" / "verify_train.py"
    _, [bench, verify, imported] = _cli([["bench", "--limit", "1", "--out", "-"],
                                         ["verify", f"{example}:train"], ["verify", f"{top}:train"]])
    _one_line_naming(bench, "bench")
    assert bench["err"].startswith("losslens: bench needs pandas: pip install"), bench
    _one_line_naming(verify, "lab")
    assert verify["err"].startswith(f"losslens: {example}:train: training needs torch, not installed here"), verify
    _one_line_naming(imported, "lab")
    assert "torch==2.13.0" in imported["err"]  # the CPU build: an unpinned torch is a multi-GB CUDA one


def test_an_mlflow_database_alone_or_in_a_folder_names_the_path_and_the_extra(tmp_path):
    """MLflow 3 logs to ./mlflow.db by default. Without mlflow, `losslens diagnose mlflow.db` named a URI the user
    never typed ("losslens: sqlite:////abs/path/mlflow.db: ..."), and `losslens diagnose .` said "no training runs
    found in this directory (1 files read: mlflow.db: reading MLflow stores needs ...)", where a folder's mlruns/
    store got the one line naming its extra."""
    project = tmp_path / "project"
    project.mkdir()
    db = project / "mlflow.db"
    db.write_bytes(lzma.decompress((ECO / "mlflow_manual_loop" / "mlflow.db.xz").read_bytes()))
    (project / "notes.txt").write_text("hello\n")
    _, [alone, folder] = _cli([["diagnose", str(db)], ["diagnose", str(project)]])
    _one_line_naming(alone, "mlflow")
    assert alone["err"].startswith(f"losslens: {db}: reading MLflow stores needs"), alone
    _one_line_naming(folder, "mlflow")
    assert folder["err"].strip() == (f"losslens: {project}: no training runs this install can read in this directory: "
                                     "mlflow.db needs mlflow (1 other file read, no run in it): "
                                     "pip install 'losslens[mlflow]'"), folder


def test_the_lab_in_python_names_its_extra():
    """`from losslens.lab import run_seed_lab` without torch raised a bare ModuleNotFoundError from lab/nets.py,
    where the integrations raise MissingExtraError naming theirs."""
    code = DRIVER.split("import losslens", 1)[0] + """
import losslens
try:
    import losslens.lab
except losslens.MissingExtraError as exc:
    assert isinstance(exc, ImportError)
    print(exc.extra, "|", exc)
"""
    done = subprocess.run([sys.executable, "-c", code, ",".join(OPTIONAL)], capture_output=True, text=True,
                          timeout=120, env=ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "lab | losslens.lab needs PyTorch: pip install torch==2.13.0 'losslens[lab]'"


def test_help_works_everywhere():
    commands = [["--help"], ["--version"]] + [[c, "--help"] for c in (
        "diagnose", "forecast", "plot", "report", "data", "verify", "demo", "bench", "lab")] + \
        [["lab", "seed", "--help"], ["lab", "variants", "--help"]]
    _, results = _cli(commands)
    for res in results:
        assert res["rc"] == 0 and res["out"].strip() and not res["err"].strip(), res


def test_python_api_without_extras_names_the_extra(tmp_path):
    code = DRIVER.split("import losslens", 1)[0] + f"""
import losslens
d = losslens.diagnose({str(EXAMPLE)!r})
assert losslens.forecast({str(EXAMPLE)!r}).value > 0
assert "ll-" in d._repr_html_()  # a notebook shows the card without matplotlib
fc = losslens.more_data({str(ROOT / "src" / "losslens" / "examples" / "curve.csv")!r})
assert fc._repr_html_().startswith("<p>") and "<svg" not in fc._repr_html_()  # and a data forecast its sentence
from losslens.report import plot
for call in (lambda: d.save_plot({str(tmp_path / 'a.png')!r}), d.plot, lambda: fc.save_plot({str(tmp_path / 'b.png')!r}),
             lambda: plot.plot_diagnosis(d)):
    try:
        call()
    except losslens.MissingExtraError as exc:  # as every other missing extra: one except, .extra to install
        assert isinstance(exc, ImportError) and exc.name == "matplotlib" and exc.extra == "plot"
        print("chart:", exc)
for name in ("keras", "lightning", "transformers", "torch"):
    try:
        __import__("losslens.integrations." + name)
    except losslens.MissingExtraError as exc:  # exported at the top level, and still an ImportError
        assert isinstance(exc, ImportError) and "MissingExtraError" in losslens.__all__
        print(name + ":", exc, "|", exc.extra)
"""
    done = subprocess.run([sys.executable, "-c", code, ",".join(OPTIONAL)], capture_output=True, text=True,
                          timeout=120, env=ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[:4] == ["chart: losslens' charts need matplotlib: pip install 'losslens[plot]'"] * 4
    assert [line.split(":")[0] for line in lines[4:]] == ["keras", "lightning", "transformers", "torch"]
    for line, extra in zip(lines[4:7], ("keras", "lightning", "transformers")):
        assert line.endswith(f"pip install 'losslens[{extra}]' | {extra}"), line
    assert lines[7].endswith("pip install torch==2.13.0 | None"), lines[7]
    assert not (tmp_path / "a.png").exists() and not (tmp_path / "b.png").exists()


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs torch, to get past the lab's first check")
def test_the_lab_names_a_missing_part_of_its_extra_before_any_training(tmp_path):
    """torch is there, the rest of 'losslens[lab]' (scikit-learn's digits) or Keras is not: one line,
    before a run is trained or written (the Keras comparison ran after the PyTorch seeds)."""
    out = tmp_path / "lab"
    _, [digits] = _cli([["lab", "variants", "data", "-o", str(out)]], blocked=("sklearn",))
    _one_line_naming(digits, "lab")
    assert "scikit-learn" in digits["err"]
    _, [kr] = _cli([["lab", "seed", "--framework", "keras", "--seeds", "2", "--epochs", "5", "--no-verify",
                     "-q", "-o", str(out)]], blocked=("keras",))
    _one_line_naming(kr, "keras")
    assert not out.exists()
