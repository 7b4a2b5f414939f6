"""Score losslens and the baselines on the labeled cases; write ``results/diagnosis.md``.

Measures, per part (real / generated) and split (train / held-out test):

- **accuracy** and **macro-F1** of the named cause over the causes the part's labels hold
  (a method that names no cause for a case is wrong on it); only for methods that name
  several causes.
- **lenient accuracy**: the verdict is the label or one of the causes its rule also supports.
- **F1 on named causes**: macro-F1 over the causes the method can name at all (one-vs-rest),
  so Keras EarlyStopping is scored on "still improving or not" and Prechelt on "overfitting".
- **plateau F1**: plateaued vs. keeps improving (labels still_improving, lr_too_low and
  temporary_plateau keep improving); a method says "plateaued" when it gives an X or names
  a cause other than those three.
- **X error**: mean |X_pred - X_true| as % of the run's length (last minus first axis value),
  over cases with a ground-truth X; a method that gives no X is scored as if it said "the
  last epoch".
- **runs/s**: cases per second of the method's own time.
- **reliability** (losslens): the verdicts in each band of the confidence it gives them and the
  share of them right, the Brier score of that confidence as the probability "the verdict is the
  label", and the AUROC of confidence separating right verdicts from wrong ones (0.5: it does
  not; 1: every right verdict is surer than every wrong one).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from . import publish
from .baselines import METHODS, NAMES, Prediction

KEEPS_IMPROVING = frozenset({"still_improving", "lr_too_low", "temporary_plateau"})
#: Where ``python -m benchmarks`` writes by default, relative to the current folder: the committed file when run from
#: the repository root (``make bench``); anywhere else, a file there, never the checkout's (its own path found it
#: from any folder, and ``losslens bench`` rewrote the tracked file from wherever it ran).
RESULTS = Path("benchmarks") / "results" / "diagnosis.md"


# ------------------------------------------------------------------------------ metrics
def f1_per_class(truth, pred, label) -> float:
    """One-vs-rest F1 of ``label`` (0 when it is never predicted nor true... it is then skipped)."""
    tp = sum(1 for t, p in zip(truth, pred) if t == label and p == label)
    fp = sum(1 for t, p in zip(truth, pred) if t != label and p == label)
    fn = sum(1 for t, p in zip(truth, pred) if t == label and p != label)
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def macro_f1(truth, pred, labels) -> float:
    """Mean one-vs-rest F1 over ``labels`` (nan when ``labels`` is empty)."""
    labels = list(labels)
    return float(np.mean([f1_per_class(truth, pred, c) for c in labels])) if labels else float("nan")


def plateaued(p: Prediction) -> bool:
    return p.x is not None or (p.cause is not None and p.cause not in KEEPS_IMPROVING)


def x_error(case, p: Prediction) -> float:
    """|X_pred - X_true| as % of the run's length (no X predicted: the last epoch)."""
    axis = np.asarray(case.run.axis, dtype=float)
    span = max(float(axis[-1] - axis[0]), 1.0)
    x = float(axis[-1]) if p.x is None or not math.isfinite(p.x) else float(p.x)
    return 100.0 * abs(x - float(case.x_true)) / span


def summarize(cases, preds: dict, method: str, seconds: float) -> dict:
    """The metrics of one method on ``cases``; ``preds`` maps case_id -> Prediction."""
    truth = [c.cause for c in cases]
    pred = [preds[c.case_id].cause for c in cases]
    present = sorted(set(truth))
    names = NAMES[method]
    named = present if names is None else sorted(names & set(present))
    out = {"n": len(cases), "runs_per_s": len(cases) / seconds if seconds > 0 else float("inf")}
    multi = names is None or len(names) > 1
    out["accuracy"] = float(np.mean([t == p for t, p in zip(truth, pred)])) if multi else float("nan")
    out["lenient"] = float(np.mean([p == c.cause or p in c.also for c, p in zip(cases, pred)])) \
        if multi else float("nan")
    out["macro_f1"] = macro_f1(truth, pred, present) if multi else float("nan")
    out["named_f1"] = macro_f1(truth, pred, named)
    bt = [c.cause not in KEEPS_IMPROVING for c in cases]
    bp = [plateaued(preds[c.case_id]) for c in cases]
    out["plateau_f1"] = f1_per_class(bt, bp, True)
    with_x = [c for c in cases if c.x_true is not None]
    out["n_x"] = len(with_x)
    out["x_error"] = float(np.mean([x_error(c, preds[c.case_id]) for c in with_x])) if with_x else float("nan")
    return out


