"""What ``losslens verify`` said wrongly in walk 44, each on a real run: a Keras error inside train cut to the line
that says only where it was raised; ..."""
import pytest
from typer.testing import CliRunner

from losslens.cli import app

runner = CliRunner()

KERAS_SHAPE = '''import numpy as np


def train(lr_factor=1.0, seed=0):
    import keras
    m = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
    m.compile("adam", "mse")
    return m.fit(np.zeros((10, 4)), np.zeros(10), epochs=3, verbose=0)
'''


def test_a_keras_error_in_train_keeps_the_line_that_names_the_problem(tmp_path, monkeypatch):
    """Keras 3 opens a layer's error with "Exception encountered when calling Sequential.call()." and names the
    problem (the input's shape) lines later: the one line verify printed was the first, which names nothing."""
    pytest.importorskip("keras")
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    script = tmp_path / "train.py"
    script.write_text(KERAS_SHAPE)
    res = runner.invoke(app, ["verify", f"{script}:train"])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert "Exception encountered when calling Sequential.call()" in lines[0]
    assert "expected axis -1 of input shape to have value 5" in lines[0] and "(10, 4)" in lines[0]
    assert "\x1b" not in lines[0]  # (Keras bolds the problem with ANSI codes)
