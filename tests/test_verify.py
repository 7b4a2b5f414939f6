"""losslens.verify on real tiny PyTorch trainings: each counterfactual is trained, and a check
holds or fails on what the retrained model actually did."""

import copy
import json
import math
import re

import numpy as np
import pytest

import losslens
from losslens.verification import CHECKS, KEYWORDS, Check, prediction_holds, verify

from torch_loops import minibatch_epoch

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _data(n, seed, noise, d, signal=True, shuffle=False):
    g = np.random.default_rng(seed)
    x = g.normal(size=(n, d))
    y = x @ np.linspace(-2, 2, d) + noise * g.normal(size=n) if signal else g.normal(size=n)
    if shuffle:
        y = g.permutation(y)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y[:, None], dtype=torch.float32)


# Several tests verify the same configuration, and verify() retrains the same changes of it (twice the
# epochs, lr / 10 ...): a training is deterministic in its arguments (seeded, one torch thread), so each is
# run once per test process and handed out as a copy. What verify() does with the runs is unchanged.
_RUNS: dict = {}


def trainer(opt="sgd", lr=0.1, epochs=40, n=200, noise=0.3, batch=8, hidden=(), d=4, signal=True):
    """A regression training function with the keywords verify() passes (mini-batch, MSE)."""
    def train(lr_factor=1.0, epochs_factor=1.0, size_factor=1.0, data_factor=1.0, shuffle_labels=False,
              from_epoch=0, seed=0):
        key = (opt, lr, epochs, n, noise, batch, tuple(hidden), d, signal,
               lr_factor, epochs_factor, size_factor, data_factor, shuffle_labels, from_epoch, seed)
        if key not in _RUNS:
            _RUNS[key] = _fit(opt, lr, epochs, n, noise, batch, hidden, d, signal,
                              lr_factor, epochs_factor, size_factor, data_factor, shuffle_labels, from_epoch, seed)
        return copy.deepcopy(_RUNS[key])
    return train


def _mse(out, target):
    return ((out - target) ** 2).mean()


def _fit(opt, lr, epochs, n, noise, batch, hidden, d, signal,
         lr_factor, epochs_factor, size_factor, data_factor, shuffle_labels, from_epoch, seed):
    torch.manual_seed(seed)
    xt, yt = _data(int(round(n * data_factor)), seed, noise, d, signal, shuffle_labels)
    xv, yv = _data(500, 1000 + seed, noise, d, signal)
    layers, k = [], d
    for h in hidden:
        w = max(1, int(h * size_factor))
        layers += [torch.nn.Linear(k, w), torch.nn.ReLU()]
        k = w
    model = torch.nn.Sequential(*layers, torch.nn.Linear(k, 1))
    optim = (torch.optim.SGD if opt == "sgd" else torch.optim.Adam)(model.parameters(), lr=lr)
    hist = {"loss": [], "val_loss": []}
    for epoch in range(round(epochs * epochs_factor)):
        for group in optim.param_groups:  # the change from `from_epoch` on (0: from the start)
            group["lr"] = lr * (lr_factor if epoch >= from_epoch else 1.0)
        hist["loss"].append(minibatch_epoch(model, optim, xt, yt, _mse, batch))
        with torch.no_grad():
            hist["val_loss"].append(_mse(model(xv), yv).item())
    return hist


@pytest.mark.parametrize("seed", range(4))
def test_a_model_that_learns_all_in_its_first_epoch_is_converged_from_the_first_point(seed):
    # Linear regression, SGD(0.1), batch 8: it is at the noise floor (0.09) before the first
    # validation. Validation is flat from there and training's epoch means fall (the first
    # one averages the descent): not "no signal" — validation ends level with training.
    d = losslens.diagnose(trainer()(seed=seed))
    assert d.verdict == "converged"
    assert d.plateau_epoch == 0
    assert "no_signal" not in d.cause_ids()


def test_converged_is_confirmed_by_twice_the_epochs_and_a_wrong_cause_fails_its_check():
    v = verify(trainer(), progress=False)
    assert v.diagnosis.verdict == "converged" and v.confirmed is True
    more, slower = [r for r in v.results if r.check.cause == "converged"]
    assert more.check.change == {"epochs_factor": 2.0} and more.holds
    assert abs(more.change_rel) < 0.1 and more.verdicts == ["converged"]
    # lr / 10 from the plateau on (X = epoch 0: after one epoch), a step schedule in train()
    assert slower.check.change == {"lr_factor": 0.1, "from_epoch": 1} and slower.holds
    assert "verdict converged: confirmed" in str(v) and "learning rate / 10 from epoch 1 on" in str(v)

    # At the noise floor a smaller step cannot go lower: lr_too_high's prediction fails.
    wrong = verify(trainer(), causes=["lr_too_high"], progress=False)
    (r,) = [r for r in wrong.results if not r.shared and r.check.statistic == "end"]
    assert r.holds is False and r.change_rel > -0.15
    # (no spread's reading at a calm floor: under the end's 15% bar, any smaller step calms it)
    assert not any(r.check.statistic == "spread" for r in wrong.results)
    assert wrong.holds("lr_too_high") is False and wrong.confirmed is None  # the verdict was not checked


def test_a_bouncing_step_is_confirmed_by_lr_over_10_from_the_plateau():
    # SGD(0.15), batch 1, on low-noise data (floor 0.0025): it bounces far above the floor.
    v = verify(trainer(lr=0.15, noise=0.05, batch=1, d=4, epochs=30, n=100), progress=False)
    assert v.diagnosis.verdict == "lr_too_high" and v.confirmed is True
    r = next(r for r in v.results if r.check.cause == "lr_too_high")
    assert 0 < r.check.change["from_epoch"] < 29 and r.change_rel < -0.5  # measured: 0.0094 -> 0.0025
    # the same retrained run refutes converged (the checks share it)
    assert v.holds("converged") in (None, False)



@pytest.mark.slow
def test_a_change_from_the_plateau_is_said_where_the_run_s_own_epochs_show_it():
    # The same bouncing SGD(0.15), logged as hand-written loops often log it, epochs numbered from 1. from_epoch
    # counts the epochs trained as the baseline: the change first shows at epoch from_epoch + 1 of this log,
    # which is what the line and the chart must say (they said "from epoch {from_epoch} on").
    base = trainer(lr=0.15, noise=0.05, batch=1, d=4, epochs=30, n=100)

    def train(lr_factor=1.0, epochs_factor=1.0, from_epoch=0, seed=0):
        h = base(lr_factor=lr_factor, epochs_factor=epochs_factor, from_epoch=from_epoch, seed=seed)
        return dict(h, epoch=list(range(1, len(h["loss"]) + 1)))
    v = verify(train, causes=["lr_too_high"], progress=False)
    (r,) = [r for r in v.results if r.check.cause == "lr_too_high" and r.check.statistic == "end"]
    n = r.check.change["from_epoch"]
    new, old = r.runs[0].series["val_loss"], v.baseline_runs[0].series["val_loss"]
    assert np.array_equal(new[:n], old[:n]) and new[n] != old[n]  # the runs part at the (n + 1)-th logged epoch
    assert r.runs[0].axis[n] == n + 1 and r.began == n + 1
    assert f"lr_too_high — learning rate / 10 from epoch {n + 1} on: predicts" in str(v)
    pytest.importorskip("matplotlib")
    from losslens.report.plot import verification_figure
    legend = [t.get_text() for t in verification_figure(v).axes[0].get_legend().get_texts()]
    assert any(t.startswith(f"learning rate / 10 from {n + 1} (") for t in legend), legend

