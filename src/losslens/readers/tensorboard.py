"""TensorBoard event files: one file, one run directory, or a log directory with many runs.

Reader choice: our own reader of the event files (:mod:`.tfevents`), which keeps what TensorBoard's
``EventAccumulator`` does to a curve -- old ``simple_value`` scalars (``torch.utils.tensorboard``,
tensorboardX) and TF2 tensor scalars (Keras' TensorBoard callback) alike, several event files per run
(restarts), a half-written final record (a job killed mid-write: the record is skipped, everything
before it is read) -- at a few µs an event instead of the accumulator's ~300 µs without TensorFlow
(a 300,000-step x 5-tag log: 454 s before). ``tbparse`` wraps the accumulator in pandas.

Layout rules (what each library writes):

* ``torch.utils.tensorboard.SummaryWriter("runs/a")``: tags such as ``train/loss``,
  ``Loss/val``, ``loss_train`` in ``runs/a/events.out.tfevents.*``; ``add_scalars("Loss",
  {"train": ..})`` adds sub-directories ``runs/a/Loss_train`` holding tag ``Loss``.
* Keras ``TensorBoard`` callback: ``logs/train`` and ``logs/validation`` each holding
  ``epoch_loss``, ``epoch_accuracy`` ... with step = epoch (0-based).
* Lightning ``TensorBoardLogger``: ``lightning_logs/version_N`` with the user's tags and an
  ``epoch`` tag logged at every step.
* Hugging Face Trainer: ``train/loss``, ``train/learning_rate``, ``train/grad_norm``,
  ``train/epoch`` (fractional), ``eval/loss``; its TrainingArguments as JSON in the text summary
  ``args``, whose ``gradient_accumulation_steps`` says when ``train/loss`` is the sum of that many
  batches' losses (read divided, as ``trainer_state.json`` is: :func:`_undo_accumulated_sum`). Read on the
  step, ``train/epoch`` beside it as ``epoch_frac``, with the planned end its arguments give, as its
  ``trainer_state.json`` is (:func:`_trainer_axis`, :func:`_read_as_trainer_state`).

A directory holding event files is one run; split sub-directories (``train``,
``validation`` ...) and ``add_scalars`` sub-directories are merged into their parent's run.
Scalars are logged against steps; when an ``epoch`` scalar exists (Lightning; not a Trainer's)
or every loss tag is Keras' ``epoch_*``, the Run's axis is the epoch (see
:func:`scalars_to_run`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..columns import (ACCURACY_FALLBACK, LAYER_GRAD, LOSS_SERIES, axis_kind, canonical, is_trainer_timing,
                       is_validation, layer_grad, map_columns, normalise)
from ..exceptions import MissingExtraError, ReadError
from ..run import Run
from . import _source
from ._source import natural_key, reading, warn
from .lightning import epoch_stamped_at_end
from .tfevents import EventLog, Points, lost_points

# Sub-directory names that hold one split of a run (Keras writes train/ and validation/).
SPLITS = {"train": "train", "training": "train", "validation": "validation", "val": "val",
          "valid": "valid", "eval": "eval", "evaluation": "eval", "test": "test"}
_SPLIT_TOKENS = ("train", "training", "val", "valid", "validation", "eval", "test")


def is_event_file(path) -> bool:
    return "tfevents" in os.path.basename(str(path))


def read_tensorboard(path) -> list[Run]:
    """Read every run under ``path`` (an event file, a run directory or a log directory).

    Returns a list of :class:`~losslens.run.Run`, one per run directory, sorted by name.
    Raises :class:`~losslens.exceptions.ReadError` when there is no event file or no scalar.
    """
    path = Path(path)
    if not path.exists():
        raise ReadError("no such file or directory", path)
    _require_tensorboard(path)
    if path.is_file():
        if path.stat().st_size == 0:
            raise ReadError("empty file", path)
        scalars = _load_scalars(path)
        if not scalars:
            raise ReadError("event file holds no scalar summaries", path)
        name = path.parent.name if path.parent.name else path.stem
        # logs/validation/events...: the folder names the split (epoch_loss is the validation loss), as an
        # add_scalars child's does (tag "Loss" in Loss_val/).
        split = path.parent.name if path.parent.name.lower() in SPLITS or _add_scalars_child(
            path.parent, scalars, alone=True) else None
        after, hp, args = scalars.after, scalars.hparams, scalars.trainer_args
        scalars, axis = _merge_parts([(split, scalars)])
        trainer = _trainer_axis(scalars, args)
        run = scalars_to_run(scalars, name=name, source=str(path), meta=_meta([after], hp), axis=trainer or axis)
        _read_as_trainer_state(run, args, path, trainer is not None)
        _mark_catboost(run, path.parent)
        return [run]

    loaded, said, dirs = {}, set(), sorted(_event_dirs(path))  # (walked once: the error path below counts from it)
    for d in dirs:
        # (a logdir of many runs: each run said to a progress bar as it is read once, a run split into
        # train/ and validation/ by its folder name, as Keras' TensorBoard callback writes it)
        run = d.parent if d != path and d.name.lower() in SPLITS else d
        if run != path and run not in said:
            said.add(run)
            reading(os.path.relpath(run, path))
        loaded[d] = _load_scalars(d)
    _fold_hparams_folders(path, loaded)
    runs, empty = [], []
    unread = [u for d in loaded.values() for u in d.unread]
    for root, parts in sorted(_group_runs(path, loaded).items(), key=lambda kv: natural_key(os.path.relpath(kv[0], path))):
        scalars, axis = _merge_parts([(sub, loaded[directory]) for sub, directory in parts])
        if not scalars:
            if not any(loaded[d].unread for _, d in parts):  # (an unreadable file is said below, by its name)
                empty.append(os.path.relpath(root, path).replace(os.sep, "/"))
            continue
        rel = os.path.relpath(root, path)
        name = path.resolve().name if rel == "." else rel.replace(os.sep, "/")
        args = {k: v for _, d in parts for k, v in loaded[d].trainer_args.items()}
        trainer = _trainer_axis(scalars, args)
        runs.append(scalars_to_run(scalars, name=name, source=str(root),
                                   meta=_meta([loaded[d].after for _, d in parts],
                                              {k: v for _, d in parts for k, v in loaded[d].hparams.items()}),
                                   axis=trainer or axis))
        _read_as_trainer_state(runs[-1], args, root, trainer is not None)
        _mark_catboost(runs[-1], Path(root))
    if not runs:
        if not dirs:
            raise ReadError("no TensorBoard event files (events.out.tfevents.*) found", path)
        files = [f for d in dirs for f in os.listdir(d) if is_event_file(f)]
        if unread and len(unread) == len(files):  # not one event file read: each named, not 'no scalars'
            kind = NotAnEventFile if all(isinstance(e, NotAnEventFile) for e in unread) else ReadError
            if len(unread) == 1:
                raise unread[0]
            raise kind(f"none of its {len(unread)} event files could be read: "
                       + "; ".join(f"{os.path.relpath(e.source, path)}: {e.problem}" for e in unread[:2])
                       + (" ..." if len(unread) > 2 else ""), path)
        raise ReadError("event files hold no scalar summaries"
                        + (f" ({len(unread)} not read: {unread[0]})" if unread else ""), path)
    for error in unread:  # an event file of which nothing was read, beside runs that were: said, not dropped
        warn(error.source, "%s: not read", error.problem)
    if empty:  # a run of a sweep whose writer died before its first flush (a 0-byte file): said, not dropped in silence
        warn(path, "passed over %d folder(s) whose event files hold no scalars: %s", len(empty),
             ", ".join(empty[:3]) + (f" and {len(empty) - 3} more" if len(empty) > 3 else ""))
    return runs


def _trainer_axis(scalars: dict, args: dict) -> str | None:
    """``"step"`` for a Transformers Trainer's event file (its TensorBoardCallback's ``args`` text, the
    TrainingArguments, beside its ``train/epoch`` tag): read on the optimizer step, as its trainer_state.json
    is (:mod:`.huggingface`), the fractional epoch kept as ``epoch_frac``; else None. On the epoch axis one run
    read "plateau at epoch 1.5" and no planned end from its event file, "plateau at step 48 (epoch 1.5)" and a
    forecast to step 256 of 256 planned from its checkpoint's state (tests/fixtures/ecosystem/hf_tb_two_axes)."""
    return "step" if args and "train/epoch" in scalars else None


