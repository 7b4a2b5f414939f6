"""BatchNorm at a batch of two read as a step too large (walk 43).

A digits MLP with BatchNorm1d trained at batch 2 (tests/fixtures/ecosystem/torch_bn_tiny_batch, make.py and make.out):
its training loss, taken in train mode with each unit normalised over the two examples of its batch, sat at 2.15x
validation's (eval mode, running statistics) and scattered from epoch to epoch by sd 0.025; it read "also likely:
lr_too_high, train_loss bounces around its floor ... lower the learning rate". lr / 10 and lr x 3 both ended higher
(0.965 and 1.024 against 0.628), batch 64 at 0.108. Rescoring the training set at the final weights over fresh
shuffles, with no update at all, moves its epoch mean by as much (pairing_sd 0.034): that scatter is which partner
each example was normalised with, not the step. Now the bounce is not read off a training loss that validation sat
far below throughout, and the line that says so names BatchNorm at a small batch and what trains past it."""

from __future__ import annotations

from pathlib import Path

import pytest

import losslens

BN = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_bn_tiny_batch"


def _made() -> dict[str, str]:
    return {line.split()[0]: line for line in (BN / "make.out").read_text().splitlines() if line.strip()}


def _num(line: str, word: str) -> float:
    return float(line.split(word + " ")[1].split()[0].rstrip(","))


def test_the_premise_the_step_is_not_what_holds_it():
    made = _made()
    base = _num(made["bn_bs2_s0"], "val")
    # Neither a smaller nor a larger step ends lower; a larger batch does, far.
    assert _num(made["bn_bs2_s0_lr0.0001"], "val") > base and _num(made["bn_bs2_s0_lr0.003"], "val") > base
    assert _num(made["bn_bs64_s0"], "val") < 0.3 * base
    for name in ("bn_bs2_s0", "bn_bs2_s1"):
        line = made[name]
        # The training set scored in eval mode sits near validation, far below the train-mode loss ...
        assert _num(line, "train_eval") < 0.5 * _num(line, "train")
        # ... and at fixed weights the batches drawn alone scatter its epoch mean as much as training's tail did.
        assert _num(line, "pairing_sd") >= _num(line, "sd")


@pytest.mark.parametrize("name", ["bn_bs2_s0", "bn_bs2_s1"])
def test_a_batchnorm_loss_at_batch_two_is_not_read_as_a_step_too_large(name):
    d = losslens.diagnose(BN / f"{name}.csv")
    assert "lr_too_high" not in [c.id for c in d.causes], d
    assert not any("learning rate" in str(a) for c in d.causes for a in c.actions), d
    ev = " ".join(d.cause.evidence)
    assert "sat below train_loss at 100% of its points" in ev and "BatchNorm" in ev, d
    assert any("a larger batch or GroupNorm/LayerNorm" in str(a) for a in d.cause.actions), d


def test_the_same_net_at_batch_64_gets_no_such_line():
    d = losslens.diagnose(BN / "bn_bs64_s0.csv")
    assert not any("sat below train_loss" in e for c in d.causes for e in c.evidence), d