@pytest.mark.slow
def test_a_converged_verdict_that_a_smaller_step_beats_reports_lr_too_high_off_the_same_run():
    # SGD(0.2), batch 4: a step too large from the first epoch, read converged (at X = 0) from the curve
    v = verify(trainer(lr=0.2, noise=0.1, batch=4, d=4, epochs=40), progress=False)
    assert v.diagnosis.verdict == "converged" and v.confirmed is False
    shared = [r for r in v.results if r.shared]
    assert [r.check.cause for r in shared] == ["lr_too_high"] and shared[0].holds
    assert shared[0].runs is next(r.runs for r in v.results if r.check.cause == "converged" and "lr_factor" in r.check.change)
    assert "(read off the same retrained run)" in str(v)
    assert "verdict converged: NOT confirmed; the retraining points to lr_too_high instead (learning rate / 10: " in str(v)
    assert v.points_to == "lr_too_high"



@pytest.mark.slow
def test_converged_checked_by_twice_the_epochs_alone_on_a_bouncing_tail_is_not_decided():
    # The same SGD(0.2) run: with from_epoch, lr / 10 from the plateau refutes converged (above). A train
    # without from_epoch cannot make that check, and twice the epochs alone cannot tell a floor from a
    # bouncing step: "confirmed by retraining" would claim the check that did not run.
    full = trainer(lr=0.2, noise=0.1, batch=4, d=4, epochs=40)

    def train(lr_factor=1.0, epochs_factor=1.0, seed=0):
        return full(lr_factor=lr_factor, epochs_factor=epochs_factor, seed=seed)
    # Since the 2% / 10% bars are read against the runs' own tail noise, the check that ran decides nothing here:
    # twice the epochs moved the end +5.9% where the baseline's tail bounces ±20% from epoch to epoch (it had said
    # "held", confirming converged in part on a coin flip).
    v = verify(train, causes=["converged"], progress=False)
    assert v.diagnosis.verdict == "converged" and v.confirmed is None
    assert "learning rate / 10: predicts val_loss ends < 15% lower: not run (train() takes no from_epoch" in str(v)
    [twice] = [r for r in v.results if r.check.name == "twice the epochs"]
    assert twice.why == "tail_noise" and twice.holds is None
    assert "verdict converged: not decided: the retraining moved the loss no further than its tail's own noise" \
        in str(v)
    pytest.importorskip("matplotlib")
    from losslens.report.plot import verification_figure
    assert "not decided" in verification_figure(v).axes[0].get_title(loc="left")


@pytest.mark.slow
def test_converged_is_never_confirmed_when_twice_the_epochs_climbs_away_from_the_floor():
    # A user's SGD(0.2) MLP on diabetes reads converged (plateau at epoch 3); trained twice as long, its
    # validation loss ends ~19% higher on the mean of 3 seeds (each retrained run reads lr_too_high): the step
    # bounces it off the level it sat at. "< 2% lower" alone passed that as converged's prediction holding.
    from torch_loops import diabetes_mlp_run

    def train(lr_factor=1.0, epochs_factor=1.0, seed=0):
        return diabetes_mlp_run(0.2, lr_factor=lr_factor, epochs_factor=epochs_factor, seed=seed)
    v = verify(train, seeds=(0, 1, 2), causes=["converged"], progress=False)
    # The verdict is read on the seeds' mean curve (walk 44): seed 0 alone reads converged, seeds 1 and 2 and their
    # mean lr_too_high, as each longer retraining does; converged is the cause asked about.
    assert v.diagnosis.verdict == "lr_too_high" and v.seed_verdicts[0] == "converged", str(v)
    [twice] = [r for r in v.results if r.check.name == "twice the epochs"]
    assert twice.change_rel >= 0.15 and not twice.holds, str(v)
    assert "predicts val_loss ends < 2% lower" in str(v) and "and < 15% higher" in str(v)
    assert next(r for r in v.to_dict()["checks"] if r["name"] == "twice the epochs")["ceiling"] == 0.15
    # +19.4% (higher in 3 of 3 seeds) against a tail bouncing ±15.7%: ±21.4% flips it, so not decided; never
    # "held", which "< 2% lower" alone once said; and said as not decided, not as "none of its checks ran"
    assert v.holds("converged") is not True and "asked converged: not decided" in str(v), str(v)


def test_a_cause_asked_about_by_name_gets_its_own_outcome_line():
    # The same SGD(0.2) run, read converged; asked only whether the step is too small: lr x 10 blows up. The
    # report ended "verdict converged: not checked", true of the verdict, silent on the question asked.
    v = verify(trainer(lr=0.2, noise=0.1, batch=4, d=4, epochs=40), causes=["lr_too_low"], progress=False)
    assert v.diagnosis.verdict == "converged" and v.holds("lr_too_low") is False
    lines = str(v).splitlines()
    assert lines[-2:] == ["asked lr_too_low: its prediction does NOT hold", "verdict converged: not checked"]

def test_lr_too_low_is_confirmed_by_a_ten_times_larger_step():
    v = verify(trainer(opt="adam", lr=1e-3, epochs=50, d=2, batch=32), progress=False)
    assert v.diagnosis.verdict == "lr_too_low"
    r = next(r for r in v.results if r.check.cause == "lr_too_low")
    assert r.holds and r.change_rel < -0.5  # measured: 4.1 -> 0.11
    assert v.confirmed is True


def test_overfitting_is_confirmed_by_twice_the_data():
    # The article's 64-128-64 net on 32 noisy points memorises them.
    v = verify(trainer(opt="adam", lr=3e-3, hidden=(64, 128, 64), n=32, noise=0.5, batch=32, epochs=400, d=2),
               progress=False)
    assert v.diagnosis.verdict == "overfitting"
    by = {(tuple(r.check.change.items()), r.check.statistic): r for r in v.results if r.check.cause == "overfitting"}
    best, end = by[((("data_factor", 2.0),), "best")], by[((("data_factor", 2.0),), "end")]
    assert best.holds and best.change_rel < -0.10  # measured: best 0.37 -> 0.29
    assert not end.holds  # 64 points are still memorised by the end (0.66 -> 0.66): the best tells
    assert best.runs is end.runs or best.runs == end.runs  # one retraining, two readings
    assert v.holds("overfitting") is True


