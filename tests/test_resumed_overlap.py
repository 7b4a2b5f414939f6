"""A job that crashed after its last checkpoint and was resumed from it: the logger holds the epochs (steps) between
the checkpoint and the crash twice, the crashed part's and the resumed part's. The later record is the training
the model went on from (TensorBoard drops a restart's orphans the same way): it is read, the earlier left out, said
in one note; never both points at one epoch, never the resumed part shifted to after the crash.

Every log here was written by the library itself (tests/fixtures/ecosystem/<case>/make.py)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from losslens.readers import read

ECO = Path(__file__).parent / "fixtures" / "ecosystem"


def _hashes(root: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "folder"
            for p in sorted(root.rglob("*"))}


@pytest.fixture
def unchanged():
    """``unchanged(folder)`` records its files' hashes; the test's end checks them again."""
    seen: dict[str, str] = {}
    roots: list[Path] = []

    def record(folder):
        roots.append(Path(folder))
        seen.update(_hashes(Path(folder)))
    yield record
    assert {k: v for r in roots for k, v in _hashes(r).items()} == seen, "an input file was modified"


# ---- W&B offline, wandb.init(id=..., resume="allow") -------------------------------------------------
def _wandb_logged():
    logged = json.loads((ECO / "wandb_resumed_checkpoint" / "logged.json").read_text())
    first, then = logged["part1"], logged["part2"]
    assert first["epoch"] == list(range(12)) and then["epoch"] == list(range(8, 20))
    # The resumed training: epochs 0-7 of the crashed part, then the resumed part's 8-19.
    return {k: first[k][:8] + then[k] for k in ("train_loss", "val_loss", "val_acc")}, first


@pytest.mark.parametrize("mode", ["step", "epoch"])
def test_wandb_part_resumed_from_an_earlier_checkpoint_replaces_the_crashed_steps(unchanged, mode):
    # wandb 0.31 offline, a job crashed after epoch 11 and resumed from its checkpoint of epoch 7, each part a folder
    # of its own under one id. step/: wandb.log(row, step=epoch), the resumed part logs steps 8-11 again; epoch/:
    # wandb.log({**row, "epoch": epoch}) with W&B's own counter, from 0 again in the resumed part. Before: the
    # resumed part was shifted after the crash, 24 steps with epochs 8-11 twice (step/), or each of epochs 8-11
    # the mean of the crashed and the resumed values (epoch/).
    pytest.importorskip("wandb")
    folder = ECO / "wandb_resumed_checkpoint" / mode / "wandb"
    unchanged(folder)
    want, crashed = _wandb_logged()
    [run] = read(f"wandb:{folder}")
    assert run.name == "crashed01" and list(run.axis) == list(range(20))
    assert run.axis_name == "epoch"  # (step=epoch, training and validation at each step: read as epochs too)
    for key in ("train_loss", "val_loss", "val_acc"):
        np.testing.assert_allclose(run.series[key], want[key], rtol=1e-6, err_msg=key)
    assert not np.isclose(run.series["val_loss"][8:12], crashed["val_loss"][8:12], rtol=1e-6).any()
    [note] = [n for n in run.meta["notes"] if "offline parts" in n]
    said = "step 8 again" if mode == "step" else "epoch 8 again: the earlier part's rows of epochs 8-11 left out"
    assert said in note and "the later ones read" in note
    # The folder read as a directory (no wandb: scheme, as `losslens diagnose wandb/`): the same one run (before: each
    # offline-run-* folder a run of its own).
    [plain] = read(folder)
    np.testing.assert_allclose(plain.series["val_loss"], want["val_loss"], rtol=1e-6)


def test_wandb_part_counted_from_zero_again_goes_on_after_and_says_so(unchanged, tmp_path):
    # counter/: wandb.log(row) without step or epoch. Offline, the resumed part's _step starts at 0 again; online
    # W&B goes on from the run's last step. Nothing in the log tells that epochs 8-11 were trained twice: read as
    # W&B counts, steps 12-23 for the resumed part, said so (before: "each part's steps after the one before").
    pytest.importorskip("wandb")
    folder = ECO / "wandb_resumed_checkpoint" / "counter" / "wandb"
    unchanged(folder)
    _, crashed = _wandb_logged()
    logged = json.loads((ECO / "wandb_resumed_checkpoint" / "logged.json").read_text())
    [run] = read(f"wandb:{folder}")
    # (W&B's counter, one wandb.log an epoch holding training and validation: a report index, read as epochs)
    assert run.axis_name == "epoch" and list(run.axis) == list(range(24))
    np.testing.assert_allclose(run.series["val_loss"], crashed["val_loss"] + logged["part2"]["val_loss"], rtol=1e-6)
    [note] = [n for n in run.meta["notes"] if "offline parts" in n]
    assert "part 2 counts _step from 0 again" in note and "from 12 on" in note


# ---- Lightning, fit(ckpt_path=...) by a new Trainer: a new version folder -------------------------------------
def _val_by_epoch(metrics_csv: Path) -> dict[int, float]:
    import csv
    with open(metrics_csv, newline="") as f:
        return {int(r["epoch"]): float(r["val_loss"]) for r in csv.DictReader(f) if r["val_loss"]}


def test_lightning_version_resumed_from_an_earlier_checkpoint_joins_its_run(unchanged):
    # Lightning 2.6: 12 epochs (a crash after epoch 11) with a checkpoint kept after each, then a new Trainer resumes
    # epoch=7's: CSVLogger and TensorBoardLogger each open version_1, epochs 8-19. Before: version_1 did not follow
    # version_0's last epoch, so the two were read as two runs, version_1 "starting late at epoch 8".
    folder = ECO / "lightning_resume_crashed" / "logs"
    unchanged(folder)
    first = _val_by_epoch(folder / "csv" / "version_0" / "metrics.csv")
    then = _val_by_epoch(folder / "csv" / "version_1" / "metrics.csv")
    assert sorted(first) == list(range(12)) and sorted(then) == list(range(8, 20))
    [run] = read(folder)
    assert run.name == "version_0+version_1" and list(run.axis) == list(range(20))
    want = [first[e] for e in range(8)] + [then[e] for e in range(8, 20)]
    np.testing.assert_allclose(run.series["val_loss"], want, rtol=1e-6)
    assert "starts_at_epoch" not in run.meta
    [note] = [n for n in run.meta["notes"] if "resumes at epoch 8" in n]
    assert "epochs 8-11 read, version_0's left out" in note
    # The CSV logger's folder alone joins the same way.
    [alone] = read(folder / "csv")
    np.testing.assert_allclose(alone.series["val_loss"], want, rtol=1e-6)


# ---- Keras CSVLogger(append=True), fit(initial_epoch=k) on the reloaded checkpoint ------------------------------
def test_keras_csv_resumed_from_an_early_checkpoint_is_one_run(unchanged):
    # Keras 3: 20 epochs (a crash after epoch 19), then the checkpoint of epoch 2 reloaded and fit(initial_epoch=3)
    # to 24 with CSVLogger(append=True): epochs 0-19, then 3-23. Before: the resumed part's first loss sat nearer the
    # run's start than its end, so it was read as a second run, "starting late at epoch 3" (a checkpoint near the
    # crash was already read as one run).
    import csv
    folder = ECO / "keras_resume_early"
    unchanged(folder)
    with open(folder / "training.log", newline="") as f:
        rows = [(int(r["epoch"]), float(r["val_loss"])) for r in csv.DictReader(f)]
    assert [e for e, _ in rows] == list(range(20)) + list(range(3, 24))
    want = [v for e, v in rows[:3]] + [v for e, v in rows[20:]]
    [run] = read(folder / "training.log")
    assert list(run.axis) == list(range(24)) and "starts_at_epoch" not in run.meta
    np.testing.assert_allclose(run.series["val_loss"], want, rtol=1e-6)
    [note] = [n for n in run.meta["notes"] if "went back" in n]
    assert "went back from 19 to 3 (training resumed at epoch 3)" in note


def test_wandb_batch_rows_of_the_epoch_a_job_was_killed_in_are_left_out(unchanged):
    # batches/: each batch's loss a row of its own, each epoch ended by wandb.log({"val/loss", "val/acc", "epoch"});
    # the job killed 5 batches into epoch 12, resumed from its checkpoint of epoch 11. Before: those 5 rows, with no
    # epoch after them, were averaged into the resumed part's epoch 12 (0.01598 for its own 0.01724).
    pytest.importorskip("wandb")
    case = ECO / "wandb_resumed_checkpoint"
    unchanged(case / "batches")
    logged = json.loads((case / "batches.json").read_text())

    def per_epoch(rows):
        out, batch = {}, []
        for row in rows:
            if row[0] == "batch":
                batch.append(row[1])
            else:
                out[row[1]] = (float(np.mean(batch)), row[2])
                batch = []
        return out, batch

    first, orphans = per_epoch(logged["part1"])
    then, _ = per_epoch(logged["part2"])
    assert sorted(first) == list(range(12)) and len(orphans) == 5 and sorted(then) == list(range(12, 20))
    want = {**first, **then}
    [run] = read(f"wandb:{case / 'batches' / 'wandb'}")
    assert run.axis_name == "epoch" and list(run.axis) == list(range(20))
    np.testing.assert_allclose(run.series["train_loss"], [want[e][0] for e in range(20)], rtol=1e-6)
    np.testing.assert_allclose(run.series["val_loss"], [want[e][1] for e in range(20)], rtol=1e-6)
    [note] = [n for n in run.meta["notes"] if "offline parts" in n]
    assert "the earlier part's last 5 rows, logged after its last epoch (11)" in note
