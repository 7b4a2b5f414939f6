"""Canonical series names and the column names that map onto them.

One table, used by every reader and by :meth:`Run.from_history`, so that ``loss``,
``train_loss`` and ``training_loss`` all become ``train_loss`` everywhere.
"""

from __future__ import annotations

import re

import numpy as np

# canonical name -> aliases (compared after normalising: lower case, '/', '-', ' ' and '.' -> '_')
ALIASES: dict[str, tuple[str, ...]] = {
    "train_loss": ("loss", "train_loss", "training_loss", "train_loss_epoch", "loss_train",
                   "train_loss_step", "trn_loss", "tr_loss",
                   # (the sum a loss of several terms logs beside them: keras.io's VAE example's trackers,
                   # total_loss next to reconstruction_loss and kl_loss, and no plain loss)
                   "total_loss", "train_total_loss", "loss_total",
                   # (a PyTorch loop's lists, train_losses.append(...), saved as they are named)
                   "train_losses", "training_losses"),
    "val_loss": ("val_loss", "eval_loss", "validation_loss", "valid_loss", "test_loss",
                 "loss_val", "val_loss_epoch", "dev_loss", "loss_valid", "loss_validation",
                 "validation_loss_epoch", "val_loss_step", "loss_test",
                 "val_total_loss", "valid_total_loss", "validation_total_loss", "eval_total_loss",
                 "test_total_loss", "val_loss_total",
                 "val_losses", "valid_losses", "validation_losses", "test_losses", "dev_losses"),
    "train_acc": ("accuracy", "acc", "train_acc", "train_accuracy", "training_accuracy",
                  "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy",
                  "train_acc_epoch", "acc_train", "accuracy_train", "train_accs", "train_accuracies",
                  "training_accuracies"),
    "val_acc": ("val_accuracy", "val_acc", "eval_accuracy", "validation_accuracy", "valid_accuracy",
                "valid_acc", "test_acc", "test_accuracy", "val_sparse_categorical_accuracy",
                "val_categorical_accuracy", "val_binary_accuracy", "val_acc_epoch", "acc_val",
                "accuracy_val", "accuracy_validation", "eval_top1", "val_top1", "top1", "acc1", "val_acc1",
                "accuracy_top1", "metrics_accuracy_top1", "val_accuracy_top1",
                "val_accs", "val_accuracies", "valid_accuracies", "validation_accuracies", "test_accs",
                "test_accuracies"),
    "lr": ("lr", "learning_rate", "lr_0", "lr_pg0", "learningrate", "lr_adam", "lr_adamw", "lr_sgd", "train_lr",
           "lr_group_0", "train_learning_rate"),
    "grad_norm": ("grad_norm", "gradient_norm", "grad_norm_2", "global_grad_norm", "train_grad_norm",
                  "grad_2_0_norm_total", "gnorm", "train_gnorm", "total_norm", "grad_total_norm"),
    "update_ratio": ("update_ratio", "update_to_weight", "update_to_weight_ratio"),
}

# Columns that describe the axis rather than a series.
AXIS_NAMES = {
    "epoch": ("epoch", "epochs", "ep",
              # a spreadsheet typed in another language (French, German, Spanish/Portuguese, Italian)
              "époque", "epoque", "epoche", "época", "epoca"),
    "step": ("step", "global_step", "steps", "iteration", "iter", "_step", "trainer_global_step",
             "training_iteration",
             # reinforcement learning counts environment steps (Stable-Baselines3, RLlib)
             "time_total_timesteps", "total_timesteps", "timesteps_total", "num_env_steps_sampled_lifetime"),
}

#: Columns of training-set sizes. A table with one of these and no epoch or step column is a
#: learning curve over data (``losslens data``), not a training log: its rows are not epochs.
TRAINING_SET_SIZE = ("train_size", "train_sizes", "train_sizes_abs", "size_train", "n_train", "train_samples",
                     "training_size", "train_set_size", "dataset_size")

#: How fast a Transformers ``Trainer`` ran: its closing summary (``train_runtime``, ``total_flos``), each
#: evaluation (``eval_runtime``, ``eval_samples_per_second``), each training row with
#: ``include_num_input_tokens_seen`` (``train_tokens_per_second``). Timings of the machine, not curves of the model.
TRAINER_TIMINGS = ("_runtime", "_samples_per_second", "_steps_per_second", "_tokens_per_second", "total_flos")


