"""How far losslens's plateau epoch X of one seed is from the X of many seeds' mean curve.

The generated part of the diagnosis benchmark scores X against the X of a 5-seed mean
(``benchmarks/scenarios``); on noisy curves that truth is itself noisy (its X moves several % of the
run between groups of 5 seeds) and a single seed's X can differ from it for reasons no estimator
sees (a temporary plateau escaped at a different epoch). This script retrains each generated
configuration that has an X with many seeds (``--seeds``, default 40; seeds 0-4 are the benchmark's
cases) and reports, per configuration:

- ``X_all``: X of the mean of all seeds (the expected curve, nearly), and the spread of the 5-seed
  groups' X (the benchmark's truth) around it;
- losslens's X per seed (``diagnose_run``, scored as the benchmark scores it: no X = the last epoch)
  against ``X_all`` (mean |error| and mean signed error, % of the run) and against the X of the seed's
  own group of 5 (what the benchmark measures, with 8x the cases), each only for the seeds that mean's
  X is the truth of as ``generate.py`` labels them: floor L* within 10% of the mean's drop of the
  mean's (``rules.typical_seed`` on ``rules.floor_level``; ``scored`` counts them);
- the same for X read off the seed's own raw curve (DESIGN's definition, no smoothing), for reference.

``data_limited`` configurations are left out (their verdict needs the learning curve that
``generate.py`` measures with extra trainings). Training takes ~10 min for 40 seeds of all 14 on
one CPU core; ``--cache DIR`` keeps the curves (``seeds_<config>_0_<n>.json``) for the next run.

    python benchmarks/x_seeds.py --cache /tmp/x_seeds [--configs high_reg,conv_blobs] [--out -]

What it showed (results/x_seeds.md, 40 seeds): losslens's X is 7.13% of the run from its 5-seed
group's X on average over the 14 configurations (7.74% from the 40-seed mean's; per scored seed
5.57% over 454 of 560 and 5.70% over 439), where a perfect estimate of the expected curve's X would
still be 2.72% from the groups'. (It read 7.05% / 7.25% while every seed was scored, before a seed
on another floor than its mean lost the mean's X, as the benchmark's labels did in 423f52a: of 40
seeds, vs their group / vs the 40-seed mean, under_digits and high_moons keep 5 / 1, high_blobs
10 / 2, over_blobs 34 / 35, the others all.) The rest comes from (1) verdicts that give no X
(under_digits read still_improving / lr_too_low on a mean curve still 2.5% lower over its last 14
epochs: scored as the last epoch, 28% on the 5 seeds on their group's floor); (2) seed outcomes no
single curve shows: a temporary plateau is left at a different epoch by each seed and X of the mean
is set by the late ones (temp_deeplinear: 37 of 40 seeds' own X before the 40-seed mean's, median
56.5 vs 71); (3) curves bouncing at their floor with noise near the 5% band (high_reg 14.5% from its
group, every seed on its floor). Before X was read against the smooth's minimum raised by up to two
of its standard errors (facts.plateau.raised_floor) those read late, L* being the deepest dip of the
noise (every seed scored): 7.98% from the groups and 8.93% from the 40-seed means, high_reg +10.0 ->
+0.0%, high_moons +25.7 -> +7.0%, conv_blobs +10.7 -> +2.4%; spiky curves come a little earlier
(high_blobs -3.1 -> -4.8%). An earlier try, L* read on a curve averaged to 1% noise, was not kept:
it took the generated held-out X error 5.28 -> 5.69 (the raised floor: 5.17). Both move a
Transformers Trainer's 16-point overfitting curve from its minimum, step 40, to step 35, already
within the band (tests/test_trainer_one_axis.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.labels.rules import floor_level, plateau_x, typical_seed  # noqa: E402
from benchmarks.scenarios.generate import CONFIGS, X_NONE, make_data, train  # noqa: E402

GROUP = 5  # the benchmark's truth is the mean of 5 seeds


def curves(cfg, n_seeds: int, cache: Path | None) -> dict:
    """``{seed: history}`` of ``n_seeds`` runs of ``cfg`` (trained, or read from ``cache``)."""
    path = cache / f"seeds_{cfg.name}_0_{n_seeds}.json" if cache else None
    if path is not None and path.exists():
        return {int(k): v for k, v in json.loads(path.read_text()).items()}
    data = make_data(cfg.data, cfg.n, 0, **cfg.data_kw)
    out = {s: {k: [float(x) for x in v] for k, v in train(cfg, s, data=data)[0].items()} for s in range(n_seeds)}
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(out))
    return out


def on_floor(V: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Which runs (rows of ``V``) have ``mean``'s X as their truth: as ``generate.py`` labels a seed, those
    whose floor L* is within 10% of the mean's drop of the mean's floor."""
    level, drop = floor_level(mean), float(mean[0] - np.nanmin(mean))
    return np.array([typical_seed(floor_level(v), level, drop) for v in V])


def _mean(x) -> float:
    return float(np.mean(x)) if len(x) else float("nan")


