"""A file split into runs, and tables that are no curve, on real logs (tests/fixtures/ecosystem/split_names, make.py).

A Keras ``CSVLogger(append=True)`` over 3 folds' fits printed its runs as ``keras_cv_append#1..#3``, but neither
``--run keras_cv_append#3`` nor ``--run 3`` nor compare's ``FILE#keras_cv_append#1`` selected one: "the file holds
one run (keras_cv_append) and no run-id column". A sweep saved under ``config, seed`` (2 configs x 2 seeds) was
named ``#1..#4``, neither column telling its runs apart alone."""
from pathlib import Path

import pytest

import losslens
from cli_helpers import run_cli

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "split_names"
FOLDS = HERE / "keras_cv_append.log"
SWEEP = HERE / "sweep_config_seed.csv"


def test_every_name_a_split_file_prints_is_selectable_by_run():
    names = [r.name for r in losslens.read(FOLDS)]
    assert names == ["keras_cv_append#1", "keras_cv_append#2", "keras_cv_append#3"]
    whole = losslens.read(FOLDS)
    for k, name in enumerate(names):
        for given in (name, str(k + 1)):
            res = run_cli("diagnose", FOLDS, "--run", given)
            assert res.exit_code == 0, res.output
            assert res.stdout.startswith(f"{name}: "), res.stdout
        got = losslens.read(FOLDS, run_id=name)
        assert [r.name for r in got] == [name]
        assert list(got[0].series["val_loss"]) == list(whole[k].series["val_loss"])


def test_a_name_a_split_file_does_not_hold_lists_those_it_does():
    res = run_cli("diagnose", FOLDS, "--run", "keras_cv_append#7")
    err = res.stderr.strip()
    assert res.exit_code == 2 and "\n" not in err, res.output
    assert err.startswith(f"losslens: {FOLDS}: no run 'keras_cv_append#7'"), err
    assert "keras_cv_append#1, keras_cv_append#2, keras_cv_append#3" in err, err


def test_compare_takes_a_split_files_runs_by_their_printed_names():
    res = run_cli("compare", f"{FOLDS}#keras_cv_append#1", f"{FOLDS}#keras_cv_append#2")
    # (exit 2 all the same: the folds save no setting that differs, and compare asks for the change by name)
    assert res.stdout.splitlines()[0].startswith("keras_cv_append#1 → keras_cv_append#2"), res.output
    assert "val_loss: end (median of the last 3) 0.377 → 0.3333" in res.stdout, res.stdout


def test_two_crossed_setting_columns_name_the_runs_by_both():
    runs = losslens.read(SWEEP)
    assert [r.name for r in runs] == ["config=lr3e-3,seed=0", "config=lr3e-3,seed=1",
                                      "config=lr1e-2,seed=0", "config=lr1e-2,seed=1"]
    assert all(len(r.series["val_loss"]) == 10 for r in runs)
    res = run_cli("diagnose", SWEEP, "--run", "config=lr1e-2,seed=1")
    assert res.exit_code == 0 and res.stdout.startswith("config=lr1e-2,seed=1: "), res.output


CV = HERE / "cv_sklearn_multi.csv"


def test_a_cross_validate_table_is_refused_as_no_curve():
    # pd.DataFrame(cross_validate(..., scoring=["accuracy", "neg_log_loss"], return_train_score=True)): its
    # test_accuracy was read as a 5-epoch validation curve, "learning rate too high ... jumped at epoch 4"
    # (a fold that scored lower), and --metric test_neg_log_loss quoted "jumped to -0.3991 ... above its best -0.1911".
    for extra in ((), ("--metric", "test_neg_log_loss")):
        res = run_cli("diagnose", CV, *extra)
        err = res.stderr.strip()
        assert res.exit_code == 2 and "\n" not in err and not res.stdout, res.output
        assert err.startswith(f"losslens: {CV}: scikit-learn's cross_validate results"), err
        assert "one row per fold" in err and "not a training curve" in err and "logged per epoch" in err, err
    with pytest.raises(losslens.NoLossError, match="cross_validate"):
        losslens.diagnose(CV)


def test_a_diverged_run_with_no_class_count_is_not_quoted_a_k_its_data_cannot_back():
    # 10 digits at Adam 2.0 (seed 3): training loss 52 after the first epoch, then both losses at 2.45 and validation
    # accuracy 0.094. Quoted "≈ ln 12 = 2.485 ... validation accuracy 0.094 ≈ 1/12": a thrown output bias rests above
    # ln K by no set margin, and 0.094 fits 1/10 (the truth) as well as 1/12.
    d = losslens.diagnose(HERE / "diverged_adam2.csv")
    assert d.verdict == "lr_too_high"
    said = " ".join(d.cause.evidence)
    assert "1/12" not in said and "≈ ln 12" not in said and "x ln 12" not in said, said
    assert "1/K for any K from 8 to 13 fits that accuracy alike" in said, said
    told = " ".join(losslens.diagnose(HERE / "diverged_adam2.csv", classes=10).cause.evidence)
    assert "ln 10 = 2.303" in told and "any K" not in told, told


def test_a_fit_from_saved_weights_without_initial_epoch_is_spliced_where_it_went_on(caplog):
    # Keras: 8 epochs, the model saved, 7 more (logged as 0-6), then the saved model reloaded and fitted 12 epochs
    # logged as 0-11. Its first losses are those at epoch 8 to within the shuffling; read as a run of its own (#2,
    # "epochs 0-11") of a model 8 epochs in. Now one run: epochs 0-7, then that fit as 8-19, the rows of 8-14 out.
    import logging

    import numpy as np

    path = HERE / "resume_ckpt_restart0.log"
    log = np.genfromtxt(path, delimiter=",", names=True)
    starts = [0, *(np.flatnonzero(np.diff(log["epoch"]) < 0) + 1)]
    assert starts == [0, 8, 15]
    third = slice(starts[2], None)
    assert abs(log["val_loss"][15] - log["val_loss"][8]) < 0.1 * abs(log["val_loss"][7] - log["val_loss"][9])
    with caplog.at_level(logging.WARNING, logger="losslens"):
        [run] = losslens.read(path)
    assert list(run.axis) == list(range(20))
    np.testing.assert_array_equal(run.series["val_loss"][:8], log["val_loss"][:8])
    np.testing.assert_array_equal(run.series["val_loss"][8:], log["val_loss"][third])
    assert run.meta["resumed_at"] == [8]
    assert "those logged at epoch 8" in caplog.text and "that fit's epochs as 8-19" in caplog.text
    assert "earlier rows of epochs 8, 9, 10, 11, 12, 13 ... left out" in caplog.text
