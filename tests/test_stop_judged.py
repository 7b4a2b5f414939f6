"""A fit its framework's own early stopping ended (Keras' EarlyStopping, scikit-learn's early_stopping=True), read as
stopped and judged on what the log shows, not advised to stop (or told nothing of the stop).

tests/fixtures/ecosystem/sklearn_mlp_es_patience (make.py): an MLP on digits, n_iter_no_change=10, stopped itself at
iteration 41 and read "converged ... stop at epoch 15"; n_iter_no_change=50 took its test accuracy 0.933 -> 0.954.
tests/fixtures/ecosystem/keras_earlystop_short (make.py): EarlyStopping(patience=4) ended a digits MLP at epoch 99
of 200 while val_loss still fell; the callback said nothing of the stop; trained on, val_loss went 15% lower."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
SK = ECO / "sklearn_mlp_es_patience"
KE = ECO / "keras_earlystop_short"


def _sk_fit(patience):
    spec = importlib.util.spec_from_file_location("sk_es_make", SK / "make.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    return make.fit(patience)


def test_sklearn_mlp_its_patience_ended_is_said_stopped_not_told_to_stop():
    pytest.importorskip("sklearn")
    mlp, _ = _sk_fit(10)
    assert mlp.n_iter_ == 41  # the premise, as make.out records it
    d = losslens.diagnose(mlp)
    first = str(d.causes[0].actions[0])
    assert first.startswith("it was stopped early already: early_stopping=True ended it after 41 of its 500 epochs "
                            "(11 scores without a better val_acc than 0.9841 by tol 0.0001, its n_iter_no_change 10)")
    assert "scikit-learn put back the best epoch's weights" in first
    # Held at its best to the stop: the log cannot say the floor was reached (n_iter_no_change=50 went on to 0.9921).
    assert "held within its noise" in first and "a longer patience would tell" in first
    assert not any(str(a).startswith("stop at epoch") for c in d.causes for a in c.actions)


def test_the_sklearn_csv_of_the_same_fit_says_no_stop():
    """The curves alone (what a CSV keeps) carry no stop: nothing is said of one."""
    d = losslens.diagnose(SK / "curves_p10.csv")
    assert "stopped early already" not in str(d.to_dict())


def test_sklearn_truth_in_make_out():
    lines = (SK / "make.out").read_text().splitlines()
    assert lines[0].startswith("n_iter_no_change=10: 41 iterations") and "test 0.9333" in lines[0]
    assert lines[1].startswith("n_iter_no_change=50: 113 iterations") and "test 0.9537" in lines[1]


def test_keras_truth_in_the_fixture():
    """The premise: the stopped fit's log is the trained-on fit's up to its stop, which went 15% lower after it."""
    import csv

    def val(name):
        with open(KE / name) as fh:
            return [float(r["val_loss"]) for r in csv.DictReader(fh)]

    stopped, on = val("es_p4.csv"), val("trained_on.csv")
    assert len(stopped) == 100 and len(on) == 200
    assert on[:100] == pytest.approx(stopped, rel=1e-6)
    assert min(on[100:]) < 0.9 * min(stopped)


def test_keras_callback_saved_the_stop_and_its_report_says_it():
    saved = KE / "es_p4.losslens.json"
    stop = json.loads(saved.read_text())["meta"]["stopped_early"]
    assert stop["by"] == "EarlyStopping" and stop["monitor"] == "val_loss" and stop["patience"] == 4
    assert (stop["epochs_run"], stop["epochs"], stop["best_epoch"], stop["restore_best_weights"]) == (100, 200, 95, False)
    d = losslens.diagnose(saved)
    assert d.verdict == "still_improving"
    first = str(d.causes[0].actions[0])
    assert first.startswith("it was stopped early already: EarlyStopping ended it after 100 of its 200 epochs "
                            "(4 validations without a better val_loss than 0.05649, its patience 4)"), first
    assert "the model holds the last epoch's weights, not the best's (its best: epoch 95" in first
    assert "its patience was too short" in first
    assert "it stopped, or this log was saved" not in str(d.to_dict())


def test_keras_csvlogger_alone_says_no_stop():
    """CSVLogger keeps no stop: the CSV reads the curve (still falling: keep training, as trained on it did)."""
    d = losslens.diagnose(KE / "es_p4.csv")
    assert d.verdict == "still_improving"
    assert "stopped early already" not in str(d.to_dict())


@pytest.mark.slow
def test_keras_callback_reads_its_early_stopping_sibling(tmp_path):
    """Live: LosslensCallback beside keras.callbacks.EarlyStopping records the stop EarlyStopping made (and none
    where the fit ran to its end)."""
    pytest.importorskip("keras")
    import sys

    sys.path.insert(0, str(ECO))
    import keras
    from keras_digits_common import digits, mlp

    from losslens.integrations.keras import LosslensCallback

    X, y = digits()
    for patience, epochs in ((2, 60), (None, 8)):
        model = mlp(0)
        model.compile(keras.optimizers.Adam(3e-2), "sparse_categorical_crossentropy")
        cb = LosslensCallback(grad_every=None, verbose=0, save_path=str(tmp_path / f"p{patience}.json"))
        cbs = [cb] + ([keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)] if patience else [])
        h = model.fit(X[:1200], y[:1200], validation_data=(X[1200:], y[1200:]), epochs=epochs, batch_size=64,
                      verbose=0, callbacks=cbs)
        stop = cb.run().meta.get("stopped_early")
        if patience is None:
            assert stop is None
            continue
        es = cbs[1]
        assert es.stopped_epoch > 0 and len(h.history["loss"]) < epochs  # the premise: it stopped the fit
        assert stop["epochs_run"] == es.stopped_epoch + 1 and stop["restore_best_weights"] is True
        assert stop["best_epoch"] == es.best_epoch
        assert str(cb.reported.causes[0].actions[0]).startswith("it was stopped early already") or \
            cb.reported.verdict not in ("converged", "still_improving")
