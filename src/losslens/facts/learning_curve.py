"""Would more data help? Read from a learning curve over training-set size, when one was measured.

A curve of one run cannot show this (DESIGN.md: ``data_limited`` needs a learning curve). When
a learning curve is at hand — ``run.meta["learning_curve"] = {n_train: best validation loss}``
(or a list of losses per seed), as the lab's variants and the benchmark scenarios attach, or
:func:`losslens.more_data` / ``losslens data FILE`` given sizes and scores — the five largest
sizes give the local log-log slope of the mean curve (and, per seed, the spread the verdict's
t-test reads), and the loss at ``factor`` times the data is extrapolated along it: a power law ``L ∝ n^slope``, the usual shape of learning curves
(Hestness et al. 2017, "Deep Learning Scaling is Predictable, Empirically"; Viering & Loog
2022, "The Shape of Learning Curves: a Review").

Two constants were fitted on the training half of LCDB's 4,367 real learning curves (Mohr et al.
2022, "LCDB 1.0: An Extensive Learning Curves Database for Classification Tasks"; 248 OpenML
datasets x 20 scikit-learn learners, ``../shared/curves``) by ``python benchmarks/data_eval.py
--calibrate``:

* ``DAMPING``: the slope is multiplied by it before extrapolating. Learning curves bend flat in
  log-log as they approach their floor, so the slope of the last five sizes overstates the next
  doubling's gain; 0.8 makes the median log error zero on the training half (2x, 4x, 8x pooled).
* ``_Q05`` / ``_Q95``: quantiles of ``log(observed / forecast) / u`` at 2x, 4x and 8x the data,
  the 90% interval (split conformal with a normalised score, Lei et al. 2018); ``u`` grows with
  the forecast change, the curve's noise about its local power law and the factor.

Measured on the held-out half (benchmarks/results/data.md): see docs/benchmarks.md, "Would more
data help?". Other extrapolations (a pow3 fit, the epoch-curve ensemble of
:mod:`losslens.forecasting` on the size axis) were less accurate there.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ..result import Evidence, finite_or_none
from ..exceptions import UsageTypeError, check_number
from .trend import t_text as _t

#: Slope multiplier before extrapolating (fitted on LCDB's training half; see the module docstring).
DAMPING = 0.8
#: How many of the largest sizes the local slope is fitted on: on LCDB five were as accurate as
#: three on the curves as published and clearly better with the noise of a 5-fold average added.
LAST_SIZES = 5
#: Fewer sizes than this give a forecast but no verdict: two show neither the bend nor the noise
#: the interval is calibrated on (LCDB's cases all had three or more).
MIN_SIZES = 3
#: A "clear" gain from more data, as a fraction of the loss now: the one definition of the 10% bar
#: (``Thresholds.data_gain``, verification's data and size checks and the data plot read it from here).
DATA_GAIN = 0.10
#: With several seeds, the slope must be below zero by more than this many standard errors.
SLOPE_Z = 2.0
#: How sure the data_limited verdict's words are, by its P(more than 10% lower at 2x): "will" from
#: SURE_P, "is likely to" from LIKELY_P, else "may". P is calibrated on LCDB's held-out half
#: (benchmarks/results/data.md): of its forecasts at P 0.9-1.0, 96% came true, at 0.7-0.9 78%, at
#: 0.5-0.7 55%, where "more data will" would be wrong nearly one time in two.
SURE_P, LIKELY_P = 0.9, 0.7

# The interval's scale u = U_CHANGE |forecast log change| + U_NOISE noise ln(factor) + U_FLOOR log2(factor)
# (LearningCurveFacts.scale); the form was chosen on one half of LCDB's training half, scored on the other.
U_CHANGE, U_NOISE, U_FLOOR = 0.5, 2.0, 0.01
# Quantiles (5%, 95%) of log(observed / forecast) / u at log2(factor) = 1, 2, 3 (2x, 4x, 8x the
# data), fitted by `python benchmarks/data_eval.py --calibrate` on LCDB's training half.
_CAL_LOG2F = np.array([1.0, 2.0, 3.0])
_Q05 = np.array([-1.798, -2.098, -2.397])
_Q95 = np.array([1.173, 1.015, 0.961])


@dataclass
class LearningCurveFacts:
    """``sizes``: (n_sizes,) training-set sizes; ``losses``: (n_seeds, n_sizes) validation loss
    (lower is better; an accuracy enters as its error ``1 - acc``); ``slopes``: (n_seeds,)
    d log(loss) / d log(n) over the five largest sizes; ``repeats``: what the rows of ``losses`` are, in the
    words the text and chart say ("mean of 3 seeds"): ``"seeds"``, ``"folds"``, ``"runs"`` ..."""

    sizes: np.ndarray
    losses: np.ndarray
    slopes: np.ndarray
    metric: str = "val_loss"
    noise: float = 0.0  # sd of log(mean loss) about a line through the last five sizes
    repeats: str = "folds"
    #: the data's noise floor the run states (``--noise-floor``), in the loss's units: no forecast goes under it
    floor: float | None = None
    #: the training loss at the largest size (mean over the rows), where the runs logged one: the lowest the
    #: validation loss's floor can lie, which the interval reaches where three sizes cannot pin it (:attr:`unpinned`)
    train_level: float | None = None

    @property
    def slope(self) -> float:
        """d log(loss) / d log(n) of the mean curve over the largest sizes (the mean is taken
        before the log: one noisy fold cannot swing it the way its own log slope can)."""
        if self.slopes.shape[0] == 1:
            return float(self.slopes[0])
        return float(_slopes(self.sizes, self.losses.mean(0, keepdims=True))[0])

    @property
    def slope_t(self) -> float | None:
        """t-statistic of the mean slope across seeds; None with one seed."""
        n = self.slopes.shape[0]
        if n < 2:
            return None
        sd = float(self.slopes.std(ddof=1))
        if sd == 0:
            return -math.inf if self.slope < 0 else math.inf
        return self.slope / (sd / math.sqrt(n))

    @property
    def gain_if_doubled(self) -> float:
        """Forecast relative fall of the loss if the data doubled: ``1 - 2**(DAMPING * slope)``."""
        return self.forecast(2.0).gain

    def forecast(self, factor: float = 2.0) -> "DataForecast":
        """The loss with ``factor`` times the largest training set, its 90% interval and
        the probability that it is more than ``DATA_GAIN`` (10%) lower than now."""
        check_number("factor", factor, above=1, means="the times the largest training set", note="factor=2")
        level = float(self.losses.mean(0)[-1])
        change = self.log_change(factor)
        mid = level * math.exp(change)
        q05, q95 = _quantiles(math.log2(factor))
        u = self.scale(factor)
        lo, hi = mid * math.exp(q05 * u), mid * math.exp(q95 * u)
        # P(loss at factor <= (1 - DATA_GAIN) level): a split normal in log space through the interval.
        thr = math.log(1 - DATA_GAIN) - change
        sd = (q95 if thr > 0 else -q05) * u / 1.645
        p = 0.5 * math.erfc(-thr / (sd * math.sqrt(2))) if sd > 0 else float(thr >= 0)
        if self.unpinned is not None:
            lo = min(lo, self.unpinned)
        held = self.held_at(level)
        if held is not None:
            # As the epoch forecast holds a validation loss at the stated floor (forecasting._held_at): no model's
            # expected loss goes under it, the validation set's own draw by NOISE_FLOOR_NEAR at most. A power law
            # has no floor and walked on under it: SGDRegressor on make_regression (noise variance 0.04), 150 / 300 /
            # 600 rows, forecast 0.03995 [0.034, 0.044] at 1,200, which gave 0.0419.
            bottom, bottom_lo = held
            mid, hi, lo = max(mid, bottom), max(hi, bottom), max(lo, bottom_lo)
            if (1 - DATA_GAIN) * level < bottom_lo:
                p = 0.0
        return DataForecast(self.metric, float(self.sizes[-1]), float(self.sizes[-1] * factor), factor,
                            level, mid, (lo, hi), 1 - mid / level, p, self)

    def held_at(self, level: float) -> tuple[float, float] | None:
        """``(bottom, bottom_lo)`` a stated :attr:`floor` holds the forecast's value (and top) and its lower bound at,
        as :func:`losslens.forecasting._held_at` holds an epoch forecast; None without a floor, or where the curve
        sits under floor / ``NOISE_FLOOR_NEAR`` (a floor the curve contradicts)."""
        from . import NOISE_FLOOR_NEAR

        if self.floor is None or not self.floor > 0:
            return None
        low = float(self.losses.mean(0).min())
        if not low >= self.floor / NOISE_FLOOR_NEAR:
            return None
        bottom = min(float(self.floor), level)
        return bottom, bottom / NOISE_FLOOR_NEAR

    @property
    def steepening(self) -> tuple[float, float] | None:
        """``(first, last)``: the log-log slopes of the mean curve's two segments where it was measured at
        :data:`MIN_SIZES` sizes alone and the last is the steeper; else None. No power law with a floor at or above 0
        bends that way (each flattens toward its floor), so the three sizes say nothing of where the floor lies: the
        curve may be leaving its small-data stretch, where more data pays more with each doubling (Hestness et al.
        2017)."""
        if self.sizes.shape[0] != MIN_SIZES:
            return None
        ly, lx = np.log(self.losses.mean(0)), np.log(self.sizes)
        first, last = (ly[1] - ly[0]) / (lx[1] - lx[0]), (ly[2] - ly[1]) / (lx[2] - lx[1])
        return (float(first), float(last)) if last < first else None

    @property
    def unpinned(self) -> float | None:
        """The lower bound a forecast's interval reaches where three sizes cannot pin the floor (:attr:`steepening`):
        the training loss at the largest size (:attr:`train_level`), the lowest the validation loss's floor can lie
        as more data raises the one and lowers the other; None where the curve is not steepening or no training
        loss was logged. The calibrated interval alone was far too narrow there: a Lightning 64-64 MLP that memorised
        30 / 60 / 120 rows (best val 0.189, 0.158, 0.125, training ~1e-7 to 1e-3) was forecast 0.106 [0.085, 0.123] at
        240 rows, which gave 0.040, 0.041 and 0.039 on 3 seeds (480 rows: 0.017;
        tests/fixtures/ecosystem/lightning_data_steep). On LCDB's curves cut to their last three sizes 2x apart, the
        steepening ones' intervals covered 86% at 2x, 90% at 4x, the others 91% and 91%."""
        if self.steepening is None or self.train_level is None or not self.train_level >= 0:
            return None
        return float(self.train_level)

    def log_change(self, factor: float) -> float:
        """Forecast log(loss at factor x the data / loss now): the damped power law."""
        return DAMPING * self.slope * math.log(factor)

    def scale(self, factor: float) -> float:
        """The interval's scale u (log units) that the calibrated quantiles multiply: larger for a
        larger forecast change, a noisier curve and a longer extrapolation (a normalised
        conformal score; on LCDB the error of a steep, noisy curve is many times a flat one's)."""
        return (U_CHANGE * abs(self.log_change(factor)) + U_NOISE * self.noise * math.log(factor)
                + U_FLOOR * math.log2(factor))

    @property
    def last_slope(self) -> float | None:
        """d log(loss) / d log(n) of the mean curve between the two largest sizes; None under four
        sizes (then it is most of the five-size fit). A curve that bent flat shows it here first: one
        steep drop at the smallest sizes sets the five-size slope long after the curve has flattened
        (blobs, 10 -> 80 samples: -0.37 over all four sizes, -0.10 from 40 to 80)."""
        if self.sizes.shape[0] < 4:
            return None
        mean = self.losses.mean(0)
        return float(math.log(mean[-1] / mean[-2]) / math.log(self.sizes[-1] / self.sizes[-2]))

    @property
    def flattening(self) -> bool:
        """The last segment alone (:attr:`last_slope`, damped) does not forecast the 10% gain at twice
        the data that the five-size slope does: the curve bent flat within the sizes measured, and the
        forecast leans on its steeper start. One segment is noisy, so it only tempers the verdict's
        words (:attr:`DataForecast.certainty`), never the verdict: on LCDB's held-out half it cut the
        verdict's F1 (0.75 -> 0.69) where the "is likely to" it leaves came true 90% of the time (227 of
        253 at 2x) and the "may" it adds 62% (walker43's sklearn MLP curves: 3 of 12)."""
        last = self.last_slope
        return (last is not None and 1 - 2.0 ** (DAMPING * last) < DATA_GAIN <= 1 - 2.0 ** (DAMPING * self.slope))

    def to_dict(self) -> dict:
        return {"sizes": self.sizes.tolist(), "losses": self.losses.mean(0).tolist(), "slope": self.slope,
                "slope_t": finite_or_none(self.slope_t), "gain_if_doubled": self.gain_if_doubled}


