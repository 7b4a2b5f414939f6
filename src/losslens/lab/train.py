"""The training loop of the lab: Keras's ``model.fit`` semantics, for S seeds at once.

What matches Keras 3 ``fit(..., epochs, batch_size=32, validation_data=...)``:

- the training set is reshuffled every epoch and cut into batches of 32 (the last one
  smaller); one optimizer step per batch;
- ``loss`` (and ``accuracy``) is the running, sample-weighted mean of the batch losses
  over the epoch, each computed *before* that batch's update, in training mode;
- ``val_loss`` (and ``val_accuracy``) is computed once at the end of the epoch on the
  whole validation set in inference mode;
- Adam is ``lr=1e-3, beta=(0.9, 0.999), eps=1e-7``; SGD is plain (no momentum).

Added for the diagnosis: ``lr`` (the step size used in the epoch) and ``grad_norm``, the
global L2 norm of the gradient (all parameters of one seed's model) averaged over the
epoch's steps.

Data is indexed directly as tensors (no DataLoader: for models this small its per-batch
overhead would cost more than the arithmetic).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np
import torch
from torch.nn import functional as F

from ..exceptions import UsageError
from .nets import Net

ADAM_EPS = 1e-7  # Keras's default (PyTorch's is 1e-8)


@dataclass
class Data:
    """One train/validation split per seed.

    ``x_train``: (S, N, ...) float32; ``y_train``: (S, N) float32 targets (regression) or
    int64 class labels (classification); ``x_val`` / ``y_val`` likewise with M points.
    Seeds share N and M; :meth:`stack` builds this from per-seed numpy arrays.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor

    @classmethod
    def stack(cls, splits: Sequence[tuple], classification: bool = False) -> "Data":
        """From a list of per-seed ``(x_train, y_train, x_val, y_val)`` numpy arrays."""
        ydt = torch.long if classification else torch.float32
        parts = list(zip(*splits))
        as_t = lambda arrs, dt: torch.as_tensor(np.stack(arrs), dtype=dt)  # noqa: E731
        return cls(as_t(parts[0], torch.float32), as_t(parts[1], ydt),
                   as_t(parts[2], torch.float32), as_t(parts[3], ydt))

    @property
    def n_models(self) -> int:
        return int(self.x_train.shape[0])

    @property
    def n_train(self) -> int:
        return int(self.x_train.shape[1])


def shuffle_generator(seed: int) -> torch.Generator:
    """A stream for the epoch shuffles, independent of the one that drew the weights."""
    state = np.random.SeedSequence([int(seed), 1]).generate_state(1)[0]
    return torch.Generator().manual_seed(int(state))


def _per_seed_loss(out: torch.Tensor, y: torch.Tensor, classification: bool):
    """Mean loss of each seed's batch: shape (S,); plus the per-seed count of correct answers."""
    if classification:
        s, b, k = out.shape
        loss = F.cross_entropy(out.reshape(s * b, k), y.reshape(-1), reduction="none").view(s, b).mean(1)
        correct = (out.argmax(-1) == y).sum(1).to(out.dtype)
        return loss, correct
    return (out.squeeze(-1) - y).pow(2).mean(1), None


def make_optimizer(net: Net, name: str, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """``"adam"`` (Keras defaults; AdamW, decoupled decay on kernels only, when ``weight_decay``) or ``"sgd"``."""
    name = name.lower()
    if weight_decay:
        groups = [{"params": net.weight_parameters(), "weight_decay": weight_decay},
                  {"params": net.bias_parameters(), "weight_decay": 0.0}]
    else:
        groups = [{"params": list(net.parameters())}]
    if name == "adam":
        cls = torch.optim.AdamW if weight_decay else torch.optim.Adam
        return cls(groups, lr=lr, betas=(0.9, 0.999), eps=ADAM_EPS, foreach=True)
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=0.0, foreach=True)
    raise UsageError(f"unknown optimizer {name!r}; choose adam or sgd")


