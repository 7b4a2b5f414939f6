"""OpenMMLab's MMEngine logs: ``vis_data/scalars.json`` (and its twin ``vis_data/<timestamp>.json``).

MMEngine's ``LocalVisBackend`` writes JSON Lines. Training rows carry ``iter`` and ``step``
(the global iteration) and, under an epoch-based loop, ``epoch``::

    {"lr": 0.001, "data_time": 0.004, "loss": 2.2266, "time": 0.143, "epoch": 1, "iter": 5, "step": 5}

Validation rows carry neither ``iter`` nor ``epoch``; their ``step`` is the epoch (``LoggerHook``'s
default ``log_metric_by_epoch=True``: 0 throughout under an iteration-based loop) or, with
``log_metric_by_epoch=False``, the iteration; and their keys clash with training's (a validation
``loss``)::

    {"accuracy/top1": 73.78, "loss": 1.8508, "data_time": 0.001, "time": 0.024, "step": 1}

So validation keys are renamed ``val_<key>`` and both kinds of row are put on one axis: the
epoch (training values of an epoch averaged, as Keras reports an epoch's loss) when training
rows say their epoch, else the iteration -- for a validation row whose step is behind the training
rows before it (the epoch counter), the last iteration written before it. Timing and memory
columns are left out.

The runner also prints the same rows into ``<work_dir>/<timestamp>/<timestamp>.log`` (four decimals)::

    ... - mmengine - INFO - Epoch(train)  [3][ 5/10]  lr: 1.0000e-03  eta: 0:00:51  time: 0.1370  data_time: 0.0031  loss: 0.9260
    ... - mmengine - INFO - Epoch(val)  [3][ 5/25]    eta: 0:00:00  time: 0.0132  data_time: 0.0014
    ... - mmengine - INFO - Epoch(val) [3][25/25]    accuracy/top1: 79.9247  loss: 1.2485  data_time: 0.0015  time: 0.0074

:func:`log_rows` turns those lines into the rows ``scalars.json`` holds, so a log without its
``vis_data/`` reads as the same curve. Validation prints a line per few batches before the epoch's
metrics; only the last line of each validation run is its row, as only it is written to
``scalars.json``. Under an iteration-based loop (``Iter(train) [ 50/1000]``, ``Iter(val) [8/8]``) a
validation line does not say its iteration: it is the last training iteration printed before it.
``Epoch(test)`` / ``Iter(test)`` lines (``runner.test()``) are no point of the training curve.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from ..exceptions import ReadError
from .console import collect, fold

_TIMING = ("data_time", "time", "memory", "eta")


def is_scalars(rows: list[dict]) -> bool:
    """MMEngine's rows: training rows with ``iter``, ``step`` and ``data_time``, and validation
    rows with ``step`` and ``data_time`` but no ``iter``."""
    head = rows[:2000]
    train = any("iter" in r and "step" in r and "data_time" in r for r in head)
    val = any("step" in r and "data_time" in r and "iter" not in r and "epoch" not in r for r in rows)
    return train and val


def columns(rows: list[dict], source: str | None = None) -> dict[str, np.ndarray]:
    """``{axis: ..., name: ...}`` with one entry per epoch (or per logged iteration). With ``source``
    (``scalars.json`` as read), a damaged record raises (:func:`refuse_damaged`)."""
    if source is not None:
        refuse_damaged(rows, source)
    by_epoch = all("epoch" in r for r in rows if "iter" in r)
    axis = "epoch" if by_epoch else "step"
    sums: dict[float, dict[str, list[float]]] = {}
    trained = 0
    seen = None
    for r in rows:
        if "iter" in r:
            if seen is not None and r.get("step") == seen.get("step") and _same_curves(r, seen):
                continue  # (written twice alike: once in its epoch's mean, :func:`_refuse_rewritten`)
            seen = r
            x, prefix = r["epoch"] if by_epoch else r["step"], ""
            trained = x
        elif "step" in r:
            # Under an iteration-based loop a validation step of 0 is the epoch counter, not the iteration.
            x, prefix = r["step"] if by_epoch else max(r["step"], trained), "val_"
        else:
            continue
        collect(sums, float(x), {prefix + key: float(value) for key, value in r.items()
                              if key not in ("epoch", "iter", "step") and key not in _TIMING
                              and (isinstance(value, (int, float)) and not isinstance(value, bool)
                                   or isinstance(value, str) and _number(value) is not None)})
    return fold(sums, axis)


def _shown(v) -> str:
    return f"{v:.6g}" if isinstance(v, float) else repr(v)


def _same_curves(a: dict, b: dict) -> bool:
    """Two records alike but for their timings (a record written again carries the same values)."""
    return {k: v for k, v in a.items() if k not in _TIMING} == {k: v for k, v in b.items() if k not in _TIMING}


def refuse_damaged(rows: list[dict], source: str) -> None:
    """A record of ``scalars.json`` that cannot be what the runner wrote raises, naming it: a word, true/false
    or list among a curve's numbers (:func:`.records.refuse_stray_strings`); a training record (``iter``)
    without the ``epoch`` the others carry, or without its ``step``, or a record with an ``epoch`` but no
    ``iter`` (validation records carry neither), cut short or edited. Read on, the first put the whole file
    on the iteration axis, the others read training values as a validation point at an iteration's count."""
    from . import records

    for key in dict.fromkeys(k for r in rows for k in r):
        records.refuse_stray_strings(key, [r.get(key) for r in rows], source)
    by_epoch = any("iter" in r and "epoch" in r for r in rows)
    for i, r in enumerate(rows, 1):
        if "iter" in r:
            missing = [k for k in (("epoch", "step") if by_epoch else ("step",)) if k not in r]
            if missing:
                raise ReadError(f"training record {i} has no {' or '.join(missing)}, where the others do (a "
                                "record cut short or edited?)", source)
        elif "epoch" in r:
            raise ReadError(f"record {i} has an epoch but no iter: neither a training record nor a validation "
                            "one (a record cut short or edited?)", source)
        bad = next((k for k in ("epoch", "iter", "step") if k in r and _number(r[k]) is None), None)
        if bad is not None:
            raise ReadError(f"record {i}: {bad} is {r[bad]!r}, not a number", source)
    _refuse_rewritten(rows, source)


