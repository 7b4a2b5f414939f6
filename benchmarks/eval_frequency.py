"""Which verdicts flip with how often validation is logged: the census over the committed Keras CSVLogger fixtures.

``python -m benchmarks.eval_frequency`` (a few minutes on one core). Every CSVLogger fixture under
tests/fixtures/ecosystem/keras_*/ of at least 40 rows with a ``val_loss`` column is diagnosed as committed and
thinned two ways: ``blank``, its validation cells blank on the 1st, 3rd ... rows (Keras' ``validation_freq=2``
writes a check at the 2nd, 4th ... epochs and leaves the other rows' validation cells empty, the training loss
in every row), and ``drop``, every 2nd row dropped (rows 2, 4 ... kept: a log at epochs 1, 3, 5 ...). The same
training read at another frequency should read the same where the evidence is the same; each flip is printed
with its verdicts and the first evidence line of each, then the flips grouped by (full verdict -> thinned
verdict) and by the reading that decided the thinned verdict (the names of its cause's numbers).
``--only blank`` (or ``drop``) runs one thinning; ``--match TEXT`` only the fixtures whose path holds TEXT.
"""

from __future__ import annotations

import argparse
import collections
import logging
import tempfile
import warnings
from pathlib import Path

ECO = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "ecosystem"
MIN_ROWS = 40
THINNINGS = ("blank", "drop")


def fixtures(match: str = "") -> list[Path]:
    """The Keras CSVLogger fixtures the census reads: >= ``MIN_ROWS`` rows and a ``val_loss`` column, not already
    validated every 2nd epoch (``validation_freq=2``'s empty cells on the 1st, 3rd ... rows: thinned once more, its
    checks would be gone, or its rows those of a log at epochs 1, 3 ...)."""
    out = []
    for path in sorted(ECO.glob("keras_*/*.csv")):
        lines = path.read_text().splitlines()
        head = lines[0].split(",")
        if len(lines) - 1 < MIN_ROWS or "val_loss" not in head or match not in str(path):
            continue
        i = head.index("val_loss")
        missing = [len(cells) <= i or cells[i] in ("", "NA") for cells in (line.split(",") for line in lines[1:])]
        if not (all(missing[0::2]) and not any(missing[1::2])):
            out.append(path)
    return out


def thinned(path: Path, how: str, folder: Path) -> Path:
    """``path`` checked every 2nd epoch (``blank``) or logged every 2nd epoch (``drop``), written under ``folder``."""
    lines = path.read_text().splitlines()
    head = lines[0].split(",")
    val = [i for i, c in enumerate(head) if c.startswith("val_")]
    out = [lines[0]]
    for row, line in enumerate(lines[1:]):
        if row % 2 == 0:  # the 1st, 3rd ... rows (0-based epochs 0, 2 ...)
            if how == "drop":
                continue
            cells = line.split(",")
            for i in val:
                cells[i] = ""
            line = ",".join(cells)
        out.append(line)
    target = folder / how / path.parent.name / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(out) + "\n")
    return target


def reading(path: Path) -> tuple[str, str, str]:
    """``(verdict, its cause's numbers' names, its first evidence line)``."""
    import losslens

    try:
        d = losslens.diagnose(str(path))
    except Exception as e:  # a census reports, not stops
        return "ERROR", type(e).__name__, str(e)[:80]
    top = d.causes[0] if d.causes else None
    return (d.verdict, ",".join(sorted(top.numbers)) if top else "", (top.evidence[0] if top and top.evidence else "")[:110])


def census(paths: list[Path], hows=THINNINGS) -> dict[str, list[tuple]]:
    flips: dict[str, list[tuple]] = {how: [] for how in hows}
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            full = reading(path)
            for how in hows:
                thin = reading(thinned(path, how, Path(tmp)))
                name = f"{path.parent.name}/{path.name}"
                if thin[0] != full[0]:
                    flips[how].append((name, full, thin))
                    print(f"FLIP {how:5s} {name}: {full[0]} -> {thin[0]}\n      full: {full[2]}\n      thin: {thin[2]}"
                          f"\n      thin decided on: {thin[1]}", flush=True)
    return flips


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.eval_frequency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=THINNINGS, help="one thinning")
    parser.add_argument("--match", default="", help="only fixtures whose path holds this text")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    paths = fixtures(args.match)
    hows = (args.only,) if args.only else THINNINGS
    flips = census(paths, hows)
    for how in hows:
        print(f"\n{how}: {len(flips[how])} of {len(paths)} flip")
        by_pair = collections.Counter(f"{full[0]} -> {thin[0]}" for _, full, thin in flips[how])
        for pair, n in by_pair.most_common():
            print(f"  {n:3d}  {pair}")
        by_rule = collections.Counter(f"{thin[0]} [{thin[1]}]" for _, full, thin in flips[how])
        print("  by the thinned verdict's reading:")
        for rule, n in by_rule.most_common():
            print(f"  {n:3d}  {rule}")


if __name__ == "__main__":
    main()
