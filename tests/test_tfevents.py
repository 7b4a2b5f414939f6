"""Our TensorBoard event-file reader (losslens.readers.tfevents) against TensorBoard's own accumulator,
on logs torch's SummaryWriter writes, whole, cut and corrupted."""

import logging
import struct
import time
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.exceptions import ReadError

pytestmark = pytest.mark.framework

pytest.importorskip("tensorboard")
tb = pytest.importorskip("torch.utils.tensorboard")

from losslens.readers.tfevents import EventLog, masked_crc32c, records  # noqa: E402

TB_EVENTS = next((Path(__file__).resolve().parent / "fixtures" / "ecosystem" / "torch_tb" / "runs" / "exp1")
                 .glob("events.out.tfevents.*"))


def accumulated(path) -> dict:
    """``{tag: [(wall_time, step, value)]}`` of the scalars TensorBoard's EventAccumulator reads (the reader
    losslens used before, ~300 µs an event without TensorFlow)."""
    from tensorboard.backend.event_processing import plugin_event_accumulator as pea
    from tensorboard.util import tensor_util

    logging.getLogger("tensorboard").setLevel(logging.ERROR)
    acc = pea.EventAccumulator(str(path), size_guidance={pea.TENSORS: 0})
    acc.Reload()
    return {tag: [(e.wall_time, e.step, float(np.asarray(tensor_util.make_ndarray(e.tensor_proto)).reshape(-1)[0]))
                  for e in acc.Tensors(tag)]
            for tag in acc.Tags()[pea.TENSORS] if acc.SummaryMetadata(tag).plugin_data.plugin_name == "scalars"}


