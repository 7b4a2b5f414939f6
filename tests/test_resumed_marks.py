"""A resumed run joined back together carries marks that describe the joined run.

tests/fixtures/ecosystem/hf_tb_resume (make.py): a Trainer crashed after step 25 (evaluated at steps 10 and 20) and
resumed from checkpoint-20 into a runs/<date>_<host> folder of its own, evaluating every 10 steps to step 80;
hf_cb_resume is the same job beside a losslens callback. Its first part read alone stops validating at step 20 while
training goes on to 25 (``meta["logged_until"]``, true of that part). Joined, the run kept that mark though its
checks go on to step 80: the series the divergence check reads (``facts.divergence.logged``) held 2 of its 8 checks,
to step 20, and a loss turned NaN in the resumed part would have gone unread there. The join (``Run.followed_by``,
used by the readers' resume stitching and by compare's BEFORE+AFTER) keeps a part's mark only where the joined
series logs nothing after it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from losslens.facts.divergence import logged
from losslens.readers import read

ECO = Path(__file__).parent / "fixtures" / "ecosystem"


def _joined(folder: str):
    [run] = [r for r in read(ECO / folder / "hf_out") if r.meta.get("resumed_in")]
    return run


@pytest.mark.parametrize("folder", ["hf_tb_resume", "hf_cb_resume"])
def test_a_trainer_resumed_after_a_crash_reads_its_validation_to_the_joined_runs_last_check(folder):
    crashed = read(sorted((ECO / folder / "hf_out" / "runs").iterdir())[0])[0]
    # The crashed part's own mark: evaluated at step 20, trained on to 25.
    assert crashed.meta["logged_until"]["val_loss"] == 20.0 and crashed.axis[-1] == 25
    run = _joined(folder)
    assert run.axis[-1] == 80 and run.meta.get("logged_until") is None
    held = logged(run, "val_loss")
    x = run.axis[: held.shape[0]][np.isfinite(held)]
    np.testing.assert_array_equal(x, np.arange(10, 90, 10))  # every check, the resumed part's too (was 10, 20)
    np.testing.assert_array_equal(held[np.isfinite(held)], run.finite("val_loss")[1])


def test_a_mark_the_later_part_does_not_run_past_is_kept():
    # The crashed part joined to the resumed one cut before its first check (step 25 only, training logged): the
    # joined run's validation did stop at step 20, though the later part's meta (taken by default) has no mark.
    parts = [read(p)[0] for p in sorted((ECO / "hf_tb_resume" / "hf_out" / "runs").iterdir())]
    crashed, resumed = parts
    joined = crashed.head(len(crashed) - 1).followed_by(resumed.head(1))
    assert not resumed.meta.get("logged_until")
    assert joined.axis[-1] == 25 and not np.isfinite(joined.series["val_loss"][-1])
    assert joined.meta["logged_until"]["val_loss"] == 20.0