#: The kind (result.Evidence) of the evidence line that quotes the curve's own values, which the lab leaves out
#: where its findings quote the curve already (lab.variants.data_limited).
CURVE_VALUES = "learning_curve_values"


@dataclass
class DataForecast:
    """What ``factor`` times the data is forecast to do to the validation loss.

    ``size``/``size_new``: largest training-set size measured / forecast (samples);
    ``level``: loss at ``size`` (mean over seeds); ``value``: forecast loss at ``size_new``;
    ``interval``: its 90% interval; ``gain``: ``1 - value / level`` (fraction);
    ``p_gain``: probability that the loss at ``size_new`` is more than 10% below ``level``.
    """

    metric: str
    size: float
    size_new: float
    factor: float
    level: float
    value: float
    interval: tuple[float, float]
    gain: float
    p_gain: float
    curve: LearningCurveFacts

    @property
    def data_limited(self) -> bool:
        """The diagnosis's verdict on the curve (whatever ``factor`` was asked): measured at three
        sizes or more, doubling the data is forecast to lower the loss >= 10%, and with several
        seeds the slope is below zero by more than twice its standard error (diagnosis.py's
        ``learning_curve_cause`` reads the same :func:`clears_data_bar`)."""
        return clears_data_bar(self.curve) is not None

    @property
    def certainty(self) -> str | None:
        """How sure the data_limited verdict is, in the words it says: ``"will"`` (its P at twice the
        data >= SURE_P), ``"is likely to"`` (>= LIKELY_P), ``"may"`` (below, or where the largest sizes
        flattened: :attr:`LearningCurveFacts.flattening`); None when it is not data-limited. Read at
        twice the data whatever ``factor`` was asked, as the verdict is."""
        return _certainty(self.curve, clears_data_bar(self.curve))

    def verdict(self, gain: float = DATA_GAIN, z: float = SLOPE_Z) -> tuple[str, str]:
        """The verdict as ``(label, sentence)``: ``("data_limited", "more data may lower the validation
        loss")``, ``("not clearly data-limited", "doubling the data is not forecast ...")`` ... Read at twice
        the data against :func:`clears_data_bar`'s bar (``gain``, ``z``: the diagnosis passes its
        Thresholds'); a ``factor`` other than 2 adds what that factor is forecast to do. ``losslens data``'s
        first line and the diagnosis's ``data_limited`` evidence both say this, so they cannot disagree."""
        lc = self.curve
        two = clears_data_bar(lc, gain, z)
        at2 = self if self.factor == 2 else lc.forecast(2.0)
        # A score's curve is forecast as its error (1 - val_acc): say so, and that the score rises.
        m = self.metric
        score = m[4:].split("/")[0] if m.startswith("1 - ") else m[1:] if m.startswith("-") else None
        what = "the validation loss" if m == "val_loss" else f"the error {m}" if m.startswith("1 - ") else m
        noun = "the error" if score else "the loss"
        asked = "" if self.factor == 2 else self._at_factor(at2, noun)
        if two is not None:
            how = _certainty(lc, two)
            rise = {"will": "will rise", "is likely to": "is likely to rise", "may": "may rise"}[how]
            return ("data_limited",
                    f"more data {how} lower {what}" + (f" ({score} {rise})" if score else "")
                    # (at 2x the summary line says the same P)
                    + (f" (P = {two.p_gain:.2f} that twice the data is more than {DATA_GAIN:.0%} lower)"
                       if how != "will" and self.factor != 2 else "") + asked)
        if at2.gain < gain:
            return ("not clearly data-limited",
                    f"doubling the data is not forecast to lower {noun} by {gain:.0%}" + asked)
        if lc.sizes.shape[0] < MIN_SIZES:
            return "possibly data-limited", "the forecast gain is large, but from two sizes only" + asked
        return "possibly data-limited", f"the forecast gain is large but the {lc.repeats} disagree" + asked

    def _at_factor(self, two: "DataForecast", noun: str) -> str:
        """The headline's clause for a ``factor`` other than 2: what that factor is forecast to do, beside the
        verdict read at twice the data (``two``)."""
        if self.gain < DATA_GAIN:
            return f"; {self.factor:g}x the data is not forecast to lower {noun} by {DATA_GAIN:.0%} either ({-self.gain:+.0%})"
        return (f"; {self.factor:g}x the data is forecast to lower {noun} {self.gain:.0%} (P = {self.p_gain:.2f} that it "
                f"is more than {DATA_GAIN:.0%} lower; twice the data {two.gain:.0%})")

    def evidence(self, gain: float = DATA_GAIN, z: float = SLOPE_Z) -> list[str]:
        """The lines under :meth:`verdict`: the forecast, the curve it came from, its slope, and the caveats (a
        curve flattening over its last segment where the verdict is data_limited, a factor past the calibrated
        range, fewer than four sizes)."""
        lc = self.curve
        mean = lc.losses.mean(0)
        folds = lc.losses.shape[0]
        curve = ", ".join(f"{format_size(n)}: {v:.4g}" for n, v in zip(lc.sizes, mean))
        lines = [self.summary(),
                 Evidence(f"learning curve ({lc.metric}{f', mean of {folds} {lc.repeats}' if folds > 1 else ''}) "
                          f"{curve}", CURVE_VALUES),
                 f"log-log slope over the largest sizes {lc.slope:.2f}"
                 + (f" (t = {_t(lc.slope_t)} across {lc.repeats})" if lc.slope_t is not None else "")]
        if lc.flattening and clears_data_bar(lc, gain, z) is not None:
            lines.append(f"but from {format_size(lc.sizes[-2])} to {format_size(lc.sizes[-1])} it fell only "
                         f"{1 - mean[-1] / mean[-2]:.0%} (slope {lc.last_slope:.2f}): the curve may be flattening, "
                         "and the forecast leans on its steeper start; measure a larger size before buying data")
        if self.factor_note:
            lines.append(f"factor: {self.factor_note}")
        if self.bound_note:
            lines.append(f"interval: {self.bound_note}")
        if lc.sizes.shape[0] < 4:
            lines.append(f"only {lc.sizes.shape[0]} sizes: measure more (e.g. 10%, 25%, 50%, 100% of the data) to "
                         "trust the slope")
        return lines

    @property
    def note(self) -> str | None:
        """The caveats on the interval, joined: :attr:`factor_note` and :attr:`bound_note`; None where neither."""
        said = [n for n in (self.factor_note, self.bound_note) if n]
        return "; ".join(said) if said else None

    @property
    def factor_note(self) -> str | None:
        """A caveat where ``factor`` lies past the largest factor the interval was calibrated on
        (8x on LCDB; beyond it the quantiles are held at 8x's, so the interval is too narrow):
        the words forecast's ``horizon:`` line says of a horizon past 10x the log. Else None."""
        top = float(2.0 ** _CAL_LOG2F[-1])
        if not self.factor > top * 1.0001:
            return None
        return (f"{self.factor:g}x is past the {top:g}x the data its interval was calibrated on: "
                "read it as narrower than the uncertainty")

    @property
    def bound_note(self) -> str | None:
        """What bounds the interval beyond the calibrated power law, where something does: a stated noise floor that
        holds the forecast (:meth:`LearningCurveFacts.held_at`), three sizes that steepen and cannot pin the floor
        (:attr:`LearningCurveFacts.unpinned`: the lower bound goes down to the training loss). Else None."""
        lc, said = self.curve, []
        bent = lc.steepening
        if lc.unpinned is not None and self.interval[0] <= lc.unpinned * 1.0001:
            said.append(f"the three sizes steepen (log-log slope {bent[0]:.2f}, then {bent[1]:.2f}): no floor fits "
                        f"them, and a curve leaving its small-data stretch can fall much faster; the lower bound is "
                        f"the training loss at the largest size ({lc.train_level:.4g}), as low as the floor can lie")
        held = lc.held_at(self.level)
        if held is not None and self.value <= held[0] * 1.0001:
            said.append(f"held at {held[0]:.4g}: no lower than the data's noise floor {lc.floor:g} stated")
        return "; ".join(said) if said else None

    def summary(self) -> str:
        lo, hi = self.interval
        return (f"{self.factor:g}x the data ({_sizes(self.curve.sizes, self.size, self.size_new)}): {self.metric} "
                f"{self.level:.4g} -> {self.value:.4g} ({-self.gain:+.0%}; 90% interval {lo:.4g} to {hi:.4g}); "
                f"P(more than {DATA_GAIN:.0%} lower) = {self.p_gain:.2f}")

    def to_dict(self) -> dict:
        return {"schema": "losslens.data/1", "metric": self.metric, "size": self.size, "size_new": self.size_new,
                "factor": self.factor, "level": finite_or_none(self.level), "value": finite_or_none(self.value),
                "interval": [finite_or_none(v) for v in self.interval], "gain": finite_or_none(self.gain),
                "p_gain": finite_or_none(self.p_gain), "data_limited": self.data_limited, "note": self.note,
                "learning_curve": self.curve.to_dict()}

    def __str__(self) -> str:
        return self.summary() + (f"; {self.note}" if self.note else "")

    def save_plot(self, path, dpi: int = 150):
        """The learning curve in log-log with the forecast and its interval (.png/.svg/.pdf)."""
        from ..report.plot import save_data_plot
        return save_data_plot(self, path, dpi=dpi)

    def _repr_html_(self) -> str:  # notebooks: the sentence and the chart
        from html import escape

        from ..exceptions import MissingExtraError
        from ..report.plot import data_figure, inline_svg
        try:
            chart = inline_svg(data_figure(self))
        except MissingExtraError:  # the core install: the sentence alone, as a Diagnosis's card comes alone
            chart = ""
        return f"<p>{escape(self.summary())}</p>" + chart


