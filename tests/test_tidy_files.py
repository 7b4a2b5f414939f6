"""A tidy table (a row per curve and point: ``epoch, metric, value``; MLflow's ``key, value, step, timestamp``) read
from a file as it is read from a DataFrame: the wide log it was melted from, or one line refusing it."""

from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.cli import main

pd = pytest.importorskip("pandas")

CSVLOGGER = Path(__file__).resolve().parent / "fixtures" / "logs" / "keras_csvlogger.csv"  # Keras' CSVLogger


def _same_reading(got, want):
    assert (got.verdict, got.plateau_epoch) == (want.verdict, want.plateau_epoch)
    assert list(got.run.axis) == list(want.run.axis)
    assert sorted(got.run.series) == sorted(want.run.series)
    for key in want.run.series:
        np.testing.assert_array_equal(got.run.series[key], want.run.series[key])


def test_a_melted_csv_reads_as_the_wide_log(tmp_path):
    # The same table as a DataFrame was read; as a .csv it was "no loss or accuracy column (found: epoch, value)".
    wide = pd.read_csv(CSVLOGGER)
    want = losslens.diagnose(CSVLOGGER)
    tidy = tmp_path / "tidy.csv"
    wide.melt(id_vars="epoch", var_name="metric", value_name="value").to_csv(tidy, index=False)
    _same_reading(losslens.diagnose(tidy), want)
    # pandas' row numbers written too (to_csv's default); the rows shuffled
    indexed, shuffled = tmp_path / "indexed.csv", tmp_path / "shuffled.csv"
    wide.melt(id_vars="epoch").to_csv(indexed)
    wide.melt(id_vars="epoch").sample(frac=1, random_state=0).to_csv(shuffled, index=False)
    for path in (indexed, shuffled):
        _same_reading(losslens.diagnose(path), want)


def test_an_mlflow_history_shaped_csv_reads_as_the_wide_log(tmp_path):
    # get_metric_history's points as a table: key, value, timestamp, step; no row where nothing was logged.
    wide = pd.read_csv(CSVLOGGER)
    want = losslens.diagnose(CSVLOGGER)
    rows = wide.melt(id_vars="epoch", var_name="key").dropna().rename(columns={"epoch": "step"})
    rows["timestamp"] = 1796000000000 + 1000 * rows["step"]
    path = tmp_path / "history.csv"
    rows[["key", "value", "timestamp", "step"]].to_csv(path, index=False)
    got = losslens.diagnose(path)
    assert (got.verdict, got.plateau_epoch) == (want.verdict, want.plateau_epoch)
    assert list(got.run.axis) == list(want.run.axis)
    for key in want.run.series:
        np.testing.assert_array_equal(got.run.series[key], want.run.series[key])


def test_a_tidy_csv_with_two_values_at_one_point_is_refused_in_one_line(tmp_path, capsys):
    tidy = pd.read_csv(CSVLOGGER).melt(id_vars="epoch", var_name="metric")
    path = tmp_path / "twice.csv"
    pd.concat([tidy, tidy.iloc[[5]].assign(value=9.0)]).to_csv(path, index=False)
    before = path.read_bytes()
    with pytest.raises(SystemExit) as e:
        main(["diagnose", str(path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1
    assert err[0].startswith(f"losslens: {path}: rows 6 and {len(tidy) + 1} both give")
    assert "over different values" in err[0] and "Traceback" not in err[0]
    assert path.read_bytes() == before


@pytest.mark.parametrize("typo", ["0.5,", "abc"])
def test_a_tidy_csv_with_text_in_its_value_column_names_the_column_and_the_cell(tmp_path, capsys, typo):
    """``epoch,metric,value`` with one mistyped value: the value column read as text, and the table as a wide one
    with no curve in it: "no loss or accuracy column (found: epoch)", the file's every curve gone with one cell."""
    tidy = pd.read_csv(CSVLOGGER).melt(id_vars="epoch", var_name="metric")
    tidy["value"] = tidy["value"].map(repr)
    tidy.loc[3, "value"] = typo
    path = tmp_path / "tidy.csv"
    tidy.to_csv(path, index=False)
    before = path.read_bytes()
    with pytest.raises(SystemExit) as e:
        main(["diagnose", str(path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1, err
    assert err[0] == (f"losslens: {path}: column 'value' holds text ({typo!r} in data row 4): a tidy table's values must "
                      "be numbers (a damaged or mistyped cell? write NA for a missing value)")
    assert path.read_bytes() == before
    # the same frame in memory says the same
    with pytest.raises(losslens.ReadError, match=r"column 'value' holds text \('" + typo.replace(".", r"\.")):
        losslens.diagnose(tidy)
    # a missing-value spelling there is a gap, not text: the table reads, that point missing
    tidy.loc[3, "value"] = "n/a"
    tidy.to_csv(path, index=False)
    got = losslens.diagnose(path)
    want = losslens.diagnose(CSVLOGGER)
    assert sorted(got.run.series) == sorted(want.run.series)
    assert np.isnan(got.run.series["train_acc"][3]) and not np.isnan(want.run.series["train_acc"][3])
