"""JSON records -> columns: JSON Lines (one object per line) and JSON arrays of objects.

Metric loggers (W&B's ``wandb-history.jsonl``, custom loops that ``json.dumps`` a dict per
epoch, Hugging Face's ``log_history``) write one object per logging event, each holding only
the keys logged at that moment. The union of keys becomes the columns, a key missing from a
row is NaN there.
"""

from __future__ import annotations

import json
import math
import re
import numbers
from itertools import chain, compress

import numpy as np

from ..exceptions import ReadError

NAN = math.nan

try:  # a core dependency, 2-3x faster than json on a 100,000-step trainer_state.json
    import orjson as _orjson
except ImportError:  # pragma: no cover - a platform without an orjson wheel reads through json
    _orjson = None


def loads(text: str, source: str | None = None):
    """``json.loads``, through orjson (a core dependency) where it is installed.
    What orjson refuses goes to json, which then reads it or raises its own error: the NaN and
    Infinity literals Python's json writes (a trainer_state.json with a NaN grad_norm), integers
    beyond 64 bits, nesting deeper than 1,024. With ``source``, a key written twice in one object
    over different values raises (:func:`refuse_doubled_keys`)."""
    obj = None
    if _orjson is not None:
        try:
            obj = _orjson.loads(text)
        except _orjson.JSONDecodeError:
            pass
    if obj is None:
        obj = json.loads(text)
    if source is not None:
        refuse_doubled_keys(text, obj, source)
    return obj


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[-+.\w]+|\s+|"(?:[^"\\]|\\.)*\\?$')


def cut_prefix(text: str) -> tuple[str, int] | None:
    """A JSON document cut off mid-write (a process killed while it wrote ``history.json`` or a
    ``trainer_state.json``), closed after its last complete value: ``(text, length kept)``; None where ``text``
    is not such a cut -- a document that ends with every container closed, or one malformed before its end.

    An object cut inside a list of objects (one of a ``log_history``'s records) is left out whole: a record
    without the keys after the cut would read as a point that logged none of them. A list of numbers (a Keras
    History's) keeps the numbers before the cut; a number the cut may have shortened (no delimiter after it)
    is left out."""
    stack: list[list] = []  # [opener, position after its last complete value, its own start]
    pos, n = 0, len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:
            return None
        tok, end = m.group(), m.end()
        if tok in "{[":
            stack.append([tok, end, pos])
        elif tok in "}]":
            if not stack or "{[".index(stack[-1][0]) != "}]".index(tok):
                return None
            stack.pop()
            if not stack:
                return None  # every container closed: the document is whole, its error elsewhere
            stack[-1][1] = end
        elif tok == ",":
            if not stack:
                return None
            stack[-1][1] = pos
        elif tok[0] == '"' and (len(tok) == 1 or not tok.endswith('"') or tok.endswith('\\"')) and end == n:
            break  # a string the cut left open
        pos = end
    if not stack:
        return None
    # (a record cut inside a list of records: back to the list's last complete one)
    while len(stack) > 1 and stack[-1][0] == "{" and stack[-2][0] == "[":
        stack.pop()
    keep = stack[-1][1]
    closers = "".join("}" if s[0] == "{" else "]" for s in reversed(stack))
    return text[:keep] + closers, keep


def _pairs_into(found: list):
    """An ``object_pairs_hook`` that keeps the last value of a key, as json does, and appends ``(key, first,
    second)`` to ``found`` for each key written twice in one object over different values."""
    def hook(pairs):
        out = {}
        for key, value in pairs:
            if key in out and not _same(out[key], value):
                found.append((key, out[key], value))
            out[key] = value
        return out
    return hook


