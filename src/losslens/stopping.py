"""A forecast-based stopping rule: stop when going on is forecast to gain less than ``min_gain``.

Patience rules (Keras ``EarlyStopping``, Prechelt 1998's GL / PQ / UP criteria) wait for
the validation curve to stop improving, then train ``patience`` more epochs to be sure.
:class:`ForecastStopping` asks the question directly: given the curve so far, how much
lower will the metric be at the horizon (the planned last epoch)? When the forecast
fractional improvement (:attr:`losslens.forecasting.Forecast.gain`) stays below
``min_gain`` for ``patience`` consecutive checks, it says stop. A curve forecast to rise
(overfitting validation) has a negative gain and stops at once.

With a planned horizon, no decision is taken before 10% of the way to it
(``min_fraction=0.1``): the forecast's interval is calibrated for horizons up to 10x the
logged length (the benchmark's "given 10%" case), and further out it is an unchecked
extrapolation. On the benchmark's held-out half that guard cut the 90th-percentile regret
from 9.7% to 6.3% and the median regret from 0.95% to 0.87%, for 21% instead of 24% fewer
epochs than Keras ``EarlyStopping(patience=10)`` (on all DeepOBS curves the p90 regret fell
from 56.6% to 21.9%: those were runs stopped after 5 of 100-350 epochs). No rule reaches
30% fewer epochs at <= 1% regret there: one that knew the future and stopped every curve at
its first point within 1% of its best would save 12% (benchmarks/results/stopping.md).

The forecast must beat the best of the running median of 3 (``against="smoothed"``), not the raw
best: a raw best is often one lucky epoch the next one undoes, several noise sds below the trend
that the forecast extrapolates, and weighed against it a curve still falling 2% an epoch through
10% noise was stopped at the next noisy epoch (a Keras CNN on digits: epoch 35 at 0.0736, where
training on reached 0.0570; tests/fixtures/ecosystem/keras_cnn_spike). On all 2,515 benchmark
curves the smoothed reference saves 18% of epochs against patience 10 at 0.60% median and 4.3%
p90 regret (mean 19%), the raw best 21% at 0.85% and 5.8% (mean 44%); checked at every point, as
the callbacks do, 20% at 0.67% and 5.6% against 22% at 0.91% and 7.7%.

No stop is decided on a forecast decline before the curve has got better than its start by 3 noise sds
(``min_progress=3``; start: the median of its first 3 points; noise: from second differences): a fit to a curve with
no trend yet carries a dip or a swing to the horizon and has nothing to say about a take-off to come. Before that only
a curve forecast to stay where it is (within ``min_gain`` of its own level: stuck, as a network knocked to a constant
prediction is) is stopped. Scores met this first: a YOLOv8 run's mAP50-95 swinging 0.31 0.53 0.27 0.20 in its first
epochs was stopped at epoch 5, 29% short of the 0.74 it reached (tests/fixtures/ecosystem/yolo_map_late), a Lightning
GAN's sample-quality share at epoch 9 on a dip to 0.0095, before it climbed from 0.02 to 0.6 (lightning_gan); Keras
patience 10 stopped neither. With the guard (``min_progress`` chosen on the benchmark's training half), on the
809 score curves (``--scores``) the rule uses 16% fewer epochs than patience 10 at 0.76% median and 5.0% p90 regret,
against 20%, 0.77% and 6.2% without it (held-out half 15%, 0.74%, 4.7% against 19%, 0.78%, 5.7%; YOLO's p90 50.2% ->
22.6%, patience 10's 38.4%); on the 2,515 losses 17% at 0.59% and 3.9% against 18% at 0.60% and 4.3% (3.8% with the
stuck stop's evidence below).
Those score figures weighed a score's gain on the score itself; an accuracy's gain is now weighed on its error, 1 - acc,
as the forecast reads it (a Keras digits MLP monitored on val_accuracy was stopped at 0.918 of the 0.971 it reached):
2% fewer epochs than patience 10 at 0.37% median and 4.0% p90 regret (benchmarks/results/stopping_scores.md).
A noisy score with no trend yet can be forecast flat, and read as stuck it was stopped: the same GAN at seeds 1 and 3
(lightning_gan/balanced_seed{1,3}_data) at epochs 10 and 11, and at seed 3 with seed 0's data (balanced_seed3) at 7,
before hq climbed from ~0.02 to ~0.6 (patience 10: 11, 18 and 13, the same loss). A flat forecast is taken as stuck at
once only where the curve's noise is under 10% of its level (``stuck_noise``: a network knocked to a constant
prediction repeats one value), a noisier curve only from 15 finite points on (``stuck_points``): seed 1 now runs to
the end, seed 3 on seed 0's data to epoch 58, neither short of its best. On the 809 scores no stop moved; on the 2,515
losses 8 moved later, 7 of them short Keras runs (two stopped at their 6th epoch 15% and 20% short are not now), for
0.1 point of the epochs saved and a lower p90 regret (the settings chosen on the training halves: noise 0.05-0.3 of
the level and 12-25 points tried; from 20 points on the scores' savings fall by 0.1-0.3 points). Not solved: seed 3
with its own data, whose hq bumps from 0.012 to 0.036 for 3 epochs, passes the progress guard on it at epoch 11, and
the forecast of its fall back to 0.02 stops it (94% short; requiring the level to stay 2-3 noise sds beyond the start,
or the best of a running median of 5, only moves the stop to 15-18 and costs the scores 0.5-1.2 points of savings);
and yolo_map_late, which holds 0.65-0.68 from its take-off at epoch 13 to 21, where it first passes the guard and its
flat forecast stops it, 7.5% short of the 0.736 it reaches at 40 (patience 10 does not stop it; a stop on a decline
only after the guard held 3 checks reaches 0.73 there but costs the scores 10 points of savings).

A forecast that misses how fast the curve falls now is not stopped on: where the slope of the last 5 points is steeper
than the fitted curve's over them by more than 3 of its noise sds, and that missed fall over those points (or to the
horizon, if nearer) exceeds ``min_gain`` of the level (:meth:`ForecastStopping._misses_the_fall`). A fit that is all
knee does that: a Keras regression's val_RMSE (``metrics=[RootMeanSquaredError()]``) falling 1.74 -> 0.36 in 4 epochs,
then a steady 0.01 an epoch, was forecast flat at epoch 9 of 80 (a Weibull fit to the knee, 0.0% to come) and stopped
with ``stop_gain=0.02`` at 0.3173, where training on reached 0.094; its val_loss, the same curve squared, was forecast
flat at 16 (0.063, reaching 0.0089), a stop the Watcher held only because val_RMSE, also logged, still fell. On the
2,515 benchmark losses (every stop decided as the benchmark does) 91 of the default rule's stops moved, all later,
none to a higher regret (84 lower): 16.6% -> 16.1% fewer epochs than patience 10, median regret 0.59% as before, p90
3.84% -> 3.69%, mean 8.97% -> 6.88% (a Keras NLP run stopped at its 6th epoch with 50x its best runs on); with
``min_gain=0.02`` 15 moved, 24.4% -> 24.2%, p90 5.69% -> 5.53%. Of the 809 scores 2 moved, both later, neither to a
higher regret. This was the second form tried: the first, with no fit (the median of the last 3 points more than
``min_gain`` and 3 noise sds below that of the 3 before them), moved 1,037 of the 2,515 stops, nearly all
modded-nanogpt runs 1-2 evaluations from their end, for 16.6% -> 10.6% of epochs saved. The window (5 points) and
the 3 sds were not varied.

That check counts the missed fall over its 5 points only, and a fit that misses a slow, steady fall passes it: a
Friedman1 MLP at SGD(0.002), 200 epochs planned, its val MSE falling a steady 0.0006 an epoch (t = -37) to the end, was
forecast "0.6% to come" and stopped at epoch 96 (seeds 0-2 live: 96, 80, 64), 21-23% above the 0.227 training on
reached; the fit missed 0.00046 an epoch of the fall, 0.66% of the level over 4 epochs, 17% carried to epoch 199. Now
no stop is decided either where, over the last 10 points, the curve falls and falls faster than the fit (each slope
more than 3 of its standard errors, from the scatter about the line, from 0) and the part of the fall the fit misses,
carried to the horizon, exceeds ``min_gain`` of the level (:meth:`ForecastStopping._misses_a_steady_fall`; weighed at a
negative gain too: a fit lagging such a curve forecasts it above its best). The Friedman run now stops at epoch 192
(1.3% short). On the 2,515 benchmark losses 123 of the default rule's stops moved, all later, 110 to a lower regret,
none to a higher: 14.9% -> 13.5% fewer epochs than patience 10, median regret 0.58% as before, p90 3.16% -> 2.29%,
mean 2.66% -> 2.20% (training half 14.3% -> 12.7%, p90 2.90% -> 1.99%; held-out 15.5% -> 14.3%, 0.58%, 3.39% ->
2.57%). Tried on the training half: the missed fall carried over the window's own length (9 points) instead, 13.8%
at p90 2.57%, and half the way to the horizon, 13.2% at 2.36%. Of the 809 scores 32 stops moved, all later, none to
a higher regret (p90 3.6% -> 3.0%). The window (10 points) and the 3 standard errors were not varied.

No stop is decided on one noisy evaluation alone (``confirm_rise=0.5``): where the last evaluation rose above the one
before it by more than half a noise sd, the stop must also be decided on the curve without it. The fit weighs the
latest points most, so one evaluation up pulls its tail (and the forecast at the horizon) up with it: a Lightning MLP on
digits at SGD(0.3) (tests/test_integrations_core.py's DIGITS_SGD_VAL) rose 0.1653 -> 0.1898 at epoch 19 (1.05 noise
sds), the forecast for epoch 39 went from 0.1497 (13% to come) to 0.1756, and stop_gain=0.01 stopped the run there, 20%
short of the 0.1373 it reached; it now passes that rise and the next (25) and stops at 28, 6% short. This is a
jackknife of the last point, not patience 2: a stop at an evaluation that did not rise is taken at once, and one that
did is taken at once where the curve without it already says stop (an overfitting curve's steady climb). On the 2,515
benchmark losses (training half; the settings were chosen there) it saves 14.3% of epochs against patience 10 instead of
15.7%, median regret 0.58% as before, p90 2.90% instead of 3.47%; held-out half 15.5% instead of 16.5%, 0.58% against
0.61%, p90 3.39% against 3.84% (mean 2.85% against 10.8%). Stops at a local spike (a point above both neighbours, by
more than 1 noise sd above their mean) fell from 155 to 89. Tried on the training half: a rise of 1 sd (14.9%, p90
3.09%: it passes the digits run's rise at 25, 0.64 sd, and stops there 9% short), and rises of 0, 0.5 and 1 sd above
the median of the 3 evaluations before (14.1%, 14.3%, 15.0%; at 1 sd the digits run still stops at 19, its bumpy
stretch before the rise setting that median high). On the 809 scores (``--scores``) it costs more: 2% fewer epochs
than patience 10 -> 1% more, median regret 0.37% -> 0.32%, p90 4.0% -> 3.6% (Keras val_acc 27% -> 20% saved, YOLO's
p90 22.5% -> 16.7%).

Given the lr (``update(epoch, value, lr)``: ``losslens watch`` and ``forecast --stop-gain`` pass it; the callbacks hold a
stop while their lr schedule runs instead, and would wait ``cut_points`` more epochs after its last cut), the
forecast is the one ``losslens forecast`` gives on the same points (:func:`losslens.forecasting.fit_series`: fitted from
the lr's last cut); blind to the lr, the rule fitted across a ReduceLROnPlateau cut, and ``watch`` showed 0.2844 beside
the rule's 0.2434 (tests/fixtures/logs/keras_rlrop.csv at epoch 20). Within ``cut_points=10`` points of a cut no stop is
decided: the forecast then holds the level since the cut (< 5 points) or keeps its fit above the lowest point since it
(5-9), which reads as "no gain" on any curve. Deciding on it at once stopped Keras noise-floor runs 2.5% and 4.8% short of
their best (tests/fixtures/ecosystem/keras_rlrop_noise_floor); on the 16 fixture logs with an lr cut, 45% of the epochs
were used without the lr, 23% deciding at once (median regret 0% -> 1.9%), 33% waiting 5 points (0.39%), 51% waiting 10
(every run's regret as without the lr). The benchmark's curves log no lr: its figures above are unchanged.

The class is pure (no framework): the losslens callbacks run it with ``stop_gain=`` (the
horizon taken from the trainer's planned epochs, see ``integrations/_core.Watcher``), any other
loop can feed it ``update(epoch, value)`` and act on the returned bool, and ``losslens forecast
LOG --stop-gain 0.01`` replays it over a finished log. Benchmark: ``benchmarks/stopping_eval.py``.
"""

