"""Generated scenarios: small real models trained on CPU, one or more configurations per cause.

Every label is verified by an intervention run beside the case (the numbers go in the label
file); a seed whose intervention does not confirm the cause is dropped, never relabeled.

=================  =====================================================================
cause              intervention that confirms it (thresholds in :mod:`benchmarks.labels.rules`)
=================  =====================================================================
converged          training 50% longer lowers the val loss < 2%, and lr/10 from the last
                   epoch lowers it < 15%
still_improving    the first part of a run whose lr is good (lr x10 over the full run is not
                   >= 15% better): training on (the rest of the same run) lowers val >= 15%
lr_too_low         lr x10 for the same epochs reaches a val loss >= 15% lower
lr_too_high        lr/10 from the checkpoint at 2/3 of the run ends >= 15% lower than
                   continuing at the same lr
overfitting        overfitting rule (val minimum, then a rise while train keeps falling) and
                   restoring the best epoch's weights is >= 10% lower than the last epoch
underfitting       a bigger model (same data, optimizer, epochs) lowers the train loss >= 30%
no_signal          the labels are shuffled; the same model on the true labels reaches a
                   val loss >= 30% lower
diverged           non-finite or growing loss (rule ``diverged``), and lr/10 trains finitely
                   and ends below its start
stuck_at_init      progress < 2% of what the same model with the default initialization
                   makes with the same optimizer and epochs
temporary_plateau  the curve has a flat stretch (>= 10% of the run, < 3% of the total drop)
                   that it leaves with a drop >= 25% of the total drop
data_limited       2x the training data lowers the val loss >= 15% (learning curve at
                   n/2, n, 2n attached to the case as ``meta["learning_curve"]``)
=================  =====================================================================

The ``also`` column lists causes the real-curve shape rules also support for a case
(overfitting, still_improving; converged for a temporary plateau that has since converged):
they count only in the lenient accuracy.

Ground-truth X is DESIGN.md's X on the mean validation curve of 5 seeds (model init and
batch order vary, the data do not); every seed is a case of its own (a single run). As for
the real part's seeds, the mean's X is a seed's truth only when the seed's floor ``L*`` (its
best, on a running median of 3: ``rules.floor_level``) is within 10% of the mean's drop of the
mean's (``rules.typical_seed``): a seed stuck at ln 10 while the others learn (under_digits)
has another floor, and the mean's X, read against the mean's ``L*``, is not its X. (The
floor, not the end, as DESIGN.md's ``L*``: an overfitting seed that rose further after the
same best shares it.)
Run ``python -m benchmarks.scenarios`` to regenerate ``curves.csv.gz`` and ``labels.csv``.
"""

from __future__ import annotations

import copy
import csv
import gzip
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..labels import rules

HERE = Path(__file__).resolve().parent
CURVES = HERE / "curves.csv.gz"
LABELS = HERE / "labels.csv"
N_SEEDS = 5
CASE_SEEDS = (0, 1, 2, 3, 4)


