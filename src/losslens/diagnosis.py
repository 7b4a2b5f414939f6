"""Every rule losslens applies: facts in, causes out.

Read this one module to see how a verdict is reached. Each rule is a short function of the
:class:`~losslens.facts.Facts` that returns a :class:`~losslens.result.Cause` (with its
evidence quoted from the facts and the actions that fit) or None. Every threshold is a
multiple of the curve's own noise or a fraction of its own improvement ``L(0) − L*`` — never
an absolute loss value; the one reference from outside the curve is ln K, the cross-entropy of a
uniform guess among K classes. The bars several rules share, or that were tuned on the benchmark's training
half, are named fields of :class:`Thresholds`; a bar one rule reads alone is a module constant (``THROWN_FACTOR``,
``FROZEN_SHARE`` ...) or a literal commented where it is read. Each rule's docstring names its bars and the runs
that set them.

Verdict order when several causes fire: the rule list in ``_diagnose``, as it runs (the first rule
that fires names the verdict; each function's docstring says when it fires and which cause id it returns):

1. a broken run: ``diverged``, ``lr_zeroed`` (lr_too_low: the logged lr 0 over the plateau),
   ``dead_from_start`` (stuck_at_init: one value from the first point),
   ``stuck_at_init``, ``collapsed`` (lr_too_high: frozen at one exact value), ``constant_guess``
   (lr_too_high: outputs thrown to a constant answer), ``no_signal``;
2. a measured learning curve: ``data_limited_measured`` (data_limited);
3. an unstable step (all lr_too_high): ``unstable`` (training-loss spikes), ``peak_unstable``,
   ``first_epoch_thrown`` (a blow-up inside the first epoch validation never came back from), ``relapsed``
   (both curves back up), ``climbed_off_floor``;
4. ``overfitting``;
5. a step that undid progress (lr_too_high): ``bounced``, ``unlearned``;
6. "not done yet": ``still_improving``;
7. the causes of a plateau: ``peak_held``, ``peak_bounced`` and ``peak_threw`` (lr_too_high at a schedule's peak),
   ``blew_up`` (an early blow-up the run came back from), ``units_died`` (a layer's gradient exactly 0),
   ``peak_climbed`` (lr_too_high: validation thrown off its best at a peak cut soon after; after units_died, whose
   "restart from scratch" is the more specific reading of the same step),
   ``fits_nothing`` (underfitting: training accuracy at chance), ``lr_too_high`` (oscillation at a
   constant lr), ``underfitting`` (by level, against ln K where K is known), ``jumped`` (lr_too_high:
   repeated jumps off the best);
8. finally ``converged``, the plateau nothing else explains (added after the list, not in it).

Two specific readings then take the verdict from their
general one: lr_too_low (when "likely": with a logged constant lr, or the straight-descent shape; or a
schedule that annealed the lr while the descent kept its pace per unit of lr, which also takes it
from underfitting and leaves no converged) from still_improving, and temporary_plateau (a flat
stretch of ≥ 5 points) from converged / still_improving / lr_too_low. Under a logged constant lr, a slow
(S-shaped) start with a level still drifting down takes the verdict from underfitting's level reading as
lr_too_low (``slow_start``).

The learning-curve forecast (:mod:`losslens.forecasting`, at twice the logged length) is one of
the facts: it vetoes "still improving" for a creep forecast to gain < 1%, and turns a
flat-looking tail that still moved (≥ 1 noise sd over its last quarter) into still_improving
when it expects ≥ 5% more. Gains are on the metric's own scale (an accuracy's rise).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .columns import ACCURACY_FALLBACK, CANONICAL, TRAIN_SPLITS, axis_kind, canonical, is_validation, normalise
from .facts import MIN_POINTS_FOR_VAL, MIN_POINTS_TO_DIAGNOSE, Facts, accuracy_fraction, batch_loss, head_losses, measure, metric_direction, stepwise
from .facts.chance import (CONSTANT_HELD_POINTS, FIRST_LOSS_TOL, KERAS_CLIP_LOSS, SAME_ACCURACY, ChanceFacts,
                           accuracy_fraction, also_fits, constant_answer, in_examples, least_entropy, never_moved,
                           one_class_shares, smoothed_floor, values_step)
from .facts.learning_curve import DATA_GAIN
from .facts.plateau import FRACTION as PLATEAU_FRACTION
from .facts.plateau import phases_without_x, plateau_onset, x_floor
from .facts.regularization import STRONG_SHRINK, optimizer_kind, optimizer_name
from .facts.smoothing import (difference_noise, level_smooth, median, median3, noise_sigma, resolution, shared, smooth,
                              tail_median, window_for)
from .facts.trend import MIN_TAIL_POINTS, TAIL_FRACTION, ols_slope_t
from .facts.trend import t_text as _t
from .facts import choose_metric
from .exceptions import LosslensError
from .facts import NOISE_FLOOR_NEAR  # (the forecast holds a validation loss at the floor by it too)
from .facts.divergence import divergence
from .forecasting import IMPROVE_FRACTION, MIN_POINTS
from .result import SCORE_TIE, UNCERTAIN_X_SHARE, Action, Cause, Diagnosis, Evidence, Plateau, best_index
from .result import axis_text as _n
from .result import reword as _reword
from .result import share_text as _pct
from .run import Run
from .schedules import lr_factor


@dataclass(frozen=True)
class Thresholds:
    """The numbers the rules compare facts with (units in each comment)."""

    diverge_growth: float = 0.25          # ended ≥ 25% above its start (fraction of |L(0)|) ...
    diverge_noise: float = 5.0            # ... and ≥ 5 noise sds above it
    stuck_rel: float = 0.01               # improved < 1% of |L(0)| over the whole run ...
    stuck_noise: float = 3.0              # ... or < 3 noise sds
    flat_start_rel: float = 0.05          # plateaued < 3 noise sds and < 5% below its start: X is the first point
    chance_margin: float = 0.10           # val accuracy < 10% of the way from chance to perfect,
    chance_z: float = 2.0                 # or < 2 binomial standard errors above it
    memorise_drop: float = 0.05           # training loss ≥ 5% below its start: the model fits something
    train_guess_level: float = 0.95       # (no training accuracy, K known) training loss's last quarter ≥ 95% of
                                          # ln K: it fitted nothing, not even its training data
    blown_start: float = 2.0              # ... having started ≥ 2x ln K (an untrained softmax starts near ln K):
                                          # the first steps threw the outputs out, and it never came back
    no_signal_val_noise: float = 3.0      # validation never improved by more than 3 noise sds
    no_signal_val_share: float = 0.10     # or by < 10% of what training gained (and < 10% of its start)
    no_signal_beaten_noise: float = 4.0   # (K known: validation's best ≥ 4 noise sds under ln K and its own first
                                          # value learned something; the lowest of 30 noisy points is ~2 sds low)
    no_signal_gap: float = 0.5            # (flat validation: ends above training by ≥ 50% of training's gain;
                                          # a first validation point that far above training's: fitted before the log)
    guess_acc_scatter: float = 0.5        # (a loss held above ln K) validation accuracy's tail sd ≥ half a 1/K coin's
                                          # binomial sd on n_val: its predictions still turn with the input
    collapse_points: float = 0.10         # the last ≥ 10% of points (and ≥ 5) exactly equal: collapsed
    fitted_train_share: float = 0.01      # ... unless the training loss there is ≤ 1% of its start: a training set
                                          # memorised, nothing left to fit (boosting's later trees add nothing)
    frozen_acc_points: int = 10           # validation accuracy the same at every one of ≥ 10 points: no decision
                                          # flipped in the whole run (a live model's flip within a few epochs)
    annealed_lr_ratio: float = 1e-3      # a logged lr decayed below 1/1000 of its peak: a frozen loss is frozen weights
    annealed_end_ratio: float = 0.01     # ... or below 1/100 of it by a decay whose next logged step reaches 0: the
                                          # schedule ended with the run (a cosine to 0 logged during each epoch ends
                                          # at (pi / 2n)^2 of its peak for n epochs of decay, 0.0019 at n = 36; under
                                          # 1/100 from n = 16 on). The ends it was set on (09676c7): torch_cosine_end
                                          # 0.0019, hf_two_problems/regression's linear decay 0.008, a OneCycle 0.0016
    data_gain: float = DATA_GAIN          # a measured learning curve: doubling the data lowers val ≥ 10%
    overfit_rise_noise: float = 3.0       # validation rose ≥ 3 noise sds above its minimum ...
    overfit_rise_range: float = 0.10      # ... and ≥ 10% of its improvement,
    overfit_rise_level: float = 0.05      # or ≥ 5% of its minimum while still rising (tail t > 3)
    overfit_rise_min: float = 0.10        # or ≥ 10% of its minimum while training fell below its level then
    overfit_gap_growth: float = 0.15      # or: the gap grew ≥ 15% of val's improvement while train fell
    # Under those bars, overfitting listed as possible (overfitting_signs) where validation's last quarter sits this
    # many noise sds above its smoothed minimum: on curves that fall and hold their floor (iid noise 1-5% of the drop,
    # 20-300 points) with training still falling, on 0-9% of them (0-18% at 2, 0-7% at the rule's 3; the smoothed
    # minimum is selected, so with no rise the rise centres at 1.3-1.6 sds)
    overfit_signs_noise: float = 2.5
    overfit_contested: float = 0.65       # converged's strength beside that listing: its grade for a tail not flat
    improving_t: float = -3.0             # tail slope t-statistic below this: still falling ...
    improving_tail_drop: float = 0.03     # ... and the last quarter gave ≥ 3% of the improvement
    improving_tail_level: float = 0.05    # ... or lowered the current level by ≥ 5%
    logged_metric_gain: float = 0.10      # a metric logged beside the loss that improved ≥ 10% of its level after X refutes converged
    since_x_from: float = 0.25            # ... and the metric itself, read so over its points from X but not before the run's first quarter
    still_falling_share: float = 0.10     # a temporary plateau the run left, still falling with its last quarter giving
                                          # ≥ 10% of the improvement (twice the 5% X is measured with): no X yet
    improving_short_t: float = -2.0       # a tail of ≤ 5 points (≤ 3 degrees of freedom) ending at the run's
                                          # minimum: t below this is enough
    forecast_gain: float = 0.05           # or: forecast ≥ 5% lower at twice the length ...
    forecast_likely: float = 0.92         # ... with P(gain > 1%) ≥ 0.92 (calibrated; the model's raw 0.7)
    forecast_gain_large: float = 0.10     # or: forecast ≥ 10% lower ...
    forecast_large_likely: float = 0.72   # ... with P(gain > 1%) ≥ 0.72 (the model's raw 0.6): a big gain needs less certainty
    forecast_gain_falling: float = 0.02   # where converged would be the verdict: a tail falling by its t-test, forecast
                                          # ≥ 2% lower at P ≥ forecast_likely (converged's own check, < 2%, expected to fail)
    blind_tail_t: float = 2.0             # or, on a tail of ≤ 5 points: the forecast's own descent over it would
                                          # reach |t| < 2 (from the curve's noise), so the tail cannot show it,
                                          # and the tail's slope is not 2 standard errors above it (see _tail_blind)
    forecast_little: float = 0.01         # a falling tail forecast to gain < 1% ...
    forecast_unlikely: float = 0.28       # ... with P(gain > 1%) < 0.28 (raw 0.3) is not "still improving"
    forecast_doubt_confidence: float = 0.6  # ... with P above that, still_improving stands, but at this confidence
                                          # at most, the forecast's doubt said (_forecast_doubts)
    lr_low_early_share: float = 0.40      # a near-straight descent: < 40% of the drop in the first quarter
    lr_low_half_share: float = 0.25       # ... and ≥ 25% of it in the first half (a line gives 50%; a late break ~0)
    lr_low_total_drop: float = 0.50       # ... while far from a floor: lost < 50% of its starting value,
    lr_low_drift_noise: float = 10.0      # or a drift-dominated tail: the last quarter fell ≥ 10 noise sds;
    lr_low_end_rate: float = 0.5          # either way steady to the end: the last 10% falls at ≥ half the tail's rate
    slow_sliver: float = 0.05             # a loss falling steadily to its end (tail t < improving_t, end at ≥
                                          # lr_low_end_rate of the tail's pace) that closed < 5% of its start has no
                                          # floor yet, however few noise sds its tail fell: a step too small (the
                                          # PyTorch loop at SGD 1e-4 on digits, 2.304 -> 2.293 in 60 epochs at t = -10,
                                          # 8 sds; lr x1000 reaches 0.13)
    lr_low_gap_pace: float = 0.5          # a drift tail whose validation falls < half as fast as training's (the gap
                                          # widens faster than validation falls) is only a possible lr_too_low
    shape_min_points: int = 20            # lr_too_low / lr_too_high judge a shape: fewer points cannot show it
    slow_start_share: float = 0.5         # a slow start: the first step fell < half of the steepest one ...
    slow_start_steps: int = 2             # ... which came ≥ 2 steps later (one later step can be noise or Adam) ...
    slow_start_noise: float = 5.0         # ... and steeper by ≥ 5 noise sds
    lr_high_oscillation: float = 0.02     # bounces at the floor with sd ≥ 2% of the improvement,
    lr_high_floor_noise: float = 5.0      # ... of a curve that improved ≥ 5 noise sds (else no floor to bounce at)
    bounce_range: float = 0.5             # or reached its best out of a climb ≥ half its improvement (and ≥ 5 sds)
                                          # (jumped: off its best by as much, and back, twice or more; or at its last point)
    unsettled_noise: float = 0.25         # a run shorter than shape_min_points whose tail sd is ≥ 25% of its improvement
                                          # (5x the 5% band X is read in) cannot show a plateau: converged only possible,
                                          # never firm (a Keras Adam(0.05) digits MLP: 0.30-0.56 at epochs 9-15, read "stop
                                          # at epoch 2"; validation then fell 0.15 -> 0.05)
    underfit_level: float = 0.50          # plateau level ≥ 50% of the starting loss ...
    underfit_level_chance: float = 0.40   # ... or, K classes known, ≥ 40% of ln K (a uniform guess's loss),
    underfit_gap: float = 0.10            # ... with |val − train| < 10% of that level, or, both accuracies
    underfit_err_share: float = 0.80      # logged, training's error rate ≥ 80% of validation's (val errs at most
                                          # 1.25x as often: the 25% penalty_gap allows validation too)
    underfit_guess: float = 0.80          # still falling, but ≥ 80% of ln K now and, forecast at twice the
    underfit_guess_forecast: float = 0.67 # length, ≥ 2/3 of ln K: near a uniform guess however long it trains
    relapse_share: float = 0.50           # both curves ended ≥ 50% of their improvement above their best
    gradient_shrink: float = 5.0          # grad norm fell ≥ 5x: "gradients shrank"
    fit_lost: float = 0.25                # training accuracy ended ≥ 25% of its peak's margin over chance below
    fit_lost_sd: float = 5.0              # ... that peak (and ≥ 5 sds of its tail) while the training loss sat
                                          # at its lowest: the loss minimized is no longer the fit (a penalty)
    penalty_gap: float = 0.25             # validation ends < 25% above training's floor (and, under a logged weight
                                          # decay, that floor ...
    penalty_level: float = 0.10           # ... ≥ 10% of its start): held level by a penalty. Digits MLP, SGD / Adam
                                          # with L2 0.05: val 0.07-0.12 above train at 28-36% of its start (wd 1e-5:
                                          # val 0.7-11x above a floor of 1-5%, and val 76-80% lower)
    memorise_val_t: float = 2.0           # validation's tail climbing (t > 2, a rising phase's bar) while training's
                                          # falls steadily (t < improving_t, ≥ lr_low_drift_noise sds) below
                                          # validation's best: a spread at that floor is memorising, not the step
    memorised_share: float = 0.10         # (or training's tail already ≤ 10% of validation's best: memorised, its
                                          # steps no longer overshoot anything. Diabetes MLP, 80 rows, Adam 1e-2:
                                          # train 0.005-0.01 vs val best 0.437, bouncing up to 0.96; lr/10 best 0.435)
    noisy_floor: float = 0.5              # ... and validation's best still ≥ 50% of its first value: check the labels
                                          # (digits / breast_cancer MLPs, 30-40% of labels flipped: 76-95%; the
                                          # clean labels 10-17%)
    val_below_share: float = 0.9          # validation below training at ≥ 90% of its points ...
    val_below_ratio: float = 2 / 3        # ... and ending ≤ 2/3 of it: which is the held-out level is in doubt
    gradient_explode: float = 10.0        # grad norm peaked ≥ 10x its early median: exploding (a healthy run's
                                          # norm rises 2-5x as it leaves the init, not 10x)
    spike_noise: float = 5.0              # a training-loss jump ≥ 5 noise sds above its trend ...
    spike_range: float = 0.05             # ... and ≥ 5% of its improvement, from X or the second half on: unstable
    spike_level: float = 0.5              # ... or ≥ 50% above the level around it at its floor, validation thrown
                                          # with it (the epoch's mean up by half; a floor a few % of the start hides
                                          # such a jump under spike_range)
    plateau_flat: float = 0.02            # temporary_plateau: a stretch within 2% of the improvement is flat (judged
                                          # on a curve smoothed until its noise is half that)
    peak_relapse: float = 0.5             # under a schedule, the training loss climbed back ≥ 50% of what it had
                                          # gained while the lr was still at its peak (and ≥ 5 noise sds)
    es_room_sd: float = 2.0               # stopped by early stopping on an accuracy of n_val samples: its best ≥ 2
                                          # binomial sds below a perfect score (room to show a gain) ...
    es_blind_share: float = 0.5           # ... where 2 sds are ≥ half its remaining error (no gain short of
                                          # halving the error could clear the noise) ...
    es_window_sd: float = 1.0             # ... the points after the best held within 1 sd of it (median) ...
    es_train_noise: float = 3.0           # ... and training fell ≥ 3 noise sds over them, ending ≥ 5% of its start.
                                          # Digits MLPs (1,200 / 597), 54 runs at patience 10: 12 read so, 11 of
                                          # which patience 50 raised (test +0.015 to +0.057); 0 of the 54 at patience
                                          # 50 and 0 of 3 on 12,000 synthetic samples (n_val 1,200: 2 sds are 27%).
                                          # 32 hidden on 1,500 digits: 5 of 5 at patience 10, 4 raised by patience
                                          # 50; the fifth's patience-50 run reads so too, and 200 took 0.939 to 0.983
    annealed_lr: float = 0.1              # a schedule that ended the lr below 1/10 of its peak ran the step down:
                                          # a curve that flattened then may have flattened with it
    decay_line_pace: float = 0.8          # ... and against lr-time its later half fell at ≥ 80% of the whole run's
                                          # pace: a line, no floor near (an exponential approach to one, L* + A
                                          # exp(-k tau), gives 0.8 at k T = 0.8: 55% of the way there)
    peak_held_share: float = 0.25         # under a schedule, a loss flat at the peak lr that came ≥ 25% of its
                                          # improvement (and ≥ 5 noise sds) lower only once the lr annealed,
                                          # the training loss ≥ 25% of its own too
    peak_climb_train: float = 0.5         # peak_climbed: training at the peak ≥ half of validation's best (the step
                                          # held it; 17% on a memorised plain-SGD run, 83-219% on the thrown ones)
    peak_fit_lost: float = 0.05           # under a schedule, training accuracy fell ≥ 5% of its margin over
                                          # chance from its best while the lr was still at its peak, validation
                                          # best there and never beaten after the cut: a converged verdict gets
                                          # lr_too_high beside it (peak_threw_fit; digits MLPs under
                                          # ReduceLROnPlateau, 0-40% of labels flipped: ≤ 0.3% on 16 runs at SGD
                                          # 0.05, ≤ 0.7% on 14 at Adam 1e-3-3e-2; 11-76% where SGD 0.15-0.5 fell)
    solved_share: float = 0.25            # validation accuracy within one example of 100% over ≥ the last quarter
    solved_points: int = 3                # (and ≥ 3 evaluations): solved; a loss still falling only sharpens
                                          # the confidence (a GRU at 100% from epoch 4: twice the epochs -72%
                                          # val loss, lr x10 -96%, accuracy 1.000 in all three)
    staircase_t: float = 3.0              # a step log's training loss falling ≥ 3 standard errors an epoch after
    staircase_share: float = 0.75         # its first, ≥ 75% of it at the epoch boundaries (inside an epoch not
                                          # falling by 3 se): memorisation (a tiny GPT-2 fine-tuned 6 epochs:
                                          # share 1.28, eval_loss best at epoch 1; an lr 1e-3 run that still
                                          # learned inside epochs: 0.36)
    # Glorot's and He's initializations are built to keep each layer's gradient of one size from the last layer to
    # the first; two orders of magnitude between them is a gradient that fades on its way back (a 10-layer sigmoid
    # MLP on digits: 2e-8; with ReLU and He init: 1.2-2.3).
    vanishing_ratio: float = 1e-2         # the first layer's gradient norm < 1/100 of the last layer's, early and late
    same_start: float = 2.0               # a sweep's runs started at one loss: first training losses within 2x
                                          # (an lr sweep's first epoch-means: 1.0-1.8x; CIFAR-100 beside
                                          # Fashion-MNIST at initialisation, DeepOBS: 4.93 / 2.31 = 2.1x)


DEFAULT = Thresholds()

# The verdict's confidence as the chance it is right: Platt scaling (Platt 1999) of the rules' strength s, with a
# per-cause offset shrunk toward the common line (a ridge of 1 on the summed log loss), P = sigmoid(a + b logit(s)
# + u[cause]). Fitted on the diagnosis benchmark's TRAIN split only (265 real + 105 generated verdicts) by
# `python -m benchmarks --methods losslens --calibrate-confidence --out -` (benchmarks/confidence_cal.py), which
# prints these and the grouped cross-validation that chose the per-cause offsets over isotonic regression and plain
# Platt scaling (Brier 0.102 against 0.110 with no offset, 0.117 raw; AUROC 0.75 kept, where isotonic's ties cut it
# to 0.70). The raw strength understated causes it reads plainly (lr_too_low at 0.51-0.80 was right 95% of the
# time, stuck_at_init at 0.80 98%) and overstated underfitting (0.56, right 29%) and still_improving (0.76, 72%).
_CONF_PLATT = (0.453, 1.251)
_CONF_CAUSE = {"converged": -0.114, "data_limited": +0.215, "diverged": -0.741, "lr_too_high": +0.046,
               "lr_too_low": +1.029, "no_signal": -0.148, "overfitting": +0.768, "still_improving": -0.733,
               "stuck_at_init": +0.731, "temporary_plateau": -0.018, "underfitting": -1.035}


def calibrated_confidence(strength: float, cause: str) -> float:
    """The chance that a verdict of ``cause`` given at rule strength ``strength`` (in [0, 1]) is right, by the map
    fitted on the benchmark's training split (``_CONF_PLATT``, ``_CONF_CAUSE``); strictly increasing in
    ``strength`` for every cause. A cause the fit never saw as a verdict gets the common line; a non-finite
    strength is returned as it is. Kept within [0.01, 0.99]: 370 verdicts cannot tell 0.999 from 0.99."""
    if not math.isfinite(strength):
        return strength
    s = min(max(strength, 0.01), 0.99)
    a, b = _CONF_PLATT
    p = 1.0 / (1.0 + math.exp(-(a + b * math.log(s / (1.0 - s)) + _CONF_CAUSE.get(cause, 0.0))))
    return min(max(p, 0.01), 0.99)


def _calibrate(d: Diagnosis) -> Diagnosis:
    """The one place the confidence users see is calibrated, once the rules are done: the rules compare and cap
    the raw strength (a "possible" at most 0.5, the forecast's doubt at 0.6, "surer than the verdict"), which
    stays on every cause as ``strength``; only the verdict's ``confidence`` becomes its calibrated chance of being
    right. The other causes keep their strength as their confidence: the map answers "is the verdict right", which
    a cause listed after the verdict is not asked (the benchmark scores the verdict; a second cause can be right
    beside it, its "also" labels), so their number stays how plainly their own evidence shows. Order and verdict
    are unchanged."""
    for c in d.causes:
        if c.strength is None:
            c.strength = c.confidence
    if d.causes:
        d.causes[0].confidence = calibrated_confidence(d.causes[0].strength, d.causes[0].id)
    return d


#: A verdict read on fewer points than the forecast needs is no surer than a possibility.
SHORT_RUN_POINTS = MIN_POINTS
SHORT_RUN_STRENGTH = 0.5


def _short_run(f: Facts, causes: list[Cause]) -> None:
    """Cap every cause's strength at a possibility's (:data:`SHORT_RUN_STRENGTH`) on a curve of fewer points than
    the forecast needs, and say so under the verdict (``causes[0]``), before they are ranked (all were read on the
    same few points, so none reads surer than the verdict for it): a 3-point slope has one degree of freedom (t = -19 there is p = 0.03), and
    whether it goes on is what the forecast would say and refuses to (a torch loop's first 3 epochs on digits read
    "still improving, confidence 0.97" beside "no forecast: need 5"). Not for ``diverged``: a loss that turned NaN/inf is an event
    seen, however few points precede it. The rules' own bars on length (20 points for a shape) stay theirs; this
    is the one cap on length the confidence a user reads gets (``_calibrate`` maps it on)."""
    n = f.n_points
    if n >= SHORT_RUN_POINTS or not causes or causes[0].id == "diverged":
        return
    if causes[0].confidence > SHORT_RUN_STRENGTH:
        causes[0].evidence.append(f"read on {n} {f.axis_name}s only: too few to be sure (a forecast needs "
                                  f"{SHORT_RUN_POINTS})")
    _cap_at_possible(causes, SHORT_RUN_STRENGTH)


def _cap_at_possible(causes: list[Cause], cap: float) -> None:
    """Cap every cause but ``diverged`` at a possibility's strength ``cap``, and list each after the verdict as
    possible: a cause read on the same few points or examples as the verdict is no likelier than it. At 0.5 but still
    ``likely``, one printed "also likely: converged (50%)" under a verdict its caveat had just called too weakly
    shown to be sure. The verdict keeps its status: its caveat is said under it, and its status orders its phases."""
    for i, c in enumerate(causes):
        if c.id != "diverged":
            c.confidence = min(c.confidence, cap)
            if i > 0:
                c.status = "possible"


#: A validation set of fewer examples than this is a small sample of the task: its curve is the same few examples'
#: at every evaluation, so its shape can be theirs (the rule of three puts 0 errors in 100 at an error rate up to 3%).
SMALL_VAL_EXAMPLES = 100
#: ... and no cause read on it is surer than a possibility, as on a curve too short to forecast (SHORT_RUN_STRENGTH).
SMALL_VAL_STRENGTH = SHORT_RUN_STRENGTH


def _small_validation(run: Run, f: Facts, causes: list[Cause]) -> None:
    """A verdict on a held-out curve scored on fewer than ``SMALL_VAL_EXAMPLES`` examples, the size the run gives
    (``meta["n_val"]``) or its validation accuracy's steps of 1/n show: said under the verdict (``causes[0]``), and
    every cause's strength capped at ``SMALL_VAL_STRENGTH`` before they are ranked, as :func:`_short_run` caps a curve
    of too few points; the verdict and the order stay. The same n examples are scored at every evaluation, so the
    curve's shape is theirs as much as the task's, and its noise (read off the curve) does not show it. A moons MLP
    (width 128, 600 training points) scored on 40 validation examples read "still improving, keep training" with
    P = 95% that 150 more epochs gain > 1%; the same weights scored on 3,400 examples were at their best at epoch 36,
    then 0.275 -> 0.309: overfitting (tests/fixtures/ecosystem/small_validation). Not where steps of 1/n could be
    a log's rounding (every accuracy a multiple of 0.01: 0.88, 0.9, 0.92 step by 1/50), nor for ``diverged`` (an
    event seen whatever the set); where the solved reading said it already (:func:`_solved_lines`) the line is not
    repeated."""
    c = f.chance
    if not causes or causes[0].id == "diverged" or c is None or not is_validation(f.metric):
        return
    given = isinstance(run.meta.get("n_val"), (int, float)) and run.meta["n_val"] > 0
    n = c.n_val or c.val_acc_step
    if not n or n >= SMALL_VAL_EXAMPLES:
        return
    if not given:
        acc = accuracy_fraction(run.get("val_acc"))
        fin = acc[np.isfinite(acc)] if acc is not None else np.empty(0)
        if not fin.size or np.allclose(fin * 100, np.round(fin * 100), atol=1e-4):
            return  # (steps a log's two decimals can make as well as n examples)
        # Two distinct values are one gap, which any n fits (0.12 and 0.1333 of 300 examples read as steps of 1/75):
        # the steps must hold over 3 values at least, with no chance fit (values_step's test).
        if values_step(fin) != n:
            return
    verdict = causes[0]
    # (The solved line says "few examples, weak evidence" already, with the rule of three, at up to 60 examples.)
    if not ("solved_since" in verdict.numbers and 3.0 / n >= FEW_EXAMPLES_BOUND):
        how = "the run gives" if given else f"its accuracy moves in steps of 1/{n}"
        # (R² has no step of 1/n: one example moves it by its error's share of the set's variance, unbounded.)
        flips = "" if "r2" in f.metric else f" (one example flips its accuracy by {_pct(1.0 / n)})"
        verdict.evidence.append(
            f"validation is scored on {n} examples ({how}): few examples, weak evidence — the same {n} at every "
            f"evaluation, so the curve's shape may be theirs, not the task's{flips}{_stopped_on_them(f, causes)}; a "
            "larger validation set says more")
    verdict.numbers["n_val"] = float(n)
    _cap_at_possible(causes, SMALL_VAL_STRENGTH)


def _stopped_on_them(f: Facts, causes: list[Cause]) -> str:
    """``", and early stopping (patience p) ended the fit on them, k iterations after its best"`` where the run says
    early stopping ended it on this curve (``Facts.early_stopping``: scikit-learn's ``early_stopping=True``), unless
    a cause says it already (:func:`_cut_in_noise`'s "stopped by early stopping", :data:`CUT_IN_NOISE`); else "". A
    scikit-learn regressor scored on 45 examples said neither."""
    es = f.early_stopping
    if not es or any(_of_kind(e, CUT_IN_NOISE) for c in causes for e in c.evidence) or not f.y.size:
        return ""
    finite = np.where(np.isfinite(f.y), f.y, -np.inf if f.higher_is_better else np.inf)
    best = int(np.argmax(finite) if f.higher_is_better else np.argmin(finite))
    k = f.y.shape[0] - 1 - best
    return (f", and early stopping (patience {es['patience']}) ended the fit on them, {k} {f.axis_name}"
            f"{'s' if k != 1 else ''} after its best")


# Converged's claim that more epochs will not pay, after "stop at X" and, without an X, after "stop here". The rules
# that read the forecast (_price_converged, _hedge_converged, the small-gain quote in _quote_forecast) find it by
# these words to price, hedge or quantify it: every one must know both.
NO_GAIN = ": more epochs will not lower the loss"
NO_GAIN_HERE = ": more epochs at this setting will not lower the loss"
#: converged's claim after a schedule that annealed the lr to ~0 (_annealed): more epochs at its end rate.
NO_GAIN_ANNEALED = ": more epochs at the schedule's end rate will not lower the loss"
#: ... and the epochs that may: the whole schedule stretched, its decay re-planned over them.
SCHEDULE_LONGER = ("a longer schedule may go lower: the whole schedule stretched (twice the epochs, its decay "
                   "re-planned over them), not more epochs at its end rate (losslens verify retrains it where train() "
                   "plans the schedule from its epoch count)")
#: converged's claim where its tail still falls at the end, slowly next to the drop before X.
STILL_FALLING = ": each epoch now gains little"

#: The rules' words for training's length, in epochs (:func:`on_axis` says them in another axis's unit). Verify's
#: own retraining keeps its keyword, ``epochs_factor``, whatever the log counts.
_LENGTH_WORDS = ("more epochs", "twice the epochs", "the epoch count", "each epoch now")


def on_axis(text: str, axis: str) -> str:
    """``text`` with the rules' words for training's length (:data:`_LENGTH_WORDS`) in ``axis``'s unit (``"step"``:
    "more steps", "twice the steps", "the step count"), an :class:`~losslens.result.Action`'s markers kept; the
    data's epochs ("at each epoch boundary") are left as they are."""
    for words in _LENGTH_WORDS:
        text = _reword(text, words, words.replace("epoch", axis))
    return text


# The rules' names for actions a later rule finds again (Action.kind), so that none is found by its words.
#: converged's "to go lower, change the data or the model", however reworded (_epoch_count_dropped, a score's).
DATA_OR_MODEL = "data_or_model"
#: converged's "stop at X", which a rule that finds X misleading drops (_kl_warmup, _adversarial).
STOP_AT = "stop_at"
#: converged's other stops, "stop here" (no X) and "stop once it is flat, at about X" (a fall after X): with STOP_AT
#: the first actions a flattening read on a logged metric moves.
STOP = "stop"
#: still_improving's "see the forecast for how many more epochs pay", which the forecast's quote words.
SEE_FORECAST = "see_forecast"
#: lr_too_low's "or keep training at this rate" refers to the forecast in these words, its claim
#: (:func:`_forecast_for_listed` quotes the forecast beside it, or drops them where there is none to see).
FORECAST_SAYS = " (the forecast says how far)"
#: still_improving's "keep training", which a schedule run to ~0 makes "a longer schedule" (_schedule_over).
KEEP_TRAINING = "keep_training"
#: A first action that lowers the learning rate (why lr_too_high ranks below a diverged or stuck_at_init verdict).
LOWERS_LR = "lowers_lr"
#: lr_too_low's "raise the learning rate": with LOWERS_LR, what compare reads a change of the lr as trying
#: (comparison._TRIED_BY).
RAISES_LR = "raises_lr"
#: data_limited's "more training data" and its learning curve's "retrain on 50% of the data": what compare reads a
#: change of the training set's size as trying (comparison._TRIED_BY).
MORE_DATA = "more_data"
#: no_signal's "check the labels", after which _few_examples puts "or too few examples".
CHECK_LABELS = "check_labels"
#: An action on the model's size ("a bigger model or better features", or that a bigger one will not help), before
#: which _train_errs_more puts "check the training labels".
MODEL_SIZE = "model_size"
#: The other actions that say train on ("keep training: the run left that flat stretch", "keep training while the
#: logged metric improves", a late generalizer's): with KEEP_TRAINING what a late generalizer's lead replaces; not
#: KEEP_TRAINING, which _schedule_over rewords as a longer schedule.
TRAIN_ON = "train_on"
#: overfitting's early stop that names no epoch ("early stopping at the validation minimum", a booster's "early
#: stopping on the validation set"), which with EARLY_STOP_BEST a late generalizer's overfitting drops.
EARLY_STOP = "early_stop"
#: An early stop that names the epoch its best weights are from (on the loss, on a logged score, on validation
#: accuracy): an early stop, and one that _under_chance_lead drops where that epoch is the untrained model's.
EARLY_STOP_BEST = "early_stop_best"
#: overfitting's "stop on validation accuracy, not the loss: its best weights are from X", which names X too: with
#: EARLY_STOP_BEST what _under_chance_lead drops.
STOP_ON_ACC = "stop_on_acc"


# The rules' names for evidence lines a later rule finds again (Evidence.kind).
#: _cut_in_noise's "stopped by early stopping (patience p) k epochs after its best ...", after which
#: _stopped_on_them does not say the stop again.
CUT_IN_NOISE = "cut_in_noise"
#: data_limited's "validation ends <gap> above training ...", which _ended_before says as where it was read.
VAL_ENDS = "val_ends"
#: underfitting's "... the model cannot fit the training data either" (train ≈ validation, or error rates alike:
#: _underfit_level), which _errs_more_than_validation takes back where training errs more than validation.
FITS_NEITHER = "fits_neither"


def _of_kind(action: str, *kinds: str) -> bool:
    """Whether ``action`` (or an evidence line) is one of the rules' named ``kinds``
    (:attr:`~losslens.result.Action.kind`, :attr:`~losslens.result.Evidence.kind`)."""
    return getattr(action, "kind", None) in kinds


def _epoch_count_dropped(actions: list[str]) -> list[str]:
    """``actions`` without converged's ", not the epoch count", where the epochs are an epoch count that may pay."""
    return [_reword(a, ", not the epoch count", "") for a in actions]


#: The run that tells a model too small from the data's own floor, which one flat level shows alike
#: (_capacity_or_floor): underfitting's listed action wherever it is named, converged's beside it.
#: Underfitting's regularization action, named so that an action that puts a specific regularizer first can drop it
#: (its kind: worded for the run's logged decay or dropout by :func:`_regularize_less`, it is found by the kind).
LESS_REG = "less_regularization"
LESS_REGULARIZATION = Action("less regularization", LESS_REG)
CAPACITY_OR_FLOOR = ("a model twice the size tells the model's limit from the data's own floor (losslens verify "
                     "--cause underfitting retrains it): both losses lower → capacity; no lower → the data's floor "
                     "(noisy labels, classes that overlap), where only better data helps")

#: overfitting's regularization action where the run logs no decay nor dropout (:func:`_overfitting_actions`).
REGULARIZE = "regularize: weight decay, dropout"
#: overfitting's regularization, smaller-model and more-data actions: what closes a gap between training data and
#: held-out data drawn alike, which a validation set unlike training does not reach (:func:`_val_unlike_training`
#: drops them by this kind).
GAP_REMEDY = "gap_remedy"
#: overfitting's more-data action, which :func:`_next_after_stop` puts first where data_limited is read beside it.
MORE_DATA_GAP = "data augmentation or more training data"
#: diverged's last action, first where the gradients were calm up to the NaN (:func:`_grad_at_blowup`).
INPUTS_FIRST = "check the inputs for NaN/inf and the loss for log(0)"
ACTIONS = {
    "still_improving": [Action("keep training: it is still improving", KEEP_TRAINING),
                        Action("see the forecast for how many more epochs pay", SEE_FORECAST)],
    "converged": [Action("stop here" + NO_GAIN_HERE, STOP, NO_GAIN_HERE),
                  Action("to go lower, change the data or the model, not the epoch count", DATA_OR_MODEL)],
    "overfitting": [Action("early stopping at the validation minimum (EarlyStopping(restore_best_weights=True))",
                           EARLY_STOP),
                    Action(REGULARIZE, GAP_REMEDY), Action("a simpler or smaller model", GAP_REMEDY),
                    Action(MORE_DATA_GAP, GAP_REMEDY)],
    "lr_too_high": [Action("lower the learning rate (try 1/10 from the plateau) or use a decay schedule "
                           "(ReduceLROnPlateau, cosine)", LOWERS_LR),
                    "a larger batch, or, if on plain SGD, an adaptive optimizer (Adam)"],
    "lr_too_low": [Action("raise the learning rate (an lr range test finds the range)", RAISES_LR),
                   "warm-up to a higher peak lr",
                   Action("or keep training at this rate: it is still improving" + FORECAST_SAYS, None, FORECAST_SAYS)],
    "underfitting": [Action("a bigger model or better features", MODEL_SIZE), LESS_REGULARIZATION, CAPACITY_OR_FLOOR],
    "no_signal": [Action("check the labels and the data pipeline (shuffled or misaligned labels?)", CHECK_LABELS),
                  "train on a tiny subset: if it cannot memorise it, the pipeline is broken",
                  "labels right? the model may not reach the signal: if it is a recurrent net over long sequences, it "
                  "loses the gradient from early steps (shorter sequences or windows, attention or convolutions)"],
    "diverged": [Action("lower the learning rate", LOWERS_LR), "gradient clipping", "learning-rate warm-up",
                 INPUTS_FIRST],
    "stuck_at_init": ["check the initialization and activations (dead ReLUs, saturated sigmoids)",
                      "add normalization", "raise the learning rate"],
    "data_limited": [Action("more training data, augmentation or synthetic data", MORE_DATA)],
    "temporary_plateau": ["don't stop on patience alone: this run left a flat stretch before"],
}


#: lr_too_high's second action as written for a run that does not say which optimizer trained it; _fit_optimizer words
#: it for one that does.
BATCH_OR_ADAPTIVE = ACTIONS["lr_too_high"][1]


def _fit_optimizer(d: Diagnosis, run: Run) -> Diagnosis:
    """Word the actions for the optimizer ``run`` names (:func:`~losslens.facts.regularization.optimizer_name`).

    "An adaptive optimizer (Adam)" told to a run already on Adam reads as losslens not knowing the setup: there an
    adaptive optimizer's step is still ``lr`` a step, and it is its lr that is too large (Keras Adam 0.1 on digits,
    fixture keras_adam_high_lr: Adam 0.01 ends 62% lower on validation). Plain SGD keeps the advice, a run of
    unknown optimizer keeps it only "if on plain SGD". Verdict, causes and evidence are unchanged."""
    name = optimizer_name(getattr(run, "meta", None) or {})
    kind = optimizer_kind(name)
    if kind is None:
        return d
    fitted = ("an adaptive optimizer (Adam) or a larger batch" if kind == "sgd" else
              f"a larger batch (already on {name}: lower {name}'s lr rather than change the optimizer)"
              if kind == "adaptive" else "a larger batch")
    for c in d.causes:
        c.actions = [fitted if a == BATCH_OR_ADAPTIVE else a for a in c.actions]
    return d


# stuck_at_init's first action where the steps threw the weights off their start (_stuck_by_the_step).
STEP_TOO_LARGE = Action("lower the learning rate (try 10x lower, not higher: the steps moved the weights the wrong way)",
                        LOWERS_LR)


def _passed_over(run: Run, f: Facts, metric: str | None) -> str | None:
    """The line saying why the held-out curve a run logs was not the one read: ``facts.choose_metric`` reads the
    training loss where validation was evaluated fewer than ``MIN_POINTS_FOR_VAL`` times against more training
    points (a Trainer checkpoint saved after 4 evaluations): the verdict is on a column the user would not expect."""
    from .facts import val_passed_over

    passed = val_passed_over(run) if metric is None and f.metric == "train_loss" else None
    if passed is None:
        return None
    held, n_held, n_train = passed
    ask = (f"; --metric {run.label(held)} (metric= in Python) reads it" if n_held >= MIN_POINTS_TO_DIAGNOSE
           else "")  # (fewer are refused as too short when asked for)
    return (f"read on {run.label('train_loss')}: {run.label(held)} was evaluated {n_held} times (under "
            f"{MIN_POINTS_FOR_VAL}) against {n_train} training points, too few to show its shape{ask}")


def diagnose_run(run: Run, metric: str | None = None, classes: int | None = None,
                 horizon: float | None = None, thresholds: Thresholds = DEFAULT,
                 forecast: bool = True, higher_is_better: bool | None = None) -> Diagnosis:
    """Diagnose one Run: the verdict, plateau X and every cause that fits, with evidence.

    Parameters
    ----------
    run : Run
    metric : str, optional
        Series to diagnose; default ``val_loss`` (when it has ≥ 5 points) else ``train_loss``.
    classes : int, optional
        Number of classes K, for the chance level 1/K (inferred from the log when possible).
    horizon : float, optional
        Forecast to this axis value and fill ``Diagnosis.forecast``. Default: the planned end the log
        states (``run.meta["planned_end"]``) where the run has not reached it, for the forecast quoted;
        else twice the logged length.
    forecast : bool, default True
        Forecast (to ``horizon``, or the planned end, or twice the logged length) to quantify still_improving
        and back converged (the rules read the forecast at twice the length, the yardstick their thresholds
        were set on); False skips it (about half the cost: callbacks at every epoch end).
    higher_is_better : bool, optional
        Is ``metric`` a score (accuracy, R², Dice, reward)? Default: from its name
        (:func:`losslens.facts.metric_direction`); a name that does not say is read as a loss,
        and the verdict's evidence says so.
    """
    # Absurd inputs (1e300, inf next to 0) overflow in intermediate sums; every rule compares
    # with NaN-safe tests, so the numerics may stay quiet and the answer still stands.
    with np.errstate(all="ignore"), shared():
        return _calibrate(_fit_optimizer(_diagnose(run, metric, classes, horizon, thresholds, forecast,
                                                   higher_is_better), run))


def _diagnose(run, metric, classes, horizon, thresholds, forecast, higher_is_better=None) -> Diagnosis:
    nonfinite = _never_finite(run, metric)
    if nonfinite is not None:
        return nonfinite
    # A validation that stopped while training went on: read on the part both cover (said first in the evidence).
    run, span = _validated_span(run, metric)
    # The run as diagnosed, plotted and reported: an absurd point left out (a gap, said in the evidence).
    run, notes = _glitches(run, metric, classes)
    if span:
        notes.insert(0, span)
    f = measure(run, metric=metric, classes=classes, higher_is_better=higher_is_better)
    t = thresholds
    # Where the logged lr was last cut to the rate it ends at: the forecast fits from there, and a curve that still
    # falls at that rate is not one an annealed lr froze (_moves_at_floor).
    f.lr_cut, f.lr_cut_ratio = _lr_cut(run)
    if forecast:
        # The outlook at twice the logged length is a fact the rules read ("will more epochs
        # pay?"); a user's own horizon is forecast separately below, for the report.
        f.forecast = _forecast(f, None)
        f.forecast_fit_alone = f.forecast.pop("fit_alone", None) if f.forecast else None
    # The end the log plans (a Trainer's max_steps, Keras' "Epoch 3/20") where the run has not got there: the
    # horizon of the forecast quoted, in place of twice the logged length. The rules read the forecast at twice
    # the length all the same, the yardstick their thresholds were set on; what their evidence quotes is the
    # forecast the report shows, so that one run does not read "15% more by step 95" beside "at step 75".
    planned = _planned(run, f) if horizon is None else None
    if forecast and (horizon is not None or planned is not None):
        # (Kept apart from f.forecast, which the rules read: a Keras fit of 60 epochs, flat-looking at epoch 9, read
        # converged on a forecast to 59 and still_improving on one to 18.)
        f.quoted_forecast = _forecast(f, horizon, run=run) if horizon is not None \
            else _forecast(f, planned[0], planned[1], run)
        if f.quoted_forecast:
            f.quoted_forecast.pop("fit_alone", None)
    causes: list[Cause] = []
    losses = _loss_facts(run, f, classes)
    # In verdict order: the first rule that fires names the verdict.
    for rule in (diverged, lr_zeroed, dead_from_start, stuck_at_init, collapsed, constant_guess, no_signal, data_limited_measured, unstable, peak_unstable,
                 first_epoch_thrown, relapsed, climbed_off_floor, overfitting,
                 bounced, unlearned, still_improving, peak_held, peak_bounced, peak_threw, blew_up, units_died,
                 peak_climbed, fits_nothing, lr_too_high, underfitting, jumped):
        cause = rule(losses if rule in (diverged, collapsed, relapsed, overfitting, bounced) and losses is not None
                     else f, t)
        if cause is not None:
            causes.append(cause)
    # A score diagnosed beside the losses gets overfitting off the losses; where the score itself did not fall beyond
    # its noise, that is the losses' reading, not the score's (_score_held): listed as possible after the score's own.
    held_score = _score_held(f, t, causes) if losses is not None else None
    if held_score is not None:
        causes.remove(held_score)
    prior = learned_prior(f, losses, t, causes)
    if isinstance(prior, PriorNote):
        causes[0].evidence.append(prior.evidence)
        causes[0].actions.insert(0, prior.action)
    elif prior is not None:
        # A model whose decisions on both sets are the majority's, at a loss no better than the class frequencies':
        # a bigger one memorises more of the same noise ("the model cannot fit the training data either" is the
        # labels' doing). Overfitting stays listed: validation did rise, and its early stop is still the best kept.
        causes = [prior] + [c for c in causes if c.id != "underfitting"]
    else:
        # Accuracy above 1/K from unequal classes alone, its loss never under ln K: labels without signal, whatever
        # weights the loss carries (weighted_chance). Overfitting stays listed: validation did rise.
        weighted = weighted_chance(f, losses, t, causes)
        if weighted is not None:
            causes = [weighted] + [c for c in causes if c.id != "underfitting"]
    _collapse_leads(causes)
    _strongest_reading(causes)
    _thrown_then_held(f, t, causes)
    causes = _thrown_after_best(f, t, causes)
    if not causes and _forecast_refutes_flat(f, t):
        refuted = still_improving(f, t, refuted=True)
        if refuted is not None:  # (None: an lr annealed to its floor, where the forecast's fall is not read)
            causes.append(refuted)
    if causes and causes[0].id == "stuck_at_init":
        causes[0] = _thrown_at_start(losses if losses is not None else f, causes[0])
    if any("uniform_guess" in c.numbers or "dead_layers" in c.numbers or "constant_guess" in c.numbers
           or "saturated" in c.numbers for c in causes):
        # Both curves back at ln K: training fits its own data no better than a guess, so nothing is being
        # memorised (no overfitting), and a model that had fitted it was not short of capacity (no underfitting).
        # So too a model whose first layer died: one prediction for every input memorises nothing, and a bigger
        # model dies alike; and one frozen on saturated outputs (collapsed's "saturated").
        causes = [c for c in causes if c.id not in ("overfitting", "underfitting")]
    if any("one_class_share" in c.numbers for c in causes):
        # A validation accuracy that answers one class at a time has its best at the majority's share, a constant
        # answer: no weights worth restoring there, and its fall is the answer flipping (the raw-feature
        # breast_cancer MLP's "best 0.625 at epoch 8, then fell", all benign; standardized it reaches 0.95).
        causes = [c for c in causes if c.id != "overfitting"]
    alike = next((c for c in causes if "decides_alike" in c.numbers or "train_idle" in c.numbers), None)
    if alike is not None:
        # A model giving every input one answer, having memorised nothing: the labels or dead units, which the
        # curves cannot tell apart (_decides_alike); the verdict stays underfitting's, no_signal listed after it.
        # So too both losses held at the untrained level (_fitted_nothing): labels without signal, or a model
        # that cannot represent it. Then nothing was memorised either: overfitting's rise from a best that never
        # got below training's start would restore the untrained model's weights (depth-1 trees on XOR: "the
        # best weights are from step 0"), so it is not listed; and with no underfitting read it stays listed.
        idle = "train_idle" in alike.numbers
        if idle:
            causes = [c for c in causes if c.id != "overfitting"]
        causes.remove(alike)
        # Beside a step shown broken (diverged, too high, never got going) the step explains it: not listed.
        if (idle or any(c.id == "underfitting" for c in causes)) and \
                not any(c.id in ("diverged", "lr_too_high", "stuck_at_init") for c in causes):
            causes.append(alike)
    guessing = any("constant_guess" in c.numbers for c in causes)
    if guessing:
        # Still falling toward a constant prediction's loss: more epochs (or a larger step) only get it closer
        # to predicting the class frequencies (SGD 0.01 on the unscaled inputs: 0.307 at 60 epochs, 0.234 at
        # 240, ROC AUC 0.495 at both; lr 0.001 reaches 0.080).
        causes = [c for c in causes if c.id != "still_improving"]
        if _falling(f, t):
            next(c for c in causes if "constant_guess" in c.numbers).evidence.append(
                f"{f.metric} still falls, toward that entropy: more epochs only bring it closer to a constant prediction")
    if losses is not None:
        _restore_by_metric(causes + ([held_score] if held_score is not None else []), f)
    _accuracy_climbs_on(run, f, t, causes)
    _accuracy_fell_first(run, f, t, causes)
    causes = _generalizing_late(run, f, t, causes)
    # A loss that climbed to many times its start is read by the rules below diverged as a curve like any
    # other: validation "rose" while training "held" (its share of an improvement it never made), a gap of
    # 1e35% "more data could close", "never moved from its start" of a loss at 1e34. Beside such a
    # blow-up only what explains one is listed: the step (lr_too_high), a measured learning curve (no
    # reading of this run), and stuck_at_init where the loss then held the level it jumped to (DeepOBS' VAEs
    # at SGD lr 0.1-0.25: 133.7 -> 157-184 in one epoch, then flat to within 1% of that climb for 99 epochs: it never learned).
    # (So is a loss thrown far above a fresh network's ln K by its first epoch, and never back: _thrown_at_start.)
    thrown = bool(causes) and _thrown(causes[0])
    # (So too a first epoch's blow-up that validation never came back from: first_epoch_thrown. Its overfitting
    # quoted "the best weights from epoch 0", the blow-up's own.)
    blown = bool(causes) and ((causes[0].id == "diverged" and (thrown or _blown_up(f, t)
                                                               or "grads_blown" in causes[0].numbers))
                              or "first_thrown_held" in causes[0].numbers)
    if blown:
        # (Blown before the first log, as the gradient norm shows (_grads_blown), the losses are the blow-up's
        # values from the first point: lr_too_high's bounces and spikes read off them are no evidence either.)
        grads = "grads_blown" in causes[0].numbers
        causes = [c for c in causes if c.id == "diverged" or (c.id == "lr_too_high" and not grads)
                  or "gain_if_doubled" in c.numbers
                  or (c.id == "stuck_at_init" and not thrown and not grads and _held_after_climb(f))]
    ids = {c.id for c in causes}
    # converged is the plateau nobody else explains: not added where a cause already does.
    # (A straight crawl down at a tiny step is no plateau, however little the horizon gains.)
    low = None if guessing else lr_too_low(f, t)
    high = "lr_too_high" in ids
    if high and low is not None and _paced_by_lr(low):
        low = None  # (a step shown too large at the peak is not also too small: the schedule's reading yields)
    # (Nor where both curves went back up after their best: "flat since X" is then at a level the run
    # left, not one it holds.)
    # (Nor where the run ended at a uniform guess after having learned: flat at ln K is a network knocked
    # back, whatever the lr did afterwards; "stop here" would keep a model that predicts the class frequencies.)
    # Each of those causes carries its mark among its numbers: relapsed's train_back (both curves back up),
    # its uniform_guess (a collapse to ln K, however little of training's gain that undid), early_blowup's
    # back_to_start, constant_guess's (a binary model that learned only the class prior), units_died's dead_layers
    # (flat because nothing of the inputs reaches the output: "stop here" keeps a dead network; so collapsed's
    # saturated, frozen on answers given with certainty), lr_zeroed's
    # lr_zero_from (the lr was 0 over the plateau: flat because nothing trained), _thrown_then_held's thrown_start
    # (flat where a step that threw the outputs out holds it: "stop here" keeps what the throw left). Their values are what was
    # measured, for whoever reads the JSON; only the key counts here.
    relapse = any(k in c.numbers for c in causes
                  for k in ("train_back", "uniform_guess", "back_to_start", "constant_guess", "dead_layers",
                            "lr_zero_from", "first_thrown_held", "thrown_start", "saturated"))
    # (Nor where the schedule annealed the lr away while the descent kept its pace per unit of lr: the flat
    # end is the schedule's, not a floor.)
    cut_short = low is not None and low.status == "likely" and _paced_by_lr(low)
    # (Nor where the last point jumped far off the best before it: a plateau cannot end on a point not yet back.)
    unsettled = any("jump_at_end" in c.numbers for c in causes)
    if not ids & {"diverged", "stuck_at_init", "still_improving", "overfitting", "no_signal"} \
            and not (low is not None and (_crawling(f, t) or cut_short)) and not relapse and not unsettled:
        nothing = _learned_nothing(f, t)
        crawl = stopped_mid_crawl(f, t)
        if crawl is not None:
            # (The patience ended a fit still going down its line: no floor reached, so not converged; a model too
            # small stays listed behind the step, as the crawl's own evidence says either can hold it.)
            causes.insert(0 if all(c.status != "likely" for c in causes) else len(causes), crawl)
            if nothing is not None:
                nothing.status, nothing.confidence = "possible", min(nothing.confidence, 0.5)
                causes.append(nothing)
        elif nothing is not None:
            causes.append(nothing)  # (flat where nothing was learned: no floor reached, so not converged)
        elif not any("one_class_share" in c.numbers for c in causes):
            # (Flat at one class's share, answered for every input: "stop here" keeps a constant answer.)
            causes.append(converged(f, t))
            # Signs of overfitting under the rule's size bars: listed beside converged, whose "flat" they contest.
            signs = held_score or overfitting_signs(losses if losses is not None else f, t)
            if signs is not None:
                causes[-1].confidence = min(causes[-1].confidence, t.overfit_contested)
                causes.append(signs)
                held_score = None
    if held_score is not None:
        causes.append(held_score)
    held = None if blown or high or low is not None or not causes or causes[0].id != "still_improving" \
        else held_at_a_guess(f, t)
    if held is not None:
        # Sat at a uniform guess at its full step, a tiny drop as the lr decayed: not "keep training" (twice the
        # epochs memorised), nor a step too small (10x sat at ln K too), nor a model too small (it fitted its
        # training data to 0.55 given the epochs).
        causes = [held] + [c for c in causes if c.id not in ("still_improving", "underfitting", "stuck_at_init")]
    if not blown:
        # (A loss near a guess beside a step shown too large -- it bounced, blew up, or fell only once the lr
        # annealed -- is that step's doing, not a schedule that ran a small step down too soon.)
        causes.extend(c for c in (low or (None if high or held else decayed_at_a_guess(f, t)), data_limited(f, causes),
                                  temporary_plateau(f, t)) if c)
    causes = _dedupe(causes)
    cycles = cycle_floor(f, t) if causes and causes[0].id in _CYCLE_READS else None
    if cycles is not None:
        # Under warm restarts the last cycle's descent, its flat start and a forecast fitted through the restart's
        # jump are the schedule's; the run is judged on what its cycles end at (cycle_floor).
        causes = [cycles] + [c for c in causes if c.id not in _CYCLE_READS]
    cut = mid_cycle(f, t) if cycles is None and causes and causes[0].id in _CYCLE_READS + ("overfitting",) else None
    if cut is not None:
        # Cut within a cycle: the last cycle's rise and partial descent are the restarted lr's, no plateau, pace nor
        # climb from the best point to read; its end is still to come. (A validation rise from a cycle end is the
        # restart's jump: sgdr150.csv cut at epochs 40-50 read overfitting "regularize", and its cycle ended at
        # 0.1030 against 0.1031 before; mid_cycle declines where the ends themselves climb.)
        causes = [cut] + [c for c in causes if c.id not in _CYCLE_READS + ("overfitting",)]
    if causes and "lr_zero_from" in causes[0].numbers:
        causes = [c for c in causes if c.id in _BEFORE_ZERO]
    # A repeat that the training loss contradicts (collapsed: outputs that still change) is not the reading to
    # act on; it stays listed, as possible, behind what the curve shows otherwise.
    if len(causes) > 1 and "constant_tail" in causes[0].numbers and causes[0].status == "possible":
        causes.append(causes.pop(0))
    # "Stop at X" is a claim about what more epochs buy: a metric the user logged beside the loss that kept
    # improving after X refutes it (a diffusion model's samples, its loss flat within the timesteps' noise).
    i = next((i for i, c in enumerate(causes) if c.id == "converged"), None)
    # ... and so does the metric itself, where its last quarter is too noisy to show a slow fall by a factor.
    # Converged listed behind underfitting says the same stop, read alike in its place; the verdict stays, the lever
    # the lead names (a weight decay of 1 held lightning_adamw_settings/wd1 at val_loss 0.494 where 1/100 of it
    # reached 0.271) being worth far more than the epochs: but those still paid, 0.4941 -> 0.4799 at twice the epochs
    # (-2.9%), not "stop once it is flat, at about epoch 33". Not behind lr_too_high: a fall since X under a step
    # that bounces is the bounce's (keras_walk39/lr_high1.8.csv, SGD 1.8: its line since X fell 27%, and at twice
    # the epochs its median of the last 3 was 2.6% higher, 0.1809 -> 0.1856; SGD 1.0 ended at 0.1076).
    own = _still_falling_since_x(f, t) if i is not None and (i == 0 or causes[0].id == "underfitting") \
        and "cycle_floor" not in causes[i].numbers else None
    memorised = None if own is None else _memorising_since_x(f, t, own)
    if memorised is not None:
        # The fall since X stays listed behind the stop: validation gained 6% more at twice the epochs from some
        # cuts of these runs, where the clean test loss did not (_memorising_since_x); only early stopping on
        # validation takes that gain without what memorising costs.
        causes[i].evidence.append(memorised)
        own.status, own.confidence = "possible", min(own.confidence, MEMORISING_FALL_CONF)
        own.actions = [f"to train on, train behind early stopping on {f.metric}, its best weights kept "
                       "(restore_best_weights): more epochs also memorise the training labels"]
        causes.append(own)
        own = None
    if own is not None:
        causes[i] = own
        i = None
    logged = None if i is None else _logged_metric_improves(run, f, t)
    if logged is None and i is not None:
        # ... and the validation accuracy logged beside it, read with its binomial noise (label smoothing: a loss
        # flat at the smoothing's floor while the answers still improve).
        logged = _accuracy_rose_after_x(run, f, t)
    if logged is not None and logged.id == "converged":  # (it flattened later: converged's stop moves there)
        causes[i].evidence.extend(logged.evidence)
        # (The accuracy's reading moves only a stop: a first action that already says train on -- the score's
        # forecast, a loss still falling at the end -- or stops later than where the accuracy flattened stays.)
        said = causes[i].actions[0]
        later = causes[i].numbers.get("flat_from", -math.inf) >= logged.numbers.get("logged_flat_from", math.inf)
        if "accuracy_rise" not in logged.numbers:
            causes[i].actions[0] = logged.actions[0]
        elif _of_kind(said, STOP_AT, STOP) and not later and ("logged_flat_from" in logged.numbers or f.metric != "val_acc"):
            causes[i].actions[0] = Action(str(logged.actions[0]), getattr(said, "kind", None))
            if "logged_flat_from" not in logged.numbers:
                # (The accuracy diagnosed itself, still climbing: its forecast words the advice, _score_train_on,
                # which says train on; an epoch count beside it would say stop.)
                causes[i].actions[1:] = _epoch_count_dropped(causes[i].actions[1:])
        causes[i].numbers.update(logged.numbers)
    elif logged is not None:
        causes[i] = logged
        # A bounce "around its floor" beside outputs that still improve steadily is not a run held at a floor
        # by its step: the loss's own estimate scatters (a loss drawn at random timesteps, augmentations, a
        # small validation set). The diffusion runs above: lr / 10 ended 5-7% higher and their samples' distance
        # 2.1-2.4x; lr x 10 lower on 2 of 3 seeds. The reading stays listed, as possible, behind the verdict.
        # So is a loss frozen at one value (collapsed's "constant outputs"): outputs that still improve a metric
        # changed, and the repeat is the log's few digits (a Keras notebook's val_loss printed as 0.0035 at its
        # last 6 epochs while val_mae fell 0.0554 -> 0.0469).
        for c in causes:
            if c.id == "lr_too_high" and ("oscillation" in c.numbers or "level_bounce" in c.numbers
                                          or "constant_tail" in c.numbers):
                c.status, c.confidence = "possible", min(c.confidence, 0.5)
                name = logged.numbers["logged_metric"]
                c.evidence.append(
                    f"but {name} still improves steadily (above): the model is not held at a floor; the bounce may "
                    "be the loss's own sampling noise (a loss drawn at random -- timesteps, augmentations -- or a "
                    "small validation set)" if "oscillation" in c.numbers or "level_bounce" in c.numbers else
                    f"but {name} still improves steadily (above): the outputs still change; the repeated value "
                    "may be the log's rounding")
        causes.remove(logged)
        causes.insert(0, logged)
    if causes and causes[0].id == "converged":
        # A squared error on class probabilities crawls near its targets long after its big gains: "flat" against an
        # improvement measured from (K - 1) / K^2 is no floor (_squared_error_crawls).
        crawl = _squared_error_crawls(run, f, t)
        if crawl is not None:
            causes[0].status, causes[0].confidence = "possible", min(causes[0].confidence, 0.5)
            causes.insert(0, crawl)
    # More specific readings of "still falling" and "flat": a near-straight slow descent is a
    # too-small step; a flat stretch the run later left was a temporary plateau.
    # (The flat stretch the run left is an observed event; a too-small step is an inference from
    # the tail, which the drop out of that stretch can mimic: the event wins, if the stretch is
    # long enough, >= 5 points, not to be a lull in the noise of a descent.)
    # (A descent the schedule cut short flattened with the lr, not at a capacity limit: "flattened at ≥ 40% of
    # ln K" then measures where the lr ran out, and 10x the peak lr is the check that tells.)
    # (So is a descent read as never having got going: "never moved far" measures how little lr-time the schedule
    # left it, and "not at a floor" is what the pace per unit of lr shows.)
    for specific, general in (("lr_too_low", "still_improving"), ("lr_too_low", "underfitting"),
                              ("lr_too_low", "stuck_at_init"), ("temporary_plateau", "converged"),
                              ("temporary_plateau", "still_improving"), ("temporary_plateau", "lr_too_low")):
        i = next((i for i, c in enumerate(causes) if c.id == specific and c.status == "likely"), None)
        if causes[0].id != general or i is None:
            continue
        if general in ("underfitting", "stuck_at_init") and not cut_short:
            continue
        if specific == "temporary_plateau" and causes[i].numbers.get("flat_points", 0) < 5:
            continue
        causes.insert(0, causes.pop(i))
    late = next((c for c in causes[1:] if "late_val_acc_rise" in c.numbers), None)
    if late is not None and causes[0].id == "lr_too_low":
        # A step too small for a model generalizing late is the same run read by its pace (at lr x 3 the modular
        # MLP of _generalizing_late reached validation accuracy 0.41 by epoch 1750, 0.019 at 1x): what the curves
        # show, and the stop not to make, go under the verdict too.
        causes[0].evidence[:0] = late.evidence[:2]
        causes[0].actions.insert(1, late.actions[1])
        late.evidence = late.evidence[2:]  # (said once, under the verdict)
    if causes[0].id == "stuck_at_init" and "lr_paced" in causes[0].numbers:
        # (Likewise a run that never left its start while its loss fell at the step's pace per unit of lr-time
        # (_annealed_descent): "flattened at ln K" measures the lr-time, not the model; hf_bert_lr_low at twice the
        # hidden size ended at the same 2.3026.)
        causes = [c for c in causes if c.id != "underfitting"]
    if cut_short and causes[0].id == "lr_too_low":
        # Flat because the schedule stopped stepping while the loss still fell at the step's pace: where it
        # flattened says nothing of what the model can fit, so no "a bigger model" (underfitting) beside it.
        causes = [c for c in causes if c.id != "underfitting"]
    # A bounce at a level a decoupled decay of 1 or more holds both curves at: a smaller step settles the bounce,
    # not the level (AdamW wd 1 on a digits MLP, fixture fresh_kinds2: lr / 10 ended 5% lower, 0.206 -> 0.196;
    # wd / 100 58% lower, 0.086). The decay reads first; the step stays listed, as possible. So does any decay taking
    # STRONG_SHRINK of each weight a step, whichever its kind (a weight_decay column, optimizer unknown): AdamW 1e-2 at
    # weight_decay 10 on a digits MLP bounced at 0.44-0.46 (torch_adamw_wd_high); lr / 10 from the plateau ended
    # 0.467 / 0.443, wd 1 from there 0.097 / 0.107.
    i = next((i for i, c in enumerate(causes) if c.id == "underfitting" and "penalty" in c.numbers
              and c.status == "likely"), None)
    reg = f.regularization
    if i is not None and causes[0].id == "lr_too_high" and ("oscillation" in causes[0].numbers
                                                           or "level_bounce" in causes[0].numbers) \
            and reg is not None and (reg.decoupled or (reg.shrink or 0.0) >= STRONG_SHRINK):
        causes[0].status, causes[0].confidence = "possible", min(causes[0].confidence, 0.5)
        causes[0].evidence.append(f"but {f.regularization.name} = {f.regularization.value:g} holds both curves level "
                                  "(above): a smaller step settles the bounce, not the level")
        causes.insert(0, causes.pop(i))
    elif reg is None and causes[0].id == "lr_too_high" and "oscillation" in causes[0].numbers \
            and not any(c.id == "underfitting" for c in causes):
        held = _held_beside_bounce(f, t)
        if held is not None:
            causes.append(held)
    _stuck_by_the_step(losses if losses is not None else f, t, causes)
    _layer_gradients(f, t, causes)
    # A level held only as long as the step takes to reach the next mode is no capacity limit (slow_start).
    if causes[0].id == "underfitting" and "level_rel" in causes[0].numbers \
            and not any(c.id == "lr_too_low" for c in causes):
        slow = slow_start(f, t)
        if slow is not None:
            causes.insert(0, slow)
    # Still falling, but near a uniform guess now and by the forecast at twice the length: how
    # far more epochs take it matters less than where it can get, and that is the model's size.
    # (Not over a likely lr_too_low: a tiny step keeps a big model near ln K just as well -- DeepOBS'
    # 3c3d on CIFAR-10 at SGD lr 1e-5 -- and a logged constant rate says which.)
    guess = None if any(c.id == "lr_too_low" and c.status == "likely" for c in causes) else _near_a_guess(f, t)
    i = next((i for i, c in enumerate(causes) if c.id == "underfitting" and c.status == "likely"), None)
    if guess is not None and i is not None and causes[0].id in ("still_improving", "lr_too_low", "temporary_plateau"):
        causes[i].evidence.append(guess)
        causes[i].confidence = max(causes[i].confidence, causes[0].confidence)
        causes.insert(0, causes.pop(i))

    rl = _rl_reward_read(run, f)
    if rl:
        causes = _rl_step(causes)
    solved = _solved(f, t)
    if solved is not None:
        causes = _read_solved(causes, f, solved, t)
    if f.adversarial is not None:
        causes = _read_adversarial(causes, f, t)
    if _boosted_trees(run):
        _booster_actions(causes)
    _trainer_keeps_best(run, f, causes)
    _already_stopped(run, f, causes)
    _next_after_stop(run, f, causes)
    _recurrent_or_not(run, causes)
    if causes[0].id == "diverged" and "nonfinite_from" in causes[0].numbers:
        # The loss turned NaN/inf for good: the weights are gone, and what the finite stretch before it
        # showed ("keep training: it is still improving", "raise the learning rate") would be advice for a
        # run that no longer exists (a NaN record at epoch 12 of a descent read "also likely: still_improving").
        causes = [causes[0]] + [c for c in causes[1:] if c.id not in _GONE_ON]
        before = _before_nonfinite(run, causes[0].numbers["nonfinite_from"])
        if before is not None:
            # Other series logged on past the NaN (accuracies of a network with NaN weights, at chance) would
            # be read as a run that lost its fit: CIFAR-10 at SGD 0.1, NaN from epoch 69, training accuracy
            # 0.886 -> 0.0996 read "also likely: underfitting (0.90): a regularization term outweighs the data
            # term". What else fits is read on the run as it was before the NaN.
            sub = _diagnose(before, metric, classes, None, thresholds, False, higher_is_better)
            causes = [causes[0]] + [_ended_before(c, f, causes[0].numbers["nonfinite_from"]) for c in sub.causes
                                    if c.id not in (*_GONE_ON, "diverged", "converged")]
        if f.n_points < 2:
            # One finite point, the loss before the first step: "never moved far from its initial value" is
            # true of a run that never had a step to move with, and "check the initialization" sends the
            # reader away from the step that broke it (DeepOBS' 3c3d at Adam lr 63: 3.591, then NaN at
            # epoch 1; 165 of the DeepOBS runs that ended in NaN read "also likely: stuck_at_init" so).
            causes = [c for c in causes if c.id != "stuck_at_init"]
    causes = _bent_over(f, t, causes)
    causes = _at_the_prior(run, f, losses, causes)
    causes = _at_the_baseline(run, f, causes)
    causes = _bounce_at_stated_floor(f, causes)
    causes = _errs_more_than_validation(causes)
    verdict = causes[0]
    if forecast:
        _forecast_at_prior(run, f, verdict, horizon, planned)
    _lr_ramped(run, f, verdict)
    _labels_or_depth(f, t, verdict)
    _grad_at_blowup(run, f, t, verdict)
    if not _columns_swapped(run, f, verdict, metric, classes, thresholds, higher_is_better):
        # (Validation below training is then the swap's doing: its causes are said above.)
        _val_below_train(f, t, verdict)
    _kl_warming(f, verdict)
    _memorised_noise(f, t, verdict)
    _prior_level_unstated(f, t, verdict)
    _nothing_carries_over(f, verdict)
    causes = _val_unlike_training(f, verdict, causes)
    causes = _under_chance_lead(f, t, causes)
    _majority_held(f, t, verdict)
    _unread_losses(run, f, verdict)
    _reinforcement(run, f, verdict, rl)
    _frozen_weights(run, verdict)
    _schedule_unseen(run, f, verdict)
    _schedule_over(f, t, causes)
    causes = _at_noise_floor(run, f, verdict, causes)
    _capacity_or_floor(f, t, verdict, causes, run)
    _train_errs_more(f, t, verdict, causes)
    _gap_is_the_level(f, verdict, causes)
    causes = _few_examples(f, verdict, causes)
    threw = peak_threw_fit(run, f, t, verdict, causes)
    if threw is not None:
        causes.append(threw)
    if f.direction_assumed:
        verdict.evidence.append(f"{f.metric} read as a loss (lower is better): its name does not say; if it is "
                                "a score, pass --higher-is-better (higher_is_better=True)")
    parts = (run.meta.get("loss_parts") or {}).get(f.metric)
    apart = _parts_apart(run, f, verdict, classes, t, forecast)
    if parts:
        # No total of this split was logged: the readers summed its parts (YOLO's box/cls/dfl, a
        # multi-task loop's per-task losses). Say so: the user's log has no column of that name.
        verdict.evidence.append(f"{f.metric} is the sum {' + '.join(parts)} (no total logged); "
                                + (apart or f"--metric {parts[0]} reads one of them alone"))
    else:
        heads = _head_losses(run, f.metric, t, apart)
        if heads:
            verdict.evidence.append(heads)
    rescaled = (run.meta.get("loss_from") or {}).get(f.metric)
    if rescaled:
        # No loss of this split was logged: the reader took the cross-entropy its perplexity or
        # bits-per-character column rescales. The user's log has no column of that name.
        verdict.evidence.append(f"{f.metric} is {rescaled}, the cross-entropy that column rescales (no loss logged); "
                                f"X and the forecast are read on it")
    # An absurd point left out, a NaN read as a gap: said, once, under the verdict.
    verdict.evidence.extend(notes)
    _callback_cuts(run, f, verdict)
    picked = run.default_note() if metric is None and f.metric == run.default_metric() else _passed_over(run, f, metric)
    if picked:
        # No loss nor accuracy logged, or several validation sets: the verdict is on a series the user did not
        # name; say which, first.
        verdict.evidence.insert(0, picked)
    # (The short run first: its line is said only where its cap lowers the verdict, which the small set's, the same
    # 0.5, would have done before it.)
    _short_run(f, causes)
    _small_validation(run, f, causes)
    rest = sorted(causes[1:], key=lambda c: -c.confidence)
    causes = [verdict] + rest
    _ranked_after(verdict, rest, rises=_higher(f))

    fc = None
    if planned is not None:
        verdict.evidence.append(_planned_line(run, f, planned))
    if run.meta.get("not_ended"):
        # The store says the run never ended, or ended cut (failed, killed): the verdict is on a curve cut short.
        verdict.evidence.append(run.meta["not_ended"])
    # (Not for one player of a GAN unasked: "training on gains 1%" of a discriminator's loss is no gain.)
    # (Nor for a run whose lr was 0 over its plateau: "training on gains 0%" at a rate of 0 is no outlook.)
    # (A log saved short of its planned end, a Trainer checkpoint at step 40 of max_steps 80, is forecast to that end
    # whatever the verdict: tests/test_planned_end.py's tiny BERT lost it once its config.json gave K = 2 and it read
    # underfitting near ln 2 rather than still_improving.)
    # (But not an overfitting one's, unasked: every family the forecast fits saturates downward, and fitted to a
    # validation loss past its minimum it said "0.2915 at step 480, -31%, P(gain > 1%) 71%" beside the verdict where
    # the run carried on rose 0.4661 -> 0.6148, tests/fixtures/ecosystem/hf_earlystop_rise.)
    if forecast and (horizon is not None or ((planned is not None and verdict.id != "overfitting"
                                              or verdict.id in ("still_improving", "lr_too_low", "converged"))
                                             and "adversarial" not in verdict.numbers
                                             and "lr_zero_from" not in verdict.numbers)):
        fc = f.forecast if horizon is None and planned is None else f.quoted_forecast
        if fc is not None and ("cycle_floor" in verdict.numbers or "mid_cycle" in verdict.numbers):
            # (A fit through the restarts' jumps forecast sgdr.csv -18% by epoch 138, P 80%, and turned "keep a
            # cycle end's weights" into "train on": its cycles ended within 0.5% of each other, and 150 epochs too.)
            verdict.evidence.append(f"the forecast (at {f.axis_name} {_n(fc['horizon'])}: {_n(fc['value'])}) is a fit "
                                    "through the restarts' jumps and is not read: the level to expect at the next "
                                    "cycle's end is the one the cycles ended at")
        elif fc is not None:
            _quote_forecast(verdict, fc, f, t)
            if planned is not None and not fc.get("reason"):
                schedule = _schedule_ahead(run, f, planned[0])
                if schedule:
                    verdict.evidence.append(schedule)
            if verdict.id == "lr_too_low" and _paced_by_lr(verdict) and not fc.get("reason"):
                verdict.evidence.append("(that forecast goes on at the annealed lr; the pace per unit of lr above is "
                                        "what a higher peak or a longer schedule would buy)")
    _forecast_for_listed(causes, fc, f, t, forecast, horizon, planned)
    _decay_ahead(run, f, verdict, planned)
    for c in causes:  # (converged listed behind underfitting or a step too high says the same stop: moved alike)
        _stop_in_decay(run, f, t, c)
        _stop_gives_up(run, f, t, c)
    _stopped_by_callback(run, f, causes)
    _no_validation(run, f, causes)
    _split_for_framework(run, causes)
    _staircase(f, causes)
    _batch_spike_note(f, t, causes)
    _unscaled_start(f, verdict)  # (after the rules that reword the first action: it goes before theirs)
    if run.axis_name != "epoch":
        # The rules word training's length in epochs; on a Trainer's or nanoGPT's step axis "see the forecast for
        # how many more epochs pay" beside "forecast at step 12000" names a unit the run is not counted in, and
        # "stretched (twice the epochs ...), not more steps at its end rate" named two in one sentence.
        for c in causes:
            c.evidence = [on_axis(e, run.axis_name) for e in c.evidence]
            c.actions = [on_axis(a, run.axis_name) for a in c.actions]
    _clipped_steps(run, verdict)
    causes = _fed_in_order(run, verdict, causes)
    if _open_ended(verdict, f, t) and verdict.id == "temporary_plateau":
        verdict.actions.insert(0, Action("keep training: the run left that flat stretch and is still "
                                         + ("rising" if _higher(f) else "falling"), TRAIN_ON))
    why: list = []
    plateau = plateau_of(verdict, run, f, t, why)
    if plateau is not None and "blowup" in why:
        verdict.evidence.append(f"X is {run.axis_name} {_n(plateau.epoch)}, the first point after the blow-up: the "
                                "fall from it is the outputs coming back to a guess, not learning")
    # A curve still falling has not plateaued (DESIGN: plateau_epoch null there); where it flattened and is
    # forecast to creep lower, the X it showed is kept as where it slowed: nanoGPT's validation loss,
    # still_improving at t = -17, read "plateau_epoch 1375" and "still improving | step 1250" (55 of 339 runs).
    slowdown = None
    if verdict.id in DESCENDING_VERDICTS:
        slowdown, plateau = plateau, None
    return Diagnosis(verdict=verdict.id, causes=causes, plateau=plateau, metric=f.metric, axis=run.axis_name,
                     length=len(run), run_name=run.name, source=run.source,
                     phases=verdict_phases(verdict, f, plateau, t), forecast=fc, facts=f,
                     run=run.named_as(f.metric, metric), slowdown=slowdown)


#: Verdicts that say the curve still falls: a stretch after X is a descent under way, not a plateau.
DESCENDING_VERDICTS = ("still_improving", "lr_too_low")


def verdict_phases(verdict: Cause, f: Facts, plateau: Plateau | None, t: Thresholds = DEFAULT) -> list[dict]:
    """The phases a diagnosis reports and its chart draws (``Diagnosis.phases``), named as ``verdict`` reads the
    curve; the facts' phases (``f.phases``) are named off the smooth alone.

    No ``plateau`` where the verdict gives no X or says the curve still falls (:data:`DESCENDING_VERDICTS`: a curve that
    flattened but is forecast to creep lower keeps its X, and its stretch after X is the slow descent still under
    way; nanoGPT's validation loss, still_improving at t = -17, was drawn "plateau" from step 1375). Under an
    ``overfitting`` verdict, a ``rising_validation`` phase from the minimum the verdict read (``val_min_epoch``) where
    the facts' stricter bar for a phase missed it (DeepOBS' F-MNIST, val 0.253 -> 0.46 after epoch 23, was drawn
    "plateau" to its end). Under a ``converged`` verdict that went on falling after X, the plateau starts where its
    advice says the curve is flat (``flat_from``); where X is the first point, the plateau is the whole run (up to a
    rising validation). Under a ``temporary_plateau`` whose saddle comes after X (a loss spanning decades), the
    plateau ends with the stretch and a slow descent runs to where the drop after it settled (:func:`_saddle_phases`).
    None at all for a run blown before its first log (``grads_blown``). New dicts; ``f.phases`` is left as it is."""
    if "grads_blown" in verdict.numbers:
        # (Blown before its first log: the smooth's "steep drop" and "slow descent" are the blow-up's values moving,
        # no stretch the run learned over, as a run never finite has none.)
        return []
    phases = [dict(p) for p in f.phases]
    flat = verdict.numbers.get("flat_from") if verdict.id == "converged" else None
    if plateau is None or verdict.id in DESCENDING_VERDICTS:
        phases = phases_without_x(phases)
    elif verdict.id == "stuck_at_init" and float(plateau.epoch) > float(f.x[0]):
        # Stuck at the class prior it fell onto (_arrived_at_prior): the fall to where it held is no plateau (the
        # facts' 95% point shaded a dead-unit MLP plateau from epoch 9, where X is 15).
        phases = phases_without_x(phases, until=float(plateau.epoch))
    elif flat is not None and math.isfinite(float(flat)):
        # A converged curve that went on falling after X, its advice "stop once it is flat, at about epoch 96": the
        # stretch from X to there is a slow descent, as the evidence says (DeepOBS' quadratic, "12% lower by epoch
        # 96" after X = 31, was drawn plateau from 31).
        phases = phases_without_x(phases, until=float(flat))
    elif f.x.shape[0] and float(plateau.epoch) == float(f.x[0]) and any(
            p.get("name") in ("steep_drop", "slow_descent") for p in phases):
        # X at the first point (a curve flat from it, plateau_of): no drop to draw before it. The smooth's stretches
        # named a linear model bouncing at SGD 0.7 from its first epoch one "steep drop" over its whole run.
        rising = [p for p in phases if p.get("name") == "rising_validation"]
        end = float(rising[0]["start"]) if rising else float(f.x[-1])
        phases = [{"name": "plateau", "start": float(f.x[0]), "end": end}] + rising
    elif _fell_from_blowup(verdict, f, plateau, t):
        # The way back from a blow-up is no drop the run learned (a "steep drop" drawn over SVHN WRN's 86 epochs at
        # 1e7-1e19): the plateau from X, nothing drawn before it.
        at = float(plateau.epoch)
        rising = [dict(p, start=max(float(p["start"]), at)) for p in phases if p.get("name") == "rising_validation"]
        end = float(rising[0]["start"]) if rising else float(f.x[-1])
        phases = ([{"name": "plateau", "start": at, "end": end}] if end > at else []) + rising
    elif verdict.id == "temporary_plateau" and "drop_end" in verdict.numbers \
            and float(plateau.epoch) < float(verdict.numbers["flat_end"]):
        phases = _saddle_phases(phases, float(verdict.numbers["flat_end"]), float(verdict.numbers["drop_end"]))
    lowest = verdict.numbers.get("val_min_epoch") if verdict.id == "overfitting" and verdict.status != "possible" \
        else None
    if lowest is not None and math.isfinite(float(lowest)) and f.x.shape[0] \
            and not any(p.get("name") == "rising_validation" for p in phases) and float(lowest) < float(f.x[-1]):
        lowest = float(lowest)
        phases = [dict(p, end=min(float(p["end"]), lowest)) for p in phases if float(p["start"]) < lowest]
        phases.append({"name": "rising_validation", "start": lowest, "end": float(f.x[-1])})
    if ("cycle_floor" in verdict.numbers or "mid_cycle" in verdict.numbers) and f.cycles is not None:
        phases = _cycle_phases(phases, f)
    return phases


def _cycle_phases(phases: list[dict], f: Facts) -> list[dict]:
    """``phases`` up to a warm-restart schedule's first restart, then one ``restart_cycle`` band per cycle (the
    restart's jump and the annealing that takes it back down), the last to the run's end. Read off the smooth, a
    cycle's jump and fall were a "plateau" from the first cycle on (sgdr.csv: 25-69) or a "rising validation" from
    its end (sgdr150.csv cut at 50: 28-49), where the cycles ended at one level."""
    bounds = [float(r) for r in f.cycles.restarts] + [float(f.x[-1])]
    out = [dict(p, end=min(float(p["end"]), bounds[0])) for p in phases if float(p["start"]) < bounds[0]]
    out += [{"name": "restart_cycle", "start": a, "end": b} for a, b in zip(bounds, bounds[1:]) if b > a]
    return out


def _saddle_phases(phases: list[dict], flat_end: float, drop_end: float) -> list[dict]:
    """``phases`` with their ``plateau`` from X split where a loss spanning decades left a later saddle: plateau to the
    stretch's end ``flat_end``, ``slow_descent`` (a few % of the whole improvement, however far on the log scale) to
    where that drop settled, ``drop_end`` (DESIGN's 95% point of the curve after the stretch), plateau from there (axis
    values). The deep linear net was drawn one plateau from X = 67 to 599 over its fall from 0.021 to 0.0025, which its
    evidence names. New dicts."""
    out: list[dict] = []
    for p in phases:
        p = dict(p)
        if p.get("name") != "plateau" or not float(p["start"]) < flat_end < float(p["end"]):
            out.append(p)
            continue
        end = float(p["end"])
        out.append(dict(p, end=flat_end))
        out.append({"name": "slow_descent", "start": flat_end, "end": min(drop_end, end)})
        if drop_end < end:
            out.append(dict(p, start=drop_end))
    return out


#: Names a recurrent layer or model goes by (a layer's gradient norm, ``grad_norm/lstm.weight_hh_l0``; a Trainer's
#: ``architectures``, ``model_type``), as whole words of the name.
_RECURRENT = re.compile(r"(?:^|[^a-z])(?:rnn|lstm|gru|simplernn|recurrent)(?:[^a-z]|$)|(?:rnn|lstm|gru)(?:for|model|cell)",
                        re.IGNORECASE)


def _recurrent_or_not(run: Run, causes: list[Cause]) -> None:
    """no_signal's "labels right? ... a recurrent net over long sequences loses the gradient" is said as a fact only
    where the run names a recurrent layer or model (its layers' gradient norms, a Trainer's saved model type); else
    it stays a condition ("if it is a recurrent net ..."): the article's conv net on random images was told "a
    recurrent net over long sequences loses the gradient"."""
    names = [k for k in run.series if k.startswith("grad_norm/")]
    settings = run.meta.get("trainer_settings") if isinstance(run.meta.get("trainer_settings"), dict) else {}
    names += [str(v) for v in (run.meta.get("model"), settings.get("architectures"), settings.get("model_type")) if v]
    if not any(_RECURRENT.search(n) for n in names):
        return
    for c in causes:
        c.actions = [_reword(a, "if it is a recurrent net over long sequences, it loses",
                             "this recurrent net, over long sequences, loses") for a in c.actions]


def _ended_before(cause: Cause, f: Facts, at: float) -> Cause:
    """``cause``, read on the run cut before ``at`` (where its loss turned NaN/inf for good), with data_limited's
    "validation ends" said as where it was read: the last finite point (a run whose validation was NaN from epoch
    20 of 30 read "validation ends 0.6 above training")."""
    lead = "validation ends "
    if cause.id != "data_limited" or not cause.evidence or not _of_kind(cause.evidence[0], VAL_ENDS) \
            or f.divergence is None or f.divergence.nonfinite_from != at:
        return cause  # (training's loss turned NaN, validation's not: validation's end is its own)
    last = f"validation's last finite value ({f.axis_name} {_n(_last_before(f.x, at))}; NaN/inf from " \
           f"{f.axis_name} {_n(at)}) sits "
    cause.evidence = [last + cause.evidence[0][len(lead):], *cause.evidence[1:]]
    return cause


def _last_before(x: np.ndarray, at: float) -> float:
    """The last of the axis values ``x`` (shape (n,), increasing) before ``at``; ``at`` itself where none is."""
    before = x[x < at]
    return float(before[-1]) if before.size else float(at)


def _before_nonfinite(run: Run, at: float) -> Run | None:
    """``run`` cut before axis value ``at``, where its loss turned NaN/inf for good, or None where no series
    has a finite value from ``at`` on (nothing logged past it to mislead) or fewer than 5 points precede it."""
    k = int(np.searchsorted(run.axis, at, side="left"))
    if k < 5 or not any(np.isfinite(np.asarray(v, dtype=float)[k:]).any() for v in run.series.values()):
        return None
    return run.head(k)


def _validated_span(run: Run, metric: str | None) -> tuple[Run, str | None]:
    """``run`` cut after the last point of its validation series where that series (the metric read) stopped being
    logged (``meta["logged_until"]``: a list cut short, blank to the end) while training's loss went on for longer
    than one of validation's own intervals, with the line that says so; else ``(run, None)``.

    Read whole, such a run set validation's last value beside training's last: a digits MLP under a grad clip of
    1e-3 whose Monitor JSON lost val_loss after 14 of 60 epochs read "underfitting, a bigger model" off training at
    1.934 at epoch 59 against validation from epoch 13 (tests/fixtures/ecosystem/val_stops_early). Its 14 epochs
    logged alone read still_improving, as they do cut here. A validation that ends within its own interval of
    training's end (Keras' validation_freq, a Trainer's eval_steps, a fit killed in its last epoch) is its rhythm,
    read whole as before."""
    try:
        m = choose_metric(run, metric)
    except LosslensError:
        return run, None  # (measure says it)
    until = (run.meta.get("logged_until") or {}).get(m)
    train = run.series.get("train_loss")
    if until is None or not is_validation(m) or train is None:
        return run, None
    xv, _ = run.finite(m)
    ok = np.isfinite(train)
    after = run.axis[ok & (run.axis > until)]
    if xv.size < MIN_POINTS_TO_DIAGNOSE or not after.size or xv[-1] > until:
        # (a mark the series outlasts is not this run's: a join drops such a part's mark, Run.followed_by, but a
        # Run built by hand with another's meta may carry one, as hf_tb_resume's joined run did, "until step 20"
        # beside checks to step 80)
        return run, None
    rhythm = float(np.diff(xv).max()) if xv.size > 1 else 0.0
    if after[-1] - until <= rhythm:
        return run, None
    k = int(np.searchsorted(run.axis, until, side="right"))
    cut = run.head(k)
    xt, yt = run.axis[ok], train[ok]
    at = yt[xt <= until]
    went = f" ({cut.label('train_loss')} {at[-1]:.4g} there, {yt[-1]:.4g} at its end)" if at.size else ""
    ax = run.axis_name
    line = (f"{run.label(m)} stops at {ax} {_n(until)}, while training goes on to {ax} {_n(float(after[-1]))}"
            f"{went}: read up to {ax} {_n(until)}, the part both cover; log validation to the end to read the rest")
    return cut, line


def _callback_cuts(run: Run, f: Facts, verdict: Cause) -> None:
    """The lr cuts a losslens callback made (``reduce_lr_on``: ``run.meta["actions"]``, ``lower_lr`` entries, as its
    save keeps them and the live run carries them), said second under the verdict with where the metric went after:
    a curve read after a cut is another run from there, and a verdict about the step must not read as if the
    step had never changed (the walk's Monitor cut SGD 2 -> 0.2 at epoch 19 and no report said so). After units
    that had died (:func:`units_died`) the cut is said to be too late: no gradient reaches them."""
    acts = run.meta.get("actions") if isinstance(run.meta, dict) else None
    ax = run.axis_name
    cuts = []
    for a in acts if isinstance(acts, list) else ():
        if not isinstance(a, dict) or a.get("action") != "lower_lr":
            continue
        at, lr, new = (a.get(k) for k in (ax, "lr", "new_lr"))
        if all(isinstance(v, (int, float)) and math.isfinite(v) for v in (at, lr, new)):
            cause = a.get("cause")
            cuts.append((float(at), float(lr), float(new), f" ({cause})" if isinstance(cause, str) and cause else ""))
    if not cuts:
        return
    said = ", ".join(f"{lr:.3g} -> {new:.3g} at {ax} {_n(at)}{why}" for at, lr, new, why in cuts)
    line = f"the losslens callback lowered the learning rate {said}"
    first = cuts[0][0]
    ok = np.isfinite(f.y)
    before, after = f.y[ok & (f.x <= first)], f.y[ok & (f.x > first)]
    if before.shape[0] and after.shape[0]:
        line += (f": {f.metric} {float(median(before[-3:])):.4g} over the {min(3, before.shape[0])} {ax}s before "
                 f"{'it' if len(cuts) == 1 else 'the first'}, {float(median(after[-3:])):.4g} over the last "
                 f"{min(3, after.shape[0])}")
    elif before.shape[0]:
        line += ": the run ended there"
    if "dead_layers" in verdict.numbers and verdict.numbers["died_at"] <= first:
        line += (f"; the units had died at {ax} {_n(verdict.numbers['died_at'])}, before it: a lower rate cannot "
                 "revive them")
    _own_cut_not_a_schedule(f, verdict, cuts)
    verdict.evidence.insert(min(1, len(verdict.evidence)), line)
    verdict.numbers["callback_lr_cuts"] = len(cuts)


def _own_cut_not_a_schedule(f: Facts, verdict: Cause, cuts: list) -> None:
    """Where the first lr drop :func:`peak_unstable` read as "the schedule's cut" is the callback's own (the
    first point logged after one of ``cuts``, ``(axis, lr, new lr, why)``), its evidence says losslens lowered it:
    a torch Monitor's report on a run at a constant 0.5 read "until the schedule cut it at epoch 7: a step too
    large, which the schedule's later cuts hid" of the cut it made itself at epoch 6."""
    peak_cut = verdict.numbers.get("peak_cut")
    if peak_cut is None or not verdict.evidence:
        return
    ax = f.axis_name
    for at, *_ in cuts:
        later = f.x[f.x > at]
        if later.shape[0] and float(later[0]) == peak_cut:
            old = f" until the schedule cut it at {ax} {_n(peak_cut)}: a step too large, which the schedule's later cuts hid"
            new = f" until losslens lowered it at {ax} {_n(at)}: a step too large"
            verdict.evidence[0] = verdict.evidence[0].replace(old, new)
            return


def _open_ended(cause: Cause, f: Facts, t: Thresholds) -> bool:
    """Whether ``cause`` reads a curve with no plateau yet: still falling or crawling under a verdict that says
    so (lr_too_low, still_improving, a constant guess's slow fall, a temporary plateau the run left falling)."""
    return (cause.id in ("lr_too_low", "still_improving") or "constant_guess" in cause.numbers
            or (cause.id == "temporary_plateau" and f.trend.tail_drop >= t.still_falling_share)) \
        and (_falling(f, t) or _crawling(f, t))


def plateau_of(cause: Cause, run: Run, f: Facts, t: Thresholds = DEFAULT, why: list | None = None) -> Plateau | None:
    """The plateau (X, its interval, its level) a diagnosis reports with ``cause`` as its verdict, read on the
    run's facts ``f``; None where that reading has no X. The verdict decides it because X means a different
    point per cause (benchmarks.rerank_eval asks it of every listed cause). ``why``: a list that gets
    ``"blowup"`` where X was placed after a blow-up (:func:`_back_from_blowup`), for the evidence to say so."""
    # A curve still falling has no plateau yet; one that flattened but is forecast to creep
    # lower (still_improving / lr_too_low by the forecast alone) keeps the X it showed (the diagnosis
    # reports it as slowdown_epoch, plateau_epoch null: not plateaued). A diverged curve's X
    # is where it flattened before it blew up (L* is its best, as for an overfitting curve), if it
    # improved beyond its noise first; a stuck curve, and a diverged one that never improved beyond
    # its noise, sat at its start from the first point (L* ≈ L(0): DESIGN's X is the first epoch),
    # and so did any other plateaued curve flat from its first point.
    # (A temporary plateau is named for the flat stretch the run left; where the run is still falling fast after
    # it -- a CNN behind augmentation layers, flat for its first 6 epochs, its last quarter 21% of the improvement
    # -- "plateau at epoch 35" was the 95% point of a drop still under way: 40 more epochs went 34% lower.)
    pl = f.plateau
    open_ended = _open_ended(cause, f, t)
    x0 = float(f.x[0])
    at_start = Plateau(x0, (x0, x0), float(f.smoothed[0]))
    improved = pl.index is not None and pl.improvement > t.stuck_noise * f.noise
    if cause.id == "overfitting" and f.generalization is not None and _flat_after_first(f, t) and not open_ended \
            and f.generalization.val_best < float(f.y[0]) - t.stuck_noise * f.noise:
        # The smooth flattened a narrow minimum the raw points show beyond their noise: X is the minimum, where the
        # evidence's best weights are. A tiny BERT on 128 examples, validation 0.692 -> 0.630 (4.9 noise sds) at step
        # 32 and up to 1.9, its smooth 0.663 there: "plateau at step 8 [8, 8]" beside "the best weights are from
        # step 32", where the live report, 7 checks in, said 32.
        g = f.generalization
        return Plateau(g.val_min_epoch, (g.val_min_epoch, g.val_min_epoch), g.val_min)
    if "grads_blown" in cause.numbers:
        # Blown before the first log: every point is the blow-up's value, so there is no level the run sat at to
        # date, as for a run whose losses were never finite (hf_grads_blown/blown was "X = 19 [19, 19]", its whole
        # run shaded plateau, beside evidence saying its losses are "not a curve to read a plateau on").
        return None
    if "mid_cycle" in cause.numbers:
        # Cut within a warm-restart cycle: where the curve slowed is the first cycle's annealing, and the cycle
        # the run is in has not reached its low (sgdr.csv cut at 33 read "flattened at epoch 6").
        return None
    if cause.id == "stuck_at_init" and "constant_answer" in cause.numbers:
        arrived = _arrived_at_prior(f, t)
        if arrived is not None:
            return arrived
    if cause.id == "stuck_at_init" and "train_over_baseline" in cause.numbers and pl.index is not None:
        # (Fell, then held above a constant's loss: _above_the_baseline. It did not sit at its start, which fell
        # 11641 -> 493 in one epoch; X is where that fall ended.)
        return Plateau(pl.epoch, pl.interval_later(), pl.level)
    if cause.id == "stuck_at_init" or _thrown(cause) \
            or (_flat_after_first(f, t) and not open_ended and cause.id != "diverged"):
        return at_start  # (thrown off its start before its first point and held there: it sat from the first)
    if cause.id == "diverged":
        if pl.floor_index < f.n_points - 1:
            before = _before_blowup(run, f, t)
            if before is not None:
                pl, improved = before
            return Plateau(pl.epoch, pl.interval_later(), pl.level) if improved else at_start
        return None
    if "jump_at_end" in cause.numbers:
        return None  # (the last point jumped off the best and is not back: no level to date a plateau by)
    if "cycle_floor_at" in cause.numbers:  # (X read on the cycle ends: cycle_floor)
        x = cause.numbers["cycle_floor_at"]
        return Plateau(x, (x, x), cause.numbers["cycle_floor"])
    back = _back_from_blowup(cause, f, t)
    if back is not None:
        if why is not None:
            why.append("blowup")
        return back
    if pl.index is not None and not open_ended:
        return Plateau(pl.epoch, pl.interval_later(), pl.level)
    if cause.id == "overfitting" and f.generalization is not None:
        # Validation turned up before its smoothed curve improved at all: X is the minimum itself.
        g = f.generalization
        return Plateau(g.val_min_epoch, (g.val_min_epoch, g.val_min_epoch), g.val_min)
    return None


def _arrived_at_prior(f: Facts, t: Thresholds = DEFAULT) -> Plateau | None:
    """X of a curve read stuck at the class frequencies' loss (:func:`_at_the_prior`'s ``stuck_at_init``, one answer
    for every input) that fell onto that level and held it: the first point within ``stuck_noise`` noise sds of the
    level it held (the median of its last quarter), its level the median from there; None where the curve never
    came down to it that way (it sat there from its first point, or the points from there on still fall beyond
    their noise: still on its way to the floor, as Keras' dead units at its default step, 0.68 -> 0.41 against
    0.325 in 50 epochs, keep their first point).

    A stuck run's X is its first point where the curve never moved; this one moved, onto the prior: a torch MLP
    whose every ReLU unit is dead (tests/fixtures/ecosystem/prior_level/mc_dead.csv) fell 0.686 -> 0.2829 by epoch
    15 as its output bias fitted the 92/8 class frequencies, held 0.2819-0.2829 to epoch 59, and read "plateau at
    epoch 0 [0, 0]". Not the facts' X (epoch 9, 95% of the fall: 0.2986, 55 noise sds above where it held, and
    the points after it still fall beyond their noise)."""
    y = _sign(f) * f.y
    if y.shape[0] < 8 or not f.noise > 0:
        return None
    near = np.flatnonzero(y <= tail_median(y) + t.stuck_noise * f.noise)
    if not near.size or near[0] == 0 or not _made_no_fall(f.x[near[0]:], y[near[0]:], f.noise, t):
        return None
    x = float(f.x[near[0]])
    return Plateau(x, (x, x), float(median(f.y[near[0]:])))


def _back_from_blowup(cause: Cause, f: Facts, t: Thresholds = DEFAULT) -> Plateau | None:
    """X of a curve that learned nothing after its first steps threw the outputs out, where the facts' X is
    elsewhere: at :func:`_blowup_return`, with its level the median from there (a smooth at X reaches back into the
    fall); None where that reading does not hold or the facts' X is that point already. The fall from the
    blow-up is the outputs coming back to a guess, no learning: read as a drop, the 95% point of it and of the
    noise after it put X at epoch 13 [9, 35] on a validation loss at ln 10 from epoch 1, a BatchNorm CNN at SGD 3
    whose training loss was 1.5e22 at epoch 0 (tests/fixtures/ecosystem/torch_walk39c/bn_high3.csv)."""
    i = _blowup_return(cause, f, t)
    if i is None or i == f.plateau.index:
        return None
    x = float(f.x[i])
    return Plateau(x, (x, x), float(median(f.y[i:])))


def _blowup_return(cause: Cause, f: Facts, t: Thresholds = DEFAULT) -> int | None:
    """Under :func:`constant_guess`'s reading, the index of the first point of the diagnosed curve at or after the
    first training loss back under that rule's bar (``blown_start`` x where validation ends, at least ln 2): where
    the fall from the blow-up ended. None under any other reading, or where the curve still fell from there beyond
    its noise: one still falling is learning something (the class prior, at SGD 0.01 on torch_imbalanced_prior:
    val 0.66 -> 0.31 over 60 epochs), which the facts' X dates."""
    if "constant_guess" not in cause.numbers or "train_start" not in cause.numbers or f.train_y is None \
            or f.train_x is None or not f.x.shape[0]:
        return None
    tail = float(median(f.y[-max(2, f.y.shape[0] // 4):]))
    back = np.flatnonzero(f.train_y < t.blown_start * max(math.log(2), tail))
    if not back.size:
        return None
    i = int(np.searchsorted(f.x, f.train_x[back[0]], side="left"))
    if i >= f.x.shape[0] or not _made_no_fall(f.x[i:], f.y[i:], noise_sigma(f.y[i:]), t):
        return None
    return i


def _fell_from_blowup(verdict: Cause, f: Facts, plateau: Plateau | None, t: Thresholds = DEFAULT) -> bool:
    """Is the only fall before X the curve's way back from a blow-up? X placed after it by
    :func:`_back_from_blowup`, or, under :func:`blew_up`'s reading, the diagnosed curve's last point above its start
    before X within a smoothing window of X (DeepOBS' SVHN WRN at momentum 1.6: 2.78, then 4e7 ... 2e19 over epochs
    1-86, 11.3 at 89, 2.46 at 90, X = 92). Drawn as a "steep drop", the blow-up read as learning. ``t``: the
    thresholds :func:`plateau_of` placed X with, so that the return it finds is the one X was put at."""
    if plateau is None or not f.x.shape[0] or plateau.epoch is None:
        return False
    i = _blowup_return(verdict, f, t)
    if i is not None:
        return float(f.x[i]) == float(plateau.epoch)
    if "peak_epoch" not in verdict.numbers:
        return False
    i = int(np.searchsorted(f.x, float(plateau.epoch), side="left"))
    y = _sign(f) * f.y[:i]
    up = np.flatnonzero(y > y[0]) if y.shape[0] else y
    return bool(up.shape[0]) and i - (int(up[-1]) + 1) <= window_for(f.n_points)


def _before_blowup(run: Run, f: Facts, t: Thresholds):
    """``(plateau facts, improved beyond its noise)`` of the stretch a diverged curve logged before it blew
    up, the points before the first that climbed above its start, or None where none did. Read on the whole
    curve, the climb's swings count as its noise: a torch MLP on diabetes under an lr growing 35% an epoch
    fell 0.73 -> 0.47 over epochs 1-5, swung to 6.9 and was NaN from 13, and read "plateau at epoch 1
    [1, 1]" (a fall of 0.26 against 3 x a noise of 0.25; 0.024 before the swings)."""
    pl = f.plateau
    above = np.flatnonzero(f.y[1:] > pl.start)
    end = 1 + int(above[0]) if above.size else f.n_points
    if end >= f.n_points or end < 3:
        return None
    x, y = f.x[:end], f.y[:end]
    before = plateau_onset(x, y, batch=batch_loss(run.axis_name, f.metric))
    if before.index is None:
        return None
    # A smooth of 3 follows a V of a few points, so their noise reads small: the fall must span ≥ MIN_TAIL_POINTS
    # points to its best. (SGD 0.3 on moons, the benchmark's gen/high_moons/seed4, dipped 0.34 -> 0.27 -> 0.19 and
    # drifted up from there: one deep point, kept as a curve that sat at its start.)
    fell = before.floor_index + 1 >= MIN_TAIL_POINTS
    return before, fell and before.improvement > t.stuck_noise * noise_sigma(y)


# A point this many times the spread of the rest away from their median is no training value (1e300
# among losses of 0.01 to 2: a logging glitch, a float64 overflow). A real blow-up the run came back from
# reaches far less (Keras' handson-ml2 regression at a too-high rate: 8e9 among 0.8-1.4, 1e10 spreads),
# and the unstable / blew_up / lr_too_high rules read those.
GLITCH_SPREADS = 1e12
# ... and only where the rest of the run is tame: no other point beyond this many interquartile ranges (a run that
# blew up to 5e10 and to 6e29 is wild, not glitched: DeepOBS' SVHN WRN at Adam lr 1).
TAME_SPREADS = 1e3
#: ... the interquartile range those spreads count in, floored at this share of the median (a run whose middle half
#: sits at one value has no range to count in). Set with GLITCH_SPREADS in 2a1dbc9; no measurement recorded.
TAME_IQR_FLOOR = 1e-3
#: NaN/inf points inside a run (after its first finite value) on at most this share of its points (and at least
#: one) are gaps in the log, said once; more is the run's own state. Set in 2a1dbc9 ("a NaN/inf inside the run
#: (<=10% of points) is said once"); no measurement recorded.
NONFINITE_GAP_SHARE = 0.1


def _blew_up_there(run: Run, y: np.ndarray, absurd: np.ndarray, classes: int | None) -> np.ndarray:
    """Which of a loss's absurd points (``absurd``, a mask over ``y``) the run shows were a real blow-up, no logging
    glitch: the gradient norm logged at the same row is far out too (≥ ``TAME_SPREADS`` x the median of its other
    finite points, or inf: a logging error does not reach the gradient), or the point is the run's first and the
    rest of the series ends at a uniform guess's ln K (within 5%; K given, else the K of that end's own ln where a
    logged accuracy ends within 0.3/K of 1/K): an untrained classifier starts near ln K, so a start orders of
    magnitude above it that lands at ln K is the first steps throwing the outputs out (the thrown start
    :func:`_thrown_to_a_guess` reads), which the glitch reading hid. A BatchNorm CNN on digits at SGD 3.0
    (tests/fixtures/ecosystem/torch_walk39c/bn_high3.csv): epoch 0's training loss 1.5e22 at a gradient norm 5e17,
    then 2.33 ≈ ln 10 with accuracies ~0.1 for 39 epochs, read "a glitch ... left out" and underfitting, "a bigger
    model"; at SGD 0.3 the same model reaches val 0.04, accuracy 0.99."""
    real = np.zeros_like(absurd)
    for i in np.flatnonzero(absurd):
        real[i] = _grad_far_out(run, y, i) is not None
    ok = np.isfinite(y) & ~absurd
    first = int(np.flatnonzero(np.isfinite(y))[0])
    if absurd[first] and not real[first] and ok.sum() >= 4:
        rest = y[ok]
        end = float(median(rest[-max(2, rest.shape[0] // 4):]))
        if math.log(2) * (1 - NEAR_LN_K) < end < 50:  # a level some ln K (K >= 2) is within NEAR_LN_K of
            ks = [classes] if classes else []
            if not classes:
                accs = [a for a in (run.series.get(n) for n in ("val_acc", "train_acc")) if a is not None]
                k = int(round(math.exp(end)))
                for a in accs:
                    a = np.asarray(a, dtype=float)
                    a = a[np.isfinite(a)]
                    if k >= 2 and a.shape[0] >= 4 and \
                            abs(float(median(a[-max(2, a.shape[0] // 4):])) - 1 / k) <= ACC_AT_GUESS / k:
                        ks = [k]
                        break
            real[first] = any(k >= 2 and abs(end - math.log(k)) <= NEAR_LN_K * math.log(k) for k in ks)
    return real


def _grad_far_out(run: Run, y: np.ndarray, i: int) -> tuple[float, float] | None:
    """(the gradient norm logged at row ``i``, the median of its other finite points) where that norm is inf or
    ≥ ``TAME_SPREADS`` x the median (≥ 3 other points); None where it is not, or no gradient norm is logged on
    ``y``'s rows."""
    g = run.series.get("grad_norm")
    if g is None:
        return None
    g = np.asarray(g, dtype=float)
    if g.shape != y.shape or np.isnan(g[i]):
        return None
    rest = np.delete(g, i)
    rest = rest[np.isfinite(rest)]
    if rest.shape[0] < 3:
        return None
    med = float(median(np.abs(rest)))
    return (float(g[i]), med) if g[i] == np.inf or g[i] > TAME_SPREADS * med else None


def _trainer_steps(run: Run) -> bool:
    """``run`` is a Transformers Trainer's own log on its optimizer steps: its ``trainer_state.json``, or its
    TensorBoard event file, which the reader puts on the same steps (``readers.huggingface.trainer_log``)."""
    from .readers.huggingface import trainer_log

    return trainer_log(run) is not None


def _evaluation_only(run: Run) -> np.ndarray:
    """Rows where a training series is NaN because only an evaluation was logged there (its values and
    the epoch, nothing of training's: no lr, no gradient norm): not logged, no NaN. A Trainer evaluating at a
    step that is no logging step (the end of a run resumed with more epochs, step 64 of logging_steps=5) read
    "train_loss is NaN at step 64, read as a gap"; a NaN loss the Trainer logged comes with its lr. Only in a
    trainer_state.json, whose records each hold what was logged at that moment, or its TensorBoard event file (the
    same records, a tag each): a table's row with a NaN loss beside its validation loss (Keras' CSVLogger) is a NaN
    logged."""
    if not _trainer_steps(run):
        return np.zeros(len(run.axis), dtype=bool)
    training, evaluation = np.zeros(len(run.axis), dtype=bool), np.zeros(len(run.axis), dtype=bool)
    for name, values in run.series.items():
        if name in ("epoch", "epoch_frac"):
            continue
        try:
            present = np.isfinite(np.asarray(values, dtype=float))
        except (TypeError, ValueError):
            continue
        if is_validation(name):
            evaluation |= present
        else:
            training |= present
    return evaluation & ~training


def _glitches(run: Run, metric: str | None, classes: int | None = None) -> tuple[Run, list[str]]:
    """``run`` with absurd isolated points of its losses left out (NaN), and one line of evidence per
    series for them and for the NaN/inf points inside the run that are read as gaps.

    A point is absurd when it lies more than ``GLITCH_SPREADS`` times the range of the other finite
    values from their median, and a sane finite value follows it (one that never came back is a
    divergence, left for that rule), unless the run shows the blow-up was real (:func:`_blew_up_there`):
    then it stays, for the rules to read. NaN/inf points with finite values after them are gaps (a skipped
    fp16 step, a bad batch) and were always read so; they are now said, when they are few (<= 10% of
    the logged points: a validation every k epochs leaves regular NaN that need no word)."""
    keys = [k for k in dict.fromkeys([metric, "train_loss", "val_loss"]) if k and k in run.series]
    notes: list[str] = []
    series = dict(run.series)
    eval_only = None  # (the same rows for every training series: found once, where a NaN asks)
    for key in keys:
        y = np.asarray(series[key], dtype=float)
        ok = np.isfinite(y)
        n_ok = int(ok.sum())
        if n_ok < 4:
            continue
        absurd = np.zeros_like(ok)
        for _ in range(max(1, n_ok // 10)):
            rest = ok & ~absurd
            vals = y[rest]
            med = float(median(vals))
            dist = np.where(rest, np.abs(y - med), -1.0)
            i = int(np.argmax(dist))
            others = rest.copy()
            others[i] = False
            spread = float(np.ptp(y[others])) if others.any() else 0.0
            # (A floor of 0.1% of the level: a curve flat after its first point has no spread to speak of.)
            spread = max(spread, 1e-3 * abs(med), 1e-300)
            if not dist[i] > GLITCH_SPREADS * spread or not others[i + 1:].any():
                break  # nothing absurd left, or the run never came back: a divergence
            absurd[i] = True
        if absurd.any():
            rest = ok & ~absurd
            vals = y[rest]
            med = float(median(vals))
            q1, q3 = np.percentile(vals, [25, 75])
            if np.abs(vals - med).max() > TAME_SPREADS * max(float(q3 - q1), TAME_IQR_FLOOR * abs(med), 1e-300):
                absurd[:] = False  # the rest blew up too: a wild run, for the rules to read whole
            else:
                real = _blew_up_there(run, y, absurd, classes)
                for i in np.flatnonzero(real & absurd):
                    far = _grad_far_out(run, y, i)
                    if far is not None:
                        notes.append(f"{key} is {y[i]:.3g} at {run.axis_name} {_n(run.axis[i])} with the gradient "
                                     f"norm logged there {far[0]:.3g} ({far[1]:.3g} at its median elsewhere): a real "
                                     "blow-up, not a logging glitch")
                absurd &= ~real
        if absurd.any():
            idx = np.flatnonzero(absurd)
            rest = y[ok & ~absurd]
            where = ", ".join(f"{y[i]:.3g} at {run.axis_name} {_n(run.axis[i])}" for i in idx[:3])
            more = f" and {len(idx) - 3} more" if len(idx) > 3 else ""
            notes.append(f"{key} is {where}{more} ({len(idx)} of {n_ok} points), far outside the rest of the run "
                         f"({float(rest.min()):.3g} to {float(rest.max()):.3g}): read as a glitch (an overflow, "
                         "a logging error) and left out")
            y = y.copy()
            y[absurd] = np.nan
            series[key] = y
        # NaN/inf inside the run (finite values after it), as the log wrote it: gaps.
        logged = np.asarray(run.series[key], dtype=float)
        after = np.flip(np.maximum.accumulate(np.flip(np.isfinite(logged))))
        started = np.maximum.accumulate(np.isfinite(logged))
        inner = ~np.isfinite(logged) & after & started
        if inner.any() and not is_validation(key):
            eval_only = _evaluation_only(run) if eval_only is None else eval_only
            inner &= ~eval_only
        if inner.any() and inner.sum() <= max(1, NONFINITE_GAP_SHARE * len(logged)):
            idx = np.flatnonzero(inner)
            kinds = sorted({"NaN" if np.isnan(logged[i]) else "inf" for i in idx})
            at = ", ".join(_n(run.axis[i]) for i in idx[:3]) + (f" and {len(idx) - 3} more" if len(idx) > 3 else "")
            notes.append(f"{key} is {'/'.join(kinds)} at {run.axis_name} {at} ({len(idx)} of {len(logged)} points), "
                         "read as a gap")
    if not notes:
        return run, notes
    clean = Run(run.axis, series, run.axis_name, run.name, run.source, dict(run.meta))
    return clean, notes


# ---- the rules --------------------------------------------------------------------------------

#: Causes whose advice is to go on with the same weights (or a larger step): not beside a loss that turned
#: NaN/inf for good.
_GONE_ON = ("still_improving", "lr_too_low", "temporary_plateau")


#: diverged's strength (a ramp's ends: a rule's strength ranks the causes, the verdict's confidence is the map
#: _CONF_PLATT fitted on the benchmark's train split) from diverge_growth to 4x it: set by hand in 71c31f1, the first
#: rules; no measurement recorded.
DIVERGED_STRENGTH = (0.6, 0.95)


def diverged(f: Facts, t: Thresholds) -> Cause | None:
    """Loss exploded / NaN.

    Fires when (the conditions in full, and the runs that set them): non-finite to the end (or never finite); a run
    read stuck_at_init whose losses, K given and an accuracy logged at ≥ half of 1/K (a K-way classifier's
    cross-entropy), were at ≥ 2x ln K at every point from the first (a fresh network's outputs are near uniform, its
    loss near ln K: the first epoch threw the outputs to confident wrong answers and they stayed;
    `_thrown_at_start`, X its first point, only lr_too_high listed beside it; a Keras digits MLP at Adam 0.3 or SGD
    5, 14.5 = 6.3x ln 10 from epoch 0, lr / 10 learns: `tests/fixtures/ecosystem/keras_lr_blowup`); K not given, no
    ln K can be read off a loss that never came near it, but a loss on (1 − accuracy) x 16.118 from its first
    evaluation with most answers wrong (`facts.chance.certain_answers`, within 0.2%: Keras's loss when every answer
    is given with certainty, its probabilities clipped at 1e-7) is outputs no fresh network gives, and reads the
    same (`_thrown_to_certainty`; those runs sit on it to 1e-7; no real curve does); a torch loss, unclipped, has no
    such line, and stays stuck_at_init with "lower the learning rate ... restart" first, the honest limit; training
    loss ending ≥ 25% above its start and either ≥ 5 sds above it or never back within 25% of it over the run's
    second half (a loss bouncing at many times its start has a noise as large as the bounce: DeepOBS fmnist_2c2d at
    Adam 63, 2.31 -> 17-56, and svhn_wrn164 at Adam 3.98, 2.77 -> 24,669, climbed 3 sds and read stuck_at_init;
    fmnist_2c2d at momentum 3.98, 41% above at the end but 7% at its lowest in the second half, stays stuck), not
    on its last point alone where that point is no higher than the curve had been before and come back from, off a
    last quarter whose median is not itself 25% above the start (a spike it ends on: DeepOBS' char-RNN at Adam 10,
    `_climbed`); a logged gradient norm that peaked ≥ 10x its early median is quoted (exploding gradients: clipping first, and no
    stuck_at_init), and one logged at the last finite row before a NaN that blew up in the first points is quoted
    with clipping first (`_grad_at_blowup`); a logged gradient norm ≥ ``GRAD_BLOWN`` (1e6) from the first log to the
    last, its loss never down to a tenth of its first point, is a blow-up before the first log, whatever the losses
    do (`_grads_blown`: its norm quoted, clipping first); beside a loss that climbed (ended ≥ 25% and ≥ 5 sds above its start, NaN after it or not;
    a validation loss first checked after training's first logged point starts no lower than that point,
    `_metric_divergence`: keras_thrown_checked_late) only
    `lr_too_high`, a measured learning curve's `data_limited`, and `stuck_at_init` where the loss jumped once and
    then held within 5% of that climb are listed: the other rules would read the blow-up's values as a curve (a
    Keras SGD run at 1e34 read also overfitting, stuck_at_init and data_limited); beside a loss NaN/inf for good no
    `still_improving`, `lr_too_low` or `temporary_plateau` (their "keep training" was read off the finite stretch
    before it), and where other series go on logged past the NaN (accuracies at chance from NaN weights) what else
    fits is read on the run before the NaN (`_before_nonfinite`: DeepOBS 3c3d at SGD 0.1 read "also likely:
    underfitting ... a regularization term outweighs the data term" from that chance tail), and `diagnose --horizon`
    withholds the forecast with its reason, as `forecast` does.

    Named bars it reads itself (:class:`Thresholds`): ``diverge_growth``, ``diverge_noise``; the helpers it calls
    read more, and a bar of its own is a named constant or a literal commented where it is read.

    First actions: lower lr, clipping, warm-up, check inputs; "fix the schedule" first where the logged lr rose into
    the blow-up (`_lr_ramped`).
    """
    for name, d in (("train_loss", f.train_divergence), (f.metric, _metric_divergence(f))):
        if d is None:
            continue
        if d.nonfinite_from is not None:
            return _exploding(f, t, Cause("diverged", 0.97, [f"{name} became NaN/inf at {f.axis_name} "
                                                             f"{_n(d.nonfinite_from)}"],
                                          ACTIONS["diverged"], {"nonfinite_from": d.nonfinite_from}))
        if _climbed(f, t, name, d):
            conf = _ramp(d.growth, t.diverge_growth, 4 * t.diverge_growth, *DIVERGED_STRENGTH)
            # (A loss bouncing far above its start has a noise as large as the bounce: then what rules out
            # noise is that it never came back near its start.)
            how = f"{_count(d.growth_noise)} noise sds" if d.growth_noise > t.diverge_noise else \
                f"{d.start:.4g} at the start; the lowest point of the run's second half still {_pct(d.held_growth)} above it"
            return _exploding(f, t, Cause("diverged", conf, [f"{name} ended {_pct(d.growth)} above its starting value "
                                                             f"({how})"],
                                          ACTIONS["diverged"], {"growth": d.growth, "held_growth": d.held_growth}))
    if _grads_blown(f):
        return _exploding(f, t, Cause("diverged", GRAD_BLOWN_STRENGTH, [], ACTIONS["diverged"], {}))
    return None


#: A whole-model gradient norm at or above this, at the first logged points and still at the last, is a run that
#: blew up before its first log and never came back. Training runs' norms are O(0.1-100): over the 689 committed
#: fixture runs that log one (tests/fixtures; 2026-12-07), the largest median is 10.7 and the largest value of a run
#: that trained 443 (an RNN's spike); the walk's blow-ups inside the first logged epoch (a linear digits net at
#: SGD 2.0 on inputs x 100, x 3000, x 30) logged 1.1e11-4.7e11, 8.9e12-3.4e13 and 1.2e9 at every point. An absolute
#: bar, as ``CLIP_FAR`` is: a gradient norm has no curve of its own to be measured against when it is huge from its
#: first point, and it is 1000x ``CLIP_FAR``, 2,000x any norm a fixture run that trained logged.
GRAD_BLOWN = 1e6
#: A loss that fell to under this share of its first point came back down by an order of magnitude: a run that
#: learned (a regression on unscaled targets can start with a large norm and fall), not one still blown.
GRAD_BLOWN_CAME_BACK = 0.1
#: diverged's strength where only the gradient norm shows the blow-up: set with the rule (c.f. DIVERGED_STRENGTH's
#: top); no measurement recorded.
GRAD_BLOWN_STRENGTH = 0.9


def _grads_blown(f: Facts) -> bool:
    """The logged gradient norm was ≥ ``GRAD_BLOWN`` over the first 10% of its points (their median) and over the
    last 10% (theirs), and the loss (training's, else the metric's, not a score) never came down to
    ``GRAD_BLOWN_CAME_BACK`` of its first point: the run blew up before its first log and stayed blown. Its losses
    are the blow-up's values, many orders above any level the task has, and a rule reading them as a curve finds
    overfitting or a descent still paying. A linear digits net at SGD 2.0 on inputs x 100 under a Trainer
    (tests/fixtures/ecosystem/hf_grads_blown): training loss 1.65e20 -> 8e19, eval_loss 5e19-2e20, grad_norm
    4.7e11 -> 1.1e11, read "overfitting ... early stopping", and at inputs x 3000 "still improving: keep training";
    clipping at 1.0 took eval_loss to 75-93, lr / 1000 to 0.69."""
    o = f.optimizer
    if o.grad_norm_early is None or o.grad_norm_late is None or _higher(f) and f.train_y is None:
        return False
    if not (o.grad_norm_early >= GRAD_BLOWN and o.grad_norm_late >= GRAD_BLOWN):
        return False
    y = f.train_y if f.train_y is not None else f.y
    y = y[np.isfinite(y)]
    return y.shape[0] >= 2 and float(y[0]) > 0 and float(np.min(y)) >= GRAD_BLOWN_CAME_BACK * float(y[0])


def lr_zeroed(f: Facts, t: Thresholds) -> Cause | None:
    """The logged learning rate was 0 (or at most ``facts.optimizer.ZERO_LR`` = 1e-8 of its peak) over the whole
    plateau: nothing can train, whatever the model, and the flat curve is the schedule's, not a floor. ``lr_too_low``,
    said plainly first.

    Fires when (the conditions in full, and the run that set them): the logged lr is at or under 1e-8 of its peak
    from some point to the end (``OptimizerFacts.lr_zero_from``; every logged value where none is above 0), over
    ≥ 4 of the curve's points, from no later than the point after X (the curve's first point where it has no X),
    and the curve does not still fall over its tail (t ≥ ``improving_t``: a curve that falls under an lr logged
    as 0 says the logged lr is not the one that trained it). Not a schedule that ends at 0 at its last step
    (cosine, a Trainer's linear decay: one point), nor ReduceLROnPlateau cutting without a floor, whose cuts come
    long after X. A digits MLP at SGD 0.05 under LambdaLR(lambda e: 1 // (e + 1)), 0 from epoch 1: val_loss 2.2162
    at every epoch, read "underfitting: a bigger model" (twice as wide: 2.188, the same reading), with converged
    beside it saying "the learning rate was decayed to 0" (tests/fixtures/ecosystem/torch_zero_lr).

    No underfitting, converged, stuck_at_init or still_improving is listed beside it (each reads a curve the
    schedule froze); first action: fix the schedule."""
    o, pl = f.optimizer, f.plateau
    z = o.lr_zero_from
    if z is None or f.trend.slope_t < t.improving_t:
        return None
    after = f.x >= z
    k = pl.index if pl.index is not None else 0
    if int(np.count_nonzero(after)) < MIN_TAIL_POINTS or z > float(f.x[min(k + 1, f.n_points - 1)]):
        return None
    zero = "0" if o.lr_last == 0 else f"{o.lr_last:.2g}, {o.lr_last / o.lr_peak:.1g} of its peak," \
        if o.lr_peak and o.lr_peak > 0 else f"{o.lr_last:.2g}"
    if z <= float(f.x[0]) or not o.lr_peak:
        ev = [f"the learning rate was {zero} at every logged {f.axis_name}: nothing can train; check the "
              "optimizer's learning rate and its schedule"]
        acts = ["set a learning rate above 0 (check the optimizer's lr and what the schedule multiplies it by), "
                "then retrain"]
    else:
        ev = [f"the learning rate was {zero} from {f.axis_name} {_n(z)} ({o.lr_peak:.3g} before): nothing can "
              f"train from there; check the schedule"]
        acts = [f"fix the learning-rate schedule: it sets the rate to 0 from {f.axis_name} {_n(z)} (a LambdaLR "
                "whose lambda returns an integer, 1 // (epoch + 1); a decay given a length in the wrong unit, steps "
                "for epochs), then retrain"]
    held = f.y[after]
    same = f"exactly {float(held[0]):.6g}" if held.size and np.all(held == held[0]) else \
        f"{float(np.min(held)):.4g}-{float(np.max(held)):.4g}"
    ev.append(f"{f.metric} is {same} over those {held.size} points: where the last steps left it, not the "
              "model's floor")
    acts.append("read the run again once it trains: a level reached with the rate at 0 says nothing of the "
                "model's size or the data")
    return Cause("lr_too_low", 0.9, ev, acts, {"lr_zero_from": z, "lr_peak": o.lr_peak})


#: What a run whose lr was 0 over its plateau (lr_zeroed) keeps listed beside it: what happened before the rate went
#: to 0. Every other reading is of a curve the schedule froze.
_BEFORE_ZERO = ("lr_too_low", "diverged", "lr_too_high", "overfitting")


def _blown_up(f: Facts, t: Thresholds) -> bool:
    """diverged's climb (:func:`_climbed`), whether or not NaN followed it, on the loss that rule reads
    (training's, else the metric's), over its finite points."""
    return any(d is not None and _climbed(f, t, name, d)
               for name, d in (("train_loss", f.train_divergence), (f.metric, _metric_divergence(f))))


def _metric_divergence(f: Facts):
    """``f.divergence``, the metric's climb facts, except for a validation loss first checked after training's first
    logged point (Keras' ``validation_freq``, Lightning's ``check_val_every_n_epoch``, a Trainer's ``eval_steps``)
    whose first check sits below training's first value, the two one quantity (a gap is read between them): that
    check came after a fall, or a blow-up, the run's start did not, and its climb is measured from training's first
    point instead. keras_thrown_checked_late (a digits MLP at plain SGD 1.5 validated every 2nd epoch; make.py):
    first checked at 1.042 / 1.796 (seeds 8 / 9) after training's first epoch at 2.006 / 2.21, both losses then at
    ln 10, a uniform guess, "ended 123% (30%) above its starting value" read diverged, where seed 8 validated every
    epoch (first 3.129 at epoch 0) reads the collapse as lr_too_high, as both now do (16% / 6% above training's first
    point); a tenth of the rate ends 0.372 / 0.364. (The facts keep the curve's own start: this is the climb diverged
    reads.)"""
    d = f.divergence
    if d is None or d.nonfinite_from is not None or f.missed > 0 or _higher(f) or not f.metric.startswith("val_") \
            or f.train_x is None or f.train_y is None or not f.train_x.size or not f.x.size \
            or not f.x[0] > f.train_x[0] or f.generalization is None or f.generalization.gap_end is None:
        return d
    start = float(f.train_y[0])
    if not start > d.start:
        return d
    return divergence(f.x, f.y, f.smoothed, start, f.noise, f.x, f.y)


def _climbed(f: Facts, t: Thresholds, name: str, d) -> bool:
    """The loss ``name`` (its divergence facts ``d``) ended ≥ 25% above its start and either ≥ 5 noise sds above
    it or with every point of the run's second half ≥ 25% above it. The metric's own climb counts only without a
    training loss, not where its accuracy rose (a validation loss that climbs while accuracy rises is
    overfitting's), and not where the metric is a score (its fall is no loss's climb). A training loss logged beside
    a diagnosed score is a loss all the same: scikit-learn's MLPClassifier at SGD lr 1.5 (momentum 0.9) on digits,
    diagnosed on val_acc, training loss 3.67 -> 8e119, read "stuck at initialization ... raise the learning rate"
    (lr 0.15 reaches val_acc 0.994; `tests/fixtures/ecosystem/sklearn_blowup`).

    The noise bar keeps a loss that ends above its start by chance from reading as a blow-up, but a loss that
    jumped to many times its start and bounced there has a noise as large as the bounce: DeepOBS fmnist_2c2d at
    Adam 63 (2.31 before training, 17-56 after, 26 at the end: 3 noise sds) and svhn_wrn164 at Adam 3.98 (2.77 ->
    24,669: 2.9 sds) read stuck_at_init, "never moved far from its initial value". A second half that never came
    back within 25% of the start is no chance excursion; a loss near its start with one bounce is left to
    stuck_at_init (fmnist_2c2d at momentum 3.98: 41% above at the end, its second half as low as 7% above).

    Nor a climb of the last point alone to no higher than the curve had been before and come back from: the smooth
    keeps a curve's edges, so ``growth`` is then that one point's value, and a loss that came back from every spike
    before ends on one as often as it spikes. DeepOBS' char-RNN at Adam 10 (tolstoi, 200 epochs): 4.44 before
    training, 50.5 after epoch 1, 3.1 from epoch ~125 with 8 spikes to 13-37 that came back at the next point, the
    last at epoch 200 (32.07), read "ended 622% above its starting value" (the grid's Adam 2.5e-3 reaches 1.24; the
    spikes read lr_too_high, `tests/fixtures/ecosystem/deepobs_spike_at_end`). A last point higher than any before
    (an RNN's loss 0.97 -> 964 the epoch before NaN) is a climb, and so is one off a last quarter whose median is
    itself that far above the start (svhn_wrn164 at Adam 0.158: up to 3e11, its last quarter's median 21x its start,
    2.07 then 1300 at its last two points): the point before it is then the excursion."""
    # (Nor is it overfitting's where the training loss beside it never ended clearly under its own start: a triplet
    # margin loss at Adam lr 1.0 (tests/fixtures/ecosystem/triplet_thrown), validation 32 -> 10-81 and ending 78
    # (t = 3.6), training 21 -> 12 within 2.8 of its noise sds, read converged "stop at epoch 0"; lr / 10 ends 0.36.)
    td = f.train_divergence
    train_unmoved = td is not None and name == f.metric and td.growth_noise > -t.stuck_noise
    growth_counts = name == "train_loss" or ((td is None or train_unmoved) and not _accuracy_rose(f))
    spike_seen_before = d.end_held_growth <= t.diverge_growth and d.growth <= d.before_peak_growth \
        and d.tail_growth <= t.diverge_growth
    return growth_counts and d.growth > t.diverge_growth and not (_higher(f) and name == f.metric) \
        and ((d.growth_noise > t.diverge_noise and not spike_seen_before) or d.held_growth > t.diverge_growth)


def _held_after_climb(f: Facts) -> bool:
    """After climbing above its start, the metric's second half stayed within 5% of the climb (the
    plateau's own 5%): it jumped once and sat there, rather than wandering with the blow-up."""
    y = f.y[np.isfinite(f.y)]
    if y.shape[0] < 4:
        return False
    climb = float(y[-1] - y[0])
    half = y[y.shape[0] // 2:]
    return climb > 0 and float(np.max(half) - np.min(half)) <= PLATEAU_FRACTION * climb


def _exploded(f: Facts, t: Thresholds) -> bool:
    o = f.optimizer
    return o.grad_norm_rise is not None and o.grad_norm_rise >= t.gradient_explode


#: A logged lr at least this many times its first value where the loss was lowest, and still rising into the
#: blow-up after it (by as much again), is a schedule that raised the step until the loss blew up.
RAMP_FACTOR = 3.0
#: A ramp whose point-to-point factors all sit within this share of their median is one factor applied each point,
#: said as "x1.3 each epoch" (wording only). Set in c7492e4; no measurement recorded.
STEADY_FACTOR = 0.01
#: A rate that rose all run is an lr range test's sweep: train at about this share of the rate where the loss was
#: lowest (fastai's lr_find, SuggestionMethod.Minimum: that rate / 10). The lowest point of a sweep is where the
#: rate, still rising, had not yet thrown the weights off, not a rate the model can hold: the walk's digits MLP (SGD
#: momentum 0.9, x1.35 an epoch from 1e-4) was lowest at 0.81 and 0.60 (seeds 0, 1); held constant for 30 epochs
#: those blew up (training loss 4.5e29, 1.4e17), a tenth of them reached validation 0.132 and 0.094 (accuracy
#: 0.976, 0.970).
RANGE_TEST_SHARE = 0.1


def _lr_ramped(run: Run, f: Facts, verdict: Cause) -> None:
    """A ``diverged`` verdict whose logged lr rose before the blow-up: ≥ ``RAMP_FACTOR`` x its first value at the
    loss's lowest point (training's, else the metric's), and ≥ ``RAMP_FACTOR`` x that again by the blow-up (its
    NaN, else the last point). The step that blew up was the schedule's: said after the blow-up's own line, and
    "fix the schedule" first. A digits MLP under a LambdaLR of 1.3 ** epoch (a warm-up that never stops): the
    lr logged 0.01 -> 0.18 at the lowest training loss (epoch 11), 26 by the NaN at epoch 30, read "diverged:
    lower the learning rate, gradient clipping, warm-up" with no word of the lr column.

    Where the rate rose all run (it never fell, and never held its last value longer than it held any earlier one:
    no target it stopped at), the run was an lr range test, or a warm-up that never stopped, and the rate where the
    loss was lowest is a ceiling, not a rate to train at: the action names a constant rate of ``RANGE_TEST_SHARE``
    of it (Smith 2017, "Cyclical Learning Rates for Training Neural Networks", section 3.3, the range test; fastai's
    lr_find, the rate at the minimum / 10). The walk's range test at SGD momentum 0.9, x1.35 an epoch from 1e-4,
    read "a warm-up should stop at its target, here no higher than 0.81"; 0.81 held blew up, 0.081 trained
    (``RANGE_TEST_SHARE``; tests/fixtures/ecosystem/lr_range_test)."""
    if verdict.id != "diverged" or not run.has("lr"):
        return
    name = "train_loss" if run.has("train_loss") else f.metric
    if not run.has(name):
        return
    lx, lv = run.finite("lr")
    x, y = run.finite(name)
    end = verdict.numbers.get("nonfinite_from")
    keep = x < end if end is not None else np.ones(x.shape[0], dtype=bool)
    x, y = x[keep], y[keep]
    if x.shape[0] < 3 or lv.shape[0] < 3 or not lv[0] > 0:
        return
    i = int(np.argmin(y))
    before = lx <= (end if end is not None else x[-1])
    if not before.any() or not lx[0] <= x[i]:
        return
    lr_best = float(lv[lx <= x[i]][-1])
    lr_end = float(lv[before][-1])
    if not (lr_best >= RAMP_FACTOR * lv[0] and lr_end >= RAMP_FACTOR * lr_best):
        return
    ratios = lv[before][1:] / lv[before][:-1]
    # (A schedule that multiplies the rate by one factor each point says so: the LambdaLR's own 1.3 ** epoch.)
    each = float(np.median(ratios))
    steady = ratios.shape[0] >= 3 and bool(np.all(np.abs(ratios / each - 1) < STEADY_FACTOR)) and each > 1
    per = f", x{each:.3g} each {run.axis_name}" if steady else ""
    ax = run.axis_name
    by = f"the NaN at {ax} {_n(end)}" if end is not None else f"{ax} {_n(float(lx[before][-1]))}"
    verdict.evidence.insert(1, f"the logged learning rate rose before it blew up: {float(lv[0]):.3g} at {ax} "
                               f"{_n(float(lx[0]))}, {lr_best:.3g} where {name} was lowest ({float(y[i]):.4g} at "
                               f"{ax} {_n(float(x[i]))}), {lr_end:.3g} by {by}{per}: the schedule raised the step "
                               "until the loss blew up")
    held_last = _held_runs(lv[before])
    if bool(np.all(ratios >= 1)) and held_last[-1] <= max(held_last[:-1], default=1):
        use = RANGE_TEST_SHARE * lr_best
        verdict.actions.insert(0, f"fix the learning-rate schedule: it raised the rate all run (an lr range test, or a "
                                  f"warm-up that never stopped); train at a constant rate of about a tenth of the one "
                                  f"where {name} was lowest: here about {use:.2g} (the range test's reading: Smith "
                                  f"2017, \"Cyclical Learning Rates\", section 3.3; fastai's lr_find); {lr_best:.2g} "
                                  "is a ceiling, passed on the way up, not a rate to hold")
        verdict.numbers["lr_suggested"] = use
    else:
        verdict.actions.insert(0, f"fix the learning-rate schedule: it kept raising the rate; a warm-up should stop "
                                  f"at its target, here no higher than {lr_best:.2g}, where {name} was lowest")
    verdict.numbers["lr_at_best"] = lr_best
    verdict.numbers["lr_at_blowup"] = lr_end


def _held_runs(lv: np.ndarray) -> list[int]:
    """The lengths of the runs of equal consecutive values in ``lv`` (a logged lr, shape (n,)), in order: a rate
    logged each step under a schedule stepped each epoch repeats each value an epoch's steps."""
    cuts = np.flatnonzero(lv[1:] != lv[:-1]) + 1
    return [int(len(r)) for r in np.split(lv, cuts)]


#: A whole-model gradient norm this large is far beyond what clipping is set to bound (clip_grad_norm_(params, 1.0),
#: Keras clipnorm=1.0): where a run went NaN with no earlier norm to compare it with, one this large is the blow-up.
CLIP_FAR = 1e3
CLIP_FIRST = "gradient clipping (torch.nn.utils.clip_grad_norm_(params, 1.0), Keras clipnorm=1.0)"


#: Where the gradient norm at the last finite row before the NaN was no higher than the median of the norms before it,
#: over at least this many of them, the gradients were calm up to the NaN: the input is the suspect, not the step.
#: A 64-64 digits MLP at SGD 0.01 fed one NaN feature in its last epoch (tests/fixtures/ecosystem/nan_last_epoch):
#: norm 0.143 at epoch 23, 0.45x its median 0.317 over epochs 0-22; lr / 10 went NaN at the same epoch. Three
#: points make a median that one early value does not set.
CALM_BEFORE_POINTS = 3


def _grad_at_blowup(run: Run, f: Facts, t: Thresholds, verdict: Cause) -> None:
    """A ``diverged`` verdict (NaN/inf for good) whose gradient norm was logged at the last finite row before the NaN
    and that :func:`_exploding` did not already quote (no ≥ 10x rise over the early points: the norm blew up in the
    first points, or only those were logged): the evidence quotes it, and where it is ≥ ``gradient_explode`` x the
    median of the norms before it, or, with none before it, ≥ ``CLIP_FAR``, clipping goes first; where it is no higher
    than that median (``CALM_BEFORE_POINTS`` norms or more before it), checking the inputs goes first. A tanh RNN (recurrent
    weights orthogonal x 1.6) summing 30 inputs at SGD 0.05 (tests/fixtures/ecosystem/torch_walk39c/rnn_explode.csv):
    gradient norm 7.7e10 at epoch 0, NaN from epoch 1, read "diverged ... lower the learning rate" with no word of
    the logged norm."""
    end = verdict.numbers.get("nonfinite_from")
    if verdict.id != "diverged" or end is None or "grad_norm_rise" in verdict.numbers or not run.has("grad_norm"):
        return
    gx, gv = run.finite("grad_norm")
    keep = gx < end
    gx, gv = gx[keep], gv[keep]
    if not gx.shape[0]:
        return
    last, at = float(gv[-1]), float(gx[-1])
    before = gv[:-1]
    ax = run.axis_name
    calm = False
    if before.shape[0]:
        med = float(median(before))
        far = last >= t.gradient_explode * med
        calm = before.shape[0] >= CALM_BEFORE_POINTS and med > 0 and last <= med
        ratio = last / med if med > 0 else 0.0
        rel = f", {_count(ratio) if ratio >= 10 else f'{ratio:.2g}'}x its median {med:.3g} before it" if med > 0 else ""
    else:
        far, rel = last >= CLIP_FAR, ""
    which = "the last logged before the NaN" if before.shape[0] else "the only one logged before the NaN"
    verdict.evidence.append(f"gradient norm {last:.3g} at {ax} {_n(at)}{rel}, {which}"
                            + (": the gradients blew up with the loss" if far else
                               ": the gradients were calm up to the NaN (a step too large grows them first; a NaN "
                               "or inf in the inputs, or a log(0) in the loss, breaks a step at once)" if calm else ""))
    verdict.numbers["grad_norm_at_blowup"] = last
    if far:
        verdict.actions = [CLIP_FIRST] + [a for a in verdict.actions if a != "gradient clipping"]
    elif calm:
        verdict.actions = [INPUTS_FIRST] + [a for a in verdict.actions if a != INPUTS_FIRST]


def _exploding(f: Facts, t: Thresholds, cause: Cause) -> Cause:
    """A divergence whose logged gradient norm blew up first: the gradients exploded, which clipping
    bounds at any lr (an RNN's recurrent weights, a transformer without warm-up); the evidence shows it."""
    o = f.optimizer
    if not _exploded(f, t) and _grads_blown(f):
        name = "train_loss" if f.train_y is not None else f.metric
        y = f.train_y if f.train_y is not None else f.y
        y = y[np.isfinite(y)]
        cause.evidence.append(f"gradient norm {o.grad_norm_early:.3g} at the start (median of its first 10% of "
                              f"points) and still {o.grad_norm_late:.3g} at the end, where a training run's is "
                              f"0.1-100: the run blew up before its first log and never came back; {name} "
                              f"{float(y[0]):.4g} -> {float(y[-1]):.4g} are the blow-up's values, not a curve to "
                              "read a plateau on")
        cause.actions = [CLIP_FIRST] + [a for a in cause.actions if a != "gradient clipping"]
        cause.numbers.update({"grad_norm_early": o.grad_norm_early, "grad_norm_late": o.grad_norm_late,
                              "grads_blown": 1.0})
        return cause
    if not _exploded(f, t):
        return cause
    cause.evidence.append(f"gradient norm exploded: {_count(o.grad_norm_rise)}x its early level (median "
                          f"{o.grad_norm_early:.3g} over the first 10% of points → {o.grad_norm_peak:.3g} at "
                          f"{f.axis_name} {_n(o.grad_norm_peak_at)})")
    cause.actions = [CLIP_FIRST] + [a for a in cause.actions if a != "gradient clipping"]
    cause.numbers["grad_norm_rise"] = o.grad_norm_rise
    return cause


#: unstable's strength, from spike_range to 4x it: set by hand in 5267146; no measurement recorded.
SPIKES_STRENGTH = (0.55, 0.85)


def unstable(f: Facts, t: Thresholds, batches: bool = True) -> Cause | None:
    """The epoch-mean training loss spikes from its plateau on (its X, or its second half where X comes later;
    before the second half, two spikes or more): the step is too large for the minimum the weights reached.
    Checked before overfitting: a generalization gap measured on an unstable run says little until the
    optimization is fixed (get the training loss down reliably first). Not while the model memorises
    (:func:`_memorising`, as the bounce and jump rules): a step that drives the training loss to a tenth of
    validation's best is not overshooting, and the spikes on the way say little of the plateau. DeepOBS'
    fmnist_2c2d at its tuned SGD lr 0.158 (10 seeds, validation best at epochs 6-9, then climbing to 0.65-0.71 as
    training reaches 1e-4): 3 seeds' training loss spikes 16-28 noise sds, 5.7-8.5% of the improvement, at epochs
    25-36, off a plateau from epoch 14-15 (read lr_too_high, but for this, once the plateau was scanned in the
    first half too); lr / 10 reached a best test loss of 0.262, within the 10 seeds' 0.258-0.296."""
    # Epoch means only: a per-step loss jumps with every hard batch (heavy-tailed noise that a
    # noise sd does not describe), an epoch mean averages that away and keeps real instability.
    if f.axis_name != "epoch" or f.train_points < t.shape_min_points \
            or f.optimizer.lr_schedule not in (None, "constant"):
        return None
    # A jump ≥ 5 noise sds at 50 points scanned, the bar rising like the expected maximum of
    # Gaussian noise (sqrt(2 ln m)): a long log has more chances at one outlier.
    bar = t.spike_noise * math.sqrt(math.log(max(f.train_spike_points, 3)) / math.log(50))
    if not f.train_spike >= bar or _memorising(f, t):
        return None
    lifted = _spike_lifts(f)
    # Before the second half a spike must recur: one that came back is a one-off there, as for `jumped`. A 16-16
    # MLP on digits at SGD 0.3 (torch_forecast_long), training loss 0.05 -> 0.40 -> 0.05 at epoch 10 of 40, went on
    # to 0.001 (0.0007-0.001 over 3 seeds; lr / 10: 0.04-0.05); a sigmoid MLP on diabetes (layer_grads), 1.06 ->
    # 1.19 at epoch 34 of 100, val 0.86 (seeds 0-2: 0.86, 0.51, 0.86; lr / 10: 0.86 on all 3).
    over = {i for i, sds, rel in f.train_spikes
            if sds >= bar and (rel >= t.spike_range or lifted.get(i, 0.0) >= t.spike_level)}
    unseen = set()
    if _few_per_epoch(f):
        # (A few batches' mean jumps with the batches drawn: only a jump validation saw too counts, _few_per_epoch.)
        unseen = {i for i in over if not _val_thrown_at(f, i)}
        over -= unseen
    alone = {i for i, _ in _batch_spikes(f, over)} if batches else set()
    over -= alone
    apart = sum(1 for i in over if i - 1 not in over)  # (a spike over two epochs is one)
    if not over or (apart < 2 and max(over) < f.train_points // 2):
        return None
    at = "" if f.train_spike_at is None else f", at {f.axis_name} {_n(f.train_spike_at)},"
    top_sds, top_rel = f.train_spike, f.train_spike_rel
    if alone or unseen:  # (the largest jump was one batch's, or unseen by validation: the largest one left is quoted)
        left = [(j, s_, r_) for j, s_, r_ in f.train_spikes if j in over and r_ >= t.spike_range]
        top, top_sds, top_rel = max(left, key=lambda p: p[1]) if left else (None, 0.0, 0.0)
        at = "" if top is None else f", at {f.axis_name} {_n(_spike_x(f, top))},"
    if top_rel >= t.spike_range:
        ev = [f"train_loss jumps above its trend: the largest jump{at} is "
              f"{_noise_sds(top_sds)} of its noise, {_pct(top_rel)} of its whole improvement"
              + _missed_words(f, f.train_missed)]
    else:  # (only the level shows it: the share of the whole fall is what hid it)
        i = max(over, key=lambda j: lifted.get(j, 0.0))
        sds, rel = next((s_, r_) for j, s_, r_ in f.train_spikes if j == i)
        ev = [f"train_loss jumps above its trend at its floor: at {f.axis_name} {_n(_spike_x(f, i))} the epoch's "
              f"mean is {_pct(lifted[i])} above the level around it, {_noise_sds(sds)} of its noise (only "
              f"{_pct(rel)} of its whole improvement: the floor is a small share of where it started)"]
    if f.optimizer.lr_schedule == "constant":
        ev.append(f"with a constant learning rate {_lr(f)}")
    numbers = {"train_spike": top_sds, "train_spike_rel": top_rel}
    if top_rel < t.spike_range:
        numbers["train_spike_lift"] = lifted[i]  # (the share of its level the JSON's reader can check the bar on)
    acts = ACTIONS["lr_too_high"] + ["gradient clipping"]
    thrown = _started_thrown(f, t)
    if thrown is not None:
        ev.append(thrown)
        # (answering one class at a time, lr / 10 left it stuck on one and lr x 10 did better: _one_class_thrown)
        acts = [UNSCALED_ONE_CLASS, *acts[1:]] if _higher(f) else [UNSCALED_FIRST] + acts
        if _higher(f):
            numbers["one_class_share"] = one_class_shares(accuracy_fraction(f.y))[0]
    return Cause("lr_too_high", _ramp(top_rel, t.spike_range, 4 * t.spike_range, *SPIKES_STRENGTH), ev,
                 acts, numbers)


def _few_per_epoch(f: Facts) -> bool:
    """Whether each epoch's training loss averages fewer examples than one validation check scores: its training
    accuracy moves in steps of 1/M (every value a multiple), M under validation's n (given or read off its steps).
    An "epoch" of a few batches (Keras' ``steps_per_epoch`` over a repeating generator, a loop's epoch of N batches)
    is then a few batches' mean, which jumps with the batches drawn as a per-step loss does: heavy-tailed scatter
    that the difference noise (a robust MAD) does not describe. There ``unstable`` reads only a spike validation saw
    too (:func:`_val_thrown_at`), and ``lr_too_high`` no bounce of training's (validation's own is read). A 64-64-10
    digits MLP at SGD 0.5, 4 batches of 32 an epoch, 450 validation rows (tests/fixtures/ecosystem/keras_steps_per_epoch):
    its training loss jumped 0.25 -> 0.457 -> 0.17 at epoch 22 of 40, "6 sds of its noise, 9.7% of its whole
    improvement", validation unmoved (0.242, its lowest yet), and read lr_too_high where lr / 10 from epoch 21 ended
    24% higher (0.206 against 0.166; seed 1, its training scatter "sd 2.4% of its improvement": 0.196 against 0.155),
    SGD 1.0 lower (0.145) and 80 epochs at 0.5 at 0.138: still improving. A training set smaller than the validation
    set, every example each epoch, has the same steps; its spikes are the weights thrown, and validation shows them:
    keras_transfer/tiny_lr1e-3.log, 40 training images against 400, training 0.63 -> 2.57 with validation 0.45 ->
    2.24 at epochs 34-36, stays lr_too_high (lr / 10 ends 51% lower)."""
    n_val = f.chance.n_val if f.chance is not None else None
    return bool(f.train_acc_step and n_val and f.train_acc_step < n_val)


def _val_thrown_at(f: Facts, i: int) -> bool:
    """Whether validation, at the end of the epoch of training spike ``i`` (an index into the training curve) or the
    next, stood ``VAL_UNMOVED_SDS`` or more of its noise (its second half's, from second differences) above its running
    median of 5: the weights the spike's steps left were thrown (as :func:`_spike_lifts` reads it)."""
    ys = _spike_series(f)
    if ys is None or f.metric == "train_loss" or _higher(f) or f.n_points < 10:
        return False
    v = f.y
    vn = difference_noise(v[f.n_points // 2:])
    at = np.flatnonzero(f.x == ys[1][i])
    if not vn > 0 or not at.size:
        return False
    j = int(at[0])
    return any(float(v[k]) - float(np.median(v[max(0, k - 2):k + 3])) >= VAL_UNMOVED_SDS * vn
               for k in (j, j + 1) if k < f.n_points)


#: Validation within this many noise sds (its second half's, from second differences) of its running median of 5 at
#: a training-loss spike's epoch end and the next: the weights were not moved by the step. As ``_spike_lifts``' bar
#: for a thrown validation; the fp16 digits MLP (tests/fixtures/ecosystem/torch_amp_skipped_spike) moved 0.1 sd at a
#: spike of 10.2 from 0.001, its fp32 twin (the updates applied) 500 sds.
VAL_UNMOVED_SDS = 3.0
#: ... and only a spike whose epoch mean is this many times the running median of 5 around it: a few batches of the
#: epoch with a loss far out of the model's range. Validation within its noise says little of a bump of a few times
#: the level on a noisy curve: DeepOBS fmnist_2c2d at Adam 6.3e-3 spiked 3.7x (0.266 against 0.071 at epoch 76,
#: validation unmoved within 3 sds of its own scatter) where its grid's lower rate reaches a 15% lower best
#: (lr_too_high); a ten-layer ReLU net at Adam 1e-3 (tests/fixtures/ecosystem/deep_sigmoid/relu_adam.csv) 10x, read
#: lr_too_high off it, untested; the fp16 digits MLP's skipped batches lifted its epoch mean 9,600x.
BATCH_SPIKE_LIFT = 100.0
BATCH_SPIKE_ACTION = ("check the data of the batches at the spike (corrupt inputs, wrong labels, features out of "
                      "scale): a huge loss on a batch whose update was skipped or left validation where it was is the "
                      "batch's, and neither a lower rate nor clipping changes it")


def _batch_spikes(f: Facts, over) -> list[tuple[int, str]]:
    """The training-loss spikes of ``over`` (indices into ``Facts.train_spikes``) that are one batch's loss, not a
    step too large: ``[(index, why)]``, why ``"skipped"`` where the epoch holds a step whose logged grad_norm was
    inf/NaN (a GradScaler's skipped step: the loss was computed, no update made), ``"unmoved"`` where the epoch
    mean, ≥ ``BATCH_SPIKE_LIFT`` x the level around it, was back at the next point and validation did not move at
    that epoch's end nor the next (the weights were not thrown). A two-layer digits MLP under fp16 at SGD 0.05, two corrupt batches at epoch 15 (loss ~200,
    both steps skipped; tests/fixtures/ecosystem/torch_amp_skipped_spike) read lr_too_high off its 10.2 epoch mean;
    lr / 10 from epoch 4 kept the spike (8.02) and ended 11x higher (0.0050 vs 0.00045): a rate does not
    make a batch's loss. Its fp32 twin (inputs x 3) without a scaler applied the updates: validation 0.12 -> 1.48,
    lr_too_high stays (lr / 10 from epoch 4: validation ends at 0.076 against 0.155)."""
    ys = _spike_series(f)
    if ys is None or not over:
        return []
    y, x = ys
    val = (f.x, f.y) if is_validation(f.metric) and not _higher(f) else f.val_beside
    vn = difference_noise(val[1][val[1].shape[0] // 2:]) if val is not None and val[1].shape[0] >= 10 else 0.0
    out = []
    for i in sorted(over):
        at = float(x[i])
        if any(abs(float(s_) - at) < 0.5 for s_ in f.grad_skipped_at):
            out.append((i, "skipped"))
            continue
        if not vn > 0 or i + 1 >= y.shape[0]:
            continue
        level = float(np.median(y[max(0, i - 2):i + 3]))
        if not (level > 0 and y[i] >= BATCH_SPIKE_LIFT * level):
            continue
        if not y[i + 1] <= level + (y[i] - level) / 4:  # (back at the next point: one epoch's batches)
            continue
        v = val[1]
        j = np.flatnonzero(val[0] == at)
        if not j.size:
            continue
        j = int(j[0])
        if j + 1 < v.shape[0] and all(abs(float(v[k]) - float(np.median(v[max(0, k - 2):k + 3]))) < VAL_UNMOVED_SDS * vn
                                      for k in (j, j + 1)):
            out.append((i, "unmoved"))
    return out


def _batch_spike_note(f: Facts, t: Thresholds, causes: list) -> None:
    """Where ``unstable`` left a spike out as one batch's (:func:`_batch_spikes`) that it would otherwise have read
    as a step too large, the lead cause says what it was and an action checks that batch's data."""
    if not causes or f.axis_name != "epoch" or f.train_points < t.shape_min_points \
            or unstable(f, t, batches=False) is None:
        return
    bar = t.spike_noise * math.sqrt(math.log(max(f.train_spike_points, 3)) / math.log(50))
    over = {i for i, sds, rel in f.train_spikes if sds >= bar and rel >= t.spike_range}
    alone = _batch_spikes(f, over)
    if not alone:
        return
    ys = _spike_series(f)
    i, why = max(alone, key=lambda p: float(ys[0][p[0]]))
    y, x = ys
    level = float(np.median(y[max(0, i - 2):i + 3]))
    said = ("on steps skipped for a non-finite gradient (grad_norm inf/NaN there, as an fp16 GradScaler skips an "
            "overflow; the loss finite after): no update was made" if why == "skipped"
            else "and was back at the next point, while validation did not move at that epoch's end nor the next")
    lead = causes[0]
    lead.evidence.append(f"train_loss spiked at {f.axis_name} {_n(float(x[i]))} ({float(y[i]):.3g} against "
                         f"{level:.3g} around it) {said}: one batch's huge loss, not a step too large")
    lead.numbers["batch_spike_at"] = float(x[i])
    if BATCH_SPIKE_ACTION not in lead.actions:
        lead.actions.append(BATCH_SPIKE_ACTION)


def _spike_series(f: Facts) -> tuple[np.ndarray, np.ndarray] | None:
    """The epoch-mean training loss the spikes were scanned on (``Facts.train_spikes`` index it) and its axis."""
    if f.metric == "train_loss":
        return f.y, f.x
    if f.train_y is None or f.train_x is None:
        return None
    ok = np.isfinite(f.train_y)
    return f.train_y[ok], f.train_x[ok]


def _spike_x(f: Facts, i: int) -> float:
    ys = _spike_series(f)
    return float(ys[1][i]) if ys is not None else float(i)


def _spike_lifts(f: Facts) -> dict[int, float]:
    """Each scanned spike's height above the running median of 5 around it, as a share of that median (the level
    the epoch's mean left): ``{index: share}``; empty where the level is not above 0. ``unstable``'s bar on a spike
    is a share of the whole improvement, which, where the curve fell from ln K to a floor a few percent of it, is
    nearly the start: an epoch's mean that doubles at such a floor is 2% of it (lr_too_high's docstring)."""
    ys = _spike_series(f)
    if ys is None:
        return {}
    y = ys[0]
    # At its floor only: the level around the spike within 2x the last quarter's median. A curve still falling
    # by orders of magnitude bumps by its level on the way (a Keras GRU, training 0.067 -> 0.155 -> 0.029 at
    # epochs 11-13 of 20 on its way to 0.0024, with validation to 0.0026: still improving).
    end = float(np.median(y[-max(2, y.shape[0] // 4):]))
    # And validation thrown at the same epoch's end (or the next evaluation): the step that throws the weights shows
    # on both curves at once, where an epoch mean bumping at a memorised floor leaves validation alone (a Keras MLP's
    # training MSE 0.0012 -> 0.0023 at epoch 98 of 200, validation flat at 0.71: overfitting,
    # tests/fixtures/ecosystem/keras_metrics/h3.log). Its jump: ≥ 3 noise sds (its second half's, from second
    # differences) above its own running median of 5.
    if f.metric == "train_loss" or _higher(f) or f.n_points < 10:
        return {}
    v = f.y
    vn = difference_noise(v[f.n_points // 2:])
    if not vn > 0:
        return {}
    out = {}
    for i, _, _ in f.train_spikes:
        level = float(np.median(y[max(0, i - 2):i + 3]))
        if not (0 < level <= 2 * end and y[i] > level):
            continue
        at = np.flatnonzero(f.x == ys[1][i])
        if not at.size:
            continue
        j = int(at[0])
        thrown = any((float(v[k]) - float(np.median(v[max(0, k - 2):k + 3]))) >= 3 * vn
                     for k in (j, j + 1) if k < f.n_points)
        if thrown:
            out[i] = float((y[i] - level) / level)
    return out


UNSCALED_FIRST = ("inputs unscaled? standardize them first (StandardScaler, a Normalization layer), then retune the "
                  "rate: features of hundreds or thousands make the steps along them that large, and a smaller rate "
                  "leaves the spikes")


UNSCALED_ONE_CLASS = ("inputs unscaled? standardize them first (StandardScaler, a Normalization layer), then retune "
                      "the rate: saturated outputs answer one class at a time, and a lower rate leaves them stuck on "
                      "one")


def _started_thrown(f: Facts, t: Thresholds) -> str | None:
    """The evidence line where the outputs were far out from the first point; else None. K known: a loss's first
    point (training's or the metric's) ≥ ``blown_start`` x ln K, an untrained classifier's loss. K unknown: the
    first validation loss spread over its wrong answers (loss / (1 - accuracy), right answers cost ≥ 0) ≥
    ``blown_start`` x ln 1000 nats each, more than an untrained classifier of up to 1,000 classes pays: the right
    class got < 1e-6 (a first validation accuracy of 1/2 or more says nothing of K: Keras SGD 1.2 on digits,
    0.511 at a first loss of 1.68, ln 10 = 2.30). Outputs that far out from the start are what unscaled inputs
    give at any rate (the constant-guess and dead-unit readings name them too); the log cannot tell them from a
    rate too large (a feature of scale s multiplies its weights' curvature by s^2: the step is too large along
    them either way), so the verdict stays lr_too_high with standardizing first.
    A 30-32-1 ReLU net on unscaled breast_cancer features (values up to ~4000, 5% positives), SGD 1e-3: first
    val_loss 6.32 at accuracy 0.938 (102 nats a wrong answer), validation spikes to 1.92 at epoch 18; at lr 1e-4
    the spikes stay (1.64) and it ends at 0.083 against 0.080; standardized at SGD 0.1 it ends at 0.010 (AUC
    1.000) with no spike past its first epochs, while standardized at 1e-3 crawls (0.495, read lr_too_low): the
    rate is retuned after (tests/fixtures/ecosystem/torch_imbalanced_prior/cf_sgd_lr0.1_std.csv)."""
    c = f.chance
    if c is None:
        return None
    if _higher(f):
        return _one_class_thrown(f, t)
    if c.classes:
        k, ref = c.classes, math.log(c.classes)
        first = _loss_start(f, t, ref)
        if first is None or not first.thrown:
            return None
        start, which = first.start, first.which
        return (f"{which} started at {start:.4g}, {_count(start / ref, 1)}x ln {k} = {ref:.4g} (a uniform guess's "
                f"loss{_k_source(c)}): the outputs were far out from the first steps, which unscaled inputs do at "
                "any learning rate")
    a0 = c.val_acc_start
    fy = f.y[np.isfinite(f.y)]
    if a0 is None or not 0 <= a0 < 1 or f.metric != "val_loss" or not fy.shape[0]:
        return None
    per_wrong, ref = float(fy[0]) / (1 - a0), math.log(1000)
    if per_wrong < t.blown_start * ref:
        return None
    return (f"val_loss started at {float(fy[0]):.4g} at validation accuracy {a0:.3f}: at least {per_wrong:.3g} nats "
            f"per wrong answer, {_count(per_wrong / ref, 1)}x ln 1000 = {ref:.4g} (an untrained classifier of up to "
            "1,000 classes pays less): the outputs were far out from the first steps, which unscaled inputs do at "
            "any learning rate")


def _one_class_thrown(f: Facts, t: Thresholds) -> str | None:
    """:func:`_started_thrown` where a validation accuracy is diagnosed: the evidence line where it answers one class
    at a time (:func:`facts.chance.one_class_shares`: its values are a two-class split's shares, v and 1 - v) and
    the training loss started thrown, ≥ ``blown_start`` x ln K (K known), or x ln 1000 with K unknown (an
    untrained classifier of up to 1,000 classes starts under ln 1000). Outputs saturated from the first steps,
    flipping from one class to the other, are unscaled inputs' signature, and a smaller rate does not undo it:
    scikit-learn's MLPClassifier(64,) on raw breast_cancer features (Adam 1e-3, early_stopping=True) started at
    22.65 (certain of one class: 0.63 x -ln(2.2e-16)), validation accuracy 0.375 / 0.625 at 15 of 20 evaluations;
    test accuracy over seeds 0-3 0.61 / 0.63 / 0.90 / 0.88, at lr / 10 0.37 / 0.63 / 0.37 / 0.83 (stuck on one
    class), at lr x 10 0.90 / 0.90 / 0.83 / 0.91, standardized 0.93 / 0.92 / 0.92 / 0.84
    (tests/fixtures/ecosystem/sklearn_unscaled_one_class). None where the metric is no accuracy."""
    c = f.chance
    if f.metric != "val_acc" or f.train_y is None or not np.isfinite(f.train_y).any():
        return None
    shares = one_class_shares(accuracy_fraction(f.y))
    if shares is None:
        return None
    m, at, n = shares
    start = float(f.train_y[np.isfinite(f.train_y)][0])
    k = c.classes if c.classes else None
    ref = math.log(k) if k else math.log(1000)
    if not start >= t.blown_start * ref:
        return None
    against = (f"{_count(start / ref, 1)}x ln {k} = {ref:.4g} (a uniform guess's loss{_k_source(c)})" if k else
               f"{_count(start / ref, 1)}x ln 1000 = {ref:.4g} (an untrained classifier of up to 1,000 classes "
               "starts lower)")
    return (f"validation accuracy sat at {1 - m:.3f} or {m:.3f} at {at} of {n} evaluations: the two classes' shares "
            f"of the validation set, the model answering one class for every input, then the other (the majority "
            f"class alone scores {m:.3f}); train_loss started at {start:.4g}, {against}: the outputs were "
            "saturated from the first steps, which unscaled inputs do at any learning rate")


class _LossStart(NamedTuple):
    start: float  # the higher first point of the two losses, in the loss's units
    which: str    # its series: "train_loss" or the metric
    thrown: bool  # start ≥ ``blown_start`` x ln K


def _loss_start(f: Facts, t: Thresholds, lnk: float) -> _LossStart | None:
    """A loss's first point against a uniform guess's ln K (``lnk``, nats): the higher of the training loss's and
    the metric's first finite points, and whether it is ≥ ``blown_start`` x ln K, farther out than an untrained
    classifier starts (:func:`_started_thrown`, :func:`_thrown_to_a_guess`); None where neither logs one. The
    higher of the two: a validation loss measured after the first epoch's steps shows a blow-up that the
    epoch-mean training loss averages with the batches before it."""
    firsts = [(float(a[np.isfinite(a)][0]), name) for a, name in ((f.train_y, "train_loss"), (f.y, f.metric))
              if a is not None and np.isfinite(a).any()]
    if not firsts:
        return None
    start, which = max(firsts)
    return _LossStart(start, which, start >= t.blown_start * lnk)


#: peak_unstable's share of its gain climbed back at full strength (twice its gain), and its strength there: set by
#: hand in c649e0a; no measurement recorded.
PEAK_RELAPSE_FULL = 2.0
PEAK_RELAPSE_STRENGTH = (0.6, 0.85)


def peak_unstable(f: Facts, t: Thresholds) -> Cause | None:
    """Under an lr schedule (``unstable`` reads constant rates only): the epoch-mean training loss
    climbed back over half of what it had gained while the lr was still at its peak, and only the
    schedule's cut brought it down. The step the run started with was too large; the schedule hid
    it. A PyTorch loop, SGD momentum 0.9 at lr 0.3 with StepLR(15, 0.3): training 2.14 -> 0.41 -> 2.37
    by epoch 7, settled after the cut at 14, and ended at val 0.818; at lr 0.03 it ends at 0.384."""
    r = f.peak_relapse
    if r is None or f.optimizer.lr_schedule in (None, "constant"):
        return None
    share, best, peak, at, cut = r
    if share < t.peak_relapse or not peak - best > 5 * (f.train_noise or 0.0):
        return None
    top = _peak_lr(f.optimizer)
    after = f" until the schedule cut it at {f.axis_name} {_n(cut)}" if cut is not None else ""
    return Cause("lr_too_high", _ramp(share, t.peak_relapse, PEAK_RELAPSE_FULL, *PEAK_RELAPSE_STRENGTH),
                 [f"train_loss climbed back from {best:.4g} to {peak:.4g} at {f.axis_name} {_n(at)} ({_pct(share)} of what "
                  f"it had gained) while the learning rate was still at its peak{top}{after}: a step too large, "
                  "which the schedule's later cuts hid"],
                 ["a lower peak learning rate (try 1/10), or warm-up to it", "gradient clipping"],
                 {"peak_relapse": share, **({} if cut is None else {"peak_cut": cut})})


#: A loss within this share of ln K (K classes) is read as a uniform guess's: set by hand in 1a85e47 (a collapse
#: "at ln K"); no measurement recorded. blew_up, collapsed, peak_climbed, _at_a_guess and _never_left_guess share it.
AT_LN_K = 0.01
#: A loss within this share of ln K after a blow-up or a collapse, read beside an accuracy at 1/K: the outputs thrown
#: to a uniform guess (a level reached after a blow-up settles less exactly than one a model rests at). Set by hand in
#: 8028c50 (Keras SGD(3.0) on digits, both losses at ln 10, accuracies near 0.10); no measurement of the band
#: recorded. _thrown_to_a_guess, relapsed's collapse and _blew_up_there's first point share it.
NEAR_LN_K = 0.05
#: An accuracy within this share of 1/K of 1/K is a uniform guess's, K classes (read beside a loss at ln K). Set by
#: hand in 8028c50; no measurement recorded. _thrown_to_a_guess, _ended_at_a_guess and _blew_up_there share it.
ACC_AT_GUESS = 0.3
#: blew_up's strength, from diverge_growth to 4x it: set by hand in 338a48e; no measurement recorded.
BLEW_UP_STRENGTH = (0.6, 0.85)
#: blew_up: a curve that ends above this share of its peak growth did not come back down (halfway): diverged's.
#: Set by hand in 338a48e; no measurement recorded.
BLEW_UP_BACK = 0.5
#: ... and one that climbed back at least this share of what it had gained (K not given) fell back to a level, the
#: weights not recovered: marked back_to_start, as a uniform guess is. Set by hand in 552fad3 (OneCycleLR max_lr 1.0
#: on digits, 99% of the way up); no measurement recorded.
BACK_TO_START = 0.5


def blew_up(f: Facts, t: Thresholds) -> Cause | None:
    """The training loss (or the metric, without one) climbed well above its start early on, then
    came back down: the first steps were too large for the weights (the instability warm-up
    exists for; Goyal et al. 2017, "Accurate, large minibatch SGD"). The validation loss alone
    is not trusted here: evaluation artefacts (an EMA, BatchNorm statistics) spike it early."""
    if f.train_divergence is not None:
        name, d = "train_loss", f.train_divergence
    elif f.metric == "train_loss":
        name, d = f.metric, f.divergence
    else:
        return None
    points = f.train_points if name == "train_loss" else f.n_points
    if d is None or d.peak_at is None or d.nonfinite_from is not None or points < t.shape_min_points:
        return None
    if not (d.peak_growth > t.diverge_growth and d.peak_noise > t.diverge_noise):
        return None
    if d.growth > BLEW_UP_BACK * d.peak_growth:
        return None  # it did not come back halfway: diverged (or nothing) decides
    # (The peak is read on a running median of 3, so that it lasted two points; quoted as the value logged there, the
    # median beside it where they differ: hinge_raw's "climbed from 427 to 1732 at epoch 3", where 2480 was logged at
    # epoch 3 and 1732 at epoch 4, tests/fixtures/ecosystem/sklearn_sgd_hinge/raw_s0.csv.)
    xs, ys = (f.train_x, f.train_y) if name == "train_loss" and name != f.metric else (f.x, f.y)
    at = np.flatnonzero(xs == d.peak_at) if xs is not None and ys is not None else np.empty(0)
    shown = float(ys[at[0]]) if at.size else d.peak
    med = f"its median of 3 there {d.peak:.4g}, " if f"{shown:.4g}" != f"{d.peak:.4g}" else ""
    ev = [f"{name} climbed from {d.start:.4g} to {shown:.4g} at {f.axis_name} {_n(d.peak_at)} "
          f"({med}{_pct(d.peak_growth)} above its start) before it came back down"]
    c, end = f.chance, float(f.smoothed[-1])
    guess = {}
    if c.classes and end > 0 and abs(end - math.log(c.classes)) < AT_LN_K * math.log(c.classes):
        ev.append(f"{f.metric} ends at {end:.4g} = ln {c.classes}, the uniform guess: the weights did not recover")
        guess = {"uniform_guess": c.classes}
    elif name == f.metric:
        # K not given: the curve it reads was well below where it ended (>= 5 noise sds of improvement)
        # and climbed back at least halfway to its start. Flat there is a level the run fell back to.
        i = int(np.argmin(f.smoothed))
        gained = d.start - float(f.smoothed[i])
        if gained > 5 * f.noise and end - float(f.smoothed[i]) >= BACK_TO_START * gained:
            ev.append(f"{f.metric} had got down to {float(f.smoothed[i]):.4g} at {f.axis_name} {_n(f.x[i])} and ended "
                      f"back at {end:.4g}, {_pct((end - float(f.smoothed[i])) / gained)} of the way up to its start: "
                      "the weights did not recover")
            guess = {"back_to_start": (end - float(f.smoothed[i])) / gained}
    acts = ["learning-rate warm-up, or a lower peak learning rate", "gradient clipping",
            Action("lower the learning rate (try 1/10) if the later curve bounces too", LOWERS_LR)]
    # Outputs far out from the first point (_started_thrown) blow up at any rate where the inputs are unscaled: an
    # SGDClassifier (hinge) on raw breast_cancer at eta0 0.01 (tests/fixtures/ecosystem/sklearn_sgd_hinge/raw_s0.csv),
    # val_loss 323 at accuracy 0.871, climbed to 2480 at epoch 3; eta0 / 10 rescaled the loss (294 -> 30) and left
    # validation accuracy at 0.930 (seed 1: 0.912 -> 0.877), standardized it ends at 0.088, accuracy 0.953.
    thrown = None if guess else _started_thrown(f, t)
    if thrown is not None:
        ev.append(thrown)
        acts = [UNSCALED_FIRST.replace("leaves the spikes", "leaves the blow-ups")] + acts
    return Cause("lr_too_high", _ramp(d.peak_growth, t.diverge_growth, 4 * t.diverge_growth, *BLEW_UP_STRENGTH), ev,
                 acts, {"peak": d.peak, "peak_epoch": d.peak_at, "peak_growth": d.peak_growth, **guess})


#: :func:`first_epoch_thrown`: an epoch-mean training loss whose first point is at least this many times every later
#: one averaged a blow-up into that epoch. A descent's first epoch mean is a few times its second: ≤ 10.2x on the
#: diagnosis benchmark's curves (DeepOBS' memorising fmnist_2c2d, whose later level is 1e-5 of it, 6.5x), ≤ 17.6x on
#: an MLP fitting make_regression's raw targets (std ~150) at Adam 1e-2-1.0 and SGD 1e-5-1e-4; Adam 1.0 on the
#: standardized targets gave 3556x, 822x and 133x (seeds 0-2), Adam 0.3 206x. But a linear fit that reaches its noise
#: floor inside the first epoch gives 147x too (torch_reg_floor's reg_floor_sgd: 1.6, then 0.011 from epoch 1, with
#: validation at 0.011 after epoch 0): so the first point must also be ``FIRST_THROWN_LEVEL`` x the later level, and
#: validation must show the run never came back.
FIRST_THROWN = 100.0
FIRST_THROWN_LEVEL = 1000.0
#: ... and held-out data never came back: validation's best at least this many times training's later level.
FIRST_THROWN_VAL_GAP = 10.0


class _FirstThrown(NamedTuple):
    first: float        # the training loss's first point (an epoch's mean)
    next_high: float    # the highest of its later points
    level: float        # its later level: the median of its last quarter
    val_first: float    # validation's first point
    val_best: float     # validation's lowest point
    held: str | None    # how validation shows the run never came back: "never_below_first", "gap", or None


def _first_thrown(f: Facts) -> _FirstThrown | None:
    """A blow-up inside the first epoch, averaged into the epoch-mean training loss: its first point ≥
    ``FIRST_THROWN`` x every later one (a descent's is a few times its second) and ≥ ``FIRST_THROWN_LEVEL`` x its
    later level (the median of its last quarter), on an epoch axis (a step log's first point is the loss before any
    step), over ≥ 5 points, with a validation loss the metric (a training loss alone cannot show whether the run came
    back), its first point at least 10x under that mean (a loss logged before training, DeepOBS' epoch 0, is the same on both sets: no blow-up,
    an untrained network's loss). None where that does not hold. ``held`` says whether validation never came back:
    it never got below its first evaluation (made after the blow-up), or its best stayed ≥ ``FIRST_THROWN_VAL_GAP`` x
    training's later level, which no ln K, a regression's only reference, can show."""
    if f.axis_name != "epoch" or _higher(f):
        return None
    y = f.y if f.metric == "train_loss" else f.train_y
    if y is None:
        return None
    y = y[np.isfinite(y)]
    if y.shape[0] < MIN_TAIL_POINTS or not float(np.min(y[1:])) > 0:
        return None
    first, next_high = float(y[0]), float(np.max(y[1:]))
    level = float(median(y[-max(2, y.shape[0] // 4):]))
    if first < FIRST_THROWN * next_high or first < FIRST_THROWN_LEVEL * level:
        return None
    if not is_validation(f.metric):
        return None  # (a training loss alone cannot show whether the run came back: see first_epoch_thrown)
    v = f.y[np.isfinite(f.y)]
    if v.shape[0] < MIN_TAIL_POINTS or not float(v[0]) * 10 <= first:
        return None
    v0, best = float(v[0]), float(np.min(v))
    held = "never_below_first" if best >= v0 else "gap" if best >= FIRST_THROWN_VAL_GAP * level else None
    return _FirstThrown(first, next_high, level, v0, best, held)


def first_epoch_thrown(f: Facts, t: Thresholds) -> Cause | None:
    """An early blow-up no ln K shows: the first epoch's steps threw the outputs far out, the epoch-mean training loss
    averaging it in (:func:`_first_thrown`: its first point ≥ 100x every later one and ≥ 1000x its later level), and
    held-out data never came
    back -- validation never got below its first evaluation, or its best stayed ≥ 10x training's later level. A
    regression has no uniform guess to measure a thrown start by (``_thrown_at_start`` needs K), so such a run read
    as what its later points look like: a 20-64-64-1 MLP on make_regression (targets std 1, MSE) at Adam 1.0, train
    368,131 at epoch 0, then 103 and 15, ending 1.02, val 287 -> 462, read "overfitting, the best weights from epoch
    0" (99%); seed 1, val 131 -> 41 still creeping down, "still improving, keep training"; lr 0.1 reaches 0.012, lr
    0.01 0.004 (`tests/fixtures/ecosystem/torch_reg_blowup`). Checked before overfitting and still_improving, and,
    as beside a diverged loss, only what explains a blow-up is listed beside it: the "best weights" and "keep
    training" those read are the blow-up's. Where validation came back (Adam 0.3: train 336, then 1.6 ... 0.99, val
    2.19 -> 1.07, about predicting the mean, where lr 0.1 reaches 0.012) nothing is read: the log cannot tell that
    level from a floor reached inside the first epoch (reg_floor_sgd, above ``FIRST_THROWN``), which only the
    targets' variance would.

    First actions: lower the learning rate (try 1/10) and retrain from scratch; warm-up, clipping."""
    th = _first_thrown(f)
    if th is None or th.held is None:
        return None
    return _first_thrown_cause(f, th)


def _first_thrown_cause(f: Facts, th: _FirstThrown) -> Cause:
    ev = [f"train_loss's first point, {th.first:.4g}, is {_count(th.first / th.next_high)}x every later one (its "
          f"later level {th.level:.4g}): that epoch's mean averaged in steps that threw the outputs far out, a "
          "blow-up inside the epoch, which training's later epochs came back down from"]
    numbers = {"first_thrown": th.first / th.next_high, "first_level": th.level}
    if th.held == "never_below_first":
        ev.append(f"{f.metric} never got back below its first evaluation, {th.val_first:.4g} (made after that epoch), "
                  f"and ended at {float(f.y[np.isfinite(f.y)][-1]):.4g}: held-out data never came back from it")
    elif th.held == "gap":
        ev.append(f"{f.metric}'s best, {th.val_best:.4g}, stayed {_count(th.val_best / th.level)}x training's later "
                  "level: what training came back to does not carry over to held-out data")
    numbers["first_thrown_held"] = 1.0
    acts = [Action("lower the learning rate (try 1/10) and retrain from the start: the weights this run reached came "
                   "out of the blow-up", LOWERS_LR), "learning-rate warm-up, or gradient clipping"]
    return Cause("lr_too_high", 0.9, ev, acts, numbers)


#: _accuracy_rose: a rise of validation accuracy from its first value to its tail must also clear this many points of
#: accuracy (a tail read to no spread has no sd to clear). Set in b28ad13 (eval_accuracy 0.575 -> 0.625 beside a
#: growing eval_loss); no measurement recorded.
ACC_ROSE_FLOOR = 0.01


def _accuracy_rose(f: Facts) -> bool:
    """Validation accuracy ended clearly above its start (and above chance, when K is known): a
    validation loss that grew meanwhile is the model growing confident on what it gets wrong --
    overfitting -- not a blow-up. (A Trainer with the default logging_steps=500 on a short run
    logs no training loss; its eval_loss went 0.68 -> 1.64 while eval_accuracy rose 0.575 -> 0.625.)"""
    c = f.chance
    if c is None or c.val_acc_start is None or c.val_acc_tail is None:
        return False
    rose = c.val_acc_tail - c.val_acc_start > max(2 * (c.val_acc_tail_sd or 0.0), ACC_ROSE_FLOOR)
    return rose and (c.above_chance_sd is None or c.above_chance_sd > 2)


def _fell_before_climb(f: Facts, t: Thresholds, name: str) -> bool:
    """The loss ``name`` (train_loss or the metric) climbed as diverged reads a climb (:func:`_climbed`), and the
    points it logged before the first above its start (≥ ``MIN_TAIL_POINTS``) fell below it by > ``stuck_noise``
    of their own noise sds. A noise read over the whole run is then the blow-up's swings, not the scatter a fall
    before it is measured against: HistGradientBoostingClassifier at learning_rate 1.0 on a noisy XOR, training
    loss 0.6925 -> 0.1195 in 3 rounds (a noise sd of 0.049 over those 7) then up to 94,563 (517 over the run), read
    "also likely: stuck_at_init, never moved far from its initial value 0.6925: best 0.1347 (81% lower)"."""
    d = f.train_divergence if name == "train_loss" else _metric_divergence(f)
    y = f.train_y if name == "train_loss" and f.train_y is not None else f.y
    if d is None or y is None or not _climbed(f, t, name, d):
        return False
    y = y[np.isfinite(y)]
    above = np.flatnonzero(y[1:] > y[0]) if y.shape[0] else y
    end = 1 + int(above[0]) if above.shape[0] else 0
    if end < MIN_TAIL_POINTS:
        return False
    return float(y[0] - np.min(y[:end])) > t.stuck_noise * noise_sigma(y[:end])


#: stuck_at_init: a falling tail (t < improving_t) that made less than this share of its drop in its first quarter
#: is a steady descent (a step too small), not a start that stuck. Set in dc4ccd8; no measurement recorded.
STEADY_EARLY_SHARE = 0.5
#: A gradient norm whose late / early ratio is within this factor either way held flat: weights that barely moved
#: (661ebe7: an exploding RNN's 1/210 passed the old one-sided "< 2").
GRADS_FLAT = 2.0


def stuck_at_init(f: Facts, t: Thresholds) -> Cause | None:
    """Training never got going.

    Fires when (the conditions in full, and the runs that set them): improved < 1% (or < 3 sds of its own noise,
    unless accuracy clearly rose: DeepOBS svhn_wrn164 at Adam 0.063, training loss 57% lower but within 3 sds of a
    loss jumping 0.9–16, test accuracy 0.20 → 0.63; nor where the loss climbed as diverged reads it and fell beyond
    the noise of its points before that climb, `_fell_before_climb`) and no steady descent that still pays (one forecast to gain < 1%
    is stuck); not after an early blow-up; flat gradient norm; or the diagnosed loss at one value (to float32's
    1e-6) at every point from its first, ≥ 5 points, not 0, not under an lr decayed below 1/1000 of its peak: a
    model whose outputs never changed, not one that learned it all in an epoch; the training loss says why: frozen
    after a fall (units saturated or died in the first steps: standardize the inputs), frozen after a rise (updated
    the wrong way, then dead: lower the lr and restart first), never improved (the weights were never updated: check
    the optimizer's parameter list, requires_grad, lr 0), still improving (validation scores another model); where
    both curves then ended above their first points, the training loss above its first at most of its later points
    (a sign test: ≥ 3 sds above half of them; a step small for the curvature lowers the loss it descends or leaves
    it, never raises it) the steps moved the weights the wrong way: the verdict stays (the run never got going) and
    its first action lowers the lr, with no "raise the learning rate", whether or not `lr_too_high` is read beside
    it (DeepOBS fmnist_2c2d at Adam 0.158, ln 10 before training and above it after, 1/10 of the rate reaches 0.349;
    a digits MLP at SGD momentum 1.0, its training loss 140 after epoch 1 and above its start at all 30 later
    epochs).

    Named bars it reads itself (:class:`Thresholds`): ``improving_t``, ``stuck_noise``, ``stuck_rel``; the helpers
    it calls read more, and a bar of its own is a named constant or a literal commented where it is read.

    First actions: initialization, activations, normalization, lr; for a loss frozen from the start: standardize the
    inputs first; for both curves ended above their first points: lower the lr 10x first, never raise it; at a
    uniform guess's loss, "check that the targets depend on the inputs" first, unless every input gets one answer
    (`_one_answer`: units that died, the initialization first); there, with the gradient norm logged flat, vanishing
    gradients and their remedies second (`VANISHED_ACTION`: gating, residuals or normalization, shorter sequences,
    init); as the verdict with nothing logged to tell the two apart, the evidence says so and what would
    (`_labels_or_depth`). Where the curve still falls steadily (`_slow_descent`) "raise the learning rate" comes
    first; not where its last quarter made < ``SETTLED_TAIL_SHARE`` of the fall under a constant lr (`_settled`:
    settling onto a constant, no "raise the learning rate" at all) nor where a layer's gradient is exactly 0
    throughout (`_gradless`, which also keeps a steady crawl of < ``stuck_rel`` from reading as lr_too_low).
    With no uniform guess's loss (K unknown, a margin or a regression) and no steady descent, "check that the
    targets depend on the inputs" comes second (`STUCK_LABELS`), not where the steps moved the weights the wrong
    way (`_stuck_by_the_step`).
    """
    pl, name = (f.train_plateau, "train_loss") if f.train_plateau is not None else (f.plateau, f.metric)
    if _higher(f) and name == f.metric:
        return None
    noise = f.noise if name == f.metric else (f.train_noise or 0.0)
    # A log that starts late (a resumed fit read alone) fell unseen before its first point, which is no initial
    # value: that fall counts (optimizer.missed_improvement), and only a loss at a uniform guess's reads stuck so.
    missed = (f.missed if name == f.metric else f.train_missed) if _at_a_guess(f, pl.floor, name) is None else 0.0
    small_rel = pl.improvement + missed < t.stuck_rel * abs(pl.start + missed)
    small_noise = pl.improvement + missed < t.stuck_noise * noise
    if small_noise and not small_rel and _fell_before_climb(f, t, name):
        small_noise = False  # (the noise was the blow-up's; the fall before it was beyond its own)
    tr = f.train_trend if name == "train_loss" and f.train_trend is not None else f.trend
    # A slow, steady descent that still pays is lr_too_low; one forecast to gain < 1% is stuck. (Read on the
    # diagnosed curve too: a training loss logged per step is a batch's loss, whose draw hides a crawl that the
    # validation loss shows -- TensorBoard's Loss/train of the digits MLP at SGD 1e-4, t = -1.0 beside validation's
    # straight 2.300 -> 2.291.)
    # (Not where some layer's gradient is exactly 0 throughout, _gradless: a descent there is the layers after it
    # fitting a constant, which no step size turns into learning.)
    steady = any(c.slope_t < t.improving_t and c.early_share < STEADY_EARLY_SHARE for c in (tr, f.trend)) \
        and (_falling(f, t) or _crawling(f, t)) and not _gradless(f)
    if not (small_rel or small_noise) or steady or blew_up(f, t) is not None or _exploded(f, t):
        return None  # (back at its start after a blow-up, or gradients that exploded: the blow-up is the story)
    if (name != "train_loss" or not small_rel) and _accuracy_rose(f):
        # A fall hidden only by the loss's noise (not small against its start) is a move when accuracy clearly
        # rose with it (DeepOBS SVHN WRN-16-4, Adam 0.063: train loss 2.78 -> best 1.20, 57% lower but within
        # 3 sds of a loss jumping 0.9-16 each epoch, read "never moved far" while test accuracy went 0.20 -> 0.63).
        # A validation loss so read from its first point on is overfitting.
        return None
    ev = [f"{name} never moved far from its initial value {pl.start:.4g}: best {pl.floor:.4g} "
          f"({_pct(pl.improvement / abs(pl.start) if pl.start else 0.0)} lower)"]
    o = f.optimizer
    grads_flat = o.grad_norm_early is not None and o.grad_norm_ratio is not None \
        and 1 / GRADS_FLAT < o.grad_norm_ratio < GRADS_FLAT
    conf = 0.9 if grads_flat else 0.8
    if grads_flat:
        ev.append(f"gradient norm stayed at {o.grad_norm_early:.2g}–{o.grad_norm_late:.2g} from the start")
    acts = list(ACTIONS["stuck_at_init"])
    guess = _at_a_guess(f, pl.floor, name)
    dead = _gradless(f)
    slow = _slow_descent(f, t)
    paced = None if slow is not None or dead else _annealed_descent(f, t)
    if guess is not None:
        ev.append(guess)
        acts.insert(0, "check that the targets depend on the inputs: labels shuffled or misaligned with their "
                       "inputs, a contrastive loss's positive pairs that share nothing (its chance is ln(2B − 1) for "
                       "B pairs a batch, not ln of the classes): with nothing to learn a model sits at a uniform "
                       "guess at any lr or initialization")
        # (Every input's one answer beside a loss still falling per unit of lr-time (_annealed_descent) is a step
        # that never moved the outputs off the guess, not units that died: a dead network's loss settles and stays.)
        alike = _one_answer(f, t) if paced is None else None
        if alike:  # (one answer for every input, neither loss falling: the units first, the labels second)
            ev.append(alike)
            acts[0], acts[1] = acts[1], acts[0]
        elif grads_flat and paced is None:
            ev.append(VANISHED_LINE)
            acts.insert(1, VANISHED_ACTION)
    settled = _settled(f, t)
    if paced is not None:
        ev.append(paced)
        acts = [_raise_peak(f)] + [a for a in acts if a != "raise the learning rate"]
    elif slow is not None and not dead:
        ev.append(slow)
        acts = [RAISE_LR] + [a for a in acts if a != "raise the learning rate"]
    elif settled is not None or dead:
        # (A fall that is over, or layers no step moves: a larger lr reaches the same level sooner, no lower.)
        if settled is not None:
            ev.append(settled)
        acts = [a for a in acts if a != "raise the learning rate"]
    if guess is None and slow is None and paced is None and not dead:
        # (With no uniform guess's loss to show it -- a margin, a regression, K unknown -- targets that carry
        # nothing hold a model at its first loss at any rate all the same. A triplet margin loss on digits with
        # the labels shuffled (tests/fixtures/ecosystem/triplet_thrown/shuffled.csv): 0.99 from the first epoch,
        # the margin a collapsed embedding scores, read with "raise the learning rate" and no word of the labels;
        # lr x 10 stays at 0.998.)
        acts.insert(1, STUCK_LABELS)
    numbers = {"improvement": pl.improvement}
    if paced is not None:
        numbers["lr_paced"] = f.lr_phases.pace_ratio  # (the reading: no underfitting beside it, in _diagnose)
    return Cause("stuck_at_init", conf, ev, acts, numbers)


#: stuck_at_init's second action where no uniform guess's loss names the labels first.
STUCK_LABELS = ("check that the targets depend on the inputs (labels shuffled or misaligned, pairs or triplets "
                "drawn from labels that carry nothing): with nothing to learn a model stays at its first loss at any "
                "lr")


# stuck_at_init at a uniform guess's loss with the gradient norm logged flat and the answers still varying with the
# inputs (no _one_answer): a gradient that vanishes on its way back leaves the output layer's, which fits the class
# frequencies (ln K on balanced classes) and no more, and holds the whole norm flat; targets the inputs do not
# determine give the same curves, so the labels check (cheap) stays first and this comes second. A tanh RNN asked
# the sign of the first of 60 inputs, recurrent weights orthogonal x 0.5 (tests/fixtures/ecosystem/torch_walk39c/
# rnn_vanish.csv): 0.23-0.21 for 40 epochs at ln 2. (The walk's GRU at the same Adam 1e-3 still sat at 0.695 after
# 25 epochs: the remedy is a suggestion, not a measured fix.)
VANISHED_LINE = ("the gradient norm held flat while the loss sat at a guess: a gradient that vanishes on its way "
                 "back (through a recurrent net's steps or a deep net's layers) leaves only the output layer's, "
                 "which fits the class frequencies and no more; targets the inputs do not determine look the same")
#: _labels_or_depth's line.
UNTOLD_LINE = ("nothing in this log tells why: targets the inputs do not determine hold a model at a uniform guess, "
               "and so does a gradient that vanishes before it reaches the early layers (a deep stack of sigmoid or "
               "tanh layers, dead ReLUs); a model of one hidden layer trained on the same data tells them apart (if "
               "it learns, the labels carry signal and the deep net's gradient is what fails), as does each layer's "
               "gradient norm logged (grad_norm/<layer>)")
VANISHED_ACTION = ("gradients vanish? gating (an LSTM or GRU in place of a plain RNN), residual connections or "
                   "normalization, shorter sequences (truncated backpropagation), an initialization that keeps the "
                   "signal's scale (orthogonal recurrent weights at gain 1, He for ReLU); each layer's gradient norm "
                   "logged (grad_norm/<layer>) shows where it dies")


def _labels_or_depth(f: Facts, t: Thresholds, verdict: Cause) -> None:
    """A ``stuck_at_init`` verdict at a uniform guess's loss whose log holds nothing to tell labels without signal
    from a gradient that vanishes before the early layers: no gradient norm logged, whole or per layer, no one
    answer for every input (:func:`_one_answer`: units dead), no steady fall (:func:`_slow_descent`: a step too
    small) and no step that threw the weights up (:func:`_stuck_by_the_step`). The labels check stays first (it is
    cheap), and the evidence says plainly that the log cannot tell the two apart and what would. A digits MLP of
    ten 32-wide sigmoid layers at SGD 0.05 (momentum 0.9; tests/fixtures/ecosystem/deep_sigmoid): both losses at
    ln 10 for 60 epochs, read "check that the targets depend on the inputs" first with no word of the depth; the
    same labels with ReLUs and Adam 1e-3 reach validation accuracy 0.891."""
    if verdict.id != "stuck_at_init" or STEP_TOO_LARGE in verdict.actions or f.layer_grads is not None \
            or f.optimizer.grad_norm_early is not None:
        return
    pl, name = (f.train_plateau, "train_loss") if f.train_plateau is not None else (f.plateau, f.metric)
    if _at_a_guess(f, pl.floor, name) is None or _one_answer(f, t) or _slow_descent(f, t) is not None \
            or "lr_paced" in verdict.numbers:
        return
    verdict.evidence.append(UNTOLD_LINE)


def _one_answer(f: Facts, t: Thresholds) -> str | None:
    """A run at a uniform guess's loss (``stuck_at_init``) that gives every input the same answer: validation
    accuracy unchanged over its last ≥ ``frozen_acc_points`` points while neither loss falls (tail t >
    ``improving_t`` on both). Units that all died or saturated answer so whatever the labels; labels without
    signal leave a live network's answers varying with its inputs (NT-Xent on unpaired views, torch_contrastive:
    its accuracy moved at every epoch). A digits MLP whose biases started at -20 (every ReLU dead): both losses at
    ln 10 from the first epoch, validation accuracy 0.0889 over the last 18 of 60, read "check that the targets
    depend on the inputs" first and "dead ReLUs" second. The line to say, else None."""
    c = f.chance
    if c is None or c.val_acc_still < t.frozen_acc_points or c.val_acc_tail is None:
        return None
    trends = [f.trend] + ([f.train_trend] if f.train_trend is not None else [])
    if any(tr.slope_t < t.improving_t for tr in trends):
        return None
    return (f"validation accuracy unchanged at {c.val_acc_tail:.4g} over the last {c.val_acc_still} "
            f"{f.axis_name}s while no loss falls: the model gives every input the same answer, as units that all "
            "died or saturated do whatever the labels (labels without signal leave a live network's answers varying "
            "with its inputs)")



#: stuck_at_init's first action where its curve still falls steadily (_slow_descent).
RAISE_LR = ("raise the learning rate (try 10x; an lr range test finds the range): the curve still falls, at a pace "
            "the step sets")


#: _slow_descent / _settled: a falling tail that made less than this share of the curve's whole fall is the end of a
#: fall that is over -- by X's own measure (the point by which 95% of the improvement was made) the curve flattened
#: before its last quarter --, not a descent the step holds back; a straight one makes ~25%. Measured on the runs
#: that set it, not fitted: a digits ReLU MLP with its hidden biases at -5 (every unit dead, Adam 1e-3), val 2.3050
#: -> 2.3025 onto ln 10, tail share 0.010 / 0.011 (seeds 0, 1; lr 1e-2 ends at 2.3025 too); diabetes' raw targets
#: through a sigmoid output, 0.0003 (lr x10 froze at 27952.5); against 0.09-0.26 on DeepOBS' All-CNN-C at SGD 1e-5
#: to 1e-4 (whose best rate reaches 2.1) and 0.24 on torch_sgd_tiny_lr (x1000 reaches 0.13).
SETTLED_TAIL_SHARE = 0.05


def _annealed_descent(f: Facts, t: Thresholds) -> str | None:
    """A run read stuck under a schedule that ran the lr below ``annealed_lr`` of its peak, whose curve still fell
    per unit of lr-time (:class:`~losslens.facts.optimizer.LrPhases`) over both the late half of its peak stretch and
    the annealed stretch (t < ``improving_t`` each), no faster once annealed (pace ratio in (0, 1]), by ≥
    ``stuck_noise`` noise sds in all: :func:`annealed_early`'s shape, read on a run too short (< ``shape_min_points``)
    or a fall too small (< ``lr_low_drift_noise`` sds annealed) for that rule. On the axis the curve flattens because
    the schedule stopped stepping, so :func:`_slow_descent` (its last quarter on the axis) cannot see it. A network
    that cannot learn (dead units, labels without signal) settles onto the class frequencies and stays there; this one
    was still moving at the step's pace when the lr ran out. A Transformers Trainer (linear decay to 0 from its
    default 5e-5) on a randomly initialised 1-layer BERT (hidden 32) reading digits' pixels as tokens
    (tests/fixtures/ecosystem/hf_bert_lr_low): val 2.302612 -> 2.302590 at ln 10 over 12 epochs, peak t = -9.0,
    annealed t = -5.5, pace 0.63, validation accuracy 0.102 throughout, read "check the initialization" first with
    "raise the learning rate" 4th and underfitting likely beside it; 10x the peak ended at 2.268, 100x at 2.041
    (accuracy 0.22), while twice the epochs (the same decay stretched) and twice the hidden size stayed at 2.3026. The
    line to say, else None."""
    p, o = f.lr_phases, f.optimizer
    if p is None or _higher(f) or o.lr_ratio is None or not o.lr_ratio < t.annealed_lr or not f.noise > 0:
        return None
    if not (p.peak_slope_t < t.improving_t and p.annealed_slope_t < t.improving_t and 0 < p.pace_ratio <= 1
            and f.plateau.improvement >= t.stuck_noise * f.noise):
        return None
    to = f"0 from its peak{_peak_lr(o)}" if o.lr_last == 0 else f"{o.lr_ratio:.2g} of its peak{_peak_lr(o)}"
    return (f"but per unit of learning rate {f.metric} still fell to the end, {_noise_sds(f.plateau.improvement / f.noise)} "
            f"of its noise in all: over the late half of the peak stretch (t = {_t(p.peak_slope_t)}) and as the "
            f"learning rate annealed to {to} (t = {_t(p.annealed_slope_t)}, at {_pct(p.pace_ratio)} of the peak's "
            "pace): learning, at a pace the step sets, until the schedule stopped stepping; a network that cannot "
            "learn settles and stays")


def _raise_peak(f: Facts) -> Action:
    """stuck_at_init's first action where its curve fell at the step's pace until the schedule ran out
    (:func:`_annealed_descent`)."""
    peak = _peak_lr(f.optimizer)
    return Action(f"raise the peak learning rate (try 10x the peak{peak}, then 100x: losslens verify --cause "
                  "lr_too_low): the step, not the epochs, held it; the same decay over more epochs gives little more",
                  RAISES_LR)


def _slow_descent(f: Facts, t: Thresholds) -> str | None:
    """The diagnosed curve of a run read stuck still falls steadily to its end: its tail's t below ``improving_t``,
    its last 10% at ≥ ``lr_low_end_rate`` of the tail's pace, its lowest point in that tail, and that tail made ≥
    ``SETTLED_TAIL_SHARE`` of the whole fall under a constant lr (a smaller share is a fall that is over,
    :func:`_settles`). A network that cannot learn (dead units, targets unrelated to the inputs) holds its level or
    creeps toward the class prior and levels off there; one that still falls at this pace is learning, at a step too small to get far -- raise the
    learning rate first, not "check the labels". DeepOBS' All-CNN-C on CIFAR-100 at SGD 1e-5 to 1e-4 (4.928 ->
    4.898-4.917 in 350 epochs, t = -25 to -100; the grid's best rate, 0.1, reaches 2.1); a PyTorch digits MLP at SGD
    1e-4 (x1000 reaches 0.13). Dead ReLUs read beside it keep their actions: their validation loss does not fall
    (gen/stuck_dead_relu: t = +11.7). A line naming it for the evidence, else None."""
    tr, pl = f.trend, f.plateau
    if _higher(f) or not tr.slope_t < t.improving_t or not tr.end_rate >= t.lr_low_end_rate \
            or pl.floor_index < tr.tail_start or f.n_points < t.shape_min_points or _settles(f):
        return None
    below = "" if math.isnan(tr.total_drop_rel) else f" {_pct(tr.total_drop_rel)} below its start"  # (offset-free)
    return (f"but {f.metric} still falls steadily: {_tail(f)} {_trend_words(tr.slope_t)}, its lowest point in it,"
            f"{below} after {f.n_points} {f.axis_name}s: learning, at a pace the step sets")


def _settled(f: Facts, t: Thresholds) -> str | None:
    """The diagnosed curve of a run read stuck falls by its tail's t-test (t < ``improving_t``) but its last quarter
    made < ``SETTLED_TAIL_SHARE`` of its whole fall: it is settling onto a constant, not descending. An output layer
    whose inputs carry nothing (units that died or saturated) still fits its bias, to the class frequencies (ln K on
    balanced classes, where the curve ends at ln K) or a regression's best constant within the output's range, and that fall slows
    to nothing; a larger step gets there sooner and no lower (the -5-bias digits MLP at lr 1e-2: 2.3025 again). The
    line to say, else None."""
    tr = f.trend
    if _higher(f) or not tr.slope_t < t.improving_t or not _settles(f) or f.n_points < t.shape_min_points:
        return None
    end = float(f.smoothed[-1])
    at_guess = _at_a_guess(f, end, f.metric) is not None
    onto = (f" ({end:.5g}; ln {f.chance.classes} = {math.log(f.chance.classes):.5g}), what an output layer's bias "
            "alone reaches by fitting the class frequencies" if at_guess else
            f" ({end:.5g}), as an output fitting only its bias does (inputs that carry nothing through dead or "
            "saturated units), or one squashed into a range its targets lie outside")
    return (f"{f.metric} still falls by its t-test (t = {tr.slope_t:.1f} over {_tail(f)}), but that stretch made "
            f"only {_pct(max(tr.tail_drop, 0.0))} of its whole fall: it is settling onto a constant{onto}, not "
            "descending at a pace the step sets; a larger learning rate gets there sooner, no lower")


def _settles(f: Facts) -> bool:
    """The diagnosed curve's last quarter made < ``SETTLED_TAIL_SHARE`` of its whole fall under a constant (or
    unlogged) lr. Under a logged lr that decayed, the schedule ran the step out and flattened the curve itself:
    torch_decayed_slow, SGD 1e-3 cut 10x every 10 epochs, its last quarter 0.07% of the fall, reaches 0.63 at 10x
    the rate."""
    return f.trend.tail_drop < SETTLED_TAIL_SHARE and f.optimizer.lr_schedule in (None, "constant")


def _gradless(f: Facts) -> bool:
    """Some layer's gradient norm, logged per layer, was exactly 0 at every point (``LayerGradFacts.zero``): the
    gradient reached it (a layer cut off from the loss has none and is not logged) and was 0 for every batch --
    units that died or saturated. No learning rate moves weights whose gradient is 0, and what lies after them sees
    constant inputs: a descent in such a run is the layers after them fitting a constant, not learning held back
    by its step (the -5-bias digits MLP under losslens' torch Monitor: both hidden layers at 0, "learning rate too
    low" live at epoch 20 of a run that ended at ln 10 at lr 1e-3 and 1e-2 alike)."""
    g = f.layer_grads
    return g is not None and bool(g.zero)


# A fresh classifier's cross-entropy is near ln K (outputs near uniform); a loss at this many times ln K or more is
# outputs pushed to confident, wrong answers, which no untrained network gives (_thrown_at_start).
THROWN_FACTOR = 2.0
#: The claim of every first action that lowers the rate "and restart from scratch" (units that died or saturated,
#: weights a step threw out): no smaller step brings such weights back, so verify retrains the lower rate from the
#: first epoch, not from the plateau (:func:`restarts`, read by ``verification._from_plateau``). A Keras 64-64 MLP on
#: wine at Adam 0.2, collapsed by epoch 4 (tests/fixtures/ecosystem/keras_wine_collapse): lr / 10 from epoch 5 ended
#: val_loss +0.0%, from scratch 5.12 -> 0.14.
RESTART = "and restart from scratch"


def restarts(cause: Cause) -> bool:
    """Whether ``cause`` says to lower the rate and restart from scratch (an action whose claim is :data:`RESTART`)."""
    return any(getattr(a, "claim", None) == RESTART for a in cause.actions)


# The first action where the steps threw a network off its start and its units died there (a restart, not more epochs).
RESTART_LOWER = Action("lower the learning rate (try 1/10) and restart from scratch: units that died or saturated "
                       "will not recover", LOWERS_LR, RESTART)
# The actions of a network the first steps threw off its start (_thrown_at_start, _thrown_to_certainty).
THROWN_ACTIONS = (RESTART_LOWER, "learning-rate warm-up, or gradient clipping",
                  "check the initialization and activations (dead ReLUs, saturated sigmoids)")


def _thrown(cause: Cause) -> bool:
    """``cause`` is :func:`_thrown_at_start`'s reading (K given: ``thrown_ratio``; K unknown: ``certain``)."""
    return "thrown_ratio" in cause.numbers or "certain" in cause.numbers


#: _thrown_at_start: a logged accuracy at no less than this share of 1/K: the loss, not the labels, is off (df1761a;
#: no measurement recorded).
THROWN_ACC_SHARE = 0.5


def _thrown_at_start(f: Facts, stuck: Cause) -> Cause:
    """A run read ``stuck_at_init`` whose loss was never within ``THROWN_FACTOR`` x ln K of a fresh network's
    (K given: an inferred K is read off the first loss itself), training's neither, is no network that never
    moved: its first epoch's steps threw it far above where it started, and it stayed there (units that died or
    saturated: constant outputs). The verdict is ``diverged`` -- the loss exploded, in the first epoch, before
    anything was logged -- with the lr first among the actions. A Keras digits MLP (64-64-10) at Adam 0.3:
    both losses at 12-14.5 = 5-6x ln 10 from epoch 0, val_loss exactly 14.5361 at all 30 epochs, training
    14.24 -> 14.50, read "stuck at initialization ... the weights were never updated"; at Adam 0.03 it reaches
    val 0.1 (tests/fixtures/ecosystem/keras_lr_blowup). Returns ``stuck`` unchanged where that does not hold."""
    c = f.chance
    # (An accuracy logged beside it, at no less than half of 1/K, says the loss is a K-way classifier's
    # cross-entropy: a constant answer scores its class's share, near 1/K. A contrastive loss's chance is
    # ln(2B - 1), not ln of the dataset's classes: NT-Xent at B = 128 sits at 5.54 > 2 ln 10 untrained, its
    # accuracy 0.005 ~ 1/255 -- tests/fixtures/ecosystem/torch_contrastive with classes=10.)
    if c is None:
        return stuck
    acc = c.val_acc_tail if c.val_acc_tail is not None else c.train_acc_tail
    if c.classes_from != "given" and not _higher(f) and f.metric.endswith("loss"):
        return _thrown_to_certainty(f, stuck)
    if not c.classes or c.classes < 2 or c.classes_from != "given" or _higher(f) \
            or not f.metric.endswith("loss") or acc is None or acc < THROWN_ACC_SHARE / c.classes:
        return stuck
    ref = math.log(c.classes)
    curves = [(f.metric, f.y)] + ([("train_loss", f.train_y)] if f.train_y is not None and f.metric != "train_loss"
                                  else [])
    finite = [(name, y[np.isfinite(y)]) for name, y in curves]
    if any(y.shape[0] == 0 for _, y in finite) or min(float(y.min()) for _, y in finite) < THROWN_FACTOR * ref:
        return stuck
    (name, y), lowest = finite[0], min(float(y.min()) for _, y in finite)
    which = "either loss" if len(finite) > 1 else "it"
    ev = [f"{name} starts at {float(y[0]):.4g}, {float(y[0]) / ref:.1f}x ln {c.classes} = {ref:.4g}, the loss of a "
          f"fresh network (its outputs near uniform), and no point of {which} came back under {THROWN_FACTOR:g}x it "
          f"(lowest {lowest:.4g}): the first {f.axis_name}'s steps threw the outputs to confident, wrong answers"]
    if "constant_tail" in stuck.numbers:
        # dead_from_start's reading stands (outputs constant from the first point; what training's loss did, as a
        # rise then a freeze): it words those facts, this rule adds only where the loss started against ln K.
        ev += stuck.evidence
    elif len(finite) > 1:
        ty = finite[1][1]
        if ty.shape[0] > 1 and float(ty[-1]) != float(ty[0]):
            ev.append(f"train_loss {float(ty[0]):.4g} -> {float(ty[-1]):.4g}: the weights were updated, so not "
                      "an optimizer that never stepped")
    acts = list(THROWN_ACTIONS)
    return Cause("diverged", stuck.confidence, ev, acts,
                 {"thrown_ratio": float(y[0]) / ref, "ln_k": ref})


#: Half the examples: an accuracy above it is right on most of them, a share a constant answer reaches only as a
#: majority class's; K unknown, the chance level a climb must pass (a guess among K >= 2 classes scores at most
#: 1/2). A definition, not tuned: _thrown_to_certainty ("most answers wrong"), constant_guess,
#: no_signal, learned_prior, _majority_held and _accuracy_climbs_on read it.
MAJORITY = 0.5


def _thrown_to_certainty(f: Facts, stuck: Cause) -> Cause:
    """K unknown, so no ln K to hold the loss against: the loss itself may still say where the outputs are. On the
    line (1 - accuracy) x 16.118 from the first evaluation (``facts.chance.certain_answers``: Keras's loss where
    every answer is given with certainty, -ln 1e-7 per wrong one) with most answers wrong, every input got one
    class with certainty, which no fresh network gives (its outputs near uniform, its loss ln K: under 8.06, half
    the clip, for fewer than 3,000 classes). The first steps threw the outputs there: ``diverged``, as
    :func:`_thrown_at_start` reads it with K given (tests/fixtures/ecosystem/keras_lr_blowup: Adam 0.3 and SGD 5,
    val_loss 14.5361 = (1 - 0.0981) x 16.118 at all 30 epochs). Without that line (a torch loss, which does not
    clip) nothing says how far the loss is from a fresh network's: ``stuck`` stands, its first action the step."""
    c = f.chance
    acc = c.val_acc_tail if c.val_acc_tail is not None else c.train_acc_tail
    if c.certain is None or acc is None or acc > MAJORITY:
        return stuck
    y = f.y[np.isfinite(f.y)]
    ev = [f"{f.metric} starts at {float(y[0]):.4g} and stays on (1 − accuracy) x {KERAS_CLIP_LOSS:.4g} (ratio "
          f"{c.certain:.4f}), Keras's loss when every answer is given with certainty (probabilities clipped at "
          f"1e-7): from the first evaluation each input got one class with certainty, wrong on {_pct(1 - acc)} of "
          "them; a fresh network's outputs are near uniform, its loss ln K (under 8.06, half the clip, for fewer "
          "than 3,000 classes), so the first steps threw the outputs to confident, wrong answers (pass --classes to "
          "compare with ln K)"]
    acts = list(THROWN_ACTIONS)
    return Cause("diverged", stuck.confidence, ev + stuck.evidence, acts, {"certain": c.certain})


def _stuck_by_the_step(f: Facts, t: Thresholds, causes: list[Cause]) -> None:
    """A run stuck at its start whose two curves both ended above their first points, training's above its
    first at most of its points, stays stuck_at_init -- the state, DESIGN.md's
    "never got going" -- but its actions lower the learning rate and drop "raise the learning rate". The
    training loss is what the steps lower: a step small for the loss's curvature lowers it or, tiny, leaves it
    where it was (cifar100_allcnnc at SGD 2.5e-5: 4.928 -> 4.914 in 350 epochs keeps "raise the learning
    rate"); one that ends above where it started was moved there by steps too large. DeepOBS' grids (seed 42):
    fmnist_2c2d at Adam 0.158-6.3 (val 2.301 = ln 10 before training, 2.311-2.61 at the end), where Adam
    0.0158 reaches 0.349 and the grid's best, 2.5e-4, 0.246; at SGD 2.5-15.8 (best 0.158: 0.258) and momentum
    0.1-1 (best 2.5e-3: 0.268); fmnist_vae at SGD 0.1-0.4 (133 -> 150-160; best 4e-3: 23.5): 32 runs, each at
    15x its grid's best rate or more, with relapsed's lr_too_high beside them. Without it -- validation's
    rise within its noise, or a loss bouncing above its start -- the training loss says the same: a
    PyTorch digits MLP at SGD momentum 1.0 (training loss 140 after epoch 1, back to 2.38 above its 2.31),
    fmnist_2c2d at Adam 10 and momentum 1.6-3.98, where 1/10 of the rate learns. (A loss that never came back
    within 25% of its start -- fmnist_2c2d at Adam 63 and momentum 10, 2.31 -> 17-100 -- diverged: _climbed.)"""
    ty = f.train_y
    if causes[0].id != "stuck_at_init" or ty is None or _higher(f):
        return  # (a score that ended above its first point rose: no step threw it off)
    (v0, v1), (t0, t1) = [(float(y[0]), float(np.nanmedian(y[-3:]))) for y in (f.y, ty)]
    # Above its first point at most of its later points: a sign test, >= 3 of its sds above the half that a
    # curve hovering at its start would give. (Not >= 3 noise sds at the end: a loss bouncing far above its
    # start has a noise as large as the bounce; fmnist_2c2d at momentum 3.98, 2.31 -> 3.2, above it at all 100
    # later points, 2.47 at the lowest of its second half.)
    later = ty[1:][np.isfinite(ty[1:])]
    n, above = later.shape[0], int(np.count_nonzero(later > t0))
    if not (v1 > v0 and t1 > t0 and _mostly_above(later, t0, t)):
        return
    stuck = causes[0]
    peak = int(np.nanargmax(ty))
    # (A climb by diverged's measure, 25% above the start, is said: the bounce a user sees in the log.)
    climb = (f", up to {float(ty[peak]):.4g} at {f.axis_name} {_n(f.train_x[peak])}"
             if ty[peak] - t0 > t.diverge_growth * abs(t0) else "")
    stuck.evidence.append(f"both curves ended above their first points ({f.metric} {v0:.4g} -> {v1:.4g}, "
                          f"train_loss {t0:.4g} -> {t1:.4g}, above its start at {above} of its {n} later points{climb}): "
                          "the steps moved the weights, the wrong way -- a step too large, not one too small")
    # (Steps that moved the weights the wrong way are the story: no word of the labels, STUCK_LABELS.)
    stuck.actions = [STEP_TOO_LARGE] + [a for a in stuck.actions if a not in ("raise the learning rate", STUCK_LABELS)]


# stuck_at_init's first action where the first layers' gradient vanished (_layer_gradients): ReLU + He init at the
# same SGD(0.01) took the 10-layer digits MLP from ln 10 to val 0.112 in 40 epochs (tests/fixtures/ecosystem/layer_grads).
GRADIENT_PATH = ("ReLU (or GELU) with He initialization, normalization layers or residual connections: activations "
                 "that keep the gradient's size on its way back to the first layers")


# stuck_at_init's first action where layers' gradients were exactly 0 at every point (_gradless): what makes units
# dead or saturated from the start, not the step (the -5-bias digits MLP ended at ln 10 at lr 1e-3 and 1e-2; biases
# at 0 reach 0.11).
DEAD_LAYERS = ("check the initialization and activations (dead ReLUs, saturated sigmoids) and re-initialize the layers "
               "whose gradient is 0: their units are dead or saturated (biases pushed negative, weights too large, "
               "inputs unscaled); default (He / Glorot) initialization with zero biases, a leaky ReLU or GELU, "
               "standardized inputs")


def _layer_gradients(f: Facts, t: Thresholds, causes: list[Cause]) -> None:
    """Where each layer's gradient norm was logged, what it says about a model that never learned (stuck_at_init)
    or fits nothing (underfitting): the first layer's gradient a vanishing share of the last layer's, early and
    late alike (saturated units between them pass almost none back), or layers whose gradient was exactly 0 at
    every point (frozen, cut off from the loss, or behind units that all died). Under ``converged`` the same
    shares are a caveat: the curve is flat, but a floor reached with its first layers barely learning may be the
    last layers' floor, not the model's. Evidence only: the verdict stands."""
    g = f.layer_grads
    if g is None or not causes or causes[0].id not in ("stuck_at_init", "underfitting", "converged"):
        return
    cause = causes[0]
    first, last = g.layers[0], g.layers[-1]
    r, late = g.first_to_last, g.first_to_last_late
    if r and late and max(r, late) < t.vanishing_ratio:  # (a first layer at exactly 0 is said below, not as a share)
        # (Under converged a caveat, not a cause: a 5-layer sigmoid MLP on diabetes read flat from epoch 1 at val
        # 0.86, with the first layer's gradient 4e-4 of the last's; 3 layers reached 0.51. layer_grads/make.py)
        so = (", so the first layers barely learn" if cause.id != "converged" else
              ": the curve is flat, but its first layers barely learned, so this may be the last layers' floor, not "
              "the model's (ReLU / He initialization, normalization or residual connections may go lower)")
        cause.evidence.append(f"the first layer's gradient ({_module(first)}) is {r:.2g} of the last layer's "
                              f"({_module(last)}) from "
                              f"{f.axis_name} {_n(g.since)} ({late:.2g} over the last quarter): it vanishes on its way "
                              f"back through the layers{so}")
        cause.numbers["first_to_last_grad"] = r
        if cause.id == "stuck_at_init":  # (it says what "check the initialization and activations" would find)
            cause.actions = [GRADIENT_PATH] + [a for a in cause.actions if a not in (GRADIENT_PATH, ACTIONS[
                "stuck_at_init"][0])]
    # (Not under converged: a fine-tune that froze its first layers on purpose converges with them at 0.)
    if g.zero and cause.id != "converged":
        named = ", ".join(_module(z) for z in g.zero[:4]) + (f" ... {_module(g.zero[-1])}" if len(g.zero) > 4 else "")
        cause.evidence.append(f"the gradient of {len(g.zero)} of the {len(g.layers)} layers ({named}) is exactly 0 at "
                              f"every point logged: {'its' if len(g.zero) == 1 else 'their'} weights never change (cut "
                              "off from the loss, or behind units that all died), and no learning rate moves weights "
                              "whose gradient is 0")
        cause.numbers["zero_grad_layers"] = len(g.zero)
        check = ACTIONS["stuck_at_init"][0]
        if cause.id == "stuck_at_init" and check in cause.actions:
            cause.actions = [DEAD_LAYERS] + [a for a in cause.actions if a not in (check, DEAD_LAYERS)]


def _module(name: str) -> str:
    """A layer's name for a sentence: a bare Sequential's ``0`` as ``module 0``."""
    return f"module {name}" if name.isdigit() else name


def _k_source(c) -> str:
    """Where an inferred K came from, for evidence that quotes 1/K or ln K ("" where K was given)."""
    if not c.classes_inferred:
        return ""
    if c.classes_from == "constant loss":
        return " (K read off a loss held constant at ln K: a uniform output)"
    if c.classes_from == "held loss":
        level = f" {c.first_loss:.5g}" if c.first_loss is not None else ""
        return (f" (K = {c.classes} read off the level the losses held{level} ≈ ln {c.classes} = "
                f"{math.log(c.classes):.5g}, within its noise over their later half, where ln {c.classes - 1} and "
                f"ln {c.classes + 1} are not; pass classes= to be exact)")
    if c.classes_from == "resting loss":
        # Inferred from the level alone (facts.chance.resting_at_ln_k): said as an inference, with the number.
        low = f" {c.first_loss:.4g}" if c.first_loss is not None else ""
        return (f" (K = {c.classes} inferred: after they moved the losses rest at ln {c.classes}, their lowest{low} "
                f"within {_pct(abs(c.first_loss / math.log(c.classes) - 1)) if c.first_loss else '1%'} of it, "
                f"a uniform guess over {c.classes} classes; pass --classes to set it)")
    # A guess, not a fact: the first logged loss is often an epoch's mean, which that epoch's learning lowers and a
    # thrown first step raises (Keras SGD(3.0) on 10 digits: 2.525 = ln 12.5, and "chance 1/12" was quoted).
    first = f" {c.first_loss:.4g}" if c.first_loss is not None else ""
    # (Its neighbours where the same bar takes them: a 5-class run's first loss 1.749 read "K = 6" as a fact.)
    others = also_fits(c.first_loss, c.classes)
    doubt = "" if not others else (
        f"; {' and '.join(f'ln {j} = {math.log(j):.4g}' for j in others)} "
        f"{'are' if len(others) > 1 else 'is'} within the same {_pct(FIRST_LOSS_TOL)} of it, so K = "
        f"{' or '.join(str(j) for j in others)} fits as well")
    return (f" (K = {c.classes} guessed from the first loss{first} ≈ ln {c.classes}, which a first epoch's learning "
            f"and an imbalanced split lower and a thrown first step raises{doubt}; pass classes= to be exact)")


def _at_a_guess(f: Facts, level: float, name: str) -> str | None:
    """A loss that never left ln K is a uniform guess among K: no output ever favoured the right answer,
    which a broken network and targets unrelated to the inputs give alike. NT-Xent on two views of
    different digits sat at 5.54 ≈ ln 255 for B = 128 (K read off the first loss: 258), and at 10x the lr too,
    where the same loop and initialization with matching views fell to 4.2 in 10 epochs
    (tests/fixtures/ecosystem/torch_contrastive)."""
    c = f.chance
    if c is None or not c.classes or _higher(f) or not math.isfinite(level):
        return None
    ref = math.log(c.classes)
    if abs(level - ref) > AT_LN_K * ref:
        return None
    return (f"{name} sits at ln {c.classes} = {ref:.4g}{_k_source(c)}, a uniform guess's loss: no output ever "
            "favoured the right answer")


def dead_from_start(f: Facts, t: Thresholds) -> Cause | None:
    """The loss sits at one value at every point, from its first: the model's outputs never changed
    between evaluations, which no model that learns does. Not a model that learned it all in one epoch:
    a live network's validation loss moves in its last digits whenever the weights do. The training loss
    says which: frozen after a fall (units that saturated or died), never having moved (weights never
    updated: an optimizer over other parameters), or still improving (validation scores another model).

    Keras' binary classifier on unscaled breast_cancer features (values up to ~4000) saturates its
    sigmoid in the first steps: val_loss 0.998466 at all 60 epochs, at Adam 0.1, 0.01 and 0.001 alike,
    and with 8x the width; the same features standardized reach 0.028
    (tests/fixtures/ecosystem/keras_unscaled_inputs). A loop whose optimizer got another module's
    parameters: both losses at ln 10 throughout, or training moved only by dropout
    (tests/fixtures/ecosystem/torch_weights_not_updated)
    """
    n = _frozen_tail(f.y)
    if _higher(f) or n < 5 or n < f.n_points or _annealed(f, t):
        return None
    level = float(f.y[-1])
    if level == 0:
        return None  # a loss of exactly 0 throughout is a bound reached (a task solved before the log began)
    ev = [f"{f.metric} is exactly {level:.6g} at all {n} {f.axis_name}s, from the first: the model's outputs "
          "never changed between evaluations"]
    dead = ["standardize the inputs (StandardScaler, a Normalization layer): unscaled features of "
            "hundreds or thousands saturate the units in the first steps, whatever the learning rate",
            "check the initialization and activations (dead ReLUs, saturated sigmoids)",
            Action("inputs already scaled: lower the learning rate (try 1/10) and restart from scratch: "
                   "dead weights will not recover", None, RESTART)]
    frozen_weights = ["check that the optimizer updates the model's weights: its parameter list (built "
                      "for another module, or before the model was replaced), requires_grad, an lr of 0, "
                      "optimizer.step() called"]
    ty = f.train_y[np.isfinite(f.train_y)] if f.metric != "train_loss" and f.train_y is not None else None
    if ty is None or ty.shape[0] < 2:
        return Cause("stuck_at_init", 0.8, ev, frozen_weights + dead, {"constant_tail": n, "level": level})
    k, tp = _frozen_tail(ty), f.train_plateau
    moved = tp is not None and tp.improvement >= t.stuck_rel * abs(tp.start) \
        and tp.improvement >= t.stuck_noise * (f.train_noise or 0.0)
    if not moved and 2 <= k < ty.shape[0] and float(ty[-1]) > float(ty[0]):
        # It moved, up, and then froze: updated weights, the wrong way, then no gradient (the walker's Keras digits
        # MLP at Adam 0.3: training 14.24 -> 14.50 from epoch 1 on was read "the weights were never updated").
        ev.append(f"train_loss rose from {float(ty[0]):.4g}, then froze at {float(ty[-1]):.6g} for its last {k} "
                  f"{f.axis_name}s: the weights were updated, the wrong way, then the units died or saturated "
                  "(a step too large)")
        acts = [RESTART_LOWER] + dead[1:2]
    elif k == ty.shape[0] and (thrown := _started_thrown(f, t)) is not None:
        # Frozen from the first point far out from where an untrained classifier starts: saturated in the first
        # steps, no gradient since; weights an optimizer never updated sit where they began, near ln K. Keras'
        # sigmoid MLP on raw breast_cancer features (tests/fixtures/ecosystem/sklearn_unscaled_one_class/keras):
        # train 6.0118 and val 5.1813 at all 40 epochs at Adam 1e-4, 1e-3 and 1e-2, test accuracy 0.626 each (the
        # majority's share); standardized 0.959.
        ev.append(f"train_loss is the same at every point too: {thrown}")
        acts = dead
    elif k == ty.shape[0] or not moved:
        still = "is the same at every point too" if k == ty.shape[0] else "never improved either (only batches and dropout move it)"
        ev.append(f"train_loss {still}: the weights were never updated")
        acts = frozen_weights + dead[1:2]
    elif k >= 2:
        ev.append(f"train_loss fell from {float(ty[0]):.4g}, then froze at {float(ty[-1]):.6g} for its last {k} "
                  f"{f.axis_name}s: constant outputs, zero gradients: the units saturated or died in the first steps")
        acts = dead
    else:
        ev.append("train_loss kept improving meanwhile: validation is not scoring the model being trained "
                  "(a copy, an un-updated checkpoint, cached predictions)")
        acts = ["check the validation step: does it evaluate the model being trained?"]
    return Cause("stuck_at_init", 0.85, ev, acts, {"constant_tail": n, "level": level})


#: Two logged losses within this share of each other are one value: float32's last bits, which a running mean over
#: batches moves (1c41165: Keras' 0.998466 at all 60 epochs).
SAME_LOSS = 1e-6


def _frozen_tail(y: np.ndarray) -> int:
    """How many points at the end equal the last to float32's precision (a relative 1e-6): Keras' epoch
    loss is a running mean over batches whose summation order moves its last bit (0.7354264 / 0.7354265)
    even when every output is the same."""
    if y.shape[0] < 2:
        return int(y.shape[0])
    same = np.abs(y[::-1] - y[-1]) <= SAME_LOSS * abs(y[-1])
    return int(same.argmin()) if not same.all() else int(y.shape[0])


def constant_guess(f: Facts, t: Thresholds) -> Cause | None:
    """A classifier that learned nothing of its inputs after its first steps threw its outputs out:
    lr_too_high, not a floor. Its validation accuracy never rose (two classes: the same at every point,
    the majority class throughout; otherwise, below 1/2, at no point higher than at its first, nor lower
    over the last quarter, within 2 binomial standard errors: a fit learned, then lost, is another story) and its validation loss is no lower than the least a
    prediction that ignores the inputs scores at that accuracy (two classes: the entropy of the split;
    otherwise ln(1/acc): a prediction of the class frequencies scores their entropy, at least -ln of the
    largest share, which is then its accuracy; with K known and the accuracy under 1/K, the class answered is not
    the largest and ln K, that entropy's most, balanced classes, is quoted and compared instead); the training
    loss started ≥ 2x above both ln 2 (an untrained binary model's loss) and where validation ends.

    A PyTorch loop on unscaled breast_cancer features, 5% positives, Adam 0.1: train_loss 25.1 -> 0.1855
    (the training prior's entropy, 0.1854), val_loss 0.2334 against 0.2335 for the 93.8/6.2 split, AUC
    0.500, read "converged, change the data or the model"; lr 0.01 reaches 0.074 (AUC 0.991), 256 wide
    stays at 0.235, standardized inputs at 0.1 reach 0.0001 (tests/fixtures/ecosystem/torch_imbalanced_prior).
    A digits MLP at Adam 1.0 (train 625 -> 2.39, val accuracy 0.10 throughout, K not inferable from a first
    val_loss of 6.99) read converged; lr 0.01 reaches 0.146 (torch_high_lr_relapse/adam_lr1.0.csv).
    """
    c = f.chance
    a = c.val_acc_start
    if a is None or not 0 < a < 1 or _higher(f) or f.metric != "val_loss" or f.train_y is None:
        return None
    tail = float(median(f.y[-max(2, f.y.shape[0] // 4):]))
    ax = f.axis_name
    binary = c.val_acc_frozen >= t.frozen_acc_points and (a >= MAJORITY or c.classes == 2) and c.classes in (None, 2)
    if binary:
        m = max(a, 1 - a)
        guess = _prior_entropy(m, 2)
        ev = [f"val_acc is {a:.4g} at all {c.val_acc_frozen} {ax}s: not one validation decision changed, the model "
              "predicts one class throughout",
              f"{f.metric}'s last quarter sits at {tail:.4g}, no lower than {guess:.4g}, the entropy of a "
              f"{m:.1%}/{1 - m:.1%} class split, which a constant prediction scores at best: it learned the class "
              "frequencies, nothing of the inputs"]
    elif (c.classes is None or c.classes > 2) and c.val_acc_tail is not None and c.val_acc_tail < MAJORITY \
            and f.n_points >= t.frozen_acc_points:
        at = c.val_acc_tail
        se = math.sqrt(at * (1 - at) / c.n_val) if c.n_val else (c.val_acc_tail_sd or 0.0)
        tol = max(t.chance_z * se, 0.01)
        # Flat: not above its first value at any point (a fit that was learned, then lost, is another story:
        # a penalty outweighing the fit, a collapse under a schedule's peak), nor below it at the end.
        if (c.val_acc_peak or at) - a > tol or a - at > tol or at <= 0:
            return None
        guess = math.log(1 / at)
        bound = (f"ln(1/{at:.3f}) = {guess:.4g}, the least a prediction that ignores the inputs scores at that "
                 "accuracy")
        if c.classes and at < 1 / c.classes:
            # Below 1/K the class it answers is not the largest (whose share is >= 1/K): ln(1/acc) bounds nothing.
            # The class frequencies' entropy, what an input-blind prediction scores at best, is at most ln K,
            # reached on balanced classes (digits, K = 10: ln(1/0.086) = 2.45 was quoted for 2.30).
            guess = math.log(c.classes)
            bound = (f"ln {c.classes} = {guess:.4g}, what a prediction that ignores the inputs scores at best on "
                     "balanced classes (less where they are not)")
        ev = [f"val_acc never rose: {at:.3f} over the last quarter, {a:.3f} at its first point",
              f"{f.metric}'s last quarter sits at {tail:.4g}, no lower than {bound}: it learned nothing of the "
              "inputs"]
    else:
        return None
    yt = f.train_y[np.isfinite(f.train_y)]
    if yt.shape[0] < 2 or tail < t.train_guess_level * guess:
        return None
    start = float(yt[0])
    if start < t.blown_start * max(math.log(2), tail):
        return None  # started where an untrained model does: nothing says the step threw it (no signal looks the same)
    ev.append(f"train_loss started at {start:.4g}, {_count(start / max(math.log(2), tail))}x "
              + ("ln 2 = 0.6931 (an untrained two-class model's loss)" if tail <= math.log(2)
                 else f"where validation ends ({tail:.4g})")
              + ": the first steps threw the outputs far out, and it never got back to learning from the inputs")
    acts = [RESTART_LOWER,
            "inputs unscaled? standardize them (features of hundreds or thousands make the first steps that large)"]
    if binary:
        acts.append("on imbalanced classes, watch a ranking score too (ROC AUC): an accuracy at the majority share "
                    "hides a model that learned nothing")
    return Cause("lr_too_high", 0.8, ev, acts,
                 {"constant_guess": guess, "val_acc_frozen": c.val_acc_frozen, "train_start": start})


def _annealed(f: Facts, t: Thresholds) -> bool:
    """The logged learning rate was decayed to under 1/1000 of its peak: updates that small leave
    the loss where it is, to the last digit -- unless the curve shows they do not (:func:`_moves_at_floor`)."""
    o = f.optimizer
    return o.lr_schedule == "decayed" and o.lr_ratio is not None and o.lr_ratio < t.annealed_lr_ratio \
        and not _moves_at_floor(f, t)


def _schedule_ended(f: Facts, t: Thresholds) -> bool:
    """:func:`_annealed`, or a planned decay that ran the lr to ~0 as the run ended (:func:`_ends_at_zero`): what
    converged says of its flat end and of the forecast (the other rules keep :func:`_annealed`'s 1/1000: a Trainer's
    linear decay logged at 0.0011 of its peak, its tiny BERT solved since step 100, stays solved)."""
    return _annealed(f, t) or (f.optimizer.lr_schedule == "decayed" and _ends_at_zero(f, t)
                               and not _moves_at_floor(f, t))


def _ends_at_zero(f: Facts, t: Thresholds) -> bool:
    """A planned decay that ended with the run: the last 3 logged rates each fell, the last under
    ``annealed_end_ratio`` of the peak, and the last step's fall carried on reaches ~0 at the next one
    (``OptimizerFacts.lr_next`` at or under ``annealed_lr_ratio``, 1/1000, of the peak: :func:`_annealed`'s bar). A loop that logs the rate each epoch trained at never logs a cosine's or a linear
    decay's final 0: warm-up then cosine to 0 over 40 epochs (SGD 0.05, a digits MLP) logged 9.5e-05 last, 0.0019
    of its peak, and read "more epochs will not lower the loss, not the epoch count", while twice the schedule
    ended 5.6-8.1% lower on 3 seeds (tests/fixtures/ecosystem/torch_cosine_end)."""
    o = f.optimizer
    return o.lr_next is not None and o.lr_peak is not None and o.lr_ratio is not None \
        and o.lr_ratio < t.annealed_end_ratio and o.lr_next <= t.annealed_lr_ratio * o.lr_peak


#: A tail that fell at least this many noise sds over the run's last quarter moved; less is flat, whatever its
#: t-test reads (0cb02d2: a forecast-only still_improving on a tail that had not moved, a held-out DeepOBS
#: case). _moves_at_floor, still_improving's short-tail reading and the forecast's two readings share it.
TAIL_MOVED_SDS = 1.0


def _moves_at_floor(f: Facts, t: Thresholds) -> bool:
    """The lr was cut to the rate it ends at before the last quarter began, and over that quarter the curve still
    fell by its own t-test (t < -3, >= 1 noise sd): at that rate the weights still move, whatever its ratio to the
    peak. 1/1000 of a peak is the end of a schedule for a peak tuned to the model; after a head trained at Adam(3e-2)
    on frozen features, the whole CNN fine-tuned at 1e-5 (1/3000) fell 19% in 30 epochs (t = -24 over the last
    quarter) and 18% more in the next 30 (tests/fixtures/ecosystem/keras_transfer), where the log was read as frozen
    weights: converged, "steps that small no longer move the weights"."""
    tr = f.trend
    if f.lr_cut is None or not 0 <= tr.tail_start < f.x.shape[0]:
        return False
    return f.lr_cut <= float(f.x[tr.tail_start]) and tr.slope_t < t.improving_t and tr.tail_drop_noise >= TAIL_MOVED_SDS


def collapsed(f: Facts, t: Thresholds) -> Cause | None:
    """The loss improved, then froze at one exact value: a dead network, usually from a step too large."""
    n = f.constant_tail
    if n < max(5, t.collapse_points * f.n_points) or f.plateau.improvement <= 0:
        return None
    level = float(f.y[-1])
    if _annealed(f, t):
        return None  # the step went to ~0 (ReduceLROnPlateau down to 1e-11): frozen weights, not dead ones
    if level == 0 or _higher(f):
        # A loss of exactly 0 is a bound reached. A score stays exactly put once no prediction
        # flips (an accuracy of 97/108) or at its ceiling (Ultralytics' mAP50 tops out at 0.995),
        # while the loss still moves: only a loss that froze says the network is dead (read off
        # the losses when they are logged next to the score).
        return None
    if _nothing_left_to_fit(f, t, n) is not None:
        return None  # (the training set memorised: overfitting reads it, with the frozen tail as its evidence)
    ev = [f"{f.metric} is exactly {level:.6g} for the last {n} points: constant outputs, zero gradients "
          "(dead units or a collapsed model)"]
    best = -f.plateau.floor if _higher(f) else f.plateau.floor  # plateau facts are lower-is-better
    if (-level if _higher(f) else level) - f.plateau.floor >= PLATEAU_FRACTION * f.plateau.improvement:
        ev.append(f"after having reached {best:.4g}: what was learned was lost")
    c = f.chance
    if c.classes and level > 0 and abs(level - math.log(c.classes)) < AT_LN_K * math.log(c.classes):
        ev.append(f"{level:.4g} = ln {c.classes}: the model predicts the uniform distribution")
    if c.certain is not None:
        # (K-free: where every answer is given with certainty the level says the outputs saturated, however many
        # classes there are and whatever the accuracy.)
        ev.append(f"and it sits on (1 − accuracy) x {KERAS_CLIP_LOSS:.4g} (ratio {c.certain:.4f}), Keras's loss when "
                  "every answer is given with certainty (probabilities clipped at 1e-7): saturated outputs, which no "
                  "step smaller than the one that threw them there brings back")
    moving = _train_still_moves(f, n)
    if moving is not None:
        ev.append(moving)
    numbers = {"constant_tail": n, "level": level}
    if c.certain is not None and moving is None:
        # Saturated for good: neither a bigger model (it saturates alike at this step: twice the width of the wine
        # MLP below ended val_loss +90%, diverged) nor a stop at X (it keeps a dead network) is listed beside it.
        numbers["saturated"] = c.certain
    return Cause("lr_too_high", 0.75 if moving is None else 0.5, ev,
                 [Action("lower the learning rate (try 1/10) and restart from scratch: the collapsed weights will "
                         "not recover", LOWERS_LR, RESTART),
                  "learning-rate warm-up; gradient clipping", "check for dead ReLUs (leaky ReLU, normalization)"],
                 numbers, status="likely" if moving is None else "possible")


def _nothing_left_to_fit(f: Facts, t: Thresholds, n: int) -> str | None:
    """Evidence that the last ``n`` values of ``f.metric`` repeat because the training loss reached ~0, or None.

    A model that fits its training set to ≤ ``t.fitted_train_share`` of the training loss's first value has no
    gradient left to follow: a booster's later trees fit residuals of ~0 and change no prediction, so validation
    repeats to the last digit -- a memorised training set, not dead units (whose training loss freezes where the
    validation loss does, far above 0). scikit-learn's HistGradientBoostingClassifier on breast_cancer at
    learning_rate 0.5, min_samples_leaf 1 (tests/fixtures/ecosystem/sklearn_hgb_memorised): training log-loss
    0.66 -> 4.7e-06, frozen from round 47, validation at its best 0.246 at round 4 and then 0.4647 for 254 rounds,
    read lr_too_high "constant outputs ... restart from scratch"; a lower rate (0.05 x 3000 rounds) ended at test
    log-loss 0.70 against 0.73, stopping at the best round 0.354."""
    xt, yt = f.train_x, f.train_y
    if xt is None or yt is None or n < 1:
        return None
    ok = np.isfinite(yt)
    seg = yt[(xt >= float(f.x[-n])) & ok]
    start = float(yt[ok][0]) if ok.any() else 0.0
    if seg.shape[0] < 1 or start <= 0 or float(np.max(seg)) > t.fitted_train_share * start:
        return None
    train = f.train_metric or "train_loss"
    return (f"{train} is {float(np.max(seg)):.3g} over the last {n} {f.axis_name}s, {_pct(float(np.max(seg)) / start)} "
            f"of its start: the training set is memorised, nothing is left to fit, so {f.metric} stays at "
            f"{float(f.y[-1]):.4g} (exactly, for those {n} {f.axis_name}s)")


#: _train_still_moves: a training loss frozen (to float32's last bits) over more than this share of the stretch
#: validation repeats, at its end, moved only as the collapse finished. A Keras 64-64 MLP on wine at Adam 0.2
#: (tests/fixtures/ecosystem/keras_wine_collapse): val_loss 5.11686 from epoch 4 to 39, training 4.765 at epoch 4,
#: 4.906 at 5, then 4.76535 for its last 34 of those 36 epochs, read "the outputs still change" and underfitting,
#: "a bigger model" (twice the size +90%), where lr / 10 from scratch reached 0.14. Half: the walker's Geron case,
#: whose outputs still changed, froze for none of its 10.
TRAIN_FROZEN_SHARE = 0.5


def _train_still_moves(f: Facts, n: int) -> str | None:
    """Evidence that the outputs still change while the last ``n`` values of ``f.metric`` repeat, or None.

    Constant outputs give a constant training loss too: the same outputs on the same data, whose epoch
    mean moves only in float32's last bits (:func:`_frozen_tail`). A per-epoch training loss that moves
    beyond those bits, through three values or more, over the same stretch comes from a network whose
    outputs still change: the repeat is the log's few printed digits (Geron's sequence model, handson-ml2
    chapter 15: val_loss printed as 0.0109 at its last 10 epochs while the training loss moved within
    0.0112-0.0116). A training loss logged by step is one batch's, which moves with the batch drawn whatever
    the outputs do: it says nothing here. Nor does one that froze itself over the later part of the stretch (more
    than ``TRAIN_FROZEN_SHARE`` of its points, at the end): what moved it was the collapse finishing, not outputs
    that still change."""
    xt, yt = f.train_x, f.train_y
    if xt is None or yt is None or stepwise(f.axis_name) or n < 1:
        return None
    seg = yt[(xt >= float(f.x[-n])) & np.isfinite(yt)]
    # (Two values are a last digit flickering at a rounding boundary -- DeepOBS' fmnist VAE at 4 decimals,
    # 68.2541 / 68.254 beside a test loss frozen at 67.9393 -- not yet a movement.)
    if seg.shape[0] < 3 or _frozen_tail(seg) > TRAIN_FROZEN_SHARE * seg.shape[0] or np.unique(seg).shape[0] < 3:
        return None
    train = f.train_metric or "train_loss"
    return (f"but {train} still moves over those {f.axis_name}s ({float(np.min(seg)):.4g} to "
            f"{float(np.max(seg)):.4g}): the outputs still change, and the repeated value may be the log's rounding")


def data_limited_measured(f: Facts, t: Thresholds) -> Cause | None:
    """A learning curve was measured with the run and it is still falling at the largest size."""
    return learning_curve_cause(f.learning_curve, t)


#: A learning curve's gain for twice the data at full strength (50% lower), and data_limited's strength there: set by
#: hand in dad0036; no measurement recorded.
DATA_GAIN_FULL = 0.5
LEARNING_CURVE_STRENGTH = (0.7, 0.95)


def learning_curve_cause(lc, t: Thresholds = DEFAULT) -> Cause | None:
    """``data_limited`` from a learning curve (:class:`~losslens.facts.learning_curve.LearningCurveFacts`,
    or ``{n_train: best val loss, or a list per seed}``): doubling the data is forecast to lower
    the validation loss by ≥ ``t.data_gain`` (measured at three sizes or more; the damped local power law of
    :mod:`losslens.facts.learning_curve`, scored on LCDB's real learning curves), and with several
    seeds the slope is below zero by more than its seed-to-seed spread (t < −2)."""
    from .facts.learning_curve import clears_data_bar, learning_curve_facts

    if isinstance(lc, dict):
        lc = learning_curve_facts(lc)
    fc = clears_data_bar(lc, t.data_gain, t.chance_z)
    if fc is None:
        return None
    # The words are `losslens data`'s (DataForecast.verdict / evidence): its verb follows P at twice the data, and a
    # curve that flattened over its last segment says so.
    _, sentence = fc.verdict(t.data_gain, t.chance_z)
    return Cause("data_limited", _ramp(fc.gain, t.data_gain, DATA_GAIN_FULL, *LEARNING_CURVE_STRENGTH),
                 [sentence, *fc.evidence(t.data_gain, t.chance_z)], ACTIONS["data_limited"],
                 {"gain_if_doubled": fc.gain, "slope": lc.slope, "slope_t": lc.slope_t, "p_gain": fc.p_gain})


#: no_signal's strength where training learned next to nothing either: a possibility, listed after the underfitting
#: that leads. Set by hand in 996cd2f ("listed possible (0.5) after underfitting").
IDLE_NO_SIGNAL_STRENGTH = 0.5


#: no_signal steps aside where the first validation accuracy was already this far above chance (in accuracy, beside
#: its 4 binomial sds and the chance margin): the model had learned, then lost it (7c70ba5: fastai at lr_max 1.0, a
#: SummaryWriter sweep at lr 1.0); no measurement of the bar recorded.
FIRST_ACC_LEARNED = 0.1
#: ... and its flat-validation reading needs training calm: its oscillation under this many times lr_too_high's bar
#: (a training loss bouncing at its floor is the step's, not the labels'). Set in 538ef58; no measurement recorded.
NO_SIGNAL_CALM = 2.5


def no_signal(f: Facts, t: Thresholds) -> Cause | None:
    """Nothing generalizable learned.

    Fires when (the conditions in full, and the runs that set them): validation accuracy at chance 1/K (within 10%
    of the way to perfect, or < 2 binomial standard errors above it; K given, else, with validation accuracy logged,
    read off a loss held constant at ln K — ≥ 5 points within 1e-5 of each other, within 1e-4 of ln K: a uniform
    output scores exactly that, so it wins over the first point — or, with no accuracy logged (or one no higher than
    1.5/K) and no error metric beside the loss (mse, mae …: a regression), read off losses resting at ln K after one
    of them moved (`facts.chance.resting_at_ln_k`: each later half flat to its noise, |t| < 3, sd and median within
    3% of ln K, their lowest point at most 1.5% above ln K and 0.5% below it and within a quarter of the gap to ln
    (K ± 1), so K ≲ 30, and no loss starting at a smaller ln K', a fresh network's; a net whose units died gives one
    answer, at least the class frequencies' entropy, ln K for balanced classes: Lightning's SGD lr 5 on digits,
    metrics.csv alone, 2.32 at its lowest, read underfitting "a bigger model" without `--classes` and now
    lr_too_high with "K = 10 inferred ... pass --classes to set it"; on the real curves it matches 5 of 177 DeepOBS
    runs at chance, all K = 10, and 3 of 2,308 runs that are not: two char-RNN runs predicting the characters'
    frequencies, 83 unequal classes, at ln 23, and a YOLO `val/dfl_loss` — none of 109 Keras notebook runs with
    accuracy above 0.6 nor of 1,491 GPT speed-runs; `python -m benchmarks.chance_probe`) — or inferred from an
    untrained first point ≈ ln K, untrained by every accuracy logged there, validation's and training's (Lightning's
    slice of digits sorted by class: a first loss of 1.896, an epoch's mean, beside training accuracy 0.638 was "K =
    7" for 10); the evidence says which, `ChanceFacts.classes_from`, and a K from the first loss as a guess naming
    that loss: an epoch's mean, which the epoch's learning lowers and a thrown first step raises) while the model
    memorises (training accuracy above chance where it is logged; else a training loss that fell ≥ 5% below its
    start and, K known, ended below 95% of ln K); not where both losses end at a uniform guess's ln K after a start
    far above it (`lr_too_high`: thrown there by the first steps), the K of the end's own ln counting where K was
    only inferred (Lightning's SGD(3.0) on digits: an epoch-mean first loss of 2.72 = ln 15 beside a run back at ln
    10 with accuracy 0.096 read no_signal, "check the labels", where lr 1.0 reached 0.12); without accuracy:
    validation never beats the untrained level (training's first value, unless validation's first already sat above
    it by half of training's gain: a log that starts after training fitted its data) while training learns (where it
    learned next to nothing too, under ``memorise_drop`` of its start or, K known, to a guess's loss: `_fitted_nothing`,
    no_signal is listed possible after underfitting, which leads: labels without signal and a model that cannot
    represent it look alike there; depth-1 trees on an XOR task, training 0.6925 -> 0.6821, read "check the labels"
    where max_depth=2 reaches 0.237), K known not where validation's best sits ≥ ``no_signal_beaten_noise`` (4) noise sds under both ln K and its own first
    value (`_val_beat_a_guess`: a tiny BERT on 128 examples with signal, 0.692 -> 0.630, then memorised), or stays
    flat at its first value and ends above training by ≥ 50% of training's gain (flat but level with training is a
    model that learned it all in its first epoch), at a level the log shows an untrained model scoring: training's
    start, a check before training's first point, ln K (`_untrained_level`: a first check after an epoch of
    learning shows none); with validation accuracy logged and K not known, the first of
    these also where validation accuracy (running median of 3) never rose 2 binomial standard errors above its first
    value (the validation set's size unknown: never moved from it) while training accuracy was logged, and, where
    validation already sat far above training's first value (what a log begun after training fitted shows), never
    reached 1/2: a model that generalized at no point did not overfit, which needs a fall, then a rise; its first
    action is then to check that validation comes from training's distribution (Keras' `validation_split` holds out
    the last rows before any shuffling: iris at 0.34 and digits sorted by target at 0.2 leave validation classes
    training never saw, validation loss lowest at epoch 0 and accuracy 0.02–0.04 throughout, read overfitting at
    epoch 0; shuffled first, 0.94 and 0.97; `tests/fixtures/ecosystem/keras_valsplit_sorted`; the last 20% of digits
    sorted by class as a Subset under Lightning, `lightning_valsplit_sorted`, accuracy 0.017 at all 30 checks); a
    model that memorised nothing, its validation accuracy unchanged over the last half of the run (≥ 10 points) and
    training accuracy at chance, gives every input one answer: no_signal (0.6) is listed after underfitting, not
    over it, since random labels (the lab's experiment 2, seeds 2–3) and a 2-unit ReLU layer whose units died on
    digits (64 units fit) look the same; not beside diverged, lr_too_high or stuck_at_init ; with K given,
    validation accuracy under chance (≥ 2 binomial standard errors, or below half of it where the validation set's
    size is unknown) that never rose above its first value while training memorised is read as that split too and
    says so first (Lightning's sorted slice with `--classes 10`: 0.017 under chance 0.1 read "at chance", check the
    labels; labels shuffled score chance, not under it, and keep the label actions); validation accuracy ≥ 4
    binomial standard errors below chance is not read as at chance but as validation answered systematically wrong,
    its inputs or labels unlike training's (held-out digits with inverted pixels: 0.002, 8.7 sds under chance).
    Imbalanced classes, where chance is the class frequencies' entropy, not ln K: a run read overfitting whose
    validation accuracy sat at the majority's share at every point, its loss never below that entropy, is read by
    :func:`learned_prior`; one whose validation accuracy sits above 1/K (unequal classes score so with no signal,
    class weights or not) while its loss never got clearly under ln K, by :func:`weighted_chance`.

    Named bars it reads itself (:class:`Thresholds`): ``chance_z``, ``lr_high_oscillation``, ``memorise_drop``,
    ``no_signal_beaten_noise``, ``no_signal_gap``, ``no_signal_val_noise``, ``no_signal_val_share``, ``overfit_rise_noise``, ``stuck_rel``; the
    helpers it calls read more, and a bar of its own is a named constant or a literal commented where it is read.

    First actions: check labels and the data pipeline; labels right, whether the model reaches the signal ("if it is
    a recurrent net over long sequences …", said as a fact only where the run names a recurrent layer or model:
    `_recurrent_or_not`); below chance, first compare validation with training (preprocessing, label order,
    distribution); never below the untrained level, first check that validation comes from training's distribution
    (shuffle before `validation_split`, split at random, not by slicing); where the log says the training set is
    small, "or too few examples: retrain on twice the N" after "check the labels" (`_few_examples`).
    """
    c = f.chance
    if c.chance is not None and c.val_acc_tail is not None:
        margin = _chance_margin(c, t)
        at_chance = _val_at_chance(c, t)
        g = f.generalization
        # Memorising: training accuracy above chance where it is logged (the direct evidence),
        # else a training loss that fell well below its start (≥ 5%): it fitted something that
        # does not carry over. A model that fits nothing is underfitting instead.
        tp = f.train_plateau or (f.plateau if f.metric == "train_loss" else None)
        # (No training curve at all: nothing says it memorised.)
        train_fits = tp is not None and tp.improvement > t.memorise_drop * abs(tp.start)
        memorising = c.train_acc_tail >= margin if c.train_acc_tail is not None else \
            train_fits and _train_loss_at_guess(f, t) is None
        still = _decides_alike(f, t)
        if at_chance and not memorising and not still:
            return None  # nothing fitted: underfitting decides
        if at_chance and _thrown_to_a_guess(f, t) is not None:
            # Both losses back at ln K after a start far above it: the first steps threw the outputs out and
            # nothing was fitted (fits_nothing reads it), whatever K the first loss suggested.
            return None
        if at_chance and c.val_acc_start is not None and c.n_val \
                and c.val_acc_start >= max(margin, c.chance + FIRST_ACC_LEARNED) \
                and (c.val_acc_start - c.chance) / math.sqrt(c.chance * (1 - c.chance) / c.n_val) >= 4:
            # Far above chance at first (4 binomial sds: 9 of 20 right at chance 1/5 is 2.8): it
            # learned, then lost it -- unlearned decides.
            return None
        if at_chance:
            below = _below_chance_sd(c)
            # Far below chance is no absence of signal: a model that learned nothing scores chance, one this far
            # under it answers validation systematically wrong, so what it learned maps validation's inputs to
            # other labels than training's. The digits MLP scored on held-out digits with their pixels inverted
            # (1 - x): validation accuracy 0.002 (chance 0.1, 7.6 binomial sds under it); on the digits as
            # trained, 0.97.
            # Under chance and never above its first value while training fitted: validation holds what training
            # never saw (classes a sorted split left out), not labels without signal, which score chance. Lightning's
            # Subset of the last rows of digits grouped by class, --classes 10: 0.017 at every check, chance 0.1; with
            # K unknown the rule below names the split, and a K given must not turn it into "check the labels".
            under = below >= t.chance_z if c.n_val else c.val_acc_tail < c.chance / 2
            # (Not where validation loss rose to a peak and now falls steadily: a memorising model undoing it, the
            # modular MLP of _generalizing_late at epoch 1499, 0.008 against 1/31 on the classes training saw.)
            unseen = memorising and c.train_acc_tail is not None and _val_acc_never_rose(c) and under \
                and not _falls_from_a_peak(f, t)
            if _under_chance_memorised(f, t) is not None:
                # Under chance, not at it, while training memorised: the labels depend on the inputs (labels without
                # signal score chance), so "check the labels" is no reading; the lead names it (_under_chance_lead).
                return None
            # "At chance" only within a guesser's noise of 1/K: 0.000 and 0.008 on 481 examples (sd 0.008 at 1/31)
            # are under it, 0.054 2.8 sds over it, both read "at chance".
            word = "under" if under else "near" if (c.above_chance_sd or 0) >= t.chance_z else "at"
            ev = [f"validation accuracy {c.val_acc_tail:.3f} over the last quarter is {word} chance "
                  f"1/{c.classes} = {c.chance:.3f}{_guesser_sd(c, below)}{_k_source(c)}" if below < 4 else
                  f"validation accuracy {c.val_acc_tail:.3f} over the last quarter is far below chance "
                  f"1/{c.classes} = {c.chance:.3f}, {_count(below, 1)} binomial standard errors under it on "
                  f"{c.n_val} samples{_k_source(c)}: no signal scores chance; this is the model answering validation "
                  "systematically wrong, so validation's inputs or labels differ from training's (another "
                  "distribution, other preprocessing, another label order)"]
            if c.train_acc_tail is not None and c.train_acc_tail > margin:
                ev.append(f"while training accuracy reached {c.train_acc_tail:.3f}: the model memorises")
            elif still:
                ev.append(f"not one validation decision changed over the last {c.val_acc_still} {f.axis_name}s, and "
                          "training accuracy is at chance too: the model gives every input the same answer. Labels "
                          "that do not depend on the inputs look so; so do units that all died (too few of them). "
                          "A bigger model tells which: it survives and fits its training data, and validation then "
                          "stays at chance (no signal) or rises (the units); shuffled labels cannot, a model whose "
                          "units died answers alike whatever the labels")
            if unseen:
                ev.append(f"validation accuracy never rose above its first value ({c.val_acc_start:.3f}; at most "
                          f"{c.val_acc_peak:.3f}) and sits under chance: the model was never right on validation's "
                          "classes, as when validation holds classes training never saw")
            if c.above_chance_sd is not None and c.val_acc_tail >= margin:
                ev.append(f"{c.val_acc_tail:.3f} on {c.n_val} validation samples is within {_count(c.above_chance_sd, 1)} "
                          "binomial standard errors of chance")
            elif word == "near":
                ev.append(f"{c.val_acc_tail:.3f} on {c.n_val} validation samples is {_count(c.above_chance_sd, 1)} "
                          f"binomial standard errors above chance, within {_pct(t.chance_margin)} of the way from it "
                          "to perfect: little of what training fits carries over")
            if g is not None and g.val_rise_noise > t.overfit_rise_noise:
                what, worse = (f.metric, "fell") if _higher(f) else ("validation loss", "rose")
                ev.append(f"{what} {worse} {g.val_rise:.3g} after its best at {f.axis_name} {_n(g.val_min_epoch)}")
            # Deciding alike without memorising is no more no_signal than underfitting (a possibility beside it).
            conf = 0.6 if not memorising else 0.75 if c.classes_from == "initial loss" else 0.9
            acts = ACTIONS["no_signal"] if below < 4 else \
                ["compare validation with training: the same preprocessing (scaling, normalisation, channel order), "
                 "the same label order, inputs from the same distribution"] + ACTIONS["no_signal"][:2]
            if unseen:
                acts = [_SPLIT_UNLIKE_TRAINING] + acts[:3]
            return Cause("no_signal", conf, ev, acts,
                         {"val_acc": c.val_acc_tail, "chance": c.chance,
                          **({} if memorising else {"decides_alike": c.val_acc_still}),
                          **({"unseen_classes": 1.0} if unseen else {}),
                          **({"below_chance_sd": below} if below >= 4 else {})})
    g = f.generalization
    # Without accuracy: validation never got below where training started, and barely improved
    # while training learned a lot. (A curve that learned in its first epoch and then overfits
    # starts below the untrained level: that is overfitting from the start, not this.)
    tp = f.train_plateau
    # Training's first value is the untrained level only if the log starts before training had fit
    # its data: LightGBM printing every 10th round starts at train 0.139 next to validation 0.468,
    # a gap of 2.4x what training gained afterwards (validation was already far below ln 2 there).
    fitted_before_log = tp is not None and float(f.y[0]) - tp.start > t.no_signal_gap * tp.improvement
    # With K unknown an accuracy logged beside the losses cannot be set against chance, but it can against
    # itself: validation accuracy that never rose above its first value is a model that never generalized at
    # any point, and one that never generalized did not overfit (overfitting needs a fall, then a rise). Keras'
    # validation_split on rows sorted by class holds out classes training never saw: iris at 0.34, validation
    # loss best at epoch 0 (2.24, training's first epoch 0.87) rising to 15, accuracy 0.02-0.04, read
    # "overfitting at epoch 0"; shuffled first, 0.105 and 0.94 (tests/fixtures/ecosystem/keras_valsplit_sorted).
    # Validation far above training's first value is no sign that the log began after training fitted its data
    # when validation accuracy never got to 1/2 either: the model was never right on most of validation.
    never_rose = c.val_acc_tail is not None and c.chance is None and _val_acc_never_rose(c)
    if g is not None and f.metric == "val_loss" and tp is not None and (c.val_acc_tail is None or never_rose) \
            and not (fitted_before_log and not (never_rose and c.val_acc_peak < MAJORITY)) \
            and tp.improvement > t.stuck_rel * abs(tp.start) \
            and f.plateau.improvement < t.no_signal_val_share * tp.improvement \
            and g.val_best >= tp.start - t.no_signal_val_share * tp.improvement \
            and _val_beat_a_guess(f) < t.no_signal_beaten_noise and _part_carried_over(f, t) is None:
        share = f.plateau.improvement / tp.improvement
        # (The bar is a share of training's gain: validation's best may sit a little below training's start.)
        never = (f"val_loss never got below where training started ({tp.start:.4g}): its best {g.val_best:.4g}"
                 if g.val_best >= tp.start else
                 f"val_loss's best {g.val_best:.4g} is barely below where training started ({tp.start:.4g})")
        idle = _fitted_nothing(f, t) if c.val_acc_tail is None else None
        if idle is not None:
            # Training learned next to nothing either: "nothing learned carries over" reads a gain training never
            # made. Labels without signal and a model too small to reach it look alike here; underfitting
            # leads (_diagnose) and this is listed after it.
            return Cause("no_signal", IDLE_NO_SIGNAL_STRENGTH,
                         [f"{never}, and {idle}: neither curve learned, so they cannot tell labels without signal "
                          "from a model that cannot represent it; a bigger model tells: it fits its training data, "
                          "and validation then stays put (no signal) or falls (capacity)"],
                         # (Not "train on a tiny subset": a model too small cannot memorise one either.)
                         ACTIONS["no_signal"][:1], {"val_share": share, "train_idle": 1.0}, status="possible")
        ev = [never + f"; it improved only {_pct(share)} as much as train_loss: nothing learned carries over to "
              "validation data"]
        if c.val_acc_tail is not None:
            ev.append(f"validation accuracy never rose above its first value ({c.val_acc_start:.3f}; at most "
                      f"{c.val_acc_peak:.3f}) while training accuracy reached {c.train_acc_peak:.3f}: the model "
                      "generalized at no point, so this is no overfitting, which needs a fall, then a rise")
        if g.val_rise_noise > t.overfit_rise_noise:
            ev.append(f"validation loss rose {g.val_rise:.3g} above its best while training memorised")
        return Cause("no_signal", 0.7, ev, [_SPLIT_UNLIKE_TRAINING] + ACTIONS["no_signal"], {"val_share": share})
    # Without accuracy: validation flat at its first value while training learns, and ending far
    # above training (a gap of half of what training gained). (A validation curve that rises
    # from the first epoch is overfitting from the start, not this; one that is flat because the
    # model learned it all in the first epoch ends level with training: converged.)
    if g is not None and f.metric == "val_loss" and c.val_acc_tail is None \
            and g.val_improvement_noise < t.no_signal_val_noise and g.val_rise_noise < t.overfit_rise_noise \
            and g.gap_end is not None and f.train_plateau is not None \
            and g.gap_end > t.no_signal_gap * f.train_plateau.improvement \
            and (f.train_oscillation is None or f.train_oscillation < NO_SIGNAL_CALM * t.lr_high_oscillation) \
            and f.train_plateau.improvement > 0 \
            and f.train_trend is not None and f.train_plateau.improvement > t.stuck_rel * abs(f.train_plateau.start) \
            and not _learned_before_first_check(f, t) and _part_carried_over(f, t) is None:
        untrained = _untrained_level(f, t)
        if untrained is None:
            return None
        return Cause("no_signal", 0.65,
                     [f"val_loss never improved by more than {_count(g.val_improvement_noise, 1)} noise sds "
                      f"while train_loss fell {_pct(_ratio(f.train_plateau.improvement, abs(f.train_plateau.start)))}",
                      untrained],
                     ACTIONS["no_signal"], {"val_improvement_noise": g.val_improvement_noise})
    return None


def _under_chance_memorised(f: Facts, t: Thresholds) -> str | None:
    """Validation accuracy under chance (``chance_z`` binomial sds under 1/K, or under half of it where the
    validation set's size is unknown; not ≥ 4 sds, which no_signal reads as validation unlike training) while
    training accuracy, logged, memorised (above chance's margin), and the validation loss back down from a peak
    (:func:`_back_from_a_peak`: the memorising undone, as weight decay does): the evidence line saying that labels
    without signal score chance, not under it, else None. Not where validation loss rose to the end: Keras on digits
    with its training labels shuffled (tests/fixtures/ecosystem/keras_focal/shuffled.csv, K = 10) sat 2.1 sds under
    chance over its last quarter (0.079 on 899, its epochs' scores correlated) while its loss rose at every epoch; a
    split holding classes training never saw (keras_valsplit_sorted) rises so too.

    A model can only be systematically wrong on inputs whose labels depend on them: random labels are independent
    of whatever it memorised. Modular addition mod 31 by an MLP under AdamW (lr 1e-3, weight decay 1.0; 480 pairs
    trained, 481 held out; tests/fixtures/ecosystem/torch_grokking_slow): validation accuracy 0.000 over the last
    quarter at epoch 999, 0.008 at 1499 (2.9 sds under 1/31), training at 1.000, read "no learnable signal, check
    the labels"; trained on, it climbed to 0.083 by epoch 2999 (6.3 sds above chance), its loss 9.70 -> 5.02."""
    c = f.chance
    if c.chance is None or c.val_acc_tail is None or c.train_acc_tail is None \
            or c.train_acc_tail < _chance_margin(c, t) or not _val_at_chance(c, t):
        return None
    below = _below_chance_sd(c)
    under = below >= t.chance_z if c.n_val else c.val_acc_tail < c.chance / 2
    if not under or below >= 4 or not _back_from_a_peak(f):
        return None
    return (f"validation accuracy {c.val_acc_tail:.3f} over the last quarter is under chance 1/{c.classes} = "
            f"{c.chance:.3f}{_guesser_sd(c, below)}{_k_source(c)}, while training accuracy reached "
            f"{c.train_acc_tail:.3f}: labels without signal score chance, not under it; a memorising model is "
            "systematically wrong only on inputs whose labels depend on them, mapping validation's inputs to the "
            "answers it memorised for training's (each held-out input's label one training never paired with it, as "
            "in a task's table split in two), so the labels carry signal this model has not found yet")


def _back_from_a_peak(f: Facts) -> bool:
    """The diagnosed loss's smoothed curve peaked after its first point and is ≥ 3 noise sds under that peak at its
    end (and the peak ≥ 3 above its start): memorising undone, however slowly (:func:`_falls_from_a_peak` also asks
    for a steady fall at the end; the modular MLP at lr 1e-3 cut at epoch 999 is 195 sds under its peak of epoch 867,
    its last quarter's trend t = -1.3 with the rise inside it)."""
    if _higher(f) or f.y.shape[0] < 3 or not f.noise:
        return False
    ys = smooth(f.y)
    peak = int(np.argmax(ys))
    return peak > 0 and float(ys[peak] - ys[-1]) >= 3 * f.noise and float(ys[peak] - ys[0]) >= 3 * f.noise


#: Where validation sits under chance while training memorised (_under_chance_memorised): the first action.
UNDER_CHANCE_ACTION = ("train on (with the weight decay or other regularization that makes memorising costly) and "
                       "watch validation accuracy: a model this far has found that the labels depend on the inputs, "
                       "and memorising can give way to a rule late (delayed generalization, \"grokking\"); do not "
                       "relabel data that is not shuffled")


def _under_chance_lead(f: Facts, t: Thresholds, causes: list[Cause]) -> list[Cause]:
    """The lead no_signal stepped aside for where validation sits under chance while training memorised
    (:func:`_under_chance_memorised`) says so first, and its early stop is not one at the untrained model's epoch."""
    if not causes or causes[0].id not in ("overfitting", "still_improving", "lr_too_low", "data_limited"):
        return causes
    line = _under_chance_memorised(f, t)
    if line is None:
        return causes
    lead = causes[0]
    lead.evidence.insert(0, line)
    first = int(np.argmin(f.y)) == 0 and not _higher(f)
    lead.actions = [UNDER_CHANCE_ACTION] + [
        a for a in lead.actions if not (first and _of_kind(a, EARLY_STOP_BEST, STOP_ON_ACC))]
    for cause in causes[1:]:
        if first and cause.id == "overfitting":
            cause.actions = [a for a in cause.actions if not _of_kind(a, EARLY_STOP_BEST, STOP_ON_ACC)]
    return causes


def _part_carried_over(f: Facts, t: Thresholds) -> str | None:
    """The first part of a total validation loss (``Facts.parts``) whose validation best got below its own training
    twin's first value by ``no_signal_val_share`` of that twin's gain, the twin having learned (> ``stuck_rel`` of
    its start), in words; else None. no_signal's untrained level, training's first value, is an epoch's mean with
    that epoch's learning inside it, and of a total on other data: a two-head Keras model (a classifier's
    cross-entropy plus 0.001 x a regression's MSE) started training at 1.002 while its untrained validation loss was
    1.190 and its best 1.134, read "no learnable signal, check the labels"; its validation MSE fell 499 -> 166,
    below the 327 training started at, and the classifier's validation accuracy was 0.71 at epoch 0 against 0.55
    untrained. A part that beat its own start learned what carries over, whatever the total shows."""
    for k, y, tk, ty in f.parts:
        if tk is None or y.size < 3 or ty is None or ty.size < 3:
            continue
        start = float(ty[0])
        gain = start - float(np.min(smooth(ty)))
        if gain > t.stuck_rel * abs(start) and float(np.min(y)) < start - t.no_signal_val_share * gain:
            return (f"{k}'s best {float(np.min(y)):.4g} got below where {tk} started ({start:.4g}): that part learned "
                    "what carries over")
    return None


def _fitted_nothing(f: Facts, t: Thresholds) -> str | None:
    """Where the training loss learned next to nothing from the untrained level its log starts at, the evidence
    clause saying so, else None: its last quarter at a uniform guess's loss (:func:`_train_loss_at_guess`, K known)
    or its whole fall under ``memorise_drop`` of its start -- the bar the accuracy rules read "memorising" by --, its
    first point the untrained level (not a log begun after training fitted its data, where validation's first
    point sits above training's by ``no_signal_gap`` of training's gain). Depth-1 trees
    (HistGradientBoostingClassifier, max_depth=1) on an XOR task: training log loss 0.6925 -> 0.6821 (1.5%, 98% of
    ln 2) in 200 rounds beside validation never below 0.6926, read "no learnable signal: check the labels" and
    "overfitting: the best weights are from round 0"; max_depth=2 reaches 0.237 (tests/fixtures/ecosystem/sklearn_gbm)."""
    tp = f.train_plateau
    if tp is None or f.train_y is None or f.train_metric not in (None, "train_loss") or not tp.start \
            or float(f.y[0]) - tp.start > t.no_signal_gap * tp.improvement:
        return None
    guess = _train_loss_at_guess(f, t)
    if guess is not None:
        return _train_tail_at_guess(f, guess[1])
    drop = tp.improvement / abs(tp.start)
    if drop < t.memorise_drop:
        return f"train_loss fell only {_pct(drop)} below its start ({tp.start:.4g})"
    return None


def _train_tail_at_guess(f: Facts, tail: float) -> str:
    """The training loss's last quarter, ``tail`` (nats), against a uniform guess's ln K (K known), in words."""
    k = f.chance.classes
    return (f"train_loss's last quarter sits at {tail:.4g}, {_pct(tail / math.log(k))} of ln {k} = {math.log(k):.4g}, "
            f"a uniform guess's loss{_k_source(f.chance)}")


def _untrained_level(f: Facts, t: Thresholds) -> str | None:
    """Where a flat validation loss (no accuracy logged) sits at a level the log shows an untrained model scoring:
    the evidence line saying which, or None where the log shows none.

    Flat from its first point means nothing was learned only if that first point is an untrained model's level, and
    an evaluation after a whole epoch of learning is not: a 20-32-1 MLP on make_regression (noise 60, targets
    standardized, their variance 1, so predicting the mean scores about 1) at plain SGD 0.05, batch 1, scored
    0.138 at its first evaluation, after 400 steps, then bounced 0.17-0.43; it read no_signal, "never beat the
    untrained model", where lr / 10 ends at 0.119 against 0.278 (tests/fixtures/ecosystem/torch_bs1_bounce_reg).
    What the log shows of an untrained model: training's first value (a batch's loss before it was fitted on a
    step axis; on an epoch axis a first pass, each example scored before it was fitted), which validation never
    got below by ``no_signal_val_share`` of training's gain; a validation check logged before training's first
    point; with K known, a uniform guess's ln K, which validation's best never beat by ``no_signal_beaten_noise``
    noise sds. A target's variance would be a regression's, but the log does not say the targets were
    standardized."""
    g, tp = f.generalization, f.train_plateau
    if g is None or g.val_best is None or tp is None:
        return None
    ax = f.axis_name
    if g.val_best >= tp.start - t.no_signal_val_share * tp.improvement:
        return (f"its best {g.val_best:.4g} never got below where training started ({tp.start:.4g})"
                if g.val_best >= tp.start else
                f"its best {g.val_best:.4g} is barely below where training started ({tp.start:.4g})")
    if f.train_x is not None and f.train_x.size and float(f.x[0]) < float(f.train_x[0]):
        return (f"its first value {float(f.y[0]):.4g} was logged at {ax} {_n(f.x[0])}, before training's first point "
                f"({ax} {_n(f.train_x[0])}): the level of a model not yet trained")
    c = f.chance
    if c.classes is not None and c.classes >= 2:
        sd = noise_sigma(f.y)
        guess = math.log(c.classes)
        if sd > 0 and (guess - g.val_best) / sd < t.no_signal_beaten_noise:
            return (f"its best {g.val_best:.4g} never beat a uniform guess over {c.classes} classes, ln {c.classes} = "
                    f"{guess:.4g}, by {_count(t.no_signal_beaten_noise, 1)} noise sds")
    return None


def _prior_entropy(m: float, k: int | None) -> float:
    """The most cross-entropy (nats) a prediction of the class frequencies scores where the largest class holds a
    share ``m`` of the examples: H(m) = -(m ln m + (1 - m) ln (1 - m)) for two classes (``k`` 2 or unknown: two
    assumed), plus (1 - m) ln (K - 1) for K classes, the rest spread evenly, where their entropy is largest. A loss
    never below it never beat that prediction, whatever the other classes' shares."""
    h = -(m * math.log(m) + (1 - m) * math.log(1 - m))
    return h + (1 - m) * math.log(k - 1) if k and k > 2 else h


class PriorNote(NamedTuple):
    """:func:`learned_prior`'s reading where nothing says two classes: a line of evidence and a first action for the
    overfitting verdict, which keeps the lead."""
    evidence: str
    action: str


#: learned_prior's confidence with K given or inferred (the prior's loss is known) and with K unknown (two classes
#: assumed on training accuracy's one held value: a K-way model's prior scores more, so the reading is less sure).
PRIOR_CONF_K_KNOWN = 0.9
PRIOR_CONF_K_ASSUMED = 0.7
#: learned_prior: validation's best no more than this factor above what predicting the class frequencies scores
#: (a constant answer at the training set's frequencies scores the split's entropy plus their KL divergence, a few
#: percent on a few hundred examples). Set in df305dc; no measurement of the margin recorded.
PRIOR_BOUND_SLACK = 1.1


def learned_prior(f: Facts, losses: Facts | None, t: Thresholds,
                  causes: list[Cause]) -> Cause | PriorNote | None:
    """An ``overfitting`` verdict on a classifier that learned the class frequencies and nothing of the inputs: no_signal.

    Fires where overfitting leads (validation rose after its best while training went on fitting: the model
    memorises) and: validation accuracy is one value at every one of ≥ ``frozen_acc_points`` points, from the
    first, a share m above 1/2 and short of every example right (not one decision flipped: the model answers one
    class for every input, the majority, whose share m is); the validation loss never got below the most a
    prediction of the class frequencies scores at that share (:func:`_prior_entropy`, with K given or inferred;
    with K unknown, two classes, and only where training accuracy, logged, also sat at one value throughout:
    training answered one class too) and its best came within 10% of it (it learned those frequencies: a loss
    thrown far above them, or still falling toward them, is another reading: constant_guess, lr_too_low).

    95/5 classes whose labels do not depend on the 20 Gaussian features (tests/fixtures/ecosystem/torch_prior_only,
    SGD 0.05, 40 epochs): validation accuracy 0.948 at every epoch, val_loss at best 0.2088 against 0.2044 for the
    class split's entropy, read "overfitting: regularize, a simpler model, more data", none of which can find
    signal the labels do not carry. The same loop with the minority's mean shifted by 1 in 5 features reads
    converged (val_loss 0.119, well under the split's 0.204). Without the memorising, a loss at the prior is as
    much a step too small as labels without signal (a Trainer at lr 3e-5 decayed to 0 sat at 1.004x the prior's
    entropy, 0.603 accuracy at each of 10 evaluations; lr 1e-3 reaches 0.0019, hf_linear_decay_low_lr): not read.

    Actions: check that the inputs carry signal about the labels (the pipeline, the labels' join, one feature that
    should predict them); class weights or a balanced metric move the threshold on the same information, they do
    not create signal. With K unknown and training accuracy not held at one value, a :class:`PriorNote` for the
    caller to add to overfitting instead.
    """
    if not causes or causes[0].id != "overfitting":
        return None
    lf = losses if losses is not None else f
    c = f.chance
    if lf.metric != "val_loss" or c is None or c.val_acc_start is None or c.val_acc_frozen < t.frozen_acc_points:
        return None
    m = c.val_acc_start
    # (At least one minority example: m at 1 - 1/n_val, to float precision, still has a split to score.)
    if not MAJORITY < m or not (m <= 1 - 1.0 / c.n_val + SAME_ACCURACY if c.n_val else m < 1):
        return None
    k = c.classes
    bound = _prior_entropy(m, k)
    y = lf.y[np.isfinite(lf.y)]
    best = float(y.min())
    # A constant answer at the training set's frequencies scores the validation split's entropy plus their KL
    # divergence, a few percent on a few hundred examples; 10% above is the most that still says "learned them".
    if not bound <= best <= PRIOR_BOUND_SLACK * bound:
        return None
    share = (f"{m:.1%}/{1 - m:.1%} class split" if k in (None, 2) else
             f"largest class at {m:.1%} of {k} (the rest spread evenly, their most)")
    if k is None and not (c.train_acc_tail is not None and c.train_acc_peak is not None
                          and c.train_acc_tail_sd is not None and c.train_acc_tail_sd <= SAME_ACCURACY
                          and abs(c.train_acc_peak - c.train_acc_tail) <= SAME_ACCURACY):
        # Nothing says two classes: said beside overfitting, with the option that tests it.
        return PriorNote(
            f"validation accuracy is {m:.4g} at every {lf.axis_name} and val_loss never got below {bound:.4g}, what "
            f"predicting the class frequencies scores on a {share}: with two classes the model learned only those "
            "frequencies, nothing of the inputs (no_signal, not overfitting); --classes K tests it",
            "pass the number of classes (--classes K, classes=K): validation accuracy at the majority's share with a "
            "loss no better than the class frequencies' is a model that learned nothing of the inputs, which "
            "regularizing will not change")
    tail = float(median(y[-max(2, y.shape[0] // 4):]))
    ev = [f"validation accuracy is {m:.4g} at every one of its {c.val_acc_frozen} {lf.axis_name}s: always the "
          "majority class, not one validation decision flipped",
          f"val_loss {best:.4g} at its best ({tail:.4g} now) against {bound:.4g} for predicting the class "
          f"frequencies (the entropy of a {share}): it never beat a model that ignores the inputs; the imbalanced "
          "classes hide it behind a high accuracy",
          "training went on fitting while validation rose (overfitting, below): what it fits is noise in the "
          "training examples, not signal that carries over"]
    if k is None:
        ev.append("two classes assumed (K unknown; training accuracy, never above the one value it holds over its "
                  "last quarter, answers one class too): with more, predicting the frequencies scores more, and "
                  "--classes K tests against that")
    acts = ["check that the inputs carry signal about the labels: the data pipeline, the labels joined to the right "
            "rows, one feature that should predict them plotted by class",
            "class weights, resampling or a balanced metric will not create signal: they trade majority errors for "
            "minority ones on the same information (ROC AUC, which no threshold moves, says whether the scores rank the "
            "classes at all)"] \
        + ACTIONS["no_signal"][1:2]
    return Cause("no_signal", PRIOR_CONF_K_KNOWN if k is not None else PRIOR_CONF_K_ASSUMED, ev, acts,
                 {"majority_share": m, "prior_entropy": bound, "val_best": best})


#: weighted_chance: the most above ln K a validation loss's best may sit and still be a model at chance. A weighted
#: loss's best constant scores ln K at most (torch's weight= divides by the weights' sum, so with balanced weights a
#: uniform answer is its constant), an unweighted one the class frequencies' entropy, under ln K; labels without signal
#: leave the best at the first epoch's near-uniform answer (tests/fixtures/ecosystem/weighted_chance: torch 1.103 and
#: Keras 1.053 against ln 3 = 1.099). A best well above ln K is another reading (_val_unlike_training: 3.58 against ln
#: 10 for digits validated on shifted images).
WEIGHTED_BEST_ABOVE = 1.05
#: weighted_chance: read with 3 classes or more. With two, accuracy above 1/2 beside a loss that never beat ln 2 is also
#: a model that learned a little and then memorised: the tiny BERT on 160 examples with 20% of labels flipped
#: (tests/fixtures/ecosystem/hf_evaluate, hf_best_accuracy) scored 0.625 on 200 (3.6 binomial sds over 1/2) with its
#: best loss 0.682 at its first check, 0.8 sds under ln 2; and no binary run without signal was measured that the
#: rule would have read (Keras' 90/10 under class_weight beat ln 2 by 5 sds).
WEIGHTED_MIN_CLASSES = 3


def weighted_chance(f: Facts, losses: Facts | None, t: Thresholds, causes: list[Cause]) -> Cause | None:
    """An ``overfitting`` verdict on a classifier whose validation accuracy sits above 1/K but whose validation loss
    never got clearly under a uniform guess's ln K: imbalanced classes, not signal, put the accuracy there; no_signal.

    Fires where overfitting leads and: K is given or inferred, ≥ ``WEIGHTED_MIN_CLASSES`` (3); validation accuracy is logged (no_signal reads it at
    chance 1/K; this is the accuracy above 1/K that unequal classes give a model that ignores its inputs, anything up
    to the largest class's share, lower where class weights move its answers toward the small classes); the
    validation loss's best sits fewer than ``no_signal_beaten_noise`` (4) noise sds under ln K, and at most
    ``WEIGHTED_BEST_ABOVE`` x ln K (:func:`_val_beat_a_guess` measures against ln K and validation's first value,
    and a first check after an epoch of learning sits under ln K: ln K alone here); training memorised (its loss
    fell ≥ ``memorise_drop`` of its start).

    Class weights on random labels, 3 classes 70/20/10 with balanced weights (tests/fixtures/ecosystem/
    weighted_chance): torch's CrossEntropyLoss(weight=) on both sets, validation best 1.103 at epoch 0 against ln 3 =
    1.099, accuracy 0.49; Keras' fit(class_weight=), validation unweighted, best 1.053 (2.0 noise sds under ln 3),
    accuracy 0.49 against a majority of 0.71 -- both read "overfitting at epoch 0: regularize" (balanced
    validation accuracy 0.32 and 0.33: chance). The same runs with labels that carry signal reach 0.458 and 0.360
    (26 and 52 sds under ln 3), balanced accuracy 0.83: overfitting, as before. Not read: two classes 90/10 under
    Keras' class_weight, whose unweighted validation fell to 0.512 against ln 2 (5 sds) while the class
    frequencies' entropy is 0.316: the log does not show the split, and a model that learned a little scores so too.

    Actions: the labels first (no_signal's), and a balanced metric, which accuracy against 1/K is not.
    """
    if not causes or causes[0].id != "overfitting":
        return None
    lf = losses if losses is not None else f
    c = f.chance
    if lf.metric != "val_loss" or c is None or c.classes is None or c.classes < WEIGHTED_MIN_CLASSES \
            or c.val_acc_tail is None \
            or c.chance is None or lf.y.shape[0] < 4:
        return None
    if not c.val_acc_tail > c.chance:
        # Under 1/K is no imbalance's doing: a memorised modular sum (torch_grokking_slow cut at 1499) sits there
        # before it generalizes; _under_chance_lead reads it.
        return None
    y = lf.y[np.isfinite(lf.y)]
    tp = lf.train_plateau
    if y.size < 4 or tp is None or not tp.improvement > t.memorise_drop * abs(tp.start):
        return None
    ln_k = math.log(c.classes)
    best = float(y.min())
    sd = noise_sigma(y)
    below = (ln_k - best) / sd if sd > 0 else math.inf if best < ln_k else 0.0
    if below >= t.no_signal_beaten_noise or best > WEIGHTED_BEST_ABOVE * ln_k:
        return None
    best_at = _n(float(lf.x[int(np.nanargmin(lf.y))]))
    under = f"{_count(below, 1)} noise sds under it" if below > 0 else "not under it"
    ev = [f"validation accuracy {c.val_acc_tail:.3f} over the last quarter is above chance 1/{c.classes} = "
          f"{c.chance:.3f}{_k_source(c)}, but with unequal classes that is no signal: a model that ignores the inputs "
          "scores anything up to the largest class's share, and class weights (Keras' class_weight, a loss's "
          "weight=) move its answers toward the small classes, under that share",
          f"val_loss never got clearly under a uniform guess's ln {c.classes} = {ln_k:.4g}: its best {best:.4g} at "
          f"{lf.axis_name} {best_at} is {under}; a classifier that learned anything of the inputs gets there, and "
          "labels without signal score no better than a constant answer (under class weights ln K itself: torch's "
          "weight= divides by the weights' sum; unweighted the class frequencies' entropy)",
          f"while train_loss fell {_pct(_ratio(tp.improvement, abs(tp.start)))} from {tp.start:.4g}: the model "
          "memorises its training examples' labels"]
    acts = ACTIONS["no_signal"][:2] + [
        "score validation with a balanced metric (balanced accuracy, ROC AUC per class): with unequal classes, "
        "accuracy above 1/K says nothing of signal, and balanced accuracy at 1/K says none was learned"]
    return Cause("no_signal", PRIOR_CONF_K_KNOWN if not c.classes_inferred else PRIOR_CONF_K_ASSUMED, ev, acts,
                 {"val_acc": c.val_acc_tail, "chance": c.chance, "val_best": best, "ln_k": ln_k,
                  "below_ln_k_sd": float(below)})


#: Validation that never beat the untrained level: beside labels without signal, a split unlike training.
_SPLIT_UNLIKE_TRAINING = ("check that validation comes from training's distribution: Keras' validation_split holds "
                          "out the last rows before any shuffling, so data sorted by class leaves validation classes "
                          "training never saw (shuffle before fit, or pass validation_data from a random split); "
                          "elsewhere split at random (torch's random_split), not by slicing (a Subset of the last "
                          "rows)")


def _val_acc_never_rose(c) -> bool:
    """Validation accuracy (its peak, a running median of 3) never 2 binomial standard errors above its first
    value, on ≥ 5 points with training accuracy logged: nothing the model fitted ever carried over."""
    return _first_acc_known(c) and c.val_acc_peak is not None and c.val_acc_peak <= _above_first_acc(c)


def _first_acc_known(c) -> bool:
    """What setting validation accuracy against its own first value needs: that value, ≥ 5 points of it, the
    validation set's size (or an accuracy that never moved: no margin to measure) and training accuracy (to say
    the model fitted something meanwhile)."""
    return c.val_acc_start is not None and c.train_acc_peak is not None and c.val_acc_points >= 5 \
        and bool(c.n_val or c.val_acc_frozen)


def _above_first_acc(c) -> float:
    """Validation accuracy 2 binomial standard errors (on n_val, at least one example's worth) above its first
    value: an accuracy no higher than this is no higher than the first. Without n_val, the first value itself: an
    accuracy that never moved (``val_acc_frozen``), whose validation set's size its steps cannot tell (Lightning's
    slice of digits sorted by class: 0.0167, 6 of 360, at all 30 checks)."""
    a = c.val_acc_start
    if not c.n_val:
        return a
    return a + 2 * _binomial_se(a, c.n_val)


def _decides_alike(f: Facts, t: Thresholds) -> bool:
    """Validation accuracy unchanged (to 1e-6) over the last half of its points, ≥ ``frozen_acc_points`` of them,
    with training accuracy at chance: the model's decisions no longer depend on its inputs (a model that uses them
    but is too simple moves its decisions as its weights move: a linear model on circles, validation accuracy
    swinging 0.36-0.53 about ln 2).

    The curves cannot say why. The lab's random-label experiment (a conv net, Adam 1e-3, 5 random labels on 80
    images): seeds 2 and 3 fitted nothing (training loss 1.598 < ln 5, training accuracy 0.26-0.27, the majority's
    share), validation accuracy at 0.25 for 45-50 of 50 epochs, on labels that carry nothing; a 2-unit ReLU layer on
    digits (the benchmark's gen/under_digits/seed0) looks the same, validation accuracy 0.073 for 48 epochs, and a
    64-unit layer fits (training loss 2.30 -> 0.004). So no_signal is named beside underfitting, not over it.

    What the lab's seeds share is dead units: after 50 epochs the conv net's Dense(10) layer has no unit active on any
    training image in seeds 2, 3 and 4 (1 of 10 in seeds 0 and 1), and its output is the training labels' frequencies
    (seed 4's training accuracy, 0.31, is its majority label's share, 31 of 100, which reads as memorising). On labels
    that depend on the images (quintiles of red minus blue mean) 4 of 5 seeds die alike. Only a bigger model tells:
    Dense(64) kept 6-24 units alive in every seed, fitted its training data (accuracy 1.00), and validation stayed at
    chance (0.10-0.35 on 20 images): no_signal 5/5. Shuffled labels cannot: a dead model answers alike whatever the
    labels (the demo's shuffled retraining read underfitting on 2 of 5 seeds as well, seeds 0 and 1 there: which
    seeds die moves with the labels' order)."""
    c = f.chance
    return c.val_acc_points >= 2 * t.frozen_acc_points and c.val_acc_still >= max(t.frozen_acc_points, c.val_acc_points / 2) \
        and _train_at_chance(f, t)


def _val_beat_a_guess(f: Facts) -> float:
    """How far (validation noise sds) the best validation loss sits below both levels of a model that learned
    nothing: a uniform guess's ln K (K known) and validation's own first value; 0 with K unknown or no accuracy-free
    validation loss. A tiny BERT on 128 examples whose labels carry signal (20% flipped) took validation from 0.692
    to 0.630 (5.0 sds under ln 2), then memorised: validation rose to 1.9 while training fell to 0.03, so 0.062
    was under 10% of training's gain and it read no_signal, "check the labels"; on 1024 examples it reached 0.566.
    Labels without signal leave validation at the guess (or above it) at every point."""
    g, c = f.generalization, f.chance
    if g is None or g.val_best is None or c.classes is None or c.classes < 2 or f.metric != "val_loss" \
            or f.y.shape[0] < 4:
        return 0.0
    sd = noise_sigma(f.y)
    level = min(math.log(c.classes), float(f.y[0]))
    return float((level - g.val_best) / sd) if sd > 0 else 0.0


def _learned_before_first_check(f: Facts, t: Thresholds) -> bool:
    """Validation best at its first check, which came after training had learned and already sat below where
    training started by > 10% of training's gain: it "never improved" because it was first measured after
    the improvement (a Trainer evaluating once an epoch: a GPT-2 fine-tune's eval_loss 5.257 at epoch 1, its
    best, 0.40 below training's start, 19% of its gain; then memorisation), not because nothing carried over."""
    g, tp = f.generalization, f.train_plateau
    return g is not None and tp is not None and f.train_x is not None and f.train_x.size and g.val_best_epoch is not None \
        and float(f.x[0]) > float(f.train_x[0]) and g.val_best_epoch <= float(f.x[0]) \
        and g.val_best < tp.start - t.no_signal_val_share * tp.improvement


#: A share of the whole of something (the improvement, the level): where a ramp over a share reaches full strength.
WHOLE = 1.0
#: overfitting's strength from its rise (overfit_rise_range of the improvement to all of it) and from its gap's growth
#: (overfit_gap_growth to all of it): set by hand in 71c31f1, the first rules; no measurement recorded.
OVERFIT_RISE_STRENGTH = (0.6, 0.95)
OVERFIT_GAP_STRENGTH = (0.55, 0.85)
#: overfitting: training went on falling after validation's minimum by at least this share of its range (a climb of
#: two evaluations, or a gap that grew): the model still fitting what does not carry over. Set in 71c31f1, the first
#: rules (6fb79fe reads it for the gap); no measurement recorded.
TRAIN_FELL_AFTER_MIN = 0.05
#: ... and validation's minimum came at least this share of the run's span before its end (a minimum at the last
#: points is no rise yet). Set in 71c31f1 (overfitting_signs reads it since c811298); no measurement recorded.
MIN_BEFORE_END = 0.1


def overfitting(f: Facts, t: Thresholds) -> Cause | None:
    """Validation stops improving while training improves.

    Fires when (the conditions in full, and the runs that set them): val minimum then a rise ≥ 3 noise sds and ≥ 10%
    of its improvement (or ≥ 5% of its minimum and still climbing, tail t > 3, that climb read at the end of the
    tail's fitted line, no higher than the smoothed end, where the quarter's median lags it: `_climb_at_end`; or
    still climbing at any size while training's own tail still falls, t < −3), read off the last quarter's median, ≥
    3 points after the minimum (2 where each climbed ≥ 3 noise sds above the one before while training fell ≥ 5% of
    its improvement: a bounce comes back down, as SGD's 0.10 → 0.29 → 0.26 did, and a single jump beside a training
    loss that held is no trend), with training holding or falling (or ≥ 10% of its minimum while training fell; with
    no training curve logged at all, the rise alone: at confidence 0.55 where the rise is at most ``overfit_rise_range``
    (10%) of its improvement, on the 0.6-0.95 ramp by that share above it, as with a training curve); or a flat val
    with a growing gap that training's fall after validation's best opened (at least as far as validation's own
    last-quarter median rose), not beside a validation bouncing at its level from its first check
    (:func:`_bounce_at_level`); a
    validation curve that bounces as it climbs while training memorises below it says so, and adds "check the
    labels" where validation's best is still ≥ 50% of its first value, or of ln K (ln 2 with K unknown) where that
    is higher: a log whose first point came after an epoch of learning (Keras' IMDB example, best 68% of its first
    value, 39% of ln 2) (what flipped labels give; a classifier's only: accuracy logged or K known); under those
    size bars, validation's last quarter > 2.5 noise sds and ≥ 5% above its smoothed minimum and not falling while
    training still falls (t < −3) and the gap grows lists overfitting as possible (≤ 0.5) beside converged, saying
    why it is not the verdict, and converged's strength drops to 0.65 (`overfitting_signs`); never while training
    accuracy sits at chance (nothing was fitted), nor when training's lowest loss never got below validation's best
    (it fitted its own data no better than held-out data). Any validation series (`val_mae`, `val_rmse` …) is
    compared with its training twin (`train_mae`, Keras' bare `mae`), else with the training loss (then no gap is
    quoted); a score diagnosed next to both losses is read off the losses, and the weights to restore are the
    score's best, the last of its ties (:func:`_restore_by_metric`); where the score itself did not fall beyond its
    binomial noise the reading is listed as possible, the losses' lines labelled support (:func:`_score_held`).

    Named bars it reads itself (:class:`Thresholds`): ``improving_t``, ``overfit_gap_growth``,
    ``overfit_rise_level``, ``overfit_rise_min``, ``overfit_rise_noise``, ``overfit_rise_range``; the helpers it
    calls read more, and a bar of its own is a named constant or a literal commented where it is read.

    First actions: early stopping at the best epoch (restore best weights); regularization; simpler model;
    augmentation; more data. A rise under ``overfit_rise_range`` of the improvement and ``overfit_rise_min`` of the
    minimum is called slight, with what the best epoch's weights gain over the end's, at a strength from 0.5 (just
    clear of its noise, a sliver of the improvement) to a clear rise's 0.6 (:func:`_slight_strength`).
    """
    g = f.generalization
    if g is None or not f.metric.startswith("val_"):
        return None
    if _train_at_chance(f, t):
        return None  # training accuracy at chance: the model fitted nothing it could fail to generalize
    n_tail = f.x[-1] - f.x[0]
    # At least 3 points after the minimum: 2 are a bounce as often as a trend (SGD at lr 0.15,
    # val 0.10 then 0.29, 0.26 at epochs 7-8, was stopped as overfitting; training on reached 0.011).
    # Two suffice where each climbed as far as the whole rise must (a trend, not one jump) while training
    # went on falling (≥ 5% of its improvement, as a flat validation's growing gap asks below): a Trainer
    # beside its EarlyStoppingCallback, val 0.368 -> 0.418 -> 0.466 (4.6 noise sds each) as train fell 17%,
    # read converged; one evaluation later 0.615. Not a GRU whose val 0.0186 -> 0.0189 -> 0.0239 was one
    # jump beside a training loss that held (0.03%): its next epoch read 0.0175.
    after = f.n_points - 1 - int(np.searchsorted(f.x, g.val_best_epoch)) if g.val_best_epoch is not None else 0
    climbed = (after == 2 and g.train_drop_after_val_min > TRAIN_FELL_AFTER_MIN
               and bool(np.all(np.diff(_sign(f) * f.y[-3:]) > t.overfit_rise_noise * f.noise)))
    early_min = g.val_min_epoch is not None and (f.x[-1] - g.val_min_epoch) > MIN_BEFORE_END * n_tail \
        and (after >= 3 or climbed)
    # A rise that is large against the improvement, or a slow one that is still climbing
    # significantly at the end (validation creeping up from its minimum, epoch after epoch).
    # (While training is itself still falling significantly, a significant climb is the divergence of
    # the two curves that defines overfitting at any size: MLflow's Keras autolog run, val 0.150 ->
    # 0.160 (4% of its minimum, t = 7) while train fell 5x more, was 6% above what its best epoch and
    # dropout gave.)
    # A tail climbing by its own t-test is read at its end: the last quarter's median (what the rise is read off, so
    # that one late spike is no climb) is the level half a quarter back (_climb_at_end).
    climb = _climb_at_end(f) if f.trend.slope_t > -t.improving_t else g.val_rise
    creeping = f.trend.slope_t > -t.improving_t and g.val_min \
        and (climb / abs(g.val_min) > t.overfit_rise_level or g.train_slope_t < t.improving_t)
    # A rise that is large against the minimum itself, while training went on falling: a
    # floor far below the start makes the rise small against the improvement (a validation
    # cross-entropy 2.3 -> 0.34 -> 0.44 rose 6% of its improvement but 30% of its level), and
    # a rise that levelled off has no significant tail slope left. Training must have fallen
    # (not merely held within 2% of its range): both rising is instability, not overfitting.
    # With no training curve logged at all, the rise is all there is to go on.
    no_train = math.isnan(g.train_drop_after_val_min)
    far_above = (g.val_min and g.val_rise / abs(g.val_min) > t.overfit_rise_min
                 and (g.train_drop_after_val_min > 0 or g.train_slope_t < t.improving_t or no_train))
    # The rise's noise sds use the whole curve's noise, which early bounces can inflate past any later rise: a
    # tail climbing significantly (creeping, its own t-test) by >= 5% of the minimum needs no more. A digits MLP
    # at SGD batch 1 (fixture keras_rise_after_bounces): val thrown to 0.83 early, then 0.0695 -> 0.094 epoch
    # after epoch (1.7 noise sds) while training fell 100x, read converged; its best epoch's weights are 26% lower.
    climbs = creeping and climb / abs(g.val_min) > t.overfit_rise_level
    rising = ((g.val_rise_noise > t.overfit_rise_noise or climbs) and early_min
              and (g.val_rise_range > t.overfit_rise_range or creeping or far_above))
    # Training held or kept improving while validation rose (both rising is instability instead): "held" allows
    # training back up by under 2% of its improvement.
    held = -0.02
    train_on = (g.train_drop_after_val_min > held or g.gap_growth_range > t.overfit_gap_growth / 3
                or g.train_slope_t < t.improving_t)
    s, train = _sign(f), f.train_metric or "train_loss"
    best, worse = ("best", "fell") if _higher(f) else ("minimum", "rose")
    # The training twin of a score improves upwards; the training loss that stands in for a missing twin falls.
    better = "rising" if _higher(f) and train != "train_loss" else "falling"
    # Training never got below validation: the model fits its own data no better than held-out
    # data, so a rising validation loss is not memorising (a blow-up both curves share: fastai at
    # lr 1.0, train 4.28 -> 2.33 = ln 10 with validation 1.78 -> 2.31, accuracy at chance).
    # Nor is it when training's lowest never got below validation's best: Keras SGD at lr 0.3 on digits,
    # val 0.27 -> 0.81 -> 0.53 in its first 4 epochs while train fell to 0.28 (at lr 0.03: 0.11).
    fits_worse = (g.gap_end is not None and g.gap_at_val_min is not None and g.gap_end <= 0
                  and g.gap_at_val_min <= 0) or _never_below(g) or _held_near_val_best(f, g)
    if rising and (train_on or no_train) and not fits_worse:
        conf = _ramp(g.val_rise_range, t.overfit_rise_range, WHOLE, *OVERFIT_RISE_STRENGTH)
        # Under both size bars (of the improvement and of the minimum: read on the climb's trend), the rise is real
        # but small: what the best epoch's weights gain over the end's is said, so 85% reads as "surely
        # overfitting", not "much to gain" (a digits MLP at Adam 1e-3, val 0.1389 -> 0.148, 0.51% of its
        # improvement and 6.8% of its minimum: the best epoch 6.4% lower). Not the README's Keras run, 4.3% of its
        # improvement but 23% of its minimum.
        end = abs(g.val_min + g.val_rise)
        is_slight = math.isfinite(g.val_rise_range) and not g.val_rise_range > t.overfit_rise_range and end > 0 \
            and g.val_min and not g.val_rise / abs(g.val_min) > t.overfit_rise_min
        if is_slight:
            conf = _slight_strength(g.val_rise_range, max(g.val_rise_noise, _sign(f) * f.trend.slope_t), t)
        if no_train and not g.val_rise_range > t.overfit_rise_range:
            conf = min(conf, 0.55)  # only its level says so: without a training curve, a wobble is not ruled out
        # Nor, without a training curve, a step too large: it throws validation about and up from its best as well,
        # and only training's course (falling on, or thrown with it) tells the two apart. A validation loss bouncing
        # at its floor (sd >= lr_high_oscillation of its improvement, lr_too_high's own bar) caps the reading as a
        # small rise is capped. The walk's W&B panel export of AdamW lr 0.1, width 16, weight decay 1 on digits
        # (val_loss alone; tests/fixtures/ecosystem/lightning_adamw_sweep/wandb_panel.csv): val 1.221 at epoch 13, then
        # 1.33 (13% of its improvement), sd 4.4% of it, read overfitting 86% "regularize"; its training loss, not in
        # the export, ended flat at 1.30 beside validation's 1.34, and the same run's CSVLogger file reads lr_too_high.
        # (Only on a curve whose improvement clears lr_too_high's floor of noise sds: a validation loss best at its
        # first evaluation has no floor to bounce at, its spread an infinite share of no improvement.)
        thrown = no_train and math.isfinite(f.optimizer.oscillation) \
            and f.optimizer.oscillation >= t.lr_high_oscillation and f.plateau.improvement > t.lr_high_floor_noise * f.noise
        if thrown:
            conf = min(conf, 0.55)
        share = f"{_pct(g.val_rise_range)} of its improvement, " if math.isfinite(g.val_rise_range) else ""
        # The improvement the share is of, in noise sds (the fall before a late log's first point counted, as the
        # share counts it: rise / share is that improvement, rise / noise sds the noise).
        improved = g.val_rise_noise / g.val_rise_range if share and g.val_rise_range > 0 else math.inf
        if improved < t.no_signal_val_noise:
            # A best within its noise of the first value (no_signal's bar) is no improvement to measure the rise by:
            # walk 46's mean of two seeds bouncing at lr 0.05 (0.645 first, smoothed best 0.643, 0.011 noise sds
            # under it) "rose 1.17: 54541% of its improvement".
            share = (f"from a best only {improved:.2g} noise sds {'above' if _higher(f) else 'below'} its first "
                     "value (no improvement to measure the rise by), ")
        slight = (f"; a slight rise: the best {f.axis_name}'s weights would {'raise' if _higher(f) else 'lower'} "
                  f"{f.metric} by {_pct(g.val_rise / end)} from the end's" if is_slight else "")
        ev = [f"{f.metric} reached its {best} {s * g.val_best:.4g} at {f.axis_name} {_n(g.val_best_epoch)} "
              f"(smoothed {s * g.val_min:.4g} at {_n(g.val_min_epoch)}), then {worse} {g.val_rise:.3g}: "
              f"{share}{_beyond_noise(g.val_rise_noise)}{slight}"]
        # (The climb is quoted at the tail line's end only where that, not the quarter's median, clears the bar.)
        lags = creeping and g.val_rise / abs(g.val_min) <= t.overfit_rise_level < climb / abs(g.val_min)
        lag = (f" by its line's end ({s * (g.val_min + climb):.4g}; the last quarter's median, "
               f"{_pct(g.val_rise / abs(g.val_min))} {'below' if _higher(f) else 'above'}, lags a steady climb)"
               if lags else "")
        climbed = "" if not creeping else \
            f"{_pct((climb if lags else g.val_rise) / abs(g.val_min))} {'below' if _higher(f) else 'above'} its {best}{lag}"
        if creeping and not g.val_rise_range > t.overfit_rise_range and not far_above \
                and not g.val_rise / abs(g.val_min) > t.overfit_rise_level:
            # Small against the level: the two trends' significance is the evidence.
            ev.append(f"{f.metric} still {'falling' if _higher(f) else 'climbing'} over {_tail(f)} "
                      f"(t = {_t(s * f.trend.slope_t)}), {climbed}, while {train} still falls "
                      f"(t = {_t(g.train_slope_t)})")
        elif climbs and not g.val_rise_noise > t.overfit_rise_noise:
            ev.append(f"{f.metric} still {'falling' if _higher(f) else 'climbing'} over {_tail(f)} "
                      f"(t = {_t(s * f.trend.slope_t)}), {climbed}: a steady climb, though under "
                      f"{_count(t.overfit_rise_noise)} sds of the whole curve's noise")
        if g.train_drop_after_val_min > 0:
            ev.append(f"{train} kept {better} after it ({_pct(g.train_drop_after_val_min)} of its improvement)")
        elif g.train_drop_after_val_min <= held:
            # (Past train_on's 2%, "held" is untrue: it passed on the gap's growth, and the climb is worth seeing.)
            ev.append(f"{train} rose after it ({_pct(-g.train_drop_after_val_min)} of its improvement), though far "
                      f"less than {f.metric}")
        elif not math.isnan(g.train_drop_after_val_min):
            ev.append(f"{train} held its level after it")
        if g.gap_end is not None:
            ev.append(f"generalization gap {_gap_course(g)}")
        fitted = _nothing_left_to_fit(f, t, f.constant_tail) if f.constant_tail >= 5 else None
        if fitted is not None:
            ev.append(fitted)
        if no_train:
            ev.append(NO_TRAIN_CURVE + (f"; {f.metric} bounces at its floor (sd {_pct(f.optimizer.oscillation)} of its "
                                        "improvement), as a step too large throws it: that reads the same rise"
                                        if thrown else ""))
        acts = [Action(f"early stopping with restore_best_weights: the best weights are from {f.axis_name} "
                       f"{_n(g.val_best_epoch)}", EARLY_STOP_BEST)] + \
            ([f"log the training loss beside {f.metric} before regularizing: still falling says overfitting, thrown "
              "up with validation says the step (try lr / 10)"] if thrown else []) + \
            _overfitting_actions(f)[1:]
        return Cause("overfitting", conf, ev, acts, {"val_min_epoch": g.val_min_epoch, "val_best_epoch": g.val_best_epoch,
                                                     "val_rise": g.val_rise, **({"nothing_left_to_fit": True}
                                                                                if fitted is not None else {})})
    flat_val = f.trend.slope_t > t.improving_t
    # A flat validation that reached its best by bouncing measures its gap at a lucky low: the
    # bounce (lr_too_high) is the story, not a gap that grew.
    # (Training's tail t misses a fall that comes only at the epoch boundaries, flat or rising in between: the
    # staircase's fall per epoch says it still falls. A GPT-2 fine-tune evaluated once an epoch, best at the first.)
    train_falls = g.train_slope_t < t.improving_t or _memorising_steps(f) is not None
    # The gap must have opened because training fell, not because validation's own end sits above a smoothed low
    # of its bounce (a rise the branch above found within its noise): a torch MLP at SGD 0.05, batch 1
    # (torch_bs1_bounce_reg/lr0.05_bs1_s3), val 0.15-0.35 throughout, its gap 0.076 -> 0.134 with training down
    # 0.017 and validation's quarter median up 0.041, read "overfitting 97%"; lr / 10 and batch 32 each ended 55%
    # lower. (Not where no training level was read at the minimum: no gap is quoted then.)
    by_training = g.train_at_val_min is None or g.train_end is None \
        or not g.train_at_val_min - g.train_end < g.val_rise
    # Nor a validation bouncing at its own level from its first check (_bounce_at_level: all it learned came
    # before it): its best is that first check, and the gap there sets the first epoch's mean training loss, an
    # average over that epoch's learning, beside validation at the epoch's end (lr0.05_bs1: -0.286, training's
    # 0.424 against 0.138, then 0.215 at the next epoch), so the gap "grew" by what training learned in epoch 0.
    if flat_val and after >= 3 and g.gap_growth_range > t.overfit_gap_growth and train_falls \
            and g.train_drop_after_val_min > TRAIN_FELL_AFTER_MIN and bounced(f, t) is None and by_training \
            and _bounce_at_level(f, t) is None:
        conf = _ramp(g.gap_growth_range, t.overfit_gap_growth, WHOLE, *OVERFIT_GAP_STRENGTH)
        return Cause("overfitting", conf,
                     [f"{f.metric} flat since {f.axis_name} {_n(g.val_min_epoch)} while {train} kept {better} "
                      + (f"(t = {_t((-1 if better == 'rising' else 1) * g.train_slope_t)})"
                         if g.train_slope_t < t.improving_t else "at each epoch boundary (below)"),
                      f"generalization gap {_gap_course(g)}"],
                     _overfitting_actions(f), {"gap_growth": g.gap_growth_range})
    return None


def _gap_course(g) -> str:
    """How the generalization gap went from validation's minimum to the end, its verb read off the two numbers as
    shown (3 significant digits): "grew from a to b", "shrank from a to b" or "held at a". A Keras transfer run at
    1e-3 (tests/fixtures/ecosystem/keras_transfer/tiny_lr1e-3.log) said "generalization gap grew from 0.206 to 0.15":
    training rose after validation's minimum (8% of its improvement) and closed on it."""
    a, b = float(f"{g.gap_at_val_min:.3g}"), float(f"{g.gap_end:.3g}")
    if a == b:
        return f"held at {g.gap_at_val_min:.3g}"
    return f"{'grew' if b > a else 'shrank'} from {g.gap_at_val_min:.3g} to {g.gap_end:.3g}"


#: A slight rise's strength runs from this, a possibility's cap (a rise just clearing its noise, a sliver of the
#: improvement), up to a clear rise's 0.6 (one far beyond its noise, near 10% of the improvement).
SLIGHT_RISE_STRENGTH = 0.5


def _slight_strength(share: float, sds: float, t: Thresholds) -> float:
    """The overfitting rule's strength for a slight rise (under ``overfit_rise_range`` of the improvement and
    ``overfit_rise_min`` of the minimum): :data:`SLIGHT_RISE_STRENGTH` raised toward a clear rise's 0.6 by the
    product of its size, ``share`` of the improvement over ``overfit_rise_range`` (0-1), and its significance,
    ``sds`` (the rise in noise sds, or the climbing tail's t where that is the larger: the rule's two readings,
    each against its bar ``overfit_rise_noise``) from 1x the bar to 3x (0-1). At the bar the rise is only just
    told from the noise; a sliver of the improvement says the curve mostly plateaued before it rose. Both at a
    clear rise's 0.6 read 85% (calibrated) as surely overfitting: a digits MLP whose validation rose 0.51% of its
    improvement, 27 noise sds, read as sure as the README's run at 4.3%; now 77%. Never under a possibility's
    cap, so no "possible" reading listed after it outscores the verdict."""
    size = min(max(share / t.overfit_rise_range, 0.0), 1.0)
    sig = min(max((sds / t.overfit_rise_noise - 1.0) / 2.0, 0.0), 1.0) if math.isfinite(sds) else 1.0
    return SLIGHT_RISE_STRENGTH + (0.6 - SLIGHT_RISE_STRENGTH) * size * sig


#: overfitting_signs' strength, a possibility's, from overfit_signs_noise to 2x overfit_rise_noise: set by hand in
#: aa72b2e (which named the bar, 2.5 sds), below converged's contested 0.65.
OVERFIT_SIGNS_STRENGTH = (0.4, 0.5)


def overfitting_signs(f: Facts, t: Thresholds) -> Cause | None:
    """Overfitting as a possibility, where the rule (:func:`overfitting`) does not read it: validation's last
    quarter sits above its smoothed minimum by > ``overfit_signs_noise`` noise sds and ≥ 5% of it and is not
    falling, while training still falls by its own t-test and the gap grows, but the rise is under the rule's size
    bars (10% of the improvement or of the minimum, or 5% of it with a tail climbing at t > 3). Those bars stand: the smoothed minimum is the
    lowest of many noisy means, so a held floor sits above it by itself (docs/benchmarks.md, "two leads tried").
    Listed, at most 0.5, for the test that tells: the best epoch's weights against the last epoch's on held-out
    data. A Keras 512-512 MLP on 150 digits (fixture keras_wide_mlp_overfit): val 0.393 (smoothed, epoch 17) ->
    0.42 over its last quarter (t = 1.9, 3.1 noise sds, 7% of the minimum, 2% of the improvement) while training
    fell 0.005 -> 0.0005 (t = -14.6), read converged at 0.96 with overfitting unlisted."""
    g = f.generalization
    if g is None or not f.metric.startswith("val_") or g.val_min_epoch is None or g.val_best_epoch is None \
            or f.train_y is None or f.train_x is None or f.train_y.shape[0] < 4 or _train_at_chance(f, t):
        return None
    after = f.n_points - 1 - int(np.searchsorted(f.x, g.val_best_epoch))
    if after < 3 or not (f.x[-1] - g.val_min_epoch) > MIN_BEFORE_END * (f.x[-1] - f.x[0]):
        return None
    # (At >= 5% of the minimum: what the rule reads from a tail climbing at t > 3. Smaller is no sign to act on: a CNN
    # at 6.6 noise sds but 1.1% of its minimum, its training loss at 4e-5.)
    if not (g.val_rise_noise > t.overfit_signs_noise and g.val_min and g.val_rise / abs(g.val_min) > t.overfit_rise_level
            and f.trend.slope_t > 0 and g.train_slope_t < t.improving_t
            and g.gap_end is not None and g.gap_at_val_min is not None and g.gap_end > g.gap_at_val_min >= 0
            and not _never_below(g)):
        return None
    # The training series g measured the gap on (train_acc beside val_acc, on its lower-is-better scale), not
    # f.train_y, which is always the training loss.
    at, end = g.train_at_val_min, g.train_end
    fell = (at - end) / abs(at) if at else 0.0
    if not fell > 0:
        return None
    s, ax = _sign(f), f.axis_name
    tm = f.train_metric or "train_loss"
    ts = s if tm != "train_loss" else 1.0
    best, above = ("best", "below") if _higher(f) else ("minimum", "above")
    ev = [f"{f.metric}'s last quarter sits {_pct(g.val_rise / abs(g.val_min))} {above} its smoothed {best} "
          f"{s * g.val_min:.4g} ({ax} {_n(g.val_min_epoch)}; {_count(g.val_rise_noise, 1)} noise sds) while "
          f"{tm} {'rose' if ts < 0 else 'fell'} a further {_pct(fell)} ({ts * at:.3g} → {ts * end:.3g}, "
          f"t = {_t(g.train_slope_t)}), and the gap {_gap_course(g)}",
          f"not the verdict: the rise is {_pct(g.val_rise_range)} of its improvement and "
          f"{_pct(g.val_rise / abs(g.val_min))} of its {best}, under the rule's {_pct(t.overfit_rise_range)} of "
          f"either, and its last quarter does not climb significantly (t = {_t(s * f.trend.slope_t)}; at t > "
          f"{_count(-t.improving_t)}, {_pct(t.overfit_rise_level)} of the {best} would do): a held floor also sits "
          "above its lowest smoothed point"]
    acts = [f"keep the weights of {ax} {_n(g.val_best_epoch)}, its best (restore_best_weights), and compare them with "
            "the last one's on held-out data: lower there is overfitting"] + _overfitting_actions(f)[1:2]
    cause = Cause("overfitting",
                  _ramp(g.val_rise_noise, t.overfit_signs_noise, 2 * t.overfit_rise_noise, *OVERFIT_SIGNS_STRENGTH),
                  ev, acts, {"val_min_epoch": g.val_min_epoch, "val_best_epoch": g.val_best_epoch,
                             "val_rise": g.val_rise, "train_fell": fell})
    cause.status = "possible"
    return cause


def _climb_at_end(f: Facts) -> float:
    """How far a validation tail that climbs by its own t-test ends above the smoothed minimum (metric units,
    read lower-is-better): its least-squares line at the last point, no higher than the smoothed end. The rise
    (GeneralizationFacts.val_rise) is read off the last quarter's median so that one late spike is no climb; under
    a steady climb that median is the level at the quarter's middle. A Keras 512-512 MLP on 150 digits, cut to
    27 epochs from its TensorBoard log: val 0.365 (epoch 19, smoothed) -> 0.405 at 26, the last 6 points climbing
    at t = 4.2 while training halved, their median 0.374 (2.6% above the minimum), the line's end 0.401 (9.8%)."""
    g, s, k = f.generalization, _sign(f), f.trend.tail_start
    xt, yt = f.x[k:], s * f.y[k:]
    if xt.shape[0] < 2 or g.val_min is None:
        return g.val_rise
    end = float(yt.mean() + f.trend.slope * (xt[-1] - xt.mean()))
    return max(g.val_rise, min(end, s * float(f.smoothed[-1])) - g.val_min)


#: relapsed's strength, from relapse_share of the gain back to all of it: set by hand in ba4ce28; no measurement
#: recorded.
RELAPSED_STRENGTH = (0.6, 0.85)
#: A curve whose best got under this share of ln K had learned before it went back to the guess (7c70ba5, efe04b0:
#: fastai at lr_max 1.0, 1.78 before 2.31 = ln 10; OneCycleLR max_lr 1.0, 1.20 before 2.304). relapsed's training
#: floor and _back_to_a_guess's validation best share it; no measurement of the bar recorded.
LEFT_THE_GUESS = 0.8


def relapsed(f: Facts, t: Thresholds) -> Cause | None:
    """After validation's best, both curves went back up and stayed up: the median of the last
    points (2 or 3, all after the best) of validation and of the epoch-mean training loss each sits
    ≥ half of that curve's improvement above its best (and ≥ 3 noise sds). Memorising lowers the
    training loss; a training loss that lost half of what it had learned, at a constant step, is the
    step throwing the weights off. Needs no 20 points, so a callback sees it two epochs after the
    collapse: SGD at lr 1.0 on digits (an MLP), val 2.01 -> 0.559 at epoch 5 -> 1.68, 1.98 while
    train went 2.30 -> 1.15 -> 2.06, 1.90 (a PyTorch Monitor had stopped it as converged at epoch
    7); over 40 epochs it ended at val 1.99, at lr 0.1 at 0.126."""
    g, ty = _val_beside_train(f), f.train_y
    if g is None or ty is None or f.axis_name != "epoch" or g.val_best_epoch is None or f.train_plateau is None:
        return None
    after = f.n_points - 1 - int(np.searchsorted(f.x, g.val_best_epoch))
    if after < 2 or ty.shape[0] < 3:  # one point after the best is a blip
        return None
    k = min(3, after)
    val_end, train_end = float(median(f.y[-k:])), float(median(ty[-k:]))
    # Under a schedule both curves also rise for a while with the lr (a warm restart); ending at a uniform
    # guess -- validation at ln K with its accuracy at 1/K, training at ln K too -- is no such detour: the
    # network was knocked back to predicting the class frequencies, whatever the lr did afterwards
    # (OneCycleLR at max_lr 1.0 on digits: val 2.12 -> 1.20 -> 2.30 = ln 10, accuracy 0.10).
    vp, tp = f.plateau, f.train_plateau
    # A smoothed curve whose best is its first point has no improvement to measure the climb against, though
    # a raw point below it was the best (SGD 0.5 on digits: 1.959, 1.653, then 2.24 ... 2.34): measured from
    # the first point to that best instead, and said as a climb above the best where even that is 0.
    val_back = _ratio(val_end - g.val_best, vp.improvement if vp.improvement > 0 else float(f.y[0]) - g.val_best)
    train_back = _ratio(train_end - tp.floor, tp.improvement)
    rose = val_end - g.val_best >= t.stuck_noise * f.noise and train_end - tp.floor >= t.stuck_noise * (f.train_noise or 0.0)
    relapse = rose and val_back >= t.relapse_share and train_back >= t.relapse_share
    guess = _back_to_a_guess(f, val_end)
    if guess is not None and not (rose and abs(train_end - math.log(guess)) <= NEAR_LN_K * math.log(guess)
                                  and tp.floor < LEFT_THE_GUESS * math.log(guess)):
        guess = None
    if not (guess is not None or (relapse and f.optimizer.lr_schedule in (None, "constant"))):
        return None
    ax = f.axis_name
    if guess is None:
        ev = [f"{f.metric} reached its best {g.val_best:.4g} at {ax} {_n(g.val_best_epoch)}; over the last {k} {ax}s it "
              f"sits at {val_end:.4g}, {_back(val_back, val_end - g.val_best)}",
              f"train_loss went back up with it: {train_end:.4g} over the last {k} {ax}s, its smoothed best {tp.floor:.4g} "
              f"({_back(train_back, train_end - tp.floor, 'lost')}): both curves losing what they learned is {_STEP_NOT_MEMORY}"]
        conf = _ramp(min(val_back, train_back), t.relapse_share, WHOLE, *RELAPSED_STRENGTH)
    else:
        o = f.optimizer
        ev = [f"{f.metric} reached its best {g.val_best:.4g} at {ax} {_n(g.val_best_epoch)} and train_loss its smoothed "
              f"best {tp.floor:.4g}; over the last {k} {ax}s both sit at a uniform guess's loss, ln {guess} = "
              f"{math.log(guess):.4g} ({val_end:.4g} and {train_end:.4g}), validation accuracy "
              f"{f.chance.val_acc_tail:.3f} ≈ 1/{guess}: the network was knocked back to predicting the class frequencies; "
              f"both curves losing what they learned is {_STEP_NOT_MEMORY}"]
        if o.lr_schedule not in (None, "constant"):
            ev.append(f"the lr schedule's later, smaller steps (down to {o.lr_last:.2g}) did not bring it back: a "
                      "collapse under the schedule's peak lr, not a fit that levelled off")
        conf = 0.85
    if f.optimizer.lr_schedule == "constant":
        ev.append(f"with a constant learning rate {_lr(f)}")
    acts = ACTIONS["lr_too_high"] if guess is None or f.optimizer.lr_schedule in (None, "constant") else \
        ["lower the schedule's peak learning rate (try 1/10 of it: OneCycleLR's max_lr, the warm-up's target)",
         "a longer warm-up; gradient clipping"]
    return Cause("lr_too_high", conf, ev,
                 acts + [f"restart from the weights of {ax} {_n(g.val_best_epoch)} at a lower rate"],
                 {"val_back": val_back, "train_back": train_back, "val_best_epoch": g.val_best_epoch,
                  **({"uniform_guess": guess} if guess is not None else {})})


#: bounced's, peak_climbed's and peak_threw's strength, from bounce_range to 4x it: set by hand in 6fb79fe; no measurement recorded.
BOUNCE_STRENGTH = (0.55, 0.8)


def bounced(f: Facts, t: Thresholds) -> Cause | None:
    """Validation reached its best by bouncing: just before it, it climbed far above its previous
    best (≥ 5 noise sds and ≥ half its whole improvement) while the epoch-mean training loss rose
    too, then came back below. Both curves worse at once is the step throwing the weights off, not
    memorising (which lowers the training loss), and a run stopped early shows it before the
    oscillation rule's 20 points can: Keras SGD at lr 0.3 on digits, stopped by EarlyStopping
    after 15 epochs, val 0.19 -> 0.58 -> 0.15 while train went 0.135 -> 0.197 -> 0.129; at lr 0.03
    it reached 0.11."""
    g = _val_beside_train(f)
    if g is None or g.val_bounce_peak is None:
        return None
    # Under a schedule, only a climb that peaked while the lr was near its peak (one anneal, LrPhases): the
    # step then was the peak's. (A climb as a OneCycle's warm-up raises the lr, or a restart's, is the
    # schedule's own doing.) The digits MLP under CosineAnnealingLR, Adam at peak 3e-2: val 0.136 -> 0.309
    # at epoch 12 while training rose 0.049 -> 0.098, ending at 0.150; at 3e-3: 0.091.
    p = f.lr_phases
    scheduled = f.optimizer.lr_schedule not in (None, "constant")
    if scheduled and (p is None or not p.peak_from <= g.val_bounce_peak <= p.peak_to):
        return None
    rel = _ratio(g.val_bounce, f.plateau.improvement)
    if not (g.val_bounce >= t.lr_high_floor_noise * f.noise and rel >= t.bounce_range
            and g.train_rise_in_bounce >= t.spike_range):
        return None
    ax = f.axis_name
    ev = [f"{f.metric} reached its best {g.val_best:.4g} at {ax} {_n(g.val_best_epoch)} out of a bounce: from "
          f"{ax} {_n(g.val_bounce_from)} to {_n(g.val_bounce_peak)} it climbed {g.val_bounce:.3g} "
          f"({_pct(rel)} of its whole improvement, {_noise_sds(g.val_bounce / f.noise)} of its noise)",
          f"train_loss rose with it ({_pct(g.train_rise_in_bounce)} of its improvement): both curves worse at "
          f"once is {_STEP_NOT_MEMORY}"]
    if f.optimizer.lr_schedule == "constant":
        ev.append(f"with a constant learning rate {_lr(f)}")
    elif scheduled:
        ev.append(f"while the learning rate was near its peak{_peak_lr(f.optimizer)} (half of it or more until "
                  f"{ax} {_n(p.peak_to)}): the schedule's later, smaller steps settled it, the peak's threw it off")
    return Cause("lr_too_high", _ramp(rel, t.bounce_range, 4 * t.bounce_range, *BOUNCE_STRENGTH), ev,
                 ["a lower peak learning rate (try 1/10 of it)"] + ACTIONS["lr_too_high"][1:] if scheduled else ACTIONS["lr_too_high"],
                 {"val_bounce": g.val_bounce, "val_bounce_range": rel, "train_rise": g.train_rise_in_bounce})


#: climbed_off_floor's strength, from stuck_noise sds to 4x them: set by hand in 41a8334; no measurement recorded.
CLIMBED_OFF_FLOOR_STRENGTH = (0.55, 0.8)


def climbed_off_floor(f: Facts, t: Thresholds) -> Cause | None:
    """The epoch-mean training loss climbed back off the floor it had reached while validation rose after its
    best: the median of training's last quarter sits ≥ 3 noise sds and ≥ ``lr_high_oscillation`` of its
    improvement above its smoothed floor, reached before that quarter. A model that memorises lowers its
    training loss or sits at its floor; one whose training loss goes back up with validation is thrown off
    by its step (``relapsed`` reads the same when half of training's gain is lost). Keras Adam at lr 0.1 on
    digits (a 64-64-10 MLP, fixture keras_adam_high_lr): train 1.38 -> 0.0146 (smoothed, epoch 13) -> a
    last-quarter median 0.082 with spikes to 0.11, val 0.475 at epoch 6 -> 0.7-1.3, read overfitting at
    0.99; at lr 0.01 val ended at 0.42 against 1.11."""
    g, ty, tp = _val_beside_train(f), f.train_y, f.train_plateau
    if g is None or ty is None or f.train_x is None or tp is None or f.axis_name != "epoch" or f.train_points < t.shape_min_points \
            or f.optimizer.lr_schedule not in (None, "constant") or g.val_best_epoch is None:
        return None
    n = ty.shape[0]
    k = max(3, n // 4)
    if tp.floor_index is None or tp.floor_index >= n - k or not tp.improvement > 0:
        return None  # (a floor inside the last quarter is where the curve is now, not one it left)
    tail = float(median(ty[-k:]))
    rise = tail - tp.floor
    # Its noise before the last quarter: the bouncing tail's own spread would measure the climb by itself
    # (the run above: 0.0198 over the whole curve, 0.0091 before its last quarter).
    noise = noise_sigma(ty[:n - k])
    if not noise > 0:
        return None
    sds, share = rise / noise, rise / tp.improvement
    if not (sds >= t.stuck_noise and share >= t.lr_high_oscillation and g.val_rise_noise > t.overfit_rise_noise):
        return None
    # Validation worse over the same stretch, from training's floor to the last quarter: a rise it had finished
    # before training climbed is memorising's, not the step's (a GRU at Adam 1e-2 on labels it cannot reach,
    # fixture torch_gru_long_sequence: val 1.39 -> 1.54 while training fell to 1.248, then 1.517 as it climbed
    # back to 1.272: -4.6 noise sds against +4.8 for the Adam 0.1 run above).
    at_floor = float(f.smoothed[min(int(np.searchsorted(f.x, f.train_x[tp.floor_index])), f.n_points - 1)])
    val_tail = float(median(f.y[-max(3, f.n_points // 4):]))
    if not val_tail - at_floor >= t.overfit_rise_noise * f.noise:
        return None
    if f.train_trend is not None and f.train_trend.slope_t < t.improving_t:
        return None  # (a tail falling again is on its way back down: the climb was a detour)
    ax = f.axis_name
    low = int(np.argmin(ty))
    ev = [f"train_loss climbed back off its floor: smoothed {tp.floor:.4g} at {ax} {_n(float(f.train_x[tp.floor_index]))} (lowest "
          f"{float(ty[low]):.4g} at {ax} {_n(float(f.train_x[low]))}), its last {k} {ax}s' median {tail:.4g}, "
          f"{_noise_sds(sds)} of its noise before that and {_pct(share)} of its improvement above it",
          f"{f.metric} rose with it: {at_floor:.4g} (smoothed) at training's floor, {val_tail:.4g} over its last quarter "
          f"({_noise_sds((val_tail - at_floor) / f.noise)} of its noise; best {g.val_best:.4g} at {ax} {_n(g.val_best_epoch)}): "
          f"both curves worse at once is {_STEP_NOT_MEMORY}, whose training loss keeps falling or sits at its floor"]
    if f.optimizer.lr_schedule == "constant":
        ev.append(f"with a constant learning rate {_lr(f)}")
    return Cause("lr_too_high", _ramp(sds, t.stuck_noise, 4 * t.stuck_noise, *CLIMBED_OFF_FLOOR_STRENGTH), ev,
                 ACTIONS["lr_too_high"] + [f"restart from the weights of {ax} {_n(g.val_best_epoch)} at a lower rate"],
                 {"train_climb": share, "train_climb_noise": sds, "val_best_epoch": g.val_best_epoch})


def unlearned(f: Facts, t: Thresholds) -> Cause | None:
    """Validation improved, then climbed back above where it started, while training never got
    below it: not memorising (training fits its own data no better) but steps too large undoing
    what was learned. fastai's fit_one_cycle at lr_max 1.0 on digits: validation 1.89 -> 1.78 ->
    2.31 (ln 10, accuracy 0.095), training 4.28 -> 2.33; at lr 0.1 the same model reached 0.89.
    A validation curve best at its first point (an epoch of a large step already learned most)
    that then climbed ≥ 10% above it while training, learning, never got below it, reads the same."""
    g = _val_beside_train(f)
    if g is None:
        return None
    never_below = _never_below(g)
    if g.gap_end is None or (g.gap_end > 0 and not never_below):
        return None
    first, end = float(f.y[0]), float(f.smoothed[-1])
    tp = f.train_plateau
    # (Raw values: a smoothed curve that fell for one epoch has its minimum at its start.)
    improved = first - g.val_best >= t.stuck_noise * f.noise
    climbed = never_below and g.val_min and g.val_rise / abs(g.val_min) > t.overfit_rise_min \
        and tp is not None and tp.improvement > t.memorise_drop * abs(tp.start)
    if not (improved or climbed) or g.val_rise_noise < t.overfit_rise_noise:
        return None
    guess = _back_to_a_guess(f, end)
    k = None if end > first else guess
    if end <= first and k is None:
        return None
    where = f"above where it started ({first:.4g} → {end:.4g})" if k is None else \
        f"to {end:.4g}, a uniform guess's loss ln {k}"
    if not improved and k is None:
        where = f"to {float(np.max(f.y)):.4g} and ended at {end:.4g}"
    ax = f.axis_name
    lowest = f" (its lowest {g.train_best:.4g})" if never_below and g.gap_end > 0 else ""
    ev = [(f"{f.metric} fell to {g.val_best:.4g} at {ax} {_n(g.val_best_epoch)}, then climbed back {where}, "
           if improved else f"{f.metric} was best at {ax} {_n(g.val_best_epoch)} ({g.val_best:.4g}), then climbed "
           f"{where}, ") + f"while train_loss never got below it{lowest}: the steps undo what was learned, rather "
          "than the model memorising its training data"]
    c = f.chance
    if c.val_acc_tail is not None and c.val_acc_start is not None:
        ev.append(_val_acc_course(c, ax))
    return Cause("lr_too_high", 0.7, ev, ACTIONS["lr_too_high"],
                 {"val_rise_range": g.val_rise_range, **({"uniform_guess": guess} if guess is not None else {})})


def _val_acc_course(c: ChanceFacts, ax: str) -> str:
    """How the validation accuracy went, its verbs read off its numbers (fractions, compared as shown, to 3
    decimals): from its first value up to its best (running median of 3) and down to its last where the best
    stands above both, else the one way it went, with its last quarter's mean. A range test's digits MLP went
    0.054 -> 0.978 (epoch 29) -> 0.296 at the NaN, said "fell from 0.054 to 0.630" (that quarter's mean)."""
    start, tail = round(c.val_acc_start, 3), round(c.val_acc_tail, 3)
    end = round(c.val_acc_end, 3) if c.val_acc_end is not None else tail
    peak = round(c.val_acc_peak, 3) if c.val_acc_peak is not None else None
    at = lambda x: f" at {ax} {_n(x)}" if x is not None else ""
    quarter = f" ({tail:.3f} over its last quarter)" if tail != end else ""
    if peak is not None and peak > max(start, end) and peak > tail:
        return (f"validation accuracy rose from {start:.3f} to {peak:.3f}{at(c.val_acc_peak_at)}, then fell to "
                f"{end:.3f}{at(c.val_acc_end_at)}{quarter}")
    if end == start:
        return f"validation accuracy ended where it started, {start:.3f}{quarter}"
    return f"validation accuracy {'rose' if end > start else 'fell'} from {start:.3f} to {end:.3f}{quarter}"


#: Why both curves worsening together reads lr_too_high, not overfitting.
_STEP_NOT_MEMORY = "the step throwing the weights off, not the model memorising its training data"


def _val_beside_train(f: Facts):
    """The generalization facts of a validation loss read beside the training loss (one measure,
    lower is better), else None: the rules that compare how the two curves moved need both."""
    g = f.generalization
    if g is None or not f.metric.startswith("val_") or _higher(f) or f.train_metric != "train_loss":
        return None
    return g


#: _held_near_val_best: training's last-quarter median at no less than this share of validation's best is no
#: training loss that memorised. Set on the digits sweep's AdamW lr 0.1 MLP (0.673 against 0.777: 0.87); the
#: overfitting runs beside it sit at 0.0003-0.012 of it, Keras Adam 0.1 (training thrown back off its floor) at 0.15.
HELD_NEAR_VAL_BEST = 0.5


def _held_near_val_best(f: Facts, g) -> bool:
    """Training's last quarter sat at ≥ ``HELD_NEAR_VAL_BEST`` of validation's best loss and did not fall (tail t ≥ 0,
    and by under ``TRAIN_FELL_AFTER_MIN`` of its improvement after validation's best): a model memorising its training
    data drives that loss far below what held-out data ever reached, and keeps lowering it while validation rises (a
    Trainer's classifier whose training fell 17-31% of its improvement after validation's best, its last quarter at
    about half of that best, memorised: hf_memorised_96, hf_earlystop_rise). One whose training loss bounced at a level near validation's best, not
    falling, is thrown about by its step, and validation's rise is where the step left the weights: a torch MLP on 400
    digits at AdamW lr 0.1 (tests/fixtures/ecosystem/lightning_adamw_sweep/lightning_logs/lr0.1_w256_wd0, the walk's version_10): training never below 0.56
    (accuracy ≤ 0.77), its last quarter 0.673 against validation's best 0.777, validation 0.78 -> 1.3 over the same
    stretch, read "overfitting 91%, regularize"; a smaller model (width 16) and weight decay 1 ended worse, lr / 10
    ended at 0.133. (Only where the two are one measure, a loss: no gap is kept between a validation MAE and a
    training loss.)"""
    ty = f.train_y
    if g.gap_end is None or ty is None or _higher(f) or g.val_best is None or not g.val_best > 0 \
            or not ty.shape[0] >= 4 or not g.train_slope_t >= 0 or not g.train_drop_after_val_min < TRAIN_FELL_AFTER_MIN:
        return False
    return float(median(ty[-max(3, ty.shape[0] // 4):])) >= HELD_NEAR_VAL_BEST * g.val_best


def _held_near_val_best_words(f: Facts, t: Thresholds) -> str | None:
    """Why a validation loss that rose after its best is not read as overfitting where training held near that best
    (:func:`_held_near_val_best`); None where that is not so."""
    g, ty = f.generalization, f.train_y
    if g is None or ty is None or not f.metric.startswith("val_") or not g.val_rise_noise > t.overfit_rise_noise \
            or not _held_near_val_best(f, g):
        return None
    tail = float(median(ty[-max(3, ty.shape[0] // 4):]))
    return (f"not overfitting: {f.metric} rose after its best {g.val_best:.4g} ({f.axis_name} {_n(g.val_best_epoch)}), "
            f"but train_loss's last quarter sat at {tail:.4g}, {_pct(tail / g.val_best)} of it, and did not fall "
            f"(t = {_t(g.train_slope_t)}): a model memorising its training data drives that loss far below held-out "
            f"data's best; one thrown about by its step holds it near there")


def _never_below(g) -> bool:
    """Training's lowest loss never got below validation's best: the model never fitted its own
    data better than it had fitted held-out data, so it cannot have been memorising it. (Only where
    the two are one measure: no gap is kept between a validation MAE and a training loss.)"""
    return g.gap_end is not None and g.train_best is not None and g.val_best is not None \
        and g.train_best >= g.val_best


#: _ended_at_a_guess: validation's end within this share of ln K (tighter than NEAR_LN_K: K may be inferred from
#: that end itself, int(round(exp(end)))). Set in 3c06f95 (Lightning SGD(3.0) on digits); no measurement recorded.
ENDED_AT_LN_K = 0.02


def _ended_at_a_guess(f: Facts, end: float) -> int | None:
    """K when the validation loss ended at ``end`` = ln K (within 2%) and the validation accuracy at 1/K (K given,
    or the K whose ln the loss sits at): the model predicts the class frequencies now. None without a validation
    accuracy, or where ``end`` is no ln K.

    A K inferred from the initial loss is only a guess where the first point was thrown far out: Lightning's
    epoch-mean training loss of SGD(3.0) on digits started at 2.718 = ln 15 (blown-up batches averaged in),
    and with K = 15 a network back at ln 10 and accuracy 0.096 was not seen as guessing; it read no_signal,
    "check the labels", where lr 1.0 reached 0.12. Where K was not given, the K of the end's own ln is tried
    too: the loss and the accuracy must both agree with it."""
    c = f.chance
    if c.val_acc_tail is None or not math.log(2) < end < 50:  # (ln K ≥ 50 is no class count: a blow-up)
        return None
    ks = [c.classes] if c.classes and not c.classes_inferred else [c.classes, int(round(math.exp(end)))]
    for k in dict.fromkeys(k for k in ks if k):
        if k >= 2 and abs(end - math.log(k)) <= ENDED_AT_LN_K * math.log(k) \
                and abs(c.val_acc_tail - 1 / k) <= ACC_AT_GUESS / k:
            return k
    return None


def _back_to_a_guess(f: Facts, end: float) -> int | None:
    """K when the validation loss ended at a uniform guess's ln K (:func:`_ended_at_a_guess`) after it had been
    well below ln K: a network knocked back to predicting the class frequencies."""
    k = _ended_at_a_guess(f, end)
    g = f.generalization
    return k if k is not None and g is not None and g.val_best < LEFT_THE_GUESS * math.log(k) else None


#: still_improving at full strength: the last quarter gave 30% of the improvement, or lowered the level 50%; its
#: strength from each bar to there: set by hand in 71c31f1, the first rules; no measurement recorded.
TAIL_DROP_FULL = 0.3
TAIL_LEVEL_FULL = 0.5
TAIL_DROP_STRENGTH = (0.6, 0.95)
TAIL_LEVEL_STRENGTH = (0.6, 0.9)


def still_improving(f: Facts, t: Thresholds, refuted: bool = False) -> Cause | None:
    """Not plateaued: more epochs still pay.

    Fires when (the conditions in full, and the runs that set them): tail slope t < −3 and the last quarter gave ≥
    3% of the improvement (or lowered the level ≥ 5%; a score's level is its distance below its ceiling, 1 − R²),
    unless the forecast expects < 1% (with P(> 1%) < 0.28; at any higher P the verdict stands at confidence ≤ 0.6,
    its evidence says the forecast expects < 1% and its first action is to train on only with early stopping: Keras
    Adam 0.1 on diabetes, a validation loss falling back from a swing at t = −3.9 beside a forecast of −0.85% at P =
    37%, read still_improving at 0.64 with "keep training"; a point forecast under 1% beside P ≥ 50% says the fit
    cannot tell, which backs "keep training" no better); or a flat-looking tail that still fell ≥ 1 noise sd over
    its last quarter and that the forecast expects to fall ≥ 5% more (calibrated P ≥ 0.92) or ≥ 10% more (P ≥ 0.72),
    where that quarter does not depart from the forecast's own path over it (:func:`_tail_refutes`);
    the same forecast counts beside a tail of ≤ 5 points too short to show it (the forecast's slope over the tail
    would reach |t| < 2 against the curve's noise, and the tail's slope is not 2 standard errors above it: 16 points
    logged by a Trainer, a 4-point tail at t = +0.3 beside a forecast of −18%), and beside a longer tail of a
    training loss logged by step too noisy to show it (the same test against the tail's own noise, from second
    differences: that Trainer logging every step, 20 points at t = +0.3); where the tail cannot test the forecast
    (those two cases, and a batch loss's creep), the later half of the run must not sit > 2 standard errors above
    the forecast's slope over it (a Trainer's batch loss flat after a first-epoch drop, forecast 16–23% lower by a
    curve family bent through the flat stretch); or a flat loss beside a metric the user logged (a sample-quality
    distance, BLEU …) that kept improving after X (below); or a last quarter too noisy to show a slow fall by a
    factor, where the metric's own points since X (from the run's first quarter on) fell ≥ 10% of their level along
    a line at t < −3 without flattening (below); the gain its evidence quotes is the forecast's at the horizon the
    report quotes (`--horizon`, else the planned end the log states, else twice the logged length), while the rule
    decides at twice the length. Where the forecast weighed the last third's steady fall into its value, the doubt
    reads the fitted families' gain alone (:func:`_forecast_beside_tail`), and a reading the forecast alone made
    (:func:`_forecast_refutes_flat`) is doubted too.

    Named bars it reads itself (:class:`Thresholds`): ``improving_tail_drop``, ``improving_tail_level``; the helpers
    it calls read more, and a bar of its own is a named constant or a literal commented where it is read.

    First actions: keep training; the forecast says how far; read off a training loss with no validation curve, the
    advice to train on (and lr_too_low's to raise the lr) first asks for a held-out curve (scikit-learn's MLP:
    early_stopping=True): a falling training loss cannot tell fitting from overfitting.
    """
    tr = f.trend
    # A tail falling to new lows away from the forecast's own path over it is read by its fall, whatever the fit
    # expects (_forecast_misses_tail): only here, not for lr_too_low, whose "the step sets the pace" the fall does not
    # show (the unscaled-target MLP behind it ended 80% higher at 3x the lr, 4.19e5 against 2.33e5 at epoch 60).
    falls = _falling(f, t) or _forecast_misses_tail(f, t) is not None
    if not falls and not _forecast_pays(f, t) and not refuted:
        return _cut_in_noise(f, t)
    if _annealed(f, t):
        return None  # the last drop was the schedule's cooldown, and the lr is at its floor: it ended
    conf = max(_ramp(tr.tail_drop, t.improving_tail_drop, TAIL_DROP_FULL, *TAIL_DROP_STRENGTH),
               _ramp(tr.tail_drop_level, t.improving_tail_level, TAIL_LEVEL_FULL, *TAIL_LEVEL_STRENGTH))
    sign = _sign(f)
    robust = "" if not _tail_t(f, t) < tr.slope_t else \
        (f"; {_t(sign * _tail_t(f, t))} on its running median of 3, which its isolated bounces do not sway, as "
         f"the training loss still falls, t = {_t(f.train_trend.slope_t)}")
    # The words follow the t the rule reads (_tail_t: the steeper of the raw and the robust reading), not the path
    # it fired by: a tail that crept by a noise sd at t = -0.5, read still_improving on the forecast alone
    # (_forecast_pays), was called "a steady fall" against the bar of t < -3 the same rule reads one by.
    moving = f" still {'rising' if sign < 0 else 'falling'}" if falls or _tail_t(f, t) < t.improving_t else ""
    gave = (f"that stretch gave {_pct(tr.tail_drop)} of the whole improvement" + (
        "" if f.offset_free else  # (its level share is that improvement's: said once)
        f", a {'rise' if sign < 0 else 'drop'} of {_share_or_times(tr.tail_drop_level)} {_level_name(f)}"))
    if falls and _short_run_fall(f, t) and not _tail_t(f, t) < t.improving_t:
        # Read falling by where its best came, not by a trend test: worded by its tail's t, the line said "still
        # falling over the last 4 of 5 points: ..., no clear trend (t = -0.9)" (hf_tb_resume), both in one breath.
        sds = _ratio(f.plateau.improvement, f.noise)
        beyond = _beyond_noise(sds) if math.isfinite(sds) else "on a curve without measurable noise"
        ev = [f"{f.metric}{moving}: its last point is its best, the first within 95% of an improvement "
              f"{beyond}; {f.n_points} points are too few for a trend test "
              f"(over {_tail(f)}: {sign * tr.slope:.3g}/{f.axis_name}, t = {_t(sign * tr.slope_t)}); {gave}"]
    else:
        ev = [f"{f.metric}{moving} over {_tail(f)}: "
              f"{sign * tr.slope:.3g}/{f.axis_name}, {_trend_word(sign * _tail_t(f, t))} "
              f"(t = {_t(sign * tr.slope_t)}{robust}); {gave}"]
    # Read on the forecast alone (_forecast_refutes_flat), whose gain is the tail's steady fall carried on where its
    # fitted families alone expect < 1% (_forecast_beside_tail): the line below would vouch for itself, and the
    # doubt's line quotes the forecast again, with why, so "slowly, but ... expects" is not said first.
    doubted = refuted and not falls and _forecast_doubts(f, t)
    blind = None if falls else _tail_blind(f, t)
    if blind is not None and not (tr.slope_t < 0 and tr.tail_drop_noise >= TAIL_MOVED_SDS):
        # The tail did not fall, but is too short (or its batches too noisy) to have shown the forecast's descent:
        # say that, not "still falling".
        k = f.n_points - tr.tail_start
        few, noise = ("few", "this curve's noise") if k <= 5 else ("noisy", "their own noise")
        ev = [f"the last {k} points are too {few} to show a trend: {sign * tr.slope:.3g}/{f.axis_name} "
              f"(t = {_t(sign * tr.slope_t)}), where the forecast's {sign * blind[0]:.3g}/{f.axis_name} would "
              f"give t = {_t(sign * blind[1])} against {noise}"]
        ev.append(f"the learning-curve forecast, fitted to all {f.n_points} points, expects {_expects(f)}")
        conf = 0.6
    elif not falls and not doubted:
        ev.append(f"slowly, but the learning-curve forecast expects {_expects(f)}")
        # (Not a score: an R² from -0.14 to 0.06 "rose 142%" of a level below 0, sklearn_mlpregressor_creep/s7.)
        later = None if _higher(f) else _fell_after_plateau(f, FELL_AFTER_X_CLEAR)
        if later is not None:
            # The headline's "flattened at X" is DESIGN's X, within 5% of the whole improvement; after a first drop
            # that dwarfs the tail that 5% is a large share of the level, and the fall after X, which the tail's
            # share of the improvement (0.54%) hides, is what the slow descent has given (keras_diabetes_raw: X = 36
            # at 4143, 3090 by epoch 98; the 200-epoch run's converged reading says its "28% lower" the same way).
            drop, at, best, v_x = later
            ev.append(f"X, {f.axis_name} {_n(f.plateau.epoch)}, is where it came within 5% of its whole improvement "
                      f"(from {f.plateau.start:.5g}); it has fallen {_pct(drop)} since ({v_x:.4g} → {best:.4g} by "
                      f"{f.axis_name} {_n(at)})")
    cause = Cause("still_improving", conf, ev, list(ACTIONS["still_improving"]),
                  {"slope": tr.slope, "slope_t": tr.slope_t, "tail_drop": tr.tail_drop})
    if falls and _forecast_doubts(f, t):
        # The tail fell, but the same run's forecast, fitted to the whole curve, gives more epochs less than 1%:
        # "still improving" at 0.64-0.86 beside "P = 37%" contradicted itself (Keras Adam 0.1 on diabetes, a
        # validation loss bouncing back from a swing at its floor).
        _doubted(cause, f, t, f"the {'rise' if sign < 0 else 'fall'} may be a swing settling, not progress")
    elif doubted:
        _doubted(cause, f, t, f"the steady {'rise' if sign < 0 else 'fall'} may be levelling off")
    return cause


def _expects(f: Facts) -> str:
    """"15% more by step 95 (P = 96%)": the gain the forecast expects, to the horizon the report's forecast is
    quoted at (the planned end, a user's horizon) where that forecast has a value, else to twice the length."""
    fc = f.quoted_forecast
    if not fc or fc.get("reason") or fc.get("gain") is None or fc.get("p_improve") is None:
        fc = f.forecast
    at = f"{f.axis_name} {_n(fc['horizon'])}" + (", the planned end" if fc.get("horizon_from") else "")
    # ("-0.48% more" reads as a typo: a forecast below where the curve is now is said so.)
    more = f"{_pct(fc['gain'])} more" if fc["gain"] >= 0 else f"no gain ({_pct(-fc['gain'])} worse)"
    p = f"P = {fc['p_improve']:.0%}"
    if _higher(f):
        # A score's gain is its own rise, but its P is its error's falling > 1% (what the forecast fits): "0.14% more
        # (P = 64%)" read as a 64% chance of the 0.14%.
        from .forecasting import score_top

        top = score_top(f.y, f.metric)
        p += f" that {top:g} − {f.metric} falls > 1%" if top else ""
    if fc.get("uncertain"):
        # An interval from 0 (or wider than the level) leaves the value nothing to say, and its own line says so
        # (_quote_forecast); quoted first, "35% more by epoch 198" read as the answer. A raw-target MLP on diabetes
        # (tests/fixtures/ecosystem/keras_diabetes_raw, val MSE 28229 at its start, 3090 after 100 epochs): the
        # families bent through a first drop 7x the tail, 35% more; twice the epochs gave 3.3%. Its P held (> 1%).
        p = p if _higher(f) else f"P = {fc['p_improve']:.0%} that it gains > 1%"
        return f"more by {at} ({p}); how much it cannot say: {fc['uncertain']}"
    return f"{more} by {at} ({p})"


def _forecast_doubts(f: Facts, t: Thresholds) -> bool:
    """Whether the forecast at twice the length, the one the rules decide on (a quotable one: no reason, not
    uncertain), expects < ``forecast_little`` more: too little to back "more epochs still pay", whatever its
    P(> 1%). (Where that P is < ``forecast_unlikely`` too, :func:`_nothing_left`, a tail long enough to test reads
    done; a run too short for its tail's t, read falling by its last step, keeps the verdict and the doubt.) A
    point forecast under 1% beside P(> 1%) = 64% says the fit cannot tell; neither backs "keep training".

    A score's gain is its own rise, not its error's fall (``top - score``, what the forecast fits and its P reads):
    on an accuracy near 1, 1% of the error is far below one example, and where the two disagreed on real runs the
    score's reading was the one retraining bore out. scikit-learn's MLPClassifier on digits, patience 50
    (sklearn_mlp_patience/default_p50): +0.14% of the score, -8% of its error, by twice the iterations; run to twice
    them (390, patience off) its last 5 scores' median rose 0.983 -> 0.992, one example of 120, while its best
    (0.9917) and the test accuracy of the weights kept (0.9263) did not move. MLPRegressor at Adam 0.1 (seed 5):
    +0.96% of R², -1.7% of 1 - R²; twice the iterations ended 4% worse."""
    fc = _forecast_beside_tail(f)
    if not fc or fc.get("reason") or fc.get("uncertain") or fc.get("gain") is None or fc.get("p_improve") is None:
        return False
    # (A forecast whose path the falling tail runs away from, to new lows, doubts nothing: _forecast_misses_tail.)
    return fc["gain"] < t.forecast_little and _forecast_misses_tail(f, t) is None


def _forecast_beside_tail(f: Facts) -> dict | None:
    """The forecast at twice the length as the doubt of a still_improving reading reads it (:func:`_forecast_doubts`:
    a falling tail, the line since X, a flat reading the forecast refuted): where a steady fall of the last third was
    weighed into the forecast's value and P (``forecasting._tail_weight``), the gain and P of its fitted families alone
    (``Facts.forecast_fit_alone``); else the forecast as it is.

    The weighed value is that same fall carried on: set beside it as a second opinion, the tail's line would vouch
    for itself. scikit-learn's MLPRegressor(100) at Adam 0.1 on diabetes, seed 1
    (tests/fixtures/ecosystem/sklearn_mlpregressor_adam01): val R² rising along a line since iteration 52, the
    families alone +0.18% by 412 (P = 37%), the line weighed in at 0.15 +3.5% (P = 95%), read "keep training"; trained
    on, 1 - val R² (the median of the last 5%) ended +0.2% at 2x the iterations, +6% at 4x. The doubt only caps the
    reading and trains on with early stopping, which finds out either way; where the forecast decides a verdict
    (:func:`_forecast_refutes_flat`, :func:`_nothing_left`, converged's stop advice) the weighed forecast stands:
    the families bend flat too soon on a steady fall (forecasting._steady_tail), and read alone there they turned
    17 of the shared corpus's 2,818 runs whose last quarter still fell steadily into converged."""
    fc = f.forecast
    alone = getattr(f, "forecast_fit_alone", None)
    return fc if not fc or alone is None else {**fc, **alone}


def _nothing_left(f: Facts, t: Thresholds) -> bool:
    """The forecast at twice the length expects < ``forecast_little`` more at P(> 1%) < ``forecast_unlikely``:
    nothing worth having is left, however the curve still creeps. (still_improving reads past it where the tail falls
    to new lows away from the forecast's own path over it: :func:`_forecast_misses_tail`.)"""
    fc = f.forecast
    return bool(fc) and fc.get("gain") is not None and fc.get("p_improve") is not None \
        and fc["gain"] < t.forecast_little and fc["p_improve"] < t.forecast_unlikely


def _doubted(cause: Cause, f: Facts, t: Thresholds, why: str) -> None:
    """A ``still_improving`` reading beside a forecast of < 1% more (:func:`_forecast_doubts`): its evidence says
    the forecast disagrees, its confidence is no more than ``forecast_doubt_confidence``, and its first action
    trains on only with early stopping, which finds out either way, in place of "keep training"."""
    alone = getattr(f, "forecast_fit_alone", None)
    if alone is not None and (f.forecast or {}).get("gain", 0.0) >= t.forecast_little:
        # (The quoted forecast expects more only by carrying the tail's line on: said so, not "may be levelling
        # off" beside "3.5% more".)
        g = alone["gain"]
        more = f"{_pct(g)} more" if g >= 0 else f"no gain ({_pct(-g)} worse)"
        cause.evidence.append(
            f"but the learning-curve forecast, fitted to all {f.n_points} points, expects {_expects(f)} only by "
            f"carrying on the steady {'rise' if _higher(f) else 'fall'} of its last third; its fitted curve alone, {more} "
            f"(P = {alone['p_improve']:.0%}): {why}")
        by = "the fitted curve alone expects"
    else:
        cause.evidence.append(f"but the learning-curve forecast, fitted to all {f.n_points} points, expects "
                              f"{_expects(f)}: {why}")
        by = "the forecast expects"
    cause.confidence = min(cause.confidence, t.forecast_doubt_confidence)
    moves = "rises" if _higher(f) else "falls"
    cause.actions = [f"train on only with early stopping on {f.metric} (patience of a few {f.axis_name}s, restoring "
                     f"the best weights): it still {moves}, but {by} < 1% more", *cause.actions[1:]]


def _cut_in_noise(f: Facts, t: Thresholds) -> Cause | None:
    """Early stopping ended the run on an accuracy too coarse to see what its patience waited for.

    On n_val samples an accuracy moves by 1/n_val and its binomial sd at the best is
    sqrt(acc (1 - acc) / n_val). Where 2 sds are half the remaining error or more, a rise short of halving
    that error cannot clear the noise, so the patience window's "no new best" says little -- unless the
    points after the best fell back (turning) or the training loss stopped (nothing left moving the model).
    A training loss still falling and above 5% of its start (the 95% rule X is read with: not on a plateau
    even were its floor 0) is still fitting, and held-out accuracy followed it. scikit-learn's
    MLPClassifier(early_stopping=True) on 1,200 digits (120 held out): stopped at 27 iterations, best 0.950
    (sd 0.020, 6 errors), test 0.879; n_iter_no_change=50 ran to 195 (best 0.992), test 0.926."""
    es, n_val = f.early_stopping, f.chance.n_val
    if not es or not n_val or not f.higher_is_better or "acc" not in f.metric or f.train_y is None \
            or f.train_x is None or f.n_points < 3:
        return None
    y = f.y
    if not (np.all(y >= 0) and np.all(y <= 1)):
        return None
    b = int(np.argmax(y))
    best, after = float(y[b]), y[b + 1:]
    err = 1.0 - best
    sd = math.sqrt(best * err / n_val)
    if after.shape[0] == 0 or not err > 0 or not err >= t.es_room_sd * sd or t.chance_z * sd < t.es_blind_share * err:
        return None
    held = float(median(after))
    if held < best - t.es_window_sd * sd:
        return None
    xt, yt = f.train_x, f.train_y
    w = yt[xt >= f.x[b]]
    noise = f.train_noise if f.train_noise and f.train_noise > 0 else 0.0
    if w.shape[0] < 2 or not yt[0] > 0 or yt[-1] < PLATEAU_FRACTION * yt[0] \
            or not w[0] - w[-1] > t.es_train_noise * noise:
        return None
    p, k = es["patience"], after.shape[0]
    frac = es.get("validation_fraction")
    moved = f"{_noise_sds((w[0] - w[-1]) / noise)} of its noise" if noise else "every point lower"
    ev = [Evidence(f"stopped by early stopping (patience {p}) {k} {f.axis_name}s after its best, {f.metric} {best:.4g} "
                   f"at {f.axis_name} {_n(f.x[b])}, on {n_val} held-out samples: one sample is {1 / n_val:.2g} and the "
                   f"binomial sd at the best is {sd:.2g} ({sd * n_val:.1f} samples), so 2 sds are "
                   f"{_pct(2 * sd / err)} of the remaining error {err:.3g}: a gain short of that cannot show; the {k} "
                   f"points since held within {t.es_window_sd:g} sd of the best (median {held:.4g})", CUT_IN_NOISE),
          f"the training loss still fell {_pct((w[0] - w[-1]) / w[0])} over them ({w[0]:.3g} → {w[-1]:.3g}, "
          f"{moved}) and ended at "
          f"{_pct(yt[-1] / yt[0])} of its start: the model was still fitting, and held-out accuracy had followed"]
    acts = [f"raise the patience (scikit-learn: n_iter_no_change={max(5 * p, 50)}): early stopping keeps the best "
            "weights, so a longer wait costs only time",
            "or score on more held-out samples (validation_fraction"
            + (f" above {frac:g}" if isinstance(frac, float) else "")
            + "): the sd shrinks as 1/sqrt(n_val), so a smaller gain clears it"]
    return Cause("still_improving", 0.6, ev, acts,
                 {"patience": float(p), "n_val": float(n_val), "val_sd": sd, "best": best, "window_median": held})


#: lr_too_low's strength from its early share (set by hand in 71c31f1, the first rules; no measurement recorded) and
#: from a drifting tail, lr_low_drift_noise to 10x it (set by hand in 2f53afb; no measurement recorded).
LR_LOW_EARLY_STRENGTH = (0.55, 0.9)
LR_LOW_DRIFT_STRENGTH = (0.5, 0.8)


def lr_too_low(f: Facts, t: Thresholds) -> Cause | None:
    """Still falling, and the step size is what limits it. Two shapes show that: a near-straight
    descent far from any floor, or a tail still in SGD's drift phase (Shwartz-Ziv & Tishby 2017,
    "Opening the black box of deep neural networks via information"): the last quarter fell by
    many noise sds, smoothly. At a well-tuned rate a run spends its last quarter where the
    gradient noise, not the step, sets the pace, and the loss moves by about its own noise.

    Fires when (the conditions in full): not done yet (as still_improving), constant or unknown lr, ≥ 20 points,
    steady to the end (the last 10% not significantly — 2 noise-based standard errors — shallower than half the
    tail's rate: a cooldown that ended is not a small step), and either < 40% of the drop in the first quarter and <
    50% below its start, or the last quarter fell ≥ 10 noise sds (the step, not the gradient noise, sets the pace) —
    without a logged lr that reading alone is only `possible` (a schedule's cooldown looks the same); a straight
    crawl from the first point (both shapes at once) is lr_too_low even when the forecast horizon gains < 1% (the
    pace is slow, not the floor near: the evidence gives the epochs per 1%), and then no converged, stuck_at_init or
    underfitting is read; a temporary plateau (flat ≥ 5 points) the run left takes the verdict; under a decaying lr
    (logged, ending below 1/10 of its peak) a loss that ends at ≥ 80% of ln K is `likely` too: the schedule ran the
    step down before the model learned more than a guess, and a model too small looks the same (verify retrains at
    10x the lr); under a decay too fast to split into a peak and an anneal, a curve that fell in a line per unit of
    lr-time to the end (:func:`decayed_in_line`) is `likely`, the verdict over stuck_at_init, with no underfitting.

    A score's progress is the share of its starting distance below its ceiling closed (`total_drop_rel`; < 50% reads
    slow): scikit-learn's MLP at Adam 1e-4, val_acc 0.075 → 0.158, closed 9%, where "111% above its start" hid the
    crawl; lr x10 ended 90% lower.

    A drifting tail is also one at t < −3 on a run that closed < 5% of its start, the last 10% at its pace
    (:func:`_drifting`: a step so small that an epoch moves less than an epoch mean's noise). Beside a still_improving
    read on its forecast, a tail under the drift bar that still fell steadily (≥ ``SLOW_PACE_SDS`` noise sds) is
    listed as possible, "try 10x the learning rate" first (:func:`_slow_pace`). A logged lr of 0 over
    the plateau is read first, as its own rule (:func:`lr_zeroed`)."""
    tr = f.trend
    if _gradless(f) and f.plateau.improvement < t.stuck_rel * abs(f.plateau.start):
        # (Layers whose gradient is exactly 0 throughout and a fall < stuck_rel of the start: the layers after them
        # fitting a constant, which stuck_at_init reads. A network that learned past it around such a layer, a
        # residual block's dead branch, is left to this rule.)
        return None
    if f.optimizer.lr_schedule not in (None, "constant"):
        return annealed_early(f, t) or decayed_in_line(f, t) or warmup_unfinished(f, t)
    # The same "not done yet" as still_improving (falling, or forecast to fall ≥ 5% more).
    if not (_falling(f, t) or _forecast_pays(f, t) or _crawling(f, t)) or f.n_points < t.shape_min_points:
        return None
    straight = _straight(tr, t)
    drift = tr.tail_drop_noise >= t.lr_low_drift_noise
    # A descent that just flattened (a cooldown that ended, a floor reached) is not held back
    # by its step size.
    if tr.end_rate < t.lr_low_end_rate:
        return None
    if not (straight or drift):
        return _slow_pace(f, t)
    ev, up = [], _higher(f)
    if straight:
        conf = _ramp(t.lr_low_early_share - tr.early_share, 0, t.lr_low_early_share, *LR_LOW_EARLY_STRENGTH)
        ev += [f"a nearly straight {'climb' if up else 'descent'}: {_pct(tr.early_share)} of the "
               f"{'gain' if up else 'drop'} came in the first quarter (an exponential-like curve front-loads it)",
               (f"far from its ceiling: it closed {_pct(tr.total_drop_rel)} of its distance below it in {f.n_points} "
                "points" if up and _ceiling(f) else
                f"far from a floor: {_pct(tr.total_drop_rel)} {'above' if up else 'below'} its starting value after "
                f"{f.n_points} points")]
    else:
        conf = _ramp(tr.tail_drop_noise, t.lr_low_drift_noise, 10 * t.lr_low_drift_noise, *LR_LOW_DRIFT_STRENGTH)
    if drift:
        moved = "rose" if up else "fell"
        ev.append(f"a smooth, steady {'climb' if up else 'descent'}: {_tail(f)} {moved} "
                  f"{_noise_sds(tr.tail_drop_noise)} of the curve's noise; the step size, not the gradient noise, "
                  "still sets the pace")
    status = "likely"
    if f.optimizer.lr_schedule == "constant":
        ev.append(f"learning rate constant at {_lr(f)}")
    else:
        # A rate the saved settings state (hparams.yaml, a W&B config ...) is the summary's lr column
        # (regularization.learning_rate): the evidence names it and where it came from beside what it cannot say,
        # a schedule after it. A Lightning SGD run at lr 1e-4 with no LearningRateMonitor showed lr 0.0001 beside
        # "no learning rate in the log".
        said = ("no learning rate in the log" if f.stated_lr is None else
                f"learning rate {f.stated_lr[0]:g} from {f.stated_lr[1]}, not logged (where it went after the start "
                "is not known)")
        ev.append(f"{said}: if it was decaying, this {'climb' if up else 'descent'} "
                  "is the schedule's cooldown, not a small step")
        if not straight:
            # A smooth tail alone cannot tell a small constant step from a schedule's cooldown
            # (modded-nanogpt's tuned runs look like this): a possibility, not the verdict.
            status, conf = "possible", min(conf, 0.5)
    gap = None if straight else _gap_outpaces(f, t)
    if gap is not None:
        ev.append(gap)
        status, conf = "possible", min(conf, 0.5)
    acts = list(ACTIONS["lr_too_low"])
    if _crawling(f, t) and not _falling(f, t):
        # So slow that the forecast horizon sees almost nothing: the pace itself is the number.
        level = abs(float(f.smoothed[-1]))
        per_pct = 0.01 * level / abs(tr.slope) if tr.slope and level else float("inf")
        ev.append(f"at {abs(tr.slope):.2g} per {f.axis_name}, each 1% {'higher' if up else 'lower'} costs about "
                  f"{_count(per_pct)} more {f.axis_name}s")
        acts[-1] = f"keeping this rate: about {_count(per_pct)} {f.axis_name}s for each 1% it gains"
    return Cause("lr_too_low", conf, ev, acts,
                 {"early_share": tr.early_share, "total_drop_rel": tr.total_drop_rel,
                  "tail_drop_noise": tr.tail_drop_noise}, status=status)


#: stopped_mid_crawl's strength, at the training line's early share lr_too_low's bar to 0 (lr_too_low's own ramp): set
#: by hand on the three seeds below (1, 20, 22), where lr x 10 was the best single change on each.
CRAWL_STOPPED_STRENGTH = LR_LOW_EARLY_STRENGTH


def stopped_mid_crawl(f: Facts, t: Thresholds) -> Cause | None:
    """lr_too_low, likely, where early stopping (scikit-learn's ``early_stopping=True``: ``Facts.early_stopping``)
    ended a fit whose training loss still fell in a nearly straight line (:func:`_straight`, :func:`_drifting`, its
    last 10% at the tail's pace, t < ``improving_t``): :func:`_crawling`'s line on the training curve, without its
    ``shape_min_points`` -- the patience, not the run's length, cut it short, and a line whose every step is many
    noise sds shows its shape in a dozen points. A held-out score waits for the training loss to get somewhere;
    a step this small spends the whole patience in the crawl, and a model too small flattens rather than falling
    straight. scikit-learn's MLPClassifier(32), Adam 3e-4, n_iter_no_change=10, on make_classification (3 classes,
    1,000 training samples; tests/fixtures/ecosystem/sklearn_mlp_es_crawl): seeds 1, 22 and 20 stopped at 12, 13
    and 17 iterations, training loss 1.517 -> 1.311 (early share 31%, t = -88), read underfitting "a bigger model"
    (seed 1) and converged "the stop was right" (22) or "change the data or the model" (20); test accuracy 0.32 /
    0.34 / 0.37, with lr x 10 0.75 / 0.80 / 0.76, n_iter_no_change=50 and max_iter 160 0.70 / 0.74 / 0.68, twice
    the width 0.60 / 0.66 / 0.54."""
    es, tr = f.early_stopping, f.train_trend
    if not es or tr is None or f.train_y is None or f.train_metric != "train_loss" or _batch_loss(f) \
            or f.optimizer.lr_schedule not in (None, "constant"):
        return None
    if not (tr.slope_t < t.improving_t and _straight(tr, t) and _drifting(tr, t) and tr.end_rate >= t.lr_low_end_rate):
        return None
    yt, y, n_val = f.train_y[np.isfinite(f.train_y)], f.y[np.isfinite(f.y)], f.chance.n_val
    if yt.shape[0] < 3 or not y.shape[0] or not n_val or not f.higher_is_better or not np.all((y >= 0) & (y <= 1)):
        return None
    # The held-out accuracy had not moved off its first evaluation by more than its own binomial noise: the stop
    # came inside the crawl, not after a climb that levelled (seed 10 below climbed 0.39 -> 0.54, 3 sds, and is left
    # to the rules that read that climb).
    first, best = float(y[0]), float(y.max())
    sd = math.sqrt(max(best * (1 - best), 1e-12) / n_val)
    if best - first > t.chance_z * sd:
        return None
    n, ax, p = yt.shape[0], f.axis_name, es["patience"]
    ev = [f"train_loss still fell in a nearly straight line when early stopping ended the fit: {float(yt[0]):.4g} → "
          f"{float(yt[-1]):.4g} over {n} {ax}s, {_pct(tr.early_share)} of the drop in the first quarter, the last "
          f"10% at the tail's pace (t = {_t(tr.slope_t)}), {_pct(tr.total_drop_rel)} below its start: far from a "
          "floor, the step sets the pace (a model too small bends over and flattens)",
          f"the patience (n_iter_no_change {p}) ran out while the training loss crawled: {f.metric} had not yet "
          f"moved with it (best {best:.4g} against {first:.4g} at its first evaluation, within {t.chance_z:g} "
          f"binomial sds, {sd:.2g} each on {int(n_val)} held-out samples)"]
    conf = _ramp(t.lr_low_early_share - tr.early_share, 0, t.lr_low_early_share, *CRAWL_STOPPED_STRENGTH)
    acts = [Action("raise the learning rate (learning_rate_init x 10): at this pace the patience runs out before "
                   f"{f.metric} moves (losslens verify --cause lr_too_low runs it)", RAISES_LR),
            f"or raise the patience (n_iter_no_change={max(5 * p, 50)}) and max_iter with it: early stopping keeps "
            "the best weights, so a longer wait costs only time",
            Action("or a bigger model, if a larger step does not lower the loss", MODEL_SIZE)]
    return Cause("lr_too_low", conf, ev, acts,
                 {"early_share": tr.early_share, "total_drop_rel": tr.total_drop_rel,
                  "tail_drop_noise": tr.tail_drop_noise, "patience": float(p)})


#: A tail read still improving on its forecast alone (its last quarter under still_improving's share) that fell at
#: least this many noise sds, steadily to the end, is a pace, not a creep at a floor: :func:`_slow_pace`. Measured on
#: a Lightning 64-32-4 autoencoder on digits at Adam 1e-3, 30 epochs (tests/fixtures/ecosystem/lightning_ae_slow): 4.5
#: sds at t = -11, 0.95% of the improvement; lr x 10 ended 32% lower, twice the epochs 9%.
SLOW_PACE_SDS = 3.0
#: Its strength: a pace alone, which a model near its capacity keeps too (there a code of 8 ended 28% lower, 8 and the
#: hidden layers twice as wide 41%).
SLOW_PACE_CONF = 0.35


def _slow_pace(f: Facts, t: Thresholds) -> Cause | None:
    """lr_too_low, possible, beside a still_improving read on its forecast: the last quarter paid under
    ``improving_tail_drop`` of the improvement and under ``improving_tail_level`` of the level (not :func:`_falling`),
    yet fell steadily (t < ``improving_t``, ≥ ``SLOW_PACE_SDS`` noise sds, the last 10% at the tail's pace) at a
    constant or unknown lr, under the drift reading's ``lr_low_drift_noise``. "Keep training" was all such a run was
    told; the forecast's gain is the same pace carried on, and a larger step is the cheaper test. The autoencoder
    behind ``SLOW_PACE_SDS`` read "keep training" where lr x 10 ended 32% lower, twice the code 28% (and the hidden
    layers too 41%), twice the epochs 9%."""
    tr = f.trend
    if _falling(f, t) or not _forecast_pays(f, t) or _higher(f) or f.train_y is None \
            or not tr.slope_t < t.improving_t or tr.tail_drop_noise < SLOW_PACE_SDS \
            or f.optimizer.lr_schedule not in (None, "constant"):
        return None
    ev = [f"a slow, steady pace: {_tail(f)} fell {_noise_sds(tr.tail_drop_noise)} of the curve's noise "
          f"(t = {_t(tr.slope_t)}) but only {_pct(tr.tail_drop)} of the whole improvement: a step too small keeps "
          "such a pace, and so does a model near its capacity"]
    if f.optimizer.lr_schedule == "constant":
        ev.append(f"learning rate constant at {_lr(f)}")
    elif f.stated_lr is not None:
        ev.append(f"learning rate {f.stated_lr[0]:g} from {f.stated_lr[1]}, not logged")
    acts = [Action("try 10x the learning rate before training on: at this pace a larger step is the cheaper test "
                   "(losslens verify --cause lr_too_low runs it)", RAISES_LR),
            Action("or a bigger model, if a larger step does not lower the loss", MODEL_SIZE),
            Action("or keep training at this rate" + FORECAST_SAYS, None, FORECAST_SAYS)]
    return Cause("lr_too_low", SLOW_PACE_CONF, ev, acts,
                 {"early_share": tr.early_share, "total_drop_rel": tr.total_drop_rel,
                  "tail_drop_noise": tr.tail_drop_noise, "slow_pace": 1.0}, status="possible")


#: _bent_over's underfitting where no rule read one: the bend alone, which a step too small shows too (DeepOBS'
#: lr_too_low runs bend as much), so under the 0.5 at which a cause reads as likely.
BENT_UNDER_CONF = 0.45
#: A dropout rate the saved settings give above this holds the training pass's fit. Measured at 0.8 only: a digits
#: MLP there read lr_too_low while dropout 0.1 ended validation 79% lower and lr x 10 higher. The common default 0.5
#: (Srivastava et al. 2014's for hidden units) is no such hold: a 256-unit digits MLP at 0.5, Adam 1e-3, ended its
#: training loss at 0.044 (2% of ln 10) and dropout 0.05 raised validation 0.0585 -> 0.071
#: (tests/fixtures/ecosystem/torch_reg_bend: drop, drop5_hp, make.out). So the bar sits above 0.5, not at it.
HEAVY_DROPOUT = 0.5
#: The strength of underfitting held by a logged dropout rate, as _penalty_floor's held by a logged decay.
HELD_UNDER_CONF = 0.6


def _bent_over(f: Facts, t: Thresholds, causes: list[Cause]) -> list[Cause]:
    """A likely lr_too_low verdict read off the drift alone on a curve that bent: ≥ ``lr_low_early_share`` of its
    drop in the first quarter, where a step too small descends nearly straight from the start (:func:`_straight`).
    A weight penalty, dropout or a model too small bend a curve over into a slow drift at a high level as well, and
    the drift reading cannot tell them apart (a digits MLP at SGD 0.05, coupled weight decay 0.1: val 2.26 -> 1.345,
    the last quarter 52 noise sds; lr x 10 ended at 1.359, the decay / 100 at 0.212; a 2-unit autoencoder
    bottleneck: lr x 10 11% lower, 16 units 74%; dropout 0.8: lr x 10 ended higher, dropout 0.1 79% lower --
    tests/fixtures/ecosystem/torch_reg_bend). The DeepOBS runs labelled lr_too_low bend as much (a char-RNN at
    SGD: 98% of its drop in the first quarter), so the shape alone keeps the verdict, and underfitting is listed
    beside it, its evidence the bend. Where the log shows the regularizer, it leads: a coupled weight decay in the
    saved settings beside underfitting's high level (the penalty holds it there), or a validation loss below training's
    throughout beside training erring as often as validation or more (the training pass runs under dropout or
    augmentation that holds its fit); lr_too_low stays listed, as possible. A dropout rate above ``HEAVY_DROPOUT``
    in the saved settings (``hparams.yaml``'s ``dropout``, a Transformers config's ``hidden_dropout_prob``:
    ``facts.regularization.dropout_rate``) leads on the early bend alone, its last quarter falling or not: dropout
    holds the fit at every step, so the curve keeps falling slowly (the digits MLP at dropout 0.8 fell 20% of its
    level over its last quarter), and underfitting reads "held by dropout", "lower the dropout rate" first (verify:
    ``dropout_factor``). Under a likely still_improving verdict on such a bend, training's loss flattened high too
    (:func:`_held_high`), the rate is listed beside it, as
    likely underfitting held by dropout: the curve does still fall, and lowering the rate goes further (Lightning's
    digits MLP at dropout 0.8, still falling 17% of its level over its last quarter: val 0.400; dropout 0.1 0.099, lr x
    10 0.810 -- tests/fixtures/ecosystem/lightning_dropout)."""
    low = causes[0]
    tr = f.trend
    reg, drop = f.regularization, f.dropout
    heavy = drop is not None and drop.value > HEAVY_DROPOUT and (reg is None or reg.decoupled) \
        and not _higher(f) and not _straight(tr, t) and tr.early_share >= t.lr_low_early_share
    # Beside a curve still falling, the bend is no sign of a held fit (a well-fitted model bends too): training
    # must have flattened high as well (_held_high: the Lightning run at dropout 0.8 held it at 45% of ln 10).
    if heavy and low.id == "still_improving" and low.status == "likely" and _held_high(f, t) is not None:
        return _held_by_dropout(f, causes, low, drop, lead=False)
    if low.id != "lr_too_low" or low.status != "likely" or _paced_by_lr(low) or _higher(f) \
            or _straight(tr, t) or not tr.early_share >= t.lr_low_early_share:
        return causes
    if heavy:
        # (A coupled decay logged beside it keeps the penalty's reading below: it is checked by the same rule.)
        return _held_by_dropout(f, causes, low, drop)
    # (A small drift: under still_improving's bar for a tail that pays, 5% of the level.)
    bent = tr.tail_drop_level < t.improving_tail_level
    line = (f"{f.metric}'s curve bent: {_pct(tr.early_share)} of its drop came in the first quarter "
            f"({_pct(tr.half_share)} by halfway) and its last quarter fell {_pct(tr.tail_drop_level)} of "
            f"{'its improvement so far' if f.offset_free else 'its level'}; "
            "a step too small descends nearly straight from the start, while a weight penalty, dropout or a model "
            "too small bend a curve over into a slow drift like this")
    under = next((c for c in causes if c.id == "underfitting"), None)
    if under is None:
        if not bent:
            return causes
        less = _less_regularizers(f)
        acts = [(f"less regularization: {less}; or a bigger model" if less else
                 "less regularization (weight decay, dropout) or a bigger model") +
                ", if a higher learning rate does not lower the loss (losslens verify tries lr x 10, a model twice the "
                "size and, where train takes decay_factor, the weight decay / 100)"]
        causes.append(Cause("underfitting", BENT_UNDER_CONF, [line], acts, {"bent": tr.early_share},
                            status="possible"))
        return causes
    if bent:
        under.evidence.append(line)
        under.numbers["bent"] = tr.early_share  # (verify tries a lighter decay beside a bigger model: LIGHTER)
    if under.status != "likely":
        return causes
    # (A coupled penalty only: it moves the loss's minimum whatever the step, while a decoupled decay pulls by lr x wd
    # a step, weakest under the very step suspected too small. A 1-unit MLP at AdamW 1e-3, weight_decay 1, read
    # lr_too_low: the decay / 100 lowered both losses 6-7%, tests/test_verify_held.py.)
    if bent and "weight_decay" in under.numbers and reg is not None and not reg.decoupled:
        why = (f"{reg.name} = {reg.value:g} ({reg.where}) holds the loss at that level (underfitting, above): "
               "lowering it tests that before a larger step")
        under.numbers["penalty"] = 1.0  # (the headline: held by a weight penalty, not too little capacity)
    elif _val_below(f, t) and "err_share" in under.numbers:
        why = ("training errs about as often as validation or more while its loss sits above validation's throughout: "
               "the training pass runs under a regularizer (dropout, augmentation) that holds its fit; lowering it "
               "tests that before a larger step")
        under.actions[:] = ["less regularization: lower the dropout rate or the augmentation's strength "
                            "(training's loss and errors are taken with it on)"] \
            + [a for a in under.actions if not _of_kind(a, LESS_REG)]
        under.numbers["train_regularized"] = 1.0  # (the headline: held by dropout or augmentation)
    else:
        return causes
    low.status, low.confidence = "possible", min(low.confidence, 0.5)
    low.evidence.append(f"but {why}")
    causes.remove(under)
    return [under] + causes


def _held_by_dropout(f: Facts, causes: list[Cause], low: Cause, drop, lead: bool = True) -> list[Cause]:
    """_bent_over's reading where the saved settings give a dropout rate above ``HEAVY_DROPOUT``: underfitting
    held by dropout (``numbers["dropout"]``, the rate), its first action lowering the rate, leads (``lead``;
    lr_too_low stays listed, as possible) or is listed second, likely (beside a still_improving verdict, which
    stands). An underfitting another rule read keeps its evidence, the dropout's line added."""
    tr = f.trend
    # (The contrast with a small step is said only where lr_too_low is listed beside it.)
    small = "; a step too small descends nearly straight from the start" if lead else ""
    ev = [f"{f.metric}'s curve bent: {_pct(tr.early_share)} of its drop came in the first quarter "
          f"({_pct(tr.half_share)} by halfway){small}",
          f"{drop.name} = {drop.value:g} ({drop.where}): each training step zeroes {drop.value:.0%} of the units, which "
          "holds the fit the model can reach; lowering it tests that " + ("before a larger step" if lead else
                                                                         "beside more epochs")]
    acts = [f"lower the dropout rate ({drop.name} = {drop.value:g}; try a tenth of it) and compare the validation "
            "loss", "if both losses stay high under a light dropout, a bigger model or better features",
            CAPACITY_OR_FLOOR]
    under = next((c for c in causes if c.id == "underfitting"), None)
    if under is None:
        under = Cause("underfitting", HELD_UNDER_CONF, ev, acts, {}, status="likely")
    else:
        causes.remove(under)
        under.evidence.extend(ev)
        under.actions[:] = acts[:1] + [a for a in under.actions if a != acts[0] and not _of_kind(a, LESS_REG)]
        under.status, under.confidence = "likely", max(under.confidence, HELD_UNDER_CONF)
    under.numbers["dropout"] = drop.value  # (the headline: held by dropout; verify lowers it, HELD_BY)
    if not lead:
        return causes[:1] + [under] + causes[1:]
    low.status, low.confidence = "possible", min(low.confidence, 0.5)
    low.evidence.append(f"but {drop.name} = {drop.value:g} ({drop.where}) holds the training pass's fit (underfitting, "
                        "above): lowering it tests that before a larger step")
    return [under] + causes


def _ceiling(f: Facts) -> float:
    """The ceiling a score is read below (forecasting.score_top: 1, 100 for a percentage), 0 for none or a loss."""
    if not _higher(f):
        return 0.0
    from .forecasting import score_top

    return score_top(f.y, f.metric)


def _gap_outpaces(f: Facts, t: Thresholds) -> str | None:
    """Over the tail, validation fell less than half as fast as training (both significant slopes over
    the same last quarter): the gap widened faster than validation fell, so most of what each step still
    gains is fitted to the training data alone. A larger step buys more of that, not a lower validation
    loss: the drift reading says the step sets training's pace, not that it holds validation back.
    A character-level GRU (64 units) on 30k characters of stdlib source, Adam 3e-3, 20 epochs: validation's
    last quarter fell 18-21 noise sds at 0.35-0.44 of training's pace (3 seeds); lr x10 ended 13-15% higher (an
    LSTM: 3%), lr x3 reached a best 1% lower, twice the epochs ended 1.9-3.1% lower (the LSTM 4.9%)
    (tests/fixtures/ecosystem/torch_charlm_gap)."""
    g = _val_beside_train(f)
    tt = f.train_trend
    if g is None or tt is None or not tt.slope_t < t.improving_t or not tt.slope < 0 or not f.trend.slope < 0:
        return None
    pace = f.trend.slope / tt.slope
    if not pace < t.lr_low_gap_pace:
        return None
    return (f"but over the same stretch {f.metric} fell only {_pct(pace)} as fast as {f.train_metric} "
            f"({f.trend.slope:.3g} vs. {tt.slope:.3g} per {f.axis_name}): the gap widens faster than validation "
            "falls, so a larger step would mostly fit the training data faster (losslens verify --cause lr_too_low "
            "checks it)")


#: annealed_early's and decayed_in_line's strength, lr_low_drift_noise to 10x it; peak_held's, peak_held_share to 2x
#: it: set by hand in 9e113bb; no measurement recorded.
ANNEALED_DRIFT_STRENGTH = (0.6, 0.85)
PEAK_HELD_STRENGTH = (0.6, 0.8)


def _drift_read(f: Facts, t: Thresholds, drop_noise: float, ev: list[str], like: str) -> tuple[float, str]:
    """``(strength, status)`` of a fall per unit of lr still going on as the schedule ran the step down
    (:func:`annealed_early`, :func:`decayed_in_line`), its fall ``drop_noise`` noise sds: likely, from
    ``lr_low_drift_noise`` to 10x it (``ANNEALED_DRIFT_STRENGTH``); on a curve that is no held-out loss a possibility
    at 0.5 at most, said in ``ev`` (memorising training data falls like this ``like``)."""
    conf = _ramp(drop_noise, t.lr_low_drift_noise, 10 * t.lr_low_drift_noise, *ANNEALED_DRIFT_STRENGTH)
    if is_validation(f.metric):
        return conf, "likely"
    ev.append(f"{f.metric} is no held-out loss: a model memorising its training data falls like this {like}")
    return min(conf, 0.5), "possible"


def annealed_early(f: Facts, t: Thresholds) -> Cause | None:
    """Under a schedule that ran the lr down to under 1/10 of its peak, the curve flattened with the lr,
    not at a floor: read per unit of lr-time (the lr integrated over the run, :class:`LrPhases`) it was
    still falling significantly over the late half of the peak stretch (t < -3) and over the annealed
    stretch (t < -3, by ≥ 10 noise sds), and no faster there than at the peak (pace ratio ≤ 1). A tuned
    peak reaches a floor at the peak lr, which the anneal lowers by about its noise, and faster per unit of
    lr than the descent before it (the anneal removes the step's noise): not both. The digits
    MLP under CosineAnnealingLR over 30 epochs, Adam at peak 3e-4: val 2.21 -> 0.239-0.246, flat for the
    last 8 epochs (read converged); per unit of lr still falling 40-55 noise sds over the annealed half, at
    0.40-0.43 of its pace at the peak; peak 3e-3 ends at 0.090-0.092 (62% lower), and there the annealed
    half fell 1.6-5 sds. A training loss alone falls like this at a tuned peak too (memorising): possible."""
    p, o = f.lr_phases, f.optimizer
    # Under shape_min_points lr_phases has held the run to its shares at the peak (SPARSE_RUN_POINTS: a sparser log
    # of one schedule keeps them), and the pace names why a tail still falling stopped short, but on so few points
    # does not overturn a tail read flat. A tiny GPT-2 evaluated every 20 steps over a linear decay to 0
    # (hf_gpt2_eval_steps/e20, 10 points: its last 4 gave 3.7% of the improvement) reads as every 5 steps does (10x
    # the peak 9.6% lower, the decay over 400 steps 22%); one at its data's entropy (capacity_or_floor/gpt2_e32, 15
    # points, within 5% of its improvement from step 190) reads as alike per unit of lr-time (pace 0.51, 14 noise
    # sds) where 3x the peak got 3.7% lower, 10x 3.3%, twice the epochs 2.9%, and the floor is 4.2% below it. A
    # one-layer BERT evaluated 16 times over its decay, still falling (hf_lr_sweep/lr1e-3): 10x the peak ended at
    # 0.0001 from 0.0261, twice the epochs 0.0054.
    if p is None or _higher(f) or (f.n_points < t.shape_min_points and not _falling(f, t)) or o.lr_ratio is None \
            or not o.lr_ratio < t.annealed_lr or not f.noise > 0:
        return None
    drop_noise = p.annealed_drop / f.noise
    if not (p.peak_slope_t < t.improving_t and p.annealed_slope_t < t.improving_t
            and drop_noise >= t.lr_low_drift_noise and 0 < p.pace_ratio <= 1):
        return None
    ax, peak = f.axis_name, _peak_lr(o)
    to = f"0 from its peak{peak}" if o.lr_last == 0 else f"{o.lr_ratio:.2g} of its peak{peak}"
    ev = [f"{f.metric} flattened as the learning rate annealed to {to}, not at a "
          f"floor: per unit of learning rate it still fell {_noise_sds(drop_noise)} of its noise after "
          f"{ax} {_n(p.peak_to)} (the last at half the peak lr or more; t = {_t(p.annealed_slope_t)}), at "
          f"{_pct(p.pace_ratio)} of its pace at the peak (t = {_t(p.peak_slope_t)}): the schedule ran the step "
          "down before the descent reached a floor"]
    conf, status = _drift_read(f, t, drop_noise, ev, "at a tuned peak too")
    acts = [f"a higher peak learning rate: try 10x the peak{peak} (losslens verify --cause lr_too_low)",
            "or a longer schedule (more epochs for the same decay): the descent had not finished"]
    if _schedule_ended(f, t):
        # The schedule ran the lr to ~0 with the descent unfinished: a higher peak and the same decay over more
        # epochs each give it more lr-time, and which buys more the curve cannot say. A Trainer's warm-up + linear
        # decay to 0 over 200 steps (tests/fixtures/ecosystem/hf_gpt2_decay_to_0) ended 10% lower at 10x the peak,
        # under verify's 15% bar, and 22% lower with the same decay over 400 steps; a digits MLP's cosine to 0
        # (torch_cosine_peak) 62% lower at 10x the peak. So the two are offered as one choice, not 10x first.
        acts = [f"a higher peak learning rate (try 10x the peak{peak}: losslens verify --cause lr_too_low) or the same "
                "decay over more epochs: the schedule ran the lr to ~0 before the descent ended, and which of the two "
                "buys more only retraining tells",
                "a longer schedule: the same decay stretched over twice the epochs, not more epochs at its end rate "
                "(losslens verify --cause still_improving retrains it with epochs_factor=2, where train() plans the "
                "schedule from its epoch count)"]
    return Cause("lr_too_low", conf, ev, acts,
                 {"pace_ratio": p.pace_ratio, "annealed_drop_noise": drop_noise, "lr_ratio": o.lr_ratio},
                 status=status)


def decayed_in_line(f: Facts, t: Thresholds) -> Cause | None:
    """A decay too fast for :func:`annealed_early` to split the run (fewer than 8 points at half the peak lr or
    more): the logged lr fell below ``annealed_lr`` of its peak and stayed there, and read against lr-time
    (:class:`~losslens.facts.optimizer.DecayPace`) the curve fell in a line -- over the later half of the run's
    lr-time at ≥ ``decay_line_pace`` of the whole run's pace (its smooth's fall per unit of lr-time), there at t <
    ``improving_t``, and its improvement ≥ ``lr_low_drift_noise`` noise sds: a step too small lowers the loss in
    proportion to the steps taken, so it flattened on the axis only because the schedule stopped stepping. Not a
    fast descent the schedule then cut (Keras' ReduceLROnPlateau on a regression at its noise floor,
    keras_rlrop_noise_floor: 11-51% of its pace per unit of lr past half its lr-time). A digits MLP at SGD 1e-3 under
    ExponentialLR (10x down every 10 epochs; tests/fixtures/ecosystem/torch_decayed_slow): val 2.2988 -> 2.2925,
    its later half at 102% of the whole run's pace per unit of lr, read "stuck at initialization" with underfitting
    ("a bigger model") beside it; its 40 epochs add up to 4.9 at the peak rate. 10x the rate under the same decay
    ended at 2.218, the same rate undecayed at 2.234, 10x undecayed at 0.63 (the cf_*.csv beside it) and 100x
    decayed at 0.47 (make.out; that run's CSV is not kept). Not read beside a step shown too large (the caller drops
    it): ReduceLROnPlateau's many cuts after a peak that threw validation off its best (:func:`peak_climbed`) fall in
    almost no lr-time and read as a line too (Keras SGD 0.3 on digits, flat at 0.153 for 50 epochs: "354% of the
    whole run's pace")."""
    p, o = f.decay_pace, f.optimizer
    if p is None or f.lr_phases is not None or _higher(f) or f.n_points < t.shape_min_points \
            or o.lr_ratio is None or not o.lr_ratio < t.annealed_lr or not f.noise > 0:
        return None
    drop_noise = f.plateau.improvement / f.noise
    # The whole run's pace counts the fall before a first check that came after training's first logged point, over
    # the lr-time the steps took before it (Facts.unseen): keras_rlrop_noise_floor's Keras default (factor
    # 0.1, patience 10), 0.399 -> 0.091 checked every epoch (converged), checked every 2nd epoch fell 0.122 -> 0.091
    # from its first check, the later half "at 266% of the whole run's pace", read "lr too low, try 10x the peak";
    # it ended at 0.0915 against the 0.09 its targets' noise holds every model to.
    ratio, unseen = p.pace_ratio, f.missed + f.unseen
    if unseen > 0 and p.drop > 0 and p.span > 0 and p.before >= 0:
        ratio = p.pace_ratio * (p.drop / p.span) * (p.span + p.before) / (p.drop + unseen) if math.isfinite(unseen) \
            else 0.0
    if not (p.late_slope_t < t.improving_t and ratio >= t.decay_line_pace
            and drop_noise >= t.lr_low_drift_noise):
        return None
    # The line needs the fall to go on past the rate's peak: a curve that already reached its best while the peak
    # rate held (flat there, or thrown back up off it) and never got a noise sd below that best after the cuts
    # stopped because the model stopped gaining at that rate, not because the schedule stopped stepping, and 10x
    # that peak is no cure. ReduceLROnPlateau cuts only once it is flat, so its many cuts add next to no lr-time and
    # the bounce at the peak falls within the "later half" (keras_rlrop_adam_memorise: Adam 0.03 on digits, val
    # 0.328 at epoch 2, 0.464 at 4, never below 0.331 after the cuts, "83% of the whole run's pace"; 0.003 ends
    # lower, 0.3 at chance).
    if p.peak_points >= 2 and not p.past_peak_fall >= f.noise:
        return None
    ax, peak = f.axis_name, _peak_lr(o)
    ev = [f"the learning rate decayed from its peak{peak} to {_lr(f)} (to 1/10 of the peak by {ax} "
          f"{_n(p.tenth_at)}): the run's {_count(float(f.x[-1] - f.x[0]) + 1)} {ax}s add up to {p.lr_time:.2g} at the "
          "peak rate",
          f"per unit of that learning rate {f.metric} fell in a line to the end: over the later half of it at "
          f"{_pct(ratio)} of the whole run's pace, no floor near: it flattened "
          "because the schedule stopped stepping, not because the model stopped learning"]
    conf, status = _drift_read(f, t, drop_noise, ev, "too")
    return Cause("lr_too_low", conf, ev,
                 [f"a higher learning rate: try 10x the peak{peak} (losslens verify --cause lr_too_low)",
                  "or a slower decay (more epochs for each 10x down): the descent had not finished"],
                 {"late_pace_ratio": ratio, "lr_time": p.lr_time, "lr_ratio": o.lr_ratio}, status=status)


def _paced_by_lr(c: Cause) -> bool:
    """An lr_too_low read off the curve's pace per unit of the logged lr (:func:`annealed_early`'s
    ``pace_ratio``, the annealed pace over the peak's, ≤ 1; :func:`decayed_in_line`'s ``late_pace_ratio``, the later
    half's over the whole run's, ≥ ``decay_line_pace``): flat because the schedule stopped stepping."""
    return "pace_ratio" in c.numbers or "late_pace_ratio" in c.numbers


def warmup_unfinished(f: Facts, t: Thresholds) -> Cause | None:
    """The logged lr was still rising when the run ended (each of its last 3 values above the one before)
    and the curve had not finished falling: the warm-up never reached the rate it was warming up to, so
    every step of the run was smaller than the one it was set to train at, and the descent is paced by the
    ramp. A warm-up is meant to be a small part of a run (5 epochs in Goyal et al. 2017, "Accurate, large
    minibatch SGD"; a few percent of the steps in Transformers' schedules); a run still inside it has not
    started its training proper, and keeping on trains at a rate that is still growing, not at the one the
    forecast extrapolates. The digits MLP under SGD momentum 0.9 with a linear warm-up over 1000 epochs to
    0.1, stopped at 30 (the lr at 0.003): val 0.477, still falling (read still_improving); a 3-epoch
    warm-up to the same target 0.0945 (80% lower)."""
    o = f.optimizer
    if not o.lr_rising or not o.lr_first or not o.lr_first > 0 or f.n_points < t.shape_min_points:
        return None
    if not (_falling(f, t) or _forecast_pays(f, t)):
        return None
    ev = [f"the learning rate was still rising when the run ended: {o.lr_first:.3g} at the start, {_lr(f)} at the "
          f"end ({o.lr_last / o.lr_first:.3g}x), up at each of its last 3 values: a warm-up that never reached its "
          "target, so every step was smaller than the rate the schedule sets",
          f"{f.metric} still falling with it: the ramp, not a floor, paces the descent"]
    return Cause("lr_too_low", 0.7, ev,
                 ["a shorter warm-up (a few epochs, or a few percent of the run) to the same target lr",
                  "or train on past the warm-up's end (the forecast assumes today's rate, not the growing one)"],
                 {"lr_rise": o.lr_last / o.lr_first})


def peak_held(f: Facts, t: Thresholds) -> Cause | None:
    """Under a schedule that annealed the lr, the curve made no significant progress over the late half
    of the stretch where the lr was near its peak (≥ half of it; slope t ≥ -3: flat or bouncing), and came
    ≥ 25% of its whole improvement (and ≥ 5 noise sds) below that level only once the lr annealed, the
    training loss ≥ 25% of its own too: the peak step held both up, and the schedule's smaller steps did
    the learning. A tuned peak has learned most of it at the peak; its anneal adds a few percent. The digits
    MLP under CosineAnnealingLR over 30 epochs, SGD momentum 0.9 at peak 0.3: val bouncing 0.75-1.98 for 14
    epochs, then 0.312 (read temporary_plateau), training 37% of its improvement after the peak; at peak
    0.03 it ends at 0.097. Tuned peaks there: 1-11% of the improvement."""
    p, o = f.lr_phases, f.optimizer
    if p is None or _higher(f) or f.n_points < t.shape_min_points or o.lr_schedule != "decayed":
        return None
    if _batch_loss(f):
        return None  # (a batch loss bounces with the batch drawn, whatever the step: as lr_too_high's oscillation)
    imp = f.plateau.improvement
    if not imp > t.stuck_noise * f.noise or p.peak_slope_t < t.improving_t:
        return None
    # (Bouncing there, as the constant-rate reading asks of a floor: a smooth descent whose few points at the
    # peak show no significant slope made progress all the same. Keras' ExponentialDecay on Fashion MNIST,
    # val 0.50 -> 0.36 over 8 epochs at half the peak lr or more (t = -1.5 on 4 points), sd 0.3% of its
    # improvement, then 0.335 as the lr fell to 1/9: converged.)
    bounce = p.peak_noise / imp
    gain = p.peak_level - p.end_level
    share = gain / imp
    if bounce < t.lr_high_oscillation or share < t.peak_held_share or not gain >= t.lr_high_floor_noise * f.noise:
        return None
    if _fell_at_peak(f, p, t):
        return None
    # Training too: a peak step too large to descend fits its own data no better until the lr anneals. One
    # that kept lowering the training loss at the peak was learning there; its validation's bounce is the
    # weights wandering at a level the schedule's drop then settles, as designed. Keras SGD at 0.15 with
    # LearningRateScheduler 0.15 / 0.015 / 0.0015 on a noisy regression: validation bounced 0.13-0.47 at the
    # peak and ended at 0.086, 51% of its improvement after the cut, while training fell 0.176 -> 0.102 at the
    # peak (9% after); peak 0.015 ends at 0.136.
    tp, tpl = (p, f.plateau) if f.metric == "train_loss" else (f.train_lr_phases, f.train_plateau)
    if tp is None or tpl is None or not tpl.improvement > 0:
        return None
    train_share = (tp.peak_level - tp.end_level) / tpl.improvement
    if train_share < t.peak_held_share:
        return None
    ax, peak = f.axis_name, _peak_lr(o)
    return Cause("lr_too_high", _ramp(share, t.peak_held_share, 2 * t.peak_held_share, *PEAK_HELD_STRENGTH),
                 [f"while the learning rate was near its peak{peak} ({ax} {_n(p.peak_from)} to {_n(p.peak_to)}, at half "
                  f"of it or more) {f.metric} made no progress over the later half (t = {_t(p.peak_slope_t)}, "
                  f"around {p.peak_level:.4g}, bouncing with sd {_pct(bounce)} of its whole improvement); it came "
                  f"down to {p.end_level:.4g} only as the lr annealed, "
                  f"{_pct(share)} of its whole improvement"
                  + ("" if tp is p else f", and train_loss {_pct(train_share)} of its own") +
                  ": the peak step held the loss up, the annealed steps did the learning"],
                 ["a lower peak learning rate (try 1/10 of it)", "or a warm-up to it; gradient clipping"],
                 {"peak_held": share, "train_peak_held": train_share, "peak_slope_t": p.peak_slope_t,
                  "peak_bounce": bounce})


def _fell_at_peak(f: Facts, p, t: Thresholds) -> bool:
    """Whether the curve's fall off the level the peak lr held began while the lr was still near its peak: the first
    point from which every later point sits ≥ ``lr_high_floor_noise`` of the peak stretch's noise sds
    (``p.peak_noise``, metric units) under its level (``p.peak_level``) lies inside that stretch (at ``p.peak_to``
    or before: the lr at half its peak or more). A step too large to descend starts the fall only once the schedule
    has brought it down; a fall begun at the peak is the peak step learning, however late in the stretch, and the
    late half's slope over a few points misses it. A tiny BERT under the Trainer's linear decay at peak 1e-3 sat
    near ln 2 for 80 steps and fell from step 80 (the lr at 58% of its peak) to 0.30, read "the peak step held the
    loss up, the annealed steps did the learning"; a third of the peak ended at 0.682, a tenth at 0.680
    (tests/fixtures/ecosystem/hf_fall_at_peak)."""
    y, x = f.y, f.x
    ok = np.isfinite(y)
    below = ~ok | (y < p.peak_level - t.lr_high_floor_noise * p.peak_noise)
    # (NaN, a point not logged, breaks no run of points below: it says nothing of the level.)
    above = np.flatnonzero(~below)
    first = int(above[-1]) + 1 if above.size else 0
    if first >= y.shape[0] or not ok[first:].any():
        return False
    first += int(np.argmax(ok[first:]))
    return bool(x[first] <= p.peak_to)


#: peak_threw's, peak_climbed's and peak_bounced's actions: whether validation climbed off its best at the peak lr or
#: bounced about it, the step threw the weights there and the cuts settled where it left them, so one remedy (lr / 10
#: of the peak: -32% to -39% on peak_bounced's Adam 3e-2 runs, -20% on peak_threw's) and one check; ``{peak}`` is the
#: peak lr's " 0.03" where the log gives it. peak_bounced kept its own words without the peak or verify's check
#: (keras_rlrop_adam_memorise/adam0.03_s2.csv: "try 1/10 of the peak" where seed 0 said "of the peak 0.03").
PEAK_CLIMB_ACTIONS = ("start at a lower learning rate (try 1/10 of the peak{peak}; losslens verify --cause lr_too_high)",
                      "or cut it sooner (a shorter ReduceLROnPlateau patience, or a decay from the start)",
                      "gradient clipping")


#: peak_bounced's strength, from lr_high_oscillation to 4x it: set by hand in 0850a7d; no measurement recorded.
PEAK_BOUNCED_STRENGTH = (0.55, 0.8)


def peak_bounced(f: Facts, t: Thresholds) -> Cause | None:
    """Under a schedule that cut the lr (ReduceLROnPlateau, StepLR; LrPhases' peak stretch, at >= half the
    peak lr, and the rest): validation bounced at the peak with point sd >= ``lr_high_oscillation`` of its
    whole improvement (the bar a constant rate bouncing at its floor is held to) and made no steady progress
    over the late half of that stretch (t >= -3); nothing after the cut got below the best the bounce had
    touched; and the training loss sat above ``memorised_share`` of that best over the peak's late half, then
    fell below it after the cut. The peak step kept the model from fitting its own data and threw its
    held-out predictions about; the smaller steps settled where the last throw left the weights, so a lower
    start, or a cut as soon as it bounces, is what helps. Read beside overfitting, whose validation above
    training is the same run's. A digits MLP on 150 rows, Adam 3e-2 with ReduceLROnPlateau(0.3, patience 5),
    seeds 0-2: best 0.539 / 0.576 / 0.425, read overfitting / converged / converged; at 3e-3 0.327 / 0.374 /
    0.288 (-32% to -39%). Seed 1 is not read: its training was at 6% of validation's best at the peak.
    Not read: where the cut found lower ground (a tuned step schedule: SGD 0.1 under StepLR on the same MLP,
    validation bouncing at 2-8% of its improvement at the peak, its best after the cut; lr/10 ends 8% higher);
    where validation climbed at the peak while training fell steadily (memorising, as :func:`_memorising`
    reads a constant rate); where training never fell below a tenth of validation's best (flipped labels:
    30-35% under the same scheduler, training at 40-90% of it, Adam 1e-2 reaching no lower best than 1e-3; a
    floor the data's noise sets: ``keras_rlrop_noise_floor``, 69-80%); where it was below a tenth already at
    the peak (memorised at the peak lr: 900 rows at Adam 3e-3, validation bouncing at 2-10% of its
    improvement with training at 0.6-3% of its best; lr/10's best only 3% lower); and at a tuned peak,
    whose validation barely bounces (the 150-row runs at 3e-3: 1.2-1.5%)."""
    p, tp, o = f.lr_phases, f.train_lr_phases, f.optimizer
    if p is None or tp is None or o.lr_schedule != "decayed" or f.metric != "val_loss" or _higher(f) \
            or f.n_points < t.shape_min_points:
        return None
    imp = f.plateau.improvement
    if not imp > t.lr_high_floor_noise * f.noise:
        return None  # (no floor to bounce at)
    bounce = p.peak_noise / imp
    if bounce < t.lr_high_oscillation or p.peak_slope_t < t.improving_t:
        return None
    if p.peak_slope_t > t.memorise_val_t and tp.peak_slope_t < t.improving_t:
        return None
    at, after = (f.x >= p.peak_from) & (f.x <= p.peak_to), f.x > p.peak_to
    if not after.any() or not f.y[after].min() >= f.y[at].min():
        return None
    best = float(f.y.min())
    if not 0 <= tp.end_level <= t.memorised_share * best < tp.peak_level:
        return None
    ax, peak = f.axis_name, _peak_lr(o)
    idx = np.flatnonzero(at)
    late = f.y[idx[idx.shape[0] // 2:]]  # (LrPhases' late half: the early half is the descent)
    ev = [f"while the learning rate was at its peak{peak} ({ax} {_n(p.peak_from)} to {_n(p.peak_to)}, half of it or "
          f"more) {f.metric} bounced between {late.min():.4g} and {late.max():.4g} over the later half (point sd "
          f"{_pct(bounce)} of its whole improvement) and did not come down over it (t = {_t(p.peak_slope_t)}): a "
          "constant rate bouncing like this reads lr_too_high",
          f"train_loss sat around {tp.peak_level:.4g} there ({_pct(tp.peak_level / best)} of validation's best "
          f"{best:.4g}) and fell to {tp.end_level:.4g} only after the cut: the peak step kept the model from "
          "fitting its own data",
          f"after the cut {f.metric} held {float(median(f.y[after])):.4g}, never below that best: the smaller "
          "steps settled where the peak's last throw left the weights"]
    return Cause("lr_too_high",
                 _ramp(bounce, t.lr_high_oscillation, 4 * t.lr_high_oscillation, *PEAK_BOUNCED_STRENGTH), ev,
                 [a.format(peak=peak) for a in PEAK_CLIMB_ACTIONS],
                 {"peak_bounce": bounce, "peak_slope_t": p.peak_slope_t,
                  "train_peak_fit": tp.peak_level / best, "train_fit": tp.end_level / best})


def peak_threw(f: Facts, t: Thresholds) -> Cause | None:
    """:func:`peak_bounced` where the peak held too few points for LrPhases (fewer than 8 at half the peak lr or
    more; :class:`~losslens.facts.optimizer.PeakClimb`): while the lr was at its peak validation climbed off its own
    best by ≥ ``bounce_range`` of its whole improvement (≥ ``lr_high_floor_noise`` noise sds, ≥ ``LEVEL_BOUNCE``
    of the level it left), nothing after the cut got below the best the peak had reached, the training loss sat above
    ``memorised_share`` of that best over the peak's later half and fell below it only after the cut, and the
    training loss itself climbed off its own running best within validation's climb, by ≥ ``LEVEL_BOUNCE`` of it.

    That last is what tells a step too large from overfitting, whose validation climbs while the model goes on
    fitting its own data: the epoch-mean training loss of a model memorising falls through validation's climb (plain
    SGD 0.5 on digits, tests/fixtures/logs/keras_rlrop.csv: validation 0.30 -> 0.87 and 1.52 at the peak, training
    falling at every one of its 13 peak epochs, 1.12 -> 0.033; lr/10 ends 0.287 against 0.285), while a step that
    throws the weights throws the model off its own data too. Keras Adam 0.03 on a digits MLP under
    ReduceLROnPlateau (tests/fixtures/ecosystem/keras_rlrop_adam_memorise, 6 epochs at the peak): validation 0.3285
    at epoch 2, 0.464 at 4 as training went 0.0896 -> 0.144 (+60%, its accuracy 0.974 -> 0.959), never below 0.3319
    after the cuts while training fell to 0.011; read converged 89%. Its best kept by early stopping is 2% below its
    end; lr/10 ends 20% lower (0.2686 against 0.3349; seed 2: 0.2857 against 0.3522, which peak_bounced reads off
    its 8 peak points), 10x sits at chance. Seed 1 is not read: its cut found lower ground (0.2920 against 0.2985),
    and lr/10 ends 7% lower. Not read at SGD 0.1 on the same MLP (keras_rlrop_sgd_high, lr/10 ends 21% higher):
    validation climbed 49% of its improvement, training rose 13% with it and ended at 13% of validation's best."""
    c, o = f.peak_climb, f.optimizer
    if c is None or f.lr_phases is not None or o.lr_schedule != "decayed" or f.metric != "val_loss" or _higher(f) \
            or f.n_points < t.shape_min_points:
        return None
    imp = f.plateau.improvement
    if not imp > 0 or not c.climb >= t.lr_high_floor_noise * f.noise or c.climb < t.bounce_range * imp \
            or c.climb < LEVEL_BOUNCE * abs(c.from_level):
        return None
    at = (f.x >= c.peak_from) & (f.x <= c.peak_to)
    best = float(f.y[at].min())
    if not c.best_after >= best or not best > 0:
        return None  # (a cut that found lower ground: peak_climbed's reading, or the schedule doing its work)
    tx, ty = f.train_x, f.train_y
    if tx is None or ty is None or f.train_metric != "train_loss":
        return None
    idx = np.flatnonzero((tx >= c.peak_from) & (tx <= c.peak_to) & np.isfinite(ty))
    after = np.isfinite(ty) & (tx > c.peak_to)
    if idx.size < 2 or not after.any():
        return None
    held, end = float(median(ty[idx[idx.size // 2:]])), float(ty[after][-1])
    if not 0 <= end <= t.memorised_share * best < held:
        return None
    seg, sx = ty[idx], tx[idx]
    run_best = np.minimum.accumulate(seg)
    win = np.flatnonzero((sx > c.climb_from) & (sx <= c.climb_peak) & (run_best > 0))
    if win.size == 0:
        return None
    k = int(win[np.argmax(seg[win] / run_best[win])])
    train_rise = float(seg[k] / run_best[k] - 1)
    if train_rise < LEVEL_BOUNCE:
        return None
    ax, peak = f.axis_name, _peak_lr(o)
    rel = c.climb / imp
    ev = [f"while the learning rate was at its peak{peak} (half of it or more until {ax} {_n(c.peak_to)}) {f.metric} "
          f"climbed off its best: {c.from_level:.4g} at {ax} {_n(c.climb_from)}, {c.from_level + c.climb:.4g} at "
          f"{_n(c.climb_peak)} ({_pct(rel)} of its whole improvement)",
          f"train_loss climbed with it, {run_best[k]:.4g} -> {seg[k]:.4g} at {ax} {_n(sx[k])} (+{_pct(train_rise)}): "
          "the step threw the model off its own data too; a model overfitting goes on fitting its training data "
          "while validation climbs",
          f"train_loss sat at {held:.4g} over the later half of that stretch ({_pct(held / best)} of validation's "
          f"best {best:.4g}) and fell to {end:.4g} only after the cut, while {f.metric} never got below that best "
          f"({c.best_after:.4g} at its lowest): the smaller steps settled where the peak's last throw left the "
          "weights"]
    return Cause("lr_too_high", _ramp(rel, t.bounce_range, 4 * t.bounce_range, *BOUNCE_STRENGTH), ev,
                 [a.format(peak=peak) for a in PEAK_CLIMB_ACTIONS],
                 {"peak_climb": rel, "peak_climb_at": c.climb_peak, "train_peak_rise": train_rise,
                  "train_peak_fit": held / best, "train_fit": end / best})


def peak_climbed(f: Facts, t: Thresholds) -> Cause | None:
    """Under a schedule that cut the lr below half its peak, however soon (:class:`~losslens.facts.optimizer.PeakClimb`:
    no eight points at the peak are needed, as :func:`peak_bounced`'s LrPhases does): while the lr was at its peak
    (half of it or more), the validation loss climbed off its own best by ≥ ``bounce_range`` of its whole improvement
    (and ≥ ``lr_high_floor_noise`` noise sds), after the cut it got ≥ ``peak_held_share`` of that improvement below
    the best that climb left, and the
    training loss over the later half of the peak stretch sat at ≥ ``peak_climb_train`` of validation's best. A step
    too small follows the gradient down and moves off its best by its noise at most; one that throws the weights
    climbs off it and holds training up with it, and the smaller steps after the cut then do the learning
    (memorising climbs with training far below, and a smaller step does not settle it lower). Keras'
    ReduceLROnPlateau on a digits MLP at SGD 0.3, momentum 0.9 (tests/fixtures/ecosystem/keras_rlrop_sgd_high): val
    0.27 -> 0.81 at the peak (435% of its improvement), training at 219% of validation's best there, 0.153 after the
    cuts, read "lr too low, try 10x the peak" (the cuts, many and in almost no lr-time, read as a line per unit of
    lr: :func:`decayed_in_line`); seed 1 0.42 -> 1.07 (249%, training at 83%), read converged; lr / 10 ends 19% / 29%
    lower. At 3.0 it bounced 2.46-2.84 at the peak and ended a dead net at ln 10, read "lr too low, try 10x the peak 3" too.
    A tuned peak bounces at 2-8% of its improvement (:func:`peak_bounced`'s StepLR run). Listed, it keeps the
    schedule's pace readings off (a step shown too large is not also too small)."""
    c, o = f.peak_climb, f.optimizer
    if c is None or o.lr_schedule != "decayed" or not is_validation(f.metric) or _higher(f) \
            or f.n_points < t.shape_min_points:
        return None
    imp = f.plateau.improvement
    if not imp > 0 or not c.climb >= t.lr_high_floor_noise * f.noise:
        return None
    imp += f.missed + f.unseen  # (the fall before a late log's first point, or before a first check made late)
    rel = c.climb / imp
    # The cut found ground well below where the climb set off (peak_held's ``peak_held_share`` of the improvement):
    # a climb off a floor the smaller steps then merely settle back to is a step at its floor's noise, not one that
    # held the descent up (a torch MLP at SGD 0.1 on a regression at its noise floor, 0.019 -> 0.132 at the peak,
    # 0.0097 after the cut: 5% of its improvement below 0.019; lr 0.01 reaches 0.0095, test_integrations_torch).
    if rel < t.bounce_range or not c.from_level - c.best_after >= t.peak_held_share * imp:
        return None
    # And a climb that matters against the level it left (LEVEL_BOUNCE of it): a run that learned nearly all before
    # its first evaluation has an improvement so small that a wobble at its level is "90% of it" (the lab's decayed
    # SGD arm, tests/test_lab_variants.py: 0.2762 -> 0.2987 at the peak lr 0.5, 8% of its level, the decay already
    # the fix); the climbs this reads were 15-200% of theirs (SGD 0.3: 0.27 -> 0.81; 3.0: 2.46 -> 2.84).
    if c.climb < LEVEL_BOUNCE * abs(c.from_level):
        return None
    # The step held training up too: over the later half of the peak stretch the training loss sat at ≥
    # ``peak_climb_train`` of validation's best. A model that had fitted its own data far below that at the peak
    # was memorising, and its validation spikes are a fitted model's outputs swinging, which a smaller step does
    # not settle lower (tests/fixtures/logs/keras_rlrop.csv, plain SGD 0.5: val 0.30 -> 0.87 and 1.52 at the peak
    # with training at 17% of validation's best 0.282; lr 0.05 ends at 0.287 against 0.285).
    tx, ty = f.train_x, f.train_y
    if tx is None or ty is None or f.train_metric != "train_loss":
        return None
    at = np.flatnonzero((tx >= c.peak_from) & (tx <= c.peak_to) & np.isfinite(ty))
    best = float(np.min(f.y))
    if at.size == 0 or not best > 0:
        return None
    held = float(median(ty[at[at.size // 2:]]))
    if held < t.peak_climb_train * best:
        return None
    ax, peak = f.axis_name, _peak_lr(o)
    ev = [f"while the learning rate was at its peak{peak} (half of it or more until {ax} {_n(c.peak_to)}) {f.metric} "
          f"climbed off its best: {c.from_level:.4g} at {ax} {_n(c.climb_from)}, {c.from_level + c.climb:.4g} at "
          f"{_n(c.climb_peak)} ({_pct(rel)} of its whole improvement): a step too small follows the gradient down, "
          "one too large throws the weights off",
          f"train_loss sat at {held:.4g} over the later half of that stretch, {_pct(held / best)} of validation's best "
          f"{best:.4g}: the step held the model off its own data too (a model memorising it sits far below)",
          f"only after the cut did it get below that best ({c.best_after:.4g} at its lowest): the smaller steps did "
          "the learning, the peak's step held it up"]
    k, end = (f.chance.classes if f.chance is not None else None), float(f.smoothed[-1])
    guess = {}
    if k and abs(end - math.log(k)) < AT_LN_K * math.log(k):
        # (Below the peak's throws is not learning where it is a guess's loss: "the smaller steps did the learning"
        # would send the reader to retrain a model that never learned. The lr 3 run: 2.84 at the peak, 2.307 after.)
        ev[-1] = (f"after the cut it settled at {end:.4g} = ln {k}, a uniform guess: the peak's steps left a network "
                  "that predicts the class frequencies, and the smaller steps only stopped the bounce")
        guess = {"uniform_guess": k}  # (as blew_up's: no "stop here" at a guess, no bigger model for a dead net)
    return Cause("lr_too_high", _ramp(rel, t.bounce_range, 4 * t.bounce_range, *BOUNCE_STRENGTH), ev,
                 [a.format(peak=peak) for a in PEAK_CLIMB_ACTIONS],
                 {"peak_climb": rel, "peak_climb_at": c.climb_peak, "peak_climb_train": held / best, **guess})


def peak_threw_fit(run: Run, f: Facts, t: Thresholds, verdict: Cause, causes: list[Cause]) -> Cause | None:
    """Beside a ``converged`` verdict under a schedule that cut the lr (LrPhases: the stretch at ≥ half the
    peak lr, then the rest), ``lr_too_high`` as possible: validation's best came while the lr was at its
    peak, nothing after the cut got below it, and the training accuracy (epoch means, running median of 3)
    fell ≥ ``peak_fit_lost`` of its margin over chance (1/K where K was given, else 0) from its best to the
    stretch's last point while the lr was still there. At a workable step the model does not get worse at
    its own data while the step is held; one that does is being thrown out of what it had fitted, and the
    cuts then freeze it where the last throw left it, not at a floor the model or data set.

    A digits MLP (tests/fixtures/ecosystem/torch_rlrop_high_lr), SGD momentum 0.9 under
    ReduceLROnPlateau(patience=3) at lr 0.5: training accuracy 0.767 -> 0.686 at the peak (11% of it),
    validation frozen at 0.694 above its best 0.567 with the lr at 5e-9, read converged; lr 0.05 ends at
    0.112. The same setup at SGD 0.05 / 0.15 / 0.3 / 0.5 and Adam 1e-3 / 1e-2 / 3e-2, 0-40% of the labels flipped
    (a noise floor no lr gets under; tests/fixtures/ecosystem/torch_rlrop_flipped_labels), seeds 0-2 (0-6 for
    clean labels at SGD 0.05 and 0.5), 71 runs: of the 23 whose best came at the peak and was never beaten after the
    cut, the fall was 11-76% on 7, on each of which SGD 0.05 ended lower (+5% to +1058%), and ≤ 0.7% on the other
    16 -- SGD 0.05 and Adam at any of the three rates, flipped-label floors among them, and 4 at SGD 0.15-0.3 it
    misses (+3% to +44%; 3 read lr_too_high already). Only the run above, of the 7, reads converged; the others
    read lr_too_high or stuck_at_init. Not read without a training accuracy (the training loss's climb-back at
    the peak is ``peak_unstable``'s, at ≥ 50% of its gain; this run's is 36%)."""
    if verdict.id != "converged" or any(c.id == "lr_too_high" for c in causes):
        return None
    p, o = f.lr_phases, f.optimizer
    if p is None or o.lr_schedule != "decayed" or f.metric != "val_loss" or _higher(f):
        return None
    acc = accuracy_fraction(run.get("train_acc"))
    if acc is None or acc.shape != run.axis.shape:
        return None
    at, after = (f.x >= p.peak_from) & (f.x <= p.peak_to), f.x > p.peak_to
    if not at.any() or not after.any():
        return None
    best = float(f.y[at].min())
    if not f.y[after].min() >= best:
        return None  # (a cut that found lower ground: the schedule did what it was for)
    ok = np.isfinite(acc)
    ax, m = run.axis[ok], median3(acc[ok])
    peak = np.flatnonzero((ax >= p.peak_from) & (ax <= p.peak_to))
    if peak.shape[0] < 3:
        return None
    top = int(peak[np.argmax(m[peak])])
    end = int(peak[-1])
    # (1/K only where K was given or pinned by a loss held at ln K: one inferred from an epoch-mean first loss
    # can be far off -- the run above, 1.02 after a first epoch at lr 0.5, reads K = 3 -- and 0 asks the larger
    # fall.)
    c = f.chance
    base = c.chance if c is not None and c.chance is not None and c.classes_from != "initial loss" else 0.0
    lost = float(m[top] - m[end])
    if not m[top] > base or not lost >= t.peak_fit_lost * float(m[top] - base):
        return None
    ax_name, lr_peak = f.axis_name, _peak_lr(o)
    bx = float(f.x[at][np.argmin(f.y[at])])
    ev = [f"while the learning rate was at its peak{lr_peak} ({ax_name} {_n(p.peak_from)} to {_n(p.peak_to)}, half of "
          f"it or more) training accuracy fell from {m[top]:.3g} ({ax_name} {_n(ax[top])}) to {m[end]:.3g} "
          f"({_pct(lost / (m[top] - base))} of {'its margin over chance' if base else 'it'}): the step threw the "
          "model out of what it had fitted of its own data",
          f"validation's best {best:.4g} came there ({ax_name} {_n(bx)}); after the cut {f.metric} never got below "
          f"it and froze at {_now(f):.4g}: the smaller steps settled where the peak's last throw left the weights, "
          "not at a floor the model or the data set"]
    return Cause("lr_too_high", 0.45, ev,
                 ["lower the initial learning rate (try 1/10) and retrain; verify with losslens verify --cause "
                  "lr_too_high", "or cut it sooner (a shorter ReduceLROnPlateau patience, or a decay from the start)"],
                 {"peak_fit_lost": lost / float(m[top] - base)}, status="possible")


def slow_start(f: Facts, t: Thresholds) -> Cause | None:
    """An underfitting level read off a run whose step is what holds it there: under a logged constant lr
    the loss took several points to get going (its first step fell < ``slow_start_share`` of its steepest
    one, ≥ ``slow_start_steps`` steps later: an S-shaped start) and, flattened at that level, still drifts
    down steadily (tail t < -3, ≥ ``lr_low_drift_noise`` noise sds over the last quarter, to the end).

    Why: gradient descent learns a network's input-output modes one after another, each along a sigmoid
    whose duration scales as 1 / (lr * the mode's strength) (Saxe, McClelland & Ganguli 2014, deep linear
    networks; a char-RNN's unigram plateau is the same picture). A start that took several points means
    even the strongest mode needed that long at this step, and the weaker ones that hold the rest of the
    loss need proportionally longer: the level is where the run stopped waiting, and its steady downward
    drift is the next modes growing. A model too small at a workable step reaches its level convexly (the
    gradient is largest at the start) and then sits in its noise. (An S-start alone is no proof: DeepOBS'
    All-CNN-C at its best momentum rate starts so too, and converges; so it only re-reads a level.)

    A 5-layer linear network started small, SGD 0.3, 60 epochs: val 0.0417 -> 0.0227 (51% of its start,
    read underfitting), first step 0.00046/epoch, steepest 0.0039 at epoch 6-7; lr 3 from the start reached
    0.0163 (-28%), from epoch 30 0.0181 (-20%), twice the width 0.0223 (train -2%). DeepOBS' char-RNN on
    Tolstoi at SGD 1e-4 to 2.5e-4 (best 1.58): 4.44 -> 3.13 at the unigram level, still falling.
    What it cannot tell is how many modes are left: the same network through a 4-wide bottleneck at SGD 1.0
    (3 weak modes left to learn, not 79) reads so too, where 10x the lr gained nothing (0.0239 both) and no
    bottleneck 18%: hence underfitting stays listed, and the first action is the 10x run that decides."""
    tr = f.trend
    if f.optimizer.lr_schedule != "constant" or f.n_points < t.shape_min_points \
            or not (tr.slope_t < t.improving_t and tr.tail_drop_noise >= t.lr_low_drift_noise
                    and tr.end_rate >= t.lr_low_end_rate):
        return None  # (unlogged, an S-start may be a warm-up; a level sitting in its noise is a floor)
    # Per unit of the axis (uneven logging), on a running median of 3 (one noisy point makes no start).
    m = median3(_sign(f) * f.y)
    dx = np.diff(f.x)
    rate = (m[:-1] - m[1:]) / np.where(dx > 0, dx, np.nan)
    if not np.isfinite(rate[0]) or not rate[0] > 0:
        return None  # (a first step that rose is a step too large, not too small)
    j = int(np.nanargmax(rate))
    if j < t.slow_start_steps or not rate[0] < t.slow_start_share * rate[j] \
            or not (rate[j] - rate[0]) * dx[j] >= t.slow_start_noise * f.noise:
        return None
    ax = f.axis_name
    ev = [f"a slow start: {f.metric} fell {rate[0]:.3g}/{ax} over its first step, {_pct(rate[0] / rate[j])} of its "
          f"steepest {rate[j]:.3g}/{ax} ({ax} {_n(f.x[j])} to {_n(f.x[j + 1])}): at this step even the strongest "
          "thing it learned took several points, and weaker ones take proportionally longer",
          f"the level is not flat: {_tail(f)} still fell {_noise_sds(tr.tail_drop_noise)} of the curve's noise, "
          f"steadily (t = {_t(tr.slope_t)})",
          f"learning rate constant at {_lr(f)}"]
    return Cause("lr_too_low", 0.6, ev,
                 ["retrain at 10x the learning rate (losslens verify --cause lr_too_low): a step too small holds "
                  "the loss at this level as a model too small would, and that run tells them apart"]
                 + list(ACTIONS["lr_too_low"][:-1]),  # (not "keep training": the forecast sees ~nothing)
                 {"slow_start": float(rate[0] / rate[j]), "tail_drop_noise": tr.tail_drop_noise})


#: A loss "at" ln K: within this many noise sds of it (held_at_a_guess), and no nearer than this share of ln K
#: on a curve whose noise reads about 0.
GUESS_BAND_SDS = 3.0
GUESS_BAND_FLOOR = 0.001
#: held_at_a_guess's end: no more than this share of ln K below it (a drop under it is "next to nothing").
GUESS_END_DROP = 0.02
#: held_at_a_guess and decayed_at_a_guess: a logged lr decayed below this share of its peak (68bbda5: a Trainer's
#: linear decay from 3e-5 ending at 97% of ln 2). Thresholds.annealed_lr's 1/10 by meaning, kept a module constant
#: so that a caller's Thresholds does not move these two rules; no measurement of the bar recorded.
GUESS_LR_DECAYED = 0.1


def _points_at_ln_k(f: Facts, k: int) -> tuple[np.ndarray, float] | None:
    """``(at, band)``: which finite points of the diagnosed curve lie within ``band`` of ln K (``GUESS_BAND_SDS``
    noise sds, at least ``GUESS_BAND_FLOOR`` of ln K), where at least half of ≥ 5 do; else None."""
    ref = math.log(k)
    y = f.y[np.isfinite(f.y)]
    if y.shape[0] < 5:  # (too few points to say where most of them sat)
        return None
    band = max(GUESS_BAND_SDS * f.noise, GUESS_BAND_FLOOR * ref)
    at = np.abs(y - ref) <= band
    return (at, band) if 2 * int(at.sum()) >= y.shape[0] else None


def held_at_a_guess(f: Facts, t: Thresholds) -> Cause | None:
    """A still-falling loss that sat at a uniform guess's ln K for at least half of its points (each within
    ``GUESS_BAND_SDS`` noise sds of it, at least ``GUESS_BAND_FLOOR`` of ln K), under a logged lr decayed to under
    1/10 of its peak, ending at most ``GUESS_END_DROP`` of ln K under it: stuck_at_init. At its full step the model
    found nothing to learn; the small drop at the end came as the schedule ran the step down (the decayed steps
    starting to fit training's own examples), which neither more epochs nor a larger step carry on. K is known
    (given, or a classifier head's: a Trainer's config.json). A tiny BERT on two classes, lr 3e-3 under the
    Trainer's linear decay (``tests/fixtures/ecosystem/hf_held_at_ln2``): eval_loss 0.6936, 0.6931, 0.6931,
    0.6925, then 0.6899, 0.6881 as the lr fell under 1/3 of its peak, read "still improving, keep training" (97%)
    and, with K = 2, "lr too low" (88%); twice the epochs ended at 0.743 (best 0.6923) as training fell to 0.55,
    lr x 10 at 0.6932, lr / 10 at 0.6931. A step too small drifts from the first point instead, never at ln K
    (``hf_linear_decay_low_lr`` at lr 3e-5: 0.6865 -> 0.674, none of its points within 0.96% of ln 2): it stays
    decayed_at_a_guess's lr_too_low."""
    o, c = f.optimizer, f.chance
    k = c.classes if c is not None else None
    if o.lr_schedule != "decayed" or o.lr_ratio is None or o.lr_ratio >= GUESS_LR_DECAYED or not k or _higher(f) \
            or f.metric not in ("val_loss", "train_loss"):
        return None
    ref = math.log(k)
    held = _points_at_ln_k(f, k)
    if held is None:
        return None
    at, band = held
    y = f.y[np.isfinite(f.y)]
    level = float(f.smoothed[-1])
    if not (1 - GUESS_END_DROP) * ref <= level <= ref + band:
        return None
    peak = _peak_lr(o)
    ev = [f"{f.metric} sat at ln {k} = {ref:.4g}{_k_source(c)}, a uniform guess's loss, at {int(at.sum())} of its "
          f"{y.shape[0]} points (within {band:.2g}, {GUESS_BAND_SDS:g} noise sds); it went under it only as the logged "
          f"learning rate decayed (to {o.lr_ratio:.1%} of its peak{peak}), and ends at {level:.4g} = "
          f"{_pct(level / ref)} of ln {k}: at its full step the model learned next to nothing of the inputs; more "
          "epochs stretch the schedule, keeping the step large for longer, where it sat at a guess"]
    acts = ["check that the targets depend on the inputs: labels aligned with their inputs, features that carry the "
            "label (a simple model on the same inputs, a logistic regression, shows how much there is to learn)",
            "then the model and its step: a run at a constant learning rate shows whether it leaves ln K at all"]
    return Cause("stuck_at_init", 0.7, ev, acts + list(ACTIONS["stuck_at_init"][:2]),
                 {"held_at_guess": float(at.mean()), "level_rel": level / ref, "lr_ratio": o.lr_ratio})


def decayed_at_a_guess(f: Facts, t: Thresholds) -> Cause | None:
    """A loss that flattened still near ln K (≥ ``underfit_guess`` of it) while the logged lr was
    decayed to under 1/10 of its peak: the schedule ran the step down before the model learned more
    than a guess, so the flat end says nothing about what the model can reach -- a step too small
    (lr_too_low) fits as well as a model too small, and one retraining at 10x the lr tells them
    apart. (lr_too_low reads a decaying lr only where the descent kept its pace per unit of lr,
    :func:`annealed_early`: otherwise a slowing descent is the schedule's.) A tiny BERT under the Trainer's linear decay at lr 3e-5: eval_loss 0.687 -> 0.674
    = 97% of ln 2, the majority class's share throughout; at lr 1e-3 it reached 0.0019."""
    o, k = f.optimizer, (f.chance.classes if f.chance is not None else None)
    if o.lr_schedule != "decayed" or o.lr_ratio is None or o.lr_ratio >= GUESS_LR_DECAYED or not k or _higher(f) \
            or f.metric not in ("val_loss", "train_loss"):
        return None
    level, ref = float(f.smoothed[-1]), math.log(k)
    level_rel, of_guess = _guess_share(f, k, level)
    if level_rel < t.underfit_guess or _accuracy_past_guess(f, t):
        return None
    if _points_at_ln_k(f, k) is not None:
        return None  # (a step too small drifts from its first point; one that sat at ln K is held_at_a_guess's)
    peak = _peak_lr(o)
    return Cause("lr_too_low", 0.6,
                 [f"{f.metric} ends at {level:.4g} = {of_guess}, near a uniform "
                  f"guess, while the logged learning rate decayed to {o.lr_ratio:.1%} of its peak{peak}: the "
                  "schedule ran the step down before the model learned more than a guess; a step too small fits "
                  "this as well as a model too small"],
                 ["retrain at 10x the peak learning rate (losslens verify --cause lr_too_low): if the loss falls "
                  "far below ln K, the step was too small, not the model",
                  "an lr range test finds the range"], {"level_rel": level_rel, "lr_ratio": o.lr_ratio})


def _guess_share(f: Facts, k: int, level: float) -> tuple[float, str]:
    """``(share, words)``: how near ``level`` (nats) sits to a uniform guess's ln K, as a share of ln K, or, where the
    losses are label-smoothed (``Facts.label_smoothing``), of the way from the smoothed floor
    (:func:`losslens.facts.chance.smoothed_floor`) to ln K: a smoothed loss cannot go under that floor, so its share
    of ln K overstates how little was learned (0.1985 of ln 2's 0.6931 at ε = 0.1)."""
    ref, src = math.log(k), _k_source(f.chance)
    if f.label_smoothing is None:
        return level / ref, f"{_pct(level / ref)} of ln {k}{src}"
    eps, where = f.label_smoothing
    floor = smoothed_floor(eps, k)
    share = (level - floor) / (ref - floor)
    return share, (f"{_pct(share)} of the way from the smoothed floor {floor:.4g} (label smoothing {eps:g}, {where}) "
                   f"to ln {k} = {ref:.4g}{src}")


def _accuracy_past_guess(f: Facts, t: Thresholds) -> bool:
    """A logged validation accuracy (its last quarter) clearly above chance (:func:`_val_at_chance`) that also rose
    from its first evaluation by ``chance_margin`` of the way from there to perfect and by ``chance_z`` binomial
    standard errors (where the set's size is known): the model learned more than a guess, however near ln K its
    loss sits (two classes' cross-entropy is shallow: a calibrated model right 75% of the time pays H(0.25) = 0.562 =
    81% of ln 2). Measured from the first evaluation, not 1/K: an untrained model answers the majority class, and a
    tiny BERT at lr 3e-5 went 0.603 -> 0.620 on a 60/40 split, at 0.6519 = 94% of ln 2, where lr x 10 reached 0.046
    (tests/fixtures/ecosystem/hf_linear_decay_low_lr/cf_wide256). A tiny BERT at label smoothing 0.1 went 0.570 ->
    0.746 on 256 examples at eval_loss 0.621 and read "near a uniform guess" and lr_too_low (60%); lr x 10 ended at
    0.676 (tests/fixtures/ecosystem/hf_es_smoothed)."""
    c = f.chance
    if c is None or c.val_acc_tail is None or c.val_acc_start is None or c.chance is None \
            or not (math.isfinite(c.val_acc_tail) and math.isfinite(c.val_acc_start)) or _val_at_chance(c, t):
        return False
    rise, start = c.val_acc_tail - c.val_acc_start, c.val_acc_start
    if rise < t.chance_margin * (1 - start):
        return False
    if c.n_val and 0 < start < 1:
        return rise >= t.chance_z * math.sqrt(start * (1 - start) / c.n_val)
    return True


#: lr_too_high's strength from its tail's oscillation, lr_high_oscillation to 4x it: set by hand in 00b01cf; no
#: measurement recorded.
OSCILLATION_STRENGTH = (0.5, 0.85)


def lr_too_high(f: Facts, t: Thresholds) -> Cause | None:
    """A fixed step too large bounces around the minimum, blows up early, or kills the network.

    Fires when (the conditions in full, and the runs that set them): constant (or unknown) lr and the train or
    validation curve bouncing at its floor with sd ≥ 2% of its improvement (≥ 20 points; only a curve that improved
    ≥ 5 noise sds has a floor to bounce at, and one that improved less, a validation loss whose fall all came before
    its first evaluation, is measured against its own level instead, sd ≥ 10% of it: `_bounce_at_level`; not a
    validation curve climbing, t > 2, while training's tail still
    falls steadily, t < −3 and ≥ 10 noise sds, below validation's best, or already sits at ≤ 10% of validation's
    best, however flat: that spread is what the model memorises, as with flipped labels and an 80-row regression,
    where lr/10 reached no lower best; a training loss on a step axis is a batch's loss, whose spread is the batch
    drawn, so there only a validation curve counts, and an epoch-mean training loss's spread counts only where a
    validation loss beside it moves with noise ≥ ``BATCH_SCATTER`` of its own, `_batch_scatter`, and did not sit far
    below it throughout, `_val_below`: BatchNorm at batch 2, tests/fixtures/ecosystem/torch_bn_tiny_batch, nor where an
    epoch's mean counts fewer examples than validation scores, `_few_per_epoch`, whose spikes count only where
    validation was thrown with them; the bounce, spike and jump shares of a log that learned before its first check
    count its first value for that fall, `facts.learned_first`); or the loss
    frozen at one exact value for the last ≥ 10% of points after improving (a collapse, often at ln K; not 0 or a
    perfect accuracy, and not when the logged lr was decayed below 1/1000 of its peak: frozen weights, read as
    converged); or the training loss (≥ 20 points; its
    peak on a running median of 3) climbing ≥ 25% and ≥ 5 noise sds above its start in the first half, then coming
    back at least halfway (an early blow-up: stuck_at_init defers to it); read off the training loss alone with K
    not given, one that had got ≥ 5 noise sds below its start and ended back at least halfway up to it (a collapse:
    no ln K to recognise) gets no converged beside it; or, on epoch logs, epoch-mean training-loss spikes from its
    plateau on (its X, or the second half where X comes later; a jump ≥ 5 noise sds, the bar rising like sqrt(2 ln
    m) with the second half's m points, and ≥ 5% of its improvement, above a running median of 5; before the second
    half against the larger of that stretch's noise and the second half's, and two separate spikes or more: one that
    came back is a one-off there, as for `jumped` — a 16-16 MLP's one spike at SGD 0.3 went on to 0.001 where lr /
    10 ended at 0.04; not while the model memorises, `_memorising`: DeepOBS' fmnist_2c2d at its tuned SGD 0.158
    spikes as its training loss reaches 1e-4, and lr / 10 does no better; DeepOBS svhn_wrn164 at Adam 0.016, spiking
    to 11.4 at epoch 43 of 160, read converged where the grid's Adam 0.0016 reached a best test loss of 0.258
    against its 0.460; not a spike that is one batch's loss, `_batch_spikes`: on steps whose logged grad_norm was
    inf/NaN (an fp16 GradScaler's skipped steps), or ≥ 100x the level around it, back at the next point, validation
    unmoved -- said beside the verdict, its action to check that batch's data; a spike under 5% of the improvement counts where it lifts the epoch's mean ≥ 50% above the
    running median around it, ``spike_level``, at the curve's floor, that median within 2x its last quarter's, and
    validation thrown ≥ 3 noise sds above its own running median at that epoch's end or the next: both
    the spike's share and the bounce's sd are shares of the whole improvement, which, for a curve that fell from ln K
    to a floor a few percent of it, is nearly its start, so a step that doubles the loss at that floor reads as 2% —
    a Keras digits MLP at SGD 1.8, no momentum, bounced 1.3-2.0 for 15 epochs, then its training loss jumped 0.06 ->
    0.116 at epoch 52 (2.2% of its 2.85 fall; validation's bounce sd 0.4%) and read still_improving 82% with
    lr_too_high unlisted, where SGD 1.0 ends at val 0.108, 40% lower, and 120 epochs at 1.8 a best only 3.4% lower,
    tests/fixtures/ecosystem/keras_walk39), checked before overfitting: fix an unstable run before judging its
    generalization; or
    validation that improved beyond its noise, then climbed back above its first value (or to ln K with accuracy at
    1/K: a uniform guess) while training never got below it (the steps undo what was learned: not overfitting, which
    needs training below validation), or validation best at its first point that then climbed ≥ 10% above it while
    training, learning, never got below it; or, under any lr schedule (OneCycleLR's peak too), both curves back at
    ln K after both were well below it, validation accuracy at 1/K: a network knocked back to a uniform guess, with
    no overfitting, underfitting or converged read beside it; or both losses ending at ln K (within 2%) with the
    accuracies at 1/K while the training loss, having fallen ≥ 1% from its start, holds above ln K by > 3 sds of its
    last quarter's scatter, or above it at more of those points than jitter about ln K gives (a sign test, ≥ 3 sds
    above half of them: DeepOBS cifar10_3c3d at Adam 0.016, 2.3026–2.3054 over its last 25 epochs, 1.8 sds above ln
    10 at its median, read underfitting), and is not falling (t > −3): the output bias alone reaches the prior's
    entropy, ≤ ln K, so a stable step settles there or below (Keras SGD(3.0) on digits with `validation_split`: an
    epoch-mean first loss of 2.53, 1.1x ln 10, then 2.32–2.34 against ln 10 = 2.303, read underfitting from its
    CSVLogger file and from the callback alike; lr 0.3 reached val accuracy 0.91; not a network never updated, which
    holds its untrained loss); or validation that reached its best out of a bounce, a climb ≥ 5 noise sds and ≥ half
    its improvement above its previous best during which the epoch-mean training loss rose too (≥ 5% of its
    improvement: both worse at once), which a run stopped early shows before 20 points; a validation curve first
    checked after training's first point (Keras' `validation_freq`) measures its bounce against the improvement it
    would show from there (training's drop before the first check added); or, with no training accuracy and K known,
    a training loss whose last quarter sits at ≥ 95% of ln K after starting ≥ 2x ln K (the first steps threw the
    outputs out and it never got below a guess); or, under a logged schedule that cut the lr, the epoch-mean
    training loss climbing back ≥ 50% of what it had gained (and ≥ 5 noise sds) while the lr was still at its peak;
    or, under a constant (or unknown) lr and wherever in the run they fall, however few its points, the diagnosed
    curve jumping off the best it had reached by ≥ half the improvement made by then and ≥ 5 noise sds (its
    improvement by then ≥ 5 noise sds and ≥ 1% of its start; a log that starts late, a resume read alone, counts its
    first value for the fall it did not see, here and in the bounce and spike shares, `missed_improvement`; the
    noise from second differences of the other points), and back at the next point, twice or more (`jumped`,
    `facts.optimizer.jumps`; not while the model memorises, as the bounce rule), or its last point jumping so from a
    point near its best (`possible`, no X, no converged beside it: not a plateau, too early to tell a bounce from a
    divergence) — a Keras SGD at lr 1.2 on digits, val 0.55 → 8.63 → 0.21 → 2.77 → 0.13 in its first 8 epochs, read
    "converged, stop at epoch 7" at epoch 12 and "converged, plateau at epoch 0" on its first 5
    (`tests/fixtures/ecosystem/keras_sgd_spikes`); one such jump is a one-off and leaves the verdict alone; or a
    classifier that learned nothing of its inputs: two classes, validation accuracy the same at every one of ≥ 10
    points (no decision flipped) and the validation loss's last quarter ≥ 95% of the entropy of that accuracy's
    split (what a constant prediction scores at best); K > 2 or unknown, validation accuracy below 1/2 at no point
    above its first, nor lower at the end (2 binomial standard errors), and the validation loss ≥ 95% of ln(1/acc)
    (a distribution's entropy is at least −ln of its largest share) — either with the training loss started ≥ 2x
    above ln 2 and above where validation ends (the first steps threw the outputs out; one that started where an
    untrained model does is left alone: no signal looks the same) — still_improving and lr_too_low are then not read
    (falling toward a constant prediction's loss) and a still-falling curve has no X; or the first layer's gradient
    norm (logged per layer: the callbacks on torch) > 0, then exactly 0 at every point to the end, over at least the
    run's last quarter (`units_died`): its units died, nothing of the inputs reaches the output, and a bigger model
    dies alike — no underfitting, overfitting or converged beside it, the first action a restart at 1/10 of the rate
    (a digits ReLU MLP at SGD 2, momentum 0.9, and Lightning at SGD 5, the first layer dead from epoch 1–4, read
    "underfitting: a bigger model"; a tenth of the rate reaches val 0.29–0.37,
    `tests/fixtures/ecosystem/sgd_dead_relu`); or, K known and no accuracy logged, a training loss at ≥ 95% of ln K
    held above ln K as above (the bias thrown past the prior's entropy).

    Not a bounce off losses that started and stayed at ln K (`_never_left_guess`): a guess has no floor reached by
    learning, so its spread is no step's; nor, K unknown, off a curve that moved under ``stuck_rel`` of its level in
    both its fall and its scatter (`_never_moved`).

    Named bars it reads itself (:class:`Thresholds`): ``improving_t``, ``lr_high_floor_noise``,
    ``lr_high_oscillation``, ``lr_low_drift_noise``, ``shape_min_points``; the helpers it calls read more, and a bar
    of its own is a named constant or a literal commented where it is read.

    First actions: lower lr / decay schedule; larger batch; an adaptive optimizer only where the run is not on one
    (on Adam: lower Adam's lr; unknown optimizer: "if on plain SGD"; `_fit_optimizer`); warm-up, clipping.

    The spike reading after a thrown start: where a loss's first point is ≥ 2x ln K, or, K unknown, the first
    validation loss over its wrong answers, loss / (1 − accuracy), is ≥ 2x ln 1000 nats each (more than an untrained
    classifier of up to 1,000 classes pays), the evidence says so and the first action is to standardize the inputs,
    then retune the rate (`_started_thrown`: unscaled breast_cancer at SGD 1e-3, first val_loss 6.32 at accuracy
    0.938, 102 nats a wrong answer, spikes to 1.92; lr 1e-4 keeps them, 1.64, ending 0.083 against 0.080;
    standardized at SGD 0.1 it ends at 0.010 with none; the verdict stays, the log cannot tell input scale from
    rate).

    With K given and the accuracy under 1/K, the class answered is not the largest and ln K, the class frequencies'
    entropy at most, is the bound quoted."""
    o = f.optimizer
    if o.lr_schedule not in (None, "constant") or f.n_points < t.shape_min_points:
        return None  # (a handful of epochs cannot tell bouncing from settling)
    # No X where the curve's first point is its smoothed lowest, no improvement at all: only the level reading can
    # hold there, the whole fall before the first evaluation (make_regression at SGD 0.05, batch 1: 0.138 after the
    # first epoch, then 0.17-0.43, torch_bs1_bounce_reg; lr / 10 ends at 0.119 against 0.278).
    no_x = f.plateau.index is None
    if no_x and _bounce_at_level(f, t) is None:
        return None
    # The epoch-mean training loss averages the bouncing away; the end-of-epoch validation loss
    # sees where the weights landed. Take whichever curve bounces more.
    # A curve whose improvement is itself within a few noise sds has no floor to bounce around:
    # its sd / improvement says nothing.
    # A training loss logged by step is one batch's loss (or a few batches' mean): its spread at the
    # floor is which batch was drawn, not the step overshooting. A character bigram model's batch
    # loss (tests/fixtures/logs/printed_nanogpt.txt) bounced by 7% of its improvement at lr 1e-2
    # and by the same at lr 1e-3 from its plateau on (validation loss 2.616 vs 2.620).
    per_batch = stepwise(f.axis_name)
    batch_noise = per_batch and not is_validation(f.metric)
    osc, name = (o.oscillation * _late_start_share(f) if f.plateau.improvement > t.lr_high_floor_noise * f.noise
                 and not batch_noise else 0.0), f.metric
    tp = f.train_plateau
    # (The training curve needs as many points as the shape rule: Lightning's default
    # log_every_n_steps=50 over short epochs leaves a handful of single-batch losses.)
    if f.train_oscillation is not None and f.train_oscillation > osc and tp is not None and not per_batch and not no_x \
            and f.train_points >= t.shape_min_points \
            and tp.improvement > t.lr_high_floor_noise * (f.train_noise or 0.0) and not _batch_scatter(f) \
            and not _val_below(f, t) and not _few_per_epoch(f):
        # (Nor where validation sat far below training throughout: the training loss is then taken through a
        # handicapped, random train-mode forward, and its epoch means scatter with that forward's draws at any step.
        # A digits MLP with BatchNorm at batch 2 (tests/fixtures/ecosystem/torch_bn_tiny_batch): training 2.15x
        # validation, the sd of its last 8 epoch means 0.015-0.025 where rescoring the training set at the final
        # weights over 30 fresh shuffles, no update, moved the mean by sd 0.032-0.034 (make.out); validation's own
        # sd 0.45% of its improvement; lr / 10 and lr x 3 both ended higher, batch 64 at a sixth of it. Dropout's masks
        # scatter it alike: Lightning's digits MLP at dropout 0.8 and lr 1e-2 (lightning_dropout/drop0.8_lr0.01)
        # read lr_too_high "also likely" here, training's noise 0.022 against 0.018 at lr 1e-3, the masks, not the
        # step, though lr 1e-3 ends at half its validation loss, which this log alone does not show.)
        # (Nor an epoch of a few batches, fewer examples than validation scores (_few_per_epoch): its mean scatters with
        # the batches drawn, as a per-step loss does. keras_steps_per_epoch/lr0.5_s1, 128 examples an epoch: "sd 2.4%
        # of its whole improvement", where lr / 10 from epoch 21 ended 26% higher, 0.196 against 0.155.)
        osc, name = f.train_oscillation, "train_loss"
    level = None
    if osc < t.lr_high_oscillation:
        level = _bounce_at_level(f, t)
        if level is None:
            return None
        osc, name = level, f.metric
    # No floor to bounce around: a tail still falling (significantly, and by ≥ 10 noise sds: the
    # drift, not the bounce, dominates) measures its spread against a small improvement so far. A
    # 1-unit MLP on circles, val 0.700 -> 0.629 and falling (t = -11, 51 sds) read both lr_too_low
    # and lr_too_high "likely" (sd 2.8% of its improvement); lr / 10 ended 11% higher. Nor one that still
    # falls steadily having closed a sliver of its start (_drifting): a digits MLP at SGD 1e-4 read "bounces
    # around its floor" at sd 2.5% of an improvement of 0.011 (2.304 -> 2.293, t = -10, lowest at its end).
    tr = f.train_trend if name == "train_loss" and f.train_trend is not None else f.trend
    if _drifting(tr, t) or _crawling(f, t):  # (_crawling's line drifts: _drifting(f.trend) is part of it)
        # (Nor a training loss's spread beside a diagnosed curve crawling straight down, a sliver from its start:
        # the weights still move downhill, so neither curve sits at a floor. A Lightning-logged digits MLP at SGD
        # 1e-4, validation 2.3129 -> 2.3098 in a line (t = -1500), training flat within its noise, read "bounces
        # around its floor: sd 6.5% of its improvement" of 0.004; lr 1.0 reaches 0.11.)
        return None
    if name == f.metric and _memorising(f, t):
        return None
    if _never_left_guess(f, t) or (level is None and _never_moved(f, t, name, osc)):
        return None
    if level is not None:
        return _level_bounce_cause(f, level)
    conf = _ramp(osc, t.lr_high_oscillation, 4 * t.lr_high_oscillation, *OSCILLATION_STRENGTH)
    bound = "ceiling" if _higher(f) and name == f.metric else "floor"
    ev = [f"{name} bounces around its {bound}: over {_tail(f)} its sd is "
          f"{_pct(osc)} of its whole improvement"
          + _missed_words(f, f.train_missed if name == "train_loss" and name != f.metric else f.missed)]
    if o.lr_schedule == "constant":
        ev.append(f"with a constant learning rate {_lr(f)}")
    held = _held_near_val_best_words(f, t)
    if held:
        ev.append(held)
    # (The JSON carries the spread the evidence quotes: training's where that is the curve read, and the metric's
    # scaled to its late start; the metric's raw one read 90% beside a quoted 4.3%.)
    return Cause("lr_too_high", conf, ev, ACTIONS["lr_too_high"], {"oscillation": osc})


#: :func:`_batch_scatter`: a validation loss whose noise sd is under this share of the training loss's has weights that
#: did not bounce. Measured: every benchmark run whose training curve lr_too_high read (its spread >= 2%) had
#: validation at >= 0.66 of training's noise (a step that overshoots moves the weights validation is evaluated at, and
#: the epoch mean averages part of that away); the moons MLP at SGD 0.003 whose ragged last batch set training's
#: scatter had validation at 0.024 of training's noise (``f.noise / f.train_noise``: 2.5e-04 / 0.0107 over the
#: Monitor's 156 epochs; 0.026 over the CSV's 200) (tests/fixtures/ecosystem/torch_moons_slow_sgd).
BATCH_SCATTER = 0.25


def _batch_scatter(f: Facts) -> bool:
    """Whether the training loss's epoch-to-epoch scatter is the batches its epoch means averaged, not the steps:
    the validation loss, evaluated on the same held-out set at the weights each epoch ended at, moves with noise under
    ``BATCH_SCATTER`` of training's (both :func:`losslens.facts.smoothing.noise_sigma`: the robust sd of the residuals
    around a smooth, in the loss's units). A step too large throws the weights about and validation sees where they
    landed; here they moved smoothly. A 2-64-64-2 MLP on make_moons at plain SGD 0.003, batch 32 over 420 points:
    the unweighted mean of 13 batches of 32 and one of 4 (make.out: sd 0.014 over epochs 150-199, sample-weighted
    6.6e-05, validation's 9.7e-05) put validation's noise at 0.024 of training's (2.5e-04 / 0.0107), and read
    "train_loss bounces around its floor: sd 2.4% of its improvement" live (the Monitor's own stop at epoch 156)
    where lr / 10 from epoch 80 ended 3.6% higher and lr x 10 28% lower
    (tests/fixtures/ecosystem/torch_moons_slow_sgd). Dropout and augmentation scatter a training loss alike. Only a validation loss is compared: a score is in other units."""
    if f.metric != "val_loss" or not f.train_noise or not np.isfinite(f.noise):
        return False
    return f.noise < BATCH_SCATTER * f.train_noise


#: :func:`_bounce_at_level`: a validation loss whose tail points scatter with a robust sd of >= 10% of the tail's own
#: median bounces, not settles: twice the 5% band X is read in, so its points leave the band a flat curve keeps to.
#: A linear regression at plain SGD 0.25, batch 8 (tests/fixtures/ecosystem/torch_sgd_bounce_reg), scatters at
#: 12-24% of its level over seeds 0-3; at 0.025 from epoch 1 on, 1.6%; lr 0.09 at batch 32 (torch_reg_floor's
#: reg_floor_sgd, at its noise floor), 1.7%.
LEVEL_BOUNCE = 0.10


def _bounce_at_level(f: Facts, t: Thresholds) -> float | None:
    """The spread of a validation loss that learned all it shows before its first evaluation, as a share of its own
    level: the tail's robust residual sd over its median (≥ ``LEVEL_BOUNCE``), or None where that is not the reading.

    The bounce rule measures the spread against the curve's whole improvement, and only where that improvement is
    ≥ ``lr_high_floor_noise`` noise sds: a curve that reached its stationary level within its first epoch shows
    an improvement its own bounce swamps, and read "converged, plateau at epoch 0" with lr_too_high not listed (a
    linear regression, y = Xw + N(0, 0.1^2), 1,000 rows, plain SGD 0.25 at batch 8: validation 0.010-0.035 for 40
    epochs against a floor of 0.01; lr / 10 from epoch 1 ended 43-54% lower over 4 seeds,
    tests/fixtures/ecosystem/torch_sgd_bounce_reg). Read only: on a validation loss (an epoch-mean training loss
    averages the bounce away; a batch's loss scatters with the batch drawn), lower is better, where the
    improvement-based reading has no floor (improvement < ``lr_high_floor_noise`` noise sds) and the curve made no
    fall beyond its noise after its first point (:func:`_no_fall_after_first`), with the training loss fallen ≥
    ``lr_high_floor_noise`` of its noise sds (the model learned: a run that never left its start scatters around
    no floor it found). Scatter is read as bouncing because a fixed validation set's loss changes only when the
    weights do: from one evaluation to the next it moves as far as the weights moved it, not by a fresh draw of
    data."""
    if _higher(f) or not is_validation(f.metric) or f.plateau.improvement > t.lr_high_floor_noise * f.noise:
        return None
    tp = f.train_plateau
    if tp is None or not f.train_noise or not tp.improvement > t.lr_high_floor_noise * f.train_noise:
        return None
    if f.n_points < t.shape_min_points:
        # (A bounce is a shape, which fewer points cannot show: Keras' 10-epoch RNNs of Chollet's chapter 6, validation
        # 0.385, 0.302, then up to 0.40-0.45 while training fell 0.29 -> 0.11, read as bouncing at a level learned
        # before the first evaluation, and overfitting deferred to it.)
        return None
    # Its points after the first made no fall beyond their noise. Not _flat_after_first's bar on X's interval, which
    # asks where X can be dated, not whether the curve bounces at a level: the interval of lr0.25_seed1 read 0-34 only
    # while resamples ending in a dip put X at the end (facts.plateau.settled_min); read 0-10, it lost this reading.
    if not (_flat_from_start(f, t) or _no_fall_after_first(f, t)):
        return None
    rel = _level_spread(f)
    return rel if rel >= LEVEL_BOUNCE else None


def _level_spread(f: Facts) -> float:
    """The tail's robust residual sd as a share of its median (0 where that median is not above 0)."""
    level = float(median(f.y[f.trend.tail_start:]))
    return f.optimizer.tail_noise / level if level > 0 else 0.0


#: The strength of a bounce of its level, LEVEL_BOUNCE to 4x it: set by hand in 6834f14; no measurement recorded.
LEVEL_BOUNCE_STRENGTH = (0.5, 0.85)


def _level_bounce_cause(f: Facts, rel: float) -> Cause:
    """lr_too_high read off :func:`_bounce_at_level`'s spread ``rel`` (a share of the tail's level): confidence 0.5 at
    ``LEVEL_BOUNCE``, 0.85 at 4x it."""
    tail = f.y[f.trend.tail_start:]
    level, low, high = float(median(tail)), float(tail.min()), float(tail.max())
    tp = f.train_plateau
    ev = [f"{f.metric} bounces around its floor from its first evaluation: over {_tail(f)} its point sd is "
          f"{_pct(rel)} of its own level ({level:.4g}), between {low:.4g} and {high:.4g}, with no trend: its lowest "
          f"point {low:.4g}, and it sits {level / low:.2g}x above that on average",
          f"all of its fall came before its first evaluation (train_loss {tp.start:.4g} → {tp.floor:.4g}): its "
          "spread is measured against its level, not an improvement the log does not show"]
    if f.optimizer.lr_schedule == "constant":
        ev.append(f"with a constant learning rate {_lr(f)}")
    conf = _ramp(rel, LEVEL_BOUNCE, 4 * LEVEL_BOUNCE, *LEVEL_BOUNCE_STRENGTH)
    return Cause("lr_too_high", conf, ev, ACTIONS["lr_too_high"], {"level_bounce": rel})


def _never_moved(f: Facts, t: Thresholds, name: str, osc: float) -> bool:
    """The curve ``bounced`` reads (``name``: training's or the metric's, its spread ``osc`` x its improvement) scatters
    by less than ``stuck_rel`` (1%) of its level, and it and the other loss logged each improved by less than that
    share of its start: a run that moved under 1% in every sense reached no floor to be thrown off, and its spread
    over a sliver of improvement says nothing of the step; a step too large throws a loss by more than 1% of its
    level. K unknown, where
    :func:`_never_left_guess` cannot see ln K: a Lightning-logged 10-layer sigmoid MLP on digits at SGD 0.5, no
    accuracy logged, its first layer's gradient 4.3e-08 of the last's, training 2.3255 -> 2.311 and validation
    2.312 -> 2.303 (ln 10 = 2.3026), read "also likely: lr_too_high (85%) ... bounces around its floor: sd 10% of
    its whole improvement" (an sd of 0.0014, 0.06% of the level); lr / 10 stays at ln 10 too
    (tests/fixtures/ecosystem/lightning_sigmoid_stuck)."""
    tp = f.train_plateau if name == "train_loss" and name != f.metric else f.plateau
    if tp is None or _higher(f):
        return False

    def still(p) -> bool:
        start = abs(float(p.start))
        return math.isfinite(start) and start > 0 and p.improvement < t.stuck_rel * start
    # (Both losses: a training loss thrown far above ln K by the first steps that came back to it moved, and its
    # validation's spread at that level is the step's: torch_high_lr_relapse/cf_adam_lr0.1, training 3.31 -> 2.31.)
    return all(still(p) for p in (f.plateau, f.train_plateau) if p is not None) \
        and osc * tp.improvement < t.stuck_rel * abs(float(tp.floor))


def _never_left_guess(f: Facts, t: Thresholds) -> bool:
    """Both losses started at a uniform guess's loss, ln K (K given or inferred), and their floors sit there too
    (each first point and smoothed best within 1% of it, ``_at_a_guess``'s band; the training loss is required, the
    metric itself where that is diagnosed): the run never left chance, so its "improvement" is the output layer
    settling on the class prior, and the spread around it is a guess's sampling noise, not a step thrown off a
    minimum it found. A tanh RNN whose gradient vanished (tests/fixtures/ecosystem/torch_walk39c/rnn_vanish.csv,
    Adam 1e-3) went 0.6987 -> 0.6939 in validation and 0.6947 -> 0.6894 in training against ln 2 = 0.6931, 7 noise
    sds, and read "bounces around its floor: sd 11% of its whole improvement". A run whose first steps threw the
    training loss above ln K and which settled back at it (a digits MLP at Adam 0.1,
    torch_high_lr_relapse/cf_adam_lr0.1: training 3.31 -> 2.31 = ln 10) left the guess and is not this.

    Training's first point, an epoch's mean, may start further off where the validation accuracy shows predictions
    that still turn with the input (:func:`_decides_by_input`): a linear model on circles (Adam 1e-2, training
    0.736 -> 0.694, validation 0.6995 -> 0.692 against ln 2 = 0.6931, tests/fixtures/ecosystem/linear_circles)
    read "bounces around its floor: sd 8.7% of its whole improvement"; lr / 1000 ends at the same 0.692."""
    c, tp = f.chance, f.plateau if f.metric == "train_loss" else f.train_plateau
    if c is None or not c.classes or _higher(f) or tp is None:
        return False
    ref = math.log(c.classes)

    def at(v: float) -> bool:
        return math.isfinite(v) and abs(v - ref) <= AT_LN_K * ref
    return all(at(v) for v in (f.plateau.start, f.plateau.floor, tp.floor)) and (at(tp.start) or
                                                                             _decides_by_input(f, t))


def _jumps(f: Facts, t: Thresholds) -> list[tuple[int, float, float, bool]]:
    """The metric's jumps (:func:`losslens.facts.optimizer.jumps`) of ≥ ``bounce_range`` of the improvement made
    before them, under a constant lr or none logged: a schedule's restarts and warm-ups throw the loss up by design."""
    if f.optimizer.lr_schedule not in (None, "constant"):
        return []
    return [j for j in f.jumps if j[2] >= t.bounce_range]


#: jumped's strength, from bounce_range to 4x it: set by hand in 0217f5f; no measurement recorded.
JUMPED_STRENGTH = (0.55, 0.85)


def jumped(f: Facts, t: Thresholds) -> Cause | None:
    """The metric jumped off the best it had reached, by at least half the improvement made by then and 5 noise
    sds, and came back, twice or more (or its last point did, not back yet): the step throws the weights off the
    minimum they found. Read wherever the jumps fall, however few points: the shape rules' 20 points and
    ``unstable``'s second half miss a run that bounces from its first epochs (a Keras SGD at lr 1.2 on digits,
    fixture keras_sgd_spikes: validation 0.55 -> 8.63 -> 0.21 -> 2.77 -> 0.13 by epoch 7, read "converged, stop at
    epoch 7" at epoch 12; its 30 epochs read lr_too_high). One jump that came back is a one-off (a bad batch, a
    logging glitch): it leaves the verdict alone, and converged says it (:func:`converged`)."""
    if _memorising(f, t):
        return None  # (held-out predictions moved by what a memorising model fits: lr / 10 bounces alike, _memorising)
    if _flat_from_start(f, t):
        # (No minimum reached to be thrown off: a curve that never improved beyond its noise measures its "jumps"
        # against a best picked from that noise. test_verify's 15-epoch SGD regression: validation 0.0877 ... 0.0841,
        # flat from its first point, read "jumped 2 times" at 1.8x and 2.9x an improvement of 0.003.)
        return None
    js = _jumps(f, t)
    back = [j for j in js if j[3]]
    last = js[-1] if js and not js[-1][3] else None
    if len(back) < 2 and last is None:
        return None
    ax, sign = f.axis_name, _sign(f)
    y = sign * f.y

    def said(j):
        i, _, rel, _ = j
        return (f"{float(f.y[i]):.4g} at {ax} {_n(f.x[i])} ({_share_or_times(rel)} the improvement made by then"
                f"{_missed_words(f, f.missed)} above its best {sign * float(np.min(y[:i])):.4g})")
    top = max(js, key=lambda j: j[2])
    ev = []
    if len(back) >= 2:
        ev.append(f"{f.metric} jumped off its best and came back {len(back)} times: "
                  + "; ".join(said(j) for j in back[:4]) + (" ..." if len(back) > 4 else "")
                  + ": the step throws the weights off the minimum they reach")
    if last is not None:
        ev.append(f"its last point jumped to {said(last)}: not a plateau; too early to tell whether it comes back "
                  "(a bounce) or goes on up (a divergence)")
    if f.optimizer.lr_schedule == "constant":
        ev.append(f"with a constant learning rate {_lr(f)}")
    likely = len(back) >= 2
    conf = _ramp(top[2], t.bounce_range, 4 * t.bounce_range, *JUMPED_STRENGTH) if likely else 0.5
    numbers = {"jumps": len(back), "jump_range": top[2]}
    if last is not None:
        numbers["jump_at_end"] = float(f.x[last[0]])
    return Cause("lr_too_high", conf, ev, ACTIONS["lr_too_high"], numbers,
                 status="likely" if likely else "possible")


def _missed_words(f: Facts, missed: float) -> str:
    """Where a log starts late, what its improvement counts for the fall before it (:attr:`Facts.missed`)."""
    if not missed:
        return ""
    return (f" (counting its first value, {missed:.4g}, for the unseen fall before the log starts at "
            f"{f.axis_name} {_n(f.x[0])})" if math.isfinite(missed) else "")


def _memorising(f: Facts, t: Thresholds) -> bool:
    """Validation's tail climbing while training's still falls steadily, already below validation's best:
    the model goes on fitting its own labels, and what it fits moves its held-out predictions from epoch
    to epoch. That spread is not a step overshooting a minimum: a step too large could not keep lowering
    the training loss. A 30-64-64-2 MLP on breast_cancer with 30% of the labels flipped (Adam 1e-3): val
    best 0.558 at epoch 8, bouncing at 22% of its improvement, ending 0.757 with training at 0.306; lr/10
    from epoch 8 reached 0.562 and from the start 0.567, no lower (the clean labels: 0.084). The digits MLP
    with 35% flipped: 1.680, and 1.669 / 1.682 at lr/10."""
    g, tt, yt = f.generalization, f.train_trend, f.train_y
    if g is None or tt is None or yt is None or g.val_min is None or f.metric != "val_loss" or _higher(f):
        return False
    if not f.trend.slope_t > t.memorise_val_t:
        return False
    tail = _train_tail(yt)
    if tt.slope_t < t.improving_t and tt.tail_drop_noise >= t.lr_low_drift_noise:
        return tail < g.val_min
    # Or it has memorised already: a training loss a tenth of validation's best, however flat, is not a step
    # overshooting a minimum (that would bounce training too). 80 diabetes rows, Adam 1e-2: train 0.005 while
    # validation climbed from its best 0.437 bouncing to 0.96; lr/10 reached 0.435, no lower, only later.
    return tail <= t.memorised_share * g.val_min


def _memorised_noise(f: Facts, t: Thresholds, verdict: Cause) -> None:
    """An overfitting verdict whose validation bounces as it climbs (≥ ``lr_high_oscillation`` of its
    improvement) while the model memorises: say that a bouncing floor this high is what noisy labels give,
    and that a lower lr does not lower it (it only slows the memorising: early stopping does that)."""
    osc = f.optimizer.oscillation * _late_start_share(f)
    if verdict.id != "overfitting" or not _memorising(f, t) or not f.plateau.improvement > 0 \
            or not t.lr_high_oscillation <= osc < math.inf:
        return
    g = f.generalization
    tail = _train_tail(f.train_y)
    falls = f.train_trend.slope_t < t.improving_t
    verdict.evidence.append(
        f"val_loss bounces as it climbs (sd {osc:.0%} of its improvement) while train_loss "
        f"{'still falls steadily' if falls else 'sits memorised'} "
        f"({tail:.4g}, below validation's best {g.val_min:.4g}): the spread is what the model memorises moving its "
        "held-out predictions, not a step too large ("
        + ("that could not keep lowering the training loss)" if falls else "that would bounce the training loss too)"))
    start = float(f.y[0])
    c = f.chance
    classifier = c.classes is not None or c.val_acc_tail is not None or c.train_acc_tail is not None
    # The first value stands for the untrained model's loss. A log whose first point comes after an epoch that
    # learned most of it starts lower: a classifier's cross-entropy starts at ln K or above (a uniform guess
    # over K >= 2 classes), so the floor is set against that where it is higher. Keras' IMDB example, logged
    # from epoch 1 at val_loss 0.4016 (accuracy 0.86 already), best 0.2735: 68% of the first value, 39% of
    # ln 2; the flipped-label runs below stay at 81-83%.
    guess = math.log(c.classes) if c.classes else math.log(2)
    yardstick, said = (start, f"its first value {start:.4g}") if start >= guess else \
        (guess, f"an untrained classifier's {'ln %d' % c.classes if c.classes else 'ln 2'} = {guess:.3g} (its first "
                f"value {start:.4g} came after training had begun)")
    # (Measured on classifiers with flipped labels; a regression's held-out floor is mostly its targets'
    # own noise -- 80 diabetes rows: best 61% of the first epoch's -- and says nothing of wrong labels.)
    if start > 0 and classifier and g.val_min >= t.noisy_floor * yardstick:
        # (Its accuracy climbing on as the loss climbed back all it gained: the validation set's own labels or inputs
        # are as likely, and _wrong_on_validation's check names both.)
        on_val = "val_rise_past_gain" in verdict.numbers
        verdict.evidence.append(
            f"validation's best {g.val_min:.4g} is {g.val_min / yardstick:.0%} of {said} while "
            "training fits below it: a held-out floor this high under memorising is what wrong labels give"
            + (", or validation inputs from another distribution" if on_val else ""))
        if on_val:
            return
        verdict.actions.append(Action("check the labels: a share of wrong or ambiguous labels is fitted one by one "
                                      "(look at the training examples with the highest loss); a lower lr only slows "
                                      "the memorising, early stopping keeps the best", CHECK_LABELS))


def _prior_level_unstated(f: Facts, t: Thresholds, verdict: Cause) -> None:
    """An ``overfitting`` verdict on a validation loss that improved on its first check by under
    ``no_signal_val_share`` of what training gained from its first point, no constant's level stated
    (``--baseline-loss``): say that targets shuffled against the inputs read so, beside a model that learned all that
    carries over in its first epoch, and how to tell them (the loss of predicting the label or token frequencies,
    :func:`losslens.baseline_loss`). The log cannot: the first epoch learns those frequencies before validation's
    first check, so validation starts under training's first point either way.

    A character-level GRU whose next-character targets were shuffled against its input windows
    (tests/fixtures/ecosystem/torch_charlm_shuffled): val_loss 3.084 at its first check, best 2.944, 8.6% of
    training's gain (3.94 -> 2.40), against 2.866 for the validation characters' frequencies; read overfitting,
    "regularize"; with --baseline-loss 2.866, no_signal. Its twin on the real targets: 3.006 -> 1.770, 39%. Five
    independent labels unrelated to the inputs under BCE (torch_multilabel_nosignal): 1% (0.5633 -> 0.5605 against
    0.554 for the labels' prevalences)."""
    g, tp = f.generalization, f.train_plateau
    if verdict.id != "overfitting" or f.metric != "val_loss" or f.baseline is not None or g is None or tp is None \
            or g.val_min is None or not tp.improvement > t.stuck_rel * abs(tp.start):
        return
    if _val_acc_learned(f, t):
        return  # (labels without signal leave validation accuracy where it began: these carry some)
    gain = float(f.y[0]) - g.val_min
    # (Training ending above validation's best fitted nothing validation lacks: no memorising to read.)
    if gain >= t.no_signal_val_share * tp.improvement or g.val_min >= tp.start \
            or tp.start - tp.improvement >= g.val_min:
        return
    verdict.evidence.append(
        f"val_loss improved only {_pct(max(gain, 0.0) / tp.improvement)} as much as train_loss from their first "
        f"points ({float(f.y[0]):.4g} -> {g.val_min:.4g}, against {tp.start:.4g} -> "
        f"{tp.start - tp.improvement:.4g}): targets shuffled against the inputs read so (the first epoch learns the "
        "label or token frequencies, all such a model can carry over), and so does a model that learned all that "
        "carries over in its first epoch; the log cannot tell them apart, the loss of predicting those frequencies "
        "can")
    verdict.actions.append(UNSTATED_LEVEL_ACTION)


#: _val_acc_learned: a validation accuracy whose peak (running median of 3) stands this many binomial standard errors
#: of one evaluation above its first value learned something that carries over. fastai's one-cycle at lr_max 0.1 on
#: digits (tests/fixtures/ecosystem/fastai/history_cf_big_lr_div10.csv): 0.787 -> 0.901 on 797 examples, 7.9 of
#: them, its val_loss lowest at its first point, read "targets shuffled against the inputs read so" beside it.
VAL_ACC_LEARNED_SE = 3.0


def _val_acc_learned(f: Facts, t: Thresholds) -> bool:
    """Whether a logged validation accuracy shows the labels carry signal: clearly above chance where K is known
    (:func:`_val_at_chance` false), or, K unknown, its peak ``VAL_ACC_LEARNED_SE`` binomial standard errors over its
    first evaluation on its ``n_val`` examples. False where no accuracy (or its set's size) is known."""
    c = f.chance
    if c is None or c.val_acc_tail is None:
        return False
    if c.chance is not None:
        return not _val_at_chance(c, t)
    if not c.n_val or c.val_acc_start is None or c.val_acc_peak is None:
        return False
    p = min(max(c.val_acc_start, 1.0 / c.n_val), 1 - 1.0 / c.n_val)
    return c.val_acc_peak - c.val_acc_start >= VAL_ACC_LEARNED_SE * math.sqrt(p * (1 - p) / c.n_val)


#: _prior_level_unstated's action.
UNSTATED_LEVEL_ACTION = (
    "state what a constant prediction scores on validation: --baseline-loss VALUE, losslens.baseline_loss(y_val, "
    "loss) (\"crossentropy\" for class or token ids: their frequencies; \"bce\" for independent labels; \"mse\" "
    "for a regression); validation never clearly below it is no learnable signal: check the targets against the "
    "inputs")


#: overfitting's line where no training curve is logged beside the rise; _unread_losses says no more of it.
NO_TRAIN_CURVE = "no training curve logged: whether training went on improving is not known"


def _unread_losses(run: Run, f: Facts, verdict: Cause) -> None:
    """A loss the file logs with no finite value in it (NaN or blank throughout) is left out of the reading, and the
    report said nothing of it: a GAN log whose d_loss was NaN at every epoch read "still improving" on g_loss alone,
    a Keras log whose training loss was NaN throughout read on val_loss as if it were the whole run."""
    from .columns import adversarial_players

    players = adversarial_players(run.series)
    for name in run.series:
        if name == f.metric or run.has(name) or not (name in ("train_loss", "val_loss") or name in players):
            continue
        if name == "train_loss" and NO_TRAIN_CURVE in verdict.evidence:
            continue  # (the overfitting reading says so already, and what it cannot tell without it)
        verdict.evidence.append(f"{name} has no finite value in this file (NaN, inf or blank at every "
                                f"{f.axis_name}, or never logged): it is left out, and the verdict is read on {f.metric}")


#: The share of frozen weights (``trainable=False`` / ``requires_grad=False``, read by the callbacks) from which a
#: converged or underfitting verdict names unfreezing them.
FROZEN_SHARE = 0.1


def _frozen_weights(run: Run, verdict: Cause) -> None:
    """A run the callbacks saw with part of its weights frozen (a pretrained base with a new head) that converged or
    underfits: unfreezing them at a low lr is the lever before a bigger model or other data. Transfer learning as
    keras.io does it (tests/fixtures/ecosystem/keras_transfer): phase 1, the head on a frozen CNN, read converged
    ("change the data or the model"); the base fine-tuned at 1e-5 lowered val_loss 19% (the head trained on instead:
    13%); a Lightning BackboneFinetuning run's frozen phase read underfitting, and unfreezing took its val_loss from
    about 1.0 to 0.1."""
    fz = run.meta.get("frozen") if isinstance(run.meta, dict) else None
    # (A head still creeping down since X by a large part of its level, too slowly for its last quarter to show,
    # reads still_improving (_still_falling_since_x): keep training, but the lever is still the base. Phase 1 above
    # at 40 epochs: 22% lower along the line since X; the head trained on to 70 epochs gained 13%, the base 19%.)
    creeping = verdict.id == "still_improving" and "since_x_gain" in verdict.numbers
    if not fz or fz.get("share", 0) < FROZEN_SHARE or (verdict.id not in ("converged", "underfitting") and not creeping):
        return
    verdict.evidence.append(f"{_pct(fz['share'])} of the weights are frozen ({_count(fz['frozen'])} of "
                            f"{_count(fz['total'])}: trainable=False / requires_grad=False)")
    act = ("unfreeze the frozen weights (the top layers first) and fine-tune at a low lr, 1/10 to 1/100 of this one: "
           "the next lever before a bigger model or more data (with adapters by design, LoRA: a higher rank or more "
           "adapted layers)")
    verdict.actions.insert(0 if verdict.id == "underfitting" else min(1, len(verdict.actions)), act)


def _schedule_over(f: Facts, t: Thresholds, causes: list[Cause]) -> None:
    """still_improving's "keep training" where the logged lr was run to ~0 as the run ended (:func:`_schedule_ended`):
    more steps at that rate cannot follow the fall; the same decay over more of them can. A Trainer's linear decay to
    1.2e-07 over 20 epochs (an MLP regression at 1e-4, tests/fixtures/ecosystem/hf_linear_end) read lr_too_low, "a
    longer schedule", beside "also likely: still_improving → keep training"; the same decay over 60 epochs ended at
    0.49 against 1.50. Its "see the forecast" goes too: the forecast carries the curve on at the end rate's pace as
    though it held."""
    if not _schedule_ended(f, t) or f.optimizer.lr_ratio is None or f.optimizer.lr_ratio < LR_CUT_AGAIN \
            and not f.optimizer.lr_falling:
        return  # (cut and cut again, ReduceLROnPlateau without a floor, planned no schedule to stretch)
    for c in causes:
        i = next((i for i, a in enumerate(c.actions) if getattr(a, "kind", None) == KEEP_TRAINING), None)
        if c.id != "still_improving" or i is None:
            continue
        c.actions[i] = (f"the learning rate was decayed to {f.optimizer.lr_last:.2g}: steps that small cannot follow "
                        f"the fall; {SCHEDULE_LONGER}")
        c.actions = [a for a in c.actions if getattr(a, "kind", None) != SEE_FORECAST]


#: converged's data-or-model action where no lr is logged (_schedule_unseen).
SCHEDULE_UNSEEN = ("; but if the learning rate was decayed to about 0 by the end (none is logged here), try a longer "
                   "schedule first: the decay stretched over more epochs")


def _schedule_unseen(run: Run, f: Facts, verdict: Cause) -> None:
    """Converged's "to go lower, change the data or the model" where the log holds no lr: a schedule that ran the
    step to ~0 as the run ended flattens the curve there just as a floor does (:func:`_schedule_ended` reads it where
    the lr is logged), and nothing in the curve tells them apart, so a longer schedule is not ruled out. Keras's
    CSVLogger writes no lr under a ``LearningRateSchedule`` (CosineDecay): a Keras MLP regression at Adam 3e-4, cosine
    to 0 over 30 epochs (tests/fixtures/ecosystem/keras_cosine_nolr), read converged, "change the data or the model",
    where the same decay over 90 epochs ended 5% lower (0.4227 against 0.4452); a torch MLP on digits at SGD 0.01 so
    logged (session 45's walk), 55% lower (0.1605 against 0.359). Not for boosted trees (a fixed eta, no schedule)
    nor a scikit-learn MLP read from the estimator (its learning_rate options hold, scale down or divide the rate, none
    planned to 0), nor where the log states its schedule, nor where its source says the lr held (``constant_lr``: a
    scikit-learn MLP's ``loss_curve_`` saved as JSON beside params naming adam or a constant sgd step, which
    tests/fixtures/ecosystem/sklearn_mlp_lr1 and sklearn_mlpregressor_creep read with "if the learning rate was
    decayed to about 0 by the end")."""
    meta = run.meta or {}
    if verdict.id != "converged" or f.optimizer.lr_schedule is not None or _boosted_trees(run) \
            or meta.get("lr_schedule") or meta.get("format") == "sklearn_estimator" or meta.get("constant_lr") \
            or f.adversarial is not None:
        return
    i = next((i for i, a in enumerate(verdict.actions) if getattr(a, "kind", None) == DATA_OR_MODEL), None)
    if i is not None:
        a = verdict.actions[i]
        verdict.actions[i] = Action(str(a) + SCHEDULE_UNSEEN, a.kind, a.claim, a.at)


def _rl_reward_read(run: Run, f: Facts) -> bool:
    """The diagnosis reads an RL agent's episode reward (columns.rl_reward)."""
    from .columns import rl_reward

    return f.metric == rl_reward(k for k in run.metrics if run.has(k))


def _rl_step(causes: list[Cause]) -> list[Cause]:
    """"A smooth, steady climb: the step size sets the pace" is read off the climb's size against the curve's
    noise; an episode reward logged as a running mean (Stable-Baselines3's ep_rew_mean averages the last 100
    episodes) has had its noise averaged away, and reads so at any step size: PPO on CartPole, 30k steps, read
    lr_too_low at lr 3e-5, 3e-4 and 3e-3 alike. At 3e-4 lr x10 gave +20% reward (seed 0; +13% seed 1), lr x3.3
    +14%, lr/10 -61%, twice the steps +58%: training on is the surer lever, and the lr a possibility to try."""
    i = next((i for i, c in enumerate(causes) if c.id == "lr_too_low"), None)
    if i is None:
        return causes
    c = causes[i]
    c.status = "possible"
    c.evidence.append("an episode reward averaged over many episodes climbs smoothly at any step size: this "
                      "smoothness does not show the step is too small; an lr x3-x10 run tells")
    if i == 0 and any(x.id == "still_improving" for x in causes[1:]):
        causes.insert(0, causes.pop(next(j for j, x in enumerate(causes) if x.id == "still_improving")))
    return causes


def _reinforcement(run: Run, f: Facts, verdict: Cause, rl: bool) -> None:
    """An RL agent's log is read on its episode reward (columns.rl_reward), and the report says why its losses are
    not: Stable-Baselines3's PPO on CartPole (tests/fixtures/ecosystem/sb3_ppo) read "learning rate too high:
    train_loss jumps above its trend" off PPO's loss while the episode reward climbed 25 -> 247 and went on to
    climb when trained longer. ``rl``: the diagnosis reads that reward (:func:`_rl_reward_read`)."""
    if not rl:
        from .columns import rl_reward

        empty = rl_reward(k for k in run.series if not run.has(k))
        if empty is not None and f.metric != empty:
            # (A reward column with no finite value: the reading fell back to the algorithm's own loss.)
            verdict.evidence.append(f"{empty}, the episode reward an RL agent is judged on, has no finite value in "
                                    f"this file: the verdict is read on {f.metric}, which does not say whether the "
                                    "agent improves")
        return
    losses = [k for k in run.metrics if k.endswith("loss") and run.has(k)]
    if not losses:
        return
    shown = ", ".join(losses[:4]) + (" ..." if len(losses) > 4 else "")
    verdict.evidence.append(f"an RL agent's log: read on {f.metric}, its episode reward; its losses ({shown}) are not "
                            "read -- the data change with the policy and a value loss grows with the returns, so they "
                            "do not say whether the agent still improves")


#: _nothing_carries_over: training accuracy's peak at least this far (in accuracy) above validation's tail: the model
#: fitted its training data. Set in 45b3480 (Keras focal loss on shuffled digits labels: 0.93 beside 0.079); no
#: measurement of the bar recorded.
CARRY_OVER_GAP = 0.5


def _nothing_carries_over(f: Facts, verdict: Cause) -> None:
    """An overfitting verdict, K unknown, whose validation accuracy ended no higher than its first value (2
    binomial standard errors on n_val) while training accuracy climbed ≥ 0.5 above it: nothing the model fitted
    carries over, what labels unrelated to the inputs give (no_signal), and 1/K would tell. K is read off a
    first loss near ln K, which a focal loss does not start at (alpha (1 - 1/K)^gamma ln K: 0.47 for 10
    classes at Keras' defaults): digits with shuffled labels under CategoricalFocalCrossentropy read
    "overfitting, early stopping at epoch 0" where cross-entropy and label smoothing read no_signal
    (tests/fixtures/ecosystem/keras_focal)."""
    c = f.chance
    if verdict.id != "overfitting" or c is None or c.classes or c.val_acc_tail is None or not _first_acc_known(c) \
            or _higher(f):
        return
    a = c.val_acc_start
    if c.val_acc_tail > _above_first_acc(c) or c.train_acc_peak < c.val_acc_tail + CARRY_OVER_GAP:
        return
    verdict.evidence.append(
        f"validation accuracy ends at {c.val_acc_tail:.3f}, no higher than its first {a:.3f}, while training "
        f"accuracy reached {c.train_acc_peak:.3f}: nothing fitted carries over to held-out data; near 1/K that "
        "is no learnable signal (labels unrelated to the inputs), not a model to stop early")
    verdict.actions.insert(0, "pass the number of classes (--classes K, classes=K) to test validation accuracy "
                              "against chance 1/K, and check the labels and the data pipeline (shuffled or "
                              "misaligned labels?)")


#: _val_unlike_training: a training loss that ended at or under this share of ln K learned what a uniform guess cannot
#: (the same half of ln K that facts.chance.LN_K_FLOOR puts under any first loss read as an untrained one) ...
UNLIKE_TRAIN_END = 0.5
#: ... from a first point that was no further below ln K than that share (the log starts before training fitted its
#: data: validation's first check is then an early one, not one after a memorising the log does not show).
UNLIKE_TRAIN_START = 0.5


def _val_unlike_training(f: Facts, verdict: Cause, causes: list[Cause]) -> list[Cause]:
    """An ``overfitting`` verdict, K given or inferred, whose validation loss never went below a uniform guess's ln K
    at any of its ≥ ``MIN_POINTS_FOR_VAL`` points while the training loss, from a first point above
    ``UNLIKE_TRAIN_START`` of ln K (the log starts untrained, not late), ended at or under ``UNLIKE_TRAIN_END`` of it:
    no overfitting curve looks so, since a model overfits after it first learned what carries over (validation below
    the guess, then a rise); one whose validation never beat not learning at all was scored on data unlike what it
    learned from: a distribution shift, or another preprocessing or label mapping in the validation pipeline.

    The verdict stays (validation rose while training fitted), its evidence says so, and the actions change: the
    pipeline first, and what serves a shift that is real, in place of regularization and a smaller model, which do not
    reach it. Too few training examples to generalize from give the same curve (``FEW_EXAMPLES_PER_CLASS``; the tiny
    BERT of tests/fixtures/ecosystem/compare_hf_resume on 160 examples, validation never below ln 2 while accuracy
    reached 0.62-0.68): unless the log sizes the training set at enough a class, twice the data stays second, as the
    run that tells them apart, and ``data_limited`` stays listed; where it does, a ``data_limited`` read off the gap
    alone is dropped (a measured learning curve stays).
    A 64-64-64-10 MLP on digits validated on held-out digits rolled one pixel (tests/fixtures/ecosystem/
    torch_val_shifted): val_loss lowest at its first epoch, 3.58 / 2.86 (seeds 0 / 1) against ln 10 = 2.30, rising
    to 12.9, while validation accuracy climbed to 0.31 and training fell to 0.0014, read "overfitting: regularize,
    a simpler model, more data". Weight decay 0.1 left the best at 3.57, dropout 0.5 ended higher (15.7), half the
    training data ended lower (best 3.21); training on images shifted a pixel either way took validation to 0.13.
    Returns ``causes``."""
    if verdict.id != "overfitting" or _higher(f):
        return causes
    c = f.chance
    k = c.classes if c is not None else None
    if not k or k < 2 or f.metric != "val_loss" or f.train_y is None or f.missed:
        return causes
    lnk = math.log(k)
    y, yt = f.y[np.isfinite(f.y)], f.train_y[np.isfinite(f.train_y)]
    if y.shape[0] < MIN_POINTS_FOR_VAL or yt.shape[0] < MIN_POINTS_FOR_VAL:
        return causes
    low = float(y.min())
    start, end = float(yt[0]), float(median(yt[-max(2, yt.shape[0] // 4):]))
    if not low >= lnk or not start > UNLIKE_TRAIN_START * lnk or not end <= UNLIKE_TRAIN_END * lnk:
        return causes
    at = float(f.x[np.isfinite(f.y)][int(np.argmin(y))])
    ax = f.axis_name
    verdict.evidence.append(
        f"but val_loss never went below ln {k} = {lnk:.4g}, a uniform guess's loss{_k_source(c)}, at any of its "
        f"{y.shape[0]} {ax}s (lowest {low:.4g} at {ax} {_n(at)}), while train_loss fell from {start:.4g} at "
        f"its first {ax} to {end:.4g} over its last quarter ({_pct(end / lnk)} of ln {k}): a model overfits after it first learned what "
        "carries over, and this validation never scored better than not learning at all. That is validation data "
        "that do not look like the training data: a distribution shift, or another preprocessing or label mapping "
        "in the validation pipeline")
    if c.val_acc_peak is not None and c.chance is not None and c.val_acc_peak > c.chance:
        verdict.evidence.append(
            f"validation accuracy reached {c.val_acc_peak:.3f} (chance 1/{k} = {c.chance:.3f}): some of what was "
            "learned carries over to it, far less than training fits")
    # Too few examples to generalize from give this curve too (a tiny BERT on 96 examples, 48 a class, never got
    # below ln 2; on 512 it did: _few_examples); only a training set the log sizes at enough a class rules them out.
    n = f.train_examples[0] if f.train_examples is not None else None
    enough = n is not None and n / k >= FEW_EXAMPLES_PER_CLASS
    if not enough:
        verdict.evidence.append(
            "too few training examples to generalize from give this curve too" + (
                f" ({n} here, {_n(round(n / k, 1))} a class)" if n is not None else
                " (the log does not say how many there were)") + ": twice the data tells them apart (validation then "
            "gets below the guess; data unlike training's keeps it above)")
    kept = [a for a in verdict.actions if not _of_kind(a, GAP_REMEDY)]
    verdict.actions = [
        "check the validation pipeline first: the same preprocessing as training (a scaler fitted on training, the "
        "same crops, alignment, normalisation, channel order), the same label mapping, inputs drawn from the "
        "distribution training draws from; regularization and a smaller model will not reach this gap"] + (
        [] if enough else ["the pipeline right, retrain on twice the training data: too few examples give this "
                           "curve too, and more of them take validation below the guess (losslens verify --cause "
                           "data_limited runs it)"]) + [
        "if validation is what the model will meet, train on data like it: add such examples, or augment training "
        "toward the difference (shifts, crops, the preprocessing validation gets)"] + kept
    verdict.numbers["val_never_below_guess"] = lnk
    if not enough:
        return causes
    return [cause for cause in causes if cause.id != "data_limited" or "gain_if_doubled" in cause.numbers]


#: Training examples per class (K given or read, else two assumed: the most per class N can hold) under which a
#: model that memorised its training set while validation never beat chance may have had too few examples to
#: generalize from, as well as labels without signal. A tiny BERT on a keyword task with signal (lr 1e-3, 10% of
#: its labels flipped): on 96 examples, 48 a class, eval_loss never went below its first 0.691 and climbed to 2.3
#: while training memorised; on 512, 256 a class, it reached 0.366 by epoch 3
#: (tests/fixtures/ecosystem/hf_memorised_96). "A few hundred" a class: under the 256 that generalized there.
FEW_EXAMPLES_PER_CLASS = 250


def _few_examples(f: Facts, verdict: Cause, causes: list[Cause]) -> list[Cause]:
    """A ``no_signal`` verdict of a model that memorised (not one that fitted nothing, nor validation answered
    systematically wrong or on classes training never saw) on a training set the log sizes (``Facts.train_examples``:
    the Trainer's state, the callbacks) at under ``FEW_EXAMPLES_PER_CLASS`` a class: validation that never beat chance
    while training memorised is what labels without signal give and what too few examples give, and one run cannot
    tell them apart; twice the data can (a task with signal then falls below chance's loss, random labels stay
    there). Says so in the verdict's evidence, puts "more data" beside "check the labels" and lists ``data_limited``
    as likely. Not where the run says its labels were drawn at random (``meta["labels"]``: the lab's experiment 2,
    100 random images, 20 a class), which no size explains. Returns ``causes``, data_limited added where it was not."""
    if verdict.id != "no_signal" or verdict.status != "likely" or f.train_examples is None or f.labels_random \
            or any(k in verdict.numbers for k in ("decides_alike", "train_idle", "unseen_classes", "below_chance_sd")):
        return causes
    n, where = f.train_examples
    k = f.chance.classes if f.chance.classes and f.chance.classes >= 2 else None
    per_class = n / (k or 2)
    if per_class >= FEW_EXAMPLES_PER_CLASS:
        return causes
    size = f"{n} examples ({_n(round(per_class, 1))} a class{'' if k else ' if two'}; {where})"
    verdict.evidence.append(
        f"the training set is small: {size}. A model that memorises so few while validation never beats chance is "
        "what labels without signal show and what too few examples to generalize from show alike: this run "
        "cannot tell them apart; twice the data can")
    more = (f"or too few examples: retrain on twice the {n} (a task with signal then gets validation below chance's "
            "loss; labels without signal stay at chance at any size): losslens verify --cause data_limited runs it")
    i = next((i for i, a in enumerate(verdict.actions) if _of_kind(a, CHECK_LABELS)), len(verdict.actions) - 1)
    verdict.actions.insert(i + 1, more)
    verdict.numbers["train_examples"] = float(n)
    line = (f"the training set holds {size}, under {FEW_EXAMPLES_PER_CLASS} a class: few enough to memorise before "
            "anything generalizes, so validation may lack examples, not signal")
    dl = next((c for c in causes if c.id == "data_limited"), None)
    if dl is None:
        dl = Cause("data_limited", 0.5, [], list(ACTIONS["data_limited"]), {})
        causes = causes + [dl]
    dl.evidence.insert(0, line)
    dl.status, dl.confidence = "likely", max(dl.confidence, 0.6)
    dl.numbers["train_examples"] = float(n)
    return causes


#: _majority_held: validation accuracy at one value on at least this share of its points ("all but a tenth") ...
MAJORITY_HELD_SHARE = 0.9
#: ... and the loss's last quarter within these multiples of that split's entropy: a constant answer with
#: better-than-prior odds goes somewhat under it, a model deciding by its inputs far under (9f3ce5f, fresh_kinds2's
#: runs that decide by their inputs: 0.51-0.76 of it); no measurement of the ends recorded.
SPLIT_ENTROPY_BAND = (0.8, 1.5)


def _majority_held(f: Facts, t: Thresholds, verdict: Cause) -> None:
    """A loss still falling (or flat) while validation accuracy held one value from its first evaluations (all but
    a tenth of ≥ 2 ``frozen_acc_points``), short of perfect: not one validation decision flipped, so the fall is
    confidence in decisions already made. Where that one value is a share above 1/2 and
    the loss sits near or below the entropy of that split, the model answers the majority class for every input:
    more epochs move the probabilities, not the answers. A 95/5 make_classification task (fixture fresh_kinds2,
    SGD 1e-3): accuracy 0.950 and balanced accuracy 0.500 at 40 epochs and at 160 (loss 0.193 -> 0.173, read
    "keep training"); class weights 1:19 give balanced accuracy 0.708 in the same 40 epochs."""
    c = f.chance
    if verdict.id not in ("still_improving", "lr_too_low", "converged", "temporary_plateau") or c is None \
            or _higher(f) or not f.metric.startswith("val_") or c.val_acc_tail is None:
        return
    # An accuracy that never moved has no steps to read its set's size off (n_val None): its margins are then one
    # example's worth of the fewest a share that far from 1/2 and from 1 can be scored on, 1 / (1 - m)
    # (0.9 at every point: 11, one more than the 10 that 0.9 needs at the fewest).
    n = c.n_val or (round(1 / (1 - c.val_acc_tail)) + 1 if c.val_acc_frozen and c.val_acc_tail < 1 else None)
    if not n:
        return
    # Held from its first evaluations (all but a tenth of them): a model that climbed to its accuracy through
    # flipped decisions told the classes apart for a good part of the run (digits MLPs, Keras iris and wine
    # holding 0.97-0.98 over their last 30-38 of 40-60 epochs).
    if not (c.val_acc_points >= 2 * t.frozen_acc_points and c.val_acc_still >= MAJORITY_HELD_SHARE * c.val_acc_points):
        return
    m = c.val_acc_tail
    # A share clearly above 1/2 (2 binomial standard errors) and short of every example right.
    if not (MAJORITY + 2 * math.sqrt(MAJORITY * (1 - MAJORITY) / n) < m < 1 - 1.0 / n):
        return
    # Two classes: a first loss under ln 3 (an untrained binary model starts near ln 2; more classes start at
    # ln K), and training, where its accuracy is logged, answering no better than the majority either (a digits
    # MLP whose validation accuracy held 0.963 for 72 epochs fitted training to 1.0).
    if not float(f.y[0]) < math.log(3) or (c.train_acc_tail is not None and c.train_acc_tail > m + 2 * math.sqrt(
            m * (1 - m) / n)):
        return
    split = _prior_entropy(m, 2)
    tail = float(median(f.y[-max(2, f.y.shape[0] // 4):]))
    # Near the split's entropy: a constant answer with better-than-prior odds goes somewhat under it; a model that
    # decides by its inputs and is right that often sits far under it (those runs: 0.51-0.76 of it).
    if not SPLIT_ENTROPY_BAND[0] * split <= tail <= SPLIT_ENTROPY_BAND[1] * split:
        return
    verdict.evidence.append(
        f"validation accuracy is {m:.4g} at each of the last {c.val_acc_still} {f.axis_name}s: not one validation "
        f"decision flipped while {f.metric} moved ({tail:.4g} now, against {split:.4g} for a constant answer's "
        f"{m:.1%}/{1 - m:.1%} split): the model answers the majority class for every input, and more epochs move "
        "its probabilities, not its answers")
    verdict.actions.insert(0, "imbalanced classes: weight them in the loss (class_weight, weight=) or balance the "
                              "sampling, and judge by balanced accuracy or ROC AUC, which an accuracy at the "
                              "majority's share hides")
    verdict.numbers["majority_share"] = m


#: _at_the_prior: the verdicts a validation curve that never beat a constant answer's floor takes the lead from
#: (each reads the curve as a model that learned something of the inputs, or would with more of something).
PRIOR_READS = ("overfitting", "underfitting", "converged", "lr_too_low", "still_improving", "temporary_plateau")
#: ... validation's best loss at or above this share of the floor: a float32 mean of a few hundred terms, and the
#: best constant answer lands on the floor itself (a digits MLP with every unit dead: 0.29470 against 0.29458) ...
PRIOR_FLOOR_TOL = 0.995
#: ... and not where validation's end sits more than this share of the floor above its best: it rose while training
#: fitted on (dead units: 0.2823 against 0.2819) ...
PRIOR_VAL_ROSE = 0.02
#: ... and training within this factor of its own floor (dead units' biases settle on it: 0.33593 against 0.33593) ...
PRIOR_SETTLED = 1.02
#: ... with no training accuracy logged (scikit-learn's MLP), training's split is unknown, and differs from
#: validation's by sampling (90/10 make_classification: 0.895 training, 0.92 validation, floors 0.336 and 0.279):
#: training's loss under this share of validation's floor says it memorised while not one validation answer
#: flipped (shuffled labels: 0.200 against 0.325) ...
PRIOR_MEMORISED = 0.75
#: ... as does one under the floor still falling at the end by this t or more.
PRIOR_FALL_T = 3.0


def _at_the_prior(run: Run, f: Facts, losses: Facts | None, causes: list[Cause]) -> list[Cause]:
    """A classifier whose validation never did better than answering the majority class for every input, read as
    one that learned (overfitting, a bigger model, converged, a step too small): ``no_signal`` where training went on
    fitting below its own floor (it memorised labels the inputs do not predict), ``stuck_at_init`` where training
    sat at its floor too (one output for every input: dead units, whatever the labels).

    The floor is ``facts.chance.constant_answer``'s: validation accuracy held at its highest value m from its first
    evaluations and never past it, and the cross-entropy a constant answer scores at that share, which no model that
    ignores the inputs can go under. Fires where validation's lowest loss stays at or above ``PRIOR_FLOOR_TOL`` of
    it and training's first point was not under it already (a log that starts late); with no validation loss
    (scikit-learn's MLP) where validation accuracy held m at ≥ 2 ``CONSTANT_HELD_POINTS`` and training's loss says
    which (under ``PRIOR_MEMORISED`` of the floor, or under it and still falling: memorised; at or above it:
    pinned). Pinned (``stuck_at_init``) also needs training settled at its floor (``PRIOR_SETTLED``) or a logged
    AUC of exactly 0.5, and validation not to have risen off its best while training fell; memorised
    (``no_signal``) needs validation no longer falling (a live model started at the prior at a tiny step falls
    through the floor in time: tests/fixtures/ecosystem/prior_level's logistic regressions).
    With K unknown (two classes assumed off a first loss under ln 3) only where training accuracy is logged too:
    without it :func:`learned_prior`'s note names --classes, as before. A model that learned from the inputs on
    imbalanced classes goes well under the floor (90/10: 0.135 against 0.279) or past m (0.92 -> 0.965).

    Built on runs whose construction says the answer (tests/fixtures/ecosystem/prior_level): labels shuffled on
    90/10 make_classification and 91/9 digits-zero read overfitting 99% (val_loss at best 0.289 against the floor
    0.279, validation accuracy falling under the majority's 0.92 as memorising flipped answers); every hidden unit
    dead (biases at -20) read underfitting "a bigger model", converged or lr_too_low, and 4x the width stays at
    the floor. The lead it replaces stays listed behind it only where it is overfitting (validation did rise: the
    early stop is still the best kept).

    Under a skewed prior over more than two classes the formula's floor is an upper bound the prior beats, and the
    floor is where validation settled while its accuracy held one value at every evaluation (``prior_settled``,
    ``constant_answer``); lr_too_high's lead is taken there too (its bounce is a constant answer re-fitted), training's
    own floor is unknown (its split's frequencies), and training no longer falling (t > -``PRIOR_FALL_T``) reads
    pinned, still falling memorised. A next-token model fed zeros (tests/fixtures/ecosystem/prior_skewed: validation
    accuracy 0.23754 at all 30 epochs, val_loss 2.654 against the formula's 3.51) read lr_too_high 90%; lr / 10
    settles at the same level."""
    if not causes or f.higher_is_better and losses is None and f.metric != "val_acc":
        return causes
    c = f.chance
    if c is None or c.prior_share is None or not c.prior_loss:
        return causes
    # A level read where the loss settled under answers that never changed also takes the lead from lr_too_high:
    # its bounce is a constant answer's loss re-fitted step by step (the zeroed-input LM: lr/10 settles at 2.654
    # against 2.657).
    if causes[0].id not in PRIOR_READS + (("lr_too_high",) if c.prior_settled else ()):
        return causes
    m, floor = c.prior_share, c.prior_loss
    lf = losses if losses is not None else f
    val_loss = run.get("val_loss")
    train_loss = run.get("train_loss")
    tl = train_loss[np.isfinite(train_loss)] if train_loss is not None else np.empty(0)
    if tl.shape[0] < 3:
        return causes
    train_low = float(tl.min())
    if float(tl[0]) < PRIOR_FLOOR_TOL * floor:
        # Training's first logged loss already under the floor: the log starts after the model learned (a Keras
        # digits fit resumed at epoch 30, training 0.015, validation accuracy held at 0.917 for its 10 epochs), so
        # the accuracy held from "its first" evaluations is no constant answer's.
        return causes
    train_acc = accuracy_fraction(run.get("train_acc"))
    logged = train_acc is not None and np.isfinite(train_acc).sum() >= CONSTANT_HELD_POINTS
    if c.classes is None and not logged and not c.prior_settled:
        # K unknown, two classes assumed off a first loss under ln 3: a K-way model's floor is higher, and with
        # training's answers unlogged nothing else says which (learned_prior's note names --classes instead).
        return causes
    own = constant_answer(train_acc, c.classes, float(tl[0])) if logged else None
    # (Training's share m' and its floor: training answered m' at its held points, its own constant answer.)
    train_floor = own[1] if own is not None else floor
    # A training accuracy logged that left its constant answer's share: its answers moved, no constant output.
    pinned = (train_low >= PRIOR_FLOOR_TOL * own[1]) if own is not None else \
        (not logged and train_low >= PRIOR_FLOOR_TOL * floor)
    # With no training accuracy, a training loss under the floor and still falling steadily memorises (shuffled
    # digits zeros under scikit-learn: 0.271 against 0.325, t = -20 at the end); one that settled under it may be
    # training's own split, more unequal than validation's: not read.
    falling = f.train_trend is not None and f.train_trend.slope_t < -PRIOR_FALL_T
    if c.prior_settled and own is None:
        # Training's split has class frequencies of its own, whose loss the log does not give (the zeroed-input LM:
        # training 2.606, validation 2.657): training no longer falling is one answer fitted to them, pinned; still
        # falling at the end, it memorises.
        train_floor, pinned = None, not falling
    ax = lf.axis_name
    whose = "its own class frequencies" if own is not None else "validation's class frequencies"
    if val_loss is not None and np.isfinite(val_loss).sum() >= 3 and c.prior_settled:
        vl = val_loss[np.isfinite(val_loss)]
        best = float(vl.min())
        never = (f"validation accuracy is {m:.5g} at every one of its {c.prior_held} {ax}s from the first, not one "
                 "answer changed: one answer for every input, the most frequent class's share of validation's "
                 f"examples; val_loss settled at {floor:.4g} ({best:.4g} at its best), what that constant answer "
                 "scores on this split's class frequencies (a constant answer with a top share of "
                 f"{m:.4g} scores no less than {least_entropy(m):.4g}), and it never went under it")
    elif val_loss is not None and np.isfinite(val_loss).sum() >= 3:
        vl = val_loss[np.isfinite(val_loss)]
        best = float(vl.min())
        if best < PRIOR_FLOOR_TOL * floor:
            return causes
        never = (f"val_loss {best:.4g} at its best ({float(vl[-1]):.4g} at the end) never got below {floor:.4g}, "
                 f"what answering the majority class ({m:.4g} of validation's examples, its accuracy held at "
                 f"{c.prior_held} of {c.val_acc_points} {ax}s from its first and never above it) with the "
                 "class frequencies scores: no model that ignores the inputs can go under it, and this one never did")
    elif c.prior_held >= 2 * CONSTANT_HELD_POINTS:
        best = None
        never = (f"validation accuracy is {m:.4g} at {c.prior_held} of its {c.val_acc_points} {ax}s from its first "
                 "and never above it: what answering the majority class for every input scores (its share of the "
                 f"examples; the class frequencies' loss is {floor:.4g})")
    else:
        return causes
    if c.val_acc_end is not None and c.val_acc_end < m - SAME_ACCURACY:
        never += (f"; validation accuracy ends at {c.val_acc_end:.4g}, below that majority share: the answers it "
                  "changed, it changed for the worse")
    tt = lf.train_trend
    if best is not None and (float(vl[-1]) - best > PRIOR_VAL_ROSE * floor
                             or lf.trend.slope_t > PRIOR_FALL_T and tt is not None and tt.slope_t < -PRIOR_FALL_T):
        # Validation rose off its best, or rises at the end, while training fitted on: not one output for every
        # input, whose two losses move together (a K = 3 run at 90/5/5 read with classes=2, above the binary floor
        # and under its own K's: validation t = +4.5 at the end while training fell at t = -74).
        pinned = False
    auc = _auc_at_half(run)
    # One output for every input settles its bias at the class frequencies: training at its floor (within
    # PRIOR_SETTLED), or, still falling toward it, a logged AUC of exactly 0.5 saying so (Keras' dead units at its
    # default step: 0.41 against 0.325 after 50 epochs, val_auc 0.5 at each). A model still above the floor and
    # falling without that may as well be a live one at a tiny step.
    settled = train_low <= PRIOR_SETTLED * own[1] if own is not None else \
        f.train_trend is not None and abs(f.train_trend.slope_t) < PRIOR_FALL_T
    pinned = pinned and (settled or (auc is not None and "one score for every input" in auc))
    assumed = None if c.classes is not None or c.prior_settled else (
        "two classes assumed (K unknown; the first loss is under ln 3): a K-way model's class frequencies score "
        "more, and --classes K tests against that")
    if pinned:
        ev = [never,
              f"training's loss never went below {train_low:.4g}, against {train_floor:.4g} for {whose}: it gives "
              "every input the same answer, fitting only those frequencies" if train_floor is not None else
              f"training's loss settled too ({train_low:.4g} at its lowest, no steady fall at the end: t = "
              f"{f.train_trend.slope_t:.1f}): it gives every input the same answer, fitting only its split's class "
              "frequencies"]
        ev.extend(e for e in (auc, assumed) if e)
        if _falling(lf, DEFAULT):
            ev.append(f"{lf.metric} still falls, toward that floor: more epochs, or a larger step, only get it "
                      "there sooner, no lower")
        acts = [ACTIONS["stuck_at_init"][0] + ": an output that does not depend on the input (every ReLU unit "
                "dead, saturated units) scores the class frequencies' loss whatever the width; a bigger model "
                "stays there",
                "check that the inputs reach the model (not all zeros or constant) and the labels carry signal",
                ACTIONS["stuck_at_init"][1]]
        lead = Cause("stuck_at_init", 0.85, ev, acts, {"prior_loss": floor, "majority_share": m,
                                                        "constant_answer": 1.0})
        return [lead]
    if not logged and own is None and not (train_low < PRIOR_MEMORISED * floor
                                           or train_low < PRIOR_FLOOR_TOL * floor and falling):
        return causes
    if best is not None and lf.trend.slope_t < -PRIOR_FALL_T:
        # Validation still falls with training, toward the floor and maybe through it: a step too small as much as
        # labels without signal (a linear model started at the prior, SGD 1e-4 on the 90/10 task with its
        # labels as made: 0.2823 -> 0.2793 against 0.2788 in 40 epochs; 1e-3 gets 0.256). Memorising parts them.
        return causes
    if train_floor is None:
        fitted = (f"training's loss still falls at the end (t = {f.train_trend.slope_t:.1f}; {train_low:.4g} at its "
                  "lowest) while not one validation answer changed")
    elif train_low < PRIOR_FLOOR_TOL * train_floor:
        fitted = f"training's loss went on down to {train_low:.4g}, under {train_floor:.4g} for {whose}"
    elif own is None and logged and c.train_acc_peak is not None:
        fitted = (f"training accuracy rose to {c.train_acc_peak:.4g}, its answers no longer one class's (its loss "
                  f"{train_low:.4g} at its lowest)")
    else:
        return causes  # (training held its answers and its floor, while validation rose: nothing says which)
    ev = [never, fitted + ": it memorised its training labels, and none of it carried over"]
    ev.extend(e for e in (auc, assumed) if e)
    acts = ["check that the inputs carry signal about the labels: the data pipeline, the labels joined to the right "
            "rows (shuffled or misaligned?), one feature that should predict them plotted by class",
            "class weights, resampling or a balanced metric will not create signal: they trade majority errors for "
            "minority ones on the same information (ROC AUC says whether the scores rank the classes at all)",
            ACTIONS["no_signal"][1]]
    lead = Cause("no_signal", 0.85, ev, acts, {"prior_loss": floor, "majority_share": m, "val_best": best})
    return _no_signal_leads(lead, causes)


def _no_signal_leads(lead: Cause, causes: list[Cause], beside: str = "overfitting") -> list[Cause]:
    """``lead`` (a ``no_signal`` read off a level that says nothing carried over, or :func:`_above_the_baseline`'s
    ``stuck_at_init``) before the one reading it explains away: ``beside`` (an overfitting read off the same curves;
    lr_too_high beside a fit held above the level) is listed as possible, the other causes dropped (their remedies
    assume a model that learned something)."""
    kept = []
    for cause in causes:
        if cause.id == beside:
            cause.status, cause.confidence = "possible", min(cause.confidence, 0.5)
            kept.append(cause)
    return [lead] + kept


#: no_signal's actions where a regression's validation loss or score sat at a constant prediction's level
#: (_at_the_baseline, _r2_at_the_baseline): the targets, not the model, are what to check.
NO_SIGNAL_IN_TARGETS = (
    "check that the inputs carry signal about the targets: the data pipeline, the targets joined to the right rows "
    "(shuffled or misaligned?), one feature that should predict them plotted against them",
    "a constant prediction (the training targets' mean) scores as well as this model on new data",
    ACTIONS["no_signal"][1])


#: _at_the_baseline: a validation loss that never went more than this share under the stated loss of a constant
#: prediction explains under this share of the targets' variance (R² at its best, for MSE). A definition, not tuned:
#: a level stated from the whole data (1.0 for standardised targets) misses the validation set's own by its
#: sampling (0.977 on 300 examples, tests/fixtures/ecosystem/regression_baseline), which this share leaves room for.
BASELINE_CLEAR = 0.05


def _at_the_baseline(run: Run, f: Facts, causes: list[Cause]) -> list[Cause]:
    """A regression's :func:`_at_the_prior`: where the run states the loss one constant prediction for every input
    scores (``meta["baseline_loss"]``, ``--baseline-loss``: for MSE the targets' variance; ``Facts.baseline``) and
    validation's lowest loss never went more than ``BASELINE_CLEAR`` under it, a verdict that reads the run as one
    that learned (``PRIOR_READS``) gives way: ``stuck_at_init`` where training settled at the level too (within
    ``BASELINE_CLEAR`` of it, no longer falling: one output for every input, its mean), ``no_signal`` where training
    went on under it (it memorised targets the inputs do not predict). Nothing where validation still falls at the
    end (a step too small falls through the level in time), nor where training still falls from above the level
    (it may be a live model on its way).

    Built on runs whose construction says the answer (tests/fixtures/ecosystem/regression_baseline): targets
    shuffled under a 10-4-4-1 net read overfitting 97% (val_loss 0.977 at best against a level of 1.0, training
    0.982 and still falling at t = -180); every ReLU unit dead on targets of mean 3 read converged (89%) where only
    the output bias learned the mean: 4.53 -> 1.005. Without a stated level a regression has no "learned nothing"
    and both are read as before; a classifier's level is ln K or its class prior's (:func:`_at_the_prior`)."""
    if causes and causes[0].id in PRIOR_READS and f.higher_is_better and r2_named(f.metric) \
            and is_validation(f.metric):
        return _r2_at_the_baseline(run, f, causes)
    if not causes or causes[0].id not in PRIOR_READS + ("lr_too_high",) or f.baseline is None \
            or f.higher_is_better or f.metric not in ("val_loss", "train_loss"):
        return causes
    floor, source = f.baseline
    val_loss, train_loss = run.get("val_loss"), run.get("train_loss")
    if val_loss is None or train_loss is None:
        return causes
    vl, tl = val_loss[np.isfinite(val_loss)], train_loss[np.isfinite(train_loss)]
    if vl.shape[0] < 3 or tl.shape[0] < 3:
        return causes
    best, train_low = float(vl.min()), float(tl.min())
    if best < (1 - BASELINE_CLEAR) * floor:
        return causes
    vt = f.trend if f.metric == "val_loss" else None
    if vt is not None and vt.slope_t < -PRIOR_FALL_T:
        return causes  # (validation still falls: toward the level and maybe through it)
    tt = f.train_trend if f.metric == "val_loss" else f.trend
    falling = tt is not None and tt.slope_t < -PRIOR_FALL_T
    stated = "as stated: --baseline-loss, baseline_loss=" if source == "stated" else source
    labels = _labels_logged(run, f)
    worse = best > (1 + BASELINE_CLEAR) * floor
    if labels:
        # (A classifier's constant is the class frequencies, whose loss is no R².)
        what = ("predicting the label frequencies (each label's prevalence, for independent labels) does "
                + ("better" if worse else "as well") + "; "
                + (f"its best is {_pct(1 - best / floor)} under that level" if best < floor else
                   f"its best is {_pct(best / floor - 1)} above that level"))
    elif worse:
        what = (f"for MSE, validation R² {1 - best / floor:.3g} at its best: worse than predicting the targets' mean; "
                "for a cross-entropy, worse than predicting the class (or token) frequencies")
    else:
        # (The log names no accuracy: a regression, or a language model or classifier logging its loss alone.)
        what = (f"for MSE, validation R² {1 - best / floor:.3g} at its best and predicting the targets' mean does "
                "as well; for a cross-entropy, predicting the class (or token) frequencies does")
    never = (f"val_loss {best:.4g} at its best ({float(vl[-1]):.4g} at the end) "
             + (f"stayed above {floor:.4g}" if worse else f"never got clearly below {floor:.4g}")
             + f", what predicting one constant for every input scores ({stated}): {what}")
    rose = float(vl[-1]) - best > PRIOR_VAL_ROSE * floor
    settled = abs(train_low / floor - 1) <= BASELINE_CLEAR and not falling and not rose
    # (A classifier held at or above its label frequencies' loss is the prior rules' to read, against ln K.)
    if not labels and train_low >= (1 - BASELINE_CLEAR) * floor and not falling \
            and not (settled and causes[0].id in PRIOR_READS):
        return _above_the_baseline(f, causes, never, floor, train_low, best)
    if causes[0].id not in PRIOR_READS:
        return causes  # (a bounce at a level under the constant's is a model that learned: lr_too_high's to read)
    if settled:
        ev = [never, f"train_loss settled at {train_low:.4g} at its lowest, {train_low / floor:.3f}x that level: "
                     "it gives every input the same answer, " + (
                         "the label frequencies" if labels else
                         "the targets' mean (a classifier's: the class frequencies)")]
        acts = [ACTIONS["stuck_at_init"][0] + ": an output that does not depend on the input (every ReLU unit "
                "dead, saturated units) scores the constant's loss whatever the width; a bigger model stays there",
                "check that the inputs reach the model (not all zeros or constant) and the targets carry signal",
                ACTIONS["stuck_at_init"][1]]
        return [Cause("stuck_at_init", 0.85, ev, acts, {"prior_loss": floor, "baseline_loss": floor,
                                                        "constant_answer": 1.0})]
    if not (train_low < (1 - BASELINE_CLEAR) * floor or train_low < floor and falling):
        return causes
    ev = [never, f"train_loss went on down to {train_low:.4g}, under that level"
          + (f" and still falling at the end (t = {tt.slope_t:.1f})" if falling else "")
          + ": it fits its training targets, and none of it carries over"]
    acts = list(NO_SIGNAL_IN_TARGETS) if not labels else \
        [NO_SIGNAL_IN_TARGETS[0].replace("targets", "labels"), NO_SIGNAL_IN_LABELS, NO_SIGNAL_IN_TARGETS[2]]
    if not labels:
        acts[1] = acts[1].replace("(the training targets' mean)",
                                  "(the training targets' mean; for a cross-entropy the class or token frequencies)")
    lead = Cause("no_signal", 0.85, ev, acts, {"prior_loss": floor, "baseline_loss": floor, "val_best": best})
    return _no_signal_leads(lead, causes)


#: _at_the_baseline's second action where the run logs an accuracy (a classifier's constant: its class frequencies).
NO_SIGNAL_IN_LABELS = ("a constant prediction (the training labels' frequencies) scores as well as this model on new "
                       "data")


#: The constant a stated baseline is the loss of, as the headline of a run held above it names it, where the log
#: holds the loss alone (no accuracy, K not given): it does not say whether that loss is an MSE or a cross-entropy,
#: and names both, as the evidence does. "Worse than predicting the mean" alone headlined a character GRU held above
#: its token frequencies' entropy (tests/fixtures/ecosystem/torch_charlm_high_lr: 4.573 against 2.866).
CONSTANT_UNSAID = "the mean, or for a cross-entropy the token (or class) frequencies"


def baseline_constant(run: Run | None, f: Facts | None) -> str:
    """The constant prediction whose loss a run states as its baseline (``--baseline-loss``), in words, as the loss
    kind the log shows reads it: a classifier's label frequencies where it logs an accuracy or K is given
    (:func:`_labels_logged`), else :data:`CONSTANT_UNSAID`."""
    return "the label frequencies" if run is not None and f is not None and _labels_logged(run, f) \
        else CONSTANT_UNSAID


def _labels_logged(run: Run, f: Facts) -> bool:
    """Whether the run is a classifier's by what it logs: an accuracy beside the loss, or K given (``--classes``).
    A stated constant's loss is then the label frequencies' cross-entropy (``baseline_loss(y_val, "bce")`` or
    ``"crossentropy"``), not a variance."""
    return (f.chance is not None and f.chance.classes is not None and not f.chance.classes_inferred) \
        or any(run.get(k) is not None for k in ("val_acc", "train_acc"))


#: _above_the_baseline's actions: a fit that never reached a constant's loss on its own training data is one whose
#: steps could not follow the inputs (features of hundreds or thousands: tests/fixtures/ecosystem/
#: torch_unscaled_inputs, standardised 43x lower), or whose targets are not what the inputs say.
SCALE_FIRST = ("standardize the inputs first (StandardScaler on the training rows, a Normalization layer), and the "
               "targets too where they run to hundreds or more, then retune the rate: features of hundreds or "
               "thousands make a step that moves them too large for the others, at any rate")


#: _above_the_baseline's second action: a log of the loss alone does not say it is an MSE, and a language model
#: (or a classifier logging no accuracy) held above its token frequencies' loss has no inputs to standardize. A
#: character GRU at Adam 0.3 (tests/fixtures/ecosystem/torch_charlm_high_lr): val 4.57 at best, train 4.15, against
#: 2.866; lr / 10 reached 1.936, under it, where this rule's first action alone said standardize the inputs.
CROSS_ENTROPY_ABOVE = ("for a cross-entropy (a language model or classifier logging its loss alone: tokens or "
                       "labels, not features, go in), lower the learning rate: a step too large holds even the "
                       "training loss above the class (or token) frequencies' loss")


def _above_the_baseline(f: Facts, causes: list[Cause], never: str, floor: float, train_low: float,
                        best: float) -> list[Cause]:
    """:func:`_at_the_baseline` where training, too, never got clearly under the stated constant prediction's loss
    (its lowest point no more than ``BASELINE_CLEAR`` under it) and no longer falls, and it did not settle at it as one
    answer for every input does (that is the stuck branch's, where the verdict read learning): the model fits even the
    examples it trains on no better than one constant for every input would (the training targets' variance is that
    loss where they are drawn as validation's are). Not no_signal (targets without signal are memorised under the level: shuffled targets'
    10-4-4-1 net went to 0.982 and on down), not a floor to stop at (converged), nor a rate to lower alone
    (lr_too_high, kept possible behind it: a step too large along unscaled features is the same fault): the fit never
    got going, ``stuck_at_init`` in the vocabulary, worded "worse than predicting the mean", its first action the
    inputs' scale.

    An 8-64-64-1 MLP at Adam 1e-3 on features of scales 1-5000 (tests/fixtures/ecosystem/torch_unscaled_inputs):
    val_loss 11641 -> 493 in one epoch, then 10.5 at best against the validation targets' variance 6.62, training
    8.65 at its lowest; read converged at epoch 1 (89%) with --baseline-loss or without. Twice the epochs: best 7.44,
    last 11.27, training no lower (lr_too_high, the same reading); lr / 10: 19.19; the inputs standardised: 0.2425.
    Torch seeds 1-3 of the same run (best 6.30-8.94, training's lowest 6.90 at seed 1, 1.04x) read so too."""
    than = "worse than" if train_low > (1 + BASELINE_CLEAR) * floor else "no better than"
    ev = [never,
          f"train_loss {train_low:.4g} at its lowest, {train_low / floor:.3g}x that level, and no longer falling "
          f"(t = {(f.train_trend if f.metric == 'val_loss' else f.trend).slope_t:.1f}): it fits even the examples it "
          f"trains on {than} one constant would: the fit never got going, as inputs (or targets) at scales of hundreds or thousands leave it; targets "
          "without signal are memorised under that level, not at or above it"]
    acts = [SCALE_FIRST, CROSS_ENTROPY_ABOVE,
            "check the targets: their units, and that they are joined to the right rows",
            ACTIONS["stuck_at_init"][0]]
    lead = Cause("stuck_at_init", 0.85, ev, acts,
                 {"prior_loss": floor, "baseline_loss": floor, "train_over_baseline": train_low / floor,
                  "val_over_baseline": best / floor})
    return _no_signal_leads(lead, causes, beside="lr_too_high")


#: _unscaled_start: a held-out regression loss whose first point is at least this many times its next ...
UNSCALED_FIRST_DROP = 10.0
#: ... and this many times its smoothed floor: two orders of magnitude, most of them in one epoch ...
UNSCALED_SPAN = 100.0
#: ... and a noise sd of at least this share of that floor: a level bouncing that far at a held step is a step too
#: large along some inputs, which features of thousands make it. Set on tests/fixtures/ecosystem/
#: torch_unscaled_inputs (raw.csv 23.6x, 1,109x, noise 0.30 of its floor; torch seed 3 16.7x, 307x, 0.72; seeds 1
#: and 2 fell 6.8x and 2.5x in their first epoch and are not read). Not met by torch_reg_blowup/raw_adam0.01
#: (standardised inputs, targets of std ~150: 12.2x, 458x, but 0.085, a smooth fit the standardised twin matches,
#: 0.0033 of their variance), keras_epoch_numbers (2.9x, 186x, 0.147) or torch_reg_blowup/adam0.1 (7.9x, 156x).
UNSCALED_SCATTER = 0.15


def _step_losses(run: Run) -> tuple[np.ndarray, np.ndarray, float] | None:
    """``(steps, training loss at each, steps per epoch)`` of a run whose per-step training loss and epoch length
    the log gives: a folded Lightning or loop log's (``meta["step_train_loss"]``, ``meta["steps_per_epoch"]``), or a
    step-axis run that carries its whole-epoch index (``epoch_frac``); None otherwise."""
    from .readers.lightning import steps_per_epoch

    held = run.meta.get("step_train_loss")
    if held is not None and run.meta.get("steps_per_epoch"):
        return np.asarray(held[0], dtype=float), np.asarray(held[1], dtype=float), float(run.meta["steps_per_epoch"])
    if run.axis_name != "step" or "train_loss" not in run.series or "epoch_frac" not in run.series:
        return None
    spe = steps_per_epoch(run.series["epoch_frac"], run.axis)
    if spe is None:
        return None
    ok = np.isfinite(run.series["train_loss"])
    return run.axis[ok], run.series["train_loss"][ok], spe


#: The first action of a run whose steps were clipped to a small share of their gradient (_clipped_steps).
CLIP_LESS = "clip_less"
#: A clip factor (the step's gradient norm over backward's, the probe's ``grad_clip_ratio``) this small or smaller
#: shrinks the step by 10x or more, the factor lr_too_low's advice moves the lr by; the tight-clip digits MLP
#: (tests/fixtures/ecosystem/torch_clip_tight) logged 0.0014-0.0020 at every epoch.
CLIP_TIGHT = 0.1
#: ... on at least this share of the sampled steps ("most steps"): that run clipped every one of them.
CLIP_MOST = 0.5
#: Verdicts that read a curve whose steps were too small to go further: a tight clip is then their cause.
CLIP_READS = ("lr_too_low", "still_improving", "stuck_at_init")


def _clipped_steps(run: Run, verdict: Cause) -> None:
    """A run whose gradient was clipped to a small share of its norm on most steps (the median epoch's clip factor,
    ``grad_clip_ratio``, the gradient's norm at the optimizer step over its norm as backward left it, at most
    ``CLIP_TIGHT``, on at least ``CLIP_MOST`` of the sampled steps: the torch Monitor measures both norms, the
    Lightning callback computes the factor off ``Trainer(gradient_clip_val=)``) and read ``CLIP_READS``: its steps
    were that factor smaller than its lr gives, so clipping acts as a learning rate that many times smaller. An
    evidence line quotes the norms and the factor, and the first action is to raise ``max_norm`` (or clip less),
    before the lr. Not on an adaptive optimizer (Adam, RMSprop ...): it divides each step by the gradient's own
    running size, so a step shrunk by the same factor every time is no smaller.

    The digits MLP 64-128-10, SGD 0.1 momentum 0.9, ``clip_grad_norm_(..., 1e-3)`` before every step, 60 epochs
    (tests/fixtures/ecosystem/torch_clip_tight): logged grad_norm ~0.6 (backward's, before the clip),
    grad_clip_ratio 0.0016, val_loss 1.934, read lr_too_low "raise the learning rate" with "lr constant at 0.1" and
    no word of the clip. Removing the clip ended at 0.074 (seed 1: 0.075), lr x 10 at 0.268 (0.264), twice the epochs
    1.475, a 256-wide model 1.902."""
    if verdict.id not in CLIP_READS or optimizer_kind(optimizer_name(run.meta or {})) not in ("sgd", None):
        return
    # (Both columns, the probe's pair: PPO trainers log a "clip_ratio" of their own, the share of tokens clipped.)
    ratio, share, grad = (run.series.get(k) for k in ("grad_clip_ratio", "grad_clipped_share", "grad_norm"))
    if ratio is None or share is None:
        return
    ok = np.isfinite(ratio) & np.isfinite(share)
    if ok.sum() < max(2, len(ratio) // 2):
        return  # (clipped on fewer than half the epochs: no reading of the run's pace)
    factor, most = float(np.median(ratio[ok])), float(np.median(share[ok]))
    if factor > CLIP_TIGHT or most < CLIP_MOST:
        return
    steps = "every sampled step's gradient was" if most >= 0.99 else \
        f"{_pct(most)} of the sampled steps' gradients were"
    if grad is not None and np.isfinite(grad[ok]).all():
        before = float(np.median(grad[ok]))
        after = float(np.median(grad[ok] * ratio[ok]))
        norms = f" from a norm of ~{before:.2g} (as backward left it, the logged grad_norm) to ~{after:.2g}"
        at = f"max_norm ~{after:.2g}"
    else:
        norms, at = "", "that max_norm"
    verdict.evidence.insert(0, Evidence(
        f"{steps} clipped{norms}, {factor:.2g} of its size (the median epoch's grad_clip_ratio): clipping at {at} "
        f"acts as a learning rate ~{1 / factor:.0f}x smaller than the lr set"))
    where = {"lightning": "Trainer(gradient_clip_val=)"}.get(str((run.meta or {}).get("framework")),
                                                              "clip_grad_norm_'s max_norm")
    verdict.actions.insert(0, Action(f"raise max_norm ({where}) to about the gradient's own norm or above, or clip "
                                     "less, before raising the learning rate", CLIP_LESS))
    verdict.numbers["grad_clip_ratio"] = round(factor, 6)


def _fed_in_order(run: Run, verdict: Cause, causes: list[Cause]) -> list[Cause]:
    """A per-step training loss repeating one profile every epoch (:func:`losslens.facts.epoch_swing.epoch_swing`):
    the data is fed in one fixed order, each block learned while fed and forgotten after. An evidence line quotes the
    swing, and the first action is to shuffle each epoch, whatever the verdict: the epoch means it is read on hide a
    loss that, within each epoch, goes back up to where the block left it. Where the swing within an epoch is as large
    as the level itself, ``lr_too_low`` is not listed: a larger step learns each block faster and forgets the
    others faster too.

    A digits MLP, Lightning, Adam 1e-3, its training set sorted by class with ``shuffle=False``
    (tests/fixtures/ecosystem/lightning_sorted_unshuffled): "still improving, keep training" on val_loss 0.36 at 15
    epochs while its step loss swung 0.07-2.02 each epoch; shuffled, the same 15 epochs reach 0.16, and at lr x 10
    the sorted run collapsed to ln 10 (accuracy 0.10). A schedule that cycles the lr within the epoch is no
    order's doing: such a log is not read (its lr column varies inside an epoch, the reader keeps no step losses)."""
    from .facts.epoch_swing import epoch_swing

    held = _step_losses(run)
    if held is None or "lr" in run.series and _lr_within_epochs(run):
        return causes
    swing = epoch_swing(*held)
    if swing is None:
        return causes
    verdict.evidence.insert(0, (
        f"the per-step training loss swings {swing.low:.3g} to {swing.high:.3g} within each epoch, one profile "
        f"repeated every epoch ({swing.steps_per_epoch} steps; {swing.profile_sds:.1f}x the scatter about it, "
        f"correlation {swing.lag_corr:.2f} one epoch apart, last {swing.epochs} epochs): the training data is fed "
        "in one fixed order (sorted, never shuffled), each block learned, then forgotten"))
    verdict.actions.insert(0, "shuffle the training data each epoch (DataLoader(shuffle=True), fit(shuffle=True)) "
                              "and retrain before changing the learning rate or the model")
    verdict.numbers["epoch_swing"] = round(swing.swing, 6)
    if swing.larger_than_level and len(causes) > 1:
        causes = [verdict] + [c for c in causes[1:] if c.id != "lr_too_low"]
    return causes


def _lr_within_epochs(run: Run) -> bool:
    """A step-axis run's logged lr moves by more than 10% inside an epoch (a cyclic lr, OneCycle per step)."""
    if run.axis_name != "step" or "epoch_frac" not in run.series:
        return False
    lr, ep = run.series["lr"], run.series["epoch_frac"]
    ok = np.isfinite(lr) & np.isfinite(ep)
    for e in np.unique(np.floor(ep[ok])):
        v = lr[ok][np.floor(ep[ok]) == e]
        if v.size > 1 and v.max() > 1.1 * v.min():
            return True
    return False


def _unscaled_start(f: Facts, verdict: Cause) -> None:
    """Where a ``converged`` or ``lr_too_high`` verdict was read off a regression's validation loss (no accuracy
    logged, K unknown, no stated --baseline-loss: with one, :func:`_at_the_baseline` reads the level itself) whose
    first point is ≥ ``UNSCALED_FIRST_DROP`` x its next and ≥ ``UNSCALED_SPAN`` x its smoothed floor, about which
    it then bounces by ``UNSCALED_SCATTER`` of it or more: the outputs began orders of magnitude off the targets, one
    epoch's steps took most of the way back, and the step that did it overshoots at the level, which inputs left at
    scales of hundreds or thousands give (an untrained net's outputs scale with its inputs, and the step along them
    is too large for a rate the others need; unscaled targets alone on standardised inputs fall smoothly). An
    evidence line says so, and the first action is to standardize, then to state the baseline: the curve's level
    alone does not say whether the model beats predicting the targets' mean.

    An 8-64-64-1 MLP, Adam 1e-3, on features of scales 1-5000 (tests/fixtures/ecosystem/torch_unscaled_inputs):
    val_loss 11641 -> 493 in its first epoch, then a noisy level down to 10.5, read "converged at epoch 1 (89%),
    rather than stop, train on"; the validation targets' variance is 6.62, twice the epochs reached 7.44 at best
    and ended at 11.27, and the inputs standardised 0.2425, 43x lower. The verdict stays (the level is flat)."""
    if verdict.id not in ("converged", "lr_too_high") or f.metric != "val_loss" or _higher(f) or f.offset_free \
            or f.baseline is not None:
        return
    c = f.chance
    if c is not None and (c.classes or c.val_acc_start is not None or c.train_acc_peak is not None):
        return  # (a classifier's start is read against ln K: _started_thrown)
    y = f.y[np.isfinite(f.y)]
    floor = float(f.plateau.floor)
    if y.shape[0] < 3 or not floor > 0 or not float(y[1]) > 0:
        return
    first, second = float(y[0]), float(y[1])
    if first < UNSCALED_FIRST_DROP * second or first < UNSCALED_SPAN * floor or f.noise < UNSCALED_SCATTER * floor:
        return
    ax = f.axis_name
    verdict.evidence.append(
        f"val_loss started at {first:.4g}, {_count(first / second, 1)}x its next point ({second:.4g}) and "
        f"{_count(first / floor)}x its floor ({floor:.4g}), about which it bounces by a noise sd of "
        f"{_pct(f.noise / floor)} of it: the outputs began orders of magnitude off the targets, one {ax}'s steps took "
        "most of the way, and the step overshoots at the level, as inputs at scales of hundreds or thousands make it "
        "(the step along them too large for the rate the others need); whether this level beats predicting the targets' mean the curve cannot say: "
        "--baseline-loss (the validation targets' variance, for MSE) reads it against that")
    verdict.actions.insert(0, "inputs unscaled? standardize them first (StandardScaler on the training rows, a "
                              "Normalization layer; the targets too where they run to hundreds or more), then retune "
                              "the rate; "
                              "--baseline-loss says whether this level beats predicting their mean")
    verdict.numbers["unscaled_start"] = first / floor


def r2_named(metric: str) -> bool:
    """Whether ``metric``'s name says it is an R² (``val_r2``, ``r2_score``, ``val_rsquared``) or an explained
    variance (``val_explained_variance``): a score that one constant prediction, the scored set's own mean,
    puts at 0, and any other constant below 0."""
    words = [w for w in re.split(r"[^a-z0-9]+", str(metric).lower()) if w]
    return any(w.startswith(("r2", "rsquared", "explained")) for w in words) \
        or any(a == "r" and b == "squared" for a, b in zip(words, words[1:]))


def _r2_at_the_baseline(run: Run, f: Facts, causes: list[Cause]) -> list[Cause]:
    """:func:`_at_the_baseline` on a validation R² or explained variance (:func:`r2_named`): its level is
    ``meta["baseline_score"]`` where the reader states it (scikit-learn's, 0: R² is measured against the held-out
    split's own mean, its targets unneeded), else 0 by the score's definition (a constant prediction at the scored
    set's mean scores 0, any other constant less). ``no_signal`` where the score never went above
    ``BASELINE_CLEAR`` while the training loss still fell at the end (t < -``PRIOR_FALL_T``): it fits its training
    targets and none of it carries over. Where the score still rises at the end (toward 0 and maybe past it), only
    where the forecast's own 90% interval at its horizon stays under the same bar: a climb that levels off below
    the mean's score is the fit of the mean (the output bias), not a model on its way. No ``stuck_at_init``: the
    training loss's own level, the training targets' variance, is not in the log.
    MLPRegressor((64, 64), early_stopping=True) on shuffled standardised targets: R² -0.0026 at best, falling to
    -0.13, training 0.615 -> 0.336, read overfitting. A torch MLP on targets drawn apart from the inputs
    (tests/fixtures/ecosystem/r2_nosignal): val_r2 -9.7 -> -0.117 still rising (t = 16), forecast [-0.125,
    -0.049] at twice the length, read still_improving "+18%" where 80 epochs end at -0.076."""
    level = (run.meta or {}).get("baseline_score")
    if level is None:
        level = 0.0
    train_loss = run.get("train_loss")
    if isinstance(level, bool) or not isinstance(level, (int, float)) or train_loss is None:
        return causes
    score = run.get(f.metric)
    if score is None:
        return causes
    vs, tl = score[np.isfinite(score)], train_loss[np.isfinite(train_loss)]
    if vs.shape[0] < 3 or tl.shape[0] < 3:
        return causes
    best = float(vs.max())
    tt = f.train_trend
    bar = level + BASELINE_CLEAR
    # (f.trend is on the lower-is-better scale: a score still rising falls there.)
    rising = f.trend.slope_t < -PRIOR_FALL_T
    fc = f.forecast or {}
    band = fc.get("interval") if not fc.get("reason") else None
    capped = bool(band) and band[1] is not None and math.isfinite(band[1]) and band[1] <= bar
    if best > bar or rising and not capped or tt is None or not tt.slope_t < -PRIOR_FALL_T:
        return causes
    name = f.metric
    said = ("what predicting the held-out split's mean scores (scikit-learn's validation score is R²)"
            if "baseline_score" in (run.meta or {}) else "what predicting the validation targets' mean scores")
    # Far below what predictions drawn apart from the targets score: off in scale, not without signal.
    off = best < level + R2_APART
    ev = [f"{name} {best:.4g} at its best ({float(vs[-1]):.4g} at the end) never got clearly above {level:g}, "
          f"{said}: the model explains none of the validation targets' variance"
          + (f"; worse than predicting the mean: its squared error {1 - best:.3g}x their variance, where predictions "
             f"as spread as the targets but drawn apart from them (a net memorising shuffled targets) score "
             f"{level + R2_APART:g}: predictions off in scale, as unscaled inputs or targets leave them" if off else "")]
    if rising:
        ev.append(f"{name} still rises at the end (t = {-f.trend.slope_t:.1f}), but toward a level under that: the "
                  f"forecast's 90% interval at {f.axis_name} {_n(fc['horizon'])} is [{band[0]:.4g}, {band[1]:.4g}]")
    ev += [f"training loss fell from {float(tl[0]):.4g} to {float(tl.min()):.4g} and still falls at the end "
           f"(t = {tt.slope_t:.1f}): " + ("a fall of orders of magnitude from outputs far off the targets, not a fit "
                                          "that carries over" if off and float(tl[0]) >= UNSCALED_SPAN * float(tl.min())
                                          else "it fits its training targets, and none of it carries over")]
    acts = [SCALE_FIRST, "check the targets: their units, and that they are joined to the right rows",
            "a constant prediction (the training targets' mean) scores better than this model on new data"] \
        if off else list(NO_SIGNAL_IN_TARGETS)
    lead = Cause("no_signal", 0.85, ev, acts, {"baseline_score": float(level), "val_best": best})
    return _no_signal_leads(lead, causes)


#: _r2_at_the_baseline: an R² this far under a constant prediction's is beyond what predictions drawn apart from
#: the targets with their spread score (R² -1: a squared error twice their variance; MLPRegressor memorising
#: shuffled standardised targets, -0.0026 at best to -0.13). Below it, the predictions are off in scale: the walker's
#: MLPRegressor((64, 64)) on features of scales 1-5000 (session 47), R² -24 at best, standardised inputs fit.
R2_APART = -1.0


#: _auc_at_half: a validation ROC AUC whose every point is within this of 1/2 ranks no better than a coin.
AUC_HALF_BAND = 0.05


def _auc_at_half(run: Run) -> str | None:
    """A line of evidence where a validation ROC AUC logged beside the loss (Keras' ``val_auc``) sat within
    ``AUC_HALF_BAND`` of 0.5 at every point: the scores rank the classes no better than a coin, whatever the
    threshold. Exactly 0.5 at every point: one score for every input."""
    name = next((k for k in run.metrics if k.lower() in ("val_auc", "val_roc_auc", "val_auroc")), None)
    a = run.get(name) if name is not None else None
    if a is None:
        return None
    a = a[np.isfinite(a)]
    if a.shape[0] < 3 or np.abs(a - 0.5).max() > AUC_HALF_BAND:
        return None
    if np.abs(a - 0.5).max() <= SAME_ACCURACY:
        return f"{name} is 0.5 at every one of its {a.shape[0]} points: one score for every input"
    return (f"{name} stays within {float(a.min()):.3f}-{float(a.max()):.3f}: the scores rank the classes no better "
            "than a coin")


def _train_tail(yt: np.ndarray) -> float:
    """Where the training loss sits now: the median of its last tenth (at least 3 points)."""
    return float(median(yt[-max(3, yt.shape[0] // 10):]))


def _late_start_share(f: Facts) -> float:
    """The validation loss's improvement as a share of what it would show had it been measured from
    training's first point: 1 when both start together; less when validation began later (Keras'
    validation_freq=5 first validates after 5 epochs), whose first value already holds most of the
    descent. The part missed is what training fell before validation's first point. A regression at
    its noise floor (val 0.0896-0.0951 against a noise variance of 0.09) bounced "3% of its
    improvement" of 0.175 -> 0.090 -- but training had fallen 0.39 -> 0.19 before that first check;
    lr / 10 from epoch 30 ended 2.5% lower."""
    xt, yt = f.train_x, f.train_y
    if f.metric != "val_loss" or xt is None or yt is None or xt.shape[0] < 3 or f.plateau.improvement <= 0:
        return 1.0
    x0 = float(f.x[0])
    if not x0 > float(xt[0]):
        return 1.0
    st = smooth(yt)
    missed = float(st[0]) - float(np.interp(x0, xt, st))
    return f.plateau.improvement / (f.plateau.improvement + missed) if missed > 0 else 1.0


#: units_died: the first layer's gradient exactly 0 on at least this share of the points, the last ones: the state
#: the run ends in, not a lull at its end (2a4be6e, counted in points: a layer dead from epoch 4 reads at 5, not 7).
DEAD_SHARE = 0.25


def units_died(f: Facts, t: Thresholds) -> Cause | None:
    """The first layer's gradient norm, logged per layer (the losslens callbacks on torch record it), was > 0 and then
    exactly 0 at every point to the end, over at least the run's last quarter: every unit behind it died (a ReLU
    that outputs 0 for every input passes no gradient back), so nothing of the inputs reaches the output and the
    model gives every example one prediction, the class frequencies at best. Not too little capacity: a bigger
    model dies alike, and no rate revives units that get no gradient. The steps that killed them were too large
    (or the inputs unscaled, which makes them so).

    A 64-64-64-10 ReLU MLP on digits at SGD lr 2, momentum 0.9 (the new-user walk's torch loop, seeds 0 and 1):
    the first two layers' gradient exactly 0 from epoch 1, training loss flat at 2.44 (ln 10 = 2.303) and
    validation at 2.41-2.43, read "underfitting: a bigger model" live at epoch 10; lr 0.2 reaches val 0.33-0.37.
    Lightning, 64-64-10 at plain SGD lr 5: the first layer dead from epoch 1 (seed 0) or 4 (seed 1), both losses
    2.35-2.36; lr 0.5 reaches 0.29 (tests/fixtures/ecosystem/sgd_dead_relu)."""
    g = f.layer_grads
    if g is None or not g.died or g.layers[0] not in g.died:
        return None
    since = g.died_since[g.died.index(g.layers[0])]
    x = f.train_x if f.train_x is not None and f.train_y is not None else f.x
    # Dead over at least the last quarter of the points: the state the run ends in, not a lull at its end.
    if np.count_nonzero(x >= since) < DEAD_SHARE * x.shape[0]:
        return None
    ax = f.axis_name
    # (The rate logged now is the one they died at unless it was cut since: then the cut is said, not the rate.)
    lr = f" (lr {_lr(f)} logged)" if _lr(f) and (f.lr_cut is None or f.lr_cut <= since) else ""
    dead = [k for k in g.layers if k in g.died]
    named = ", ".join(_module(k) for k in dead[:4]) + (f" ... {_module(dead[-1])}" if len(dead) > 4 else "")
    ev = [f"the gradient of {named} ({len(dead)} of the {len(g.layers)} layers, the first among them) fell to "
          f"exactly 0 at {ax} {_n(since)} and stayed 0 at every point after: every unit behind "
          f"{'it' if len(dead) == 1 else 'them'} died (a ReLU that outputs 0 for every input passes no gradient back), "
          "so nothing of the inputs reaches the output: the model gives every example the same prediction",
          f"{'it' if len(dead) == 1 else 'they'} had a gradient before {ax} {_n(since)}: the steps threw the weights "
          f"where the units die, which a step too large does{lr}; not too little "
          "capacity: a bigger model dies alike, and no rate revives units that get no gradient"]
    ty = f.train_y if f.train_y is not None else (f.y if f.metric == "train_loss" else None)
    if ty is not None and not _higher(f):
        tx = f.train_x if f.train_y is not None else f.x
        after = ty[(tx >= since) & np.isfinite(ty)]
        c = f.chance
        if after.shape[0]:
            level = float(median(after))
            ref = (f" ({_pct(level / math.log(c.classes))} of ln {c.classes} = {math.log(c.classes):.4g}, a uniform "
                   f"guess's loss{_k_source(c)})") if c is not None and c.classes else ""
            ev.append(f"train_loss since {ax} {_n(since)}: {level:.4g}{ref}, what one prediction for every input "
                      "scores (the class frequencies' entropy at best): it can go no lower however long it trains")
    acts = [Action("lower the learning rate (try 1/10) and restart from scratch: dead units get no gradient, so "
                   "lowering the rate mid-run does not bring them back", LOWERS_LR, RESTART),
            "learning-rate warm-up; gradient clipping",
            "inputs unscaled? standardize them (features of hundreds or thousands make the first steps that large)"]
    return Cause("lr_too_high", 0.8, ev, acts, {"dead_layers": len(dead), "died_at": since})


def fits_nothing(f: Facts, t: Thresholds) -> Cause | None:
    """Training accuracy at chance: the model cannot fit even the training data. Ahead of a
    bouncing floor (lr_too_high by oscillation): a loss bouncing at the chance level is not a
    minimum the step overshoots. With no training accuracy, a training loss still at ln K that started
    far above it was thrown there by the first steps: a step too large; so is one held above ln K after it
    moved (:func:`_held_above_a_guess`). (One that started near ln K and stayed is left to the other rules: a
    straight crawl at a tiny step looks the same.)"""
    c = f.chance
    thrown = _thrown_to_a_guess(f, t)
    if thrown is not None:
        return thrown
    guess = _train_loss_at_guess(f, t)
    if guess is not None:
        start, tail = guess
        k = c.classes
        if start < t.blown_start * math.log(k):
            return _held_above_a_guess(f, t, start, tail)
        return Cause("lr_too_high", 0.8,
                     [f"train_loss ends at {tail:.4g} = {_pct(tail / math.log(k))} of ln {k} = {math.log(k):.4g}, a "
                      "uniform guess's loss: the model fitted nothing, not even its training data",
                      f"it started at {start:.4g}, {_count(start / math.log(k), 1)}x ln {k}: an untrained network starts "
                      "near ln K, so the first steps threw its outputs far out, and training never got back below "
                      "a guess"],
                     [RESTART_LOWER,
                      "learning-rate warm-up; gradient clipping"], {"train_start": start, "train_tail": tail})
    if _train_at_chance(f, t) and f.plateau.improvement > 0:
        # (Its last quarter's scatter counted: a linear model on circles wobbles 0.44-0.51 about 1/2.)
        if c.train_acc_tail + 2 * (c.train_acc_tail_sd or 0.0) < c.chance - BELOW_CHANCE * (1 - c.chance):
            # Worse than a guess: any model, however small, gets to 1/K by answering the majority; a network whose
            # answers still score under it has not been moved by its training yet (torch at Adam 1e-7 on 90/10
            # classes: training accuracy 0.369, loss 0.7076 -> 0.7056 in 60 epochs, read "at chance 1/2 = 0.500:
            # a bigger model"). Nothing then says the capacity ran out.
            trained = f.train_trend.total_drop_rel if f.train_trend is not None else f.trend.total_drop_rel
            if trained < UNMOVED_DROP:
                return None
            at = (f"training accuracy {c.train_acc_tail:.3f} is below chance 1/{c.classes} = {c.chance:.3f}"
                  f"{_k_source(c)}: worse than answering one class for every input")
        else:
            at = f"training accuracy {c.train_acc_tail:.3f} is at chance 1/{c.classes} = {c.chance:.3f}{_k_source(c)}"
        return Cause("underfitting", 0.75, [at + ": the model cannot fit even the training data"],
                     _underfitting_actions(f), {"train_acc": c.train_acc_tail, "chance": c.chance})
    return None


#: fits_nothing: a training accuracy under 1/K by more than this share of the way from 1/K to perfect (the margin
#: "at chance" allows above it) is below chance, not at it ...
BELOW_CHANCE = 0.1
#: ... and with the training loss less than this share under its start, nothing moved it: no capacity reading.
UNMOVED_DROP = 0.05


def _held_above_a_guess(f: Facts, t: Thresholds, start: float, tail: float) -> Cause | None:
    """K known, no accuracy logged, the training loss's last quarter at ≥ ``train_guess_level`` of ln K and held
    above ln K after it moved (:func:`_above_a_guess`): the step throws even the output bias past the class
    frequencies' loss, which is ≤ ln K. Not underfitting: a model too small still fits its output bias, and a
    bigger model at this step does the same. SGD lr 2 (momentum 0.9) on a digits ReLU MLP: training 2.44 over its
    last quarter, above ln 10 = 2.303 at every point, read "underfitting: a bigger model" with ``classes=10``;
    Lightning at SGD lr 5, 2.35; a tenth of either rate reaches val 0.29-0.37 (tests/fixtures/ecosystem/
    sgd_dead_relu)."""
    k = f.chance.classes
    lnk = math.log(k)
    yt = f.train_y[np.isfinite(f.train_y)] if f.train_y is not None else None
    if yt is None or yt.shape[0] < 4 or not _above_a_guess(f, t, yt, lnk):
        return None
    return Cause("lr_too_high", 0.8,
                 [f"train_loss ends at {tail:.4g} = {_pct(tail / lnk)} of ln {k} = {lnk:.4g}, a uniform guess's loss"
                  f"{_k_source(f.chance)}: the model fitted nothing, not even its training data",
                  _above_a_guess_line(f, k)],
                 [RESTART_LOWER, "learning-rate warm-up; gradient clipping"],
                 {"uniform_guess": k, "train_start": start, "train_tail": tail})


#: How far under ln K a training loss may sit and still be read at it (:func:`_learned_nothing`): fitting the class
#: frequencies alone lowers a uniform guess's loss by their imbalance's share (the first 600 digits': 0.02%), and a
#: model at a guess drifts that much either side (the 3-unit MLP at lr x 10: 2.299, 99.8% of ln 10).
LEARNED_NOTHING_BAND = 0.01


def _learned_nothing(f: Facts, t: Thresholds) -> Cause | None:
    """In converged's place: K known, no training accuracy logged, the training loss's last quarter (nats) at ln K
    (within ``LEARNED_NOTHING_BAND`` of it) or above and validation accuracy's at or below 1/K: the model fits its
    training data no better than a uniform guess and classifies held-out data no better than one, so a flat curve
    there is no floor reached: underfitting. Only where converged would be read (no step shown too small or too
    large, no collapse back to ln K: those rules read the same curves first), and not where the losses rest at ln K
    after they moved (:func:`_rests_at_guess`: a network knocked out, not too small) or a diagnosed loss sat at one
    value for 5 points (weights that stopped moving; a score on a small held-out set repeats its value anyway). A 3-unit scikit-learn MLPClassifier on digits (Adam 1e-3, 60
    iterations): loss_curve_ 2.537 -> 2.349 (ln 10 = 2.303), validation accuracy 0.075, read "converged (89%): stop
    at epoch 7"; twice the iterations ended at 2.321 and 0.075, lr x 10 at 2.299 and 0.075, twice the width at 1.915
    and 0.20 (tests/fixtures/ecosystem/sklearn_mlp_at_chance)."""
    c = f.chance
    guess = _train_loss_at_guess(f, t)
    if guess is None or c.val_acc_tail is None or c.chance is None or c.val_acc_tail > c.chance \
            or _rests_at_guess(f, c.classes) or (f.constant_tail >= 5 and not _higher(f)):
        return None
    start, tail = guess
    k = c.classes
    if tail < (1 - LEARNED_NOTHING_BAND) * math.log(k):
        return None
    return Cause("underfitting", 0.75,
                 [f"{_train_tail_at_guess(f, tail)} (it started at {start:.4g}), and "
                  f"validation accuracy's at {c.val_acc_tail:.3f}, at or below chance {_chance_quoted(f, k)}: the "
                  "model learned nothing, not even its training data, so the flat curve is no floor reached",
                  "a model too small and a step too small crawl alike here: a bigger model, or lr x 10, tells "
                  "them apart"],
                 _underfitting_actions(f),
                 {"train_tail": tail, "val_acc": c.val_acc_tail, "chance": c.chance})


def _chance_quoted(f: Facts, k: int) -> str:
    """Chance as 1/K, and, two classes, the majority class's share where validation accuracy shows it
    (:func:`facts.chance.one_class_shares`): a constant answer scores it, above 1/2 where the classes are unequal
    (breast_cancer's raw-feature MLP quoted "chance 1/2 = 0.500" while answering all benign scored 0.625)."""
    line = f"1/{k} = {f.chance.chance:.3f}"
    shares = one_class_shares(accuracy_fraction(f.y)) if f.metric == "val_acc" and k == 2 else None
    return line if shares is None else f"{line}, and {shares[0]:.3f} for answering the majority class alone"


def _above_a_guess_line(f: Facts, k: int) -> str:
    """The evidence :func:`_above_a_guess` gives, in words."""
    return (f"train_loss sat above ln {k} over its last quarter, not falling (t = {_t(f.train_trend.slope_t)}): "
            "the output bias alone fits the class frequencies at ≤ ln K, so a step that leaves training above "
            "that keeps throwing even the bias past its minimum")


def _thrown_to_a_guess(f: Facts, t: Thresholds) -> Cause | None:
    """Both losses end at a uniform guess's ln K with the accuracies at 1/K, after a start (the first point of
    either curve) ≥ ``blown_start`` x ln K: the first steps threw the outputs far out and the network never
    fitted anything. K given, or the K whose ln the validation loss ends at (:func:`_ended_at_a_guess`, the test :func:`_back_to_a_guess` reads): a
    run thrown off in its first epoch starts far from ln K, so the first loss cannot give it. The first
    validation loss is read as well as the first training loss: it is measured after the first epoch's steps,
    where an epoch-mean training loss averages in the batches before the blow-up.

    Keras SGD(3.0) on digits (a 64-128-10 MLP, tests/fixtures/ecosystem/keras_sgd_collapse): val_loss 6.79
    after the first epoch, then 2.31-2.38 (ln 10 = 2.303) with both accuracies near 0.10 for 29 epochs, read
    "underfitting (held by a weight penalty)" (the first epoch's mean training accuracy, 0.145, was the
    "peak" it fell from) and with ``classes=10`` "underfitting (too little capacity)"; lr 0.3 reached
    val accuracy 0.97 with the same model."""
    c = f.chance
    if f.metric != "val_loss" or c.val_acc_tail is None or f.train_y is None or f.n_points < 4:
        return None
    yt = f.train_y[np.isfinite(f.train_y)]
    if yt.shape[0] < 4:
        return None
    val_end = float(median(f.y[-max(2, f.n_points // 4):]))
    train_end = float(median(yt[-max(2, yt.shape[0] // 4):]))
    k = _ended_at_a_guess(f, val_end)
    if k is None:
        return None
    lnk = math.log(k)
    if abs(train_end - lnk) > NEAR_LN_K * lnk \
            or (c.train_acc_tail is not None and abs(c.train_acc_tail - 1 / k) > ACC_AT_GUESS / k):
        return None
    start, which, thrown = _loss_start(f, t, lnk)
    given = bool(c.classes) and not c.classes_inferred
    fits = _guess_ks(c.val_acc_tail) if not given else [k]
    if thrown:
        times = f"{_count(start / lnk, 1)}x ln {k}" if len(fits) < 2 else f"{_count(start / val_end, 1)}x where it ended"
        why = (f"{which} started at {start:.4g}, {times}: an untrained network starts near "
               "ln K, so the first steps threw its outputs far out, and training never got back below a guess")
    elif _above_a_guess(f, t, yt, lnk):
        why = _above_a_guess_line(f, k)
    else:
        return None
    train_acc = f" (training {c.train_acc_tail:.3f})" if c.train_acc_tail is not None else ""
    if len(fits) < 2:
        guess = (f"end at {val_end:.4g} and {train_end:.4g} ≈ ln {k} = {lnk:.4g}, a uniform guess's loss, with "
                 f"validation accuracy {c.val_acc_tail:.3f} ≈ 1/{k}{train_acc}")
    else:
        # K not given, and nothing here pins it: a thrown output bias rests at or above ln K by no set margin (10
        # digits at Adam 2.0 ended at 2.456 and 2.445, nearest ln 12, accuracy 0.094), and a constant answer's
        # accuracy is one class's share, which 1/K for several K fits alike. Quoting "ln 12 ... 1/12" stated a K
        # the data cannot back.
        guess = (f"end at {val_end:.4g} and {train_end:.4g}, with validation accuracy {c.val_acc_tail:.3f}"
                 f"{train_acc}: a uniform guess's loss and accuracy, ln K and 1/K (K not given: 1/K for any K from "
                 f"{fits[0]} to {fits[-1]} fits that accuracy alike, and a loss thrown about rests at or above ln K, "
                 f"here nearest ln {k} = {lnk:.4g}; --classes sets K)")
    return Cause("lr_too_high", 0.8,
                 [f"{f.metric} and train_loss {guess}: the model fitted nothing, not even its training data", why],
                 [RESTART_LOWER,
                  "learning-rate warm-up; gradient clipping"],
                 {"uniform_guess": k, "start": start, "val_tail": val_end, "train_tail": train_end})


def _guess_ks(acc: float) -> list[int]:
    """Every K ≥ 2 whose uniform guess's accuracy 1/K is within ``ACC_AT_GUESS`` of 1/K of ``acc`` (the bar
    :func:`_thrown_to_a_guess` reads a guess by), ascending: the class counts an accuracy at chance cannot tell
    apart (0.094: 8 to 13)."""
    if not 0 < acc < 1:
        return []
    lo, hi = max(2, math.ceil((1 - ACC_AT_GUESS) / acc)), math.floor((1 + ACC_AT_GUESS) / acc)
    return [j for j in range(lo, hi + 1) if abs(acc - 1 / j) <= ACC_AT_GUESS / j]


def _above_a_guess(f: Facts, t: Thresholds, yt: np.ndarray, lnk: float) -> bool:
    """The training loss's last quarter sits above ln K (by more than 3 sds of its own scatter, or at more of its
    points than a loss jittering about ln K would: :func:`_mostly_above`), after it moved (fell ≥ ``stuck_rel`` of
    its start), and is not still falling (tail t > -3). Predicting the class frequencies scores the prior's
    entropy, ≤ ln K, and the output bias alone reaches it: a stable step settles there or below; a loss held above
    it is the step overshooting.

    Keras SGD(3.0) on digits (a 64-64-10 MLP, validation_split 0.2): the epoch-mean training loss started at
    2.53-2.56 (1.1x ln 10, not thrown far) and sat at 2.32-2.34 for 28 epochs, all above ln 10 = 2.303, both
    accuracies near 0.10; it read underfitting ("a bigger model") where lr 0.3 reached val accuracy 0.91.
    A curve creeping down from an untrained start (a tiny step) is still falling; random labels' seeds that
    fitted nothing sit at or below ln K (lab experiment 2: 1.596-1.598 < ln 5), and Adam's jitter about a linear
    model's ln 2 on circles (0.6934, 0.0003 above, one sd of its scatter) is no step thrown past the bias."""
    tail = yt[-max(4, yt.shape[0] // 4):]
    tr, tp = f.train_trend, f.train_plateau
    # (The weights must have moved: a network never updated holds its untrained loss, above ln K or not.)
    moved = tp is not None and tp.improvement > t.stuck_rel * abs(tp.start)
    # Above ln K by 3 sds of its scatter, or at more of its points than a loss jittering about ln K gives (a
    # loss held just above it never once dips below: DeepOBS cifar10_3c3d at Adam 0.016, 2.3026-2.3054 over its
    # last 25 epochs, its median 1.8 sds above ln 10).
    above = float(np.median(tail)) - lnk > 3 * float(np.std(tail, ddof=1)) or _mostly_above(tail, lnk, t)
    return moved and above and tr is not None and tr.slope_t > -3 and not _decides_by_input(f, t)


def _decides_by_input(f: Facts, t: Thresholds) -> bool:
    """Validation accuracy over the last quarter scatters from epoch to epoch by ≥ ``guess_acc_scatter`` of the
    binomial sd of a coin weighted 1/K on its n_val examples (n_val given or read off the accuracy's steps): its
    predictions still depend on the input, flipping example by example as the boundary turns. Outputs a step threw
    past the bias are one class everywhere, scoring that class's share of the examples at each check: the same
    share, or one of K, epoch after epoch.

    A linear model on make_circles (Adam 1e-2, torch, 800/200): training settled at 0.694, 0.0009 above ln 2 at every
    point of its last quarter (3.4 sds of its scatter), validation accuracy 0.36-0.61 (sd 0.050, 1.4 binomial sds
    of 200 examples), read lr_too_high 90% "restart at 1/10"; lr / 1000 ends at 0.6932, a 64-64 MLP at 0.024
    (tests/fixtures/ecosystem/linear_circles). The thrown ones sit at 0.002-0.2 of that sd: Keras SGD(3.0) on
    digits (keras_sgd_overshoot 0.08, keras_sgd_collapse 0.2), DeepOBS' 3c3d at Adam 0.016 and SGD 1.0 (each
    0.1002 or 0.0999, 0.04): those fell smoothly to ln 10 from an untrained 3.59 (its weight penalty), so the
    loss's path alone (no spike, no climb) does not tell them from the linear model, their accuracy does."""
    c = f.chance
    if c is None or not c.classes or c.val_acc_tail_sd is None or not c.n_val:
        return False
    p = 1 / c.classes
    return c.val_acc_tail_sd >= t.guess_acc_scatter * math.sqrt(p * (1 - p) / c.n_val)


def _mostly_above(y: np.ndarray, level: float, t: Thresholds) -> bool:
    """``y`` above ``level`` at more of its points than chance: a sign test, >= ``stuck_noise`` of its sds above
    the half that a curve hovering at the level would give (robust where the scatter is as large as the offset)."""
    n = y.shape[0]
    return n > 0 and int(np.count_nonzero(y > level)) - n / 2 >= t.stuck_noise * math.sqrt(n) / 2


def _val_below(f: Facts, t: Thresholds) -> bool:
    """val_loss below train_loss at ≥ ``val_below_share`` of its points, ending ≤ ``val_below_ratio`` of it."""
    g = f.generalization
    if g is None or g.val_train_ratio_end is None or f.train_metric != "train_loss" or _higher(f) \
            or f.metric != "val_loss" or f.train_y is None:
        return False
    return not (g.val_below_share < t.val_below_share or g.val_train_ratio_end > t.val_below_ratio)


def _val_below_train(f: Facts, t: Thresholds, verdict: Cause) -> None:
    """Validation far below training throughout is no verdict (one curve pair cannot say why), but every
    verdict read off it is in doubt: the training loss is measured with dropout or augmentation on, through
    BatchNorm's statistics of batches of a few examples, weighted by class (Keras' ``class_weight`` weights the
    training loss only: 1:19 on 5% positives, random labels, trained at 1.05 against validation's 0.60,
    tests/fixtures/ecosystem/class_weighted), on noisier labels than validation's (label noise leaves a
    training floor far above 0), or validation overlaps the training set (leakage). The verdict's evidence says so
    and what to check.

    BatchNorm at batch 2 normalises each unit over two examples, to about +-1 whatever their values: a digits MLP
    (tests/fixtures/ecosystem/torch_bn_tiny_batch) trained at 2.15x its validation loss, the training set scored in
    eval mode near validation; over 3 seeds lr / 10 and lr x 3 ended higher, batch 4 at a fifth of it, batch 64 a
    sixth, LayerNorm in its place at batch 2 a fifth (2 seeds), and its running statistics recomputed over the
    training set before evaluation only 9-15% lower. None of that is in the log: the check in eval mode tells."""
    if not _val_below(f, t):
        return
    g = f.generalization
    end = float(f.smoothed[-1])
    # (A validation loss ending at 0 has ratio 0: training's end is then read off the gap, not divided out.)
    train_end = end / g.val_train_ratio_end if g.val_train_ratio_end > 0 else end - (g.gap_end or 0.0)
    verdict.evidence.append(
        f"val_loss sat below train_loss at {g.val_below_share:.0%} of its points and ends at "
        f"{g.val_train_ratio_end:.2g}x it ({end:.4g} vs {train_end:.4g}): "
        "the training loss is taken with dropout/augmentation on, through BatchNorm's statistics of batches of a "
        "few examples, weighted by class (Keras' class_weight, a loss's weight=, weight the training loss and leave "
        "validation's unweighted), or on noisier labels, or validation overlaps the training set; the curves cannot "
        "tell which")
    verdict.actions.append("check: score the training set in eval mode, unweighted (equal to validation: it was "
                           "dropout, augmentation, class weights or BatchNorm at a small batch, where a larger batch or "
                           "GroupNorm/LayerNorm trains the network that is evaluated; still higher: noisy training "
                           "labels); look for "
                           "rows shared by both splits (duplicates, a split taken after augmentation or "
                           "oversampling)")
    verdict.numbers["val_train_ratio_end"] = g.val_train_ratio_end



#: The training and validation columns read as swapped (:func:`_swapped_columns`) where the logged training loss rose
#: from its lowest point to the run's end over at least ``SWAP_STRETCH`` of the points (and ``SWAP_MIN_POINTS`` of
#: them), by ``SWAP_RISE_SDS`` of its noise, ``SWAP_RISE_REL`` of its lowest level and a slope t ``SWAP_RISE_T``, while
#: the validation loss fell over that stretch by ``SWAP_VAL_FALL`` of its level there and ends under
#: ``SWAP_VAL_BELOW`` of training's. Measured on tests/fixtures/ecosystem/swapped_splits: a Lightning digits MLP
#: whose names were copy-pasted the wrong way round rose 0.264 -> 0.313 from epoch 14 (81% of the run, 18 sds, 17%,
#: t = 31) while "validation" fell 97% to 0.003x it. Over every committed fixture and the benchmark's real curves the
#: nearest unswapped run (a loose scan: a 15% stretch, 3 sds, t 2, a 5% fall, 0.9x) fired none of the bars together.
SWAP_STRETCH = 0.25
SWAP_MIN_POINTS = 8
SWAP_RISE_SDS = 5.0
SWAP_RISE_REL = 0.05
SWAP_RISE_T = 3.0
SWAP_VAL_FALL = 0.25
SWAP_VAL_BELOW = 0.5


def _swapped_columns(run: Run) -> dict | None:
    """Where the run's logged ``train_loss`` rose for good while its ``val_loss`` fell under it, the figures that say
    so (on the points where both are logged); else None.

    Optimisation at any sane step lowers the loss it minimises, or holds it: a training loss that climbs beyond its
    noise from its lowest point to the end, for a quarter of the run or more, while the held-out loss falls and ends
    far below it, is what a held-out loss logged under the training name gives (a copy-pasted ``self.log("val_loss",
    ...)`` in ``training_step``): the true validation loss of a model that overfits rises while the true training
    loss goes toward 0. None of the regimes where training sits above validation legitimately rises so: dropout or
    augmentation hold training above validation but both fall; Keras' epoch mean lags the weights, it does not climb;
    a warm-up bump falls back before the end; a run that diverges raises both. A run trained on the smaller split
    and validated on the larger (the loaders swapped) logs an honest overfit, which the curves cannot tell apart:
    not read (docs/reading.md)."""
    tr, va = run.series.get("train_loss"), run.series.get("val_loss")
    if tr is None or va is None or run.meta.get("columns_swapped"):
        return None
    tr, va = np.asarray(tr, dtype=float), np.asarray(va, dtype=float)
    both = np.isfinite(tr) & np.isfinite(va)
    n = int(both.sum())
    if n < 2 * SWAP_MIN_POINTS:
        return None
    x, a, b = np.asarray(run.axis, dtype=float)[both], tr[both], va[both]
    s = median3(a)
    i = int(np.argmin(s))
    if n - 1 - i < max(SWAP_MIN_POINTS, SWAP_STRETCH * n):
        return None
    q = max(3, n // 4)
    a_end, b_end = float(median(a[-q:])), float(median(b[-q:]))
    low, sd = float(s[i]), noise_sigma(a)
    rise = a_end - low
    if not (low > 0 and rise > SWAP_RISE_SDS * sd and rise > SWAP_RISE_REL * low
            and ols_slope_t(x[i:], a[i:])[1] > SWAP_RISE_T):
        return None
    b_at = float(median(b[max(0, i - 1):i + 2]))
    if not (b_at > 0 and b_at - b_end > SWAP_VAL_FALL * b_at and b_at - b_end > SWAP_RISE_SDS * noise_sigma(b)
            and 0 <= b_end < SWAP_VAL_BELOW * a_end):
        return None
    return {"from": float(x[i]), "train_low": low, "train_end": a_end, "rise_sds": rise / sd if sd > 0 else math.inf,
            "val_at": b_at, "val_end": b_end}


#: The series a swap exchanges, each with its twin.
_SWAP_PAIRS = (("train_loss", "val_loss"), ("train_acc", "val_acc"))


def _read_swapped(run: Run, metric, classes, thresholds, higher_is_better) -> Diagnosis:
    """``run`` diagnosed with its training and validation series exchanged (no forecast): what it reads if they were
    logged under each other's names."""
    series = dict(run.series)
    for a, b in _SWAP_PAIRS:
        if a in series and b in series:
            series[a], series[b] = series[b], series[a]
    swapped = Run(run.axis, series, run.axis_name, run.name, run.source, {**run.meta, "columns_swapped": True})
    return _diagnose(swapped, metric, classes, None, thresholds, False, higher_is_better)


def _columns_swapped(run: Run, f: Facts, verdict: Cause, metric, classes, thresholds, higher_is_better) -> bool:
    """A check of the plumbing before the verdict, where :func:`_swapped_columns` reads the two columns as swapped:
    the evidence says what the log shows and what it reads the other way round, the first action to check which
    loader each loss is computed on and which name each is logged under; the verdict, read on the columns as named,
    stays (the log may be right, with a cause the curves do not show). True where it was said.

    A Lightning digits MLP (300 training digits, 64-512-512-10, Adam 1e-3) whose ``self.log`` names were copy-pasted
    the wrong way round read "solved: stop here ... the task is solved on this validation set" with validation
    accuracy 1.000; its true validation accuracy was 0.955, and the true validation loss lowest at epoch 18 (0.264)
    rose to 0.313 by 80: overfitting, its best weights at epoch 18 (tests/fixtures/ecosystem/swapped_splits)."""
    sw = _swapped_columns(run)
    if sw is None:
        return False
    tn, vn = run.label("train_loss"), run.label("val_loss")
    other = _read_swapped(run, metric, classes, thresholds, higher_is_better)
    x = "" if other.plateau_epoch is None else f", plateau at {run.axis_name} {_n(other.plateau_epoch)}"
    first = next((str(a) for a in other.causes[0].actions), "") if other.causes else ""
    verdict.evidence.insert(0, (
        f"{tn} rose {sw['train_low']:.4g} -> {sw['train_end']:.4g} ({sw['rise_sds']:.0f} sds of its noise) from "
        f"{run.axis_name} {_n(sw['from'])} to the end while {vn} fell {sw['val_at']:.4g} -> {sw['val_end']:.4g}, "
        f"{sw['val_end'] / sw['train_end']:.2g}x it: training at a fixed step does not raise the loss it minimises "
        "while the held-out one falls. The training and validation columns look swapped (or the loaders are); "
        f"read the other way round this run is {other.verdict}{x}" + (f" ({first})" if first else "")))
    verdict.actions.insert(0, (
        "check the plumbing first: which loader each loss is computed on and which name each is logged under (a "
        f"copy-pasted self.log(\"{vn}\", ...) in training_step); this reading takes the names as logged"))
    verdict.numbers["columns_swapped_from"] = sw["from"]
    return True

#: A penalty's underfitting at full strength where it lost 75% of training's accuracy gain, and its strength: set by
#: hand in 661ebe7; no measurement recorded.
FIT_LOST_FULL = 0.75
PENALTY_WINS_STRENGTH = (0.65, 0.9)


#: The strength of underfitting listed beside a bounce, no decay logged: possible, under the bent curve's 0.45 (it
#: rests on the level alone, which lr_too_high's bounce explains as well where the step's noise holds both curves up).
HELD_BESIDE_BOUNCE_CONF = 0.4
#: ... and the accuracy a held model ends at, at least: half its answers right, far above a guess at any K ≥ 3 (the
#: held digits MLP: 0.937-0.943); set by hand, no other run measured.
HELD_ACC = 0.5


def _held_beside_bounce(f: Facts, t: Thresholds) -> Cause | None:
    """underfitting listed, as possible, beside an lr_too_high bounce where both losses sit level well above 0
    (:func:`_level_held`) and the log gives no weight decay: a decay too strong for the step bounces there as well,
    and a smaller step settles the bounce, not the level. A digits MLP at AdamW 1e-2, weight_decay 10 unlogged
    (tests/fixtures/ecosystem/torch_adamw_wd_high, its column dropped): training 0.43-0.44 (38% of its start), validation
    0.44-0.46, read lr_too_high alone; lr / 10 from the plateau ended 0.467 / 0.443, the decay / 10 0.097 / 0.107.

    Only where a logged accuracy, validation's else training's, ends at ≥ ``HELD_ACC``: a model answering most of
    its task right with both losses level and high is held there. Without one a loss with a floor of its own reads
    the same (a DDPM's noise-prediction loss, tests/fixtures/ecosystem/lightning_ddpm), and a network the step knocked
    back to a guess (Adam 0.1 on digits at validation accuracy 0.10, torch_high_lr_relapse/cf_adam_lr0.1.csv,
    learns at the same width under Adam 0.01) is no capacity or decay question."""
    c = f.chance
    acc = None if c is None else next((a for a in (c.val_acc_tail, c.train_acc_tail)
                                       if a is not None and math.isfinite(a)), None)
    if acc is None or acc < HELD_ACC:
        return None
    start = _level_held(f, t)
    if start is None:
        return None
    pl, g = f.train_plateau, f.generalization
    ev = [f"training loss flattened at {pl.floor:.4g} ({pl.floor / start:.0%} of its start {start:.4g}) and validation "
          f"ends level with it (gap {g.gap_end:.3g}): both held level well above 0, and a smaller step settles a bounce, "
          "not the level; a weight decay too strong for the step (none is logged) or a model too small holds them there"]
    acts = ["if a smaller step settles the bounce but not the level: lower the weight decay, if any (try 1/100 of "
            "it; AdamW's pull is lr x wd of each weight a step), else a bigger model or better features",
            CAPACITY_OR_FLOOR]
    return Cause("underfitting", HELD_BESIDE_BOUNCE_CONF, ev, acts, {"level_rel": pl.floor / start},
                 status="possible")


def _penalty_wins(f: Facts, t: Thresholds) -> Cause | None:
    """The training accuracy fell far from its peak while the training loss fell to its lowest: what
    the optimizer minimizes is no longer the fit but a term beside it. Keras adds its L2 / weight
    penalties to the logged loss, so a too-strong kernel_regularizer lowers the loss by shrinking
    the weights until the model predicts little (L2 0.1 on digits: accuracy 0.70 -> 0.36 while the
    loss fell 2.6 -> 2.29; L2 1e-4 reaches 99.6%). An lr too high or a collapse raises the loss too."""
    c = f.chance
    if c.train_acc_peak is None or c.train_acc_tail is None or f.train_metric not in (None, "train_loss"):
        return None
    yt = f.train_y if f.train_y is not None else (f.y if f.metric == "train_loss" else None)
    if yt is None or yt.shape[0] < 8 or _higher(f):
        return None
    low, start, tail = float(np.min(yt)), float(yt[0]), float(median(yt[-max(2, yt.shape[0] // 4):]))
    if not start > low or tail - low > t.underfit_gap * (start - low):
        return None  # the training loss is not at its lowest now: instability or a collapse, not a penalty
    base = c.chance or 0.0
    lost = c.train_acc_peak - c.train_acc_tail
    sd = c.train_acc_tail_sd
    if not (c.train_acc_peak > base and lost >= t.fit_lost * (c.train_acc_peak - base)):
        return None
    if sd is not None and sd > 0 and lost < t.fit_lost_sd * sd:
        return None
    ev = [f"training accuracy fell from {c.train_acc_peak:.3g} ({f.axis_name} {_n(c.train_acc_peak_at)}) to "
          f"{c.train_acc_tail:.3g} over the last quarter while the training loss fell to its lowest ({low:.4g}, "
          f"from {start:.4g}): the loss being minimized is no longer the fit",
          "a regularization term in the loss outweighs the data term: Keras adds kernel_regularizer / "
          "weight penalties to the logged loss; an auxiliary loss does the same"]
    decay = _logged(f.regularization)
    # (Keras' kernel_regularizer is in no saved setting; a decay the settings give is the penalty to name.)
    acts = [(f"less regularization: {_less_regularizers(f, drop=False)}" if decay else
             "less regularization: weaken the L2 / weight decay (e.g. 1/100)") + " or drop the auxiliary loss's weight",
            "then, if training accuracy still stalls, a bigger model or better features"]
    return Cause("underfitting",
                 _ramp(lost / max(c.train_acc_peak - base, 1e-12), t.fit_lost, FIT_LOST_FULL, *PENALTY_WINS_STRENGTH),
                 ev, acts, {"train_acc_peak": c.train_acc_peak, "train_acc_tail": c.train_acc_tail, "penalty": 1.0})


def _level_held(f: Facts, t: Thresholds) -> float | None:
    """The training loss's start (its first value plus the fall before a late log's first point) where training
    flattened at ≥ ``penalty_level`` of it with validation ending within ``penalty_gap`` of that floor: both losses
    held level, well above 0, the model fitting its training data no better than held-out data (the shape a weight
    penalty or a model too small leaves); else None."""
    pl, g = f.train_plateau, f.generalization
    if pl is None or g is None or g.gap_end is None or pl.index is None or pl.start <= 0 or _higher(f) \
            or f.train_metric != "train_loss":
        return None
    if f.train_trend is not None and _crawling(f, t, f.train_trend):
        return None  # still crawling down: not held anywhere yet
    if _fitted_anyway(f) is not None:
        # A logged accuracy says the model fits: the level is the loss's own floor, as _underfit_level's reading
        # under the same decay (its "lower the weight decay") defers to it; label smoothing 0.3-0.4 on digits at a
        # logged weight_decay of 1e-4 read "underfitting: lower the weight decay" at training accuracy 1.000.
        return None
    # A resumed log's first point is no start: the fall before it (optimizer.missed_improvement) counts, as in
    # stuck_at_init; where that cannot be bounded (a loss below 0) nothing says how high the floor is.
    if not math.isfinite(f.train_missed):
        return None
    start = pl.start + f.train_missed
    if pl.floor < t.penalty_level * start or abs(g.gap_end) > t.penalty_gap * pl.floor:
        return None  # fitted its training data (floor near 0) or fitted it better than held-out data (a gap)
    return start


def _penalty_floor(f: Facts, t: Thresholds) -> Cause | None:
    """Training flattened well above 0 with validation level with it, under a weight decay the log gives:
    the model fits its training data no better than held-out data, and the penalty holds both there.
    Weight decay (coupled L2 in SGD or Adam) shrinks the weights until its pull balances the data's; the
    loss settles where the two meet and reads as converged. A digits MLP (Lightning, SGD 0.05 / Adam 1e-3,
    weight_decay 0.05): val 0.773 / 0.761, train 0.69 / 0.71; weight_decay 1e-5 gave val 0.157 / 0.185
    (80% / 76% lower), an 8x wider model at 0.05 gave 0.782 / 0.745 (no better): the penalty, not the
    capacity, set the floor. A model too small looks the same in the curves; the logged decay says which
    to try first, and without one nothing here says it (``underfitting`` by level decides). Not where a logged
    accuracy says the model fits its data all the same (:func:`_fitted_anyway`), as :func:`_held_high` reads."""
    pl, g, reg = f.train_plateau, f.generalization, f.regularization
    if reg is None or not reg.value > 0:
        return None
    start = _level_held(f, t)
    if start is None:
        return None
    late = (f", counting its first value, {f.train_missed:.4g}, for the unseen fall before the log starts at "
            f"{f.axis_name} {_n(f.x[0])}" if f.train_missed else "")
    ev = [f"training loss flattened at {pl.floor:.4g} ({pl.floor / start:.0%} of its start {start:.4g}{late}) and "
          f"validation ends level with it (gap {g.gap_end:.3g}, {abs(g.gap_end) / pl.floor:.0%} of it): the model fits "
          "its training data no better than held-out data, so more epochs will not lower either",
          f"{reg.name} = {reg.value:g} ({reg.where}): a weight penalty holds the weights where its pull balances the "
          "data's, and both losses settle at that level"]
    acts = [f"lower the weight decay ({reg.name} = {reg.value:g}; try 1/100 of it) and compare the validation loss",
            "if both losses stay level and high at a small decay, a bigger model or better features (a model too "
            "small holds them level too)",
            CAPACITY_OR_FLOOR]
    return Cause("underfitting", 0.6, ev, acts, {"weight_decay": reg.value, "level_rel": pl.floor / pl.start,
                                                 "penalty": 1.0})


def underfitting(f: Facts, t: Thresholds) -> Cause | None:
    """Capacity-limited.

    Fires when (the conditions in full, and the runs that set them): train flattened at ≥ 40% of ln K (K classes
    known: a uniform guess's loss), else ≥ 50% of its starting loss, with val ≈ train (|val − train| ≤ 10% of that
    level, or, both accuracies logged, training's error rate over the last quarter ≥ 80% of validation's: a loss gap
    can be a few confident validation mistakes — a 1-unit ReLU bottleneck on digits, training 1.29 with 61% of its
    own examples wrong, validation 0.33 higher but erring 66%, read converged; 64 units reach 0.0004; not where the
    logged lr was cut below 1/1000 of its peak or the loss sat at one exact value for 5 points: the weights stopped
    moving there, so the error rates say where the step left them — SGD 0.5 under ReduceLROnPlateau on digits,
    frozen at 0.69 where lr 0.05 reaches 0.11); or training accuracy at chance too; or training accuracy fell ≥ 25%
    of its peak's margin over chance while the training loss sat at its lowest (a penalty — Keras' L2 in the logged
    loss — outweighs the fit: less regularization first); or, with a weight decay in the run's saved settings
    (Lightning's `hparams.yaml` beside `metrics.csv`, W&B's config, MLflow's params: `facts/regularization.py`),
    training flattened at ≥ 10% of its start with validation ending within 25% of it (the model fits its training
    data no better than held-out data: the penalty holds both; headline "held by a weight penalty", the decay
    quoted).

    Not where the training loss's own X is its last point (it has held no level yet: a 5-epoch Lightning run whose
    every drop was bigger than the one before read underfitting at 81% of ln 2; at 12 epochs still_improving).

    Not where a logged accuracy says the model fits (:func:`_fitted_anyway`: training's last-quarter accuracy, else
    validation's, ≥ 98%, the loss ≥ 3x the most a calibrated model that accurate pays): the floor is the loss's
    (label smoothing, a penalty in it, noisy labels), and converged says so — digits at label smoothing 0.4 read
    "a bigger model" at 1.455, validation accuracy 0.985; 4x the width ended at 1.446.

    First actions: bigger model, better features, less regularization (first, where a weight decay is logged or the
    penalty shows: lower it, try 1/100; a decay or dropout rate logged is named, :func:`_regularize_less`).

    Not where the losses rest at ln K itself after they moved (`_rests_at_guess`): a net whose output no longer
    depends on its input, which the same model at a tenth of the step or another seed is not — digits at Adam 0.1
    resting at 2.305 listed underfitting 0.80, "a bigger model"; Adam 0.01 reaches 0.146.

    Listed only as possible, behind lr_too_high, where a loss started ≥ ``blown_start`` x ln K (the first steps
    threw the outputs out: :func:`_thrown_then_held`); and listed as possible beside an lr_too_high bounce with no
    decay logged where both losses sit level and high at a logged accuracy ≥ 0.5 (:func:`_held_beside_bounce`: a
    decay too strong for the step bounces there too). A decay that takes lr x wd ≥ 1% of each weight a step, logged
    as a column or a saved AdamW setting (``facts.regularization.run_weight_decay``), reads first, as a decoupled
    one of 1 or more does."""
    penalty = _penalty_wins(f, t)
    if penalty is not None:
        return penalty
    collapse = _posterior_collapse(f)
    if collapse is not None:
        return collapse
    level = _underfit_level(f, t)
    if level is not None:
        reg = f.regularization
        if reg is not None and reg.value > 0:
            level.evidence.append(f"{reg.name} = {reg.value:g} ({reg.where}): a weight penalty can hold the loss "
                                  "this high; lower it first")
            level.actions.insert(0, f"lower the weight decay ({reg.name} = {reg.value:g}; try 1/100 of it)")
            # (the decay said first, the listed "less regularization" is left the dropout a run logs beside it)
            less = _less_regularizers(f, decay=False)
            level.actions[:] = [Action("less regularization: " + less, LESS_REG) if _of_kind(a, LESS_REG) else a
                                for a in level.actions if less or not _of_kind(a, LESS_REG)]
            level.numbers["weight_decay"] = reg.value  # (verify then retrains with the decay lowered first)
        return level
    return _penalty_floor(f, t)


def _kl_warming(f: Facts, verdict: Cause) -> None:
    """A plateau X before the logged KL weight reached its last value (KL warm-up): the loss up to there is
    another objective each epoch, its weight on the KL still rising, so a flat stretch there is the climbing
    KL cost offsetting what the reconstruction gains, not a floor of the loss trained at the end."""
    e, pl = f.elbo, f.plateau
    if e is None or e.weight is None or e.weight_settled_at is None or pl.epoch is None \
            or e.weight_start == e.weight_end or not pl.epoch < e.weight_settled_at or f.x[0] >= e.weight_settled_at:
        return
    verdict.evidence.append(
        f"{e.weight} went from {e.weight_start:.3g} to {e.weight_end:.3g} until {f.axis_name} {_n(e.weight_settled_at)}: "
        f"{f.axis_name} {_n(pl.epoch)} is inside that warm-up, where each {f.axis_name} weighs the KL term "
        f"more; the objective trained at the end starts at {f.axis_name} {_n(e.weight_settled_at)}")
    # (Stopping there keeps a model trained for a KL weight below the one asked for.)
    verdict.actions[:] = [a for a in verdict.actions if not _of_kind(a, STOP_AT)]
    verdict.actions.insert(0, f"judge the plateau from {f.axis_name} {_n(e.weight_settled_at)} on, where "
                              f"{e.weight} stops changing, not by the loss during the warm-up; do not stop "
                              "inside the warm-up")


def _posterior_collapse(f: Facts) -> Cause | None:
    """A VAE whose KL term, logged beside its loss, fell to ~0 (``facts.elbo``): the encoder's code carries
    nothing and the decoder models the data alone, so the loss holds at an average input's reconstruction.
    More capacity is no cure: a beta = 10 VAE on digits (KL 0.0013 of a loss of 27.3) with a 4x wider,
    twice as deep encoder and decoder ended at the same level, where beta = 1 reached 25.4 with a KL of 2.5
    (tests/fixtures/ecosystem/lightning_vae)."""
    e = f.elbo
    if e is None or not e.collapsed or _higher(f) or f.plateau.index is None:
        return None
    ev = [f"{e.kl} ends at {e.kl_tail:.3g}, {_pct(e.kl_tail / abs(e.loss_tail))} of {f.metric} ({e.loss_tail:.4g}): "
          "posterior collapse — the latent code carries next to nothing, the decoder models the data alone, "
          "and the loss holds at an average input's reconstruction"]
    weight = f"the KL weight ({e.weight} = {e.weight_end:g})" if e.weight is not None else "the KL weight (beta)"
    acts = [f"lower {weight}: the code is kept only where it pays more than beta x its KL",
            "warm the KL weight up from 0 over the first epochs (KL annealing), or free bits (a floor on each "
            "latent dimension's KL)",
            Action("a bigger model will not help: a stronger decoder ignores the code more easily", MODEL_SIZE)]
    return Cause("underfitting", 0.75, ev, acts, {"kl_tail": e.kl_tail, "kl_rel": e.kl_tail / abs(e.loss_tail),
                                                  "kl_collapse": 1.0})


def _held_high(f: Facts, t: Thresholds, fitted_too: bool = False) -> tuple[float, float, str] | None:
    """The training loss flattened high: ``(level_rel, least, evidence line)``, its plateau level as a share of
    ln K (K classes known) or of its start, where that share is ≥ ``least``; else None. Half of underfitting's
    reading (the model fits its own training data no better than that); the other half is validation level
    with it (:func:`_underfit_level`). Not where a logged accuracy says the model fits its data all the same
    (:func:`_fitted_anyway`: a floor the loss itself sets), unless ``fitted_too``."""
    pl, g = f.train_plateau, f.generalization
    k = f.chance.classes if f.chance is not None else None
    if pl is None or g is None or pl.index is None or pl.start <= 0 or f.train_metric != "train_loss":
        return None
    if not _higher(f) and g.gap_end is None:
        return None  # (the gap must be one between the losses: the training loss's level is judged)
    if _higher(f) and (not k or g.gap_end is not None):
        # A held-out score beside the training loss alone (no val_loss, no training score: no gap to read) still
        # has training's level against ln K: a 2-unit MLP on digits (scikit-learn, val_acc only) held training at
        # 45% of ln 10 while read converged; 64 units reached 0.994 (tests/fixtures/ecosystem/sklearn_mlp_two_units).
        return None
    if f.elbo is not None and not (f.chance is not None and f.chance.classes):
        # A negative ELBO (its KL term logged beside it) has no "high" to measure: its floor is the data's
        # entropy under the decoder, far above 0 and unknown here (digits' pixels / 16: 13.7 nats for a perfect
        # reconstruction, against 44.4 untrained). A beta = 1 VAE flat at 60% of its start: a 4x wider, twice
        # as deep model ended 2.9% lower, twice the epochs 2.0%, lr x10 from the plateau 0.8%.
        return None
    if f.offset_free and not k:
        # Nor does a loss with no zero point (a Gaussian NLL): its share of its start is the target's units. The
        # walker's Gaussian-NLL run shifted by +ln 10 (y measured 10x smaller) read "54% of its starting value:
        # cannot fit the training data either", by -ln 10 converged, the same fit.
        return None
    if (f.train_trend is not None and _crawling(f, t, f.train_trend)) or _crawling(f, t):
        # Not flattened: still crawling down at a step too small to show a level. (The diagnosed curve too: a
        # training loss logged per step, a batch's, can hide the crawl validation shows -- TensorBoard's
        # Loss/train of a digits MLP at SGD 1e-4, t = -1.0 beside validation's straight 2.300 -> 2.291.)
        return None
    if pl.index >= int(np.isfinite(f.train_y).sum()) - 1:
        # Its X is its own last point: no level held anywhere, so "flattened high" has nothing to read. A
        # Lightning binary MLP stopped after 5 epochs (val 0.679 .662 .644 .622 .596, each drop bigger; training
        # 0.678 -> 0.562) read "underfitting at epoch 4 [4, 4]" at 81% of ln 2; the same run at 12 epochs reads
        # still_improving (tests/fixtures/ecosystem/lightning_killed_short).
        return None
    # "High" needs a reference. With K classes it is ln K, the cross-entropy of a uniform guess:
    # the first logged loss is already an epoch of training in, and how far that epoch got
    # depends on the initialization (a linear model on moons: first loss 0.57 to 1.03 by seed, floor
    # 0.32 each time).
    if k:
        ref, least = math.log(k), t.underfit_level_chance
        ref_name = f"ln {k} = {ref:.4g}, a uniform guess's loss{_k_source(f.chance)}"
    elif f.train_missed:
        # A log that starts late (a resumed fit read alone) starts at the resume point, not the untrained loss: a
        # Lightning MLP resumed at epoch 10 read "76% of its starting value 0.2943" of a loss that began at 1.794
        # (12%; tests/fixtures/ecosystem/lightning_resume_late_start). Without ln K nothing says how high it is.
        return None
    else:
        ref, least, ref_name = pl.start, t.underfit_level, f"its starting value {pl.start:.4g}"
    level_rel = pl.floor / ref
    if level_rel < least or (k and _rests_at_guess(f, k)):
        return None
    if not fitted_too and _fitted_anyway(f) is not None:
        return None
    tt = f.train_trend
    # Flat by its 5% band, but its tail can still fall by its t-test: DeepOBS' All-CNN-C on CIFAR-100 at Adam
    # lr 6.3e-5 read "training loss flattened at 2.09" with its last quarter falling at t = -9.1
    # (0.149 lower over it), beside a still_improving verdict.
    how = (f"at {pl.floor:.4g} (its last quarter still falls, t = {_t(tt.slope_t)})"
           if tt is not None and tt.slope_t < t.improving_t else f"flattened at {pl.floor:.4g}")
    return level_rel, least, f"training loss {how}, {_pct(level_rel)} of {ref_name}"


#: _fitted_anyway: a last-quarter accuracy (training's, else validation's) at or above this errs on at most 1 example
#: in 50: a model that fits its data, whatever its loss's level says. Label smoothing 0.3-0.4 on digits held the
#: losses at 1.19-1.49 with training accuracy 1.000 (Keras) and validation 0.979-0.988; the generated underfitting
#: cases (a bigger model lowered the training loss ≥ 30%) end at training accuracy 0.11-0.86.
FITTED_ACC = 0.98
#: ... where the loss rests at ≥ this multiple of the most a calibrated model right that often pays
#: (:func:`_calibrated_loss_bound`), taken at K = 2 where K is unknown: 3x covers any K up to ~1000 at accuracies
#: ≥ 0.95. A model that answers the majority class of a 98/2 split, or a multi-label binary accuracy of mostly-0
#: labels, rests at ~1x it: near 1 by its accuracy, fitting nothing. Label smoothing 0.3-0.4 on digits: 9x-∞.
FITTED_LOSS_FACTOR = 3.0


def _calibrated_loss_bound(acc: float, k: int | None) -> float:
    """The most cross-entropy (nats per example) a calibrated classifier right on a share ``acc`` of its examples pays,
    H(acc) + (1 − acc) ln(K − 1), K = 2 where ``k`` is unknown: a calibrated model's loss is the labels' entropy
    given its outputs, at most given its answers alone, which Fano's inequality bounds so. 0 at ``acc`` = 1."""
    e = min(max(1.0 - acc, 0.0), 1.0)
    h = 0.0 if e in (0.0, 1.0) else -(e * math.log(e) + (1 - e) * math.log(1 - e))
    return h + e * math.log(max((k or 2) - 1, 1))


def _fitted_anyway(f: Facts) -> tuple[str, float, float] | None:
    """``(which accuracy, its value, the loss it is read against)`` where the model fits its data though its loss
    rests high: training's last-quarter accuracy (against the training loss's floor), else validation's (against
    validation's end level, training's floor plus the gap at the end), ≥ ``FITTED_ACC``, the loss ≥
    ``FITTED_LOSS_FACTOR`` x :func:`_calibrated_loss_bound` at that accuracy; else None. A loss that high over
    answers that right is held up by the loss itself, not the model: label smoothing (its floor at smoothing
    ε over K classes is ε's entropy, 1.444 nats at ε = 0.4, K = 10), a penalty summed into it, or labels that
    are noise. A digits MLP at label smoothing 0.4 read "underfitting: a bigger model" at 1.455 with validation
    accuracy 0.985; 4x the width ended at 1.446 (torch), and at smoothing 0.3 1.193 -> 1.179 (Keras, training
    accuracy 1.000) (tests/fixtures/ecosystem/label_smoothing)."""
    c, pl, g = f.chance, f.train_plateau, f.generalization
    if c is None or pl is None or pl.index is None or _higher(f):
        return None
    k = c.classes if c.classes and c.classes >= 2 else None
    if c.train_acc_tail is not None and math.isfinite(c.train_acc_tail):
        acc, which, level = c.train_acc_tail, "training", pl.floor
    elif c.val_acc_tail is not None and math.isfinite(c.val_acc_tail) and g is not None and g.gap_end is not None:
        acc, which, level = c.val_acc_tail, "validation", pl.floor + g.gap_end
    else:
        return None
    if acc < FITTED_ACC or not level >= FITTED_LOSS_FACTOR * _calibrated_loss_bound(acc, k):
        return None
    return which, acc, level


def _rests_at_guess(f: Facts, k: int) -> bool:
    """The losses rest at ln K itself after they moved (``ChanceFacts.rests_at``: :func:`facts.chance.resting_at_ln_k`,
    the test K is inferred by, with no logged accuracy above 1.5/K): a network whose output no longer depends on its input (units that
    died, outputs that saturated, a step too large), not a model too small: a small model still fits the class
    frequencies and whatever of the inputs it can. Digits (balanced, ln 10) at Adam 0.1: both losses at 2.305-2.314
    from epoch 29 of 30, validation accuracy 0.097, read "underfitting: a bigger model" beside lr_too_high; the
    same width learns at Adam 0.01 (0.146) and at Adam 0.1 under seeds 1-3 (0.50-1.34); twice and 4x the width
    learned at seed 0 too (1.15, 0.64): whether the step kills it is the draw's, the width is no limit
    (tests/fixtures/ecosystem/torch_high_lr_relapse/cf_adam_lr0.1.csv, make.out)."""
    return f.chance.rests_at == k


#: underfitting's strength from its level, from the bar to all of its start: set by hand in b31389b; no measurement
#: recorded.
UNDERFIT_LEVEL_STRENGTH = (0.5, 0.8)


def _underfit_level(f: Facts, t: Thresholds) -> Cause | None:
    # Needs both curves: "train ≈ val and both high" is the evidence; one curve cannot show it.
    high = _held_high(f, t)
    if high is None:
        return None
    level_rel, least, level_line = high
    pl, g = f.train_plateau, f.generalization
    if g.gap_end is None:
        return None  # (a score beside the training loss alone: nothing shows validation level with training)
    numbers = {"level_rel": level_rel}
    if f.constant_tail >= f.y.shape[0] and f.y.shape[0] >= 5:
        # (Validation the same to the last digit at every point: the weights never moved, whatever the model's size.
        # torch_weights_not_updated/dropout0.5 listed underfitting 0.80, "a bigger model", beside stuck_at_init once
        # its dropout-bounced training loss's X no longer sat at its last point: facts.plateau.settled_min.)
        return None
    if abs(g.gap_end) <= t.underfit_gap * abs(pl.floor):
        same = f"train ≈ validation (gap {g.gap_end:.3g}): the model cannot fit the training data either"
    elif _annealed(f, t) or f.constant_tail >= 5:
        # (A loss the logged lr froze -- cut to under 1/1000 of its peak -- or one the same to the last digit
        # for 5 points flattened where the weights stopped moving, not at the model's capacity: the error
        # rates then say where the step left them. SGD 0.5, momentum 0.9, on digits under
        # ReduceLROnPlateau(patience 3): validation bounced 0.57-1.25 at the peak, training accuracy fell
        # 0.83 -> 0.67, then the cuts froze it at 0.69 with error rates 0.28 / 0.31.)
        return None
    else:
        errs = _errs_alike(f, t)
        if errs is None:
            return None
        # (Which evidence held it: _bent_over reads a training pass under dropout off the error rates only.)
        same, numbers["err_share"] = errs
    conf = _ramp(level_rel, least, WHOLE, *UNDERFIT_LEVEL_STRENGTH)
    return Cause("underfitting", conf, [level_line, Evidence(same, FITS_NEITHER)], _underfitting_actions(f), numbers)


def _errs_alike(f: Facts, t: Thresholds) -> tuple[str, float] | None:
    """``(evidence, share)``: evidence that the model errs on its training data nearly as often as on validation,
    read off the logged accuracies (last-quarter means): training's error rate ≥ ``underfit_err_share`` of
    validation's (``share``, training's error rate over validation's); else None. Where the loss gap exceeds 10% of a high level, it can be validation's few confident mistakes
    (cross-entropy is unbounded) rather than anything memorised; the error rates say whether the training
    data are fitted. A 1-unit ReLU bottleneck on digits (Keras, Adam 3e-3, ``validation_split=0.2``): training
    loss flat at 1.29 (59% of ln K), validation 0.328 above it (25%), accuracies 0.394 / 0.342 (error share
    0.92), read converged; with a 64-unit bottleneck training reached 0.0004 (tests/fixtures/ecosystem/
    keras_bottleneck). The generated underfitting cases (a bigger model lowered the training loss ≥ 30%) show
    error shares 0.88-1.03."""
    c = f.chance
    if c is None or c.train_acc_tail is None or c.val_acc_tail is None or not 0 <= c.train_acc_tail < 1 \
            or not 0 <= c.val_acc_tail < 1:
        return None
    share = (1 - c.train_acc_tail) / (1 - c.val_acc_tail)
    if share < t.underfit_err_share:
        return None
    return (f"training accuracy {c.train_acc_tail:.3f} against validation's {c.val_acc_tail:.3f} over the last "
            f"quarter: it gets {_pct(1 - c.train_acc_tail)} of its own training examples wrong, {_pct(share)} of "
            f"validation's error rate: the model cannot fit the training data either (the loss gap, "
            f"{f.generalization.gap_end:.3g}, is not memorisation: the error rates nearly match)"), share


#: Training's error rate over validation's (last-quarter accuracies) from which the training examples are harder than
#: validation's: a model too small errs alike on both (the generated underfitting cases, where a bigger model lowered
#: the training loss >= 30%: 0.88-1.03); a digits MLP (64-64, Adam 1e-3) on 30% random training labels and clean
#: validation: 3.0 (tests/fixtures/ecosystem/torch_split_noise).
TRAIN_ERRS_MORE = 1.5


def _errs_more_than_validation(causes: list[Cause]) -> list[Cause]:
    """An underfitting read off training's error rate (:func:`_underfit_level`'s ``err_share``) at ``TRAIN_ERRS_MORE``
    or more of validation's, its training pass not already read as held by a regularizer (:func:`_bent_over`): a
    model too small errs alike on both, so capacity is listed as possible (0.3, as :func:`_errs_cause`), the run
    that tells first, behind whatever else was read; :func:`_train_errs_more` then names the training labels."""
    under = next((c for c in causes if c.id == "underfitting"), None)
    if under is None or not under.numbers.get("err_share", 0) >= TRAIN_ERRS_MORE \
            or {"train_regularized", "dropout", "penalty"} & set(under.numbers) or len(causes) < 2:
        return causes
    under.status, under.confidence = "possible", min(under.confidence, 0.3)
    under.evidence = [e for e in under.evidence if not _of_kind(e, FITS_NEITHER)] + \
        [SMALL_OR_FLOOR]
    under.actions = [CAPACITY_OR_FLOOR] + [a for a in under.actions if a != CAPACITY_OR_FLOOR]
    return [c for c in causes if c is not under] + [under]


def _train_errs_more(f: Facts, t: Thresholds, verdict: Cause, causes: list[Cause]) -> None:
    """A training loss held high with validation far below it, whose logged accuracies say the model errs on its own
    training examples ``TRAIN_ERRS_MORE`` times as often as on held-out ones: not what a model too small shows (it
    errs alike on both, :func:`_errs_alike`), but training examples harder than validation's -- noisy training labels
    (a random label is one no model gets right from the input), or a training pass under dropout or augmentation. The
    capacity reading stays, as possible, behind the labels: a digits MLP (64-64, Adam 1e-3, 60 epochs) on 30% random
    training labels, training accuracy 0.739 against validation's 0.913, read "underfitting (too little capacity):
    a bigger model" (36%), now converged (89%, :func:`_errs_more_than_validation`) with the labels' check first; 4x the width ended with the clean test loss 0.493 -> 0.603 (accuracy 0.916 -> 0.816), twice
    the epochs 0.557, the clean labels 0.088. Early-stopped, the wider model did better (its best epoch's clean test
    loss 0.410 against 0.456): capacity is not ruled out, so it stays listed with the run that tells
    (tests/fixtures/ecosystem/torch_split_noise)."""
    if verdict.id not in ("converged", "still_improving", "underfitting"):
        return
    rates = _training_errs_more(f)
    if rates is None:
        return
    c, (te, ve) = f.chance, rates
    verdict.evidence.append(
        f"training accuracy {c.train_acc_tail:.3f} against validation's {c.val_acc_tail:.3f} over the last quarter: "
        f"it gets {_pct(te)} of its own training examples wrong, {te / ve:.1f}x validation's error rate. A model too "
        "small errs alike on both; training examples harder than held-out ones are what noisy training labels give "
        "(or a training pass under dropout or augmentation), where a bigger model memorises more of the noise")
    labels = ("erring more on the training set than on validation in eval mode too: check the training labels, "
              "starting with the training examples of highest loss (relabel or drop the wrong ones, or train with a "
              "noise-robust loss); a bigger model or more epochs memorise more of the noise, and a model twice the "
              "size tells capacity apart only once they are right")
    i = next((i for i, a in enumerate(verdict.actions) if _of_kind(a, DATA_OR_MODEL) or a == CAPACITY_OR_FLOOR
              or _of_kind(a, MODEL_SIZE)), len(verdict.actions))
    verdict.actions.insert(i, labels)
    verdict.numbers["train_err_share"] = te / ve
    under = next((x for x in causes if x.id == "underfitting"), None)
    if under is verdict:
        return
    if under is None and _held_high(f, t) is not None:
        causes.append(Cause("underfitting", 0.3, [
            f"the training loss held high ({_pct(te)} of its training examples wrong) is also what a model too small "
            "gives, where validation errs as often", SMALL_OR_FLOOR], [CAPACITY_OR_FLOOR, ACTIONS["underfitting"][0]],
            {"train_err": te, "err_share": te / ve}, status="possible"))
    elif under is not None and CAPACITY_OR_FLOOR in under.actions:
        under.actions.insert(0, under.actions.pop(under.actions.index(CAPACITY_OR_FLOOR)))


def _training_errs_more(f: Facts) -> tuple[float, float] | None:
    """``(training's error rate, validation's)`` over the last quarter, by the logged accuracies, where the model errs
    on its own training examples ``TRAIN_ERRS_MORE`` times as often as on held-out ones (at least ``TRAIN_ERR_HIGH``)
    with validation's loss below training's at the end, and no saved dropout setting explains the training pass
    (:func:`_held_by_dropout` reads that); else None. :func:`_train_errs_more` and :func:`_memorising_since_x`."""
    c, g = f.chance, f.generalization
    if _higher(f) or f.train_metric != "train_loss" or c is None or c.train_acc_tail is None \
            or c.val_acc_tail is None or not 0 <= c.train_acc_tail < 1 or not 0 <= c.val_acc_tail < 1 \
            or g is None or g.gap_end is None or not g.gap_end < 0 or f.dropout is not None:
        return None
    te, ve = 1 - c.train_acc_tail, 1 - c.val_acc_tail
    return (te, ve) if te >= TRAIN_ERR_HIGH and te >= TRAIN_ERRS_MORE * ve else None


#: The confidence a fall since X read as memorising (:func:`_memorising_since_x`) keeps, listed as possible: at most a
#: possibility's, under the even odds the cuts gave it (validation > 1% lower at twice the epochs at 3 of the 9 cuts
#: of the torch and Keras runs it moved, the torch run's clean test loss at none of its 7).
MEMORISING_FALL_CONF = 0.4


def _memorising_since_x(f: Facts, t: Thresholds, own: Cause) -> str | None:
    """Why a slow fall since X (``own``: :func:`_still_falling_since_x`'s reading) is not carried on, where the
    training set is erred on :func:`_training_errs_more` and its loss still falls over the last quarter (t <
    ``improving_t``) while validation's does not: what more epochs fit is the training set's own examples, and
    examples harder than held-out ones are what noisy training labels give -- fitting those is memorising them.
    The evidence line, the verdict left ``converged`` (its stop where the curve flattened, :func:`_fell_after_plateau`);
    else None.

    A digits MLP (64-64, Adam 1e-3) on 30% random training labels, read at epochs 36-66 and 84 of 120: the line since
    X = 15-21 fell 11-18% (t -5.8 to -12.0), the last quarter t -2.2 to +0.5, training's t -14 to -33, training errs
    2.6-3.5x validation's rate: "keep training". Twice the epochs took the clean test loss's median of 5 +0.5% at 36
    and +3% to +13% from 42 on (validation's -6% at 36-42, 0% at 48-54, +5% from 60). Read at 18-30 the last quarter
    still fell (t -3.6 to -5.5): still_improving on the tail, as before (-13% to -4% on the test set;
    tests/fixtures/ecosystem/torch_split_noise). Keras' CSVLogger of a digits MLP on 30% random training labels
    (tests/fixtures/ecosystem/keras_trainnoise) read at epoch 52: the line since X = 20 fell 12% (t = -16.7), the
    last quarter 2.8% (t = -5.0, too small a share of the whole improvement), training errs 5.9x validation's rate:
    "keep training"; at 104 val_loss's median of 5 was 0.8% higher (read at 36: 6.0% lower at 72, the cut this costs).
    At 60 epochs each Keras run (30%, 45% random) and the Lightning one (5 classes, 30%) read converged or overfitting,
    and twice the epochs ended with a higher clean test loss (lightning_trainnoise)."""
    rates, tt = _training_errs_more(f), f.train_trend
    if rates is None or tt is None or not tt.slope_t < t.improving_t:
        return None
    te, ve = rates
    since, tail_t = own.numbers["since_x_from"], _tail_t(f, t)
    # (A last quarter that still falls by its t-test but gave too small a share of the whole improvement is said so,
    # as _still_falling_since_x says it, not "no clear fall".)
    tail = (f"the last quarter gave {_pct(f.trend.tail_drop)} of the whole improvement (t = {_t(tail_t)})"
            if tail_t < t.improving_t else f"the last quarter shows no clear fall (t = {_t(f.trend.slope_t)})")
    return (f"the line since {f.axis_name} {_n(since)} fell {_pct(own.numbers['since_x_gain'])} (t = "
            f"{_t(own.numbers['since_x_t'])}), but {tail} while train_loss's still falls (t = {_t(tt.slope_t)}) on "
            f"a training set erred on {te / ve:.1f}x as often as validation: more epochs fit the training set's own "
            "examples, and harder ones than held-out are what noisy labels give, memorised rather than learned; "
            "that fall is not carried on")


def _near_a_guess(f: Facts, t: Thresholds) -> str | None:
    """Evidence that a still-falling loss stays close to ln K (a uniform guess among K classes) however
    long it trains: ≥ ``underfit_guess`` of ln K now and ≥ ``underfit_guess_forecast`` of it forecast at
    twice the length; else None. A 1-unit MLP on circles, val 0.629 = 91% of ln 2 after 60 epochs and
    still falling, forecast 0.533 (77%) at 118: 4x the epochs gave 0.607, 16 units 0.033."""
    k, fc = f.chance.classes if f.chance is not None else None, f.forecast
    if not k or _higher(f) or not fc or fc.get("value") is None or fc.get("reason"):
        return None
    now = float(f.smoothed[-1])
    (share, of_guess), (ahead, _) = _guess_share(f, k, now), _guess_share(f, k, float(fc["value"]))
    if share < t.underfit_guess or ahead < t.underfit_guess_forecast:
        return None
    return (f"{f.metric} still falls, but sits at {now:.4g} = {of_guess}, and even the forecast "
            f"for {f.axis_name} {_n(fc['horizon'])} ({fc['value']:.4g}) is {_pct(ahead)} of it: near a "
            "uniform guess however long it trains")


def _gap_since_plateau(f: Facts) -> tuple[float, float] | None:
    """The gap at X and its growth from there to the end, as a share of validation's improvement, where
    validation's smoothed best came after X; else None. Measured from the best, as converged's gap line
    does, a validation curve still creeping to its best at the end shows no growth at all: a tiny
    Transformer char-LM under warm-up + cosine read "grew little (0.077% of it): 0.872 at the best, 0.873
    at the end" where the gap went 0.533 -> 0.873 after its plateau at epoch 10, and twice the epochs
    ended 2.571 -> 2.820, 9.7% higher (tests/fixtures/ecosystem/torch_tiny_transformer)."""
    g, pl = f.generalization, f.plateau
    if g is None or g.gap_end is None or pl.index is None or pl.epoch is None or g.val_min_epoch is None \
            or not g.val_min_epoch > pl.epoch or f.train_y is None or f.train_x is None or _higher(f) \
            or f.train_metric != "train_loss":
        return None
    ok = np.isfinite(f.train_y)
    if ok.sum() < 4:
        return None
    tx, ty = f.train_x[ok], f.train_y[ok]
    if not tx[0] <= pl.epoch <= tx[-1]:
        return None
    gap_x = _gap_at_plateau(f, tx, ty)
    rng = float(f.y[0] - g.val_min)
    growth = (g.gap_end - gap_x) / rng if rng > 0 else 0.0
    return gap_x, growth


def _gap_at_plateau(f: Facts, tx: np.ndarray, ty: np.ndarray) -> float:
    """val − train at X (the metric's units): the smoothed curves' difference there, or, where the centred window
    at X reaches the run's first point (X within half a window of the start), the medians of each raw curve over
    that window (validation's points; training's in that span of the axis, or its smooth interpolated at X where it
    has none there). A first point is a training loss's mean over its steepest epoch, and the mean carries it into
    X where the median of a falling stretch is its middle: the article's 64-64 MLP (Keras, Adam 3e-3, 150 epochs)
    read "val − train rose since the plateau: -0.286 at epoch 3 ... (64% of validation's improvement): what
    training still learns does not carry over", epoch 0's training loss 2.34 averaged into epoch 3, where the gap
    was 0.0168 − 0.0296 = -0.0128 and rose by 2.7% of the improvement, both curves at their noise floor. (Later
    windows keep the smooth: medians of 3 to 7 raw points moved the gap's reading across its 5% bar both ways on
    21 committed fixtures.)"""
    i, n = f.plateau.index, f.y.shape[0]
    h = min(window_for(f.n_points) // 2, i, n - 1 - i)
    if i - h > 0 or h == 0:
        return float(f.smoothed[i] - np.interp(f.plateau.epoch, tx, smooth(ty)))
    val = median(f.y[i - h:i + h + 1])
    span = (tx >= f.x[i - h]) & (tx <= f.x[i + h])
    train = median(ty[span]) if span.any() else float(np.interp(f.plateau.epoch, tx, smooth(ty)))
    return float(val - train)


def _converged_at_chance(f: Facts, t: Thresholds) -> str | None:
    """A converged verdict whose validation accuracy sits at chance (the test no_signal uses): the floor
    reached is a guess's, which "flat since X" does not say. No_signal needs the model to have memorised
    and underfitting a training loss that stopped falling; a GRU reading the first of 60 tokens (K = 4)
    fitted neither in 30 epochs (training 1.383 -> 1.351, crawling) and read converged at epoch 0 with
    validation accuracy 0.23: twice the epochs, twice the width or lr x10 left it at chance, the same
    task over 10 tokens reached 100% (tests/fixtures/ecosystem/torch_gru_long_sequence)."""
    c = f.chance
    if c is None or c.chance is None or c.val_acc_tail is None or _higher(f):
        return None
    if not _val_at_chance(c, t):
        return None
    return (f"validation accuracy {c.val_acc_tail:.3f} over the last quarter is at chance 1/{c.classes} = "
            f"{c.chance:.3f}{_k_source(c)}: the floor reached is a guess's")


#: A stated floor this many times under a converged validation loss leaves at least half of it above the floor: beyond
#: the scatter of a model at its floor (the lab's 64-128-64 MLP, 5 seeds, ended 0.92-1.42x its 0.01), what holds the
#: loss there is the model or its training, not the data's noise.
NOISE_FLOOR_FAR = 2.0


def _floor_words(f: Facts) -> str:
    """The stated floor as the evidence names it: a target noise variance is the floor of a mean squared error only;
    under an absolute or Huber loss, or a cross-entropy over noisy labels, it is the data's noise floor in the loss's
    units (``--noise-floor`` says no more)."""
    mse = re.search(r"(^|_)(mse|mean_squared_error)($|_)", f.metric) is not None
    return (f"the data's noise floor {float(f.noise_floor):g} (the targets' noise variance the run states)" if mse
            else f"the data's noise floor {float(f.noise_floor):g} the run states")


def _best_at_floor(f: Facts) -> float | None:
    """The smoothed best of a validation loss over the data's stated noise floor, where that best is within
    ``NOISE_FLOOR_NEAR`` of it (the floor reached, whatever came after); else None."""
    floor = f.noise_floor
    if not floor or _higher(f) or f.smoothed is None or not np.isfinite(f.smoothed).any():
        return None
    ratio = float(np.nanmin(f.smoothed)) / float(floor)
    return ratio if ratio <= NOISE_FLOOR_NEAR else None


def _bounce_at_stated_floor(f: Facts, causes: list[Cause]) -> list[Cause]:
    """Readings that promise a lower loss than the data's stated noise floor allows, withdrawn before the verdict is
    read: where the validation loss's smoothed best came within ``NOISE_FLOOR_NEAR`` of that floor, no bigger model
    goes lower (underfitting, and a data_limited no learning curve measured, are dropped); and where a bounce read as
    a step too large sits at the floor too (its level within ``NOISE_FLOOR_NEAR``), the bounce is the labels' noise
    moving the weights, not a step that holds the loss above a lower level: lr_too_high is listed as possible and
    converged, where read, leads. A digits MLP (64-64, AdamW wd 1) on 20% flipped labels, floor 0.940 (their
    entropy): best 1.042, "lower the lr (try 1/10)" at 68% with underfitting 51% beside it; lr / 10 for 400 epochs
    ended 1.074 against 1.073, its best 1.069 against 1.042, and 4x the width 1.039 (tests/fixtures/ecosystem/
    stated_noise_floor)."""
    if _best_at_floor(f) is None or not causes:
        return causes
    kept = [c for c in causes if not (c.id == "underfitting"
                                      or (c.id == "data_limited" and "gain_if_doubled" not in c.numbers))]
    causes = kept or causes
    lead = causes[0]
    if lead.id != "lr_too_high" or not ("oscillation" in lead.numbers or "level_bounce" in lead.numbers):
        return causes
    level = _now(f)
    ratio = level / float(f.noise_floor)
    if not ratio <= NOISE_FLOOR_NEAR:
        return causes
    lead.status, lead.confidence = "possible", min(lead.confidence, 0.5)
    lead.evidence.append(f"but {f.metric} bounces at {level:.4g}, {ratio:.2f}x {_floor_words(f)}: at the floor the "
                         "spread is the data's noise moving the weights, and a smaller step cannot take the loss "
                         "below it")
    i = next((i for i, c in enumerate(causes) if c.id == "converged"), None)
    if i is not None:
        causes.insert(0, causes.pop(i))
    return causes


def _at_noise_floor(run: Run, f: Facts, verdict: Cause, causes: list[Cause]) -> list[Cause]:
    """A loss at the data's noise floor, where the run states that floor (``meta["noise_floor"]``: a regression's
    target noise variance, which the lab knows because it generated them; ``--noise-floor`` for any log, a noisy
    labelling's entropy too): no model and no epoch count goes below it, so converged's "change the data or the
    model" becomes "only less noisy targets", and the readings whose remedy would have to beat the floor (a bigger
    model, more data, unmeasured) are dropped. Without a stated floor a flat level is read as before
    (:func:`_capacity_or_floor`: a model twice the size tells). The lab's 64-128-64 MLP on y = 2 x1 + 3 x2 +
    N(0, 0.1^2), seeds 0-4: smoothed val MSE 0.0094, 0.0092, 0.0142, 0.0110, 0.0133; the three within 1.25x of 0.01
    read so, where "change the data or the model" was the advice at all five.

    Under any other verdict whose validation loss reached the floor at its best (:func:`_best_at_floor`) the
    evidence says so, and an overfitting one keeps only the early stop among its actions: a smaller model,
    regularization or more data narrow the gap to what the best epoch reached, and go no lower (a digits MLP, 64-16-16,
    on 40% flipped labels, floor 1.552: best 1.700, "a bigger model ... less regularization" beside "a simpler or
    smaller model"; 2x the width reached 1.698, no decay 1.699). A converged loss ``NOISE_FLOOR_FAR`` or more above
    its floor says it, and where training sits that far above it too, names the capacity route: a linear model on
    sin(2 x1) + x2^2 / 2 - x3 + N(0, 0.5^2), 3.9x its floor 0.25, read "converged" with the floor nowhere, where a
    64-64 net reaches 0.270 (tests/fixtures/ecosystem/stated_noise_floor)."""
    floor = f.noise_floor
    if not floor or _higher(f):
        return causes
    if verdict.id != "converged":
        best = _best_at_floor(f)
        if best is None:
            return causes
        at = float(np.nanmin(f.smoothed))
        # (A curve still falling is near the floor, not done: what is left to it is the last stretch to the floor.)
        reached = ("little is left above the floor for more epochs to gain" if verdict.id in DESCENDING_VERDICTS
                   else "the floor was reached there")
        verdict.evidence.append(f"{f.metric}'s smoothed best {at:.4g} is {best:.2f}x {_floor_words(f)}: {reached}, "
                                "and no model goes lower on these targets")
        if verdict.id == "overfitting":
            verdict.actions = [a for a in verdict.actions if not _of_kind(a, GAP_REMEDY)] + \
                [f"to go below the best epoch's {at:.4g}, less noisy targets (labels): at the noise floor neither "
                 "another model, regularization nor more data lowers the loss"]
        verdict.numbers["noise_floor_ratio"] = best
        return causes
    level = _now(f)
    ratio = level / float(floor)
    if not ratio <= NOISE_FLOOR_NEAR:
        verdict.numbers["noise_floor_ratio"] = ratio
        if ratio < NOISE_FLOOR_FAR:
            verdict.evidence.append(f"{f.metric} {level:.4g} is {ratio:.2f}x {_floor_words(f)}: above it, by more "
                                    "than a floor's own scatter")
            return causes
        share = 1.0 - 1.0 / ratio
        verdict.evidence.append(f"{f.metric} {level:.4g} is {ratio:.2f}x {_floor_words(f)}: {_pct(share)} of it is "
                                "above what the data allows, held by the model or its training, not the noise")
        g = f.generalization
        if g is not None and g.train_end is not None and g.train_end >= NOISE_FLOOR_FAR * float(floor):
            i = next((i for i, a in enumerate(verdict.actions) if _of_kind(a, DATA_OR_MODEL)), len(verdict.actions))
            verdict.actions.insert(i, Action(f"a bigger model or better features: training too sits at "
                                             f"{g.train_end / float(floor):.1f}x the floor, so the model cannot fit "
                                             "what the data allows (losslens verify --cause underfitting retrains it "
                                             "twice the size)", MODEL_SIZE))
        return causes
    verdict.evidence.append(f"{f.metric} {level:.4g} is {ratio:.2f}x {_floor_words(f)}: no model goes lower on "
                            "these targets")
    verdict.actions = [a for a in verdict.actions if not _of_kind(a, DATA_OR_MODEL) and a != CAPACITY_OR_FLOOR] + \
        ["to go lower, less noisy targets: at the noise floor neither a bigger model nor more data nor more epochs "
         "lowers the loss"]
    verdict.numbers["noise_floor_ratio"] = ratio
    return [c for c in causes if c is verdict or not (c.id == "underfitting" or
                                                      (c.id == "data_limited" and "gain_if_doubled" not in c.numbers))]


#: underfitting's strength beside converged (a possibility, below the verdict) from its level: set by hand in 155f2d6
#: ("0.3-0.5 by the level", docs/ARCHITECTURE.md).
CAPACITY_OR_FLOOR_STRENGTH = (0.3, 0.5)


def _capacity_or_floor(f: Facts, t: Thresholds, verdict: Cause, causes: list[Cause], run: Run | None = None) -> None:
    """A training loss flattened high is what a model too small shows and what the data's own floor shows
    (noisy labels, classes that overlap, text's entropy): the curves cannot tell them apart, a model twice the
    size can. Whichever of converged and underfitting is the verdict, the other is named beside it with that run.

    Beside ``converged``, underfitting is listed as possible where the training loss flattened high
    (:func:`_held_high`) though validation did not end level with it (underfitting's other half): a 13-1-3 net
    (one tanh unit) on scikit-learn's wine, Keras Adam 1e-2, 60 epochs, training loss 0.442 (40% of ln 3) at
    accuracy 0.72, validation 0.50 at 0.60, read converged; a 64-64 net reached validation 0.19 and training
    accuracy 1.0 (tests/fixtures/ecosystem/capacity_or_floor). Its confidence stays below the verdict's (the
    possible range, 0.3-0.5 by the level): the flat curve is what was seen, the cause of its level is not. Not
    where the gap grew (:func:`_gap_grew`): a model still fitting its training data past validation has room
    left. Of 3,241 runs (the shared curves and the fixtures), 575 read converged; 2 get it, this one and a YOLO run.
    No fact in a log was found that decides it instead. On the benchmark's train split, of the runs whose training
    loss flattened this high, the underfitting labels (a bigger model went >= 30% lower) end with training's tail
    at t = -23 to +1 and training accuracy 0.11-0.86, the converged ones (DeepOBS' VAEs at their floor) at
    t = -44 to +0.3: neither the tail nor the accuracy separates them; a parameter count against the samples is
    in no log the readers see (the callbacks record none), and none of the benchmark's curves carries one.
    Beside ``underfitting`` (read off that level with validation level with it), a converged listed after it
    gets the same run: a tiny GPT-2 on a 16-state Markov chain, 74% of its start, reads underfitting though twice
    the width ends 3.3% lower (validation 1.860 -> 1.800, training 6.2%; the chain's entropy on the validation set
    is 1.782), short of underfitting's check (15% and 10%)."""
    if verdict.id == "underfitting" and "level_rel" in verdict.numbers:
        for c in causes:
            if c.id == "converged" and CAPACITY_OR_FLOOR not in c.actions:
                c.actions.insert(1, CAPACITY_OR_FLOOR)  # (second: a cause listed after the verdict shows two)
        return
    if verdict.id != "converged" or any(c.id == "underfitting" for c in causes) or _annealed(f, t) \
            or f.constant_tail >= 5:
        return  # (a level where the logged lr froze the weights is where the step ran out: _underfit_level)
    if _best_at_floor(f) is not None:
        return  # (validation reached the floor the run states: no bigger model goes lower, _at_noise_floor)
    if _floor_of_the_loss(f, t, verdict):
        return
    high = _held_high(f, t)
    if high is None or _gap_grew(f, t):
        errs = None if run is None else _errs_on_own_data(f, t, accuracy_fraction(run.get("train_acc")),
                                                          accuracy_fraction(run.get("val_acc")))
        if errs is not None:
            causes.append(errs)
        return
    level_rel, least, level_line = high
    ev = [level_line + ": the model fits its own training data no better than that"]
    c = f.chance
    if c is not None and c.train_acc_tail is not None and 0 <= c.train_acc_tail < 1:
        ev[0] += f" (training accuracy {c.train_acc_tail:.3f} over the last quarter)"
    ev.append(SMALL_OR_FLOOR)
    causes.append(Cause("underfitting", _ramp(level_rel, least, WHOLE, *CAPACITY_OR_FLOOR_STRENGTH), ev,
                        [CAPACITY_OR_FLOOR, ACTIONS["underfitting"][0]],
                        {"level_rel": level_rel}, status="possible"))


def _acc_text(acc: float) -> str:
    """An accuracy near the top as a percentage to a tenth (98.5%, not 99%), 100% bare."""
    if acc >= 1 - SAME_ACCURACY:
        return "100%"
    return f"{acc:.1%}" if f"{acc:.1%}" != "100.0%" else f"{acc:.2%}"


def _floor_of_the_loss(f: Facts, t: Thresholds, verdict: Cause) -> bool:
    """A converged verdict whose training loss flattened high (:func:`_held_high`'s level) while a logged accuracy
    says the model fits its data (:func:`_fitted_anyway`): the level is a floor the loss sets, not the model's
    capacity, so no underfitting is listed and converged says why; its "change the data or the model" becomes what
    can lower such a floor. True where it did so."""
    fit = _fitted_anyway(f)
    if fit is None or _held_high(f, t, fitted_too=True) is None:
        return False
    which, acc, level = fit
    other = f.chance.val_acc_tail if which == "training" else None
    also = f" (validation {_acc_text(other)})" if other is not None and math.isfinite(other) else ""
    bound = _calibrated_loss_bound(acc, f.chance.classes)
    # (At 100% a calibrated model pays 0: no multiple to quote.)
    times = "" if not bound > 0 else (f", {level / bound:.0f}x the most a calibrated model that accurate pays "
                                      f"({bound:.2g})" if level / bound < 100 else
                                      f", over 100x the most a calibrated model that accurate pays ({bound:.2g})")
    verdict.evidence.append(
        f"its {which} accuracy is {_acc_text(acc)} over the last quarter{also} while its {which} loss rests at "
        f"{level:.4g}{times}: the loss's floor is above 0 — label smoothing, a penalty inside the loss, or noisy "
        "labels — not a lack of capacity")
    verdict.actions = [a for a in verdict.actions if not _of_kind(a, DATA_OR_MODEL)] + [
        Action("a bigger model will not lower this floor: judge the run by its accuracy, or by the loss without its "
               "smoothing or penalty term; only cleaner labels lower a floor that noisy labels set", MODEL_SIZE)]
    verdict.numbers["fitted_acc"] = acc
    return True


#: A converged validation loss this share of which is the generalization gap (training at 1/10 of it or less) is
#: held by the data the model saw, not by what it can fit (:func:`_gap_is_the_level`).
GAP_SHARE_OF_LEVEL = 0.9
#: data_limited's strength there, from GAP_SHARE_OF_LEVEL to a level that is all gap: likely, below the verdict's
#: stop. Set by hand in 808541c ("likely (0.60-0.75 by the share)").
GAP_LEVEL_STRENGTH = (0.6, 0.75)


def _regularizers(f: Facts) -> str:
    """The regularizers an action to regularize more names, worded for the weight decay and dropout rate the run's
    saved settings give (``f.regularization``, ``f.dropout``; a value > 0 is one the run used): more of one it
    already uses, above the logged value, rather than adding it; "weight decay, dropout" where it logs neither.
    Every "regularize" action reads it (data_limited's, overfitting's, converged's beside a level that is all gap),
    so that no two name the same run's decay two ways. A Lightning MLP on 600 digits at weight_decay 1e-05
    (hparams.yaml), training ending at 8.4% of validation's level, was told "regularize: weight decay, dropout" as
    though it used none (tests/fixtures/ecosystem/lightning_weight_decay/wd_1e-05). How far to raise it is not
    said: the same model at 0.05 underfits (wd_0.05)."""
    decay, drop = _logged(f.regularization), _logged(f.dropout)
    if decay is None and drop is None:
        return "weight decay, dropout"
    # (The key as logged, not where: a decoupled decay's "where" carries a clause on its bound.)
    return ", or ".join((
        "add weight decay" if decay is None else f"raise the weight decay above the logged {decay.value:g} ({decay.name})",
        "add dropout" if drop is None else f"raise dropout above the logged {drop.value:g} ({drop.name})"))


def _logged(r):
    """A weight decay or dropout fact (``f.regularization``, ``f.dropout``) the run used (a value > 0), else None."""
    return r if r is not None and r.value is not None and r.value > 0 else None


def _less_regularizers(f: Facts, decay: bool = True, drop: bool = True) -> str:
    """underfitting's counterpart of :func:`_regularizers`: lower the weight decay (``decay``) and dropout rate
    (``drop``) the run's saved settings give, each named with its logged value and a value to try (verify's: the
    decay / 100, the dropout rate / 10); "" where it logs neither. A Lightning MLP at weight_decay 0.1
    (hparams.yaml) read underfitting was told "less regularization" as though it used none, while its converged,
    overfitting and data_limited name the decay (tests/fixtures/ecosystem/torch_reg_bend/hp)."""
    d, p = _logged(f.regularization) if decay else None, _logged(f.dropout) if drop else None
    return ", or ".join(
        ([f"lower the weight decay below the logged {d.value:g} ({d.name}), e.g. to {d.value / 100:g}"] if d else [])
        + ([f"lower dropout below the logged {p.value:g} ({p.name}), e.g. to {p.value / 10:g}"] if p else []))


def _regularize_less(f: Facts) -> Action:
    """underfitting's "less regularization" action, worded for the run's logged decay or dropout
    (:func:`_less_regularizers`); the bare words where it logs neither."""
    less = _less_regularizers(f)
    return Action("less regularization: " + less, LESS_REG) if less else LESS_REGULARIZATION


def _underfitting_actions(f: Facts) -> list[str]:
    """``ACTIONS["underfitting"]`` with its "less regularization" naming the run's logged decay or dropout."""
    return [_regularize_less(f) if _of_kind(a, LESS_REG) else a for a in ACTIONS["underfitting"]]


def _regularize_more(f: Facts) -> str:
    """data_limited's and overfitting's regularization action, "regularize: " and :func:`_regularizers`."""
    return "regularize: " + _regularizers(f)


def _overfitting_actions(f: Facts) -> list[str]:
    """``ACTIONS["overfitting"]`` with its "regularize" action naming the run's logged decay or dropout
    (:func:`_regularize_more`)."""
    return [Action(_regularize_more(f), GAP_REMEDY) if a == REGULARIZE else a for a in ACTIONS["overfitting"]]


def _gap_is_the_level(f: Facts, verdict: Cause, causes: list[Cause]) -> None:
    """A ``converged`` validation loss flat at a level that is almost all gap: the training loss ended at 1/10 of
    validation's or less (``GAP_SHARE_OF_LEVEL`` of validation's smoothed end is the gap), so the model fits the
    examples it saw, and validation held flat (no climb: a model memorising noisy labels shows one and reads
    overfitting). What lowers that level narrows the gap: more data, augmentation, regularization. The data_limited
    the gap lists becomes likely, ranked after the verdict (whose stop still holds: more epochs do not lower it),
    and converged's "change the data or the model" names those. The curves cannot measure what twice the data
    gives (a learning curve does, ``data_limited_measured``); the share says where the level comes from. Loss
    metrics only, where training's loss is not below 0 (a log-likelihood's can be): its floor is 0.

    Torch MLPs (Adam 1e-3, batch 32, 150 epochs, 2 seeds each): of 7 runs read converged at a share of 0.92-0.98
    (digits, 128 units, 150 and 300 examples; a 4-class make_classification at 100 and 400), twice the data
    lowered validation's best 32-45% every time; of 4 read converged at 0.16-0.20 (16 units with weight decay on
    20% flipped labels; 16 units on moons) 6% and 19-24%. With 20% of the labels flipped, 14 runs at a share of
    0.69-0.97 (digits at 300 and 600, make_classification at 200-400), where twice the data gained 2-10%, all read
    overfitting, none converged. Of the committed fixtures 55 runs read so (digits MLPs and CNNs, training at 9%
    of validation's level or far less); of the benchmark's cases one (a Keras transfer CNN, training 0.0018
    against 0.355); no verdict moved. ``tests/fixtures/ecosystem/torch_digits_few``."""
    g = f.generalization
    if verdict.id != "converged" or _higher(f) or g is None or g.gap_end is None or g.train_end is None \
            or not g.train_end >= 0 or not f.metric.startswith("val_"):
        return
    i = next((i for i, c in enumerate(causes) if c.id == "data_limited" and "gain_if_doubled" not in c.numbers),
             None)
    level = g.train_end + g.gap_end
    if i is None or not level > 0 or g.gap_end < GAP_SHARE_OF_LEVEL * level:
        return
    share = g.gap_end / level
    train = f.train_metric or "train_loss"
    line = (f"{train} ends at {g.train_end:.3g}, {_pct(g.train_end / level)} of {f.metric}'s {level:.3g}: the "
            f"model fits the examples it saw, and {_pct(share)} of {f.metric} is the gap to those it did not")
    verdict.evidence.append(line + ", which more data, augmentation or regularization narrow, not more epochs")
    # (Rebuilt, not reworded: it says something new, but it is still the action a later rule finds as "change the
    # data or the model".)
    verdict.actions = [Action(f"to go lower, more training data or augmentation, or regularization "
                              f"({_regularizers(f)}): {_pct(share)} of {f.metric} is the generalization gap",
                              DATA_OR_MODEL)
                       if _of_kind(a, DATA_OR_MODEL) else a for a in verdict.actions]
    dl = causes[i]
    dl.status, dl.confidence = "likely", _ramp(share, GAP_SHARE_OF_LEVEL, WHOLE, *GAP_LEVEL_STRENGTH)
    dl.evidence.append(line + f"; {f.metric} held flat, not climbing as an overfit one does")
    dl.actions.append(_regularize_more(f))
    dl.numbers["gap_share"] = share


#: A classifier that gets this share of its own training examples wrong over its last quarter has not fitted its
#: training data (a net with room to fit takes it to ~0: the same digits MLP at 32 units, 0.000 from epoch 40) ...
TRAIN_ERR_HIGH = 0.10
#: ... where at least half of validation's errors are the fit's too (training errs >= 1/2 as often as validation).
TRAIN_ERR_SHARE = 0.5



#: What a model erring on its own training examples cannot tell apart, said beside each underfitting reading of it.
SMALL_OR_FLOOR = ("a model too small and the data's own floor (noisy labels, classes that overlap) flatten alike: "
                  "the curve cannot tell them apart")


def _errs_cause(line: str, figures: dict) -> Cause:
    """Underfitting listed as possible off an error rate (``line``) the loss does not show, at the bottom of the
    possible range (0.3): the data's floor errs alike (:data:`SMALL_OR_FLOOR`), and the run that tells is a model
    twice the size (``CAPACITY_OR_FLOOR``)."""
    return Cause("underfitting", 0.3, [line, SMALL_OR_FLOOR], [CAPACITY_OR_FLOOR, ACTIONS["underfitting"][0]],
                 figures, status="possible")

def _errs_on_own_data(f: Facts, t: Thresholds, train_acc: np.ndarray | None,
                      val_acc: np.ndarray | None = None) -> Cause | None:
    """Beside ``converged``, underfitting listed as possible off the accuracies where the loss does not show it
    (:func:`_held_high`: its level under 40% of ln K, or its gap grown): training's error rate over the last
    quarter ≥ ``TRAIN_ERR_HIGH`` with validation's at most twice it (``TRAIN_ERR_SHARE``), and training accuracy
    flat there (its slope's t < 2). The loss's level is
    a proxy for the fit; the training accuracy is the fit: a cross-entropy at 25% of ln K still leaves a fifth of
    the training examples wrong. A 64-2-10 Keras MLP on digits (Adam 3e-2, 150 epochs): training loss 0.585
    (25% of ln 10), accuracy 0.796 against validation's 0.740, its loss gap grown 5.4% of validation's
    improvement, read converged 89% with underfitting unnamed; 32 units took validation's best 0.789 -> 0.107
    (tests/fixtures/ecosystem/keras_walk39, tiny.csv, tiny_fix.csv). Possible only, at the bottom of the possible
    range (0.3): a data floor (labels that overlap) errs alike, and the run that tells is a model twice the size
    (``CAPACITY_OR_FLOOR``). On the benchmark's train split it is listed beside 2 converged verdicts, both DeepOBS'
    3c3d on CIFAR-10 at Adam (training error 0.11 and 0.25), no verdict changed."""
    c = f.chance
    if c is None or c.val_acc_tail is None or _higher(f) or f.train_metric != "train_loss" \
            or not 0 <= c.val_acc_tail < 1:
        return None
    if c.train_acc_tail is None:
        return _errs_as_validation(f, t, val_acc)
    if not 0 <= c.train_acc_tail < 1:
        return None
    te, ve = 1 - c.train_acc_tail, 1 - c.val_acc_tail
    if te < TRAIN_ERR_HIGH or te < TRAIN_ERR_SHARE * ve or train_acc is None:
        return None
    # Plateaued there: training accuracy still climbing over its last quarter (t ≥ 2, the rising-phase bar
    # memorise_val_t reads) has room left -- a digits MLP on 35% flipped labels, 0.67 against validation's 0.58
    # and still fitting its noise (t = 2.2, the loss gap grown 20%), is the data's floor, not listed
    # (tests/fixtures/ecosystem/torch_label_noise).
    if not _acc_flat(train_acc, t):
        return None
    return _errs_cause(f"training accuracy {c.train_acc_tail:.3f} over the last quarter: it gets {_pct(te)} of its "
                       f"own training examples wrong ({_pct(te / ve)} of validation's error rate, "
                       f"{1 - c.val_acc_tail:.3f}), its accuracy flat there: the model has not fitted its own "
                       "training data", {"train_err": te, "err_share": te / ve})


def _last_quarter(a: np.ndarray) -> np.ndarray:
    """The last quarter of ``a``'s points, at least ``MIN_TAIL_POINTS`` (all of a shorter ``a``)."""
    return a[-max(MIN_TAIL_POINTS, a.shape[0] // 4):]


def _acc_flat(acc: np.ndarray, t: Thresholds) -> bool:
    """An accuracy's last quarter (≥ ``MIN_TAIL_POINTS``) not still climbing: its slope's t < ``memorise_val_t``."""
    q = _last_quarter(acc[np.isfinite(acc)])
    return q.shape[0] >= MIN_TAIL_POINTS and not (
        np.ptp(q) > 0 and ols_slope_t(np.arange(q.shape[0], dtype=float), q)[1] >= t.memorise_val_t)


#: ... or, no training accuracy logged, where the training loss ends at >= 3/4 of validation's: the two losses
#: level, so training errs about as often as validation does.
TRAIN_VAL_LEVEL = 0.75
#: ... unless the training loss ends this share above its own smoothed best (and ``TRAIN_LEFT_SDS`` of its noise sds):
#: the model had fitted its training data that much better and lost it, so its size is not what holds the level.
#: The moons and circles models too small to fit end 0.0-0.3% above theirs (~1 sd); a digits MLP at Adam 0.1,
#: 18% (3.5 sds).
TRAIN_LEFT_BEST = 0.05
TRAIN_LEFT_SDS = 3.0


def _errs_as_validation(f: Facts, t: Thresholds, val_acc: np.ndarray | None) -> Cause | None:
    """:func:`_errs_on_own_data` where only validation's accuracy is logged: validation's error rate over the last
    quarter ≥ ``TRAIN_ERR_HIGH``, its accuracy flat there (t < 2), and the training loss's last quarter at ≥
    ``TRAIN_VAL_LEVEL`` of validation's: the losses level, training errs on its own examples about as often. A
    model with room to fit takes its training loss far under validation's. A linear model and a 2-unit MLP on
    make_moons (Adam 1e-2, torch): validation 0.291 and 0.269 at accuracy 0.86, training 0.285 and 0.245, read
    converged 89% with nothing beside it; a 64-64 MLP reached 0.096 (tests/fixtures/ecosystem/linear_circles).
    Possible only (0.3), as there. No benchmark case (real or generated) gets it.

    Not where the training loss's last quarter sits ≥ ``TRAIN_LEFT_BEST`` above its smoothed best and ≥
    ``TRAIN_LEFT_SDS`` of its noise sds (:func:`_left_own_best`): a model held by its size rests at the lowest loss
    it reaches; one that fitted its data better and climbed back was thrown off that fit, by its step or its schedule.
    A 64-256-256-10 MLP on digits at Adam 0.1 (tests/fixtures/ecosystem/torch_high_lr_relapse,
    cf_adam_lr0.1_width256.csv: training 0.72 at its best, 0.847 over its last quarter, validation accuracy 0.64)
    read "underfitting: a bigger model". Twice the width did not help: 128 -> 256 wide over seeds 1-3 (make.out),
    and 256 -> 512 over seeds 0-3 on torch 2.13 (validation 0.78, 0.54, 1.44, 1.56 -> 0.87, 1.03, 1.01, 0.81: lower
    on 2 of 4, within the seeds' own spread), where Adam 0.01 at 256 ends 0.08-0.10 on each seed."""
    c = f.chance
    ve = 1 - c.val_acc_tail
    yt = f.train_y[np.isfinite(f.train_y)] if f.train_y is not None else None
    if ve < TRAIN_ERR_HIGH or yt is None or yt.shape[0] < MIN_TAIL_POINTS or f.metric != "val_loss":
        return None
    va = f.y[np.isfinite(f.y)]
    tr_end, va_end = float(median(_last_quarter(yt))), float(median(_last_quarter(va)))
    if not va_end > 0 or tr_end < TRAIN_VAL_LEVEL * va_end or _left_own_best(f, tr_end):
        return None
    if val_acc is None or not _acc_flat(val_acc, t):
        return None
    return _errs_cause(f"validation accuracy {c.val_acc_tail:.3f} over the last quarter, {_pct(ve)} of its examples "
                       f"wrong, with train_loss level with validation's ({tr_end:.4g} against {va_end:.4g}): the "
                       "model errs on its own training examples about as often, it has not fitted its own training "
                       "data", {"val_err": ve, "train_val_ratio": tr_end / va_end})


def _left_own_best(f: Facts, tr_end: float) -> bool:
    """The training loss ends at ``tr_end`` (its last quarter's median), ≥ ``TRAIN_LEFT_BEST`` above its smoothed
    best and ≥ ``TRAIN_LEFT_SDS`` of its noise sds: the model reached a better fit of its training data than it
    ends at, which a model too small to fit does not."""
    tp, noise = f.train_plateau, f.train_noise
    if tp is None or not tp.floor > 0 or not noise:
        return False
    above = tr_end - tp.floor
    return above >= TRAIN_LEFT_BEST * tp.floor and above >= TRAIN_LEFT_SDS * noise


def _gap_grew(f: Facts, t: Thresholds) -> bool:
    """The gap grew after validation's best or since the plateau by more than a third of ``overfit_gap_growth``
    of validation's improvement (converged's "the gap grew" line): training still learns what does not carry
    over, so the model has room to fit its own data, and its level is no capacity limit. A GPT-2 fine-tuned at lr
    3e-4 (hf_lm_finetune/ft_e6_lr3e-4: training flat at 73% of its start, the gap grown by 86% of validation's
    improvement) and a digits MLP on 35% flipped labels (torch_label_noise, 20%) are not listed underfitting."""
    g = f.generalization
    if g is None or g.gap_end is None:
        return False
    if g.gap_growth_range > t.overfit_gap_growth / 3:
        return True
    # (Since the plateau only where validation ends above training: a gap that rose from below toward 0 is training's
    # loss coming down to validation's, no fit of its own data beyond what validation gets.)
    since = _gap_since_plateau(f)
    return since is not None and since[1] > t.overfit_gap_growth / 3 and g.gap_end > 0


def _flat_from_start(f: Facts, t: Thresholds) -> bool:
    """A plateaued curve that never improved beyond its noise nor by 5% of its start learned all it could
    before its first point: X is that point (a bouncing one that came down more has an X to find)."""
    pl = f.plateau
    improved = pl.index is not None and pl.improvement > t.stuck_noise * f.noise
    return not improved and pl.improvement < t.flat_start_rel * abs(pl.start)


def _flat_after_first(f: Facts, t: Thresholds) -> bool:
    """:func:`_flat_from_start`, or a curve that never improved beyond 3 noise sds and whose points after the
    first made no fall beyond their noise: the median of the last quarter of them is not below the median of the
    first 5 by 3 standard errors of that difference (a median's: 1.25 sd / sqrt(n)), and a line through them does
    not fall at t < -3, where X's bootstrap interval spans over half the run. X is then the first
    point, as for a curve flat from it (DESIGN: it learned all it could before its first evaluation).

    The 5% bar alone read X off a floor picked from the noise where the noise is large against the level: a
    linear MSE model at SGD 0.7 bouncing 0.02-0.25 from its first epoch (smooth's minimum its last point, 46% of
    its start) read "X uncertain 0-59" at 59 of 60, a "steep drop" over the whole run and "stop at epoch 59";
    one at SGD 0.09, at its noise floor 0.011 from epoch 0 (5.9% below its first point, 2.5 sds), X = 5 [3, 57].
    Only X, its phases and converged's wording read it; the rules that measure jumps against the best keep the
    stricter :func:`_flat_from_start`."""
    if _flat_from_start(f, t):
        return True
    if not _no_fall_after_first(f, t):
        return False
    pl = f.plateau
    # And only where X's own bootstrap could not place it (its interval spans over half the run, what the reports
    # call "X uncertain"): a curve whose fall its seeds' mean shows, hidden in one run's noise, keeps an X it can date.
    lo, hi = pl.interval
    span = float(f.x[-1] - f.x[0])
    return span > 0 and float(hi) - float(lo) > UNCERTAIN_X_SHARE * span


def _no_fall_after_first(f: Facts, t: Thresholds) -> bool:
    """:func:`_flat_after_first` without its bar on X's interval: a curve that never improved beyond 3 noise sds and
    whose points after the first made no fall beyond their noise (:func:`_made_no_fall`)."""
    pl = f.plateau
    if pl.index is None or pl.improvement > t.stuck_noise * f.noise:
        return False
    return _made_no_fall(f.x[1:], _sign(f) * f.y[1:], f.noise, t)  # (lower is better)


#: :func:`_flat_after_first`: the points after the first whose median is read as the curve's level there.
FLAT_EARLY_POINTS = 5


def _made_no_fall(x: np.ndarray, rest: np.ndarray, noise: float, t: Thresholds) -> bool:
    """Did the points ``rest`` (on axis ``x``, shape (n,), lower is better) make no fall beyond their ``noise``? False
    where there are too few to tell (under 8) or no noise. Two readings of a fall, each missing what the other sees:
    the first few points against the last quarter (a drop over the first points, done before a first quarter's
    median), and a line through them all (a slow fall, t AR(1)-corrected)."""
    q = rest.shape[0] // 4
    if q < 2 or not noise > 0:
        return False
    m = min(q, FLAT_EARLY_POINTS)
    fell = float(np.median(rest[:m]) - np.median(rest[-q:]))
    se = 1.2533 * noise * math.sqrt(1.0 / m + 1.0 / q)
    return not (fell > t.stuck_noise * se or ols_slope_t(x, rest)[1] < t.improving_t)


#: converged: an lr cut below this share of its peak was cut again and again (ReduceLROnPlateau without a floor), no
#: planned schedule: its min_lr is named (48b4dc0); no measurement recorded. Not a rate still falling at each of its
#: last logged points (:func:`_cut_again`).
LR_CUT_AGAIN = 1e-6


def _cut_again(o) -> bool:
    """The logged lr was cut and cut again below ``LR_CUT_AGAIN`` of its peak (ReduceLROnPlateau without a floor),
    not run there by a planned decay. A plateau cut holds the rate between cuts; a planned decay to ~0 lowers it at
    every logged point to the end (``OptimizerFacts.lr_falling``). Any cosine to 0 over ~1,500 steps or more logged
    at each step ends under 1e-6 of its peak: a char-level MLP LM, AdamW 1e-2, cosine over 2,400 steps, logged every
    40, ended at 4.7e-09 (5e-07) and read "a floor for the decay (ReduceLROnPlateau(min_lr=...))", "change the data or
    the model", where the cosine over 4,800 steps ended 2.9% lower (tests/fixtures/ecosystem/sched_charlm)."""
    return o.lr_ratio is not None and 0 < o.lr_ratio < LR_CUT_AGAIN and not o.lr_falling


#: cycle_floor: the share of the improvement (the first point to the best cycle end) by which the run's last cycle
#: end must sit under every earlier one for the cycles to be still lowering it: X's own 5% band
#: (facts.plateau.FRACTION), read on the cycle ends.
CYCLE_FLOOR_SHARE = 0.05


def cycle_floor(f: Facts, t: Thresholds) -> Cause | None:
    """Converged at the floor a warm-restart schedule's cycles end at.

    Fires when (the conditions in full, and the runs that set them): the logged lr restarted at least once
    (:func:`losslens.facts.optimizer.warm_restarts`), the run ended a cycle (its last row a restart's, or its rate
    down as far as an earlier cycle's), the curve improved from its first point to its best cycle end, and the last
    cycle end sits within ``CYCLE_FLOOR_SHARE`` of that improvement of the best earlier one. Each restart
    lifts the loss (the step is large again) and each cycle's annealing takes it back down: the trend within the last
    cycle is that descent, not progress, and only what the cycles end at says whether more of them pay. Keras' SGD
    under CosineDecayRestarts (10, 20, 40 epochs) on a linear regression: still falling at t = -5.7 over its last
    quarter, read still_improving 84% "-18% by epoch 138", where its cycle ends were 0.1035, 0.1031, 0.1030 and 150
    epochs ended at 0.1032 (tests/fixtures/ecosystem/keras_sgdr_restarts). X is the first cycle end within the band.
    A lower-is-better curve only (a score's cycles are not read).

    First actions: keep the best cycle end's weights (more cycles end at the same level); change data/model to go
    lower.
    """
    c = f.cycles
    if c is None or not c.ended or len(c.values) < 2 or _higher(f):
        return None
    ends = np.asarray(c.values)
    floor = float(ends.min())
    gain = c.start - floor
    # (Nor where the last end climbed out of that band above the best: cycles that end ever higher are no floor.)
    if not gain > 0 or abs(float(ends[:-1].min()) - float(ends[-1])) > CYCLE_FLOOR_SHARE * gain:
        return None
    first = int(np.flatnonzero(ends - floor <= CYCLE_FLOOR_SHARE * gain)[0])
    x = c.at[first]
    listed = ", ".join(f"{_n(v)} ({f.axis_name} {_n(a)})" for a, v in zip(c.at, c.values))
    below = (float(ends[:-1].min()) - float(ends[-1])) / gain
    ev = [f"the lr was restarted at {f.axis_name} {', '.join(_n(r) for r in c.restarts)} (warm restarts): read at "
          f"each cycle's end, at its lowest lr, {f.metric} was {listed}",
          f"the last cycle ended {abs(below):.1%} of the improvement "
          + ("below" if below >= 0 else "above")
          + " the best cycle end before it: the cycles end at one level; the rises within each are the restarted lr's"]
    # (The best end's weights, not X's: X is where the ends came within the 5% band, and a digits MLP under
    # CosineAnnealingWarmRestarts ended its first cycle at 0.1587, 8% above its best end, 0.1462 at epoch 28:
    # tests/fixtures/ecosystem/fresh_kinds2/sgdr.json.)
    best = int(np.argmin(ends))
    acts = [Action(f"keep the weights of the best cycle end ({f.axis_name} {_n(c.at[best])}: {_n(c.values[best])}, "
                   "at its lowest lr)" + NO_GAIN_HERE + " (more cycles end at the same level)", claim=NO_GAIN_HERE),
            Action("to go lower, change the data or the model, not the number of cycles", DATA_OR_MODEL)]
    return Cause("converged", 0.8, ev, acts, {"cycle_floor": floor, "cycle_floor_at": x})


def mid_cycle(f: Facts, t: Thresholds) -> Cause | None:
    """Not judged yet: a warm-restart schedule's run cut within a cycle, above where its cycles ended.

    Fires when (the conditions in full, and the runs that set them): the logged lr restarted at least once
    (:func:`losslens.facts.optimizer.warm_restarts`), the run did not end a cycle (its last rate more than
    ``RESTART_JUMP`` times the lowest an earlier cycle reached: ``CycleEnds.ended`` false), and its last point sits
    above the best earlier cycle end by more than ``CYCLE_FLOOR_SHARE`` of the improvement (the first point to that
    end): what the run ends at is the restart's lift, which the cycle's annealing takes back down. sgdr.csv
    (tests/fixtures/ecosystem/keras_sgdr_restarts) cut at epoch 33, 4 epochs after the second restart, its lr 98% of
    its peak: val_loss 0.1565 against cycle ends 0.1035 and 0.1031, read converged "stop at epoch 6, change the data
    or the model"; the cycle ended at 0.1030 at epoch 69. It fires too where the last point is already back within
    that band (the fall since the restart is the annealing's, no pace to read) and takes over an overfitting read
    (the rise from a cycle end is the restart's jump), unless the cycle ends themselves climb out of the band: the
    same run and torch's CosineAnnealingWarmRestarts on that regression (tests/fixtures/ecosystem/torch_sgdr_cuts)
    cut at 40-50 read overfitting "regularize", at 58-66 "keep training" or "stop at epoch 6", where each third cycle
    ended at 0.1030. A lower-is-better curve only.

    First actions: finish the cycle before judging; keep the best cycle end's weights meanwhile. No X.
    """
    c = f.cycles
    if c is None or c.ended or not c.values or _higher(f) or c.lr_share is None:
        return None
    best = int(np.argmin(c.values))
    gain = c.start - c.values[best]
    end = float(f.y[-1])
    # (Cycle ends that climb out of the band are no restart's jump to wait out: the rise is read as it is.)
    if not gain > 0 or c.values[-1] - c.values[best] > CYCLE_FLOOR_SHARE * gain:
        return None
    listed = ("the earlier cycles ended at " if len(c.values) > 1 else "the cycle before ended at ") \
        + ", ".join(f"{_n(v)} ({f.axis_name} {_n(a)})" for a, v in zip(c.at, c.values))
    head = (f"the lr was restarted at {f.axis_name} {', '.join(_n(r) for r in c.restarts)} (warm restarts) and the "
            f"run ends within a cycle, its lr {c.lr_share:.0%} of that cycle's peak: {f.metric} ends at {_n(end)}, ")
    if end - c.values[best] > CYCLE_FLOOR_SHARE * gain:
        ev = [head + f"above where {listed} at their lowest lr; the restart lifted it and the cycle's annealing takes "
                     "it back down"]
    else:
        # Back at the earlier ends' level before the cycle's end: the fall since the restart is its annealing,
        # no pace to extrapolate (torch_sgdr_cuts cut at 58-66 read "keep training" and "stop at epoch 6, +0.2% by
        # epoch 149"; the cycle ended at 0.1030, the earlier ones at 0.1035 and 0.1031).
        ev = [head + f"already within {CYCLE_FLOOR_SHARE:.0%} of the improvement of where {listed} at their lowest "
                     "lr: the fall since the restart is the cycle's annealing; its end says whether the cycles still "
                     "lower it"]
    acts = [Action(f"mid-cycle: finish the cycle (its lr is {c.lr_share:.0%} of its peak) before judging: {listed}"),
            Action(f"until then the best weights are the best cycle end's ({f.axis_name} {_n(c.at[best])}: "
                   f"{_n(c.values[best])})")]
    return Cause("still_improving", 0.8, ev, acts, {"mid_cycle": c.lr_share})


def converged(f: Facts, t: Thresholds) -> Cause:
    """Reached the floor this setup reaches.

    Fires when (the conditions in full, and the runs that set them): the plateau no other cause explains: flat since
    X; gradient norm fell; no gap growth; forecast gain ≈ 0; one jump off the best that came back is said as a
    one-off (a glitch, one bad step) and lowers it to 0.65 where it came since X; on fewer than 20 points whose tail
    sd is ≥ 25% of the improvement (5x the 5% band X is read in) only `possible` ("too early to call it settled");
    a loss whose noise raised the L* X is read against to or above its first point (X at that point: every point
    "within 5%" of a fall the swings swamp; :func:`losslens.facts.plateau.x_floor`) and whose tail swings by
    ``LEVEL_BOUNCE`` of its level or more, only `possible` at 0.5, said so, with no stopping point; so too a loss
    with no X whose validation bounces at its level from its first evaluation (:func:`_bounce_at_level`), its end
    gap not read.

    Named bars it reads itself (:class:`Thresholds`): ``gradient_shrink``, ``improving_t``, ``overfit_gap_growth``,
    ``shape_min_points``, ``unsettled_noise``; the helpers it calls read more, and a bar of its own is a named
    constant or a literal commented where it is read.

    First actions: stop at X; change data/model to go lower.
    """
    pl, tr, o = f.plateau, f.trend, f.optimizer
    ev = []
    # (Where the curve never moved beyond its noise, X is its first point, as the verdict's header says:
    # "since epoch 1 ... stop at epoch 1" under "plateau at epoch 0" read as two answers.)
    x = float(f.x[0]) if pl.index is not None and _flat_after_first(f, t) else pl.epoch
    # X at the first point because the noise raised L* to or above the start (facts.plateau.x_floor): every point
    # is then "within 5%" of a fall that is not there, and "converged" names a level the curve never held. Géron's
    # wide-and-deep regression (handson-ml3 ch. 10 cell 96): val 0.95 -> 0.40 at epoch 4, then 0.61-3.30, its
    # noise sd 0.46, L* raised to 1.32, read "within 5% of its whole improvement since epoch 1" at 89%.
    # Only where its points swing by LEVEL_BOUNCE of its level or more (out of any 5% band): a resumed log flat at
    # the level it had reached (Lightning's, 0.25-0.31, sd under 10% of it) raises L* past its start too, and has
    # converged.
    swamped = (x == pl.epoch and pl.index == 0 and pl.window is None and not _higher(f)
               and x_floor(f.y) >= pl.start and _level_spread(f) >= LEVEL_BOUNCE)
    # No X at all where the fall came before the first evaluation and the points bounce at their level from there
    # (_bounce_at_level, lr_too_high's reading): the same swings, with no point to stop at. A linear regression at
    # SGD 0.05, batch 1 (torch_bs1_bounce_reg/lr0.05_bs1), validation 0.19-0.43, read "converged 80%: stop here",
    # its one line the end gap, which such swings set.
    bounce = _bounce_at_level(f, t) if pl.index is None else None
    if bounce is not None:
        tail = f.y[tr.tail_start:]
        ev.append(f"{f.metric} swings around its level from its first evaluation: over {_tail(f)} its point sd is "
                  f"{_pct(bounce)} of that level, between {float(tail.min()):.4g} and {float(tail.max()):.4g}, so no "
                  "level it settled at")
    if pl.index is not None:
        sign = _sign(f)
        moved = 'rose' if _higher(f) else 'fell'
        since = (f"swings more than its whole fall since {f.axis_name} {_n(x)}: {pl.start:.4g} at its first point, "
                 f"between {float(f.y[1:].min()):.4g} and {float(f.y[1:].max()):.4g} after it, its noise reaching above where "
                 "it started, so no level it settled at" if swamped
                 else f"within 5% of its whole improvement since {f.axis_name} {_n(x)}" if x == pl.epoch
                 else f"never {moved} beyond its noise nor by 5% from its first value" if _flat_from_start(f, t)
                 else f"never {moved} beyond its noise after its first value")
        ev.append(f"{f.metric} {since}; "
                  f"now {_now(f):.4g}; over {_tail(f)} "
                  + ("flat: its values differ only in their last digits (float rounding)" if tr.below_resolution
                     else f"{sign * tr.slope + 0.0:.2g}/{f.axis_name}, {_trend_words(sign * tr.slope_t)}")
                  + (f" of {_pct(abs(tr.tail_drop_level))} of "
                     f"{'its improvement so far' if f.offset_free else 'its level'}: flat for any use" if
                     tr.slope_t < t.improving_t and _fall_too_small(f, t) else ""))
    conf = 0.8 if abs(tr.slope_t) < 2 else 0.65
    if o.grad_norm_ratio is not None and o.grad_norm_ratio >= t.gradient_shrink:
        ev.append(f"gradient norm fell {_count(o.grad_norm_ratio)}x ({o.grad_norm_early:.3g} → {o.grad_norm_late:.3g}) "
                  "while the loss flattened")
        conf = min(0.95, conf + 0.1)
    g = f.generalization
    # (Not beside such a bounce: the gap at its end is where the last swing left validation.)
    if g is not None and g.gap_end is not None and bounce is None:
        grew = g.gap_growth_range > t.overfit_gap_growth / 3
        since = None if grew else _gap_since_plateau(f)
        if since is not None and since[1] > t.overfit_gap_growth / 3 and g.gap_end <= 0:
            # (Validation still at or below training at the end: the gap rose because training's loss came down to
            # validation's, which a Keras epoch's mean trails down a steep drop; nothing training learnt failed to
            # carry over. The article's MLP on 300 points read "-0.206 at epoch 3, -0.00323 at the end (8% ...):
            # what training still learns does not carry over" while validation fell 96% after epoch 3.)
            ev.append(f"{_gap_name(f)} rose since the plateau: {since[0]:.3g} at {f.axis_name} {_n(pl.epoch)}, "
                      f"{g.gap_end:.3g} at the end ({_pct(since[1])} of validation's improvement): validation still "
                      "ends below training, so training's loss came down to it, not a gap that opened")
        elif since is not None and since[1] > t.overfit_gap_growth / 3:
            gap_x, growth = since
            grown = (f"the gap grew since the plateau: {_gap_name(f)} =" if _gap_sized(gap_x, g.gap_end)
                     else f"{_gap_name(f)} rose since the plateau:")
            ev.append(f"{grown} {gap_x:.3g} at {f.axis_name} {_n(pl.epoch)}, "
                      f"{g.gap_end:.3g} at the end ({_pct(growth)} of validation's improvement): what training still "
                      "learns does not carry over to validation" + (", and training on widens the gap"
                                                                    if _gap_sized(gap_x, g.gap_end) else ""))
        elif grew and g.gap_end < 0 and g.gap_at_val_min is not None:
            # (Validation still below training at the end: "the gap grew: val − train = -0.00458" read as two answers
            # -- a linear regression at SGD 0.25, torch_sgd_bounce_reg -- so the signed measure is named, as
            # _gap_moved does, without its share: of an improvement the bounce swamps it read 106-289%. One that
            # crossed 0 and ends above it did grow, and keeps that line.)
            ev.append(f"{_gap_name(f)} rose after the best: {g.gap_at_val_min:.3g} at the best, {g.gap_end:.3g} at the "
                      "end (validation below training)")
        elif grew or g.gap_at_val_min is None:
            ev.append(f"{'the gap grew' if grew else 'no gap growth'}: {_gap_name(f)} = {g.gap_end:.3g} at the end")
        elif since is not None and g.rising_index is None:
            # (Validation's best is its last point: "at the best" and "at the end" would quote one number.)
            ev.append(f"{_gap_moved(f, since[0], g.gap_end, since[1], 'since the plateau')}: "
                      f"{_gap_name(f) + ' = ' if _gap_sized(since[0], g.gap_end) else ''}{since[0]:.3g} at {f.axis_name} {_n(pl.epoch)}, {g.gap_end:.3g} at the end")
        else:  # "no growth" read as a fact about the gap misleads when it went 0.111 -> 0.138: say both
            ev.append(f"{_gap_moved(f, g.gap_at_val_min, g.gap_end, g.gap_growth_range, None)}: "
                      f"{_gap_name(f) + ' = ' if _gap_sized(g.gap_at_val_min, g.gap_end) else ''}{g.gap_at_val_min:.3g} at the best, {g.gap_end:.3g} at the end")
    acts = [Action(f"stop at {f.axis_name} {_n(x)}{NO_GAIN}", STOP_AT, NO_GAIN, at=x)
            if x is not None else ACTIONS["converged"][0]] + ACTIONS["converged"][1:]
    numbers = {"slope_t": tr.slope_t}
    lone = [j for j in _jumps(f, t) if j[3]]
    if len(lone) == 1:  # (two or more are jumped's lr_too_high)
        i, _, rel, _ = lone[0]
        ev.append(f"{f.metric} jumped off its best once: {float(f.y[i]):.4g} at {f.axis_name} {_n(f.x[i])} "
                  f"({_share_or_times(rel)} the improvement made by then), back at the next point: read as a one-off "
                  "(a bad batch, a logging glitch); jumps that recur are a step too large (lr_too_high)")
        numbers["lone_jump"] = float(f.x[i])
        if pl.index is not None and i >= pl.index:
            conf = min(conf, 0.65)  # (a level that threw a point off since X is less settled than one that did not)
        if i >= f.n_points - max(MIN_TAIL_POINTS, f.n_points // 4):
            # A live stop on it waits until the jump has left the tail (integrations._core.firm_verdict).
            numbers["jump_in_tail"] = float(f.x[i])
    status = "likely"
    # (Not a curve flat from its start, which has no improvement to swing against, nor a batch loss, whose swing is
    # the batch drawn; the noise bar lr_too_high's bounce uses would be set by the swing itself on so few points.)
    if f.n_points < t.shape_min_points and pl.improvement > 0 and not _flat_from_start(f, t) \
            and not _batch_loss(f) and o.oscillation >= t.unsettled_noise:
        # (The shape rules wait for 20 points to tell bouncing from settling; until then a tail that swings this
        # far is neither, and "stop at X" would act on a guess.)
        ev.append(f"too early to call it settled: over {_tail(f)} its sd is {_pct(o.oscillation)} of its whole "
                  f"improvement, on {f.n_points} points (bouncing or settling shows from {t.shape_min_points})")
        numbers["unsettled"] = o.oscillation
        status, conf = "possible", min(conf, 0.5)
    if swamped:
        # ("Stop at X" would name a point the curve swung far above after it.)
        acts = [f"no stopping point to read: since {f.axis_name} {_n(x)} it swings more than its whole fall; its "
                "best epoch's weights are the ones to keep (restore_best_weights)"]
        numbers["swamped"] = True
        status, conf = "possible", min(conf, 0.5)
    elif bounce is not None:
        acts = ["no stopping point to read: it swings at its level from its first evaluation; its best epoch's "
                "weights are the ones to keep (restore_best_weights)"] + acts[1:]
        numbers["swamped"] = True
        status, conf = "possible", min(conf, 0.5)
    guess = _converged_at_chance(f, t)
    if guess is not None:
        ev.append(guess)
        acts.append("the model learned nothing beyond a guess: check that the inputs carry the label (the data "
                    "pipeline), and that this model can reach it: " + ACTIONS["no_signal"][-1].split(": ", 1)[1])
    # (Not where X is the first point: a curve that never fell beyond its noise has no fall after X but its noise's
    # dips; a Keras notebook's validation, 0.40 0.84 0.37 ... 1.10 0.31 ... 0.30, read "stop once it is flat, at about
    # epoch 15 ... stopping at 7 would have given up 18%" beside "never fell beyond its noise".)
    later = _fell_after_plateau(f) if x == pl.epoch and not swamped else None
    if later is not None:
        # X marks 95% of the whole drop; after a steep first epoch the last 5% can still be a
        # fifth of the level, and "stop at X" would give that up.
        drop, at, best, v_x = later
        flat = _flat_after_x(f, at)
        numbers["flat_from"] = flat  # (where the advice says it is flat: the chart's plateau starts there)
        # (Its best can be the run's last points, the tail still falling by its t-test: DeepOBS' quadratic at
        # Adam lr 2.5e-3, best at epoch 99 of 100, last quarter t = -56.6, read "before it flattened".)
        falls_on = f.trend.slope_t < t.improving_t and not _fall_too_small(f, t)
        then = (f"and {_tail(f)} still {'rises' if _higher(f) else 'falls'} (t = {_t(_sign(f) * f.trend.slope_t)})"
                if falls_on else "before it flattened")
        # Most of X's level given up after X (a training loss memorising towards 0: 0.0541 -> 3.9e-05, "100% lower")
        # is still at most the last 5% of the whole improvement, which is what X marks: said beside it, or "100%
        # lower" reads against the headline's plateau at X.
        whole = _whole_share(f, later)
        ev.append(f"but it went on {'rising' if _higher(f) else 'falling'} after {f.axis_name} {_n(pl.epoch)}: "
                  f"{_pct(drop)} {'higher' if _higher(f) else 'lower'} by {f.axis_name} {_n(at)} "
                  f"({v_x:.4g} → {best:.4g})"
                  + ("" if whole is None else f", yet only the last {_pct(whole)} of its whole improvement (X "
                     "marks where 95% of it was made),")
                  + f" {then}")
        if falls_on:
            # Its lowest point is at the run's end and the tail still falls: "stop once it is flat, at about
            # epoch 99" of a 100-epoch run names a point it never reached flat (DeepOBS fmnist_2c2d at Adam 1e-5,
            # 25% lower since X = 21, the last quarter 4.9% lower at t = -23.8). X stays where 95% of the
            # improvement was made, so the verdict stands; the advice says first that it still falls.
            fall = abs(f.trend.tail_drop_level)
            # (tail_drop_level is a share of the END level: a loss falling to a third over the tail is "200%" of it,
            # walk 46's wine MLP 6.3e-06 -> 2.5e-06 "146% lower". A loss's fall is said as a share of where the tail
            # began, fall / (1 + fall); a score's, or a loss with no zero point, by what its share is of.)
            said = (f"{_pct(fall / (1 + fall))} lower" if not _higher(f) and not f.offset_free else
                    f"a {'rise' if _higher(f) else 'drop'} of {_share_or_times(fall)} {_level_name(f)}")
            acts[0] = Action(f"still {'rising' if _higher(f) else 'falling'} at the end: {said} over {_tail(f)}, "
                             f"{_trend_words(_sign(f) * f.trend.slope_t)}; stop once it "
                             f"flattens{STILL_FALLING}; {_given_up(f, drop, whole)}", claim=STILL_FALLING)
            acts[1:] = _epoch_count_dropped(acts[1:])
        else:
            acts[0] = Action(f"stop once it is flat, at about {f.axis_name} {_n(flat)}{NO_GAIN}; "
                             f"{_given_up(f, drop, whole)}", STOP, NO_GAIN)
    if _schedule_ended(f, t):
        still = (f" (the last {f.constant_tail} {f.axis_name}s left {f.metric} unchanged)"
                 if f.constant_tail >= 5 else "")
        o = f.optimizer
        to = "0" if o.lr_last == 0 else f"{o.lr_last:.2g}, {o.lr_ratio:.1g} of its peak"
        if _cut_again(o):  # cut and cut again (ReduceLROnPlateau without a floor): no planned schedule
            ev.append(f"the learning rate was decayed to {to}: steps that small no longer move the weights{still}")
            acts.append("a floor for the decay (ReduceLROnPlateau(min_lr=...)) with early stopping ends the run "
                        "once the steps stop mattering")
        else:
            # A planned decay ran the step to ~0 as the run ended: the flat end is the schedule's end, which says
            # nothing of where the same decay spread over more epochs ends. More epochs at the end rate cannot
            # gain; a longer schedule can (the cosine to 0 of torch_cosine_end: twice the schedule 6-8% lower).
            if _ends_at_zero(f, t) and o.lr_ratio >= t.annealed_lr_ratio:
                to = f"{o.lr_last:.2g}, {_pct(o.lr_ratio)} of its peak{_peak_lr(o)}, its decay reaching 0 at the next step"
            ev.append(f"the learning rate was decayed to {to}: the flat end is where the schedule ended, its steps too "
                      f"small to move the weights{still}; it says nothing of where a longer schedule ends")
            acts = [_reword(acts[0], NO_GAIN, NO_GAIN_ANNEALED)] + [SCHEDULE_LONGER] + _epoch_count_dropped(acts[1:])
    if _higher(f):  # an accuracy: the same advice, its direction
        acts = [_reword(_reword(a, "lower the loss", f"raise {f.metric}"), "to go lower", "to go higher") for a in acts]
    return Cause("converged", conf, ev, acts, numbers, status=status)


def _flat_after_x(f: Facts, lowest: float) -> float:
    """Where a curve that went on falling after X flattened (axis units): X's own rule (:func:`plateau_onset`, 95%
    of the fall to its floor, read on the smooth) on the stretch from X, at most ``lowest``, the axis value of its
    lowest running median of 3 (:func:`_fell_after_plateau`), which it falls back to where the rule reads none.

    The lowest point is where the curve's last crumbs of fall ran out, not where it flattened: a Keras MLP under a
    cosine to 0 (tests/fixtures/ecosystem/keras_cosine_nolr/cos_s0.csv, X = 8) read "stop once it is flat, at about
    epoch 28" of 30, its lowest point (0.4452), where it sat at 0.4482 by epoch 18, 95% of the way from X's level.
    Where the rule reads the stretch flat from X itself, its smooth never fell beyond the noise it bounces with, and
    the lowest point stays what is said (a run at a constant lr of 0.05 bouncing 0.55-2.2 after X = 1, session 45's
    schedules walk, would read "flat at about epoch 1; stopping at 1 would have given up 24%")."""
    i = f.plateau.index
    onset = plateau_onset(f.x[i:], _sign(f) * f.y[i:], batch=bool(f.plateau.window)).epoch
    if onset is None or not math.isfinite(onset) or not onset > float(f.x[i]):
        return lowest
    return min(float(onset), lowest)


#: A fall after X of at least this share of X's level is also said as its share of the whole improvement.
HALF_THE_LEVEL = 0.5


def _whole_share(f: Facts, later) -> float | None:
    """The fall after X (``later``: :func:`_fell_after_plateau`'s ``(drop, at, best, v_x)``) from ``v_x`` (the
    level at X) to ``best`` as a share of the whole improvement, the first point's to ``best``; None where the drop
    is under ``HALF_THE_LEVEL`` of X's level or there is no improvement to share."""
    drop, _, best, v_x = later
    whole = abs(f.plateau.start - best)
    return abs(v_x - best) / whole if drop >= HALF_THE_LEVEL and whole > 0 else None


def _given_up(f: Facts, drop: float, whole: float | None) -> str:
    """What stopping at X would have cost a curve that went on falling after it (``drop``: a fraction of X's value;
    ``whole``: :func:`_whole_share`, said beside it where not None)."""
    line = f"stopping at {_n(f.plateau.epoch)} would have given up {_pct(drop)}"
    return line if whole is None else f"{line} of its level there ({_pct(whole)} of its whole improvement)"


# Words of a column that is part of a loss, not a measure of what the loss trains for: a VAE's KL term and
# reconstruction likelihood, a head's own loss. Such a part can fall while the total holds (another part rises).
_LOSS_PART_WORDS = ("loss", "kl", "kld", "nll", "elbo", "likelihood", "recon", "reconstruction")


def logged_quality_metrics(names, metric: str | None) -> list[tuple[str, bool]]:
    """The metrics among ``names`` (series names) that measure what the loss ``metric`` trains for, as
    ``[(name, higher_is_better), ...]``: a name that says its direction (:func:`~losslens.facts.metric_direction`;
    one that does not say is not read), not ``metric`` itself, not a training-split metric (what the training loss
    already says; Keras names it bare, ``mae`` beside ``val_mae``), not a part of a loss (a KL term, a head's loss: one part falls while another rises under a flat
    total), not the canonical series (the accuracies, which the solved / chance rules read). Read by
    :func:`_logged_metric_improves` after the run and by the callbacks' ``converged`` / ``stop_gain`` stops live."""
    names = list(names)
    out = []
    for name in names:
        low = name.lower()
        if name in CANONICAL or name == metric or axis_kind(name):
            continue
        if f"val_{name}" in names:  # Keras's ``mae`` beside ``val_mae``: the training split, named bare
            continue
        words = [w for w in low.replace("/", "_").replace("-", "_").replace(".", "_").split("_") if w]
        if any(w in TRAIN_SPLITS for w in words) or "loss" in low or any(w in _LOSS_PART_WORDS for w in words):
            continue
        direction = metric_direction(name)
        if direction is not None:
            out.append((name, bool(direction)))
    return out


#: still_improving's strength from a metric logged beside the loss that went on improving after X, logged_metric_gain
#: to 3x it (_logged_metric_improves, _still_falling_since_x): set by hand in b71efbc; no measurement recorded.
LOGGED_METRIC_STRENGTH = (0.6, 0.85)


def _logged_metric_improves(run: Run, f: Facts, t: Thresholds) -> Cause | None:
    """A measure the user logged beside the loss that kept improving after the loss's plateau X.

    ``converged`` says "stop at X: more epochs will not help". Where the log also holds a metric of the model's
    output -- a sample-quality distance, a BLEU, an F1 --, its name saying which way is better
    (:func:`~losslens.facts.metric_direction`; a name that does not say is not read), and that metric improved
    after X by >= ``logged_metric_gain`` of its level at X along a fitted line (OLS over the points from X on,
    t < ``improving_t`` with the AR(1) correction of the tail test) and was not turning back over the later half
    of that stretch, then more epochs did pay, in the measure the user chose: the verdict is
    ``still_improving``, read on that metric. Training-split metrics (what the training loss already says) and
    parts of a loss (a KL term, a head's loss: one part falls while another rises under a flat total) are not
    read; neither are the canonical accuracies, which the solved / chance rules read.

    A denoising diffusion model on two moons (tests/fixtures/ecosystem/lightning_ddpm): its val_loss is flat
    from epoch 5-17 of 40 within a noise of 3% of its improvement (the timestep drawn per example), read
    "converged: stop at X"; the energy distance of its samples to held-out data fell 0.05 -> 0.026 after X, and
    twice the epochs lowered it 51-57% (3 seeds) and the loss, measured on 20 draws, 4.1-4.9%."""
    pl = f.plateau
    if pl.index is None or f.adversarial is not None or len(run) < 3:
        return None
    x_from = float(f.x[pl.index])
    found = None
    # A score the reader negated into a loss (scikit-learn's validation_score under scoring="loss": -val_loss) is
    # that loss's own curve, not a measure beside it: read as one, it "kept rising after" the plateau of the very
    # curve that flattened (HistGradientBoostingRegressor at lr 0.05: "val_loss is flat since round 62, but
    # validation_score, also logged, kept rising after it ... stop on it").
    same = set((run.meta.get("negated") or {}).values())
    for name, direction in logged_quality_metrics([n for n in run.series if n not in same], f.metric):
        got = _improves_from(np.asarray(run.axis, dtype=float), np.asarray(run.series[name], dtype=float),
                             direction, name, x_from, t)
        if got is not None and (found is None or got[0] > found[1]):
            found = (name, got[0], got[1], direction, *got[2:])
    if found is None:
        return None
    name, gain, slope_t, higher, k, first, last, flat_from = found
    ax = f.axis_name
    way = "rising" if higher else "falling"
    ev = [f"{f.metric} is flat since {ax} {_n(pl.epoch)}, but {name}, also logged, kept {way} after it: "
          f"{first:.4g} → {last:.4g}, {_gain_words(gain, higher)} along the line fitted to its {k} points since then "
          f"(t = {_t(-slope_t if higher else slope_t)})",
          f"{f.metric}'s last gains are small next to its noise; what it trains the model for still improves"]
    acts = [Action(f"keep training while {name} improves; stop on it, not on {f.metric} (monitor='{name}' with a "
                   f"patience, or losslens diagnose --metric {name})", TRAIN_ON),
            f"X and the forecast above are {f.metric}'s: {name} had not plateaued there"]
    numbers = {"logged_metric": name, "logged_gain": gain, "logged_slope_t": slope_t}
    if flat_from is not None:
        # It improved after X and then flattened: converged stands, at the later point the metric says.
        ev[1] = f"{name} flattened over the later half of that stretch, from about {ax} {_n(flat_from)}"
        acts = [f"stop once {name} is flat, at about {ax} {_n(flat_from)}, not at {ax} {_n(pl.epoch)}: stopping "
                f"at X would have given up {_pct(gain)} of {name}; stop on it (monitor='{name}' with a patience)"]
        return Cause("converged", 0.65, ev, acts, numbers | {"logged_flat_from": flat_from})
    return Cause("still_improving",
                 _ramp(gain, t.logged_metric_gain, 3 * t.logged_metric_gain, *LOGGED_METRIC_STRENGTH), ev, acts,
                 numbers)


#: _accuracy_rose_after_x: the line fitted to validation accuracy since X must rise by this many binomial standard
#: errors of one evaluation (at the line's level at X, on n_val examples): between the runs it was measured on.
#: Digits under label smoothing 0.3 (449 held out; tests/fixtures/ecosystem/accuracy_after_x/ls.csv) rose 2.0 sds
#: from epoch 30 (raw 0.938 -> 0.962; twice the epochs reached 0.973, test 0.951 -> 0.976); a digits MLP trained on
#: 150 examples (same 449) 1.1 sds from epoch 12 (0.909 -> 0.927; test 0.913 -> 0.918 by epoch 50, 2 examples), and
#: scikit-learn's MLP on 120 held-out digits about 1.3 (0.95 -> 0.975, 3 examples; no gain on the test set).
ACC_RISE_SE = 1.5


def _accuracy_rose_after_x(run: Run, f: Facts, t: Thresholds) -> Cause | None:
    """:func:`_logged_metric_improves`'s reading on the validation accuracy the log holds, which that rule leaves
    to the solved / chance rules: a converged verdict's "stop at X" where the accuracy kept climbing after X.

    The same test (:func:`_improves_from`: a line fitted to the points from X on, t < ``improving_t``, closing
    >= ``logged_metric_gain`` of the distance below 1, its later half flatter or not) and, since an accuracy moves
    by whole examples, a fitted rise of at least :data:`ACC_RISE_SE` binomial standard errors of one evaluation on
    its ``n_val`` examples (n_val given, or read off the accuracy's steps; not read without it). Where the curve
    diagnosed is that accuracy (``--metric val_accuracy``) it is said as the curve's own climb.

    Digits at label smoothing 0.3 (tests/fixtures/ecosystem/accuracy_after_x/ls.csv, Adam 1e-4, 60 epochs):
    val_loss "a steady fall (t = -13.7)" read "converged: stop at epoch 30" while validation accuracy went 0.938 ->
    0.962 (30 -> 59) and 0.973 by 119 trained on (test 0.951 -> 0.969 -> 0.976); its loss's floor is the smoothing's,
    so the accuracy is the measure the run is judged by."""
    pl = f.plateau
    if pl.index is None or f.adversarial is not None or f.chance is None or not f.chance.n_val \
            or _batch_loss(f) or len(run) < 3:
        return None
    acc = accuracy_fraction(run.get("val_acc"))
    if acc is None:
        return None
    n = int(f.chance.n_val)
    ax = np.asarray(run.axis, dtype=float)
    # (Not before the run's first since_x_from, as _still_falling_since_x reads its own curve: after a steep first
    # epoch the settling just past X is no climb. DeepOBS' WRN-16-4 on SVHN at momentum 0.99, X at epoch 4 of 160:
    # accuracy 0.934 -> 0.948 by epoch 20, flat for 140 epochs after, read "kept rising" along the line from X.)
    x_from = max(float(f.x[pl.index]), float(f.x[0] + t.since_x_from * (f.x[-1] - f.x[0])))
    got = _improves_from(ax, acc, True, "val_acc", x_from, t)
    if got is None:
        return None
    gain, slope_t, k, first, last, flat_from = got
    ok = np.isfinite(acc) & (ax >= x_from)
    xs, ys = ax[ok], acc[ok]
    slope, _ = ols_slope_t(xs, ys)
    rise = slope * float(xs[-1] - xs[0])
    p = float(np.clip(np.mean(ys) + slope * (xs[0] - np.mean(xs)), 0.0, 1.0))  # (the line's level at X)
    se = _binomial_se(p, n)
    if not rise >= ACC_RISE_SE * se:
        return None
    own = f.metric == "val_acc"
    name = "validation accuracy"
    axn = f.axis_name
    since = (f"{f.metric} is within 5% of its whole improvement since {axn} {_n(pl.epoch)}, but it kept rising after "
             f"it" if own else f"{f.metric} is flat since {axn} {_n(pl.epoch)}, but {name}, also logged, kept rising "
                               f"after it")
    ev = [f"{since}: {first:.4g} → {last:.4g}, {_gain_words(gain, True)} along the line fitted to its {k} points since "
          f"then (t = {_t(-slope_t)}), a rise of {rise:.3g}, {_count(rise / se, 1)} binomial standard errors of one "
          f"evaluation on its {n} examples ({_count(rise * n)} more right)"]
    mon = run.logged_name("val_acc")  # (what the callback's monitor= names: the log's own column)
    given = f"stopping at X would have given up {rise:.3g} of its accuracy ({_count(rise * n)} of {n} examples)"
    numbers = {"logged_metric": "val_acc", "logged_gain": gain, "logged_slope_t": slope_t, "accuracy_rise": rise,
               "accuracy_rise_se": rise / se}
    if flat_from is not None:
        ev.append(f"{name} flattened over the later half of that stretch, from about {axn} {_n(flat_from)}")
        acts = [f"stop once {name} is flat, at about {axn} {_n(flat_from)}, not at {axn} {_n(pl.epoch)}: {given}; "
                f"stop on it (monitor='{mon}' with a patience)"]
        return Cause("converged", 0.65, ev, acts, numbers | {"logged_flat_from": flat_from})
    # Not flattened over its later half, it is still no still_improving verdict: the line is mostly the climb's first
    # part. Trained on to twice the epochs, a Keras MLP at SGD 1.0 on digits (keras_walk39/lr_high1.0.csv, 2.2 sds
    # since X, later half not flat) went 0.967 -> 0.971 and a torch MLP at Adam 3e-3 (torch_stuck_high_lr/
    # cf_adam_lr0.003.csv, 2.7 sds) 0.974 -> 0.976: under 2 examples each. The stop moves off X, onto the accuracy.
    ev.append(f"{name} had not flattened by the end (its later half's slope within noise of the whole stretch's)")
    acts = [f"not a stop at {axn} {_n(pl.epoch)}: {given}; train on with early stopping on {name} (monitor='{mon}' "
            "with a patience, restoring the best weights)"]
    return Cause("converged", 0.65, ev, acts, numbers)


#: _squared_error_crawls: a mean -ln p of at most this at a point where fewer than SQUARED_ACC_TOP of the examples are
#: right is no cross-entropy (by Jensen, mean -ln p <= 0.25 puts the mean p at >= 0.78, so > 55% of them above
#: 1/2, right): the loss is a squared error on the class probabilities (a uniform softmax scores (K - 1) / K^2 per
#: output, 0.25 at K = 2, 0.09 at K = 10) or another bounded loss.
SQUARED_LOSS_TOP = 0.25
SQUARED_ACC_TOP = 0.55
#: ... and the loss fell at least this share of its level at X after X, training's own loss still falling at the
#: end (t < improving_t): Keras' softmax MLP on digits at SGD 1.0 under loss="mse" fell 38% after a converged X at
#: epoch 18 (tests/fixtures/ecosystem/mse_onehot); trained on to 80 epochs 21% lower, lr x10 46% lower. Adam 1e-2,
#: truly flat (80 epochs: no lower), rose after its X.
SQUARED_FELL_SINCE_X = 0.2


def _squared_error_crawls(run: Run, f: Facts, t: Thresholds) -> Cause | None:
    """A ``converged`` validation loss that is a squared error on class probabilities (MSE on one-hot targets, an
    old tutorial's loss="mse" for a classifier), still falling a large share of its level since X: still_improving.

    Fires on a converged lead where: an accuracy is logged beside its loss (training's pair, epoch means, or
    validation's) and at their first point the loss is at most ``SQUARED_LOSS_TOP`` (0.25) while the accuracy is
    under ``SQUARED_ACC_TOP`` (0.55), which no cross-entropy scores; the diagnosed val_loss fell at least
    ``SQUARED_FELL_SINCE_X`` of its level at X after X (its running median of 3, X to the end); and the training
    loss's last quarter still falls (t < ``improving_t``). A squared error's gradient shrinks with the distance to
    the one-hot target (through a softmax by p(1 - p) more), so it crawls after its big gains, and "within 5% of its
    whole improvement" measured from a uniform output's (K - 1) / K^2 holds a fall of a third of its level.

    Keras' 64-64-10 softmax MLP on digits under loss="mse" at SGD 1.0 (tests/fixtures/ecosystem/mse_onehot):
    read "converged at epoch 18" at 0.00592 (0.00958 at X); trained on to 80 epochs 0.00469 (-21%), lr x3 0.00432,
    lr x10 0.00320 (-46%). Not read: Adam 1e-2 on the same model (converged; 80 epochs no lower), whose val_loss
    rose after X.

    Actions: keep training or raise the learning rate; for a classifier, cross-entropy."""
    if f.metric != "val_loss" or f.plateau.index is None or f.train_trend is None \
            or not f.train_trend.slope_t < t.improving_t:
        return None
    first = None
    for loss_key, acc_key in (("train_loss", "train_acc"), ("val_loss", "val_acc")):
        loss, acc = run.get(loss_key), accuracy_fraction(run.get(acc_key))
        if loss is None or acc is None:
            continue
        loss, acc = np.asarray(loss, dtype=float), np.asarray(acc, dtype=float)
        both = np.flatnonzero(np.isfinite(loss) & np.isfinite(acc))
        if both.size and 0 < loss[both[0]] <= SQUARED_LOSS_TOP and acc[both[0]] < SQUARED_ACC_TOP:
            first = (loss_key, float(loss[both[0]]), float(acc[both[0]]))
            break
    if first is None:
        return None
    y = median3(f.y)
    at_x, end = float(y[f.plateau.index]), float(y[-1])
    if not at_x > 0 or not (at_x - end) >= SQUARED_FELL_SINCE_X * at_x:
        return None
    share = (at_x - end) / at_x
    key, level, acc0 = first
    near = min(range(2, 1001), key=lambda k: abs((k - 1) / k ** 2 - level))
    uniform = (near - 1) / near ** 2
    # (Said only where the level names one K: an epoch's mean starts below the untrained point.)
    k_words = f", near a uniform softmax's (K - 1) / K^2 = {uniform:.4g} at K = {near}" \
        if abs(uniform - level) <= 0.05 * uniform else ""
    ax = f.axis_name
    ev = [f"{f.metric} is a squared error on the class probabilities, not a cross-entropy: {key} started at "
          f"{level:.4g}{k_words}, beside accuracy {acc0:.3f}; a cross-entropy that low (≤ {SQUARED_LOSS_TOP:g}) puts "
          f"the right class's mean probability at ≥ 0.78, more than {SQUARED_ACC_TOP:.0%} right",
          f"{f.metric} fell {_pct(share)} of its level after {ax} {_n(f.plateau.epoch)} ({at_x:.4g} → {end:.4g}) and "
          f"train_loss still falls at the end (t = {_t(f.train_trend.slope_t)}): a squared error's gradient shrinks "
          "with the distance to the one-hot targets (through a softmax by p(1 - p) more), so it crawls long after its "
          "big gains; \"within 5% of its whole improvement\", measured from a uniform output's level, is no floor"]
    acts = [Action("keep training, or raise the learning rate: the loss still falls at this pace", TRAIN_ON),
            "for a classifier, train on cross-entropy (Keras loss='categorical_crossentropy' on the softmax, "
            "torch's CrossEntropyLoss on the logits): its gradient does not vanish as the outputs near their targets"]
    return Cause("still_improving", 0.75, ev, acts,
                 {"squared_first_loss": level, "fell_since_x": share, "train_slope_t": f.train_trend.slope_t})


def _still_falling_since_x(f: Facts, t: Thresholds) -> Cause | None:
    """The diagnosed metric itself, read converged on its last quarter, still falling by a large part of its
    level over the rest of the run since X: :func:`_logged_metric_improves`'s test on the metric's own points.

    ``converged`` rests on the last quarter's slope (t > ``improving_t``). On a noisy metric that falls slowly
    by a factor -- a sample-quality distance of a diffusion model, its noise a sixth of its level from one
    epoch to the next -- ten points cannot show that fall, and "stop at X: more epochs will not lower it" is
    then a claim the data do not make. So the points from X on (X as DESIGN.md defines it, unchanged) but not
    before the run's first ``since_x_from`` (a quarter: after a first epoch that fell 50-fold, X at 95% of the
    drop leaves the curve at 3x its end level, and the settling that follows would read as the trend, or its
    end as "flattening") are read as a logged metric's are (:func:`_improves_from`): a fitted line that
    improved by >= ``logged_metric_gain`` of its level at the stretch's start at t < ``improving_t`` (with the
    tail test's AR(1) correction), its later half not significantly flatter than the whole. Then the verdict is
    ``still_improving``; X stays where DESIGN puts it, and the forecast quantifies what more epochs buy, as
    for any still-improving curve -- and is read as for a falling tail: expecting < ``forecast_little`` more at
    P(> 1%) < ``forecast_unlikely`` it leaves ``converged`` standing, at a higher P it caps the reading
    (:func:`_doubted`). Not for a batch loss logged by step (its scatter is the batch drawn; the
    tail-blind and half tests read those), not for an lr annealed to its floor (the fall was the schedule's), not
    for the canonical accuracies (as :func:`logged_quality_metrics` leaves them: on a small held-out set they move
    by one example, and the solved / chance / cut-in-noise rules read them with their binomial noise; scikit-learn's
    MLP on 120 held-out digits, patience 50, went 0.95 -> 0.975 over 146 iterations, 6 errors to 3, "63% of its
    distance below 1" along a line, where 200 iterations with no early stopping gained nothing on the test set).

    The DDPM on two moons (tests/fixtures/ecosystem/lightning_ddpm), --metric sample_energy_distance: X at
    epoch 1-2 of 40 (the first epoch fell 1.5-3.1 -> 0.12-0.14), the last quarter's t = +0.7 / -0.0 / -1.5
    (seeds 0 / 1 / 2) read "converged: more epochs will not lower it"; over epochs 10-39 the line fell 36% / 30%
    at t = -3.9 / -3.8 (seeds 0 / 1; seed 2: t = -0.9, still converged), and twice the epochs lowered it 51-57%
    (3 seeds; the 80-epoch run of seed 0, which read converged when cut at 50 and 60 epochs, reaches 0.010 vs
    0.027 at 40)."""
    pl = f.plateau
    # (Not for a loss with no zero point, whose "level" is the target's units: read against the run's own
    # improvement instead, a fall after X is at most the 5% X leaves, below logged_metric_gain's 10% of it.)
    if pl.index is None or f.adversarial is not None or _batch_loss(f) or _annealed(f, t) or f.n_points < 3 \
            or f.metric in ACCURACY_FALLBACK or f.offset_free:
        return None
    x = np.asarray(f.x, dtype=float)
    x_from = max(float(x[pl.index]), float(x[0] + t.since_x_from * (x[-1] - x[0])))
    got = _improves_from(x, np.asarray(f.y, dtype=float), _higher(f), f.metric, x_from, t)
    if got is None or got[-1] is not None:
        return None  # (it improved and then flattened: converged, its stop moved by _fell_after_plateau)
    if _nothing_left(f, t):
        return None  # (the forecast, fitted to the whole curve, sees it level off: as for a falling tail, _falling)
    gain, slope_t, k, first, last, _ = got
    ax, sign, tr = f.axis_name, _sign(f), f.trend
    moving = "rising" if sign < 0 else "falling"
    ev = [f"{f.metric} is within 5% of its whole improvement since {ax} {_n(pl.epoch)}, but still "
          f"{moving} by a large part of its level: {first:.4g} → {last:.4g} from {ax} "
          f"{_n(float(x[x >= x_from][0]))}, {_gain_words(gain, sign < 0)} along the line fitted "
          f"to its {k} points since then (t = {_t(sign * slope_t)}), not flattening over their later half",
          # (A last quarter still moving by its t-test was read flat for the small share of the whole
          # improvement it gave, beside a first drop that dwarfs it, not for its noise.)
          f"the last quarter, still {moving} (t = {_t(sign * _tail_t(f, t))}), gave {_pct(tr.tail_drop)} of the whole "
          f"improvement, too small a share to read by itself" if _tail_t(f, t) < t.improving_t else
          f"the last quarter alone is too noisy to show it (t = {_t(sign * tr.slope_t)})"]
    cause = Cause("still_improving",
                  _ramp(gain, t.logged_metric_gain, 3 * t.logged_metric_gain, *LOGGED_METRIC_STRENGTH), ev,
                  list(ACTIONS["still_improving"]),
                  {"slope": tr.slope, "slope_t": tr.slope_t, "since_x_gain": gain, "since_x_t": slope_t,
                   "since_x_from": x_from})
    if _forecast_doubts(f, t):
        # The line since X says the curve still moves; the forecast, fitted to the whole curve, that it levels off
        # within twice the length. scikit-learn's MLPRegressor (100 units, Adam 0.1, early stopping) on diabetes,
        # seed 1: val R² 0.41 -> 0.50 along a line since iteration 52 (t = 14.9) read "still improving (0.71): keep
        # training" beside a forecast of +0.18% by 412 (P = 37%); twice the iterations ended within 2% (1 - R²
        # 0.4925 -> 0.4952, its best 0.4885 -> 0.4742).
        _doubted(cause, f, t, f"the line since {ax} {_n(float(x[x >= x_from][0]))} may be levelling off")
    return cause


def _gain_words(gain: float, higher: bool) -> str:
    """:func:`_improves_from`'s gain in words: a loss's as "N% lower"; a score's gain is a share of its distance below
    its ceiling (0.95 -> 0.975 is half of the way to 1, not 2.6% higher), and is said so."""
    return f"{_pct(gain)} of its distance below its ceiling closed" if higher else f"{_pct(gain)} lower"


def _improves_from(ax: np.ndarray, values: np.ndarray, direction: bool, name: str, x_from: float, t: Thresholds):
    """The test :func:`_logged_metric_improves` and :func:`_still_falling_since_x` read on one series: over its
    finite points at axis values >= ``x_from`` (``ax``, ``values``: 1-D, one per logged point), a fitted line
    that improved by >= ``logged_metric_gain`` of its level at the stretch's start (for a score, the distance below
    its ceiling) at t < ``improving_t`` (AR(1)-corrected, as the tail test). ``(gain as a fraction of the level,
    slope t, points, first value, last value, flat_from)``, where ``flat_from`` is the axis value the later half
    of the stretch starts at when that half's slope is shallower than the whole stretch's by more than
    ``|improving_t|`` of its standard errors (it flattened), else None; None where it did not improve so."""
    ok = np.isfinite(values) & (ax >= x_from)
    if int(ok.sum()) < 2 * MIN_TAIL_POINTS:
        return None
    x, z = ax[ok], (-1.0 if direction else 1.0) * values[ok]
    slope, slope_t = ols_slope_t(x, z)
    if not slope_t < t.improving_t:
        return None
    start = float(np.mean(z) + slope * (x[0] - np.mean(x)))
    end = float(np.mean(z) + slope * (x[-1] - np.mean(x)))
    if direction:  # a score: its level is the distance below its ceiling (1 - accuracy, 1 - F1)
        from .forecasting import score_top
        top = score_top(-z, name)
        level = top + start if top else abs(start)  # (z is the negated score: top - score = top + z)
    else:
        level = abs(start)
    gain = (start - end) / level if level > 0 else 0.0
    if gain < t.logged_metric_gain:
        return None
    # Did it flatten? The later half's slope shallower than the whole stretch's by more than |improving_t| of
    # its standard errors (the tail test's bar; at 2 a sample metric's noise read a 40-epoch diffusion run,
    # seed 1, as flat from epoch 25, where twice the epochs lowered it 52%).
    half = x >= x[0] + (x[-1] - x[0]) / 2
    later, se = _slope_se(x[half], z[half]) if half.sum() >= MIN_TAIL_POINTS else (slope, float("inf"))
    flat_from = float(x[half][0]) if later - slope > -t.improving_t * se else None
    return gain, slope_t, int(ok.sum()), float(values[ok][0]), float(values[ok][-1]), flat_from


def _slope_se(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """OLS slope of ``y`` on ``x`` and its standard error, AR(1)-inflated as the tail test's
    (``facts.trend.ols_slope_t``); 0 for points exactly on a line."""
    slope, t_stat = ols_slope_t(x, y)
    if np.isfinite(t_stat) and t_stat != 0:
        return slope, abs(slope / t_stat)
    xc = x - x.mean()
    r = y - y.mean() - slope * xc
    if float(r @ r) == 0.0 or x.shape[0] < 3:
        return slope, 0.0 if float(r @ r) == 0.0 else float("inf")
    return slope, float(np.sqrt(float(r @ r) / (x.shape[0] - 2) / float(xc @ xc)))


def _solved(f: Facts, t: Thresholds) -> dict | None:
    """Validation accuracy at its ceiling (within one example of 100%) over at least the run's last quarter,
    read beside a loss: the numbers the solved reading quotes, else None. Training accuracy alone never counts:
    100% there is what memorising looks like."""
    c = f.chance
    if _higher(f) or c.val_acc_top_since is None or c.val_acc_top_points < t.solved_points \
            or c.val_acc_top_points < t.solved_share * c.val_acc_points:
        return None
    return {"solved_since": c.val_acc_top_since, "solved_points": c.val_acc_top_points,
            "solved_min_acc": c.val_acc_top_min, "n_val": c.n_val, "acc_step": None if c.n_val else c.val_acc_step}


def _jumps_before_solved(causes: list[Cause], f: Facts, s: dict, t: Thresholds) -> list[Cause]:
    """lr_too_high read on jumps alone (:func:`jumped`), every one come back before the validation accuracy reached
    its ceiling for good (``s``: :func:`_solved`), yields the lead to the loss's own reading beside it (converged or
    still_improving, likely), itself then read as solved: the step threw the weights off and they came back, and
    since then every evaluation is right. Walk 46's wine MLP (Adam 3e-3, 80 epochs, 54 validation examples):
    val_loss jumped at epochs 13 and 18, 0.98 accuracy from epoch 19 and 1.0 from 20, the loss ending 2.5e-06, read
    "lr_too_high: lower the learning rate"; lr / 10 ended at 1.0e-03 (seed 1: 4.0e-03 against 1.4e-03)."""
    head = causes[0]
    if head.id != "lr_too_high" or "jumps" not in head.numbers or set(head.numbers) - {"jumps", "jump_range"}:
        return causes
    back = [float(f.x[j[0]]) for j in _jumps(f, t) if j[3]]
    i = next((i for i, c in enumerate(causes) if c.id in ("converged", "still_improving") and c.status == "likely"),
             None)
    if not back or i is None or not max(back) < s["solved_since"]:
        return causes
    ax, since = f.axis_name, _n(s["solved_since"])
    head.status, head.confidence = "possible", min(head.confidence, 0.4)
    head.evidence.append(f"(each jump came back, the last at {ax} {_n(max(back))}, before {ax} {since}, since which "
                         "every evaluation is at the accuracy's ceiling: the step no longer throws off anything the "
                         "task needs)")
    head.actions = [f"a lower learning rate only for a steadier path to the same answers: each jump came back, and "
                    f"none came after {ax} {since}"]
    lead = causes.pop(i)
    return [lead] + causes


def _read_solved(causes: list[Cause], f: Facts, s: dict, t: Thresholds) -> list[Cause]:
    """A task solved on the validation set, its loss still falling, leads with that: no prediction on it can
    improve, the loss only grows more confident (a separable problem's cross-entropy falls toward 0 without
    end, Soudry et al. 2018). The loss's own verdict stays still_improving -- twice the epochs does lower it
    (a GRU at 100% from epoch 4: -72%), so "converged" would be false of the curve diagnosed -- but the actions
    are the solved task's: stop, and check the validation set if 100% is a surprise. The step size is no
    longer the story: lr x10 took the same GRU's loss 96% lower and its accuracy nowhere (it was 1.000)."""
    causes = _jumps_before_solved(causes, f, s, t)
    head = causes[0]
    lines = _solved_lines(f, s)
    leak = ("if 100% is a surprise, check the validation set: not too easy, and nothing leaked from training "
            "(the same examples on both sides of the split, the label or an id among the inputs)")
    if head.id == "converged":
        # (A loss with a floor above 0 -- label smoothing's -- flattens while every prediction is right: "to go
        # lower, change the data or the model" would chase a loss the task no longer needs.)
        head.evidence.append(lines[0])
        # (By its kind: a tail still falling rewords it, "to go lower, change the data or the model; but if ...".)
        head.actions = [a for a in head.actions if not _of_kind(a, DATA_OR_MODEL)] + [leak]
        head.numbers.update({k: v for k, v in s.items() if v is not None})
        return causes
    if head.id not in ("still_improving", "lr_too_low", "temporary_plateau"):
        return causes
    i = next((i for i, c in enumerate(causes) if c.id == "still_improving"), None)
    if i is None:
        return causes
    si = causes.pop(i)
    si.evidence[:0] = lines
    si.actions = [f"stop here: the task is solved on this validation set (every evaluation since {f.axis_name} "
                  f"{_n(s['solved_since'])} at the ceiling); more epochs only sharpen the confidence", leak,
                  "train on only where the probabilities themselves matter (calibration, a margin): the loss, "
                  "not the accuracy, shows that"]
    si.numbers.update({k: v for k, v in s.items() if v is not None})
    for c in causes:
        if c.id == "lr_too_low":
            c.status, c.confidence = "possible", min(c.confidence, 0.4)
            c.evidence.append("(that is the pace of a loss heading to 0 with every prediction already right: a "
                              "larger step gets there sooner and changes no decision)")
            c.actions = ["a larger step only if the loss's own pace matters: the accuracy has nowhere left to go"]
    return [si] + causes


#: A BCE discriminator's loss below this share of its equilibrium (ln 2) has won the game: it tells real from
#: fake with a geometric-mean probability of the right label above 2^-1/2 = 0.71 -- no longer near the 1/2 a
#: balanced game holds. A Lightning GAN on 8 Gaussians (tests/fixtures/ecosystem/lightning_gan): D lr x10 and
#: 5 D steps per G step ends at 29% of ln 2 (g_loss 2.56), its samples on 1 of the 8 modes; one D step lifts it to
#: 44% (4 of 8 modes), one D step at G's lr to 76% (5 modes). D's lr back to G's with 5 D steps kept did not
#: (26%, 1 mode): the steps, not the rate, were the lever there.
D_WINS_SHARE = 0.5
#: ... and one above this share is losing: worse than a coin on real against fake.
D_LOSES_SHARE = 1.5


def _read_adversarial(causes: list[Cause], f: Facts, t: Thresholds) -> list[Cause]:
    """A GAN's discriminator loss read as what it is: one player's score in a two-player game (facts.adversarial).
    Its curve is no objective approaching a floor -- it falls only as far as the generator lets it -- so "flat"
    says the players are balanced, not converged, and its epoch-to-epoch bounce is the game's, not a step too
    large: the "lower the learning rate" reading of that bounce is dropped. The cause stays the curve's; the
    evidence and actions are the game's: balanced near the BCE equilibrium, or the discriminator winning."""
    a = f.adversarial
    if _higher(f):
        return causes
    # (Nor "diverged" for a finite climb, nor "stuck at initialization" for a level held: a discriminator
    # that won in its first epoch rises as the generator catches up -- D lr x10, 5 D steps: 0.116 -> 0.198,
    # "73% above its start" -- or holds where the game settles. A NaN is a divergence all the same.)
    kept = [c for c in causes if c.id not in ("lr_too_high", "stuck_at_init")
            and not (c.id == "diverged" and "nonfinite_from" not in c.numbers)]
    if not any(c.id == "converged" for c in kept) and not any(c.id == "diverged" for c in kept):
        kept.insert(0, converged(f, t))
    head = kept[0]
    who = "discriminator" if f.metric == a.d else "generator"
    lines = [f"{a.d} and {a.g} are a GAN's discriminator and generator losses: a two-player game, not one objective. "
             f"Read here: {f.metric} (the {who}'s), with {a.g if f.metric == a.d else a.d} beside it. Each falls only "
             "at the other's expense, so neither plateaus like a model's loss, and neither tracks sample quality"]
    judge = ("judge the run by its samples, not its losses: look at them, and score them on held-out data (FID, "
             "precision / recall, mode coverage); keep checkpoints and stop where that score stops improving")
    numbers = {"adversarial": 1.0}
    share = a.d_share
    if share is not None:
        eq = "ln 2" if a.equilibrium < 1.0 else "2 ln 2 (real and fake terms summed)"
        at = f"{a.d} ends at {a.d_tail:.3g}, {_pct(share)} of its BCE equilibrium {eq} = {a.equilibrium:.3f}"
        numbers.update({"d_share": share, "d_tail": a.d_tail, "equilibrium": a.equilibrium})
    if share is not None and share < D_WINS_SHARE:
        g_at = f"{a.g} ends at {a.g_tail:.3g}"
        if a.g_climbed:
            g_at += f", up from {a.g_low:.3g} at {f.axis_name} {_n(a.g_low_at)}"
        lines.append(f"{at}: the discriminator is winning -- it tells real from fake with confidence -- while {g_at}: "
                     "the generator's gradients shrink as D grows sure, and it tends to collapse onto the few modes D "
                     "lets through")
        acts = ["weaken the discriminator: fewer D steps per G step first, then a D learning rate no higher than "
                "G's (TTUR tunes the two rates apart, Heusel et al. 2017)",
                "label smoothing (real targets 0.9) or instance noise on D's inputs, so that D cannot become certain",
                "a non-saturating generator loss (-log D(G(z)), not log(1 - D(G(z)))), or a Wasserstein loss with a "
                "gradient penalty, whose gradients do not vanish when D wins", judge]
        numbers["d_wins"] = 1.0
    elif share is not None and share > D_LOSES_SHARE:
        lines.append(f"{at}: the discriminator does worse than a coin on real against fake -- it is losing the "
                     "game (too weak, too slow, or its lr too low), and gives the generator little to learn from")
        acts = ["strengthen the discriminator: more D steps per G step or a higher D learning rate", judge]
    elif share is not None:
        lines.append(f"{at}: the players are balanced; a {a.d} flat there is the game holding, not a model that "
                     "converged, and its bounce is the game's, not a learning rate too high")
        acts = [judge, f"a flat {a.d} near its equilibrium is no reason to change the learning rate; if the samples "
                "collapse onto a few modes, or oscillate, look to the game (TTUR, a Wasserstein loss with a "
                "gradient penalty, minibatch discrimination)"]
        numbers["d_balanced"] = 1.0
    else:
        lines.append(f"{a.d} has no BCE equilibrium to read (below 0 or far above 2 ln 2: a Wasserstein critic's or a "
                     "hinge loss): its level is the critic's estimate of a distance, and the game is judged by samples")
        acts = [judge]
    if head.id in ("diverged", "stuck_at_init", "no_signal"):
        head.evidence.extend(lines)
    else:
        head.evidence[:0] = lines
        head.actions = acts
    head.numbers.update(numbers)
    # (A "stop at X: more epochs will not lower the loss" beside it would read one player's score as the model's.)
    for c in kept[1:]:
        c.actions = [x for x in c.actions if not _of_kind(x, STOP_AT)]
    return kept


#: _solved_lines: an error rate's 95% bound (0 errors in n) at or above this says "few examples, weak evidence"
#: (wording only; 3eb52d9; the bound is the rule of three, 3 / n: 5% at 60 examples).
FEW_EXAMPLES_BOUND = 0.05


def _solved_lines(f: Facts, s: dict) -> list[str]:
    n, since, k = s["n_val"] or s["acc_step"], s["solved_since"], s["solved_points"]
    at = "at 100%" if s["solved_min_acc"] >= 1.0 - 1e-6 else "at 100% or one example short of it"
    on = " (the log does not say on how many examples)"
    if n:
        # 0 errors in n examples: the true error rate is below 3/n at 95% (the rule of three).
        bound = 3.0 / n
        how = "" if s["n_val"] else (f", read off its values' steps of 1/{_count(n)}"
                                      + (" (or the log's rounding)" if math.log10(n) == int(math.log10(n)) else ""))
        on = (f", scored on {_count(n)} examples{how}; 0 errors in {_count(n)} put the error rate below "
              f"{_pct(bound)} at 95%"
              + (" -- few examples, weak evidence: a larger validation set says more"
                 if bound >= FEW_EXAMPLES_BOUND else ""))
    first = (f"validation accuracy {at} since {f.axis_name} {_n(since)} ({k} evaluations in a row): the task is "
             f"solved on this validation set{on}")
    lines = [first, f"{f.metric} goes on falling toward 0, as a separable problem's cross-entropy does without end "
                    "(Soudry et al. 2018): more epochs, or a larger step, only make right predictions more confident"]
    c = f.chance
    if c.train_acc_tail is not None and c.train_acc_tail + 2 * (c.train_acc_tail_sd or 0.0) < s["solved_min_acc"]:
        # Held-out data scored better than the data it was fitted on: an easy or leaked validation set, or a
        # training figure taken with dropout / augmentation on (iris setosa: 0.990 beside 1.000).
        lines.append(f"training accuracy ends lower, at {c.train_acc_tail:.3f}: the validation set is easier than the "
                     "training data, unless dropout or augmentation count in the training figure")
    return lines


#: data_limited (possible): a gap at the end of at least this share of validation's best (and 3 noise sds, since
#: d7c2ebc). Set in 71c31f1, the first rules; no measurement recorded.
DATA_GAP_SHARE = 0.1


def data_limited(f: Facts, causes: list[Cause]) -> Cause | None:
    """Curves alone cannot show this: a learning curve over training-set size can. Say so.

    Fires when (the conditions in full): likely when a measured learning curve (`run.meta["learning_curve"]`, as the
    lab attaches; `losslens data`) is forecast to fall ≥ 10% with twice the data (and, with several seeds, its slope
    is below zero by > 2 standard errors); otherwise only *possible*, from a train/val gap above the noise.
    """
    if not any(c.id in ("overfitting", "converged") for c in causes):
        return None
    g = f.generalization
    if g is None or g.gap_end is None or g.val_min is None or g.gap_end <= 0:
        return None
    rel_gap = g.gap_end / abs(g.val_min) if g.val_min else 0
    of = f"validation's smoothed best ({abs(g.val_min):.4g})"
    if f.offset_free:
        # A loss with no zero point has no share of its best to read (the target's units move it): the gap is
        # weighed against validation's own improvement. (The walker's Gaussian NLL, shifted by 0 and +-ln 10:
        # 54% of its best at 0.147, 3.1% at 2.45, none at -2.16, one gap of 0.080.)
        rel_gap = g.gap_end / f.plateau.improvement if f.plateau.improvement > 0 else 0
        of = f"validation's whole improvement ({f.plateau.improvement:.4g})"
    if rel_gap < DATA_GAP_SHARE or g.gap_end < 3 * f.noise:  # a gap lost in the noise is no evidence
        return None
    # Nor has such a loss one zero point for both sets: each scores against its own targets' noise, so the best
    # possible model leaves a gap of its own, which no data closes. Keras' Poisson loss on 800 generated counts
    # (tests/fixtures/ecosystem/neg_loss_no_zero/poisson) ended 0.986 apart where the true rate scores -2.92 on
    # training and -2.145 on validation, 0.77 apart; twice the data lowered the best 0.05 (3.5% of its improvement).
    could = ("a gap more data could close, or the two sets' own noise: with no zero point each set is scored "
             "against its own targets, and the best possible model leaves a gap too (a learning curve tells)"
             if f.offset_free else "a gap more data could close")
    return Cause("data_limited", min(0.5, 0.2 + rel_gap / 4),
                 [Evidence(f"validation ends {g.gap_end:.3g} {'below' if _higher(f) else 'above'} training, a gap "
                           f"of {_pct(rel_gap)} of {of}: {could}", VAL_ENDS)],
                 [Action("confirm with a learning curve: retrain on 50% of the data; if validation loss rises "
                         "clearly, more data (or augmentation) will lower it (losslens verify --cause data_limited "
                         "runs it; losslens data forecasts 2x the data from sizes you measured)", MORE_DATA)]
                 + ACTIONS["data_limited"],
                 {"relative_gap": rel_gap}, status="possible")


def temporary_plateau(f: Facts, t: Thresholds = DEFAULT) -> Cause | None:
    """A long flat stretch that a later drop left behind (as in grokking or lr-step schedules).

    Fires when (the conditions in full): on a curve that improved ≥ 3 noise sds: a flat stretch (within 2% of the
    improvement, grown to its real end; read on a curve smoothed until its noise is ≤ 1% of the improvement, and at
    least that many points long: none where that leaves no room for a stretch and a drop, as on a batch loss logged
    every step) followed by a drop ≥ 25% of the improvement; it takes the verdict from converged / still_improving /
    lr_too_low only if flat for ≥ 5 points.

    None where the values sit on a lattice no finer than that 2% (`facts.smoothing.resolution`): an accuracy on 120
    samples, whose steps of 1/120 leave a steady climb still between them.

    A loss that fell ≥ 10x from its start (``LOG_SADDLE_DECADES``) is read on the log scale too (2% and 25% of its
    decades), for a stretch already a quarter of them below its start: a 4-layer deep linear net's second saddle
    (tests/fixtures/ecosystem/torch_deep_linear: 0.61, then 0.023 for epochs 80-250, then its noise floor 0.0025) is
    3% of the whole improvement and its drop, 87% of its level, under the 25%: read still_improving, "keep
    training". Of 3,061 runs (the shared curves and the fixtures) only it gets it; the diagnosis benchmark is
    unchanged."""
    s, n = f.smoothed, f.smoothed.shape[0]
    # A curve that never improved beyond its noise has no drop to leave a stretch by: its
    # "stretches" and "drops" are the noise.
    if n < 20 or f.plateau.improvement <= t.stuck_noise * f.noise:
        return None
    sign = _sign(f)
    s = sign * s
    rng = f.plateau.improvement
    w = max(3, n // 7)
    # "Flat within 2% of the improvement" means something only where the smoothed curve is that precise.
    # A training loss logged every step or two carries each batch's noise (a tiny BERT at logging_steps=1:
    # a point's noise 17% of the improvement; smoothed over n/15 points, still 4-5x the band): two smoothed
    # points of a steady descent then land within 2% by chance, and the descent reads as pause-then-drop.
    # Smooth over as many points as it takes for their mean's noise to be half the band; a stretch shorter
    # than that cannot be shown flat, and a curve with no room for one and a drop after it has none to show.
    band = t.plateau_flat * rng
    if resolution(f.y) >= band:
        # A curve on a lattice coarser than the band (an accuracy on 120 samples moves in steps of 1/120) holds
        # still between steps however steadily it improves: a stretch between two steps is no pause.
        # (scikit-learn's MLP at Adam 1e-4, val_acc 0.075 -> 0.158, 10 steps in 60 epochs while its loss fell
        # smoothly: "flat from epoch 16 to 29" read temporary_plateau over lr_too_low; lr x10 was 90% lower.)
        return None
    found = _flat_then_drop(s, sign * f.y, max(f.noise, difference_noise(sign * f.y)), rng, f.plateau.floor, w, t)
    moved = "rose" if sign < 0 else "fell"
    if found is not None:
        i, j, later = found
        return Cause("temporary_plateau", 0.6,
                     [f"{f.metric} was flat from {f.axis_name} {_n(f.x[i])} to {_n(f.x[j])}, "
                      f"then {moved} another {_pct(later / rng)} of its improvement"],
                     ACTIONS["temporary_plateau"],
                     {"flat_start": float(f.x[i]), "flat_end": float(f.x[j]), "flat_points": j - i + 1})
    # A loss whose drops span decades (a deep linear net's saddles: 0.61, then 0.023, then its noise floor 0.0025):
    # a later saddle is a few % of the whole improvement however long it held, and its drop, dividing the level by
    # ~10, is under 25% of it. Read on the log scale, each decade counts alike.
    if sign < 0 or not (f.y > 0).all() or not f.plateau.floor > 0 \
            or f.plateau.start < LOG_SADDLE_DECADES * f.plateau.floor:
        return None
    ly = np.log(f.y)
    ls = smooth(ly)
    lrng = float(np.log(f.plateau.start) - ls.min())
    if not lrng > t.stuck_noise * noise_sigma(ly):
        return None
    # Only a later saddle, below its start by a quarter of the decades: a slow start before one long fall is the linear
    # reading's to judge (cut at epoch 250, the same net read its first 40 epochs, near 0.61, as the stretch left and
    # took the verdict from lr_too_low, which lr 0.5 confirms: 0.0026 by epoch 198).
    found = _flat_then_drop(ls, ly, max(noise_sigma(ly), difference_noise(ly)), lrng, float(ls.min()), w, t,
                            below=0.25 * lrng)
    if found is None:
        return None
    i, j, later = found
    ratio = float(np.exp(later))
    # Where the drop that left the saddle settled: DESIGN's X read on the curve from the stretch's end on.
    settled = plateau_onset(f.x[j:], f.y[j:], batch=f.plateau.window is not None)
    by = f" by {f.axis_name} {_n(settled.epoch)}" if settled.epoch is not None else ""
    # The saddle is a few % of the whole improvement, so X (its 95% point) can come before it, at the first drop's
    # end: said first, the headline's "plateau at epoch 67" and this "flat from epoch 84" read as one story (the
    # deep linear net's X = 67 at 0.031, then 0.0234 from 84 to 209; verdict_phases draws the same).
    # (X inside the stretch -- after its start, before its end -- is said as that: "by epoch 90 ... then was flat
    # from epoch 84" put the stretch after a point inside it.)
    x = f.plateau.epoch
    made = (f"{f.metric} made 95% of its improvement ({f.plateau.start:.3g} to {f.plateau.floor:.3g}) by "
            f"{f.axis_name} {_n(x)}, at {f.plateau.level:.3g}, ") if x is not None else ""
    if x is not None and x <= f.x[i]:
        lead, then = made + "then was flat from ", " and"
    elif x is not None and x < f.x[j]:
        lead, then = made + "inside a flat stretch from ", ", and then"
    else:
        lead, then = f"{f.metric} was flat from ", ", then"
    numbers = {"flat_start": float(f.x[i]), "flat_end": float(f.x[j]), "flat_points": j - i + 1,
               "log_scale_drop": later / lrng}
    if settled.epoch is not None:
        numbers["drop_end"] = float(settled.epoch)
    return Cause("temporary_plateau", 0.6,
                 [f"{lead}{f.axis_name} {_n(f.x[i])} to {_n(f.x[j])} at {float(np.exp(ls[i])):.3g}{then} fell to "
                  f"1/{ratio:.3g} of that level{by} ({_pct(later / lrng)} of its improvement on the log scale): a loss "
                  "spanning decades left a saddle there"],
                 ACTIONS["temporary_plateau"], numbers)


#: temporary_plateau reads a loss on the log scale too where it fell by at least this factor from its start.
LOG_SADDLE_DECADES = 10.0


#: _flat_then_drop: a flat stretch starts within this share of the improvement above the curve's lowest so far ...
SADDLE_NEAR_MIN = 0.05
#: ... and is followed by a drop of at least this share, its level this share above the final floor (71c31f1, the
#: first rules; the level bar fb279d5, for the log-scale reading); no measurement recorded.
SADDLE_DROP = 0.25


def _flat_then_drop(s: np.ndarray, y: np.ndarray, sigma: float, rng: float, floor: float, w: int,
                    t: Thresholds, below: float | None = None) -> tuple[int, int, float] | None:
    """``(start, end, drop)`` of the first flat stretch on the smoothed curve ``s`` (lower is better, (n,); ``y`` the
    points it smooths, ``sigma`` their noise) within ``t.plateau_flat`` of the improvement ``rng`` over ``w`` points
    or more, followed by a drop ≥ 25% of ``rng`` (``drop``, in the curve's units), its level ≥ 25% of ``rng`` above
    ``floor`` (and, given ``below``, at least that far under the curve's start); None where none is, or where the curve
    is too noisy for a stretch and a drop to show (:func:`temporary_plateau`)."""
    n = s.shape[0]
    band = t.plateau_flat * rng
    need = math.ceil((2 * sigma / band) ** 2) if band > 0 else n
    if need > window_for(n):
        need |= 1
        if 2 * need >= n:
            return None
        s = smooth(y, need)
        w = max(w, need)
    for i in range(0, n - 2 * w, max(1, w // 3)):
        flat = abs(s[i] - s[i + w]) < band and s[i] - s[:i + 1].min() < SADDLE_NEAR_MIN * rng
        later = s[i + w] - s[i + w:].min()
        if flat and later > SADDLE_DROP * rng and s[i] - floor > SADDLE_DROP * rng \
                and (below is None or s[0] - s[i] >= below):
            j = i + w  # the stretch's real end: as long as the curve stays within 2% of its level
            while j + 1 < n and abs(s[i] - s[j + 1]) < band:
                j += 1
            return i, j, float(later)
    return None


# ---- helpers ----------------------------------------------------------------------------------

def _never_finite(run: Run, metric: str | None) -> Diagnosis | None:
    """A run whose losses were logged but never finite diverged before its first value."""
    from .facts.divergence import never_finite_losses

    logged = never_finite_losses(run, metric)
    if not logged:
        return None
    cause = Cause("diverged", 0.9, [f"{', '.join(logged)} never had a finite value ({len(run)} points logged)"],
                  ACTIONS["diverged"], {})
    return Diagnosis(verdict="diverged", causes=[cause], plateau=None, metric=logged[0], axis=run.axis_name,
                     length=len(run), run_name=run.name, source=run.source, run=run)


def _loss_facts(run: Run, f: Facts, classes) -> Facts | None:
    """The validation-loss facts when a score (val_acc ...) is diagnosed with both losses logged:
    overfitting is read off the losses (validation loss rising while training loss falls), which
    an accuracy shows only as a wobble at its top, and so is a collapse (a frozen loss)."""
    # A per-output score is read off its own output's losses where the log holds them (head_losses): the total's
    # fall can be another head's.
    head = head_losses(run, f.metric)
    val = head[0] if head is not None and head[0] is not None else "val_loss"
    if not f.higher_is_better or not (run.has(val) and run.has("train_loss")):
        return None
    from .exceptions import LosslensError

    try:
        return measure(run, metric=val, classes=classes)
    except LosslensError:
        return None


#: A fall after X of at least this share of X's level is one "stop at X" would give up (_fell_after_plateau), where it
#: is also FELL_AFTER_X_NOISE noise sds or at least FELL_AFTER_X_CLEAR: "more epochs will lower the loss by little" is
#: not said of a run that itself went on to fall that far. Was FELL_AFTER_X_CLEAR alone, read on the median of 3
#: centred one point past X: a Keras MLP under a cosine to 0 (Adam 3e-4, tests/fixtures/ecosystem/keras_cosine_nolr)
#: fell 0.5113 -> 0.4452 (13%) and, seed 1, 0.4707 -> 0.4257 (9.6%) after X = 8, read "stop at epoch 8: more epochs
#: will lower the loss by little". Under 10% a noisy tail's lowest median of 3, one of many draws, can sit that far
#: below where the tail settled: the noise test; from 10% on, as before, none (a spiky curve's own sd, 1 noise sd of
#: a 51% fall, would otherwise hide it: tests/fixtures/ecosystem/compare_resume_spiky).
FELL_AFTER_X = 0.05
FELL_AFTER_X_CLEAR = 0.10
FELL_AFTER_X_NOISE = 3.0


def _fell_after_plateau(f: Facts, share: float = FELL_AFTER_X):
    """``(relative drop, axis value, level there, level at X)`` when the curve, as running medians
    of 3 raw points (the smoothed curve lags a steep start and overstates it), improved by ≥
    ``share`` of its level at the plateau onset X after X, and, under ``FELL_AFTER_X_CLEAR``, by ≥
    ``FELL_AFTER_X_NOISE`` noise sds (a noisy tail's lowest median of 3 is one of many draws, below where it sits);
    else None. The level at X is the median of the 3 points centred on X (on the first point, X's own value); the
    level there is the lowest such median after X, whose axis value is returned. Not for a loss with no zero point
    (``offset_free``), whose level is the target's units: the walker's Gaussian NLL "went on falling after epoch 50:
    32% lower" at +0, nothing at +-ln 10; against its own improvement the fall after X is within the 5% X leaves."""
    i = f.plateau.index
    if i is None or i >= f.n_points - 3 or f.offset_free:
        return None
    y = _sign(f) * f.y
    if f.plateau.window:
        # A batch loss: its running medians of 3 are three batches, which scatter by the batch drawn (a tiny
        # BERT's, flat at 0.33: "64% lower by step 217 (0.264 -> 0.094)"), and the lowest of the means X was read
        # on a dip of theirs ("13% lower by step 230 (0.3518 -> 0.3054)"): the level it reached is L* as X read it.
        lvl = level_smooth(y, f.plateau.window)[i:]
        floor = _sign(f) * f.plateau.x_floor
        # (The same fall test as below: under FELL_AFTER_X_CLEAR a batch loss's 5.7% "fall" from 0.3302 to 0.3113,
        # flat batch means scattering by 0.16, read "stop once it is flat, at about step 207": hf_flat_batches s7_e2.)
        rel = _clear_fall(f, float(lvl[0]), float(lvl[0] - floor), share)
        if rel is None:
            return None
        return rel, float(f.x[i + int(np.argmax(lvl <= floor))]), \
            float(_sign(f) * floor), float(_sign(f) * lvl[0])
    # median3's min/max form is np.median of each 3-point window, exactly (NaN too), without a call per window.
    # (Centred on X: the window of X and its next two points read a curve still falling steeply at X as already
    # down at X + 1, and a 13% fall after X as 8.8%.)
    lo = max(i - 1, 0)
    med = median3(y[lo:])[i - lo:-1]
    j = int(np.argmin(med))
    rel = _clear_fall(f, float(med[0]), float(med[0] - med[j]), share)
    if rel is None or not _level_fell_after_x(f):
        return None
    return rel, float(f.x[i + j]), float(_sign(f) * med[j]), float(_sign(f) * med[0])


def _level_fell_after_x(f: Facts) -> bool:
    """Whether the stretch from X, read by X's own rule (:func:`plateau_onset`: the smooth's fall to its floor, that
    floor raised by its standard errors), fell at all: its own X after X's point. Where it reads flat from X, the
    lowest running median of 3 after X is the deepest of many noisy draws about one level, not a fall of that level:
    a linear regression at constant SGD 0.03, batch 4 (the walker's sreg_flat.csv, 100 epochs; 10-epoch means
    0.141-0.155) read "it went on falling after epoch 0: 10% lower by epoch 97 (0.145 -> 0.1303)", one epoch's
    value (the next was 0.174), and "stopping at 0 would have given up 10%". (The share-of-the-level bar alone has
    no noise test from FELL_AFTER_X_CLEAR on, for a spiky curve's sake: _clear_fall.)"""
    i = f.plateau.index
    onset = plateau_onset(f.x[i:], _sign(f) * f.y[i:]).epoch
    return onset is not None and math.isfinite(onset) and onset > float(f.x[i])


def _clear_fall(f: Facts, at_x: float, drop: float, share: float) -> float | None:
    """``drop / |at_x|`` where a fall of ``drop`` from the level ``at_x`` after X counts (:func:`_fell_after_plateau`):
    at least ``share`` of that level and, under ``FELL_AFTER_X_CLEAR``, at least ``FELL_AFTER_X_NOISE`` noise sds;
    else None (a level of 0 has no share)."""
    if not at_x:
        return None
    rel = drop / abs(at_x)
    if rel < share or (rel < FELL_AFTER_X_CLEAR and drop < FELL_AFTER_X_NOISE * f.noise):
        return None
    return float(rel)


BOOSTER_ACTIONS = {
    "overfitting": [Action("early stopping on the validation set (early_stopping_rounds, LightGBM's early_stopping "
                           "callback, scikit-learn's n_iter_no_change), keeping the best round", EARLY_STOP),
                    "a lower learning rate (eta) with more rounds",
                    "simpler, more regularized trees: max_depth / num_leaves (max_leaf_nodes), min_child_weight / "
                    "min_data_in_leaf (min_samples_leaf), subsample and colsample, lambda / alpha (l2_regularization)"],
    "lr_too_high": ["a lower learning rate (eta, e.g. 1/10) with more rounds"],
    "underfitting": ["deeper or more trees (max_depth / num_leaves, more rounds), better features",
                     "less regularization (lambda / alpha, min_child_weight)"],
}


def _boosted_trees(run: Run) -> bool:
    """Gradient-boosted trees (XGBoost, LightGBM, CatBoost, scikit-learn's ensembles): its rounds are no epochs,
    its knobs no dropout."""
    from .run import boosted_trees

    return boosted_trees(run.meta)


def _booster_actions(causes: list[Cause]) -> None:
    for cause in causes:
        acts = BOOSTER_ACTIONS.get(cause.id)
        if acts is None:
            continue
        best = cause.numbers.get("val_best_epoch")
        if cause.numbers.get("nothing_left_to_fit"):
            # Trees that fit every training point (training loss ~0) want fewer, larger leaves before a smaller
            # step: the memorised breast_cancer booster (fixture sklearn_hgb_memorised) refit on 70% of the data,
            # test log-loss on the other 30%: 0.730 at its end, 0.354 at its best round; learning_rate 0.05 x 3000 rounds ends at 0.704, at its best
            # round 0.378; min_samples_leaf 20 ends at 0.243, at its best round 0.174.
            acts = [acts[0], acts[2], acts[1], *acts[3:]]
        cause.actions = ([f"{acts[0]}: the best round is {_n(best)}"] if cause.id == "overfitting" and best is not None
                         else acts[:1]) + acts[1:]


def _restore_by_metric(causes: list[Cause], f: Facts) -> None:
    """Overfitting read off the losses while a score is diagnosed: the weights to restore are the
    score's best (what EarlyStopping(monitor=...) or a Trainer's metric_for_best_model keeps),
    which can be epochs after the validation loss's minimum."""
    cause = next((c for c in causes if c.id == "overfitting"), None)
    if cause is None or "val_best_epoch" not in cause.numbers:
        return
    # A score's best is read on its smoothed curve, the last of its ties (result.best_index): the epoch --json's
    # best.epoch names. The first raw maximum of a quantised accuracy is one lucky draw among many ties (breast
    # cancer's 0.9718 at 26 of 80 epochs, the first at epoch 5: test accuracy 0.944 there, 0.972-0.979 at the later ties).
    i = best_index(f.smoothed, True) if _higher(f) else int(np.argmin(f.y))
    at, loss_at = float(f.x[i]), cause.numbers["val_best_epoch"]
    y = f.y[np.isfinite(f.y)]
    if never_moved(y):
        # A score that never moved has no best: its "best weights from epoch 0" was the first of many ties, and its X
        # (its first point) beside val_loss's rise read as one curve (95/5 classes at the majority's 0.948 for 40
        # epochs: "plateau at epoch 0", then "val_loss reached its minimum at epoch 10"). The stop stays val_loss's.
        cause.evidence.append(f"{f.metric} is {float(y[0]):.4g} at every one of its {y.shape[0]} {f.axis_name}s: it "
                              f"never moved, so its plateau is its first point and it ranks no {f.axis_name}'s "
                              f"weights above another's; the rise above is val_loss's, logged beside it")
        return
    if at == loss_at:
        return
    ax, tied = f.axis_name, ""
    if _higher(f):
        top = float(f.smoothed[i])
        ties = int(np.sum(f.smoothed >= top - SCORE_TIE * max(1.0, abs(top))))
        first = float(f.x[int(np.nanargmax(f.y))])
        if ties > 1 and first != at:
            tied = (f", the last of the {ties} {ax}s its smoothed curve holds at that best: its first maximum, "
                    f"{ax} {_n(first)}, one of many ties, is what a restore that keeps the first best (Keras' "
                    f"EarlyStopping) gives back")
        value = f"smoothed {top:.4g}{tied}"
    else:
        value = f"{float(f.y[i]):.4g}"
    cause.actions[0] = Action(f"early stopping on {f.metric} with restore_best_weights: its best weights are from "
                              f"{ax} {_n(at)} ({f.metric} {value}; val_loss was lowest at {ax} {_n(loss_at)})",
                              EARLY_STOP_BEST)
    cause.numbers["metric_best_epoch"] = at


#: _score_held: a validation accuracy whose last quarter's median sits under its smoothed best by fewer than this
#: many binomial standard errors of one evaluation did not fall: the losses' overfitting is not its reading (the same
#: 2 sds as _accuracy_climbs_on's climb). Breast cancer on 142 examples (fixture accuracy_ties): best 0.9718,
#: last quarter 0.9648, 1 example, 0.5 sds, test accuracy 0.979 at the end against 0.972 at the best; Keras on 300
#: digits: 0.9333-0.9367 from epoch 18 to 99, 0 sds, test 0.935 -> 0.943. Noisy-label digits (449 examples) fell
#: 0.9465 -> 0.889, 5 sds: overfitting stands (test 0.938 -> 0.880).
SCORE_FALL_SES = 2.0


def _score_held(f: Facts, t: Thresholds, causes: list[Cause]) -> Cause | None:
    """A score diagnosed beside both losses has overfitting read off the losses (the rules loop); its evidence is
    the losses', so the score's own course is put first: its fall from its smoothed best to its last quarter's
    median, against the binomial standard error of one evaluation where it is an accuracy on n known examples (given,
    or read off its steps), else against its noise sd (``overfit_rise_noise`` of them, overfitting's own bar). The
    losses' lines are kept, labelled as support. Where the score did not fall beyond that noise, the cause is returned
    to be listed as possible (≤ 0.5) after the score's own reading; else None, the verdict standing."""
    cause = next((c for c in causes if c.id == "overfitting"), None)
    if cause is None or not _higher(f) or "score_fall" in cause.numbers:
        return None
    y, sm = f.y, f.smoothed
    ok = np.isfinite(y)
    if ok.sum() < MIN_POINTS_TO_DIAGNOSE or never_moved(y):
        return None
    i = best_index(sm, True)
    best = float(sm[i])
    q = max(3, int(ok.sum()) // 4)
    end = float(np.median(y[ok][-q:]))
    fall = best - end
    ax, n = f.axis_name, (f.chance.n_val if f.chance is not None else None)
    frac = accuracy_fraction(y[ok]) if f.metric == "val_acc" else None
    if frac is not None and n:
        top = 100.0 if float(np.nanmax(y[ok])) > 1.0 else 1.0
        p = best / top
        se = top * _binomial_se(p, n)
        sds, bar = (fall / se if se > 0 else math.inf), SCORE_FALL_SES
        size = f"{in_examples(fall, f.chance, top):.3g} of its {n} examples, {sds:.1f} binomial sds of one evaluation"
    elif f.noise > 0:
        sds, bar = fall / f.noise, t.overfit_rise_noise
        size = f"{sds:.1f} of its noise sds"
    else:
        return None
    cause.numbers["score_fall"] = fall
    cause.numbers["score_fall_sds"] = sds
    losses = [f"support, from the losses logged beside it: {e}" for e in cause.evidence]
    if fall > bar * (se if frac is not None and n else f.noise):
        cause.evidence = [f"{f.metric} fell from its smoothed best {best:.4g} ({ax} {_n(f.x[i])}) to {end:.4g} over "
                          f"its last {q} {ax}s (median): {size}"] + losses
        return None
    cause.evidence = [f"{f.metric} did not fall beyond its noise: smoothed best {best:.4g} ({ax} {_n(f.x[i])}), "
                      f"{end:.4g} over its last {q} {ax}s (median), {size}, under the {bar:g} a fall needs; "
                      f"the overfitting below is the losses' reading, not {f.metric}'s"] + losses
    cause.status, cause.confidence = "possible", min(cause.confidence, 0.5)
    return cause


def _accuracy_climbs_on(run: Run, f: Facts, t: Thresholds, causes: list[Cause]) -> None:
    """Overfitting read off a validation loss while the validation accuracy logged beside it went on climbing
    past the loss's minimum, by more than two binomial standard errors of one evaluation: the loss rose on
    confidence (the answers still wrong grew surer), not on fewer right answers. Stopping at the loss's
    minimum throws that accuracy away; the weights to keep are the accuracy's best, and their over-confidence
    is a calibration matter (temperature scaling on held-out data, or label smoothing). fastai's one-cycle at lr_max
    0.1 on digits: loss lowest at epoch 2 with accuracy 0.867, accuracy 0.902 at epoch 18; a Monitor's Adam 3e-2
    run on 150 digits (torch_rlrop_high_lr/n150_lr0.03_s0): 0.871 at epoch 9, 0.907 at 18. Where the accuracy
    held (a Keras MLP at Adam 1e-2, fixture fresh_kinds2/overconfident.csv: 0.972 at the minimum, 0.974 at the
    end) the stop at the minimum gives nothing up and stays."""
    cause = next((c for c in causes if c.id == "overfitting"), None)
    if cause is None or _higher(f) or "val_best_epoch" not in cause.numbers or "metric_best_epoch" in cause.numbers:
        return
    acc, n = accuracy_fraction(run.get("val_acc")), f.chance.n_val if f.chance is not None else None
    if acc is None or not n:
        return
    ok = np.isfinite(acc)
    x, raw = run.axis[ok], acc[ok]
    at = float(cause.numbers["val_best_epoch"])
    before, after = x <= at, x > at
    if not before.any() or after.sum() < 3:
        return
    # What a stop at the loss's minimum keeps, against the climb after it (a running median of 3: one lucky
    # evaluation is no climb).
    base = float(raw[before][-1])
    climb = float(np.max(median3(raw)[after])) - base
    se = _binomial_se(base, n)
    if not climb > 2 * se:
        return
    j = int(np.argmax(np.where(after, raw, -np.inf)))
    # A climb that stays at chance is no accuracy given up (shuffled labels under a focal loss: 0.076 -> 0.117 of
    # 10 classes); K unknown, up to 1/2.
    if not raw[j] > (_chance_margin(f.chance, t) if f.chance.chance else MAJORITY):
        return
    best_at = float(x[j])
    cause.evidence.append(
        f"but validation accuracy went on climbing after {f.metric}'s minimum: {base:.4g} at {f.axis_name} {_n(at)}, "
        f"{float(raw[j]):.4g} at {f.axis_name} {_n(best_at)} (a climb of {climb / se:.1f} binomial standard errors of "
        f"{n} examples): the loss rose on confidence, not on fewer right answers")
    cause.actions[0] = Action(f"stop on validation accuracy, not {f.metric}: its best weights are from "
                              f"{f.axis_name} {_n(best_at)} ({float(raw[j]):.4g}); stopping at {f.metric}'s minimum "
                              f"({f.axis_name} {_n(at)}) gives that accuracy up", STOP_ON_ACC)
    cause.actions.insert(1, "calibrate the kept model's confidence: temperature scaling fitted on held-out data, or "
                            "label smoothing in training")
    cause.numbers["accuracy_best_epoch"] = best_at
    cause.numbers["accuracy_climb"] = climb
    _wrong_on_validation(f, t, cause)


#: A validation loss that climbs back this share of its improvement (all it gained) while its accuracy climbs: the
#: mistakes it grows surer of are ones training does not teach it to correct. Held-out data drawn like training with
#: right labels lose a fraction of the gain to over-confidence (a Monitor's Adam 3e-2 run on 150 digits, 2.7%; the
#: Keras CSVLogger example, 4.3%); digits validated on 30% random labels, 475%, and on images rolled one pixel, 384%
#: (tests/fixtures/ecosystem/torch_split_noise).
VAL_RISE_PAST_GAIN = 1.0
#: ... from a best at least this share under its first value: a gain that carried over to validation first (digits on
#: random or shifted validation: 31% / 21%; torch_prior_only's class-weighted fit on features with no signal, 4%,
#: rose 357% of next to nothing, as compare_keras' walk at lr 0.1, its best 1.5 noise sds under its first value, 280%).
VAL_GAIN_FIRST = 0.10


def _wrong_on_validation(f: Facts, t: Thresholds, cause: Cause) -> None:
    """Overfitting whose validation accuracy climbed on (:func:`_accuracy_climbs_on`) while its loss climbed back
    ``VAL_RISE_PAST_GAIN`` of all it had gained, from a best ``VAL_GAIN_FIRST`` under its first value and beyond
    its noise (``no_signal_val_noise`` sds, overfitting's bar for an improvement to measure the rise by): a share of validation examples the model predicts ever more
    confidently wrong as it learns what carries over to the rest. Wrong validation labels give that (the model is
    right, the label is not), and so do validation inputs from another distribution (shifted, or preprocessed
    otherwise); the curves cannot tell the two apart, and neither is what a smaller model or regularization mends,
    which only lower the confidence along with what was learned. A digits MLP (64-64, Adam 1e-3) validated on 30%
    random labels: "overfitting ... a simpler or smaller model", where 16 units took the best val_loss 1.494 ->
    1.595 and the clean test loss 0.088 -> 0.157, the clean test loss falling 0.876 -> 0.081 from the val_loss
    minimum to epoch 49; validated on images rolled one pixel: 16 units 1.738 -> 1.883 (tests/fixtures/ecosystem/
    torch_split_noise)."""
    g = f.generalization
    share = g.val_rise_range if g is not None else None
    if share is None or not math.isfinite(share) or share < VAL_RISE_PAST_GAIN:
        return
    y = f.y[np.isfinite(f.y)]
    if not y.shape[0] or not y[0] > 0 or not (y[0] - g.val_min) / y[0] >= VAL_GAIN_FIRST \
            or not g.val_rise_noise / share >= t.no_signal_val_noise:
        # (What the rise is measured against must be a gain that carried over: a best 1.5 noise sds under the first
        # value at lr 0.1, or a class-weighted fit on features that carry no signal, 4% under it, "rise" several
        # times a gain that was not there.)
        return
    cause.evidence.append(
        f"{f.metric} climbed back {_pct(share)} of its improvement while its accuracy rose: a share of validation "
        "examples predicted ever more confidently wrong as the model learns the rest. Wrong validation labels give "
        "that, and so do validation inputs from another distribution (shifted, or preprocessed otherwise): a "
        "smaller model or regularization lowers the confidence, not those errors")
    kept = [a for a in cause.actions if not _of_kind(a, GAP_REMEDY)]
    cause.actions = kept[:2] + [
        "check the validation set: its labels (the validation examples of highest loss, whose label the model "
        "contradicts most surely) and its inputs against training's (the same preprocessing, the same source); "
        "a smaller model or regularization will not reach this rise"] + kept[2:]
    cause.numbers["val_rise_past_gain"] = share


#: _accuracy_fell_first: the fall of validation accuracy (a running median of 3) from its peak to the end that
#: names the accuracy's best beside overfitting's loss-best restore, in binomial standard errors of one evaluation
#: at the peak (as _accuracy_climbs_on's climb): digits on 20% flipped labels (tests/fixtures/ecosystem/
#: accuracy_after_x/noise.csv) fell 0.947 -> 0.889, 5.5 sds, test 0.938 -> 0.880.
ACC_FALL_SE = 2.0
#: ... and the accuracy kept at the loss's best must sit this many below the peak for the restore to move to the
#: accuracy's best: that run's 0.931 at the loss's minimum (epoch 32) is 1.5 sds under 0.947 (epoch 17), and the
#: test set agrees (0.924 against 0.938).
ACC_RESTORE_SE = 1.0


def _accuracy_fell_first(run: Run, f: Facts, t: Thresholds, causes: list[Cause]) -> None:
    """Overfitting read off a validation loss whose rise is slight while the validation accuracy logged beside it
    peaked before the loss's minimum and then fell clearly (:data:`ACC_FALL_SE`): the mirror of
    :func:`_accuracy_climbs_on`. With noisy labels the model memorises the flipped examples: the loss, averaged over
    clean and noisy ones, barely rises ("a slight rise") while right answers are lost, and the loss's minimum can
    come after the accuracy's best. The evidence says so, the rise is not called slight without it, and where the
    accuracy at the loss's best is :data:`ACC_RESTORE_SE` below its peak the first action names the accuracy's best.

    Digits, an MLP 256-256 at Adam 3e-4, 20% of the training labels flipped (tests/fixtures/ecosystem/
    accuracy_after_x/noise.csv): "a slight rise: ... the best weights are from epoch 32" while validation accuracy
    peaked at 0.947 (epoch 17) and ended 0.889 (test 0.938 at 17, 0.924 at 32, 0.880 at the end)."""
    cause = next((c for c in causes if c.id == "overfitting"), None)
    if cause is None or _higher(f) or "val_best_epoch" not in cause.numbers \
            or {"metric_best_epoch", "accuracy_best_epoch"} & set(cause.numbers) or f.chance is None:
        return
    acc, n = accuracy_fraction(run.get("val_acc")), f.chance.n_val
    if acc is None or not n:
        return
    ok = np.isfinite(acc)
    x, raw = np.asarray(run.axis, dtype=float)[ok], acc[ok]
    if raw.shape[0] < 6:
        return
    m3 = median3(raw)  # (one lucky evaluation is no peak)
    j = int(np.argmax(m3))
    peak, peak_at, loss_at = float(m3[j]), float(x[j]), float(cause.numbers["val_best_epoch"])
    if not peak_at < loss_at:
        return
    se = _binomial_se(peak, n)
    end = float(m3[-1])
    fell = peak - end
    if not fell > ACC_FALL_SE * se:
        return
    k = int(np.searchsorted(x, loss_at, side="right")) - 1
    kept = float(m3[max(k, 0)])
    ax = f.axis_name
    cause.evidence[0] = cause.evidence[0].replace(
        "; a slight rise:", f"; a slight rise of {f.metric} (not of the errors: validation accuracy fell, below):")
    cause.evidence.insert(1, (
        f"validation accuracy peaked before {f.metric}'s minimum and fell: {peak:.4g} at {ax} {_n(peak_at)}, "
        f"{kept:.4g} at {ax} {_n(loss_at)}, {end:.4g} at the end (running medians of 3), {fell * 100:.1f} points "
        f"lost ({_count(fell * n)} of {n} examples, {fell / se:.1f} binomial standard errors): right answers lost, "
        "not only confidence"))
    cause.numbers["accuracy_peak_epoch"] = peak_at
    cause.numbers["accuracy_fall"] = fell
    if peak - kept > ACC_RESTORE_SE * se:
        cause.actions[0] = Action(f"early stopping on validation accuracy with restore_best_weights (monitor="
                                  f"'{run.logged_name('val_acc')}'): its best weights are from {ax} {_n(peak_at)} "
                                  f"({peak:.4g}); {f.metric}'s minimum at {ax} {_n(loss_at)} keeps {kept:.4g}",
                                  EARLY_STOP_BEST)
        cause.numbers["accuracy_best_epoch"] = peak_at


#: _generalizing_late: validation accuracy's end must sit this many binomial sds (of chance, on n examples) above
#: 1/K -- FIRST_ACC_LEARNED's "far above chance" bar, not chance_z's: a model at chance crosses 2 sds by luck 2% of
#: the time, and shuffled labels under weight decay also bring validation loss back down from its peak ...
LATE_ABOVE_CHANCE_SD = 4.0
#: ... and its stretches at the two ends of the last quarter are each this share of it (at least 3 points: medians).
LATE_END_SHARE = 0.1


def _falls_from_a_peak(f: Facts, t: Thresholds) -> bool:
    """The diagnosed loss rose to a peak after its first point and falls from it steadily at the end (tail t <
    ``improving_t``), both by ≥ 3 noise sds: a memorising model's validation loss coming back down."""
    y = f.y
    if _higher(f) or y.shape[0] < 3 or f.trend.slope_t >= t.improving_t:
        return False
    peak = int(np.argmax(y))
    return peak > 0 and float(y[peak] - y[-1]) >= 3 * f.noise and float(y[peak] - y[0]) >= 3 * f.noise


def _generalizing_late(run: Run, f: Facts, t: Thresholds, causes: list[Cause]) -> list[Cause]:
    """A model that memorised its training data, then began to generalize: validation loss rose to a peak (the
    memorising) and now falls steadily (t < ``improving_t``) while validation accuracy over the last quarter rises
    clearly above chance -- its last stretch ≥ :data:`LATE_ABOVE_CHANCE_SD` binomial sds of chance above 1/K and
    ≥ ``chance_z`` sds of the difference above the quarter's first stretch (medians of :data:`LATE_END_SHARE` of it,
    n examples known or read off the accuracy's steps), that first stretch still within ``chance_margin`` of chance
    and training accuracy, where logged, above it. Read so, it is no ``no_signal`` (labels without signal
    never get above chance) nor an ``overfitting`` to stop at its best, the untrained model's: ``still_improving``
    leads, with what the curves show and the forecast, and overfitting's early stop is dropped. A modular-addition
    MLP (31 classes, AdamW lr 1e-3, weight decay 1.0, 481 validation pairs) read "no learnable signal, check the
    labels" at epoch 2999, validation loss down from 9.70 at epoch 863 to 5.04 and accuracy 0.035 -> 0.081;
    trained on to 6999 it reached 0.674 (loss 1.08), and at lr 3e-3 0.41 by epoch 1750 (0.019 there at 1e-3) and
    0.70 by 2500 (tests/fixtures/ecosystem/torch_grokking, that run cut at 1100). Weight decay drives such a late
    climb (it shrinks the memorising weights); where the log states none the evidence names it as the likely
    driver, not as a fact."""
    c = f.chance
    if not causes or causes[0].id not in ("no_signal", "overfitting") or f.metric != "val_loss" or _higher(f) \
            or c is None or not c.chance or not c.n_val or f.trend.slope_t >= t.improving_t:
        return causes
    if not any(x.id == "still_improving" for x in causes):
        return causes
    acc = accuracy_fraction(run.get("val_acc"))
    if acc is None:
        return causes
    ok = np.isfinite(acc)
    a = acc[ok]
    k = max(1, a.shape[0] // 4)
    m = max(3, int(LATE_END_SHARE * k))
    if k < 2 * m:
        return causes
    tail = a[-k:]
    first, last = float(np.median(tail[:m])), float(np.median(tail[-m:]))
    n, p0 = c.n_val, c.chance
    above = (last - p0) / math.sqrt(p0 * (1 - p0) / n)
    rise = (last - first) / math.sqrt((max(first * (1 - first), 1.0 / n) + last * (1 - last)) / n)
    # At chance while it memorised (the quarter's first stretch within chance's margin, training accuracy, where
    # logged, above it): a model that had generalized and lost some of it on a bump of its loss is no such climb.
    memorised = c.train_acc_tail is None or c.train_acc_tail >= _chance_margin(c, t)
    if above < LATE_ABOVE_CHANCE_SD or rise < t.chance_z or first >= _chance_margin(c, t) or not memorised \
            or not _falls_from_a_peak(f, t):
        return causes
    y = f.y
    peak = int(np.argmax(y))
    lead = next(x for x in causes if x.id == "still_improving")
    reg = f.regularization
    driver = (f"{reg.name} = {reg.value:g} in this run's settings drives it" if reg is not None and reg.value
              else "weight decay is the likely driver, shrinking the memorising weights (the log does not state one)")
    ta = c.train_acc_tail
    memo = f", while training accuracy sat at {ta:.3f}" if ta is not None else ""
    lead.evidence[:0] = [
        f"validation loss rose from {float(y[0]):.4g} to {float(y[peak]):.4g} at {f.axis_name} {_n(f.x[peak])} as "
        f"training memorised{memo}, then fell to {float(y[-1]):.4g} by {f.axis_name} {_n(f.x[-1])}, a steady fall "
        f"(t = {_t(f.trend.slope_t)}): the model began to generalize after memorising (delayed generalization, "
        f"\"grokking\"); {driver}",
        f"validation accuracy rose {first:.3f} -> {last:.3f} over the last quarter ({_count(rise, 1)} binomial "
        f"standard errors), {_count(above, 1)} binomial sds above chance 1/{c.classes} = {p0:.3f} on {n} examples: labels without "
        "signal never get above chance"]
    lead.actions = [Action(f"keep training: validation is recovering from the memorising, and such a climb can go on "
                           f"for many times the {f.axis_name}s it took to start (the forecast says how far)", TRAIN_ON),
                    "do not stop early on the validation loss: its best so far is " + (
                        "the untrained model's" if int(np.argmin(y)) == 0 else
                        f"{f.axis_name} {_n(f.x[int(np.argmin(y))])}'s, before the climb"),
                    "to get there sooner: a larger learning rate or weight decay"] + \
        [a for a in lead.actions if not _of_kind(a, KEEP_TRAINING, TRAIN_ON)]
    lead.numbers.update({"late_val_acc_rise": last - first, "late_above_chance_sd": above})
    rest = [x for x in causes if x.id not in ("no_signal", "still_improving")]
    for x in rest:
        if x.id == "overfitting":
            x.status = "possible"
            x.confidence = min(x.confidence, 0.5)
            x.actions = [a for a in x.actions if not _of_kind(a, EARLY_STOP, EARLY_STOP_BEST)]
    return [lead] + rest


def _trainer_keeps_best(run: Run, f: Facts, causes: list[Cause]) -> None:
    """Overfitting in a Hugging Face Trainer that keeps its best checkpoint: "early stopping with
    restore_best_weights" tells its user to do what the Trainer does already. The live callback sees
    ``load_best_model_at_end=True`` (``meta["load_best_model_at_end"]``: the checkpoint it loads is the best of
    ``metric_for_best_model`` over the evaluations, each saved); a ``trainer_state.json`` names the checkpoint
    (``best_model_checkpoint``, ``best_global_step``) but not whether it was loaded, which ``training_args.bin``
    (a pickle, not read) holds, so that advice says both."""
    cause = next((c for c in causes if c.id == "overfitting"), None)
    if cause is None or "val_best_epoch" not in cause.numbers:
        return
    meta = run.meta or {}
    lowest = cause.numbers.get("metric_best_epoch", cause.numbers["val_best_epoch"])
    loaded = meta.get("load_best_model_at_end")
    if isinstance(loaded, dict):
        name = str(loaded.get("metric") or "loss")
        name = name if name.startswith("eval_") else f"eval_{name}"
        key = canonical(name) or normalise(name)
        y = np.asarray(run.series.get(key, ()), dtype=float)
        if not np.isfinite(y).any():
            return
        i = int(np.nanargmax(y) if loaded.get("greater_is_better") else np.nanargmin(y))
        at = float(run.axis[i])
        said = (f"the Trainer loads its best checkpoint at the end (load_best_model_at_end=True: "
                f"{run.axis_name} {_n(at)}, {name} {float(y[i]):.4g}): keep it")
    else:
        path = meta.get("best_model_checkpoint")
        step = meta.get("best_global_step")
        if not isinstance(step, (int, float)) or isinstance(step, bool):
            m = re.search(r"checkpoint-(\d+)$", str(path or "").rstrip("/\\"))
            step = int(m.group(1)) if m else None
        if step is None or run.axis_name != "step" or not path:
            return
        at = float(step)
        best = meta.get("best_metric")
        by = f", best_metric {best:.4g}" if isinstance(best, (int, float)) and not isinstance(best, bool) else ""
        said = (f"the Trainer kept its best checkpoint, checkpoint-{_n(at)} (step {_n(at)}{by}): with "
                f"load_best_model_at_end=True it loaded it at the end, keep it; without, load it from there")
    if at != lowest:
        said += f"; {f.metric} was {'highest' if _higher(f) else 'lowest'} at {f.axis_name} {_n(lowest)}"
    stopped = meta.get("early_stopped")
    if isinstance(stopped, dict):
        # (The state's EarlyStoppingCallback counter at its patience, should_training_stop set: the run is over.)
        of = f" of {stopped['max_steps']}" if stopped.get("max_steps") else ""
        said += (f"; EarlyStoppingCallback ended the run at step {stopped['step']}{of}, after {stopped['patience']} "
                 "evaluations without improvement (its patience)")
    if "accuracy_best_epoch" in cause.numbers:
        # (The accuracy's climb past the loss's minimum says which weights to keep: the kept checkpoint follows it.)
        cause.actions.insert(1, said + " (metric_for_best_model='accuracy' keeps the accuracy's best instead)")
    else:
        cause.actions[0] = said
    cause.numbers["kept_checkpoint_epoch"] = at


def _already_stopped(run: Run, f: Facts, causes: list[Cause]) -> None:
    """Overfitting in a run whose best weights were kept already (a Lightning checkpoint named by its epoch,
    ``meta["best_checkpoint"]``: :func:`losslens.readers.lightning.kept_checkpoint`), or in a Keras fit a callback already stopped (``meta["stopped_early"]``, read off the History:
    :func:`losslens.api._stopped_early`): "early stopping with restore_best_weights" tells its user to add what ran
    already. Keras 3 keeps no callback on the History, so whether the best weights were restored is not known: the
    advice says both. A digits MLP at Adam(3e-3) under EarlyStopping(patience=5, restore_best_weights=True), 21 of 80
    epochs run, best val_loss 0.1893 at epoch 15: the model held epoch 15's weights when it was told to stop early."""
    cause = next((c for c in causes if c.id == "overfitting"), None)
    meta = run.meta or {}
    stop, kept = meta.get("stopped_early"), meta.get("best_checkpoint")
    if cause is None or "val_best_epoch" not in cause.numbers \
            or "kept_checkpoint_epoch" in cause.numbers or "accuracy_best_epoch" in cause.numbers:
        return
    at = float(cause.numbers.get("metric_best_epoch", cause.numbers["val_best_epoch"]))
    hit = np.flatnonzero(f.x == at)
    value = f" ({f.metric} {float(f.y[hit[0]]):.4g})" if hit.size else ""
    if isinstance(kept, dict) and run.axis_name == "epoch":
        # Lightning's ModelCheckpoint (save_top_k=1) left one checkpoint, named by its epoch: the weights are kept
        # already, as the HF Trainer's best checkpoint is (_trainer_keeps_best). A Lightning MLP on digits under
        # EarlyStopping(patience=3) and ModelCheckpoint(monitor="val_loss"): checkpoints/epoch=13-step=140.ckpt.
        if float(kept["epoch"]) == at:
            said = (f"ModelCheckpoint kept {kept['path']}, {f.axis_name} {_n(at)}{value}, the best: load it "
                    "(YourModule.load_from_checkpoint), it holds the weights to keep")
        else:
            # (With no monitor, ModelCheckpoint keeps the last epoch's weights, not the best's.)
            said = (f"ModelCheckpoint kept {kept['path']} ({f.axis_name} {_n(kept['epoch'])}), not {f.metric}'s best "
                    f"at {f.axis_name} {_n(at)}{value}: ModelCheckpoint(monitor=\"{f.metric}\") keeps the best one")
        cause.actions[0] = said
        cause.numbers["kept_checkpoint_epoch"] = float(kept["epoch"])
        return
    if not isinstance(stop, dict):
        return
    if stop.get("by"):
        cause.actions[0] = _callback_stop_said(stop, f, at, value)
        cause.numbers["stopped_early_after"] = float(stop["epochs_run"])
        return
    cause.actions[0] = (f"it was stopped early already, after {stop['epochs_run']} of its {stop['epochs']} "
                        f"{f.axis_name}s: with EarlyStopping's restore_best_weights=True the model holds the weights "
                        f"of {f.axis_name} {_n(at)}{value}, its best; without, those are lost (restore them by "
                        "training again with it on, or keep a ModelCheckpoint(save_best_only=True))")
    cause.numbers["stopped_early_after"] = float(stop["epochs_run"])


def _kept_best(stop: dict) -> bool:
    """Whether the framework's early stop that ended the run (``meta["stopped_early"]`` with its ``by``) left the
    model at its best weights: a Trainer's EarlyStoppingCallback beside the best checkpoint the state names (which
    load_best_model_at_end loads), Keras' EarlyStopping(restore_best_weights=True), scikit-learn's
    early_stopping=True. Lightning's EarlyStopping restores nothing."""
    if stop.get("by") == "EarlyStoppingCallback":
        return bool(stop.get("checkpoint")) and stop.get("best_step") is not None
    if stop.get("by") == "early_stopping=True":
        return True
    return stop.get("restore_best_weights") is True and stop.get("best_epoch") is not None


def _next_after_stop(run: Run, f: Facts, causes: list[Cause]) -> None:
    """Overfitting in a run a framework's early stop already ended at its best weights, kept (:func:`_kept_best`):
    what ran is said last, and the gap's remedies come first, more data first where data_limited is read beside it
    (a gap more data could close). Its first action read "early stopping at the validation minimum" where the
    overfitting was validation flat while training fell (no validation best of its own to name, so neither
    :func:`_trainer_keeps_best` nor :func:`_already_stopped` said what ran), and "it was stopped early already ...
    keep it" elsewhere: neither is a next step. A tiny BERT at label smoothing 0.1 that EarlyStoppingCallback
    (patience 3) ended at step 224 of 320, best eval_loss 0.611 at 176 (checkpoint-176, loaded): patience 10 kept
    the same best; twice the data 0.520, dropout 0.3 0.584, hidden 16 0.634 (tests/fixtures/ecosystem/hf_es_smoothed,
    make.out)."""
    cause = next((c for c in causes if c.id == "overfitting"), None)
    stop = (run.meta or {}).get("stopped_early")
    if cause is None or len(cause.actions) < 2 or not isinstance(stop, dict) or not stop.get("by") \
            or not _kept_best(stop) or "accuracy_best_epoch" in cause.numbers:
        return
    first = cause.actions[0]
    if _of_kind(first, EARLY_STOP):
        if not np.isfinite(f.y).any():
            return
        best = int(np.nanargmax(f.y) if _higher(f) else np.nanargmin(f.y))
        first = _callback_stop_said(stop, f, float(f.x[best]), f" ({f.metric} {float(f.y[best]):.4g})")
    elif "stopped_early_after" not in cause.numbers and "kept_checkpoint_epoch" not in cause.numbers:
        return
    rest = cause.actions[1:]
    if any(c.id == "data_limited" for c in causes):
        rest = [a for a in rest if a == MORE_DATA_GAP] + [a for a in rest if a != MORE_DATA_GAP]
    cause.actions = rest + [first]
    cause.numbers["stopped_early_after"] = float(stop["epochs_run"])


def _callback_stop_said(stop: dict, f: Facts, best_at: float | None, value: str = "", kept=None) -> str:
    """The first action of a run a framework's EarlyStopping ended (``meta["stopped_early"]`` with its ``by``, as the
    Lightning callback records it: :func:`losslens.integrations.lightning._early_stopped`): what ran already, in place
    of advice to add it. Lightning's EarlyStopping restores no weights: the model holds the last epoch's; the one
    checkpoint ModelCheckpoint left (``kept``, ``meta["best_checkpoint"]``) is named where it is the best's."""
    of = f" of its {stop['epochs']}" if stop.get("epochs") else ""
    trainer = stop["by"] == "EarlyStoppingCallback"
    than = f" than {stop['best_score']:.4g}" if isinstance(stop.get("best_score"), float) else ""
    waited = (f"{stop['wait_count']} {'evaluations' if trainer else 'validations'} without a better "
              f"{stop.get('monitor') or f.metric}{than}"
              + (f", its patience {stop['patience']}" if stop.get("patience") else ""))
    value = value.strip().strip("()")
    best_of = "" if best_at is None else f"{f.axis_name} {_n(best_at)}{', ' + value if value else ''}"
    best = f" (its best: {best_of})" if best_of else ""
    if trainer:
        # A Hugging Face Trainer's EarlyStoppingCallback (readers.huggingface._stop_record): the Trainer, not the
        # callback, keeps the best weights, in the checkpoint the state names (loaded at the end under
        # load_best_model_at_end=True, which training_args.bin, a pickle, holds: not read).
        ran = (f"it was stopped early already: EarlyStoppingCallback ended it after {stop['epochs_run']}{of} "
               f"{f.axis_name}s ({waited})")
        if stop.get("checkpoint") and stop.get("best_step") is not None:
            return (f"{ran}; the Trainer kept its best checkpoint, {stop['checkpoint']} ({f.axis_name} "
                    f"{_n(stop['best_step'])}): with load_best_model_at_end=True it loaded it at the end, keep it; "
                    "without, load it from there")
        return (f"{ran}{best}; no best checkpoint is named: saving at each evaluation with "
                "load_best_model_at_end=True keeps the best's weights")
    if stop["by"] == "early_stopping=True":
        # A scikit-learn MLP (readers.sklearn._early_stop): n_iter_no_change scores without a gain of tol, and the
        # fit puts the best iteration's weights back itself.
        tol = f" by tol {stop['tol']:g}" if isinstance(stop.get("tol"), float) else ""
        return (f"it was stopped early already: early_stopping=True ended it after {stop['epochs_run']}{of} "
                f"{f.axis_name}s ({stop['wait_count']} scores without a better {f.metric}{than}{tol}, its "
                f"n_iter_no_change {stop['patience']}); scikit-learn put back the best {f.axis_name}'s weights"
                + (f" ({best_of})" if best_of else ""))
    if "restore_best_weights" in stop:
        # Keras' EarlyStopping, read by the Keras callback (LosslensCallback._early_stopped): it restores the best
        # weights itself where restore_best_weights=True, and says which epoch's.
        ran = f"it was stopped early already: EarlyStopping ended it after {stop['epochs_run']}{of} {f.axis_name}s ({waited})"
        if stop["restore_best_weights"] and stop.get("best_epoch") is not None:
            return (f"{ran}; restore_best_weights=True gave the model back {f.axis_name} {_n(stop['best_epoch'])}'s "
                    "weights, the best: keep them")
        return (f"{ran}; the model holds the last {f.axis_name}'s weights, not the best's{best}: "
                "EarlyStopping(restore_best_weights=True) keeps the best")
    if isinstance(kept, dict) and best_at is not None and float(kept.get("epoch", -1)) == best_at:
        keep = f"ModelCheckpoint kept {kept['path']}, the best: load it (YourModule.load_from_checkpoint)"
    else:
        keep = (f"keep the best with ModelCheckpoint(monitor=\"{stop.get('monitor') or f.metric}\") and load it "
                "(YourModule.load_from_checkpoint)")
    return (f"it was stopped early already: {stop['by']} ended it after {stop['epochs_run']}{of} "
            f"{f.axis_name}s ({waited}); the model holds the last {f.axis_name}'s weights, not the best's{best}: "
            + keep)


def _stopped_by_callback(run: Run, f: Facts, causes: list[Cause]) -> None:
    """A ``converged`` run a framework's EarlyStopping ended (``meta["stopped_early"]`` with its ``by``): its first
    action said "rather than stop, train on with early stopping on val_loss (P = 70% that training on to epoch 99
    gains > 1%)" of a Lightning digits MLP that EarlyStopping(patience=3) ended at epoch 27 of 99, its val_loss
    trained on rising 0.262 -> 0.326. The action says what ran, and the verdict's evidence that it was stopped
    (the forecast goes to twice the logged length, not the planned end: :func:`losslens.forecasting.planned_horizon`).
    Overfitting's action is :func:`_already_stopped`'s."""
    stop = (run.meta or {}).get("stopped_early")
    if not isinstance(stop, dict) or not stop.get("by") or not causes:
        return
    verdict = causes[0]
    of = f", short of the {stop['epochs']} planned" if stop.get("epochs") else ""
    verdict.evidence.append(f"stopped by {stop['by']} after {stop['epochs_run']} {f.axis_name}s{of} (patience "
                            f"{stop.get('patience')} on {stop.get('monitor') or f.metric})")
    if verdict.id not in ("converged", "still_improving") or not verdict.actions:
        return
    best = int(np.nanargmax(f.y) if _higher(f) else np.nanargmin(f.y)) if np.isfinite(f.y).any() else None
    value = "" if best is None else f" ({f.metric} {float(f.y[best]):.4g})"
    kept = (run.meta or {}).get("best_checkpoint") if run.axis_name == "epoch" else None
    said = _callback_stop_said(stop, f, None if best is None else float(f.x[best]), value, kept)
    if verdict.id == "still_improving":
        # The curve still fell where the patience ran out: "keep training" holds, but the run did not stop on its
        # own, and the same patience stops it again. Keras' EarlyStopping(patience=4) ended a digits MLP at epoch
        # 99 of 200, val_loss 0.0565 at its best (95); trained on, 0.0480 at 193
        # (tests/fixtures/ecosystem/keras_earlystop_short). Not where still_improving's own "keep training" was
        # withdrawn for a forecast that doubts it (an MLPRegressor's creep early_stopping=True ended, which
        # trained on to 4x its iterations did not extend: tests/test_sklearn_creep.py).
        if not any(isinstance(a, Action) and a.kind == KEEP_TRAINING for a in verdict.actions):
            return
        verdict.actions.insert(0, Action(f"{said}; {f.metric} was still {'rising' if _higher(f) else 'falling'} "
                                         "when it stopped: its patience was too short for so slow a trend; raise "
                                         "it (or lower min_delta) and train on"))
        verdict.numbers["stopped_early_after"] = float(stop["epochs_run"])
        return
    judged = None if best is None else _stop_judged(f, best)
    if judged is not None:
        said += "; " + judged[0]
        verdict.numbers["stopped_after_best_rise_sds"] = judged[1]
    verdict.actions[0] = Action(said, verdict.actions[0].kind if isinstance(verdict.actions[0], Action) else None)
    verdict.numbers["stopped_early_after"] = float(stop["epochs_run"])


# How far (noise sds) the median of the evaluations a patience counted after the best must sit above it for the
# stop to read as validation rising rather than holding. A tiny BERT a Trainer's EarlyStoppingCallback(patience=4)
# ended at step 190 of 960 (tests/fixtures/ecosystem/hf_earlystop_held): best eval_loss 0.3626, the 4 after it at a
# median 0.407; trained on to 480 it never got below the best again (0.384 at best, 0.510 at 480).
STOP_ROSE_SDS = 2.0


def _stop_judged(f: Facts, best: int) -> tuple[str, float] | None:
    """Was the stop right, on what the log shows: the points after the best (those the patience counted) against
    the best, in the curve's noise sds. Risen by ``STOP_ROSE_SDS``: validation was getting worse, and the stop held
    up; otherwise it held within its noise, where the log cannot tell a floor from a pause and only a longer patience
    would. ``(the clause, the rise in sds)``; None with nothing after the best or no noise measured."""
    after = f.y[best + 1:]
    after = after[np.isfinite(after)]
    if not after.size or not (np.isfinite(f.noise) and f.noise > 0):
        return None
    sign = -1.0 if _higher(f) else 1.0
    mid = float(np.median(after))
    rise = sign * (mid - float(f.y[best]))
    sds = rise / f.noise + 0.0  # (no "-0.0" where the points after the best equal it)
    n = f"the {after.size} evaluation{'s' if after.size > 1 else ''} after the best"
    if sds >= STOP_ROSE_SDS:
        return (f"the stop was right on what the log shows: {n} sat at a median {mid:.4g}, "
                f"{'below' if sign < 0 else 'above'} it by {abs(mid - float(f.y[best])):.3g} ({sds:.1f} noise sds): "
                f"{f.metric} was getting worse, not pausing; training on is not advised"), sds
    return (f"{n} held within its noise (median {mid:.4g}, {sds:.1f} noise sds from it): the log cannot tell a "
            "floor from a pause; a longer patience would tell"), sds


def _binomial_se(p: float, n: float) -> float:
    """The binomial standard error of one evaluation of an accuracy ``p`` on ``n`` examples, its variance floored at
    one example's (``1/n``): an accuracy at 0 or 1 still moves by whole examples."""
    return math.sqrt(max(p * (1 - p), 1.0 / n) / n)


def _chance_margin(c, t: Thresholds) -> float:
    """An accuracy below this is at chance: within ``chance_margin`` of the way from 1/K to perfect."""
    return c.chance + t.chance_margin * (1 - c.chance)


def _guesser_sd(c, below: float) -> str:
    """How far under chance an accuracy said to be "at chance" sits, in a guesser's binomial sds: 0.100 "at chance
    1/5 = 0.200" read as a contradiction on the lab's 20 validation images, where a guesser's sd is 0.089 ("" where
    it does not sit visibly under chance, or the validation set's size is unknown)."""
    if not below or not c.n_val or f"{c.val_acc_tail:.3f}" == f"{c.chance:.3f}":
        return ""
    sd = math.sqrt(c.chance * (1 - c.chance) / c.n_val)
    return f", {_count(below, 1)} binomial standard errors under it (a guesser's sd on {c.n_val:g} samples: {sd:.2g})"


def _below_chance_sd(c) -> float:
    """How many binomial standard errors validation accuracy (its last quarter) sits under chance (0 above
    it, or where the validation set's size is unknown)."""
    if not c.n_val or not 0 < c.chance < 1 or c.val_acc_tail >= c.chance:
        return 0.0
    return (c.chance - c.val_acc_tail) / math.sqrt(c.chance * (1 - c.chance) / c.n_val)


def _val_at_chance(c, t: Thresholds) -> bool:
    """Validation accuracy (its last quarter, ``c.val_acc_tail`` known) at chance: within 10% of the way from
    chance to perfect (however significant the difference on a large validation set), or not distinguishable
    from chance on a small one (binomial z < 2: 0.30 on 20 images is chance for 5 classes)."""
    return c.val_acc_tail < _chance_margin(c, t) or (c.above_chance_sd is not None and c.above_chance_sd < t.chance_z)


def _train_at_chance(f: Facts, t: Thresholds) -> bool:
    """Training accuracy logged and at chance, or with none logged a training loss still at ln K:
    the model fitted nothing, not even its training data."""
    c = f.chance
    if c.chance is not None and c.train_acc_tail is None:
        return _train_loss_at_guess(f, t) is not None
    return c.chance is not None and c.train_acc_tail is not None and c.train_acc_tail < _chance_margin(c, t)


def _train_loss_at_guess(f: Facts, t: Thresholds) -> tuple[float, float] | None:
    """(first, last-quarter median) of the training loss when K is known, no training accuracy is
    logged and that median is ≥ ``train_guess_level`` of ln K (a uniform guess's cross-entropy); else
    None. A scikit-learn MLPClassifier at Adam lr 1.0 on digits: loss_curve_ 24.9 -> 2.38 (ln 10 = 2.30)
    while its early-stopping validation accuracy sat at 0.08-0.19; lr 0.01 reached 0.975."""
    c = f.chance
    yt = f.train_y if f.train_y is not None else (f.y if f.metric == "train_loss" else None)
    if not c.classes or c.classes < 2 or c.train_acc_tail is not None or yt is None \
            or f.train_metric not in (None, "train_loss"):
        return None
    yt = yt[np.isfinite(yt)]
    if yt.shape[0] < 4:
        return None
    tail = float(median(yt[-max(2, yt.shape[0] // 4):]))
    return (float(yt[0]), tail) if tail >= t.train_guess_level * math.log(c.classes) else None


def _falling(f: Facts, t: Thresholds) -> bool:
    """The tail slope is significantly negative and the last quarter still paid — unless the
    forecast says nothing worth having is left (a creep of a fraction of a percent). Or, in a run
    too short for the slope's t to mean much (a tail of 4 points: 2 degrees of freedom): the curve
    improved beyond its noise and reached 95% of that only at its last point, its minimum — the
    last step alone gave over 5%, and no flat stretch was seen."""
    tr = f.trend
    if _short_run_fall(f, t):
        return True
    paid = tr.tail_drop > t.improving_tail_drop or tr.tail_drop_level > t.improving_tail_level
    falling = _tail_t(f, t) < t.improving_t and paid
    if not falling and paid and f.n_points - tr.tail_start <= 5 and tr.slope_t < t.improving_short_t \
            and _last_step_drop(f) >= t.improving_tail_level:
        # A tail of 4-5 points has 2-3 degrees of freedom: t = -3 asks for near-perfect steps. One
        # whose last step reached a new low by ≥ 5% of the level still falls (Keras Adam on digits,
        # val 0.228 -> 0.196 -> 0.171 at epoch 10, t = -2.7, was stopped as converged; it reached
        # 0.111 at epoch 38). A last step of 1% (1.1, 0.9, 0.85, 0.84) is a curve levelling off.
        falling = True
    return falling and not _nothing_left(f, t)


def _short_run_fall(f: Facts, t: Thresholds) -> bool:
    """:func:`_falling`'s reading of a run too short for a trend test (under ``2 * MIN_TAIL_POINTS`` points): it
    improved by more than ``stuck_noise`` noise sds and came within 95% of that improvement only at its last point,
    its best. No slope's t is read: its tail's may be anything (-0.9 on hf_tb_resume's 5 training points).

    Nor a fall that, kept at its pace for as many points again, would gain < ``forecast_little`` of the level
    (:func:`_fall_too_small`'s bar, on the whole run: a short run has no tail apart from it). Beyond its noise is
    not enough where the noise is a fixed evaluation's float rounding: a 1-layer BERT on the digits at AdamW 5e-5,
    stuck at ln 10, its trainer_state.json cut mid-write after 5 evaluations
    (tests/fixtures/ecosystem/hf_cut_state), fell 1.6e-5 (0.0007% of 2.3026) at 56 noise sds, its last point its
    best: read underfitting with still_improving "also likely" where the whole 12-epoch file reads stuck_at_init;
    the whole run ended at 2.302590, trained to 24 epochs 2.302595, twice as wide 2.302617, at 100x the lr 2.0407."""
    pl = f.plateau
    n = f.n_points
    return n < 2 * MIN_TAIL_POINTS and pl.index is not None \
        and pl.index == pl.floor_index == n - 1 and pl.improvement > t.stuck_noise * f.noise \
        and not f.trend.total_drop_rel * n / max(n - 1, 1) < t.forecast_little


def _tail_t(f: Facts, t: Thresholds) -> float:
    """The tail slope's t, or its reading on the running median of 3 where that is steeper and the training
    loss's own tail still falls (t < improving_t): isolated bounces of a held-out curve (one-sided, several times
    its level) sway least squares, not the trend (facts/trend.py), and a training curve still descending says
    there is a trend to find. Without that corroboration a bouncing validation curve keeps the raw t: an MLP at
    SGD 0.08, batch 8 (the benchmark's gen/high_reg, training flat at t = -0.3) bounced at its floor with t = -3.5
    on its medians, and lr/10 from 2/3 of the run, not more epochs, was what lowered it (>= 15%, its label)."""
    tr, tt = f.trend, f.train_trend
    m3 = tr.slope_t_median3
    if tt is None or not tt.slope_t < t.improving_t or not np.isfinite(m3):
        return tr.slope_t
    return min(tr.slope_t, m3)


def _last_step_drop(f: Facts) -> float:
    """How far the last raw point fell below every earlier one, as a fraction of its level (0 when it
    is not the run's new best)."""
    y = _sign(f) * f.y
    if y.shape[0] < 2 or not y[-1] < np.min(y[:-1]) or y[-1] == 0:
        return 0.0
    return float((np.min(y[:-1]) - y[-1]) / abs(y[-1]))


def _fall_too_small(f: Facts, t: Thresholds) -> bool:
    """A tail that falls by its t-test at a pace that, kept up for as many points again as the run has, gains
    < ``forecast_little`` (1%, the gain still_improving's forecast check calls nothing) of the level: flat for any
    use, however steady. Frozen weights drift so: a Keras digits MLP after ReduceLROnPlateau cut Adam to 1e-7
    lost 0.00064% of val_loss over its last quarter at t = -74, and "still falling at the end ... stop once it
    flattens" sent the reader to wait on float drift (tests/fixtures/ecosystem/keras_walk39, rlrop2.csv)."""
    tr = f.trend
    k = f.n_points - 1 - tr.tail_start
    if k <= 0:
        return False
    return abs(tr.tail_drop_level) / k * f.n_points < t.forecast_little


def _crawling(f: Facts, t: Thresholds, tr=None) -> bool:
    """A straight line from the first point, every step down by the same small amount and far
    above its own noise: plain SGD at a tiny rate (digits at lr 1e-3: 2.3088 -> 2.2996 in 30
    epochs, t = -296). The forecast to twice the length gains < 1% because the pace is slow, not
    because a floor is near, so "nothing left to gain" must not read it as stuck or converged.
    ``tr``: the trend to judge (default the metric's; the training curve's for underfitting)."""
    tr = tr or f.trend
    # (A curve flat for its first half that then broke down is no line: < 25% of the drop by halfway.)
    return f.n_points >= t.shape_min_points and tr.slope_t < t.improving_t and _straight(tr, t) \
        and _drifting(tr, t) and f.optimizer.lr_schedule in (None, "constant")


def _straight(tr, t: Thresholds) -> bool:
    """The descent of ``tr`` (a :class:`~losslens.facts.trend.TrendFacts`) has not bent yet: < ``lr_low_early_share``
    of its drop in the first quarter (an exponential-like curve front-loads it), ≥ ``lr_low_half_share`` by halfway
    (a late break gives ~0) and < ``lr_low_total_drop`` below its start. (A negative early share is a curve that
    rose first: not a descent at all.)"""
    return 0 <= tr.early_share < t.lr_low_early_share and tr.total_drop_rel < t.lr_low_total_drop \
        and not tr.half_share < t.lr_low_half_share


def _drifting(tr, t: Thresholds) -> bool:
    """The tail ``tr`` (a :class:`~losslens.facts.trend.TrendFacts`) still falls by drift, not by chance: its
    t below ``improving_t`` and either its last quarter fell ≥ ``lr_low_drift_noise`` noise sds, or the whole run
    closed < ``slow_sliver`` of its start while the last 10% kept the tail's pace (``lr_low_end_rate``). A step so
    small that the run moved a sliver moves each epoch by a fraction of an epoch-mean's sampling noise, so its tail
    can fall few noise sds however firm its trend: a PyTorch loop's digits MLP at SGD 1e-4, training loss 2.304 ->
    2.293 in 60 epochs, last quarter t = -10 but 8 sds (its epoch means weigh a partial last batch of 41 examples
    as a full one: sd 3e-4; Lightning's, weighted by batch size, 1.4e-6). Such a curve has no floor yet: its
    spread is not a bounce around one (lr_too_high), and its 2.5% of an improvement of 0.011 is ordinary noise."""
    if not tr.slope_t < t.improving_t:
        return False
    return tr.tail_drop_noise >= t.lr_low_drift_noise \
        or (0 <= tr.total_drop_rel < t.slow_sliver and tr.end_rate >= t.lr_low_end_rate)


def _forecast_pays(f: Facts, t: Thresholds) -> bool:
    """Flat-looking tail, but the learning-curve forecast still expects a real gain (DESIGN: a
    converged curve has done ≥ 95% of its forecast improvement)."""
    fc = f.forecast
    if not fc or fc.get("gain") is None or fc.get("p_improve") is None:
        return False
    # The tail must creep at all: a last quarter that did not fall by one noise sd is flat, and a
    # forecast gain there comes from the shape of the early curve (a blow-up and recovery). Unless the
    # tail is too short to say either (_tail_blind): then the whole curve's forecast is the evidence.
    creeps = f.trend.slope_t < 0 and f.trend.tail_drop_noise >= TAIL_MOVED_SDS
    blind = _tail_blind(f, t) is not None
    # Where the tail cannot test the forecast (too few points, or batch losses whose creep of a noise sd or
    # so is which batches were drawn), the later half of the run must not contradict it (_half_refutes).
    # A tail long enough to test the forecast must not contradict it either (_tail_refutes): its creep may be the
    # last of a fall the fitted families carry on, while the curve itself has stopped following them.
    return (creeps or blind) and (
        (fc["gain"] >= t.forecast_gain and fc["p_improve"] >= t.forecast_likely)
        or (fc["gain"] >= t.forecast_gain_large and fc["p_improve"] >= t.forecast_large_likely)) \
        and not ((blind or _batch_loss(f)) and _half_refutes(f, t)) \
        and _tail_refutes(f, t) is None


#: The action naming a part of a total that overfits while the total still falls (_parts_apart).
PART_OVERFITS = "part_overfits"

#: The clause _parts_apart opens, last on its evidence line: verify carries it from the baseline's diagnosis.
READ_ALONE = "read alone: "

#: How a part's own verdict reads in the line naming a total's parts (_parts_apart); any other verdict by its id.
_PART_READS = {"overfitting": "overfits", "still_improving": "still falling",
               "lr_too_low": "still falling, lr_too_low", "converged": "converged"}


def _parts_apart(run: Run, f: Facts, verdict: Cause, classes, t: Thresholds, forecast: bool) -> str | None:
    """Where a total validation loss's logged parts (``Facts.parts``), each diagnosed alone as ``--metric`` would,
    do not all read as the total does: one clause saying how each reads, with the ``--metric`` for it; else None.
    The total is what the optimizer lowers, but a part can overfit under a total another part's fall still carries:
    a two-head Keras model (a classifier on noisy labels, a regression's MSE 300x larger) read still_improving on
    the total while val_head1_loss rose 0.635 -> 2.061 from epoch 0; a YOLO-style results.csv read converged at
    23 while val/cls_loss overfitted from epoch 2 and val/box_loss still fell. Not for a negative ELBO
    (``Facts.elbo``): its KL term rises as the code comes into use, which read alone is "diverged" (a Keras VAE's
    val_kl_loss 0.55 -> 2.47 beside a reconstruction still falling)."""
    if not f.parts or f.elbo is not None:
        return None
    from .exceptions import LosslensError

    read, overfits = [], None
    for k, *_ in f.parts:
        try:
            # (_diagnose, not diagnose_run: only the verdict and X are read, which neither its calibration nor its
            # optimizer wording moves, and the smooths the total's diagnosis already memoised are shared, not redone)
            d = _diagnose(run, k, classes, None, t, forecast)
        except LosslensError:
            return None
        words = _PART_READS.get(d.verdict, d.verdict)
        if d.verdict == "overfitting" and d.plateau_epoch is not None:
            words += f" from {run.axis_name} {_n(d.plateau_epoch)}"
        read.append((k, d.verdict, words))
        if d.verdict == "overfitting" and overfits is None:
            overfits = (k, d)
    if overfits is not None and verdict.id in DESCENDING_VERDICTS and not any(
            getattr(a, "kind", None) == PART_OVERFITS for a in verdict.actions):
        # "Keep training, early stopping on the total" keeps this part's overfitted weights: the total's fall is
        # another part's. keras_heads_apart/w1.csv: L2 1e-2 on head1's own layers took val_head1_loss's end from
        # 2.061 to 0.959 with val_head2_loss 166.4 in both (w1_l2.csv); the whole model stopped at
        # val_head1_loss's best (epoch 0) has val_head2_loss 499, and head1's loss weighted 0.01 under Adam
        # ended at 2.037 (Adam's steps do not scale with the loss on layers only one head uses). First: what was
        # found is the part's overfitting, which training on (the total's own first action) does not mend, and the
        # headline names it (report.text.headline reads this action's claim).
        k, d = overfits
        since = f" from {run.axis_name} {_n(d.plateau_epoch)}" if d.plateau_epoch is not None else ""
        verdict.actions.insert(0, Action(
            f"{k} overfits{since} while {f.metric} still falls: early stopping or a checkpoint on {f.metric} "
            f"keeps its overfitted weights; regularize the layers only it uses (weight decay, dropout), or "
            f"checkpoint them on {k} (the whole model stopped there gives back the other parts' gains)",
            PART_OVERFITS, f"{k} overfits{since}"))
        # The total's early stopping, advised where the forecast cannot say how long (_forecast_cannot_say, later),
        # stops on the parts still falling instead: on the total it restores the last weights, the part's worst.
        f.parts_falling = tuple(p for p, v, _ in read if v != "overfitting")
    if all(v == verdict.id for _, v, _ in read):
        return None
    return READ_ALONE + ", ".join(f"{k} {w} (--metric {k})" for k, _, w in read)


def _head_losses(run: Run, metric: str, t: Thresholds, apart: str | None = None) -> str | None:
    """One line of evidence naming the per-output losses a multi-output model logged beside the total diagnosed
    (Keras' ``out_a_loss`` / ``val_out_a_loss`` per head, ``loss`` / ``val_loss`` their weighted sum): each head's
    last value and best, and a head that has given back ≥ ``overfit_rise_range`` of its own improvement since its
    best. The total is what the optimizer lowers, but the head with the largest loss sets its shape: on a
    two-head digits model the classifier's cross-entropy (0.11) is 99% of the total and the regression head's MSE
    (0.0008) moves it by less than its noise. None with fewer than two heads."""
    if metric not in ("val_loss", "train_loss"):
        return None
    val = metric == "val_loss"
    heads = []
    for k, y in run.series.items():
        if k in ("val_loss", "train_loss") or not k.endswith("_loss") or k.startswith("val_") != val \
                or (not val and k.startswith("train_")):
            continue
        y = np.asarray(y, dtype=float)
        ok = np.flatnonzero(np.isfinite(y))
        if ok.size >= 3:
            heads.append((k, y[ok], np.asarray(run.axis, dtype=float)[ok]))
    if len(heads) < 2:
        return None
    parts, rising = [], []
    for k, y, x in heads:
        b = int(np.argmin(y))
        parts.append(f"{k} {y[-1]:.4g} (best {y[b]:.4g} at {run.axis_name} {_n(x[b])})")
        end = float(median(y[-3:]))
        if y[0] > y[b] and end - y[b] >= t.overfit_rise_range * (y[0] - y[b]):
            rising.append(f"{k} has given back {_pct((end - y[b]) / (y[0] - y[b]))} of its improvement since "
                          f"{run.axis_name} {_n(x[b])}")
    line = (f"{metric} is the weighted sum of {len(heads)} outputs' losses: {', '.join(parts)}"
            + (f"; {'; '.join(rising)}" if rising else "")
            + (f"; {apart}" if apart else f"; --metric {heads[-1][0]} diagnoses one alone"))
    return line


def _forecast_refutes_flat(f: Facts, t: Thresholds) -> bool:
    """No rule fired (converged would be the verdict), but the tail falls by its own t-test and the forecast
    expects ≥ ``forecast_gain_falling`` (2%) more at twice the length, at P ≥ ``forecast_likely``: converged's
    own check (twice the epochs: < 2% lower) is expected to fail. After a steep first epoch the last quarter
    of a short run is a small share of that epoch's drop, short of still_improving's 3% / 5% bars: an autoencoder
    on digits with a 2-unit code, at epoch 11 (the last 3 epochs fell 2.2% of the level, 8 noise sds, t = -12;
    forecast 4.8% lower by epoch 22, P = 96%) read converged, "stop at epoch 6"; twice the epochs went 14% lower
    (0.0622 -> 0.0532 at epoch 23; tests/fixtures/ecosystem/keras_autoencoder_code2).
    (Only where nothing else explains the run: a logistic model on moons creeping 2.5% toward its linear
    optimum is underfitting, and stays so.) Where the forecast weighed the tail's steady fall in, the reading it
    refutes with is doubted as a falling tail's is when the fitted families alone expect < 1% more
    (:func:`_forecast_beside_tail`)."""
    fc = f.forecast
    if not fc or fc.get("gain") is None or fc.get("p_improve") is None or fc.get("reason") or _batch_loss(f):
        return False
    return f.trend.slope_t < t.improving_t and f.trend.tail_drop_noise >= TAIL_MOVED_SDS \
        and fc["gain"] >= t.forecast_gain_falling and fc["p_improve"] >= t.forecast_likely


def _tail_blind(f: Facts, t: Thresholds) -> tuple[float, float] | None:
    """A tail too short or too noisy to tell a flat curve from the forecast's: (the forecast's slope over the
    tail, the t a tail following it exactly would reach), where that t is within ``blind_tail_t`` of 0 and
    the slope measured is not ``blind_tail_t`` standard errors above the forecast's (the tail does not
    contradict it); else None. The standard error is a point's noise over the tail's spread of axis values:
    on a tail of ≤ 5 points the curve's noise (the tail's own residuals have 2 degrees of freedom); on a
    longer one, which only a training loss logged by step is read for here, the tail's own noise.

    A tiny BERT's training loss logged every 5 steps for 8 epochs (16 points): the last 4 read 0.44, 0.56,
    0.46, 0.51 (t = +0.3), while the forecast fitted to all 16 falls 0.0016/step there, which would reach
    only t = -0.45 on 4 points with noise 0.04; trained on to 16 epochs it fell to 0.21."""
    tr = f.trend
    k = f.n_points - tr.tail_start
    # A training loss logged by step is a batch's loss (or a few batches' mean): its spread is which batch
    # was drawn, and a tail of many such points holds no more than the few epoch means they average to. The
    # BERT above logged every step has 20 points over those 4, t = +0.3 again, where the forecast's descent
    # would reach t = -0.4 against their noise 0.14 (second differences: robust to the spikes and the trend).
    # (Not a validation curve or an epoch mean: there a long flat tail is the curve, not the batches drawn.)
    if (k > 5 and not _batch_loss(f)) or not f.noise > 0:
        return None
    xt = f.x[tr.tail_start:]
    slope = _forecast_slope(f, xt) if xt.shape[0] >= 3 else None
    if slope is None:
        return None  # (fitted from an lr cut inside the tail: no forecast of the tail's own stretch)
    xc = xt - xt.mean()
    # (The tail's own noise, not the whole curve's: batch losses spread as the model fits some batches and
    # not yet others -- the BERT above, sd 0.03 over its first 20 steps at chance, 0.10 over its last 20.)
    noise = f.noise if k <= 5 else difference_noise(_sign(f) * f.y[tr.tail_start:])
    if not noise > 0:
        return None
    se = noise / math.sqrt(float(xc @ xc))
    if abs(slope / se) >= t.blind_tail_t or tr.slope - slope > t.blind_tail_t * se:
        return None
    return slope, slope / se


def _tail_refutes(f: Facts, t: Thresholds) -> tuple[float, float, float] | None:
    """Whether a creeping last quarter contradicts the forecast's descent over it: ``(the tail's slope, the forecast
    path's mean slope over the same stretch, the t of the curve minus that path)``, per axis unit on the
    lower-is-better scale; else None. Read only on a tail that the forecast alone would call improving: of more
    than 5 points (shorter ones cannot show the forecast's descent, :func:`_tail_blind`), not a batch loss logged by
    step (the later half is its test, :func:`_half_refutes`), not falling by its own
    test (:func:`_tail_t` ≥ ``improving_t``) and short of both shares its fall must pay (``improving_tail_drop``,
    ``improving_tail_level``). It contradicts the forecast where the curve minus the path rises at t >
    ``-improving_t`` (the tail's AR(1)-corrected test, :func:`~losslens.facts.trend.ols_slope_t`, on the raw points
    and, where the tail bounces, on its running median of 3 too, the smaller t read) and the fall it missed over
    the tail is ≥ ``forecast_little`` of the level.

    The tail test reads a fall at t < -3; this reads, by the same bar, a tail that does not follow the fall the
    forecast draws through it. The families only fall, and fitted to a long descent they carry it on past where
    the curve has stopped: a Keras MLP on make_moons at SGD 0.02 (tests/fixtures/ecosystem/keras_slow_overfit),
    val_loss flat over epochs 300-399 (t = -0.5) while training fell at t = -24, was forecast 17% lower by epoch
    798 at P = 96% along a path falling 1.5e-4/epoch over that quarter, where the curve fell 1.05e-5/epoch; trained
    on to 800 epochs it was best at 348 (0.1681) and ended at 0.1829, overfitting."""
    fc = f.forecast
    tr = f.trend
    if not fc or not fc.get("path") or fc.get("reason") or f.n_points - tr.tail_start <= 5 or _batch_loss(f) \
            or _tail_t(f, t) < t.improving_t or tr.tail_drop > t.improving_tail_drop \
            or tr.tail_drop_level > t.improving_tail_level:
        # (A tail that falls by its test or paid its share is still_improving's own reading, the forecast only its
        # measure: a 2-unit autoencoder code at t = -16.6, 3.1% of its level, and an MLPRegressor's R² that rose 21%
        # of its distance below 1 at t = 1.9 beside a path rising 5 times as fast, 31% more at twice the iterations.)
        return None
    beside = _tail_beside_path(f)
    if beside is None:
        return None
    path_slope, ts, span, level = beside
    excess = min(ts)
    # Beyond its noise and by enough to matter: the fall the curve missed over the tail ≥ ``forecast_little`` (1%) of
    # the level, as the stopping rule asks of a missed fall (a noise sd and min_gain): on a smooth tail a slope a few
    # percent off the path's departs from it at a large t.
    if not excess > -t.improving_t or not (tr.slope - path_slope) * span >= t.forecast_little * level:
        return None
    return tr.slope, path_slope, float(excess)


def _tail_beside_path(f: Facts) -> tuple[float, list[float], float, float] | None:
    """The last quarter read against the forecast's path over the same stretch, the one measurement behind
    :func:`_tail_refutes` (a tail that does not follow the path's fall) and :func:`_forecast_misses_tail` (a tail that
    falls away below it): ``(the path's mean slope per axis unit, the t of the curve minus the path on each reading --
    the raw points and, where the tail bounces, their running median of 3 --, the tail's span on the axis, the path's
    level at the end)``, on the lower-is-better scale; None where the path does not cover the whole tail (fitted from
    an lr cut inside it) or is not finite. Each caller reads the t that is weaker for its claim."""
    fc, tr = f.forecast, f.trend
    px, mid = np.asarray(fc["path"]["x"], float), np.asarray(fc["path"]["mid"], float)
    xt = f.x[tr.tail_start:]
    if xt.shape[0] < MIN_TAIL_POINTS or px.shape[0] < 2 or xt[0] < px[0] or not np.all(np.isfinite(mid)):
        return None  # (a path fitted from an lr cut inside the tail draws no descent over all of it)
    s = _sign(f)
    path = s * np.interp(xt, px, mid)
    reads = [f.y[tr.tail_start:]] + ([median3(f.y)[tr.tail_start:]] if np.isfinite(tr.slope_t_median3) else [])
    ts = [ols_slope_t(xt, s * y - path)[1] for y in reads]
    span = float(xt[-1] - xt[0])
    return float((path[-1] - path[0]) / span), ts, span, abs(float(path[-1]))


def _forecast_misses_tail(f: Facts, t: Thresholds) -> tuple[float, float, float] | None:
    """Whether a last quarter that falls by its own test runs away below the forecast's path over it, the mirror of
    :func:`_tail_refutes`: ``(the tail's slope, the path's mean slope over the same stretch, the t of the curve minus
    that path)``, per axis unit on the lower-is-better scale; else None. Read on a held-out curve's tail of more than
    5 points (not a training loss read alone, nor a batch loss logged by step) that falls by its test (:func:`_tail_t` < ``improving_t``) and paid a share
    (``improving_tail_drop`` of the improvement or ``improving_tail_level`` of the level, as :func:`_falling` asks);
    it runs away where the curve minus the path falls at t < ``improving_t`` (AR(1)-corrected, on the raw points and,
    where the tail bounces, on its running median of 3, the weaker t read), the fall the path missed over the tail is
    ≥ ``forecast_little`` of the level, and the curve's smoothed end sits that far below every point before the
    tail: a fall to new lows, not a swing settling back to a floor it had reached before (Keras Adam 0.1 on
    diabetes, whose doubt stands).

    A forecast that does not follow the stretch it was fitted to cannot say that the stretch is over: its "< 1% more"
    is the fit's, not the curve's. A 10-64-64-1 MLP on targets left unscaled (~5000, Adam 0.01,
    tests/fixtures/ecosystem/torch_unscaled_targets): a first drop from 3e7 to 1e6 by epoch 6, then a last quarter
    16% lower at t = -12, while the families, bent flat at the first drop's end, drew a path falling 0.035/epoch
    against the curve's 2,470; read converged, "P = 0% that it gains > 1%", and trained on it fell 13-15% below the
    forecast by twice the epochs (outside its interval)."""
    fc = f.forecast
    tr = f.trend
    # (A training curve read alone is not: its fall to new lows is the fit of examples it has seen, which goes on
    # toward 0 whatever carries over; walk39_readings' 150 digits memorised, 0.054 at X to 3.9e-05, 27% lower over
    # the last quarter at t = -7.1, stay converged, "stop once it flattens".)
    if not fc or not fc.get("path") or fc.get("reason") or f.n_points - tr.tail_start <= 5 or _batch_loss(f) \
            or f.metric in ("train_loss", "train_acc") or not _tail_t(f, t) < t.improving_t \
            or not (tr.tail_drop > t.improving_tail_drop or tr.tail_drop_level > t.improving_tail_level):
        return None
    beside = _tail_beside_path(f)
    if beside is None:
        return None  # (a path fitted from an lr cut inside the tail: the tail is not all the fit's to follow)
    path_slope, ts, span, level = beside
    behind = max(ts)
    s = _sign(f)
    y = s * f.y
    before = float(np.min(y[:tr.tail_start][np.isfinite(y[:tr.tail_start])])) if tr.tail_start else math.inf
    new_low = before - s * float(f.smoothed[-1])
    if not behind < t.improving_t or not (path_slope - tr.slope) * span >= t.forecast_little * level \
            or not new_low >= t.forecast_little * level:
        return None
    return tr.slope, path_slope, float(behind)


def _half_refutes(f: Facts, t: Thresholds) -> bool:
    """Whether the later half of the run (twice the tail's points) contradicts the forecast: its slope more than
    ``blind_tail_t`` standard errors above the forecast's over the same stretch (:func:`_half_excess`)."""
    z = _half_excess(f)
    return z is not None and z > t.blind_tail_t


def _half_excess(f: Facts) -> float | None:
    """How many standard errors the slope of the later half of the run (twice the tail's points) sits above the
    forecast's over the same stretch (None where it cannot be read): the tail's own test (_tail_blind) where the
    noise has averaged down by 2^1.5. The error is from the stretch's own noise (second differences) on
    a batch loss logged by step, else from the curve's.

    A learning-curve family fitted to a drop and the flat stretch after it bends the flat stretch into a slow
    descent. A tiny BERT Trainer on 3,000 examples with 10% of labels flipped (tests/fixtures/ecosystem/
    hf_flat_batches) falls from ln 2 to ~0.32 in its first epoch and stays there: epoch 2's mean batch loss
    0.3310 / 0.3102 (seeds 3 / 7), epoch 4's 0.3313 / 0.3095. Logged every step for 2 epochs, the last 94
    batch losses fall at t = -0.9 / -1.0, where the forecast's descent would give t = -0.5 / -0.7 (too noisy to
    tell), so its "16% / 23% more (P = 91% / 93%)" read still_improving. Over the last 188 steps the forecast
    would fall at t = -2.0 / -2.5 and the losses sit 2.7 / 3.0 standard errors above it (t = +0.7 / +0.5)."""
    h0 = f.n_points // 2
    xh, yh = f.x[h0:], _sign(f) * f.y[h0:]
    forecast = _forecast_slope(f, xh) if h0 < f.trend.tail_start and xh.shape[0] >= 8 else None
    if forecast is None:
        return None
    noise = difference_noise(yh) if _batch_loss(f) else f.noise
    xc = xh - xh.mean()
    if not noise > 0:
        return None
    se = noise / math.sqrt(float(xc @ xc))
    measured = float(xc @ (yh - yh.mean())) / float(xc @ xc)
    return (measured - forecast) / se


def _forecast_slope(f: Facts, x: np.ndarray) -> float | None:
    """The forecast path's mean slope between ``x[0]`` and ``x[-1]`` (per axis unit, lower is better); None
    without a finite path that covers them (one fitted from an lr cut after ``x[0]``)."""
    fc = f.forecast
    if not fc or not fc.get("path"):
        return None
    px, mid = np.asarray(fc["path"]["x"], float), np.asarray(fc["path"]["mid"], float)
    if px.shape[0] < 2 or x[0] < px[0] or not np.all(np.isfinite(mid)):
        return None
    return _sign(f) * float(np.interp(x[-1], px, mid) - np.interp(x[0], px, mid)) / float(x[-1] - x[0])


def _now(f: Facts) -> float:
    """Where the curve is now: its smoothed last value, or a batch loss's level there (the mean of its last
    half-window of batches, ``plateau.end``), where its smooth keeps the last batch as it is."""
    return float(f.plateau.end) if f.plateau.end is not None else float(f.smoothed[-1])


def _batch_loss(f: Facts) -> bool:
    """A training loss logged by step: a batch's loss (or a few batches' mean), whose spread is the batch drawn."""
    return batch_loss(f.axis_name, f.metric)


def _planned(run: Run, f: Facts) -> tuple[float, str] | None:
    """``(planned end, where the log states it)`` beyond the run's last point (forecasting.planned_horizon)."""
    if not f.x.size:
        return None
    from .forecasting import planned_horizon

    return planned_horizon(run, float(f.x[-1]))


#: _decay_ahead: a logged lr at or above this share of its peak is the peak held (a Trainer's warmup_stable_decay
#: logs the peak itself, 0.01, through its stable phase).
HELD_AT_PEAK = 0.99
#: ... held so over at least this share of the logged run's length (the stable phase, not a warm-up's last point).
HELD_SHARE = 0.5


def _decay_ahead(run: Run, f: Facts, verdict: Cause, planned) -> None:
    """Converged's "stop at X" and "to go lower, change the data or the model" where the run is short of the end
    a Trainer planned (``max_steps``) and its logged lr has sat at its peak since the warm-up: a Trainer's schedule
    plans its decay by ``max_steps`` (its default, "linear", decays from the warm-up's end), so a rate still at its
    peak there is a decay not begun (warmup_stable_decay's stable phase), or a schedule that holds it ("constant").
    The flat curve is the level of the peak rate; the decay is where such runs drop. A char-level MLP LM under the
    Trainer (AdamW 1e-2, warmup_stable_decay, its last 20% a linear decay to 0), its checkpoint at 75% read
    converged "stop at step 840 ... change the data or the model"; the run went on 6.7% lower through its decay
    (its checkpoint at 50%: 10.8%), tests/fixtures/ecosystem/hf_wsd_cut. A step decay cut before its first milestone
    and a constant rate lowered to a tenth from the middle gained 8.5% and 7.3% the same way (session 47's walk).
    Only a Trainer's state: a CSV's lr held at its peak says nothing of a schedule to come, and a held rate's flat
    end at the noise floor of the step is not told from the data's by the curve (d0447749: a BatchNorm net at batch
    2, the lab's MLP at its noise floor, read so and lr / 10 did not help them)."""
    if verdict.id != "converged" or planned is None or not _trainer_steps(run):
        return
    o = f.optimizer
    lr = run.get("lr")
    if lr is None or o.lr_peak is None or not o.lr_peak > 0 or o.lr_falling:
        return
    at = np.asarray(run.axis, dtype=float)
    lr = np.asarray(lr, dtype=float)
    ok = np.isfinite(lr)
    at, lr = at[ok], lr[ok]
    if lr.size < 4:
        return
    high = lr >= HELD_AT_PEAK * o.lr_peak
    first = int(np.argmax(high))
    span = float(at[-1] - at[0])
    if not high[first:].all() or not span > 0 or float(at[-1] - at[first]) < HELD_SHARE * span:
        return
    end, source = planned
    axis = f.axis_name
    verdict.evidence.append(
        f"the learning rate is still at its peak, {o.lr_peak:.3g}, held since {axis} {_n(at[first])}, "
        f"{_n(end - at[-1])} {axis}s before the planned end ({source}): the flat stretch is the level of the peak "
        "rate, and a schedule's decay still ahead of it is where such runs drop")
    # (The first action is the stop, however priced or hedged; the data or the model is not yet the lever.)
    acts = [a for a in verdict.actions[1:] if not _of_kind(a, DATA_OR_MODEL)]
    verdict.actions = [
        f"don't stop here: the schedule's decay, still ahead by {axis} {_n(end)} ({source}), is where such runs "
        "drop (warmup_stable_decay's decay, a step decay's milestone); judge the level after it",
        f"if the schedule holds the rate to the end (lr_scheduler_type \"constant\"), learning rate / 10 from here "
        "tells the step's floor from the data's (losslens verify --cause converged runs it)"] + acts


def _stop_in_decay(run: Run, f: Facts, t: Thresholds, verdict: Cause) -> None:
    """Converged's "stop at X" after a planned decay that ran the lr to ~0 as the run ended (:func:`_schedule_ended`,
    not a plateau cut cut again: :func:`_cut_again`), where X lies inside the decay and the decay still paid after
    it. X marks where 95% of the improvement was made; under a cosine, a linear or a one-cycle decay the last few
    percent come from the decay itself, so stopping the same schedule at X gives them up, and the stop is the
    schedule's end. Read where the logged lr at X was still at or above ``annealed_end_ratio`` of its peak (the decay
    not yet at its end) and the curve's level fell from X (the median of the 3 points centred on X) to the end (its
    smoothed last value) by at least ``forecast_little`` of the level at X and ``FELL_AFTER_X_NOISE`` noise sds
    (a fall the tail's noise could draw is no gain). A char-level MLP LM (AdamW 1e-2, 2,400 steps,
    tests/fixtures/ecosystem/sched_charlm) read "stop at step 1640: more steps at the schedule's end rate will not
    lower the loss" under a cosine to 0 (lr 25% of its peak there, val_loss 1.806 at X, 1.756 at the end: 2.8%,
    4.9 noise sds); the same under a linear decay (X 1880, 2.8%) and a one-cycle (X 1720, 4.1%): session 47's
    schedule walk, tests/fixtures/ecosystem/cosine_stop_in_decay/onecycle.csv). Nor is a shorter schedule the stop:
    the cosine planned to end at 1640 ended at 1.7990, 2.4% above the 2,400-step run's end (cosine_T1640.csv).
    A one-layer Transformer under a cosine to 0 over 30 epochs (tests/fixtures/ecosystem/torch_tiny_transformer,
    run.json) read "stop at epoch 10", its lr 80% of its peak there: val_loss 2.607 there, 2.571 at the end (1.4%,
    7.8 noise sds), a level it reached by epoch 18-20 with the lr still decaying; the end is named, not that point.
    Read on converged wherever it is listed, not only as the verdict: behind underfitting its first action is the
    same stop. The tiny GPT-2 of tests/fixtures/ecosystem/capacity_or_floor/gpt2_e32 (linear decay over 15 epochs,
    underfitting, converged listed) said "stop at step 190", its lr 36% of its peak there: eval_loss 1.8801 there,
    1.8604 at the end (1.0%, 6.5 noise sds); its schedule planned to end at step 190 ended at 1.9328, 3.9% above it
    (tests/fixtures/ecosystem/stop_in_decay_under). hf_accum4's three tiny BERTs (X at 53-59% of the peak lr) gave up
    1.6-4.5% at X. Not a batch loss (its median of 3 is three batches drawn) nor a loss with no zero point (its share
    of a level says nothing)."""
    if verdict.id != "converged" or not verdict.actions or f.plateau.window or f.offset_free:
        return
    first = verdict.actions[0]
    if not _of_kind(first, STOP_AT) or getattr(first, "claim", None) != NO_GAIN_ANNEALED:
        return
    o = f.optimizer
    lr = run.get("lr")
    i = f.plateau.index
    if lr is None or i is None or o.lr_peak is None or not o.lr_peak > 0 or i >= f.n_points - 3:
        return
    at = np.asarray(run.axis, dtype=float)
    lr = np.asarray(lr, dtype=float)
    ok = np.isfinite(lr) & np.isfinite(at)
    if ok.sum() < 4:
        return
    x, end = float(f.x[i]), float(f.x[-1])
    lr_x = float(np.interp(x, at[ok], lr[ok]))
    if lr_x < t.annealed_end_ratio * o.lr_peak:
        return
    y = _sign(f) * f.y
    v_x = float(np.median(y[max(i - 1, 0):i + 2]))
    v_end = _sign(f) * _now(f)
    drop = v_x - v_end
    if not v_x or drop < t.forecast_little * abs(v_x) or drop < FELL_AFTER_X_NOISE * f.noise:
        return
    rel, sds = drop / abs(v_x), drop / f.noise if f.noise > 0 else float("inf")
    axis = f.axis_name
    above = "below" if _higher(f) else "above"
    verdict.actions[0] = Action(
        f"stop at the schedule's end, {axis} {_n(end)}{NO_GAIN_ANNEALED}; not at {axis} {_n(x)}, where the lr "
        f"was still decaying ({_pct(lr_x / o.lr_peak)} of its peak): {f.metric} was {_pct(rel)} {above} the end "
        f"there ({_sign(f) * v_x:.4g} against {_sign(f) * v_end:.4g}, {sds:.1f} noise sds), the decay's last gain, "
        f"which stopping at {_n(x)} gives up", STOP_AT, NO_GAIN_ANNEALED)
    verdict.numbers["stop_in_decay"] = float(rel)


#: _stop_gives_up: the level a converged curve ended at, reached after X, must lie this many noise sds past its level
#: at X (FELL_AFTER_X_NOISE's bar, the fall a noisy tail's dips cannot draw) and at least ``forecast_little`` of that
#: level (a score's: of its distance below its ceiling). Measured (session 49) on the 139 committed fixture readings
#: of converged with "stop at X" (no annealed schedule's): 46 ended >= 3 sds past X's level, 36 of them by >= 1% (3.3 to
#: 72 sds, 1.2-4.7% of a loss's level, 13-63% of a score's distance below 1), which this moves; where a held-out truth
#: exists it confirms the gain: keras_digits' test accuracy +0.011 by epoch 18, step_stop_gain's test loss 1.7% lower,
#: scikit-learn's MLP at Adam 0.1 (sklearn_mlp_lr1/mlp_lr0.1.json, 3.3 sds) refitted to each iteration 0.891 at X and
#: 0.910 by iteration 7 on its 597 test digits; fresh_kinds/smooth0.2's twice-the-epochs run fell on. Below the bar,
#: 5 at 2-3 sds (sched_charlm/const.csv 2.5: a constant lr's scatter) and 89 under 2. On a 500-curve sample of the
#: benchmark's real curves 17 of 29 such readings ended >= 3 sds past X, all but one by under 1% (DeepOBS' 50-200-epoch
#: runs, 0.02-0.8%): their stop stays at X.
STOP_GAIN_NOISE = FELL_AFTER_X_NOISE


def _stop_gives_up(run: Run, f: Facts, t: Thresholds, verdict: Cause) -> None:
    """Converged's "stop at X" where the log shows the curve went on to a level beyond its noise after X, by less
    than :func:`_fell_after_plateau`'s 5% of X's level (from there the stop is already "once it is flat"). X marks
    where 95% of the improvement was made, DESIGN's plateau onset, and stays; the stop is the point the curve first
    came within a noise sd of the level it ended at (its smoothed last value; the level at X the median of the 3
    points centred on it), that gain at least :data:`STOP_GAIN_NOISE` noise sds and ``forecast_little`` of X's
    level (a score's: of its distance below its ceiling). Where the logged learning rate was cut between X and that
    point (a step decay's milestone, ReduceLROnPlateau), the stop is said to come after the cut.

    A Keras 64-512-512-10 MLP on 300 digits (tests/fixtures/ecosystem/accuracy_ties/keras_digits.csv,
    --metric val_accuracy) read "stop at epoch 8: more epochs will not raise val_accuracy": val_accuracy 0.93 there
    (median of 3), 0.9367 from epoch 18 to 99 (2 more of its 300 examples, 7 noise sds, held 80 epochs); the test
    accuracy (keras_digits_test.csv) 0.9235 at 8, 0.9346 at 18, 0.943 at 99. sched_charlm's char-level LM under a
    step decay (tests/fixtures/ecosystem/step_stop_gain: lr / 10 at steps 1200 and 1800) read "stop at step 1600":
    val_loss 1.883 there (median of 3), 1.8495 at the end, after the second cut (1.8%, 5.2 noise sds); the test loss
    on five other stdlib modules fell with it, 1.7% (make.out). Not a batch loss (its median of 3 is three batches
    drawn), nor a stop inside an annealed schedule (:func:`_stop_in_decay` reads those). A loss with no zero point
    (``offset_free``) has no level to take a share of (a constant added moves it): its gain is weighed against the
    whole improvement instead, as diagnose reads such a loss everywhere. Keras' Poisson loss on 800 generated counts
    (tests/fixtures/ecosystem/neg_loss_no_zero/poisson/base.csv) read "stop at epoch 5": val_loss -1.9705 there,
    -2.029 at its end and -2.041 at its best (epoch 43), 4% of its improvement (1.46) given up at X where the best
    possible model (the true rate) scores -2.145: 0.06 of the 0.17 left."""
    if verdict.id != "converged" or not verdict.actions or f.plateau.window \
            or "stop_in_decay" in verdict.numbers:
        return
    first = verdict.actions[0]
    i, axis = f.plateau.index, f.axis_name
    if not _of_kind(first, STOP_AT) or getattr(first, "claim", None) == NO_GAIN_ANNEALED or i is None \
            or i >= f.n_points - 3 or not f.noise > 0:
        return
    x = float(f.x[i])
    # (Converged's own stop at X, by the point it names, Action.at: not one at the first point, where the curve is
    # read flat after it, no fall after X to read, nor one a logged metric's flattening moved.)
    if getattr(first, "at", None) != x:
        return
    rest = first[len(f"stop at {axis} {_n(x)}"):]
    higher = _higher(f)
    y = _sign(f) * f.y
    v_x = float(np.median(y[max(i - 1, 0):i + 2]))
    v_end = _sign(f) * _now(f)
    gain = v_x - v_end
    from .forecasting import score_top

    base = (score_top(f.y, f.metric) - _sign(f) * v_x) if higher else \
        f.plateau.improvement if f.offset_free else abs(v_x)
    if not base > 0 or gain < STOP_GAIN_NOISE * f.noise or gain < t.forecast_little * base:
        return
    lo = max(i - 1, 0)
    med = median3(y[lo:])[i - lo:]  # (centred, as X's level; the last point its own)
    reached = np.flatnonzero(med <= v_end + f.noise)
    if not reached.size or reached[0] == 0:
        return
    j = i + int(reached[0])
    stop = float(f.x[j])
    cut = _cut_between(run, x, stop)
    after = "" if cut is None else (f", after the learning rate's cut at {axis} {_n(cut[0])} ({cut[1]:.3g} → "
                                    f"{cut[2]:.3g})")
    sds = gain / f.noise
    n_val = f.chance.n_val if higher and f.chance is not None and f.chance.n_val else None
    if higher:
        held = int(np.sum(y[j:] <= v_end + f.noise))
        size = (f"{_sign(f) * v_x:.4g} → {_sign(f) * v_end:.4g} ("
                + (f"{_count(gain * n_val)} more of its {_count(n_val)} examples right, " if n_val else "")
                + f"{_pct(gain / base)} of its distance below its ceiling, {_count(sds, 1)} noise sds), held on "
                  f"{held} of the {f.n_points - j} {axis}s from {_n(stop)}")
    else:
        of = f"its whole improvement ({base:.4g}; the loss has no zero point)" if f.offset_free else "its level"
        size = (f"{_pct(gain / base)} of {of} ({_sign(f) * v_x:.4g} → {_sign(f) * v_end:.4g}, {_count(sds, 1)} "
                "noise sds)")
    # (Where the end level was first reached at the last point, "where it first reached the level it ended at" says
    # nothing: the curve fell to its end, and the stop is now.)
    where = (f"stop now, at {axis} {_n(stop)}, its last{after}: {f.metric} reached the level it ended at only there"
             if j == f.n_points - 1 else
             f"stop at {axis} {_n(stop)}{after}, where {f.metric} first reached the level it ended at")
    verdict.actions[0] = Action(
        f"{where}{rest}; not at {axis} {_n(x)}: stopping at X gives up {size}: beyond its noise",
        STOP_AT, getattr(first, "claim", None))
    verdict.numbers["stop_gives_up"] = float(gain / base)
    verdict.numbers["stop_at"] = stop


def _cut_between(run: Run, x: float, stop: float) -> tuple[float, float, float] | None:
    """``(axis value, lr before, lr after)`` of the last cut of the logged learning rate to half or less from one
    logged point to the next, after ``x`` and at or before ``stop``; None where none is logged."""
    lr = run.get("lr")
    if lr is None:
        return None
    at = np.asarray(run.axis, dtype=float)
    lr = np.asarray(lr, dtype=float)
    ok = np.isfinite(lr) & np.isfinite(at)
    at, lr = at[ok], lr[ok]
    k = np.flatnonzero((lr[1:] <= 0.5 * lr[:-1]) & (lr[:-1] > 0) & (at[1:] > x) & (at[1:] <= stop)) + 1
    if not k.size:
        return None
    return float(at[k[-1]]), float(lr[k[-1] - 1]), float(lr[k[-1]])


def _planned_line(run: Run, f: Facts, planned: tuple[float, str]) -> str:
    """"at step 25 of 75": a run diagnosed before the end its log plans (a checkpoint of a run under way, a
    killed job, an early stop), so the user reads the verdict as one on a run that has not had its full length."""
    end, source = planned
    last = float(np.nanmax(run.axis)) if run.axis.size else float(f.x[-1])
    # A callback's run under way (meta "live") is short of its end because training goes on, not because it stopped.
    why = "" if run.meta.get("live") else "it stopped, or this log was saved, "
    line = (f"the run is at {f.axis_name} {_n(last)} of {_n(end)}, the planned end ({source}): {why}"
            f"{_n(end - last)} {f.axis_name}s short of it")
    from .forecasting import beyond_calibration

    far = beyond_calibration(float(f.x[0]), float(f.x[-1]), end)
    return line if far is None else f"{line}; {far}"


def _schedule_ahead(run: Run, f: Facts, end: float | None = None) -> str | None:
    """A caveat on a forecast to the planned end ``end`` while the logged lr is still decaying toward it (a
    Trainer's linear decay, a cosine): the forecast carries the curve on at the rates seen so far and cannot see
    the drops the schedule still has to make. Read only where the last 3 logged rates each fell (a step
    schedule's flat stretch says nothing of milestones to come: ``OptimizerFacts.lr_falling``) and the lr is not
    annealed to its floor. Where the log states the schedule (Ultralytics' ``args.yaml``: ``meta["lr_schedule"]``),
    the rate it reaches by ``end`` is said: how much of the annealing the forecast leaves out. (Forecasting along
    it was measured and not kept: benchmarks/schedule_eval.py.)"""
    o = f.optimizer
    if not o.lr_falling or not o.lr_peak > 0 or o.lr_last <= DEFAULT.annealed_lr_ratio * o.lr_peak:
        return None
    last, peak = o.lr_last, o.lr_peak
    now = f"the logged learning rate is still decaying, now {last:.3g}, {_pct(last / peak)} of its peak"
    known = _lr_to_come(run, end)
    if known is not None:
        # The forecast was read along it (forecasting._lr_time_ahead): the drops "to come" were the fit carried over
        # steps at the rate now, which a cosine's last tenth does not have.
        return (f"({now}, a {known[0]} decay to 0 at {f.axis_name} {_n(known[2])}: the forecast counts the steps "
                "left at the rate they will have, and as it goes to 0 the curve flattens)")
    stated = _stated_lr_at(run, end, last) if end is not None else None
    if stated is None:
        return (f"({now}: the forecast carries the curve on at the rates seen so far and cannot see the drops the "
                "schedule still has to make)")
    lr_end, said = stated
    return (f"({now}; {said} takes it to {lr_end:.3g}, {_pct(lr_end / last)} of now, by {f.axis_name} {_n(end)}: "
            "the forecast carries the curve on at the rates seen so far and cannot see those drops)")


def _lr_to_come(run: Run | None, end) -> tuple | None:
    """The logged lr's decay to 0 at ``end`` (forecasting.lr_to_come), the forecast read along it; None without."""
    if run is None or end is None:
        return None
    from .forecasting import lr_to_come

    return lr_to_come(run.axis, run.get("lr"), float(end))


def _stated_lr_at(run: Run, end: float, lr_now: float) -> tuple[float, str] | None:
    """``(lr at end, where the schedule is stated)`` from the schedule the log states (``meta["lr_schedule"]``,
    :func:`losslens.schedules.lr_factor`; Ultralytics' ``args.yaml`` states one), scaled to the rate logged last;
    None where none is stated."""
    schedule = (getattr(run, "meta", None) or {}).get("lr_schedule")
    if not isinstance(schedule, dict) or not run.axis.size:
        return None
    try:
        now, then = (float(v) for v in lr_factor(schedule, np.array([float(run.axis[-1]), float(end)])))
    except (KeyError, TypeError, ValueError):
        return None
    if not (now > 0 and math.isfinite(then) and then >= 0):
        return None
    return lr_now * then / now, str(schedule.get("from") or "the stated schedule")


def _forecast(f: Facts, horizon, horizon_from: str | None = None, run: Run | None = None,
              prior_floor: float | None = None):
    """The forecast of ``f.metric`` to ``horizon`` as the JSON's ``forecast`` dict (None where there is none);
    given the ``run``, withheld with its reason where the metric turned NaN/inf for good; ``prior_floor``: a constant
    answer's validation loss it is held at or above (:func:`_forecast_at_prior`)."""
    try:
        from .forecasting import (broken_down, default_horizon, forecast_curve, gain_reference, lr_to_come, score_top,
                                  training_loss)
    except ImportError:
        return None
    if horizon is not None and f.x.size and float(horizon) <= float(f.x[-1]):
        return None  # a horizon inside the run would be a backcast quoted as a forecast
    asked = horizon  # (a diverged run's withheld forecast defaults to twice its rows, not its finite stretch)
    if horizon is None and f.x.size > 1:
        # Twice the logged length from the points logged, as `losslens forecast` reads it, not from the
        # downsampled ones fitted below (bins' mean axis values): a 351-point DeepOBS run read "forecast at
        # epoch 699" here and "at epoch 700" there, a 600-epoch YOLO run 1196 and 1199.
        horizon = default_horizon(f.x)
    withheld = broken_down(run, f.metric, f.x, f.y, asked) if run is not None and f.metric in run.series \
        else None
    if withheld is not None:  # (a diverged run: "training on gains 60%, P = 96%" beside it was a fit of before)
        withheld.axis = f.axis_name
        d = withheld.to_dict()
        d["metric"] = f.metric
        return d
    higher = _higher(f)
    # Higher is better: forecast the distance below the score's ceiling (1 - acc: its floor is 0,
    # so the forecast cannot promise an accuracy above 1).
    top = score_top(f.y, f.metric) if higher else 0.0
    # The points fitted are forecast_curve's to choose (forecasting.fitted_points), as for `losslens forecast` and
    # the callbacks' stop_gain: thinned to 200 here, the same run read 0.2827 where the stop said 0.2814.
    x, y = f.x, top - f.y if higher else f.y
    try:
        fc = forecast_curve(x, y, horizon=horizon, since=f.lr_cut, cut_ratio=f.lr_cut_ratio,
                            training=training_loss(f.metric, higher), noise_floor=f.noise_floor,
                            batch=_batch_loss(f) and not higher, offset_free=f.offset_free,
                            prior_floor=None if higher else prior_floor,
                            lr_ahead=_lr_to_come(run, horizon) if f.lr_cut is None else None)
    except Exception:  # a forecast failure must not cost the diagnosis
        return None
    if fc is None:
        return None
    if horizon_from:
        fc.horizon_from = horizon_from
    # Fitted on bare arrays, the forecast names no axis of its own: the run's, or a Trainer's step-axis horizon of
    # 790 read "axis": "epoch" beside the diagnosis's "step".
    fc.axis = f.axis_name
    if higher:  # report in the metric's own direction, kept above the score's floor, as `losslens forecast` does
        from .forecasting import on_score_scale

        fc = on_score_scale(fc, f.y, top)
    if not higher:
        from .forecasting import reached_in_cycles

        reached_in_cycles(fc, f.cycles)
    if not higher and not fc.reason:
        # The stop advice weighs training on against the best reached so far (what restoring the best weights
        # keeps), as the stopping rule does; gain and p_improve stay measured from the fitted level now.
        fc.best = fc.over_best(f.y, training=training_loss(f.metric, higher), batch=_batch_loss(f))
    d = fc.to_dict()
    d["metric"] = f.metric
    if higher and d.get("value") is not None and d.get("level"):
        d["gain"] = (d["value"] - d["level"]) / abs(d["level"])  # (the metric's own rise, not its error's fall)
    if fc.fit_alone is not None and not fc.reason and fc.level:
        v, p = fc.fit_alone
        # (Out of the JSON: the caller keeps it as Facts.forecast_fit_alone.)
        # (A share of the improvement so far where 0 is no floor, as the forecast's own gain is.)
        ref = gain_reference(fc, fc.level) if fc.per_improvement else abs(fc.level)
        d["fit_alone"] = {"gain": ((v - fc.level) if higher else (fc.level - v)) / ref, "p_improve": p}
    return d


def _forecast_at_prior(run: Run, f: Facts, verdict: Cause, horizon, planned) -> None:
    """Forecast the validation loss again, held at or above the constant answer's floor, where ``verdict`` reads the
    run as one that gives every input the same answer or none that carries over, at that floor
    (:func:`_at_the_prior`'s ``prior_loss``). Forecast before any rule read it, the families bent on below the floor:
    Keras' dead units at Adam(1e-3), val_loss 0.41 at epoch 49 falling toward 0.325, were forecast 0.258 by 200
    beside "more epochs only get it there sooner, no lower"."""
    floor = verdict.numbers.get("prior_loss")
    if verdict.id not in ("stuck_at_init", "no_signal") or floor is None or f.metric != "val_loss":
        return  # (the floor is validation's loss's: a diagnosed accuracy or training loss has another)
    f.forecast = _forecast(f, None, prior_floor=floor)
    f.forecast_fit_alone = f.forecast.pop("fit_alone", None) if f.forecast else None
    if horizon is not None or planned is not None:
        f.quoted_forecast = _forecast(f, horizon, run=run, prior_floor=floor) if horizon is not None \
            else _forecast(f, planned[0], planned[1], run, prior_floor=floor)
        if f.quoted_forecast:
            f.quoted_forecast.pop("fit_alone", None)


def _lr_cut(run: Run) -> tuple[float | None, float | None]:
    """Where the logged lr was last cut to the rate it holds now (the forecast fits the curve from there),
    and the new rate over the old."""
    lr = run.get("lr")
    if lr is None:
        return None, None
    from .forecasting import lr_cut

    return lr_cut(run.axis, lr)


#: A forecast's P (of a > IMPROVE_FRACTION gain) at or above even odds: a gain more likely than not, which
#: converged's "more epochs will not lower the loss" may not deny as a fact (7c2f24b); the quote, the hedge,
#: under_one_example and short_of_best read it. A definition, not tuned.
EVEN_ODDS = 0.5


def _refers_to_forecast(action: str) -> bool:
    """Whether ``action`` sends the reader to the forecast: still_improving's :data:`SEE_FORECAST`, lr_too_low's
    :data:`FORECAST_SAYS`."""
    return _of_kind(action, SEE_FORECAST) or getattr(action, "claim", None) == FORECAST_SAYS


def _forecast_for_listed(causes: list[Cause], fc: dict | None, f: Facts, t: Thresholds, forecast: bool, horizon,
                         planned) -> None:
    """The forecast quoted in a listed cause whose action refers to it, where the verdict's evidence quotes none (the
    forecast is quoted under still_improving, lr_too_low and converged only): still_improving listed behind
    underfitting (lightning_adamw_settings/wd1) said "see the forecast for how many more epochs pay", and neither
    the text, the JSON nor the HTML report held one. Where the verdict's forecast has none to give (its reason
    said under the verdict, or no forecast asked), the reference goes: it would send the reader to nothing."""
    listed = [c for c in causes[1:] if any(_refers_to_forecast(a) for a in c.actions)]
    if not listed:
        return
    if fc is not None and not fc.get("reason"):
        return  # quoted under the verdict, above them
    own = None
    if forecast and (fc is None or not fc.get("reason")):
        own = f.forecast if horizon is None and planned is None else f.quoted_forecast
    for i, c in enumerate(listed):
        if own is not None and i == 0:  # (once, under the first: the others' reference is to it, above them)
            _quote_forecast(c, own, f, t)
        if own is None or own.get("reason"):
            c.actions = [a for a in c.actions if not _of_kind(a, SEE_FORECAST)]
        if own is None or own.get("reason") or own.get("uncertain"):
            c.actions = [a.reword(FORECAST_SAYS, "") if getattr(a, "claim", None) == FORECAST_SAYS else a
                         for a in c.actions]


def _forecast_cannot_say(cause: Cause, f: Facts, why: str = "") -> None:
    """still_improving's "see the forecast for how many more epochs pay" where the forecast cannot say it (uncertain,
    or ``why``), replaced by what to do without it: train on with early stopping."""
    on = f.metric
    if f.parts_falling and any(_of_kind(a, PART_OVERFITS) for a in cause.actions):
        # (on the total it restores the last weights, the overfitting part's worst: keras_heads_apart/w1.csv)
        on = (f"{' or '.join(f.parts_falling)}, the part{'s' if len(f.parts_falling) > 1 else ''} still falling, "
              f"not on {f.metric}")
    cause.actions = [(f"the forecast cannot say how many more epochs pay{why}: train on with early stopping on "
                      f"{on} (patience of a few {f.axis_name}s, restoring the best weights)")
                     if _of_kind(a, SEE_FORECAST) else a for a in cause.actions]


def _quote_forecast(cause: Cause, fc: dict, f: Facts, t: Thresholds = DEFAULT):
    value, interval, horizon = fc.get("value"), fc.get("interval"), fc.get("horizon")
    if fc.get("reason"):  # too few points, or a fit that misses the curve's present: its "interval" is a wide guess
        cause.evidence.append(f"no forecast: {fc['reason'].split('; ')[0]}")
        cause.actions = [a for a in cause.actions if not _of_kind(a, SEE_FORECAST)]
        return
    if value is None or horizon is None or not interval or any(v is None for v in interval):
        return  # (an overflowing band is written as null in JSON: nothing to quote)
    # The horizon as the report names it: where the log plans to end, said as such.
    at = f"{f.axis_name} {_n(horizon)}" + (f", the planned end ({fc['horizon_from']})" if fc.get("horizon_from") else "")
    # A score is forecast as its distance below its ceiling: p_improve and the error's change are about that.
    top = None
    if _higher(f):
        from .forecasting import score_top

        top = score_top(f.y, f.metric)
    # "Now" is the forecast's own fitted level, the one its gain and p_improve are measured from and that
    # `losslens forecast` quotes; the smoothed last value (_now) can sit elsewhere on a curve that still moves
    # (a torch loop's val_loss: smoothed 0.4875, fitted 0.4772: "+5.6% vs. now" here, "7.9% higher" there).
    level = fc.get("level")
    fitted = level is not None and math.isfinite(level) and level != 0
    last = level if fitted else _now(f)
    if last:
        change = (value - last) / abs(last)
        # (A loss with no zero point has no share of its level to say: the change in its own units.)
        # (Nor a score below 0, an R² under its mean's: "+18%" of -0.118 is a rise of 0.02.)
        absolute = fc.get("per_improvement") or _higher(f) and last < 0
        vs_now = (f"{value - last:+.3g}" if absolute else _signed_pct(change)) + \
            (f" vs. its fitted level now, {last:.4g}" if fitted else " vs. now")
        if top and level is not None and top - level > 0:
            # A score near its ceiling barely moves while its error halves; p_improve below is
            # about the error, so the error's change (from the forecast's level) is the one to read it by.
            err_change = ((top - value) - (top - level)) / (top - level)
            vs_now += f"; its error {top:g} − {f.metric} {_signed_pct(err_change)}"
        note = fc.get("note") or ""
        floor = ""
        if "the fitted trend reaches" in note:
            from .forecasting import ceiling_text

            # A score's trend reaching its ceiling (its error's reaching 0) is an upper bound, said as the score's.
            floor = (f" (no plateau visible yet: the trend reaches {f.metric}'s ceiling of {ceiling_text(top or 0.0)}, an "
                     "upper bound)") if _higher(f) else " (no floor visible yet: the trend reaches 0, a lower bound)"
        if "lr was cut" in note:  # fitted from the cut, or held at the level just after it: say which
            floor += f" ({note.split(';')[0]})"
        if fc.get("prior_floor") is not None and "held at" in note:
            # Not the data's noise floor: the constant answer's, which the verdict reads the run as stuck at.
            floor += (f" (held at the constant answer's {fc['prior_floor']:.4g}, the class frequencies' loss: "
                      "no lower while the answer ignores the input)")
        if fc.get("uncertain"):
            from .forecasting import SCORE_UNCERTAIN_TRACK_RECORD, UNCERTAIN_TRACK_RECORD

            # An interval from 0 (or wider than the level) quoted beside a value reads as a forecast; it is none.
            cause.evidence.append(f"the forecast is uncertain: {fc['uncertain']} ([{interval[0]:.4g}, {interval[1]:.4g}] "
                                  f"at {at}, around {value:.4g}, {vs_now}), "
                                  f"so its value says little "
                                  f"({SCORE_UNCERTAIN_TRACK_RECORD if top else UNCERTAIN_TRACK_RECORD}){floor}")
            _forecast_cannot_say(cause, f)
        else:
            cause.evidence.append(f"forecast at {at}: {value:.4g} ({vs_now}), "
                                  f"90% interval [{interval[0]:.4g}, {interval[1]:.4g}]{floor}")
    if fc.get("p_improve") is not None:
        gains = "gains > 1% of its improvement" if fc.get("per_improvement") else "gains > 1%"
        if _higher(f):
            gains = f"lowers {top:g} − {f.metric} by > 1%" if top else f"raises {f.metric} by > 1%"
        line = f"probability that training on to {_n(horizon)} {gains}: {fc['p_improve']:.0%}"
        one = under_one_example(f, fc, top)
        if one is not None:
            # 1% of a small error is a fraction of one example: a likely gain too small for the score to show
            # (scikit-learn's MLP, 180 held-out digits at 0.9944: P = 89% beside "stop: more epochs will not raise it").
            gain, n, share = one
            line += (f"; but that whole gain, {gain:+.2g} in {f.metric}, is {share:.2g} of one validation example "
                     f"({f.metric} on {n} examples moves in steps of {top / n:.2g}, one example): less than it can "
                     "show")
        short = short_of_best(fc)
        if short is not None and fc["p_improve"] >= EVEN_ODDS and cause.id == "converged":
            # A curve that crept up from its best is forecast below where it is now, not below its best: "P = 70%
            # that it gains > 1%" read as a gain restoring the best weights would not give (Keras MLP, val_loss
            # best 0.139 at epoch 16, now 0.1454, forecast 0.140 by 120: "3.7% lower ... P = 70%").
            line += (f" (from its fitted level now, {fc['level']:.4g}); but its best so far is {fc['best_so_far']:.4g} "
                     f"and the forecast is {short}: {best_kept(f.metric)}")
        if cause.id == "converged" and _schedule_ended(f, t):
            # The ensemble carries the fitted curve on as though the step that shaped it held; after a schedule
            # that ran the lr to ~0, more epochs train at ~0 and hold the loss where it is: "P = 45% that training
            # on gains > 1%" beside "the schedule ended" (torch_cosine_end) priced epochs that cannot move it. What
            # the p_improve does measure is said instead of the P (it stays in the JSON's forecast).
            p = f"P = {fc['p_improve']:.0%} that it {gains} by {_n(horizon)}"
            if fc.get("gain") is not None and fc["gain"] >= t.forecast_gain:
                cause.evidence.append(f"(the forecast, {p}, extends the schedule's last drop; with the learning rate "
                                      "at its floor, more epochs will not repeat it)")
            else:
                cause.evidence.append(f"(that forecast, {p}, carries the fitted curve on as though the step held; at "
                                      "the schedule's end rate more epochs will not follow it: no outlook for training "
                                      "on, nor for a longer schedule, which only retraining measures)")
            return
        cause.evidence.append(line)
        if cause.id in DESCENDING_VERDICTS and fc.get("gain") is not None and fc["gain"] < t.forecast_little \
                and (missed := _forecast_misses_tail(f, t)) is not None:
            # The verdict went by the tail over this forecast (_nothing_left): "P = 0%" beside "keep training" needs
            # the reason, and "see the forecast for how many more epochs pay" would send the reader to that P.
            slope, path, behind = missed
            way, ways = ("rise", "rises") if _higher(f) else ("fall", "falls")
            cause.evidence.append(
                f"(the forecast, fitted to the whole curve, expects < 1% more, but its path {ways} "
                f"{abs(path):.3g}/{f.axis_name} over {_tail(f)}, where {f.metric} moved {_sign(f) * slope:.3g}/"
                f"{f.axis_name} to new {'highs' if _higher(f) else 'lows'}, away from that path at t = {_t(behind)}: "
                f"the fitted curve flattened where the first {way} ended and does not follow the tail, so the verdict "
                "goes by the tail)")
            _forecast_cannot_say(cause, f, " (it does not follow the tail)")
        # (Not after an annealed schedule either: converged returned above where _schedule_ended, which it implies.)
        if cause.id == "converged" and fc.get("uncertain") and fc["p_improve"] >= EVEN_ODDS and cause.actions \
                and not _batch_loss(f):
            _hedge_converged(cause, f, horizon, fc["p_improve"])
        expects_more = cause.id == "converged" and fc.get("gain") is not None and fc["gain"] >= t.forecast_gain
        # (A converged after an annealed schedule returned above: its note says what the forecast extends.)
        if expects_more and f.trend.slope_t >= 0 and fc["p_improve"] >= t.forecast_likely \
                and (train_t := _still_fitting(f, t)) is not None:
            _train_on_fitting(cause, f, horizon, gains, fc["p_improve"], train_t)
        elif expects_more and f.trend.slope_t >= 0:
            # The learning-curve families only fall; fitted over a drop the tail has left behind
            # (an lr step), they extrapolate another one.
            cause.evidence.append(f"(the forecast, fitted to the whole curve, expects more, but {_tail(f)} did not "
                                  f"{'rise' if _higher(f) else 'fall'} (t = {_t(_sign(f) * f.trend.slope_t)}): the "
                                  "verdict goes by the tail)")
        elif expects_more and (refuted := _tail_refutes(f, t)) is not None:
            slope, path, excess = refuted
            way = "rises" if _higher(f) else "falls"
            cause.evidence.append(f"(the forecast, fitted to the whole curve, expects more, but its path {way} "
                                  f"{abs(path):.3g}/{f.axis_name} over {_tail(f)}, where {f.metric} moved "
                                  f"{_sign(f) * slope:.3g}/{f.axis_name}: the curve departs from that path at t = "
                                  f"{_t(excess)}, so the verdict goes by the tail)")
        elif expects_more and (z := _half_excess(f)) is not None and z > t.blind_tail_t:
            # (A flat stretch after a drop, bent into a descent by a family fitted through both: see _half_refutes.)
            cause.evidence.append(f"(the forecast, fitted to the whole curve, expects more, but over the later half of the "
                                  f"run {f.metric} sits {z:.1f} standard errors above the forecast's descent: the "
                                  "verdict goes by the run)")
        elif cause.id == "converged" and not fc.get("uncertain") and fc["p_improve"] >= EVEN_ODDS \
                and fc.get("gain") is not None and fc["gain"] > 0 and not _higher(f) and short is None \
                and not _batch_loss(f):
            _price_converged(cause, f, horizon, fc)
        elif cause.id == "converged" and top and one is None and not fc.get("uncertain") \
                and fc["p_improve"] >= t.forecast_likely and (err := _error_fall(fc, top)) is not None \
                and err >= t.forecast_gain and f.trend.slope_t < 0 and _tail_refutes(f, t) is None \
                and cause.actions and _denies_epochs(cause.actions[0]):
            _score_train_on(cause, f, horizon, gains, fc, err)
        elif cause.id == "converged" and not fc.get("uncertain") and fc.get("gain") is not None \
                and f.trend.slope_t < t.improving_t and not _higher(f) \
                and (claim := _no_gain_claim(cause.actions)) is not None:
            # "the last quarter still falls (t = -8.2)" beside "more epochs will not lower the loss": both true only
            # as far as the forecast says, so the action quotes it (torch_splits: -0.0076% by epoch 198, P = 0%).
            quote = (f"{_pct(max(fc['gain'], 0.0))} by {f.axis_name} {_n(horizon)}, the forecast; "
                     f"P = {fc['p_improve']:.0%} that it gains > 1%")
            # (The quote keeps a slow fall's claim, quantified; a denial quantified is no longer one.)
            first = cause.actions[0]
            cause.actions[0] = Action(first.replace(claim, f"{claim} ({quote})" if claim == STILL_FALLING else
                                                    claim.replace("will not lower the loss",
                                                                  f"will lower the loss by little ({quote})")),
                                      first.kind, claim if claim == STILL_FALLING else None, first.at)


def _error_fall(fc: dict, top: float) -> float | None:
    """How far the forecast ``fc`` of a score expects its error (``top`` − score, what the forecast fits and its P
    reads) to fall by its horizon, as a share of the error at the fitted level now (0.27: 27% lower); None where
    that error is not above 0 or the forecast has no value."""
    value, level = fc.get("value"), fc.get("level")
    if value is None or level is None or not math.isfinite(value) or not math.isfinite(level) or not top - level > 0:
        return None
    return float(((top - level) - (top - value)) / (top - level))


def _score_train_on(cause: Cause, f: Facts, horizon, gains: str, fc: dict, err: float) -> None:
    """A ``converged`` score (the tail moved in its direction, within its noise) whose forecast, narrow enough to quote,
    expects its error to fall ≥ ``forecast_gain`` at calibrated P ≥ ``forecast_likely``, by more than one validation
    example where the score is an accuracy (:func:`under_one_example`), its tail not departing from the forecast's
    path (:func:`_tail_refutes`): "stop at X: more epochs will not raise it" beside "P = 95% that training on lowers
    its error by > 1%" said two things. The rules weigh a score's own rise (+0.55% here, under converged's bars),
    the P its error's fall (-27%). A torch MLP on digits, label smoothing 0.2, val_acc only (540 held out): flat
    from epoch 20 by its 5% band, 60 epochs, forecast 0.9857 by 118 (error -27%, P = 95%); trained on to 118 its
    last 5 epochs' median rose 0.9796 -> 0.9852 (error -27%), its best 0.9833 -> 0.9870, where epoch 20 scored
    0.961 (tests/fixtures/ecosystem/torch_score_only). The verdict stays (flat by its band); the advice trains on
    with early stopping instead of stopping at X."""
    cause.actions[0] = Action(f"rather than stop, train on with early stopping on {f.metric} (a patience of a few "
                              f"{f.axis_name}s, restoring the best weights): flat within its noise over {_tail(f)}, "
                              f"but the forecast expects its error {_pct(err)} lower by {f.axis_name} {_n(horizon)} "
                              f"(P = {fc['p_improve']:.0%} that training on {gains})", cause.actions[0].kind)
    cause.actions = _epoch_count_dropped(cause.actions)


def _still_fitting(f: Facts, t: Thresholds) -> float | None:
    """The training loss's tail t where it still falls steadily (t < ``improving_t``) beside the diagnosed held-out
    curve, at a constant or unknown lr, not a batch loss logged by step nor one annealed, and still high
    (:func:`_held_high`: ≥ 40% of ln K, or 50% of its start) with no gap grown (:func:`_gap_grew`): the model is
    still fitting its training data, far from fitted, so a held-out tail that stopped moving is no sign that
    nothing is left to learn; else None. A training loss already low is fitting what does not carry over: an
    MMEngine MLP's validation rose at t = 4.9 beside a training loss at 0.63% of it, still falling (t = -3.8)."""
    tr = f.train_trend
    if tr is None or f.train_metric != "train_loss" or not f.metric.startswith("val_") \
            or not tr.slope_t < t.improving_t or f.optimizer.lr_schedule not in (None, "constant") \
            or _annealed(f, t) or _batch_loss(f) or _held_high(f, t) is None or _gap_grew(f, t):
        return None
    return float(tr.slope_t)


def _train_on_fitting(cause: Cause, f: Facts, horizon, gains: str, p: float, train_t: float) -> None:
    """A ``converged`` reading (the held-out tail stopped moving) whose forecast, fitted to the whole curve, expects
    ≥ ``forecast_gain`` more at calibrated P ≥ ``forecast_likely`` while the training loss still falls steadily
    (:func:`_still_fitting`): the verdict goes by the tail, but "more epochs will not raise it" would deny what
    both the forecast and the training curve say. scikit-learn's MLPClassifier, 2 hidden units on digits (180
    held out, n_iter_no_change=50): val_acc flat from iteration 147 (last quarter t = -2.8 in its own direction),
    training loss 1.05 and falling at t = -28, forecast +7.8% by 454 at P = 95%; the same seed run to 600
    iterations reached 0.628 from 0.489 (tests/fixtures/ecosystem/sklearn_mlp_two_units). The advice trains on
    with a longer patience instead."""
    held = f"{_tail(f)} did not {'rise' if _higher(f) else 'fall'} (t = {_t(_sign(f) * f.trend.slope_t)})"
    cause.evidence.append(f"(the forecast, fitted to the whole curve, expects more; {held}, but train_loss still "
                          f"falls over its own (t = {_t(train_t)}): the model is still fitting its training data)")
    if not cause.actions or not _denies_epochs(cause.actions[0]):
        return
    cause.actions[0] = (f"rather than stop, train on with early stopping on {f.metric} and a longer patience "
                        f"(restoring the best weights): flat over {_tail(f)}, but train_loss still falls and the "
                        f"forecast gives P = {p:.0%} that training on to {f.axis_name} {_n(horizon)} {gains}")
    cause.actions = _epoch_count_dropped(cause.actions)


def under_one_example(f: Facts, fc: dict, top: float | None = None) -> tuple[float, int, float] | None:
    """``(gain, n, share of one example)`` where the forecast ``fc`` of validation accuracy (its ceiling ``top``:
    1, or 100 for a percentage; None: read off ``f.y``) gives training on P >= 50% and gains less than one
    validation example by its horizon (n given or read off the accuracy's steps: facts.chance.in_examples); None
    otherwise, or for any other metric. The P line's words and the report card's note beside P(improves) both."""
    p, value, level = (fc.get(k) for k in ("p_improve", "value", "level"))
    if f.metric != "val_acc" or p is None or not p >= EVEN_ODDS or value is None or level is None:
        return None
    from .facts.chance import in_examples

    if top is None:
        from .forecasting import score_top

        top = score_top(f.y, f.metric)
    gain = float(value) - float(level)
    share = in_examples(gain, f.chance, top) if top and math.isfinite(gain) else None
    if share is None or share >= 1:
        return None
    return gain, int(f.chance.n_val or f.chance.val_acc_step), share


def _no_gain_claim(actions: list[str]) -> str | None:
    """The words of converged's claim that more epochs will not pay (:data:`NO_GAIN`, :data:`NO_GAIN_HERE`) or of
    a slow fall's (:data:`STILL_FALLING`) in its first action, as its marker (:attr:`~losslens.result.Action.claim`)
    keeps them; None where it makes none (already priced, hedged, or another first action) or words it for a score,
    an annealed schedule or a step axis, none of which the rules price."""
    claim = getattr(actions[0], "claim", None) if actions else None
    return claim if claim in (NO_GAIN, NO_GAIN_HERE, STILL_FALLING) else None


def _denies_epochs(action: str) -> bool:
    """Whether ``action`` still says more epochs will not pay, in any of converged's words (after an annealed
    schedule, a score's, on a step axis): not where the claim was priced, hedged, quoted or is a slow fall's."""
    claim = getattr(action, "claim", None)
    return claim is not None and claim != STILL_FALLING


def short_of_best(fc: dict) -> str | None:
    """Where the forecast ``fc`` (the JSON's ``forecast`` dict of a loss) gives training on no better-than-even odds
    of getting > 1% below the best reached so far (``p_over_best`` < 0.5, or ``gain_over_best`` <= 1%), what it
    gains over that best in words ("0.84% above it (P = 37% that it gets > 1% below it)"); None where it does, or
    where the dict has no best (a score, a withheld forecast). Diagnose's P line and ``losslens forecast`` say it."""
    gain, p = fc.get("gain_over_best"), fc.get("p_over_best")
    if gain is None or p is None or (p >= EVEN_ODDS and gain > IMPROVE_FRACTION):
        return None
    where = f"{_pct(-gain)} above it" if gain < 0 else f"only {_pct(gain)} below it"
    return f"{where} (P = {p:.0%} that it gets > 1% below it)"


def best_kept(metric: str) -> str:
    """What a forecast no better than the best so far means for ``metric``: restoring the best weights keeps that
    best for a held-out series; for a training loss nobody restores by it (a batch loss's best is a run of lucky
    batches), so it says that more training gains little over what the run already reached."""
    from .forecasting import training_loss

    if training_loss(metric):
        return "training on gains little over what it already reached"
    return "restoring the best weights keeps about as much"


def _price_converged(cause: Cause, f: Facts, horizon, fc: dict) -> None:
    """A ``converged`` reading (flat by its 5% band) whose tail still falls and whose forecast, narrow enough
    to quote, gives training on better-than-even odds of > 1%: "more epochs will not lower the loss" beside
    "probability that training on gains > 1%: 91%" says two things. DeepOBS' char-RNN on Tolstoi (Adam, lr
    1e-3) read both: its best was epoch 198 of 200 (1.2384) and the forecast 2.1% lower by epoch 399. The
    verdict stays (converged's own bar is < 2% for twice the epochs, at P >= 0.92); the advice prices the
    epochs instead of denying they pay. The price is the gain over the best so far (``gain_over_best``,
    ``p_over_best``: what stopping with the best weights restored keeps), not over the level now; a forecast
    short of > 1% below that best at P >= 50% is not priced (:func:`short_of_best`): a Keras MLP crept from
    0.139 to 0.1454 and read "unless 3.7% lower by epoch 120 is worth 61 more epochs" for a forecast of 0.140."""
    ahead = float(horizon) - float(f.x[-1])
    # Priced against the best so far (what stopping and restoring the best weights keeps), as the stopping rule
    # weighs it (forecasting.best_so_far); fc['gain'] is from the fitted level now, which a creep puts above it.
    gain, p = fc.get("gain_over_best"), fc.get("p_over_best")
    if gain is None or p is None:
        return
    price = (f", unless {_pct(gain)} below its best so far by {f.axis_name} {_n(horizon)} is worth {_n(ahead)} more "
             f"{f.axis_name}s (the forecast; P = {p:.0%} that it gets > 1% below it)")
    claim = _no_gain_claim(cause.actions)
    if claim is None:
        return
    cause.actions[0] = Action(cause.actions[0].replace(claim, price), cause.actions[0].kind, at=cause.actions[0].at)
    # The epochs priced above are an epoch count that may pay: "not the epoch count" would deny it.
    cause.actions = _epoch_count_dropped(cause.actions)


def _hedge_converged(cause: Cause, f: Facts, horizon, p_improve: float) -> None:
    """A ``converged`` reading whose forecast is too wide to say (its 90% interval wider than the level) and that
    gives training on better-than-even odds: flat within its noise so far is all the run shows, so "more epochs
    will not lower it" is not said as a fact. A DDPM's sample energy distance on two moons (lightning_ddpm,
    seed 2, 40 epochs): flat within its noise from epoch 17 (last quarter t = -1.5; P = 68% that training on to
    epoch 78 gains > 1%), read "stop at about 17: more epochs will not lower the loss"; twice the epochs lowered
    it 51-57% on 3 seeds. The verdict stays (the curve is flat as measured); the advice names the way to find out.
    Not after an lr annealed to its floor (more epochs there do not repeat the schedule's drops) nor on a batch loss
    logged by step (its scatter is the batch drawn, and the half test reads it: a tiny BERT flat after its first
    epoch, tests/fixtures/ecosystem/hf_flat_batches, gains nothing trained on)."""
    if _no_gain_claim(cause.actions) is None:
        return
    later = _fell_after_plateau(f)  # (converged's own figure: it went on falling after X)
    cause.actions[0] = (f"rather than stop, train on with early stopping on {f.metric} (a patience of a few "
                        f"{f.axis_name}s, restoring the best weights): flat within its noise so far, but the noise "
                        f"leaves room for more (P = {p_improve:.0%} that training on to {f.axis_name} {_n(horizon)} "
                        "gains > 1%)"
                        + ("" if later is None else f"; {_given_up(f, later[0], _whole_share(f, later))}"))
    cause.actions = _epoch_count_dropped(cause.actions)


#: How a run of each framework gets a held-out curve, for advice to log one: a Keras argument in a Lightning, PyTorch
#: or Trainer run's report names a knob that run does not have. (None: a log whose framework is not known.)
_HELD_OUT = {
    "keras": "a held-out split: validation_split=0.1 or validation_data= in fit",
    "lightning": "a held-out split: a val_dataloader and a validation_step that logs val_loss",
    "transformers": 'a held-out split: an eval_dataset with eval_strategy="epoch" or "steps"',
    "torch": "a held-out split (torch.utils.data.random_split) evaluated each epoch",
    None: "a held-out split: Keras validation_split=0.1, an eval set",
}

#: Per framework, the split advice of :data:`_SPLIT_UNLIKE_TRAINING` (which, for a log of no known framework, names
#: Keras' and torch's ways alike): Keras' validation_split takes the last rows; elsewhere a slice of them does.
_SPLIT_BY_FRAMEWORK = {
    "keras": "check that validation comes from training's distribution: Keras' validation_split holds out the last "
             "rows before any shuffling, so data sorted by class leaves validation classes training never saw "
             "(shuffle before fit, or pass validation_data from a random split)",
    "transformers": "check that validation comes from training's distribution: split at random (a datasets "
                    "Dataset's train_test_split, which shuffles), not by slicing (select() of the last rows of data "
                    "sorted by class leaves validation classes training never saw)",
    **dict.fromkeys(("lightning", "torch"),
                    "check that validation comes from training's distribution: split at random (torch's "
                    "random_split), not by slicing (a Subset of the last rows of data sorted by class leaves "
                    "validation classes training never saw)"),
}


def run_framework(run: Run) -> str | None:
    """The library that wrote ``run``'s log, where it says: ``"keras"``, ``"lightning"``, ``"torch"``,
    ``"transformers"`` (a callback's saved run, a Keras History or a Trainer's ``trainer_state.json``), else None."""
    meta = run.meta or {}
    framework = meta.get("framework")
    if framework is not None and framework in _HELD_OUT:
        return framework
    return {"keras_history_json": "keras", "hf_trainer_state": "transformers",
            "hf_console": "transformers"}.get(meta.get("format"))


def _split_for_framework(run: Run, causes: list[Cause]) -> None:
    """The split advice worded for the run's framework, where it is known."""
    said = _SPLIT_BY_FRAMEWORK.get(run_framework(run))
    if said is not None:
        for c in causes:
            c.actions = [said if a == _SPLIT_UNLIKE_TRAINING else a for a in c.actions]


def _no_validation(run: Run, f: Facts, causes: list[Cause]) -> None:
    """A training loss read with no validation curve beside it: "still falling" says the model fits its
    own data better, not that it predicts new data better, so the advice to train on (or at a larger
    step) is hedged and names the held-out curve that would tell. A scikit-learn MLPRegressor (100 units,
    80 noisy points) stopped by its tol at iteration 153 with the training loss still falling read
    "keep training", "raise the learning rate": 1000 iterations took its test MSE from 0.368 to 0.436,
    lr x10 to 0.665."""
    if not f.metric.startswith("train_") or any(
            k.startswith("val_") and np.isfinite(np.asarray(v, dtype=float)).any() for k, v in run.series.items()):
        return
    sk = run.meta.get("format") == "sklearn_estimator"
    if sk and _boosted_trees(run):
        # GradientBoosting* keeps its in-bag loss only; n_iter_no_change stops on a held-out score it does not
        # keep. On diabetes (500 stages at 0.1) the training loss fell at t = -17 while held-out MSE was
        # lowest at stage 30 and ended 28% above it.
        hold = ("score staged_predict (staged_predict_proba) on held-out data, a loss per stage, and diagnose "
                "that curve: the ensemble keeps no held-out one")
    elif sk:
        hold = ("refit with early_stopping=True (validation_fraction=0.1): the MLP then stops on a held-out score, "
                "the curve losslens reads")
    else:
        hold = f"log a validation loss ({_HELD_OUT.get(run_framework(run), _HELD_OUT[None])}) and train on only while it falls too"
    for c in causes:
        if c.id not in ("still_improving", "lr_too_low"):
            continue
        c.evidence.append(f"no validation curve: {f.metric} still falling shows the model fitting its training data "
                          "better, which is as true of memorising as of learning; whether held-out error still "
                          "falls cannot be read off it")
        first = "train on" if c.id == "still_improving" else "raise the learning rate or train on"
        c.actions = [f"before you {first}: {hold}",
                     f"then {'keep training while' if c.id == 'still_improving' else 'raise the rate if'} the held-out "
                     "loss still falls" + ("" if c.id == "still_improving" else " slowly")]
        c.numbers["no_validation"] = 1.0


def _staircase(f: Facts, causes: list[Cause]) -> None:
    """A training loss logged by step that, after its first epoch, falls only at the epoch boundaries
    (``facts.epochs``): it does better on examples it has seen again, not on the new batches inside an
    epoch, so its fall is memorisation. Said under the verdict whichever curve it is read off. A tiny
    GPT-2 fine-tuned for 6 epochs on 64 blocks of docstrings (hf_lm_finetune/ft_e6): training fell 0.215
    an epoch, +0.06 +- 0.10 inside one, while eval_loss was lowest at the end of epoch 1 (5.257, 5.296 at
    the end; 1 epoch alone ended at 5.294); read off the training loss alone it said "still improving"
    with nothing of the steps. Twice the data (ft_e6_n128: training rising +0.17 +- 0.07 inside epochs)
    still lowered eval_loss until epoch 4: the staircase says what the training loss's fall is, not
    where held-out loss stopped."""
    s = _memorising_steps(f)
    if s is None:
        return
    inside = "rose" if s.within > 2 * s.within_se else "did not fall"
    line = (f"train_loss fell in steps at the epoch boundaries, {s.fall_per_epoch:.3g} an epoch over epochs "
            f"2–{s.epochs + 1} ({s.fall_per_epoch / s.fall_se:.0f} standard errors), while inside an epoch it "
            f"{inside} ({s.within:+.2g} ± {s.within_se:.2g} an epoch): it improves on examples it has seen before, "
            "not on the batches new to each epoch -- memorisation, not learning that carries over to new examples")
    if f.metric.startswith("train_") and not any(c.id == "overfitting" for c in causes[:1]):
        line += "; a held-out loss would show how little of that fall carries over"
    causes[0].evidence.append(line)
    causes[0].numbers["staircase_fall"] = s.fall_per_epoch
    causes[0].numbers["staircase_within"] = s.within


def _memorising_steps(f: Facts):
    """``f.staircase`` where the training loss falls in steps at the epoch boundaries (``_staircase``), else None."""
    s, t = f.staircase, DEFAULT
    if s is None or s.fall_per_epoch < t.staircase_t * s.fall_se or s.boundary_share < t.staircase_share \
            or s.within < -t.staircase_t * s.within_se:
        return None
    return s


def _level_name(f: Facts) -> str:
    """What ``trend.tail_drop_level`` is a share of: a score's distance below its ceiling, the improvement so far of
    a loss with no zero point (``offset_free``: its level moves with the target's units), else the level."""
    if f.offset_free:
        return "its improvement so far"
    if _higher(f):
        from .forecasting import score_top

        top = score_top(f.y, f.metric)
        if top:
            return f"its distance below {top:g}"
    return "the current level"


def _tail(f: Facts) -> str:
    """The trend's window in words: the last quarter of the run, but never fewer than 4 points."""
    k = f.n_points - f.trend.tail_start
    if k >= f.n_points:
        return f"the whole run ({f.n_points} points)"
    return "the last quarter" if k == int(round(f.n_points * TAIL_FRACTION)) else f"the last {k} of {f.n_points} points"


def _back(share: float, rise: float, word: str = "back up") -> str:
    """"62% of its improvement back up", or, where the curve improved nothing to measure it by (its best was
    its first point), the climb itself: never "inf%"."""
    if math.isfinite(share):
        return f"{_pct(share)} of its improvement {word}"
    return f"{rise:.3g} above its best, its first point"


def _ratio(a: float, b: float) -> float:
    """a / b that never raises: inf (or nan for 0/0) where b is 0."""
    return float(np.divide(a, b)) if b else (math.copysign(math.inf, a) if a else math.nan)


#: What a cause listed after the verdict says of the curve, where it is a description the verdict explains.
_DESCRIBES = {"converged": "the curve is flat", "still_improving": "the curve still falls"}

#: Why a cause listed after a verdict it outscores ranks second, by (verdict, cause), from the vocabulary's
#: definitions (DESIGN.md): a level read before the curve got going or finished falling is no capacity limit;
#: a state (stuck, diverged) ranks before its cause where the verdict's first action already treats it.
_RANKED_BECAUSE = {
    ("converged", "data_limited"): "converged says where to stop (more epochs will not lower the loss); "
                                   "data_limited says what lowers the level it stopped at",
    ("no_signal", "overfitting"): "it claims less (validation stopped improving while training fitted), and "
                                  "no_signal says why: validation sits at chance (or never beat the untrained "
                                  "model), so what training fits carries nothing over: check the labels and the "
                                  "data before regularizing",
    ("stuck_at_init", "underfitting"): "the level is where training started: a run that never got going says "
                                       "nothing of the model's capacity; get it moving first, then read the level",
    ("lr_too_low", "underfitting"): "the level is read on a descent a step too small holds back: raise the "
                                    "learning rate first, then read the level again",
    ("still_improving", "underfitting"): "the level is read on a curve still falling: train on first, then "
                                         "read the level again",
    ("overfitting", "underfitting"): "the level is read on a training loss still falling while validation "
                                     "rose: the gap is what to act on first (keep the best weights)",
    ("overfitting", "lr_too_high"): "the best weights are kept first (early stopping), from the same curve; "
                                    "a smaller step is the next run's change, and lr / 10 tells which "
                                    "(losslens verify retrains it)",
    ("diverged", "stuck_at_init"): "it names where the climb left the run (held at the level it jumped to); "
                                   "diverged names the climb, and its actions treat the step (a lower rate, clipping, warm-up)",
    # (Lightning at dropout 0.8 and lr 0.01, tests/fixtures/ecosystem/lightning_dropout/drop0.8_lr0.01: validation
    # still falling, t = -2.8, while the training loss bounces at 5.5% of its improvement.)
    ("still_improving", "lr_too_high"): "validation still falls at this step, so training on pays first (the "
                                        "forecast says how much); a smaller step is the next run's change, and "
                                        "lr / 10 tells which (losslens verify retrains it)",
    # (An HF Trainer at a peak lr of 1e-4 that barely moved, tests/fixtures/ecosystem/hf_fall_at_peak/peak1e-4: lr / 3
    # and lr / 10 of 1e-3 ended no better, 1e-3 itself at 0.30.)
    ("lr_too_low", "stuck_at_init"): "it names the state (the run barely left its start); a step too small is its "
                                     "cause, and the verdict's first action raises the learning rate",
    # (A triplet margin loss on shuffled labels, tests/fixtures/ecosystem/triplet_thrown/shuffled.csv: lr x 10 stays
    # at 0.998, its margin.)
    ("stuck_at_init", "lr_too_high"): "its bounce is read against the whole improvement, and a run that never got "
                                      "going has next to none: the scatter is noise about where it started, not a "
                                      "step too large",
}


def _ranked_after(verdict: Cause, rest: list[Cause], rises: bool = False) -> None:
    """A confidence is how plainly a cause's own evidence shows, not its rank: the verdict is the first rule
    that fires, in an order that puts the reading to act on first. A cause listed after a verdict it
    outscores says why it ranks second, or the reader takes the surer one for the diagnosis (``rises``: the curve
    is a score, which "still rises"). Of 3157
    diagnoses (the shared curves and the fixtures) 264 list such a cause: 196 a description the verdict
    explains (converged beside lr_too_high 86 times, beside underfitting 57; still_improving beside
    lr_too_low 37); 12 overfitting or underfitting beside an lr too high (DeepOBS' fmnist 2c2d at Adam lr
    6.3e-3: training spiking at 8 noise sds, validation 0.31 -> 3.1; its best at Adam 1e-4 to 1e-3 is 0.238-0.252).
    32 stuck_at_init beside lr_too_high (DeepOBS runs at >= 15x the grid's best rate, both curves ending above
    their first points): the state is a run that never got going, the step its cause, and the verdict's
    first action already lowers the rate (_stuck_by_the_step). Rerun over 3217 (with the fixtures since
    added): 268 list a surer cause, 36 with no reason given (no_signal before overfitting 8, overfitting
    before lr_too_high 6, lr_too_low and stuck_at_init before underfitting 5 each, ...): each pair's reason is
    now in _RANKED_BECAUSE, from the vocabulary's definitions, and a collapse reading beside a logged metric still
    improving drops to possible. ``python -m benchmarks.ranking`` counts them: none left of 3219 (the last, a
    printed log whose training column the reader dropped, reads lr_too_high since the reader takes it)."""
    for c in rest:
        if not c.confidence > verdict.confidence:
            continue
        why = None
        if c.id in _DESCRIBES:
            said = _DESCRIBES[c.id].replace("still falls", "still rises") if rises else _DESCRIBES[c.id]
            why = f"it claims less ({said}), and {verdict.id} says why"
        elif verdict.id == "lr_too_high" and c.id in ("overfitting", "underfitting"):
            # unstable's and relapsed's reason to come first: fix the optimization, then read the gap.
            what = "gap" if c.id == "overfitting" else "level"
            why = (f"the {what} is measured on a run whose step is too large, and says little until the step "
                   f"is fixed: lower the learning rate first, then read the {what} again")
        elif c.id == "lr_too_high" and verdict.id in ("stuck_at_init", "diverged") \
                and _of_kind(verdict.actions[0], LOWERS_LR):
            state = "never got going" if verdict.id == "stuck_at_init" else "diverged"
            why = (f"the run {state}, which is the state; a step too large is its cause, and the "
                   "verdict's first action already lowers the learning rate")
        elif c.id == "temporary_plateau":
            why = f"it describes a flat stretch the run already left, not the end {verdict.id} reads"
        elif (verdict.id, c.id) in _RANKED_BECAUSE:
            why = _RANKED_BECAUSE[verdict.id, c.id]
        if why is not None:
            # (Both numbers are the rules' strengths: the verdict's confidence shown is calibrated after this.)
            mine, its = f"{c.confidence:.0%}", f"{verdict.confidence:.0%}"
            # (Equal as printed, "surer ... 0.65 vs 0.65" read as a contradiction.)
            said = f"surer than the verdict (evidence strength {mine} vs {its})" if mine != its \
                else f"as sure as the verdict (both at evidence strength {mine})"
            c.evidence.append(f"{said} but ranked after it: {why}")


def _collapse_leads(causes: list[Cause]) -> None:
    """Where unstable's spike reading and a collapse to a uniform guess (``uniform_guess``: both losses at ln K, the
    accuracies at 1/K) both read lr_too_high, the collapse is what the run ended in and leads: its evidence and restart
    first, in the first one's place, the other's evidence after it (how it got there; its actions, "1/10 from the
    plateau", would not revive dead units). _dedupe keeps only the
    first of an id, and the jump rule (unstable) comes first: Keras SGD 3.0 on digits, both losses at 2.306-2.308
    = ln 10 from epoch 8 to 59, validation accuracy 0.089, read "lr_too_high" on "one jump at epoch 6" alone
    (tests/fixtures/ecosystem/keras_walk39, lr_high3.csv), where scikit-learn's collapse read "ends at 102% of ln
    10"."""
    highs = [i for i, c in enumerate(causes) if c.id == "lr_too_high"]
    j = next((i for i in highs[1:] if "uniform_guess" in causes[i].numbers), None)
    if j is None or "train_spike" not in causes[highs[0]].numbers:
        return  # (a first reading that names the mechanism -- units_died's dead layers -- keeps its place)
    first, collapse = causes[highs[0]], causes.pop(j)
    collapse.evidence.extend(e for e in first.evidence if e not in collapse.evidence)
    collapse.numbers = {**first.numbers, **collapse.numbers}
    collapse.confidence = max(collapse.confidence, first.confidence)
    causes[highs[0]] = collapse


def _thrown_then_held(f: Facts, t: Thresholds, causes: list[Cause]) -> None:
    """Where underfitting leads -- its level reading (``level_rel``: training flattened at ≥ 40% of ln K) or
    training accuracy at chance (``train_acc``) -- on a run whose first loss (the higher of training's and the
    metric's first points, :func:`_loss_start`) is ≥ ``blown_start`` x ln K, K known: an untrained classifier starts
    near ln K and a model too small at a stable step falls from there, so a start that far above it says the first
    steps threw the outputs out, and the level it then holds is the step's as much as the model's. ``lr_too_high``
    leads, underfitting stays listed behind it as possible (the log cannot rule capacity out; a bigger model at a
    tenth of the step can). A Keras 64-128-10 ReLU MLP on digits at SGD 1.5: val_loss 11.19 after its first epoch
    (4.9x ln 10), then 1.6-2.6 with training at 70% of ln 10, read "underfitting: a bigger model", and a callback
    with stop_on=("underfitting", ...) stopped on it at epoch 5; lr 0.15 reaches a best of 0.33-0.35 (seeds 0-2)
    against its 1.59, and 4x the width at 1.5 ends at chance, 2.31 (tests/fixtures/ecosystem/keras_thrown_held).
    Not where a rule before it read the step already (any ``lr_too_high`` listed), nor underfitting's penalty or
    posterior-collapse readings, which
    name their own cause. Confidence 0.6 at 2x ln K to 0.8 at 4x."""
    if not causes or causes[0].id != "underfitting" or any(c.id == "lr_too_high" for c in causes):
        return
    under = causes[0]
    if not ("level_rel" in under.numbers or "train_acc" in under.numbers) \
            or any(k in under.numbers for k in ("weight_decay", "kl_collapse", "penalty")):
        return
    c = f.chance
    if c is None or not c.classes or c.classes < 2 or _higher(f):
        return
    lnk = math.log(c.classes)
    first = _loss_start(f, t, lnk)
    if first is None or not first.thrown:
        return
    ratio = first.start / lnk
    ev = [f"{first.which} started at {first.start:.4g}, {_count(ratio, 1)}x ln {c.classes} = {lnk:.4g} (a uniform "
          f"guess's loss{_k_source(c)}): an untrained classifier starts near ln K, and a model too small at a stable "
          "step falls from there; the first steps threw the outputs far out",
          under.evidence[0] + ": a level a step too large holds as well as a model too small"]
    acts = [Action("lower the learning rate (try 1/10) and restart from scratch: the weights this run reached came "
                   "out of the throw", None, RESTART), "learning-rate warm-up; gradient clipping",
            "inputs unscaled? standardize them (features of hundreds or thousands make the first steps that large)"]
    high = Cause("lr_too_high", _ramp(ratio, t.blown_start, 2 * t.blown_start, 0.6, 0.8), ev, acts,
                 {"thrown_start": ratio, "train_level": under.numbers.get("level_rel", float("nan"))})
    under.status, under.confidence = "possible", min(under.confidence, 0.5)
    under.evidence.append(f"but {first.which} started at {_count(ratio, 1)}x ln {c.classes} (above): a step too "
                          "large holds the loss high too; lower the learning rate before growing the model")
    causes.insert(0, high)


#: _thrown_after_best: validation must fall after training got back under where its blow-up started by at least this
#: many of its noise sds (the wine MLP at Adam 0.05: 1.075 -> 0.868 smoothed, its noise ~0, the run's own figures in
#: tests/fixtures/ecosystem/keras_wine_highlr/make.out) ...
THROWN_VAL_FELL_NOISE = 3.0
#: ... and by at least this share of the jump the blow-up gave it (its worst point over its best): a loss back down by
#: a sliver of a jump (a rise that went on) is no fall with training. Set by hand at the fixture's 0.32 (a jump of 0.64).
THROWN_VAL_FELL_SHARE = 0.1


def _thrown_after_best(f: Facts, t: Thresholds, causes: list[Cause]) -> list[Cause]:
    """An ``overfitting`` (or a ``no_signal`` read off validation never beating training's start) whose validation
    best came as training's loss blew up (:func:`blew_up`'s reading listed): validation's worst point after its best
    fell within the climb, before training got back under the level it climbed from, and from there validation fell
    as training did (by ``THROWN_VAL_FELL_NOISE`` of its noise and ``THROWN_VAL_FELL_SHARE`` of the jump), never again
    as high, and ended ``diverge_growth`` (25%) or more above its best: the weights did not recover. Memorising
    raises validation while training falls; here the two rose together and fell together, and what training fitted
    since carried over: the rise is the step's, which left the weights worse than before it.
    ``lr_too_high`` leads, overfitting listed behind it as possible (its early stop is still the best kept), no_signal
    not listed (validation's fall with training refutes "nothing carries over").

    A Keras 13-64-64-3 MLP on wine (3 classes, 0.33/0.40/0.27 of 63 validation examples) at Adam 0.05
    (tests/fixtures/ecosystem/keras_wine_highlr): val_loss 0.705, best 0.537 at epoch 1, while training's epoch mean
    climbed 0.550 -> 0.954 -> 0.833; validation jumped to 1.180, fell to 0.855 by epoch 9 as training fell to 0.140, and
    ended at 0.869, its accuracy 0.9365, training's loss frozen at 0.1402 (one of 115 examples wrong) for 35 epochs.
    It read no_signal ("validation accuracy never rose above its first value"; with --classes 3 "the majority class
    (0.9365 of validation's examples)"), then overfitting with the majority misreading gone. From scratch (seeds 0,
    1) lr / 10 reaches a best of 0.042 / 0.032 (accuracy 0.968 / 0.984), lr / 100 0.088 / 0.084; twice the epochs at
    0.05 ends at 0.875, seed 1 at 0.05 0.166. Not a run back within 25% of its best: a Keras CNN on digits resumed at
    Adam 1e-3 from a fit at 1e-2 (tests/fixtures/ecosystem/fresh_kinds2/cf_cnn_lr1e-3_from20.csv: training 4e-5, a
    spike to 0.0028, validation 0.069 -> 0.117 -> 0.0765) keeps overfitting, whose restored best is the best kept."""
    if not causes or f.metric != "val_loss" or f.train_y is None or f.train_x is None:
        return causes
    lead = causes[0]
    if not (lead.id == "overfitting" or lead.id == "no_signal" and "val_share" in lead.numbers):
        return causes
    high = next((c for c in causes if c.id == "lr_too_high" and "peak_epoch" in c.numbers), None)
    d = f.train_divergence
    vx, vy, vs = f.x, f.y, f.smoothed
    if high is None or d is None or d.peak_at is None or vy.shape[0] < 5 or f.train_y.shape[0] != f.train_x.shape[0]:
        return causes
    b = int(np.argmin(vy))
    if vx[b] > d.peak_at:
        return causes  # (validation's best came after the climb: the throw did not end it)
    back = np.flatnonzero((f.train_x > d.peak_at) & (f.train_y < d.start))
    if not back.size:
        return causes
    back_at = float(f.train_x[back[0]])
    e = int(np.searchsorted(vx, back_at))
    if e >= vy.shape[0] - 2 or e <= b:
        return causes
    worst = float(vy[b:e + 1].max())
    fell = float(vs[e]) - float(vs[-1])
    if float(vy[e + 1:].max()) > worst or not fell > THROWN_VAL_FELL_NOISE * f.noise \
            or not fell > THROWN_VAL_FELL_SHARE * (worst - float(vy[b])) \
            or not float(vs[-1]) - float(vy[b]) >= t.diverge_growth * abs(float(vy[b])):
        return causes
    ax = f.axis_name
    high.evidence.append(
        f"val_loss had its best, {float(vy[b]):.4g}, at {ax} {_n(vx[b])}, as train_loss climbed; it jumped to "
        f"{worst:.4g} with it, and since training got back under {d.start:.4g} ({ax} {_n(back_at)}) it fell "
        f"{float(vs[e]):.4g} -> {float(vs[-1]):.4g} (smoothed) as training did: the rise is the blow-up's, not "
        "memorising's, and what training fits carries over; the weights the blow-up left end at "
        f"{float(vs[-1]):.4g}, above that best")
    # (In place of "lower it if the later curve bounces too": the later curve is what the blow-up left.)
    high.actions = [Action("lower the learning rate (try 1/10) and restart from scratch: the weights this run holds "
                           "are what the blow-up left", LOWERS_LR)] + \
        [a for a in high.actions if getattr(a, "kind", None) != LOWERS_LR]
    high.status = "likely"
    high.confidence = max(high.confidence, min(lead.confidence, BLEW_UP_STRENGTH[1]))
    high.numbers["val_fell_after_throw"] = fell
    rest = [c for c in causes if c is not high and not (c.id == "no_signal" and "val_share" in c.numbers)]
    for c in rest:
        if c.id == "overfitting":
            c.status, c.confidence = "possible", min(c.confidence, 0.5)
            c.evidence.append(f"but validation rose with train_loss's own climb and fell with training after it "
                              "(above): a step too large, not memorising")
    return [high] + rest


def _strongest_reading(causes: list[Cause]) -> None:
    """Where the first rule to read lr_too_high is not :func:`jumped` and jumped's reading (likely: the curve jumped
    off its best and came back twice or more) is plainer, the first keeps its place, its headline, actions and
    status, and takes jumped's strength, its evidence line second and its figures; _dedupe drops the rest. The rule
    order puts the reading to act on first, not the plainest: a 64-64 MLP on make_circles at Adam 1e-2
    (tests/fixtures/ecosystem/linear_circles/circles_big.csv) read lr_too_high at strength 0.66 off one training
    spike, 11% of the improvement, with converged 0.80 "surer than the verdict", while its validation loss jumped
    off its best and came back 6 times, by 1.2-2.1x the improvement made by then (0.85); lr / 10 from the start
    ended 13-47% lower over 3 seeds, from epoch 17 11-30%. Jumped's only: each return to the best shows a floor
    the step keeps throwing the weights off, where the bounce's spread, the other reading left behind, is also read
    off a validation loss climbing away from its best (DeepOBS' fmnist_2c2d at Adam 6.3e-3, validation 0.31 ->
    3.1: "bounces around its floor", sd 12% of its improvement)."""
    highs = [c for c in causes if c.id == "lr_too_high"]
    if len(highs) < 2 or highs[0].status != "likely" or "jumps" in highs[0].numbers:
        return
    first = highs[0]
    plain = next((c for c in highs[1:] if "jumps" in c.numbers and c.status == "likely"), None)
    if plain is None or not plain.confidence > first.confidence:
        return
    first.evidence.insert(1, plain.evidence[0])
    first.confidence = plain.confidence
    # (Not its last point's jump: a plateau the first reading dates is not taken from it, _diagnose's unsettled.)
    first.numbers = {**{k: v for k, v in plain.numbers.items() if k != "jump_at_end"}, **first.numbers}


#: The verdicts cycle_floor takes over: readings of the last cycle's trend (or of the whole run's) that the cycle ends
#: answer.
_CYCLE_READS = ("still_improving", "converged", "lr_too_low", "temporary_plateau")


def _dedupe(causes):
    seen, out = set(), []
    for c in causes:
        if c.id not in seen:
            seen.add(c.id)
            out.append(c)
    return out


def _higher(f: Facts) -> bool:
    return f.higher_is_better


def _gap_sized(a: float, b: float) -> bool:
    """Whether "the gap grew / narrowed" is true of the gap's size going from ``a`` to ``b``: only where
    validation sits above training at both ends. Below it (dropout or augmentation make training's loss the
    harder one) a rise toward 0 narrows the gap: Keras' L2 run read "the gap narrowed" as val − train went
    -0.00967 -> -0.0166, DeepOBS' 3c3d "widens the gap" as it went -0.149 -> -0.0782."""
    return a >= 0 and b >= 0


def _gap_moved(f: Facts, a: float, b: float, share: float, since: str | None) -> str:
    """``the gap grew little since the plateau (3% of validation's improvement)`` -- the head of a line on the
    gap going from ``a`` to ``b``, ``share`` of validation's improvement, ``since`` the plateau or (None) from
    validation's best; the signed measure rises or falls where the gap's size would say the opposite
    (:func:`_gap_sized`)."""
    of = "of validation's improvement"
    if not _gap_sized(a, b):
        return f"{_gap_name(f)} {'rose' if b >= a else 'fell'} {since or 'after the best'} (by {_pct(abs(share))} {of})"
    if share < 0:
        return f"the gap narrowed {since or 'after the best'} (by {_pct(-share)} {of})"
    return f"the gap grew little {since} ({_pct(share)} {of})" if since else \
        f"the gap grew little next to the improvement ({_pct(share)} of it)"


def _gap_name(f: Facts) -> str:
    """The generalization gap as measured, in the metric's own units: a score's is train − val."""
    return "train − val" if _higher(f) else "val − train"


def _sign(f: Facts) -> float:
    """-1 for an accuracy, else 1: the trend facts are on the lower-is-better scale, and this
    turns them back into the metric's own direction for evidence strings."""
    return -1.0 if _higher(f) else 1.0


def _trend_words(t_stat: float) -> str:
    """A tail's trend test in words, the t statistic in brackets: "a steady fall (t = -5.0)", "no clear trend
    (t = 0.4)". ``t_stat`` as the curve reads (negative: falling), a score's as a loss's: the word follows its
    sign (a score flipped once more read "a steady fall (t = 9.9)" of an R² rising 0.00032/epoch)."""
    return f"{_trend_word(t_stat)} (t = {_t(t_stat)})"


def _trend_word(t_stat: float) -> str:
    """:func:`_trend_words` without the bracket: "a steady fall" at |t| ≥ 3, "a slight fall" from 2, "no clear
    trend" under it (the sign of ``t_stat`` as there)."""
    way = "rise" if t_stat > 0 else "fall"
    size = abs(t_stat)
    return "no clear trend" if size < 2 else f"a slight {way}" if size < 3 else f"a steady {way}"


def _beyond_noise(sds: float) -> str:
    """A change against the curve's noise in words, the count of noise sds in brackets: "far above its noise
    (36 sds)"."""
    words = "far beyond its noise" if sds >= 10 else "beyond its noise" if sds >= 3 else "within its noise"
    # Digits enough for the count to sit on its word's side of the cut: 2.96 printed "within its noise (3 sds)".
    for decimals in (0, 1, 2):
        text = _count(sds, decimals)
        if abs(sds) >= 1e6 or all((sds < cut) == (float(text) < cut) for cut in (3, 10)):
            return f"{words} ({text} sds)"
    return f"{words} (under {3 if sds < 3 else 10} sds)"


def _ramp(value, lo, hi, c_lo, c_hi) -> float:
    """Confidence rising linearly from c_lo at ``lo`` to c_hi at ``hi`` (clipped)."""
    if not math.isfinite(value) or hi <= lo:
        return c_hi if value > lo else c_lo
    u = min(1.0, max(0.0, (value - lo) / (hi - lo)))
    return round(c_lo + u * (c_hi - c_lo), 3)


def _share_or_times(v: float) -> str:
    """``"29% of"`` below 1, ``"10x"`` from there: a short run's last stretch can fall many times the level it
    ends at, and "a drop of 1009% of the current level" reads as a typo."""
    return f"{_pct(v)} of" if abs(v) < 1 else f"{_count(v, 1 if abs(v) < 10 else 0)}x"


def _count(v: float, decimals: int = 0) -> str:
    """A multiple (noise sds, epochs, "x ln K") as people read it: 1e300 is not 300 digits."""
    return f"{v:.{decimals}f}" if abs(v) < 1e6 else f"{v:.2g}"


def _signed_pct(v: float) -> str:
    """A relative change with its sign, as :func:`losslens.result.share_text` writes shares (-0.04% is not "-0%")."""
    return ("+" if v > 0 else "-" if v < 0 else "") + _pct(abs(v))


def _noise_sds(v: float) -> str:
    return "many times the sd" if not math.isfinite(v) else f"{_count(v)} sds"


def _peak_lr(o) -> str:
    """The schedule's peak lr (the largest logged) as ' 0.3', for "... at its peak 0.3"; '' where the log
    does not give it."""
    if o.lr_peak and o.lr_peak > 0:
        return f" {o.lr_peak:.3g}"
    return f" {o.lr_last / o.lr_ratio:.3g}" if o.lr_last and o.lr_ratio else ""


def _lr(f: Facts) -> str:
    lr = f.optimizer.lr_last
    return "" if lr is None else f"{lr:.3g}"


#: Verdicts whose first advice is to check the data (the labels, the targets' link to the inputs).
_CHECKS_THE_DATA = ("stuck_at_init", "no_signal")


def sweep_notes(diagnoses, names=None) -> list[str]:
    """What a folder of runs shows that one run's verdict cannot: a run read ``stuck_at_init`` or ``no_signal``,
    whose first advice is to check the labels, beside a run of the same folder, read on the same held-out loss,
    whose smoothed best is under half of its own: that data carries signal the model can fit, so what differs
    between the two runs (the lr, where both logs say it) comes before the labels. A torch SGD sweep on digits:
    lr 1e-4 read stuck_at_init at ln 10 (0.18% below its start in 30 epochs), "check that the targets depend on
    the inputs", where lr 1e-3 read lr_too_low and lr 1.0 reached 0.11 (that run now reads lr_too_low alone: its
    validation loss falls in a line, :func:`_drifting`); DeepOBS' Fashion-MNIST at Adam 0.158, stuck at 2.301
    where 0.0158 reached 0.376. One line per such run.

    Only between runs of one experiment: of one folder (:func:`losslens.result.experiments`), and started at one
    loss, the two first training losses within ``same_start`` of each other -- the stuck run never left its
    untrained loss, and a run of the same task and model started there too. DeepOBS logs at initialisation:
    CIFAR-100 at 4.93, Fashion-MNIST at 2.31 (2.1x), where an lr sweep's first epoch-means in the fixtures
    differ by 1.0-1.8x (a torch MLP on digits at lr 3e-4 and 3e-3: 2.23 and 1.23)."""
    from .result import best_run, experiments

    diagnoses = list(diagnoses)
    names = list(names) if names is not None else [d.run_name for d in diagnoses]
    if len(diagnoses) < 2:
        return []
    notes = []
    for group in experiments(diagnoses):
        i = best_run([diagnoses[k] for k in group])
        if i is not None:
            notes += _signal_notes([diagnoses[k] for k in group], [names[k] for k in group], i)
    return notes


def _first_loss(d) -> float | None:
    """The first training loss logged (else the first value of the curve diagnosed): where the run started."""
    run = d.run
    for key in ("train_loss", d.metric):
        if run is not None and run.has(key):
            _, y = run.finite(key)
            if len(y):
                return float(y[0])
    return None


#: _signal_notes: another run of the sweep whose best held-out loss is under this share of a stuck run's shows the
#: labels carry signal (1829d57: lr 1.0 at 0.1145 beside lr 1e-4 at ln 10); no measurement of the bar recorded.
SIGNAL_HALF = 0.5


def _signal_notes(diagnoses, names, i, t: Thresholds = DEFAULT) -> list[str]:
    """:func:`sweep_notes` for one experiment's runs, ``i`` the one whose smoothed best got lowest."""
    from .facts.regularization import learning_rate

    top = diagnoses[i]
    if top.facts.higher_is_better:
        return []
    lr_top = learning_rate(top.run)
    start_top = _first_loss(top)
    notes = []
    for d, name in zip(diagnoses, names):
        if d is top or d.verdict not in _CHECKS_THE_DATA or d.best is None or not 0 < d.best[1] \
                or not top.best[1] < SIGNAL_HALF * d.best[1]:  # (a loss below 0, a log-likelihood's, has no "half")
            continue
        start = _first_loss(d)
        if start is not None and start_top is not None and \
                not (start > 0 and start_top > 0 and max(start, start_top) <= t.same_start * min(start, start_top)):
            continue  # another task's loss: its level says nothing of this run's data
        lr = learning_rate(d.run)
        ratio = lr_top / lr if lr and lr_top else 0.0
        why = (f"its lr {lr:g} is {f'{ratio:,.0f}' if ratio >= 10 else f'{ratio:.2g}'}x below {names[i]}'s {lr_top:g}: "
               "raise it before checking the labels" if ratio > 1 else
               f"what differs between the two runs comes before the labels")
        notes.append(f"{name}: read {d.verdict}, but {names[i]} got {d.metric} to {top.best[1]:.4g} against its "
                     f"{d.best[1]:.4g}: the data carries signal; {why}")
    return notes
