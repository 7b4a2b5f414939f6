"""Lightning callback: diagnose while training, report once, act when asked.

    from losslens.integrations.lightning import LosslensCallback

    cb = LosslensCallback(stop_on=("converged", "overfitting", "diverged"), restore_best_weights=True)
    trainer = L.Trainer(max_epochs=200, callbacks=[cb])
    trainer.fit(model, train_loader, val_loader)
    cb.reported            # the Diagnosis it reported

Reads what the LightningModule logs with ``self.log`` (``train_loss``/``loss``,
``val_loss``, accuracies ...; epoch-level values, so log with ``on_epoch=True``) from
``trainer.callback_metrics`` at each training-epoch end (validation has run by then), the
learning rate from the first optimizer, and samples gradient evidence in
``on_before_optimizer_step`` every ``grad_every`` steps. Validation checked inside epochs
(``val_check_interval=0.5``, or every 50 batches, fewer than an epoch's or counted across epochs with
``check_val_every_n_epoch=None``) puts the run on the step axis, a row at each check as the ``CSVLogger``'s
``metrics.csv`` has it (the step Lightning logs it at, the epoch beside it
as ``epoch_frac``) and the training values on the epoch's last row: the run the CSV reader makes of that
file, where one row an epoch kept its last check only. The run is saved to ``save_path``,
by default ``<trainer.log_dir>/losslens.json``. Works with ``lightning`` and
``pytorch_lightning``. A ``fit`` of the same LightningModule again (a new Trainer for a second phase) goes on with
the run; a ``fit`` of another module object (a sweep that reuses one callback) is a new run, saved beside the first:
``losslens-run1.json``, ``losslens-run2.json`` ... in that fit's log directory (with ``save_path``: ``<stem>-run1.json``
beside it). So is a ``fit`` of the same module whose weights were re-initialised in place (``reset_parameters()``,
the first ``state_dict`` loaded back), told by a few entries of each weight kept at each epoch end
(:class:`~losslens.integrations._core.WeightPrints`); one that starts at an epoch's weights goes on with the run.

``self.log("train_loss", loss)`` in ``training_step`` logs per step only (Lightning's default
there): its epoch-end value is the last batch's loss. The callback then warns once and records
the mean of the losses ``training_step`` returned in the epoch instead (when the logged value is
that loss), each weighted by its batch's size, as Lightning's own ``on_epoch`` mean weighs it: the ``batch_size=``
given to that ``self.log`` (read by wrapping the module's ``log`` for the fit), else the first dimension the batch's
tensors share (:func:`_batch_size`). Logged with ``on_epoch=True``, Lightning's own epoch value is recorded. Which names are logged per step only is read off Lightning's private result
collection; a Lightning where it cannot be read gets a one-time warning and the logged value.
An lr scheduler (``trainer.lr_scheduler_configs``) keeps ``converged`` and ``stop_gain`` from
stopping the run while it will still change the lr.
The optimizers' ``weight_decay`` (``trainer.optimizers``) is read once, at the start: a coupled
decay (SGD's, Adam's) that holds both losses level and high reads ``underfitting`` (held by a weight
penalty), not ``converged``; AdamW's decoupled decay is recorded, not blamed.
"""

from __future__ import annotations

import math
import os
import weakref

from ..columns import canonical, is_validation
from ._core import (DECAY_KEYS, Decision, GradientProbe, MonitorError, Watcher, WatcherViews, WeightPrints,
                    import_framework, to_float)

try:
    from lightning.pytorch.callbacks import Callback
except ImportError:  # the older package name
    Callback = import_framework("pytorch_lightning.callbacks", "losslens.integrations.lightning needs Lightning: "
                                "pip install 'losslens[lightning]'").Callback
from .torch import (carry_out, module_dropout, module_frozen, restore_at_end, optimizer_class, optimizer_decay,
                    torch_print, torch_schedule)

_DEFAULT = object()


