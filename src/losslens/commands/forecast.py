"""CLI commands for the forecast area (filled in by that feature)."""


def register(app):
    pass
