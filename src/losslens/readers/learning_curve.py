"""Learning curves over training-set size: a table of (size, score) rows, for ``losslens data``.

A CSV/TSV (or JSON: a list of records, or a dict of columns) with one column of training-set
sizes and one of validation loss or score, optionally a seed/fold column; several rows per size
without one are read as folds in file order. Written, for example, from scikit-learn's
``learning_curve`` (``train_sizes_abs`` with the mean over folds, or one row per size and fold),
from LCDB, or by hand after training at 25/50/100% of the data. Columns are found by name (below) or named
with ``size=`` / ``metric=``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..columns import TRAINING_SET_SIZE
from ..exceptions import NoLossError, ReadError
from . import _source, delimited, records

#: Training-set size columns, first match wins (case-insensitive).
SIZE_NAMES = TRAINING_SET_SIZE + ("n_samples", "num_samples", "samples", "size", "n")
#: Score columns in order of preference: a validation loss, then a validation score.
METRIC_NAMES = ("val_loss", "valid_loss", "validation_loss", "test_loss", "val_error", "valid_error",
                "val_acc", "valid_acc", "val_accuracy", "validation_accuracy", "valid_acc_mean", "test_acc",
                "test_accuracy", "val_score", "validation_score", "test_score", "test_scores", "score",
                "loss", "error", "accuracy", "acc")
GROUP_NAMES = ("seed", "fold", "split", "repeat", "run", "random_state")


def read_learning_curve(path, *, size: str | None = None, metric: str | None = None):
    """``(sizes, values, metric)``: sizes (n_sizes,), values (n_sizes, n_folds) as written in the
    file, and the metric's column name. Raises a one-line :class:`ReadError` naming the file."""
    source = str(path)
    content = _source.load(Path(path), source)
    if content.kind != "text":
        raise ReadError(f"a {content.kind} file, not a learning-curve table (columns: size, score)", source)
    text = content.text
    if text.lstrip()[:1] in ("{", "["):
        cols = _json_columns(text, source)
    else:
        cols = delimited.parse(text, source)
    lower = {k.lower(): k for k in cols}
    size_col = _pick(lower, size, SIZE_NAMES, source, "training-set size",
                     "name it with --size (e.g. --size n_train)")
    metric_col = _pick(lower, metric, METRIC_NAMES, source, "validation loss or score",
                       "name it with --metric (e.g. --metric val_acc)", NoLossError)
    group_col = next((lower[g] for g in GROUP_NAMES if g in lower), None)
    sizes = np.asarray(cols[size_col], dtype=float) if cols[size_col].dtype != object else None
    if sizes is None:
        raise ReadError(f"column {size_col!r} is not numeric", source)
    values = np.asarray(cols[metric_col], dtype=float) if cols[metric_col].dtype != object else None
    if values is None:
        raise ReadError(f"column {metric_col!r} is not numeric", source)
    ok = np.isfinite(sizes)
    if not ok.any():
        raise ReadError(f"column {size_col!r} has no values", source)
    sizes, values = sizes[ok], values[ok]
    groups = None if group_col is None else np.asarray(cols[group_col])[ok]
    uniq = np.unique(sizes)
    per = [values[sizes == s] for s in uniq]
    counts = {len(p) for p in per}
    if len(counts) != 1:
        shown = ", ".join(f"{s:g}: {len(p)}" for s, p in zip(uniq[:6], per[:6])) + (", ..." if len(uniq) > 6 else "")
        raise ReadError(f"sizes have different numbers of rows ({shown}): give every size the same folds/seeds "
                        "(a file of several learning curves: write one per file)", source)
    if groups is not None:  # order each size's rows by their seed/fold so columns line up
        per = [values[sizes == s][np.argsort(groups[sizes == s].astype(str), kind="stable")] for s in uniq]
    return uniq, np.stack(per), metric_col


def _pick(lower: dict, wanted, names, source, what, hint, error=ReadError) -> str:
    if wanted is not None:
        if wanted.lower() in lower:
            return lower[wanted.lower()]
        raise error(f"no column {wanted!r} (columns: {', '.join(lower.values())})", source)
    for n in names:
        if n in lower:
            return lower[n]
    raise error(f"no {what} column (columns: {', '.join(lower.values())}); {hint}", source)


def _json_columns(text: str, source: str) -> dict[str, np.ndarray]:
    """A list of records (or JSON Lines), or a dict of equal-length columns, as columns."""
    try:
        obj = json.loads(text)
    except RecursionError:
        raise ReadError("unreadable JSON: nested too deeply", source) from None
    except ValueError:
        obj = records.parse_jsonl(text, source)  # one object per line, or a one-line error
    if isinstance(obj, dict) and obj and all(isinstance(v, list) for v in obj.values()):
        if len({len(v) for v in obj.values()}) != 1:
            raise ReadError("JSON columns have different lengths", source)
        obj = [dict(zip(obj, row)) for row in zip(*obj.values())]
    rows = [r for r in obj if isinstance(r, dict)] if isinstance(obj, list) else []
    if not rows:
        raise ReadError("JSON is neither a list of records nor a dict of columns", source)
    return records.to_columns(rows)
