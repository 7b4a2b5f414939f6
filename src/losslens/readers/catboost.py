"""CatBoost's training folder (``train_dir``, ``catboost_info/`` by default).

``fit(..., eval_set=...)`` writes the metrics per boosting iteration twice: as ``learn_error.tsv``
and ``test_error.tsv``, and in ``catboost_training.json``; and a third time as TensorBoard events in
``learn/`` and ``test/``. ``time_left.tsv`` holds timings. The folder is read as one run from the
two TSVs (the JSON when they are missing), on the ``iter`` axis::

    iter	Accuracy	Logloss
    0	0.8415492958	0.5414927077

``learn_error`` gives ``train_*``, ``test_error`` ``val_*``. With several eval sets the columns of
all but the last carry the set's number (``Logloss:0``): the last set is the one CatBoost chooses the
best iteration on, so it is the validation curve, the others ``validation_<i>_*``.

Which column is the loss? The files name metrics, not the objective, and list ``eval_metric``
first when it differs from it (``eval_metric="Accuracy"``: ``Accuracy, Logloss``). So the loss is
the first column that is a CatBoost objective (``Logloss``, ``RMSE``, ``MultiClass`` ...): the
objective, or an ``eval_metric`` that could have been one, which CatBoost judges the run by (with
``loss_function="MAE", eval_metric="RMSE"`` that is RMSE); failing that, the first metric
``catboost_training.json`` says is minimised. ``meta["loss_metric"]`` names it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..columns import normalise
from ..exceptions import ReadError, UnknownFormatError
from ..run import Run
from . import _source, records, table
from .delimited import numeric_tsv

ERROR_FILES = {"learn_error.tsv": "train", "test_error.tsv": "val"}
TRAINING_JSON = "catboost_training.json"
# CatBoost's objectives (what loss_function accepts), as listed by catboost 1.2's ELossFunction.
OBJECTIVES = frozenset({
    "Logloss", "CrossEntropy", "MultiClass", "MultiClassOneVsAll", "MultiLogloss", "MultiCrossEntropy", "Focal",
    "RMSE", "MAE", "MAPE", "RMSPE", "Quantile", "MultiQuantile", "LogLinQuantile", "Expectile", "Lq", "Huber",
    "Poisson", "Tweedie", "LogCosh", "RMSEWithUncertainty", "MultiRMSE", "MultiRMSEWithMissingValues", "Cox",
    "SurvivalAft", "PairLogit", "PairLogitPairwise", "YetiRank", "YetiRankPairwise", "QueryRMSE", "QuerySoftMax",
    "QueryCrossEntropy", "StochasticFilter", "StochasticRank", "LambdaMart", "GroupQuantile"})
_SET_NUMBER = re.compile(r"^(.+):(\d+)$")


def is_info_dir(filenames) -> bool:
    """A CatBoost training folder: it holds ``learn_error.tsv``, ``test_error.tsv`` or ``catboost_training.json``."""
    return any(f in filenames for f in (*ERROR_FILES, TRAINING_JSON))


def is_error_file(path: Path, text: str) -> bool:
    """``learn_error.tsv`` / ``test_error.tsv``: CatBoost's names, and ``iter`` first."""
    return path.name in ERROR_FILES and text.lstrip()[:5] == "iter\t"


def is_timing_file(path: Path, text: str) -> bool:
    return path.name == "time_left.tsv" and text.lstrip().startswith("iter\tPassed\tRemaining")


# fit(verbose=...) prints "0:\tlearn: 0.84\ttest: 0.73\tbest: 0.73 (0)\ttotal: 80ms\tremaining: 24s".
_PRINTED = re.compile(r"^\d+:\s+learn: [-+0-9.eE]+\s")


def is_printed(text: str) -> bool:
    """CatBoost's printed progress: it never names its metric (the eval_metric, a loss or a score)."""
    return bool(_PRINTED.match(text.lstrip()[:200]))


def is_training_json(obj) -> bool:
    return (isinstance(obj, dict) and isinstance(obj.get("meta"), dict) and "learn_metrics" in obj["meta"]
            and isinstance(obj.get("iterations"), list))


def read_folder(folder: Path, source: str, **options) -> list[Run]:
    """The run in a CatBoost training folder."""
    files = [folder / f for f in ERROR_FILES if (folder / f).is_file()]
    minimised = _minimised(folder / TRAINING_JSON)
    if not files:
        obj = _load_json(folder / TRAINING_JSON, TRAINING_JSON, source)
        return read_training_json(obj, name=folder.name, source=source, **options)
    series = {}
    for path in files:
        try:
            series.update(_error_file(_source.load(path, path.name).text, ERROR_FILES[path.name], path.name))
        except ReadError as exc:
            raise ReadError(f"{path.name}: {exc.problem}", source) from None
    return _to_runs(series, minimised, name=folder.name, source=source, **options)


