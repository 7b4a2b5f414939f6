"""The callbacks on a CUDA device (a PyTorch loop, Lightning, Transformers, Keras 3 on torch): the
runs of the CPU tests, with the model and data on the GPU.

Skipped without a CUDA device (CI has none); run where one is lent:
``python -m pytest tests/test_gpu.py`` (``LOSSLENS_TEST_DEVICE=cpu`` runs them on the CPU, to check
the tests themselves). They check what only a device run can break: norms read
from GPU tensors, the best weights copied off the device and loaded back, and the frameworks'
own device placement (Lightning ``accelerator="gpu"``, the Trainer without ``use_cpu``).
"""

import json
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
DEVICE = os.environ.get("LOSSLENS_TEST_DEVICE", "cuda")
if DEVICE == "cuda" and not torch.cuda.is_available():
    pytest.skip("no CUDA device", allow_module_level=True)

import losslens  # noqa: E402

pytestmark = [pytest.mark.framework]


def test_torch_monitor_stops_on_overfitting_and_restores_the_best_weights_on_the_gpu():
    from losslens.integrations.torch import Monitor

    # The CPU test's run (tests/test_integrations_torch.py): 20 noisy points, 10 features, a 256-wide
    # MLP memorises them and validation turns up.
    g = torch.Generator().manual_seed(0)

    def data(n, seed):
        g.manual_seed(seed)
        x = torch.rand(n, 10, generator=g)
        y = (2 * x[:, 0] + 3 * x[:, 1]).unsqueeze(1) + 0.5 * torch.randn(n, 1, generator=g)
        return x.to(DEVICE), y.to(DEVICE)

    (x, y), (xv, yv) = data(20, 0), data(200, 1)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(10, 256), torch.nn.ReLU(), torch.nn.Linear(256, 1)).to(DEVICE)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    mon = Monitor(model, opt, stop_on=("overfitting",), restore_best_weights=True, verbose=0, time_budget_ms=None)
    mse = torch.nn.functional.mse_loss
    for _ in range(300):
        opt.zero_grad()
        loss = mse(model(x), y)
        loss.backward()
        opt.step()
        mon.step(loss)
        with torch.no_grad():
            if mon.epoch_end(val_loss=mse(model(xv), yv)):
                break
    mon.finish()

    assert mon.actions[-1]["cause"] == "overfitting" and mon.stopped_epoch < 299
    run = mon.run()
    assert np.isfinite(run.get("grad_norm")).all() and np.isfinite(run.get("update_ratio")[1:]).all()
    # The best weights were copied to the host and loaded back onto the device.
    assert next(model.parameters()).device.type == DEVICE
    with torch.no_grad():
        assert float(mse(model(xv), yv)) == pytest.approx(np.nanmin(run.val_loss), rel=1e-5)


def test_lightning_callback_on_a_gpu_trainer(tmp_path, capsys):
    L = pytest.importorskip("lightning.pytorch")
    import test_integrations_lightning as cpu_tests
    from losslens.integrations.lightning import LosslensCallback

    torch.manual_seed(0)
    cb = LosslensCallback(stop_on=("converged",), restore_best_weights=True, time_budget_ms=None)
    t = L.Trainer(max_epochs=40, callbacks=[cb], default_root_dir=tmp_path, enable_progress_bar=False,
                  enable_model_summary=False, enable_checkpointing=False, log_every_n_steps=8,
                  accelerator="gpu" if DEVICE == "cuda" else "cpu", devices=1)
    model = cpu_tests.Regressor()
    train, val = cpu_tests.loaders()
    t.fit(model, train, val)  # (Lightning moves the module back to the CPU at teardown)
    assert t.strategy.root_device.type == DEVICE
    assert cb.stopped_epoch is not None and cb.reported.verdict == "converged"
    assert capsys.readouterr().out.count("losslens (lightning") == 1
    run = cb.run()
    g = run.get("grad_norm")
    assert np.isfinite(g).all() and g[0] > 3 * g[-1]
    best = float(np.nanmin(run.val_loss))
    assert float(t.validate(model, val, verbose=False)[0]["val_loss"]) == pytest.approx(best, rel=1e-4)
    saved = tmp_path / "lightning_logs" / "version_0" / "losslens.json"
    assert losslens.read(saved)[0].val_loss == pytest.approx(run.val_loss)


def test_transformers_callback_on_a_gpu_trainer(tmp_path):
    transformers = pytest.importorskip("transformers")
    import test_integrations_transformers as cpu_tests
    from losslens.integrations.transformers import LosslensCallback

    args = transformers.TrainingArguments(
        output_dir=str(tmp_path), num_train_epochs=40, per_device_train_batch_size=8, learning_rate=3e-3,
        eval_strategy="epoch", logging_strategy="epoch", save_strategy="no", report_to=[],
        disable_tqdm=True, seed=0, lr_scheduler_type="constant", use_cpu=DEVICE == "cpu")
    cb = LosslensCallback(stop_on=("overfitting",), restore_best_weights=True, time_budget_ms=None)
    model = cpu_tests.tiny_gpt2()
    trainer = transformers.Trainer(model=model, args=args, train_dataset=cpu_tests.markov(16, 0),
                                   eval_dataset=cpu_tests.markov(64, 1), callbacks=[cb])
    trainer.train()
    assert next(model.parameters()).device.type == DEVICE
    assert cb.actions == [{"action": "stop", "step": cb.stopped_epoch, "cause": "overfitting"}]
    run = cb.run()
    assert run.has("grad_norm") and np.nanargmin(run.val_loss) < len(run) - 1
    assert trainer.evaluate()["eval_loss"] == pytest.approx(np.nanmin(run.val_loss), rel=1e-4)
    saved = tmp_path / "losslens.json"
    assert json.loads(saved.read_text())["meta"]["stopped_epoch"] == pytest.approx(cb.stopped_epoch)


def test_keras_callback_on_the_torch_backend_on_a_gpu(tmp_path):
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("Keras runs on the torch backend here")
    from keras_models import article_data, mlp
    from losslens.integrations.keras import LosslensCallback

    x, y = article_data(0)
    xv, yv = article_data(1, n=200)
    cb = LosslensCallback(stop_on=("converged",), restore_best_weights=True, save_path=tmp_path / "run.json",
                          verbose=0, time_budget_ms=None)
    model = mlp()
    history = model.fit(x, y, validation_data=(xv, yv), epochs=40, batch_size=32, verbose=0, callbacks=[cb])
    assert model.trainable_variables[0].value.device.type == DEVICE  # Keras put the model on the GPU
    assert cb.stopped_epoch == len(history.history["loss"]) - 1 < 39 and cb.reported.verdict == "converged"
    assert model.evaluate(xv, yv, verbose=0) == pytest.approx(min(history.history["val_loss"]), rel=1e-4)
    g = cb.run().get("grad_norm")
    assert np.isfinite(g).all() and g[0] > 3 * g[-1]
