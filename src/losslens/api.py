"""The Python entry points behind ``losslens.diagnose`` and friends: source -> Run(s) -> Diagnosis."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from .exceptions import NotARunError, UsageError, UsageTypeError, check_number
from .run import Run

_READ_OPTIONS = ("columns", "run_column", "run_id", "experiment", "metric")


def to_runs(source: Any, **options) -> list[Run]:
    """Any supported source as a list of Runs."""
    import numpy as np

    if isinstance(source, Run):
        return [source]
    named = named_runs(source)
    if named is not None:
        return _read_named(named, source, options)
    source = _without_grad(source)
    if isinstance(source, Mapping) and _flat_table(source):
        from .readers.table import from_frame
        return from_frame(source, **options)
    framework = _framework_runs(source, options)
    if framework is not None:
        return framework
    if isinstance(source, Mapping) or (hasattr(source, "history") and isinstance(getattr(source, "history"), Mapping)):
        hist = source if isinstance(source, Mapping) else source.history
        _check_lists(hist)
        from .readers.keras import boosted_history, booster_columns
        from .readers.table import rounds_axis

        # (An XGBoost or LightGBM evals_result() read as its JSON is: a booster's rounds and knobs, not "step 16" of
        # a network's optimizer and its learning rate; its rounds counted as the library counts them.)
        meta = None
        # Named as a dict of equal lists is (from_frame's "dict"), or by the object's type (a Keras History):
        # lists of unequal length (validation every k epochs) gave "source": null, as raw arrays do.
        named = "dict" if isinstance(source, Mapping) else type(source).__name__
        if boosted_history(dict(hist)):
            meta, source = {"model": "boosted_trees"}, booster_columns(dict(hist))
        else:
            meta = _stopped_early(source, hist)
        return rounds_axis([Run.from_history(source, columns=options.get("columns"), meta=meta, source=named)])
    from .readers.table import from_frame, is_frame

    if is_frame(source):  # a pandas DataFrame
        return from_frame(source, **options)
    if getattr(getattr(source, "dtype", None), "names", None) and np.ndim(source) == 1:
        # A numpy record array, np.genfromtxt(log, names=True) of a CSV log: its fields are the columns.
        return from_frame({name: source[name] for name in source.dtype.names}, **options)
    if hasattr(source, "to_frame") and isinstance(getattr(source, "name", None), str):  # a named pandas Series
        return from_frame(source.to_frame(), **options)
    rows = _records(source)
    if rows is not None:
        from .readers import records, table
        # The source by its type, as a DataFrame's and a dict's are ("list" was "run"); a list's run is "run".
        kind = type(source).__name__
        name = kind if not isinstance(source, (list, tuple)) else "run"
        return table.to_runs(records.to_columns(rows, source=kind), name=name, source=kind, fmt="records",
                             **table.given_options(options))
    from .readers import sklearn
    if sklearn.is_estimator(source):  # a fitted MLP or gradient-boosting model (or a one-line error)
        return [sklearn.from_estimator(source, columns=options.get("columns"))]
    if _numbers(source):
        # Which curve is it? Training and validation loss call for different readings (overfitting needs both).
        # (Said without naming diagnose: verify relays it of what a train function returned.)
        raise UsageTypeError(f"an array of {np.size(source)} numbers does not say which curve it is: name it, "
                        "{'val_loss': values} or {'train_loss': ..., 'val_loss': ...}, "
                        "or pass a pandas Series with its name")
    if hasattr(getattr(source, "history", None), "history") and hasattr(source, "fit"):
        # A Keras model after fit holds the History of its last fit only: said, so a model fitted twice is not
        # read as its last fit in silence.
        raise UsageTypeError(f"a {type(source).__name__} model: diagnose the History its fit returns, "
                             "history = model.fit(...); losslens.diagnose(history) (model.history is the last fit's)")
    if isinstance(source, Iterator):
        raise UsageTypeError(f"a {type(source).__name__} is read once and has no length: pass a list of it, "
                             "losslens.diagnose(list(rows))")
    if not (_paths(source) or isinstance(source, (str, bytes)) or hasattr(source, "__fspath__")):
        raise NotARunError("losslens reads a path or URI (or a list of them), a dict of lists (Keras History.history), "
                        "a list of per-epoch dicts, a pandas DataFrame or named Series, a Run, or a fitted scikit-learn "
                        f"MLP or gradient-boosting model; got {type(source).__name__}")
    from .readers import read
    return read(source, **{k: v for k, v in options.items() if k in _READ_OPTIONS and v is not None})


def _history_like(x) -> bool:
    """A Keras History (an object whose ``history`` is a dict of per-epoch lists) or such a dict itself: every value a
    list or 1-D array, not one epoch's record (``{"epoch": 3, "loss": 0.2, "per_class": [...]}`` holds a list too)."""
    hist = x if isinstance(x, Mapping) else getattr(x, "history", None)
    return isinstance(hist, Mapping) and bool(hist) and all(
        (isinstance(v, (list, tuple)) or (getattr(v, "ndim", 0) or 0) >= 1) and len(v) > 0 for v in hist.values())


