"""The README's and docs' examples work as printed.

A new user copies them. Every fenced block of README.md and docs/*.md is read here:

- every ``losslens ...`` command (in a code block or an inline code span) names a command and
  options that exist;
- a command whose files are committed is run from the repository root, and where the docs print
  its output (the plain block after it, or one marked ``<!-- output of: COMMAND -->``) the output
  must match: the lines a reader acts on exactly (the verdict with X and its interval, the causes'
  headings and confidences, the actions, a forecast's value and interval), the evidence bullets
  (``  - ...``) and verify's per-check lines with their numbers masked (their wording is checked,
  not every digit);
- every ``python`` block runs, in a fresh namespace in an empty folder, unless the line above it
  says ``<!-- not run: WHY -->`` (it needs the user's own model or data; the keywords it passes to
  losslens are still checked against the signatures) or ``<!-- run with: NAME, ... -->``, which
  names the user's objects this module stands in for (``STANDINS`` below: what each one is);
- every ``json`` block parses, and a sketch of a schema names only keys the real output has;
- every ``losslens.name``, ``cb.attribute``, ``report.attribute`` and ``d.attribute`` quoted exists.

What trains (``losslens verify``'s example, the blocks run with a training stand-in) is ``@pytest.mark.slow``.
"""

from __future__ import annotations

import ast
import functools
import inspect
import json
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from losslens.cli import app

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
EXAMPLES = REPO / "src" / "losslens" / "examples"
CLI = typer.main.get_command(app)
OUTPUT_OPTIONS = {"-o", "--output", "--plot"}   # their value is a file the command writes: sent to a temporary folder


@dataclass
class Block:
    path: Path
    line: int           # 1-based line of the opening fence
    lang: str
    text: str
    marker: str | None  # the <!-- ... --> comment on the line above the fence, if any

    def __str__(self):
        where = self.path.relative_to(REPO) if self.path.is_relative_to(REPO) else self.path
        return f"{where}:{self.line}"


def fenced_blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j].rstrip() != "```":
            j += 1
        above = lines[i - 1].strip() if i else ""
        marker = above[4:-3].strip() if above.startswith("<!--") and above.endswith("-->") else None
        blocks.append(Block(path, i + 1, m.group(1), "\n".join(lines[i + 1:j]), marker))
        i = j + 1
    return blocks


BLOCKS = [b for p in DOCS for b in fenced_blocks(p)]


# ---- commands and their options ------------------------------------------------------------------

def command_lines(block: Block) -> list[str]:
    """The ``losslens`` commands of a shell block (``$ `` prompts and trailing comments dropped)."""
    out = []
    for line in block.text.splitlines():
        line = line.strip().removeprefix("$ ")
        if line.startswith("losslens ") and not line.startswith("losslens ("):
            out.append(line)
    return out


