"""Hugging Face ``TrainerCallback``: diagnose while training, report once, act when asked.

    from losslens.integrations.transformers import LosslensCallback

    trainer = Trainer(model, args, train_dataset=..., eval_dataset=...,
                      callbacks=[LosslensCallback(stop_on=("converged", "overfitting", "diverged"))])
    trainer.train()

One row per evaluation (``eval_strategy="epoch"`` or ``"steps"``), or, when the Trainer does
not evaluate, per logged training loss (every ``logging_steps``): the points its
``trainer_state.json`` holds. A row at an evaluation holds the mean of the training losses logged
since the previous row, the mean ``grad_norm`` (the Trainer logs it), the current learning rate and
the ``eval_*`` metrics; the first training loss logged before the first evaluation is a row of its own
(where training started: evaluated once an epoch, a fine-tune's first eval_loss is often its best). The axis is the global step, as in the run's ``trainer_state.json``
(its ``log_history``, which ``losslens diagnose`` reads, and its ``checkpoint-<step>`` folders),
so the live report and the file quote one X; the Trainer's fractional epoch (``state.epoch``)
is kept as the series ``epoch_frac`` and quoted beside X: "plateau at step 35 (epoch 3.5)".
``axis="epoch"`` puts the run on the fractional epoch instead (then the file's read differs).
The run is saved to ``save_path``, by default ``<args.output_dir>/losslens.json``; each further
``model_init`` trial beside it (``losslens-run1.json`` ..., ``losslens-<trial_name>.json``). Lowering
the lr scales the optimizer's param groups and the scheduler's ``base_lrs``, so a warm-up/decay
schedule continues from the lower rate.
With an ``lr_scheduler_type`` other than ``"constant"`` (the Trainer's default is ``"linear"``)
``converged`` does not stop the run while the schedule still changes the lr.
``args.weight_decay`` is read off the optimizer's param groups at the start: the Trainer's default
AdamW decouples it from the loss (it is recorded, not blamed for a high loss); with ``optim="sgd"``
(or another coupled optimizer) a decay that holds both losses level and high reads ``underfitting``.
"""

from __future__ import annotations

import math
import os
import weakref

from ..exceptions import UsageError
from ..readers.huggingface import summed_over
from ._core import (DECAY_KEYS, LRSchedule, Watcher, WatcherViews, broadcast_from_zero, data_parallel, import_framework,
                    to_float)

TrainerCallback = import_framework("transformers", "losslens.integrations.transformers needs transformers: "
                                   "pip install 'losslens[transformers]'").TrainerCallback
from .torch import carry_out, module_dropout, optimizer_class, restore_at_end, optimizer_decay, torch_schedule

_DEFAULT = object()


