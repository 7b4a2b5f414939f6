"""The lab's text report: for each experiment, the article's claim, what the runs measure,
and losslens's diagnosis of every seed, compared with what the runs really show.

Every number in the report is computed from the runs; the only fixed text is the article's
claim and, in :mod:`losslens.lab.experiments`, the expected verdict to compare with.
"""

from __future__ import annotations

from collections import Counter
from typing import Optional, Sequence

import numpy as np

from ..diagnosis import NOISE_FLOOR_NEAR
from .runner import ArmResult, ExperimentResult, LabResult


def pm(values, digits: int = 3) -> str:
    """``mean ± sd`` (sample sd) of ``values`` with ``digits`` significant digits; one seed's value alone."""
    v = np.asarray(values, dtype=float)
    if v.size == 1:  # no spread to quote: "± 0" would claim seeds that agree
        return f"{v[0]:.{digits}g}"
    sd = float(v.std(ddof=1)) if v.size > 1 else 0.0
    return f"{v.mean():.{digits}g} ± {sd:.{max(2, digits - 1)}g}"


def seeds_said(n: int) -> str:
    """How a retraining check's figures were pooled: ``5 seeds, means``, or ``1 seed``."""
    return f"{n} seeds, means" if n != 1 else "1 seed"


def counts_text(counts: Counter, n: int) -> str:
    return ", ".join(f"{v} {k}/{n}" for v, k in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))) or "none"


def tail_change(curves: np.ndarray, last: int = 10) -> np.ndarray:
    """Relative change of each curve over its last ``last`` epochs: (end - start) / start, shape (n_seeds,)."""
    last = min(last, curves.shape[1] - 1)
    a, b = curves[:, -last - 1], curves[:, -1]
    return (b - a) / np.abs(a)


def floor_text(val_losses, noise_floor: float, seeds: Optional[Sequence[int]] = None) -> str:
    """Validation losses against the noise floor (the data's noise variance: no model gets lower), one per seed
    (``seeds`` names them). "At the floor" is each seed's, as the diagnosis reads it (within ``NOISE_FLOOR_NEAR``):
    a mean of 1.1 said "at the floor: nothing left to learn" beside seeds at 1.42x and 1.33x whose diagnoses list
    data_limited."""
    ratio = np.asarray(val_losses, dtype=float) / noise_floor
    text = f"val loss / noise floor {noise_floor:g} = {pm(ratio, 2)}"
    if ratio.mean() > NOISE_FLOOR_NEAR:
        return text + (" (near the floor)" if ratio.mean() < 2 else f" ({_times(ratio.mean())} above the floor)")
    above = [i for i, r in enumerate(ratio) if not r <= NOISE_FLOOR_NEAR]
    if not above:
        return text + " (at the floor: nothing left to learn)"
    names = [str(seeds[i]) if seeds is not None else f"#{i + 1}" for i in above]
    return (text + f" (at the floor, within {NOISE_FLOOR_NEAR:g}x, in {len(ratio) - len(above)}/{len(ratio)} seeds; "
            f"seed{'s' * (len(above) != 1)} {', '.join(names)} at {', '.join(_times(ratio[i]) for i in above)})")


def _times(x: float) -> str:
    """``2.5x``, ``82x``: two digits (``:.0f`` made a mean of 2.5 "2x")."""
    return f"{x:.2g}x" if x < 10 else f"{x:.0f}x"


def retrained_floor(a: ArmResult, r) -> Optional[str]:
    """Where a retraining check's runs ended against the noise floor, with the lr they ran at: what the
    runs show says "Adam(1e-2) reaches the floor", and this is that claim measured."""
    floor = a.meta.get("noise_floor")
    if (floor is None or r.shared or not r.per_seed or r.check.statistic != "end"
            or r.check.metric not in (None, "val_loss")):
        return None
    factor = r.check.change.get("lr_factor")
    at = f"at lr {a.arm.lr * factor:g}" if factor else f"with {r.check.name}"
    if r.began is not None:
        at += f" from epoch {r.began:g} on"
    return f"retrained {at}, {len(r.per_seed)} seed{'s' * (len(r.per_seed) != 1)}: " \
           f"{floor_text(r.per_seed, floor, a.seeds)} (per seed: {', '.join(f'{v:.3g}' for v in r.per_seed)})"