class LosslensCallback(WatcherViews, Callback):
    """Diagnose the run at every epoch end; report once; stop / restore / lower the lr on request.

    Parameters are those of :class:`~losslens.integrations._core.Watcher` plus
    ``grad_every`` (sample gradient evidence every this many optimizer steps; None: off), ``grad_layers`` (at
    most this many layers' own gradient norms beside the global one, ``grad_norm/<module>``; 0: off).
    ``save_path`` defaults to ``losslens.json`` in the trainer's log directory (the run named by that folder,
    ``version_0``, as ``losslens diagnose`` names it); pass None to save nothing. ``strict``: as Lightning's
    ``EarlyStopping``, raise (:class:`~losslens.MonitorError`, a ``RuntimeError``) at the first validation that
    does not log ``monitor``, naming the series it does, where the monitor decides what the callback does
    (``restore_best_weights``, ``stop_gain``); False, or a monitor that only picks the curve reported: a warning,
    the best tracked on ``val_loss`` (else ``val_acc``, else ``train_loss``) instead.
    """

    def __init__(self, *, grad_every: int | None = 16, grad_layers: int = 30, save_path=_DEFAULT, strict: bool = True,
                 **options):
        super().__init__()
        self._default_save = save_path is _DEFAULT
        self.watcher = Watcher.checked("LosslensCallback", framework="lightning",
                                       save_path=None if self._default_save else save_path, **options)
        self.watcher.strict_monitor = bool(strict)
        self.probe = GradientProbe(grad_every, layers=grad_layers)
        self.best_state = None
        self._val_ran = False
        self._per_check = False  # validation several times an epoch: a row per check, on the step axis
        self._loss_sum = None   # the losses training_step returned this epoch (per-step logging)
        self._loss_n = 0
        self._loss_wsum = None  # the same losses each times its batch's size, and the sizes' sum (None: a size unknown)
        self._loss_w = 0
        self._loss_last = None
        self._logged_size = None  # the batch_size= this batch's training loss was logged with (read by _watch_log)
        self._saved = None      # the run so far, as a checkpoint this fit resumes from holds it
        self._module = None     # (a weak reference to) the module of the last fit: another module is another run
        self._new_run = False   # this fit started a new run: said once its file is known
        self._prints = WeightPrints()  # the run's weights, to tell weights re-initialised in place from more training

    def state_dict(self):
        # In every checkpoint: a fit resumed from it (ckpt_path=, a new process, a new log directory) carries the run on.
        return {"run": self.watcher.to_history()}

    def load_state_dict(self, state_dict):
        self._saved = state_dict.get("run")

    def on_fit_start(self, trainer, pl_module):
        # Under a data-parallel strategy (ddp, fsdp, deepspeed ...) rank 0 alone diagnoses, reports and saves; its
        # decisions reach the other ranks through the strategy's broadcast (_carry_out), as EarlyStopping reduces
        # its own: a stop set on some ranks only left the others in the next epoch's gradient all-reduce.
        self.watcher.lead = bool(getattr(trainer, "is_global_zero", True))
        try:
            again = self.watcher.axis and self._module is not None and self._module() is pl_module
            if again and self._prints.restarted(torch_print(pl_module)):
                # The same module with its weights re-initialised in place: as another module (below).
                self._new_run = "fit of the same module with its weights re-initialised"
            if self.watcher.axis and self._module is not None and (self._module() is not pl_module or self._new_run):
                # Another module (a sweep reusing one callback): appended to the last module's epochs, its run read
                # as one curve with a jump where it started.
                self.watcher = self.watcher.fresh()
                self.watcher.axis_name = "epoch"  # (this fit's validation checks decide the axis anew)
                if self._default_save:
                    self.watcher.save_path = None  # (set below, in this fit's log directory)
                self.best_state, self._saved, self._per_check, self._val_ran = None, None, False, False
                self._loss_sum, self._loss_n, self._loss_last = None, 0, None
                self._loss_wsum, self._loss_w = None, 0
                self._new_run = self._new_run or "fit of another module"
            if not self.watcher.axis:
                self._prints.start(torch_print(pl_module))
            self._module = weakref.ref(pl_module)
        except Exception as exc:
            self.watcher.warn_once(exc, "fit start")
        if self._default_save and self.watcher.save_path is None and not trainer.fast_dev_run:
            # (fast_dev_run, a smoke test of one batch, "suppresses logging and checkpointing": its losslens.json
            # landed in the working directory, a run of one epoch no reader diagnoses.)
            try:
                directory = trainer.log_dir or trainer.default_root_dir
                if directory and trainer.is_global_zero:
                    self.watcher.save_to(os.path.join(directory, "losslens.json"))
            except Exception as exc:
                self.watcher.warn_once(exc, "finding the log directory")
        if self._new_run:
            given, self._new_run = self._new_run, False
            self.watcher.say_new_run(given)

    def on_train_start(self, trainer, pl_module):
        try:
            if not self.watcher.axis and _checks_inside_epochs(trainer) and _logged_step(trainer) is not None:
                self._per_check = True
                self.watcher.axis_name = "step"
            # For stop_gain: the last epoch (step) planned (here, not at fit start: max_steps needs the batches per
            # epoch, known once the training data is set up). A further fit with this callback (a new Trainer, as
            # fine-tuning after a frozen phase may use) goes on with the run (Watcher.begin_fit).
            self.watcher.begin_fit(_planned_end(trainer, pl_module, self.watcher.axis_name),
                                   "the Trainer's max_epochs / max_steps")
        except Exception as exc:
            self.watcher.warn_once(exc, "reading max_epochs / max_steps")
        # (the training dataloader is set up by now)
        self.watcher.read_train_examples(lambda: trainer.train_dataloader.dataset, "len(train_dataloader.dataset)")
        try:
            self._watch_log(pl_module)
        except Exception as exc:
            self.watcher.warn_once(exc, "reading self.log's batch_size")
        # Once: configure_optimizers has run by now.
        self.watcher.read_penalty(lambda: optimizer_decay(trainer.optimizers or []), DECAY_KEYS)
        self.watcher.read_penalty(lambda: module_dropout(pl_module), ("dropout",))
        self.watcher.read_optimizer(lambda: optimizer_class(trainer.optimizers or []))

    def on_before_optimizer_step(self, trainer, pl_module, optimizer):
        if self.probe.every is None:
            return
        try:
            self.probe.observe(((n, p) for n, p in pl_module.named_parameters() if p.requires_grad),
                               clip_norm=_clip_norm(trainer, pl_module))
        except Exception as exc:
            self.probe.every = None
            self.watcher.warn_once(exc, "gradient probe")

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        try:
            loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
            if loss is None or not hasattr(loss, "detach") or loss.numel() != 1:
                return
            loss = loss.detach()
            # The batch_size given to self.log for the training loss, as Lightning weighs an on_epoch mean by it; else
            # the size Lightning would infer (a batch carrying a tensor of another length beside its examples, class
            # weights or a graph's nodes, gives none: unweighted).
            size, self._logged_size = self._logged_size, None
            size = _batch_size(batch) if size is None else size
            if self._loss_w is not None:
                if size is None:
                    self._loss_wsum, self._loss_w = None, None  # (one batch of unknown size: unweighted, all of them)
                else:
                    self._loss_wsum = loss * size if self._loss_wsum is None else self._loss_wsum + loss * size
                    self._loss_w += size
            self._loss_sum = loss if self._loss_sum is None else self._loss_sum + loss
            self._loss_n += 1
            self._loss_last = loss
        except Exception as exc:
            self.watcher.warn_once(exc, "reading training_step's loss")

    def on_validation_epoch_end(self, trainer, pl_module):
        if not trainer.sanity_checking and not self._per_check:
            self._val_ran = True

    def on_validation_end(self, trainer, pl_module):
        if not self._per_check or trainer.sanity_checking or not _fitting(trainer):
            return
        decision = None
        try:
            if trainer.fit_loop.epoch_loop.batch_progress.is_last_batch:
                self._val_ran = True  # the epoch's own row, with its training values, comes at its end
                return
            logs = {k: v for k, v in trainer.callback_metrics.items() if is_validation(str(k))}
            decision = self._record(trainer, pl_module, _logged_step(trainer), logs)
        except MonitorError:
            raise  # (strict: Lightning's own EarlyStopping raises alike)
        except Exception as exc:
            self.watcher.warn_once(exc, f"validation at step {trainer.global_step}")
        self._carry_out(trainer, pl_module, decision)

    def on_train_epoch_end(self, trainer, pl_module):
        if trainer.sanity_checking:
            return
        decision = None
        try:
            logs = dict(trainer.callback_metrics)
            if not self._val_ran:
                # No validation this epoch (check_val_every_n_epoch > 1), or none at its end (its checks
                # were recorded as they ran): callback_metrics still hold the last validation values,
                # which must not be recorded again.
                logs = {k: v for k, v in logs.items() if not str(k).lower().startswith(("val", "valid"))}
            self._val_ran = False
            self._epoch_train_loss(trainer, pl_module, logs)
            if self._per_check:
                # Lightning logs an epoch's own values at its last step (the step counter has moved past it).
                step = _logged_step(trainer) - 1
                if self.watcher.axis and self.watcher.axis[-1] == step:
                    # A stop at a check mid-epoch ends the epoch there, and its values are logged at that check's
                    # step: they join its row (a Run merges a repeated step, as the CSV reader merges the file's
                    # two rows there), which was decided on already; diagnosed again, the stop was said twice.
                    self.watcher.record(step, logs, self._get_lr(trainer),
                                        {"epoch_frac": float(trainer.current_epoch)})
                    self.watcher.save()
                else:
                    decision = self._record(trainer, pl_module, step, logs)
            else:
                if trainer.current_epoch > 0:  # resumed from a checkpoint (ckpt_path=) by a fresh callback
                    self.watcher.carry_on(trainer.current_epoch, saved=self._saved)
                at = self.watcher.fit_epoch(trainer.current_epoch)  # (a new Trainer counts from 0 again)
                decision = self._record(trainer, pl_module, at, logs)
        except MonitorError:
            raise  # (strict: Lightning's own EarlyStopping raises alike)
        except Exception as exc:
            self.watcher.warn_once(exc, f"epoch {trainer.current_epoch} end")
        self._carry_out(trainer, pl_module, decision)

    def _record(self, trainer, pl_module, at, logs) -> Decision:
        """One row at ``at`` (an epoch, or on the step axis a step); what the diagnosis decided (:meth:`_carry_out`)."""
        configs = getattr(trainer, "lr_scheduler_configs", None) or []
        self.watcher.read_frozen(lambda: module_frozen(pl_module))
        extra = self.probe.pop_epoch()
        if self._per_check:
            if trainer.current_epoch > 0:  # resumed from a checkpoint (ckpt_path=) by a fresh callback
                self.watcher.carry_on(at, saved=self._saved)
            extra["epoch_frac"] = float(trainer.current_epoch)  # the metrics.csv's epoch column
        return self.watcher.end_epoch(at, logs, lr=self._get_lr(trainer), extra=extra,
                                      schedule=torch_schedule([c.scheduler for c in configs], at,
                                                               self.watcher.horizon))

    def _carry_out(self, trainer, pl_module, decision: Decision | None) -> None:
        """Do what was decided: on every rank of a data-parallel run, rank 0's decision (reached on every rank, once at
        each row, even where recording it failed: a collective some ranks skip never returns)."""
        if getattr(trainer, "world_size", 1) > 1:
            decision = self.watcher.share(decision, lambda obj: trainer.strategy.broadcast(obj, src=0))
        if decision is None:
            return
        try:
            configs = getattr(trainer, "lr_scheduler_configs", None) or []
            if carry_out(self, decision, pl_module, trainer.optimizers[0] if trainer.optimizers else None,
                         configs[0].scheduler if configs else None):
                trainer.should_stop = True
            self._prints.epoch(torch_print(pl_module))
        except Exception as exc:
            self.watcher.warn_once(exc, f"acting at epoch {trainer.current_epoch}")

    def _watch_log(self, pl_module) -> None:
        """Read the ``batch_size=`` that ``training_step`` gives ``self.log`` for its training loss, for the epoch mean
        of a loss logged per step only (:meth:`_epoch_train_loss`): Lightning keeps no trace of it there (it weighs
        only an ``on_epoch`` mean by it), so ``pl_module.log`` is wrapped for the fit, on the instance, and put back at
        its end (:meth:`_unwatch_log`). A batch whose tensors disagree in length (4 examples and a tensor of 10 class
        weights) was averaged unweighted, its ragged last batch weighing as a full one, though the user said its size."""
        original = pl_module.log
        if getattr(original, "losslens_wrapped", False):
            return
        # A ``log`` the user set on the instance before the fit is theirs to get back at its end, not deleted.
        pl_module.log = _SizeReadingLog(pl_module, original, self, pl_module.__dict__.get("log", _NOTHING))

    @staticmethod
    def _unwatch_log(pl_module) -> None:
        """Put back what the instance held as ``log`` before :meth:`_watch_log`: the user's own attribute, or none."""
        wrapped = pl_module.__dict__.get("log")
        if getattr(wrapped, "losslens_wrapped", False):
            if wrapped.prior is _NOTHING:
                del pl_module.__dict__["log"]
            else:
                pl_module.__dict__["log"] = wrapped.prior

    def on_exception(self, trainer, pl_module, exception):
        try:
            self._unwatch_log(pl_module)
        except Exception:
            pass

    def on_fit_end(self, trainer, pl_module):
        try:
            self._unwatch_log(pl_module)
        except Exception as exc:
            self.watcher.warn_once(exc, "putting self.log back")

        def restore():
            restore_at_end(self, pl_module)
            self._prints.epoch(torch_print(pl_module))

        self.watcher.train_ended("fit end", restore, lambda: _early_stopped(trainer, self.watcher))

    def _epoch_train_loss(self, trainer, pl_module, logs):
        """A training loss logged per step only: its value now is the last batch's. Warn once;
        replace it by the epoch mean of the losses training_step returned when it is that loss."""
        total, n, last = self._loss_sum, self._loss_n, self._loss_last
        if self._loss_wsum is not None and self._loss_w:
            # The loss over the epoch's examples, as Lightning's own on_epoch mean weighs each batch by its size: a
            # ragged last batch (8 examples after 31 of 32) weighed 1/32 of the mean instead of 8/1000.
            total, n = self._loss_wsum, float(self._loss_w)
        self._loss_sum, self._loss_n, self._loss_last = None, 0, None
        self._loss_wsum, self._loss_w = None, 0
        per_step = _per_step_only(trainer)
        if per_step is None:
            if any(canonical(k) == "train_loss" for k in logs):
                self.watcher.advise_once("per-step unknown", "cannot tell whether the training loss is "
                                         "logged per step only (Lightning's trainer._results, a private "
                                         "API, is not readable in this version): it is recorded as logged. "
                                         "If training_step logs it with self.log's default (per step), its "
                                         "epoch value is the last batch's: log it with on_epoch=True")
            return
        names = [name for name in per_step if name in logs and canonical(name) == "train_loss"]
        if not names or any(canonical(k) == "train_loss" and k not in names for k in logs):
            return  # nothing logged per step only, or an epoch value of it is there too
        name = names[0]
        logged = to_float(logs[name])
        scale = trainer.accumulate_grad_batches if pl_module.automatic_optimization else 1
        same = (n > 0 and logged is not None and last is not None
                and math.isclose(float(last) * scale, logged, rel_tol=1e-5, abs_tol=1e-12))
        hint = (f'log it with on_epoch=True (self.log("{name}", loss, on_epoch=True)) for Lightning\'s '
                f'own epoch mean')
        if same:
            logs[name] = float(total) * scale / n
            self.watcher.advise_once("per-step train_loss", f"{name} is logged per step only (self.log's "
                                     f"default in training_step), so its epoch value is the last batch's; "
                                     f"losslens records the mean of the losses training_step returned in "
                                     f"the epoch instead. {hint[0].upper()}{hint[1:]}")
        else:
            self.watcher.advise_once("per-step train_loss", f"{name} is logged per step only (self.log's "
                                     f"default in training_step): its epoch value is the last batch's, "
                                     f"a noisy training curve; {hint}")

    @staticmethod
    def _get_lr(trainer):
        try:
            return float(trainer.optimizers[0].param_groups[0]["lr"])
        except (IndexError, AttributeError, KeyError, TypeError):
            return None


