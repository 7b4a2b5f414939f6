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


def h_train(lr_factor=1.0, epochs_factor=1.0, size_factor=1.0, seed=0):
    """scikit-learn's MLP, 3 hidden units, on 900 digits (30% held out by its early stopping, which never stops it):
    the walker's setting H, whose seed 0 alone reads converged and seed 1 still_improving."""
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier
    X, y = load_digits(return_X_y=True)
    clf = MLPClassifier(hidden_layer_sizes=(max(1, int(3 * size_factor)),), learning_rate_init=1e-3 * lr_factor,
                        max_iter=round(80 * epochs_factor), early_stopping=True, n_iter_no_change=10**6,
                        validation_fraction=0.3, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X[:900] / 16, y[:900])
    return clf


def test_the_verdict_of_several_seeds_does_not_depend_on_their_order():
    """``--seeds 0,1`` read converged, NOT confirmed (exit 1), and ``--seeds 1,0`` still_improving, confirmed (exit
    0): the header said "mean of seeds 0, 1" and the verdict was the first seed's alone."""
    from losslens.verification import verify

    a = verify(h_train, seeds=[0, 1], causes=["still_improving"], progress=False)
    b = verify(h_train, seeds=[1, 0], causes=["still_improving"], progress=False)
    assert a.diagnosis.verdict == b.diagnosis.verdict
    assert a.confirmed == b.confirmed
    # the seeds alone read otherwise (converged, still_improving): said, in the order given
    assert a.seed_verdicts is not None and sorted(map(str, a.seed_verdicts)) == sorted(map(str, b.seed_verdicts))
    assert a.seed_verdicts[0] == b.seed_verdicts[1] and len(set(a.seed_verdicts)) == 2
    line = next(ln for ln in str(a).splitlines() if ln.startswith("seeds:"))
    assert f"seed 0: {a.seed_verdicts[0]}" in line and "mean curve" in line
    assert a.to_dict()["seed_verdicts"] == a.seed_verdicts

