"""Open a source file and say what kind of content it holds, from its bytes, not its name.

The reader modules get decoded text (or the path, for binary stores delegated elsewhere);
this module owns the byte-level checks: missing / empty files, gzip (by magic bytes), the
binary formats we hand on (TensorBoard event files, SQLite MLflow stores, W&B run files) and
binary junk that is no log at all.
"""

from __future__ import annotations

import bz2
import contextlib
import contextvars
import gzip
import io
import lzma
import math
import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import ReadError, UnknownFormatError, one_line

GZIP_MAGIC = b"\x1f\x8b"
BZ2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"
SQLITE_MAGIC = b"SQLite format 3\x00"
WANDB_MAGIC = b":W&B"
# The first record of every TensorBoard event file is an Event carrying this version string,
# after the TFRecord header (8-byte length + 4-byte masked CRC) and a few protobuf bytes.
TFEVENT_MARK = b"brain.Event:"

# Compressed and data suffixes stripped from a run name ("run.csv.gz" -> "run", "run.xlsx" -> "run").
_SUFFIXES = {".ipynb", ".out", ".gz", ".bz2", ".xz", ".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson", ".log",
             ".dat", ".xlsx", ".xlsm"}


@dataclass
class Content:
    """What a file holds: ``kind`` is ``"text"``, ``"tfevents"``, ``"sqlite"``, ``"wandb"`` or ``"xlsx"`` (an Excel
    workbook, :mod:`.excel`)."""

    kind: str
    text: str | None = None


_NUMBER_IN_NAME = re.compile(r"(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")


def natural_key(name: str) -> list:
    """Sort key that reads the numbers in a name as numbers: a sweep's runs in the order of what it varied
    (``version_2`` before ``version_10``, ``lr_0.0003`` before ``lr_0.001``, ``lr_1e-05`` before
    ``lr_0.0001``), where plain string order put Lightning's ``version_10`` and ``version_11`` between
    ``version_1`` and ``version_2``."""
    parts = _NUMBER_IN_NAME.split(str(name))
    return [(float(p), p) if i % 2 else p for i, p in enumerate(parts)]


def run_name(path: Path) -> str:
    """The run name for a file: its stem without compression / data suffixes.

    Files whose stem says nothing about the run (``metrics.csv`` written by Lightning into
    ``version_3/``, ``trainer_state.json`` in an output directory) take the folder's name.
    """
    name = path.name
    while True:
        stem, suffix = os.path.splitext(name)
        if suffix.lower() in _SUFFIXES and stem:
            name = stem
        else:
            break
    if path.suffix.lower() == ".json" and path.parent.name:
        # A callback reused over several runs (a Trainer's model_init trials) saves the first to its file and the
        # others beside it, losslens-run1.json, losslens-run2.json ... or losslens-<trial>.json: their folder's name
        # with the tag, and the first, once there are others, run0 (three trials read "hp", "losslens-run1",
        # "losslens-run2": two schemes for one sweep).
        tag = name[len("losslens-"):] if name.lower().startswith("losslens-") else ""
        if tag:
            return f"{_folder(path).name}-{tag}"
        if path.with_name(f"{path.name[:-len('.json')]}-run1.json").is_file():
            return f"{_folder(path).name if name.lower() == 'losslens' else name}-run0"
    if name.lower() in GENERIC_STEMS and path.parent.name:
        return _folder(path).name
    return name


def _folder(path: Path) -> Path:
    """The folder a file with a generic name is named by: its own, or its parent's for Hugging Face's
    output_dir/checkpoint-500/trainer_state.json and MMEngine's work_dir/<timestamp>/vis_data/scalars.json (named as
    its <timestamp>.log is)."""
    folder = path.parent
    if (folder.name.startswith("checkpoint-") or folder.name == "vis_data") and folder.parent.name:
        folder = folder.parent
    return folder


GENERIC_STEMS = {"metrics", "trainer_state", "results", "history", "log", "logs", "training_log",
                 "train_log", "progress", "training", "scalars", "wandb-history", "loss", "losses",
                 "result", "summary", "stdout",
                 # the file the Lightning and Transformers callbacks save by default, in the run's log / output folder
                 "losslens"}


def _nul_hole(data: bytes) -> tuple[int, int] | None:
    """``(start, end)`` byte offsets of the one run of NUL bytes inside ``data`` (trailing NULs stripped first)
    where the rest is text (no other control byte but tab, CR, LF; at least a line each side): a block of a log
    that a crash zeroed. None where there is no such run, several, or the rest is binary (a checkpoint holds
    NULs everywhere and other control bytes)."""
    body = data.rstrip(b"\x00")
    start = body.find(b"\x00")
    if start < 0:
        return None
    end = start
    while end < len(body) and body[end] == 0:
        end += 1
    rest = body[:start] + body[end:]
    if b"\x00" in rest or b"\n" not in body[:start] or b"\n" not in body[end:]:
        return None
    if any(b < 32 and b not in (9, 10, 13) for b in rest[:65536]):
        return None
    try:
        rest.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return start, end


