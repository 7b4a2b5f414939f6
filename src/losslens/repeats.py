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

#: A saved setting that names a repeat, not a setting swept (its leaf, dotted names aside): ``seed: 2`` in a Lightning
#: ``hparams.yaml`` (``save_hyperparameters()`` of a module taking a ``seed``), TensorBoard's ``add_hparams`` (a
#: Trainer's TrainingArguments, ``seed: 42``), a W&B config, MLflow params, a search trial's ``trial_params.seed``.
#: Three seeds of one Lightning MLP on digits (tests/fixtures/ecosystem/lightning_seed_hparams) saved nothing else that
#: differs and read "best val_loss: version_0" (its seed's luck: 0.1440 beside 0.1456 and 0.1490). A setting that
#: names the data's draw (``data_seed``, ``split_seed``) or a fold is one too: the same model on another draw.
_REPEAT_SETTING = re.compile(r"^(?:(?:random|rng|data|split|shuffle|global|train|torch|np|numpy|init)_?)?seed$|"
                             r"^random_state$|^(?:cv_?)?fold(?:_?(?:idx|index|id))?$|^k_?fold$|^(?:repeat|replicate|rep)"
                             r"(?:_?(?:idx|index|id))?$", re.IGNORECASE)


def repeat_setting(name: str) -> bool:
    """Whether a saved setting's name (dotted names read by their leaf: ``trial_params.seed``) names a repeat: a
    seed, a fold, a replicate (:data:`_REPEAT_SETTING`), not a setting a sweep varies."""
    return bool(_REPEAT_SETTING.match(str(name).rsplit(".", 1)[-1].strip()))


#: Saved settings that say where a run was written or what it was called, not how it trained: a Transformers
#: Trainer's arguments in a W&B config or MLflow params hold ``output_dir`` (three seeds of one setting in
#: tests/fixtures/ecosystem/hf_seed_args differ in it and ``seed`` alone), ``logging_dir`` and ``run_name``. A sweep
#: tells its settings apart by what it saved of them, never by these alone.
_WHERE_WRITTEN = frozenset({"output_dir", "logging_dir", "run_name", "run_id", "save_dir", "log_dir", "dirpath",
                            "default_root_dir", "hub_model_id", "experiment_name", "project", "name", "version"})


def _setting_kind(name: str) -> str:
    leaf = str(name).rsplit(".", 1)[-1].lower()
    return "fold" if "fold" in leaf else "seed" if "seed" in leaf or "random_state" in leaf else "repeat"


#: A repeat whose value (final and smoothed best of the curve diagnosed) sits farther from the other repeats' median
#: than this many times their whole range is left out of the mean: walk 46's seeds ended 0.0659-0.0732 and the one run
#: at lr 2.0 at 2.32 (300 ranges away), its folds 0.0805-0.148, the farthest 0.5 ranges from the others' median. Not
#: measured on a benchmark (its cases are single runs); 3 ranges lets a third as much spread again through.
OUTLIER_RANGES = 3.0

