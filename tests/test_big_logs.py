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


@pytest.mark.parametrize("body", ["1,2\n3,4\n", "\n \n1,2\n\n3,4,5\n \n", "", " \n\n", "a,b\n" * 40_000 + "1,2,3\n",
                                  "\n" * 70_000 + "1,2\n" + "\n" * 70_000])
def test_end_lines_are_the_first_and_last_nonblank_lines(body):
    lines = [ln for ln in body.splitlines() if ln.strip()]
    assert delimited._end_lines(body) == ((lines[0], lines[-1]) if lines else (None, None))


def test_a_csv_whose_last_row_is_long_is_still_read_row_by_row(tmp_path):
    path = tmp_path / "run.csv"  # the fast path checks the last line's width from the end of the text
    path.write_text("epoch,loss\n" + "".join(f"{i},{1 / (i + 1):.4f}\n" for i in range(30_000)) + "30000,0.1,7\n")
    run = losslens.read(path)[0]
    assert run.axis.shape[0] == 30_001 and run.train_loss[-1] == pytest.approx(0.1)


def test_first_drawn_lines_are_the_whole_drawings_first_lines():
    from losslens.readers.console import final_drawings

    text = ("a\r\n\x1b[1mb\x1b[0m\r\n\u2588\u2588\nepoch train_loss\r1 0.5\r2 0.4\n\n"
            + "".join(f"{i} 0.1\r\n" for i in range(200)))
    whole = final_drawings(text)
    for limit in (1, 3, 50, 500):
        assert final_drawings(text, limit=limit) == whole[:limit]


def test_a_million_row_csv_with_crlf_line_ends_reads_as_a_table(tmp_path):
    import csv

    path = tmp_path / "metrics.csv"  # Lightning's CSVLogger writes with csv.DictWriter: \r\n line ends
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["epoch", "step", "train_loss"])
        w.writerows([i // 1000, i, 1 / (1 + i / 1e4)] for i in range(100_000))
    run = losslens.read(path)[0]
    assert run.meta["format"] == "csv" and run.axis.shape[0] == 100 and run.axis_name == "epoch"
