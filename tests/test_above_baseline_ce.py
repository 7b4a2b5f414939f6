"""_above_the_baseline on a cross-entropy logged alone (tests/fixtures/ecosystem/torch_charlm_high_lr): a character
GRU at Adam 0.3 held above its token frequencies' loss (2.866) on both losses; lr / 10 gets under it. The log does
not say the loss is no MSE, so the advice names the rate for a cross-entropy beside standardizing for an MSE."""
from pathlib import Path

import losslens

HERE = Path(__file__).resolve().parent / "fixtures" / "ecosystem" / "torch_charlm_high_lr"
LEVEL = 2.866  # make.out: baseline_loss(y_val, "crossentropy") 2.8659


def test_premise_lr_over_10_gets_under_the_level():
    d = losslens.diagnose(str(HERE / "lr0.03.csv"))
    assert min(d.run.get("val_loss")) < 0.95 * LEVEL


def test_held_above_as_a_cross_entropy_names_the_rate():
    d = losslens.diagnose(str(HERE / "lr0.3.csv"), baseline_loss=LEVEL)
    assert d.verdict == "stuck_at_init", d.verdict
    acts = [str(a) for a in d.cause.actions]
    assert any(a.startswith("for a cross-entropy") and "lower the learning rate" in a for a in acts[:2]), acts


def test_regression_keeps_standardize_first():
    d = losslens.diagnose(str(HERE.parent / "torch_unscaled_inputs" / "raw.csv"), baseline_loss=6.62)
    assert str(d.cause.actions[0]).startswith("standardize the inputs first"), d.cause.actions


def test_held_above_as_a_cross_entropy_is_headlined_with_the_token_frequencies():
    """The headline said "worse than predicting the mean" of a language model held above its token frequencies'
    loss; the log holds the loss alone, so the headline names both constants, as the evidence does."""
    d = losslens.diagnose(str(HERE / "lr0.3.csv"), baseline_loss=LEVEL)
    first = str(d).splitlines()[0]
    assert "worse than predicting the mean, or for a cross-entropy the token (or class) frequencies" in first, first
    assert "for a cross-entropy, worse than predicting the class (or token) frequencies" in d.cause.evidence[0]
