"""Logs with more than one validation set, and pandas' index columns, as the real libraries write them.

A run measured on two validation sets holds two curves: one is diagnosed (the first, or the one the user chose the
model on), named as logged, with a line naming the others and how to read one (``--metric``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import losslens

sys.path.insert(0, str(Path(__file__).parent))


def _fit_two_loaders(tmp_path, name: str, log_name):
    """A Lightning linear regression validated on two loaders, each logged under ``log_name(idx)`` with
    ``add_dataloader_idx=False`` (CSVLogger); the path of its metrics.csv."""
    L = pytest.importorskip("lightning")
    from lightning_models import LinearRegressor, linear_loaders

    class Named(LinearRegressor):
        def validation_step(self, batch, i, dataloader_idx=0):
            self.log(log_name(dataloader_idx), self._loss(batch), add_dataloader_idx=False)

    train, clean, shifted = linear_loaders(384, [(0, 256), (256, 320), (320, 384)])
    L.Trainer(max_epochs=12, logger=L.pytorch.loggers.CSVLogger(tmp_path, name=name), enable_checkpointing=False,
              enable_progress_bar=False, enable_model_summary=False).fit(Named(lr=0.02), train, [clean, shifted])
    [path] = tmp_path.glob(f"{name}/version_0/metrics.csv")
    return path


@pytest.mark.framework
@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("log_name, first, other", [
    (lambda i: f"val_loss_{['clean', 'shifted'][i]}", "val_loss_clean", "val_loss_shifted"),
    (lambda i: f"val/{['clean', 'shifted'][i]}/loss", "val/clean/loss", "val/shifted/loss"),
])
def test_lightning_loaders_named_by_the_user_are_read_first_and_the_other_named(tmp_path, log_name, first, other):
    """Lightning validated on two loaders under the user's names (add_dataloader_idx=False). val_loss_clean /
    val_loss_shifted were read as no validation at all (the verdict on train_loss); val/clean/loss was read but
    shown as "val_loss", the other set unmentioned. Now the first is the curve, named as logged, with a line
    naming the other; --metric reads that one."""
    path = _fit_two_loaders(tmp_path, "logs", log_name)
    header = path.read_text().splitlines()[0].split(",")
    assert first in header and other in header
    [run] = losslens.read(path)
    logged = np.genfromtxt(path, delimiter=",", names=True, deletechars="")
    assert np.allclose(run.finite("val_loss")[1], logged[first][np.isfinite(logged[first])])
    d = losslens.diagnose(path)
    assert d.metric == "val_loss" and d.to_dict()["metric"] == "val_loss"
    text = str(d)
    assert f", {first})" in text.splitlines()[0]
    assert f"2 validation sets logged: read on {first}, beside {other}; --metric COLUMN" in text
    assert f", {other})" in str(losslens.diagnose(path, metric=other)).splitlines()[0]


@pytest.mark.framework
@pytest.mark.usefixtures("one_torch_thread")
def test_trainer_eval_sets_read_the_one_metric_for_best_model_names(tmp_path):
    """A Trainer given eval_dataset={"a": ..., "b": ...}, metric_for_best_model="b_loss" and a compute_metrics adding
    accuracy logs eval_a_loss, eval_b_loss, eval_a_accuracy ...; the state keeps best_metric, not its name. The
    first set (a) was read; now the set whose column holds best_metric (b), said in the evidence with the other."""
    transformers = pytest.importorskip("transformers")
    import torch
    from hf_models import keyword_task

    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=64, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=64, max_position_embeddings=16, num_labels=2)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path), num_train_epochs=6, per_device_train_batch_size=16, per_device_eval_batch_size=128,
        report_to=[], use_cpu=True, disable_tqdm=True, seed=0, eval_strategy="epoch", logging_strategy="epoch",
        save_strategy="epoch", save_total_limit=1, metric_for_best_model="b_loss", load_best_model_at_end=True,
        learning_rate=1e-3)
    trainer = transformers.Trainer(
        model=transformers.BertForSequenceClassification(config), args=args, train_dataset=keyword_task(256, 0),
        eval_dataset={"a": keyword_task(128, 1, flip=0.4), "b": keyword_task(128, 2)},
        compute_metrics=lambda p: {"accuracy": float((np.argmax(p.predictions, -1) == p.label_ids).mean())})
    trainer.train()
    trainer.save_state()
    path = tmp_path / "trainer_state.json"
    state = json.loads(path.read_text())
    b = [r["eval_b_loss"] for r in state["log_history"] if "eval_b_loss" in r]
    assert state["best_metric"] == min(b) and any("eval_a_loss" in r for r in state["log_history"])
    [run] = losslens.read(path)
    assert run.finite("val_loss")[1] == pytest.approx(b, rel=1e-9)
    assert run.finite("val_acc")[1] == pytest.approx([r["eval_b_accuracy"] for r in state["log_history"]
                                                       if "eval_b_accuracy" in r])
    text = str(losslens.diagnose(path))
    assert ", eval_b_loss)" in text.splitlines()[0]
    assert "read on eval_b_loss, the set metric_for_best_model names" in text and "beside eval_a_loss" in text


@pytest.mark.framework
def test_pandas_unnamed_index_columns_are_not_metrics(tmp_path):
    """A Keras History written with pandas' index, read back and written again: the file holds a blank first
    column and 'Unnamed: 0' (a DataFrame of it, 'Unnamed: 0' and 'Unnamed: 0.1'), each counting rows. Both were
    a metric ('unnamed_0'); now the run holds the losses alone, from a file and a DataFrame alike."""
    pytest.importorskip("keras")
    import keras
    import pandas as pd

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4))
    y = x @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * rng.normal(size=200)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(x, y, validation_split=0.25, epochs=6, batch_size=32, verbose=0)
    pd.DataFrame(history.history).to_csv(tmp_path / "once.csv")
    pd.read_csv(tmp_path / "once.csv").to_csv(tmp_path / "twice.csv")
    assert (tmp_path / "twice.csv").read_text().startswith(",Unnamed: 0,")
    for source in (tmp_path / "twice.csv", pd.read_csv(tmp_path / "twice.csv")):
        [run] = losslens.read(source) if not isinstance(source, pd.DataFrame) else [losslens.Run.from_dataframe(source)]
        assert run.metrics == ["train_loss", "val_loss"]
        assert run.finite("val_loss")[1] == pytest.approx(history.history["val_loss"])
        assert list(run.axis) == list(range(6))


@pytest.mark.framework
@pytest.mark.usefixtures("one_torch_thread")
def test_lightning_loaders_in_tensorboard_are_named_too(tmp_path):
    """Two validation loaders logged by Lightning's TensorBoardLogger (tags val_loss/dataloader_idx_0 and _1): the
    first is read, as from its metrics.csv, and now the evidence names the other there too (it said nothing)."""
    L = pytest.importorskip("lightning")
    pytest.importorskip("tensorboard")
    from lightning_models import LinearRegressor, linear_loaders

    train, clean, shifted = linear_loaders(384, [(0, 256), (256, 320), (320, 384)])
    L.Trainer(max_epochs=12, logger=L.pytorch.loggers.TensorBoardLogger(tmp_path, name="tb"),
              enable_checkpointing=False, enable_progress_bar=False,
              enable_model_summary=False).fit(LinearRegressor(lr=0.02), train, [clean, shifted])
    d = losslens.diagnose(f"tb:{tmp_path / 'tb'}")
    assert d.metric == "val_loss"
    assert "2 validation sets logged: read on val_loss_dataloader_idx_0, beside val_loss_dataloader_idx_1" in str(d)
