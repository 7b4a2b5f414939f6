"""The alternatives a user would otherwise pick, driven by the same curves as losslens.

Each baseline is a function ``(run, metric) -> Prediction``: the cause it names (or None
when it names none) and the plateau epoch X it implies (or None), in the run's axis units.
``NAMES[method]`` is the set of causes a method can name at all; a method is scored on what
it names (see :mod:`benchmarks.score`).

- ``keras_es_p5`` / ``keras_es_p10``: the real ``keras.callbacks.EarlyStopping(monitor=metric,
  patience=5|10)`` fed the curve epoch by epoch through ``on_epoch_end`` with a dummy model.
  It stops or not: stopping means "plateaued" with X = its ``best_epoch``; not stopping means
  "still improving".
- ``torch_rop``: the real ``torch.optim.lr_scheduler.ReduceLROnPlateau`` (defaults: patience
  10, threshold 1e-4 relative) stepping on the curve; the first lr cut means "plateaued",
  X = the last improvement before it.
- ``prechelt_gl5``, ``prechelt_pq3``, ``prechelt_up3``: Prechelt's stopping criteria (L.
  Prechelt, "Early Stopping -- But When?", Neural Networks: Tricks of the Trade, 1998):
  GL_a stops when the generalization loss ``100 (E_va(t) / E_opt(t) - 1) > a``; PQ_a when
  ``GL(t) / P_k(t) > a`` at the end of a strip of k=5 epochs, with training progress
  ``P_k(t) = 1000 (sum of E_tr over the strip / (k min E_tr over the strip) - 1)``; UP_s when
  the validation error rose at the end of s successive strips. They detect overfitting:
  stopping names ``overfitting`` with X = the epoch of the lowest validation error so far.
- ``trainspotter``: trainspotter (PyPI) run on the same train/val losses; its findings map
  to causes: divergence -> diverged, overfitting (warning or error) -> overfitting, spikes ->
  lr_too_high (its fix: "lower the learning rate"), plateau -> stuck_at_init when the flat
  window starts in the first 10% of the run, else temporary_plateau. X = the overfitting
  finding's onset (trainspotter's val-minimum step).
- ``naive``: what one does by eye. NaN or end above start -> diverged; val ends >= 10% of its
  range above its minimum -> overfitting; the last 10% still drops >= 2% of the range ->
  still_improving; else converged. X = DESIGN.md's X measured on the raw (unsmoothed) curve.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

PLATEAU_ONLY = frozenset({"still_improving"})  # stop / don't stop: "not plateaued" is all they name


@dataclass
class Prediction:
    """``confidence``: how sure the method says it is of ``cause`` (0-1), None where it says nothing;
    ``raw_confidence``: losslens's before its recalibration (the rules' strength: what the map is fitted on)."""

    cause: str | None
    x: float | None
    confidence: float | None = None
    raw_confidence: float | None = None


NAMES = {
    "losslens": None,  # the whole vocabulary
    "naive": frozenset({"diverged", "overfitting", "still_improving", "converged"}),
    "trainspotter": frozenset({"diverged", "overfitting", "lr_too_high", "stuck_at_init", "temporary_plateau"}),
    "keras_es_p5": PLATEAU_ONLY,
    "keras_es_p10": PLATEAU_ONLY,
    "torch_rop": PLATEAU_ONLY,
    "prechelt_gl5": frozenset({"overfitting"}),
    "prechelt_pq3": frozenset({"overfitting"}),
    "prechelt_up3": frozenset({"overfitting"}),
}


def _curve(run, metric):
    """``(axis, values)`` of the metric, NaN kept after the first finite value (a divergence)."""
    v = run.series.get(metric)
    if v is None:
        return np.array([]), np.array([])
    v = np.asarray(v, dtype=float)
    ok = np.isfinite(v)
    if not ok.any():
        return run.axis[:1], v[:1]
    # Gaps (NaN between logged points) are dropped; a trailing run of NaN stays (it diverged).
    last_ok = np.flatnonzero(ok)[-1]
    keep = ok.copy()
    keep[last_ok + 1:] = True
    keep[: np.flatnonzero(ok)[0]] = False
    return run.axis[keep], v[keep]


# --------------------------------------------------------------------------- Keras
_KERAS_MODEL = None


def _keras_model():
    global _KERAS_MODEL
    if _KERAS_MODEL is None:
        os.environ.setdefault("KERAS_BACKEND", "torch")
        import keras
        _KERAS_MODEL = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    return _KERAS_MODEL


def keras_early_stopping(run, metric, patience: int) -> Prediction:
    """Drive ``keras.callbacks.EarlyStopping`` with the curve (the callback's own logic decides)."""
    import keras
    model = _keras_model()
    model.stop_training = False
    cb = keras.callbacks.EarlyStopping(monitor=metric, patience=patience, mode="min", verbose=0)
    cb.set_model(model)
    cb.on_train_begin()
    axis, v = _curve(run, metric)
    for i, value in enumerate(v):
        cb.on_epoch_end(i, {metric: float(value)})
        if model.stop_training:
            return Prediction(None, float(axis[cb.best_epoch]))
    return Prediction("still_improving", None)


# --------------------------------------------------------------------------- PyTorch
def torch_reduce_lr_on_plateau(run, metric) -> Prediction:
    """Step ``torch.optim.lr_scheduler.ReduceLROnPlateau`` (defaults) on the curve."""
    import torch
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1.0)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min")
    axis, v = _curve(run, metric)
    last_improvement = 0
    for i, value in enumerate(v):
        sched.step(float(value))
        if sched.num_bad_epochs == 0:
            last_improvement = i
        if opt.param_groups[0]["lr"] < 1.0:
            return Prediction(None, float(axis[last_improvement]))
    return Prediction("still_improving", None)


