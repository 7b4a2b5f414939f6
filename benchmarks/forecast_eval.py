"""Forecast benchmark: from the first 10%, 25%, 50% of real curves, forecast the final value.

Curves (every one logged by someone else's real run, ../shared/curves or LOSSLENS_CURVES):
  nanogpt  modded-nanogpt validation loss (1,491 runs, by step)
  deepobs  DeepOBS baselines test loss (1,080 runs; those that end in NaN are left out)
  keras    Keras notebook val_loss (192 runs)

For each curve and fraction f, the first ceil(f * n) points (at least 5 are needed, so short
curves drop out at 10% and 25%; counts are in the table) are forecast to the last logged
axis value. Metrics: median absolute % error of the final value, coverage of the 90%
interval, median |X error| as a fraction of the run's length (X = DESIGN.md's plateau
epoch; truth: the diagnosis's X on the full curve), milliseconds per curve.

Methods side by side: losslens (this package), last value, a single pow3 fit
(scipy.optimize.curve_fit, interval from its parameter covariance plus noise), and
Domhan et al. (2015)'s MCMC ensemble (emcee; on a subsample, it takes seconds per curve).
Both baselines are deterministic (the MCMC seeded) and give the same rows on every run on one machine,
but not across CPUs: the pow3 fit on many DeepOBS / Keras prefixes is ill-conditioned enough that
numpy's AVX-512 and AVX2 ``power`` (1 ulp apart on ~5% of inputs) move 261 of their 1,372 held-out
forecasts (20 by > 1%), and a cell's median with them (docs/benchmarks.md, Forecast). losslens's own
rows do not move.
LC-PFN (Adriaensen et al. 2023) needs pretrained weights downloaded from the internet,
which this machine cannot do, so it is not in the table.

Runs are split by a hash of the run id into a training half (where the interval's
conformal quantiles are fitted: ``--calibrate`` prints them) and a held-out half (where
every number in the table is measured). ``--split train`` scores the training half instead,
for choosing a change to the method without reading the held-out half: its tables are printed,
never written to results/forecast.md, and the quantiles the forecasts use stay those fitted on
the training half, so its coverage is in-sample.

The table's curves are all held-out losses. The training losses of the same DeepOBS runs and of
every Keras notebook run (those without a validation set too) are forecast the same way for
``p_improve`` alone: a training loss has its own recalibration map (``_P_CAL_TRAIN``), fitted on
their training half and scored on the other (the last section).

``--scores`` forecasts the scores logged beside those losses instead (DeepOBS test accuracy, Keras val_acc, YOLO
mAP50-95; both halves, results/forecast_scores.md).

    python benchmarks/forecast_eval.py [--mcmc 60] [--calibrate] [--limit N] [--split train] [--scores]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from benchmarks import curves_dir, publish  # noqa: E402
from losslens.facts.smoothing import smooth  # noqa: E402
from losslens.forecasting import IMPROVE_FRACTION, forecast_curve  # noqa: E402

CURVES = curves_dir() or ROOT.parent / "shared" / "curves"  # (absent: load_curves finds nothing and says so)
RESULTS = ROOT / "benchmarks" / "results"
FRACTIONS = (0.10, 0.25, 0.50)
MIN_PREFIX = 5


@dataclass
class Curve:
    dataset: str
    run_id: str
    x: np.ndarray
    y: np.ndarray
    train: np.ndarray | None = None  # training loss on the same points (None when not logged)

    @property
    def held_out(self) -> bool:
        return int(hashlib.md5(self.run_id.encode()).hexdigest(), 16) % 2 == 1


def load_curves(root: Path = CURVES) -> list[Curve]:
    """Every benchmark curve: finite (x, y) of the loss each dataset is judged on."""
    import pandas as pd

    out = []

    def add(dataset, frame, xcol, ycol, train=None):
        for rid, g in frame.groupby("run_id", sort=True):
            x = g[xcol].to_numpy(float)
            y = g[ycol].to_numpy(float)
            if not np.isfinite(y[-1]):  # diverged (NaN at the end): no final value to predict
                continue
            ok = np.isfinite(x) & np.isfinite(y)
            tr = g[train].to_numpy(float)[ok] if train else None
            x, y = x[ok], y[ok]
            if x.size >= 6:
                out.append(Curve(dataset, str(rid), x, y, tr))

    if (root / "modded_nanogpt_val_curves.csv").exists():
        add("nanogpt", pd.read_csv(root / "modded_nanogpt_val_curves.csv"), "step", "val_loss")
    if (root / "deepobs_baselines_curves.csv.gz").exists():
        add("deepobs", pd.read_csv(root / "deepobs_baselines_curves.csv.gz"), "epoch", "test_loss", "train_loss")
    if (root / "keras_notebook_curves.csv").exists():
        k = pd.read_csv(root / "keras_notebook_curves.csv")
        add("keras", k[k["val_loss"].notna()], "epoch", "val_loss", "train_loss")
    return out


def load_train_curves(root: Path = CURVES) -> list[Curve]:
    """The training losses: DeepOBS's train_loss, every Keras notebook run's loss (with or without a
    validation set); for ``p_improve``'s training-loss map."""
    import pandas as pd

    out = []

    def add(dataset, frame, ycol):
        for rid, g in frame.groupby("run_id", sort=True):
            x = g["epoch"].to_numpy(float)
            y = g[ycol].to_numpy(float)
            if not np.isfinite(y[-1]):
                continue
            ok = np.isfinite(x) & np.isfinite(y)
            if ok.sum() >= 6:
                out.append(Curve(dataset, str(rid), x[ok], y[ok]))

    if (root / "deepobs_baselines_curves.csv.gz").exists():
        add("deepobs", pd.read_csv(root / "deepobs_baselines_curves.csv.gz"), "train_loss")
    if (root / "keras_notebook_curves.csv").exists():
        add("keras", pd.read_csv(root / "keras_notebook_curves.csv"), "train_loss")
    return out


