"""The article's experiment-1 data and MLP for the Keras tests, importable on any backend (the
backend tests run them in a subprocess with KERAS_BACKEND set there)."""

import keras
import numpy as np


def article_data(seed, n=1000, noise=0.1):
    """The article's experiment 1: y = 2 x1 + 3 x2 + N(0, 0.1²)."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 2))
    return x, 2 * x[:, 0] + 3 * x[:, 1] + rng.normal(0, noise, n)


def mlp():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Input((2,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse")
    return model
