"""OpenMMLab's MMEngine logs: ``vis_data/scalars.json`` (and its twin ``vis_data/<timestamp>.json``).

MMEngine's ``LocalVisBackend`` writes JSON Lines. Training rows carry ``iter`` and ``step``
(the global iteration) and, under an epoch-based loop, ``epoch``::

    {"lr": 0.001, "data_time": 0.004, "loss": 2.2266, "time": 0.143, "epoch": 1, "iter": 5, "step": 5}

Validation rows carry neither ``iter`` nor ``epoch``; their ``step`` is the epoch under an
epoch-based loop and the iteration under an iteration-based one, and their keys clash with
training's (a validation ``loss``)::

    {"accuracy/top1": 73.78, "loss": 1.8508, "data_time": 0.001, "time": 0.024, "step": 1}

So validation keys are renamed ``val_<key>`` and both kinds of row are put on one axis: the
epoch (training values of an epoch averaged, as Keras reports an epoch's loss) when training
rows say their epoch, else the iteration. Timing and memory columns are left out.
"""

from __future__ import annotations

import numpy as np

from .console import collect, fold

_TIMING = ("data_time", "time", "memory", "eta")


def is_scalars(rows: list[dict]) -> bool:
    """MMEngine's rows: training rows with ``iter``, ``step`` and ``data_time``, and validation
    rows with ``step`` and ``data_time`` but no ``iter``."""
    head = rows[:2000]
    train = any("iter" in r and "step" in r and "data_time" in r for r in head)
    val = any("step" in r and "data_time" in r and "iter" not in r and "epoch" not in r for r in rows)
    return train and val


def columns(rows: list[dict]) -> dict[str, np.ndarray]:
    """``{axis: ..., name: ...}`` with one entry per epoch (or per logged iteration)."""
    by_epoch = all("epoch" in r for r in rows if "iter" in r)
    axis = "epoch" if by_epoch else "step"
    sums: dict[float, dict[str, list[float]]] = {}
    for r in rows:
        if "iter" in r:
            x, prefix = r["epoch"] if by_epoch else r["step"], ""
        elif "step" in r:
            x, prefix = r["step"], "val_"
        else:
            continue
        collect(sums, float(x), {prefix + key: float(value) for key, value in r.items()
                              if key not in ("epoch", "iter", "step") and key not in _TIMING
                              and isinstance(value, (int, float)) and not isinstance(value, bool)})
    return fold(sums, axis)