class LosslensCallback(WatcherViews, TrainerCallback):
    """Parameters are those of :class:`~losslens.integrations._core.Watcher` (``monitor``
    defaults to ``eval_loss`` → ``val_loss``) plus ``axis`` (``"step"``, the default, or ``"epoch"``)."""

    def __init__(self, *, axis: str = "step", save_path=_DEFAULT, **options):
        if axis not in ("epoch", "step"):
            raise UsageError(f"axis must be 'epoch' or 'step', got {axis!r}")
        self._default_save = save_path is _DEFAULT
        self.watcher = Watcher.checked("LosslensCallback", framework="transformers", axis_name=axis,
                                       save_path=None if self._default_save else save_path, **options)
        self.best_state = None
        self._pending: dict[str, list[float]] = {}
        self._evaluates = False
        self._training = False
        self._start = None  # (step, epoch, loss, lr) of the first training loss logged, before any evaluation
        self._epoch_offset = 0.0  # added to the Trainer's epoch in a further train() counted from step 0
        self._model = None  # (a weak reference to) the model of the last train(): model_init makes a new one
        self._group = None  # (rank, world size) under torch.distributed, else None
        self._accum = 1  # args.gradient_accumulation_steps of this train()
        self._divide = None  # what each logged training loss is divided by (1: as logged); None: not yet known


    def on_train_begin(self, args, state, control, **kwargs):
        self._training = True
        # Under torchrun / accelerate (torch.distributed, more than one process) rank 0 alone diagnoses, reports and
        # saves, and its decisions reach the other ranks (_row): the Trainer does not reduce should_training_stop, so a
        # stop set on some ranks only would leave the others in the next step's gradient all-reduce.
        self._group = data_parallel()
        self.watcher.lead = self._group is None or self._group[0] == 0
        try:
            # For stop_gain: the last epoch (state.epoch reaches num_train_epochs) or step planned.
            epoch = self.watcher.axis_name == "epoch"
            # train() again with this callback (more epochs, resume_from_checkpoint=...): the run goes on. A train()
            # from step 0 continues the model, its steps counted after the run so far; resumed from a checkpoint, on
            # the Trainer's own count, the rows after it trained again (Watcher.begin_fit). Both were appended: a
            # second train() of a tiny BERT put steps 16-96 again after 96, and the saved run read the second
            # train's rows over the first's as one run of 96 steps.
            self._pending, self._start = {}, None
            self._accum = int(to_float(getattr(args, "gradient_accumulation_steps", 1)) or 1)
            self._divide = 1 if self._accum < 2 else None
            w = self.watcher
            resumed = state.global_step > 0
            model = kwargs.get("model")
            if w.axis and not resumed and model is not None and self._model is not None and self._model() is not model:
                # A new model from step 0 (the Trainer's model_init, as hyperparameter_search calls it for each trial):
                # a new run, not more of the last one.
                w = self.watcher = w.fresh()
                if self._default_save:
                    w.save_path = None  # (set below, to this train()'s output_dir)
            if not w.axis and getattr(state, "trial_name", None) is not None:
                # hyperparameter_search with hp_name: each trial's run saved under the trial's name (losslens-<name>.json)
                w.save_to(w.base_path, trial=state.trial_name)
            if not w.axis and getattr(state, "trial_params", None):
                w.meta["trial_params"] = dict(state.trial_params)
            self._model = None if model is None else weakref.ref(model)
            self._epoch_offset = 0.0 if resumed or not w.axis else _last(w.history.get("epoch_frac"), w.axis[-1])
            w.begin_fit(state.num_train_epochs if epoch else state.max_steps, _planned_from(args, epoch),
                        offset=0.0 if resumed or not w.axis else float(w.axis[-1]))
            strategy = getattr(args, "eval_strategy", None) or getattr(args, "evaluation_strategy", "no")
            self._evaluates = str(getattr(strategy, "value", strategy)) != "no"
            if self._default_save and self.watcher.save_path is None and state.is_world_process_zero:
                self.watcher.save_to(os.path.join(args.output_dir, "losslens.json"))
            if getattr(args, "load_best_model_at_end", False):
                # The Trainer restores the best checkpoint itself: the diagnosis says so rather than advise it.
                self.watcher.meta["load_best_model_at_end"] = {
                    "metric": getattr(args, "metric_for_best_model", None) or "loss",
                    "greater_is_better": bool(getattr(args, "greater_is_better", False))}
            if state.global_step > 0:  # resume_from_checkpoint: the rows up to its step were saved by the earlier session
                self.watcher.carry_on(state.epoch if self.watcher.axis_name == "epoch" else state.global_step,
                                      inclusive=True)
        except Exception as exc:
            self.watcher.warn_once(exc, "train begin")
        self.watcher.read_train_examples(lambda: kwargs["train_dataloader"].dataset, "the Trainer's len(train_dataset)")
        # The Trainer has built its optimizer by now (AdamW unless args.optim says otherwise).
        self.watcher.read_penalty(lambda: optimizer_decay([kwargs.get("optimizer")]), DECAY_KEYS)
        self.watcher.read_penalty(lambda: module_dropout(kwargs.get("model")), ("dropout",))
        self.watcher.read_optimizer(lambda: optimizer_class([kwargs.get("optimizer")]))

    def on_log(self, args, state, control, logs=None, **kwargs):
        try:
            for key in ("loss", "grad_norm", "learning_rate"):
                if logs and key in logs:
                    value = to_float(logs[key])
                    if key == "loss" and value is not None and self._divide not in (None, 1):
                        value /= self._divide
                    self._pending.setdefault(key, []).append(math.nan if value is None else value)
            if self._training and self._evaluates and logs and "loss" in logs and self._start is None \
                    and not self.watcher.axis:
                loss = self._pending["loss"][-1]
                self._start = (state.global_step, state.epoch, None if math.isnan(loss) else loss,
                               to_float(logs.get("learning_rate")))
        except Exception as exc:
            self.watcher.warn_once(exc, "log")
            return
        if self._training and not self._evaluates and logs and "loss" in logs:
            # Without evaluations the run's points are its logged training losses, each the Trainer's
            # mean over its logging window at that step: trainer_state.json's log_history holds the same
            # rows, so the live report and `losslens diagnose trainer_state.json` read one curve (epoch
            # means of them are another curve, with another X and verdict).
            self._row(args, state, control, {}, kwargs)

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if not self._training:  # trainer.evaluate() after training is not part of the run
            return
        self._row(args, state, control, metrics or {}, kwargs)

    def on_train_end(self, args, state, control, **kwargs):
        self._training = False
        # (With load_best_model_at_end the Trainer loaded its best checkpoint itself.)
        restore = None if getattr(args, "load_best_model_at_end", False) else \
            lambda: restore_at_end(self, kwargs.get("model"))
        self.watcher.train_ended("train end", restore, lambda: _early_stopped(state, self.watcher),
                                 stopper="EarlyStoppingCallback")

    def _row(self, args, state, control, metrics, kwargs):
        """One row, and what was decided carried out: on every rank of a data-parallel run, rank 0's decision (each
        rank reaches the broadcast once per row, even where recording failed: a collective some ranks skip never
        returns). The Trainer gathers the losses and metrics it logs over the ranks: every rank sees the same."""
        decision = self._decide_row(args, state, metrics, kwargs)
        if self._group is not None:
            decision = self.watcher.share(decision, broadcast_from_zero)
        try:
            if carry_out(self, decision, kwargs.get("model"), kwargs.get("optimizer"), kwargs.get("lr_scheduler")):
                control.should_training_stop = True
        except Exception as exc:
            self.watcher.warn_once(exc, "acting on the evaluation")

    def _undo_accumulated_sum(self, metrics):
        """Divide the training losses by ``gradient_accumulation_steps`` (``k``) where Transformers logged their sum.

        Transformers 5.x (seen in 5.24 and 5.25) skips dividing each accumulated batch's loss by ``k`` when the
        model's ``forward`` takes ``**kwargs``, trusting the model to normalise by ``num_items_in_batch``: a model
        that ignores it (BertForSequenceClassification's mean cross-entropy) logs the sum of its ``k`` batches' mean
        losses, ln 2 = 0.69 at the start logged as 1.39 with ``k`` = 2, and an overfitting run read as a too high lr
        (training loss "never got below" validation's). A causal LM's loss divides by ``num_items_in_batch`` and
        logs right with the same ``k``: which it is, is decided once, at the first evaluation, by the training loss
        logged last before it, ``k`` times the eval loss (0.75k to 1.33k) when summed. ``losslens diagnose`` reads
        the run's trainer_state.json the same way (readers/huggingface.py), so both quote one training loss."""
        if self._divide is not None or not isinstance(metrics.get("eval_loss"), (int, float)):
            return
        losses = [v for v in self._pending.get("loss", ()) if math.isfinite(v)]
        evaluated = to_float(metrics["eval_loss"])
        if not losses or evaluated is None or not evaluated > 0:
            return
        k, ratio = self._accum, losses[-1] / evaluated
        self._divide = k if summed_over(ratio, k) else 1
        if self._divide == 1:
            return
        self._pending["loss"] = [v / k for v in self._pending["loss"]]
        if self._start is not None and self._start[2] is not None:
            self._start = (*self._start[:2], self._start[2] / k, self._start[3])
        self.watcher.meta["train_loss_divided_by"] = k
        if self.watcher.lead:
            self.watcher.advise_once(
                "accumulated", f"the training loss is logged {k}x too high ({ratio:.1f}x the eval loss, "
                f"gradient_accumulation_steps={k}: Transformers summed the batches' mean losses, and its gradients "
                f"were {k}x too): read divided by {k}")

    def _decide_row(self, args, state, metrics, kwargs):
        try:
            # (The Trainer adds its fractional "epoch" to the metrics: kept as epoch_frac beside the step, as a
            # column of its own it put the saved file back on epochs when evaluations fell on whole epochs.)
            logs = {k: v for k, v in metrics.items() if k != "epoch" and not k.endswith(("_runtime", "_per_second"))}
            self._undo_accumulated_sum(metrics)
            pending, self._pending = self._pending, {}
            start, self._start = self._start, None
            if start is not None and metrics and not self.watcher.axis and start[0] < state.global_step \
                    and len(pending.get("loss", ())) > 1 and start[2] is not None:
                # The first training loss logged, as a row of its own before the first evaluation (as the run's
                # trainer_state.json holds it): evaluated once an epoch, a fine-tune's first eval_loss is often
                # its best, and only training's own start shows that it had learned by then (the epoch's mean
                # training loss beside it read "never got below where training started": no_signal).
                step, epoch, loss, lr0 = start
                where0 = epoch if self.watcher.axis_name == "epoch" else step
                if where0 is not None:
                    self.watcher.record(float(where0), {"loss": loss}, lr0,
                                        {"epoch_frac": float(epoch)} if self.watcher.axis_name == "step"
                                        and epoch is not None else None)
                    pending["loss"] = pending["loss"][1:]
                    for key in ("grad_norm", "learning_rate"):
                        if len(pending.get(key, ())) > 1:
                            pending[key] = pending[key][1:]
            for key, values in pending.items():
                finite = [v for v in values if math.isfinite(v)]
                if key == "learning_rate":
                    logs.setdefault("lr", values[-1])
                elif key == "loss" and len(finite) < len(values):
                    logs["loss"] = math.inf  # a NaN/inf training loss inside the window: diverged
                elif finite:
                    logs[key] = sum(finite) / len(finite)
            optimizer = kwargs.get("optimizer")
            lr = _lr(optimizer)
            where = state.epoch if self.watcher.axis_name == "epoch" else state.global_step
            if where is None:
                return None
            where = self.watcher.fit_epoch(where)  # (a further train() of this Trainer: see on_train_begin)
            extra = {"epoch_frac": float(state.epoch) + self._epoch_offset} \
                if self.watcher.axis_name == "step" and state.epoch is not None else None
            # At the first row, not at train begin: the first forward pass is what sets config.problem_type.
            self.watcher.read_classes(lambda: model_classes(kwargs.get("model")))
            return self.watcher.end_epoch(float(where), logs, lr=lr, extra=extra,
                                          schedule=_schedule(args, state, kwargs))
        except Exception as exc:
            self.watcher.warn_once(exc, "evaluation")
            return None