from __future__ import annotations

import math

import numpy as np

from .exceptions import UsageError, UsageTypeError, check_number

__all__ = ["ForecastStopping"]

#: A window of :meth:`ForecastStopping._misses_the_fall` opens on the end of a drop (a knee) where its first fall is over
#: this many times any later step: there the fit bends with the drop and the drop inflates the noise. Set in 83cff0f
#: on a torch Linear(1, 1) at Adam(0.01) (falls 0.025, 0.0046, 0.0033, 0.0032 an epoch: 5.4x), stopped at epoch 6
#: (0.0339), where it went on to 0.0094. Not varied: none of the 2,515 benchmark losses' stops moved with the rule.
KNEE_RATIO = 3.0


class ForecastStopping:
    """Stop when the forecast gain of training on to ``horizon`` is below ``min_gain``.

    Parameters
    ----------
    min_gain : float, default 0.01
        Smallest fractional improvement worth training for: 0.01 = 1% lower than the
        current (smoothed) level by the horizon.
    horizon : float or None
        Axis value (epoch/step) training would otherwise run to, e.g. ``epochs - 1`` of
        ``model.fit``. None: twice the length seen so far (re-evaluated at each check).
    min_points : int, default 5
        No decision before this many finite values.
    patience : int, default 1
        Consecutive checks with gain < ``min_gain`` needed to stop. 1 gave the best
        epochs-saved / regret trade-off on the benchmark (best weights restored); raise it
        to 2 to be safer on noisy curves (fewer epochs saved, less regret).
    max_p : float or None, default None
        None: stop on the median forecast (gain < ``min_gain``). A probability: stop only
        when P(the trend at the horizon is more than ``min_gain`` below the reference) <
        ``max_p`` -- more cautious where the forecast is uncertain (few points, far horizon).
    min_fraction : float, default 0.1
        With a ``horizon``, no decision before this fraction of the way from the first
        epoch to the horizon. 0.1 keeps the forecast within the horizon ratio (10x the
        logged length) its interval was calibrated for; 0 lets it decide from
        ``min_points`` values (more epochs saved, a much heavier regret tail).
    check_every : int, default 1
        Forecast every ``check_every`` updates (a forecast costs a few milliseconds).
    against : ``"smoothed"``, ``"best"`` or ``"level"``, default ``"smoothed"``
        What the forecast at the horizon must beat by ``min_gain``: the best of the running
        median of 3 (the last point counted no lower than the forecast's level there, since no
        later epoch has confirmed it yet), so that one lucky epoch does not set the bar; the raw
        best value seen so far (the default before: more epochs saved, a heavier regret tail);
        or the current smoothed level (the fewest stops).
    mode : ``"min"`` or ``"max"``
        ``"max"`` for a metric where higher is better (accuracy): forecast its error, ``top - value``
        (:attr:`top`), and weigh the gain on it, as ``losslens forecast`` reads a score; a score still
        below half its ceiling (the median of its last 3 values) as ``-value``, its own gain.
    metric : str or None
        The monitored series' name, for the ceiling of a ``"max"`` score (an RL reward has none).
    min_progress : float, default 3.0
        Noise sds (second differences' robust sd) by which the curve must have got better than its start (the
        median of its first 3 points; the best: the lowest running median of 3) before a forecast decline stops
        it; until then it stops only when forecast to stay within ``min_gain`` of its current level (stuck).
        0: no such guard (the default before).
    stuck_noise : float, default 0.1
        Before that progress, a curve forecast flat is stopped as stuck at once only where its noise sd is below
        this fraction of its level; ...
    stuck_points : int, default 15
        ... a noisier one only from this many finite values on. ``stuck_points=0``: every flat forecast before
        progress is read as stuck (the default before). Both chosen on the benchmarks' training halves (noise
        0.05-0.3 of the level and 12-25 points tried): no score's stop moved, 8 losses' stops moved later.

    confirm_rise : float or None, default 0.5
        A stop decided at an evaluation that rose above the one before it by more than this many noise sds must also be
        decided on the curve without that evaluation: one noisy evaluation, which pulls the fit's tail up, does not
        stop a run. None: no such check (the default before). Chosen on the benchmark's training half (0.5 and 1
        tried, and 0, 0.5 and 1 sds above the median of the 3 evaluations before).

    noise_floor : float or None
        The data's noise floor in the loss's units where the run states it (``meta["noise_floor"]``, ``--noise-floor``;
        ``"min"`` mode only): each forecast is held at it as ``losslens forecast``'s is
        (:func:`losslens.forecasting.fit_series`), so the replay stops on the forecast it prints. None: no floor.
    offset_free : bool, default False
        The loss has no zero point (a Gaussian NLL: measuring the target in other units adds a constant; ``"min"``
        mode only), as ``--offset-free`` says: the forecast is not held above 0, and ``min_gain`` is a share of the
        curve's improvement so far (its highest point less its level now), not of its best value, which such a
        constant moves at will.
    cut_points : int, default 10
        Where :meth:`update` is given the lr: no stop is decided on fewer than this many points since the lr's last cut
        (ReduceLROnPlateau, StepLR), where the forecast holds the level since the cut (< 5 points) or keeps its fit
        from going below the lowest point since it (5-9): those say where the curve sits, not whether it still falls
        at the new rate. 0: no such wait. Without the lr, no effect.

    Attributes
    ----------
    stopped_epoch : float or None
        Epoch at which :meth:`update` first returned True.
    best_epoch, best_value : the best value seen and where (restore those weights).
    forecast : the last :class:`~losslens.forecasting.Forecast` computed (lower is better: a ``"max"`` score's error),
        or None. Fitted as ``losslens forecast`` fits the same points (from the lr's last cut, where ``update`` was
        given the lr); :attr:`metric_forecast` is it on the metric's own scale, as that command shows it.
    decided_gain : float or None
        The fractional improvement the last check weighed against ``min_gain``: the forecast at
        the horizon against ``against``'s reference (``forecast.gain`` is against the smoothed
        level, which a bouncing curve puts far above its best). For a ``"max"`` score, its error's.
    waiting : str or None
        Why the last check did not stop where its gain was below ``min_gain``: too few points since the lr's last cut
        (``cut_points``), else None.
    top : float
        A ``"max"`` score's ceiling at the last check (:func:`losslens.forecasting.score_top` of the values so
        far: 1 for an accuracy, 100 for a percentage; 0, ``-value``, where none is known or the score is still
        below half of it); :attr:`forecast` is of ``top - value``. 0 for ``"min"``.
    """

    def __init__(self, min_gain: float = 0.01, horizon: float | None = None, *, min_points: int = 5,
                 patience: int = 1, max_p: float | None = None, min_fraction: float = 0.1,
                 check_every: int = 1, against: str = "smoothed", mode: str = "min",
                 min_progress: float = 3.0, stuck_noise: float = 0.1, stuck_points: int = 15,
                 metric: str | None = None, confirm_rise: float | None = 0.5, cut_points: int = 10,
                 noise_floor: float | None = None, offset_free: bool = False):
        self.min_gain = min_gain
        self.noise_floor = noise_floor
        self.offset_free = bool(offset_free)
        self.cut_points = cut_points
        self.confirm_rise = confirm_rise
        self.metric = metric
        self.min_progress = min_progress
        self.stuck_noise = stuck_noise
        self.stuck_points = stuck_points
        self.horizon = horizon
        self.min_points = min_points
        self.patience = patience
        self.check_every = check_every
        self.min_fraction = min_fraction
        self.max_p = max_p
        self.against = against
        self.mode = mode
        self.reset()

    def reset(self) -> None:
        """Forget the curve (call at the start of training)."""
        if self.mode not in ("min", "max"):
            raise UsageError(f"mode must be 'min' or 'max', got {self.mode!r}")
        if self.against not in ("best", "smoothed", "level"):
            raise UsageError(f"against must be 'best', 'smoothed' or 'level', got {self.against!r}")
        least = {"min_gain": 0, "min_progress": 0, "stuck_noise": 0, "stuck_points": 0, "cut_points": 0}
        for key in ("min_gain", "horizon", "min_points", "patience", "max_p", "min_fraction", "check_every",
                    "min_progress", "stuck_noise", "stuck_points", "confirm_rise", "cut_points"):
            value = getattr(self, key, None)
            # (min_gain="0.01" ended in a TypeError comparing it; horizon="x" was kept, to fail at the first check)
            if value is not None:
                check_number(key, value, minimum=least.get(key), allow_inf=True,
                             note="noise sds" if key == "min_progress" else "")
        self._x: list[float] = []
        self._y: list[float] = []
        self._lr_axis: list[float] = []  # every update's epoch and lr (NaN: none given), for the lr's last cut
        self._lr: list[float] = []
        self._shown = None
        self._updates = 0
        self._low = 0
        self.stopped_epoch = None
        self.best_epoch = None
        self.best_value = None
        self.forecast = None
        self.decided_gain = None
        self.waiting = None
        self.top = 0.0

    def resume(self) -> None:
        """Take back a stop the caller did not act on (an lr schedule will still lower the lr):
        the curve is kept, and the next checks decide afresh."""
        self.stopped_epoch = None
        self._low = 0

    def update(self, epoch: float, value: float, lr: float | None = None) -> bool:
        """Record ``value`` at ``epoch``; return True when training should stop.

        Non-finite values and None (not logged this epoch) are ignored (a NaN is a divergence, which other rules
        catch). Once True, it stays True. ``lr``: the learning rate logged at ``epoch``, where known: after a cut
        (ReduceLROnPlateau, StepLR) the curve is forecast from the cut, as ``losslens forecast`` forecasts it
        (:func:`losslens.forecasting.fit_series`).
        """
        if self.stopped_epoch is not None:
            return True
        if not self.record(epoch, value, lr):
            return False
        if len(self._y) < self.min_points or (self._updates - self.min_points) % max(1, self.check_every):
            return False
        horizon = self.horizon
        if horizon is not None and horizon <= self._x[-1]:
            return False  # at or past the planned end: nothing left to decide
        if horizon is not None and self._x[-1] - self._x[0] < self.min_fraction * (horizon - self._x[0]):
            return False
        x, y = np.asarray(self._x), np.asarray(self._y)
        if self.mode == "max":
            # A score's gain is its error's (1 - acc), as the forecast reports it: weighed against the accuracy
            # itself, a Keras MLP on digits at 0.926 was forecast '0.4% to come' and stopped; it reached 0.952,
            # 35% less error. A score still below half its ceiling is weighed against itself, as before: its
            # error's fall is then a small share of the error (a GAN's share of good samples, hq, scattered about
            # 0.02 for 20 epochs before it climbed to 0.6, was stopped on an error forecast 0.3% lower).
            from .forecasting import score_top

            top = score_top(-y, self.metric)
            now = -float(np.median(y[-3:]))
            self.top = top if top - now < now else 0.0
            y = y + self.top
        low, self.decided_gain, self.forecast, self.waiting = self._decide(x, y, horizon)
        self._fitted = len(y)  # (the points that forecast saw: metric_forecast reads the same)
        if low and self.confirm_rise is not None and len(y) > self.min_points and self._unconfirmed_rise(y):
            # The stop rests on an evaluation above the curve's recent level, which no later one has confirmed: it
            # must be decided on the curve without it as well (see confirm_rise); waiting stays the last point's.
            low = self._decide(x[:-1], y[:-1], horizon)[0]
        self._low = self._low + 1 if low else 0
        if self._low >= self.patience:
            self.stopped_epoch = float(epoch)
            return True
        return False

    def record(self, epoch: float, value: float, lr: float | None = None) -> bool:
        """Record ``value`` at ``epoch`` as :meth:`update` does, with no check (no forecast, no stop): the points of a
        log read at once but its last (``losslens watch`` on a log 2,000 epochs long forecast at each of them for a
        26 s of CPU before its first view). True where the value was kept (a finite number)."""
        self._updates += 1
        try:
            rate = math.nan if lr is None else float(lr)
        except (TypeError, ValueError):
            raise UsageTypeError(f"update(epoch, value, lr): lr={lr!r} is no number") from None
        self._lr_axis.append(float(epoch))
        self._lr.append(rate)
        if value is None:
            return False
        try:
            value = float(value)  # (a 0-d tensor or array too)
        except (TypeError, ValueError):
            raise UsageTypeError(f"update(epoch, value): value={value!r} is no number") from None
        if not math.isfinite(value):
            return False
        v = value if self.mode == "min" else -value
        self._x.append(float(epoch))
        self._y.append(v)
        if self.best_value is None or v < (self.best_value if self.mode == "min" else -self.best_value):
            self.best_value, self.best_epoch = value, float(epoch)
        return True

    def _decide(self, x: np.ndarray, y: np.ndarray, horizon: float | None):
        """One check's decision on the curve ``x``, ``y`` (shape (n,), lower is better): (low, the gain weighed,
        the forecast, why a stop waits or None: :attr:`waiting`)."""
        from .facts.smoothing import difference_noise, median3

        # The running median of 3 and the noise sd, once per check: the progress guard, the reference, the stuck
        # test and the missed-fall test read them off the same points.
        m3 = median3(y)
        noise = difference_noise(y)
        progressed = self._progressed(y, m3, noise)
        cut = self._cut(x)  # (once a check: the fit starts there, and the wait after it counts from it)
        fc = self._fit(x, y, horizon, cut)
        ref = self._reference(y, fc, m3)
        # (Offset-free: a share of the improvement so far, as the forecast's own gain is; |ref| is the constant's.)
        unit = self._unit(fc, ref)
        gain = (ref - fc.value) / unit
        if fc.reason:
            # No forecast (a fit that misses where the curve is now: too few points, or a blow-up and its
            # recovery): its value is the last point, a guess that would read as "no gain"; a stop is not
            # decided on it.
            low = False
        elif self.max_p is None or fc.p_improve is None:
            low = gain < self.min_gain
        else:
            low = fc.prob_below(ref - self.min_gain * unit) < self.max_p
        if not progressed and not fc.reason:
            # Not yet beyond its noise from its start: a forecast decline (or rise) carries a dip or a swing, not a
            # trend, and says nothing of a take-off to come; only a curve forecast to stay where it is (stuck: a
            # network knocked to a constant prediction) is stopped, weighed against its own level (offset-free: against
            # its improvement so far, as the gain above: its level is the units' constant).
            gain = (fc.level - fc.value) / self._unit(fc, fc.level)
            low = abs(gain) < self.min_gain and self._stuck_evidence(fc.level, noise)
        if low and ((gain >= 0 and self._misses_the_fall(x, y, fc, noise)) or self._misses_a_steady_fall(x, y, fc)):
            # (A steady fall is weighed at a negative gain too: a fit lagging a curve that still falls steadily
            # forecasts it above its best, which reads as a rise; an overfitting curve does not fall.)
            low = False
        since = cut[0]
        k = math.inf if since is None else int(np.sum(x >= since))  # (points since the cut)
        waiting = None
        if low and k < self.cut_points:
            # Few points since an lr cut: the forecast holds the level since it, or keeps the fit from going below the
            # lowest point since it (a curve right after a cut drops, then flattens): it says where the curve sits,
            # not whether it still falls at the new rate, and held flat it reads as stuck. A stop waits.
            low = False
            waiting = (f"only {k} point(s) since the lr was cut at {since:g}: the rule waits for {self.cut_points} "
                       "at the new rate")
        return low, gain, fc, waiting

    def _cut(self, x: np.ndarray) -> tuple[float | None, float | None]:
        """``(where, ratio)``: the lr's last cut up to ``x[-1]`` (``x``: the curve's axis values, shape (n,)) among the
        lrs given to :meth:`update` (:func:`losslens.forecasting.lr_cut`); ``(None, None)`` without one (no lr
        given, or no cut)."""
        from .forecasting import lr_cut

        axis, lr = np.asarray(self._lr_axis), np.asarray(self._lr)
        keep = axis <= x[-1]
        if not np.isfinite(lr[keep]).any():
            return None, None
        return lr_cut(axis[keep], lr[keep])

    def _fit(self, x: np.ndarray, y: np.ndarray, horizon: float | None, cut: tuple[float | None, float | None]):
        """The forecast of the curve ``x``, ``y`` (shape (n,), lower is better) to ``horizon``, through the fit
        ``losslens forecast`` uses (:func:`losslens.forecasting.fit_series`): from the lr's last cut up to ``x[-1]``
        (``cut``: :meth:`_cut` of ``x``), read as a training loss's where :attr:`metric` names one."""
        from .forecasting import fit_series, training_loss

        training = self.metric is not None and training_loss(self.metric, self.mode == "max")
        return fit_series(x, y, horizon, metric=self.metric or "value", training=training, cut=cut,
                          noise_floor=None if self.mode == "max" else self.noise_floor,
                          offset_free=self.offset_free and self.mode != "max")

    @property
    def metric_forecast(self):
        """:attr:`forecast` on the monitored metric's own scale, as ``losslens forecast`` gives it on the same points
        (value, 90% interval, ``uncertain``, ``note``), or None before the first check. For a ``"max"`` score: the
        forecast of its error ``top - value`` (:func:`~losslens.forecasting.score_top`) on the score's scale, kept
        above its floor and flagged uncertain on that scale (:func:`~losslens.forecasting.on_score_scale`), where
        the rule's own forecast read the error and a Keras val_accuracy's interval ran below 0; a score weighed
        against itself (below half its ceiling, :attr:`top` 0) is fitted again on its error for this."""
        fc = self.forecast
        if fc is None or self.mode == "min":
            return fc
        if self._shown is not None and self._shown[0] is fc:
            return self._shown[1]
        from .forecasting import on_score_scale, score_top

        x, y = np.asarray(self._x[:self._fitted]), -np.asarray(self._y[:self._fitted])  # (the scores, as logged)
        top = score_top(y, self.metric)
        fit = fc if top == self.top else self._fit(x, top - y, fc.horizon, self._cut(x))
        shown = on_score_scale(fit, y, top)
        self._shown = (fc, shown)
        return shown

    def _unconfirmed_rise(self, y: np.ndarray) -> bool:
        """Did the last evaluation rise above the one before it by more than ``confirm_rise`` noise sds (second
        differences' robust sd)? ``y``: the curve so far, shape (n,), lower is better."""
        from .facts.smoothing import difference_noise

        return float(y[-1] - y[-2]) > self.confirm_rise * difference_noise(y)

    def _progressed(self, y: np.ndarray, m3: np.ndarray, noise: float) -> bool:
        """Has the curve got better than its start by more than ``min_progress`` noise sds? The start is the median of
        the first 3 points (one wild first epoch does not set it), the best the lowest running median of 3 among
        points with a neighbour on each side (``m3``: ``median3(y)``), the noise sd from second differences (blind to
        the trend: ``noise``, in ``y``'s units). ``y``: the curve so far, shape (n,), lower is better."""
        if not self.min_progress:
            return True
        start = float(np.median(y[:3]))
        best = float(np.min(m3[1:-1]))
        return start - best > self.min_progress * noise

    def _misses_the_fall(self, x: np.ndarray, y: np.ndarray, fc, noise: float) -> bool:
        """Does the forecast miss how fast the curve falls now? Yes where the least-squares slope of its last 5 points
        is steeper than the fitted curve's slope over them by more than 3 of that slope's noise sds, and the missed
        fall over that stretch (or to the horizon, if nearer) is more than ``min_gain`` of the level (offset-free: of
        the improvement so far, :meth:`_unit`): the forecast's flat tail is then a fit to an early knee, not to where the curve is going, and its gain says nothing. A
        regression's val_RMSE falling 1.74 -> 0.36 in 4 epochs, then a steady 0.01 an epoch, was forecast flat at
        epoch 9 of 80 by a Weibull fit to the knee (its last 4 points 0.3513 ... 0.3173, the fit's 0.3288 ... 0.3216)
        and stopped there, where training on reached 0.094. A window that opens on the end of a drop is weighed past
        it (below). ``x``, ``y``: the curve so far, shape (n,), lower is better; ``noise``: second differences'
        robust sd in ``y``'s units."""
        k = 5
        if fc._model is None or y.shape[0] < k:
            return False
        steps = -np.diff(y[-k:])  # (falls between the window's points, oldest first)
        if not steps[1:].any():
            # A tail exactly flat (an lr of 0: a Keras val_loss repeating to the last digit) falls no more: no fall
            # to miss. Read as a knee, its noise was 0 and any fit rising over it would have held the stop.
            return False
        if steps[0] > KNEE_RATIO * float(np.max(np.abs(steps[1:]))):
            # The window opens on the end of a drop (its first fall over 3 times any later step: a knee): the fit
            # bends with that drop, steeper than the tail over the points next to it, and the drop inflates the
            # curve's noise (second differences across it). The noise is taken from the 4 points after the drop,
            # the slopes from the last 3, where the fit has levelled. A torch Linear(1, 1) at Adam(0.01) fell
            # 0.070 -> 0.045 -> 0.0404 -> 0.0371 -> 0.0339, fit levelling at 0.0348 (above its last point): over 5
            # points the fit was the steeper, against a noise of 0.0124 (0.00036 on the 4 after the drop); over the
            # last 3 it missed 0.0016 an epoch. Stopped at epoch 6, it reached 0.0094.
            from .facts.smoothing import difference_noise

            noise = difference_noise(y[-(k - 1):])
            k = 3
        last = _last_points(x, y, k)
        if last is None:
            return False
        xs, ys, dx, sxx = last
        missed = float(dx @ (fc.value_at(xs) - ys)) / sxx  # observed slope below the fitted one, per axis unit
        span = min(float(xs[-1] - xs[0]), float(self.horizon - x[-1]) if self.horizon is not None else math.inf)
        return missed > 3.0 * noise / math.sqrt(sxx) and missed * span > self.min_gain * self._unit(fc, fc.level)

    def _misses_a_steady_fall(self, x: np.ndarray, y: np.ndarray, fc) -> bool:
        """Does the forecast miss a steady fall, one that goes on to the horizon? Yes where, over the last 10 points,
        the curve falls (its least-squares slope below 0 by more than 3 of that slope's standard errors, from the
        scatter about the line) faster than the fitted curve (the slope of the fit less the curve, likewise more than
        3 standard errors above 0), and the part of the fall the fit misses (the lesser of the two slopes, per axis
        unit), carried to the horizon, is more than ``min_gain`` of the level (offset-free: :meth:`_unit`).
        :meth:`_misses_the_fall` counts the missed fall over its 5 points only: a Friedman1 MLP at SGD(0.002) falling a steady 0.0006 an epoch (t = -37),
        the fit missing 0.00046 of it, was stopped at epoch 96 of 200 ("0.6% to come"; 0.66% of the level over 4
        epochs, 17% to the horizon), 21% above the 0.227 it reached. ``x``, ``y``: the curve so far, shape (n,),
        lower is better."""
        k = 10
        last = _last_points(x, y, k) if fc._model is not None else None
        if last is None:
            return False
        xs, ys, dx, sxx = last

        def slope_t(v: np.ndarray) -> tuple[float, float]:
            slope = float(dx @ v) / sxx
            e = v - v.mean() - slope * dx
            se = math.sqrt(float(e @ e) / (k - 2) / sxx)
            return slope, slope / se if se > 0 else math.copysign(math.inf, slope) if slope else 0.0

        fall, t_fall = slope_t(-ys)
        missed, t_missed = slope_t(fc.value_at(xs) - ys)
        if not (t_fall > 3.0 and t_missed > 3.0):
            return False
        return min(fall, missed) * float(fc.horizon - x[-1]) > self.min_gain * self._unit(fc, fc.level)

    def _stuck_evidence(self, level: float, noise: float) -> bool:
        """Is a flat forecast evidence of a stuck curve? Yes where the curve's noise (second differences' robust sd)
        is under ``stuck_noise`` of its level (a network knocked to a constant prediction repeats one value); a
        noisier one is read as stuck only from ``stuck_points`` finite values on: a flat fit to a few points
        scattered +-30-70% about a score near its floor (a GAN's sample-quality share at ~0.02 in its first
        epochs) is no evidence that the score will not take off."""
        if len(self._y) >= self.stuck_points:
            return True
        return noise < self.stuck_noise * abs(level)

    def _unit(self, fc, ref: float) -> float:
        """What ``min_gain`` is a share of: ``|ref|``, or, offset-free, the curve's improvement so far
        (:func:`losslens.forecasting.gain_reference`)."""
        # (The forecast carries the choice: :meth:`_fit` fits it offset-free only where this rule is, on a loss, and
        # gain_reference falls back to |ref| wherever it was not.)
        from .forecasting import gain_reference

        return gain_reference(fc, ref)

    def _reference(self, y: np.ndarray, fc, m3: np.ndarray) -> float:
        """What the forecast at the horizon must beat by ``min_gain`` (lower-is-better units)."""
        if self.against == "best":
            return float(np.min(y))
        if self.against == "level":
            return fc.level
        # "smoothed": the best of the running median of 3, its last point no lower than the forecast's
        # level (forecasting.best_so_far: the diagnosis's stop advice weighs a forecast against the same).
        from .forecasting import best_so_far

        return best_so_far(y, fc.level, m3)

    def replay(self, x, y, lr=None) -> int | None:
        """Feed a whole logged curve point by point (after :meth:`reset`): the index at
        which the rule says stop, or None. ``x``, ``y``: arrays of shape (n,); ``lr``: the lr logged at
        each of them (shape (n,), NaN where not logged), or None."""
        self.reset()
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        rates = np.full(x.shape, np.nan) if lr is None else np.asarray(lr, dtype=float)  # (NaN: not logged)
        for i, (xi, yi, ri) in enumerate(zip(x, y, rates)):
            if self.update(xi, yi, ri):
                return i
        return None

    @property
    def gain(self) -> float | None:
        """The last forecast gain (fraction), or None before the first forecast."""
        return None if self.forecast is None else self.forecast.gain

    def __repr__(self) -> str:
        return (f"ForecastStopping(min_gain={self.min_gain}, horizon={self.horizon}, "
                f"min_points={self.min_points}, patience={self.patience}, min_fraction={self.min_fraction}, "
                f"min_progress={self.min_progress}, stuck_noise={self.stuck_noise}, stuck_points={self.stuck_points}, "
                f"mode={self.mode!r}, metric={self.metric!r}, confirm_rise={self.confirm_rise}, "
                f"cut_points={self.cut_points})")


def _last_points(x: np.ndarray, y: np.ndarray, k: int) -> tuple | None:
    """The curve's last ``k`` points for a least-squares slope: ``(xs, ys, xs - mean, sum of squares of that)``;
    None with fewer than ``k`` points or no spread along the axis."""
    if y.shape[0] < k:
        return None
    xs, ys = x[-k:], y[-k:]
    dx = xs - xs.mean()
    sxx = float(dx @ dx)
    return (xs, ys, dx, sxx) if sxx > 0 else None
