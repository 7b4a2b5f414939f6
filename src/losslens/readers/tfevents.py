"""TensorBoard event files read record by record: the scalars TensorBoard would show, fast.

TensorBoard's ``EventAccumulator`` without TensorFlow reads records with a pure-Python reader that
computes each record's CRC32C one byte at a time, then turns every ``simple_value`` into a tensor proto:
~300 µs an event, 454 s and 2.2 GiB for a 300,000-step x 5-tag log. Here a file is read whole, its
TFRecord framing walked once (uint64 length, masked CRC32C of the length, the data, masked CRC32C of
the data; a window of records at a time where their lengths repeat a pattern: :func:`_frames`) and the
CRCs of all its records computed together with numpy (CRC32C is linear: a record's CRC is the XOR of a
table lookup per byte position, one pass per position over every record of that length; a length's
own CRC is computed once). A compiled CRC32C (the ``crc32c`` and ``google-crc32c`` wheels) was slower
here: a call per record, 0.50-0.55 s CPU for the 1.5 million records of that log against 0.17 s.
Records are parsed with TensorBoard's own ``event_pb2.Event``, except those that
are exactly one ``simple_value`` summary in the layout protobuf writes (``add_scalar``: nearly every
record of a per-step log), which :func:`simple_scalars` decodes all at once: one by one through
``event_pb2`` they were most of the time (a 30,000-step x 5-tag log: 0.87 s CPU with ``event_pb2``
alone, 0.2-0.3 s so). Anything else -- tensors (summary v2), several values in a summary, fields out
of order, a tag of 128 bytes or more, bytes that are not UTF-8 -- goes to ``event_pb2``, in order.

What the accumulator does and a curve depends on is kept, so a log reads as TensorBoard shows it:

* a folder's files (``tfevents`` in the name, not ``.profile-empty``) in sorted order;
* a last record cut off ends that file: :attr:`EventLog.stopped` says where, for the caller to warn;
* unlike the accumulator, a record failing either CRC does not: reading goes on from the next offset where a
  whole record checks out (:func:`next_whole`), :attr:`EventLog.damaged` says what was skipped (a flipped
  byte mid-file lost every later epoch to TensorBoard);
* the scalars: ``simple_value`` (summary v1: ``torch.utils.tensorboard``, tensorboardX) and tensor
  values (summary v2: Keras, ``tf.summary``) of a tag whose first metadata -- across the folder's
  files; TF2 writes it with a tag's first point only -- names the ``scalars`` plugin;
* orphans of a restart purged: in a ``brain.Event:2`` file a second ``SessionLog.START`` drops every
  point at or past its step; in files with no version a step lower than the last drops that tag's
  points at or past it;
* each plugin's per-tag content (the hparams plugin's ``session_start_info``).

A record that passes its CRC but is no ``Event`` raises protobuf's ``DecodeError``, as the
accumulator did.
"""

from __future__ import annotations

import os
import struct
from typing import NamedTuple

import numpy as np


class Points:
    """One tag's points in the order read: ``wall_time``, ``step`` (int64) and ``value`` arrays."""

    __slots__ = ("wall_time", "step", "value")

    def __init__(self, wall_time=(), step=(), value=()):
        self.wall_time = np.asarray(wall_time, dtype=float)
        self.step = np.asarray(step, dtype=np.int64)
        self.value = np.asarray(value, dtype=float)

    def __len__(self) -> int:
        return self.step.shape[0]

    def take(self, which) -> Points:
        return Points(self.wall_time[which], self.step[which], self.value[which])

    def __add__(self, other: Points) -> Points:
        return Points(*(np.concatenate([a, b]) for a, b in zip(self.columns, other.columns)))

    @property
    def columns(self) -> tuple:
        return self.wall_time, self.step, self.value


class _Held:
    """A tag's points while reading: arrays from runs of simple records, single points appended between."""

    __slots__ = ("chunks", "single")

    def __init__(self):
        self.chunks: list[Points] = []
        self.single: tuple[list, list, list] = ([], [], [])

    def add(self, wall_time: float, step: int, value: float) -> None:
        for column, x in zip(self.single, (wall_time, step, value)):
            column.append(x)

    def extend(self, points: Points) -> None:
        self._flush()
        self.chunks.append(points)

    def _flush(self) -> None:
        if self.single[0]:
            self.chunks.append(Points(*self.single))
            self.single = ([], [], [])

    def points(self) -> Points:
        self._flush()
        if len(self.chunks) != 1:
            self.chunks = [Points(*(np.concatenate(c) for c in zip(*(p.columns for p in self.chunks))))
                           if self.chunks else Points()]
        return self.chunks[0]

    def purge(self, step: int) -> None:
        points = self.points()
        self.chunks = [points.take(points.step < step)]


