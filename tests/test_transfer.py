"""Transfer learning and fine-tuning in two fits, the keras.io guide's recipe, on real Keras 3 logs: a frozen base
with a new head, then the base unfrozen at a much lower lr (tests/fixtures/ecosystem/keras_transfer; its make.py
says what was run and measured)."""

import logging
import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
pytest.importorskip("torch")

import losslens  # noqa: E402
from losslens.diagnosis import diagnose_run  # noqa: E402
from losslens.integrations.keras import LosslensCallback  # noqa: E402

pytestmark = [pytest.mark.framework, pytest.mark.usefixtures("one_torch_thread")]

if keras.backend.backend() != "torch":  # pragma: no cover - another backend was chosen first
    pytest.skip("these tests run Keras on the torch backend", allow_module_level=True)

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "keras_transfer"
PHASE1 = 40  # epochs of the frozen phase


def _log(name: str) -> dict:
    table = np.genfromtxt(HERE / name, delimiter=",", names=True)
    return {k: table[k] for k in table.dtype.names}


def _end(values) -> float:
    return float(np.median(values[-3:]))


def test_fine_tuning_at_a_thousandth_of_the_heads_lr_reads_still_improving_not_frozen_weights():
    # The callback's file holds the lr CSVLogger does not: 3e-2 for the head, 1e-5 (1/3000) once unfrozen. Read as an
    # lr annealed to its floor: converged, "steps that small no longer move the weights" (with the forecast, the
    # still_improving it implies came back empty and diagnose raised AttributeError).
    [run] = losslens.read(HERE / "transfer_callback.json")
    lr = run.get("lr")
    assert lr[0] / lr[-1] > 1e3 and np.all(lr[PHASE1:] == lr[-1])
    for d in (losslens.diagnose(HERE / "transfer_callback.json"), diagnose_run(run, forecast=False)):
        assert d.verdict == "still_improving"
        assert not any("no longer move the weights" in e for c in d.causes for e in c.evidence)
    # What it says holds: fine-tuned twice as long, validation went on down.
    assert _end(_log("transfer_e60.log")["val_loss"]) < 0.9 * _end(_log("transfer.log")["val_loss"])


def test_a_second_fit_without_initial_epoch_is_read_as_one_run_and_says_so(caplog):
    with caplog.at_level(logging.WARNING, logger="losslens"):
        [run] = losslens.read(HERE / "transfer_restart.log")
    assert np.array_equal(run.axis, np.arange(70))
    assert "the epoch count started again at 0 after epoch 39" in caplog.text
    assert "that fit's epochs as 40-69" in caplog.text


def _replay(cb, model, rows, lr, epochs, first):
    """What Keras' fit calls on the callback, with the logged rows of one fit (the model recompiled as phase 2 is)."""
    model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy")
    model.stop_training = False
    cb.set_model(model)
    cb.set_params({"epochs": epochs, "steps": 7, "verbose": 0})
    cb.on_train_begin()
    for i, row in enumerate(rows):
        cb.on_epoch_end(first + i, dict(row))
        if model.stop_training:
            break
    cb.on_train_end()


def _rows(name):
    log = _log(name)
    keys = [k for k in log if k != "epoch"]
    return [{k: float(log[k][i]) for k in keys} for i in range(len(log["epoch"]))]


@pytest.mark.filterwarnings("ignore:.*could not find the other callbacks")
@pytest.mark.parametrize("initial_epoch", [True, False])
def test_one_callback_over_both_fits_keeps_one_count_and_does_not_stop_fine_tuning_at_its_start(initial_epoch):
    # The same LosslensCallback in both fits: phase 2 was stopped as converged after its first epoch (the
    # planned end was still phase 1's), and without initial_epoch its epochs 0-29 overwrote phase 1's.
    rows = _rows("transfer.log")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(5, activation="softmax")])
    cb = LosslensCallback(stop_on=("converged",), verbose=0, grad_every=None, time_budget_ms=None)
    _replay(cb, model, rows[:PHASE1], 3e-2, PHASE1, 0)
    first = PHASE1 if initial_epoch else 0
    _replay(cb, model, rows[PHASE1:], 1e-5, first + len(rows) - PHASE1, first)
    run = cb.run()
    assert np.array_equal(run.axis, np.arange(len(run.axis)))
    assert run.get("val_loss")[:PHASE1] == pytest.approx([r["val_loss"] for r in rows[:PHASE1]])
    # Phase 2 fell to its last epoch (19% in 30, 18% more in the next 30): no stop in it.
    assert len(run.axis) == len(rows)
    assert all(a["epoch"] < PHASE1 for a in cb.actions if a["action"] == "stop")


