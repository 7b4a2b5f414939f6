"""Stopping-rule benchmark: epochs saved versus final-loss regret on every benchmark curve.

Each rule watches a real validation curve (the same curves as forecast_eval.py:
modded-nanogpt val loss, DeepOBS test loss, Keras notebook val_loss) point by point and
says when to stop. Rules:

* Keras ``EarlyStopping`` (the real class, patience 5 and 10, min_delta 0), driven by the
  curve through ``on_epoch_end`` with a stand-in model object (KERAS_BACKEND=torch).
* Prechelt (1998), "Early stopping - but when?": GL_a (generalisation loss above a%),
  PQ_a (GL / training progress over 5-epoch strips above a; needs the training loss, so
  curves without one are left out of that row), UP_s (validation up in s successive strips).
* losslens ``ForecastStopping`` (defaults: min_gain 1%, patience 1, gain measured against
  the best of the running median of 3, no decision before 10% of the way to the horizon, no stop on a
  forecast decline before the curve is 3 noise sds better than its start, a stop at an evaluation that rose
  by more than half a noise sd decided on the curve without it too), horizon = the
  run's planned last point (``model.fit(epochs=N)`` knows it), forecasting every
  max(1, n // 25) points. Also the rule without the 10% guard (``min_fraction 0``, the
  default before), without the progress guard (``min_progress 0``, the default before), without
  the rise's confirmation (``confirm_rise None``, the default before), and a
  clairvoyant bound: each curve stopped at its first point within
  1% of the run's best (no rule that keeps every curve within 1% can save more).

Per curve: the fraction of its points used (stop index + 1, or all), and the regret with
best weights restored, min(y[:stop+1]) / min(y) - 1 (every rule gets restore-best).
The table gives the mean fraction used, epochs saved relative to Keras patience 10, the
median and 90th-percentile regret. Rule settings were chosen on the training half of the
runs (hash of the run id, as in forecast_eval.py); the held-out half is reported apart.

    KERAS_BACKEND=torch python benchmarks/stopping_eval.py [--limit N] [--only TEXT ...]

``--scores`` runs the same rules with ``mode="max"`` on the scores the benchmark curves log beside
their losses (DeepOBS test accuracy, Keras notebook val_acc, YOLO's validation mAP50-95; about 3
minutes) and writes results/stopping_scores.md: regret there is the best score's relative
shortfall, 1 - max(score up to the stop) / max(score over the run). Prechelt's criteria are
defined on losses and are left out. ``min_progress`` (3), ``stuck_noise`` (0.1) and ``stuck_points`` (15) were
chosen on these curves' training half.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from forecast_eval import RESULTS, load_curves, load_score_curves  # noqa: E402  (puts the checkout on sys.path)
from benchmarks import publish  # noqa: E402
from losslens.stopping import ForecastStopping  # noqa: E402

STRIP = 5  # Prechelt's strip length k


class _StandIn:
    """What EarlyStopping touches on a model: the stop flag (no weights: no restore)."""

    stop_training = False


def keras_stop(y, patience, mode="min"):
    from keras.callbacks import EarlyStopping

    cb = EarlyStopping(monitor="val_loss", patience=patience, mode=mode)
    model = _StandIn()
    cb.set_model(model)
    cb.on_train_begin()
    for i, v in enumerate(y):
        cb.on_epoch_end(i, {"val_loss": float(v)})
        if model.stop_training:
            return i
    return None


def gl(y, alpha):
    best = np.minimum.accumulate(y)
    g = 100.0 * (y / best - 1.0)
    hit = np.nonzero(g > alpha)[0]
    return int(hit[0]) if hit.size else None


def pq(y, train, alpha):
    if train is None or not np.all(np.isfinite(train)):
        return "n/a"
    best = np.minimum.accumulate(y)
    for t in range(STRIP - 1, len(y), STRIP):
        strip = train[t - STRIP + 1:t + 1]
        progress = 1000.0 * (strip.sum() / (STRIP * strip.min()) - 1.0)
        glt = 100.0 * (y[t] / best[t] - 1.0)
        if progress > 0 and glt / progress > alpha:
            return t
    return None


def up(y, s):
    run = 0
    for t in range(2 * STRIP - 1, len(y), STRIP):
        run = run + 1 if y[t] > y[t - STRIP] else 0
        if run >= s:
            return t
    return None


def forecast_stop(x, y, min_gain=0.01, patience=1, horizon="end", max_p=None, **kw):  # kw: mode= too
    n = len(y)
    rule = ForecastStopping(min_gain=min_gain, horizon=float(x[-1]) if horizon == "end" else None,
                            patience=patience, max_p=max_p, check_every=max(1, n // 25), **kw)
    for i in range(n):
        if rule.update(x[i], y[i]):
            return i
    return None


def clairvoyant(y, regret=0.01, mode="min"):
    """The first point within ``regret`` of the run's best: a bound, it knows the future."""
    if mode == "max":
        i = int(np.argmax(np.maximum.accumulate(y) >= (1.0 - regret) * y.max()))
    else:
        i = int(np.argmax(np.minimum.accumulate(y) <= (1.0 + regret) * y.min()))
    return None if i == len(y) - 1 else i


