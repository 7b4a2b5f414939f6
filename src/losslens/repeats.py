"""Repeats of one experiment: folds of a cross-validation, seeds of one setting, read as repeats, not a sweep.

A folder of ``fold_0`` ... ``fold_4`` (or a long table with a ``fold`` or ``seed`` column) holding one setting run
several times is no sweep: ranking its runs ranks the validation sets (folds) or the luck of the draw (seeds), and one
repeat's verdict is one draw of it. Walk 46: a 5-fold cross-validation of an MLP on digits read "best val_loss: fold_2,
0.08045" and fold_1 alone "converged 89%", where the folds' mean was still falling (80 epochs instead of 40 took the
mean 0.112 -> 0.098, -12%; fold_1 6.3%). So the repeats are read once more on their mean curve, with the spread across
them, each one's own verdict where they disagree, and a repeat far outside the others (a seed run at another lr that
diverged) left out of the mean and said.

Where every repeat reads one verdict, that is the group's reading, and the mean's only beside it: averaging curves that
move out of step draws a shape none of them has. Walk 46's two seeds of a digits MLP at Adam 0.05 each read lr_too_high
(71%, 84%: each bounces off its floor, at other epochs); their mean read "overfitting, plateau at epoch 0 (99%)", its
first action early stopping, where lr / 10 took both seeds' last val_loss 2.68 -> 0.138 and their best 0.37 -> 0.116.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

#: What names a repeat of one setting: a run (folder or file) named ``fold_3``, ``seed-1``, ``repeat2``, or a table's
#: run column of that name (``fold=3``). Ray's ``trial_N`` and a bare ``run_N`` are left out: a sweep names its runs so.
_REPEAT = re.compile(r"^(?:cv_?fold|fold_?idx|k?fold|seed|random_seed|repeat|rep|replicate|replica)[_\-= ]?(\d+)$",
                     re.IGNORECASE)

#: A repeat whose value (final and smoothed best of the curve diagnosed) sits farther from the other repeats' median
#: than this many times their whole range is left out of the mean: walk 46's seeds ended 0.0659-0.0732 and the one run
#: at lr 2.0 at 2.32 (300 ranges away), its folds 0.0805-0.148, the farthest 0.5 ranges from the others' median. Not
#: measured on a benchmark (its cases are single runs); 3 ranges lets a third as much spread again through.
OUTLIER_RANGES = 3.0


@dataclass
class Repeats:
    """One setting run several times, as :func:`find_repeats` reads it.

    ``members``: the indices of the repeats among the diagnoses given; ``left_out``: those left out of the mean, each
    with why (a sentence); ``kind``: what tells them apart (``fold``, ``seed`` ...); ``mean``: the Diagnosis of the
    mean curve of those kept (None where it could not be read); ``final`` / ``best``: ``(mean, sd, lo, hi)`` of the
    kept repeats' last finite value and smoothed best of the curve diagnosed, in its units (sd with ddof 1);
    ``agreed``: the verdict every kept repeat reads (None where they differ), the group's reading."""

    members: list[int]
    kind: str
    left_out: list[tuple[int, str]] = field(default_factory=list)
    mean: object = None
    final: tuple | None = None
    best: tuple | None = None
    agreed: str | None = None

    def overruled(self) -> bool:
        """Every kept repeat reads one verdict and the mean curve another (or none): theirs is the group's."""
        return self.agreed is not None and (self.mean is None or self.mean.verdict != self.agreed)


def repeat_kind(d) -> str | None:
    """``"fold"``, ``"seed"`` ... where the run's name (or its table's run column) names it a repeat, else None."""
    run = getattr(d, "run", None)
    meta = getattr(run, "meta", None) or {}
    names = [str(meta["run_id"])] if meta.get("run_column") and meta.get("run_id") is not None else []
    names.append(str(getattr(d, "run_name", "") or ""))
    for name in names:
        m = _REPEAT.match(name.strip())
        if m:
            word = re.sub(r"[_\-= ]?\d+$", "", name.strip()).lower()
            return "fold" if "fold" in word else "seed" if "seed" in word else "repeat"
    return None


