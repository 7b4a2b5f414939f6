"""The weight penalty a run was trained with, where its log says: a number the rules quote, not measure.

Found in the hyperparameters a logger saved with the run: Lightning's ``hparams.yaml``
(``Run.meta["hparams"]``), W&B's run config (``meta["config"]``), MLflow's params
(``meta["params"]``; the Transformers ``MLflowCallback`` logs every ``TrainingArguments`` field), a Ray Tune
trial's config (its ``params.json``, ``meta["tune_config"]``), a
Transformers hyperparameter search's ``trial_params`` (``meta["trainer_settings"]``),
or what a losslens callback read off the optimizer (``meta["weight_decay"]``). The names are those
the libraries use: torch's and the ``Trainer``'s ``weight_decay``, Keras' ``kernel_regularizer``
L2 factor (``l2``), and the common spellings of an L2 coefficient. The learning rate a run was set to is read
from the same settings (:func:`learning_rate`): what tells a sweep's runs apart in its summary; so is the optimizer
it names (:func:`optimizer_name`), which the actions are worded for; and the dropout rate (:func:`dropout_rate`):
a ``dropout`` hyperparameter a module saved, a Transformers model's ``hidden_dropout_prob`` / ``resid_pdrop``.
"""

from __future__ import annotations

from dataclasses import dataclass

_NAMES = ("weight_decay", "wd", "l2", "l2_reg", "l2_regularization", "l2_lambda", "lambda_l2", "l2_penalty",
          "kernel_regularizer.l2", "decay_weight")


@dataclass
class RegularizationFacts:
    name: str       # the key as logged ("weight_decay", "optimizer.weight_decay", "l2")
    value: float
    where: str      # where it was found ("hparams.yaml", "W&B config", "MLflow params", "optimizer")
    decoupled: bool = False  # AdamW's kind: a bound near 1/value on each weight rather than a penalty in the loss
    shrink: float | None = None  # lr x value: the share of each weight the decay takes a step, where an lr is known


def _number(v) -> float | None:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if v == v and v >= 0 else None


def _decoupled(saved: dict) -> bool:
    """The saved settings name an AdamW optimizer (``optimizer: AdamW``, the Trainer's ``optim: adamw_torch``,
    LightningCLI's ``optimizer.class_path: torch.optim.AdamW``): its ``weight_decay`` is decoupled.

    The callbacks keep such a decay apart (``decoupled_weight_decay``) because it does not hold the losses
    up at usual values (64-wide MLP on digits, AdamW 1e-3: val 0.199 at 0.05 vs 0.195 at 1e-5; docs/
    integrations.md); a decay read from a file follows the same rule, else every AdamW run whose
    losses sit level would be told to lower AdamW's default 0.01.
    """
    for name, value in saved.items():
        if "optim" in str(name).lower() and isinstance(value, str) and "adamw" in value.lower():
            return True
    return False


def flat_settings(saved: dict, wandb: bool = False) -> dict:
    """``saved`` with its nested names dotted (``{"optimizer": {"lr": 0.1}}`` -> ``{"optimizer.lr": 0.1}``, as the
    hparams.yaml reader writes them), a level's own names before its sections'. A W&B config (``wandb``) kept as
    its ``config.yaml`` keeps it, ``{"lr": {"value": 0.1, "desc": null}}``, is read as ``{"lr": 0.1}``, and W&B's
    own top-level entries (``_wandb``: its version, the Python's, the run's start time) are left out. Only that
    shape is unwrapped: a setting that is a dict of its own (W&B's ``run.config`` keeps a nested tree as it is) is
    a section of settings, not a wrapper."""
    flat: dict = {}
    todo = [("", saved)]
    while todo:
        prefix, tree = todo.pop()
        for k, v in tree.items():
            if wandb and not prefix and str(k).startswith("_"):
                continue
            if wandb and isinstance(v, dict) and "value" in v and set(v) <= {"value", "desc"}:
                v = v["value"]
            if isinstance(v, dict) and v:
                todo.append((f"{prefix}{k}.", v))
            else:
                flat[f"{prefix}{k}"] = v
    return flat


