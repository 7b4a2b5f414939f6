"""What a new user hands the Python API first, right and wrong: a real Keras fit's History and its parts, a
scikit-learn learning curve, a callback's keywords. Every wrong thing is a :class:`losslens.LosslensError` of one
line that says what to pass; none is read into a verdict."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens import LosslensError, UsageError, UsageTypeError


@pytest.fixture(scope="module")
def fit():
    """A real 12-epoch Keras fit of the article's MLP (tests/keras_models.py) on 200 samples: (model, History)."""
    import torch
    from keras_models import article_data, mlp

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        x, y = article_data(0, n=200)
        model = mlp()
        history = model.fit(x, y, validation_split=0.25, epochs=12, batch_size=32, verbose=0)
    finally:
        torch.set_num_threads(n)
    return model, history


def _one_line(error: LosslensError) -> str:
    message = str(error)
    assert "\n" not in message and message
    return message


def test_lists_of_unequal_length_are_refused_not_read_as_a_divergence(fit):
    # 8 validation values beside 12 epochs fit no validation_freq: padded with NaN, they read "diverged: val_loss
    # became NaN/inf at epoch 8" with confidence 0.9+.
    h = dict(fit[1].history)
    h["val_loss"] = h["val_loss"][:8]
    with pytest.raises(UsageError) as e:
        losslens.diagnose(h)
    assert "'val_loss' holds 8 values beside 12" in _one_line(e.value) and "validation_freq" in str(e.value)
    # Every third epoch (4 values) is Keras' validation_freq=3, and one short is a fit cut off: both still read.
    every3 = dict(fit[1].history, val_loss=fit[1].history["val_loss"][2::3])
    assert losslens.diagnose(every3).verdict != "diverged"
    assert losslens.diagnose(dict(h, val_loss=fit[1].history["val_loss"][:11])).metric == "val_loss"


def test_a_cut_validation_list_is_refused_alike_by_a_dict_and_from_history_or_read_as_validation_that_stopped(
        fit, tmp_path):
    # The dict was refused, but the same lists given to Run.from_history (as the lab and the readers build their
    # runs) were padded with NaN and diagnosed. Saved as Keras' History JSON, validation lists that end together
    # are validation that stopped (a fit continued without it: fixtures/logs/keras_val_improvement.json), read
    # up to their end: ends_early=True reads the dict so too.
    import json

    h = dict(fit[1].history, val_loss=fit[1].history["val_loss"][:8])
    with pytest.raises(UsageError) as from_dict:
        losslens.diagnose(h)
    with pytest.raises(UsageError) as direct:
        losslens.Run.from_history(h, source="h.json")
    assert from_dict.value.problem == direct.value.problem and direct.value.source == "h.json"
    assert "ends_early=True" in _one_line(direct.value)
    with pytest.raises(UsageError) as e:
        losslens.Run.from_history(h, validation_freq=3)
    assert "validation_freq=3 gives 4" in _one_line(e.value)
    every3 = dict(h, val_loss=fit[1].history["val_loss"][2::3])
    assert np.isfinite(losslens.Run.from_history(every3, validation_freq=3).series["val_loss"]).sum() == 4
    ended = losslens.Run.from_history(h, ends_early=True)
    assert ended.meta["logged_until"] == {"val_loss": 7.0}
    saved = tmp_path / "history.json"
    saved.write_text(json.dumps(h))
    [read] = losslens.read(saved)
    assert np.array_equal(read.series["val_loss"], ended.series["val_loss"], equal_nan=True)
    assert losslens.diagnose(ended).verdict == losslens.diagnose(saved).verdict != "diverged"


def test_a_two_dimensional_list_is_refused_not_read_as_one_curve(fit):
    h = fit[1].history
    two = {"loss": np.array([h["loss"], h["loss"]]), "val_loss": np.array([h["val_loss"], h["val_loss"]])}
    with pytest.raises(UsageTypeError) as e:
        losslens.diagnose(two)
    assert "shape (2, 12)" in _one_line(e.value)