def is_trainer_timing(name: str) -> bool:
    """``'train/train_runtime'``, ``'eval_samples_per_second'``, ``'total_flos'`` -> True."""
    return normalise(name).endswith(TRAINER_TIMINGS)


#: Columns of when each value was logged (TensorBoard's ``wall_time``, MLflow's and W&B's ``timestamp``/``_timestamp``):
#: the machine's clock, no curve. The copy check (readers/directory) and a tidy table's shape (readers/table) each
#: add the few more they have met.
WALL_CLOCK = ("timestamp", "wall_time", "walltime", "time", "_timestamp")


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

#: Names libraries give a loss instead of ``loss``, in order of preference: scikit-learn's ``log_loss``,
#: XGBoost's ``logloss`` / ``mlogloss``, LightGBM's ``binary_logloss`` / ``multi_logloss``, ``nll``, ``ce``,
#: ``cross_entropy``, ``objective``, the regression errors, XGBoost's ``error`` (a misclassification rate).
#: With a split word before or after them (``train_logloss``, ``valid_binary_logloss``, ``nll_val``) they are
#: the training / validation loss when no plain loss (``loss``, ``train_loss``, ``val_loss`` ...) is logged for
#: that split; bare (``log_loss``, ``nll``) they are the training loss, as a bare ``loss`` is.
LOSS_STEMS = ("log_loss", "logloss", "binary_logloss", "multi_logloss", "mlogloss", "cross_entropy", "crossentropy",
              "ce", "nll", "objective", "mse", "rmse", "mae", "l2", "l1", "error")

#: A language model's cross-entropy on another scale: perplexity is exp(loss), bits per character (or byte)
#: loss / ln 2. A split that logs one of these and no loss (``val_ppl``, ``train_perplexity``, ``valid_bpc``;
#: bare, the training one) is read as the loss it rescales, ``ln(ppl)`` or ``bpc * ln 2``: then X, the
#: forecast and the comparison with ln K are those of the cross-entropy, not of its exponential.
RESCALED_STEMS = {"ppl": "exp", "perplexity": "exp", "bpc": "bits", "bpb": "bits", "bits_per_char": "bits",
                  "bits_per_character": "bits", "bits_per_byte": "bits"}


def rescaled_loss(name: str) -> tuple[str, str] | None:
    """``("val_loss", "exp")`` for ``val_ppl``, ``("train_loss", "bits")`` for ``train_bpc`` (and a bare
    ``perplexity``): the loss a perplexity or bits-per-character column rescales, else None."""
    n = normalise(name)
    if n in RESCALED_STEMS:
        return "train_loss", RESCALED_STEMS[n]
    for stem, kind in RESCALED_STEMS.items():
        for split in (n[: -len(stem) - 1] if n.endswith("_" + stem) else None,
                      n[len(stem) + 1:] if n.startswith(stem + "_") else None):
            role = split_role(split) if split else None
            if role is not None:
                return f"{role}_loss", kind
    return None


#: A GAN's two losses, the discriminator's and the generator's, logged side by side (``d_loss``/``g_loss``,
#: ``loss_D``/``loss_G``, ``disc_loss``/``gen_loss``, ``discriminator_loss``/``generator_loss``, with a split word
#: before or after, ``train/d_loss``, ``val_loss_D``): two players of a game, neither the model's objective nor parts
#: of one loss to be summed. A name matches as ``<word>``, ``<word>_loss`` or ``loss_<word>``.
ADVERSARIAL_WORDS = {"d": ("d", "disc", "dis", "discriminator", "netd", "errd", "critic"),
                     "g": ("g", "gen", "generator", "netg", "errg")}


def adversarial_role(stem: str) -> str | None:
    """``"d"`` or ``"g"`` for a GAN loss's name with its split word taken off (``d_loss``, ``loss_g``, ``gen``)."""
    word = stem[:-5] if stem.endswith("_loss") else stem[5:] if stem.startswith("loss_") else stem
    for role, words in ADVERSARIAL_WORDS.items():
        if word in words:
            return role
    return None


