"""A Lightning run whose ModelCheckpoint kept its best epoch (session 45's early-stopping walk): a digits MLP
(64-256-256-10) at Adam(3e-3) on 300 digits, 600 held out, EarlyStopping("val_loss", patience=3) and
ModelCheckpoint(monitor="val_loss") (save_top_k=1), CSVLogger. The version folder holds
checkpoints/epoch=13-step=140.ckpt beside metrics.csv, and losslens advised "early stopping with
restore_best_weights: the best weights are from epoch 13", what the checkpoint holds already (the HF Trainer's kept
checkpoint is named: _trainer_keeps_best). Trained here: a checkpoint is 1 MB, too large to commit."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
L = pytest.importorskip("lightning")
pytest.importorskip("sklearn")

import losslens  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    return _fit(tmp_path_factory.mktemp("pl_es"))


def _fit(root, **checkpoint):
    """The run above, its ModelCheckpoint given ``checkpoint`` too: (its version folder, the callback)."""
    import logging
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    warnings.filterwarnings("ignore")
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    L.seed_everything(0)
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype("float32")
    Xtr, Xva, ytr, yva = train_test_split(X, y, train_size=300, test_size=600, random_state=0)

    def dl(a, b, s):
        return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(a), torch.tensor(b)),
                                           batch_size=32, shuffle=s)

    class M(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                                           torch.nn.ReLU(), torch.nn.Linear(256, 10))

        def training_step(self, b, i):
            loss = torch.nn.functional.cross_entropy(self.net(b[0]), b[1])
            self.log("train_loss", loss, on_epoch=True, on_step=False)
            return loss

        def validation_step(self, b, i):
            self.log("val_loss", torch.nn.functional.cross_entropy(self.net(b[0]), b[1]))

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), 3e-3)

    ck = L.pytorch.callbacks.ModelCheckpoint(monitor="val_loss", save_top_k=1, **checkpoint)
    t = L.Trainer(max_epochs=100, callbacks=[L.pytorch.callbacks.EarlyStopping("val_loss", patience=3), ck],
                  logger=L.pytorch.loggers.CSVLogger(str(root)), enable_progress_bar=False,
                  enable_model_summary=False)
    t.fit(M(), dl(Xtr, ytr, True), dl(Xva, yva, False))
    return root / "lightning_logs" / "version_0", ck


def test_the_kept_checkpoint_is_the_advice(fitted):
    folder, ck = fitted
    kept = ck.best_model_path.replace("\\", "/").rsplit("/", 1)[-1]
    d = losslens.diagnose(folder / "metrics.csv")
    assert d.verdict == "overfitting", str(d)
    best = int(d.causes[0].numbers["val_best_epoch"])
    assert kept.startswith(f"epoch={best}-")  # the premise: the monitor's best is the epoch the name holds
    act = d.causes[0].actions[0]
    assert act.startswith(f"ModelCheckpoint kept checkpoints/{kept}, epoch {best} (val_loss "), act
    assert "restore_best_weights" not in act


def test_without_the_checkpoint_the_advice_is_to_stop_early(fitted, tmp_path):
    # Control: the same metrics.csv with no checkpoint beside it.
    folder, _ = fitted
    shutil.copy(folder / "metrics.csv", tmp_path / "metrics.csv")
    d = losslens.diagnose(tmp_path / "metrics.csv")
    assert d.causes[0].actions[0].startswith("early stopping with restore_best_weights"), str(d)


@pytest.mark.parametrize("checkpoint", [
    # best-epoch=13-val_loss=0.19.ckpt: Lightning inserts each name (read by name on main too: a guard)
    {"filename": "best-{epoch}-{val_loss:.2f}"},
    # best-13-0.19.ckpt: no "epoch=" in it; the advice was "early stopping with restore_best_weights", which the
    # kept file already did
    {"filename": "best-{epoch}-{val_loss:.2f}", "auto_insert_metric_name": False},
], ids=["names_inserted", "numbers_only"])
def test_a_checkpoint_the_user_named_is_the_advice_too(tmp_path, checkpoint):
    folder, ck = _fit(tmp_path, **checkpoint)
    kept = ck.best_model_path.replace("\\", "/").rsplit("/", 1)[-1]
    assert kept.startswith("best-"), kept
    d = losslens.diagnose(folder / "metrics.csv")
    assert d.verdict == "overfitting", str(d)
    best = int(d.causes[0].numbers["val_best_epoch"])
    act = d.causes[0].actions[0]
    assert act.startswith(f"ModelCheckpoint kept checkpoints/{kept}, epoch {best} (val_loss "), act