@pytest.mark.parametrize("call, words", [
    (lambda h: losslens.diagnose(h, metric=3), "metric=3"),                       # TypeError inside difflib
    (lambda h: losslens.diagnose(h, columns=["val_loss"]), "columns="),          # ValueError building a dict
    (lambda h: losslens.diagnose(h, horizon="200"), "horizon='200'"),            # taken
    (lambda h: losslens.diagnose(h, higher_is_better="no"), "higher_is_better"), # "no" is truthy: a loss as a score
    (lambda h: losslens.forecast(h, "x"), "horizon='x'"),                        # ValueError in float()
    (lambda h: losslens.diagnose_all(h, run_id=3), "run_id=3"),
])
def test_keywords_of_the_wrong_kind_are_refused_before_reading(fit, call, words):
    with pytest.raises(UsageTypeError) as e:
        call(fit[1])
    assert words in _one_line(e.value)


def test_a_keras_model_or_a_generator_is_refused_with_what_to_pass(fit):
    model, history = fit
    with pytest.raises(UsageTypeError) as e:
        losslens.diagnose(model)
    assert "model.fit(...)" in _one_line(e.value)
    assert losslens.diagnose(history).verdict == losslens.diagnose(model.history).verdict
    # A generator among the lists was read as no values: "no epochs logged: the history is empty".
    with pytest.raises(UsageTypeError) as e:
        losslens.diagnose({"loss": history.history["loss"], "val_loss": (v for v in history.history["val_loss"])})
    assert "list(values)" in _one_line(e.value)


