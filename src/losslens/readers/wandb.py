"""Weights & Biases runs: an offline run folder (``wandb/offline-run-*``) or an exported CSV.

An exported history CSV (the run page's "Export CSV", or ``run.history().to_csv()``) is
an ordinary CSV with a ``_step`` column: the generic CSV reader reads it (``_step`` is a
step axis in :mod:`losslens.columns`), and :func:`read_wandb` hands such files to it.

An offline run keeps its history only in ``run-<id>.wandb``: a LevelDB-style log of
``wandb_internal_pb2.Record`` protobufs (header ``:W&B``, 32 KiB blocks, records split into
FULL/FIRST/MIDDLE/LAST fragments — the framing of LevelDB's log format). wandb ≥ 0.19 reads
it only in its Go core and ships no Python reader, so we read the framing here (40 lines)
and decode each record with the ``wandb`` package's own protobuf classes; without ``wandb``
installed that is a one-line error. A half-written final record (a run still writing, a killed job) is
left out, with a warning. Each fragment's CRC32 is checked (W&B's, seeded with the fragment's type byte): a
record that fails it mid-file is damage, not a cut, and reading resumes at the next whole record (LevelDB's
framing allows it: a fragment never crosses a 32 KiB block), said in one warning with the history rows lost.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np

from ..columns import axis_kind
from ..exceptions import MissingExtraError, ReadError
from ..run import Run
from ._source import WANDB_MAGIC, warn
from .tensorboard import column_name, scalars_to_run

_BLOCK = 32768
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def read_wandb(path) -> list[Run]:
    """Read W&B runs from ``path``.

    ``path`` is a ``wandb`` directory (every ``offline-run-*``/``run-*`` folder inside), one
    run folder, a ``run-<id>.wandb`` file, or an exported history CSV. Returns one Run per
    W&B run, named by the run's display name (or id); the axis is ``_step``, or the epoch
    when an ``epoch`` value is logged.
    """
    text = str(path)
    if text.startswith("wandb:"):
        text = text[len("wandb:"):]
    path = Path(text)
    if not path.exists():
        online = text.count("/") == 2 and not text.startswith((".", "/", "~")) and not path.parent.parent.exists()
        # wandb:ENTITY/PROJECT/RUN_ID, as the W&B API names a run: losslens reads no server.
        raise ReadError("no such file or directory" + (
            "; losslens reads W&B's local files (an offline run folder, a history exported as CSV), not runs on "
            "the W&B server: export the run's history (its page's Export CSV) and give that" if online else ""), path)
    if path.is_file() and path.suffix != ".wandb" and not _starts_as_run_file(path):
        from . import read  # an exported CSV: the generic reader knows _step
        return read(path)
    files = _wandb_files(path)
    if not files:
        raise ReadError("no W&B run file (run-<id>.wandb) found", path)
    try:
        from wandb.proto import wandb_internal_pb2 as pb
    except ImportError:
        raise MissingExtraError("reading W&B offline runs needs the wandb package: "
                                    "pip install 'losslens[wandb]'", path) from None
    runs = []
    for parts in _resumed_together([_read_run_file(f, pb) for f in files]):
        run = _to_run(parts)
        if run is not None:
            runs.append(run)
    if not runs:
        raise ReadError("W&B run holds no logged history", path)
    return runs


def _starts_as_run_file(path: Path) -> bool:
    """A run file renamed (no ``.wandb`` suffix) is still one: handed back to the generic reader, which sniffs its
    :W&B header and hands it here again, it recursed until Python's limit (a fuzzed file named ``log``)."""
    try:
        with open(path, "rb") as f:
            return f.read(len(WANDB_MAGIC)) == WANDB_MAGIC
    except OSError:
        return False


def _wandb_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    direct = sorted(path.glob("run-*.wandb"))
    if direct:
        return direct
    return sorted(path.glob("*run-*/run-*.wandb"))


