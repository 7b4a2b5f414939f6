"""Where losslens's X, the naive rule's and each seed's own DESIGN X part from the benchmark's truth, train split
only (measured, not kept: docs/benchmarks.md).

``python -m benchmarks.x_probe`` (about 10 s; the real part needs ``LOSSLENS_CURVES``; ``--sweep`` re-reads the
cases under other values of ``facts.plateau``'s two X constants, about 10 s each). The truth X of a case is DESIGN's
X of a multi-seed mean (10 DeepOBS seeds, 5 generated ones) while the case is one seed, so part of every error is
the seed's, not the reader's. This prints, for every **train-split** case with a truth X, three readings of that
one run, each as |X - X_true| in % of the run (a reading that gives no X is scored as the last epoch, as
``benchmarks.score`` does):

- ``losslens``: ``benchmarks.baselines.losslens_method``'s X (the plateau epoch, else the slowdown epoch);
- ``naive``: the naive rule's (DESIGN's X on the raw curve, none where it reads diverged or still improving);
- ``own``: DESIGN's X of the seed's own raw curve, always given (``rules.plateau_x``, the labels' own reader): what
  a reader that knew the seed's curve exactly, and nothing of the other seeds, would say.

then the summed errors per configuration (a DeepOBS problem, optimizer and rate; a generated config), largest
first. Held-out cases are dropped before anything is run or printed.
"""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np

#: ``--sweep``: the values tried for ``facts.plateau.FLOOR_SES`` (how far L* is raised, in standard errors of the
#: smooth) and ``CLEAN_NOISE`` (the noise share under which a curve is smoothed less), one constant at a time.
SWEEP = {"FLOOR_SES": (0.0, 1.0, 2.0, 3.0, 4.0), "CLEAN_NOISE": (0.02, 0.04, 0.08)}


def group_of(case_id: str) -> str:
    """The configuration a case is one seed of: a DeepOBS run's path up to its seed, a generated case's up to
    ``/seedN``; any other id is its own group."""
    if "/random_seed" in case_id:
        return case_id.split("/random_seed")[0]
    if case_id.startswith("gen/"):
        return case_id.rsplit("/", 1)[0]
    return case_id


def _err(case, x) -> float:
    from .baselines import Prediction
    from .score import x_error
    return x_error(case, Prediction(None, x))


def probe_case(case) -> dict:
    """The three readings of one case with a truth X (module docstring)."""
    from .baselines import METHODS
    from .labels import rules
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ll = METHODS["losslens"](case.run, case.metric, classes=case.classes)
        nv = METHODS["naive"](case.run, case.metric)
    own = rules.plateau_x(np.asarray(case.run.series[case.metric], dtype=float), case.run.axis)
    return {"part": case.part, "case_id": case.case_id, "group": group_of(case.case_id), "label": case.cause,
            "verdict": ll.cause or "—", "x_true": float(case.x_true), "x_losslens": ll.x, "x_naive": nv.x,
            "x_own": own, "err_losslens": _err(case, ll.x), "err_naive": _err(case, nv.x),
            "err_own": _err(case, own)}


def train_cases(parts=("real", "generated")) -> list:
    """The train-split cases of ``parts`` that have a truth X (held-out ones are never returned)."""
    from . import load_cases
    return [c for c in load_cases(parts) if c.split == "train" and c.x_true is not None]


def probe(parts=("real", "generated")) -> list[dict]:
    """:func:`probe_case` of every train-split case of ``parts`` with a truth X."""
    return [probe_case(c) for c in train_cases(parts)]


def sweep(parts=("real", "generated"), values=None) -> list[tuple[str, float, dict]]:
    """losslens's mean X error per part (% of the run) with one ``facts.plateau`` constant set to each value of
    ``values`` (default :data:`SWEEP`), the others as shipped: ``[(name, value, {part: error})]``. The constants
    are restored afterwards."""
    from losslens.facts import plateau
    from .baselines import METHODS
    from .score import x_error
    cases = train_cases(parts)
    out = []
    for name, vals in (values or SWEEP).items():
        shipped = getattr(plateau, name)
        try:
            for v in vals:
                setattr(plateau, name, v)
                errs: dict = {}
                for c in cases:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        errs.setdefault(c.part, []).append(
                            x_error(c, METHODS["losslens"](c.run, c.metric, classes=c.classes)))
                out.append((name, v, {p: float(np.mean(e)) for p, e in errs.items()}))
        finally:
            setattr(plateau, name, shipped)
    return out


def _x(v) -> str:
    return "—" if v is None else f"{v:g}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.x_probe", description=__doc__.splitlines()[0])
    ap.add_argument("--parts", default="real,generated", help="comma list of: real, generated")
    ap.add_argument("--sweep", action="store_true", help="also re-read the cases under other X constants")
    args = ap.parse_args(argv)
    parts = tuple(p.strip() for p in args.parts.split(",") if p.strip())
    rows = probe(parts)
    print("part\tlabel\tverdict\tX true\tlosslens\tnaive\town\terr losslens\terr naive\terr own\tcase")
    for r in sorted(rows, key=lambda r: (r["part"], -r["err_losslens"], r["case_id"])):
        print("\t".join([r["part"], r["label"], r["verdict"], _x(r["x_true"]), _x(r["x_losslens"]),
                         _x(r["x_naive"]), _x(r["x_own"]), f"{r['err_losslens']:.1f}", f"{r['err_naive']:.1f}",
                         f"{r['err_own']:.1f}", r["case_id"]]))
    for part in parts:
        mine = [r for r in rows if r["part"] == part]
        if not mine:
            continue
        print(f"\n{part}: {len(mine)} train cases with a truth X; mean error (% of the run) losslens "
              f"{np.mean([r['err_losslens'] for r in mine]):.3f}, naive {np.mean([r['err_naive'] for r in mine]):.3f}, "
              f"own {np.mean([r['err_own'] for r in mine]):.3f}")
        groups: dict = {}
        for r in mine:
            groups.setdefault(r["group"], []).append(r)
        for g, rs in sorted(groups.items(), key=lambda kv: -sum(r["err_losslens"] for r in kv[1])):
            sums = [sum(r[k] for r in rs) for k in ("err_losslens", "err_naive", "err_own")]
            if max(sums) > 0:
                print(f"  {len(rs)} seeds, summed error losslens {sums[0]:.1f}, naive {sums[1]:.1f}, own {sums[2]:.1f}"
                      f"  {g}")
    if args.sweep:
        print("\nlosslens's mean X error (% of the run) with one constant of losslens.facts.plateau changed:")
        for name, v, errs in sweep(parts):
            print(f"  {name} = {v:g}: " + ", ".join(f"{p} {e:.3f}" for p, e in errs.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