class _SizeReadingLog:
    """``pl_module.log`` for a fit (:meth:`LosslensCallback._watch_log`): notes the ``batch_size=`` given with the
    training loss, then calls the module's own. Pickled or deep-copied with the module (``torch.save(module)`` in a
    hook mid-fit) it is the copy's own ``log`` again: a local function there made that ``torch.save`` raise "Can't
    pickle local object", and a deep copy's ``self.log`` logged through the original module."""

    losslens_wrapped = True

    def __init__(self, module, original, owner, prior):
        self.original = original
        self.module = weakref.ref(module)
        self.owner = weakref.ref(owner)
        self.prior = prior  # the instance's own ``log`` before the fit, or _NOTHING: what _unwatch_log puts back

    def __call__(self, name, value, *args, **kwargs):
        size = kwargs.get("batch_size")
        owner = self.owner()
        if size is not None and owner is not None and canonical(str(name)) == "train_loss":
            owner._logged_size = size
        return self.original(name, value, *args, **kwargs)

    def __reduce__(self):
        if self.prior is not _NOTHING:
            return _same, (self.prior,)
        return _own_log, (self.module(),)


_NOTHING = object()  # no ``log`` on the instance before the fit (None could be the user's own value)


def _same(value):
    """``value`` itself: a pickled :class:`_SizeReadingLog` over a user's own instance ``log`` is read back as that."""
    return value


