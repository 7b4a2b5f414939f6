"""One callback over several live runs, and what a live run's report says of its framework: real tiny Keras and
Lightning fits (a walk's sweeps that reused one callback for a new model each time read as one run)."""

import json
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

pytestmark = [pytest.mark.framework, pytest.mark.usefixtures("one_torch_thread")]


def _digits():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x / 16.0).astype("float32"), y


@pytest.mark.slow  # two 12-epoch fits diagnosed at each epoch: ~50 s on 2 loaded cores
def test_keras_a_fit_of_another_model_with_the_same_callback_is_a_new_run(tmp_path):
    """A sweep (a width-32 then a width-128 MLP, Adam 1e-3, 12 epochs each) passing one callback: the second model's
    epochs were recorded as epochs 12-23 of the first's run, saved as one 24-epoch file, and read "learning rate too
    high" at the jump to the new model's first loss, while each model fell steadily."""
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":  # pragma: no cover
        pytest.skip("runs Keras on the torch backend")
    from losslens.integrations.keras import LosslensCallback

    x, y = _digits()
    keras.utils.set_random_seed(0)
    cb = LosslensCallback(save_path=tmp_path / "sweep.json", verbose=0)
    lengths = []
    for width in (32, 128):
        model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(width, activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
        model.fit(x[:800], y[:800], validation_data=(x[1400:], y[1400:]), epochs=12, batch_size=32, verbose=0,
                  callbacks=[cb])
        lengths.append(len(cb.run()))
    out = "\n".join(cb.messages)
    assert lengths == [12, 12], lengths
    assert list(cb.run().axis[[0, -1]]) == [0, 11]
    assert "further fit of the same model" not in out
    assert "fit of another model: a new run (run 1" in out
    first, second = json.loads((tmp_path / "sweep.json").read_text()), json.loads((tmp_path / "sweep-run1.json").read_text())
    assert first["epoch"] == list(range(12)) and second["epoch"] == list(range(12))
    assert cb.diagnosis.verdict != "lr_too_high" and all(r["verdict"] != "lr_too_high" for r in cb.reports)


@pytest.mark.slow
def test_lightning_a_fit_of_another_module_with_the_same_callback_is_a_new_run(tmp_path):
    """The Lightning sweep (a new Trainer and a new module at lr 0.01, then 0.05): one run of 20 epochs in one
    losslens.json before; now two files of 10."""
    L = pytest.importorskip("lightning.pytorch")
    from lightning_models import LinearRegressor, linear_loaders
    from losslens.integrations.lightning import LosslensCallback

    train, val = linear_loaders(600, [(0, 400), (400, 600)])
    cb = LosslensCallback(verbose=0)
    lengths = []
    for lr in (0.01, 0.05):
        trainer = L.Trainer(max_epochs=10, logger=False, callbacks=[cb], enable_progress_bar=False,
                            enable_model_summary=False, enable_checkpointing=False, accelerator="cpu", devices=1,
                            default_root_dir=tmp_path)
        trainer.fit(LinearRegressor(lr), train, val)
        lengths.append(len(cb.run()))
    assert lengths == [10, 10], lengths
    files = sorted(p.name for p in tmp_path.glob("*.json"))
    assert files == ["losslens-run1.json", "losslens.json"], files
    for name in files:
        assert json.loads((tmp_path / name).read_text())["epoch"] == list(range(10))
    assert any("fit of another module: a new run (run 1" in m for m in cb.messages), cb.messages


def test_lightning_two_validation_loaders_are_named_as_logged_once(tmp_path, capsys):
    """Two validation dataloaders: the live report said "val_loss/dataloader_idx_0/dataloader_idx_0/dataloader_idx_0"
    and the metrics.csv's read "val_loss/dataloader_idx_0/dataloader_idx_0" (each respelling appended the suffix
    again) and "val_loss/dataloader_idx_0/dataloader_idx_1" for the second loader."""
    L = pytest.importorskip("lightning.pytorch")
    import losslens
    from lightning_models import LinearRegressor, linear_loaders
    from losslens.integrations.lightning import LosslensCallback
    from losslens.report.text import render_text

    train, val0, val1 = linear_loaders(600, [(0, 300), (300, 450), (450, 600)])
    cb = LosslensCallback(verbose=1, save_path=None)
    trainer = L.Trainer(max_epochs=12, logger=L.loggers.CSVLogger(tmp_path), callbacks=[cb],
                        enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False,
                        accelerator="cpu", devices=1)
    trainer.fit(LinearRegressor(0.01), train, [val0, val1])
    live = capsys.readouterr().out
    assert "val_loss/dataloader_idx_0" in live
    read = render_text(losslens.diagnose(next(tmp_path.rglob("metrics.csv"))))
    assert "val_loss/dataloader_idx_1" in read
    for text in (live, read):
        assert "dataloader_idx_0/" not in text, text


def test_lightning_without_validation_is_advised_a_val_dataloader_not_keras_validation_split(tmp_path):
    """No validation in a Lightning run: the advice to log one named Keras' validation_split."""
    L = pytest.importorskip("lightning.pytorch")
    from lightning_models import LinearRegressor, linear_loaders
    from losslens.integrations.lightning import LosslensCallback

    (train,) = linear_loaders(600, [(0, 400)])
    cb = LosslensCallback(verbose=0, save_path=None)
    trainer = L.Trainer(max_epochs=12, logger=False, callbacks=[cb], limit_val_batches=0, enable_progress_bar=False,
                        enable_model_summary=False, enable_checkpointing=False, accelerator="cpu", devices=1,
                        default_root_dir=tmp_path)
    trainer.fit(LinearRegressor(0.002), train)
    actions = [a for c in cb.diagnosis.causes for a in c.actions]
    advice = [a for a in actions if "log a validation loss" in a]
    assert advice, (cb.diagnosis.verdict, actions)
    assert all("validation_split" not in a and "val_dataloader" in a for a in advice), advice


def test_a_trainer_state_without_eval_is_advised_an_eval_dataset_not_keras_validation_split():
    """A Trainer's trainer_state.json without evaluation (tests/fixtures/ecosystem/hf_no_eval_short, a tiny BERT):
    the advice named Keras' validation_split."""
    from pathlib import Path

    import losslens

    d = losslens.diagnose(Path(__file__).parent / "fixtures" / "ecosystem" / "hf_no_eval_short" / "e8_trainer_state.json")
    advice = [a for c in d.causes for a in c.actions if "log a validation loss" in a]
    assert advice and all("validation_split" not in a and "eval_dataset" in a for a in advice), advice


def test_keras_without_validation_keeps_validation_split_in_the_advice():
    """The Keras run is still told of validation_split: the knob its fit has."""
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":  # pragma: no cover
        pytest.skip("runs Keras on the torch backend")
    from losslens.integrations.keras import LosslensCallback

    x, y = _digits()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(3e-4), loss="sparse_categorical_crossentropy")
    cb = LosslensCallback(verbose=0)
    model.fit(x[:800], y[:800], epochs=10, batch_size=32, verbose=0, callbacks=[cb])
    advice = [a for c in cb.diagnosis.causes for a in c.actions if "log a validation loss" in a]
    assert advice and all("validation_split=0.1" in a for a in advice), (cb.diagnosis.verdict, advice)