def _same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def refuse_doubled_keys(text: str, obj, source: str, lines: list[str] | None = None) -> None:
    """A curve's key (loss, accuracy, epoch, step ...) written twice in one JSON object over different values
    (``{"loss": 0.5, "loss": 2.1}``, a damaged or hand-merged record) raises, naming it: json and orjson keep the
    last silently, and which one the logger meant is unknown. Any other key so doubled (a timing, a note) is
    said in one warning, the last value read. Written twice over the same value a key is one key: read once.
    ``obj`` is ``text`` parsed; only where its count of key ends (``":``, C-level) differs from its
    re-serialisation's is the text parsed again seeing every pair (an escaped quote before a colon inside a
    string counts alike in both; a key written ``"k" :`` only sends the text to that check): 0.1 s more on a
    100,000-record trainer_state.json (0.4 s). ``lines``: JSON Lines (``text`` their objects joined in an
    array), whose messages name the line."""
    from .delimited import is_curve_name

    dumped = None
    if _orjson is not None:
        try:
            dumped = _orjson.dumps(obj)
        except TypeError:  # (an integer beyond 64 bits, nesting deeper than orjson writes)
            pass
    if dumped is None:
        try:
            dumped = json.dumps(obj).encode()
        except (ValueError, RecursionError):
            return
    if text.count('":') == dumped.count(b'":'):
        return
    doubled = []  # (line index or None, key, first, second)
    for i, part in enumerate(lines if lines is not None else [text]):
        found: list = []
        try:
            json.loads(part, object_pairs_hook=_pairs_into(found))
        except (ValueError, RecursionError):
            continue
        doubled += [(i if lines is not None else None, *d) for d in found]
    if not doubled:
        return

    def where(i):
        return f"line {i + 1}: " if i is not None else ""

    curve = [d for d in doubled if isinstance(d[1], str) and is_curve_name(d[1])]
    if curve:
        i, key, first, second = curve[0]
        raise ReadError(f"{where(i)}key {key!r} is in one object twice, over different values ({_short(first)} and "
                        f"{_short(second)}): a damaged or hand-edited record? Write each key once", source)
    from ._source import warn

    i, key, first, second = doubled[0]
    warn(source, "%skey %r is in one object twice, over different values (%s and %s)%s: the last read",
         where(i), key, _short(first), _short(second),
         f", and {len(doubled) - 1} more key{'s' if len(doubled) > 2 else ''} so" if len(doubled) > 1 else "")


def _short(value) -> str:
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_jsonl(text: str, source: str) -> list[dict]:
    """Parse JSON Lines into a list of objects.

    A broken *last* line is dropped, with a warning (a run killed mid-write leaves one); a broken line
    elsewhere is an error naming its line number. Lines that hold no object are skipped. A key written twice
    in one line's object over different values is an error naming the line (:func:`refuse_doubled_keys`).
    """
    lines = [ln for ln in text.splitlines() if ln.strip()]
    joined = "[" + ",".join(lines) + "]"
    try:  # one C-level parse is several times faster than a json.loads per line
        rows = loads(joined)
    except (ValueError, RecursionError):
        rows = []
        for i, line in enumerate(lines):
            try:
                rows.append(json.loads(line))
            except (ValueError, RecursionError) as exc:
                if i == len(lines) - 1 and i > 0:
                    from ._source import warn
                    warn(source, "the last line was cut off mid-write (%r, not whole JSON): left out",
                         line.strip()[-40:])
                    lines = lines[:-1]
                    break
                raise ReadError(f"unreadable JSON Lines: line {i + 1}: {_msg(exc)}", source) from None
        joined = "[" + ",".join(lines) + "]"
    refuse_doubled_keys(joined, rows, source, lines=lines)
    return [r for r in rows if isinstance(r, dict)]


def _msg(exc: Exception) -> str:
    return getattr(exc, "msg", None) or str(exc).splitlines()[0][:120]