def _read_as_trainer_state(run: Run, args: dict, source, trainer: bool) -> None:
    """What a Trainer's trainer_state.json gives the reading of the same run, from its event file: the training
    loss summed over accumulated batches divided (:func:`_undo_accumulated_sum`) and, on the step axis
    (:func:`_trainer_axis`), the planned end (:func:`_trainer_plan`) and ``meta["framework"]``
    ``"transformers"`` (the rules and actions worded for a Trainer, as for its state). ``trainer``: the event
    file is a Trainer's (:func:`_trainer_axis`)."""
    _undo_accumulated_sum(run, args, source)
    if not trainer or run.axis_name != "step" or "epoch_frac" not in run.series:
        return
    run.meta["framework"] = "transformers"
    plan = _trainer_plan(run, args)
    if plan is not None:
        from .huggingface import plan_end

        plan_end(run, plan)


def _trainer_plan(run: Run, args: dict) -> dict | None:
    """``{"max_steps", "num_train_epochs"}`` as the Trainer's state holds them, from its TrainingArguments: the
    state's ``max_steps`` is the total the Trainer computed, ``max_steps`` where set (> 0), else
    ``ceil(num_train_epochs x the steps an epoch)``, the steps an epoch read off the logged step over the logged
    epoch (the Trainer logs epoch = step / steps an epoch, to 4 decimals); its ``num_train_epochs`` under
    ``max_steps`` is the epochs begun, ``ceil(max_steps / the steps an epoch)``. None where the arguments say
    neither or the logged epochs give no whole steps an epoch."""
    import math

    def number(key):
        v = args.get(key)
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None

    x, e = np.asarray(run.axis, dtype=float), np.asarray(run.series["epoch_frac"], dtype=float)
    ok = np.isfinite(x) & np.isfinite(e) & (e > 0) & (x > 0)
    per = float(np.median(x[ok] / e[ok])) if ok.any() else math.nan
    k = round(per) if math.isfinite(per) else 0
    whole = k >= 1 and abs(per - k) <= 0.01 * k
    steps, epochs = number("max_steps"), number("num_train_epochs")
    if steps is not None and steps > 0:
        return {"max_steps": int(steps), **({"num_train_epochs": math.ceil(steps / k)} if whole else {})}
    if epochs is None or epochs <= 0 or not whole:
        return None
    return {"max_steps": math.ceil(epochs * k), "num_train_epochs": int(epochs) if epochs == int(epochs) else epochs}


def _undo_accumulated_sum(run: Run, args: dict, source) -> None:
    """A Trainer's training loss logged summed over its ``gradient_accumulation_steps`` batches, read divided by
    them as the trainer_state.json of the same run is (:func:`huggingface.divide_summed`, its test and warning).
    ``args``: the TrainingArguments the event file holds (``{}`` where it is no Trainer's). Read as logged, a tiny
    BERT at 4 accumulated batches had validation at a quarter of training, "look for rows shared by both splits"."""
    try:
        k = int(args.get("gradient_accumulation_steps", 1))
    except (TypeError, ValueError, OverflowError):
        # (json.loads reads Infinity and NaN: an "args" text that says no count is read as none, as one unparsed)
        return
    if k >= 2:
        from .huggingface import divide_summed

        divide_summed(run, k, source)


def _trainer_args(text: str | None) -> dict:
    """The TrainingArguments a Trainer's TensorBoardCallback wrote as JSON (``add_text("args", ...)``); ``{}`` where
    there are none or they do not parse (context for the training loss's scale, not the run)."""
    if not text:
        return {}
    import json

    try:
        args = json.loads(text)
    except ValueError:
        return {}
    return args if isinstance(args, dict) else {}


