"""losslens: why did my training and validation loss plateau after X epochs, and what should I do?

    >>> import losslens
    >>> d = losslens.diagnose("training.log")        # a file, a dict of lists, a DataFrame or a Run
    >>> print(d)                                      # verdict and X, evidence, actions
    >>> d.to_dict()                                   # the losslens.diagnosis/1 JSON schema
    >>> print(losslens.forecast("training.log"))      # where the curve is heading, in a sentence
    >>> print(losslens.more_data(sizes, val_scores))  # would 2x the data help? (a learning curve)
    >>> print(losslens.verify(train))                 # retrain with each cause's counterfactual

Importing losslens imports no deep-learning framework; integrations import theirs when used.
"""

from .exceptions import (CallbackFailureWarning, EmptyRunError, LosslensError, LosslensWarning, MissingExtraError,
                         MonitorError, NoLossError, ReadError, RunNotFoundError, UnknownFormatError,
                         UsageError, UsageTypeError)
from .result import CAUSES, Cause, Diagnosis, Plateau
from .run import Run

__version__ = "0.1.0"

__all__ = ["diagnose", "diagnose_all", "read", "Run", "Diagnosis", "Cause", "Plateau", "CAUSES",
           "LosslensError", "ReadError", "UnknownFormatError", "NoLossError", "RunNotFoundError", "EmptyRunError",
           "MissingExtraError", "MonitorError", "UsageError", "UsageTypeError", "LosslensWarning", "CallbackFailureWarning", "forecast", "more_data", "verify",
           "compare", "baseline_loss"]


def read(source, *, columns=None, run_column=None, run_id=None, experiment=None, metric=None) -> list[Run]:
    """Read every run in ``source``: a path (str or os.PathLike), a directory or a URI
    (``tb:LOGDIR``, ``mlflow:...``, ``wandb:RUN_DIR``), or a list of them; a list of :class:`Run`; or a dict of
    runs named by its keys (``{"lr3e-4": history_a, "lr3e-3": "runs/b.csv"}``: each value anything :func:`diagnose`
    reads), each run named by its key. The keywords are :func:`losslens.readers.read`'s
    (``columns={"val_loss": "my_dev_ce"}``, ``run_id=``, ...)."""
    from .api import check_options, named_runs, to_runs
    from .readers import read as _read

    check_options({"columns": columns, "run_column": run_column, "run_id": run_id, "experiment": experiment,
                   "metric": metric})
    if isinstance(source, dict) and named_runs(source) is not None:
        return to_runs(source, columns=columns, run_column=run_column, run_id=run_id, experiment=experiment,
                       metric=metric)
    return _read(source, columns=columns, run_column=run_column, run_id=run_id, experiment=experiment, metric=metric)