def _a_run(x) -> bool:
    """``x`` is one run by itself, as a value of a dict of runs: a Run, a History or its dict of lists, a DataFrame,
    a path, or a list of per-epoch dicts."""
    import os

    from .readers.table import is_frame

    if isinstance(x, (Run, str, os.PathLike)) or _history_like(x) or is_frame(x):
        return True
    return isinstance(x, list) and bool(x) and all(isinstance(r, Mapping) for r in x) and not _history_like(x[0])


def _split_key(key) -> bool:
    """A split's name in a history nested by set (``train``, ``val``) or a booster's ``evals_result``
    (``validation_0``, ``valid_1``): such a dict is one run, :func:`columns.flatten_splits`' to read."""
    import re

    from .columns import TEST_SPLITS, TRAIN_SPLITS, VAL_SPLITS, normalise

    name = normalise(str(key))
    stem = re.sub(r"_?\d+$", "", name)
    return name in TRAIN_SPLITS + VAL_SPLITS + TEST_SPLITS or stem in TRAIN_SPLITS + VAL_SPLITS + TEST_SPLITS


def named_runs(source) -> list[tuple[str | None, Any]] | None:
    """``[(name, run source), ...]`` of a dict of runs named by its keys (``{"lr3e-4": history_a, "lr3e-3":
    history_b}``, each value anything :func:`_a_run` takes) or of a list of Histories, their dicts of lists or
    DataFrames (named None: by their place); else None. A dict of lists is one run's columns, and a dict keyed by
    split names (``train``/``val``, ``validation_0``) one run's splits: both stay one run. Merged as one, the first
    run's columns were overwritten by the second's under its key ("lr3e_4_loss") and the run dropped."""
    from .readers.table import is_frame

    if isinstance(source, Mapping):
        if source and all(map(_a_run, source.values())) and not any(map(_split_key, source)):
            return [(str(k), v) for k, v in source.items()]
        return None
    if is_frame(source) and getattr(source.columns, "nlevels", 1) == 2:
        # pd.concat({"mlp": df}, axis=1): columns by (run, metric), each read as "('mlp', 'accuracy')"; the rows a
        # shorter run was padded with (all NaN) are no epochs of it.
        keys = list(dict.fromkeys(source.columns.get_level_values(0)))
        return [(str(k), source[k].dropna(how="all")) for k in keys]
    # (A list of Runs or paths is readers.read's, as it was.)
    if isinstance(source, (list, tuple)) and len(source) > 1 and all(_history_like(x) or is_frame(x) for x in source):
        return [(None, x) for x in source]
    return None