def sniff_bytes(head: bytes, name: str = "") -> str | None:
    """Binary kinds recognised from the first bytes: ``tfevents``, ``sqlite``, ``wandb`` or None."""
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(WANDB_MAGIC):
        return "wandb"
    if TFEVENT_MARK in head[:64] or ("tfevents" in name and not head.lstrip()[:1] in (b"{", b"[")):
        return "tfevents"
    return None


def load(path: Path, source: str) -> Content:
    """Read ``path`` fully (decompressing gzip / bz2 / xz) and classify it.

    Raises
    ------
    ReadError
        Missing, unreadable, empty or corrupt compressed files.
    UnknownFormatError
        Binary content that is none of the stores we know.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
            kind = sniff_bytes(head[:64], path.name)
            if kind == "sqlite":
                _check_sqlite(head, os.fstat(fh.fileno()).st_size, source)
            if kind is not None:
                return Content(kind)
            if excel_workbook(head, path.suffix.lower()):
                return Content("xlsx")  # (read by openpyxl, excel.py; a cut one is said there)
            compressed = head.startswith((GZIP_MAGIC, BZ2_MAGIC, XZ_MAGIC))
            utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
            packed = _unpacked_head(head)
            hole = None if compressed or utf16 else _nul_hole(head)
            if not utf16 and ((not compressed and hole is None and b"\x00" in head.rstrip(b"\x00"))
                              or _compressed_pickle(packed)):
                # Checkpoints and other binaries: stop before reading gigabytes. (A small zlib-compressed pickle
                # may hold no NUL; a gzip, bz2 or xz one, as joblib.dump(compress="gzip") writes, is no log either.)
                raise UnknownFormatError(_binary_kind(head, path.name, packed), source)
            if fh.seekable():  # read whole into one buffer: head + rest copied a 13 MB log once more
                fh.seek(0)
                data = fh.read()
            else:  # a pipe (<(cmd))
                data = head + fh.read()
            if not compressed and not utf16 and b"\x00" in data:
                # A log whose tail is zeros (a machine that crashed mid-write leaves the file's
                # last block NUL-filled) is the text before them; NULs inside are a binary file, but for one run of
                # them in text (a block the crash lost mid-file), read around.
                if not data.rstrip(b"\x00"):
                    raise ReadError(f"only NUL bytes ({len(data)} of them): a file preallocated and never "
                                    "written?", source)
                if b"\x00" in data.rstrip(b"\x00"):
                    hole = _nul_hole(data.rstrip(b"\x00"))
                    if hole is None:
                        raise UnknownFormatError(_binary_kind(head, path.name), source)
                    start, end = hole
                    warn(source, "%d NUL bytes at byte %d (a block lost in a crash?): read around them, the lines "
                         "they cut left out", end - start, start)
                    # (the partial lines each side dropped: a row cut by the hole is no row)
                    before, after = data[:start], data[end:].rstrip(b"\x00")
                    data = before[:before.rfind(b"\n") + 1] + after[after.find(b"\n") + 1:]
                else:
                    data = data.rstrip(b"\x00")
    except FileNotFoundError:
        raise ReadError("no such file or directory", source) from None
    except IsADirectoryError:
        raise ReadError("is a directory", source) from None
    except PermissionError:
        raise ReadError("cannot read: permission denied", source) from None
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror or exc}", source) from None
    unpacked = _decompress(data, source)
    if not unpacked[:4096].strip() and not unpacked.strip():
        raise ReadError("empty file", source)
    kind = sniff_bytes(unpacked[:64], path.name)
    if kind is not None and unpacked is not data:
        # Their readers (MLflow's, ours of event files, W&B's) open the file by its path: the compressed bytes
        # read as "unreadable SQLite database (file is not a database)", or, without the extra, "needs mlflow".
        raise ReadError(f"{_compression(data)}-compressed {_STORE_FILES[kind]}: decompress it first", source)
    data = unpacked
    if kind is not None:
        return Content(kind)
    text = decode(data, source)
    if not text.strip():  # a byte-order mark and blank lines: nothing was written
        raise ReadError("empty file", source)
    return Content("text", text)


_FIELDS = re.compile(r"[,\t;| ]+")
_NUMBER = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d*)?$")
_NAME = re.compile(r"^[A-Za-z_][\w./]*[:=]?$")  # a metric's name, as a line's shape: "val_loss:", "Epoch"


#: How many lines back :func:`cut_last_line` looks for the latest line of the last line's shape.
_SHAPE_LOOKBACK = 2000


def cut_last_line(text: str) -> str | None:
    """The last line, when a writer killed mid-line left it half-written; else None.

    Loggers end every line with a newline, so a file that does not end with one holds a cut line
    when that line is shorter than the lines before it: fewer delimiters than
    the header (``29,`` under ``epoch,loss,val_loss``), or a last number with fewer characters than
    the same field of the latest line of the same shape that holds a number there, up to 2,000 lines back
    (``val_loss: 0.0`` after ``val_loss: 0.0131``; ``9.6`` after ``9.6e-05``; ``87.`` after ``85.93%``; ``0`` after
    ``NA`` rows of a validation every k epochs, back to ``0.0911``), or that ends on a number where that line goes on
    (``accuracy 87.`` after ``accuracy 85.93 | num_updates 220``). Read as a value, such a stump is a loss of 0.
    A file that ends with a newline holds one only where the line's last number breaks the file's own format
    (:func:`_cut_ended_line`); the newline is then part of what is returned.
    """
    if not text:
        return None
    if text.endswith(("\n", "\r")):
        return _cut_ended_line(text)
    lines = _last_lines(text, _SHAPE_LOOKBACK + 1)
    last = lines[-1]
    if len(lines) < 3 or not last.strip():  # (fewer than 2 newlines, without a second scan of the text)
        return None
    header, delimiter = _header(text)
    if delimiter is not None and last.count(delimiter) < header.count(delimiter):
        return last
    fields = _FIELDS.split(last.strip())
    a = fields[-1]
    # (Back to the latest line of its shape, however far: a validation line printed every 50 training steps.)
    for b, goes_on in _same_shape(lines[-_SHAPE_LOOKBACK:-1], fields):
        if not _NUMBER.match(b):
            # The field left empty or NA there (Keras's validation_freq: val_loss every k-th row): the latest
            # number in it is what a stump is measured against.
            continue
        if not _NUMBER.match(a):
            return None
        # Shorter than that field, or ended where that line goes on ("accuracy 87." where "accuracy 85.93 |
        # num_updates 220" was printed).
        return last if len(a) < len(b) or goes_on else None
    return None


def _last_lines(text: str, n: int) -> list[str]:
    """The last ``n`` lines of ``text`` (or all): a million lines split to look at 2,001 of them was 100 MB more."""
    start = len(text)
    for _ in range(n):
        start = text.rfind("\n", 0, start)
        if start < 0:
            break
    return text[start + 1:].split("\n")


def _header(text: str) -> tuple[str, str | None]:
    """A log's first line and the delimiter it holds, if any (``,``, tab, ``;``: a table's header)."""
    header = text[:text.find("\n")]
    return header, next((d for d in (",", "\t", ";") if d in header), None)


def _same_shape(window: list[str], fields: list[str]):
    """Yield ``(field, goes_on)`` for each line of ``window`` (latest first) of the shape of a line split into
    ``fields`` (as many fields or more, the same names where it has names): its field where ``fields`` ends, ``%``
    stripped, and whether that line has fields after it. Other kinds of lines (an "Epoch 3/20" header between metric
    lines) are skipped; a line redrawn with carriage returns is read as its last drawing."""
    for line in reversed(window):
        drawn = [seg for seg in line.split("\r") if seg.strip()]
        before = _FIELDS.split(drawn[-1].strip()) if drawn else [""]
        if len(before) < len(fields) or any(x != y for x, y in zip(fields, before) if _NAME.match(x)):
            continue
        yield before[len(fields) - 1].rstrip("%"), len(before) > len(fields)


_DECIMALS = re.compile(r"^[-+]?\d*\.(\d*)")
_EXPONENT = re.compile(r"[eE][-+]?(\d*)$")


def _cut_ended_line(text: str) -> str | None:
    """The last line (with the newline after it), when a killed writer left it cut mid-number and a newline
    was added after it (a shell, ``tee`` or a notebook closing the stream): ``loss: 0.2`` where the file prints
    every number of that field as ``0.2338``. Else None.

    A newline ends it, so only the line's own shape can tell, and only from a format the file holds to: the last
    number of a printed line (``name: value`` lines, not a table's rows) has fewer decimals than that field of
    every earlier line of the same shape (at least two, all with as many), where the log shows a fixed-width
    format (a number with that many decimals, the last 0: ``%.4f``, Keras's ``.4f``; ``round(x, 4)`` strips its
    zeros, and its ``0.231`` is whole), or an exponent with fewer digits than that field's before (``1.2345e-0``
    under ``e-05``). A line that ends on a
    whole number but lacks fields the lines before it had (``loss: 0.2338`` with no ``val_loss``) is not taken
    for cut: a Keras ``evaluate`` after ``fit``, or a fit continued without validation, prints just that, and
    the values it does hold were read whole."""
    body = text.rstrip("\r\n")
    lines = _last_lines(body, _SHAPE_LOOKBACK + 1)
    last = lines[-1].split("\r")[-1]
    if len(lines) < 3 or not last.strip():
        return None
    fields = _FIELDS.split(last.strip())
    a = fields[-1].rstrip("%")
    if not _NUMBER.match(a) or not any(_NAME.match(f) for f in fields[:-1]):
        return None
    header, delimiter = _header(body)
    if delimiter is not None and not any(_NUMBER.match(f.rstrip("%")) for f in _FIELDS.split(header.strip())):
        return None  # a table's row (under a header of names): its cells (a Lightning row's left empty) vary
    suffix = text[len(body) - len(lines[-1]):]
    window = lines[-_SHAPE_LOOKBACK:-1]
    decimals, exponents = [], []
    for b, _ in _same_shape(window, fields):
        if _NUMBER.match(b):
            decimals.append(_decimals(b))
            exp = _EXPONENT.search(b)
            if exp is not None:
                exponents.append(len(exp.group(1)))
    exp = _EXPONENT.search(a)
    if exp is not None and exponents and len(exp.group(1)) < min(exponents):
        return suffix  # (1.2345e-0 where that field was written 1.2345e-05)
    if len(decimals) < 2 or len(set(decimals)) != 1 or not _decimals(a) < decimals[0]:
        return None
    # A format that pads: some number of the log with as many decimals ending in 0 (nanoGPT's six evaluation lines
    # showed none; its "iter" lines, printed with the same %.4f, did). round() never writes one.
    d = decimals[0]
    padded = any(_decimals(f) == d and _mantissa(f).endswith("0")
                 for line in window for f in (t.rstrip("%") for t in _FIELDS.split(line.strip()))
                 if _NUMBER.match(f))
    return suffix if padded else None


def _mantissa(number: str) -> str:
    return _EXPONENT.sub("", number)


def _decimals(number: str) -> int:
    """Digits after the point of ``number``'s mantissa (``0.2338`` 4, ``1.2e-05`` 1, ``12`` 0)."""
    m = _DECIMALS.match(_mantissa(number))
    return len(m.group(1)) if m else 0