def _own_log(module):
    """``module``'s own ``log``, its class's (what a pickled :class:`_SizeReadingLog` is read back as)."""
    return type(module).log.__get__(module)


def _early_stopped(trainer, watcher) -> dict | None:
    """``meta["stopped_early"]`` where one of the Trainer's ``EarlyStopping`` callbacks ended this fit (its
    ``stopped_epoch`` set, ``trainer.should_stop``) and losslens did not: ``by``, ``monitor``, ``patience``,
    ``wait_count`` (checks without a new best when it stopped), ``best_score``, ``stopped_epoch`` (Lightning's epoch,
    from 0), ``epochs_run`` and ``epochs`` (counts, as a Keras History's stop is kept: :func:`losslens.api._stopped_early`;
    ``epochs`` None where no end was planned). None otherwise. A run EarlyStopping ended was read as one that ran its
    course: "converged ... rather than stop, train on with early stopping on val_loss (P = 70% that training on to
    epoch 99 gains > 1%)" of a digits MLP it stopped at epoch 27 of 99 (trained on, val_loss rose 0.262 -> 0.326)."""
    if not trainer.should_stop or watcher.stopped_epoch is not None:
        return None
    for es in getattr(trainer, "early_stopping_callbacks", None) or []:
        epoch = getattr(es, "stopped_epoch", 0)
        wait, patience = getattr(es, "wait_count", 0), getattr(es, "patience", None)
        # (stopped_epoch stays 0 where it never stopped; a stop in epoch 0 is told by its exhausted patience.)
        if not (isinstance(epoch, int) and epoch > 0) and not (isinstance(patience, int) and wait >= patience > 0):
            continue
        best = to_float(getattr(es, "best_score", None))
        planned = getattr(trainer, "max_epochs", None)
        end = watcher.horizon if watcher.axis_name == "epoch" else None
        epochs = int(end) + 1 if end is not None else (planned if isinstance(planned, int) and planned > 0 else None)
        return {"by": type(es).__name__, "monitor": str(getattr(es, "monitor", "") or ""),
                "patience": patience if isinstance(patience, int) else None, "wait_count": int(wait),
                "best_score": best if best is not None and math.isfinite(best) else None,
                "stopped_epoch": int(epoch), "epochs_run": int(epoch) + 1, "epochs": epochs}
    return None