def test_a_diverged_run_is_confirmed_by_a_smaller_step_and_its_numbers_stay_json_safe():
    v = verify(trainer(lr=2.0, epochs=30), progress=False)
    assert v.diagnosis.verdict == "diverged"
    (r,) = v.results
    assert math.isinf(r.baseline) and math.isfinite(r.value) and r.holds
    out = json.loads(json.dumps(v.to_dict(), allow_nan=False))
    assert out["schema"] == "losslens.verification/1" and out["confirmed"] is True
    assert out["checks"][0]["baseline"] is None  # inf has no JSON form
    assert "inf (diverged)" in str(v)


def test_a_diverged_baseline_decides_no_prediction_that_a_change_will_not_help():
    """Asked about converged, a run diverged at lr 2.0 and its retrainings diverged too: "twice the epochs ends
    < 2% lower" held of inf -> inf, and the report said converged holds of a run that never trained."""
    v = verify(trainer(lr=2.0, epochs=30), causes=["converged"], progress=False)
    assert v.diagnosis.verdict == "diverged" and v.results
    for r in v.results:
        assert math.isinf(r.baseline) and math.isinf(r.value) and r.holds is None
        assert "not decided (the baseline and this run both diverged" in r.line()
    assert v.holds("converged") is None
    assert json.loads(json.dumps(v.to_dict(), allow_nan=False))["checks"][0]["holds"] is None


def test_no_signal_holds_when_shuffling_changes_nothing_and_fails_when_there_was_signal():
    kw = dict(opt="adam", lr=1e-2, hidden=(64, 64), n=64, batch=16, epochs=60)
    noise = verify(trainer(signal=False, **kw), causes=["no_signal"], progress=False)
    assert noise.results[0].holds is True
    signal = verify(trainer(**kw), causes=["no_signal"], progress=False)
    assert signal.results[0].holds is False and signal.results[0].change_rel > 1.0


def test_seeds_are_averaged_and_need_a_seed_keyword():
    v = verify(trainer(), seeds=(0, 1), progress=False)
    r = v.results[0]
    assert len(r.per_seed) == 2 and r.value == pytest.approx(np.mean(r.per_seed))
    assert "seeds" in r.line() and len(r.baseline_per_seed) == 2

    assert "seed" not in str(v).splitlines()[-1]  # averaged: no one-seed caveat

    def no_seed(lr_factor=1.0, epochs_factor=1.0):
        return trainer()(lr_factor=lr_factor, epochs_factor=epochs_factor)
    with pytest.raises(TypeError, match="seed"):
        verify(no_seed, seeds=(0, 1))


def test_a_verdict_from_one_run_per_change_says_so():
    quick = trainer(epochs=15)
    one = verify(quick, progress=False)
    assert one.seeds == [None] and one.diagnosis.verdict == "converged" and one.confirmed is not None
    verdict_line = lambda v: next(s for s in str(v).splitlines() if s.startswith("verdict "))  # noqa: E731
    assert verdict_line(one).endswith("; from one seed (--seeds 0,1,2 averages three)")

    def no_seed(epochs_factor=1.0):
        return quick(epochs_factor=epochs_factor)
    assert verdict_line(verify(no_seed, progress=False)).endswith(
        "; from one run per change (give train a `seed` keyword to average over seeds)")


def _digits_sgd(lr_factor=1.0, size_factor=1.0, data_factor=1.0, from_epoch=0, seed=0):
    """A new user's run: a 128-128 MLP on scikit-learn's digits, SGD at lr 1.0 (ten times too
    large), batch 32, 40 epochs; the validation loss bounces between 0.56 and 2.9 from epoch 5 on."""
    from sklearn.datasets import load_digits

    torch.manual_seed(seed)
    x, y = load_digits(return_X_y=True)
    idx = np.random.default_rng(0).permutation(len(x))
    x, y = torch.tensor(x[idx] / 16.0, dtype=torch.float32), torch.tensor(y[idx])
    xv, yv, n = x[1400:], y[1400:], int(min(1400, 700 * data_factor))
    h = int(128 * size_factor)
    model = torch.nn.Sequential(torch.nn.Linear(64, h), torch.nn.ReLU(), torch.nn.Linear(h, h), torch.nn.ReLU(),
                                torch.nn.Linear(h, 10))
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    hist = {"loss": [], "val_loss": []}
    for epoch in range(40):
        for g in opt.param_groups:
            g["lr"] = 1.0 * (lr_factor if epoch >= from_epoch else 1.0)
        hist["loss"].append(minibatch_epoch(model, opt, x[:n], y[:n], torch.nn.functional.cross_entropy))
        with torch.no_grad():
            hist["val_loss"].append(torch.nn.functional.cross_entropy(model(xv), yv).item())
    return hist


@pytest.mark.slow
def test_one_lucky_reading_of_a_bouncing_run_does_not_confirm_overfitting():
    """The user's report: read as overfitting, three of four readings failed and the fourth (the
    half-size model's final loss, -12%) passed on a run whose best had more than doubled, while
    lr/10 from the plateau lowered the loss 85%. "Any reading" had printed "confirmed"."""
    pytest.importorskip("sklearn")
    import dataclasses

    from losslens.verification import Verification

    v = verify(_digits_sgd, causes=["overfitting", "lr_too_high"], progress=False)
    # SGD at lr 1.0 is chaotic: which retrained run lands lucky depends on the CPU's float kernels and the
    # torch state before it (on an AMD EPYC all four readings rose, or two held, run to run). The four
    # overfitting readings are set to what the report measured; lr / 10 is this machine's retraining, and
    # the aggregation over them is what is tested (a data_limited reading the run's chaos may add is left out).
    reported = {(0.5, "end"): (-0.117, True), (0.5, "best"): (1.316, False),
                (None, "best"): (0.0, False), (None, "end"): (0.0, False)}

    def as_reported(r):
        # (weight decay x 10: _digits_sgd takes no decay_factor; a reading this machine left within its tail's
        # noise is set to the report's like the others)
        if r.check.cause != "overfitting" or (r.skipped and r.why != "tail_noise"):
            return r
        rel, held = reported[(r.check.change.get("size_factor"), r.check.statistic)]
        return dataclasses.replace(r, value=r.baseline * (1 + rel), holds=held, skipped=None, why=None)
    v = Verification(v.diagnosis, [as_reported(r) for r in v.results
                                      if r.check.cause in ("overfitting", "lr_too_high")], v.seeds, v.baseline_runs, seedable=True)
    by = {(r.check.change.get("size_factor"), r.check.statistic): r for r in v.results
          if r.check.cause == "overfitting" and not r.skipped}
    best = by[(0.5, "best")]
    assert best.against and best.change_rel > 0.5  # the same model's best loss more than doubled
    assert sum(r.holds for r in by.values()) == 1
    assert v.holds("overfitting") is False and v.holds("lr_too_high") is True
    # as the user saw it: the verdict overfitting
    seen = Verification(dataclasses.replace(v.diagnosis, verdict="overfitting"), v.results, v.seeds,
                        v.baseline_runs, seedable=True)
    assert seen.confirmed is False and seen.points_to == "lr_too_high"
    assert str(seen).splitlines()[-1].startswith(
        "verdict overfitting: NOT confirmed; the retraining points to lr_too_high instead (learning rate / 10: -")
    assert seen.to_dict()["points_to"] == "lr_too_high"


