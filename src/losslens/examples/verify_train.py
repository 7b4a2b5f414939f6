"""A training function for ``losslens verify``: the article's first experiment, linear model.

y = 2 x1 + 3 x2 + noise (sd 0.1), x ~ U[0, 1]^2: 1,000 training points and 200 validation points drawn
apart, Adam(1e-3), batch 32, 50 epochs, as the article's Keras code (here in PyTorch). losslens diagnoses
it ``lr_too_low``; verify retrains it with the learning rate x 10 to check that::

    losslens verify src/losslens/examples/verify_train.py:train

The keywords are the ones verify passes; leave out those your training cannot vary (this
linear model has no size or weight decay to change). The validation set has a generator of its own, the
same for every seed and every ``data_factor``: "twice the data" changes the training set alone (drawn as
the validation rows' neighbours, they moved with it and the check measured two sets), and the training
sets are nested (half the data is the first half of it).
"""


def train(lr_factor=1.0, epochs_factor=1.0, data_factor=1.0, shuffle_labels=False, from_epoch=0, seed=0):
    import numpy as np
    import torch

    torch.manual_seed(seed)
    n_train = int(round(1000 * data_factor))

    def draw(n, gen_x, gen_noise):  # (points and noise from generators of their own: the first n of any larger draw)
        x = gen_x.random((n, 2))
        return x, 2 * x[:, 0] + 3 * x[:, 1] + gen_noise.normal(0, 0.1, size=n)

    xt, yt = draw(n_train, np.random.default_rng([seed, 1]), np.random.default_rng([seed, 2]))
    xv, yv = draw(200, np.random.default_rng([2026, 1]), np.random.default_rng([2026, 2]))
    if shuffle_labels:
        yt = np.random.default_rng([seed, 3]).permutation(yt)
    xt, xv = (torch.tensor(a, dtype=torch.float32) for a in (xt, xv))
    yt, yv = (torch.tensor(a[:, None], dtype=torch.float32) for a in (yt, yv))
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    history = {"loss": [], "val_loss": [], "lr": []}  # the lr, as Keras 3 logs it: "constant" is evidence
    for epoch in range(round(50 * epochs_factor)):
        lr = 1e-3 * (lr_factor if epoch >= from_epoch else 1.0)  # the change from `from_epoch` on
        for group in opt.param_groups:
            group["lr"] = lr
        order, total = torch.randperm(n_train), 0.0
        for i in range(0, n_train, 32):
            b = order[i:i + 32]
            opt.zero_grad()
            loss = torch.mean((model(xt[b]) - yt[b]) ** 2)
            loss.backward()
            opt.step()
            total += loss.item() * len(b)
        history["loss"].append(total / n_train)
        history["lr"].append(lr)
        with torch.no_grad():
            history["val_loss"].append(torch.mean((model(xv) - yv) ** 2).item())
    return history