def _mark_catboost(run: Run, folder: Path) -> None:
    """A run from CatBoost's TensorBoard copy of its metrics (``learn/`` and ``test/`` in its ``train_dir``, beside
    ``catboost_training.json``) is a booster's, its points boosting rounds at a fixed learning rate, as its
    ``train_dir`` read whole says (:mod:`.catboost`); read on its own, ``catboost_info/test`` read as a network's
    log ("if the learning rate was decayed to about 0 by the end (none is logged here), try a longer schedule")."""
    from .catboost import TRAINING_JSON

    if (folder / TRAINING_JSON).is_file() or (folder.parent / TRAINING_JSON).is_file():
        run.meta["model"] = "boosted_trees"


def _meta(afters: list[dict], hparams: dict | None = None) -> dict:
    after = {tag: v for a in afters for tag, v in a.items()}
    return {"format": "tensorboard", **({"evaluated_after_training": after} if after else {}),
            **({"hparams": hparams} if hparams else {})}


def _fold_hparams_folders(path: Path, loaded: dict) -> None:
    """torch's ``SummaryWriter.add_hparams(hparams, metrics)`` writes a ``<timestamp>/`` folder inside the run's
    holding the hyperparameters and one point per metric (``hparam/best_val_loss``): the sweep's summary of the
    run, not a run. Read as runs, a 3-run lr sweep was 3 more "too short to diagnose" lines, and the runs had
    no lr to show. Its hyperparameters go to the run beside it (``meta["hparams"]``), its folder is dropped."""
    for d in list(loaded):
        parent, scalars = d.parent, loaded[d]
        if d != path and parent in loaded and scalars.hparams \
                and all(len(steps) <= 1 for steps, _ in scalars.values()):
            loaded[parent].hparams = {**scalars.hparams, **loaded[parent].hparams}
            del loaded[d]


# ---- building the Run (shared with the MLflow and W&B readers) -------------------------------
def column_name(tag: str) -> str:
    """The column name a logged tag stands for: ``'val/loss'`` -> ``'val_loss'``.

    Tries the tag as written, then without Keras' ``epoch_`` prefix, then with the split
    word moved to the front (``'loss/validation'`` -> ``'validation_loss'``), then without a
    leading split word (``'train/learning_rate'`` -> ``'learning_rate'``, ``'eval/acc'`` ->
    ``'val_acc'``), then without a leading namespace (``'ray/tune/val_loss'`` -> ``'val_loss'``).
    Axis counters come back as ``'epoch'``/``'step'``. A tag that maps to nothing known keeps
    its normalised name.
    """
    layer = layer_grad(tag)
    if layer is not None:  # a layer's gradient norm keeps the layer's own spelling: one of a group
        return LAYER_GRAD + layer
    norm = normalise(tag)
    tokens = [t for t in norm.split("_") if t]
    if len(tokens) > 1 and tokens[0] == "epoch":  # Keras: epoch_loss, epoch_learning_rate
        tokens = tokens[1:]
    joined = "_".join(tokens)
    for cand in (norm, joined):
        if canonical(cand) or axis_kind(cand):
            return cand
    if len(tokens) > 1 and tokens[-1] in _SPLIT_TOKENS:
        cand = "_".join([tokens[-1]] + tokens[:-1])
        if canonical(cand):
            return cand
    if len(tokens) > 1 and tokens[0] in _SPLIT_TOKENS:
        rest = "_".join(tokens[1:])
        if axis_kind(rest):
            return axis_kind(rest)
        canon = canonical(rest)
        if canon in ("train_loss", "train_acc"):
            # "eval/acc" is a validation metric, not the training one its bare name means.
            return rest if tokens[0] in ("train", "training") else "val_" + canon[len("train_"):]
        if canon is not None:
            return rest
    # A namespace before the name (Ray Tune's ``ray/tune/val_loss``, ``charts/loss``): whole path parts, or
    # words that leave a split word in front (``run3_val_loss``). Not the words of the name itself: SB3's
    # ``train/value_loss``, ``train/entropy_loss`` and ``train/loss`` all read as one ``loss``.
    parts = [normalise(p) for p in str(tag).split("/")]
    whole = {"_".join(parts[j:]) for j in range(1, len(parts))}
    for i in range(1, len(tokens)):
        rest = "_".join(tokens[i:])
        if canonical(rest) and (rest in whole or tokens[i] in _SPLIT_TOKENS):
            return rest
    return norm


