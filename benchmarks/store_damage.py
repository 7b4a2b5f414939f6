"""TensorBoard event files damaged at random: the scalar points kept, and any read wrong, against the whole file.

Copies of committed event files written by torch's ``SummaryWriter``, Lightning's ``TensorBoardLogger`` and the
Keras ``TensorBoard`` callback, each damaged once at a random offset: one byte changed (XOR with a random non-zero
byte), 16 bytes zeroed, or 64 bytes cut out. Each copy is read by the losslens on ``PYTHONPATH`` (run it against an
older source tree to compare) two ways: :class:`losslens.readers.tfevents.EventLog` for its points (each tag's
``(step, value)`` pairs, kept where the whole file holds that pair, wrong where it does not), and
``losslens.read`` for what the user sees (refused in one line, a warning, or an exception that is no
``LosslensError``: a traceback). A point counts once per pair the whole file holds (multisets). Where the warning
says "N events lost", N is checked against the records of the whole file not read from the copy ("at least N":
right where N is no more than them).

    PYTHONPATH=src:. python -m benchmarks.store_damage [--copies 40] [--seed 0]
"""

from __future__ import annotations

import argparse
import logging
import random
import re
import tempfile
from collections import Counter
from pathlib import Path

ECO = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
#: (writer, event file): the committed files each library wrote.
FILES = [
    ("torch", "ecosystem/torch_tb/runs/exp1/events.out.tfevents.1796186734.vm.4342.0"),
    ("torch", "ecosystem/tb_lr_sweep/runs/lr_0.001/events.out.tfevents.1796193886.vm.14165.0"),
    ("lightning", "ecosystem/lightning_resume/logs/tb/version_1/events.out.tfevents.1796189811.vm.20946.1"),
    ("lightning", "ecosystem/lightning_validate_tb/logs/tb/version_0/events.out.tfevents.1796206408.vm.5430.0"),
    ("keras", "logs/keras_tensorboard/train/events.out.tfevents.1795980451.vm.29581.0.v2"),
    ("keras", "logs/keras_tensorboard/validation/events.out.tfevents.1795980452.vm.29581.1.v2"),
]
KINDS = ("flip", "zero16", "cut64")


def damage(data: bytes, kind: str, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ rng.randrange(1, 256)]) + data[at + 1:]
    if kind == "zero16":
        return data[:at] + bytes(min(16, len(data) - at)) + data[at + 16:]
    return data[:at] + data[at + 64:]


def points(path: Path) -> Counter:
    from losslens.readers.tfevents import EventLog

    try:
        log = EventLog.read(path)
    except Exception:  # (a record passing its CRC that is no Event: losslens.read refuses it)
        return Counter()
    return Counter((tag, int(s), float(v)) for tag, p in log.scalars.items()
                   for s, v in zip(p.step.tolist(), p.value.tolist()))


def records_lost(whole: bytes, damaged: bytes) -> int | None:
    """The whole file's records (their bytes, as a multiset) not among those read from the damaged copy; None with
    a reader that cannot say (before session 38, ``records`` took no ``damaged`` list)."""
    import numpy as np

    from losslens.readers import tfevents

    if "damaged" not in tfevents.records.__code__.co_varnames:
        return None

    def payloads(data):
        starts, lengths, _ = tfevents.records(data, [])
        return Counter(data[s:s + n] for s, n in zip(np.asarray(starts).tolist(), np.asarray(lengths).tolist()))

    return sum((payloads(whole) - payloads(damaged)).values())


def user_sees(path: Path) -> tuple[str, str]:
    """('read' | 'warned' | 'refused' | 'traceback', the warning's text) for ``losslens.read`` on the copy."""
    import losslens
    from losslens.exceptions import LosslensError

    handler = _Count()
    logger = logging.getLogger("losslens")
    logger.addHandler(handler)
    try:
        losslens.read(path)
    except LosslensError:
        return "refused", ""
    except Exception:
        return "traceback", ""
    finally:
        logger.removeHandler(handler)
    return ("warned" if handler.lines else "read"), " ".join(handler.lines)


class _Count(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=40, help="damaged copies per file and kind of damage")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    logging.getLogger("losslens").propagate = False
    rng = random.Random(args.seed)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for f, (writer, rel) in enumerate(FILES):
            src = ECO / rel
            whole, data = points(src), src.read_bytes()
            for kind in KINDS:
                row = rows.setdefault((writer, kind), Counter())
                for k in range(args.copies):
                    path = Path(tmp) / f"{f}_{kind}_{k}" / src.name  # (a folder each: a file is read alone)
                    path.parent.mkdir()
                    path.write_bytes(damage(data, kind, rng))
                    got = points(path)
                    row["copies"] += 1
                    row["points"] += sum(whole.values())
                    row["kept"] += sum((got & whole).values())
                    row["wrong"] += sum((got - whole).values())
                    row["copies wrong"] += bool(got - whole)
                    seen, line = user_sees(path)
                    row[seen] += 1
                    lost = records_lost(data, path.read_bytes())
                    said = re.search(r"(at least )?(\d+) events? lost", line)
                    if lost is not None and said:  # the events the line says lost against the records lost
                        least, said = bool(said.group(1)), int(said.group(2))
                        row["said"] += 1
                        row["said right" if said == lost or least and said <= lost else
                            "said fewer" if said < lost else "said more"] += 1
                        row["said at least"] += least
    print("| writer | damage | copies | points kept | values read wrong (copies) | read / warned / refused "
          "| traceback | events lost said: right / fewer / more (\"at least\") |")
    print("|---|---|---|---|---|---|---|---|")
    total = Counter()
    for (writer, kind), r in rows.items():
        total.update(r)
        print(f"| {writer} | {kind} | {r['copies']} | {100 * r['kept'] / r['points']:.1f}% | {r['wrong']} "
              f"({r['copies wrong']}) | {r['read']} / {r['warned']} / {r['refused']} | {r['traceback']} | {_said(r)} |")
    r = total
    print(f"| all | all | {r['copies']} | {100 * r['kept'] / r['points']:.1f}% | {r['wrong']} ({r['copies wrong']}) "
          f"| {r['read']} / {r['warned']} / {r['refused']} | {r['traceback']} | {_said(r)} |")


def _said(r: Counter) -> str:
    return (f"{r['said right']} / {r['said fewer']} / {r['said more']} ({r['said at least']})" if r["said"]
            else "-")


if __name__ == "__main__":
    main()
