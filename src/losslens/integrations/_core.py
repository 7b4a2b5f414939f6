"""What every callback shares: record the run, diagnose it, decide, report once, save.

The framework modules only translate: they hand :class:`Watcher` one row of metrics per
epoch (``end_epoch``) and carry out its :class:`Decision` (stop, restore the best weights,
set a new learning rate). :class:`GradientProbe` samples gradient evidence from torch
parameters. Nothing here imports a framework at module level.

Parameter names follow Keras' ``EarlyStopping`` and ``ReduceLROnPlateau`` where the meaning
is the same (``monitor``, ``mode``, ``min_delta``, ``patience``, ``restore_best_weights``,
``start_from_epoch``, ``factor``, ``min_lr``, ``cooldown``, ``verbose``); what differs is
*when* they act: on a diagnosed cause (``stop_on``, ``reduce_lr_on``), not on patience alone.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import math
import os
import re
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np

from ..columns import (LAYER_GRAD, adversarial_pair, adversarial_players, canonical, is_validation, layer_of,
                       map_columns, normalise, respell, spelt_as)
from ..exceptions import (CallbackFailureWarning, LosslensError, LosslensWarning, MonitorError, UsageError,  # noqa: F401
                          UsageTypeError, check_number, import_framework)  # (import_framework, MonitorError: the callbacks import them from here)
from ..facts.smoothing import theil_sen
from ..run import Run
from ..result import SCORE_TIE, at_text, axis_text, finite_or_none, share_text

logger = logging.getLogger("losslens.integrations")
#: Above 0 while ``losslens verify`` trains: its report diagnoses every run it trains, so a callback attached
#: to them does not print its own (each retraining's "losslens (lightning, at the end of training): ..." came
#: between verify's lines); the reports still go to the logger and ``messages``, and the callbacks still act.
_hushed = [0]


@contextlib.contextmanager
def hushed():
    """Hold the callbacks' printed reports for the duration (see ``_hushed``)."""
    _hushed[0] += 1
    try:
        yield
    finally:
        _hushed[0] -= 1


# Verdicts that are not worth interrupting anyone for.
QUIET = ("still_improving", "temporary_plateau")
# Canonical series -> the key Keras' History uses, so the saved file reads like a History JSON.
KERAS_KEYS = {"train_loss": "loss", "train_acc": "accuracy", "val_acc": "val_accuracy"}


@dataclass
class Decision:
    """What the framework adapter should do after an epoch."""

    stop: bool = False
    restore: bool = False          # load the best weights (stopping with restore_best_weights)
    new_lr: float | None = None    # set the optimizer's learning rate to this
    improved: bool = False         # the monitored value improved: snapshot the weights now
    message: str | None = None     # the report (the first firm verdict, and each change of it)


#: The stops held while the lr is still warming up (:meth:`Watcher._warm_holds`): causes a rising lr can still change.
WARM_HELD = frozenset({"underfitting", "lr_too_low", "stuck_at_init", "converged"})


@dataclass
class LRSchedule:
    """What the framework adapter knows about the learning-rate scheduler(s) attached to the run.

    ``name``: what sets the lr, for messages (``"CosineDecay"``, ``"LearningRateScheduler"``,
    ``"StepLR"`` ...). ``running``: it will still change the lr (False: a ReduceLROnPlateau at its
    ``min_lr``, a MultiStepLR past its last milestone, a schedule whose remaining values are all the
    current one), or a function without arguments that tells it: it is asked only when a stop is
    being weighed (reading a Keras schedule calls the user's code). ``owns_lr``: it sets the
    lr itself at every epoch or step, so a lr the callback set would be put back (Keras'
    ``LearningRateScheduler`` or a ``LearningRateSchedule`` object as the optimizer's lr).
    """

    name: str
    running: Any = True
    owns_lr: bool = False
    #: the lr is still rising to its peak (a warm-up), where the adapter knows it; None: read off the lrs recorded
    warming: Any = None

    def still_runs(self) -> bool:
        """``running``, asked once (True when asking fails: holding on is the old, safe reading)."""
        if callable(self.running):
            try:
                self.running = bool(self.running())
            except Exception:
                self.running = True
        return bool(self.running)


#: The ``meta`` keys :func:`decay_meta` and :func:`dropout_meta` write.
DECAY_KEYS = ("weight_decay", "decoupled_weight_decay")
PENALTY_KEYS = DECAY_KEYS + ("dropout",)