def _planned_end(trainer, pl_module, unit: str = "epoch") -> int | None:
    """The last epoch (``unit="step"``: the last step, as Lightning logs steps) the Trainer will run, counted
    from 0: ``max_epochs - 1``, or the epoch that reaches ``max_steps`` where that comes first.
    ``Trainer(max_steps=...)`` alone sets ``max_epochs`` to -1, and without this the run had no planned end.
    None: neither is set, or the optimizer steps per epoch are unknown (an iterable dataset of no length,
    manual optimization)."""
    batches = getattr(trainer, "num_training_batches", math.inf)
    per_epoch = None
    if math.isfinite(batches) and batches > 0 and pl_module.automatic_optimization:
        # Lightning steps the optimizer at an epoch's last batch too, a partial accumulation.
        per_epoch = math.ceil(batches / trainer.accumulate_grad_batches)
    max_steps = getattr(trainer, "max_steps", -1)
    steps = [max_steps] if max_steps is not None and max_steps > 0 and per_epoch is not None else []
    if trainer.max_epochs is not None and trainer.max_epochs > 0:
        if unit == "epoch":
            return min([trainer.max_epochs - 1] + [math.ceil(s / per_epoch) - 1 for s in steps])
        if per_epoch is not None:
            steps.append(trainer.max_epochs * per_epoch)
    if not steps:
        return None
    return math.ceil(min(steps) / per_epoch) - 1 if unit == "epoch" else min(steps) - 1