@pytest.fixture(scope="module")
def learning_curve():
    """scikit-learn's learning_curve of a k-NN classifier on its digits: (sizes, test_scores (5, 3))."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import learning_curve
    from sklearn.neighbors import KNeighborsClassifier

    x, y = load_digits(return_X_y=True)
    sizes, _, test = learning_curve(KNeighborsClassifier(), x, y, train_sizes=[0.1, 0.2, 0.4, 0.7, 1.0], cv=3)
    return sizes, test


def test_more_data_refuses_what_is_no_learning_curve_and_takes_higher_is_better(learning_curve):
    sizes, scores = learning_curve
    for wrong in ({"size": list(sizes), "val_acc": list(scores.mean(1))}, None, 5):  # TypeError out of pathlib
        with pytest.raises(UsageTypeError) as e:
            losslens.more_data(wrong)
        assert "more_data(sizes, scores)" in _one_line(e.value)
    with pytest.raises(UsageTypeError):  # ValueError out of numpy
        losslens.more_data(sizes, [["a"] * 3] * len(sizes))
    with pytest.raises(UsageTypeError) as e:  # TypeError comparing "2" > 1
        losslens.more_data(sizes, scores, factor="2")
    assert "factor='2'" in _one_line(e.value)
    # diagnose's name for it (a TypeError before), and scikit-learn's, alike
    a = losslens.more_data(sizes, scores, higher_is_better=True)
    b = losslens.more_data(sizes, scores, greater_is_better=True)
    assert a.to_dict() == b.to_dict() and a.metric == "1 - validation score"
    with pytest.raises(UsageError):
        losslens.more_data(sizes, scores, higher_is_better=True, greater_is_better=False)


def test_verify_refuses_what_is_not_a_training_function(fit):
    # A run where the function goes was "TrainingError: Sequential() raised TypeError ...": the user's code blamed.
    for wrong in (None, fit[1].history):
        with pytest.raises(UsageTypeError) as e:
            losslens.verify(wrong)
        assert "losslens.diagnose" in _one_line(e.value)


def test_run_from_dataframe_refuses_what_is_no_table(fit):
    with pytest.raises(UsageTypeError) as e:  # AttributeError: 'NoneType' object has no attribute 'columns'
        losslens.Run.from_dataframe(None)
    assert "DataFrame" in _one_line(e.value)
    with pytest.raises(UsageTypeError):
        losslens.Run.from_dataframe(fit[1])


def test_save_plot_into_a_missing_folder_is_one_line(fit, tmp_path):
    pytest.importorskip("matplotlib")
    d = losslens.diagnose(fit[1])
    with pytest.raises(UsageError) as e:  # FileNotFoundError out of PIL, after drawing
        d.save_plot(tmp_path / "no" / "run.png")
    assert "no folder" in _one_line(e.value)
    assert d.save_plot(tmp_path / "run.png").stat().st_size > 0


def test_the_callbacks_take_their_keywords_as_a_user_first_writes_them():
    from losslens.integrations.keras import LosslensCallback
    from losslens.integrations.torch import Monitor
    from losslens.stopping import ForecastStopping

    # One cause as a string was split into letters: "unknown cause(s) ['o', 'v', 'e', ...]".
    assert LosslensCallback(stop_on="overfitting").watcher.stop_on == ("overfitting",)
    assert Monitor(reduce_lr_on="lr_too_high").watcher.reduce_lr_on == ("lr_too_high",)
    # diagnose's metric= names what Keras calls monitor (a TypeError naming Watcher.__init__ before)
    assert LosslensCallback(metric="val_accuracy").watcher.monitor == "val_accuracy"
    assert LosslensCallback(metric="val_accuracy").watcher.mode == "max"
    with pytest.raises(UsageTypeError) as e:
        LosslensCallback(patiense=3)
    line = _one_line(e.value)
    assert line.startswith("LosslensCallback takes no keyword 'patiense'; it takes ") and "patience, " in line
    assert line.endswith("; did you mean patience?")
    for make in (LosslensCallback, Monitor):
        with pytest.raises(UsageError) as e:  # taken, then a division by zero at the chance level
            make(classes=1)
        assert "classes=1" in _one_line(e.value)
        with pytest.raises(UsageTypeError):  # TypeError comparing 0 <= "0.01"
            make(stop_gain="0.01")
    with pytest.raises(UsageTypeError):
        ForecastStopping(min_gain="0.01")
    with pytest.raises(UsageTypeError):  # kept, to fail at the first check
        ForecastStopping(horizon="200")


def test_a_pytorch_loops_lists_are_read_under_the_names_it_appends_to():
    # train_losses.append(...), val_losses.append(...): the tutorials' names, "no loss or accuracy column" before.
    from torch_loops import diabetes_mlp_run

    run = diabetes_mlp_run(lr=0.01, epochs=30)
    as_named = {"train_losses": run["train_loss"], "val_losses": run["val_loss"]}
    d, same = losslens.diagnose(as_named), losslens.diagnose({"loss": run["train_loss"], "val_loss": run["val_loss"]})
    assert (d.metric, d.verdict, d.plateau_epoch) == ("val_loss", same.verdict, same.plateau_epoch)


def test_a_dataframe_indexed_by_its_epochs_is_read_on_them(tmp_path):
    # pd.read_csv(log, index_col="epoch") and df.set_index("step"): the named index was dropped, X came out in row
    # numbers (epoch 10 where the loop counts from 1 and says 11; "epoch 10" for step 1,100).
    import pandas as pd
    from torch_loops import diabetes_mlp_run

    df = pd.DataFrame(diabetes_mlp_run(lr=0.01, epochs=30))  # epochs counted from 1
    df.to_csv(tmp_path / "log.csv", index=False)
    want = losslens.diagnose(tmp_path / "log.csv")
    indexed = pd.read_csv(tmp_path / "log.csv", index_col="epoch")
    d = losslens.diagnose(indexed)
    assert (d.plateau_epoch, d.verdict) == (want.plateau_epoch, want.verdict) and d.plateau_epoch >= 1
    alone = losslens.diagnose(df[["epoch", "val_loss"]])  # the validation curve alone, as a named Series holds it
    assert losslens.diagnose(indexed["val_loss"]).to_dict()["plateau"] == alone.to_dict()["plateau"]
    by_step = df.assign(step=df.epoch * 100).drop(columns="epoch")
    d = losslens.diagnose(by_step.set_index("step"))
    assert d.plateau_epoch == losslens.diagnose(by_step).plateau_epoch == 100 * want.plateau_epoch
    # pandas' own row numbers (an unnamed index) stay out, as a CSV's blank first column does
    assert losslens.diagnose(pd.DataFrame(df.drop(columns="epoch").to_numpy(), columns=["train_loss", "val_loss"],
                                          index=pd.RangeIndex(5, 35))).plateau_epoch == want.plateau_epoch - 1


def test_a_tidy_table_reads_as_the_wide_table_it_was():
    # A row per metric and epoch (df.melt, MLflow's and TensorBoard's APIs) was refused with a pivot_table recipe:
    # "no loss or accuracy column (found: epoch, value)". Read, it is the wide table's run, in any row order.
    import pandas as pd
    from torch_loops import diabetes_mlp_run

    df = pd.DataFrame(diabetes_mlp_run(lr=0.01, epochs=30))
    want = losslens.diagnose(df).to_dict()
    tidy = df.melt(id_vars="epoch", var_name="metric", value_name="value")
    for frame in (tidy, df.melt(id_vars="epoch").sample(frac=1, random_state=0)):  # variable, value; shuffled
        got = losslens.diagnose(frame).to_dict()
        assert (got["verdict"], got["plateau"]) == (want["verdict"], want["plateau"])
    # No axis column: each curve's rows count 0, 1, 2 ..., as the wide table's rows do without one.
    rows = losslens.diagnose(df.drop(columns="epoch")).to_dict()["plateau"]
    assert losslens.diagnose(df.drop(columns="epoch").melt(var_name="name")).to_dict()["plateau"] == rows
    # Two seeds' runs in one table, melted beside their seed: two runs, named and read as the wide table's.
    seeds = pd.concat([df.assign(seed=0), pd.DataFrame(diabetes_mlp_run(lr=0.01, epochs=30, seed=1)).assign(seed=1)])
    both = [(d.run_name, d.to_dict()["plateau"]) for d in losslens.diagnose_all(seeds.melt(id_vars=["seed", "epoch"]))]
    assert both == [(d.run_name, d.to_dict()["plateau"]) for d in losslens.diagnose_all(seeds)]
    assert [name for name, _ in both] == ["seed=0", "seed=1"]
    # A row written twice alike is read once; over another value it is refused, naming both rows.
    assert losslens.diagnose(pd.concat([tidy, tidy.iloc[[5]]])).to_dict()["plateau"] == want["plateau"]
    with pytest.raises(losslens.ReadError) as e:
        losslens.diagnose(pd.concat([tidy, tidy.iloc[[5]].assign(value=9.0)]))
    assert "rows 6 and 61 both give train_loss at epoch 6 over different values (0.5" in _one_line(e.value)


def test_mlflow_metric_history_as_a_dataframe_reads_as_the_store(tmp_path, monkeypatch):
    # MlflowClient().get_metric_history, one key at a time, made a DataFrame: key, value, timestamp, step, run_id
    # and MLflow 3's empty model_id / dataset columns. Read as the store itself reads, two runs as two.
    pytest.importorskip("mlflow")
    import pandas as pd
    from mlflow.tracking import MlflowClient
    from test_folder_tasks import _mlflow_store
    from torch_loops import diabetes_mlp_run

    histories = {"sgd-0.01": diabetes_mlp_run(lr=0.01, epochs=30), "sgd-0.2": diabetes_mlp_run(lr=0.2, epochs=30)}
    store = _mlflow_store(tmp_path, monkeypatch, [(name, {"lr": name[4:]}, h) for name, h in histories.items()])
    client = MlflowClient(store.as_uri())
    frames = {}
    for run in client.search_runs([e.experiment_id for e in client.search_experiments()]):
        points = [m.to_dictionary() for key in ("train_loss", "val_loss")
                  for m in client.get_metric_history(run.info.run_id, key)]
        frames[run.info.run_name] = pd.DataFrame(points)
    assert {"key", "value", "step", "timestamp", "run_id"} <= set(frames["sgd-0.2"].columns)
    stored = {r.name: r for r in losslens.read(f"mlflow:{store}")}
    for name, frame in frames.items():
        got = losslens.diagnose(frame)
        want = losslens.diagnose(stored[name])
        assert (got.verdict, got.plateau_epoch) == (want.verdict, want.plateau_epoch)
        assert list(got.run.axis) == list(range(30)) and got.run.val_loss == pytest.approx(histories[name]["val_loss"])
    both = losslens.diagnose_all(pd.concat(frames.values()))  # split by run_id, as a wide table's runs are
    assert sorted(d.run.name for d in both) == sorted(r.info.run_id for r in client.search_runs([e.experiment_id for e in client.search_experiments()]))
    with pytest.raises(UsageError):
        losslens.diagnose(pd.concat(frames.values()))


def test_the_keywords_of_read_run_and_save_plot_are_checked_alike(fit, tmp_path):
    pytest.importorskip("matplotlib")
    history = fit[1]
    log = tmp_path / "log.csv"
    import pandas as pd

    pd.DataFrame(history.history).rename_axis("epoch").reset_index().to_csv(log, index=False)
    calls = [
        (lambda: losslens.read(log, columns=["val_loss"]), "columns="),       # ValueError in the table reader
        (lambda: losslens.read(log, metric=3), "metric=3"),                    # taken in silence
        (lambda: losslens.Run.from_history(history, columns=["val_loss"]), "columns="),  # ValueError in map_columns
        (lambda: losslens.Run.from_history(history, first_epoch="1"), "first_epoch='1'"),  # TypeError
        (lambda: losslens.diagnose(history).save_plot(None), "save_plot takes a path"),    # TypeError in pathlib
        (lambda: losslens.diagnose(history).save_plot(tmp_path / "a.png", dpi="300"), "dpi='300'"),  # in matplotlib
    ]
    for call, words in calls:
        with pytest.raises(UsageTypeError) as e:
            call()
        assert words in _one_line(e.value)


def test_columns_of_the_wrong_kind_are_refused_alike_on_every_path(fit, tmp_path):
    # Checked where the user's columns meet the column names (columns.given_columns: map_columns, the table reader,
    # readers.read before a folder or a store is read), not at three entry points: losslens.readers.read(csv,
    # columns=[...]) was a bare ValueError out of dict(), and a TensorBoard folder's read took it in silence.
    import pandas as pd

    from losslens.readers import read as read_any

    history = fit[1]
    frame = pd.DataFrame(history.history)
    log = tmp_path / "log.csv"
    frame.rename_axis("epoch").reset_index().to_csv(log, index=False)
    board = Path(__file__).parent / "fixtures" / "logs" / "keras_tensorboard"
    bad = ["val_loss"]
    paths = [
        lambda: losslens.diagnose(history, columns=bad), lambda: losslens.diagnose(history.history, columns=bad),
        lambda: losslens.diagnose(frame, columns=bad), lambda: losslens.diagnose_all(log, columns=bad),
        lambda: losslens.Run.from_history(history, columns=bad), lambda: losslens.Run.from_dataframe(frame, columns=bad),
        lambda: losslens.read(log, columns=bad), lambda: read_any(log, columns=bad),
        lambda: read_any(board, columns=bad), lambda: read_any(tmp_path, columns=bad),
        lambda: losslens.forecast(frame, columns=bad),
    ]
    for call in paths:
        with pytest.raises(UsageTypeError) as e:
            call()
        assert _one_line(e.value) == ("columns=['val_loss']: a dict {canonical name: your column}, "
                                      "columns={'val_loss': 'my_dev_ce'}")


def test_a_number_out_of_its_range_is_a_usage_error_said_as_its_kind_is(fit, tmp_path):
    # One check (exceptions.check_number) where each parameter wrote its own: validation_freq=0 and dpi=0 were
    # UsageTypeErrors (also TypeErrors: a value of the wrong kind), ForecastStopping(horizon=nan) was taken, and a
    # range said "must be >= 0, got -1" where a kind said "=...: a number".
    import math

    import torch

    from losslens.integrations.keras import LosslensCallback
    from losslens.integrations.torch import Monitor
    from losslens.stopping import ForecastStopping

    history = fit[1]
    calls = [
        (lambda: losslens.Run.from_history(history, validation_freq=0),
         "validation_freq=0: epochs between validations, an integer >= 1"),
        (lambda: losslens.diagnose(history).save_plot(tmp_path / "a.png", dpi=0),
         "dpi=0: dots per inch, a finite number > 0 (dpi=150)"),
        (lambda: losslens.diagnose(history, horizon=math.inf),
         "horizon=inf: the epoch (or step) to forecast to, a finite number (horizon=200)"),
        (lambda: ForecastStopping(horizon=math.nan), "horizon=nan: a number"),
        (lambda: ForecastStopping(min_gain=-1), "min_gain=-1: a number >= 0"),
        (lambda: LosslensCallback(stop_gain=1.5), "stop_gain=1.5: a fraction, a number >= 0 and < 1 (0.01 for 1%)"),
        (lambda: Monitor(grad_layers=-1), "grad_layers=-1: an integer >= 0 (0 switches the per-layer norms off)"),
        (lambda: losslens.diagnose(history, classes=1), "classes=1: the number of classes K, an integer >= 2 "
                                                        "(the chance level is ln K, 1/K; leave it None where there are none)"),
    ]
    for call, said in calls:
        with pytest.raises(UsageError) as e:
            call()
        assert not isinstance(e.value, TypeError) and _one_line(e.value) == said
    for call, said in [(lambda: losslens.Run.from_history(history, validation_freq=2.0), "validation_freq=2.0"),
                       (lambda: Monitor(torch.nn.Linear(2, 1), grad_every="4"), "grad_every='4'")]:
        with pytest.raises(UsageTypeError) as e:
            call()
        assert _one_line(e.value).startswith(said + ": ") and "an integer >= 1" in str(e.value)


def test_the_live_helpers_refuse_values_of_the_wrong_kind_when_made(fit):
    from losslens.integrations.keras import LosslensCallback
    from losslens.integrations.torch import Monitor
    from losslens.stopping import ForecastStopping

    # patience="3" and start_from_epoch="a" were kept, to fail at an epoch's end; save_path=3 was a TypeError in
    # os.fspath, grad_layers="a" a ValueError in int()
    for kw in ({"patience": "3"}, {"start_from_epoch": "a"}, {"save_path": 3}, {"grad_layers": "a"}):
        with pytest.raises(UsageTypeError) as e:
            LosslensCallback(**kw)
        assert f"{next(iter(kw))}=" in _one_line(e.value)
    with pytest.raises(UsageTypeError):
        Monitor(patience="3")
    # The model, optimizer and scheduler too: Monitor(model=3) was kept, its gradient probe turned off with a
    # warning at the first optimizer step; the optimizer passed as the model, the same.
    import torch
    net = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, 5)
    for kw, words in (({"model": 3}, "Monitor(model=3): a torch.nn.Module"),
                      ({"model": opt, "optimizer": net}, "got an optimizer; Monitor(model, optimizer, scheduler)"),
                      ({"optimizer": "sgd"}, "Monitor(optimizer='sgd'): a torch.optim.Optimizer"),
                      ({"scheduler": opt}, "Monitor(scheduler=<SGD>): a torch.optim.lr_scheduler")):
        with pytest.raises(UsageTypeError) as e:
            Monitor(**kw)
        assert words in _one_line(e.value)
    monitor = Monitor(net, opt, sched, verbose=0)
    x, y = torch.randn(32, 3), torch.randn(32, 1)
    with pytest.raises(UsageTypeError) as e:
        monitor.step(torch.nn.functional.mse_loss(net(x), y), model=3)
    assert "Monitor.step(model=<int>)" in _one_line(e.value)
    for epoch in range(3):  # the right kinds train as before
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(net(x), y)
        loss.backward()
        opt.step()
        monitor.step(loss)
        sched.step()
        monitor.epoch_end(val_loss=float(loss))
    assert len(monitor.run().axis) == 3 and np.isfinite(monitor.run().train_loss).all()
    # ForecastStopping.update on a real curve: None (no value this epoch) is passed over as NaN is; a string is
    # refused (a ValueError out of float())
    stop = ForecastStopping()
    for epoch, value in enumerate(fit[1].history["val_loss"]):
        assert stop.update(epoch, value) in (True, False)
    assert stop.update(len(fit[1].history["val_loss"]), None) in (True, False)
    with pytest.raises(UsageTypeError):
        ForecastStopping().update(0, "val_loss")


def test_a_numpy_record_array_of_a_csv_log_reads_as_the_log(fit, tmp_path):
    # np.genfromtxt(log, names=True): its fields name the columns; it was refused as no source losslens reads.
    import keras
    from keras_models import article_data, mlp

    log = tmp_path / "training.log"
    x, y = article_data(1, n=200)
    mlp().fit(x, y, validation_split=0.25, epochs=10, batch_size=32, verbose=0,
              callbacks=[keras.callbacks.CSVLogger(str(log))])
    records = np.genfromtxt(log, delimiter=",", names=True)
    assert records.dtype.names[0] == "epoch"
    assert losslens.diagnose(records).to_dict()["plateau"] == losslens.diagnose(log).to_dict()["plateau"]
    assert losslens.diagnose(records).verdict == losslens.diagnose(log).verdict


def test_forecast_curve_checks_the_horizon_as_given_not_after_float():
    # forecast_curve converted the horizon with float() before check_horizon saw it: "x" left a bare ValueError
    # out of float(), True passed as 1.0.
    from losslens.forecasting import forecast_curve

    x = np.arange(1, 31, dtype=float)
    y = 1.0 / np.sqrt(x)
    for horizon in ("x", True):
        with pytest.raises(UsageTypeError) as e:
            forecast_curve(x, y, horizon=horizon)
        assert _one_line(e.value).startswith(f"horizon={horizon!r}: the epoch (or step) to forecast to")
    assert forecast_curve(x, y, horizon=60).horizon == 60