def role_and_stem(name: str) -> tuple[str, str]:
    """``("val", "kl")`` for ``val_kl`` / ``kl_val`` / ``val_kl_epoch``: the split word before or after (Lightning's
    ``_epoch`` / ``_step`` copies of one logged name taken off) and the rest, normalised; a name with no split word
    is the training one, as a bare ``loss`` is."""
    n = normalise(name)
    for suffix in ("_epoch", "_step"):
        if n.endswith(suffix):
            n = n[: -len(suffix)]
    head, _, rest = n.partition("_")
    if rest and split_role(head):
        return split_role(head), rest
    rest, _, tail = n.rpartition("_")
    if rest and split_role(tail):
        return split_role(tail), rest
    return "train", n


def adversarial_pair(names) -> dict[str, tuple[str, str]]:
    """``{"train": (d_column, g_column), "val": (...)}`` for each split that logs both a discriminator's and a
    generator's loss; a name with no split word is the training one, as a bare ``loss`` is. Empty for any other log.
    (Bare ``d`` / ``g`` count only with a loss word: ``train_d`` alone is no loss.)"""
    found: dict[str, dict[str, str]] = {}
    for name in names:
        role, stem = role_and_stem(name)
        who = adversarial_role(stem)
        if who is None or ("loss" not in stem.split("_") and stem not in ("errd", "errg")):
            continue
        found.setdefault(role, {}).setdefault(who, name)
    return {r: (p["d"], p["g"]) for r, p in found.items() if "d" in p and "g" in p}


#: The episode reward (or return) of a reinforcement-learning agent's log, by the names the common libraries
#: give it: Stable-Baselines3 (rollout/ep_rew_mean, eval/mean_reward), CleanRL (charts/episodic_return), RLlib
#: (episode_reward_mean, env_runners/episode_return_mean), and plain loops (episode_reward, reward).
RL_REWARDS = ("ep_rew_mean", "mean_reward", "episode_reward_mean", "episode_reward", "episodic_return",
              "episode_return_mean", "episode_return", "ep_return", "ep_reward", "mean_episode_reward", "reward",
              "rewards", "avg_reward", "average_reward", "mean_return", "avg_return", "average_return")


def rl_reward(names) -> str | None:
    """The column an RL agent's log is judged on, its episode reward (an evaluation's before the training
    rollouts'), or None when ``names`` hold none. Its losses (PPO's policy / value / entropy terms, a DQN's TD
    loss) are no measure of progress: the data change with the policy, and a value loss grows with the returns."""
    hits = []
    for name in names:
        n = normalise(name)
        last = next((r for r in RL_REWARDS if n == r or n.endswith("_" + r)), None)
        if last is not None:
            evaluated = n.startswith(("eval", "evaluation", "test"))
            hits.append((not evaluated, name))
    return min(hits)[1] if hits else None


#: Which score a log of scores only (no loss, no accuracy: a YOLO ``results.csv`` cut to its metrics) is
#: diagnosed on, best first: (rank, why). A detection mAP over IoU 0.50:0.95 first -- COCO ranks by it and
#: Ultralytics' own fitness is 0.9 x mAP50-95 + 0.1 x mAP50 --, then a mAP at one IoU or object size, then
#: any other name :func:`losslens.facts.metric_direction` calls a score (F1, Dice, BLEU, R² ...), then
#: precision and recall last: each is half of what a mAP or an F1 weighs together.
SCORE_PREFERENCE = (
    "mAP over IoU 0.50:0.95 (COCO ranks by it; Ultralytics' fitness weighs it 0.9)",
    "a detection mAP",
    "a score by its name (higher is better)",
    "precision (no mAP, F1 or other summary score logged)",
    "recall (no mAP, F1 or other summary score logged)",
)