def _checks_inside_epochs(trainer) -> bool:
    """The Trainer validates inside its training epochs, not only at their ends, as the CSV reader reads a
    ``metrics.csv`` on steps: ``val_check_interval`` (``val_check_batch`` once the data is set up) under an epoch's
    batches, or, counted across epochs (``check_val_every_n_epoch=None``), no whole number of epochs. False where
    unknown (an iterable dataset of no length, a time interval)."""
    batches, every = getattr(trainer, "num_training_batches", math.inf), getattr(trainer, "val_check_batch", None)
    if getattr(trainer, "_val_check_time_interval", None) is not None or not isinstance(every, (int, float)) \
            or not (math.isfinite(batches) and math.isfinite(every) and every > 0):
        return False
    if getattr(trainer, "check_val_every_n_epoch", 1) is None:
        return every % batches != 0
    return every < batches


def _logged_step(trainer) -> int | None:
    """The step Lightning's loggers write a value logged now at (``metrics.csv``'s ``step``): the batches that
    stepped the optimizer so far (a private counter; None where this Lightning has none)."""
    n = getattr(getattr(getattr(trainer, "fit_loop", None), "epoch_loop", None), "_batches_that_stepped", None)
    return n if isinstance(n, int) else None


def _batch_size(batch) -> int | None:
    """How many examples ``batch`` holds: the first dimension its tensors share (a tensor, or a list, tuple or dict
    of them, nested), as Lightning infers the ``batch_size`` of ``self.log`` when it is not given. None where there
    is no tensor or they disagree (an ambiguous batch: its training losses are then averaged unweighted, as before),
    or a tensor is a scalar. Read without Lightning's own helper, whose warning on an ambiguous batch is said once
    per process and would then be spent before the user's own ``self.log`` met it."""
    sizes = set()
    stack, seen = [batch], 0
    while stack and seen < 64:
        item, seen = stack.pop(), seen + 1
        if hasattr(item, "shape") and hasattr(item, "ndim"):
            if item.ndim == 0:
                return None
            sizes.add(int(item.shape[0]))
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return sizes.pop() if len(sizes) == 1 else None


