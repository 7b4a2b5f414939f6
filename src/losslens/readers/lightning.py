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
from pathlib import Path

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
        (like Lightning's own ``on_epoch=True`` reduction). A validation series with more than one
        value in an epoch takes the epoch's last instead: the weights the epoch ended with, what
        Keras reports as an epoch's ``val_loss`` (a mean of the checks lags the model it
        describes). (A log whose validation is checked inside its epochs,
        ``val_check_interval=0.25``, is not folded: the table reader keeps it on the step axis.) NaN where nothing was logged; an infinite value
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
    steps = step[trained & np.isfinite(step)]
    if not steps.size:  # no training row has a step (a column shifted under the header): none to compare with
        return drop
    last_epoch = np.max(epoch[trained])
    last_step = steps.max()
    return (epoch > last_epoch) & np.isfinite(step) & (step <= last_step + 1)


def fill_epochs(epoch: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Give rows without an epoch the epoch of the step they were logged at.

    Lightning's ``LearningRateMonitor`` writes rows with a ``step`` but an empty ``epoch``;
    each takes the epoch of the latest row at or before its step that has one (the next one
    for rows before any), unless the epochs are stamped at their end (``epoch_stamped_at_end``): then
    the epoch whose last row comes next. Shapes: (n_rows,) in, (n_rows,) out.
    """
    missing = np.isnan(epoch) & np.isfinite(step)
    known = np.isfinite(epoch) & np.isfinite(step)
    if not missing.any() or not known.any():
        return epoch
    order = np.argsort(step[known], kind="stable")
    k_step, k_epoch = step[known][order], epoch[known][order]
    out = epoch.copy()
    if epoch_stamped_at_end(k_step, k_epoch, step[missing]):
        # W&B's history: wandb.log({"train/loss": ...}) per batch, then wandb.log({"val/loss": ..., "epoch": e})
        # once the epoch is over: a batch row belongs to the epoch whose row comes next (the latest one
        # before it is the epoch before; the last epoch was left with its validation alone).
        pos = np.searchsorted(k_step, step[missing], side="left")
        out[missing] = k_epoch[np.clip(pos, 0, k_epoch.shape[0] - 1)]
        return out
    pos = np.searchsorted(k_step, step[missing], side="right") - 1
    out[missing] = k_epoch[np.clip(pos, 0, None)]
    return out


def epoch_stamped_at_end(k_step: np.ndarray, k_epoch: np.ndarray, m_step: np.ndarray) -> bool:
    """The epoch is stamped at its end, after the epoch's other rows: each epoch's last stamped row (epochs
    rising), none at the step of a stamped row, and before the first of them at least half as many
    rows as between two of them (an epoch's worth of batches).

    W&B's history has one such row per epoch; Lightning stamps every row it writes itself at the step it
    logged it, its epoch-level and validation rows at the epoch's last step, while ``LearningRateMonitor``
    with an epoch-interval scheduler (ReduceLROnPlateau, StepLR) writes its unstamped row at the epoch's
    first step: one past the epoch before's last (steps 0, 19, 38 ... beside epoch rows at 18, 37 ...).
    Given the epoch before, every lr was read one epoch early and the last epoch had none."""
    if np.isin(m_step, k_step).any():
        return False
    _, last = last_steps(k_epoch, k_step)
    if last.shape[0] < 3 or not np.all(np.diff(last) > 0):
        return False
    k_step = last
    counts = np.bincount(np.searchsorted(k_step, m_step, side="left"), minlength=k_step.shape[0] + 1)
    between = counts[1:k_step.shape[0]]
    return bool(between.size and np.median(between) >= 1 and counts[0] >= 0.5 * np.median(between))


def steps_per_epoch(epoch: np.ndarray, step: np.ndarray) -> float | None:
    """The median number of optimizer steps per epoch, from the step column; None if unknown."""
    ok = np.isfinite(epoch) & np.isfinite(step)
    if ok.sum() < 2:
        return None
    _, last = last_steps(epoch[ok], step[ok])
    if last.shape[0] < 2:
        return None
    diffs = np.diff(last)
    diffs = diffs[np.isfinite(diffs) & (diffs > 0)]
    return float(np.median(diffs)) if diffs.size else None



def last_steps(epoch: np.ndarray, step: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(epochs, the last step logged in each)``: the distinct epochs, sorted, of rows whose epoch and step are
    both finite (shapes (n_rows,) in, (n_epochs,) out)."""
    ok = np.isfinite(epoch) & np.isfinite(step)
    axis, inverse = np.unique(epoch[ok], return_inverse=True)
    last = np.full(axis.shape[0], -np.inf)
    np.maximum.at(last, inverse, step[ok])
    return axis, last


def checks_per_epoch(val_epoch: np.ndarray, val_step: np.ndarray, epoch: np.ndarray,
                     step: np.ndarray) -> tuple[float, bool]:
    """How validation was checked: the median number of checks per epoch validated, and whether at least half of
    those epochs have one before the epoch's last step (a check inside the epoch, not at its end), as every
    ``val_check_interval`` that is no whole number of epochs gives from its first check on. ``val_epoch``,
    ``val_step``: each check's epoch (finite) and step (NaN where none was logged), shapes (m,); ``epoch``, ``step``:
    every logged row's, for each epoch's last step (:func:`last_steps`), shapes (n,). The table reader's test on
    metrics.csv and the TensorBoard reader's on an event file's ``epoch`` scalar."""
    validated, counts = np.unique(val_epoch, return_counts=True)
    axis, last = last_steps(epoch, step)
    has = np.isfinite(val_step)
    at = np.searchsorted(axis, val_epoch[has])
    inside = np.unique(at[val_step[has] < last[at]]).shape[0]
    return float(np.median(counts)), bool(2 * inside >= validated.shape[0])


def fractional_epochs(epoch: np.ndarray, step: np.ndarray) -> np.ndarray | None:
    """Lightning's epoch *index* at each step as the epochs completed there, a Trainer's ``state.epoch``: at
    ``val_check_interval=0.25`` of 20-batch epochs steps 4, 9, 14, 19, 24 read 0.25, 0.5, 0.75, 1, 1.25.

    An epoch ``e`` ends at its last logged step ``L_e`` (Lightning writes its epoch-level row there) and starts
    after ``L_{e-1}``; the first and the last epoch (which a stop mid-epoch cuts short) are taken to be the
    median epoch long. ``None`` where the epochs are no such index (fractional, the Trainer's own; or each
    whole epoch at one step only, a Trainer logging once an epoch) or fewer than two epochs tell their length.
    Shapes: (n,) in, (n,) out; NaN where either input is."""
    epoch, step = np.asarray(epoch, dtype=float), np.asarray(step, dtype=float)
    ok = np.isfinite(epoch) & np.isfinite(step)
    if not ok.any() or np.any(epoch[ok] != np.round(epoch[ok])):
        return None
    axis, last = last_steps(epoch, step)
    if np.unique(np.stack([epoch[ok], step[ok]]), axis=1).shape[1] == axis.shape[0]:
        return None  # one step per epoch: an epoch count logged at the epoch's end, already whole epochs done
    spe = steps_per_epoch(epoch, step)
    if spe is None:
        return None
    start = np.concatenate([[last[0] - spe], last[:-1]])
    length = np.diff(np.concatenate([start, [start[-1] + spe]]))
    length[-1] = spe
    if np.any(length <= 0):
        return None  # (an epoch that ends before the one before it: steps counted again, a resumed run's)
    at = np.searchsorted(axis, epoch[ok])
    out = np.full(epoch.shape, np.nan)
    out[ok] = axis[at] + np.clip((step[ok] - start[at]) / length[at], 0.0, 1.0)
    return out


_CKPT_EPOCH = re.compile(r"(?:^|[-_])epoch=(\d+)(?:[-_.]|$)")


def kept_checkpoint(metrics: Path) -> dict | None:
    """``{"path": "checkpoints/<name>.ckpt", "epoch": N}`` of the one checkpoint ModelCheckpoint kept beside a
    ``metrics.csv`` (in ``checkpoints/`` of its version folder, the default ``dirpath`` with a logger), its epoch read
    off its name where it holds one, the default ``epoch=13-step=140.ckpt`` or a ``filename=`` that names the epoch
    (``best-epoch=13-val_loss=0.19.ckpt``), else off the file (:func:`_saved_epoch`: a name such as
    ``best-13-0.19.ckpt``, ``auto_insert_metric_name=False``, or ``best.ckpt``); 0-based, as ``metrics.csv`` numbers
    them; else None. Only one: with ``save_top_k=1`` (the default) the file left is the best by its monitor, while
    several kept (or a ``last.ckpt`` alone) do not say which is best without loading them."""
    folder = metrics.parent / "checkpoints"
    try:
        names = [p.name for p in folder.iterdir() if p.suffix == ".ckpt" and p.name != "last.ckpt"] \
            if folder.is_dir() else []
    except OSError:
        return None
    if len(names) != 1:
        return None
    m = _CKPT_EPOCH.search(names[0][:-len(".ckpt")])
    epoch = int(m.group(1)) if m else _saved_epoch(folder / names[0])
    return None if epoch is None else {"path": f"checkpoints/{names[0]}", "epoch": epoch}


def _saved_epoch(ckpt: Path) -> int | None:
    """The epoch a Lightning checkpoint was saved at (its ``"epoch"`` entry, 0-based), read without its weights:
    ``torch.load``'s ``weights_only`` unpickler runs no code from the file, and over a memory map no tensor is read
    (0.04 s for a 1 MB checkpoint). None without torch, or where the file cannot be read so."""
    try:
        import torch
    except ImportError:
        return None
    try:
        saved = torch.load(ckpt, map_location="cpu", weights_only=True, mmap=True)
    except Exception:  # (damaged, the legacy format mmap cannot map, a class weights_only refuses: no epoch said)
        return None
    epoch = saved.get("epoch") if isinstance(saved, dict) else None
    return epoch if isinstance(epoch, int) and not isinstance(epoch, bool) and epoch >= 0 else None