def saved_dicts(meta: dict):
    """``(key, where, settings)`` of each dict of saved settings in ``meta``, the losslens callbacks' last:
    ``settings`` flattened by :func:`flat_settings` (a W&B config unwrapped), so every rule reads plain values under
    dotted names whichever logger saved them."""
    for key, where in (("hparams", "hparams.yaml"), ("config", "W&B config"), ("params", "MLflow params"),
                       ("tune_config", "params.json")):
        saved = meta.get(key)
        if isinstance(saved, dict):
            yield key, where, flat_settings(saved, wandb=key == "config")


def trial_params(meta: dict) -> dict:
    """A Transformers hyperparameter search's trial, ``trainer_state.json``'s ``trial_params`` (Optuna's
    ``trial.params``, a Ray Tune or W&B sweep config: ``{"learning_rate": 3e-05, "weight_decay": 0.01}``), which
    the Trainer set its ``TrainingArguments`` from; ``{}`` where none (``meta["trainer_settings"]``)."""
    found = (meta.get("trainer_settings") or {}).get("trial_params") if isinstance(meta, dict) else None
    return found if isinstance(found, dict) else {}


#: The Trainer's ``optim`` choices whose ``weight_decay`` torch adds to the gradient (an L2 penalty); its default,
#: ``adamw_torch``, and the rest (Adafactor, Lion, the 8-bit AdamWs ...) decay the weights apart from it.
_COUPLED_OPTIM = ("sgd", "adagrad", "rmsprop")


def _trial_decay(meta: dict, as_saved: bool = False) -> RegularizationFacts | None:
    """The weight decay a Transformers search's trial set (:func:`trial_params`), read as the Trainer applies it:
    decoupled (AdamW, its default ``optim``) unless the trial names a coupled one (``"optim": "sgd"``); a decoupled
    decay counts from ``DECOUPLED_BOUND`` up, as a losslens callback's does."""
    trial = trial_params(meta)
    value = _number(trial.get("weight_decay"))
    if value is None:
        return None
    where = "trainer_state.json's trial_params"
    optim = str(trial.get("optim", "adamw_torch")).lower()
    if optim.startswith(_COUPLED_OPTIM):
        return RegularizationFacts("weight_decay", value, where)
    if value < DECOUPLED_BOUND and not as_saved:
        return None
    return RegularizationFacts("weight_decay", value, f"{where}, decoupled (the Trainer's AdamW): it bounds each "
                               "weight within about 1/wd of zero", decoupled=True)


def learning_rate(run) -> float | None:
    """The learning rate ``run`` was set to: a setting its logger saved (Lightning's ``hparams.yaml``,
    ``add_hparams``, a W&B config, MLflow params) named as the lr columns are (``lr``, ``learning_rate``, a
    nested ``optimizer.lr``), or a Transformers hyperparameter search's trial (:func:`trial_params`: the rate the
    trial set, which the Trainer's linear decay has lowered by its first logged step: 0.92 of it at step 5 of 50),
    else the largest lr logged (a losslens callback's, a Trainer's): the rate a schedule was set to peak at, where
    the first logged is a warm-up's fraction of it (a Trainer fine-tune at 3e-3 with 10% linear warm-up logged
    3e-4 first). None where neither says, or for no run (a Diagnosis made without one: the
    sweep summaries ask of every run)."""
    if run is None:
        return None
    stated = stated_learning_rate(getattr(run, "meta", None) or {})
    if stated is not None:
        return stated
    logged = run.get("lr") if hasattr(run, "has") and run.has("lr") else None
    if logged is not None:
        finite = [float(v) for v in logged if v == v and abs(v) != float("inf")]
        return max(finite) if finite and max(finite) > 0 else None
    return None