def score_rules():
    """The rules that apply to a score (higher is better): ``mode="max"`` throughout."""
    out = [("Keras EarlyStopping, patience 5", lambda c: keras_stop(c.y, 5, "max")),
           ("Keras EarlyStopping, patience 10", lambda c: keras_stop(c.y, 10, "max")),
           (DEFAULT, lambda c: forecast_stop(c.x, c.y, 0.01, mode="max")),
           (BEFORE_PROGRESS, lambda c: forecast_stop(c.x, c.y, 0.01, mode="max", min_progress=0.0)),
           (BEFORE_CONFIRM, lambda c: forecast_stop(c.x, c.y, 0.01, mode="max", confirm_rise=None))]
    for g in (0.005, 0.02):
        out.append((f"losslens ForecastStopping, min_gain {g:g}",
                    lambda c, g=g: forecast_stop(c.x, c.y, g, mode="max")))
    out.append(("losslens ForecastStopping, min_gain 0.01, patience 2",
                lambda c: forecast_stop(c.x, c.y, 0.01, patience=2, mode="max")))
    out.append((CLAIRVOYANT, lambda c: clairvoyant(c.y, 0.01, "max")))
    return out


def rules():
    out = [("Keras EarlyStopping, patience 5", lambda c: keras_stop(c.y, 5)),
           ("Keras EarlyStopping, patience 10", lambda c: keras_stop(c.y, 10)),
           ("Prechelt GL1", lambda c: gl(c.y, 1.0)),
           ("Prechelt GL5", lambda c: gl(c.y, 5.0)),
           ("Prechelt PQ0.5", lambda c: pq(c.y, c.train, 0.5)),
           ("Prechelt PQ2", lambda c: pq(c.y, c.train, 2.0)),
           ("Prechelt UP2", lambda c: up(c.y, 2)),
           ("Prechelt UP3", lambda c: up(c.y, 3))]
    out.append((DEFAULT, lambda c: forecast_stop(c.x, c.y, 0.01)))
    out.append((BEFORE_PROGRESS, lambda c: forecast_stop(c.x, c.y, 0.01, min_progress=0.0)))
    out.append((BEFORE_CONFIRM, lambda c: forecast_stop(c.x, c.y, 0.01, confirm_rise=None)))
    out.append(("losslens ForecastStopping, min_gain 0.01, min_fraction 0 (the default before)",
                lambda c: forecast_stop(c.x, c.y, 0.01, min_fraction=0.0)))
    out.append(("losslens ForecastStopping, min_gain 0.01, against the raw best (the default before)",
                lambda c: forecast_stop(c.x, c.y, 0.01, against="best")))
    for g in (0.005, 0.02):
        out.append((f"losslens ForecastStopping, min_gain {g:g}", lambda c, g=g: forecast_stop(c.x, c.y, g)))
    out.append(("losslens ForecastStopping, min_gain 0.01, patience 2",
                lambda c: forecast_stop(c.x, c.y, 0.01, patience=2)))
    out.append(("losslens ForecastStopping, min_gain 0.01, max_p 0.3",
                lambda c: forecast_stop(c.x, c.y, 0.01, max_p=0.3)))
    out.append((CLAIRVOYANT, lambda c: clairvoyant(c.y, 0.01)))
    return out


DEFAULT = "losslens ForecastStopping, defaults (min_gain 0.01, min_fraction 0.1, min_progress 3, confirm_rise 0.5)"
BEFORE_PROGRESS = "losslens ForecastStopping, min_gain 0.01, min_progress 0 (the default before)"
BEFORE_CONFIRM = "losslens ForecastStopping, min_gain 0.01, confirm_rise None (the default before)"
CLAIRVOYANT = "bound: clairvoyant, first point within 1% of the run's best"


