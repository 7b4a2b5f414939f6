"""Check a fix from two logs: the run that plateaued (BEFORE) and the run trained after the change its
diagnosis advised (AFTER), with no training function to call.

:mod:`losslens.verification` retrains; many runs are trained where losslens is not (a cluster, a GPU box)
and only their logs come back. The question is the same: did the change do what BEFORE's diagnosis
predicted? The predictions are verify's own (:data:`~losslens.verification.CHECKS`, :data:`HELD_BY`: one
place says what each cause predicts of each change) and so are the bars and the decision (a
:class:`~losslens.verification.Verification` is what :func:`compare` returns, its checks read off AFTER).

What changed is read from the settings the loggers saved beside each run (Lightning's ``hparams.yaml``,
``add_hparams``, a W&B config, MLflow params, a Trainer's ``trainer_state.json``: the learning rate, the weight
decay, the epoch budget, a training-set size, a model width) or given (``change={"lr_factor": 0.1}``: verify's
keywords); with neither, an epoch budget from the logged lengths. A change no log names is said, not guessed.

Noise: one run a side cannot tell a small move from what another seed would give. With several runs a side
the means are compared and the runs' spread is the noise (as ``verify --seeds``); with one, each run's own
epoch-to-epoch scatter where the statistic a check reads is taken (its standard error: for the median of the last
points, the tail's scatter; for the best point, the scatter around it). A move whose outcome flips within two of those standard errors is not decided.
"""

from __future__ import annotations

import math
from pathlib import Path
from dataclasses import dataclass, field, replace
import numpy as np

from .exceptions import LosslensError, UsageError, UsageTypeError
from . import diagnosis as D
from .result import finite_or_none
from .verification import (Check, CheckResult, Verification, as_loss, checks_of, flips_within, level_scale,
                           own_improvement,
                           read_values, rival_checks, same_values, statistic_of, tail_points, tail_se, end_points,
                           NOISE_SES, axis_unit, ALL_REQUIRED, FOLLOW_UP)
from .facts.learning_curve import DATA_GAIN
from .verification import GAIN, NO_GAIN

#: converged's "lr / 10 ends < 15% lower" read as holding, where the gain is at least this many times the noise band
#: (±2 standard errors) and at least NO_GAIN, converged's own tolerance for twice the epochs: the level held was
#: not the floor. A char-level MLP LM at AdamW 1e-2 held (session 47's walk, tests/fixtures/ecosystem/sched_charlm):
#: lr / 10 from the middle ended 7.5% lower, the band ±1.5%, and read "holds" alone. Twice the band: a move at the
#: band's edge is one in 40 of an unchanged pair, at twice it under one in 10,000.
BEYOND_NOISE = 2.0

__all__ = ["compare", "Comparison", "CHANGES", "parse_change"]

#: The changes a comparison can name: verify's keywords, less those that are how verify retrains
#: (``from_epoch``) or a remedy judged otherwise (``class_weight``).
CHANGES = ("lr_factor", "epochs_factor", "size_factor", "data_factor", "decay_factor", "dropout_factor",
           "shuffle_labels")

# Saved settings that state each factor (the leaf of a dotted name, lower case). The lr, the weight decay and the
# dropout rate are read as the rules read them (facts.regularization); these are the rest.
_EPOCHS = ("max_epochs", "epochs", "num_train_epochs", "n_epochs", "num_epochs", "max_steps")
_DATA = ("train_size", "n_train", "num_train", "train_samples", "num_train_samples", "max_train_samples",
         "n_train_samples", "data_fraction", "train_fraction", "subset_size")
_SIZE = ("width", "hidden", "hidden_size", "hidden_dim", "n_hidden", "hidden_units", "units", "d_model", "n_embd",
         "num_params", "n_params")
#: A logged length differing by less than this factor is not read as a budget changed (an early stop, a last epoch
#: cut, a run stopped by hand); from it on, with no setting saved that differs, the epochs are what changed.
_LENGTH_CHANGE = 1.5
_NOISE_SES = NOISE_SES
#: overfitting's second action, regularize, by dropout: added or raised, as its weight decay x 10 is read (the best
#: or the end >= 10% lower, neither the other way). Read here only, off a change already made: verify would retrain
#: it for every overfitting whose train takes dropout_factor. The walk's breast-cancer MLP (512x3, 30% of the data)
#: at dropout 0 -> 0.5 reached a best 19% lower; digits with 40% of its labels flipped ended 51% lower.
RAISE_DROPOUT = [Check("overfitting", {"dropout_factor": 2.0}, "a higher dropout rate", statistic="best",
                       threshold=DATA_GAIN),
                 Check("overfitting", {"dropout_factor": 2.0}, "a higher dropout rate", threshold=DATA_GAIN)]


def _checks_of(cause: str, d) -> list:
    """``cause``'s checks as compare reads them: verify's (:func:`checks_of`) and, for overfitting, dropout."""
    return checks_of(cause, d) + (RAISE_DROPOUT if cause == "overfitting" else [])


class Reading(CheckResult):
    """A check read off the AFTER runs (a :class:`CheckResult` worded for them)."""

    ran_as = "the AFTER run"
    counted_in = "runs"
    missing = "no {metric} in both logs"
    diverged = "both diverged: inf either way says nothing of it"
    #: the noise band a decided reading stands outside (one run a side), in words; None where not measured
    band: str | None = None
    #: an undecided reading whose move stands past its noise band, only its margin over the check's bar within it
    clear_move: bool = False

    def line(self, unit: str | None = None) -> str:
        # (a decided line shows its band as an undecided one does: "best ±17%: not decided" beside "end -1.8%: does
        # NOT hold" read as two rules, where the end's median of the last points is simply the less noisy reading)
        text = super().line(unit)
        text = text + f" (noise: {self.band})" if self.band and self.holds is not None else text
        if self.beyond is not None and self.holds:
            text += (f"; but {abs(self.change_rel):.1%} lower is {self.beyond:.0f}x that noise band: a real gain, "
                     "which weakens converged (the level held was not the floor)")
        return text