def _score_rank(name: str) -> int | None:
    """Index into :data:`SCORE_PREFERENCE` of a column name, or None for a name that is no score."""
    from .facts import metric_direction

    if metric_direction(name) is not True:
        return None
    words = [w for w in re.split(r"[^a-z0-9]+", str(name).lower()) if w]
    for i, w in enumerate(words):
        m = re.fullmatch(r"map(\d*)", w)
        if m is None:
            continue
        # mAP50-95 (Ultralytics), map (torchmetrics, MMDetection's coco/bbox_mAP: COCO's 0.50:0.95),
        # against mAP50, map_75, map_small / bbox_mAP_s.
        after = words[i + 1] if i + 1 < len(words) else ""
        if m.group(1):
            return 0 if after == "95" else 1
        return 1 if after.isdigit() or after in ("s", "m", "l", "small", "medium", "large") else 0
    if any(w.startswith("precision") for w in words):
        return 3
    if any(w.startswith("recall") for w in words):
        return 4
    return 2


def primary_score(names) -> tuple[str, str, list[str]] | None:
    """The score a log without loss or accuracy is read on: ``(name, why, the other scores)``, or None.

    By :data:`SCORE_PREFERENCE`; within one rank a held-out set's score (``val_f1``) before others, then the
    log's column order. ``names``: the Run's series names (normalised column names)."""
    names = list(names)
    if {"fit_time", "score_time"} <= {normalise(n) for n in names}:
        return None  # scikit-learn's cross_validate results: a row per fold, not a curve
    ranked = [(rank, not is_validation(n), i, n) for i, n in enumerate(names)
              if axis_kind(n) is None and (rank := _score_rank(n)) is not None]
    if not ranked:
        return None
    ranked.sort()
    return ranked[0][3], SCORE_PREFERENCE[ranked[0][0]], [r[3] for r in ranked[1:]]


def adversarial_players(names) -> set[str]:
    """Every column of :func:`adversarial_pair`'s pairs: the names that are one GAN player's loss."""
    return {c for pair in adversarial_pair(names).values() for c in pair}


def adversarial_middles(middles) -> bool:
    """The ``<name>`` parts of ``<split>_<name>_loss`` columns (:data:`LOSS_PARTS`) are a GAN's two players."""
    roles = {adversarial_role(m) for m in middles}
    return roles == {"d", "g"}


#: ``<split>_<name>_loss`` columns, with ``<name>`` as group 1: parts of one loss when both sides log
#: the same names (YOLO's train/box_loss, val/box_loss ...), else evaluation sets (eval_g0_loss ...).
LOSS_PARTS = {
    "train_loss": re.compile(r"^(?:train|training|trn)_(?!neg_)(.+)_loss$"),
    "val_loss": re.compile(r"^(?:val|valid|validation|eval)_(?!neg_)(.+)_loss$"),
}

#: scikit-learn's scorers negate losses so that higher is better: ``train_neg_log_loss``,
#: ``val_neg_mean_squared_error`` (``cross_validate``'s names) are a loss with its sign flipped.
#: HistGradientBoosting's ``train_score_`` / ``validation_score_`` are the same with its default
#: ``scoring="loss"``: a ``<split>_score`` column whose values are all <= 0 is read so too.
NEGATED = re.compile(r"^(?P<split>[a-z]+(?:_set)?)_neg_(?P<name>\w+)$|^neg_(?P<name2>\w+?)_(?P<split2>[a-z]+(?:_set)?)$")
SCORE_COLUMN = re.compile(r"^(?P<split>[a-z]+(?:_set)?)_score$")

_LOOKUP = {alias: canon for canon, names in ALIASES.items() for alias in names}

#: Per-layer gradient norms are kept in a Run under ``LAYER_GRAD + <layer or parameter>`` (``grad_norm/net.0``): a
#: group read beside the global ``grad_norm``, never a metric of their own (a Lightning module logging
#: ``grad_norm(self, 2)`` writes one column per parameter tensor: dozens of them).
LAYER_GRAD = "grad_norm/"
# Lightning's ``grad_norm()`` (``grad_2.0_norm/<parameter>``, any norm type), and the tags loops give a layer's
# norm (``grad_norm/<layer>``, ``gradients/<layer>``, ``grad/<layer>``); ``_step`` / ``_epoch``: Lightning's copies.
_LAYER_GRAD = re.compile(r"^(?:grad_(?:[\d.]+|inf)_norm|grad_norms?|gradient_norms?|gradients?|grads?)/(?P<name>.+?)"
                         r"(?:_step|_epoch)?$", re.IGNORECASE)