#: The notes of the source being read (:func:`noting`): ``[(where, text), ...]``, None outside a read.
_READING: contextvars.ContextVar = contextvars.ContextVar("losslens_reading", default=None)


#: The hook :func:`progress` calls, None outside :func:`reporting`.
_PROGRESS: contextvars.ContextVar = contextvars.ContextVar("losslens_progress", default=None)


@contextlib.contextmanager
def reporting(callback, progress=None):
    """Within it, :func:`reading` calls ``callback(what)`` as each part of a folder or store (a run folder, a file,
    an MLflow run) is about to be read: a progress bar's hook (``losslens diagnose`` over a folder of 300 TensorBoard
    runs read for 40 s, an MLflow store of 500 runs for 110 s, with nothing on the terminal to say it was working).
    ``progress(done, total)``, if given, is called as a reader gets through one big file (:func:`progress`: a
    million printed lines parsed for 20 s under a bar that said ``0/1``)."""
    token = _READING.set(callback)
    tick = _PROGRESS.set(progress)
    try:
        yield
    finally:
        _PROGRESS.reset(tick)
        _READING.reset(token)


def progress(done: int, total: int) -> None:
    """Say that ``done`` of ``total`` units of the file being read (characters of its text, rows of a table) are
    read, to the hook :func:`reporting` set, if any. Readers say it every megabyte or so, not every line: a
    million calls would cost more than the bar saves."""
    callback = _PROGRESS.get()
    if callback is not None:
        callback(done, total)