def fit(net: Net, data: Data, seeds: Sequence[int], *, classification: bool = False,
        optimizer: str = "adam", lr: float = 1e-3, epochs: int = 50, batch_size: int = 32,
        weight_decay: float = 0.0, lr_schedule: Optional[Callable[[int], float]] = None,
        augment: Optional[Callable[[torch.Tensor, torch.Generator], torch.Tensor]] = None,
        on_epoch: Optional[Callable[[int], None]] = None) -> list[dict]:
    """Train every seed's copy of ``net`` on its own split of ``data``; one history per seed.

    Parameters
    ----------
    lr_schedule : callable ``epoch (0-based) -> learning rate``, or None for a constant ``lr``.
    augment : callable ``(x_batch of shape (S, B, ...), generator) -> same shape``, applied
        to each training batch (never to validation).
    on_epoch : called with the 0-based epoch after each epoch (progress bars).

    Returns
    -------
    list of dict, one per seed, Keras ``History.history`` style: ``epoch`` (0-based),
    ``loss``, ``val_loss``, (``accuracy``, ``val_accuracy`` when classifying), ``lr``,
    ``grad_norm``; each a list of ``epochs`` floats.
    """
    s, n = data.n_models, data.n_train
    if len(seeds) != s or net.n_models != s:
        raise UsageError(f"{len(seeds)} seeds, {s} data splits and {net.n_models} model copies must agree")
    opt = make_optimizer(net, optimizer, lr, weight_decay)
    gens = [shuffle_generator(seed) for seed in seeds]
    aug_gen = shuffle_generator(int(seeds[0]) + 10_000)
    rows = torch.arange(s).unsqueeze(1)
    keys = ["loss", "val_loss"] + (["accuracy", "val_accuracy"] if classification else []) + ["lr", "grad_norm"]
    hist = {k: np.zeros((epochs, s)) for k in keys}
    params = list(net.parameters())
    for epoch in range(epochs):
        step_lr = lr_schedule(epoch) if lr_schedule is not None else lr
        for group in opt.param_groups:
            group["lr"] = step_lr
        order = torch.stack([torch.randperm(n, generator=g) for g in gens])  # (S, N)
        net.train()
        loss_sum = torch.zeros(s)
        correct_sum = torch.zeros(s)
        gnorm_sum = torch.zeros(s)
        steps = 0
        for start in range(0, n, batch_size):
            idx = order[:, start:start + batch_size]
            xb, yb = data.x_train[rows, idx], data.y_train[rows, idx]
            if augment is not None:
                xb = augment(xb, aug_gen)
            out = net(xb)
            loss, correct = _per_seed_loss(out, yb, classification)
            opt.zero_grad(set_to_none=True)
            # Seeds do not share weights, so d(sum)/d(copy s) = d(loss_s)/d(copy s).
            loss.sum().backward()
            with torch.no_grad():
                gnorm_sum += net.seed_sq_norms(p.grad for p in params).sqrt()
                loss_sum += loss.detach() * idx.shape[1]
                if correct is not None:
                    correct_sum += correct
            opt.step()
            steps += 1
        net.eval()
        with torch.no_grad():
            vloss, vcorrect = _per_seed_loss(net(data.x_val), data.y_val, classification)
        hist["loss"][epoch] = (loss_sum / n).numpy()
        hist["val_loss"][epoch] = vloss.numpy()
        if classification:
            hist["accuracy"][epoch] = (correct_sum / n).numpy()
            hist["val_accuracy"][epoch] = (vcorrect / data.y_val.shape[1]).numpy()
        hist["lr"][epoch] = step_lr
        hist["grad_norm"][epoch] = (gnorm_sum / steps).numpy()
        if on_epoch is not None:
            on_epoch(epoch)
    out = []
    for i in range(s):
        h = {"epoch": list(range(epochs))}
        h.update({k: [float(v) for v in hist[k][:, i]] for k in keys})
        out.append(h)
    return out
