"""Schedule benchmark: forecast a curve whose lr is still decaying, to its last logged point, from its first 25% / 50%.

Curves (each logged with its lr):
  yolo      Ultralytics YOLO results.csv, 35 real runs (../shared/curves/yolo_results_curves.csv, yolo_runs.csv):
            the validation loss (sum of val/box_loss, val/cls_loss, val/dfl_loss, as losslens reads it) and the
            training loss (the train/ parts' sum); lr/pg0; planned end and schedule from the run's arguments
            (arg_epochs, arg_lrf, arg_cos_lr). Some stopped early (patience): their last logged epoch is short of
            arg_epochs, and the forecast still goes to the last logged epoch, the lr carried on toward arg_epochs.
  hf        Hugging Face trainer_state.json logs (hf_trainer_state_logs.csv): training loss (and eval_loss where
            logged) with learning_rate; the planned end is the run's global_step (these runs finished).
  torch     small real PyTorch runs under linear / cosine / step / constant lr (benchmarks/schedule_runs.py,
            benchmarks/data/schedule_runs.csv): training and validation loss; planned end 40 epochs.

For each curve and fraction f the first ceil(f n) points (at least 5) are forecast to the last logged axis value.
Methods: ``losslens`` (forecast_curve as forecast_run calls it: since / cut_ratio from the logged lr's last cut),
``sched_log`` (the annealing law, :mod:`losslens.schedule`, with the future lr extrapolated from the logged lr or,
for YOLO, from the run's stated schedule as args.yaml gives it), ``sched_true`` (the same with the run's own future
lr, an upper bound on what knowing the schedule gives), ``pow3`` (forecast_eval's single fit), ``last`` (the last
prefix value). Metrics: median absolute % error of the final value and coverage of the 90% interval.

Runs are split by forecast_eval's hash of the run id; the interval's quantiles (``--calibrate``) and any choice
are made on the training half; the table is the held-out half. The row "lr still decaying" is where an
integration would use the law: the last 3 logged rates of the prefix each fell, the lr above 10% of its peak
(diagnosis' condition for its caveat), and a planned end beyond the prefix.

Result (docs/benchmarks.md): the law forecast worse than losslens in every group, even along the run's own future
lr, so forecast_run does not use it.

    PYTHONPATH=src:. python benchmarks/schedule_eval.py [--calibrate] [--train] [--no-write]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from benchmarks import publish  # noqa: E402
from benchmarks import schedule_law as schedule  # noqa: E402
from benchmarks.forecast_eval import CURVES, MIN_PREFIX, Curve, pow3_fit, prefix_len  # noqa: E402
from losslens.forecasting import forecast_curve, lr_cut  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "schedule.md"
TORCH_RUNS = ROOT / "benchmarks" / "data" / "schedule_runs.csv"
FRACTIONS = (0.25, 0.50)
METHODS = ("losslens", "sched_log", "sched_true", "corr_log", "pow3", "last")


class LrCurve(Curve):
    """A forecast_eval Curve (its held_out hash) with the lr on the same points, the planned end, and the
    run's stated schedule (meta["lr_schedule"] form) where known."""

    def __init__(self, dataset, run_id, x, y, lr, end, stated=None, kind=""):
        super().__init__(dataset, run_id, x, y)
        self.lr, self.end, self.stated, self.kind = lr, end, stated, kind


def _finite(x, y, lr):
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(lr)
    return x[ok], y[ok], lr[ok]


