"""What Keras' ``fit`` printed: a captured console log (``python train.py > out.txt``, a notebook's
output, ``nohup.out``) read as a training log.

Each epoch starts with ``Epoch 3/20``; the progress line that follows ends with the epoch's
metrics, ``... - loss: 0.4556 - mae: 0.5441 - val_loss: 0.1685 - val_mae: 0.3362`` (Keras 2's
``[=====]`` bar and Keras 3's, ``verbose=1`` or ``2``). With ``verbose=1`` the bar is redrawn with
carriage returns, backspaces and colour codes; the last drawing of each epoch holds its end-of-epoch
values, validation included. Epochs keep the printed (1-based) numbers, the ones the user saw.
Messages of callbacks (``Epoch 5: val_loss improved ...``, ``early stopping``) carry no
``name: value`` pairs and are skipped; a second ``Epoch 1/N`` starts a new ``fit`` (the table
reader tells continued training from a new model).
"""

from __future__ import annotations

import re

import numpy as np

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_EPOCH = re.compile(r"^\s*Epoch (\d+)/(\d+)\s*$")
_PAIR = re.compile(r"(?<![\w.])([A-Za-z_][\w./]*): ([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)(?![\w.])")


def _lines(text: str) -> list[str]:
    """Every drawing of every line: colour codes and backspaces gone, carriage returns split."""
    text = _ANSI.sub("", text).replace("\b", "")
    return [seg for line in text.split("\n") for seg in line.split("\r")]


def is_keras_console(text: str) -> bool:
    """At least two ``Epoch k/N`` headers and a ``loss: <number>`` after them."""
    head = text[:2_000_000]
    if head.count("Epoch ") < 2 or "loss: " not in head:
        return False
    return sum(1 for ln in _lines(head) if _EPOCH.match(ln)) >= 2


def keras_console_columns(text: str) -> dict[str, np.ndarray]:
    """``{"epoch": ..., metric: ...}`` from the last metrics line of each printed epoch."""
    rows: list[tuple[int, dict]] = []
    epoch, last = None, None
    for ln in _lines(text):
        m = _EPOCH.match(ln)
        if m:
            if epoch is not None and last:
                rows.append((epoch, last))
            epoch, last = int(m.group(1)), None
            continue
        if epoch is None:
            continue
        pairs = {k: float(v) for k, v in _PAIR.findall(ln)}
        if pairs:
            last = pairs
    if epoch is not None and last:
        rows.append((epoch, last))
    names = list(dict.fromkeys(k for _, r in rows for k in r))
    cols = {"epoch": np.array([e for e, _ in rows], dtype=float)}
    for name in names:
        cols[name] = np.array([r.get(name, np.nan) for _, r in rows], dtype=float)
    return cols


def is_notebook(obj) -> bool:
    """A Jupyter notebook (nbformat 4): a dict with ``cells`` and ``nbformat``."""
    return isinstance(obj, dict) and isinstance(obj.get("cells"), list) and "nbformat" in obj


def notebook_outputs(nb: dict) -> list[tuple[int, str]]:
    """``(cell number, printed text)`` of every code cell whose saved output is a Keras fit log
    (cells numbered from 1 in the notebook's order, as Jupyter shows them)."""
    found = []
    for i, cell in enumerate(nb["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        parts = []
        for out in cell.get("outputs") or []:
            if not isinstance(out, dict):
                continue
            text = out.get("text")
            if text is None and isinstance(out.get("data"), dict):
                text = out["data"].get("text/plain")
            parts.append("".join(text) if isinstance(text, list) else str(text or ""))
        text = "".join(parts)
        if is_keras_console(text):
            found.append((i, text))
    return found


_HF_DICT = re.compile(r"^\s*\{'[A-Za-z_]\w*': ")


def is_hf_console(text: str) -> bool:
    """What a Hugging Face ``Trainer`` printed: dict lines (``{'loss': '2.748', ..., 'epoch': '2'}``),
    at least two of them with an epoch and a loss."""
    head = text[:2_000_000]
    if "'epoch'" not in head:  # every CSV passes here: no line-splitting without the one key
        return False
    hits = 0
    for ln in _lines(head):
        if _HF_DICT.match(ln) and "'epoch'" in ln and ("'loss'" in ln or "'eval_loss'" in ln):
            hits += 1
            if hits >= 2:
                return True
    return False


def hf_console_rows(text: str) -> list[dict]:
    """One row per printed log dict, values as numbers (recent versions print them as strings);
    the end-of-training summary (``train_runtime``, a mean ``train_loss``) is not a point of the curve."""
    import ast

    rows = []
    for ln in _lines(text):
        s = ln.strip()
        if not (_HF_DICT.match(s) and s.endswith("}")):
            continue
        try:
            obj = ast.literal_eval(s)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
        if not isinstance(obj, dict) or "train_runtime" in obj:
            continue
        row = {}
        for k, v in obj.items():
            try:
                row[str(k)] = float(v)
            except (TypeError, ValueError):
                pass
        if "epoch" in row:
            rows.append(row)
    return rows
