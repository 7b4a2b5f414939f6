"""A learning rate too small, or 0, read as what it is.

A new user's PyTorch loop (tests/fixtures/ecosystem/torch_sgd_tiny_lr, its make.py): a 64-64-10 MLP on digits at
plain SGD 1e-4 for 60 epochs. Validation falls in a straight line, 2.3002 -> 2.2907 (t = -4328 over the last
quarter), lowest at the last epoch; lr x1000 reaches 0.1315 (make.out). It read lr_too_high 66% ("train_loss
bounces around its floor: sd 2.5% of its whole improvement" of 0.011: a curve with no floor), and from other
formats of the same run stuck_at_init 95% (TensorBoard, per-step training loss; the CSV without validation) or
underfitting 76% (its first 40 epochs). Lightning's log of the same setting read lr_too_low 92%: its epoch means,
weighted by batch size, scatter 1.4e-6, the loop's (a partial last batch of 41 counted as a full one) 3e-4.

A schedule bug (tests/fixtures/ecosystem/torch_zero_lr): LambdaLR(lambda e: 1 // (e + 1)) sets SGD's 0.05 to 0 from
epoch 1; the lr column logs 0.05, then 0. It read "underfitting: a bigger model" (and twice as wide, the same),
with converged beside it saying "the learning rate was decayed to 0".
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
TINY = ECO / "torch_sgd_tiny_lr"
ZERO = ECO / "torch_zero_lr"


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _write(rows: list[dict], cols: list[str], path: Path) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def _ids(d) -> list[str]:
    return [c.id for c in d.causes]


def test_the_loop_csv_reads_lr_too_low_not_a_bounce():
    d = losslens.diagnose(TINY / "epochs.csv", classes=10)
    assert d.verdict == "lr_too_low", d
    assert d.causes[0].actions[0].startswith("raise the learning rate")
    # No floor, so no bounce around one; no "a bigger model" for a curve still crawling down.
    assert "lr_too_high" not in _ids(d) and "underfitting" not in _ids(d)
    assert d.plateau_epoch is None


def test_its_first_40_epochs_read_lr_too_low_not_underfitting(tmp_path):
    rows = _rows(TINY / "epochs.csv")[:40]
    d = losslens.diagnose(_write(rows, list(rows[0]), tmp_path / "first40.csv"), classes=10)
    assert d.verdict == "lr_too_low", d
    assert "underfitting" not in _ids(d)


def test_without_validation_the_training_loss_reads_lr_too_low_not_stuck(tmp_path):
    rows = _rows(TINY / "epochs.csv")
    d = losslens.diagnose(_write(rows, ["epoch", "train_loss", "lr"], tmp_path / "noval.csv"), classes=10)
    assert d.verdict == "lr_too_low", d
    assert "stuck_at_init" not in _ids(d) and "lr_too_high" not in _ids(d)
    # (Without a held-out curve the first action asks for one; the rate comes right after.)
    assert any(a.startswith("then raise the rate") or a.startswith("raise the learning rate")
               for a in d.causes[0].actions[:2])


def test_tensorboard_per_step_training_loss_reads_lr_too_low_not_stuck():
    # Loss/train per step is a batch's loss (t = -1.0 over its last quarter): its draw hides the crawl that
    # Loss/val, per epoch, shows.
    d = losslens.diagnose(f"tb:{TINY / 'runs' / 'sgd_1e-4'}", classes=10)
    assert d.axis == "step"
    assert d.verdict == "lr_too_low", d
    assert "stuck_at_init" not in _ids(d) and "underfitting" not in _ids(d)


def test_a_slow_fall_under_a_decaying_rate_stays_stuck_but_raises_the_rate_first():
    # The same loop at 1e-4 under ExponentialLR(0.97): training 0.24% below its start in 60 epochs, at ln 10, so
    # stuck_at_init stands (the shape rules do not read a schedule's crawl), but validation still falls steadily
    # (t = -28, lowest at its end): learning, at a step too small -- not "check the labels" first.
    d = losslens.diagnose(TINY / "epochs_decay.csv", classes=10)
    assert d.verdict == "stuck_at_init", d
    acts = d.causes[0].actions
    assert acts[0].startswith("raise the learning rate")
    assert acts.count("raise the learning rate") == 0
    assert any(e.startswith("but val_loss still falls steadily") for e in d.causes[0].evidence)


@pytest.mark.parametrize("name", ["lr0.csv", "lr0_h128.csv"])
def test_a_learning_rate_set_to_zero_by_the_schedule_is_said_first(name, tmp_path):
    d = losslens.diagnose(ZERO / name, classes=10)
    assert d.verdict == "lr_too_low", d
    verdict = d.causes[0]
    assert verdict.evidence[0] == ("the learning rate was 0 from epoch 1 (0.05 before): nothing can train from "
                                   "there; check the schedule")
    assert verdict.actions[0].startswith("fix the learning-rate schedule: it sets the rate to 0 from epoch 1")
    # Never "a bigger model", nor "stop here": the curve is flat because nothing trained.
    assert _ids(d) == ["lr_too_low"]
    assert not any("bigger model" in a for c in d.causes for a in c.actions)
    assert d.forecast is None
    # A schedule that only ends at 0 (a Trainer's linear decay: one point at 0, the schedule's end) is not a rate of
    # 0 over the plateau: the same loop's run, its lr column decaying linearly to 0 at the last epoch.
    rows = _rows(TINY / "epochs.csv")
    for i, r in enumerate(rows):
        r["lr"] = repr(1e-4 * (len(rows) - 1 - i) / (len(rows) - 1))
    d = losslens.diagnose(_write(rows, list(rows[0]), tmp_path / "linear.csv"), classes=10)
    assert not any("nothing can train" in e for c in d.causes for e in c.evidence)


def test_a_crawl_on_validation_beside_a_per_step_training_loss_is_no_level():
    # Lightning at SGD 0.01, val_check_interval=0.25 (fixture lightning_val_interval/sgd0.01): validation falls in a
    # line (t = -92, 5.3% below its start in 10 epochs) beside a per-step training loss, a batch's, whose draw
    # hides it (t = -2.2). It listed "underfitting: training loss flattened at 2.186 ... a bigger model".
    d = losslens.diagnose(ECO / "lightning_val_interval" / "sgd0.01" / "metrics.csv")
    assert d.verdict == "lr_too_low"
    assert "underfitting" not in _ids(d)