def _read_named(named: list, source, options: Mapping) -> list[Run]:
    """The runs of :func:`named_runs`' sources, each named by its key (``key/run`` where one holds several;
    ``run0``, ``run1`` ... by place where it has no name), then picked by ``run_id=`` as a file's runs are."""
    import dataclasses

    from .readers import select_run

    runs = []
    for i, (key, value) in enumerate(named):
        got = to_runs(value, **{k: v for k, v in options.items() if k != "run_id"})
        for run in got:
            if key is None:
                name = run.name if run.name != "run" else f"run{i}"
            else:
                name = key if len(got) == 1 else f"{key}/{run.name}"
            runs.append(dataclasses.replace(run, name=name))
    return select_run(runs, options.get("run_id"), str(_where(source)))


def _without_grad(source):
    """``source`` with the torch tensors that still require grad detached, said once: a loop that appended ``loss``,
    not ``loss.item()``, as a dict of lists or a list of per-epoch dicts. numpy refused them ("Can't call numpy() on
    Tensor that requires grad") in a dict, and in records torch warned on each conversion."""
    import sys

    if "torch" not in sys.modules:  # (no tensor exists before torch is imported)
        return source

    def graded(v) -> bool:
        return getattr(v, "requires_grad", False) is True

    def detach(v):
        return v.detach() if graded(v) else v

    found = False
    if isinstance(source, Mapping):
        out = {}
        for k, v in source.items():
            if isinstance(v, (list, tuple)) and any(map(graded, v)):
                found, v = True, [detach(x) for x in v]
            elif graded(v):
                found, v = True, detach(v)
            out[k] = v
    elif isinstance(source, (list, tuple)) and source and all(isinstance(r, Mapping) for r in source):
        out = []
        for r in source:
            if any(map(graded, r.values())):
                found, r = True, {k: detach(v) for k, v in r.items()}
            out.append(r)
    else:
        return source
    if not found:
        return source
    from .readers._source import warn

    warn(type(source).__name__, "the values are torch tensors with grad, each holding its step's graph in memory: "
         "read detached; append loss.item() in the loop to keep the numbers alone")
    return out


def _stopped_early(history, hist: Mapping) -> dict | None:
    """``{"stopped_early": {"epochs": planned, "epochs_run": logged}}`` of a Keras History whose fit a callback
    stopped (``history.model.stop_training`` set, fewer epochs logged than ``history.params["epochs"]``), else None.
    Keras 3 keeps no callback on the History or its model, so which one stopped it, and whether it restored the best
    weights (EarlyStopping's ``restore_best_weights``), cannot be read: the advice says both."""
    params = getattr(history, "params", None)
    model = getattr(history, "model", None)
    if isinstance(history, Mapping) or not isinstance(params, Mapping) or getattr(model, "stop_training", None) is not True:
        return None
    planned = params.get("epochs")
    logged = max((len(v) for v in hist.values() if hasattr(v, "__len__")), default=0)
    if not isinstance(planned, int) or isinstance(planned, bool) or not 0 < logged < planned:
        return None
    return {"stopped_early": {"epochs": planned, "epochs_run": logged}}