@dataclass(repr=False)
class Comparison(Verification):
    """What :func:`compare` found: BEFORE's diagnosis, each cause's prediction for the change read off AFTER
    (``results``), AFTER's diagnoses, and what changed (``change``, ``change_from``)."""

    after: list = field(default_factory=list)          # AFTER's Diagnosis per run
    before: list = field(default_factory=list)         # BEFORE's Diagnosis per run (``diagnosis`` is the first)
    change: dict | None = None                         # the change compared, None where not known
    change_from: str | None = None                     # where it was read: "given", a settings file, "logged lengths"
    unknown: str | None = None                         # why no prediction was checked (one sentence), else None
    noise: str = "runs"                                # "runs": several runs a side's spread; "tail": each run's own
    notes: list = field(default_factory=list)          # what the logs say of the change that differs from it
    resumed: "Resume | None" = None                    # AFTER resumed BEFORE from a checkpoint, else None
    after_runs: list = field(default_factory=list, repr=False)  # AFTER's runs as compared (a resume: spliced, cut)
    same_task: bool = False                            # the user said the two are one task (the task checks skipped)
    metric_given: bool = False                         # --metric named the series: a score is compared as itself
    checked_by = "the AFTER run"
    baseline_label = "BEFORE"
    one_run = "one run a side"

    #: (verify's next check to run, --cause: compare retrains nothing)
    next_cause = None

    @property
    def also_drawn(self) -> list:
        """The AFTER runs the chart draws where no check read them."""
        if any(r.runs for r in self.results):
            return []
        return [(d.run, f"AFTER: {d.verdict}") for d in self.after[:1] if getattr(d, "run", None) is not None]

    def drawn_label(self, r) -> str:
        """The legend of the AFTER curve a check read: the change made (``AFTER: lr_factor=1000``), not the check's
        name beside it ("learning rate x 10 (made: lr_factor=1000)" named a change of 10 over a run made at 1000)."""
        made = {k: v for k, v in r.check.change.items() if k != "from_epoch"}
        return f"AFTER: {_said(made)}"

    @property
    def asked_causes(self) -> list[str]:
        """The causes the exit code answers for: the verdict where it predicts something of the change, else the
        other listed causes that do."""
        read = [r for r in self.results if r.holds is not None or r.why == "noise"]
        if any(r.check.cause == self.diagnosis.verdict for r in read):
            return [self.diagnosis.verdict]
        listed = {c.id for c in self.diagnosis.causes}
        return list(dict.fromkeys(r.check.cause for r in read if r.check.cause in listed))

    def _runs_checks(self, cause: str, other: bool = True) -> str:
        # compare has no --cause: its checks are read off the AFTER given, and the ones this change did not read
        # need a retraining of their own, which is verify's (keras_slow_overfit's moons400_s1 -> moons800_s1 told
        # the user to pass compare an option it refuses)
        read = {r.check.name for r in self.results if r.check.cause == cause and r.holds is not None}
        rest = [n for n in dict.fromkeys(c.name for c in checks_of(cause, self.diagnosis)) if n not in read]
        if not (other and rest):
            return f"losslens verify FILE.py:FUNCTION --cause {cause} retrains its checks"
        return (f"losslens verify FILE.py:FUNCTION --cause {cause} retrains its other check{'s' * (len(rest) > 1)}: "
                + ", ".join(rest))

    def _one_run(self) -> str:
        if len(self.before) > 1 or len(self.after) > 1:
            return f"; means of {len(self.before)} BEFORE and {len(self.after)} AFTER runs"
        axis = axis_unit(self.baseline_runs)  # (a step log's noise is step to step: said in its unit)
        return (f"; from one run a side: read against each run's own {axis}-to-{axis} noise, not against what "
                "another seed would give (several logs a side compare means)")

    def summary(self) -> str:
        if self.confirmed is None:
            verdict = self.diagnosis.verdict
            undecided = self.undecided(verdict)
            if undecided and all(getattr(r, "clear_move", False) for r in undecided):
                return ("not decided: the move is beyond the runs' noise, but its margin over the prediction's bar "
                        "is within it" + self._one_run())
            if undecided:
                return "not decided: the move is within the runs' noise" + self._one_run()
            if self.unknown:
                return "not checked: " + self.unknown
            skipped = next((r for r in self.results if r.check.cause == verdict and r.skipped), None)
            if skipped:
                return f"{'not decided' if skipped.why == 'mixed' else 'not checked'}: {skipped.skipped}"
            own = list(dict.fromkeys(c.name for c in _checks_of(verdict, self.diagnosis)))
            text = f"not checked: {verdict} predicts nothing of {_said(self.change)}" + (
                f" (its checks: {', '.join(own)})" if own else " (it is an observation of the curve)")
            # (the causes listed beside the verdict that do predict something of this change: what the exit answers)
            for cause in self.asked_causes:
                held = self.holds(cause)
                if held is not None:
                    text += f"; {cause}'s prediction " + (f"held ({self._moved(cause)})" if held else "does NOT hold")
                elif self.undecided(cause):
                    # (its silence, beside a rival named for the same move, read as the rival's answer)
                    r = self.undecided(cause)[0]
                    text += f"; {cause}'s prediction: not decided (" + (
                        f"{r.check.name}: {_stat_word(r)} {r.change_rel:+.1%}, " if r.change_rel is not None else ""
                    ) + "within the runs' noise)"
            listed = [c.id for c in self.diagnosis.causes]
            ours = set(listed) | set(FOLLOW_UP.get(verdict, ()))
            # (a cause neither listed nor a follow-up is named only where none of those reads this change: a
            # converged 3-wide MLP's twice-the-width run took validation 14% lower and training 96% lower,
            # underfitting's both readings, and the report ended on "not checked" alone; but where a listed cause
            # reads the change, its answer is the one: more data lowering a flat validation loss is data_limited's,
            # listed, not overfitting's, whose rise the curve did not show, and lr / 10 lowering a loss read no_signal
            # beside lr_too_high is not "diverged", which neither run read)
            read_by_ours = any(r.check.cause in ours for r in self.results)
            rivals = [c for c in dict.fromkeys(r.check.cause for r in self.results)
                      if c not in self.asked_causes and self._rival_held(c) and (c in ours or not read_by_ours)]
            for cause in rivals:
                text += (f"; {cause}'s prediction for it held ({self._moved(cause)}): the AFTER run says "
                         f"{cause}, not {verdict}, held the level")
            if verdict == "converged" and "underfitting" not in rivals and any(
                    r.check.cause == "underfitting" and r.holds is not None for r in self.results):
                # (converged's follow-up, as verify says it: the level is or is not the model's limit)
                text += self._capacity_or_floor()
            return text
        short = self._fell_short()
        if short:
            return short + self._one_run()
        return super().summary()

    def _weakening(self) -> Reading | None:
        return next((r for r in self.results if r.check.cause == "converged" and r.holds and r.beyond is not None), None)

    def _beyond_noise(self) -> str:
        r = self.weakened
        if r is None:
            return ""
        return (f", but weakened: {r.check.name} lowered {r.check.metric} {abs(r.change_rel):.1%}, under the "
                f"{r.check.threshold:.0%} bar yet {r.beyond:.0f}x its noise band: the level held was the step's, not "
                "the data's floor, and the smaller step is worth keeping")

    def _rival_held(self, cause: str) -> bool:
        """A cause not listed held on this change: :meth:`holds`, where every check of a cause that needs all of its
        own is a reading of this change (underfitting's two readings of a model twice the size are the whole of it;
        converged's twice the epochs without its lr / 10 is half, which holds() keeps None), all of them held."""
        ran = [r for r in self.results if r.check.cause == cause and r.holds is not None]
        if not ran or self.untrained_only(cause):
            return False
        if cause in ALL_REQUIRED:
            mine = [c for c in checks_of(cause, self.diagnosis) if c.statistic != "spread"]
            return (bool(mine) and all(_matches(c, self.change or {}) for c in mine)
                    and len(ran) == len(mine) and all(r.holds for r in ran))
        return bool(self.holds(cause))

    def _fell_short(self) -> str | None:
        """Where the verdict's prediction failed only by falling short of its bar: every decided reading of the
        verdict's moved the predicted way or less than the bar the other, no other cause held, and every AFTER run
        still reads the verdict, the remedy's result in words (the change was too weak a remedy; a 256 -> 32 wide MLP
        on the diabetes data ended 5.2% lower where early stopping, overfitting's first action, gave 40%); else
        None (the result then contradicts the verdict, said as "NOT confirmed")."""
        verdict = self.diagnosis.verdict
        mine = [r for r in self.results if r.check.cause == verdict and r.holds is not None]
        if (self.confirmed is not False or not mine or any(r.against for r in mine) or self.points_to
                or any(r.rose_overfitting for r in self.results)
                or any(r.holds for r in self.results if r.check.cause != verdict)
                or not self.after or any(x.verdict != verdict for x in self.after)):
            return None
        bars = sorted({f"{r.check.threshold:.0%}" for r in mine})
        worst = min(mine, key=lambda r: abs(r.change_rel) if r.change_rel is not None else math.inf)
        moved = f"{worst.check.measured() or worst.check.metric} " + \
            ("ends" if worst.check.statistic == "end" else worst.check.statistic) + \
            (f" {worst.change_rel:+.1%}" if worst.change_rel is not None else "")
        text = (f"NOT confirmed as a remedy: this change fell short of the {' / '.join(bars)} bar the verdict predicts "
                f"for it ({moved}; the AFTER run still reads {verdict})")
        first = self.diagnosis.cause.actions[0] if self.diagnosis.cause.actions else None
        if first and _not_tried(first, self.change or {}):
            text += f"; the verdict's first action, {first}, was not tried"
        return text

    def __str__(self) -> str:
        d = self.diagnosis
        said = _told_apart(self.before, self.after)
        lines = [f"{_names(self.before, said)} → {_names(self.after, said)}: did the change do what the diagnosis "
                 "predicted?"]
        for side, ds in (("before", self.before), ("after", self.after)):
            for x in ds:
                at = "" if x.plateau_epoch is None else f" (plateau at {x.axis} {x.plateau_epoch:g})"
                broke = _broke_from(x)
                if broke and x.verdict == "diverged":
                    at += f" ({broke})"
                lines.append(f"  {side:<6} {said[id(x)]}: {x.verdict}{at} on {x.metric}")
        if self.resumed:
            lines.append(self.resumed.said())
        if self.change:
            lines.append(f"change: {_said(self.change)} ({self.change_from})")
        else:
            lines.append(f"change: {self.unknown}")
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  {r.line(axis_unit(self.baseline_runs))}" for r in self.results]
        # (in every case: where no check reads the runs, or none reads this statistic, it is all that says how
        # they moved)
        lines.append("  " + _moves(self))
        lines.append(f"verdict {d.verdict}: {self.said_once('see the change line')}")
        return "\n".join(lines)

    def said_once(self, where: str) -> str:
        """:meth:`summary`, where it repeats why the change is not known (the change line's words, two lines of
        them), cut to that reason's head and a pointer ``where`` to the whole: said once in the text."""
        text = self.summary()
        if self.unknown and text == "not checked: " + self.unknown:
            return f"not checked: {self.unknown.split(': ', 1)[0]} ({where})"
        return text

    def __repr__(self) -> str:
        said = _told_apart(self.before, self.after)
        return (f"<Comparison {_names(self.before, said)} -> {_names(self.after, said)}: {self.diagnosis.verdict}, "
                f"change={self.change}, confirmed={self.confirmed}>")

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["seeds"] = [None] * max(len(self.before), 1)
        out["compare"] = {"before": [x.source or x.run_name for x in self.before],
                          "after": [x.source or x.run_name for x in self.after],
                          # (a decay or dropout added or removed has no factor: null, change_from says which)
                          "change": {k: finite_or_none(v) if k in ("decay_factor", "dropout_factor") else v
                                     for k, v in self.change.items()} if self.change else None,
                          "change_from": self.change_from,
                          "unknown": self.unknown, "noise": self.noise, "notes": list(self.notes),
                          "resumed": self.resumed.to_dict() if self.resumed else None,
                          "same_task": self.same_task,
                          "after_verdicts": [x.verdict for x in self.after],
                          "after_diagnosis": self.after[0].to_dict() if self.after else None}
        return out


def compare(before, after, *, change: dict | None = None, metric: str | None = None,
            classes: int | None = None, same_task: bool = False, offset_free: bool = False) -> Comparison:
    """Did the change made between ``before`` and ``after`` do what ``before``'s diagnosis predicted?

    Parameters
    ----------
    before, after : source or list of sources
        The run that plateaued and the run trained after the change: anything :func:`losslens.diagnose` reads
        (a log path, a History, a dict of lists, a DataFrame, a Run), each one run (``"PATH#RUN"``: one run of a
        file or store of several, a workbook's sheet, as ``diagnose --run`` names it); a list of them is several
        runs of one setting (seeds), whose means are compared.
    change : dict, optional
        What changed, in verify's keywords: ``lr_factor``, ``epochs_factor``, ``size_factor``, ``data_factor``,
        ``decay_factor``, ``dropout_factor`` (multipliers, finite and > 0; 0 for a decay or dropout removed) or ``shuffle_labels`` (bool). Overrides
        what the saved settings say; default: read from them (the lr, the weight decay, the dropout rate, the
        epochs, a training-set size, a width), else an epoch budget from the logged lengths.
    metric, classes
        Passed to the diagnoses (see :func:`losslens.diagnose`).
    same_task : bool, default False
        The two are runs of one task, whatever the logs suggest: skip the checks that refuse two runs as different
        tasks (a saved dataset, task or number of labels that differs; an accuracy logged on one side only;
        validation accuracies counted over sets of different sizes), as ``--same-task`` does. What they found is
        said in ``notes``. AFTER must still log BEFORE's metric on its axis, and a resume is read as without it.
    offset_free : bool, default False
        The loss has no zero point (a Gaussian NLL, a negative cosine similarity, Keras' Poisson loss), as
        ``--offset-free`` says: every bar and move is a share of BEFORE's own improvement, not of its level (implied
        where a training or validation loss of either side went below 0, as diagnose reads it).

    Returns
    -------
    Comparison
        A :class:`~losslens.verification.Verification` whose checks were read off AFTER: ``.confirmed``
        (None where not decided), ``.holds(cause)``, ``.results``, ``.after`` (AFTER's diagnoses), ``.change``;
        ``str()`` for a report, ``to_dict()`` for JSON (schema ``losslens.verification/1`` with a ``compare``
        object).

    Raises
    ------
    LosslensError
        A log cannot be read or diagnosed, holds several runs, AFTER lacks the metric BEFORE was diagnosed on or
        is logged on another axis, the two runs solve different tasks (their saved dataset or task differ, one
        logs an accuracy and the other none, their accuracies count over different validation sets; unless
        ``same_task``), or ``change`` is not one of those above.
    """
    from .api import check_options, diagnose, to_runs, with_offset_free

    check_options({"offset_free": offset_free})
    given = None if change is None else parse_change(change)
    b_runs, a_runs = _one_each(before, "BEFORE", to_runs), _one_each(after, "AFTER", to_runs)
    b_runs, a_runs = with_offset_free(b_runs, offset_free), with_offset_free(a_runs, offset_free)
    opts = {"metric": metric, "classes": classes}
    b_diag = [diagnose(r, **opts) for r in b_runs]
    d = b_diag[0]
    told = []
    # (a series logged with no finite value, NaN from its first point, is logged: the run diverged on it, which the
    # comparison says; read as missing, a NaN run was compared on another series and called "converged")
    lacking = next((r for r in a_runs if d.metric not in r.series), None)
    if metric is None and lacking is not None:
        # (BEFORE's default series that AFTER does not log -- a val_loss beside an accuracy-only log -- is not the
        # only one to compare: the first of the default order both log is, as --metric would name it)
        common = next((m for m in ("val_loss", "val_acc", "train_loss")
                       if all(r.has(m) for r in b_runs + a_runs)), None)
        if common is not None:
            told.append(f"compared on {common}, which both log: AFTER logs no {d.metric}")
            opts["metric"] = common
            b_diag = [diagnose(r, **opts) for r in b_runs]
            d = b_diag[0]
    for r in a_runs:
        _comparable(b_runs[0], r, d.metric)
        other = _other_task(b_runs[0], r)
        if other and not same_task:
            raise LosslensError(f"{other[0]}: {other[1]}; pass --same-task if they are one task", r.source or r.name)
        if other:
            # (told they are one task: what the check found is said, not refused)
            told.append(f"compared as one task, as told (--same-task), though {other[0]}")
        _not_the_same(b_runs, r, d.metric)
    resume, notes, kept = _resumed(b_runs, a_runs, b_diag, given is not None)
    notes = list(dict.fromkeys(told)) + notes
    # (BEFORE's runs that AFTER does not resume are left out, said in the notes: its diagnosis is the one resumed)
    b_runs, b_diag = [b_runs[i] for i in kept], [b_diag[i] for i in kept]
    d = b_diag[0]
    if not resume and len(b_runs) > 1:
        # Several BEFORE runs are repeats of one setting: the verdict is their mean curve's, not the first one's
        # (walk 46: seed_3 first read lr_too_high, seed_1 first still_improving), a run far outside the others (a
        # seed that diverged at another lr) left out of it and of the means compared, said.
        b_runs, b_diag, d, said = _before_repeats(b_runs, b_diag, opts)
        notes += said
    if resume:
        # AFTER is diagnosed as trained (BEFORE's epochs up to the checkpoint, then its own), and compared with
        # BEFORE over the epochs both logged; the change is read off what AFTER trained itself.
        a_whole = [_spliced(b, a, resume) for b, a in zip(resume.before, a_runs)]
        a_own = [_since(r, resume.epoch) for r in a_whole]
        b_cmp = [r.head(int(np.searchsorted(r.axis, resume.until, "right"))) for r in b_runs]
        a_cmp = [r.head(int(np.searchsorted(r.axis, resume.until, "right"))) for r in a_whole]
    else:
        a_whole = a_own = a_cmp = a_runs
        b_cmp = b_runs
    a_diag = [diagnose(r, **dict(opts, metric=metric or d.metric)) for r in a_whole]
    # (a resume: the lr each side logged over the epochs both trained from it, the rate that trained; the rate the
    # settings state may be one the checkpoint's restored optimizer overrode)
    logged = _resumed_lr(resume, a_whole) if resume else None
    # (the lr each run's settings state, read once: the change read, a resume's logged lr against it)
    stated = StatedLR.of(b_runs, a_own)
    if given:
        found, where, unknown = given, "given", None
        notes += _unlike_given(given, b_runs, a_own, stated, lengths=not resume, logged=logged)
    else:
        found, where, unknown, beside = _read_change(b_runs, a_own, stated, lengths=not resume, logged=logged)
        notes += beside
    if not resume:
        notes += _level_note(b_runs, a_runs, d.metric, b_diag, a_diag)
    if resume:
        said = _lr_unlike_stated(a_own, stated, logged, resume)
        if said and not found:
            unknown = said + "; nothing else the logs save differs: name the change with --change to compare anyway"
        elif said:
            notes.append(said)
    # (a resume is compared over the epochs both logged: its length says nothing of a budget)
    denied = None if resume else _lengths_deny((found or {}).get("epochs_factor"), b_runs, a_runs)
    if denied:
        # (said once, here; the prediction about a longer budget is skipped in a word)
        notes.append(f"epochs_factor={found['epochs_factor']:g} {'given' if given else f'({where})'}, but the logs "
                     f"do not show it: {denied}")
    results = _readings(d, b_cmp, a_cmp, a_diag, found, denied, resume, keep=metric is not None) if found else []
    noise = "runs" if len(b_runs) > 1 or len(a_runs) > 1 else "tail"
    return Comparison(d, results, [None] * len(b_runs), b_cmp, after=a_diag, before=b_diag, change=found or None,
                      change_from=where, unknown=unknown, noise=noise, notes=notes, asked=[], resumed=resume,
                      after_runs=a_cmp, same_task=bool(same_task), metric_given=metric is not None)


