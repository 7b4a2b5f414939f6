"""A directory: every run found inside it, recursively.

Each file is read by content like a single file; files that are no training log (configs,
checkpoints, images, a runs table without losses) are passed over. Stores that hold runs
across many files are handed whole to their readers:

* a TensorBoard run folder (event files in it, or in its ``train/`` / ``validation/``
  subfolders as Keras' TensorBoard callback writes them) -> ``read_tensorboard(folder)``;
* an MLflow file store (``mlruns/``: experiment folders with ``meta.yaml`` and run folders
  with ``metrics/``) -> ``read_mlflow(folder)``;
* a W&B run folder (holding a ``.wandb`` file) -> ``read_wandb(folder)``;
* a DVCLive folder (or its ``plots/``, ``plots/metrics/``) -> one run of its metric files, and a
  CatBoost ``catboost_info/`` -> one run of its TSVs (not its TensorBoard copies in ``learn/``, ``test/``).

MMEngine prints each run into ``<timestamp>.log`` beside ``vis_data/scalars.json``: the log is not
read again (the JSON has the values at full precision).

Hugging Face writes ``trainer_state.json`` into the output folder and into every
``checkpoint-N/`` -- each an earlier prefix of the same run -- so only the output folder's
(or, without one, the latest checkpoint's) is read.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import numpy as np

from ..columns import WALL_CLOCK, is_trainer_timing
from ..exceptions import LosslensError, MissingExtraError, ReadError, UnknownFormatError, UsageError
from ..run import Run
from . import _source, catboost, dvclive, hparams, huggingface, mmengine

SKIP_DIRS = {"__pycache__", "node_modules", "venv", "site-packages", "wandb-artifacts"}
# Never training logs; skipping them saves opening multi-GB checkpoints in a run folder.
SKIP_SUFFIXES = {".pt", ".pth", ".bin", ".safetensors", ".ckpt", ".h5", ".hdf5", ".keras", ".onnx",
                 ".pb", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".pdf", ".npy", ".npz", ".pkl",
                 ".pickle", ".zip", ".tar", ".whl", ".so", ".pyc", ".py", ".md", ".rst", ".yaml",
                 ".yml", ".ipynb", ".html", ".msgpack", ".model", ".tflite", ".index", ".lock",
                 ".toml", ".cfg", ".ini", ".sh", ".mp4", ".wav", ".parquet", ".arrow", ".pth.tar"}
SKIP_NAMES = {"config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
              "vocab.json", "vocab.txt", "merges.txt", "generation_config.json", "adapter_config.json",
              "preprocessor_config.json", "requirements.txt", "license", "license.txt", "readme",
              "readme.txt", "output.log", "debug.log", "debug-internal.log", "wandb-metadata.json",
              "wandb-summary.json", "optimizer.pt", "scheduler.pt", "rng_state.pth", "training_args.bin",
              # the Transformers run scripts' save_metrics(): one final value each, no curve
              "all_results.json", "train_results.json", "eval_results.json", "test_results.json",
              "predict_results.json"}
SPLIT_FOLDERS = {"train", "training", "validation", "valid", "val", "eval", "evaluation", "test"}
MAX_FILE_BYTES = 1 << 30
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def read_directory(root: Path, source: str, *, experiment=None, run_id=None, **options) -> list[Run]:
    """Every run under ``root``, in path order; ``run_id`` keeps the runs with that name."""
    from . import delegate, hparams_summary, read_file, select_run

    place = _mlflow_place(root)
    if place is not None:
        # A folder inside an MLflow store, as its UI shows the run's path: its files are the store's, one value or
        # series each, which read alone found "no training runs" (metrics/loss: "not a log to read alone").
        store, exp, run = place
        if store is None:
            raise ReadError(f"an MLflow run's artifacts folder, not its metrics (MLflow 3 keeps those in its tracking "
                            f"database, and no mlflow.db is beside mlruns/ here): pass that store, losslens diagnose "
                            f"{root_of(root, run) / 'mlflow.db'} --run {run}", source)
        if run is not None and run_id is not None and run_id != run:
            raise UsageError(f"is MLflow run {run}'s folder and --run names {run_id!r}: give one", source)
        return delegate("mlflow", source, str(store), run_id=run if run is not None else run_id,
                        experiment=exp if exp is not None else experiment)
    runs: list[Run] = []
    problems: list[str] = []
    errors: list[LosslensError] = []  # (each problem's error)
    missing: list[tuple[Path, MissingExtraError]] = []  # stores unread for want of an optional package
    consumed: set[Path] = set()
    files: list[Path] = []
    looked = 0

    def unreadable(exc: OSError) -> None:  # os.walk passed over such a folder in silence
        where = Path(exc.filename) if exc.filename else root
        problems.append(f"{_named(where, root)}: cannot read this folder ({exc.strerror or exc})")

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
        here = Path(dirpath)
        dirnames[:] = sorted((d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS), key=_source.natural_key)
        if _is_mlflow_store(here, dirnames):
            runs += _guarded(problems, here, root, missing,
                             lambda: delegate("mlflow", str(here), str(here), experiment=experiment))
            dirnames[:] = []
            continue
        if any(f.endswith(".wandb") for f in filenames):
            runs += _guarded(problems, here, root, missing, lambda: delegate("wandb", str(here), str(here)))
            dirnames[:] = []
            continue
        # A wandb/ folder is read whole: a run resumed offline with its id is several offline-run-* folders, one run.
        parts = [d for d in dirnames if "run-" in d and any((here / d).glob("run-*.wandb"))]
        if parts:
            runs += _guarded(problems, here, root, missing, lambda: delegate("wandb", str(here), str(here)))
            dirnames[:] = [d for d in dirnames if d not in parts]
        own = _library_folder(here, dirnames, filenames)
        if own is not None:
            read_own, dirnames[:], filenames = own
            # A library folder named as the root is the one run asked for: its errors are the answer.
            runs += read_own(here, str(here), **options) if here == root else \
                _guarded(problems, here, root, None, lambda: read_own(here, str(here), **options))
        if any("tfevents" in f for f in filenames):
            run_dir = here.parent if here.name.lower() in SPLIT_FOLDERS and here != root else here
            if run_dir not in consumed and not any(p in consumed for p in run_dir.parents):
                consumed.add(run_dir)
                runs += _guarded(problems, run_dir, root, missing,
                                 lambda: delegate("tensorboard", str(run_dir), str(run_dir)), errors)
            filenames = [f for f in filenames if "tfevents" not in f]
        for fname in sorted(filenames, key=_source.natural_key):
            if fname.startswith(".") or fname.lower() in SKIP_NAMES:
                continue
            if any(fname.lower().endswith(s) for s in SKIP_SUFFIXES):
                continue
            if fname == hparams.TUNE_CONFIG and any(f in filenames for f in hparams.TUNE_LOGS):
                continue  # (a Ray Tune trial's config: read with its reports, hparams.tune_config)
            files.append(here / fname)
    twice = mmengine.printed_twice(files)
    newest = _newest_checkpoint_states(files)
    for path in _latest_trainer_states([f for f in files if f not in twice]):
        if path in newest:
            path = _whole_or_checkpoint(path, newest[path])
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                problems.append(f"{_rel(path, root)}: larger than 1 GiB, skipped")
                continue
        except OSError:
            continue
        looked += 1
        # A store in one file (MLflow's mlflow.db, an event file) unread for want of its extra is named as the
        # folder stores are: "mlflow.db needs mlflow: pip install ...", not "no training runs found (1 files read:
        # mlflow.db: ...)".
        unread = len(missing)
        runs += _guarded(problems, path, root, missing,
                         lambda: read_file(path, str(path), walked_from=root, **options))
        looked -= len(missing) - unread
    detail = "; ".join(problems[:3]) + (f" and {len(problems) - 3} more" if len(problems) > 3 else "")
    if not runs and missing:  # stores this install cannot read: say which extras, not only what else was passed over
        raise _missing_extras(missing, root, source, looked)
    if not runs and len(errors) == 1 and not looked and isinstance(errors[0], _not_event_file()):
        raise errors[0]  # an event file that is none, the folder's one log: its own line names it
    if not runs:
        raise ReadError(f"no training runs found in this directory ({looked} file{'s' if looked != 1 else ''} read"
                        f"{': ' + detail if detail else ''})", source)
    parts: dict = {}
    runs = _unique_names(_drop_copies(_join_resumed(runs, parts), parts), root)
    for run in runs:  # said once for the run kept, not for its copy in the other logger's folder
        for *_, note in run.meta.get("trained_again", []):
            _source.warn(run.source or run.name, note)
    events = sorted(root.glob("*tfevents*"))
    summary = hparams_summary(events[0], runs) if events else None
    if summary is not None:  # (add_hparams' <timestamp>/ folder named alone: one value of each metric)
        raise UnknownFormatError(summary, source)
    if problems:  # say what was passed over, so a mistyped log does not vanish silently
        _source.warn(source, "passed over %d file(s): %s", len(problems), detail)
    return select_run(runs, run_id, source)


def _library_folder(here: Path, dirnames: list[str], filenames: list[str]):
    """``(reader, subfolders, files still to walk)`` when ``here`` is a folder a library writes as one run."""
    if catboost.is_info_dir(filenames):
        return catboost.read_folder, [], []
    found = dvclive.metrics_dir(here)
    if found is None:
        return None
    if found.parent.parent == here:  # the DVCLive folder: its plots and last values are the run
        return dvclive.read_folder, [d for d in dirnames if d != "plots"], [f for f in filenames if f != "metrics.json"]
    return dvclive.read_folder, [], []


_VERSION = re.compile(r"^version_(\d+)$")


def _join_resumed(runs: list[Run], parts: dict | None = None) -> list[Run]:
    """Join a Lightning fit resumed from a checkpoint to the run it continues.

    ``trainer.fit(model, ckpt_path="last.ckpt")`` with a new Trainer logs into a new
    ``version_N`` folder (CSVLogger and TensorBoardLogger alike) whose epochs go on where the
    checkpoint stopped: ``version_0`` holds epochs 0-11, ``version_1`` epochs 12-39. Read apart,
    the tail is judged without its start. A fresh fit starts at epoch 0, so a version whose first
    epoch is the next one after a sibling version's last, with the same series, is that run's
    continuation; so is one that starts after its first epoch but not after its last (resumed from an older
    checkpoint), whose records then replace the sibling's from there. The joined run is named ``version_0+version_1``.
    ``parts``, where given, gets ``{id(joined run): [the runs it joins, whole]}`` (a callback's file of version_0
    is a copy of version_0's log, not of the joined run: :func:`_drop_copies`).
    """
    # Each run's folder found once, and only a version_N (or a Trainer's dated folder) looked for among the runs
    # before it: a folder of 1,000 CSV logs made 499,500 comparisons, each of them two stat calls (220 s of a 260 s
    # read). Another folder continues no run (_later_folder).
    out: list[Run] = []
    homes: list[Path] = []  # out's folders, in step with it
    for run in runs:
        home = _folder(run)
        at = None
        if _VERSION.match(home.name) or _TRAINER_TB.match(home.name):
            at = next((i for i in range(len(out) - 1, -1, -1) if _continues(out[i], run, homes[i], home)), None)
        if at is None:
            out.append(run)
            homes.append(home)
            continue
        prev = out[at]
        # Resumed from a checkpoint older than the crash: the epochs from the resume on were trained again, and
        # the later version's records are the run the model went on from (TensorBoard drops a restart's orphans
        # the same way).
        keep = np.asarray(prev.axis) < run.axis[0]
        meta = {**prev.meta, "resumed_in": [*prev.meta.get("resumed_in", []), run.source]}
        if not keep.all():
            again = np.asarray(prev.axis)[~keep]
            unit = "step" if run.axis_name == "step" else "epoch"
            note = (f"{_folder(run).name} resumes at {unit} {run.axis[0]:g}, before {_folder(prev).name}'s last "
                    f"({again[-1]:g}): its records of {unit}{'s' if again.size > 1 else ''} "
                    + (f"{again[0]:g}-{again[-1]:g}" if again.size > 1 else f"{again[0]:g}")
                    + f" read, {_folder(prev).name}'s left out (resumed from an earlier checkpoint)")
            meta["notes"] = [*prev.meta.get("notes", []), note]
            # (epochs, note) of each such join: warned once the copies in the other logger's folder are dropped
            meta["trained_again"] = [*prev.meta.get("trained_again", []), [float(again[0]), float(again[-1]), note]]
        # (keep is a prefix: a Run's axis is in order)
        out[at] = prev.head(int(keep.sum())).followed_by(run, name=f"{prev.name}+{_folder(run).name}",
                                                         source=prev.source, meta=meta)
        if parts is not None:
            parts[id(out[at])] = [*parts.pop(id(prev), [prev]), run]
    return out


#: The folder a Transformers Trainer's TensorBoard callback logs into, ``runs/Dec05_22-16-19_host`` (torch's
#: ``SummaryWriter`` default): one per process, so a job resumed from a checkpoint after a crash logs into a new one.
_TRAINER_TB = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)(\d{2})_(\d{2})-(\d{2})-(\d{2})_(.+)$")
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def _later_folder(a: str, b: str) -> bool:
    """Folder ``b`` was made after ``a``, both a Lightning ``version_N`` or both a Trainer's TensorBoard folder of
    one host (named by the second the process started; across a new year the order is not known: no)."""
    va, vb = _VERSION.match(a), _VERSION.match(b)
    if va and vb:
        return int(va.group(1)) < int(vb.group(1))
    ta, tb = _TRAINER_TB.match(a), _TRAINER_TB.match(b)
    if not (ta and tb) or ta.group(6) != tb.group(6):
        return False
    key = [(_MONTHS.index(m.group(1)), *map(int, m.group(2, 3, 4, 5))) for m in (ta, tb)]
    return key[0] < key[1]


def _continues(prev: Run, run: Run, prev_folder: Path, run_folder: Path) -> bool:
    """``run`` is ``prev`` resumed: a later ``version_N`` beside it (a Trainer's later ``runs/<date>_<host>``
    folder) whose first epoch follows its last, or falls after its first (resumed from a checkpoint older than
    where ``prev`` stopped: a crash after it). ``prev_folder``, ``run_folder``: their :func:`_folder`."""
    if not (prev_folder.parent == run_folder.parent and _later_folder(prev_folder.name, run_folder.name)
            and prev.axis_name == run.axis_name and prev.meta.get("format") == run.meta.get("format")
            and set(prev.series) == set(run.series) and len(prev) and len(run)):
        return False
    # (A Trainer's event files are read on its steps, their epochs beside them: a resume is told on those, as it was
    # when they were the axis. Its first logged step may lie a logging interval past the crashed run's last.)
    a, b = (r.axis if r.axis_name == "epoch" else r.series.get("epoch_frac")
            if r.meta.get("framework") == "transformers" else None for r in (prev, run))
    if a is None or b is None:
        return False
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    return bool(a.size and b.size and a[0] < b[0] <= a[-1] + 1)


#: Wall-clock columns: one run exported twice (W&B's per-epoch history beside its batch-and-epoch one) times its
#: rows apart, so they say nothing about whether the values are one run's.
_CLOCK = (*WALL_CLOCK, "runtime", "elapsed", "duration", "_runtime")
#: Fewer finite points of the diagnosed curve than this never make a copy: DeepOBS runs that diverged at their
#: first epoch share the one finite value they logged (4.9282, the loss at initialization) and are distinct runs.
_COPY_MIN_POINTS = 5
#: How close two values of a copy are: float32 (TensorBoard's precision) to a few units in the last place, a
#: callback's float64 mean beside the event file's float32 one (layer_grads/tb_sigmoid: 2.32381487 vs 2.32381511).
_COPY_RTOL = 2.0 ** -20


def _drop_copies(runs: list[Run], parts: dict | None = None) -> list[Run]:
    """One run written twice is read once, and said so.

    Ray Tune writes each trial as ``progress.csv``, ``result.json`` and an event file; Lightning's
    CSVLogger and TensorBoardLogger log one fit into ``version_0`` and ``version_1``. A run is an earlier
    run's copy when every series both log (wall-clock columns apart) has the same length and the same values
    (to float32, TensorBoard's precision) at every point, NaN and inf where the other has them, and its
    diagnosed series is theirs with at least ``_COPY_MIN_POINTS`` finite points; one in the same folder or
    written in another format is dropped with a warning naming both (also in the kept run's ``notes``), and
    the earlier keeps its name. Runs a store keeps apart by id (MLflow's, W&B's) are never one run: a seeded
    rerun logs the same values. (Matching the diagnosed series' finite values alone read DeepOBS runs that
    diverged at epoch 1, other lrs, as one: 19 of 300 runs vanished without a word.)

    A copy may also hold fewer points than the run it copies, ending where it does (:func:`_contained`): a losslens
    callback's file of a fit resumed into ``version_1`` (its ``version_0/losslens.json`` is ``version_0``'s log,
    one of the joined run's ``parts``), a Transformers callback's file of the evaluations beside the Trainer's
    TensorBoard log. The fuller is kept, said with the pair named (a joined run by its name and files); the sources
    read once go in the kept run's ``copies`` (``watch`` forgets a run it showed that became one).
    """
    parts = parts or {}
    kept, seen, once = [], {}, []
    starts: dict = {}  # {metric: [(first finite value, run)]}: a copy starts where the run it copies does
    for run in runs:
        # A store's runs are apart by id; a table's run column (``fold``, ``seed``) is not a store: its run may be
        # the copy of a per-run file beside it (cv/all_folds.csv's fold=0 and cv/fold_0.csv read 10 runs of 5),
        # though never of another id of the same table (:func:`_apart`).
        folder = str(_folder(run)) + (f"#{run.meta['run_id']}" if run.meta.get("run_id") is not None
                                      and not run.meta.get("run_column") else "")
        fmt = run.meta.get("format")
        try:
            metric = run.default_metric()
            values = _float32(run.series[metric])
        except (LosslensError, KeyError):
            kept.append(run)
            continue
        if np.isfinite(values).sum() < _COPY_MIN_POINTS:
            kept.append(run)
            continue
        # Candidates share the diagnosed series' length and gaps; the values are compared one pair at a time.
        where = seen.setdefault((metric, values.shape[0], np.isfinite(values).tobytes()), [])
        twin = next((k for f, m, k in where if (f == folder or m != fmt) and not _apart(k, run)
                     and _same_values(k, run)), None)
        if twin is not None:
            _read_once(run, twin, twin, parts, once)
            continue
        first = float(values[np.isfinite(values)][0])
        near = [(k, f) for v, f, m, k in starts.get(metric, ()) if (f == folder or m != fmt) and not _apart(k, run)
                and abs(v - first) <= _COPY_RTOL * max(abs(v), abs(first))]
        # The run copies a fuller one kept (or one of the runs that one joins), or a kept one copies it: said once.
        twin = next(((k, part) for k, _ in near for part in [k, *parts.get(id(k), ())]
                     if _contained(run, part, metric)), None)
        if twin is not None:
            _read_once(run, *twin, parts, once)
            continue
        fuller = next(((k, part) for k, _ in near for part in [run, *parts.get(id(run), ())]
                       if _contained(k, part, metric)), None)
        where.append((folder, fmt, run))
        starts.setdefault(metric, []).append((first, folder, fmt, run))
        if fuller is not None:
            copy, part = fuller
            kept[next(i for i, k in enumerate(kept) if k is copy)] = run  # (Runs compare arrays under ==)
            starts[metric] = [e for e in starts[metric] if e[3] is not copy]
            _read_once(copy, run, part, parts, once)
            continue
        kept.append(run)
    _say_read_once(once)
    return kept


#: Up to this many copies read once in a folder are said a line each; more, on one line naming the first few.
_ONCE_APART = 3
#: Of the copies a folder read once, the pairs named on the one warning line that says them all.
_ONCE_NAMED = 2


def _say_read_once(once: list[tuple[str, str]]) -> None:
    """The copies read once (``(copy, what it copies)``), a line each up to ``_ONCE_APART``, else one line for all:
    a Ray Tune sweep writes each trial's reports twice (progress.csv, result.json), and a line a trial buried the
    folder's other warnings (18 lines for 18 trials). Each kept run's ``notes`` still name its own copy."""
    if len(once) <= _ONCE_APART:
        for copy, said in once:
            _source.warn(copy, "the same values as %s, read once", said)
        return
    (copy, said), rest = once[0], once[1:]
    named = "; ".join(f"{c} as {s}" for c, s in rest[:_ONCE_NAMED])
    more = f" and {len(rest) - _ONCE_NAMED} more" if len(rest) > _ONCE_NAMED else ""
    _source.warn(copy, "the same values as %s, read once; so were %d more files (%s%s)", said, len(rest), named, more)


def _read_once(copy: Run, kept: Run, part: Run, parts: dict, once: list) -> None:
    """Say that ``copy`` holds the values of ``kept`` (of ``part``, one of the runs ``kept`` joins, or itself): the
    pair goes to ``once``, which :func:`_say_read_once` says in one line."""
    said = part.source or part.name
    if part is kept and id(kept) in parts:  # a joined run: its name and files, not the first file alone
        said = f"{kept.name} ({' + '.join(p.source or p.name for p in parts[id(kept)])})"
    elif part is not kept:
        said = f"{said} (read as part of {kept.name})"
    once.append((str(copy.source or copy.name), said))
    note = f"{copy.source or copy.name}: the same values as {said}, read once"
    kept.meta["notes"] = [*(kept.meta.get("notes") or ()), note]
    kept.meta["copies"] = [*kept.meta.get("copies", ()), copy.source, *copy.meta.get("resumed_in", ()),
                           *copy.meta.get("copies", ())]
    if _saved_by_callback(copy):
        # What the callback saw of the training that no log holds (the training set's size, dropout, the optimizer,
        # the planned end on the kept run's axis): the facts it was added for stay with the run diagnosed.
        # A later copy's over an earlier one's: the file a resumed fit's callback saved knows its new planned end.
        carried = _CALLBACK_FACTS + (_CALLBACK_END if copy.axis_name == kept.axis_name else ())
        earlier = kept.meta.get("facts_from") or {}  # {fact: the copy it was carried from}
        facts = {k: copy.meta[k] for k in carried if k in copy.meta and (k in earlier or k not in kept.meta)}
        if facts:
            kept.meta.update(facts, facts_from={**earlier, **dict.fromkeys(facts, copy.source)})
    elif _state_beside_events(copy, kept):
        # What only the state holds of the run its event file also logged: the saved settings, the training set's
        # size and, where it ends where the events do, the EarlyStoppingCallback's stop and the checkpoint kept. Left
        # behind with the copy, a folder of hf_earlystop_tb read "rather than stop, train on" where its
        # trainer_state.json read "it was stopped early already".
        carried = _STATE_FACTS + (_STATE_END if _ends_with(copy, kept) else ())
        facts = {k: copy.meta[k] for k in carried if k in copy.meta and k not in kept.meta}
        if facts:
            earlier = kept.meta.get("facts_from") or {}
            kept.meta.update(facts, facts_from={**earlier, **dict.fromkeys(facts, copy.source)})


#: A losslens callback's facts of the training kept with the log its file is a copy of; the planned end (in the
#: callback's axis' units: the Transformers one's in steps) and the framework's EarlyStopping that ended the run
#: short of it (its counts in epochs: a Lightning metrics.csv beside its callback's losslens.json read "train on with
#: early stopping ... to epoch 99" of a run EarlyStopping ended at 27) only where that log is on the same axis.
_CALLBACK_FACTS = ("train_examples", "train_examples_from", "dropout", "optimizer", "classes")
_CALLBACK_END = ("planned_end", "planned_end_from", "stopped_early")
#: A Trainer's trainer_state.json's facts kept with its TensorBoard event file's reading of the same run (which the
#: event file holds none of: its TrainingArguments give the planned end, read there); the end's (the stop, the best
#: checkpoint) only from a state that ends where the events do, not a checkpoint's saved before the run went on.
_STATE_FACTS = ("trainer_settings", "trainer_settings_from", "train_examples", "train_examples_from", "classes",
                "dropout")
_STATE_END = ("stopped_early", "early_stopped", "best_model_checkpoint", "best_global_step", "best_metric")


def _state_beside_events(copy: Run, kept: Run) -> bool:
    """``copy`` is a Trainer's trainer_state.json and ``kept`` the same run read from its TensorBoard event file on
    the Trainer's step axis (:func:`.tensorboard._read_as_trainer_state`)."""
    return (huggingface.trainer_log(copy) == "state" and huggingface.trainer_log(kept) == "events"
            and copy.axis_name == "step")


def _ends_with(copy: Run, kept: Run) -> bool:
    """``copy``'s log runs to ``kept``'s last step (a final state, or the last checkpoint of a run cut there)."""
    a, b = np.asarray(copy.axis, dtype=float), np.asarray(kept.axis, dtype=float)
    return bool(a.size and b.size and np.nanmax(a) >= np.nanmax(b))


def _positions(run: Run, other: Run) -> np.ndarray | None:
    """Where ``run``'s points lie, on an axis ``other``'s can be matched to: the shared axis, else epochs
    (a log on steps with its ``epoch_frac``, beside one on epochs); None where none is shared."""
    if run.axis_name == other.axis_name or (run.axis_name == "epoch" and "epoch_frac" in other.series):
        return np.asarray(run.axis, dtype=float)
    if "epoch_frac" in run.series and other.axis_name == "epoch":
        return np.asarray(run.series["epoch_frac"], dtype=float)
    return None


def _contained(copy: Run, run: Run, metric: str) -> bool:
    """``copy`` holds no more points of ``metric`` than ``run``, and ``run`` has its values at them: every finite
    point of the diagnosed ``metric`` (at least ``_COPY_MIN_POINTS``) finite in ``run`` at the same place, every
    series both hold (wall-clock columns apart; the metric alone of a losslens callback's file beside a framework's
    log) the same (to ``_COPY_RTOL``) where both are finite, and the metric's last point the same (a Trainer's
    ``checkpoint-N/trainer_state.json`` may end before). ``run``: one of the logs a resumed run joins (to where the
    resume began), or a log of which ``copy`` holds the evaluations alone (a callback's record of them)."""
    if copy is run or metric not in run.series:
        return False
    at, where = _positions(copy, run), _positions(run, copy)
    if at is None or where is None:
        return False
    ours = np.asarray(copy.series[metric], dtype=np.float64)
    mine = np.isfinite(ours)
    # (fuller: more points of the metric; a TensorBoard log's extra row of Lightning's hp_metric at step 0 is none)
    theirs = np.isfinite(np.asarray(run.series[metric], dtype=np.float64))
    if mine.sum() < _COPY_MIN_POINTS or mine.sum() > theirs.sum():
        return False
    # Both end at one point: a seeded run trained for 40 epochs is the first 40 of one trained for 80 (compare_keras'
    # adam_e40.csv, adam_e80.csv), LightGBM stopped early is the first rounds of its full run: other trainings. A
    # Trainer's checkpoint-N/trainer_state.json is the run to step N (saved before that step's evaluation).
    snapshot = _CHECKPOINT.match(Path(copy.source or "").parent.name) is not None
    if not snapshot and not np.isclose(at[mine][-1], where[theirs][-1], rtol=1e-9, atol=1e-9):
        return False
    idx = np.searchsorted(where, at)
    idx_ok = idx < where.size
    idx = np.where(idx_ok, idx, 0)
    found = idx_ok & np.isclose(where[idx], at, rtol=1e-9, atol=1e-9)
    if not found[mine].all():
        return False
    # A losslens callback's other series are its own: the Transformers one records, at each evaluation, the mean of
    # the training losses (and gradient norms) logged since the one before (0.2176 at step 50 where the Trainer's
    # TensorBoard log has 0.3902, 0.1809, 0.0817 at steps 30-50); the validation values are the Trainer's own. Two
    # callbacks' files are compared whole: two seeded fits the torch Monitor saved (torch_gru_cliff's seed8.json, cut
    # by losslens at epoch 19, and multistep_seed8.json, by MultiStepLR at 20) log the same validation losses.
    # Either way round: a Trainer's trainer_state.json resumed from a checkpoint saved before that step's evaluation
    # lost it, and the callback's record, carried on from the earlier session, is the fuller (hf_cb_state_lost_eval:
    # "2 runs", one named the best). A framework log holding every evaluation the callback's file does stays the
    # fuller one (its training rows between them: hf_memorised_96/small keeps its trainer_state.json).
    by_callback = _saved_by_callback(copy)
    if _saved_by_callback(run) and not by_callback and not mine.sum() < theirs.sum():
        return False
    alone = by_callback != _saved_by_callback(run)
    shared = [metric] if alone else [k for k in copy.series if k in run.series and not _is_clock(k)]
    for key in shared:
        x = np.asarray(copy.series[key], dtype=np.float64)[found]
        y = np.asarray(run.series[key], dtype=np.float64)[idx[found]]
        both = np.isfinite(x) & np.isfinite(y)
        if key == metric and not np.isfinite(y[np.isfinite(x)]).all():
            return False
        if not np.allclose(x[both], y[both], rtol=_COPY_RTOL, atol=0.0):
            return False
    return True


def _apart(a: Run, b: Run) -> bool:
    """``a`` and ``b`` are two runs of one table's run column: a seeded rerun logged under another id is its own run,
    whatever its values."""
    return bool(a.meta.get("run_column") and b.meta.get("run_column") and a.source == b.source)


def _same_values(a: Run, b: Run) -> bool:
    """``a`` and ``b`` log the same values: every series both hold (wall-clock columns apart), point for point."""
    shared = [k for k in a.series if k in b.series and not _is_clock(k)]
    if len(a) != len(b) or a.default_metric() not in shared:
        return False
    for key in shared:
        x64, y64 = np.asarray(a.series[key], dtype=np.float64), np.asarray(b.series[key], dtype=np.float64)
        x, y = _float32(x64), _float32(y64)
        if x.shape != y.shape or not np.array_equal(np.isnan(x), np.isnan(y)):
            return False
        same = np.isclose(x, y, rtol=_COPY_RTOL, atol=0.0, equal_nan=True)
        # Two finite values past float32's range both cast to inf, which would call two different blown-up runs
        # (1e119 and 2e119) one; both finite, neither was written at float32, so they are compared as logged.
        # One inf against one past the range is still a float32 copy's overflow (a TensorBoard copy of 1e119).
        beyond = np.isfinite(x64) & np.isfinite(y64) & ~(np.isfinite(x) & np.isfinite(y))
        same[beyond] = np.isclose(x64[beyond], y64[beyond], rtol=_COPY_RTOL, atol=0.0)
        if not same.all():
            return False
    return True


def _float32(values) -> np.ndarray:
    """``values`` at float32, TensorBoard's precision, those past its range (a blown-up loss's 1e119) as inf
    without numpy's overflow warning, which would reach the user's stderr."""
    with np.errstate(over="ignore"):
        return np.asarray(values, dtype=np.float32)


def _is_clock(name: str) -> bool:
    return name.lower() in _CLOCK or is_trainer_timing(name)


def _unique_names(runs: list[Run], root: Path) -> list[Run]:
    """Runs sharing a name (Lightning's ``csv/version_0`` and ``tb/version_0``, two trials'
    ``result.json``) are named by their path under ``root`` instead, which ``--run`` accepts."""
    counts = Counter(r.name for r in runs)
    alone = {id(r) for r in _alone_in_folder(runs)}
    for run in runs:
        if counts[run.name] < 2:
            continue
        source, folder = Path(run.source or ""), _folder(run)
        rel = _rel(folder, root)
        if (run.name == folder.name or id(run) in alone) and rel != ".":
            # A callback's file is named as the docs write it (run.json; losslens.json by default): its folder
            # says which run it is, as Lightning's version_3/ does for metrics.csv ("lr_0.1", not "lr_0.1/run.json").
            run.name = rel
        elif source.is_file():  # keras_csvlogger.csv and keras_csvlogger.tsv, a.b/result.json
            run.name = source.name if rel == "." else f"{rel}/{source.name}"
        else:
            run.name = f"{rel}/{run.name}"
    return runs


def name_apart(runs: list[Run]) -> list[Run]:
    """Runs read from several paths (``losslens diagnose sweep/*/run.json``, ``read([...])``) that a losslens
    callback saved under one file name, each named by its folder below the folders they share, as a directory
    of them is (they all read "run"); other runs keep their names."""
    saved = _alone_in_folder(runs)
    counts = Counter(r.name for r in saved)
    clash = [r for r in saved if counts[r.name] > 1]
    if clash:
        root = Path(os.path.commonpath([str(_folder(r).resolve()) for r in clash]))
        for run in clash:
            rel = _rel(_folder(run).resolve(), root)
            if rel != ".":
                run.name = rel
    return runs


def _alone_in_folder(runs: list[Run]) -> list[Run]:
    """The runs a losslens callback saved that are the only run read from their folder: those a folder names
    (a folder of several, run.json beside lr10x.json, keeps their file names)."""
    per_folder = Counter(_folder(r).resolve() for r in runs)
    return [r for r in runs if _saved_by_callback(r) and per_folder[_folder(r).resolve()] == 1]


def _saved_by_callback(run: Run) -> bool:
    """A file a losslens callback (Keras, Lightning, Transformers, the torch Monitor) saved: its meta holds the
    reports it made, which only they write (the reader's ``format`` names the JSON layout, a Keras History's)."""
    meta = run.meta or {}
    return "reports" in meta and "framework" in meta and Path(run.source or "").is_file()


def _folder(run: Run) -> Path:
    """The folder a run was read from: its run directory, or its file's folder."""
    source = Path(run.source or "")
    return source if source.is_dir() else source.parent


def _guarded(problems: list[str], path: Path, root: Path, missing: list | None, reader,
             errors: list | None = None) -> list[Run]:
    """Run a reader; a file that is no training log is noted and passed over. A store unread for want of
    an optional package goes to ``missing`` too: with nothing else read, that is the error. Each part read is
    named on the CLI's bar (``_source.reading``)."""
    _source.reading(_rel(path, root))
    try:
        return list(reader())
    except LosslensError as exc:
        # The file inside a run folder the reader refused (a TensorBoard run's cut event file), where it names one:
        # "." (the root read as one run) named nothing.
        inside = Path(exc.source) if exc.source else None
        where = inside if inside is not None and inside != path and path in inside.parents else path
        problems.append(f"{_named(where, root)}: {_source.problem_of(exc)}")
        if errors is not None:
            errors.append(exc)
        if missing is not None and isinstance(exc, MissingExtraError):
            missing.append((path, exc))
        return []


def _missing_extras(missing: list, root: Path, source: str, others: int) -> MissingExtraError:
    """The error for a folder whose only runs lie in stores this install cannot read: the root itself such a
    store, its own error; else one line naming each store, what it needs and the one install for them all
    (``no training runs found (... files read: mlruns: ... needs mlflow ...; tb: ...)`` left the user to
    assemble it from the list of what was passed over)."""
    if len(missing) == 1 and missing[0][0] == root:
        return missing[0][1]
    extras = list(dict.fromkeys(exc.extra for _, exc in missing if exc.extra))
    stores = ", ".join(f"{_rel(path, root)} needs {exc.extra or exc.problem}" for path, exc in missing)
    rest = f" ({others} other file{'s' if others != 1 else ''} read, no run in {'them' if others != 1 else 'it'})" \
        if others else ""
    install = f": pip install 'losslens[{','.join(extras)}]'" if extras else ""
    return MissingExtraError(f"no training runs this install can read in this directory: {stores}{rest}{install}",
                             source)


def _not_event_file() -> type:
    from .tensorboard import NotAnEventFile

    return NotAnEventFile


def _named(path: Path, root: Path) -> str:
    """``path`` as a folder's "passed over" list names it: relative to ``root``; the root itself by its name (the
    line already starts with the root's path, and "." read as a file of that name)."""
    return _rel(path, root) if path != root else (root.name or str(root))


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root)) or "."
    except ValueError:
        return str(path)


#: A file store's run folder (``mlruns/EXPERIMENT/RUN``), as MLflow names it: 32 hex digits.
_MLFLOW_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
#: What a run folder of a file store holds (``artifacts/`` alone where the run is logged to an ``mlflow.db``).
_MLFLOW_RUN_PARTS = {"metrics", "params", "tags", "artifacts"}


def _mlflow_meta(folder: Path, key: str) -> bool:
    """``folder/meta.yaml`` is MLflow's, of a run (``key`` "run_id") or an experiment ("artifact_location")."""
    try:
        with open(folder / "meta.yaml", encoding="utf-8", errors="replace") as f:
            return any(line.startswith(f"{key}:") for line in f.read(65536).splitlines())
    except OSError:
        return False


def _mlflow_place(root: Path) -> tuple[Path | None, str | None, str | None] | None:
    """``(store, experiment id, run id)`` where ``root`` is a folder inside an MLflow file store (the experiment
    folder ``mlruns/0``: its runs; a run's folder ``mlruns/0/RUN`` or its ``metrics/``, ``params/``, ``tags/``,
    ``artifacts/``: that run); ``(None, None, RUN)`` for a run's artifacts folder under ``mlruns/`` whose run MLflow
    3 logged to a database that is not beside it; else None (the store itself is walked as any folder is)."""
    folder = root.resolve()
    if folder.name in _MLFLOW_RUN_PARTS and _MLFLOW_RUN_ID.match(folder.parent.name):
        folder = folder.parent
    if _mlflow_meta(folder, "run_id") and _mlflow_meta(folder.parent, "artifact_location"):
        return _user_path(root, folder.parent.parent), None, folder.name
    if _mlflow_meta(folder, "artifact_location") and not _mlflow_meta(folder, "run_id"):
        return _user_path(root, folder.parent), folder.name, None
    if _MLFLOW_RUN_ID.match(folder.name) and folder.parent.parent.name == "mlruns" \
            and (folder / "artifacts").is_dir() and not (folder / "meta.yaml").exists():
        from .mlflow import is_mlflow_db

        db = folder.parent.parent.parent / "mlflow.db"
        return (_user_path(root, db) if is_mlflow_db(db) else None), None, folder.name
    return None


def _user_path(root: Path, place: Path) -> Path:
    """``place`` (a resolved folder above ``root``, or a file in one) named from ``root`` as the user typed it, where
    it can be (``mlruns/0/RUN`` -> ``mlruns``), so the runs and messages name what the user would."""
    folder = place if place.is_dir() else place.parent
    up = len(root.resolve().parts) - len(folder.parts)
    if 0 < up <= len(root.parts) and ".." not in root.parts and root.parents[up - 1].resolve() == folder:
        named = root.parents[up - 1]
        return named if folder == place else named / place.name
    return place


def root_of(root: Path, run: str) -> Path:
    """The folder holding ``mlruns/`` for ``root``, a run's folder (or one inside it), named from ``root``."""
    return _user_path(root, (root.resolve() if root.resolve().name == run else root.resolve().parent).parents[2])


def _is_mlflow_store(here: Path, dirnames: list[str]) -> bool:
    """An MLflow file store: an experiment folder (``meta.yaml``) holding run folders with ``metrics/``."""
    for d in dirnames:
        exp = here / d
        if not (exp / "meta.yaml").is_file():
            continue
        try:
            with os.scandir(exp) as it:
                for entry in it:
                    if entry.is_dir() and os.path.isdir(os.path.join(entry.path, "metrics")):
                        return True
        except OSError:
            continue
    return False


def _newest_checkpoints(states: list[Path]) -> dict[Path, Path]:
    """``{output folder: its checkpoint-N/trainer_state.json of the largest N}`` among ``states`` (trainer_state.json
    paths), for every output folder with a checkpoint."""
    newest: dict[Path, tuple[int, Path]] = {}
    for f in states:
        m = _CHECKPOINT.match(f.parent.name)
        if m and int(m.group(1)) > newest.get(f.parent.parent, (-1, None))[0]:
            newest[f.parent.parent] = (int(m.group(1)), f)
    return {d: f for d, (_, f) in newest.items()}


def _newest_checkpoint_states(files: list[Path]) -> dict[Path, Path]:
    """``{output folder's trainer_state.json: its newest checkpoint-N/trainer_state.json}``, for the output
    folders that have both."""
    states = [f for f in files if f.name == "trainer_state.json"]
    finals = {f.parent: f for f in states if not _CHECKPOINT.match(f.parent.name)}
    return {finals[d]: f for d, f in _newest_checkpoints(states).items() if d in finals}


def _whole_or_checkpoint(final: Path, checkpoint: Path) -> Path:
    """The trainer_state.json to read of an output folder: its own, unless that one is cut off mid-write or empty
    (the job killed while ``save_state()`` wrote it) and its newest checkpoint's reaches at least as far: that one
    then, said with both named. The checkpoint's copy is the same run up to its step; read alone, the final file
    refused the folder ("unreadable JSON") or, read up to its cut, lost the steps after it."""
    from . import records

    def reach(text: str) -> float | None:  # the last step its log_history reached; None: not a state
        try:
            obj = records.loads(text)
        except (ValueError, RecursionError):
            return None
        rows = obj.get("log_history") if isinstance(obj, dict) else None
        if not isinstance(rows, list):
            return None
        steps = [r["step"] for r in rows if isinstance(r, dict) and isinstance(r.get("step"), (int, float))]
        return float(max(steps)) if steps else -1.0

    try:
        with open(final, "rb") as fh:  # (a whole state ends in its top-level brace, at a line's start: not parsed twice)
            fh.seek(max(0, final.stat().st_size - 64))
            if fh.read().rstrip().endswith(b"\n}"):
                return final
        text = final.read_text(encoding="utf-8", errors="replace")
        if reach(text) is not None:
            return final
        ours = records.cut_prefix(text)
        ours_reach = reach(ours[0]) if ours is not None else None
        theirs = reach(checkpoint.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return final
    if theirs is None or (ours_reach is not None and ours_reach > theirs):
        return final
    what = "empty" if not text.strip() else "cut off mid-write"
    _source.warn(str(final), "%s: read %s instead, the newest checkpoint's state (to step %s)", what,
                 _rel(checkpoint, final.parent), f"{theirs:g}")
    return checkpoint


def _latest_trainer_states(files: list[Path]) -> list[Path]:
    """Drop ``checkpoint-N/trainer_state.json`` copies that a later or final state contains."""
    states = [f for f in files if f.name == "trainer_state.json"]
    if len(states) < 2:
        return files
    final = {f.parent for f in states if not _CHECKPOINT.match(f.parent.name)}
    keep = {f for d, f in _newest_checkpoints(states).items() if d not in final}
    return [f for f in files if f.name != "trainer_state.json" or not _CHECKPOINT.match(f.parent.name)
            or f in keep]
