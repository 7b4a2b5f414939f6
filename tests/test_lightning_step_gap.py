"""A Lightning metrics.csv on the step axis (validation 4 times an epoch) whose training loss is logged both ways,
``train_loss_step`` and ``train_loss_epoch`` (session 46's Lightning walk): the reader takes the step twin as the
curve, and the gap and the training level were read off it, so its last point, one batch's loss, set them. A digits
MLP at SGD 0.5 ended at a batch loss of 0.0106 where its last epoch's mean was 0.0652: "93% of val_loss is the gap",
data_limited "val − train = 0.132", where the callback on the same fit (which records the epoch means) said 0.081.
The gap now reads the epoch means, in the CSV and in the TensorBoard log of the same fit. And the headline of a curve
with no plateau counted the log's rows ("no plateau by step 479 (216 points)" of 120 validations; its TensorBoard
log 193, the callback 150): it counts the diagnosed curve's points.

The fit is the walker's run1.py at SGD 0.05 (width 32, 1,000 digits, batches of 16, 4 accumulated, 4 validations an
epoch, 30 epochs): still improving at the end, its last logged batch 0.36 beside its last epoch's mean 0.57."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
L = pytest.importorskip("lightning.pytorch")
sklearn_datasets = pytest.importorskip("sklearn.datasets")

import losslens  # noqa: E402
from losslens.integrations.lightning import LosslensCallback  # noqa: E402
from lightning_models import DigitsMLP  # noqa: E402

pytestmark = [pytest.mark.framework, pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]


@pytest.fixture(scope="module")
def fit(tmp_path_factory):
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    tmp = tmp_path_factory.mktemp("step_gap")
    torch.manual_seed(0)
    X, y = sklearn_datasets.load_digits(return_X_y=True)
    p = np.random.RandomState(0).permutation(len(X))
    X, y = torch.tensor(X[p] / 16.0, dtype=torch.float32), torch.tensor(y[p])
    ds = torch.utils.data.TensorDataset
    train = torch.utils.data.DataLoader(ds(X[:1000], y[:1000]), batch_size=16, shuffle=True)
    val = torch.utils.data.DataLoader(ds(X[1000:1400], y[1000:1400]), batch_size=400)
    cb = LosslensCallback(verbose=False)
    tr = L.Trainer(max_epochs=30, callbacks=[cb], logger=[CSVLogger(tmp, name="csv"), TensorBoardLogger(tmp, name="tb")],
                   val_check_interval=0.25, log_every_n_steps=5, accumulate_grad_batches=4, enable_progress_bar=False,
                   enable_model_summary=False, enable_checkpointing=False, accelerator="cpu", devices=1)
    tr.fit(DigitsMLP((32,), torch.optim.SGD, per_step=True, lr=0.05), train, val)
    return tmp, cb


def test_the_gap_on_steps_reads_the_epoch_means_not_the_last_batch(fit):
    tmp, cb = fit
    csv = tmp / "csv" / "version_0" / "metrics.csv"
    d = losslens.diagnose(str(csv))
    assert d.axis == "step" and d.metric == "val_loss"
    rows = [r.split(",") for r in csv.read_text().splitlines()]
    head = rows[0]
    means = [float(r[head.index("train_loss_epoch")]) for r in rows[1:] if r[head.index("train_loss_epoch")]]
    batches = [float(r[head.index("train_loss_step")]) for r in rows[1:] if r[head.index("train_loss_step")]]
    # The fit this test is about: its last logged batch is far from its last epoch's mean.
    assert abs(batches[-1] - means[-1]) > 0.2 * means[-1]
    g = d.facts.generalization
    # The training level at the end is the epoch means' (smoothed), not the last batch's.
    assert abs(g.train_end - means[-1]) < abs(g.train_end - batches[-1])
    # The callback on the same fit records the epoch means on the same steps: one gap, read live or off the file.
    live = losslens.diagnose(cb.run()).facts.generalization
    assert g.gap_end == pytest.approx(live.gap_end, rel=0.02)
    # So does the TensorBoard log of the same fit.
    tb = losslens.diagnose(str(tmp / "tb" / "version_0")).facts.generalization
    assert tb.gap_end == pytest.approx(g.gap_end, rel=1e-3)
    # The training curve on steps is still the batches' (the epoch means are the level, not the curve).
    assert np.isfinite(d.run.get("train_loss")).sum() == len(batches)


def test_the_headline_counts_the_diagnosed_curves_points(fit):
    from losslens.report.text import headline

    tmp, cb = fit
    csv = tmp / "csv" / "version_0" / "metrics.csv"
    rows = [r.split(",") for r in csv.read_text().splitlines()]
    at = rows[0].index("val_loss")
    checks = sum(1 for r in rows[1:] if r[at])
    assert checks == 30 * 4
    d = losslens.diagnose(str(csv))
    assert d.plateau is None and len(d.run) > checks  # (its rows of batch losses between the checks are more)
    for d in (d, losslens.diagnose(str(tmp / "tb" / "version_0")), losslens.diagnose(cb.run())):
        assert f"({checks} points)" in headline(d)
