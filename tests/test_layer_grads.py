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


def test_a_module_path_is_read_as_a_layer_a_parameter_as_its_module():
    """The callbacks record module paths, read again as layer names: a module named like a tensor of another
    framework (torch's ``bert.embeddings``) must stay a module, while Keras' ``embedding/embeddings`` variable and
    torch's ``lstm.weight_ih_l0`` are tensors of theirs."""
    from losslens.columns import layer_of

    assert [layer_of(n) for n in ("bert.embeddings", "bert.embeddings.word_embeddings.weight", "lstm.weight_ih_l0",
                                  "sequential/embedding/embeddings", "sequential/dense", "net.0")] == \
        ["bert.embeddings", "bert.embeddings.word_embeddings", "lstm", "sequential/embedding", "sequential/dense",
         "net.0"]


def test_layer_groups_stay_few_on_a_deep_model():
    from losslens.integrations._core import layer_groups

    resnet = [f"layer{i}.{j}.conv{k}.weight" for i in range(1, 5) for j in range(3) for k in range(3)] + ["fc.weight"]
    labels, index = layer_groups(resnet, most=30)
    assert labels[:2] == ["layer1.0", "layer1.1"] and labels[-1] == "fc" and len(labels) == 13
    labels, index = layer_groups([f"{i}.weight" for i in range(100)], most=30)
    assert len(labels) <= 30 and labels[0] == "0..3" and index[:5] == [0, 0, 0, 0, 1]


@pytest.mark.parametrize("name", SIGMOID)
def test_a_vanishing_gradient_is_the_evidence_of_the_stuck_sigmoid_net(name):
    """The 10-layer sigmoid MLP read stuck_at_init with no word on why; its first layer's gradient is 2.6e-8 of the
    last layer's from the first epoch to the last. The same depth with ReLU and He init at the same SGD(0.01)
    reaches val 0.112 (make.out: cf_relu_he_sgd), so the action that changes the gradient's path comes first."""
    from losslens.diagnosis import GRADIENT_PATH

    d = losslens.diagnose(HERE / name)
    assert d.verdict == "stuck_at_init"
    said = [e for e in d.cause.evidence if e.startswith("the first layer's gradient")]
    assert len(said) == 1 and "of the last layer's" in said[0] and "vanishes" in said[0]
    assert d.cause.actions[0] == GRADIENT_PATH
    g = d.facts.layer_grads
    assert g.first_to_last < 1e-6 and g.first_to_last_late < 1e-6 and g.zero == ()
    assert d.to_dict()["facts"]["layer_grads"]["layers"][0] in ("0", "net.0", "layer0")


def test_a_healthy_deep_relu_net_gets_no_layer_evidence():
    """ReLU, He init, Adam: the first layer's gradient 1.2-2.3x the last layer's; the verdict (overfitting) is the
    one it had without the per-layer norms, and nothing is said of them."""
    d = losslens.diagnose(HERE / "relu_monitor.json")
    assert d.verdict == "overfitting"
    assert 0.1 < d.facts.layer_grads.first_to_last < 10
    assert not any("layer" in e for c in d.causes for e in c.evidence)
    # Their gradients shrank as the training loss went to 1e-4: every layer's last quarter < 1/10 of its start.
    assert all(s < 0.1 for s in d.facts.layer_grads.shrink)


def test_layers_whose_gradient_is_exactly_zero_are_named():
    """Every unit after the first layer dead for every input (its bias at -10): 9 of the 10 layers get exactly 0
    gradient at every point; the run sits at ln 10. Said as zero gradients (not as a vanishing share) and the
    initialization / activations check comes first."""
    d = losslens.diagnose(HERE / "dead_relu_monitor.json")
    assert d.verdict == "stuck_at_init"
    said = [e for e in d.cause.evidence if "exactly 0" in e]
    assert len(said) == 1 and "9 of the 10 layers" in said[0]
    assert not any(e.startswith("the first layer's gradient") for e in d.cause.evidence)
    assert d.cause.actions[0].startswith("check the initialization and activations")


def test_the_chart_draws_at_most_eight_layers_first_and_last_named():
    pytest.importorskip("matplotlib")
    from losslens.report.plot import chart_data

    data = chart_data(losslens.diagnose(HERE / "lightning_sigmoid" / "metrics.csv"))
    [panel] = [p for p in data["panels"] if p["title"].startswith("layer grads")]
    labels = [s["label"] for s in panel["series"]]
    assert panel["layers"] == 10 and panel["logy"]
    assert labels[0] == "net.0 (first)" and labels[-1] == "net.18 (last)" and len(labels) == 8
    # The global norm keeps its own panel; the per-parameter columns draw no panel of their own.
    assert sum(p["title"] == "grad norm" for p in data["panels"]) == 1 and len(data["panels"]) == 3


def test_keras_callback_groups_by_layer_on_the_torch_backend():
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("the gradient probe reads torch tensors")
    from losslens.integrations.keras import LosslensCallback

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(1e-2), "mse")
    x = np.random.default_rng(0).random((128, 4)).astype("float32")
    cb = LosslensCallback(verbose=0, grad_every=1, time_budget_ms=None, save_path=None)
    model.fit(x, x.sum(1, keepdims=True), validation_split=0.25, epochs=3, batch_size=32, verbose=0, callbacks=[cb])
    layers = cb.run().layer_grads()
    # kernel and bias of each Dense together (names as Keras numbers them in this process)
    assert [k.rsplit("/", 1)[-1] for k in layers] == [layer.name for layer in model.layers]
    assert all(np.isfinite(v).all() and (v > 0).all() for v in layers.values())


def test_a_converged_run_whose_first_layers_stopped_learning_says_so_without_changing_the_verdict():
    """A 5-layer sigmoid MLP regressing diabetes (SGD 0.03, momentum 0.9; make.py ``sigmoid_diabetes_monitor``)
    reads converged, flat from epoch 1 at val MSE 0.86, and said nothing of its layers: the first layer's gradient
    is 4e-4 of the last layer's (2e-3 late). 3 layers reach 0.51: the floor was the last layers', not the model's.
    The verdict, its confidence and its actions stand; the evidence says so."""
    d = losslens.diagnose(HERE / "sigmoid_diabetes_monitor.json")
    [run] = read(HERE / "sigmoid_diabetes_monitor.json")
    bare = losslens.diagnose({k: v for k, v in run.series.items() if not k.startswith("grad_norm/")})  # no layers
    assert d.verdict == bare.verdict == "converged" and d.cause.confidence == bare.cause.confidence
    assert d.cause.actions == bare.cause.actions
    assert d.cause.numbers["first_to_last_grad"] == pytest.approx(4.2e-4, rel=0.1)
    [said] = [e for e in d.cause.evidence if "gradient (module 0)" in e]
    assert "the first layer's gradient (module 0) is 0.00042 of the last layer's (module 8)" in said
    assert "the curve is flat, but its first layers barely learned, so this may be the last layers' floor" in said
    assert not any("gradient (module 0)" in e for e in bare.cause.evidence)
