"""What a script prints after training, beside its per-epoch lines, is no epoch (readers/console.py).

tests/fixtures/ecosystem/console_summaries/: a plain torch loop's "epoch N loss .. val_loss .." lines followed by
"Best val_loss .. at epoch K", "final: loss .." and "Test loss: ..", and Keras 3's fit (verbose=2 and 1) with
EarlyStopping(restore_best_weights=True, verbose=1) followed by evaluate() on a test set of as many batches; each
beside the run's own per-epoch values (the loop's numbers, Keras' History) it must read as.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from losslens.cli import app
from losslens.readers import read

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
CASE = ECO / "console_summaries"


def _history(name):
    with open(CASE / f"history_{name}.csv") as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


@pytest.mark.parametrize("name", ["torch_loop", "keras_v2", "keras_v1"])
def test_the_lines_printed_after_training_leave_every_epoch_as_printed(name):
    # The loop's "Best val_loss 0.4936 at epoch 16" reopened epoch 16 and "final: loss 0.3973" was averaged into its
    # training loss (0.4286 read 0.4130), "Test loss" made a column; Keras' evaluate() counting 9/9 steps like an
    # epoch replaced the last epoch's loss by the test loss (0.3882 read 0.4564) and its val_loss by nothing.
    truth = _history(name)
    run = read(CASE / f"{name}.out")[0]
    assert list(run.axis) == list(truth["epoch"])
    for col, logged in (("train_loss", "loss"), ("val_loss", "val_loss")):
        assert np.allclose(run.series[col], truth[logged], atol=6e-5), col
    assert not any("test" in k for k in run.series)


def test_the_summary_lines_left_out_are_said(caplog):
    with caplog.at_level(logging.WARNING, logger="losslens"):
        read(CASE / "torch_loop.out")
    said = [r.getMessage() for r in caplog.records if "after training" in r.getMessage()]
    assert len(said) == 1 and "line 21: 'Best val_loss" in said[0] and "3 such lines, the last line 23" in said[0]


def test_an_epoch_line_that_also_prints_its_best_so_far_is_read(tmp_path):
    # "best" after the epoch's number is the epoch's own line: no real epoch is lost to the summary rule.
    truth = _history("torch_loop")
    lines = [ln for ln in (CASE / "torch_loop.out").read_text().splitlines() if ln.startswith("epoch ")]
    best = np.minimum.accumulate(truth["val_loss"])
    path = tmp_path / "out.txt"
    path.write_text("".join(f"{ln} best {b:.4f}\n" for ln, b in zip(lines, best)))
    run = read(path)[0]
    assert list(run.axis) == list(truth["epoch"])
    assert np.allclose(run.series["val_loss"], truth["val_loss"], atol=6e-5)


def test_a_scripts_printed_results_are_refused_in_one_line_not_read_as_epochs():
    # lightning_trainnoise/make.out prints one line per run ("noise30: 60 epochs, best val_loss 0.7669 at epoch 24,
    # last 0.8820; ..."): read as one run's epochs 24, 24, 59, 119, it was 'stuck at initialization ... read on
    # 3 epochs'.
    path = ECO / "lightning_trainnoise" / "make.out"
    result = CliRunner().invoke(app, ["diagnose", str(path)])
    assert result.exit_code != 0
    assert "stuck" not in result.output and "plateau" not in result.output
    err = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(err) == 1 and str(path) in err[0] and "not a training log" in err[0]


def test_a_value_printed_without_a_number_before_the_first_step_and_after_the_last_is_kept(tmp_path):
    # llm.c prints "val loss" at step 0, above "step 1/74 | ...", and again after its last step: that last one is
    # the run's, not a result printed after training.
    path = tmp_path / "llmc.txt"
    steps = "".join(f"step {k}/6 | loss {3.3 - 0.1 * k:.4f} | norm 1.0\n" for k in range(1, 7))
    path.write_text("val loss 3.3000\n" + steps + "val loss 2.7500\n")
    run = read(path)[0]
    assert list(run.axis) == [1, 2, 3, 4, 5, 6]
    assert run.series["val_loss"][0] == 3.3 and run.series["val_loss"][-1] == 2.75
