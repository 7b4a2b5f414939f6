"""A regression's "learned nothing": the loss of one constant prediction for every input, stated with
``--baseline-loss`` / ``baseline_loss=`` (tests/fixtures/ecosystem/regression_baseline: plain PyTorch MLPs on
standardised targets, so predicting their mean scores an MSE of 1.0; make.py and make.out). Without it a regression
has no level to read no_signal or stuck_at_init against: targets shuffled under a small net read overfitting 97%
("early stopping, regularize"), every ReLU unit dead on targets of mean 3 read converged. The targets as made learn
(val_loss 0.014) and read as before."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import losslens
from losslens.cli import app

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "regression_baseline"


def _made() -> dict[str, str]:
    return {line.split(" ")[0]: line for line in (HERE / "make.out").read_text().splitlines()}


def _level(name: str) -> tuple[float, float]:
    """(the validation targets' variance, validation's best MSE) make.py printed for run ``name``."""
    line = _made()[name]
    return float(line.split("val targets' variance ")[1].split(" ")[0]), float(line.split("val best ")[1])


def test_shuffled_targets_are_no_signal_not_overfitting():
    var, best = _level("shuf_small")
    assert best >= 0.99 * var  # (the premise: validation at what the mean scores, 0.977 on its 300 examples)
    assert losslens.diagnose(HERE / "shuf_small.csv").verdict == "overfitting"  # (no level stated: as before)
    d = losslens.diagnose(HERE / "shuf_small.csv", baseline_loss=1.0)
    assert d.verdict == "no_signal", d
    ev = " ".join(d.cause.evidence)
    assert "val_loss 0.9768 at its best (1.002 at the end) never got clearly below 1," in ev
    assert "--baseline-loss" in ev and "validation R² 0.0232 at its best" in ev
    assert "train_loss went on down to 0.982, under that level and still falling" in ev
    assert d.cause.actions[0].startswith("check that the inputs carry signal about the targets")
    # Validation did not fall while training fitted: overfitting stays listed, as a possibility.
    over = next(c for c in d.causes if c.id == "overfitting")
    assert over.status == "possible" and over.confidence <= 0.5
    assert d.cause.numbers["baseline_loss"] == 1.0
    facts = d.to_dict()["facts"]
    assert facts["baseline_loss"] == 1.0 and facts["baseline_from"] == "stated"


def test_a_model_stuck_at_the_mean_is_stuck_at_init_not_converged():
    var, best = _level("dead_mean")
    assert best >= 0.99 * var
    assert losslens.diagnose(HERE / "dead_mean.csv").verdict == "converged"  # (no level stated: as before)
    d = losslens.diagnose(HERE / "dead_mean.csv", baseline_loss=1.0)
    assert d.verdict == "stuck_at_init", d
    ev = " ".join(d.cause.evidence)
    assert "never got clearly below 1," in ev and "the targets' mean" in ev
    assert d.cause.actions[0].startswith("check the initialization and activations")
    assert "converged" not in d.cause_ids()


def test_a_regression_that_learns_keeps_its_reading():
    assert _level("learn")[1] < 0.05
    plain = losslens.diagnose(HERE / "learn.csv")
    d = losslens.diagnose(HERE / "learn.csv", baseline_loss=1.0)
    assert d.verdict == plain.verdict == "converged"
    assert not {"no_signal", "stuck_at_init"} & set(d.cause_ids())
    assert d.to_dict()["facts"]["baseline_loss"] == 1.0


def test_the_level_must_be_a_finite_loss_above_zero():
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(losslens.UsageError, match="baseline_loss="):
            losslens.diagnose(HERE / "learn.csv", baseline_loss=bad)


def test_the_command_line_states_it_on_diagnose_forecast_and_watch():
    runner = CliRunner()
    r = runner.invoke(app, ["diagnose", str(HERE / "shuf_small.csv"), "--baseline-loss", "1", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout.splitlines()[0])
    assert d["verdict"] == "no_signal" and d["facts"]["baseline_loss"] == 1.0
    r = runner.invoke(app, ["diagnose", str(HERE / "shuf_small.csv"), "--baseline-loss", "0"])
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "--baseline-loss" in r.stderr and "got 0" in r.stderr
    r = runner.invoke(app, ["forecast", str(HERE / "dead_mean.csv"), "--baseline-loss", "1"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["watch", str(HERE / "dead_mean.csv"), "--baseline-loss", "1", "--idle", "0",
                            "--interval", "0.01", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.splitlines()[-1])["verdict"] == "stuck_at_init"


def test_the_chart_draws_the_level():
    from losslens.report.plot import chart_data

    data = chart_data(losslens.diagnose(HERE / "dead_mean.csv", baseline_loss=1.0))
    assert data["baseline"]["y"] == 1.0 and "constant prediction" in data["baseline"]["label"]
    assert chart_data(losslens.diagnose(HERE / "dead_mean.csv")).get("baseline") is None


def test_the_torch_monitor_states_it_on_its_run_and_saved_file(tmp_path):
    pytest.importorskip("torch")
    import csv

    from losslens.integrations.torch import Monitor

    rows = list(csv.DictReader((HERE / "shuf_small.csv").open()))
    monitor = Monitor(baseline_loss=1.0, verbose=0, grad_every=None, save_path=tmp_path / "run.json")
    for row in rows:
        monitor.step(float(row["loss"]))
        monitor.epoch_end(val_loss=float(row["val_loss"]))
    monitor.finish()
    assert monitor.watcher.diagnosis.verdict == "no_signal"
    assert losslens.diagnose(tmp_path / "run.json").verdict == "no_signal"  # (the saved file states it too)
    with pytest.raises(losslens.UsageError, match="baseline_loss="):
        Monitor(baseline_loss=0)


def _mlp_regressor(shuffle: bool, width: int = 64):
    """scikit-learn's MLPRegressor((W, W), early_stopping=True) on the fixtures' rows (make.py's construction),
    its targets as made or permuted (seed 1): validation_scores_ is R² on its held-out 10%."""
    sklearn = pytest.importorskip("sklearn.neural_network")
    import warnings

    import numpy as np

    r = np.random.RandomState(0)
    X = r.randn(1500, 10)
    y = X @ r.randn(10) + 0.3 * r.randn(1500)
    y = (y - y.mean()) / y.std()
    if shuffle:
        y = np.random.RandomState(1).permutation(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (max_iter reached before convergence: the 60 epochs are the point)
        return sklearn.MLPRegressor(hidden_layer_sizes=(width, width), early_stopping=True, n_iter_no_change=200,
                                    max_iter=60, random_state=0).fit(X, y)


def test_an_estimator_whose_validation_r2_never_left_zero_is_no_signal():
    # R² is scored against the held-out split's own mean: a constant prediction's level is 0, no targets needed.
    est = _mlp_regressor(shuffle=True)
    assert max(est.validation_scores_) < 0.01 and est.loss_curve_[-1] < 0.7 * est.loss_curve_[0]
    d = losslens.diagnose(est)
    assert d.verdict == "no_signal", d
    ev = " ".join(d.cause.evidence)
    assert "never got clearly above 0, what predicting the held-out split's mean scores" in ev
    assert "still falls at the end" in ev
    assert next(c for c in d.causes if c.id == "overfitting").status == "possible"
    # The targets as made: R² 0.99, read as before.
    learned = losslens.diagnose(_mlp_regressor(shuffle=False))
    assert learned.verdict == "converged" and "no_signal" not in learned.cause_ids()
    # A (4, 4) net on the shuffled targets: R² -0.06 at its last point, still rising (t = 10.9): it may yet pass
    # 0.05, and is read as before.
    small = losslens.diagnose(_mlp_regressor(shuffle=True, width=4))
    assert small.verdict == "still_improving" and "no_signal" not in small.cause_ids()


R2 = Path(__file__).parent / "fixtures" / "ecosystem" / "r2_nosignal"


def _report(path: Path, *args: str) -> str:
    res = CliRunner().invoke(app, ["diagnose", str(path), *args])
    assert res.exit_code == 0, res.output
    return res.output


def test_a_logged_r2_that_can_rise_no_higher_than_0_is_no_signal():
    # Targets drawn apart from the inputs: val_r2 climbs from -9.7 to -0.117 (still rising, t = 16) as the output
    # learns their mean, and can go no higher than 0; it read still_improving "+18%".
    d = losslens.diagnose(R2 / "nosignal.csv", metric="val_r2")
    assert d.verdict == "no_signal", d
    ev = " ".join(d.cause.evidence)
    assert "never got clearly above 0, what predicting the validation targets' mean scores" in ev
    assert "still rises at the end" in ev and "forecast's 90% interval" in ev
    # The same net on targets it can learn, at lr 1e-4 for 20 epochs: still under 0 at the end (-0.115), as low as
    # the run above, but on its way up (40 epochs end at 0.64): read as before, and its forecast's change is said
    # in the score's units, not as a share of a negative level.
    low = losslens.diagnose(R2 / "lowlr.csv", metric="val_r2")
    assert low.verdict == "still_improving" and "no_signal" not in low.cause_ids()
    out = _report(R2 / "lowlr.csv", "--metric", "val_r2")
    assert re.search(r"\+0\.\d+ vs\. its fitted level now, -0\.1", out), out
    assert not re.search(r"%\s+vs\. its fitted level now, -", out), out
    assert losslens.diagnose(R2 / "signal.csv", metric="val_r2").verdict != "no_signal"


def test_a_log_likelihood_is_a_score_with_no_ceiling_at_1():
    # val_loglik, a Gaussian's (-0.5 ln(2 pi mse) - 0.5): rising is better, and "its error 1 − val_loglik" is
    # meaningless for it. Without --higher-is-better it read overfitting "minimum at epoch 0, then rose".
    d = losslens.diagnose(R2 / "signal.csv", metric="val_loglik")
    assert d.facts.higher_is_better and d.verdict != "overfitting", d
    out = _report(R2 / "signal.csv", "--metric", "val_loglik", "--higher-is-better")
    assert "val_loglik" in out and "1 − val_loglik" not in out, out
    assert losslens.facts.metric_direction("neg_loglik") is False


def test_baseline_loss_is_what_the_best_constant_prediction_scores():
    """``losslens.baseline_loss(y)``: the Keras and torch callbacks never see the targets, so the level was stated by
    hand. On scikit-learn's real datasets it is what a trained DummyRegressor / DummyClassifier (the best constant
    prediction) scores by scikit-learn's own metrics: diabetes' MSE of its mean (its variance, 5929.9) and MAE of its
    median, linnerud's three outputs averaged, breast cancer's and iris' log loss at the class prior."""
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_linnerud
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.metrics import log_loss, mean_absolute_error, mean_squared_error

    X, y = load_diabetes(return_X_y=True)
    assert losslens.baseline_loss(y) == pytest.approx(mean_squared_error(y, np.full_like(y, y.mean())), rel=1e-12)
    assert losslens.baseline_loss(y) == pytest.approx(
        mean_squared_error(y, DummyRegressor().fit(X, y).predict(X)), rel=1e-12)
    assert losslens.baseline_loss(y, "mae") == pytest.approx(
        mean_absolute_error(y, DummyRegressor(strategy="median").fit(X, y).predict(X)), rel=1e-12)
    assert losslens.baseline_loss(list(y), "mean_squared_error") == losslens.baseline_loss(y)  # (Keras' name, a list)
    X, Y = load_linnerud(return_X_y=True)  # (n, 3)
    assert losslens.baseline_loss(Y) == pytest.approx(
        mean_squared_error(Y, DummyRegressor().fit(X, Y).predict(X)), rel=1e-12)
    for load, loss in ((load_breast_cancer, "bce"), (load_iris, "crossentropy"), (load_breast_cancer, "crossentropy")):
        X, y = load(return_X_y=True)
        prior = DummyClassifier(strategy="prior").fit(X, y).predict_proba(X)
        assert losslens.baseline_loss(y, loss) == pytest.approx(log_loss(y, prior), rel=1e-9), (load, loss)
    X, y = load_iris(return_X_y=True)
    assert losslens.baseline_loss(np.eye(3)[y], "categorical_crossentropy") == pytest.approx(np.log(3))


