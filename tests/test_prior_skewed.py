"""A constant answer under a skewed prior (tests/fixtures/ecosystem/prior_skewed: a next-token model on a 50-token
Markov chain, its make.py and make.out). With every input token zeroed the model can fit only the unigram prior:
validation accuracy is the top token's share, 0.23754, at every epoch, and val_loss settles at the validation split's
cross-entropy under the training unigram. The floor constant_answer used, H(m) + (1 - m) ln (K - 1) = 3.51, is the
most a constant answer at that share can score; a skewed prior scores less, so "validation never under it" failed
and the run read lr_too_high 90%. The inputs as made learn (val_loss 1.15) and keep their reading."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.facts.chance import constant_answer, least_entropy

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "prior_skewed"


def _made(key: str) -> float:
    return float((HERE / "make.out").read_text().split(key + " ")[1].split()[0])


def test_the_premise_one_answer_at_every_epoch_at_a_share_under_any_majority():
    acc = np.loadtxt(HERE / "lm_noctx.csv", delimiter=",", skiprows=1, usecols=4)
    assert np.ptp(acc) == 0 and acc[0] == pytest.approx(_made("validation top share"), abs=1e-5)
    # The formula's bound over 50 tokens is far above where the prior's loss lies.
    m = acc[0]
    assert -(m * math.log(m) + (1 - m) * math.log(1 - m)) + (1 - m) * math.log(49) > 3.5 > \
        _made("validation cross-entropy under the training unigram") + 0.8


def test_zeroed_inputs_are_one_answer_for_every_input_not_a_step_too_large():
    d = losslens.diagnose(HERE / "lm_noctx.csv")
    c = d.facts.chance
    assert c.prior_settled and c.prior_share == pytest.approx(0.23754, abs=1e-6) and c.prior_held == 30
    # The floor is where validation settled: the validation split's loss under the training unigram, to 0.1%.
    assert c.prior_loss == pytest.approx(_made("validation cross-entropy under the training unigram"), rel=1e-3)
    assert d.verdict == "stuck_at_init", d
    assert "lr_too_high" not in d.cause_ids() and "underfitting" not in d.cause_ids()
    ev = " ".join(d.cause.evidence)
    assert "validation accuracy is 0.23754 at every one of its 30 epochs from the first" in ev
    assert "training's loss settled too" in ev and "two classes assumed" not in ev
    assert any("inputs reach the model (not all zeros" in a for a in d.cause.actions)


def test_the_inputs_as_made_learn_and_keep_their_reading():
    d = losslens.diagnose(HERE / "lm_learn.csv")
    assert d.facts.chance.prior_share is None
    assert d.verdict not in ("stuck_at_init", "no_signal")


@pytest.mark.parametrize("loss, expect", [
    ([2.70] + [2.66] * 11, 2.66),                  # settled under the formula's 3.51: that level
    ([2.70] + list(np.linspace(2.69, 2.5, 11)), None),  # still falling: not settled
    ([1.4] + [1.45] * 11, None),                   # above its first point: no fitted prior
    ([1.6] + [1.2] * 11, None),                    # under the least a constant answer at 0.2375 scores (1.515)
])
def test_a_settled_level_stands_for_the_prior_only_where_a_constant_answer_can_score_it(loss, expect):
    acc = np.full(12, 0.2375)
    got = constant_answer(acc, None, 2.7, np.array(loss))
    assert (got is None) if expect is None else (got[1] == pytest.approx(expect) and got[3])
    # One answer flipped after the first ones: no longer held at every evaluation.
    assert constant_answer(np.r_[acc[:-1], 0.2371], None, 2.7, np.array([2.70] + [2.66] * 11)) is None


def test_the_least_entropy_at_a_top_share():
    assert least_entropy(0.5) == pytest.approx(math.log(2))
    assert least_entropy(0.25) == pytest.approx(math.log(4))
    assert least_entropy(0.9) == pytest.approx(-(0.9 * math.log(0.9) + 0.1 * math.log(0.1)))