def reading(what) -> None:
    """Say that ``what`` (a path or a run's name) is read next, to the hook :func:`reporting` set, if any."""
    callback = _READING.get()
    if callback is not None:
        callback(str(what))


_NOTES: contextvars.ContextVar = contextvars.ContextVar("losslens_reader_notes", default=None)


#: Set while the command line reads its paths (:func:`command_line`): a folder's "passed over" line then words
#: a file's problem as the CLI does (``--metric COLUMN``), not as Python does (``columns={...}``).
_COMMAND_LINE = contextvars.ContextVar("losslens_command_line", default=False)


@contextlib.contextmanager
def command_line():
    """Read as the ``losslens`` command: :func:`problem_of` words a problem for it."""
    token = _COMMAND_LINE.set(True)
    try:
        yield
    finally:
        _COMMAND_LINE.reset(token)


def problem_of(exc) -> str:
    """``exc``'s problem (a :class:`~losslens.exceptions.LosslensError`) without its source, in the words of who
    reads it: the command line's (its ``cli_message``, where the error has one) inside :func:`command_line`."""
    said = getattr(exc, "cli_message", None) if _COMMAND_LINE.get() else None
    if said is None:
        return exc.problem
    prefix = f"{exc.source}: " if exc.source else ""
    return said[len(prefix):] if prefix and said.startswith(prefix) else said


def warn(where, message: str, *args) -> None:
    """A reader's one-line warning about ``where`` (a file, folder or store) on the ``losslens`` logger:
    ``losslens: <where>: <message % args>``; inside :func:`noting`, kept for the runs read too (the JSON and
    the HTML report have no stderr), and logged once the source is read."""
    notes = _NOTES.get()
    if notes is None:
        _log(str(where), message % args if args else message)
    else:
        notes.append((str(where), message % args if args else message))  # (as logging formats it)


