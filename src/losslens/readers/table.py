"""Columns -> Runs: the axis, the column names, long-format run ids, Lightning and YOLO logs.

Every tabular reader (CSV/TSV, JSON Lines, JSON records, Hugging Face ``log_history``) ends
here, so one set of rules decides for all of them:

* **Axis.** ``epoch`` when there is an epoch column with whole numbers; ``step`` when the
  epoch column is fractional (Hugging Face: the epoch is kept as the series ``epoch_frac``)
  or absent; the row number (from 0, as Keras counts epochs) when there is neither.
  An ``epoch`` column with repeated values next to a ``step`` column is a Lightning
  ``metrics.csv``: rows are folded onto epochs by :func:`losslens.readers.lightning.per_epoch`
  (with fewer than 3 epochs the step axis is kept, as an epoch axis would hold no curve, and so it is where
  validation was checked inside the epochs, ``val_check_interval=0.5``: every check a point at its step).
* **Row index.** An unnamed first column counting rows 0, 1, 2 ... (pandas' ``to_csv`` index,
  e.g. ``pd.DataFrame(history.history).to_csv(...)``) is the row number, not a metric: dropped; so is an
  ``Unnamed: 0`` column counting so (that file read back with ``pd.read_csv`` and written again).
* **Names** go through :func:`losslens.columns.map_columns` (``columns=`` overrides it:
  ``{"val_loss": "my_dev_loss"}``; ``{"epoch": "iter"}`` names the axis column).
* **Long format.** A text column named ``run_id`` / ``run`` / ``run_name`` / ``experiment``
  with repeated values (or the column named by ``run_column=``) splits the rows into runs,
  in order of first appearance; ``run_id=`` keeps one.
* **Loss parts.** Ultralytics YOLO logs ``train/box_loss``, ``train/cls_loss``,
  ``train/dfl_loss`` (and ``val/...``) but no total. Only when no plain train (validation)
  loss column exists and the same parts are logged for both splits, ``train_loss``
  (``val_loss``) is the sum of the ``train_*_loss`` (``val_*_loss``) columns -- the total the
  detector minimises, up to Ultralytics' fixed gains -- and the parts stay as their own
  series. ``meta["loss_parts"]`` says so. ``eval_<name>_loss`` columns with no counterpart on
  the training side are several evaluation sets (Hugging Face's ``eval_dataset={...}``), not
  parts: the first is the validation loss.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Collection, Mapping, Sequence

import numpy as np

from ..columns import (ACCURACY_FALLBACK, LOSS_PARTS, LOSS_SERIES, SCORE_COLUMN, TRAINING_SET_SIZE, WALL_CLOCK,
                       adversarial_middles, adversarial_players, axis_kind, canonical, given_columns, is_trainer_timing,
                       map_columns,
                       negated_loss, normalise, primary_score, spelt_as,
                       keep_validation_sets, rescaled_loss, rl_reward, split_role)
from ..exceptions import NoLossError, ReadError, RunNotFoundError, UnknownFormatError, UsageTypeError
from ..run import Run
from . import _source, delimited, lightning
from ._source import goes_on

RUN_COLUMNS = ("run_id", "run", "run_name", "experiment", "runid", "run_uuid", "experiment_name")
#: Numeric columns that tell runs apart when the epoch repeats (any text column can, too).
SPLIT_COLUMNS = ("seed", "random_state", "model", "trial", "config", "version", "fold", "repeat", "model_id",
                 # (a cross-validation's or a repeat's own spellings: cvcol_cv_fold.csv read its 5 folds as #1 ... #5)
                 "cv_fold", "fold_idx", "fold_id", "replicate", "random_seed")
_MIN_FOLDED_EPOCHS = 3


def _drop_row_index(columns_data: Mapping[str, np.ndarray], header_rows: Sequence[int] = ()
                    ) -> Mapping[str, np.ndarray]:
    """Without pandas' index columns: the unnamed first one (the parser names a blank header ``column_0``), and
    ``Unnamed: 0``, pandas' name for that column where a file written with its index was read back and
    written again with another: each counts the rows 0, 1, 2 ..., from 0 again at each of ``header_rows`` (a frame
    appended with its header, ``to_csv(mode="a")``)."""
    n = len(next(iter(columns_data.values()))) if columns_data else 0
    counts = np.concatenate([np.arange(b - a, dtype=float)
                             for a, b in zip([0, *header_rows], [*header_rows, n])]) if n else np.zeros(0)

    def row_index(i, name):
        values = columns_data[name]
        named = (i == 0 and name == "column_0") or re.fullmatch(r"Unnamed: \d+(?:\.\d+)?", name)
        return named and values.dtype != object and values.shape[0] > 0 \
            and (np.array_equal(values, np.arange(values.shape[0], dtype=float)) or np.array_equal(values, counts))

    dropped = {name for i, name in enumerate(columns_data) if row_index(i, name)}
    if not dropped or len(dropped) == len(columns_data):
        return columns_data
    return {k: v for k, v in columns_data.items() if k not in dropped}


def csv_runs(text: str, source: str, fmt: str, **options) -> list[Run]:
    """The runs of a delimited table's ``text`` (a CSV, or a sheet written as one): parsed by
    :func:`~losslens.readers.delimited.parse`, with the nan / inf it spells counted and the columns that hold
    them named (logged, not missing). ``options``: :func:`to_runs`'s keywords."""
    logged_nan = delimited.count_nonfinite(text)
    cols = delimited.parse(text, source)
    return to_runs(cols, source=source, fmt=fmt, logged_nan=logged_nan, header_rows=cols.header_rows,
                   nan_columns=delimited.nonfinite_columns(text, source) if logged_nan else (), **options)


def to_runs(columns_data: Mapping[str, np.ndarray], *, name: str, source: str, fmt: str,
            columns: Mapping[str, str] | None = None, run_column: str | None = None,
            run_id: str | None = None, metric: str | None = None, axis: str | None = None,
            meta: dict | None = None, logged_nan: int = 0, nan_columns: Collection[str] | None = None,
            header_rows: Sequence[int] = ()) -> list[Run]:
    """Turn parsed columns into Runs.

    Parameters
    ----------
    columns_data : dict of column name -> array of shape (n_rows,)
        Float arrays (NaN = missing) and object arrays of str for text columns.
    name : run name for a single-run table (long-format runs are named by their id).
    source : the path, quoted in errors and kept on each Run.
    fmt : format label stored in ``Run.meta["format"]``.
    columns : overrides ``{canonical name: column}``.
    run_column : the column holding run ids (default: detected), or a list of columns that
        together identify a run (ids joined with ``/``).
    run_id : keep only this run.
    metric : a series the caller will diagnose; a table with that column but no loss is fine.
    axis : ``"step"`` forces the step axis when a step column exists (Hugging Face).
    meta : extras copied into every Run's meta.
    logged_nan : how many values the text spells ``nan``/``inf``: at least one a row, a single run
        whose losses are all non-finite diverged before its first value (rather than logging no
        loss at all, which empty cells and ``NA`` say).
    nan_columns : the columns that state a non-finite value (spell ``nan``/``inf``; hold a NaN a loop logged). A
        loss's gaps after its last value, while another loss goes on, are "not logged" in the others: there a gap
        is a blank cell (csv.DictWriter's restval; pandas' ``to_csv`` NaN, told apart by the losses beside it).
        Default: every column where ``logged_nan``, else none.
    header_rows : the rows (0-based) before which a CSV's header line was written again: a log appended to
        (:attr:`~losslens.readers.delimited.Columns.header_rows`); without an epoch column, each starts a new fit.
    """
    columns = given_columns(columns)  # (read below before map_columns sees it)
    if not columns_data:
        raise UnknownFormatError("no columns", source)
    delimited.require_width(len(columns_data), source)
    columns_data = _drop_row_index(columns_data, header_rows)
    nan_columns = set(columns_data if logged_nan else ()) if nan_columns is None else set(nan_columns)
    # A tidy table (a row per curve and point) as the wide one it was, whatever it came in: CSV, JSONL, a frame.
    tidy = long_to_wide(columns_data, source, run_column=run_column)
    if tidy is not None:
        columns_data, stated, tidy_nan, what = tidy
        header_rows = ()  # (rows of the long table, not of the runs)
        # (a NaN the value column spelt is a curve's now: long_to_wide counted it there)
        nan_columns = stated | (nan_columns & set(columns_data))
        logged_nan = max(logged_nan, tidy_nan)
        meta = dict(meta or {}, long_format=what)
    try:
        return rounds_axis(_wide_runs(columns_data, name=name, source=source, fmt=fmt, columns=columns,
                                  run_column=run_column, run_id=run_id, metric=metric, axis=axis, meta=meta,
                                  logged_nan=logged_nan, nan_columns=nan_columns, header_rows=header_rows))
    except NoLossError as e:
        if tidy is not None:
            raise
        # A tidy table of a shape not read (what df.melt, MLflow's and W&B's APIs give): say how to pivot it.
        values = next((c for c in columns_data if c.lower() == "value" and columns_data[c].dtype != object), None)
        key = next((c for c in columns_data if columns_data[c].dtype == object), None)
        if values is None or key is None:
            raise
        where = next((c for c in columns_data if axis_kind(c)), None)
        raise NoLossError(f"{e.problem}; a table of one row per metric ({key!r}) and value: pivot it first, "
                          f"df.pivot_table(index={where or 'EPOCH_COLUMN'!r}, columns={key!r}, values={values!r})"
                          ".reset_index()", source) from None


