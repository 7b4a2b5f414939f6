"""Forecast where a learning curve is heading: value, 90% interval, plateau epoch, p(improve).

The method is a fast, deterministic take on the parametric learning-curve ensemble of
Domhan, Springenberg & Hutter (2015), "Speeding up automatic hyperparameter optimization
of deep neural networks by extrapolation of learning curves" (IJCAI):

* Every family is written as ``y = c + a * g_theta(t)``, with ``t`` the axis rescaled to
  [0, 1] over the logged part and ``g`` a saturating shape: power law (pow3, with an
  offset), exponential (exp3), Weibull/Janoschek, MMF (Morgan-Mercer-Flodin, also Domhan's
  log-power), ilog2 and a constant. Given ``theta`` the linear parameters ``(c, a)`` have a
  closed form (variable projection, Golub & Pereyra 1973), so each family is fitted by
  scoring a grid of ``theta`` in one vectorised pass: no iterative optimiser, no failed
  fits, ~1-5 ms per curve. ``a`` is free in sign, so a rising validation curve is fitted
  by a saturating rise: the forecast follows the trend (it does not know that you will
  restore the best weights).
* Within a family, candidates are averaged with weights ``exp(-SSE / 2 sigma^2)`` (a grid
  posterior); across families, weights come from each family's error on the held-out
  last quarter of the logged curve when fitted on the first three quarters (the way
  Domhan's ensemble is judged: by extrapolation, not by fit).
* The 90% interval is conformal-style (split conformal with a normalised score,
  Lei et al. 2018 "Distribution-free predictive inference for regression"): the
  residual ``(y_true - mid) / u`` is scaled by ``u``, a per-curve uncertainty (ensemble
  spread, noise and the size of the forecast change), and its 5% and 95% quantiles were
  fitted on the training half of real curves (modded-nanogpt, DeepOBS, Keras notebooks;
  split by a hash of the run id) by ``benchmarks/forecast_eval.py --calibrate``, as a
  function of how far out the horizon is. Short of twice the logged length, where nothing was
  calibrated, the band runs from the noise band at the last point to the calibrated one (:func:`_short_lead`),
  the families' spread taken over their changes from now and the noise no less than the anchored fit's miss of
  its last points: a forecast one epoch out had held the quantiles and spread of twice the length, [0.194, 0.409]
  on a Keras run at 0.283 falling a smooth 0.0006 an epoch, wider than its forecast 50 epochs out.
* Two priors: the ensemble is shifted to pass through the last ~10% of the points (the
  forecast starts where the curve is now: their median residual; a batch loss's mean, whose
  skewed spread puts its median far under its level), and a curve that is never negative gets an
  asymptote ``c >= 0`` (Domhan's forecasts are likewise kept inside the valid range). The
  second holds after the first: a candidate the shift would carry below 0 by the horizon keeps
  its asymptote at 0 and scales its remaining drop instead (:meth:`_FamilyFit.mean_std`), so a
  loss still falling steeply (an S-shaped curve cut mid-fall) is not forecast at exactly 0.
* A curve that blew up before it came down (its highest point in the first half, ≥ 25% above
  its start) is fitted from that peak: every family decays from its first point. ``x0`` and
  ``n_points`` then refer to the peak; the plateau epoch is still measured from the real start.
  Likewise a curve that fell and has clearly risen since (validation loss once a model memorises)
  is fitted from its trough, so that its rise is forecast as a rise (:func:`_trough`).

Measured (benchmarks/results/forecast.md, held-out half, given 10/25/50% of a curve):
median error of the final value 8.6 / 5.7 / 2.8% against 16.9 / 11.9 / 7.4% for the last
value and 16.3 / 8.7 / 3.6% for a single pow3 fit, 90%-interval coverage 90 / 91 / 94%
(88 / 89 / 92% before a steady fall's continuation was kept inside it, :func:`_steady_tail`;
pow3's own interval: 39 / 55 / 56%; the errors were 8.6 / 5.6 / 3.0% before that fall was weighed into the
value by a backtest, :func:`_tail_weight`); Domhan's MCMC ensemble on 50-72 curves: 18 / 14 / 9.9%
(losslens on the same curves: 5.2 / 6.7 / 3.6%). Those figures leave out the 5 / 1 / 1 (of 472 /
686 / 1019) curves given no forecast: a fit whose level now the last points contradict (a loss that
blew up by orders of magnitude and is coming back) is withheld with its reason (:func:`_missed_present`).
What no family can see: a learning-rate schedule that drops the loss at the end
(modded-nanogpt's cooldown) or a second drop after a flat stretch; the interval is wide
for that reason. Where the logged lr is in the last tenth of a linear or cosine decay to 0 at the horizon
(:func:`lr_to_come`), the fit beyond the last point is read in lr-time (:func:`_lr_time_ahead`): the steps left
hold little lr, and a cosine cut at 90% had been forecast 1.5% lower, P = 95%, where it ended 0.2% lower. A cut it has seen (``since``: the run's logged lr stepped down, ReduceLROnPlateau or
StepLR, :func:`last_lr_cut`) is a new curve: the fit starts at the cut, and with fewer than
:data:`MIN_POINTS` points after it the forecast holds their median (a curve right after a cut drops,
then flattens; fitted across the cut, 23 of 57 forecasts on a regression with noise variance 0.09
went below 0.09), with the note saying so. ``p_improve`` is recalibrated on the training half (isotonic regression): raw
probabilities of 0.5-0.7 had come true 86% of the time; after it the held-out Brier score fell
from 0.131 to 0.102. Those curves are all held-out losses; a training loss (``training=True``) keeps
falling more often, and gets its own map, fitted the same way on the training half of DeepOBS's and the
Keras notebooks' training losses: there raw probabilities of 0.55-0.6 came true 91% of the time where the
held-out map said 0.70, and its held-out Brier score is 0.098 against 0.112 with the held-out map.

Known and not fixed: a curve that falls by orders of magnitude (an autoencoder's reconstruction MSE, a
training cross-entropy heading to 0) is fitted on the linear scale, where its first drop outweighs its
tail, and the tail is forecast too flat. On 18 real autoencoder runs (Keras Dense and PyTorch, digits)
cut at 25/50% and forecast to their end, the forecast gain fell short of what training on gave by a
median 7.7 points of the level (coverage 78%). Weighting the fit by 1/y (relative error, the noise of a
loss scaling with its level) brings that to 1.3 points (coverage 88%), but moves forecast_eval's held-out
25% error 5.64 -> 5.68% and its training half's 10.22 / 5.85 -> 10.29 / 5.98% at 10 / 25%; by 1/y^2,
held-out 10% 8.62 -> 9.07%; either, only on curves spanning a decade, held-out 10% 8.62 -> 8.68% (blown-up
curves change whether they are withheld). None is used. An S-shaped curve cut mid-fall (a flat start, a
steep drop) has no family for the turn to come; it is no longer forecast at exactly 0 (the floor above), but its
value can still be far off (a sigmoid MLP on digits given 300 of 1,200 epochs: validation 0.147 at the
end against 0.232; its training loss 0.38 against 0.007).

Lower is better: the metric is assumed to be a loss. For an accuracy pass ``1 - acc``
(then the error's asymptote stays >= 0) or ``-acc``; :func:`forecast_run` does the
former for names ending in ``acc``/``accuracy``, keeps a score never below 0 above 0 (:func:`score_bottom`) and
judges its interval on the score's own scale (:func:`score_uncertain`). On 809 real scores (DeepOBS test accuracy,
Keras val_acc, YOLO mAP50-95; ``benchmarks/forecast_eval.py --scores``, held-out half, given 10/25/50%): median
error 1.04 / 0.87 / 0.37 points (last value 2.73 / 1.51 / 0.72), coverage 94 / 95 / 96% with the losses' quantiles.
LC-PFN (Adriaensen et al. 2023) would be a stronger baseline but needs pretrained weights
from the internet.

Plateau epoch (DESIGN.md's X applied to the forecast): with ``L`` the forecast mid curve
on ``[x0, horizon]``, ``L* = min L`` over that range (the level reachable by the horizon)
and ``L(0)`` the fitted start, ``X = min{x : L(x) - L* <= 0.05 (L(0) - L*)}``. X is in
the log's axis units; it may lie beyond the logged part (a forecast of when the curve
flattens), never beyond the horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .exceptions import EmptyRunError, UsageError, UsageTypeError
from .facts import NOISE_FLOOR_NEAR, check_horizon
from .facts.plateau import FRACTION as PLATEAU_FRACTION  # (the plateau epoch: 95% of the improvement, one definition)
from .facts.smoothing import difference_noise, downsample, robust_sd, theil_sen
from .result import finite_or_none

__all__ = ["Forecast", "forecast_curve", "forecast_run", "last_lr_cut", "lr_cut", "score_top", "score_bottom", "MIN_POINTS"]

#: Fewer finite points than this give a wide "insufficient" forecast (no fit).
MIN_POINTS = 5
#: The smallest normal float: a last resort where a scale must be > 0, no floor in the curve's units.
_TINY = float(np.finfo(float).tiny)


def per_level(level: float) -> float:
    """What a gain is a fraction of: ``|level|``, in the curve's units; 1e-12 only where it is 0 (an all-zero loss,
    no scale of its own). A floor in the curve's units made a forecast hang on them: a loss scaled by 1e-15
    (a sum over a few samples divided by a large constant, or a residual in metres logged in km) was said
    1000x nearer its end than the same curve at 1 (gain 1.1e-05 where it was 0.018), and the same floor in the
    fit's spike scale, level floor and flat-curve scale moved P(improve) 0.85 -> 0.70 at 1e-10, 0.37 at 1e-15."""
    return abs(level) if level else 1e-12
#: Fewer fitted points than this leave no last points to hold out and check the fit by: the families are
#: weighted by fit alone, and a fit that puts a loss's present level below half of its recent points is
#: not used (a Hugging Face Trainer's console, 5 evaluations 0.676 0.628 0.055 0.017 0.014: a Weibull
#: through the cliff had the level now at -0.0029 and forecast 0, 90% interval [0, 1.33]).
CHECKED_POINTS = 8
#: A fitted level now more than MISS_NOISE noise sds and more than MISS_REL (relative) from where the
#: last points put the curve misses its present: no forecast (:func:`_missed_present`). 3 sds: further
#: than one point's noise takes it (and a median of >= 3 points strays less); 20%: more than twice the
#: forecast benchmark's median error given 10% of a curve (8.6%), so that a curve nearly free of noise is
#: not withheld for a level a few percent off. Not tuned: on the benchmark's 4,376 forecasts, 10% / 20% /
#: 30% withheld 24 / 16 / 15 and 2 / 3 / 5 sds 17 / 16 / 16, all but 1-3 of them off by > 25% at the end.
MISS_NOISE = 3.0
MISS_REL = 0.2
#: A fitted level now under every one of the last points by more than this share of the lowest (and more than
#: MISS_NOISE sds, and more than their own fall across them) is a fit that falls faster than the curve now:
#: no forecast (:func:`_overshoots_present`). 2%: twice the 1% a forecast's gain must reach to count
#: (``IMPROVE_FRACTION``); a level off by less moves no reading.
OVERSHOOT_REL = 0.02
#: ... and by more than this many times both the last points' noise sd and their own fall across them. 10: a fit a
#: few times steeper than a noisy tail (a validation loss still falling through its bounce) is the fit's ordinary
#: error, which the interval carries; one 10 times under a tail that barely moves is a shape the families miss.
OVERSHOOT_TIMES = 10.0


def fitted_points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points a forecast of the curve ``x``, ``y`` (shape (n,), finite, ``x`` increasing) fits: the curve as
    logged up to :data:`~losslens.facts.smoothing.MAX_POINTS` (2,000) points, its bin means past that (the first
    point kept), shape (m,), m <= 2,000. The one rule for every forecast (:func:`forecast_curve` applies it): the
    callbacks' ``stop_gain`` and ``losslens forecast`` fitted the curve as logged while a diagnosis fitted 200 bin
    means of it, so a Keras digits MLP stopped live on "forecast 0.2814 (0.2160 to 0.3733)" at epoch 200 of 300
    read 0.2827 (0.2153 to 0.3757) in ``losslens diagnose`` of the log it wrote, cut at the same epoch. Each
    family's fit costs O(n): a 500,000-step loss took 19 s fitted whole, 0.07 s as its bin means; 2,000 points
    take ~30 ms, under the 50 ms a forecast may cost."""
    return downsample(x, y)
#: Improvement threshold of ``p_improve``: more than 1% lower than the current level.
IMPROVE_FRACTION = 0.01
#: Families are weighted by their error on the points after this fraction, fitted on those before.
HOLDOUT = 0.75
#: Weight of the forecast change |value - level| in the interval scale u (see _Model.scale_u).
CHANGE_WEIGHT = 0.25

# Conformal quantiles of the normalised score (y_true - mid) / u at 5% and 95%, by the
# horizon ratio R = (horizon - x0) / (x_last - x0); linear in log R between the knots.
# Fitted by `python benchmarks/forecast_eval.py --calibrate` on the training split.
_CAL_LOG_RATIO = np.log([2.0, 4.0, 10.0])
_CAL_Q05 = np.array([-3.066, -4.208, -7.842])
_CAL_Q95 = np.array([4.441, 6.095, 6.095])
#: The 90% normal quantile: the band inside the logged part is +-_NOISE_Z noise sds, and the calibrated quantiles
#: start from it at the last point (:func:`_quantiles`).
_NOISE_Z = 1.645

# Recalibration of p_improve (isotonic regression of "did the smoothed curve end > 1% below the
# level" on the model's probability, Zadrozny & Elkan 2002; datasets weighted equally), read as
# a piecewise-linear map through these knots. Raw probabilities of 0.5-0.7 came true 84% of the
# time on the held-out half before it. Fitted by `python benchmarks/forecast_eval.py
# --calibrate` on the training split.
_P_RAW = np.linspace(0.0, 1.0, 21)
_P_CAL = np.array([0.0, 0.18, 0.18, 0.18, 0.18, 0.18, 0.28, 0.37, 0.37, 0.37, 0.37,
                   0.70, 0.71, 0.82, 0.92, 0.95, 0.96, 0.96, 0.96, 1.0, 1.0])
# The same for a training loss (fitted on the training half of DeepOBS's train_loss and the Keras
# notebooks' loss): calibration holds for the population it was fitted on, and at the same raw
# probability a training loss, which does not turn up as a held-out loss can, improves more often
# (raw 0.55-0.6: 91% came true, against 71-76% of the held-out losses'). On the held-out half of the
# training losses the Brier score is 0.098 with this map against 0.112 with _P_CAL. Diagnosed with it,
# 769 cuts of 115 real training-loss-only runs (PyTorch loops and Keras on digits, wine, breast cancer,
# MLPs and autoencoders) moved 10 verdicts, each toward what training on did: 8 converged ->
# still_improving (the loss fell 6-97% by twice the length), a sigmoid MLP's lr_too_high -> lr_too_low
# (at 3x the lr it fell from 2.30 to 0.95 by epoch 149, at lr/3 it stayed at 2.30) and a tanh MLP's
# stuck_at_init -> temporary_plateau (2.297 at epoch 359, 0.372 at 719).
_P_CAL_TRAIN = np.array([0.01, 0.35, 0.35, 0.35, 0.35, 0.35, 0.35, 0.44, 0.45, 0.65, 0.65,
                         0.88, 0.94, 0.97, 0.99, 0.99, 0.99, 0.99, 1.0, 1.0, 1.0])


# ---- the families: y = c + a * g(t; theta) ------------------------------------------------
# The grids that do not depend on the axis step, built once: geomspace per forecast was ~5% of a diagnosis.
def _fixed_grids() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    exp_lam = np.geomspace(0.3, 60.0, 24)
    ilog_k = np.geomspace(0.1, 1e3, 16)
    grids = {
        "exp3": (exp_lam, np.zeros_like(exp_lam)),
        "weibull": np.meshgrid(np.geomspace(0.3, 40.0, 10), np.array([0.25, 0.4, 0.6, 0.8, 1.5, 2.0, 3.0]),
                               indexing="ij"),
        "mmf": np.meshgrid(np.geomspace(0.3, 100.0, 10), np.array([0.3, 0.5, 0.7, 1.0, 1.5, 2.0]), indexing="ij"),
        "ilog2": (ilog_k, np.zeros_like(ilog_k)),
    }
    grids = {k: (np.ravel(a), np.ravel(b)) for k, (a, b) in grids.items()}
    for a, b in grids.values():
        a.flags.writeable = b.flags.writeable = False  # shared by every forecast: no fit may write into them
    return grids


_POW_ALPHA = np.geomspace(0.05, 3.0, 14)
_FIXED_GRIDS = _fixed_grids()


def _family_grids(dt: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Grids of (theta1, theta2) per family; ``dt`` is the smallest axis step in t units."""
    # Offsets down to 1% of a step: Domhan's pow3 on x = 1, 2, ... has the pole one step
    # before the first point; step logs (x = 0, 125, 250 ...) need it much closer.
    d_lo = max(dt / 100.0, 1e-5)
    pow_d = np.geomspace(d_lo, 2.0, 7)
    a, b = np.meshgrid(_POW_ALPHA, pow_d, indexing="ij")
    return {"pow3": (np.ravel(a), np.ravel(b))} | _FIXED_GRIDS