def _read_run_file(path: Path, pb) -> dict:
    """``{"path", "name", "meta", "scalars"}`` of one run file; ``scalars`` keeps W&B's own ``_timestamp`` ..."""
    data = path.read_bytes()
    if not data.startswith(WANDB_MAGIC):
        raise ReadError("not a W&B run file (no :W&B header)", path)
    scalars: dict[str, tuple[list, list]] = {}
    name = path.stem[len("run-"):] if path.stem.startswith("run-") else path.stem
    meta = {"format": "wandb", "run_id": name}
    cut: list[int] = []
    damaged: list[tuple[int, int | None]] = []
    rows: list[tuple[int, float]] = []  # (byte offset, _step) of each history row read
    for at, payload in _records(data, cut, damaged):
        rec = pb.Record()
        try:
            rec.ParseFromString(payload)
        except Exception:  # a torn record: skip it, keep the rest
            continue
        kind = rec.WhichOneof("record_type")
        if kind == "run":
            meta.update(run_id=rec.run.run_id, project=rec.run.project)
            name = rec.run.display_name or rec.run.run_id or name
            _configure(meta, rec.run.config)
        elif kind == "config":  # run.config.update(...) after init: a Transformers Trainer's whole config
            _configure(meta, rec.config)
        elif kind == "history":
            step = _add_history(rec.history, scalars)
            if step is not None:
                rows.append((at, step))
    if damaged:
        warn(path, _damage_note(damaged, rows, len(data)))
    if cut:  # a run still writing, or a killed job: what came before the cut is the run so far
        warn(path, "the last record was cut off mid-write (%d bytes at the end): left out", cut[0])
    return {"path": path, "name": name, "meta": meta, "scalars": scalars}


def _damage_note(damaged: list[tuple[int, int | None]], rows: list[tuple[int, float]], size: int) -> str:
    """One line for the records that failed their CRC check mid-file: where, the bytes skipped, and the history
    rows lost, counted from the gap in ``_step`` across each damaged stretch (at the step between the rows read:
    1 for W&B's own counter). ``damaged``: ``(byte, byte reading resumed at or None: not resumed)``; ``rows``:
    ``(byte, _step)`` of each history row read, in file order."""
    at = np.array([a for a, _ in rows], dtype=float)
    steps = np.array([s for _, s in rows], dtype=float)
    gaps = np.diff(steps)
    gaps = gaps[gaps > 0]
    every = float(np.median(gaps)) if gaps.size else 1.0
    lost, where = 0, []
    for start, resumed in damaged:
        before = steps[at < start]
        after = steps[at >= resumed] if resumed is not None else np.empty(0)
        first = before[-1] + every if before.size else 0.0  # (W&B counts _step from 0)
        if after.size:
            n = max(int(round((after[0] - first) / every)), 0)
            if n:
                lost += n
                last = after[0] - every
                where.append(_num(first) if n == 1 else f"{_num(first)}-{_num(last)}")
    bytes_out = sum((resumed if resumed is not None else size) - start for start, resumed in damaged)
    if len(damaged) == 1:
        head = f"corrupt record at byte {damaged[0][0]} (fails its CRC check)"
    else:
        head = (f"{len(damaged)} corrupt records (fail their CRC check) at bytes "
                + ", ".join(str(a) for a, _ in damaged[:4]) + (" ..." if len(damaged) > 4 else ""))
    if damaged[-1][1] is None:  # no whole record after the last: the rest of the file unread
        start = damaged[-1][0]
        tail = size - start
        more = int(len(rows) / max(start, 1) * tail)  # (at the bytes a row took in the part read)
        text = (f"{head}: the {tail} bytes from {'there' if len(damaged) == 1 else f'byte {start}'} "
                f"({round(100 * tail / size)}% of the file) hold no whole record and were not read"
                + (f", {bytes_out - tail} more bytes skipped before it" if len(damaged) > 1 else "")
                + f"; the run is read from the {len(rows)} history rows before them")
        if more:
            text += f" (about {more} more in the bytes not read, at the size of those read)"
        if lost:
            text += f", {lost} more lost (_step {', '.join(where)})"
        return text
    resumed = [r for _, r in damaged]
    text = (f"{head}: {bytes_out} bytes skipped ({max(1, round(100 * bytes_out / size))}% of the file), read on "
            f"from the next whole record (byte {', '.join(map(str, resumed[:4]))}{' ...' if len(resumed) > 4 else ''}): ")
    if lost:
        text += (f"{lost} history row{'s' if lost != 1 else ''} lost (_step {', '.join(where)}); the run is read "
                 f"from {len(rows)} of its {len(rows) + lost} history rows")
    else:
        text += "no history row lost"
    return text


def _resumed_together(parts: list[dict]) -> list[list[dict]]:
    """The run files grouped by run id, each group in the order its parts started.

    ``wandb.init(id=..., resume="allow")`` offline writes each resumed part to a folder of its own under one
    run id, W&B's ``_step`` from 0 again (``step=`` as logged); :func:`_join_part` joins them. Their order is the
    time of their first logged row (``_timestamp``), else their folders' (named by the second the part started)."""
    groups: dict[str, list[dict]] = {}
    for part in parts:
        groups.setdefault(part["meta"]["run_id"], []).append(part)
    for group in groups.values():
        group.sort(key=lambda p: min(p["scalars"].get("_timestamp", ([], [float("inf")]))[1]))
    return list(groups.values())