def _before_repeats(b_runs, b_diag, opts) -> tuple[list, list, object, list[str]]:
    """``(runs, diagnoses, the diagnosis the checks start from, notes)`` of several BEFORE runs of one setting: those
    far outside the others' last values left out (said), and the rest's point-wise mean curve diagnosed with compare's
    options (:func:`losslens.repeats.read_group`), in no order of theirs."""
    from .api import diagnose
    from .repeats import group_reading, read_group

    metric = b_diag[0].metric
    names = [_run_name(r) for r in b_runs]
    read = read_group(b_runs, b_diag, names, "BEFORE run", lambda run: diagnose(run, **dict(opts, metric=metric)))
    notes = [why for _, why in read.left_out]
    b_runs, b_diag, names = ([xs[i] for i in read.kept] for xs in (b_runs, b_diag, names))
    d = read.mean
    if d is None:
        return b_runs, b_diag, b_diag[0], notes
    verdicts = sorted({x.verdict for x in b_diag})
    if len(verdicts) > 1 and read.agreed is None:
        notes.append(f"BEFORE's verdict is its {len(b_runs)} runs' mean curve's, {d.verdict}; each alone read "
                     + ", ".join(f"{x.verdict} ({n})" for n, x in zip(names, b_diag)))
        return b_runs, b_diag, d, notes
    # Every BEFORE run reads one verdict: that is BEFORE's, the mean's shape (curves out of step averaged) beside it.
    one, i = group_reading(b_diag, names, d)
    if i is not None:
        notes.append(f"BEFORE's verdict is {one.verdict}, as all {len(b_runs)} of its runs read it"
                     + ("" if len(verdicts) == 1 else " (or list it beside diverged, the same step too large)")
                     + "; their mean curve "
                     f"alone reads {d.verdict}: averaging runs whose curves move out of step draws a shape none of "
                     "them has")
    return b_runs, b_diag, one, notes


def parse_change(change) -> dict:
    """``{"lr_factor": 0.1}`` or ``"lr_factor=0.1"`` (or a list of such strings, the CLI's ``--change``) checked:
    a known name, a finite factor > 0 (``shuffle_labels``: true or false); ``decay_factor`` and ``dropout_factor``
    may be 0, the penalty or the dropout removed (:data:`_FROM_ZERO`), the furthest "lower it" goes."""
    items = change.items() if isinstance(change, dict) else (
        [change] if isinstance(change, str) else list(change))
    out: dict = {}
    said: dict = {}
    for item in items:
        if isinstance(item, str):
            name, sep, value = item.partition("=")
            name, value = name.strip(), value.strip()
            if not sep or not name or not value:
                near = change_hint(name) if name and name not in CHANGES else ""
                raise UsageError(f"change {item!r}: expected NAME=VALUE, e.g. lr_factor=0.1{near}")
        else:
            name, value = item
        if name not in CHANGES:
            raise UsageError(f"change {name}={value}: {name!r} is not one of {', '.join(CHANGES)}{change_hint(name)}")
        if name == "shuffle_labels":
            told = str(value).strip().lower()
            if told not in ("true", "false", "1", "0"):
                raise UsageError(f"change shuffle_labels={value!r}: true or false")
            factor = told in ("true", "1")
        else:
            try:
                factor = float(value)
            except (TypeError, ValueError):
                raise UsageTypeError(f"change {name}={value!r}: a number (a factor: 0.1 is a tenth)") from None
            # (A decay or dropout set to 0 is the natural "lower it", and the saved settings' 0 is read so already;
            # an lr, a length, a width or a data size of 0 trains nothing.)
            removable = name in _FROM_ZERO_WHAT
            if not math.isfinite(factor) or factor < 0 or (factor == 0 and not removable):
                above = "of 0 or above (0: removed; 0.1 is a tenth" if removable else "above 0 (0.1 is a tenth"
                raise UsageError(f"change {name}={value!r}: a finite factor {above}, 2 twice)")
            factor = abs(factor)  # (-0.0 is 0: "dropout removed", as the settings' 0 reads)
        # (the same name twice with two values: which was made? Neither is kept in silence)
        if name in out and out[name] != factor:
            raise UsageError(f"change {name} given twice, {name}={said[name]} and {name}={value}: name it once")
        out[name], said[name] = factor, value
    if not out:
        raise UsageError("change is empty; name one, e.g. lr_factor=0.1")
    return out


def change_hint(name: str) -> str:
    """``"; did you mean lr_factor (AFTER's value over BEFORE's: 0.1 is a tenth)?"`` for a change name not known, in
    ``compare(change=)`` and ``--change`` alike: the near name (:func:`losslens.facts.did_you_mean`), else the factor
    whose first word it shares (``lr`` or ``lr_decrease`` -> ``lr_factor``: difflib finds them too far from it), where
    there is one."""
    from .facts import did_you_mean

    near = did_you_mean(name, CHANGES)
    if not near:
        stem = str(name).lower().removesuffix("_factor").replace("-", "_")
        first = stem.partition("_")[0]
        near = next((f"; did you mean {c}?" for c in CHANGES if c.startswith(stem + "_") or c.endswith("_" + stem)
                     or (first and c.partition("_")[0] == first)), "") if stem else ""
    return near.replace("?", " (AFTER's value over BEFORE's: 0.1 is a tenth)?") if near.endswith("_factor?") else near


def _one_each(source, side: str, to_runs) -> list:
    """The runs of one side: one per source (a list is several runs of one setting). A run in memory with no name of
    its own (a History, a dict, a DataFrame: each "run") is named by its side, ``before`` / ``after`` (``after1``
    ... in a list), so the title is not "run → run"; a dict ``{"adam": history}`` names it by its key."""
    import dataclasses
    import os

    sources = list(source) if isinstance(source, (list, tuple)) else [source]
    if not sources:
        raise UsageError(f"{side}: no log given")
    runs = []
    for i, s in enumerate(sources):
        got = to_runs(s)
        if len(got) == 1 and got[0].name == "run" and not isinstance(s, (str, os.PathLike)):
            got = [dataclasses.replace(got[0], name=side.lower() + (str(i + 1) if len(sources) > 1 else ""))]
        if len(got) != 1:
            where = s if isinstance(s, (str, os.PathLike)) else getattr(s, "name", type(s).__name__)
            if isinstance(s, (str, os.PathLike)) and got:
                raise UsageError(f"holds {len(got)} runs; compare takes one run a log: name one: "
                                 f"{os.fspath(s)}#{got[0].name}", where)
            raise UsageError(f"holds {len(got)} runs; compare takes one log per run (name each, e.g. "
                             "lightning_logs/version_0)", where)
        runs += got
    return runs


def _comparable(before, after, metric: str) -> None:
    """AFTER must log what BEFORE was diagnosed on, on the same axis (``same_task`` or not: without them there is
    nothing to read)."""
    where = after.source or after.name
    if metric not in after.series:
        raise LosslensError(f"no {metric}, the series BEFORE was diagnosed on (AFTER logs "
                            f"{_listed(after.series)}); name one both log with --metric", where)
    if after.axis_name != before.axis_name:
        raise LosslensError(f"logged by {after.axis_name}, BEFORE by {before.axis_name}: their points do not line up",
                            where)


def _other_task(before, after) -> tuple[str, str] | None:
    """Where the two runs are of different tasks: ``(what was found, why their losses do not compare)``, which
    :func:`compare` refuses in one line unless told ``same_task`` (then says it in a note); None where nothing says
    so. Their saved settings name another dataset, task or number of labels; else the logs say it
    (:func:`_same_kind`)."""
    from .result import differing_setup, setup_of

    a, b = setup_of(after), setup_of(before)
    differ = differing_setup(a, b) if a is not None and b is not None else []
    if differ:
        told_a, told_b = dict(a[1]), dict(b[1])
        k = differ[0]
        return (f"another task than BEFORE's ({k}: {told_b[k]} before, {told_a[k]} after, in their saved settings)",
                "their losses do not compare")
    return _same_kind(before, after)


#: Accuracy series: a run that logs one is a classifier, its loss a cross-entropy (or another classification loss).
_ACCURACIES = ("val_acc", "train_acc")