def _basis(name: str, t: np.ndarray, p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """``g(t; theta)`` for every grid row: shape (n_candidates, n_t)."""
    t = t[None, :]
    p1 = p1[:, None]
    p2 = p2[:, None]
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        if name == "pow3":
            return (t + p2) ** (-p1)
        if name == "exp3":
            return np.exp(-p1 * t)
        if name == "weibull":
            return np.exp(-(p1 * t) ** p2)
        if name == "mmf":
            return 1.0 / (1.0 + (p1 * t) ** p2)
        if name == "ilog2":
            return 1.0 / np.log(p1 * t + math.e)
    raise KeyError(name)


FAMILIES = ("pow3", "exp3", "weibull", "mmf", "ilog2", "const")


@dataclass
class _FamilyFit:
    name: str
    p1: np.ndarray  # kept candidates
    p2: np.ndarray
    a: np.ndarray
    c: np.ndarray
    w: np.ndarray  # posterior weights over kept candidates (sum 1)
    sse: float  # best SSE
    # Candidate values at single t's (the horizon, the last point) that every banded call with a floor asks
    # for again: memoised, the same numbers computed once.
    _at: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def predict_at(self, t1: float) -> np.ndarray:
        """:meth:`predict` at the one value ``t1``: shape (n_kept,)."""
        v = self._at.get(t1)
        if v is None:
            v = self._at[t1] = self.predict(np.array([t1]))[:, 0]
            v.flags.writeable = False
        return v

    def predict(self, t: np.ndarray) -> np.ndarray:
        """Candidate predictions, shape (n_kept, n_t)."""
        if self.name == "const":
            return np.broadcast_to(self.c[:, None], (self.c.shape[0], t.shape[0]))
        g = _basis(self.name, t, self.p1, self.p2)
        return self.c[:, None] + self.a[:, None] * g

    def mean_std(self, t: np.ndarray, shift: float = 0.0, floor: tuple[float, float] | None = None,
                 anchored: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Mean and spread over the candidates at ``t``, each moved by the anchor ``shift``.

        ``anchored``: the moments of each candidate's change from its own value at the last point (t = 1) instead,
        what the forecast's interval is about (:meth:`_Model.mean_spread`).

        ``floor``: ``(c_min, t_h)`` for a curve never below ``c_min`` forecast to ``t_h``. The shift moves
        a candidate's asymptote too, and one the fit had to hold on the floor (the data show no floor yet)
        is carried below it by a shift down; where it gets there by the horizon, the forecast was clipped
        to exactly 0 (fixture torch_forecast_long: a digits MLP at batch 512, Adam 3e-4, its S-shaped
        training loss still falling steeply at epoch 200 of 800, "0" where the run ended at 0.055; a sigmoid
        MLP's validation loss given 300 of 1200 epochs, "0" where it held 0.23). Domhan et al. (2015) give
        such an extrapolation, outside the valid range at the horizon, no prior weight; here the candidate
        instead keeps its asymptote on the floor beyond the logged part and scales its remaining drop
        ``y - c`` to pass through its anchored level now (the level now is unchanged). On 12 real runs
        (Keras CSVLogger and PyTorch loops on digits, MLPs and autoencoders), cut every 2.5% and forecast to
        twice the cut and to the end: 35 of 1,848 forecasts were exactly 0, none now; of the 96 that moved
        with the truth logged, 53 came closer (validation losses 27 of 40; a training loss that does head
        to ~0 was closer at 0, 30 of 56 moved away), coverage unchanged. forecast_eval: no change to its
        error or coverage (its 21 zeros were blow-ups)."""
        pred = self.predict(t)
        if not shift:
            return self._moments(pred - self.predict_at(1.0)[:, None] if anchored else pred)
        pred = pred + shift
        if floor is not None and self.name != "const":
            c_min, t_h = floor
            below = self.predict_at(float(t_h)) + shift < c_min
            if np.any(below):
                now = self.predict_at(1.0)  # each candidate's fitted value at the last point
                drop = now - self.c
                with np.errstate(divide="ignore", invalid="ignore"):
                    rho = np.where(np.abs(drop) > 1e-12, (now + shift - c_min) / drop, 1.0)
                kept = c_min + (pred - shift - self.c[:, None]) * np.maximum(rho, 0.0)[:, None]
                pred = np.where(below[:, None] & (t[None, :] > 1.0), kept, pred)
        if anchored:
            pred = pred - (self.predict_at(1.0) + shift)[:, None]
        return self._moments(pred)

    def _moments(self, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean = self.w @ pred
        var = self.w @ (pred - mean) ** 2
        return mean, np.sqrt(np.maximum(var, 0.0))


def _fit_family(name: str, t: np.ndarray, y: np.ndarray, grid, sigma2: float | None,
                keep: int = 12, wts: np.ndarray | None = None, c_min: float | None = None,
                basis: np.ndarray | None = None) -> _FamilyFit:
    """Weighted least squares for every grid candidate (closed form in c, a); keep the best ``keep``.

    ``wts``: point weights, shape (n,), normalised to sum n (None: equal). ``c_min``: lower
    bound on the asymptote ``c`` (a loss that is never negative cannot head below 0);
    candidates that break it are refitted with ``c = c_min``. ``basis``: ``_basis(name, t, *grid)``
    when the caller has it, shape (n_grid, n).
    """
    n = t.shape[0]
    wts = np.ones(n) if wts is None else wts * (n / wts.sum())
    ym = float(wts @ y) / n
    if name == "const":
        c = np.array([ym])
        sse = float(wts @ (y - c[0]) ** 2)
        return _FamilyFit(name, np.zeros(1), np.zeros(1), np.zeros(1), c, np.ones(1), sse)
    p1, p2 = grid
    g = _basis(name, t, p1, p2) if basis is None else basis
    ok = np.all(np.isfinite(g), axis=1)
    g, p1, p2 = g[ok], p1[ok], p2[ok]
    gm = g @ wts / n
    gc = g - gm[:, None]
    yc = y - ym
    gw = gc * wts
    sgg = (gw * gc).sum(axis=1)
    sgy = gw @ yc
    syy = float(wts @ (yc * yc))
    good = sgg > 1e-12 * max(1.0, n)
    a = np.where(good, sgy / np.where(good, sgg, 1.0), 0.0)
    c = ym - a * gm
    sse = np.maximum(syy - a * sgy, 0.0)
    if c_min is not None and np.any(c < c_min):
        low = c < c_min
        r = y - c_min
        gl = g[low]
        a_low = (gl * wts) @ r / np.maximum((gl * gl) @ wts, 1e-300)
        res = r[None, :] - a_low[:, None] * gl
        a[low], c[low] = a_low, c_min
        sse[low] = (res * res) @ wts
    sse = np.where(good, sse, np.inf)
    order = np.argsort(sse)[:keep]
    sse_k = sse[order]
    best = float(sse_k[0])
    s2 = sigma2 if sigma2 and sigma2 > 0 else max(best / max(n - 3, 1), 1e-30)
    w = np.exp(-(sse_k - best) / (2.0 * s2))
    w = np.where(np.isfinite(w), w, 0.0)
    w = w / w.sum()
    return _FamilyFit(name, p1[order], p2[order], a[order], c[order], w, best)


# ---- the result -----------------------------------------------------------------------------
@dataclass
class Forecast:
    """A forecast of one curve (lower is better) out to ``horizon``.

    Attributes
    ----------
    metric : str
        Name of the series forecast (``"value"`` for raw arrays).
    horizon : float
        Axis value (epoch or step, the log's own units) the forecast reaches.
    value : float
        Forecast (median) value at the horizon.
    interval : (float, float)
        90% prediction interval for the value at the horizon.
    level : float
        Current level: the smoothed last logged value.
    gain : float
        Expected fractional improvement from ``level`` to the horizon,
        ``(level - value) / |level|``; negative when the curve is forecast to rise. For a loss with no zero point
        (:attr:`per_improvement`) ``|level|`` is the target's units, and the share is of the curve's improvement so
        far, its highest point less ``level``.
    p_improve : float or None
        Probability that the trend at the horizon is more than 1% (of that same reference) below ``level`` (the
        trend, not one noisy evaluation; see :func:`_p_improve`), recalibrated to the observed
        frequency on the benchmark's training half (:func:`calibrate_p`). :meth:`prob_below`
        is the model's own, uncalibrated probability for any threshold.
    plateau_epoch : float or None
        X of DESIGN.md on the forecast curve (see the module docstring).
    reason : str or None
        Why no forecast was made, in words (too few points, a fit that misses the curve now, a curve that turned
        NaN/inf for good), else None. ``value`` and ``level`` are then the last point and ``interval`` a wide guess.
    withheld : str or None
        The same as a code a program can test, set exactly when ``reason`` is: ``"too_few_points"``,
        ``"misses_curve"`` or ``"diverged"``.
    uncertain : str or None
        Set where the 90% interval is too wide to inform, and why (a loss whose interval reaches 0, or is wider
        than the level now; a score's, by the same rule on its own scale): the value is then no forecast to act
        on (:func:`_uncertain`, :func:`score_uncertain`).
    note : str or None
        A caveat on a forecast that was made: the fitted trend of a loss reaches 0 before the
        horizon (the curve shows no floor yet; the value is clipped at 0, a lower bound), which
        the floor kept after the anchor shift leaves to a level now at 0 itself.
    horizon_from : str or None
        Where the horizon came from when no horizon was asked for and the log states the run's planned
        end beyond its last point (``"max_steps"``, ``"Epoch k/N"`` ...: :func:`planned_horizon`);
        None for an asked horizon or the default, twice the logged length.
    axis : str
        What the axis counts, ``"epoch"`` or ``"step"``: the run's (:func:`forecast_run`), ``"epoch"`` for raw arrays.
    schedule_ended : bool
        The logged lr's planned decay ran it to ~0 as the run ended (:func:`schedule_ended_note`, said in
        :attr:`note`): the fitted curve's flattening is the schedule's end, not a floor the model reached.
    best : (float, float, float or None) or None
        A loss's ``(best_so_far, gain_over_best, p_over_best)`` (:meth:`over_best`): the gain and P measured from
        the best the curve reached so far instead of :attr:`level`; set by :func:`forecast_run` and the diagnosis,
        None for a score, raw arrays and a withheld forecast. In :meth:`to_dict` under those three keys.
    fit_alone : (float, float) or None
        ``(value, p_improve)`` of the fitted families alone, in the units of :attr:`value`, where a steady fall of the
        last third was weighed into the value and P (:func:`_tail_weight` > 0); else None. The diagnosis reads it
        where it sets the forecast beside that same tail's fall (which the weighed value partly is). Not in
        :meth:`to_dict`.
    """

    metric: str
    horizon: float
    value: float
    interval: tuple[float, float]
    level: float
    gain: float
    p_improve: float | None
    plateau_epoch: float | None
    x0: float
    x_last: float
    n_points: int
    weights: dict[str, float] = field(default_factory=dict)
    reason: str | None = None
    withheld: str | None = None
    note: str | None = None
    uncertain: str | None = None
    horizon_from: str | None = None
    noise_floor: float | None = None  # the data's noise floor the value was held by (_held_at), else None
    #: A constant answer's validation cross-entropy the value was held by (forecast_curve's ``prior_floor``), else
    #: None; in :meth:`to_dict` as ``prior_floor`` where set.
    prior_floor: float | None = None
    axis: str = "epoch"
    schedule_ended: bool = field(default=False, repr=False, compare=False)
    #: The loss has no zero point (``offset_free``: said, or seen below 0): :attr:`gain` and :attr:`p_improve`'s 1% are
    #: shares of the curve's improvement so far, not of its level. In :meth:`to_dict` where True.
    per_improvement: bool = False
    best: tuple | None = field(default=None, repr=False, compare=False)
    fit_alone: tuple | None = field(default=None, repr=False, compare=False)
    #: ``(shape, peak_at, end)`` of the lr's decay to 0 the forecast was read along (:func:`lr_to_come`), else None.
    lr_ahead: tuple | None = field(default=None, repr=False, compare=False)
    _model: Any = field(default=None, repr=False, compare=False)
    _run: Any = field(default=None, repr=False, compare=False)  # the Run forecast (forecast_run): what plot() draws

    def summary(self, axis: str | None = None) -> str:
        """One sentence for evidence lists, e.g. ``"val_loss forecast 12% lower after 40
        more epochs (0.081, 90% interval 0.072 to 0.090; P(>1% lower) = 0.93)"``. ``axis``: the unit
        counted, default the run's own (a Trainer's log counts steps)."""
        from .result import axis_text

        def g(v):
            return "n/a" if v is None else f"{v:.3g}"

        more = self.horizon - self.x_last
        if self.reason:
            return f"{self.metric}: no forecast ({self.reason})"
        # A count, as the log writes it: "after 1960 more epochs", not "1.96e+03".
        return (f"{self.metric} forecast {self.change_text()} after {axis_text(more)} more {axis or self.axis}s "
                f"({g(self.value)}, 90% interval {g(self.interval[0])} to {g(self.interval[1])}; "
                f"P({self.improve_label()}) = {self.p_improve:.2f})")

    def __str__(self) -> str:
        # print(losslens.forecast(...)) shows the sentence, as print(diagnosis) shows the report, with the
        # caveats `losslens forecast` prints beside it; the dataclass repr spelt out every field and the model.
        text = self.summary()
        if not self.reason:
            if self.uncertain:
                text += f"; uncertain: {self.uncertain}, the value says little ({self.track_record})"
            if self.note:
                text += f"; note: {self.note}"
        return text

    def __repr__(self) -> str:
        def g(v):
            return None if v is None else float(f"{v:.4g}")

        state = (f", withheld={self.withheld!r}" if self.withheld else
                 f", uncertain={self.uncertain!r}" if self.uncertain else "")
        return (f"Forecast(metric={self.metric!r}, horizon={g(self.horizon)!r}, value={g(self.value)!r}, "
                f"interval=({g(self.interval[0])!r}, {g(self.interval[1])!r}), "
                f"p_improve={g(self.p_improve)!r}{state})")

    @property
    def track_record(self) -> str:
        """What an :attr:`uncertain` forecast's value was worth on the forecast benchmark, in words."""
        return UNCERTAIN_TRACK_RECORD

    def over_best(self, y, training: bool = False, batch: bool = False) -> tuple[float, float, float | None]:
        """``(best, gain, p)``: what training on to the horizon gains over the best the curve ``y`` (shape (n,), on
        the scale this forecast was fitted on, lower is better) has reached so far (:func:`best_so_far`, the
        reference :class:`~losslens.stopping.ForecastStopping` stops on), ``(best - value) / |best|``, and the
        calibrated probability that the trend at the horizon is > 1% below that best (None without a model).
        :attr:`gain` and :attr:`p_improve` are measured from :attr:`level`, the fitted level now; a curve that
        crept up from its best is forecast below its level now and still above its best, which restoring the best
        weights keeps: that forecast gains nothing (a Keras MLP's val_loss, best 0.139, level 0.1454, forecast
        0.140: 3.7% below the level now, none below the best). ``batch``: each point of ``y`` is a batch's loss,
        whose best is that of its level, the mean of as many batches as the level now is read on (a tenth of the
        points, :func:`forecast_curve`'s anchor), not of three lucky batches (a tiny BERT's 0.0051 against a level
        of 0.087, "the forecast is 1055% above it")."""
        if batch:
            y = np.asarray(y, dtype=float)
            k = max(2, y.shape[0] // 10)
            if y.shape[0] > k:
                c = np.concatenate([[0.0], np.cumsum(y)])
                y = (c[k:] - c[:-k]) / k
        best = best_so_far(y, self.level)
        ref = _reference(self._model, best)
        gain = (best - self.value) / ref
        raw = None if self.p_improve is None else self.prob_below(best - IMPROVE_FRACTION * ref)
        if raw is None:
            return best, gain, None
        p = calibrate_p(raw, training)
        # Below a best at or under the level is within p_improve's event: never surer than it (which also keeps the
        # cap a level held after an lr cut puts on p_improve).
        return best, gain, min(p, self.p_improve) if best <= self.level else p

    def change_text(self, digits: int = 0) -> str:
        """The forecast change in words, e.g. ``"12% lower"`` (``"12% of its improvement lower"`` where the loss has
        no zero point)."""
        of = " of its improvement" if self.per_improvement else ""
        return f"{abs(self.gain) * 100:.{digits}f}%{of} {'lower' if self.gain >= 0 else 'higher'}"

    def improve_label(self) -> str:
        """What ``p_improve`` is the probability of."""
        if self.per_improvement:
            return f"{self.metric} lower by > 1% of its improvement"
        return f"{self.metric} > 1% lower"

    def prob_below(self, value: float) -> float | None:
        """P(the trend at the horizon is below ``value``), on the lower-is-better scale
        that :func:`forecast_curve` was given; None for a too-short curve."""
        if self._model is None:
            return None
        h = float(self._model.ahead(np.array([self.horizon]))[0])  # (in lr-time where the schedule is known)
        t_h = (h - self.x0) / (self.x_last - self.x0)
        if t_h <= 1.0:
            return float(self.value < value)
        return _prob_below(self._model, t_h, float(value))

    # ---- evaluation at any axis value -----------------------------------------------
    # The same fit read at other epochs (or steps): value_at(150) and interval_at(150) of a forecast to 300 are
    # what losslens.forecast(run, horizon=150) gives as its value and interval (the fit and its calibrated
    # quantiles depend on how far ahead a point lies, not on the horizon asked), without fitting again.
    def value_at(self, x) -> np.ndarray | float:
        """Forecast median at axis value(s) ``x`` (the log's epochs or steps): a float for a scalar, else shape
        (m,)."""
        mid, _, _ = self._band(_axis_values(x, "value_at"))
        return float(mid[0]) if np.ndim(x) == 0 else mid

    def interval_at(self, x) -> tuple:
        """90% interval ``(lo, hi)`` at axis value(s) ``x`` (the log's epochs or steps): floats for a scalar, else
        two arrays of shape (m,). Ahead of the last point it is the forecast's calibrated interval for that
        distance (``interval_at(self.horizon) == self.interval``); within the logged range, the curve's noise
        band around the fit."""
        _, lo, hi = self._band(_axis_values(x, "interval_at"))
        if np.ndim(x) == 0:
            return float(lo[0]), float(hi[0])
        return lo, hi

    def path(self, n: int = 50) -> dict[str, list[float]]:
        """A coarse band from the first fitted point (the peak, after a blow-up) to the horizon:
        <= ``n`` points; empty lists where no point was finite (:func:`never_finite`)."""
        if self.n_points == 0 and self._model is None:
            return {"x": [], "lo": [], "mid": [], "hi": []}
        xs = np.linspace(self.x0, self.horizon, max(2, min(int(n), 50)))
        mid, lo, hi = self._band(xs)
        return {"x": _floats(xs), "lo": _floats(lo), "mid": _floats(mid), "hi": _floats(hi)}

    def _band(self, xs: np.ndarray):
        if self._model is None:
            mid = np.full(xs.shape, self.value, dtype=float)
            lo = np.where(xs <= self.x_last, self.level, self.interval[0])
            hi = np.where(xs <= self.x_last, self.level, self.interval[1])
            return mid, lo, hi
        return self._model.band(xs)

    def plot(self):
        """The logged curve, the forecast to the horizon with its 90% band, the value at the horizon with its
        interval, X on the fitted curve and P(improve) in the title: a bare matplotlib Figure. Only a forecast
        of a run (:func:`losslens.forecast`, :func:`forecast_run`) carries the curve to draw."""
        from .report.plot import forecast_figure
        return forecast_figure(self._plotted_run(), self)

    def save_plot(self, path, dpi: int = 150):
        """:meth:`plot` written to ``path`` (.png, .svg or .pdf, by its suffix)."""
        from .report.plot import save_forecast_plot
        return save_forecast_plot(self._plotted_run(), self, path, dpi=dpi)

    def _plotted_run(self):
        if self._run is None:
            raise UsageError("this forecast was made from bare arrays and carries no curve to draw; "
                             "forecast a run (losslens.forecast(path)) to plot it")
        return self._run

    def to_dict(self) -> dict:
        """JSON-safe dict, the object ``losslens forecast --json`` prints for the run (as
        :meth:`losslens.Diagnosis.to_dict` is ``diagnose --json``'s): schema, source, run and axis (source and run
        None for raw arrays), then metric, horizon, value, interval (90%), plateau_epoch, p_improve, path ...;
        ``plateau_epoch_frac``, the epoch at X, where a Trainer's step axis states its epochs."""
        run = self._run
        head = {"schema": "losslens.forecast/1", "source": None if run is None else run.source,
                "run": None if run is None else run.name, "axis": self.axis}
        from .result import clean_number, trainer_epoch

        frac = None
        if run is not None:
            frac = trainer_epoch(run, self.plateau_epoch)
        return head | {
            "metric": self.metric,
            "horizon": clean_number(self.horizon),  # (an int on a whole epoch or step, as diagnose's JSON writes X)
            "value": finite_or_none(self.value),
            "interval": [finite_or_none(self.interval[0]), finite_or_none(self.interval[1])],
            "plateau_epoch": clean_number(self.plateau_epoch),
            "p_improve": finite_or_none(self.p_improve),
            "gain": finite_or_none(self.gain),
            "level": finite_or_none(self.level),
            "n_points": int(self.n_points),
            "reason": self.reason,
            "withheld": self.withheld,
            "note": self.note,
            "uncertain": self.uncertain,
            "weights": {k: round(float(v), 4) for k, v in self.weights.items()},
            "path": self.path(),
            **({} if self.best is None else dict(zip(("best_so_far", "gain_over_best", "p_over_best"),
                                                     (finite_or_none(v) for v in self.best)))),
        } | ({"horizon_from": self.horizon_from} if self.horizon_from else {}) \
            | ({} if self.noise_floor is None else {"noise_floor": finite_or_none(self.noise_floor)}) \
            | ({} if self.prior_floor is None else {"prior_floor": finite_or_none(self.prior_floor)}) \
            | ({} if frac is None else {"plateau_epoch_frac": frac}) \
            | ({"per_improvement": True} if self.per_improvement else {})

    def to_json(self, **kwargs) -> str:
        """:meth:`to_dict` as one line of JSON, as ``losslens forecast --json`` prints it (NaN never written:
        ``null``; floats to 7 significant digits, :func:`losslens.result.json_text`)."""
        from .result import json_text

        return json_text(self.to_dict(), **kwargs)


def _total_variance(w: np.ndarray, means: np.ndarray, stds: np.ndarray):
    """The mixture's mean and variance, shape (m,) each, of candidates weighted ``w`` (shape (k, 1), summing to 1)
    with ``means`` and ``stds`` (shape (k, m)): the spread within each candidate plus the spread between them."""
    mean = (w * means).sum(axis=0)
    return mean, (w * (stds ** 2 + (means - mean) ** 2)).sum(axis=0)


class _Model:
    """The fitted ensemble on normalised axes: t = (x - x0) / span, z = (y - y_ref) / scale."""

    def __init__(self, fits, weights, x0, span, y_ref, scale, shift, sigma, floor, nonneg):
        self.fits = fits
        self.weights = weights
        self.x0, self.span, self.y_ref, self.scale = x0, span, y_ref, scale
        self.shift, self.sigma, self.floor, self.nonneg = shift, sigma, floor, nonneg
        self.ref = None  # what a gain is a share of, where not |level| (_reference)
        self.level_z = None
        self.t_h = None  # the horizon (t units): candidates are kept above the floor up to it (_FamilyFit.mean_std)
        self.hold = None  # a level the forecast holds beyond the logged part (too few points since an lr cut)
        self.hold_width = 0.0  # the half-width of its 90% band
        self.low = None  # a value the forecast does not go below beyond the logged part (the noise floor after a cut)
        self.held_at = None  # (mid's bottom, the interval's bottom) beyond the logged part: a stated noise floor (_held_at)
        self.tail = None  # (x_last, level, slope per axis unit, r): the recent steady fall the lower bound reaches
        self.tail_w = 0.0  # that fall's weight in the mid beyond the logged part (_tail_weight); the rest is the fit's
        self.misfit = 0.0  # root-mean-square miss of the anchored fit over the points it is anchored on (normalised)
        self.warp = None  # axis values beyond the last point -> lr-time at the current rate (_lr_time_ahead), or None

    def ahead(self, xs: np.ndarray) -> np.ndarray:
        """Axis values ``xs`` (shape (m,)) as the fit reads them: beyond the last point, where the lr's decay still
        to come is known, the lr-time they hold (:attr:`warp`); else as they are."""
        xs = np.asarray(xs, dtype=float)
        if self.warp is None:
            return xs
        return np.where(xs > self.x0 + self.span, self.warp(xs), xs)

    def mean_spread(self, t: np.ndarray):
        """Ensemble mean and spread (normalised units) at ``t``, shape (m,) each: law of total variance.

        From the calibrated knot R = 2 (:func:`_quantiles`) on, the spread is that of the candidates' values, as the
        conformal quantiles were fitted with. Nearer the last point it is, more and more (:func:`_short_lead`), that
        of the candidates' changes from their own values at t = 1: the anchor already puts the forecast where the
        curve is now (the mean is the weighted mean of the candidates so anchored too), and families that pass the
        curve apart at its end disagree about where it is, not where it goes. Taken over the values, families 0.03
        apart at the end of a Keras SGD run on digits (0.283 at 296 epochs, falling a smooth 0.0006 an epoch) made
        the forecast one epoch ahead [0.194, 0.409] (tests/test_forecast_short_lead.py)."""
        means, stds, d_means, d_stds = [], [], [], []
        floor = (-self.y_ref / self.scale, self.t_h) if self.nonneg and self.t_h is not None else None
        lam = _short_lead(t)
        near = np.any((t > 1.0) & (lam < 1.0))  # (inside the logged part the band is the noise's: no spread read)
        for f in self.fits:
            m, s = f.mean_std(t, self.shift, floor)
            means.append(m)
            stds.append(s)
            if near:
                dm, ds = f.mean_std(t, self.shift, floor, anchored=True)
                d_means.append(dm)
                d_stds.append(ds)
        w = self.weights[:, None]
        mean, var = _total_variance(w, np.array(means), np.array(stds))
        if near:
            _, d_var = _total_variance(w, np.array(d_means), np.array(d_stds))
            var = np.where((t > 1.0) & (lam < 1.0), lam * var + (1.0 - lam) * d_var, var)
        return mean, np.sqrt(var)

    def scale_u(self, t: np.ndarray, mean: np.ndarray, spread: np.ndarray) -> np.ndarray:
        """Per-point uncertainty u (normalised units) that the conformal quantiles multiply, shape (m,).

        Short of the calibrated knot R = 2 the noise term grows, as the spread turns anchored
        (:meth:`mean_spread`), toward :attr:`misfit` where the anchored fit misses its last points by more than
        their noise: a forecast a few epochs out is as good as where the fit puts the curve now, and a smooth
        curve's second differences (1e-5 on that Keras run) say nothing of a fit 0.003 off it."""
        change = CHANGE_WEIGHT * np.abs(mean - self.level_z)
        noise2 = self.sigma ** 2
        lam = _short_lead(t)
        if self.misfit > self.sigma and np.any(lam < 1.0):
            noise2 = np.where(lam < 1.0, noise2 + (1.0 - lam) * (self.misfit ** 2 - self.sigma ** 2), noise2)
        return np.sqrt(spread ** 2 + noise2 + change ** 2) + self.floor

    def tail_line(self, xs: np.ndarray) -> np.ndarray:
        """The steady fall :attr:`tail` carried on to axis values ``xs`` (shape (m,)), in the curve's units."""
        x_l, lev, slope, r = self.tail
        d = np.maximum(np.asarray(xs, dtype=float) - x_l, 0.0)
        if r >= 1.0:
            lin = lev + slope * d
        else:
            lin = lev + slope * (1.0 - r ** d) / -math.log(r)
        return np.maximum(lin, 0.0) if self.nonneg else lin

    def band(self, xs: np.ndarray):
        xs = self.ahead(xs)  # (the lr-time beyond the last point, where the schedule to come is known)
        # Before the fitted start (the peak of a blow-up) the families are undefined.
        t = np.maximum((xs - self.x0) / self.span, 0.0)
        mean, spread = self.mean_spread(t)
        u = self.scale_u(t, mean, spread)
        q05, q95 = _quantiles(np.maximum(t, 1.0))
        # Inside the logged range the band is the noise band, not an extrapolation band.
        inside = t <= 1.0
        u = np.where(inside, self.sigma * 1.0 + self.floor, u)
        lo = mean + np.where(inside, -_NOISE_Z, q05) * u
        hi = mean + np.where(inside, _NOISE_Z, q95) * u
        mid, lo, hi = (self.y_ref + self.scale * v for v in (mean, lo, hi))
        if self.nonneg:
            mid, lo, hi = (np.maximum(v, 0.0) for v in (mid, lo, hi))
        if self.hold is not None:
            beyond = ~inside
            mid = np.where(beyond, self.hold, mid)
            lo, hi = np.where(beyond, self.hold - self.hold_width, lo), np.where(beyond, self.hold + self.hold_width, hi)
            if self.nonneg:
                lo = np.maximum(lo, 0.0)
        if self.tail is not None:
            lin = self.tail_line(xs)
            lo = np.where(~inside, np.minimum(lo, lin), lo)
            if self.tail_w:
                # Between the fit and the fall carried on, so inside [lo, hi] as it was: the interval is unchanged.
                mid = np.where(~inside, (1.0 - self.tail_w) * mid + self.tail_w * lin, mid)
        if self.low is not None:
            beyond = ~inside
            mid, lo, hi = (np.where(beyond, np.maximum(v, self.low), v) for v in (mid, lo, hi))
        if self.held_at is not None:
            bottom, bottom_lo = self.held_at
            beyond = ~inside
            mid, hi = (np.where(beyond, np.maximum(v, bottom), v) for v in (mid, hi))
            lo = np.where(beyond, np.maximum(lo, bottom_lo), lo)
        return mid, lo, hi


def _axis_values(x, method: str) -> np.ndarray:
    """``x`` as axis values of shape (m,), or a UsageTypeError naming the call (a ValueError out of numpy)."""
    try:
        xs = np.atleast_1d(np.asarray(x, dtype=float))
    except (TypeError, ValueError):
        raise UsageTypeError(f"Forecast.{method}({x!r}): an epoch or step, or a list of them") from None
    if xs.ndim != 1:
        raise UsageTypeError(f"Forecast.{method}: an epoch or step, or a list of them, got shape {xs.shape}")
    return xs


def _quantiles(ratio):
    """Calibrated (q05, q95) of the normalised score at horizon ratio(s) ``ratio`` (>= 1).

    Between the last point (R = 1) and the first calibrated knot (R = 2) they run, linear in log R
    (:func:`_short_lead`), from the noise band's +-1.645 (what :meth:`_Model.band` draws inside the logged part) to
    that knot: held at the knot's, a forecast one epoch past a 296-epoch log got the width calibrated for 296 epochs
    ahead."""
    ratio = np.maximum(np.asarray(ratio, dtype=float), 1.0)
    lr = np.log(ratio)
    q05, q95 = np.interp(lr, _CAL_LOG_RATIO, _CAL_Q05), np.interp(lr, _CAL_LOG_RATIO, _CAL_Q95)
    lam = _short_lead(ratio)
    return (np.where(lam < 1.0, lam * q05 - (1.0 - lam) * _NOISE_Z, q05),
            np.where(lam < 1.0, lam * q95 + (1.0 - lam) * _NOISE_Z, q95))


def _short_lead(ratio):
    """How far toward the first calibrated knot (R = 2) a horizon ratio ``ratio`` (t units, >= 1; any shape) is, in
    [0, 1], linear in log R: 0 at the last point, 1 from the knot on, where the interval is as calibrated."""
    r = np.maximum(np.asarray(ratio, dtype=float), 1.0)
    return np.minimum(np.log(r) / _CAL_LOG_RATIO[0], 1.0)


# ---- the entry points -------------------------------------------------------------------------
def _cut(x, lr):
    """``(x, lr, i)`` of the finite pairs with ``i`` the first point of the last constant stretch, when
    the lr got there by a cut (see :func:`last_lr_cut`); None otherwise."""
    if lr is None:
        return None
    x = np.asarray(x, dtype=float)
    lr = np.asarray(lr, dtype=float)
    ok = np.isfinite(x) & np.isfinite(lr)
    x, lr = x[ok], lr[ok]
    if lr.shape[0] < 3 or lr[-1] <= 0:
        return None
    same = np.abs(lr - lr[-1]) <= 0.01 * lr[-1]
    i = lr.shape[0] - 1
    while i > 0 and same[i - 1]:
        i -= 1  # i: the first point of the last constant stretch
    if i < 2 or not lr[i] <= 0.8 * lr[i - 1] or abs(lr[i - 1] - lr[i - 2]) > 0.01 * lr[i - 1]:
        return None
    return x, lr, i


def last_lr_cut(x, lr) -> float | None:
    """The axis value of the first point logged at the current lr, when the lr got there by a cut:
    a step down of >= 20% from a rate held for >= 2 points, held since (ReduceLROnPlateau, StepLR,
    MultiStepLR); None otherwise (a constant lr, a smooth decay or warm-up changes at every point)."""
    c = _cut(x, lr)
    return None if c is None else float(c[0][c[2]])


def lr_cut(x, lr) -> tuple[float | None, float | None]:
    """``(where, ratio)``: :func:`last_lr_cut`, and the lr held since over the lr before the cut
    (0.3 for ReduceLROnPlateau(factor=0.3)); ``(None, None)`` without a cut or without an lr (None)."""
    c = _cut(x, lr)
    if c is None:
        return None, None
    x, lr, i = c
    return float(x[i]), float(lr[-1] / lr[i - 1])


#: A logged lr is read as decaying to 0 at the horizon where a linear or a cosine from its last peak to 0 there passes
#: within this share of the peak of every rate logged since (a definition, not tuned: a logged rate of a step's own
#: schedule sits one step off the curve, 1e-3 of the peak on 2,280 steps; an inverse-sqrt decay, a WSD's stable
#: stretch or a cosine to another end miss it by 0.1-0.5 of the peak).
LR_SHAPE_TOL = 0.02

#: The rate logged last, at least this share of the peak, for the lr-time still to come to be read (below it the
#: schedule has ended: :func:`schedule_ended_note`).
LR_AHEAD_MIN = 1e-3

#: ... and at most this share: the decay's last stretch, where the lr left buys little progress and little of the
#: drop a falling rate adds. Higher up that drop is most of what is to come, and the curve falls past the fit read in
#: lr-time: session 47's char-level MLP (AdamW 1e-2, 2,400 steps) under OneCycleLR at step 1,200 (81% of the peak),
#: [1.832, 2.060] against its end 1.7545, and the same model under a Trainer's cosine at step 600 of 1,200 (54%),
#: [1.972, 2.183] against 1.962; read in steps both held it. At 16% (step 1,800 of the LambdaLR cosine, 900 of the
#: Trainer's) both readings held it; at 2-5% only lr-time did (the cosine at 2,160: [1.701, 1.746] in steps, 1.7565).
LR_AHEAD_MAX = 0.1


def _lr_shape(shape: str, u):
    """The lr over its peak at ``u`` in [0, 1], the share of the way from the peak to the end."""
    u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
    return 1.0 - u if shape == "linear" else 0.5 * (1.0 + np.cos(np.pi * u))


def _lr_area(shape: str, u):
    """The integral of :func:`_lr_shape` from 0 to ``u`` (in units of the decay's length)."""
    u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
    return u - u * u / 2.0 if shape == "linear" else 0.5 * (u + np.sin(np.pi * u) / np.pi)


def lr_to_come(x, lr, horizon: float | None) -> tuple[str, float, float] | None:
    """``(shape, peak_at, horizon)`` where the logged lr (``x``, ``lr``: the run's axis and rates, shape (m,), NaN
    where not logged) is a decay to 0 at ``horizon``, ``"linear"`` or ``"cosine"`` from its last point at its peak
    ``peak_at``, every rate logged since within :data:`LR_SHAPE_TOL` of the peak of that curve, the last 3 each
    lower than the one before and the last from :data:`LR_AHEAD_MIN` to :data:`LR_AHEAD_MAX` of the peak; else None (no lr, no horizon
    past it, an lr held or ended, a decay toward anything else: an inverse square root, a cosine to another end).
    A Trainer's cosine or linear decay to ``max_steps``, a LambdaLR or OneCycleLR to the steps asked for."""
    if lr is None or horizon is None:
        return None
    x, lr = np.asarray(x, dtype=float), np.asarray(lr, dtype=float)
    ok = np.isfinite(x) & np.isfinite(lr)
    x, lr = x[ok], lr[ok]
    if lr.shape[0] < 4 or np.any(lr < 0) or not float(lr.max()) > 0 or not float(horizon) > float(x[-1]):
        return None
    peak = float(lr.max())
    p = int(np.flatnonzero(lr >= (1.0 - 1e-6) * peak)[-1])  # (a WSD's stable stretch: its decay starts at its end)
    last3 = lr[-3:]
    if lr.shape[0] - p < 4 or not np.all(np.diff(last3) < 0) or not LR_AHEAD_MIN * peak <= lr[-1] <= LR_AHEAD_MAX * peak:
        return None
    # The decay's start lies between the last rate logged before the peak and the peak's (a warm-up ends between two
    # logs: a Trainer's cosine logged its highest rate, 0.998 of the peak, 30 steps after the warm-up ended), and its
    # peak is fitted (least squares) with it.
    best = None
    for start in np.linspace(x[p - 1], x[p], 21) if p > 0 else [x[p]]:
        for shape in ("linear", "cosine"):
            f = _lr_shape(shape, (x[p:] - start) / (float(horizon) - start))
            top = float(np.dot(lr[p:], f) / np.dot(f, f))
            miss = float(np.max(np.abs(lr[p:] - top * f))) / top if top > 0 else np.inf
            if best is None or miss < best[0]:
                best = (miss, shape, float(start))
    if best[0] > LR_SHAPE_TOL:
        return None
    return best[1], best[2], float(horizon)


def _lr_time_ahead(shape: str, peak_at: float, end: float, x_last: float):
    """The map of axis values beyond ``x_last`` to ``x_last`` plus the lr-time they hold at the rate at ``x_last``:
    the area under the decay (:func:`lr_to_come`'s ``shape`` from ``peak_at`` to 0 at ``end``) between ``x_last`` and
    them over that rate; past ``end``, where the rate is 0, no more. A step at a tenth of the rate moves the fitted
    curve a tenth as far: near the end of a cosine the steps left hold a third of their number's lr-time at the
    rate now, and the fit carried on over all of them forecast drops that never came (below)."""
    d = end - peak_at
    u_last = (x_last - peak_at) / d
    now = float(_lr_shape(shape, u_last))
    if not now > 0:
        return None
    a_last = float(_lr_area(shape, u_last))

    def warp(xs):
        return x_last + d * (_lr_area(shape, (np.asarray(xs, dtype=float) - peak_at) / d) - a_last) / now

    return warp


def forecast_curve(x, y, horizon: float | None = None, *, metric: str = "value",
                   since: float | None = None,
                   cut_ratio: float | None = None, training: bool = False, batch: bool = False,
                   _weigh_tail: bool = True, noise_floor: float | None = None,
                   offset_free: bool = False, prior_floor: float | None = None,
                   lr_ahead: tuple | None = None) -> Forecast:
    """Forecast a learning curve to ``horizon``.

    Parameters
    ----------
    x : array of shape (n,)
        Axis values (epochs or steps), increasing. Non-finite pairs are dropped.
    y : array of shape (n,)
        Metric values, LOWER IS BETTER (pass ``-acc`` or ``1 - acc`` for an accuracy).
    horizon : float, optional
        Axis value to forecast to; default twice the logged length,
        ``x0 + 2 (x_last - x0)``.
    metric : str
        Name carried into the result.
    since : float, optional
        Axis value where the lr was last cut to the rate it holds now (:func:`last_lr_cut`): the curve
        is fitted from there; with fewer than :data:`MIN_POINTS` points since, the forecast holds their
        median. ``note`` says which.
    cut_ratio : float, optional
        The lr since the cut over the lr before it (:func:`lr_cut`): a held level's 90% interval is the
        noise of one point at the new rate, the recent points' noise times sqrt(cut_ratio) (the spread
        at a constant step scales as sqrt(lr)), with the held median's own error; None: 1.
    training : bool
        The curve is a training loss (no held-out data): ``p_improve`` is read through the map
        fitted on training losses (``_P_CAL_TRAIN``), which keep falling more often than held-out
        ones. Default False: the map fitted on held-out losses.
    batch : bool
        Each point is a batch's loss (a training loss logged by step, :func:`losslens.facts.batch_loss`): the
        fit is anchored on the mean of the last points' residuals, not their median (the level of a skewed
        spread is its mean). Default False.
    noise_floor : float, optional
        The data's noise floor in ``y``'s units, where known (a regression's target noise variance, for a
        validation MSE): beyond the last point the value is held at or above it (:func:`_held_at`).
    offset_free : bool
        The loss has no zero point (a Gaussian NLL, a continuous ELBO: measuring the target in other units adds a
        constant; :func:`losslens.facts.offset_free` says it of a run's loss), so 0 is no floor: the forecast is not
        clipped at 0, its gain and ``p_improve``'s 1% are shares of the curve's improvement so far, not of its
        level (:attr:`Forecast.per_improvement`), and its interval's width is weighed against that improvement
        (:func:`_uncertain`). Default False: read as before, held above 0 where the fitted points are.
    lr_ahead : (str, float, float), optional
        The lr's decay still to come, ``(shape, peak_at, end)`` as :func:`lr_to_come` reads it from the logged lr:
        beyond the last point the fit is read in lr-time, each step counted at its share of the current rate
        (:func:`_lr_time_ahead`), so a decay toward 0 at ``end`` leaves the curve the progress its remaining lr
        buys, not that of as many steps at the rate now. None: steps count as steps.
    prior_floor : float, optional
        A classifier's validation cross-entropy where a constant answer at validation's class frequencies scores it
        (:func:`losslens.facts.chance.constant_answer`), for a run read as giving every input the same answer or
        none that carries over (``stuck_at_init``/``no_signal`` at it): beyond the last point the value and its
        whole interval are held at or above it (:attr:`Forecast.prior_floor`). No draw of the noise goes under it:
        the share is validation's own, and no answer that ignores the inputs scores less on those examples.

    Returns
    -------
    Forecast
        With fewer than :data:`MIN_POINTS` finite points, a wide forecast with ``reason``
        set and ``p_improve`` None. Raises :class:`EmptyRunError` with no finite point.
    """
    x = np.asarray(x, dtype=float).reshape(-1)
    y = np.asarray(y, dtype=float).reshape(-1)
    if x.shape != y.shape:
        raise UsageError(f"x has {x.shape[0]} points, y has {y.shape[0]}")
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size and np.any(np.diff(x) <= 0):
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
        keep = np.r_[True, np.diff(x) > 0]
        x, y = x[keep], y[keep]
    # Each family's fit costs O(n): a 500,000-step curve took 19 s. Bin means keep the shape (the benchmark's
    # curves, at most 1,080 points, are fitted as logged); every caller's forecast fits the same points.
    x, y = fitted_points(x, y)
    n = x.shape[0]
    if n == 0:
        raise EmptyRunError(f"no finite values of {metric} to forecast")
    x0, x_last = float(x[0]), float(x[-1])
    span = x_last - x0
    if horizon is None:
        horizon = default_horizon(x)
    horizon = float(check_horizon(horizon))
    if horizon <= x0:
        raise UsageError(f"horizon {horizon:g} is not after the first logged point ({x0:g})")
    if n < MIN_POINTS or span <= 0:
        return _insufficient(x, y, horizon, metric, "too_few_points")

    y_logged = y  # as logged, for the floor after an lr cut (see below)
    y = _despike(y)
    x_all, y_all = x, y  # X is measured from the real start, as DESIGN.md defines it
    # A curve that blew up before it came down (a too-large first step: ≥ 25% above its start,
    # diagnosis.py's divergence growth) is forecast from its peak: every family decays from its
    # first point, and the climb would read as a decay.
    peak = int(np.argmax(y))
    start = peak if 0 < peak < n // 2 and n - peak >= MIN_POINTS and y[peak] - y[0] > 0.25 * abs(y[0]) \
        and horizon > x[peak] else 0
    # The lr was cut at `since`: the curve before it ran at another step, and the families fitted across
    # the cut extend its drop (a curve right after a cut drops, then flattens at the new rate).
    after_cut = None
    if since is not None and x[0] < since <= x_last:
        i = int(np.searchsorted(x, since))
        after_cut = (float(x[i]), n - i)
        if n - i >= MIN_POINTS:
            start = i
    # A curve that fell and has risen since (validation loss once the model memorises) is fitted
    # from its trough: each family is monotone, and fitted across the turn the fall outweighs the
    # rise, so anchoring at today's level left a flattening fall that forecast a further drop
    # (keras_csvlogger: 0.282 at epoch 15 rising to 0.376 at 79, forecast "0.7% lower by 200").
    trough = _trough(y[start:])
    if trough is not None and horizon > x[start + trough]:
        start += trough
    if start:
        x, y = x[start:], y[start:]
        n = x.shape[0]
        x0, span = float(x[0]), x_last - float(x[0])
    y_ref = float(np.median(y))
    scale = float(np.ptp(y))
    if scale <= 0:
        scale = abs(y_ref) * 1e-6 if y_ref else 1e-12  # (relative, per_level; all zero: no scale of its own)
    t = (x - x0) / span
    z = (y - y_ref) / scale
    dt = float(np.min(np.diff(t)))
    grids = _family_grids(dt)
    sigma = difference_noise(z)
    nonneg = not offset_free and bool(np.all(y >= 0))
    model_fits, weights = _ensemble(t, z, grids, sigma, c_min=-y_ref / scale if nonneg else None)
    fits = model_fits
    # Anchor: shift the ensemble so it passes through the recent points (the median residual
    # of the last ~10%), since the forecast starts from where the curve is now.
    k = max(2, n // 10)
    tmp = _Model(fits, weights, x0, span, y_ref, scale, 0.0, sigma, 0.0, False)
    mean_obs, _ = tmp.mean_spread(t)
    if batch:
        # A batch loss's level is the mean of its batches, upper tail and all (facts.smoothing.level_smooth, the
        # line the chart draws), and its median sits far under it once most batches are fitted and a few hard ones
        # are not: a tiny BERT's batch losses at step 160, mean 0.146 and median 0.092 over the next 40 steps, had
        # its level now at 0.065, under the chart's line (0.182) beside it. The anchor is their mean residual, of
        # the points as logged: _despike took 15 of its 160 batches for spikes.
        shift = float(np.mean((y_logged[-k:] - y_ref) / scale - mean_obs[-k:]))
    else:
        shift = float(np.median(z[-k:] - mean_obs[-k:]))
    floor = 1e-3 * per_level(y_ref) / scale
    model = _Model(fits, weights, x0, span, y_ref, scale, shift, sigma, floor, nonneg)
    model.misfit = float(np.sqrt(np.mean((z[-k:] - mean_obs[-k:] - shift) ** 2)))
    level_z = float(mean_obs[-1] + shift)
    model.level_z = level_z
    if lr_ahead is not None and after_cut is None:
        model.warp = _lr_time_ahead(*lr_ahead, x_last)
    h_fit = float(model.ahead(np.array([horizon]))[0])  # the horizon as the fit reads it (lr-time, where known)
    model.t_h = (h_fit - x0) / span
    model.held_at = _held_at(y_logged, noise_floor, k) if noise_floor is not None and nonneg else None
    if prior_floor is not None and nonneg:
        # Where the curve now sits under it (within the 0.5% the diagnosis allows), that level: a forecast is not
        # pushed above where the run already is.
        bottom = min(float(prior_floor), float(np.min(y_logged[-k:])))
        model.held_at = (bottom, bottom)
    level = y_ref + scale * level_z
    recent = float(np.min(y[-k:]))
    if n < CHECKED_POINTS and nonneg and level < 0.5 * recent:
        # No held-out tail to weigh the families by, and the fit misses where the curve is now (a flat
        # start, a cliff and a floor: no saturating family passes through all three on 5 points).
        return _insufficient(x_all, y_all, horizon, metric, "too_few_points", reason=(
            f"only {n} points, too few to forecast a curve of this shape (need {CHECKED_POINTS}: the fit through "
            f"{n} puts the level now at {level:.4g}, below the last logged {float(y[-1]):.4g}); "
            "the interval is a wide guess"))
    # Fewer than MIN_POINTS since an lr cut: the fit runs across the cut and misses the level after it by
    # design; the forecast holds that level instead (below).
    holding = after_cut is not None and after_cut[1] < MIN_POINTS
    miss = None if holding else _missed_present(x, y_logged[-n:] if batch else y, level, nonneg, batch)
    if miss is not None:
        # A forecast has to start from where the curve is; one whose fitted level now the last points
        # contradict is a shape no saturating family follows (a loss that blew up by orders of magnitude and
        # is coming back, a jump). Of the forecast benchmark's 4,376 forecasts (both halves, 10/25/50% of each
        # curve), the 16 such were off by a median 100% at the run's end (the rest 4.2%) and their intervals
        # held it 44% of the time (the rest 90%); holding the last points' median with one point's noise
        # would have done no better (95%, its interval 25%), nor the last value (99%): no forecast, and why.
        # DeepOBS cifar10_3c3d at Adam lr 1.58 (fixture deepobs_blowup), 3.59 -> 3.5e4 -> 7.22 at epoch 100,
        # had its level now at -536 and "0 (100% higher)" by epoch 200.
        median, noise, k_r = miss
        centre = "mean" if batch else "median"
        return _insufficient(x_all, y_all, horizon, metric, "misses_curve", reason=(
            f"the fit misses where the curve is now, a shape no learning-curve family follows (a blow-up and its "
            f"recovery, a jump): its level now {level:.4g} against the last {k_r} points' {centre} {median:.4g}, last "
            f"{float(y[-1]):.4g} (noise sd {noise:.2g}); the interval is a wide guess"))
    # (Where a noise floor is given, a level under it is held there instead: below.)
    steep = None if holding or batch or model.held_at is not None else _overshoots_present(x, y, level, nonneg)
    if steep is not None:
        # The median-residual anchor puts the fit through the middle of the last points; a fit that falls far
        # faster than they do crosses them there and ends under all of them, and its slope is what it carries
        # on. Keras Adam(3e-3) on digits, ReduceLROnPlateau down to min_lr 1e-6, no lr logged
        # (tests/fixtures/ecosystem/keras_rlrop_floor): its training loss fell 0.11% over its last quarter to
        # 0.003378 at epoch 79, every one of its last 50 points >= 0.003378, yet its level now read 0.003212
        # and "40% lower by epoch 160, P = 100%"; trained on to 160 it reached 0.003354 (-0.7%).
        low, fall, k_r = steep
        return _insufficient(x_all, y_all, horizon, metric, "misses_curve", reason=(
            f"the fit falls far faster than the curve does now: its level now {level:.4g} is under every one of the "
            f"last {k_r} points (lowest {low:.4g}, a fall of {fall:.2g} across them), and that fall is what it "
            "would carry on; the interval is a wide guess"))
    if model.held_at is not None and level < model.held_at[0]:
        # A fitted level under the floor and under every one of the last points is the fit's overshoot, not where
        # the curve is: measured from it, the held value read "2.4% higher" of a curve that only flattened.
        level = model.held_at[0]

    t_h = (h_fit - x0) / span
    model.tail = _steady_tail(x, y, level, h_fit, nonneg)
    if model.tail is not None and _weigh_tail:
        model.tail_w = _tail_weight(x, y, h_fit)
    if offset_free:
        # 0 is no floor of this loss, so |level| is no yardstick (a Gaussian NLL's moves with the target's units):
        # its gains are shares of the curve's own improvement, its highest point less its level now.
        model.ref = float(np.max(y_all)) - level
    mid_h, lo_h, hi_h = (float(v[0]) for v in model.band(np.array([horizon])))
    gain = (level - mid_h) / _reference(model, level)
    p_improve = _p_improve(model, t_h, level, training) if t_h > 1.0 else 0.0
    plateau = _plateau_epoch(model, float(x_all[0]), horizon, x_all, y_all)
    note = None
    if after_cut is not None and after_cut[1] < MIN_POINTS:
        # Too few points at the new rate to see where it flattens: the fit across the cut carries the drop
        # on (Keras ReduceLROnPlateau on y = 2 x1 + 3 x2 + N(0, 0.3²), 4 seeds: 23 of 57 forecasts made 1-4
        # epochs after a cut fell below the noise variance 0.09, median error 4.9%; held at the median of
        # the points since the cut: 0.33%, none below). The level now is that median too.
        note = (f"only {after_cut[1]} point(s) since the lr was cut at {_g(after_cut[0])}: a curve right after a cut drops (a score jumps), "
                f"then flattens, and the fit across the cut would carry that on (to {_g(mid_h)}); the value is "
                "the level since the cut, the interval is the noise at the new rate")
        k_cut = after_cut[1]
        model.hold = float(np.median(y_all[-k_cut:]))  # the points at the new rate
        # Its interval: one point's noise at the new rate around that median, not the fit across the cut
        # (whose lower bound reached 0 where the run held 0.097 at a noise floor of 0.09). Keras
        # ReduceLROnPlateau(factor=0.3) on y = 2 x1 + 3 x2 + N(0, 0.3²), 8 seeds, 114 forecasts made 1-4
        # epochs after a cut: the final value inside 94% (was 100% at a median half-width of 27%), the
        # later points 96%, lowest bound 0.069 (was 0); keras_rlrop.csv 89%.
        model.hold_width = _noise_at_new_rate(y_all, k_cut, cut_ratio)
        # A steady fall before the cut goes on from the held level at the new rate, the slope times the lr's ratio
        # (a small step's drift per epoch is proportional to it). Taken across the cut from the level before it,
        # the fall pulled the lower bound far under the band just held: a Friedman1 MLP at SGD(0.002) cut to 0.0002
        # at epoch 97, forecast at 99 for 199, [0.2167, 0.2742]; at the new rate [0.2681, 0.2742], and it went on
        # to 0.2690 (the band alone, [0.27416, 0.27420], missed it). tests/fixtures/ecosystem/torch_slow_tail.
        tail = _steady_tail(x[:-k_cut], y[:-k_cut], model.hold, horizon, nonneg) if cut_ratio else None
        model.tail = None if tail is None else (float(x_all[-1]), model.hold, tail[2] * cut_ratio, tail[3])
        model.tail_w = 0.0  # the value is the level held since the cut
        mid_h, lo_h, hi_h = (float(v[0]) for v in model.band(np.array([horizon])))
        plateau = _plateau_epoch(model, float(x_all[0]), horizon, x_all, y_all)
        level, gain, p_improve = model.hold, 0.0, min(p_improve, calibrate_p(0.5, training))
    elif after_cut is not None:
        note = f"fitted on the {n} points since the lr was cut at {_g(after_cut[0])}: the curve at the current lr"
        k_cut = after_cut[1]
        before = y_logged[:y_logged.shape[0] - k_cut]
        if k_cut < 2 * MIN_POINTS and int(np.argmin(before)) < before.shape[0] - 1:
            # A cut after the curve had stopped improving (ReduceLROnPlateau's, or a step on a plateau): the drop
            # that follows is the spread shrinking to the new rate's, and a fit on its first 5-9 points reads it
            # as a trend and carries it on. Keras ReduceLROnPlateau(factor=0.1, patience=10) on y = 2 x1 + 3 x2 +
            # N(0, 0.3²) (validation MSE >= 0.09): 5 points after the cut (0.0953 ... 0.0912) the forecast for
            # epoch 59 was 0.0835 with its 90% interval from 0.037 (epoch 1000: 0.0787, from 0); the run ended at
            # 0.0915. Held above the lowest point since the cut less its noise (1,388 forecasts made >= 5 points
            # after a cut on 48 Keras and PyTorch runs, ReduceLROnPlateau factor 0.1-0.5 and StepLR): median error
            # to the run's end 0.50% -> 0.49%, coverage 98% as before; on the 19 noise-floor runs, values below
            # 0.09 20 -> 10 (now >= 0.0897) and lower bounds below 0.08 139 -> 27 (all from >= 10 points after
            # the cut, left to the fit). A steady descent cut by a StepLR (the lowest point the last one before
            # the cut) keeps its fit, and so does a cut seen from 10 points on: the fit sees where it flattens.
            # One point's 90% noise at the new rate, as the held level's (the last 10 points' noise x sqrt(new lr /
            # old lr)), below the lowest point logged since the cut (a low the despiking smoothed away was reached);
            # at least the band's own floor, 1e-3 of the level: an lr decayed to nothing leaves no noise to measure,
            # and the curve still moves by a few 1e-8 (keras_rlrop_noise_floor at min_lr 3e-5).
            lowest = float(np.min(y_logged[-k_cut:]))
            width = _noise_at_new_rate(y_all, k_cut, cut_ratio)
            model.low = lowest - max(width, 1e-3 * abs(lowest))
            if mid_h < model.low or lo_h < model.low:
                mid_h, lo_h, hi_h = (float(v[0]) for v in model.band(np.array([horizon])))
                gain = (level - mid_h) / _reference(model, level)
                p_improve = _p_improve(model, t_h, level, training) if t_h > 1.0 else 0.0
                plateau = _plateau_epoch(model, float(x_all[0]), horizon, x_all, y_all)
                note += (f"; not below {_g(model.low)}, the lowest point since the cut less its noise at the new "
                         "rate: a drop right after a cut is the spread shrinking, not a trend")
    if model.warp is not None and t_h > 1.0:
        shape, peak_at, end = lr_ahead
        share = (h_fit - x_last) / (horizon - x_last)
        note = ("" if note is None else note + "; ") + (
            f"the logged lr decays to 0 at {_g(end)} ({shape} from its peak at {_g(peak_at)}): the rest of the run "
            f"holds the lr of {share:.0%} of its length at the rate now, and the fit is carried on that far, not over "
            "every step at that rate: as the lr goes to 0 the curve flattens")
    if nonneg and mid_h <= 0.0 < level:
        note = ("" if note is None else note + "; ") + TREND_AT_FLOOR
    if prior_floor is not None and model.held_at is not None and mid_h <= model.held_at[0]:
        note = ("" if note is None else note + "; ") + (
            f"held at {_g(model.held_at[0])}: no lower than {_g(prior_floor)}, what a constant answer at "
            "validation's class frequencies scores, which a model that ignores its inputs cannot go under")
    elif model.held_at is not None and mid_h <= model.held_at[0]:
        note = ("" if note is None else note + "; ") + (
            f"held at {_g(model.held_at[0])}: no lower than the data's noise floor {_g(noise_floor)}, or the lowest of "
            "the last points where the curve is under it already (that validation set's own draw of the noise)")
    fit_alone = None
    if model.tail is not None and model.tail_w and t_h > 1.0:
        w, model.tail_w = model.tail_w, 0.0
        fit_alone = (float(model.band(np.array([horizon]))[0][0]), _p_improve(model, t_h, level, training))
        model.tail_w = w
    return Forecast(metric=metric, horizon=horizon, value=mid_h, interval=(lo_h, hi_h), level=level,
                    gain=gain, p_improve=p_improve, plateau_epoch=plateau, x0=x0, x_last=x_last,
                    n_points=n, weights={f.name: float(w) for f, w in zip(fits, weights)},
                    note=note, per_improvement=model.ref is not None and model.ref > 0,
                    uncertain=_uncertain(lo_h, hi_h, level, nonneg, model.ref), fit_alone=fit_alone, _model=model,
                    lr_ahead=lr_ahead if model.warp is not None else None,
                    noise_floor=None if model.held_at is None or prior_floor is not None else float(noise_floor),
                    prior_floor=None if model.held_at is None or prior_floor is None else float(prior_floor))


def forecast_run(run, horizon: float | None = None, metric: str | None = None,
                 higher_is_better: bool | None = None) -> Forecast:
    """Forecast ``metric`` (default: the series a diagnosis reads) of a :class:`~losslens.Run`.

    A loss with no zero point (:func:`losslens.facts.offset_free`: one of the run's losses went below 0, or the run
    says so, ``--offset-free``) is not held above 0.

    A score (``higher_is_better``, default from the metric's name: accuracy, R², Dice, reward
    ...) is forecast as its distance below its ceiling, ``1 - acc`` for a fraction, ``100 - s``
    for a percentage, ``-s`` otherwise (:func:`score_top`), and returned on its own scale with
    higher = better: ``value``/``interval``/``level`` are scores, ``gain`` and ``p_improve``
    refer to the score rising.
    """
    from .facts import batch_loss, choose_metric, metric_direction, offset_free, require_ahead, stated_noise_floor

    never = never_finite(run, metric, horizon)
    if never is not None:
        return never
    metric = choose_metric(run, metric)  # the file's own spelling is fine ("eval_accuracy" -> val_acc)
    x, y = run.finite(metric)
    if x.size == 0:
        raise EmptyRunError(f"no finite values of {metric}", run.source or run.name)
    # A value inside the logged range is a fit, not a forecast: "will more epochs help?" has no answer there.
    require_ahead(run, horizon, metric)
    planned = planned_horizon(run, float(x[-1])) if horizon is None else None
    if planned is not None:
        horizon = planned[0]
    higher = bool(metric_direction(metric)) if higher_is_better is None else bool(higher_is_better)
    top = score_top(y, metric) if higher else None
    batch = batch_loss(run.axis_name, metric) and not higher
    try:
        fc = fit_series(x, top - y if higher else y, horizon, metric=metric, training=training_loss(metric, higher),
                        axis=run.axis, lr=run.get("lr"), noise_floor=stated_noise_floor(run, metric, higher),
                        batch=batch,
                        offset_free=metric in ("train_loss", "val_loss") and not higher and offset_free(run))
    except EmptyRunError as exc:
        raise EmptyRunError(exc.problem, run.source or run.name) from None
    withheld = broken_down(run, metric, x, y, horizon)
    if withheld is not None:
        fc, higher = withheld, False  # (its values are the metric's own already)
    if planned is not None:
        fc.horizon_from = planned[1]
    if not higher and not fc.reason:
        fc.best = fc.over_best(y, training=training_loss(metric), batch=batch)
    if higher:
        fc = on_score_scale(fc, y, top)
    if not higher:
        from .facts.optimizer import cycle_ends

        lr = run.get("lr")
        reached_in_cycles(fc, None if lr is None else cycle_ends(lr, run.axis, x, y))
    ended = None if fc.reason else schedule_ended_note(run.get("lr"))
    if ended:
        fc.note = ended if not fc.note else f"{fc.note}; {ended}"
        fc.schedule_ended = True
    fc.axis = run.axis_name
    fc._run = run
    return fc


def reached_in_cycles(fc: Forecast, c) -> None:
    """Say in the note of ``fc`` (a loss's forecast, lower is better) that the run's lr restarted (``c``,
    :func:`losslens.facts.optimizer.cycle_ends` of the curve; None: no restart) and where its cycles ended, and take
    its 90% interval down to the best cycle end less the spread of the ends where the interval lies above that. A fit
    from a restart's jump sees only the rise and the new cycle's first steps: Keras' CosineDecayRestarts cut 4 epochs
    into its third cycle was forecast 0.160 [0.150, 0.175] at epoch 69, the end of that cycle, where it ended at
    0.103, the level both earlier cycles had ended at (tests/fixtures/ecosystem/keras_sgdr_restarts); and the whole
    70 epochs, fitted through the jumps, "17.9% lower by 138", where 150 epochs ended at 0.1032. The value and P stay
    the fit's: where in its cycle the horizon falls the log cannot say."""
    if fc.reason or c is None:
        return
    ends = ", ".join(f"{v:.4g}" for v in c.values)
    # (Less the spread the ends show between them: the next end is one more draw of that level, and the third cycle's
    # end above, 0.10303, sat 0.0001 under the best of the two before it.)
    best = min(c.values) - (max(c.values) - min(c.values))
    if best < fc.interval[0]:
        fc.interval = (best, fc.interval[1])
        said = (f"the lr restarted (warm restarts) and its cycles ended at {ends}: the interval reaches down to that "
                "level, which the curve returns to at a cycle's end (where in its cycle the horizon falls the log "
                "cannot say)")
    else:
        said = (f"the lr restarted (warm restarts) and its cycles ended at {ends}: the fit runs through the restarts' "
                "jumps, and the level to expect at a cycle's end is the one the cycles ended at")
    fc.note = said if not fc.note else f"{fc.note}; {said}"


def schedule_ended_note(lr) -> str | None:
    """The caveat on a forecast of a run whose planned decay ran the lr to ~0 as it ended (``lr``: the logged rates,
    shape (n,), NaN where not logged; None: no lr), else None: its last 3 logged rates each fell, the last under
    ``annealed_end_ratio`` of the peak and the last step's fall carried on reaching ``annealed_lr_ratio`` of it at the
    next (diagnosis' ``_ends_at_zero``, the same bars), or it logged 0 itself. The fit carries the curve on as though
    the step that shaped it held; past a schedule's end the lr is ~0 and more steps hold the loss where it is, while a
    longer schedule is another run: a Trainer's warm-up + linear decay to 0 over 200 steps was forecast "0.9% lower by
    step 390, P = 37%" (interval 1.649-1.757), where the same decay over 400 steps ended at 1.335, 22% lower."""
    from .diagnosis import DEFAULT

    if lr is None:
        return None
    fin = np.asarray(lr, dtype=float)
    fin = fin[np.isfinite(fin)]
    if fin.size < 3 or not float(fin.max()) > 0 or np.any(fin < 0):
        return None
    peak, last = float(fin.max()), float(fin[-1])
    step = np.diff(fin[-3:])
    falling = bool(np.all(step < -1e-3 * np.abs(fin[-3:-1])))  # (OptimizerFacts.lr_falling's bar)
    at_zero = last == 0 or (falling and last < DEFAULT.annealed_end_ratio * peak
                            and last + float(step[-1]) <= DEFAULT.annealed_lr_ratio * peak)
    if not at_zero:
        return None
    return (f"the learning rate's schedule ran it to ~0 as the run ended ({last:.2g}, {last / peak:.2g} of its peak "
            f"{peak:.2g}): the value, interval and P carry the fitted curve on as though the lr held; training on at "
            "the end rate will not follow it, and where a longer schedule ends only retraining measures")


def fit_series(x, y, horizon: float | None = None, *, metric: str = "value", training: bool = False,
               axis=None, lr=None, cut: tuple[float | None, float | None] | None = None,
               batch: bool = False, noise_floor: float | None = None, offset_free: bool = False) -> Forecast:
    """The fit behind every forecast of a logged series: :func:`forecast_curve` of ``y`` (shape (n,), lower is
    better: a score's error ``top - score``) from the logged lr's last cut (:func:`lr_cut` of ``axis``, ``lr``:
    the run's axis and lr, shape (m,), NaN where not logged; None: no lr). :func:`forecast_run` (``losslens
    forecast``, the diagnosis) and :class:`~losslens.stopping.ForecastStopping` (the callbacks' ``stop_gain``,
    ``losslens watch``) both forecast through it, so that a stop is decided on the forecast the user is shown: the
    stopping rule, blind to the lr, fitted across a ReduceLROnPlateau cut and quoted 0.2434 where ``losslens
    forecast`` held 0.2844 (tests/fixtures/logs/keras_rlrop.csv at epoch 20). ``cut``: that ``lr_cut``'s
    ``(where, ratio)`` where the caller has it already (the stopping rule, which also counts the points since it),
    in place of ``axis`` and ``lr``. ``batch``: each point is a batch's loss; ``noise_floor``: the data's, where the run
    states it; ``offset_free``: the loss has no zero point (:func:`forecast_curve`)."""
    if cut is None:
        cut = lr_cut(axis, lr) if axis is not None else (None, None)
    since, ratio = cut
    ahead = lr_to_come(axis, lr, horizon) if axis is not None and since is None else None
    return forecast_curve(x, y, horizon, metric=metric, since=since, cut_ratio=ratio, training=training,
                          batch=batch, noise_floor=noise_floor, offset_free=offset_free, lr_ahead=ahead)


def on_score_scale(fc: Forecast, y: np.ndarray, top: float) -> "FlippedForecast":
    """A forecast of a score's error ``top - y`` (:func:`fit_series`) on the score's own scale, as it is shown:
    kept above the score's floor (:func:`score_bottom` of the logged scores ``y``, shape (n,)) and flagged
    uncertain on that scale (:func:`score_uncertain`). Shared by :func:`forecast_run`, the diagnosis and
    :attr:`~losslens.stopping.ForecastStopping.metric_forecast`."""
    return FlippedForecast.wrap(fc, top, score_bottom(y, top))


def broken_down(run, metric: str, x, y, horizon) -> Forecast | None:
    """The forecast withheld, with its reason, where ``metric`` turned NaN/inf for good
    (:func:`~losslens.facts.divergence.nonfinite_start`: the run diverged), else None. A fit of the finite
    stretch before it (a clean descent, often) forecast "55% lower by epoch 24" of a Keras run that had
    ended in NaN at 13. ``x``, ``y``: the finite points of ``metric`` (shape (n,)), in its own direction;
    ``horizon``: the one asked or planned, None for the default, twice the run's logged length (its rows, NaN
    ones too: a DeepOBS run of 351 epochs, finite for 37, was withheld "to epoch 74", inside the run)."""
    from .facts.divergence import nonfinite_onset, stated_final

    onset = nonfinite_onset(np.asarray(run.series[metric], dtype=float), stated_final(run, metric))
    if onset is None:
        return None
    i, kind = onset
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if horizon is None:
        horizon = default_horizon(np.asarray(run.axis, dtype=float))
    return _insufficient(x, y, horizon, metric, "diverged", reason=(
        f"{metric} turned {kind} at {run.axis_name} {float(run.axis[i]):g} and stayed so: the run diverged, and "
        "a fit of the curve before it broke down says nothing of where it is heading"))


def never_finite(run, metric: str | None, horizon) -> Forecast | None:
    """The forecast withheld as ``"diverged"`` where the run's losses were logged but never finite (NaN from its
    first value, what ``diagnose`` reads as diverged: :func:`~losslens.facts.divergence.never_finite_losses`), else
    None. It has no finite point, so ``value``, ``level`` and ``interval`` are NaN (null in JSON) and ``n_points`` 0;
    ``horizon``: the one asked, else twice the logged length (:func:`default_horizon` of its rows). A Keras fit
    NaN from its first batch got no forecast object from ``losslens forecast`` (exit 2, nothing on stdout) nor a
    :class:`Forecast` from ``losslens.forecast()`` (NoLossError), while ``diagnose`` read it diverged, exit 0."""
    from .facts.divergence import never_finite_losses

    found = never_finite_losses(run, metric)
    if not found:
        return None
    axis = np.asarray(run.axis, dtype=float)
    axis = axis[np.isfinite(axis)]
    if horizon is None:
        horizon = default_horizon(axis) if axis.size else float(len(run))
    x0, x_last = (float(axis[0]), float(axis[-1])) if axis.size else (0.0, float(len(run) - 1))
    why = (f"{', '.join(sorted(found))} never had a finite value ({len(run)} points logged): the run diverged from "
           "its start, and there is no curve to forecast")
    fc = Forecast(metric=found[0], horizon=float(horizon), value=math.nan, interval=(math.nan, math.nan),
                  level=math.nan, gain=0.0, p_improve=None, plateau_epoch=None, x0=x0, x_last=x_last, n_points=0,
                  withheld="diverged", reason=why)
    fc.axis = run.axis_name
    fc._run = run
    return fc


def default_horizon(x: np.ndarray) -> float:
    """The horizon when none is asked or planned: twice the logged length, ``x[0] + 2 (x[-1] - x[0])`` of the
    axis values logged (shape (n,), increasing); one past the last point where there is only one. Shared by
    ``losslens forecast`` and ``diagnose``, so the two quote one horizon for a run."""
    x0, x_last = float(x[0]), float(x[-1])
    return x0 + 2.0 * (x_last - x0) if x_last > x0 else x_last + 1.0


def planned_horizon(run, x_last: float) -> tuple[float, str] | None:
    """``(planned end, where the log states it)`` when the log states the run's planned end
    (``run.meta["planned_end"]``, in the run's axis units and numbering, and ``meta["planned_end_from"]``:
    a Trainer's ``max_steps``, Keras' ``Epoch k/N``) and it lies beyond ``x_last``, the last point
    forecast from, in a run that did not get there (a checkpoint of a run under way, a killed job, an
    early stop); else None, and the forecast goes to twice the logged length. A Trainer that finished
    logs its last loss at the last multiple of ``logging_steps``, short of ``max_steps``: its
    ``global_step`` says it got there. Not where a callback says the framework's EarlyStopping ended it
    (``meta["stopped_early"]`` with its ``by``): that run was never going on to the end, and "P = 70% that training
    on to epoch 99 gains > 1%" was said of a Lightning MLP EarlyStopping ended at epoch 27, whose val_loss, trained
    on, rose 0.262 -> 0.326."""
    meta = getattr(run, "meta", None) or {}
    if isinstance(meta.get("stopped_early"), dict) and meta["stopped_early"].get("by"):
        return None
    end = meta.get("planned_end")
    try:
        end = float(end)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(end) or end <= x_last:
        return None
    done = meta.get("global_step")
    if getattr(run, "axis_name", None) == "step" and isinstance(done, (int, float)) and done >= end:
        return None
    return end, str(meta.get("planned_end_from") or "the planned end")


def beyond_calibration(x0: float, x_last: float, horizon: float) -> str | None:
    """A caveat where ``horizon`` lies further past ``x0`` than the 10x the logged span (``x_last - x0``) the
    interval's width was calibrated to (``_CAL_LOG_RATIO``; beyond it the width is held at the 10x value, so
    the interval is too narrow): a planned end far ahead of a checkpoint early in a run. Else None."""
    span = x_last - x0
    if not span > 0:
        return None
    ratio = (horizon - x0) / span
    if not ratio > float(np.exp(_CAL_LOG_RATIO[-1])) * 1.0001:
        return None
    times = f"{ratio:.0f}" if ratio < 1e15 else f"{ratio:.3g}"  # not 298 digits for a horizon of 1e300
    return (f"that is {times}x the logged length, past the 10x the forecast's interval was calibrated on: "
            "read it as narrower than the uncertainty")


def training_loss(metric: str, higher: bool = False) -> bool:
    """A loss measured on the training data (``loss``, ``train_loss``), whose ``p_improve`` is read
    through the map fitted on training losses; a score (``higher``) or a held-out series is not."""
    from .columns import is_validation

    return not higher and not is_validation(metric)


def _log_likelihood(metric: str) -> bool:
    """Whether ``metric``'s name says it is a log-likelihood or a bound on one (``val_loglik``, ``elbo``): a
    score with no ceiling at 1, however often its values sit under it."""
    import re

    from .facts import LIKELIHOOD_WORDS

    return any(w.startswith(LIKELIHOOD_WORDS) for w in re.split(r"[^a-z0-9]+", str(metric).lower()) if w)


def score_top(y: np.ndarray, metric: str | None = None) -> float:
    """The ceiling a score is forecast below: 1 when every value is at most 1 (accuracy, F1, and
    R² or a correlation, which can start negative), 100 for a percentage, else 0 (``-score``: no
    ceiling known; a log-likelihood's, whatever its values). The distance to the ceiling keeps a floor at 0, so the forecast cannot promise
    an accuracy above 1. An RL agent's episode reward (``metric``, columns.rl_reward) has no such
    ceiling: a PPO reward at 96 after 30k steps was forecast "at most 100" as if it were a percentage."""
    from .columns import rl_reward

    if metric is not None and rl_reward([metric]) is not None:
        return 0.0
    if metric is not None and _log_likelihood(metric):
        return 0.0  # (a Gaussian's val_loglik of -1.53 was read "its error 1 − val_loglik -0.24%")
    y = np.asarray(y, dtype=float)
    y = y[np.isfinite(y)]
    if not y.size:
        return 0.0
    return 1.0 if np.all(y <= 1) else 100.0 if np.all((y >= 0) & (y <= 100)) else 0.0


def score_bottom(y: np.ndarray, top: float) -> float | None:
    """The floor a score is forecast above: 0 for a score with a ceiling (``top`` 1 or 100, :func:`score_top`)
    that was never below 0 (an accuracy, mAP, F1), else None (an R² that started negative, a score with no
    ceiling). The rule a loss's floor follows (never negative in the log: never forecast below 0), on the
    score's own scale: on the forecast benchmark's 809 real scores (DeepOBS test accuracy, Keras val_acc,
    YOLO mAP50-95) given the first 10% of each, 19-20% of the 90% intervals reached below 0 (YOLO's: 25-55%)."""
    if not top > 0:
        return None
    y = np.asarray(y, dtype=float)
    y = y[np.isfinite(y)]
    return 0.0 if y.size and bool(np.all(y >= 0)) else None


def score_uncertain(lo: float, hi: float, level: float, bottom: float | None) -> str | None:
    """Why a score's 90% interval ``[lo, hi]`` says too little to quote, else None: :func:`_uncertain`'s rule
    on the score's own scale (it reaches the floor 0, or is wider than the score now). Read on the error
    ``top - score`` the forecast fits, the rule would flag every interval that reaches a perfect score, which
    is a bound, not a vanished loss. Measured on the forecast benchmark's scores (chosen on the training half,
    269 of 1,148 forecasts flagged, off by a median 4.1 points at the run's end against 0.5 for the rest); on
    the held-out half :data:`SCORE_UNCERTAIN_TRACK_RECORD`."""
    return _uncertain(lo, hi, level, bottom is not None)


class FlippedForecast(Forecast):
    """A forecast of ``top - score`` reported on the score's scale (``gain`` and ``p_improve``
    refer to ``top - score`` falling, the score rising). ``bottom``: the score's floor (:func:`score_bottom`),
    which the value and the interval are kept above, or None."""

    top = 1.0
    bottom = None

    @classmethod
    def wrap(cls, fc: Forecast, top: float = 1.0, bottom: float | None = None) -> "FlippedForecast":
        lo, hi = fc.interval
        out = cls(**{k: getattr(fc, k) for k in fc.__dataclass_fields__})
        out.top, out.bottom = top, bottom
        out.value, lo, hi, out.level = (out._floor(top - v) for v in (fc.value, hi, lo, fc.level))
        out.interval = (lo, hi)
        if fc.fit_alone is not None:
            out.fit_alone = (out._floor(top - fc.fit_alone[0]), fc.fit_alone[1])
        if out.value != top - fc.value:  # held at the floor: the error's gain is to the value quoted, not past it
            out.gain = (fc.level - (top - out.value)) / per_level(fc.level)
        # The loss's rule would read an error whose interval reaches 0 (a perfect score, a bound) as vanished:
        # judged on the score's own scale instead.
        out.uncertain = None if fc.reason else score_uncertain(lo, hi, out.level, bottom)
        if fc.note and "since the lr was cut" in fc.note:  # the value the fit across the cut gave, as a score
            import re

            out.note = re.sub(r"\(to ([^)]+)\)", lambda m: f"(to {top - float(m.group(1)):.4g})", fc.note)
            out.note = re.sub(r"not below ([^,]+), the lowest point since the cut less its noise",
                              lambda m: f"not above {top - float(m.group(1)):.4g}, the highest point since the cut plus its "
                              "noise", out.note)
        if fc.note and TREND_AT_FLOOR in fc.note:
            # Its error reaching 0 is the score reaching its ceiling: said in the score's words, not the loss's
            # ("reaches 0 ... a lower bound" of an accuracy forecast at 1.0).
            out.note = out.note.replace(TREND_AT_FLOOR, trend_at_ceiling(top))
        return out

    def _floor(self, v):
        return v if self.bottom is None else np.maximum(v, self.bottom) if np.ndim(v) else max(v, self.bottom)

    def _band(self, xs):
        mid, lo, hi = super()._band(xs)
        return tuple(self._floor(self.top - v) for v in (mid, hi, lo))

    @property
    def track_record(self) -> str:
        return SCORE_UNCERTAIN_TRACK_RECORD

    def change_text(self, digits: int = 0) -> str:
        # gain is the error's (top - score) relative fall: say the score's own change first.
        rel = (self.value - self.level) / abs(self.level) if self.level else 0.0
        text = f"{abs(rel) * 100:.{digits}f}% {'higher' if rel >= 0 else 'lower'}"
        if self.top:
            text += f" (its error {self.top:g} - {self.metric} {super().change_text(digits)})"
        return text

    def improve_label(self) -> str:
        return f"{self.metric} > 1% higher" if not self.top else f"{self.top:g} - {self.metric} > 1% lower"


#: The note on a forecast whose fitted trend reaches 0 before the horizon (a loss's floor; the value is clipped there).
TREND_AT_FLOOR = ("the fitted trend reaches 0 before the horizon: the curve shows no floor yet, so the value is a "
                  "lower bound (clipped at 0); the interval is the better guide")


def ceiling_text(top: float) -> str:
    """A score's ceiling as a reader says it: "1" for a fraction, "100%" for a percentage (:func:`score_top`)."""
    return "100%" if top == 100 else f"{top:g}"


def trend_at_ceiling(top: float) -> str:
    """:data:`TREND_AT_FLOOR` for a score forecast on its error ``top - score``: its trend reaches the ceiling."""
    return (f"the fitted trend reaches the score's ceiling of {ceiling_text(top)} before the horizon: the curve shows "
            f"no plateau below it yet, so the value is an upper bound (clipped at {top:g}); the interval is the "
            "better guide")


# ---- pieces ------------------------------------------------------------------------------------
#: What an uncertain forecast's value is worth, as measured (quoted by ``losslens forecast`` and ``diagnose``).
UNCERTAIN_TRACK_RECORD = ("forecasts this wide were off by a median 19% at the run's end on the forecast "
                          "benchmark, 3% for the rest")
#: The same for a score's (:func:`score_uncertain`), in points of the score: the held-out half of the forecast
#: benchmark's 809 real scores (``benchmarks/forecast_eval.py --scores``).
SCORE_UNCERTAIN_TRACK_RECORD = ("score forecasts this wide were off by a median 2.8 points at the run's end on the "
                                "forecast benchmark, 0.5 for the rest")


def _held_at(y: np.ndarray, noise_floor: float, k: int) -> tuple[float, float] | None:
    """``(bottom, bottom_lo)``: where a forecast of a validation loss is held beyond the last point, given the data's
    noise floor (``noise_floor``, in the loss's units) and the logged values ``y`` (shape (n,)) of which the last
    ``k`` are the curve now; None where those sit under floor / :data:`NOISE_FLOOR_NEAR`, a floor the curve
    contradicts. No model's expected loss goes below the floor, and a curve under it already sits at its validation
    set's own draw of the noise, which no model beats on average: the value and the top of the interval are held at
    the lower of the floor and the lowest of those points. The interval's lower bound goes down to that over
    ``NOISE_FLOOR_NEAR``, the draw's scatter. Every family fitted to the whole curve bends on below it: the lab's
    linear model at Adam(1e-3), y = 2x + N(0, 0.1^2), val 0.00978 at epoch 199 (0.98x its floor 0.01), was forecast
    0.00557 [0, 0.022] by 398 and ran on to 0.00974; Keras' Dense(1) at Adam(0.01), 0.009754 at epoch 49, was
    forecast 0.00827 [0.00713, 0.00991] by 98 and ran on to 0.009744 (the true function scores 0.009733 there)."""
    low = float(np.min(y[-k:]))
    if not low >= noise_floor / NOISE_FLOOR_NEAR:
        return None
    bottom = min(float(noise_floor), low)
    return bottom, bottom / NOISE_FLOOR_NEAR


def _uncertain(lo: float, hi: float, level: float, nonneg: bool, improvement: float | None = None) -> str | None:
    """Why a 90% interval says too little to quote as a forecast, else None.

    A loss's interval that reaches 0, or is wider than the level now, admits anything from "solved" to "twice
    as bad". Such forecasts are honest (on the forecast benchmark's held-out half 514 of 2,170, the final value
    inside 93% of them) but were off by a median 19% at the run's end, against 3.1% for the rest: narrowing
    them would cost coverage the evaluation does not have to spare, so they are named instead. A 1-D CNN on
    unscaled random-walk levels, validation bouncing 3.3 -> 10.8 at a level near 3.5, got [0, 16.47].

    A loss with no zero point (``improvement`` given: :func:`forecast_curve`'s ``offset_free``) has no level to
    weigh a width by: its interval is weighed against ``improvement``, the curve's highest point less its level now
    (the same loss's units, whatever constant its units add); another curve below 0 is not flagged, as before. A
    Gaussian NLL 80 epochs in (tests/fixtures/ecosystem/torch_gaussian_nll/slow.csv), forecast [-0.049, 1.85] at
    epoch 200 after falling 1.43: uncertain by that (held above 0 it read [0, 1.78], "reaches 0"); at 200 it was
    at -0.0063."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None
    if improvement is not None:
        if improvement > 0 and hi - lo >= improvement:
            return "its 90% interval is wider than the curve's whole improvement"
        return None
    if not nonneg or not level > 0:
        return None
    if lo <= 0.0:
        return "its 90% interval reaches 0"
    if hi - lo >= level:
        return "its 90% interval is wider than the level now"
    return None


def _trough(y: np.ndarray) -> int | None:
    """Index of the minimum of a curve that has clearly risen since it (else None): the minimum
    is past the first point, at least a quarter of the curve (and MIN_POINTS) follows it, the
    median of the last tenth sits more than 4 noise sds above it, and the points after it rise
    steadily (Spearman rho >= 0.5): a noisy flat tail, whose minimum is one lucky dip, is not one."""
    n = y.shape[0]
    m = int(np.argmin(y))
    if m == 0 or n - m < max(MIN_POINTS, n // 4):
        return None
    tail = y[m:]
    k = max(3, n // 10)
    rise = float(np.median(y[-k:]) - y[m])
    noise = difference_noise(y)
    if not rise > 4.0 * noise:
        return None
    ranks = np.argsort(np.argsort(tail))
    rho = float(np.corrcoef(np.arange(tail.shape[0]), ranks)[0, 1])
    return m if rho >= 0.5 else None


def _tail_split(n: int) -> tuple[int, int]:
    """``(m, h)``: the last third :func:`_steady_tail` and :func:`_tail_weight` read (``m`` of ``n`` points, at least
    ``2 * MIN_POINTS``) and its earlier half's length ``h`` (one split: the backtest tests the halves the fall was
    judged steady on)."""
    m = max(2 * MIN_POINTS, n // 3)
    return m, m // 2


def _steady_tail(x: np.ndarray, y: np.ndarray, level: float, horizon: float, nonneg: bool):
    """``(x_last, level, slope, r)`` of a curve whose last third still falls at a steady rate, else None.

    ``x``, ``y``: the fitted points, shape (n,); ``slope``: the Theil-Sen slope of the later half of the last
    third (y units per axis unit, < 0); ``r``: the factor the slope shrinks by per axis unit (1: it does not).
    Every family saturates, and fitted on a curve that fell steeply and then went on falling slowly at a constant
    rate, the hold-out picks the one that bends flat soonest: a Friedman1 MLP at SGD(0.002) cut at epoch 99 of
    199, still losing 0.0006 an epoch, was forecast 0.2749 in [0.2582, 0.2991] where it ended at 0.2271
    (tests/fixtures/ecosystem/torch_slow_tail/fried_sgd_slow.csv; the walk's own run read [0.2576, 0.2998]); now
    [0.2159, 0.2991]. The
    lower bound then reaches the fall carried on (:meth:`_Model.band`): linearly, or, where that reaches 0 by the
    horizon (or the curve is not a loss never below 0), shrinking as it shrank across the last third (an S-shaped
    fall still steep is not carried to 0).
    A steady rate: a fall over the last third of more than 3 noise sds (:data:`MISS_NOISE`, one point's reach),
    both its halves falling, the later at least half as fast as the earlier. Forecast benchmark, training half: 249
    of 2,190 intervals widened, the truth below the old bound in 48 of them (6% of all forecasts), 33 now inside.
    The point value, ``p_improve`` and X move toward the fall by the weight a backtest gives it (:func:`_tail_weight`;
    the fixture above at epoch 99: 0.2658, P = 0.86, where the ensemble alone said 0.2749, P = 0.37)."""
    n = y.shape[0]
    m, h = _tail_split(n)
    if n < m + MIN_POINTS:
        return None
    xs, ys = x[-m:], y[-m:]
    with np.errstate(over="ignore", invalid="ignore"):
        s = theil_sen(xs, ys)
        if not s < 0 or not -s * (xs[-1] - xs[0]) > MISS_NOISE * difference_noise(ys):
            return None
        s1, s2 = theil_sen(xs[:h], ys[:h]), theil_sen(xs[h:], ys[h:])
    if not (s1 < 0 and s2 < 0) or not s2 <= 0.5 * s1:
        return None
    if nonneg and level + s2 * (horizon - x[-1]) > 0:
        return float(x[-1]), float(level), float(s2), 1.0
    # s1 and s2 are the slopes of the two halves, whose middles lie half the last third's span apart: the slope
    # shrank by s2 / s1 over that half span, so by (s2 / s1) ** (2 / span) per axis unit.
    r = min(s2 / s1, 1.0 - 1e-6) ** (2.0 / float(xs[-1] - xs[0]))
    return float(x[-1]), float(level), float(s2), float(r)


def _tail_weight(x: np.ndarray, y: np.ndarray, horizon: float) -> float:
    """The weight in [0, 1] of a steady fall carried on (:func:`_steady_tail`) against the fit, in the forecast's mid.

    ``x``, ``y``: the fitted points, shape (n,). A backtest over the last third as :func:`_steady_tail` splits it: the
    fit on every point before its later half, and the Theil-Sen line through its earlier half, each carried over the
    later half; each explains it with a root-mean-square error, ``e_fit`` and ``e_line``, and the fall's weight is
    ``e_fit^2 / (e_fit^2 + e_line^2)`` (inverse variances). The backtest only vouches for the line over the distance
    it was tested on, ``d`` (the later half's reach); to a horizon ``D`` further ahead the weight is scaled by
    ``d / D`` (at most 1): given 10% of a run, a steady fall carried 9 times as far as the curve has been seen falling
    overshoots (forecast benchmark, training half: the mixture unscaled moved DeepOBS's median error given 25% from
    5.5% to 7.8%). A backtest fit that is withheld gives the fall no weight."""
    n = y.shape[0]
    m, h = _tail_split(n)
    xa, ya, xb, yb = x[-m:-m + h], y[-m:-m + h], x[-m + h:], y[-m + h:]
    back = forecast_curve(x[:n - (m - h)], y[:n - (m - h)], float(x[-1]), _weigh_tail=False)
    if back.reason is not None:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        s1 = theil_sen(xa, ya)
    line = float(np.median(ya - s1 * xa)) + s1 * xb
    e_fit = float(np.mean((np.asarray(back.value_at(xb)) - yb) ** 2))
    e_line = float(np.mean((line - yb) ** 2))
    if not (math.isfinite(e_fit) and math.isfinite(e_line)) or e_fit + e_line <= 0:
        return 0.0
    reach = float(x[-1] - xb[0]) / max(float(horizon - x[-1]), 1e-12)
    return e_fit / (e_fit + e_line) * min(reach, 1.0)


def _noise_at_new_rate(y: np.ndarray, k_cut: int, cut_ratio: float | None) -> float:
    """The 90% half-width of one point at the lr since a cut, around the median of the ``k_cut`` points
    logged since: the last 10 points' noise times sqrt(new lr / old lr) (the spread at a constant step
    scales as sqrt(lr); ``cut_ratio`` None or out of (0, 1]: 1), widened by that median's own error."""
    ratio = 1.0 if cut_ratio is None or not 0 < cut_ratio <= 1 else float(cut_ratio)
    return 1.645 * difference_noise(y[-10:]) * math.sqrt(ratio * (1.0 + 1.0 / k_cut))


def _missed_present(x: np.ndarray, y: np.ndarray, level: float, nonneg: bool, batch: bool = False):
    """``(median, noise, k)`` of the last ``k = max(3, n // 10)`` points (at most 50) when the fitted
    ``level`` at the last point is not where they put the curve, else None; ``noise`` is the point noise
    sd of the last ``max(10, k)`` points. ``batch``: each point is a batch's loss, whose level (the one the
    fit is anchored on) is the points' mean: read with the mean in place of the median (ls1_e32 in
    tests/fixtures/ecosystem/hf_logging_steps, most batches memorised at ~0.007 and a few at 0.2-0.5: its
    mean 0.080 read as a miss against the median 0.0064).

    A miss is a level more than :data:`MISS_NOISE` noise sds and more than :data:`MISS_REL` away from
    both the points' median and the points carried to the last axis value along their Theil-Sen slope
    (the median of a curve still falling fast lags behind its last point, and a slope through a few
    noisy points overshoots it: only a level that neither reading allows is a miss); or, for a curve
    never below 0, a level under half of every one of those points (the noise of a curve that blew up
    is its blow-up, and 3 of its sds allow anything).
    """
    n = y.shape[0]
    k = min(max(3, n // 10), 50, n)
    xs, ys = x[-k:], y[-k:]
    centre = np.mean if batch else np.median
    with np.errstate(over="ignore", invalid="ignore"):
        slope = theil_sen(xs, ys)
        carried = float(centre(ys + slope * (xs[-1] - xs)))
    median = float(centre(ys))
    noise = difference_noise(y[-max(10, k):])

    def off(p: float) -> bool:
        d = abs(level - p)
        return not d <= MISS_NOISE * noise and not d <= MISS_REL * abs(p)

    if (off(median) and off(carried)) or (nonneg and level < 0.5 * float(np.min(ys))):
        return median, noise, k
    return None


def _overshoots_present(x: np.ndarray, y: np.ndarray, level: float, nonneg: bool):
    """``(lowest, fall, k)`` of the last ``k = max(3, n // 10)`` points (at most 50) of ``x``, ``y`` (shape (n,))
    when the fitted ``level`` at the last point lies under all of them by more than :data:`OVERSHOOT_REL` of
    the lowest and more than :data:`OVERSHOOT_TIMES` times both their noise sd and their own fall across them
    (their Theil-Sen slope times their span: a fit whose end falls some 20 times as fast as they do), points that
    fall; else None. Only a curve never below 0 is read (the level's share needs a zero point).

    :func:`_missed_present`'s 20% lets a fit pass a smooth curve a few percent off; anchored on the median
    residual of the last points, a fit a few percent under every one of them falls far faster than they do at
    the end, the slope its forecast carries on."""
    if not nonneg:
        return None
    n = y.shape[0]
    k = min(max(3, n // 10), 50, n)
    xs, ys = x[-k:], y[-k:]
    low = float(np.min(ys))
    with np.errstate(over="ignore", invalid="ignore"):
        fall = -float(theil_sen(xs, ys)) * float(xs[-1] - xs[0])
    if not fall > 0:
        # Points that do not fall are a bump or a rise, not a slower fall: _missed_present's to judge (an
        # MLPRegressor's 1 - R² stopped by its patience on a bump went on to fall 31%,
        # tests/fixtures/ecosystem/sklearn_mlpregressor_creep/s7).
        return None
    noise = difference_noise(y[-max(10, k):])
    gap = low - level
    if gap > OVERSHOOT_REL * low and gap > OVERSHOOT_TIMES * max(noise, fall):
        return low, fall, k
    return None


def _despike(y: np.ndarray, k: float = 8.0) -> np.ndarray:
    """Replace isolated spikes (a point far from both neighbours) by the median of three.

    One exploding evaluation (DeepOBS logs hold jumps of 1e7) would otherwise decide a
    least-squares fit; a point counts as a spike when it is more than ``k`` robust noise
    scales from the median of itself and its neighbours.
    """
    n = y.shape[0]
    if n < 5:
        return y
    med = np.median(np.stack([np.r_[y[1], y[:-1]], y, np.r_[y[1:], y[-2]]]), axis=0)
    dev = y - med
    # (Each floor relative to the curve, as per_level says why: 1e-12 in its units took points of a loss scaled by
    # 1e-10 for spikes.)
    scale = max(robust_sd(dev), 1e-3 * float(np.median(np.abs(np.diff(y)))), 1e-12 * float(np.abs(y).max()), _TINY)
    spikes = np.abs(dev) > k * scale
    # The first point is the start (often the loss at initialisation) and the last is the
    # present: neither is a spike to smooth away.
    spikes[0] = spikes[-1] = False
    if not spikes.any():
        return y
    out = y.copy()
    out[spikes] = med[spikes]
    return out


def _ensemble(t, z, grids, sigma, c_min=None):
    """Fit each family on all points; weight families by held-out tail error."""
    n = t.shape[0]
    s2 = max(sigma ** 2, 1e-12)
    # Each family's basis on the whole axis, computed once: the held-out fit below reads its first n_fit
    # columns (elementwise, so the same numbers) instead of computing them again.
    bases = {name: _basis(name, t, *grids[name]) for name in FAMILIES if name != "const"}
    fits = [_fit_family(name, t, z, grids.get(name), s2, c_min=c_min, basis=bases.get(name)) for name in FAMILIES]
    if n < CHECKED_POINTS:
        # Too short to hold a tail out: weight by BIC-like fit quality.
        sse = np.array([f.sse for f in fits])
        k = np.array([1.0 if f.name == "const" else 4.0 for f in fits])
        bic = n * np.log(np.maximum(sse / n, 1e-30)) + k * np.log(n)
        w = np.exp(-0.5 * (bic - bic.min()))
        return fits, w / w.sum()
    n_fit = max(5, int(round(HOLDOUT * n)))
    tf, zf = t[:n_fit], z[:n_fit]
    tt, zt = t[n_fit:], z[n_fit:]
    errs = []
    for name in FAMILIES:
        g = bases.get(name)
        f = _fit_family(name, tf, zf, grids.get(name), s2, c_min=c_min,
                        basis=None if g is None else np.ascontiguousarray(g[:, :n_fit]))
        m, _ = f.mean_std(tt)
        errs.append(float(np.sqrt(np.mean((m - zt) ** 2))))
    errs = np.array(errs)
    ref = errs.min() + sigma / math.sqrt(max(len(tt), 1)) + 1e-9
    w = np.exp(-0.5 * (errs / ref) ** 2)
    return fits, w / w.sum()


def best_so_far(y, level: float | None = None, m3: np.ndarray | None = None) -> float:
    """The best a curve ``y`` (shape (n,), lower is better) has reached so far, as a forecast's gain over it is
    measured: the lowest point of its running median of 3, so that one lucky epoch (a dip the next epoch undoes)
    does not set the bar, the last point (which has no next epoch yet) counted no lower than ``level``, the
    forecast's level there (the trend through the last points). One definition for the stopping rule
    (:class:`~losslens.stopping.ForecastStopping`'s default reference) and the diagnosis's stop advice
    (:meth:`Forecast.over_best`). ``m3``: ``median3(y)`` where the caller has it."""
    from .facts.smoothing import median3

    y = np.asarray(y, dtype=float)
    m = (median3(y) if m3 is None else m3).copy()
    if level is not None:
        m[-1] = max(float(y[-1]), float(level))
    return float(np.nanmin(m))


def _p_improve(model: _Model, t_h: float, level: float, training: bool = False) -> float:
    """P(trend at the horizon < level - 1% |level|): :func:`_prob_below`, recalibrated (1% of the curve's
    improvement where 0 is no floor of it: :func:`_reference`)."""
    return calibrate_p(_prob_below(model, t_h, level - IMPROVE_FRACTION * _reference(model, level)), training)


def gain_reference(fc: Forecast, level: float) -> float:
    """What a gain of ``fc`` measured from ``level`` is a share of, as its own :attr:`Forecast.gain` is: ``|level|``,
    or where 0 is no floor of the loss (``offset_free``), the curve's improvement so far."""
    return _reference(fc._model, level)


def _reference(model, level: float) -> float:
    """What a gain is a share of: ``|level|``, or, for a curve 0 does not bound (``model.ref``, set by
    :func:`forecast_curve`), its improvement so far, where that is above 0."""
    ref = getattr(model, "ref", None)
    return ref if ref is not None and ref > 0 else per_level(level)


def calibrate_p(p: float, training: bool = False) -> float:
    """The model's probability of a > 1% improvement mapped to the observed frequency
    (``_P_RAW`` -> ``_P_CAL``, or ``_P_CAL_TRAIN`` for a training loss); monotone, so decisions on
    it keep their order."""
    return float(np.interp(p, _P_RAW, _P_CAL_TRAIN if training else _P_CAL))


def _prob_below(model: _Model, t_h: float, thr: float) -> float:
    """P(trend at the horizon < thr) under a split-normal predictive law.

    The question is whether training on lowers the loss, not whether one noisy evaluation
    happens to be lower, so the point-noise part of the scale u is left out: the width is
    the calibrated band with u = sqrt(spread^2 + change^2) + floor.
    """
    if model.low is not None and thr <= model.low:
        return 0.0
    if model.held_at is not None and thr <= model.held_at[0]:
        return 0.0
    t = np.array([t_h])
    mean, spread = model.mean_spread(t)
    u_all = model.scale_u(t, mean, spread)[0]
    u_trend = math.sqrt(max((u_all - model.floor) ** 2 - model.sigma ** 2, 0.0)) + model.floor
    q05, q95 = (float(q) for q in _quantiles(t_h))
    to_y = model.scale
    mid = model.y_ref + to_y * float(mean[0])
    if model.tail is not None and model.tail_w:
        # The law moved with the mid (:meth:`_Model.band`): centred between the fit and the steady fall carried on.
        x_h = model.x0 + t_h * model.span
        mid += model.tail_w * (float(model.tail_line(np.array([x_h]))[0]) - mid)
    lo = mid + q05 * u_trend * to_y
    hi = mid + q95 * u_trend * to_y
    if thr < mid:
        s = (mid - lo) / 1.645
        zval = (thr - mid) / s if s > 0 else -np.inf
    else:
        s = (hi - mid) / 1.645
        zval = (thr - mid) / s if s > 0 else np.inf
    return float(0.5 * math.erfc(-zval / math.sqrt(2.0)))


def still_improving_past_x(fc) -> bool:
    """Does ``fc`` reach its plateau epoch X before the last point while still expecting, more likely than not, more
    than 1% by the horizon (``p_improve``'s bar)? X is then 95% of a fall the start dominates, not a plateau: the text
    and the chart say so rather than "X (already)"."""
    return (fc.plateau_epoch is not None and fc.plateau_epoch <= fc.x_last and fc.p_improve is not None
            and fc.p_improve >= 0.5)


def _plateau_epoch(model: _Model, x0: float, horizon: float, x=None, y=None) -> float | None:
    """X on the curve ``L`` = the smoothed data up to the last logged point, then the
    forecast mid curve (shifted to continue the smoothed data) up to the horizon."""
    if horizon <= x0:
        return None
    xs = np.linspace(x0, horizon, 401)
    mid, _, _ = model.band(xs)
    if x is not None and x.shape[0] >= 3:
        from .facts.smoothing import smooth

        s = smooth(y)
        future = xs > x[-1]
        step = s[-1] - float(model.band(x[-1:])[0][0])
        xs = np.concatenate([x, xs[future]])
        mid = np.concatenate([s, mid[future] + step])
    l_star = float(mid.min())
    drop = float(mid[0]) - l_star
    if drop <= 0:
        return float(x0)
    idx = int(np.argmax(mid - l_star <= PLATEAU_FRACTION * drop))
    if x is not None and np.all(x == np.round(x)):
        # The forecast's grid is finer than a log counting whole epochs or steps: X is the first of them that
        # gets there ("X = 26.91" on an epoch log).
        return float(math.ceil(xs[idx] - 1e-9))
    return float(xs[idx])


def _insufficient(x, y, horizon, metric, withheld: str, reason: str | None = None) -> Forecast:
    """No forecast (``withheld``: the code, ``reason``: the words; by default too few points to fit): the last
    value, with an interval as wide as the data allow, as the JSON's keys ask for a value."""
    last = float(y[-1])
    rng = float(np.ptp(y)) if y.size > 1 else abs(last)
    lo = last - 2.0 * max(rng, 0.5 * abs(last))
    if np.all(y >= 0):
        lo = max(lo, 0.0)
    hi = max(float(y.max()), last + max(rng, 0.1 * abs(last)))
    return Forecast(metric=metric, horizon=horizon, value=last, interval=(lo, hi), level=last,
                    gain=0.0, p_improve=None, plateau_epoch=None, x0=float(x[0]),
                    x_last=float(x[-1]), n_points=int(x.shape[0]), withheld=withheld,
                    reason=reason or f"only {x.shape[0]} finite point(s) with distinct axis values: "
                                     f"too few to forecast (need {MIN_POINTS}); the interval is a wide guess")


def _g(v: float) -> str:
    return f"{v:.4g}"


def _floats(a) -> list:
    return [finite_or_none(v) for v in np.asarray(a, dtype=float)]
