"""Facts: plain measurements of a Run — numbers with names, no opinions.

``measure(run)`` computes every fact the diagnosis rules read. Each measurement lives in its
own module and is a pure function of arrays:

- :mod:`.smoothing` — smoothing, noise (MAD), downsampling of long step logs
- :mod:`.plateau` — the plateau onset X with a bootstrap interval, and the phases
- :mod:`.trend` — the tail slope and its significance; how straight the descent is
- :mod:`.generalization` — validation minimum, rise after it, generalization gap
- :mod:`.optimizer` — lr schedule, oscillation at the floor, gradient-norm decay, each layer's gradient
- :mod:`.chance` — chance level for K classes and validation accuracy against it
- :mod:`.divergence` — NaN/inf and sustained growth
- :mod:`.learning_curve` — the gain from doubling the data, when a learning curve was measured
- :mod:`.regularization` — the weight decay / L2 coefficient, where the log's saved settings give it
- :mod:`.epochs` — a step log's training loss within and between epochs (the memorisation staircase)
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

import numpy as np

from ..columns import is_validation
from ..exceptions import EmptyRunError, UsageError, check_number
from ..run import Run
from .chance import ChanceFacts, accuracy_denominator, accuracy_fraction, chance_facts, rounded_denominator
from .divergence import DivergenceFacts, divergence, logged, never_finite_losses, nonfinite_start, stated_final
from .adversarial import AdversarialFacts, adversarial_facts
from .elbo import ElboFacts, elbo_facts
from .epochs import StaircaseFacts, run_staircase
from .generalization import GeneralizationFacts, generalization
from .learning_curve import LearningCurveFacts, learning_curve_facts
from .optimizer import (CycleEnds, cycle_ends, DecayPace, LayerGradFacts, LrPhases, OptimizerFacts, PeakClimb, decay_pace, layer_grad_facts,
                        lr_phases, optimizer_facts, jumps, missed_improvement, oscillation, peak_climb, peak_lr_relapse,
                        Spikes, spikes)
from .plateau import PlateauFacts, phases, plateau_onset
from .regularization import RegularizationFacts, dropout_rate, run_weight_decay, stated_learning_rate_from
from .smoothing import constant_tail, downsample, noise_sigma, smooth
from .trend import TrendFacts, tail_trend

# An error metric logged beside the loss (Keras' mae, a val_rmse): a regression, whose loss at 2.30 is no ln 10.
_ERROR_METRIC = re.compile(r"(^|_)(r?mse|mae|mape|msle|rmsle|huber|r2|root_mean_squared_error|mean_(squared|absolute)"
                           r"_error)($|_)")
MIN_POINTS_FOR_VAL = 5  # fewer validation points than this: diagnose the training curve instead
MIN_POINTS_TO_DIAGNOSE = 3  # fewer finite values than this (and no NaN/inf after them): too short
RISE_NOISE, RISE_T, RISE_RANGE = 3.0, 2.0, 0.10  # when the validation curve's rise is a phase
#: A validation MSE within this factor of the data's noise variance sits at the floor: on the lab's 200 validation
#: points with Gaussian noise the floor itself scatters by sqrt(2/200) = 10%, so 1.25 is 2.5 of those sds. The
#: diagnosis reads a converged loss within it as at the floor; the forecast keeps its interval above floor / 1.25.
NOISE_FLOOR_NEAR = 1.25


@dataclass
class Facts:
    """Everything measured on one Run. ``metric`` is the series X and the trend refer to."""

    metric: str
    axis_name: str
    n_points: int
    x: np.ndarray = field(repr=False)        # finite axis values of the metric (downsampled if long)
    y: np.ndarray = field(repr=False)        # the metric's finite values
    smoothed: np.ndarray = field(repr=False)
    noise: float
    plateau: PlateauFacts
    trend: TrendFacts
    optimizer: OptimizerFacts
    divergence: DivergenceFacts
    train_divergence: DivergenceFacts | None
    generalization: GeneralizationFacts | None
    chance: ChanceFacts
    train_trend: TrendFacts | None
    train_plateau: PlateauFacts | None
    phases: list[dict]
    train_oscillation: float | None = None  # the training curve's tail noise / its improvement
    train_noise: float | None = None         # the training curve's noise sd (metric units)
    constant_tail: int = 0                   # points at the end with exactly the same value (a dead network)
    learning_curve: LearningCurveFacts | None = None
    forecast: Any = None
    quoted_forecast: Any = None   # the forecast the report quotes (a user's horizon, the planned end), where not `forecast`
    forecast_fit_alone: Any = None  # `forecast`'s {"gain", "p_improve"} from its fitted families alone, where a steady
                                    # fall of the last third was weighed into it (forecasting.Forecast.fit_alone); else None
    # the parts of a total loss still falling beside one that overfits (diagnosis._parts_apart), which an early stopping
    # the report advises stops on instead of the total; () elsewhere
    parts_falling: tuple = ()
    lr_cut: float | None = None   # axis value where the logged lr was last cut to its current rate (the forecast fits from there)
    lr_cut_ratio: float | None = None  # the lr since that cut over the lr before it
    train_spike: float = 0.0      # largest training-loss jump above its trend (from X or the second half), noise sds
    train_spike_rel: float = 0.0  # the same jump as a fraction of the training loss's improvement
    train_spike_points: int = 0   # points its threshold grows with (the second half's)
    train_spike_at: float | None = None  # the axis value of that jump (on the plateau, either half)
    train_spikes: tuple = field(default=(), repr=False)  # every scanned point above that trend: (index, noise
                                                         # sds, share of the improvement), for counting spikes
    train_points: int = 0         # finite training-loss points (after downsampling)
    higher_is_better: bool = False  # the metric is a score (accuracy, R², reward ...)
    direction_assumed: bool = False  # neither given nor told by the name: read as a loss
    train_metric: str | None = None  # the training series ``generalization`` compares with
    train_y: np.ndarray | None = field(default=None, repr=False)  # training-loss values (next to a validation metric)
    train_x: np.ndarray | None = field(default=None, repr=False)  # their axis values
    parts: tuple = field(default=(), repr=False)  # a total val_loss's logged parts (loss_parts), each (part, its
                                                  # finite values, its training twin or None, that twin's finite values)
    train_loss_key: str = "train_loss"  # the training loss train_y, train_trend and train_plateau read: an output's
                                        # own beside its per-output validation series (head_losses), else the total
    peak_relapse: tuple | None = None  # the training loss climbing back at the schedule's peak lr (optimizer.peak_lr_relapse)
    regularization: RegularizationFacts | None = None  # the weight decay the log's saved settings give
    dropout: RegularizationFacts | None = None  # the dropout rate they give (a probability): read by the rules
    stated_lr: tuple[float, str] | None = None  # (rate, where) the saved settings state, where no lr series is logged
    early_stopping: dict | None = None  # the patience that ended the run on this curve, where the log says (scikit-learn's MLP)
    lr_phases: LrPhases | None = None  # the curve at the schedule's peak lr and after it anneals (optimizer.lr_phases)
    train_lr_phases: LrPhases | None = None  # the same of the training loss read beside a validation metric
    decay_pace: DecayPace | None = None  # the curve against lr-time under an lr decayed to 1/10 of its peak or
                                         # below (optimizer.decay_pace); read by the rules, not in the JSON
    peak_climb: PeakClimb | None = None  # the curve's climb off its best at the peak lr, and its best after the lr
                                         # left the peak (optimizer.peak_climb); read by the rules, not in the JSON
    cycles: CycleEnds | None = None  # the curve at each warm restart's cycle end (optimizer.cycle_ends); read by the
                                     # rules and the forecast, not in the JSON
    elbo: ElboFacts | None = None  # the KL term (and its weight) logged beside the loss: a VAE's negative ELBO
    adversarial: AdversarialFacts | None = None  # a GAN's discriminator and generator losses, read together
    staircase: StaircaseFacts | None = None  # a step log's training loss within and between epochs (epochs.py)
    layer_grads: LayerGradFacts | None = None  # each layer's gradient norm, where logged (optimizer.layer_grad_facts)
    jumps: tuple = ()  # the metric's jumps off its best that came back (optimizer.jumps), on the lower-is-better scale
    missed: float = 0.0  # the metric's fall before a late log's first point (optimizer.missed_improvement): the
                         # oscillation and jumps count it in the improvement; 0 for a log from the start
    train_missed: float = 0.0  # the same of the training loss (its oscillation and spikes count it)
    unseen: float = 0.0  # a validation loss's fall before its first check, where that came after training's first
                         # logged point (optimizer.missed_improvement of it, as a late log's `missed`; 0 for a late
                         # log, whose `missed` counts it, a score, or a curve checked from the start): the jumps, the
                         # bounce share, peak_climbed and decayed_in_line count `missed + unseen`
    train_examples: tuple | None = None  # (examples, where the log says it) the training set holds, where it says
    noise_floor: float | None = None  # the data's noise floor the run states (stated_noise_floor), in the loss's units
    baseline: tuple | None = None  # (loss, where from) of one constant prediction for every input, the run's losses'
                                   # units (stated_baseline_loss): a regression's "learned nothing"
    offset_free: bool = False  # the loss has no zero point (offset_free): 0 is no floor; not in the JSON
    label_smoothing: tuple[float, str] | None = None  # (ε, where) the losses are smoothed by (meta["label_smoothing"]:
                                                      # a Trainer's label_smoothing_factor); not in the JSON
    labels_random: bool = False  # the run says its labels were drawn at random (the lab's experiment 2)
    grad_skipped_at: tuple = ()  # axis values of rows whose logged grad_norm is inf/NaN (a GradScaler's skipped steps)
    train_acc_step: int | None = None  # M where every training accuracy is a multiple of 1/M: the examples an epoch's
                                       # accuracy (and so its mean loss) counts, where a log's accuracy is that exact
    val_beside: tuple | None = field(default=None, repr=False)  # (x, y) of val_loss where the metric is train_loss

    def to_dict(self) -> dict:
        out = {"metric": self.metric, "n_points": self.n_points, "noise": _f(self.noise),
               "train_oscillation": _f(self.train_oscillation), "train_noise": _f(self.train_noise),
               "train_spike": _f(self.train_spike), "train_spike_rel": _f(self.train_spike_rel)}
        out["constant_tail"] = self.constant_tail
        out["higher_is_better"] = self.higher_is_better
        out["direction_assumed"] = self.direction_assumed
        # (Only where stated: every other run's JSON stays as it was. The floor the verdicts were read against is
        # said beside the baseline, not only in a forecast it happened to hold.)
        if self.noise_floor is not None:
            out["noise_floor"] = _f(self.noise_floor)
        if self.baseline is not None:
            out["baseline_loss"], out["baseline_from"] = _f(self.baseline[0]), self.baseline[1]
        for name in ("plateau", "trend", "optimizer", "divergence", "train_divergence", "generalization",
                     "chance", "train_trend", "train_plateau", "learning_curve", "regularization", "lr_phases",
                     "train_lr_phases", "elbo", "adversarial", "staircase", "layer_grads"):
            value = getattr(self, name)
            if hasattr(value, "to_dict"):
                out[name] = {k: _f(v) for k, v in value.to_dict().items()}
            else:
                out[name] = None if value is None else {k: _f(v) for k, v in _plain(value).items()}
        return out


_ATOMS = (float, int, str, bool, type(None), np.floating, np.integer, np.bool_)


def _plain(obj):
    """``dataclasses.asdict(obj)``, the same dict, without deep-copying the numbers it holds: asdict's
    ``copy.deepcopy`` of every float was a fifth of ``Diagnosis.to_dict``. Anything not a plain number or
    string is still deep-copied, so no caller can reach into the facts through the dict."""
    if isinstance(obj, _ATOMS):
        return obj
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*[_plain(v) for v in obj])
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v) for v in obj)
    if isinstance(obj, dict):
        return type(obj)((_plain(k), _plain(v)) for k, v in obj.items())
    return copy.deepcopy(obj)


def _f(v):
    if isinstance(v, (list, tuple)):
        return [_f(x) for x in v]
    if isinstance(v, (bool, str)) or v is None:
        return v
    try:
        v = float(v)
    except (TypeError, ValueError):
        return v
    return v if math.isfinite(v) else None


def did_you_mean(asked: str, names) -> str:
    """``"; did you mean val_loss?"``: the name among ``names`` closest to ``asked`` (a series a user named that is
    not logged, most often a typo), or ``""`` where none is close. ``diagnose --metric`` and the callbacks'
    ``monitor`` say it alike."""
    import difflib

    near = difflib.get_close_matches(str(asked), [str(n) for n in names], n=1, cutoff=0.6)
    return f"; did you mean {near[0]}?" if near else ""


def val_passed_over(run: Run) -> tuple[str, int, int] | None:
    """The held-out curve the default reading passes over for the training loss, as ``(name, n_held, n_train)``
    (its finite point count, the training loss's), or None where it is read (or none is logged). Validation
    evaluated fewer than ``MIN_POINTS_FOR_VAL`` times against more training points: the training curve has the
    shape. A short run with both logged every epoch keeps its validation curve."""
    m = run.default_metric()
    if m not in ("val_loss", "val_acc") or not run.has("train_loss"):
        return None
    n_val, n_train = (int(np.isfinite(run.series[k]).sum()) for k in (m, "train_loss"))
    return (m, n_val, n_train) if n_val < MIN_POINTS_FOR_VAL and n_train > n_val else None


def choose_metric(run: Run, metric: str | None) -> str:
    if metric:
        asked = metric
        if metric not in run.series:
            # The user names the column as the file spells it; readers store canonical or
            # normalised names ("Val Loss" -> val_loss, "train/box loss" -> train_box_loss).
            from ..columns import canonical, normalise
            metric = (run.meta.get("read_as", {}).get(normalise(metric)) or canonical(metric)
                      or (normalise(metric) if normalise(metric) in run.series else metric))
        if run.get(metric) is None:
            # (The log's own names: "has: val_loss" for a file whose column is val_nll sent the user to a name
            # they cannot see in it.)
            names = run.logged_metrics()
            has = f"(has: {', '.join(names) or 'none'})"
            if metric not in run.series:  # not logged at all: most often a typo
                raise EmptyRunError(f"no series {asked!r} in this run {has}{did_you_mean(asked, names)}",
                                    run.source or run.name)
            read_as = f", read as {metric}" if metric != asked else ""
            raise EmptyRunError(f"no finite values for {asked!r}{read_as} {has}", run.source or run.name)
        return metric
    return "train_loss" if val_passed_over(run) is not None else run.default_metric()


def epoch_means(run: Run, key: str) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
    """``(steps, epoch means)`` of training loss ``key`` on a step-axis run whose reader kept them beside its
    per-batch twin (``meta["epoch_means"]``: Lightning's ``train_loss_epoch`` beside ``train_loss_step``, logged at
    each epoch's last step), at least 4 of them inside the run's steps; else (None, None). The gap and the training
    level are read on them: the step series is one batch's loss at each logged step, and its last point is the last
    batch's (a digits MLP's ended at 0.0106 where its last epoch's mean was 0.0652, and 93% of val_loss read as the
    gap, against the callback's 55% of the same fit, which records the epoch means)."""
    if run.axis_name != "step":
        return None, None
    pair = ((run.meta or {}).get("epoch_means") or {}).get(key)
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
        return None, None
    x, y = (np.asarray(a, dtype=float) for a in pair)
    if x.ndim != 1 or x.shape != y.shape or not run.axis.size:
        return None, None
    ok = np.isfinite(x) & np.isfinite(y) & (x >= run.axis[0]) & (x <= run.axis[-1])
    if ok.sum() < 4:
        return None, None
    order = np.argsort(x[ok], kind="stable")
    return x[ok][order], y[ok][order]


def _curve(run: Run, key: str):
    if not run.has(key):
        return None, None
    x, y = run.finite(key)
    return downsample(x, y)


def require_length(run: Run, metric: str | None, what: str = "forecast") -> None:
    """Refuse, as :func:`measure` does, a curve of fewer than ``MIN_POINTS_TO_DIAGNOSE`` finite values:
    ``losslens forecast`` printed a "forecast" of a 2-point run that ``diagnose`` called too short.
    (No finite value at all is left to the caller's own error; a run whose losses never had one passes, to be
    forecast withheld as diverged, :func:`~losslens.forecasting.never_finite`.)"""
    if never_finite_losses(run, metric):
        return
    metric = choose_metric(run, metric)
    n = int(np.isfinite(np.asarray(run.series[metric], dtype=float)).sum())
    if 0 < n < MIN_POINTS_TO_DIAGNOSE:
        raise EmptyRunError(f"only {n} value(s) of {metric}: too short to {what} "
                            f"(need {MIN_POINTS_TO_DIAGNOSE} {run.axis_name}s or more)", run.source or run.name)


def check_horizon(horizon):
    """``horizon`` as every entry point takes it (``diagnose``, ``forecast``, ``--horizon``): a finite number, the
    epoch (or step) to forecast to; returned unchanged."""
    return check_number("horizon", horizon, means="the epoch (or step) to forecast to", note="horizon=200")


def require_ahead(run: Run, horizon, metric: str | None) -> None:
    """Refuse a forecast horizon at or before the last logged point of ``metric`` (a forecast looks ahead;
    a value inside the run is a fit) with a :class:`~losslens.exceptions.UsageError`; None passes."""
    if horizon is None:
        return
    try:  # (diagnose --horizon inf gave no forecast and said nothing)
        check_horizon(horizon)
    except UsageError as exc:
        raise type(exc)(exc.problem, run.source or run.name) from None
    metric = choose_metric(run, metric)
    x, _ = run.finite(metric)
    if x.size and float(horizon) <= float(x[-1]):
        raise UsageError(f"horizon {horizon:g} is not after the last logged {run.axis_name} of {metric} "
                         f"({float(x[-1]):g}): a forecast looks ahead", run.source or run.name)


def measure(run: Run, metric: str | None = None, classes: int | None = None,
            random_state: int = 0, higher_is_better: bool | None = None) -> Facts:
    """Measure every fact of ``run`` for ``metric`` (default: val_loss, else train_loss);
    ``higher_is_better`` None reads the direction from the metric's name (a loss if it does not say)."""
    metric = choose_metric(run, metric)
    by_name = metric_direction(metric)
    higher_better = bool(by_name) if higher_is_better is None else bool(higher_is_better)
    raw = logged(run, metric)
    x, y = _curve(run, metric)
    if y is None or y.shape[0] == 0:
        raise EmptyRunError(f"{run.label(metric)} has no finite values", run.source or run.name)
    if y.shape[0] < MIN_POINTS_TO_DIAGNOSE and nonfinite_start(raw, stated_final(run, metric)) is None:
        # One or two values show a direction at most; a run that then went NaN/inf did diverge.
        raise EmptyRunError(f"only {y.shape[0]} value(s) of {run.label(metric)}: too short to diagnose "
                            f"(need {MIN_POINTS_TO_DIAGNOSE} {run.axis_name}s or more)", run.source or run.name)
    sign = -1.0 if higher_better else 1.0
    y = sign * y
    s = smooth(y)
    sigma = noise_sigma(y)
    pl = plateau_onset(x, y, random_state=random_state, batch=batch_loss(run.axis_name, metric))
    free = offset_free(run)  # (a run's losses share their zero point, or lack it)
    tr = tail_trend(x, y, s, pl.start, pl.floor, noise=sigma, top=_score_top(sign * y, metric) if higher_better else 0.0,
                    offset_free=metric in _LOSSES and not higher_better and free)
    # A log that starts late measures its bounces and jumps against what it fell plus what it fell unseen before.
    late = run.meta.get("starts_at_epoch") is not None
    missed = missed_improvement(y, late)
    # A per-output series is read beside its own output's training loss, not the total's: the total's fall is
    # another head's where that head's loss is the larger (head_losses).
    head = head_losses(run, metric)
    train_key = head[1] if head is not None else "train_loss"
    xt, yt = _curve(run, train_key)
    # A validation loss first checked after training's first logged point (Keras' validation_freq, Lightning's
    # check_val_every_n_epoch, a Trainer's eval_steps) missed the fall before its check as a late log does, and its
    # bounces and jumps are measured against that fall too: keras_bottleneck's digits run checked at its 2nd, 4th ...
    # epochs (validation 2.107 -> 1.62, where epoch 0's check read 2.194) bounced "7% of its whole improvement" and
    # read "lr too high" where every epoch's checks read underfitting. So are the peak lr's climb and the run's pace
    # per unit of lr (diagnosis.peak_climbed, decayed_in_line, reading Facts.unseen): keras_rlrop_noise_floor seed 1
    # (validation MSE >= 0.09 by its noise) fell 0.399 -> 0.091 checked every epoch and climbed 0.028 at the peak lr
    # (9% of it, converged); checked at its 2nd, 4th ... epochs it fell 0.122 -> 0.091 and the climb was 57% of that:
    # "lr too high". (Facts.missed stays the log's own.)
    unseen = missed_improvement(y, True) if not late and not higher_better and metric.startswith("val_") \
        and xt is not None and xt.size and x.size and x[0] > xt[0] else 0.0
    # A log whose validation accuracy already stood at its best at the first check learned before it: the loss's fall
    # after it is a tail, and its first value stands in for the fall before, as a late log's does (learned_first).
    early = learned_first(run) and not late and not higher_better
    if early and metric in ("val_loss", "train_loss"):
        unseen = max(unseen, missed_improvement(y, True))
    opt = optimizer_facts(run.get("lr"), run.get("grad_norm"), y, tr.tail_start, pl.improvement + missed + unseen,
                          run.axis)
    annealing = lr_phases(run.get("lr"), run.axis, x, y, s)
    pace = decay_pace(run.get("lr"), run.axis, x, y, s)
    climb = peak_climb(run.get("lr"), run.axis, x, y)
    cycles = cycle_ends(run.get("lr"), run.axis, x, y)
    div = divergence(run.axis[:raw.shape[0]], sign * raw, s, pl.start, sigma, x, y, stated_final(run, metric))

    xv, yv = _curve(run, "val_loss")
    train_div = train_tr = train_pl = train_osc = train_noise = train_phases = None
    train_spike, train_points, train_missed, spike_x = Spikes((), 0), 0, 0.0, None
    if metric == "train_loss":  # the metric is the training curve: its spikes and length count
        train_spike = spikes(y, pl.improvement + missed + (unseen if early else 0.0), pl.index)
        train_points, train_missed, spike_x = int(y.shape[0]), missed, x
    if yt is not None and metric != "train_loss" and yt.shape[0] >= 3:
        st = smooth(yt)
        train_pl = plateau_onset(xt, yt, random_state=random_state)
        train_noise = noise_sigma(yt)
        train_tr = tail_trend(xt, yt, st, train_pl.start, train_pl.floor, noise=train_noise, offset_free=free)
        train_raw = logged(run, train_key)
        train_div = divergence(run.axis[:train_raw.shape[0]], train_raw, st, float(yt[0]), train_noise, xt, yt,
                               stated_final(run, train_key))
        train_missed = missed_improvement(yt, late)
        train_early = missed_improvement(yt, True) if early else 0.0
        train_osc = oscillation(yt, train_tr.tail_start, train_pl.improvement + train_missed + train_early)[0]
        train_spike = spikes(yt, train_pl.improvement + train_missed + train_early, train_pl.index)
        spike_x = xt
        train_points = int(yt.shape[0])
        # (Only under a schedule the metric's own curve shows annealing once: the rules read them together.)
        train_phases = lr_phases(run.get("lr"), run.axis, xt, yt, st) if annealing is not None else None
    spike_at, spike_sds, spike_share = train_spike.largest
    gen, train_metric = None, None
    if metric in ("val_loss", "train_loss"):
        xg, yg = epoch_means(run, train_key) if metric == "val_loss" else (None, None)
        if xg is None:
            xg, yg = xt, yt
        gen, train_metric = generalization(xv, yv, xg, yg, missed_improvement(yv, late) if yv is not None else 0.0), \
            "train_loss"
        if gen is not None and not same_quantity(run):
            _no_gap(gen)
    elif metric.startswith("val_"):
        gen, train_metric = _validation_gap(run, metric, x, y, sign)
    first_loss = None
    for key in ("train_loss", "val_loss"):
        arr = run.get(key)
        if arr is not None:
            first_loss = float(arr[np.isfinite(arr)][0])
            break
    n_val = run.meta.get("n_val")
    ch = chance_facts(accuracy_fraction(run.get("val_acc")), accuracy_fraction(run.get("train_acc")),
                      classes or run.meta.get("classes"), first_loss,
                      int(n_val) if isinstance(n_val, (int, float)) and n_val > 0 else None, run.axis,
                      tuple(run.get(key) for key in ("val_loss", "train_loss")),
                      regression=any(_ERROR_METRIC.search(name) for name in run.metrics))

    # A "rising validation" phase only where the rise is real: well above the noise and either
    # still climbing at the end or large against the improvement (a noisy floor is no phase).
    rising = None
    if gen is not None and metric.startswith("val_") and gen.rising_index is not None and pl.floor_index < len(y) - 1 \
            and gen.val_rise_noise > RISE_NOISE and (tr.slope_t > RISE_T or gen.val_rise_range > RISE_RANGE):
        rising = pl.floor_index
    ph = phases(x, s, pl.start, pl.index, rising, validation=metric.startswith("val_"), y=y)
    if sign < 0:  # report levels in the metric's own direction
        pl.level = None if pl.level is None else -pl.level
        pl.end = None if pl.end is None else -pl.end
        pl.x_floor = None if pl.x_floor is None else -pl.x_floor
    return Facts(metric, run.axis_name, int(y.shape[0]), x, sign * y, sign * s, sigma, pl, tr, opt, div,
                 train_div, gen, ch, train_tr, train_pl, ph, train_osc, train_noise, constant_tail(y),
                 learning_curve_facts(run.meta.get("learning_curve")), train_spike=spike_sds,
                 train_spike_rel=spike_share, train_spike_points=train_spike.points, train_points=train_points,
                 train_spike_at=None if spike_at is None else float(spike_x[spike_at]),
                 train_spikes=train_spike.every,
                 higher_is_better=higher_better, direction_assumed=higher_is_better is None and by_name is None,
                 train_metric=train_metric if gen is not None else None, train_loss_key=train_key,
                 parts=tuple((k, run.finite(k)[1], tk, None if tk is None else run.finite(tk)[1])
                             for k, tk in loss_parts(run, metric)),
                 train_y=yt if metric != "train_loss" else None, train_x=xt if metric != "train_loss" else None,
                 peak_relapse=peak_lr_relapse(run.get("lr"), run.get(train_key), run.axis, late)
                 if run.axis_name == "epoch" else None, regularization=run_weight_decay(run),
                 dropout=dropout_rate(run.meta or {}),
                 stated_lr=None if run.has("lr") else stated_learning_rate_from(run.meta or {}),
                 early_stopping=_stopped_by(run, metric),
                 lr_phases=annealing, train_lr_phases=train_phases, decay_pace=pace, peak_climb=climb, cycles=cycles,
                 elbo=elbo_facts(run, metric),
                 adversarial=adversarial_facts(run, metric), staircase=run_staircase(run),
                 layer_grads=layer_grad_facts(run.layer_grads(), run.axis),
                 jumps=jumps(y, missed=missed + unseen) if not batch_loss(run.axis_name, metric) else (),
                 missed=missed, train_missed=train_missed, unseen=unseen, train_examples=_train_examples(run.meta or {}),
                 labels_random=(run.meta or {}).get("labels") in ("random", "shuffled"),
                 grad_skipped_at=tuple((run.meta or {}).get("grad_norm_nonfinite_at") or ()),
                 train_acc_step=accuracy_denominator(accuracy_fraction(run.get("train_acc")))
                 if run.has("train_acc") else None,
                 val_beside=run.finite("val_loss") if metric == "train_loss" and run.has("val_loss") else None,
                 noise_floor=stated_noise_floor(run, metric, higher_better),
                 baseline=stated_baseline_loss(run),
                 offset_free=metric in _LOSSES and not higher_better and offset_free(run),
                 label_smoothing=_label_smoothing(run.meta or {}))


#: learned_first: the first validation accuracy within this many binomial standard errors (at its peak, on the
#: examples it counts) of its peak ...
LEARNED_FIRST_SE = 2.0
#: ... and at or above this share right: half a coin's errors or fewer, where even a two-class model has learned (a
#: constant answer scores one class's share, and breast_cancer's 63% is under it).
LEARNED_FIRST_ACC = 0.75
#: ... and its first validation loss under this many nats per wrong answer (loss / (1 - accuracy); right answers cost
#: >= 0): 2x ln 1000, diagnosis._started_thrown's bar. A first value above it is a start thrown far out (unscaled
#: inputs), no stand-in for a fall: torch_imbalanced_prior's cf_sgd_lr0.001, 6.32 at accuracy 0.938, 102 nats a wrong
#: answer, whose spikes read lr_too_high with standardizing first (standardized, it ends 8x lower).
LEARNED_FIRST_PER_WRONG = 2 * math.log(1000)
#: ... and its lowest (a running median of 3) at this share of its first value or above: the log's fall a tail of a
#: level the first check already holds. linear_circles/circles_big, a 64-64 MLP at Adam 1e-2, validation accuracy
#: 0.99 from epoch 0 but its loss 0.073 -> 0.024 (a third of it) in the log, jumps off its best that lr / 10 removes
#: (a tenth of the step ends lower on 3 seeds); the hinge run's 0.119 -> 0.088 keeps 74%.
LEARNED_FIRST_TAIL = 0.5


def _at_peak_from_first(acc: np.ndarray | None, n: int | None) -> bool | None:
    """Whether an accuracy series (≥ 3 finite points) starts at ``LEARNED_FIRST_ACC`` or more and within
    ``LEARNED_FIRST_SE`` binomial standard errors on ``n`` examples (else those its steps show) of its peak, a running
    median of 3; None where it cannot say (too few points, no count)."""
    if acc is None:
        return None
    a = accuracy_fraction(acc)
    a = a[np.isfinite(a)]
    if a.shape[0] < 3:
        return None
    n = n or accuracy_denominator(a) or rounded_denominator(a)
    if not n:
        return None
    m3 = np.array([np.median(a[max(0, i - 1):i + 2]) for i in range(a.shape[0])])
    peak = float(m3.max())
    se = math.sqrt(max(peak * (1 - peak), 1.0 / n) / n)
    return bool(a[0] >= LEARNED_FIRST_ACC and a[0] >= peak - LEARNED_FIRST_SE * se)


def learned_first(run: Run) -> bool:
    """Whether the validation accuracy, and the training accuracy where logged, stood at their peaks from the first
    check on (:func:`_at_peak_from_first`: within ``LEARNED_FIRST_SE`` binomial standard errors, at
    ``LEARNED_FIRST_ACC`` or more), the first validation loss no thrown start (``LEARNED_FIRST_PER_WRONG``) and its
    fall in the log a tail (its lowest ≥ ``LEARNED_FIRST_TAIL`` of it): the model learned what it shows on both sets
    before that check, and the loss's fall after it is a tail, as a late log's is.
    The bounce, spike and jump shares are then measured against that fall plus the first value, which stands in for
    the fall before it (``missed_improvement``). scikit-learn's SGDClassifier (hinge) on standardized breast_cancer at
    eta0 0.01, logged at each epoch's end (tests/fixtures/ecosystem/sklearn_sgd_hinge): validation accuracy 0.959 at
    epoch 0, 0.953-0.965 after (training's 0.990-0.992), the hinge loss 0.119 -> 0.088 after a fall from 1.0 (zero
    weights) the log does not show; its scatter read "bounces around its floor: sd 2.6% of its whole improvement"
    (0.031), lr_too_high, where eta0 / 10 from epoch 22 ended 1.8% and 1.0% higher (seeds 0, 1) and from the start 13%
    and 11% higher. Not where training's accuracy still climbs: a model memorising its training labels has validation
    at its best early and a climb to read against its own fall (stated_noise_floor/keras_bc_p20, 20% of the labels
    flipped: "bounces as it climbs", check the labels)."""
    n_val = (run.meta or {}).get("n_val")
    n = int(n_val) if isinstance(n_val, (int, float)) and n_val > 0 else None
    va = run.get("val_acc")
    if not _at_peak_from_first(va, n):
        return False
    # (Training's examples where its steps show them, else validation's count: a training set is rarely smaller.)
    ta = run.get("train_acc")
    if ta is not None and _at_peak_from_first(ta, accuracy_denominator(accuracy_fraction(ta)) or n
                                              or accuracy_denominator(accuracy_fraction(va))
                                              or rounded_denominator(accuracy_fraction(va))) is False:
        return False
    loss = run.get("val_loss")
    first = loss[np.isfinite(loss)] if loss is not None else np.empty(0)
    a0 = accuracy_fraction(run.get("val_acc"))
    a0 = float(a0[np.isfinite(a0)][0])
    if not first.size or not float(first[0]) < LEARNED_FIRST_PER_WRONG * (1 - a0) or first.shape[0] < 3:
        return False
    low = float(np.min([np.median(first[max(0, i - 1):i + 2]) for i in range(first.shape[0])]))
    return low >= LEARNED_FIRST_TAIL * float(first[0])


#: The run's losses that a value below 0 shows to have no zero point, whichever of them is diagnosed.
_LOSSES = ("train_loss", "val_loss")


def offset_free(run: Run) -> bool:
    """Whether the run's loss (``train_loss``, ``val_loss``; not a metric logged beside it, an MSE) has no zero
    point: a Gaussian NLL or a continuous ELBO, where the target's units add a constant (y measured 10x smaller:
    every value + ln 10), so 0 is no floor and a level's share of its start says nothing. Where the run says so
    (``meta["offset_free"]``: ``--offset-free``, ``offset_free=``), or where a finite value of its training or
    validation loss is below 0 (a loss with a zero point never goes there). A positive Gaussian NLL cannot be told
    apart from a loss bounded by 0: only the flag says it."""
    if (run.meta or {}).get("offset_free") is True:
        return True
    for key in _LOSSES:
        y = run.series.get(key)
        if y is not None and np.any(np.asarray(y, dtype=float) < 0):  # (NaN compares False)
            return True
    return False


def stated_noise_floor(run: Run, metric: str, higher: bool) -> float | None:
    """The data's noise floor the run states (``meta["noise_floor"]``: the lab's target noise variance,
    ``--noise-floor``, ``noise_floor=``), in the loss's units, where ``metric`` is a validation loss it bounds;
    else None. A training loss is not bounded by it: a model that memorises its noise goes below."""
    floor = (run.meta or {}).get("noise_floor")
    if higher or not metric.startswith("val_") or isinstance(floor, bool) or not isinstance(floor, (int, float)):
        return None
    return float(floor) if math.isfinite(floor) and floor > 0 else None


def stated_baseline_loss(run: Run) -> tuple[float, str] | None:
    """``(loss, where from)``: the loss one constant prediction for every input scores, in the run's training and
    validation losses' units, where the run states it (``meta["baseline_loss"]``: ``--baseline-loss``,
    ``baseline_loss=`` in Python or on a callback; where from is ``"stated"`` unless a meta written by other code
    names it in ``meta["baseline_loss_from"]``: nothing in losslens computes the level); else None. A classifier's
    is ln K or the class prior's (``facts.chance``); this is the level a regression states, for MSE the targets'
    variance."""
    meta = run.meta or {}
    level = meta.get("baseline_loss")
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not (math.isfinite(level) and level > 0):
        return None
    return float(level), str(meta.get("baseline_loss_from") or "stated")


def _label_smoothing(meta: dict) -> tuple[float, str] | None:
    """``(ε, where)``: the label smoothing a reader found the losses computed with (``meta["label_smoothing"]``:
    :func:`losslens.readers.huggingface.training_args_beside`), ε in (0, 1); else None."""
    ls = meta.get("label_smoothing")
    eps = ls.get("value") if isinstance(ls, dict) else None
    if not isinstance(eps, (int, float)) or isinstance(eps, bool) or not 0 < eps < 1:
        return None
    return float(eps), str(ls.get("where") or "the log")


def _train_examples(meta: dict) -> tuple[int, str] | None:
    """``(examples, where)``: the training set's size a reader or callback recorded (``meta["train_examples"]``,
    ``meta["train_examples_from"]`` saying where it was read), else None."""
    n = meta.get("train_examples")
    if not isinstance(n, (int, float)) or isinstance(n, bool) or not math.isfinite(n) or n < 1:
        return None
    return int(n), str(meta.get("train_examples_from") or "the log")


def stepwise(axis_name: str) -> bool:
    """An axis read as optimizer steps: ``"step"``, and a booster's ``"round"``, which the step axis carried until
    the readers named it (its readings kept as they were; whether a round's training loss scatters as a batch's
    does is not measured)."""
    return axis_name in ("step", "round")


def batch_loss(axis_name: str, metric: str) -> bool:
    """A training series on a :func:`stepwise` axis, read as a batch's loss (or a few batches' mean) whose spread is
    the batch drawn. True for a booster's rounds too, whose training loss is taken on the whole training set, not
    a batch: the flag kept the readings they had on the step axis, before the readers named rounds, and whether a
    round's loss scatters as a batch's does is not measured."""
    return stepwise(axis_name) and not is_validation(metric)


def _score_top(y: np.ndarray, metric: str) -> float:
    from ..forecasting import score_top  # the ceiling the forecast reads a score below

    return score_top(y, metric)


def _stopped_by(run: Run, metric: str) -> dict | None:
    """``meta["early_stopping"]`` (its ``patience``), where the run says early stopping ended it on ``metric``:
    the series the reader made the default (scikit-learn stops on ``validation_scores_``)."""
    es = run.meta.get("early_stopping")
    if not isinstance(es, dict) or not isinstance(es.get("patience"), int) or es["patience"] < 1:
        return None
    return es if metric == run.meta.get("default_metric") else None


def paired_train(run: Run, metric: str) -> str | None:
    """The training series measured like validation series ``metric``: ``val_mae`` -> ``train_mae``,
    or Keras' bare ``mae`` (History names training metrics without a prefix)."""
    base = metric[len("val_"):] if metric.startswith("val_") else None
    return next((n for n in (f"train_{base}", base) if base and n != metric and run.has(n)), None)


def loss_parts(run: Run, total: str = "val_loss") -> list[tuple[str, str | None]]:
    """The parts of a total loss the run logs, each ``(part, its training twin or None)``, for ``total`` =
    ``val_loss``: the columns a reader summed into it (``meta["loss_parts"]``: YOLO's ``val_box_loss`` ...), else
    each output's own validation loss logged beside it (Keras' ``val_head1_loss`` beside ``val_loss``, their
    weighted sum). Empty for any other series, or where fewer than two parts are logged."""
    if total != "val_loss" or not run.has("val_loss"):
        return []
    summed = (run.meta.get("loss_parts") or {}).get(total)
    names = list(summed) if summed else [k for k in run.series if k != "val_loss" and k.startswith("val_")
                                         and k.endswith("_loss") and run.has(k)]
    return [(k, paired_train(run, k)) for k in names] if len(names) >= 2 else []


def head_losses(run: Run, metric: str) -> tuple[str | None, str] | None:
    """``(validation loss, training loss)`` of the output a per-output validation series belongs to, where the run
    logs that output's training loss beside a total (Keras' ``val_head1_accuracy`` -> ``(val_head1_loss,
    head1_loss)`` under ``loss``; YOLO's ``val_box_loss`` -> ``(val_box_loss, train_box_loss)``); the validation
    loss None where it is not logged; None for the total itself, or a series no output's loss names. The longest
    leading words of the name that name a loss win (``val_a_b_acc``: ``a_b_loss`` before ``a_loss``).
    A two-head Keras model whose classifier overfits from epoch 0 (val_head1_accuracy 0.71 -> 0.64, its
    training accuracy 1.0) while the regression head's MSE, 300x larger, still falls: read beside the total
    training loss, "converged, stop here"."""
    if not metric.startswith("val_") or metric == "val_loss" or not run.has("train_loss"):
        return None
    words = metric[len("val_"):].split("_")
    for i in range(len(words) - 1, 0, -1):
        head = "_".join(words[:i])
        if head in ("train", "val"):
            continue
        train = next((n for n in (f"train_{head}_loss", f"{head}_loss") if n != "train_loss" and run.has(n)), None)
        if train is not None:
            val = f"val_{head}_loss"
            return (val if run.has(val) else None), train
    return None


def _validation_gap(run: Run, metric: str, x, y, sign: float):
    """Generalization facts of a validation series other than val_loss (``y`` already on the
    lower-is-better scale), against its training twin. Without a twin the training loss still
    says whether training went on improving while validation turned; the gap between two
    different measures means nothing, so it is left out."""
    pair = paired_train(run, metric)
    xt, yt = _curve(run, pair or "train_loss")
    if yt is not None and pair:
        yt = sign * yt
    gen = generalization(x, y, xt, yt)
    if gen is not None and pair is None:
        gen.gap_end = gen.gap_at_val_min = None
        gen.gap_growth_range = 0.0
    return gen, (pair or "train_loss") if yt is not None else None


def same_quantity(run: Run) -> bool:
    """Whether ``train_loss`` and ``val_loss`` measure one quantity: both logged as a loss, or both under one
    name of what they measure (``train_rmse`` and ``val_rmse``), by ``meta["loss_quantity"]``
    (:func:`losslens.columns.spelt_as`). A Lightning module logging train_loss (MSE + BCE) and only val_rmse, read
    as val_loss, read "generalization gap grew from -0.713 to 0.81" between the two."""
    quantity = run.meta.get("loss_quantity") or {}
    return quantity.get("train_loss", "loss") == quantity.get("val_loss", "loss")


def _no_gap(gen) -> None:
    """Leave out of ``gen`` what compares validation's level with training's (the gap, its growth, validation
    below training, their ratio): two different quantities have no gap. Training's own trend after validation's
    best stays."""
    gen.gap_end = gen.gap_at_val_min = None
    gen.gap_growth_range = 0.0
    gen.val_below_share = 0.0
    gen.val_train_ratio_end = None


#: A metric is a score (higher is better) when its name holds one of these (anywhere) ...
SCORE_PARTS = ("acc", "map", "f1", "precision", "recall", "auc", "bleu", "rouge", "iou")
#: ... or has a word that starts with one of these ("r2_score", "val_dice_coef", "hits@10"), or is
#: one of the short ones (Stable-Baselines' "ep_rew_mean") ...
SCORE_WORDS = ("r2", "dice", "reward", "return", "score", "ssim", "psnr", "ndcg", "kappa", "jaccard", "corr",
               "pearson", "spearman", "top1", "top5", "meteor", "hits", "exact", "auroc", "auprc", "elbo",
               "likelihood", "loglik", "logprob", "fitness", "success", "explained")
#: (Ultralytics' fitness, an RL agent's success_rate and win_rate, SQuAD's exact match "em", scikit-learn's
#: explained_variance and average precision "ap": each read as a loss, a rising val_ap as "overfitting X=0".)
SCORE_SHORT = ("rew", "hit", "mrr", "mcc", "ap", "em", "win", "wins")
#: ... of which these are log-likelihoods (and bounds on one): no ceiling at 1, so no "1 - score" error
#: (forecasting.score_top).
LIKELIHOOD_WORDS = ("likelihood", "loglik", "logprob", "elbo")
#: ... and a loss when it has a word that starts with one of these or is one of the short ones,
#: whatever else it holds ("top1_err", "fid_score").
LOSS_WORDS = ("loss", "error", "mse", "mae", "rmse", "nll", "perplexity", "cost", "distance", "regret")
LOSS_SHORT = ("err", "ppl", "wer", "cer", "fid", "bpd", "bpc", "bpb", "kl", "kld")
# the words after scikit-learn's neg_, and the short names users give its scorers ("neg_mse" for
# neg_mean_squared_error: the docs write -neg_mse)
_NEGATED = ("log", "mean", "root", "median", "max", "brier", "mse", "rmse", "mae", "msle")


def metric_direction(metric: str) -> bool | None:
    """True for a score (higher is better), False for a loss, None when the name does not say."""
    m = str(metric).lower()
    words = [w for w in re.split(r"[^a-z0-9]+", m) if w]
    # scikit-learn's scorers negate their losses: neg_log_loss, neg_mean_squared_error ... rise
    # ("Negative log loss" in its displays; a "negative_sampling_loss" stays a loss).
    if any(w in ("neg", "negative") and nxt in _NEGATED for w, nxt in zip(words, words[1:])):
        # ... unless what is negated is itself a score: a negative log-likelihood is a loss.
        return not any(w.startswith(("likelihood", "elbo")) for w in words)
    # ("neg_loglik", "negative_logprob": a negated log-likelihood, the loss it is.)
    if any(w in ("neg", "negative") and nxt.startswith(LIKELIHOOD_WORDS) for w, nxt in zip(words, words[1:])):
        return False
    if "loss" in m or any(w.startswith(LOSS_WORDS) or w in LOSS_SHORT for w in words):
        return False
    if any(k in m for k in SCORE_PARTS) or any(w.startswith(SCORE_WORDS) or w in SCORE_SHORT for w in words):
        return True
    return None
