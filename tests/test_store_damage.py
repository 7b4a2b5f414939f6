"""Damaged stores: a W&B run file damaged mid-file, random bytes named as a TensorBoard event file, a damaged MLflow
metric file or SQLite store. Each on files the real libraries wrote (committed W&B 0.31 offline runs; torch's
SummaryWriter and MLflow's client here), damaged in the test: read past the damage where the format allows it,
said in one line; refused in one line (exit 2) where nothing asked for can be read; the input never changed."""

import random
import re
import sqlite3
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.exceptions import ReadError

from cli_helpers import md5, refused, run_cli

pytestmark = pytest.mark.framework

ECO = Path(__file__).resolve().parent / "fixtures" / "ecosystem"
#: 12 epochs, a batch row per step and a validation row at each epoch's end: 49,988 bytes, two 32 KiB blocks.
WANDB_TWO_BLOCKS = next((ECO / "wandb_epoch_at_end" / "wandb").rglob("run-*.wandb"))
TRAIN = [1.0 / (e + 1) for e in range(12)]
VAL = [1.2 / (e + 1) + 0.05 * e for e in range(12)]


def _said(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "losslens"]


def _scalars(path: Path) -> dict:
    from wandb.proto import wandb_internal_pb2 as pb

    from losslens.readers.wandb import _read_run_file

    return _read_run_file(path, pb)["scalars"]


def _rows(scalars: dict) -> int:
    """The history rows read: the steps any key was logged at."""
    return len({s for steps, _ in scalars.values() for s in steps})


def _damaged_copy(tmp_path: Path, edit) -> Path:
    data = bytearray(WANDB_TWO_BLOCKS.read_bytes())
    edit(data)
    path = tmp_path / WANDB_TWO_BLOCKS.name
    path.write_bytes(bytes(data))
    return path


# ---- W&B ------------------------------------------------------------------------------------
def test_a_wandb_file_damaged_mid_file_is_read_past_the_damage_with_the_rows_lost_said(tmp_path, caplog):
    """200 random bytes at a third of the file: the old reader took the damage for a cut tail ("the last record was
    cut off mid-write (33,... bytes at the end)") and read 4 epochs of 12. Each fragment's CRC now tells damage from
    a cut; reading resumes at the next whole record: every epoch read, the one history row lost said."""
    pytest.importorskip("wandb")
    whole = _scalars(WANDB_TWO_BLOCKS)
    at = WANDB_TWO_BLOCKS.stat().st_size // 3
    path = _damaged_copy(tmp_path, lambda d: d.__setitem__(slice(at, at + 200), random.Random(0).randbytes(200)))
    before = md5(path)
    [full] = losslens.read(f"wandb:{WANDB_TWO_BLOCKS}")
    caplog.clear()
    [run] = losslens.read(f"wandb:{path}")
    assert md5(path) == before
    [line] = _said(caplog)
    assert line.startswith(f"losslens: {path}: corrupt record at byte ") and "(fails its CRC check)" in line, line
    assert "cut off" not in line and "history row lost (_step " in line, line
    got = _scalars(path)
    lost = _rows(whole) - _rows(got)
    assert 1 <= lost <= 3 and f"from {_rows(got)} of its {_rows(whole)} history rows" in line, line
    # every value read is the value logged at its step: nothing read from the damaged bytes
    for key, (steps, values) in got.items():
        logged = dict(zip(*whole[key]))
        assert all(logged[s] == v for s, v in zip(steps, values)), key
    assert list(run.axis) == list(full.axis) and run.val_loss == pytest.approx(full.val_loss)


