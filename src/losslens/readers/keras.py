"""Keras ``History`` saved as JSON: ``json.dump(history.history, f)``.

Accepted shapes::

    {"loss": [...], "val_loss": [...], "accuracy": [...]}            # history.history
    {"history": {"loss": [...]}, "epoch": [0, 1, ...], "params": {...}, "meta": {...}}
    {"train": {"loss": [...], "acc": [...]}, "val": {"loss": [...]}}  # a hand-written loop's dict
    {"validation_0": {"logloss": [...]}, "validation_1": {...}}     # XGBoost / LightGBM evals_result

(nested splits: :func:`losslens.columns.flatten_splits` names the series)

(Keras CSVLogger files are plain CSV, read by :mod:`losslens.readers.delimited`.) Lists may
be shorter than the longest one: Keras logs validation every ``validation_freq`` epochs, and
:meth:`losslens.run.Run.from_history` aligns them. The axis is the epoch from 0, as Keras
numbers epochs, unless the object carries an ``epoch`` list.
"""

from __future__ import annotations

import numbers
import re
from typing import Mapping

from ..columns import axis_kind, flatten_splits, map_columns
from ..exceptions import LosslensError, ReadError, UnknownFormatError
from ..run import Run
from . import delimited, records, table


def is_history(obj) -> bool:
    """A dict of lists, or ``{"history": dict of lists, ...}``."""
    if not isinstance(obj, dict):
        return False
    inner = obj.get("history")
    if isinstance(inner, dict):
        obj = inner
    return any(isinstance(v, list) for v in obj.values()) or flatten_splits(obj) is not None


# What XGBoost's, LightGBM's and CatBoost's evals_result name their metrics (never Keras' "loss").
_BOOSTER_METRICS = {"logloss", "mlogloss", "binary_logloss", "multi_logloss", "multiclass", "rmse", "l1", "l2",
                    "mae", "auc", "error", "merror", "ndcg", "map", "mape", "huber", "poisson", "cross_entropy"}


def boosted_history(hist: dict) -> bool:
    """An evals_result: ``{set: {metric: [...]}}`` whose metrics are all a booster's."""
    inner = [v for v in hist.values() if isinstance(v, dict)]
    names = {str(k).lower() for d in inner for k in d}
    return bool(inner) and len(inner) == len(hist) and bool(names) and names <= _BOOSTER_METRICS


#: Metric names only LightGBM's evals_result uses (lower case as it writes them; CatBoost capitalises its own,
#: ``Poisson``), and its default names for the sets it is given, ``valid_0``, ``valid_1`` ...
_LIGHTGBM_METRICS = {"binary_logloss", "multi_logloss", "l1", "l2", "cross_entropy", "huber", "poisson"}
_LIGHTGBM_SET = re.compile(r"valid_\d+")


def lightgbm_history(hist: dict) -> bool:
    """An evals_result LightGBM wrote (:func:`boosted_history`, with one of its own metric or set names)."""
    if not boosted_history(hist):
        return False
    names = {str(k) for v in hist.values() for k in v}
    return bool(names & _LIGHTGBM_METRICS) or any(_LIGHTGBM_SET.fullmatch(str(k)) for k in hist)


def booster_columns(hist: dict) -> dict:
    """A booster's evals_result (:func:`boosted_history`) as flat columns (:func:`flatten_splits`), its rounds
    counted as the library counts them: from 1 for LightGBM, whose printed log says ``[1]`` first and whose
    ``best_iteration`` is the count of trees kept (the JSON's list index + 1: "the best round is 9" of a run
    LightGBM stopped on as best_iteration 10, tests/fixtures/ecosystem/lightgbm_printed), from 0 for XGBoost and
    CatBoost. An axis list the dict carries itself is kept."""
    flat = flatten_splits(hist) or dict(hist)
    own = any(axis_kind(str(k)) for k, v in hist.items() if isinstance(v, (list, tuple)))
    lists = [v for v in flat.values() if isinstance(v, (list, tuple))]
    if lightgbm_history(hist) and not own and lists:
        flat["iteration"] = list(range(1, max(len(v) for v in lists) + 1))
    return flat


