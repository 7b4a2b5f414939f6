"""PyTorch Lightning ``CSVLogger`` ``metrics.csv``: step rows, epoch rows and validation rows.

Lightning writes one row per ``log_every_n_steps`` with ``*_step`` values, one row per epoch
with ``*_epoch`` values and one row per validation run, each filling only its own cells::

    epoch,step,train_loss_epoch,train_loss_step,val_loss
    0,49,,0.812,
    0,99,,0.655,0.701
    0,99,0.748,,

:func:`per_epoch` folds such rows onto the epoch axis. The format is recognised from content
(an integer ``epoch`` column next to a ``step`` column) by :mod:`losslens.readers.table`.
"""

from __future__ import annotations

import re

import numpy as np

from ..columns import is_validation, normalise


def twin_columns(names, keep: str) -> set[str]:
    """Columns to drop because a twin at the preferred level exists.

    ``keep="epoch"`` drops ``x_step`` where ``x_epoch`` exists (epoch-level values are the
    ones Lightning averaged over the whole epoch); ``keep="step"`` drops ``x_epoch``.
    """
    drop_suffix, keep_suffix = ("_step", "_epoch") if keep == "epoch" else ("_epoch", "_step")
    norm = {normalise(n): n for n in names}
    out = set()
    for low, name in norm.items():
        if low.endswith(drop_suffix) and low[: -len(drop_suffix)] + keep_suffix in norm:
            out.add(name)
    return out