TARGETS = {"macro_f1": 0.85, "x_error": 5.0}  # issue 5: macro-F1 >= 0.85, X error <= 5% of the run
BOOTSTRAP_REPS = 2000


def _per_case(cases, preds, method, key):
    """What ``key`` is computed from, one entry per case: the verdict (macro-F1) or the X error."""
    if key == "macro_f1":
        return np.array([preds[method][c.case_id].cause for c in cases], dtype=object)
    return np.array([x_error(c, preds[method][c.case_id]) for c in cases])


def uncertainty(cases, preds, methods, key, reps=BOOTSTRAP_REPS, seed=0) -> dict | None:
    """Case-resampling bootstrap (Efron & Tibshirani 1993) of losslens's ``key`` and of its
    difference to the best other method on the same resampled cases (paired).

    ``key``: ``"macro_f1"`` (all cases; labels fixed to those of the sample) or ``"x_error"``
    (cases with a ground-truth X). Returns the point values, 95% percentile intervals and the
    share of resamples in which losslens is better, or None with too few cases.
    """
    if key == "x_error":
        cases = [c for c in cases if c.x_true is not None]
    if len(cases) < 5 or "losslens" not in methods:
        return None
    higher = key == "macro_f1"
    others = [m for m in methods if m != "losslens" and (key == "x_error" or NAMES[m] is None or len(NAMES[m]) > 1)]
    if not others:
        return None
    truth = np.array([c.cause for c in cases], dtype=object)
    labels = sorted(set(truth))

    def stat(values, rows=slice(None)):
        if key == "macro_f1":
            return macro_f1(list(truth[rows]), list(values[rows]), labels)
        return float(np.mean(values[rows]))

    per = {m: _per_case(cases, preds, m, key) for m in ["losslens", *others]}
    vals = {m: stat(per[m]) for m in others}
    best = (max if higher else min)(others, key=lambda m: vals[m])
    ours = stat(per["losslens"])
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(cases), size=(reps, len(cases)))
    a = np.array([stat(per["losslens"], row) for row in idx])
    b = np.array([stat(per[best], row) for row in idx])
    diff = a - b
    return {"value": ours, "ci": tuple(np.percentile(a, [2.5, 97.5])), "best": best, "best_value": vals[best],
            "diff": ours - vals[best], "diff_ci": tuple(np.percentile(diff, [2.5, 97.5])),
            "p_better": float(np.mean(diff > 0) if higher else np.mean(diff < 0)),
            "p_target": float(np.mean(a >= TARGETS[key]) if higher else np.mean(a <= TARGETS[key]))}


def uncertainty_table(cases, preds, methods) -> list[str]:
    """Markdown rows: each target's held-out value with its bootstrap interval and the paired
    comparison to the best other method."""
    lines = ["| held-out | losslens | 95% interval | target | share of resamples meeting it | best other method | "
             "losslens − it (95% interval) | share of resamples where losslens is ahead |",
             "|---|---|---|---|---|---|---|---|"]
    for key, name, digits in (("macro_f1", "macro-F1", 2), ("x_error", "X err (% of run)", 2)):
        u = uncertainty(cases, preds, methods, key)
        if u is None:
            continue
        goal = ">=" if key == "macro_f1" else "<="
        lo, hi = u["ci"]
        dlo, dhi = u["diff_ci"]
        lines.append(f"| {name} | {u['value']:.{digits}f} | {lo:.{digits}f} – {hi:.{digits}f} | {goal} "
                     f"{TARGETS[key]:g} | {u['p_target']:.0%} | {u['best']} {u['best_value']:.{digits}f} | "
                     f"{u['diff']:+.{digits}f} ({dlo:+.{digits}f} to {dhi:+.{digits}f}) | {u['p_better']:.0%} |")
    return lines


CONFIDENCE_BINS = (0.6, 0.7, 0.8, 0.9)  # edges: <0.6, 0.6-0.7, 0.7-0.8, 0.8-0.9, >=0.9