def scalars_to_run(scalars: dict, *, name: str, source: str | None, meta: dict | None = None,
                   axis: str | None = None) -> Run:
    """Build a Run from logged scalars ``{tag: (steps, values)}`` (arrays of shape (n_tag,)).

    The axis is the step, unless an ``epoch`` scalar exists (each step then takes the epoch
    logged at that step, or the last one logged before it) or ``axis="epoch"`` is given (the
    steps already count epochs, as in Keras' ``epoch_*`` tags). Several values of one series
    in one epoch (a training loss logged every 50 steps) are averaged, which is what Keras'
    per-epoch ``loss`` is. A tag logged twice at one step keeps its last value.
    """
    named: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    epoch = None
    for tag, (steps, values) in scalars.items():
        steps = np.asarray(steps, dtype=float)
        values = np.asarray(values, dtype=float)
        col = column_name(tag)
        kind = axis_kind(col)
        if kind == "epoch":
            epoch = epoch or (steps, values)
            continue
        if kind == "step" or is_trainer_timing(tag):  # a Trainer's train/train_runtime, also through MLflow, W&B
            continue
        named.setdefault(col, (steps, values))
    if not named:
        raise ReadError("no scalar series besides the step/epoch counters", source)

    per_epoch = None if epoch is not None or axis is not None else _epoch_counted(named)
    inside = epoch is not None and axis is None and _checked_inside_epochs(named, epoch)
    if inside:
        # Lightning's val_check_interval=0.5: two checks an epoch, each a point on the step axis as metrics.csv of
        # the same fit reads (averaged, epoch 0 read 2.1978, the mean of the checks at steps 10 and 21: a value
        # never logged, and half the checks).
        axis = "step"
        for col in [c for c in named if c.lower().endswith("_step") and c[:-5] + "_epoch" in named]:
            # On steps, Lightning's train_loss_step is the curve (train_loss_epoch, a mean at each epoch's end, is
            # its twin), as the table reader takes it from metrics.csv (lightning.twin_columns).
            means = named.pop(col[:-5] + "_epoch")
            named[col[:-5]] = named.pop(col)
            if canonical(col[:-5]) == "train_loss":
                # (its epoch means kept for the gap's training level, as the table reader keeps them)
                s, v = (np.asarray(a, dtype=float) for a in means)
                ok = np.isfinite(s) & np.isfinite(v)
                meta = {**(meta or {}), "epoch_means": {**(meta or {}).get("epoch_means", {}),
                                                        "train_loss": (s[ok].tolist(), v[ok].tolist())}}
    mapped = None  # {col: (the axis value of each logged value, values)} where the steps are not the axis
    if epoch is not None and axis != "step":
        mapped = _on_epochs(named, epoch)
        data = _average_by_epoch(mapped)
        axis_name = "epoch"
    elif per_epoch is not None:
        mapped = _iterations_to_epochs(named, per_epoch)
        data = _average_by_epoch(mapped)
        axis_name = "epoch"
    else:
        axis_name = axis or "step"
        grid = np.unique(np.concatenate([s for s, _ in named.values()]))
        if inside:
            # Lightning stamps its epoch index at every step it logs, the epoch's last included (where its
            # train_loss_epoch went, taken off above): without those steps an epoch's end is read off the last batch
            # logged before it, and step 37 of 7-step epochs read epoch 5.5 here, 5.429 from metrics.csv's rows.
            grid = np.unique(np.concatenate([grid, _finite_epochs(epoch)[0]]))
        data = {axis_name: grid}
        for col, (steps, values) in named.items():
            full = np.full(grid.shape[0], np.nan)
            full[np.searchsorted(grid, steps)] = values  # later duplicates overwrite earlier ones
            data[col] = full
        if inside or (epoch is not None and axis == "step"):
            data["epoch_frac"] = _epoch_at(grid, *epoch)
    meta = dict(meta or {})
    skipped = _nonfinite_grad_norms(named, mapped, source, unit="epoch" if axis == "epoch" else "step")
    if skipped:
        meta["grad_norm_nonfinite_at"] = skipped
    run = Run.from_history(data, name=name, source=source, axis_name=axis_name, meta=meta)
    _mark_unlogged_tail(run, named)
    return run


def _nonfinite_grad_norms(named: dict, mapped: dict | None, source, unit: str = "step") -> list:
    """The axis values (``mapped``'s, else the steps) at which the ``grad_norm`` series logged inf or NaN, said in
    one warning (:func:`._source.warn_nonfinite_grad_norms`), as the table reader says a CSV's: an epoch's mean
    would hide them, and the rules read a spike on those steps as a skipped update's (``meta["grad_norm_nonfinite_at"]``).
    Every value here was logged (a tracker writes no event, row or metric for a step that logged nothing), NaN too.
    A tag of the loss scale beside it (``scale``, ``loss_scale``) says a GradScaler skipped those steps."""
    col = next((c for c in named if canonical(c) == "grad_norm"), None)
    if col is None:
        return []
    steps, values = (np.asarray(a, dtype=float) for a in named[col])
    bad = np.isfinite(steps) & ~np.isfinite(values)
    if not bad.any():
        return []
    keep = np.isfinite(steps)
    scaler = any(normalise(c) in _source.LOSS_SCALE_COLUMNS or normalise(str(c).split("/")[-1]) in
                 _source.LOSS_SCALE_COLUMNS for c in named)
    _source.warn_nonfinite_grad_norms(source, [float(x) for x in steps[keep]], [float(x) for x in values[keep]],
                                      scaler=scaler, unit=unit)
    at = np.asarray(mapped[col][0], dtype=float)[bad] if mapped is not None else steps[bad]
    return sorted({float(x) for x in at if np.isfinite(x)})


