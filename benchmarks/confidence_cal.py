"""The verdict confidence's recalibration, fitted on the diagnosis benchmark's TRAIN split only.

``python -m benchmarks --methods losslens --calibrate-confidence --out -`` diagnoses every case,
fits the map below on the train split's verdicts (real 265 + generated 105) and prints the constants
``losslens.diagnosis`` holds (``_CONF_PLATT``, ``_CONF_CAUSE``), with the grouped cross-validation on the
same split that chose the shrinkage. No held-out case enters the fit nor the choice.

The map (``losslens.diagnosis.calibrated_confidence``) is Platt scaling (Platt 1999) with a per-cause
offset: P(verdict right) = sigmoid(a + b logit(s) + u[cause]), s the rules' strength (clipped to
[0.01, 0.99]). The offsets carry a ridge penalty ``lam * sum(u^2)`` on the summed log loss, which
shrinks a cause given a few times toward the global line (Gelman & Hill's partial pooling in its
simplest form); b > 0 keeps it monotone in s for every cause.
"""

from __future__ import annotations

import math

import numpy as np

LAM = 1.0  # chosen by the grouped cross-validation below (train split only), printed with the fit
LAMS = (0.3, 1.0, 3.0, 10.0, math.inf)  # inf: no per-cause offset (plain Platt scaling)
ISOTONIC = "isotonic"  # isotonic regression of right on the strength (Zadrozny & Elkan 2002), for comparison
CLIP = 0.01


def _logit(s):
    s = np.clip(np.asarray(s, dtype=float), CLIP, 1 - CLIP)
    return np.log(s / (1 - s))


def rows(cases, preds) -> list[tuple[str, float, bool, str]]:
    """``(cause given, raw strength, right, group)`` per TRAIN case whose verdict has a strength. ``group``
    is the problem a case comes from (DeepOBS problem, Keras notebook repository, generated scenario): its
    runs share curves' shapes, so the cross-validation holds out whole groups."""
    out = []
    for c in cases:
        if c.split != "train":
            continue
        p = preds[c.case_id]
        s = p.raw_confidence if p.raw_confidence is not None else p.confidence
        if p.cause is None or s is None or not math.isfinite(s):
            continue
        out.append((p.cause, float(s), p.cause == c.cause, "/".join(c.case_id.split("#")[0].split("/")[:2])))
    return out


def fit(data, lam=LAM):
    """``(a, b, {cause: u})`` minimising the log loss + ``lam * sum(u^2)`` over ``data`` (:func:`rows`); with
    ``lam=ISOTONIC`` the fitted ``IsotonicRegression`` instead."""
    from scipy.optimize import minimize

    if lam == ISOTONIC:
        from sklearn.isotonic import IsotonicRegression
        return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(
            [d[1] for d in data], [float(d[2]) for d in data])

    causes = sorted({d[0] for d in data})
    k = np.array([causes.index(d[0]) for d in data])
    z = _logit([d[1] for d in data])
    y = np.array([d[2] for d in data], dtype=float)
    pooled = not math.isfinite(lam)

    def loss(w):
        u = np.zeros(len(causes)) if pooled else w[2:]
        eta = w[0] + w[1] * z + u[k]
        return float(np.sum(np.logaddexp(0.0, eta) - y * eta) + (0.0 if pooled else lam * np.sum(u ** 2)))

    w0 = np.r_[0.0, 1.0, np.zeros(0 if pooled else len(causes))]
    w = minimize(loss, w0, method="L-BFGS-B").x
    return float(w[0]), float(w[1]), ({} if pooled else {c: float(v) for c, v in zip(causes, w[2:])})


def predict(model, cause: str, s) -> np.ndarray:
    if not isinstance(model, tuple):
        return model.predict(np.atleast_1d(s))[0]
    a, b, u = model
    return 1.0 / (1.0 + np.exp(-(a + b * _logit(s) + u.get(cause, 0.0))))


def grouped_cv(data, lam, folds=10, reps=10, seed=0) -> tuple[float, float]:
    """Mean Brier score and AUROC of the map fitted with ``lam`` on the other groups' cases (``folds`` folds of
    whole groups, ``reps`` shuffles)."""
    from sklearn.metrics import roc_auc_score

    groups = sorted({d[3] for d in data})
    y = np.array([d[2] for d in data], dtype=float)
    rng = np.random.default_rng(seed)
    brier, auc = [], []
    for _ in range(reps):
        order = rng.permutation(len(groups))
        pred = np.zeros(len(data))
        for f in range(folds):
            held = {groups[i] for i in order[f::folds]}
            test = [i for i, d in enumerate(data) if d[3] in held]
            if not test:
                continue
            model = fit([d for d in data if d[3] not in held], lam)
            pred[test] = [predict(model, data[i][0], data[i][1]) for i in test]
        brier.append(np.mean((pred - y) ** 2))
        auc.append(roc_auc_score(y, pred))
    return float(np.mean(brier)), float(np.mean(auc))


def report(cases, preds) -> str:
    """The fitted constants, as ``losslens/diagnosis.py`` holds them, and the cross-validation behind ``LAM``."""
    data = rows(cases, preds)
    if len(data) < 20:
        return f"calibrate-confidence: {len(data)} train verdicts, too few to fit"
    from sklearn.metrics import roc_auc_score

    y = np.array([d[2] for d in data], dtype=float)
    s = np.array([d[1] for d in data])
    lines = [f"verdict confidence recalibration, fitted on {len(data)} train-split verdicts "
             f"({len({d[3] for d in data})} groups); raw strength: Brier {np.mean((s - y) ** 2):.4f}, "
             f"AUROC {roc_auc_score(y, s):.3f}, share right {y.mean():.3f}",
             "grouped 10-fold cross-validation on the train split (Brier, AUROC):"]
    for lam in (ISOTONIC, *LAMS):
        b, a = grouped_cv(data, lam)
        name = lam if lam == ISOTONIC else "no per-cause offset" if not math.isfinite(lam) else f"lam = {lam:g}"
        lines.append(f"  {name}: {b:.4f}, {a:.3f}" + ("  <- LAM" if lam == LAM else ""))
    a, b, u = fit(data, LAM)
    counts = {c: sum(d[0] == c for d in data) for c in u}
    lines += ["", f"_CONF_PLATT = ({a:.3f}, {b:.3f})",
              "_CONF_CAUSE = {" + ", ".join(f'"{c}": {v:+.3f}' for c, v in sorted(u.items())) + "}",
              "(train verdicts per cause: " + ", ".join(f"{c} {n}" for c, n in sorted(counts.items())) + ")"]
    return "\n".join(lines)
