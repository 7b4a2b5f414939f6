"""Hugging Face ``Trainer`` state: ``trainer_state.json`` (in the output dir and each checkpoint).

``log_history`` interleaves three kinds of rows, each with ``step`` and a fractional ``epoch``::

    {"epoch": 0.04, "grad_norm": 3.1, "learning_rate": 4.9e-05, "loss": 0.69, "step": 10}
    {"epoch": 1.0, "eval_loss": 0.41, "eval_accuracy": 0.83, "eval_runtime": 2.1, "step": 250}
    {"epoch": 3.0, "step": 750, "train_loss": 0.35, "train_runtime": 81.0, "total_flos": ...}

The axis is the step. ``loss`` -> ``train_loss``, ``eval_loss`` -> ``val_loss``,
``learning_rate`` -> ``lr``, ``eval_accuracy`` -> ``val_acc``; the epoch is kept as the series
``epoch_frac``. The closing summary row's ``train_loss`` is the mean over the whole run, not
a point on the curve: it goes to ``meta["train_loss_mean"]``. Timing columns
(``*_runtime``, ``*_per_second``, ``total_flos``) are left out. A training loss that Transformers
logged summed over ``k`` accumulated batches is read divided by ``k``, with a warning
(``meta["train_loss_divided_by"]``). The planned end, ``max_steps``, is kept as ``meta["planned_end"]``:
without a horizon asked, a checkpoint of a run under way is forecast to it.

What names the problem is in the model's ``config.json``, which ``save_model()`` and every checkpoint write beside
the state: its head (``architectures``: ``BertForSequenceClassification``), ``problem_type``, the labels
(``id2label``) and a run script's ``finetuning_task``. Those, with the state's own ``train_batch_size``,
``num_train_epochs`` and a hyperparameter search's ``trial_params``, go to ``meta["trainer_settings"]`` (JSON
only), so that a folder of a classifier's and a regression's runs is not ranked as one sweep
(:func:`losslens.result.setup_of`). ``training_args.bin``, a pickle, is never unpickled: its
``label_smoothing_factor`` alone is read off its opcodes (:func:`training_args_beside`) into
``meta["label_smoothing"]``, the floor a smoothed loss cannot go under.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Mapping

import numpy as np

from ..columns import is_trainer_timing
from ..exceptions import ReadError
from ..run import Run
from . import _source, records, table

_META_KEYS = ("global_step", "max_steps", "num_train_epochs", "logging_steps", "eval_steps",
              "save_steps", "train_batch_size", "best_metric", "best_model_checkpoint",
              "best_global_step")


def is_trainer_state(obj) -> bool:
    return isinstance(obj, dict) and "log_history" in obj


def is_summary(keys: tuple) -> bool:
    """The closing summary row (``train_runtime``, a mean ``train_loss``). With ``include_num_input_tokens_seen``
    every training row carries ``train_runtime`` too (Transformers 5.x), beside its ``loss``."""
    return "train_runtime" in keys and "loss" not in keys


def lost_to_cut(obj: dict) -> str:
    """What a ``trainer_state.json`` cut off mid-write lost, for the cut's warning ("" where nothing is known lost).
    Transformers writes the state's keys sorted: ``global_step`` comes before ``log_history``, so it survives a cut
    inside the history and says how far the run had logged; ``max_steps``, ``num_train_epochs`` and
    ``stateful_callbacks`` come after it, so the planned end and an early stop are lost with the cut. A cut state read
    as the run itself: the digits BERT of tests/fixtures/ecosystem/hf_cut_state, cut after 5 of its 12 evaluations,
    said only "the 164 characters after it left out" of 133 steps lost."""
    steps = [r["step"] for r in obj.get("log_history") or () if isinstance(r, dict)
             and isinstance(r.get("step"), (int, float)) and not isinstance(r.get("step"), bool)]
    end = obj.get("global_step")
    said = f"its log_history ends at step {max(steps):g} of the {end:g} the state was saved at (global_step): the " \
        "later records were lost" if steps and isinstance(end, (int, float)) and not isinstance(end, bool) \
        and end > max(steps) else ""
    gone = [k for k in ("max_steps", "num_train_epochs", "stateful_callbacks") if k not in obj]
    if gone:
        keys = ", ".join(gone[:-1]) + (" and " if len(gone) > 1 else "") + gone[-1]
        said += (", and with them " if said else "") + f"{keys}, written after log_history (no planned end" \
            f"{', no early stop' if 'stateful_callbacks' in gone else ''} read)"
    return said


def split_after_training(rows: list) -> tuple[list, list[dict], dict | None]:
    """``(rows of the curve, evaluations run after training, the closing summary row or None)``.

    ``trainer.train(); trainer.evaluate()`` logs the evaluation after the closing summary row
    (``train_runtime``, among the last rows: a resumed run may add a few after it), at the last
    step; with ``load_best_model_at_end=True`` it evaluates the restored best model, so on the
    curve the validation loss of an overfitting run would end back at its minimum. Rows after
    the summary that log no training loss, at no later step, are such evaluations: kept apart
    (``Run.meta["evaluated_after_training"]``).
    """
    end = next((i for i in range(len(rows) - 1, max(len(rows) - 11, -1), -1)
                if isinstance(rows[i], dict) and is_summary(tuple(rows[i]))), None)
    if end is None:
        return rows, [], None
    last = rows[end].get("step")
    tail = rows[end + 1:]
    late = [isinstance(r, dict) and "loss" not in r and (last is None or r.get("step") is None or r["step"] <= last)
            for r in tail]
    if not any(late):
        return rows, [], rows[end]
    kept = rows[:end + 1] + [r for r, x in zip(tail, late) if not x]
    return kept, [{k: v for k, v in r.items() if not is_trainer_timing(k)} for r, x in zip(tail, late) if x], rows[end]


def read_trainer_state(obj: dict, *, name: str, source: str, columns: Mapping[str, str] | None = None,
                       run_column=None, run_id=None, metric=None) -> list[Run]:
    """Runs (one) from a parsed ``trainer_state.json``."""
    log = obj.get("log_history")
    if not isinstance(log, list):
        raise ReadError("trainer_state.json whose log_history is not a list", source)
    if obj.get("global_step") == 0 and not obj.get("max_steps") and \
            not any(isinstance(r, dict) and "loss" in r for r in log):
        # trainer.evaluate(); trainer.save_state() without train(): the state of an untrained model
        # (max_steps 0), whose one eval row is no curve.
        raise ReadError("trainer_state.json of an evaluation alone (global_step 0, no training logged: "
                        "evaluate() without train()): no curve to diagnose", source)
    log, after, summary = split_after_training(log)
    cols = records.to_columns(log, drop=is_trainer_timing, skip=is_summary, source=source)
    step = cols.get("step")
    if not log or (step is not None and np.isnan(step).all() and len(cols) == 1):
        raise ReadError("trainer_state.json with an empty log_history (nothing logged yet: "
                        "logging_steps larger than the steps run?)", source)
    if step is None or np.isnan(step).all():
        raise ReadError("trainer_state.json whose log_history has no step values", source)
    _refuse_disorder(cols, source)
    _nonfinite_grad_norms(log, source)
    meta = {k: obj[k] for k in _META_KEYS if isinstance(obj.get(k), (int, float, str))}
    if summary is not None:
        meta["train_loss_mean"] = summary.get("train_loss")
        meta["train_runtime_s"] = summary.get("train_runtime")
    if after:
        meta["evaluated_after_training"] = after
    settings = {k: obj[k] for k in ("train_batch_size", "num_train_epochs")
                if isinstance(obj.get(k), (int, float)) and not isinstance(obj.get(k), bool)}
    if isinstance(obj.get("trial_params"), dict) and obj["trial_params"]:
        settings["trial_params"] = dict(obj["trial_params"])
    if settings:
        meta["trainer_settings"] = settings
    chosen = _best_eval_set(obj, cols)
    if chosen and not columns:
        meta["validation_set_why"] = chosen.pop("why")
        columns = chosen
    runs = table.to_runs(cols, name=name, source=source, fmt="hf_trainer_state", columns=columns,
                         run_column=run_column, run_id=run_id, metric=metric, axis="step", meta=meta)
    stopped = _early_stopped(obj)
    for run in runs:
        _undo_accumulated_sum(run, obj, summary, source)
        plan_end(run, obj, source)
        if stopped:
            run.meta["early_stopped"] = stopped
            # The same stop in the key the Lightning callback writes (integrations.lightning._early_stopped), which
            # the diagnosis and the forecast read: a run the callback ended is not forecast to the max_steps it was
            # never going on to, nor told to train on.
            run.meta["stopped_early"] = _stop_record(obj, stopped)
        n = training_examples(obj, summary)
        if n is not None:
            run.meta.setdefault("train_examples", n[0])
            run.meta.setdefault("train_examples_from", n[1])
    return runs


def _control(obj: dict) -> tuple[dict, dict | None]:
    """(TrainerControl's args, EarlyStoppingCallback's state) from ``stateful_callbacks`` (Transformers >= 4.40), or
    ({}, None)."""
    sc = obj.get("stateful_callbacks")
    if not isinstance(sc, dict):
        return {}, None
    ctl = sc.get("TrainerControl")
    args = ctl.get("args") if isinstance(ctl, dict) else None
    es = sc.get("EarlyStoppingCallback")
    return (args if isinstance(args, dict) else {}), (es if isinstance(es, dict) else None)


def _early_stopped(obj: dict) -> dict | None:
    """``{"patience": p, "step": global_step, "max_steps": m}`` where the Trainer's EarlyStoppingCallback ended the
    run: the state says ``should_training_stop`` with the callback's counter at its patience (evaluations without
    improvement), before ``max_steps``; else None."""
    args, es = _control(obj)
    if es is None or args.get("should_training_stop") is not True:
        return None
    patience = (es.get("args") or {}).get("early_stopping_patience")
    counter = (es.get("attributes") or {}).get("early_stopping_patience_counter")
    step, end = obj.get("global_step"), obj.get("max_steps")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (patience, counter, step)) \
            or counter < patience or (isinstance(end, int) and step >= end):
        return None
    return {"patience": patience, "step": step, "max_steps": end if isinstance(end, int) else None, "counter": counter}


def _stop_record(obj: dict, stopped: dict) -> dict:
    """``meta["stopped_early"]`` of a run the EarlyStoppingCallback ended (:func:`_early_stopped`), in the fields the
    Lightning callback records (``by``, ``monitor``, ``patience``, ``wait_count``, ``best_score``, ``epochs_run``,
    ``epochs``: here steps, the run's axis), with the Trainer's best checkpoint (``best_model_checkpoint``,
    ``best_global_step``) where it saved one. The state does not name ``metric_for_best_model``: the monitor is the
    evaluation column that holds ``best_metric`` at ``best_global_step``, else None."""
    best, at = obj.get("best_metric"), obj.get("best_global_step")
    number = isinstance(best, (int, float)) and not isinstance(best, bool) and math.isfinite(best)
    monitor = None
    if number:
        for row in obj.get("log_history") or ():
            if isinstance(row, dict) and (at is None or row.get("step") == at):
                monitor = next((k for k, v in row.items() if k.startswith("eval_") and v == best), None)
                if monitor:
                    break
    checkpoint = obj.get("best_model_checkpoint")
    return {"by": "EarlyStoppingCallback", "monitor": monitor, "patience": stopped["patience"],
            "wait_count": stopped["counter"], "best_score": float(best) if number else None,
            "epochs_run": stopped["step"], "epochs": stopped["max_steps"],
            "checkpoint": str(checkpoint).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
            if isinstance(checkpoint, str) and checkpoint else None,
            "best_step": at if isinstance(at, int) and not isinstance(at, bool) else None}


def stopped_early(obj: dict) -> dict | None:
    """``meta["stopped_early"]`` (:func:`_stop_record`) of a trainer state, a ``trainer_state.json`` read or the live
    ``TrainerState``'s fields (``stateful_callbacks``, ``global_step``, ``max_steps``, ``best_*``, ``log_history``),
    where its EarlyStoppingCallback ended the run (:func:`_early_stopped`); else None."""
    stopped = _early_stopped(obj)
    return None if stopped is None else _stop_record(obj, stopped)


def checkpoint_alone(state: Path, obj: dict, source: str) -> None:
    """A warning where ``state`` is a ``checkpoint-N/trainer_state.json`` saved mid-run (``should_training_stop``
    false, ``global_step`` short of ``max_steps``) with no ``trainer_state.json`` in the output folder above it: its
    history ends at N, and the evaluations after it are not there to read. ``save_total_limit=1`` with
    ``load_best_model_at_end=True`` keeps the best checkpoint and deletes the later ones: a run evaluated 6 times,
    best at step 24, left checkpoint-24 (3 evaluations) and read "converged".  ``trainer.save_state()`` after
    ``train()`` writes the whole run's."""
    if not re.match(r"^checkpoint-\d+$", state.parent.name) or (state.parent.parent / "trainer_state.json").exists():
        return
    args, _ = _control(obj)
    step, end = obj.get("global_step"), obj.get("max_steps")
    if args.get("should_training_stop") is True or not isinstance(step, int) or not isinstance(end, int) \
            or step >= end:
        return
    said = " (should_training_stop false)" if args.get("should_training_stop") is False else ""
    _source.warn(source, "a checkpoint's history, saved mid-run at step %d of %d%s, and no final trainer_state.json "
                 "in %s: what the run logged after step %d is not in it (save_total_limit deletes later checkpoints; "
                 "trainer.save_state() after train() writes the whole run's)",
                 step, end, said, state.parent.parent.name or ".", step)


def _nonfinite_grad_norms(log: list, source) -> None:
    """:func:`._source.warn_nonfinite_grad_norms` on the rows of ``log_history`` that logged a ``grad_norm``."""
    rows = [r for r in log if isinstance(r, dict) and isinstance(r.get("grad_norm"), (int, float))
            and not isinstance(r.get("grad_norm"), bool)]
    _source.warn_nonfinite_grad_norms(source, [r.get("step") for r in rows], [r["grad_norm"] for r in rows])


def training_examples(obj: dict, summary: dict | None) -> tuple[int, str] | None:
    """``(examples, how)``: the training set's size (examples) as the state shows it, else None.

    trainer_state.json does not store it, but its closing summary row does in effect: the Trainer's
    ``train_samples_per_second / train_steps_per_second`` is the examples of one optimizer step
    (``num_train_samples / max_steps``: under ``num_train_epochs`` the set's size times the epochs over the steps,
    so the set's size over the steps per epoch; under ``max_steps`` the batch times the accumulated batches), and
    ``global_step / epoch`` the steps per epoch. Their product is the set's size under ``num_train_epochs`` and at
    most one batch per epoch above it under ``max_steps`` (the last batch may be short). None without the summary
    row (a checkpoint mid-run: ``train_batch_size`` alone misses accumulated batches) or where either ratio is no
    positive number."""
    try:
        per_step = float(summary["train_samples_per_second"]) / float(summary["train_steps_per_second"])
        per_epoch = float(obj["global_step"]) / float(obj["epoch"])
    except (TypeError, KeyError, ValueError, ZeroDivisionError):
        return None
    n = per_step * per_epoch
    if not (np.isfinite(n) and n >= 1):
        return None
    return int(round(n)), f"trainer_state.json: {per_epoch:.4g} steps an epoch x {per_step:.3g} examples a step"


#: What a model's config.json says of the problem it was built for (the rest is its size and shape: another width
#: of one model is the same problem).
_MODEL_KEYS = ("architectures", "model_type", "problem_type", "finetuning_task")
_MAX_CONFIG_BYTES = 1 << 22  # a model's config.json is a few KiB; a label map of 20,000 classes is under 1 MiB


def model_config_beside(state: Path) -> tuple[str, dict, dict | None] | None:
    """``(path, settings, dropout)`` from the model's ``config.json`` beside ``state`` (a ``trainer_state.json``), else
    in the latest ``checkpoint-N/`` of its folder (``save_state()`` without ``save_model()``): ``architectures``
    (joined), ``model_type``, ``problem_type``, ``finetuning_task`` where set, and ``num_labels`` as Transformers
    reads it: the length of ``id2label``, two where a classification head saved none (its default); ``dropout`` the
    config's largest dropout rate (:func:`_dropout`), None where it names none. None where there is no such file or
    it is no JSON object (a config is context, not the run: passed over in silence)."""
    def candidates():
        yield state.parent / "config.json"
        # (The folder is listed only where save_model() left no config.json beside the state.)
        checkpoints = [(int(m.group(1)), d) for d in _subfolders(state.parent)
                       if (m := re.match(r"^checkpoint-(\d+)$", d.name))]
        yield from (d / "config.json" for _, d in sorted(checkpoints, reverse=True))

    for f in candidates():
        try:
            if not f.is_file() or f.stat().st_size > _MAX_CONFIG_BYTES:
                continue
            cfg = records.loads(f.read_text(encoding="utf-8", errors="replace"))
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(cfg, dict) or not isinstance(cfg.get("model_type"), str):
            return None  # (another library's config.json)
        out: dict = {}
        for key in _MODEL_KEYS:
            value = cfg.get(key)
            if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                out[key] = ", ".join(value)
            elif isinstance(value, str) and value:
                out[key] = value
        labels = cfg.get("id2label")
        if isinstance(labels, dict) and labels:
            out["num_labels"] = len(labels)
        elif isinstance(cfg.get("num_labels"), int) and not isinstance(cfg.get("num_labels"), bool):
            out["num_labels"] = cfg["num_labels"]
        elif "problem_type" in out or "Classification" in out.get("architectures", ""):
            out["num_labels"] = 2  # (Transformers 5 leaves its default two labels out of the file)
        return str(f), out, _dropout(cfg, f.name)
    return None


def _dropout(cfg: dict, where: str) -> dict | None:
    """``{"name", "value", "where"}`` of the largest dropout rate a model's config names
    (``facts.regularization.DROPOUT_NAMES``: ``hidden_dropout_prob``, ``resid_pdrop``, ``dropout`` ...), as
    ``meta["dropout"]`` keeps it; None where it names none. Kept apart from the settings that name the problem
    (another dropout is the same problem: a sweep's runs are not told apart by it)."""
    from ..facts.regularization import DROPOUT_NAMES, as_rate

    found = [(rate, k) for k in DROPOUT_NAMES if (rate := as_rate(cfg.get(k))) is not None]
    if not found:
        return None
    rate, name = max(found)
    return {"name": name, "value": rate, "where": where}


def head_classes(settings: Mapping) -> int | None:
    """K, the classes of a single-label classifier's head, from :func:`model_config_beside`'s settings: its
    ``num_labels`` where ``problem_type`` is ``single_label_classification`` (its loss a cross-entropy over K, ln K
    untrained), or, where the config names no problem type, the architecture is a ``...ForSequenceClassification``
    with at least two labels (one is regression). None for anything else: ``multi_label_classification`` (a
    sigmoid per label, no ln K), ``regression``, a language model, a token classifier."""
    k = settings.get("num_labels")
    if not isinstance(k, int) or isinstance(k, bool) or k < 2:
        return None
    problem = settings.get("problem_type")
    if problem == "single_label_classification":
        return k
    if problem is None and any(a.strip().endswith("ForSequenceClassification")
                               for a in str(settings.get("architectures", "")).split(",")):
        return k
    return None


def _subfolders(folder: Path) -> list[Path]:
    try:
        return [d for d in folder.iterdir() if d.is_dir()]
    except OSError:
        return []


_MAX_ARGS_BYTES = 1 << 20  # training_args.bin is a few KiB


def _pickled_fields(data: bytes, keys: tuple) -> dict:
    """The values of ``keys`` in a pickled dataclass's fields (``training_args.bin``), read off the opcodes
    (``pickletools.genops``) without unpickling: nothing in the file is run or imported. A field's name is pushed as
    a string and its value next (after a memo write, skipped); only numbers, booleans and strings are kept."""
    import pickletools

    out: dict = {}
    try:
        ops = list(pickletools.genops(data))
    except Exception:  # (a pickle cut off or another format: its settings are context, passed over in silence)
        return out
    for i, (op, arg, _) in enumerate(ops):
        if not isinstance(arg, str) or arg not in keys or arg in out or "UNICODE" not in op.name:
            continue
        j = i + 1
        while j < len(ops) and ops[j][0].name in ("BINPUT", "LONG_BINPUT", "MEMOIZE", "PUT"):
            j += 1
        if j >= len(ops):
            continue
        name, value = ops[j][0].name, ops[j][1]
        if name in ("NEWTRUE", "NEWFALSE"):
            out[arg] = name == "NEWTRUE"
        elif name in ("BINFLOAT", "FLOAT", "BININT", "BININT1", "BININT2", "INT", "LONG1") and \
                isinstance(value, (int, float)) and not isinstance(value, bool):
            out[arg] = value
        elif "UNICODE" in name and isinstance(value, str):
            out[arg] = value
    return out


def training_args_beside(state: Path, keys: tuple = ("label_smoothing_factor",)) -> tuple[str, dict] | None:
    """``(path, {key: value})`` of ``keys`` in the ``training_args.bin`` beside ``state`` (``save_model()`` writes
    it), else in the latest ``checkpoint-N/`` of its folder (each checkpoint holds one): the ``TrainingArguments``
    ``torch.save`` pickled, read by :func:`_pickled_fields` (never unpickled). None where there is none or it holds
    none of them. Its ``label_smoothing_factor`` is what the logged losses are smoothed by, the Trainer's
    eval_loss too: a floor above 0 (:func:`losslens.facts.chance.smoothed_floor`)."""
    import zipfile

    def candidates():
        yield state.parent / "training_args.bin"
        checkpoints = [(int(m.group(1)), d) for d in _subfolders(state.parent)
                       if (m := re.match(r"^checkpoint-(\d+)$", d.name))]
        yield from (d / "training_args.bin" for _, d in sorted(checkpoints, reverse=True))

    for f in candidates():
        try:
            if not f.is_file() or f.stat().st_size > _MAX_ARGS_BYTES:
                continue
            raw = f.read_bytes()
            if zipfile.is_zipfile(f):
                with zipfile.ZipFile(f) as z:
                    name = next((n for n in z.namelist() if n.endswith("data.pkl")), None)
                    if name is None:
                        return None
                    raw = z.read(name)
        except (OSError, zipfile.BadZipFile, ValueError):
            return None
        found = _pickled_fields(raw, keys)
        return (str(f), found) if found else None
    return None


def with_model_config(state: Path, runs: list[Run]) -> None:
    """Add :func:`model_config_beside`'s settings to each of ``runs`` (read from ``state``) in
    ``meta["trainer_settings"]``, and where they came from in ``meta["trainer_settings_from"]`` (``config.json``,
    else ``trainer_state.json`` where the model's config was not found). The model's settings are not read as a
    learning rate or weight decay (``facts.regularization``): its config holds neither; its dropout rate goes to
    ``meta["dropout"]``."""
    found = model_config_beside(state)
    k = None if found is None else head_classes(found[1])
    for run in runs:
        if run.meta.get("format") != "hf_trainer_state":
            continue
        if found is not None:
            run.meta["trainer_settings"] = {**found[1], **(run.meta.get("trainer_settings") or {})}
            if found[2] is not None:
                run.meta["dropout"] = found[2]
        if k is not None and run.meta.get("classes") is None:
            # (as the Keras and Lightning callbacks read K off the model's head: ln K, a uniform guess's loss, is
            # the one level the rules read against; a tiny BERT sat at eval_loss 0.6931 = ln 2 for 4 of 6
            # evaluations with its config.json saying two labels, and K was null)
            run.meta["classes"] = k
        if run.meta.get("trainer_settings"):
            run.meta["trainer_settings_from"] = "trainer_state.json" if found is None else "config.json"
    args = training_args_beside(state)
    eps = None if args is None else args[1].get("label_smoothing_factor")
    if isinstance(eps, float) and 0 < eps < 1:
        for run in runs:
            if run.meta.get("format") == "hf_trainer_state" and run.meta.get("label_smoothing") is None:
                run.meta["label_smoothing"] = {"value": eps, "where": Path(args[0]).name}


def _refuse_disorder(cols: Mapping[str, np.ndarray], source: str) -> None:
    """A ``log_history`` whose step goes back, or that logs one curve (a loss, an accuracy, the lr ...) twice at one
    step over different values, raises, naming the records: the Trainer appends a row per logging event at its
    global step, which only grows (a resumed run goes on from its checkpoint's history), so neither comes from it
    (a hand-merged or damaged file). Read on, the later value silently replaced the earlier one, the
    rows written again over an earlier stretch replaced it. A row written twice alike is read once."""
    from .delimited import is_curve_name

    step = cols["step"]
    rows = np.flatnonzero(np.isfinite(step))
    back = np.flatnonzero(np.diff(step[rows]) < 0)
    if back.size:
        i, j = rows[back[0]], rows[back[0] + 1]
        raise ReadError(f"log_history goes back from step {step[i]:g} (record {i + 1}) to step {step[j]:g} (record "
                        f"{j + 1}): the Trainer's steps only grow (a hand-merged or damaged trainer_state.json?)",
                        source)
    for key, values in cols.items():
        if key == "step" or values.dtype.kind != "f" or not is_curve_name(key):
            continue
        at = rows[np.isfinite(values[rows])]
        twice = np.flatnonzero((np.diff(step[at]) == 0) & (np.diff(values[at]) != 0))
        if twice.size:
            i, j = at[twice[0]], at[twice[0] + 1]
            raise ReadError(f"log_history logs {key} twice at step {step[i]:g}, over different values ({values[i]:.6g} "
                            f"in record {i + 1}, {values[j]:.6g} in record {j + 1}): which one the Trainer logged is "
                            "unknown (a hand-merged or damaged trainer_state.json?)", source)


def _best_eval_set(obj: dict, cols: Mapping[str, np.ndarray]) -> dict:
    """``{"val_loss": "eval_b_loss", "val_acc": "eval_b_accuracy", "why": ...}`` for a Trainer given several
    eval sets (``eval_dataset={"a": ..., "b": ...}``) and a ``metric_for_best_model``: the set whose column holds
    the state's ``best_metric`` is the one the user chose the model on. ``trainer_state.json`` keeps the value,
    not the name (that is in ``training_args.bin``, a pickle, not read); ``{}`` where no one set holds it."""
    best = obj.get("best_metric")
    sets = {m.group(1): c for c in cols for m in [re.match(r"^eval_(.+)_loss$", c)] if m}
    if not isinstance(best, (int, float)) or isinstance(best, bool) or len(sets) < 2:
        return {}
    held = {g for g in sets for c, v in cols.items()
            if c.startswith(f"eval_{g}_") and not any(c.startswith(f"eval_{o}_") for o in sets if len(o) > len(g))
            and np.any(v == best)}
    if len(held) != 1:
        return {}
    [g] = held
    picked = {"val_loss": sets[g]}
    acc = next((c for c in (f"eval_{g}_accuracy", f"eval_{g}_acc") if c in cols), None)
    if acc:
        picked["val_acc"] = acc
    picked["why"] = f"the set metric_for_best_model names (the Trainer's best_metric, {best:.4g}, is one of its values)"
    return picked


def trainer_log(run: Run) -> str | None:
    """Which of a Transformers Trainer's own logs on its optimizer steps ``run`` is: ``"state"``, its
    ``trainer_state.json``, or ``"events"``, its TensorBoard event file, which the reader puts on the same steps
    (:func:`.tensorboard._read_as_trainer_state`); else None. The rules that read a Trainer's records
    (``diagnosis._trainer_steps``) and the folder that keeps the state's facts with its event file's reading
    (``directory._state_beside_events``) ask this one question."""
    meta = run.meta or {}
    if meta.get("format") == "hf_trainer_state":
        return "state"
    if meta.get("format") == "tensorboard" and meta.get("framework") == "transformers" and run.axis_name == "step":
        return "events"
    return None


def plan_end(run: Run, obj: dict, source=None) -> None:
    """The Trainer's planned end in ``run.meta["planned_end"]`` (``planned_end_from`` says which key):
    ``max_steps`` on the step axis (the total the Trainer computed before its first step, whatever set it:
    ``max_steps``, or ``num_train_epochs`` times the steps per epoch), ``num_train_epochs`` on an epoch
    axis. A checkpoint saved mid-run (``checkpoint-500/trainer_state.json`` of 1000 steps) holds the
    same plan as the finished run's state. A value there that is no positive number (text, NaN, an edited
    file) is said in a warning: the forecast then goes to twice the logged length."""
    key = "max_steps" if run.axis_name == "step" else "num_train_epochs"
    end = obj.get(key)
    if isinstance(end, (int, float)) and not isinstance(end, bool) and np.isfinite(end) and end > 0:
        run.meta["planned_end"] = float(end)
        run.meta["planned_end_from"] = key if key != "max_steps" else _step_plan(run, obj, float(end))
    elif end is not None and source is not None:
        _source.warn(source, "%s is %r, not a positive number: the planned end is unknown, the forecast goes to "
                     "twice the logged length", key, end)


def _step_plan(run: Run, obj: dict, end: float) -> str:
    """How the reports name a Trainer's planned end on steps. ``max_steps`` in trainer_state.json is the Trainer's
    own total, filled whether the user gave ``max_steps`` or only ``num_train_epochs`` (a run given 8 epochs read
    "the planned end (max_steps)", a setting never made), and which of the two was set is in ``training_args.bin``,
    a pickle losslens never loads. So the plan is said as what it is: "8 epochs of 10 steps" where the state's
    ``num_train_epochs`` times the steps per epoch its logged epochs show is that end, else "step 75"."""
    n = obj.get("num_train_epochs")
    e = run.series.get("epoch_frac")
    if e is not None and isinstance(n, (int, float)) and not isinstance(n, bool) and np.isfinite(n) and n > 0:
        x, e = np.asarray(run.axis, dtype=float), np.asarray(e, dtype=float)
        ok = np.isfinite(x) & np.isfinite(e) & (e > 0) & (x > 0)
        if ok.any():
            per = float(np.median(x[ok] / e[ok]))  # (the epoch is logged to 4 decimals: steps per epoch near whole)
            k = round(per)
            if k >= 1 and abs(per - k) <= 0.01 * k and float(n) * k == end:
                return f"{n:g} epoch{'' if n == 1 else 's'} of {k} steps"
    return f"step {end:g}"


def _accumulated_batches(obj: dict, summary: dict | None) -> int | None:
    """Batches per optimizer step (``gradient_accumulation_steps`` x devices), which trainer_state.json
    does not store: the closing row's samples per second over its steps per second is the samples of one
    optimizer step, ``train_batch_size`` those of one batch. None when that is not a whole number >= 2."""
    try:
        samples = float(summary["train_samples_per_second"]) / float(summary["train_steps_per_second"])
        ratio = samples / float(obj["train_batch_size"])
    except (TypeError, KeyError, ValueError, ZeroDivisionError):
        return None
    k = round(ratio) if np.isfinite(ratio) else 0
    # (the rates are rounded to 3 decimals: a slow run's ratio is only roughly whole)
    return k if k >= 2 and abs(ratio - k) <= 0.1 * k else None


def summed_over(ratio: float, k: int) -> bool:
    """A training loss logged at ``ratio`` times the eval loss, ``k`` batches accumulated per optimizer step, reads
    as Transformers' sum of the ``k`` batches' mean losses: ``ratio`` within 0.75k to 1.33k (a correctly logged loss
    tracks the eval loss while the model learns, about 1x). Shared by this reader and the live callback
    (integrations/transformers.py), so both divide the same runs."""
    return 0.75 * k <= ratio <= 1.33 * k


def _undo_accumulated_sum(run: Run, obj: dict, summary: dict | None, source: str) -> None:
    """Divide a training loss logged ``k`` times too high by ``k``.

    Transformers 5.x (seen in 5.24) skips dividing each accumulated batch's loss by
    ``gradient_accumulation_steps`` when the model's ``forward`` takes ``**kwargs`` (it expects the
    model to normalise by ``num_items_in_batch``); a model that ignores it (BertForSequenceClassification's
    mean cross-entropy) then logs the sum of the ``k`` batches' mean losses: ln 2 = 0.69 at the start is
    logged as 2.77, and the generalization gap reads as validation far below training. A model that does
    divide by ``num_items_in_batch`` (a causal LM's loss) logs right with the same ``k``, so ``k`` alone does
    not say which: said only when the logged loss sits at ``k`` times the evaluation loss up to the best
    evaluation (at least its first 3 points), with ``k`` batches per optimizer step. Before validation's best
    the two losses of a correctly logged run track each other; after it a memorising model's training loss
    falls away from validation (an overfitting run summed over 2 batches: 1.9x up to the best, 1.3x over
    the whole run)."""
    divide_summed(run, _accumulated_batches(obj, summary), source)


def divide_summed(run: Run, k: int | None, source) -> None:
    """:func:`_undo_accumulated_sum`'s test and division for ``k`` batches accumulated per optimizer step, however
    ``k`` was learnt (trainer_state.json's rates; the TrainingArguments a TensorBoard event file holds)."""
    if k is None or k < 2 or not (run.has("train_loss") and run.has("val_loss")):
        return
    xt, train = run.finite("train_loss")
    xv, val = run.finite("val_loss")
    inside = (xt >= xv[0]) & (xt <= xv[-1])
    if inside.sum() < 3 or len(xv) < 2:
        return
    xt, train = xt[inside], train[inside]
    learning = xt <= max(float(xv[int(np.argmin(val))]), float(xt[2]))
    ratio = float(np.median(train[learning] / np.interp(xt[learning], xv, val)))
    if not summed_over(ratio, k):
        return
    run.series["train_loss"] = run.series["train_loss"] / k
    if isinstance(run.meta.get("train_loss_mean"), (int, float)):
        run.meta["train_loss_mean"] /= k
    run.meta["train_loss_divided_by"] = k
    _source.warn(source, "the training loss was logged %dx too high (%.1fx the eval loss, %d accumulated batches "
                 "per step: Transformers summed their losses, and its gradients were %dx too): read divided by %d",
                 k, ratio, k, k, k)