def find_repeats(diagnoses) -> list[Repeats]:
    """The groups of runs that are repeats of one setting: of one experiment (:func:`losslens.result.experiments`),
    read on one held-out metric, all named as repeats of one kind (:func:`repeat_kind`), on one axis, and with no
    saved setting or lr that differs between them (runs that differ in a setting are a sweep, kept as one). Each group
    is read on its mean curve (:func:`read_repeats`)."""
    from .report.text import differing_settings, learning_rates
    from .result import comparable, experiments

    diagnoses = list(diagnoses)
    if len(diagnoses) < 2 or not comparable(diagnoses):
        return []
    out = []
    for group in experiments(diagnoses):
        ds = [diagnoses[i] for i in group]
        kinds = {repeat_kind(d) for d in ds}
        if len(ds) < 2 or len(kinds) != 1 or None in kinds or len({d.axis for d in ds}) != 1:
            continue
        lrs = learning_rates(ds) or []
        if len({lr for lr in lrs if lr is not None}) > 1 or differing_settings(ds):
            continue
        out.append(read_repeats(diagnoses, group, kinds.pop()))
    return out


#: Verdicts naming one fault at two strengths, a step too large that bounced the loss (lr_too_high) or threw it away
#: (diverged), their first action one ("lower the learning rate"): repeats split between them, each listing
#: lr_too_high as likely, agree on it. (Two seeds at Adam 0.05 on digits read lr_too_high 71% and diverged 97% beside
#: lr_too_high 71%; their mean curve, overfitting 99%, told them to stop early where lr / 10 ended 94.8% lower.)
STEP_TOO_LARGE = frozenset({"lr_too_high", "diverged"})


def agreed_verdict(diagnoses) -> str | None:
    """The verdict every one of ``diagnoses`` (2 or more repeats) reads, else None; ``lr_too_high`` where they split
    between it and ``diverged`` (:data:`STEP_TOO_LARGE`) and each lists it as likely."""
    diagnoses = list(diagnoses)
    verdicts = {d.verdict for d in diagnoses}
    if len(diagnoses) < 2:
        return None
    if len(verdicts) == 1:
        return verdicts.pop()
    if verdicts <= STEP_TOO_LARGE and all(_confidence_of(d, "lr_too_high") is not None for d in diagnoses):
        return "lr_too_high"
    return None


def _confidence_of(d, cause_id: str) -> float | None:
    """``d``'s confidence in ``cause_id`` where it reads it or lists it as likely, else None."""
    return next((c.confidence for c in d.causes if c.id == cause_id and (c is d.cause or c.status == "likely")), None)


def group_reading(diagnoses, names, mean):
    """``(the Diagnosis a group of repeats is read by, its index among diagnoses or None for the mean)``: the mean
    curve's (``mean``), except where every repeat reads one verdict and the mean another (or could not be read): then
    the repeat surest of that verdict (the first name of a tie, so in no order of theirs). Averaging repeats whose
    curves move out of step draws a shape none of them has (module docstring: two seeds bouncing at lr 0.05 read
    overfitting on their mean)."""
    agreed = agreed_verdict(diagnoses)
    if agreed is None or (mean is not None and mean.verdict == agreed):
        return mean, None
    reading = [k for k in range(len(diagnoses)) if diagnoses[k].verdict == agreed]
    i = min(reading, key=lambda k: (-diagnoses[k].cause.confidence, str(names[k])))
    return diagnoses[i], i


def last_value(d) -> float:
    """The last finite value of the curve diagnosed, NaN where there is none."""
    y = np.asarray(d.run.series.get(d.metric, []), dtype=float) if getattr(d, "run", None) is not None else []
    y = np.asarray(y)[np.isfinite(y)] if len(y) else np.asarray([])
    return float(y[-1]) if y.size else math.nan


def outliers(values: list[float], names: list[str], kind: str) -> list[tuple[int, str]]:
    """Which repeats sit far outside the others (:data:`OUTLIER_RANGES`), or hold no finite value; a minority only,
    from 3 repeats on (2 cannot tell which one is off)."""
    out = []
    if len(values) < 3:
        return out
    for i, v in enumerate(values):
        others = np.asarray([w for j, w in enumerate(values) if j != i and math.isfinite(w)])
        if others.size < 2:
            continue
        lo, hi, mid = float(others.min()), float(others.max()), float(np.median(others))
        if not math.isfinite(v):
            out.append((i, f"{names[i]} left out of the mean: no finite value at its end (diverged)"))
        elif abs(v - mid) > OUTLIER_RANGES * max(hi - lo, 1e-12 * abs(mid)):
            out.append((i, f"{names[i]} left out of the mean: its last value {v:.4g} is far outside "
                           f"the other {kind}s' ({lo:.4g}–{hi:.4g}; {abs(v - mid) / max(hi - lo, 1e-300):,.0f}x "
                           f"their range from their median): diverged, or another setting"))
    return out if len(out) < len(values) / 2 else []


