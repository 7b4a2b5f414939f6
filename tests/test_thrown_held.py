"""A step that threw the outputs out in the first epoch, then held the loss high, on real Keras logs
(tests/fixtures/ecosystem/keras_thrown_held, make.py wrote the CSVs and make.out): a 64-128-10 ReLU MLP on digits at
plain SGD 1.5, batch 32.

val_loss was 11.19 (4.9x ln 10) after the first epoch, then 1.6-2.6 with training at 70% of ln 10: "underfitting
(too little capacity), a bigger model", and a callback with stop_on=("underfitting", ...) stopped on it at epoch 5.
lr / 10 reaches val 0.33-0.35 (seeds 0-2); 4x the width at 1.5 ends at chance (2.31). The callback knows K from the
model's output (classes=10 here stands for it).
"""
import csv
import math
from pathlib import Path

import pytest

import losslens

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "keras_thrown_held"
LN10 = math.log(10)


def _cols(name: str, upto: int | None = None) -> dict[str, list[float]]:
    """A fixture CSV's columns (epochs 0..upto), read without losslens: the log a callback sees at epoch ``upto``."""
    with open(HERE / name, newline="") as fh:
        rows = list(csv.DictReader(fh))[: None if upto is None else upto + 1]
    return {k: [float(r[k]) for r in rows] for k in rows[0]}


def test_the_truth_behind_the_fixture():
    thrown, low, wide = _cols("sgd1.5_w128_s0.csv"), _cols("sgd0.15_w128_s0.csv"), _cols("sgd1.5_w512_s0.csv")
    assert thrown["val_loss"][0] > 4 * LN10 and min(thrown["val_loss"]) > 1.5
    assert all(max(_cols(f"sgd0.15_w128_s{s}.csv")["val_loss"][-5:]) < 0.4 for s in (0, 1, 2))
    assert min(low["val_loss"]) < 0.25 * min(thrown["val_loss"])
    assert abs(wide["val_loss"][-1] - LN10) < 0.05 * LN10  # (4x the width at the same step: a guess)


@pytest.mark.parametrize("upto", [3, 4, 5, 6])
def test_a_thrown_start_held_high_reads_the_step_first_early_in_the_run(upto):
    d = losslens.diagnose(_cols("sgd1.5_w128_s0.csv", upto), classes=10)
    assert d.verdict == "lr_too_high", (upto, d.cause_ids())
    assert "lower the learning rate" in d.causes[0].actions[0]
    assert "11.19" in d.causes[0].evidence[0]
    under = next((c for c in d.causes if c.id == "underfitting"), None)
    assert under is None or under.status == "possible"
    # (No "stop here, more epochs will not lower it" beside a restart at a lower rate.)
    assert "converged" not in d.cause_ids()


def test_the_callbacks_own_log_at_epoch_5_reads_the_step():
    # The log a 6-epoch fit saved through the callback (K = 10 from the model's output, no classes= passed): the
    # epoch the walker's callback stopped on "underfitting".
    d = losslens.diagnose(HERE / "sgd1.5_w128_s0_6ep.json")
    assert d.verdict == "lr_too_high" and d.causes[0].actions[0].startswith("lower the learning rate")
    assert [c.id for c in d.causes].index("underfitting") > 0


@pytest.mark.parametrize("upto", [4, 5, 6, 7])
def test_four_times_the_width_thrown_alike_reads_the_step_not_capacity(upto):
    d = losslens.diagnose(_cols("sgd1.5_w512_s0.csv", upto), classes=10)
    assert d.verdict == "lr_too_high", (upto, d.cause_ids())


def test_the_tenth_of_the_rate_is_not_read_too_high():
    for upto in (3, 5, 10, 39):
        d = losslens.diagnose(_cols("sgd0.15_w128_s0.csv", upto), classes=10)
        assert "lr_too_high" not in d.cause_ids(), upto


def test_underfitting_at_a_sane_step_still_reads_underfitting():
    # A 2-unit MLP (scikit-learn, training high near ln 10) and boosting stumps: no thrown start, the level is the
    # model's (tests/fixtures/ecosystem/sklearn_mlp_two_units, sklearn_gbm_walk41).
    eco = HERE.parent
    d = losslens.diagnose(eco / "sklearn_mlp_two_units" / "two_units.csv", classes=10)
    assert "underfitting" in d.cause_ids() and "thrown_start" not in d.causes[0].numbers
    assert losslens.diagnose(eco / "sklearn_gbm_walk41" / "stump_scores.csv").verdict == "underfitting"


@pytest.mark.slow
@pytest.mark.framework
def test_the_live_callback_stops_on_the_step_not_on_capacity(tmp_path, one_torch_thread):
    # The walker's run itself, with the callback deciding at every epoch end: it stopped at epoch 5 on underfitting.
    import os
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":  # pragma: no cover - another backend was chosen first
        pytest.skip("make.py's runs are Keras on the torch backend")
    from sklearn.datasets import load_digits

    from losslens.integrations.keras import LosslensCallback

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype("float32")
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((64,)), keras.layers.Dense(128, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
    m.compile(keras.optimizers.SGD(1.5), "sparse_categorical_crossentropy", metrics=["accuracy"])
    # (time_budget_ms=None: every epoch diagnosed, whatever the machine's speed; the default 5 ms of CPU skips
    # epochs after a slow diagnosis.)
    cb = LosslensCallback(stop_on=("underfitting", "lr_too_high"), save_path=str(tmp_path / "run.json"), verbose=0,
                          time_budget_ms=None)
    h = m.fit(X[:1000], y[:1000], validation_data=(X[1400:], y[1400:]), epochs=40, batch_size=32, verbose=0,
              callbacks=[cb])
    assert h.history["val_loss"][0] > 4 * LN10  # (the premise: the same throw as the fixture's)
    # (On the fresh venv of 2026-12-07, keras 3.15.1, it stops at epoch 7 or 8, not 5, with session 46's src as with
    # this one's, every epoch diagnosed or not: the fit itself differs from the one the walker measured; what the
    # test guards is the cause it stops on, the step, well before the 40 epochs.)
    assert cb.actions and cb.actions[0]["cause"] == "lr_too_high" and cb.stopped_epoch <= 8, cb.actions
