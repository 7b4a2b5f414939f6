"""verify retrains the first action of a model answering the majority class, balanced class weights
(``class_weight="balanced"``), and judges it by the validation balanced accuracy the run logs, not by a loss: on
the 95/5 task of fixture fresh_kinds2 weights 1:19 raise val_loss while balanced accuracy climbs from 0.5."""
import numpy as np
import pytest

from losslens.verification import verify


def _imbalanced(seed=0):
    """fresh_kinds2's imbalanced task (make.py): 3,000 samples, 95/5, class_sep 0.8, stratified 70/30."""
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    X, y = make_classification(n_samples=3000, n_features=20, n_informative=4, weights=[0.95, 0.05], class_sep=0.8,
                               flip_y=0, random_state=0)
    return train_test_split(X.astype("float32"), y.astype("int64"), test_size=0.3, random_state=seed, stratify=y)


def _balanced_acc(y, p):
    return float(np.mean([np.mean(p[y == k] == k) for k in np.unique(y)]))


def torch_train(tmp_path, balanced_data=False):
    """A 20-32-2 MLP under SGD 1e-3, its log written by the torch Monitor with the validation balanced accuracy
    beside the loss; ``class_weight="balanced"`` weights CrossEntropyLoss by scikit-learn's balanced weights."""
    import torch
    from sklearn.utils.class_weight import compute_class_weight

    from torch_loops import cross_entropy_epochs

    from losslens.integrations.torch import Monitor

    def train(class_weight=None, epochs_factor=1.0, seed=0):
        torch.set_num_threads(1)
        Xtr, Xva, ytr, yva = _imbalanced()
        if balanced_data:  # every minority sample beside as many of the majority's: 50/50
            keep = lambda y: np.concatenate([np.flatnonzero(y == 1), np.flatnonzero(y == 0)[:(y == 1).sum()]])
            (ktr, kva) = keep(ytr), keep(yva)
            Xtr, ytr, Xva, yva = Xtr[ktr], ytr[ktr], Xva[kva], yva[kva]
        w = None if class_weight is None else torch.tensor(
            compute_class_weight(class_weight, classes=np.unique(ytr), y=ytr), dtype=torch.float32)
        Xtr, Xva, ytr, yva = map(torch.tensor, (Xtr, Xva, ytr, yva))
        torch.manual_seed(seed)
        m = torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
        opt = torch.optim.SGD(m.parameters(), lr=1e-3)
        epochs = round(40 * epochs_factor)
        save = tmp_path / f"torch_{class_weight}_{epochs}_{balanced_data}.json"
        mon = Monitor(m, opt, epochs=epochs, save_path=save, verbose=0, grad_every=None)
        balanced = lambda o: {"val_acc": (o.argmax(1) == yva).float().mean().item(),
                              "val_balanced_acc": _balanced_acc(yva.numpy(), o.argmax(1).numpy())}
        cross_entropy_epochs(m, opt, mon, (Xtr, ytr), (Xva, yva), epochs, weight=w, scores=balanced)
        return save
    return train


@pytest.mark.slow
def test_class_weights_of_a_majority_answer_are_retrained_and_judged_by_balanced_accuracy(tmp_path):
    v = verify(torch_train(tmp_path))
    d = v.diagnosis
    assert "majority_share" in d.cause.numbers
    [cw] = [r for r in v.results if r.check.change == {"class_weight": "balanced"}]
    print(v)
    assert cw.check.cause == d.verdict and cw.check.metric == "val_balanced_acc"
    assert cw.baseline == pytest.approx(0.5) and cw.holds and cw.change_rel < -0.15
    assert v.unchecked is None and v.confirmed is True
    text = str(v)
    assert f"{d.verdict} — balanced class weights: predicts 1 - val_balanced_acc ends ≥ 15% lower" in text
    assert v.to_dict()["unchecked"] is None


@pytest.mark.slow
def test_a_balanced_task_is_not_offered_class_weights(tmp_path):
    v = verify(torch_train(tmp_path, balanced_data=True))
    assert "majority_share" not in v.diagnosis.cause.numbers
    assert not any("class_weight" in r.check.change for r in v.results) and v.unchecked is None


def keras_train():
    """The same task and MLP in Keras 3 (SGD 3e-3, batch 64), the output bias started at a 0.8/0.2 prior (the Keras
    tutorial on imbalanced data starts it at the classes' log-odds; glorot and zeros start it at 0.91 accuracy,
    climbing to the majority's 0.95 over epochs). ``fit(class_weight=...)`` takes a dict: scikit-learn's balanced
    weights. A callback adds the validation balanced accuracy to ``fit``'s logs, so its History holds it. It takes
    only ``class_weight``: the one retraining is the first action's."""
    import keras
    import torch
    from sklearn.utils.class_weight import compute_class_weight

    class BalancedAccuracy(keras.callbacks.Callback):
        def __init__(self, x, y):
            super().__init__()
            self.x, self.y = x, y

        def on_epoch_end(self, epoch, logs=None):
            logs["val_balanced_accuracy"] = _balanced_acc(self.y, self.model.predict(self.x, verbose=0).argmax(1))

    def train(class_weight=None):
        torch.set_num_threads(1)
        keras.utils.set_random_seed(0)
        Xtr, Xva, ytr, yva = _imbalanced()
        weights = None if class_weight is None else dict(enumerate(
            compute_class_weight(class_weight, classes=np.unique(ytr), y=ytr)))
        prior = keras.initializers.Constant(np.log([0.8, 0.2]))
        m = keras.Sequential([keras.Input((20,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(2, activation="softmax", bias_initializer=prior)])
        m.compile(optimizer=keras.optimizers.SGD(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return m.fit(Xtr, ytr, validation_data=(Xva, yva), epochs=40, batch_size=64, class_weight=weights,
                     callbacks=[BalancedAccuracy(Xva, yva)], verbose=0)
    return train


@pytest.mark.slow
def test_keras_class_weights_of_a_majority_answer_are_confirmed():
    """Keras: validation accuracy 856/900 from epoch 3 on (one minority sample right), balanced accuracy 0.511;
    balanced weights, the one change train takes, are retrained and judged on val_balanced_accuracy."""
    pytest.importorskip("keras")
    v = verify(keras_train())
    print(v)
    assert v.diagnosis.cause.numbers["majority_share"] == pytest.approx(856 / 900)
    [cw] = [r for r in v.results if r.holds is not None]
    assert cw.check.change == {"class_weight": "balanced"} and cw.check.metric == "val_balanced_accuracy"
    assert cw.holds and cw.change_rel < -0.15 and v.confirmed is True and v.unchecked is None
    # The loss it trades away says the opposite: the weighted run's val_loss ends higher.
    assert np.median(cw.runs[0].series["val_loss"][-3:]) > np.median(v.baseline_runs[0].series["val_loss"][-3:])