# ---------------------------------------------------------------------------------- data
def make_data(kind: str, n: int, seed: int = 0, **kw):
    """``(Xtr, ytr, Xva, yva, n_classes)``; n_classes 0 for regression.

    Every kind draws one fixed pool (``seed``) and takes the first ``n`` points for training
    and the last 300 for validation, so runs with different ``n`` share the validation set
    (the learning curve of ``data_limited`` compares like with like).
    """
    from sklearn import datasets
    rng = np.random.default_rng(1000 + seed)
    n_val, pool = 300, 2000
    if n > pool - n_val:
        raise ValueError(f"n={n} > {pool - n_val} training points available")
    if kind == "digits":
        X, y = datasets.load_digits(return_X_y=True)
        X = X / 16.0
        order = rng.permutation(len(y))
        X, y, k = X[order], y[order], 10
    elif kind in ("moons", "circles"):
        maker = datasets.make_moons if kind == "moons" else datasets.make_circles
        extra = {"factor": 0.5} if kind == "circles" else {}
        X, y = maker(pool, noise=kw.get("noise", 0.25), random_state=seed, **extra)
        k = 2
    elif kind == "blobs":
        X, y = datasets.make_classification(pool, n_features=20, n_informative=8, n_classes=4,
                                            flip_y=kw.get("flip_y", 0.0), class_sep=kw.get("sep", 1.0),
                                            random_state=seed)
        k = 4
    elif kind == "noise_images":  # the article's experiment 2: random inputs, random labels
        X = rng.normal(size=(pool, 64))
        y = rng.integers(0, 5, pool)
        k = 5
    elif kind == "reg":
        X = rng.normal(size=(pool, 8))
        y = np.sin(2 * X[:, 0]) + 0.5 * X[:, 1] ** 2 - X[:, 2] + 0.5 * X[:, 3] * X[:, 4]
        y = y + kw.get("noise", 0.3) * rng.normal(size=y.shape)
        k = 0
    elif kind == "linreg":  # the article's experiment 1: y = 2 x1 + 3 x2 + noise, 8 inputs
        X = rng.normal(size=(pool, 8))
        y = 2 * X[:, 0] + 3 * X[:, 1] + kw.get("noise", 0.3) * rng.normal(size=pool)
        k = 0
    elif kind == "lowrank":  # deep-linear-network target with distinct singular values (Saxe et al., 2014)
        d = 12
        U = np.linalg.qr(rng.normal(size=(d, d)))[0]
        V = np.linalg.qr(rng.normal(size=(d, d)))[0]
        s = np.zeros(d)
        s[:3] = (4.0, 1.2, 0.4)
        X = rng.normal(size=(pool, d))
        y = X @ (U @ np.diag(s) @ V.T).T + 0.05 * rng.normal(size=(pool, d))
        k = 0
    else:
        raise ValueError(f"unknown data kind {kind!r}")
    Xtr, ytr, Xva, yva = X[:n], y[:n], X[-n_val:], y[-n_val:]
    if kw.get("label_noise"):  # replace a fraction of the TRAINING labels by random classes
        flip = rng.random(n) < kw["label_noise"]
        ytr = ytr.copy()
        ytr[flip] = rng.integers(0, k, int(flip.sum()))
    if kw.get("shuffle_labels"):
        ytr = rng.permutation(ytr)
        yva = rng.permutation(yva)
    if kw.get("scale"):
        Xtr, Xva = Xtr * kw["scale"], Xva * kw["scale"]
    return Xtr, ytr, Xva, yva, k


# --------------------------------------------------------------------------------- model
@dataclass
class Config:
    """One training setup. ``hidden``: hidden-layer widths ([] = linear model)."""

    name: str
    cause: str
    data: str
    n: int
    hidden: list
    opt: str = "adam"
    lr: float = 1e-3
    batch: int = 64
    epochs: int = 60
    act: str = "relu"
    init: str = "default"
    data_kw: dict = field(default_factory=dict)
    weight_decay: float = 0.0
    momentum: float = 0.0
    head: int | None = None  # still_improving: the case is the first `head` epochs
    bigger: list | None = None  # underfitting: the bigger model
    lr_step: int | None = None  # divide the lr by 10 at the start of this epoch (a step schedule)


def _build(cfg: Config, d_in: int, d_out: int, seed: int, hidden=None, init=None):
    import torch
    from torch import nn
    torch.manual_seed(seed)
    hidden = cfg.hidden if hidden is None else hidden
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity}[cfg.act]
    layers, width = [], d_in
    for h in hidden:
        layers += [nn.Linear(width, h), act()]
        width = h
    layers.append(nn.Linear(width, d_out))
    model = nn.Sequential(*layers)
    init = cfg.init if init is None else init
    with torch.no_grad():
        linears = [m for m in model if isinstance(m, nn.Linear)]
        if init == "dead_relu":  # every hidden unit starts (and stays) inactive
            for m in linears[:-1]:
                m.bias.fill_(-20.0)
        elif init == "zeros":  # symmetric zero init: hidden gradients are exactly zero
            for m in linears:
                m.weight.zero_()
                m.bias.zero_()
        elif init == "tiny":
            for m in linears:
                m.weight.normal_(0.0, 1e-2)
                m.bias.zero_()
        elif init == "small":  # small init: deep linear nets sit near the saddle at 0 (Saxe et al.)
            for m in linears:
                m.weight.normal_(0.0, 0.04)
                m.bias.zero_()
    return model