def written_again(epochs, values) -> tuple:
    """``(keep, redone)`` for rows that log the epoch of the row right before them again, in place (the count does
    not go back: ``0 1 2 3 3 4``). ``epochs``: shape ``(n,)``; ``values``: the rows' other values, ``(n, m)``, NaN
    where a row logged none. The later of the two is read, as where the count goes back (a fit resumed from a
    checkpoint: ``fit(initial_epoch=k)`` at the epoch it had just logged, a callback run again): ``keep`` (a boolean
    mask) leaves the earlier out. Two rows alike are one row written twice; two that each log what the other left
    out are one epoch's rows (a Trainer's train and eval rows), both kept (:class:`~losslens.run.Run` merges them).
    Three rows or more of one epoch are a log of batches under their epoch, left as they are. ``redone``: the
    ``(earlier, later)`` row indices of the pairs over other values, which a reader says (:func:`warn_written_again`)."""
    import numpy as np

    epochs = np.asarray(epochs, dtype=float)
    values = np.asarray(values, dtype=float).reshape(epochs.shape[0], -1)
    keep = np.ones(epochs.shape[0], dtype=bool)
    redone = []
    same = np.zeros(epochs.shape[0] + 1, dtype=bool)
    same[1:-1] = epochs[1:] == epochs[:-1]
    for i in np.flatnonzero(same[1:-1]) + 1:
        if same[i - 1] or same[i + 1]:
            continue  # (three rows of one epoch or more)
        a, b = values[i - 1], values[i]
        if (np.isfinite(a) & ~np.isfinite(b)).any():
            continue
        keep[i - 1] = False
        if (np.isfinite(a) & (a != b)).any():
            redone.append((int(i - 1), int(i)))
    return keep, redone


def warn_written_again(source, redone: list, *, verb: str, where: str) -> None:
    """One warning for the epochs :func:`written_again` found logged twice over other values: ``redone`` holds
    ``(the epoch as the log names it, fit's initial_epoch for it, the earlier's line or row, the later's)``;
    ``verb`` how the log came to hold it (``printed``, ``written``), ``where`` what ``a`` and ``b`` count
    (``line``, ``row``)."""
    if not redone:
        return
    e, k, a, b = redone[0]
    warn(source, "%s %s twice over other values (%ss %s and %s): the later read, as where a fit resumed at an epoch "
                 "already %s (fit(initial_epoch=%s)); the earlier left out%s", e, verb, where, a, b, verb, k,
         f" ({len(redone) - 1} more epochs so)" if len(redone) > 1 else "")


def _log(where: str, text: str) -> None:
    import logging

    # Escaped as the CLI's error lines are: a control character in a file's or a column's name split or hid the line.
    # The record keeps ``(where, text)`` as said (``losslens_said``): a command that holds the warnings picks one out
    # by what it is about, not by its wording.
    logging.getLogger("losslens").warning("losslens: %s: %s", one_line(where), one_line(text),
                                          extra={"losslens_said": (where, text)})


@contextlib.contextmanager
def noting():
    """Collect :func:`warn`'s lines while one source is read (the innermost source: a folder's files each keep
    their own); :func:`keep_notes` puts them on its runs. They are logged when the source has been read, and
    dropped when its read fails: the error is then the one line said ("the last line was cut off mid-write"
    before "no loss column" told of a repair to a file that was refused anyway)."""
    token = _NOTES.set([])
    try:
        yield _NOTES.get()
    except BaseException:
        _NOTES.reset(token)
        raise
    notes = _NOTES.get()
    _NOTES.reset(token)
    for where, text in notes:
        _log(where, text)


@contextlib.contextmanager
def dropped_on_error():
    """Within a read (:func:`noting`), the warnings said inside it are dropped where it fails: a part of a source
    passed over (a workbook's sheet of notes) leaves no word about reading it."""
    notes = _NOTES.get()
    mark = 0 if notes is None else len(notes)
    try:
        yield
    except BaseException:
        if notes is not None:
            del notes[mark:]
        raise


def keep_notes(runs, notes) -> None:
    """``notes`` (from :func:`noting`) into the ``meta["notes"]`` of the runs they are about: every run of a file
    read alone, else those whose source is where the note points or holds it (one run's event file in a
    TensorBoard logdir); the message, after where it is about where that is not the run's own source (a
    ``hparams.yaml`` beside the log). A note about none of them (a folder's files passed over) stays a warning."""
    for run in runs:
        own = str(run.source or run.name)
        kept = list(run.meta.get("notes") or ())
        for where, text in notes:
            if len(runs) > 1 and where != own and not where.startswith(own.rstrip("/\\") + os.sep):
                continue
            line = text if where == own else f"{where}: {text}"
            if line not in kept:
                kept.append(line)
        if kept:
            run.meta["notes"] = kept


def cut_said(source) -> bool:
    """Whether the read of ``source`` under way (:func:`noting`) has said its last line was cut off mid-write
    (:func:`without_cut_line`)."""
    notes = _NOTES.get()
    return bool(notes) and any(where == str(source) and text.startswith(_CUT_LINE) for where, text in notes)


_CUT_LINE = "the last line was cut off mid-write"


def without_cut_line(text: str, source: str, detect=None) -> str:
    """``text`` without a last line a killed writer left half-written (found by ``detect``, default
    :func:`cut_last_line`; a format with its own line shape passes its own), said in one warning:
    read as a value, its stump ("val_loss: 0.0") is a loss of 0."""
    cut = (detect or cut_last_line)(text)
    if cut is None:
        return text
    why = "shorter than the format of the lines before it" if cut.endswith(("\n", "\r")) else "no newline at the end"
    warn(source, _CUT_LINE + " (%r, %s): left out", cut.strip()[-40:], why)
    return text[:len(text) - len(cut)]


