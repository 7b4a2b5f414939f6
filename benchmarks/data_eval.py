"""Would more data help? Forecasts over training-set size, scored on LCDB's real learning curves.

Curves: LCDB 1.0 (Mohr et al. 2022; ``../shared/curves/lcdb_v1_accuracy_mean_curves.csv``):
4,367 learning curves of 20 scikit-learn learners on 248 OpenML datasets, validation accuracy
against training-set size (sizes on a 2^(k/2) grid, each point a mean over LCDB's splits).
The loss is the validation error ``1 - acc``.

Cases: for each curve and factor f in (2, 4, 8), the largest pair of sizes (n, m ~ f n, within
6%) with at least 3 sizes up to n: the curve up to n is given, the error at m is the truth —
what f times the data really did. A case is "data-limited" when the error at m is >= 10% below
the error at n (the diagnosis's ``data_gain`` bar).

Methods side by side:
  last value        more data changes nothing (the error at n)
  local slope       the log-log slope of the three largest sizes, extrapolated undamped (what losslens did before)
  losslens          the slope of the five largest sizes damped by DAMPING, with a calibrated 90% interval
                    and P(>= 10% lower) (losslens.facts.learning_curve)
  pow3 fit          err = c + a n^-alpha (scipy curve_fit on all given sizes; Domhan's pow3 on the size axis)
  epoch ensemble    losslens.forecasting's learning-curve ensemble on the size axis (built for epochs)

Metrics: median |forecast - truth| / truth (%), median |forecast - truth| in error-rate points,
coverage of the 90% interval, F1 and balanced accuracy of "data-limited", ms per curve.
Runs are split by a hash of "openmlid/learner" into a training half (``--calibrate`` fits
DAMPING and the interval quantiles there and prints them) and a held-out half (the table).
``--noisy K`` adds to every point the noise of a K-split average (LCDB's per-point sd / sqrt(K)),
the curve a user gets from scikit-learn's ``learning_curve`` with cv=K, to check the interval there.

    python benchmarks/data_eval.py [--calibrate] [--noisy 5]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from benchmarks import curves_dir, publish  # noqa: E402
from losslens.facts import learning_curve as LC  # noqa: E402

CURVES = curves_dir() or ROOT.parent / "shared" / "curves"
RESULTS = ROOT / "benchmarks" / "results"
FACTORS = (2, 4, 8)
MIN_GIVEN = 3
METHODS = ("last value", "local slope", "losslens", "pow3 fit", "epoch ensemble")


def load_cases(noisy: int = 0, seed: int = 0) -> list[dict]:
    import pandas as pd

    path = CURVES / "lcdb_v1_accuracy_mean_curves.csv"
    if not path.exists():
        raise SystemExit(f"{path} not found: the LCDB curves live in ../shared/curves (or set LOSSLENS_CURVES)")
    rng = np.random.default_rng(seed)
    frame = pd.read_csv(path)
    cases = []
    for (oid, learner), g in frame.groupby(["openmlid", "learner"], sort=True):
        g = g.sort_values("size_train")
        sizes = g["size_train"].to_numpy(float)
        err = 1.0 - g["valid_acc_mean"].to_numpy(float)
        if noisy:
            sd = g["valid_acc_std"].to_numpy(float) / math.sqrt(noisy)
            err = np.clip(err + rng.normal(0.0, 1.0, err.shape) * sd, 1e-4, 1.0)
        rid = f"{oid}/{learner}"
        held_out = int(hashlib.md5(rid.encode()).hexdigest(), 16) % 2 == 1
        for f in FACTORS:
            pair = _pair(sizes, f)
            if pair is None:
                continue
            i, j = pair
            if err[j] <= 0 or np.any(err[: i + 1] <= 0):
                continue
            cases.append({"id": rid, "held_out": held_out, "factor": f, "sizes": sizes[: i + 1],
                          "err": err[: i + 1], "size_new": sizes[j], "truth": err[j]})
    return cases


def _pair(sizes: np.ndarray, f: float):
    """The largest (i, j) with sizes[j] / sizes[i] within 6% of f and i + 1 >= MIN_GIVEN."""
    for j in range(len(sizes) - 1, 0, -1):
        for i in range(j - 1, -1, -1):
            if abs(sizes[j] / sizes[i] / f - 1) < 0.06:
                return (i, j) if i + 1 >= MIN_GIVEN else None
    return None


# ---- the methods: (forecast, (lo, hi) or None, p_gain or None) ---------------------------------
def local_slope(c):
    k = min(3, len(c["sizes"]))
    slope = np.polyfit(np.log(c["sizes"][-k:]), np.log(c["err"][-k:]), 1)[0]
    return float(c["err"][-1] * (c["size_new"] / c["sizes"][-1]) ** slope), None, None


def losslens(c):
    lc = LC.learning_curve_facts(dict(zip(c["sizes"], c["err"])))
    fc = lc.forecast(c["size_new"] / c["sizes"][-1])
    return fc.value, fc.interval, fc.p_gain


def pow3(c):
    from scipy.optimize import curve_fit

    x, y = c["sizes"], c["err"]
    fn = lambda n, cc, a, al: cc + a * np.power(n, -al)  # noqa: E731
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p, _ = curve_fit(fn, x, y, p0=(float(y.min()) * 0.5, float(y[0]) * math.sqrt(x[0]), 0.5), maxfev=4000)
        v = float(fn(c["size_new"], *p))
        return (v if math.isfinite(v) else float(y[-1])), None, None
    except Exception:
        return float(y[-1]), None, None


def epoch_ensemble(c):
    from losslens.forecasting import forecast_curve

    if len(c["sizes"]) < 5:
        return float(c["err"][-1]), None, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = forecast_curve(c["sizes"], c["err"], c["size_new"])
    return fc.value, fc.interval, None


FUNCS = {"last value": lambda c: (float(c["err"][-1]), None, None), "local slope": local_slope,
         "losslens": losslens, "pow3 fit": pow3, "epoch ensemble": epoch_ensemble}


def evaluate(cases) -> dict:
    out = {}
    for name in METHODS:
        fn = FUNCS[name]
        t0 = time.perf_counter()
        res = [fn(c) for c in cases]
        out[name] = (res, 1000 * (time.perf_counter() - t0) / max(len(cases), 1))
    return out


def scores(cases, res) -> dict:
    truth = np.array([c["truth"] for c in cases])
    level = np.array([c["err"][-1] for c in cases])
    pred = np.array([r[0] for r in res])
    ae = np.abs(pred - truth)
    limited = truth <= (1 - LC.DATA_GAIN) * level
    said = pred <= (1 - LC.DATA_GAIN) * level
    tp, fp, fn = int(np.sum(said & limited)), int(np.sum(said & ~limited)), int(np.sum(~said & limited))
    out = {"n": len(cases), "rel": 100 * float(np.median(ae / truth)), "abs": 100 * float(np.median(ae)),
           "f1": 2 * tp / max(2 * tp + fp + fn, 1), "base": float(limited.mean()),
           "bal": 0.5 * (float(np.mean(said[limited])) + float(np.mean(~said[~limited])))
           if limited.any() and (~limited).any() else float("nan")}
    iv = [r[1] for r in res]
    if all(i is not None for i in iv):
        lo = np.array([i[0] for i in iv])
        hi = np.array([i[1] for i in iv])
        out["cov"] = 100 * float(np.mean((lo <= truth) & (truth <= hi)))
    ps = [r[2] for r in res]
    if all(p is not None for p in ps):
        p = np.array(ps)
        out["brier"] = float(np.mean((p - limited) ** 2))
        out["p"], out["limited"] = p, limited
    return out


def calibrate(cases) -> str:
    """DAMPING (median log error ~ 0, pooled over factors), then the quantiles of the normalised
    score log(truth / forecast) / u per factor (u: ``LearningCurveFacts.scale``)."""
    train = [c for c in cases if not c["held_out"]]
    rows = []
    for c in train:
        lc = LC.learning_curve_facts(dict(zip(c["sizes"], c["err"])))
        rows.append((c["factor"], c["size_new"] / c["sizes"][-1], lc, math.log(c["truth"] / c["err"][-1])))
    best = None
    for d in np.round(np.arange(0.5, 1.201, 0.05), 2):
        r = np.array([obs - d * lc.slope * math.log(f) for _, f, lc, obs in rows])
        if best is None or abs(np.median(r)) < abs(best[1]):
            best = (float(d), float(np.median(r)))
    lines = [f"DAMPING = {best[0]}  (median log error on the training half {best[1]:+.4f})"]
    old, LC.DAMPING = LC.DAMPING, best[0]
    try:
        q05, q95 = [], []
        for factor in FACTORS:
            z = np.array([(obs - lc.log_change(f)) / lc.scale(f) for ff, f, lc, obs in rows if ff == factor])
            q05.append(float(np.quantile(z, 0.05)))
            q95.append(float(np.quantile(z, 0.95)))
    finally:
        LC.DAMPING = old
    lines.append(f"_Q05 = np.array([{', '.join(f'{q:.3f}' for q in q05)}])")
    lines.append(f"_Q95 = np.array([{', '.join(f'{q:.3f}' for q in q95)}])")
    return "\n".join(lines)


def calibration_table(p, limited) -> list[str]:
    rows = ["| P(>= 10% lower) | forecasts | mean probability | share that were >= 10% lower |", "|---|---|---|---|"]
    edges = [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]
    for a, b in zip(edges[:-1], edges[1:]):
        m = (p >= a) & ((p < b) if b < 1 else (p <= b))
        if m.any():
            rows.append(f"| {a:.1f}-{b:.1f} | {int(m.sum())} | {p[m].mean():.2f} | {limited[m].mean():.2f} |")
    return rows


def report(cases, noisy: int) -> str:
    held = [c for c in cases if c["held_out"]]
    kind = f", each point with the noise of a {noisy}-split average added" if noisy else ""
    lines = ["# Would more data help? Forecasts over training-set size (LCDB, held-out half)", "",
             f"{len({c['id'] for c in cases})} LCDB learning curves (20 scikit-learn learners x 248 OpenML datasets; "
             f"validation error 1 - acc against training-set size{kind}). Given the curve up to size n, forecast the "
             "error at f x n; truth: LCDB's own measurement there. \"Data-limited\": the error at f x n is >= 10% "
             "below the error at n. Held-out half by a hash of openmlid/learner; DAMPING and the interval were "
             "fitted on the other half (`python benchmarks/data_eval.py --calibrate`).", "",
             "| factor | cases | data-limited share | method | median rel. error | median abs. error (points) | "
             "90% coverage | data-limited F1 | balanced acc. | ms/curve |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    ps, lims = [], []
    for f in FACTORS:
        sub = [c for c in held if c["factor"] == f]
        if not sub:
            continue
        res = evaluate(sub)
        first = True
        for name in METHODS:
            s = scores(sub, res[name][0])
            lead = f"| {f}x | {s['n']} | {s['base']:.0%} |" if first else "| | | |"
            first = False
            cov = f"{s['cov']:.0f}%" if "cov" in s else "–"
            lines.append(f"{lead} {name} | {s['rel']:.1f}% | {s['abs']:.2f} | {cov} | {s['f1']:.2f} | "
                         f"{s['bal']:.2f} | {res[name][1]:.2f} |")
            if "p" in s:
                ps.append(s["p"])
                lims.append(s["limited"])
    if ps:
        p, lim = np.concatenate(ps), np.concatenate(lims)
        lines += ["", f"## Is P(>= 10% lower) calibrated? (losslens, held-out, all factors; Brier {np.mean((p - lim) ** 2):.3f})",
                  ""] + calibration_table(p, lim)
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibrate", action="store_true", help="fit DAMPING and the interval on the training half")
    ap.add_argument("--noisy", type=int, default=0, metavar="K", help="add the noise of a K-split average")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args(argv)
    cases = load_cases(args.noisy)
    if args.calibrate:
        print(calibrate(cases))
        return 0
    t0 = time.time()
    text = report(cases, args.noisy) + f"\n(benchmark wall time {time.time() - t0:.0f} s)\n"
    name = f"data_noisy{args.noisy}.md" if args.noisy else "data.md"
    publish(text, None if args.no_write else RESULTS / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
