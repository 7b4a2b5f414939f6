"""Learning-rate schedules a log states rather than logs: the rate still to come.

A reader that finds the schedule written down beside the log (Ultralytics' ``args.yaml``:
:mod:`losslens.readers.ultralytics`) keeps it in ``Run.meta["lr_schedule"]`` as :func:`stated` builds it;
the diagnosis reads it with :func:`lr_factor`, knowing nothing of the framework that wrote it.

The formulas are Ultralytics' ``LambdaLR`` factors ``lf`` (``ultralytics/engine/trainer.py``), ``e`` the
0-based epoch, ``E`` the planned epochs and ``lrf`` the final ratio::

    linear:  lf(e) = (1 - e / E) (1 - lrf) + lrf
    cosine:  lf(e) = 1 - (1 - lrf) (1 - cos(pi e / E)) / 2

the row of 0-based epoch ``e`` logging the rate ``lr0 lf(e)`` (a warm-up of ``warmup`` epochs comes first
and is not in ``lf``).
"""

from __future__ import annotations

import numpy as np

from .exceptions import UsageError

SHAPES = ("linear", "cosine")


def stated(shape: str, end: float, final_ratio: float, *, offset: float = 0.0, warmup: float = 0.0,
           source: str) -> dict:
    """A stated schedule, as ``Run.meta["lr_schedule"]`` holds it.

    Parameters
    ----------
    shape : ``"linear"`` or ``"cosine"``
        The decay from the initial rate to ``final_ratio`` of it.
    end : float
        The planned last epoch, in the run's own epoch numbering.
    final_ratio : float in [0, 1]
        The rate at the planned end over the initial rate (Ultralytics' ``lrf``).
    offset : float
        The run's number for its first epoch (0 or 1): epoch ``x`` of the log is 0-based epoch ``x - offset``.
    warmup : float
        Warm-up epochs before the decay (not part of :func:`lr_factor`).
    source : str
        Where the schedule is stated, quoted in reports (``"args.yaml (cos_lr to lrf=0.01 at epochs=50)"``).
    """
    if shape not in SHAPES:
        raise UsageError(f"shape must be one of {SHAPES}, got {shape!r}")
    return {"shape": shape, "end": end, "final_ratio": final_ratio, "offset": offset, "warmup": warmup,
            "from": source}


def lr_factor(schedule: dict, epoch) -> np.ndarray:
    """The stated factor of the initial rate at the run's epoch numbers ``epoch`` (array of shape (n,), or a
    scalar), warm-up not included: an array of the same shape, 1 at the first epoch, falling to ``final_ratio``
    by the planned end and staying there past it."""
    e = np.asarray(epoch, dtype=float) - float(schedule.get("offset", 0.0))
    n = float(schedule["end"]) - float(schedule.get("offset", 0.0)) + 1.0  # epochs
    lrf = float(schedule["final_ratio"])
    if schedule["shape"] == "cosine":
        return 1.0 - (1.0 - lrf) * (1.0 - np.cos(np.pi * np.clip(e, 0, n) / n)) / 2.0
    return np.maximum(1.0 - e / n, 0.0) * (1.0 - lrf) + lrf
