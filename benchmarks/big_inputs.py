"""Speed on big inputs: a per-step log of 10^4-10^6 points, and a folder of 1,000 runs.

    python -m benchmarks.big_inputs [--sizes 10000,100000,1000000] [--runs 1000] [--profile] [--no-folder]

A per-step log shaped like a real pretraining run's (nanoGPT-style): a noisy power-law decay with a step-lr drop at
70% of the run, as a CSV of ``step,train_loss`` (one series) or ``step,train_loss,val_loss`` (two: validation
every 125 steps, as modded-nanogpt logs it). In one process, each stage timed alone (the least CPU time of
``--repeat`` calls): reading the CSV (``losslens.read``), ``losslens.diagnose``, the forecast
(``losslens.forecast``), the chart's data (``plot.chart_data``: smoothing and thinning), the PNG
(``Diagnosis.save_plot``, chart data included), the terminal print (``str``) and ``--json`` (``to_dict``
serialised); then ``losslens diagnose FILE --plot x.png`` and ``--json`` as a user runs them (one process, wall
and CPU time and peak RSS, Python start-up included).

A folder of ``--runs`` small runs (the first DeepOBS runs of ../shared/curves, one CSV each as Keras' CSVLogger
names the columns, 51-351 epochs) in a temporary folder: ``losslens diagnose DIR`` and ``losslens report DIR -o
r.html`` (one process each, wall and CPU time; the HTML's size). All 1,000 are diagnosed (until 2026-12-06 the folder
reader dropped as copies 160 runs that diverged after epoch 0, whose only finite validation loss equalled an earlier
run's; a copy now matches on every point, ``readers.directory._drop_copies``). ``--profile`` prints cProfile's top functions for the largest size's
diagnose and PNG. No asserts: the figures are read in docs/benchmarks.md ("Big inputs"); to compare with the code
before, run this file with ``PYTHONPATH`` naming the other tree's ``src`` first.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import gzip
import io
import json
import os
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks import curves_dir  # noqa: E402
from benchmarks.speed import cli_run  # noqa: E402

VAL_EVERY = 125  # modded-nanogpt's validation interval (steps)


def pretrain_curve(n: int, seed: int = 0) -> np.ndarray:
    """A per-step training loss, shape (n,): ``2 + 6 (t / (n/100))^-0.5``, dropped 15% at 70% of the run (the
    step-lr drop), with batch noise of sd 0.05 and a spike of +1.5 every ~50,000 steps (a bad batch)."""
    rng = np.random.default_rng(seed)
    t = np.arange(1, n + 1, dtype=float)
    loss = (2.0 + 6.0 * (t / max(n / 100, 1)) ** -0.5) * np.where(t > 0.7 * n, 0.85, 1.0)
    loss += rng.normal(0, 0.05, n)
    loss[rng.integers(n // 10, n, max(1, n // 50_000))] += 1.5
    return loss


def write_log(folder: Path, n: int, two: bool) -> Path:
    """``step,train_loss[,val_loss]`` (6 significant digits, an empty cell where validation did not run)."""
    loss = pretrain_curve(n)
    path = folder / f"steps_{n}_{'two' if two else 'one'}.csv"
    with open(path, "w") as f:
        f.write("step,train_loss,val_loss\n" if two else "step,train_loss\n")
        for i in range(n):
            if two:
                val = f"{loss[i] + 0.08:.6g}" if (i + 1) % VAL_EVERY == 0 else ""
                f.write(f"{i + 1},{loss[i]:.6g},{val}\n")
            else:
                f.write(f"{i + 1},{loss[i]:.6g}\n")
    return path


def best(fn, repeat: int) -> tuple[float, object]:
    """(least CPU seconds of ``repeat`` calls, the last call's result): CPU, not wall, as the machine this is run on
    is shared and its wall times move 2-5x with the load."""
    times, out = [], None
    for _ in range(repeat):
        t = time.process_time()
        out = fn()
        times.append(time.process_time() - t)
    return min(times), out


def cli(*args) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds (user + sys), peak RSS in MiB) of one ``losslens`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, rss = cli_run(*args)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, rss


def stages(path: Path, repeat: int, png: Path) -> dict:
    import losslens
    from losslens.report import plot

    row = {}
    row["read"], runs = best(lambda: losslens.read(path), repeat)
    run = runs[0]
    row["diagnose"], d = best(lambda: losslens.diagnose(run), repeat)
    row["forecast"], _ = best(lambda: losslens.forecast(run), repeat)
    row["chart data"], data = best(lambda: plot.chart_data(d), repeat)
    row["png"], _ = best(lambda: d.save_plot(png), repeat)
    row["print"], _ = best(lambda: str(d), repeat)
    row["json"], _ = best(lambda: json.dumps(d.to_dict()), repeat)
    row["points drawn"] = len(data["x"])
    return row


def profile(path: Path, png: Path, top: int = 18) -> None:
    import losslens

    run = losslens.read(path)[0]
    for what, fn in (("diagnose", lambda: losslens.diagnose(run)),
                     ("png", lambda: losslens.diagnose(run).save_plot(png))):
        prof = cProfile.Profile()
        prof.enable()
        fn()
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
        print(f"\n### cProfile: {what}, {path.name}\n```\n" + "\n".join(
            ln for ln in out.getvalue().splitlines()[4:] if ln.strip()) + "\n```", flush=True)


def deepobs_folder(folder: Path, runs: int) -> Path | None:
    """The first ``runs`` DeepOBS runs, one CSV each (``epoch,loss,val_loss,accuracy,val_accuracy``)."""
    cdir = curves_dir()
    src = cdir / "deepobs_baselines_curves.csv.gz" if cdir else None
    if src is None or not src.exists():
        return None
    out = folder / "runs"
    out.mkdir()
    rows: dict[str, list] = {}
    with gzip.open(src, "rt", newline="") as f:
        for r in csv.DictReader(f):
            if r["run_id"] not in rows and len(rows) == runs:
                break
            rows.setdefault(r["run_id"], []).append(r)
    for k, (rid, lines) in enumerate(rows.items()):
        name = rid.split("/")[0] + f"_{k:04d}.csv"
        with open(out / name, "w") as f:
            f.write("epoch,loss,val_loss,accuracy,val_accuracy\n")
            for r in lines:
                f.write(f"{r['epoch']},{r['train_loss']},{r['test_loss']},{r['train_acc']},{r['test_acc']}\n")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="points per log (comma-separated)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many calls per stage")
    parser.add_argument("--runs", type=int, default=1000, help="runs in the folder")
    parser.add_argument("--profile", action="store_true", help="cProfile the largest size's diagnose and PNG")
    parser.add_argument("--no-folder", action="store_true", help="skip the folder of runs")
    parser.add_argument("--no-logs", action="store_true", help="skip the per-step logs")
    args = parser.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")
    import losslens

    print(f"losslens from {Path(losslens.__file__).parent}\n")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    with tempfile.TemporaryDirectory(prefix="losslens-big-") as tmp:
        tmp = Path(tmp)
        if not args.no_logs:
            cols = ["read", "diagnose", "forecast", "chart data", "png", "print", "json"]
            print("| log | " + " | ".join(cols) + " | diagnose + png | points drawn |\n" + "|---" * (len(cols) + 3) + "|")
            logs = []
            for n in sizes:
                for two in (False, True):
                    path = write_log(tmp, n, two)
                    logs.append(path)
                    row = stages(path, args.repeat, tmp / "x.png")
                    cells = [f"{row[c]:.3f} s" for c in cols]
                    print(f"| {n:,} points, {'two series' if two else 'one series'} | " + " | ".join(cells)
                          + f" | {row['diagnose'] + row['png']:.2f} s | {row['points drawn']:,} |", flush=True)
            big = logs[-1]
            for extra in (("--plot", tmp / "cli.png"), ("--json",)):
                wall, cpu, rss = cli("diagnose", big, *extra)
                print(f"`losslens diagnose {big.name} {extra[0]}` (one process, start-up included): {wall:.2f} s wall, "
                      f"{cpu:.2f} s CPU, peak RSS {rss:.0f} MiB", flush=True)
            if args.profile:
                profile(big, tmp / "x.png")
        if not args.no_folder:
            folder = deepobs_folder(tmp, args.runs)
            if folder is None:
                print("\n(no ../shared/curves: the folder of runs is skipped)")
                return 0
            n = len(list(folder.iterdir()))
            print(f"\n| folder of {n:,} DeepOBS runs (CSV) | wall | CPU | peak RSS | output |\n|---|---|---|---|---|")
            wall, cpu, rss = cli("diagnose", folder)
            print(f"| `losslens diagnose DIR` | {wall:.1f} s | {cpu:.1f} s | {rss:.0f} MiB | |", flush=True)
            html = tmp / "r.html"
            wall, cpu, rss = cli("report", folder, "-o", html)
            print(f"| `losslens report DIR -o r.html` | {wall:.1f} s | {cpu:.1f} s | {rss:.0f} MiB | "
                  f"{html.stat().st_size / 2**20:.1f} MiB HTML |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