def inline_commands(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    spans = re.findall(r"`(losslens [a-z][^`]*)`", text)
    # a table cell escapes the pipe: `python train.py \| losslens diagnose -`
    spans += [s.split("| ")[-1] for s in re.findall(r"`([^`]*\\\| losslens [^`]*)`", text)]
    return [s.replace("\\|", "|") for s in spans]


def split(cmd: str) -> list[str]:
    return shlex.split(cmd.replace("…", "..."), comments=True)


def resolve(argv: list[str]):
    """The (click) command ``argv`` names, and the arguments left for it."""
    cmd, rest = CLI, argv[1:]
    while hasattr(cmd, "commands"):   # a group (Typer's own click, not necessarily the installed one)
        assert rest, f"{' '.join(argv)}: names no command of {cmd.name}"
        assert rest[0] in cmd.commands, f"`{' '.join(argv)}`: no command {rest[0]!r} (there are {sorted(cmd.commands)})"
        cmd, rest = cmd.commands[rest[0]], rest[1:]
    return cmd, rest


def check_options(cmd_line: str) -> None:
    argv = split(cmd_line)
    cmd, rest = resolve(argv)
    known = {o for p in cmd.params for o in p.opts + p.secondary_opts}
    for token in rest:
        if token.startswith("-") and token != "-":
            name = token.split("=")[0]
            assert name in known, f"`{cmd_line}`: {cmd.name} has no option {name} (it has {sorted(known)})"


ALL_COMMANDS = sorted({(str(b), c) for b in BLOCKS if b.lang in ("", "bash", "sh") for c in command_lines(b)}
                      | {(str(p.relative_to(REPO)), c) for p in [*DOCS, REPO / "DEVELOPERS.md"] for c in inline_commands(p)})


@pytest.mark.parametrize("where, cmd", ALL_COMMANDS)
def test_every_command_and_option_exists(where, cmd):
    check_options(cmd)


# ---- printed output -----------------------------------------------------------------------------

def runnable(cmd_line: str) -> bool:
    """Every file the command reads is committed (placeholders such as run.csv are the user's)."""
    argv = split(cmd_line)
    cmd, rest = resolve(argv)
    takes_value = {o for p in cmd.params if p.param_type_name == "option" and not p.is_flag for o in p.opts}
    inputs, skip = [], False
    for token in rest:
        if skip:
            skip = False
        elif token.startswith("-") and token != "-":
            skip = token.split("=")[0] in takes_value and "=" not in token
        else:
            inputs.append(token)
    return bool(inputs) and all((REPO / t.split(":")[0]).exists() for t in inputs)


def documented_outputs() -> list[tuple[str, str, Block]]:
    """(where, command, output block): a plain block after a shell block, or one marked ``output of:``."""
    out = []
    for i, b in enumerate(BLOCKS):
        if not b.lang and b.text.startswith("$ losslens ") and runnable(b.text.splitlines()[0][2:]):
            # a prompt, then what it printed
            cmd, _, printed = b.text.partition("\n")
            out.append((str(b), cmd[2:], Block(b.path, b.line + 1, "", printed, None)))
            continue
        if b.lang or b.text.lstrip().startswith(("$ ", "losslens ")):
            continue
        if b.marker and b.marker.startswith("output of:"):
            out.append((str(b), b.marker.removeprefix("output of:").strip(), b))
        elif i and BLOCKS[i - 1].path == b.path and BLOCKS[i - 1].lang in ("bash", "sh") \
                and BLOCKS[i - 1].line + BLOCKS[i - 1].text.count("\n") + 3 == b.line:
            cmds = [c for c in command_lines(BLOCKS[i - 1]) if runnable(c)]
            if cmds:
                out.append((str(b), cmds[0], b))
    return out


NUMBER = re.compile(r"[-+]?\d[\d,]*(\.\d+)?(e[-+]?\d+)?%?")


def pinned(line: str) -> str:
    """A printed line as the docs pin it: evidence bullets and verify's per-check lines keep their
    wording, not their digits; every other line (verdict, X and its interval, the causes' headings,
    the actions, a forecast) is pinned whole."""
    if line.startswith(("  - ", "  ✓ ", "  ✗ ", "  ? ")):
        return NUMBER.sub("N", line)
    if line.startswith("losslens (") and ". Evidence: " in line:   # a callback's report: verdict. Evidence: … Try: …
        head, _, rest = line.partition(". Evidence: ")
        evidence, sep, actions = rest.partition(" Try: ")
        return f"{head}. Evidence: {NUMBER.sub('N', evidence)}{sep}{actions}"
    return line


def run_cli(cmd_line: str, tmp_path: Path, monkeypatch) -> str:
    argv = split(cmd_line)[1:]
    for k, token in enumerate(argv[:-1]):
        if token in OUTPUT_OPTIONS:
            argv[k + 1] = str(tmp_path / Path(argv[k + 1]).name)
    monkeypatch.chdir(REPO)
    res = CliRunner().invoke(app, argv)
    assert res.exit_code == 0, f"`{cmd_line}` exited {res.exit_code}: {res.output[-2000:]}"
    return res.stdout


def matches(want: list[str], have: list[str]) -> bool:
    """``have`` is ``want``, where the docs elide: a line ``...`` stands for any lines, a line
    ending in `` ...`` for any line it begins."""
    if not want:
        return not have
    head = want[0]
    if head.strip() == "...":
        return any(matches(want[1:], have[k:]) for k in range(len(have) + 1))
    if not have:
        return False
    if head.endswith(" ..."):
        ok = have[0].startswith(head[:-4])
    else:
        ok = have[0] == head
    return ok and matches(want[1:], have[1:])


def compare_output(cmd_line: str, printed: str, got: str, where: str) -> None:
    want = [pinned(x) for x in printed.rstrip("\n").splitlines()]
    have = [pinned(x) for x in got.rstrip("\n").splitlines()]
    assert matches(want, have), (f"{where}: `{cmd_line}` prints\n" + "\n".join(got.rstrip().splitlines())
                                 + "\nnot what the docs show (evidence digits aside)")


OUTPUTS = documented_outputs()


def _trains(cmd: str) -> bool:
    return cmd.split()[1] == "verify"   # retrains the example three times (8-18 s here): @pytest.mark.slow


@pytest.mark.parametrize("where, cmd, block", [
    pytest.param(w, c, b, id=f"{w} {c.split()[1]}", marks=[pytest.mark.slow] if _trains(c) else []) for w, c, b in OUTPUTS])
def test_printed_output_is_what_the_command_prints(where, cmd, block, tmp_path, monkeypatch):
    if "verify" in cmd.split()[:2]:
        pytest.importorskip("torch")
    compare_output(cmd, block.text, run_cli(cmd, tmp_path, monkeypatch), where)


def test_every_output_block_after_a_runnable_command_is_checked():
    """The README's examples with printed output: the diagnosis, the learning curve, verify."""
    checked = {(Path(w.split(":")[0]).name, c.split()[1]) for w, c, _ in OUTPUTS}
    assert {("README.md", "diagnose"), ("README.md", "data"), ("README.md", "verify"),
            ("reading.md", "diagnose")} <= checked


@pytest.mark.parametrize("where, cmd", sorted({(str(b), c) for b in BLOCKS if b.lang in ("bash", "sh")
                                               for c in command_lines(b) if runnable(c)}))
def test_every_runnable_command_runs(where, cmd, tmp_path, monkeypatch):
    if "verify" in cmd.split()[:2]:
        pytest.skip("run above, where its output is printed")
    run_cli(cmd, tmp_path, monkeypatch)


# ---- python blocks ------------------------------------------------------------------------------

def _history(tmp):
    import csv
    rows = list(csv.DictReader(open(EXAMPLES / "keras_csvlogger.csv")))
    return {k: [float(r[k]) for r in rows] for k in rows[0] if k != "epoch"}


def _run_csv(tmp):
    shutil.copy(EXAMPLES / "keras_csvlogger.csv", tmp / "run.csv")


def _runs(tmp):
    (tmp / "runs").mkdir()
    shutil.copy(EXAMPLES / "keras_csvlogger.csv", tmp / "runs" / "a.csv")
    shutil.copy(REPO / "tests" / "fixtures" / "logs" / "keras_history.json", tmp / "runs" / "b.json")


def _curves(tmp):
    import gzip
    h = _history(tmp)
    with gzip.open(tmp / "curves.csv.gz", "wt") as fh:
        fh.write("run_id,epoch,loss,val_loss\n")
        for run, cut in (("a", None), ("b", 40)):
            fh.writelines(f"{run},{e},{a},{b}\n" for e, (a, b) in enumerate(zip(h["loss"][:cut], h["val_loss"][:cut])))


def _sklearn_model(tmp):
    from sklearn.datasets import make_classification
    from sklearn.naive_bayes import GaussianNB   # fits in a millisecond: the block fits it 25 times over
    x, y = make_classification(n_samples=600, n_features=20, n_informative=12, random_state=0)
    return {"model": GaussianNB(), "X": x, "y": y}


def _keras_model(tmp):
    from keras_models import article_data, mlp   # tests/keras_models.py
    x, y = article_data(0)
    return {"model": mlp(), "x": x, "y": y}


def _train(tmp):
    import importlib.util
    spec = importlib.util.spec_from_file_location("verify_train", EXAMPLES / "verify_train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {"train": module.train}


# What a block marked <!-- run with: NAME, ... --> is given in place of the user's own: each makes
# files in the block's (empty) working folder or returns the names it binds.
STANDINS = {
    "history": lambda tmp: {"history": _history(tmp)},      # the example log as a dict of lists
    "run.csv": _run_csv,                                      # the example log
    "runs/": _runs,                                           # two committed logs
    "curves.csv.gz": _curves,                                 # the example log as two runs, long format
    "model, X, y": _sklearn_model,                            # a naive Bayes classifier, 600 generated samples
    "train": _train,                                          # src/losslens/examples/verify_train.py:train
    "keras model, x, y": _keras_model,                        # the article's data, a 64-64 MLP (tests/keras_models.py)
}
SLOW_STANDINS = {"train", "keras model, x, y"}   # they train: @pytest.mark.slow


def standins(marker: str) -> list[str]:
    names = marker.removeprefix("run with:").strip()
    found = [s for s in sorted(STANDINS, key=len, reverse=True) if s in names]
    found = [s for s in found if not any(s != o and s in o for o in found)]   # "keras model, x, y", not also "train"...
    rest = names
    for s in found:
        rest = rest.replace(s, "")
    assert not rest.strip(" ,;"), f"<!-- {marker} -->: no stand-in for {rest.strip(' ,;')!r} (known: {sorted(STANDINS)})"
    return found


def python_blocks():
    for b in BLOCKS:
        if b.lang != "python":
            continue
        run = not (b.marker or "").startswith("not run:")
        slow = run and bool(b.marker) and b.marker.startswith("run with:") and bool(set(standins(b.marker)) & SLOW_STANDINS)
        yield pytest.param(b, run, id=str(b), marks=[pytest.mark.slow] if slow else [])


def run_python_block(block: Block, tmp_path: Path, monkeypatch) -> dict:
    namespace = {"__name__": "__docs__"}
    monkeypatch.chdir(tmp_path)
    # The callbacks pace their diagnoses within time_budget_ms of measured CPU time: on a busy machine they skip
    # epochs, and what they print would depend on its speed. The docs show an unpaced run, as the callback tests
    # make them (DEVELOPERS.md).
    from losslens.integrations._core import Watcher
    post_init = Watcher.__post_init__

    def unpaced(self):
        self.time_budget_ms = None
        post_init(self)
    monkeypatch.setattr(Watcher, "__post_init__", unpaced)
    if block.marker and block.marker.startswith("run with:"):
        for name in standins(block.marker):
            namespace.update(STANDINS[name](tmp_path) or {})
    else:
        assert block.marker is None, f"{block}: unknown marker <!-- {block.marker} -->"
    exec(compile(block.text, str(block), "exec"), namespace)
    return namespace


def printed_after(block: Block) -> Block | None:
    """The block marked as what ``block`` prints, when the docs show it."""
    k = BLOCKS.index(block)
    after = BLOCKS[k + 1] if k + 1 < len(BLOCKS) and BLOCKS[k + 1].path == block.path else None
    return after if after is not None and after.marker == "output of the python block above" else None


@pytest.mark.parametrize("block, run", list(python_blocks()))
def test_python_block_runs(block, run, tmp_path, monkeypatch, capsys):
    tree = ast.parse(block.text, str(block))
    check_keywords(tree, str(block))
    if run:
        run_python_block(block, tmp_path, monkeypatch)
        shown = printed_after(block)
        if shown is not None:   # what losslens printed (Keras' progress bars aside)
            out = capsys.readouterr().out
            got = "\n".join(m.group(0) for m in re.finditer(r"losslens[:( ].*", out))
            compare_output("the block", shown.text, got, str(shown))


def test_the_readme_python_example_runs_on_a_run_still_falling(tmp_path, monkeypatch):
    # The stand-in history (the example log) has plateaued; on a run still improving d.plateau is None, and the
    # README's own line `d.verdict, d.plateau_epoch, d.plateau.interval` raised AttributeError. The same block, given
    # a Keras CSVLogger log still falling (tests/fixtures/ecosystem/keras_settings_first), runs.
    import csv

    [block] = [b for b in BLOCKS if b.path.name == "README.md" and b.lang == "python"
               and (b.marker or "").startswith("run with: history")]
    with open(REPO / "tests" / "fixtures" / "ecosystem" / "keras_settings_first" / "training.log") as fh:
        rows = list(csv.DictReader(fh))
    falling = {k: [float(r[k]) for r in rows] for k in rows[0] if k != "epoch"}
    import losslens
    assert losslens.diagnose(falling).plateau is None   # (what the test is about)
    monkeypatch.setitem(STANDINS, "history", lambda tmp: {"history": falling})
    namespace = run_python_block(block, tmp_path, monkeypatch)
    d = namespace["d"]
    assert d.plateau_epoch is None and d.plateau_interval is None


def _signature_names(module: str, name: str) -> set[str] | None:
    """The keywords ``module.name`` takes, or None when it takes any. The integrations are read from
    their source, not imported: importing Keras, Lightning or Transformers takes seconds."""
    if module.startswith("losslens.integrations"):
        from losslens.integrations._core import Watcher
        path = REPO / "src" / Path(*module.split(".")).with_suffix(".py")
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name == name:
                fn = node if isinstance(node, ast.FunctionDef) else next(
                    (n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
                if fn is None:
                    return None
                a = fn.args
                names = {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs} - {"self"}
                if a.kwarg:   # **options, handed to the Watcher
                    names |= set(inspect.signature(Watcher).parameters)
                return names
        raise AssertionError(f"{module} has no {name}")
    import importlib
    obj = importlib.import_module(module)
    for part in name.split("."):
        assert hasattr(obj, part), f"{module} has no {name}"
        obj = getattr(obj, part)
    try:
        params = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params):
        if module == "losslens":   # losslens.diagnose(...) and the like hand their options to the module that does the work
            for where in ("losslens.api", "losslens.verification"):
                inner = getattr(importlib.import_module(where), name, None)
                if inner is not None and inner is not obj:
                    return _signature_names(where, name)
        return None
    return {p.name for p in params}


def check_keywords(tree: ast.AST, where: str) -> None:
    """Names imported from losslens exist, and the keywords passed to them are ones they take."""
    bound: dict[str, tuple[str, str]] = {}
    modules: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("losslens"):
            for alias in node.names:
                bound[alias.asname or alias.name] = (node.module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("losslens"):
                    modules[alias.asname or alias.name] = alias.name
    for name, (module, attr) in bound.items():
        _signature_names(module, attr)   # raises if it is gone
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = None
        if isinstance(node.func, ast.Name) and node.func.id in bound:
            target = bound[node.func.id]
        elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                and node.func.value.id in modules:
            target = (modules[node.func.value.id], node.func.attr)
        if target is None:
            continue
        names = _signature_names(*target)
        if names is None:
            continue
        for kw in node.keywords:
            assert kw.arg is None or kw.arg in names, \
                f"{where}: {target[0]}.{target[1]}() takes no keyword {kw.arg!r} (it takes {sorted(names)})"


# ---- json blocks --------------------------------------------------------------------------------

@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "json" and "..." not in b.text], ids=str)
def test_json_block_parses(block):
    json.loads(block.text)   # (a sketch of a schema, with "...", is not JSON)


def _keys(obj, acc: set) -> set:
    if isinstance(obj, dict):
        for k, v in obj.items():
            acc.add(k)
            _keys(v, acc)
    elif isinstance(obj, list):
        for v in obj:
            _keys(v, acc)
    return acc


def _toy_train(lr_factor=1.0, epochs_factor=1.0, seed=0):
    """A run verify can retrain in a millisecond: a loss falling at a pace set by the lr."""
    n = round(30 * epochs_factor)
    return {"loss": [1 / (1 + 0.02 * lr_factor * e) for e in range(n)],
            "val_loss": [1.05 / (1 + 0.02 * lr_factor * e) for e in range(n)]}


def _schema_output(schema: str, monkeypatch) -> dict:
    monkeypatch.chdir(REPO)
    if schema == "losslens.verification/1":
        import losslens
        return losslens.verify(_toy_train).to_dict()
    argv = {"losslens.diagnosis/1": ["diagnose", "src/losslens/examples/keras_csvlogger.csv", "--json", "--horizon", "200"],
            "losslens.data/1": ["data", "src/losslens/examples/curve.csv", "--json"]}[schema]
    res = CliRunner().invoke(app, argv)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "json" and '"schema": "losslens.' in b.text], ids=str)