def ours(path) -> dict:
    return {tag: list(zip(p.wall_time.tolist(), p.step.tolist(), p.value.tolist()))
            for tag, p in EventLog.read(path).scalars.items()}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run folder as torch writes it: summary v1 and v2 scalars, a double, a histogram, hparams, and a
    second writer restarting at step 12 (TensorBoard purges the first one's orphans)."""
    folder = tmp_path_factory.mktemp("tb") / "exp"
    rng = np.random.default_rng(0)
    w = tb.SummaryWriter(str(folder))
    for step in range(30):
        w.add_scalar("Loss/train", 2.0 / (step + 1) + rng.normal(0, 0.01), step)
        w.add_scalar("Loss/val", 2.2 / (step + 1) + 0.002 * step, step, new_style=True)
        w.add_scalar("lr", 0.1 * 0.9 ** step, step, new_style=True, double_precision=True)
        w.add_scalar("grad_norm/layer" + "x" * 150, 1.0 + rng.random(), step)  # a tag longer than 127 bytes
        if step % 10 == 0:
            w.add_histogram("weights", rng.normal(size=100), step)
    w.add_hparams({"lr": 0.1, "optimizer": "sgd"}, {"hparam/best_val": 0.3})
    w.close()
    # Event files are read in name order, events.out.tfevents.<second>.<host>.<pid>.<writer number>: in one second,
    # a worker's 10th writer ("...10.resumed") sorted before its 9th ("...9"), and the restart read first (a CI run
    # under xdist). A second apart, the restart's name sorts after, as it does for a job resumed later.
    time.sleep(1.05)
    again = tb.SummaryWriter(str(folder), filename_suffix=".resumed")
    for step in range(12, 20):
        again.add_scalar("Loss/train", 1.0 / (step + 1), step)
        again.add_scalar("Loss/val", 1.5 / (step + 1), step, new_style=True)
    again.close()
    return folder


def test_a_summarywriter_log_reads_as_tensorboards_accumulator_reads_it(run_dir):
    theirs = accumulated(run_dir)
    assert set(theirs) == {"Loss/train", "Loss/val", "lr", "grad_norm/layer" + "x" * 150}
    assert ours(run_dir) == theirs  # every point: wall time, step and value (float32 or double) alike
    assert [s for _, s, _ in theirs["Loss/train"]] == list(range(30)) + list(range(12, 20))  # both writers, in order
    for file in sorted(run_dir.glob("events.*")):
        assert ours(file) == accumulated(file)
    from tensorboard.backend.event_processing import plugin_event_accumulator as pea

    [folder] = [d for d in run_dir.iterdir() if d.is_dir()]  # add_hparams writes its own <time>/ folder
    acc = pea.EventAccumulator(str(folder))
    acc.Reload()
    assert EventLog.read(folder).content["hparams"] == acc.PluginTagToContent("hparams")  # for meta["hparams"]


def test_a_summarywriter_log_reads_the_same_through_losslens(run_dir):
    [run] = losslens.read(run_dir)
    theirs = accumulated(run_dir)
    for got, tag in ((run.train_loss, "Loss/train"), (run.val_loss, "Loss/val")):  # the restart's orphans left out
        points = theirs[tag]
        kept = [v for _, s, v in points[:30] if s < 12] + [v for _, _, v in points[30:]]
        assert got[:20].tolist() == kept and np.isnan(got[20:]).all()  # (lr goes on to step 29)
    assert run.meta["hparams"] == {"lr": 0.1, "optimizer": "sgd"}


@pytest.mark.parametrize("cut", [1, 7, 12, 13, 40, 101])
def test_a_record_cut_off_mid_write_leaves_what_came_before(tmp_path, cut, caplog):
    data = TB_EVENTS.read_bytes()
    path = tmp_path / "run" / TB_EVENTS.name
    path.parent.mkdir()
    path.write_bytes(data[:-cut])
    assert ours(path) == accumulated(path)
    [(file, pos, size, why)] = EventLog.read(path).stopped
    assert (file, size, why) == (str(path), len(data) - cut, "cut") and len(data) - cut - pos < 100
    with caplog.at_level("WARNING", logger="losslens"):
        [run] = losslens.read(path)
    said = [r.getMessage() for r in caplog.records if r.name == "losslens"]
    assert said == [f"losslens: {path}: the last record was cut off mid-write ({size - pos} bytes at the end): left out"]
    assert len(run) >= len(losslens.read(TB_EVENTS)[0]) - 1


def test_a_zero_length_event_file(tmp_path, caplog):
    path = tmp_path / "run" / "events.out.tfevents.0.host"
    path.parent.mkdir()
    path.write_bytes(b"")
    log = EventLog.read(path)
    assert log.scalars == {} and log.stopped == []
    with pytest.raises(ReadError, match="empty file"):
        losslens.read(path)
    (path.parent / TB_EVENTS.name).write_bytes(TB_EVENTS.read_bytes())  # beside a whole one: nothing to say
    with caplog.at_level("WARNING", logger="losslens"):
        [run] = losslens.read(path.parent)
    assert len(run) == len(losslens.read(TB_EVENTS)[0]) and not [r for r in caplog.records if r.name == "losslens"]


def _with_length(data: bytes, index: int, length: int, fix_crc: bool) -> tuple[bytes, int]:
    """``data`` with record ``index``'s length field set to ``length`` (its CRC fixed or left stale), and
    the record's offset."""
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c as crc

    pos = 0
    for _ in range(index):
        pos += 16 + struct.unpack_from("<Q", data, pos)[0]
    head = struct.pack("<Q", length)
    stamp = struct.pack("<I", crc(head)) if fix_crc else data[pos + 8:pos + 12]
    return data[:pos] + head + stamp + data[pos + 12:], pos


def _lost(path, whole) -> list:
    """The points of ``whole`` (a file) not read from ``path``; asserts none read that ``whole`` does not hold."""
    from collections import Counter

    def points(p):
        return Counter((tag, w, s, v) for tag, pts in ours(p).items() for w, s, v in pts)

    got, want = points(path), points(whole)
    assert not got - want  # nothing read that the writer did not write
    return list((want - got).elements())


@pytest.mark.parametrize("index", [0, 5])
@pytest.mark.parametrize("length, fix_crc, words", [
    (3, False, "corrupt"),  # the length's CRC fails
    (1 << 40, False, "corrupt"),  # far past the end, and its CRC fails: corrupt, not cut off
    (50_000, True, "cut off"),  # a length that passes its CRC but runs past the end: cut off
    (1 << 40, True, "cut off"),  # (the accumulator tried to read a TiB: MemoryError)
    (9, True, "corrupt"),  # a length that passes its CRC: the data's CRC then fails
])
def test_a_record_with_a_bad_length(tmp_path, index, length, fix_crc, words, caplog):
    """A corrupt length is damage: read on from the next record (TensorBoard's reader stopped there); one that
    passes its CRC and runs past the end is a record cut off mid-write, the file read up to it."""
    data, pos = _with_length(TB_EVENTS.read_bytes(), index, length, fix_crc)
    path = tmp_path / "run" / TB_EVENTS.name
    path.parent.mkdir()
    path.write_bytes(data)
    log = EventLog.read(path)
    if words == "corrupt":
        nxt = pos + 16 + struct.unpack_from("<Q", TB_EVENTS.read_bytes(), pos)[0]
        [(_, _, [stretch])] = log.damaged
        assert log.stopped == [] and (stretch.at, stretch.resumed, stretch.records) == (pos, nxt, 1)
        assert len(_lost(path, TB_EVENTS)) == (index != 0)  # (record 0 is the file version: no point)
        with caplog.at_level("WARNING", logger="losslens"):
            losslens.read(path)
        said = [r.getMessage() for r in caplog.records if r.name == "losslens"]
        assert len(said) == 1 and f"corrupt record at byte {pos} (fails its CRC check)" in said[0], said
        # (a length that is wrong: the records the bytes skipped held are not known for sure, "at least 1")
        assert f"read on from the next whole record (byte {nxt}): at least 1 event lost" in said[0], said
        return
    if length < 1 << 20:
        assert ours(path) == accumulated(path)
    [(_, at, _, why)] = log.stopped
    assert at == pos and why == "cut" and log.damaged == []
    if index == 0:  # not one whole record: the file is refused, in one line
        with pytest.raises(ReadError, match="its first record is cut off"):
            losslens.read(path)
        return
    with caplog.at_level("WARNING", logger="losslens"):
        losslens.read(path)
    said = [r.getMessage() for r in caplog.records if r.name == "losslens"]
    assert len(said) == 1 and "cut off mid-write" in said[0]


def test_a_flipped_bit_anywhere_loses_its_record_alone(tmp_path):
    """TensorBoard's reader stops a file at the first record failing its CRC (every later epoch lost); ours reads
    on from the next whole record: at most the one point the flipped record held is missing, none read wrong."""
    data = TB_EVENTS.read_bytes()
    rng = np.random.default_rng(1)
    for k, at in enumerate(rng.integers(0, len(data), 12).tolist()):
        path = tmp_path / f"r{k}" / TB_EVENTS.name
        path.parent.mkdir()
        path.write_bytes(data[:at] + bytes([data[at] ^ (1 << int(rng.integers(8)))]) + data[at + 1:])
        assert len(_lost(path, TB_EVENTS)) <= 1
        log = EventLog.read(path)
        assert log.stopped == [] and len(log.damaged) == 1


def test_the_crc_of_many_records_at_once_is_tensorflows(tmp_path):
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c as crc

    rng = np.random.default_rng(2)
    buf = rng.integers(0, 256, 5000, dtype=np.uint8)
    lengths = np.concatenate([np.full(40, 9), rng.integers(0, 60, 30)])  # 40 of one length (numpy), 30 others
    starts = rng.integers(0, 5000 - 60, lengths.shape[0])
    want = [crc(buf[s:s + n].tobytes()) for s, n in zip(starts, lengths)]
    assert masked_crc32c(buf, starts, lengths).tolist() == want
    starts, lengths, stop = records(TB_EVENTS.read_bytes())
    assert stop is None and starts.shape[0] > 50


def test_a_tensor_tag_that_never_names_its_plugin_is_left_out_not_an_error(tmp_path):
    """A tensor summary whose tag never carries metadata is no scalar to TensorBoard; the accumulator's
    ``SummaryMetadata(tag)`` raised KeyError for it and the whole log was refused ("KeyError: 'val_loss'")."""
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2
    from tensorboard.summary.writer.record_writer import RecordWriter

    path = tmp_path / "run" / "events.out.tfevents.1"
    path.parent.mkdir()
    with open(path, "wb") as fh:
        w = RecordWriter(fh)
        w.write(event_pb2.Event(wall_time=0.5, file_version="brain.Event:2").SerializeToString())
        for i in range(20):
            bare = summary_pb2.Summary.Value(tag="val_loss", tensor=tensor_pb2.TensorProto(dtype=1, float_val=[0.5]))
            loss = summary_pb2.Summary.Value(tag="loss", simple_value=1.0 / (i + 1))
            w.write(event_pb2.Event(wall_time=i, step=i, summary=summary_pb2.Summary(value=[bare, loss]))
                    .SerializeToString())
    assert list(EventLog.read(path).scalars) == ["loss"]
    [run] = losslens.read(path.parent)
    assert run.train_loss.tolist() == pytest.approx([1.0 / (i + 1) for i in range(20)]) and run.val_loss is None


def _walk(data: bytes) -> tuple[list, list]:
    """Each record's offset and length, one record after another (TensorBoard's reader's walk)."""
    heads, lengths, pos = [], [], 0
    while len(data) - pos >= 12:
        n = struct.unpack_from("<Q", data, pos)[0]
        if pos + 16 + n > len(data):
            break
        heads.append(pos)
        lengths.append(n)
        pos += 16 + n
    return heads, lengths


def test_records_whose_lengths_change_pattern_are_framed_as_one_walk_frames_them(tmp_path):
    """The reader frames records a window at a time by guessing their lengths from the pattern so far
    (one record per tag per step): the steps' varints growing a byte at 128 and 16,384, a histogram every
    40 steps and a tag joining later each break the pattern, and a cut ends the file (a flipped bit does not)."""
    from losslens.readers.tfevents import _frames

    folder = tmp_path / "run"
    w = tb.SummaryWriter(str(folder))
    rng = np.random.default_rng(3)
    for k, step in enumerate(range(0, 20_000, 23)):
        w.add_scalar("loss", 1.0 / (step + 1), step)
        w.add_scalar("val/loss", 1.2 / (step + 1), step)
        w.add_scalar("lr", 0.1, step)
        if step > 9_000:
            w.add_scalar("grad_norm", float(rng.random()), step)
        if k % 40 == 0:
            w.add_histogram("weights", rng.normal(size=50), step)
    w.close()
    [path] = folder.glob("events.*")
    data = path.read_bytes()
    heads, lengths, stop = _frames(data)
    assert (heads.tolist(), lengths.tolist()) == _walk(data) and stop is None and len(heads) > 2_900
    assert ours(path) == accumulated(path)
    for at in rng.integers(len(data) // 2, len(data), 4).tolist():
        cut = data[:at]
        heads, lengths, stop = _frames(cut)
        assert (heads.tolist(), lengths.tolist()) == _walk(cut) and stop is not None
        flipped = data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1:]
        damaged = tmp_path / "flipped" / path.name
        damaged.parent.mkdir(exist_ok=True)
        damaged.write_bytes(flipped)
        assert len(_lost(damaged, path)) <= 1  # read on past it
        starts, _, stop = records(flipped)
        assert stop is None and starts[-1] > at
