"""Fuzz every reader through the command line: corrupted copies of every committed fixture log.

    python -m benchmarks.fuzz                      # the full sweep: every fixture x every mutation
    python -m benchmarks.fuzz --cases 500 --seed 3 # a seeded sample
    python -m benchmarks.fuzz --commands diagnose,forecast,report,plot
    python -m benchmarks.fuzz --untried --cases 2500 --seed 11 --log s11.jsonl  # pairs no sample drew yet
    python -m benchmarks.fuzz --untried --cases 2500 --seed 11 --log s11.jsonl --resume  # go on from its log

Each case copies one fixture (``tests/fixtures/**``, ``src/losslens/examples/*``) into a folder of its
own, damages it (a cut at a random byte, flipped bytes, a header column dropped / doubled / renamed, NaN,
inf, ``1e999``, a unicode minus or a decimal comma in a cell, ``;`` or tab for ``,``, UTF-16 / UTF-8-BOM,
CRLF, gzip, a zero-byte file, a folder of mixed garbage, a symlink loop, a huge line, an unreadable
file) and runs ``losslens`` on it in-process (typer's ``CliRunner``). The contract checked
(:func:`check`): exit code 0, 1 or 2; on 2, ONE line on stderr starting ``losslens: `` and naming the
file (or a file under the folder given), after any warnings about the runs read from it; no traceback; the input's bytes and mtimes unchanged; on 0,
``diagnose --json`` objects whose numbers are finite. Failures are grouped by class (the exception and
the losslens line it came from, or the broken clause) and printed with one example each.
``tests/test_fuzz.py`` replays a seeded ~200-case sample of it in the fast suite.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
import math
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOTS = (REPO / "tests" / "fixtures", REPO / "src" / "losslens" / "examples")
#: A folder case copies the fixture's own top folder only up to this many files.
FOLDER_FILES = 60
#: A case running longer than this is a hang (the slowest whole fixtures take ~3 s on a busy machine).
HANG_S = 60
BAD_VALUES = ("NaN", "nan", "inf", "-inf", "", "1e999", "\u22121.5", "1,5", "null", "--")


def fixtures() -> list[Path]:
    """Every committed fixture file but the scripts that made them."""
    out = []
    for root in ROOTS:
        out += [p for p in root.rglob("*") if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts]
    return sorted(out)


# -- byte-level mutations: (data, rng) -> data ------------------------------------------------------

def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _delimiter(line: bytes) -> bytes:
    return next((d for d in (b",", b"\t", b";") if d in line), b",")


def truncate(data, rng):
    return data[: rng.randrange(len(data) + 1)] if data else data


def flip(data, rng):
    if not data:
        return data
    b = bytearray(data)
    for _ in range(rng.choice((1, 1, 3, 10))):
        i = rng.randrange(len(b))
        b[i] ^= rng.randrange(1, 256)
    return bytes(b)


def _header_edit(data, rng, how):
    lines = _lines(data)
    d = _delimiter(lines[0])
    cells = lines[0].split(d)
    j = rng.randrange(len(cells))
    if how == "drop":
        del cells[j]
    elif how == "dup":
        cells.insert(j, cells[j])
    else:
        cells[j] = cells[j] + b"_x" if rng.random() < 0.5 else b"col%d" % j
    lines[0] = d.join(cells)
    return b"\n".join(lines)


def drop_column(data, rng):
    return _header_edit(data, rng, "drop")


def dup_column(data, rng):
    return _header_edit(data, rng, "dup")


def rename_column(data, rng):
    return _header_edit(data, rng, "rename")


_NUM = re.compile(rb"-?\d+\.\d+(?:[eE][-+]?\d+)?|-?\d+[eE][-+]?\d+")


def bad_value(data, rng):
    """One number in the file (a loss, usually) replaced by a value no logger should have written."""
    found = list(_NUM.finditer(data))
    if not found:
        return data + b"\nnan\n"
    m = rng.choice(found)
    value = rng.choice(BAD_VALUES).encode()
    return data[: m.start()] + value + data[m.end():]


def swap_delimiter(data, rng):
    return data.replace(b",", rng.choice((b";", b"\t")))


def european(data, rng):
    """A European spreadsheet's CSV export: ';' between fields, ',' for the decimal point."""
    return re.sub(rb"(\d)\.(\d)", rb"\1,\2", data.replace(b",", b";"))


def utf16(data, rng):
    try:
        return data.decode("utf-8").encode("utf-16")
    except UnicodeDecodeError:
        return data


def utf8_bom(data, rng):
    return b"\xef\xbb\xbf" + data


def crlf(data, rng):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def gzipped(data, rng):
    return gzip.compress(data, mtime=0)


def zero_byte(data, rng):
    return b""


