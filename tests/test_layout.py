"""The package's layout, read off its source: a module uses another's public names only.

A name with a leading underscore is its module's own business; a module that imports one from another (or reads
it off an imported module, ``plot._sig``) couples to what its owner may rename or move without a word. Such a name is
made public where another module needs it, or the code moves where it belongs (``api._from_frame``, a reader, is
``readers.table.from_frame``). A private module (``integrations/_core.py``, ``readers/_source.py``) is its package's
shared code: importing it, and its public names, is fine.
"""

import ast
from pathlib import Path

import losslens

# The losslens on the path (this checkout's src/, or whichever the test runs against).
PACKAGE = Path(losslens.__file__).resolve().parent


def _module_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(path: Path, node: ast.ImportFrom) -> str | None:
    """The absolute module name ``node`` imports from; None for a module outside losslens."""
    if node.level == 0:
        return node.module if node.module and node.module.split(".")[0] == "losslens" else None
    package = _module_of(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[:len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_module(name: str) -> bool:
    where = PACKAGE.parent.joinpath(*name.split("."))
    return where.with_suffix(".py").is_file() or (where / "__init__.py").is_file()


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(path: Path, text: str | None = None) -> list[str]:
    """``file:line: what`` for each private name of another losslens module that ``path`` (its source ``text``,
    else the file's) imports or reads."""
    tree = ast.parse(path.read_text(encoding="utf-8") if text is None else text)
    own = _module_of(path)
    modules, found = {}, []  # local name -> the losslens module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _resolve(path, node)
            if source is None:
                continue
            for alias in node.names:
                target = f"{source}.{alias.name}"
                if _is_module(target):
                    modules[alias.asname or alias.name] = target
                elif _private(alias.name) and source != own:
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: from {source} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "losslens" and alias.asname:
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and _private(node.attr) and isinstance(node.value, ast.Name)
                and node.value.id in modules and modules[node.value.id] != own):
            found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {modules[node.value.id]}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names():
    found = [use for path in sorted(PACKAGE.rglob("*.py")) for use in private_uses(path)]
    assert not found, "private names used across modules:\n" + "\n".join(found)


def test_the_check_sees_each_kind_of_use():
    """The check finds a private name imported from a sibling and one read off an imported module, and passes a
    private module and a module's own names: report/html.py as it is, with such lines added."""
    html = PACKAGE / "report" / "html.py"
    text = html.read_text(encoding="utf-8") + (
        "\n\ndef _probe():\n"
        "    from .plot import _label\n"             # a sibling's private function
        "    from ..integrations import _core\n"    # a private module: fine
        "    from . import html\n"                   # this module itself: its own names are fine
        "    return _label, _core, plot._arr, html._svg\n")
    uses = private_uses(html, text)
    assert [u.split(": ", 1)[1] for u in uses] == ["from losslens.report.plot import _label",
                                                   "losslens.report.plot._arr"], uses


# The layers run one way, readers -> Run -> facts -> diagnosis -> report: a measurement that imports the rules
# (facts/learning_curve.py once asked diagnosis whether its curve was data_limited) cannot be read, tested or
# reused without them, and a rule edit can change a fact.
# (A result object's own save_plot / _repr_html_ drawing it through report/, as result.Diagnosis does, is a
# convenience of the object, not a measurement that depends on an opinion: not counted.)
ABOVE_FACTS = ("losslens.diagnosis", "losslens.verification", "losslens.comparison", "losslens.api",
               "losslens.cli", "losslens.commands")


def upward_imports(path: Path, text: str | None = None) -> list[str]:
    """``file:line: module`` for each import in ``path`` (a facts module) of a layer above the facts."""
    tree = ast.parse(text if text is not None else path.read_text(encoding="utf-8"))
    bad = []
    for node in ast.walk(tree):
        names = [_resolve(path, node)] if isinstance(node, ast.ImportFrom) else \
            [a.name for a in node.names] if isinstance(node, ast.Import) else []
        for name in filter(None, names):
            if any(name == m or name.startswith(m + ".") for m in ABOVE_FACTS):
                bad.append(f"{path.name}:{node.lineno}: {name}")
    return bad


def test_no_fact_imports_a_layer_above_it():
    bad = [b for path in sorted((PACKAGE / "facts").glob("*.py")) for b in upward_imports(path)]
    assert not bad, bad
    # the check sees a lazy import inside a function, relative or absolute
    lc = PACKAGE / "facts" / "learning_curve.py"
    assert upward_imports(lc, "def f():\n    from ..diagnosis import learning_curve_cause\n") == [
        "learning_curve.py:2: losslens.diagnosis"]
    assert upward_imports(lc, "import losslens.verification\n") == ["learning_curve.py:1: losslens.verification"]