def _early_stopped(state, watcher) -> dict | None:
    """``meta["stopped_early"]`` where the Trainer's EarlyStoppingCallback ended the run and losslens did not, read off
    the ``TrainerState`` as ``losslens diagnose`` reads it off the run's trainer_state.json
    (:func:`losslens.readers.huggingface.stopped_early`): the Trainer copies each stateful callback's state into
    ``state.stateful_callbacks`` at every checkpoint it saves, which ``load_best_model_at_end``, the callback's
    requirement, makes at every evaluation, the one that stopped the run included. Live, a tiny BERT the callback
    (patience 4) ended at step 190 of 960 read "converged ... rather than stop, train on with early stopping (P = 70%
    that training on to step 960 gains > 1%)", its trainer_state.json "it was stopped early already ... the stop was
    right" (trained on, it never beat its best: tests/fixtures/ecosystem/hf_earlystop_held). On the epoch axis the
    counts are the Trainer's epochs (the last point's of ``num_train_epochs``) and the best checkpoint's epoch."""
    if watcher.stopped_epoch is not None:  # losslens stopped it (stop_on, stop_gain): said as its own stop
        return None
    from ..readers.huggingface import stopped_early

    obj = {key: getattr(state, key, None) for key in ("stateful_callbacks", "global_step", "max_steps", "best_metric",
                                                      "best_global_step", "best_model_checkpoint", "log_history")}
    record = stopped_early(obj)
    if record is None or watcher.axis_name != "epoch":
        return record
    if state.epoch is None or not watcher.axis:
        return None
    # (the stop came at the run's last evaluation, its last point: a further train()'s epochs counted after the
    # run so far, as the rows are)
    end = float(watcher.axis[-1])
    at = record.get("best_step")
    row = next((r for r in state.log_history or () if r.get("step") == at and "epoch" in r), None)
    epochs = to_float(getattr(state, "num_train_epochs", None))
    return {**record, "epochs_run": end, "epochs": epochs if epochs is not None and epochs > 0 else None,
            "best_step": None if row is None else end - float(state.epoch) + float(row["epoch"])}


