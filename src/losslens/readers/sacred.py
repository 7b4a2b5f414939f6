"""Sacred's ``metrics.json`` (``FileStorageObserver``): ``{name: {"steps": [...], "values": [...], "timestamps": [...]}}``.

What ``_run.log_scalar("training.loss", value, step)`` writes, one entry per metric name. It has the
shape of logged scalars (``{tag: (steps, values)}``), so it is built into a Run like a
TensorBoard log: ``training.loss`` -> ``train_loss``, ``validation.loss`` -> ``val_loss``.
"""

from __future__ import annotations

from ..exceptions import ReadError
from ..run import Run


def is_metrics(obj) -> bool:
    return isinstance(obj, dict) and bool(obj) and all(
        isinstance(v, dict) and isinstance(v.get("steps"), list) and isinstance(v.get("values"), list)
        for v in obj.values())


def read_metrics(obj: dict, *, name: str, source: str, **_options) -> list[Run]:
    from .records import number_or_nan, refuse_stray_strings
    from .tensorboard import scalars_to_run

    scalars = {}
    for tag, entry in obj.items():
        steps, values = entry["steps"], entry["values"]
        if len(steps) != len(values):
            raise ReadError(f"metric {tag!r} has {len(steps)} steps but {len(values)} values", source)
        refuse_stray_strings(tag, values, source, where="value")
        scalars[tag] = ([number_or_nan(s) for s in steps], [number_or_nan(v) for v in values])
    return [scalars_to_run(scalars, name=name, source=source, meta={"format": "sacred"})]
