"""Labels for the real curves in ``../shared/curves``, by the rules of :mod:`.rules`.

The metric of every case is ``val_loss``: DeepOBS's ``test_loss`` (its held-out set), the
Keras notebooks' ``val_loss``, and for YOLO the sum of ``val/box_loss``, ``val/cls_loss`` and
``val/dfl_loss`` (``train_loss`` likewise the sum of the three training losses).

DeepOBS (real interventions)
    For each test problem and optimizer the best learning rate is the one DeepOBS ran with
    10 seeds; ``M`` is the mean test-loss curve of those 10 seeds, ``ref_min = min M``.
    Grid runs (seed 42, another rate), first rule that holds:

    1. ``diverged``: a NaN/inf test loss, or the curve ends >= 1.5x its start.
    2. ``stuck_at_init``: progress < 2% of the best-rate run's (``rules.stuck``).
    3. ``lr_too_high``: rate above the best and ``ref_min <= 0.85 * min(run)``.
    4. ``lr_too_low``: rate below the best and ``ref_min <= 0.85 * min(run)``.
    (A grid run within 15% of the best rate gets no label: the rate is not the problem.)
    ``also`` lists the lr direction for 1-2, ``overfitting`` where that rule holds, and for
    4 ``still_improving`` where the shape rule below (last third >= 15% lower) also holds.

    Best-rate seeds 43-45 (full length), by the mean curve ``M`` and mean train curve:
    ``overfitting`` when the overfitting rule holds on them; else ``converged`` when the
    converged shape rule (``rules.converged_shape``) holds. X = DESIGN.md's X on ``M``, given
    only when the seed ends within 10% of M's drop of M's end (seeds of the VAEs split
    between two floors; the mean's X does not describe a seed on the other floor).
    Grid runs of a classifier whose loss ends at ln K (``rules.at_chance``; K known for
    cifar10/100, fmnist, svhn, tolstoi and passed to the diagnosis) add ``no_signal`` to
    ``also``: the network collapsed to predicting the class prior.
    Best-rate seeds 46-48 cut short (the rest of the same runs is the "train longer"
    counterfactual): cut at 1/4 of the run, ``still_improving`` when the rest of ``M`` goes
    >= 15% lower; cut at 1/2, ``converged`` when the rest of ``M`` never goes 2% lower and
    the mean train loss's last third within the case gains < 10% (X on ``M`` up to the cut). A head in which the overfitting rule already holds is skipped.

Keras notebooks and YOLO (shape rules; one run each, so no X)
    Runs with >= 8 validation points: ``diverged`` by rule 1; ``overfitting`` by the
    overfitting rule; ``still_improving`` when the last third gains >= 15% and the minimum is
    in the last 10%; ``converged`` by ``rules.converged_shape``; others get no label.
    YOLO runs that Ultralytics' early stopping ended (fewer epochs than asked, more than the
    patience) carry that fact in ``numbers``.

At most 60 cases per (source, cause) are kept, chosen by SHA-1 of the case id.

``python -m benchmarks.labels`` rebuilds ``real_labels.csv`` (one row per case with the
rule and its numbers); the curves themselves are read from ``../shared/curves``.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

from . import rules

HERE = Path(__file__).resolve().parent
LABELS = HERE / "real_labels.csv"
MIN_VAL_POINTS = 8
BEST_SEEDS_FULL = (43, 44, 45)
BEST_SEEDS_HEAD = (46, 47, 48)
CAP = 60
# Classes of DeepOBS's classification problems (tolstoi: 83 characters); the others are not classifiers.
DEEPOBS_CLASSES = {"cifar10_3c3d": 10, "cifar100_allcnnc": 100, "fmnist_2c2d": 10, "svhn_wrn164": 10,
                   "tolstoi_char_rnn": 83}


def curves_dir() -> Path:
    """:func:`benchmarks.curves_dir`, required: labels cannot be built without the curves."""
    from .. import curves_dir as find
    found = find()
    if found is None:
        raise FileNotFoundError("no ../shared/curves (set LOSSLENS_CURVES to the real-curves folder)")
    return found


# ------------------------------------------------------------------------------- tables
def _deepobs_runs(cdir: Path):
    import pandas as pd
    return pd.read_csv(cdir / "deepobs_baselines_runs.csv")


def _deepobs(cdir: Path):
    import pandas as pd
    return _deepobs_runs(cdir), pd.read_csv(cdir / "deepobs_baselines_curves.csv.gz")


def _keras(cdir: Path):
    import pandas as pd
    runs = pd.read_csv(cdir / "keras_notebook_runs.csv")
    curves = pd.read_csv(cdir / "keras_notebook_curves.csv", low_memory=False)
    return runs, curves


def _yolo(cdir: Path):
    import pandas as pd
    runs = pd.read_csv(cdir / "yolo_runs.csv")
    curves = pd.read_csv(cdir / "yolo_results_curves.csv")
    for part in ("train", "val"):
        cols = [f"{part}/box_loss", f"{part}/cls_loss", f"{part}/dfl_loss"]
        # Some Ultralytics versions log an inf val/cls_loss for early epochs (a logging
        # artefact, training goes on normally): such an epoch's sum is missing, not a divergence.
        parts = curves[cols].replace([np.inf, -np.inf], np.nan)
        curves[f"{part}_loss"] = parts.sum(axis=1, min_count=3)
    return runs, curves


# ------------------------------------------------------------------------------- labels
def label_deepobs(runs, curves) -> list[dict]:
    """Label rows for DeepOBS runs (see the module docstring)."""
    out = []
    by_run = {rid: g.sort_values("epoch") for rid, g in curves.groupby("run_id", sort=False)}
    # The runs file writes one rate with different float noise (seed 42 vs the others): 6 digits.
    runs = runs.assign(learning_rate=runs.learning_rate.map(lambda v: float(f"{v:.6g}")))
    for (problem, opt), grp in runs.groupby(["testproblem", "optimizer"]):
        counts = grp.groupby("learning_rate").size()
        best_lr = float(counts.idxmax())
        best = grp[grp.learning_rate == best_lr]
        curves_best = [by_run[r] for r in best.run_id]
        n = min(len(c) for c in curves_best)
        M = np.nanmean([c.test_loss.to_numpy()[:n] for c in curves_best], axis=0)
        Mtr = np.nanmean([c.train_loss.to_numpy()[:n] for c in curves_best], axis=0)
        axis = curves_best[0].epoch.to_numpy()[:n].astype(float)
        ref_min = float(np.nanmin(M))
        group = f"{problem}/{opt}"
        classes = DEEPOBS_CLASSES.get(problem)
        common = {"source": "deepobs", "metric": "val_loss", "metric_source": "DeepOBS test_loss",
                  "group": group, "classes": classes or ""}
        for _, r in grp.iterrows():
            c = by_run[r.run_id]
            val, lr = c.test_loss.to_numpy(), float(r.learning_rate)
            length = float(c.epoch.max())
            base = common | {"run_id": r.run_id, "cut": "", "length": length,
                             "x_true": "", "x_source": ""}
            if lr != best_lr:
                direction = "lr_too_high" if lr > best_lr else "lr_too_low"
                nums = {"lr": lr, "best_lr": best_lr, "ref_min": ref_min}
                chance = rules.at_chance(val, classes)
                extra_also = ["no_signal"] if chance else []  # collapsed to predicting the prior
                if chance:
                    nums |= {f"chance_{k}": v for k, v in chance.items()}
                d = rules.diverged(val, train=c.train_loss.to_numpy())
                if d is not None:
                    out.append(base | _row("diverged", "diverged: NaN/inf or end >= 1.5x start",
                                           nums | d, [direction]))
                    continue
                st = rules.stuck(val, ref_min)
                if st["holds"]:
                    out.append(base | _row("stuck_at_init", "progress < 2% of the best-rate run's",
                                           nums | st, [direction] + extra_also))
                    continue
                run_min = float(np.nanmin(val))
                if rules.gained(ref_min, run_min):
                    of = rules.overfitting(val, c.train_loss.to_numpy())
                    also = (["overfitting"] if of["holds"] else []) + extra_also
                    fin = val[np.isfinite(val)]
                    if direction == "lr_too_low" and rules.tail_gain(val) >= rules.GAIN \
                            and int(np.argmin(fin)) >= int(0.9 * fin.size) - 1:
                        also.append("still_improving")  # the shape rule for Keras/YOLO also holds
                    out.append(base | _row(direction, f"rate {'above' if lr > best_lr else 'below'} the "
                                           "best; best-rate mean reaches >= 15% lower min loss",
                                           nums | {"run_min": run_min, "ratio": ref_min / run_min}, also))
                continue
            seed = int(r.random_seed)
            if seed in BEST_SEEDS_FULL:
                of = rules.overfitting(M, Mtr)
                cv = rules.converged_shape(M, Mtr)
                x = rules.plateau_x(M, axis)
                nums = {"lr": lr, "best_lr": best_lr} | _strip(of) | {f"conv_{k}": v for k, v in cv.items()
                                                                      if k != "holds"}
                # The mean's X stands for this seed only when the seed ends where the mean does.
                own_end, mean_end = rules.tail_level(val), rules.tail_level(M)
                typical = rules.typical_seed(own_end, mean_end, M[0] - np.nanmin(M))
                nums |= {"seed_end": own_end, "mean_end": mean_end}
                xs = {"x_true": x if typical else "",
                      "x_source": "DESIGN X on the 10-seed mean test_loss" if typical else
                      "none: this seed ends > 10% of the mean's drop away from the mean"}
                if of["holds"]:
                    out.append(base | xs | _row("overfitting", "overfitting rule on the 10-seed means", nums))
                elif cv["holds"]:
                    out.append(base | xs | _row("converged", "converged shape rule on the 10-seed means "
                                                "(last third < 2% lower, train flat too)", nums))
            elif seed in BEST_SEEDS_HEAD:
                for frac, cause in ((0.25, "still_improving"), (0.5, "converged")):
                    cut = max(MIN_VAL_POINTS, int(round(frac * n)))
                    head_of = rules.overfitting(M[:cut], Mtr[:cut])
                    if head_of["holds"] or cut >= n - 2:
                        continue
                    level, future = float(M[cut - 1]), float(np.nanmin(M[cut:]))
                    nums = {"lr": lr, "best_lr": best_lr, "mean_at_cut": level, "mean_min_after_cut": future,
                            "cut_points": cut}
                    if cause == "still_improving" and rules.gained(future, level):
                        out.append(base | {"cut": cut, "length": float(axis[cut - 1])} |
                                   _row(cause, "cut at 1/4; the rest of the 10-seed mean goes >= 15% lower", nums))
                    train_tg = rules.tail_gain(Mtr[:cut])
                    nums["mean_train_tail_gain_in_case"] = train_tg
                    own = rules.tail_level(val[:cut])
                    typical = rules.typical_seed(own, level, M[0] - np.nanmin(M[:cut]))
                    if cause == "converged" and not rules.gained(future, level, rules.NO_GAIN) \
                            and not train_tg >= rules.CONVERGED_TRAIN_FLAT:
                        out.append(base | {"cut": cut, "length": float(axis[cut - 1]),
                                           "x_true": rules.plateau_x(M[:cut], axis[:cut]) if typical else "",
                                           "x_source": "DESIGN X on the 10-seed mean up to the cut" if typical
                                           else "none: this seed ends > 10% of the mean's drop away"} |
                                   _row(cause, "cut at 1/2; the rest of the 10-seed mean never goes 2% lower; "
                                        "train's last third in the case < 10% lower",
                                        nums))
    for row in out:
        row["case_id"] = f"deepobs/{row['run_id']}" + (f"@{row['cut']}" if row["cut"] != "" else "")
    return out


def label_shape(source: str, runs, curves, metric_source: str, extra=None, nan_is_gap=False) -> list[dict]:
    """Shape-rule labels for one-run-per-setup sources (Keras notebooks, YOLO).

    ``nan_is_gap``: missing values are gaps (YOLO's inf artefact), not divergence; runs with
    more than 20% of them get no label.
    """
    out = []
    for rid, c in curves.groupby("run_id", sort=False):
        c = c.sort_values("epoch")
        val = c.val_loss.to_numpy(dtype=float)
        if np.isfinite(val).sum() < MIN_VAL_POINTS:
            continue
        train = c.train_loss.to_numpy(dtype=float) if "train_loss" in c else None
        if nan_is_gap:
            ok = np.isfinite(val)
            if ok.mean() < 0.8:
                continue
            val = val[ok]
            train = train[ok] if train is not None else None
        base = {"source": source, "metric": "val_loss", "metric_source": metric_source, "group": rid,
                "run_id": rid, "cut": "", "length": float(c.epoch.max()), "x_true": "", "x_source": "",
                "case_id": f"{source}/{rid}"}
        nums = dict(extra(rid) if extra else {})
        d = rules.diverged(val, train=train)
        if d is not None:
            out.append(base | _row("diverged", "diverged: NaN/inf or end >= 1.5x start", nums | d))
            continue
        of = rules.overfitting(val, train)
        if of["holds"]:
            out.append(base | _row("overfitting", "overfitting rule (val min, rise >= 10% of drop, "
                                   "train still falling)", nums | _strip(of)))
            continue
        tg = rules.tail_gain(val)
        fin = val[np.isfinite(val)]
        at_end = int(np.argmin(fin)) >= int(0.9 * fin.size) - 1
        cv = rules.converged_shape(val, train)
        nums = nums | {"tail_gain": tg, "min_index": int(np.argmin(fin)), "n_points": int(fin.size)} \
            | _strip(of) | {f"conv_{k}": v for k, v in cv.items() if k != "holds"}
        if tg >= rules.GAIN and at_end:
            out.append(base | _row("still_improving", "last third gains >= 15%, minimum in the last 10%", nums))
        elif cv["holds"]:
            out.append(base | _row("converged", "converged shape rule (last third < 2% lower after a >= 10% "
                                   "drop, rise <= 5% of the drop, end < 15% above the minimum, "
                                   "train's last third < 10% lower)", nums))
    return out


def build(cdir: Path | None = None, path: Path = LABELS) -> list[dict]:
    """Build every real-curve label and write ``real_labels.csv``."""
    cdir = cdir or curves_dir()
    rows = label_deepobs(*_deepobs(cdir))
    kruns, kcurves = _keras(cdir)
    rows += label_shape("keras", kruns, kcurves, "Keras val_loss")
    yruns, ycurves = _yolo(cdir)
    info = yruns.set_index("run_id")

    def yolo_extra(rid):
        r = info.loc[rid]
        early = bool(r.arg_epochs == r.arg_epochs and r.n_epochs < r.arg_epochs and r.n_epochs > r.arg_patience)
        return {"epochs_asked": _num(r.arg_epochs), "epochs_run": _num(r.n_epochs),
                "patience": _num(r.arg_patience), "ended_by_early_stopping": early}

    rows += label_shape("yolo", yruns, ycurves, "YOLO val/box+cls+dfl loss", yolo_extra, nan_is_gap=True)
    rows = cap(rows)
    fields = ["case_id", "source", "run_id", "cut", "group", "metric", "metric_source", "classes", "cause", "also",
              "x_true", "x_source", "length", "rule", "numbers"]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for row in rows:
            row = dict(row)
            row["x_true"] = "" if row["x_true"] in ("", None) else row["x_true"]
            w.writerow({k: row.get(k, "") for k in fields})
    return rows


def cap(rows: list[dict], per_class: int = CAP) -> list[dict]:
    """At most ``per_class`` cases per (source, cause), the first by SHA-1 of the case id.

    DeepOBS's grid has hundreds of NaN runs; without a cap one class would dominate accuracy.
    """
    import hashlib
    groups: dict = {}
    for row in rows:
        groups.setdefault((row["source"], row["cause"]), []).append(row)
    keep = set()
    for members in groups.values():
        members.sort(key=lambda r: hashlib.sha1(r["case_id"].encode()).hexdigest())
        keep.update(r["case_id"] for r in members[:per_class])
    return [r for r in rows if r["case_id"] in keep]


def _row(cause, rule, numbers, also=()) -> dict:
    return {"cause": cause, "rule": rule, "also": "|".join(also),
            "numbers": json.dumps(_clean(numbers), sort_keys=True)}


def _strip(d: dict) -> dict:
    return {f"overfit_{k}": v for k, v in d.items() if k != "holds"}


def _num(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _clean(obj):
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return None if not math.isfinite(float(obj)) else float(f"{float(obj):.6g}")
    return obj


# ------------------------------------------------------------------------------- cases
def load_real_cases(path: Path = LABELS, cdir: Path | None = None):
    """The real-curve cases of ``real_labels.csv`` with their Runs (``val_loss`` is the metric)."""
    from losslens.run import Run

    from .. import Case
    cdir = cdir or curves_dir()
    with open(path, newline="") as f:
        labels = list(csv.DictReader(f))
    by_source: dict[str, dict] = {}
    tables = {"deepobs": lambda: _deepobs(cdir)[1].rename(columns={"test_loss": "val_loss",
                                                                   "test_acc": "val_acc"}),
              "keras": lambda: _keras(cdir)[1], "yolo": lambda: _yolo(cdir)[1]}
    cases = []
    deepobs_lr = None
    for lab in labels:
        src = lab["source"]
        if src not in by_source:
            by_source[src] = {rid: g.sort_values("epoch") for rid, g in tables[src]().groupby("run_id", sort=False)}
        c = by_source[src][lab["run_id"]]
        cols = [k for k in ("train_loss", "val_loss", "train_acc", "val_acc", "lr") if k in c]
        series = {k: c[k].to_numpy(dtype=float) for k in cols}
        if src == "yolo" and "lr/pg0" in c:
            series["lr"] = c["lr/pg0"].to_numpy(dtype=float)
        if src == "deepobs":
            # The learning rate a DeepOBS run used, as a logger would have written it: constant
            # (no lr_sched_epochs in these baselines), from the runs table.
            if deepobs_lr is None:
                r = _deepobs_runs(cdir)
                deepobs_lr = {rid: lr for rid, lr, sched in zip(r.run_id, r.learning_rate, r.lr_sched_epochs)
                              if not isinstance(sched, str) and math.isfinite(lr)}
            if lab["run_id"] in deepobs_lr:
                series["lr"] = np.full(len(c), float(deepobs_lr[lab["run_id"]]))
        run = Run(c.epoch.to_numpy(dtype=float), series, "epoch", name=lab["case_id"], source=f"shared/curves:{src}")
        if lab["cut"]:
            run = run.head(int(lab["cut"]))
        cases.append(Case(case_id=lab["case_id"], part="real", run=run, metric=lab["metric"], cause=lab["cause"],
                          x_true=float(lab["x_true"]) if lab["x_true"] else None, length=float(lab["length"]),
                          rule=lab["rule"], numbers=json.loads(lab["numbers"]),
                          also=tuple(a for a in lab["also"].split("|") if a), source=src,
                          classes=int(lab["classes"]) if lab.get("classes") else None))
    return cases
