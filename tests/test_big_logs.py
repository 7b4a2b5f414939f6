"""Big per-step logs: the readers' bulk paths read what the slow ones did (speed: benchmarks/speed.py --big)."""

from __future__ import annotations

import numpy as np
import pytest

import losslens
from losslens.readers import delimited


@pytest.mark.parametrize("text", [
    "step,loss\n0,nan\n1,NaN\n2,-inf\n3,+Infinity\n4,INF\n",
    "a,b\nxnan,nan.\n.nan,infx\n-nan,x-nan\n1e5nan,_nan\n+-nan,1.-inf\ninfinityx,infinity\n",
    "nan", "inf,", ",-nan", "", "no nonfinite here: banana, information, infinite\n",
])
def test_count_nonfinite_is_the_patterns_count(text):
    # The fast count (lowered text, literal starts) must agree with NONFINITE, whose matches it replaces.
    assert delimited.count_nonfinite(text) == len(delimited.NONFINITE.findall(text))


def test_a_csv_with_nan_cells_reads_them_where_they_are(tmp_path):
    path = tmp_path / "run.csv"
    loss = np.exp(-np.arange(40) / 10) + 0.05
    rows = [f"{i},{a:.5f},{'nan' if i >= 30 else f'{a + 0.1:.5f}'}" for i, a in enumerate(loss)]
    path.write_text("epoch,loss,val_loss\n" + "\n".join(rows) + "\n")
    run = losslens.read(path)[0]
    assert np.isnan(run.val_loss[30:]).all() and np.isfinite(run.val_loss[:30]).all()


def test_mlflow_folder_store_parses_each_metric_file_once(tmp_path, monkeypatch):
    # MlflowClient.get_metric_history pages a folder store's history by 25,000 and the store re-parses the whole
    # file for each page; read once, 30,000 steps are parsed 30,000 times, not 60,000, and every step is read.
    pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    from mlflow.entities import Metric
    from mlflow.store.tracking.file_store import FileStore
    from mlflow.tracking import MlflowClient

    n = 30_000
    client = MlflowClient((tmp_path / "mlruns").as_uri())
    run = client.create_run(client.create_experiment("big"), run_name="pretrain")
    loss = 2 + 6 * np.exp(-np.arange(n) / 4000)
    for s in range(0, n, 1000):
        client.log_batch(run.info.run_id, metrics=[Metric("train_loss", float(v), 1_700_000_000_000 + s + j, s + j)
                                                   for j, v in enumerate(loss[s:s + 1000])])
    client.set_terminated(run.info.run_id)
    from mlflow.store.tracking import GET_METRIC_HISTORY_MAX_RESULTS
    assert GET_METRIC_HISTORY_MAX_RESULTS < n  # the client pages the history

    parsed = []
    line = FileStore._get_metric_from_line
    monkeypatch.setattr(FileStore, "_get_metric_from_line", staticmethod(lambda *a: parsed.append(1) or line(*a)))
    got = losslens.read(f"mlflow:{tmp_path / 'mlruns'}")[0]
    assert list(got.axis) == list(range(n)) and got.train_loss == pytest.approx(loss)
    # search_runs reads each metric's latest value once more: one parse of the file; the history another.
    assert len(parsed) <= 2 * n