def test_a_wandb_value_with_a_flipped_bit_is_left_out_and_said(tmp_path, caplog):
    """One bit of a logged value flipped on disk (val/loss 0.6187 read 0.2187): the old reader read the changed
    value as logged, in silence. Its record fails its CRC check now: left out, said."""
    pytest.importorskip("wandb")
    whole = _scalars(WANDB_TWO_BLOCKS)
    from wandb.proto import wandb_internal_pb2 as pb

    data = WANDB_TWO_BLOCKS.read_bytes()
    rows, pos = [], 7  # the first block's whole records (7-byte headers: crc u32, length u16, type u8; type 1 FULL)
    while pos + 7 <= 32768:
        length, kind = int.from_bytes(data[pos + 4:pos + 6], "little"), data[pos + 6]
        payload = data[pos + 7:pos + 7 + length]
        if kind == 1 and pb.Record.FromString(payload).WhichOneof("record_type") == "history" \
                and b"val/loss" in payload:
            rows.append(pos)
        pos += 7 + length
    at = data.find(b"val/loss", rows[len(rows) // 2]) + 13  # the first digit of a validation loss: 0.6187 ...
    assert data[at - 2:at + 1] == b"0.6"  # ... made 0.2187 by the flip
    path = _damaged_copy(tmp_path, lambda d: d.__setitem__(at, d[at] ^ 0x04))
    got = _scalars(path)
    for key, (steps, values) in got.items():
        logged = dict(zip(*whole[key]))
        assert all(logged[s] == v for s, v in zip(steps, values)), key
    said = _said(caplog)
    assert len(said) == 1 and "corrupt record at byte" in said[0] and "1 history row lost" in said[0], said


def test_a_wandb_file_whose_rest_is_garbage_says_how_little_was_read(tmp_path, caplog):
    """Random bytes from a third of the file on: nothing after can be read. The old line said the last record was
    cut off; the diagnosis that followed rested on 4 of 12 epochs. The line now says the rows read and about how
    many more the unread bytes held."""
    pytest.importorskip("wandb")
    at = WANDB_TWO_BLOCKS.stat().st_size // 3
    path = _damaged_copy(tmp_path, lambda d: d.__setitem__(slice(at, None), random.Random(1).randbytes(len(d) - at)))
    [run] = losslens.read(f"wandb:{path}")
    [line] = _said(caplog)
    n = _rows(_scalars(path))
    assert "corrupt record at byte" in line and "hold no whole record and were not read" in line, line
    assert f"the run is read from the {n} history rows before them (about " in line and "cut off" not in line, line
    assert len(run) < 6


# ---- TensorBoard ----------------------------------------------------------------------------
@pytest.fixture
def event_run(tmp_path):
    pytest.importorskip("tensorboard")
    tb = pytest.importorskip("torch.utils.tensorboard")
    folder = tmp_path / "logs" / "good"
    w = tb.SummaryWriter(str(folder))
    for e in range(12):
        w.add_scalar("loss/train", TRAIN[e], e)
        w.add_scalar("loss/val", VAL[e], e)
    w.close()
    return folder


def test_random_bytes_named_as_an_event_file_are_one_line(tmp_path):
    """100 random bytes named events.out.tfevents.*, in a folder of their own: the folder read as 'event files hold
    no scalar summaries'. Now the file is named, as when it is given alone."""
    pytest.importorskip("tensorboard")
    folder = tmp_path / "garbage"
    folder.mkdir()
    path = folder / "events.out.tfevents.1796545202.host.1.0"
    path.write_bytes(random.Random(2).randbytes(100))
    for source in (folder, path):
        res = run_cli("diagnose", source)
        assert res.exit_code == 2, res.output
        assert res.stderr.strip() == (f"losslens: {path}: not a TensorBoard event file (or corrupt at byte 0: its "
                                      "first record fails its CRC check)"), res.stderr
    refused(path, "not a TensorBoard event file (or corrupt at byte 0")


def test_random_bytes_beside_a_real_event_file_are_said_not_dropped(event_run, caplog):
    """Beside a run's real event file (torch's SummaryWriter), a file of random bytes named as one was said as
    'corrupt record at byte 0 ... (100% of the file) were not read', and a run of such a file alone passed over as
    'event files hold no scalar summaries'; named now for what it is."""
    bad = event_run / "events.out.tfevents.1796545999.host.1.0"
    bad.write_bytes(random.Random(3).randbytes(100))
    [run] = losslens.read(f"tb:{event_run}")
    assert run.val_loss == pytest.approx(VAL)
    assert _said(caplog) == [f"losslens: {bad}: not a TensorBoard event file (or corrupt at byte 0: its first "
                             "record fails its CRC check): not read"]
    # a logdir of two runs, one of them garbage: the garbage run named in the one line of what was passed over
    other = event_run.parent / "broken"
    other.mkdir()
    (other / bad.name).write_bytes(random.Random(4).randbytes(100))
    bad.unlink()
    caplog.clear()
    res = run_cli("diagnose", event_run.parent)
    assert res.exit_code == 0, res.output
    [line] = _said(caplog)
    assert line == (f"losslens: {event_run.parent}: passed over 1 file(s): broken/{bad.name}: not a TensorBoard event file (or "
                    "corrupt at byte 0: its first record fails its CRC check)"), line


FIXTURES = ECO.parent
#: Event files the real writers wrote: torch's SummaryWriter, Lightning's TensorBoardLogger, the Keras callback.
TB_FILES = {
    "torch": ECO / "torch_tb/runs/exp1/events.out.tfevents.1796186734.vm.4342.0",
    "lightning": ECO / "lightning_validate_tb/logs/tb/version_0/events.out.tfevents.1796206408.vm.5430.0",
    "keras": FIXTURES / "logs/keras_tensorboard/validation/events.out.tfevents.1795980452.vm.29581.1.v2",
}


def _points(path: Path) -> dict:
    from collections import Counter

    from losslens.readers.tfevents import EventLog

    return Counter((tag, int(s), float(v)) for tag, p in EventLog.read(path).scalars.items()
                   for s, v in zip(p.step.tolist(), p.value.tolist()))


def _tb_copy(tmp_path: Path, src: Path, data: bytes) -> Path:
    path = tmp_path / "run" / src.name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _record_heads(data: bytes) -> list[int]:
    import struct

    heads, pos = [], 0
    while pos + 16 <= len(data):
        heads.append(pos)
        pos += 16 + struct.unpack_from("<Q", data, pos)[0]
    return heads


@pytest.mark.parametrize("kind", ["flip", "zero16", "cut64"])
@pytest.mark.parametrize("writer", list(TB_FILES))
def test_a_tensorboard_file_damaged_mid_file_is_read_past_with_the_events_lost_said(tmp_path, caplog, writer, kind):
    """One byte changed, 16 bytes zeroed or 64 cut out at 40% of a real event file: the old reader stopped the file
    at the first record failing its CRC, every later epoch lost (half the points over 720 random copies). It reads
    on from the next whole record now: every point read is one the writer wrote, only those of the records the
    damage touched are missing, and one line says the bytes skipped and the events lost, with their steps."""
    pytest.importorskip("tensorboard")
    src = TB_FILES[writer]
    data = src.read_bytes()
    heads = _record_heads(data)
    at = next(h for h in heads if h >= 0.4 * len(data)) + 14  # (in a record's data, past its header)
    damaged = {"flip": data[:at] + bytes([data[at] ^ 0x5A]) + data[at + 1:],
               "zero16": data[:at] + bytes(16) + data[at + 16:],
               "cut64": data[:at] + data[at + 64:]}[kind]
    path = _tb_copy(tmp_path, src, damaged)
    before = md5(path)
    whole, got = _points(src), _points(path)
    lost = whole - got
    assert not got - whole  # nothing read that the writer did not write
    assert 1 <= sum(lost.values()) <= 4, lost
    for tag in {t for t, _, _ in whole}:  # every tag read to its last step
        assert max(s for t, s, _ in got if t == tag) == max(s for t, s, _ in whole if t == tag), tag
    caplog.clear()
    [run] = losslens.read(path)
    [line] = _said(caplog)
    n = sum(lost.values())
    assert line.startswith(f"losslens: {path}: corrupt record at byte ") and "(fails its CRC check)" in line, line
    assert " bytes skipped (" in line and "read on from the next whole record (byte " in line, line
    said = re.search(r": (at least )?(\d+) events? lost", line)  # (exact where the lengths say, else at least)
    assert said and (int(said[2]) == n or said[1] and 1 <= int(said[2]) <= n) and "cut off" not in line, line
    if writer == "torch":  # tags logged at a regular step: their lost steps said
        for tag, step, _ in lost:
            assert f"{tag} step" in line and str(step) in line, line
    assert md5(path) == before
    caplog.clear()
    res = run_cli("diagnose", path)
    assert res.exit_code == 0 and _said(caplog) == [line], res.output


def test_a_tensorboard_file_damaged_at_its_first_record_is_read_not_refused(tmp_path, caplog):
    """The first record (the file version) failing its CRC: the old reader refused the whole file as 'not a
    TensorBoard event file (or corrupt at byte 0 ...)'. The rest is whole: read, and the one record lost said."""
    pytest.importorskip("tensorboard")
    src = TB_FILES["torch"]
    data = src.read_bytes()
    path = _tb_copy(tmp_path, src, data[:14] + bytes([data[14] ^ 1]) + data[15:])
    assert _points(path) == _points(src)  # (the version record holds no point)
    [run] = losslens.read(path)
    [line] = _said(caplog)
    second = _record_heads(data)[1]
    assert line == (f"losslens: {path}: corrupt record at byte 0 (fails its CRC check): {second} bytes skipped (under "
                    f"1% of the file), read on from the next whole record (byte {second}): 1 event lost"), line
    assert run.val_loss == pytest.approx(losslens.read(src)[0].val_loss, nan_ok=True)


def test_damage_mid_file_and_a_last_record_cut_off_are_one_line(tmp_path, caplog):
    """A Lightning event file with a flipped byte at a third and its last 7 bytes gone (the writer killed): the old
    reader said only the damage and stopped there; one line now says both, every point between read."""
    pytest.importorskip("tensorboard")
    src = TB_FILES["lightning"]
    data = src.read_bytes()
    at = next(h for h in _record_heads(data) if h >= len(data) // 3) + 13
    path = _tb_copy(tmp_path, src, (data[:at] + bytes([data[at] ^ 0x80]) + data[at + 1:])[:-7])
    whole, got = _points(src), _points(path)
    assert not got - whole and sum((whole - got).values()) == 2  # the damaged record and the cut one
    losslens.read(path)
    [line] = _said(caplog)
    assert "read on from the next whole record" in line and "1 event lost" in line, line
    assert line.endswith("; the last record was cut off mid-write (%d bytes at the end): left out"
                         % (len(data) - 7 - _record_heads(data)[-1])), line
    # the damage in the last record but one, the last cut: nothing whole after it to read on from, said so
    last = _record_heads(data)[-2]
    path.write_bytes((data[:last + 2] + bytes(16) + data[last + 18:])[:-3])
    caplog.clear()
    losslens.read(path)
    tail = len(data) - 3 - last
    assert _said(caplog) == [f"losslens: {path}: corrupt record at byte {last} (fails its CRC check): the {tail} "
                             f"bytes from there ({round(100 * tail / (len(data) - 3))}% of the file) hold no whole "
                             "record and were not read"]



def test_a_damaged_event_file_whose_rest_is_garbage_is_scanned_in_bounded_memory(tmp_path, caplog):
    """A real event file with a byte flipped at 40%, then 8 MiB of random bytes (a disk that wrote junk): counting
    the records in the damaged rest built one int64 array over all of it, every offset at once (267 MB at its peak
    for this 8 MiB file); the scan goes block by block now, as the search for the next whole record does."""
    import tracemalloc

    pytest.importorskip("tensorboard")
    src = TB_FILES["torch"]
    data = src.read_bytes()
    at = next(h for h in _record_heads(data) if h >= 0.4 * len(data)) + 14
    path = _tb_copy(tmp_path, src, data[:at] + bytes([data[at] ^ 0x5A]) + data[at + 1:]
                    + random.Random(0).randbytes(8 << 20))
    tracemalloc.start()
    try:
        losslens.read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    [line] = _said(caplog)
    assert "hold no whole record and were not read" in line, line
    assert peak < 10 * path.stat().st_size, peak  # (44 MB measured: the file, and a block of offsets at a time)


# ---- MLflow ---------------------------------------------------------------------------------
def _mlflow_store(tmp_path, monkeypatch) -> tuple[Path, dict]:
    """A folder store of two runs, a and b, logged by MLflow's client: ``(store, {name: run id})``."""
    pytest.importorskip("mlflow")
    import mlflow

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    store = tmp_path / "mlruns"
    client = mlflow.MlflowClient(store.as_uri())
    exp = client.create_experiment("fs")
    ids = {}
    for name, shift in (("a", 0.0), ("b", 0.2)):
        run = client.create_run(exp, run_name=name)
        for e in range(12):
            client.log_metric(run.info.run_id, "train_loss", TRAIN[e], step=e)
            client.log_metric(run.info.run_id, "val_loss", VAL[e] + shift, step=e)
        client.set_terminated(run.info.run_id)
        ids[name] = run.info.run_id
    return store, ids


def test_a_damaged_mlflow_metric_file_skips_its_run_and_reads_the_others(tmp_path, monkeypatch, caplog):
    """'garbage line' appended to run a's val_loss made the whole store unreadable (MLflow parses every run's metric
    files to list the runs), run b too: '--run b' exit 2. Run a is skipped now, in one line naming the file and the
    line; asked for by name or id, it is the one-line error."""
    store, ids = _mlflow_store(tmp_path, monkeypatch)
    damaged = next(store.glob(f"*/{ids['a']}/metrics/val_loss"))
    with open(damaged, "a") as fh:
        fh.write("1796545399964 0.30219984869165garbage line\n")
    rel = damaged.relative_to(store).as_posix()
    before = md5(damaged)
    [b] = losslens.read(f"mlflow:{store}")
    assert b.name == "b" and b.val_loss == pytest.approx(np.array(VAL) + 0.2)
    assert _said(caplog) == [f"losslens: {store}: skipped run a ({ids['a']}): metric file {rel}, line 13: "
                             "'1796545399964 0.30219984869165garbage li' is not 'timestamp value step' "
                             "(a damaged file)"]
    caplog.clear()
    for who in ("b", ids["b"]):
        [b] = losslens.read(f"mlflow:{store}#run={who}")
        assert b.name == "b" and not _said(caplog)
    res = run_cli("diagnose", f"mlflow:{store}", "--run", "b")
    assert res.exit_code == 0 and res.stdout.startswith("b: "), res.output
    for who in ("a", ids["a"]):
        with pytest.raises(ReadError, match=f"metric file {rel}, line 13: .* \\(a damaged file\\)"):
            losslens.read(f"mlflow:{store}#run={who}")
    res = run_cli("diagnose", f"mlflow:{store}", "--run", "a")
    assert res.exit_code == 2 and res.stderr.count("\n") == 1 and f"metric file {rel}, line 13" in res.stderr
    assert md5(damaged) == before


def test_an_mlflow_sqlite_store_with_a_damaged_schema_says_so(tmp_path):
    """A table's name in sqlite_master made non-UTF-8 (a damaged page): the line was Python's ('could not be read
    (UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff ...)'); it says a damaged SQLite file now."""
    pytest.importorskip("mlflow")
    import mlflow

    db = tmp_path / "mlflow.db"
    client = mlflow.MlflowClient(f"sqlite:///{db}")
    run = client.create_run(client.create_experiment("e"), run_name="a")
    for e in range(12):
        client.log_metric(run.info.run_id, "val_loss", VAL[e], step=e)
    data = bytearray(db.read_bytes())
    with sqlite3.connect(db) as con:
        name = con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'webhook%'").fetchone()[0]
    at = data.find(b"table" + name.encode()) + len("table")  # the record's name column (type, name, tbl_name ...)
    assert at > len("table")
    data[at:at + 2] = b"\xff\xfe"
    db.write_bytes(bytes(data))
    before = md5(db)
    res = run_cli("diagnose", f"mlflow:sqlite:///{db}")
    assert res.exit_code == 2 and res.stderr.count("\n") == 1, res.output
    assert "unreadable SQLite database (a damaged file" in res.stderr, res.stderr
    assert md5(db) == before