def stated_learning_rate(meta: dict) -> float | None:
    """The learning rate the saved settings in ``meta`` state (:func:`learning_rate`'s first two sources: a
    logger's saved hyperparameters, a Transformers search's trial), the log's own lr series aside; None where they
    state none. ``losslens compare`` tells a rate set from one read off the curve by it."""
    found = stated_learning_rate_from(meta)
    return None if found is None else found[0]


def stated_learning_rate_from(meta: dict) -> tuple[float, str] | None:
    """:func:`stated_learning_rate` and where it is stated (``"hparams.yaml"``, ``"W&B config"``, ``"MLflow
    params"``, ``"trainer_state.json's trial_params"``): the summary's lr column and the evidence name one source."""
    from ..columns import ALIASES

    names = ALIASES["lr"]
    for key, where, saved in saved_dicts(meta):
        for name, value in saved.items():
            leaf = str(name).lower()
            # (mlflow.keras.autolog logs the optimizer's settings as params named optimizer_learning_rate ...)
            leaf = leaf.removeprefix("optimizer_") if key == "params" else leaf
            if (leaf in names or leaf.rsplit(".", 1)[-1] in names) and _number(value):
                return _number(value), where
    trial = trial_params(meta)
    if _number(trial.get("learning_rate")):
        return _number(trial["learning_rate"]), "trainer_state.json's trial_params"
    return None


# A decoupled decay at or above this bounds the weights within unit size (below).
DECOUPLED_BOUND = 1.0


#: A decay that takes this share of each weight a step (lr x wd, per optimizer step; a coupled L2 under SGD and a
#: decoupled one alike) or more counts wherever it is logged, coupled or not: a weight the data's gradient does not
#: re-earn keeps (1 - 0.01)^100 = 37% of itself after 100 steps, a few epochs of a small data set, so the decay, not
#: the fit, sets how large the weights can grow. Usual settings take 1e-5 to 1e-4 a step (AdamW 1e-3 x 0.01, SGD 0.1 x
#: 5e-4). A 64-128-10 MLP on digits at AdamW 1e-2 (tests/fixtures/ecosystem/torch_adamw_wd_high): weight_decay 10,
#: 0.1 a step, held training and validation level at 0.44-0.46; 1, 0.01 a step, reached 0.060-0.080, and 0.1 and
#: 0.01 0.057 and 0.085: at the bar the decay can hold the fit, and the curves (both level, high) then say whether it
#: did.
STRONG_SHRINK = 0.01


def _lr_at_end(run) -> float | None:
    """The lr the run ended at: the last finite positive value of its lr column, else the one its saved settings
    state; None where neither says. The plateau is judged at the end, so the decay's pull is too."""
    logged = run.get("lr") if hasattr(run, "get") else None
    if logged is not None:
        finite = [float(v) for v in logged if v == v and 0 < abs(v) < float("inf")]
        if finite:
            return finite[-1]
    return stated_learning_rate(getattr(run, "meta", None) or {})


def _column_decay(run) -> tuple[str, float] | None:
    """A weight decay the log carries as a column (a CSV's ``weight_decay``, a callback's extra field): its name
    and the last finite value, the one the run ended under; None where it has none."""
    for name in getattr(run, "series", None) or {}:
        if str(name).lower() in _NAMES:
            arr = run.get(name)
            finite = [] if arr is None else [float(v) for v in arr if v == v and 0 <= v < float("inf")]
            if finite:
                return str(name), finite[-1]
    return None


