"""Errors a user can catch. Every one carries a one-line message naming the source and the problem.

The CLI turns any :class:`LosslensError` into that one line on stderr and exit code 2.
"""

import re
from pathlib import Path

#: What ends a line for a terminal or ``str.splitlines`` (\x1c-\x1e, \x85, \u2028), or moves its cursor (\x1b):
#: never raw in an error or warning line. A message quotes the file's column names, and a damaged file's names
#: (and a file's own name) hold any byte.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(message: str) -> str:
    """``message`` with every character that would break or colour the line written as its escape (``\\x1c``)."""
    return _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], message)


#: The losslens package: a frame whose file lies under it is losslens's own code.
_PACKAGE = Path(__file__).resolve().parent


def _frames(exc: BaseException) -> list:
    """The frames ``exc`` passed through, from where it was caught down to where it was raised."""
    frames, tb = [], exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


def raised_in(exc: BaseException, library: str) -> bool:
    """Whether ``exc`` was raised inside ``library`` (a package name: ``"mlflow"``), below the last losslens code it
    passed through: MLflow's parse of a damaged ``meta.yaml`` (PyYAML's ScannerError, called by MLflow), which is
    bad input, not a ``TypeError`` in losslens's own reading of what MLflow returned, which is a bug."""
    names = [f.f_globals.get("__name__") or "" for f in _frames(exc)]
    ours = [i for i, name in enumerate(names) if name == "losslens" or name.startswith("losslens.")]
    below = names[ours[-1] + 1:] if ours else names
    return any(name == library or name.startswith(library + ".") for name in below)


class LosslensError(Exception):
    """Base class: a problem with the user's input, not a bug in losslens."""

    def __init__(self, message: str, source: object | None = None):
        self.source = None if source is None else str(source)
        self.problem = message
        super().__init__(f"{self.source}: {message}" if self.source else message)


class ReadError(LosslensError):
    """The file or store could not be read (missing, empty, truncated, unreadable JSON ...)."""


class MissingExtraError(ReadError, ImportError):
    """An optional package that what was asked needs is not installed: a source losslens reads only with it
    (a TensorBoard log), or a callback's framework (``import losslens.integrations.keras`` without Keras). The
    message names the extra to install (``pip install 'losslens[tensorboard]'``). Also an :class:`ImportError`,
    as the callbacks' imports raised before, so ``except ImportError`` still catches it."""

    @property
    def extra(self) -> str | None:
        """The extra the message names (``tensorboard``), None where it names none."""
        import re

        found = re.search(r"losslens\[([\w-]+)\]", self.problem)
        return found.group(1) if found else None


#: The torch every "pip install" line losslens prints pins: the CPU build (an unpinned ``pip install torch`` is a
#: multi-GB CUDA build). The README and docs write it out; pyproject's extras stay unpinned.
TORCH_PIN = "torch==2.13.0"


