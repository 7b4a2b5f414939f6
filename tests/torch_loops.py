"""The tiny PyTorch training loop several tests train for real: a linear regression fitted in full batch
by SGD, y = x · weights + N(0, 0.1²), the last points held out for validation. (Also the one mini-batch epoch the
tests' and some fixture scripts' loops share, ``minibatch_epoch``, and a cross-entropy loop told to the torch Monitor:
``cross_entropy_epochs``.) Imports torch inside (the
function's source is also pasted into a user's train.py by tests/test_cli.py)."""


def linear_regression_run(lr, epochs, weights=(2.0, 3.0), n=200, n_train=150, inputs="rand", seed=0,
                          before_epoch=None):
    """{"loss": [...], "val_loss": [...]} per epoch, one full-batch SGD step an epoch. ``inputs``: "rand"
    (uniform in [0, 1)) or "randn"; ``before_epoch(epoch, x, opt)`` runs before each step (to corrupt a
    record of ``x`` in place, or to set the learning rate)."""
    import torch

    torch.manual_seed(seed)
    x = getattr(torch, inputs)(n, len(weights))
    y = x @ torch.tensor([[float(w)] for w in weights]) + 0.1 * torch.randn(n, 1)
    model = torch.nn.Linear(len(weights), 1)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    history = {"loss": [], "val_loss": []}
    for epoch in range(epochs):
        if before_epoch is not None:
            before_epoch(epoch, x, opt)
        opt.zero_grad()
        loss = torch.mean((model(x[:n_train]) - y[:n_train]) ** 2)
        loss.backward()
        opt.step()
        history["loss"].append(loss.item())
        with torch.no_grad():
            history["val_loss"].append(torch.mean((model(x[n_train:]) - y[n_train:]) ** 2).item())
    return history


def minibatch_epoch(model, opt, x, y, loss, batch=32, generator=None, on_step=None):
    """One epoch of mini-batch steps over ``x``, ``y`` (tensors, n rows) in a ``torch.randperm(n)`` order drawn from
    ``generator`` (None: torch's global one); ``loss(outputs, targets)`` a scalar tensor, handed to ``on_step`` after
    each step (a Monitor's ``step``). Returns the epoch's training loss: the batches' losses weighted by their
    sizes, over n."""
    import torch

    perm, total = torch.randperm(len(x), generator=generator), 0.0
    for i in range(0, len(x), batch):
        b = perm[i:i + batch]
        opt.zero_grad()
        value = loss(model(x[b]), y[b])
        value.backward()
        opt.step()
        if on_step is not None:
            on_step(value)
        total += value.item() * len(b)
    return total / len(x)


def diabetes_mlp_run(lr, epochs=40, lr_factor=1.0, epochs_factor=1.0, seed=0, lr_growth=1.0, batch=16):
    """A user's minibatch SGD loop: a 64-unit ReLU MLP on scikit-learn's diabetes (standardised; 170 rows to
    train, the last 102 to validate), ``batch`` rows a step, ``lr * lr_factor`` for ``round(epochs * epochs_factor)``
    epochs, times ``lr_growth`` after each epoch (torch's ExponentialLR: a schedule that grows the step
    until it blows up). {"epoch", "train_loss", "val_loss"} per epoch, epochs counted from 1."""
    import numpy as np
    import torch
    from sklearn.datasets import load_diabetes

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    X, y = load_diabetes(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    y = (y - y.mean()) / y.std()
    order = np.random.RandomState(0).permutation(len(X))
    t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    xtr, ytr = t(X[order[:170]]), t(y[order[:170]])[:, None]
    xva, yva = t(X[order[340:]]), t(y[order[340:]])[:, None]
    model = torch.nn.Sequential(torch.nn.Linear(10, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
    opt = torch.optim.SGD(model.parameters(), lr=lr * lr_factor)
    schedule = torch.optim.lr_scheduler.ExponentialLR(opt, lr_growth)
    history = {"epoch": [], "train_loss": [], "val_loss": []}
    for epoch in range(round(epochs * epochs_factor)):
        model.train()
        train_loss = minibatch_epoch(model, opt, xtr, ytr, torch.nn.functional.mse_loss, batch)
        schedule.step()
        model.eval()
        with torch.no_grad():
            history["val_loss"].append(torch.nn.functional.mse_loss(model(xva), yva).item())
        history["epoch"].append(epoch + 1)
        history["train_loss"].append(train_loss)
    return history


def cross_entropy_epochs(model, opt, mon, train, val, epochs, weight=None, batch=32, scores=None):
    """Mini-batch cross-entropy for ``epochs`` epochs, each step and epoch told to the torch ``Monitor`` ``mon``
    (the validation loss, and ``scores(outputs)``'s other series), then ``mon.finish()``. ``weight``: class weights."""
    import torch

    (xt, yt), (xv, yv) = train, val
    ce = torch.nn.functional.cross_entropy
    for _ in range(epochs):
        model.train()
        minibatch_epoch(model, opt, xt, yt, lambda out, target: ce(out, target, weight=weight), batch,
                        on_step=mon.step)
        model.eval()
        with torch.no_grad():
            o = model(xv)
            mon.epoch_end(val_loss=ce(o, yv).item(), **(scores(o) if scores else {}))
    mon.finish()
