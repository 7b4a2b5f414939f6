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
