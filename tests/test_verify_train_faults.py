"""losslens verify on training functions written the way users write them, with the faults users make: a keyword
taken and never used, no seed (a run that differs each call), Ctrl-C in the middle of the retrainings. Real tiny
PyTorch runs (one full-batch SGD step an epoch: tests/torch_loops.py)."""

import inspect
import itertools
import json
import math
import re

import pytest
from typer.testing import CliRunner

import losslens
from losslens.cli import app
from losslens.verification import ONE_PAIR_T
from torch_loops import linear_regression_run

pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("one_torch_thread")

runner = CliRunner()

USER_TRAIN = "import torch\n\n\n" + inspect.getsource(linear_regression_run)


def _line(report, cause):
    return next(ln for ln in str(report).splitlines() if f" {cause} — " in ln)


def test_a_keyword_train_takes_and_never_uses_decides_nothing():
    """``def train(lr_factor=1.0, ...)`` whose optimizer is built with the lr as written: lr x 10 returned the
    baseline's run to the last digit, and verify read it "+0.0%: does NOT hold" — lr_too_low refuted, the
    retraining "pointing to still_improving instead", by a change that was never made."""
    def train(lr_factor=1.0, epochs_factor=1.0):
        return linear_regression_run(0.05, round(30 * epochs_factor))  # lr_factor dropped: the user's bug

    v = losslens.verify(train, causes=["lr_too_low", "still_improving"], progress=False)
    lr = next(r for r in v.results if r.check.cause == "lr_too_low")
    assert lr.holds is None and "returned the very run the baseline did" in lr.skipped
    assert "takes lr_factor but its training does not change with it" in lr.skipped
    assert "not decided" in _line(v, "lr_too_low") and "NOT hold" not in _line(v, "lr_too_low")
    assert v.holds("lr_too_low") is None and v.broken("lr_too_low")
    # the change it does make is read as before
    assert v.holds("still_improving") is True

    def uses_it(lr_factor=1.0, epochs_factor=1.0):
        return linear_regression_run(0.05 * lr_factor, round(30 * epochs_factor))
    assert losslens.verify(uses_it, causes=["lr_too_low"], progress=False).holds("lr_too_low") is True


