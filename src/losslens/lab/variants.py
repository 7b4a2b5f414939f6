"""Variants of the article's experiments that make each claimed phenomenon real.

- :func:`overfit` — 32 noisy points (noise sd 0.5): the 64-128-64 net, trained full-batch,
  memorises them and its validation loss rises; weight decay, dropout and the linear
  model are the candidate fixes, each measured.
- :func:`data_limited` — scikit-learn's bundled 8x8 digits at 10 … 100 images per class:
  a learning curve over training-set size (Viering & Loog, 2022, "The shape of learning
  curves") whose slope at the largest size says whether more data still pays; and
  augmentation (sub-pixel shifts, small rotations) at 100 images per class.
- :func:`lr_too_high` — a linear model on noisy data (noise sd 0.5, 64 points, batch 8)
  with SGD at a step near the stability limit: it bounces around the minimum (the
  optimizer noise floor grows with the step), against a decaying step and against Adam.

Each variant's result says whether losslens's diagnosis names the phenomenon the variant
shows, and the numbers that show it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from . import data as lab_data
from . import nets
from ..facts.learning_curve import CURVE_VALUES
from .experiments import Arm, Experiment
from .report import counts_text, pm
from .runner import ArmResult, save_runs, torch_threads, train_arm


@dataclass
class VariantResult:
    """One variant: its arms (trained and diagnosed), findings, and whether the diagnosis names ``phenomenon``."""

    name: str
    title: str
    phenomenon: str
    arms: list[ArmResult]
    findings: list[str] = field(default_factory=list)
    named: Optional[bool] = None
    extra: dict = field(default_factory=dict)

    def arm(self, key: str) -> ArmResult:
        return next(a for a in self.arms if a.arm.key == key)

    def arm_lines(self) -> list[str]:
        """One line per arm: its final and best validation loss, final training loss and verdicts over the seeds."""
        return [f"{a.arm.label}: final val loss {pm(a.final('val_loss'))}, best {pm(a.curves('val_loss').min(1))}, "
                f"final train loss {pm(a.final('loss'))}; losslens: {counts_text(a.verdicts(), len(a.seeds))}"
                for a in self.arms]

    def answer(self) -> str:
        verdict = {True: "yes", False: "NO (see the saved runs)", None: "n/a"}[self.named]
        return f"Does losslens name the phenomenon ({self.phenomenon})? {verdict}"

    def text(self) -> str:
        lines = [f"## {self.title}", ""] + [f"- {line}" for line in self.arm_lines()]
        lines += [""] + [f"- {f}" for f in self.findings]
        lines += ["", self.answer()]
        return "\n".join(lines)


def _train(exp: Experiment, seeds, threads: int = 1, **kw) -> list[ArmResult]:
    # One torch thread: these models are tiny, and on a busy machine a second spinning
    # thread can make training ten times slower (see runner.run_seed_lab).
    with torch_threads(threads):
        return [train_arm(exp, arm, seeds, **kw) for arm in exp.arms]


# ---- 1. overfitting ----------------------------------------------------------------------------

def overfit(seeds: Sequence[int] = range(3), epochs: int = 600) -> VariantResult:
    """The deep net on 32 noisy points, full-batch Adam(3e-3), against its fixes."""
    deep = lambda s, dropout=0.0: nets.mlp(2, (64, 128, 64), 1, s, dropout=dropout)  # noqa: E731
    exp = Experiment(
        key="overfit", title="", claim="", truth="",
        make_data=partial(lab_data.linear_2d, n_train=32, n_val=200, noise_sd=0.5),
        arms=(
            Arm("overfit_deep", "64-128-64 MLP", deep, lr=3e-3, expected="overfitting"),
            Arm("overfit_weight_decay", "same + weight decay 3 (AdamW)", deep, lr=3e-3,
                options={"weight_decay": 3.0}),
            Arm("overfit_dropout", "same + dropout 0.3", partial(deep, dropout=0.3), lr=3e-3),
            Arm("overfit_linear", "linear model, Adam(0.05)", lambda s: nets.linear(2, s), lr=0.05),
        ),
        noise_floor=0.25, epochs=epochs, batch_size=32,
    )
    arms = _train(exp, seeds)
    base = arms[0]
    findings = [f"noise floor 0.25; the deep net's training loss ends at {pm(base.final('loss'))}, below the floor: "
                "it fits the noise"]
    best = base.curves("val_loss").min(1)
    findings.append(f"deep net: validation loss rose from its minimum {pm(best)} (epoch "
                    f"{pm(base.curves('val_loss').argmin(1), 2)}) to {pm(base.final('val_loss'))}")
    for a in arms[1:]:
        lower = int(np.sum(a.final("val_loss") < base.final("val_loss")))
        findings.append(f"{a.arm.label}: final val loss lower than the deep net's in {lower}/{len(a.seeds)} seeds; "
                        f"overfitting verdicts {a.verdicts().get('overfitting', 0)}/{len(a.seeds)}")
    named = base.verdicts().get("overfitting", 0) * 2 > len(base.seeds)
    return VariantResult("overfit", "Variant 1: a training set small enough for the deep net to overfit",
                         "overfitting", arms, findings, named)


# ---- 2. data-limited: a learning curve ----------------------------------------------------------

def learning_curve(losses_by_size: dict[int, np.ndarray]):
    """Best validation loss per training-set size (one value per seed) as learning-curve facts."""
    from ..facts.learning_curve import learning_curve_facts
    return learning_curve_facts(losses_by_size)


def learning_curve_cause(lc):
    """The diagnosis's data_limited rule applied to a learning curve (the rule lives in diagnosis.py)."""
    from ..diagnosis import learning_curve_cause as rule
    return rule(lc)


