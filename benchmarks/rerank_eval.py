"""Issue 5's re-ranking experiment, on the diagnosis benchmark's TRAIN split only.

Does choosing the verdict among the causes a diagnosis lists by a calibrated chance of being the label -- instead of
the rules' first -- raise macro-F1? ``python -m benchmarks.rerank_eval`` diagnoses every train case (real and
generated), records every listed cause (id, the rules' strength, rank, status, the X it would give as the verdict),
fits P(cause is the label | cause, strength[, rank]) -- the verdict confidence's form (Platt scaling with a per-cause
offset under a ridge, :mod:`benchmarks.confidence_cal`), fitted on ALL listed causes -- and scores the re-ranked
verdict by grouped cross-validation over whole problems (the folds confidence_cal makes), real and generated apart:
accuracy, macro-F1 and X error, before and after. Three forms: strength and cause alone; with the rank (first or
not) as a feature; with an offset per cause as verdict and as listed after it. It also scores the causes listed
after the verdict: their raw strength, a constant and the maps as the chance each is the label, and as the chance
it is the label or a cause the label's rule also supports (Brier, out of fold). No held-out case is diagnosed.

Measured 2026-12-06 (docs/benchmarks.md, issue 5): no form raises train-CV macro-F1 on either part; not kept.

``--records FILE`` caches the per-case records (JSON) and reuses them when the file exists.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")

from .confidence_cal import CLIP, _logit  # noqa: E402 -- the verdict confidence's form, kept one

LAMS = (0.3, 1.0, 3.0, 10.0)


def _x_as(d, cause) -> float | None:
    """The plateau X a diagnosis would report with ``cause`` as its verdict (``diagnosis.plateau_of``, what
    the diagnosis itself calls for its verdict)."""
    from losslens.diagnosis import plateau_of

    if d.facts is None or getattr(d.facts, "plateau", None) is None:
        return d.plateau_epoch if d.plateau_epoch is not None else d.slowdown_epoch
    p = plateau_of(cause, d.run, d.facts)
    return None if p is None else float(p.epoch)


def records(cases) -> list[dict]:
    """One record per TRAIN case: its label, group, X truth and every cause the diagnosis lists, in order."""
    from losslens.diagnosis import diagnose_run

    out = []
    for c in cases:
        if c.split != "train":
            continue
        axis = np.asarray(c.run.axis, dtype=float)
        rec = {"case_id": c.case_id, "part": c.part, "label": c.cause, "also": list(c.also),
               "group": "/".join(c.case_id.split("#")[0].split("/")[:2]),
               "x_true": None if c.x_true is None else float(c.x_true),
               "first": float(axis[0]), "last": float(axis[-1]), "causes": [], "x": None, "x_ok": True}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                d = diagnose_run(c.run, metric=c.metric, classes=c.classes)
        except Exception as exc:  # scored as naming nothing, as the benchmark does
            rec["error"] = f"{type(exc).__name__}: {exc}"[:200]
            out.append(rec)
            continue
        x = d.plateau_epoch if d.plateau_epoch is not None else d.slowdown_epoch
        rec["x"] = None if x is None else float(x)
        for i, cause in enumerate(d.causes):
            s = cause.strength if cause.strength is not None else cause.confidence
            x = _x_as(d, cause)
            rec["causes"].append({"id": cause.id, "s": float(s), "rank": i, "status": cause.status, "x": x})
        if d.causes:
            x0 = rec["causes"][0]["x"]
            rec["x_ok"] = (x0 is None and rec["x"] is None) or (x0 is not None and rec["x"] is not None
                                                                  and abs(x0 - rec["x"]) < 1e-9)
        out.append(rec)
    return out


# ------------------------------------------------------------------------------ the map
def _features(c, with_rank):
    return [float(_logit(c["s"])), float(c["rank"] == 0)] if with_rank else [float(_logit(c["s"]))]


def _key(c, with_rank):
    """The offset's key: the cause, or (``with_rank="cause"``) the cause as the rules' verdict or listed after it,
    each its own offset shrunk toward the common line, so that a cause often wrong as the verdict (underfitting on
    real curves) can lose to one listed behind it."""
    return f"{c['id']}@{'first' if c['rank'] == 0 else 'after'}" if with_rank == "cause" else c["id"]


def fit(rows, lam, with_rank=False, target="y"):
    """``(w, {key: u}, with_rank)``: P(``target``) = sigmoid(w0 + w . features + u[key]), the log loss + lam * sum(u^2)
    minimised over ``rows`` (listed causes; ``target`` "y": the cause is the label, "ya": the label or an also)."""
    from scipy.optimize import minimize

    causes = sorted({_key(c, with_rank) for c in rows})
    k = np.array([causes.index(_key(c, with_rank)) for c in rows])
    X = np.array([_features(c, with_rank) for c in rows])
    y = np.array([c[target] for c in rows], dtype=float)
    p = X.shape[1]

    def loss(w):
        u = w[1 + p:]
        eta = w[0] + X @ w[1:1 + p] + u[k]
        g = 1.0 / (1.0 + np.exp(-eta)) - y  # d loss / d eta
        grad = np.r_[g.sum(), X.T @ g, np.bincount(k, g, len(causes)) + 2 * lam * u]
        return float(np.sum(np.logaddexp(0.0, eta) - y * eta) + lam * np.sum(u ** 2)), grad

    w = minimize(loss, np.r_[0.0, 1.0, np.zeros(p - 1 + len(causes))], jac=True, method="L-BFGS-B").x
    return w[:1 + p], {c: float(v) for c, v in zip(causes, w[1 + p:])}, with_rank


def predict(model, c) -> float:
    w, u, with_rank = model
    eta = w[0] + float(np.dot(w[1:], _features(c, with_rank))) + u.get(_key(c, with_rank), 0.0)
    return 1.0 / (1.0 + math.exp(-eta))


def _rows(recs):
    return [dict(c, y=c["id"] == r["label"], ya=c["id"] == r["label"] or c["id"] in r["also"])
            for r in recs for c in r["causes"]]


# ------------------------------------------------------------------------------ scoring
def _macro_f1(truth, pred):
    from .score import macro_f1
    return macro_f1(truth, pred, sorted(set(truth)))


def _x_err(r, x):
    span = max(r["last"] - r["first"], 1.0)
    x = r["last"] if x is None or not math.isfinite(x) else x
    return 100.0 * abs(x - r["x_true"]) / span


def score(recs, chosen) -> dict:
    """Accuracy, macro-F1 and X error (cases with a true X) of the verdicts ``chosen`` (case_id -> cause dict or
    None), per part."""
    out = {}
    for part in ("real", "generated"):
        rs = [r for r in recs if r["part"] == part]
        if not rs:
            continue
        truth = [r["label"] for r in rs]
        pred = [(chosen[r["case_id"]] or {}).get("id") for r in rs]
        xs = [_x_err(r, (chosen[r["case_id"]] or {}).get("x")) for r in rs if r["x_true"] is not None]
        out[part] = {"n": len(rs), "acc": float(np.mean([t == p for t, p in zip(truth, pred)])),
                     "f1": _macro_f1(truth, pred), "x": float(np.mean(xs)) if xs else math.nan,
                     "changed": sum(p != (r["causes"][0]["id"] if r["causes"] else None) for r, p in zip(rs, pred))}
    return out


def rules(recs) -> dict:
    return {r["case_id"]: (r["causes"][0] if r["causes"] else None) for r in recs}


def rerank_cv(recs, lam, with_rank=False, folds=10, reps=10, seed=0):
    """Per-rep scores of the re-ranked verdict, each case's map fitted on the other groups' cases only; plus, pooled
    over reps, the secondary causes' (rank >= 1) predicted chance and whether each was the label."""
    groups = sorted({r["group"] for r in recs})
    rng = np.random.default_rng(seed)
    per_rep, sec_p, sec_y, sec_s = [], [], [], []
    for _ in range(reps):
        order = rng.permutation(len(groups))
        chosen = {}
        for f in range(folds):
            held = {groups[i] for i in order[f::folds]}
            test = [r for r in recs if r["group"] in held]
            if not test:
                continue
            model = fit(_rows([r for r in recs if r["group"] not in held]), lam, with_rank)
            for r in test:
                ps = [predict(model, c) for c in r["causes"]]
                chosen[r["case_id"]] = r["causes"][int(np.argmax(ps))] if ps else None
                for c, p in zip(r["causes"][1:], ps[1:]):
                    sec_p.append(p)
                    sec_y.append(c["id"] == r["label"])
                    sec_s.append(c["s"])
        per_rep.append(score(recs, chosen))
    return per_rep, np.array(sec_p), np.array(sec_y, dtype=float), np.array(sec_s)