def mean_run(runs, name: str):
    """A Run of the point-wise mean of ``runs`` (on one axis): each series all of them log, at the axis values all of
    them hold, NaN where any repeat's is (a mean over fewer repeats there would step by their spread)."""
    from .run import Run

    axes = [np.asarray(r.axis, dtype=float) for r in runs]
    common = axes[0]
    for a in axes[1:]:
        common = np.intersect1d(common, a)
    keys = [k for k in runs[0].series if all(k in r.series for r in runs)]
    series = {}
    for k in keys:
        stack = np.vstack([np.asarray(r.series[k], dtype=float)[np.searchsorted(a, common)]
                           for r, a in zip(runs, axes)])
        with np.errstate(invalid="ignore"):
            series[k] = stack.mean(axis=0)
    meta = {k: v for k, v in (runs[0].meta or {}).items() if k not in ("run_id", "run_column", "notes", "copies")}
    return Run(axis=common, series=series, axis_name=runs[0].axis_name, name=name, source=runs[0].source, meta=meta)


def read_repeats(diagnoses, group: list[int], kind: str) -> Repeats:
    """:class:`Repeats` of ``diagnoses[i] for i in group``: outliers found on each repeat's last value, the rest
    averaged into one curve and diagnosed on the same metric."""
    from .diagnosis import diagnose_run
    from .exceptions import LosslensError

    ds = [diagnoses[i] for i in group]
    names = [d.run_name for d in ds]
    gone = outliers([last_value(d) for d in ds], names, kind)
    dropped = {i for i, _ in gone}
    kept = [d for i, d in enumerate(ds) if i not in dropped]
    rep = Repeats(members=list(group), kind=kind, left_out=[(group[i], why) for i, why in gone],
                  agreed=agreed_verdict(kept))
    finals = np.asarray([last_value(d) for d in kept])
    bests = np.asarray([d.best[1] if d.best is not None else math.nan for d in kept])
    for attr, v in (("final", finals), ("best", bests)):
        v = v[np.isfinite(v)]
        if v.size >= 2:
            setattr(rep, attr, (float(v.mean()), float(v.std(ddof=1)), float(v.min()), float(v.max())))
    try:
        run = mean_run([d.run for d in kept], f"mean of {len(kept)} {kind}s")
        # A K the user stated (--classes) holds for every repeat: the mean is read against it too. (A stated noise
        # floor or baseline level rides in the meta mean_run keeps.)
        chance = ds[0].facts.chance
        given = chance.classes if chance is not None and chance.classes_from == "given" else None
        rep.mean = diagnose_run(run, metric=ds[0].metric, classes=given,
                                higher_is_better=ds[0].facts.higher_is_better)
    except (LosslensError, ValueError):
        rep.mean = None
    return rep