def huge_line(data, rng):
    lines = _lines(data)
    i = rng.randrange(len(lines) + 1)
    lines.insert(i, b"x" * 2_000_000 if rng.random() < 0.5 else b"1.0," * 500_000)
    return b"\n".join(lines)


BYTES = {f.__name__: f for f in (truncate, flip, drop_column, dup_column, rename_column, bad_value,
                                 swap_delimiter, european, utf16, utf8_bom, crlf, gzipped, zero_byte, huge_line)}
#: Cases that build a file system shape rather than bytes.
SHAPES = ("garbage_dir", "symlink_loop", "unreadable", "in_folder")
MUTATIONS = tuple(BYTES) + SHAPES


@dataclass
class Case:
    fixture: Path
    mutation: str
    seed: int
    path: Path | None = None  # what the command is given

    @property
    def label(self) -> str:
        return f"{self.fixture.relative_to(REPO)} [{self.mutation}, seed {self.seed}]"


def _top_folder(fixture: Path) -> Path:
    for root in ROOTS:
        if root in fixture.parents:
            rel = fixture.relative_to(root).parts
            return root / rel[0] / rel[1] if rel[0] == "ecosystem" and len(rel) > 2 else fixture.parent
    return fixture.parent


def build(case: Case, workdir: Path) -> Case:
    """Write ``case``'s damaged input under ``workdir`` (a fresh folder) and set ``case.path``."""
    rng = random.Random(case.seed)
    data = case.fixture.read_bytes()
    workdir.mkdir(parents=True, exist_ok=True)
    m = case.mutation
    if m in BYTES:
        case.path = workdir / case.fixture.name
        case.path.write_bytes(BYTES[m](data, rng))
    elif m == "garbage_dir":
        case.path = workdir / "runs"
        case.path.mkdir()
        shutil.copy(case.fixture, case.path / case.fixture.name)
        (case.path / "model.pt").write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
        (case.path / "notes.txt").write_text("loss went down then flat\n")
        (case.path / "empty.csv").write_bytes(b"")
        (case.path / "half.json").write_bytes(b'{"loss": [1.0, 0.5')
        (case.path / "sub").mkdir()
        (case.path / "sub" / "x.csv").write_bytes(BYTES[rng.choice(tuple(BYTES))](data, rng))
    elif m == "symlink_loop":
        case.path = workdir / "runs"
        case.path.mkdir()
        shutil.copy(case.fixture, case.path / case.fixture.name)
        (case.path / "a.csv").symlink_to(case.path / "b.csv")
        (case.path / "b.csv").symlink_to(case.path / "a.csv")
        (case.path / "loop").symlink_to(case.path)
        if rng.random() < 0.5:
            case.path = case.path / "a.csv"
    elif m == "unreadable":
        case.path = workdir / case.fixture.name
        case.path.write_bytes(data)
        case.path.chmod(0)
    elif m == "in_folder":
        top = _top_folder(case.fixture)
        files = [p for p in top.rglob("*") if p.is_file()]
        if len(files) > FOLDER_FILES:
            top = case.fixture.parent
        case.path = workdir / top.name
        # A file at the top of tests/fixtures/ecosystem (its README) has the whole tree (~550 files) for its
        # folder: only the files beside it, or the case diagnoses every fixture (over 60 s, a false hang).
        skip = shutil.ignore_patterns("*.py", "__pycache__")
        many = len([p for p in top.rglob("*") if p.is_file()]) > FOLDER_FILES
        shutil.copytree(top, case.path, ignore=lambda d, names: set(skip(d, names)) | (
            {n for n in names if (Path(d) / n).is_dir()} if many else set()))
        inner = case.path / case.fixture.relative_to(top)
        mutation = rng.choice(tuple(b for b in BYTES if b != "gzipped"))
        inner.write_bytes(BYTES[mutation](data, rng))
        case.mutation = f"in_folder/{mutation}"
    return case


def _snapshot(path: Path) -> dict:
    """Every file's bytes and mtime under ``path`` (not following links: a loop is a loop)."""
    out = {}
    paths = [path] if not path.is_dir() or path.is_symlink() else [path, *path.rglob("*")]
    for p in paths:
        try:
            st = p.lstat()
        except OSError:
            continue
        if p.is_symlink() or not p.is_file():
            out[str(p)] = ("link-or-dir", None)
            continue
        try:
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
        except OSError:
            digest = "unreadable"
        out[str(p)] = (digest, st.st_mtime_ns)
    return out


def _where(exc_info) -> str:
    """The innermost losslens frame of a traceback, ``module.py:line``."""
    frames = traceback.extract_tb(exc_info[2])
    ours = [f for f in frames if "/losslens/" in f.filename] or frames
    f = ours[-1]
    return f"{Path(f.filename).name}:{f.lineno}"


