"""Canonical series names and the column names that map onto them.

One table, used by every reader and by :meth:`Run.from_history`, so that ``loss``,
``train_loss`` and ``training_loss`` all become ``train_loss`` everywhere.
"""

from __future__ import annotations

import re

# canonical name -> aliases (compared after normalising: lower case, '/', '-', ' ' and '.' -> '_')
ALIASES: dict[str, tuple[str, ...]] = {
    "train_loss": ("loss", "train_loss", "training_loss", "train_loss_epoch", "loss_train",
                   "train_loss_step", "trn_loss", "tr_loss"),
    "val_loss": ("val_loss", "eval_loss", "validation_loss", "valid_loss", "test_loss",
                 "loss_val", "val_loss_epoch", "dev_loss", "loss_valid", "loss_validation",
                 "validation_loss_epoch", "val_loss_step", "loss_test"),
    "train_acc": ("accuracy", "acc", "train_acc", "train_accuracy", "training_accuracy",
                  "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy",
                  "train_acc_epoch", "acc_train", "accuracy_train"),
    "val_acc": ("val_accuracy", "val_acc", "eval_accuracy", "validation_accuracy", "valid_accuracy",
                "valid_acc", "test_acc", "test_accuracy", "val_sparse_categorical_accuracy",
                "val_categorical_accuracy", "val_binary_accuracy", "val_acc_epoch", "acc_val",
                "accuracy_val", "accuracy_validation", "eval_top1", "val_top1", "top1", "acc1", "val_acc1",
                "accuracy_top1", "metrics_accuracy_top1", "val_accuracy_top1"),
    "lr": ("lr", "learning_rate", "lr_0", "lr_pg0", "learningrate", "lr_adam", "lr_adamw", "lr_sgd", "train_lr",
           "lr_group_0"),
    "grad_norm": ("grad_norm", "gradient_norm", "grad_norm_2", "global_grad_norm", "train_grad_norm",
                  "grad_2_0_norm_total", "gnorm", "train_gnorm", "total_norm", "grad_total_norm"),
    "update_ratio": ("update_ratio", "update_to_weight", "update_to_weight_ratio"),
}

# Columns that describe the axis rather than a series.
AXIS_NAMES = {
    "epoch": ("epoch", "epochs", "ep"),
    "step": ("step", "global_step", "steps", "iteration", "iter", "_step", "trainer_global_step",
             "training_iteration"),
}

#: Columns of training-set sizes. A table with one of these and no epoch or step column is a
#: learning curve over data (``losslens data``), not a training log: its rows are not epochs.
TRAINING_SET_SIZE = ("train_size", "train_sizes", "train_sizes_abs", "size_train", "n_train", "train_samples",
                     "training_size", "train_set_size", "dataset_size")

CANONICAL = tuple(ALIASES)
LOSS_SERIES = ("train_loss", "val_loss")
#: What a log of accuracies only is diagnosed on, in this order (no loss logged at all).
ACCURACY_FALLBACK = ("val_acc", "train_acc")

# Split names of a nested history, ``{"train": {"loss": [...]}, "val": {"loss": [...]}}``: what a
# hand-written loop often saves, and the shape of XGBoost's / LightGBM's ``evals_result``.
TRAIN_SPLITS = ("train", "training", "trn", "tr", "train_set")
VAL_SPLITS = ("val", "valid", "validation", "eval", "evaluation", "dev", "val_set", "valid_set")
TEST_SPLITS = ("test", "test_set", "holdout")
ACCURACY_NAMES = ("acc", "accuracy")
_NOT_SPLITS = ("meta", "params", "config", "hparams", "args", "metadata")

#: ``<split>_<name>_loss`` columns, with ``<name>`` as group 1: parts of one loss when both sides log
#: the same names (YOLO's train/box_loss, val/box_loss ...), else evaluation sets (eval_g0_loss ...).
LOSS_PARTS = {
    "train_loss": re.compile(r"^(?:train|training|trn)_(.+)_loss$"),
    "val_loss": re.compile(r"^(?:val|valid|validation|eval)_(.+)_loss$"),
}

_LOOKUP = {alias: canon for canon, names in ALIASES.items() for alias in names}


def normalise(name: str) -> str:
    """``'Train/Loss'`` -> ``'train_loss'``: the form aliases are compared in."""
    return re.sub(r"[\s/\-.:]+", "_", str(name).strip().lower()).strip("_")


def canonical(name: str) -> str | None:
    """The canonical series a column name means, or None when it is not one we know."""
    return _LOOKUP.get(normalise(name))


def axis_kind(name: str) -> str | None:
    """``'epoch'`` or ``'step'`` when the column is an axis column, else None."""
    n = normalise(name)
    for kind, names in AXIS_NAMES.items():
        if n in names:
            return kind
    return None


def is_validation(name: str) -> bool:
    """A series measured on held-out data: ``val_loss``, ``eval_accuracy``, ``test_loss`` ..."""
    return normalise(name).startswith(("val", "eval", "valid", "test", "dev"))


