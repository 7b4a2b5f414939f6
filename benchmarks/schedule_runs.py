"""Generate small real training runs under lr schedules for the schedule benchmark (benchmarks/schedule_eval.py).

PyTorch MLPs trained on two bundled or generated datasets, per epoch: the mean training loss over the epoch's
batches, the validation loss, and the lr the epoch ran at. Each schedule runs for EPOCHS epochs (the planned end):

* ``linear``   lr0 -> 0 linearly over the run (Hugging Face Trainer's default), per batch
* ``cosine``   lr0 -> 0 on a half cosine (CosineAnnealingLR(T_max = all batches)), per batch
* ``step``     StepLR(step_size = EPOCHS // 3, gamma = 0.1), per epoch
* ``constant`` the control: no schedule

Datasets: ``digits`` (scikit-learn's bundled 8x8 digits, 1,797 images, 10 classes, cross-entropy; 2 hidden layers
of 64), ``regress`` (a generated nonlinear regression, y = sin(3 x1) + x2 x3 + 0.5 x4^2 + N(0, 0.3^2) on 8
standard-normal features, 1,500 points, MSE; 2 hidden layers of 64). Optimisers: SGD (momentum 0.9) and Adam,
each at its own lr0. Seeds 0-3. Deterministic (torch.manual_seed, one thread).

    PYTHONPATH=src:. python benchmarks/schedule_runs.py      # writes benchmarks/data/schedule_runs.csv
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "data" / "schedule_runs.csv"
EPOCHS = 40
BATCH = 64
SCHEDULES = ("linear", "cosine", "step", "constant")
OPTIMISERS = {"sgd": 0.05, "adam": 2e-3}
SEEDS = (0, 1, 2, 3)


def datasets():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    X = (d.data / 16.0).astype(np.float32)
    yield "digits", train_test_split(X, d.target.astype(np.int64), test_size=0.3, random_state=0), 10
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1500, 8)).astype(np.float32)
    y = (np.sin(3 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.5 * X[:, 3] ** 2 + 0.3 * rng.standard_normal(1500))
    yield "regress", train_test_split(X, y.astype(np.float32), test_size=0.3, random_state=0), 1


def train(split, n_out, schedule, opt_name, seed):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    Xtr, Xva, ytr, yva = (torch.from_numpy(a) for a in split)
    model = nn.Sequential(nn.Linear(Xtr.shape[1], 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, n_out))
    loss_fn = nn.CrossEntropyLoss() if n_out > 1 else nn.MSELoss()
    lr0 = OPTIMISERS[opt_name]
    opt = (torch.optim.SGD(model.parameters(), lr=lr0, momentum=0.9) if opt_name == "sgd"
           else torch.optim.Adam(model.parameters(), lr=lr0))
    per_epoch = math.ceil(len(Xtr) / BATCH)
    total = EPOCHS * per_epoch
    if schedule == "linear":
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: max(0.0, 1.0 - i / total))
    elif schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total)
    elif schedule == "step":
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=EPOCHS // 3, gamma=0.1)
    else:
        sched = None
    rows = []
    g = torch.Generator().manual_seed(seed)
    for epoch in range(1, EPOCHS + 1):
        model.train()
        lr_epoch = opt.param_groups[0]["lr"]
        total_loss, n = 0.0, 0
        for idx in torch.randperm(len(Xtr), generator=g).split(BATCH):
            out = model(Xtr[idx])
            loss = loss_fn(out.squeeze(-1) if n_out == 1 else out, ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total_loss += loss.item() * len(idx)
            n += len(idx)
            if sched is not None and schedule != "step":
                sched.step()
        if schedule == "step":
            sched.step()
        model.eval()
        with torch.no_grad():
            out = model(Xva)
            val = float(loss_fn(out.squeeze(-1) if n_out == 1 else out, yva))
        rows.append((epoch, lr_epoch, total_loss / n, val))
    return rows


def main() -> None:
    import torch

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    lines = ["run_id,dataset,schedule,optimizer,seed,planned_end,epoch,lr,train_loss,val_loss"]
    for name, split, n_out in datasets():
        for schedule in SCHEDULES:
            for opt_name in OPTIMISERS:
                for seed in SEEDS:
                    rid = f"{name}/{schedule}/{opt_name}/seed{seed}"
                    for epoch, lr, tr, va in train(split, n_out, schedule, opt_name, seed):
                        lines.append(f"{rid},{name},{schedule},{opt_name},{seed},{EPOCHS},{epoch},{lr:.6g},{tr:.6g},{va:.6g}")
                    print(rid, file=sys.stderr)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