def test_a_second_real_fit_of_the_same_model_continues_the_callbacks_count():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    cb = LosslensCallback(verbose=0, grad_every=None, time_budget_ms=None)
    first = model.fit(x, y, validation_split=0.25, epochs=3, verbose=0, callbacks=[cb])
    second = model.fit(x, y, validation_split=0.25, epochs=3, verbose=0, callbacks=[cb])  # no initial_epoch
    run = cb.run()
    assert np.array_equal(run.axis, np.arange(6))
    assert run.get("val_loss") == pytest.approx(first.history["val_loss"] + second.history["val_loss"])


def test_a_history_of_a_fit_with_initial_epoch_keeps_its_epochs():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 2)).astype("float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(x, x[:, :1], initial_epoch=3, epochs=6, verbose=0)
    assert history.epoch == [3, 4, 5]
    assert np.array_equal(losslens.Run.from_history(history).axis, [3, 4, 5])


def test_the_whole_base_at_a_high_lr_on_a_tiny_set_reads_lr_too_high_as_lr_over_10_confirms():
    # 40 training images, the base unfrozen at Adam(1e-3): the training loss blows up from 0.28 to 2.7 and comes back.
    d = losslens.diagnose(HERE / "tiny_lr1e-3.log")
    assert d.verdict == "lr_too_high"
    assert "lower the learning rate" in d.cause.actions[0]
    assert _end(_log("tiny_lr1e-4.log")["val_loss"]) < 0.85 * _end(_log("tiny_lr1e-3.log")["val_loss"])


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_one_lightning_callback_over_two_trainers_keeps_one_count(tmp_path):
    # Fine-tuning with a second Trainer (the first fit the head, the second the unfrozen model): its epochs count
    # from 0 again, and each overwrote the first fit's.
    pl = pytest.importorskip("lightning.pytorch")
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from losslens.integrations.lightning import LosslensCallback as LightningCallback

    class Net(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Linear(2, 2)

        def training_step(self, batch, _):
            loss = torch.nn.functional.cross_entropy(self.net(batch[0]), batch[1])
            self.log("train_loss", loss, on_epoch=True, on_step=False)
            return loss

        def validation_step(self, batch, _):
            self.log("val_loss", torch.nn.functional.cross_entropy(self.net(batch[0]), batch[1]))

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), 1e-2)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype("float32")
    data = TensorDataset(torch.tensor(x), torch.tensor((x[:, 0] > 0).astype("int64")))
    pl.seed_everything(0)
    model, cb, seen = Net(), LightningCallback(verbose=0, time_budget_ms=None), []
    for _ in range(2):
        trainer = pl.Trainer(max_epochs=3, callbacks=[cb], logger=False, enable_checkpointing=False,
                             default_root_dir=tmp_path, enable_progress_bar=False, enable_model_summary=False,
                             accelerator="cpu")
        trainer.fit(model, DataLoader(data, batch_size=16, shuffle=True), DataLoader(data, batch_size=16))
        seen.append(float(trainer.callback_metrics["val_loss"]))
    run = cb.run()
    assert np.array_equal(run.axis, np.arange(6))
    assert run.get("val_loss")[[2, 5]] == pytest.approx(seen)