def test_json_sketch_names_only_keys_the_output_has(block, monkeypatch):
    """A schema sketched with "..." is no JSON, but every key it names is one the real output has."""
    schema = re.search(r'"schema": "(losslens\.[a-z]+/\d+)"', block.text).group(1)
    missing = set(re.findall(r'"(\w+)":', block.text)) - _keys(_schema_output(schema, monkeypatch), set())
    assert not missing, f"{block}: the {schema} sketch names keys the output does not have: {sorted(missing)}"


DOTTED = sorted({(p.name, m) for p in [*DOCS, REPO / "DEVELOPERS.md"]
                 for span in re.findall(r"`([^`]+)`", p.read_text(encoding="utf-8"))
                 for m in re.findall(r"\blosslens(?:\.[A-Za-z_]\w*)+(?![\w/])", span)})


@pytest.mark.parametrize("where, name", DOTTED)
def test_every_dotted_name_exists(where, name):
    """``losslens.stopping.ForecastStopping``, ``losslens.verification.TrainingError`` ... name what there is."""
    import importlib
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        module, rest = ".".join(parts[:i]), parts[i:]
        if module.startswith("losslens.integrations."):   # read, not imported (Keras, Lightning ... are slow)
            path = REPO / "src" / Path(*parts[:i]).with_suffix(".py")
            if path.exists():
                assert not rest or re.search(rf"^(class|def) {rest[0]}\b|^{rest[0]} *=", path.read_text(), re.M), \
                    f"{where}: {module} has no {rest[0]}"
                return
            continue
        try:
            obj = importlib.import_module(module)
        except ImportError:
            continue
        for r in rest:
            assert hasattr(obj, r), f"{where}: {name}: {module} has no {r}"
            obj = getattr(obj, r)
        return
    raise AssertionError(f"{where}: no module {name}")


