"""A regression on inputs left unscaled (tests/fixtures/ecosystem/torch_unscaled_inputs: an 8-64-64-1 MLP, Adam 1e-3,
on features of scales 1-5000; make.py and make.out). Read "converged at epoch 1 (89%), rather than stop, train on"
with or without ``--baseline-loss 6.62`` (the validation targets' variance), the baseline never mentioned, where
validation's best (10.5) and training's lowest (8.65) both sat above that constant prediction's loss. Twice the
epochs: best 7.44, last 11.27; lr / 10: 19.19; the inputs standardised: 0.2425. scikit-learn's MLPRegressor on the
same rows: val R² -24 at best, read "no learnable signal: check that the inputs carry signal"."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import losslens
from losslens.cli import app

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_unscaled_inputs"


def _made() -> dict[str, str]:
    return {line.split(":")[0]: line for line in (HERE / "make.out").read_text().splitlines()}


def _best(name: str) -> float:
    return float(re.search(r"validation's best ([0-9.e+-]+)", _made()[name]).group(1))


def _lowest_train(name: str) -> float:
    return float(re.search(r"training's lowest ([0-9.e+-]+)", _made()[name]).group(1))


def _baseline() -> float:
    return float(_made()["validation targets' variance (a constant prediction at their mean)"].split(": ")[1])


def test_the_premise_worse_than_the_mean_and_standardising_fixes_it():
    var = _baseline()
    assert _best("raw.csv") > 1.5 * var and _lowest_train("raw.csv") > 1.25 * var
    assert _best("raw_160.csv") > var and _lowest_train("raw_160.csv") > var  # (training on: still above it)
    assert _best("raw_lr1e-4.csv") > 2 * var  # (lr / 10)
    assert _best("std.csv") < _best("raw.csv") / 40  # (the inputs standardised)


@pytest.mark.parametrize("name", ["raw.csv", "raw_160.csv"])
def test_a_stated_baseline_above_which_both_losses_held_reads_worse_than_the_mean(name):
    var = _baseline()
    d = losslens.diagnose(HERE / name, baseline_loss=var)
    assert d.verdict == "stuck_at_init", str(d)
    text = str(d)
    assert "worse than predicting the mean" in text.splitlines()[0], text
    assert "worse than predicting the targets' mean" in d.cause.evidence[0], d.cause.evidence
    assert f"{var:.4g}" in d.cause.evidence[0]
    assert d.cause.actions[0].startswith("standardize the inputs first"), d.cause.actions
    assert "converged" not in [c.id for c in d.causes]
    assert "train on" not in " ".join(str(a) for c in d.causes for a in c.actions)
    assert d.plateau_epoch == 1  # (the fall to the level ended there: not "at initialization", epoch 0)
    if name == "raw_160.csv":  # (its bounce, read lr_too_high without the level, stays listed behind)
        assert [c.id for c in d.causes] == ["stuck_at_init", "lr_too_high"] and d.causes[1].status == "possible"


def test_the_cli_baseline_is_applied():
    r = CliRunner().invoke(app, ["diagnose", str(HERE / "raw.csv"), "--baseline-loss", f"{_baseline():.4f}", "--json"])
    assert r.exit_code == 0, r.output
    o = json.loads(r.output.splitlines()[0])
    assert o["verdict"] == "stuck_at_init" and o["facts"]["baseline_loss"] == pytest.approx(_baseline(), rel=1e-3)
    assert o["causes"][0]["numbers"]["train_over_baseline"] > 1.25


def test_still_falling_training_from_above_the_level_is_left_alone():
    # lr / 10: training still falls at the end (t = -6.8) from above the level: it may be on its way (the rule's
    # bar, session 46), and the level alone does not decide.
    d = losslens.diagnose(HERE / "raw_lr1e-4.csv", baseline_loss=_baseline())
    assert d.verdict == "converged", str(d)


def test_without_a_baseline_the_first_epochs_drop_names_the_scale():
    d = losslens.diagnose(HERE / "raw.csv")
    assert d.verdict == "converged"  # (the level is flat: the verdict stays)
    assert any("23.6x its next point" in e and "1109x its floor" in e for e in d.cause.evidence), d.cause.evidence
    assert str(d.cause.actions[0]).startswith("inputs unscaled? standardize them first"), d.cause.actions
    assert "--baseline-loss" in str(d.cause.actions[0])
    # The forecast's hedge on converged's stop is kept, second.
    assert str(d.cause.actions[1]).startswith("rather than stop, train on with early stopping"), d.cause.actions
    d = losslens.diagnose(HERE / "raw_160.csv")
    assert d.verdict == "lr_too_high" and str(d.cause.actions[0]).startswith("inputs unscaled?")


def test_the_standardised_twin_reads_as_before():
    d = losslens.diagnose(HERE / "std.csv")
    assert d.verdict == "converged"
    assert not any("unscaled" in str(a) for a in d.cause.actions) and "unscaled_start" not in d.cause.numbers


class _Fitted:
    """The attributes losslens reads off a fitted MLPRegressor, as make.py dumped them."""

    def __init__(self, name: str):
        self.d = json.loads((HERE / name).read_text())
        for k in ("loss_curve_", "validation_scores_", "n_iter_", "t_"):
            setattr(self, k, self.d[k])

    def get_params(self):
        return self.d["params"]


def test_mlpregressor_far_below_r2_zero_is_named_off_in_scale():
    raw, std = _Fitted("mlpreg.json"), _Fitted("mlpreg_std.json")
    assert max(raw.validation_scores_) < -10 and max(std.validation_scores_) > 0.8  # (the premise)
    d = losslens.diagnose(raw)
    assert d.verdict == "no_signal", str(d)
    assert "worse than predicting the mean" in d.cause.evidence[0], d.cause.evidence
    assert d.cause.actions[0].startswith("standardize the inputs first"), d.cause.actions
    assert not any("shuffled or misaligned" in str(a) for a in d.cause.actions), d.cause.actions
    assert losslens.diagnose(std).verdict != "no_signal"


def test_unscaled_targets_on_standardised_inputs_falling_smoothly_get_no_line():
    # torch_reg_blowup/raw_adam0.01: targets of std ~150 on standardised inputs, 12.2x in its first epoch and 458x
    # in all, but a smooth level (noise 8.5% of its floor): a fit as good as its standardised twin's, 0.0033 of the
    # targets' variance; keras_epoch_numbers: 2.9x, then 186x over more epochs. Neither is told to standardize.
    eco = HERE.parent
    for path in (eco / "torch_reg_blowup" / "raw_adam0.01.csv", eco / "keras_epoch_numbers" / "training.log"):
        d = losslens.diagnose(path)
        assert d.verdict == "converged" and "unscaled_start" not in d.cause.numbers, str(d)