def secondary_report(recs, folds=10, reps=10, seed=0) -> str:
    """The causes listed after the verdict: their raw strength, a constant and a map fitted on them alone (grouped
    CV) as the chance each is the label or one of the causes the label's rule also supports (``also``)."""
    from sklearn.metrics import roc_auc_score

    sec = [r for r in recs if len(r["causes"]) > 1]
    groups = sorted({r["group"] for r in sec})
    rng = np.random.default_rng(seed)
    lines = []
    for target, what in (("y", "the label"), ("ya", "the label or an also")):
        out = {lam: [] for lam in LAMS}
        const, ys, ss = [], [], []
        for _ in range(reps):
            order = rng.permutation(len(groups))
            for f in range(folds):
                held = {groups[i] for i in order[f::folds]}
                train = [c for c in _rows([r for r in sec if r["group"] not in held]) if c["rank"] > 0]
                test = [c for c in _rows([r for r in sec if r["group"] in held]) if c["rank"] > 0]
                if not test:
                    continue
                for lam in LAMS:
                    m = fit(train, lam, False, target)
                    out[lam] += [predict(m, c) for c in test]
                share = float(np.mean([c[target] for c in train]))
                const += [share] * len(test)
                ys += [float(c[target]) for c in test]
                ss += [c["s"] for c in test]
        y, s, k = np.array(ys), np.array(ss), np.array(const)
        lines.append(f"secondary causes as P({what}): {len(y) // reps} per rep, share {y.mean():.3f}; raw strength "
                     f"Brier {np.mean((s - y) ** 2):.4f} (AUROC {roc_auc_score(y, s):.3f}); out-of-fold constant "
                     f"{np.mean((k - y) ** 2):.4f}; map on them alone: " + ", ".join(
                         f"lam {lam:g} {np.mean((np.array(out[lam]) - y) ** 2):.4f} "
                         f"(AUROC {roc_auc_score(y, out[lam]):.3f})" for lam in LAMS))
    return "\n".join(lines)


