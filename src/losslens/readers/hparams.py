"""The hyperparameters a logger saves beside its metrics: Lightning's ``hparams.yaml``.

Lightning's ``CSVLogger`` and ``TensorBoardLogger`` write ``hparams.yaml`` next to ``metrics.csv``
/ the event file (``{}`` unless the module called ``save_hyperparameters()``). Its scalars go to
``Run.meta["hparams"]``, flattened (``optimizer: {weight_decay: 0.05}`` -> ``optimizer.weight_decay``),
so that a rule can quote the setting it blames (a weight decay whose penalty sets the floor).
Only ``key: scalar`` lines are read (no YAML library needed): lists, anchors and Python
objects Lightning pickles into the file are passed over, never an error.
"""

from __future__ import annotations

import re
from pathlib import Path

FILE = "hparams.yaml"
_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][\w.\-]*):(?:[ \t]+(?P<value>[^#\n]*?))?[ \t]*(?:#.*)?$")
_MAX_BYTES = 1 << 20  # a hparams file is a few lines; a huge one is not worth parsing for a quote


def scalars(text: str) -> dict[str, object]:
    """``{dotted.key: value}`` for every ``key: scalar`` line (numbers as float, else the string)."""
    out: dict[str, object] = {}
    stack: list[tuple[int, str]] = []  # (indent, key) of the mappings enclosing the current line
    for line in text.splitlines():
        m = _LINE.match(line)
        if m is None:
            continue
        indent, key, value = len(m["indent"]), m["key"], (m["value"] or "").strip()
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if not value:
            stack.append((indent, key))
            continue
        if value.startswith(("!", "&")):  # a tagged or anchored mapping (a pickled object): its keys are its own
            stack.append((indent, key))
            continue
        if value.startswith(("*", "[", "{", "|", ">")):
            continue
        name = ".".join([k for _, k in stack] + [key])
        value = value.strip("'\"")
        try:
            out[name] = float(value)
        except ValueError:
            out[name] = value
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