def import_framework(module: str, needs: str):
    """``module`` (``"torch"``, ``"pytorch_lightning.callbacks"``) imported; where its package is not installed, a
    :class:`MissingExtraError` saying ``needs`` (the extra to install). A module the package itself
    imports that is missing is raised as it is: the framework is there, a part of it is not (Keras without its
    backend: set KERAS_BACKEND to torch, jax or tensorflow)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
        if exc.name != module.partition(".")[0]:
            raise
        raise MissingExtraError(needs) from exc


class UnknownFormatError(ReadError):
    """The content matches none of the formats losslens reads."""


class NoLossError(ReadError):
    """The source has no column losslens can use as a loss (name one with ``metric=``)."""


class RunNotFoundError(ReadError):
    """The source holds no run with the id or name asked for (``run_id=``, ``--run``)."""


class EmptyRunError(LosslensError):
    """The run has no finite values for the metric to diagnose."""


class UsageError(LosslensError, ValueError):
    """A call losslens cannot answer as asked: a source of several runs given to ``diagnose()`` or
    ``forecast()`` (pick one with ``run_id=``), a forecast horizon not after the last logged point, a parameter
    out of its range (``ForecastStopping(min_gain=-1)``). Also a :class:`ValueError`, as these were before, so
    ``except ValueError`` still catches them. Every deliberate refusal of losslens's is a :class:`LosslensError`:
    a bare ``ValueError`` or ``TypeError`` out of losslens is a bug (the CLI's exit 3), never the user's input."""


class MonitorError(UsageError, RuntimeError):
    """A callback's ``monitor`` names a series the run does not log (``"val_los"``), raised by the Lightning callback
    where that monitor decides what it does, as Lightning's own ``EarlyStopping`` raises a ``RuntimeError`` for a
    monitor it cannot find (``strict=False`` turns it into a warning). Also a :class:`RuntimeError`, as Lightning's."""


class UsageTypeError(UsageError, TypeError):
    """A :class:`UsageError` about what kind of value was given (``read(3.5)``, a ``train`` that returns a
    string): also a :class:`TypeError`, as these were before."""


class NotARunError(UsageTypeError):
    """A value that is no kind of run at all (a number, ``None``, an object of no kind losslens reads): the last
    refusal of ``losslens.diagnose``'s reading, after the specific ones (bare numbers, a Keras model, an
    iterator) have said what the value is and how to give it."""


class LosslensWarning(UserWarning):
    """Base class of the warnings losslens issues (the live callbacks' advice about how a run is set up), so
    that one filter takes them all: ``warnings.filterwarnings("ignore", category=losslens.LosslensWarning)``.
    (A log read in part, a cut-off last line, NaN: one line on the ``losslens`` logger, as the CLI prints it.)"""


class CallbackFailureWarning(LosslensWarning, RuntimeWarning):
    """A live callback's own step failed (reading the weight penalty, a gradient probe ...): training goes on
    without it. Also a :class:`RuntimeWarning`, as it was before, so a filter on that still takes it."""


def _said_number(name, value, integer, minimum, above, below, allow_inf, means, note) -> str:
    # Built only on refusal: check_number runs on every forecast and every watched epoch.
    kind = "an integer" if integer else "a number" if allow_inf else "a finite number"
    bounds = [f"{op} {bound:g}" for op, bound in ((">=", minimum), (">", above), ("<", below)) if bound is not None]
    said = f"{name}={value!r}: {means + ', ' if means else ''}{kind}{' ' if bounds else ''}{' and '.join(bounds)}"
    return said + (f" ({note})" if note else "")


def check_number(name: str, value, *, integer: bool = False, minimum=None, above=None, below=None,
                 allow_inf: bool = False, means: str = "", note: str = ""):
    """``value`` as the parameter ``name`` takes it, returned unchanged; refused otherwise with one line that says
    what it takes (scikit-learn's ``check_scalar`` in losslens's words): ``dpi='300': dots per inch, a finite number
    > 0 (dpi=150)``.

    Parameters
    ----------
    name : str
        The parameter's name as the user spells it (``horizon``, ``validation_freq``).
    value : object
        What was given. A bool is no number here (``True`` is 1 to Python, never what was meant).
    integer : bool
        An integer only (``numbers.Integral``: int, numpy's integers), else any real number.
    minimum, above, below : float or None
        ``value >= minimum``, ``value > above``, ``value < below``; None: no bound.
    allow_inf : bool
        Whether ±inf passes the kind check (the bounds still apply); NaN never does.
    means, note : str
        What the parameter is, said before the kind (``dots per inch``), and after it in parentheses (``dpi=150``).

    Raises
    ------
    UsageTypeError
        ``value`` is not a number (an integer where ``integer``): ``horizon="200"``.
    UsageError
        A number outside the bounds, NaN, or ±inf without ``allow_inf``: ``validation_freq=0``, ``dpi=-1``.
    """
    import math
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral if integer else numbers.Real):
        raise UsageTypeError(_said_number(name, value, integer, minimum, above, below, allow_inf, means, note))
    if (math.isnan(value) or (not allow_inf and math.isinf(value))
            or (minimum is not None and value < minimum) or (above is not None and value <= above)
            or (below is not None and value >= below)):
        raise UsageError(_said_number(name, value, integer, minimum, above, below, allow_inf, means, note))
    return value
