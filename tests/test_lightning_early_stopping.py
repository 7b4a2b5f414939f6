"""A Lightning fit its own EarlyStopping ended (session 46's Lightning walk): a digits MLP (64-128-128-10) at
Adam(0.01) on 300 digits, 400 held out, validated every 3rd epoch, max_steps=1000 (99 epochs of 10 batches) and
EarlyStopping(monitor="val_loss", patience=3): it stopped after 27 epochs. The callback's report read it as a run
that had ended on its own, "converged ... rather than stop, train on with early stopping on val_loss ... (P = 70%
that training on to epoch 99 gains > 1%)", and losslens.json kept no trace of the stop; trained on to epoch 99 its
val_loss rose 0.262 -> 0.326. The callback now records the stop (``meta["stopped_early"]``) and the diagnosis says
it ran, forecasting to twice the logged length, not to the end the Trainer never reached."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
L = pytest.importorskip("lightning.pytorch")
sklearn_datasets = pytest.importorskip("sklearn.datasets")

import losslens  # noqa: E402
from losslens.integrations.lightning import LosslensCallback  # noqa: E402
from lightning_models import DigitsMLP  # noqa: E402

pytestmark = [pytest.mark.framework, pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]


def _fit(tmp_path, stop: bool, steps: int = 1000):
    from lightning.pytorch.callbacks import EarlyStopping
    from lightning.pytorch.loggers import CSVLogger

    torch.manual_seed(0)
    X, y = sklearn_datasets.load_digits(return_X_y=True)
    p = np.random.RandomState(0).permutation(len(X))
    X, y = torch.tensor(X[p] / 16.0, dtype=torch.float32), torch.tensor(y[p])
    ds = torch.utils.data.TensorDataset
    train = torch.utils.data.DataLoader(ds(X[:300], y[:300]), batch_size=32, shuffle=True)
    val = torch.utils.data.DataLoader(ds(X[1000:1400], y[1000:1400]), batch_size=400)
    cb = LosslensCallback(verbose=False)
    es = EarlyStopping(monitor="val_loss", patience=3)
    tr = L.Trainer(max_steps=steps, callbacks=[cb, *([es] if stop else [])], logger=CSVLogger(tmp_path, name="run"),
                   check_val_every_n_epoch=3, enable_progress_bar=False, enable_model_summary=False,
                   enable_checkpointing=False, accelerator="cpu", devices=1)
    tr.fit(DigitsMLP((128, 128), torch.optim.Adam, lr=0.01), train, val)
    return cb, es, tr


def test_a_fit_early_stopping_ended_is_said_stopped_not_advised_to_stop(tmp_path):
    cb, es, tr = _fit(tmp_path, True)
    assert es.stopped_epoch > 0 and tr.current_epoch < 99
    stop = cb.run().meta["stopped_early"]
    assert stop["by"] == "EarlyStopping" and stop["monitor"] == "val_loss" and stop["patience"] == 3
    assert stop["wait_count"] == es.wait_count and stop["best_score"] == pytest.approx(float(es.best_score))
    assert stop["epochs_run"] == es.stopped_epoch + 1 and stop["epochs"] == 100
    d = cb.reported
    first = d.causes[0].actions[0]
    assert first.startswith(f"it was stopped early already: EarlyStopping ended it after {es.stopped_epoch + 1} of "
                            "its 100 epochs")
    assert "train on with early stopping" not in str(d.to_dict())
    # The forecast looks to twice the logged length, not to the planned epoch 99 that the stop ruled out.
    assert d.forecast is None or d.forecast["horizon"] < 99
    assert any(e.startswith("stopped by EarlyStopping") for e in d.causes[0].evidence)
    # The file saved says so too, read back as any losslens.json is.
    saved = tmp_path / "run" / "version_0" / "losslens.json"
    assert json.loads(saved.read_text())["meta"]["stopped_early"] == stop
    again = losslens.diagnose(str(saved))
    assert again.causes[0].actions[0] == first
    # So does its folder, where metrics.csv is the run read and losslens.json a copy whose facts it keeps.
    folder = losslens.diagnose(str(saved.parent))
    assert folder.causes[0].actions[0].startswith("it was stopped early already: EarlyStopping ended it")


def test_a_fit_that_ran_its_steps_records_no_stop(tmp_path):
    # Control: the same fit without EarlyStopping, planned to end where the stop ended the other (27 epochs).
    cb, _, tr = _fit(tmp_path, False, 270)
    assert tr.current_epoch == 27
    assert "stopped_early" not in cb.run().meta
    assert not cb.reported.causes[0].actions[0].startswith("it was stopped early already")