def _attribute_owners():
    from losslens.integrations._core import WatcherViews
    from losslens.result import Diagnosis
    from losslens.verification import Verification
    return {"cb": WatcherViews, "d": Diagnosis, "report": Verification}


ATTRIBUTES = sorted({(p.name, var, attr) for p in DOCS
                     for span in re.findall(r"`([^`\n]+)`", p.read_text(encoding="utf-8"))
                     for var, attr in re.findall(r"(?<![\w./])(cb|d|report)\.([A-Za-z_]\w*)\b(?!/)", span)
                     if attr not in ("html", "png", "csv", "json", "py")                # file names
                     and not (REPO / "src" / "losslens" / var / f"{attr}.py").exists()})  # report/text.py


@pytest.mark.parametrize("where, var, attr", ATTRIBUTES)
def test_every_attribute_quoted_exists(where, var, attr):
    """``cb.reports``, ``report.points_to``, ``d.save_plot`` ...: a callback's, a verification's, a diagnosis's."""
    owner = _attribute_owners()[var]
    fields = getattr(owner, "__dataclass_fields__", {})
    assert hasattr(owner, attr) or attr in fields, f"{where}: `{var}.{attr}`: {owner.__name__} has no {attr}"


# ---- the layout, paths, private names, benchmark options, the JSON's keys --------------------------

WRITTEN = [*DOCS, REPO / "DEVELOPERS.md"]
PACKAGE = REPO / "src" / "losslens"


def package_parts() -> set[str]:
    """The package's own modules and folders, ``api.py``, ``readers/`` ... (``__init__.py``, ``__main__.py`` aside)."""
    return {p.name + ("/" if p.is_dir() else "") for p in PACKAGE.iterdir()
            if not p.name.startswith("__") and (p.suffix == ".py" or p.is_dir())}


def _exists_in_package(name: str) -> bool:
    bare = name.rstrip("/")
    return (PACKAGE / bare).exists() or (REPO / bare).exists() or any(PACKAGE.rglob(bare))


def layout_gaps(readme: str, developers: str) -> list[str]:
    """What the README's module map (the block that opens with ``src/losslens/``) and DEVELOPERS.md's "Where things
    are" leave out of the package, and the names they give that are not there."""
    [block] = re.findall(r"^```\n(src/losslens/\n.*?)^```", readme, re.S | re.M)
    where = developers.split("## Where things are", 1)[1].split("\n## ", 1)[0]
    gaps = []
    for doc, text in (("README.md's module map", block), ("DEVELOPERS.md's Where things are", where)):
        named = set(re.findall(r"(?<![\w/.-])([a-z_]\w*(?:\.py|/))", text.replace("src/losslens/", " ")))
        gaps += [f"{doc} does not name src/losslens/{m}" for m in sorted(package_parts() - named)]
        gaps += [f"{doc} names {n}, which is not there" for n in sorted(named) if not _exists_in_package(n)]
    return gaps


def test_the_module_maps_name_every_part_of_the_package():
    """A newcomer finds every module from the README's map and DEVELOPERS.md's list, and nothing they name is gone."""
    gaps = layout_gaps((REPO / "README.md").read_text(encoding="utf-8"), (REPO / "DEVELOPERS.md").read_text(encoding="utf-8"))
    assert not gaps, "\n".join(gaps)


PATH = re.compile(r"(?<![\w/.~-])((?:src/losslens|tests|benchmarks|docs)/[\w./-]*[\w/])")


