"""Is the PyTorch lab faithful? Compare the article's Keras run with the lab's seed spread.

For each curve of the Keras run (train and validation loss, and accuracy for the image
experiment) we count the epochs at which it lies inside the band that the PyTorch seeds
span: mean ± 2 sd across seeds, taken on log(loss) for losses (their spread across seeds
is multiplicative: one seed's linear model ends at 0.2, another's at 2.3) and on the raw
value for accuracies. A faithful re-implementation puts a Keras run inside the band at
most epochs (about 95 % if seeds were normal and the band exact; with 5 seeds the band
itself is uncertain, so read it as "most", not as a test). We also give the z-score of
the Keras run's final value, and the range [min, max] of the seeds for the last epoch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from .runner import ArmResult, LabResult, histories_to_runs, diagnose_runs

# Keras experiment -> {history name in keras_article: lab arm key}
KERAS_ARMS = {
    "exp1": {"complex": "exp1_complex", "linear": "exp1_linear"},
    "exp2": {"random_images": "exp2_random_images"},
    "exp3": {"sgd": "exp3_sgd", "adam": "exp3_adam"},
}


@dataclass
class CurveAgreement:
    """How one Keras curve sits within the PyTorch seeds' band."""

    key: str                 # Keras history key: loss, val_loss, accuracy, val_accuracy
    inside: float            # fraction of epochs within mean ± z sd
    inside_envelope: float   # fraction of epochs within [min, max] of the seeds
    final_z: float           # (keras final - seed mean) / seed sd, on the band's scale
    final_keras: float
    final_range: tuple[float, float]


@dataclass
class KerasComparison:
    arm_key: str
    seed: int
    history: dict
    curves: list[CurveAgreement] = field(default_factory=list)
    diagnosis: object = None
    seconds: float = 0.0


def band_agreement(key: str, curve, seed_curves, z: float = 2.0) -> CurveAgreement:
    """Where ``curve`` (n_epochs,) sits in the band of ``seed_curves`` (n_seeds, n_epochs).

    Losses are compared on a log scale, accuracies on their own scale.
    """
    c = np.asarray(curve, dtype=float)
    s = np.asarray(seed_curves, dtype=float)
    n = min(c.shape[0], s.shape[1])
    c, s = c[:n], s[:, :n]
    log = "loss" in key
    tf = (lambda v: np.log(np.maximum(v, 1e-12))) if log else (lambda v: v)  # noqa: E731
    tc, ts = tf(c), tf(s)
    mean, sd = ts.mean(0), ts.std(0, ddof=1)
    sd = np.maximum(sd, 1e-12)
    inside = float(np.mean(np.abs(tc - mean) <= z * sd))
    env = float(np.mean((c >= s.min(0)) & (c <= s.max(0))))
    final_z = float((tc[-1] - mean[-1]) / sd[-1])
    return CurveAgreement(key, inside, env, final_z, float(c[-1]), (float(s[:, -1].min()), float(s[:, -1].max())))


def compare_keras(lab: LabResult, seed: int = 0, epochs: Optional[int] = None,
                  on_arm: Optional[Callable[[str], None]] = None) -> list[KerasComparison]:
    """Run the article's Keras code for ``seed`` and place each curve in ``lab``'s seed band."""
    from . import keras_article

    arms = {a.arm.key: a for a in lab.arms()}
    out = []
    for exp_key, names in KERAS_ARMS.items():
        if not any(k in arms for k in names.values()):
            continue
        some = arms[next(k for k in names.values() if k in arms)]
        n_epochs = epochs or int(some.meta.get("epochs", 50))
        t0 = time.perf_counter()
        histories = keras_article.EXPERIMENTS[exp_key](seed, epochs=n_epochs)
        seconds = time.perf_counter() - t0
        for name, arm_key in names.items():
            if arm_key not in arms:
                continue
            a: ArmResult = arms[arm_key]
            h = histories[name]
            comp = KerasComparison(arm_key, seed, h, seconds=seconds / len(names))
            for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
                if key in h and key in a.histories[0]:
                    comp.curves.append(band_agreement(key, h[key], a.curves(key)))
            meta = dict(a.meta, framework="keras", keras_backend="torch")
            run = histories_to_runs([h], f"keras_{arm_key}", [seed], meta)[0]
            comp.diagnosis = diagnose_runs([run], classes=a.meta.get("classes"))[0]
            out.append(comp)
        if on_arm is not None:
            on_arm(exp_key)
    return out


def verdicts_differ(c: KerasComparison, a: ArmResult) -> str:
    """Why the Keras run's verdict is not the lab's, where the reason is the log: the lab logs the lr, a
    Keras History does not, so a smooth slow descent there cannot be pinned on a constant small step and
    reads ``still_improving`` with ``lr_too_low`` beside it (DEVELOPERS.md)."""
    majority = a.majority()
    ids = [x.id for x in c.diagnosis.causes]
    if majority is None or c.diagnosis.verdict == majority or majority not in ids:
        return ""
    why = ": Keras's History logs no lr, the lab's runs do" if "lr" not in c.history and "lr" in a.histories[0] else ""
    return f" ({majority} among its causes{why})"


def comparison_text(comps: list[KerasComparison], lab: LabResult) -> list[str]:
    """Report lines: per arm and curve, the share of epochs inside the seed band."""
    if not comps:
        return []
    arms = {a.arm.key: a for a in lab.arms()}
    n = len(lab.seeds)
    total = sum(c.seconds for c in comps)
    lines = ["## Keras 3 (the article's code, keras.optimizers.SGD for tf.keras's) against the PyTorch seed spread", "",
             f"Keras seed {comps[0].seed}, KERAS_BACKEND=torch, {total:.0f} s. For each curve: the share of epochs "
             f"inside mean ± 2 sd of the {n} PyTorch seeds (log scale for losses), inside the seeds' "
             "[min, max], and the z-score of the final value.", ""]
    inside_all = []
    for c in comps:
        a = arms[c.arm_key]
        lines.append(f"- {a.arm.label} ({c.arm_key}): Keras verdict {c.diagnosis.verdict}, "
                     f"PyTorch verdicts {', '.join(f'{v} {k}/{n}' for v, k in a.verdicts().most_common())}"
                     + verdicts_differ(c, a))
        for g in c.curves:
            inside_all.append(g.inside)
            lines.append(f"    {g.key:13s} inside band {g.inside:4.0%} of epochs, inside [min, max] "
                         f"{g.inside_envelope:4.0%}; final {g.final_keras:.4g} vs seeds "
                         f"[{g.final_range[0]:.4g}, {g.final_range[1]:.4g}] (z = {g.final_z:+.1f})")
    lines += ["", f"Overall: {np.mean(inside_all):.0%} of Keras epochs lie inside the PyTorch band "
                  f"(median curve {np.median(inside_all):.0%})."]
    outside = sorted({c.arm_key for c in comps for g in c.curves if g.inside < 0.5})
    if outside:
        lines.append(f"Mostly outside the band: {', '.join(outside)}. One Keras seed against {n} PyTorch seeds "
                     "cannot tell a different implementation from a wide spread of outcomes across seeds; "
                     f"compare more seeds (--seeds, --keras-seed) before concluding.")
    return lines
