"""The bad-input contract, per reader: corrupted copies of real logs (committed fixtures, written by
the libraries themselves) end in one line naming the file and the problem, exit code 2 (or are
read correctly, with a warning where something was left out); never a traceback, never a changed
input file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import losslens
from losslens.cli import app
from losslens.exceptions import LosslensError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
runner = CliRunner()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cli(*args):
    res = runner.invoke(app, [str(a) for a in args], catch_exceptions=True)
    assert res.exception is None or isinstance(res.exception, SystemExit), (
        f"traceback: {type(res.exception).__name__}: {res.exception}")
    return res


def _refused(path: Path, *words: str):
    """Every command: exit 2, one line on stderr naming the file and the problem; the file unchanged."""
    before = _sha(path)
    for cmd in (["diagnose"], ["diagnose", "--json"], ["forecast"], ["report", "-o", path.parent / "r.html"]):
        res = _cli(*cmd, path)
        err = res.stderr.strip()
        assert res.exit_code == 2, (cmd, res.exit_code, res.output)
        assert "\n" not in err and str(path) in err, err
        for w in words:
            assert w in err, err
    for call in (lambda: losslens.diagnose(path), lambda: losslens.forecast(path, horizon=1000)):
        with pytest.raises(LosslensError):
            call()
    assert _sha(path) == before


def test_huge_values_in_a_keras_history_are_read_not_a_traceback(tmp_path):
    # Every value 1e300 (a blown-up run): K's inference took exp(1e300) -> OverflowError traceback.
    hist = json.loads((FIXTURES / "logs" / "keras_history.json").read_text())
    huge = {k: [1e300] * len(v) for k, v in hist.items()}
    path = tmp_path / "keras_history.json"
    path.write_text(json.dumps(huge))
    before = _sha(path)
    for cmd in (["diagnose"], ["diagnose", "--json"], ["forecast"], ["report", "-o", tmp_path / "r.html"]):
        res = _cli(*cmd, path)
        assert res.exit_code == 0, (cmd, res.output)
    assert losslens.diagnose(path).verdict
    assert _sha(path) == before
