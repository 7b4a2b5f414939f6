"""Keras 3 callback (any backend): diagnose while training, report once, act when asked.

    from losslens.integrations.keras import LosslensCallback

    cb = LosslensCallback(stop_on=("converged", "overfitting", "diverged"),
                          restore_best_weights=True, save_path="run.json")
    model.fit(x, y, validation_split=0.2, epochs=200, callbacks=[cb])
    cb.reported            # the Diagnosis it reported (verdict, plateau X, evidence, actions)

A drop-in for ``EarlyStopping`` + ``ReduceLROnPlateau``: the same parameter names where the
meaning is the same (see :class:`losslens.integrations._core.Watcher`), but it acts on a
diagnosed cause. On the torch backend it also records the gradient norm and the
update-to-weight ratio every ``grad_every`` batches.

An lr schedule (a ``LearningRateSchedule`` as the optimizer's lr, a ``LearningRateScheduler`` or
``ReduceLROnPlateau`` among ``fit``'s callbacks) keeps ``converged`` and ``stop_gain`` from stopping
the run while it will still change the lr before ``fit``'s last epoch (a schedule object and a
scheduler's function are asked for the rates still to come, only when a stop is being weighed);
a schedule that sets the lr itself keeps ``reduce_lr_on`` from acting. Keras hands a callback no
list of its siblings: they are found on the call stack (``_fit_callbacks``), and when that fails
the callback warns once and sees only the optimizer's own schedule.

One callback may watch several fits of the same model (transfer learning: the head on a frozen base, then the
base unfrozen and recompiled at a lower lr): the run goes on across them, a fit without ``initial_epoch`` recorded
after the epochs before it, and the planned end, the wait for ``patience`` and the stretch a ``converged`` stop
weighs start over at each (:meth:`~losslens.integrations._core.Watcher.begin_fit`). A fit of another model object
(a sweep that builds a fresh model for each setting and passes the same callback) is a new run: diagnosed on its
own and saved beside ``save_path`` as ``<stem>-run1.json``, ``<stem>-run2.json`` ... (the first run keeps
``save_path``). So is a fit of the same object whose weights were re-initialised in place (each layer's initializers
run again, ``model.set_weights(initial_weights)``): read off a few entries of each weight, kept at every epoch end and
compared at the next fit's start (:class:`~losslens.integrations._core.WeightPrints`); a fit that starts where the
last ended, or at an epoch's weights restored (the best), goes on with the run.

The weight penalty is read once, at the start (:func:`keras_decay`): a ``kernel_regularizer`` L2 that
holds both reported losses level and high reads ``underfitting`` (held by a weight penalty), not
``converged``. The optimizer's own ``weight_decay`` is decoupled in Keras and is recorded, not blamed.
"""

from __future__ import annotations

import inspect
import re
import weakref

import numpy as np

from ..columns import canonical
from ..result import axis_text
from ._core import (PRINT_ENTRIES, PRINT_VARIABLES, GradientProbe, LRSchedule, Watcher, WatcherViews, WeightPrints, decay_meta,
                    dropout_meta, import_framework, lr_moves, print_stride, to_float)

keras = import_framework("keras", "losslens.integrations.keras needs Keras 3: pip install 'losslens[keras]'")