def run_weight_decay(run) -> RegularizationFacts | None:
    """:func:`weight_decay` of ``run``'s saved settings, its ``shrink`` (lr x wd a step) set where an lr is known;
    where those give none, a decay they pass over for being decoupled (AdamW's, under ``DECOUPLED_BOUND``) or a
    ``weight_decay`` column counts where it takes ``STRONG_SHRINK`` of each weight a step or more (a column's
    optimizer unknown: only then, whichever kind it is)."""
    meta = getattr(run, "meta", None) or {}
    lr = _lr_at_end(run)
    found = weight_decay(meta)
    strong = None if lr is None else _strong_saved(meta, lr)
    if found is not None and not (strong is not None and found.decoupled and found.name == strong.name):
        found.shrink = None if lr is None else lr * found.value
        return found
    if lr is None:
        return None
    split = meta.get("decoupled_weight_decay")
    if isinstance(split, dict) and (_number(split.get("value")) or 0.0) * lr >= STRONG_SHRINK:
        value = _number(split["value"])
        return RegularizationFacts(str(split.get("name", "weight_decay")), value,
                                   f"{split.get('where', 'optimizer')}, decoupled: lr x wd = {lr * value:.2g} of each "
                                   "weight a step", decoupled=True, shrink=lr * value)
    if strong is not None:
        return strong
    column = _column_decay(run)
    if column is not None and column[1] * lr >= STRONG_SHRINK:
        name, v = column
        return RegularizationFacts(name, v, f"the log's {name} column: lr x wd = {lr * v:.2g} of each weight a step",
                                   shrink=lr * v)
    return None


def _strong_saved(meta: dict, lr: float) -> RegularizationFacts | None:
    """A decoupled (AdamW) decay in the saved settings that takes ``STRONG_SHRINK`` of each weight a step or more at
    ``lr``, worded by that share (which says more than the 1/wd bound where both hold); None where none does."""
    for _key, where, saved in saved_dicts(meta):
        if not _decoupled(saved):
            continue
        for name, value in saved.items():
            leaf = str(name).lower()
            v = _number(value)
            if (leaf in _NAMES or leaf.rsplit(".", 1)[-1] in _NAMES) and v is not None and v * lr >= STRONG_SHRINK:
                return RegularizationFacts(str(name), v, f"{where}, decoupled: lr x wd = {lr * v:.2g} of each weight "
                                           "a step", decoupled=True, shrink=lr * v)
    return None


def weight_decay(meta: dict, as_saved: bool = False) -> RegularizationFacts | None:
    """The logged weight decay / L2 coefficient, or None where the log gives none (or only a decoupled,
    AdamW, decay under ``DECOUPLED_BOUND``). ``as_saved``: the value the settings hold whatever its strength, a
    decoupled one of any size too (``losslens compare`` names a change of it: AdamW 0.01 -> 1.0 in hparams.yaml is
    the change made, though 0.01 alone holds nothing).

    A decoupled decay counts from 1 up: Adam's normalised step moves a weight by about ``lr`` a step and the decay
    takes ``lr * wd * w``, so no weight settles farther than 1/wd from zero, and from wd = 1 that is within the unit
    scale a trained layer's weights use. Below it the bound does not bite (AdamW 1e-3 on a 64-wide digits MLP: val
    0.199 at 0.05, 0.195 at 1e-5); at 1 it holds the fit (128 wide, fixture fresh_kinds2: 0.206 at lr 1e-2 and
    0.196 at 1e-3, against 0.086 and 0.104 at 0.01)."""
    direct = meta.get("weight_decay")
    if isinstance(direct, dict) and _number(direct.get("value")) is not None:
        return RegularizationFacts(str(direct.get("name", "weight_decay")), _number(direct["value"]),
                                   str(direct.get("where", "optimizer")))
    split = meta.get("decoupled_weight_decay")
    bound = 0.0 if as_saved else DECOUPLED_BOUND
    if isinstance(split, dict) and _number(split.get("value")) is not None and _number(split["value"]) >= bound:
        return RegularizationFacts(str(split.get("name", "weight_decay")), _number(split["value"]),
                                   f"{split.get('where', 'optimizer')}, decoupled: it bounds each weight within "
                                   "about 1/wd of zero", decoupled=True)
    for key, where, saved in saved_dicts(meta):
        decoupled = _decoupled(saved)
        for name, value in saved.items():
            leaf = str(name).lower()
            v = _number(value)
            if (leaf in _NAMES or leaf.rsplit(".", 1)[-1] in _NAMES) and v is not None:
                if decoupled and v < DECOUPLED_BOUND and not as_saved:
                    break
                if key == "params" and meta.get("format") != "mlflow":
                    where = "the run's params"
                if decoupled and not as_saved:
                    # (as a callback's decoupled decay and a Trainer search's: from 1 up it bounds the weights)
                    where = f"{where}, decoupled: it bounds each weight within about 1/wd of zero"
                return RegularizationFacts(str(name), v, where, decoupled=decoupled)
    return _trial_decay(meta, as_saved)