def _optimizer(cfg: Config, params, lr):
    import torch
    if cfg.opt == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=cfg.weight_decay)
    return torch.optim.SGD(params, lr=lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)


def train(cfg: Config, seed: int, *, lr=None, epochs=None, hidden=None, init=None, data=None,
          state=None, keep_at=None):
    """Train one run; returns ``(history, states)``.

    history: dict of lists (train_loss, val_loss and, for classifiers, train_acc, val_acc),
    one value per epoch (train values are the epoch's mean mini-batch loss, as Keras logs).
    ``state`` (model, optimizer state) resumes a checkpoint; ``keep_at`` lists the epoch
    indices whose checkpoint is returned in ``states``.
    """
    import torch
    from torch import nn
    torch.set_num_threads(1)
    Xtr, ytr, Xva, yva, k = data if data is not None else make_data(cfg.data, cfg.n, 0, **cfg.data_kw)
    lr = cfg.lr if lr is None else lr
    epochs = cfg.epochs if epochs is None else epochs
    Xtr_t, Xva_t = torch.tensor(Xtr, dtype=torch.float32), torch.tensor(Xva, dtype=torch.float32)
    if k:
        ytr_t, yva_t = torch.tensor(ytr, dtype=torch.long), torch.tensor(yva, dtype=torch.long)
        loss_fn, d_out = nn.CrossEntropyLoss(), k
    else:
        ytr_t = torch.tensor(ytr, dtype=torch.float32).reshape(len(ytr), -1)
        yva_t = torch.tensor(yva, dtype=torch.float32).reshape(len(yva), -1)
        loss_fn, d_out = nn.MSELoss(), ytr_t.shape[1]
    if state is None:
        model = _build(cfg, Xtr_t.shape[1], d_out, seed, hidden, init)
        opt = _optimizer(cfg, model.parameters(), lr)
    else:
        model = copy.deepcopy(state[0])
        opt = _optimizer(cfg, model.parameters(), lr)
        opt.load_state_dict(state[1])
        for group in opt.param_groups:
            group["lr"] = lr
    gen = torch.Generator().manual_seed(10_000 + seed)
    hist = {"train_loss": [], "val_loss": [], "lr": []}
    if k:
        hist.update(train_acc=[], val_acc=[])
    states = {}
    n = Xtr_t.shape[0]
    for epoch in range(epochs):
        if cfg.lr_step is not None and epoch == cfg.lr_step and state is None:
            for group in opt.param_groups:
                group["lr"] *= 0.1
        hist["lr"].append(opt.param_groups[0]["lr"])
        model.train()
        order = torch.randperm(n, generator=gen)
        total, correct = 0.0, 0
        for start in range(0, n, cfg.batch):
            idx = order[start:start + cfg.batch]
            out = model(Xtr_t[idx])
            loss = loss_fn(out, ytr_t[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            if k:
                correct += int((out.argmax(1) == ytr_t[idx]).sum())
        model.eval()
        with torch.no_grad():
            out = model(Xva_t)
            val = float(loss_fn(out, yva_t))
        hist["train_loss"].append(total / n if math.isfinite(total) else float("nan"))
        hist["val_loss"].append(val if math.isfinite(val) else float("nan"))
        if k:
            hist["train_acc"].append(correct / n)
            hist["val_acc"].append(float((out.argmax(1) == yva_t).float().mean()))
        if keep_at and epoch in keep_at:
            states[epoch] = (copy.deepcopy(model), copy.deepcopy(opt.state_dict()))
        if not math.isfinite(total) and epoch >= 2:
            # A diverged run stays NaN: fill the rest without computing it.
            for key in hist:
                hist[key] += [hist[key][-1] if key == "lr" else float("nan")] * (epochs - epoch - 1)
            break
    return hist, states


# ----------------------------------------------------------------------------- configs
CONFIGS = [
    # converged: Adam at a good rate, trained well past its plateau
    Config("conv_linreg", "converged", "linreg", 500, [], lr=3e-2, epochs=40),
    Config("conv_moons", "converged", "moons", 600, [32, 32], lr=3e-3, epochs=50),
    Config("conv_blobs", "converged", "blobs", 600, [32], lr=1e-2, epochs=40, weight_decay=1e-2),
    # still_improving: the first epochs of a run at a good rate
    Config("si_linreg", "still_improving", "linreg", 500, [], lr=3e-2, epochs=40, head=6),
    Config("si_moons", "still_improving", "moons", 600, [32, 32], lr=3e-3, epochs=50, head=6),
    Config("si_digits", "still_improving", "digits", 800, [64], lr=3e-3, epochs=40, head=4),
    # lr_too_low: plain SGD with a small step
    Config("low_reg", "lr_too_low", "reg", 500, [32], opt="sgd", lr=1e-3, epochs=50),
    Config("low_digits", "lr_too_low", "digits", 800, [64], opt="sgd", lr=2e-3, epochs=40),
    Config("low_moons", "lr_too_low", "moons", 600, [32], opt="sgd", lr=3e-3, epochs=50),
    # lr_too_high: a large constant step bouncing around the minimum
    Config("high_reg", "lr_too_high", "reg", 500, [32], opt="sgd", lr=0.08, batch=8, epochs=45),
    Config("high_moons", "lr_too_high", "moons", 600, [32, 32], opt="sgd", lr=0.3, momentum=0.9, batch=16,
           epochs=45),
    Config("high_blobs", "lr_too_high", "blobs", 800, [64], lr=0.02, batch=16, epochs=45),
    # overfitting: big models on small, noisy data
    Config("over_blobs", "overfitting", "blobs", 150, [256, 256], lr=1e-3, epochs=100,
           data_kw={"flip_y": 0.15}),
    Config("over_digits", "overfitting", "digits", 150, [256], lr=3e-3, epochs=80,
           data_kw={"label_noise": 0.3}),
    Config("over_reg", "overfitting", "reg", 60, [128, 128], lr=3e-3, epochs=150, data_kw={"noise": 0.5}),
    # underfitting: a model too small for the data
    Config("under_moons", "underfitting", "moons", 600, [], lr=1e-2, epochs=50, bigger=[64, 64]),
    Config("under_circles", "underfitting", "circles", 600, [], lr=1e-2, epochs=50, bigger=[64, 64],
           data_kw={"noise": 0.1}),
    Config("under_digits", "underfitting", "digits", 800, [2], lr=1e-2, epochs=50, bigger=[64]),
    # no_signal: labels carry no information about the inputs
    Config("nosig_digits", "no_signal", "digits", 800, [128], lr=1e-3, epochs=40,
           data_kw={"shuffle_labels": True}),
    Config("nosig_blobs", "no_signal", "blobs", 600, [128], lr=1e-3, epochs=50,
           data_kw={"shuffle_labels": True}),
    Config("nosig_images", "no_signal", "noise_images", 200, [256], lr=1e-3, epochs=50),
    # diverged: SGD beyond the stability limit
    Config("div_reg", "diverged", "reg", 500, [32], opt="sgd", lr=0.3, epochs=40, data_kw={"scale": 2.0}),
    Config("div_linreg", "diverged", "linreg", 500, [], opt="sgd", lr=0.9, epochs=40, data_kw={"scale": 1.5}),
    Config("div_blobs", "diverged", "blobs", 800, [64], opt="sgd", lr=10.0, epochs=40),
    # stuck_at_init: initializations that give no gradient to the hidden layers
    Config("stuck_dead_relu", "stuck_at_init", "digits", 800, [64], lr=1e-3, epochs=40, init="dead_relu"),
    Config("stuck_zeros", "stuck_at_init", "blobs", 800, [64, 64], act="tanh", lr=1e-3, epochs=40,
           init="zeros"),
    Config("stuck_dead_moons", "stuck_at_init", "moons", 600, [32, 32], lr=3e-3, epochs=40, init="dead_relu"),
    # temporary_plateau: deep linear networks from small init leave saddles stage by stage
    Config("temp_deeplinear", "temporary_plateau", "lowrank", 500, [12, 12], act="linear", opt="sgd",
           lr=0.03, epochs=120, init="small"),
    Config("temp_deeplinear16", "temporary_plateau", "lowrank", 400, [16, 16], act="linear", opt="sgd",
           lr=0.025, epochs=140, init="small"),
    # data_limited: the learning curve over training-set size is still falling
    Config("data_digits", "data_limited", "digits", 50, [64], lr=3e-3, epochs=80, weight_decay=1e-2),
    Config("data_blobs", "data_limited", "blobs", 80, [64], lr=1e-3, epochs=80, weight_decay=1e-3),
]


# ----------------------------------------------------------------------------- verify
def _last(h, key="val_loss", k=5):
    return rules.tail_level(h[key][-k:], frac=1.0, min_points=1)


def verify(cfg: Config, seed: int, hist: dict, data, states: dict) -> tuple[bool, dict]:
    """Run the cause's intervention for one seed; ``(confirmed, numbers)``."""
    c = cfg.cause
    if c == "converged":
        more, _ = train(cfg, seed, epochs=int(cfg.epochs * 1.5), data=data)
        keep = cfg.epochs - 1
        slow, _ = train(cfg, seed, lr=cfg.lr / 10, epochs=max(5, cfg.epochs // 3), data=data, state=states[keep])
        end, more_end, slow_end = _last(hist), _last(more), _last(slow)
        ok = not rules.gained(more_end, end, rules.NO_GAIN) and not rules.gained(slow_end, end)
        return ok, {"val_end": end, "val_end_1.5x_epochs": more_end, "val_end_lr/10_continued": slow_end}
    if c == "still_improving":
        end_head = _last({"v": hist["val_loss"][:cfg.head]}, "v", 2)
        end_full = float(np.nanmin(hist["val_loss"][cfg.head:]))
        # The lr is right for the full budget (DeepOBS's notion of the best rate): lr x10 over
        # the same full run is not >= 15% better; the case just stopped early.
        fast, _ = train(cfg, seed, lr=cfg.lr * 10, data=data)
        fast_end = _last(fast)
        ok = rules.gained(end_full, end_head) and not rules.gained(fast_end, _last(hist))
        return ok, {"val_end_of_case": end_head, "val_min_when_continued": end_full,
                    "val_end_full_run": _last(hist), "val_end_full_run_lr_x10": fast_end, "case_epochs": cfg.head, "continued_to": cfg.epochs}
    if c == "lr_too_low":
        fast, _ = train(cfg, seed, lr=cfg.lr * 10, data=data)
        end, fast_end = _last(hist), _last(fast)
        return rules.gained(fast_end, end), {"val_end": end, "val_end_lr_x10": fast_end}
    if c == "lr_too_high":
        cut = (2 * cfg.epochs) // 3
        if cut - 1 not in states:  # the run broke down (NaN) before the checkpoint
            return False, {"val_end": _last(hist)}
        slow, _ = train(cfg, seed, lr=cfg.lr / 10, epochs=cfg.epochs - cut, data=data, state=states[cut - 1])
        end, slow_end = _last(hist), _last(slow)
        return rules.gained(slow_end, end), {"val_end": end, "val_end_lr/10_from_epoch_%d" % cut: slow_end}
    if c == "overfitting":
        o = rules.overfitting(hist["val_loss"], hist["train_loss"])
        ok = o["holds"] and rules.gained(o["val_min"], o["val_end"], 0.10)
        return ok, {k: v for k, v in o.items() if k != "holds"} | {"restore_best_gain": 1 - o.get("val_min", 0) / o.get("val_end", 1)}
    if c == "underfitting":
        big, _ = train(cfg, seed, hidden=cfg.bigger, data=data)
        end, big_end = _last(hist, "train_loss"), _last(big, "train_loss")
        return rules.gained(big_end, end, 0.30), {"train_end": end, "train_end_bigger_model": big_end,
                                                  "bigger": str(cfg.bigger)}
    if c == "no_signal":
        kw = {k: v for k, v in cfg.data_kw.items() if k != "shuffle_labels"}
        if cfg.data == "noise_images":  # no true labels exist; the counterfactual is real data
            true_data = make_data("blobs", cfg.n, 0, **kw)
        else:
            true_data = make_data(cfg.data, cfg.n, 0, **kw)
        real, _ = train(cfg, seed, data=true_data)
        chance = math.log(data[4])
        end, best_real = _last(hist), float(np.nanmin(real["val_loss"]))
        ok = rules.gained(best_real, min(end, chance), 0.30) and float(np.nanmin(hist["val_loss"])) > 0.9 * chance
        return ok, {"val_end": end, "chance_loss_lnK": chance, "val_min": float(np.nanmin(hist["val_loss"])),
                    "val_min_true_labels": best_real}
    if c == "diverged":
        d = rules.diverged(hist["train_loss"]) or rules.diverged(hist["val_loss"])
        slow, _ = train(cfg, seed, lr=cfg.lr / 10, data=data)
        s = np.asarray(slow["val_loss"])
        ok = d is not None and np.isfinite(s).all() and s[-1] < s[0]
        return bool(ok), (d or {}) | {"val_start_lr/10": float(s[0]), "val_end_lr/10": float(s[-1])}
    if c == "stuck_at_init":
        ref, _ = train(cfg, seed, init="default", data=data)
        st = rules.stuck(hist["val_loss"], float(np.nanmin(ref["val_loss"])))
        return st["holds"], {k: v for k, v in st.items() if k != "holds"}
    if c == "temporary_plateau":
        tp = temporary_plateau(hist["val_loss"])
        return tp["holds"], {k: v for k, v in tp.items() if k != "holds"}
    if c == "data_limited":
        curve = {}
        for n in (cfg.n // 2, cfg.n, 2 * cfg.n):
            dn = make_data(cfg.data, n, 0, **cfg.data_kw)
            h = hist if n == cfg.n else train(cfg, seed, data=dn)[0]
            curve[n] = float(np.nanmin(h["val_loss"]))
        ok = rules.gained(curve[2 * cfg.n], curve[cfg.n])
        return ok, {"learning_curve_val_min": curve}
    raise ValueError(c)


def temporary_plateau(values, min_len: float = 0.10, flat: float = 0.03, drop_after: float = 0.25) -> dict:
    """A flat stretch (>= ``min_len`` of the run, moving < ``flat`` of the total drop) left by a
    drop of >= ``drop_after`` of the total drop. Returns the first such stretch's numbers."""
    v = np.asarray(values, dtype=float)
    n = v.size
    total = float(v[0] - np.nanmin(v))
    w = max(3, int(round(min_len * n)))
    if not total > 0:
        return {"holds": False}
    for s in range(1, n - w):
        seg = v[s:s + w]
        if np.nanmax(seg) - np.nanmin(seg) < flat * total:
            later = float(np.nanmin(v[s + w:]))
            if seg[-1] - later >= drop_after * total:
                return {"holds": True, "flat_start_index": s, "flat_len": w, "flat_level": float(seg.mean()),
                        "drop_after": float(seg[-1] - later), "total_drop": total}
    return {"holds": False, "total_drop": total}


# ----------------------------------------------------------------------------- generate
X_NONE = {"still_improving", "lr_too_low", "diverged", "stuck_at_init", "no_signal"}


def generate(configs=CONFIGS, out_dir: Path = HERE, log=print) -> list[dict]:
    """Train every configuration, verify, and write ``curves.csv.gz`` and ``labels.csv``."""
    t0 = time.time()
    labels, rows = [], []
    for cfg in configs:
        t = time.time()
        data = make_data(cfg.data, cfg.n, 0, **cfg.data_kw)
        keep = {cfg.epochs - 1, (2 * cfg.epochs) // 3 - 1}
        runs = [train(cfg, s, data=data, keep_at=keep if s in CASE_SEEDS else None) for s in range(N_SEEDS)]
        hists = [r[0] for r in runs]
        length = cfg.head or cfg.epochs
        val = np.array([h["val_loss"][:length] for h in hists], dtype=float)
        with np.errstate(all="ignore"):
            mean = np.nanmean(val, axis=0) if np.isfinite(val).any() else val[0]
        x_true = None if cfg.cause in X_NONE else rules.plateau_x(mean)
        mean_floor, mean_drop = rules.floor_level(mean), float(mean[0] - np.nanmin(mean))
        kept = 0
        for s in CASE_SEEDS:
            ok, numbers = verify(cfg, s, hists[s], data, runs[s][1])
            if not ok:
                log(f"  {cfg.name} seed {s}: intervention did not confirm {cfg.cause}: {numbers}")
                continue
            kept += 1
            x_case, x_source = x_true, f"mean val_loss of {N_SEEDS} seeds" if x_true is not None else ""
            if x_true is not None:  # as for the real part's seeds: the mean's X is this seed's only on its floor
                numbers |= {"seed_floor": rules.floor_level(val[s]), "mean_floor": mean_floor}
                if not rules.typical_seed(numbers["seed_floor"], mean_floor, mean_drop):
                    x_case, x_source = None, "none: this seed's floor is > 10% of the mean's drop from the mean's"
            case_id = f"gen/{cfg.name}/seed{s}"
            meta = {"classes": data[4] or None}
            if cfg.cause == "data_limited":
                meta["learning_curve"] = numbers["learning_curve_val_min"]
            labels.append({"case_id": case_id, "config": cfg.name, "seed": s, "cause": cfg.cause,
                           "metric": "val_loss", "x_true": x_case, "length": length, "x_source": x_source,
                           "classes": data[4] or "", "rule": VERIFY_RULE[cfg.cause],
                           "numbers": json.dumps(_jsonable(numbers), sort_keys=True),
                           "setup": json.dumps(_setup(cfg), sort_keys=True),
                           "meta": json.dumps(_jsonable(meta), sort_keys=True)})
            h = hists[s]
            for e in range(length):
                rows.append([case_id, e] + [_fmt(h[k][e]) if k in h else "" for k in SERIES])
        log(f"{cfg.name:18s} {cfg.cause:18s} kept {kept}/{len(CASE_SEEDS)}  X={x_true}  {time.time() - t:.1f}s")
    out_dir.mkdir(parents=True, exist_ok=True)
    with gzip.open(out_dir / "curves.csv.gz", "wt", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "epoch"] + list(SERIES))
        w.writerows(rows)
    with open(out_dir / "labels.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(labels[0]))
        w.writeheader()
        w.writerows(labels)
    annotate_also(out_dir / "labels.csv", out_dir / "curves.csv.gz")
    log(f"{len(labels)} cases in {time.time() - t0:.0f}s -> {out_dir}")
    return labels


def shape_also(val, train, cause: str) -> list[str]:
    """Causes the real-curve shape rules (:mod:`benchmarks.labels.real`) also support for a case.

    They never change the label; scoring counts them only in the lenient accuracy.
    """
    also = []
    val = np.asarray(val, dtype=float)
    fin = val[np.isfinite(val)]
    if fin.size < 6:
        return also
    if cause != "overfitting" and rules.overfitting(val, train)["holds"]:
        also.append("overfitting")
    if cause != "still_improving" and rules.tail_gain(val) >= rules.GAIN \
            and int(np.argmin(fin)) >= int(0.9 * fin.size) - 1:
        also.append("still_improving")
    if cause == "temporary_plateau" and rules.converged_shape(val, train)["holds"]:
        also.append("converged")  # it left its plateau and has since converged
    return also


def annotate_also(labels_path: Path = LABELS, curves_path: Path = CURVES) -> None:
    """(Re)write the ``also`` column of ``labels.csv`` from the stored curves."""
    import pandas as pd
    labels = pd.read_csv(labels_path, keep_default_na=False)
    curves = pd.read_csv(curves_path)
    by_case = {cid: g.sort_values("epoch") for cid, g in curves.groupby("case_id", sort=False)}
    labels["also"] = ["|".join(shape_also(by_case[r.case_id].val_loss.to_numpy(float),
                                          by_case[r.case_id].train_loss.to_numpy(float), r.cause))
                      for r in labels.itertuples()]
    labels.to_csv(labels_path, index=False)


SERIES = ("train_loss", "val_loss", "train_acc", "val_acc", "lr")

VERIFY_RULE = {
    "converged": "1.5x epochs lowers val < 2% and lr/10 from the last epoch lowers it < 15%",
    "still_improving": "continuing the same run lowers val >= 15%; lr x10 over the full run is not >= 15% better",
    "lr_too_low": "lr x10 for the same epochs ends >= 15% lower",
    "lr_too_high": "lr/10 from the 2/3 checkpoint ends >= 15% lower than continuing at the same lr",
    "overfitting": "val rises >= 10% of its drop after its minimum while train falls >= 5%; restoring best is >= 10% lower",
    "underfitting": "a bigger model lowers the train loss >= 30%",
    "no_signal": "labels shuffled; true labels reach a val loss >= 30% lower than min(end, ln K)",
    "diverged": "non-finite or 1.5x growth; lr/10 stays finite and ends below its start",
    "stuck_at_init": "progress < 2% of the same model with default init",
    "temporary_plateau": "flat stretch >= 10% of the run (< 3% of the drop) then a drop >= 25% of the total",
    "data_limited": "2x training data lowers the best val loss >= 15%",
}


def _setup(cfg: Config) -> dict:
    return {k: v for k, v in cfg.__dict__.items() if k not in ("name", "cause") and v not in (None, {}, 0.0)}


def _fmt(x) -> str:
    x = float(x)
    return "" if not math.isfinite(x) else f"{x:.6g}"


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return None if not math.isfinite(float(obj)) else round(float(obj), 6)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


# ----------------------------------------------------------------------------- load
def load_generated_cases(labels_path: Path = LABELS, curves_path: Path = CURVES):
    """The generated cases with their Runs (epochs 0-based, as Keras logs them)."""
    import pandas as pd
    from losslens.run import Run

    from .. import Case
    labels = pd.read_csv(labels_path, keep_default_na=False)
    curves = pd.read_csv(curves_path)
    by_case = {cid: g.sort_values("epoch") for cid, g in curves.groupby("case_id", sort=False)}
    cases = []
    for lab in labels.to_dict("records"):
        c = by_case[lab["case_id"]]
        series = {k: c[k].to_numpy(dtype=float) for k in SERIES if k in c}  # all-NaN kept: a diverged run
        meta = json.loads(lab["meta"]) if lab["meta"] else {}
        run = Run(c.epoch.to_numpy(dtype=float), series, "epoch", name=lab["case_id"],
                  source="benchmarks/scenarios", meta=meta)
        x = lab["x_true"]
        cases.append(Case(case_id=lab["case_id"], part="generated", run=run, metric=lab["metric"],
                          cause=lab["cause"], x_true=float(x) if x not in ("", None) else None,
                          also=tuple(a for a in str(lab.get("also", "")).split("|") if a),
                          length=float(lab["length"]), rule=lab["rule"], numbers=json.loads(lab["numbers"]),
                          classes=int(lab["classes"]) if lab["classes"] not in ("", None) else None,
                          source="generated"))
    return cases