class LosslensCallback(WatcherViews, keras.callbacks.Callback):
    """Diagnose the run at every epoch end; report once; stop / restore / lower the lr on request.

    Parameters are those of :class:`~losslens.integrations._core.Watcher` (``monitor``,
    ``mode``, ``min_delta``, ``patience``, ``stop_on``, ``restore_best_weights``,
    ``reduce_lr_on``, ``factor``, ``min_lr``, ``cooldown``, ``start_from_epoch``,
    ``min_confidence``, ``verbose``, ``save_path``, ``classes``, ``name``, ``stop_gain``: stop when
    the forecast gain to the last of ``fit``'s ``epochs`` is below it, ``noise_floor``: the data's, in the loss's
    units, which holds the forecasts of a validation loss, ``baseline_loss``: a constant prediction's, the level a
    regression's validation loss is read against) plus
    ``grad_every``: sample gradient evidence every this many batches (torch backend only;
    None switches it off), and ``grad_layers``: at most this many layers' own gradient norms beside the global
    one (``grad_norm/<layer>``; 0 switches them off).
    """

    def __init__(self, *, grad_every: int | None = 16, grad_layers: int = 30, **options):
        super().__init__()
        self.watcher = Watcher.checked("LosslensCallback", framework="keras", **options)
        self.probe = GradientProbe(grad_every, layers=grad_layers)
        self._torch = keras.backend.backend() == "torch" and grad_every is not None
        self.best_weights = None
        self._siblings = []   # the other callbacks of this fit (lr schedulers among them)
        self._bar_open = False
        self._fitted = None  # (a weak reference to) the model of the last fit: another model is another run
        self._prints = WeightPrints()  # the run's weights, to tell weights re-initialised in place from a fine-tune
        self.watcher.printer = self._print

    def on_train_begin(self, logs=None):
        try:
            new = None
            if self.watcher.axis and self._fitted is not None and self._fitted() is not self.model:
                # Another model (a sweep reusing one callback): its epochs appended to the last model's made one run
                # of both, read as one curve ("lr too high": the jump where the second model started).
                new = "fit of another model"
            elif self.watcher.axis and self._prints.restarted(keras_print(self.model)):
                # The same model with its weights drawn again (or set back to the run's first ones): glued to the
                # last fit, its first epochs were a jump back to the start loss, read as "lr too high".
                new = "fit of the same model with its weights re-initialised"
            if new:
                self.watcher = self.watcher.fresh()
                self.best_weights = None
                self.watcher.say_new_run(new)
            if not self.watcher.axis:  # (a run's first fit, or a new run's: its untrained weights)
                self._prints.start(keras_print(self.model))
            self._fitted = weakref.ref(self.model)
        except Exception as exc:
            self.watcher.warn_once(exc, "train begin")
        try:
            epochs = (self.params or {}).get("epochs")
            # Keras counts epochs from 0; a second fit of the same model (fine-tuning) goes on with the run.
            self.watcher.begin_fit(int(epochs) - 1 if epochs else None, f"fit(epochs={epochs})")
            self._siblings = _fit_callbacks(self)
            if self._siblings is None:
                self._siblings = []
                if "converged" in self.watcher.stop_on or self.watcher.stop_gain is not None \
                        or self.watcher.reduce_lr_on:
                    self.watcher.advise_once("siblings", "could not find the other callbacks of this fit "
                                             "(Keras' CallbackList was not on the call stack): a "
                                             "LearningRateScheduler or ReduceLROnPlateau among them is not "
                                             "seen, so converged and stop_gain may stop, and reduce_lr_on may "
                                             "act, while it still sets the lr")
        except Exception as exc:
            self.watcher.warn_once(exc, "train begin")
        # Once: compile() has set the optimizer, the layers are built.
        self.watcher.read_penalty(lambda: keras_decay(self.model))
        self.watcher.read_optimizer(lambda: keras_optimizer(self.model))

    def on_train_batch_end(self, batch, logs=None):
        if not self._torch:
            return
        try:
            self.probe.observe((v.path, v.value) for v in self.model.trainable_variables)
        except Exception as exc:  # never break training
            self._torch = False
            self.watcher.warn_once(exc, "gradient probe")

    def on_epoch_end(self, epoch, logs=None):
        # Keras' progress bar (verbose=1, "auto") ends the epoch's line in its own on_epoch_end, which runs after
        # this one (fit appends it to the callbacks).
        self._bar_open = (self.params or {}).get("verbose") in (1, "auto")
        try:
            total = (self.params or {}).get("epochs")
            if epoch > 0:  # fit(initial_epoch=k) with a new callback: a run resumed, its first k epochs saved earlier
                self.watcher.carry_on(epoch)
            at = self.watcher.fit_epoch(epoch)  # (a second fit without initial_epoch counts from 0 again)
            # Epochs here are History's and CSVLogger's, from 0 (as `losslens diagnose` reads those logs);
            # the progress bar above prints this one as "Epoch {epoch + 1}/N".
            self.watcher.epoch_note = (f"(losslens counts epochs from 0, as History and CSVLogger do: epoch {axis_text(at)} "
                                       f"is the one Keras printed as 'Epoch {epoch + 1}/{total or '…'}'.)")
            lr = self._get_lr()
            self.watcher.read_frozen(lambda: keras_frozen(self.model))
            self.watcher.read_classes(lambda: keras_classes(self.model))
            decision = self.watcher.end_epoch(at, logs or {}, lr=lr, extra=self.probe.pop_epoch(),
                                              schedule=self._schedule(lr, epoch))
            if decision.improved and self.watcher.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if decision.new_lr is not None:
                self._set_lr(decision.new_lr)
            if decision.stop:
                self.model.stop_training = True
                if decision.restore and self.best_weights is not None:
                    self.model.set_weights(self.best_weights)
            self._prints.epoch(keras_print(self.model))
        except Exception as exc:
            self.watcher.warn_once(exc, f"epoch {epoch} end")
        finally:
            self._bar_open = False

    def on_train_end(self, logs=None):
        def restore():
            self._restore_at_end()
            self._prints.epoch(keras_print(self.model))

        self.watcher.train_ended("train end", restore, self._early_stopped)

    def _early_stopped(self) -> dict | None:
        """``meta["stopped_early"]`` where one of this fit's ``keras.callbacks.EarlyStopping`` ended it (its
        ``stopped_epoch`` set, ``model.stop_training``) and losslens did not: the fields the Lightning callback records
        (:func:`losslens.integrations.lightning._early_stopped`: ``by``, ``monitor``, ``patience``, ``wait_count``,
        ``best_score``, ``stopped_epoch``, ``epochs_run``, ``epochs``) and ``restore_best_weights`` with the
        ``best_epoch`` it restored. A fit EarlyStopping(patience=4) ended while val_loss still fell was reported
        "still improving ... the run is at epoch 99 of 199: 100 epochs short of it" with no word of the stop."""
        if getattr(self.model, "stop_training", None) is not True or self.watcher.stopped_epoch is not None:
            return None
        for cb in self._siblings:
            if not isinstance(cb, keras.callbacks.EarlyStopping) or not getattr(cb, "stopped_epoch", 0):
                continue
            best = to_float(getattr(cb, "best", None))
            epochs = (self.params or {}).get("epochs")
            best_epoch = getattr(cb, "best_epoch", None)
            return {"by": "EarlyStopping", "monitor": str(cb.monitor), "patience": int(cb.patience),
                    "wait_count": int(cb.wait), "best_score": best if best is not None and np.isfinite(best) else None,
                    "stopped_epoch": int(cb.stopped_epoch), "epochs_run": int(cb.stopped_epoch) + 1,
                    "epochs": epochs if isinstance(epochs, int) and epochs > 0 else None,
                    "restore_best_weights": bool(cb.restore_best_weights),
                    "best_epoch": int(best_epoch) if isinstance(best_epoch, (int, np.integer)) else None}
        return None

    def _restore_at_end(self):
        """With ``restore_best_weights``, ``fit`` returns the best epoch's weights whether a stop came or not, as
        Keras 3's ``EarlyStopping(restore_best_weights=True)`` does: a fit that ran to its last epoch while its
        validation loss rose (a diabetes MLP, best at epoch 13 of 40, 13% lower than the last) handed back the
        last weights, where a user moving from EarlyStopping gets the best."""
        w = self.watcher
        if not w.restore_best_weights or self.best_weights is None or w.stopped_epoch is not None:
            return  # (a stop restored them already)
        if w.best_epoch is None or not len(w.axis) or w.best_epoch == w.axis[-1]:
            return
        if any(isinstance(cb, keras.callbacks.EarlyStopping) and cb.restore_best_weights
               and canonical(cb.monitor) == w.best_key for cb in self._siblings):
            # Keras' own EarlyStopping on the same series restores its best at its train end too, and says so: one
            # restore, one message ("Restoring model weights from the end of the best epoch: 7", counted from 1).
            return
        self.model.set_weights(self.best_weights)
        w.say(f"losslens: restoring the weights of {w.axis_name} {axis_text(w.best_epoch)} ({w.best_key} "
              f"{w.best:.4g}), the best, at the end of training (restore_best_weights, as Keras' EarlyStopping)")

    def _print(self, text):
        """Start on a line of its own under an open progress bar, as Keras' ReduceLROnPlateau and ModelCheckpoint
        do ("\\nEpoch 10: ..."): printed as it is, the report ran on from the bar's "loss: 0.0104"."""
        if self._bar_open:
            self._bar_open = False
            text = "\n" + text
        print(text, flush=True)

    def _get_lr(self):
        opt = getattr(self.model, "optimizer", None)
        if opt is None:
            return None
        try:
            return float(keras.ops.convert_to_numpy(opt.learning_rate))
        except Exception:
            return None

    def _schedule(self, lr, epoch):
        """The lr scheduler(s) of this fit, if any (see :class:`~losslens.integrations._core.LRSchedule`)."""
        found = []  # (name, running: a bool or a function that tells, owns_lr)
        opt = getattr(self.model, "optimizer", None)
        own = getattr(opt, "_learning_rate", None)
        if isinstance(own, keras.optimizers.schedules.LearningRateSchedule):
            found.append((type(own).__name__, lambda: self._schedule_changes(own, opt, epoch), True))
        elif callable(own) and not hasattr(own, "assign"):
            found.append(("a callable learning rate", True, True))
        for cb in self._siblings:
            if isinstance(cb, keras.callbacks.LearningRateScheduler):
                found.append(("LearningRateScheduler",
                              lambda cb=cb: self._scheduler_changes(cb, epoch, lr), True))
            elif isinstance(cb, keras.callbacks.ReduceLROnPlateau):
                # It lowers the lr it finds (a lr set here stays) until min_lr.
                running = lr is None or lr > float(np.float32(cb.min_lr))
                found.append(("ReduceLROnPlateau", running, False))
        if not found:
            return None
        runs = [r for _, r, _ in found]
        return LRSchedule(", ".join(name for name, _, _ in found),
                          running=lambda: any(r() if callable(r) else r for r in runs),
                          owns_lr=any(o for _, _, o in found))

    def _remaining_epochs(self, epoch):
        """The epochs of this fit after ``epoch`` (None when ``fit`` did not say how many)."""
        epochs = (self.params or {}).get("epochs")
        return None if not epochs else range(int(epoch) + 1, int(epochs))

    def _schedule_changes(self, schedule, opt, epoch) -> bool:
        """Whether a LearningRateSchedule still changes the lr between now and the fit's last step
        (read at 9 points; True when the number of steps is unknown)."""
        try:
            steps, remaining = self.params.get("steps"), self._remaining_epochs(epoch)
            if not steps or remaining is None:
                return True
            now = int(keras.ops.convert_to_numpy(opt.iterations))
            # From the optimizer's step count, not from 0: a second fit of the same model goes on counting.
            end = now + int(steps) * len(remaining)
            values = [float(keras.ops.convert_to_numpy(schedule(step)))
                      for step in np.linspace(now, end, 9).round().astype(int)]
            return lr_moves(values)
        except Exception:
            return True

    def _scheduler_changes(self, callback, epoch, lr) -> bool:
        """Whether a LearningRateScheduler's function will still change the lr in this fit's
        remaining epochs: asked for them in turn, as Keras asks it at each epoch's start (with
        the lr it returned last). True when that cannot be read (no epoch count, no lr, an error)."""
        remaining = self._remaining_epochs(epoch)
        if remaining is None or lr is None:
            return True
        try:
            values, current = [float(lr)], float(lr)
            for e in remaining:
                try:
                    new = callback.schedule(e, current)
                except TypeError:  # Keras' own fallback: a schedule of the epoch alone
                    new = callback.schedule(e)
                current = float(keras.ops.convert_to_numpy(new))
                values.append(current)
                if lr_moves(values):
                    return True
            return False
        except Exception:
            return True

    def _set_lr(self, value):
        try:
            self.model.optimizer.learning_rate = value
        except Exception as exc:  # a LearningRateSchedule cannot be overwritten
            self.watcher.warn_once(exc, "setting the learning rate (a schedule?)")


