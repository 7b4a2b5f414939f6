"""K read off the level a held run sits at, not its first point (tests/fixtures/ecosystem/held_ln_k: NT-Xent on digits
whose positive pairs are unrelated images, B = 64, so a uniform guess among 2B - 1 = 127 candidates scores ln 127;
make.py, make.out). The first epoch's mean, 4.861, read "K = 129 guessed from the first loss"; the loss then held
4.8442 for 39 epochs, ln 127 to its noise."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.facts.chance import held_level_k

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "held_ln_k"


def test_the_premise_the_first_point_is_nearer_ln_129_and_the_rest_sit_at_ln_127():
    a = np.loadtxt(HERE / "ntxent_unrelated.csv", delimiter=",", skiprows=1)
    assert round(math.exp(a[0, 1])) == 129
    for col in (1, 3):
        half = a[len(a) // 2:, col]
        assert abs(np.median(half) - math.log(127)) < 3 * half.std() / math.sqrt(len(half))


def test_a_held_run_reads_k_from_its_level():
    d = losslens.diagnose(HERE / "ntxent_unrelated.csv")
    c = d.facts.chance
    assert (c.classes, c.classes_from) == (127, "held loss")
    assert c.first_loss == pytest.approx(math.log(127), abs=2e-4)
    text = str(d)
    assert "K = 127 read off the level the losses held" in text and "ln 126 and ln 128 are not" in text
    assert "guessed from the first loss" not in text
    assert d.verdict == "stuck_at_init"


@pytest.mark.parametrize("tail, expect", [
    (math.log(127), 127),
    (0.5 * (math.log(127) + math.log(128)), None),  # between two: no K
    (math.log(127) - 0.06, None),                   # moved more than 1% off the first point
])
def test_held_level_k(tail, expect):
    rng = np.random.default_rng(0)
    loss = np.r_[4.861, tail + 3e-4 * rng.standard_normal(39)]
    got = held_level_k((loss,), 4.861, 0.006)
    assert (got is None) if expect is None else got[0] == expect
