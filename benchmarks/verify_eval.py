"""Does retraining catch the diagnosis's mistakes? ``losslens.verify`` on the generated cases.

For every generated case (a real small model, :mod:`benchmarks.scenarios`) the diagnosis names a
verdict; :func:`losslens.verify` then retrains the case's own configuration with the change the
verdict predicts will matter (lr/10 from the plateau, lr x10, twice the epochs, a model twice or
half the size, twice or half the data, shuffled labels) and says whether the prediction held.

Read two figures: of the verdicts that are right, how many retraining confirms; of those that are
wrong, how many it flags (not confirmed). A third row follows the workflow a user would: when the
verdict is not confirmed, or is confirmed but another cause's change moved the loss at least twice as
far, take the cause verify's last line points to (``Verification.points_to``: one that held on the
run that failed the verdict, else the one whose change moved the loss furthest), else another cause
whose prediction held on the runs already made (verify reads every cause's prediction off each
retrained run), else check the diagnosis's other causes in order and take the first whose
prediction holds; a confirmed ``converged`` whose
follow-up shows a model twice the size going lower on training and validation loss reads
``underfitting`` (the floor is the model's). The checks are the same kind of intervention the labels were made with (the
labels' own 15% / 2% bars, though not the same runs: lr/10 from the plateau rather than from 2/3
of the run, twice the width rather than the label's bigger model, twice the epochs rather than
1.5x), so that row is what retraining can add, not a held-out test of the rules.

``train`` for a case: the case's :class:`~benchmarks.scenarios.generate.Config` and seed, with
``lr_factor`` (lr x f), ``epochs_factor`` (of the case's length), ``size_factor`` (hidden widths x
f; a linear model "twice the size" gets one hidden layer of 32 units), ``data_factor`` (n x f from
the same pool, same validation set), ``shuffle_labels`` (training labels permuted) and
``from_epoch`` (the case's run up to there, then the changed lr from its checkpoint).

    python benchmarks/verify_eval.py [--limit N] [--no-write]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import publish  # noqa: E402
from benchmarks.scenarios.generate import CONFIGS, make_data, train as train_config  # noqa: E402
from benchmarks.score import macro_f1  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
POOL_TRAIN = 1700  # make_data's pool minus its validation points


def case_trainer(cfg, seed: int):
    """A ``losslens.verify`` training function for one generated case (see the module doc)."""
    length = cfg.head or cfg.epochs
    base_data = make_data(cfg.data, cfg.n, 0, **cfg.data_kw)

    def train(lr_factor=1.0, epochs_factor=1.0, size_factor=1.0, data_factor=1.0, shuffle_labels=False,
              from_epoch=0):
        data = base_data
        if data_factor != 1.0:
            data = make_data(cfg.data, int(min(POOL_TRAIN, max(8, round(cfg.n * data_factor)))), 0, **cfg.data_kw)
        if shuffle_labels:
            xtr, ytr, xva, yva, k = data
            data = (xtr, np.random.default_rng(7 + seed).permutation(ytr), xva, yva, k)
        hidden = [max(1, round(h * size_factor)) for h in cfg.hidden]
        if not cfg.hidden and size_factor > 1.0:
            hidden = [32]
        epochs = max(1, round(length * epochs_factor))
        lr = cfg.lr * lr_factor
        if from_epoch and lr_factor != 1.0 and 0 < from_epoch < epochs:
            head, states = train_config(cfg, seed, epochs=from_epoch, hidden=hidden, data=data,
                                        keep_at={from_epoch - 1})
            if from_epoch - 1 not in states:  # broke down (NaN) before the change
                return head
            tail, _ = train_config(cfg, seed, lr=lr, epochs=epochs - from_epoch, hidden=hidden, data=data,
                                   state=states[from_epoch - 1])
            return {k: list(head[k]) + list(tail[k]) for k in head}
        return train_config(cfg, seed, lr=lr, epochs=epochs, hidden=hidden, data=data)[0]
    return train


def evaluate(cases, log=print) -> list[dict]:
    from losslens.diagnosis import diagnose_run
    from losslens.verification import CHECKS, verify

    configs = {c.name: c for c in CONFIGS}
    rows = []
    for i, case in enumerate(cases):
        _, name, seed = case.case_id.split("/")
        cfg, seed = configs[name], int(seed.removeprefix("seed"))
        t0 = time.perf_counter()
        d = diagnose_run(case.run, metric=case.metric, classes=case.classes)
        train = case_trainer(cfg, seed)
        # verify's defaults: the verdict, its other likely causes and its follow-ups (converged:
        # would a bigger model or more data lower the floor?)
        v = verify(train, baseline=case.run, metric=case.metric, classes=case.classes,
                   progress=False) if d.verdict in CHECKS else None
        confirmed = None if v is None else v.confirmed
        final, tried = d.verdict, []
        if v is not None:
            # readings off the failed check's own runs first: they answer what the verdict got wrong
            ordered = sorted(v.results, key=lambda r: not r.shared)
            held = [r.check.cause for r in ordered if r.holds and r.check.cause != d.verdict
                    and v.holds(r.check.cause)]
            if v.points_to is not None:
                final = v.points_to  # verify's last line: "the retraining points to X"
            elif confirmed is True and d.verdict == "converged" and "underfitting" in held:
                final = "underfitting"  # at a floor, and a bigger model goes lower: the model's floor
            elif confirmed is False and held:
                final = held[0]  # another cause's prediction held on the runs already made
        if confirmed is False and final == d.verdict:
            for c in d.causes[1:]:
                if c.id in CHECKS and c.id not in tried and (v is None or v.holds(c.id) is None):
                    tried.append(c.id)
                    alt = verify(train, baseline=case.run, causes=[c.id], metric=case.metric,
                                 classes=case.classes, progress=False)
                    if alt.holds(c.id):
                        final = c.id
                        break
        rows.append(dict(case=case.case_id, split=case.split, label=case.cause, verdict=d.verdict,
                         checked=v is not None, confirmed=confirmed, final=final, tried=tried,
                         seconds=time.perf_counter() - t0))
        log(f"[{i + 1}/{len(cases)}] {case.case_id}: {case.cause} -> {d.verdict} ({outcome(rows[-1], 'NOT confirmed')})"
            + (f" -> {final}" if final != d.verdict else ""))
    return rows


def outcome(row: dict, refuted: str = "flagged") -> str:
    """What retraining made of a row's verdict: ``confirmed``, ``refuted`` (its prediction failed), ``not decided``
    (verify ran, and the change moved the loss no further than the runs' own noise, or none of its checks could run)
    or ``no check`` (no check exists for the verdict: stuck_at_init). The last two were one "no check" column, which
    read as verdicts never retrained."""
    if not row.get("checked", row["confirmed"] is not None):
        return "no check"
    return {True: "confirmed", False: refuted, None: "not decided"}[row["confirmed"]]


def table(rows: list[dict]) -> str:
    out = ["| split | cases | verdict right | … confirmed by retraining | verdict wrong | … flagged (not confirmed) "
           "| not decided (within the noise) | no check (stuck at init) | accuracy, macro-F1: diagnosis "
           "| after retraining the alternatives |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for split, name in (("test", "held-out"), ("train", "train"), (None, "all")):
        rs = [r for r in rows if split is None or r["split"] == split]
        if not rs:
            continue
        right = [r for r in rs if r["verdict"] == r["label"]]
        wrong = [r for r in rs if r["verdict"] != r["label"]]
        conf_right = sum(r["confirmed"] is True for r in right)
        flagged = sum(r["confirmed"] is False for r in wrong)
        checked_right = sum(r["confirmed"] is not None for r in right)
        checked_wrong = sum(r["confirmed"] is not None for r in wrong)
        undecided = sum(outcome(r) == "not decided" for r in rs)
        none = sum(outcome(r) == "no check" for r in rs)
        labels = sorted({r["label"] for r in rs})
        truth = [r["label"] for r in rs]
        before = [r["verdict"] for r in rs]
        after = [r["final"] for r in rs]
        acc = lambda p: sum(a == b for a, b in zip(truth, p)) / len(rs)  # noqa: E731
        out.append(f"| {name} | {len(rs)} | {len(right)} | {conf_right}/{checked_right} | {len(wrong)} | "
                   f"{flagged}/{checked_wrong} | {undecided} | {none} | "
                   f"{acc(before):.0%}, {macro_f1(truth, before, labels):.2f} | "
                   f"{acc(after):.0%}, {macro_f1(truth, after, labels):.2f} |")
    return "\n".join(out)


def mistakes(rows: list[dict]) -> str:
    wrong = Counter((r["label"], r["verdict"], outcome(r), r["final"]) for r in rows if r["verdict"] != r["label"])
    lines = ["| label | verdict | retraining | after the alternatives | cases |", "|---|---|---|---|---|"]
    for (label, verdict, what, final), n in sorted(wrong.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"| {label} | {verdict} | {what} | {final} | {n} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="only the first N cases (a quick run)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    from benchmarks.scenarios.generate import load_generated_cases

    cases = load_generated_cases()
    if args.limit:
        cases = cases[:args.limit]
    t0 = time.time()
    rows = evaluate(cases, log=lambda s: print(s, file=sys.stderr))
    text = ("# Retraining checks the diagnosis (generated cases)\n\n"
            "`python benchmarks/verify_eval.py`: for every generated case, `losslens.verify` retrains the case's own "
            "configuration with the change its verdict predicts will matter and says whether the prediction held "
            "(benchmarks/verify_eval.py explains the training function and why the last column is what retraining "
            "adds, not a held-out test: the checks are the same kind of intervention the labels were made with).\n\n"
            + table(rows) + "\n\nWrong verdicts, and what retraining made of them (all splits):\n\n" + mistakes(rows)
            + f"\n\n{len(rows)} cases in {time.time() - t0:.0f} s "
            f"(median {np.median([r['seconds'] for r in rows]):.1f} s per case).\n")
    publish(text, None if args.no_write else RESULTS / "verify.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