_NOT_A_LAYER = ("total", "global", "all", "norm", "mean", "max", "min")
# A parameter tensor's own name after its module's path (torch's ``net.0.weight``, ``lstm.weight_ih_l0``,
# ``attn.in_proj_bias``; Keras' ``dense/kernel``, ``layer_normalization/gamma``): the norms of one module's tensors
# combine into the module's. Only names no module takes: a module path (what the callbacks record) is read again
# here, and torch's ``bert.embeddings`` is a module, Keras' ``embedding/embeddings`` a variable.
_PARAMETER_LEAF = {".": re.compile(r"^(?:\w*_)?(?:weight|bias)(?:_\w+)?$"),
                   "/": re.compile(r"^(?:kernel|bias|gamma|beta|embeddings|moving_mean|moving_variance|"
                                   r"recurrent_kernel|scale|offset)$")}


def layer_grad(column: str) -> str | None:
    """The layer (or parameter) whose gradient norm ``column`` holds (``grad_2.0_norm/net.0.weight`` ->
    ``net.0.weight``, ``gradients/conv1`` -> ``conv1``), else None: the global norm (``grad_2.0_norm_total``,
    ``grad_norm``) and everything else."""
    m = _LAYER_GRAD.match(str(column).strip())
    if m is None or m.group("name").lower() in _NOT_A_LAYER:
        return None
    return m.group("name")


def layer_of(name: str) -> str:
    """The module a parameter tensor belongs to (``net.0.weight`` -> ``net.0``, ``dense/kernel`` -> ``dense``); a
    name that already names a module is returned as it is."""
    head, sep, leaf = max(name.rpartition("."), name.rpartition("/"), key=lambda t: len(t[0]))
    return head if sep and head and _PARAMETER_LEAF[sep].match(leaf) else name


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


def given_columns(columns) -> dict[str, str]:
    """``columns=`` as every entry point takes it, a dict ``{canonical name: the user's column}`` (None: empty), as
    a new dict; anything else raises :class:`~losslens.exceptions.UsageTypeError` (a list ended in a ValueError
    building a dict, deep in the readers). :func:`map_columns` checks it, so every Run built from named lists does;
    the table reader and :func:`losslens.readers.read` check it before they use it."""
    from collections.abc import Mapping

    from .exceptions import UsageTypeError

    if columns is None:
        return {}
    if not (isinstance(columns, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in columns.items())):
        raise UsageTypeError(f"columns={columns!r}: a dict {{canonical name: your column}}, "
                             "columns={'val_loss': 'my_dev_ce'}")
    return dict(columns)


