"""`losslens forecast`'s "plateau X: none yet (by epoch X the fitted curve made 95% of its whole improvement from ...)"
names where that improvement is measured from: the log's first point, as X is (forecasting._plateau_epoch), not the
fit's start. A torch loop under ReduceLROnPlateau (tests/fixtures/ecosystem/torch_rlrop_x_before_cut/make.py),
its training loss fitted from the last cut at epoch 28, read "by epoch 14 ... from epoch 28 to 240" (walk 45)."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from losslens.cli import app

LOG = Path(__file__).parent / "fixtures" / "ecosystem" / "torch_rlrop_x_before_cut" / "t60.csv"


def test_x_is_said_measured_from_the_logs_start():
    out = CliRunner().invoke(app, ["forecast", str(LOG), "--metric", "train_loss", "--horizon", "240"])
    assert out.exit_code == 0, out.output
    m = re.search(r"by epoch (\d+) the fitted curve made 95% of its whole improvement from (.*?) to 240", out.output)
    assert m, out.output
    assert int(m.group(1)) < 28  # the premise: X before the fit's start
    assert m.group(2) == "the log's first epoch", out.output
    assert "fitted on the" in out.output and "since the lr was cut at 28" in out.output