def _fitting(trainer) -> bool:
    """Validation inside ``fit``, not ``trainer.validate()`` after it."""
    fn = getattr(getattr(trainer, "state", None), "fn", None)
    return str(getattr(fn, "value", fn)) == "fit"


def _per_step_only(trainer) -> list | None:
    """Names logged in the training loop with ``on_step=True, on_epoch=False``, read off
    Lightning's result collection (``trainer._results``, a private API). None when it cannot be
    read: a Lightning without it, or whose entries carry no ``meta`` with ``on_step`` and ``on_epoch``."""
    results = getattr(trainer, "_results", None)
    if results is None or not hasattr(results, "values"):
        return None
    try:
        names = []
        for m in results.values():
            meta = getattr(m, "meta", None)
            if meta is None or not (hasattr(meta, "on_step") and hasattr(meta, "on_epoch")):
                return None
            if meta.on_step and not meta.on_epoch:
                names.append(meta.name)
        return names
    except Exception:
        return None


def _clip_norm(trainer, pl_module):
    """The max_norm ``Trainer(gradient_clip_val=, gradient_clip_algorithm="norm")`` clips each step's gradient to,
    where the module's automatic optimization clips (None otherwise): Lightning clips in its precision plugin after
    the callbacks' ``on_before_optimizer_step``, which reads the gradient as backward left it (grad_norm 0.6 where
    every step was clipped to 1e-3), so the clip factor is computed off that norm. Clipping by value is not a norm's
    factor and is not read."""
    value = getattr(trainer, "gradient_clip_val", None)
    algorithm = str(getattr(trainer, "gradient_clip_algorithm", None) or "norm").lower()
    if not value or algorithm.endswith("value") or not getattr(pl_module, "automatic_optimization", True):
        return None
    value = float(value)
    return value if math.isfinite(value) and value > 0 else None
