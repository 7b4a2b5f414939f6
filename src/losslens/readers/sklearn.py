"""A fitted scikit-learn neural network (``MLPClassifier`` / ``MLPRegressor``) or gradient-boosting ensemble
(``HistGradientBoosting*``, ``GradientBoosting*``: :func:`_from_boosting`) as a Run.

scikit-learn keeps the training loss of every epoch in ``loss_curve_`` (the loss being
minimised, L2 penalty included) and, with ``early_stopping=True``, the score on its held-out
``validation_fraction`` in ``validation_scores_`` (accuracy for a classifier, R² for a
regressor: a score, so it is named ``val_acc`` / ``val_r2`` and read as rising; early stopping
stopped the fit on it, so it is the curve diagnosed by default). A classifier's ``classes_``
gives K for the chance level. Duck-typed: scikit-learn is not imported.

A fit that early stopping ended (``n_iter_ < max_iter``; with ``solver='adam'`` or a
non-adaptive ``'sgd'``, where running out of patience stops rather than cuts the step) carries
``meta["early_stopping"]`` (its ``n_iter_no_change``, ``tol`` and ``validation_fraction``) and
``meta["n_val"]``, the size of the held-out split the score was measured on (``t_`` counts the
training samples seen, ``n_iter_`` epochs of them; scikit-learn holds out ``ceil(fraction * n)``). A regressor's
``val_r2`` carries ``meta["baseline_score"]`` = 0, what predicting the held-out split's mean scores.
"""

from __future__ import annotations

import math

import numpy as np

from ..exceptions import ReadError
from ..run import Run


def is_estimator(obj) -> bool:
    """A scikit-learn estimator (it has ``get_params`` and ``fit``): the MLPs fitted with
    ``solver='sgd'``/``'adam'`` and the gradient-boosting ensembles keep a curve, the rest get a one-line error."""
    return hasattr(obj, "get_params") and any(hasattr(obj, a) for a in ("fit", "loss_curve_", "n_iter_", "train_score_"))


def from_estimator(est, columns=None) -> Run:
    name = type(est).__name__
    if getattr(est, "loss_curve_", None) is None and hasattr(est, "train_score_"):
        return _from_boosting(est, name, columns)
    curve = getattr(est, "loss_curve_", None)
    if curve is None and not hasattr(est, "n_iter_") and not hasattr(est, "n_features_in_"):
        raise ReadError("an unfitted estimator: fit it first", name)
    if curve is None and not hasattr(est, "n_iter_"):
        raise ReadError("no per-iteration curve: losslens reads scikit-learn's MLPClassifier/MLPRegressor "
                        "(loss_curve_) and the gradient-boosting ensembles (train_score_); save what your loop "
                        "measured instead (a CSV with a loss column per epoch)", name)
    if curve is None or len(curve) == 0:
        raise ReadError("no loss_curve_: losslens reads scikit-learn's MLPClassifier/MLPRegressor fitted "
                        "with solver='sgd' or 'adam' (lbfgs and other estimators record no curve)", name)
    history = {"loss": list(curve)}
    classes = getattr(est, "classes_", None)
    scores = getattr(est, "validation_scores_", None)
    if scores is not None and len(scores) == len(curve):
        history["val_acc" if classes is not None else "val_r2"] = list(scores)
    meta = {"format": "sklearn_estimator"}
    if len(history) > 1:
        # early_stopping=True stopped the fit on this score: it is the curve the question is about.
        meta["default_metric"] = next(k for k in history if k != "loss")
    if classes is not None and len(classes) >= 2:
        meta["classes"] = int(len(classes))
    if len(history) > 1:
        meta.update(_early_stop(est, len(curve), classes is not None))
    if "val_r2" in history:
        # R² is measured against the held-out split's own mean: a constant prediction scores 0 on it by definition,
        # the regression's "learned nothing", stated without its targets (diagnosis._at_the_baseline).
        meta["baseline_score"] = 0.0
    return Run.from_history(history, name=name, columns=columns, meta=meta)


