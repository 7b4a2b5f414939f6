"""losslens: why did my training and validation loss plateau after X epochs, and what should I do?

    >>> import losslens
    >>> d = losslens.diagnose("training.log")        # a file, a dict of lists, a DataFrame or a Run
    >>> print(d)                                      # verdict and X, evidence, actions
    >>> d.to_dict()                                   # the losslens.diagnosis/1 JSON schema
    >>> print(losslens.more_data(sizes, val_scores))  # would 2x the data help? (a learning curve)
    >>> print(losslens.verify(train))                 # retrain with each cause's counterfactual

Importing losslens imports no deep-learning framework; integrations import theirs when used.
"""

from .exceptions import (EmptyRunError, LosslensError, NoLossError, ReadError, RunNotFoundError,
                         UnknownFormatError, UsageError)
from .result import CAUSES, Cause, Diagnosis, Plateau
from .run import Run

__version__ = "0.1.0"

__all__ = ["diagnose", "diagnose_all", "read", "Run", "Diagnosis", "Cause", "Plateau", "CAUSES",
           "LosslensError", "ReadError", "UnknownFormatError", "NoLossError", "RunNotFoundError", "EmptyRunError",
           "UsageError", "forecast", "more_data", "verify"]


def read(source, **options) -> list[Run]:
    """Read every run in ``source`` (a path, directory or URI): a list of :class:`Run`."""
    from .readers import read as _read
    return _read(source, **options)


def diagnose(source, **options) -> Diagnosis:
    """Diagnose one run: a path, a Keras History (or its ``.history`` dict), a DataFrame or a Run.

    Options: ``metric`` (series to diagnose; default ``val_loss`` else ``train_loss``),
    ``classes`` (number of classes K, for the chance level), ``horizon`` (forecast horizon
    in axis units; default the planned end the log states, ``run.meta["planned_end"]``, where the run has
    not reached it, else twice the logged length), ``columns`` (column overrides for files). A file holding several runs
    raises ValueError: use :func:`diagnose_all`.
    """
    from .api import diagnose as _diagnose
    return _diagnose(source, **options)


def diagnose_all(source, **options) -> list[Diagnosis]:
    """Diagnose every run in ``source`` (a long-format file or directory can hold many)."""
    from .api import diagnose_all as _diagnose_all
    return _diagnose_all(source, **options)


def forecast(source, horizon=None, **options):
    """Forecast where the run's curve is heading, to ``horizon`` (axis units; default the planned end the
    log states where the run has not reached it, else twice the logged length); see :mod:`losslens.forecasting`."""
    from .api import forecast as _forecast
    return _forecast(source, horizon=horizon, **options)


def more_data(train_sizes, scores=None, *, factor: float = 2.0, **options):
    """Would more data help? Forecast the validation loss with ``factor`` times the training set
    from a learning curve: sizes and scores as scikit-learn's ``learning_curve`` returns them, or a
    path to a table of them. A :class:`~losslens.facts.learning_curve.DataForecast` (value,
    90% interval, gain, ``p_gain``, ``data_limited``); see :mod:`losslens.facts.learning_curve`."""
    from .api import more_data as _more_data
    return _more_data(train_sizes, scores, factor=factor, **options)


def verify(train, **options):
    """Diagnose ``train()``'s run, then retrain it with each cause's counterfactual (lr/10,
    lr x10, twice the epochs, half or twice the data, a smaller or bigger model, shuffled
    labels) and say whether the prediction held; see :mod:`losslens.verification`."""
    from .verification import verify as _verify
    return _verify(train, **options)
