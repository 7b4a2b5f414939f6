"""What ``losslens verify`` read wrongly in walk 46, each on a real run: a regression on shuffled targets, which
diagnose reads no_signal once told the constant prediction's loss (``--baseline-loss``), read overfitting by verify,
which took no such option."""
import numpy as np
import pytest
from typer.testing import CliRunner

import losslens
from losslens.cli import app

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.usefixtures("one_torch_thread")

runner = CliRunner()

# The walker's reg.py (regression_baseline/make.py's shuf_small): 10 features, standardised targets (variance 1,
# so a constant prediction's MSE is 1.0) shuffled against the inputs, a 4-4 ReLU net, Adam 1e-3, 60 epochs.
SHUFFLED = '''import numpy as np
import torch

r = np.random.RandomState(0)
X = r.randn(1500, 10)
y = X @ r.randn(10) + 0.3 * r.randn(1500)
y = (y - y.mean()) / y.std()
CALLS = []


def train(shuffle_labels=False):
    """shuffle_labels draws another permutation of the already shuffled targets: a run as signal-free as the first."""
    CALLS.append(shuffle_labels)
    torch.manual_seed(0)
    i = np.random.RandomState(0).permutation(len(X)); n = int(0.8 * len(X))
    k = 10 if shuffle_labels else 0
    ytr = np.random.RandomState(1 + k).permutation(y[i[:n]])
    yva = np.random.RandomState(2 + k).permutation(y[i[n:]])
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    Xtr, Xva, ttr, tva = f(X[i[:n]]), f(X[i[n:]]), f(ytr), f(yva)
    m = torch.nn.Sequential(torch.nn.Linear(10, 4), torch.nn.ReLU(), torch.nn.Linear(4, 4), torch.nn.ReLU(),
                            torch.nn.Linear(4, 1))
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    mse = torch.nn.MSELoss()
    rows = {"loss": [], "val_loss": []}
    for _ in range(60):
        m.train(); p = torch.randperm(len(Xtr))
        for b in range(0, len(Xtr), 64):
            j = p[b:b + 64]
            loss = mse(m(Xtr[j]).squeeze(-1), ttr[j]); opt.zero_grad(); loss.backward(); opt.step()
        m.eval()
        with torch.no_grad():
            rows["loss"].append(mse(m(Xtr).squeeze(-1), ttr).item())
            rows["val_loss"].append(mse(m(Xva).squeeze(-1), tva).item())
    return rows
'''


@pytest.fixture(scope="module")
def shuffled(tmp_path_factory):
    path = tmp_path_factory.mktemp("walk46") / "reg.py"
    path.write_text(SHUFFLED)
    ns: dict = {}
    exec(compile(SHUFFLED, str(path), "exec"), ns)
    return path, ns


def test_verify_states_the_baseline_loss_on_the_baseline_and_every_retraining(shuffled):
    """Unstated, the run reads overfitting (diagnose too); told a constant prediction scores 1.0, diagnose reads
    no_signal, and verify now reads the baseline so and each retrained run with the same level."""
    _, ns = shuffled
    assert losslens.diagnose(ns["train"]()).verdict == "overfitting"  # (what verify read, with no way to say more)
    v = losslens.verify(ns["train"], causes=["no_signal"], progress=False, baseline_loss=1.0)
    assert v.diagnosis.verdict == "no_signal"
    assert v.baseline_runs[0].meta["baseline_loss"] == 1.0
    (r,) = [r for r in v.results if r.check.cause == "no_signal" and r.runs]
    assert all(run.meta["baseline_loss"] == 1.0 for run in r.runs)
    assert r.verdicts == ["no_signal"] and r.holds is True


def test_verify_takes_the_noise_floor_and_the_baseline_loss_on_the_command_line(shuffled):
    path, _ = shuffled
    res = runner.invoke(app, ["verify", f"{path}:train", "--baseline-loss", "1.0", "--noise-floor", "0.5"])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("train: no_signal"), res.stdout
    assert "--noise-floor VALUE" in runner.invoke(app, ["verify", "--help"]).stdout


@pytest.mark.parametrize("option,value", [("--baseline-loss", "0"), ("--noise-floor", "nan"),
                                          ("--baseline-loss", "-1")])
