"""What a new user passes to losslens.diagnose() in Python, read as the same run saved to a file is.

- torch_loop_records: a hand-written PyTorch loop keeps its history as a list of per-epoch dicts; saved
  with json.dump it was read, but the list itself, ``losslens.diagnose(history)``, raised
  ``TypeError: read() takes a path or URI, got list``.
- a fitted HistGradientBoostingClassifier (as in sklearn_hgb/make.py) raised "no loss_curve_ ... lbfgs and
  other estimators record no curve" though it keeps train_score_/validation_score_, which losslens reads
  from a CSV; a fitted GradientBoostingClassifier raised ``TypeError: read() takes a path or URI``.
"""
import csv
import json
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.exceptions import ReadError

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
TLR = ECO / "torch_loop_records" / "history.json"
HGB = ECO / "sklearn_hgb" / "hgb_scores.csv"


def test_a_list_of_per_epoch_dicts_reads_as_its_json_file():
    history = json.loads(TLR.read_text())
    assert isinstance(history, list) and set(history[0]) == {"epoch", "train_loss", "val_loss", "val_acc", "lr"}
    d, ref = losslens.diagnose(history), losslens.diagnose(TLR)
    assert d.run.series["val_loss"] == pytest.approx(ref.run.series["val_loss"])
    assert list(d.run.axis) == list(ref.run.axis) == list(range(1, 61))
    assert (d.verdict, d.plateau_epoch) == (ref.verdict, ref.plateau_epoch)
    made, ref = losslens.forecast(history, horizon=120).to_dict(), losslens.forecast(TLR, horizon=120).to_dict()
    assert (made.pop("source"), made.pop("run"), ref.pop("source")) == ("list", "run", str(TLR))
    ref.pop("run")
    assert made == ref


def test_what_losslens_cannot_read_in_python_says_what_it_can():
    for bad in (3, [], None):
        with pytest.raises(TypeError, match="a list of per-epoch dicts"):
            losslens.diagnose(bad)
    with pytest.raises(TypeError, match="does not say which curve it is"):  # bare numbers: how to name them
        losslens.diagnose([1, 2, 3])


def _hgb():
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier

    # As tests/fixtures/ecosystem/sklearn_hgb/make.py fitted the model behind hgb_scores.csv.
    X, y = make_classification(n_samples=1500, n_features=20, n_informative=6, flip_y=0.2, random_state=0)
    return HistGradientBoostingClassifier(max_iter=300, learning_rate=0.3, max_leaf_nodes=63, min_samples_leaf=5,
                                          early_stopping=True, validation_fraction=0.33, random_state=0,
                                          n_iter_no_change=1000).fit(X, y)


def test_a_fitted_hist_gradient_boosting_model_reads_as_its_scores_saved_to_csv():
    m = _hgb()
    with open(HGB, newline="") as fh:
        saved = [float(r["validation_score"]) for r in csv.DictReader(fh)]
    assert np.allclose(m.validation_score_, saved, rtol=1e-6)  # the same fit as the committed CSV
    d, ref = losslens.diagnose(m), losslens.diagnose(HGB)
    assert d.metric == ref.metric == "val_loss"
    assert d.run.series["val_loss"] == pytest.approx(-np.asarray(m.validation_score_))
    assert (d.verdict, d.plateau_epoch) == (ref.verdict, ref.plateau_epoch) == ("overfitting", ref.plateau_epoch)
    assert d.facts.chance.classes == 2


def test_gradient_boosting_reads_its_training_loss_and_not_its_oob_scores_as_validation():
    from sklearn.datasets import make_classification
    from sklearn.ensemble import GradientBoostingClassifier

    X, y = make_classification(n_samples=600, n_features=20, n_informative=6, flip_y=0.2, random_state=0)
    m = GradientBoostingClassifier(n_estimators=60, subsample=0.8, learning_rate=0.3, random_state=0).fit(X, y)
    run = losslens.diagnose(m).run
    assert run.series["train_loss"] == pytest.approx(m.train_score_)
    assert "val_loss" not in run.series  # oob_scores_ falls with the training loss: each stage's OOB rows were in earlier bags
    assert list(run.axis)[:2] == [1.0, 2.0]



def _diabetes():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    idx = np.random.default_rng(0).permutation(len(X))
    return X[idx[:300]], y[idx[:300]], X[idx[300:]], y[idx[300:]]