def _nonfinite(obj, path="") -> str | None:
    if isinstance(obj, float) and not math.isfinite(obj):
        return path or "."
    if isinstance(obj, dict):
        for k, v in obj.items():
            bad = _nonfinite(v, f"{path}.{k}")
            if bad:
                return bad
    if isinstance(obj, list):
        for i, v in enumerate(obj):
            bad = _nonfinite(v, f"{path}[{i}]")
            if bad:
                return bad
    return None


class _Stderr(logging.Handler):
    """The losslens logger's lines on whatever ``sys.stderr`` is when they are logged, as a command line
    run without logging set up prints them (Python's last-resort handler)."""

    def emit(self, record):
        sys.stderr.write(self.format(record) + "\n")


class Hang(BaseException):
    """Raised by the alarm in a case that ran past ``HANG_S``."""


def _hang(signum, frame):
    raise Hang(f"still running after {HANG_S} s")


def _reject(token):
    raise ValueError(f"non-finite JSON number {token}")


COMMANDS = {
    "diagnose": lambda p, out: ["diagnose", "--json", str(p)],
    "forecast": lambda p, out: ["forecast", "--json", str(p)],
    "report": lambda p, out: ["report", str(p), "-o", str(out / "r.html")],
    "plot": lambda p, out: ["plot", str(p), "-o", str(out / "r.png")],
}


def check(case: Case, command: str, outdir: Path) -> tuple[str, str] | None:
    """Run ``command`` on the case; None when the contract holds, else (failure class, detail)."""
    from typer.testing import CliRunner

    from losslens.cli import app

    outdir.mkdir(parents=True, exist_ok=True)
    before = _snapshot(case.path)
    old = signal.signal(signal.SIGALRM, _hang)
    signal.alarm(HANG_S)
    logger = logging.getLogger("losslens")
    handler, propagate = _Stderr(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False  # (pytest's handler would take the readers' lines off the command's stderr)
    try:
        res = CliRunner().invoke(app, COMMANDS[command](case.path, outdir), catch_exceptions=True)
    except Hang as exc:
        return f"hang (> {HANG_S} s) at {_where(sys.exc_info())}", str(exc)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        logger.removeHandler(handler)
        logger.propagate = propagate
    after = _snapshot(case.path)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        exc = res.exception
        return f"traceback {type(exc).__name__} at {_where(res.exc_info)}", f"{type(exc).__name__}: {exc}"[:300]
    text = res.stdout + res.stderr
    if "Traceback" in text:
        return "traceback printed", text[-300:]
    if before != after:
        return "input changed", str(sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k)))
    rc = res.exit_code
    if rc == 3:  # the internal-error line: a bug, classed by the losslens line it arose in, as a traceback is
        found = re.findall(r", in (losslens/[\w/.]+:\d+)", res.stderr)
        kind = re.search(r"internal error \((\w+)", res.stderr)
        if found and kind:
            return f"internal error {kind[1]} at {found[-1]}", res.stderr.strip()[:300]
    if rc not in (0, 1, 2):
        return f"exit code {rc}", res.stderr.strip()[:300]
    err = res.stderr.strip()
    if rc == 2:
        # The error is one line. A run that was read with a warning (its last line cut off, a glitch left
        # out) and then refused (too few values left) keeps that warning before it: it says why.
        lines = err.splitlines()
        if not all(line.startswith("losslens: ") for line in lines):
            return "stderr line without 'losslens: '", err[:300]
        if str(case.path) not in lines[-1]:
            return "error names no file", err[:300]
        if len(lines) > 1 and not all(str(case.path) in line for line in lines):
            return "stderr not one line", err[:300]
    if rc == 0 and command == "diagnose":
        for line in res.stdout.splitlines():
            try:
                obj = json.loads(line, parse_constant=_reject)
            except ValueError as exc:
                return "diagnose --json not JSON", f"{exc}: {line[:200]}"
            bad = _nonfinite(obj)
            if bad or not obj.get("verdict"):
                return "diagnosis not finite", f"{bad or 'no verdict'}"
    return None


#: The seeded samples already run, (cases, seed): ``--untried`` draws fixture x mutation pairs none of them drew.
SAMPLED = ((1000, 0), (600, 3))