def _planned_from(args, epoch_axis: bool) -> str:
    """What set the Trainer's planned end, as the reports quote it ("the planned end (num_train_epochs=12)"): the
    ``max_steps`` the user gave (above 0 it overrides ``num_train_epochs``), else ``num_train_epochs``, from which the
    Trainer computes ``state.max_steps``: a run given only ``num_train_epochs`` read "the planned end (max_steps)"."""
    steps = to_float(getattr(args, "max_steps", None))
    if steps is not None and steps > 0:
        return "max_steps"
    if epoch_axis:
        return "num_train_epochs"
    epochs = to_float(getattr(args, "num_train_epochs", None))
    return "num_train_epochs" if epochs is None else f"num_train_epochs={epochs:g}"


def _schedule(args, state, kwargs) -> LRSchedule | None:
    """The Trainer's lr schedule, unless it is ``"constant"``; ``constant_with_warmup`` runs until
    its warm-up ends, ``reduce_lr_on_plateau`` until every group is at its ``min_lr``."""
    kind = getattr(args, "lr_scheduler_type", "constant")
    kind = str(getattr(kind, "value", kind))
    if kind == "constant":
        return None
    scheduler = kwargs.get("lr_scheduler")
    if kind == "reduce_lr_on_plateau" and scheduler is not None:
        return torch_schedule([scheduler])
    running, warming = True, None
    try:
        warming = state.global_step < args.get_warmup_steps(state.max_steps)
    except Exception:
        pass  # (the Watcher reads a rise off the lrs recorded instead)
    if kind == "constant_with_warmup":
        running = True if warming is None else warming
    return LRSchedule(f'lr_scheduler_type="{kind}"', running=running, warming=warming)


