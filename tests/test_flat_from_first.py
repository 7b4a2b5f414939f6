"""Curves that made no improvement beyond their noise after their first point get that point as X (DESIGN: they
learned all they could before their first evaluation). Logs written by PyTorch: tests/fixtures/ecosystem/torch_reg_floor/make.py
(session 39's walk, its CSVs rerun byte-identical)."""

from __future__ import annotations

from pathlib import Path

import losslens

REG = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_reg_floor"


def test_bouncing_from_the_first_epoch_has_x_at_it():
    # A linear MSE model at SGD 0.7: validation bounces 0.02-0.25 from its first epoch (0.0945), the smooth's minimum
    # its last point. Old code: X = 59 of 60, "uncertain 0-59", one "steep drop" over the whole run and the
    # converged reading "stop at epoch 59". lr 0.07 is its counterfactual (the walk: lr_too_high is right).
    d = losslens.diagnose(REG / "reg_highlr.csv")
    assert d.verdict == "lr_too_high"
    assert d.plateau_epoch == 0
    assert tuple(d.plateau.interval) == (0, 0)
    assert [p["name"] for p in d.phases] == ["plateau"]
    assert (d.phases[0]["start"], d.phases[0]["end"]) == (0.0, 59.0)
    conv = next(c for c in d.causes if c.id == "converged")
    assert conv.actions[0].startswith("stop at epoch 0:")
    assert "never fell beyond its noise after its first value" in conv.evidence[0]
    assert not any("epoch 59" in a for a in conv.actions)


def test_at_the_floor_from_the_first_evaluation():
    # SGD 0.09: validation at the noise floor (0.011, noise variance 0.01) from epoch 0 on, 5.9% below its first
    # point at most (2.5 of its noise sds). Old code: X = 5 [3, 57].
    d = losslens.diagnose(REG / "reg_floor_sgd.csv")
    assert d.verdict == "converged"
    assert d.plateau_epoch == 0
    assert [p["name"] for p in d.phases] == ["plateau"]
    assert d.causes[0].actions[0].startswith("stop at epoch 0:")
    # A curve that fell beyond its noise keeps the X it dates: the MLP at Adam 1e-2, 1.1 -> 0.05 in 3 epochs.
    fell = losslens.diagnose(REG / "reg_floor.csv")
    assert fell.plateau_epoch == 2
    assert [p["name"] for p in fell.phases][:1] == ["steep_drop"]