def load_yolo(root: Path = CURVES) -> list[LrCurve]:
    import pandas as pd

    c = pd.read_csv(root / "yolo_results_curves.csv")
    runs = pd.read_csv(root / "yolo_runs.csv").set_index("run_id")
    out = []
    for rid, g in c.groupby("run_id", sort=True):
        g = g.sort_values("epoch")
        a = runs.loc[rid]
        x = g.epoch.to_numpy(float)
        offset = 0.0 if x.min() == 0 else 1.0
        stated = None
        end = None
        if np.isfinite(a.arg_epochs):
            end = float(a.arg_epochs) - 1.0 + offset
            stated = {"shape": "cosine" if str(a.arg_cos_lr).lower() == "true" else "linear", "end": end,
                      "final_ratio": float(a.arg_lrf), "offset": offset, "from": "args",
                      "warmup": 3.0}  # yolo_runs.csv has no warmup_epochs: Ultralytics' default
        for split in ("val", "train"):
            y = sum(g[f"{split}/{p}_loss"].to_numpy(float) for p in ("box", "cls", "dfl"))
            xx, yy, lr = _finite(x, y, g["lr/pg0"].to_numpy(float))
            if xx.size >= 2 * MIN_PREFIX:
                out.append(LrCurve(f"yolo_{split}", rid, xx, yy, lr, end, stated, split))
    return out


def load_hf(root: Path = CURVES) -> list[LrCurve]:
    import pandas as pd

    h = pd.read_csv(root / "hf_trainer_state_logs.csv")
    runs = pd.read_csv(root / "hf_trainer_state_runs.csv").set_index("run_id")
    out = []
    for rid, g in h.groupby("run_id", sort=True):
        g = g.sort_values("step")
        end = float(runs.loc[rid, "global_step"]) if rid in runs.index else None
        lr_at = g.dropna(subset=["learning_rate"]).groupby("step").learning_rate.last()
        for col, kind in (("loss", "train"), ("eval_loss", "val")):
            s = g.dropna(subset=[col]).groupby("step")[col].last()
            if s.size < 2 * MIN_PREFIX or lr_at.size < 3:
                continue
            x = s.index.to_numpy(float)
            lr = np.interp(x, lr_at.index.to_numpy(float), lr_at.to_numpy(float))
            out.append(LrCurve(f"hf_{kind}", rid, x, s.to_numpy(float), lr, end, None, kind))
    return out


def load_torch(path: Path = TORCH_RUNS) -> list[LrCurve]:
    import pandas as pd

    if not path.exists():
        return []
    d = pd.read_csv(path)
    out = []
    for rid, g in d.groupby("run_id", sort=True):
        g = g.sort_values("epoch")
        for col, kind in (("train_loss", "train"), ("val_loss", "val")):
            out.append(LrCurve(f"torch_{kind}", rid, g.epoch.to_numpy(float), g[col].to_numpy(float),
                               g.lr.to_numpy(float), float(g.planned_end.iloc[0]), None, kind))
    return out


def decaying(lr: np.ndarray) -> bool:
    """diagnosis._schedule_ahead's condition: the last 3 rates each fell, the lr above 10% of its peak."""
    lr = lr[np.isfinite(lr)]
    if lr.size < 3 or lr.max() <= 0 or lr[-1] <= 0.1 * lr.max():
        return False
    tail = lr[-3:]
    return bool(np.all(np.diff(tail) < -1e-3 * np.abs(tail[:-1])))