#: The names a dropout rate (the probability of zeroing a unit, 0 to 1) is saved under: a module's own hyperparameter
#: (``save_hyperparameters()``: ``dropout``, ``dropout_rate``, timm's ``drop_rate``), and a Transformers model config's
#: (BERT's ``hidden_dropout_prob`` and ``attention_probs_dropout_prob``, GPT-2's ``resid_pdrop``, BART's ``dropout``).
#: Not stochastic depth (``drop_path_rate``): it drops whole residual branches, another regularizer.
DROPOUT_NAMES = ("dropout", "dropout_rate", "drop_rate", "dropout_prob", "dropout_p", "p_dropout", "hidden_dropout",
                 "hidden_dropout_prob", "attention_probs_dropout_prob", "attention_dropout", "resid_pdrop",
                 "embd_pdrop", "attn_pdrop", "classifier_dropout", "activation_dropout")


def as_rate(v) -> float | None:
    """``v`` as a dropout probability, in [0, 1); None for anything else (a bool, a 1.0 that drops every unit, a
    layer count saved under a dropout-like name)."""
    if isinstance(v, bool):
        return None
    v = _number(v)
    return v if v is not None and v < 1 else None


def dropout_rate(meta: dict) -> RegularizationFacts | None:
    """The largest dropout rate the run's saved settings give (``value``: a probability, 0 to 1), or None.

    ``meta["dropout"]`` first (``{"name", "value", "where"}``: what a reader found in a model config, the
    Transformers ``config.json`` beside ``trainer_state.json``), else a logger's saved settings (:func:`saved_dicts`:
    Lightning's ``hparams.yaml``, a W&B config, MLflow params) under one of :data:`DROPOUT_NAMES`, nested or not
    (``model.dropout``), else a Transformers search's trial. The largest of one source's rates: the units it drops
    most are the fit it holds most (BERT's attention and hidden dropout are both 0.1 by default)."""
    if not isinstance(meta, dict):
        return None
    direct = meta.get("dropout")
    if isinstance(direct, dict) and as_rate(direct.get("value")) is not None:
        return RegularizationFacts(str(direct.get("name", "dropout")), as_rate(direct["value"]),
                                   str(direct.get("where", "the model")))
    sources = [(where, saved) for _key, where, saved in saved_dicts(meta)]
    sources.append(("trainer_state.json's trial_params", trial_params(meta)))
    for where, saved in sources:
        found = [(rate, str(name)) for name, value in saved.items()
                 if str(name).lower().rsplit(".", 1)[-1] in DROPOUT_NAMES and (rate := as_rate(value)) is not None]
        if found:
            rate, name = max(found)
            return RegularizationFacts(name, rate, where)
    return None


#: Where saved settings name the optimizer: a LightningModule's ``save_hyperparameters()`` argument, LightningCLI's
#: ``optimizer.class_path``, mlflow.keras / mlflow.pytorch autolog's ``optimizer_name``, the Trainer's ``optim``.
_OPTIMIZER_KEYS = ("optimizer", "optimizer_name", "optimizer.class_path", "optim", "optimizer_type", "optimizer_class")