def test_the_cli_exits_2_naming_the_keyword_a_retraining_ignored(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(USER_TRAIN + "\ndef train(lr_factor=1.0, epochs_factor=1.0):\n"
                      "    return linear_regression_run(0.05, round(30 * epochs_factor))\n")
    res = runner.invoke(app, ["verify", f"{script}:train", "--cause", "lr_too_low"])
    assert res.exit_code == 2, res.output
    # A result, as compare's: said on the report's own lines, nothing on stderr (a bad input's place)
    assert res.stderr == "", res.stderr
    assert "\nasked lr_too_low: not checked: its retraining changed nothing (train(lr_factor=10.0) returned the very " \
           "run the baseline did" in res.stdout, res.stdout
    assert "not decided" in res.stdout
    # --json: its stdout the one object, the reason in it, stderr empty, the exit the same
    res = runner.invoke(app, ["verify", f"{script}:train", "--cause", "lr_too_low", "--json"])
    assert res.exit_code == 2 and res.stderr == "", res.output
    asked = json.loads(res.stdout)["asked"]
    assert [a["cause"] for a in asked] == ["lr_too_low"] and asked[0]["holds"] is None
    assert asked[0]["unsettled"].startswith("not checked: its retraining changed nothing (train(lr_factor=10.0) "
                                            "returned the very run the baseline did"), asked


def test_a_train_without_a_seed_is_run_twice_and_a_move_within_its_noise_decides_nothing():
    """A seedless train() (a new split and init each call, as an unseeded torch loop gives): its baseline ended
    0.486 and, called again unchanged, 0.333 (-31%). Twice the epochs at 0.290 read "-40%: holds" on one draw of
    that noise; lr x 10 at 0.03 is far outside it and still holds."""
    calls = itertools.count()

    def train(lr_factor=1.0, epochs_factor=1.0):
        return linear_regression_run(0.05 * lr_factor, round(30 * epochs_factor), seed=next(calls))

    v = losslens.verify(train, causes=["still_improving", "lr_too_low"], progress=False)
    more = next(r for r in v.results if r.check.cause == "still_improving")
    assert more.holds is None and more.value is not None
    assert v.deterministic is False and v.to_dict()["deterministic"] is False
    assert "train() is not deterministic: run twice unchanged, its val_loss ended 0.4856 and 0.3326" in more.skipped
    assert "not decided" in _line(v, "still_improving")
    assert v.holds("lr_too_low") is True  # -94%: no noise of that size makes it
    assert "not deterministic" in str(v).splitlines()[-1]
    # the chart draws the second baseline beside the first: the noise the checks were read against
    pytest.importorskip("matplotlib")
    from losslens.report.plot import verification_figure
    labels = [ln.get_label() for ln in verification_figure(v).axes[0].lines]
    assert "baseline again, unchanged (not deterministic)" in labels

    # the same function seeded the same each call: trained twice, identical; read as before
    def seeded(lr_factor=1.0, epochs_factor=1.0):
        return linear_regression_run(0.05 * lr_factor, round(30 * epochs_factor))
    same = losslens.verify(seeded, causes=["still_improving"], progress=False)
    assert same.deterministic is True and same.holds("still_improving") is True


def _interrupting(lr_factor=1.0, epochs_factor=1.0):
    if epochs_factor > 1:  # the user presses Ctrl-C while twice the epochs trains
        raise KeyboardInterrupt
    return linear_regression_run(0.05 * lr_factor, round(30 * epochs_factor))


def test_ctrl_c_mid_retraining_keeps_the_checks_already_read():
    with pytest.raises(KeyboardInterrupt) as info:
        losslens.verify(_interrupting, causes=["lr_too_low", "still_improving"], progress=False)
    from losslens.verification import Interrupted  # (here: the old code had none, and every test must fail alone)
    assert isinstance(info.value, Interrupted)
    partial = info.value.partial
    assert partial.interrupted and partial.holds("lr_too_low") is True
    more = next(r for r in partial.results if r.check.cause == "still_improving")
    assert more.holds is None and more.skipped.startswith("interrupted (Ctrl-C)") and more.why == "interrupted"
    assert "interrupted (Ctrl-C): 1 check not run" in str(partial)
    assert partial.to_dict()["interrupted"] is True


def test_the_cli_prints_what_ran_before_ctrl_c_and_exits_130(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(USER_TRAIN + "\n" + inspect.getsource(_interrupting).replace("_interrupting", "train"))
    res = runner.invoke(app, ["verify", f"{script}:train", "--cause", "lr_too_low", "--cause", "still_improving"])
    assert res.exit_code == 130, res.output
    assert "✓ lr_too_low — learning rate x 10" in res.stdout
    assert "interrupted (Ctrl-C): 1 check not run" in res.stdout
    assert res.stderr.strip() == "losslens: interrupted"
    res = runner.invoke(app, ["verify", f"{script}:train", "--cause", "lr_too_low", "--cause", "still_improving",
                              "--json"])
    assert res.exit_code == 130
    out = json.loads(res.stdout)
    assert out["interrupted"] is True and [c["holds"] for c in out["checks"]] == [True, None]


def test_a_train_that_returns_one_curve_as_bare_numbers_is_told_to_name_it():
    """``return history["val_loss"]``: verify said "returned list; return a Keras History, a dict of lists, a list of
    per-epoch dicts ..." — a list, refused as "a list of per-epoch dicts". It is a curve without its name."""
    def train(lr_factor=1.0):
        return linear_regression_run(0.05 * lr_factor, 20)["val_loss"]
    with pytest.raises(TypeError, match=r"^train\(\) returned list: an array of 20 numbers does not say which curve "
                                        r"it is: name it, \{'val_loss': values\}"):
        losslens.verify(train, progress=False)


def test_seeds_that_train_ignores_are_said_to_be_one_run_not_a_mean():
    """``def train(..., seed=0)`` that never seeds with it: ``--seeds 0,1,2`` printed "mean of seeds 0, 1, 2" and
    "lower in 3/3 seeds" of three copies of one run."""
    def train(lr_factor=1.0, epochs_factor=1.0, seed=0):
        return linear_regression_run(0.05 * lr_factor, round(30 * epochs_factor))  # seed dropped
    v = losslens.verify(train, causes=["lr_too_low"], seeds=(0, 1), progress=False)
    assert v.holds("lr_too_low") is True
    assert "the 2 seeds gave the very same baseline run: train takes `seed` and does not use it" in str(v)

    def seeded(lr_factor=1.0, epochs_factor=1.0, seed=0):
        return linear_regression_run(0.05 * lr_factor, round(30 * epochs_factor), seed=seed)
    assert "does not use it" not in str(losslens.verify(seeded, causes=["lr_too_low"], seeds=(0, 1), progress=False))


def _separable_run(lr=0.1, epochs=20):
    """A user's torch classifier that validates by accuracy alone ({"train_loss", "val_acc"}): a logistic
    regression on two well separated classes, full batch; it reaches validation accuracy 1.0."""
    import torch

    torch.manual_seed(0)
    x = torch.randn(200, 2)
    y = (x[:, 0] > 0).long()
    x[:, 0] += torch.where(y == 1, 1.0, -1.0)
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    history = {"train_loss": [], "val_acc": []}
    for _ in range(epochs):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x[:150]), y[:150])
        loss.backward()
        opt.step()
        history["train_loss"].append(loss.item())
        with torch.no_grad():
            history["val_acc"].append((model(x[150:]).argmax(1) == y[150:]).float().mean().item())
    return history