def _torch_sweep(tmp_path, widths=(16, 64), epochs=10, with_optimizer_at_init=False):
    """One Monitor over a sweep of digits MLPs (SGD 0.05, batches of 64), each model handed to ``step(model=)``."""
    import torch
    from losslens.integrations.torch import Monitor

    x, y = _digits()
    xt, yt = torch.tensor(x), torch.tensor(y)
    torch.manual_seed(0)
    monitor = None
    lengths = []
    for width in widths:
        model = torch.nn.Sequential(torch.nn.Linear(64, width), torch.nn.ReLU(), torch.nn.Linear(width, 10))
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        if monitor is None:
            monitor = Monitor(model if with_optimizer_at_init else None, opt if with_optimizer_at_init else None,
                              grad_every=None, save_path=tmp_path / "sweep.json", verbose=0)
        for _ in range(epochs):
            for i in range(0, 800, 64):
                loss = torch.nn.functional.cross_entropy(model(xt[i:i + 64]), yt[i:i + 64])
                opt.zero_grad()
                loss.backward()
                opt.step()
                monitor.step(loss, model=model, batch_size=len(xt[i:i + 64]))
            with torch.no_grad():
                val = float(torch.nn.functional.cross_entropy(model(xt[1400:]), yt[1400:]))
            monitor.epoch_end(val_loss=val)
        lengths.append(len(monitor.run()))
    monitor.finish()
    return monitor, lengths


