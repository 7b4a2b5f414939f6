"""How often a diagnosis lists a cause surer than its verdict without saying why it ranks second.

A cause's confidence is how plainly its own evidence shows, not its rank (``diagnosis._ranked_after``):
where one listed after the verdict is surer, its evidence must carry a "ranked after it" reason, or a
reader sees a 0.95 under a 0.60 verdict and cannot tell which to act on. This census diagnoses every
run of the shared curves and of the committed example and fixture logs, and counts the diagnoses that
list a surer cause with no reason, by (cause, verdict)::

    python -m benchmarks.ranking            # counts, by pair and split
    python -m benchmarks.ranking --list     # and each diagnosis left without a reason

Measured: 3,218 diagnoses, none without a reason; 36 before each pair's reason was written
(``diagnosis._RANKED_BECAUSE``), 1 until the printed-log reader read a name with a bracketed note.
"""

from __future__ import annotations

import argparse
import collections
import warnings
from pathlib import Path

from benchmarks import curves_dir, split_of

REPO = Path(__file__).resolve().parents[1]
SHARED = ("keras_notebook_curves.csv", "deepobs_baselines_curves.csv.gz", "yolo_results_curves.csv",
          "hf_trainer_state_logs.csv", "modded_nanogpt_val_curves.csv")
#: Files under the fixture folders that are not logs (scripts, notes, a fixture's printed expectations).
NOT_LOGS = {".py", ".md", ".out", ".yaml"}


def _splits() -> dict[str, str]:
    """run name -> "test" where any benchmark case of the run is held out, else "train"."""
    import csv
    out: dict[str, str] = {}
    with open(REPO / "benchmarks" / "labels" / "real_labels.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if out.get(row["run_id"]) != "test":
                out[row["run_id"]] = split_of(row["case_id"])
    return out


def _runs(shared: Path | None):
    """(source, split, Run) for every readable run: the shared curves (where given), then the committed logs."""
    import losslens
    splits = _splits()
    for name in SHARED if shared is not None else ():
        for run in losslens.read(shared / name):
            yield name, splits.get(run.name, "none"), run
    for folder in (REPO / "tests" / "fixtures", REPO / "src" / "losslens" / "examples"):
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.suffix in NOT_LOGS:
                continue
            try:
                runs = losslens.read(path)
            except Exception:  # bad-input fixtures, parts of a store read through its folder
                continue
            for run in runs:
                yield str(path.relative_to(REPO)), "fixture", run


def census(shared: Path | None = None) -> list[dict]:
    """One record per diagnosis of the committed logs and, where ``shared`` names the shared curves' folder,
    of those curves: its source, split, verdict and the surer causes listed with no reason."""
    import logging

    import losslens
    rows = []
    quiet = logging.getLogger("losslens")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the readers' one-line warnings: a census of thousands of runs is no place for them
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for source, split, run in _runs(shared):
            try:
                d = losslens.diagnose(run)
            except Exception:  # a run with nothing to diagnose (one point, no loss) is no diagnosis
                continue
            verdict = d.causes[0]
            unexplained = [c.id for c in d.causes[1:] if c.strength > verdict.strength
                           and not any("ranked after it" in e for e in c.evidence)]
            rows.append({"source": source, "split": split, "run": run.name, "verdict": verdict.id,
                         "unexplained": unexplained})
    quiet.setLevel(level)
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--list", action="store_true", help="print each diagnosis left without a reason")
    args = ap.parse_args(argv)
    shared = curves_dir()
    if shared is None:
        print("no shared curves (set LOSSLENS_CURVES): counting the committed logs only")
    rows = census(shared)
    bad = [r for r in rows if r["unexplained"]]
    print(f"{len(rows)} diagnoses; {len(bad)} list a surer cause without a reason")
    pairs = collections.Counter((c, r["verdict"], r["split"]) for r in bad for c in r["unexplained"])
    for (cause, verdict, split), n in pairs.most_common():
        print(f"  {cause} after {verdict} ({split}): {n}")
    if args.list:
        for r in bad:
            print(f"  {r['split']:8} {r['verdict']:16} {','.join(r['unexplained']):20} {r['source']}  {r['run']}")


if __name__ == "__main__":
    main()