# --------------------------------------------------------------------------- Prechelt
def _prechelt(run, metric, kind: str, alpha: float, strip: int = 5) -> Prediction:
    axis, va = _curve(run, metric)
    tr_full = run.series.get("train_loss")
    tr = None
    if tr_full is not None:
        idx = np.searchsorted(run.axis, axis)
        tr = np.asarray(tr_full, dtype=float)[idx]
    best, best_i, ups, prev_strip_val = math.inf, 0, 0, None
    for t, e in enumerate(va):
        if not math.isfinite(e):
            break  # Prechelt's criteria assume finite errors; a NaN run is not theirs to judge
        if e < best:
            best, best_i = e, t
        gl = 100.0 * (e / best - 1.0) if best > 0 else 0.0
        if kind == "GL" and gl > alpha:
            return Prediction("overfitting", float(axis[best_i]))
        end_of_strip = (t + 1) % strip == 0
        if kind == "PQ" and end_of_strip and tr is not None:
            window = tr[t - strip + 1: t + 1]
            if np.all(np.isfinite(window)) and window.min() > 0:
                progress = 1000.0 * (window.sum() / (strip * window.min()) - 1.0)
                if progress > 0 and gl / progress > alpha:
                    return Prediction("overfitting", float(axis[best_i]))
        if kind == "UP" and end_of_strip:
            if prev_strip_val is not None and e > prev_strip_val:
                ups += 1
                if ups >= alpha:
                    return Prediction("overfitting", float(axis[best_i]))
            else:
                ups = 0
            prev_strip_val = e
    return Prediction(None, None)


# --------------------------------------------------------------------------- trainspotter
def trainspotter_findings(run, metric):
    """trainspotter's findings for the run's train loss and ``metric`` (as its eval loss)."""
    import trainspotter as ts
    tsrun = ts.Run(source_format="losslens-bench", source_path=run.name)
    for key, name in (("train_loss", "train/loss"), (metric, "eval/loss")):
        arr = run.series.get(key)
        if arr is None:
            continue
        arr = np.asarray(arr, dtype=float)
        for i, value in enumerate(arr):
            if not np.isfinite(value) and np.isfinite(arr[i:]).any():
                continue  # a gap between logged points; trailing NaN/inf (a divergence) stays
            tsrun.add_point(name, i, float(value))
    tsrun.finalize()
    return ts.run_all(tsrun)


def trainspotter_baseline(run, metric) -> Prediction:
    """trainspotter's findings mapped onto the losslens vocabulary (module docstring)."""
    findings = trainspotter_findings(run, metric)
    n = len(run)
    by = {}
    for f in findings:
        by.setdefault(f.detector, []).append(f)
    x = None
    over = [f for f in by.get("overfitting", []) if f.severity != "info"]
    if over:
        x = float(run.axis[min(over[0].step_start, n - 1)])
    if by.get("divergence"):
        return Prediction("diverged", None)
    if over:
        return Prediction("overfitting", x)
    if by.get("plateau"):
        start = by["plateau"][0].step_start
        return Prediction("stuck_at_init" if start <= 0.1 * n else "temporary_plateau", None)
    if by.get("spikes"):
        return Prediction("lr_too_high", None)
    return Prediction(None, None)


# --------------------------------------------------------------------------- naive
def naive_rule(run, metric) -> Prediction:
    """The by-eye rule of the module docstring."""
    axis, v = _curve(run, metric)
    fin = v[np.isfinite(v)]
    if fin.size < 2:
        return Prediction("diverged", None)
    if not np.isfinite(v).all() or fin[-1] > fin[0]:
        return Prediction("diverged", None)
    lo, rng = float(fin.min()), float(fin[0] - fin.min())
    i_min = int(np.argmin(v))
    x = float(axis[int(np.argmax(v - lo <= 0.05 * rng))]) if rng > 0 else None
    if rng > 0 and fin[-1] - lo >= 0.10 * rng:
        return Prediction("overfitting", x)
    k = max(2, int(round(0.1 * fin.size)))
    if rng > 0 and fin[-k - 1] - fin[-1] >= 0.02 * rng and i_min >= fin.size - 2:
        return Prediction("still_improving", None)
    return Prediction("converged", x)


# --------------------------------------------------------------------------- losslens
def losslens_method(run, metric, classes=None) -> Prediction:
    """``losslens.diagnosis.diagnose_run``: its verdict, plateau epoch and the verdict's confidence."""
    from losslens.diagnosis import diagnose_run
    d = diagnose_run(run, metric=metric, classes=classes)
    # The X error and plateau-F1 score the X a still-falling curve showed too (slowdown_epoch since session 39, when
    # plateau_epoch became null there, as DESIGN says): the scores are those of the X read before.
    x = d.plateau_epoch if d.plateau_epoch is not None else d.slowdown_epoch
    c = next((c for c in d.causes if c.id == d.verdict), None)
    return Prediction(d.verdict, None if x is None else float(x), None if c is None else float(c.confidence),
                      None if c is None or c.strength is None else float(c.strength))


METHODS = {
    "losslens": losslens_method,
    "naive": naive_rule,
    "trainspotter": trainspotter_baseline,
    "keras_es_p5": lambda run, metric: keras_early_stopping(run, metric, 5),
    "keras_es_p10": lambda run, metric: keras_early_stopping(run, metric, 10),
    "torch_rop": torch_reduce_lr_on_plateau,
    "prechelt_gl5": lambda run, metric: _prechelt(run, metric, "GL", 5.0),
    "prechelt_pq3": lambda run, metric: _prechelt(run, metric, "PQ", 3.0),
    "prechelt_up3": lambda run, metric: _prechelt(run, metric, "UP", 3),
}