def _quantiles(log2f: float) -> tuple[float, float]:
    """Calibrated quantiles of the normalised log error at ``log2(factor)``, linear between the
    knots and held at the end knots (u itself grows with the factor)."""
    return float(np.interp(log2f, _CAL_LOG2F, _Q05)), float(np.interp(log2f, _CAL_LOG2F, _Q95))


def _certainty(lc: LearningCurveFacts, two: DataForecast | None) -> str | None:
    """The data_limited verdict's verb by ``two``, the forecast at twice the data that cleared the bar (None: not
    data-limited, no verb): "may" where the largest sizes flattened or P < LIKELY_P, "will" from SURE_P."""
    if two is None:
        return None
    if lc.flattening or two.p_gain < LIKELY_P:
        return "may"
    return "will" if two.p_gain >= SURE_P else "is likely to"


def format_size(v: float) -> str:
    """A training-set size as written: whole numbers grouped (1,000), others as they are (0.25)."""
    return f"{v:,.0f}" if v >= 100 and float(v).is_integer() else f"{v:g}"


def size_unit(sizes: np.ndarray) -> str | None:
    """What a table's training-set sizes count: ``"samples"`` where they are whole numbers, ``"fraction of the
    data"`` where they are fractions of it (``--size frac``: 0.1 ... 1.0), else None (a 1 -> 2 read "samples" of a
    table of fractions). The text and the chart's x axis say it."""
    if np.all(sizes == np.round(sizes)):
        return "samples"
    return "fraction of the data" if sizes.max() <= 1 else None


