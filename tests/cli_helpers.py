"""The CLI as the bad-input tests call it: in process, any traceback a failure (one line and an exit code is the
contract), and the md5 they compare an input file's bytes by before and after."""
from __future__ import annotations

import hashlib
from pathlib import Path

from typer.testing import CliRunner

from losslens.cli import app

runner = CliRunner()


def run_cli(*args):
    """``losslens ARGS`` in process; fails the test on a traceback (an exception other than the exit)."""
    res = runner.invoke(app, [str(a) for a in args], catch_exceptions=True)
    assert res.exception is None or isinstance(res.exception, SystemExit), (
        f"traceback: {type(res.exception).__name__}: {res.exception}")
    return res


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()
