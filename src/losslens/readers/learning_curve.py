"""Learning curves over training-set size: a table of (size, score) rows, for ``losslens data``.

A CSV/TSV (or JSON: a list of records, or a dict of columns) with one column of training-set
sizes and one of validation loss or score, optionally a seed/fold column; several rows per size
without one are read as folds in file order. Written, for example, from scikit-learn's
``learning_curve`` (``train_sizes_abs`` with the mean over folds, or one row per size and fold),
from LCDB, or by hand after training at 25/50/100% of the data. Columns are found by name (below) or named
with ``size=`` / ``metric=``. A model, learner, dataset or any other text column splits the table into
several curves (:func:`read_learning_curves`); without that, two models' rows at the same sizes would
read as folds of one curve.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..columns import TRAINING_SET_SIZE, axis_kind, canonical, negated_loss, normalise, split_role
from ..exceptions import NoLossError, ReadError
from . import _source, delimited, records, table
from .table import groups_of, id_label

#: Training-set size columns, first match wins (case-insensitive).
SIZE_NAMES = TRAINING_SET_SIZE + ("n_samples", "num_samples", "samples", "size", "n")
#: Score columns in order of preference: a validation loss, then a validation score.
METRIC_NAMES = ("val_loss", "valid_loss", "validation_loss", "test_loss", "val_error", "valid_error",
                "val_acc", "valid_acc", "val_accuracy", "validation_accuracy", "valid_acc_mean", "test_acc",
                "test_accuracy", "val_score", "validation_score", "test_score", "test_scores", "score",
                "loss", "error", "accuracy", "acc")
#: What a curve's rows at one size are, by the column that numbers them: the word ``losslens data`` says
#: ("mean of 3 seeds"). Without such a column they are scikit-learn's ``learning_curve`` folds. In order of
#: priority: of two such columns, the first here numbers the rows.
REPEAT_WORDS = {"seed": "seeds", "fold": "folds", "split": "splits", "repeat": "repeats", "run": "runs",
                "random_state": "seeds"}
#: The columns that number a curve's repeated rows, first found wins: :data:`REPEAT_WORDS`'s keys, in its order.
GROUP_NAMES = tuple(REPEAT_WORDS)


#: Columns that say which curve a row belongs to, in a file of several (one per model, dataset
#: ...); any text column other than the seed/fold one does too.
CURVE_NAMES = ("run_id", "curve", "model", "learner", "estimator", "dataset", "openmlid", "task", "name")


def read_learning_curves(path, *, size: str | None = None, metric: str | None = None):
    """Every learning curve in a table (see :func:`_read_curves`). A file this cannot read that is a training
    log (a run ``losslens diagnose`` reads: the lab's run JSON, a Trainer's ``trainer_state.json``, a TensorBoard
    folder, a Keras ``history.json``) is refused in one line that says so and names the command that reads it; a
    folder, in one line naming both commands."""
    try:
        return _read_curves(path, size=size, metric=metric)
    except ReadError as exc:  # (NoLossError is one)
        if table.is_frame(path) or size is not None:
            raise
        if exc.problem == "is a directory":  # (reading a whole tree to tell would take as long as diagnosing it)
            raise ReadError(f"is a directory: `losslens data` reads one table with a row per training-set size; a "
                            f"folder of training logs (TensorBoard, a Trainer's output) is what `losslens diagnose "
                            f"{exc.source}` reads", exc.source) from None
        if not _is_training_log(path, exc):
            raise
        raise type(exc)(f"a training log, which `losslens diagnose {exc.source}` reads; `losslens data` needs a "
                        "learning curve, a table with one row per training-set size (--size COLUMN names its "
                        "column)", exc.source) from None


def _is_training_log(path, exc) -> bool:
    """True where ``path``, refused as a learning curve, is a run the diagnose readers read: a JSON that is no
    table (or whose columns differ in length: a Keras history evaluated every k epochs), or a table with no size
    column whose every column is a series losslens knows (loss, val_loss, an lr ...: a Keras history.json). A
    table with an unknown column ("nn") may be a learning curve whose size column is misnamed, and keeps its own
    message."""
    problem = exc.problem
    if not (problem.startswith(("JSON is neither", "JSON columns have different lengths"))
            or problem.startswith("no training-set size column")):
        return False
    if problem.startswith("no training-set size column"):
        names = problem.split("(columns: ", 1)[1].split(")", 1)[0].split(", ")
        if not all(canonical(n) or axis_kind(n) for n in names):
            return False
    import logging

    from . import read

    before = logging.root.manager.disable
    logging.disable(logging.CRITICAL)  # its notes are about a run this command will not diagnose
    try:
        runs = read(path)
    except Exception:  # whatever diagnose would say of it, it is no training log this command can point to
        return False
    finally:
        logging.disable(before)
    return any(len(r.axis) >= 2 and r.series for r in runs)


def _read_curves(path, *, size: str | None = None, metric: str | None = None):
    """Every learning curve in a table: ``(curves, by)`` with ``curves`` a list of ``(name, sizes,
    values, metric, repeats)`` in file order (sizes (n_sizes,), values (n_sizes, n_folds) as written;
    ``repeats`` what the rows at one size are, by their column: ``"seeds"``, ``"folds"`` …) and
    ``by`` the columns that tell the curves apart (empty for a file of one curve, named None).
    ``path`` may be the table itself as a pandas DataFrame (errors then name it "DataFrame").
    Raises a one-line :class:`ReadError` naming the file."""
    source = source_name(path)
    if table.is_frame(path):
        # A pandas DataFrame of the same columns: the table a user just built from learning_curve,
        # which more_data(df) once refused ("got DataFrame") though forecast(df) took its kind.
        cols = table.frame_columns(path)
    else:
        content = _source.load(Path(path), source)
        if content.kind != "text":
            raise ReadError(f"a {content.kind} file, not a learning-curve table (columns: size, score)", source)
        text = content.text
        _source.refuse_own_output(text, source)
        if text.lstrip()[:1] in ("{", "["):
            cols = _json_columns(text, source)
        else:  # a last line cut off mid-write is left out, with a warning, as read_file does
            cols = delimited.parse(_source.without_cut_line(text, source), source)
    lower = {k.lower(): k for k in cols}
    axis = next((c for c in cols if axis_kind(c)), None)
    if size is None and axis is not None and not any(n in lower for n in SIZE_NAMES):
        # The mirror of diagnose on a learning curve ("column 'train_size' holds training-set sizes, not
        # epochs"): the README's keras_csvlogger.csv given to `losslens data` read "no training-set size column".
        raise ReadError(f"column {axis!r} counts {axis_kind(axis)}s, not training-set sizes: a training log, which "
                        f"`losslens diagnose {source}` reads (a learning curve has a row per training-set size; "
                        "--size COLUMN names one)", source)
    size_col = _pick(lower, size, SIZE_NAMES, source, "training-set size",
                     "name it with --size (e.g. --size n_train)")
    if metric is None and not any(n in lower for n in METRIC_NAMES):
        metric = _named_metric(cols, size_col)
    metric_col = _pick(lower, metric, METRIC_NAMES, source, "validation loss or score",
                       "name it with --metric (e.g. --metric val_acc)", NoLossError)
    group_col = next((lower[g] for g in GROUP_NAMES if g in lower), None)
    # Two models' rows at the same sizes would otherwise read as two folds of one curve.
    by = [c for c in cols if c not in (size_col, metric_col, group_col)
          and (cols[c].dtype == object or c.lower() in CURVE_NAMES)]
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
    repeats = REPEAT_WORDS[group_col.lower()] if group_col is not None else "folds"
    if not by:
        return [(None, *_one_curve(sizes, values, groups, source, None), metric_col, repeats)], []
    keys = np.array(["/".join(id_label(v) for v in row) for row in zip(*(cols[c][ok] for c in by))], dtype=object)
    curves = []
    for key, rows in zip(*groups_of(keys)):
        part = None if groups is None else groups[rows]
        curves.append((key, *_one_curve(sizes[rows], values[rows], part, source, key), metric_col, repeats))
    return curves, by


def read_learning_curve(path, *, size: str | None = None, metric: str | None = None, curve: str | None = None):
    """``(sizes, values, metric, repeats)`` of the table's one learning curve, or of the one named ``curve``
    in a file of several (see :func:`read_learning_curves`)."""
    curves, by = read_learning_curves(path, size=size, metric=metric)
    return pick_curve(curves, by, curve, source_name(path))[1:]


def source_name(path) -> str:
    """The table as an error names it: a path whole, a DataFrame as 'DataFrame'."""
    return "DataFrame" if table.is_frame(path) else str(path)


def pick_curve(curves, by, curve: str | None, source: str):
    """The entry of ``curves`` named ``curve``; without a name, the only one (else a one-line error
    listing some)."""
    if curve is not None:
        match = [c for c in curves if c[0] == str(curve)]
        if match:
            return match[0]
        if not by:
            raise ReadError(f"no curve {curve!r}: the file holds one learning curve", source)
        from ..facts import did_you_mean

        raise ReadError(f"no curve {curve!r} (curves by {'/'.join(by)}: {_shown(curves)})"
                        f"{did_you_mean(curve, [c[0] for c in curves])}", source)
    if len(curves) > 1:
        raise ReadError(f"holds {len(curves)} learning curves (by {'/'.join(by)}: {_shown(curves)}); "
                        "pick one with curve= (CLI: --curve)", source)
    return curves[0]


def _one_curve(sizes, values, groups, source, name):
    uniq = np.unique(sizes)
    per = [values[sizes == s] for s in uniq]
    counts = {len(p) for p in per}
    if len(counts) != 1:
        shown = ", ".join(f"{s:g}: {len(p)}" for s, p in zip(uniq[:6], per[:6])) + (", ..." if len(uniq) > 6 else "")
        where = f"curve {name!r}: " if name is not None else ""
        raise ReadError(f"{where}sizes have different numbers of rows ({shown}): give every size the same "
                        "folds/seeds", source)
    if groups is not None:  # order each size's rows by their seed/fold so columns line up
        per = [values[sizes == s][np.argsort(groups[sizes == s].astype(str), kind="stable")] for s in uniq]
    return uniq, np.stack(per)


def _named_metric(cols, size_col) -> str | None:
    """The column a table names its validation metric by, where :data:`METRIC_NAMES` does not spell it: one the
    column table knows as the validation loss or accuracy (``eval_loss``, ``val_losses``) or as a negated one
    (``test_neg_mean_squared_error``), else one whose name says which way is better
    (:func:`losslens.facts.metric_direction`: ``val_mse``, ``val_auc``, ``mean_test_score``), a held-out split's
    before a name without a split (``neg_mse``, ``r2``); never a training split's (``mean_train_score``).
    :func:`losslens.facts.learning_curve.from_scores` reads its direction off the same name."""
    from ..facts import metric_direction

    held, bare = [], []
    for c in cols:
        if c == size_col or axis_kind(c) or cols[c].dtype == object or c.lower() in GROUP_NAMES:
            continue
        n = normalise(c)
        if canonical(n) in ("val_loss", "val_acc") or negated_loss(n) == "val_loss":
            held.append(c)
            continue
        roles = {split_role(w) for w in n.split("_")} - {None}
        if metric_direction(c) is None or "train" in roles or c.lower() in SIZE_NAMES:
            continue
        (held if roles else bare).append(c)
    return (held + bare)[0] if held or bare else None


def _shown(curves, k: int = 4) -> str:
    return ", ".join(str(c[0]) for c in curves[:k]) + (" ..." if len(curves) > k else "")


def _pick(lower: dict, wanted, names, source, what, hint, error=ReadError) -> str:
    if wanted is not None:
        if wanted.lower() in lower:
            return lower[wanted.lower()]
        from ..facts import did_you_mean

        raise error(f"no column {wanted!r} (columns: {', '.join(lower.values())})"
                    f"{did_you_mean(wanted, lower.values())}", source)
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
