"""MLflow tracking stores: ``sqlite:///mlflow.db``, a ``./mlruns`` folder, or ``http://host:port``.

Runs are found with ``MlflowClient.search_runs`` and each metric's full history with
``MlflowClient.get_metric_history`` (the latest value alone is all ``run.data.metrics``
keeps). The axis is the logged step, or the epoch when the run logs an ``epoch`` metric
(Lightning's ``MLFlowLogger`` and the Hugging Face ``MLflowCallback`` do); several values in
one epoch are averaged (see :func:`losslens.readers.tensorboard.scalars_to_run`). A step count
that goes back in the order logged (a run resumed with ``start_run(run_id=...)``) is read as a
resume, a count from 0 again renumbered to follow on, or a restart, said in one warning (:func:`_spliced`).

Selecting runs: ``run_id`` takes a run id or a run name; ``experiment`` takes an experiment
name or id (all its runs); neither means every run of every active experiment. On the
command line these ride in the URI's fragment::

    mlflow:sqlite:///mlflow.db#experiment=foo
    mlflow:http://127.0.0.1:5000#run=3f2a...      (a run id or a run name)

The store is only read: an sqlite file or a folder that does not exist is an error here,
not a new empty store (MLflow would create one); an SQLite database is checked read-only to be
an MLflow store and then read from a temporary copy, as MLflow writes to the databases it opens;
a folder store is opened through a temporary mirror of links (:func:`_linked_view`), as MLflow makes
a ``.trash`` folder in the store it opens and refuses a run whose empty folders git or a zip left out.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import re
import sys
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlparse

import numpy as np

from ..columns import axis_kind
from ..exceptions import MissingExtraError, ReadError, RunNotFoundError
from ..run import Run
from . import _source
from .tensorboard import column_name, scalars_to_run

# An unreachable server must fail in seconds, not after MLflow's default 7 retries with backoff.
_HTTP_ENV = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
             "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}


#: Said with a damaged SQLite store's error.
_RECOVER = ": SQLite's .recover command may save what is left of it"

_UNREACHABLE = ("Max retries exceeded", "NewConnectionError", "Connection refused", "timed out")


def read_mlflow(uri, run_id: str | None = None, experiment: str | None = None) -> list[Run]:
    """Read runs from an MLflow tracking store.

    Parameters
    ----------
    uri : str or path
        ``sqlite:///path.db``, ``http(s)://host:port``, ``file:/path/mlruns``, a path to an
        ``mlruns`` folder or to an ``.db`` file; an optional ``mlflow:`` prefix and a
        ``#experiment=NAME`` / ``#run=ID_OR_NAME`` fragment are understood, and a run after a last ``#``
        (``#experiment=NAME#RUN``, as ``PATH#RUN`` names one run of any source).
    run_id : str, optional
        A run id or a run name (every run with that name).
    experiment : str, optional
        An experiment name or id: all its runs.

    Returns a list of Runs (one per MLflow run with at least one metric), named by the run name.
    """
    text = str(uri)
    if text.startswith("mlflow:"):
        text = text[len("mlflow:"):]
    text, _, fragment = text.partition("#")
    # "PATH#RUN" names one run in every command: "…#experiment=foo#RUN" read "foo#RUN" as the experiment's name
    parts = fragment.split("#") if fragment else []
    opts = dict(parse_qsl("&".join(p for p in parts if "=" in p)))
    bare = [p for p in parts if p and "=" not in p]
    run_id = run_id or opts.get("run") or opts.get("run_id") or opts.get("run_name") or (bare[-1] if bare else None)
    experiment = experiment or opts.get("experiment") or opts.get("experiment_id")
    tracking_uri, label = _tracking_uri(text)

    try:
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException
    except ImportError:
        raise MissingExtraError("reading MLflow stores needs the mlflow package: "
                                    "pip install 'losslens[mlflow]'", label) from None

    with contextlib.ExitStack() as stack:
        client_uri = tracking_uri
        if tracking_uri.startswith("sqlite:///"):
            tracking_uri = client_uri = _readonly_copy(Path(tracking_uri[len("sqlite:///"):]), label, stack)
        elif tracking_uri.startswith("file:"):
            client_uri = _linked_view(_store_root(tracking_uri), stack)
        try:
            return _read_store(tracking_uri, label, run_id, experiment, MlflowClient, MlflowException, client_uri)
        except _DamagedRuns as damaged:
            # MLflow's folder store parses every run's metric files to list the runs: one damaged file made the
            # whole store unreadable, a healthy run too. Read again with the damaged runs' metrics left out: MLflow
            # still lists and selects those runs, and each one selected is said (or is the error, alone).
            client_uri = _linked_view(_store_root(tracking_uri), stack, leave_out=set(damaged.runs))
            try:
                return _read_store(tracking_uri, label, run_id, experiment, MlflowClient, MlflowException, client_uri,
                                   damaged={d.name: problem for d, problem in damaged.runs.items()})
            except _DamagedRuns as exc:  # damaged beyond its metrics: no view helps
                raise ReadError(next(iter(exc.runs.values())), label) from None


def _readonly_copy(db: Path, label: str, stack: contextlib.ExitStack) -> str:
    """A ``sqlite:///`` URI of a temporary copy of ``db``, after checking read-only that it is an
    MLflow store. MLflow writes to the database it opens -- its schema into any SQLite file without
    one (an Optuna study, a cache), a migration into an older store -- and input files are only
    ever read."""
    import shutil
    import sqlite3
    import tempfile

    try:
        with contextlib.closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as con:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.Error as exc:
        raise ReadError(f"unreadable SQLite database ({exc})", label) from None
    except UnicodeDecodeError:  # (a damaged page of its schema: Python's sqlite3 decodes its names as UTF-8)
        raise ReadError("unreadable SQLite database (a damaged file: its schema holds text that is not UTF-8)"
                        + _RECOVER, label) from None
    if not {"experiments", "runs", "metrics"} <= tables:
        shown = ", ".join(sorted(tables)[:6]) + (" ..." if len(tables) > 6 else "") if tables else "none"
        raise ReadError(f"an SQLite database, but not an MLflow tracking store (its tables: {shown})", label)
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="losslens-mlflow-")))
    for suffix in ("", "-wal", "-shm"):  # a store open in a running MLflow keeps recent writes in its WAL
        part = Path(str(db) + suffix)
        if part.is_file():
            shutil.copyfile(part, tmp / ("mlflow.db" + suffix))
    _plan_queries(tmp / "mlflow.db")
    return f"sqlite:///{tmp / 'mlflow.db'}"


def _plan_queries(copy: Path) -> None:
    """Give SQLite the statistics to look up a metric's history by its run (``ANALYZE``, on the copy). Without them
    it searches the metrics table by the key alone (the primary key's first column), every run's values of that key
    for each run: 500 runs of 200 steps read in 90 s, 41 ms a history, 0.4 ms with them (the (run, key, step) index
    MLflow made; approximate statistics, ``analysis_limit``, did not pick it). A store of one run is left as it is:
    its key's values are its own, and the statistics cost a pass over them. A database SQLite cannot analyze is left
    to MLflow, whose error it is."""
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(copy)) as con:
            if con.execute("SELECT count(*) FROM runs").fetchone()[0] > 1:
                con.execute("ANALYZE metrics")
                con.commit()
    except sqlite3.Error:
        pass


def _linked_view(root: Path, stack: contextlib.ExitStack, leave_out: set | None = None) -> str:
    """A ``file:`` URI of a temporary folder mirroring the folder store ``root`` by links: MLflow's FileStore
    makes a ``.trash`` folder in the store it opens, and input folders are only ever read. Each run's folder is
    mirrored with the empty folders MLflow requires of a run (``metrics``, ``params``, ``artifacts``, ``tags``)
    where the store lost them: git keeps no empty folder, so in an ``mlruns`` committed or unzipped without
    them MLflow lists the run and then fails to get it ("Run '…' not found"). The run folders in ``leave_out``
    (damaged runs) are mirrored without their metrics. Where links cannot be made, ``root``."""
    import tempfile

    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="losslens-mlflow-")))
    try:
        for entry in root.iterdir():
            if _holds_meta(entry):  # an experiment: its runs mirrored one level down
                _mirror(entry, tmp / entry.name, runs=True, leave_out=leave_out or set())
            else:
                _link(entry, tmp / entry.name)
    except OSError:
        return root.resolve().as_uri()
    return tmp.as_uri()


#: The folders MLflow's FileStore checks a run's folder for (``_is_valid_run_directory``), and reads.
_RUN_FOLDERS = ("metrics", "params", "artifacts", "tags")


def _holds_meta(path: Path) -> bool:
    return path.is_dir() and (path / "meta.yaml").is_file()


def _mirror(src: Path, dst: Path, runs: bool, leave_out: set = frozenset(), bare: bool = False) -> None:
    """``dst`` a folder of links to ``src``'s entries; with ``runs``, each run folder in it mirrored in turn with
    :data:`_RUN_FOLDERS` made where missing, those in ``leave_out`` with an empty ``metrics`` (``bare``)."""
    dst.mkdir()
    for entry in src.iterdir():
        if bare and entry.name == "metrics":
            continue
        if runs and _holds_meta(entry):
            _mirror(entry, dst / entry.name, runs=False, bare=entry in leave_out)
        else:
            _link(entry, dst / entry.name)
    if not runs:
        for name in _RUN_FOLDERS:
            if not (dst / name).exists():
                (dst / name).mkdir()


def _link(src: Path, dst: Path) -> None:
    dst.symlink_to(src.resolve(), target_is_directory=src.is_dir())


def _read_store(tracking_uri, label, run_id, experiment, MlflowClient, MlflowException, client_uri=None,
                damaged: dict | None = None) -> list[Run]:
    """The runs of the store at ``tracking_uri``, opened by MLflow at ``client_uri`` (a copy or a view of it);
    ``damaged``: ``{run id: problem}`` of runs whose metric files the view leaves out, skipped where selected."""
    damaged, skipped = damaged or {}, {}
    client_uri = client_uri or tracking_uri
    env = dict(_HTTP_ENV) if tracking_uri.startswith("http") else {}
    if tracking_uri.startswith("file:"):
        env["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow 3 refuses the legacy folder store otherwise
    # (Opened in place only where no view could be made: then the .trash MLflow makes is taken away again.)
    in_place = _no_trash_left(tracking_uri) if client_uri == tracking_uri else contextlib.nullcontext()
    with _quiet() as passed_over, _env(env), in_place:
        try:
            client = MlflowClient(client_uri)
            runs = _find_runs(client, run_id, experiment, label)
            root = _store_root(tracking_uri) if tracking_uri.startswith("file:") else None
            out = []
            for r in runs:  # (500 runs of a sweep read for minutes: each said to a progress bar)
                if r.info.run_id in damaged:
                    name = r.info.run_name
                    skipped[r.info.run_id] = f"{name} ({r.info.run_id})" if name else r.info.run_id
                    continue
                _source.reading(r.info.run_name or r.info.run_id[:8])
                out.append(_to_run(client, r, label, root))
        except MlflowException as exc:
            if tracking_uri.startswith("file:"):  # ("Metric 'x' is malformed": a line of the wrong number of fields)
                _damaged(tracking_uri, label, client_uri != tracking_uri)
            text = str(exc)
            if tracking_uri.startswith("http") and any(k in text for k in _UNREACHABLE):
                raise ReadError("cannot reach the MLflow server (is `mlflow server` running there?)",
                                label) from None
            message = _one_line(exc)
            if tracking_uri.startswith("sqlite:") and "malformed" in message:
                # A damaged page (SQLite keeps no checksums: what it cannot parse). Metric histories are looked up
                # through an index over every run's rows: one damaged page fails every run's, so no run is skipped.
                raise ReadError(f"a damaged SQLite database ({message.split(') ')[-1]}){_RECOVER}", label) from None
            if client_uri != tracking_uri:  # the linked view's path means nothing to the user
                message = message.replace(str(_store_root(client_uri)), label)
            raise ReadError(message, label) from None
        except (OSError, ConnectionError) as exc:
            raise ReadError(f"cannot reach the store ({_one_line(exc)})", label) from None
        except (ValueError, TypeError, IndexError) as exc:  # MLflow's parse of a damaged file
            if tracking_uri.startswith("sqlite:") and isinstance(exc, UnicodeDecodeError):
                raise ReadError(f"a damaged SQLite database (text that is not UTF-8 in it){_RECOVER}", label) from None
            if tracking_uri.startswith("file:"):
                _damaged(tracking_uri, label, client_uri != tracking_uri)
            raise exc
    if passed_over:
        _say_passed_over(tracking_uri, label, passed_over)
    if tracking_uri.startswith("file:"):
        _say_cut_metric_files(tracking_uri, label)
    out = [r for r in out if r is not None]
    skipped = {skipped[k]: problem for k, problem in damaged.items() if k in skipped}  # (in the store's order)
    if not out and skipped:  # the runs asked for are the damaged ones
        raise ReadError(next(iter(skipped.values())), label)
    if not out:
        what = f"run {run_id!r}" if run_id else f"experiment {experiment!r}" if experiment else "the store"
        raise ReadError(f"{what} has no run with logged metrics", label)
    for run, problem in skipped.items():
        _source.warn(label, "skipped run %s: %s", run, problem)
    return out


def _store_root(tracking_uri: str) -> Path:
    return Path(unquote(urlparse(tracking_uri).path))


class _DamagedRuns(Exception):
    """Raised inside the reader when a folder store's runs in ``runs`` (``{run folder: problem}``) hold a damaged
    metric file: they are left out and the store read again."""

    def __init__(self, runs: dict):
        super().__init__(f"{len(runs)} damaged run(s)")
        self.runs = runs


def _damaged(tracking_uri: str, label: str, view: bool) -> None:
    """After MLflow failed to parse a folder store: raise :class:`_DamagedRuns` where a run holds a damaged metric
    file (``view``: the store opened through a view, which can leave them out), else a ReadError naming the first
    such file (MLflow's own error names the value, not the file); return where no file is damaged."""
    runs = damaged_runs(_store_root(tracking_uri))
    if runs and view:
        raise _DamagedRuns(runs)
    if runs:
        raise ReadError(next(iter(runs.values())), label)


def damaged_runs(root: Path) -> dict[Path, str]:
    """``{run folder: problem}`` of the runs of the folder store ``root`` with a metric file MLflow cannot parse:
    not UTF-8 text, empty, or a line that is not ``timestamp value [step [dataset digest]]`` split on single
    spaces, as MLflow's ``FileStore`` splits it. The problem names the run's first such file and line."""
    out: dict[Path, str] = {}
    for f in sorted(root.glob("*/*/metrics/**/*")):
        run = f.relative_to(root).parts[:2]
        if not f.is_file() or root.joinpath(*run) in out:
            continue
        problem = _metric_file_problem(f, f.relative_to(root).as_posix())
        if problem:
            out[root.joinpath(*run)] = problem
    return out


def _metric_file_problem(f: Path, rel: str) -> str | None:
    try:
        text = f.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return f"metric file {rel} is not text (a damaged file)"
    except OSError:
        return None
    if not text.strip():
        return f"metric file {rel} is empty (a damaged file)"
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.strip().split(" ")
        try:
            if len(parts) not in (2, 3, 5):
                raise ValueError
            int(parts[0]), float(parts[1]), [int(p) for p in parts[2:3]]
        except ValueError:
            return (f"metric file {rel}, line {n}: {line.strip()[:40]!r} is not 'timestamp value step' "
                    "(a damaged file)")
    return None


def _say_cut_metric_files(tracking_uri: str, label: str) -> None:
    """A folder store's metric file (one ``timestamp value step`` line per logged point, each ended
    by a newline) whose last line has no newline was cut off mid-write: MLflow reads its stump as a
    point ('... 0.3' of '... 0.39'). Said, one warning for the store."""
    from ._source import warn

    root = _store_root(tracking_uri)
    cut = []
    try:
        for f in sorted(root.glob("*/*/metrics/**/*")):
            if f.is_file() and f.stat().st_size:
                with open(f, "rb") as fh:
                    fh.seek(-1, os.SEEK_END)
                    if fh.read(1) != b"\n":
                        cut.append(f.relative_to(root).as_posix())
    except OSError:
        return
    if cut:
        warn(label, "%d metric file(s) end in a line cut off mid-write (no newline at the end), read as MLflow "
                    "reads them (the last value may be cut short): %s", len(cut),
             ", ".join(cut[:3]) + (" ..." if len(cut) > 3 else ""))


def store_path(text: str) -> Path | None:
    """The file or folder of the local MLflow store ``text`` names (a tracking URI or a path, without ``mlflow:``
    and ``#...``; ``""`` is MLflow's default, :func:`default_store`); None for a tracking server. Not checked to
    exist: the reader refuses what is not there, ``losslens watch`` polls it until it is."""
    text = text or default_store()
    if text.startswith(("http://", "https://", "databricks")):
        return None
    if text.startswith("sqlite:///"):
        return Path(text[len("sqlite:///"):])
    if text.startswith("file:"):
        return _store_root(text)
    return Path(text)


def _tracking_uri(text: str) -> tuple[str, str]:
    """``(tracking URI for MlflowClient, label for messages)``; local stores must exist."""
    text = text or default_store()
    path = store_path(text)
    if path is None:
        return text, text
    if text.startswith("sqlite:///"):
        if not path.is_file():
            raise ReadError("no such MLflow sqlite database", text)
        return text, text
    if path.is_file():
        if path.suffix in (".db", ".sqlite", ".sqlite3"):
            return f"sqlite:///{path.resolve()}", str(path)
        raise ReadError("not an MLflow store (expected an mlruns folder or an sqlite .db file)", path)
    if path.is_dir():
        if not any((d / "meta.yaml").is_file() for d in path.iterdir() if d.is_dir()):
            raise ReadError("not an MLflow mlruns folder (no experiment with meta.yaml inside)" + _stores_beside(path),
                            path)
        return path.resolve().as_uri(), str(path)
    raise ReadError("no such MLflow store", text)


def default_store() -> str:
    """What ``mlflow:`` alone reads, as MLflow itself would: ``$MLFLOW_TRACKING_URI``, else ``./mlruns`` when
    it is a file store, else MLflow 3's default ``./mlflow.db`` (its ``mlruns/`` then holds only artifacts)."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    mlruns = Path("mlruns")
    if not _is_file_store(mlruns) and is_mlflow_db(Path("mlflow.db")):
        return "sqlite:///mlflow.db"
    return "mlruns"


def _is_file_store(path: Path) -> bool:
    try:
        return path.is_dir() and any((d / "meta.yaml").is_file() for d in path.iterdir() if d.is_dir())
    except OSError:
        return False


def is_mlflow_db(path: Path) -> bool:
    """An SQLite file holding MLflow's tables (checked read-only)."""
    import sqlite3

    if not path.is_file():
        return False
    try:
        with open(path, "rb") as f:
            if f.read(16) != b"SQLite format 3\x00":
                return False
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as con:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except (OSError, sqlite3.Error):
        return False
    return {"experiments", "runs", "metrics"} <= tables


def _stores_beside(path: Path, lead: str = "the runs are in the store beside it") -> str:
    """``"; <lead> ..."`` naming the MLflow stores in or beside ``path``: MLflow 3 keeps its runs in
    ``mlflow.db`` and only their artifacts in ``mlruns/``, which holds no experiment then. Empty when
    there is none."""
    places = [path] + ([path.parent] if path.resolve().name == "mlruns" else [])
    dbs = []
    for place in places:
        try:
            files = sorted(p for p in place.iterdir() if p.suffix in (".db", ".sqlite", ".sqlite3"))
        except OSError:
            continue
        dbs.extend(p for p in files if is_mlflow_db(p))
    stores = [f"mlflow:sqlite:///{p}" for p in dbs]
    if path.resolve().name != "mlruns" and _is_file_store(path / "mlruns"):
        stores.append(f"mlflow:{path / 'mlruns'}")
    if not stores:
        return ""
    return (f"; {lead} (MLflow 3 keeps runs in mlflow.db, only their artifacts in mlruns/): "
            f"losslens diagnose {' or '.join(stores[:3])}")


def _say_passed_over(tracking_uri: str, label: str, folders: list[str]) -> None:
    """One line for the folders of an ``mlruns`` store that MLflow could not read as experiments (it logged
    a traceback for each): the artifact folders of an SQLite store beside it, most often."""
    root = None
    if tracking_uri.startswith("file:"):  # named as the user did (a relative path stays relative)
        root = Path(label) if Path(label).is_dir() else _store_root(tracking_uri)
    hint = _stores_beside(root, "their runs may be in the store beside it") if root is not None else ""
    shown = ", ".join(f"{f}/" for f in folders[:5]) + (" ..." if len(folders) > 5 else "")
    _source.warn(label, "passed over %s: not an experiment (no meta.yaml)%s", shown, hint)


def _find_runs(client, run_id, experiment, label):
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException

    if experiment is not None:
        exp = client.get_experiment_by_name(str(experiment))
        if exp is None:
            try:
                exp = client.get_experiment(str(experiment))
            except MlflowException:
                exp = None
        if exp is None:
            names = [e.name for e in client.search_experiments()]
            raise ReadError(f"no experiment {experiment!r} (has: {', '.join(names) or 'none'})", label)
        exp_ids = [exp.experiment_id]
    else:
        exp_ids = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ACTIVE_ONLY)]
    if not exp_ids:
        raise ReadError("the store has no experiment", label)

    if run_id is not None:
        try:
            return [client.get_run(str(run_id))]
        except MlflowException:
            pass
        name = str(run_id).replace("'", "\\'")
        runs = _search_all(client, exp_ids, f"attributes.run_name = '{name}'")
        if not runs:
            raise RunNotFoundError(f"no run with id or name {run_id!r}", label)
        return runs
    return _search_all(client, exp_ids, "")


def _search_all(client, exp_ids, filter_string):
    runs, token = [], None
    while True:
        page = client.search_runs(exp_ids, filter_string=filter_string, max_results=1000,
                                  order_by=["attributes.start_time ASC"], page_token=token)
        runs.extend(page)
        token = getattr(page, "token", None)
        if not token:
            return runs


def _to_run(client, mlrun, label, root: Path | None = None) -> Run | None:
    info = mlrun.info
    keys = sorted(mlrun.data.metrics)
    if not keys:
        return None
    scalars, by_dataset, doubled, logged = {}, {}, [], {}
    model_datasets = functools.cache(lambda: _model_metric_datasets(client, info))
    raw = _spliced({key: _metric_points(client, info, key, root, model_datasets) for key in keys},
                   f"{label}#run={info.run_id}")
    for key in keys:
        points = raw[key]
        counts = np.unique([s for s, _, _, d in points if d is None], return_counts=True)[1]
        # (An epoch counter is logged again with each row at its step: a Trainer's training and eval rows.)
        if counts.size > 1 and counts.min() == counts.max() > 1 and axis_kind(column_name(key)) is None:
            doubled.append(f"{key} holds {counts[0]} values at each of its steps")
        sets = sorted({d for *_, d in points}, key=lambda d: (d is not None, d or ""))
        for dataset in sets:
            # One key logged for several datasets (MLflow 3: ``log_metric("loss", v, step=e, dataset=val_ds)``
            # beside ``dataset=train_ds``) is a series per dataset, named by it: mixed, the curves were averaged.
            tag = key if len(sets) == 1 or dataset is None else f"{dataset}_{key}"
            if tag != key:
                by_dataset[tag] = [key, dataset]
            # By step and time only: values logged in one millisecond keep the order logged (sorted with the
            # value, a run logged without step= read its curve reordered wherever two calls shared a timestamp).
            mine = sorted(((s, t, v) for s, t, v, d in points if d == dataset), key=lambda p: p[:2])
            scalars[tag] = ([s for s, _, _ in mine], [v for *_, v in mine])
            logged[tag] = [v for *_, v in sorted(set(mine))]  # a line kept twice counted once
    # ``log_metric(key, value)`` without ``step=`` logs every value at step 0: read at one step, the last value
    # would stand for the whole curve. Where no metric of the run has steps, the logging order (by timestamp)
    # is the axis; beside stepped metrics such a one is left as it was.
    repeated = [k for k, (steps, _) in scalars.items() if len(steps) > 1]
    unstepped = [k for k in repeated if scalars[k][0][0] == scalars[k][0][-1]]
    # mlflow.keras.autolog's callback logs each validation pass's logs again from on_test_end, as
    # ``validation_loss`` ... without a step, beside the same values by epoch from on_epoch_end (``val_loss``): a
    # copy at step 0, whose last value would read as a one-point curve. Left out where, in the order logged,
    # it holds the values of a stepped metric.
    copies = {}
    for key in unstepped:
        twin = next((o for o in scalars if o not in unstepped
                     and np.array_equal(logged[key], logged[o], equal_nan=True)), None)
        if twin is not None:
            copies[key] = twin
            del scalars[key]
    repeated = [k for k in repeated if k not in copies]
    unstepped = [k for k in unstepped if k not in copies]
    if unstepped and unstepped == repeated:
        scalars.update({k: (list(range(len(scalars[k][1]))), scalars[k][1]) for k in unstepped})
    else:
        unstepped = []
    name = info.run_name or info.run_id[:8]
    source = f"{label}#run={info.run_id}"
    meta = {"format": "mlflow", "run_id": info.run_id, "experiment_id": info.experiment_id,
            "status": info.status, "params": dict(mlrun.data.params)}
    if by_dataset:
        meta["metric_datasets"] = by_dataset
    if copies:
        meta["metric_copies"] = copies
    try:
        run = scalars_to_run(scalars, name=name, source=source, meta=meta)
    except ReadError:
        return None  # only step/epoch counters logged
    if doubled:
        # log_metric(..., dataset=) for several datasets without model_id=: the SQL store keeps no dataset
        # with a run's metric, so the curves cannot be told apart.
        _source.warn(source, "%s (logged for several datasets? the store does not keep which value is whose): "
                     "read as the last value logged at each step", "; ".join(doubled))
    if unstepped:
        run.meta["unstepped_metrics"] = unstepped
        _source.warn(source, "%s logged at one step (log_metric without step=): read in the order logged, "
                     "as steps 0, 1, 2 ...", ", ".join(unstepped))
    if info.status == "RUNNING":
        # Training under way, or a job killed before mlflow.end_run(): either way the curve may go on.
        run.meta["not_ended"] = ("the MLflow run is still RUNNING (no end time): the curve may not be over (training "
                                 "under way, or the job was killed before it ended the run)")
    elif info.status in ("FAILED", "KILLED"):
        # mlflow.end_run(status=...) or an exception inside `with mlflow.start_run()`: the curve is cut, not finished.
        run.meta["not_ended"] = (f"the MLflow run ended {info.status}: the curve stops where the job "
                                 f"{'failed' if info.status == 'FAILED' else 'was killed'}, not where training "
                                 "was planned to end")
    _fit_plan(run)
    return run


def _spliced(raw: dict, source: str) -> dict:
    """``raw`` (``{key: [(step, timestamp, value, dataset), ...]}``) with each step count that went back in the
    order logged read as the TensorBoard and table readers read one, said in one warning per restart.

    A run resumed with ``start_run(run_id=...)`` logs into the same series; read by step, values logged again at a
    step replaced the earlier ones without a word. A count that goes back to a step after the run's first is a
    resume from a checkpoint there: its values supersede the earlier ones from that step on. One that starts
    again from the run's first step, its loss going on from where the run was (:func:`_source.goes_on`), is a
    resumed fit that counted from 0 again: renumbered to follow on (a digits MLP resumed at epoch 25 and logged as
    steps 0-34 read "lr too high, plateau at step 23" on the 35 resumed values, its whole descent replaced). One
    whose loss starts over is the script run again: it supersedes the earlier values, as TensorBoard reads a
    second writer. Keys logged with ``dataset=`` are left as they are. Whether each restart goes on is decided on
    the training loss (else the validation loss) and applied to every key restarting as many times, and to one
    restarting another number of times whose restarts, by the time each value was logged, are among the lead's
    (:func:`_sessions`), renumbered by the lead's shifts."""
    order = {k: sorted(p, key=lambda q: q[1]) for k, p in raw.items() if p and all(q[3] is None for q in p)}

    def backs(points):
        return [i for i in range(1, len(points)) if points[i][0] < points[i - 1][0]]

    restarting = {k: backs(p) for k, p in order.items()}
    restarting = {k: b for k, b in restarting.items() if b}
    if not restarting:
        return raw
    lead = next((k for want in ("train_loss", "val_loss") for k in restarting if column_name(k) == want), None)

    def decide(points, cuts):
        """Per cut: ``"resume"``, ``"renumber"`` or ``"over"``."""
        out, first_step, seg_start = [], points[0][0], 0
        for i in cuts:
            before = [q[2] for q in points[seg_start:i] if np.isfinite(q[2])]
            if points[i][0] > first_step:
                out.append("resume")
            elif before and _source.goes_on(before, points[i][2]):
                out.append("renumber")
            else:
                out.append("over")
            seg_start = i
        return out

    plans = {k: decide(order[k], b) for k, b in restarting.items()}
    if lead is not None:
        plans = {k: (plans[lead] if len(b) == len(restarting[lead]) else plans[k]) for k, b in restarting.items()}
    out, said, matched = dict(raw), {}, set()

    def splice(key, points, segments):
        """``points`` cut into ``segments`` (``[(start index, plan, renumbering shift or None), ...]`` after the
        first), joined as each plan says; the lines said of each cut, and each renumbering's shift (else None)."""
        kept, lines, shifts = list(points[:segments[0][0]] if segments else points), [], []
        for n, (i, plan, shift) in enumerate(segments):
            seg = points[i:segments[n + 1][0] if n + 1 < len(segments) else len(points)]
            last, first = kept[-1][0], seg[0][0]
            if plan == "renumber":
                shift = last + 1 - first if shift is None else shift
                shifts.append(shift)
                seg = [(s + shift, t, v, d) for s, t, v, d in seg]
                lines.append((key, f"the steps started again at {first} after step {last}, the loss going on "
                                   f"from where it was (a resumed run that counted from {first} again): read as "
                                   f"one run, those steps as {seg[0][0]}-{seg[-1][0]}"))
            else:
                gone = sum(1 for q in kept if q[0] >= first)
                kept = [q for q in kept if q[0] < first]
                shifts.append(None)
                why = ("resumed from a checkpoint there" if plan == "resume"
                       else "the loss starting over: the run logged into again from its start")
                lines.append((key, f"the steps went back from {last} to {first} ({why}): the later values read "
                                   f"from step {first} on, {gone} earlier ones left out"))
            kept.extend(seg)
        return kept, lines, shifts

    if lead is not None:
        lead_points = order[lead]
        out[lead], lines, shifts = splice(lead, lead_points, list(zip(restarting[lead], plans[lead],
                                                                      [None] * len(plans[lead]))))
        said[lead] = lines
        # Each of the lead's restarts: the time between its last value before and its first after, what it was read
        # as, and the shift that renumbered it (a key logged more sparsely has its own last step earlier).
        gaps = [(lead_points[i - 1][1], lead_points[i][1], plan, shift)
                for i, plan, shift in zip(restarting[lead], plans[lead], shifts)]
    for key, cuts in restarting.items():
        if key == lead:
            continue
        points = order[key]
        if lead is not None and len(cuts) != len(restarting[lead]):
            # Restarted another number of times than the lead (an lr logged at each epoch's start, a process stopped
            # before its first epoch's end): where its restarts fall in the lead's, by the time each value was
            # logged, it is joined as the lead was.
            sessions = _sessions(points, gaps)
            if sessions is not None:
                segments = [(i, gaps[sessions[i] - 1][2], gaps[sessions[i] - 1][3])
                            for i in range(1, len(points)) if sessions[i] != sessions[i - 1]]
                out[key] = splice(key, points, segments)[0]
                matched.add(key)
                continue
        # One restarting as often as the lead takes its shifts too: a val_loss logged every other step, its own
        # last step 8 of 0-9, was renumbered 9, 11 ... beside the lead's 10-19.
        shifts = [g[3] for g in gaps] if lead is not None and len(cuts) == len(restarting[lead]) else [None] * len(cuts)
        out[key], said[key], _ = splice(key, points, list(zip(cuts, plans[key], shifts)))
    # One line per restart as the lead key (else the first key) saw it, counting the keys that took its plan; a key
    # that restarted another number of times where its restarts are not the lead's was decided on its own values,
    # perhaps otherwise (a constant lr's first value is as near its start as its end: "over", its earlier values
    # left out), and says its own lines.
    shown = lead if lead is not None else next(iter(restarting))
    same = {k for k, b in restarting.items() if lead is not None and len(b) == len(restarting[lead])} | {shown}
    same |= matched
    for key, line in [line for k in restarting for line in said.get(k, ())]:
        if key == shown:
            others = len(same) - 1
            _source.warn(source, "%s: %s%s", key, line, f" (and so for {others} more metric(s))" if others else "")
        elif key not in same:
            _source.warn(source, "%s: %s", key, line)
    return out


def _sessions(points, gaps) -> list[int] | None:
    """Which of the lead's processes logged each of ``points`` (``(step, timestamp, ...)`` in time order), 0 for
    the first: the number of ``gaps`` (the lead's restarts, ``(last time before, first time after, ...)``, in
    milliseconds) behind it. A value logged inside a gap (an lr at the start of a process, before its first loss)
    is the next process's where its step did not go forward, the earlier one's where it did. None where a step that
    went back is not at one of the lead's restarts: the key restarted where the lead did not."""
    sessions = []
    for n, (step, t, *_) in enumerate(points):
        k = 0
        for a, b, *_ in gaps:
            if t > b or (t == b > a):
                k += 1
            elif t > a or t == a == b:
                k += 1 if n and step <= points[n - 1][0] else 0
                break
            else:
                break
        k = max(k, sessions[-1]) if sessions else k
        if n and step < points[n - 1][0] and k == sessions[-1]:
            return None
        sessions.append(k)
    return sessions


def _metric_points(client, info, key, root: Path | None, model_datasets) -> list[tuple]:
    """``(step, timestamp, value, dataset name)`` of each value of ``key`` logged in the run. A folder store's
    line of a value logged with ``dataset=`` (``timestamp value step name digest``) is parsed by MLflow 3.17 with
    step 0 (it takes the step only from a 3-field line): there the steps are read from the file itself."""
    history = _metric_history(client, info.run_id, key)
    points = [(m.step, m.timestamp, _stored_inf(m.value), getattr(m, "dataset_name", None)) for m in history]
    if root is None and len({s for s, *_ in points}) < len(points) and not any(d for *_, d in points):
        # An SQL store keeps no dataset with a run's metric, only with a LoggedModel's (``model_id=``).
        named = model_datasets()
        points = [(s, t, v, named.get((key, s, t, v))) for s, t, v, _ in points]
    if root is None or not any(d is not None for *_, d in points):
        return points
    try:
        lines = (root / info.experiment_id / info.run_id / "metrics" / key).read_text("utf-8").split("\n")
        parsed = [line.split() for line in lines if line.strip()]
        from_file = [(int(p[2]) if len(p) >= 3 else 0, int(p[0]), float(p[1]), p[3] if len(p) == 5 else None)
                     for p in parsed]
    except (OSError, UnicodeDecodeError, ValueError, IndexError):
        return points
    return from_file if len(from_file) == len(points) else points


def _model_metric_datasets(client, info) -> dict:
    """``{(key, step, timestamp, value): dataset name}`` of the metrics this run logged to its LoggedModels
    with ``dataset=`` (MLflow 3); empty where there are none or the store has no LoggedModels (MLflow 2)."""
    named = {}
    try:
        models = client.search_logged_models([info.experiment_id],
                                             filter_string=f"source_run_id = '{info.run_id}'")
    except Exception:  # noqa: BLE001 - an MLflow 2 store or server: no LoggedModels to ask
        models = []
    for model in models:
        for m in model.metrics or []:
            if m.run_id == info.run_id and m.dataset_name:
                named[(m.key, m.step, m.timestamp, m.value)] = m.dataset_name
    return named


def _stored_inf(value: float) -> float:
    """A logged value as logged: MLflow's SQL store cannot hold an infinity and writes ``log_metric(k, inf)`` as
    the largest double, +-1.7976931348623157e308 (a NaN it keeps, with an ``is_nan`` flag), which read back is a
    finite number: an fp16 run's skipped steps (grad_norm inf) read as finite, and so unsaid, where the same run's
    CSV, TensorBoard and W&B logs say them (tests/fixtures/ecosystem/torch_amp_skipped_stores). A folder store
    writes ``inf``."""
    return math.copysign(math.inf, value) if abs(value) == sys.float_info.max else value


def _metric_history(client, run_id: str, key: str) -> list:
    """Every logged value of one metric. ``MlflowClient.get_metric_history`` asks a folder store for pages of
    25,000, and the store parses the whole metric file for each page: 200,000 steps parsed 8 times, 8.5 s a
    metric. Asked of the store once, without pages, it parses the file once (same values, same order)."""
    store = getattr(getattr(client, "_tracking_client", None), "store", None)
    if type(store).__name__ == "FileStore":
        return store.get_metric_history(run_id, key)
    return client.get_metric_history(run_id, key)


def _fit_plan(run: Run) -> None:
    """The fit's planned epochs in ``run.meta["planned_end"]``, for an autolog run whose metrics are logged at
    step = the 0-based epoch: ``mlflow.keras.autolog`` logs ``fit``'s arguments as params (``epochs``,
    ``initial_epoch``, ``steps_per_epoch``: all three say it is that fit's), ``mlflow.pytorch.autolog`` of a
    Lightning fit logs ``epochs`` = ``Trainer(max_epochs=)`` beside ``optimizer_name``. ``epochs=40`` plans
    epochs 0-39 (the run's axis is named ``epoch``). Not read where the logged steps go past ``epochs - 1``
    (metrics logged by batch, ``log_every_n_steps``, ``on_step=True``)."""
    params = run.meta.get("params") or {}
    if {"epochs", "initial_epoch", "steps_per_epoch"} <= set(params):
        call = "fit(epochs={n})"
    elif {"epochs", "optimizer_name"} <= set(params):
        call = "Trainer(max_epochs={n})"
    else:
        return
    try:
        n = int(params["epochs"])
    except (TypeError, ValueError):
        return
    if n >= 1 and run.axis.size and float(run.axis[-1]) <= n - 1:
        # Its steps are epochs: said so, and its training loss is an epoch's mean, not one batch's.
        run.axis_name = "epoch"
        run.meta["planned_end"] = float(n - 1)
        run.meta["planned_end_from"] = f"{call.format(n=n)}: epochs 0-{n - 1}"


@contextlib.contextmanager
def _no_trash_left(tracking_uri: str):
    """MLflow's folder store makes ``<root>/.trash/`` when it opens a store without one; input folders are only
    ever read, so the empty folder it made is taken away again."""
    trash = _store_root(tracking_uri) / ".trash" if tracking_uri.startswith("file:") else None
    made = trash is not None and not trash.exists()
    if made:  # MLflow keeps the store it built (per URI): built again, it makes the folder it needs again
        with contextlib.suppress(Exception):
            from mlflow.tracking._tracking_service.utils import _tracking_store_registry

            _tracking_store_registry._get_store_with_resolved_uri.cache_clear()
    try:
        yield
    finally:
        if made:
            with contextlib.suppress(OSError):  # not empty (a run deleted meanwhile), or gone: leave it
                trash.rmdir()


@contextlib.contextmanager
def _env(values: dict):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update({k: v for k, v in values.items() if k not in os.environ or saved[k] is None})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)