def test_an_unchanged_run_at_zero_error_reads_zero_not_nan():
    """The error of a score at 100% validation accuracy is 0.0, a real value: an unchanged retraining read it
    ``or np.nan`` and printed "got nan → nan" (JSON null) for a baseline that ended at 1 - val_acc = 0."""
    assert _separable_run()["val_acc"][-1] == 1.0

    def train(lr_factor=1.0):
        return _separable_run()  # lr_factor dropped

    v = losslens.verify(train, causes=["lr_too_low"], progress=False)
    (r,) = v.results
    assert r.check.measured() == "1 - val_acc" and "returned the very run the baseline did" in r.skipped
    assert r.baseline == 0.0 and r.value == 0.0
    assert "got 0 → 0: not decided" in _line(v, "lr_too_low")
    assert v.to_dict()["checks"][0]["baseline"] == 0.0


def test_a_seedless_train_is_trained_again_only_where_a_check_retrains():
    """The second baseline run measures the noise a retraining is read against: where no check retrains (train
    takes none of the keywords, or the verdict is an observation) it was trained anyway, one wasted run (a
    minute of Keras), before the baseline had even been diagnosed."""
    calls = itertools.count()

    def train():  # no keyword at all: every check is skipped
        return linear_regression_run(0.05, 30, seed=next(calls))

    v = losslens.verify(train, progress=False)
    assert v.results and all(r.holds is None and "takes no" in r.skipped for r in v.results)
    assert next(calls) == 1 and v.deterministic is None

    calls = itertools.count()

    def takes_epochs(epochs_factor=1.0):
        return linear_regression_run(0.05, round(30 * epochs_factor), seed=next(calls))

    v = losslens.verify(takes_epochs, causes=["still_improving"], progress=False)
    assert next(calls) == 3 and v.deterministic is False  # baseline, again, twice the epochs


def test_ctrl_c_in_the_second_baseline_run_is_an_interrupted_verification():
    calls = itertools.count()

    def train(lr_factor=1.0):
        if next(calls) == 1:  # the user presses Ctrl-C while the baseline trains again
            raise KeyboardInterrupt
        return linear_regression_run(0.05 * lr_factor, 30)

    from losslens.verification import Interrupted
    with pytest.raises(Interrupted) as info:
        losslens.verify(train, causes=["lr_too_low"], progress=False)
    (r,) = info.value.partial.results
    assert r.holds is None and r.skipped.startswith("interrupted (Ctrl-C)")