def step_floor(e: ExperimentResult) -> str:
    """What the experiment's ``step_arm`` retrained at ten times its step (its lr_too_low check, from the start,
    as many epochs) reached, against the noise floor, each seed by the floor's own bar (``NOISE_FLOOR_NEAR``):
    `` (at Adam(0.01) 1 of 5 seeds reach the floor in the same 50 epochs; the others end 1.3–7.3x above it)``.
    Empty where the arm was not retrained so (the lab without its checks, another verdict)."""
    exp = e.experiment
    a = next((a for a in e.arms if a.arm.key == exp.step_arm), None)
    if a is None or a.verification is None or exp.noise_floor is None:
        return ""
    r = next((r for r in a.verification.results if r.check.change.get("lr_factor", 1) > 1 and r.began is None
              and r.check.statistic == "end" and r.check.metric in (None, "val_loss") and r.per_seed
              and not r.shared), None)
    if r is None:
        return ""
    ratio = np.asarray(r.per_seed, dtype=float) / exp.noise_floor
    near = ratio <= NOISE_FLOOR_NEAR
    n, k = len(ratio), int(near.sum())
    opt = a.arm.optimizer_name
    epochs = a.meta.get("epochs", exp.epochs)
    text = (f" (at {opt}({a.arm.lr * r.check.change['lr_factor']:g}) {k} of {n} seed{'s' * (n != 1)} "
            f"reach{'es' * (k == 1 and n == 1)} the floor, within {NOISE_FLOOR_NEAR:g}x, in the same {epochs} epochs")
    if k < n:
        far = ratio[~near]
        ends = _times(far[0]) if far.size == 1 else f"{_times(far.min()).rstrip('x')}–{_times(far.max())}"
        others = "the other ends" if k and far.size == 1 else ("the others end" if k else "they end")
        text += f"; {others} {ends} above it"
    return text + ")"


def arm_measurements(exp_classes: Optional[int], noise_floor: Optional[float], a: ArmResult) -> list[str]:
    """Plain-number findings of one arm over its seeds."""
    lines = [f"final train loss {pm(a.final('loss'))}, final val loss {pm(a.final('val_loss'))}"]
    val = a.curves("val_loss")
    if noise_floor is not None:
        lines.append(floor_text(a.final("val_loss"), noise_floor, a.seeds))
        gap = a.final("val_loss") - a.final("loss")
        lines.append(f"gap val − train at the end {pm(gap, 2)}")
    change = tail_change(val)
    falling = int(np.sum(change < -0.02))
    lines.append(f"last {min(10, val.shape[1] - 1)} epochs changed val loss by {pm(100 * change, 2)} % (fell > 2 % in {falling}/{len(change)} seeds)")
    if exp_classes:
        chance = 1.0 / exp_classes
        acc = a.curves("val_accuracy")[:, -10:].mean(1)
        tr = a.curves("accuracy")[:, -10:].mean(1)
        n_val = a.meta.get("n_val")
        binom = f" (a guesser's sd on {n_val} images: {np.sqrt(chance * (1 - chance) / n_val):.2g})" if n_val else ""
        lines.append(f"val accuracy (mean of the last 10 epochs) {pm(acc, 2)} vs chance {chance:g}{binom}; "
                     f"train accuracy {pm(tr, 2)} (per seed: {', '.join(f'{v:.2f}' for v in tr)})")
        rose = int(np.sum(val[:, -1] > val.min(1) + 0.02 * np.abs(val.min(1))))
        lines.append(f"val loss ended above its minimum in {rose}/{len(val)} seeds "
                     f"(first epoch {pm(val[:, 0])}, minimum {pm(val.min(1))}, last {pm(val[:, -1])})")
    return lines


