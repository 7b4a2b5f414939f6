"""CLI commands for the bench area (filled in by that feature)."""


def register(app):
    pass
