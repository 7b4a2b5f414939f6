"""The forecast a callback stopped on, and the one the log it wrote reads back to, are one forecast.

The callbacks' ``stop_gain`` (:class:`losslens.stopping.ForecastStopping`) and ``losslens forecast`` fitted the curve
as logged, while a diagnosis (``losslens diagnose``, the callbacks' own end-of-training report) fitted 200 bin means of
it: on a run longer than 200 epochs the same points gave two forecasts. Keras' digits MLP at SGD(0.01)
(tests/fixtures/ecosystem/keras_sgd_digits_slow), at epoch 200 of 300, forecast to epoch 299: the stop's
0.2814 (90% interval 0.2160 to 0.3733, P 0.9960, plateau epoch 182) against ``diagnose``'s 0.2827 (0.2153 to 0.3757,
P 0.9935, 181). Every forecast now fits the points :func:`losslens.forecasting.fitted_points` gives.

Tolerance: the JSON writes 7 significant digits (the CSVLogger file holds Keras' float32 values exactly, the values
the callback was handed), so the forecasts must agree to a relative 1e-6; the 200-bin fit was 0.5% off, 7,000x that.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import run_cli
from losslens.integrations._core import Watcher

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
RUN = ECO / "keras_sgd_digits_slow" / "sgd_digits.csv"
END = 299  # (fit(epochs=300): the callback's planned last epoch)
REL = 1e-6  # (the JSON's 7 significant digits)


def _numbers(fc: dict) -> list:
    return [fc["value"], *fc["interval"], fc["p_improve"], fc["plateau_epoch"], fc["horizon"]]


def _of(fc) -> list:
    """A live :class:`~losslens.forecasting.Forecast`'s numbers, as the JSON writes them."""
    return _numbers(json.loads(json.dumps(fc.to_dict())))


def _read_back(path: Path) -> tuple[list, list]:
    """``losslens forecast`` and ``losslens diagnose`` of ``path`` to the planned end: their forecasts' numbers."""
    fc = run_cli("forecast", str(path), "--horizon", str(END), "--json")
    d = run_cli("diagnose", str(path), "--horizon", str(END), "--json")
    assert fc.exit_code == 0 and d.exit_code == 0, (fc.output, d.output)
    return _numbers(json.loads(fc.stdout)), _numbers(json.loads(d.stdout)["forecast"])


def _agree(*forecasts: list) -> None:
    for other in forecasts[1:]:
        assert other == pytest.approx(forecasts[0], rel=REL), forecasts


@pytest.mark.parametrize("at", [200, 250])
def test_the_live_stop_and_the_log_read_back_forecast_alike(tmp_path, at):
    """The Keras CSVLogger log replayed row by row through the callbacks' Watcher (its rows up to ``at`` are what the
    live callback was handed) with ``stop_gain``, then read back cut at the same epoch: the forecast the rule decided
    on, the one the Watcher's end-of-training report quotes, ``losslens forecast``'s and ``losslens diagnose``'s."""
    rows = np.loadtxt(RUN, delimiter=",", skiprows=1)
    w = Watcher(stop_gain=0.0, horizon=END, verbose=0, framework="keras", time_budget_ms=None)
    for epoch, loss, val in rows[:at + 1]:
        assert not w.end_epoch(int(epoch), {"loss": loss, "val_loss": val}).stop
    live = _of(w._stopper.metric_forecast)
    w.end_training()
    report = _numbers(w.diagnosis.forecast)
    cut = tmp_path / "cut.csv"
    cut.write_text("".join(RUN.read_text().splitlines(keepends=True)[:at + 2]))
    _agree(live, report, *_read_back(cut))
    assert live[-1] == END and 150 < live[-2] < at  # (forecast to the planned end; the curve flattened before)


@pytest.mark.slow  # Keras trains the MLP 201 epochs: ~15 s on one CPU thread
@pytest.mark.usefixtures("one_torch_thread")
def test_a_keras_run_stopped_live_reads_back_the_forecast_it_stopped_on(tmp_path):
    """A live Keras 3 fit with the callback and a CSVLogger: the forecast it printed at epoch 200 (its last), to the
    horizon given, is the one ``losslens forecast`` and ``losslens diagnose`` read off the log it wrote."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    pytest.importorskip("torch")
    if keras.backend.backend() != "torch":  # pragma: no cover - another backend was chosen first
        pytest.skip("this test runs Keras on the torch backend")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from losslens.integrations.keras import LosslensCallback

    # (keras_sgd_digits_slow/make.py's model, data and seed)
    X, y = load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.3, random_state=0)
    s = StandardScaler().fit(Xtr)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.SGD(0.01), "sparse_categorical_crossentropy")
    cb = LosslensCallback(stop_gain=0.0, horizon=END, verbose=0)
    log = tmp_path / "run.csv"
    model.fit(s.transform(Xtr), ytr, validation_data=(s.transform(Xva), yva), epochs=201, batch_size=256, verbose=0,
              callbacks=[cb, keras.callbacks.CSVLogger(str(log))])
    assert cb.stopped_epoch is None and cb.watcher.axis[-1] == 200
    live = _of(cb.watcher._stopper.metric_forecast)
    _agree(live, _numbers(cb.watcher.diagnosis.forecast), *_read_back(log))