#: The heads whose loss is one softmax cross-entropy over ``config.num_labels`` classes.
_CLASSIFIERS = ("ForSequenceClassification", "ForImageClassification", "ForAudioClassification",
                "ForVideoClassification")


def model_classes(model) -> int | None:
    """K, ``config.num_labels`` of a single-label classification head (``BertForSequenceClassification`` ...)
    whose first forward pass set ``config.problem_type = "single_label_classification"`` (integer labels);
    None for a regression or multi-label head, any other model (a language model's config carries
    ``num_labels=2`` too), or a forward that does not set ``problem_type``. A PEFT wrapper keeps its base
    model's class name suffix and config."""
    cfg = getattr(model, "config", None)
    if cfg is None or not type(model).__name__.endswith(_CLASSIFIERS):
        return None
    k = getattr(cfg, "num_labels", None)
    if getattr(cfg, "problem_type", None) != "single_label_classification" or not isinstance(k, int):
        return None
    return k if k >= 2 else None


def _last(values, default) -> float:
    """The last finite value of ``values`` (a recorded series), else ``default``."""
    finite = [v for v in values or () if math.isfinite(v)]
    return float(finite[-1]) if finite else float(default)


def _lr(optimizer):
    try:
        return float(optimizer.param_groups[0]["lr"])
    except (AttributeError, IndexError, KeyError, TypeError):
        return None