def keras_print(model):
    """A :class:`~losslens.integrations._core.WeightPrints` print of a Keras model's weights (a few entries of each,
    read on its device), or None where there are none."""
    variables = list(getattr(model, "weights", None) or [])[:PRINT_VARIABLES]
    if keras.backend.backend() == "torch":
        # (the variables' own tensors, gathered by torch: through keras.ops, 80 variables took 50 ms an epoch)
        import torch

        with torch.no_grad():
            parts = [t.reshape(-1)[::print_stride(t.numel())][:PRINT_ENTRIES].float()
                     for t in (v.value.detach() for v in variables) if t.numel()]
        return torch.cat(parts).cpu().numpy().astype(np.float64) if parts else None
    parts = []
    for v in variables:
        flat = keras.ops.reshape(v.value, (-1,))
        n = int(flat.shape[0])
        if n:
            parts.append(np.asarray(keras.ops.convert_to_numpy(flat[::print_stride(n)][:PRINT_ENTRIES]),
                                    dtype=np.float64))
    return np.concatenate(parts) if parts else None


def keras_decay(model) -> dict:
    """The weight penalty of a Keras model, as ``Watcher.meta`` entries (see
    :func:`~losslens.integrations._core.decay_meta`).

    The layers' L2 regularizers (``kernel_regularizer=L2(f)`` or ``L1L2``, and the ``bias_`` /
    ``recurrent_`` / ``embeddings_`` ... ones; the largest factor): Keras adds ``f * sum(w**2)`` to
    the loss it minimises *and* to both losses it reports. A 64-wide MLP on 600 digits (Adam 1e-3, 40
    epochs) at L2(0.01) reports loss 0.882 and val_loss 0.945, level at 29% of the start, while the
    validation cross-entropy inside is 0.402; at L2(1e-5) it is 0.184, and a 512-wide model at 0.01
    gets 0.382: the penalty holds both losses there, not the model's size.

    The optimizer's ``weight_decay`` is decoupled in every Keras optimizer (``w -= lr * wd * w`` after
    the step) and is recorded, not blamed: the same MLP with SGD(0.05, momentum 0.9,
    weight_decay=0.05) ends at val_loss 0.194 (0.146 at 1e-5), where torch's coupled 0.05 holds it at
    0.73. Without momentum that shrink is exactly the gradient of an L2 of ``wd / 2``: then it counts.

    The largest ``Dropout`` layer's ``rate`` (``SpatialDropout*`` are Dropouts; ``AlphaDropout`` and
    ``GaussianDropout`` are not subclasses, and are read too) comes with them (``dropout``, see
    :func:`~losslens.integrations._core.dropout_meta`): a rate of 0.5 or more holds the training pass's fit.
    GaussianDropout's ``rate`` counts as a drop rate: Keras defines it as one, its multiplicative noise's sd
    ``sqrt(rate / (1 - rate))`` being that of a Dropout at that rate (scaled by ``1 / (1 - rate)``), which a lower
    rate loosens the same way.
    """
    coupled, decoupled = [], []
    for layer in _sublayers(model):
        for attr, reg in vars(layer).items():
            if attr.endswith("_regularizer") and attr != "activity_regularizer" and reg is not None:
                coupled.append((to_float(getattr(reg, "l2", None)), f"{attr} L2", "Keras layers"))
    opt = getattr(model, "optimizer", None)
    opt = getattr(opt, "inner_optimizer", opt)  # LossScaleOptimizer (mixed precision)
    wd = to_float(getattr(opt, "weight_decay", None))
    if wd is not None:
        plain_sgd = isinstance(opt, keras.optimizers.SGD) and not to_float(getattr(opt, "momentum", 0.0))
        found = (wd, "weight_decay", f"{type(opt).__name__} optimizer")
        (coupled if plain_sgd else decoupled).append(found)
    rates = [(to_float(getattr(layer, "rate", None)),
              "Dropout rate" if isinstance(layer, keras.layers.Dropout) else f"{type(layer).__name__} rate",
              "Keras layers") for layer in _sublayers(model) if isinstance(layer, _dropouts())]
    return {**decay_meta(coupled, decoupled), **dropout_meta(rates)}


