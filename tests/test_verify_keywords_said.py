"""What verify says of a keyword it cannot use (session 42's walk).

``def train(lr_factor=1.0, /, epochs_factor=1.0)`` was told "train() takes no lr_factor": it has one, by position
only, and verify passes it as a keyword. A train() whose weight decay is 0 was told, for weight decay / 100, "pass
decay_factor on to the optimizer, model or data", where x 10 says "a weight decay of 0 times any factor is 0".
Both read off scikit-learn MLPs fitted here (a second or two each).
"""

from __future__ import annotations

import warnings

from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier

import losslens
from losslens.api import to_runs
from losslens.verification import Check, _Retrainer

X, Y = load_digits(return_X_y=True)
X = X[:400] / 16.0


def _fit(lr=1e-2, alpha=0.0):
    warnings.simplefilter("ignore")  # (ConvergenceWarning at max_iter: meant)
    return MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=lr, alpha=alpha, max_iter=20,
                         early_stopping=True, n_iter_no_change=100, random_state=0).fit(X, Y[:400])


def posonly(lr_factor=1.0, /, epochs_factor=1.0):
    return _fit(1e-2 * lr_factor)


def no_decay(decay_factor=1.0, seed=0):
    return _fit(alpha=0.0 * decay_factor)


def test_a_positional_only_factor_is_said_to_need_a_keyword():
    d = losslens.diagnose(posonly())
    r = _Retrainer(posonly, None, {}, bar=None)
    r.base_runs = to_runs(posonly())
    _, why = r.resolve(Check("lr_too_high", {"lr_factor": 0.1}, "learning rate / 10"), d)
    assert "takes lr_factor by position only" in why and "make it a keyword parameter" in why, why
    assert "takes no lr_factor" not in why


def test_a_hundredth_of_no_weight_decay_is_said_to_be_none_as_ten_times_is():
    r = _Retrainer(no_decay, None, {}, bar=None)
    r.base_runs = to_runs(no_decay())
    for factor in (10.0, 0.01):
        why = r.unchanged(Check("underfitting", {"decay_factor": factor}, "weight decay"),
                          to_runs(no_decay(decay_factor=factor)))
        assert "a weight decay of 0 times any factor is 0" in why, (factor, why)
        assert "pass decay_factor on" not in why, (factor, why)
