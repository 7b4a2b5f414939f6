"""A resumed fit's log read alone: its first epochs are missing, so the fall before its first point is not in it.

The bounces and jumps the lr rules read are shares of "the improvement made by then". A log that starts late sees
only the few points of the plateau it resumed on: a W&B run resumed at epoch 8 (fixture wandb_resumed, the digits MLP
at Adam 1e-3: val 1.83 at epoch 0, 0.335-0.378 from epoch 8) read "jumped off its best 3 times, 4.3x the improvement
made by then" (0.0055 of a real 1.5) and `lr_too_high` (0.94); Lightning's resume at lr / 10 (compare_resume
version_1, from epoch 7) read "lr_too_high likely: bounces around its floor, sd 3.5% of its whole improvement"
(0.029 of a real 1.8). The fall before the log is counted at the log's first value (`facts.optimizer.missed_improvement`).
"""

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.diagnosis import diagnose_run
from losslens.facts import measure

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
ROOT = Path(__file__).resolve().parent.parent
WANDB = ECO / "wandb_resumed" / "wandb"
LIGHTNING = ECO / "compare_resume" / "lightning" / "lightning_logs"


def _second_wandb_part(tmp_path) -> Path:
    pytest.importorskip("wandb")
    later = sorted(WANDB.iterdir())[1]  # the part whose epochs start at 8
    shutil.copytree(later, tmp_path / "wandb" / later.name)
    return tmp_path / "wandb"


def _from_epoch(src: Path, first: int, dst: Path) -> Path:
    """The rows of a Keras CSVLogger file from epoch ``first`` on: the file a fit(initial_epoch=first) resumed from
    the checkpoint writes into a CSVLogger of its own (compare_resume/resumed.csv is one such, written so)."""
    with open(src, newline="") as fin, open(dst, "w", newline="") as fout:
        rows = list(csv.reader(fin))
        csv.writer(fout).writerows([rows[0]] + [r for r in rows[1:] if int(r[0]) >= first])
    return dst


def _causes(run):
    return [c.id for c in diagnose_run(run).causes]


def test_the_second_wandb_part_read_alone_reads_no_lr_too_high_from_its_plateau_bounce(tmp_path):
    [run] = losslens.read(f"wandb:{_second_wandb_part(tmp_path)}")
    assert run.meta["starts_at_epoch"] == 8
    f = measure(run)
    assert f.jumps == () and f.missed == pytest.approx(float(run.series["val_loss"][0]))
    d = diagnose_run(run)
    assert d.verdict == "converged" and "lr_too_high" not in [c.id for c in d.causes]
    # Read whole (both parts joined), the same run shows no jump either: the part alone now agrees with it.
    [whole] = losslens.read(f"wandb:{WANDB}")
    assert measure(whole).jumps == () and "lr_too_high" not in _causes(whole)


def test_the_cli_on_the_second_wandb_part_says_no_lr_too_high(tmp_path):
    env = dict(os.environ, PYTHONPATH=f"{Path(losslens.__file__).resolve().parent.parent}{os.pathsep}{ROOT}")
    proc = subprocess.run([sys.executable, "-m", "losslens", "diagnose", str(_second_wandb_part(tmp_path))],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("resumed01: converged") and "learning rate too high" not in proc.stdout
    assert "the log starts at epoch 8" in proc.stderr


def test_lightnings_resumed_version_read_alone_is_no_lr_too_high():
    # fit(ckpt_path=) at lr 0.005 (1/10 of version_0's) from epoch 7: validation still falls, 0.197 -> 0.168.
    [run] = losslens.read(str(LIGHTNING / "version_1" / "metrics.csv"))
    assert run.meta["starts_at_epoch"] == 7
    d = diagnose_run(run)
    assert d.verdict == "still_improving" and "lr_too_high" not in [c.id for c in d.causes]
    assert measure(run).optimizer.oscillation < 0.02 * 0.25  # (3.5% of the fall it saw alone; 0.45% counting the rest)


def test_a_keras_resume_in_a_file_of_its_own_reads_as_before():
    # compare_resume/resumed.csv: SGD 0.03 from the epoch-6 checkpoint, fit(initial_epoch=7), CSVLogger of its own.
    [run] = losslens.read(str(ECO / "compare_resume" / "resumed.csv"))
    assert run.meta["starts_at_epoch"] == 7
    d = diagnose_run(run)
    assert d.verdict == "converged" and "lr_too_high" not in [c.id for c in d.causes]


def test_a_late_log_that_does_spike_still_reads_a_step_too_large(tmp_path):
    # The SGD 1.2 run's epochs 7-29 as a file of their own (compare_resume_spiky/before.csv): training's epoch-mean
    # loss spikes at epoch 20 (validation 0.058 -> 4.91), 2.2x the fall it made, counting the one before the log.
    run = losslens.read(str(_from_epoch(ECO / "compare_resume_spiky" / "before.csv", 7, tmp_path / "late.csv")))[0]
    assert run.meta["starts_at_epoch"] == 7
    d = diagnose_run(run)
    assert d.verdict == "lr_too_high"
    assert "counting its first value" in d.cause.evidence[0] and "before the log starts at epoch 7" in d.cause.evidence[0]
    # Its lr / 10 resume (after.csv's epochs 7-29, spikes gone) reads converged, no step too large.
    after = losslens.read(str(_from_epoch(ECO / "compare_resume_spiky" / "after.csv", 7, tmp_path / "after.csv")))[0]
    assert diagnose_run(after).verdict == "converged" and "lr_too_high" not in _causes(after)


def test_missed_improvement_is_none_from_the_start_the_first_value_late_and_unknown_for_a_score():
    from losslens.facts.optimizer import jumps, missed_improvement

    y = np.array([0.35, 0.34, 0.38, 0.33])
    assert missed_improvement(y, late=False) == 0.0
    assert missed_improvement(y, late=True) == 0.35
    assert missed_improvement(-np.array([0.89, 0.90, 0.88]), late=True) == np.inf  # a score on the lower-is-better scale
    assert jumps(y, missed=np.inf) == ()