def _refuse_rewritten(rows: list[dict], source: str) -> None:
    """A training record whose ``step`` (the global iteration) is not past the training record before it raises,
    naming both: the runner writes each logged iteration once, in order, and a resumed run writes a new
    ``<timestamp>/vis_data/`` of its own, so no file it wrote holds one twice. Written again over another loss (a
    hand-merged or damaged file), it was averaged into its epoch, a mean of two runs' values with no word said; a
    step that goes back is two runs' files joined. A record written again alike, every value the same, is read once
    (:func:`columns` drops it): nothing is lost either way."""
    last: tuple[int, dict] | None = None
    for i, r in enumerate(rows, 1):
        if "iter" not in r:
            continue
        if last is not None:
            j, prev = last
            step, before = _number(r["step"]), _number(prev["step"])
            if step < before:
                raise ReadError(f"training record {i} goes back to step {step:g} from step {before:g} (record {j}): "
                                "the runner writes each iteration once, in order, and a resumed run into a folder of "
                                "its own (two runs' files joined? read each run's vis_data/scalars.json)", source)
            if step == before and not _same_curves(r, prev):
                k = next(k for k in dict.fromkeys([*prev, *r]) if k not in _TIMING and prev.get(k) != r.get(k))
                raise ReadError(f"records {j} and {i} are one training record written twice (step {step:g}) over "
                                f"different values of {k} ({_shown(prev.get(k))} and {_shown(r.get(k))}): which one "
                                "was logged is unknown (a damaged or hand-merged file?)", source)
        last = i, r


def _number(value) -> float | None:
    """A finite number, or a number written as a string ("3"), as float; else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        x = float(value)
    except (ValueError, OverflowError):
        return None
    return x if math.isfinite(x) else None


_LOG_HEADER = re.compile(r"\b(Epoch|Iter)\((train|val|test)\)\s*\[\s*(\d+)\s*(?:/\s*\d+\s*)?\]"
                         r"(?:\s*\[\s*\d+\s*/\s*\d+\s*\])?")
_LOG_TRAIN = re.compile(r"\b(?:Epoch|Iter)\(train\)\s*\[[^\n]*?[\w/]: [-+]?[\d.]")
_LOG_ITEM = re.compile(r"(?<!\S)([A-Za-z_][\w./-]*): (\S+)")


def is_log(text: str) -> bool:
    """What an MMEngine runner printed: an ``Epoch(train) [e][i/n]`` or ``Iter(train) [i/n]`` line
    with values."""
    return _LOG_TRAIN.search(text[:2_000_000]) is not None


def log_rows(text: str) -> list[dict]:
    """The printed log as ``scalars.json``'s rows: training rows with ``iter`` (and ``epoch``),
    validation rows with only ``step``."""
    rows: list[dict] = []
    val: dict | None = None
    n_train = 0
    for line in text.splitlines():
        m = _LOG_HEADER.search(line)
        if m is None:
            continue
        kind, mode, number = m.group(1), m.group(2), int(m.group(3))
        values = {}
        for key, value in _LOG_ITEM.findall(line[m.end():]):
            try:
                values[key] = float(value)
            except ValueError:  # eta: 0:00:56
                continue
        if mode == "val":
            # Epoch(val) [3][...] says its epoch; Iter(val) [8/8] counts validation batches, so its
            # step is left to columns(): the last training iteration before it.
            val = dict(values, step=number if kind == "Epoch" else 0)
            continue
        if val is not None:
            rows.append(val)
            val = None
        if mode == "train":
            n_train += 1
            rows.append(dict(values, epoch=number, iter=n_train, step=n_train) if kind == "Epoch"
                        else dict(values, iter=number, step=number))
    if val is not None:
        rows.append(val)
    return rows


def printed_twice(files: list[Path]) -> set[Path]:
    """The runner's ``<timestamp>.log`` files whose ``vis_data/scalars.json`` is among ``files``:
    the same run, which ``scalars.json`` holds at full precision."""
    have = set(files)
    return {f for f in files if f.suffix == ".log"
            and (f.parent / "vis_data" / "scalars.json" in have or f.parent / "vis_data" / f"{f.stem}.json" in have)}
