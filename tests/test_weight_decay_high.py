"""A weight decay far too strong reads as the decay, not the step: AdamW 1e-2 at weight_decay 10 on a digits MLP holds
both losses level at 0.44-0.46, jittering there, and read "learning rate too high: lower the learning rate" though the
log carried a ``weight_decay`` column (lr / 10 from the plateau ends no lower; the decay / 10 or / 100 reaches
0.08-0.11). A decay counts wherever it is logged (a column, a saved AdamW setting) once lr x wd takes 1% of each weight
a step (``facts.regularization.STRONG_SHRINK``), and the curves then say whether it held them.

Logs: tests/fixtures/ecosystem/torch_adamw_wd_high (make.py: a PyTorch loop's CSV, its lr and weight_decay logged)."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

import losslens

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_adamw_wd_high"


def _val(label: str) -> float:
    """Validation's end in make.out's line starting with ``label``."""
    line = next(ln for ln in (HERE / "make.out").read_text().splitlines() if ln.startswith(label))
    return float(re.search(r"val (\d\.\d+)", line).group(1))


def _without_decay_column(src: Path, dst: Path) -> Path:
    with open(src) as fh, open(dst, "w", newline="") as out:
        rows = list(csv.reader(fh))
        csv.writer(out).writerows([r[:-1] for r in rows])
    assert rows[0][-1] == "weight_decay"
    return dst


def test_the_truth_the_decay_held_the_fit_not_the_step():
    for seed, x in ((0, 37), (1, 25)):
        held = _val(f"seed {seed} wd 10:")
        assert _val(f"seed {seed} wd 10 -> 0.1 from epoch {x}") < 0.3 * held
        assert _val(f"seed {seed} wd 10 -> 1 from epoch {x}") < 0.3 * held
        assert _val(f"seed {seed} wd 10, lr / 10 from epoch {x}") > 0.95 * held


@pytest.mark.parametrize("seed", [0, 1])
def test_a_logged_decay_column_is_named_before_the_step(seed):
    d = losslens.diagnose(HERE / f"wd10_s{seed}.csv")
    assert d.verdict == "underfitting" and "penalty" in d.causes[0].numbers, str(d)
    assert d.causes[0].actions[0].startswith("lower the weight decay (weight_decay = 10;"), d.causes[0].actions
    assert any("weight_decay column: lr x wd = 0.1" in e for e in d.causes[0].evidence), d.causes[0].evidence
    high = next(c for c in d.causes if c.id == "lr_too_high")
    assert high.status == "possible"


def test_a_saved_adamw_decay_counts_where_it_takes_a_tenth_of_each_weight_a_step(tmp_path):
    # (A saved AdamW decay was passed over whatever its size, lest AdamW's default 0.01 be blamed.)
    version = tmp_path / "lightning_logs" / "version_0"
    version.mkdir(parents=True)
    _without_decay_column(HERE / "wd10_s0.csv", version / "metrics.csv")
    (version / "hparams.yaml").write_text("optimizer: AdamW\nlr: 0.01\nweight_decay: 10.0\n")
    d = losslens.diagnose(version)
    assert d.verdict == "underfitting" and "decoupled: lr x wd = 0.1" in d.causes[0].evidence[1], str(d)
    (version / "hparams.yaml").write_text("optimizer: AdamW\nlr: 0.001\nweight_decay: 0.01\n")
    shutil.copy(HERE / "lr0.05_wd0.01_s0.csv", version / "metrics.csv")
    assert losslens.diagnose(version).verdict == "lr_too_high"


def test_a_usual_decay_beside_a_step_too_large_leaves_the_step_read(tmp_path):
    # AdamW 0.05 at weight_decay 0.01 (5e-4 a step): validation ends at 1.9 where 0.01 ends at 0.085.
    assert _val("control lr 0.05") > 10 * _val("control at lr 0.01")
    d = losslens.diagnose(HERE / "lr0.05_wd0.01_s0.csv")
    assert d.verdict == "lr_too_high" and not any("penalty" in c.numbers for c in d.causes), str(d)


def test_a_decay_at_the_bar_that_held_nothing_changes_nothing(tmp_path):
    # weight_decay 1 at lr 1e-2 (0.01 a step): training fell to 0.016, validation 0.08; the curves say no hold.
    with_column = losslens.diagnose(HERE / "wd1_s1.csv")
    without = losslens.diagnose(_without_decay_column(HERE / "wd1_s1.csv", tmp_path / "wd1_s1.csv"))
    assert [(c.id, c.status) for c in with_column.causes] == [(c.id, c.status) for c in without.causes]
    assert not any("penalty" in c.numbers for c in with_column.causes)


@pytest.mark.parametrize("seed", [0, 1])
def test_no_decay_logged_lists_a_held_level_beside_the_bounce(seed, tmp_path):
    # The same log with its weight_decay column dropped: nothing names the decay, but both losses sit level at 35-38%
    # of training's start, which lr / 10 from the plateau did not lower (make.out): underfitting is listed, possible.
    d = losslens.diagnose(_without_decay_column(HERE / f"wd10_s{seed}.csv", tmp_path / f"wd10_s{seed}.csv"))
    assert d.verdict == "lr_too_high", str(d)
    under = next(c for c in d.causes if c.id == "underfitting")
    assert under.status == "possible" and "lower the weight decay" in under.actions[0], str(d)


def test_a_bounce_that_fitted_its_training_data_lists_no_held_level():
    d = losslens.diagnose(HERE / "lr0.05_wd0.01_s0.csv")
    assert not any(c.id == "underfitting" for c in d.causes), str(d)