def test_torch_monitor_given_another_model_starts_a_new_run(tmp_path):
    """A sweep passing one Monitor each model through ``step(model=)`` (a width-16 then a width-64 MLP, 10 epochs
    each): the second model's epochs were recorded as epochs 10-19 of the first's run, one 20-epoch file. Now two
    runs of 10, ``sweep.json`` and ``sweep-run1.json``, the second said once."""
    monitor, lengths = _torch_sweep(tmp_path)
    assert lengths == [10, 10], lengths
    first = json.loads((tmp_path / "sweep.json").read_text())
    second = json.loads((tmp_path / "sweep-run1.json").read_text())
    assert first["epoch"] == list(range(10)) and second["epoch"] == list(range(10))
    # (the second run's first loss is the fresh model's, not a jump up from the first model's last)
    assert second["val_loss"][0] > first["val_loss"][-1]
    out = "\n".join(monitor.messages)
    assert out.count("given another model: a new run (run 1") == 1, out


def test_torch_monitor_made_with_a_model_and_optimizer_drops_the_old_optimizer(tmp_path):
    """``Monitor(model, optimizer)`` then another model at ``step(model=)``: a new run too, and the first model's
    optimizer (whose lr is not the new model's) is no longer read, said once."""
    monitor, lengths = _torch_sweep(tmp_path, with_optimizer_at_init=True)
    assert lengths == [10, 10], lengths
    assert monitor.optimizer is None
    assert any("its lr is no longer read" in m for m in monitor.messages), monitor.messages
    assert "lr" in json.loads((tmp_path / "sweep.json").read_text())


def _keras_twice(tmp_path, between: str, epochs: int = 8):
    """A digits MLP (64-32-10, SGD 0.1) fitted twice with one callback; ``between`` the fits: ``"set_weights"`` (the
    weights it started with put back), ``"initializers"`` (each layer's initializers run again), ``"recompile"`` (a
    fine-tune at SGD 0.01) or ``"nothing"``. Returns the callback."""
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":  # pragma: no cover
        pytest.skip("runs Keras on the torch backend")
    from losslens.integrations.keras import LosslensCallback

    x, y = _digits()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    initial = model.get_weights()
    cb = LosslensCallback(save_path=tmp_path / "run.json", verbose=0, grad_every=None, restore_best_weights=True)
    for fit in range(2):
        if fit and between == "set_weights":
            model.set_weights(initial)
        elif fit and between == "initializers":
            for layer in model.layers:
                layer.kernel.assign(layer.kernel_initializer(layer.kernel.shape))
                layer.bias.assign(layer.bias_initializer(layer.bias.shape))
        elif fit and between == "recompile":
            model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
        model.fit(x[:800], y[:800], validation_data=(x[1400:], y[1400:]), epochs=epochs, batch_size=64, verbose=0,
                  callbacks=[cb])
    return cb


@pytest.mark.slow  # two 8-epoch fits diagnosed at each epoch: ~10 s on a loaded core
@pytest.mark.parametrize("between", ["set_weights", "initializers"])
def test_keras_weights_reinitialised_in_place_start_a_new_run(tmp_path, between):
    """The same model object, its weights put back to their start or drawn again between two fits (a sweep over
    seeds): the second fit was glued on as epochs 8-15 of one run (its first loss a jump back to the start, read
    "lr too high" in the torch twin below). Now two files of 8 epochs, the new run said once."""
    cb = _keras_twice(tmp_path, between)
    first = json.loads((tmp_path / "run.json").read_text())
    second = json.loads((tmp_path / "run-run1.json").read_text())
    assert first["epoch"] == list(range(8)) and second["epoch"] == list(range(8))
    assert second["val_loss"][0] > first["val_loss"][-1]
    out = "\n".join(cb.messages)
    assert out.count("with its weights re-initialised: a new run (run 1") == 1, out


@pytest.mark.slow
@pytest.mark.parametrize("between", ["recompile", "nothing"])
def test_keras_a_second_fit_that_trains_on_stays_one_run(tmp_path, between):
    """A second fit of the same weights (recompiled at a lower lr, or not at all), the first fit having handed back
    its best epoch's weights (restore_best_weights): one run of 16 epochs, as before."""
    cb = _keras_twice(tmp_path, between)
    assert len(cb.run()) == 16
    assert not (tmp_path / "run-run1.json").exists()
    assert not any("new run" in m for m in cb.messages), cb.messages


