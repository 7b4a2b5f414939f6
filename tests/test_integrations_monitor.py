"""What the callbacks say of a ``monitor`` the run does not log, and how they name the run, on real tiny runs of each
framework: a misspelled monitor (``"val_los"``) was taken silently by the Keras, Lightning and torch callbacks, the
best tracked on the training loss and the saved file's ``meta.monitor`` naming a series that never existed (a new
user's walk of the integrations, 2026-12-06, finding 3)."""

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens import LosslensWarning, MonitorError

TESTS = Path(__file__).parent
REPO = TESTS.parent
pytestmark = [pytest.mark.framework, pytest.mark.usefixtures("one_torch_thread")]


def _said(caught, text="monitor="):
    return [str(w.message) for w in caught if issubclass(w.category, LosslensWarning) and text in str(w.message)]


def _cli(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}:{REPO}"}
    return subprocess.run([sys.executable, "-m", "losslens", *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=120)


# ---- the PyTorch loop -------------------------------------------------------------------------------------------

def _loop(monitor_name, epochs=12, val=True, **options):
    """A linear regression under the torch Monitor: y = 2 x1 + 3 x2 + N(0, 0.1²), SGD(0.05)."""
    import torch

    from losslens.integrations.torch import Monitor

    torch.manual_seed(0)
    x = torch.rand(200, 2)
    y = x @ torch.tensor([[2.0], [3.0]]) + 0.1 * torch.randn(200, 1)
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    mon = Monitor(model, opt, monitor=monitor_name, time_budget_ms=None, verbose=False, **options)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(epochs):
            opt.zero_grad()
            loss = torch.mean((model(x[:150]) - y[:150]) ** 2)
            loss.backward()
            opt.step()
            with torch.no_grad():
                vl = torch.mean((model(x[150:]) - y[150:]) ** 2).item()
            mon.epoch_end(train_loss=loss.item(), **({"val_loss": vl} if val else {}))
            if mon.epoch == 1:
                first = _said(caught)  # said at the first epoch that logged validation
        mon.finish()
    return mon, first, _said(caught)


def test_the_monitor_warning_is_said_once_at_the_users_line(caplog, capfd):
    """The walk's t_mon.py printed the misspelt monitor's line three times over: the logger's (its last-resort
    handler), then ``_core.py:389: LosslensWarning: <the same>`` and ``self._check_monitor(epoch)``. Now the warning
    alone, placed at the user's own call (``mon.epoch_end(...)`` here), and it names the class the user made."""
    import torch

    from losslens.integrations.torch import Monitor

    model = torch.nn.Linear(2, 1)
    mon = Monitor(model, torch.optim.SGD(model.parameters(), lr=0.1), monitor="val_los", verbose=False,
                  save_path=None)
    with warnings.catch_warnings(record=True) as caught, caplog.at_level("DEBUG", logger="losslens"):
        warnings.simplefilter("always")
        mon.epoch_end(train_loss=1.0, val_loss=1.2)
    ours = [w for w in caught if issubclass(w.category, LosslensWarning)]
    assert len(ours) == 1 and str(ours[0].message).startswith("losslens Monitor: monitor='val_los'")
    assert (ours[0].filename, ours[0].lineno) == (__file__, _line_of("mon.epoch_end(train_loss=1.0"))
    assert not [r for r in caplog.records if "monitor=" in r.getMessage()]  # (said once: not logged beside)
    assert "monitor=" not in capfd.readouterr().err


def _line_of(text):
    return next(i for i, line in enumerate(Path(__file__).read_text().splitlines(), 1)
                if text in line and "_line_of" not in line)


def test_torch_monitor_misspelled_says_so_once_and_tracks_val_loss(tmp_path):
    """``Monitor(monitor="val_los")``: one warning at epoch 0 naming the series the loop logs and the one meant; the
    best is tracked on val_loss (not the training loss), and the saved file says so. A monitor logged, or the default
    in a loop without validation: nothing said."""
    path = tmp_path / "run.json"
    mon, first, said = _loop("val_los", restore_best_weights=True, save_path=path)
    assert first == said and len(said) == 1, said
    assert said[0] == ("losslens Monitor: monitor='val_los' is not logged by this run, so the best is tracked "
                       "on val_loss instead (at epoch 0 it logs: train_loss, val_loss); did you mean val_loss?")
    val = mon.run().get("val_loss")
    assert mon.watcher.best_key == "val_loss" and mon.watcher.best_epoch == int(np.argmin(val))
    meta = json.loads(path.read_text())["meta"]
    assert (meta["monitor"], meta["monitor_asked"]) == ("val_loss", "val_los")

    # The default val_loss in a loop without validation (tracked on the training loss, as documented), and a
    # monitor the loop logs: nothing said.
    _, _, said = _loop("val_loss", val=False)
    assert said == []
    mon, _, said = _loop("train_loss")
    assert said == [] and mon.watcher.best_key == "train_loss"


# ---- Keras ------------------------------------------------------------------------------------------------------

@pytest.fixture
def keras_mlp():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("run Keras on the torch backend")
    sys.path.insert(0, str(TESTS))
    from keras_models import article_data, mlp

    return keras, article_data, mlp


@pytest.mark.slow
def test_keras_misspelled_monitor_warns_once_and_stops_on_val_loss(tmp_path, keras_mlp):
    """Keras' EarlyStopping warns of a monitor missing from the logs; losslens's callback took ``"val_los"`` silently
    and tracked the best on the training loss. Now: one warning at epoch 0 with the hint, the best and the weights
    restored are val_loss's, ``stopped_epoch`` is an int as EarlyStopping's."""
    keras, article_data, mlp = keras_mlp
    from losslens.integrations.keras import LosslensCallback

    (x, y), (xv, yv) = article_data(0), article_data(1, n=200)
    path = tmp_path / "run.json"
    cb = LosslensCallback(monitor="val_los", stop_on=("converged",), restore_best_weights=True, save_path=path,
                          verbose=0)
    model = mlp()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, y, validation_data=(xv, yv), epochs=40, batch_size=32, verbose=0, callbacks=[cb])
    said = _said(caught)
    assert len(said) == 1 and "monitor='val_los' is not logged by this run, so the best is tracked on val_loss" \
        in said[0] and "at epoch 0 it logs: " in said[0] and said[0].endswith("; did you mean val_loss?"), said
    val = history.history["val_loss"]
    assert cb.watcher.best_epoch == int(np.argmin(val))
    assert isinstance(cb.stopped_epoch, int) and cb.stopped_epoch == len(val) - 1 < 39
    assert model.evaluate(xv, yv, verbose=0) == pytest.approx(min(val), rel=1e-4)  # val_loss's best weights
    meta = json.loads(path.read_text())["meta"]
    assert (meta["monitor"], meta["monitor_asked"], meta["stopped_epoch"]) == ("val_loss", "val_los", len(val) - 1)


