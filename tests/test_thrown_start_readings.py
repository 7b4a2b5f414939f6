"""Two readings of a run whose outputs were thrown far out, on real PyTorch logs (tests/fixtures/ecosystem/, each
folder's make.py wrote its CSVs; make.out holds the counterfactuals' numbers):

- torch_imbalanced_prior/cf_sgd_lr0.001: unscaled breast_cancer features at SGD 1e-3. Its training loss spikes
  (validation up to 1.92 at epoch 18) and it read lr_too_high, "lower the learning rate" first; its first
  validation loss, 6.32 at accuracy 0.938, is 102 nats per wrong answer, what unscaled inputs give. At lr 1e-4 the spikes stay (1.64); the
  same features standardized at SGD 0.1 end at 0.010 with no spike.
- torch_high_lr_relapse/cf_adam_lr0.1: a digits MLP at Adam 0.1 whose losses rest at ln 10 from epoch 2 on
  listed underfitting ("100% of ln 10", "a bigger model") above converged. The same model learns at Adam 0.01
  (0.146) and, at Adam 0.1, under other seeds (make.out): not a model too small.
"""
import csv
from pathlib import Path

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
TIP = ECO / "torch_imbalanced_prior"
HLR = ECO / "torch_high_lr_relapse"


def _column(path: Path, name: str) -> list[float]:
    """A column of a fixture CSV as written (the premises' numbers, read without losslens)."""
    with open(path, newline="") as fh:
        return [float(r[name]) for r in csv.DictReader(fh)]


def test_spikes_after_a_thrown_start_put_standardizing_first():
    raw, std = _column(TIP / "cf_sgd_lr0.001.csv", "val_loss"), _column(TIP / "cf_sgd_lr0.1_std.csv", "val_loss")
    assert max(raw[3:]) > 1.5  # the premise: the spikes, after the first epochs; standardized, none
    assert max(std[3:]) < 0.25 and std[-1] < 0.2 * raw[-1]
    assert max(_column(TIP / "cf_sgd_lr0.0001.csv", "val_loss")[3:]) > 1.5  # a tenth of the rate keeps them
    d = losslens.diagnose(TIP / "cf_sgd_lr0.001.csv")
    assert d.verdict == "lr_too_high"
    verdict = d.causes[0]
    assert verdict.actions[0].startswith("inputs unscaled? standardize them first")
    assert any(a.startswith("lower the learning rate") for a in verdict.actions[1:])
    assert any("102 nats per wrong answer" in e for e in verdict.evidence)  # 6.32 / (1 - 0.938)
    s = losslens.diagnose(TIP / "cf_sgd_lr0.1_std.csv")  # (the standardized run: nothing to standardize)
    assert "lr_too_high" not in s.cause_ids()
    assert not any("standardize" in a for c in s.causes for a in c.actions)
    # Keras SGD 1.2 on digits (inputs / 16): a first validation accuracy of 0.511 says nothing of K, and 1.68
    # nats spread over its wrong answers is no saturated output: the rate stays first.
    k = losslens.diagnose(ECO / "keras_sgd_spikes" / "sgd_1.2.csv")
    assert k.verdict == "lr_too_high" and k.causes[0].actions[0].startswith("lower the learning rate")


def test_a_loss_resting_at_ln_k_is_not_read_as_underfitting():
    assert _column(HLR / "cf_adam_lr0.1.csv", "val_loss")[-1] > 2.3  # the premise: the same model learns
    assert _column(HLR / "cf_adam_lr0.01.csv", "val_loss")[-1] < 0.2  # at a tenth of the step
    for options in ({}, {"classes": 10}):
        d = losslens.diagnose(HLR / "cf_adam_lr0.1.csv", **options)
        assert d.verdict == "lr_too_high", options
        assert "underfitting" not in d.cause_ids(), options
        assert "a bigger model or better features" not in str(d), options
