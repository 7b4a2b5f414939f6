"""K from a loss held constant at ln K: a model that outputs the uniform distribution scores exactly ln K on
every example, so a stretch of equal losses at ln K pins the class count where the first loss (an epoch mean,
already moving) only guesses it."""

import numpy as np
import pytest

import losslens
from conftest import runs_by_name
from losslens.facts import measure

DEEPOBS = "deepobs_baselines_curves.csv.gz"


def _run(path, *parts):
    runs = runs_by_name(path)
    (name,) = [n for n in runs if all(p in n for p in parts)]
    return runs[name]


def test_deepobs_run_collapsed_to_ln_100_reads_100_classes(shared_curves):
    # CIFAR-100 All-CNN-C under Adam 6.3e-3: test loss 4.928 at epoch 0 (round(e^4.928) = 138), then
    # exactly 4.60517 = ln 100 for the last 282 epochs: the network outputs the uniform distribution.
    run = _run(shared_curves / DEEPOBS, "cifar100_allcnnc/AdamOptimizer", "lr__6.3095734448e-03/")
    c = measure(run).chance
    assert (c.classes, c.classes_from, c.classes_inferred) == (100, "constant loss", True)
    text = str(losslens.diagnose(run))
    assert "1/100 = 0.010 (K read off a loss held constant at ln K" in text
    assert "1/138" not in text and "initial loss" not in text


def test_deepobs_run_that_learned_keeps_the_initial_loss_guess(shared_curves):
    # The same grid at Adam 6.3e-4 learns (no stretch held at ln K): K stays the first-loss guess, said so.
    run = _run(shared_curves / DEEPOBS, "cifar100_allcnnc/AdamOptimizer", "lr__6.3095734448e-04/")
    c = measure(run).chance
    assert c.classes_from == "initial loss" and c.classes_inferred


@pytest.mark.slow  # (a Keras fit: ~40 s on a busy machine)
@pytest.mark.usefixtures("one_torch_thread")  # torch's second thread spins on busy cores
def test_keras_run_knocked_to_the_uniform_output(tmp_path):
    # A real Keras fit: an MLP on 100 digits of each class (so the uniform output is also the best constant
    # one), full batch, SGD at lr 10. The first epochs blow the loss up to 98, the ReLUs die, and the output
    # bias settles on equal logits: train loss exactly ln 10 = 2.302585 from epoch 18, validation 2.302601.
    # The first loss, 2.382, reads K = 11.
    import keras
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    train = np.concatenate([np.flatnonzero(y == k)[:100] for k in range(10)])
    val = np.setdiff1d(np.arange(y.shape[0]), train)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10)])
    model.compile(keras.optimizers.SGD(10.0), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    log = tmp_path / "log.csv"
    model.fit(x[train], y[train], batch_size=1000, epochs=30, validation_data=(x[val], y[val]), shuffle=False,
              verbose=0, callbacks=[keras.callbacks.CSVLogger(str(log))])
    (run,) = losslens.read(log)
    assert round(float(np.exp(run.series["train_loss"][0]))) == 11  # what the first loss alone reads
    c = measure(run).chance
    assert (c.classes, c.classes_from) == (10, "constant loss")
    text = str(losslens.diagnose(run))
    assert "1/11" not in text and "ln 11" not in text and "ln 10" in text