def test_the_json_says_why_a_check_decided_nothing_and_whether_the_seeds_were_used():
    """Why a check was not decided was told apart only by reading ``skipped``'s words or whether it had a value
    (an unchanged run has one, as a move within the noise does); ``seed_unused`` was a line of the text alone."""
    def ignores_lr(lr_factor=1.0, epochs_factor=1.0, seed=0):
        return linear_regression_run(0.05, round(30 * epochs_factor))  # lr_factor and seed dropped

    out = losslens.verify(ignores_lr, causes=["lr_too_low", "still_improving"], seeds=(0, 1), progress=False).to_dict()
    assert out["seed_unused"] is True
    assert {c["cause"]: c["why"] for c in out["checks"]} == {"lr_too_low": "unchanged", "still_improving": None}

    def seeded(lr_factor=1.0, seed=0):
        return linear_regression_run(0.05 * lr_factor, 30, seed=seed)
    out = losslens.verify(seeded, causes=["lr_too_low"], seeds=(0, 1), progress=False).to_dict()
    assert out["seed_unused"] is False and out["checks"][0]["why"] is None

    calls = itertools.count()

    def noisy(epochs_factor=1.0):
        return linear_regression_run(0.05, round(30 * epochs_factor), seed=next(calls))
    (r,) = losslens.verify(noisy, causes=["still_improving"], progress=False).results
    assert r.why == "noise" and r.to_dict()["why"] == "noise"


# A seedless scikit-learn training function as users write it: no random_state for the split nor the MLP, so each call
# draws a new split and a new init from numpy's global generator. The tests seed that generator once, before verify
# calls train(): the calls still differ from each other, and the draws are the same on every test run.
SEEDLESS_SKLEARN = '''import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier


def train(lr_factor=1.0, epochs_factor=1.0):
    x, y = load_digits(return_X_y=True)
    x_tr, x_va, y_tr, y_va = train_test_split(x / 16, y, test_size=0.1)
    model = MLPClassifier(hidden_layer_sizes=(32,), learning_rate_init=1e-2 * lr_factor)
    loss, val_loss = [], []
    for _ in range(round(30 * epochs_factor)):
        model.partial_fit(x_tr, y_tr, classes=np.arange(10))
        loss.append(model.loss_)
        val_loss.append(log_loss(y_va, model.predict_proba(x_va), labels=np.arange(10)))
    return {"loss": loss, "val_loss": val_loss}
'''