class _Malformed(logging.Handler):
    """Catches what MLflow's file store logs, traceback and all, for a folder of ``mlruns`` that is no
    experiment (``logging.warning("Malformed experiment '1'...", exc_info=True)`` on the root logger);
    keeps the folder names. Installed on the root logger, it also keeps ``logging.warning`` from
    configuring logging (``basicConfig``) when nothing else has."""

    _WHAT = re.compile(r"^Malformed experiment '([^']*)'")

    def __init__(self):
        super().__init__(logging.WARNING)
        self.folders: list[str] = []

    def filter(self, record) -> bool:  # as the root logger's filter: False drops the record
        m = self._WHAT.match(str(record.msg))
        if m is None:
            return True
        if m.group(1) not in self.folders:
            self.folders.append(m.group(1))
        return False

    def emit(self, record) -> None:
        # losslens's own warnings said while it reads (a reader's one line) reach stderr as they do elsewhere:
        # only MLflow's noise is kept quiet, and as the only handler this one would end Python's last resort.
        last = logging.lastResort
        if record.name.partition(".")[0] == "losslens" and last is not None and record.levelno >= last.level \
                and not self._handled_elsewhere(record):
            last.handle(record)

    def _handled_elsewhere(self, record) -> bool:
        logger = logging.getLogger(record.name)
        while logger is not None:
            if any(h is not self for h in logger.handlers):
                return True
            if not logger.propagate:
                return False
            logger = logger.parent
        return False


@contextlib.contextmanager
def _quiet():
    """MLflow logs INFO lines (database set-up, retries) to stderr: keep the CLI's output clean. Yields
    the list of ``mlruns`` folders MLflow could not read as experiments (filled on the way out of it). losslens's own
    warnings are said as ever (:meth:`_Malformed.emit`)."""
    logger = logging.getLogger("mlflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    root = logging.getLogger()
    catcher = _Malformed()
    root.addFilter(catcher)
    root.addHandler(catcher)
    try:
        yield catcher.folders
    finally:
        root.removeHandler(catcher)
        root.removeFilter(catcher)
        logger.setLevel(level)


def _one_line(exc) -> str:
    msg = str(getattr(exc, "message", None) or exc).strip().splitlines()
    return (msg[0] if msg else type(exc).__name__)[:300]