def repeats_lines(rep: Repeats, diagnoses, names) -> list[str]:
    """The lines a folder's summary prints for one group of repeats: what they are, the mean curve's report, the
    spread, each repeat's verdict where they disagree, and those left out."""
    from .report.text import render_text, verdict_words
    from .result import axis_text

    kind = rep.kind
    members = [names[i] for i in rep.members]
    d0 = diagnoses[rep.members[0]]
    kept = [i for i in rep.members if i not in {j for j, _ in rep.left_out}]
    overruled = rep.overruled()
    out = [f"{', '.join(members)}: {len(members)} {kind}s of one setting (no setting saved differs), read as repeats"
           f"{'' if overruled else ' on their mean curve'}; no best {kind} named: "
           + ("a fold's value ranks its validation set, not a setting" if kind == "fold" else
              "the best of several draws is the luck of the draw, and a setting picked so is overfit to "
              "the validation set")]
    out += [why for _, why in rep.left_out]
    text = render_text(rep.mean).split("\n") if rep.mean is not None else []
    if overruled:
        # Each repeat's own reading agrees: that is the group's, the mean's shape said beside it (module docstring).
        ds = [diagnoses[i] for i in kept]
        xs = [f"{d.axis} {axis_text(d.plateau.epoch)} [{axis_text(d.plateau.interval[0])}, "
              f"{axis_text(d.plateau.interval[1])}] ({names[i]})" for i, d in zip(kept, ds) if d.plateau is not None]
        first = [f"{names[i]} reads {verdict_words(d.verdict)} first" for i, d in zip(kept, ds) if d.verdict != rep.agreed]
        out.append(f"all {len(ds)} {kind}s read {verdict_words(rep.agreed)} (confidence "
                   f"{', '.join(f'{_confidence_of(d, rep.agreed):.0%}' for d in ds)}; {d0.metric}"
                   + (f"; {', '.join(first)}, the same step too large" if first else "") + ")"
                   + (f"; plateau at {', '.join(xs)}" if len(xs) == len(ds) else ""))
        out.append(f"  - their mean curve alone reads {verdict_words(rep.mean.verdict)} "
                   f"({rep.mean.cause.confidence:.0%}), unlike every {kind}: averaging {kind}s whose curves move out "
                   "of step draws a shape none of them has, so it is not their reading" if rep.mean is not None else
                   f"  - their mean curve could not be read")
    else:
        out += text[:1]
    if rep.mean is not None and len(rep.mean.run.axis):
        ends = [float(diagnoses[i].run.axis[-1]) for i in rep.members if i not in {j for j, _ in rep.left_out}]
        end = float(rep.mean.run.axis[-1])
        if max(ends) > end:  # (a repeat stopped early: the mean is read where all of them logged, and says so)
            out.append(f"  - the mean runs to {d0.axis} {axis_text(end)}, where the shortest {kind} ends (the longest "
                       f"to {axis_text(max(ends))})")
    for label, v in (("last", rep.final), ("smoothed best", rep.best)):
        if v is not None:
            out.append(f"  - spread across {kind}s: {label} {d0.metric} {v[0]:.4g} ± {v[1]:.2g} sd "
                       f"({v[2]:.4g}–{v[3]:.4g})")
    gone = {i for i, _ in rep.left_out}
    verdicts: dict = {}
    for i in rep.members:
        if i not in gone:
            verdicts.setdefault(diagnoses[i].verdict, []).append(names[i])
    if len(verdicts) > 1 and not overruled:
        said = "; ".join(f"{verdict_words(v)} ({', '.join(n)})" for v, n in verdicts.items())
        out.append(f"  - the {kind}s' own verdicts differ: {said}: each is one draw, the mean's reads them together")
    elif rep.agreed is not None and not overruled:
        out.append(f"  - all {len(kept)} {kind}s read {verdict_words(rep.agreed)} too")
    if overruled:
        # The actions every repeat's verdict names (one repeat's own epochs, "restart from the weights of epoch 6",
        # fit that repeat alone).
        # Of the agreed cause's own actions (a repeat that reads diverged first lists lr_too_high's beside it).
        acts = [[str(a) for c in diagnoses[i].causes if c.id == rep.agreed for a in c.actions] for i in kept]
        return out + ["what to do:"] + [f"  → {a}" for a in acts[0] if all(a in x for x in acts[1:])]
    return out + [line for line in text[1:] if line.strip()]


def all_repeats(diagnoses) -> list[Repeats]:
    """:func:`find_repeats`' groups where they hold every run (then none is ranked), else ``[]``."""
    groups = find_repeats(diagnoses)
    return groups if groups and sum(len(g.members) for g in groups) == len(list(diagnoses)) else []


def repeats_dict(rep: Repeats, diagnoses) -> dict:
    """The JSON's ``repeats`` object of one group (ARCHITECTURE.md): ``kind``, ``members`` (their ``run`` names),
    ``left_out`` (``run``, ``why``), ``agreed`` (the verdict every kept repeat reads, the group's reading even where
    their mean curve reads another; null where they differ), ``mean`` (the mean curve's ``run`` name, ``verdict``,
    ``confidence``, ``plateau_epoch``, ``slowdown_epoch``; null where it could not be read) and ``spread``: ``last``
    and ``best``, each ``{mean, sd, min, max}`` in the metric's units (null with fewer than 2 finite values)."""
    def spread(v):
        return None if v is None else dict(zip(("mean", "sd", "min", "max"), v))

    m = rep.mean
    return {"kind": rep.kind,
            "members": [diagnoses[i].run_name for i in rep.members],
            "left_out": [{"run": diagnoses[i].run_name, "why": why} for i, why in rep.left_out],
            "agreed": rep.agreed,
            "mean": None if m is None else {"run": m.run_name, "verdict": m.verdict,
                                            "confidence": round(float(m.cause.confidence), 3),
                                            "plateau_epoch": m.plateau_epoch, "slowdown_epoch": m.slowdown_epoch},
            "spread": {"last": spread(rep.final), "best": spread(rep.best)}}


def mark_repeats(diagnoses) -> list[Repeats]:
    """Set each diagnosis' ``repeats`` (:func:`repeats_dict` of its group; None for a run in none): the JSON
    prints one object per run, so the group's reading rides on each member's. Returns :func:`find_repeats`' groups."""
    diagnoses = list(diagnoses)
    groups = find_repeats(diagnoses)
    for d in diagnoses:
        d.repeats = None
    for rep in groups:
        said = repeats_dict(rep, diagnoses)
        for i in rep.members:
            diagnoses[i].repeats = said
    return groups