def _same_kind(before, after) -> tuple[str, str] | None:
    """Where the logs themselves say the two runs are of different tasks, though no saved setting says it
    (:func:`_other_task`'s pair, or None): one logs an accuracy and the other none (a classifier's cross-entropy
    beside a loss of another kind: a regression's MSE), or their validation accuracies count correct answers over
    validation sets of different sizes (:func:`_validation_count`). Neither a change of lr, data, model or epochs makes a classifier
    stop logging its accuracy, or changes the validation set its accuracy is counted on.

    (The first epochs' levels are not a test here: one epoch at ten times the lr ends up to 7.1x apart on DeepOBS's
    grid, and seeds of the lab's linear regression up to 15x, where the walk's two unrelated pairs were 1.8x apart;
    :func:`_level_note` says a gap beyond that.)"""
    b_acc, a_acc = [k for k in _ACCURACIES if before.has(k)], [k for k in _ACCURACIES if after.has(k)]
    if bool(b_acc) != bool(a_acc):
        has, lacks = ("BEFORE", "AFTER") if b_acc else ("AFTER", "BEFORE")
        return (f"{has} logs an accuracy ({', '.join(b_acc or a_acc)}) and {lacks} none",
                "a classifier's loss beside a loss of another kind (a regression's MSE?), another task: their losses "
                "do not compare")
    if before.has("val_acc") and after.has("val_acc"):
        nb, na = _validation_count(before), _validation_count(after)
        # (the least N of a run whose counts all happen to be even is half the set's size: one side's values counted
        # over the other's N are the same set)
        if nb and na and not (_counted_over(before, na) or _counted_over(after, nb)):
            return (f"another validation set than BEFORE's: every val_acc is a whole number of correct answers out of "
                    f"{nb} examples in BEFORE and out of {na} in AFTER (or a multiple), never of one set",
                    "their losses do not compare (compare runs validated on one set)")
    return None


#: First values of one loss further apart than this are more than a change or a seed moves them: one epoch at ten
#: times the lr ends at most 7.1x apart over 458 pairs of DeepOBS runs a decade apart (none diverged; the compare
#: fixtures 3.6x), seeds of the lab's linear regression (Adam 1e-3) 15x apart; twice that, for margin.
_LEVEL_APART = 30.0


def _level_note(b_runs, a_runs, metric: str, b_diag, a_diag) -> list[str]:
    """A note where the first values of ``metric`` (a loss) lie more than :data:`_LEVEL_APART` apart in two runs
    trained from scratch: a loss of another scale, another task, that no saved setting or accuracy showed. Not
    where a side blew up (diverged or lr_too_high listed: a step too large sends a first epoch anywhere)."""
    if not metric.endswith("loss"):
        return []
    if any(c.id in ("diverged", "lr_too_high") for x in (*b_diag, *a_diag) for c in x.causes):
        return []
    firsts, at = [], []
    for r in (b_runs[0], a_runs[0]):
        x, y = r.finite(metric)
        if not y.size or y[0] <= 0:
            return []
        firsts.append(float(y[0]))
        at.append(float(x[0]))
    step = float(np.median(np.diff(b_runs[0].axis))) if len(b_runs[0]) > 1 else 1.0
    if abs(at[0] - at[1]) > step:
        return []  # (not both first epochs: one log starts late)
    b, a = firsts
    apart = max(a / b, b / a)
    if apart <= _LEVEL_APART:
        return []
    return [f"the first {metric} values are {b:.4g} (BEFORE) and {a:.4g} (AFTER), {apart:.0f}x apart: more than a "
            "change of lr (up to 7.1x one epoch in, over DeepOBS's lr grid) or a seed (15x) moves them: losses of "
            "one task and one scale? (targets scaled, another task: the moves below do not compare)"]


#: The validation sets :func:`_validation_count` looks for: up to this many examples, from this many distinct values.
_COUNT_MOST, _COUNT_VALUES = 20_000, 8


def _validation_count(run) -> int | None:
    """How many examples ``run``'s val_acc is counted over: the least N for which every value is a whole number of
    correct answers over N (to float32's digits, 1e-6), where the log holds at least 8 distinct values and N is
    at most 20,000 (beyond it a fit by chance is no longer negligible); None else (a mean of batch accuracies, a
    score smoothed or rounded, too few values). Keras, torchmetrics and ``evaluate`` count their accuracies so."""
    v = _fractions(run)
    if v.size < _COUNT_VALUES:
        return None
    n = np.arange(2, _COUNT_MOST + 1, dtype=float)
    for lo in range(0, n.size, 2000):
        block = n[lo:lo + 2000]
        fits = _whole(v, block)
        if fits.any():
            return int(block[np.argmax(fits)])
    return None


def _counted_over(run, n: int) -> bool:
    """Every val_acc of ``run`` is a whole number of correct answers over ``n`` examples."""
    return bool(_whole(_fractions(run), np.array([float(n)]))[0])


def _fractions(run) -> np.ndarray:
    _, v = run.finite("val_acc")
    return np.unique(v[(v > 0) & (v < 1)])