def evaluate(curves, scores=False, only=None):
    import pandas as pd

    rows = []
    for name, rule in (score_rules() if scores else rules()):
        if only and name != "Keras EarlyStopping, patience 10" and not any(o in name for o in only):
            continue  # the reference row is always run: "saved" is measured against it
        t0 = time.perf_counter()
        for c in curves:
            stop = rule(c)
            if isinstance(stop, str):
                continue
            n = len(c.y)
            used = n if stop is None else stop + 1
            regret = (float(1.0 - c.y[:used].max() / c.y.max()) if scores
                      else float(c.y[:used].min() / c.y.min() - 1.0))
            rows.append(dict(rule=name, dataset=c.dataset, run=c.run_id, held=c.held_out, n=n, used=used,
                             frac=used / n, regret=regret, stopped=stop is not None))
        print(f"  {name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return pd.DataFrame(rows)


def table(df):
    lines = ["| data | rule | curves | mean share of points used | saved vs patience 10 | stopped early | "
             "median regret | p90 regret |", "|---|---|---|---|---|---|---|---|"]
    pick = {"all": lambda d: d, "all, training half": lambda d: d[~d.held],
            "all, held-out half": lambda d: d[d.held]}
    for ds in ["all", "all, training half", "all, held-out half", "nanogpt", "deepobs", "keras", "yolo"]:
        d = pick[ds](df) if ds in pick else df[df.dataset == ds]
        if d.empty:
            continue
        ref = d[d.rule == "Keras EarlyStopping, patience 10"].set_index("run").frac
        for name, g in d.groupby("rule", sort=False):
            g = g.set_index("run")
            common = g.index.intersection(ref.index)
            saved = 1.0 - g.frac[common].mean() / ref[common].mean()
            lines.append(f"| {ds} | {name} | {len(g)} | {g.frac.mean():.2f} | {100 * saved:+.0f}% | "
                         f"{100 * g.stopped.mean():.0f}% | {100 * g.regret.median():.2f}% | "
                         f"{100 * g.regret.quantile(0.9):.1f}% |")
    return "\n".join(lines)


def _saved(df, name, rows=None):
    d = df if rows is None else df[rows(df)]
    ref = d[d.rule == "Keras EarlyStopping, patience 10"].set_index("run").frac
    g = d[d.rule == name].set_index("run")
    common = g.index.intersection(ref.index)
    return 1.0 - g.frac[common].mean() / ref[common].mean(), g.regret.median(), g.regret.quantile(0.9)


def goal(df):
    """The issue's goal (>= 30% fewer epochs than patience 10 at <= 1% median regret, per
    curve) set against what a rule that sees the future could do."""
    s, m, p = _saved(df, DEFAULT)
    sh, mh, ph = _saved(df, DEFAULT, lambda d: d.held)
    b, _, _ = _saved(df, CLAIRVOYANT)
    s2, m2, p2 = _saved(df, "losslens ForecastStopping, min_gain 0.02")
    n_nano = df[df.dataset == "nanogpt"].run.nunique()
    met = "Met" if s >= 0.3 and m <= 0.01 else "Not met"
    return (f"**Goal** (issue 7): >= 30% fewer epochs than Keras patience 10 at <= 1% median regret, every "
            f"curve counted once. The default rule: {100 * s:.0f}% fewer at {100 * m:.2f}% median regret "
            f"(p90 {100 * p:.1f}%); on the held-out half {100 * sh:.0f}% at {100 * mh:.2f}% (p90 {100 * ph:.1f}%). "
            f"{met}; a clairvoyant rule that stops every curve at its first point "
            f"within 1% of the run's best saves only {100 * b:.0f}%, because {n_nano:,} of the curves are "
            f"modded-nanogpt runs of ~13 evaluations whose loss falls to the last one (a learning-rate "
            f"cooldown) and that patience 10 never stops. Savings beyond that bound are bought with regret "
            f"above 1% on many curves, which a median hides: min_gain 0.02 saves {100 * s2:.0f}% at "
            f"{100 * m2:.2f}% median regret (p90 {100 * p2:.1f}%).")


def balanced(df):
    """Each dataset weighted equally (nanogpt's 1,491 curves otherwise decide every mean)."""
    lines = ["| rule | saved vs patience 10, datasets weighted equally | median regret, datasets weighted equally |",
             "|---|---|---|"]
    dsets = sorted(df.dataset.unique())
    for name, g in df.groupby("rule", sort=False):
        saved, vals, wts = [], [], []
        for ds in dsets:
            d = g[g.dataset == ds].set_index("run")
            ref = df[(df.rule == "Keras EarlyStopping, patience 10") & (df.dataset == ds)].set_index("run").frac
            common = d.index.intersection(ref.index)
            if len(common) == 0:
                continue
            saved.append(1.0 - d.frac[common].mean() / ref[common].mean())
            vals.append(d.regret.to_numpy())
            wts.append(np.full(len(d), 1.0 / len(d)))
        v, w = np.concatenate(vals), np.concatenate(wts)
        o = np.argsort(v)
        med = v[o][np.searchsorted(np.cumsum(w[o]), 0.5 * w.sum())]
        lines.append(f"| {name} | {100 * np.mean(saved):+.0f}% | {100 * med:.2f}% |")
    return "\n".join(lines)


def score_text(df, curves, seconds):
    s, m, p = _saved(df, DEFAULT)
    sh, mh, ph = _saved(df, DEFAULT, lambda d: d.held)
    k, km, kp = _saved(df, "Keras EarlyStopping, patience 10")
    b, bm, bp = _saved(df, BEFORE_PROGRESS)
    bh, bmh, bph = _saved(df, BEFORE_PROGRESS, lambda d: d.held)
    yolo = {name: _saved(df, name, lambda d: d.dataset == "yolo")[2]
            for name in (DEFAULT, BEFORE_PROGRESS, "Keras EarlyStopping, patience 10")}
    return ("# Stopping rules on real scores (higher is better)\n\n"
            f"{len(curves)} curves ({', '.join(f'{k}: {v}' for k, v in df.groupby('dataset').run.nunique().items())}): "
            "DeepOBS test accuracy, Keras notebook val_acc, YOLO validation mAP50-95, each rule with mode='max'. "
            "Share used = (stop index + 1) / points; saved = 1 - mean share / mean share of Keras patience 10 on the "
            "same curves; regret = 1 - max(score up to the stop) / max(score over the run) (best weights restored). "
            "Generated by `python benchmarks/stopping_eval.py --scores`; of the settings only min_progress (3 noise sds, "
            "against 0, 1, 2 and 5) and the stuck stop's evidence (stuck_noise 0.1 and stuck_points 15, against 0.05-0.3 "
            "and 12-25, where none moved a stop here) were chosen here, on the training half.\n\n"
            f"The default rule: {100 * s:.0f}% fewer epochs than patience 10 at {100 * m:.2f}% median regret "
            f"(p90 {100 * p:.1f}%; patience 10: p90 {100 * kp:.1f}%); on the held-out half {100 * sh:.0f}% at "
            f"{100 * mh:.2f}% (p90 {100 * ph:.1f}%). Without the progress guard (no stop on a forecast decline "
            f"before the score is 3 noise sds above its start; the default before): {100 * b:.0f}% at {100 * bm:.2f}% "
            f"(p90 {100 * bp:.1f}%), held-out half {100 * bh:.0f}% at {100 * bmh:.2f}% (p90 {100 * bph:.1f}%). "
            f"YOLO's mAP is where every rule leaves most: its first epochs swing (one run 0.28 -> 0.001 in four "
            f"epochs, 0.73 at the end), and 35 curves are few; p90 regret there {100 * yolo[DEFAULT]:.1f}% "
            f"(without the guard {100 * yolo[BEFORE_PROGRESS]:.1f}%, patience 10 "
            f"{100 * yolo['Keras EarlyStopping, patience 10']:.1f}%).\n\n"
            + table(df) + f"\n\n(benchmark wall time {seconds:.0f} s)\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="only the first N curves per dataset")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--scores", action="store_true", help="the scores (accuracy, mAP) with mode='max' instead")
    ap.add_argument("--only", nargs="+", metavar="TEXT",
                    help="only the rows whose name contains one of these (and Keras patience 10, the reference): "
                         "prints their table, writes nothing (the full table takes ~30 minutes)")
    args = ap.parse_args(argv)
    curves = load_score_curves() if args.scores else load_curves()
    if not curves:
        print("no curves found")
        return 1
    if args.limit:
        # A fixed pseudo-random subset (hash of the run id), not the first runs of each file.
        import hashlib
        curves = sorted(curves, key=lambda c: hashlib.md5(c.run_id.encode()).hexdigest())
        seen = {}
        curves = [c for c in curves if seen.__setitem__(c.dataset, seen.get(c.dataset, 0) + 1)
                  or seen[c.dataset] <= args.limit]
    t0 = time.time()
    df = evaluate(curves, scores=args.scores, only=args.only)
    if args.only:
        print(table(df) + f"\n\n(wall time {time.time() - t0:.0f} s)")
        return 0
    if args.scores:
        publish(score_text(df, curves, time.time() - t0), None if args.no_write else RESULTS / "stopping_scores.md")
        return 0
    text = ("# Stopping rules on real curves\n\n"
            f"{len(curves)} curves ({', '.join(f'{k}: {v}' for k, v in df.groupby('dataset').run.nunique().items())}). "
            "Share used = (stop index + 1) / points; saved = 1 - mean share / mean share of Keras patience 10 "
            "on the same curves; regret = min(loss up to the stop) / min(loss over the run) - 1 (best weights "
            "restored for every rule). PQ needs a training loss: nanogpt curves have none and are left out of "
            "those rows. ForecastStopping's horizon is the run's planned last point.\n\n"
            + goal(df) + "\n\n" + table(df) + "\n\n" + balanced(df)
            + f"\n\n(benchmark wall time {time.time() - t0:.0f} s)\n")
    publish(text, None if args.no_write else RESULTS / "stopping.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
