"""A Lightning linear regression the reader tests train for seconds: y = x·(1, -2, 0.5, 0) + N(0, 0.1²) on 4
Gaussian features, MSE, SGD; it logs ``train_loss`` per epoch and ``val_loss`` per validation loader."""

import lightning as L
import torch
from torch.utils.data import DataLoader, TensorDataset


def linear_loaders(n: int, splits, batch_size: int = 32, seed: int = 0) -> list:
    """DataLoaders over rows ``[a, b)`` of ``n`` generated rows, one per ``(a, b)`` in ``splits``."""
    torch.manual_seed(seed)
    x = torch.randn(n, 4)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 0.0]) + 0.1 * torch.randn(n)
    return [DataLoader(TensorDataset(x[a:b], y[a:b]), batch_size=batch_size) for a, b in splits]


class LinearRegressor(L.LightningModule):
    def __init__(self, lr: float = 0.01):
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)
        self.lr = lr

    def _loss(self, batch):
        return torch.nn.functional.mse_loss(self.layer(batch[0]).squeeze(-1), batch[1])

    def training_step(self, batch, i):
        loss = self._loss(batch)
        self.log("train_loss", loss, on_epoch=True, on_step=False)
        return loss

    def validation_step(self, batch, i, dataloader_idx=0):
        self.log("val_loss", self._loss(batch))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr)


class DigitsMLP(L.LightningModule):
    """A ReLU MLP on the 64 digit features (hidden ``widths``, then the 10 classes), cross-entropy, ``opt`` (a torch
    optimizer class) at ``opt_kwargs``; it logs ``train_loss`` per epoch (per step too with ``per_step``) and
    ``val_loss`` per validation."""

    def __init__(self, widths, opt, per_step: bool = False, **opt_kwargs):
        super().__init__()
        sizes = (64, *widths)
        layers = []
        for a, b in zip(sizes, sizes[1:]):
            layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
        self.net = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-1], 10))
        self.opt, self.opt_kwargs, self.per_step = opt, opt_kwargs, per_step

    def training_step(self, batch, _):
        loss = torch.nn.functional.cross_entropy(self.net(batch[0]), batch[1])
        self.log("train_loss", loss, on_step=self.per_step, on_epoch=True)
        return loss

    def validation_step(self, batch, _):
        self.log("val_loss", torch.nn.functional.cross_entropy(self.net(batch[0]), batch[1]))

    def configure_optimizers(self):
        return self.opt(self.parameters(), **self.opt_kwargs)
