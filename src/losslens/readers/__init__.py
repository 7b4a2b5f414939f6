"""Readers: one module per format, each turning a file into Runs.

The format is detected from the content, not the file name. ``read(path)`` returns a
list of Runs (a long-format file or a directory can hold many).

=========================  ==========================================  =========================
content                    recognised by                               module
=========================  ==========================================  =========================
Keras CSVLogger, any CSV,  a header row, then rows (``,``, tab, ``;``,  :mod:`.delimited`,
TSV, long-format files     ``|`` or spaces); ``NA``/empty = missing     :mod:`.table`
Lightning ``metrics.csv``  integer ``epoch`` with repeats + ``step``   :mod:`.lightning`
Keras History as JSON      a JSON object of lists (or ``"history"``)   :mod:`.keras`
Keras ``fit`` console log  ``Epoch k/N`` lines, then ``loss: ...``     :mod:`.console`
Jupyter notebook           its saved outputs, a run per fit cell       :mod:`.console`
HF ``Trainer`` console     ``{'loss': ..., 'epoch': ...}`` lines        :mod:`.console`
tqdm postfix, fastai table ``NN%|...| n/N [..., loss=0.5]`` redrawn;   :mod:`.console`
                           ``epoch  train_loss  valid_loss`` + rows
XGBoost / LightGBM prints  ``[10]\ttrain-logloss:0.19`` /               :mod:`.boosting`
                           ``[10]\tvalid's binary_logloss: 0.47``
HF ``trainer_state.json``  a JSON object with ``log_history``          :mod:`.huggingface`
JSON Lines / JSON records  one object per line / an array of objects   :mod:`.records`
Sacred ``metrics.json``    ``{name: {"steps", "values"}}``             :mod:`.sacred`
MMEngine ``scalars.json``  JSON Lines: rows with ``iter``, and         :mod:`.mmengine`
                           validation rows without it
MMEngine printed ``.log``  ``Epoch(train) [e][i/n]`` or                :mod:`.mmengine`
                           ``Iter(train) [i/n]`` lines with values
DVCLive ``plots/metrics``  ``step<TAB>NAME`` in ``NAME.tsv``; the      :mod:`.dvclive`
                           folders above say the split (a directory:
                           one run)
CatBoost ``train_dir``     ``iter`` first in ``learn_error.tsv`` /     :mod:`.catboost`
                           ``test_error.tsv``; its JSON (``meta``,
                           ``iterations``)
Excel ``.xlsx``/``.xlsm``  a zip of ``xl/`` parts; each sheet read   :mod:`.excel`
                           as its CSV export, a run per sheet
gzip / bzip2 / xz          magic bytes; the content inside as above    :mod:`._source`
TensorBoard event files    ``brain.Event`` record, or ``tfevents`` in   :mod:`.tensorboard`,
                           the name; URI ``tb:PATH``                   :mod:`.tfevents` (records)
MLflow                     SQLite magic bytes, an ``mlruns`` store;    :mod:`.mlflow`
                           URIs ``mlflow:...``, ``sqlite:///``,
                           ``http(s)://``
Weights & Biases           ``.wandb`` run files; URI ``wandb:PATH``    :mod:`.wandb`
a directory                every run found inside, recursively         :mod:`.directory`
=========================  ==========================================  =========================

Beside a log, read with it (not a run of their own): Lightning's ``hparams.yaml`` next to ``metrics.csv`` or an
event file, or next to any log that is its folder's only one (:mod:`.hparams`: the settings the rules read, a weight
decay, the lr), Ultralytics' ``args.yaml``
next to ``results.csv`` (:mod:`.ultralytics`: epochs, lr0/lrf, warm-up), a Ray Tune trial's ``params.json``
next to ``progress.csv`` / ``result.json`` (:func:`.hparams.tune_config`: its config). Apart from training logs, a learning
curve over training-set size (``losslens data``, ``losslens.more_data``): :mod:`.learning_curve`.

In memory (``losslens.diagnose(obj)``): a Keras ``History`` or dict of lists, a pandas
DataFrame, a fitted scikit-learn ``MLPClassifier``/``MLPRegressor`` (:mod:`.sklearn`).

The TensorBoard, MLflow, W&B and Excel readers are imported only when such a source is read (``delegate``;
excel from ``_read_file``): their packages (tensorboard, mlflow, wandb, openpyxl) are optional extras, and
a missing one is a ``MissingExtraError`` naming the ``pip install`` that adds it.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from pathlib import Path
from typing import Mapping

import numpy as np

from ..columns import axis_kind, given_columns, is_trainer_timing
from ..exceptions import (LosslensError, MissingExtraError, NoLossError, ReadError, RunNotFoundError, UnknownFormatError,
                          UsageError, UsageTypeError, raised_in)
from ..run import Run
from . import _source, boosting, catboost, console, delimited, dvclive, hparams, huggingface, keras, lightning, mmengine, records, sacred, table, ultralytics

from ._source import reporting  # noqa: E402 - the CLI's progress bar hooks the reading of a folder's runs
from ._source import run_name  # noqa: E402 - a file's run name, which the callbacks give their live run too

__all__ = ["read", "read_file", "reporting", "run_name", "starts_late", "missing_start_note"]

_URI_SCHEMES = {"mlflow:": "mlflow", "sqlite:": "mlflow", "http://": "mlflow", "https://": "mlflow",
                "databricks://": "mlflow", "tb:": "tensorboard", "tensorboard:": "tensorboard",
                "wandb:": "wandb"}
_DELEGATES = {  # module: (its reader, what it reads, the library whose own errors on a damaged store are bad input)
    "tensorboard": ("read_tensorboard", "a TensorBoard event log", "tensorboard"),
    "mlflow": ("read_mlflow", "an MLflow tracking store", "mlflow"),
    "wandb": ("read_wandb", "a Weights & Biases run", "wandb"),
}


def read(source, *, columns: Mapping[str, str] | None = None, run_column=None,
         run_id: str | None = None, experiment: str | None = None, metric: str | None = None) -> list[Run]:
    """Read every run in ``source``: a file, a directory or a tracking URI.

    Parameters
    ----------
    source : str or os.PathLike, or a list of them
        A log file (format detected from its content), ``"-"`` for standard input (what a
        training script printed, piped in), a directory (every run inside, recursively), or a URI: ``mlflow:[TRACKING_URI]``, ``sqlite:///mlflow.db``,
        ``http(s)://mlflow-server``, ``tb:LOGDIR``, ``wandb:RUN_DIR``. A list is read path by path, as the CLI
        reads several: their runs in order.
    columns : dict, optional
        Column overrides ``{canonical name: column in the file}``, e.g.
        ``{"val_loss": "my_dev_ce"}``; ``{"epoch": "iter"}`` names the axis column.
    run_column : str or list of str, optional
        The column holding run ids in a long-format file (default: a text column named
        ``run_id``, ``run``, ``run_name`` or ``experiment`` with repeated values); a list
        names columns that identify a run together (``["openmlid", "learner"]``).
    run_id : str, optional
        Keep only this run.
    experiment : str, optional
        MLflow experiment name or id.
    metric : str, optional
        The series the caller will diagnose: a file holding it but no loss is accepted.

    Returns
    -------
    list of Run
        At least one.

    Raises
    ------
    ReadError
        Missing, empty, truncated or unreadable input (one line: the source, the problem);
        :class:`~losslens.exceptions.NoLossError` when there is no loss column (or it holds
        no value), :class:`~losslens.exceptions.UnknownFormatError` for content that is no
        format losslens reads.
    """
    # Before reading: a folder passes a file's refusal over, and the TensorBoard, MLflow and W&B stores map no columns.
    given_columns(columns)
    options = dict(columns=columns, run_column=run_column, run_id=run_id, experiment=experiment, metric=metric)
    if isinstance(source, (list, tuple)):
        from .directory import name_apart
        return name_apart([run for path in source for run in read(path, **options)])
    runs = _read(source, **options)
    for run in runs:
        _reports_not_steps(run)
        _missing_start(run)
    return runs


#: Ray Tune's own columns beside each ``tune.report``: a row is one report (``training_iteration``), not a step.
_RAY_REPORT = ("iterations_since_restore", "time_this_iter_s")
#: Fewer shared points than this say nothing about how the two losses were logged.
_REPORTS_MIN_POINTS = 3


def _reports_not_steps(run: Run) -> None:
    """A log on a ``step`` axis whose rows are reports, each an aggregate over many batches, is read on an epoch
    axis (its values kept: ``plateau at epoch 18`` where it logged step 18).

    Two signs, read from the data rather than the axis column's name: the training and validation losses logged at
    exactly the same axis values, one of each at every one of them, those values consecutive integers (a report
    index: MLflow's ``log_metrics(..., step=epoch)``, a CSV's ``step`` counting epochs), or Ray Tune's report
    columns beside them (``training_iteration`` is one ``tune.report``, usually an epoch's means). A training
    loss evaluated only where validation is, one value each, is not a batch's: read as one (``facts.batch_loss``)
    it was smoothed and its scatter read as the batches', and the same numbers read overfitting under a ``step``
    header where they read lr_too_high under ``epoch``. A per-step log keeps its steps: a Trainer's
    (``epoch_frac`` beside them), Lightning's ``on_step`` (training logged at steps where validation is not), a
    loop logging every 10th batch (steps 10 apart), and a booster's trees (scikit-learn's ``train_score_``,
    read on as XGBoost's rounds are)."""
    if run.axis_name != "step" or "epoch_frac" in run.series:
        return
    if "train_score" in run.series or "validation_score" in run.series:
        return  # (scikit-learn's boosters save a score a tree, train_score_ / validation_score_: rounds, not reports)
    ray = all(k in run.series for k in _RAY_REPORT)
    if not ray and not (run.has("train_loss") and run.has("val_loss")):
        return
    if not ray:
        train, val = np.isfinite(run.series["train_loss"]), np.isfinite(run.series["val_loss"])
        axis = np.asarray(run.axis, dtype=float)[train]
        if not np.array_equal(train, val) or train.sum() < _REPORTS_MIN_POINTS or \
                not np.all(np.diff(axis) == 1) or not np.all(axis == np.round(axis)):
            return
    run.axis_name = "epoch"


def starts_late(axis) -> float | None:
    """The first value of ``axis`` (shape ``(n,)``, in order) where the log starts late, else None: past 1 and past
    its own spacing (the median step; 1 for a single point). A log at 1, 2, 3 ... (1-based) or every k from k starts
    where it should; a Trainer's ``logging_steps=50`` starts at step 50."""
    axis = np.asarray(axis, dtype=float)
    axis = axis[np.isfinite(axis)]
    if not axis.size:
        return None
    first = float(axis[0])
    spacing = float(np.median(np.diff(axis))) if axis.size > 1 else 1.0
    return first if first > max(1.0, spacing) else None


def missing_start_note(first: float, step: float | None = None) -> str:
    """The note (and warning) of a log that starts at epoch ``first`` (at ``step``, where it is on steps), its
    earlier epochs missing: one wording, which :func:`~losslens.comparison.compare` takes back where those epochs
    are BEFORE's."""
    at = f"epoch {first:g}" if step is None else f"step {step:g} (epoch {first:g})"
    return (f"the log starts at {at}, the earlier epochs are missing (a resumed fit: in another log, or "
            f"overwritten, as CSVLogger(version=0) does); X is measured from {at.split(' (')[0]}")


def _missing_start(run: Run) -> None:
    """Say so when an epoch log starts late (:func:`starts_late`): its first epochs were never in the file.

    A fit resumed from a checkpoint with its logger pinned to the same version (Lightning's
    ``CSVLogger(version=0)``, Keras' ``CSVLogger(append=False)`` with ``initial_epoch``) writes
    its file anew, from the epoch it resumed at. The epochs stay the run's own, but the curve's
    start, from which X and the improvement are measured, is not where training started.
    (Checked after a directory's resumed versions are joined: the join starts at epoch 0.)"""
    # A Trainer's event file is on its steps, its epochs beside them (readers.tensorboard._trainer_axis): told on
    # those, as when they were its axis (a process resumed from checkpoint-20 logs from step 25, epoch 2.5).
    trainer = run.axis_name == "step" and run.meta.get("framework") == "transformers" and "epoch_frac" in run.series
    epochs = np.asarray(run.series["epoch_frac"] if trainer else run.axis, dtype=float)
    if not (run.axis_name == "epoch" or trainer) or np.isfinite(epochs).sum() < 2:
        return
    first = starts_late(epochs)
    if first is None:
        return
    run.meta["starts_at_epoch"] = first
    step = None
    if trainer:
        step = float(np.asarray(run.axis, dtype=float)[np.isfinite(epochs)][0])
        run.meta["starts_at_step"] = step
    with _source.noting() as notes:
        _source.warn(run.source or run.name, missing_start_note(first, step))
    _source.keep_notes([run], notes)


def _read(source, *, columns, run_column, run_id, experiment, metric) -> list[Run]:
    if not isinstance(source, (str, os.PathLike)):
        raise UsageTypeError(f"read() takes a path or URI, got {type(source).__name__}")
    text = os.fspath(source)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    options = dict(columns=columns, run_column=run_column, run_id=run_id, metric=metric)
    kind, target = scheme(text)
    if kind == "mlflow":
        # "mlflow:" alone means MLflow's own default: $MLFLOW_TRACKING_URI, else ./mlruns, else MLflow 3's
        # ./mlflow.db.
        if not target:
            from .mlflow import default_store
            target = default_store()
            text += target  # ("mlflow:mlruns": the store read, said as the user would name it)
        return delegate("mlflow", text, target, run_id=run_id, experiment=experiment)
    if kind is not None:
        return select_run(delegate(kind, text, target), run_id, text)
    # "book.xlsx#Sheet1", "runs.csv#lr0.1": the name the readers give one run of a file holding several, read
    # back as its path and run (only where the whole string names nothing and the part before its last '#' does).
    whole, named = path_and_run(text)
    if named is not None:
        if run_id is not None and run_id != named:
            raise UsageError(f"names run {named!r} after '#' and {run_id!r} as the run to read: give one", text)
        return _read(whole, columns=columns, run_column=run_column, run_id=named, experiment=experiment,
                     metric=metric)
    if not target.strip():
        raise ReadError("no path given", repr(text))
    if target == "-":  # python train.py | losslens diagnose -
        return _read_stdin(experiment=experiment, **options)
    path = Path(target).expanduser()
    if path.is_dir():
        from .directory import read_directory
        return read_directory(path, text, experiment=experiment, **options)
    return read_file(path, text, experiment=experiment, **options)


def _read_stdin(**options) -> list[Run]:
    """What was piped in, read like a file of that content (a printed log, a CSV ...), named "stdin"."""
    import sys
    import tempfile

    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stdin"
        path.write_bytes(data)
        return read_file(path, "<stdin>", **options)


def read_file(path: Path, source: str | None = None, *, columns=None, run_column=None, run_id=None,
              metric=None, experiment=None, walked_from: Path | None = None) -> list[Run]:
    """Read one file (not a directory); ``source`` is the string quoted in errors and on Runs; the readers'
    warnings about it are kept on its runs too (``run.meta["notes"]``). ``walked_from``: the folder a user named, where
    the file was found in it (:func:`~losslens.readers.directory.read_directory`); None where the file was named."""
    with _source.noting() as notes:
        runs = _read_file(path, str(path) if source is None else source, columns=columns, run_column=run_column,
                          run_id=run_id, metric=metric, experiment=experiment)
        # Lightning's loggers write hparams.yaml beside metrics.csv / the event file; another file in that
        # folder need not be the same run's, unless it is the folder's one log (a script's log.csv beside its
        # hparams.yaml read "the logs save no setting that differs" of an lr 0.05 -> 0.005).
        saved = hparams.beside(path) if path.name == "metrics.csv" or "tfevents" in path.name or (
            path.name != hparams.FILE and hparams.alone(path)) else None
        if saved:
            for run in runs:  # over what the event file's hparams plugin holds (add_hparams): the file is the whole set
                run.meta["hparams"] = {**(run.meta.get("hparams") or {}), **saved}
        # Ray Tune writes each trial's config to params.json beside its reports (and into each report of result.json).
        config = hparams.tune_config(path)
        if config:
            for run in runs:
                run.meta["tune_config"] = config
        # Lightning's ModelCheckpoint keeps its best under checkpoints/ beside metrics.csv: the weights to keep.
        kept = lightning.kept_checkpoint(path) if path.name == "metrics.csv" else None
        if kept:
            for run in runs:
                run.meta["best_checkpoint"] = kept
        # Ultralytics writes args.yaml beside results.csv: the planned epochs and the lr schedule.
        ultralytics.beside(path, runs)
        # The Trainer's model config.json beside trainer_state.json (or in its checkpoints): the problem it solves.
        if path.name == "trainer_state.json":
            huggingface.with_model_config(path, runs)
            try:
                # Only where a folder named holds the checkpoint below it, its output folder's final state missing:
                # a user who named a checkpoint-N folder (trainer_state.json its own) or its state file chose that
                # checkpoint, whose history ends at its step as every checkpoint's does.
                if walked_from is not None and path.parent != walked_from:
                    huggingface.checkpoint_alone(path, json.loads(path.read_text()), source or str(path))
            except (OSError, ValueError):
                pass  # (read above already: a state that cannot be read again is no run to warn about)
    _source.keep_notes(runs, notes)
    return runs


def _read_file(path: Path, source: str, *, columns, run_column, run_id, metric, experiment) -> list[Run]:
    content = _source.load(path, source)
    if content.kind == "tfevents":
        runs = select_run(delegate("tensorboard", source, str(path)), run_id, source)
        summary = hparams_summary(path, runs) or _one_of_event_files(path, runs)
        if summary is not None:
            raise UnknownFormatError(summary, source)
        return runs
    if content.kind == "sqlite":
        uri = f"sqlite:///{path.resolve()}"
        return delegate("mlflow", source, uri, run_id=run_id, experiment=experiment)
    if content.kind == "wandb":
        return select_run(delegate("wandb", source, str(path)), run_id, source)
    if content.kind == "xlsx":
        from .excel import read_workbook  # (openpyxl, the excel extra, is imported there)
        return read_workbook(path, source, name=_source.run_name(path), columns=columns, run_column=run_column,
                             run_id=run_id, metric=metric)
    if path.suffix.lower() == ".py":
        # The shipped examples/verify_train.py given to diagnose read "no numeric columns (found: A training
        # function for ``losslens ve...)": a docstring parsed as a table header.
        raise UnknownFormatError(f"a Python file, not a training log (if it holds a training function: losslens "
                                 f"verify {source}:FUNCTION trains and diagnoses it)", source)
    settings = _settings_file(path, content.text)
    if settings is not None:
        raise UnknownFormatError(settings, source)
    text = content.text
    _source.refuse_own_output(text, source)
    booster = boosting.printed_library(text)  # "[0]\ttrain-logloss:0.6 ...": not JSON, though it opens so
    # (A printed line may open with "[" too: "[Epoch 1] Training loss: ...", "[INFO] ...": JSON only where a
    # value follows it.)
    json_like = _JSON_START.match(text[:4096].lstrip()) is not None and booster is None
    if not json_like:  # (a cut JSON document is unreadable JSON, said as such)
        text = _source.without_cut_line(text, source, boosting.cut_last_line if booster else None)
    name = _source.run_name(path)
    options = dict(name=name, source=source, columns=columns, run_column=run_column, run_id=run_id,
                   metric=metric)
    if console.is_hf_console(text):  # Python dicts, one per line: before JSON, which they resemble
        rows, after, _ = huggingface.split_after_training(console.hf_console_rows(text, source))
        return table.to_runs(records.to_columns(rows, drop=is_trainer_timing, skip=huggingface.is_summary),
                             fmt="hf_console",
                             meta={"evaluated_after_training": after} if after else None, **options)
    if booster is not None:
        return table.to_runs(boosting.columns(text, source), fmt=f"{booster}_printed", **options)
    if json_like:
        try:
            return _read_json(text, **options)
        except UnknownFormatError as exc:
            summary = _summary_json(path, text) if exc.problem.startswith(_NO_HISTORY) else None
            if summary is None:
                raise
            raise UnknownFormatError(summary, source) from None
    own = _library_file(path, text, options)
    if own is not None:
        return own
    try:
        printed = _printed(text, options)
    except (NoLossError, UnknownFormatError) as exc:
        # One line per run with its figures, each naming an axis ("pre_e2 steps 64, train loss last 4.140, eval loss
        # best 4.095 at step 64"): read as a printed log whose columns are "train loss last", "eval loss best" (no
        # loss), or none ("seed 0: val_loss at epoch 399 0.1718, best 0.1681": no numeric columns (found: step)).
        results = _result_lines(text, per_run=isinstance(exc, NoLossError))
        if results is None:
            raise
        raise UnknownFormatError(_printed_results(*results), source) from None
    if printed is not None:
        if all(_too_short(run) for run in printed) and not _names_an_axis(text):
            # A script's results, a line per run ("lr10: lr 0.0005 epochs 12 hidden 32 final eval_loss 2.2678",
            # "base: lr=0.001 epochs=30 ... final val_loss=0.04126"), read as a printed log of one or two points:
            # refused by the diagnosis as "too short to diagnose", as if the run had stopped early, where the file
            # holds no run's curve at all.
            results = _result_lines(text) or _result_lines(_NAME_IS.sub(" ", text))
            if results is not None and _runs_named(_NAME_IS.sub(" ", text)):
                n, first = results
                shown = next((ln.strip() for ln in _text_lines(text) if _NAME_IS.sub(" ", ln.strip()) == first), first)
                raise UnknownFormatError(_printed_results(n, shown), source)
        return printed
    rich = console.lightning_rich_epochs(text)
    if rich:
        # Rich redraws its bar only on a terminal: written to a file it prints the bar once, as fit left it.
        shown = ", ".join(f"epoch {e}" for e in dict.fromkeys(rich))
        raise UnknownFormatError(
            f"Lightning's RichProgressBar, captured outside a terminal, printed its bar only as fit left it ({shown}): "
            "no curve to read; read the run's CSVLogger file (lightning_logs/version_N/metrics.csv), or capture the "
            "console with Trainer(callbacks=[TQDMProgressBar()]), which prints every epoch", options["source"])
    results = console.printed_results(text)
    if results is not None:
        raise UnknownFormatError(_printed_results(*results), source)
    try:
        return table.csv_runs(text, fmt="csv", **options)
    except (MissingExtraError, RunNotFoundError):
        raise
    except ReadError as exc:
        # Read as a table, printed lines were refused as one: "no numeric columns (found: wine_w1: loss 0.4421, ...)",
        # "no loss or accuracy column (found: 2.13.0+cpu)" under a version line, "no data rows (header only:
        # dlin_lr0.2_600, val, 0:0.6121, ...)", which say nothing of what the file is or what to give instead.
        what = _what_text_is(text, prose_header=isinstance(exc, UnknownFormatError))
        if what is None:
            raise
        raise UnknownFormatError(what, source) from None


def _printed(text: str, options: dict) -> list[Run] | None:
    """The runs of a printed log (Keras' ``fit``, a loop's own lines: :func:`console.printed_columns`), or None
    where ``text`` holds none."""
    printed = console.printed_columns(text, options["source"], report=True)
    if printed is None:
        return None
    cols, fmt, stated = printed
    return _planned(table.to_runs(cols, fmt=fmt, logged_nan=delimited.count_nonfinite(text), nan_columns=stated,
                                  **options), text, fmt)


def _printed_after_json(text: str, options: dict, problem: str) -> list[Run]:
    """A text that opened as JSON but is none, read as the printed log it may be: a script that prints its
    settings first (``print(config)``: ``{'lr': 0.001, 'epochs': 60}``, or ``json.dumps`` of them) and then
    Keras' epoch lines was refused as unreadable JSON, its format guessed from that first line alone. Where no
    printed epochs or steps are found either, the error says both were tried."""
    runs = _printed(_source.without_cut_line(text, options["source"]), options)
    if runs is None:
        # (a JSON document cut or damaged, one line or many, is refused as before: "nor a printed log" is said
        # only of a text whose first line is whole and which goes on, as a printed log opening with its settings)
        tried = "; nor a printed log (no epoch or step lines with losses, as Keras' fit or a loop prints them)" \
            if _whole_first_line(text) else ""
        raise ReadError(problem + tried, options["source"])
    return runs


def _whole_first_line(text: str) -> bool:
    """The first non-blank line is a whole JSON value or Python literal and another line follows it."""
    import ast

    lines = [ln for ln in text[:65536].splitlines() if ln.strip()]
    if len(lines) < 2:
        return False
    try:
        json.loads(lines[0])
    except (ValueError, RecursionError):
        try:
            ast.literal_eval(lines[0].strip())
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return False
    return True


def _planned(runs: list[Run], text: str, fmt: str) -> list[Run]:
    """The planned end a printed log states (``Epoch 3/20``, ``step:125/1750``: console.planned_end) in the
    last run's meta, on the axis it was read on: a log of several fits states the last one's."""
    found = console.planned_end(text, fmt, runs[-1].axis_name, runs[-1].axis) if runs else None
    if found is not None:
        runs[-1].meta["planned_end"], runs[-1].meta["planned_end_from"] = found
    return runs


def _library_file(path: Path, text: str, options: dict) -> list[Run] | None:
    """A file a library writes in its own layout, whose name or folder says what the columns alone do
    not: DVCLive's ``val/loss.tsv`` holds a column ``loss``; CatBoost's ``test_error.tsv`` a ``Logloss``."""
    if dvclive.is_metric_file(path, text):
        return dvclive.read_metric_file(path, text, **options)
    if catboost.is_error_file(path, text):
        return catboost.read_error_file(path, text, **options)
    if catboost.is_timing_file(path, text):
        raise UnknownFormatError("CatBoost's time per iteration, not a curve: read the folder, or its "
                                 "learn_error.tsv / test_error.tsv", options["source"])
    if catboost.is_printed(text):
        raise UnknownFormatError("CatBoost's printed progress does not name its metric (a loss or a score): read its "
                                 "catboost_info/ folder (learn_error.tsv, test_error.tsv) instead", options["source"])
    if mmengine.is_log(text):
        return table.to_runs(mmengine.columns(mmengine.log_rows(text)), fmt="mmengine_log", **options)
    return None


_JSON_START = re.compile(r'\{|\[\s*(?:[\[{"\]\d.-]|true|false|null|NaN|-?Infinity|$)')


#: What a user passes instead of a file that holds no value per epoch or step (a refusal's last clause).
_PASS_THE_LOG = ("pass the log the run wrote as it trained (a Keras CSVLogger file, Lightning's metrics.csv, a Trainer's "
                 "trainer_state.json) or what it printed each epoch")

_SETTINGS_SUFFIXES = {".yaml": "YAML", ".yml": "YAML", ".toml": "TOML", ".ini": "INI", ".cfg": "INI"}
_DOCUMENT_SUFFIXES = {".md": "a Markdown document", ".rst": "a reStructuredText document"}


def _settings_file(path: Path, text: str) -> str | None:
    """The refusal of a file that by its name holds settings, prose or one value of a store, never a curve (no reader
    takes one; a folder's walk passes over them), naming it and what to pass instead: Lightning's hparams.yaml named
    alone was read as a table, "no numeric columns (found: lr:, 0.003)", or as a JSON object ("keys: none") where it
    held ``{}``; a Transformers model's config.json "no numeric columns (found: architectures)"; an MLflow run's param
    file "no data rows (header only: adam)". None for any other file."""
    suffix = path.suffix.lower()
    first = _clipped(console.first_line(text).strip(), 40)
    if suffix in _SETTINGS_SUFFIXES:
        shown = f": {first!r}" if first else ""
        what = ("Lightning's hparams.yaml, the run's saved settings" if path.name == hparams.FILE
                else f"a {_SETTINGS_SUFFIXES[suffix]} file of settings")
        return (f"{what}{shown}, not a training log: pass the log written beside it (metrics.csv, an event file) or "
                "the folder holding both, where the settings are read with the log")
    if suffix in _DOCUMENT_SUFFIXES:
        return f"{_DOCUMENT_SUFFIXES[suffix]}, not a training log: pass the log it describes"
    if path.name == "config.json" and re.search(r'"(?:architectures|model_type)"\s*:', text[:65536]):
        return ("a Transformers model's config.json, not a training log: pass the Trainer's trainer_state.json (in its "
                "output folder or a checkpoint-N folder) or that folder")
    run = path.parent.parent
    if path.parent.name in _MLFLOW_RUN_FILES and (run / "meta.yaml").is_file() and (run.parent / "meta.yaml").is_file():
        return (f"an MLflow run's {_MLFLOW_RUN_FILES[path.parent.name]} file ({path.parent.name}/{path.name}), not a "
                f"log to read alone: pass its store, losslens diagnose {run.parent.parent} --run {run.name}")
    return None


_NO_HISTORY = "a JSON object without history, log_history"
#: The Transformers run scripts' ``trainer.save_metrics()`` files: each the final figures of one phase.
_TRAINER_SUMMARIES = {"all_results.json", "train_results.json", "eval_results.json", "test_results.json",
                      "predict_results.json"}


def _summary_json(path: Path, text: str) -> str | None:
    """The refusal of a JSON object of one value per key that a library writes beside the run's log (its last
    values, its settings), naming that log where it is there; None for any other. Each was refused "a JSON object
    without history, log_history or lists of values (keys: ...)", which said neither."""
    try:
        keys = table.column_listing(json.loads(text))
    except (ValueError, TypeError, AttributeError):
        return None
    folder = path.parent
    if path.name == "metrics.json" and (dvclive.metrics_dir(folder) is not None or folder.name == "dvclive"):
        curves = folder / "plots" / "metrics"
        return (f"DVCLive's metrics.json, the run's last values (keys: {keys}), not a training log: pass its values "
                f"per step, losslens diagnose {curves if curves.is_dir() else folder / 'plots/metrics/'}, or the "
                f"folder {folder}")
    if path.name in _TRAINER_SUMMARIES and ("epoch" in keys or "_loss" in keys or "_runtime" in keys):
        state = folder / "trainer_state.json"
        if not state.is_file():
            states = sorted(folder.glob("checkpoint-*/trainer_state.json"), key=lambda f: _source.natural_key(str(f)))
            state = states[-1] if states else None
        where = f"the Trainer's {state} beside it, or the output folder {folder}" if state is not None else \
            ("the Trainer's trainer_state.json (in its output folder or a checkpoint-N folder, which save_metrics() "
             "writes beside) or that folder")
        return (f"a Transformers Trainer's {path.name}, the run's final figures (keys: {keys}), not a training log: "
                f"pass {where}")
    if path.name == hparams.TUNE_CONFIG:
        logs = [folder / f for f in hparams.TUNE_LOGS if (folder / f).is_file()]
        if logs:
            return (f"Ray Tune's {path.name}, the trial's settings (keys: {keys}), not a training log: pass "
                    f"{' or '.join(map(str, logs))} beside it, or the trial folder {folder}")
    return None


#: The folders of an MLflow file store's run (``mlruns/EXPERIMENT/RUN/``), one value or series per file.
_MLFLOW_RUN_FILES = {"metrics": "metric", "params": "param", "tags": "tag"}


def _printed_results(n: int, line: str) -> str:
    """The refusal of a text of printed results (:func:`console.printed_results`, :func:`_result_lines`): what it is,
    the first, and what to pass instead."""
    shown = _clipped(line, 70)
    return (f"printed results, not a training log ({n} line{'s like' if n > 1 else ':'} {shown!r}): no value per "
            f"epoch or step; {_PASS_THE_LOG}")


#: A printed log's line opens with its axis ("Epoch 3/10", "[step 200]", "iter 40: loss ..."); a line of results
#: opens with its run.
_AXIS_WORD = re.compile(r"(?:epoch|step|iter|iteration|batch|round|it|global_step)s?", re.I)


#: "lr=0.001": a name printed with its value, as "lr 0.001" is.
_NAME_IS = re.compile(r"(?<=[A-Za-z_])=(?=[-+.\d])")


def _too_short(run: Run) -> bool:
    """The diagnosis refuses ``run`` as "too short to diagnose" (one or two values of its metric, none going NaN/inf
    after them: such a run is diagnosed, diverged, and so read as it was)."""
    from ..diagnosis import diagnose_run
    from ..exceptions import EmptyRunError
    from ..facts import MIN_POINTS_TO_DIAGNOSE

    if _points(run) >= MIN_POINTS_TO_DIAGNOSE:
        return False
    try:
        diagnose_run(run, forecast=False)
    except EmptyRunError as exc:
        return "too short to diagnose" in exc.problem
    except Exception:  # noqa: BLE001 — any other refusal is the diagnosis's to say, as before
        return False
    return False


def _points(run: Run) -> int:
    """How many values of ``run``'s default metric are finite (as a refusal quotes them)."""
    try:
        return int(np.isfinite(np.asarray(run.get(run.default_metric()), dtype=float)).sum())
    except (LosslensError, TypeError, ValueError):
        return len(run)


#: The folder torch's ``SummaryWriter.add_hparams`` writes inside the run's, named by the time it was called.
_HPARAMS_FOLDER = re.compile(r"\d{9,}\.\d+")


def hparams_summary(path: Path, runs: list[Run]) -> str | None:
    """The refusal of the event file ``add_hparams(hparams, metrics)`` writes in a ``<timestamp>/`` folder of the
    run's (its settings and one value of each metric given, which the run's folder reads with the curve), else None:
    named alone it was read as a run of one value, "too short to diagnose"."""
    if not runs or not _HPARAMS_FOLDER.fullmatch(path.parent.name) \
            or not all(run.meta.get("hparams") and _too_short(run) for run in runs):
        return None
    run_dir = path.parent.parent
    beside = sorted((f.name for f in run_dir.glob("*tfevents*") if f.is_file()), key=_source.natural_key)
    metrics = ", ".join(dict.fromkeys(m for run in runs for m in run.logged_metrics()))
    return (f"an add_hparams summary (torch's SummaryWriter: the run's settings and one final value of {metrics}), "
            f"not the run's curve: pass the run's folder {run_dir}"
            + (f" (its event file {beside[0]} there)" if beside else ""))


def _one_of_event_files(path: Path, runs: list[Run]) -> str | None:
    """The refusal of an event file of one or two values named alone where its folder holds the run's other event
    files (a later session's: Lightning's trainer.validate() or test(), a Trainer's evaluate() after training, each
    writes a new one beside the fit's), which the folder reads together; else None. Named alone it was "too short to
    diagnose", as if the run had stopped early."""
    if not runs or not all(_too_short(run) for run in runs):
        return None
    try:
        others = sorted((f.name for f in path.parent.iterdir() if "tfevents" in f.name and f.is_file() and f != path),
                        key=_source.natural_key)
    except OSError:
        return None
    if not others:
        return None
    metric = runs[0].default_metric()
    n = _points(runs[0])
    return (f"one of the run's {len(others) + 1} event files ({n} value{'s' if n != 1 else ''} of {metric}: a later "
            f"session's, as a validate(), test() or evaluate() call after fit writes), not the whole run: pass its "
            f"folder {path.parent}, which reads them together ({others[0]} there)")


def _runs_named(text: str) -> bool:
    """The lines of results in ``text`` open with more than one name (a run's each: "base:", "lr10:"), or there is
    one: a short log's lines open with the same word ("loss 0.52 val_loss 0.61" again and again)."""
    lines = [ln.strip() for ln in _text_lines(text[:1_000_000])[:10_000] if _result_line(ln.strip())]
    return len(lines) == 1 or len({_run_label(ln) for ln in lines}) > 1


def _names_an_axis(text: str) -> bool:
    """A line of ``text`` holding a digit opens with an axis word: a printed log, however short."""
    for line in _text_lines(text[:1_000_000])[:10_000]:
        tokens = _tokens(line)
        if tokens and any(c.isdigit() for c in line) and _AXIS_WORD.fullmatch(tokens[0].strip("[]")):
            return True
    return False


#: A printed value: 0.4421, 1.65e+20, 21%, a step and its value joined ("0:0.6121"), or a run's values joined by
#: commas ("0,17.61527,-9.71427").
_VALUE = re.compile(r"[-+]?(?:\d[\d.,:eE+%x-]*|\.\d[\d.,:eE+%-]*)")
#: A library's version ("keras 3.15.1 torch 2.13.0+cpu"): a line a script prints before its results.
_VERSION = re.compile(r"v?\d+\.\d+\.\d+\S*")


def _text_lines(text: str) -> list[str]:
    """The lines of a text as a file's reader sees them: split at line ends only (str.splitlines also splits at
    \\x1c, \\x85, \\u2028, which a damaged byte may be, cutting the line a refusal quotes)."""
    return re.split(r"\r\n|\r|\n", text)


def _tokens(line: str) -> list[str]:
    return [t.strip(_PUNCT) for t in line.split()]


def _version_line(line: str) -> bool:
    values = [t for t in _tokens(line) if _VALUE.fullmatch(t)]
    return bool(values) and all(_VERSION.fullmatch(t) for t in values)


def _result_line(line: str) -> bool:
    """A printed line of a name and values: opening with a word, a word and a value among its whitespace-split
    tokens (a value: also a step joined to its value, or values joined by commas); or opening with the run's settings
    where it quotes a summary ("0.5 300 {} end test 0.7296 best round 5": an MLflow metric file's rows, "1796471486068
    2.0957 0 train", quote none)."""
    tokens = _tokens(line)
    if not tokens or not any(_WORD.fullmatch(t) for t in tokens) or _version_line(line):
        return False
    if not _WORD.match(tokens[0]):
        return _VALUE.fullmatch(tokens[0]) is not None and _SUMMARY_WORD.search(line) is not None
    return any(_VALUE.fullmatch(t) for t in tokens[1:])


def _figures(line: str) -> bool:
    """A line of results names a figure (a loss, a score, a summary of one) or prints several values ("nosignal
    0,17.61527,-9.71427"): a console's "Seed set to 0", "wrote 8 runs to /tmp/..." do neither."""
    return _FIGURE.search(line) is not None or sum(len(_NUMBER.findall(t)) for t in _tokens(line)
                                                    if _VALUE.fullmatch(t)) >= 2


_NUMBER = re.compile(r"\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")


#: The share of a text's lines holding a digit that must be lines of a name and values for the text to read as
#: printed results: the committed make.out files are all such lines but for a heading or a version line; a console
#: capture that prints a setting or two before prose and warnings has fewer.
_RESULTS_SHARE = 0.5


def _result_lines(text: str, per_run: bool = False) -> tuple[int, str] | None:
    """``(how many, the first)`` of the lines of printed results in ``text`` (lines of a name and values, not a
    table's rows), else None. ``per_run``: only where each line names its own run (their first words differ, as a
    script's results do, one line per run; a log's lines open with "epoch" or "step" again and again) and most quote
    a summary ("best", "final", "last", "min" ...), for a text a printed log's reader took and found no loss in."""
    lines = [ln.strip() for ln in _text_lines(text[:1_000_000])[:10_000] if ln.strip() and any(c.isdigit() for c in ln)]
    lines = [ln for ln in lines if not _version_line(ln)]
    if not lines or not _result_line(lines[0]):
        return None
    results = [ln for ln in lines if _result_line(ln)]
    if len(results) < _RESULTS_SHARE * len(lines) or sum(map(_figures, results)) < _RESULTS_SHARE * len(results):
        return None
    if per_run:
        runs = [_run_label(ln) for ln in results]
        if len(set(runs)) < len(runs) \
                or sum(_SUMMARY_WORD.search(ln) is not None for ln in results) < _RESULTS_SHARE * len(results):
            return None
    return len(results), results[0]


#: A word that names a figure of a run (a loss, a score, a summary of one), which a line of printed results quotes.
_FIGURE = re.compile(r"(?<![A-Za-z])(?:loss|acc|accuracy|val|valid|validation|eval|train|training|test|best|final|last|"
                     r"lowest|highest|min|max|end|error|score|mse|mae|rmse|nll|perplexity|ppl|auc|f1|r2|entropy)"
                     r"(?![A-Za-z])", re.I)


def _run_label(line: str) -> str:
    """What a line of results opens with, the run it is of: the words before its first colon ("seed 0", "SGD lr 3.0"),
    else its first word ("pre_e2")."""
    head, colon, _ = line.partition(":")
    return head.strip().lower() if colon and len(head.split()) <= 4 else _tokens(line)[0].lower()


_SUMMARY_WORD = re.compile(r"(?<![A-Za-z])(?:best|final|last|lowest|highest|min|max|end)(?![A-Za-z])", re.I)


def _delimited_cells(line: str) -> list[str] | None:
    """The cells of a table's line (a header or a row): split at commas, tabs or semicolons, each one token; else
    None (printed text: "GPU available: False, used: False")."""
    for sep in (",", "\t", ";"):
        cells = [c.strip() for c in line.split(sep)]
        if len(cells) >= 2 and all(c and " " not in c for c in cells):
            return cells
    return None


def _delimited_values(line: str) -> bool:
    """A table's row, not its header: a value among its cells (:func:`_delimited_cells`), and a name too (a row of
    numbers alone is the table reader's own refusal, "a table of numbers without a header row")."""
    cells = _delimited_cells(line) or ()
    return any(_VALUE.fullmatch(c) for c in cells) and not all(_VALUE.fullmatch(c) for c in cells)


def _what_text_is(text: str, prose_header: bool) -> str | None:
    """What a text no reader took is, where it can tell, in the refusal's words (with what to pass instead), else
    None (the table reader's own refusal stands: a header of names with no loss among them, a table of numbers
    without a header row). ``prose_header``: the table reader found no numeric column, so a first line of words (no
    value, no delimiter) is prose, not a header."""
    lines = [ln.strip() for ln in _text_lines(text[:65536]) if ln.strip()]
    lines = [ln for ln in lines if not _version_line(ln)] or lines
    first = lines[0] if lines else ""
    if _delimited_cells(first) is not None:
        # A table: under a header of names its reader's refusal stands ("a table of runs, one row per run_id"), as
        # over rows of numbers alone; a first row of names and values is no header.
        if not _delimited_values(first):
            return None
        return (f"a table whose first line holds values, not column names ({_clipped(first, 60)!r}): give it a header "
                "row (epoch,loss,val_loss ...)")
    results = _result_lines(text)
    if results is not None:
        return _printed_results(*results)
    # (where the table reader found no numeric column, a first line that is no header of single names is no header:
    # Lightning's "GPU available: False, used: False", a Keras model summary's "Model: "sequential"")
    if _result_line(first) or (prose_header and (_prose(text) or (len(first.split()) >= 2
                                                                    and not _delimited_cells(first)))):
        return (f"a console capture, not a training log (its first line: "
                f"{_clipped(first, 60)!r}): no value per epoch or step (what Keras' fit or a Trainer prints, or lines "
                f"like 'epoch 3: loss 0.52, val_loss 0.61'); {_PASS_THE_LOG}")
    return None


def _prose(text: str) -> bool:
    """The first line reads like console output (words, no delimiter), not a table's header."""
    first = console.first_line(text)
    return not any(d in first for d in (",", "\t", ";", "|")) and len(first.split()) >= 3 \
        and sum(w.isalpha() for w in first.split()) >= 2


def _clipped(text: str, width: int) -> str:
    """``text`` quoted in an error, cut to ``width`` characters with "..." where longer."""
    return text if len(text) <= width else text[:width - 3] + "..."


_WORD = re.compile(r"[A-Za-z][A-Za-z_-]*")
_PUNCT = ",;:()[]{}'\""


def _up_to_cut(text: str, source: str, problem: str):
    """The JSON document ``text`` read up to where it was cut off mid-write (a Keras History dumped by a process
    that was killed, a ``trainer_state.json`` saved as the job ended), said in one warning; None where it was not
    cut (:func:`records.cut_prefix`) or nothing complete came before the cut."""
    cut = records.cut_prefix(text)
    if cut is None:
        return None
    try:
        obj = records.loads(cut[0], source)
    except (ValueError, RecursionError):
        return None
    # (what came before the cut must hold a curve: a list of records, or a dict with one -- a prefix of scalars
    # read "a JSON object without history", which says less than that the file is cut)
    if not (isinstance(obj, list) and obj or isinstance(obj, dict) and any(
            isinstance(v, list) and v for v in obj.values())):
        return None
    # (nor fewer points than a diagnosis needs: '{"loss": [1.0, 0.5' kept one value, and its warning beside the
    # "too short" refusal made two lines for one bad file; refused as the cut JSON it is instead)
    if isinstance(obj, dict) and max((len(v) for v in obj.values() if isinstance(v, list)), default=0) < 3:
        return None
    lost = len(text.rstrip()) - cut[1]
    short = ""
    if isinstance(obj, dict) and obj:
        # A History's lists are one a metric, the validation ones (every validation_freq epochs) as long as each
        # other, the training ones too: the last one written, shorter than its kind's, is the one the cut stopped.
        # Its values are the first checks'; the rest were never written (null: not logged), not lost from inside
        # it, which the History reader refuses a list of another length for.
        *_, (key, last) = obj.items()
        kind = str(key).startswith("val")
        longest = max((len(v) for k, v in obj.items() if isinstance(v, list) and str(k).startswith("val") == kind),
                      default=0)
        if isinstance(last, list) and 0 < len(last) < longest and all(
                not isinstance(v, (list, dict)) for v in last):
            short = f"; {key!r} stops after {len(last)} of {longest} values"
            obj[key] = last + [None] * (longest - len(last))
    if huggingface.is_trainer_state(obj):
        gone = huggingface.lost_to_cut(obj)
        short = f"; {gone}" if gone else ""
    _source.warn(source, "cut off mid-write (%s): read up to the last complete value before the cut (the %d "
                         "character%s after it left out)%s", problem, lost, "" if lost == 1 else "s", short)
    return obj


def _read_json(text: str, *, name, source, **options) -> list[Run]:
    try:
        obj = records.loads(text, source)
    except RecursionError:
        raise ReadError("unreadable JSON: nested too deeply", source) from None
    except ValueError as exc:
        if _is_jsonl(text):
            try:
                rows = records.parse_jsonl(text, source)
            except ReadError as bad:
                return _printed_after_json(text, dict(name=name, source=source, **options), bad.problem)
            if not rows:
                raise UnknownFormatError("JSON Lines without objects", source) from None
            if mmengine.is_scalars(rows):
                return table.to_runs(mmengine.columns(rows, source), name=name, source=source, fmt="mmengine",
                                     **options)
            cols = records.repeated_records(records.to_columns(rows, source=source), source)
            return table.to_runs(cols, name=name, source=source, fmt="jsonl", **options)
        msg = getattr(exc, "msg", str(exc))
        # (json's "Unterminated string starting at" ends in "at" itself: "... starting at at line 1" read doubled)
        where = f"{'' if msg.endswith(' at') else ' at'} line {exc.lineno} column {exc.colno}" \
            if hasattr(exc, "lineno") else ""
        obj = _up_to_cut(text, source, f"{msg}{where}")
        if obj is None:
            return _printed_after_json(text, dict(name=name, source=source, **options),
                                       f"unreadable JSON: {msg}{where}")
    if console.is_notebook(obj):
        return _read_notebook(obj, name=name, source=source, **options)
    if huggingface.is_trainer_state(obj):
        return huggingface.read_trainer_state(obj, name=name, source=source, **options)
    if isinstance(obj, list):
        rows = [r for r in obj if isinstance(r, dict)]
        if not rows:
            raise UnknownFormatError("a JSON array without objects, not a training log", source)
        cols = records.repeated_records(records.to_columns(rows, source=source), source)
        return table.to_runs(cols, name=name, source=source, fmt="json_records",
                             axis="step" if _looks_like_log_history(rows) else None, **options)
    if catboost.is_training_json(obj):
        return catboost.read_training_json(obj, name=name, source=source, **options)
    if sacred.is_metrics(obj):
        return select_run(sacred.read_metrics(obj, name=name, source=source), options.get("run_id"), source)
    frame = records.pandas_frame(obj)
    if frame is not None:
        return _read_pandas_frame(*frame, name=name, source=source, **options)
    if keras.is_history(obj):
        return keras.read_history(obj, name=name, source=source, logged_nan=delimited.count_nonfinite(text),
                                  **options)
    if isinstance(obj, dict):
        raise UnknownFormatError(f"{_NO_HISTORY} or lists of values "
                                 f"(keys: {table.column_listing(obj)})", source)
    raise UnknownFormatError(f"a JSON {type(obj).__name__}, not a training log", source)


def _read_pandas_frame(rows: list[dict], index: list[int] | None, orient: str, *, name, source,
                       **options) -> list[Run]:
    """A DataFrame pandas wrote with ``to_json(orient=...)`` (:func:`records.pandas_frame`), read as its records
    are. Where no column names an axis, the row index is the epoch: a Keras History's frame is indexed
    0, 1, 2 ..., as History numbers its epochs; ``set_index("epoch")`` moves the epochs there."""
    if not rows:
        raise UnknownFormatError(f"a pandas DataFrame (to_json orient={orient!r}) without rows", source)
    cols = records.to_columns(rows, source=source)
    if index is not None and not any(axis_kind(c) for c in cols):
        cols = {"epoch": np.asarray(index, dtype=float), **cols}
    return table.to_runs(cols, name=name, source=source, fmt=f"pandas_json_{orient}", **options)


def _read_notebook(nb: dict, *, name, source, run_id=None, **options) -> list[Run]:
    """Every code cell whose saved output is a Keras fit log, a run each (``name#cell7``)."""
    cells = console.notebook_logs(nb, source)
    if not cells:
        raise UnknownFormatError("a notebook without a training log in its saved outputs (run it, save it, "
                                 "or point losslens at the log the training wrote)", source)
    runs = []
    for i, cols, fmt, stated, text in cells:
        label = f"{name}#cell{i}"
        if run_id is not None and str(run_id) not in (label, f"cell{i}", str(i)):
            continue
        runs.extend(_planned(table.to_runs(cols, name=label, source=source, fmt=f"notebook_{fmt}",
                                           nan_columns=stated, **options), text, fmt))
    if not runs:
        raise RunNotFoundError(f"no run {run_id!r} (cells with a fit log: {', '.join(f'cell{i}' for i, *_ in cells)})",
                        source)
    return runs


def _is_jsonl(text: str) -> bool:
    lines = [ln for ln in text[:65536].splitlines()[:3] if ln.strip()]
    if len(lines) < 2:
        return False
    try:
        return isinstance(json.loads(lines[0]), dict)
    except (ValueError, RecursionError):
        return False


def _looks_like_log_history(rows: list[dict]) -> bool:
    """A bare Hugging Face ``log_history`` list: steps with fractional epochs."""
    head = rows[:50]
    return (all("step" in r for r in head) and any("eval_loss" in r or "loss" in r for r in head)
            and any(isinstance(r.get("epoch"), float) and not r["epoch"].is_integer() for r in head))


def path_and_run(source) -> tuple:
    """``(path, run)`` of ``"PATH#RUN"`` where PATH exists and the whole string does not (one sheet of a workbook,
    one run of a long-format CSV or of an MLflow store: what ``diagnose PATH --run RUN`` selects); else
    ``(source, None)``. A store URI's own ``#`` (``mlflow:...#run=ID``) is its reader's, and a path that exists
    with ``#`` in its name is that path."""
    if not isinstance(source, (str, os.PathLike)):
        return source, None
    text = os.fspath(source)
    if not isinstance(text, str) or "#" not in text:
        return source, None
    kind, target = scheme(text)
    if kind is not None or os.path.exists(os.path.expanduser(target)):
        return source, None
    # From the last '#' back: a run's own name may hold one (a file split where its epoch count started again
    # names its runs "log#1", "log#2": "log.csv#log#2").
    cut = len(text)
    while (cut := text.rfind("#", 0, cut)) > 0:
        path, run = text[:cut], text[cut + 1:]
        if run and os.path.exists(os.path.expanduser(scheme(path)[1])):
            return path, run
    return source, None


def scheme(text: str) -> tuple[str | None, str]:
    """``(reader module, what it is given)`` for a store URI (``"mlflow"``, ``"tensorboard"``, ``"wandb"``; an MLflow
    tracking URI such as ``sqlite:///x.db`` or ``http://host`` whole, a prefix such as ``tb:`` cut off), else
    ``(None, the path)`` (``file://`` cut off)."""
    low = text.lower()
    for prefix, kind in _URI_SCHEMES.items():
        if low.startswith(prefix):
            if kind == "mlflow" and prefix != "mlflow:":
                return kind, text  # the tracking URI as MLflow spells it
            return kind, text[len(prefix):]
    if low.startswith("file://"):
        return None, text[len("file://"):]
    return None, text


def delegate(module: str, source: str, target, **kwargs) -> list[Run]:
    """Call ``losslens.readers.<module>.read_<module>(target, **kwargs)``, imported on demand.

    The TensorBoard, MLflow and W&B readers need their frameworks; importing them here only
    when such a source is read keeps ``import losslens`` and CSV reading light. Where ``target`` is not what the
    user typed (stdin's temporary file, the ``sqlite:///`` URI of an ``mlflow.db``), the errors, warnings and runs
    name ``source`` in its place (a path behind a scheme the user typed, ``tb:logs``, is left as it is).
    """
    func_name, what, library = _DELEGATES[module]
    qualified = f"{__name__}.{module}"
    try:
        mod = importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name == qualified:
            raise UnknownFormatError(f"{what}: reading it needs the module {qualified}, "
                                     "which this losslens does not have", source) from None
        raise MissingExtraError(f"reading {what} needs the package {exc.name!r}: "
                                    f"pip install 'losslens[{module}]'", source) from None
    func = getattr(mod, func_name, None)
    if func is None:
        raise UnknownFormatError(f"{what}: {qualified} has no {func_name}()", source)
    try:
        with _source.noting() as notes:
            runs = func(target, **kwargs)
            notes[:] = [(_as_typed(where, target, source), text) for where, text in notes]
        for run in runs or ():
            run.source = run.source and _as_typed(run.source, target, source)
        _source.keep_notes(runs, notes)
    except LosslensError as exc:
        typed = exc.source and _as_typed(exc.source, target, source)
        if typed == exc.source:
            raise
        raise type(exc)(exc.problem, typed) from exc
    except ImportError as exc:
        raise MissingExtraError(f"reading {what} needs the package {exc.name or exc}: "
                                    f"pip install 'losslens[{module}]'", source) from None
    except Exception as exc:  # noqa: BLE001 - the framework's own parsers raise anything on bad input
        if not isinstance(exc, (OSError, EOFError, UnicodeDecodeError)) and not raised_in(exc, library):
            # Raised in losslens's own reading (a TypeError in our code): a bug, the command line's internal-error
            # line, not "could not be read", which would pass it off as the user's store.
            raise
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        raise ReadError(f"{what} could not be read ({type(exc).__name__}: {first})", source) from exc
    runs = list(runs or [])
    if not runs:
        raise ReadError(f"no runs found in {what}", source)
    return runs


def _as_typed(where: str, target, source: str) -> str:
    """``where`` (an error's, a warning's or a run's source) with ``target`` in front written as ``source``: a
    ``<stdin>`` read through a temporary file named that file ("/tmp/tmpk3x/stdin: only 1 value"), an ``mlflow.db``
    the URI made of it ("sqlite:////home/.../mlflow.db#run=..."); a file inside a folder keeps its path below."""
    target = str(target)
    if target in source or not where.startswith(target):
        return where
    rest = where[len(target):]
    return source + rest if not rest or rest[0] in ("/", "#", os.sep) else where


def select_run(runs: list[Run], run_id, source: str) -> list[Run]:
    """The runs ``run_id`` names (all of them where it is None): by name, by a run id in their meta, by one
    version of a resumed fit, or by the end of their path; a :class:`RunNotFoundError` where it names none."""
    if run_id is None:
        return runs
    wanted = str(run_id)
    # (A directory names runs that share a name by their path: "csv/version_0" is also "version_0".)
    kept = [r for r in runs if r.name == wanted or str(r.meta.get("run_id")) == wanted]
    # (A resumed fit joined across its version folders, "version_0+version_1", is either version.)
    kept = kept or [r for r in runs if any(part == wanted or part.endswith("/" + wanted) for part in r.name.split("+"))]
    # (A folder's runs are named by their last folder, "version_1"; `tb:` names the same run by its path under
    # the root, "mymodel/version_1": either names it.)
    tail = "/" + wanted.replace("\\", "/").strip("/")
    kept = kept or [r for r in runs if r.source and str(r.source).replace(os.sep, "/").rstrip("/").endswith(tail)]
    if not kept:
        names = ", ".join(r.name for r in runs[:5]) + (" ..." if len(runs) > 5 else "")
        raise RunNotFoundError(f"no run {wanted!r} ({len(runs)} run{'s' if len(runs) != 1 else ''}: {names})", source)
    return kept