def test_scikit_learn_boosting_gets_a_boosters_actions_not_a_networks():
    # A fitted HistGradientBoostingRegressor (early_stopping=True, validation_score_) overfit on diabetes (held-out
    # loss lowest at iteration 21 of 41) and read "early stopping with restore_best_weights ... regularize: weight
    # decay, dropout; data augmentation": a network's knobs. A GradientBoostingRegressor (500 stages at 0.1, its
    # training loss only) read "refit with early_stopping=True ...: the MLP then stops on a held-out score", a
    # parameter it does not have; its held-out MSE (staged_predict) was lowest at stage 30 and ended 28% above it.
    from sklearn.ensemble import GradientBoostingRegressor, HistGradientBoostingRegressor
    from sklearn.metrics import mean_squared_error

    X, y, Xte, yte = _diabetes()
    hgb = HistGradientBoostingRegressor(max_iter=500, learning_rate=0.1, early_stopping=True, n_iter_no_change=20,
                                        scoring="loss", validation_fraction=0.2, random_state=0).fit(X, y)
    d = losslens.diagnose(hgb)
    acts = " ".join(d.causes[0].actions)
    assert d.verdict == "overfitting" and "n_iter_no_change" in acts and "the best round is" in acts
    assert not any(w in acts for w in ("dropout", "weight decay", "restore_best_weights", "augmentation"))
    gb = GradientBoostingRegressor(n_estimators=500, learning_rate=0.1, max_depth=3, random_state=0).fit(X, y)
    held = [mean_squared_error(yte, p) for p in gb.staged_predict(Xte)]
    assert held[-1] > 1.2 * min(held)  # what the training loss cannot show
    d = losslens.diagnose(gb)
    acts = " ".join(a for c in d.causes for a in c.actions)
    assert "staged_predict" in acts and "MLP" not in acts and "early_stopping=True" not in acts

def test_estimators_without_a_curve_fail_in_one_line_naming_them():
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

    X, y = make_classification(n_samples=300, random_state=0)
    with pytest.raises(ReadError, match=r"^HistGradientBoostingClassifier: no curve: .*early_stopping=True"):
        losslens.diagnose(HistGradientBoostingClassifier(max_iter=20).fit(X, y))  # 300 rows: early stopping off
    with pytest.raises(ReadError, match=r"^RandomForestClassifier: no per-iteration curve"):
        losslens.diagnose(RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y))
    with pytest.raises(ReadError, match=r"^RandomForestClassifier: an unfitted estimator"):
        losslens.diagnose(RandomForestClassifier())


@pytest.mark.parametrize("path", [HGB, ECO / "torch_multitask" / "n300.csv", ECO / "lightning_charlm_ppl" / "metrics.csv",
                                  ECO / "yolo_results" / "v8_0" / "results.csv"])
def test_a_dataframe_reads_as_the_csv_it_was_read_from(path):
    # scikit-learn's negated scores, per-task validation losses, perplexities, YOLO's box/cls/dfl losses: the
    # table reader's names meant something else (or nothing) when the same table came in as a DataFrame.
    import pandas as pd

    d, ref = losslens.diagnose(pd.read_csv(path)), losslens.diagnose(path)
    assert (d.verdict, d.metric, d.plateau_epoch) == (ref.verdict, ref.metric, ref.plateau_epoch)


def test_a_dataframe_whose_losses_are_all_nan_reads_diverged_as_before():
    import pandas as pd

    path = ECO / "keras_nan" / "nan_plain.csv"
    assert losslens.diagnose(pd.read_csv(path)).verdict == losslens.diagnose(path).verdict == "diverged"


def test_a_dict_of_equal_columns_reads_as_the_same_table_in_a_csv():
    """{"iteration": ..., "train_score": m.train_score_, "validation_score": m.validation_score_} of the fitted model
    behind hgb_scores.csv read converged on validation_score (a score, by Run.from_history), where the CSV of the
    same columns reads the negated log-loss scikit-learn logs, overfitting. A dict of equally long lists is a table
    now; one of unequal lists (validation every k epochs) keeps the History alignment."""
    m = _hgb()
    columns = {"iteration": list(range(len(m.train_score_))), "train_score": list(m.train_score_),
               "validation_score": list(m.validation_score_)}
    d, ref = losslens.diagnose(columns), losslens.diagnose(HGB)
    assert (d.metric, d.verdict, d.plateau_epoch) == (ref.metric, ref.verdict, ref.plateau_epoch)
    assert ref.verdict == "overfitting"
    sparse = losslens.diagnose({"loss": [1.0, 0.8, 0.7, 0.65, 0.62, 0.6, 0.59, 0.585], "val_loss": [0.9, 0.7, 0.66, 0.65]})
    assert np.isnan(sparse.run.series["val_loss"][0]) and sparse.run.series["val_loss"][1] == 0.9


