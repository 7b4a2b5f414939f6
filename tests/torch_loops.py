"""The tiny PyTorch training loop several tests train for real: a linear regression fitted in full batch
by SGD, y = x · weights + N(0, 0.1²), the last points held out for validation. Imports torch inside (the
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
