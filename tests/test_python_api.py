"""The Python API as a notebook user meets it after reading the README: ``losslens.diagnose`` on what a real
Keras fit hands back, the result objects' repr, the signatures ``help()`` shows, the errors and warnings."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import losslens


@pytest.fixture(scope="module")
def nan_history(one_torch_thread_module):
    """A real Keras fit on a target with one NaN in it: every epoch's loss is nan (no TerminateOnNaN)."""
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((64, 2)).astype("float32")
    y = (2 * x[:, 0] + 3 * x[:, 1]).astype("float32")
    y[5] = np.nan
    model = keras.Sequential([keras.layers.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model.fit(x, y, validation_split=0.25, epochs=4, batch_size=64, verbose=0)


@pytest.fixture(scope="module")
def one_torch_thread_module():
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_a_keras_history_that_is_nan_throughout_reads_diverged_in_every_form(nan_history):
    import pandas as pd

    h = nan_history.history
    assert np.isnan(h["loss"]).all() and np.isnan(h["val_loss"]).all()
    # The History object was read so already; its .history dict and pd.DataFrame(history.history), the
    # README's other two spellings of the same run, were "not a training log: no numeric columns".
    for source in (nan_history, h, pd.DataFrame(h)):
        d = losslens.diagnose(source)
        assert d.verdict == "diverged", type(source).__name__
        assert any("never had a finite value" in e for e in d.cause.evidence)
