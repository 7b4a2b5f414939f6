"""The training arguments Ultralytics saves beside ``results.csv``: ``args.yaml``.

Ultralytics' trainer writes ``args.yaml`` (every ``model.train()`` argument: ``epochs``, ``patience``,
``lr0``, ``lrf``, ``cos_lr``, ``warmup_epochs`` ...) into the run folder, next to ``results.csv``. Two
things in it are the run's own and not in the table:

* **The planned end.** ``epochs`` is how far the run was to go; a run early-stopped by ``patience``, killed,
  or read while training stops short of it. ``Run.meta["planned_end"]`` is that end in the CSV's own epoch
  numbering: Ultralytics 8.0 numbers the rows from 0 (the last of ``epochs=100`` is 99), later versions from 1
  (the last is 100), so the first row's number says which. ``meta["planned_end_from"]``:
  ``"args.yaml epochs=100"``. A ``time`` budget (hours) overrides ``epochs`` in the trainer, so a run
  with one states no planned end.
* **The lr schedule.** The trainer's ``LambdaLR`` multiplies the initial rate by
  ``lf(e) = (1 - e/epochs)(1 - lrf) + lrf`` (``cos_lr=False``) or
  ``lf(e) = 1 - (1 - lrf)(1 - cos(pi e / epochs)) / 2`` (``cos_lr=True``), ``e`` the 0-based epoch, after a
  warm-up of ``warmup_epochs``; the row of 0-based epoch ``e`` logs the rate used in it, ``lr0 lf(e)`` (with
  ``optimizer=auto`` the trainer picks its own initial rate: the logged rate divided by ``lf`` gives it).
  ``meta["lr_schedule"]`` = ``{"shape": "linear"|"cosine", "end": planned end, "final_ratio": lrf,
  "offset": the numbering's offset, "warmup": warmup_epochs, "from": "args.yaml ..."}``: the lr still to come
  (:func:`losslens.schedules.stated`; :func:`losslens.schedules.lr_factor` is ``lf``).
  The report says the rate it reaches by the planned end beside a forecast made while the lr still decays
  (``diagnosis._schedule_ahead``). Nothing forecasts along it: the schedule-aware forecast
  benchmarks/schedule_eval.py measured, the annealing law of Tissue et al. 2024, forecast worse than the plain
  one (docs/benchmarks.md).

Parsed with PyYAML (Ultralytics depends on it). A file that is not a YAML mapping, has no ``epochs`` or one
that is not a positive whole number, is passed over like a malformed ``hparams.yaml``
(:func:`.hparams.read_mapping`), and an ``lrf`` that is no number from 0 to 1 or a ``cos_lr`` that is neither
true nor false leaves the schedule unread: each said in one warning naming the file (the trainer always writes
them: such a file was edited or cut). It is context for the forecast, not the run: ``results.csv`` reads as it
would without it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..result import finite_or_none as _number
from ..schedules import stated
from . import hparams

FILE = "args.yaml"
RESULTS = "results.csv"


def _flag(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def read_args(path: Path) -> dict[str, object] | None:
    """The scalars of the ``args.yaml`` beside ``path`` (a ``results.csv``), or None (no file, unreadable; not
    YAML or not a mapping, said in one warning)."""
    return hparams.read_mapping(path.parent / FILE, "the planned end and the lr schedule it states are unknown")


def _shown(value) -> str:
    return f"{value:g}" if isinstance(value, float) else repr(value)


def args_problem(args: dict[str, object]) -> str | None:
    """What in ``args`` (an ``args.yaml``'s scalars) keeps its planned end or lr schedule from being read, in
    words for a warning; None where nothing does (a ``time`` budget states no planned end, rightly)."""
    if "epochs" not in args:
        return "no epochs in it: the planned end and the lr schedule are unknown"
    epochs = _number(args.get("epochs"))
    if epochs is None or epochs < 1 or epochs != int(epochs):
        return (f"epochs is {_shown(args['epochs'])}, not a positive whole number: the planned end and the lr "
                "schedule are unknown")
    if args.get("time") not in (None, "null", "None"):
        return None
    lrf = _number(args.get("lrf"))
    if "lrf" in args and (lrf is None or not 0.0 <= lrf <= 1.0):
        return f"lrf is {_shown(args['lrf'])}, not a number from 0 to 1: the lr schedule is unknown"
    if "cos_lr" in args and _flag(args["cos_lr"]) is None:
        return f"cos_lr is {_shown(args['cos_lr'])}, neither true nor false: the lr schedule is unknown"
    return None


def apply_args(runs, args: dict[str, object]) -> None:
    """Put the planned end and the lr schedule ``args`` (an ``args.yaml``'s scalars) state into each run's
    meta, in the numbering of the run's own epoch column; nothing where they do not state one."""
    epochs = _number(args.get("epochs"))
    if epochs is None or epochs < 1 or epochs != int(epochs) or args.get("time") not in (None, "null", "None"):
        return
    cos = _flag(args.get("cos_lr"))
    lrf = _number(args.get("lrf"))
    warmup = _number(args.get("warmup_epochs"))
    for run in runs:
        if getattr(run, "axis_name", None) != "epoch" or not np.size(run.axis):
            continue
        offset = 0.0 if float(np.nanmin(run.axis)) == 0.0 else 1.0  # 8.0 numbers the rows from 0, later from 1
        end = epochs - 1.0 + offset
        run.meta.setdefault("planned_end", end)
        run.meta.setdefault("planned_end_from", f"args.yaml epochs={int(epochs)}")
        if lrf is not None and 0.0 <= lrf <= 1.0 and cos is not None:
            run.meta.setdefault("lr_schedule", stated(
                "cosine" if cos else "linear", end, lrf, offset=offset,
                warmup=warmup if warmup is not None and warmup >= 0 else 0.0,
                source=f"args.yaml ({'cos_lr' if cos else 'linear'} to lrf={lrf:g} at epochs={int(epochs)})"))


def beside(path: Path, runs) -> None:
    """Read ``args.yaml`` beside a ``results.csv`` at ``path`` into ``runs``' meta (see the module)."""
    if path.name != RESULTS:
        return
    args = read_args(path)
    if args is None:
        return
    problem = args_problem(args)
    if problem is not None:
        from ._source import warn

        warn(path.parent / FILE, "%s", problem)
    apply_args(runs, args)