def refuse_stray_strings(key: str, values, source: str | None, where: str = "record") -> None:
    """A curve's values (loss, accuracy, epoch ...) that are numbers but for a word ("abc", "0.5.1"), a
    true/false or a list or object raise, naming it: read as a gap (true as 1.0), the damaged value vanished
    in silence. null and the missing-value spellings (NA, nan ...) stay gaps; numbers written as strings
    ("0.5") are numbers."""
    from .delimited import MISSING, is_curve_name, is_number

    if source is None or not is_curve_name(key):
        return
    values = list(values)
    if sum(1 for v in values if isinstance(v, numbers.Real) and not isinstance(v, bool)) < 2:
        return
    for i, v in enumerate(values):
        if isinstance(v, str) and v.strip().lower() not in MISSING and not is_number(v):
            raise ReadError(f"{key!r} holds {v.strip()[:40]!r} in {where} {i + 1} among numbers "
                            "(a damaged or mistyped value)", source)
        if isinstance(v, (bool, list, dict)):
            raise ReadError(f"{key!r} holds {_short(v)} in {where} {i + 1} among numbers "
                            "(a damaged or mistyped value)", source)


def to_columns(records: list, drop=None, skip=None, source: str | None = None) -> dict[str, np.ndarray]:
    """Objects -> ``{key: array}``: floats where the values are numbers, str where they are text.

    Nested values (lists, dicts) become NaN (but see ``source``); entries that are not objects are all-NaN rows;
    ``drop(key) -> bool`` leaves keys out; ``skip(keys) -> bool`` blanks whole rows by their
    key tuple (Hugging Face's closing summary row). Every array has ``len(records)`` entries.
    With ``source``, a word, a true/false, a list or an object among a curve's numbers raises
    (:func:`refuse_stray_strings`).

    Loggers write few kinds of rows (a train row, an eval row ...), each always with the same
    keys in the same order, so rows are grouped by their key tuple (:func:`_row_groups`) and each
    group converted to a 2-D float block in one numpy call -- a 100,000-row ``log_history`` in tens of ms.
    """
    n = len(records)
    if set(map(type, records)) != {dict}:
        records = [r if isinstance(r, dict) else {} for r in records]
    groups = _row_groups(records)
    keys = [k for k in dict.fromkeys(k for sig, _, _ in groups for k in sig)
            if isinstance(k, str) and not (drop is not None and drop(k))]
    floats = {k: np.full(n, NAN) for k in keys}
    slow: set[str] = set()
    for sig, index, rows in groups:
        if not sig or (skip is not None and skip(sig)):
            continue
        try:  # straight from the dicts' values into one buffer, no tuple per row
            block = np.fromiter(chain.from_iterable(map(dict.values, rows)), dtype=float,
                                count=len(rows) * len(sig)).reshape(len(rows), len(sig))
        except (TypeError, ValueError, OverflowError):
            try:  # None (JSON null) -> NaN needs numpy's object conversion
                block = np.array(list(map(tuple, map(dict.values, rows))), dtype=float)
            except (TypeError, ValueError, OverflowError):
                block = None
        if block is not None and block.shape == (len(rows), len(sig)):
            for j, key in enumerate(sig):
                if key in floats:
                    floats[key][index] = block[:, j]
            if source is not None:
                slow.update(_bools(sig, block, rows, floats))
        else:
            slow.update(k for k in sig if k in floats)
    if slow and skip is not None:
        records = [{} if skip(tuple(r)) else r for r in records]
    out: dict[str, np.ndarray] = {}
    for key in keys:
        if key not in slow:
            out[key] = floats[key]
            continue
        values = [row.get(key) for row in records]
        numbers_ = sum(1 for v in values if isinstance(v, numbers.Real))
        texts = sum(1 for v in values if isinstance(v, str))
        if texts > numbers_:
            out[key] = np.array(["" if v is None else str(v) for v in values], dtype=object)
        elif numbers_:
            refuse_stray_strings(key, values, source)
            out[key] = np.array([number_or_nan(v) for v in values], dtype=float)
    return out


