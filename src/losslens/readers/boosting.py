"""What XGBoost and LightGBM print while they boost: a line per evaluated round.

XGBoost (``xgb.train(..., verbose_eval=10)``, ``XGBClassifier.fit(..., verbose=True)``)::

    [0]	train-logloss:0.55975	eval-logloss:0.58465

LightGBM (``callbacks=[lgb.log_evaluation(10)]``)::

    [10]	train's binary_logloss: 0.138874	valid's binary_logloss: 0.467696

Read as the dict their ``evals_result`` holds, through :func:`losslens.columns.flatten_splits`:
the set named ``train``/``training`` gives ``train_*``, the one named ``valid``/``eval``/``validation``
(else the last numbered one, ``validation_1``, which XGBoost early-stops on) ``val_*``; the loss is
the metric ending in ``loss`` (``logloss``, ``binary_logloss``), else a name of
:data:`losslens.columns.LOSS_STEMS` (``rmse``, ``error``). The axis is the round as printed
(``iteration``: XGBoost counts from 0, LightGBM from 1). A round printed again (LightGBM's
``Early stopping, best iteration is:`` repeats the best one) is not a new point.
"""

from __future__ import annotations

import re

import numpy as np

from ..columns import flatten_splits
from ..exceptions import ReadError

_ROUND = re.compile(r"^\[(\d+)\]\t(.*\S)\s*$")
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|(?i:nan)|[-+]?(?i:inf(?:inity)?)"  # NaN as C++ or Python prints it
_XGB_PAIR = re.compile(r"^([^\t:]+?)-([^\t:-]+):(" + _NUM + r")$")
_LGB_PAIR = re.compile(r"^(.+?)'s ([^\t:]+): (" + _NUM + r")$")


def _pairs(rest: str) -> tuple[str, list[tuple[str, str, float]]] | None:
    """``(library, [(set, metric, value), ...])`` of one round line's tab-separated fields, else None."""
    fields = rest.split("\t")
    for library, pattern in (("xgboost", _XGB_PAIR), ("lightgbm", _LGB_PAIR)):
        found = [pattern.match(f.strip()) for f in fields]
        if all(found):
            return library, [(m.group(1), m.group(2), float(m.group(3))) for m in found]
    return None


def printed_library(text: str) -> str | None:
    """``"xgboost"`` / ``"lightgbm"`` when the text's first line is a round such a library prints, else None."""
    head = text[:65536].lstrip()
    if not head.startswith("["):
        return None
    m = _ROUND.match(head.split("\n", 1)[0].rstrip("\r"))
    found = _pairs(m.group(2)) if m else None
    return found[0] if found else None


def cut_last_line(text: str) -> str | None:
    """The last line, when the run was killed while printing it (no newline at the end, and fewer fields than
    the round before or a last value with fewer characters: ``eval-logloss:0.66`` under ``...:0.66100``)."""
    if not text or text.endswith(("\n", "\r")):
        return None
    lines = text.split("\n")
    last = lines[-1]
    previous = next((ln for ln in reversed(lines[:-1]) if _ROUND.match(ln)), None)
    if previous is None:
        return None
    now, before = last.rstrip().split("\t"), previous.rstrip().split("\t")
    m = _ROUND.match(last)
    if m is None or _pairs(m.group(2)) is None or len(now) < len(before):
        return last
    value = re.compile(r"(" + _NUM + r")$")
    a, b = value.search(now[-1].strip()), value.search(before[-1].strip())
    return last if a and b and len(a.group(1)) < len(b.group(1)) else None


def columns(text: str, source: str) -> dict[str, np.ndarray]:
    """``{"iteration": rounds, "train_loss": ..., "val_loss": ..., other metrics}``. Other lines (LightGBM's
    ``Training until validation scores don't improve``) are passed over; a damaged round line is a ReadError."""
    rounds: list[int] = []
    values: dict[str, dict[str, dict[int, float]]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("["):
            continue
        m = _ROUND.match(line)
        found = _pairs(m.group(2)) if m else None
        if found is None:
            raise ReadError(f"line {number} is not a round of this printed boosting log: {line.strip()[:60]!r}",
                            source)
        r = int(m.group(1))
        if rounds and r <= rounds[-1]:
            continue  # the best round printed again after early stopping
        rounds.append(r)
        for split, metric, value in found[1]:
            values.setdefault(split, {}).setdefault(metric, {})[r] = value
    nested: dict = {split: {metric: [by_round.get(r, np.nan) for r in rounds] for metric, by_round in metrics.items()}
                    for split, metrics in values.items()}
    nested["iteration"] = list(rounds)
    flat = flatten_splits(nested) or nested
    return {k: np.asarray(v, dtype=float) for k, v in flat.items() if isinstance(v, list)}
