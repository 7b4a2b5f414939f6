"""How much do the benchmark's splits tell? A learned classifier on losslens's own facts.

``python -m benchmarks.learned`` trains scikit-learn's ``HistGradientBoostingClassifier`` on
the facts losslens measures (:func:`losslens.facts.measure` plus the forecast), under two
protocols, and sets it against the hand-written rules of ``losslens/diagnosis.py``:

* **random split** -- the benchmark's own: train on the ``train`` cases, score the held-out
  ``test`` cases (split by a hash of the case id). Seeds and neighbouring learning rates of
  one problem land on both sides, so a model may learn each problem's fingerprint.
* **leave one problem out** -- every DeepOBS test problem, Keras/YOLO source and generated
  setup is scored by a model that never saw it (``LeaveOneGroupOut``), on scale-free facts
  only (ratios, t-statistics, shares: no loss levels, lengths or learning rates that name
  the problem). This is what a user's new problem looks like.

The rules are fixed (they were set on the train split), so they get one number per part;
the learned model gets one per protocol. Writes ``benchmarks/results/learned.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from . import load_cases, publish
from .score import macro_f1

RESULTS = Path(__file__).resolve().parent / "results" / "learned.md"

#: Facts that carry no unit, length or learning rate: what transfers to an unseen problem.
SCALE_FREE = (
    "trend.slope_t", "trend.tail_drop", "trend.tail_drop_level", "trend.early_share", "trend.total_drop_rel",
    "trend.tail_drop_noise", "train_trend.slope_t", "train_trend.tail_drop", "train_trend.early_share",
    "train_trend.total_drop_rel", "train_trend.tail_drop_noise", "optimizer.oscillation", "train_oscillation",
    "generalization.val_rise_range", "generalization.val_rise_noise", "generalization.gap_growth_range",
    "generalization.train_slope_t", "generalization.train_drop_after_val_min", "generalization.val_improvement_noise",
    "divergence.growth", "divergence.growth_noise", "train_divergence.growth", "chance.val_acc_tail",
    "chance.train_acc_tail", "chance.above_chance_sd", "learning_curve.gain_if_doubled", "forecast.gain",
    "forecast.p_improve",
)


def group_of(case_id: str) -> str:
    """The problem a case belongs to: DeepOBS test problem, generated setup, or curve source."""
    parts = case_id.split("/")
    if parts[0] in ("deepobs", "gen"):
        return parts[1]
    return parts[0]


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        elif isinstance(v, (int, float)) and v is not None:
            out[f"{prefix}{k}"] = float(v)
    return out


def features(cases):
    """(X all facts, X scale-free, rule verdicts, names of all facts): one row per case."""
    from losslens.diagnosis import diagnose_run

    rows, verdicts = [], []
    for c in cases:
        d = diagnose_run(c.run, metric=c.metric, classes=c.classes)
        f = {} if d.facts is None else _flat(d.facts.to_dict())
        fc = {} if d.facts is None else (d.facts.forecast or {})
        for k in ("gain", "p_improve"):
            if isinstance(fc.get(k), (int, float)):
                f[f"forecast.{k}"] = float(fc[k])
        rows.append(f)
        verdicts.append(d.verdict)
    names = sorted({k for r in rows for k in r})
    X = np.array([[r.get(k, np.nan) for k in names] for r in rows], dtype=float)
    X = np.clip(np.where(np.isfinite(X), X, np.nan), -1e9, 1e9)
    free = [names.index(k) for k in SCALE_FREE if k in names]
    return X, X[:, free], verdicts, names


def _fit_predict(X_train, y_train, X_test):
    from sklearn.ensemble import HistGradientBoostingClassifier

    keep = [j for j in range(X_train.shape[1])
            if np.isfinite(X_train[:, j]).sum() >= 5 and np.nanstd(X_train[:, j]) > 0]
    clf = HistGradientBoostingClassifier(max_depth=3, max_iter=200, random_state=0)
    clf.fit(X_train[:, keep], y_train)
    return clf.predict(X_test[:, keep])


def evaluate(cases) -> list[dict]:
    from sklearn.model_selection import LeaveOneGroupOut

    X, X_free, verdicts, _ = features(cases)
    out = []
    for part in ("real", "generated"):
        idx = np.array([i for i, c in enumerate(cases) if c.part == part])
        if idx.size == 0:
            continue
        y = np.array([cases[i].cause for i in idx])
        labels = sorted(set(y))
        train = np.array([cases[i].split == "train" for i in idx])
        test = ~train
        rules = np.array([verdicts[i] for i in idx])
        random_split = _fit_predict(X[idx][train], y[train], X[idx][test])
        groups = np.array([group_of(cases[i].case_id) for i in idx])
        lopo = np.empty(idx.size, dtype=object)
        for tr, te in LeaveOneGroupOut().split(X_free[idx], y, groups):
            lopo[te] = _fit_predict(X_free[idx][tr], y[tr], X_free[idx][te])
        out.append({
            "part": part, "cases": int(idx.size), "test": int(test.sum()), "groups": len(set(groups)),
            "rules_test": macro_f1(list(y[test]), list(rules[test]), labels),
            "rules_all": macro_f1(list(y), list(rules), labels),
            "learned_random": macro_f1(list(y[test]), list(random_split), labels),
            "learned_lopo": macro_f1(list(y), list(lopo), labels),
        })
    return out


def table(results) -> str:
    lines = ["| part | cases | losslens rules, held-out split | learned, held-out split (all facts) | "
             "losslens rules, all cases | learned, leave one problem out (scale-free facts) | problems |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['part']} | {r['cases']} ({r['test']} held out) | {r['rules_test']:.2f} | "
                     f"{r['learned_random']:.2f} | {r['rules_all']:.2f} | {r['learned_lopo']:.2f} | {r['groups']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    cases = load_cases()
    results = evaluate(cases)
    text = ("# A learned classifier on losslens's facts (macro-F1)\n\n"
            "`python -m benchmarks.learned`: scikit-learn's HistGradientBoostingClassifier (depth 3, 200 "
            "rounds) on the facts losslens measures. On the benchmark's random held-out split it may learn "
            "each problem's fingerprint (seeds and neighbouring learning rates of one problem sit on both "
            "sides); leave-one-problem-out, on scale-free facts only, is what a new problem looks like.\n\n"
            + table(results) + "\n")
    publish(text, None if "--no-write" in (argv or sys.argv[1:]) else RESULTS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
