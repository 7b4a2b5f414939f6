"""A fitted scikit-learn neural network (``MLPClassifier`` / ``MLPRegressor``) as a Run.

scikit-learn keeps the training loss of every epoch in ``loss_curve_`` (the loss being
minimised, L2 penalty included) and, with ``early_stopping=True``, the score on its held-out
``validation_fraction`` in ``validation_scores_`` (accuracy for a classifier, R² for a
regressor: a score, so it is named ``val_acc`` / ``val_r2`` and read as rising; early stopping
stopped the fit on it, so it is the curve diagnosed by default). A classifier's ``classes_``
gives K for the chance level. Duck-typed: scikit-learn is not imported.
"""

from __future__ import annotations

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
    return Run.from_history(history, name=name, columns=columns, meta=meta)