def _torch_twice(tmp_path, between: str, finish: bool = True, epochs: int = 8):
    """A digits MLP (64-32-10, SGD 0.1) trained twice in one loop watched by one Monitor (``finish()`` after each
    loop, or not); ``between`` the loops: ``"reset_parameters"``, ``"initial_state"`` (the first state_dict loaded
    back) or ``"nothing"``. Returns the Monitor."""
    torch = pytest.importorskip("torch")
    from losslens.integrations.torch import Monitor

    x, y = _digits()
    xt, yt = torch.tensor(x), torch.tensor(y)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    monitor = Monitor(model, opt, grad_every=None, save_path=tmp_path / "run.json", verbose=0)
    for loop in range(2):
        if loop and between == "reset_parameters":
            for m in model.modules():
                if hasattr(m, "reset_parameters"):
                    m.reset_parameters()
        elif loop and between == "initial_state":
            model.load_state_dict(initial)
        for _ in range(epochs):
            for i in range(0, 800, 64):
                loss = torch.nn.functional.cross_entropy(model(xt[i:i + 64]), yt[i:i + 64])
                opt.zero_grad()
                loss.backward()
                opt.step()
                monitor.step(loss, batch_size=len(xt[i:i + 64]))
            with torch.no_grad():
                val = float(torch.nn.functional.cross_entropy(model(xt[1400:]), yt[1400:]))
            monitor.epoch_end(val_loss=val)
        if finish:
            monitor.finish()
    monitor.finish()
    return monitor


@pytest.mark.parametrize("between,finish", [("reset_parameters", True), ("reset_parameters", False),
                                            ("initial_state", True)])
def test_torch_monitor_weights_reinitialised_in_place_start_a_new_run(tmp_path, between, finish):
    """``reset_parameters()`` on each module, or the first state_dict loaded back, between two loops of one Monitor
    (finish() called between them or not): one run of 16 epochs before, the second loop's start a jump back up read
    "lr too high" (12-epoch loops: lr_too_high, now still_improving). Now two runs of 8, the new one said once."""
    monitor = _torch_twice(tmp_path, between, finish)
    first = json.loads((tmp_path / "run.json").read_text())
    second = json.loads((tmp_path / "run-run1.json").read_text())
    assert first["epoch"] == list(range(8)) and second["epoch"] == list(range(8))
    assert second["val_loss"][0] > first["val_loss"][-1]
    out = "\n".join(monitor.messages)
    assert out.count("with its weights re-initialised: a new run (run 1") == 1, out


@pytest.mark.parametrize("finish", [True, False])
def test_torch_monitor_a_loop_that_trains_on_stays_one_run(tmp_path, finish):
    """The same loop run twice on the same weights: one run of 16 epochs, with or without finish() between."""
    monitor = _torch_twice(tmp_path, "nothing", finish)
    assert len(monitor.run()) == 16
    assert not (tmp_path / "run-run1.json").exists()
    assert not any("new run" in m for m in monitor.messages), monitor.messages


@pytest.mark.slow
@pytest.mark.parametrize("reset", [True, False])
def test_lightning_a_module_reinitialised_in_place_is_a_new_run(tmp_path, reset):
    """The same LightningModule fitted twice by new Trainers, ``reset_parameters()`` between the fits or not: one run
    of 20 epochs either way before; now two files of 10 where it was reset, one run of 20 where it trained on."""
    L = pytest.importorskip("lightning.pytorch")
    from lightning_models import LinearRegressor, linear_loaders
    from losslens.integrations.lightning import LosslensCallback

    train, val = linear_loaders(600, [(0, 400), (400, 600)])
    cb = LosslensCallback(verbose=0, grad_every=None)
    module = LinearRegressor(0.05)
    lengths = []
    for fit in range(2):
        if fit and reset:
            module.layer.reset_parameters()
        trainer = L.Trainer(max_epochs=10, logger=False, callbacks=[cb], enable_progress_bar=False,
                            enable_model_summary=False, enable_checkpointing=False, accelerator="cpu", devices=1,
                            default_root_dir=tmp_path)
        trainer.fit(module, train, val)
        lengths.append(len(cb.run()))
    files = sorted(p.name for p in tmp_path.glob("*.json"))
    if reset:
        assert lengths == [10, 10] and files == ["losslens-run1.json", "losslens.json"], (lengths, files)
        assert any("same module with its weights re-initialised: a new run (run 1" in m for m in cb.messages)
    else:
        assert lengths == [10, 20] and files == ["losslens.json"], (lengths, files)
        assert not any("new run" in m for m in cb.messages), cb.messages


def test_torch_monitor_keeps_each_epochs_weight_print_at_the_weights_own_precision(tmp_path):
    """Every epoch's print is kept (a further fit is weighed against the nearest), each a float64 copy of float32
    entries: 8 bytes an entry, 8 KB an epoch at 64 tensors, 8 MB over 1,000 epochs. Held as float32 they are the same
    values at half the bytes, and the loop that trains on still reads as one run."""
    monitor = _torch_twice(tmp_path, "nothing", True)
    prints = monitor._prints.prints
    assert len(prints) == 16 and len(monitor.run()) == 16
    entries = prints[0].size
    assert all(p.dtype == np.float32 and p.nbytes == 4 * entries for p in prints)