#: ... and farther from it than this share of that median's size: the range of the 2 others of 3 repeats is one draw
#: of a spread, and can be small by chance. Three seeds of a torch MLP on digits at one lr (tests/fixtures/ecosystem/
#: tb_seed_hparams) ended 0.2034, 0.2056 and 0.2141: the last 4x the others' range from their median, 4.9% above it,
#: and was left out as "diverged, or another setting". Walk 46's seed at lr 2.0 sat 33x above the others' level.
OUTLIER_LEVEL = 0.5


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
    #: The saved setting that tells the repeats apart (``seed``) and each one's value, where their names do not.
    by: tuple[str, list] | None = None
    #: ``[(name, value)]``: the setting this group holds where it is one of a sweep's (``[("lr", 0.05)]``), else [].
    setting: list = field(default_factory=list)

    def setting_text(self) -> str:
        """``lr=0.05``: the sweep's setting this group holds, ``""`` where it is no sweep's."""
        from .report.text import setting_text
        return ", ".join(f"{k}={setting_text(v)}" for k, v in self.setting)

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
    read on one held-out metric, on one axis, all named as repeats of one kind (:func:`repeat_kind`) or each saving
    another value of a seed, fold or replicate (:func:`repeat_setting`), and with no other saved setting or lr that
    differs between them (runs that differ in a setting are a sweep, kept as one). A sweep whose every setting was run
    several times so (an lr at 3 seeds, another at 3 seeds) is read as one group of repeats per setting, ``setting``
    naming it. Each group is read on its mean curve (:func:`read_repeats`)."""
    from .result import comparable, experiments

    diagnoses = list(diagnoses)
    if len(diagnoses) < 2 or not comparable(diagnoses):
        return []
    out = []
    for group in experiments(diagnoses):
        if len(group) < 2 or len({diagnoses[i].axis for i in group}) != 1:
            continue
        ds = [diagnoses[i] for i in group]
        swept, keys = _swept(ds)
        subs: dict = {}
        for i, key in zip(group, keys):
            subs.setdefault(key, []).append(i)
        if len(subs) > 1 and any(len(sub) < 2 for sub in subs.values()):
            continue  # (a setting run once beside others run several times: a sweep, ranked as one)
        found = []
        for key, sub in subs.items():
            kind, by = _repeat_key([diagnoses[i] for i in sub])
            if kind is None:
                break
            found.append((sub, kind, by, [(name, value) for name, value in zip(swept, key)]))
        else:
            if len({kind for _, kind, _, _ in found}) == 1:
                for sub, kind, by, setting in found:
                    rep = read_repeats(diagnoses, sub, kind)
                    rep.by, rep.setting = by, setting if len(found) > 1 else []
                    out.append(rep)
    return out


def _swept(ds) -> tuple[list[str], list[tuple]]:
    """``(names, [each run's values])`` of what a sweep of ``ds`` varied: the lr (where the runs' differ) and each
    saved setting that differs (:func:`losslens.report.text.differing_settings`, every one), a seed's, fold's or
    replicate's aside (:func:`repeat_setting`), and where each run was written (:data:`_WHERE_WRITTEN`)."""
    from .report.text import differing_settings, learning_rates

    names, columns = [], []
    lrs = learning_rates(ds) or []
    if len({lr for lr in lrs if lr is not None}) > 1:
        names.append("lr"); columns.append([None if lr is None else float(lr) for lr in lrs])
    for name, values in differing_settings(ds, limit=None):
        if not repeat_setting(name) and str(name).rsplit(".", 1)[-1].lower() not in _WHERE_WRITTEN:
            names.append(name); columns.append(values)
    return names, [tuple(c[k] for c in columns) for k in range(len(ds))]


def _repeat_key(ds) -> tuple[str | None, tuple[str, list] | None]:
    """``(kind, by)`` where ``ds`` (2 or more runs of one setting) are repeats: all named as repeats of one kind
    (``by`` None), else each saving another value of one seed, fold or replicate setting (``by``: its name and their
    values). ``(None, None)`` where neither: reruns nothing tells apart are no repeats of a kind said."""
    from .result import saved_settings

    if len(ds) < 2:
        return None, None
    kinds = {repeat_kind(d) for d in ds}
    if len(kinds) == 1 and None not in kinds:
        return kinds.pop(), None
    saved = [dict(found[1]) if (found := saved_settings(getattr(d, "run", None))) else {} for d in ds]
    for name in dict.fromkeys(k for f in saved for k in f if repeat_setting(k)):
        values = [f.get(name) for f in saved]
        if all(v is not None and not isinstance(v, (dict, list)) for v in values) \
                and len({repr(v) for v in values}) == len(values):
            return _setting_kind(name), (name, values)
    return None, None


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
    """Which repeats sit far outside the others (:data:`OUTLIER_RANGES`, :data:`OUTLIER_LEVEL`), or hold no finite
    value; a minority only, from 3 repeats on (2 cannot tell which one is off)."""
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
        elif abs(v - mid) > OUTLIER_RANGES * max(hi - lo, 1e-12 * abs(mid)) and abs(v - mid) > OUTLIER_LEVEL * abs(mid):
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


@dataclass
class Group:
    """Several runs of one setting as :func:`read_group` reads them: ``kept``, the indices of those averaged;
    ``left_out``: ``(index, why)`` of those far outside the others; ``mean``: the Diagnosis of the kept runs' mean
    curve (None where fewer than 2 are kept or it could not be read); ``agreed``: the verdict every kept run reads
    (:func:`agreed_verdict`)."""

    kept: list[int]
    left_out: list[tuple[int, str]]
    mean: object = None
    agreed: str | None = None


def read_group(runs, diagnoses, names, kind: str, diagnose, unreadable: tuple = ()) -> Group:
    """:class:`Group` of ``runs`` (their ``diagnoses``, ``names`` said in the notes, a repeat called a ``kind``):
    outliers found on each one's last value, the rest averaged into one curve named "mean of N {kind}s" and read by
    ``diagnose`` (a Run to its Diagnosis: the caller's options, a folder's stated K or compare's). A mean that
    raises :class:`LosslensError` (or one of ``unreadable``) is None."""
    from .exceptions import LosslensError

    gone = outliers([last_value(d) for d in diagnoses], names, kind)
    dropped = {i for i, _ in gone}
    kept = [i for i in range(len(diagnoses)) if i not in dropped]
    group = Group(kept=kept, left_out=gone, agreed=agreed_verdict([diagnoses[i] for i in kept]))
    if len(kept) < 2:
        return group
    try:
        group.mean = diagnose(mean_run([runs[i] for i in kept], f"mean of {len(kept)} {kind}s"))
    except (LosslensError, *unreadable):
        group.mean = None
    return group


def read_repeats(diagnoses, group: list[int], kind: str) -> Repeats:
    """:class:`Repeats` of ``diagnoses[i] for i in group``: outliers found on each repeat's last value, the rest
    averaged into one curve and diagnosed on the same metric (:func:`read_group`)."""
    from .diagnosis import diagnose_run

    ds = [diagnoses[i] for i in group]
    # A K the user stated (--classes) holds for every repeat: the mean is read against it too. (A stated noise
    # floor or baseline level rides in the meta mean_run keeps.)
    chance = ds[0].facts.chance
    given = chance.classes if chance is not None and chance.classes_from == "given" else None
    read = read_group([d.run for d in ds], ds, [d.run_name for d in ds], kind,
                      lambda run: diagnose_run(run, metric=ds[0].metric, classes=given,
                                               higher_is_better=ds[0].facts.higher_is_better),
                      unreadable=(ValueError,))
    kept = [ds[i] for i in read.kept]
    rep = Repeats(members=list(group), kind=kind, left_out=[(group[i], why) for i, why in read.left_out],
                  mean=read.mean, agreed=read.agreed)
    finals = np.asarray([last_value(d) for d in kept])
    bests = np.asarray([d.best[1] if d.best is not None else math.nan for d in kept])
    for attr, v in (("final", finals), ("best", bests)):
        v = v[np.isfinite(v)]
        if v.size >= 2:
            setattr(rep, attr, (float(v.mean()), float(v.std(ddof=1)), float(v.min()), float(v.max())))
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
    from .report.text import setting_text

    told = (f"only the saved {rep.by[0]} differs: {', '.join(setting_text(v) for v in rep.by[1])}"
            if rep.by is not None else "no setting saved differs")
    held = rep.setting_text()
    out = [f"{', '.join(members)}: {len(members)} {kind}s of "
           + (f"{held} (a sweep's setting; within it {told})" if held else f"one setting ({told})")
           + ", read as repeats"
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


def best_setting_line(groups: list[Repeats], diagnoses) -> str | None:
    """``best val_loss: lr=0.05 (3 seeds: version_0, ...), smoothed best 0.1462 ± 0.0026 sd; lr=0.005's 0.3559 ±
    0.017 sd``: the setting a sweep run at several seeds each (groups holding every run, each a ``setting``) picks, by
    the mean of its repeats' smoothed bests, not one lucky repeat's; and whether the runner-up's repeats all sit
    beyond the best's range (a setting apart from the seeds' luck) or their ranges overlap (no setting told apart).
    None where the groups are no such sweep or a group has no spread read."""
    if len(groups) < 2 or not all(g.setting and g.best is not None for g in groups):
        return None
    d0 = diagnoses[groups[0].members[0]]
    sign = -1.0 if getattr(d0.facts, "higher_is_better", False) else 1.0
    ranked = sorted(groups, key=lambda g: sign * g.best[0])
    top, second = ranked[0], ranked[1]
    names = [diagnoses[i].run_name for i in top.members]
    apart = top.best[3] < second.best[2] if sign > 0 else top.best[2] > second.best[3]
    others = "; ".join(f"{g.setting_text()}'s {g.best[0]:.4g} ± {g.best[1]:.2g}" for g in ranked[1:])
    return (f"best {d0.metric}: {top.setting_text()} ({len(top.members)} {top.kind}s: {', '.join(names)}), smoothed "
            f"best {top.best[0]:.4g} ± {top.best[1]:.2g} sd across its {top.kind}s, against {others}: "
            + (f"{second.setting_text()}'s {second.kind}s all sit beyond its {top.kind}s' range, a setting apart "
               "from their luck" if apart else f"{second.setting_text()}'s {second.kind}s overlap its {top.kind}s' range: no setting is "
                             f"told apart from the {top.kind}s' luck (more {top.kind}s would tell)"))
