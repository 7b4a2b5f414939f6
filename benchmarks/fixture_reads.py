"""Diagnose every committed fixture and example file and folder (``diagnose --json``) and write one JSON line per file:
its exit code, stdout and stderr. Run it on two source trees and diff the outputs to show a reader change
leaves every committed file reading as before:

    mkdir -p /tmp/old && git archive HEAD src | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old/src:. python -m benchmarks.fixture_reads --out old.jsonl
    PYTHONPATH=src:. python -m benchmarks.fixture_reads --out new.jsonl
    python -m benchmarks.fixture_reads --diff old.jsonl new.jsonl
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from benchmarks.fuzz import fixtures


class _Stderr(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


def folders() -> list[Path]:
    """The fixture folders (each read as a folder is: a run's files together, or a sweep)."""
    from benchmarks.fuzz import ROOTS

    return sorted(d for root in ROOTS for d in root.rglob("*") if d.is_dir() and "__pycache__" not in d.parts)


def read_all(out: Path) -> None:
    from typer.testing import CliRunner

    from losslens.cli import app

    logger = logging.getLogger("losslens")
    with out.open("w") as f:
        for path in fixtures() + folders():
            handler = _Stderr()
            logger.addHandler(handler)
            logger.propagate = False
            try:
                res = CliRunner().invoke(app, ["diagnose", "--json", str(path)], catch_exceptions=True)
            finally:
                logger.removeHandler(handler)
            exc = res.exception if not isinstance(res.exception, SystemExit) else None
            f.write(json.dumps({"path": str(path), "rc": res.exit_code, "stdout": res.stdout,
                                "stderr": res.stderr, "log": handler.lines,
                                "exception": repr(exc) if exc else None}) + "\n")
            f.flush()


def diff(a: Path, b: Path) -> int:
    old = {r["path"]: r for r in map(json.loads, a.open())}
    new = {r["path"]: r for r in map(json.loads, b.open())}
    both = sorted(set(old) & set(new))
    changed = [p for p in both if any(old[p][k] != new[p][k] for k in ("rc", "stdout", "stderr", "log"))]
    for p in changed:
        print(f"changed: {p} (exit {old[p]['rc']} -> {new[p]['rc']})")
        for k in ("stderr", "log"):
            if old[p][k] != new[p][k]:
                print(f"  {k}: {str(old[p][k])[:300]!r} -> {str(new[p][k])[:300]!r}")
    print(f"{len(both)} files in both, {len(changed)} read differently; only old: {len(set(old) - set(new))}, "
          f"only new: {len(set(new) - set(old))}")
    return 1 if changed else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path)
    ap.add_argument("--diff", nargs=2, type=Path, metavar=("OLD", "NEW"))
    args = ap.parse_args(argv)
    if args.diff:
        return diff(*args.diff)
    read_all(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