def per_epoch(epoch: np.ndarray, series: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Fold rows onto the epoch axis.

    Parameters
    ----------
    epoch : array of shape (n_rows,)
        The epoch of each row (finite).
    series : dict of name -> array of shape (n_rows,)

    Returns
    -------
    axis : array of shape (n_epochs,)
        The distinct epochs, sorted.
    series : dict of name -> array of shape (n_epochs,)
        Per epoch, the mean of the finite values logged in it: the value itself for
        epoch-level columns (one value per epoch), the epoch mean for step-level ones
        (like Lightning's own ``on_epoch=True`` reduction). A validation series checked several
        times an epoch (``val_check_interval=0.25``) takes the epoch's last check instead: the
        weights the epoch ended with, what Keras reports as an epoch's ``val_loss`` (a mean of
        the checks lags the model it describes). NaN where nothing was logged; an infinite value
        stays infinite (a diverged step must not vanish in a mean).
    """
    axis, inverse = np.unique(epoch, return_inverse=True)
    n = axis.shape[0]
    out = {}
    for name, values in series.items():
        ok = ~np.isnan(values)
        if is_validation(name):
            last = np.full(n, np.nan)
            last[inverse[ok]] = values[ok]  # later rows overwrite earlier ones: the last check
            out[name] = last
            continue
        counts = np.bincount(inverse[ok], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            sums = np.bincount(inverse[ok], weights=values[ok], minlength=n)
            mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        out[name] = mean
    return axis, out


def after_fit(epoch: np.ndarray, step: np.ndarray | None, series: dict[str, np.ndarray]) -> np.ndarray:
    """Rows that ``trainer.validate(ckpt_path="best")`` / ``trainer.test()`` wrote after ``fit``.

    They are logged at epoch ``max_epochs``, one past the last trained epoch, at the step where
    training stopped, and hold the *best* checkpoint's values: on the curve an overfitting
    run's validation loss would end back at its minimum. They are the rows past the last epoch
    with a training value whose step did not move past the last training step (+1). Returns a
    boolean mask of shape (n_rows,).
    """
    n = epoch.shape[0]
    drop = np.zeros(n, dtype=bool)
    if step is None:
        return drop
    trained = np.zeros(n, dtype=bool)
    for name, values in series.items():
        low = normalise(name)
        if not is_validation(name) and ("loss" in low or "acc" in low):
            trained |= np.isfinite(values)
    if not trained.any():
        return drop
    last_epoch = np.max(epoch[trained])
    last_step = np.nanmax(step[trained])
    return (epoch > last_epoch) & np.isfinite(step) & (step <= last_step + 1)


def fill_epochs(epoch: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Give rows without an epoch the epoch of the step they were logged at.

    Lightning's ``LearningRateMonitor`` writes rows with a ``step`` but an empty ``epoch``;
    each takes the epoch of the latest row at or before its step that has one (the next one
    for rows before any). Shapes: (n_rows,) in, (n_rows,) out.
    """
    missing = np.isnan(epoch) & np.isfinite(step)
    known = np.isfinite(epoch) & np.isfinite(step)
    if not missing.any() or not known.any():
        return epoch
    order = np.argsort(step[known], kind="stable")
    k_step, k_epoch = step[known][order], epoch[known][order]
    out = epoch.copy()
    if _epoch_at_end(k_step, k_epoch, step[missing]):
        # W&B's history: wandb.log({"train/loss": ...}) per batch, then wandb.log({"val/loss": ..., "epoch": e})
        # once the epoch is over: a batch row belongs to the epoch whose row comes next (the latest one
        # before it is the epoch before; the last epoch was left with its validation alone).
        pos = np.searchsorted(k_step, step[missing], side="left")
        out[missing] = k_epoch[np.clip(pos, 0, k_epoch.shape[0] - 1)]
        return out
    pos = np.searchsorted(k_step, step[missing], side="right") - 1
    out[missing] = k_epoch[np.clip(pos, 0, None)]
    return out


def _epoch_at_end(k_step: np.ndarray, k_epoch: np.ndarray, m_step: np.ndarray) -> bool:
    """The epoch is logged once per epoch, on a row of its own after the epoch's other rows: one row per
    epoch (rising), none at the step of another row, and before the first of them at least half as many
    rows as between two of them (an epoch's worth of batches)."""
    if k_step.shape[0] < 3 or m_step.shape[0] <= k_step.shape[0] or not np.all(np.diff(k_epoch) > 0):
        return False
    if np.isin(m_step, k_step).any():
        return False
    counts = np.bincount(np.searchsorted(k_step, m_step, side="left"), minlength=k_step.shape[0] + 1)
    between = counts[1:k_step.shape[0]]
    return bool(between.size and np.median(between) >= 1 and counts[0] >= 0.5 * np.median(between))


def steps_per_epoch(epoch: np.ndarray, step: np.ndarray) -> float | None:
    """The median number of optimizer steps per epoch, from the step column; None if unknown."""
    ok = np.isfinite(epoch) & np.isfinite(step)
    if ok.sum() < 2:
        return None
    axis, inverse = np.unique(epoch[ok], return_inverse=True)
    if axis.shape[0] < 2:
        return None
    last = np.full(axis.shape[0], -np.inf)
    np.maximum.at(last, inverse, step[ok])
    diffs = np.diff(last)
    diffs = diffs[np.isfinite(diffs) & (diffs > 0)]
    return float(np.median(diffs)) if diffs.size else None


_VERSION = re.compile(r"^version_(\d+)$")


def join_resumed(runs: list) -> list:
    """Join a fit resumed from a checkpoint to the run it continues.

    ``trainer.fit(model, ckpt_path="last.ckpt")`` with a new Trainer logs into a new
    ``version_N`` folder (CSVLogger and TensorBoardLogger alike) whose epochs go on where the
    checkpoint stopped: ``version_0`` holds epochs 0-11, ``version_1`` epochs 12-39. Read apart,
    the tail is judged without its start. A fresh fit starts at epoch 0, so a version whose first
    epoch is the next one after a sibling version's last, with the same series, is that run's
    continuation. The joined run is named ``version_0+version_1``.
    """
    from pathlib import Path

    from ..run import Run

    def folder(run):
        source = Path(run.source or "")
        return source if source.is_dir() else source.parent

    out: list = []
    for run in runs:
        here = folder(run)
        m = _VERSION.match(here.name)
        prev = next((i for i, r in reversed(list(enumerate(out))) if m and r.axis_name == run.axis_name == "epoch"
                     and r.meta.get("format") == run.meta.get("format") and set(r.series) == set(run.series)
                     and folder(r).parent == here.parent and _VERSION.match(folder(r).name)
                     and int(_VERSION.match(folder(r).name).group(1)) < int(m.group(1))
                     and len(run) and len(r) and run.axis[0] > 0 and run.axis[0] == r.axis[-1] + 1), None)
        if prev is None:
            out.append(run)
            continue
        prev, at = out[prev], prev
        joined = Run(np.concatenate([prev.axis, run.axis]),
                     {k: np.concatenate([prev.series[k], run.series[k]]) for k in run.series},
                     axis_name=run.axis_name, name=f"{prev.name}+{here.name}", source=prev.source,
                     meta={**prev.meta, "resumed_in": [*prev.meta.get("resumed_in", []), run.source]})
        out[at] = joined
    return out