def _framework_runs(source, options) -> list[Run] | None:
    """The run a training framework's object holds, else None; one that holds none is refused with what to
    give instead. A Hugging Face ``Trainer`` or its ``state`` holds the log ``trainer_state.json`` saves (read
    as that file is); losslens's callbacks hold the run they recorded, and so does a Lightning ``Trainer`` with one
    attached. Lightning's ``Trainer`` otherwise keeps no curve (its logger writes it to disk), a ``TrainOutput`` the final mean loss alone, and a dict of single values
    (``trainer.callback_metrics``) the last epoch's: each was read as no run or a one-epoch run ("too short to
    diagnose"), which said nothing of what to return (a dict of single values is _check_lists' to refuse)."""
    import dataclasses

    kind = type(source).__name__
    # (the module of the framework's class, not of a subclass: a user's LightningModule, a CustomTrainer)
    ours = [c for c in type(source).__mro__[:-1]
            if (c.__module__ or "").startswith(("transformers", "lightning", "pytorch_lightning"))]
    module = (ours[0] if ours else type(source)).__module__ or ""
    if _ours(source):
        return [source.run()]
    if module.startswith("transformers"):
        state = getattr(source, "state", source)
        if dataclasses.is_dataclass(state) and isinstance(getattr(state, "log_history", None), list):
            from .readers import huggingface
            # (the fields as they are: asdict deep-copies the whole log, 2.2 s for 100,000 records)
            fields = {f.name: getattr(state, f.name) for f in dataclasses.fields(state)}
            return huggingface.read_trainer_state(fields, name="run", source=kind,
                                                  **{k: options[k] for k in ("columns", "metric") if options.get(k)})
        if kind == "TrainOutput":
            raise UsageTypeError("a TrainOutput holds the final mean training loss alone, no curve: give the "
                                 "Trainer's log, trainer.state (or its output_dir's trainer_state.json)")
    if module.startswith(("lightning", "pytorch_lightning")):
        watching = [cb for cb in getattr(source, "callbacks", None) or [] if _ours(cb)]
        if len(watching) == 1:  # a Trainer with losslens's callback attached: the run it recorded
            return [watching[0].run()]
        name = ours[0].__name__ if ours else kind
        said = f"a {name}" if name.startswith("Lightning") else f"a Lightning {name}"
        raise UsageTypeError(f"{said} holds no curve (its logger writes it): give trainer.logger.log_dir (the "
                             "CSVLogger's metrics.csv), or attach losslens's LosslensCallback (the Trainer or the "
                             "callback is then read)")
    return None


def _ours(x) -> bool:
    """``x`` is one of losslens's callbacks (each a ``WatcherViews``); none can exist before their module is
    imported, so a check imports nothing."""
    import sys

    core = sys.modules.get("losslens.integrations._core")
    return core is not None and isinstance(x, core.WatcherViews)


def _scalar(v) -> bool:
    """A single number: a float, an int, a 0-d array or tensor."""
    import numpy as np

    if isinstance(v, (str, bytes, Mapping)):
        return False
    try:
        return np.ndim(v) == 0 and isinstance(v.item() if hasattr(v, "item") else v, (int, float))
    except (TypeError, ValueError, RuntimeError):  # a ragged list, a tensor on a device numpy cannot read
        return False


def _paths(source) -> bool:
    """A list or tuple of paths, as the CLI takes several: their runs in order."""
    return isinstance(source, (list, tuple)) and bool(source) and all(
        isinstance(p, str) or hasattr(p, "__fspath__") for p in source)


def _numbers(source) -> bool:
    """An array or list of bare numbers (a loss curve with no name)."""
    import numpy as np

    if not isinstance(source, (list, tuple)) and not hasattr(source, "__array__"):
        return False
    try:
        return np.size(source) > 0 and np.asarray(source).dtype.kind in "biuf"
    except (TypeError, ValueError):
        return False


def _flat_table(source: Mapping) -> bool:
    """A dict of equally long lists of numbers, the columns of a table (``{"epoch": [...], "train_score": [...],
    "validation_score": [...]}``): read as that table in a CSV is. Lists of unequal length (validation every k
    epochs), nested splits (``{"train": {...}}``) and Keras' History object keep :meth:`Run.from_history`'s
    alignment."""
    import numpy as np

    lengths = set()
    for v in source.values():
        if isinstance(v, (Mapping, str, bytes)) or not hasattr(v, "__len__"):
            return False
        try:
            if np.ndim(v) != 1:
                return False
        except ValueError:  # ragged (a list of lists of different lengths): _check_lists says so
            return False
        lengths.add(len(v))
    return len(lengths) == 1 and lengths != {0}