def _digits_data(seed: int, per_class: int):
    x_tr, y_tr, x_va, y_va = lab_data.digits_split(seed, per_class)
    return x_tr, y_tr, x_va, y_va


def data_limited(seeds: Sequence[int] = range(3), per_class: Sequence[int] = (10, 20, 40, 70, 100),
                 steps: int = 1200, augment: bool = True) -> VariantResult:
    """Digits at ``per_class`` images per class (MLP 64-64-10, Adam(3e-3), batch 32, about ``steps``
    steps at every size so that small sets are not under-trained), the learning curve over the
    sizes, and augmentation at the largest size."""
    from .augment import shift_rotate

    seeds = list(seeds)
    model = lambda s: nets.mlp(64, (64,), 10, s)  # noqa: E731
    flat = lambda pc, s: tuple(a.reshape(a.shape[0], -1) if a.ndim > 2 else a  # noqa: E731
                               for a in _digits_data(s, pc))
    arms_spec = []
    for pc in per_class:
        epochs = max(40, math.ceil(steps / math.ceil(pc * 10 / 32)))
        arms_spec.append(Arm(f"digits_{pc}_per_class", f"{pc} per class ({pc * 10} images)", model, lr=3e-3,
                             options={"epochs": epochs}, data=partial(flat, pc)))
    top = per_class[-1]
    top_epochs = arms_spec[-1].options["epochs"]
    if augment:
        img = lambda s: nets.mlp(64, (64,), 10, s)  # noqa: E731
        aug = shift_rotate()
        flat_aug = lambda x, g: aug(x.unflatten(-1, (1, 8, 8)), g).flatten(2)  # noqa: E731
        arms_spec.append(Arm(f"digits_{top}_per_class_augmented", f"{top} per class + shifts/rotations", img,
                             lr=3e-3, options={"epochs": 2 * top_epochs, "augment": flat_aug},
                             data=partial(flat, top)))
    exp = Experiment(key="digits", title="", claim="", truth="", make_data=partial(flat, top),
                     arms=tuple(arms_spec), classification=True, classes=10)
    arms = _train(exp, seeds)
    sized = arms[:len(per_class)]
    lc = learning_curve({pc * 10: a.curves("val_loss").min(1) for pc, a in zip(per_class, sized)})
    cause = learning_curve_cause(lc)
    findings = ["learning curve (best val loss, mean over seeds): "
                + ", ".join(f"{int(n)} images {v:.3g}" for n, v in zip(lc.sizes, lc.losses.mean(0))),
                f"slope over the five largest sizes d log(loss)/d log(n) = {pm(lc.slopes, 2)}: doubling the data would lower "
                f"the validation loss by ~{lc.gain_if_doubled:.0%}"]
    top_arm = sized[-1]
    findings.append(f"at {top * 10} images a single run says: {counts_text(top_arm.verdicts(), len(seeds))} "
                    "(one curve cannot tell whether more data pays; the learning curve can)")
    if augment:
        a = arms[-1]
        lower = int(np.sum(a.curves("val_loss").min(1) < top_arm.curves("val_loss").min(1)))
        findings.append(f"augmentation: best val loss {pm(a.curves('val_loss').min(1))} vs {pm(top_arm.curves('val_loss').min(1))} "
                        f"without; lower in {lower}/{len(seeds)} seeds")
    # (the curve itself is the first finding: its evidence line is left out)
    said = [e for e in cause.evidence if getattr(e, "kind", None) != CURVE_VALUES] if cause else []
    findings.append("learning-curve diagnosis: " + (f"data_limited ({'; '.join(said)})"
                                                     if cause else "not data-limited at the largest size"))
    return VariantResult("data", "Variant 2: a data-limited plateau on scikit-learn's digits (8x8)",
                         "data_limited", arms, findings, cause is not None,
                         {"learning_curve": lc, "cause": cause})