def study(cfg, hists: dict) -> dict:
    from losslens.diagnosis import diagnose_run
    from losslens.run import Run
    length = cfg.head or cfg.epochs
    seeds = [s for s in sorted(hists) if np.isfinite(hists[s]["val_loss"][:length]).all()]
    seeds = seeds[:len(seeds) // GROUP * GROUP]
    V = np.array([hists[s]["val_loss"][:length] for s in seeds], dtype=float)
    span = float(length - 1)
    x_all = plateau_x(V.mean(0))
    x_group = [plateau_x(V[g:g + GROUP].mean(0)) for g in range(0, len(seeds), GROUP)]
    # a seed on another floor than the mean (stuck at ln K while the others learn) has no X in the benchmark
    typical_all = on_floor(V, V.mean(0))
    typical_group = np.concatenate([on_floor(V[g:g + GROUP], V[g:g + GROUP].mean(0))
                                    for g in range(0, len(seeds), GROUP)])
    classes = make_data(cfg.data, cfg.n, 0, **cfg.data_kw)[4] or None
    est = {"losslens": [], "own raw curve": []}
    verdicts: dict = {}
    for j, s in enumerate(seeds):
        series = {k: np.asarray(v[:length], dtype=float) for k, v in hists[s].items()}
        run = Run(np.arange(length, dtype=float), series, "epoch", name=f"{cfg.name}/seed{s}",
                  meta={"classes": classes})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            d = diagnose_run(run, metric="val_loss", classes=classes)
        verdicts[d.verdict] = verdicts.get(d.verdict, 0) + 1
        x = d.plateau_epoch if d.plateau_epoch is not None else d.slowdown_epoch  # (a still-falling curve's X too)
        est["losslens"].append(span if x is None else float(x))
        own = plateau_x(V[j])
        est["own raw curve"].append(span if own is None else own)
    g = np.repeat(np.asarray(x_group, dtype=float), GROUP)
    res = {"config": cfg.name, "cause": cfg.cause, "seeds": len(seeds), "length": length, "x_all": x_all,
           "on_floor_all": int(typical_all.sum()), "on_floor_group": int(typical_group.sum()),
           "group_sd": float(np.std(x_group) / span * 100),
           "group_vs_all": float(np.mean(np.abs(np.asarray(x_group) - x_all)) / span * 100), "verdicts": verdicts}
    for name, xs in est.items():
        xs = np.asarray(xs)
        res[name] = {"vs_all": _mean(np.abs(xs - x_all)[typical_all]) / span * 100,
                     "signed": _mean((xs - x_all)[typical_all]) / span * 100,
                     "vs_group": _mean(np.abs(xs - g)[typical_group]) / span * 100}
    return res


def report(rows: list[dict]) -> str:
    lines = ["# X of one seed against many seeds' mean (generated configurations)", "",
             "Generated by `python benchmarks/x_seeds.py`. Errors are % of the run; `vs X_all`: against X of the "
             "mean of all seeds (signed: + is late); `vs group`: against X of the mean of the seed's own group of "
             "5 (the benchmark's truth). As the benchmark's labels, a mean's X scores only the seeds on its floor "
             "(L* within 10% of its drop of its own, `rules.typical_seed` on `rules.floor_level`); `scored`: how "
             "many seeds that leaves vs X_all / vs their group. `groups`: sd of the groups' X, and their mean "
             "distance to X_all (what even a perfect estimate of the expected curve's X scores against a 5-seed "
             "truth).", "",
             "| config | cause | seeds | scored | X_all | groups: sd / vs X_all | losslens vs X_all (signed) "
             "| losslens vs group | own raw curve vs X_all (signed) | own raw vs group | verdicts |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        a, o = r["losslens"], r["own raw curve"]
        lines.append(f"| {r['config']} | {r['cause']} | {r['seeds']} | {r['on_floor_all']} / {r['on_floor_group']} "
                     f"| {r['x_all']:.0f} | {r['group_sd']:.1f} / "
                     f"{r['group_vs_all']:.1f} | {a['vs_all']:.2f} ({a['signed']:+.2f}) | {a['vs_group']:.2f} | "
                     f"{o['vs_all']:.2f} ({o['signed']:+.2f}) | {o['vs_group']:.2f} | "
                     + ", ".join(f"{k} {v}" for k, v in sorted(r["verdicts"].items(), key=lambda kv: -kv[1])) + " |")
    m = lambda k, f: np.nanmean([r[k][f] for r in rows])  # noqa: E731
    lines += ["", f"Mean over {len(rows)} configurations: losslens {m('losslens', 'vs_all'):.2f} vs X_all, "
              f"{m('losslens', 'vs_group'):.2f} vs its group; own raw curve {m('own raw curve', 'vs_all'):.2f} / "
              f"{m('own raw curve', 'vs_group'):.2f}; groups vs X_all "
              f"{np.mean([r['group_vs_all'] for r in rows]):.2f}."]
    n_all, n_group = sum(r["on_floor_all"] for r in rows), sum(r["on_floor_group"] for r in rows)
    w = lambda k, f, n: sum(r[k][f] * r[n] for r in rows if r[n]) / max(sum(r[n] for r in rows), 1)  # noqa: E731
    lines += ["", "Per scored seed (as the benchmark averages its cases): losslens "
              f"{w('losslens', 'vs_all', 'on_floor_all'):.2f} vs X_all ({n_all} seeds), "
              f"{w('losslens', 'vs_group', 'on_floor_group'):.2f} vs its group ({n_group}); "
              f"own raw curve {w('own raw curve', 'vs_all', 'on_floor_all'):.2f} / "
              f"{w('own raw curve', 'vs_group', 'on_floor_group'):.2f}."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--configs", default="", help="comma list (default: every configuration with an X)")
    ap.add_argument("--cache", default="", help="directory to keep the trained curves in")
    ap.add_argument("--out", default="-", help="markdown file to write ('-': print)")
    args = ap.parse_args(argv)
    names = [c for c in args.configs.split(",") if c]
    cfgs = [c for c in CONFIGS if (c.name in names if names else c.cause not in X_NONE | {"data_limited"})]
    cache = Path(args.cache) if args.cache else None
    rows = []
    for cfg in cfgs:
        rows.append(study(cfg, curves(cfg, args.seeds, cache)))
        print(f"{cfg.name}: losslens {rows[-1]['losslens']['vs_group']:.2f} vs group", file=sys.stderr)
    text = report(rows)
    if args.out == "-":
        print(text)
    else:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
