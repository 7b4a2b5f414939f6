"""A fitted scikit-learn neural network (``MLPClassifier`` / ``MLPRegressor``) as a Run.

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
training samples seen, ``n_iter_`` epochs of them; scikit-learn holds out ``ceil(fraction * n)``).
"""

from __future__ import annotations

import math

from ..exceptions import ReadError
from ..run import Run


def is_estimator(obj) -> bool:
    """A fitted iterative scikit-learn estimator (it has ``n_iter_``); only the MLPs fitted with
    ``solver='sgd'``/``'adam'`` keep a curve, the rest get a one-line error."""
    return hasattr(obj, "get_params") and (hasattr(obj, "loss_curve_") or hasattr(obj, "n_iter_"))


def from_estimator(est, columns=None) -> Run:
    name = type(est).__name__
    curve = getattr(est, "loss_curve_", None)
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