def _finite_epochs(epoch: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The ``epoch`` scalar's (steps, values), in step order, where the value is a number."""
    e_steps, e_values = (np.asarray(a, dtype=float) for a in epoch)
    order = np.argsort(e_steps, kind="stable")
    e_steps, e_values = e_steps[order], e_values[order]
    ok = np.isfinite(e_values) & np.isfinite(e_steps)
    return e_steps[ok], e_values[ok]


def _epoch_at(steps: np.ndarray, e_steps: np.ndarray, e_values: np.ndarray) -> np.ndarray:
    """The epoch logged at (or last before) each of ``steps``; NaN before the first. Shapes (n,) in, (n,) out."""
    e_steps, e_values = _finite_epochs((e_steps, e_values))
    idx = np.searchsorted(e_steps, steps, side="right") - 1
    out = e_values[np.clip(idx, 0, None)] if e_steps.size else np.full(steps.shape, np.nan)
    return np.where(idx >= 0, out, np.nan)


def _checked_inside_epochs(named: dict, epoch: tuple[np.ndarray, np.ndarray]) -> bool:
    """Validation checked several times an epoch, or before its end in at least half the epochs validated
    (Lightning's ``val_check_interval`` < 1, or every N batches): the table reader's test for metrics.csv
    (:func:`lightning.checks_per_epoch`), on the epoch logged at (or last before) each validation step. Epochs counted
    by an index (whole numbers) only: a Trainer's fractional epochs are each their own point already."""
    mapping = map_columns(list(named))
    col = next((c for want in ("val_loss", "val_acc") for c, canon in mapping.items() if canon == want), None)
    e_steps, e_values = _finite_epochs(epoch)
    if col is None or e_steps.shape[0] < 2 or np.any(e_values != np.round(e_values)):
        return False
    if col in _epoch_indexed(named, e_steps, e_values):  # (validation logged at step=epoch: once an epoch)
        return False
    steps, values = named[col]
    steps = steps[np.isfinite(values) & np.isfinite(steps)]
    batch = np.setdiff1d(np.concatenate([s[np.isfinite(s)] for s, _ in named.values()]), e_steps)
    if not steps.size or epoch_stamped_at_end(e_steps, e_values, batch):
        return False
    at = _epoch_at(steps, e_steps, e_values)
    ok = np.isfinite(at)
    if not ok.any():
        return False
    from .lightning import checks_per_epoch

    per_epoch, inside = checks_per_epoch(at[ok], steps[ok], e_values, e_steps)
    return per_epoch >= 2 or inside


def _mark_unlogged_tail(run: Run, named: dict) -> None:
    """A series whose last record is a number, NaN after it in the Run: steps it was not logged at (validation
    stopped, other tags went on), not a loss turned NaN; ``meta["logged_until"]`` as the table reader keeps it."""
    mapping, seen = map_columns(list(named)), set()
    for col, (steps, values) in named.items():
        if mapping.get(col) in seen:  # the Run kept the first tag of that name
            continue
        seen.add(mapping.get(col))
        v = run.series.get(mapping.get(col))
        if v is None or not values.size or not np.isfinite(values[np.argsort(steps, kind="stable")[-1]]):
            continue
        held = np.flatnonzero(np.isfinite(v))
        if held.size and held[-1] < v.shape[0] - 1:
            run.meta.setdefault("logged_until", {})[mapping[col]] = float(run.axis[held[-1]])


def _on_epochs(named: dict, epoch: tuple[np.ndarray, np.ndarray]) -> dict:
    """``{col: (the epoch of each value, values)}``: each value on the epoch logged at (or last before) its step.

    A series already logged against the epoch (``log_metric("val_loss", v, step=epoch)`` in a loop that
    logs its batch loss and an ``epoch`` metric at the global step) keeps its steps as epochs
    (:func:`_epoch_indexed`): read on the global step, 80 epochs of validation were put into the first 8
    and the run read as turned NaN at epoch 8."""
    e_steps, e_values = epoch
    order = np.argsort(e_steps, kind="stable")
    e_steps, e_values = e_steps[order], e_values[order]
    ok = np.isfinite(e_values)
    e_steps, e_values = e_steps[ok], e_values[ok]
    own = _epoch_indexed(named, e_steps, e_values)
    # W&B's wandb.log({"val/loss": v, "epoch": e}) once the epoch's batch rows, each its own step, are logged:
    # a batch belongs to the epoch logged next (the latest one before it is the epoch before), as in its
    # history CSV (lightning.epoch_stamped_at_end). Lightning and MLflow loggers log the epoch on every batch row.
    others = [s[np.isfinite(s)] for c, (s, _) in named.items() if c not in own]
    batch_steps = np.setdiff1d(np.concatenate(others), e_steps) if others else np.empty(0)
    at_end = epoch_stamped_at_end(e_steps, e_values, batch_steps)
    mapped = {}
    for col, (steps, values) in named.items():
        if col in own:
            mapped[col] = (steps, values)
            continue
        if at_end:
            idx = np.searchsorted(e_steps, steps, side="left")
        else:
            idx = np.searchsorted(e_steps, steps, side="right") - 1
        idx = np.clip(idx, 0, len(e_steps) - 1)  # a value before the first epoch tag (after the last) joins it
        mapped[col] = (e_values[idx], values)
    return mapped


def _epoch_indexed(named: dict, e_steps: np.ndarray, e_values: np.ndarray) -> set[str]:
    """The series whose steps count epochs although the ``epoch`` scalar is logged at the global step.

    Such a series is on consecutive integers from 0 or 1 that end at the last logged epoch (or one past
    it), at most a third of the way along the ``epoch`` scalar's steps; with one step per epoch the two
    axes agree and nothing is set apart."""
    if e_steps.shape[0] < 3 or not np.isfinite(e_values).any():
        return set()
    first, last, far = float(np.nanmin(e_values)), float(np.nanmax(e_values)), float(e_steps[-1])
    found = set()
    for col, (steps, _) in named.items():
        s = np.unique(steps[np.isfinite(steps)])
        if s.shape[0] < 3 or s[-1] * 3 > far or not np.all(np.diff(s) == 1):
            continue
        if s[0] in (first, first + 1) and s[-1] in (last, last + 1):
            found.add(col)
    return found


def _epoch_counted(named: dict) -> np.ndarray | None:
    """The epochs, when the losses were logged per epoch and other tags per iteration.

    A loop that calls ``add_scalar("Loss/val", v, epoch)`` but ``add_scalar("lr", v,
    global_step)`` (Ignite's handlers do the same) writes two step units into one file; on one
    grid the epoch series stop at step 60 of 600 and read as a run that turned NaN. The epoch
    series are recognised as the ones on consecutive integers from 0 or 1 that end at most a
    third of the way along the others; they must hold a loss or an accuracy. Returns their
    axis, or None.
    """
    ends = {col: float(np.nanmax(steps)) for col, (steps, _) in named.items() if np.isfinite(steps).any()}
    if len(ends) < 2:
        return None
    longest = max(ends.values())
    short = [c for c, e in ends.items() if e * 3 <= longest]
    if not short or len(short) == len(ends) or not any(canonical(c) in LOSS_SERIES + ACCURACY_FALLBACK for c in short):
        return None
    epochs = np.unique(np.concatenate([named[c][0] for c in short]))
    if epochs.shape[0] < 3 or epochs[0] not in (0.0, 1.0) or not np.all(np.diff(epochs) == 1):
        return None
    return epochs


def _iterations_to_epochs(named: dict, epochs: np.ndarray) -> dict:
    """``{col: (epoch of each value, values)}``: iteration steps spread evenly over the epochs."""
    top = float(epochs[-1])
    mapped = {}
    for col, (steps, values) in named.items():
        if float(np.nanmax(steps)) <= top:
            mapped[col] = (steps, values)
            continue
        lo, hi = float(np.nanmin(steps)), float(np.nanmax(steps))
        per_epoch = (hi - lo + 1) / epochs.shape[0]
        k = np.clip(np.floor((steps - lo) / per_epoch), 0, epochs.shape[0] - 1).astype(int)
        mapped[col] = (epochs[k], values)
    return mapped


def _average_by_epoch(mapped: dict) -> dict:
    """``{col: (epochs, values)}`` -> one row per epoch, several values of an epoch averaged."""
    grid = np.unique(np.concatenate([e for e, _ in mapped.values()]))
    data = {"epoch": grid}
    for col, (epochs, values) in mapped.items():
        pos = np.searchsorted(grid, epochs)
        finite = np.isfinite(values)
        total = np.bincount(pos[finite], weights=values[finite], minlength=grid.shape[0])
        count = np.bincount(pos[finite], minlength=grid.shape[0])
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / count
        # An epoch whose only values are NaN/inf keeps the non-finite value (divergence evidence).
        bad = (count == 0) & np.isin(np.arange(grid.shape[0]), pos[~finite])
        mean[bad] = np.inf
        data[col] = mean
    return data


# ---- files and directories --------------------------------------------------------------
def _require_tensorboard(path):
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        raise MissingExtraError("reading TensorBoard logs needs the tensorboard package: "
                                    "pip install 'losslens[tensorboard]'", path) from None


def _load_scalars(path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{tag: (steps, values)}`` for every scalar tag in an event file or a directory's event files."""
    try:
        log = EventLog.read(path)
    except Exception as exc:  # corrupt records, unreadable files
        raise ReadError(f"not a readable TensorBoard event file ({type(exc).__name__}: "
                        f"{str(exc).splitlines()[0] if str(exc) else 'no detail'})", path) from None
    # A half-written last record, or bad records read past: said, one warning a file, with what was left out.
    unread, damaged = [], {file: (size, stretches) for file, size, stretches in log.damaged}
    scalars = log.scalars if damaged else {}
    for file, pos, size, why in log.stopped:
        if pos == 0 or file not in damaged:  # (at byte 0: not one whole record, the file's error)
            damaged.pop(file, None)
            error = _warn_unread_tail(file, pos, size, why, alone=os.path.isfile(path))
            if error is not None:
                unread.append(error)
        else:
            warn(file, "%s", _damage_note(*damaged.pop(file), scalars, cut=size - pos if why == "cut" else None))
    for file, (size, stretches) in damaged.items():
        warn(file, "%s", _damage_note(size, stretches, scalars))
    events, closing = _closing_evaluations(path, log.scalars)
    out = Scalars()
    out.unread = unread
    out.hparams = _hparams(log.content.get("hparams", {}).get("_hparams_/session_start_info"))
    out.trainer_args = _trainer_args(log.texts.get("args"))
    restarts = []
    for tag, (kept, after) in _split_after_training(events, closing).items():
        kept, restart = _without_orphans(kept)
        if restart is not None:
            restarts.append(restart)
        out[tag] = (kept.step.astype(float), kept.value)
        if len(after):
            out.after[tag] = float(after.value[-1])
    if restarts:
        (last, first, _), gone = min(restarts), sum(r[2] for r in restarts)
        warn(path, "the steps start again at %d after step %d (a second writer into this folder: the script run "
             "again, or resumed from a checkpoint): read as TensorBoard drops a restart's orphans, the later points "
             "replacing the earlier ones from step %d on (%d points left out)", first, last, first, gone)
    return out


def _hparams(content: bytes | None) -> dict:
    """The hyperparameters the hparams plugin's ``session_start_info`` holds (``add_hparams``, Lightning's
    ``log_hyperparams``): numbers, strings, booleans by name; {} where there are none or they do not parse."""
    if content is None:
        return {}
    try:
        from tensorboard.plugins.hparams import plugin_data_pb2

        info = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    except Exception:  # plugin data this version of tensorboard does not parse: context, not the run
        return {}
    out = {}
    # By name: a protobuf map keeps no order, and upb's differs from one process to the next, so diagnose --json's
    # settings (and the sweep table's columns) listed lr and momentum either way round on the same file.
    for name, value in sorted(info.hparams.items()):
        kind = value.WhichOneof("kind")
        if kind in ("number_value", "string_value", "bool_value"):
            out[name] = getattr(value, kind)
    return out


def _without_orphans(events: Points) -> tuple[Points, tuple | None]:
    """``(events, (last step, step it went back to, points dropped) or None)``: one tag's events, in the
    order written, with those a later writer's restart orphaned dropped.

    ``SummaryWriter("runs/exp")`` run twice writes a second event file into the same folder, its steps
    from 0 again; a job resumed from a checkpoint, from that checkpoint's step. Read by step, the two
    interleave: a rerun killed at step 12 of a 40-step first try read as one 40-step run, its steps 12-39
    the first try's. A step lower than the one before drops the earlier points at or past it, as
    TensorBoard's ``purge_orphaned_data`` does for the event files it reads by step alone."""
    if not (np.diff(events.step) < 0).any():
        return events, None
    steps, out, restart = events.step.tolist(), [], None  # (out: the indices kept)
    for i, step in enumerate(steps):
        if out and step < steps[out[-1]]:
            kept = [j for j in out if steps[j] < step]
            if restart is None:
                restart = (steps[out[-1]], step, 0)
            restart = restart[:2] + (restart[2] + len(out) - len(kept),)
            out = kept
        out.append(i)
    return events.take(np.array(out, dtype=int)), restart


class NotAnEventFile(ReadError):
    """An event file whose first record fails its CRC check (random bytes, another format named ``*tfevents*``,
    or damage at byte 0) or that is gzip-compressed: not one point of it can be read."""


def _warn_unread_tail(file: str, pos: int, size: int, why: str, alone: bool = False) -> ReadError | None:
    """One warning for a file read up to its last record, cut off at ``pos``. Where ``pos`` is 0 (``why``: "cut"
    off, or "crc": not one record in the file passes its CRC), the error instead: raised where the file read is that
    one (a warning, then 'no scalars', is two lines), else returned for the caller to say."""
    from ._source import GZIP_MAGIC

    if pos == 0:
        with open(file, "rb") as fh:
            head = fh.read(4)
        if head.startswith(GZIP_MAGIC):
            error = NotAnEventFile("a gzip-compressed event file: decompress it first (gunzip)", file)
        elif why == "crc":
            error = NotAnEventFile("not a TensorBoard event file (or corrupt at byte 0: its first record fails its "
                                   "CRC check)", file)
        else:  # (a writer that has not flushed its first record yet, or a file cut short)
            error = ReadError("not a readable TensorBoard event file: its first record is cut off", file)
        if alone:
            raise error
        return error
    # (a record failing its CRC after one read is in log.damaged: _damage_note says it)
    warn(file, "the last record was cut off mid-write (%d bytes at the end): left out", size - pos)
    return None


def _damage_note(size: int, stretches: list, scalars: dict, cut: int | None = None) -> str:
    """One line for a file read past records failing their CRC check: where, the bytes skipped, the events lost
    (the records the bytes skipped held, where their lengths say; else at least those whose headers are left, or
    the scalar points missing across them where more) and the steps of the scalars' lost points; the bytes not
    read where nothing whole came after the last; a cut-off last record."""
    read_on = [s for s in stretches if s.resumed is not None]
    if len(stretches) == 1:
        head = f"corrupt record at byte {stretches[0].at} (fails its CRC check)"
    else:
        head = (f"{len(stretches)} corrupt records (fail their CRC check) at bytes "
                + ", ".join(str(s.at) for s in stretches[:4]) + (" ..." if len(stretches) > 4 else ""))
    parts = []
    if read_on:
        skipped = sum(s.resumed - s.at for s in read_on)
        lost, where, exact = 0, {}, True
        for s in read_on:
            points = {tag: n for tag, n in ((tag, lost_points(p, s)) for tag, p in scalars.items()) if n}
            seen = sum(n for n, _, _ in points.values())
            lost += s.records if s.exact else max(s.records, seen)
            exact &= s.exact
            for tag, (_, first, last) in points.items():
                where.setdefault(tag, []).append(str(first) if first == last else f"{first}-{last}")
        resumed = ", ".join(str(s.resumed) for s in read_on[:4]) + (" ..." if len(read_on) > 4 else "")
        said = [f"{tag} step{'s' if len(w) > 1 or '-' in w[0] else ''} {', '.join(w[:4])}"
                + (" ..." if len(w) > 4 else "") for tag, w in list(where.items())[:4]]
        share = round(100 * skipped / size)
        parts.append(f"{skipped} bytes skipped ({f'{share}%' if share else 'under 1%'} of the file), read on from the "
                     f"next whole record (byte {resumed}): {'' if exact else 'at least '}{lost} "
                     f"event{'s' if lost != 1 else ''} lost"
                     + (f" ({'; '.join(said)}{'; ...' if len(where) > 4 else ''})" if said else ""))
    last = stretches[-1]
    if last.resumed is None:
        tail = size - last.at
        parts.append(f"the {tail} bytes from {'there' if len(stretches) == 1 else f'byte {last.at}'} "
                     f"({round(100 * tail / size)}% of the file) hold no whole record and were not read")
    if cut is not None:
        parts.append(f"the last record was cut off mid-write ({cut} bytes at the end): left out")
    return f"{head}: " + "; ".join(parts)


class Scalars(dict):
    """``{tag: (steps, values)}``, with ``after``: ``{tag: value}`` logged after training ended."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.after: dict[str, float] = {}
        self.hparams: dict[str, object] = {}  # add_hparams' (a Lightning TensorBoardLogger's) settings
        self.unread: list[ReadError] = []  # the event files not one record of which was read, each its error
        self.trainer_args: dict[str, object] = {}  # a Transformers Trainer's TrainingArguments ("args" text)


def _closing_evaluations(path, events: dict) -> tuple[dict, dict]:
    """``(events without them, {tag: events})`` of closing ``validate()``/``test()`` files.

    Lightning's ``trainer.validate(model)`` (and ``test``) after ``fit`` opens a new event file in
    the same version folder holding one point per validation tag (and ``epoch``), one step past
    the last: read as the curve it is a flat last epoch that can hide a rise. The last event files
    of a folder (never its first), each holding at most one point per tag and only
    validation/test tags, are those; a file with no scalars among them is passed over. (A file of more than :data:`_CLOSING_MAX_BYTES` holds more
    than that: it is not read a second time to find out.)
    """
    files = sorted(f for f in os.listdir(path) if is_event_file(f)) if os.path.isdir(path) else []
    out, closing = dict(events), {}
    for name in reversed(files[1:]):
        file = os.path.join(str(path), name)
        if os.path.getsize(file) > _CLOSING_MAX_BYTES:
            break
        try:
            late = EventLog.read(file).scalars
        except Exception:
            break
        values = [t for t in late if normalise(t) != "epoch"]
        if not late:
            continue  # no scalars (a writer that logged nothing, a stray file): neither curve nor evaluation
        if not values or any(len(ev) > 1 for ev in late.values()) \
                or not all(is_validation(column_name(t)) for t in values):
            break
        for tag, ev in late.items():
            if tag in out:
                curve = out[tag]
                if len(ev):  # one point: the same point in the folder's reading is not the curve's
                    out[tag] = curve.take(~((curve.wall_time == ev.wall_time[0]) & (curve.step == ev.step[0])))
                if tag in values:
                    closing[tag] = ev + closing.get(tag, Points())
    return out, closing


#: One scalar event takes ~50-100 bytes: a file of one point per tag stays far below this.
_CLOSING_MAX_BYTES = 64 * 1024


def _split_after_training(events: dict, closing: dict | None = None) -> dict:
    """``{tag: (events on the curve, events after training)}``.

    A Trainer's ``train(); evaluate()`` logs the closing evaluation -- of the restored best
    model, with ``load_best_model_at_end=True`` -- at the last training step, after the run's
    summary (``train/train_runtime``): averaged into the last epoch it halved an overfitting
    run's final rise. Validation events written after that summary, at no later step, are not the curve.
    ``closing``: points already known to come after training (:func:`_closing_evaluations`), added
    to their tag's.
    """
    closing = closing or {}
    # With include_num_input_tokens_seen every training row logs train_runtime (and train_tokens_per_second):
    # only the summary's train_samples_per_second marks the end then; in a run still going there is none.
    per_row = any(normalise(tag).endswith("train_tokens_per_second") for tag in events)
    ends = ("train_samples_per_second",) if per_row else ("train_runtime",)
    summary = next((ev for tag, ev in events.items() if normalise(tag).endswith(ends) and len(ev)), None)
    if summary is None:
        return {tag: (ev, closing.get(tag, Points())) for tag, ev in events.items()}
    end_time, end_step = summary.wall_time[-1], summary.step[-1]
    out = {}
    for tag, ev in events.items():
        late = (ev.wall_time > end_time) & (ev.step <= end_step) & is_validation(column_name(tag))
        out[tag] = (ev.take(~late), ev.take(late) + closing.get(tag, Points()))
    return out


def _event_dirs(path: Path):
    for dirpath, _dirnames, filenames in os.walk(path):
        if any(is_event_file(f) for f in filenames):
            yield Path(dirpath)


def _group_runs(path: Path, loaded: dict) -> dict[Path, list[tuple[str | None, Path]]]:
    """``{run root: [(sub-directory name or None, directory), ...]}``.

    ``loaded`` maps each directory holding event files to its scalars. A directory is a run,
    unless it is a split (``train``, ``validation`` ...) or an ``add_scalars`` child (its
    parent has event files too, and its only tags are a prefix of its name: ``Loss`` in
    ``Loss_train``): then it joins its parent.
    """
    groups: dict[Path, list[tuple[str | None, Path]]] = {}
    for d in loaded:
        parent = d.parent
        child_of_add_scalars = parent in loaded and _add_scalars_child(d, loaded[d])
        if d != path and (d.name.lower() in SPLITS or child_of_add_scalars):
            groups.setdefault(parent, []).append((d.name, d))
        elif d == path and _add_scalars_child(d, loaded[d], alone=True):
            # Loss_val/ read alone: its folder still names the series (tag "Loss" is the validation loss).
            groups.setdefault(d, []).insert(0, (d.name, d))
        else:
            groups.setdefault(d, []).insert(0, (None, d))
    return groups


def _add_scalars_child(d: Path, scalars, alone: bool = False) -> bool:
    """``d`` is a folder ``add_scalars("Loss", {"val": ...})`` wrote: its only tags are a prefix of its
    name (``Loss`` in ``Loss_val``). Read ``alone`` (not found under its parent), its parent must hold
    the writer's own event file too: ``runs/loss_test/`` logging ``loss`` is a run named so."""
    if not scalars or not all(normalise(d.name).startswith(normalise(tag) + "_") for tag in scalars):
        return False
    if alone:
        try:
            return any(is_event_file(f.name) for f in d.parent.iterdir() if f.is_file())
        except OSError:
            return False
    return True


def _merge_parts(parts) -> tuple[dict, str | None]:
    """One run's scalars from its parts ``[(split sub-directory or None, {tag: (steps, values)})]``
    and its axis (:func:`_keras_axis`); an epoch run leaves Keras' iteration-axis tags out."""
    axis = _keras_axis([tag for _, tags in parts for tag in tags])
    scalars: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for sub, tags in parts:
        if axis == "epoch":
            tags = _drop_keras_iteration_tags(tags)
        for tag, series in tags.items():
            scalars.setdefault(_sub_column(sub, tag), series)
    return scalars, axis


def _keras_axis(tags) -> str | None:
    """``"epoch"`` when the tags are Keras' ``epoch_*`` (logged with step = epoch), else None.

    Keras' per-batch (``batch_*``, ``update_freq="batch"``) and per-iteration validation
    (``evaluation_*_vs_iterations``, Keras 3) summaries are on the iteration axis beside them:
    :func:`_drop_keras_iteration_tags` leaves them out of an epoch run.
    """
    tags = [normalise(t) for t in tags]
    epoch = [t for t in tags if t.startswith("epoch_")]
    return "epoch" if epoch and all(t.startswith("epoch_") or _keras_iteration_tag(t) for t in tags) else None


def _keras_iteration_tag(tag: str) -> bool:
    tag = normalise(tag)
    return tag.startswith("batch_") or (tag.startswith("evaluation_") and tag.endswith("_vs_iterations"))


def _drop_keras_iteration_tags(scalars: dict) -> dict:
    """Keras' iteration-axis summaries out of an epoch run: on one grid with the epoch series, a
    training loss that stops at epoch 11 while the grid goes on to iteration 390 reads as a run
    that turned NaN (it did, on a real Keras 3 log, before this)."""
    return {tag: v for tag, v in scalars.items() if not _keras_iteration_tag(tag)}


def _sub_column(sub: str | None, tag: str) -> str:
    """Name a sub-directory's tag: ``('validation', 'epoch_loss')`` -> ``'validation_loss'``.

    ``add_scalars("Loss", {"val": x})`` writes tag ``Loss`` into ``Loss_val``: the
    directory name is already the column.
    """
    if sub is None:
        return tag
    if normalise(sub).startswith(normalise(tag)):
        return sub
    split = SPLITS.get(sub.lower(), sub)
    metric = normalise(tag)
    if metric.startswith("epoch_"):
        metric = metric[len("epoch_"):]
    elif metric.startswith("batch_"):  # Keras update_freq="batch": not an epoch series
        return f"{split}_{metric}"
    if metric.startswith("evaluation_") and metric.endswith("_vs_iterations"):
        return f"{split}_{metric}"  # Keras' per-iteration evaluation summary: keep apart
    if metric in ("learning_rate", "lr"):
        return metric if split == "train" else f"{split}_{metric}"
    return f"{split}_{metric}"