def _early_stop(est, n_iter: int, is_classifier: bool) -> dict:
    """What stopped the fit, and on how many samples it was scored: {} where the estimator does not say."""
    try:
        params = est.get_params()
    except Exception:  # a half-built estimator: no settings to read
        return {}
    patience, max_iter = params.get("n_iter_no_change"), params.get("max_iter")
    fraction = params.get("validation_fraction")
    if not params.get("early_stopping") or not isinstance(patience, int) or not isinstance(max_iter, int):
        return {}
    if n_iter >= max_iter or (params.get("solver") == "sgd" and params.get("learning_rate") == "adaptive"):
        return {}  # ran out of iterations, or patience cut the step: not stopped on it
    out = {"early_stopping": {"patience": patience, "tol": params.get("tol"), "validation_fraction": fraction}}
    # The stop in the fields the callbacks record (integrations.lightning._early_stopped), which the diagnosis reads
    # to say what ran instead of "stop at epoch 15" of a fit that stopped itself (scikit-learn puts the best
    # iteration's weights back at the end).
    best, waited = getattr(est, "best_validation_score_", None), getattr(est, "_no_improvement_count", None)
    out["stopped_early"] = {"by": "early_stopping=True", "patience": patience, "tol": params.get("tol"),
                            "wait_count": int(waited) if isinstance(waited, (int, np.integer)) else patience + 1,
                            "best_score": float(best) if isinstance(best, (int, float, np.floating)) else None,
                            "epochs_run": n_iter, "epochs": max_iter}
    seen = getattr(est, "t_", None)
    if isinstance(seen, (int, float)) and seen > 0 and n_iter > 0 and isinstance(fraction, float) and 0 < fraction < 1:
        n_train = int(round(seen / n_iter))
        # train_test_split holds out ceil(fraction * n) of n samples: the n that leaves n_train.
        # Two n can leave the same n_train (1000 and 1001 at 0.1 both leave 900): an accuracy's values are
        # multiples of 1/n_val, which tells them apart.
        sizes = [m - n_train for m in range(n_train + 1, int(n_train / (1 - fraction)) + 3)
                 if m - math.ceil(fraction * m) == n_train]
        if is_classifier:
            scores = [float(v) for v in getattr(est, "validation_scores_", None) or []]
            exact = [k for k in sizes if all(abs(v * k - round(v * k)) < 1e-6 * k for v in scores)]
            sizes = exact or sizes
        if sizes:
            out["n_val"] = sizes[0]
    return out


def _from_boosting(est, name: str, columns=None) -> Run:
    """A fitted gradient-boosting ensemble, one point per boosting iteration, read as the same columns saved
    to a CSV are (the table reader's names and signs).

    ``HistGradientBoosting*`` keeps ``train_score_`` and ``validation_score_`` (the first entry before the first
    iteration) only with early stopping on; with the default ``scoring="loss"`` they are negated losses, read
    with the sign flipped as the CSV reader does. ``GradientBoosting*`` keeps ``train_score_``, the loss on the
    in-bag sample at each stage: the training loss. Its ``oob_scores_`` (``subsample < 1``) is not read as a
    validation loss: each stage's out-of-bag samples were in the bag of earlier stages, so it falls with the
    training loss (digits-like data with 20% flipped labels, 200 stages at lr 0.3: train 0.0053, "oob" 0.0056,
    where held-out log loss cannot go below the label noise's). A held-out curve is ``staged_predict_proba``
    on held-out data, saved beside it."""
    from . import table

    train = [float(v) for v in (getattr(est, "train_score_", None) if getattr(est, "train_score_", None) is not None
                                else [])]
    if hasattr(est, "validation_score_"):  # HistGradientBoosting*
        val = [float(v) for v in est.validation_score_]
        if not train and not val:
            raise ReadError("no curve: HistGradientBoosting keeps train_score_ and validation_score_ only with early "
                            "stopping on (early_stopping=True; n_iter_no_change=max_iter runs every iteration)", name)
        cols = {"iteration": list(range(len(train))), "train_score": train}
        if len(val) == len(train):
            cols["validation_score"] = val
    else:  # GradientBoosting*: its training loss only (oob_scores_ is no held-out curve: see above)
        cols = {"iteration": list(range(1, len(train) + 1)), "train_loss": train}
    data = {k: np.asarray(v, dtype=float) for k, v in cols.items()}
    meta = {"estimator": name, "model": "boosted_trees"}  # a booster's knobs in the actions, not a network's
    classes = getattr(est, "classes_", None)
    if classes is not None and len(classes) >= 2:
        meta["classes"] = int(len(classes))
    return table.to_runs(data, name=name, source=name, fmt="sklearn_estimator", columns=columns, meta=meta)[0]
