"""Chance level: is validation accuracy no better than guessing among K classes?"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from .smoothing import median3


@dataclass
class ChanceFacts:
    classes: int | None            # K (given, or inferred)
    classes_inferred: bool
    chance: float | None           # 1/K
    val_acc_tail: float | None     # mean validation accuracy over the last quarter
    val_acc_tail_sd: float | None
    train_acc_tail: float | None
    above_chance_sd: float | None  # (val_acc_tail - chance) / its binomial standard error
    n_val: int | None              # validation-set size behind the accuracy (given, or read off its steps)
    val_acc_start: float | None = None  # the first validation accuracy
    train_acc_peak: float | None = None     # the highest training accuracy (running median of 3: one lucky epoch is no peak)
    train_acc_peak_at: float | None = None  # its axis value
    train_acc_tail_sd: float | None = None
    val_acc_frozen: int = 0  # validation accuracy points, when every one equals the first (no decision ever flipped)
    val_acc_peak: float | None = None  # the highest validation accuracy (running median of 3)
    val_acc_points: int = 0  # finite validation accuracy points
    val_acc_top_since: float | None = None  # axis value from which every validation accuracy is within one
                                            # example of 100%
    val_acc_top_points: int = 0  # how many points that final stretch holds
    val_acc_top_min: float | None = None  # the lowest accuracy in it
    val_acc_step: int | None = None  # M where the validation accuracies all move in steps of 1/M (values_step)
    classes_from: str | None = None  # where K came from: "given", "initial loss", "constant loss" (held_at_ln_k),
                                     # "held loss" (held_level_k) or "resting loss" (resting_at_ln_k)
    val_acc_still: int = 0  # the final validation accuracy points that all equal the last (no decision flipped since)
    first_loss: float | None = None  # the loss K was inferred from, where it was ("initial loss"; "held loss": the
                                     # level held; "resting loss": the lowest point of the losses' later halves)
    certain: float | None = None  # certain_answers of the validation (else training) loss: outputs saturated
    rests_at: int | None = None  # K where the losses rest at ln K after they moved (resting_at_ln_k), no accuracy
                                 # above 1.5/K; None for a regression
    val_acc_peak_at: float | None = None  # the axis value of val_acc_peak (its first, where it repeats)
    val_acc_end: float | None = None  # the last finite validation accuracy ...
    val_acc_end_at: float | None = None  # ... and its axis value
    prior_share: float | None = None  # m, the majority class's share of the validation examples, where validation
                                      # accuracy says it (constant_answer): the accuracy of answering it for all
    prior_loss: float | None = None  # nats: the cross-entropy of the best constant answer at that share (H(m) with
                                     # two classes, the most at that share with K given), none without m
    prior_held: int = 0  # validation accuracy points at m
    prior_settled: bool = False  # prior_loss is where the validation loss settled while every answer held, not a
                                 # formula (constant_answer: K > 2 or unknown, a skewed prior under the formula's bound)

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if not self.prior_settled:
            del out["prior_settled"]  # (only where so, as facts.baseline_loss: every other run's JSON stays as it was)
        return out


#: Two accuracies (fractions) closer than this are one value: float32 round-trips of the same count of right answers
#: differ by ~1e-8; one example of a million is 1e-6.
SAME_ACCURACY = 1e-6


def never_moved(values: np.ndarray) -> bool:
    """Every finite point of ``values`` (a score, accuracy as a fraction) within ``SAME_ACCURACY`` of the first: not
    one decision flipped over the run. False without a finite point."""
    fin = values[np.isfinite(values)]
    return bool(fin.shape[0]) and bool(np.all(np.abs(fin - fin[0]) <= SAME_ACCURACY))


def in_examples(change: float, c: ChanceFacts | None, top: float = 1.0) -> float | None:
    """How many validation examples a ``change`` of the validation accuracy is (``top``: its ceiling, 1 or 100 for
    a percentage): change / top x n, n given or read off the accuracy's steps (``n_val``, ``val_acc_step``). An
    accuracy on n examples moves by 1/n at the least: a forecast gain under one example is below what it can
    show (scikit-learn's MLP on 180 held-out digits at 0.9944, one error: +0.0023 forecast, 0.42 of one).
    None without n."""
    n = None if c is None else (c.n_val or c.val_acc_step)
    if not n or not top or not math.isfinite(change):
        return None
    return abs(change) / top * n


def accuracy_fraction(acc: np.ndarray | None) -> np.ndarray | None:
    """An accuracy series as a fraction of examples right, whatever scale it was logged on.

    Parameters
    ----------
    acc : array of shape (n,) or None
        The accuracy as logged: a fraction in [0, 1], or a percentage in [0, 100] (read as one where its
        largest finite value is above 1 and none is negative). NaN = not logged at that point.

    Returns
    -------
    array of shape (n,) in [0, 1] (a percentage divided by 100, NaN kept), or None where ``acc`` is None.
    """
    if acc is None:
        return None
    fin = acc[np.isfinite(acc)]
    return acc / 100.0 if fin.size and 1.0 < fin.max() <= 100.0 and fin.min() >= 0 else acc


#: No ln K (K >= 2) lies under ln 2 = 0.693: a loss level under this is no uniform guess's, whatever K (a floor with
#: room under ln 2 for a loss read near it). infer_classes, held_at_ln_k and resting_at_ln_k share it.
LN_K_FLOOR = 0.5
#: infer_classes: a first loss above this is past ln(10000) / 0.85, which no K <= 10000 matches within
#: FIRST_LOSS_TOL (and exp() of a huge loss overflows; 5b549c5).
FIRST_LOSS_TOP = 11.0
#: ... a first accuracy at most 1/K + min(1/K, this) looks untrained (04e3526: 2/K let Keras' epoch-end 0.76 on
#: Fashion-MNIST through for two classes) ...
UNTRAINED_ACC_SLACK = 0.15
#: ... and ln K within this share of the first loss (71c31f1, the first facts; no measurement recorded).
FIRST_LOSS_TOL = 0.15


def infer_classes(first_loss: float | None, first_acc: float | None) -> int | None:
    """K from a cross-entropy log: an untrained K-class softmax starts near ln K with accuracy near 1/K.

    Only when accuracy is logged (so the loss is a classification loss), ln K matches the first
    loss within 15% and the first accuracy is at most 1/K + min(1/K, 0.15) (the first point is
    still untrained, not already an epoch in: 2/K, but 0.65 for two classes, where 2/K lets any
    accuracy through and Keras' epoch-end 0.76 read as an untrained binary model); otherwise None
    (pass ``classes=`` to be sure).
    """
    # Past ln(10000) / 0.85 no K <= 10000 can match (and exp() of a huge loss overflows).
    if first_acc is None or first_loss is None or not math.isfinite(first_loss) \
            or not LN_K_FLOOR < first_loss <= FIRST_LOSS_TOP:
        return None
    k = int(round(math.exp(first_loss)))
    if k < 2 or k > 10000 or not first_acc <= 1.0 / k + min(1.0 / k, UNTRAINED_ACC_SLACK):
        return None
    return k if abs(math.log(k) - first_loss) <= FIRST_LOSS_TOL * first_loss else None


def also_fits(first_loss: float | None, k: int) -> list[int]:
    """K - 1 and K + 1 (each ≥ 2) where their ln is within :data:`FIRST_LOSS_TOL` of ``first_loss`` (nats) as
    ``k``'s is: the doubt of a K :func:`infer_classes` guessed. A first logged loss is no untrained one to the
    digit: a first epoch's learning and an imbalanced split (whose constant answer scores under ln K) lower it, a
    random or thrown first step raises it; a 5-class run at 60/10/10/10/10 read 1.749 and was guessed K = 6."""
    if first_loss is None or not math.isfinite(first_loss) or first_loss <= 0:
        return []
    return [j for j in (k - 1, k + 1) if j >= 2 and abs(math.log(j) - first_loss) <= FIRST_LOSS_TOL * first_loss]


#: held_at_ln_k reads a level up to this: just above ln 10000 (9.21), the most classes K is read for.
HELD_LEVEL_TOP = 9.3


def held_at_ln_k(loss: np.ndarray | None, points: int = 5, flat: float = 1e-5, tol: float = 1e-4) -> int | None:
    """K where ``loss`` holds constant at ln K: ``points`` consecutive finite values within ``flat`` of each
    other, their mean within ``tol`` of ln K for an integer 2 <= K <= 10000, else None.

    A model that outputs the uniform distribution scores exactly ln K whatever the inputs, epoch after epoch
    (a DeepOBS CIFAR-100 run under Adam 6.3e-3 collapses to 4.60517 = ln 100 for 282 epochs); any other
    constant output, or a model still learning, would have to land within ``tol`` of ln K by chance.
    """
    if loss is None:
        return None
    a = loss[np.isfinite(loss)]
    # Stretches of consecutive values each within ``flat`` of the one before (a slow drift is then
    # caught by the spread check below).
    cuts = np.flatnonzero(np.abs(np.diff(a)) > flat) + 1
    for seg in np.split(a, cuts):
        if seg.shape[0] < points or seg.max() - seg.min() > 2 * flat:
            continue
        level = float(seg.mean())
        if LN_K_FLOOR < level <= HELD_LEVEL_TOP:  # ln 2 .. ln 10000
            k = int(round(math.exp(level)))
            if 2 <= k <= 10000 and abs(math.log(k) - level) < tol:
                return k
    return None


#: held_level_k: a loss held is one that never moved more than this share of its first point (stuck_at_init's
#: stuck_rel, Thresholds) ...
HELD_MOVED = 0.01
#: ... and K is read where ln K is within this many standard errors of the level its later half held, and ln (K - 1)
#: and ln (K + 1) are not.
HELD_SE = 3.0


def held_level_k(losses: tuple, first_loss: float | None, first_acc: float | None) -> tuple[int, float] | None:
    """``(K, level)``: K where every logged loss of ``losses`` (≥ 10 finite points) held within ``HELD_MOVED`` of
    ``first_loss`` and the median of its later half (nats) is within ``HELD_SE`` standard errors (robust sd / √n) of
    ln K, of one K for all and of no neighbour; the first accuracy at most 1/K + min(1/K, 0.15) as
    :func:`infer_classes` asks; else None.

    A run held at a uniform guess says ln K in the level it holds, to its noise over many points, where the first
    point is one epoch's mean that the fresh output's spread raises: an NT-Xent run on unrelated pairs (B = 64, so
    2B - 1 = 127 candidates) held 4.8442 ± 0.0001 against ln 127 = 4.8442, ln 128 = 4.8520, and its first loss
    4.861 read K = 129."""
    from .smoothing import robust_sd

    if first_loss is None or first_acc is None or not math.isfinite(first_loss) or first_loss <= LN_K_FLOOR:
        return None
    ks, levels = set(), []
    for loss in losses:
        if loss is None:
            continue
        a = loss[np.isfinite(loss)]
        if a.shape[0] < 10:
            continue
        if np.abs(a - first_loss).max() > HELD_MOVED * first_loss:
            return None
        half = a[a.shape[0] // 2:]
        level = float(np.median(half))
        if not LN_K_FLOOR < level <= HELD_LEVEL_TOP:
            return None
        se = max(robust_sd(half - level) / math.sqrt(half.shape[0]), 1e-6)
        k = int(round(math.exp(level)))
        if k < 2 or abs(math.log(k) - level) > HELD_SE * se \
                or any(abs(math.log(j) - level) <= HELD_SE * se for j in (k - 1, k + 1) if j >= 2):
            return None
        ks.add(k)
        levels.append(level)
    if len(ks) != 1:
        return None
    k = ks.pop()
    if not first_acc <= 1.0 / k + min(1.0 / k, UNTRAINED_ACC_SLACK):
        return None
    return k, float(np.median(levels))


#: resting_at_ln_k reads a level up to this (ln 55): past it ln K and ln (K + 1) are within a percent, closer than
#: its tolerance can tell apart (971e3fa).
RESTING_LEVEL_TOP = 4.0
#: ... and no accuracy logged beside it above this many times 1/K: a constant answer scores one class's share,
#: about 1/K; more says the outputs still depend on the inputs (971e3fa).
CONSTANT_ACC_TOP = 1.5


def resting_at_ln_k(losses: tuple, tol: float = 0.015, below: float = 0.005, spread: float = 0.03,
                    flat_t: float = 3.0, min_points: int = 8) -> tuple[int, float] | None:
    """``(K, low)`` where the logged losses, after one of them moved, rest at a uniform guess's ln K; else None.

    A network whose output no longer depends on its input (units that died, outputs that saturated) scores
    H(p) + KL(p || q) for its constant answer q: at least the class frequencies' entropy H(p), which is ln K for
    balanced classes, and noisily above it where the step keeps throwing its bias about. So each loss's later
    half is flat to its noise (OLS slope ``|t| < flat_t``, robust sd ≤ ``spread`` of its median, median within
    ``spread`` of ln K) and the lowest point of those halves, where the bias passed nearest the frequencies, is
    at most ``tol`` of ln K above it and ``below`` under it (only unequal classes put H(p) under ln K: digits'
    10 classes 0.01%), and within a quarter of the gap to the neighbouring ln (K ± 1) (so K is not a guess
    between two: this confines the rule to K ≲ 30; larger K needs the exact hold of :func:`held_at_ln_k`).
    Nor where a loss started within ``tol`` of a smaller ln K' (a fresh network's loss, DeepOBS logs it before
    training): the rest above it is a bias thrown past the frequencies, not K (fmnist at Momentum 0.63: 2.301 at
    epoch 0, then 2.41 = ln 11 + 0.6% for 99 epochs). A loss thrown further above its ln K can still match
    ln (K + 1) (fmnist at Adam 4, 2.488 = ln 12 + 0.14%, where its first point was already thrown): the K is then
    said to be inferred, and --classes sets it.
    "Moved": some loss's first point lies outside its later half's band (3 sds, at least 1% of the level),
    learned or thrown: a curve that never moved is a slow crawl as much as a guess.

    Parameters
    ----------
    losses : tuple of arrays of shape (n,) or None
        The logged loss series (validation, training), NaN where not logged. Each with ≥ ``min_points``
        finite values is read; a shorter or missing one is skipped.
    """
    from .smoothing import robust_sd
    from .trend import ols_slope_t
    halves, moved, firsts = [], False, []
    for loss in losses:
        if loss is None:
            continue
        a = loss[np.isfinite(loss)]
        if a.shape[0] < min_points:
            continue
        held = a[a.shape[0] // 2:]
        level = float(np.median(held))
        if not LN_K_FLOOR < level <= RESTING_LEVEL_TOP:  # ln 2 .. ln 55
            return None
        sd = robust_sd(held - level)
        t = 0.0 if np.ptp(held) == 0 else ols_slope_t(np.arange(held.shape[0], dtype=float), held)[1]
        if not (sd <= spread * level and abs(t) < flat_t):
            return None
        band = max(3 * sd, 0.01 * level)
        moved = moved or abs(float(a[0]) - level) > band
        halves.append((level, float(held.min())))
        firsts.append(float(a[0]))
    if not halves or not moved:
        return None
    low = min(m for _, m in halves)
    k = int(round(math.exp(low)))
    if k < 2:
        return None
    lnk = math.log(k)
    gap = min(math.log(k + 1) - lnk, lnk - math.log(k - 1) if k > 2 else math.inf)
    if not lnk - min(below * lnk, gap / 4) <= low <= lnk + min(tol * lnk, gap / 4):
        return None
    if any(abs(level - lnk) > spread * lnk for level, _ in halves):
        return None
    for first in firsts:
        k0 = int(round(math.exp(first))) if LN_K_FLOOR < first < lnk else 0
        if 2 <= k0 < k and abs(first - math.log(k0)) <= tol * math.log(k0):
            return None
    return k, low


# Keras clips predicted probabilities to [1e-7, 1 - 1e-7] (backend.epsilon()) before its cross-entropy: an answer
# given with certainty and wrong costs -ln(1e-7) = 16.118, one given with certainty and right ~0.
KERAS_CLIP_LOSS = -math.log(1e-7)


#: certain_answers skips points whose accuracy is at least this: with (almost) no wrong answers the line
#: (1 - accuracy) x the clip pins nothing (971e3fa; no measurement recorded).
CERTAIN_ACC_TOP = 0.99


def certain_answers(loss: np.ndarray | None, acc: np.ndarray | None, clip: float = KERAS_CLIP_LOSS,
                    tol: float = 0.002) -> float | None:
    """The median of loss / ((1 - accuracy) x ``clip``) over the points both are logged at, where it is within
    ``tol`` of 1 at the median and at the first point; else None.

    A network that gives every input one class with certainty (softmax saturated) scores ``clip`` on each
    wrong answer and ~0 on each right one: its loss is exactly (1 - accuracy) x ``clip``. A fresh network's
    outputs are near uniform (loss near ln K), so a loss on this line from the first evaluation says the first
    steps threw the outputs to certain answers: no K needed. (Keras 3 digits MLP at Adam 0.3: val_loss 14.5361,
    accuracy 0.0981, (1 - 0.0981) x 16.118 = 14.536.)

    Parameters
    ----------
    loss, acc : arrays of shape (n,) or None
        A cross-entropy and its accuracy (a fraction) on the same points; NaN where not logged.
    """
    if loss is None or acc is None or loss.shape != acc.shape:
        return None
    ok = np.isfinite(loss) & np.isfinite(acc) & (acc < CERTAIN_ACC_TOP)
    if ok.sum() < 3:
        return None
    ratio = loss[ok] / ((1.0 - acc[ok]) * clip)
    med = float(np.median(ratio))
    return med if abs(med - 1) <= tol and abs(float(ratio[0]) - 1) <= tol else None


#: constant_answer: the accuracy a constant answer scores must be held at this many evaluations ...
CONSTANT_HELD_POINTS = 10
#: ... at a share of at least this (a majority clearly above an even split) ...
CONSTANT_SHARE_MIN = 0.55
#: ... from one of the first this many evaluations (the first may still answer the other class).
CONSTANT_FROM = 2
#: ... and a level where the loss settled stands for the prior only this share inside both bounds a constant answer
#: at share m has: at m = 1/K both are ln K, the loss of a uniform output, which the ln K readings take (DeepOBS
#: CIFAR-100 thrown by a large step to 4.60517 for 300 epochs, accuracy 0.010016); between them the prior is skewed.
SKEWED_BY = 0.01


def smoothed_floor(eps: float, k: int) -> float:
    """The least cross-entropy (nats) a classifier over ``k`` classes can pay against labels smoothed by ``eps``
    (the target 1 − ε + ε/K on the label, ε/K on each other class, as Transformers' and Keras' smoothing make it):
    the smoothed target's own entropy, reached by predicting it exactly. 0.1985 at ε = 0.1, K = 2. A uniform guess
    still pays ln K (its log-probability is −ln K on every class, whatever the target), so a smoothed loss runs
    from this floor, not 0, to ln K."""
    if not 0 < eps < 1 or k < 2:
        return 0.0
    hi, lo = 1 - eps + eps / k, eps / k
    return -(hi * math.log(hi) + (k - 1) * lo * math.log(lo))


def least_entropy(m: float) -> float:
    """The least entropy (nats) of class frequencies whose largest share is ``m``: as many classes as fit at m, the rest
    in one, -(j m ln m + r ln r) for j = floor(1 / m) and r = 1 - j m. A constant answer whose top class has share m
    scores no less on a split with these frequencies; a model that decides by its inputs may."""
    j = math.floor(1 / m + 1e-12)
    r = max(0.0, 1 - j * m)
    return -(j * m * math.log(m) + (r * math.log(r) if r > 0 else 0.0))


def settled_level(val_loss: np.ndarray | None, tail: float = 0.25, fall_t: float = 3.0) -> float | None:
    """The median of ``val_loss``'s last quarter (nats), where the curve settled there: its last quarter (≥ 3 points)
    not still falling (OLS t of at least -``fall_t``) and the level under its first point by more than 3 robust sds
    of that quarter (a fresh output's loss fell to the frequencies' own; one that never moved is a model that never
    changed, at a zero step, and one thrown up to certain answers is no fitted prior); else None."""
    from .smoothing import robust_sd
    from .trend import ols_slope_t

    if val_loss is None:
        return None
    v = val_loss[np.isfinite(val_loss)]
    k = max(3, int(v.shape[0] * tail))
    if v.shape[0] < k + 1:
        return None
    end = v[-k:]
    t = 0.0 if np.ptp(end) == 0 else ols_slope_t(np.arange(k, dtype=float), end)[1]
    level = float(np.median(end))
    fell = float(v[0]) - level
    return level if t >= -fall_t and fell > 0 and fell > 3 * robust_sd(end - level) else None


def constant_answer(val_acc: np.ndarray | None, classes: int | None, first_loss: float | None,
                    val_loss: np.ndarray | None = None) -> tuple[float, float, int, bool] | None:
    """``(m, H, points, settled)``: the validation set's majority share m and the cross-entropy (nats) of the best
    constant answer there, how many evaluations scored m, and whether H is where ``val_loss`` settled rather than a
    formula, where validation accuracy says what a constant answer scores; else None.

    A model that answers the majority class for every input scores its share m exactly, one value epoch after
    epoch. So m is read where validation accuracy holds its highest value at ≥ ``CONSTANT_HELD_POINTS``
    evaluations, the first of them within the first ``CONSTANT_FROM`` (a fresh output can answer the minority
    first: 0.086, then 0.914 on digits' zeros) and unbroken from there for ``CONSTANT_HELD_POINTS`` of them,
    never exceeded, at a share of ``CONSTANT_SHARE_MIN`` or more and short of 1. A model that later learns from
    the inputs climbs past it (imbalanced make_classification: 0.92 x 3, then 0.935 ... 0.965); one that memorises
    noise flips answers and falls below it. One that climbs to its best, touching it on the way, is no constant
    answer either, however long it then holds there: a Keras MLP on wine (3 classes, 0.33/0.40/0.27) at Adam 0.05
    scored 0.905, 0.9365, then 0.857-0.921 for 7 epochs and 0.9365 from epoch 9 on, its weights frozen by the step
    (training's loss 0.1402 to 4 digits for 35 epochs), and read no_signal off "the majority class (0.9365 of
    validation's examples)"; lr / 10 reaches 0.032-0.042 against its 0.537 (tests/fixtures/ecosystem/
    keras_wine_highlr). The fixtures' constant answers (prior_level, torch_prior_only, a Trainer at lr 3e-5) hold m
    unbroken for 10-60 evaluations from their first; learned runs that touched their best early (the wine MLP's
    seeds, linear_circles at 0.99) for 1-2.

    No constant answer can score less than the entropy of the split it answers (the class frequencies themselves
    score it), so H is a floor for any model that ignores the inputs: with two classes H(m) =
    -(m ln m + (1 - m) ln (1 - m)), read only where the first loss is under ln 3 (a binary or multi-label loss;
    for multi-label the per-label mean, which the mean's entropy bounds from above); with K given or inferred
    the most that share can score over K classes, H(m) + (1 - m) ln (K - 1).

    With more than two classes (K > 2, or K unknown and a first loss of ln 3 or more) that formula is the most a
    constant answer at share m scores, and a skewed prior scores less (a bigram LM fed zeros: top token 0.2375,
    formula 3.51 over 50 tokens, the unigram prior's 2.66). There an accuracy held at m at every evaluation from
    its first ones, to the last, is itself the evidence of one answer for every input, and H is where ``val_loss``
    settled (:func:`settled_level`) where that is under the formula (or K is unknown) and over the least a constant
    answer at share m can score (:func:`least_entropy`: a model that decides by its inputs goes under it), each by
    ``SKEWED_BY`` (a skewed prior; at m = 1/K both bounds are ln K, a uniform output's); m need not be a majority.

    Parameters
    ----------
    val_acc : array of shape (n,) or None
        Validation accuracy as a fraction, NaN where not logged.
    classes : int or None
        K, given or inferred.
    first_loss : float or None
        The run's first logged loss, nats.
    val_loss : array of shape (n,) or None
        The validation loss, nats, NaN where not logged.
    """
    if val_acc is None:
        return None
    a = val_acc[np.isfinite(val_acc)]
    if a.shape[0] < CONSTANT_HELD_POINTS:
        return None
    m = float(a.max())
    held = np.flatnonzero(np.abs(a - m) <= SAME_ACCURACY)
    if held.shape[0] < CONSTANT_HELD_POINTS or held[0] >= CONSTANT_FROM or not 0 < m < 1 - SAME_ACCURACY:
        return None
    # One answer for every input scores m at each evaluation from its first: an accuracy that touched m early, left
    # it and climbed back is answers that changed, a model deciding by its inputs (keras_wine_highlr: 0.9365 at
    # epoch 1, 0.857-0.921 at 2-8, 0.9365 again from 9 on, on 3 classes at 0.33/0.40/0.27).
    if np.count_nonzero(held == held[0] + np.arange(held.shape[0])) < CONSTANT_HELD_POINTS:
        return None
    binary = classes == 2 or (classes is None and first_loss is not None and math.isfinite(first_loss)
                              and first_loss < math.log(3))
    majority = m >= CONSTANT_SHARE_MIN
    h = -(m * math.log(m) + (1 - m) * math.log(1 - m))
    if binary:
        return (m, h, int(held.shape[0]), False) if majority else None
    most = h + (1 - m) * math.log(classes - 1) if classes is not None and classes > 2 else None
    every = held.shape[0] == a.shape[0] - held[0]  # (no answer flipped from its first held evaluation on)
    level = settled_level(val_loss) if every and (classes is not None or first_loss is not None
                                                  and math.isfinite(first_loss)) else None
    if level is not None and (most is None or level < (1 - SKEWED_BY) * most) \
            and level > (1 + SKEWED_BY) * least_entropy(m):
        return m, level, int(held.shape[0]), True
    return (m, most, int(held.shape[0]), False) if majority and most is not None else None


#: one_class_shares: validation accuracy at one class's share or at 1 - it (two classes) at this share of the
#: evaluations or more, each of the two values at ``ONE_CLASS_EACH`` of them at least ...
ONE_CLASS_SHARE = 0.5
ONE_CLASS_EACH = 2
#: ... and the share at least this far from an even split, where m and 1 - m are one value.
ONE_CLASS_OFF_HALF = 0.05


def one_class_shares(val_acc: np.ndarray | None) -> tuple[float, int, int] | None:
    """``(m, at, n)``: a two-class model answering one class for every input at a time, the answer flipping: its
    validation accuracy takes a value v and 1 - v (the two classes' shares of the validation set: answering all of
    one scores its share, all of the other the rest) at ``at`` of its ``n`` finite evaluations, at least
    ``ONE_CLASS_SHARE`` of them and each value at ``ONE_CLASS_EACH`` or more; m = max(v, 1 - v), the majority's
    share, which any constant answer reaches. v is the most frequent value, ``ONE_CLASS_OFF_HALF`` or more from 1/2
    (at an even split the two answers score one value). Else None. A model that decides by its inputs scores its
    own values, rarely one that sums with another to exactly 1 (both values seen, and at half of the evaluations,
    says two answers, not a coincidence). scikit-learn's MLPClassifier on breast_cancer's raw features (values up
    to ~4000), 40 validation examples: 0.375 at 11 and 0.625 at 4 of 20 evaluations, outputs saturated on one class
    at a time (tests/fixtures/ecosystem/sklearn_unscaled_one_class).

    Parameters
    ----------
    val_acc : array of shape (n,) or None
        Validation accuracy as a fraction, NaN where not logged.
    """
    if val_acc is None:
        return None
    a = val_acc[np.isfinite(val_acc)]
    n = int(a.shape[0])
    if n < 2 * ONE_CLASS_EACH:
        return None
    values, counts = np.unique(np.round(a, 6), return_counts=True)
    v = float(values[int(np.argmax(counts))])
    if abs(v - 0.5) < ONE_CLASS_OFF_HALF or not 0 < v < 1:
        return None
    here = int(np.sum(np.abs(a - v) <= SAME_ACCURACY))
    there = int(np.sum(np.abs(a - (1 - v)) <= SAME_ACCURACY))
    if min(here, there) < ONE_CLASS_EACH or here + there < ONE_CLASS_SHARE * n:
        return None
    return max(v, 1 - v), here + there, n


#: chance_facts reads the validation set's size off the accuracy's steps only where its last value is at least this:
#: near the top, where the solved reading quotes it (values_step costs a few ms; 3eb52d9).
STEP_READ_FROM = 0.9


def chance_facts(val_acc: np.ndarray | None, train_acc: np.ndarray | None, classes: int | None,
                 first_loss: float | None, n_val: int | None = None, axis: np.ndarray | None = None,
                 losses: tuple = (), regression: bool = False) -> ChanceFacts:
    """``losses``: the logged loss series ``(val_loss, train_loss)``, searched for a stretch held at ln K
    (:func:`held_at_ln_k`), or, with no accuracy logged, resting near it after they moved (:func:`resting_at_ln_k`),
    unless ``regression`` (the run logs an error metric: mse, mae ...; a regression loss at 2.30 is no ln 10), and
    held against ``(1 - accuracy) x`` Keras's clip (:func:`certain_answers`, validation's pair first)."""
    inferred, source, low = False, "given" if classes is not None else None, None
    va = tail_mean_sd(val_acc)
    ta = tail_mean_sd(train_acc)
    rests_at = None
    if not regression:
        rest = resting_at_ln_k(losses)
        # A constant answer scores one class's share of the examples, about 1/K: an accuracy above 1.5/K
        # says the outputs still depend on the inputs, whatever the loss's level.
        accs = [a for a in (va[0], ta[0]) if a is not None]
        if rest is not None and all(a <= CONSTANT_ACC_TOP / rest[0] for a in accs):
            rests_at, rest_low = rest
    if classes is None:
        # The first point is untrained only where every accuracy logged there says so: the first loss is
        # training's, an epoch's mean in Lightning's and Keras' logs, and an epoch that learned lowers it while its
        # own accuracy climbs. Validation sliced off digits sorted by class (three classes training never saw)
        # scored 0.017 at its first check beside training's 0.638 and a first loss of 1.896: "K = 7", for 10.
        firsts = [float(acc[np.isfinite(acc)][0]) for acc in (val_acc, train_acc)
                  if acc is not None and np.isfinite(acc).any()]
        first_acc = max(firsts) if firsts else None
        if first_acc is not None and val_acc is not None:  # (accuracy logged: a classification loss)
            # A loss held at ln K pins K exactly; the first loss is an epoch mean that may already have moved
            # (that CIFAR-100 run starts at 4.93, which reads K = 138).
            classes = next((k for k in map(held_at_ln_k, losses) if k is not None), None)
            source = "constant loss" if classes is not None else None
            # Held, not constant: the level over many points says ln K more closely than the first point does.
            held_k = held_level_k(losses, first_loss, first_acc) if classes is None else None
            if held_k is not None:
                (classes, low), source = held_k, "held loss"
        if classes is None:
            classes = infer_classes(first_loss, first_acc if val_acc is not None else None)
            source = "initial loss" if classes is not None else None
        if classes is None and rests_at is not None:
            classes, low = rests_at, rest_low
            source = "resting loss"
        inferred = classes is not None
    chance = 1.0 / classes if classes else None
    if n_val is None and val_acc is not None:
        n_val = accuracy_denominator(val_acc) or rounded_denominator(val_acc)
    z = None
    if chance is not None and va[0] is not None and n_val:
        # Every epoch scores the same validation images, so averaging epochs does not shrink
        # the error: it is the binomial one of a single evaluation on n_val images.
        z = (va[0] - chance) / math.sqrt(chance * (1 - chance) / n_val)
    start = None
    if val_acc is not None and np.isfinite(val_acc).any():
        start = float(val_acc[np.isfinite(val_acc)][0])
    peak = peak_at = None
    if train_acc is not None and axis is not None and axis.shape == train_acc.shape:
        ok = np.isfinite(train_acc)
        if ok.sum() >= 3:
            a = median3(train_acc[ok])
            i = int(np.argmax(a))
            peak, peak_at = float(a[i]), float(axis[ok][i])
    frozen, val_peak, still = 0, None, 0
    val_peak_at = val_end = val_end_at = None
    if val_acc is not None:
        ok = np.isfinite(val_acc)
        fin = val_acc[ok]
        fx = axis[ok] if axis is not None and axis.shape == val_acc.shape else None
        if never_moved(fin):
            frozen = int(fin.shape[0])
        moved = np.flatnonzero(np.abs(fin - fin[-1]) > SAME_ACCURACY) if fin.shape[0] else np.empty(0)
        still = int(fin.shape[0] - 1 - moved[-1]) if moved.shape[0] else int(fin.shape[0])
        if fin.shape[0] >= 3:
            m3 = median3(fin)
            val_peak = float(m3.max())
            val_peak_at = float(fx[int(np.argmax(m3))]) if fx is not None else None
        if fin.shape[0]:
            val_end = float(fin[-1])
            val_end_at = float(fx[-1]) if fx is not None else None
    step = None
    last = val_acc[np.isfinite(val_acc)] if val_acc is not None else np.empty(0)
    if n_val is None and last.size and last[-1] >= STEP_READ_FROM:
        step = values_step(val_acc)  # (only near the top, where the solved reading quotes it: a few ms)
    top = at_the_top(val_acc, axis, n_val or step)
    prior = constant_answer(val_acc, classes, first_loss, None if regression or not losses else losses[0])
    certain = next((v for v in (certain_answers(loss, acc) for loss, acc in zip(losses, (val_acc, train_acc)))
                    if v is not None), None)
    if prior is not None and prior[3] and certain is not None:
        prior = None  # (a loss on the line certain answers score is no fitted prior, whatever its level)
    return ChanceFacts(classes, inferred, chance, va[0], va[1], ta[0], z, n_val, start, peak, peak_at, ta[1], frozen,
                       val_peak, *top, step, source, still,
                       first_loss if source == "initial loss" else low if source in ("resting loss", "held loss")
                       else None,
                       certain, rests_at, val_peak_at, val_end, val_end_at,
                       *(prior or (None, None, 0, False)))


#: values_step: a value is a multiple of 1/M to within this share of M plus this floor (an accuracy printed to 6
#: digits, 0.5e-6 each, times M) ...
STEP_TOL_REL = 0.5e-6
STEP_TOL_ABS = 1e-6
#: ... and an M is kept only where fewer than this many M's could have fitted the values by chance (3eb52d9).
STEP_CHANCE = 0.01


def values_step(acc: np.ndarray, max_n: int = 100_000, most: int = 50) -> int | None:
    """The smallest M for which every accuracy is a multiple of 1/M, to the 6 decimals a log keeps: 45 examples
    give 31/45, 44/45 ... (M = 45, where :func:`accuracy_denominator` wants the smallest gap to be 1/M).
    Needs 3 distinct values strictly between 0 and 1, and a fit chance alone would rarely give (< 0.01 such M
    expected). With n examples scoring every value, M divides n."""
    a = np.unique(np.round(acc[np.isfinite(acc)], 6))
    a = a[(a > 0) & (a < 1)][:most]
    if a.shape[0] < 3:
        return None
    m = np.arange(2, max_n + 1, dtype=float)
    for v in a:  # one value at a time: each keeps the few M it fits
        m = m[np.abs(v * m - np.round(v * m)) <= STEP_TOL_REL * m + STEP_TOL_ABS]
        if m.shape[0] == 0:
            return None
    n = float(m[0])
    # As many M below it as could have fitted these values by chance (each within +-tol of a multiple):
    # a large M fits rounded noise (4 averaged accuracies fitted M = 96,096).
    chance = n * (2 * (STEP_TOL_REL * n + STEP_TOL_ABS)) ** a.shape[0]
    return int(n) if chance < STEP_CHANCE else None


def at_the_top(acc: np.ndarray | None, axis: np.ndarray | None,
               n: int | None) -> tuple[int, float | None, int, float | None]:
    """``(points, since, top_points, top_min)``: the final stretch of ``acc`` within one example (1/n) of a
    perfect score, where it starts on ``axis``, its length and lowest value. One example is the resolution of
    an accuracy on n examples: a single flip is the smallest move it can make. Without n only exactly 1 counts."""
    if acc is None or axis is None or axis.shape != acc.shape:
        return 0, None, 0, None
    ok = np.isfinite(acc)
    a, x = acc[ok], np.asarray(axis, dtype=float)[ok]
    if a.shape[0] == 0:
        return 0, None, 0, None
    below = a < 1.0 - (1.0 / n if n else 0.0) - SAME_ACCURACY
    k = a.shape[0] - 1 - int(np.flatnonzero(below)[-1]) if below.any() else a.shape[0]
    if k == 0:
        return int(a.shape[0]), None, 0, None
    return int(a.shape[0]), float(x[-k]), int(k), float(a[-k:].min())


def accuracy_denominator(acc: np.ndarray, max_n: int = 100_000) -> int | None:
    """M when every accuracy value is a multiple of 1/M (20 images: steps of 0.05), else None."""
    a = np.unique(np.round(acc[np.isfinite(acc)], 6))
    if a.shape[0] < 2:
        return None
    step = float(np.diff(a).min())
    if step <= 0:
        return None
    m = int(round(1 / step))
    if not 1 < m <= max_n:
        return None
    return m if np.allclose(a * m, np.round(a * m), atol=1e-3 * max(1, m / 100)) else None


#: rounded_denominator reads accuracies printed to at most this many decimals (past it, values_step's 6-digit
#: tolerance applies) ...
ROUNDED_MAX_DECIMALS = 5
#: ... and needs this many distinct values strictly between 0 and 1: each fits a wrong M with probability about
#: M x 10^-d, so few values leave room for chance fits.
ROUNDED_MIN_VALUES = 8


def rounded_denominator(acc: np.ndarray, most: int = 50) -> int | None:
    """n, the examples an accuracy counts, where the log rounded each value to d < 6 decimals (a loop's
    ``round(acc, 4)``): the smallest M for which every value lies within half a unit of its last decimal
    (0.5 x 10^-d) of a multiple of 1/M. :func:`accuracy_denominator` wants the smallest gap to be 1/M to 1e-3, which
    rounding breaks (481 examples printed to 4 decimals step by 0.0021 or 0.0020: "M = 476"); :func:`values_step`
    reads 6 decimals (it returns 10^d here). Only M < 10^d / 2 can be told from rounding (each value then pins its
    count), and M is kept only where fewer than ``STEP_CHANCE`` M's could have fitted by chance. Values near 0 tell
    neighbouring M apart poorly (2/481 and 2/480 print alike): an M off by one changes no binomial sd. None otherwise."""
    a = np.unique(acc[np.isfinite(acc)])
    a = a[(a > 0) & (a < 1)]
    if a.shape[0] < ROUNDED_MIN_VALUES:
        return None
    d = next((d for d in range(1, ROUNDED_MAX_DECIMALS + 1)
              if np.all(np.abs(a * 10 ** d - np.round(a * 10 ** d)) < 1e-6 * 10 ** d)), None)
    if d is None:
        return None
    half = 0.5 * 10.0 ** -d
    a = a[:most]
    m = np.arange(2, 10 ** d // 2, dtype=float)
    for v in a:  # one value at a time: each keeps the few M it fits (k/M within half a unit of v)
        m = m[np.abs(v * m - np.round(v * m)) <= half * m + 1e-9]
        if m.shape[0] == 0:
            return None
    n = float(m[0])
    chance = n * (2 * half * n) ** a.shape[0]
    return int(n) if chance < STEP_CHANCE else None


def tail_mean_sd(a: np.ndarray | None):
    if a is None:
        return None, None, 0
    a = a[np.isfinite(a)]
    if a.shape[0] == 0:
        return None, None, 0
    k = max(1, a.shape[0] // 4)
    t = a[-k:]
    return float(t.mean()), float(t.std(ddof=1)) if k > 1 else 0.0, k