def read_history(obj: dict, *, name: str, source: str, columns: Mapping[str, str] | None = None,
                 run_column=None, run_id=None, metric=None, logged_nan: int = 0) -> list[Run]:
    """Runs from a Keras History dict (or a dict of equally long columns holding run ids);
    ``logged_nan``: how many values the JSON spelled NaN (see :func:`.table.to_runs`)."""
    meta: dict = {}
    hist = obj
    # The losslens callbacks and the lab write {"epoch": [...], "loss": [...], "meta": {...}}:
    # the meta (classes, n_val, ...) reaches the diagnosis either way.
    if isinstance(obj.get("meta"), dict):
        meta.update(obj["meta"])
    if isinstance(obj.get("history"), dict):
        hist = dict(obj["history"])
        if isinstance(obj.get("params"), dict):
            meta["params"] = obj["params"]
        if isinstance(obj.get("epoch"), list) and "epoch" not in hist:
            hist["epoch"] = obj["epoch"]
    if boosted_history(hist):
        meta["model"] = "boosted_trees"
        hist = booster_columns(hist)
    constant = _sklearn_constant_lr(obj)
    if constant:
        meta["constant_lr"] = constant
    hist = flatten_splits(hist) or hist  # {"train": {"loss": [...]}, "val": {...}}
    lists = {str(k): v for k, v in hist.items() if isinstance(v, list)}
    if not lists:
        raise UnknownFormatError(f"JSON object without lists of values (keys: {table.column_listing(hist)})",
                                 source)
    for key, values in lists.items():
        records.refuse_stray_strings(key, values, source, where="value")
    _refuse_uneven(lists, source)
    lengths = {len(v) for v in lists.values()}
    if _has_text_column(lists) and len(lengths) == 1:
        # Columns, not a History: e.g. {"run_id": [...], "epoch": [...], "loss": [...]}.
        cols = records.to_columns([dict(zip(lists, row)) for row in zip(*lists.values())])
        return table.to_runs(cols, name=name, source=source, fmt="json_columns", columns=columns,
                             run_column=run_column, run_id=run_id, metric=metric, meta=meta)
    try:
        # Validation lists that end together before training's (_refuse_uneven refused them apart) are validation
        # that stopped: a fit continued without it, its Histories merged (make_logs.py keras_best). What the JSON
        # does not spell NaN after their end is not logged, not diverged (nan_columns below).
        run = Run.from_history(lists, name=name, source=source, columns=columns, meta=meta, ends_early=True)
    except LosslensError:  # (columns= of the wrong kind: said as from_history says it, not "unreadable")
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        raise ReadError(f"unreadable history: {str(exc)[:120]}", source) from None
    cols = {run.axis_name: run.axis, **run.series}
    # A NaN/inf in the JSON is stated in its own list only (a callback's best-so-far, inf at epoch 0, says
    # nothing of val_loss's list ending early): the series of those lists, under the names from_history gave.
    named = map_columns([k for k in lists if not axis_kind(k)], columns)
    stated = {named[k] for k in delimited.stated_nonfinite(lists) if k in named}
    if run.meta.get("notes"):  # (validation every k epochs assumed: said on the run the table makes)
        meta["notes"] = run.meta["notes"]
    return table.to_runs(cols, name=name, source=source, fmt="keras_history_json", run_id=run_id,
                         metric=metric, meta=meta, logged_nan=logged_nan, nan_columns=stated)


def _sklearn_constant_lr(obj: dict) -> str | None:
    """What says the lr held, where ``obj`` is a scikit-learn MLP's attributes saved as JSON (``loss_curve_``, by
    its own name, beside ``params``, its ``get_params()``) and those params say its step never decayed: ``adam``
    (scikit-learn's default solver) keeps ``learning_rate_init`` throughout, and ``sgd`` does unless
    ``learning_rate='invscaling'`` or ``'adaptive'``, the default being ``'constant'``. None where the params are
    not saved: which solver ran is then not known."""
    params = obj.get("params")
    if not isinstance(obj.get("loss_curve_"), list) or not isinstance(params, dict) or not params:
        return None
    solver, rate = params.get("solver", "adam"), params.get("learning_rate", "constant")
    if solver == "adam" or (solver == "sgd" and rate == "constant"):
        return f"scikit-learn MLP, solver={solver!r}" + ("" if solver == "adam" else f", learning_rate={rate!r}")
    return None


#: The series Keras logs at every epoch (a validation metric only every ``validation_freq`` epochs).
_EVERY_EPOCH = ("train_loss", "train_acc", "lr", "learning_rate")


def _refuse_uneven(lists: dict[str, list], source: str) -> None:
    """Training lists of one history (loss, accuracy, the lr) of different lengths raise, naming them, as do
    validation lists of different lengths: Keras appends each training metric at every epoch and every
    validation metric at each check (every ``validation_freq`` epochs), so one lost a value (a cut or damaged
    file), and which epoch each of its values belongs to is unknown. Aligned from the first epoch, a value lost
    at the start or in the middle moved every later one an epoch early. (Validation lists may be shorter than
    the training ones.)"""
    named = map_columns([k for k in lists if not axis_kind(k)])
    for kind, group in (("training", [k for k, c in named.items() if c in _EVERY_EPOCH]),
                        ("validation", [k for k, c in named.items() if c.startswith("val_")])):
        sizes = {k: len(lists[k]) for k in group}
        if len(set(sizes.values())) > 1:
            short, long = min(sizes, key=sizes.get), max(sizes, key=sizes.get)
            when = "at every epoch" if kind == "training" else "together at each check"
            raise ReadError(f"{short!r} holds {sizes[short]} values, {long!r} {sizes[long]}: Keras logs its {kind} "
                            f"metrics {when}, so a value was lost and which epoch each belongs to is unknown (a cut "
                            "or damaged history?)", source)


def _has_text_column(lists: dict[str, list]) -> bool:
    for values in lists.values():
        texts = sum(1 for v in values[:50] if isinstance(v, str))
        nums = sum(1 for v in values[:50] if isinstance(v, numbers.Real))
        if texts > nums:
            return True
    return False
