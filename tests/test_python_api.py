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


@pytest.fixture(scope="module")
def history(one_torch_thread_module):
    """A real 12-epoch Keras fit of the article's MLP (tests/keras_models.py) on 200 samples."""
    from keras_models import article_data, mlp

    x, y = article_data(0, n=200)
    return mlp().fit(x, y, validation_split=0.25, epochs=12, batch_size=32, verbose=0)


def test_a_misspelt_keyword_is_a_type_error_not_ignored(history):
    """diagnose(history, clases=10) diagnosed without the chance level and said nothing, as every option
    went through **options; the keywords are now the signature's, which help() shows."""
    for f in (losslens.diagnose, losslens.diagnose_all, losslens.forecast):
        with pytest.raises(TypeError, match="clases"):
            f(history, clases=10)
    params = inspect.signature(losslens.diagnose).parameters
    assert {"metric", "classes", "horizon", "higher_is_better", "columns", "run_id"} <= set(params)
    assert all(p.kind is p.KEYWORD_ONLY for name, p in params.items() if name != "source")
    assert "epoch" in losslens.diagnose.__doc__ and "Raises" in losslens.diagnose.__doc__
    assert losslens.diagnose(history, classes=np.int64(10)).verdict == losslens.diagnose(history, classes=10).verdict


@pytest.mark.parametrize("classes", [1, 0, "10", 2.5, True])
def test_classes_that_are_no_class_count_get_one_line_that_says_so(history, classes):
    """classes=1 ended in a ZeroDivisionError inside the chance level, classes="10" in a TypeError there;
    the CLI's --classes refuses anything under 2."""
    with pytest.raises(losslens.UsageError, match=r"classes=.*integer >= 2"):
        losslens.diagnose(history, classes=classes)
    with pytest.raises(ValueError):
        losslens.diagnose_all(history, classes=classes)


def test_the_repr_is_one_line_a_list_of_diagnoses_can_show(history):
    """A notebook shows a list's items by repr (diagnose_all's answer): the dataclass repr spelt out every
    evidence line, the facts and the Run, 14,000 characters a run."""
    d = losslens.diagnose(history)
    r = repr(d)
    assert "\n" not in r and len(r) < 300, r
    assert r.startswith("Diagnosis(") and repr(d.verdict) in r and d.metric in r
    x = d.plateau_epoch
    assert f"plateau_epoch={'None' if x is None else f'{x:g}'}" in r
    assert all(c.id in r for c in d.causes)
    assert str(d).splitlines()[0] == d.summary()  # print(d) is still the whole text


def test_the_callbacks_warnings_filter_by_one_losslens_class(monkeypatch, one_torch_thread_module):
    """The callbacks warned as UserWarning / RuntimeWarning: a user could silence them only by matching the
    message text. Now one class takes them all, and the old classes still do."""
    import keras

    from losslens.integrations.keras import LosslensCallback

    assert issubclass(losslens.LosslensWarning, UserWarning)
    assert issubclass(losslens.CallbackFailureWarning, losslens.LosslensWarning)
    assert issubclass(losslens.CallbackFailureWarning, RuntimeWarning)
    monkeypatch.delattr(keras.callbacks, "CallbackList")   # the callback cannot see the fit's others: it says so

    def fit():
        keras.utils.set_random_seed(0)
        rng = np.random.default_rng(0)
        x = rng.random((64, 2)).astype("float32")
        model = keras.Sequential([keras.layers.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, x.sum(1), validation_split=0.25, epochs=3, verbose=0,
                  callbacks=[LosslensCallback(stop_on=("converged",), verbose=0, save_path=None)])

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    ours = [w for w in caught if "losslens" in str(w.message)]
    assert len(ours) == 1 and ours[0].category is losslens.LosslensWarning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=losslens.LosslensWarning)
        fit()
    assert not [w for w in caught if "losslens" in str(w.message)]


def test_a_bare_array_says_how_to_name_it_and_a_series_or_a_list_of_paths_is_read(history, tmp_path):
    """np.array(history.history["val_loss"]) got "losslens reads a path or URI, a dict of lists ..."; which curve
    it is decides the reading, so the error now says how to name it, and a named pandas Series is read by
    its name. A list of paths (the CLI takes several) was refused by read() and diagnose_all()."""
    import pandas as pd

    values = history.history["val_loss"]
    for bare in (np.array(values), list(values), np.c_[history.history["loss"], values]):
        with pytest.raises(TypeError, match=r"numbers does not say which curve.*'val_loss'"):
            losslens.diagnose(bare)
    expected = losslens.diagnose(history)
    named = losslens.diagnose(pd.Series(values, name="val_loss"))
    assert (named.verdict, named.plateau_epoch, named.metric) == (expected.verdict, expected.plateau_epoch, "val_loss")
    paths = []
    for k in range(2):
        paths.append(tmp_path / f"run{k}.csv")
        pd.DataFrame(history.history).rename_axis("epoch").to_csv(paths[-1])
    assert [r.name for r in losslens.read(paths)] == ["run0", "run1"]
    assert [d.verdict for d in losslens.diagnose_all([str(p) for p in paths])] == [expected.verdict] * 2
    with pytest.raises(losslens.UsageError, match="holds 2 runs"):
        losslens.diagnose(paths)


def test_plot_returns_axes_and_a_run_with_nothing_to_draw_warns_nothing(history, nan_history):
    """d.plot() returns the Axes it drew on (the one given, else a new figure's); on a run NaN from its first
    epoch matplotlib warned 'No artists with labels found to put in legend' into the notebook."""
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert losslens.diagnose(history).plot(ax=ax) is ax
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        drawn = losslens.diagnose(nan_history).plot()
    # (`drawn.figure is not None` holds for any Axes, the given one included.)
    assert drawn is not ax and drawn.figure is not fig and drawn in drawn.figure.axes
    plt.close("all")
