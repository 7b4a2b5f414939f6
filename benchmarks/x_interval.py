"""Coverage of X's 90% interval on DeepOBS's 10-seed runs: how often one seed's interval holds the X of the
seeds' mean curve, and the X of each other seed.

DeepOBS_Baselines (/work/shared/curves, ``LOSSLENS_CURVES``) trained each test problem with each optimizer at its
best learning rate with 10 seeds: the spread of single seeds' X around the mean curve's X is the uncertainty X's
interval is meant to cover (a 5-95% interval should hold the mean's X about 90% of the time; another seed's X,
which scatters as much again, less often). Each seed's ``test_loss`` and ``train_loss`` are read as
``diagnose_run`` reads a curve's X (:func:`losslens.facts.plateau.plateau_onset`); the mean curve's X is DESIGN's
definition on the mean of the seeds (``benchmarks.labels.rules.plateau_x``).

    python -m benchmarks.x_interval [--curves DIR]

What it showed (2026-12-06, docs/benchmarks.md): of 436 intervals, 81.2% hold the mean's X and 78.1% of 3,528
(seed, other seed) pairs the other's X, 10.3% zero-width, 7.1% of the run wide on average; before the bootstrap
read each point's own noise (``facts.plateau.local_scale``) 77.8%, 72.4%, 43.1% and 5.2%.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.labels.rules import plateau_x  # noqa: E402

METRICS = ("test_loss", "train_loss")


def seed_groups(curves: Path) -> dict:
    """``{(problem, optimizer, lr): {seed: {metric: (n,) array}}}`` of the settings DeepOBS ran with several seeds."""
    runs = {}
    with open(curves / "deepobs_baselines_runs.csv", newline="") as f:
        for r in csv.DictReader(f):
            runs[r["run_id"]] = (r["testproblem"], r["optimizer"], r["learning_rate"]), int(r["random_seed"])
    n_seeds = defaultdict(set)
    for key, seed in runs.values():
        n_seeds[key].add(seed)
    keep = {rid for rid, (key, _) in runs.items() if len(n_seeds[key]) > 1}
    rows = defaultdict(list)
    with gzip.open(curves / "deepobs_baselines_curves.csv.gz", "rt", newline="") as f:
        for r in csv.DictReader(f):
            if r["run_id"] in keep:
                rows[r["run_id"]].append((int(r["epoch"]), *(float(r[m] or "nan") for m in METRICS)))
    out: dict = defaultdict(dict)
    for rid, pts in rows.items():
        pts.sort()
        a = np.array(pts, dtype=float)
        key, seed = runs[rid]
        out[key][seed] = {m: a[:, 1 + j] for j, m in enumerate(METRICS)}
    return out


def coverage(groups: dict) -> dict:
    """Per metric: intervals read, how many hold the mean's X, (seed, other seed) pairs and how many hold the other's
    X, how many intervals are zero-width, and their mean width (% of the run)."""
    from losslens.facts.plateau import plateau_onset
    res = {}
    for m in METRICS:
        c = dict(n=0, mean_in=0, pairs=0, other_in=0, zero=0, width=0.0)
        for key, seeds in sorted(groups.items()):
            ys = [v[m] for _, v in sorted(seeds.items()) if np.isfinite(v[m]).all()]
            if len(ys) < 2 or len({y.shape[0] for y in ys}) > 1:
                continue
            x = np.arange(ys[0].shape[0], dtype=float)
            x_mean = plateau_x(np.mean(ys, axis=0))
            if x_mean is None:
                continue
            reads = [plateau_onset(x, y) for y in ys]
            for j, p in enumerate(reads):
                if p.epoch is None:
                    continue
                lo, hi = p.interval
                c["n"] += 1
                c["mean_in"] += lo <= x_mean <= hi
                c["zero"] += hi == lo
                c["width"] += (hi - lo) / x[-1] * 100
                for k, q in enumerate(reads):
                    if k != j and q.epoch is not None:
                        c["pairs"] += 1
                        c["other_in"] += lo <= q.epoch <= hi
        res[m] = c
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--curves", default=os.environ.get("LOSSLENS_CURVES", "/work/shared/curves"))
    args = ap.parse_args(argv)
    res = coverage(seed_groups(Path(args.curves)))
    print("| curve | intervals | hold the 10-seed mean's X | hold another seed's X | zero-width "
          "| mean width (% of run) |")
    print("|---|---|---|---|---|---|")
    tot = defaultdict(float)
    for m, c in res.items():
        for k, v in c.items():
            tot[k] += v
        print(f"| {m} | {c['n']} | {c['mean_in'] / c['n']:.1%} | {c['other_in'] / c['pairs']:.1%} ({c['pairs']} pairs) "
              f"| {c['zero'] / c['n']:.1%} | {c['width'] / c['n']:.1f} |")
    print(f"| all | {tot['n']:.0f} | {tot['mean_in'] / tot['n']:.1%} | {tot['other_in'] / tot['pairs']:.1%} "
          f"({tot['pairs']:.0f} pairs) | {tot['zero'] / tot['n']:.1%} | {tot['width'] / tot['n']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