def auroc(scores, positive) -> float:
    """scikit-learn's ROC AUC of ``scores`` for ``positive`` (ties count half); nan when either class is empty,
    where it is undefined."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(positive, dtype=bool)
    return float(roc_auc_score(y, np.asarray(scores, dtype=float))) if 0 < y.sum() < y.size else float("nan")


def reliability(cases, preds) -> dict:
    """How far the verdict's confidence is the chance it is right, over ``cases`` (``preds``: case_id -> Prediction).

    ``bins``: one row per confidence band (``CONFIDENCE_BINS``) and, last, ``"none"`` for verdicts given no
    confidence (a crash, no cause): label, verdicts, mean confidence, right (the label), lenient right (the label
    or a cause its rule also supports). ``by_verdict``: the same per verdict given (verdicts, mean confidence,
    right), most given first: which causes over- or understate. ``brier``: mean (confidence - right)^2 and
    ``auroc``: confidence ranking right verdicts above wrong ones, both over the verdicts with a confidence;
    ``n``: every case.
    """
    edges = [0.0, *CONFIDENCE_BINS, math.inf]
    names = [f"< {CONFIDENCE_BINS[0]:g}"] + [f"{a:g}–{b:g}" for a, b in zip(CONFIDENCE_BINS, CONFIDENCE_BINS[1:])] \
        + [f">= {CONFIDENCE_BINS[-1]:g}"]
    rows = [{"bin": n, "n": 0, "conf": [], "right": 0, "lenient": 0} for n in [*names, "none"]]
    conf, right = [], []
    verdicts: dict = {}
    for c in cases:
        p = preds[c.case_id]
        ok = p.cause == c.cause
        if p.confidence is None or not math.isfinite(p.confidence):
            row = rows[-1]
        else:
            k = next(i for i in range(len(names)) if edges[i] <= p.confidence < edges[i + 1]) \
                if p.confidence >= 0 else 0
            row = rows[k]
            row["conf"].append(p.confidence)
            conf.append(p.confidence)
            right.append(ok)
            v = verdicts.setdefault(p.cause or "—", {"verdict": p.cause or "—", "n": 0, "conf": 0.0, "right": 0})
            v["n"] += 1
            v["conf"] += p.confidence
            v["right"] += ok
        row["n"] += 1
        row["right"] += ok
        row["lenient"] += ok or p.cause in c.also
    for row in rows:
        row["mean_conf"] = float(np.mean(row.pop("conf"))) if row["n"] and row["bin"] != "none" else float("nan")
    for v in verdicts.values():
        v["mean_conf"] = v.pop("conf") / v["n"]
    by_verdict = sorted(verdicts.values(), key=lambda v: (-v["n"], v["verdict"]))
    c_arr, r_arr = np.asarray(conf, dtype=float), np.asarray(right, dtype=float)
    return {"bins": rows, "by_verdict": by_verdict, "n": len(cases), "scored": len(conf),
            "brier": float(np.mean((c_arr - r_arr) ** 2)) if conf else float("nan"),
            "auroc": auroc(conf, right), "accuracy": float(np.mean(r_arr)) if conf else float("nan"),
            "mean_conf": float(np.mean(c_arr)) if conf else float("nan")}


def reliability_table(cases, preds, label) -> list[str]:
    """Markdown: the reliability bins of losslens's verdict confidence on ``cases`` and the Brier score and AUROC
    (no lines when no verdict carries a confidence)."""
    r = reliability(cases, preds)
    if not r["scored"]:
        return []
    lines = [f"losslens confidence reliability ({label}): is a verdict given at confidence c right a share c of "
             "the time?", "",
             "| verdict confidence | verdicts | mean confidence | right | share right | lenient share right |",
             "|---|---|---|---|---|---|"]
    for row in r["bins"]:
        if row["bin"] == "none" and not row["n"]:
            continue
        share = row["right"] / row["n"] if row["n"] else float("nan")
        lenient = row["lenient"] / row["n"] if row["n"] else float("nan")
        lines.append(f"| {row['bin']} | {row['n']} | {_fmt(row['mean_conf'])} | {row['right']} | "
                     f"{_fmt(share, True)} | {_fmt(lenient, True)} |")
    lines += ["", f"Brier score {_fmt(r['brier'], digits=3)} (a constant {_fmt(r['accuracy'], digits=2)}, the "
              f"share right, would score {_fmt(r['accuracy'] * (1 - r['accuracy']), digits=3)}); mean confidence "
              f"{_fmt(r['mean_conf'])} vs. share right {_fmt(r['accuracy'], True)}; AUROC of confidence for right "
              f"vs. wrong verdicts {_fmt(r['auroc'])}.", "",
              "By verdict given (a cause whose share right is far from its mean confidence over- or understates):",
              "", "| verdict | verdicts | mean confidence | right | share right |", "|---|---|---|---|---|"]
    lines += [f"| {v['verdict']} | {v['n']} | {_fmt(v['mean_conf'])} | {v['right']} | {_fmt(v['right'] / v['n'], True)} |"
              for v in r["by_verdict"]]
    return lines + [""]


def confusion(cases, preds) -> tuple[list[str], list[str], dict]:
    """``(rows, cols, counts)``: true cause x predicted cause (None shown as "—")."""
    counts = Counter((c.cause, preds[c.case_id].cause or "—") for c in cases)
    rows = sorted({c.cause for c in cases})
    cols = sorted({p for _, p in counts}, key=lambda k: (k not in rows, k))
    return rows, cols, counts


# ------------------------------------------------------------------------------ running
def run_methods(cases, methods=None, log=None) -> tuple[dict, dict]:
    """Every method on every case: ``(preds[method][case_id], seconds[method][part])``.

    A method that raises on a case is scored as naming nothing there ("error" counted).
    """
    methods = methods or list(METHODS)
    preds: dict = {m: {} for m in methods}
    secs: dict = {m: Counter() for m in methods}
    errors: Counter = Counter()
    for m in methods:
        fn = METHODS[m]
        if cases:  # one untimed call first: imports (Keras, torch) are not the method's speed
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fn(cases[0].run, cases[0].metric)
            except Exception:
                pass
        for c in cases:
            t0 = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if m == "losslens":
                        p = fn(c.run, c.metric, classes=c.classes)
                    else:
                        p = fn(c.run, c.metric)
            except Exception as exc:  # a crash is a wrong answer, counted and shown
                errors[m] += 1
                if log and errors[m] <= 3:
                    log(f"  {m} failed on {c.case_id}: {type(exc).__name__}: {str(exc)[:120]}")
                p = Prediction(None, None)
            secs[m][c.part] += time.perf_counter() - t0
            preds[m][c.case_id] = p
        if log:
            log(f"  {m}: {len(cases)} cases, {sum(secs[m].values()):.1f}s"
                + (f", {errors[m]} errors" if errors[m] else ""))
    return preds, secs


def _fmt(v, pct=False, digits=2):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if pct:
        return f"{100 * v:.0f}%"
    return f"{v:.{digits}f}"


def report(cases, preds, secs, methods) -> str:
    """The markdown report: one table per part and split, losslens's confusion matrices."""
    lines = ["# Diagnosis benchmark", "",
             "Generated by `python -m benchmarks` run from the repository root (or `losslens bench --out "
             "benchmarks/results/diagnosis.md` there). "
             "Labels: `benchmarks/labels/real_labels.csv` (rules in `benchmarks/labels/real.py`) and "
             "`benchmarks/scenarios/labels.csv` (interventions in `benchmarks/scenarios/generate.py`). "
             "The held-out split (`test`, ~30% of cases by SHA-1 of the case id) is never used for tuning.",
             "",
             "Columns: accuracy and macro-F1 of the named cause (methods naming several causes); lenient: "
             "the verdict is the label or a cause its rule also supports; named-F1: macro-F1 over the causes "
             "the method can name; plateau-F1: plateaued vs. keeps improving; X err: mean |X_pred - X_true| "
             "as % of run length on cases with a multi-seed ground truth (n_X).", ""]
    for part in ("real", "generated"):
        pcases = [c for c in cases if c.part == part]
        if not pcases:
            continue
        counts = Counter(c.cause for c in pcases)
        lines += [f"## Part: {part} ({len(pcases)} cases)", "",
                  "Cases per cause: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), ""]
        for split in ("test", "train"):
            scases = [c for c in pcases if c.split == split]
            if not scases:
                continue
            title = "held-out (test)" if split == "test" else "train"
            lines += [f"### {part} — {title}: {len(scases)} cases, {sum(c.x_true is not None for c in scases)} with X",
                      "", "| method | accuracy | lenient | macro-F1 | named-F1 | plateau-F1 | X err (% of run) | runs/s |",
                      "|---|---|---|---|---|---|---|---|"]
            for m in methods:
                frac = len(scases) / len(pcases)
                s = summarize(scases, preds[m], m, secs[m][part] * frac)
                lines.append(f"| {m} | {_fmt(s['accuracy'], True)} | {_fmt(s['lenient'], True)} | "
                             f"{_fmt(s['macro_f1'])} | {_fmt(s['named_f1'])} | {_fmt(s['plateau_f1'])} | "
                             f"{_fmt(s['x_error'], digits=1)} | {_fmt(s['runs_per_s'], digits=0)} |")
            lines.append("")
            if split == "test":
                rows = uncertainty_table(scases, preds, methods)
                if len(rows) > 2:
                    lines += [f"How sure (held-out, {BOOTSTRAP_REPS} case resamples; the comparison is paired: "
                              "both methods on the same resampled cases):", ""] + rows + [""]
            if "losslens" in preds:
                lines += reliability_table(scases, preds["losslens"], f"{part}, {split}")
        if "losslens" in preds:
            lines += [f"losslens per-cause F1 ({part}; support and F1 on test / train)", "",
                      "| cause | support test | F1 test | support train | F1 train |", "|---|---|---|---|---|"]
            for cause in sorted(counts):
                cells = []
                for split in ("test", "train"):
                    sc = [c for c in pcases if c.split == split]
                    truth = [c.cause for c in sc]
                    pred = [preds["losslens"][c.case_id].cause for c in sc]
                    n = truth.count(cause)
                    cells += [str(n), _fmt(f1_per_class(truth, pred, cause)) if n else "—"]
                lines.append(f"| {cause} | " + " | ".join(cells) + " |")
            lines.append("")
            for split in ("test", "train"):
                scases = [c for c in pcases if c.split == split]
                rows, cols, cnt = confusion(scases, preds["losslens"])
                lines += [f"losslens confusion ({part}, {split}; rows: label, columns: verdict)", "",
                          "| label \\ verdict | " + " | ".join(cols) + " |",
                          "|---|" + "---|" * len(cols)]
                for r in rows:
                    lines.append(f"| {r} | " + " | ".join(str(cnt.get((r, c), "")) for c in cols) + " |")
                lines.append("")
    return "\n".join(lines) + "\n"


def errors_table(cases, preds, method="losslens", split="train") -> str:
    """Tab-separated list of the method's wrong verdicts on ``split``, grouped by confusion."""
    rows = [(c.part, c.cause, preds[method][c.case_id].cause or "—", c.case_id, c.rule)
            for c in cases if c.split == split and preds[method][c.case_id].cause != c.cause]
    rows.sort()
    return "\n".join("\t".join(r) for r in rows)


def x_errors_table(cases, preds, method="losslens", split="train") -> str:
    """Tab-separated X error of the method on each case of ``split`` that has a ground-truth X, largest first:
    part, case id, label, verdict, X predicted (``—``: none, scored as the last epoch), X true, error (% of run)."""
    rows = sorted(((x_error(c, preds[method][c.case_id]), c) for c in cases
                   if c.split == split and c.x_true is not None), key=lambda r: (-r[0], r[1].case_id))
    out = []
    for err, c in rows:
        p = preds[method][c.case_id]
        out.append("\t".join([c.part, c.case_id, c.cause, p.cause or "—", "—" if p.x is None else f"{p.x:g}",
                              f"{c.x_true:g}", f"{err:.1f}"]))
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--parts", default="real,generated", help="comma list of: real, generated")
    ap.add_argument("--methods", default=",".join(METHODS), help="comma list of methods")
    ap.add_argument("--out", default=str(RESULTS),
                    help="markdown file to write, relative to the current folder (default %(default)s: the committed "
                         "file when run from the repository root; '-': none)")
    ap.add_argument("--errors", action="store_true", help="also print losslens's wrong verdicts on the train split")
    ap.add_argument("--x-errors", action="store_true",
                    help="also print the first method's X error (losslens by default) on each train-split case with "
                         "a ground-truth X, largest first")
    ap.add_argument("--limit", type=int, default=0, help="at most this many cases per part (quick look)")
    ap.add_argument("--calibrate-confidence", action="store_true",
                    help="also print the verdict confidence's recalibration fitted on the train split (the constants "
                         "losslens/diagnosis.py holds; benchmarks/confidence_cal.py)")
    args = ap.parse_args(argv)
    from . import load_cases
    parts = tuple(p.strip() for p in args.parts.split(",") if p.strip())
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        print(f"benchmarks: unknown method {unknown[0]!r}; choose from {', '.join(METHODS)}", file=sys.stderr)
        return 2
    t0 = time.time()
    cases = load_cases(parts)
    if args.limit:
        kept, seen = [], Counter()
        for c in cases:
            if seen[c.part] < args.limit:
                kept.append(c)
                seen[c.part] += 1
        cases = kept
    log = lambda s: print(s, file=sys.stderr)  # noqa: E731
    log(f"{len(cases)} cases loaded in {time.time() - t0:.1f}s")
    preds, secs = run_methods(cases, methods, log=log)
    text = report(cases, preds, secs, methods)
    publish(text, None if args.out == "-" else Path(args.out))
    if args.errors and "losslens" in preds:
        print(errors_table(cases, preds))
    if args.x_errors:
        print(x_errors_table(cases, preds, methods[0]))
    if args.calibrate_confidence and "losslens" in preds:
        from .confidence_cal import report as calibration
        print(calibration(cases, preds["losslens"]))
    return 0