def diagnose(source, *, metric: str | None = None, classes: int | None = None, horizon: float | None = None,
             higher_is_better: bool | None = None, columns=None, run_column=None, run_id: str | None = None,
             experiment: str | None = None, noise_floor: float | None = None,
             offset_free: bool = False, baseline_loss: float | None = None) -> Diagnosis:
    """Diagnose one run: why its curve plateaued at X, and what to do.

    Parameters
    ----------
    source : path, History, dict, list of dicts, DataFrame, Run or fitted estimator
        A log file or directory (str or os.PathLike; format detected from the content) or a store URI,
        a Keras ``History`` or its ``.history`` dict of per-epoch lists, a list of per-epoch dicts, a pandas
        DataFrame (``pd.read_csv`` of a CSVLogger log or Lightning ``metrics.csv``) or a Series named for its
        curve (``"val_loss"``), a numpy record array (``np.genfromtxt(log, names=True)``), a :class:`Run`, or a
        fitted scikit-learn MLP or gradient-boosting model. A bare array of numbers is refused: name it,
        ``{"val_loss": values}``.
    metric : str, optional
        The series to diagnose (``"val_loss"``, ``"train_loss"``, ``"val_acc"``, any logged column);
        default ``val_loss``, else ``train_loss``.
    classes : int >= 2, optional
        The number of classes K: the chance level (ln K, 1/K) a classifier's loss is read against.
    horizon : float, optional
        Forecast to this epoch (or step: the log's axis units), after the last logged one; default the
        planned end the log states (``run.meta["planned_end"]``) where the run has not reached it, else
        twice the logged length.
    higher_is_better : bool, optional
        Whether ``metric`` is a score; default from its name (a loss where the name does not say).
    columns : dict, optional
        Column overrides ``{canonical name: column}`` (``{"val_loss": "my_dev_ce"}``).
    run_column, run_id, experiment : optional
        Which run of a source holding several (a long-format file, a folder, an MLflow store).
    noise_floor : float > 0, optional
        The data's noise floor where you know it, in the loss's units (for MSE, the targets' noise variance:
        ``0.01`` for noise of sd 0.1), as the CLI's ``--noise-floor``: no model goes lower, so a converged
        validation loss within 1.25x of it is read as at the floor ("less noisy targets") and the chart draws it.
        Stated in the diagnosed run's ``meta["noise_floor"]`` (a :class:`Run` passed in is copied, not changed);
        default the floor the run states itself (the lab's runs do), else none. 0, a negative number or NaN
        raises :class:`UsageError` (a ValueError).
    baseline_loss : float > 0, optional
        The loss of predicting one constant for every input, in the loss's units, where no class count states it
        (a regression: for MSE the validation targets' variance, 1.0 on standardised targets; for MAE their mean
        absolute deviation from the median), as the CLI's ``--baseline-loss``: a validation loss never clearly
        below it while training fell is read ``no_signal``, training pinned at it ``stuck_at_init``; quoted in the
        evidence, drawn on the chart. Stated in the run's ``meta["baseline_loss"]`` (a :class:`Run` passed in is
        copied); the callbacks take it as their own ``baseline_loss=`` (none computes it from the targets: state
        it). 0, a negative number or NaN raises :class:`UsageError`.
    offset_free : bool, optional
        The loss has no zero point (a Gaussian NLL, a continuous ELBO: other units for the target add a constant to
        every value), as the CLI's ``--offset-free``: 0 is no floor, so the forecast is not held above it and its
        interval is weighed against the curve's improvement. Read so without it where the run's training or
        validation loss went below 0; a positive Gaussian NLL only this can tell from a loss bounded by 0.

    Returns
    -------
    Diagnosis
        ``verdict``, ``plateau_epoch`` (X, in the log's axis units, counted from 0 as Keras' History is),
        ``plateau_interval`` (both None where the curve has not plateaued: ``still_improving`` ...), ``causes`` with evidence and actions; ``print(d)`` for the text,
        ``d.to_dict()`` for the JSON schema.

    Raises
    ------
    LosslensError
        The source cannot be read or diagnosed (one line naming it and the problem); a source of several
        runs raises :class:`UsageError` (a ValueError): use :func:`diagnose_all` or ``run_id=``.

    Examples
    --------
    A History's dict of per-epoch lists (``history = model.fit(...)``: pass ``history`` itself alike, a DataFrame or a
    log's path):

    >>> import losslens
    >>> d = losslens.diagnose({"loss": [1.0, 0.62, 0.45, 0.36, 0.31, 0.27, 0.24, 0.22, 0.2, 0.19, 0.18, 0.17],
    ...                        "val_loss": [1.02, 0.66, 0.5, 0.43, 0.4, 0.39, 0.385, 0.39, 0.4, 0.41, 0.425, 0.44]})
    >>> d.verdict, d.plateau_epoch
    ('overfitting', 4)
    >>> print(d)  # doctest: +ELLIPSIS
    run: overfitting ...

    Several runs, named by their keys: ``losslens.diagnose_all({"lr3e-4": history_a, "lr3e-3": history_b})``.
    """
    from .api import diagnose as _diagnose
    return _diagnose(source, metric=metric, classes=classes, horizon=horizon, higher_is_better=higher_is_better,
                     columns=columns, run_column=run_column, run_id=run_id, experiment=experiment,
                     noise_floor=noise_floor, offset_free=offset_free, baseline_loss=baseline_loss)


