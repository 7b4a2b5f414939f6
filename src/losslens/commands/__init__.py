"""CLI commands by feature area: each module defines ``register(app)``.

Modules here must import only typer and the standard library at module level; everything
heavy is imported inside the command function so that ``losslens diagnose`` stays fast.
"""

import contextlib
import logging
from importlib import import_module

MODULES = ("lab", "report", "forecast", "data", "verify", "compare", "watch", "bench")


def register_all(app):
    for name in MODULES:
        module = import_module(f"{__name__}.{name}")
        module.register(app)


@contextlib.contextmanager
def held_warnings():
    """The ``losslens`` logger's records at WARNING and above (the readers' warnings) kept in the list this yields,
    off stderr, for the duration; ``logging.getLogger("losslens").handle(record)`` says one afterwards as it would
    have been said."""
    records: list = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger, keep = logging.getLogger("losslens"), Keep(logging.WARNING)
    propagate, logger.propagate = logger.propagate, False
    logger.addHandler(keep)
    try:
        yield records
    finally:
        logger.removeHandler(keep)
        logger.propagate = propagate
