"""The hyperparameters a logger saves beside its metrics: Lightning's ``hparams.yaml``.

Lightning's ``CSVLogger`` and ``TensorBoardLogger`` write ``hparams.yaml`` next to ``metrics.csv``
/ the event file (``{}`` unless the module called ``save_hyperparameters()``). Its scalars go to
``Run.meta["hparams"]``, flattened (``optimizer: {weight_decay: 0.05}`` -> ``optimizer.weight_decay``),
so that a rule can quote the setting it blames (a weight decay whose penalty sets the floor).

Parsed with PyYAML (Lightning depends on it, so it is there wherever this file is written; without
it the file is passed over). Python objects Lightning pickles into the file (``!!python/object``
tags) and lists are passed over, never an error: the file is context for a quote, not the run.
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


def scalars(text: str) -> dict[str, object]:
    """``{dotted.key: value}`` for every scalar in the file (numbers as float, else the string);
    {} where PyYAML is missing or the text is not a YAML mapping."""
    try:
        yaml, loader = _loader()
    except ImportError:
        return {}
    try:
        tree = yaml.load(text, Loader=loader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError:
        return {}
    out: dict[str, object] = {}
    if isinstance(tree, dict):
        _flatten(tree, "", out)
    return out


def beside(path: Path) -> dict[str, object] | None:
    """The scalars of the ``hparams.yaml`` in ``path``'s folder, or None (no such file, unreadable)."""
    try:
        f = path.parent / FILE
        if not f.is_file() or f.stat().st_size > _MAX_BYTES:
            return None
        return scalars(f.read_text(encoding="utf-8", errors="replace")) or None
    except OSError:
        return None