def map_columns(names, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Map column names to canonical series names: ``{column: canonical}``.

    The first column that maps to a canonical name wins, in the order of ``ALIASES``'s
    tuples (so ``loss`` beats ``train_loss_step`` for ``train_loss``). ``overrides``
    maps canonical names to the user's column (``{"val_loss": "my_dev_ce"}``) and wins.
    Columns that map to nothing keep their own (normalised) name.
    """
    names = list(names)
    overrides = dict(overrides or {})
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for canon, column in overrides.items():
        if column not in names:
            continue
        mapping[column] = canon
        taken.add(canon)
    norm = {c: normalise(c) for c in names}
    for canon, aliases in ALIASES.items():
        if canon in taken:
            continue
        for alias in aliases:
            hit = next((c for c in names if norm[c] == alias and c not in mapping), None)
            if hit is not None:
                mapping[hit] = canon
                taken.add(canon)
                break
    # Lightning with several validation dataloaders logs "val_loss/dataloader_idx_0", "..._1":
    # the first one is the validation set the run is judged on (others keep their own names).
    for canon, aliases in ALIASES.items():
        if canon in taken:
            continue
        hit = next((c for c in names if c not in mapping and norm[c].endswith("_dataloader_idx_0")
                    and norm[c][: -len("_dataloader_idx_0")] in aliases), None)
        if hit is not None:
            mapping[hit] = canon
            taken.add(canon)
    # A Hugging Face Trainer given several eval datasets ({"g0": ds0, "g1": ds1}) logs
    # eval_g0_loss, eval_g0_accuracy, eval_g1_loss ...: the set named validation (or test) is the
    # validation curve, else the first one that is not the training set, as with Lightning's first
    # dataloader; the others keep their names. Not when the training side logs the same names:
    # then they are parts of one loss (YOLO's box/cls/dfl), which the table reader sums.
    if "val_loss" not in taken:
        groups = {c: m.group(1) for c in names if c not in mapping for m in [LOSS_PARTS["val_loss"].match(norm[c])] if m}
        train_parts = {m.group(1) for c in names for m in [LOSS_PARTS["train_loss"].match(norm[c])] if m}
        chosen = None if set(groups.values()) & train_parts else (
            next((c for c, g in groups.items() if g in VAL_SPLITS or g in TEST_SPLITS), None)
            or next((c for c, g in groups.items() if g not in TRAIN_SPLITS), None))
        if chosen is not None:
            mapping[chosen] = "val_loss"
            taken.add("val_loss")
            stem = norm[chosen][: -len("loss")]  # "eval_g0_": its accuracy is eval_g0_accuracy
            acc = next((c for c in names if c not in mapping and norm[c] in (stem + "accuracy", stem + "acc")), None)
            if acc is not None and "val_acc" not in taken:
                mapping[acc] = "val_acc"
                taken.add("val_acc")
    for c in names:
        if c not in mapping:
            mapping[c] = norm[c] or c
    return mapping


def flatten_splits(obj) -> dict | None:
    """``{split: {metric: values}}`` as flat columns, or None when ``obj`` is not that shape.

    The training split (``train``, ``training`` …) gives ``train_*``; the validation split
    gives ``val_*``: the one named ``val``/``valid``/``validation``/``eval``/``dev``, else a
    ``test`` split, else — for numbered sets such as XGBoost's ``validation_0``,
    ``validation_1`` or LightGBM's ``valid_0`` — the last one, which XGBoost early-stops on.
    Other splits keep their names (``validation_0_logloss``). In each split the metric named
    ``loss``, else the first ending in ``loss`` (``logloss``, ``binary_logloss``), becomes
    ``*_loss``, an accuracy ``*_acc``; other metrics keep theirs (``val_rmse``). Plain lists beside
    the splits (``"epoch": [...]``) are kept.
    """
    if not isinstance(obj, dict):
        return None
    # Other dicts (a config, Keras' params, losslens' own meta) and scalars beside the splits are
    # not series.
    splits = {str(k): v for k, v in obj.items()
              if isinstance(v, dict) and v and all(isinstance(x, (list, tuple)) for x in v.values())
              and normalise(k) not in _NOT_SPLITS}
    if not splits:
        return None
    names = {k: normalise(k) for k in splits}
    role = {k: "train" for k, n in names.items() if n in TRAIN_SPLITS}
    rest = [k for k in splits if k not in role]
    numbered = bool(rest) and all(re.fullmatch(r"[a-z_]*\d+", names[k]) for k in rest)
    val = (next((k for k in rest if names[k] in VAL_SPLITS), None)
           or next((k for k in rest if names[k] in TEST_SPLITS), None)
           or (rest[-1] if numbered else None)
           or (rest[0] if len(rest) == 1 else None))
    if val is not None:
        role[val] = "val"
    out: dict = {str(k): v for k, v in obj.items() if isinstance(v, (list, tuple))}
    for split, metrics in splits.items():
        mnames = {m: normalise(m) for m in metrics}
        if split not in role:  # a split we cannot place keeps every name
            out.update({f"{names[split]}_{n}": metrics[m] for m, n in mnames.items()})
            continue
        loss = next((m for m, n in mnames.items() if n == "loss"), None) \
            or next((m for m, n in mnames.items() if n.endswith("loss")), None)
        acc = next((m for m, n in mnames.items() if n in ACCURACY_NAMES), None)
        for m, values in metrics.items():
            short = "loss" if m == loss else "acc" if m == acc else mnames[m]
            out[f"{role[split]}_{short}"] = values
    # XGBoost / LightGBM number their sets: one entry per boosting round, not per epoch.
    if numbered and not any(axis_kind(k) for k in out):
        out["iteration"] = list(range(max(len(v) for v in out.values())))
    return out