@dataclass
class Watcher:
    """Records one row per epoch, diagnoses the run so far and decides what to do.

    Parameters
    ----------
    monitor : str
        Series whose best value defines "improved" and the weights to restore
        (``val_loss`` by default). Until it is first logged (no validation yet, or validation
        every k epochs) the best is tracked on ``train_loss``; from its first value on, on it
        alone: a training loss is never compared with a validation loss. ``val_loss`` never logged beside a
        ``val_acc`` (validation by accuracy alone): ``val_acc``, the curve the diagnosis reads. Another name
        that is not logged where it was expected (a validation name once validation has run; any other at the
        first epoch), most often a typo (``"val_los"``), is said in one line naming the series the run logs
        ("did you mean val_loss?") and the series tracked instead (``val_loss``, else ``val_acc``, else
        ``train_loss``; a training name: ``train_loss``), which the saved file's ``meta["monitor"]`` names: a
        warning, as Keras' ``EarlyStopping`` gives; the Lightning callback raises :class:`~losslens.MonitorError`
        instead, as Lightning's does, where the monitor decides what it does (``restore_best_weights``,
        ``stop_gain``) and ``strict`` is left True.
    mode : ``"auto"``, ``"min"`` or ``"max"``
        ``auto`` means max for accuracy-like names, min otherwise.
    min_delta : float
        Change of ``monitor`` (in its units) that counts as an improvement.
    patience : int
        Epochs without improvement of ``monitor`` before a diagnosed cause is acted on
        (``diverged`` is acted on at once). 0: act as soon as the cause is diagnosed.
    stop_on : iterable of cause ids
        Stop training when the verdict is one of these, e.g. ``("converged", "overfitting",
        "diverged")``. Empty (default): report only. ``converged`` also stops a task solved on the validation
        set (accuracy at its ceiling while the loss still falls, which the diagnosis calls still_improving and
        advises to stop), as soon as two diagnoses in a row read it. ``converged`` does not stop the run while
        an lr scheduler that will still change the lr is attached (the ``schedule`` the adapter
        passes to :meth:`end_epoch`), unless it has already lowered the lr to 1/1000 of its
        peak: a curve flat at the current lr is not finished when the lr will still fall. When the
        schedule is over (it says so: a MultiStepLR past its last milestone, a Keras schedule whose
        remaining rates are all the current one ...), the hold ends once an epoch has been trained
        at its last lr. ``stop_gain`` is held the same way. Each epoch is diagnosed without the
        forecast (its costly part); before a ``converged`` stop the run is diagnosed again with
        it, and a forecast that still expects a real gain (still_improving) holds the stop. So
        does the stretch since the plateau epoch X (since the last lr cut, when later)
        forecast on its own, until it has 5 points and expects less than 1% change either way at
        two diagnoses in a row (after an lr cut, losslens's own or the last step down of the logged lr once the
        user's schedule is over, the stretch starts at the cut, and so must the stretch's Theil-Sen slope carried
        to the planned end: a curve creeping down at the new rate looks flat to a forecast on its first
        points; the GRU below at seeds 8 and 9 was stopped 7-8 epochs after its cut, 3.4% and 4.7% above
        what training on reached, now 0.4% and 0.5%): after a cliff (a GRU's first epoch, 0.144 ->
        0.032) the whole curve's improvement is the cliff's, a tail still falling a quarter of
        its level is "within 5%" of it, and the whole curve's forecast is the cliff's too
        (tests/fixtures/ecosystem/torch_gru_cliff: stopped at epoch 8 at 0.0158, 0.0110 reached).
        Replayed on the 2,515 benchmark curves with ``stop_on=("converged",)``
        (benchmarks/converged_stop_eval.py), the converged stop uses 89.5% of their points at
        0.9% 90th-percentile / 1.0% mean regret (Keras patience 10: 83.7%, 1.1% / 1.6%); without
        the flat-stretch check 71%, 14% / 6.3%; with it before the 5 points and the 1% either way,
        86.3%, 1.3% / 2.2% (DeepOBS 15.1% / 5.6%, now 3.1% / 2.6%).
        A ``converged`` stop (and its report, "stop at X") is also held while a metric logged beside the loss, whose
        name says which way is better (a sample-quality distance, a BLEU, an F1; not a training-split metric, not a
        part of a loss, not the accuracies: the metrics the diagnosis reads after the run), still sets new bests
        beyond its noise within its last quarter (at least ``patience`` points, and 10 once it has 20): the loss is
        flat, the run is not done in the measure the user chose; the callback says once why it holds
        (:meth:`_logged_metric_holds`). A DDPM on two moons (tests/fixtures/ecosystem/lightning_ddpm, seeds 0-2)
        was stopped at epoch 8, 12, 18 with its samples' energy distance at 0.047, 0.034, 0.023; held, it trains
        on to epoch 39 (0.027, 0.026, 0.025; 0.010 at epoch 79 of the 80-epoch run).
    restore_best_weights : bool
        When stopping, load the weights of the best ``monitor`` epoch (the Keras callback also at the end of a
        fit it did not stop, as Keras 3's ``EarlyStopping``).
    reduce_lr_on : iterable of cause ids
        Lower the learning rate when the verdict is one of these, e.g. ``("lr_too_high",)``.
        Not while a scheduler sets the lr itself (it would put the old rate back): then it
        warns once and does nothing. With ``lr_too_high`` here, a ``converged`` stop waits until the
        run has the points the bounce check needs (``Thresholds.shape_min_points``, 20), and after
        a cut until ``cooldown`` epochs were trained at the new rate.
    factor, min_lr, cooldown :
        New lr = max(lr * factor, min_lr); after a change, wait ``cooldown`` epochs before the
        next one (the curve needs time to show the effect).
    start_from_epoch : int
        Epochs recorded before the first diagnosis (a plateau needs a few points to be seen).
        A verdict is reported and acted on when two diagnoses in a row agree (and reported
        again when a firm verdict differs from the one reported); a non-finite training loss
        is diagnosed and acted on at once.
    min_confidence : float in [0, 1]
        Act on (and report) a verdict only with at least this confidence: the one the report prints
        (the verdict's calibrated chance of being right; for ``reduce_lr_on`` acting on a cause listed
        after the verdict, that cause's own confidence). The default 0.5: more likely right than wrong.
    verbose : int
        0: silent (the report still goes to the ``losslens.integrations`` logger);
        1: print the report and each action.
    save_path : str or path, optional
        JSON file rewritten atomically after every epoch: Keras History keys (``epoch``,
        ``loss``, ``val_loss``, ``lr``, ``grad_norm`` ...) plus ``meta``; read it back with
        ``losslens.read`` or ``losslens diagnose``.
    classes : int >= 2, optional
        Number of classes, for the chance level of accuracy.
    metric : str, optional
        ``monitor`` under the name :func:`losslens.diagnose` gives it.
    name : str, optional
        Run name in reports (default: the save file's stem, else the framework).
    stop_gain : float or None
        Also stop when going on to the planned last epoch is forecast to lower ``monitor`` by
        less than this fraction (0.01 = 1%): :class:`losslens.stopping.ForecastStopping`, whatever
        the verdict. None (default): off. Benchmark: 16% fewer epochs than Keras
        ``EarlyStopping(patience=10)`` at 0.59% median (3.7% p90) regret on 2,515 real curves;
        checked at every epoch, as here, 20% fewer at 0.67% (5.6% p90) before the progress guard
        (not remeasured since). The forecast is weighed against the best of the running median of 3,
        not the raw best: one lucky epoch that the next undoes no longer ends a run still falling
        (a Keras CNN stopped at epoch 35 at 0.0736, the epoch after its best, now goes on to 49 at 0.0615; 0.0570 was reachable). Held, like
        ``converged``, while an lr schedule will still lower the lr: the forecast extrapolates the
        curve at the current lr, and the drops the schedule still has to make are not in it. A stop on a loss is
        held, like ``converged``, while a metric logged beside it still improves (the DDPM above: stopped at
        epoch 5, 4, 10 on val_loss, now at 33, 15, 13).
    horizon : float or None
        The planned last epoch (``epochs - 1`` of ``model.fit``) that ``stop_gain`` forecasts to, as do the
        forecast that backs a ``converged`` stop and the final report's (``run().meta["planned_end"]``);
        the callbacks fill it from the trainer (Keras ``epochs``, Lightning ``max_epochs`` or ``max_steps``,
        Transformers ``num_train_epochs`` / ``max_steps``, ``Monitor(epochs=)``). None: twice
        the epochs seen so far.
    noise_floor : float or None
        The data's noise floor: the lowest validation loss the data allows, in the loss's units (a regression's
        target noise variance for MSE: 0.01), as ``losslens diagnose --noise-floor`` states it. The run states it
        (``run().meta["noise_floor"]`` and the saved file's meta), so every diagnosis and forecast of a validation
        loss is held at it, as ``losslens forecast`` holds its own, and so is ``stop_gain``'s rule: a run at its
        floor reads converged and is stopped where it reaches it, not told to train on towards a fit that bends on
        below it. None (default): no floor stated.
    baseline_loss : float or None
        The loss of predicting one constant for every input, in the loss's units (for MSE the validation targets'
        variance: 1.0 on standardised targets; for MAE their mean absolute deviation from the median), as
        ``losslens diagnose --baseline-loss`` states it: a regression's "learned nothing", where a classifier's is
        ln K. The run states it (``run().meta["baseline_loss"]`` and the saved file's meta): a validation loss never
        clearly below it while training fell reads ``no_signal``, training settled at it ``stuck_at_init``.
        None (default): none stated.
    offset_free : bool
        The loss has no zero point (a Gaussian NLL, a continuous ELBO: measuring the target in other units adds a
        constant), as ``losslens diagnose --offset-free`` says it. The run states it (``run().meta["offset_free"]``
        and the saved file's meta): every diagnosis and forecast reads it as those do, and ``stop_gain`` is a share
        of the curve's improvement so far, not of its value. Default False: a loss below 0 says it all the same.
    time_budget_ms : float or None
        Average CPU time per epoch end allowed for diagnosing: 5 ms, or 1% of the epoch's
        duration when that is more. When one diagnosis takes longer (a run of thousands of
        epochs), the next epochs are skipped so the average stays within it. None: diagnose
        every epoch.
    """

    monitor: str = "val_loss"
    mode: str = "auto"
    min_delta: float = 0.0
    patience: int = 0
    stop_on: Iterable[str] = ()
    restore_best_weights: bool = False
    reduce_lr_on: Iterable[str] = ()
    factor: float = 0.1
    min_lr: float = 0.0
    cooldown: int = 5
    start_from_epoch: int = 5
    min_confidence: float = 0.5
    verbose: int = 1
    save_path: Any = None
    classes: int | None = None
    metric: str | None = None
    stop_gain: float | None = None
    horizon: float | None = None
    time_budget_ms: float | None = 5.0
    noise_floor: float | None = None
    offset_free: bool = False
    framework: str = "python"
    name: str | None = None
    axis_name: str = "epoch"
    baseline_loss: float | None = None

    # state
    axis: list = field(default_factory=list, init=False)
    history: dict = field(default_factory=dict, init=False)
    diagnosis: Any = field(default=None, init=False)     # the latest Diagnosis
    reported: Any = field(default=None, init=False)      # the Diagnosis reported last
    reports: list = field(default_factory=list, init=False)  # every report: {epoch, verdict, plateau_epoch, confidence}
    messages: list = field(default_factory=list, init=False)
    actions: list = field(default_factory=list, init=False)
    timings: list = field(default_factory=list, init=False)  # wall seconds per diagnosis
    cpu_timings: list = field(default_factory=list, init=False)  # CPU seconds per diagnosis
    best: float = field(default=math.nan, init=False)
    best_epoch: Any = field(default=None, init=False)
    best_key: Any = field(default=None, init=False)      # the series ``best`` is a value of
    wait: int = field(default=0, init=False)
    stopped_epoch: Any = field(default=None, init=False)
    _cooldown_left: int = field(default=0, init=False)
    _nonfinite: bool = field(default=False, init=False)
    _warned: bool = field(default=False, init=False)
    _classes_read: bool = field(default=False, init=False)
    _last_verdict: Any = field(default=None, init=False)
    _skip: int = field(default=0, init=False)
    _report_check_skip: int = field(default=0, init=False)  # epochs before a converged report is checked again
    _last_end: Any = field(default=None, init=False)
    _epoch_seconds: float = field(default=0.0, init=False)
    _stopper: Any = field(default=None, init=False)
    _schedule: Any = field(default=None, init=False)     # the LRSchedule of the last epoch
    _said: set = field(default_factory=set, init=False)    # one-time notes already given
    # How the framework's own printout numbers this epoch, when it differs from the log's (Keras prints
    # epoch e as "Epoch e+1/N"): said once, beside the first report that quotes an epoch.
    epoch_note: Any = field(default=None, init=False)
    _flat_backed: Any = field(default=None, init=False)    # diagnoses made when the flat stretch last backed a stop
    _improving_memo: Any = field(default=None, init=False)  # ((rows, loss), what _improving_logged_metric found)
    # A further fit of the same model with this callback (Keras' fit called again, as fine-tuning does after a
    # frozen phase; see :meth:`begin_fit`): its planned last epoch in the trainer's count until its first epoch,
    # then the number added to the trainer's epochs and the last epoch of the fit before.
    _next_fit: Any = field(default=None, init=False)
    offset: float = field(default=0.0, init=False)
    # Prints a message (None: ``console_print``): an adapter whose framework draws a progress bar that leaves its
    # line open while the callback runs (Keras' verbose=1) starts the message on a line of its own.
    printer: Any = field(default=None, init=False)
    _fit_start: Any = field(default=None, init=False)
    _user_horizon: bool = field(default=False, init=False)
    _planned_from: str = field(default="the planned end", init=False)  # where ``horizon`` came from, for the reports
    # What the adapter read off the trainer once, at the start, for the diagnosis: the weight penalty
    # (``weight_decay``: the dict facts/regularization.py reads; see :func:`decay_meta`).
    meta: dict = field(default_factory=dict, init=False)
    # Which run of this callback this is (0: the first; :meth:`fresh` counts on) and the trial's own name where the
    # trainer gives one (a Trainer's ``hyperparameter_search`` with ``hp_name``): the file each run saves to.
    run_index: int = field(default=0, init=False)
    trial: Any = field(default=None, init=False)
    _named: bool = field(default=False, init=False)  # ``name`` was the user's, not the save file's stem
    #: the save file as the first run of this callback names it (``save_path`` before :meth:`save_to`)
    base_path: Any = field(default=None, init=False)
    # This process diagnoses, reports, saves and decides: the only one, or rank 0 of a data-parallel run (the adapter
    # sets it). Another rank only records its rows and carries out rank 0's decision (:meth:`share`): each rank
    # deciding for itself printed every report once per rank, and ranks that decided differently (values logged
    # without sync_dist, a diagnosis skipped for time on one rank) stopped at different epochs, the rest left
    # waiting in the next gradient all-reduce.
    lead: bool = field(default=True, init=False)
    # What a ``monitor`` not logged where it was expected does (:meth:`_check_monitor`), set by the adapter as its
    # framework's own EarlyStopping acts: False warns (Keras), True raises (Lightning's strict=True) where the
    # monitor decides an action.
    strict_monitor: bool = field(default=False, init=False)
    # The series tracked instead of a ``monitor`` found not logged (None: it was not, or not checked yet).
    monitor_missing: Any = field(default=None, init=False)
    _monitor_seen: bool = field(default=False, init=False)
    # Each series recorded -> the name the framework logged it under (Keras' ``loss`` for ``train_loss``): what the
    # monitor warning lists, as the user would name it in ``monitor=``.
    _logged_as: dict = field(default_factory=dict, init=False)

    @classmethod
    def checked(cls, owner: str, **options) -> "Watcher":
        """A Watcher built for the callback ``owner`` (``"LosslensCallback"``) from its user's keywords: one it does
        not take is named with those it does (Python's TypeError named ``Watcher.__init__``, not the callback)."""
        from dataclasses import fields

        known = [f.name for f in fields(cls) if f.init and f.name not in ("framework", "axis_name")]
        unknown = [k for k in options if k not in known and k not in ("framework", "axis_name")]
        if unknown:
            from ..facts import did_you_mean

            raise UsageTypeError(f"{owner} takes no keyword {unknown[0]!r}; it takes {', '.join(known)}"
                                 f"{did_you_mean(unknown[0], known)}")
        return cls(**options)

    def __post_init__(self):
        if self.save_path is not None and not isinstance(self.save_path, (str, os.PathLike)):
            raise UsageTypeError(f"save_path={self.save_path!r}: a path to write the run to (run.json), or None")
        self._named, self.base_path = self.name is not None, self.save_path
        if self.name is None:
            self.name = _path_name(self.save_path) if self.save_path is not None else self.framework
        # One cause as a string (stop_on="overfitting") was split into its letters, then refused as 11 unknown causes.
        self.stop_on = (self.stop_on,) if isinstance(self.stop_on, str) else tuple(self.stop_on or ())
        self.reduce_lr_on = (self.reduce_lr_on,) if isinstance(self.reduce_lr_on, str) else tuple(self.reduce_lr_on or ())
        if self.metric is not None:  # losslens.diagnose's name for what Keras' callbacks call monitor
            if self.monitor not in ("val_loss", self.metric):
                raise UsageError(f"metric={self.metric!r} and monitor={self.monitor!r} name different series: give one")
            self.monitor = self.metric
        from ..api import check_classes

        check_classes(self.classes)  # (classes=1 was taken, then divided by zero at the chance level)
        from ..api import check_baseline_loss, check_noise_floor

        check_noise_floor(self.noise_floor)  # (refused when the callback is made, not at its first diagnosis)
        check_baseline_loss(self.baseline_loss)
        if not isinstance(self.offset_free, (bool, np.bool_)):
            raise UsageTypeError(f"offset_free={self.offset_free!r}: True (the loss has no zero point: a Gaussian "
                                 "NLL) or False")
        for key in ("stop_gain", "horizon", "min_delta", "min_confidence", "factor", "min_lr", "time_budget_ms"):
            if getattr(self, key) is not None:
                check_number(key, getattr(self, key), allow_inf=True,
                             **({"minimum": 0, "below": 1, "means": "a fraction", "note": "0.01 for 1%"}
                                if key == "stop_gain" else {}))
        for key in ("patience", "cooldown", "start_from_epoch", "verbose"):  # (patience="3" failed at an epoch's end)
            if not (key == "verbose" and isinstance(self.verbose, bool)):  # (verbose=True is Keras' own spelling)
                check_number(key, getattr(self, key), integer=True)
        if not isinstance(self.monitor, str):
            raise UsageTypeError(f"monitor={self.monitor!r}: the series' name, a string (monitor='val_loss')")
        self._user_horizon = self.horizon is not None
        if self._user_horizon:
            self._planned_from = f"horizon={self.horizon:g}"
        for option in ("stop_on", "reduce_lr_on"):
            unknown = [c for c in getattr(self, option) if c not in _cause_ids()]
            if unknown:
                from ..cli import unknown_cause_line  # (typer: imported only to refuse)

                raise UsageError(unknown_cause_line(option, unknown[0], _cause_ids()))
        if self.mode not in ("auto", "min", "max"):
            raise UsageError(f"mode must be 'auto', 'min' or 'max', got {self.mode!r}")
        self.monitor_key = canonical(self.monitor) or normalise(self.monitor)
        _diagnoser()  # import the diagnosis (scipy ...) now, not at the first epoch end
        if self.mode == "auto":
            from ..facts import metric_direction

            self.mode = "max" if metric_direction(self.monitor_key) else "min"

    # ---- recording ----------------------------------------------------------------------
    def end_epoch(self, epoch, logs: Mapping[str, Any], lr: float | None = None,
                  extra: Mapping[str, float] | None = None, schedule: LRSchedule | None = None) -> Decision:
        """Record one row (``logs``: metric name -> number), diagnose, decide.

        Values that are not numbers (None, strings, broken tensors) are recorded as missing;
        a NaN/inf training loss is kept as inf (the run diverged). ``schedule``: the lr
        scheduler attached to the run, if any (see :class:`LRSchedule`).
        """
        if not self.lead:
            self.record(epoch, logs, lr, extra)
            self._check_monitor(epoch)  # (every rank raises alike: one alone would leave the others waiting)
            return Decision()
        now = time.perf_counter()
        if self._last_end is not None:
            self._epoch_seconds = now - self._last_end
        self._last_end = now
        self._schedule = schedule
        self.record(epoch, logs, lr, extra)
        self._check_monitor(epoch)
        decision = Decision()
        key, value = self._monitored()
        if key != self.best_key:
            # The monitored series was logged for the first time (validation every k epochs, or
            # from some epoch on): the best so far was a training loss; start over on it.
            self.best, self.best_epoch, self.best_key, self.wait = math.nan, None, key, 0
            self._stopper = None
        decision.improved = self._update_best(value, epoch)
        if self._cooldown_left > 0:
            self._cooldown_left -= 1
        if self._skip > 0 and not self._nonfinite:
            self._skip -= 1
        elif len(self.axis) >= max(self.start_from_epoch, 3) or self._nonfinite:
            self._diagnose()
            self._decide(decision, epoch, lr)
        if self.stop_gain is not None and not decision.stop and not self._on_a_player(key):
            self._forecast_stop(decision, epoch, value)
        self.save()
        return decision

    def share(self, decision: Decision | None, broadcast) -> Decision | None:
        """Rank 0's decision (stop, restore, a new lr, whether to keep these weights as the best) on every rank of a
        data-parallel run, its stop and actions recorded on each. ``broadcast(obj)`` returns rank 0's ``obj`` on every
        rank: a collective, so every rank calls this once at each point a row is recorded, whatever went before
        (``decision`` None where recording failed or there was nothing to decide). On a failure to share, each rank
        keeps its own decision (a follower's: none)."""
        try:
            sent = broadcast((decision, self.actions, self.stopped_epoch) if self.lead else None)
        except Exception as exc:
            self.warn_once(exc, "sharing rank 0's decision with the other ranks")
            return decision
        if self.lead or sent is None:
            return decision
        decision, actions, self.stopped_epoch = sent
        self.actions = list(actions)
        return decision

    def _on_a_player(self, key: str) -> bool:
        """``key`` is a GAN player's loss (``d_loss``, ``loss_G`` ...): ``stop_gain``'s forecast would read the game's
        balance as a curve approaching its floor."""
        if key not in adversarial_players(self.history):
            return False
        if self.diagnosis is not None:
            self._game_holds(self.diagnosis)
        return True

    def fresh(self) -> "Watcher":
        """A Watcher with this one's options and nothing recorded: a new run watched by the same callback (a Trainer's
        ``model_init`` trains a new model at each ``train()``; Keras' ``fit`` or Lightning's ``Trainer.fit`` given
        another model). The planned end is the trainer's to state again; what the adapter set on this one (how it
        prints, whether it leads, a strict monitor) stays."""
        from dataclasses import replace

        new = replace(self, horizon=self.horizon if self._user_horizon else None,
                      name=self.name if self._named else None)
        new.run_index, new._named = self.run_index + 1, self._named
        new.printer, new.lead, new.strict_monitor = self.printer, self.lead, self.strict_monitor
        new.save_to(self.base_path)
        return new

    def say_new_run(self, given: str, tail: str = "") -> None:
        """Say once that this (:meth:`fresh`) Watcher's run is a new one, for ``given`` (what the adapter was handed:
        "fit of another model"), with its number and file, then ``tail``."""
        saved = f", saved to {self.save_path}" if self.save_path else ""
        self.say(f"losslens: {given}: a new run (run {self.run_index}{saved}){tail}")

    def save_to(self, path, trial=None) -> None:
        """Save this run to ``path``, or beside it where this is not the callback's first run or is a named trial:
        ``losslens-run1.json``, ``losslens-run2.json`` ... or ``losslens-<trial>.json``. One callback reused over
        several runs (a Trainer's ``model_init`` trials) rewrote one file with the latest run, the earlier trials'
        lost; a folder of these files reads as a sweep (``losslens diagnose FOLDER``). ``trial``: the trial's name
        (a Trainer's ``state.trial_name``), kept in the file's meta."""
        self.base_path = path
        if trial is not None:
            self.trial = str(trial)
            self.meta["trial"] = self.trial
        if path is not None and (self.trial is not None or self.run_index):
            stem, ext = os.path.splitext(os.fspath(path))
            tag = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.trial) if self.trial is not None \
                else f"run{self.run_index}"
            path = f"{stem}-{tag}{ext or '.json'}"
        self.save_path = path
        if not self._named and path is not None:
            self.name = _path_name(path)

    def plan(self, horizon, source: str = "the planned end") -> None:
        """The trainer's planned last epoch (or step), for ``stop_gain`` and the forecast a diagnosis quotes
        (``run().meta["planned_end"]``); ``source``: where the trainer states it (``fit(epochs=60)``). The
        user's ``horizon`` wins."""
        if self.horizon is None and horizon is not None and math.isfinite(float(horizon)) and float(horizon) > 0:
            self.horizon, self._planned_from = float(horizon), source

    def begin_fit(self, last=None, source: str = "the planned end", offset: float | None = None) -> None:
        """A fit starts; ``last``: its planned last epoch in the trainer's own count (Keras' ``epochs - 1``).

        The first fit only plans (:meth:`plan`). A further fit of the same model with the same callback (the
        second ``fit`` of transfer learning: the base unfrozen, recompiled at a lower lr) continues the run: the
        history stays, the epochs go on from where it ended (a fit without ``initial_epoch`` counts from 0 again,
        and each of its epochs would overwrite the earlier fit's), and what decided a stop starts over as Keras'
        ``EarlyStopping`` does at each fit: the wait for ``patience``, the verdict seen last, the planned end
        (kept at the first fit's, the second fit was at its end from its first epoch and a ``converged`` stop was
        not held: a CNN fine-tuned after 40 frozen epochs was stopped after 1 of its 30, at val_loss 0.253; it
        reached 0.207). The flat stretch a ``converged`` stop waits on starts at the new fit, as after an lr cut
        (:meth:`_last_cut`): a recompiled optimizer, a new lr and more weights to train make a new curve.

        ``offset``: what to add to the trainer's count, where the adapter knows it (a Trainer's ``train()`` again
        counts its steps from 0: after the run so far; resumed from a checkpoint, 0). None: :meth:`fit_epoch` infers it
        from the first epoch of the fit."""
        if not self.axis:
            self.plan(last, source)
            return
        self._next_fit = (last, source, offset)

    def carry_on(self, at, *, inclusive: bool = False, saved: Mapping | None = None) -> None:
        """A run resumed past its start by a fresh callback (Keras' ``initial_epoch`` in a new process, Lightning's
        ``ckpt_path``, the Trainer's ``resume_from_checkpoint``): take in the rows before ``at`` (up to it with
        ``inclusive``: a Trainer's row at the checkpoint's step is not trained again) from ``saved`` (what
        :meth:`to_history` gave, kept in the trainer's checkpoint) or else the file at ``save_path``, where the
        earlier session saved them. Without them the run started at ``at`` and the file was overwritten with the
        resumed part alone: a Keras run resumed at epoch 15 read "flattened at epoch 29" of its 15 points while the
        whole run was still improving, a Trainer resumed at step 128 read "overfitting, best weights from step 160"
        when its best, 0.375, was at 128. What decided a stop (the best, ``patience``) starts over, as at a further
        fit (:meth:`begin_fit`): the weights of an earlier best are not held."""
        if self.axis:
            return
        where = f"{self.axis_name} {axis_text(at)}"
        source = "the checkpoint" if saved is not None else _str(self.save_path)
        if saved is None and self.save_path is not None and os.path.isfile(self.save_path):
            try:
                with open(self.save_path) as fh:
                    saved = json.load(fh)
            except (OSError, ValueError) as exc:
                self.say_once("carry-on", f"losslens: resumed at {where}, but the earlier rows in "
                              f"{_str(self.save_path)} could not be read ({exc}): the run is recorded from {where}")
                return
        meta = saved.get("meta") if isinstance(saved, Mapping) else None
        axis = saved.get(self.axis_name) if isinstance(meta, Mapping) else None
        if not (isinstance(meta, Mapping) and meta.get("format") == "losslens.run/1"
                and meta.get("framework") == self.framework and isinstance(axis, list)):
            return  # nothing this callback saved for this run: it starts here
        keep = [i for i, x in enumerate(axis) if isinstance(x, (int, float)) and (x <= at if inclusive else x < at)]
        names = [k for k, v in saved.items() if k not in ("meta", self.axis_name, "epoch", "step")
                 and isinstance(v, list) and len(v) == len(axis)]
        for i in keep:
            self.record(axis[i], {k: saved[k][i] for k in names if saved[k][i] is not None})
        if keep:
            self.say_once("carry-on", f"losslens: resumed at {where}: the {len(keep)} rows {'up to' if inclusive else 'before'} it are carried on "
                          f"from {source}, saved by the earlier session")

    def fit_epoch(self, epoch) -> float:
        """``epoch`` of the trainer's count as this run's axis value (see :meth:`begin_fit`)."""
        if self._next_fit is not None and self.axis:
            (last, source, offset), self._next_fit = self._next_fit, None
            before = float(self.axis[-1])
            # Counting from the start again: after the run so far. Resumed at an epoch inside it (Keras'
            # initial_epoch=k): its own count, the epochs it trains again superseding the earlier rows (as the
            # CSV reader reads a CSVLogger(append=True) file resumed so).
            if offset is None:
                offset = before + 1.0 - float(epoch) if float(epoch) <= float(self.axis[0]) else 0.0
            self.offset = float(offset)
            self._drop_from(float(epoch) + self.offset)
            before = float(self.axis[-1]) if self.axis else before
            self._fit_start = before
            self.wait, self.stopped_epoch, self._last_verdict, self._flat_backed = 0, None, None, None
            self._stopper = None
            if not self._user_horizon:
                self.horizon = None
                self.plan(None if last is None else float(last) + self.offset, source)
            if self.offset:
                # (A Trainer's steps and fractional epochs count from 0 to the last; Keras' and Lightning's epochs
                # are numbered from 0: one more.)
                hf = self.framework == "transformers"
                self.say_once("fit-offset", (
                    f"losslens: a further {'train()' if hf else 'fit'} of the same model counts its {self.axis_name}s "
                    f"from {0 if hf else axis_text(epoch)} again: recorded from {self.axis_name} "
                    f"{axis_text(float(epoch) + self.offset)} on, after the {axis_text(before if hf else before + 1)} "
                    f"{self.axis_name}s before it"
                    + (" (pass initial_epoch= to fit to keep one count)" if self.framework == "keras" else "")))
        return float(epoch) + self.offset

    def _drop_from(self, at: float) -> None:
        """Forget the rows at ``at`` and after: a fit resumed inside the run trains them again. Kept until
        overwritten, they were read as the run's future: a Trainer resumed at step 64 by the same callback was
        diagnosed at step 80 on a curve that went on to step 128, the earlier session's. A best among them
        goes too (its weights were trained over)."""
        keep = [i for i, x in enumerate(self.axis) if x < at]
        if len(keep) == len(self.axis):
            return
        self.axis = [self.axis[i] for i in keep]
        self.history = {k: [v[i] for i in keep] for k, v in self.history.items()}
        # (keyed on the row count, which the rows trained again bring back to with other values)
        self._improving_memo = None
        if self.best_epoch is not None and float(self.best_epoch) >= at:
            self.best, self.best_epoch, self.best_key = math.nan, None, None

    def _forecast_stop(self, decision: Decision, epoch, value):
        """``stop_gain``: feed the monitored value to ForecastStopping; stop when it says so."""
        mode = self._best_mode()
        if self._stopper is None:
            from ..stopping import ForecastStopping

            from ..facts import offset_free, stated_noise_floor

            self._stopper = ForecastStopping(min_gain=self.stop_gain, horizon=self.horizon, mode=mode,
                                             metric=str(self.best_key),
                                             noise_floor=stated_noise_floor(self.run(), str(self.best_key),
                                                                            mode == "max"),
                                             offset_free=str(self.best_key) in ("train_loss", "val_loss")
                                             and offset_free(self.run()))
        # (not given the lr: the schedule's own hold below waits out the lr's changes, and the stop follows the
        # schedule's end; fed the lr, the rule would wait 10 more epochs after its last cut, cut_points)
        if not (math.isfinite(value) and self._stopper.update(float(epoch), value)):
            return
        fc = self._stopper.metric_forecast  # (on the metric's own scale, as `losslens forecast` quotes it)
        # The gain the rule decided on (against the best value so far), not the forecast's own
        # gain against the smoothed level: on a bouncing curve the two differ by tens of percent.
        gain = self._stopper.decided_gain
        end = "the planned end" if self.horizon is None else f"{self.axis_name} {axis_text(self.horizon)}"
        if self._schedule_running():
            self._stopper.resume()
            self.say_once("schedule-forecast", f"losslens: {self.best_key} is forecast to improve "
                          f"{_below(max(gain, 0.0), self.stop_gain)} by {end} at the current lr, less than stop_gain="
                          f"{self.stop_gain:g}, but the lr schedule ({self._schedule.name}) still runs: "
                          f"not stopping")
            return
        if self._warming():
            # Held as the WARM_HELD stops are (:meth:`_warm_holds`): a curve the warm-up is still shaping, slow at a
            # fraction of the peak rate, forecasts the run at that fraction. A digits MLP warmed up by hand (no
            # scheduler for the adapter to ask) from 0 to SGD 0.01 over 10 epochs of 40 was stopped at epoch 4,
            # val_loss 2.32 at lr 0.004, "forecast to improve 0.9%"; held, it trained on to a lower loss.
            self._stopper.resume()
            self.say_once("warming-forecast", f"losslens: {self.best_key} is forecast to improve "
                          f"{_below(max(gain, 0.0), self.stop_gain)} by {end}, less than stop_gain="
                          f"{self.stop_gain:g}, but {self._warming_by()}: not stopping before it gets there")
            return
        if "loss" in str(self.best_key) and self._logged_metric_holds(self.best_key, "stop_gain"):
            self._stopper.resume()
            return
        lo, hi = fc.interval
        top = self._stopper.top
        of = self._its_error(top) if mode == "max" else ""
        # An interval too wide to say much is said so, as `losslens forecast` flags it on the same points.
        doubt = f"; uncertain: {fc.uncertain}" if fc.uncertain else ""
        what = (f"stopped at {self.axis_name} {axis_text(epoch)}: {self.best_key} is forecast to improve "
                f"{_below(max(gain, 0.0), self.stop_gain)}{of} by {end}, less than stop_gain={self.stop_gain:g} "
                f"(forecast {fc.value:.4g}, 90% interval {lo:.4g} to {hi:.4g}{doubt})")
        self._stop(decision, epoch, what, cause="forecast", gain=float(gain), min_gain=self.stop_gain,
                   horizon=_num(fc.horizon), planned=self.horizon is not None, **({"top": top} if of else {}))

    def _stop(self, decision: Decision, epoch, what: str, **info):
        """Stop (restoring the best weights when asked) and say why: ``what``, plus the restore."""
        decision.stop = True
        decision.restore = self.restore_best_weights and self.best_epoch is not None
        self.stopped_epoch = epoch
        if decision.restore:
            what += f"; restoring the weights of {self.axis_name} {axis_text(self.best_epoch)} " \
                    f"({self.best_key} {self.best:.4g})"
        self._act("stop", epoch, what, **info)

    def record(self, epoch, logs: Mapping[str, Any], lr: float | None = None,
               extra: Mapping[str, float] | None = None) -> None:
        """Record one row as :meth:`end_epoch` does, without diagnosing or deciding: values a callback adds to a row
        already decided on (the epoch's own values, which Lightning logs at the step of a mid-epoch stop), or rows
        that only set the scene (a Trainer's first training loss before its first evaluation)."""
        row: dict[str, float] = {}
        items = dict(logs or {})
        if lr is not None and not any(canonical(k) == "lr" for k in items):
            items["lr"] = lr
        items.update(extra or {})
        mapping = map_columns([str(k) for k in items])
        for key, raw in items.items():
            name = mapping[str(key)]
            if name in row:
                continue
            spelt_as(self.meta, str(key), name)  # reports spell it as the framework logged it (Run.label)
            self._logged_as.setdefault(name, str(key))
            value = to_float(raw)
            if value is not None:
                row[name] = value
        # A NaN/inf training loss is divergence evidence: keep it (as inf, which the diagnosis
        # reads as "became NaN/inf"). Any other NaN (a validation set that produced no value,
        # a broken metric) is a missing value. A GAN's training losses are its two players'.
        train = [row.get(k) for k in ("train_loss", *adversarial_pair(row).get("train", ()))]
        diverged = any(v is not None and not math.isfinite(v) for v in train)
        self._nonfinite = self._nonfinite or diverged
        for name in [k for k, v in row.items() if not math.isfinite(v)]:
            row[name] = math.inf if diverged and name.endswith("loss") else math.nan
        n = len(self.axis)
        self.axis.append(float(epoch))
        for name in row:
            if name not in self.history:
                self.history[name] = [math.nan] * n
        for name, values in self.history.items():
            values.append(row.get(name, math.nan))

    def run(self) -> Run:
        """The run so far, with the trainer's planned end (``meta["planned_end"]``, as the readers keep the one a log
        states) where it is known: a forecast mid-run looks to it, not to twice the epochs so far (a converged stop
        held in a Keras fit of 60 epochs read "lower by epoch 24")."""
        planned = {**self._planned_meta(), **({} if self.horizon is None else {"live": self.stopped_epoch is None})}
        return Run(np.asarray(self.axis, dtype=float),
                   {k: np.asarray(v, dtype=float) for k, v in self.history.items()},
                   axis_name=self.axis_name, name=self.name, source=_str(self.save_path),
                   meta={**self.meta, "framework": self.framework, **planned, **self._floor_meta(),
                         **({"classes": self.classes} if self.classes else {}),
                         # (The lr cuts made so far: the diagnosis says them, as it does of the file saved.)
                         **({"actions": list(self.actions)} if self.actions else {})})

    def _floor_meta(self) -> dict:
        """``noise_floor`` and ``baseline_loss`` where the user stated them: the one place the diagnoses, the
        forecasts and the saved file read them from (``meta["noise_floor"]``, ``meta["baseline_loss"]``, as the lab,
        ``--noise-floor`` and ``--baseline-loss`` state them)."""
        return ({} if self.noise_floor is None else {"noise_floor": float(self.noise_floor)}) \
            | ({} if self.baseline_loss is None else {"baseline_loss": float(self.baseline_loss)}) \
            | ({"offset_free": True} if self.offset_free else {})

    def _planned_meta(self) -> dict:
        """``planned_end`` and ``planned_end_from`` (the readers' keys for the end a log states) where the end is
        known: what the forecast quoted looks to, live and in the file saved (:meth:`to_history`)."""
        return {} if self.horizon is None else {"planned_end": float(self.horizon),
                                                "planned_end_from": self._planned_from}

    def _monitored(self) -> tuple[str, float]:
        """(series, its value this epoch): ``monitor`` once it has had a finite value, before that
        ``train_loss``. Where ``monitor`` is ``val_loss`` and validation is logged as an accuracy alone
        (``epoch_end(val_acc=...)``, a LightningModule logging ``val_acc``), ``val_acc``: the curve the
        diagnosis reads and stops on (:meth:`losslens.run.Run.default_metric`). Tracked on ``train_loss``, the
        weights restored after a stop on a torch digits MLP were the last epoch's (its training loss still fell),
        or none at all in a loop that averaged no loss."""
        key = self.monitor_key
        if key != self.best_key:  # not seen yet: has it been logged now?
            # (A validation name not logged beside a validation loss: that loss, the curve the diagnosis reads.)
            for key in (key, *(("val_loss", "val_acc") if is_validation(key) else ()), "train_loss"):
                values = self.history.get(key)
                if values and any(math.isfinite(v) for v in values):
                    break
        values = self.history.get(key)
        return key, (values[-1] if values else math.nan)

    def _check_monitor(self, epoch, final: bool = False) -> None:
        """Say once that ``monitor`` is not logged, at the first row where it was expected: a validation name
        once a validation value was logged (validation every k epochs is not a missing monitor), any other name
        at once; at the end of training (``final``) whatever was logged. One line naming the series this run
        logs, the nearest of them (the CLI's ``--metric`` hint, :func:`losslens.facts.did_you_mean`) and the
        series tracked instead. Raised (:class:`~losslens.MonitorError`) under :attr:`strict_monitor` where the
        monitor decides what the callback does (``restore_best_weights``, ``stop_gain``), except at the end: a
        report's curve alone is no reason to end a run. The default ``val_loss`` is never said: its fallbacks
        (``val_acc``, ``train_loss`` for a run without validation) are documented, as they were."""
        if self.monitor_missing is not None or self._monitor_seen or self.monitor_key == "val_loss":
            return
        if any(math.isfinite(v) for v in self.history.get(self.monitor_key, ())):
            self._monitor_seen = True  # (checked no more: each epoch's cost stays flat in a long run)
            return
        if not final and is_validation(self.monitor_key) \
                and not any(is_validation(k) and math.isfinite(self.history[k][-1]) for k in self.history):
            return  # no validation this epoch yet
        used, _ = self._monitored()
        from ..facts import did_you_mean

        # (in Run.metrics' order, as `diagnose --metric` lists them)
        names = [k for k in self.run().metrics
                 if k not in ("lr", "grad_norm", "update_ratio", "epoch_frac", CLIP_RATIO, CLIPPED_SHARE)]
        # (as the framework logged them: Keras' loss and accuracy, not losslens's train_loss and train_acc)
        shown, names = self._logged_as.get(used, used), [self._logged_as.get(k, k) for k in names]
        logs = (f"(at {self.axis_name} {axis_text(epoch)} it logs: {', '.join(names) or 'nothing'})"
                f"{did_you_mean(self.monitor, names)}")
        acts = self.restore_best_weights or self.stop_gain is not None
        if self.strict_monitor and acts and not final:
            acting = " and ".join(k for k, on in (("restore_best_weights", self.restore_best_weights),
                                                   ("stop_gain", self.stop_gain is not None)) if on)
            raise MonitorError(self.as_logged(
                f"monitor={self.monitor!r} is not logged by this run, and {acting} act{'s' * (' and ' not in acting)} "
                f"on its best: name a series it logs, or pass strict=False to track the best on {shown} instead "
                f"{logs}"))
        self.monitor_missing = used
        if self.lead:
            self.advise_once("monitor", f"monitor={self.monitor!r} is not logged by this run, so the best is tracked "
                                        f"on {shown} instead {logs}")

    def _monitor_used(self) -> str:
        """The series the best is tracked on, as the saved file names it: ``monitor``, or what stands in for a
        monitor found not logged while it still is not."""
        if self.monitor_missing is not None and self.best_key is not None and self.best_key != self.monitor_key:
            return str(self.best_key)
        return self.monitor_key

    def _best_mode(self) -> str:
        if self.best_key == self.monitor_key:
            return self.mode
        return "max" if self.best_key == "val_acc" else "min"  # a fallback: val_acc or train_loss

    def _update_best(self, value, epoch) -> bool:
        if not math.isfinite(value):
            return False  # not logged this epoch (validation every k epochs): no evidence either way
        mode = self._best_mode()
        better = (math.isnan(self.best)
                  or (mode == "min" and value < self.best - self.min_delta)
                  or (mode == "max" and value > self.best + self.min_delta))
        if better:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            return True
        self.wait += 1
        if mode == "max" and abs(value - self.best) <= SCORE_TIE * max(1.0, abs(self.best)):
            # A score's tie moves the weights kept to this epoch (the patience runs on: no improvement): a quantised
            # accuracy's first best is one lucky draw among many ties, and the diagnosis names the last tie too
            # (result.best_index). Keras on breast cancer, monitor val_accuracy: the first of 27 tied maxima,
            # epoch 11, was restored at test accuracy 0.9561, the last held 0.9649; in
            # tests/fixtures/ecosystem/accuracy_ties/keras_bc.csv 46 ties, the first at 0.9518, the last 0.9605.
            self.best_epoch = epoch
            return True
        return False

    # ---- diagnosing and deciding ------------------------------------------------------------
    def _diagnose(self):
        t0, cpu0 = time.perf_counter(), time.thread_time()
        try:
            self.diagnosis = _diagnose(self.run(), self._metric(), self.classes)
        except LosslensError:
            self.diagnosis = None  # not enough finite values yet
        finally:
            self.timings.append(time.perf_counter() - t0)
            # A long run makes a diagnosis slower: skip epochs so that the average stays within
            # the budget (or 1% of an epoch, when epochs are long). CPU time of this thread, so
            # a busy machine does not make losslens look slow.
            took_ms = 1e3 * (time.thread_time() - cpu0)
            self.cpu_timings.append(took_ms / 1e3)
            if self.time_budget_ms:
                self._skip = self._over_budget(took_ms)

    def _pace_report_check(self, took_ms: float) -> None:
        """Skip the next checks of a converged report so that their CPU time averages within the budget (or 1% of
        an epoch): while a converged verdict is held by the forecast, each epoch end had cost one diagnosis with the
        forecast more (8-13 ms on average at 10-50 epochs against the 5 ms budget)."""
        if self.time_budget_ms:
            self._report_check_skip = self._over_budget(took_ms)

    def _over_budget(self, took_ms: float) -> int:
        """How many of the next epochs to skip so that work that took ``took_ms`` of CPU averages within
        ``time_budget_ms`` (or 1% of an epoch, when epochs are long)."""
        allowed = max(self.time_budget_ms, 10 * self._epoch_seconds)
        return max(0, math.ceil(took_ms / allowed) - 1)

    def _metric(self):
        run_has = [k for k, v in self.history.items() if np.isfinite(v).any()]
        if self.monitor_key.endswith("loss") and self.monitor_key in run_has:
            return self.monitor_key
        return None

    def _decide(self, decision: Decision, epoch, lr):
        d = self.diagnosis
        if d is None:
            return
        if d.verdict == "diverged" and not self._nonfinite:
            values = self.history.get(d.metric)
            if values is None or not np.isfinite(values[-1]):
                return  # missing values (broken metrics), not a loss that blew up
        ready = self.wait >= self.patience or d.verdict == "diverged"
        # A GAN's losses say how the game stands, not when the samples stop improving: no stop or lr change on
        # them (a NaN is a divergence all the same). Lightning GAN on 8 Gaussians (fixtures lightning_gan): d_loss
        # flat from epoch 4 and a converged stop at 13 with 0 of 8 modes covered; trained on, 5 modes by epoch 42.
        game = d.adversarial and d.verdict != "diverged"
        if game and ready:
            self._game_holds(d)
        stopping = "converged" in self.stop_on and ready and not game
        held_report = None  # the converged report's check, where it was made (or skipped: held)
        if d.verdict == "converged" == self._last_verdict and (stopping or not any(
                r["verdict"] == "converged" for r in self.reports)):
            # A converged report says "stop at X: more epochs will not lower the loss"; it is checked against the
            # forecast as a stop is (an autoencoder on digits with a 2-unit code was reported converged at epoch 11
            # while its stop was held by a forecast of 4.3% more: trained on, it went 31% lower by epoch 59).
            if stopping or self._report_check_skip <= 0:
                cpu0 = time.thread_time()
                d = self._backed_by_forecast(d, say=stopping)
                if not stopping and d.verdict == "converged":
                    held_report = self._report_held(d)
                self._pace_report_check(1e3 * (time.thread_time() - cpu0))
            else:
                # The check (a diagnosis with the forecast, 5-10 ms) is paced like the diagnoses, within
                # time_budget_ms: a report waits for the next check, a stop never does.
                self._report_check_skip -= 1
                held_report = True
        # Early verdicts on a handful of points flip: report and act on one only when two
        # diagnoses in a row agree (a diverged run needs no second opinion).
        previous, self._last_verdict = self._last_verdict, counted_verdict(d)
        if d.solved and d.verdict == previous and self._solved_report(d, epoch, ready, decision):
            return
        firm = firm_verdict(d, previous, self.min_confidence)
        warm = firm and d.verdict in self.stop_on and ready and self._warm_holds(d)
        held = warm or (firm and d.verdict in self.stop_on and ready and self._schedule_holds(d))
        stop = firm and d.verdict in self.stop_on and ready and not held and not game
        if d.verdict == "converged" and "converged" in self.stop_on and ready and not held \
                and not self._backed_by_flat_stretch(d, say=stop):
            stop = False
        if stop and d.verdict == "converged" and self._lr_check_pending(d, lr):
            stop = False
        if stop and d.verdict == "converged" and self._logged_metric_holds(d.metric, "converged"):
            stop = False
        if firm and (self.reported is None or d.verdict != self.reported.verdict):
            # The first firm verdict, and a firm verdict that differs from the one reported (an
            # early "underfitting" mid-drop that became "converged"): the report follows the run.
            # A verdict reported before and back again is not repeated (two verdicts close in
            # confidence would alternate), unless the run stops on it; end_training has the last word.
            if stop or (not any(r["verdict"] == d.verdict for r in self.reports) and not (
                    self._report_held(d) if held_report is None else held_report)):
                was = None if self.reported is None else self.reported.verdict
                running = self._schedule.name if not stop and self._schedule_holds(d) else None
                self._report(d, epoch, format_report(d, epoch, self.framework, was=was, schedule=running,
                                                     warming=running is not None and self._warming()), decision)
        if warm:
            self.say_once(f"warming {d.verdict}", f"losslens: {d.verdict} at {self.axis_name} {axis_text(epoch)}, but "
                          f"{self._warming_by()}: not stopping before it gets there")
        elif held:
            self.say_once("schedule", f"losslens: converged at the current lr, but the lr schedule "
                                      f"({self._schedule.name}) still runs: not stopping")
        if stop:
            self._stop(decision, epoch, f"stopped at {self.axis_name} {axis_text(epoch)} ({d.verdict})",
                       cause=d.verdict)
            return
        # The lr acts on any likely cause, not only the verdict: a run can be both stuck and
        # bouncing, and the bouncing is what a lower rate fixes.
        cause = None if game else next((c for c in d.causes if c.id in self.reduce_lr_on and c.status == "likely"
                                        and _gate(c) >= self.min_confidence), None)
        if cause is not None and "dead_layers" in cause.numbers \
                and any(a["action"] == "lower_lr" for a in self.actions):
            # Units that died get no gradient at any rate: the cut made showed the step's fault and quietened the
            # output bias, and a second changes nothing (the walk's Monitor at SGD 2: cut every 5 epochs down to 2e-12).
            cause = None
        schedule = self._schedule
        if cause is not None and schedule is not None and schedule.owns_lr:
            # A scheduler sets the lr at every epoch/step: a lower rate would be put back at once.
            self.advise_once("reduce_lr_on", f"reduce_lr_on cannot act while a scheduler sets the lr "
                             f"({schedule.name}): it would put the old rate back; {cause.id} is likely "
                             f"at {self.axis_name} {axis_text(epoch)}, so lower the lr in the schedule itself")
        elif cause is not None and ready and self._cooldown_left == 0 and lr is not None \
                and self._earned_since_cut(cause):
            new_lr = max(float(lr) * self.factor, self.min_lr)
            if new_lr < float(lr) * (1 - 1e-9):
                decision.new_lr = new_lr
                self._cooldown_left = self.cooldown
                self.wait = 0
                dead = ("; the first layer's units died: a lower rate cannot revive them, restart from scratch at it"
                        if "dead_layers" in cause.numbers else "")
                self._act("lower_lr", epoch, f"lowered the learning rate {lr:.3g} -> {new_lr:.3g} "
                                             f"({cause.id}, confidence {cause.confidence:.2f}){dead}",
                          cause=cause.id, lr=float(lr), new_lr=new_lr)

    def _earned_since_cut(self, cause) -> bool:
        """Whether ``cause`` (a likely ``reduce_lr_on`` cause) is read on the points logged after losslens's last lr
        cut alone, where it made one: a cut answers the evidence before it, and that evidence stays in the run. A
        torch Monitor on digits (SGD momentum 0.9 at 0.5) cut to 0.05 at epoch 6 on a climb at epoch 3, then again
        every ``cooldown`` epochs on that same climb down to 5e-12, while its val_loss fell 1.17 -> 0.49 after the
        first cut; frozen at 0.466 from epoch 21 where a constant 0.05 ends at 0.127."""
        own = next((a for a in reversed(self.actions) if a["action"] == "lower_lr"), None)
        if own is None:
            return True
        cut = own.get(self.axis_name)
        axis = np.asarray(self.axis, dtype=float)
        keep = axis > cut if isinstance(cut, (int, float)) else np.zeros(axis.shape, dtype=bool)
        if keep.sum() < 3:
            return False
        run = self.run()
        since = Run(run.axis[keep], {k: v[keep] for k, v in run.series.items()}, run.axis_name, run.name, run.source,
                    {k: v for k, v in run.meta.items() if k != "actions"})
        try:
            d = _diagnose(since, self._metric(), self.classes)
        except LosslensError:
            return False
        return any(c.id == cause.id and c.status == "likely" and _gate(c) >= self.min_confidence for c in d.causes)

    def _game_holds(self, d) -> None:
        """Say once why ``stop_on`` / ``reduce_lr_on`` / ``stop_gain`` do not act on a GAN's losses."""
        acting = [c.id for c in d.causes if c.id in self.stop_on or c.id in self.reduce_lr_on]
        if acting or (self.stop_gain is not None and self.best_key in adversarial_players(self.history)):
            self.say_once("adversarial", f"losslens: {d.metric} is one player's loss in a GAN's game: it does not say "
                          f"when the samples stop improving, so losslens does not stop or change the lr on it; to stop on "
                          f"the samples, log a quality score (FID, mode coverage), keep checkpoints and stop on that "
                          f"score with a patience (the framework's EarlyStopping)")

    def _solved_report(self, d, epoch, ready: bool, decision: Decision) -> bool:
        """A task solved on the validation set (accuracy at its ceiling while the loss still falls: the diagnosis's
        still_improving leading with "stop here"): reported once, though still_improving is otherwise too quiet to
        report, and a stop under ``stop_on=("converged",)``. True when it stopped. A Keras MLP on digits 0 vs 1
        (tests/fixtures/ecosystem/keras_solved) was at 100% of 108 validation images from epoch 4; the callback said
        nothing and ran to epoch 39 under stop_on=("converged",) while its own final report said "stop here";
        twice the epochs lowered the loss 61% and left the accuracy at 1.000."""
        stop = "converged" in self.stop_on and ready
        if stop or not any(r.get("solved") for r in self.reports):
            was = None if self.reported is None else self.reported.verdict
            self._report(d, epoch, format_report(d, epoch, self.framework, was=was), decision)
            self.reports[-1]["solved"] = True
        if stop:
            self._stop(decision, epoch, f"stopped at {self.axis_name} {axis_text(epoch)} (solved: validation "
                                        f"accuracy at its ceiling)", cause=d.verdict, solved=True)
        return stop

    def _backed_by_forecast(self, d, say: bool = True):
        """The diagnosis again, with the forecast, before a ``converged`` stop.

        Each epoch's diagnosis skips the forecast (its costly part); a stop should not. A noisy
        tail of a few points can look flat while the curve still creeps down: the forecast
        weighs the whole curve (DESIGN: converged is backed by a forecast gain near zero). When
        it expects a real gain the verdict becomes the forecast's (still_improving), the run goes
        on, and the same check is made at the next candidate stop.
        """
        try:
            full = diagnose_run_with_forecast(self.run(), self._metric(), self.classes)
        except LosslensError:
            return d
        if full.verdict == "converged":
            return d
        self.diagnosis = full
        if not say:
            return full
        fc = full.forecast or {}
        flat = f"losslens: {full.metric} looks flat at {self.axis_name} {axis_text(self.axis[-1])}"
        if fc.get("gain") is not None and fc["gain"] > 0 and fc.get("horizon") is not None:
            p = fc.get("p_improve")
            likely = f" ({share_text(p)} likely to gain more than 1%)" if p is not None else ""
            self.say_once("forecast-converged", (
                f"{flat}, but the forecast expects it {share_text(fc['gain'])} lower by {self.axis_name} "
                f"{axis_text(fc['horizon'])}{likely}: not stopping as converged"))
        else:  # (the forecast changed the reading some other way: name it rather than quote a gain it lacks)
            self.say_once("forecast-converged", f"{flat}, but with the forecast it reads {full.verdict}: "
                                                "not stopping as converged")
        return full

    def _report_held(self, d) -> bool:
        """True: do not report this ``converged`` verdict yet, the stretch since X, forecast on its own to the planned
        end (:meth:`_flat_stretch_gain`, the test a converged stop waits on), still falls by ``FLAT_BAND`` (1%) or
        more. The report's first action is "stop at X: more epochs will not lower the loss"; a stop on it would be
        held. An autoencoder on digits with a 2-unit code (tests/fixtures/ecosystem/keras_autoencoder_code2) was
        reported converged at epoch 11 (val 0.0622; "stop at epoch 6"), its stretch since epoch 6 forecast 4.3% lower:
        trained on, it reached 0.0532 at epoch 23 and 0.0427 at 59 (seed 1: reported at 10; 0.0616 -> 0.0451)."""
        if d.verdict != "converged":
            return False
        if self._logged_metric_holds(d.metric, None):
            return True  # (the stop is held too: "stop at X" is not what the metric the user logged says)
        gain, _ = self._flat_stretch_gain(d)
        # (Too few points since X to tell flat from falling, NaN, holds it too: a class-weighted CNN's noisy validation
        # loss was reported converged at epoch 18, 3 points after X, at 0.799: it reached 0.268 at epoch 39. Not while
        # an lr schedule still runs: that report says the curve is flat at this lr and will fall again when it drops.)
        return gain is not None and (gain >= FLAT_BAND or (math.isnan(gain) and not self._schedule_holds(d)))

    def _flat_stretch_gain(self, d) -> tuple[float | None, tuple | None]:
        """``(gain, creep)``: what the stretch since the plateau epoch X, forecast on its own to the planned last
        epoch (at most 10x the stretch: the range its interval is calibrated for), still expects:
        the forecast's gain over its current level. Gain None: nothing to weigh (no X, or at the planned
        end). NaN: too early to weigh, fewer than ``MIN_POINTS`` (5) finite points since X: the stop
        waits for them (a GRU whose X was epoch 2 was stopped at epoch 5, 75% above the best that
        training on reached; the four points since X could not tell flat from falling).

        A ``converged`` verdict says the curve came within 5% of its whole improvement; after a
        cliff (a GRU's first epoch took val_loss from 0.144 to 0.032) that improvement is the
        cliff's, and a tail still falling by a quarter of its level is "within 5%" of it. The
        forecast of the whole curve, asked before the stop, expected 2.6% more by twice the
        length, short of the diagnosis's bars for still_improving (5% at P >= 0.92, 10% at
        P >= 0.72), and the run was stopped at epoch 8 at 0.0158 (training on reached 0.0110).
        The stretch the verdict calls flat, forecast alone, expected 2.9% more: not flat.

        After an lr cut (:meth:`_last_cut`: losslens's, or the user's logged one), the stretch's own Theil-Sen slope
        carried to the same horizon, when it is worth 1% or more and more than the forecast, is the gain, and
        ``creep`` is ``(its fall per axis unit over the level, the stretch's points, the cut)``; else None.
        """
        from ..forecasting import MIN_POINTS, forecast_curve

        X = d.flattened_epoch
        x = np.asarray(self.axis, dtype=float)
        y = np.asarray(self.history.get(d.metric, ()), dtype=float)
        if X is None or y.shape != x.shape:
            return None, None
        ok = np.isfinite(y) & (x >= float(X))
        # After an lr cut (losslens's or the user's), the stretch is the one trained at the new rate: across the cut,
        # the drop it made reads as a level the curve already holds (the GRU at Adam(1e-2), seed 4, lr cut at
        # epoch 19, was stopped at 28 at 0.01118, still creeping down; training on reached 0.0104).
        cut = self._last_cut()
        if cut is not None and cut >= float(X):
            ok &= x > cut
        xs, ys = x[ok], y[ok]
        if xs.size < MIN_POINTS:
            at_end = self.horizon is not None and float(self.horizon) <= x[-1]
            return (None if at_end else math.nan), None
        if getattr(d.facts, "higher_is_better", False):
            ys = -ys
        span = float(xs[-1] - xs[0])
        horizon = self.horizon if self.horizon is not None else float(xs[-1]) + span
        horizon = min(float(horizon), float(xs[0]) + 10.0 * span)
        if horizon <= xs[-1]:
            return None, None
        try:
            # (held at the stated floor as the whole curve's forecast is: a stretch at the floor bends on below it)
            fc = forecast_curve(xs, ys, horizon, noise_floor=getattr(d.facts, "noise_floor", None),
                                offset_free=bool(getattr(d.facts, "offset_free", False)))
        except LosslensError:
            return None, None
        gain = float(fc.gain)
        if cut is not None:
            # The stretch lies wholly at the rate the cut set (losslens's, or the user's schedule's last step: the
            # same GRU under MultiStepLR([20], 0.1), seed 8, was stopped at 30, 2.9% above what training on reached).
            # An lr cut to a tenth moves the weights a tenth as far a step: the curve creeps down at the new rate for
            # tens of epochs, a fraction of its noise an epoch, and on the few points since the cut the saturating
            # families read that creep as a drop that has already flattened (the GRU at Adam(1e-2), seed 8, lr cut at
            # epoch 19: at 28 each family forecast < 0.2% more by epoch 59 while the 9 points since the cut fell
            # 0.2% an epoch; stopped at 26, 3.4% above what training on at the new rate reached, 2.8% more after
            # epoch 28). Their own slope says what the families cannot:
            # Theil-Sen (the median pairwise slope: one spike moves it by one pair in n, and it is in the loss's own
            # units, so relative to its level it is scale-free), carried straight to the same horizon. A straight line
            # overstates what a flattening curve still gains, so this errs towards training on; it only ever holds a
            # stop (a forecast rise or fall is never made flat). Seed 8 now stops at 52, 0.4% above that best.
            rate = -theil_sen(xs, ys) / max(abs(float(fc.level)), 1e-12)
            carried = rate * (horizon - float(xs[-1]))
            if carried >= FLAT_BAND and carried > gain:
                return carried, (rate, xs.size, cut)
        return gain, None

    def _last_cut(self) -> float | None:
        """The axis value after which the lr is the one the run holds now, when it got there by a cut: losslens's
        own last ``lower_lr`` (the epoch it decided at; the next is the first trained at the new rate), or,
        when the lr has changed since (or losslens never cut it), the last step down of the logged lr
        (:func:`losslens.forecasting.last_lr_cut`: a ReduceLROnPlateau, StepLR or MultiStepLR of the user's, or a
        rate the user set by hand). A stop is weighed here only once a schedule the adapter passed is over
        (``_schedule_holds``), so a cut of that schedule found here is the last it makes. The user's cut leaves
        the same creep as losslens's: the GRU of tests/fixtures/ecosystem/torch_gru_cliff under MultiStepLR([20],
        0.1) was stopped at 28-48, up to 7.5% above what training on at the new rate reached.

        The user's cut is the first point logged at the new lr, and the stretch starts after it: the lr a
        callback reads at an epoch's end is often the next epoch's already (a torch loop steps its scheduler
        before the Monitor; a Keras ReduceLROnPlateau listed before the losslens callback has lowered it), so
        that point may have been trained at the old rate. One point fewer costs little; a point from the old
        rate would carry the cut's drop into the creep's slope."""
        own = next((a for a in reversed(self.actions) if a["action"] == "lower_lr"), None)
        lrs = self.history.get("lr")
        now = next((v for v in reversed(lrs) if math.isfinite(v)), None) if lrs else None
        if own is not None and own.get(self.axis_name) is not None and (
                now is None or abs(now - float(own.get("new_lr", now))) <= 0.01 * abs(now)):
            cut = float(own[self.axis_name])
        else:
            from ..forecasting import last_lr_cut

            cut = None if lrs is None else last_lr_cut(self.axis, lrs)
        if self._fit_start is not None and (cut is None or cut < self._fit_start):
            return self._fit_start  # a further fit (begin_fit): a new curve from its first epoch, lr cut or not
        return cut

    def _backed_by_flat_stretch(self, d, say: bool = True) -> bool:
        """True when the stretch since X backs a ``converged`` stop (see :meth:`_flat_stretch_gain`):
        forecast to change less than 1% either way (as ``stop_gain=0.01`` asks of a gain) at this
        diagnosis and at the one before. One noisy epoch moves the forecast (it starts from the last points), so, like the
        verdict, the stretch must say so twice in a row. Otherwise the stop waits, and says so once.

        In a row means two diagnoses, not two epochs: when the time budget skips epochs (a 6 ms diagnosis
        against the 5 ms budget skips every other one) consecutive epochs are never both diagnosed, and the
        GRU run of tests/fixtures/ecosystem/torch_gru_cliff was never stopped (at epoch 53 without skips)."""
        gain, creep = self._flat_stretch_gain(d)
        # Flat means within 1% either way: a stretch of 6-8 noisy points ending on a spike was forecast to
        # rise 24-41% (a GRU stopped at epoch 12, 40% above the best training on reached).
        backed = gain is None or abs(gain) < FLAT_BAND
        made = len(self.timings)  # one per diagnosis of an epoch
        before, self._flat_backed = self._flat_backed, (made if backed else None)
        if gain is None or (backed and before == made - 1):
            return True
        if not backed and say:
            since = f"losslens: {d.metric} looks flat since {self.axis_name} {axis_text(d.plateau_epoch)}, but "
            if math.isnan(gain):
                from ..forecasting import MIN_POINTS

                self.say_once("flat-stretch-short", (
                    f"{since}{MIN_POINTS} points since then are needed to tell a flat stretch from a slow fall: "
                    f"not stopping as converged yet"))
            elif creep is not None:
                rate, n, cut = creep
                self.say_once("flat-stretch-creep", (
                    f"{since}the {n} points since the lr was lowered at {self.axis_name} {axis_text(cut)} still fall "
                    f"{share_text(rate)} per {self.axis_name}: carried on, {share_text(gain)} lower by the planned end: "
                    f"not stopping as converged yet"))
            else:
                self.say_once("flat-stretch" if gain > 0 else "flat-stretch-rise", (
                    f"{since}that stretch alone is forecast to go {share_text(abs(gain))} "
                    f"{'lower' if gain > 0 else 'higher'} by the planned end: not stopping as converged yet"))
        return False

    def _logged_metric_holds(self, loss, stop: str | None) -> bool:
        """True: hold a stop on the loss ``loss`` (``stop``: ``"converged"`` or ``"stop_gain"``, which it names when it
        says once why; None: say nothing), a metric logged beside it still improves. The run is not done in the
        measure the user chose: a sample-quality distance, a BLEU, an F1 (the metrics
        :func:`losslens.diagnosis.logged_quality_metrics` reads, as the diagnosis does after the run: a name that says
        its direction, not a training-split metric, not a part of a loss, not the canonical accuracies).

        Still improves: its best over its last ``w`` points, w = max(``patience``, min(10, n // 2), n / 4) of its n
        points so far, beats its best before them by more than its point noise (:func:`difference_noise`) and 1% of
        that best's level, at this check or at the one before (one point more or less: like a verdict, a lapse must
        be seen twice in a row). A window that grows with the run (a quarter of it) asks for the gains of a slowing
        curve on the scale of the run so far. The diagnosis's own reading of such a metric (its fitted slope since X,
        ``_logged_metric_improves``) needs 8 points after the loss's X; live, the stop comes before them. A DDPM on
        two moons (tests/fixtures/ecosystem/lightning_ddpm, 3 seeds) was stopped as converged at epoch 8, 12, 18 with
        the samples' energy distance 0.047, 0.034, 0.023 while it still set new bests; held, the runs train on."""
        # Asked up to twice an epoch (the converged report's check and the stop's, or the report's and stop_gain's),
        # on the same rows: read once per row count and loss.
        key = (len(self.axis), loss)
        if self._improving_memo is None or self._improving_memo[0] != key:
            self._improving_memo = (key, self._improving_logged_metric(loss))
        improving = self._improving_memo[1]
        if improving is None:
            return False
        if stop is not None:
            name, higher, (w, before, recent, noise) = improving
            sign = -1.0 if higher else 1.0
            what = "looks converged" if stop == "converged" else "is forecast to improve less than stop_gain"
            self.say_once(f"logged-metric-{stop}", (
                f"losslens: {loss} {what} at {self.axis_name} {axis_text(self.axis[-1])}, but {name}, also "
                f"logged, still improves: {sign * recent:.4g} over its last {w} points against {sign * before:.4g} "
                f"before them (its noise {noise:.2g}): not stopping while it does (monitor='{name}' with a "
                f"patience stops on it)"))
        return True

    def _improving_logged_metric(self, loss) -> tuple | None:
        """The first metric :meth:`_logged_metric_holds` finds still improving beside ``loss``, as ``(name,
        higher_is_better, (w, best before, best of the last w, noise))`` in lower-is-better units, or None."""
        from ..diagnosis import logged_quality_metrics
        from ..facts.smoothing import difference_noise
        from ..forecasting import score_top

        for name, higher in logged_quality_metrics(list(self.history), loss):
            values = np.asarray(self.history[name], dtype=float)
            values = values[np.isfinite(values)]
            z = -values if higher else values
            for k in (z.shape[0], z.shape[0] - 1):  # this check and the one before
                if k < 5:
                    continue
                w = max(int(self.patience), min(10, k // 2), math.ceil(k / 4))
                if w >= k:
                    continue
                before, recent = float(z[:k - w].min()), float(z[k - w:k].min())
                top = score_top(values[:k], name) if higher else 0.0
                level = top + before if top else abs(before)  # a score's level is its distance below the ceiling
                noise = difference_noise(z[1:k])  # (from the second point: the first is often a cliff away)
                if before - recent > max(noise, FLAT_BAND * level):
                    return name, higher, (w, before, recent, noise)
        return None

    def _lr_check_pending(self, d, lr) -> bool:
        """True: hold a ``converged`` stop, ``reduce_lr_on`` asks for an lr_too_high check that has not had
        the points to run. A curve bouncing at its floor reads converged from a handful of points, and the
        bounce rule needs ``shape_min_points`` (20): a GRU on a noisy sine at Adam(0.1) was stopped at epoch 10
        as converged (best 0.0151); trained on, it read lr_too_high at epoch 19, the lr was cut to 0.01 and it
        reached 0.0120 (tests/fixtures/ecosystem/torch_gru_cliff). Not once losslens has lowered the lr, nor
        where it cannot (no lr known, a scheduler sets it). After losslens lowered the lr, the stop waits out the
        ``cooldown`` too: the flat curve is the old rate's (that GRU, stopped 2 epochs after its cut at 0.0136,
        reached 0.0120)."""
        if "lr_too_high" not in self.reduce_lr_on or lr is None:
            return False
        if any(a["action"] == "lower_lr" for a in self.actions):
            if self._cooldown_left > 0:
                self.say_once("lr-cooldown", f"losslens: {d.metric} looks converged, but the lr was lowered "
                              f"{self.cooldown - self._cooldown_left} {self.axis_name}(s) ago: not stopping until "
                              f"{self.cooldown} have been trained at it")
                return True
            return False
        if self._schedule is not None and self._schedule.owns_lr:
            return False
        from ..diagnosis import DEFAULT

        values = np.asarray(self.history.get(d.metric, ()), dtype=float)
        if np.isfinite(values).sum() >= DEFAULT.shape_min_points:
            return False
        self.say_once("lr-check", (
            f"losslens: {d.metric} looks converged at {self.axis_name} {axis_text(self.axis[-1])}, but reduce_lr_on="
            f"('lr_too_high',) needs {DEFAULT.shape_min_points} points to tell a floor from a bounce: not stopping yet"))
        return True

    def _schedule_holds(self, d) -> bool:
        """True: do not stop on this ``converged`` verdict, an lr schedule will still lower the lr."""
        return d.verdict == "converged" and self._schedule_running()

    def _schedule_running(self) -> bool:
        """True: an lr schedule will still lower the lr, so a flat curve (``converged``, a small
        forecast gain) is flat only *at this lr*: a step decay, a cosine tail or a
        ReduceLROnPlateau still to come lowers it further. False once the schedule is over (a
        MultiStepLR past its last milestone, a ReduceLROnPlateau at its ``min_lr`` ...) and an
        epoch has been trained at its last lr, or once it has annealed the lr to 1/1000 of its peak.
        """
        schedule = self._schedule
        if schedule is None:
            return False
        # The same bound the diagnosis calls annealed: at it, a flat curve is converged, as without a schedule.
        from ..diagnosis import DEFAULT

        lrs = np.asarray(self.history.get("lr", []), dtype=float)
        lrs = lrs[np.isfinite(lrs)]
        if lrs.size and lrs.max() > 0 and lrs[-1] <= DEFAULT.annealed_lr_ratio * lrs.max():
            return False
        if schedule.still_runs():  # last: for a Keras schedule it calls the user's code
            return True
        # Over, but its last change may not have been trained at yet: a scheduler stepped before
        # the epoch's end shows the next epoch's lr. Two epochs recorded at it: at least one trained.
        changed = np.flatnonzero(np.abs(np.diff(lrs)) > 1e-3 * np.abs(lrs[:-1]))
        return changed.size > 0 and lrs.size - 1 - changed[-1] < 2

    def _warm_holds(self, d) -> bool:
        """True: do not stop on this verdict yet, the lr is still warming up (:meth:`_warming`) and a higher lr can
        still change what it reads: a loss too high or too slow (``underfitting``, ``lr_too_low``, ``stuck_at_init``)
        or flat (``converged``) at a fraction of the peak rate says nothing of the peak. A digits MLP warmed up
        linearly to SGD 0.05 over 40 epochs (tests/test_integrations_warmup.py) was stopped as lr_too_low at epoch 20,
        val_loss 2.13 at lr 0.026; held, it ends at 0.52. A blow-up (``lr_too_high``, ``diverged``) only gets worse
        as the lr rises: those stops are never held here."""
        return d.verdict in WARM_HELD and self._warming()

    def _warming_by(self) -> str:
        """What is warming the lr up, for the hold's line (an lr set by hand read "the lr is still warming the lr")."""
        if self._schedule is not None:
            return f"the lr schedule ({self._schedule.name}) is still warming the lr up to its peak"
        return "the lr is still rising to its peak (a warm-up)"

    def _warming(self) -> bool:
        """The lr schedule is still raising the lr (a warm-up): as its adapter says, else the last lr recorded is
        above the one before it. A flat curve then has not yet been trained at the schedule's peak."""
        said = getattr(self._schedule, "warming", None)
        if said is not None:
            return bool(said)
        lrs = np.asarray(self.history.get("lr", []), dtype=float)
        lrs = lrs[np.isfinite(lrs)]
        return lrs.size >= 2 and lrs[-1] > lrs[-2] * (1 + 1e-3)

    def _report(self, d, epoch, text: str, decision: Decision | None = None, final: bool = False):
        text = self.as_logged(text)
        self.reported = d
        self.reports.append({self.axis_name: _num(epoch), **_reported(d), **({"final": True} if final else {})})
        if decision is not None:
            decision.message = text
        self.say(text)

    def say_once(self, key: str, text: str):
        """``say`` ``text`` the first time ``key`` comes up in this run."""
        if key not in self._said:
            self._said.add(key)
            self.say(text)

    def advise_once(self, key: str, text: str):
        """A warning about how the run is set up, the first time ``key`` comes up: to the
        ``losslens.integrations`` logger, ``warnings.warn`` and ``messages``."""
        if key in self._said:
            return
        self._said.add(key)
        msg = self.as_logged(f"{self.speaker()}: {text}")
        self.messages.append(msg)
        _warn(msg, LosslensWarning)

    def speaker(self) -> str:
        """How the callback's warnings name it: ``losslens keras callback``; the PyTorch loop's ``losslens Monitor``
        (the class the user made, not a "torch callback" it never was)."""
        return "losslens Monitor" if self.framework == "torch" else f"losslens {self.framework} callback"

    def _act(self, kind, epoch, text, **info):
        self.actions.append({"action": kind, self.axis_name: _num(epoch), **info})
        self.say(f"losslens: {text}")

    def train_ended(self, at: str, restore=None, early_stopped=None, stopper: str = "EarlyStopping") -> None:
        """What every callback does when its training ends, in this order: hand back the best weights kept
        (``restore()``: the framework's own way, its weight prints updated; None where the framework put its best
        back itself), read the framework's early stopping into ``meta["stopped_early"]`` (``early_stopped()``: the
        stop's fields or None; a further fit clears the last one's; None where the framework has none), then the
        final diagnosis, report and save (:meth:`end_training`). Each step's failure is warned once, named by ``at``
        (the hook: "train end", "fit end") and ``stopper``, and the next steps still run: the training loop is
        never raised into, and a restore that failed still gets its run reported and saved."""
        if restore is not None:
            try:
                restore()
            except Exception as exc:
                self.warn_once(exc, f"restore at {at}")
        if early_stopped is not None:
            try:
                self.meta.pop("stopped_early", None)
                stopped = early_stopped()
                if stopped:
                    self.meta["stopped_early"] = stopped
            except Exception as exc:
                self.warn_once(exc, f"reading {stopper}")
        try:
            self.end_training()
        except Exception as exc:
            self.warn_once(exc, at)

    def end_training(self):
        """At the end: report the final verdict if nothing was reported yet, or if it is not the
        one reported last (the run went on past that report); save. Rank 0's alone (:attr:`lead`)."""
        if not self.lead:
            return
        if self.axis:
            self._check_monitor(self.axis[-1], final=True)
        if len(self.axis) >= 3:
            stop = self._forecast_stopped()
            # Stopped short of the planned end by stop_gain: the report forecasts to the end the rule forecast
            # to, so that one run does not read "0.0% by epoch 39" and then "P = 64% to epoch 38".
            ahead = None if stop is None or not stop["horizon"] > self.axis[-1] else stop["horizon"]
            # The last word with the forecast each epoch's diagnosis skips, as the saved run is read: a
            # short noisy tail that looks flat beside a forecast of -18% is still_improving there, and
            # the report at the end must not say "converged" of the same points.
            try:
                self.diagnosis = diagnose_run_with_forecast(self.run(), self._metric(), self.classes, ahead)
            except LosslensError:
                self._diagnose()
            d = self.diagnosis
            # After a stop_gain stop the report comes whatever was reported before: it must say the rule stopped
            # the run, beside a verdict that may read the same curve as still paying.
            # So does an lr cut made after the last report: the run was another from there, and the report before
            # it does not say what the cut did (the walk's Monitor: "underfitting" at epoch 10, a cut at 19, then
            # nothing).
            cut = self._cut_since_report()
            # So does a stop by the framework's own EarlyStopping (meta["stopped_early"]): the report before it read
            # the run as one going on to its planned end, and advised the stop it then made.
            if d is not None and (self.reported is None or d.verdict != self.reported.verdict or stop is not None
                                  or cut or self.meta.get("stopped_early")):
                was = None if self.reported is None or d.verdict == self.reported.verdict else self.reported.verdict
                text = format_report(d, self.axis[-1], self.framework, final=True, was=was,
                                     stopped=None if stop is None else self._stop_said(stop, d))
                self._report(d, self.axis[-1], text, final=True)
                if stop is not None:
                    self.reports[-1]["stopped_by"] = {"rule": "stop_gain", **{k: stop.get(k) for k in (
                        self.axis_name, "gain", "min_gain", "horizon")}}
        self.save()
        if self.save_path is not None and self.axis and (self.run_index or self.trial is not None):
            # One of several runs of this callback: which file holds this one, not the first run's.
            self.say(f"losslens: {'trial ' + self.trial if self.trial is not None else f'run {self.run_index}'} "
                     f"saved to {_str(self.save_path)}")

    def _cut_since_report(self) -> bool:
        """An lr cut (``lower_lr``) made at or after the epoch of the last report."""
        last = self.reports[-1].get(self.axis_name) if self.reports else None
        return any(a["action"] == "lower_lr" and (last is None or a[self.axis_name] >= last) for a in self.actions)

    def _its_error(self, top) -> str:
        """" (its error, 1 - val_acc)": what a score's stop_gain gain was weighed on, where it has a ceiling."""
        return f" (its error, {top:g} - {self.best_key})" if top else ""

    def _forecast_stopped(self) -> dict | None:
        """The ``stop`` action ``stop_gain`` took (its gain, threshold and horizon), where that rule ended the run."""
        stops = [a for a in self.actions if a.get("action") == "stop"]
        return stops[-1] if stops and stops[-1].get("cause") == "forecast" else None

    def _stop_said(self, stop: dict, d=None) -> tuple[str, str]:
        """What the final report says of a ``stop_gain`` stop: why the rule stopped, and, beside advice to train on,
        why both hold. The rule weighs the forecast at its horizon against the best (running median of 3) so far;
        the diagnosis weighs the curve's trend and its forecast against the level now, which a late bounce lifts
        above that best (a Lightning MLP on digits, SGD(0.3): stopped at epoch 19 of 40 at 0.190 against a best of
        about 0.165, then told "still improving slowly ... keep training"; trained on, it reached 0.137 by 32).
        ``d``: the final diagnosis, whose forecast (where it has one) is said to weigh the fitted level now: a step
        schedule's run at SGD 0.05 stopped "by 1.0%, less than the 1% asked" (0.97%) beside "probability that
        training on to 39 gains > 1%: 84%", two numbers that read as a contradiction unsaid."""
        at = stop.get(self.axis_name)
        end = f"{self.axis_name} {axis_text(stop['horizon'])}" + (" (the planned end)" if stop.get("planned") else "")
        gain, bar = max(float(stop.get("gain") or 0.0), 0.0), float(stop["min_gain"])
        of = self._its_error(stop.get("top"))
        fc = getattr(d, "forecast", None) or {}
        level = (" The forecast below and its probability weigh the gain against the fitted level now, not against "
                 "that best." if fc.get("p_improve") is not None else "")
        said = (f"Stopped at {self.axis_name} {axis_text(at)} by stop_gain={bar:g}: training on to {end} was forecast "
                f"to improve on the best {self.best_key} so far by {_below(gain, bar)}{of}, less than the "
                f"{bar * 100:g}% asked.{level}")
        caveat = (f"That advice weighs the curve from its level now; the stopping rule weighed its forecast against "
                  f"the best so far and judged the gain left by {end}, {_below(gain, bar)}, below your "
                  f"stop_gain={bar:g}: train on only if that is worth it (a smaller stop_gain would have)")
        return said, caveat

    def as_logged(self, text: str) -> str:
        """``text`` with each metric spelt as the framework logged it (``val_rmse`` -> ``val_RMSE``: what
        :meth:`record` recorded, as the reports spell it); for what a person reads, never for keys."""
        return respell(self.meta.get("column_names"), text)

    def say(self, text: str):
        text = self.as_logged(text)
        if self.epoch_note and "epoch-note" not in self._said and text.startswith("losslens"):
            self._said.add("epoch-note")
            text += " " + self.epoch_note
        self.messages.append(text)
        logger.info(text)
        if self.verbose and not _hushed[0] and self.lead:
            (self.printer or console_print)(text)

    def read_penalty(self, read, owns=PENALTY_KEYS) -> None:
        """Add the weight penalty ``read()`` finds (:func:`decay_meta`, :func:`dropout_meta` entries) to ``meta``:
        called once per fit by each adapter, when its optimizer exists. ``owns``: the keys ``read`` answers for,
        dropped first, so that a callback reused on a second model without dropout (or decay) does not keep the
        first model's. A failure warns once; training goes on without it."""
        for key in owns:
            self.meta.pop(key, None)
        try:
            self.meta.update(read())
        except Exception as exc:
            self.warn_once(exc, "reading the weight penalty")

    def read_train_examples(self, dataset, source: str) -> None:
        """Note how many examples training fits, ``len(dataset())`` (``meta["train_examples"]``, read by
        ``diagnosis._few_examples``: a model that memorised a few dozen while validation stayed at chance had too few
        to generalize from as likely as labels without signal), with ``source`` saying where it was read. A dataset
        without a length (an IterableDataset, a CombinedLoader, a custom loop with no dataloader) leaves it unknown,
        silently: the size is a help, not a need."""
        try:
            n = len(dataset())
        except Exception:
            return
        if n > 0:
            self.meta["train_examples"] = int(n)
            self.meta["train_examples_from"] = source

    def read_optimizer(self, read) -> None:
        """Set ``meta["optimizer"]`` from ``read()``, the optimizer's class name (``"Adam"``; None: not one known),
        which the actions are worded for (no "switch to Adam" to a run on Adam). Called once per fit, beside
        :meth:`read_penalty`. A failure warns once; training goes on without it."""
        try:
            name = read()
        except Exception as exc:
            self.warn_once(exc, "reading the optimizer")
            return
        if name:
            self.meta["optimizer"] = str(name)
        else:
            self.meta.pop("optimizer", None)

    def read_classes(self, read) -> None:
        """Set ``classes`` from ``read()``, the class count K of the model's classifier head (None where the
        model does not say), unless the user gave it: the chance level (ln K, 1/K) that tells "learned nothing
        yet" from overfitting. Until K is known, a tiny BERT flat at ln 2 whose validation loss wobbled 0.2%
        up while its training loss fell 2% read overfitting. A failure warns once; training goes on without it."""
        if self.classes is not None or self._classes_read:
            return
        self._classes_read = True
        try:
            k = read()
        except Exception as exc:
            self.warn_once(exc, "reading the number of classes")
            return
        if k is not None and int(k) >= 2:
            self.classes = int(k)

    def read_frozen(self, read) -> None:
        """Set ``meta["frozen"]`` from ``read()``, ``(frozen, total)`` weight counts (``trainable=False`` /
        ``requires_grad=False``): read at every epoch end, as a backbone is unfrozen mid-fit (Lightning's
        ``BackboneFinetuning``) or between fits. A failure warns once; training goes on without it."""
        try:
            frozen, total = read()
        except Exception as exc:
            self.warn_once(exc, "counting frozen weights")
            return
        if frozen and total:
            self.meta["frozen"] = {"share": frozen / total, "frozen": int(frozen), "total": int(total)}
        else:
            self.meta.pop("frozen", None)

    def warn_once(self, exc: BaseException, where: str):
        """A failure inside losslens: warn the first time, never raise into the training loop."""
        if self._warned:
            logger.debug("losslens %s failed again: %r", where, exc)
            return
        self._warned = True
        msg = f"{self.speaker()}: {where} failed ({type(exc).__name__}: {exc}); " \
              "training continues, losslens skips what failed"
        _warn(msg, CallbackFailureWarning)

    # ---- saving -----------------------------------------------------------------------------
    def to_history(self) -> dict:
        """The run as a Keras-History-style dict (NaN -> None; a diverged loss -> ``Infinity``)."""
        out: dict[str, Any] = {self.axis_name: [_num(x) for x in self.axis]}
        for key, values in self.history.items():
            out[KERAS_KEYS.get(key, key)] = [_json_num(v) for v in values]
        out["meta"] = {
            # The planned end kept: read back, the file forecasts to the horizon the live report quoted ("by
            # epoch 59"), not to twice its length.
            **self.meta, **self._planned_meta(), **self._floor_meta(),
            "format": "losslens.run/1", "framework": self.framework, "name": self.name,
            "monitor": self._monitor_used(), "best_epoch": _num(self.best_epoch),
            **({"monitor_asked": self.monitor} if self._monitor_used() != self.monitor_key else {}),
            "stopped_epoch": _num(self.stopped_epoch), "actions": self.actions,
            "classes": self.classes,
            "reported": _reported(self.reported),
            "reports": self.reports,
        }
        return out

    def save(self):
        if self.save_path is None or not self.lead:  # (one writer: rank 0)
            return
        save_json_atomic(self.save_path, self.to_history())


class GradientProbe:
    """Global gradient norm and update-to-weight ratio of torch parameters, sampled every ``every`` steps.

    ``grad_norm`` is ``||g||_2`` over all parameters' gradients, concatenated.
    ``update_ratio`` is ``||w_{t+1} - w_t||_2 / ||w_t||_2`` over all parameters: the relative
    size of one optimizer step (the "update/data ratio" of Karpathy's training recipe; about
    1e-3 is healthy, 1e-5 means learning stalls). At a sampled step the probe reads the
    gradients and copies the weights; at the next :meth:`observe` it measures how far they
    moved, so it does not matter whether ``observe`` runs before or after ``optimizer.step()``,
    as long as it runs after ``backward()``. The first step of every epoch is sampled too, so
    short epochs still get a value. Per epoch it reports the mean of its samples.
    Cost: one copy of the weights and two fused norms per sample. The norms stay on the
    parameters' device until :meth:`pop_epoch`: converting each to a Python float at the
    sample would make the CPU wait for the GPU's queue to drain twice every ``every`` steps.

    Given ``(name, tensor)`` pairs (``model.named_parameters()``), it also keeps each layer's norm,
    ``grad_norm/<module>``: the parameters grouped by the module that owns them (``net.0.weight`` and
    ``net.0.bias`` -> ``net.0``), at most ``layers`` groups (a deeper model is grouped by a shorter prefix of
    its module paths: ``layer1.0``, then ``layer1``; runs of consecutive modules where even the top level
    has more). From the per-tensor norms the global norm already needs: one scatter-add more a sample.
    ``layers=0`` keeps the global norm only.

    Where :meth:`watch` read the norms in backward, the norm of the gradient the step gets is read too, and their
    ratio is the clip factor a ``clip_grad_norm_`` between them applied: ``grad_clip_ratio``, the mean over the epoch's
    samples, and ``grad_clipped_share``, the share of them clipped, logged from the first epoch that clipped
    (:data:`CLIP_RATIO`). A loop clipping at 1e-3 a gradient of
    norm 0.6 logged grad_norm 0.6 and trained as at a rate 600x smaller, which nothing in the log showed.
    """

    def __init__(self, every: int = 16, layers: int = 30):
        if every is not None:
            check_number("grad_every", every, integer=True, minimum=1, note="None switches the probe off")
        check_number("grad_layers", layers, integer=True, minimum=0, note="0 switches the per-layer norms off")
        self.every = None if every is None else int(every)
        self.layers = int(layers)
        self.calls = 0
        self._first = True  # the first step of an epoch is always sampled (short epochs)
        self._snapshot = None
        self._grad: list = []   # 0-d tensors on the parameters' device, read at pop_epoch
        self._ratio: list = []  # (update norm, weight norm) pairs of 0-d tensors, likewise
        self._layer: list = []  # (layer names, 1-d tensor of their norms), likewise
        self._groups = (None, None, None)  # (parameter names, layer names, index tensor): computed once per names
        self._hooks: list = []   # the post-accumulate-grad hooks of :meth:`watch`
        self._pre: dict = {}     # id(parameter) -> its gradient's norm as backward left it (0-d tensor)
        self._clip: list = []    # (norm at the step, norm as backward left it) pairs of 0-d tensors
        self.clipped = False     # a sample's step gradient was ever smaller than backward's: the clip is logged

    def watch(self, params) -> None:
        """Read each of ``params``' (tensors that require grad) gradient norm as ``backward()`` leaves it, before
        anything the loop does between ``backward()`` and the optimizer step: ``clip_grad_norm_`` there scales the
        gradients in place, and read at the step the global norm of a loop clipping at 1.0 was 1.0 (0.99999) at
        every epoch whose true norm was above it (10.6, 6.4, 4.5 ...: a fall of 20.7x read as 4.35x). One
        post-accumulate-grad hook a parameter (torch >= 2.1; none before it: the step's reading stays); it computes
        a norm only in the backward passes before a sampled step (:meth:`due`), so between samples it costs a
        Python call a parameter. Replaces any earlier :meth:`watch`'s hooks; :meth:`unwatch` removes them."""
        self.unwatch()
        for p in params:
            if getattr(p, "requires_grad", False) and hasattr(p, "register_post_accumulate_grad_hook"):
                self._hooks.append(p.register_post_accumulate_grad_hook(self._backward_norm))

    def unwatch(self) -> None:
        for h in self._hooks:
            h.remove()
        self._hooks, self._pre = [], {}

    def due(self) -> bool:
        """The next :meth:`observe` samples (the predicate it applies, before its count moves)."""
        return self.every is not None and (self._first or self.calls % self.every == 0)

    def _backward_norm(self, p) -> None:
        if p.grad is None or not self.due():
            return
        import torch

        with torch.no_grad():
            # (Accumulating over several backward passes, the last one's is the window's whole gradient.)
            self._pre[id(p)] = torch.linalg.vector_norm(p.grad.detach())

    def observe(self, params, scale=None, clip_norm=None) -> None:
        """Call once per training step, after ``backward()``; ``params``: iterable of tensors, or of
        ``(name, tensor)`` pairs for the per-layer norms as well. ``scale``: a GradScaler's scale (a tensor) where
        one scaled the loss: the norms :meth:`watch` read in backward are of the scaled gradients. ``clip_norm``: the
        max_norm a ``clip_grad_norm_`` will clip these gradients to after this read (Lightning's
        ``gradient_clip_val``, applied after ``on_before_optimizer_step``): the clip factor is then its
        ``max_norm / (norm + 1e-6)``, at most 1."""
        if self.every is None:
            return
        self.calls += 1
        sample = self._first or (self.calls - 1) % self.every == 0
        self._first = False
        if self._snapshot is None and not sample:
            return
        import torch

        params = [p for p in params if p is not None]
        names = None
        if params and isinstance(params[0], tuple):
            names, params = [n for n, _ in params], [p for _, p in params]
        with torch.no_grad():
            if self._snapshot is not None:
                now = [p.detach() for p in params]
                if len(now) == len(self._snapshot):
                    delta = torch._foreach_sub(now, self._snapshot)
                    self._ratio.append((torch.linalg.vector_norm(torch.stack(torch._foreach_norm(delta))),
                                        torch.linalg.vector_norm(torch.stack(torch._foreach_norm(self._snapshot)))))
                self._snapshot = None
            if sample:
                has = [getattr(p, "grad", None) is not None for p in params]
                grads = [p.grad.detach() for p, h in zip(params, has) if h]
                pre = [self._pre.get(id(p)) for p, h in zip(params, has) if h]
                self._pre = {}
                if grads:
                    if all(v is not None for v in pre):
                        # As backward left them: before clipping (and, given the GradScaler's scale, unscaled).
                        norms = torch.stack([v.to(grads[0].device) for v in pre])
                        if scale is not None:
                            norms = norms / scale.to(norms.device, norms.dtype)
                        # The step's own gradient, after whatever the loop did to it since backward: a
                        # clip_grad_norm_ at 1e-3 left 1/600 of a norm of 0.6 at every step (one fused norm more).
                        after = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
                        self._clip.append((after, torch.linalg.vector_norm(norms)))
                    else:
                        norms = torch.stack(torch._foreach_norm(grads))
                        if clip_norm is not None:
                            total = torch.linalg.vector_norm(norms)
                            # (torch's own clip_coef, so the factor is the one the step gets)
                            self._clip.append((torch.clamp(clip_norm / (total + 1e-6), max=1.0) * total, total))
                    self._grad.append(torch.linalg.vector_norm(norms))
                    self._snapshot = [p.detach().clone() for p in params]
                    if names is not None and self.layers > 0:
                        self._observe_layers([n for n, h in zip(names, has) if h], norms)

    def _observe_layers(self, names: list, norms) -> None:
        """Each layer's gradient norm at this sample: the 2-norm of its tensors' norms."""
        import torch

        if self._groups[0] != names or self._groups[2].device != norms.device:
            labels, index = layer_groups(names, self.layers)
            self._groups = (names, labels, torch.tensor(index, device=norms.device))
        _, labels, index = self._groups
        sq = torch.zeros(len(labels), dtype=norms.dtype, device=norms.device).index_add_(0, index, norms * norms)
        self._layer.append((labels, sq.sqrt()))

    def pop_epoch(self) -> dict[str, float]:
        """``{"grad_norm": mean, "update_ratio": mean}`` of this epoch's samples (absent when none), and
        ``grad_clip_ratio`` and ``grad_clipped_share`` (:data:`CLIP_RATIO`, :data:`CLIPPED_SHARE`) from the first
        epoch a sample's step gradient was clipped."""
        out = {}
        if self._grad:
            out["grad_norm"] = float(np.mean(_host_floats(self._grad)))
        if self._ratio:
            num = _host_floats([n for n, _ in self._ratio])
            den = _host_floats([d for _, d in self._ratio])
            moved = den > 0  # a zero weight norm has no relative update
            if moved.any():
                # Weights gone to inf give inf/inf: a NaN ratio is the honest record of that epoch, not a warning.
                with np.errstate(invalid="ignore", divide="ignore"):
                    out["update_ratio"] = float(np.mean(num[moved] / den[moved]))
        if self._clip:
            after = _host_floats([a for a, _ in self._clip])
            before = _host_floats([b for _, b in self._clip])
            ok = np.isfinite(after) & np.isfinite(before) & (before > 0)
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio = np.minimum(after[ok] / before[ok], 1.0)
            # (clip_grad_norm_ multiplies by exactly 1.0 where it does not clip; the per-tensor norms are the same
            # ones summed in another order, so an unclipped step reads 1 to within float rounding.)
            self.clipped = self.clipped or bool((ratio < CLIPPED_BELOW).any())
            if self.clipped and ratio.size:
                out[CLIP_RATIO] = float(np.mean(ratio))
                out[CLIPPED_SHARE] = float(np.mean(ratio < CLIPPED_BELOW))
        by_layer: dict[str, list] = {}
        for labels, values in self._layer:
            for label, v in zip(labels, values.float().cpu().numpy().astype(float)):
                by_layer.setdefault(label, []).append(v)
        # (A layer frozen or unfrozen mid-epoch averages the samples it had.)
        out.update({LAYER_GRAD + label: float(np.mean(v)) for label, v in by_layer.items()})
        self._grad, self._ratio, self._layer, self._clip = [], [], [], []
        self._first = True
        return out


#: The column of :meth:`GradientProbe.pop_epoch`'s clip factor: the mean over the epoch's samples of the gradient's
#: norm at the optimizer step over its norm as backward left it (1: nothing clipped). Logged from the first epoch whose
#: samples saw a clip on, so a run that never clips carries no such column.
CLIP_RATIO = "grad_clip_ratio"
#: The share of the epoch's samples whose step gradient was clipped, logged beside :data:`CLIP_RATIO`.
CLIPPED_SHARE = "grad_clipped_share"
#: A sample whose step gradient is under this share of backward's was clipped (float rounding alone moves it ~1e-7).
CLIPPED_BELOW = 0.999


def layer_groups(names: list[str], most: int = 30) -> tuple[list[str], list[int]]:
    """``(layer names, the index of each parameter's layer)``: parameters grouped by the module that owns them
    (:func:`losslens.columns.layer_of`), in the order they come; over ``most`` modules, by the longest prefix of
    their paths that gives at most ``most`` (``layer1.0.conv1`` -> ``layer1.0`` -> ``layer1``); over ``most`` even
    at the top level (a Sequential of 100 blocks), runs of consecutive ones named ``first..last``."""
    seps = [layer_of(n) for n in names]
    deepest = max((len(re.split(r"[./]", s)) for s in seps), default=1)
    for depth in range(deepest, 0, -1):
        cut = [_prefix(s, depth) for s in seps]
        labels = list(dict.fromkeys(cut))
        if len(labels) <= most:
            return labels, [labels.index(c) for c in cut]
    labels = list(dict.fromkeys(cut))
    size = -(-len(labels) // most)
    runs = [labels[i:i + size] for i in range(0, len(labels), size)]
    names_of = [f"{r[0]}..{r[-1]}" if len(r) > 1 else r[0] for r in runs]
    where = {label: i for i, r in enumerate(runs) for label in r}
    return names_of, [where[c] for c in cut]


def _prefix(path: str, depth: int) -> str:
    """The first ``depth`` parts of a module path, keeping its separators (``a.b/c`` at 2 -> ``a.b``)."""
    parts = re.split(r"([./])", path)
    return "".join(parts[: 2 * depth - 1])


def _host_floats(values) -> np.ndarray:
    """0-d tensors (any device, any float dtype) as one float64 array: one copy to the host where
    they share a device, else one per value."""
    import torch

    try:
        return torch.stack([v.float() for v in values]).cpu().numpy().astype(float)
    except (RuntimeError, TypeError):  # on several devices (a model split across GPUs)
        return np.array([float(v) for v in values], dtype=float)


def format_report(d, epoch, framework: str, final: bool = False, was: str | None = None,
                  schedule: str | None = None, stopped: tuple[str, str] | None = None, warming: bool = False) -> str:
    """One short paragraph: verdict and X, the strongest evidence, the first actions.

    ``was``: the verdict reported before, when this report replaces it. ``schedule``: the name of
    an lr schedule that will still lower the lr, for a ``converged`` report: its "stop at X" advice
    is then replaced by what the schedule will do. ``stopped``: after a ``stop_gain`` stop, why the rule
    stopped (said after the verdict) and the caveat that follows advice to train on. ``warming``: that
    schedule is still raising the lr to its peak (a warm-up), not lowering it.
    """
    from ..report.text import headline

    # (On a Trainer's step axis the epoch beside the step, as the headline quotes X.)
    when = "at the end of training" if final else f"after {at_text(d.run, d.axis, epoch)}"
    if was is not None:
        when += f", no longer {was}"
    parts = [f"losslens ({framework}, {when}): {headline(d)}."]
    if stopped is not None:
        parts.append(stopped[0])
    if d.cause.evidence:
        parts.append("Evidence: " + "; ".join(d.cause.evidence[:3]) + ".")
    if schedule is not None and d.verdict == "converged" and warming:
        # (A constant_with_warmup run flat during its warm-up was told its schedule "will still lower the lr".)
        parts.append(f"The lr schedule ({schedule}) is still warming the lr up to its peak: flat at this lr, the "
                     f"curve has not yet been trained at the schedule's full rate, so not a reason to stop yet.")
    elif schedule is not None and d.verdict == "converged":
        parts.append(f"The lr schedule ({schedule}) will still lower the lr: flat at this lr, the curve is "
                     f"expected to fall again when it does, so not a reason to stop yet.")
    elif d.cause.actions:
        tried = d.cause.actions[:2]
        parts.append("Try: " + "; ".join(tried) + ".")
        if stopped is not None and any(re.search(r"keep training|train on", a) for a in tried):
            parts.append(stopped[1] + ".")
    return " ".join(parts)


def decay_meta(coupled, decoupled) -> dict:
    """``Watcher.meta`` entries for the weight penalty an adapter read off the optimizer / model.

    ``coupled``, ``decoupled``: lists of (value, name, where). The largest coupled one (an L2 term in the
    loss or its gradient: torch's SGD / Adam ``weight_decay``, Keras' ``kernel_regularizer``) becomes
    ``weight_decay``, the dict facts/regularization.py reads and the rules quote. A decoupled decay
    (AdamW's, every Keras optimizer's ``weight_decay``) is kept as ``decoupled_weight_decay``, a separate key
    so that no version of the rules takes it for a penalty (see :func:`losslens.integrations.torch.optimizer_decay`).
    """
    out = {}
    for key, found in (("weight_decay", coupled), ("decoupled_weight_decay", decoupled)):
        found = [f for f in found if f[0] is not None and f[0] > 0]
        if found:
            value, name, where = max(found, key=lambda f: f[0])
            out[key] = {"name": name, "value": float(value), "where": where}
    return out


def dropout_meta(found) -> dict:
    """``Watcher.meta`` entries for the dropout an adapter read off the model: ``found``, a list of (rate, name,
    where); the largest rate above 0 becomes ``dropout``, the dict ``facts.regularization.dropout_rate`` reads
    (``{}`` where none). The largest: the layer it holds most is the fit held."""
    found = [f for f in found if f[0] is not None and 0 < f[0] < 1]
    if not found:
        return {}
    rate, name, where = max(found, key=lambda f: f[0])
    return {"dropout": {"name": name, "value": float(rate), "where": where}}


def data_parallel() -> tuple[int, int] | None:
    """``(rank, world size)`` of this process in torch.distributed's default group, where one of more than one process
    is initialised (``torchrun``, ``init_process_group``); None otherwise, and where torch was never imported (a Keras
    run on JAX): torch is looked up, never imported here."""
    dist = getattr(sys.modules.get("torch"), "distributed", None)
    try:
        if dist is None or not dist.is_available() or not dist.is_initialized():
            return None
        world = int(dist.get_world_size())
        return (int(dist.get_rank()), world) if world > 1 else None
    except Exception:  # a torch whose distributed package differs: one process, as before
        return None


def broadcast_from_zero(obj):
    """Rank 0's ``obj`` on every rank of torch.distributed's default group (pickled; every rank must call it)."""
    import torch.distributed as dist

    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def gather_mean(logs: Mapping[str, Any]) -> dict[str, float]:
    """Each number in ``logs`` averaged over the ranks of torch.distributed's default group (a collective): a loss
    each rank measured on its own shard becomes the whole data's, as one process measures it (shards of one size, as
    ``DistributedSampler`` makes them). A value already reduced is unchanged (the mean of equal numbers); a name one
    rank lacks is averaged over those that have it; what is not a number is left out."""
    import torch.distributed as dist

    mine = {str(k): v for k, v in ((k, to_float(v)) for k, v in logs.items()) if v is not None}
    every: list = [None] * dist.get_world_size()
    dist.all_gather_object(every, mine)
    names = list(dict.fromkeys(k for part in every for k in part))
    return {k: float(np.mean([part[k] for part in every if k in part])) for k in names}


def save_json_atomic(path, obj) -> None:
    """Write JSON to a temporary file beside ``path``, then ``os.replace`` it into place.

    A job killed mid-write leaves the previous complete file, never a half-written one.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".losslens-", suffix=".json.tmp", dir=directory)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(obj, fh, allow_nan=True)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# The packages between the user's code and a callback's warning: the warning is placed at the first frame outside them.
_NOT_THE_USERS = frozenset({"losslens", "keras", "tensorflow", "jax", "lightning", "pytorch_lightning",
                            "lightning_fabric", "transformers", "accelerate", "torch"})


def _warn(msg: str, category) -> None:
    """Warn of ``msg`` once, placed at the user's own line (``model.fit(...)``, ``trainer.fit(...)``,
    ``monitor.epoch_end(...)``), as Python 3.12's ``skip_file_prefixes`` places it: the callbacks both logged (the
    logger's last-resort handler printed it) and warned from losslens's own line (``_core.py:389: LosslensWarning:
    ...`` and ``self._check_monitor(epoch)`` below it), three lines for one word. The warning alone: the documented
    channel (``warnings.filterwarnings(category=losslens.LosslensWarning)``), as Keras' and Lightning's
    ``EarlyStopping`` warn of a monitor they cannot find."""
    level, frame = 2, sys._getframe(1)  # (stacklevel 1 is this function, 2 its caller)
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] in _NOT_THE_USERS:
        frame, level = frame.f_back, level + 1
    _one_line_warnings()
    warnings.warn(msg, category, stacklevel=level if frame is not None else 2)


def _one_line_warnings() -> None:
    """Have Python print a :class:`~losslens.LosslensWarning` as one line, ``train.py:12: LosslensWarning: ...``:
    its default format adds the user's source line below it (``model.fit(x, y, callbacks=[cb])``), two lines for one
    warning. As Lightning does for its own (``lightning.fabric.utilities.warnings``), ``warnings.formatwarning`` is
    wrapped, once, at the first warning: every other warning is formatted by whatever formatted it before (Lightning's
    wrapper, a user's own), and the warning itself is unchanged, so ``pytest.warns``, ``catch_warnings`` and filters
    on the category see what they saw."""
    before = warnings.formatwarning
    if getattr(before, "_losslens", False):
        return

    def formatwarning(message, category, filename, lineno, line=None):
        if isinstance(category, type) and issubclass(category, LosslensWarning):
            return f"{filename}:{lineno}: {category.__name__}: {message}\n"
        return before(message, category, filename, lineno, line)

    formatwarning._losslens = True
    warnings.formatwarning = formatwarning


# A stretch forecast to change less than this share of its level either way by the planned end is flat (as
# ``stop_gain=0.01`` asks of a gain).
FLAT_BAND = 0.01


_DIAGNOSE = None


def _diagnoser():
    """``diagnose_run``, asked to skip the forecast when it can (the forecast is its costly part)."""
    global _DIAGNOSE
    if _DIAGNOSE is None:
        # np.median imports numpy.ma at its first call (numpy 2 loads it lazily): ~20-30 ms of CPU that
        # would land in the first diagnosis of a run long enough to use it (20 points) and make the time
        # budget skip the next epochs. Taken here, when the callback is made, with the diagnosis itself.
        import numpy.ma  # noqa: F401

        from ..diagnosis import diagnose_run

        params = inspect.signature(diagnose_run).parameters
        extra = {"forecast": False} if "forecast" in params else {}
        _DIAGNOSE = (diagnose_run, extra)
    return _DIAGNOSE


def _diagnose(run, metric, classes):
    fn, extra = _diagnoser()
    return fn(run, metric=metric, classes=classes, **extra)


def console_print(text: str) -> None:
    """Print ``text``; through ``tqdm.write`` while a tqdm bar is open (the Hugging Face Trainer's, Lightning's
    ``TQDMProgressBar``), which clears the bars, prints and draws them again: a plain ``print`` lands at the end of
    the bar's line, and the bar's next refresh writes over the message's last line."""
    tqdm = getattr(sys.modules.get("tqdm.std"), "tqdm", None)  # (a bar is open only where tqdm was imported)
    try:
        if tqdm is not None and len(tqdm._instances):
            tqdm.write(text)
            return
    except Exception:
        pass  # a tqdm whose internals differ: print as without a bar
    print(text, flush=True)


def diagnose_run_with_forecast(run, metric, classes, horizon=None):
    fn, _ = _diagnoser()
    return fn(run, metric=metric, classes=classes, **({} if horizon is None else {"horizon": horizon}))


def firm_verdict(d, previous: str | None, min_confidence: float = 0.5) -> bool:
    """Is ``d``'s verdict firm, one to report and act on: not a quiet one (:data:`QUIET`), at least
    ``min_confidence`` (:func:`_gate`), and the verdict of the diagnosis before it too (``previous``; None: none
    before), since early verdicts on a handful of points flip; a diverged run needs no second opinion; and not a
    converged whose tail holds a jump off its best (``jump_in_tail``: a one-off it reads so, but a plateau that
    threw a point off in its last quarter has not shown it stays settled); nor a verdict only "possible" (the
    reading needs its experiment to tell: a converged too short to tell from its swings, a last point just
    jumped), whose agreement does not count either (:func:`counted_verdict`). The callbacks' rule
    (:meth:`Watcher._decide`), and ``losslens watch --exit-when``'s."""
    return (d.verdict not in QUIET and _gate(d.cause) >= min_confidence
            and (d.verdict == previous or d.verdict == "diverged")
            and d.cause.status != "possible"
            and not (d.verdict == "converged" and "jump_in_tail" in d.cause.numbers))


def counted_verdict(d) -> str | None:
    """The verdict ``d`` counts as for the next diagnosis's :func:`firm_verdict` (its ``previous``): None for a
    "possible" one, which no later verdict firms by agreeing with (the walk's Adam(0.05) run read "converged, too
    early to call it settled" at epoch 14 and a likely converged at 15, "stop at epoch 2", before falling
    0.15 -> 0.05)."""
    return None if d.cause.status == "possible" else d.verdict


def _below(gain: float, cut: float) -> str:
    """``gain`` (a share: 0.0096) as a percentage with digits enough to read below ``cut`` (0.01), as it is:
    "forecast to improve 1.0%, less than stop_gain=0.01" was said of 0.96%."""
    for decimals in (1, 2, 3):
        text = f"{gain:.{decimals}%}"
        if not gain < cut or float(text[:-1]) / 100 < cut:
            return text
    return f"under {share_text(cut)}"


def _gate(cause) -> float:
    """The number ``min_confidence`` gates on: the confidence the report prints beside ``cause`` (the verdict's
    calibrated chance of being right, another cause's strength). Gated on the strength, a report could read
    "underfitting (confidence 0.48)" and still be acted on at min_confidence 0.5."""
    return cause.confidence


def _reported(d):
    if d is None:
        return None
    return {"verdict": d.verdict, "plateau_epoch": _num(d.plateau_epoch),
            "confidence": round(float(d.cause.confidence), 3)}


def _cause_ids():
    from ..result import CAUSES
    return CAUSES


def to_float(v) -> float | None:
    """A number from a Python/numpy/torch scalar; None for anything that is not one."""
    if v is None or isinstance(v, (str, bytes, bool)):
        return None
    try:
        if hasattr(v, "item") and getattr(v, "ndim", 0) == 0 or hasattr(v, "numel") and v.numel() == 1:
            v = v.item()
        return float(v)
    except (TypeError, ValueError, RuntimeError, AttributeError, OverflowError):
        return None


def _num(x):
    """finite_or_none, with whole numbers as ints (epochs print as 12, not 12.0)."""
    f = finite_or_none(x)
    return int(f) if f is not None and f.is_integer() else f


def _json_num(v: float):
    if math.isnan(v):
        return None
    if math.isinf(v):
        return v  # json writes Infinity: the loss blew up, keep that evidence
    return v


def _str(p):
    return None if p is None else os.fspath(p)


def _path_name(path) -> str:
    """The run's name for the file it is saved to, as ``losslens diagnose`` names that file (:func:`losslens.readers.
    run_name`): its stem, or its folder's name for ``losslens.json``, the Lightning and Transformers callbacks'
    default file (the report and the saved run both said "losslens" of a Trainer's ``output_dir``)."""
    from pathlib import Path

    from ..readers import run_name

    return run_name(Path(os.fspath(path)))


class WatcherViews:
    """Read-only views on ``self.watcher`` that every callback offers (Keras, Lightning,
    Transformers, the PyTorch loop): what was reported, the last diagnosis, the actions taken."""

    reported = property(lambda self: self.watcher.reported)
    reports = property(lambda self: self.watcher.reports)
    diagnosis = property(lambda self: self.watcher.diagnosis)
    messages = property(lambda self: self.watcher.messages)
    actions = property(lambda self: self.watcher.actions)
    # (An int where whole, as Keras' EarlyStopping gives it: the adapters' axis values are floats.)
    stopped_epoch = property(lambda self: _num(self.watcher.stopped_epoch))

    def run(self):
        """The run recorded so far (a :class:`losslens.Run`)."""
        return self.watcher.run()


class WeightPrints:
    """Tells weights re-initialised in place on the same model object (a sweep re-running each layer's initializers,
    ``model.set_weights(initial)``, torch's ``reset_parameters()``) from the same run trained on, at a further fit.

    A print is a few entries of each weight (its first :data:`PRINT_ENTRIES` at an even stride, of the first
    :data:`PRINT_VARIABLES`), one flat float64 vector: taking it copies those entries alone off the device (4 ms for
    80 tensors of 512x512 on a loaded CPU). ``start`` takes the
    run's first print (its untrained weights), ``epoch`` one at each epoch end and at a fit's end (the weights a
    restore of the best, or a checkpoint, brings back). :meth:`restarted` reads a further fit's first print: at an
    epoch's print, within 1e-6 of its size, the run goes on (a fine-tune: compile and ``trainable`` change no weight;
    epochs at lr 0 left the weights at the start); back at the run's start (``set_weights(initial)``), or nearer it
    than any epoch's end and than half the run's travel (set back, then one step taken), is a restart; anywhere else
    (new draws of the initializers), a restart where it lies at least half as far from every epoch's print as
    training moved the weights from the start to the last: a continuing loop that took one step before the check, or
    weights rounded to another precision, lies far closer. A model whose prints cannot be taken goes on."""

    def __init__(self):
        self.first = None    # the run's first print
        self.prints = []     # the epoch-end prints since (the last one: the weights at the last epoch's end)

    def start(self, fingerprint) -> None:
        self.first, self.prints = fingerprint, []

    def epoch(self, fingerprint) -> None:
        if fingerprint is None or self.first is None or fingerprint.shape != self.first.shape:
            return
        if not self.prints or not np.array_equal(self.prints[-1], fingerprint):
            self.prints.append(_compact(fingerprint))

    def restarted(self, fingerprint) -> bool:
        """Whether a further fit starting at ``fingerprint`` starts the model over (see the class)."""
        first = self.first
        if fingerprint is None or first is None or fingerprint.shape != first.shape or not self.prints:
            return False
        size = max(float(np.linalg.norm(first)), 1e-12)
        back = float(np.linalg.norm(fingerprint - first))
        nearest = min(float(np.linalg.norm(fingerprint - p)) for p in self.prints)
        if nearest <= 1e-6 * size:
            # (first: epochs that did not move the weights, a warm-up from lr 0, leave them at the start too)
            return False
        travelled = float(np.linalg.norm(self.prints[-1] - first))
        if back <= 1e-6 * size or (back < nearest and back < 0.5 * travelled):
            # (nearer the start than any epoch's end: set back to it, perhaps one step on; a step from the start
            # can lie within half the run's travel of its first epoch's weights)
            return True
        return travelled > 0 and nearest >= 0.5 * travelled


def _compact(fingerprint: np.ndarray) -> np.ndarray:
    """``fingerprint`` (a print, float64, shape (n,)) held as float32 where that loses nothing: every epoch's print is
    kept, as :meth:`WeightPrints.restarted` asks which lies nearest (a further fit may start from any epoch's
    checkpoint), and a print of float32 weights (the torch and Keras prints take them as float32) spent twice its
    bytes in float64, 8 KB an epoch at 64 x 16 entries. Its distances, taken against a float64 print, are the same to
    the last bit; a print of float64 weights that float32 would round stays as it is."""
    small = fingerprint.astype(np.float32)
    return small if np.array_equal(small, fingerprint) else fingerprint


def lr_moves(values, tol: float = 1e-3) -> bool:
    """Whether a schedule's lrs (or factors), asked at the steps left, move: any value more than ``tol`` of the first
    away from it, or not a finite number (then: it is taken to move, the old, safe reading). The Keras callback asks
    its schedule with it, the torch adapters a LambdaLR's lambda."""
    first = values[0]
    return not math.isfinite(first) or any(not math.isfinite(v) or abs(v - first) > tol * abs(first)
                                           for v in values[1:])


#: What a weight print takes: this many entries of each of at most this many weight tensors.
PRINT_ENTRIES, PRINT_VARIABLES = 16, 64


def print_stride(size: int) -> int:
    """The stride a weight print reads a flat tensor of ``size`` at, its first :data:`PRINT_ENTRIES` entries so taken
    (a strided view: no index tensor to build for each of 64 tensors at every epoch end)."""
    return max(1, size // PRINT_ENTRIES)