def evaluate(curves, q=(None, None)):
    import pandas as pd

    rows = []
    for c in curves:
        n = c.x.size
        h, truth = float(c.x[-1]), float(c.y[-1])
        for frac in FRACTIONS:
            k = prefix_len(n, frac)
            if k < MIN_PREFIX or k >= n:
                continue
            x, y, lr = c.x[:k], c.y[:k], c.lr[:k]
            end = max(c.end, h) if c.end is not None else h
            base = dict(dataset=c.dataset, run=c.run_id, frac=frac, held_out=c.held_out, truth=truth,
                        decaying=decaying(lr) and end > x[-1], level=float(y[-1]))
            preds = {}
            since, ratio = lr_cut(x, lr)
            fc = forecast_curve(x, y, h, since=since, cut_ratio=ratio, training=c.kind == "train")
            preds["losslens"] = (fc.value, *fc.interval)
            t0 = time.perf_counter()
            s = schedule.forecast(x, y, lr, h, end=end, schedule=c.stated, q=q)
            ms = 1e3 * (time.perf_counter() - t0)
            preds["sched_log"] = (s.value, *s.interval) if s else preds["losslens"]
            s = schedule.forecast(x, y, lr, h, end=end, true_lr=(c.x, c.lr), q=q)
            preds["sched_true"] = (s.value, *s.interval) if s else preds["losslens"]
            # The law's correction alone: what the lr still to come changes against the lr held where it is, added
            # to losslens' forecast (whose fit carries the curve on at the rates seen so far), its interval shifted.
            g = schedule.annealing_gain(x, y, lr, h, end=end, schedule=c.stated)
            d = g[0] if g else 0.0
            v, lo, hi = preds["losslens"]
            preds["corr_log"] = (v + d, lo + d, hi + d)
            mid, (lo, hi), _ = pow3_fit(x, y, h)
            preds["pow3"] = (mid, lo, hi)
            preds["last"] = (float(y[-1]), float("nan"), float("nan"))
            for m, (v, lo, hi) in preds.items():
                rows.append(base | dict(method=m, value=v, lo=lo, hi=hi, ms=ms if m == "sched_log" else np.nan))
    df = pd.DataFrame(rows)
    df["ape"] = 100 * (df.value - df.truth).abs() / df.truth.abs().clip(lower=1e-12)
    df["covered"] = ((df.lo <= df.truth) & (df.truth <= df.hi)).astype(float)
    df.loc[df.lo.isna(), "covered"] = np.nan
    return df


def calibrate(df) -> tuple[float, float]:
    """(q05, q95) of (truth - value) / u on the training half's decaying cases, u as schedule.forecast's."""
    d = df[(~df.held_out) & df.decaying & (df.method == "sched_log")]
    # u = (hi - lo) / (Q95 - Q05) with the quantiles the rows were made with
    u = (d.hi - d.lo) / (schedule.Q95 - schedule.Q05)
    r = ((d.truth - d.value) / u.clip(lower=1e-12)).to_numpy()
    return float(np.quantile(r, 0.05)), float(np.quantile(r, 0.95))


def table(df, title) -> str:
    lines = [f"### {title}", "",
             "| curves | frac | n | " + " | ".join(f"{m} err" for m in METHODS) + " | "
             + " | ".join(f"{m} cov" for m in METHODS if m != "last") + " |",
             "|---|---|---|" + "---|" * (2 * len(METHODS) - 1)]

    def row(name, d):
        out = []
        for frac in FRACTIONS:
            e = d[d.frac == frac]
            if e.empty:
                continue
            n = len(e[e.method == "last"])
            errs = [f"{e[e.method == m].ape.median():.1f}%" for m in METHODS]
            covs = [f"{100 * e[e.method == m].covered.astype(float).mean():.0f}%" for m in METHODS if m != "last"]
            out.append(f"| {name} | {frac:.0%} | {n} | " + " | ".join(errs) + " | " + " | ".join(covs) + " |")
        return out

    for name in sorted(df.dataset.unique()):
        lines += row(name, df[df.dataset == name])
    lines += row("**all**", df)
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calibrate", action="store_true", help="print the interval quantiles fitted on the training half")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--train", action="store_true", help="print the training half's table (for choosing settings)")
    args = ap.parse_args(argv)
    curves = load_yolo() + load_hf() + load_torch()
    df = evaluate(curves)
    if args.calibrate:
        print("q05, q95 =", calibrate(df))
    half = ~df.held_out if args.train else df.held_out
    name = "training" if args.train else "held-out"
    d = df[half]
    text = ("# Schedule benchmark\n\nGenerated by `benchmarks/schedule_eval.py` (see its docstring). Median absolute % "
            f"error of the value at the last logged point, and 90% interval coverage, {name} half "
            f"({d.run.nunique()} runs, {len(d[d.method == 'last'])} forecasts).\n\n")
    text += table(d[d.decaying], "Where the logged lr is still decaying (where the law would be used)") + "\n"
    text += table(d, "Every curve (a constant or stepped lr too)") + "\n"
    text += (f"sched_log: {np.nanmedian(df.ms):.1f} ms per forecast (median).\n")
    publish(text, None if args.no_write or args.train else RESULTS)


if __name__ == "__main__":
    main()
