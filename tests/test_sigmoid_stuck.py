"""Session 45's walk: a vanishing-gradient net that never left ln 10, no K known, read "also likely: lr_too_high ...
bounces around its floor" (tests/fixtures/ecosystem/lightning_sigmoid_stuck/make.py; make.out its values)."""

from __future__ import annotations

from pathlib import Path

import pytest

import losslens

W = Path(__file__).parent / "fixtures" / "ecosystem" / "lightning_sigmoid_stuck"


@pytest.mark.parametrize("name", ["sgd0.5", "sgd0.05"])
def test_a_net_that_never_moved_1pct_is_not_read_bouncing_off_a_floor(name):
    # Old code: sgd0.5 "also likely: lr_too_high (85%) - train_loss bounces around its floor: sd 10% of its whole
    # improvement" (an improvement of 0.013 on 2.31, an sd of 0.0014); sgd0.05, lr / 10, the same at 52%: both sit at
    # ln 10 = 2.3026, the first layer's gradient 4e-08 of the last's. --classes 10 removed it (_never_left_guess).
    d = losslens.diagnose(W / name / "lightning_logs" / "version_0")
    assert d.verdict == "stuck_at_init"
    assert "lr_too_high" not in [c.id for c in d.causes]
    assert "vanishes on its way back" in " ".join(d.causes[0].evidence) or name == "sgd0.05"
    assert [c.id for c in d.causes] == [c.id for c in losslens.diagnose(W / name / "lightning_logs" / "version_0",
                                                                        classes=10).causes]
