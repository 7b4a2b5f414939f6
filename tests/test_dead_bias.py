"""A network that cannot learn, whose loss still falls a little, is not told to raise its learning rate.

tests/fixtures/ecosystem/torch_dead_bias (make.py, make.out): a 64-64-64-10 ReLU MLP on digits with its hidden
biases at -5 (every unit dead), Adam 1e-3: val 2.3050 -> 2.3025 in 60 epochs, onto ln 10 = 2.3026, the output bias
settling on the class frequencies; at 10x the rate it ends at 2.3025 again, with biases at 0 at 0.112. It read
"stuck at initialization ... but val_loss still falls steadily ... learning, at a pace the step sets" with "raise the
learning rate (try 10x)" first; under losslens' own torch Monitor, which logged both hidden layers' gradient exactly
0, "raise the learning rate" second, and live "learning rate too low" after epoch 20 (83%). A sigmoid output on
diabetes' raw targets read the same first action; at 10x its validation loss froze at 27952.5, a linear output
reaches 3225. The control a larger rate does speed up, the healthy MLP at SGD 1e-5 (lr x10 falls 10x as far), and
DeepOBS' All-CNN-C on CIFAR-100 at SGD 1e-5 to 1e-4 (the grid's best rate reaches 2.1) keep it first.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

import losslens
from conftest import runs_by_name

DEAD = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_dead_bias"
DEEPOBS = "deepobs_baselines_curves.csv.gz"


def _val(name: str) -> list[float]:
    with open(DEAD / name, newline="") as fh:
        return [float(r["val_loss"]) for r in csv.DictReader(fh)]


def _actions(d) -> list[str]:
    return [str(a) for c in d.causes for a in c.actions]


def test_the_fixtures_show_what_a_larger_rate_does():
    """The make.py runs the claims rest on: lr x10 ends the dead MLP and the sigmoid output where lr did; the fixes
    (biases at 0, a linear output) go far lower; the control's lr x10 falls about 10x as far."""
    dead, x10, fixed = _val("dead.csv"), _val("dead_x10.csv"), _val("dead_bias0.csv")
    assert abs(dead[-1] - math.log(10)) < 2e-4 and abs(x10[-1] - dead[-1]) < 1e-4 and fixed[-1] < 0.2
    sig, sig10, lin = _val("sigmoid.csv"), _val("sigmoid_x10.csv"), _val("linear.csv")
    assert sig10[-1] >= sig[-1] - 1 and len(set(sig10[5:])) == 1 and lin[-1] < 0.2 * sig[-1]
    tiny, tiny10 = _val("tiny.csv"), _val("tiny_x10.csv")
    assert (tiny10[0] - tiny10[-1]) > 5 * (tiny[0] - tiny[-1]) > 0


@pytest.mark.parametrize("classes", [None, 10])
def test_dead_units_settling_onto_ln_k_are_not_told_to_raise_the_lr(classes):
    d = losslens.diagnose(DEAD / "dead.csv", classes=classes)
    assert d.verdict == "stuck_at_init", d
    assert not any("raise the learning rate" in a for a in _actions(d)), d
    assert not any("at a pace the step sets" in e and "not descending" not in e for e in d.cause.evidence), d
    line = next(e for e in d.cause.evidence if "settling onto a constant" in e)
    assert "ln 10" in line and "gets there sooner, no lower" in line
    assert "check the initialization and activations (dead ReLUs, saturated sigmoids)" in d.cause.actions


def test_a_saturated_sigmoid_output_is_not_told_to_raise_the_lr():
    d = losslens.diagnose(DEAD / "sigmoid.csv")
    assert d.verdict == "stuck_at_init", d
    assert not any("raise the learning rate" in a for a in _actions(d)), d
    assert any("settling onto a constant" in e for e in d.cause.evidence), d
    assert d.cause.actions[0].startswith("check the initialization and activations")


def test_layers_whose_gradient_is_exactly_0_rule_out_a_larger_rate():
    """The dead run under the torch Monitor: both hidden layers' gradient exactly 0 at every point logged."""
    d = losslens.diagnose(DEAD / "dead_monitor.json")
    assert d.verdict == "stuck_at_init", d
    assert d.cause.actions[0].startswith("check the initialization and activations")
    assert "re-initialize the layers whose gradient is 0" in d.cause.actions[0]
    assert not any("raise the learning rate" in a for a in _actions(d)), d
    assert any("no learning rate moves weights whose gradient is 0" in e for e in d.cause.evidence)


def test_live_the_monitor_does_not_call_dead_units_a_small_step():
    """Live, the same run read still_improving from epoch 4 and "learning rate too low" (83%) from epoch 19 (printed
    "after epoch 20")."""
    torch = pytest.importorskip("torch")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from losslens.integrations.torch import Monitor

    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    s = StandardScaler().fit(Xtr)
    Xtr, Xva = (torch.tensor(s.transform(a), dtype=torch.float32) for a in (Xtr, Xva))
    ytr, yva = torch.tensor(ytr), torch.tensor(yva)
    torch.manual_seed(0)
    nn = torch.nn
    m = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    with torch.no_grad():
        m[0].bias.fill_(-5.0); m[2].bias.fill_(-5.0)
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    mon, lossf, g = Monitor(m, opt, save_path=None), nn.CrossEntropyLoss(), torch.Generator().manual_seed(0)
    verdicts = []
    for _ in range(22):
        perm = torch.randperm(len(Xtr), generator=g)
        for i in range(0, len(Xtr), 64):
            idx = perm[i:i + 64]
            opt.zero_grad(); loss = lossf(m(Xtr[idx]), ytr[idx]); loss.backward(); opt.step()
            mon.step(loss, batch_size=len(idx))
        with torch.no_grad():
            mon.epoch_end(val_loss=lossf(m(Xva), yva).item())
        d = mon.watcher.diagnosis
        verdicts.append(d.verdict if d is not None else None)
    assert "lr_too_low" not in verdicts and verdicts[-1] == "stuck_at_init", verdicts
    assert not any("raise the learning rate" in a for a in _actions(mon.watcher.diagnosis))


def test_the_control_a_larger_rate_speeds_up_keeps_raise_the_lr():
    d = losslens.diagnose(DEAD / "tiny.csv", classes=10)
    assert d.verdict == "lr_too_low", d
    assert d.cause.actions[0].startswith("raise the learning rate")


@pytest.mark.parametrize("lr", ["1.e-05", "1.5848931925e-05", "2.5118864315e-05", "3.9810717055e-05",
                                "6.3095734448e-05", "1.e-04"])
def test_a_slow_descent_read_stuck_keeps_raise_the_lr_first(shared_curves, lr):
    """DeepOBS' All-CNN-C on CIFAR-100 at plain SGD: 0.2-0.6% below its start in 350 epochs, its last quarter
    9-26% of that fall (the dead MLP's: 1%); the grid's best rate reaches 2.1."""
    runs = runs_by_name(shared_curves / DEEPOBS)
    run = next(r for name, r in runs.items()
               if name.startswith(f"cifar100_allcnnc/GradientDescentOptimizer/num_epochs__350__batch_size__256__lr__"
                                  f"{lr}/"))
    d = losslens.diagnose(run)
    assert d.verdict == "stuck_at_init", d
    assert d.cause.actions[0].startswith("raise the learning rate (try 10x"), d