@pytest.mark.slow
@pytest.mark.framework
def test_a_converged_head_on_a_frozen_base_is_told_to_unfreeze_it(tmp_path, monkeypatch):
    """Phase 1 of make.py live (the head on the frozen CNN, 40 epochs): read converged, "change the data or the model";
    fine-tuning the base at 1e-5 lowered val_loss 19% (transfer.log), the head trained on instead 13% (frozen70.log).
    Now still_improving (22% lower along the line since X = 16, t = -8.8, where the last quarter's t = -1.4 read flat;
    _still_falling_since_x): keep training, and the unfreezing advice stays beside it.
    The callback counts the frozen weights and the advice names unfreezing; once the base is unfrozen, it does not."""
    import importlib.util

    monkeypatch.chdir(tmp_path)
    spec = importlib.util.spec_from_file_location("keras_transfer_make", HERE / "make.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    make.pretrain()
    cb = LosslensCallback(verbose=0, grad_every=None, time_budget_ms=None, save_path=None)
    make.transfer("phase1.log", phase2=False, callback=cb)
    fz = cb.watcher.meta["frozen"]
    assert fz["share"] > 0.9 and fz["total"] - fz["frozen"] == 32 * 5 + 5   # only the Dense(5) head trains
    d = cb.watcher.diagnosis
    # (It allowed converged too, the very reading the docstring says was fixed.)
    assert d.verdict == "still_improving", d.verdict
    assert d.cause.actions[0].startswith("keep training")
    assert any(a.startswith("unfreeze the frozen weights") for a in d.cause.actions)
    assert any("of the weights are frozen" in e for e in d.cause.evidence)
    # the same diagnosis without the count (the CSV log) says nothing of it
    logged = losslens.diagnose(str(tmp_path / "phase1.log"))
    assert not any(a.startswith("unfreeze") for c in logged.causes for a in c.actions)
    # unfrozen (a short phase 2): the count is gone, and with it the advice
    cb2 = LosslensCallback(verbose=0, grad_every=None, time_budget_ms=None, save_path=None)
    make.transfer("both.log", e1=5, e2=3, callback=cb2)
    assert "frozen" not in cb2.watcher.meta
    assert not any(a.startswith("unfreeze") for a in losslens.diagnose(cb2.run()).cause.actions)


def test_the_torch_monitor_counts_frozen_parameters():
    """requires_grad=False parameters (a frozen first layer of a digits MLP, 520 of 610) are what meta["frozen"] counts."""
    import torch
    from sklearn.datasets import load_digits

    from losslens.integrations.torch import Monitor

    X, y = load_digits(return_X_y=True)
    X, y = torch.tensor(X / 16, dtype=torch.float32), torch.tensor(y)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 8), torch.nn.ReLU(), torch.nn.Linear(8, 10))
    net[0].requires_grad_(False)
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], 1e-2)
    mon = Monitor(model=net, optimizer=opt, verbose=0, save_path=None, time_budget_ms=None, grad_every=None)
    for _ in range(3):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(X), y)
        loss.backward()
        opt.step()
        mon.epoch_end(train_loss=loss.item())
    assert mon.watcher.meta["frozen"] == {"share": 520 / 610, "frozen": 520, "total": 610}
    net[0].requires_grad_(True)
    mon.epoch_end(train_loss=loss.item())
    assert "frozen" not in mon.watcher.meta


def test_a_fit_resumed_inside_the_run_by_the_same_callback_never_reads_the_epochs_it_trains_again():
    """``fit(initial_epoch=4)`` after a fit of 8 epochs, the same callback: epochs 4-7 are trained again. Their earlier
    rows were kept until each was overwritten, so at epoch 4 the diagnosis read a run reaching epoch 7, the earlier
    fit's future (9 rows, one of them repeated)."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from keras_models import article_data, mlp

    x, y = article_data(0, n=400)
    model, cb = mlp(), LosslensCallback(time_budget_ms=None, verbose=0)
    model.fit(x, y, validation_split=0.2, epochs=8, callbacks=[cb], verbose=0)
    seen = []
    spy = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(list(cb.watcher.axis)))
    model.fit(x, y, validation_split=0.2, epochs=8, initial_epoch=4, callbacks=[cb, spy], verbose=0)
    assert seen[0] == [0, 1, 2, 3, 4]
    assert cb.watcher.axis == list(range(8)) and cb.run().axis.tolist() == list(range(8))