def diagnose_all(source, *, metric: str | None = None, classes: int | None = None, horizon: float | None = None,
                 higher_is_better: bool | None = None, columns=None, run_column=None, run_id: str | None = None,
                 experiment: str | None = None, noise_floor: float | None = None,
                 offset_free: bool = False, baseline_loss: float | None = None) -> list[Diagnosis]:
    """Diagnose every run in ``source`` (a long-format file or a directory can hold many; a list of paths
    is read path by path); the keywords are :func:`diagnose`'s. A list of :class:`Diagnosis`; where runs are
    repeats of one setting (folds, seeds: :mod:`losslens.repeats`), each one's ``repeats`` holds what they read
    together, as ``diagnose --json`` prints it."""
    from .api import diagnose_all as _diagnose_all
    return _diagnose_all(source, metric=metric, classes=classes, horizon=horizon, higher_is_better=higher_is_better,
                         columns=columns, run_column=run_column, run_id=run_id, experiment=experiment,
                         noise_floor=noise_floor, offset_free=offset_free, baseline_loss=baseline_loss)


def forecast(source, horizon: float | None = None, *, metric: str | None = None,
             higher_is_better: bool | None = None, columns=None, run_column=None, run_id: str | None = None,
             experiment: str | None = None, noise_floor: float | None = None, offset_free: bool = False,
             baseline_loss: float | None = None):
    """Forecast where the run's curve is heading, to ``horizon`` (the log's axis units, epochs or steps;
    default the planned end the log states where the run has not reached it, else twice the logged
    length). ``source`` and the keywords are :func:`diagnose`'s (all but ``classes``, which no forecast reads;
    ``noise_floor``, in the loss's units, holds a loss's forecast: beyond the last point the value and the
    interval's top go no lower than the lower of the floor and the curve's recent lowest, so ``p_improve`` and
    ``gain`` follow, and ``to_dict()`` carries a ``noise_floor`` key where it held the value
    (``forecasting._held_at``; not where the curve already sits under floor / ``facts.NOISE_FLOOR_NEAR``, 1.25:
    a floor it contradicts); the forecast's chart draws it). A
    :class:`~losslens.forecasting.Forecast` (``value``, 90% ``interval``, ``p_improve``, ``to_dict()``; ``print()``
    writes it as a sentence); a run whose losses never had a finite value gets one withheld (``withheld``
    ``"diverged"``, ``value`` NaN), as ``diagnose`` reads it diverged, not an error. ``offset_free``: the loss has no
    zero point, so the forecast is not held above 0 (:func:`diagnose`'s). ``baseline_loss``: stated on the run
    (:func:`diagnose`'s); the forecast itself does not read it."""
    from .api import forecast as _forecast
    return _forecast(source, horizon=horizon, metric=metric, higher_is_better=higher_is_better, columns=columns,
                     run_column=run_column, run_id=run_id, experiment=experiment, noise_floor=noise_floor,
                     offset_free=offset_free, baseline_loss=baseline_loss)


def more_data(train_sizes, scores=None, *, factor: float = 2.0, metric: str | None = None,
              higher_is_better: bool | None = None, size: str | None = None, curve: str | None = None,
              greater_is_better: bool | None = None):
    """Would more data help? Forecast the validation loss with ``factor`` times the training set from a
    learning curve.

    Parameters
    ----------
    train_sizes : array (n_sizes,), LearningCurveDisplay, or path
        Training-set sizes (samples), increasing, as scikit-learn's ``learning_curve`` returns them; or its
        ``LearningCurveDisplay``; or a path to a table of sizes and scores (``scores`` None).
    scores : array (n_sizes,) or (n_sizes, n_folds), optional
        The validation score or loss at each size (``learning_curve``'s ``test_scores``).
    factor : float > 1
        Times the largest training set to forecast at (2: twice the data).
    metric, size : str, optional
        The score's name (its direction read from it: ``val_loss``, ``accuracy``); in a table, its column and
        the size's column.
    higher_is_better : bool, optional
        Whether the score rises as the model gets better; default from ``metric``, else from the curve.
        ``greater_is_better`` (scikit-learn's name) is taken too.
    curve : str, optional
        Which curve of a table holding several (its ids joined by ``/``).

    Returns
    -------
    DataForecast
        ``value`` and 90% ``interval`` at ``factor`` x the data, ``gain``, ``p_gain``, ``data_limited``;
        ``print()`` writes it as a sentence, ``to_dict()`` as JSON. See :mod:`losslens.facts.learning_curve`.
    """
    from .api import more_data as _more_data
    return _more_data(train_sizes, scores, factor=factor, metric=metric, higher_is_better=higher_is_better,
                      size=size, curve=curve, greater_is_better=greater_is_better)


