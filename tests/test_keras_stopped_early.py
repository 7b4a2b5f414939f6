"""A Keras History whose fit EarlyStopping already stopped (session 45's early-stopping walk): a digits MLP
(64-256-256-10) at Adam(3e-3) on 300 digits, 600 held out, EarlyStopping(patience=5, restore_best_weights=True), 80
epochs planned; it stopped after 21, its best val_loss at epoch 15. losslens read the History as any run and advised
"early stopping with restore_best_weights: the best weights are from epoch 15", what had run already. The History
says the fit was stopped (``history.model.stop_training``, 21 lists' entries of ``history.params["epochs"]`` = 80);
Keras 3 keeps no callback on it, so whether the weights were restored is said both ways."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
sklearn_datasets = pytest.importorskip("sklearn.datasets")

import losslens  # noqa: E402

pytestmark = pytest.mark.slow


def _fit(epochs: int, stop: bool):
    from sklearn.model_selection import train_test_split

    keras.utils.set_random_seed(0)
    X, y = sklearn_datasets.load_digits(return_X_y=True)
    X = X / 16.0
    Xtr, Xva, ytr, yva = train_test_split(X, y, train_size=300, test_size=600, random_state=0)
    m = keras.Sequential([keras.Input((64,)), keras.layers.Dense(256, activation="relu"),
                          keras.layers.Dense(256, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    m.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    cbs = [keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)] if stop else []
    return m.fit(Xtr, ytr, validation_data=(Xva, yva), epochs=epochs, batch_size=32, verbose=0, callbacks=cbs)


@pytest.fixture(scope="module")
def stopped():
    return _fit(80, True)


def test_a_stopped_fit_is_advised_as_stopped(stopped):
    n = len(stopped.history["val_loss"])
    assert stopped.model.stop_training and n < 80
    best = int(np.argmin(stopped.history["val_loss"]))
    d = losslens.diagnose(stopped)
    assert d.verdict == "overfitting"
    act = d.causes[0].actions[0]
    assert act.startswith(f"it was stopped early already, after {n} of its 80 epochs")
    assert f"the model holds the weights of epoch {best} (val_loss {min(stopped.history['val_loss']):.4g})" in act
    assert "early stopping with restore_best_weights" not in str(d)


def test_a_fit_that_ran_its_epochs_is_advised_to_stop_early(stopped):
    # Control: the same seed run to the same length with no callback: nothing stopped it, the advice stays.
    n = len(stopped.history["val_loss"])
    full = _fit(n, False)
    assert np.allclose(full.history["val_loss"], stopped.history["val_loss"], rtol=1e-4)
    d = losslens.diagnose(full)
    assert d.verdict == "overfitting"
    assert d.causes[0].actions[0].startswith("early stopping with restore_best_weights")
    # And the History's dict alone (no model to ask) reads as before.
    assert losslens.diagnose(stopped.history).causes[0].actions[0].startswith("early stopping with restore_best_weights")