def _to_run(parts: list[dict]) -> Run | None:
    first = parts[0]
    scalars = {k: (list(st), list(v)) for k, (st, v) in first["scalars"].items()}
    said = []
    for i, part in enumerate(parts[1:], start=2):
        said.extend(_join_part(scalars, part["scalars"], i))
    # _timestamp, _runtime and other underscore keys are W&B's bookkeeping, not metrics.
    rows = {k: v for k, v in scalars.items() if not k.startswith("_")}
    if not rows:
        return None
    meta = dict(first["meta"])
    note = None
    if len(parts) > 1:
        meta["resumed_parts"] = [str(p["path"]) for p in parts]
        note = (f"{len(parts)} offline parts of W&B run {meta['run_id']} (resumed with its id) read as one, in the "
                "order they started" + "".join("; " + s for s in said))
        meta.setdefault("notes", []).append(note)
    try:
        run = scalars_to_run(rows, name=first["name"], source=str(first["path"]), meta=meta)
    except ReadError:
        return None
    if note:  # on stderr too, as every reader's note (kept on the run once: keep_notes sees it there)
        warn(first["path"], note)
    return run


def _join_part(scalars: dict, part: dict, number: int) -> list[str]:
    """Append a resumed part's ``{key: (steps, values)}`` to ``scalars`` in place; what was done, in words.

    A job resumed from a checkpoint older than its crash logs some steps (epochs) a second time. The later
    part's record wins, as TensorBoard drops a restart's orphans: it is the training the model went on from.
    (Online, W&B ignores a logged step below the run's last one, so its chart keeps the crashed part's
    values there; a rewind, ``wandb.init(resume_from=...)``, truncates the history and keeps the later.)"""
    end = max((max(st) for st, _ in scalars.values() if st), default=-1)
    begin = min((min(st) for st, _ in part.values() if st), default=0)
    said = []
    if begin == 0 and end >= 0:
        # W&B's own step counter started again at 0: offline, a resumed part cannot know the run's last step.
        # Online W&B goes on from it, so the part's steps go on after the part before.
        shift = end + 1
        if _epoch_key(part) is None:  # (with an epoch logged the run is read on it: the steps only keep the order)
            said.append(f"part {number} counts _step from 0 again (W&B's counter, offline): its steps read from "
                        f"{_num(end + 1)} on, after the part before, as W&B online counts them (no epoch or step of "
                        "its own logged to tell whether it trained some again)")
    else:
        shift = 0
        if begin <= end:
            # step= logged again from an earlier checkpoint's step: those steps are the resumed part's.
            gone = _cut(scalars, lambda steps: np.asarray(steps) >= begin)
            said.append(f"part {number} logs step {_num(begin)} again (resumed from an earlier checkpoint): "
                        f"the earlier part's {gone} record{'s' if gone != 1 else ''} from step {_num(begin)} to "
                        f"{_num(end)} left out, the later ones read")
    epochs = _epochs(part)
    again = float(epochs.min()) if epochs.size else None
    if again is not None:
        cut = _epoch_cut(scalars, part, again)
        if cut is not None:
            before = _epochs(scalars)
            last = float(before.max()) if before.size else float("nan")
            gone = _cut(scalars, lambda steps: np.asarray(steps) > cut)
            if last >= again:
                said.append(f"part {number} logs epoch {_num(again)} again: the earlier part's rows of epoch"
                            + (f"s {_num(again)}-{_num(last)}" if last > again else f" {_num(again)}")
                            + " left out, the later ones read")
            else:
                said.append(f"the earlier part's last {gone} row{'s' if gone != 1 else ''}, logged after its last "
                            f"epoch ({_num(last)}) with no epoch after them, left out: the epoch the job was stopped "
                            f"in, which part {number} trained again")
    for key, (steps, values) in part.items():
        have = scalars.setdefault(key, ([], []))
        have[0].extend(st + shift for st in steps)
        have[1].extend(values)
    return said


def _epoch_key(scalars: dict) -> str | None:
    return next((k for k in scalars if axis_kind(column_name(k)) == "epoch"), None)


