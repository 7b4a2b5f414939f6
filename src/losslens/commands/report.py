"""CLI commands for the report area (filled in by that feature)."""


def register(app):
    pass
