"""Does anything in one run tell a model too small from the real runs read ``underfitting``? (measured, not kept:
docs/benchmarks.md)

``python -m benchmarks.underfit_probe`` (about 10 s; the real part needs ``LOSSLENS_CURVES``). The real corpus has
no underfitting label (no run there was retrained with a bigger model), yet on its train split 10 runs read
``underfitting`` off its level on 2026-12-06 (the training loss flattened high, validation level with it:
``diagnosis._underfit_level``), all wrong. The generated part has underfitting labels that a bigger model verified
(the training loss >= 30% lower). This prints, for every **train-split** case of both parts where that level
reading is among the causes, the facts a rule could use to tell the two apart, so that a candidate rule can be
checked against the cases it must keep before it is written:

- ``level``: the training loss's floor as a share of ln K (K known) or of its start (the reading's own number);
- ``train t``: the training loss's last-quarter slope t (a run still shedding loss at its end: t < -3);
- ``X``: the training loss's plateau onset as a share of the run; ``first``: the share of its whole drop made
  by the first logged interval (a level reached at once and held);
- ``noise``: the training loss's noise sd over its improvement (a level held to a millionth: frozen weights);
- ``acc``: training and validation accuracy over the last quarter, where logged.

Held-out cases are dropped before anything is run or printed.
"""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np

COLUMNS = ("part", "label", "verdict", "level", "train_t", "x_share", "first_share", "noise_share", "acc",
           "case_id")


def level_reading(d) -> float | None:
    """The ``level_rel`` of underfitting's level reading among ``d``'s causes, else None."""
    return next((c.numbers["level_rel"] for c in d.causes if c.id == "underfitting" and "level_rel" in c.numbers),
                None)


def probe_case(case) -> dict | None:
    """One train-split case's row (``COLUMNS``) where underfitting's level reading is among its causes."""
    from losslens.diagnosis import diagnose_run
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = diagnose_run(case.run, metric=case.metric, classes=case.classes)
        level = level_reading(d)
        if level is None:
            return None
        f = d.facts  # what the rules read (after _glitches), not a second measurement of the raw run
    tp, ty = f.train_plateau, f.train_y[np.isfinite(f.train_y)]
    drop = float(ty[0] - tp.floor)
    c = f.chance
    acc = (None if c is None or c.train_acc_tail is None or c.val_acc_tail is None
           else (round(float(c.train_acc_tail), 3), round(float(c.val_acc_tail), 3)))
    return {"part": case.part, "label": case.cause, "verdict": d.verdict, "level": float(level),
            "train_t": float(f.train_trend.slope_t) if f.train_trend is not None else float("nan"),
            "x_share": tp.index / (len(ty) - 1) if tp.index is not None and len(ty) > 1 else float("nan"),
            "first_share": float(ty[0] - ty[1]) / drop if len(ty) > 1 and drop > 0 else float("nan"),
            "noise_share": (f.train_noise or 0.0) / drop if drop > 0 else float("nan"),
            "acc": acc, "case_id": case.case_id}


def probe(parts=("real", "generated")) -> list[dict]:
    """The rows of every train-split case of ``parts`` where underfitting's level reading is a cause."""
    from . import load_cases
    rows = []
    for case in load_cases(parts):
        if case.split != "train":  # (never run, never printed: the held-out split is scored once, at the end)
            continue
        row = probe_case(case)
        if row is not None:
            rows.append(row)
    return rows


def _fmt(r: dict) -> str:
    acc = "—" if r["acc"] is None else f"{r['acc'][0]:.3f}/{r['acc'][1]:.3f}"
    return (f"{r['part'][:4]}\t{r['label']}\t{r['verdict']}\t{r['level']:.2f}\t{r['train_t']:.1f}\t"
            f"{r['x_share']:.2f}\t{r['first_share']:.2f}\t{r['noise_share']:.1e}\t{acc}\t{r['case_id']}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.underfit_probe", description=__doc__.splitlines()[0])
    ap.add_argument("--parts", default="real,generated", help="comma list of: real, generated")
    args = ap.parse_args(argv)
    rows = probe(tuple(p.strip() for p in args.parts.split(",") if p.strip()))
    print("\t".join(COLUMNS))
    # The two groups a rule would have to split: the real runs read underfitting (all wrong: no real label is) and
    # the generated ones read underfitting that a bigger model confirmed; then every other case listing the reading.
    groups = {"real, read underfitting": [], "generated, labelled and read underfitting": [],
              "the others where the reading is listed": []}
    for r in sorted(rows, key=lambda r: (r["part"], r["label"], r["case_id"])):
        if r["verdict"] == "underfitting" and r["part"] == "real":
            groups["real, read underfitting"].append(r)
        elif r["verdict"] == "underfitting" and r["label"] == "underfitting":
            groups["generated, labelled and read underfitting"].append(r)
        else:
            groups["the others where the reading is listed"].append(r)
    for title, group in groups.items():
        print(f"# {title}: {len(group)}")
        for r in group:
            print(_fmt(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