def _crc32c_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):  # reflected CRC-32C (Castagnoli) polynomial
        table = np.where(table & 1, (table >> 1) ^ np.uint32(0x82F63B78), table >> 1).astype(np.uint32)
    return table


_TABLE = _crc32c_table()
_TABLE_LIST = _TABLE.tolist()
#: Fewer records than this of one length: a Python loop per byte beats numpy's per-call cost.
_VECTOR_MIN = 24
#: Records longer than this (bytes) are checked byte after byte: the tables below hold 1 KiB per byte of length.
_LINEAR_MAX = 1024
_SHIFTED = [_TABLE]
#: Records a length at a time copied together (a few hundred KiB: the byte columns stay in cache).
_CHUNK = 8192


def _shifted(n: int) -> list[np.ndarray]:
    """``[T_0, ..., T_{n-1}]``: ``T_d[b]``, what byte ``b`` followed by ``d`` bytes adds to a CRC32C register.

    The register update is linear over GF(2), so a record's CRC is the XOR of its bytes' contributions
    (``T_{n-1-j}[byte j]``) and that of the initial register: no byte waits for the one before, and each
    byte position is one table lookup over all records of a length at once."""
    while len(_SHIFTED) < n:
        t = _SHIFTED[-1]
        _SHIFTED.append(_TABLE[t & 0xFF] ^ (t >> 8))
    return _SHIFTED


def _crc_py(data: bytes) -> int:
    """The CRC32C register after ``data`` (not yet inverted), a byte at a time: for a few short records."""
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE_LIST[(c ^ b) & 0xFF] ^ (c >> 8)
    return c


