"""The training loss per epoch of a run logged by step: does it fall within epochs, or only between them?

A model that memorises does better on the examples it has already seen, and within an epoch each
batch is one it has not seen since the last epoch: its loss falls at each epoch boundary (the same
examples come round again) and holds, or creeps up, in between -- the staircase of a language
model's fine-tuning loss over a few epochs. A model that generalises does better on every batch as
training goes on: its loss falls within the epoch as much as across the boundary.

:func:`epoch_staircase` fits one line per epoch (after the first: the first pass sees every
example fresh) with a slope shared by all of them, ``y = a_k + b (e - k)`` for the fractional epoch
``e`` in epoch ``k``: ``b`` is the fall within an epoch, ``(a_1 - a_E) / (E - 1)`` the fall per epoch
in all, both with standard errors from the pooled residuals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_EPOCHS = 3            # complete epochs after the first, so there are two boundaries at least
MIN_POINTS_PER_EPOCH = 4  # training-loss points logged in each, to fit the slope inside it


@dataclass
class StaircaseFacts:
    epochs: int                # epochs fitted (the second to the last complete one)
    points_per_epoch: float    # median training-loss points logged in each
    fall_per_epoch: float      # the level's mean fall from one epoch to the next (loss units)
    fall_se: float
    within: float              # the shared slope inside an epoch, per epoch (negative: falls)
    within_se: float
    boundary_share: float      # share of the fall per epoch that happens between epochs: 1 - (-within) / fall
    first_epoch: float         # the level (fitted mean) of the second epoch and of the last fitted one
    last_epoch: float


def epoch_staircase(epoch_frac: np.ndarray, y: np.ndarray, lr: np.ndarray | None = None) -> StaircaseFacts | None:
    """The staircase facts of a training loss ``y`` logged at fractional epochs ``epoch_frac``; None where the
    run is too short, logs too few points an epoch, or its lr changes at the boundaries (a per-epoch step
    schedule makes the same staircase for another reason). ``lr`` is the logged lr at the same points."""
    e = np.asarray(epoch_frac, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(e) & np.isfinite(y)
    if lr is not None:
        lr = np.asarray(lr, dtype=float)[ok]
    e, y = e[ok], y[ok]
    if e.size < 2 or np.any(np.diff(e) < 0):
        return None
    # Each point is the mean loss since the one before (the Trainer's logging window): placed at its window's
    # middle, and left out where that window spans a boundary (logging_steps=3 of 16 steps an epoch mixes the
    # epochs' batches).
    w = np.diff(e, prepend=e[0] - (e[1] - e[0]) if e.size > 1 else e[0])
    # A point logged at epoch 1.0 closes the first epoch: its window lies inside it.
    k = np.ceil(e - 1e-9).astype(int) - 1
    k_from = np.ceil(e - w + 1e-9).astype(int) - 1
    last = int(math.floor(e[-1] + 1e-9)) - 1   # the last complete epoch (0-based)
    keep = (k >= 1) & (k <= last) & (k_from == k)
    e = e - w / 2
    if last < MIN_EPOCHS or not keep.any():
        return None
    if lr is not None and _stepped(lr, k):
        return None
    e, y, k = e[keep], y[keep], k[keep]
    n_ep = last
    idx = k - 1
    counts = np.bincount(idx, minlength=n_ep)
    if n_ep < MIN_EPOCHS or counts.min() < MIN_POINTS_PER_EPOCH:
        return None
    pos = e - k - 0.5  # position inside the epoch, -0.5 .. 0.5
    # Least squares of y = a_k + b pos in closed form (the within-epoch estimator, one pass over the points: a
    # 100,000-step log's dense design matrix took half the diagnosis): b from the deviations from each epoch's
    # means, a_k = mean_k(y) - b mean_k(pos), and their standard errors from the pooled residuals.
    mean_pos, mean_y = np.bincount(idx, pos, n_ep) / counts, np.bincount(idx, y, n_ep) / counts
    dp, dy = pos - mean_pos[idx], y - mean_y[idx]
    sxx = _dot(dp, dp)
    dof = e.size - (n_ep + 1)
    if dof < 3 or not sxx > 0:
        return None
    within = _dot(dp, dy) / sxx
    level = mean_y - within * mean_pos
    resid = dy - within * dp
    s2 = _dot(resid, resid) / dof
    fall = float(level[0] - level[-1]) / (n_ep - 1)
    fall_se = math.sqrt(s2 * (1 / counts[0] + 1 / counts[-1] + (mean_pos[0] - mean_pos[-1]) ** 2 / sxx)) / (n_ep - 1)
    within_se = math.sqrt(s2 / sxx)
    share = 1.0 + within / fall if fall > 0 else math.nan
    return StaircaseFacts(epochs=n_ep, points_per_epoch=float(np.median(counts)), fall_per_epoch=fall,
                          fall_se=fall_se, within=within, within_se=within_se, boundary_share=share,
                          first_epoch=float(level[0]), last_epoch=float(level[-1]))


def run_staircase(run) -> StaircaseFacts | None:
    """:func:`epoch_staircase` of a run's training loss, where it is logged by step beside the fractional
    epoch (a Hugging Face Trainer's ``epoch_frac``); None otherwise."""
    if run.axis_name != "step" or not run.has("train_loss") or "epoch_frac" not in run.series:
        return None
    y = np.asarray(run.series["train_loss"], dtype=float)
    ok = np.isfinite(y)
    lr = run.series.get("lr")
    return epoch_staircase(np.asarray(run.series["epoch_frac"], dtype=float)[ok], y[ok],
                           None if lr is None else np.asarray(lr, dtype=float)[ok])


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """``a @ b`` on one thread. numpy hands a 1-D ``@`` to BLAS, and OpenBLAS splits a dot product of more than
    10,000 points across its threads: waking them took 10-25 ms a product on a busy 2-core machine (0.05 ms on
    one thread), 60 of a 100,000-step log's 115 ms diagnosis, and their partial sums made the last digits depend
    on the machine's core count. Up to 10,000 points ``@`` runs on one thread: kept, the same bits as before."""
    return float(a @ b) if a.size <= 10_000 else float(np.einsum("i,i", a, b))


def _stepped(lr: np.ndarray, k: np.ndarray) -> bool:
    """The lr moves between epochs more than inside them (a per-epoch StepLR, ReduceLROnPlateau on an
    epoch's score), where a per-step schedule moves it a little at every point."""
    ok = np.isfinite(lr)
    if ok.sum() < 3:
        return False
    lr, k = lr[ok], k[ok]
    d = np.abs(np.diff(lr))
    across = k[1:] != k[:-1]
    return bool(across.any() and d[across].sum() > d[~across].sum())