def _whole(v: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Per ``n`` (shape ``(m,)``): whether every value of ``v`` times it is a whole number, to 1e-6 of ``v``."""
    counted = v[None, :] * n[:, None]
    return np.all(np.abs(counted - np.round(counted)) <= 1e-6 * n[:, None], axis=1)


def _not_the_same(before, after, metric: str) -> None:
    """AFTER is not one of the BEFORE runs again (the same log twice, or its copy): the change would read as no
    move at all, a verdict's "not lower" confirmed by nothing. Judged as verify judges a baseline log against its
    rerun (:func:`~losslens.verification.same_values`: every shared series equal to the digits a log keeps), so
    a copy saved by another writer (6 significant digits, its own column names) is caught too; two trainings of
    different settings never log the same values."""
    for b_run in before:
        if same_values(b_run, after):
            raise LosslensError(f"BEFORE and AFTER are the same run (identical {metric} series)"
                                + _trained_alike(b_run, after), after.source or after.name)


def _trained_alike(before, after) -> str:
    """Why two Trainer states can hold the same run though AFTER was trained anew: a resume that restored
    BEFORE's optimizer and lr scheduler retrains BEFORE's steps alike, the learning_rate changed in its
    TrainingArguments unused (compare_hf_resume/after_ignored: lr 3e-3 logged again at 3e-4 asked); "" else."""
    if not all(r.meta.get("format") == "hf_trainer_state" and r.has("lr") for r in (before, after)):
        return ""
    _, lr = after.finite("lr")
    return (f"; where AFTER is a Trainer resumed with resume_from_checkpoint at a new learning_rate, that rate was not "
            f"used (the lr logged is BEFORE's, {float(np.median(lr)):.4g}): the Trainer restores the checkpoint's "
            "optimizer and lr scheduler, and trains BEFORE's steps again alike; resumed from a copy of the checkpoint "
            "without scheduler.pt it builds both anew, at the new rate")


@dataclass
class Resume:
    """AFTER resumed BEFORE from a checkpoint: the change was made from ``epoch`` on (``index``: BEFORE's rows
    trained before it, verify's ``from_epoch``), and the two are compared up to ``until``, where the shorter ends."""

    epoch: float
    index: int
    how: str                      # how it shows: "its log starts there", "its first 7 epochs are BEFORE's"
    until: float
    axis_name: str = "epoch"
    before: list = field(default_factory=list, repr=False)  # the BEFORE run each AFTER run resumes
    #: ``(source, note)`` of the readers' warnings the resume answers (an AFTER log's "the earlier epochs are
    #: missing": they are BEFORE's), as the records hold them (``losslens_said``): the CLI leaves these unsaid
    unsaid: list = field(default_factory=list, repr=False)

    def said(self) -> str:
        return (f"AFTER resumes BEFORE at {self.axis_name} {self.epoch:g} ({self.how}): compared with BEFORE's "
                f"{self.axis_name}s {self.epoch:g}–{self.until:g}, the change made from there on")

    def to_dict(self) -> dict:
        return {"epoch": self.epoch, "from_epoch": self.index, "how": self.how, "until": self.until,
                "said": self.said()}


def _resumed(b_runs, a_runs, b_diag: list, given: bool) -> tuple[Resume | None, list[str], list[int]]:
    """Whether AFTER resumed BEFORE from a checkpoint: its epochs start after BEFORE's first (Keras'
    ``fit(initial_epoch=k)`` into a log of its own, Lightning's ``fit(ckpt_path=)`` in a new version folder), or its
    first rows are BEFORE's, value for value (a copy of BEFORE's log appended to, a Trainer's ``log_history``
    resumed), then differ. ``(resume, notes, kept)``, ``kept`` the indices of the BEFORE runs compared (those AFTER
    resumes; all of them where it resumes none); ``(None, [], all)`` for two runs from scratch.

    Refused in one line (``given``: a change named, the two compared as two runs, with a note): AFTER resumed
    after BEFORE's last epoch (BEFORE has none of its epochs to compare), or resumed a run other than BEFORE (its
    log goes back to an earlier epoch over rows that are not BEFORE's). ``b_diag``: BEFORE's diagnoses, one a run.
    Of several BEFORE runs, those AFTER resumes are the resume's (``Resume.before``: where its first rows name one,
    that run; the others are left out, in a note)."""
    from .readers import starts_late

    axis = b_runs[0].axis_name
    found, problems, breaks = [], [], []
    every = list(range(len(b_runs)))

    def refused(where, problem):
        """Refused in one line, or (``given``) compared as two runs, with the note."""
        if not given:
            raise LosslensError(problem + "; name the change with --change to compare them as two runs", where)
        return None, [f"{problem}; compared as two runs, as --change names the change"], every

    for i, a in enumerate(a_runs):
        where = a.source or a.name
        shared = [(_shared_rows(b, a), b) for b in b_runs]
        j, b = max(shared, key=lambda t: t[0])
        if j and j >= len(a):
            raise LosslensError(f"AFTER is BEFORE's first {j} {axis}s again, with nothing trained after them: no "
                                "change to compare", where)
        jump = _lr_jump(b, a, j) if j == len(b) else None
        if jump:
            # (all of BEFORE, then more at another lr: a resume of BEFORE's last checkpoint, none of whose later
            # points BEFORE logged; at the same lr it is BEFORE trained on, read below as a longer budget)
            problems.append((where, f"AFTER holds all of BEFORE's {axis}s and goes on from its last "
                                    f"({float(b.axis[-1]):g}) at {jump}: a resume of BEFORE's end, whose {axis}s "
                                    "BEFORE never logged to compare (compare with a log of BEFORE trained on "
                                    f"past {axis} {float(b.axis[-1]):g} unchanged: a later checkpoint's)"))
            continue
        if 0 < j < len(b):
            # (a Trainer's log_history up to its checkpoint: points every logging_steps, not each step)
            counted = float(a.axis[j - 1]) - float(a.axis[0]) + 1 == j
            found.append((b, float(a.axis[j]), j, f"its first {j} {axis}s are BEFORE's" if counted else
                          f"its points up to {axis} {float(a.axis[j - 1]):g} are BEFORE's"))
            continue
        pair = b_runs[i] if len(b_runs) == len(a_runs) else b_runs[0] if len(b_runs) == 1 else None
        b_first, a_first = float(b_runs[0].axis[0]), float(a.axis[0])
        step = float(np.median(np.diff(b_runs[0].axis))) if len(b_runs[0]) > 1 else 1.0
        # (a log whose first point is at its own spacing starts where it should: a Trainer's logging_steps=50
        # beside BEFORE's 5 is no resume at step 50)
        if a_first > b_first + step and starts_late(a.axis) is not None:
            if pair is None:
                raise UsageError(f"starts at {axis} {a_first:g}, a resume: give as many BEFORE runs as AFTER runs, "
                                 "in order, to say which each resumes", where)
            k = int(np.searchsorted(pair.axis, a_first, side="left"))
            if k >= len(pair):
                problems.append((where, f"AFTER starts at {axis} {a_first:g}, after BEFORE's last ({pair.axis[-1]:g}):"
                                        f" BEFORE logged none of its {axis}s to compare (resume from a checkpoint "
                                        "within BEFORE, at its plateau)"))
                continue
            broken = _not_continued(pair, a, k)
            if broken:
                breaks.append(broken)
                continue
            found.append((pair, a_first, k, "its log starts there"))
        elif a.meta.get("resumed_at") or a.meta.get("resumed_in"):
            problems.append((where, f"AFTER resumes a run other than BEFORE: its log goes back to an earlier {axis} "
                                    f"over rows that are not BEFORE's (from {axis} {a.axis[j]:g} on, "
                                    f"{_first_difference(b, a, j)})"))
    if problems:
        return refused(*problems[0])
    if not found:
        return None, breaks[:1], every
    if len(found) < len(a_runs):
        raise LosslensError("some AFTER runs resume BEFORE and some do not: compare them apart",
                            a_runs[0].source or a_runs[0].name)
    epochs = sorted({f[1] for f in found})
    if len(epochs) > 1:
        raise LosslensError(f"the AFTER runs resume BEFORE at different {axis}s ({', '.join(f'{e:g}' for e in epochs)})"
                            ": compare them apart", a_runs[0].source or a_runs[0].name)
    epoch, index = epochs[0], found[0][2]
    # (the BEFORE runs resumed are the baseline: a resume goes on from one run, not from the seeds' mean)
    resumed = list({id(f[0]): f[0] for f in found}.values())
    left_out = [b for b in b_runs if all(b is not r for r in resumed)]
    kept = [i for i, b in enumerate(b_runs) if any(b is r for r in resumed)]
    d = next(x for b, x in zip(b_runs, b_diag) if b is resumed[0])
    b_runs = resumed
    b_last = min(float(b.axis[-1]) for b in b_runs)
    a_last = min(float(a.axis[-1]) for a in a_runs)
    until = min(b_last, a_last)
    both = int(np.sum((b_runs[0].axis >= epoch) & (b_runs[0].axis <= until)))
    if both < 3:
        return refused(a_runs[0].source or a_runs[0].name,
                       f"AFTER resumes BEFORE at {axis} {epoch:g}, and both logged {both} {axis}"
                       f"{'s' if both != 1 else ''} from there: too few to compare (3 at least)")
    notes = []
    if left_out:
        names = ", ".join(_run_name(b) for b in left_out)
        how = found[0][3].replace("BEFORE's", _run_name(b_runs[0]) + "'s")
        notes.append(f"BEFORE compared is {', '.join(_run_name(b) for b in b_runs)}, the run AFTER resumes ({how}); "
                     f"{names} left out: a resume goes on from one run, and its seeds' mean is not where it started")
    if a_last > until:
        notes.append(f"AFTER's {axis}s after {until:g} (to {max(float(a.axis[-1]) for a in a_runs):g}) left out: "
                     f"BEFORE ends at {until:g} (a BEFORE trained as long compares them)")
    if max(float(b.axis[-1]) for b in b_runs) > until:
        notes.append(f"BEFORE's {axis}s after {until:g} left out: AFTER ends there")
    if d.plateau is not None and index and float(b_runs[0].axis[index - 1]) < d.plateau.interval[0]:
        notes.append(f"AFTER resumes before BEFORE's plateau ({axis} {d.plateau_epoch:g}, interval "
                     f"{d.plateau.interval[0]:g}–{d.plateau.interval[1]:g}): the predictions about a change made "
                     "from the plateau on (lr / 10) are read all the same")
    return Resume(epoch, index, found[0][3], until, axis, [f[0] for f in found]), notes, kept


#: How far one epoch goes below the lowest loss so far: at most 10.3x (training loss; held-out 7.4x) over 858 DeepOBS
#: runs at constant rates, their first epoch from the initial weights included; the compare fixtures' resumes at
#: lr / 10 go 1.2x at most. A log that starts more than twice that below BEFORE's lowest did not go on from it.
_RESUME_DROP = 20.0


def _not_continued(before, after, k: int) -> str | None:
    """Where ``after``'s log starts late (at ``before``'s row ``k``) but its first row does not go on from
    ``before``'s level there: some loss both log first logged more than :data:`_RESUME_DROP` times below
    ``before``'s lowest up to that point (a healthy run restarted from another checkpoint, beside a dead one), the
    note that says so; None where it goes on (a climb is not judged: a step too large sends a loss anywhere)."""
    axis, first = before.axis_name, float(after.axis[0])
    for key in sorted(set(before.series) & set(after.series)):
        if not key.endswith("loss"):
            continue
        bx, by = before.finite(key)
        _, ay = after.finite(key)
        by = by[bx < first]
        if not (by.size and ay.size) or ay[0] <= 0 or by.min() <= 0:
            continue
        drop = float(by.min() / ay[0])
        if drop > _RESUME_DROP:
            return (f"AFTER's log starts at {axis} {first:g}, but does not go on from BEFORE there: its first {key} "
                    f"{ay[0]:.4g} is {drop:.0f}x below BEFORE's lowest up to {axis} {float(before.axis[k - 1]):g} "
                    f"({by.min():.4g}), where one {axis} goes at most 10x below the lowest so far (858 DeepOBS runs): "
                    "not a resume of BEFORE (a run restarted from another checkpoint or from scratch is a run of its "
                    "own); compared as two runs, each from its first logged point")
    return None


def _run_name(run) -> str:
    return str(run.name or run.source)


def _shared_rows(b, a) -> int:
    """How many first rows ``a`` shares with ``b``: the same axis value and every series both log equal (to the
    digits a log keeps, as :func:`~losslens.verification.same_values` judges a copy; NaN equal to NaN); 0 where
    no such row holds a finite value."""
    n = min(len(a), len(b))
    common = sorted(set(a.series) & set(b.series))
    if not n or not common:
        return 0
    same = np.isclose(np.asarray(a.axis[:n], float), np.asarray(b.axis[:n], float), rtol=0, atol=1e-9)
    seen = np.zeros(n, dtype=bool)
    for key in common:
        x, y = a.series[key][:n], b.series[key][:n]
        same &= np.isclose(x, y, rtol=1e-4, atol=0, equal_nan=True)
        seen |= np.isfinite(x)
    bad = np.flatnonzero(~same)
    j = int(bad[0]) if bad.size else n
    return j if seen[:j].any() else 0


def _lr_jump(b, a, j: int) -> str | None:
    """Where ``a`` logs BEFORE's first ``j`` points and more, the lr it goes on at, in words, where it is not
    BEFORE's last (by a factor of 1.5 or more, a change a schedule makes in no single step); None where either logs
    no lr there, or the rate goes on as it was."""
    if not (0 < j < len(a) and b.has("lr") and a.has("lr")):
        return None
    before = np.asarray(b.series["lr"][:j], float)
    after = np.asarray(a.series["lr"][j:], float)
    before, after = before[np.isfinite(before) & (before > 0)], after[np.isfinite(after) & (after > 0)]
    if not (before.size and after.size):
        return None
    last, first = float(before[-1]), float(after[0])
    return f"lr {first:.4g} (BEFORE's last {last:.4g})" if max(first / last, last / first) >= 1.5 else None


def _first_difference(b, a, j: int) -> str:
    """The first value ``a`` logs at row ``j`` that ``b`` does not, in words."""
    for key in sorted(set(a.series) & set(b.series)):
        if j < len(b) and not np.isclose(a.series[key][j], b.series[key][j], rtol=1e-4, equal_nan=True):
            return f"{key} {a.series[key][j]:.4g} against BEFORE's {b.series[key][j]:.4g}"
    return f"{a.axis_name} {a.axis[j]:g} is not BEFORE's"


def _spliced(before, after, resume: Resume):
    """AFTER as trained: BEFORE's rows up to the checkpoint, then AFTER's own (a log that holds them already is
    AFTER as it is). AFTER's series alone, its name, source and meta, less the note that its first epochs are
    missing (they are BEFORE's: ``resume.unsaid`` gets it, which the CLI then does not say)."""
    from .readers import missing_start_note

    meta = {k: v for k, v in after.meta.items() if k not in ("starts_at_epoch", "starts_at_step")}
    if "starts_at_epoch" in after.meta:
        note = missing_start_note(after.meta["starts_at_epoch"], after.meta.get("starts_at_step"))
        meta["notes"] = [n for n in meta.get("notes", []) if n != note]
        resume.unsaid.append((str(after.source or after.name), note))
    if float(after.axis[0]) <= float(before.axis[0]):
        return replace(after, series=dict(after.series), meta=meta)
    return before.head(resume.index).followed_by(after, meta=meta)


def _since(run, start: float):
    """``run``'s rows from ``start`` on (an axis value, inclusive)."""
    from .run import Run

    k = int(np.searchsorted(run.axis, start, "left"))
    return Run(run.axis[k:], {key: v[k:] for key, v in run.series.items()}, run.axis_name, run.name, run.source,
               dict(run.meta))


def _setting(run, names) -> tuple[str, float] | None:
    """``(name, value)`` of the first saved setting whose leaf is one of ``names``, with a positive value."""
    from .result import saved_settings

    found = saved_settings(run)
    if found is None:
        return None
    for key, value in found[1].items():
        if str(key).rsplit(".", 1)[-1].lower() in names and not isinstance(value, bool):
            try:
                v = float(value)
            except (TypeError, ValueError):
                continue
            if math.isfinite(v) and v > 0:
                return str(key), v
    return None


def _values(run, stated: float | None) -> dict[str, tuple[str, float, bool]]:
    """The factors' settings ``run`` states: ``{factor: (name as saved, value, saved)}``; ``saved`` False where the
    value is read off the log itself (the largest lr logged: a Trainer saves no lr, it logs the schedule's).
    ``stated``: the lr its saved settings state (:class:`StatedLR`'s, read once a comparison), None for none."""
    from .facts.regularization import dropout_rate, learning_rate, weight_decay

    out: dict = {}
    meta = getattr(run, "meta", None) or {}
    lr = stated or learning_rate(run)
    if lr:
        out["lr_factor"] = ("lr", lr, True) if stated else ("the largest lr logged", lr, False)
    # (what was saved, not whether it is strong enough to count in a diagnosis: a change of it is the change made)
    wd = weight_decay(meta, as_saved=True)
    if wd is not None and wd.value >= 0:
        # (a decay of 0 kept: one added where there was none, or removed, is said though it states no factor)
        out["decay_factor"] = (wd.name, wd.value, True)
    rate = dropout_rate(meta)
    if rate is not None and rate.value >= 0:
        # (a rate of 0 kept, as a decay's: dropout added or removed is said though it states no factor)
        out["dropout_factor"] = (rate.name, rate.value, True)
    for factor, names in (("epochs_factor", _EPOCHS), ("data_factor", _DATA), ("size_factor", _SIZE)):
        got = _setting(run, names)
        if got:
            out[factor] = (*got, True)
    return out


def _found_change(b_runs, a_runs, stated: "StatedLR", lengths: bool = True,
                  logged: "LoggedLR | None" = None) -> tuple[dict, str | None, list[str], tuple | None]:
    """``(change, source, said, from_zero)``: the factors the saved settings of the two sides differ by (each side's
    runs must agree; ``source`` the settings file, or ``"the logs"`` where a value is read off a log), else an epoch
    budget from the logged lengths (``source`` ``"lengths"``); ``said`` the differences in words (``"lr 0.5 →
    0.05"``, ``"80 epochs against 40"``). ``from_zero``: a weight decay or dropout added where there was none or
    removed, which states no factor, as ``(words, added, factor)`` (``("weight_decay 0 → 0.1 (hparams.yaml)", True,
    "decay_factor")``); else None (the first such factor where both moved so).
    ``({}, None, [], None)`` where nothing differs. ``logged`` (a resume's lr as both sides logged it,
    :func:`_resumed_lr`): the lr change read from it, not from the settings. ``stated``: the lr each run's settings
    state (:class:`StatedLR`, of these runs)."""
    b_vals = [_values(r, lr) for r, lr in zip(b_runs, stated.before)]
    a_vals = [_values(r, lr) for r, lr in zip(a_runs, stated.after)]
    change, said, saved, from_zero = {}, [], False, None
    for factor in CHANGES:
        if factor == "lr_factor" and logged is not None:
            # (the settings' lr where the log agrees with it, as they name it; else the rate the log shows trained)
            ratio = stated.ratio
            if ratio is not None and max(ratio / logged.ratio, logged.ratio / ratio) < _SAME_LR:
                pass
            else:
                if not logged.same:
                    change["lr_factor"] = logged.ratio
                    said.append(logged.said())
                continue
        if not all(factor in v for v in b_vals + a_vals):
            continue  # (not stated on every run)
        bs, as_ = {v[factor][1] for v in b_vals}, {v[factor][1] for v in a_vals}
        if len(bs) != 1 or len(as_) != 1:
            continue  # (two values within one side: not one setting; the runs' spread would mix them)
        b, a = bs.pop(), as_.pop()
        name = b_vals[0][factor][0]
        if (b == 0) != (a == 0):
            # (only a decay and a dropout rate are kept at 0 by _values: added or removed, they have no ratio)
            from_zero = from_zero or (f"{name} {b:g} → {a:g} ({_settings_file(a_runs[0])})", b == 0, factor)
        elif b and abs(math.log(a / b)) > 1e-6:
            change[factor] = a / b
            saved = saved or all(v[factor][2] for v in b_vals + a_vals)
            said.append(f"{name} {b:g} → {a:g}")
    b_len, a_len = _length(b_runs[0]), _length(a_runs[0])
    longer = lengths and b_len and a_len and max(a_len / b_len, b_len / a_len) >= _LENGTH_CHANGE
    if change:
        if longer and "epochs_factor" not in change:
            # (a run trained 10x as long at a tenth of the lr changed both: "lr_factor=0.1" alone hid the 300 epochs
            # against 30, and a prediction about the lr read off it would credit the lr with what the length did)
            change["epochs_factor"] = a_len / b_len
            said.append(f"{a_len:g} {b_runs[0].axis_name}s logged against {b_len:g}")
        return change, _settings_file(a_runs[0]) if saved else "the logs", said, from_zero
    if longer:
        return ({"epochs_factor": a_len / b_len}, "lengths", [f"{a_len:g} {b_runs[0].axis_name}s against {b_len:g}"],
                from_zero)
    return {}, None, [], from_zero


def _read_change(b_runs, a_runs, stated: "StatedLR", lengths: bool = True,
                 logged=None) -> tuple[dict, str | None, str | None, list[str]]:
    """``(change, where, unknown, notes)``: :func:`_found_change`'s change and where it was read, in words;
    ``unknown`` says why none was read; ``notes``: a weight decay or dropout added or removed beside the change read
    (not checked, though the AFTER run trained with it). ``stated``, ``logged``: :func:`_found_change`'s."""
    change, source, said, from_zero = _found_change(b_runs, a_runs, stated, lengths, logged)
    if change:
        where = "the logged lengths" if source == "lengths" else source
        notes = [] if from_zero is None else [
            f"the saved settings also differ: {from_zero[0]}, {_FROM_ZERO_WHAT[from_zero[2]]} "
            f"{'added where there was none' if from_zero[1] else 'removed'}: not checked (no factor), though the "
            "AFTER run trained with it"]
        return change, f"{where}: {', '.join(said)}", None, notes
    if from_zero is not None:
        # A decay added where there was none is the commonest "regularize" (overfitting's second action), one removed
        # lowers a penalty as far as it goes: each moves the decay the way its check does, with no factor to state
        # (inf, 0), so it is read as that change, not as an x 10 the user never made. Dropout removed is the
        # furthest "lower the dropout" goes (underfitting's prediction), so it is read the same way.
        words, added, factor = from_zero
        return ({factor: math.inf if added else 0.0},
                words, None, [])
    seeds = _only_seeds_differ(b_runs, a_runs)
    if seeds is not None:
        # (Lightning's save_hyperparameters() of a module taking a seed: version_0 and version_1 of one setting.)
        return {}, None, (f"the change is not named: the logs differ only in their {seeds} ({_settings_file(a_runs[0])}): "
                          "repeats of one setting, another draw, not a change; the move is the seeds' luck (say a "
                          "change with --change where one was made that they do not save)"), []
    return {}, None, ("the change is not named: the logs save no setting that differs (lr, weight decay, dropout, "
                      "epochs, training-set size, width); say it with --change lr_factor=0.1 (or epochs_factor, "
                      "size_factor, data_factor, decay_factor, dropout_factor, shuffle_labels) to check it against the "
                      "diagnosis"), []


def _unlike_given(given: dict, b_runs, a_runs, stated: "StatedLR", lengths: bool = True, logged=None) -> list[str]:
    """Notes where the logs say otherwise than a change given (which is still what is checked): saved settings
    that differ in other factors or by other ratios (else lengths that differ by 1.5x or more), or a weight decay
    (dropout) added (removed) where no decay_factor (dropout_factor) above (below) 1 is given. (An epochs_factor the
    logged lengths do not show is :func:`_lengths_deny`'s, noted by :func:`compare`.)"""
    notes = []
    found, source, said, from_zero = _found_change(b_runs, a_runs, stated, lengths, logged)
    differ = {k: v for k, v in found.items() if k not in given or not given[k] or abs(math.log(given[k] / v)) > 1e-6}
    if differ:
        words = ", ".join(said)
        # (a budget read off the lengths: the two runs also trained for different times, which the check mixes in)
        notes.append(f"the logged lengths also differ: {words}; checked as given" if source == "lengths" else
                     f"the logs also differ: {words}; checked as given" if source == "the logs" else
                     f"the saved settings also differ: {words} ({source}); checked as given")
    words, added, factor = from_zero or (None, None, None)
    if words and (factor not in given or (given[factor] > 1) != added):
        notes.append(f"the saved settings also differ: {words}, {_FROM_ZERO_WHAT[factor]} "
                     f"{'added where there was none' if added else 'removed'}; checked as given")
    return notes


def _lengths_deny(factor: float | None, b_runs, a_runs) -> str | None:
    """What the logged lengths say where they do not show an epochs ``factor`` (AFTER no longer for a factor
    above 1, no shorter below it: a stopping rule ended it short of its budget, or its budget did not change),
    ``"AFTER logged 40 epochs, BEFORE 40"``; None where they show it, or say nothing."""
    if factor is None or factor == 1:
        return None
    b_len, a_len = _length(b_runs[0]), _length(a_runs[0])
    if b_len and a_len and (a_len - b_len) * (factor - 1) <= 0:
        return f"AFTER logged {a_len:g} {b_runs[0].axis_name}s, BEFORE {b_len:g}"
    return None


#: Two logged lrs within this factor of each other are the same rate (a log keeps 6-7 significant digits).
_SAME_LR = 1.01


@dataclass
class LoggedLR:
    """The lr a resumed AFTER and its BEFORE logged at the same points from the resume on (medians of each
    side): ``ratio`` AFTER's over BEFORE's, point by point (a schedule both follow divides out)."""

    ratio: float
    before: float
    after: float
    epoch: float
    axis_name: str = "epoch"

    @property
    def same(self) -> bool:
        return max(self.ratio, 1 / self.ratio) < _SAME_LR

    def said(self) -> str:
        if self.same:
            return f"the lr logged from {self.axis_name} {self.epoch:g} on is {self.before:.4g} on both sides"
        return f"the lr logged {self.before:.4g} → {self.after:.4g} from {self.axis_name} {self.epoch:g} on"


def _resumed_lr(resume: "Resume", a_whole) -> LoggedLR | None:
    """The lr as both sides logged it at the points both logged from ``resume.epoch`` to ``resume.until``
    (each AFTER run against the BEFORE run it resumes); None where a side logs none there. A resume restores
    the checkpoint's optimizer, its lr with it (Lightning's ``fit(ckpt_path=)``, a Trainer's
    ``resume_from_checkpoint``), so the lr a module or ``TrainingArguments`` was given need not be the one that
    trained; the logged one is (LearningRateMonitor's ``lr-SGD``, the Trainer's ``learning_rate``)."""
    ratios, bs, as_ = [], [], []
    for b, a in zip(resume.before, a_whole):
        if not (b.has("lr") and a.has("lr")):
            return None
        bx, by = b.finite("lr")
        ax, ay = a.finite("lr")
        at, ib, ia = np.intersect1d(bx, ax, return_indices=True)
        keep = (at >= resume.epoch) & (at <= resume.until) & (by[ib] > 0) & (ay[ia] > 0)
        if not keep.any():
            return None
        by, ay = by[ib][keep], ay[ia][keep]
        ratios.append(float(np.median(ay / by)))
        bs.append(float(np.median(by)))
        as_.append(float(np.median(ay)))
    if not ratios:
        return None
    return LoggedLR(float(np.median(ratios)), float(np.median(bs)), float(np.median(as_)), resume.epoch,
                    resume.axis_name)


def _lr_unlike_stated(a_runs, stated: "StatedLR", logged: LoggedLR | None, resume: "Resume") -> str | None:
    """Where a resume's saved settings state an lr change (``stated``, :class:`StatedLR`): what the logged lr says
    of it (``logged``: another change, or none, which is what is read), or that no lr was logged to show it; None
    where the settings state no lr change, or the log agrees."""
    if stated.values is None:
        return None
    (b, a), ratio = stated.values, stated.ratio
    if max(ratio, 1 / ratio) < _SAME_LR:
        return None
    says = f"{_settings_file(a_runs[0])} states lr {b:g} → {a:g}"
    why = ("a resume restores the checkpoint's optimizer and its lr unless the lr is set again after it "
           "(Lightning's fit(ckpt_path=), a Trainer's resume_from_checkpoint)")
    if logged is None:
        return (f"{says}, but no lr is logged from {resume.axis_name} {resume.epoch:g} on to show that the AFTER "
                f"run trained at it: {why}; Lightning's LearningRateMonitor logs the lr that trained")
    if logged.same:
        return f"{says}, but {logged.said()}: the AFTER run trained at BEFORE's lr, the lr did not change; {why}"
    if max(logged.ratio / ratio, ratio / logged.ratio) >= _SAME_LR:
        return f"{says}, but {logged.said()}: the logged lr is what trained, and is compared; {why}"
    return None


@dataclass(frozen=True)
class StatedLR:
    """The lr each run's saved settings state (:func:`~losslens.facts.regularization.stated_learning_rate`; None
    where a run states none), BEFORE's runs and AFTER's in order: read once a comparison, by :meth:`of`."""

    before: tuple
    after: tuple

    @classmethod
    def of(cls, b_runs, a_runs) -> "StatedLR":
        from .facts.regularization import stated_learning_rate

        def read(runs):
            return tuple(stated_learning_rate(getattr(r, "meta", None) or {}) for r in runs)

        return cls(read(b_runs), read(a_runs))

    @property
    def values(self) -> tuple[float, float] | None:
        """``(BEFORE's, AFTER's)`` where every run states one and each side's runs agree; None else."""
        b_lr, a_lr = set(self.before), set(self.after)
        if None in b_lr | a_lr or len(b_lr) != 1 or len(a_lr) != 1:
            return None
        return b_lr.pop(), a_lr.pop()

    @property
    def ratio(self) -> float | None:
        """AFTER's stated lr over BEFORE's (:attr:`values`); None where they do not state one each."""
        got = self.values
        return None if got is None else got[1] / got[0]


def _only_seeds_differ(b_runs, a_runs) -> str | None:
    """``seed 0 → 1``: where the saved settings of BEFORE and AFTER differ in a seed, fold or replicate alone
    (:func:`losslens.repeats.repeat_setting`), that one's name and values; else None."""
    from .repeats import repeat_setting
    from .report.text import setting_text
    from .result import saved_settings

    saved = [dict(found[1]) if (found := saved_settings(r)) else None for r in (*b_runs, *a_runs)]
    if any(f is None for f in saved):
        return None
    differ = [k for k in dict.fromkeys(k for f in saved for k in f) if len({repr(f.get(k)) for f in saved}) > 1]
    if not differ or not all(repeat_setting(k) for k in differ):
        return None
    k = differ[0]
    before = ", ".join(dict.fromkeys(setting_text(f.get(k)) for f in saved[:len(b_runs)]))
    after = ", ".join(dict.fromkeys(setting_text(f.get(k)) for f in saved[len(b_runs):]))
    return f"{k} {before} → {after}"


def _settings_file(run) -> str:
    from .result import saved_settings

    found = saved_settings(run)
    return found[0] if found else "the logs"


def _length(run) -> float | None:
    """How long the run trained, on its own axis: first to last point plus one step."""
    axis = np.asarray(run.axis, dtype=float)
    axis = axis[np.isfinite(axis)]
    if axis.size < 2:
        return None
    step = float(np.median(np.diff(axis)))
    return float(axis[-1] - axis[0] + step) if step > 0 else None


def _matches(check: Check, change: dict) -> bool:
    """``check`` is a prediction about ``change``: the same setting, moved the same way (lr / 10's prediction
    is lr_too_high's for lr / 5 as well: each says which way the loss goes, at its bar)."""
    keys = set(check.change) - {"from_epoch"}
    if keys != set(change):
        return False
    for k in keys:
        want, made = check.change[k], change[k]
        if k == "shuffle_labels":
            if bool(want) != bool(made):
                return False
        elif made == 1 or (want > 1) != (made > 1):
            return False
    return True


def _readings(d, b_runs, a_runs, a_diag, change, denied: str | None = None, resume: "Resume | None" = None,
              keep: bool = False) -> list:
    """Each listed cause's prediction about ``change`` read off the runs, and the verdict's follow-ups' (verify's
    :data:`~losslens.verification.FOLLOW_UP`: after converged, would a bigger model or more data go lower?), then
    every other cause's where it holds (as verify reads them off its retrainings). ``resume``: the change was made
    from its epoch on. A converged run's width 64 -> 128 printed no line and "not checked" where verify, retraining
    that same change, said "a model twice the size did not lower both losses" (tests/fixtures/ecosystem/
    verify_compare_lines)."""
    listed = list(dict.fromkeys([c.id for c in d.causes] + list(FOLLOW_UP.get(d.verdict, ()))))
    out, seen = [], set()
    for cause in listed:
        for check in _checks_of(cause, d):
            if _matches(check, change):
                key = (check.cause, check.statistic, check.metric)
                if key not in seen:
                    seen.add(key)
                    out.append(_read(check, d, b_runs, a_runs, a_diag, change, denied=denied, resume=resume,
                                     keep=keep))
    for cause, checks in rival_checks(listed):
        checks = checks + (RAISE_DROPOUT if cause == "overfitting" else [])
        mine = [_read(c, d, b_runs, a_runs, a_diag, change, shared=True, denied=denied, resume=resume, keep=keep)
                for c in checks if _matches(c, change)]
        if any(r.holds or r.rose_overfitting for r in mine):  # (the latter: the reading that refuted it is said)
            out += mine
    if not out and len(change) > 1:
        out = _mixed(d, b_runs, a_runs, a_diag, change, listed, denied, resume, keep)
    return [r for r in out if r.why != "calm"]


def _mixed(d, b_runs, a_runs, a_diag, change, listed, denied, resume, keep) -> list:
    """Where AFTER changed several factors at once (an lr and the length: 300 epochs at lr 1e-4 against 30 at 1e-3)
    and no prediction is about them together: each listed cause's prediction about one of them, read off the runs
    and shown, but decided for none (``why="mixed"``): the move is the changes' together, and the others can make
    or undo it alone (a tenth of the step slows training as ten times the epochs lengthens it)."""
    out, seen = [], set()
    for cause in listed:
        for check in _checks_of(cause, d):
            one = next(({k: v} for k, v in change.items() if _matches(check, {k: v})), None)
            key = (check.cause, check.statistic, check.metric)
            if one is None or key in seen:
                continue
            seen.add(key)
            r = _read(check, d, b_runs, a_runs, a_diag, change, denied=denied, resume=resume, keep=keep)
            if r.holds is not None or r.why == "noise":
                others = _made_words({k: v for k, v in change.items() if k not in one})
                r.holds, r.why = None, "mixed"
                r.skipped = (f"{others} changed too: the move is the changes' together, not the work of {check.name} "
                             "alone (compare runs that differ in one setting)")
            out.append(r)
    return out


def _read(check: Check, d, b_runs, a_runs, a_diag, change, shared: bool = False, denied: str | None = None,
          resume: "Resume | None" = None, keep: bool = False) -> Reading:
    """``denied``: :func:`_lengths_deny`'s words, where the logs do not show the epochs_factor read (noted);
    ``resume``: AFTER resumed BEFORE, the change made from its epoch on (verify's ``from_epoch``: BEFORE's rows
    before it), so a prediction about the change made from the plateau on is read as verify reads it."""
    made = {k: v for k, v in change.items()}
    # The change made first, then the prediction it is read by: "learning rate / 10 (made: lr_factor=0.55)" named a
    # tenth where 0.55 was made. (A factor read off the logs, 0.003 -> 0.0003 = 0.0999..., is the check's own.)
    same = all(_same_factor(check.change.get(k), v) for k, v in made.items())
    name = check.name if same else _said(made) if any((k, v) in _FROM_ZERO for k, v in made.items()) \
        else f"{_made_words(made)}, read as {check.name}"
    if resume:
        made["from_epoch"] = resume.index
    check = as_loss(replace(check, change=made, name=name, metric=check.metric or d.metric), d, b_runs[0],
                    b_runs + a_runs, keep)
    if check.from_plateau == "require" and not resume:
        return Reading(check, skipped="this prediction is about the change made from the plateau on; from scratch, "
                                      "a smaller step only trains slower (an AFTER resumed from BEFORE's plateau "
                                      "checkpoint shows it)", shared=shared)
    if denied and made.get("epochs_factor", 1) > 1:
        return Reading(check, skipped="AFTER trained no longer (see the note)", shared=shared)
    r = read_values(check, b_runs, a_runs, lambda c, b, v, bv, vs: _within_noise(c, b, v, bv, vs, b_runs, a_runs),
                    cls=Reading, verdicts=lambda: [x.verdict for x in a_diag], shared=shared)
    if r.why == "noise" and r.baseline is not None and r.value is not None and check.statistic != "spread":
        noise = _move_se(check, r.baseline_per_seed or [r.baseline], r.per_seed or [r.value], b_runs, a_runs)
        r.clear_move = noise is not None and _clear_of_noise(r.baseline, r.value, noise[0])
    if r.holds is not None and len(b_runs) == len(a_runs) == 1:
        r.band = _within_noise(r.check, r.baseline, r.value, [r.baseline], [r.value], b_runs, a_runs, band_only=True)
    if r.holds and check.cause == "converged" and check.expect == "not_lower" and check.threshold >= GAIN \
            and len(b_runs) == len(a_runs) == 1 and r.baseline and r.value is not None:
        # ("< 15% lower" is the bar the scenarios were labelled with; a gain under it may still be far past the runs'
        # noise, and then the floor converged claims was the held step's, not the data's.)
        scale = level_scale(r.check, r.baseline)
        gain = (r.baseline - r.value) / scale
        se = _one_run_se(check, b_runs, a_runs)
        if se and gain >= NO_GAIN and gain * scale >= BEYOND_NOISE * _NOISE_SES * se:
            r.beyond = gain * scale / (_NOISE_SES * se)
    return r


def _one_run_se(check, b_runs, a_runs) -> float | None:
    """The standard error of the move between one run a side, from each run's own tail scatter (:func:`tail_se`)."""
    ses = [tail_se(r, check.metric, check.statistic, check.top) for r in (b_runs[0], a_runs[0])]
    if any(s is None or not math.isfinite(s) for s in ses):
        return None
    return math.sqrt(ses[0] ** 2 + ses[1] ** 2)


def _move_se(check, base_vals, vals, b_runs, a_runs) -> tuple[float, str] | None:
    """``(se, what)``: the standard error of a move between BEFORE's and AFTER's means and what it is measured by
    (several runs a side: their spread, a side of one borrowing the other's; one each: each run's own tail scatter,
    :func:`tail_se`); None where it is not measured."""
    if len(base_vals) > 1 or len(vals) > 1:
        sd = float(np.mean([float(np.std(x, ddof=1)) for x in (base_vals, vals) if len(x) > 1]))
        return (math.sqrt(sd ** 2 / len(base_vals) + sd ** 2 / len(vals)),
                f"the runs' spread (sd {sd:.3g} over {len(base_vals)} + {len(vals)} runs)")
    ses = [tail_se(r, check.metric, check.statistic, check.top) for r in (b_runs[0], a_runs[0])]
    if any(s is None for s in ses):
        return None
    return math.sqrt(ses[0] ** 2 + ses[1] ** 2), f"the two runs' own {axis_unit(b_runs)}-to-{axis_unit(b_runs)} noise"


def _clear_of_noise(b: float, v: float, se: float) -> bool:
    """The move from ``b`` to ``v`` is larger than its noise band, ±``_NOISE_SES`` standard errors."""
    return math.isfinite(se) and abs(v - b) > _NOISE_SES * se


def _within_noise(check, b, v, base_vals, vals, b_runs, a_runs, band_only: bool = False) -> str | None:
    """Why the reading decides nothing, where its outcome flips within two standard errors of the difference;
    None where it stands. Several runs a side: the runs' spread (a side of one borrows the other's); one each:
    each run's own tail scatter (:func:`tail_se`)."""
    if not (math.isfinite(b) and math.isfinite(v)):
        return None
    if check.statistic == "spread" and len(base_vals) == len(vals) == 1:
        # A ratio of two spreads, as an F test reads variances: the log of a robust sd over m differences has an sd
        # of about sqrt(1.36 / m) (the MAD's asymptotic variance, 1.36 sigma^2 / m, against the sd's 0.5).
        ms = [tail_points(np.isfinite(np.asarray(r.series[check.metric], dtype=float)).sum()) - 1
              for r in (b_runs[0], a_runs[0])]
        if not (b > 0 and v > 0 and min(ms) >= 3):
            return None
        se = math.sqrt(sum(1.36 / m for m in ms))
        if band_only:
            return f"±{_NOISE_SES:g} standard errors = x/÷ {math.exp(_NOISE_SES * se):.2g}"
        if not flips_within(check, b, v, v * np.exp(np.linspace(-_NOISE_SES, _NOISE_SES, 81) * se)):
            return None
        axis = axis_unit(b_runs)
        return (f"the ratio of the two tails' spreads is within its own noise (over {ms[0]} and {ms[1]} {axis}-to-{axis} "
                f"differences): ±{_NOISE_SES:g} standard errors = x/÷ {math.exp(_NOISE_SES * se):.2g} flips it")
    noise = _move_se(check, base_vals, vals, b_runs, a_runs)
    if noise is None:
        return None
    se, what = noise
    if band_only:
        return f"±{_NOISE_SES:g} standard errors = " + (f"±{_NOISE_SES * se / level_scale(check, b):.1%}" if b or check.unit
                                                          else f"±{_NOISE_SES * se:.3g}")
    if not flips_within(check, b, v, v + np.linspace(-_NOISE_SES, _NOISE_SES, 81) * se):
        return None
    rel = (f" (±{_NOISE_SES * se / check.unit:.1%} of the baseline's improvement, {check.unit:.3g})" if check.unit else
           f" (±{_NOISE_SES * se / abs(b):.1%} of {b:.4g})" if b else "")
    if _clear_of_noise(b, v, se):
        # The move itself stands past the noise; only where it lands against the check's bar does not: "the move is
        # within the noise" of a best 14.9% lower against a band of ±5.6% (twice the data, a tiny BERT's 0.611 ->
        # 0.520, the bar 10%: tests/fixtures/ecosystem/hf_es_smoothed) said the opposite of what the runs show.
        scale = check.unit or (abs(b) if b else None)  # a loss with no zero point: a share of its improvement
        moved = f"{v - b:+.3g}" + (f" ({(v - b) / scale:+.1%})" if scale else "")
        margin = (f", {abs(abs(v - b) / scale - check.threshold):.1%} of {scale:.4g},"
                  if scale and getattr(check, "room", None) is None else "")
        return (f"the move, {moved}, is beyond {what} (±{_NOISE_SES:g} standard errors = ±{_NOISE_SES * se:.3g}"
                f"{rel}), but its margin over the {check.threshold:.0%} bar{margin} is not: within that band it may fall "
                "either side of the bar" + ("; one run a side cannot tell it from what another seed would give"
                                            if len(base_vals) == len(vals) == 1 else ""))
    return (f"the move is within {what}: ±{_NOISE_SES:g} standard errors = ±{_NOISE_SES * se:.3g}{rel} "
            "either way flips it; one run a side cannot tell it from what another seed would give"
            if len(base_vals) == len(vals) == 1 else
            f"the move is within {what}: ±{_NOISE_SES:g} standard errors = ±{_NOISE_SES * se:.3g}{rel} flips it")


def _moves(c: Comparison) -> str:
    """How the diagnosed metric moved, end and best, BEFORE to AFTER (means)."""
    d = c.diagnosis
    check = as_loss(Check("", {}, "", metric=d.metric), d, c.baseline_runs[0], c.baseline_runs + c.after_runs,
                    c.metric_given)
    parts = []
    # (a loss with no zero point: the moves are shares of BEFORE's own improvement, as the bars are; of the level,
    # -cosine similarity's -0.7969 -> -0.803 read "-0.8%" where its improvement was 0.25)
    unit = own_improvement(check, c.baseline_runs, c.after_runs)
    # (the runs compared: a resumed AFTER and BEFORE over the epochs both logged)
    for stat in ("end", "best"):
        b = [statistic_of(r, check.metric, stat, check.top) for r in c.baseline_runs]
        a = [statistic_of(r, check.metric, stat, check.top) for r in c.after_runs]
        if b and a and None not in b + a:
            bm, am = float(np.mean(b)), float(np.mean(a))
            rel = f" ({(am - bm) / (unit or abs(bm)):+.1%})" if (bm or unit) and math.isfinite(bm) \
                and math.isfinite(am) else ""
            # (inf is statistic_of's word for a series that broke down: "→ inf" read as a value logged)
            # (the end is a median, not the last value logged: "end 0.8848" of a log whose last value was 0.8661 read
            # as a misprint; the count per side, as end_points takes it of each run's length)
            parts.append(f"{stat}{_end_label(c.baseline_runs, c.after_runs, check.metric) if stat == 'end' else ''} "
                         f"{_stat_text(bm)} → {_stat_text(am)}{rel}")
    if parts and unit:
        parts[-1] += f" (shares of BEFORE's own improvement, {unit:.3g}: the loss has no zero point)"
    return f"{check.measured() or check.metric}: " + "; ".join(parts) if parts else "no common metric to compare"


def _end_label(b_runs, a_runs, metric: str) -> str:
    """What :func:`statistic_of`'s ``end`` is, in words: `` (median of the last 3)``, `` (median of the last 3 / 4)``
    where the two sides' lengths take different counts; a side with no finite point (diverged: its end is inf, no
    median) says none."""
    ks = []
    for runs in (b_runs, a_runs):
        finite = [int(np.isfinite(np.asarray(r.series[metric], dtype=float)).sum()) for r in runs if metric in r.series]
        counts = sorted({end_points(n) for n in finite if n})
        if counts:
            ks.append("/".join(str(k) for k in counts))
    ks = list(dict.fromkeys(ks))
    return f" (median of the last {' / '.join(ks)})" if ks else ""


def _stat_word(r) -> str:
    """``"best val_loss"`` / ``"val_loss ends"``: what reading ``r`` measured, in words."""
    what = r.check.measured() or r.check.metric
    return f"{what} ends" if r.check.statistic == "end" else f"{r.check.statistic} {what}"


def _stat_text(v: float) -> str:
    return f"{v:.4g}" if math.isfinite(v) else "diverged (NaN/inf)"


def _broke_from(d) -> str | None:
    """Where ``d``'s diagnosed series turned NaN or inf for good, in words ("NaN from epoch 0"); None where its last
    point is finite or the series is not in its run."""
    from .result import axis_text

    y = None if d.run is None else d.run.series.get(d.metric)
    if y is None or not len(y) or np.isfinite(y[-1]):
        return None
    y = np.asarray(y, dtype=float)
    finite = np.flatnonzero(np.isfinite(y))
    i = 0 if not finite.size else int(finite[-1]) + 1
    # (a NaN here may be a point not logged: the first point past the last finite one that holds a value at all)
    bad = y[i:]
    word = "NaN" if np.isnan(bad).all() else "inf" if np.isinf(bad).all() else "NaN/inf"
    return f"{word} from {d.axis} {axis_text(float(np.asarray(d.run.axis, dtype=float)[i]))}"


def _same_factor(a, b) -> bool:
    """Two values of a change's key alike: equal, or factors equal to 9 digits (a ratio of two logged lrs)."""
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return a == b
    return math.isclose(a, b, rel_tol=1e-9)


#: A change's factors in words, as the checks' names say theirs (``learning rate x 10``).
_FACTOR_WORDS = {"lr_factor": "learning rate", "decay_factor": "weight decay", "epochs_factor": "epochs",
                 "size_factor": "model size", "dropout_factor": "dropout rate"}


def _made_words(change: dict) -> str:
    """The change made in the checks' words: ``learning rate x 0.55``, ``weight decay x 0.0002``; other keys as
    :func:`_said` writes them."""
    return ", ".join(f"{_FACTOR_WORDS[k]} x {v:.4g}" if k in _FACTOR_WORDS and not isinstance(v, bool)
                     and isinstance(v, (int, float)) and math.isfinite(v) else _said({k: v})
                     for k, v in change.items())


def _said(change: dict | None) -> str:
    if not change:
        return "no change"
    return ", ".join(f"{k}={v}" if isinstance(v, bool) else _FROM_ZERO[k, v] if (k, v) in _FROM_ZERO
                     else f"{k}={v:.4g}" for k, v in change.items())


#: The changes that carry out each of the rules' actions, by its kind (:attr:`losslens.result.Action.kind`): where the
#: verdict's first action is none of the change's, the change was not that action (:meth:`Comparison._fell_short`).
#: Training longer or shorter is every stop and every "train on"; the gap's remedies (D.GAP_REMEDY: regularize, a
#: smaller model, more data, told apart by no kind) and an action of no kind are not known to be one or the other.
_TRIED_BY = {
    **dict.fromkeys((D.LOWERS_LR, D.RAISES_LR), ("lr_factor",)),
    **dict.fromkeys((D.STOP_AT, D.STOP, D.KEEP_TRAINING, D.TRAIN_ON, D.SEE_FORECAST, D.EARLY_STOP, D.EARLY_STOP_BEST,
                     D.STOP_ON_ACC), ("epochs_factor",)),
    D.MODEL_SIZE: ("size_factor",), D.DATA_OR_MODEL: ("data_factor", "size_factor"), D.MORE_DATA: ("data_factor",),
    D.LESS_REG: ("decay_factor", "dropout_factor"), D.CHECK_LABELS: ("shuffle_labels",)}


def _not_tried(first: str, change: dict) -> bool | None:
    """Whether ``change`` was not the action ``first`` (by its kind, :data:`_TRIED_BY`); None where its kind says
    no change of compare's."""
    tried = _TRIED_BY.get(getattr(first, "kind", None))
    return None if tried is None else not set(tried) & set(change)


#: A weight decay or dropout added where there was none, or removed: read as its factor with no ratio (inf, 0; see
#: _read_change).
_FROM_ZERO = {("decay_factor", math.inf): "weight decay added", ("decay_factor", 0.0): "weight decay removed",
              ("dropout_factor", math.inf): "dropout added", ("dropout_factor", 0.0): "dropout removed"}
_FROM_ZERO_WHAT = {"decay_factor": "a weight decay", "dropout_factor": "dropout"}


def _names(ds, said: dict | None = None) -> str:
    names = [said[id(x)] if said else x.run_name for x in ds]
    return names[0] if len(names) == 1 else f"{names[0]} (+{len(names) - 1})"


def _told_apart(before, after) -> dict:
    """``{id(diagnosis): name}`` for the runs of both sides: the run's name, or where one side's name is the other's
    (two Lightning logs, each ``.../version_0/metrics.csv``: "version_0 → version_0") the nearest folder of its path
    that differs from the other side's paths, before the name ("base/version_0 → long/version_0")."""
    out = {id(x): x.run_name for x in [*before, *after]}
    for side, other in ((before, after), (after, before)):
        theirs = {x.run_name for x in other}
        paths = [Path(str(x.source)).parts for x in other if x.source]
        for x in side:
            if x.run_name not in theirs or not x.source:
                continue
            mine = Path(str(x.source)).parts
            # (from the file name up: the first folder no path of the other side has at the same depth from the end)
            for i in range(1, len(mine) + 1):
                if all(len(p) < i or p[-i] != mine[-i] for p in paths):
                    if mine[-i] != x.run_name:
                        out[id(x)] = f"{mine[-i]}/{x.run_name}"
                    break
    return out



def _listed(names, most: int = 8) -> str:
    names = sorted(names)
    return (", ".join(names[:most]) + (f" … ({len(names)} in all)" if len(names) > most else "")) or "nothing"