def load_score_curves(root: Path = CURVES) -> list[Curve]:
    """The scores logged beside the benchmark losses (higher is better): DeepOBS test_acc, Keras notebook val_acc,
    YOLO val mAP50-95 (809 curves; also ``stopping_eval.py --scores``'s)."""
    import pandas as pd

    out = []

    def add(dataset, frame, ycol):
        for rid, g in frame.groupby("run_id", sort=True):
            x, y = g["epoch"].to_numpy(float), g[ycol].to_numpy(float)
            ok = np.isfinite(x) & np.isfinite(y)
            if ok.sum() >= 6 and np.isfinite(y[-1]) and np.nanmax(y) > 0:
                out.append(Curve(dataset, str(rid), x[ok], y[ok]))

    if (root / "deepobs_baselines_curves.csv.gz").exists():
        add("deepobs", pd.read_csv(root / "deepobs_baselines_curves.csv.gz"), "test_acc")
    if (root / "keras_notebook_curves.csv").exists():
        add("keras", pd.read_csv(root / "keras_notebook_curves.csv"), "val_acc")
    if (root / "yolo_results_curves.csv").exists():
        add("yolo", pd.read_csv(root / "yolo_results_curves.csv"), "metrics/mAP50-95(B)")
    return out


def true_plateau(x: np.ndarray, y: np.ndarray) -> float:
    """DESIGN.md's X on the full curve, read as the diagnosis reads it (:func:`losslens.facts.plateau.plateau_onset`:
    on the smooth, against its minimum raised by up to two standard errors, the depth of a noisy floor's dip;
    read against the bare minimum, as before, the truth sat late on noisy floors)."""
    from losslens.facts.plateau import plateau_onset

    pl = plateau_onset(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return float(x[0]) if pl.epoch is None else float(pl.epoch)


def prefix_len(n: int, frac: float) -> int:
    return int(math.ceil(frac * n))


# ---- baselines ---------------------------------------------------------------------------
def _pow3(x, c, a, alpha):
    return c - a * np.power(x, -alpha)


def pow3_fit(x, y, horizon):
    """Single pow3 fit, y = c - a x^-alpha on x shifted to start at 1 (Domhan's pow3)."""
    from scipy.optimize import curve_fit

    xs = x - x[0] + 1.0
    h = horizon - x[0] + 1.0
    p0 = (float(y.min()), float(y.min() - y[0]), 0.5)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p, cov = curve_fit(_pow3, xs, y, p0=p0, maxfev=2000)
        mid = float(_pow3(h, *p))
        resid = y - _pow3(xs, *p)
        s2 = float(resid @ resid / max(len(y) - 3, 1))
        eps = 1e-6 * np.maximum(np.abs(p), 1e-6)
        jac = np.array([(_pow3(h, *(p + e * np.eye(3)[i])) - mid) / e[i] for i, e in enumerate([eps] * 3)])
        var = float(jac @ cov @ jac) + s2 if np.all(np.isfinite(cov)) else np.inf
        sd = math.sqrt(var) if var >= 0 else np.inf
        if not np.isfinite(mid):
            raise RuntimeError
        return mid, (mid - 1.645 * sd, mid + 1.645 * sd), p
    except Exception:
        last = float(y[-1])
        return last, (-np.inf, np.inf), None


def pow3_plateau(p, x0, horizon):
    if p is None:
        return None
    xs = np.linspace(x0, horizon, 401)
    mid = _pow3(xs - x0 + 1.0, *p)
    l_star = mid.min()
    drop = mid[0] - l_star
    if not np.isfinite(drop) or drop <= 0:
        return float(x0)
    return float(xs[int(np.argmax(mid - l_star <= 0.05 * drop))])


def last_plateau(x, y):
    """Last value baseline: the curve stays flat, so X is X of the observed prefix."""
    return true_plateau(x, y)


# Domhan et al. 2015: a weighted sum of parametric families, all parameters and weights
# sampled by MCMC (emcee) with a Gaussian likelihood; here 5 of their 11 families
# (pow3, exp3, log-power, Janoschek/weibull, mmf), on x scaled to (0, 1].
def _domhan_models():
    def pow3(t, c, a, al):
        return c - a * t ** (-al)

    def exp3(t, c, a, b):
        return c - np.exp(-a * t + b)

    def logpow(t, a, b, c):
        return a / (1.0 + (t / np.exp(b)) ** c)

    def janoschek(t, al, be, k, d):
        return al - (al - be) * np.exp(-k * t ** d)

    def mmf(t, al, be, k, d):
        return al - (al - be) / (1.0 + (k * t) ** d)

    return [(pow3, 3), (exp3, 3), (logpow, 3), (janoschek, 4), (mmf, 4)]


def domhan_mcmc(x, y, horizon, rng, nwalkers=64, nsteps=800):
    """Domhan et al. (2015): posterior over sum_k w_k f_k(t; theta_k) + N(0, s^2) by emcee.

    Priors as in the paper: non-negative weights, the combined curve non-increasing (for a
    loss) over the observed and forecast range, the forecast within a loose range (here
    between min(y) - range and max(y)). Returns the posterior-predictive median and 90%
    interval at ``horizon``.
    """
    import emcee
    from scipy.optimize import least_squares

    models = _domhan_models()
    span = x[-1] - x[0]
    off = 1.0 / len(x)
    t = (x - x[0]) / span + off
    th = (horizon - x[0]) / span + off
    tg = np.concatenate([t, np.linspace(t[-1], th, 20)[1:]])  # where monotonicity is checked
    rng_y = max(float(np.ptp(y)), 1e-12)
    # Domhan's families are written for a rising accuracy: fit v = 1 - normalised loss.
    ys = 1.0 - (y - y.min()) / rng_y
    init, costs = [], []
    for f, k in models:
        best = None
        for trial in range(3):
            p0 = np.r_[1.0, 0.5, 0.5, 1.0][:k] if trial == 0 else rng.normal(0.5, 1.0, k)
            try:
                with np.errstate(all="ignore"):
                    r = least_squares(lambda p: np.nan_to_num(f(t, *p) - ys, nan=1e3, posinf=1e3, neginf=-1e3),
                                      p0, max_nfev=200)
                if best is None or r.cost < best.cost:
                    best = r
            except Exception:
                pass
        init.append(best.x if best is not None else np.zeros(k))
        costs.append(best.cost if best is not None else np.inf)
    sizes = [k for _, k in models]
    nm = len(models)
    ndim = sum(sizes) + nm + 1

    def comb(theta, tt):
        """theta: (W, ndim) -> (W, len(tt))."""
        out = np.zeros((theta.shape[0], tt.shape[0]))
        w = np.abs(theta[:, sum(sizes):sum(sizes) + nm])
        w = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
        i = 0
        with np.errstate(all="ignore"):
            for m, (f, k) in enumerate(models):
                ps = [theta[:, i + j][:, None] for j in range(k)]
                out += w[:, m:m + 1] * f(tt[None, :], *ps)
                i += k
        return out

    def logp(theta):
        logs = theta[:, -1]
        g = comb(theta, tg)
        m = g[:, :len(t)]
        fh = g[:, -1]
        ok = np.all(np.isfinite(g), axis=1) & (logs > -10) & (logs < 2)
        ok &= np.all(np.diff(g, axis=1) >= -1e-9, axis=1) & (fh >= 0.0) & (fh <= 2.0)
        s = np.exp(logs)
        ll = -0.5 * np.sum((ys[None, :] - m) ** 2, axis=1) / s ** 2 - len(ys) * logs
        return np.where(ok, ll, -np.inf)

    costs = np.array(costs)
    w0 = np.exp(-(costs - costs.min()) / max(costs.min(), 1e-6))
    s0 = math.sqrt(2 * max(costs.min(), 1e-8) / len(ys))
    start = np.concatenate(init + [w0 / w0.sum() + 1e-3, [math.log(max(s0, 1e-4))]])
    p0 = start + 1e-4 * rng.normal(size=(nwalkers, ndim))
    sampler = emcee.EnsembleSampler(nwalkers, ndim, logp, vectorize=True)
    # emcee draws its stretch moves from its own RandomState, seeded from the clock: seed it from
    # ``rng`` so that the table is the same on every run.
    sampler.random_state = np.random.RandomState(int(rng.integers(2**31))).get_state()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        sampler.run_mcmc(p0, nsteps, progress=False, skip_initial_state_check=True)
    chain = sampler.get_chain(discard=nsteps // 2, flat=True)
    lp = sampler.get_log_prob(discard=nsteps // 2, flat=True)
    chain = chain[np.isfinite(lp)]
    if chain.shape[0] == 0:  # the least-squares start violates the priors: no valid sample
        return float(y[-1]), (-np.inf, np.inf)
    preds = comb(chain, np.array([th]))[:, 0]
    samples = preds + rng.normal(size=preds.shape[0]) * np.exp(chain[:, -1])
    back = y.min() + rng_y * (1.0 - samples)
    return float(np.median(back)), (float(np.quantile(back, 0.05)), float(np.quantile(back, 0.95)))


# ---- the run -----------------------------------------------------------------------------
def normalised_score(fc, y_true):
    """(y_true - mid) / u in the model's normalised units (for calibration)."""
    m = fc._model
    t = np.array([(fc.horizon - m.x0) / m.span])
    mean, spread = m.mean_spread(t)
    u = m.scale_u(t, mean, spread)
    z_true = (y_true - m.y_ref) / m.scale
    return float((z_true - mean[0]) / u[0])


SPLITS = ("held-out", "train")


def evaluate(curves, mcmc_n=8, seed=0, training=False, split="held-out"):
    """One row per (curve, fraction); Domhan's MCMC on ``mcmc_n`` rows per (dataset, fraction) of
    the half scored, picked by a hash of the run id. ``training``: the curves are training
    losses (p_improve through the training-loss map). ``split``: the half the tables score
    (column ``scored``): the held-out half, or the training half the quantiles are fitted on."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = []
    for c in curves:
        n = len(c.x)
        y_final = float(c.y[-1])
        horizon = float(c.x[-1])
        x_true = true_plateau(c.x, c.y)
        span_full = c.x[-1] - c.x[0]
        improved_end = float(smooth(c.y)[-1])
        for frac in FRACTIONS:
            k = prefix_len(n, frac)
            if k < MIN_PREFIX or k >= n:
                continue
            xp, yp = c.x[:k], c.y[:k]
            t0 = time.perf_counter()
            fc = forecast_curve(xp, yp, horizon, training=training)
            ms = 1e3 * (time.perf_counter() - t0)
            better = fc.level - IMPROVE_FRACTION * abs(fc.level)  # the level p_improve is about
            row = dict(dataset=c.dataset, run=c.run_id, held_out=c.held_out, frac=frac, n=n, k=k,
                       y=y_final, ms=ms, withheld=fc.reason is not None, score=normalised_score(fc, y_final) if fc._model else np.nan,
                       ll_mid=fc.value, ll_lo=fc.interval[0], ll_hi=fc.interval[1],
                       ll_x=fc.plateau_epoch, x_true=x_true, span=span_full, p_improve=fc.p_improve,
                       improved=float(improved_end < better),
                       p_raw=fc.prob_below(better) if fc.p_improve is not None else np.nan,
                       last_mid=float(yp[-1]), last_x=last_plateau(xp, yp))
            t0 = time.perf_counter()
            mid, (lo, hi), p = pow3_fit(xp, yp, horizon)
            row.update(pow3_ms=1e3 * (time.perf_counter() - t0), pow3_mid=mid, pow3_lo=lo, pow3_hi=hi,
                       pow3_x=pow3_plateau(p, xp[0], horizon))
            rows.append(row)
    df = pd.DataFrame(rows)
    df["scored"] = df.held_out if split == "held-out" else ~df.held_out
    if mcmc_n:
        by_id = {c.run_id: c for c in curves}
        df["key"] = [hashlib.md5(r.encode()).hexdigest() for r in df.run]
        pick = (df[df.scored & ~df.withheld].sort_values("key").groupby(["dataset", "frac"]).head(mcmc_n).index)
        for i in pick:
            r = df.loc[i]
            c = by_id[r.run]
            t0 = time.perf_counter()
            mid, (lo, hi) = domhan_mcmc(c.x[:r.k], c.y[:r.k], float(c.x[-1]), rng)
            df.loc[i, ["mcmc_ms", "mcmc_mid", "mcmc_lo", "mcmc_hi"]] = [1e3 * (time.perf_counter() - t0), mid, lo, hi]
    return df


def weighted_quantile(v, w, q):
    o = np.argsort(v)
    v, w = v[o], w[o]
    cw = np.cumsum(w) - 0.5 * w
    return float(np.interp(q * w.sum(), cw, v))


def calibrate(df):
    """5% / 95% quantiles of the normalised score per fraction on the TRAINING split,
    each dataset weighted equally (nanogpt would otherwise dominate)."""
    tr = df[~df.held_out & np.isfinite(df.score)]
    out = {}
    for frac in FRACTIONS:
        d = tr[tr.frac == frac]
        w = 1.0 / d.groupby("dataset")["score"].transform("size").to_numpy(float)
        out[frac] = (weighted_quantile(d.score.to_numpy(), w, 0.05), weighted_quantile(d.score.to_numpy(), w, 0.95))
    # A farther horizon is never more certain: make the quantiles monotone in the ratio 1/frac.
    lo, hi = 0.0, 0.0
    for frac in sorted(out, reverse=True):
        lo, hi = min(lo, out[frac][0]), max(hi, out[frac][1])
        out[frac] = (lo, hi)
    return out


def calibrate_p_improve(df, grid=np.linspace(0.0, 1.0, 21)):
    """Knots of the p_improve recalibration: isotonic regression of "improved > 1%" on the
    model's raw probability over the TRAINING split, datasets weighted equally, read on ``grid``."""
    from sklearn.isotonic import IsotonicRegression

    tr = df[~df.held_out & df.p_raw.notna()]
    w = 1.0 / tr.groupby("dataset")["p_raw"].transform("size").to_numpy(float)
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    iso.fit(tr.p_raw.to_numpy(), tr.improved.to_numpy(), sample_weight=w)
    return grid, np.round(iso.predict(grid), 2)


def table(df):
    """A forecast losslens withheld (``reason``: a fit that misses where the curve is now) is neither an
    error nor a miss of the interval: every method is scored on the curves losslens forecast, and the
    curves column says how many were withheld."""
    te = df[df.scored]
    lines = ["| data | given | curves (withheld) | method | median abs % error | 90% coverage | median X error (% of run) | ms/curve |",
             "|---|---|---|---|---|---|---|---|"]

    def ape(mid, y):
        return 100 * np.abs(mid - y) / np.abs(y)

    for ds in ["nanogpt", "deepobs", "keras", "all"]:
        for frac in FRACTIONS:
            d = te[te.frac == frac] if ds == "all" else te[(te.frac == frac) & (te.dataset == ds)]
            if d.empty:
                continue
            held = int(d.withheld.sum())
            d = d[~d.withheld]
            nc = f"{len(d)} ({held})" if held else len(d)
            xerr = lambda col: 100 * np.nanmedian(np.abs(d[col].astype(float) - d.x_true) / d.span)  # noqa: E731
            cov = lambda p: 100 * np.mean((d[p + "_lo"] <= d.y) & (d.y <= d[p + "_hi"]))  # noqa: E731
            lines.append(f"| {ds} | {int(frac * 100)}% | {nc} | losslens | {np.median(ape(d.ll_mid, d.y)):.2f} | "
                         f"{cov('ll'):.0f}% | {xerr('ll_x'):.1f} | {d.ms.median():.1f} (p95 {d.ms.quantile(.95):.1f}) |")
            lines.append(f"| | | | last value | {np.median(ape(d.last_mid, d.y)):.2f} | – | {xerr('last_x'):.1f} | 0 |")
            lines.append(f"| | | | pow3 fit | {np.median(ape(d.pow3_mid, d.y)):.2f} | {cov('pow3'):.0f}% | "
                         f"{xerr('pow3_x'):.1f} | {d.pow3_ms.median():.1f} |")
            if "mcmc_mid" in d and d.mcmc_mid.notna().any():
                m = d[d.mcmc_mid.notna()]
                lines.append(f"| | | ({len(m)} sampled) | Domhan MCMC (emcee) | {np.median(ape(m.mcmc_mid, m.y)):.2f} | "
                             f"{100 * np.mean((m.mcmc_lo <= m.y) & (m.y <= m.mcmc_hi)):.0f}% | – | "
                             f"{m.mcmc_ms.median():.0f} |")
                lines.append(f"| | | ({len(m)} sampled) | losslens on the same | {np.median(ape(m.ll_mid, m.y)):.2f} | "
                             f"{100 * np.mean((m.ll_lo <= m.y) & (m.y <= m.ll_hi)):.0f}% | – | |")
    return "\n".join(lines)


def paired(df, reps=2000, seed=0):
    """How sure is each cell's ranking? Case-resampling bootstrap of the held-out curves:
    losslens's median abs % error minus the better baseline's (last value or pow3, whichever
    is lower on the cell), on the same resampled curves, with its 95% interval and the share
    of resamples in which losslens is lower."""
    te = df[df.scored & ~df.withheld]
    rng = np.random.default_rng(seed)
    lines = ["| data | given | curves | better baseline | losslens − it, median abs % error (95% interval) | "
             "share of resamples where losslens is lower |", "|---|---|---|---|---|---|"]
    for ds in ["nanogpt", "deepobs", "keras", "all"]:
        for frac in FRACTIONS:
            d = te[te.frac == frac] if ds == "all" else te[(te.frac == frac) & (te.dataset == ds)]
            if len(d) < 5:
                continue
            err = {m: (100 * np.abs(d[f"{m}_mid"].to_numpy(float) - d.y.to_numpy(float)) / np.abs(d.y.to_numpy(float)))
                   for m in ("ll", "last", "pow3")}
            base = min(("last", "pow3"), key=lambda m: np.nanmedian(err[m]))
            idx = rng.integers(0, len(d), size=(reps, len(d)))
            diff = np.nanmedian(err["ll"][idx], axis=1) - np.nanmedian(err[base][idx], axis=1)
            lo, hi = np.percentile(diff, [2.5, 97.5])
            name = {"last": "last value", "pow3": "pow3 fit"}[base]
            lines.append(f"| {ds} | {int(frac * 100)}% | {len(d)} | {name} | "
                         f"{np.nanmedian(err['ll']) - np.nanmedian(err[base]):+.2f} ({lo:+.2f} to {hi:+.2f}) | "
                         f"{np.mean(diff < 0):.0%} |")
    return "\n".join(lines)


def reliability_train(df):
    """p_improve on the held-out half of the training losses: Brier score of the training-loss map
    (fitted on their other half) against the held-out losses' map, by dataset."""
    from losslens.forecasting import calibrate_p

    te = df[df.scored & df.p_improve.notna() & df.p_raw.notna()]
    lines = ["| data | forecasts | share that improved > 1% | Brier, held-out losses' map | Brier, training-loss map |",
             "|---|---|---|---|---|"]
    for ds in ["deepobs", "keras", "all"]:
        d = te if ds == "all" else te[te.dataset == ds]
        if d.empty:
            continue
        val_map = np.array([calibrate_p(p) for p in d.p_raw])
        lines.append(f"| {ds} | {len(d)} | {d.improved.mean():.2f} | {np.mean((val_map - d.improved) ** 2):.3f} | "
                     f"{np.mean((d.p_improve - d.improved) ** 2):.3f} |")
    return "\n".join(lines)


def reliability(df):
    """Is p_improve calibrated? Observed share of held-out forecasts whose smoothed curve
    did end more than 1% below the level at the forecast time, by predicted probability:
    the model's raw probability and p_improve after the recalibration (fitted on the other
    half), with the Brier score of each."""
    import pandas as pd

    te = df[df.scored & df.p_improve.notna() & df.p_raw.notna()]
    lines = ["| probability | bin | forecasts | mean probability | share that improved > 1% |",
             "|---|---|---|---|---|"]
    for col, name in (("p_raw", "raw (model)"), ("p_improve", "p_improve (recalibrated)")):
        bins = pd.cut(te[col], [0, .1, .3, .5, .7, .9, 1.0], include_lowest=True)
        g = te.groupby(bins, observed=True).agg(n=("improved", "size"), p=(col, "mean"), seen=("improved", "mean"))
        for b, r in g.iterrows():
            lines.append(f"| {name} | {b} | {int(r.n)} | {r.p:.2f} | {r.seen:.2f} |")
    brier = {c: float(np.mean((te[c] - te.improved) ** 2)) for c in ("p_raw", "p_improve")}
    lines.append(f"\nBrier score (lower is better): raw {brier['p_raw']:.3f}, recalibrated {brier['p_improve']:.3f} "
                 f"({len(te)} held-out forecasts).")
    return "\n".join(lines)


def timing(curves, sizes=(10, 50, 200, 1000), repeats=20):
    """Cost of one forecast_curve call by curve length: the minimum over repeats, so that a
    busy shared machine does not inflate it (the table's ms column is wall time under load)."""
    lines = ["| points | ms per forecast (min of %d) | median |" % repeats, "|---|---|---|"]
    for n in sizes:
        c = next((c for c in curves if len(c.x) >= n), None)
        if c is None:
            continue
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            forecast_curve(c.x[:n], c.y[:n])
            ts.append(1e3 * (time.perf_counter() - t0))
        lines.append(f"| {n} | {min(ts):.1f} | {np.median(ts):.1f} |")
    return "\n".join(lines)


# ---- scores (higher is better) -------------------------------------------------------------
def evaluate_scores(curves):
    """One row per (score curve, fraction): the final value forecast as ``losslens forecast`` reads a score (its
    error ``top - score`` fitted, :func:`losslens.forecasting.score_top`, kept above the floor
    :func:`~losslens.forecasting.score_bottom`), beside the same without the floor (the forecast before it),
    the last value and a single pow3 fit of the score itself. Errors in points of the score (``100 / top`` per
    unit) and in % of the final value."""
    import pandas as pd

    from losslens.forecasting import FlippedForecast, score_bottom, score_top

    rows = []
    for c in curves:
        n = len(c.x)
        horizon = float(c.x[-1])
        for frac in FRACTIONS:
            k = prefix_len(n, frac)
            if k < MIN_PREFIX or k >= n:
                continue
            xp, yp = c.x[:k], c.y[:k]
            top = score_top(yp)
            t0 = time.perf_counter()
            raw = forecast_curve(xp, top - yp, horizon)
            fc = FlippedForecast.wrap(raw, top, score_bottom(yp, top))
            ms = 1e3 * (time.perf_counter() - t0)
            before = FlippedForecast.wrap(raw, top)
            mid, (lo, hi), _ = pow3_fit(xp, yp, horizon)
            rows.append(dict(dataset=c.dataset, run=c.run_id, held_out=c.held_out, frac=frac, n=n, k=k, y=float(c.y[-1]),
                             top=top, ms=ms, withheld=fc.reason is not None, uncertain=fc.uncertain is not None,
                             ll_mid=fc.value, ll_lo=fc.interval[0], ll_hi=fc.interval[1],
                             before_mid=before.value, before_lo=before.interval[0], before_hi=before.interval[1],
                             last_mid=float(yp[-1]), last_lo=np.nan, last_hi=np.nan,
                             pow3_mid=mid, pow3_lo=lo, pow3_hi=hi))
    return pd.DataFrame(rows)


SCORE_METHODS = (("ll", "losslens"), ("before", "losslens without the floor (before)"), ("last", "last value"),
                 ("pow3", "pow3 fit"))


def score_table(df):
    """Per half, dataset and fraction: each method's median absolute error of the final score (points, %), its 90%
    interval's coverage and the share of intervals outside [0, top]; the forecasts losslens flags uncertain."""
    lines = ["| half | data | given | curves (withheld) | method | median abs error, points | median abs % error | "
             "90% coverage | interval outside [0, top] | flagged uncertain: share, median error (points; rest) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for half, rows in (("training", ~df.held_out), ("held-out", df.held_out)):
        for ds in ["deepobs", "keras", "yolo", "all"]:
            for frac in FRACTIONS:
                d = df[rows & (df.frac == frac) & ((df.dataset == ds) if ds != "all" else True)]
                if d.empty:
                    continue
                held = int(d.withheld.sum())
                d = d[~d.withheld]
                nc = f"{len(d)} ({held})" if held else str(len(d))
                pts = 100.0 / d.top
                for key, name in SCORE_METHODS:
                    err = np.abs(d[f"{key}_mid"] - d.y)
                    cov = out = "–"
                    if key != "last":
                        lo, hi = d[f"{key}_lo"], d[f"{key}_hi"]
                        cov = f"{100 * np.mean((lo <= d.y) & (d.y <= hi)):.0f}%"
                        out = f"{100 * np.mean((lo < 0) | (hi > d.top)):.0f}%"
                    flag = ""
                    if key == "ll":
                        u = d.uncertain.to_numpy()
                        e = (err * pts).to_numpy()
                        flag = (f"{100 * u.mean():.0f}%, {np.median(e[u]):.2f} ({np.median(e[~u]):.2f})" if u.any() and (~u).any()
                                else f"{100 * u.mean():.0f}%")
                    first = f"| {half} | {ds} | {int(frac * 100)}% | {nc} |" if key == "ll" else "| | | | |"
                    lines.append(f"{first} {name} | {np.median(err * pts):.2f} | {np.median(100 * err / np.abs(d.y)):.2f} | "
                                 f"{cov} | {out} | {flag} |")
    return "\n".join(lines)


def score_flags(df):
    """Each half's forecasts flagged uncertain, all fractions pooled: how many, and their median error at the run's
    end against the rest's (points), the figure ``SCORE_UNCERTAIN_TRACK_RECORD`` quotes (held-out half)."""
    out = []
    for half, rows in (("training", ~df.held_out), ("held-out", df.held_out)):
        d = df[rows & ~df.withheld]
        e = (100.0 / d.top * np.abs(d.ll_mid - d.y)).to_numpy()
        u = d.uncertain.to_numpy()
        cov = ((d.ll_lo <= d.y) & (d.y <= d.ll_hi)).to_numpy()
        out.append(f"{half} half: {int(u.sum())} of {len(d)} forecasts flagged uncertain, off by a median "
                   f"{np.median(e[u]):.2f} points at the run's end (the rest {np.median(e[~u]):.2f}); their intervals "
                   f"held the final value {100 * cov[u].mean():.0f}% of the time (the rest {100 * cov[~u].mean():.0f}%).")
    return "\n\n".join(out)


def score_text(df, curves, seconds):
    counts = ", ".join(f"{k}: {v}" for k, v in df.groupby("dataset").run.nunique().items())
    return ("# Forecast benchmark on real scores (higher is better)\n\n"
            f"{len(curves)} curves ({counts} usable at some fraction): DeepOBS test accuracy, Keras notebook val_acc, "
            "YOLO validation mAP50-95, the curves `stopping_eval.py --scores` uses. The first 10/25/50% of each curve "
            "(>= 5 points) forecast to its last logged point as `losslens forecast` reads a score: its error "
            "top - score fitted (top 1 here), the value and interval kept above 0 for a score never below 0 "
            "(`forecasting.score_bottom`). Points: absolute error x 100 / top (percentage points of an accuracy). "
            "Both halves of the runs (hash of the run id, as for the losses); nothing here was fitted on scores: the "
            "interval's quantiles are the losses' (fitted on their training half), and the rule that flags a score's "
            "forecast uncertain (its interval reaches 0 or is wider than the score now: the losses' rule on the "
            "score's own scale) was chosen on the training half. Where losslens gives no forecast the curve is "
            "counted under withheld and left out of every method's row.\n\n"
            + score_table(df) + "\n\n" + score_flags(df) + f"\n\n(benchmark wall time {seconds:.0f} s)\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mcmc", type=int, default=24, help="held-out curves per dataset and fraction for Domhan's MCMC (0: skip)")
    ap.add_argument("--calibrate", action="store_true", help="print the conformal quantiles from the training split")
    ap.add_argument("--limit", type=int, default=0, help="only the first N curves per dataset (quick runs)")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--split", choices=SPLITS, default="held-out",
                    help="the half the tables score; 'train' (the half the quantiles are fitted on) is printed, never written")
    ap.add_argument("--scores", action="store_true",
                    help="the scores logged beside the losses (accuracy, mAP; both halves, ~30 s); writes results/forecast_scores.md")
    args = ap.parse_args(argv)
    if args.scores:
        curves = load_score_curves()
        if not curves:
            print("no curves found under", CURVES)
            return 1
        t0 = time.time()
        df = evaluate_scores(curves)
        publish(score_text(df, curves, time.time() - t0), None if args.no_write else RESULTS / "forecast_scores.md")
        return 0
    curves = load_curves()
    if not curves:
        print("no curves found under", CURVES)
        return 1
    if args.limit:
        seen = {}
        keep = []
        for c in curves:
            seen[c.dataset] = seen.get(c.dataset, 0) + 1
            if seen[c.dataset] <= args.limit:
                keep.append(c)
        curves = keep
    train = args.split == "train"
    if train:  # the held-out half is not even forecast: nothing chosen on it can leak from it
        curves = [c for c in curves if not c.held_out]
    t0 = time.time()
    df = evaluate(curves, mcmc_n=args.mcmc, split=args.split)
    train_curves = load_train_curves()
    if train:  # by the same hash: Keras runs with no validation curve have a training loss to score too
        train_curves = [c for c in train_curves if not c.held_out]
    if args.limit:
        kept = {k.run_id for k in curves}
        train_curves = [c for c in train_curves if c.run_id in kept]
    df_train = evaluate(train_curves, mcmc_n=0, training=True, split=args.split)
    if args.calibrate:
        for frac, (lo, hi) in calibrate(df).items():
            print(f"fraction {frac}: ratio {1 / frac:.0f}  q05 {lo:+.3f}  q95 {hi:+.3f}")
        grid, knots = calibrate_p_improve(df)
        print("p_improve knots (_P_CAL at _P_RAW = %s):" % ", ".join(f"{g:.2f}" for g in grid))
        print(", ".join(f"{v:.2f}" for v in knots))
        grid, knots = calibrate_p_improve(df_train)
        print("training losses' p_improve knots (_P_CAL_TRAIN):")
        print(", ".join(f"{v:.2f}" for v in knots))
    out = table(df)
    half = "training" if train else "held-out"
    where = ("Errors are on the training half (hash of run id), the half the interval quantiles were fitted on "
             "(coverage is in-sample); the held-out half was not forecast. " if train else
             "Errors are on the held-out half (hash of run id); interval quantiles were fitted on the other half. ")
    header = (f"# Forecast benchmark ({half} half of the runs)\n\n"
              f"{len(curves)} curves ({', '.join(f'{k}: {v}' for k, v in df.groupby('dataset').run.nunique().items())} "
              "usable at some fraction); the first 10/25/50% of each curve (>= 5 points) forecast to its last logged "
              "point. Where losslens gives no forecast (its fit misses where the curve is now: a blow-up and its "
              "recovery) the curve is counted under withheld and left out of every method's error and coverage. " + where +
              "X error is |X_forecast - X_true| as % of the run's length (X_true: the diagnosis's X on the full curve, facts.plateau.plateau_onset). "
              "Domhan's MCMC ensemble (5 of the 11 families, emcee, 64 walkers x 800 steps, about a second per curve, see ms/curve) runs on a hash-picked "
              "subsample per dataset. LC-PFN is not included: it needs pretrained weights downloaded from the "
              "internet, which this machine cannot do.\n\n")
    text = (header + out + f"\n\n## How sure is each cell's ranking? ({half}, 2000 curve resamples, paired)\n\n"
            + paired(df) + f"\n\n## Is p_improve calibrated? ({half}, all fractions)\n\n" + reliability(df)
            + f"\n\n## p_improve on training losses ({half} half of {len(train_curves)} curves, all fractions)\n\n"
            + reliability_train(df_train)
            + "\n\n## Cost per curve\n\n" + timing(curves)
            + f"\n\n(benchmark wall time {time.time() - t0:.0f} s)\n")
    publish(text, None if args.no_write or train else RESULTS / "forecast.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