def test_a_bad_level_is_one_line_before_train_py_is_imported(tmp_path, option, value):
    script = tmp_path / "train.py"
    script.write_text("raise SystemExit('imported')\n\ndef train(lr_factor=1.0):\n    return {}\n")
    res = runner.invoke(app, ["verify", f"{script}:train", option, value])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and f"Invalid value for '{option}'" in lines[0] and "imported" not in lines[0], lines


@pytest.mark.parametrize("kw", [{"baseline_loss": 0.0}, {"noise_floor": float("nan")}, {"baseline_loss": "1"}])
def test_a_bad_level_in_python_is_refused_before_train_runs(kw):
    calls = []

    def train(lr_factor=1.0):
        calls.append(lr_factor)
        return {"loss": [1.0, 0.5, 0.4], "val_loss": [1.0, 0.6, 0.5]}

    with pytest.raises((losslens.UsageError, losslens.UsageTypeError), match=f"^{next(iter(kw))}="):
        losslens.verify(train, progress=False, **kw)
    assert calls == []


def constant_sgd(lr_factor=1.0, epochs_factor=1.0, from_epoch=0, seed=0):
    """The walker's sgdflat.py (tests/fixtures/ecosystem/torch_sgd_noise_floor's sreg_flat) made smaller: a linear
    regression on 40 features, noise sd 0.3 (floor 0.09), SGD in batches of 4 at an lr held at 0.04 for 50 epochs
    (logged): the step's scatter holds val_loss near 0.147, where lr/10 ends near 0.108."""
    torch.manual_seed(0)
    n, d = 400, 40
    x = torch.randn(2 * n, d)
    y = x @ torch.randn(d) + 0.3 * torch.randn(2 * n)
    w = torch.zeros(d, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.04)
    h = {"loss": [], "val_loss": [], "lr": []}
    for epoch in range(round(50 * epochs_factor)):
        lr = 0.04 * (lr_factor if epoch >= from_epoch else 1.0)
        for g in opt.param_groups:
            g["lr"] = lr
        perm, total = torch.randperm(n), 0.0
        for i in range(0, n, 4):
            j = perm[i:i + 4]
            loss = ((x[:n][j] @ w - y[:n][j]) ** 2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
            total += loss.item() * len(j)
        with torch.no_grad():
            h["val_loss"].append(((x[n:] @ w - y[n:]) ** 2).mean().item())
        h["loss"].append(total / n); h["lr"].append(lr)
    return h


def test_a_converged_held_step_is_refuted_by_lr_over_10_and_points_to_lr_too_high():
    """diagnose reads the held SGD step converged (nothing in a constant-lr log tells the step's noise floor from the
    data's: tests/test_sgd_noise_floor.py); verify's lr/10 goes lower, so converged's claim (the level is the floor)
    stays NOT confirmed and the report points to lr_too_high (exit 1): verify is where this run's truth shows."""
    v = losslens.verify(constant_sgd, progress=False)
    assert v.diagnosis.verdict == "converged"
    assert v.holds("converged") is False and v.holds("lr_too_high") is True  # (exit 1)
    (r,) = [r for r in v.results if r.check.cause == "lr_too_high"]
    assert r.change_rel < -0.15
    last = str(v).splitlines()[-1]
    assert "NOT confirmed" in last and "points to lr_too_high" in last


def test_verify_carries_the_line_on_a_total_loss_s_parts_that_diagnose_gives():
    """A two-head Keras model (tests/fixtures/ecosystem/keras_heads_apart/w1.csv, made by its make.py): the total
    val_loss still falls while val_head1_loss overfits from epoch 0. diagnose says so in its "read alone" clause;
    verify's report, which retrains for the total's verdict, dropped it."""
    from pathlib import Path

    log = str(Path(__file__).parent / "fixtures" / "ecosystem" / "keras_heads_apart" / "w1.csv")
    said = [e for e in losslens.diagnose(log).cause.evidence if "read alone: " in e]
    assert len(said) == 1
    alone = said[0][said[0].index("read alone: "):]
    assert alone.startswith("read alone: val_head1_loss overfits from epoch 0 (--metric val_head1_loss)")

    def train(shuffle_labels=False):  # (no check of still_improving's runs: the baseline given is all that is read)
        return log

    text = str(losslens.verify(train, baseline=log, progress=False))
    assert f"parts of val_loss, {alone}" in text.splitlines(), text
