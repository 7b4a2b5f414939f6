"""The Lightning callback on a real tiny Trainer run (and the TensorBoard log Lightning writes)."""

import json
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
L = pytest.importorskip("lightning.pytorch")

import losslens  # noqa: E402
from losslens.integrations.lightning import LosslensCallback  # noqa: E402
from lightning_models import DigitsMLP  # noqa: E402

pytestmark = [pytest.mark.framework, pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]




class Regressor(L.LightningModule):
    def __init__(self, lr=3e-3, junk=False):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
        self.lr = lr
        self.junk = junk

    def training_step(self, batch, _):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch, _):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("val_loss", float("nan") if self.junk else loss, on_epoch=True)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.lr)


def loaders(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(1200, 2, generator=g)
    y = (2 * x[:, 0] + 3 * x[:, 1]).unsqueeze(1) + 0.1 * torch.randn(1200, 1, generator=g)
    ds = torch.utils.data.TensorDataset
    train = torch.utils.data.DataLoader(ds(x[:1000], y[:1000]), batch_size=32, shuffle=True, generator=g)
    val = torch.utils.data.DataLoader(ds(x[1000:], y[1000:]), batch_size=200)
    return train, val


def trainer(tmp_path, cb, epochs):
    return L.Trainer(max_epochs=epochs, callbacks=[cb], default_root_dir=tmp_path, enable_progress_bar=False,
                     enable_model_summary=False, enable_checkpointing=False, log_every_n_steps=8,
                     accelerator="cpu", devices=1)


def test_lightning_stops_when_converged_saves_and_records_gradients(tmp_path, capsys):
    torch.manual_seed(0)
    cb = LosslensCallback(stop_on=("converged",), restore_best_weights=True)
    model = Regressor()
    t = trainer(tmp_path, cb, epochs=40)
    t.fit(model, *loaders())
    assert cb.stopped_epoch is not None and t.current_epoch < 40
    assert cb.reported.verdict == "converged"
    assert capsys.readouterr().out.count("losslens (lightning") == 1

    run = cb.run()
    assert run.axis[0] == 0 and run.has("val_loss") and run.has("train_loss") and run.has("lr")
    g = run.get("grad_norm")
    assert np.isfinite(g).all() and g[0] > 3 * g[-1]  # gradients shrank as the loss flattened
    assert np.isfinite(run.get("update_ratio")[1:]).all()
    # Each layer's norm beside it, by the module that owns the parameters (weight and bias together).
    layers = run.layer_grads()
    assert list(layers) == ["net.0", "net.2"] and np.isfinite(layers["net.0"]).all()
    assert "grad_norm/net.0" not in run.metrics

    # Saved by default beside Lightning's own logs, readable by losslens.
    saved = tmp_path / "lightning_logs" / "version_0" / "losslens.json"
    assert json.loads(saved.read_text())["meta"]["framework"] == "lightning"
    assert losslens.read(saved)[0].val_loss == pytest.approx(run.val_loss)
    assert losslens.read(saved)[0].layer_grads()["net.2"] == pytest.approx(layers["net.2"])

    # Lightning's TensorBoardLogger wrote an event log: the TensorBoard reader gets the same curve.
    from losslens.readers.tensorboard import read_tensorboard
    [tb] = read_tensorboard(tmp_path / "lightning_logs")
    assert tb.axis_name == "epoch" and tb.name == "version_0"
    assert tb.val_loss == pytest.approx(run.val_loss, rel=1e-5)
    assert tb.train_loss == pytest.approx(run.train_loss, rel=1e-5)


def test_lightning_broken_validation_metric_does_not_stop(tmp_path):
    torch.manual_seed(0)
    cb = LosslensCallback(stop_on=("diverged",), save_path=None, verbose=0, start_from_epoch=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = trainer(tmp_path, cb, epochs=4)
        t.fit(Regressor(junk=True), *loaders())
    assert t.current_epoch == 4 and cb.stopped_epoch is None
    assert len([w for w in caught if "losslens" in str(w.message)]) <= 1
    assert not (tmp_path / "lightning_logs" / "version_0" / "losslens.json").exists()


def test_lightning_validation_every_other_epoch_leaves_gaps_not_stale_values(tmp_path):
    torch.manual_seed(0)
    cb = LosslensCallback(save_path=None, verbose=0)
    t = L.Trainer(max_epochs=4, callbacks=[cb], default_root_dir=tmp_path, enable_progress_bar=False,
                  enable_model_summary=False, enable_checkpointing=False, logger=False,
                  check_val_every_n_epoch=2, accelerator="cpu", devices=1)
    t.fit(Regressor(), *loaders())
    val = cb.run().series["val_loss"]
    assert np.isnan(val[[0, 2]]).all() and np.isfinite(val[[1, 3]]).all()


def test_lightning_records_the_training_set_size(tmp_path):
    # (diagnosis._few_examples reads it: a no_signal on few examples is as likely too few as labels without signal)
    torch.manual_seed(0)
    cb = LosslensCallback(save_path=None, verbose=0)
    t = L.Trainer(max_epochs=1, callbacks=[cb], default_root_dir=tmp_path, enable_progress_bar=False,
                  enable_model_summary=False, enable_checkpointing=False, logger=False, accelerator="cpu", devices=1)
    t.fit(Regressor(), *loaders())
    assert cb.run().meta["train_examples"] == 1000
    assert cb.run().meta["train_examples_from"] == "len(train_dataloader.dataset)"


def test_lightning_stop_gain_reads_max_epochs_and_stops(tmp_path, capsys):
    torch.manual_seed(0)
    cb = LosslensCallback(stop_gain=0.01, restore_best_weights=True)
    model = Regressor()
    t = trainer(tmp_path, cb, 150)
    train, val = loaders()
    t.fit(model, train, val)
    assert cb.watcher.horizon == 149                      # max_epochs=150, epochs counted from 0
    assert cb.stopped_epoch is not None and cb.stopped_epoch < 100 and t.current_epoch < 150
    assert cb.actions[-1]["cause"] == "forecast"
    assert "less than stop_gain=0.01" in capsys.readouterr().out
    best = float(np.nanmin(cb.run().val_loss))
    assert float(t.validate(model, val, verbose=False)[0]["val_loss"]) == pytest.approx(best, rel=1e-4)


def test_lightning_max_steps_without_max_epochs_is_the_planned_end(tmp_path):
    """Trainer(max_steps=197) alone (Lightning sets max_epochs to -1): the planned last epoch is the one that
    reaches step 197, 16 optimizer steps an epoch (32 batches, accumulated in twos), epoch 12; the old callback
    planned none (stop_gain and the converged hold forecast to twice the run so far)."""
    torch.manual_seed(0)
    cb = LosslensCallback(save_path=None, verbose=0, time_budget_ms=None)
    t = L.Trainer(max_steps=197, accumulate_grad_batches=2, callbacks=[cb], default_root_dir=tmp_path,
                  enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False,
                  logger=False, accelerator="cpu", devices=1)
    t.fit(Regressor(), *loaders())
    assert t.global_step == 197 and cb.run().axis[-1] == 12
    assert cb.watcher.horizon == 12
    # With max_epochs too, whichever ends the run first.
    cb = LosslensCallback(save_path=None, verbose=0, time_budget_ms=None)
    t = L.Trainer(max_steps=197, max_epochs=5, accumulate_grad_batches=2, callbacks=[cb],
                  default_root_dir=tmp_path, enable_progress_bar=False, enable_model_summary=False,
                  enable_checkpointing=False, logger=False, accelerator="cpu", devices=1)
    t.fit(Regressor(), *loaders())
    assert cb.watcher.horizon == 4 == cb.run().axis[-1]


def test_two_validation_dataloaders_the_first_is_val_loss(tmp_path):
    """Lightning logs val_loss/dataloader_idx_0 and _1 with several validation loaders: the first
    is the run's validation loss (it was ignored, and the training loss diagnosed instead)."""
    torch.manual_seed(0)
    train, val = loaders()
    other = loaders(seed=1)[1]
    t = L.Trainer(max_epochs=8, default_root_dir=tmp_path, logger=L.loggers.CSVLogger(str(tmp_path)),
                  enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False,
                  accelerator="cpu", devices=1)
    class TwoVal(Regressor):
        def validation_step(self, batch, _, dataloader_idx=0):
            super().validation_step(batch, _)

    t.fit(TwoVal(), train, [val, other])
    path = next(tmp_path.rglob("metrics.csv"))
    header = path.read_text().splitlines()[0]
    assert "val_loss/dataloader_idx_0" in header and "val_loss/dataloader_idx_1" in header
    [run] = losslens.read(path)
    assert run.has("val_loss") and run.has("val_loss_dataloader_idx_1") and len(run) == 8
    assert losslens.diagnose(path).metric == "val_loss"


def bouncing_loaders(n=600, seed=0):
    """8 features, a linear target plus a sine, noise sd 0.05; batch 16: SGD(0.15) stalls well above
    the noise floor until the lr is lowered."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n + 600, 8, generator=g)
    y = (x @ torch.randn(8, generator=g) + 0.5 * torch.sin(2 * x[:, 0]) + 0.05 * torch.randn(n + 600, generator=g))
    ds = torch.utils.data.TensorDataset
    train = torch.utils.data.DataLoader(ds(x[:n], y[:n, None]), batch_size=16, shuffle=True, generator=g)
    return train, torch.utils.data.DataLoader(ds(x[n:], y[n:, None]), batch_size=600)


class Scheduled(Regressor):
    """A 32-wide MLP with SGD(0.15) and an lr scheduler stepped per epoch."""

    def __init__(self, kind):
        super().__init__(lr=0.15)
        self.net = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
        self.kind = kind

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=self.lr)
        if self.kind == "StepLR":
            return {"optimizer": opt, "lr_scheduler": torch.optim.lr_scheduler.StepLR(opt, step_size=12, gamma=0.1)}
        if self.kind == "MultiStepLR":
            return {"optimizer": opt, "lr_scheduler": torch.optim.lr_scheduler.MultiStepLR(opt, [8, 14], 0.1)}
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=2, min_lr=1.5e-3)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": "val_loss"}}


@pytest.mark.parametrize("kind", ["StepLR", "ReduceLROnPlateau"])
def test_lightning_converged_waits_for_the_lr_scheduler(tmp_path, capsys, kind):
    """stop_on=("converged",) stopped at epoch 8 (val 0.092), 'converged' at lr 0.15, while the
    Trainer's scheduler still had to lower the lr; by epoch 24 validation reaches 0.044 (StepLR) and
    0.027 (ReduceLROnPlateau). It goes on now while the scheduler will change the lr: to the end for
    StepLR, until ReduceLROnPlateau is at its min_lr."""
    torch.manual_seed(0)
    cb = LosslensCallback(stop_on=("converged",), restore_best_weights=True, save_path=None,
                          time_budget_ms=None)  # (the report by the hold, not by timing)
    t = trainer(tmp_path, cb, epochs=24)
    t.fit(Scheduled(kind), *bouncing_loaders())
    run = cb.run()
    if kind == "StepLR":
        assert t.current_epoch == 24 and cb.stopped_epoch is None, cb.messages
    else:
        assert cb.stopped_epoch is None or run.lr[-1] <= 1.5e-3 * (1 + 1e-6), cb.messages
    held = capsys.readouterr().out.count(f"converged at the current lr, but the lr schedule ({kind}) still runs: "
                                         "not stopping")
    if kind == "StepLR":
        # At lr 0.15 validation bounces off its best in its first 12 epochs: converged there is only "possible" (too
        # few points to tell bouncing from settling) and never firm (firm_verdict), so nothing is reported, or held,
        # before the cut; the one report is the end's.
        assert [r["verdict"] for r in cb.reports if not r["final"]] == [] and held == 0, cb.reports
    else:
        assert cb.reports[0]["verdict"] == "converged" and held == 1
    assert np.nanmin(run.val_loss) < 0.05   # 0.092 where it stopped before


@pytest.mark.parametrize("options", [{"stop_on": ("converged",)}, {"stop_gain": 0.01}])
def test_lightning_stop_waits_for_a_multistep_schedule_and_no_longer(tmp_path, capsys, options):
    """MultiStepLR([8, 14]) takes the lr 0.15 -> 0.015 -> 0.0015, then never changes it again.
    stop_on=("converged",) was held to the end (30 of 30 epochs): 0.0015 is 1/100 of the peak, not
    the 1/1000 the hold waited for; it then stopped at epoch 14, the first trained at 0.0015 (val 0.095,
    0.093 at best over 30), and now at 23, once the points at 0.0015 no longer creep down (val 0.0933; at
    17, 0.0940, before the stretch after a user's cut was read on its own). stop_gain=0.01 was not held: it stopped at epoch 4 (val 0.144); it now
    goes past the last milestone (stopping at epoch 24, val 0.093)."""
    torch.manual_seed(0)
    cb = LosslensCallback(restore_best_weights=True, save_path=None, time_budget_ms=None, **options)  # (not timing)
    trainer(tmp_path, cb, epochs=30).fit(Scheduled("MultiStepLR"), *bouncing_loaders())
    assert cb.stopped_epoch is not None and 14 <= cb.stopped_epoch < 29, cb.messages
    assert cb.run().lr[-1] == pytest.approx(0.0015, rel=1e-6)
    assert np.nanmin(cb.run().val_loss) < 0.1
    # stop_gain's forecast is held by the schedule once; stop_on's converged is not firm while validation bounces
    # at lr 0.15 (a "possible" converged, firm_verdict), so there is nothing to hold before the milestones.
    held = capsys.readouterr().out.count("the lr schedule (MultiStepLR) still runs: not stopping")
    assert held == (0 if "stop_on" in options else 1)


def digits_loaders(n_train=500, flip=0.2, seed=0):
    """scikit-learn's 8x8 digits, ``flip`` of the labels replaced at random (an MLP overfits them)."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(len(y)) < flip, rng.integers(0, 10, len(y)), y)
    order = rng.permutation(len(y))
    x, y = torch.tensor(x / 16.0, dtype=torch.float32), torch.tensor(y)
    ds = torch.utils.data.TensorDataset
    train, val = order[:n_train], order[-500:]
    g = torch.Generator().manual_seed(seed)
    return (torch.utils.data.DataLoader(ds(x[train], y[train]), batch_size=32, shuffle=True, generator=g),
            torch.utils.data.DataLoader(ds(x[val], y[val]), batch_size=500))


class Digits(L.LightningModule):
    def __init__(self, lr=3e-3, hidden=256, on_epoch=True):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
        self.lr, self.on_epoch = lr, on_epoch
        self.step_losses, self.epoch_means = [], []

    def training_step(self, batch, _):
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self.net(x), y)
        if self.on_epoch:
            self.log("train_loss", loss, on_step=False, on_epoch=True)
        else:
            self.log("train_loss", loss)            # Lightning's default in training_step: per step only
        self.step_losses.append(loss.item())
        return loss

    def on_train_epoch_end(self):
        self.epoch_means.append(float(np.mean(self.step_losses)))
        self.step_losses = []

    def validation_step(self, batch, _):
        x, y = batch
        self.log("val_loss", torch.nn.functional.cross_entropy(self.net(x), y))

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.lr)


def test_lightning_sparse_validation_restores_the_best_validated_weights(tmp_path, capsys):
    """check_val_every_n_epoch=5: the best was tracked on the training loss before the first
    validation, and no validation loss beat it afterwards, so the weights of an epoch that was never
    validated came back with its training loss printed as 'val_loss'."""
    torch.manual_seed(0)
    cb = LosslensCallback(stop_on=("converged", "overfitting", "diverged"), restore_best_weights=True,
                          save_path=None)
    model = Digits()
    t = L.Trainer(max_epochs=60, callbacks=[cb], default_root_dir=tmp_path, logger=False,
                  enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False,
                  check_val_every_n_epoch=5, accelerator="cpu", devices=1)
    train, val = digits_loaders()
    t.fit(model, train, val)
    logged = cb.run().val_loss
    best_epoch, best = int(np.nanargmin(logged)), float(np.nanmin(logged))
    assert cb.stopped_epoch is not None and (best_epoch + 1) % 5 == 0
    assert float(t.validate(model, val, verbose=False)[0]["val_loss"]) == pytest.approx(best, rel=1e-4)
    assert f"restoring the weights of epoch {best_epoch} (val_loss {best:.4g})" in capsys.readouterr().out


def test_lightning_per_step_train_loss_warns_and_records_the_epoch_mean(tmp_path):
    """self.log("train_loss", loss) in training_step logs per step only: the callback took the last
    batch's loss as the epoch's (0.04-0.34 where the epoch means were 0.07-0.10, epochs 30-40 of a
    40-epoch run). It warns once and records the mean of the losses training_step returned."""
    def fit(on_epoch, epochs):
        torch.manual_seed(0)
        cb = LosslensCallback(save_path=None, verbose=0)
        model = Digits(lr=1e-3, hidden=64, on_epoch=on_epoch)
        train, val = digits_loaders(n_train=1184, flip=0.0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            trainer(tmp_path, cb, epochs=epochs).fit(model, train, val)
        assert cb.run().train_loss == pytest.approx(model.epoch_means, rel=1e-5)
        return [str(w.message) for w in caught if "losslens" in str(w.message)]

    ours = fit(on_epoch=False, epochs=8)
    assert len(ours) == 1 and "train_loss is logged per step only" in ours[0] and "on_epoch=True" in ours[0]
    # Logged with on_epoch=True (Lightning's own epoch mean): no warning, the same curve.
    assert not fit(on_epoch=True, epochs=3)


class SizedDigits(Digits):
    """Digits logging its training loss per step only, keeping each batch's loss and size."""

    def __init__(self, **kw):
        super().__init__(on_epoch=False, **kw)
        self.batches, self.epochs = [], []

    def training_step(self, batch, i):
        loss = super().training_step(batch, i)
        self.batches.append((loss.item(), len(batch[0])))
        return loss

    def on_train_epoch_end(self):
        self.epochs.append(self.batches)
        self.batches = []


def test_lightning_per_step_train_loss_mean_weighs_each_batch_by_its_size(tmp_path):
    """484 digits in batches of 32 leave a last batch of 4: the fallback epoch mean (train_loss logged per step only)
    weighed it as 1/16 of the epoch, not 4/484, as Lightning's own on_epoch mean and Keras weigh it. Now the loss
    over the epoch's examples."""
    torch.manual_seed(0)
    cb = LosslensCallback(save_path=None, verbose=0)
    model = SizedDigits(lr=1e-3, hidden=64)
    train, val = digits_loaders(n_train=484, flip=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer(tmp_path, cb, epochs=4).fit(model, train, val)
    weighted = [sum(v * n for v, n in e) / sum(n for _, n in e) for e in model.epochs]
    plain = [float(np.mean([v for v, _ in e])) for e in model.epochs]
    assert [n for _, n in model.epochs[0]][-1] == 4
    # (the premise: the last batch moves the unweighted mean beyond float noise)
    assert max(abs(w - p) / w for w, p in zip(weighted, plain)) > 1e-3, (weighted, plain)
    assert cb.run().train_loss == pytest.approx(weighted, rel=1e-5)


class WeightedDigits(Digits):
    """Digits whose batches carry the 10 class weights beside their examples (``(x, y, w)``: Lightning cannot infer a
    batch size from them), the loss logged per step only with ``batch_size=len(x)``, and once more as ``reference``
    with ``on_epoch=True`` and the same ``batch_size``: Lightning's own epoch mean of it, in metrics.csv."""

    def training_step(self, batch, _):
        x, y, w = batch
        loss = torch.nn.functional.cross_entropy(self.net(x), y, weight=w)
        self.log("train_loss", loss, batch_size=len(x))
        self.log("reference", loss, on_step=False, on_epoch=True, batch_size=len(x))
        return loss


def test_lightning_per_step_train_loss_mean_weighs_each_batch_by_the_batch_size_logged(tmp_path):
    """484 digits in batches of 32 (a last batch of 4), each batch carrying a tensor of 10 class weights: the batch's
    tensors disagree in length, so the fallback epoch mean of a loss logged per step only weighed every batch alike,
    the batch_size= given to self.log unread (epoch 3: 1.9161 against Lightning's 1.9252). Now read: the epoch means
    are Lightning's own on_epoch means of the same values, metrics.csv's ``reference``."""
    import csv

    torch.manual_seed(0)
    cb = LosslensCallback(verbose=0, grad_every=None)
    model = WeightedDigits(lr=1e-3, hidden=64, on_epoch=False)
    train, val = digits_loaders(n_train=484, flip=0.0)
    weights = torch.ones(10)
    train = torch.utils.data.DataLoader(train.dataset, batch_size=32,
                                        collate_fn=lambda items: (*torch.utils.data.default_collate(items), weights))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = L.Trainer(max_epochs=4, callbacks=[cb], logger=L.loggers.CSVLogger(tmp_path), enable_progress_bar=False,
                        enable_model_summary=False, enable_checkpointing=False, accelerator="cpu", devices=1)
        fit.fit(model, train, val)
    with open(f"{fit.log_dir}/metrics.csv") as fh:
        reference = [float(r["reference"]) for r in csv.DictReader(fh) if r.get("reference")]
    assert len(reference) == 4 and len(train.dataset) % 32 == 4
    assert cb.run().train_loss == pytest.approx(reference, rel=1e-5), (list(cb.run().train_loss), reference)
    assert "log" not in vars(model)  # (self.log is the module's own again after the fit)


def decayed_fit(tmp_path, weight_decay):
    from digits_task import digits_split

    xtr, ytr, xva, yva = (torch.tensor(a) for a in digits_split())
    ds = torch.utils.data.TensorDataset
    train = torch.utils.data.DataLoader(ds(xtr, ytr), batch_size=32, shuffle=True,
                                        generator=torch.Generator().manual_seed(0))
    val = torch.utils.data.DataLoader(ds(xva, yva), batch_size=1000)
    torch.manual_seed(0)
    cb = LosslensCallback(save_path=tmp_path / "run.json", verbose=0, classes=10)
    # The MLP of tests/fixtures/ecosystem/lightning_weight_decay/make.py, the decay given to SGD only (no
    # hparams.yaml: the callback must read it off the optimizer).
    L.Trainer(max_epochs=40, callbacks=[cb], default_root_dir=tmp_path, logger=False, enable_progress_bar=False,
              enable_model_summary=False, enable_checkpointing=False, accelerator="cpu",
              devices=1).fit(DigitsMLP((64,), torch.optim.SGD, lr=0.05, momentum=0.9, weight_decay=weight_decay),
                             train, val)
    return cb


def test_lightning_reads_the_optimizers_weight_decay_live(tmp_path):
    # SGD weight_decay=0.05 (only in configure_optimizers, no logger): val 0.794, train 0.703 level at 31%
    # of its start, read "converged" live. At 1e-5 it ends at 0.153 (the next test), as in the fixture's
    # make.py (0.157; a 512-wide model at 0.05: 0.782).
    cb = decayed_fit(tmp_path, 0.05)
    d = cb.diagnosis
    assert d.verdict == "underfitting" and d.cause.numbers["weight_decay"] == 0.05, d.verdict
    assert "weight_decay = 0.05 (SGD optimizer)" in " ".join(d.cause.evidence)
    assert d.cause.actions[0].startswith("lower the weight decay")
    assert cb.run().val_loss[-1] > 0.6 and [r["verdict"] for r in cb.reports] == ["underfitting"]
    assert json.loads((tmp_path / "run.json").read_text())["meta"]["weight_decay"]["where"] == "SGD optimizer"


def test_lightning_weak_weight_decay_still_reads_converged(tmp_path):
    cb = decayed_fit(tmp_path, 1e-5)
    assert cb.run().meta["weight_decay"]["value"] == 1e-5
    assert cb.diagnosis.verdict == "converged" and cb.run().val_loss[-1] < 0.25
    assert all(r["verdict"] != "underfitting" for r in cb.reports)


def test_a_stop_gain_stop_and_the_final_report_tell_one_story(tmp_path, capsys):
    """stop_gain=0.01 stopped this run at epoch 19 of 40 (0.1898 after a best of about 0.165, "forecast to improve 0.0%
    by epoch 39"); right after it, the final report read "still improving slowly ... Try: keep training", not a word of
    the stop. Training on would have paid (the same run went on to 0.137 by epoch 32): the rule weighs the forecast
    against the best so far, the diagnosis the curve from its level now, and both stand. The report now says that the
    rule stopped the run and why, forecasts to the end the rule forecast to (epoch 39), and beside "keep training"
    says the rule judged the gain left below stop_gain; the verdict is unchanged. Saved with the report too.
    That stop at 19 was on one noisy evaluation (a rise from 0.1653; 20% short of the run's best), which a stop must
    now be decided without as well (ForecastStopping's confirm_rise): the run stops at 28, 6% short."""
    from digits_task import digits_split

    xtr, ytr, xva, yva = digits_split()
    ds = torch.utils.data.TensorDataset
    g = torch.Generator().manual_seed(0)
    train = torch.utils.data.DataLoader(ds(torch.tensor(xtr), torch.tensor(ytr)), batch_size=32, shuffle=True,
                                        generator=g)
    val = torch.utils.data.DataLoader(ds(torch.tensor(xva), torch.tensor(yva)), batch_size=1000)
    torch.manual_seed(0)
    save = tmp_path / "run.json"
    cb = LosslensCallback(stop_gain=0.01, save_path=save, time_budget_ms=None)
    # (a 64-wide MLP at plain SGD(0.3): a curve that falls in bounces)
    trainer(tmp_path, cb, epochs=40).fit(DigitsMLP((64,), torch.optim.SGD, lr=0.3), train, val)
    assert cb.stopped_epoch == 28 and cb.actions[-1]["cause"] == "forecast", cb.messages
    out = capsys.readouterr().out
    final = [line for line in out.splitlines() if line.startswith("losslens (lightning, at the end of training)")]
    assert len(final) == 1, out
    final = final[0]
    assert cb.reports[-1]["verdict"] == "still_improving" and "keep training" in final
    assert ("Stopped at epoch 28 by stop_gain=0.01: training on to epoch 39 (the planned end) was forecast to improve "
            "on the best val_loss so far by 0.5%, less than the 1% asked.") in final
    assert final.index("Stopped at epoch 28") < final.index("keep training") < final.index(
        "judged the gain left by epoch 39 (the planned end), 0.5%, below your stop_gain=0.01")
    # One horizon: the forecast the report quotes goes to the end the rule forecast to.
    assert cb.diagnosis.forecast["horizon"] == 39 and "epoch 78" not in final
    saved = json.loads(save.read_text())["meta"]["reports"][-1]
    stopped = saved["stopped_by"]
    assert saved["final"] and stopped["gain"] < 0.01
    assert {k: stopped[k] for k in ("rule", "epoch", "min_gain", "horizon")} == {
        "rule": "stop_gain", "epoch": 28, "min_gain": 0.01, "horizon": 39}
    assert losslens.read(save)[0].val_loss.size == 29
    assert min(losslens.read(save)[0].val_loss) / 0.1373 - 1 < 0.07  # the best of the full run: 0.1373


def test_a_sweep_of_default_saves_is_named_by_its_folders(tmp_path):
    """An lr sweep, one Trainer per lr with default_root_dir=sweep/lr_<lr> and no logger: the callback saves its
    default losslens.json in each folder, and the summary named the runs "lr_0.01/losslens.json" ...; now by
    their folders, as Lightning's own version_N folders name metrics.csv."""
    for lr in (0.1, 0.01):
        torch.manual_seed(0)
        model = Regressor(lr=lr)
        t = L.Trainer(max_epochs=6, callbacks=[LosslensCallback(verbose=0, time_budget_ms=None)], logger=False,
                      default_root_dir=tmp_path / "sweep" / f"lr_{lr:g}", enable_progress_bar=False,
                      enable_model_summary=False, enable_checkpointing=False, accelerator="cpu", devices=1)
        t.fit(model, *loaders())
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.json")) == [
        "sweep/lr_0.01/losslens.json", "sweep/lr_0.1/losslens.json"]
    runs = losslens.read(tmp_path / "sweep")
    assert [r.name for r in runs] == ["lr_0.01", "lr_0.1"]
    assert [r.get("lr")[0] for r in runs] == pytest.approx([0.01, 0.1])


def _linear(lr=0.05):
    from lightning_models import LinearRegressor, linear_loaders

    return LinearRegressor(lr), *linear_loaders(400, [(0, 320), (320, 400)])


def test_lightning_report_under_a_tqdm_bar_starts_a_line_of_its_own(capsys):
    """Lightning's TQDMProgressBar (its bar where rich is not installed) keeps the epoch's line open at
    on_train_epoch_end: the report ran on from it ("10/10 [00:00<00:00, 78.84it/s]losslens (lightning, ...") and the
    bar's next refresh wrote over its end. It goes through tqdm.write now, which clears the bar first."""
    from lightning.pytorch.callbacks import TQDMProgressBar

    model, train, val = _linear()
    cb = LosslensCallback(start_from_epoch=2, save_path=None, time_budget_ms=None)
    L.Trainer(max_epochs=8, callbacks=[cb, TQDMProgressBar()], logger=False, enable_checkpointing=False,
              enable_model_summary=False).fit(model, train, val)
    out = capsys.readouterr().out
    assert cb.reports and not cb.reports[0].get("final")
    starts = [i for i in range(len(out)) if out.startswith("losslens (lightning", i)]
    assert len(starts) == len(cb.reports) and all(out[i - 1] in "\r\n" for i in starts)


def test_lightning_fast_dev_run_saves_nothing(tmp_path, monkeypatch):
    """fast_dev_run (one batch, Lightning "suppresses logging and checkpointing") left a losslens.json of one epoch
    in the working directory, which `losslens diagnose` refuses as too short."""
    monkeypatch.chdir(tmp_path)
    model, train, val = _linear()
    cb = LosslensCallback()
    L.Trainer(fast_dev_run=True, callbacks=[cb], enable_model_summary=False).fit(model, train, val)
    assert len(cb.watcher.axis) == 1 and cb.watcher.save_path is None
    assert list(tmp_path.iterdir()) == []
    # A path the user names is still written.
    cb = LosslensCallback(save_path=tmp_path / "smoke.json")
    L.Trainer(fast_dev_run=True, callbacks=[cb], enable_model_summary=False).fit(model, train, val)
    assert [p.name for p in tmp_path.iterdir()] == ["smoke.json"]


@pytest.mark.parametrize("every", [{"val_check_interval": 0.5}, {"val_check_interval": 0.3},
                                   {"val_check_interval": 8}, {"val_check_interval": 0.6},
                                   {"val_check_interval": 50, "check_val_every_n_epoch": None},
                                   {"check_val_every_n_epoch": 2},
                                   {"val_check_interval": 64, "check_val_every_n_epoch": None}])
def test_the_callbacks_run_is_the_one_its_csvlogger_file_reads_as(tmp_path, every):
    """One fit with the CSVLogger and the callback. Validation checked twice an epoch (0.5), at 30/60/90% (0.3),
    every 8 of 32 batches, at 60% (0.6) or every 50 batches across epochs: the metrics.csv reads on the step
    axis, every check a point at its step; the callback kept one row an epoch, the epoch's last check (the 0.3
    run's, none: its epoch ends between checks, and the row held the 90% check again). The file folded the 0.6
    and 50-batch checks onto their epochs' ends, up to an epoch after they were made. Every other epoch, or
    every 64 batches (two epochs): one axis of epochs, gaps where none ran."""
    from lightning.pytorch.loggers import CSVLogger

    torch.manual_seed(0)
    cb = LosslensCallback(verbose=0)
    t = L.Trainer(max_epochs=6, callbacks=[cb], logger=CSVLogger(tmp_path, name="run"), enable_progress_bar=False,
                  enable_model_summary=False, enable_checkpointing=False, log_every_n_steps=8, accelerator="cpu",
                  devices=1, **every)
    t.fit(Regressor(), *loaders())
    [logged] = losslens.read(f"{t.logger.log_dir}/metrics.csv")
    for live in (cb.run(), losslens.read(f"{t.logger.log_dir}/losslens.json")[0]):
        assert live.axis_name == logged.axis_name
        np.testing.assert_array_equal(live.axis, logged.axis)
        for name in ("val_loss", "train_loss", *(("epoch_frac",) if logged.axis_name == "step" else ())):
            np.testing.assert_allclose(live.series[name], logged.series[name], rtol=1e-6)
    if every.get("val_check_interval", 64) == 64:
        assert logged.axis_name == "epoch"
    else:
        assert logged.axis_name == "step" and cb.watcher.horizon == logged.axis[-1]  # max_epochs' last step
        d, d_live = losslens.diagnose(logged), losslens.diagnose(cb.run())
        assert (d.verdict, d.plateau_epoch) == (d_live.verdict, d_live.plateau_epoch)


def test_a_stop_at_a_check_mid_epoch_is_said_once_and_its_run_is_the_csvs(tmp_path):
    """val_check_interval=0.25 and stop_on=("converged",): the stop at the check at step 151, mid-epoch 4, ends the
    epoch there, and Lightning logs the epoch's training values at that step too. Their row joins the check's, as the
    CSV reader joins the file's two rows; diagnosed again, it said the stop twice."""
    from lightning.pytorch.loggers import CSVLogger

    torch.manual_seed(0)
    cb = LosslensCallback(verbose=0, stop_on=("converged",))
    t = L.Trainer(max_epochs=60, callbacks=[cb], logger=CSVLogger(tmp_path, name="run"), enable_progress_bar=False,
                  enable_model_summary=False, enable_checkpointing=False, accelerator="cpu", devices=1,
                  val_check_interval=0.25)
    t.fit(Regressor(lr=3e-2), *loaders())
    [logged] = losslens.read(f"{t.logger.log_dir}/metrics.csv")
    live = cb.run()
    assert [a["action"] for a in cb.actions] == ["stop"] and cb.stopped_epoch == logged.axis[-1] == live.axis[-1]
    assert (logged.axis[-1] + 1) % 32  # mid-epoch: 32 batches an epoch
    np.testing.assert_array_equal(live.axis, logged.axis)
    for name in ("val_loss", "train_loss"):
        np.testing.assert_allclose(live.series[name], logged.series[name], rtol=1e-6)


class _AccuracyOnly(L.LightningModule):
    """A digits MLP that validates by accuracy alone: ``train_loss`` per epoch, ``val_acc``, no ``val_loss``."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))

    def training_step(self, batch, _):
        loss = torch.nn.functional.cross_entropy(self.net(batch[0]), batch[1])
        self.log("train_loss", loss, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch, _):
        self.log("val_acc", (self.net(batch[0]).argmax(1) == batch[1]).float().mean(), on_epoch=True)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.05)


class _EpochWeights(L.Callback):
    """Each epoch's val_acc and weights, as trained (placed before the losslens callback, which may restore)."""

    def __init__(self):
        self.accs, self.states = [], []

    def on_train_epoch_end(self, trainer, pl_module):
        self.accs.append(float(trainer.callback_metrics["val_acc"]))
        self.states.append({k: v.clone() for k, v in pl_module.state_dict().items()})


def test_a_module_that_validates_with_accuracy_alone_restores_the_best_accuracy(tmp_path):
    """Lightning's side of the torch loop's test (test_integrations_torch): with ``val_acc`` logged and no
    ``val_loss``, ``restore_best_weights`` restores the best val_acc epoch's weights at the stop. Tracked on
    train_loss (before f1e9220), the stop restored the last epoch's weights, its training loss still falling."""
    from digits_task import digits_split

    xtr, ytr, xva, yva = (torch.as_tensor(a) for a in digits_split())
    ds = torch.utils.data.TensorDataset
    train = torch.utils.data.DataLoader(ds(xtr, ytr), batch_size=32)
    val = torch.utils.data.DataLoader(ds(xva, yva), batch_size=1000)
    torch.manual_seed(0)
    model = _AccuracyOnly()
    spy = _EpochWeights()
    cb = LosslensCallback(stop_on=("converged",), restore_best_weights=True, time_budget_ms=None, verbose=0,
                          save_path=None, grad_every=None)
    t = L.Trainer(max_epochs=60, callbacks=[spy, cb], default_root_dir=tmp_path, enable_progress_bar=False,
                  enable_model_summary=False, enable_checkpointing=False, logger=False, accelerator="cpu", devices=1,
                  num_sanity_val_steps=0)
    t.fit(model, train, val)
    accs = spy.accs
    assert cb.watcher.stopped_epoch is not None and len(accs) < 60
    # (the last of its tied maxima: an accuracy moves by whole examples, and the kept weights follow a tie, as
    # result.best_index reads a score's best; the first of them at 27, the last at 28 here)
    best = len(accs) - 1 - int(np.argmax(accs[::-1]))
    assert cb.watcher.best_key == "val_acc" and cb.watcher.best_epoch == best
    assert best < len(accs) - 1  # (otherwise restoring the last weights would pass too)
    assert all(torch.equal(v, spy.states[best][k]) for k, v in model.state_dict().items())
    assert "restoring the weights of epoch %d (val_acc" % best in " ".join(cb.watcher.messages)


class _EpochStates(L.Callback):
    """Each epoch's weights, as trained (placed before the losslens callback, which may restore)."""

    def __init__(self):
        self.states = []

    def on_train_epoch_end(self, trainer, pl_module):
        self.states.append({k: v.clone() for k, v in pl_module.state_dict().items()})


def test_a_fit_that_ends_without_a_losslens_stop_restores_the_best_weights(tmp_path):
    """restore_best_weights beside Lightning's own EarlyStopping, which ends the fit: the best epoch's weights come
    back, as Keras's callback does at the end of any fit. They were the last epoch's (the walk's digits MLP ended at
    val_loss 0.2477, its best 0.2315 at epoch 13)."""
    torch.manual_seed(0)
    spy = _EpochStates()
    cb = LosslensCallback(restore_best_weights=True, save_path=None, verbose=0, grad_every=None)
    early = L.callbacks.EarlyStopping("val_loss", patience=3)
    model = Digits()
    t = L.Trainer(max_epochs=40, callbacks=[spy, cb, early], default_root_dir=tmp_path, logger=False,
                  enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False,
                  accelerator="cpu", devices=1, num_sanity_val_steps=0)
    train, val = digits_loaders()
    t.fit(model, train, val)
    logged = cb.run().val_loss
    best = int(np.nanargmin(logged))
    assert cb.watcher.stopped_epoch is None and best < len(logged) - 1  # (else the last weights would pass too)
    assert all(torch.equal(v, spy.states[best][k]) for k, v in model.state_dict().items())
    assert float(t.validate(model, val, verbose=False)[0]["val_loss"]) == pytest.approx(float(logged[best]), rel=1e-4)
    assert f"restoring the weights of epoch {best} (val_loss {float(logged[best]):.4g})" in " ".join(cb.watcher.messages)


class SavedWhole(Regressor):
    """A module that saves itself whole (``torch.save(self)``) at each epoch's end, as some users checkpoint."""

    def on_train_epoch_end(self):
        import io

        buf = io.BytesIO()
        torch.save(self, buf)
        buf.seek(0)
        self.copies = getattr(self, "copies", []) + [torch.load(buf, weights_only=False)]


def test_a_module_saved_whole_mid_fit_pickles_and_its_copy_logs_through_itself(tmp_path):
    """The callback's reading of self.log's batch_size= wraps the module's ``log`` for the fit: as a local function it
    made ``torch.save(module)`` in a hook raise "Can't pickle local object 'LosslensCallback._watch_log.<locals>.log'",
    where the fit ran before the wrap. A copy read back logs through its own ``log``, not the saved module's."""
    torch.manual_seed(0)
    cb = LosslensCallback(verbose=0, grad_every=None)
    model = SavedWhole()
    train, val = loaders()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        L.Trainer(max_epochs=2, callbacks=[cb], logger=False, enable_progress_bar=False, enable_model_summary=False,
                  enable_checkpointing=False, accelerator="cpu", devices=1, default_root_dir=tmp_path).fit(model, train,
                                                                                                          val)
    assert len(model.copies) == 2
    assert all(c.log.__self__ is c and c.log.__func__ is type(c).log for c in model.copies)
    assert "log" not in vars(model)


class _CountingLog:
    """A user's own ``log`` set on the module instance before the fit: counts its calls, then logs."""

    def __init__(self, module):
        self.own = type(module).log.__get__(module)
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.own(*args, **kwargs)


def test_a_log_the_user_set_on_the_module_is_used_in_the_fit_and_is_there_after_it(tmp_path):
    """The callback wraps the module's ``log`` for the fit and put it back by deleting the instance attribute, so a
    ``log`` the user had set on the instance was gone after the fit. Now it logs through it and restores it, and a
    module with none keeps none."""
    torch.manual_seed(0)
    model, plain = Regressor(), Regressor()
    mine = _CountingLog(model)
    model.log = mine
    train, val = loaders()
    for m in (model, plain):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trainer(tmp_path, LosslensCallback(verbose=0, grad_every=None), 2).fit(m, train, val)
    assert vars(model)["log"] is mine
    assert mine.calls > 0
    assert "log" not in vars(plain)