def _check_lists(history: Mapping) -> None:
    """Refuse a dict of per-epoch lists that :meth:`Run.from_history` could only misplace: a list of arrays
    (``{"loss": np.array([run1, run2])}`` was read as one curve) or an iterator (read as no values). A list of
    the wrong length is :meth:`Run.from_history`'s to refuse, for a saved History file too."""
    import numpy as np

    if history and all(map(_scalar, history.values())):
        raise UsageTypeError(f"a dict of one value per key ({', '.join(map(str, list(history)[:3]))}) is one epoch, "
                             "no curve (Lightning's trainer.callback_metrics holds the last epoch's): give one list "
                             "per metric, or the run's log (trainer.logger.log_dir)")
    for key, values in history.items():
        if isinstance(values, Iterator):  # (read as no values: "no epochs logged: the history is empty")
            raise UsageTypeError(f"{key!r} is a {type(values).__name__}: give its values as a list, list(values)")
        if isinstance(values, (Mapping, str, bytes)) or not hasattr(values, "__len__"):
            continue
        try:
            shape = np.shape(values)
        except (TypeError, ValueError):  # ragged: a list of lists of different lengths
            shape = (len(values), None)
        if len(shape) > 1:
            raise UsageTypeError(f"{key!r} holds an array of shape {shape}: one number per epoch is a 1-D list; "
                                 f"for several runs, diagnose each ({key!r}: values[i]) or use diagnose_all on a "
                                 "DataFrame with a run column")


def _records(source) -> list | None:
    """A list of per-epoch dicts, as a hand-written loop appends them (``history.append({"epoch": e,
    "train_loss": ..., "val_loss": ...})``) and as its JSON file holds them, or an object whose ``history``
    is one (a skorch net's ``net.history``); else None."""
    rows = source
    if not isinstance(rows, (list, tuple)):
        rows = getattr(source, "history", None)
        if not isinstance(rows, list) or hasattr(source, "__fspath__"):
            return None
    return list(rows) if rows and all(isinstance(r, Mapping) for r in rows) else None


def _diagnose_run(run: Run, metric=None, classes=None, horizon=None, higher_is_better=None, **_ignored):
    from .diagnosis import diagnose_run
    return diagnose_run(run, metric=metric, classes=classes, horizon=horizon, higher_is_better=higher_is_better)


def check_classes(classes) -> None:
    """``classes=`` as the CLI's ``--classes`` takes it (an integer K >= 2), refused before any reading: K = 1
    ended in a ZeroDivisionError deep in the chance level, ``"10"`` in a TypeError there."""
    if classes is not None:
        check_number("classes", classes, integer=True, minimum=2, means="the number of classes K",
                     note="the chance level is ln K, 1/K; leave it None where there are none")


def check_options(options: Mapping) -> None:
    """The keywords every entry point shares, refused before any reading with a line that says what each takes:
    ``metric=3`` ended in a TypeError inside difflib,
    ``forecast(horizon="x")`` in a ValueError, and ``higher_is_better="yes"`` read a loss as a score in silence."""
    import numpy as np

    from .facts import check_horizon

    check_classes(options.get("classes"))
    for key in ("metric", "run_id", "run_column", "experiment"):
        value = options.get(key)
        if value is not None and not isinstance(value, str):
            raise UsageTypeError(f"{key}={value!r}: give the name as a string ({key}='val_loss' is one)"
                                 if key == "metric" else f"{key}={value!r}: give it as a string")
    if options.get("horizon") is not None:
        check_horizon(options["horizon"])
    hib = options.get("higher_is_better")
    if hib is not None and not isinstance(hib, (bool, np.bool_)):
        raise UsageTypeError(f"higher_is_better={hib!r}: True (a score: accuracy), False (a loss) or None "
                             "(read from the metric's name)")
    check_noise_floor(options.get("noise_floor"))
    check_baseline_loss(options.get("baseline_loss"))
    free = options.get("offset_free")
    if free is not None and not isinstance(free, (bool, np.bool_)):
        raise UsageTypeError(f"offset_free={free!r}: True (the loss has no zero point: a Gaussian NLL) or False")


