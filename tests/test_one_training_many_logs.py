"""One training written to several logs is read as one run: a losslens callback's file beside the framework's own
log, across a resume from an older checkpoint.

Lightning with losslens's LosslensCallback and a CSVLogger, crashed after epoch 11 and resumed from epoch 7 in a new
Trainer (tests/fixtures/ecosystem/lightning_resume_callback/make.py): version_0/{metrics.csv,losslens.json} hold
epochs 0-11, version_1/metrics.csv epochs 8-19, version_1/losslens.json epochs 0-19. Read as two runs, "from 2
folders, each its own experiment" with no best named: version_0/losslens.json (epochs 8-11 of the crashed session,
which the resume trained again) beside version_0+version_1, and the note paired version_1/losslens.json with
version_0/metrics.csv. The Transformers Trainer with report_to=["tensorboard"] and the callback, crashed at step 28
and resumed (hf_cb_resume/make.py): its losslens.json (the evaluations, with the mean training loss since each one
before) was read beside the joined TensorBoard run."""

from pathlib import Path

import losslens
from losslens.diagnosis import diagnose_run

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
LIGHTNING = ECO / "lightning_resume_callback"
HF = ECO / "hf_cb_resume"


def test_a_lightning_fit_with_the_callback_resumed_from_an_older_checkpoint_is_one_run(caplog):
    runs = losslens.read(str(LIGHTNING))
    assert [r.name for r in runs] == ["version_0+version_1"]
    run = runs[0]
    assert list(run.axis) == list(range(20))
    said = " ".join(caplog.messages)
    # the callback's first file is the crashed session's log, not the joined run's (whose epochs 8-11 are the
    # resumed session's); its second is the joined run, named with both logs it joins
    assert "version_0/losslens.json: the same values as " in said
    assert "version_0/metrics.csv (read as part of version_0+version_1)" in said
    assert "version_1/losslens.json: the same values as version_0+version_1 (" in said
    assert "version_1/losslens.json: the same values as " + str(LIGHTNING / "logs" / "version_0" / "metrics.csv") \
        + ", read once" not in said
    assert sorted(Path(p).parent.name + "/" + Path(p).name for p in run.meta["copies"]) == \
        ["version_0/losslens.json", "version_1/losslens.json"]
    # what the callbacks saw that the CSV has not: the training set's size and the resumed Trainer's planned end
    assert run.meta["train_examples"] == 200
    assert run.meta["planned_end"] == 19


def test_the_callback_file_of_a_resumed_trainer_is_the_tensorboard_run_s_copy(caplog):
    runs = losslens.read(str(HF))
    assert len(runs) == 1, [r.name for r in runs]
    run = runs[0]
    assert run.meta["format"] == "tensorboard" and "+" in run.name  # the joined TensorBoard run: the fullest copy
    assert {Path(p).name for p in run.meta["copies"]} == {"trainer_state.json", "losslens.json"}
    assert any("losslens.json: the same values as " + run.name in m for m in caplog.messages)
    assert run.meta["train_examples"] == 160
    # (on the Trainer's steps, as the callback's and trainer_state.json's: its TrainingArguments' 8 epochs of 10 steps)
    assert run.axis_name == "step" and run.meta["planned_end"] == 80
    diagnose_run(run)


def test_a_callback_file_of_another_training_stays_its_own_run(tmp_path):
    """The callback's values must be the log's at the same epochs: the crashed session's file beside the resumed
    session's log alone (epochs 8-19, other values at 8-11) is a run of its own."""
    import shutil

    (tmp_path / "a").mkdir()
    shutil.copy(LIGHTNING / "logs" / "version_0" / "losslens.json", tmp_path / "a" / "losslens.json")
    shutil.copy(LIGHTNING / "logs" / "version_1" / "metrics.csv", tmp_path / "a" / "metrics.csv")
    assert len(losslens.read(str(tmp_path))) == 2


VAL_INTERVAL = ECO / "lightning_val_interval_tb" / "logs"


def test_tensorboard_validation_checked_twice_an_epoch_is_read_check_by_check_as_metrics_csv_is():
    """val_check_interval=0.5: TensorBoard's run was 12 epochs, epoch 0 = 2.0925, the mean of the checks at steps 2
    and 5 (a value never logged), beside metrics.csv's 24 checks on the step axis."""
    import numpy as np

    tb = losslens.read(str(VAL_INTERVAL / "tb" / "version_0"))[0]
    csv = losslens.read(str(VAL_INTERVAL / "csv" / "version_0" / "metrics.csv"))[0]
    assert tb.axis_name == csv.axis_name == "step"
    checks = np.isfinite(tb.series["val_loss"])
    assert checks.sum() == 24
    assert np.array_equal(np.asarray(tb.axis)[checks], np.asarray(csv.axis)[np.isfinite(csv.series["val_loss"])])
    logged = csv.series["val_loss"][np.isfinite(csv.series["val_loss"])]
    np.testing.assert_allclose(tb.series["val_loss"][checks], logged, rtol=1e-6)
    assert round(float(tb.series["val_loss"][checks][0]), 4) == 2.1783  # (averaged, epoch 0 read 2.0925)
    assert list(tb.series["epoch_frac"][checks][:4]) == [0, 0, 1, 1]
    # both loggers' files: one run
    assert len(losslens.read(str(VAL_INTERVAL))) == 1


def test_tensorboard_validated_once_an_epoch_stays_on_epochs():
    tb = losslens.read(str(ECO / "lightning_two_loggers" / "logs" / "tb" / "version_0"))[0]
    assert tb.axis_name == "epoch"