def _sizes(sizes: np.ndarray, *shown: float) -> str:
    """``shown`` sizes joined by arrows, with their unit (:func:`size_unit`)."""
    text = " -> ".join(format_size(v) for v in shown)
    unit = size_unit(sizes)
    if unit == "samples":
        return f"{text} samples"
    return f"fraction {text} of the data" if unit else f"size {text}"


def from_scores(train_sizes, scores, *, metric: str = "val_loss", greater_is_better: bool | None = None,
                source: str | None = None, repeats: str = "folds") -> LearningCurveFacts:
    """Learning-curve facts from sizes and scores in scikit-learn's layout.

    ``train_sizes``: (n_sizes,) training-set sizes (samples). ``scores``: (n_sizes,) or
    (n_sizes, n_folds), e.g. ``learning_curve(...)``'s ``test_scores``. ``greater_is_better``:
    None reads it from ``metric`` (:func:`losslens.facts.metric_direction`: ``loss``/``error``/
    ``mse`` are losses; ``acc``/``r2``/``auc``/``f1`` and scikit-learn's ``neg_*`` are scores) and,
    for any other name, from the curve: a validation score rises with more data, a loss falls. Scores become a
    loss: ``-s`` when all are <= 0 (scikit-learn's ``neg_*`` scorers), ``1 - s`` for values up to
    1 (accuracy, R^2), ``1 - s/100`` for percentages. ``repeats``: what the columns of ``scores`` are
    (scikit-learn's folds; a table's seed column: ``"seeds"``), as the text and chart name them.
    Raises :class:`LosslensError` with one line.
    """
    from ..exceptions import LosslensError

    try:
        sizes = np.asarray(train_sizes, dtype=float).reshape(-1)
        vals = np.asarray(scores, dtype=float)
    except (TypeError, ValueError):  # ("a", None, a ragged list): numpy's own words name neither argument
        raise UsageTypeError("train_sizes and scores are numbers: sizes (n_sizes,), scores (n_sizes,) or "
                             f"(n_sizes, n_folds), as sklearn's learning_curve returns them; got "
                             f"{type(train_sizes).__name__} and {type(scores).__name__}", source) from None
    if vals.ndim == 1:
        vals = vals[:, None]
    if vals.ndim != 2 or vals.shape[0] != sizes.shape[0]:
        raise LosslensError(f"scores have shape {np.shape(scores)}; expected ({sizes.shape[0]},) or "
                            f"({sizes.shape[0]}, n_folds), one row per training-set size", source)
    if sizes.shape[0] < 2:
        raise LosslensError("a learning curve needs at least two training-set sizes (three or more to trust it)", source)
    if not np.all(np.isfinite(sizes)) or np.any(sizes <= 0) or np.any(np.diff(sizes) <= 0):
        raise LosslensError("training-set sizes must be positive, finite and increasing", source)
    bad = ~np.all(np.isfinite(vals), axis=1)
    if bad.any():
        raise LosslensError(f"{metric} is missing or not finite at size {sizes[bad][0]:g}", source)
    # scikit-learn's negated losses read as the loss they negate: "neg_log_loss" -> "log_loss"
    plain = re.sub(r"(?i)^(.*?)(neg_|negative )", r"\1", metric, count=1)
    if greater_is_better is None:
        from . import metric_direction

        greater_is_better = metric_direction(metric)
        if greater_is_better and plain != metric and not np.all(vals <= 0):
            raise LosslensError(f"{metric} names a negated loss (scikit-learn's neg_*, at most 0), but it goes above 0 "
                                f"({vals.max():g}); say which way is better with --higher-is-better or "
                                "--lower-is-better (Python: greater_is_better=)", source)
        if greater_is_better is None:  # the name does not say: a score rises with more data, a loss falls
            mean = vals.mean(axis=1)
            greater_is_better = bool(mean[-1] > mean[0])
    if greater_is_better:
        if np.all(vals <= 0):
            vals, metric = -vals, plain if plain != metric else f"-{metric}"
        elif np.all(vals <= 1):
            vals, metric = 1 - vals, f"1 - {metric}"
        elif np.all(vals <= 100) and np.all(vals >= 0):
            vals, metric = 1 - vals / 100, f"1 - {metric}/100"
        else:
            raise LosslensError(f"{metric} is a score above 100 and not all <= 0: cannot turn it into a "
                                "loss; pass the loss instead", source)
    if np.any(vals < 0):
        # A loss below 0 (a Gaussian NLL, an ELBO's log-density) has no floor at 0 for a power law to fall
        # toward; read as "perfect" it was named at another size than its value's.
        i = int(np.argmin(vals.min(axis=1)))
        raise LosslensError(f"{metric} goes below 0 ({vals[i].min():g} at size {format_size(sizes[i])}): a power law "
                            "cannot be fitted to a loss that goes below 0 (a Gaussian negative log-likelihood?); "
                            "give a loss bounded below by 0 (MSE, error rate) or a score", source)
    if np.any(vals == 0):
        where = sizes[np.any(vals == 0, axis=1)][0]
        raise LosslensError(f"{metric} reaches a perfect 0 at size {format_size(where)}: nothing is left for more data "
                            "to lower", source)
    facts = learning_curve_facts({n: v for n, v in zip(sizes, vals)}, metric=metric)
    if facts is None:  # pragma: no cover - inputs were checked above
        raise LosslensError("not a usable learning curve", source)
    facts.repeats = repeats
    return facts


