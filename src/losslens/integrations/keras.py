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
``ReduceLROnPlateau`` among ``fit``'s callbacks) keeps ``converged`` from stopping the run while
it will still change the lr; a schedule that sets the lr itself keeps ``reduce_lr_on`` from acting.
"""

from __future__ import annotations

import inspect

import numpy as np

try:
    import keras
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    if exc.name != "keras":
        raise  # Keras is there but its backend is not: set KERAS_BACKEND (torch, jax, tensorflow)
    raise ImportError("losslens.integrations.keras needs Keras 3: pip install 'losslens[keras]'") from exc

from ._core import GradientProbe, LRSchedule, Watcher, WatcherViews


class LosslensCallback(WatcherViews, keras.callbacks.Callback):
    """Diagnose the run at every epoch end; report once; stop / restore / lower the lr on request.

    Parameters are those of :class:`~losslens.integrations._core.Watcher` (``monitor``,
    ``mode``, ``min_delta``, ``patience``, ``stop_on``, ``restore_best_weights``,
    ``reduce_lr_on``, ``factor``, ``min_lr``, ``cooldown``, ``start_from_epoch``,
    ``min_confidence``, ``verbose``, ``save_path``, ``classes``, ``name``, ``stop_gain``: stop when
    the forecast gain to the last of ``fit``'s ``epochs`` is below it) plus
    ``grad_every``: sample gradient evidence every this many batches (torch backend only;
    None switches it off).
    """

    def __init__(self, *, grad_every: int | None = 16, **options):
        super().__init__()
        self.watcher = Watcher(framework="keras", **options)
        self.probe = GradientProbe(grad_every)
        self._torch = keras.backend.backend() == "torch" and grad_every is not None
        self.best_weights = None
        self._siblings = []   # the other callbacks of this fit (lr schedulers among them)

    def on_train_begin(self, logs=None):
        try:
            epochs = (self.params or {}).get("epochs")
            if epochs:
                self.watcher.plan(int(epochs) - 1)  # Keras counts epochs from 0
            self._siblings = _fit_callbacks(self)
        except Exception as exc:
            self.watcher.warn_once(exc, "train begin")

    def on_train_batch_end(self, batch, logs=None):
        if not self._torch:
            return
        try:
            self.probe.observe(v.value for v in self.model.trainable_variables)
        except Exception as exc:  # never break training
            self._torch = False
            self.watcher.warn_once(exc, "gradient probe")

    def on_epoch_end(self, epoch, logs=None):
        try:
            lr = self._get_lr()
            decision = self.watcher.end_epoch(epoch, logs or {}, lr=lr, extra=self.probe.pop_epoch(),
                                              schedule=self._schedule(lr))
            if decision.improved and self.watcher.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if decision.new_lr is not None:
                self._set_lr(decision.new_lr)
            if decision.stop:
                self.model.stop_training = True
                if decision.restore and self.best_weights is not None:
                    self.model.set_weights(self.best_weights)
        except Exception as exc:
            self.watcher.warn_once(exc, f"epoch {epoch} end")

    def on_train_end(self, logs=None):
        try:
            self.watcher.end_training()
        except Exception as exc:
            self.watcher.warn_once(exc, "train end")

    def _get_lr(self):
        opt = getattr(self.model, "optimizer", None)
        if opt is None:
            return None
        try:
            return float(keras.ops.convert_to_numpy(opt.learning_rate))
        except Exception:
            return None

    def _schedule(self, lr):
        """The lr scheduler(s) of this fit, if any (see :class:`~losslens.integrations._core.LRSchedule`)."""
        found = []  # (name, running, owns_lr)
        opt = getattr(self.model, "optimizer", None)
        own = getattr(opt, "_learning_rate", None)
        if isinstance(own, keras.optimizers.schedules.LearningRateSchedule):
            found.append((type(own).__name__, self._schedule_changes(own, opt), True))
        elif callable(own) and not hasattr(own, "assign"):
            found.append(("a callable learning rate", True, True))
        for cb in self._siblings:
            if isinstance(cb, keras.callbacks.LearningRateScheduler):
                found.append(("LearningRateScheduler", True, True))
            elif isinstance(cb, keras.callbacks.ReduceLROnPlateau):
                # It lowers the lr it finds (a lr set here stays) until min_lr.
                running = lr is None or lr > float(np.float32(cb.min_lr))
                found.append(("ReduceLROnPlateau", running, False))
        if not found:
            return None
        return LRSchedule(", ".join(name for name, _, _ in found), running=any(r for _, r, _ in found),
                          owns_lr=any(o for _, _, o in found))

    def _schedule_changes(self, schedule, opt) -> bool:
        """Whether a LearningRateSchedule still changes the lr between now and the fit's last step
        (read at 8 points; True when the number of steps is unknown)."""
        try:
            steps, epochs = self.params.get("steps"), self.params.get("epochs")
            now = int(keras.ops.convert_to_numpy(opt.iterations))
            if not steps or not epochs:
                return True
            end = int(steps) * int(epochs)
            values = [float(keras.ops.convert_to_numpy(schedule(step)))
                      for step in np.linspace(now, end, 9).round().astype(int)]
            return any(abs(v - values[0]) > 1e-3 * abs(values[0]) for v in values[1:])
        except Exception:
            return True

    def _set_lr(self, value):
        try:
            self.model.optimizer.learning_rate = value
        except Exception as exc:  # a LearningRateSchedule cannot be overwritten
            self.watcher.warn_once(exc, "setting the learning rate (a schedule?)")


def _fit_callbacks(callback) -> list:
    """The other callbacks of the running ``fit``: Keras hands a callback no list of its
    siblings, so this finds the ``CallbackList`` that is calling ``on_train_begin`` (a few
    frames up). Empty when it cannot be found."""
    frame = inspect.currentframe()
    try:
        f = frame.f_back
        for _ in range(10):
            if f is None:
                break
            owner = f.f_locals.get("self")
            if isinstance(owner, keras.callbacks.CallbackList):
                return [cb for cb in owner.callbacks if cb is not callback]
            f = f.f_back
    finally:
        del frame
    return []