def missing_paths(text: str) -> list[str]:
    """The repository paths (``src/losslens/...``, ``tests/...``, ``benchmarks/...``, ``docs/...``) a text names that are not there."""
    return sorted({p for p in PATH.findall(text) if not (REPO / p).exists()})


@pytest.mark.parametrize("doc", WRITTEN, ids=lambda p: p.name)
def test_every_path_named_exists(doc):
    missing = missing_paths(doc.read_text(encoding="utf-8"))
    assert not missing, f"{doc.name} names paths that are not there: {missing}"


@functools.lru_cache(maxsize=1)
def _defined_names() -> frozenset[str]:
    names = set()
    for path in PACKAGE.rglob("*.py"):
        names.add(path.stem)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                    names.add(getattr(t, "id", None) or getattr(t, "attr", None))
    return frozenset(names)


def undefined_private_names(text: str, defined: frozenset[str]) -> list[str]:
    """``_calibrate``, ``_hedge_converged`` ... quoted in a text but defined nowhere in the package."""
    quoted = {m for span in re.findall(r"`([^`\n]+)`", text) for m in re.findall(r"(?<![\w.*/{])(_[a-z]\w*)\b(?![./])", span)}
    return sorted(quoted - defined)


@pytest.mark.parametrize("doc", [REPO / "docs" / "ARCHITECTURE.md", REPO / "DEVELOPERS.md"], ids=lambda p: p.name)
def test_every_private_function_quoted_exists(doc):
    """The rules the architecture names by function (``_still_falling_since_x``, ``_cut_in_noise`` ...). (reading.md's
    ``_step`` or ``_timestamp`` are a log's keys, not losslens's names: those two docs only.)"""
    missing = undefined_private_names(doc.read_text(encoding="utf-8"), _defined_names())
    assert not missing, f"{doc.name} quotes names the package does not define: {missing}"


SCRIPT = re.compile(r"python3? (-m benchmarks(?:\.\w+)*|benchmarks/[\w/]+\.py)((?: +--?[a-z][\w-]*(?:[= ](?!-)[^\s`|;)]+)?)*)")


def unknown_script_options(text: str) -> list[str]:
    """``python -m benchmarks.X --opt`` and ``python benchmarks/x.py --opt`` whose script (or a benchmarks module it
    imports) defines no such option."""
    bad = []
    for target, args in SCRIPT.findall(text):
        path = REPO / (target if target.endswith(".py") else Path(*target[3:].split(".")).with_suffix(".py"))
        if not path.exists():
            path = path.with_suffix("") / "__main__.py"
        if not path.exists():
            bad.append(f"{target}: no such script")
            continue
        source = path.read_text(encoding="utf-8")
        for module in re.findall(r"^from (?:\.|benchmarks\.)(\w+) import", source, re.M):   # python -m benchmarks: score.py
            if (REPO / "benchmarks" / f"{module}.py").exists():
                source += (REPO / "benchmarks" / f"{module}.py").read_text(encoding="utf-8")
        bad += [f"{target} {opt}" for opt in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", args)
                if f'"{opt}"' not in source and f"'{opt}'" not in source]
    return bad


@pytest.mark.parametrize("doc", WRITTEN, ids=lambda p: p.name)
def test_every_benchmark_option_quoted_exists(doc):
    bad = unknown_script_options(doc.read_text(encoding="utf-8"))
    assert not bad, f"{doc.name}: {bad}"


OPEN_KEYS = {"facts", "numbers", "change", "diagnosis",  # every measured number, a cause's figures, a check's keywords;
             "values"}                                    # verify's diagnosis is diagnose's object, walked on its own;
                                                          # a run's saved settings, under their own names


def _all_keys(obj, acc: set) -> set:
    if isinstance(obj, dict):
        for k, v in obj.items():
            acc.add(k)
            if k not in OPEN_KEYS:
                _all_keys(v, acc)
    elif isinstance(obj, list):
        for v in obj:
            _all_keys(v, acc)
    return acc


def undocumented_keys(doc: str, objects) -> list[str]:
    """The keys of real ``--json`` objects that ``doc`` names nowhere (``"key"``, ``` `key` ```, ``` `parent.key` ```)."""
    keys = set()
    for o in objects:
        _all_keys(o, keys)
    return sorted(k for k in keys if not re.search(rf'[`"]{re.escape(k)}[`"]|`[\w.]*\.{re.escape(k)}\b', doc))


