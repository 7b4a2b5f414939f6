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
"""

from __future__ import annotations

try:
    import keras
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    if exc.name != "keras":
        raise  # Keras is there but its backend is not: set KERAS_BACKEND (torch, jax, tensorflow)
    raise ImportError("losslens.integrations.keras needs Keras 3: pip install 'losslens[keras]'") from exc

from ._core import GradientProbe, Watcher, WatcherViews


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


    def on_train_begin(self, logs=None):
        try:
            epochs = (self.params or {}).get("epochs")
            if epochs:
                self.watcher.plan(int(epochs) - 1)  # Keras counts epochs from 0
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
            decision = self.watcher.end_epoch(epoch, logs or {}, lr=lr, extra=self.probe.pop_epoch())
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

    def _set_lr(self, value):
        try:
            self.model.optimizer.learning_rate = value
        except Exception as exc:  # a LearningRateSchedule cannot be overwritten
            self.watcher.warn_once(exc, "setting the learning rate (a schedule?)")