#: A spreadsheet application's own file, by its first bytes (a zip's member names; the OLE2 header of Excel
#: 97-2003's .xls) or its suffix: what it is, and how to get a CSV or an .xlsx losslens reads. (A zip naming ``xl/``
#: parts is an Excel workbook, read: :func:`excel_workbook`.)
_WORKBOOKS = (("opendocument.spreadsheet", "an OpenDocument spreadsheet (LibreOffice)"),
              ("Index/Document.iwa", "an Apple Numbers document"))
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: An Excel workbook's suffixes (Office Open XML: a zip of XML parts), read by :mod:`.excel`.
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")


def excel_workbook(head: bytes, suffix: str) -> bool:
    """Whether a file opening with ``head`` (its first bytes) and named with ``suffix`` is an Excel workbook (a zip
    naming ``xl/`` parts, or one named .xlsx ...), read as the sheets it holds."""
    return head.startswith(b"PK\x03\x04") and (b"xl/" in head or suffix in EXCEL_SUFFIXES) \
        and b"opendocument.spreadsheet" not in head


def _workbook(head: bytes, suffix: str) -> str | None:
    what = None
    if head.startswith(b"PK\x03\x04"):
        what = next((label for mark, label in _WORKBOOKS if mark.encode() in head), None)
    elif head.startswith(_OLE2_MAGIC) and suffix in (".xls", ".xlt"):
        what = "an Excel 97-2003 workbook"
    elif suffix in EXCEL_SUFFIXES:
        # (Excel saves a workbook with a password to open as an encrypted OLE2 file, not a zip)
        return ("a password-protected Excel workbook (encrypted, not a zip of sheets): save a copy without the "
                "password (File > Info > Protect Workbook), or the sheet as CSV" if head.startswith(_OLE2_MAGIC) else
                "an Excel workbook's name, not one (not a zip of sheets): a damaged file, or another saved as .xlsx?")
    if what is None and suffix in (".xls", ".ods", ".numbers"):
        what = "a spreadsheet workbook"
    if what is None:
        return None
    xlsx = "an Excel workbook (.xlsx)" + ("" if _has_openpyxl() else ", with pip install 'losslens[excel]'")
    return (f"{what}, not text: losslens reads the sheet as CSV or as {xlsx}; save it so (Excel: File > Save As > "
            "CSV UTF-8 or Excel Workbook; LibreOffice, Numbers: Export as CSV or .xlsx; or pandas: "
            "pd.read_excel(path).to_csv('run.csv', index=False)) and diagnose that")


def _has_openpyxl() -> bool:
    """Whether openpyxl, which reads an .xlsx (the excel extra), is installed; not imported."""
    import importlib.util

    try:
        return importlib.util.find_spec("openpyxl") is not None
    except (ImportError, ValueError):
        return False


#: How ``joblib.dump(obj, path, compress=...)`` compresses a pickle, by the magic bytes its compressors write
#: (``joblib.compressor``): zlib (``compress=3``, the default method), gzip, bz2, lzma, xz, lz4; the first
#: bytes of the pickle inside, a module to unpack them with (None: lz4, not a dependency, known by its magic alone).
_JOBLIB_COMPRESSIONS = ((GZIP_MAGIC, "gzip", lambda b: gzip.GzipFile(fileobj=io.BytesIO(b)).read(4096)),
                        (BZ2_MAGIC, "bz2", lambda b: bz2.BZ2Decompressor().decompress(b, 4096)),
                        (XZ_MAGIC, "xz", lambda b: lzma.LZMADecompressor().decompress(b, 4096)),
                        (b"\x5d\x00\x00", "lzma",
                         lambda b: lzma.LZMADecompressor(lzma.FORMAT_ALONE).decompress(b, 4096)),
                        (b"\x04\x22\x4d\x18", "lz4", None))


def _unpacked_head(head: bytes) -> tuple[str, bytes | None] | None:
    """``(method, first bytes unpacked)`` of a file that opens as joblib's compressors write (None where unpacking
    them fails or needs lz4), or None for a file that does not. A zlib stream is known by its 2-byte header (CMF
    0x78, FCHECK: the pair a multiple of 31) and by unpacking: two bytes alone match 1 file in ~2000."""
    if len(head) >= 2 and head[0] == 0x78 and int.from_bytes(head[:2], "big") % 31 == 0:
        try:
            return "zlib", zlib.decompressobj().decompress(head, 4096)
        except zlib.error:
            return None
    for magic, method, unpack in _JOBLIB_COMPRESSIONS:
        if head.startswith(magic):
            if unpack is None:
                return method, None
            try:
                return method, unpack(head)
            except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error):
                return None
    return None


def _compressed_pickle(packed: tuple[str, bytes | None] | None) -> bool:
    """Whether a file whose head unpacks to ``packed`` (:func:`_unpacked_head`) is a pickle compressed as joblib
    compresses one (lz4: by its magic alone)."""
    return packed is not None and (packed[1] is None or _is_pickle(packed[1]))