def test_a_check_whose_keyword_train_lacks_is_skipped_and_says_so():
    base = trainer(opt="adam", lr=3e-3, hidden=(64, 128, 64), n=32, noise=0.5, batch=32, epochs=400, d=2)

    def fixed_size(data_factor=1.0):  # cannot change the model's size
        return base(data_factor=data_factor)
    v = verify(fixed_size, causes=["overfitting"], progress=False)
    skipped = [r for r in v.results if r.skipped]
    assert [r.check.change for r in skipped] == [{"size_factor": 0.5}] * 2 + [{"decay_factor": 10.0}] * 2
    assert "fixed_size() takes no size_factor" in str(v) and "fixed_size() takes no decay_factor" in str(v)
    assert any(r.holds is not None for r in v.results)


def test_a_given_baseline_is_not_retrained_and_unknown_causes_are_refused():
    calls = []
    base_train = trainer()

    def train(**kw):
        calls.append(kw)
        return base_train(**kw)
    baseline = base_train()
    v = verify(train, baseline=baseline, progress=False)
    # train() unchanged once (does it reproduce the run given?), converged's two checks, then its follow-ups: which
    # change would lower the floor?
    assert v.deterministic is True
    assert calls == [{}, {"epochs_factor": 2.0}, {"lr_factor": 0.1, "from_epoch": 1}, {"size_factor": 2.0},
                     {"data_factor": 0.5}, {"data_factor": 2.0}]
    assert v.holds("data_limited") is False  # a linear model at its floor
    # a linear model has no width: size_factor=2 returned the baseline's run, which decides nothing
    assert v.holds("underfitting") is None
    size = next(r for r in v.results if r.check.cause == "underfitting")
    assert "returned the very run the baseline did" in size.skipped
    assert v.confirmed is True
    with pytest.raises(ValueError, match="unknown cause"):
        verify(train, baseline=baseline, causes=["too_much_coffee"])


def test_a_confirmed_converged_points_to_data_limited_where_twice_the_data_went_lower():
    """A torch MLP on 300 digits read converged, confirmed, and twice the training data took its best validation
    loss 34% lower; the last line named only the bigger model's follow-up and ``points_to`` was None (converged's
    rivals were "follow-ups"). A linear model at n = 24 (8 inputs) is the same: converged, confirmed, twice the data
    38% lower: the line and ``points_to`` now name data_limited with that run. At n = 40 half the data went 37%
    higher but twice it only 0.7% lower: data_limited holds (one of its two changes), yet more data is no remedy
    there, so nothing is pointed to."""
    v = verify(trainer(lr=0.05, n=24, noise=0.3, epochs=300, d=8), progress=False)
    assert v.diagnosis.verdict == "converged" and v.confirmed is True
    twice = next(r for r in v.results if r.check.cause == "data_limited" and r.check.change == {"data_factor": 2.0})
    assert twice.holds and twice.change_rel < -0.15
    assert v.points_to == "data_limited" and v.to_dict()["points_to"] == "data_limited"
    last = str(v).splitlines()[-2]
    assert last.startswith(f"verdict converged: confirmed by retraining; but twice the training data went lower "
                           f"(best val_loss {twice.baseline:.4g} → {twice.value:.4g}, {twice.change_rel:+.1%}): "
                           "the retraining points to data_limited; from one seed"), last
    flat = verify(trainer(lr=0.05, n=40, noise=0.5, epochs=200, d=8), progress=False)
    assert flat.diagnosis.verdict == "converged" and flat.confirmed is True and flat.holds("data_limited")
    assert all(r.change_rel > -0.15 for r in flat.results if r.check.change == {"data_factor": 2.0})
    assert flat.points_to is None and "points to" not in str(flat)


def test_a_misspelled_cause_is_refused_before_any_training_with_the_near_name():
    """``verify(train, causes=["overfiting"])`` trained the baseline first (minutes, in a real run), then said
    "unknown cause 'overfiting'" with no near name, where ``--fail-on`` and the callbacks' ``stop_on`` give one; one
    cause given as a string was split into its letters ("unknown cause 'o'")."""
    calls = []
    base_train = trainer()

    def train(**kw):
        calls.append(kw)
        return base_train(**kw)
    for causes in (["overfiting"], "overfiting"):
        with pytest.raises(losslens.UsageError, match="unknown cause 'overfiting'; .*; did you mean overfitting\\?"):
            verify(train, causes=causes, progress=False)
    assert calls == []


@pytest.mark.parametrize("expect, base, value, holds", [
    ("lower", 1.0, 0.84, True), ("lower", 1.0, 0.86, False), ("lower", math.inf, 0.5, True),
    ("lower", math.inf, math.inf, False), ("not_lower", 1.0, 0.99, True), ("not_lower", 1.0, 0.8, False),
    ("higher", 1.0, 1.2, True), ("higher", 1.0, 1.1, False), ("higher", 1.0, math.inf, True),
    ("not_higher", 1.0, 1.01, True), ("not_higher", 1.0, 1.5, False),
])
def test_the_comparison_of_a_check(expect, base, value, holds):
    assert prediction_holds(Check("x", {}, "x", expect=expect, threshold=0.15), base, value) is holds


def test_every_cause_with_a_counterfactual_predicts_a_change_train_can_make():
    for cause, checks in CHECKS.items():
        assert cause in losslens.CAUSES
        for c in checks:
            assert set(c.change) <= set(KEYWORDS) and c.prediction()
    # the example training function takes them all but size_factor, decay_factor, dropout_factor and class_weight (a
    # linear model has no size, no weight decay, no dropout and no classes)
    import inspect

    from losslens.examples import verify_train  # noqa: F401 (a module inside the package data)
    takes = set(inspect.signature(verify_train.train).parameters)
    assert set(KEYWORDS) - takes == {"size_factor", "decay_factor", "dropout_factor", "class_weight"}


def test_the_example_trains_on_more_data_against_the_same_validation_set():
    """The template drew its validation rows as x[n_train:] of one draw of n_train + 200 points: data_factor moved
    the validation set with the training set, and "twice the data" compared losses on two sets. A model that does
    not learn (lr_factor=0: its seeded initial weights throughout) scores one validation loss whatever the data
    it is given, when the validation set is one."""
    from losslens.examples import verify_train

    still = {f: verify_train.train(lr_factor=0.0, epochs_factor=0.02, data_factor=f)["val_loss"][0]
             for f in (0.5, 1.0, 2.0)}
    assert len(set(still.values())) == 1, still
    # (and it is a validation set: other seeds' models score it differently)
    assert verify_train.train(lr_factor=0.0, epochs_factor=0.02, seed=1)["val_loss"][0] != still[1.0]


