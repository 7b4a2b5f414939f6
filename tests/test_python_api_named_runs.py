"""What a notebook user hands the Python API when comparing runs in memory: a dict of runs named by their keys, a
list of Histories, a DataFrame with a (run, metric) column MultiIndex, a loop's losses kept as tensors with grad.
Each is read as the runs it holds, or refused in one line naming it; none is merged into one run in silence."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import losslens
from losslens import LosslensError, UsageError


def _keras_fit(lr: float, seed: int = 0, epochs: int = 12):
    """A real Keras fit of the article's MLP (tests/keras_models.py) on 200 samples at Adam(lr): its History."""
    import keras
    import torch
    from keras_models import article_data, mlp

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        keras.utils.set_random_seed(seed)
        x, y = article_data(seed, n=200)
        model = mlp()
        model.compile(optimizer=keras.optimizers.Adam(lr), loss="mse")
        return model.fit(x, y, validation_split=0.25, epochs=epochs, batch_size=32, verbose=0)
    finally:
        torch.set_num_threads(n)


@pytest.fixture(scope="module")
def two_fits():
    """Two real Keras fits, one at a 10x smaller lr: (History at 3e-4, History at 3e-3)."""
    return _keras_fit(3e-4), _keras_fit(3e-3)


def _one_line(error: LosslensError) -> str:
    message = str(error)
    assert "\n" not in message and message
    return message


def test_a_dict_of_histories_is_several_runs_named_by_its_keys(two_fits):
    # {"lr3e-5": hist_a, "lr3e-4": hist_b} was read as ONE run ("run") on the metric "lr3e_4_loss": the first
    # run dropped, the second's loss read under its key's name.
    slow, fast = two_fits
    alone = [losslens.diagnose(h) for h in (slow, fast)]
    for runs in ({"lr3e-4": slow, "lr3e-3": fast}, {"lr3e-4": slow.history, "lr3e-3": fast.history}):
        ds = losslens.diagnose_all(runs)
        assert [d.run.name for d in ds] == ["lr3e-4", "lr3e-3"]
        assert [d.metric for d in ds] == ["val_loss", "val_loss"]
        assert [d.verdict for d in ds] == [d.verdict for d in alone]
        with pytest.raises(UsageError) as e:
            losslens.diagnose(runs)
        message = _one_line(e.value)
        assert "holds 2 runs" in message and "diagnose_all" in message and "run_id=" in message
        assert len(message) < 200  # the dict named, not printed
        picked = losslens.diagnose(runs, run_id="lr3e-3")
        assert picked.run.name == "lr3e-3" and picked.verdict == alone[1].verdict
    assert [r.name for r in losslens.read({"lr3e-4": slow, "lr3e-3": fast})] == ["lr3e-4", "lr3e-3"]
    with pytest.raises(LosslensError) as e:
        losslens.diagnose({"lr3e-4": slow, "lr3e-3": fast}, run_id="lr1")
    assert "lr3e-4" in _one_line(e.value)


def test_a_dict_of_dataframes_is_several_runs_and_a_dict_of_lists_stays_one(two_fits):
    import pandas as pd

    slow, fast = two_fits
    ds = losslens.diagnose_all({"a": pd.DataFrame(slow.history), "b": pd.DataFrame(fast.history)})
    assert [d.run.name for d in ds] == ["a", "b"]
    # A nested history by split and a booster's evals_result keep their reading: one run.
    d = losslens.diagnose({"train": {"loss": slow.history["loss"]}, "val": {"loss": slow.history["val_loss"]}})
    assert d.metric == "val_loss" and d.run.name == "run"
    assert len(losslens.diagnose_all(dict(slow.history))) == 1


def test_a_list_of_histories_is_several_runs(two_fits):
    # diagnose_all([h1, h2]) of History dicts was "UnknownFormatError list: no columns".
    slow, fast = two_fits
    for runs in ([slow, fast], [slow.history, fast.history]):
        ds = losslens.diagnose_all(runs)
        assert len(ds) == 2 and [d.metric for d in ds] == ["val_loss", "val_loss"]
        assert ds[0].verdict == losslens.diagnose(slow).verdict
        with pytest.raises(UsageError) as e:
            losslens.diagnose(runs)
        assert "holds 2 runs" in _one_line(e.value)


def test_columns_by_run_and_metric_are_read_as_runs(two_fits):
    # pd.concat({"mlp": df}, axis=1) read "no loss logged: read on ('mlp', 'accuracy')" with val_loss there.
    import pandas as pd

    slow, fast = two_fits
    one = pd.concat({"mlp": pd.DataFrame(slow.history)}, axis=1)
    d = losslens.diagnose(one)
    assert d.run.name == "mlp" and d.metric == "val_loss" and d.verdict == losslens.diagnose(slow).verdict
    both = pd.concat({"slow": pd.DataFrame(slow.history), "fast": pd.DataFrame(fast.history)}, axis=1)
    assert [d.run.name for d in losslens.diagnose_all(both)] == ["slow", "fast"]
    with pytest.raises(UsageError) as e:
        losslens.diagnose(both)
    assert "holds 2 runs" in _one_line(e.value)