def map_columns(names, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Map column names to canonical series names: ``{column: canonical}``.

    The first column that maps to a canonical name wins, in the order of ``ALIASES``'s
    tuples (so ``loss`` beats ``train_loss_step`` for ``train_loss``). ``overrides``
    maps canonical names to the user's column (``{"val_loss": "my_dev_ce"}``) and wins.
    Columns that map to nothing keep their own (normalised) name.
    """
    names = list(names)
    overrides = given_columns(overrides)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for canon, column in overrides.items():
        if column not in names:
            continue
        mapping[column] = canon
        taken.add(canon)
    norm = {c: normalise(c) for c in names}
    fastai = _fastai_metric(names, norm, taken)
    for canon, aliases in ALIASES.items():
        if canon in taken:
            continue
        if canon == "val_acc" and fastai is not None:
            mapping[fastai] = canon
            taken.add(canon)
            continue
        for alias in aliases:
            hit = next((c for c in names if norm[c] == alias and c not in mapping and c != fastai), None)
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
    _map_loss_stems(names, norm, mapping, taken)
    if "val_loss" not in taken:
        groups = {c: m.group(1) for c in names if c not in mapping for m in [LOSS_PARTS["val_loss"].match(norm[c])] if m}
        train_parts = {m.group(1) for c in names for m in [LOSS_PARTS["train_loss"].match(norm[c])] if m}
        chosen = None if set(groups.values()) & train_parts or adversarial_middles(groups.values()) else (
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
    # Lightning's loaders logged under names of the user's own (add_dataloader_idx=False): val_loss_clean,
    # val_loss_shifted. As with the dataloader_idx_N names, the first is the validation curve. Two at least:
    # one val_loss_<word> alone may be a variant of the loss (an EMA, a smoothed copy), not a set.
    if "val_loss" not in taken:
        named = [c for c in names if c not in mapping and _NAMED_SET.match(norm[c])]
        if len(named) >= 2:
            mapping[named[0]] = "val_loss"
            taken.add("val_loss")
    for c in names:
        if c not in mapping:
            layer = layer_grad(c)
            mapping[c] = LAYER_GRAD + layer if layer is not None else norm[c] or c
    if rl_reward(names) is not None:
        # An RL agent's losses are not a model's training / validation loss: the rules that read those (a
        # train-validation gap, a training loss that bounces) would read the algorithm's bookkeeping.
        for c, canon in mapping.items():
            if canon in LOSS_SERIES:
                mapping[c] = "rl_" + norm[c] if norm[c] in _LOOKUP else norm[c]
    return mapping


#: ``val_loss_<set>``: one of several validation sets named by the user; not an aggregate or variant of one loss.
_NAMED_SET = re.compile(r"^(?:val|valid|validation|eval)_loss_(?!(?:step|epoch|std|min|max|mean|avg|ema|smooth|"
                        r"smoothed|best|total|sum|var)$)[a-z]\w*$")


def validation_sets(mapping: dict) -> list[str]:
    """The columns of ``mapping`` (:func:`map_columns`'s) that are validation sets beside the one read as
    ``val_loss``, that one first; ``[]`` where the log has one validation set. Several sets are Lightning's
    validation dataloaders (``val_loss/dataloader_idx_0``, ``..._1``; ``val_loss_clean``, ``val_loss_shifted``
    with ``add_dataloader_idx=False``; ``val/clean/loss``) and a Trainer's ``eval_dataset={"a": ..., "b": ...}``
    (``eval_a_loss``, ``eval_b_loss``): siblings of the chosen column's own form."""
    chosen = next((c for c, k in mapping.items() if k == "val_loss"), None)
    n = normalise(chosen) if chosen is not None else ""
    if not n or n in _LOOKUP:
        return []  # a plain val_loss: other val_* columns are other metrics, or parts of it
    idx = re.match(r"^(.+)_dataloader_idx_\d+$", n)
    part = LOSS_PARTS["val_loss"].match(n)
    if idx:
        form = re.compile(rf"^{re.escape(idx.group(1))}_dataloader_idx_\d+$")
    elif _NAMED_SET.match(n):
        form = _NAMED_SET
    elif part:
        form = re.compile(rf"^{re.escape(n[: n.index(part.group(1))])}(?!neg_).+_loss$")
    else:
        return []
    others = [c for c in mapping if c != chosen and form.match(normalise(c))]
    return [chosen] + others if others else []


def keep_validation_sets(meta: dict, mapping: dict) -> None:
    """Where :func:`validation_sets` finds several, their keys in ``meta["validation_sets"]`` (the one read first:
    :meth:`losslens.run.Run.default_note` names the others) and the one read spelt as logged (``val/clean/loss``)."""
    sets = validation_sets(mapping)
    if sets:
        meta["validation_sets"] = [mapping[c] for c in sets]
        meta.setdefault("column_names", {})["val_loss"] = str(sets[0])


def renamed_loss(column: str, key: str) -> str | None:
    """The quantity (:data:`LOSS_STEMS`: ``nll``, ``rmse``, ``error`` ...) a column read as the training or
    validation loss holds by its own name (``val_nll``, ``objective_valid``, ``val_error`` read as ``val_loss``), else
    None: a loss logged as a loss (``loss``, ``eval_loss``) or any other series."""
    if key not in LOSS_SERIES or canonical(column) is not None:
        return None
    hit = _stem_of(normalise(column))
    return hit[1] if hit is not None and hit[0] == key else None


def spelt_as(meta: dict, column: str, key: str) -> None:
    """Record in ``meta["column_names"]`` that series ``key`` is the log's ``column``, where the reader
    only normalised its name (``metrics/mAP50-95(B)`` -> ``metrics_map50_95(b)``): reports show the
    user's spelling (:meth:`losslens.run.Run.label`). Canonical series keep their own names, except the first of
    Lightning's validation dataloaders (``val_loss/dataloader_idx_0`` read as ``val_loss``): the report names the
    loader it read, beside ``val_loss/dataloader_idx_1`` and the others; and a loss logged under the name of what it
    measures (``val_rmse``, ``val_error``, ``objective_valid``: :func:`renamed_loss`), whose quantity is kept in
    ``meta["loss_quantity"]`` too: a gap between a training MSE and a validation RMSE is no gap.

    Every column read under another key is kept in ``meta["read_as"]`` (normalised column -> key), so ``--metric``
    finds the log's own name (``val_nll`` in a log read as ``val_loss``), and in ``meta["logged_names"]`` (key -> the
    log's column), so an error lists the names the user can see in the log."""
    if str(column) != key:
        meta.setdefault("logged_names", {})[key] = str(column)
        if normalise(column) != key:
            meta.setdefault("read_as", {})[normalise(column)] = key
    quantity = renamed_loss(column, key)
    if key != column and key not in _LOOKUP.values() and key == normalise(column):
        meta.setdefault("column_names", {})[key] = str(column)
    elif key != column and normalise(column).endswith("_dataloader_idx_0"):
        meta.setdefault("column_names", {})[key] = str(column)
    elif quantity is not None:
        meta.setdefault("column_names", {})[key] = str(column)
        meta.setdefault("loss_quantity", {})[key] = quantity


def respell(names: dict | None, text: str) -> str:
    """``text`` with each normalised key of ``names`` (``meta["column_names"]``: key -> the log's spelling, as
    :func:`spelt_as` records it) written as the log spelt it: ``val_rmse`` -> ``val_RMSE``. Whole names only (a key is
    never replaced inside a longer one), longest first; a name already spelt as logged is left as it is. For text a
    person reads; JSON and decisions keep the keys."""
    if not names:
        return text
    # (Not before "/name": a name continued by a path segment is another, or the logged spelling already: respelt
    # again, "val_loss/dataloader_idx_0" became ".../dataloader_idx_0/dataloader_idx_0" and its sibling
    # "val_loss/dataloader_idx_1" became "val_loss/dataloader_idx_0/dataloader_idx_1".)
    pattern = re.compile("|".join(rf"(?<![\w/]){re.escape(k)}(?![\w(]|/[A-Za-z_])"
                                  for k in sorted(names, key=len, reverse=True)))
    return pattern.sub(lambda m: names[m.group(0)], text)


#: Accuracy names with no split word: Keras' training accuracy (beside its ``val_accuracy``), and the
#: names fastai gives its metrics.
BARE_ACCURACY = ("accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy")


def _fastai_metric(names, norm, taken) -> str | None:
    """The bare accuracy column of a fastai ``Recorder`` table, or None.

    fastai writes ``train_loss``, ``valid_loss``, then each metric under its own name (``accuracy``,
    ``error_rate``), and computes every metric on the validation set (unless ``train_metrics=True``,
    which names them ``train_accuracy`` / ``valid_accuracy``). Keras' bare ``accuracy`` is the
    training accuracy, but Keras names its training loss ``loss``, never ``train_loss`` beside a
    ``valid_loss``."""
    if "val_acc" in taken or not {"train_loss", "valid_loss"} <= set(norm.values()):
        return None
    if any(_LOOKUP.get(n) in ("val_acc", "train_acc") and n not in BARE_ACCURACY for n in norm.values()):
        return None  # the splits are named (train_accuracy, valid_acc): nothing bare to place
    return next((c for c in names if norm[c] in BARE_ACCURACY), None)


def split_role(word: str) -> str | None:
    """``"train"`` or ``"val"`` for a split word (``training``, ``valid``, ``eval``, ``test`` ...), else None."""
    if word in TRAIN_SPLITS:
        return "train"
    if word in VAL_SPLITS or word in TEST_SPLITS:
        return "val"
    return None


_SPLIT_RANK = {w: i for i, w in enumerate(TRAIN_SPLITS)} | {w: i for i, w in enumerate(VAL_SPLITS + TEST_SPLITS)}


def _stem_of(name: str) -> tuple[str, str, int] | None:
    """``(canonical, stem, split rank)`` of a normalised name such as ``valid_binary_logloss`` or
    ``nll_train`` (a bare ``nll`` is the training one, ranked after every split-named one)."""
    if name in LOSS_STEMS:
        return "train_loss", name, len(_SPLIT_RANK)
    for stem in LOSS_STEMS:
        for split in (name[: -len(stem) - 1] if name.endswith("_" + stem) else None,
                      name[len(stem) + 1:] if name.startswith(stem + "_") else None):
            role = split_role(split) if split else None
            if role is not None:
                return f"{role}_loss", stem, _SPLIT_RANK[split]
    return None


def _map_loss_stems(names, norm, mapping: dict, taken: set) -> None:
    """The training / validation loss from names such as ``train_logloss`` / ``valid_binary_logloss``
    (:data:`LOSS_STEMS`), for a split whose plain loss is not logged. Where both splits log several,
    a name logged for both (``logloss`` beside ``error``) wins, then the order of ``LOSS_STEMS``."""
    wanted = [c for c in ("train_loss", "val_loss") if c not in taken]
    if not wanted:
        return
    found: dict[str, list[tuple[int, int, str, str]]] = {c: [] for c in wanted}
    for col in names:
        hit = None if col in mapping else _stem_of(norm[col])
        if hit is not None and hit[0] in found:
            canon, stem, rank = hit
            found[canon].append((LOSS_STEMS.index(stem), rank, stem, col))
    both = {s for *_, s, _c in found.get("train_loss", [])} & {s for *_, s, _c in found.get("val_loss", [])}
    for canon, cands in found.items():
        if not cands:
            continue
        cands.sort(key=lambda t: (t[2] not in both, t[0], t[1]))
        mapping[cands[0][3]] = canon
        taken.add(canon)


def negated_loss(name: str) -> str | None:
    """``"train_loss"`` / ``"val_loss"`` for scikit-learn's negated-loss names (``val_neg_log_loss``,
    ``neg_mean_squared_error_train``), else None. (Whether a ``<split>_score`` holds a negated loss
    depends on its values: see :data:`SCORE_COLUMN`.)"""
    m = NEGATED.match(normalise(name))
    if m is None:
        return None
    role = split_role(m.group("split") or m.group("split2"))
    return f"{role}_loss" if role else None


def _boosting_on(first: dict, last: dict) -> bool:
    """True when ``first`` is the set a booster is fitted on: its first metric falls at ≥ 99% of
    the rounds (each round lowers the training objective) and ends below the best ``last`` ever
    reached. A second held-out set neither falls every round nor ends below the validation's best."""
    a = np.asarray(next(iter(first.values()), []), dtype=float)
    b = np.asarray(next(iter(last.values()), []), dtype=float)
    if a.size < 10 or b.size < 2 or not (np.isfinite(a).all() and np.isfinite(b).any()):
        return False
    return float(np.mean(np.diff(a) <= 0)) >= 0.99 and a[-1] < np.nanmin(b)


def flatten_splits(obj) -> dict | None:
    """``{split: {metric: values}}`` as flat columns, or None when ``obj`` is not that shape.

    The training split (``train``, ``training`` …) gives ``train_*``; the validation split
    gives ``val_*``: the one named ``val``/``valid``/``validation``/``eval``/``dev``, else a
    ``test`` split, else — for numbered sets such as XGBoost's ``validation_0``,
    ``validation_1`` or LightGBM's ``valid_0`` — the last one, which XGBoost early-stops on; and
    the first numbered set is the training set when it falls at every round and ends below the
    last one's best (XGBoost's ``eval_set=[(X_train, y_train), (X_val, y_val)]``).
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
    if numbered and not role.keys() - {val} and len(rest) >= 2 and _boosting_on(splits[rest[0]], splits[val]):
        # XGBoost's scikit-learn API names its eval_set validation_0, validation_1 ... whatever
        # they hold, and eval_set=[(X_train, y_train), (X_val, y_val)] is its common form.
        role[rest[0]] = "train"
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