def _wide_runs(columns_data: Mapping[str, np.ndarray], *, name: str, source: str, fmt: str, columns: dict,
               run_column, run_id, metric, axis, meta: dict | None, logged_nan: int, nan_columns: set,
               header_rows: Sequence[int] = ()) -> list[Run]:
    """:func:`to_runs` on a wide table (a column per curve), its arguments checked."""
    if run_column is not None and not isinstance(run_column, str):
        # Several columns identify a run together (dataset + learner, model + seed ...).
        run_column = list(run_column)
        missing = [c for c in run_column if c not in columns_data]
        if missing:
            raise ReadError(f"run column {missing[0]!r} not found (columns: {column_listing(columns_data)})", source)
        joined = "/".join(run_column)
        parts = [[id_label(v) for v in columns_data[c].tolist()] for c in run_column]
        columns_data = {k: v for k, v in columns_data.items() if k not in run_column}
        columns_data[joined] = np.array(["/".join(p) for p in zip(*parts)], dtype=object)
        run_column = joined
    if run_column is None:
        wide = _wide_to_long(columns_data, nan_columns)
        if wide is not None:
            (columns_data, nan_columns), run_column = wide, "run"
            fmt = "wandb_chart_csv"
    key = _run_column(columns_data, run_column, source)
    if key is None:
        split = _split_column(columns_data)
        if isinstance(split, tuple):
            # Neither column alone tells the runs apart (2 configs x 3 seeds): together they do. Each run is named
            # by both, "config=a,seed=0", as a lone seed column names it "seed=0"; read as one, the epoch count's
            # restarts made them config-blind "#1".."#6".
            columns_data = dict(columns_data)
            parts = [[f"{c}={id_label(v)}" for v in columns_data.pop(c).tolist()] for c in split]
            key = ",".join(split)
            columns_data[key] = np.array([",".join(p) for p in zip(*parts)], dtype=object)
        elif split is not None:
            key = split
            if columns_data[split].dtype != object:  # "seed=0", not a bare "0"
                columns_data = dict(columns_data)
                columns_data[split] = np.array([f"{split}={id_label(v)}" for v in columns_data[split].tolist()],
                                               dtype=object)
    # (A Trainer's log_history dumped as a table keeps its timings: train_runtime, eval_samples_per_second ...)
    numeric = {k: v for k, v in columns_data.items() if v.dtype != object and k != key and not is_trainer_timing(k)}
    # A column the log spelt nan throughout is numeric: a run that diverged before its first value (Keras'
    # history.history of a fit on a NaN target), not a table of text.
    if not numeric or not (logged_nan or any(np.isfinite(v).any() or np.isinf(v).any() for v in numeric.values())):
        raise UnknownFormatError(
            f"not a training log: no numeric columns (found: {column_listing(columns_data)})", source)
    if not any(axis_kind(c) for c in numeric) and not {"epoch", "step"} & set(columns or {}):
        # Without an axis the rows would be read as epochs 0, 1, 2 ...: for sizes that is a
        # confident, wrong "still improving".
        size_col = next((c for c in numeric if normalise(c) in TRAINING_SET_SIZE), None)
        _refuse_cv_results(numeric, source)
        if size_col is not None:
            what = f"column {size_col!r} holds training-set sizes, not epochs: this is a learning curve over data"
            # Both ways to forecast it: a folder's "passed over" line carries this text to CLI and Python users alike.
            err = ReadError(f"{what}; `losslens data` or losslens.more_data() forecasts it (or name the epoch "
                            "column with columns={'epoch': COLUMN})", source)
            err.cli_message = f"{source}: {what}; `losslens data {source}` forecasts it"
            raise err
    plan = _Plan(list(numeric), columns, metric, axis, source, values=numeric)
    base_meta = dict(meta or {})
    base_meta["format"] = fmt
    if key is None:
        pieces = plan.restarts(numeric, header_rows)
        labels = [name] if len(pieces) == 1 else [f"{name}#{k + 1}" for k in range(len(pieces))]
        if run_id is not None:
            pieces, labels = _named_piece(pieces, labels, str(run_id), name, source)
        runs = []
        for label, (data, extra) in zip(labels, pieces):
            run = plan.build(data, label, source, dict(base_meta, **extra), nan_columns=nan_columns)
            if run is None and logged_nan >= len(next(iter(data.values()))):
                # Every loss printed as nan from the first epoch (a learning rate far too high, no
                # TerminateOnNaN): a run that diverged before its first value, as the diagnosis says.
                run = plan.build(data, label, source, dict(base_meta, **extra), never_finite=True,
                                 nan_columns=nan_columns)
            if run is not None:
                runs.append(run)
        if not runs:
            verb = "have" if " and " in plan.loss_label() else "has"
            raise NoLossError(f"{plan.loss_label()} {verb} no values (all empty or NaN)", source)
        return runs

    labels, groups = groups_of(columns_data[key])
    if run_id is not None:
        wanted = str(run_id)
        if wanted not in labels:
            shown = ", ".join(labels[:5]) + (" ..." if len(labels) > 5 else "")
            raise RunNotFoundError(f"no run {wanted!r} in column {key!r} ({len(labels)} runs: {shown})", source)
        keep = labels.index(wanted)
        labels, groups = [labels[keep]], [groups[keep]]
    runs, empty = [], []
    for label, rows in zip(labels, groups):
        data = {k: v[rows] for k, v in numeric.items()}
        run = plan.build(data, label, source, dict(base_meta, run_id=label, run_column=key),
                         nan_columns=nan_columns)
        if run is None:
            empty.append(label)
        else:
            runs.append(run)
    if not runs:
        raise NoLossError(f"{plan.loss_label()} has no values in any of the {len(labels)} runs", source)
    if empty:
        # Runs without a single logged loss value cannot be diagnosed; say which were left out.
        for run in runs:
            run.meta["runs_without_loss"] = len(empty)
    return runs


def _refuse_cv_results(numeric: Collection[str], source: str) -> None:
    """A :class:`NoLossError` for scikit-learn's cross-validation results as a table: ``cross_validate``'s
    (``fit_time``, ``score_time``, ``test_*``: a row per fold) or a search's ``cv_results_`` (``mean_fit_time``,
    ``split0_test_score`` ...: a row per candidate). Its rows are no epochs: with ``scoring=["accuracy", ...]``
    the folds' test accuracies were read as a 5-epoch validation curve, "learning rate too high, jumped at epoch 4"
    of a fold that scored lower."""
    names = {normalise(c) for c in numeric}
    if {"fit_time", "score_time"} <= names and any(n.startswith("test_") for n in names):
        what = "scikit-learn's cross_validate results (fit_time, score_time, test_* scores: one row per fold)"
    elif {"mean_fit_time", "mean_score_time"} <= names:
        what = "scikit-learn's cv_results_ of a search (mean_fit_time, split*_test_*: one row per candidate)"
    else:
        return
    raise NoLossError(f"{what}, not a training curve: its rows are no epochs; diagnose a fit's own curve, logged "
                      "per epoch (a Keras History or CSVLogger, an MLP's loss_curve_ and validation_scores_), "
                      "one fold or candidate at a time", source)


def _named_piece(pieces: list, labels: list[str], wanted: str, name: str, source: str) -> tuple[list, list[str]]:
    """The one of a file's ``pieces`` (its fits, where the epoch count started again) that ``wanted`` names: by the
    name the report gives it (``log#3``), or by its number (``3``, ``#3``) where the file split; a
    :class:`RunNotFoundError` listing the names it holds where none is."""
    several = len(labels) > 1
    for k, label in enumerate(labels):
        if wanted == label or (several and wanted.removeprefix("#") == str(k + 1)):
            return [pieces[k]], [label]
    if not several:
        raise RunNotFoundError(f"no run {wanted!r}: the file holds one run ({name}) and no run-id column", source)
    shown = ", ".join(labels[:5]) + (" ..." if len(labels) > 5 else "")
    raise RunNotFoundError(f"no run {wanted!r}: the file holds {len(labels)} runs, its epoch count starting again "
                           f"({shown}), and no run-id column", source)


def from_frame(frame, *, name: str = "run", source: str | None = None, **options) -> list[Run]:
    """A DataFrame (or a dict of equally long columns) read as the same table in a CSV is
    (:func:`to_runs`): scikit-learn's negated scores, per-task losses, perplexities, a
    run-id column (several runs) ... mean what they mean in a file. Number columns as floats (NaN missing), the
    rest as text. ``source`` (quoted in errors) defaults to ``"DataFrame"`` / ``"dict"``; :meth:`Run.from_dataframe`
    reads through here too."""
    if not isinstance(frame, Mapping) and not is_frame(frame):
        raise UsageTypeError(f"expected a pandas DataFrame (or a dict of equally long columns), got "
                             f"{type(frame).__name__}; losslens.diagnose reads the other sources")
    # What a gap means (docs/reading.md): pandas reads a blank cell as NaN, so a DataFrame's NaN is a CSV's blank
    # (read from the losses beside it; NaN throughout is a History's diverged run); in a dict None is "not
    # logged", a float NaN one a loop logged.
    cols, stated, logged_nan = {}, set(), 0
    if not isinstance(frame, Mapping):
        cols = frame_columns(frame)
        for c, x in cols.items():
            if x.dtype.kind == "f":
                logged_nan += int(np.isnan(x).sum())
                if np.isinf(x).any():
                    stated.add(c)
        return to_runs(cols, name=name, source=source or "DataFrame", fmt="dataframe", logged_nan=logged_nan,
                       nan_columns=stated, **given_options(options))
    for c in frame:
        v = np.asarray(frame[c], dtype=object)
        try:
            cols[str(c)] = x = v.astype(float)
        except (TypeError, ValueError):
            cols[str(c)] = np.array(["" if x is None or (isinstance(x, float) and x != x) else str(x) for x in v],
                                    dtype=object)
            continue
        logged = np.isinf(x) | (np.isnan(x) & np.not_equal(v, None))
        logged_nan += int(logged.sum())
        if logged.any():
            stated.add(str(c))
    return to_runs(cols, name=name, source=source or "dict", fmt="dict", logged_nan=logged_nan, nan_columns=stated,
                   **given_options(options))