@pytest.mark.parametrize("y, loss, words", [
    ([1.0, 2.0], "hinge", "unknown loss 'hinge'; known: mse, mae, bce, crossentropy"),
    ([], "mse", "y is empty"),
    ([1.0, float("nan"), 3.0], "mse", "y holds 1 NaN or infinite value(s), the first in row 1"),
    ([0.5, 1.5], "bce", "bce takes labels or probabilities in [0, 1]"),
    ([0, 1.5, 2], "crossentropy", "crossentropy takes class labels (integers from 0)"),
    (["a", "b"], "mse", "y must be numbers"),
])
def test_baseline_loss_refuses_in_one_line(y, loss, words):
    with pytest.raises(losslens.UsageError) as err:
        losslens.baseline_loss(y, loss)
    assert str(err.value).startswith("baseline_loss: ") and words in str(err.value) and "\n" not in str(err.value)


@pytest.mark.slow
def test_keras_on_shuffled_targets_given_the_baseline_reads_no_signal():
    """A Keras 64-64 MLP on diabetes with its targets shuffled (nothing to learn; targets standardised on the training
    split) memorises the training set (MSE 0.058) while validation never gets under the validation targets' variance
    (best 0.874 against 0.813): read overfitting 99% ("early stopping, regularize"); given the callback
    ``baseline_loss=losslens.baseline_loss(y_val)``, no_signal. (About 20 s on 2 busy cores: the callback diagnoses
    every epoch.)"""
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    from sklearn.datasets import load_diabetes

    from losslens.integrations.keras import LosslensCallback

    x, y = load_diabetes(return_X_y=True)
    x = (x - x.mean(0)) / x.std(0)
    y = np.random.default_rng(0).permutation(y)  # the inputs say nothing about the targets
    y = (y - y[:342].mean()) / y[:342].std()
    x_train, y_train, x_val, y_val = x[:342], y[:342], x[342:], y[342:]
    verdicts = {}
    for stated in (None, losslens.baseline_loss(y_val)):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.layers.Input((10,)), keras.layers.Dense(64, activation="relu"),
                                  keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse")
        cb = LosslensCallback(baseline_loss=stated, verbose=0, save_path=None)
        hist = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=60, batch_size=32,
                         callbacks=[cb], verbose=0)
        verdicts[stated is not None] = losslens.diagnose(cb.run()).verdict
    assert min(hist.history["val_loss"]) > losslens.baseline_loss(y_val) > hist.history["loss"][-1]  # (the premise)
    assert verdicts == {False: "overfitting", True: "no_signal"}