@functools.lru_cache(maxsize=1)
def _json_objects() -> tuple[dict, ...]:
    """What ``diagnose``, ``forecast`` (with ``--stop-gain``), ``data`` and ``verify`` print with ``--json`` on committed
    logs: an epoch axis and a Trainer's step axis (``epoch_frac``), one learning curve and a file of several."""
    keras, trainer = str(EXAMPLES / "keras_csvlogger.csv"), str(REPO / "tests" / "fixtures" / "logs" / "hf_output")
    objects = []
    for argv in (["diagnose", keras, "--horizon", "200"], ["diagnose", trainer],
                 ["forecast", keras, "--stop-gain", "0.01"], ["forecast", trainer, "--stop-gain", "0.01"],
                 ["data", str(EXAMPLES / "curve.csv")], ["data", str(EXAMPLES / "models.csv")]):
        res = CliRunner().invoke(app, [*argv, "--json"])
        assert res.exit_code == 0, res.output
        objects += [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    import losslens
    objects.append(losslens.verify(_toy_train).to_dict())
    return tuple(objects)


def test_every_json_key_is_documented():
    """docs/ARCHITECTURE.md names every key ``--json`` prints (a program reads them; the sketches show a few)."""
    missing = undocumented_keys((REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8"), _json_objects())
    assert not missing, f"docs/ARCHITECTURE.md does not say what these --json keys are: {missing}"


RESULT_METHODS = {"losslens": ["losslens"], "naive rule": ["naive"], "trainspotter": ["trainspotter"],
                  "Keras EarlyStopping": ["keras_es_p5", "keras_es_p10"], "torch ReduceLROnPlateau": ["torch_rop"],
                  "Prechelt": ["prechelt_gl5", "prechelt_pq3", "prechelt_up3"]}
RESULT_COLUMNS = {"accuracy": "accuracy", "macro-F1": "macro-F1", "plateau-F1": "plateau-F1",
                  "X error (% of run)": "X err (% of run)", "runs/s": "runs/s"}


def _table_rows(lines: list[str]) -> tuple[list[str], list[list[str]]]:
    head = [c.strip() for c in lines[0].strip().strip("|").split("|")]
    rows = [[c.strip().replace("**", "") for c in ln.strip().strip("|").split("|")] for ln in lines[2:]]
    return head, rows


def held_out_results() -> dict[tuple[str, str], dict[str, str]]:
    """``{(part, method): {column: cell}}`` of benchmarks/results/diagnosis.md's held-out tables, and each part's case count."""
    text = (REPO / "benchmarks" / "results" / "diagnosis.md").read_text(encoding="utf-8")
    out = {}
    for part, cases, table in re.findall(r"^### (\w+) — held-out \(test\): (\d+) cases.*?\n\n((?:\|.*\n)+)", text, re.M):
        head, rows = _table_rows(table.splitlines())
        out[(part, "cases")] = {"cases": cases}
        for row in rows:
            out[(part, row[0])] = dict(zip(head, row))
    return out


def held_out_disagreements(doc: str, results: dict) -> list[str]:
    """Cells of a doc's held-out diagnosis table (README.md, docs/benchmarks.md: ``| real (113) | **losslens** | ...``)
    that differ from the results file; ``a / b`` cells hold two methods', a range (``76–93``) several: not compared."""
    bad = []
    for table in re.findall(r"^(\| part \| method \|.*\n\|[-|]+\|\n(?:\|.*\n)+)", doc, re.M):
        head, rows = _table_rows(table.splitlines())
        part = None
        for row in rows:
            if row[0]:
                part, cases = re.match(r"(\w+) \((\d+)\)", row[0]).groups()
                if results[(part, "cases")]["cases"] != cases:
                    bad.append(f"{part}: {cases} held-out cases, the results file {results[(part, 'cases')]['cases']}")
            [methods] = [m for k, m in RESULT_METHODS.items() if row[1].startswith(k)]
            for col, cell in zip(head[2:], row[2:]):
                values = cell.split(" / ")
                if col not in RESULT_COLUMNS or cell == "—" or "–" in cell or len(values) != len(methods):
                    continue
                for method, value in zip(methods, values):
                    want = results[(part, method)][RESULT_COLUMNS[col]]
                    if value.replace(",", "") != want:
                        bad.append(f"{part} {method} {col}: {value}, the results file {want}")
    return bad


@pytest.mark.parametrize("doc", [REPO / "README.md", REPO / "docs" / "benchmarks.md"], ids=lambda p: p.name)
def test_the_held_out_table_is_the_results_file(doc):
    """The diagnosis benchmark's held-out figures, quoted in the README and docs/benchmarks.md, are the last run's."""
    text = doc.read_text(encoding="utf-8")
    assert "| part | method |" in text
    bad = held_out_disagreements(text, held_out_results())
    assert not bad, f"{doc.name}: " + "; ".join(bad)


def stopping_scores_disagreements(doc: str, results: str) -> list[str]:
    """Where docs/benchmarks.md's sentence on the stopping rule's defaults on scores ("the same defaults, as
    regenerated last (...), use 5% more epochs than patience 10 at 0.26% median and 2.8% p90 regret (patience 10: p90
    13.5%; held-out half 6% more, 0.16%, 2.5%; ...") differs from benchmarks/results/stopping_scores.md's default
    rows (all curves, held-out half); the sentence missing is one disagreement."""
    m = re.search(r"the same defaults, as regenerated last \([^)]*\), use (\d+)% (more|fewer) epochs than patience 10 "
                  r"at ([\d.]+)% median and ([\d.]+)% p90 regret \(patience 10: p90 ([\d.]+)%; held-out half (\d+)% "
                  r"(more|fewer), ([\d.]+)%, ([\d.]+)%", " ".join(doc.split()))
    if m is None:
        return ["docs/benchmarks.md: no sentence on the defaults on scores as regenerated last"]
    rows = {}
    for line in results.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[0] in ("all", "all, held-out half") and (
                cells[1].startswith("losslens ForecastStopping, defaults") or cells[1] == "Keras EarlyStopping, patience 10"):
            rows[(cells[0], cells[1].split(",")[0])] = cells

    def saved(n: str, word: str) -> str:  # the table's "saved vs patience 10": +19% is 19% fewer
        return f"{'+' if word == 'fewer' else '-'}{n}%"

    d_all, d_held = rows[("all", "losslens ForecastStopping")], rows[("all, held-out half", "losslens ForecastStopping")]
    pairs = [("all: saved", saved(m[1], m[2]), d_all[4]), ("all: median regret", m[3] + "%", d_all[6]),
             ("all: p90 regret", m[4] + "%", d_all[7]), ("patience 10: p90", m[5] + "%", rows[("all", "Keras EarlyStopping")][7]),
             ("held-out: saved", saved(m[6], m[7]), d_held[4]), ("held-out: median regret", m[8] + "%", d_held[6]),
             ("held-out: p90 regret", m[9] + "%", d_held[7])]
    return [f"{what}: {said}, the results file {want}" for what, said, want in pairs
            if said.replace("+0%", "-0%") != want.replace("+0%", "-0%")]


def test_the_stopping_rule_on_scores_is_the_results_file():
    """docs/benchmarks.md quotes the stopping rule's defaults on scores as stopping_scores.md last gave them (it quoted
    "2% fewer epochs at 0.37%" from a table regenerated three times since); an edited copy of either fails."""
    doc = (REPO / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    results = (REPO / "benchmarks" / "results" / "stopping_scores.md").read_text(encoding="utf-8")
    assert not stopping_scores_disagreements(doc, results)
    assert stopping_scores_disagreements(doc.replace("at 0.26% median and 2.8% p90", "at 0.37% median and 2.8% p90"),
                                         results) == ["all: median regret: 0.37%, the results file 0.26%"]
    assert stopping_scores_disagreements(doc.replace("held-out half 6% more, 0.16%", "held-out half 6% fewer, 0.16%"),
                                         results) == ["held-out: saved: +6%, the results file -6%"]


def test_the_layout_path_name_option_and_key_checks_catch_a_drift():
    """Edited copies: each check above flags what it is for."""
    readme, developers = (REPO / "README.md").read_text(encoding="utf-8"), (REPO / "DEVELOPERS.md").read_text(encoding="utf-8")
    assert layout_gaps(readme.replace("  schedules.py ", "  schedule.py  "), developers) == [
        "README.md's module map does not name src/losslens/schedules.py", "README.md's module map names schedule.py, which is not there"]
    assert layout_gaps(readme, developers.replace("`src/losslens/verification.py`", "`src/losslens/verify.py`"))
    assert missing_paths("see `tests/test_doc.py` and src/losslens/readers/keras.py") == ["tests/test_doc.py"]
    assert undefined_private_names("`_hedge_converged`, in `_quote_forecasts`", _defined_names()) == ["_quote_forecasts"]
    assert unknown_script_options("`python benchmarks/forecast_eval.py --calibrate --splits train`") == [
        "benchmarks/forecast_eval.py --splits"]
    assert unknown_script_options("`python -m benchmarks --methods losslens --x-error`") == ["-m benchmarks --x-error"]
    objects = _json_objects()
    doc = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert not undocumented_keys(doc, objects)
    assert undocumented_keys(doc.replace("`points_to`", "`points`"), objects) == ["points_to"]
    bench = (REPO / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert held_out_disagreements(bench.replace("| 0.6 | 130 |", "| 0.6 | 113 |"), held_out_results()) == [
        "real losslens runs/s: 113, the results file 130"]
    assert held_out_disagreements(readme.replace("| 0.82 / 0.79 | 31.0 / 35.9 |", "| 0.82 / 0.79 | 31.0 / 35.8 |"),
                                  held_out_results()) == ["generated keras_es_p10 X error (% of run): 35.8, the results file 35.9"]


# ---- the checks fail when an example drifts -----------------------------------------------------

def test_a_drifted_example_fails(tmp_path, monkeypatch):
    """Edited copies of the README's examples (and of the learning-curve one, in docs/reading.md): each edit is caught."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    copy = tmp_path / "README.md"
    [(cmd, block)] = [(c, b) for w, c, b in OUTPUTS if w.startswith("README.md") and c.split()[1] == "diagnose"]
    got = run_cli(cmd, tmp_path, monkeypatch)
    compare_output(cmd, block.text, got, "README.md")
    for old, new in [("plateau at epoch 6 [6, 7]", "plateau at epoch 6 [5, 7]"),      # X's interval
                     ("also possible: data_limited (50%)", "also likely: data_limited (70%)"),
                     ("the best weights are from epoch 15", "the best weights are from epoch 14"),
                     ("train_loss kept falling after it", "train_loss kept rising after it")]:
        assert old in block.text
        with pytest.raises(AssertionError):
            compare_output(cmd, block.text.replace(old, new), got, "copy")
    # an evidence digit is not pinned
    compare_output(cmd, block.text.replace("noise (19 sds)", "noise (18 sds)"), got, "copy")
    with pytest.raises(AssertionError, match="no option --horizons"):
        check_options("losslens forecast run.csv --horizons 200")
    with pytest.raises(AssertionError, match="no command 'diagnoses'"):
        check_options("losslens diagnoses run.csv")
    reading = (REPO / "docs" / "reading.md").read_text(encoding="utf-8")   # the learning-curve example's home
    copy.write_text(reading.replace("losslens.more_data(sizes, val_scores)", "losslens.more_data(sizes, val_scores, factors=2)"))
    [block] = [b for b in fenced_blocks(copy) if b.lang == "python" and "learning_curve(" in b.text]
    with pytest.raises(AssertionError, match="takes no keyword 'factors'"):
        check_keywords(ast.parse(block.text), "copy")
    copy.write_text(readme.replace("d.plateau_interval", "d.plateau_intervals"))
    [block] = [b for b in fenced_blocks(copy) if b.lang == "python" and "d.plateau_intervals" in b.text]
    with pytest.raises(AttributeError):
        run_python_block(block, tmp_path, monkeypatch)


# ---- a newcomer finds each rule in one place -----------------------------------------------------

def _rule_list() -> list[str]:
    """The rules ``_diagnose`` runs, in its order: the names in its ``for rule in (...)`` tuple."""
    tree = ast.parse((REPO / "src" / "losslens" / "diagnosis.py").read_text(encoding="utf-8"))
    [fn] = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "_diagnose"]
    [loop] = [n for n in ast.walk(fn) if isinstance(n, ast.For) and getattr(n.target, "id", None) == "rule"]
    return [e.id for e in loop.iter.elts]


def verdict_order_gaps(docstring: str, rules: list[str]) -> list[str]:
    """Where the module docstring's verdict order differs from the rule list the code runs (a rule missing, one
    that is not run, or two out of order)."""
    section = docstring[docstring.index("Verdict order"):]
    section = section[:section.index("Two specific readings")]
    named = [m for m in re.findall(r"``(\w+)``", section) if m != "_diagnose"]
    listed = [m for m in named if m != "converged"]
    gaps = [f"not listed: {r}" for r in rules if r not in listed] + [f"not run: {m}" for m in listed if m not in rules]
    if not gaps and listed != rules:
        gaps.append(f"out of order: {listed}")
    return gaps


def test_the_verdict_order_is_the_rule_list_the_code_runs():
    """diagnosis.py's docstring lists the rules in the order ``_diagnose`` runs them (it once left out eight that
    run: dead_from_start, constant_guess, relapsed, climbed_off_floor, bounced, unlearned, units_died, jumped)."""
    import losslens.diagnosis as diagnosis
    rules = _rule_list()
    assert len(rules) > 10 and "overfitting" in rules
    assert not verdict_order_gaps(diagnosis.__doc__, rules)
    # the check catches a drift: a rule dropped, two swapped
    assert verdict_order_gaps(diagnosis.__doc__.replace("``jumped``", "jumped"), rules) == ["not listed: jumped"]
    swapped = diagnosis.__doc__.replace("``bounced``, ``unlearned``", "``unlearned``, ``bounced``")
    assert verdict_order_gaps(swapped, rules)[0].startswith("out of order")


def _cause_rows(doc: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(r"^\| `(\w+)` \|.*$", doc[doc.index("## Causes"):], re.M)}


def test_every_cause_has_a_short_row_and_a_rule_whose_docstring_says_when_it_fires():
    """Every cause in the vocabulary has a row in docs/ARCHITECTURE.md's causes table, short (the signature and the
    main bars: rows once ran to 7,634 characters), and a rule function of its name in diagnosis.py whose docstring
    holds the full conditions; a row that points to ``diagnosis.X`` points to a function that has one."""
    import losslens.diagnosis as diagnosis
    from losslens.result import CAUSES
    rows = _cause_rows((REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8"))
    assert set(rows) == set(CAUSES), set(CAUSES) ^ set(rows)
    long_rows = {c: len(r) for c, r in rows.items() if len(r) > 600}
    assert not long_rows, f"causes rows too long to read (move the detail to the rule's docstring): {long_rows}"
    for cause in CAUSES:
        doc = inspect.getdoc(getattr(diagnosis, cause))
        assert doc and len(doc) > 200, f"diagnosis.{cause} has no docstring saying when it fires"
        for pointed in re.findall(r"`diagnosis\.(\w+)`", rows[cause]):
            assert inspect.getdoc(getattr(diagnosis, pointed, None)), f"{cause}'s row points to diagnosis.{pointed}"


def calibration_results() -> dict[str, dict]:
    """``{part: {"bins": {bin: (verdicts, share right)}, "mean": ..., "right": ..., "brier": ..., "constant": ...,
    "auroc": ...}}`` of benchmarks/results/diagnosis.md's held-out confidence tables (real, generated)."""
    text = (REPO / "benchmarks" / "results" / "diagnosis.md").read_text(encoding="utf-8")
    out = {}
    for part, table, brier, constant, mean, right, auroc in re.findall(
            r"^losslens confidence reliability \((\w+), test\).*?\n\n((?:\|.*\n)+)\nBrier score ([0-9.]+) \(a constant "
            r"[0-9.]+, the share right, would score ([0-9.]+)\); mean confidence ([0-9.]+) vs\. share right (\d+%); "
            r"AUROC of confidence for right vs\. wrong verdicts ([0-9.]+)\.", text, re.M):
        _, rows = _table_rows(table.splitlines())
        out[part] = {"bins": {r[0]: (int(r[1]), r[4], int(r[3])) for r in rows}, "brier": brier, "constant": constant,
                     "mean": mean, "right": right, "auroc": auroc}
    return out


def calibration_disagreements(readme: str, bench: str, results: dict) -> list[str]:
    """Where the README's "verdicts given ≥ 0.9 were right N of M times" and the "after" column of
    docs/benchmarks.md's calibration table (``| 0.8–0.9 | 33 → 26 | 82% → 77% | 9 → 9 | 78% → 89% |``) differ from
    the results file's held-out confidence tables."""
    bad = []
    real, gen = results["real"], results["generated"]
    top = [results[p]["bins"][">= 0.9"] for p in ("real", "generated")]
    m = re.search(r"verdicts given ≥ 0\.9 were right (\d+) of (\d+) times", readme)
    said = (int(m.group(1)), int(m.group(2))) if m else None
    if said != (sum(b[2] for b in top), sum(b[0] for b in top)):
        bad.append(f"README: ≥ 0.9 right {said}, the results file {sum(b[2] for b in top)} of {sum(b[0] for b in top)}")
    m = re.search(r"^(\| verdict confidence \| real: verdicts .*\n\|[-|]+\|\n(?:\|.*\n)+)", bench, re.M)
    if not m:
        return bad + ["docs/benchmarks.md: no calibration table"]
    _, rows = _table_rows(m.group(1).splitlines())
    after = [[c.split("→")[-1].strip() for c in row] for row in rows]
    for row in after:
        if row[0] in real["bins"]:
            want = [str(real["bins"][row[0]][0]), real["bins"][row[0]][1], str(gen["bins"][row[0]][0]),
                    gen["bins"][row[0]][1]]
            if row[1:5] != want:
                bad.append(f"docs/benchmarks.md bin {row[0]}: {row[1:5]}, the results file {want}")
        elif row[0].startswith("all: mean"):
            want = [f"{real['mean']} vs. {real['right']}", f"{gen['mean']} vs. {gen['right']}"]
            if [row[1], row[3]] != want:
                bad.append(f"docs/benchmarks.md mean confidence: {[row[1], row[3]]}, the results file {want}")
        elif row[0].startswith("Brier"):
            want = [f"{real['brier']} ({real['constant']})", f"{gen['brier']} ({gen['constant']})"]
            if [row[1], row[3]] != want:
                bad.append(f"docs/benchmarks.md Brier: {[row[1], row[3]]}, the results file {want}")
        elif row[0].startswith("AUROC"):
            if [row[1], row[3]] != [real["auroc"], gen["auroc"]]:
                bad.append(f"docs/benchmarks.md AUROC: {[row[1], row[3]]}, the results file "
                           f"{[real['auroc'], gen['auroc']]}")
    return bad


def test_the_calibration_figures_are_the_results_files():
    """README's "≥ 0.9 right 65 of 68 times" and docs/benchmarks.md's calibration table (≥ 0.9 49 real, 21 generated
    at 90%; generated Brier 0.117, AUROC 0.58) lagged the results file (66 of 69; 50, 19 at 89%; 0.132, 0.55) by
    several sessions of diagnosis changes: they are read off it now."""
    results = calibration_results()
    assert set(results) == {"real", "generated"}, results
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    bench = (REPO / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    bad = calibration_disagreements(readme, bench, results)
    assert not bad, "; ".join(bad)
    # (and the check sees a drift: a stale bin, count and Brier)
    assert len(calibration_disagreements(readme.replace("right 66 of 69", "right 65 of 68"),
                                         bench.replace("| 15 → 19 | 93% → 89% |", "| 15 → 21 | 93% → 90% |")
                                         .replace("| 4 → 7 | 75% → 71% |", "| 4 → 5 | 75% → 60% |")
                                         .replace("0.134 → **0.132** (0.103)", "0.134 → **0.117** (0.103)"),
                                         results)) == 4


def test_the_forecast_keys_set_only_by_a_floor_or_an_offset_free_loss_are_documented():
    """The forecast keys that only some runs carry (a constant answer's floor: ``prior_floor``; a loss with no zero
    point: ``per_improvement``), each read off the run that sets it: the examples the check above reads set neither,
    and ``prior_floor`` reached ``--json`` unnamed in the doc."""
    eco = REPO / "tests" / "fixtures" / "ecosystem"
    objects = []
    for argv in (["diagnose", str(eco / "prior_level" / "keras_dead.csv"), "--horizon", "200"],
                 ["forecast", str(eco / "torch_gaussian_nll" / "slow.csv"), "--horizon", "199", "--offset-free"]):
        res = CliRunner().invoke(app, [*argv, "--json"])
        assert res.exit_code == 0, res.output
        objects += [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    fc = objects[0]["forecast"]
    assert "prior_floor" in fc and objects[1].get("per_improvement") is True  # (else this checks nothing)
    missing = undocumented_keys((REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8"), objects)
    assert not missing, f"docs/ARCHITECTURE.md does not say what these --json keys are: {missing}"