def _is_pickle(head: bytes) -> bool:
    return head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")


def _binary_kind(head: bytes, name: str, packed=...) -> str:
    """What a binary file is, for the error: the ones people point losslens at by mistake. ``packed``:
    ``_unpacked_head(head)`` where the caller has it already."""
    suffix = Path(name).suffix.lower()
    packed = _unpacked_head(head) if packed is ... else packed
    if packed is not None:
        method, inner = packed
        # joblib.dump(model, "m.joblib", compress=3) is zlib over a pickle: read as "binary file", where the same
        # model dumped without compress got the scikit-learn route. The route is the same, the pickle unpacked
        # as far as its first bytes (the class names it rebuilds), never unpickled.
        if inner is not None and _is_pickle(inner):
            return _binary_kind(inner, name).replace(": losslens does not", f" ({method}-compressed): losslens does "
                                                     "not", 1)
        if inner is None and suffix in (".joblib", ".pkl", ".pickle", ".sav"):
            return (f"a {method}-compressed file, as joblib.dump(compress='{method}') writes a pickle: losslens does "
                    "not unpickle files (unpickling runs code); in Python, losslens.diagnose(joblib.load(path)) reads "
                    "a History or a scikit-learn model's curves, or save them as a CSV: "
                    "pd.DataFrame({'loss': clf.loss_curve_, 'val_acc': clf.validation_scores_}).to_csv('run.csv')")
    workbook = _workbook(head, suffix)
    if workbook is not None:
        return workbook
    if head.startswith(b"PK\x03\x04") and suffix == ".npz":
        return "a NumPy archive: in Python, losslens.diagnose(dict(np.load(path))) reads its named arrays"
    if head.startswith(b"\x93NUMPY"):
        return ("a NumPy array: no name says which curve it is; in Python pass it by name, "
                "losslens.diagnose({'train_loss': a, 'val_loss': b}), or save a CSV")
    if suffix in (".pt", ".pth", ".ckpt", ".safetensors", ".h5", ".keras", ".onnx"):
        return ("model weights, not a training log: point losslens at the log the training wrote "
                "(CSVLogger, metrics.csv, trainer_state.json, TensorBoard events ...)")
    if _is_pickle(head):
        # (A pickle names the classes it rebuilds as text, the estimator's module first: read, never unpickled.)
        if re.search(rb"sklearn\.(neural_network|ensemble\._(gb|hist_gradient_boosting))\b", head[:4096]):
            return ("a pickled scikit-learn model: losslens does not unpickle files (unpickling runs code); "
                    "in Python, losslens.diagnose(joblib.load(path)) reads its curves, or save them as a CSV: "
                    "pd.DataFrame({'loss': clf.loss_curve_, 'val_acc': clf.validation_scores_}).to_csv('run.csv')")
        return ("a Python pickle: losslens does not unpickle files (unpickling runs code); save the history "
                "as JSON: json.dump(history.history, f) (Keras), or a scikit-learn model's curves as a CSV: "
                "pd.DataFrame({'loss': clf.loss_curve_, 'val_acc': clf.validation_scores_}).to_csv('run.csv')")
    return "binary file, not a training log"


def _check_sqlite(head: bytes, size: int, source: str) -> None:
    """A whole SQLite database: a 100-byte header and a whole number of pages (SQLite file format, 1.3)."""
    page = int.from_bytes(head[16:18], "big") if len(head) >= 18 else 0
    page = 65536 if page == 1 else page
    if size < 100 or page < 512 or page & (page - 1) or size % page:
        raise ReadError("truncated or corrupt SQLite database", source)


_OWN_OUTPUT = re.compile(r'"schema"\s*:\s*"(losslens\.(?:diagnosis|forecast|data|verification)/\d+)"')


def refuse_own_output(text: str, source: str) -> None:
    """Raise the one-line error for losslens's own ``--json`` output given back as a log: it read "no loss or
    accuracy column (found: epoch, causes, phases, notes)", which sent the user looking for a column."""
    head = text.lstrip()[:1000]
    found = _OWN_OUTPUT.search(head) if head[:1] == "{" else None
    if found:
        raise UnknownFormatError(f"losslens's own output ({found.group(1)}), not a training log: give the log it "
                                 "was made from (its \"source\")", source)


_STORE_FILES = {"sqlite": "SQLite database (an MLflow store)", "tfevents": "event file (TensorBoard)",
                "wandb": "W&B run file"}


#: The compressions read, by their magic bytes: (magic, module, name).
_COMPRESSIONS = ((GZIP_MAGIC, gzip, "gzip"), (BZ2_MAGIC, bz2, "bzip2"), (XZ_MAGIC, lzma, "xz"))


def _compression(data: bytes) -> str:
    """"a gzip", "a bzip2" or "an xz": how ``data`` is compressed, with its article."""
    label = next(label for magic, _, label in _COMPRESSIONS if data.startswith(magic))
    return ("an " if label == "xz" else "a ") + label