@pytest.mark.slow
def test_a_keras_training_function_returning_its_history_is_verified():
    keras = pytest.importorskip("keras")  # KERAS_BACKEND=torch (conftest)

    def train(lr_factor=1.0, epochs_factor=1.0, seed=0):
        keras.utils.set_random_seed(seed)
        rs = np.random.RandomState(seed)
        x = rs.rand(600, 2)
        y = 2 * x[:, 0] + 3 * x[:, 1] + rs.normal(0, 0.1, 600)
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.Adam(1e-3 * lr_factor), loss="mse")
        return model.fit(x[:500], y[:500], validation_data=(x[500:], y[500:]), epochs=round(30 * epochs_factor),
                         batch_size=32, verbose=0)

    v = verify(train, causes=["lr_too_low", "converged"], progress=False)
    assert v.diagnosis.run_name == "train" and v.diagnosis.verdict in ("lr_too_low", "still_improving")
    assert v.holds("lr_too_low") is True  # Adam(1e-2) reaches the floor: measured 2.2 -> ~0.01
    assert v.holds("converged") is False  # twice the epochs gain 64%: it had not converged


@pytest.mark.slow
@pytest.mark.parametrize("returns", ["metrics.csv", "log_dir", "losslens.json", "callback"])
def test_a_lightning_training_function_s_run_is_named_after_the_function(tmp_path, returns):
    """Was "version_0: still_improving ..." (the CSVLogger's folder for the baseline's fit; lr x 10's was version_1),
    "losslens" (the callback's default file) or "lightning" (its run()); a Keras or torch history is "train"."""
    L = pytest.importorskip("lightning.pytorch")
    from lightning.pytorch.loggers import CSVLogger

    from losslens.integrations.lightning import LosslensCallback
    from lightning_models import LinearRegressor, linear_loaders

    def train(lr_factor=1.0, epochs_factor=1.0, seed=0):
        torch = pytest.importorskip("torch")
        torch.manual_seed(seed)
        cb = LosslensCallback(verbose=0)
        t = L.Trainer(max_epochs=round(12 * epochs_factor), logger=CSVLogger(tmp_path, name="linear"),
                      callbacks=[cb], enable_progress_bar=False, enable_model_summary=False,
                      enable_checkpointing=False, accelerator="cpu", devices=1)
        t.fit(LinearRegressor(lr=1e-3 * lr_factor), *linear_loaders(800, [(0, 640), (640, 800)]))
        return {"metrics.csv": f"{t.logger.log_dir}/metrics.csv", "log_dir": t.logger.log_dir,
                "losslens.json": f"{t.logger.log_dir}/losslens.json", "callback": cb.run()}[returns]

    v = verify(train, causes=["lr_too_low"], progress=False)
    assert v.diagnosis.run_name == "train", v.diagnosis.run_name
    assert str(v).startswith("train: ")
    assert v.holds("lr_too_low") is True


def test_a_training_function_that_returns_no_history_is_told_what_to_return():
    def train(lr_factor=1.0):
        return None  # forgot `return model.fit(...)`
    with pytest.raises(TypeError, match=r"train\(\) returned NoneType; return a Keras History"):
        verify(train, progress=False)


def test_what_train_may_return_names_a_fitted_scikit_learn_model():
    """The list of what train() may return left out a fitted scikit-learn model, which verify reads (its
    ``loss_curve_``; tests/test_verify.py's score test trains one): the line for a wrong return names it."""
    def train(lr_factor=1.0):
        return 0.5  # a final score, not a run
    with pytest.raises(TypeError, match=r"train\(\) returned float; return a Keras History, .*a fitted "
                                        r"scikit-learn MLP or gradient-boosting model, or a log path"):
        verify(train, progress=False)


def test_a_training_function_that_returns_its_model_or_a_generator_is_told_what_it_returned():
    """``return model`` after ``model.fit(...)`` and a generator of per-epoch dicts: verify said only "returned
    Sequential; return a Keras History, ..." (and "returned generator; ... a list of per-epoch dicts": a list of
    them is what it gave), where diagnose says what each is and how to give it."""
    keras = pytest.importorskip("keras")  # KERAS_BACKEND=torch (conftest)

    def train(lr_factor=1.0):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.Adam(1e-2 * lr_factor), loss="mse")
        x = np.random.default_rng(0).random((40, 2))
        model.fit(x, x @ [2.0, 3.0], validation_split=0.25, epochs=3, verbose=0)
        return model  # the user's slip: the History fit returned is dropped
    with pytest.raises(TypeError, match=r"^train\(\) returned Sequential: a Sequential model: diagnose the History "
                                        r"its fit returns, history = model.fit\(...\)"):
        verify(train, progress=False)

    def rows(lr_factor=1.0):
        return ({"loss": 1 / e, "val_loss": 1.1 / e} for e in range(1, 20))
    with pytest.raises(TypeError, match=r"^rows\(\) returned generator: a generator is read once and has no length: "
                                        r"pass a list of it"):
        verify(rows, progress=False)



@pytest.mark.slow
def test_a_training_function_that_logged_no_epoch_is_told_its_history_is_empty():
    # A loop whose epoch count rounds to 0 and Keras' fit(epochs=0) return empty histories: not a run that
    # "diverged from its start" (the dict's old message), nor one missing a column --metric could name (the
    # History's). The error says what happened.
    empty_loop = trainer(epochs=0)
    with pytest.raises(losslens.LosslensError, match=r"train\(\) returned a run losslens cannot diagnose: no epochs "
                                                     r"logged: the history is empty \(columns: train_loss, val_loss\)$"):
        verify(empty_loop, progress=False)
    keras = pytest.importorskip("keras")  # KERAS_BACKEND=torch (conftest)

    def train(lr_factor=1.0):
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.Adam(1e-3 * lr_factor), loss="mse")
        return model.fit(np.zeros((8, 2)), np.zeros(8), validation_split=0.25, epochs=0, verbose=0)
    with pytest.raises(losslens.LosslensError, match=r"returned a run losslens cannot diagnose: no epochs logged: "
                                                     r"the history is empty$"):
        verify(train, progress=False)

def test_without_from_epoch_converged_skips_lr_over_10_and_lr_too_high_trains_from_scratch():
    base = trainer()

    def no_schedule(lr_factor=1.0, epochs_factor=1.0):
        return base(lr_factor=lr_factor, epochs_factor=epochs_factor)
    v = verify(no_schedule, causes=["converged", "lr_too_high"], progress=False)
    conv = [r for r in v.results if r.check.cause == "converged"]
    assert conv[1].skipped and "takes no from_epoch" in conv[1].skipped
    (high,) = [r for r in v.results if r.check.cause == "lr_too_high" and r.check.statistic == "end"]
    assert high.check.change == {"lr_factor": 0.1} and high.holds is False
    assert v.holds("converged") is True  # judged on the check that could run