@pytest.fixture
def seedless_sklearn(tmp_path):
    """(the script's path, its train function), numpy's global generator seeded at 2 and put back after."""
    pytest.importorskip("sklearn")
    import importlib.util

    import numpy as np
    script = tmp_path / "train.py"
    script.write_text(SEEDLESS_SKLEARN)
    spec = importlib.util.spec_from_file_location("seedless_train", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    state = np.random.get_state()
    np.random.seed(2)
    yield script, module.train
    np.random.set_state(state)


def test_the_cli_exits_2_where_a_seedless_train_leaves_the_verdict_not_decided(seedless_sklearn):
    """Its two unchanged runs ended val_loss 0.2973 and 0.1156: twice the epochs at 0.1503 decides nothing, and the
    report said so, but the exit was 0, the code of a prediction that held (a retraining that changed nothing exits 2)."""
    script, _ = seedless_sklearn
    res = runner.invoke(app, ["verify", f"{script}:train"])
    assert res.exit_code == 2, res.output
    assert "· still_improving — twice the epochs: predicts val_loss ends ≥ 2% lower; got 0.2973 → 0.1503: not decided" \
        in res.stdout
    assert res.stderr == "", res.stderr  # (the reason is the report's last line)
    assert res.stdout.strip().splitlines()[-1].startswith(
        "verdict still_improving: not checked: its retraining moved the loss no further than train() moves it "
        "unchanged (not deterministic)"), res.stdout


def test_a_baseline_given_to_a_seedless_train_is_read_against_its_noise(seedless_sklearn, tmp_path):
    """``--baseline run.csv`` with a train() that takes no seed: train() was not run unchanged, so nothing measured
    how far its runs land, and twice the epochs read "0.2973 → 0.09741 (-67.2%): holds" (exit 0) on a run that,
    trained again unchanged, ended at 0.1156. It is run once unchanged against the run given, as it is run twice without one."""
    pd = pytest.importorskip("pandas")
    script, train = seedless_sklearn
    base = tmp_path / "run.csv"
    pd.DataFrame(train()).to_csv(base, index_label="epoch")  # the user's earlier run, logged
    res = runner.invoke(app, ["verify", f"{script}:train", "--baseline", str(base), "--json"])
    assert res.exit_code == 2, res.output
    out = json.loads(res.stdout)
    assert out["deterministic"] is False
    check = next(c for c in out["checks"] if c["cause"] == "still_improving")
    assert check["holds"] is None and check["why"] == "noise"
    assert "train() does not reproduce the baseline given (it is not deterministic, or the log came from other code " \
           "or data): run unchanged, its val_loss ended 0.1156 against 0.2973 in the baseline given (-61.1%)" \
           in check["skipped"]
    assert res.stderr == "" and out["summary"].startswith("not checked: its retraining moved the loss no further "
                                                          "than train() moves it unchanged"), (res.stderr, out["summary"])


def test_the_last_line_says_a_seedless_train_is_not_deterministic_where_the_verdict_goes_unchecked(seedless_sklearn):
    """``--cause lr_too_low`` on a still_improving run: the verdict has no check of its own, lr x 10 ran once, and
    the baseline trained twice unchanged ended 0.2973 and 0.1156. The last line said "verdict still_improving: not
    checked" alone, where every other outcome says the checks came from one run per change of a train() that is not
    deterministic."""
    script, train = seedless_sklearn
    res = runner.invoke(app, ["verify", f"{script}:train", "--cause", "lr_too_low"])
    assert res.exit_code == 2, res.output
    last = res.stdout.strip().splitlines()[-1]
    assert last == ("verdict still_improving: not checked; from one run per change of a train() that is not "
                    "deterministic (its baseline, trained twice, differed): give it a `seed` keyword and "
                    "--seeds 0,1,2"), res.stdout
    res = runner.invoke(app, ["verify", f"{script}:train", "--cause", "lr_too_low", "--json"])
    out = json.loads(res.stdout)
    assert out["confirmed"] is None and out["deterministic"] is False


def test_an_unseeded_train_that_ignores_the_keyword_does_not_refute_the_cause():
    """An sklearn MLP on digits at lr 1e-4 whose train() takes lr_factor and never uses it, its init and
    validation split new each call (random_state 1, 2, 3 here): unchanged, 1 − val_acc ended 0.6611 and 0.6556
    (0.8% apart); lr x 10, the same training again, 0.6278, and verify read "does NOT hold" (exit 1): lr_too_low
    refuted by a change never made. One pair of unchanged runs measures their spread too loosely to tell that run
    from theirs (at twice that pair's spread, 5 of 12 such starting seeds refuted it)."""
    pytest.importorskip("sklearn")
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier

    x, y = load_digits(return_X_y=True)
    calls = itertools.count(1)

    def train(lr_factor=1.0, epochs_factor=1.0):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (60 epochs at 1e-4 do not converge: sklearn says so)
            return MLPClassifier((16,), early_stopping=True, max_iter=int(60 * epochs_factor), n_iter_no_change=1000,
                                 learning_rate_init=1e-4, random_state=next(calls)).fit(x / 16, y)

    v = losslens.verify(train, causes=["lr_too_low"], progress=False)
    lr = next(r for r in v.results if r.check.cause == "lr_too_low")
    assert v.deterministic is False
    assert lr.holds is None and lr.why == "noise", lr
    assert "a keyword it takes and does not use" in lr.skipped
    # The pair train() ran unchanged, as the message quotes it: the change's run lies within ONE_PAIR_T times their
    # spread of the baseline (a ratio: all three are positive), which is why it decides nothing.
    ended = re.search(r"ended ([0-9.]+) and ([0-9.]+)", lr.skipped)
    assert ended, lr.skipped
    b, again = map(float, ended.groups())
    assert b == pytest.approx(lr.baseline, abs=1e-3) and again != b
    assert abs(math.log(lr.value / lr.baseline)) <= ONE_PAIR_T * abs(math.log(again / b)) * (1 + 1e-3)
    assert v.holds("lr_too_low") is None and "NOT hold" not in _line(v, "lr_too_low")