def repeated_records(cols: dict[str, np.ndarray], source: str) -> dict[str, np.ndarray]:
    """``cols`` with a record written again right after itself alike read once; one written again at the same
    step (every axis key alike, the same keys) over another value of a curve (``{"step": 65, "loss": 2.2}`` then
    ``{"step": 65, "loss": 3.3}``) raises, naming the records: one of the two is damaged and which is unknown
    (read on, the later one replaced the earlier, a loss spike from nowhere: a 5-epoch loop's log read
    stuck_at_init; alike, it counted twice in its epoch's mean). Only where the axis otherwise moves on between
    such records (under 10% repeat): a log that writes each batch at its epoch repeats it by design."""
    from ..columns import axis_kind
    from .delimited import is_curve_name

    floats = {k: v for k, v in cols.items() if v.dtype.kind == "f"}
    axes = [k for k in floats if axis_kind(k)]
    n = len(next(iter(cols.values()), ()))
    if not axes or n < 3:
        return cols
    same = np.ones(n - 1, dtype=bool)
    for v in floats.values():  # the same keys: the same columns present
        f = np.isfinite(v)
        same &= f[1:] == f[:-1]
    for k in axes:
        same &= np.isfinite(floats[k][1:]) & (floats[k][1:] == floats[k][:-1])
    if not same.any() or same.sum() >= 0.1 * (n - 1):
        return cols
    for key, v in floats.items():
        if key in axes or not is_curve_name(key):
            continue
        clash = np.flatnonzero(same & np.isfinite(v[1:]) & (v[1:] != v[:-1]))
        if clash.size:
            i = int(clash[0])
            at = ", ".join(f"{k} {floats[k][i]:g}" for k in axes)
            raise ReadError(f"records {i + 1} and {i + 2} are one record written twice ({at}) over different values "
                            f"of {key} ({v[i]:.6g} and {v[i + 1]:.6g}): which one was logged is unknown (a damaged "
                            "or hand-merged log?)", source)
    for v in cols.values():  # alike in every value, text too
        same &= (v[1:] == v[:-1]) | (np.isnan(v[1:]) & np.isnan(v[:-1]) if v.dtype.kind == "f" else False)
    if not same.any():
        return cols
    keep = np.concatenate([[True], ~same])
    return {k: v[keep] for k, v in cols.items()}


def _bools(sig: tuple, block: np.ndarray, rows: list[dict], keys) -> list[str]:
    """The curves (loss, epoch ...) of one kind of row whose block read a true or false as 1.0 or 0.0: each
    goes the slow way, where it is refused (:func:`refuse_stray_strings`). Only a column holding a 0 or 1 is
    looked at value by value."""
    from .delimited import is_curve_name

    found = []
    for j, key in enumerate(sig):
        if key in keys and is_curve_name(key):
            at = np.flatnonzero((block[:, j] == 0) | (block[:, j] == 1)).tolist()
            if at and any(type(rows[i][key]) is bool for i in at):
                found.append(key)
    return found


def _row_groups(records: list[dict]) -> list[tuple[tuple, np.ndarray, list[dict]]]:
    """``[(key tuple, row indices, rows)]`` of ``records``, one per distinct key tuple, in order of first
    appearance.

    Rows are told apart by their number of keys first (a C-level pass: a tuple of keys per row, hashed twice,
    took half the time of a 100,000-row ``log_history``); a group whose rows all hold the first row's keys in
    its order (one list comparison) is one kind of row, any other is split by key tuple."""
    n = len(records)
    lengths = np.fromiter(map(len, records), dtype=np.intp, count=n)
    distinct = np.unique(lengths).tolist()
    groups = []  # (first row, key tuple, row indices, rows)
    for length in distinct:
        if len(distinct) == 1:
            index, rows = np.arange(n), records
        else:
            mask = lengths == length
            index, rows = np.flatnonzero(mask), list(compress(records, mask.tolist()))
        keys = list(rows[0])
        if list(chain.from_iterable(rows)) == keys * len(rows):
            groups.append((int(index[0]), tuple(keys), index, rows))
            continue
        signatures = list(map(tuple, rows))
        code_of = {sig: k for k, sig in enumerate(dict.fromkeys(signatures))}
        codes = np.fromiter(map(code_of.__getitem__, signatures), dtype=np.intp, count=len(rows))
        for sig, code in code_of.items():
            inside = np.flatnonzero(codes == code)
            groups.append((int(index[inside[0]]), sig, index[inside], list(map(rows.__getitem__, inside.tolist()))))
    groups.sort(key=lambda g: g[0])
    return [(sig, index, rows) for _, sig, index, rows in groups]