def test_the_verification_chart_is_written_and_bad_formats_are_refused(tmp_path):
    pytest.importorskip("matplotlib")
    v = verify(trainer(lr=0.15, noise=0.05, batch=1, d=4, epochs=30, n=100), causes=["lr_too_high"], progress=False)
    (r,) = [r for r in v.results if not r.shared and r.check.statistic == "end"]
    assert len(r.runs) == 1 and len(v.baseline_runs) == 1
    png = v.save_plot(tmp_path / "check.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    svg = v.save_plot(tmp_path / "check.svg").read_text()
    assert "learning rate / 10 from" in svg  # the legend names the change and where it began
    with pytest.raises(ValueError, match="unknown figure format"):
        v.save_plot(tmp_path / "check.gif")


def test_the_verification_chart_gives_a_change_one_colour_in_every_panel():
    # converged's follow-up reads a model twice the size on train_loss and val_loss: one retraining, drawn in
    # both panels. Its colour was picked by its place in each panel (teal on train_loss, where twice the
    # epochs is teal on val_loss).
    pytest.importorskip("matplotlib")
    from losslens.report.plot import verification_figure
    t = trainer()
    v = verify(t, baseline=t(), progress=False)
    fig = verification_figure(v)
    assert [ax.get_ylabel() for ax in fig.axes] == ["val_loss", "train_loss"]
    colours: dict = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            if not line.get_label().startswith("_"):
                colours.setdefault(line.get_label().split(" (")[0], set()).add(line.get_color())
    assert all(len(c) == 1 for c in colours.values()), colours
    names = [n for n in colours if not n.startswith("baseline")]
    assert "a model twice the size" in names and len({next(iter(colours[n])) for n in names}) == len(names), colours


def test_a_verification_shows_itself_in_a_notebook():
    pytest.importorskip("matplotlib")
    v = verify(trainer(opt="adam", lr=1e-3, epochs=50, d=2, batch=32), causes=["lr_too_low"], progress=False)
    assert repr(v) == "<Verification train: lr_too_low, confirmed=True, 1 checks run>"
    html = v._repr_html_()
    assert "<svg" in html and "lr_too_low — learning rate x 10" in html and "confirmed by retraining" in html
    assert "<script" not in html


def test_a_counterfactual_that_train_cannot_make_skips_that_check_only():
    base = trainer(opt="adam", lr=3e-3, hidden=(64, 128, 64), n=32, noise=0.5, batch=32, epochs=400, d=2)

    def train(size_factor=1.0, data_factor=1.0):
        if data_factor > 1:
            raise ValueError("only 32 labelled points exist")
        return base(size_factor=size_factor, data_factor=data_factor)
    v = verify(train, causes=["overfitting"], progress=False)
    more_data = [r for r in v.results if r.check.change == {"data_factor": 2.0}]
    assert more_data and all("raised ValueError: only 32 labelled points exist" in r.skipped for r in more_data)
    assert any(r.holds is not None for r in v.results if r.check.change == {"size_factor": 0.5})


@pytest.mark.slow
def test_half_and_twice_the_data_make_a_learning_curve_that_forecasts_four_times():
    """data_limited's two retrainings (0.5x, 2x) and the baseline are a learning curve; its
    forecast for 4x the data is checked by training on 4x for real (3 seeds)."""
    train = trainer(opt="adam", lr=3e-3, hidden=(32,), n=64, noise=0.5, batch=32, epochs=150, d=8)
    v = verify(train, causes=["data_limited"], seeds=[0, 1, 2], progress=False)
    assert v.holds("data_limited") is True
    fc = v.learning_curve
    twice = next(r for r in v.results if r.check.change == {"data_factor": 2.0} and r.check.statistic == "best")
    assert list(fc.curve.sizes) == [0.5, 1.0, 2.0] and fc.value < twice.value
    truth = float(np.mean([min(train(data_factor=4.0, seed=s)["val_loss"]) for s in (0, 1, 2)]))
    assert fc.interval[0] <= truth <= fc.interval[1]      # measured: forecast 0.262, truth 0.305
    assert "four times the data forecast" in str(v)
    assert v.to_dict()["learning_curve"]["value"] == pytest.approx(fc.value)
    assert verify(trainer(), causes=["lr_too_high"], progress=False).learning_curve is None


def test_a_score_is_verified_as_its_error_not_as_a_loss():
    """A training function that returns a fitted scikit-learn MLPClassifier (plain SGD at a small
    step, 60 epochs, early stopping's validation accuracy logged and nothing else): the diagnosis
    reads val_acc, and "twice the epochs lowers it" must be about its error, 1 - val_acc. Compared
    as a loss, a rising accuracy failed every prediction made about a loss going down."""
    pytest.importorskip("sklearn")
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier

    x, y = load_digits(return_X_y=True)

    def train(lr_factor=1.0, epochs_factor=1.0, seed=0):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning: it is meant to stop early
            return MLPClassifier(hidden_layer_sizes=(32,), solver="sgd", momentum=0.0,
                                 learning_rate_init=0.003 * lr_factor, max_iter=int(60 * epochs_factor),
                                 early_stopping=True, n_iter_no_change=1000, random_state=seed).fit(x / 16, y)

    v = verify(train, progress=False)
    # (read lr_too_low since a score's progress is the share of its error closed: 9% of the way in 60 epochs of a
    # slow steady climb; lr x 10 takes the error 0.55 -> 0.06, twice the epochs to 0.40)
    assert v.diagnosis.metric == "val_acc" and v.diagnosis.verdict == "lr_too_low"
    assert "still_improving" in v.diagnosis.cause_ids()
    for cause, said in (("lr_too_low", "predicts 1 - val_acc ends ≥ 15% lower"),
                        ("still_improving", "predicts 1 - val_acc ends ≥ 2% lower")):
        [r] = [r for r in v.results if r.check.cause == cause]
        assert r.check.measured() == "1 - val_acc" and 0 < r.value < r.baseline < 1 and r.holds, str(v)
        assert said in str(v)
    assert v.confirmed is True


def _diabetes_mlp(epochs_factor=1.0, seed=3):
    """A user's scikit-learn MLPRegressor on diabetes with early_stopping (val R² read): diagnosed
    still_improving, and twice the patience barely moves it. (Seed 3: the forecast expects 23% more. Seed 0,
    the user's, read still_improving off a creep measured against R² itself, and now reads converged:
    tests/test_sklearn_creep.py.)"""
    import warnings

    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPRegressor
    from sklearn.preprocessing import StandardScaler

    X, y = load_diabetes(return_X_y=True)
    Xtr, _, ytr, _ = train_test_split(X, y, test_size=0.25, random_state=0)
    Xtr = StandardScaler().fit(Xtr).transform(Xtr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MLPRegressor(hidden_layer_sizes=(64, 64), max_iter=2000, early_stopping=True,
                            n_iter_no_change=int(10 * epochs_factor), random_state=seed).fit(Xtr, ytr)


def _diabetes_mlp_budget(fitted: dict, patience_too: bool, default_seed: int = 0):
    """The same user's MLPRegressor, whose epochs_factor scales max_iter (2000) alone, or (patience_too)
    a budget of 100 iterations that n_iter_no_change = max_iter lets it train to the end of; each fitted
    estimator is kept in ``fitted`` by its epochs_factor."""
    def train(epochs_factor=1.0, seed=default_seed):
        import warnings

        from sklearn.datasets import load_diabetes
        from sklearn.model_selection import train_test_split
        from sklearn.neural_network import MLPRegressor
        from sklearn.preprocessing import StandardScaler
        from threadpoolctl import threadpool_limits

        X, y = load_diabetes(return_X_y=True)
        Xtr, _, ytr, _ = train_test_split(X, y, test_size=0.25, random_state=0)
        Xtr = StandardScaler().fit(Xtr).transform(Xtr)
        budget = round((100 if patience_too else 2000) * epochs_factor)
        est = MLPRegressor(hidden_layer_sizes=(64, 64), max_iter=budget, early_stopping=True, random_state=seed,
                           **({"n_iter_no_change": budget} if patience_too else {}))
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")
            fitted[epochs_factor] = est.fit(Xtr, ytr)
        return fitted[epochs_factor]
    return train


def test_twice_the_epochs_that_trained_no_longer_is_not_read():
    # max_iter 2000 -> 4000, but early stopping ends both fits at iteration 313: the same run read twice
    # said "twice the epochs: +0.0%: does NOT hold", and "NOT confirmed; consistent with converged".
    # (Seed 3 here: seed 0's creep no longer reads still_improving, see _diabetes_mlp.)
    fitted = {}
    v = verify(_diabetes_mlp_budget(fitted, patience_too=False, default_seed=3), progress=False)
    base, twice = fitted[1.0], fitted[2.0]
    assert (base.max_iter, twice.max_iter) == (2000, 4000) and twice.n_iter_ == base.n_iter_ < 2000  # the premise
    assert v.diagnosis.verdict == "still_improving"
    [r] = [r for r in v.results if r.check.cause == "still_improving"]
    assert r.holds is None and not [o for o in v.results if o.shared]  # nor read for converged off it
    assert "trained no longer" in r.skipped and f"n_iter_ {base.n_iter_} of max_iter 4000" in r.skipped
    # One count: it said "ends at epoch 312" (the log's epochs from 0) beside "n_iter_ 313".
    n = base.n_iter_
    assert f"stopped after {n} iterations (n_iter_ {n} of max_iter 4000" in r.skipped and "ends at epoch" not in r.skipped
    assert "early_stopping ended it" in r.skipped and "n_iter_no_change" in r.skipped
    assert v.confirmed is None and "consistent with converged" not in v.summary()
    assert "not run (train(epochs_factor=2.0) trained no longer" in str(v)


def test_twice_the_epochs_that_trains_twice_as_long_is_read():
    fitted = {}
    v = verify(_diabetes_mlp_budget(fitted, patience_too=True), causes=["still_improving"], progress=False)
    assert (fitted[1.0].n_iter_, fitted[2.0].n_iter_) == (100, 200)
    [r] = [r for r in v.results if r.check.cause == "still_improving"]
    assert r.skipped is None and r.holds is not None and len(r.runs[0]) == 2 * len(v.baseline_runs[0]) == 200
    assert r.value != r.baseline


@pytest.mark.slow
def test_a_failed_verdict_names_the_cause_its_retraining_is_consistent_with():
    """'NOT confirmed' and nothing else, while the same retrained run held converged's reading."""
    v = verify(_diabetes_mlp, progress=False)
    own = [r for r in v.results if r.check.cause == v.diagnosis.verdict]
    other = [r for r in v.results if r.check.cause == "converged"]
    assert v.diagnosis.verdict == "still_improving" and v.confirmed is False  # the premise
    assert other and other[0].holds and v.points_to is None and own[0].holds is False
    line = v.summary()
    assert line.startswith("NOT confirmed; consistent with converged (twice the epochs: ")
    assert "--cause converged runs its other checks" in line


def test_a_counterfactual_that_overflows_in_its_first_epoch_counts_as_diverged_not_skipped():
    """lr x 10 past the edge of stability: the first epoch's mean loss is already NaN and every one after.
    No reader takes an all-NaN history for a log; the check was skipped ("not checked", exit 0) where its
    answer is plain: the change diverged, so lr_too_low's prediction fails."""
    torch = pytest.importorskip("torch")

    def train(lr_factor=1.0, seed=0):
        torch.manual_seed(seed)
        x = 10 * torch.randn(200, 2)  # large inputs: SGD is stable below lr ~ 0.01
        y = x @ torch.tensor([[2.0], [3.0]]) + torch.randn(200, 1)
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.004 * lr_factor)
        history = {"loss": []}
        for _ in range(15):
            total = 0.0
            for i in range(0, 200, 2):  # 100 steps an epoch: at lr 0.04 it overflows within the first
                opt.zero_grad()
                loss = torch.mean((model(x[i:i + 2]) - y[i:i + 2]) ** 2)
                loss.backward()
                opt.step()
                total += loss.item()
            history["loss"].append(total / 100)
        return history

    assert np.isnan(train(lr_factor=10.0)["loss"]).all()  # measured: NaN from epoch 0
    v = verify(train, causes=["lr_too_low"], progress=False)
    (r,) = [r for r in v.results if r.check.cause == "lr_too_low"]
    assert r.skipped is None and r.holds is False and r.value == float("inf"), r.line()
    assert "inf (diverged)" in r.line() and v.holds("lr_too_low") is False
    # the chart has no line to draw for it, but its legend says what happened instead of leaving it out
    pytest.importorskip("matplotlib")
    from losslens.report.plot import verification_figure
    legend = [t.get_text() for t in verification_figure(v).axes[0].get_legend().get_texts()]
    assert legend == ["baseline: converged", "learning rate x 10: diverged (no finite value)"], legend


@pytest.fixture
def status_lines(monkeypatch):
    """What verify()'s rich status line says, each update in order."""
    import rich.console

    said = []

    class Status:
        def start(self):
            pass

        def stop(self):
            pass

        def update(self, text):
            said.append(text)

    monkeypatch.setattr(rich.console.Console, "status", lambda self, text: Status())
    return said


def test_the_progress_line_reads_as_a_sentence(status_lines):
    """The status line verify() draws while it retrains read "verify: training with baseline"; it says
    "training the baseline", and "training with lr_factor=…" for a change."""
    said = status_lines
    verify(trainer(), causes=["converged"], progress=True)
    assert said[0] == "verify: training the baseline", said
    assert any(s.startswith("verify: training with epochs_factor=2.0") for s in said), said
    assert not any("with baseline" in s for s in said)


def test_the_progress_line_counts_the_retrainings_and_says_how_long_is_left(status_lines):
    """A Keras net on wine took a minute to verify under a spinner that said only "training with
    lr_factor=10.0": no count, no time, a hang to look at. The line now counts each retraining (a change
    two checks share trains once; once per seed) and says how long is left, timed on the runs trained so far."""
    said = status_lines
    verify(trainer(), causes=["converged"], seeds=(0, 1), progress=True)
    counted = [s for s in said if "retraining" in s]
    assert said[:2] == ["verify: training the baseline, seed 0", "verify: training the baseline, seed 1"], said
    # converged: twice the epochs and lr / 10 from the plateau, each for two seeds
    assert [s.split(" — ")[1].split(";")[0] for s in counted] == [f"retraining {i} of 4" for i in range(1, 5)], said
    assert counted[0].startswith("verify: training with epochs_factor=2.0, seed 0 — retraining 1 of 4; about "), said
    assert all(s.endswith(" s left") or s.endswith(" min left") for s in counted), said


def test_a_seed_whose_retraining_raises_is_counted_and_summed_up(monkeypatch):
    """--seeds 0,1,2 with twice the epochs running out of memory on seed 1: the status line counted "retraining 2
    of 6", then the lr x 10 runs as 3, 4 and 5 of 6, and stopped at 5 (seed 2 of the failed change never trains),
    and the report did not say how many ran. A real loop (tests/torch_loops.py's linear regression, SGD 0.05)."""
    from torch_loops import linear_regression_run

    from losslens import verification

    def train(lr_factor=1.0, epochs_factor=1.0, seed=0):
        if epochs_factor > 1 and seed == 1:
            raise MemoryError("CUDA out of memory")
        return linear_regression_run(lr=0.05 * lr_factor, epochs=round(30 * epochs_factor), seed=seed)

    said = []
    monkeypatch.setattr(verification._Progress, "say", lambda self, what: said.append(what))
    v = verify(train, seeds=[0, 1, 2], causes=["still_improving", "lr_too_low"], progress=True)
    counts = [re.search(r"retraining (\d+) of (\d+)(, (\d+) failed)?", s) for s in said]
    counts = [(int(m[1]), int(m[2]), int(m[4] or 0)) for m in counts if m]
    assert counts == [(1, 6, 0), (2, 6, 0), (3, 5, 1), (4, 5, 1), (5, 5, 1)], said
    assert "epochs_factor=2.0, seed 1 failed — 2 of 5 retrainings done, 1 failed" in said
    assert v.retrainings == {"ran": 4, "failed": 1, "not_run": 1}
    assert v.to_dict()["retrainings"] == v.retrainings
    assert str(v).splitlines()[-1] == ("retrainings: 4 ran, 1 failed, 1 not run (the later seeds of a change whose "
                                       "retraining failed)")
    [broke] = v.broken("still_improving")
    assert "train(epochs_factor=2.0, seed=1) raised MemoryError: CUDA out of memory" in broke.skipped
    assert v.holds("lr_too_low") is True
    # Nothing failed: nothing more said.
    fine = verify(lambda lr_factor=1.0: linear_regression_run(lr=0.05 * lr_factor, epochs=30), progress=False)
    assert fine.retrainings["failed"] == 0 and "retrainings:" not in str(fine)


@pytest.mark.parametrize("run_s, startup_s", [(2.0, 8.0), (20.0, 8.0)])
def test_the_time_left_is_timed_past_the_first_run_s_start_up(monkeypatch, run_s, startup_s, status_lines):
    """The first call of a training function pays its start-up (imports, a framework's first compile, data
    cached after it): a 2-second Keras training took 10 s as the baseline, and "about 50 s left" was said of
    retrainings that took 11 s. The clock is faked (a real run of the regression trainer, each call advancing
    it by its epochs): the time said at each retraining after the first is within 30% of what was left, and
    the first, timed on the baseline alone, says "at most"."""
    from losslens import verification

    clock = {"now": 0.0, "calls": 0}

    class FakeTime:
        @staticmethod
        def perf_counter():
            return clock["now"]

    monkeypatch.setattr(verification, "time", FakeTime)
    real = trainer()

    # (with a seed: a train() without one is trained twice as the baseline, and the second is timed apart)
    def train(lr_factor=1.0, epochs_factor=1.0, size_factor=1.0, data_factor=1.0, from_epoch=0, seed=0):
        clock["now"] += (startup_s if not clock["calls"] else 0.0) + run_s * epochs_factor * data_factor
        clock["calls"] += 1
        return real(lr_factor=lr_factor, epochs_factor=epochs_factor, size_factor=size_factor,
                    data_factor=data_factor, from_epoch=from_epoch)

    said, at = [], []
    monkeypatch.setattr(verification._Progress, "say", lambda self, what: (said.append(what), at.append(clock["now"])))
    verify(train, causes=["converged", "data_limited"], progress=True)
    retrainings = [(s, t) for s, t in zip(said, at) if "retraining" in s]
    assert len(retrainings) >= 3, said
    end = clock["now"]
    first, *later = retrainings
    assert "; at most about " in first[0], first
    for s, t in later:
        told = float(re.search(r"about ([\d.]+) (s|min) left", s)[1]) * (60 if " min left" in s else 1)
        assert "at most" not in s and told == pytest.approx(end - t, rel=0.3), (s, end - t)



def test_a_move_within_the_tails_own_bounce_is_not_decided_either_way():
    """Linear regression, plain SGD at lr 0.25, batch 8: at its stationary level by the first epoch, then
    bouncing ±25% from epoch to epoch. "Twice the epochs: -11.5%, holds" confirmed still_improving on that
    bounce (four seeds moved the end -17.5, -25, +17.4, -10.1%), and the same noise flipped converged's
    "does NOT hold". The 2% bar is judged against the tails' own spread: not decided, and said so."""
    train = trainer(lr=0.25, noise=0.1, batch=8, d=10, epochs=40, n=1000)
    from losslens.verification import tail_spread

    assert tail_spread(train()["val_loss"]) > 0.15  # (the bounce this is about, measured)
    v = verify(train, causes=["still_improving", "converged"], progress=False)
    epochs = [r for r in v.results if r.check.change.get("epochs_factor") == 2.0]
    assert {r.check.cause for r in epochs} == {"still_improving", "converged"}
    for r in epochs:
        assert r.holds is None and r.why == "tail_noise", r.line()
        assert "not decided (within the tail's noise" in r.line() and "bounces ±" in r.line()
    assert v.holds("still_improving") is None
    # A smooth tail keeps its reading: Adam(1e-3) still falling clears the 2% bar as before.
    calm = verify(trainer(opt="adam", lr=1e-3, epochs=50, d=2, batch=32), causes=["still_improving"],
                  progress=False)
    assert calm.holds("still_improving") is True