# ---- 3. a step too large ------------------------------------------------------------------------

def lr_too_high(seeds: Sequence[int] = range(5), epochs: int = 60, lr: float = 0.5) -> VariantResult:
    """SGD with a fixed step ``lr`` near the stability limit vs. the same step decayed (lr / (1 + epoch/3)) vs. Adam(0.01)."""
    decay = lambda e: lr / (1 + e / 3.0)  # noqa: E731
    lin = lambda s: nets.linear(1, s)  # noqa: E731
    exp = Experiment(
        key="lr", title="", claim="", truth="",
        make_data=partial(lab_data.linear_1d, n_train=64, n_val=200, noise_sd=0.5),
        arms=(
            Arm("lr_sgd_fixed", f"SGD({lr}) fixed", lin, optimizer="sgd", lr=lr, expected="lr_too_high"),
            Arm("lr_sgd_decayed", f"SGD({lr}) decayed as 1/(1 + epoch/3)", lin, optimizer="sgd", lr=lr,
                options={"lr_schedule": decay}),
            Arm("lr_adam", "Adam(0.01)", lin, lr=0.01),
        ),
        noise_floor=0.25, epochs=epochs, batch_size=8,
    )
    arms = _train(exp, seeds)
    fixed = arms[0]
    tail = lambda a: a.curves("val_loss")[:, -15:]  # noqa: E731
    findings = [f"noise floor 0.25; over the last 15 epochs the val loss of {a.arm.label} averages "
                f"{pm(tail(a).mean(1))} and bounces with sd {pm(tail(a).std(1, ddof=1), 2)}" for a in arms]
    for a in arms[1:]:
        lower = int(np.sum(tail(a).mean(1) < tail(fixed).mean(1)))
        findings.append(f"{a.arm.label} sits lower than the fixed step in {lower}/{len(a.seeds)} seeds")
    named = fixed.verdicts().get("lr_too_high", 0) * 2 > len(fixed.seeds)
    mentioned = sum(any(c.id == "lr_too_high" for c in d.causes) for d in fixed.diagnoses)
    findings.append(f"lr_too_high among the fixed step's causes in {mentioned}/{len(fixed.seeds)} seeds")
    return VariantResult("lr", "Variant 3: an SGD step large enough to bounce around the minimum",
                         "lr_too_high", arms, findings, named)


VARIANTS = {"overfit": overfit, "data": data_limited, "lr": lr_too_high}


TITLE = "losslens lab: variants that make each phenomenon real"
#: Before each saved run's name: variant_lr_adam_seed0.json.
PREFIX = "variant_"


def write_reports(results: Sequence[VariantResult], out_dir) -> list[Path]:
    """Write ``variants.md`` (text) and, when the HTML report is available, ``report.html`` into ``out_dir``, as the
    demo writes its ``report.md`` and ``report.html`` (:func:`losslens.lab.report.write_reports`): every run's chart
    and card, the variants' measurements and findings above them. Returns the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "variants.md"]
    paths[0].write_text(f"# {TITLE}\n\n" + "\n\n".join(r.text() for r in results) + "\n", encoding="utf-8")
    try:
        from ..report.html import write_report
    except ImportError:  # the HTML report is optional
        return paths
    from dataclasses import replace

    # (under the names of the files :func:`save` writes, as `losslens diagnose OUT/runs` names them)
    diagnoses = [replace(d, run_name=PREFIX + d.run_name) for r in results for a in r.arms for d in a.diagnoses]
    # Each variant's answer above the overview, its measurements folded under it (as the demo's page).
    sections = [(r.title, r.arm_lines() + list(r.findings) + [r.answer()], r.answer()) for r in results]
    paths.append(write_report(diagnoses, out / "report.html", title=TITLE, note_sections=sections,
                              lead=("Variants that make each phenomenon real", [f"{r.title}: {r.answer()}"
                                                                                  for r in results])))
    return paths


def save(result: VariantResult, out_dir) -> list[Path]:
    """Save every run of ``result`` as Keras-History-style JSON under ``out_dir/runs``."""
    return save_runs(result.arms, out_dir, prefix=PREFIX)