def is_frame(obj) -> bool:
    """``obj`` is a pandas DataFrame (told by its shape, so pandas need not be imported)."""
    return hasattr(obj, "columns") and hasattr(obj, "to_numpy")


def frame_columns(frame) -> dict[str, np.ndarray]:
    """A DataFrame's columns as the same table in a CSV reads: float where numeric (NaN missing, pandas' nullable
    Int64/Float64's NA too), else text ('' missing). A named index is a column set aside (df.set_index("epoch"),
    read_csv(index_col="step")): read as the column it was, or X came out in row numbers (epoch 10 where the log
    counts 11, or step 1,100). An unnamed one is pandas' row number, left out as a CSV's blank first column is."""
    if any(level is not None for level in getattr(frame.index, "names", [None])):
        frame = frame.reset_index()
    cols = {}
    for c in frame.columns:
        series = frame[c]
        try:
            cols[str(c)] = np.asarray(series.to_numpy(dtype=float, na_value=np.nan))
        except (TypeError, ValueError):
            missing = series.isna().to_numpy()
            cols[str(c)] = np.array(["" if gap else str(x) for x, gap in zip(series.to_numpy(), missing)],
                                    dtype=object)
    return cols


#: The column of a tidy table holding the values, and the one holding each value's curve name (``df.melt``'s
#: ``variable``, MLflow's ``key``, TensorBoard's ``tag``).
VALUE_COLUMNS = ("value", "metric_value")
NAME_COLUMNS = ("metric", "key", "name", "tag", "variable", "metric_name", "metric_key", "series")
#: Numeric columns a tidy table carries beside its axis that are no curve: when each value was logged.
_TIME_COLUMNS = (*WALL_CLOCK, "relative_time")


def long_to_wide(cols: Mapping[str, np.ndarray], source: str, run_column=None
                 ) -> tuple[dict[str, np.ndarray], set[str], int, str] | None:
    """A tidy table -- a row per curve and point: ``epoch, metric, value`` (``df.melt``), ``key, value, step,
    timestamp`` (MLflow's ``get_metric_history`` as a DataFrame), ``run, tag, step, value`` (TensorBoard's) --
    as the wide table it was (``epoch, loss, val_loss``), as ``df.pivot_table(index=AXIS, columns=NAME,
    values=VALUE)`` gives it: ``(columns, nan_columns, logged_nan, what)``; None for any other table.

    The shape: a numeric ``value`` column, a text column of curve names (named ``metric``, ``key``, ``tag`` ...,
    or the one text column besides a run column, holding a loss's or an accuracy's name), and no other numeric
    column than the axis (``epoch``/``step``; none: each curve's rows count 0, 1, 2 ... as a table's rows do)
    and a timestamp. A run column stays a column, splitting the runs as in a wide table. Rows sorted by the axis
    within each run. A curve written twice at one point: alike, read once (MLflow keeps a retried
    ``log_metric``); over different values, refused, naming both rows -- which one was logged is unknown, and a
    pivot's mean would be a point no one logged. A row whose value is NaN or inf is a value logged so (a diverged
    run's), unlike a point with no row, which was not logged.
    """
    value = next((c for c in cols if normalise(c) in VALUE_COLUMNS and cols[c].dtype != object), None)
    # A value column of text (a mistyped cell, '0.5,'): the table is still tidy, and read as wide it said only
    # "no loss or accuracy column (found: epoch)", its curves gone with the cell.
    typo = None if value is not None else next((c for c in cols if normalise(c) in VALUE_COLUMNS), None)
    if value is None and typo is None:
        return None
    runs = [run_column] if isinstance(run_column, str) else list(run_column or ())
    if any(c not in cols for c in runs):
        return None  # (to_runs names the run column not found)
    if not runs:
        # (a seed or fold number tells runs apart here as in a wide table: df.melt(id_vars=["seed", "epoch"]))
        runs = [c for c in cols if (normalise(c) in RUN_COLUMNS and cols[c].dtype == object)
                or (normalise(c) in SPLIT_COLUMNS and cols[c].dtype != object and np.isfinite(cols[c]).all())]
    texts = [c for c in cols if cols[c].dtype == object and c not in (*runs, typo) and (cols[c] != "").any()]
    key = next((c for c in texts if normalise(c) in NAME_COLUMNS), None)
    if key is None and len(texts) == 1 and any(canonical(str(v)) for v in set(cols[texts[0]].tolist())):
        key = texts[0]
    if key is None:
        return None
    axes = [c for c in cols if cols[c].dtype != object and axis_kind(c)]
    others = [c for c in cols if cols[c].dtype != object and c not in (value, *axes, *runs)
              and normalise(c) not in _TIME_COLUMNS
              # (a column of None, MLflow 3's model_id and dataset_name where none was given, reads as NaN)
              and not np.isnan(cols[c]).all()]
    if others:
        return None  # a number that is none of these: not this shape, and no guess at what it is
    if typo is not None:  # (the shape is a tidy table's in every other column)
        delimited.refuse_stray_text(typo, cols[typo], source, strict=True)
        cols = dict(cols, **{typo: np.array([delimited.cell(v) for v in cols[typo].tolist()], dtype=float)})
        value = typo
    names = cols[key]
    dataset = next((c for c in texts if normalise(c) == "dataset_name"), None)
    if dataset is not None:
        # MLflow 3 logs one key per dataset (log_metric("loss", v, step=e, dataset=val_ds)): a curve each, named as
        # the MLflow reader names them; mixed, one point would hold two datasets' values.
        pairs = list(zip(cols[dataset].tolist(), names.tolist()))
        sets: dict = {}
        for d, k in pairs:
            sets.setdefault(k, set()).add(d)
        names = np.array([f"{d}_{k}" if d and len(sets[k]) > 1 else k for d, k in pairs], dtype=object)
    known = names != ""
    # A point is (run..., axis...); without an axis, (run..., the row's place among its curve's rows in that run).
    places = [cols[c] for c in runs] + [cols[c] for c in axes]
    rows: dict[tuple, dict[str, float]] = {}
    where: dict[tuple, int] = {}
    seen: dict[tuple, int] = {}
    curves = list(dict.fromkeys(names[known].tolist()))
    stated, logged_nan = set(), 0
    v = cols[value]
    for i in np.flatnonzero(known).tolist():
        name = names[i]
        at = tuple(p[i] for p in places)
        if not axes:
            k = (at, name)
            seen[k] = seen.get(k, -1) + 1
            at = (*at, float(seen[k]))
        point = rows.setdefault(at, {})
        x = float(v[i])
        if name in point:
            old = point[name]
            if old == x or (old != old and x != x):
                continue
            where_at = ", ".join(f"{c} {id_label(p[i])}" for c, p in zip(runs + axes, places))
            raise ReadError(f"rows {where[(at, name)] + 1} and {i + 1} both give {name} at {where_at} over "
                            f"different values ({old:.6g} and {x:.6g}): which one was logged is unknown (logged "
                            "twice without a step, or tables of two runs concatenated without a run column?)",
                            source)
        point[name] = x
        where[(at, name)] = i
        if not math.isfinite(x):
            stated.add(name)
            logged_nan += 1
    points = list(rows)
    if not points:
        return None
    run_order = [{lab: j for j, lab in enumerate(dict.fromkeys(cols[c].tolist()))} for c in runs]

    def order(at):
        head = tuple(o[a] for o, a in zip(run_order, at[:len(runs)]))
        # (NaN axis values last: pivot_table would drop them; a wide table keeps such a row, and so does this)
        return head + tuple((a != a, a if a == a else 0.0) for a in at[len(runs):])

    points.sort(key=order)
    out: dict[str, np.ndarray] = {}
    for j, c in enumerate(runs):
        out[c] = np.array([p[j] for p in points], dtype=cols[c].dtype)
    for j, c in enumerate(axes):
        out[c] = np.array([p[len(runs) + j] for p in points], dtype=float)
    for name in curves:
        if name in out:
            raise ReadError(f"column {key!r} names a curve {name!r} beside a column {name!r}: which one is the "
                            f"{name} is unknown", source)
        out[name] = np.array([rows[p].get(name, np.nan) for p in points], dtype=float)
    by = f" by {', '.join(repr(c) for c in axes)}" if axes else ""
    return out, stated, logged_nan, f"a row per curve ({key!r}) and value ({value!r}), read as a table{by}"


def rounds_axis(runs: list[Run]) -> list[Run]:
    """``runs`` with a booster's step axis named for what it counts, boosting rounds (:func:`losslens.run.
    boosted_trees`): the text, the JSON's ``axis`` and the chart said "step 16" of XGBoost's 17th tree. Only a
    ``"step"`` axis is renamed, and the readings treat ``"round"`` as they treated it (:func:`losslens.facts.
    stepwise`)."""
    from ..run import boosted_trees

    for run in runs:
        if run.axis_name == "step" and boosted_trees(run.meta):
            run.axis_name = "round"
    return runs