def learning_curve_facts(curve, metric: str = "val_loss", repeats: str = "seeds") -> LearningCurveFacts | None:
    """From ``{n_train: loss or [loss per seed]}`` (``repeats``: what the values at one size are, as the text says
    them: a run's ``meta["learning_curve"]`` holds seeds); None when fewer than two usable sizes."""
    if not isinstance(curve, dict) or len(curve) < 2:
        return None
    try:
        rows = sorted((float(n), np.atleast_1d(np.asarray(v, dtype=float))) for n, v in curve.items())
    except (TypeError, ValueError):
        return None
    seeds = {r[1].shape[0] for r in rows}
    if len(seeds) != 1:
        return None
    sizes = np.array([r[0] for r in rows])
    losses = np.stack([r[1] for r in rows], axis=1)
    if not (np.all(sizes > 0) and np.all(np.isfinite(losses)) and np.all(losses > 0)) or np.any(np.diff(sizes) <= 0):
        return None
    return LearningCurveFacts(sizes, losses, _slopes(sizes, losses), metric, _log_noise(sizes, losses.mean(0)), repeats)


def _slopes(sizes: np.ndarray, losses: np.ndarray) -> np.ndarray:
    """Least-squares log-log slope of each row of ``losses`` (n_rows, n_sizes) over the largest sizes."""
    k = min(LAST_SIZES, sizes.shape[0])
    lx = np.log(sizes[-k:])
    ly = np.log(losses[:, -k:])
    lx_c = lx - lx.mean()
    return (ly - ly.mean(1, keepdims=True)) @ lx_c / (lx_c @ lx_c)