def _epochs(scalars: dict) -> np.ndarray:
    """The finite epochs logged in ``scalars`` (none where no epoch key is)."""
    key = _epoch_key(scalars)
    vals = np.asarray(scalars[key][1], dtype=float) if key else np.empty(0)
    return vals[np.isfinite(vals)]


def _epoch_cut(scalars: dict, part: dict, again: float) -> float | None:
    """The step after which the earlier parts' rows are left out for a part whose epochs start at ``again``, else None.

    A batch row belongs to the epoch logged with it or next (W&B's ``epoch`` logged at the epoch's end, Lightning's
    on every row): the rows kept end where the last epoch before ``again`` was logged. Where no epoch was logged
    again, rows after the last epoch (batch rows with no epoch after them: a job killed in mid-epoch) are left out
    only if the resumed part logs the same keys before its first epoch: that epoch trained again. (A validation
    logged in a row of its own after its epoch's is no such row.)"""
    key = _epoch_key(scalars)
    if key is None:
        return None
    steps, vals = (np.asarray(a, dtype=float) for a in scalars[key])
    ok = np.isfinite(vals)
    steps, vals = steps[ok], vals[ok]
    if not vals.size:
        return None
    before = steps[vals < again]
    cut = float(before.max()) if before.size else -1.0
    if (vals >= again).any():
        return cut
    if again > vals.max() + 1:
        return None
    after = {k for k, (st, _) in scalars.items() if not k.startswith("_") and k != key and any(x > cut for x in st)}
    p_steps, p_vals = (np.asarray(a, dtype=float) for a in part[_epoch_key(part)])
    start = p_steps[np.isfinite(p_vals)].min()
    redone = {k for k, (st, _) in part.items() if not k.startswith("_") and any(x < start for x in st)}
    return cut if after and after <= redone else None


def _cut(scalars: dict, drop) -> int:
    """Remove, in place, every key's records at the steps ``drop(steps)`` marks; the most any one key lost."""
    most = 0
    for key, (steps, values) in list(scalars.items()):
        gone = drop(steps) if steps else np.zeros(0, dtype=bool)
        if gone.any():
            scalars[key] = ([s for s, g in zip(steps, gone) if not g], [v for v, g in zip(values, gone) if not g])
            if not key.startswith("_"):
                most = max(most, int(gone.sum()))
    return most


def _num(x: float) -> str:
    return f"{x:g}"


def _add_history(history, scalars):
    step = history.step.num if history.HasField("step") else None
    values = {}
    for item in history.item:
        key = "/".join(item.nested_key) if item.nested_key else item.key
        value = _item_value(item)
        if key == "_step" and value is not None:
            step = value
        elif value is not None:
            values[key] = value
    if step is None:
        return None
    for key, value in values.items():
        steps, vals = scalars.setdefault(key, ([], []))
        steps.append(step)
        vals.append(value)
    return step


def _item_value(item) -> float | None:
    which = item.WhichOneof("value") if _has_oneof(item) else None
    if which in ("number", "integer"):
        return float(getattr(item, which))
    if which == "boolean":
        return None
    raw = item.value_json
    if not raw:
        return None
    v = _json_value(raw)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        if isinstance(v, str) and v.lower() in ("nan", "inf", "-inf", "infinity", "-infinity"):
            return float(v.replace("inity", ""))
        return None  # images, tables, histograms: not a scalar
    return float(v)


def _has_oneof(item) -> bool:
    return any(o.name == "value" for o in item.DESCRIPTOR.oneofs)


def _configure(meta: dict, record) -> None:
    """Apply a ``ConfigRecord`` (the run's config at init, or a later ``run.config.update``/``del``) to
    ``meta["config"]``: each item's ``key``, or its ``nested_key`` path, set or removed. W&B's own entries
    (``_wandb``) are left out."""
    config = meta.setdefault("config", {})
    for item in record.update:
        path = list(item.nested_key) or [item.key]
        if not path or str(path[0]).startswith("_"):
            continue
        here = config
        for part in path[:-1]:
            here = here.setdefault(part, {})
            if not isinstance(here, dict):  # (a value where the path wants a section: an odd file, passed over)
                break
        else:
            here[path[-1]] = _json_value(item.value_json)
    for item in record.remove:
        path = list(item.nested_key) or [item.key]
        here = config
        for part in path[:-1]:
            here = here.get(part) if isinstance(here, dict) else None
        if isinstance(here, dict) and path:
            here.pop(path[-1], None)
    if not config:
        del meta["config"]


def _json_value(raw: str):
    try:
        return json.loads(raw)
    except ValueError:
        # wandb writes NaN/Infinity as bare words, which json accepts; anything else is text.
        return raw


