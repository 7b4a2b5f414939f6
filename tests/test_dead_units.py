"""A step so large that the first steps kill every unit of the first layer: the loss then sits at a uniform guess's
level however long it trains, which is the step's doing, not too little capacity (a bigger model dies alike).

tests/fixtures/ecosystem/sgd_dead_relu (make.py; figures in make.out), the new-user walk's two scripts: a torch loop
with the Monitor (64-64-64-10 ReLU MLP on digits, SGD lr 2, momentum 0.9; training loss 2.44 against ln 10 = 2.303)
read "underfitting (too little capacity) ... Try: a bigger model" live at epoch 10, and its save still did, with
``classes=10`` as "100% of ln 10" too; Lightning (64-64-10, SGD lr 5) the same. A tenth of either rate learns
(val 0.29-0.37 against 2.31-2.43), with the same model and seeds. The Monitor's ``reduce_lr_on`` cut came only at
epoch 19 and no report said so.
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import losslens
from torch_loops import minibatch_epoch

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "sgd_dead_relu"
ROOT = Path(__file__).resolve().parents[1]

# (too high, a tenth of it) with one model and seed
PAIRS = [("torch_lr2_s0.json", "torch_lr0.2_s0.json"), ("torch_lr2_s1.json", "torch_lr0.2_s1.json"),
         ("lightning_lr5_s0/losslens.json", "lightning_lr0.5_s0/losslens.json"),
         ("lightning_lr5_s1/losslens.json", "lightning_lr0.5_s1/losslens.json")]


def _val(d):
    v = d.run.get("val_loss")
    return v[np.isfinite(v)]


@pytest.mark.parametrize("high, tenth", PAIRS)
def test_the_premise_the_first_layer_died_at_the_high_rate_and_a_tenth_of_it_learns(high, tenth):
    d, cf = losslens.diagnose(HERE / high), losslens.diagnose(HERE / tenth)
    g = d.facts.layer_grads
    assert g.layers[0] in g.died and g.died_since[0] <= 4
    assert np.all(d.run.get("grad_norm/" + g.layers[0])[-20:] == 0)
    assert abs(np.median(_val(d)[-6:]) - np.log(10)) < 0.15  # at a uniform guess's level
    assert cf.facts.layer_grads.died == ()  # the same model and seed, every layer alive ...
    assert _val(cf).min() < 0.2 * _val(d).min()  # ... learns


@pytest.mark.parametrize("high", [h for h, _ in PAIRS])
@pytest.mark.parametrize("classes", [None, 10])
def test_a_first_layer_that_died_is_the_step_not_capacity(high, classes):
    d = losslens.diagnose(HERE / high, classes=classes)
    assert d.verdict == "lr_too_high" and d.cause.numbers["dead_layers"] >= 1
    ids = [c.id for c in d.causes]
    assert "underfitting" not in ids and "converged" not in ids
    assert not any(a.startswith("a bigger model") for c in d.causes for a in c.actions)
    assert d.cause.actions[0].startswith("lower the learning rate (try 1/10) and restart from scratch: dead units")
    text = str(d)
    assert "died" in text and "a bigger model dies alike" in text


@pytest.mark.parametrize("high", ["lightning_lr5_s0", "lightning_lr5_s1"])
def test_without_the_layer_gradients_k_given_a_training_loss_held_above_ln_k_is_the_step(high):
    # CSVLogger's file alone: no gradients, no accuracy. With K given, training held above ln 10 at every point of its
    # last quarter: even the output bias is thrown past the class frequencies' loss, which it reaches on its own.
    d = losslens.diagnose(HERE / high / "metrics.csv", classes=10)
    assert d.verdict == "lr_too_high" and d.cause.numbers["uniform_guess"] == 10
    assert "underfitting" not in [c.id for c in d.causes]
    assert "sat above ln 10" in str(d)
    assert d.cause.actions[0].endswith("restart from scratch: units that died or saturated will not recover")
    cf = losslens.diagnose(HERE / high.replace("lr5", "lr0.5") / "metrics.csv", classes=10)  # a tenth of the rate
    assert "uniform_guess" not in cf.cause.numbers and "sat above ln 10" not in str(cf)


def test_the_saved_file_says_the_cut_its_callback_made():
    # reduce_lr_on=("lr_too_high",): the Monitor cut 2 -> 0.2 at epoch 4, three epochs after the units died.
    # (The losslens imported here, wherever it is: an absolute path, as the subprocess runs elsewhere.)
    env = {**os.environ, "PYTHONPATH": f"{Path(losslens.__file__).resolve().parents[1]}{os.pathsep}{ROOT}"}
    out = subprocess.run([sys.executable, "-m", "losslens", "diagnose", str(HERE / "torch_lr2_s0_cut.json")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("torch_lr2_s0_cut: learning rate too high")
    cut = [line for line in lines if "the losslens callback lowered the learning rate 2 -> 0.2 at epoch 4 (lr_too_high)"
           in line]
    assert len(cut) == 1 and lines.index(cut[0]) <= 3  # (among the first lines the live report shows too)
    assert "a lower rate cannot revive them" in cut[0]
    assert "→ a bigger model" not in out.stdout


@pytest.mark.slow
def test_the_monitor_reads_the_step_live_cuts_once_in_time_and_says_so(capsys):
    torch = pytest.importorskip("torch")
    from sklearn.datasets import load_digits

    from losslens.integrations.torch import Monitor

    torch.set_num_threads(1)
    x, y = load_digits(return_X_y=True)
    x, y = torch.tensor(x / 16.0, dtype=torch.float32), torch.tensor(y)
    xtr, ytr, xva, yva = x[:1400], y[:1400], x[1400:], y[1400:]
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(),
                                torch.nn.Linear(64, 10))
    opt = torch.optim.SGD(model.parameters(), lr=2.0, momentum=0.9)
    mon = Monitor(model, opt, reduce_lr_on=("lr_too_high",), epochs=20)
    ce = torch.nn.functional.cross_entropy
    for _ in range(20):
        minibatch_epoch(model, opt, xtr, ytr, ce, 32, on_step=mon.step)
        with torch.no_grad():
            mon.epoch_end(val_loss=ce(model(xva), yva).item())
    mon.finish()
    out = capsys.readouterr().out
    assert [r["verdict"] for r in mon.reports] == ["lr_too_high"]
    cuts = [a for a in mon.actions if a["action"] == "lower_lr"]
    # One cut, at the first diagnosis (epoch 4); units that died get no gradient, so no second one.
    assert len(cuts) == 1 and cuts[0]["epoch"] <= 6 and opt.param_groups[0]["lr"] == pytest.approx(0.2)
    assert "restart from scratch" in out and "Try: a bigger model" not in out
    assert "the losslens callback lowered the learning rate 2 -> 0.2" in out


@pytest.mark.slow
def test_a_cut_made_after_the_last_report_brings_a_report_at_the_end_that_says_it(capsys):
    """tests/fixtures/ecosystem/torch_gru_cliff at seed 8 (a GRU at Adam 1e-2, ``reduce_lr_on=("lr_too_high",)``):
    reported converged at epoch 7, its lr cut 0.01 -> 0.001 at 19, and nothing more was reported: the verdict at the
    end was the one reported, so the run's last word was from before the cut (seed8.json's reports and actions)."""
    import importlib.util

    pytest.importorskip("torch")
    eco = Path(__file__).parent / "fixtures" / "ecosystem"
    spec = importlib.util.spec_from_file_location("gru_cliff", eco / "torch_gru_cliff" / "make.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monitor, _ = mod.train(stop_on=("converged", "overfitting", "diverged"), seed=8, time_budget_ms=None, verbose=1)
    out = capsys.readouterr().out
    cuts = [a for a in monitor.actions if a["action"] == "lower_lr"]
    assert [a["epoch"] for a in cuts] == [19], monitor.actions
    assert monitor.reports[-1].get("final") and monitor.reports[-1]["epoch"] > 19, monitor.reports
    end = [line for line in out.splitlines() if "at the end of training" in line]
    assert len(end) == 1 and "the losslens callback lowered the learning rate 0.01 -> 0.001 at epoch 19" in end[0]
