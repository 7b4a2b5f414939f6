"""Two Lightning runs of different problems in one ``lightning_logs`` folder, both logging ``train_loss`` and
``val_loss`` and no accuracy: a digits classifier (cross-entropy) and a linear regression (MSE). Their losses do not
compare, yet ``losslens diagnose lightning_logs`` ranked them as a sweep and named the regression "best". What each
module saved with ``save_hyperparameters()`` (``hparams.yaml``) tells them apart; a sweep of one module saves the
same names with other values and keeps its ranking."""

from __future__ import annotations

import lightning as L
import numpy as np
import pytest
import torch
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader, TensorDataset
from typer.testing import CliRunner

import losslens
from losslens.cli import app
from losslens.result import best_run, experiments
from tests.lightning_models import linear_loaders


class _Task(L.LightningModule):
    """Logs train_loss (epoch mean) and val_loss; SGD at the saved lr."""

    def training_step(self, batch, i):
        loss = self._loss(batch)
        self.log("train_loss", loss, on_epoch=True, on_step=False)
        return loss

    def validation_step(self, batch, i):
        self.log("val_loss", self._loss(batch))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


class DigitsClassifier(_Task):
    def __init__(self, hidden: int = 32, lr: float = 0.1):
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))

    def _loss(self, batch):
        return torch.nn.functional.cross_entropy(self.net(batch[0]), batch[1])


class Regression(_Task):
    def __init__(self, n_features: int = 4, lr: float = 0.01):
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Linear(n_features, 1)

    def _loss(self, batch):
        return torch.nn.functional.mse_loss(self.net(batch[0]).squeeze(-1), batch[1])


class RegressionWithDecay(_Task):
    """The regression once a weight decay joined the sweep: one more name saved."""

    def __init__(self, n_features: int = 4, lr: float = 0.01, weight_decay: float = 0.0):
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Linear(n_features, 1)

    _loss = Regression._loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)


def _digits_loaders():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    g = torch.Generator().manual_seed(0)
    idx = torch.randperm(len(y), generator=g)
    tr, va = idx[:1200], idx[1200:]
    return (DataLoader(TensorDataset(x[tr], y[tr]), batch_size=64, shuffle=True, generator=g),
            DataLoader(TensorDataset(x[va], y[va]), batch_size=256))


def _fit(root, module, loaders):
    torch.manual_seed(0)
    t = L.Trainer(max_epochs=12, logger=CSVLogger(root, name="lightning_logs"), enable_progress_bar=False,
                  enable_model_summary=False, enable_checkpointing=False, accelerator="cpu", devices=1,
                  log_every_n_steps=1)
    t.fit(module, *loaders)


@pytest.fixture(scope="module")
def two_problems(tmp_path_factory):
    root = tmp_path_factory.mktemp("two_problems")
    _fit(root, DigitsClassifier(), _digits_loaders())
    _fit(root, Regression(), linear_loaders(600, [(0, 480), (480, 600)]))
    return root / "lightning_logs"


def test_two_modules_in_one_folder_are_not_ranked_as_a_sweep(two_problems):
    ds = losslens.diagnose_all(two_problems)
    assert [d.run_name for d in ds] == ["version_0", "version_1"]
    assert {d.metric for d in ds} == {"val_loss"} and not any(d.run.has("val_acc") for d in ds)
    assert len(experiments(ds)) == 2 and best_run(ds) is None
    res = CliRunner().invoke(app, ["diagnose", str(two_problems)])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert not [ln for ln in lines if ln.startswith("best ")]
    [line] = [ln for ln in lines if ln.startswith("no best named")]
    assert line == ("no best named: these runs solve 2 problems (their saved settings (hparams.yaml) differ: "
                    "version_0's hidden, lr; version_1's lr, n_features), whose val_loss values do not compare; rank "
                    "each problem's runs apart")


def test_a_sweep_of_one_module_is_still_ranked(tmp_path):
    """Two learning rates of the regression, then a weight decay added to the sweep: the same names saved with
    other values, or one more; one experiment, a best named."""
    for module in (Regression(lr=0.01), Regression(lr=0.001), RegressionWithDecay(lr=0.01, weight_decay=1e-4)):
        _fit(tmp_path, module, linear_loaders(600, [(0, 480), (480, 600)]))
    ds = losslens.diagnose_all(tmp_path / "lightning_logs")
    assert len(ds) == 3 and len(experiments(ds)) == 1
    best = ds[best_run(ds)]
    assert best.run.meta["hparams"]["lr"] == 0.01 and np.isfinite(best.best[1])