def comparison(e: ExperimentResult) -> list[str]:
    """Arm-vs-arm: which ends lower, in how many seeds."""
    if len(e.arms) != 2:
        return []
    a, b = e.arms
    va, vb = a.final("val_loss"), b.final("val_loss")
    wins = int(np.sum(va < vb))
    return [f"{a.arm.label} ends with lower val loss than {b.arm.label} in {wins}/{len(va)} seeds "
            f"(ratio {pm(va / vb, 2)})"]


def size_check_lines(a: ArmResult) -> list[str]:
    """The seeds that read underfitting, retrained with a model twice the size: the checks, the bigger
    model's training and validation accuracy against chance, and what that says of the reading."""
    v = a.size_check
    if v is None:
        return []
    seeds = ", ".join(map(str, v.seeds))
    which = f"seed{'s' * (len(v.seeds) != 1)} {seeds} (underfitting)"
    lines = [f"{which} checked by retraining ({seeds_said(len(v.seeds))}): {r.line()}" for r in v.results]
    runs = next((r.runs for r in v.results if r.runs), [])
    classes = a.meta.get("classes")
    if not runs or not classes or not all(r.has("train_acc") and r.has("val_acc") for r in runs):
        return lines + ([f"{which}: the underfitting reading is "
                         f"{'confirmed' if v.holds('underfitting') else 'not confirmed'} by a model twice the size"])
    chance, n_val = 1.0 / classes, a.meta.get("n_val")
    tr = np.array([r.train_acc[-10:].mean() for r in runs])
    va = np.array([r.val_acc[-10:].mean() for r in runs])
    sd = np.sqrt(chance * (1 - chance) / n_val) if n_val else None
    # At chance: within 2 binomial sds of a guesser's score (the same test the verdict's own evidence quotes).
    at_chance = sd is not None and bool(np.all(np.abs(va - chance) <= 2 * sd))
    fitted = bool(np.all(tr > chance + 0.1))
    lines.append(f"{which}, the model twice the size: train accuracy {', '.join(f'{x:.2f}' for x in tr)}, "
                 f"val accuracy {', '.join(f'{x:.2f}' for x in va)} (means of the last 10 epochs) vs chance "
                 f"{chance:g}" + (f" (a guesser's sd on {n_val} images: {sd:.2g})" if sd else ""))
    if v.holds("underfitting"):
        lines.append(f"{which}: underfitting confirmed: the bigger model fits training and validation better")
    elif fitted and at_chance:
        lines.append(f"{which}: the underfitting reading is NOT confirmed: the bigger model fits its training "
                     "labels and validation stays at chance: no signal")
    else:
        lines.append(f"{which}: the underfitting reading is NOT confirmed by a model twice the size")
    return lines


