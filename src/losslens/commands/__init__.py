"""CLI commands by feature area: each module defines ``register(app)``.

Modules here must import only typer and the standard library at module level; everything
heavy is imported inside the command function so that ``losslens diagnose`` stays fast.
"""

from importlib import import_module

MODULES = ("lab", "report", "forecast", "data", "verify", "compare", "watch", "bench")


def register_all(app):
    for name in MODULES:
        module = import_module(f"{__name__}.{name}")
        module.register(app)