def given_options(options: dict) -> dict:
    """The options :func:`to_runs` takes, of those given (``losslens.diagnose``'s keywords: None is not given)."""
    return {k: options[k] for k in ("columns", "run_column", "run_id", "metric") if options.get(k) is not None}


# Split on the last " - ": W&B names a column "<run name> - <metric>", and a run name may hold " - " itself
# ("lr 0.1 - bs 32"), a metric's never (split on the first, such a run read "bs 32 - loss" and never its val_loss).
_WIDE = re.compile(r"^(?P<run>.+) - (?P<metric>.+?)(?P<agg>__(?:MIN|MAX|min|max))?$")


def _wide_to_long(data: Mapping[str, np.ndarray], nan_columns: Collection[str] = ()
                  ) -> tuple[dict[str, np.ndarray], set[str]] | None:
    """A W&B chart export (``Step, run-a - val_loss, run-a - val_loss__MIN, run-b - ...``) in
    long format (``run, Step, val_loss``) and the metrics of ``nan_columns``; None for any other table.

    Every column but the axis must read ``<run> - <metric>``; the ``__MIN`` / ``__MAX``
    envelope columns W&B adds for smoothed or sampled charts are left out. The chart's steps are
    every run's together: a run none of whose columns is in ``nan_columns`` (spells nan/inf) loses its rows
    after the last it has a value in -- a run shorter than the longest ended there, it did not turn NaN.
    """
    axes = [c for c in data if axis_kind(c)]
    others = [c for c in data if c not in axes]
    if not axes or not others:
        return None
    matches = [_WIDE.match(c) for c in others]
    if not all(matches) or any(data[c].dtype == object for c in others):
        return None
    runs = list(dict.fromkeys(m["run"] for m in matches))
    metrics = list(dict.fromkeys(m["metric"] for m in matches if not m["agg"]))
    if not metrics:
        return None
    n = len(data[axes[0]])
    out: dict[str, np.ndarray] = {"run": np.repeat(np.array(runs, dtype=object), n)}
    for a in axes:
        out[a] = np.tile(data[a], len(runs))
    blank = np.full(n, np.nan)
    for metric in metrics:
        out[metric] = np.concatenate([data.get(f"{r} - {metric}", blank) for r in runs])
    kept = []
    for r in runs:
        own = [c for c, m in zip(others, matches) if m["run"] == r]
        logged = np.flatnonzero(np.any([np.isfinite(data[c]) for c in own], axis=0))
        last = n - 1 if nan_columns & set(own) else logged[-1] if logged.size else -1
        kept.append(np.arange(n) <= last)
    out = {k: v[np.concatenate(kept)] for k, v in out.items()}
    return out, {m["metric"] for c, m in zip(others, matches) if c in nan_columns}


def column_listing(names, limit: int = 20) -> str:
    """``names`` as an error message lists them: the first ``limit``, each cut to 40 characters, and how many
    there are beyond; ``"none"`` where there are none."""
    names = [str(n) if len(str(n)) <= 40 else str(n)[:37] + "..." for n in names]
    text = ", ".join(names[:limit])
    return text + (f" ... ({len(names)} columns)" if len(names) > limit else "") if names else "none"


def _run_column(data: Mapping[str, np.ndarray], run_column: str | None, source: str) -> str | None:
    if run_column is not None:
        if run_column not in data:
            raise ReadError(f"run column {run_column!r} not found (columns: {column_listing(data)})", source)
        return run_column
    for col in data:
        if normalise(col) in RUN_COLUMNS and data[col].dtype == object:
            values = data[col]
            if len(values) > 1 and len(set(values.tolist())) < len(values):
                return col
            if len(values) > 1:
                # One row per run: a summary table (final losses, hyper-parameters), no curve.
                raise UnknownFormatError(f"a table of runs, one row per {col} (no run has a second "
                                         "row), not training curves", source)
    return None


def _split_column(data: Mapping[str, np.ndarray]) -> str | tuple[str, str] | None:
    """The column that tells runs apart when the axis repeats (histories concatenated with a seed
    or model column, rows interleaved or not), else None.

    Only when every epoch (or step) is then unique within each run: a Lightning log repeats its
    epoch next to a unique step, and a resumed log repeats epochs with nothing to tell them apart
    (both are handled as one run). Without this, the rows of the runs were merged into one curve,
    the last value written per epoch winning. Where no column alone does, two that together do (a
    config and a seed crossed): the pair.
    """
    axes = {kind: next((c for c in data if axis_kind(c) == kind and data[c].dtype != object), None)
            for kind in ("epoch", "step")}
    col = axes["epoch"] or axes["step"]
    cands = [c for c in data if c not in axes.values() and not axis_kind(c)
             and (data[c].dtype == object or normalise(c) in SPLIT_COLUMNS)]
    if col is None or not cands or (axes["epoch"] and axes["step"] and _unique(data[axes["step"]])) \
            or _unique(data[col]):
        return None
    axis = data[col]

    def splits(values):
        labels, groups = groups_of(values)
        return 1 < len(labels) < len(axis) and all(_unique(axis[g]) for g in groups)

    for cand in cands:
        if splits(data[cand]):
            return cand
    # Two settings crossed (config x seed): only the pair is unique per run.
    for pair in itertools.combinations(cands, 2):
        if splits(np.array([f"{a!r}\x1f{b!r}" for a, b in zip(data[pair[0]].tolist(), data[pair[1]].tolist())],
                           dtype=object)):
            return pair
    return None


def _unique(a: np.ndarray) -> bool:
    a = a[np.isfinite(a)]
    return np.unique(a).shape[0] == a.shape[0]


def groups_of(values: np.ndarray) -> tuple[list[str], list[np.ndarray]]:
    """Row indices per run id, runs in order of first appearance, rows in file order."""
    codes_of: dict = {}
    codes = np.fromiter((codes_of.setdefault(v, len(codes_of)) for v in values.tolist()),
                        dtype=np.intp, count=len(values))
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(codes_of)))[:-1]
    labels = [id_label(v) for v in codes_of]
    return labels, np.split(order, bounds)


