"""The article's three experiments as written, under Keras 3 (``KERAS_BACKEND=torch``).

The model code is the article's; without TensorFlow its ``import tensorflow as tf`` fails, so
``keras.optimizers.SGD`` stands in for ``tf.keras.optimizers.SGD`` (the one change Keras 3 needs), and
``keras.layers.Input(shape)`` for ``input_shape=`` (which Keras 3 still runs, with a UserWarning); the
same code records tests/fixtures/article/record_keras.py.
The data are drawn by :mod:`losslens.lab.data`, which makes the article's numpy calls in
its order, so seed ``s`` here sees the same arrays as seed ``s`` of the PyTorch lab.

This is slow (Keras runs one small step at a time: about three minutes for one seed on
two cores), which is why the lab itself is a PyTorch re-implementation; this module
exists to check that re-implementation against the original.
"""

from __future__ import annotations

import os

from . import data as lab_data


def import_keras():
    """Keras 3 on the torch backend (set where KERAS_BACKEND is unset); an ImportError whose message is the one
    line the CLI prints where Keras is missing or runs on another backend."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("--framework keras needs Keras 3: pip install 'losslens[keras]'") from exc
    if keras.backend.backend() != "torch":
        raise ImportError(f"--framework keras runs on the torch backend; KERAS_BACKEND is {keras.backend.backend()!r}")
    return keras


def _history(h) -> dict:
    out = {k: [float(x) for x in v] for k, v in h.history.items()}
    out["epoch"] = list(h.epoch)
    return out


def experiment1(seed: int, epochs: int = 50) -> dict[str, dict]:
    """The 64-128-64 MLP and the linear model on y = 2 x1 + 3 x2 + noise: ``{"complex": h, "linear": h}``."""
    keras = import_keras()
    keras.utils.set_random_seed(seed)
    X_train, y_train, X_val, y_val = lab_data.linear_2d(seed)
    model_complex = keras.Sequential([
        keras.layers.Input((2,)),
        keras.layers.Dense(64, activation='relu'),
        keras.layers.Dense(128, activation='relu'),
        keras.layers.Dense(64, activation='relu'),
        keras.layers.Dense(1)
    ])
    model_complex.compile(optimizer='adam', loss='mean_squared_error')
    history_complex = model_complex.fit(X_train, y_train, epochs=epochs, validation_data=(X_val, y_val), verbose=0)
    model_simple = keras.Sequential([keras.layers.Input((2,)), keras.layers.Dense(1)])
    model_simple.compile(optimizer='adam', loss='mean_squared_error')
    history_simple = model_simple.fit(X_train, y_train, epochs=epochs, validation_data=(X_val, y_val), verbose=0)
    return {"complex": _history(history_complex), "linear": _history(history_simple)}


def experiment2(seed: int, epochs: int = 50) -> dict[str, dict]:
    """The conv net on 100 random images with 5 random labels: ``{"random_images": h}``."""
    keras = import_keras()
    keras.utils.set_random_seed(seed)
    X_train, y_train, X_val, y_val = lab_data.random_images(seed)
    # lab_data returns channels first; the article's Keras model reads channels last.
    X_train, X_val = X_train.transpose(0, 2, 3, 1), X_val.transpose(0, 2, 3, 1)
    model = keras.Sequential([
        keras.layers.Input((32, 32, 3)),
        keras.layers.Conv2D(32, (3, 3), activation='relu'),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation='relu'),
        keras.layers.Dense(5, activation='softmax')  # 5 classes
    ])
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    history = model.fit(X_train, y_train, epochs=epochs, validation_data=(X_val, y_val), verbose=0)
    return {"random_images": _history(history)}


def experiment3(seed: int, epochs: int = 50) -> dict[str, dict]:
    """Linear model on y = 2 x + noise with SGD(0.01) and with Adam: ``{"sgd": h, "adam": h}``."""
    keras = import_keras()
    keras.utils.set_random_seed(seed)
    X_train, y_train, X_val, y_val = lab_data.linear_1d(seed)
    model_sgd = keras.Sequential([keras.layers.Input((1,)), keras.layers.Dense(1)])
    optimizer_sgd = keras.optimizers.SGD(learning_rate=0.01)
    model_sgd.compile(optimizer=optimizer_sgd, loss='mean_squared_error')
    history_sgd = model_sgd.fit(X_train, y_train, epochs=epochs, validation_data=(X_val, y_val), verbose=0)
    model_adam = keras.Sequential([keras.layers.Input((1,)), keras.layers.Dense(1)])
    model_adam.compile(optimizer='adam', loss='mean_squared_error')
    history_adam = model_adam.fit(X_train, y_train, epochs=epochs, validation_data=(X_val, y_val), verbose=0)
    return {"sgd": _history(history_sgd), "adam": _history(history_adam)}


EXPERIMENTS = {"exp1": experiment1, "exp2": experiment2, "exp3": experiment3}