def _mask(crc):
    """The TFRecord mask of CRC32C registers (uint32 arrays or an int)."""
    crc = crc ^ 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _by_length(lengths: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """``[(n, rows)]``: the indices of the records of each length, in order within a length."""
    if not lengths.size:
        return []
    # uint16 keys sort by radix: a few ms for a million records, where int64 keys take ~100 ms
    keys = lengths.astype(np.uint16) if lengths.max() < 1 << 16 else lengths
    order = np.argsort(keys, kind="stable")
    firsts = np.r_[0, np.flatnonzero(np.diff(keys[order])) + 1]
    return [(int(lengths[rows[0]]), rows) for rows in np.split(order, firsts[1:])]


def _crc_rows(buf: np.ndarray, starts: np.ndarray, groups) -> np.ndarray:
    """The CRC32C registers of ``buf[s:s + n]``, ``groups`` from :func:`_by_length`."""
    crc = np.empty(starts.shape[0], dtype=np.uint32)
    for n, rows in groups:
        if rows.shape[0] < _VECTOR_MIN:
            for r in rows.tolist():
                s = int(starts[r])
                crc[r] = _crc_py(buf[s:s + n].tobytes())
        elif n <= _LINEAR_MAX:
            tables, start = _shifted(n), _crc_py(bytes(n))  # (the initial register's part)
            windows = np.lib.stride_tricks.as_strided(buf, shape=(buf.shape[0] - n + 1, n), strides=(1, 1))
            for a in range(0, rows.shape[0], _CHUNK):
                chunk = rows[a:a + _CHUNK]
                columns = windows[starts[chunk]].T.copy()  # the records' bytes, one row per byte position
                c = np.full(chunk.shape[0], start, dtype=np.uint32)
                for j in range(n):
                    c ^= np.take(tables[n - 1 - j], columns[j])
                crc[chunk] = c
        else:
            c, at = np.full(rows.shape[0], 0xFFFFFFFF, dtype=np.uint32), starts[rows]
            for j in range(n):
                c = _TABLE[(c ^ buf[at + j]) & 0xFF] ^ (c >> 8)
            crc[rows] = c
    return crc


def masked_crc32c(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The TFRecord masked CRC32C of ``buf[s:s + n]`` for each ``s, n`` in ``starts, lengths``."""
    return _mask(_crc_rows(buf, starts, _by_length(lengths)))


_LENGTH = struct.Struct("<Q")
_CRC = struct.Struct("<I")
#: A pattern of record lengths is looked for among this many records, repeating every at most half of it.
_RECENT = 512


def _period(recent: np.ndarray) -> int:
    """The smallest ``p`` the last ``max(2p, 32)`` of ``recent`` repeat with (0: none): a pattern broken
    now and then (a histogram every few steps) is still found between the breaks."""
    last = recent.shape[0]
    for p in (np.flatnonzero(recent[-2::-1] == recent[-1])[:64] + 1).tolist():
        span = max(2 * p, 32)
        if span > last:
            break
        tail = recent[-span:]
        if np.array_equal(tail[p:], tail[:-p]):
            return p
    return 0


def _frames(data: bytes, start: int = 0) -> tuple[np.ndarray, np.ndarray, tuple[int, str] | None]:
    """``(heads, lengths, stop)``: where each record from byte ``start`` on whose length fits in ``data`` begins,
    that length, and ``(offset, "cut" | "long")`` of the record the walk stopped at (None at the end of the
    data).

    Each record's place follows from the lengths before it, a walk one record at a time. A log that
    repeats a pattern of lengths (one record per tag per step) is walked a window of records at a time
    instead: the pattern guesses where the next records begin, and the lengths read there confirm each
    guess up to the first one that differs. Where guesses fail, the walk goes on record by record (twice
    as far after each failure), so a log of no pattern costs what the plain walk does."""
    size, unpack = len(data), _LENGTH.unpack_from
    words = np.ndarray((max(size - 7, 0),), "<u8", buffer=data, strides=(1,))  # a uint64 at every byte
    heads, lengths, recent = [], [], np.empty(0, dtype=np.int64)
    pos, stop, window, walk = start, None, 64, 256
    while True:
        p = _period(recent) if recent.shape[0] >= 32 else 0
        if p:
            guess = np.resize(recent[-p:], window)
            ends = pos + np.cumsum(guess + 16)
            k = int(np.searchsorted(ends, size, side="right"))  # the guessed records that fit
            at = ends[:k] - guess[:k] - 16
            miss = np.flatnonzero(words[at] != guess[:k].astype(np.uint64))
            m = int(miss[0]) if miss.size else k
            if m:
                heads.append(at[:m])
                lengths.append(guess[:m])
                pos = int(ends[m - 1])
                recent = np.concatenate([recent, guess[:m]])[-_RECENT:]
            if m >= 16:
                window, walk = min(2 * window, 1 << 16) if m == k else 64, 256
                continue
        # record by record, as TensorBoard's reader walks
        got_heads, got_lengths = [], []
        add_head, add_length = got_heads.append, got_lengths.append
        for _ in range(walk):
            if pos >= size:
                break
            if size - pos < 12:
                stop = (pos, "cut")
                break
            n = unpack(data, pos)[0]
            if pos + 16 + n > size:
                stop = (pos, "long")  # cut off, unless the length itself is corrupt: its CRC tells
                break
            add_head(pos)
            add_length(n)
            pos += 16 + n
        heads.append(np.array(got_heads, dtype=np.int64))
        lengths.append(np.array(got_lengths, dtype=np.int64))
        if stop is not None or pos >= size:
            break
        recent = np.concatenate([recent, lengths[-1]])[-_RECENT:]
        walk = min(2 * walk, 1 << 16)
    return np.concatenate(heads), np.concatenate(lengths), stop


def records(data: bytes, damaged: list | None = None) -> tuple[np.ndarray, np.ndarray, tuple[int, str] | None]:
    """``(starts, lengths, stop)``: where each whole, CRC-checked record's data begins and its length,
    and ``(offset, "cut" | "crc")`` of the record reading stopped at (None when all of it is whole).

    A record failing either CRC is damage: reading goes on from the next whole record after it
    (:func:`next_whole`), and ``(its offset, the offset read on from)`` goes to ``damaged`` (one entry for a
    stretch of bad records). Only where no whole record follows does reading stop there, ``"crc"``; a last
    record whose length passes its CRC but runs past the end is one cut off mid-write, ``"cut"``."""

    def note(at: int, resume: int | None) -> None:
        if damaged and damaged[-1][1] == at:  # read on into more damage: one stretch
            damaged[-1] = (damaged[-1][0], resume)
        else:
            damaged.append((at, resume))

    buf = np.frombuffer(data, dtype=np.uint8)
    crcs = np.ndarray((max(len(data) - 3, 0),), "<u4", buffer=data, strides=(1,))  # a uint32 at every byte
    all_starts, all_lengths, pos = [], [], 0
    while True:
        heads, lengths, stop = _frames(data, pos)
        if stop and stop[1] == "long":
            at = stop[0]
            stop = (at, "crc" if not _length_ok(data, at) else "cut")
        count = heads.shape[0]
        bad_length = np.zeros(count, dtype=bool)
        for n, rows in _by_length(lengths):  # a length's CRC depends on the length alone
            bad_length[rows] = crcs[heads[rows] + 8] != _mask(_crc_py(_LENGTH.pack(n)))
        # A bad length leaves nothing after it to trust (the frames walked past it are noise, their data not worth
        # a CRC): the walk starts again at the next whole record. A record whose length passes its CRC but whose
        # data does not is still framed right: the next record begins where its length says, so the walk's
        # frames after it stand (no scan, no CRCs computed again).
        first = np.flatnonzero(bad_length)
        until = int(first[0]) if first.size else count
        starts, lengths = heads[:until] + 12, lengths[:until]
        bad_data = np.zeros(until, dtype=bool)
        if until:
            bad_data = _mask(_crc_rows(buf, starts, _by_length(lengths))) != crcs[starts + lengths]
        if until == count and count and bad_data[-1]:  # (nothing framed after it to read on from)
            until = count - 1
        skip = np.flatnonzero(bad_data[:until])
        for run in np.split(skip, np.flatnonzero(np.diff(skip) > 1) + 1) if skip.size and damaged is not None else ():
            note(int(heads[run[0]]), int(heads[run[-1] + 1]))
        keep = ~bad_data[:until]
        all_starts.append(starts[:until][keep])
        all_lengths.append(lengths[:until][keep])
        if until < count:
            stop = (int(heads[until]), "crc")
        if stop is None or stop[1] == "cut":
            break
        at = stop[0]
        resume = next_whole(data, at)
        if damaged is not None:
            note(at, resume)
        if resume is None:
            break
        pos, stop = resume, None
    return np.concatenate(all_starts), np.concatenate(all_lengths), stop


def _length_ok(data: bytes, at: int) -> bool:
    """Whether the length at ``at`` passes its CRC."""
    return at + 12 <= len(data) and _mask(_crc_py(data[at:at + 8])) == _CRC.unpack_from(data, at + 8)[0]


#: Offsets looked at together for the next whole record (bounds the scanner's memory on a big file).
_SCAN = 1 << 20


def next_whole(data: bytes, pos: int, end: int | None = None) -> int | None:
    """The first offset in ``(pos, end)`` where a whole record begins -- its length within ``end``, passing its
    CRC, and its data passing theirs -- else None.

    TensorBoard's own readers (``EventFileLoader``, ``tf.data.TFRecordDataset``) stop at the first bad record
    and TFRecord has no sync marker, so a flipped byte lost every later epoch: this scans for the next frame
    that checks out instead. A false frame needs both 32-bit CRCs to match by chance (2^-64 an offset); the
    length filter first (its 5 high bytes are zero in any record under 8 MiB, rare in data) leaves few
    candidates for the CRCs."""
    end = len(data) if end is None else end
    for q in _framed(data, pos + 1, end):
        for at in q.tolist():
            n = _LENGTH.unpack_from(data, at)[0]
            if _mask(_crc_py(data[at + 12:at + 12 + n])) == _CRC.unpack_from(data, at + 12 + n)[0]:
                return at
    return None


def _framed(data: bytes, lo: int, end: int):
    """The offsets in ``[lo, end - 15)`` whose length fits before ``end`` and passes its CRC, in ascending blocks
    (int64 arrays) of at most ``_SCAN`` offsets looked at: memory stays bounded however far the scan goes."""
    if end - lo < 16:
        return
    words = np.ndarray((end - 7,), "<u8", buffer=data, strides=(1,))  # a uint64 at every byte
    crcs = np.ndarray((end - 3,), "<u4", buffer=data, strides=(1,))  # a uint32 at every byte
    buf = np.frombuffer(data, dtype=np.uint8, count=end)
    width = 4096  # (the next record is usually a few hundred bytes on: a window growing to _SCAN)
    while lo < end - 15:
        q = np.arange(lo, min(lo + width, end - 15), dtype=np.int64)
        lo, width = lo + width, min(2 * width, _SCAN)
        q = q[words[q] <= (end - 16 - q).astype(np.uint64)]  # a length that fits in what is left
        if q.size:
            q = q[masked_crc32c(buf, q, np.full(q.shape[0], 8)) == crcs[q + 8]]  # the length's CRC
        if q.size:
            yield q


def stretch_records(data: bytes, at: int, resume: int | None) -> tuple[int, bool]:
    """``(count, exact)``: how many records began in the damaged stretch ``[at, resume)`` (to the end where None).
    Exact where the records' lengths, each passing its CRC, lead from ``at`` to ``resume`` (only their data failed);
    else at least: the bad record at ``at``, then each later offset whose length passes its CRC and fits, walked as
    records are (a record whose own header was damaged is not seen)."""
    end = len(data) if resume is None else resume
    pos, count = at, 0
    while pos + 12 <= end and _length_ok(data, pos) and pos + 16 + _LENGTH.unpack_from(data, pos)[0] <= end:
        pos, count = pos + 16 + _LENGTH.unpack_from(data, pos)[0], count + 1
    if pos == end and resume is not None and count:
        return count, True
    pos, count = (pos, count) if count else (at + 1, 1)
    for q in _framed(data, pos, end):
        for h in q.tolist():
            if h >= pos:
                count += 1
                pos = h + 16 + _LENGTH.unpack_from(data, h)[0]
    return count, False


def scalar_value(tensor) -> float:
    """The first element of a ``TensorProto`` (NaN where it has none or is no number)."""
    if not tensor.tensor_shape.dim and not tensor.tensor_content:  # the usual scalar: no numpy detour
        if tensor.dtype == 1 and len(tensor.float_val) == 1:  # DT_FLOAT
            return float(tensor.float_val[0])
        if tensor.dtype == 2 and len(tensor.double_val) == 1:  # DT_DOUBLE
            return float(tensor.double_val[0])
    from tensorboard.util import tensor_util

    try:
        return float(np.asarray(tensor_util.make_ndarray(tensor)).reshape(-1)[0])
    except (ValueError, IndexError, TypeError):
        return float("nan")


class SimpleScalars(NamedTuple):
    """Per record: ``tag`` (index into ``tags``; -1: not one simple scalar), ``wall_time``, ``step``, ``value``."""
    tag: np.ndarray
    tags: list
    wall_time: np.ndarray
    step: np.ndarray
    value: np.ndarray


#: The longest record that can be one ``simple_value`` summary: 19 bytes before the summary (a key, a
#: double, a key and a varint of at most 9 bytes), 2 + 127 in it (its length is one byte).
_SIMPLE_MAX = 160
#: Records decoded together: their first bytes copied side by side (a few MiB), read from there.
_SIMPLE_CHUNK = 1 << 16


def simple_scalars(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> SimpleScalars:
    """Decode, all at once, the records that are exactly one ``simple_value`` summary as protobuf writes
    it (``torch.utils.tensorboard``'s ``add_scalar``: ``wall_time``, ``step``, ``summary { value { tag,
    simple_value } }``, fields in order, nothing else): a log of every step is almost all such records,
    and parsing them one by one is most of its reading time. Any other record is left to ``event_pb2``."""
    count = starts.shape[0]
    out = SimpleScalars(np.full(count, -1, dtype=np.int64), [], np.empty(count), np.zeros(count, np.int64),
                        np.empty(count))
    known: dict[bytes, int] = {}  # a tag's bytes -> its index in out.tags
    for a in range(0, count, _SIMPLE_CHUNK):
        _simple_chunk(buf, starts[a:a + _SIMPLE_CHUNK], lengths[a:a + _SIMPLE_CHUNK], out, a, known)
    bad = [k for k, t in enumerate(out.tags) if t is None]
    if bad:
        out.tag[np.isin(out.tag, bad)] = -1
    return out


def _simple_chunk(buf, starts, lengths, out: SimpleScalars, offset: int, known: dict) -> None:
    """:func:`simple_scalars` for records ``offset:offset + len(starts)``, written into ``out``."""
    count = starts.shape[0]
    width = min(int(lengths.max()), _SIMPLE_MAX)
    if width < 17:
        return  # none long enough to be one
    # Each record's first ``width`` bytes (the window ends at the data's end for the last ones), one row
    # each: read scattered over the whole file, each field cost a pass over memory.
    base = np.minimum(starts, buf.shape[0] - width)
    rows = np.lib.stride_tricks.as_strided(buf, shape=(buf.shape[0] - width + 1, width), strides=(1, 1))[base]
    flat, row_at = rows.reshape(-1), np.arange(count) * width
    ends = starts + lengths

    def byte(pos):
        return flat[np.clip(pos - base, 0, width - 1) + row_at]

    def fixed(pos, dtype):  # a little-endian number at each row's ``pos``
        size = np.dtype(dtype).itemsize
        every = np.ndarray((flat.shape[0] - size + 1,), dtype, buffer=flat, strides=(1,))  # one at every byte
        return every[np.clip(pos - base, 0, width - size) + row_at]

    ok = (lengths >= 17) & (lengths <= width) & (byte(starts) == 0x09)  # 1: wall_time, a double
    wall_time = fixed(starts + 1, "<f8")
    pos = starts + 9
    has_step = byte(pos) == 0x10  # 2: step, a varint (absent when 0)
    step, more, pos = np.zeros(count, np.uint64), has_step.copy(), pos + has_step
    for k in range(9):  # (a 10-byte varint, a negative step, goes to event_pb2)
        if not more.any():
            break
        b = byte(pos)
        step |= np.where(more, (b & 0x7F).astype(np.uint64) << np.uint64(7 * k), np.uint64(0))
        pos += more
        more &= b >= 0x80
    ok &= ~more
    # 5: summary, holding one value (1: tag, 2: simple_value, a float): each length one byte, each the rest
    for at, key in ((pos, 0x2A), (pos + 2, 0x0A)):
        size = byte(at + 1)
        ok &= (byte(at) == key) & (size < 0x80) & (size.astype(np.int64) == ends - at - 2)
    tag_len = byte(pos + 5).astype(np.int64)
    ok &= (byte(pos + 4) == 0x0A) & (tag_len > 0) & (tag_len < 0x80) & (pos + 6 + tag_len + 5 == ends)
    ok &= byte(ends - 5) == 0x15
    where = slice(offset, offset + count)
    out.wall_time[where] = wall_time
    out.step[where] = step.view(np.int64)
    out.value[where] = fixed(ends - 4, "<f4")
    tag_at = pos + 6 - base + row_at
    ids = out.tag[where]
    for n in np.flatnonzero(np.bincount(tag_len[ok])).tolist():
        which = np.flatnonzero(ok & (tag_len == n))
        names, inverse = _unique_rows(flat[tag_at[which][:, None] + np.arange(n)])
        number = []
        for raw in names:
            raw = raw.tobytes()
            if raw not in known:
                known[raw] = len(out.tags)
                try:
                    out.tags.append(raw.decode("utf-8"))
                except UnicodeDecodeError:  # protobuf refuses it: the record goes to event_pb2, which says so
                    out.tags.append(None)
            number.append(known[raw])
        ids[which] = np.array(number, dtype=np.int64)[inverse.reshape(-1)]


def _unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(rows, axis=0, return_inverse=True)`` for rows of bytes, sorting one number per row
    (their bytes as uint64 words, mixed) instead of the rows: ~100 times faster on a tag per record."""
    width = -(-rows.shape[1] // 8) * 8
    words = np.zeros((rows.shape[0], width), dtype=np.uint8)
    words[:, :rows.shape[1]] = rows
    words = words.view("<u8")
    key = words[:, 0].copy()
    for j in range(1, words.shape[1]):
        key = key * np.uint64(0x100000001B3) ^ words[:, j]
    first, inverse = _unique_keys(key)
    if not np.array_equal(words[first][inverse], words):  # two tags mixed to one number
        return np.unique(rows, axis=0, return_inverse=True)
    return rows[first], inverse


def _unique_keys(key: np.ndarray, few: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """``(first, inverse)`` of ``np.unique(key, return_index=True, return_inverse=True)``, but the keys
    numbered in the order they first come: a pass per key while there are few (a log's handful of tags
    among ~65,000 records: sorting them cost more), then ``np.unique`` on the rest."""
    inverse = np.empty(key.shape[0], dtype=np.int64)
    first, left = [], np.arange(key.shape[0])
    while left.shape[0] and len(first) < few:
        same = key[left] == key[left[0]]
        inverse[left[same]] = len(first)
        first.append(int(left[0]))
        left = left[~same]
    if left.shape[0]:
        _, at, rest = np.unique(key[left], return_index=True, return_inverse=True)
        inverse[left] = len(first) + rest.reshape(-1)
        first.extend(left[at].tolist())
    return np.array(first, dtype=np.int64), inverse


#: Text summaries kept (EventLog.texts): a Transformers Trainer's TensorBoardCallback writes its TrainingArguments
#: as JSON under "args" at the start of train(), what says gradient_accumulation_steps.
_KEPT_TEXTS = frozenset({"args"})


def _text(tensor) -> str:
    """A text summary's string (its first, for a tensor of several); "" where it holds none or no UTF-8."""
    try:
        return tensor.string_val[0].decode("utf-8") if tensor.string_val else ""
    except UnicodeDecodeError:
        return ""


# Summary v1 kinds TensorBoard converts to tensors, and the plugin it names for them.
_MIGRATED = {"simple_value": "scalars", "histo": "histograms", "image": "images", "audio": "audio"}


class Stretch(NamedTuple):
    """Bad records read past: from byte ``at`` to ``resumed`` (None: to the end), ``records`` begun in it (``exact``,
    else at least), and the wall times of the records read either side (None: none there)."""
    at: int
    resumed: int | None
    records: int
    exact: bool
    before: float | None
    after: float | None


def _stretch(data: bytes, starts: np.ndarray, lengths: np.ndarray, at: int, resumed: int | None) -> Stretch:
    from tensorboard.compat.proto import event_pb2

    def wall_time(i):
        try:
            return float(event_pb2.Event.FromString(data[int(starts[i]):int(starts[i] + lengths[i])]).wall_time)
        except Exception:  # (no Event: add_file raises on it, as the accumulator did)
            return None

    i = int(np.searchsorted(starts, at))  # the first record read after the stretch
    return Stretch(at, resumed, *stretch_records(data, at, resumed), wall_time(i - 1) if i else None,
                   wall_time(i) if resumed is not None and i < starts.shape[0] else None)


def lost_points(points: Points, stretch: Stretch) -> tuple[int, int, int] | None:
    """``(count, first step, last step)`` of one tag's points lost in ``stretch`` (None: none seen lost),
    from the gap in its steps across it: its points written before the stretch are those at or before the wall time
    of the record before it, those after at or after the next's. Only a tag logged at a regular step (each step
    between its other points a multiple of the usual one, none repeated: not Lightning's ``epoch``, logged at
    uneven global steps) says how many points a gap held."""
    if stretch.before is None or stretch.after is None or len(points) < 3:
        return None
    before = points.step[points.wall_time <= stretch.before]
    after = points.step[points.wall_time >= stretch.after]
    if not before.size or not after.size:
        return None
    inside = np.concatenate([np.diff(before), np.diff(after)])
    if not inside.size or inside.min() <= 0:
        return None
    every = int(inside.min())
    if np.any(inside % every) or int(np.median(inside)) != every:
        return None
    n = (int(after[0]) - int(before[-1])) // every - 1
    if n <= 0:
        return None
    return n, int(before[-1]) + every, int(after[0]) - every


class EventLog:
    """What TensorBoard's accumulator keeps of one run's event files, scalars only.

    ``scalars``: ``{tag: Points}``; ``content``: ``{plugin: {tag: bytes}}``;
    ``stopped``: ``[(file, offset, size, "cut" | "crc")]`` for each file read only up to a bad record;
    ``damaged``: ``[(file, size, [Stretch])]`` for each file read past bad records (the last stretch's
    ``resumed`` None where nothing whole came after it: that file is in ``stopped`` too)."""

    def __init__(self):
        self._events: dict[str, _Held] = {}
        self._plugin: dict[str, str] = {}  # a tag's first metadata's plugin
        self.content: dict[str, dict[str, bytes]] = {}
        self.texts: dict[str, str] = {}  # the first text summary of each tag in _KEPT_TEXTS
        self.stopped: list[tuple[str, int, int, str]] = []
        self.damaged: list[tuple[str, int, list[Stretch]]] = []
        self._version = None
        self._started = False
        self._last_step = -1

    @classmethod
    def read(cls, path) -> EventLog:
        """An event file, or a folder's event files (not its sub-folders'), read in order."""
        log = cls()
        path = str(path)
        if os.path.isdir(path):
            for name in sorted(os.listdir(path)):
                file = os.path.join(path, name)
                if "tfevents" in name and not name.endswith(".profile-empty") and os.path.isfile(file):
                    log.add_file(file)
        else:
            log.add_file(path)
        return log

    @property
    def scalars(self) -> dict[str, Points]:
        return {tag: held.points() for tag, held in self._events.items() if self._plugin.get(tag) == "scalars"}

    def add_file(self, file: str) -> None:
        from tensorboard.compat.proto import event_pb2

        with open(file, "rb") as fh:
            data = fh.read()
        damaged: list[tuple[int, int | None]] = []
        starts, lengths, stop = records(data, damaged)
        if damaged:
            self.damaged.append((file, len(data), [_stretch(data, starts, lengths, *d) for d in damaged]))
        simple = simple_scalars(np.frombuffer(data, dtype=np.uint8), starts, lengths)
        parse, start = event_pb2.Event.FromString, event_pb2.SessionLog.START
        view, at = memoryview(data), 0
        # Runs of one-scalar records go in together; every other record is parsed, in order between them.
        for i in np.append(np.flatnonzero(simple.tag < 0), starts.shape[0]).tolist():
            if i > at:
                self._scalars(simple, at, i)
            at = i + 1
            if i == starts.shape[0]:
                break
            event = parse(view[int(starts[i]):int(starts[i] + lengths[i])])
            what = event.WhichOneof("what")
            if what == "summary":
                self._summary(event)
            elif what == "file_version":
                try:
                    self._version = float(event.file_version.split("brain.Event:")[-1])
                except ValueError:
                    self._version = -1
            elif what == "session_log":
                if self._restarts() and event.session_log.status == start:
                    if self._started:
                        self._purge(event.step, None)
                    self._started = True
            elif what in ("graph_def", "tagged_run_metadata"):  # TensorBoard turns these into a summary event
                tag = "__run_graph__" if what == "graph_def" else event.tagged_run_metadata.tag
                if event.step < self._last_step and not self._restarts():
                    self._purge(event.step, (tag,))
                self._last_step = event.step
        if stop is not None:
            self.stopped.append((file, stop[0], len(data), stop[1]))

    def _scalars(self, simple: SimpleScalars, a: int, b: int) -> None:
        """Records ``a:b``, each one ``simple_value`` summary, as :meth:`_summary` reads them one by one."""
        step = simple.step[a:b]
        if not self._restarts() and (step[0] < self._last_step or np.any(step[1:] < step[:-1])):
            for i in range(a, b):  # a step goes back: the purge by tag, in order
                tag = simple.tags[simple.tag[i]]
                if simple.step[i] < self._last_step:
                    self._purge(int(simple.step[i]), (tag,))
                self._last_step = int(simple.step[i])
                self._plugin.setdefault(tag, "scalars")
                self._held(tag).add(float(simple.wall_time[i]), int(simple.step[i]), float(simple.value[i]))
            return
        self._last_step = int(step[-1])
        tag = simple.tag[a:b]
        ids, first = np.unique(tag, return_index=True)
        for k in ids[np.argsort(first)].tolist():  # tags in the order they first come
            name = simple.tags[k]
            self._plugin.setdefault(name, "scalars")
            rows = np.flatnonzero(tag == k) + a
            self._held(name).extend(Points(simple.wall_time[rows], simple.step[rows], simple.value[rows]))

    def _restarts(self) -> bool:
        """Whether restarts are told by ``SessionLog.START`` (file version 2) rather than by steps going back."""
        return bool(self._version) and self._version >= 2

    def _purge(self, step: int, tags) -> None:
        for tag in self._events if tags is None else tags:
            if tag in self._events:
                self._events[tag].purge(step)

    def _summary(self, event) -> None:
        summary, wall_time, step = event.summary, event.wall_time, event.step
        if step < self._last_step and not self._restarts():
            self._purge(step, [v.tag for v in summary.value])
        self._last_step = step
        plugins = self._plugin
        for v in summary.value:
            kind, tag = v.WhichOneof("value"), v.tag
            if tag not in plugins:
                plugin = _MIGRATED.get(kind)
                if plugin is None and v.HasField("metadata"):
                    plugin = v.metadata.plugin_data.plugin_name
                    if plugin:
                        self.content.setdefault(plugin, {})[tag] = v.metadata.plugin_data.content
                if plugin is not None:
                    plugins[tag] = plugin
            if kind == "simple_value":
                value = v.simple_value
            elif kind == "tensor":
                if plugins.get(tag or v.node_name, "scalars") != "scalars":
                    name = tag.removesuffix("/text_summary")  # (torch's SummaryWriter.add_text names it so)
                    if plugins.get(tag) == "text" and name in _KEPT_TEXTS and name not in self.texts:
                        self.texts[name] = _text(v.tensor)
                    continue  # a histogram's, a text's ...: not parsed for nothing
                value = scalar_value(v.tensor)
            else:
                continue
            self._held(tag or v.node_name).add(wall_time, step, value)

    def _held(self, tag: str) -> _Held:
        held = self._events.get(tag)
        if held is None:
            held = self._events[tag] = _Held()
        return held
