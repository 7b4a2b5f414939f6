"""What ``losslens data`` reads and refuses (walker43's findings): a metric column named as losslens knows metrics
(``val_mse``, ``eval_loss``, ``val_auc``, ``neg_mse``, ``mean_test_score`` ...), read the right way up, on curves
scikit-learn's ``learning_curve`` measures here; and a training log given by mistake (the lab's run JSON, a
Trainer's state, a Keras history, a folder), refused in one line naming ``losslens diagnose``."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from losslens.cli import app

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures"


def _write(path, header, rows):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.mark.parametrize("log", [
    "ecosystem/lab_noise_floor/exp1_linear_seed0.json",         # the lab's own run JSON
    "logs/hf_output/checkpoint-75/trainer_state.json",          # a Trainer's state
    "logs/keras_history.json",                                  # json.dump(history.history): loss, val_loss, no size
    "ecosystem/keras_pandas_json/history.json",                 # pd.DataFrame(history.history).to_json()
])
def test_a_training_log_is_refused_in_one_line_naming_losslens_diagnose(log):
    """Old: "JSON is neither a list of records nor a dict of columns" / "no training-set size column"."""
    path = FIXTURES / log
    res = runner.invoke(app, ["data", str(path)])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1
    assert f"{path}: a training log, which `losslens diagnose {path}` reads" in res.output
    assert runner.invoke(app, ["diagnose", str(path)]).exit_code == 0   # and diagnose does read it


def test_a_folder_names_both_commands_and_a_table_with_an_unknown_column_keeps_its_message(tmp_path):
    folder = FIXTURES / "logs" / "hf_output"
    res = runner.invoke(app, ["data", str(folder)])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1
    assert "is a directory: `losslens data` reads one table" in res.output and "`losslens diagnose" in res.output
    # (a misnamed size column is no training log: the hint to name it stays)
    path = _write(tmp_path / "nn.csv", ["nn", "val_loss"], [(100, 0.5), (200, 0.4), (400, 0.35)])
    res = runner.invoke(app, ["data", str(path)])
    assert res.exit_code == 2 and "no training-set size column" in res.output and "--size" in res.output


@pytest.fixture(scope="module")
def ridge():
    """Ridge on the diabetes data, scikit-learn's learning_curve (5 folds) under two scorers."""
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import learning_curve

    x, y = load_diabetes(return_X_y=True)
    out = {}
    for scoring in ("neg_mean_squared_error", "r2"):
        sizes, _, test = learning_curve(Ridge(alpha=0.1), x, y, cv=5, scoring=scoring,
                                        train_sizes=[0.1, 0.2, 0.4, 0.7, 1.0], shuffle=True, random_state=0)
        out[scoring] = (sizes, test.mean(1))
    return out


@pytest.mark.parametrize("column, values, metric", [
    ("val_mse", lambda r: -r["neg_mean_squared_error"][1], "val_mse"),
    ("val_rmse", lambda r: np.sqrt(-r["neg_mean_squared_error"][1]), "val_rmse"),
    ("eval_loss", lambda r: -r["neg_mean_squared_error"][1], "eval_loss"),
    ("neg_mse", lambda r: r["neg_mean_squared_error"][1], "mse"),
    ("val_r2", lambda r: r["r2"][1], "1 - val_r2"),
    ("mean_test_score", lambda r: r["r2"][1], "1 - mean_test_score"),
])
def test_metric_names_losslens_knows_are_read_with_their_direction(ridge, tmp_path, column, values, metric):
    """Old: "no validation loss or score column" for each. A loss is read as it is, a score as 1 - score, a neg_*
    score as the loss it negates; the forecast is the same curve's whichever way it was written."""
    sizes = ridge["r2"][0]
    path = _write(tmp_path / "lc.csv", ["train_size", column], zip(sizes, values(ridge)))
    res = runner.invoke(app, ["data", str(path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["metric"] == metric
    mse = -ridge["neg_mean_squared_error"][1]
    level = {"val_rmse": np.sqrt(mse[-1]), "val_r2": 1 - ridge["r2"][1][-1],
             "mean_test_score": 1 - ridge["r2"][1][-1]}.get(column, mse[-1])
    assert out["level"] == pytest.approx(level)


def test_a_validation_auc_is_a_score_and_a_positive_neg_mse_is_refused(tmp_path):
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import learning_curve
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = load_breast_cancer(return_X_y=True)
    sizes, _, auc = learning_curve(make_pipeline(StandardScaler(), LogisticRegression()), x, y, cv=5,
                                   scoring="roc_auc", train_sizes=[0.1, 0.25, 0.5, 1.0])
    path = _write(tmp_path / "auc.csv", ["train_size", "val_auc"], zip(sizes, auc.mean(1)))
    out = json.loads(runner.invoke(app, ["data", str(path), "--json"]).output)
    assert out["metric"] == "1 - val_auc" and out["level"] == pytest.approx(1 - auc.mean(1)[-1])
    # The same AUCs under a negated loss's name: no neg_* scorer is above 0, so it is refused, not read as 1 - s.
    path = _write(tmp_path / "neg.csv", ["train_size", "neg_mse"], zip(sizes, auc.mean(1)))
    res = runner.invoke(app, ["data", str(path)])
    assert res.exit_code == 2 and "neg_mse names a negated loss" in res.output and "--lower-is-better" in res.output
