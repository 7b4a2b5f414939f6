"""A collapsed high-lr run read underfitting, and early stopping that ended a slow fit read "a bigger model" (session
50's walk C).

tests/fixtures/ecosystem/keras_wine_collapse (make.py): a Keras 64-64 MLP on wine at Adam 0.2, val_loss frozen at
5.11686 = (1 - 0.683) x -ln(1e-7) from epoch 4 while training froze at 4.76535 from epoch 6, read underfitting ("a
bigger model": twice the width +90%, diverged) with "the outputs still change" beside its collapse; its own words
said "restart from scratch", yet verify --cause lr_too_high made lr / 10 from epoch 5 (+0.0%: "does NOT hold").
lr / 10 from scratch: 5.117 -> 0.142 (seed 1: 9.722 -> 0.066), lr / 100 0.036.

tests/fixtures/ecosystem/sklearn_mlp_es_crawl (make.py): MLPClassifier(32) at Adam 3e-4, n_iter_no_change=10,
stopped at 12 iterations (seed 1) and 13 (seed 22) while its training loss fell in a line, read underfitting and
converged; test accuracy 0.32 / 0.34, lr x 10 0.75 / 0.80, patience 50 with 160 iterations 0.70 / 0.74, twice the
width 0.60 / 0.66.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import losslens
from losslens import diagnosis
from losslens.diagnosis import RAISES_LR

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
WINE = ECO / "keras_wine_collapse"
CRAWL = ECO / "sklearn_mlp_es_crawl"


def _make(folder: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, folder / "make.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_collapsed_wine_run_reads_lr_too_high_restart_not_a_bigger_model():
    d = losslens.diagnose(WINE / "lr0.2_s0.csv")
    assert d.verdict == "lr_too_high"
    lead = d.causes[0]
    assert diagnosis.restarts(lead)
    assert str(lead.actions[0]).startswith("lower the learning rate (try 1/10) and restart from scratch")
    assert any("(1 − accuracy) x 16.12" in e for e in lead.evidence)
    assert not any("still moves" in e for e in lead.evidence)  # training froze too, for its last 34 of 36 epochs
    # Twice the width saturated alike (+90%), and a stop at epoch 4 keeps a dead network: neither is listed.
    assert {c.id for c in d.causes}.isdisjoint({"underfitting", "converged"})


def test_its_second_seed_thrown_from_the_first_epoch_still_reads_diverged():
    d = losslens.diagnose(WINE / "lr0.2_s1.csv")
    assert d.verdict == "diverged" and diagnosis.restarts(d.causes[0])


def test_verify_lowers_the_collapsed_runs_rate_from_scratch_not_from_the_plateau():
    """The logged runs stand in for train(): lr / 10 from epoch 5 ended where the collapse left it; from scratch
    it reached 0.142."""
    calls = []

    def train(lr_factor=1.0, from_epoch=0, seed=0):
        calls.append((lr_factor, from_epoch))
        if lr_factor == 1.0:
            return str(WINE / "lr0.2_s0.csv")
        return str(WINE / ("lr0.2_to0.02_at5_s0.csv" if from_epoch else "lr0.02_s0.csv"))

    r = losslens.verify(train, causes=["lr_too_high"], seeds=(0,))
    lowered = [c for c in r.results if c.check.cause == "lr_too_high" and c.holds is not None]
    assert lowered and all(not c.check.change.get("from_epoch") for c in lowered)
    assert all(f == 0 for lr, f in calls if lr != 1.0)
    end = next(c for c in lowered if c.check.statistic == "end")
    assert end.holds and end.value < 0.2 < 5 < end.baseline


@pytest.mark.slow
def test_verify_retrains_the_keras_run_from_scratch():
    pytest.importorskip("keras")
    make = _make(WINE, "wine_collapse_make")
    r = losslens.verify(make.train, causes=["lr_too_high"], seeds=(0,))
    end = next(c for c in r.results if c.check.cause == "lr_too_high" and c.check.statistic == "end")
    assert "from_epoch" not in end.check.change and end.holds and end.value < 0.5


@pytest.mark.parametrize("seed", [1, 22])
def test_early_stopping_that_ended_a_crawl_names_the_step_and_the_patience(seed):
    pytest.importorskip("sklearn")
    make = _make(CRAWL, "sk_crawl_make")
    mlp = make.train(seed=seed)
    assert mlp.n_iter_ == {1: 12, 22: 13}[seed]  # the premise, as make.out records it
    d = losslens.diagnose(mlp)
    assert d.verdict == "lr_too_low"
    acts = [str(a) for a in d.causes[0].actions]
    assert getattr(d.causes[0].actions[0], "kind", None) == RAISES_LR
    assert any("n_iter_no_change=50" in a for a in acts)
    assert any("ran out while the training loss crawled" in e for e in d.causes[0].evidence)
    assert not any("the stop was right" in str(a) for c in d.causes for a in c.actions)


def test_verify_checks_the_crawl_with_lr_x10_and_it_holds():
    pytest.importorskip("sklearn")
    make = _make(CRAWL, "sk_crawl_make")
    r = losslens.verify(make.train, seeds=(1,))
    raised = [c for c in r.results if c.check.change.get("lr_factor") == 10.0 and c.holds is not None]
    assert raised and all(c.holds for c in raised)
    assert r.confirmed


def test_the_unstopped_twin_reads_as_before():
    """Seed 0 runs its 40 iterations (no stop): lr_too_low off its own climb, as it read."""
    pytest.importorskip("sklearn")
    make = _make(CRAWL, "sk_crawl_make")
    d = losslens.diagnose(make.train(seed=0))
    assert d.verdict == "lr_too_low" and not any("ran out while" in e for c in d.causes for e in c.evidence)
