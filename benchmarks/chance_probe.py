"""How often a loss that is NOT at chance rests near ln K: the false-match rate of ``facts.chance.resting_at_ln_k``.

    LOSSLENS_CURVES=/work/shared/curves python -m benchmarks.chance_probe [--tol 0.015]

Reads every run of the real curves (DeepOBS, Keras notebooks, modded-nanogpt, Hugging Face Trainer states, YOLO)
with its losses (validation and training, as a reader names them), applies the rule with no K given, and counts
the runs it matches. Truth where the log has it: DeepOBS knows K and logs test accuracy, so a run is at chance when
its last-quarter test accuracy is below 1.5 / K; a Keras run logging accuracy is not at chance when its
last-quarter accuracy (validation's, else training's) is above 0.6. Every match is listed with its numbers, so
the rest can be judged by eye. Prints a markdown table.
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd

from losslens.facts.chance import accuracy_fraction, certain_answers, resting_at_ln_k

from . import curves_dir

DEEPOBS_CLASSES = {"cifar10_3c3d": 10, "cifar100_allcnnc": 100, "fmnist_2c2d": 10, "svhn_wrn164": 10,
                   "tolstoi_char_rnn": 83}


def _tail(a):
    a = a[np.isfinite(a)]
    return float(np.mean(a[-max(1, a.shape[0] // 4):])) if a.shape[0] else math.nan


def runs(root: Path):
    """``(source, run_id, (losses ...), truth)``: truth True (at chance), False (not), None (unknown)."""
    d = pd.read_csv(root / "deepobs_baselines_curves.csv.gz")
    for rid, g in d.groupby("run_id", sort=False):
        g = g.sort_values("epoch")
        k = DEEPOBS_CLASSES.get(rid.split("/")[0])
        acc = _tail(g.test_acc.to_numpy(float)) if k else math.nan
        truth = None if not k or not math.isfinite(acc) else bool(acc < 1.5 / k)
        yield "deepobs", rid, (g.test_loss.to_numpy(float), g.train_loss.to_numpy(float)), truth, \
            (g.test_loss.to_numpy(float), g.test_acc.to_numpy(float))
    d = pd.read_csv(root / "keras_notebook_curves.csv")
    for rid, g in d.groupby("run_id", sort=False):
        g = g.sort_values("epoch")
        acc = next((_tail(g[c].to_numpy(float)) for c in ("val_acc", "train_acc") if g[c].notna().any()), math.nan)
        truth = False if math.isfinite(acc) and acc > 0.6 else None
        pair = next(((g[loss].to_numpy(float), accuracy_fraction(g[acc].to_numpy(float)))
                     for loss, acc in (("val_loss", "val_acc"), ("train_loss", "train_acc")) if g[acc].notna().any()),
                    (None, None))
        yield "keras", rid, (g.val_loss.to_numpy(float), g.train_loss.to_numpy(float)), truth, pair
    d = pd.read_csv(root / "modded_nanogpt_val_curves.csv")
    for rid, g in d.groupby("run_id", sort=False):
        # GPT-2's 50,257-token softmax: ln K = 10.8, and these runs learn to 3.28: none at chance.
        yield "nanogpt", rid, (g.sort_values("step").val_loss.to_numpy(float),), False, (None, None)
    d = pd.read_csv(root / "hf_trainer_state_logs.csv")
    for rid, g in d.groupby("run_id", sort=False):
        g = g.sort_values("step")
        yield "hf", rid, (g.eval_loss.to_numpy(float), g.loss.to_numpy(float)), None, \
            (g.eval_loss.to_numpy(float), g.eval_accuracy.to_numpy(float))
    d = pd.read_csv(root / "yolo_results_curves.csv")
    loss_cols = [c for c in d.columns if "loss" in c]
    for rid, g in d.groupby("run_id", sort=False):
        g = g.sort_values("epoch")
        for c in loss_cols:
            if g[c].notna().sum():
                yield "yolo", f"{rid}:{c}", (g[c].to_numpy(float),), False, (None, None)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tol", type=float, default=0.015)
    args = ap.parse_args(argv)
    root = curves_dir()
    if root is None:
        raise SystemExit("set LOSSLENS_CURVES to the real curves' folder")
    counts, hits, certain = {}, [], []
    for source, rid, losses, truth, (loss, acc) in runs(root):
        m = resting_at_ln_k(losses, tol=args.tol)
        key = (source, truth)
        n, k, c = counts.get(key, (0, 0, 0))
        sure = certain_answers(loss, acc)
        counts[key] = (n + 1, k + (m is not None), c + (sure is not None))
        if m is not None:
            hits.append((source, truth, rid, m))
        if sure is not None:
            certain.append((source, truth, rid, sure))
    print(f"tol = {args.tol:g}\n\n| source | at chance (truth) | runs | resting at ln K | on Keras's certain-answer "
          "line |\n|---|---|---|---|---|")
    for (source, truth), (n, k, c) in sorted(counts.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        print(f"| {source} | {'unknown' if truth is None else truth} | {n} | {k} | {c} |")
    print("\nresting at ln K:")
    for source, truth, rid, (k, low) in hits:
        print(f"- {source} truth={truth} K={k} low={low:.4f} (ln K {math.log(k):.4f}): {rid}")
    print("\non the certain-answer line:")
    for source, truth, rid, ratio in certain:
        print(f"- {source} truth={truth} ratio={ratio:.4f}: {rid}")


if __name__ == "__main__":
    main()