def _decompress(data: bytes, source: str) -> bytes:
    for magic, module, label in _COMPRESSIONS:
        if data.startswith(magic):
            try:
                return module.decompress(data)
            except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:
                raise ReadError(f"truncated or corrupt {label} file ({exc})", source) from None
    return data


def decode(data: bytes, source: str) -> str:
    """Bytes -> text (UTF-8, UTF-16 with a BOM, else Windows-1252 / Latin-1 for legacy logs: what Excel saves as
    "CSV" on Windows); binary junk raises. A byte-order mark inside the text is dropped too: exports joined with
    ``cat`` (each file opening with one) glued it to the header written again, ``\ufeffepoch``, a row of text."""
    text = _decode(data, source)
    return text.replace("\ufeff", "") if "\ufeff" in text else text


def _decode(data: bytes, source: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise UnknownFormatError("binary file, not a training log", source) from None
    sample = data[:65536]
    if b"\x00" in sample:
        raise UnknownFormatError("binary file, not a training log", source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Not UTF-8: a Latin-1 log is still text, random bytes are mostly control / high bytes.
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13)) + sample.count(0x7F)
    if controls > 0.01 * len(sample):
        raise UnknownFormatError("binary file, not a training log", source)
    try:  # (the same as Latin-1 but for 0x80-0x9F, its curly quotes, dashes and euro sign)
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def goes_on(before, first: float) -> bool:
    """Whether a fit whose step or epoch count started again went on from where the one ``before`` it ended:
    ``before`` is the earlier fit's loss in the order logged (finite values, shape ``(n,)``), ``first`` the new fit's
    first loss, in the same units. It must sit nearer the earlier fit's end than its start, and no higher above the
    end than three of the earlier fit's own last moves (the median absolute change over its last 10 points, no
    less than 1e-3 of the end: a flat tail rounded to one value moves by 0). A fit restarted from older saved
    weights starts nearer the end than the start too, but clearly above it: a Keras digits MLP reloaded at epoch 3
    after 40 epochs, its training loss 0.0012 -> 0.116 (the last moves 1.2e-4; val_loss 0.032 -> 0.112), where the
    keras.io recipe's second fit, the base unfrozen, goes 0.140 -> 0.139 (moves 0.014)."""
    import numpy as np

    before = np.asarray(before, dtype=float)
    if before.shape[0] == 0 or not np.isfinite(first):
        return False
    start, end = float(before[0]), float(before[-1])
    if not abs(first - end) < abs(first - start):
        return False
    tail = before[-10:]
    moves = float(np.median(np.abs(np.diff(tail)))) if tail.shape[0] >= 3 else abs(end - start)
    return first - end <= max(3 * moves, 1e-3 * abs(end))


#: Columns in which a loop logs its fp16 loss scale (torch.amp.GradScaler's ``get_scale()``, DeepSpeed's
#: ``loss_scale``): beside a non-finite gradient norm they say the step was skipped, not applied.
LOSS_SCALE_COLUMNS = ("scale", "loss_scale", "grad_scale", "amp_scale", "scaler_scale")


def warn_nonfinite_grad_norms(source, steps, norms, *, scaler: bool = False, unit: str = "step") -> list:
    """One warning where logged ``grad_norm`` values are NaN or inf, whatever the reader: the Run holds NaN for "not
    logged", so the rules read such rows as gaps (and a run whose every norm was NaN as one that logged none) without
    a word. ``steps``: the rows' step (or epoch) values, ``norms``: their logged norms (rows that logged one only);
    ``scaler``: the log has a loss-scale column, so the rows are the steps a GradScaler skipped. inf is an overflow
    (under fp16 the GradScaler skips those steps and lowers its scale; without one the step wrote inf/NaN into the
    weights); NaN a NaN gradient (a NaN loss, input or weight on those steps). Returns the bad rows' steps."""
    bad = [(s, g) for s, g in zip(steps, norms) if not math.isfinite(g)]
    if not bad:
        return []
    kinds = "/".join(k for k, hit in (("inf", any(math.isinf(g) for _, g in bad)),
                                      ("NaN", any(math.isnan(g) for _, g in bad))) if hit)
    at = [s for s, _ in bad]
    said = ", ".join(_said(s) for s in at[:3]) + (f" and {len(at) - 3} more" if len(at) > 3 else "")
    if scaler:
        why = "the steps the fp16 GradScaler skipped (its gradients overflowed, it lowered its scale and made no " \
              "update): a loss logged on them moved no weight"
    elif "inf" in kinds:
        why = "the gradients overflowed (under fp16 the GradScaler skips such steps; without one they wrote inf/NaN " \
              "into the weights)"
    else:
        why = "NaN gradients (under fp16 an overflow the GradScaler skips; otherwise a NaN loss, input or weight at " \
              "those steps)"
    if len(bad) == len(list(norms)):
        warn(source, "grad_norm is %s at every one of its %d logged %ss: %s; no gradient evidence is read", kinds,
             len(bad), unit, why)
    else:
        warn(source, "grad_norm is %s at %d of its %d logged %ss (%s %s): %s; read as gaps", kinds, len(bad),
             len(list(norms)), unit, unit, said, why)
    return at


def _said(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
