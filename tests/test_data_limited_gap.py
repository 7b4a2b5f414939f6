"""Too little data, read off one log: a converged validation loss that is almost all gap (training at 1/10 of it
or less) lists data_limited as likely and names more data, augmentation or regularization as the way lower
(``diagnosis._gap_is_the_level``). tests/fixtures/ecosystem/torch_digits_few: a 64-128-10 MLP on 150 training
digits read "converged", "change the data or the model", data_limited possible at 44%; twice the data lowered
validation's best by a third, ten times by three quarters. Each test checks the premise too."""
from pathlib import Path

import losslens
from losslens.diagnosis import ACTIONS, DATA_OR_MODEL, learning_curve_cause

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
FEW = ECO / "torch_digits_few"
CAP = ECO / "capacity_or_floor"


def _best():
    """{n: validation's best} from make.out."""
    return {int(line.split(":")[0][2:]): float(line.split("val best ")[1].split()[0])
            for line in (FEW / "make.out").read_text().splitlines()}


def test_the_premise_more_data_lowers_validation_and_the_learning_curve_says_so():
    best = _best()
    assert best[300] < 0.75 * best[150] and best[1500] < 0.3 * best[150]
    # The direct evidence, a learning curve over training-set size, reads data_limited on these three runs.
    c = learning_curve_cause(best)
    assert c is not None and c.id == "data_limited" and c.numbers["gain_if_doubled"] > 0.1


def test_a_converged_level_that_is_almost_all_gap_names_more_data():
    d = losslens.diagnose(str(FEW / "n150.csv"))
    assert d.verdict == "converged"  # more epochs will not lower it: the stop stays the verdict's
    dl = next(c for c in d.causes if c.id == "data_limited")
    assert dl.status == "likely" and d.causes[1] is dl and dl.confidence > 0.5
    assert 0.9 < dl.numbers["gap_share"] < 1.0
    assert ACTIONS["converged"][1] not in d.cause.actions
    assert d.cause.actions[1].startswith("to go lower, more training data or augmentation, or regularization")
    ev = " ".join(d.cause.evidence)
    assert "train_loss ends at 0.0208, 5.1% of val_loss's 0.408" in ev and "95% of val_loss is the gap" in ev
    assert any(a.startswith("regularize") for a in dl.actions)


def test_a_converged_level_training_sits_near_is_not_read_as_too_little_data():
    # A 13-1-3 net on wine: training 0.44, validation 0.50, the level a model too small holds.
    d = losslens.diagnose(str(CAP / "wine_w1.csv"))
    assert d.verdict == "converged"
    assert not any(c.id == "data_limited" and c.status == "likely" for c in d.causes)
    # (Its "not the epoch count" is gone: validation fell 5.6% after X and still falls, t = -4.9.)
    assert any(getattr(a, "kind", None) == DATA_OR_MODEL for a in d.cause.actions)


def test_overfitting_on_the_bigger_sets_is_left_as_it_was():
    # Twice and ten times the data: validation climbs after its best (slightly): early stopping first.
    for n in (300, 1500):
        d = losslens.diagnose(str(FEW / f"n{n}.csv"))
        assert d.verdict == "overfitting"
        assert all(c.status == "possible" for c in d.causes if c.id == "data_limited")


def test_the_regularization_it_already_uses_is_named_with_its_logged_value():
    # Lightning's MLP at weight_decay 1e-05 (its hparams.yaml): training ends at 8.4% of validation, flat. The
    # decay is in use, so the advice is more of it, not to add it; dropout, not logged, is still to add.
    wd = ECO / "lightning_weight_decay" / "wd_1e-05"
    assert "weight_decay: 1.0e-05" in (wd / "hparams.yaml").read_text()
    d = losslens.diagnose(str(wd))
    assert d.verdict == "converged"
    dl = next(c for c in d.causes if c.id == "data_limited")
    assert dl.status == "likely" and dl.numbers["gap_share"] > 0.9
    reg = next(a for a in dl.actions if a.startswith("regularize"))
    assert reg == "regularize: raise the weight decay above the logged 1e-05 (weight_decay), or add dropout"
    # A run that logs neither keeps the plain advice (torch_digits_few: a plain torch loop, no settings saved).
    few = losslens.diagnose(str(FEW / "n150.csv"))
    assert "regularize: weight decay, dropout" in next(c for c in few.causes if c.id == "data_limited").actions


def test_converged_names_the_logged_decay_as_data_limited_does_and_keeps_its_marker():
    # The verdict's visible action and data_limited's (shown only in --json) name the same run's decay one way: on
    # main the verdict said "regularization (weight decay, dropout)" to a run at weight_decay 1e-05.
    from losslens.diagnosis import DATA_OR_MODEL
    d = losslens.diagnose(str(ECO / "lightning_weight_decay" / "wd_1e-05"))
    assert d.verdict == "converged"
    act = next(a for a in d.causes[0].actions if "generalization gap" in a)
    assert "raise the weight decay above the logged 1e-05 (weight_decay), or add dropout" in act
    assert "weight decay, dropout" not in act
    # Rebuilt, it is still the action later rules find as converged's "change the data or the model".
    assert act.kind == DATA_OR_MODEL
    few = losslens.diagnose(str(FEW / "n150.csv"))
    assert any("regularization (weight decay, dropout)" in a and a.kind == DATA_OR_MODEL
               for a in few.causes[0].actions)