@pytest.mark.parametrize("path", [
    ECO / "keras_transfer" / "transfer_restart.log",  # Keras CSVLogger(append=True) over two fits, epochs restarting
    HGB,                                              # HistGradientBoosting's negated train_score_/validation_score_
    ECO / "lightning_onecycle" / "logs" / "onecycle" / "version_0" / "metrics.csv",  # Lightning CSVLogger + lr monitor
])
def test_run_from_dataframe_is_the_run_diagnose_reads(path):
    """Run.from_dataframe read through Run.from_history while losslens.diagnose(frame) read the table reader: on
    these real frames (pd.read_csv of committed logs) the two Runs differed -- the Keras log of two fits kept 40 of
    its 70 epochs (lr_too_high against still_improving), the boosting scores stayed scores (converged on
    validation_score against overfitting on the log loss), Lightning's step rows made a 41st epoch (still_improving
    against converged). Now both are the table reader's Run."""
    import pandas as pd

    from losslens import Run
    from losslens.api import to_runs

    frame = pd.read_csv(path)
    run, [ref] = Run.from_dataframe(frame), to_runs(frame)
    assert (run.axis_name, run.name, run.source, run.meta) == (ref.axis_name, ref.name, ref.source, ref.meta)
    np.testing.assert_array_equal(run.axis, ref.axis)
    assert run.series.keys() == ref.series.keys()
    for key in ref.series:
        np.testing.assert_array_equal(run.series[key], ref.series[key])
    d, by_path = losslens.diagnose(run).to_dict(), losslens.diagnose(frame).to_dict()
    assert d == by_path
    assert (d["verdict"], len(run)) == {"transfer_restart.log": ("still_improving", 70),
                                        "hgb_scores.csv": ("overfitting", 301),
                                        "metrics.csv": ("converged", 40)}[path.name]


def test_run_from_dataframe_names_first_epoch_and_picks_a_run():
    """``first_epoch`` numbers the rows where no column names the axis, as it did; a frame of several runs (a run
    column over two real Lightning logs) is refused as diagnose() refuses it, and ``run_id=`` picks one."""
    import pandas as pd

    from losslens import Run, UsageError

    frame = pd.read_csv(ECO / "keras_transfer" / "transfer.log").drop(columns="epoch")
    assert Run.from_dataframe(frame).axis[0] == 0 and Run.from_dataframe(frame, first_epoch=1).axis[0] == 1
    logs = [pd.read_csv(ECO / "lightning_sgd_slow" / lr / "metrics.csv").assign(run=lr) for lr in ("lr_0.001", "lr_0.1")]
    both = pd.concat(logs, ignore_index=True)
    with pytest.raises(UsageError, match="holds 2 runs"):
        Run.from_dataframe(both)
    with pytest.raises(UsageError, match="holds 2 runs"):
        losslens.diagnose(both)
    run = Run.from_dataframe(both, run_id="lr_0.1")
    assert run.name == "lr_0.1" and len(run) == 30


def test_a_boosters_points_are_rounds_in_the_text_the_json_and_the_chart():
    # XGBoost's and LightGBM's printed evaluation lines, CatBoost's catboost_info and a fitted scikit-learn ensemble
    # are boosting rounds: old code said "plateau at step 10" of XGBoost's 11th tree, "axis": "step" in the JSON and
    # "step" under the chart. The readings are the step axis's, unchanged.
    from losslens.report.plot import chart_data

    m = _hgb()
    for source in (ECO / "xgboost_printed" / "printed_train.log", ECO / "lightgbm_printed" / "printed_es.log",
                   ECO / "catboost" / "catboost_info", m):
        d = losslens.diagnose(source)
        assert d.run.axis_name == d.axis == d.to_dict()["axis"] == chart_data(d)["axis"] == "round", source
        text = str(d)
        assert " round " in text and " step " not in text and "at epoch" not in text, text
    xgb = str(losslens.diagnose(ECO / "xgboost_printed" / "printed_train.log"))
    assert "plateau at round 10 [10, 10]" in xgb and "more rounds" in xgb
    assert "after 199 more rounds" in str(losslens.forecast(ECO / "xgboost_printed" / "printed_train.log"))
    # The same scores saved to a CSV with an `iteration` column say nothing of the model: a step axis, as before,
    # and the same reading as the estimator's.
    saved, fitted = losslens.diagnose(HGB), losslens.diagnose(m)
    assert saved.axis == "step" and (saved.verdict, saved.plateau_epoch) == (fitted.verdict, fitted.plateau_epoch)


def test_an_evals_result_dict_in_memory_reads_as_its_saved_json():
    # XGBClassifier.evals_result() saved with json.dump (tests/fixtures/ecosystem/xgboost_sklearn_eval_set) read as
    # "plateau at round 16"; the same dict passed in memory read "plateau at step 16", its run not a booster's.
    path = ECO / "xgboost_sklearn_eval_set" / "evals_result.json"
    saved, held = losslens.diagnose(path), losslens.diagnose(json.loads(path.read_text()))
    assert held.axis == saved.axis == "round" and held.run.meta.get("model") == "boosted_trees"
    a, b = saved.to_dict(), held.to_dict()
    for key in ("run", "run_name", "source"):
        a.pop(key, None), b.pop(key, None)
    assert a == b
    assert str(held).split("\n", 1)[1] == str(saved).split("\n", 1)[1]