def _dropouts() -> tuple:
    """The Keras layer classes whose ``rate`` is a drop rate (those this Keras has)."""
    return tuple(c for c in (getattr(keras.layers, n, None) for n in ("Dropout", "AlphaDropout", "GaussianDropout"))
                 if isinstance(c, type))


def keras_optimizer(model) -> str | None:
    """The class name of the model's compiled optimizer (``"Adam"``; the one inside a mixed-precision
    ``LossScaleOptimizer``), for ``Watcher.read_optimizer``; None before compile()."""
    opt = getattr(model, "optimizer", None)
    opt = getattr(opt, "inner_optimizer", opt)
    return None if opt is None else type(opt).__name__


def keras_classes(model) -> int | None:
    """K, the class count of a one-output classifier compiled with a cross-entropy: the output's last
    dimension under (sparse) categorical cross-entropy, 2 under binary cross-entropy on one unit. None
    otherwise: a multi-label head (binary cross-entropy on K units), a regression, a focal or custom loss
    (whose uniform guess is not ln K), several outputs, a subclassed model that declares no outputs."""
    loss = getattr(model, "loss", None)
    name = loss if isinstance(loss, str) else getattr(loss, "name", None) or getattr(loss, "__name__", None)
    if not isinstance(name, str):
        return None
    name = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).lower()   # the class spelling, SparseCategoricalCrossentropy
    try:
        outputs = model.outputs or []
    except (AttributeError, ValueError):
        return None
    units = outputs[0].shape[-1] if len(outputs) == 1 else None
    if not isinstance(units, int):
        return None
    if name in ("sparse_categorical_crossentropy", "categorical_crossentropy"):
        return units if units >= 2 else None
    return 2 if name == "binary_crossentropy" and units == 1 else None