def with_offset_free(runs: list[Run], offset_free) -> list[Run]:
    """``runs`` saying their loss has no zero point (``meta["offset_free"]``, :func:`losslens.facts.offset_free`)
    where ``offset_free`` is True, as ``--offset-free`` does; copies, so a :class:`Run` the caller passed keeps
    its meta."""
    if not offset_free:
        return runs
    return _stating(runs, "offset_free", True)


def check_noise_floor(noise_floor) -> None:
    """``noise_floor=`` as the CLI's ``--noise-floor`` takes it, a finite loss > 0, refused before any reading: a
    floor of 0 or below states nothing the diagnosis could read (no loss is under it), and NaN would pass every
    comparison with it in silence."""
    if noise_floor is not None:
        check_number("noise_floor", noise_floor, above=0, means="the data's noise floor in the loss's units",
                     note="a regression's target noise variance for MSE: noise_floor=0.01")


def with_noise_floor(runs: list[Run], noise_floor) -> list[Run]:
    """``runs`` stating ``noise_floor`` in their meta, as the lab states its own and ``--noise-floor`` does; copies,
    so a :class:`Run` the caller passed keeps its meta."""
    if noise_floor is None:
        return runs
    return _stating(runs, "noise_floor", float(noise_floor))


def check_baseline_loss(baseline_loss) -> None:
    """``baseline_loss=`` as the CLI's ``--baseline-loss`` takes it, a finite loss > 0, refused before any reading:
    no constant prediction scores 0 on targets that vary, and NaN would pass every comparison with it in silence."""
    if baseline_loss is not None:
        check_number("baseline_loss", baseline_loss, above=0,
                     means="the loss of predicting one constant for every input, in the loss's units",
                     note="for MSE the validation targets' variance: baseline_loss=1.0 on standardised targets")


def with_baseline_loss(runs: list[Run], baseline_loss) -> list[Run]:
    """``runs`` stating ``baseline_loss`` in their meta (``meta["baseline_loss"]``, :func:`losslens.facts.
    stated_baseline_loss`), as ``--baseline-loss`` does; copies, so a :class:`Run` the caller passed keeps its meta."""
    if baseline_loss is None:
        return runs
    return _stating(runs, "baseline_loss", float(baseline_loss))


def with_stated(runs: list[Run], options: Mapping) -> list[Run]:
    """``runs`` stating what ``options`` says of the data that no log states (``noise_floor``, ``baseline_loss``,
    ``offset_free``): the one place each entry point states them."""
    return with_offset_free(with_baseline_loss(with_noise_floor(runs, options.get("noise_floor")),
                                               options.get("baseline_loss")), options.get("offset_free"))


def _stating(runs: list[Run], key: str, value) -> list[Run]:
    """Copies of ``runs`` with ``meta[key] = value``, in a copy of the list as it is, a subclass with its attributes
    too: the command line's read_paths result carries the paths that could not be read, and a plain list lost them
    (exit 0 under --noise-floor, and under --offset-free, where one path named did not exist)."""
    import copy
    import dataclasses

    out = copy.copy(runs)
    out[:] = [dataclasses.replace(run, meta={**run.meta, key: value}) for run in runs]
    return out


def diagnose(source: Any, **options):
    check_options(options)
    runs = with_stated(to_runs(source, **options), options)
    if len(runs) != 1:
        raise UsageError(f"holds {len(runs)} runs; use losslens.diagnose_all() or pick one with run_id=",
                         _where(source))
    from .facts import require_ahead

    require_ahead(runs[0], options.get("horizon"), options.get("metric"))
    return _diagnose_run(runs[0], **options)


def diagnose_all(source: Any, **options):
    from .repeats import mark_repeats

    check_options(options)
    out = [_diagnose_run(run, **options) for run in with_stated(to_runs(source, **options), options)]
    mark_repeats(out)  # (each repeat's to_dict() as diagnose --json prints it)
    return out