def number_or_nan(v) -> float:
    """A record's value as a float: a number (one too large for a float as +-inf) or a string that reads as
    one; NaN for anything else (None, a list, a word)."""
    if isinstance(v, numbers.Real):
        try:
            return float(v)
        except OverflowError:
            return math.copysign(math.inf, v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return NAN
    return NAN


def _index_key(k) -> int | None:
    """A pandas index label as ``to_json`` writes it (``"0"``, ``"17"``), as an int; else None."""
    if isinstance(k, bool):
        return None
    if isinstance(k, int):
        return k
    if isinstance(k, str) and k.strip().lstrip("-").isdigit():
        return int(k)
    return None


def _scalar(v) -> bool:
    return v is None or isinstance(v, (numbers.Real, str))


def pandas_frame(obj) -> tuple[list[dict], list[int] | None, str] | None:
    """``(rows, index, orient)`` when ``obj`` is a DataFrame as pandas' ``to_json`` writes it in a layout other
    than records, else None. ``pd.DataFrame(history.history).to_json("history.json")`` -- the usual way to save
    a Keras History with pandas -- writes the default ``orient="columns"``, ``{"loss": {"0": 0.9, "1": 0.7 ...}}``,
    a dict of dicts keyed by the row index; ``"index"`` writes ``{"0": {"loss": 0.9 ...}}``; ``"split"``
    ``{"columns": [...], "index": [...], "data": [[...]]}``; ``"table"`` ``{"schema": ..., "data": [{...}]}``.
    ``index`` is the row index where the layout keeps it (None where it is the rows' own ``index`` column)."""
    if not isinstance(obj, dict) or not obj:
        return None
    keys = set(obj)
    if {"columns", "data"} <= keys <= {"columns", "index", "data"} and isinstance(obj["columns"], list) \
            and isinstance(obj["data"], list) and all(isinstance(r, list) and len(r) == len(obj["columns"])
                                                      for r in obj["data"]):
        rows = [dict(zip(map(str, obj["columns"]), r)) for r in obj["data"]]
        idx = obj.get("index")
        index = [_index_key(k) for k in idx] if isinstance(idx, list) and len(idx) == len(rows) else None
        return rows, (index if index is not None and None not in index else None), "split"
    if keys == {"schema", "data"} and isinstance(obj["schema"], dict) and "fields" in obj["schema"] \
            and isinstance(obj["data"], list) and all(isinstance(r, dict) for r in obj["data"]):
        key = obj["schema"].get("primaryKey")
        rows = [dict(r) for r in obj["data"]]
        index = None
        if key == ["index"]:  # an unnamed index (pandas names it "index"): the row number, not a column
            index = [_index_key(r.pop("index", None)) for r in rows]
            index = None if None in index else index
        return rows, index, "table"
    inner = list(obj.values())
    if all(isinstance(v, dict) for v in inner):
        labels = [_index_key(k) for k in obj]
        if None not in labels and all(all(_scalar(x) for x in v.values()) for v in inner):  # orient="index"
            order = sorted(range(len(labels)), key=labels.__getitem__)
            return [dict(inner[i]) for i in order], [labels[i] for i in order], "index"
        sub = {k for v in inner for k in v}
        index = sorted({_index_key(k) for k in sub}, key=lambda x: (x is None, x or 0))
        if sub and None not in index and all(_scalar(x) for v in inner for x in v.values()):  # orient="columns"
            cols = {str(c): {_index_key(k): x for k, x in v.items()} for c, v in obj.items()}
            return [{c: cols[c].get(i) for c in cols} for i in index], index, "columns"
    return None