def test_keras_monitor_of_a_metric_not_compiled_names_what_is_logged(keras_mlp):
    """``monitor="val_accuracy"`` on a model compiled without metrics (the walk's k1.py nometric): no near name,
    the series logged and the one tracked instead, once."""
    keras, article_data, mlp = keras_mlp
    from losslens.integrations.keras import LosslensCallback

    (x, y), (xv, yv) = article_data(0, n=300), article_data(1, n=100)
    cb = LosslensCallback(monitor="val_accuracy", save_path=None, verbose=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mlp().fit(x, y, validation_data=(xv, yv), epochs=4, batch_size=32, verbose=0, callbacks=[cb])
    # (the series named as Keras logs them: loss, not losslens's train_loss; the warning at the user's fit line)
    assert _said(caught) == ["losslens keras callback: monitor='val_accuracy' is not logged by this run, so the best "
                             "is tracked on val_loss instead (at epoch 0 it logs: loss, val_loss)"]
    assert [w.filename for w in caught if "monitor=" in str(w.message)] == [__file__]
    assert cb.watcher.best_key == "val_loss" and cb.watcher.to_history()["meta"]["monitor"] == "val_loss"


# ---- Lightning --------------------------------------------------------------------------------------------------

def _lightning(tmp_path, cb, epochs, **trainer):
    L = pytest.importorskip("lightning")
    sys.path.insert(0, str(TESTS))
    from lightning_models import LinearRegressor, linear_loaders

    t = L.Trainer(max_epochs=epochs, callbacks=[cb], default_root_dir=tmp_path, enable_progress_bar=False,
                  enable_model_summary=False, enable_checkpointing=False, accelerator="cpu", devices=1, **trainer)
    t.fit(LinearRegressor(0.05), *linear_loaders(400, [(0, 320), (320, 400)]))
    return t


def test_lightning_misspelled_monitor_raises_where_it_decides_the_restore(tmp_path):
    """As Lightning's EarlyStopping (strict=True) raises for a monitor it cannot find: at the first validation, one
    line naming the series logged and the near one, a RuntimeError; one epoch trained, not the whole run."""
    pytest.importorskip("lightning")
    from losslens.integrations.lightning import LosslensCallback

    cb = LosslensCallback(monitor="val_los", restore_best_weights=True, verbose=0)
    with pytest.raises(MonitorError) as raised:
        t = _lightning(tmp_path, cb, epochs=20)
    assert isinstance(raised.value, RuntimeError)
    msg = str(raised.value)
    assert "\n" not in msg and msg == (
        "monitor='val_los' is not logged by this run, and restore_best_weights acts on its best: name a series it "
        "logs, or pass strict=False to track the best on val_loss instead (at epoch 0 it logs: train_loss, "
        "val_loss); did you mean val_loss?")
    assert len(cb.run().axis) == 1


@pytest.mark.slow
def test_lightning_not_strict_warns_names_the_run_by_its_folder_and_stops_at_an_int(tmp_path, capsys):
    """strict=False (or a monitor that decides nothing): one warning, the best on val_loss; the default losslens.json
    in version_0/ names the run "version_0", in the live report and in ``losslens diagnose`` of the folder or the
    file (the walk's live report said "lightning", the folder read "losslens"); ``stopped_epoch`` an int."""
    pytest.importorskip("lightning")
    from losslens.integrations.lightning import LosslensCallback

    cb = LosslensCallback(monitor="val_los", strict=False, restore_best_weights=True, stop_on=("converged",))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = _lightning(tmp_path, cb, epochs=60)
    said = _said(caught)
    assert len(said) == 1 and said[0].startswith("losslens lightning callback: monitor='val_los' is not logged by "
                                                 "this run, so the best is tracked on val_loss instead"), said
    assert isinstance(cb.stopped_epoch, int) and cb.stopped_epoch == len(cb.run().axis) - 1 < 59
    assert t.current_epoch == cb.stopped_epoch + 1  # (Lightning counts the epoch it stopped in as done)
    val = cb.run().get("val_loss")
    assert cb.watcher.best_epoch == int(np.nanargmin(val))
    out = capsys.readouterr().out
    assert "losslens (lightning, " in out and "): version_0: " in out and "): lightning: " not in out
    saved = tmp_path / "lightning_logs" / "version_0" / "losslens.json"
    meta = json.loads(saved.read_text())["meta"]
    assert (meta["name"], meta["monitor"], meta["stopped_epoch"]) == ("version_0", "val_loss", cb.stopped_epoch)
    for path in (saved, saved.parent):
        assert [r.name for r in losslens.read(path)] == ["version_0"]
    done = _cli("diagnose", saved)
    assert done.returncode == 0 and done.stdout.startswith("version_0: "), done.stdout + done.stderr

    # A monitor that only picks the curve reported decides nothing: strict or not, a warning, not an error.
    cb = LosslensCallback(monitor="val_los", save_path=None, verbose=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _lightning(tmp_path / "b", cb, epochs=3)
    assert len(_said(caught)) == 1 and len(cb.run().axis) == 3


# ---- Transformers -----------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_trainer_with_num_train_epochs_names_it_and_its_output_dir(tmp_path, capsys):
    """A Trainer given num_train_epochs only: its planned end is quoted as num_train_epochs (the live report said
    "the planned end (max_steps)", a setting the user never gave), and the run in output_dir/losslens.json is named
    by that folder live and read back (both said "losslens")."""
    transformers = pytest.importorskip("transformers")
    sys.path.insert(0, str(TESTS))
    from hf_models import tiny_bert_trainer

    from losslens.integrations.transformers import LosslensCallback

    out_dir = tmp_path / "bert_run"
    cb = LosslensCallback(time_budget_ms=None)
    tiny_bert_trainer(out_dir, cb, hidden=32, layers=1, n_train=160, n_eval=64, epochs=4, eval_steps=5,
                      learning_rate=1e-3).train()
    run = cb.run()
    assert run.name == "bert_run" and run.meta["planned_end_from"] == "num_train_epochs=4"
    assert run.meta["planned_end"] == 40
    printed = capsys.readouterr().out
    assert "losslens (transformers, " in printed and "): bert_run: " in printed and "): losslens: " not in printed
    saved = out_dir / "losslens.json"
    meta = json.loads(saved.read_text())["meta"]
    assert (meta["name"], meta["planned_end_from"]) == ("bert_run", "num_train_epochs=4")
    done = _cli("diagnose", out_dir)
    assert done.returncode == 0 and done.stdout.startswith("bert_run: "), done.stdout + done.stderr
    # Read back cut at step 30 of 40: the forecast goes to the planned end and says what set it.
    cut = json.loads(saved.read_text())
    cut = {k: (v[:7] if isinstance(v, list) else v) for k, v in cut.items()}
    half = tmp_path / "half" / "losslens.json"
    half.parent.mkdir()
    half.write_text(json.dumps(cut))
    fc = losslens.forecast(half)
    assert (fc.horizon, fc.horizon_from) == (40, "num_train_epochs=4")
    done = _cli("forecast", half)
    assert done.returncode == 0 and "(the planned end, num_train_epochs=4)" in done.stdout, done.stdout + done.stderr
    assert done.stdout.startswith("half: ")


# ---- the diagnosis's wording ------------------------------------------------------------------------------------

def test_a_cause_as_strong_as_the_verdict_as_printed_is_not_called_surer():
    """The walk's torch Monitor at SGD lr 2 (that run: tests/fixtures/ecosystem/sgd_dead_relu) read underfitting
    with lr_too_high "surer than the verdict (evidence strength 0.65 vs 0.65)". It now reads lr_too_high alone (its
    first layer's units died: test_dead_units), and no fixture lists a cause within 0.005 of its verdict, so the
    wording is checked where it is made: equal as printed, it says so; apart, it says "surer"."""
    from losslens.diagnosis import _ranked_after
    from losslens.result import Cause

    d = losslens.diagnose(TESTS / "fixtures" / "ecosystem" / "sgd_dead_relu" / "torch_lr2_s0.json")
    assert d.cause.id == "lr_too_high"
    for rival, said in ((0.652, "as sure as the verdict (both at evidence strength 65%) but ranked after it"),
                        (0.70, "surer than the verdict (evidence strength 70% vs 65%) but ranked after it")):
        verdict = Cause("lr_too_high", 0.648, actions=["lower the learning rate (try 1/10)"])
        other = Cause("overfitting", rival)
        _ranked_after(verdict, [other])
        assert other.evidence and other.evidence[-1].startswith(said), other.evidence


# ---- how the warning prints -------------------------------------------------------------------------------------

_SCRIPTS = {
    "torch": """
import torch
from losslens.integrations.torch import Monitor
model = torch.nn.Linear(2, 1)
mon = Monitor(model, torch.optim.SGD(model.parameters(), lr=0.1), monitor="val_los", verbose=False, save_path=None)
mon.epoch_end(train_loss=1.0, val_loss=1.2)  # WARNED HERE
""",
    "keras": """
import os
os.environ["KERAS_BACKEND"] = "torch"
from keras_models import article_data, mlp
from losslens.integrations.keras import LosslensCallback
(x, y), (xv, yv) = article_data(0, n=300), article_data(1, n=100)
cb = LosslensCallback(monitor="val_los", save_path=None, verbose=0)
mlp().fit(x, y, validation_data=(xv, yv), epochs=2, batch_size=32, verbose=0, callbacks=[cb])  # WARNED HERE
""",
    "lightning": """
import lightning as L
from lightning_models import LinearRegressor, linear_loaders
from losslens.integrations.lightning import LosslensCallback
cb = LosslensCallback(monitor="val_los", save_path=None, verbose=0)
t = L.Trainer(max_epochs=2, callbacks=[cb], logger=False, enable_progress_bar=False, enable_model_summary=False,
              enable_checkpointing=False, accelerator="cpu", devices=1)
t.fit(LinearRegressor(0.05), *linear_loaders(400, [(0, 320), (320, 400)]))  # WARNED HERE
""",
    "transformers": """
import sys
from hf_models import tiny_bert_trainer
from losslens.integrations.transformers import LosslensCallback
cb = LosslensCallback(monitor="eval_los", save_path=None, time_budget_ms=None, verbose=0)
trainer = tiny_bert_trainer(sys.argv[1], cb, hidden=32, layers=1, n_train=64, n_eval=32, epochs=1, eval_steps=2)
trainer.train()  # WARNED HERE
""",
}


@pytest.mark.parametrize("framework", [
    "torch", *(pytest.param(f, marks=pytest.mark.slow) for f in ("keras", "lightning", "transformers"))])
def test_the_monitor_warning_prints_as_one_line_in_a_users_script(tmp_path, framework):
    """A user's script with a misspelt monitor printed two lines for the one warning, Python's default: ``t.py:7:
    LosslensWarning: ...`` and the user's own source line under it. One line now, at that line, with the category a
    filter names, for the Keras, Lightning, torch Monitor and Transformers callbacks alike; another package's warning
    keeps Python's format (its source line), and the warning object is unchanged (the tests above catch it)."""
    pytest.importorskip({"torch": "torch", "keras": "keras", "lightning": "lightning",
                         "transformers": "transformers"}[framework])
    script = tmp_path / "train.py"
    script.write_text(_SCRIPTS[framework].lstrip() + 'import warnings\nwarnings.warn("theirs")  # THEIR LINE\n')
    line = next(i for i, text in enumerate(script.read_text().splitlines(), 1) if "# WARNED HERE" in text)
    # (the losslens this test imported: the checkout's src, or another tree's put first on PYTHONPATH)
    src = Path(losslens.__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(REPO), str(TESTS)]),
           "PYTHONWARNINGS": "default", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "out")], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stderr.splitlines()
    ours = [ln for ln in lines if "LosslensWarning" in ln]
    assert len(ours) == 1 and ours[0].startswith(f"{script}:{line}: LosslensWarning: losslens ") \
        and "monitor='" in ours[0] and ours[0].endswith("?"), proc.stderr[-3000:]
    assert "# WARNED HERE" not in proc.stderr, proc.stderr[-3000:]
    # (another warning, the user's own here, printed as Python prints it: two lines)
    theirs = next(i for i, ln in enumerate(lines) if ln.endswith("UserWarning: theirs"))
    assert "# THEIR LINE" in lines[theirs + 1]