def forecast(source: Any, horizon=None, metric=None, higher_is_better=None, noise_floor=None, offset_free=None,
             baseline_loss=None, **options):
    from .forecasting import forecast_run
    check_options(dict(options, horizon=horizon, metric=metric, higher_is_better=higher_is_better,
                       noise_floor=noise_floor, offset_free=offset_free, baseline_loss=baseline_loss))
    runs = with_stated(to_runs(source, **options),
                       {"noise_floor": noise_floor, "baseline_loss": baseline_loss, "offset_free": offset_free})
    if len(runs) != 1:
        raise UsageError(f"holds {len(runs)} runs; pick one with run_id=", _where(source))
    from .facts import require_length

    require_length(runs[0], metric)  # as diagnose(): 2 points are too short; forecast_run refuses a horizon inside
    return forecast_run(runs[0], horizon=horizon, metric=metric, higher_is_better=higher_is_better)


def _where(source) -> object:
    """The source as an error names it: a path whole, an object (a DataFrame, a store) by its name."""
    import os

    from .readers.table import is_frame

    if isinstance(source, (str, os.PathLike)):
        return source
    if isinstance(getattr(source, "name", None), str):
        return source.name
    # (printed whole, a DataFrame's error took 15 lines and 831 characters)
    if is_frame(source):
        return f"a DataFrame of {len(source)} rows x {source.shape[1]} columns"
    if isinstance(source, Mapping):
        keys = [str(k) for k in list(source)[:3]]
        return f"a dict ({', '.join(keys)}{', ...' if len(source) > 3 else ''})"
    if isinstance(source, (list, tuple)):
        return f"a {type(source).__name__} of {len(source)}"
    return type(source).__name__


def more_data(train_sizes, scores=None, *, factor: float = 2.0, metric: str | None = None,
              higher_is_better=None, size: str | None = None, curve: str | None = None, greater_is_better=None):
    """Forecast what ``factor`` times the training data does to the validation loss.

    ``train_sizes``: sizes (n_sizes,) with ``scores`` (n_sizes,) or (n_sizes, n_folds), as
    scikit-learn's ``learning_curve`` returns them; or its ``LearningCurveDisplay``; or a path
    to a table of sizes and scores, or that table as a pandas DataFrame (``size``/``metric`` name
    its columns), with ``scores`` None;
    in a table of several curves (a model or dataset column), ``curve`` names one (its ids joined
    by ``/``). ``higher_is_better`` as :func:`diagnose` names it (``greater_is_better``, scikit-learn's name,
    is taken too).
    """
    import os

    from .facts.learning_curve import from_scores

    if higher_is_better is not None and greater_is_better is not None and higher_is_better != greater_is_better:
        raise UsageError("higher_is_better and greater_is_better say different things: give one")
    greater_is_better = greater_is_better if higher_is_better is None else higher_is_better
    from .readers.table import is_frame

    if scores is None and not hasattr(train_sizes, "test_scores") \
            and not isinstance(train_sizes, (str, os.PathLike)) and not is_frame(train_sizes):
        raise UsageTypeError("more_data takes training-set sizes and their validation scores "
                             "(more_data(sizes, scores), as sklearn's learning_curve returns them), a "
                             "LearningCurveDisplay, or a table of them (a path or a DataFrame); "
                             f"got {type(train_sizes).__name__}")

    if scores is None and hasattr(train_sizes, "test_scores") and hasattr(train_sizes, "train_sizes"):
        display = train_sizes  # sklearn.model_selection.LearningCurveDisplay
        lc = from_scores(display.train_sizes, display.test_scores,
                         metric=metric or getattr(display, "score_name", None) or "validation score",
                         greater_is_better=greater_is_better)
        return lc.forecast(factor)
    if scores is None:
        from .readers.learning_curve import read_learning_curve, source_name

        sizes, values, name, repeats = read_learning_curve(train_sizes, size=size, metric=metric, curve=curve)
        lc = from_scores(sizes, values, metric=name, greater_is_better=greater_is_better,
                         source=source_name(train_sizes), repeats=repeats)
    else:
        lc = from_scores(train_sizes, scores, metric=metric or "validation score", greater_is_better=greater_is_better)
    return lc.forecast(factor)