def _sublayers(model) -> list:
    """Every layer inside ``model``: nested models', an RNN's cell (an LSTM keeps its regularizers on
    its cell) and a wrapper's (TimeDistributed) too. Keras' own ``_flatten_layers`` where it has one,
    else the public ``layers`` walked."""
    flatten = getattr(model, "_flatten_layers", None)
    if callable(flatten):
        try:
            return list(flatten(include_self=False, recursive=True))
        except Exception:
            pass
    seen, out, stack = set(), [], list(getattr(model, "layers", None) or [])
    while stack:
        layer = stack.pop()
        if id(layer) not in seen:
            seen.add(id(layer))
            out.append(layer)
            stack.extend(getattr(layer, "layers", None) or [])
            stack.extend(getattr(layer, a) for a in ("cell", "layer") if getattr(layer, a, None) is not None)
    return out


def keras_frozen(model) -> tuple[int, int]:
    """``(frozen, total)`` weight counts of a Keras model's innermost layers: frozen ones sit in a layer with
    ``trainable=False`` (``base.trainable = False`` sets it on every layer inside); a BatchNormalization's moving
    statistics, never trained by gradient, count as neither."""
    frozen = total = 0
    for layer in _sublayers(model):
        if _sublayers(layer):
            continue  # (a model inside the model: its layers are counted themselves)
        n = sum(int(np.prod(w.shape)) for w in getattr(layer, "trainable_weights", []) or [])
        n_all = n + sum(int(np.prod(w.shape)) for w in getattr(layer, "non_trainable_weights", []) or []
                        if "moving" not in str(getattr(w, "path", getattr(w, "name", ""))))
        total += n_all
        if not getattr(layer, "trainable", True):
            frozen += n_all
    return frozen, total


def _fit_callbacks(callback) -> list | None:
    """The other callbacks of the running ``fit``: Keras hands a callback no list of its
    siblings, so this finds the ``CallbackList`` that is calling ``on_train_begin`` (a few
    frames up). None when it cannot be found: called outside ``fit``, or a Keras (or Python)
    whose internals differ (no ``CallbackList``, no ``callbacks`` on it, no frames)."""
    kind = getattr(keras.callbacks, "CallbackList", None)
    if not isinstance(kind, type):
        return None
    frame = inspect.currentframe()
    try:
        f = getattr(frame, "f_back", None)
        for _ in range(10):
            if f is None:
                break
            owner = getattr(f, "f_locals", {}).get("self")
            if isinstance(owner, kind):
                siblings = getattr(owner, "callbacks", None)
                if siblings is None:
                    return None
                return [cb for cb in siblings if cb is not callback]
            f = getattr(f, "f_back", None)
    except Exception:
        return None
    finally:
        del frame
    return None
