"""The hyperparameters a logger saves beside its metrics: Lightning's ``hparams.yaml``.

Lightning's ``CSVLogger`` and ``TensorBoardLogger`` write ``hparams.yaml`` next to ``metrics.csv``
/ the event file (``{}`` unless the module called ``save_hyperparameters()``). Its scalars go to
``Run.meta["hparams"]``, flattened (``optimizer: {weight_decay: 0.05}`` -> ``optimizer.weight_decay``),
so that a rule can quote the setting it blames (a weight decay whose penalty sets the floor).

Parsed with PyYAML (Lightning depends on it, so it is there wherever this file is written; without
it the file is passed over). Python objects Lightning pickles into the file (``!!python/object``
tags) and lists are passed over, never an error: the file is context for a quote, not the run. A file
that is not YAML, or whose top level is no mapping of settings (an edited or half-written file), is
passed over too, said in one warning naming it (:func:`read_mapping`, which Ultralytics' ``args.yaml``
is read through as well): the log beside it reads as it would without it.
"""

from __future__ import annotations

from pathlib import Path

FILE = "hparams.yaml"
_MAX_BYTES = 1 << 20  # a hparams file is a few lines; a huge one is not worth parsing for a quote


def _loader():
    import yaml

    class Loader(yaml.SafeLoader):
        """SafeLoader that reads any tag it does not know (a pickled Python object) as None."""

    Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    return yaml, Loader


def _flatten(tree: dict, prefix: str, out: dict[str, object]) -> None:
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, f"{name}.", out)
        elif isinstance(value, bool):
            out[name] = str(value).lower()
        elif isinstance(value, (int, float)):
            out[name] = float(value)
        elif isinstance(value, str):
            try:  # YAML 1.1 reads "1e-5" (no dot) as a string; a setting means the number
                out[name] = float(value)
            except ValueError:
                out[name] = value


def _parse(text: str) -> tuple[dict[str, object] | None, str | None]:
    """``(scalars, problem)``: ``{dotted.key: value}`` for every scalar in the text, and None, or ``({}, what is
    wrong)`` for text that is not YAML or whose top level is no mapping. An empty file is ``({}, None)``: nothing
    to read, nothing wrong with it; PyYAML missing is ``(None, None)``: the file cannot be read here."""
    try:
        yaml, loader = _loader()
    except ImportError:
        return None, None
    try:
        tree = yaml.load(text, Loader=loader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        return {}, f"not YAML ({_yaml_problem(exc)})"
    if tree is None:
        return {}, None
    if not isinstance(tree, dict):
        kind = "a list" if isinstance(tree, list) else f"a single value, {str(tree)[:40]!r}"
        return {}, f"not a mapping of settings (it holds {kind})"
    out: dict[str, object] = {}
    _flatten(tree, "", out)
    return out, None


def _yaml_problem(exc) -> str:
    """PyYAML's error in one line: its problem and where (``expected ',' or ']' at line 2, column 1``)."""
    problem, mark = getattr(exc, "problem", None), getattr(exc, "problem_mark", None)
    if problem and mark is not None:
        text = f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    else:  # a ReaderError (a control character): its message names the character
        text = (str(exc).splitlines() or ["unreadable"])[0]
    return " ".join(text.split())


def scalars(text: str) -> dict[str, object]:
    """``{dotted.key: value}`` for every scalar in the file (numbers as float, else the string);
    {} where PyYAML is missing or the text is not a YAML mapping."""
    return _parse(text)[0] or {}


def read_mapping(f: Path, passed_over: str) -> dict[str, object] | None:
    """The scalars of the YAML file ``f`` (``{}`` for an empty file or an empty mapping), or None where there is
    none to read: no such file, over 1 MiB, unreadable, PyYAML missing -- passed over in silence -- or not YAML or
    not a mapping, said in one warning naming ``f``, the problem and ``passed_over`` (what goes unread)."""
    try:
        if not f.is_file() or f.stat().st_size > _MAX_BYTES:
            return None
        text = f.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    out, problem = _parse(text)
    if problem is not None:
        from ._source import warn

        warn(f, "%s: passed over, %s", problem, passed_over)
        return None
    return out


def beside(path: Path) -> dict[str, object] | None:
    """The scalars of the ``hparams.yaml`` in ``path``'s folder, or None (no such file, unreadable, empty; not a
    YAML mapping, said in a warning)."""
    return read_mapping(path.parent / FILE, "its settings (a weight decay to quote) are not read") or None


#: Files beside a log that are its settings, not another run: a folder holding only these and the log is one run's.
_SETTINGS_FILES = (FILE, "params.json", "config.yaml", "args.yaml", "config.json")


def alone(path: Path) -> bool:
    """``path`` is the only file in its folder but settings files (and hidden ones): an ``hparams.yaml`` there is
    its run's whatever the log is named (a ``log.csv`` a script wrote beside it); where another file sits there
    too, the settings need not be this log's."""
    try:
        return not any(f.is_file() and f != path and not f.name.startswith(".") and f.name not in _SETTINGS_FILES
                       for f in path.parent.iterdir())
    except OSError:
        return False


#: What Ray Tune writes in each trial's folder: the trial's config (params.json), beside its reports
#: (progress.csv, result.json: one row / JSON object a ``tune.report``, each object holding the config again).
TUNE_CONFIG = "params.json"
TUNE_LOGS = ("progress.csv", "result.json")


def tune_config(path: Path) -> dict[str, object] | None:
    """The config of the Ray Tune trial whose report log ``path`` is (``progress.csv`` or ``result.json``): its
    ``params.json``, else the ``config`` of ``result.json``'s first report; None where neither holds a JSON object
    (an unreadable or damaged file is passed over in silence: it is context for the settings, not the run)."""
    import json

    if path.name not in TUNE_LOGS:
        return None
    try:
        f = path.parent / TUNE_CONFIG
        if f.is_file() and f.stat().st_size <= _MAX_BYTES:
            found = json.loads(f.read_text(encoding="utf-8", errors="replace"))
            if isinstance(found, dict) and found:
                return found
        f = path.parent / TUNE_LOGS[1]
        if f.is_file():
            with open(f, encoding="utf-8", errors="replace") as fh:
                first = fh.readline(_MAX_BYTES)
            found = json.loads(first).get("config") if first.strip() else None
            if isinstance(found, dict) and found:
                return found
    except (OSError, ValueError, AttributeError):
        return None
    return None
