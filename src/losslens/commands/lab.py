"""CLI commands for the lab area (filled in by that feature)."""


def register(app):
    pass