def id_label(value) -> str:
    """A run or curve id as text: ``3.0`` (a numeric id column) reads ``3``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _segment_meta(appended: int, resumed_at: list) -> dict:
    """A run's meta from how its rows were joined: ``appended_segments`` (further fits renumbered after it) and
    ``resumed_at`` (the epochs a ``fit(initial_epoch=k)`` appended to the log resumed at)."""
    meta = {"appended_segments": appended} if appended else {}
    if resumed_at:
        meta["resumed_at"] = list(resumed_at)
    return meta


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


class _Plan:
    """What to do with each column, decided once per file from the column names."""

    def __init__(self, names: list[str], overrides, metric, axis, source, values=None):
        overrides = dict(overrides or {})
        self.source = source
        if axis is None and metric is not None and normalise(metric).endswith("_step") \
                and normalise(metric)[:-len("_step")] + "_epoch" in {normalise(n) for n in names}:
            # Lightning's per-step copy named (--metric train_loss_step): the log read on its steps, where that
            # column is the curve; on epochs it is folded into its _epoch twin's means and not read at all.
            axis = "step"
        self.force_axis = axis
        for canon, col in overrides.items():
            if col not in names:
                raise ReadError(f"column {col!r} (given for {canon}) not found (columns: {column_listing(names)})",
                                source)
        self.epoch = overrides.pop("epoch", None) or next((n for n in names if axis_kind(n) == "epoch"), None)
        self.step = overrides.pop("step", None) or next((n for n in names if axis_kind(n) == "step"), None)
        self.overrides = overrides
        rest = [n for n in names if n not in (self.epoch, self.step) and axis_kind(n) is None]
        self.maps = {}
        for level in ("epoch", "step"):
            twins = lightning.twin_columns(rest, keep=level)
            kept = [n for n in rest if n not in twins]
            self.maps[level] = map_columns(kept, overrides)
        mapped = self.maps["epoch"]
        canon = set(mapped.values())
        self.parts = {}
        found = {target: [c for c in mapped if pattern.match(mapped[c]) and mapped[c] not in LOSS_SERIES]
                 for target, pattern in LOSS_PARTS.items()}
        middle = {t: {LOSS_PARTS[t].match(mapped[c]).group(1) for c in cols} for t, cols in found.items()}
        for target, parts in found.items():
            if target in canon or not parts:
                continue
            other = "val_loss" if target == "train_loss" else "train_loss"
            if middle[target] == middle[other] and not adversarial_middles(middle[target]):
                # The same named parts on both sides: components of one loss (YOLO's box/cls/dfl).
                self.parts[target] = parts
        self.negated, self.score = self._negated(mapped, canon, values or {})
        self.rescaled = {}
        for col, name in mapped.items():
            hit = rescaled_loss(name)
            if hit is not None and hit[0] not in canon and hit[0] not in self.negated and hit[0] not in self.rescaled:
                self.rescaled[hit[0]] = (col, hit[1])
        # The user names the column as the file spells it; the Run holds it under its canonical name.
        self.metric = mapped.get(metric, metric) if metric is not None else None
        self.loss_names = sorted({v for v in canon if v in LOSS_SERIES or v.endswith("loss")}
                                 | set(self.parts) | set(self.negated) | set(self.rescaled)
                                 # (a GAN's loss_D / loss_G end in no "loss")
                                 | adversarial_players(canon))
        has_metric = metric is not None and (metric in canon or metric in names)
        if not self.loss_names:  # a log of accuracies only is diagnosed on them (Run.default_metric)
            self.loss_names = [a for a in ACCURACY_FALLBACK if a in canon]
        if not self.loss_names and self.score is not None:  # a validation score only (HistGradientBoosting's)
            self.loss_names = [mapped[self.score]]
        if not self.loss_names and rl_reward(canon) is not None:  # an RL agent's episode rewards only (CleanRL's)
            self.loss_names = [rl_reward(canon)]
        if not self.loss_names and not has_metric:
            # Scores only (a YOLO results.csv cut to its mAPs): the primary one, as Run.default_metric picks it.
            score = primary_score(list(dict.fromkeys(mapped.values())))
            if score is not None:
                self.loss_names = [score[0]]
        if not self.loss_names and not has_metric:
            err = NoLossError(f"no loss or accuracy column (found: {column_listing(names)}); name one with "
                              "columns={'train_loss': COLUMN} or --metric", source)
            # The command line has no columns= (the CLI prints this instead).
            err.cli_message = (f"{source}: no loss or accuracy column (found: {column_listing(names)}); "
                               "name the one to diagnose with --metric COLUMN")
            raise err

    @staticmethod
    def _negated(mapped: dict, canon: set, values: dict) -> tuple[dict[str, str], str | None]:
        """``({"train_loss": column, ...}, score column or None)``: scikit-learn's negated losses
        (``val_neg_log_loss``; HistGradientBoosting's ``validation_score`` when all its values are <= 0,
        its default ``scoring="loss"``) stand for the loss of their split when no loss is logged for it.
        A validation score that is not negated (``scoring="accuracy"``) is the curve diagnosed, as a
        score, when there is no loss at all."""
        negated, score = {}, None
        if {"fit_time", "score_time"} & set(mapped.values()):
            return negated, score  # cross_validate's results: a row per fold, not a curve
        for col, name in mapped.items():
            target = negated_loss(name)
            m = SCORE_COLUMN.match(name) if target is None else None
            role = split_role(m.group("split")) if m else None
            if m is not None and role is not None:
                vals = values.get(col)
                finite = vals[np.isfinite(vals)] if vals is not None and vals.dtype != object else np.array([])
                if finite.size and (finite <= 0).all():
                    target = f"{role}_loss"
                elif role == "val" and score is None:
                    score = col
            if target is not None and target not in canon and target not in negated:
                negated[target] = col
        return negated, score

    def loss_label(self) -> str:
        """The curve(s) read, for errors: spelt as the file does where the reader only normalised a name."""
        names = self.loss_names or [self.metric]
        logged = {canon: col for col, canon in self.maps["epoch"].items() if canon == normalise(col) != col}
        return " and ".join(str(logged.get(n, n)) for n in names[:3])

    def _mode(self, data) -> str:
        e = data.get(self.epoch) if self.epoch else None
        s = data.get(self.step) if self.step else None
        if e is not None and s is not None:
            data[self.epoch] = e = lightning.fill_epochs(e, s)
        if s is not None and self.force_axis == "step" and np.isfinite(s).any():
            return "step"
        if e is not None and np.isfinite(e).any():
            fe = e[np.isfinite(e)]
            if s is None or not np.isfinite(s).any():
                return "epoch"
            if not np.all(fe == np.round(fe)):
                return "step"  # fractional epochs: a step log (Hugging Face)
            n_epochs = np.unique(fe).shape[0]
            if n_epochs == fe.shape[0]:
                return "epoch"  # one row per epoch; the step column is an extra
            checks, inside = self._checks_per_epoch(data, e, s)
            if checks >= 2 or inside:
                # Validation checked several times an epoch (Lightning's val_check_interval=0.25): each
                # check is a point of the curve. Folded, an epoch kept its last check only -- 10 of a
                # 10-epoch run's 40, too few for the shape rules (SGD at lr 0.01 read underfitting,
                # "a bigger model", where its 40 checks show a straight descent; lr 0.1 went 88% lower).
                # Checked every 50 batches across epochs of 32 (check_val_every_n_epoch=None), or at 60% of each:
                # folded, a check inside an epoch was put at the epoch's end, up to an epoch after it was made.
                return "step"
            return "fold" if n_epochs >= _MIN_FOLDED_EPOCHS else "step"
        if s is not None and np.isfinite(s).any():
            return "step"
        return "row"

    def _checks_per_epoch(self, data, epoch: np.ndarray, step: np.ndarray) -> tuple[float, bool]:
        """The median number of validation values logged per epoch (over epochs with any): the
        validation loss, else accuracy; 0 when neither is logged. And whether at least half of those epochs have
        one logged before the epoch's last step (a check inside the epoch, not at its end), as every interval
        that is no whole number of epochs gives from its first check on."""
        mapped = self.maps["epoch"]
        col = next((c for want in ("val_loss", "val_acc") for c, canon in mapped.items() if canon == want), None)
        if col is None or col not in data:
            return 0.0, False
        ok = np.isfinite(data[col]) & np.isfinite(epoch)
        if not ok.any():
            return 0.0, False
        return lightning.checks_per_epoch(epoch[ok], step[ok], epoch, step)

    def restarts(self, data, header_rows: Sequence[int] = ()) -> list[tuple[dict, dict]]:
        """Split a file whose epoch count starts again (Keras ``CSVLogger(append=True)`` over two
        ``fit`` calls, a re-run notebook cell) into ``[(rows, meta), ...]``.

        A segment whose first loss is closer to where the previous one ended than to where it
        began continued training the same model: it is appended with its epochs renumbered
        (``fit`` counts from 0 again unless given ``initial_epoch``). Otherwise the model started
        over: that segment is a run of its own (``name#2`` ...). Without a restart: ``[(data, {})]``.
        """
        e = data.get(self.epoch) if self.epoch else None
        if e is None and self.step is None and len(header_rows):
            return self._appended(data, header_rows)
        if self.step is not None and len(header_rows):
            # (a step count that starts again at a repeated header was merged step by step into one run, in silence)
            return self._appended(data, header_rows, axis=self.step)
        if e is None or self.step is not None:
            return [(data, {})]
        data = self._written_again(data)
        data = self._out_of_order(data)
        e = data[self.epoch]
        finite = np.flatnonzero(np.isfinite(e))
        back = finite[1:][np.diff(e[finite]) < 0]
        if back.shape[0] == 0:
            return [(data, {})]
        inverse = {canon: col for col, canon in self.maps["epoch"].items()}
        loss_col = inverse.get("train_loss") or inverse.get("val_loss")
        bounds = [0, *back.tolist(), e.shape[0]]
        segments = [{k: v[a:b] for k, v in data.items()} for a, b in zip(bounds[:-1], bounds[1:])]

        def ends(seg):
            vals = seg.get(loss_col) if loss_col is not None else None
            if vals is None or not np.isfinite(vals).any():
                return None
            return vals[np.isfinite(vals)]

        out, current, appended, resumed_at = [], segments[0], 0, []
        previous = ends(segments[0])
        for seg in segments[1:]:
            here = ends(seg)
            ce, se = current[self.epoch], seg[self.epoch]
            first = float(se[np.isfinite(se)][0])
            # A count that goes back to an epoch after the run's first is fit(initial_epoch=k): the model resumed
            # from a checkpoint, however early (one of epoch 2 in a run that crashed at 19 starts near the
            # run's start loss, not its end). A count from the run's first epoch again is a new fit.
            resumed = first > float(ce[np.isfinite(ce)][0])
            # A new fit from the first epoch again went on only where its first loss is about where the last one
            # ended (goes_on): one from older saved weights starts clearly above it, and read as one run the jump
            # was never said (training loss 0.090 -> 0.242, val_loss 0.096 -> 0.233 after epoch 39; the forecast
            # sat above the best already reached).
            continued = resumed or (here is not None and previous is not None and goes_on(previous, here[0]))
            if continued:
                if resumed:
                    # fit(initial_epoch=k), resumed from a checkpoint: its epochs are the run's own
                    # count, and the rows it logs again (k onwards) supersede the earlier ones.
                    redone = ~(ce < first)
                    gone = [_num(v) for v in ce[redone & np.isfinite(ce)]]
                    from ._source import warn
                    warn(self.source, "the epoch count went back from %s to %s (training resumed at epoch %s): "
                                      "read from there on; the earlier rows of epoch%s %s left out",
                         _num(ce[np.isfinite(ce)][-1]), _num(first), _num(first), "s" if len(gone) > 1 else "",
                         ", ".join(gone[:6]) + (" ..." if len(gone) > 6 else ""))
                    kept = {k: v[~redone] for k, v in current.items()}
                    current = {k: np.concatenate([kept[k], seg[k]]) for k in current}
                    # (kept: losslens compare tells a resume of BEFORE from one of another run by it)
                    resumed_at.append(first)
                    previous = here if here is not None else previous
                    continue
                shifted = dict(seg)
                shifted[self.epoch] = se - np.nanmin(se) + np.nanmax(ce) + 1
                # Said, as the resumed case is: X and the forecast quote the renumbered epochs, which are not
                # the ones in the file (a second fit of transfer learning, the base unfrozen, without initial_epoch).
                from ._source import warn
                now = shifted[self.epoch][np.isfinite(shifted[self.epoch])]
                warn(self.source, "the epoch count started again at %s after epoch %s, the loss going on from where "
                                  "it was (a further fit of the same model, as fine-tuning after a frozen phase "
                                  "does): read as one run, that fit's epochs as %s-%s (fit(initial_epoch=) keeps "
                                  "one count)", _num(first), _num(np.nanmax(ce)), _num(now[0]), _num(now[-1]))
                current = {k: np.concatenate([current[k], shifted[k]]) for k in current}
                appended += 1
            else:
                # (not a fresh model: that starts about where the run did)
                run_loss = ends(current)
                at = self._resumed_without_count(current, seg) if here is not None and run_loss is not None \
                    and abs(here[0] - run_loss[-1]) < abs(here[0] - run_loss[0]) else None
                if at is not None:
                    # A fit from saved weights without fit(initial_epoch=): its first losses are those logged at an
                    # earlier epoch, so it went on from there; the rows after that point are superseded, as a
                    # resumed count's are. Read as a run of its own it was 22 epochs "from 0" of a model 8 epochs in.
                    j, matched, there = at
                    keep = ce < ce[j]
                    gone = [_num(v) for v in ce[~keep & np.isfinite(ce)]]
                    shifted = dict(seg)
                    shifted[self.epoch] = se - np.nanmin(se) + ce[j]
                    now = shifted[self.epoch][np.isfinite(shifted[self.epoch])]
                    from ._source import warn
                    warn(self.source, "the epoch count started again at %s after epoch %s, its first %s those logged "
                                      "at epoch %s (%s): a fit from the weights saved there without "
                                      "fit(initial_epoch=); read as one run, that fit's epochs as %s-%s, the earlier "
                                      "rows of epoch%s %s left out", _num(first), _num(np.nanmax(ce)), matched,
                         _num(ce[j]), there,
                         _num(now[0]), _num(now[-1]), "s" if len(gone) > 1 else "",
                         ", ".join(gone[:6]) + (" ..." if len(gone) > 6 else ""))
                    current = {k: np.concatenate([current[k][keep], shifted[k]]) for k in current}
                    resumed_at.append(float(ce[j]))
                    previous = here
                    continue
                if here is not None and previous is not None \
                        and abs(here[0] - previous[-1]) < abs(here[0] - previous[0]):
                    # Not a fresh model (that starts about where the first fit did) but one from older saved
                    # weights: the jump is said, as a split alone would leave the reader guessing why.
                    from ._source import warn
                    warn(self.source, "the epoch count started again at %s after epoch %s, the loss at %.4g where "
                                      "it had ended at %.4g (a fit from older saved weights?): read as a run of its "
                                      "own (#%d)", _num(first), _num(np.nanmax(ce)), here[0], previous[-1],
                         len(out) + 2)
                out.append((current, _segment_meta(appended, resumed_at)))
                current, appended, resumed_at = seg, 0, []
            previous = here if here is not None else previous
        out.append((current, _segment_meta(appended, resumed_at)))
        if len(out) > 1:
            for i, (_, extra) in enumerate(out):
                extra["restart"] = f"{i + 1} of {len(out)} (the epoch count started again and the loss with it)"
        return out

    def _resumed_without_count(self, current: dict, seg: dict) -> tuple[int, str, str] | None:
        """``(row, said, there)`` where a fit whose epoch count started again begins where ``current`` (the run so far, its
        columns of shape ``(n,)``) stood at one of its rows after the first: a fit from weights saved there, without
        ``initial_epoch``. Every loss both log (training's, validation's) must put its first value nearest the same
        row, within a quarter of the curve's own move there (half the change between its neighbours): two fits of
        one epoch from one set of weights differ by their shuffling (0.3541 and 0.3532, val_loss 0.5265 and 0.5270,
        where a neighbouring epoch is 0.05 away), a fit from other weights lands between epochs (a Keras reload of
        the epoch-3 model: training nearest epoch 3, validation nearest 2). ``said``, ``there``: the fit's first values
        and the run's at that row, for the warning.
        None where no row matches so."""
        inverse = {canon: col for col, canon in self.maps["epoch"].items()}
        cols = [c for c in (inverse.get("train_loss"), inverse.get("val_loss")) if c is not None]
        rows, said = set(), []
        for col in cols:
            cur, new = current[col], seg[col]
            firsts = new[np.isfinite(new)]
            if cur.shape[0] < 3 or not firsts.shape[0] or not np.isfinite(cur[1:]).any():
                continue
            gap = np.abs(cur - firsts[0])
            gap[0] = np.inf  # (a match at the first row is a fresh start, not a resume)
            j = int(np.nanargmin(gap))
            lo, hi = cur[max(j - 1, 0)], cur[min(j + 1, cur.shape[0] - 1)]
            move = abs(float(hi - lo)) / (2 if 0 < j < cur.shape[0] - 1 else 1)
            if not np.isfinite(gap[j]) or not gap[j] <= 0.25 * move:
                return None
            rows.add(j)
            said.append((f"{col} {firsts[0]:.4g}", f"{cur[j]:.4g}"))
        if len(rows) != 1:
            return None
        return rows.pop(), " and ".join(a for a, _ in said), " and ".join(b for _, b in said)

    def _appended(self, data, header_rows: Sequence[int], axis: str | None = None) -> list[tuple[dict, dict]]:
        """:meth:`restarts` for a table whose header line was written again before each of ``header_rows`` (pandas'
        ``to_csv(mode="a")`` after each fit), without an epoch column or with a step column (``axis``): a part whose
        first loss is closer to where the one before ended than to where it began went on training the same model,
        its rows appended; any other part is a fit of its own (``name#2`` ...), as where an epoch count starts
        again. Read as one run, the second of two identical 15-epoch histories showed a jump at "epoch 15"
        (lr_too_high, 94%); two fits logged by step were merged step by step into one run of half the rows.

        With ``axis``, a part whose count goes on past the one before is the same run logged on (appended as it is);
        one whose count starts later than the run's first step but not after its last, its first loss nearer the one
        logged at that step than the run's first, resumed from a checkpoint there (its rows supersede the earlier
        ones from that step, as a resumed epoch count's do), any other such part judged by its loss as above; one
        whose count starts again from the first and whose loss goes on is renumbered to follow on."""
        from ._source import warn

        def first_last(part):
            f = part[axis][np.isfinite(part[axis])] if axis is not None else np.zeros(0)
            return (float(f[0]), float(f[-1])) if f.shape[0] else None

        inverse = {canon: col for col, canon in self.maps["epoch"].items()}
        loss_col = inverse.get("train_loss") or inverse.get("val_loss")
        n = len(next(iter(data.values())))
        bounds = [0, *header_rows, n]
        parts = [{k: v[a:b] for k, v in data.items()} for a, b in zip(bounds[:-1], bounds[1:])]

        def ends(part):
            vals = part.get(loss_col) if loss_col is not None else None
            f = vals[np.isfinite(vals)] if vals is not None else np.zeros(0)
            return f if f.shape[0] else None

        def resumes(current, redone, here, previous):
            # A resume from a checkpoint at step s logs at s about the loss the earlier rows logged there; a fresh
            # fit whose count starts one interval in logs the first loss again (two fits at steps 0-190 and 10-200
            # were read as a resume at 10, 19 of the first fit's 20 rows left out). Without a loss to tell: a resume.
            at = ends({loss_col: current[loss_col][redone]}) if loss_col is not None else None
            if at is None or here is None or previous is None:
                return True
            return abs(here[0] - at[0]) < abs(here[0] - previous[0])

        runs, current, previous = [], parts[0], ends(parts[0])
        for row, part in zip(header_rows, parts[1:]):
            here = ends(part)
            was, now = first_last(current), first_last(part)
            redone = None if was is None or now is None else ~(current[axis] < now[0])
            if was is not None and now is not None and now[0] > was[1]:
                # (the same run logged on: read as the epoch column's count going on is, without a word)
                current = {k: np.concatenate([current[k], part[k]]) for k in current}
            elif redone is not None and now[0] > was[0] and resumes(current, redone, here, previous):
                warn(self.source, "the header line is written again before data row %d (logs joined: pandas' "
                                  "to_csv(mode='a'), cat), the %s count going back from %s to %s (training "
                                  "resumed there): read as one run from there on, the earlier rows of %ss %s-%s left "
                                  "out", row + 1, axis, _num(was[1]), _num(now[0]), axis, _num(now[0]), _num(was[1]))
                current = {k: np.concatenate([current[k][~redone], part[k]]) for k in current}
            elif here is not None and previous is not None and goes_on(previous, here[0]):
                if now is not None and was is not None:
                    part = dict(part)
                    part[axis] = part[axis] - now[0] + was[1] + (was[1] - was[0]) / max(
                        np.isfinite(current[axis]).sum() - 1, 1)
                warn(self.source, "the header line is written again before data row %d (logs joined: pandas' "
                                  "to_csv(mode='a'), cat), the loss going on from where it was: read as "
                                  "one run, its rows from there on as the %ss after", row + 1, axis or "epoch")
                current = {k: np.concatenate([current[k], part[k]]) for k in current}
            else:
                # Nearer where the last fit ended than where it started, yet not going on (goes_on): a fit from older
                # saved weights, not the loss starting again, as the epoch count's split says it (_Plan.split).
                older = here is not None and previous is not None \
                    and abs(here[0] - previous[-1]) < abs(here[0] - previous[0])
                why = (f"the loss at {here[0]:.4g} where it had ended at {previous[-1]:.4g} (a fit from older saved "
                       f"weights?)" if older else "the loss starting again")
                warn(self.source, "the header line is written again before data row %d (logs joined: pandas' "
                                  "to_csv(mode='a'), cat), %s: read as a run of its own", row + 1, why)
                runs.append(current)
                current = part
            previous = here if here is not None else previous
        runs.append(current)
        if len(runs) == 1:
            return [(runs[0], {})]
        return [(r, {"restart": f"{i + 1} of {len(runs)} (the header line was written again and the loss started "
                                f"again)"}) for i, r in enumerate(runs)]

    def _out_of_order(self, data) -> dict:
        """``data`` in epoch order where its count goes back but no epoch is logged twice (rows sorted as text,
        ``0 1 10 11 ... 19 2 20``; two rows swapped by hand): nothing was trained again, so it is no resume, whose
        epochs repeat. Read as resumes, a text-sorted 40-epoch log kept 10 epochs, its other 30 "left out"."""
        e = data[self.epoch]
        ok = np.isfinite(e)
        fe = e[ok]
        if fe.shape[0] < 2 or not (np.diff(fe) < 0).any() or np.unique(fe).shape[0] != fe.shape[0]:
            return data
        # (rows without an epoch keep their places after the sorted ones: a final test row stays last)
        order = np.concatenate([np.flatnonzero(ok)[np.argsort(fe, kind="stable")], np.flatnonzero(~ok)])
        first = int(np.flatnonzero(np.diff(fe) < 0)[0])
        from ._source import warn
        warn(self.source, "the epochs are not in order (epoch %s after %s, data row %d) though none is logged "
                          "twice: read sorted by epoch", _num(fe[first + 1]), _num(fe[first]),
             int(np.flatnonzero(ok)[first + 1]) + 1)
        return {k: v[order] for k, v in data.items()}

    def _written_again(self, data) -> dict:
        """``data`` without the earlier of two rows of one epoch in place (``0 1 2 3 3 4``: a fit resumed at the
        epoch it had just logged, a callback run again): the later read, said where they differ, as a printed
        Keras epoch is (:func:`._source.written_again`). Where most epochs have two rows, they are a log's two
        rows an epoch (a batch's and the epoch's), not rows written again: left to :class:`~losslens.run.Run`."""
        from ._source import warn_written_again, written_again

        e = data[self.epoch]
        others = [v for k, v in data.items() if k != self.epoch]
        if not others or e.shape[0] < 2:
            return data
        keep, redone = written_again(e, np.column_stack(others))
        if keep.all() or 2 * int((~keep).sum()) > np.unique(e[np.isfinite(e)]).shape[0]:
            return data
        warn_written_again(self.source, [(f"epoch {_num(e[i])}", _num(e[i]), i + 1, j + 1) for i, j in redone],
                           verb="written", where="row")
        return {k: v[keep] for k, v in data.items()}

    def _own_mapping(self, mapping: dict[str, str], data) -> dict[str, str]:
        """The file's name mapping, redone for a run whose column for a loss or accuracy is empty.

        In a long-format file several runs share one header: one run's ``eval_loss`` column is
        empty because it logged ``eval_clean_loss`` instead (several eval sets), or ``val/loss``
        where the others logged ``val_loss``. Mapped once per file, that run would lose its
        validation curve to an empty column."""
        # A column the user named (--metric eval_accuracy) stays theirs, empty or not.
        targets = {"train_loss", "val_loss", "train_acc", "val_acc"} - {self.metric} - set(self.overrides)
        empty = [c for c, canon in mapping.items() if canon in targets and not np.isfinite(data[c]).any()]
        if not empty:
            return mapping
        present = [c for c in mapping if c not in empty]
        own = map_columns(present, {k: v for k, v in self.overrides.items() if v in present})
        if not any(own[c] in targets and own[c] != mapping[c] for c in present):
            return mapping  # no other column of this run is that series either
        for c in empty:  # the empty column stays, under its own name when its series is taken
            own[c] = mapping[c] if mapping[c] not in own.values() else normalise(c)
        return own

    def _epoch_means(self, data, mapping: dict) -> dict:
        """``{"train_loss": ([step, ...], [mean, ...])}``: a training loss's epoch means (Lightning's ``x_epoch``, logged
        at each epoch's last step) that a step-axis run leaves for its ``x_step`` twin (:func:`lightning.twin_columns`),
        finite rows only; {} where there is none. The step twin is the curve; the epoch means are the training level
        the gap reads (:func:`losslens.facts.epoch_means`): a last batch's loss, 0.0106 beside an epoch mean of
        0.0652, made 93% of val_loss the gap where it was 55%."""
        if self.step is None:
            return {}
        out = {}
        for col, canon in self.maps["epoch"].items():
            if col in mapping or not canon.startswith("train_") or not canon.endswith("loss") \
                    or not normalise(col).endswith("_epoch") or data.get(col) is None or data[col].dtype == object:
                continue
            x, y = data[self.step], data[col]
            ok = np.isfinite(x) & np.isfinite(y)
            if ok.any():
                out[canon] = (x[ok].tolist(), y[ok].tolist())
        return out

    def _nonfinite_grad_norms(self, data, mapping, series, nan_columns, axis, source, say: bool = True) -> list:
        """The axis values of the rows whose logged ``grad_norm`` is inf or NaN, said in one warning
        (:func:`._source.warn_nonfinite_grad_norms`), before the rows are folded into epochs, where an epoch's mean
        hides them. A row logged it where it holds a value, NaN counted only where the column spells nan and the
        row logged the training loss (a metrics.csv leaves the cell empty on its other rows)."""
        g = series.get("grad_norm")
        if g is None or np.isfinite(g).all():
            return []
        col = next(c for c, k in mapping.items() if k == "grad_norm")
        logged = ~np.isnan(g)
        loss = series.get("train_loss")
        if col in nan_columns and loss is not None:
            logged |= ~np.isnan(loss) & np.isnan(g)
        steps = data[self.step] if self.step is not None else axis
        keep = logged & np.isfinite(axis)
        bad = keep & ~np.isfinite(g)
        if not bad.any():
            return []
        if say:
            scaler = any(normalise(c) in _source.LOSS_SCALE_COLUMNS for c in data)
            _source.warn_nonfinite_grad_norms(source, [float(x) for x in steps[keep]], [float(x) for x in g[keep]],
                                              scaler=scaler)
        return sorted({float(x) for x in axis[bad]})

    def _step_train_loss(self, data) -> tuple[list, list] | None:
        """``([step, ...], [loss, ...])``: the training loss at every step it was logged, before a folded log
        averages it per epoch (Lightning's ``train_loss_step``, a loop's per-batch ``train_loss``), for the
        swing within epochs that the epoch means hide (:func:`losslens.facts.epoch_swing.epoch_swing`); None
        where there is no such column or it holds one value an epoch."""
        col = next((c for c, canon in self.maps["step"].items() if canon == "train_loss"), None)
        if col is None or data.get(col) is None or data[col].dtype == object:
            return None
        x, y = data[self.step], data[col]
        ok = np.isfinite(x) & np.isfinite(y)
        if self.epoch is None or ok.sum() <= np.unique(data[self.epoch][ok]).shape[0]:
            return None
        lr = next((c for c, canon in self.maps["step"].items() if canon == "lr"), None)
        if lr is not None and data.get(lr) is not None and data[lr].dtype != object:
            # An lr cycled within the epoch (OneCycle or CyclicLR stepped per batch) swings the loss with it: that
            # swing is the schedule's, not the data order's.
            e, v = data[self.epoch], data[lr]
            has = np.isfinite(e) & np.isfinite(v)
            for epoch in np.unique(e[has]):
                w = v[has][e[has] == epoch]
                if w.size > 1 and w.max() > 1.1 * w.min():
                    return None
        return x[ok].tolist(), y[ok].tolist()

    def _pandas_nan(self, data, mapping, series, stated: set, meta: dict, source) -> None:
        """Adds to ``stated`` the series whose blank last cells :func:`blank_nan_tail` reads as NaN, and says so.
        ``data``: the run's columns but those that spell nan/inf (a CSVLogger's: their NaNs are no blank cells)."""
        own = {c: canon for c, canon in mapping.items() if c in data and series.get(canon) is data[c]}
        tail = blank_nan_tail(data, [c for c, canon in own.items() if canon in LOSS_SERIES],
                              {c for c in (self.epoch, self.step) if c is not None})
        if tail is None:
            return
        first, cols = tail
        cols = [c for c in cols if c in own]
        if not cols:
            return
        stated.update(own[c] for c in cols)
        n = len(next(iter(data.values())))
        axis = data[self.epoch] if self.epoch is not None and self.epoch in data else None
        at = _num(axis[first]) if axis is not None and np.isfinite(axis[first]) else str(first)
        frame = meta["format"] == "dataframe"
        from ._source import warn
        warn(source, "%s %s in the last %s of a %s: read as %s, not as %s not logged",
             " and ".join([", ".join(cols[:-1]), cols[-1]] if len(cols) > 1 else cols),
             "NaN" if frame else "blank",
             "row" + (f" (epoch {at})" if n - first == 1 else f"s ({n - first}, from epoch {at})"),
             "DataFrame with no other NaN" if frame else "table with no other blank cell",
             "the run's NaN (a History's DataFrame holds it so)" if frame else "NaN (pandas writes NaN so)",
             "a point" if n - first == 1 else "points")

    def build(self, data, name, source, meta, never_finite: bool = False,
              nan_columns: Collection[str] = ()) -> Run | None:
        """One Run from one run's rows, or None when its loss has no value at all (with
        ``never_finite``: when it has no loss column, or fewer than 2 rows).

        A series from columns not in ``nan_columns`` (:func:`to_runs`: every gap of theirs is a blank cell)
        whose last rows are empty while another loss is still logged stopped being logged there, it did
        not turn NaN;
        ``meta["logged_until"]`` keeps the last axis value it holds (see :func:`losslens.facts.divergence.logged`)."""
        mode = self._mode(data)
        meta = dict(meta)
        level = "step" if mode == "step" else "epoch"
        mapping = self._own_mapping(self.maps[level], data)
        series: dict[str, np.ndarray] = {}
        stated = set()  # the series that state where they turned NaN (from a column of nan_columns)
        for col, canon in mapping.items():
            if canon not in series:
                series[canon] = data[col]
                if col in nan_columns:
                    stated.add(canon)
                # (fastai's bare "accuracy" is val_acc, an RL log's train/loss is rl_train_loss: spelt_as keeps
                # meta["read_as"], where --metric accuracy / train/loss finds them)
                spelt_as(meta, col, canon)
        keep_validation_sets(meta, mapping)
        if meta.get("format") in ("csv", "xlsx", "dataframe") and mode in ("epoch", "row"):
            self._pandas_nan({c: v for c, v in data.items() if c not in nan_columns}, mapping, series, stated, meta,
                             source)
        if mode == "step":
            axis = data[self.step]
            axis_name = "step"
            if self.epoch is not None and "epoch_frac" not in series:
                series["epoch_frac"] = data[self.epoch]
            means = self._epoch_means(data, mapping)
            if means:
                meta["epoch_means"] = means
        elif mode == "row":
            axis = np.arange(len(next(iter(data.values()))), dtype=float)
            axis_name = "epoch"
            meta["axis_from"] = "row number (no epoch or step column)"
        else:
            axis = data[self.epoch]
            axis_name = "epoch"
            if self.step is not None:
                spe = lightning.steps_per_epoch(axis, data[self.step])
                if spe is not None:
                    meta["steps_per_epoch"] = spe
                    if mode == "fold":
                        steps = self._step_train_loss(data)
                        if steps is not None:
                            meta["step_train_loss"] = steps
        # (A trainer_state.json's reader says its rows itself, NaN among them, which its columns no longer spell.)
        skipped = self._nonfinite_grad_norms(data, mapping, series, nan_columns, axis, source,
                                             say=meta.get("format") != "hf_trainer_state")
        if skipped:
            meta["grad_norm_nonfinite_at"] = skipped
        keep = np.isfinite(axis)
        if not keep.all():
            axis = axis[keep]
            series = {k: v[keep] for k, v in series.items()}
        if mode == "fold":
            late = lightning.after_fit(axis, data[self.step][keep] if self.step is not None else None, series)
            if late.any():
                evaluated = {k: v[late][np.isfinite(v[late])] for k, v in series.items()}
                meta["evaluated_after_training"] = {k: float(v[-1]) for k, v in evaluated.items() if v.size}
                axis, series = axis[~late], {k: v[~late] for k, v in series.items()}
            axis, series = lightning.per_epoch(axis, series)
            meta["folded"] = ("rows averaged per epoch (step-level and epoch-level rows); a validation series "
                              "takes the epoch's last value")
        for target, col in self.negated.items():
            if mapping.get(col) in series:
                series[target] = -series[mapping[col]]
                meta.setdefault("negated", {})[target] = mapping[col]
                if mapping[col] in stated:
                    stated.add(target)
        for target, (col, kind) in self.rescaled.items():
            held = mapping.get(col)
            if held in series and target not in series:
                v = series[held]
                low = np.flatnonzero(np.isfinite(v) & (v < (1.0 if kind == "exp" else 0.0)))
                if low.size:
                    # ln of a perplexity below 1 is a negative loss, of one <= 0 a NaN: read as a gap, the point
                    # would go missing without a word.
                    what = "a perplexity is >= 1" if kind == "exp" else "bits per character are >= 0"
                    raise ReadError(f"column {col!r} holds {v[low[0]]:g} at {axis_name} {axis[low[0]]:g}: {what} "
                                    "(is it another quantity? name the loss with --metric)", source)
                with np.errstate(divide="ignore", invalid="ignore"):
                    series[target] = np.log(series[held]) if kind == "exp" else series[held] * math.log(2)
                meta.setdefault("loss_from", {})[target] = f"ln({held})" if kind == "exp" else f"{held} x ln 2"
                if held in stated:
                    stated.add(target)
        if self.score is not None and mapping.get(self.score) in series and not any(
                _has_values(series.get(n)) for n in LOSS_SERIES + tuple(ACCURACY_FALLBACK)):
            meta.setdefault("default_metric", mapping[self.score])
        for target, parts in self.parts.items():
            names = [mapping[c] for c in parts if mapping.get(c) in series]
            if names:
                total = series[names[0]].copy()
                for n in names[1:]:
                    total = total + series[n]
                series[target] = total
                meta.setdefault("loss_parts", {})[target] = names
                if stated & set(names):
                    stated.add(target)
        for key, v in series.items():
            if key not in stated:
                held = np.flatnonzero(np.isfinite(v))
                # Only while a loss goes on being logged: pandas' to_csv writes a NaN as a blank cell too,
                # and a run whose every loss ends blank together may have diverged.
                if held.size and held[-1] < v.shape[0] - 1 and any(
                        np.isfinite(series[n][held[-1] + 1:]).any() for n in LOSS_SERIES if n in series and n != key):
                    meta.setdefault("logged_until", {})[key] = float(axis[held[-1]])
                    from ._source import cut_said, warn
                    tail, rhythm = v.shape[0] - 1 - held[-1], np.diff(held, prepend=-1).max()
                    if meta.get("format") not in ("csv", "xlsx", "dataframe") or tail <= rhythm - 1 or \
                            (tail <= rhythm and cut_said(self.source)):
                        # A record without the key (JSON, a trainer state), a None in a dict, is plainly not
                        # logged; a tail no longer than the series' own gaps (val_loss every 10 steps) is its
                        # logging rhythm; one check short in a file whose last line was cut is the check the cut
                        # came before (a Lightning metrics.csv killed inside an epoch's training rows), which the
                        # cut's own warning says: "write nan where it diverged" beside it told of a divergence.
                        continue
                    # Said in a plain table and a DataFrame only: pandas writes a NaN as a blank cell too (and
                    # reads a blank cell as NaN), so there this reading is a guess.
                    warn(self.source, "%s has no value after %s %s (%s while another loss goes on): read as no "
                         "longer logged, %s", key, level, _num(axis[held[-1]]),
                         *(("blank cells", "not as NaN; write nan where it diverged")
                           if meta["format"] in ("csv", "xlsx") else
                           ("NaN to the end", "as a blank cell pandas read; a dict of lists holding float('nan') "
                            "there says it diverged")))
        # (a series that spells nan/inf wrote its last NaN: facts.divergence.stated_final)
        meta["nan_stated"] = sorted(stated)
        if never_finite:
            if not any(n in series for n in self.loss_names) or axis.shape[0] < 2:
                return None
        elif not any(_has_values(series.get(n)) for n in self.loss_names) and not (
                self.metric is not None and _has_values(series.get(self.metric))):
            return None
        return Run(axis=axis, series=series, axis_name=axis_name, name=name, source=source, meta=meta)


#: Rows before a blank tail that must hold every cell for that tail to read as NaN (:func:`blank_nan_tail`): as few
#: as a curve needs to be diagnosed (facts.MIN_POINTS_TO_DIAGNOSE). A pandas frame of a History, a loop's dict, is
#: dense by construction; Lightning's metrics.csv, validation every k epochs, a loop logging some keys some epochs,
#: have blanks from their first rows and never get here.
DENSE_ROWS = 3


def blank_nan_tail(data: Mapping[str, np.ndarray], losses: Sequence[str], axes: Collection[str]
                   ) -> tuple[int, list[str]] | None:
    """``(first tail row, its blank columns)`` where a table's blank cells are NaNs pandas wrote, not values not
    logged; else None.

    pandas' ``to_csv`` writes NaN as an empty cell, and the common way a Keras History or a loop's dict of lists is
    saved goes through it (``pd.DataFrame(history.history).to_csv(...)``, with its unnamed index or
    ``index=False``): a run that went NaN in its last epoch leaves its losses blank in the last row, where its
    CSVLogger twin spells ``nan`` (tests/fixtures/ecosystem/pandas_nan_last: a digits MLP fed one NaN input in epoch
    24, val_accuracy 0.10 from NaN weights; read "converged", no word, where the CSVLogger's file read diverged).
    Read so only where nothing else could have left the cells blank: every row before the tail (at least
    ``DENSE_ROWS``) holds every cell of every column; every row of the tail holds a value beside its blanks (the
    epoch was logged: its accuracy, its lr; a frame preallocated with NaN and cut short has rows of nothing); every
    loss (``losses``) is blank in the last row and in every tail row after the first (a loop that stopped
    evaluating while training went on stays "not logged", :meth:`_Plan.build`); and a column blank in the tail
    stays blank to its end. ``axes``: the epoch/step columns, no value of the row's own."""
    numeric = {c: np.asarray(v, dtype=float) for c, v in data.items() if getattr(v, "dtype", None) != object}
    if not numeric or not losses:
        return None
    blank = np.column_stack([np.isnan(v) for v in numeric.values()])
    rows = np.flatnonzero(blank.any(axis=1))
    if rows.size == 0 or rows[0] < DENSE_ROWS:
        return None
    first = int(rows[0])
    values = [i for i, c in enumerate(numeric) if c not in axes]
    tail = blank[first:]
    if not (~tail[:, values]).any(axis=1).all():
        return None
    names = list(numeric)
    for c in losses:
        b = tail[:, names.index(c)]
        if not b[1:].all() or not b[-1]:
            return None
    cols = []
    for j, c in enumerate(names):
        b = tail[:, j]
        if b.any():
            if not b[int(np.argmax(b)):].all():
                return None
            cols.append(c)
    return first, cols


def _has_values(arr) -> bool:
    return arr is not None and arr.shape[0] > 0 and bool((~np.isnan(arr)).any())
