"""Training resumed by a fresh callback, as each community resumes: Keras' ``fit(initial_epoch=k)`` on a reloaded
model in a new process, Lightning's ``fit(ckpt_path=...)``, the Trainer's ``train(resume_from_checkpoint=True)``.

The new callback started the run at the resume point and saved that part alone over the earlier session's file
(Keras, Transformers: the same ``save_path``; Lightning: a new version folder): the diagnosis saw half a run. A
Keras digits MLP resumed at epoch 15 read "flattened at epoch 29" of its last 15 points while the whole run (its
CSVLogger(append=True) file) was still improving; a tiny BERT resumed at step 128 read "overfitting, the best
weights are from step 160" when its best validation loss (0.375) was at step 128. Now the earlier rows are
carried on (Lightning: from the checkpoint, where the callback keeps the run). Also here: the Trainer's
``eval_strategy="epoch"`` run saved an ``epoch`` column beside its steps, and the file read back on epochs while
the live report spoke of steps."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import losslens  # noqa: E402

pytestmark = [pytest.mark.framework, pytest.mark.usefixtures("one_torch_thread")]


def test_a_keras_fit_resumed_with_initial_epoch_carries_on_the_saved_run(tmp_path):
    keras = pytest.importorskip("keras")
    from losslens.integrations.keras import LosslensCallback
    from digits_task import digits_split

    x, y, xv, yv = digits_split()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    run_json, log = tmp_path / "run.json", tmp_path / "log.csv"
    fit = dict(validation_data=(xv, yv), batch_size=64, verbose=0)
    model.fit(x, y, epochs=6, callbacks=[LosslensCallback(save_path=run_json, time_budget_ms=None),
                                         keras.callbacks.CSVLogger(log)], **fit)
    model.save(tmp_path / "m.keras")
    # A new process: the model reloaded, a new callback with the same save_path, fit on from epoch 6.
    resumed = keras.models.load_model(tmp_path / "m.keras")
    cb = LosslensCallback(save_path=run_json, time_budget_ms=None, verbose=0)
    resumed.fit(x, y, epochs=12, initial_epoch=6, callbacks=[cb, keras.callbacks.CSVLogger(log, append=True)], **fit)

    saved = json.loads(run_json.read_text())
    assert saved["epoch"] == list(range(12))                     # was [6, ..., 11]
    whole = losslens.read(log)[0]                                # Keras' own record of both sessions
    assert np.allclose(saved["val_loss"], whole.series["val_loss"], rtol=1e-6)
    assert np.allclose(saved["loss"], whole.series["train_loss"], rtol=1e-6)
    assert any("resumed at epoch 6: the 6 rows before it are carried on from" in m for m in cb.messages)
    assert cb.diagnosis.length == 12


def test_a_lightning_fit_resumed_from_a_checkpoint_carries_on_the_run(tmp_path):
    L = pytest.importorskip("lightning")
    from losslens.integrations.lightning import LosslensCallback
    from lightning_models import LinearRegressor, linear_loaders

    train, val = linear_loaders(600, [(0, 400), (400, 600)])
    common = dict(default_root_dir=tmp_path, enable_progress_bar=False, enable_model_summary=False,
                  accelerator="cpu", devices=1, logger=L.pytorch.loggers.CSVLogger(tmp_path))
    torch.manual_seed(0)
    first = L.Trainer(max_epochs=5, callbacks=[LosslensCallback(time_budget_ms=None)], **common)
    first.fit(LinearRegressor(), train, val)
    ckpt = first.checkpoint_callback.best_model_path
    # Resumed with a new Trainer and callback, as in a new process: a new log folder (version_1).
    cb = LosslensCallback(time_budget_ms=None, verbose=0)
    second = L.Trainer(max_epochs=10, callbacks=[cb], **{**common, "logger": L.pytorch.loggers.CSVLogger(tmp_path)})
    second.fit(LinearRegressor(), train, val, ckpt_path=ckpt)

    before = losslens.read(tmp_path / "lightning_logs" / "version_0" / "losslens.json")[0]
    after = losslens.read(tmp_path / "lightning_logs" / "version_1" / "losslens.json")[0]
    assert list(after.axis) == list(range(10))                   # was [5, ..., 9]
    assert np.allclose(after.series["val_loss"][:5], before.series["val_loss"], rtol=1e-6)
    assert any("resumed at epoch 5: the 5 rows before it are carried on from the checkpoint" in m
               for m in cb.messages)


def test_a_trainer_resumed_from_its_checkpoint_carries_on_the_saved_run(tmp_path):
    pytest.importorskip("transformers")
    from losslens.integrations.transformers import LosslensCallback
    from hf_models import tiny_bert_trainer

    small = dict(hidden=32, layers=1, n_train=160, n_eval=128, epochs=8, eval_steps=10, learning_rate=1e-3,
                 lr_scheduler_type="constant", save_strategy="steps", save_steps=40)
    tiny_bert_trainer(tmp_path, LosslensCallback(time_budget_ms=None, verbose=0), max_steps=40, **small).train()
    first = json.loads((tmp_path / "losslens.json").read_text())
    cb = LosslensCallback(time_budget_ms=None, verbose=0)
    trainer = tiny_bert_trainer(tmp_path, cb, max_steps=80, **small)
    trainer.train(resume_from_checkpoint=True)

    state = losslens.read(tmp_path / "checkpoint-80" / "trainer_state.json")[0]   # the Trainer's record of both
    saved = losslens.read(tmp_path / "losslens.json")[0]
    assert saved.axis_name == "step" and saved.axis[0] == first["step"][0] == 5   # was 45: the resumed part alone
    assert [s for s in saved.axis if s % 10 == 0] == list(range(10, 81, 10))
    evaluated = np.isfinite(state.series["val_loss"])
    assert np.allclose(saved.series["val_loss"][np.isfinite(saved.series["val_loss"])],
                       state.series["val_loss"][evaluated], rtol=1e-6)
    assert any("resumed at step 40: the 5 rows up to it are carried on from" in m for m in cb.messages)


def test_a_trainer_evaluated_each_epoch_saves_a_run_that_reads_back_on_steps(tmp_path):
    pytest.importorskip("transformers")
    from losslens.integrations.transformers import LosslensCallback
    from hf_models import tiny_bert_trainer

    # Evaluated every 10 steps of 10-step epochs: at each epoch's end, as eval_strategy="epoch" (the README's snippet).
    cb = LosslensCallback(time_budget_ms=None, verbose=0)
    trainer = tiny_bert_trainer(tmp_path, cb, hidden=32, layers=1, n_train=160, n_eval=128, epochs=8, eval_steps=10,
                                learning_rate=1e-3, lr_scheduler_type="constant")
    trainer.train()
    saved = json.loads((tmp_path / "losslens.json").read_text())
    assert "epoch" not in saved                 # the Trainer's epoch, a column of its own, put the file on epochs
    read = losslens.diagnose(tmp_path / "losslens.json")
    live = cb.diagnosis
    assert read.axis == live.axis == "step"
    assert (read.verdict, read.plateau is None) == (live.verdict, live.plateau is None)
    if live.plateau is not None:
        assert read.plateau.epoch == live.plateau.epoch



def test_a_trainer_trained_again_with_the_same_callback_goes_on_with_one_run(tmp_path):
    """``trainer.train(resume_from_checkpoint=...)`` at an earlier checkpoint, then ``trainer.train()`` once more (the
    model goes on from where it is, the Trainer counts its steps from 0 again), with the callback of the first
    train(): resumed, the rows trained again replace the earlier ones (never read as the run's future); trained
    again, the run goes on after the first (steps 5-40, then 50-80). Before, both were appended: the resumed run was
    diagnosed at step 30 on a curve reaching step 40, and the second train's steps 10-40 read over the first's, one
    run of 40 steps, the first train's curve gone from the saved file."""
    pytest.importorskip("transformers")
    from losslens.integrations.transformers import LosslensCallback
    from hf_models import tiny_bert_trainer

    small = dict(hidden=32, layers=1, n_train=160, n_eval=128, epochs=4, eval_steps=10, learning_rate=1e-3,
                 lr_scheduler_type="constant", save_strategy="steps", save_steps=20)
    cb = LosslensCallback(time_budget_ms=None, verbose=0)
    trainer = tiny_bert_trainer(tmp_path, cb, **small)
    trainer.train()
    assert cb.watcher.axis == [5, 10, 20, 30, 40]

    seen = []
    trainer.add_callback(_AxisSpy(cb, seen))
    trainer.train(resume_from_checkpoint=str(tmp_path / "checkpoint-20"))
    assert seen[0] == [5, 10, 20, 30]   # at its first evaluation, no row of the earlier session beyond it
    assert cb.watcher.axis == [5, 10, 20, 30, 40]
    first = cb.run()

    trainer.train()
    assert cb.watcher.axis == [5, 10, 20, 30, 40, 50, 60, 70, 80]
    saved = losslens.read(tmp_path / "losslens.json")[0]
    assert list(saved.axis) == cb.watcher.axis
    assert np.allclose(saved.series["val_loss"][:5], first.series["val_loss"], equal_nan=True)
    assert saved.meta["planned_end"] == 80 and list(saved.series["epoch_frac"][-2:]) == [7.0, 8.0]
    assert any("a further train() of the same model counts its steps from 0 again: recorded from step 50 on, after "
               "the 40 steps before it" in m for m in cb.messages)


class _AxisSpy:
    """A Trainer callback noting the losslens run's axis at each evaluation (called after the losslens one)."""

    def __init__(self, cb, seen):
        self.cb, self.seen = cb, seen

    def __getattr__(self, name):
        if name.startswith("on_"):
            return lambda *a, **k: None
        raise AttributeError(name)

    def on_evaluate(self, *args, **kwargs):
        self.seen.append(list(self.cb.watcher.axis))


def _model_init_trainer(out, cb):
    """A Trainer building a fresh ``_tiny_bert`` at each ``train()`` (``model_init``, as a hyperparameter search's
    trials do), 2 epochs at a constant lr 1e-3, evaluated every 10 steps, writing to ``out``."""
    import transformers
    from hf_models import keyword_task

    args = transformers.TrainingArguments(
        output_dir=str(out), num_train_epochs=2, per_device_train_batch_size=16, per_device_eval_batch_size=256,
        report_to=[], use_cpu=True, disable_tqdm=True, seed=0, eval_strategy="steps", eval_steps=10, logging_steps=5,
        save_strategy="no", learning_rate=1e-3, lr_scheduler_type="constant")
    return transformers.Trainer(model_init=_tiny_bert, args=args, train_dataset=keyword_task(160, 0),
                                eval_dataset=keyword_task(128, 1), callbacks=[cb])


def test_three_model_init_trials_read_back_under_three_names_of_one_scheme(tmp_path):
    """Three ``train()`` of a ``model_init`` Trainer (a sweep's trials) saved ``losslens.json``, ``losslens-run1.json``
    and ``losslens-run2.json``, read back as "sweep", "losslens-run1" and "losslens-run2": the first trial by its
    folder, the others by their file, two schemes for one sweep. Now "sweep-run0", "sweep-run1", "sweep-run2", in
    ``losslens.read``, in ``losslens diagnose``'s table and in the callback's own name for the run (its report
    lines)."""
    pytest.importorskip("transformers")
    from losslens.integrations.transformers import LosslensCallback

    cb = LosslensCallback(time_budget_ms=None, verbose=0)
    out = tmp_path / "sweep"
    trainer = _model_init_trainer(out, cb)
    names = []
    for lr in (1e-3, 3e-4, 1e-4):
        trainer.args.learning_rate = lr
        trainer.train()
        names.append(cb.watcher.name)
    assert sorted(p.name for p in out.glob("*.json")) == ["losslens-run1.json", "losslens-run2.json", "losslens.json"]
    assert names[1:] == ["sweep-run1", "sweep-run2"]
    assert sorted(r.name for r in losslens.read(out)) == ["sweep-run0", "sweep-run1", "sweep-run2"]
    assert losslens.read(out / "losslens.json")[0].name == "sweep-run0"  # (read alone, it is still the sweep's)
    from cli_helpers import run_cli

    res = run_cli("diagnose", out)
    table = res.stdout + res.stderr
    assert "3 runs" in table and all(f"sweep-run{i}" in table for i in range(3)), (res.exit_code, table)
    assert "losslens-run" not in table, table


def _tiny_bert():
    """A fresh one-layer BERT classifier, as ``Trainer(model_init=...)`` builds one per trial."""
    import transformers

    return transformers.BertForSequenceClassification(transformers.BertConfig(
        vocab_size=64, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=16, num_labels=2))


def test_a_trainer_with_model_init_starts_a_new_run_at_each_train(tmp_path):
    """``Trainer(model_init=...)`` builds a new model at each ``train()`` (``hyperparameter_search`` calls it once a
    trial): each is a run of its own, not more of the last one. Before, the second train's rows were appended to the
    first's (steps 10-40 again after 40)."""
    pytest.importorskip("transformers")
    from losslens.integrations.transformers import LosslensCallback

    cb = LosslensCallback(time_budget_ms=None, verbose=0)
    trainer = _model_init_trainer(tmp_path, cb)
    trainer.train()
    first = list(cb.watcher.axis)
    trainer.train()
    assert first == cb.watcher.axis == [5, 10, 20]
    assert losslens.read(tmp_path / "losslens.json")[0].axis.tolist() == [5, 10, 20]


def test_each_model_init_trial_saves_a_file_of_its_own_and_the_folder_reads_as_a_sweep(tmp_path, capsys):
    """One callback over two ``model_init`` trials (``hyperparameter_search``'s way): the second run is saved beside
    the first (``losslens-run1.json``), not over it, and says so in its last line; the folder reads as 2 runs, ranked.
    Before, the second trial rewrote ``losslens.json`` and the first trial's run was lost."""
    import subprocess
    import sys

    pytest.importorskip("transformers")
    from losslens.integrations.transformers import LosslensCallback

    cb = LosslensCallback(time_budget_ms=None, verbose=1)
    out = tmp_path / "hp"
    trainer = _model_init_trainer(out, cb)
    trainer.train()
    first = losslens.read(out / "losslens.json")[0]
    trainer.args.learning_rate = 1e-5  # the second trial's hyperparameter: another curve
    trainer.train()
    assert sorted(p.name for p in out.glob("losslens*.json")) == ["losslens-run1.json", "losslens.json"]
    again = losslens.read(out / "losslens.json")[0]
    assert np.allclose(again.series["val_loss"], first.series["val_loss"], equal_nan=True)
    second = losslens.read(out / "losslens-run1.json")[0]
    assert second.axis.tolist() == [5, 10, 20]
    assert not np.allclose(second.series["val_loss"], first.series["val_loss"], equal_nan=True)
    assert cb.watcher.name == "hp-run1"
    assert capsys.readouterr().out.rstrip().splitlines()[-1] == f"losslens: run 1 saved to {out / 'losslens-run1.json'}"
    runs = losslens.read(out)
    # (losslens.json, the callbacks' default file, is named by its folder, as metrics.csv is: docs/reading.md; the
    # runs beside it by the folder and their tag, the first run0 once there are others)
    assert sorted(r.name for r in runs) == ["hp-run0", "hp-run1"]
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cli = subprocess.run([sys.executable, "-m", "losslens", "diagnose", str(out)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join([os.path.join(root, "src"), root])})
    assert cli.returncode in (0, 1), cli.stderr
    assert "hp-run1" in cli.stdout and "2 runs" in cli.stdout, cli.stdout