def read_error_file(path: Path, text: str, *, name: str, source: str, **options) -> list[Run]:
    """``learn_error.tsv`` or ``test_error.tsv`` read alone."""
    series = _error_file(text, ERROR_FILES[path.name], source)
    return _to_runs(series, _minimised(path.parent / TRAINING_JSON), name=name, source=source, **options)


def read_training_json(obj: dict, *, name: str, source: str, **options) -> list[Run]:
    """``catboost_training.json``: per iteration, each set's metric values, named in ``meta``."""
    meta = obj["meta"]
    try:
        learn = [m["name"] for m in meta["learn_metrics"]]
        test = [m["name"] for m in meta.get("test_metrics") or []]
        sets = list(meta.get("test_sets") or [])
        labels = {"learn": ("train", learn)}
        for i, s in enumerate(sets):
            labels[s] = ("val" if i == len(sets) - 1 else f"validation_{i}", test)
        points: dict[tuple[str, str], tuple[list, list]] = {}
        for it in obj["iterations"]:
            if not isinstance(it, dict):  # (a damaged file: a record cut to its number)
                raise ReadError(f"an iteration is {type(it).__name__} {str(it)[:40]}, not a record", source)
            for key, (split, names) in labels.items():
                values = it.get(key)
                if values is None:
                    continue
                if len(values) != len(names):
                    raise ReadError(f"iteration {it.get('iteration')}: {len(values)} {key} values for "
                                    f"{len(names)} metrics", source)
                for metric, v in zip(names, values):
                    xs, ys = points.setdefault((split, metric), ([], []))
                    xs.append(records.number_or_nan(it["iteration"]))
                    ys.append(records.number_or_nan(v))
    except (KeyError, TypeError) as exc:
        raise ReadError(f"not CatBoost's catboost_training.json layout (no {exc})", source) from None
    series = {k: (np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)) for k, (xs, ys) in points.items()}
    if not series:
        raise ReadError("no iterations", source)
    minimised = [m["name"] for m in [*meta["learn_metrics"], *(meta.get("test_metrics") or [])]
                 if isinstance(m, dict) and m.get("best_value") == "Min"]
    return _to_runs(series, minimised, name=name, source=source, **options)


def _error_file(text: str, split: str, source: str) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """``{(split, metric): (iterations, values)}`` of one error file."""
    header, rows = numeric_tsv(text, source)
    if header[0] != "iter":
        raise ReadError(f"no 'iter' column first (found: {', '.join(header[:6])})", source)
    out = {}
    for j, column in enumerate(header[1:], start=1):
        numbered = _SET_NUMBER.match(column) if split == "val" else None
        key = (f"validation_{numbered.group(2)}", numbered.group(1)) if numbered else (split, column)
        out[key] = (rows[:, 0], rows[:, j])
    return out


def _to_runs(series: dict, minimised: list[str], *, name: str, source: str, **options) -> list[Run]:
    metrics = list(dict.fromkeys(m for _, m in series))
    loss = next((m for m in metrics if m.split(":")[0] in OBJECTIVES), None) \
        or next((m for m in metrics if m in minimised), None)
    grid = np.unique(np.concatenate([x for x, _ in series.values()]))
    cols = {"iter": grid}
    for (split, metric), (xs, ys) in series.items():
        full = np.full(grid.shape[0], np.nan)
        full[np.searchsorted(grid, xs)] = ys
        cols[f"{split}_{'loss' if metric == loss else normalise(metric)}"] = full
    return table.to_runs(cols, name=name, source=source, fmt="catboost",
                         meta={"loss_metric": loss} if loss else None, **options)


def _minimised(path: Path) -> list[str]:
    """The metrics ``catboost_training.json`` marks ``"best_value": "Min"``; none when it is missing
    or unreadable (it only breaks a tie the TSVs cannot)."""
    try:
        obj = _load_json(path, str(path), str(path))
        return [m["name"] for key in ("learn_metrics", "test_metrics") for m in obj["meta"].get(key) or []
                if isinstance(m, dict) and m.get("best_value") == "Min"]
    except (ReadError, KeyError, TypeError, AttributeError):
        return []


def _load_json(path: Path, label: str, source: str) -> dict:
    if not path.is_file():
        raise ReadError(f"no {', '.join(ERROR_FILES)} or {TRAINING_JSON}", source)
    try:
        obj = records.loads(_source.load(path, label).text, source)
    except ReadError as exc:
        raise ReadError(f"{label}: {exc.problem}", source) from None
    except (ValueError, RecursionError) as exc:
        raise ReadError(f"{label}: unreadable JSON ({getattr(exc, 'msg', exc)})", source) from None
    if not is_training_json(obj):
        raise UnknownFormatError(f"{label}: not CatBoost's training log (no meta.learn_metrics, iterations)", source)
    return obj