def diagnosis_lines(a: ArmResult) -> list[str]:
    n = len(a.diagnoses)
    lines = [f"verdicts: {counts_text(a.verdicts(), n)}"]
    xs = [d.plateau_epoch for d in a.diagnoses if d.plateau_epoch is not None]
    if xs:
        lines.append(f"plateau X (epoch, where one was found): {', '.join(f'{x:g}' for x in xs)}")
    top = a.diagnoses[0].causes[0] if a.diagnoses else None
    if top is not None and top.evidence:
        lines.append(f"evidence ({a.runs[0].name}): {top.evidence[0]}")
    others = Counter(c.id for d in a.diagnoses for c in d.causes[1:])
    if others:
        # (which seeds, where not all: the measurements above are means over seeds that may differ)
        which = {k: [s for s, d in zip(a.seeds, a.diagnoses) if k in d.cause_ids()[1:]] for k in others}
        lines.append("secondary causes: " + ", ".join(
            f"{k} {v}/{n}" + (f" (seed{'s' * (v != 1)} {', '.join(map(str, which[k]))})" if v < n else "")
            for k, v in sorted(others.items(), key=lambda kv: (-kv[1], kv[0]))))
    v = a.verification
    if v is not None:
        for r in v.results:
            lines.append(f"checked by retraining ({seeds_said(len(a.seeds))}): {r.line()}")
            floor = retrained_floor(a, r)
            if floor:
                lines.append(floor)
        lines += size_check_lines(a)
        # Only the majority verdict is retrained (and underfitting, by size_check_lines); the seeds that read
        # otherwise are left unchecked, and said so.
        others = {k: n for k, n in a.verdicts().items()
                  if k != a.majority() and not (k == "underfitting" and a.size_check is not None)}
        if others:
            lines.append(f"not checked by retraining (only the majority verdict is): "
                         f"{counts_text(Counter(others), len(a.diagnoses))}")
    agree = a.agrees()
    if agree is None and a.arm.expected and a.meta.get("expected_at_epochs") not in (None, a.meta.get("epochs")):
        lines.append(f"not compared: what the runs show ({a.arm.expected}) was measured at "
                     f"{a.meta['expected_at_epochs']} epochs, these ran {a.meta.get('epochs')}")
    if agree is not None:
        lines.append("agrees with what the runs show" if agree else
                     f"DISAGREES: the runs show {a.arm.expected}; see the saved runs {a.arm.key}_seed*.json")
    return lines


def experiment_lines(e: ExperimentResult) -> tuple[str, list]:
    """The heading "Measured (...)" and the report's lines of ``e`` under it, nested as :func:`experiment_text`
    indents them: a line is a string, or ``(heading, lines)`` for the lines under a heading (each arm's measurements;
    "losslens's diagnosis", each arm's under it). The HTML report's list, nested alike: flattened, every line
    repeated its arm's label and "losslens's diagnosis"."""
    exp = e.experiment
    n = len(e.arms[0].seeds) if e.arms else 0
    epochs = e.arms[0].meta.get("epochs", exp.epochs) if e.arms else exp.epochs
    measured = (f"Measured ({n} seeds x {epochs} epochs, mean ± sd over seeds)" if n != 1 else
                f"Measured (1 seed x {epochs} epochs)")
    lines = [f"The article says: {exp.claim}.",
             f"What a run as written shows{'' if epochs == exp.epochs else f' (at the article’s {exp.epochs} epochs; these ran {epochs})'}: "
             f"{exp.truth}{step_floor(e)}."]
    lines += [(a.arm.label, arm_measurements(exp.classes, exp.noise_floor, a)) for a in e.arms]
    lines += comparison(e)
    lines.append(("losslens's diagnosis (each seed's run)", [(a.arm.label, diagnosis_lines(a)) for a in e.arms]))
    return measured, lines


def experiment_text(e: ExperimentResult) -> str:
    exp = e.experiment
    measured, lines = experiment_lines(e)
    out = [exp.title, "-" * min(len(exp.title), 100)] + lines[:2] + [measured + ":"]  # the claim, the truth
    for a in e.arms:
        out.append(f"  {a.arm.label}:")
        out += [f"    - {line}" for line in arm_measurements(exp.classes, exp.noise_floor, a)]
    out += [f"  - {line}" for line in comparison(e)]
    out.append("losslens's diagnosis (each seed's run):")
    for a in e.arms:
        out.append(f"  {a.arm.label}:")
        out += [f"    - {line}" for line in diagnosis_lines(a)]
    return "\n".join(out)


