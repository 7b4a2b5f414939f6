"""Where the forecast ensemble loses to a single pow3 fit: its families, on the fitting half only.

For each curve of one dataset given one fraction (forecast_eval's curves and protocol), the ensemble's
value at the last logged point beside each family's own (the same anchor shift and floor as the
ensemble's, :meth:`losslens.forecasting._Model.mean_spread`), the family weights, and scipy's pow3 fit.
Only the runs forecast_eval fits its quantiles on (``held_out`` False) are read: a change chosen by these
figures is then scored on the other half by forecast_eval.

    python -m benchmarks.forecast_families [--data nanogpt] [--given 0.5]

Signed errors are (forecast - end) / end: positive, the forecast ends above the curve (it saw too little
of the fall to come).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from benchmarks.forecast_eval import load_curves, pow3_fit, prefix_len
from losslens.forecasting import FAMILIES, forecast_curve

BINS = (4, 7, 8, 14, 40, 10**9)  # prefix lengths: < CHECKED_POINTS (fit-weighted), 8 (2 held out), longer


def family_values(fc, horizon: float) -> dict[str, float]:
    """Each family's anchored value at ``horizon``, as the ensemble averages it."""
    m = fc._model
    t = np.array([(horizon - m.x0) / m.span])
    floor = (-m.y_ref / m.scale, m.t_h) if m.nonneg else None
    return {f.name: float(m.y_ref + m.scale * f.mean_std(t, m.shift, floor)[0][0]) for f in m.fits}


def study(dataset: str, given: float):
    import pandas as pd

    rows = []
    for c in load_curves():
        if c.dataset != dataset or c.held_out:
            continue
        k = prefix_len(len(c.x), given)
        if k < 5 or k >= len(c.x):
            continue
        horizon = float(c.x[-1])
        fc = forecast_curve(c.x[:k], c.y[:k], horizon)
        if fc.reason:
            continue
        row = dict(k=k, y=float(c.y[-1]), level=fc.level, losslens=fc.value, pow3_fit=pow3_fit(c.x[:k], c.y[:k], horizon)[0])
        row.update({f"w_{f}": w for f, w in fc.weights.items()})
        row.update({f"f_{f}": v for f, v in family_values(fc, horizon).items()})
        rows.append(row)
    return pd.DataFrame(rows)


def report(df) -> str:
    import pandas as pd

    fams = [f for f in FAMILIES if f != "const"]
    cols = ["losslens", "pow3_fit"] + [f"f_{f}" for f in fams]
    signed = pd.DataFrame({c: 100 * (df[c] - df.y) / df.y.abs() for c in cols})
    lines = [f"{len(df)} curves (fitting half), prefix length median {df.k.median():.0f}", "",
             "| forecast | median abs % error | median signed % | share ending above | mean weight |", "|---|---|---|---|---|"]
    for c in cols:
        w = f"{df['w_' + c[2:]].mean():.2f}" if c.startswith("f_") else "–"
        lines.append(f"| {c} | {signed[c].abs().median():.2f} | {signed[c].median():+.2f} | {(signed[c] > 0).mean():.0%} | {w} |")
    err = pd.DataFrame({f: (df[f"f_{f}"] - df.y).abs() for f in fams})
    top = df[[f"w_{f}" for f in fams]].idxmax(axis=1).str[2:]
    best = err.idxmin(axis=1)
    lines += ["", "| family | share with the top weight | share closest at the end |", "|---|---|---|"]
    lines += [f"| {f} | {(top == f).mean():.0%} | {(best == f).mean():.0%} |" for f in fams]
    gain = lambda col: ((df.level - df[col]) / df.level.abs()).median()  # noqa: E731
    lines += ["", f"median fall from the level now: forecast {gain('losslens'):.1%}, pow3 fit {gain('pow3_fit'):.1%}, "
              f"the curve's own {gain('y'):.1%}", "",
              "| prefix points | curves | losslens | pow3 fit | best family |", "|---|---|---|---|---|"]
    for lo, hi in zip(BINS[:-1], BINS[1:]):
        d = signed[(df.k > lo) & (df.k <= hi)]
        if len(d):
            fam = d[[f"f_{f}" for f in fams]].abs().median()
            span = str(hi) if hi == lo + 1 else f"{lo + 1}-{hi if hi < 10**9 else ''}"
            lines.append(f"| {span} | {len(d)} | {d.losslens.abs().median():.2f} | "
                         f"{d.pow3_fit.abs().median():.2f} | {fam.idxmin()[2:]} {fam.min():.2f} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="nanogpt", choices=["nanogpt", "deepobs", "keras"])
    ap.add_argument("--given", type=float, default=0.5, help="fraction of each curve given")
    args = ap.parse_args(argv)
    df = study(args.data, args.given)
    if df.empty:
        print("no curves found")
        return 1
    print(report(df))
    return 0


if __name__ == "__main__":
    sys.exit(main())