#: W&B's CRC of a fragment: CRC-32 (zlib's) of its data, seeded with the CRC of its type byte.
_SEED = [zlib.crc32(bytes([kind])) for kind in range(_LAST + 1)]


def _intact(data: bytes, pos: int) -> int | None:
    """The end of the fragment whose header is at ``pos`` when it is whole and passes its CRC check; else None."""
    if pos + 7 > len(data):
        return None
    crc, length, kind = struct.unpack_from("<IHB", data, pos)
    end = pos + 7 + length
    if not _FULL <= kind <= _LAST or end > len(data) or pos % _BLOCK + 7 + length > _BLOCK:
        return None
    return end if zlib.crc32(memoryview(data)[pos + 7:end], _SEED[kind]) == crc else None


def _next_whole(data: bytes, pos: int, stop: int) -> int | None:
    """The first offset in ``(pos, stop)`` where a whole FULL or FIRST fragment passing its CRC check begins (a record
    can be read from there), else None. Candidates are those whose type byte and length fit; their CRCs decide."""
    lo, hi = pos + 1, min(stop, len(data)) - 7
    if hi < lo:
        return None
    buf = np.frombuffer(data, dtype=np.uint8, count=hi + 7 - lo, offset=lo)
    kind = buf[6:]
    length = buf[4:-2].astype(np.int64) | (buf[5:-1].astype(np.int64) << 8)
    offsets = np.arange(lo, hi)
    fits = (offsets % _BLOCK + 7 + length[:hi - lo] <= _BLOCK) & (offsets + 7 + length[:hi - lo] <= len(data))
    for q in offsets[((kind[:hi - lo] == _FULL) | (kind[:hi - lo] == _FIRST)) & fits]:
        if _intact(data, int(q)) is not None:
            return int(q)
    return None


def _records(data: bytes, cut: list | None = None, damaged: list | None = None):
    """Yield ``(byte offset, payload)`` of each record from LevelDB-log framing (7-byte header: crc32 u32, length u16,
    type u8), each fragment checked against its CRC.

    A final record cut off mid-write is left out, its bytes (those after the last whole record) put in ``cut``. A
    fragment that fails its check with whole records after it is damage: reading resumes at the next whole record
    in its block, else at the next block (where LevelDB's reader resumes; MIDDLE and LAST fragments of a record
    whose start was lost are dropped), and ``(its offset, the offset resumed at or None)`` goes to ``damaged``."""
    pos = len(WANDB_MAGIC) + 3  # header: ':W&B', magic u16, version u8
    chunks: list[bytes] = []
    n = len(data)
    whole = pos  # where the last whole record ended
    first = pos  # where the record being joined began
    while pos + 7 <= n:
        left = _BLOCK - pos % _BLOCK
        if left < 7:  # trailer too small for a header: zero padding up to the next block
            pos += left
            continue
        block_end = pos + left
        _crc, length, kind = struct.unpack_from("<IHB", data, pos)
        if kind == 0 and length == 0 and not any(data[pos:block_end]):  # a block's zero padding: next block
            pos = block_end
            continue
        end = _intact(data, pos)
        if end is None:
            plausible = _FULL <= kind <= _LAST and pos % _BLOCK + 7 + length <= _BLOCK
            if plausible and pos + 7 + length > n and _next_whole(data, pos, n) is None:
                break  # half-written final record
            chunks = []
            resume = _next_whole(data, pos, block_end)
            if resume is None and block_end < n:
                resume = block_end  # (its first fragments may be the lost record's: dropped below)
            if damaged is not None:
                if damaged and damaged[-1][1] == pos:  # resumed into more damage: one stretch
                    damaged[-1] = (damaged[-1][0], resume)
                else:
                    damaged.append((pos, resume))
            if resume is None:
                whole = n  # said as damage, not as a cut
                break
            pos = whole = resume
            continue
        payload = data[pos + 7:end]
        if kind in (_FULL, _FIRST):
            first = pos
        pos = end
        if kind == _FULL:
            chunks = []
            whole = pos
            yield first, payload
        elif kind == _FIRST:
            chunks = [payload]
        elif kind == _MIDDLE and chunks:
            chunks.append(payload)
        elif kind == _LAST and chunks:
            chunks.append(payload)
            whole = pos
            yield first, b"".join(chunks)
            chunks = []
        else:
            chunks = []
            whole = pos
    if cut is not None and any(data[whole:]):  # (zero bytes after the last record are a block's padding)
        cut.append(n - whole)