#: Canonical spellings (torch's and Keras' class names) by lower-cased name or the Trainer's ``optim`` family.
_OPTIMIZERS = {n.lower(): n for n in (
    "SGD", "Adam", "AdamW", "Adamax", "Nadam", "NAdam", "RAdam", "AMSGrad", "RMSprop", "Adagrad", "Adadelta",
    "Adafactor", "Lion", "Lamb", "Ftrl", "SparseAdam", "AdaBelief", "Adan", "AdEMAMix", "ASGD", "Rprop",
    "LBFGS", "Muon", "Lomo", "AdaLomo")}
# (TF 1's GradientDescentOptimizer / MomentumOptimizer, which DeepOBS names its runs by, are SGD.)
_OPTIMIZERS.update({"grokadamw": "AdamW", "gradientdescent": "SGD", "momentum": "SGD"})

#: Optimizers that scale each weight's step by its own gradient history (or its sign, Lion's): "switch to an adaptive
#: optimizer" is no advice for a run already on one.
ADAPTIVE = frozenset(("adam", "adamw", "adamax", "nadam", "radam", "amsgrad", "rmsprop", "adagrad", "adadelta",
                      "adafactor", "lion", "lamb", "ftrl", "sparseadam", "adabelief", "adan", "ademamix", "adalomo"))


def _canonical(value) -> str | None:
    """``"torch.optim.AdamW"``, ``"adamw_torch_fused"``, ``"OptimizerNames.ADAMW_TORCH"``, ``"paged_adamw_8bit"``,
    ``"adam"`` -> ``"AdamW"``, ..., ``"Adam"``; a name of no known family is kept as given (``"Muon2"``); None for
    no name (``"auto"``, Ultralytics' choice made at run time; an empty string)."""
    text = str(value).strip().removeprefix("<class ").strip("'\"<>")
    if not text or text.lower() in ("auto", "none", "null", "default"):
        return None
    leaf = text.rsplit(".", 1)[-1]
    low = leaf.lower()
    if low in _OPTIMIZERS and leaf != low:  # a class's own spelling (Keras' Nadam beside torch's NAdam)
        return leaf
    for prefix in ("paged_", "galore_", "schedule_free_", "apollo_", "stable_"):
        low = low.removeprefix(prefix)
    for name in (low, low.split("_", 1)[0], low.removesuffix("optimizer")):
        if name in _OPTIMIZERS:
            return _OPTIMIZERS[name]
    return leaf


def optimizer_name(meta: dict) -> str | None:
    """The optimizer a run was trained with, one name (``"Adam"``, ``"AdamW"``, ``"SGD"``), where its log says;
    None where it does not.

    ``meta["optimizer"]``, where a losslens callback (the optimizer's class) or the lab recorded it, else the
    settings a logger saved with the run (:func:`saved_dicts`: ``hparams.yaml``, a W&B config, MLflow params) or a
    Transformers search's trial under one of ``_OPTIMIZER_KEYS``, spelt as its class (:func:`_canonical`). A
    Trainer's ``optim`` absent from its saved settings is not assumed to be its default AdamW."""
    if not isinstance(meta, dict):
        return None
    own = meta.get("optimizer")
    if isinstance(own, str):
        return _canonical(own)
    for _key, _where, saved in saved_dicts(meta):
        for name in _OPTIMIZER_KEYS:
            if isinstance(saved.get(name), str):
                return _canonical(saved[name])
    trial = trial_params(meta)
    return _canonical(trial["optim"]) if isinstance(trial.get("optim"), str) else None


def optimizer_kind(name: str | None) -> str | None:
    """``"adaptive"`` (Adam, RMSprop, Lion ... :data:`ADAPTIVE`), ``"sgd"`` (SGD, with or without momentum),
    ``"other"`` (a known optimizer of neither kind: LBFGS, Muon), or None for no name or one of no known family (a
    custom class, or a setting named ``optimizer`` that holds something else: nothing is assumed of it)."""
    low = None if name is None else name.lower()
    if low not in _OPTIMIZERS:
        return None
    return "adaptive" if low in ADAPTIVE else "sgd" if low == "sgd" else "other"