def _log_noise(sizes: np.ndarray, loss: np.ndarray, k: int = LAST_SIZES) -> float:
    k = min(k, sizes.shape[0])
    if k < 3:
        return 0.0
    lx, ly = np.log(sizes[-k:]), np.log(loss[-k:])
    res = ly - np.polyval(np.polyfit(lx, ly, 1), lx)
    return float(np.sqrt(res @ res / (k - 2)))


def clears_data_bar(lc: LearningCurveFacts | None, gain: float = DATA_GAIN,
                    z: float = SLOPE_Z) -> DataForecast | None:
    """The forecast at twice the data where ``lc`` says "more data will help", else None.

    Measured at :data:`MIN_SIZES` sizes or more, doubling the data is forecast to lower the loss by
    ≥ ``gain`` (a fraction of the loss now), and with several seeds the log-log slope is below zero by
    more than ``z`` standard errors. The data_limited verdict (``diagnosis.learning_curve_cause``) and
    :attr:`DataForecast.data_limited` both decide on it: the fact layer holds the bar, the diagnosis
    its words."""
    if lc is None or lc.sizes.shape[0] < MIN_SIZES:
        return None
    fc = lc.forecast(2.0)
    if fc.gain < gain:
        return None
    st = lc.slope_t
    if st is not None and not st < -z:
        return None
    return fc