def plan(n: int | None, seed: int, commands: tuple[str, ...], untried: bool = False) -> list[tuple[Case, str]]:
    """Every fixture x mutation (``n`` None), or a seeded sample of ``n`` (``untried``: ``n`` distinct
    pairs that none of the ``SAMPLED`` samples drew); each with one command (diagnose twice as often as
    the others: it is the one every reader goes through)."""
    files = fixtures()
    rng = random.Random(seed)
    if untried:
        done = {(c.fixture, c.mutation) for cases, s in SAMPLED for c, _ in plan(cases, s, commands)}
        pairs = [(f, m) for f in files for m in MUTATIONS if (f, m) not in done]
        rng.shuffle(pairs)
        pairs = pairs[:n]
    elif n is None:
        pairs = [(f, m) for f in files for m in MUTATIONS]
    else:
        pairs = [(rng.choice(files), rng.choice(MUTATIONS)) for _ in range(n)]
    weighted = [c for c in commands for _ in range(2 if c == "diagnose" else 1)]
    root_can_read = hasattr(os, "geteuid") and os.geteuid() == 0
    return [(Case(f, m, rng.randrange(2**31)), rng.choice(weighted)) for f, m in pairs
            if not (m == "unreadable" and root_can_read)]


def sweep(cases, workdir: Path, log=print, slow: float = 5.0, record=None) -> tuple[Counter, dict]:
    """Run the cases; ``record`` (an open file) gets one JSON line per case as it ends."""
    failures, examples = Counter(), {}
    for i, (case, command) in enumerate(cases):
        label = (str(case.fixture.relative_to(REPO)), case.mutation, case.seed, command)
        where = workdir / f"c{i}"
        build(case, where / "in")
        t = time.perf_counter()
        got = check(case, command, where / "out")
        took = time.perf_counter() - t
        if log and took > slow or os.environ.get("LOSSLENS_FUZZ_VERBOSE"):
            log(f"slow: {took:.1f} s {command} {case.label}", file=sys.stderr, flush=True)
        if got:
            failures[got[0]] += 1
            examples.setdefault(got[0], f"{command} {case.label}: {got[1]}")
        if record is not None:
            record.write(json.dumps({"case": label, "mutation": case.mutation, "s": round(took, 2),
                                     "failure": got and list(got)}) + "\n")
            record.flush()
        try:
            (where / "in").chmod(0o755)
            for p in (where / "in").rglob("*"):
                if not p.is_symlink():
                    p.chmod(0o755 if p.is_dir() else 0o644)
        except OSError:
            pass
        shutil.rmtree(where, ignore_errors=True)
        if log and (i + 1) % 50 == 0:
            log(f"{i + 1}/{len(cases)} cases, {sum(failures.values())} failures", file=sys.stderr, flush=True)
    return failures, examples


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=None, help="a seeded sample of this many (default: every fixture x mutation)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--commands", default="diagnose,forecast,report,plot")
    ap.add_argument("--untried", action="store_true", help="sample pairs that none of the earlier samples drew")
    ap.add_argument("--log", type=Path, help="append one JSON line per case to this file as it ends")
    ap.add_argument("--resume", action="store_true", help="skip the cases --log already holds")
    ap.add_argument("--replay", nargs=4, metavar=("FIXTURE", "MUTATION", "SEED", "COMMAND"),
                    help="build one case (as a failure names it) in ./fuzz-case and print what the command printed")
    args = ap.parse_args(argv)
    if args.replay:
        from typer.testing import CliRunner

        from losslens.cli import app

        fixture, mutation, seed, command = args.replay
        case = build(Case(REPO / fixture, mutation.split("/")[0], int(seed)), Path("fuzz-case") / "in")
        res = CliRunner().invoke(app, COMMANDS[command](case.path, Path("fuzz-case")))
        print(f"{case.path} ({case.mutation}): exit {res.exit_code}\n{res.output}")
        if res.exc_info and not isinstance(res.exception, SystemExit):
            traceback.print_exception(*res.exc_info)
        return 0
    os.environ.setdefault("MPLBACKEND", "Agg")
    cases = plan(args.cases, args.seed, tuple(args.commands.split(",")), untried=args.untried)
    if args.resume and args.log and args.log.exists():
        done = {tuple(json.loads(line)["case"]) for line in args.log.read_text().splitlines() if line.strip()}
        cases = [(c, cmd) for c, cmd in cases
                 if (str(c.fixture.relative_to(REPO)), c.mutation, c.seed, cmd) not in done]
    t = time.perf_counter()
    record = args.log.open("a") if args.log else None
    with tempfile.TemporaryDirectory(prefix="losslens-fuzz-") as tmp:
        failures, examples = sweep(cases, Path(tmp), record=record)
    if record is not None:
        record.close()
    print(f"{len(cases)} cases ({len(fixtures())} fixtures x {len(MUTATIONS)} mutations), "
          f"{sum(failures.values())} failures in {len(failures)} classes, {time.perf_counter() - t:.0f} s")
    for cls, n in failures.most_common():
        print(f"{n:6d}  {cls}\n        e.g. {examples[cls]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