def head_lines(result: LabResult) -> list[str]:
    """The report's opening sentences: seeds, the set-up, the time, how many verdicts agree and held."""
    arms = result.arms()
    agree = [a.agrees() for a in arms if a.agrees() is not None]
    head = [f"{len(result.seeds)} seed{'s' * (len(result.seeds) != 1)} ({', '.join(map(str, result.seeds))}); "
            "PyTorch re-implementation with "
            "Keras's defaults (glorot-uniform weights, zero biases, batch 32 reshuffled every epoch, "
            "Adam lr 1e-3 eps 1e-7, SGD lr 0.01).",
            f"Trained in {result.seconds:.1f} s on {result.threads} thread(s)"
            + (f"; each verdict checked by retraining in {result.verify_seconds:.1f} s more." if result.verify_seconds
               else "."),
            (f"losslens agrees with what the runs show for {sum(agree)}/{len(agree)} model/optimizer settings."
             if agree else "What the runs show was measured at the article's epochs, not these: "
                           "losslens's verdicts are not compared with it.")]
    verified = [a for a in arms if a.verification is not None]
    if verified:
        from ..verification import end_points

        epochs = max(len(h["val_loss"]) for a in arms for h in a.histories)
        # A verdict confirmed only in part (converged's lr / 10 held, its twice the epochs not decided) is counted
        # as that: "5/5" claimed the check that did not decide.
        part = [a for a in verified if a.verification.confirmed is True and a.verification.unrun]
        full = sum(a.verification.confirmed is True for a in verified) - len(part)
        said = "".join(f", in part for {a.arm.label} ({', '.join(r.check.name for r in a.verification.unrun)} "
                       f"{'not decided' if a.verification.unrun[0].value is not None else 'not run'})"
                       for a in part)
        head.append(f"Its verdict was confirmed by retraining with the counterfactual for "
                    f"{full}/{len(verified)} of them{said}. Where a check says a loss "
                    f"“ends”, it is the median of the last {end_points(epochs)} epochs (one noisy epoch decides "
                    "nothing), not the final value the measurements quote.")
    sized = [a.size_check for a in arms if a.size_check is not None]
    if sized:
        n = sum(len(v.seeds) for v in sized)
        held = sum(len(v.seeds) for v in sized if v.holds("underfitting"))
        head.append(f"The {n} seed{'s' * (n != 1)} that read underfitting beside another majority were retrained "
                    f"with a model twice the size: underfitting confirmed for {held}/{n}"
                    + (" (see the experiment's lines)." if held < n else "."))
    return head


def lab_text(result: LabResult, extra: Sequence[str] = ()) -> str:
    """The whole report as text (Markdown-friendly)."""
    which = ("three experiments" if len(result.experiments) == 3 else
             f"experiment{'s' * (len(result.experiments) > 1)} " + ", ".join(e.experiment.title.split(".")[0] for e in result.experiments))
    head = [f"# losslens lab: the article's {which}, measured", ""] + head_lines(result) + [""]
    body = [experiment_text(e) + "\n" for e in result.experiments]
    return "\n".join(head + body + list(extra)).rstrip() + "\n"


def write_reports(result: LabResult, out_dir, title: str = "losslens lab: the article's experiments",
                  extra: Sequence[str] = ()) -> list:
    """Write ``report.md`` (text) and, when the HTML report is available, ``report.html``.

    Returns the paths written.
    """
    from pathlib import Path

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.md"]
    paths[0].write_text(lab_text(result, extra), encoding="utf-8")
    try:
        from ..report.html import write_report
    except ImportError:  # the HTML report is optional
        return paths
    diagnoses = [d for a in result.arms() for d in a.diagnoses]
    # The page the demo sends a reader to carries the same claims, figures and checks as report.md.
    # The summary above the overview, each experiment's lines folded under it: a reader looks at the runs first.
    sections = []
    for e in result.experiments:
        measured, lines = experiment_lines(e)
        sections.append((e.experiment.title, lines, measured))
    paths.append(write_report(diagnoses, out / "report.html", title=title, note_sections=sections,
                              lead=("The article's experiments, measured", head_lines(result)),
                              notes=[line.strip() for line in extra[1:] if line.strip()],
                              notes_title=extra[0].lstrip("# ") if extra else ""))
    return paths
