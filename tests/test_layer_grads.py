"""Per-layer gradient norms: read from the logs that carry them, recorded by the callbacks, and what they show
(tests/fixtures/ecosystem/layer_grads/make.py: a 10-layer sigmoid MLP on digits with SGD(0.01), stuck at ln 10,
logged by Lightning's ``grad_norm()``, a loop's TensorBoard ``grad_norm/<layer>`` scalars and losslens' torch
Monitor; the same depth with ReLU, He init and Adam, which learns)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.readers import read

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "layer_grads"
SIGMOID = ["lightning_sigmoid/metrics.csv", "tb_sigmoid", "sigmoid_monitor.json"]


@pytest.mark.parametrize("name", SIGMOID)
def test_per_layer_norms_are_one_group_in_model_order_not_metrics(name):
    """Lightning's CSVLogger wrote 20 ``grad_2.0_norm/net.K.weight|bias`` columns, sorted as text (net.10 before
    net.2); each was a metric of its own (24 candidate metrics). Now: 10 layers, first to last, out of metrics."""
    [run] = read(HERE / name)
    layers = run.layer_grads()
    assert len(layers) == 10
    numbers = [int("".join(c for c in k if c.isdigit())) for k in layers]
    assert numbers == list(range(0, 20, 2))
    assert not any(m.startswith("grad_norm/") or "norm_net" in m for m in run.metrics)
    first, last = layers[next(iter(layers))], layers[list(layers)[-1]]
    assert np.nanmedian(first / last) < 1e-6  # the sigmoids' vanishing gradient: ~2e-8 of the last layer's


def test_lightning_per_parameter_norms_combine_into_their_layer():
    [run] = read(HERE / "lightning_sigmoid" / "metrics.csv")
    w, b = run.series["grad_norm/net.18.weight"], run.series["grad_norm/net.18.bias"]
    assert run.layer_grads()["net.18"] == pytest.approx(np.sqrt(w ** 2 + b ** 2), nan_ok=True)
    assert run.has("grad_norm")  # grad_2.0_norm_total stays the global norm


def test_monitor_records_each_layer_and_can_be_switched_off():
    torch = pytest.importorskip("torch")
    from losslens.integrations.torch import Monitor

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(64, 4), torch.randn(64, 1)
    runs = []
    for grad_layers in (30, 0):
        mon = Monitor(model, opt, grad_every=1, grad_layers=grad_layers, verbose=0, save_path=None,
                      time_budget_ms=None)
        for _ in range(3):
            for i in range(0, 64, 16):
                opt.zero_grad()
                loss = torch.nn.functional.mse_loss(model(x[i:i + 16]), y[i:i + 16])
                loss.backward()
                opt.step()
                mon.step(loss)
            mon.epoch_end(val_loss=loss.item())
        runs.append(mon.run())
    layers = runs[0].layer_grads()
    assert list(layers) == ["0", "2"] and all(np.isfinite(v).all() and (v > 0).all() for v in layers.values())
    # ||g||² = Σ ||g_layer||² at each sample; the epoch means of the norms agree up to their spread.
    total = np.sqrt(sum(v ** 2 for v in layers.values()))
    assert total == pytest.approx(runs[0].grad_norm, rel=0.2)
    assert runs[1].layer_grads() == {} and runs[1].has("grad_norm")


def test_layer_groups_stay_few_on_a_deep_model():
    from losslens.integrations._core import layer_groups

    resnet = [f"layer{i}.{j}.conv{k}.weight" for i in range(1, 5) for j in range(3) for k in range(3)] + ["fc.weight"]
    labels, index = layer_groups(resnet, most=30)
    assert labels[:2] == ["layer1.0", "layer1.1"] and labels[-1] == "fc" and len(labels) == 13
    labels, index = layer_groups([f"{i}.weight" for i in range(100)], most=30)
    assert len(labels) <= 30 and labels[0] == "0..3" and index[:5] == [0, 0, 0, 0, 1]