def _mean(per_rep, part, key):
    return float(np.mean([s[part][key] for s in per_rep]))


def report(recs) -> str:
    from sklearn.metrics import roc_auc_score

    recs = [r for r in recs if "error" not in r]
    bad_x = sum(not r["x_ok"] for r in recs)
    base = score(recs, rules(recs))
    rows = _rows(recs)
    lines = [f"re-ranking by a calibrated chance of being the label: {len(recs)} train cases "
             f"({sum(r['part'] == 'real' for r in recs)} real, {sum(r['part'] == 'generated' for r in recs)} "
             f"generated), {len(rows)} listed causes, {len({r['group'] for r in recs})} groups; "
             f"X recomputed for the rules' verdict differs from the reported X in {bad_x} cases",
             "", "listed causes that are the label, by rank: " + ", ".join(
                 f"rank {k}: {sum(c['y'] for c in rows if c['rank'] == k)}/{sum(c['rank'] == k for c in rows)}"
                 for k in range(4)),
             "oracle (the label whenever it is listed): " + ", ".join(
                 f"{part} {np.mean([any(c['id'] == r['label'] for c in r['causes']) for r in recs if r['part'] == part]):.3f}"
                 for part in ("real", "generated")),
             "", "| map | part | accuracy | macro-F1 | X err (% of run) | verdicts changed |", "|---|---|---|---|---|---|"]
    for part in ("real", "generated"):
        b = base[part]
        lines.append(f"| rules' order | {part} | {b['acc']:.3f} | {b['f1']:.3f} | {b['x']:.2f} | 0 |")
    sec = {}
    for with_rank in (False, True, "cause"):
        for lam in LAMS:
            per_rep, p, y, s = rerank_cv(recs, lam, with_rank)
            name = f"lam {lam:g}" + {False: "", True: " + rank", "cause": " + rank + cause-by-rank"}[with_rank]
            sec[name] = (p, y, s)
            for part in ("real", "generated"):
                lines.append(f"| {name} (grouped CV) | {part} | {_mean(per_rep, part, 'acc'):.3f} | "
                             f"{_mean(per_rep, part, 'f1'):.3f} | {_mean(per_rep, part, 'x'):.2f} | "
                             f"{_mean(per_rep, part, 'changed'):.1f} |")
    # The secondary causes' shown number: their raw strength against the map's out-of-fold chance.
    _, y, s = next(iter(sec.values()))
    lines += ["", f"secondary causes (rank >= 1; {len(y) // 10} per rep, {int(y.sum()) // 10} the label): "
              f"raw strength as P(label): Brier {np.mean((s - y) ** 2):.4f}, AUROC {roc_auc_score(y, s):.3f}, "
              f"mean {s.mean():.3f} vs share the label {y.mean():.3f}"]
    for name, (p, y, s) in sec.items():
        lines.append(f"  {name}: out-of-fold Brier {np.mean((p - y) ** 2):.4f}, AUROC {roc_auc_score(y, p):.3f}, "
                     f"mean {p.mean():.3f}")
    lines += ["", secondary_report(recs)]
    full = fit(rows, 1.0)
    lines += ["", "map fitted on every train case (lam 1, no rank): a = %.3f, b = %.3f" % tuple(full[0]),
              "offsets: " + ", ".join(f"{c} {v:+.3f}" for c, v in sorted(full[1].items()))]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.rerank_eval", description=__doc__.splitlines()[0])
    ap.add_argument("--records", default="", help="JSON file caching the per-case records (reused where it exists)")
    args = ap.parse_args(argv)
    path = Path(args.records) if args.records else None
    if path is not None and path.exists():
        recs = json.loads(path.read_text())
    else:
        from . import load_cases
        recs = records(load_cases(("real", "generated")))
        if path is not None:
            path.write_text(json.dumps(recs))
    print(report(recs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
