"""The CLI as the bad-input tests call it: in process, any traceback a failure (one line and an exit code is the
contract), the md5 they compare an input file's bytes by before and after, and the refusal both ask of a file."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import losslens
from losslens.cli import app
from losslens.exceptions import LosslensError

runner = CliRunner()


def run_cli(*args):
    """``losslens ARGS`` in process; fails the test on a traceback (an exception other than the exit)."""
    res = runner.invoke(app, [str(a) for a in args], catch_exceptions=True)
    assert res.exception is None or isinstance(res.exception, SystemExit), (
        f"traceback: {type(res.exception).__name__}: {res.exception}")
    return res


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def refused(path: Path, *words: str) -> str:
    """Assert ``losslens diagnose [--json] PATH`` and ``losslens.diagnose(PATH)`` refuse ``path`` in one line, exit 2,
    naming it and each of ``words``, and leave its bytes unchanged; the line."""
    before = md5(path)
    for cmd in (["diagnose"], ["diagnose", "--json"]):
        res = run_cli(*cmd, path)
        err = res.stderr.strip()
        assert res.exit_code == 2, (cmd, res.exit_code, res.output)
        assert "\n" not in err and err.startswith(f"losslens: {path}: "), err
        for w in words:
            assert w in err, err
    with pytest.raises(LosslensError):
        losslens.diagnose(path)
    assert md5(path) == before
    return err