def baseline_loss(y, loss: str = "mse") -> float:
    """The loss of the best constant prediction for targets ``y`` (array-like, shape (n,) or (n, d)): a regression's
    "learned nothing", to state as ``baseline_loss=`` where a callback never sees the targets (Keras, PyTorch).
    ``loss``: ``"mse"`` the variance (per-output mean; targets' units squared), ``"mae"`` the mean absolute
    deviation from the median (targets' units), ``"bce"`` / ``"crossentropy"`` for labels the entropy of the label
    frequencies (nats). Give the validation targets. A float; one-line :class:`UsageError` for an unknown loss, an
    empty ``y`` or a NaN target. See :func:`losslens.baseline.baseline_loss`."""
    from .baseline import baseline_loss as _baseline_loss
    return _baseline_loss(y, loss)


def verify(train, *, baseline=None, causes=None, seeds=None, metric: str | None = None,
           classes: int | None = None, progress: bool | None = None, noise_floor: float | None = None,
           baseline_loss: float | None = None, offset_free: bool = False):
    """Diagnose ``train()``'s run, then retrain it with each cause's counterfactual (lr/10,
    lr x10, twice the epochs, half or twice the data, a smaller or bigger model, shuffled
    labels) and say whether the prediction held.

    ``train(**change)`` takes the keywords verify varies (``lr_factor``, ``epochs_factor``, ``size_factor``,
    ``data_factor``, ``shuffle_labels``, ``decay_factor``, ``dropout_factor``, ``from_epoch``, ``class_weight``;
    ``seed`` with ``seeds``) and returns what :func:`diagnose` reads. ``baseline``: the run to compare with
    (default: ``train()``); ``causes``: the causes to check (default: the verdict and the likely ones); ``seeds``: a
    list of ints; ``metric``, ``classes``, ``noise_floor``, ``baseline_loss``: :func:`diagnose`'s (the last two
    stated on the baseline's run and every retraining's); ``offset_free=True``: the loss has no zero point, each bar a
    share of the baseline's own improvement (implied by a loss below 0); ``progress``: a bar on stderr (default: when it is a
    terminal).
    A :class:`~losslens.verification.Verification` (``confirmed``, ``holds(cause)``, ``results``, ``to_dict()``);
    every option in :func:`losslens.verification.verify`."""
    from .verification import verify as _verify
    return _verify(train, baseline=baseline, causes=causes, seeds=seeds, metric=metric, classes=classes,
                   progress=progress, noise_floor=noise_floor, baseline_loss=baseline_loss, offset_free=offset_free)


def compare(before, after, *, change=None, metric: str | None = None, classes: int | None = None,
            same_task: bool = False, offset_free: bool = False):
    """Did the change made between two runs do what ``before``'s diagnosis predicted? :func:`verify` from logs,
    for runs trained elsewhere: ``before`` (the run that plateaued) and ``after`` (the run after the change), each
    anything :func:`diagnose` reads, or a list of runs of one setting (their means are compared).

    ``change``: what changed, in verify's keywords (``{"lr_factor": 0.1}``; ``epochs_factor``, ``size_factor``,
    ``data_factor``, ``decay_factor``, ``dropout_factor``, ``shuffle_labels``); default: read from the settings the
    loggers saved (hparams.yaml, a W&B config, MLflow params, a Trainer's state), else an epoch budget from the
    logged lengths.
    ``metric``, ``classes``: :func:`diagnose`'s. ``same_task=True``: the two are runs of one task, compared where
    the logs suggest two (an accuracy logged on one side only, validation sets of different sizes, a saved dataset
    that differs), said in a note. ``offset_free=True``: the loss has no zero point (implied by a loss below 0),
    each bar and move a share of BEFORE's own improvement, not of its level. A :class:`~losslens.comparison.Comparison` (``confirmed``,
    ``holds(cause)``, ``results``, ``after``, ``change``, ``to_dict()``); see
    :func:`losslens.comparison.compare`."""
    from .comparison import compare as _compare
    return _compare(before, after, change=change, metric=metric, classes=classes, same_task=same_task,
                    offset_free=offset_free)