def test_several_runs_in_a_dataframe_are_named_in_one_line(two_fits):
    # The error printed the whole DataFrame: 15 lines, 831 characters.
    import pandas as pd

    slow, fast = two_fits
    long = pd.concat([pd.DataFrame(h.history).assign(run=name) for name, h in (("a", slow), ("b", fast))])
    with pytest.raises(UsageError) as e:
        losslens.diagnose(long)
    message = _one_line(e.value)
    assert f"a DataFrame of {len(long)} rows x {long.shape[1]} columns" in message and "holds 2 runs" in message


def _loop_with_grad():
    """A real torch loop on digits that appended ``loss`` (a tensor with grad), not ``loss.item()``: (train losses,
    val losses, the per-epoch records)."""
    import torch
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x, y = torch.tensor(x / 16, dtype=torch.float32), torch.tensor(y)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    train, val, log = [], [], []
    for epoch in range(20):
        for i in range(0, 300, 30):
            loss = torch.nn.functional.cross_entropy(net(x[i:i + 30]), y[i:i + 30])
            opt.zero_grad()
            loss.backward()
            opt.step()
        v = torch.nn.functional.cross_entropy(net(x[1000:]), y[1000:])  # (no no_grad: held with its graph too)
        train.append(loss)
        val.append(v)
        log.append({"epoch": epoch, "loss": loss, "val_loss": v})
    return train, val, log


def test_losses_kept_as_tensors_with_grad_are_read_with_a_note_and_no_torch_warning(caplog):
    # A dict of such lists raised torch's RuntimeError "Can't call numpy() on Tensor that requires grad"; a list of
    # per-epoch dicts was read with torch's UserWarning from readers/records.py.
    train, val, log = _loop_with_grad()
    assert train[0].requires_grad
    plain = losslens.diagnose({"train_loss": [t.item() for t in train], "val_loss": [t.item() for t in val]})
    for source in ({"train_loss": train, "val_loss": val}, log):
        caplog.clear()
        with warnings.catch_warnings(), caplog.at_level("WARNING", logger="losslens"):
            warnings.simplefilter("error", UserWarning)  # torch's "Converting a tensor with requires_grad=True"
            d = losslens.diagnose(source)
        assert d.metric == "val_loss" and d.verdict == plain.verdict
        np.testing.assert_allclose(d.plateau_epoch or 0, plain.plateau_epoch or 0)
        said = [r.getMessage() for r in caplog.records if "tensors with grad" in r.getMessage()]
        assert len(said) == 1 and ".item()" in said[0]


def test_compare_of_two_histories_names_them_before_and_after_or_by_their_keys(two_fits):
    # compare(h1, h2) titled them "run → run".
    slow, fast = two_fits
    first = str(losslens.compare(slow, fast)).splitlines()[0]
    assert first.startswith("before → after"), first
    first = str(losslens.compare({"adam 3e-4": slow}, {"adam 3e-3": fast})).splitlines()[0]
    assert first.startswith("adam 3e-4 → adam 3e-3"), first


def test_diagnose_has_a_runnable_example():
    # help(losslens.diagnose) had no example.
    import doctest

    tests = doctest.DocTestFinder().find(losslens.diagnose, "diagnose", globs={})
    assert tests and tests[0].examples
    result = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS).run(tests[0])
    assert result.failed == 0 and result.attempted >= 3


def test_a_regressor_scored_on_few_examples_gets_no_accuracy_wording_and_its_early_stop_said():
    # MLPRegressor's R² on 45 held-out examples read "one example flips its accuracy by 2.2%", and nothing said that
    # early stopping ended the fit on those scores.
    import warnings as _w

    from sklearn.datasets import load_diabetes
    from sklearn.neural_network import MLPRegressor

    x, y = load_diabetes(return_X_y=True)
    with _w.catch_warnings():
        _w.simplefilter("ignore")
        reg = MLPRegressor(hidden_layer_sizes=(32,), early_stopping=True, random_state=0, max_iter=2000,
                           learning_rate_init=1e-2).fit(x * 10, (y - y.mean()) / y.std())
    assert reg.n_iter_ < 2000
    d = losslens.diagnose(reg)
    line = next(e for e in d.causes[0].evidence if "validation is scored on 45 examples" in e)
    assert "accuracy" not in line
    assert f"early stopping (patience {reg.n_iter_no_change}) ended the fit on them" in line
