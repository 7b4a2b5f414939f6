"""Transfer learning and fine-tuning in two fits, the keras.io guide's recipe, on real Keras 3 logs: a frozen base
with a new head, then the base unfrozen at a much lower lr (tests/fixtures/ecosystem/keras_transfer; its make.py
says what was run and measured)."""

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
pytest.importorskip("torch")

import losslens  # noqa: E402
from losslens.diagnosis import diagnose_run  # noqa: E402

pytestmark = [pytest.mark.framework, pytest.mark.usefixtures("one_torch_thread")]

if keras.backend.backend() != "torch":  # pragma: no cover - another backend was chosen first
    pytest.skip("these tests run Keras on the torch backend", allow_module_level=True)

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "keras_transfer"
PHASE1 = 40  # epochs of the frozen phase


def _log(name: str) -> dict:
    table = np.genfromtxt(HERE / name, delimiter=",", names=True)
    return {k: table[k] for k in table.dtype.names}


def _end(values) -> float:
    return float(np.median(values[-3:]))


def test_fine_tuning_at_a_thousandth_of_the_heads_lr_reads_still_improving_not_frozen_weights():
    # The callback's file holds the lr CSVLogger does not: 3e-2 for the head, 1e-5 (1/3000) once unfrozen. Read as an
    # lr annealed to its floor: converged, "steps that small no longer move the weights" (with the forecast, the
    # still_improving it implies came back empty and diagnose raised AttributeError).
    [run] = losslens.read(HERE / "transfer_callback.json")
    lr = run.get("lr")
    assert lr[0] / lr[-1] > 1e3 and np.all(lr[PHASE1:] == lr[-1])
    for d in (losslens.diagnose(HERE / "transfer_callback.json"), diagnose_run(run, forecast=False)):
        assert d.verdict == "still_improving"
        assert not any("no longer move the weights" in e for c in d.causes for e in c.evidence)
    # What it says holds: fine-tuned twice as long, validation went on down.
    assert _end(_log("transfer_e60.log")["val_loss"]) < 0.9 * _end(_log("transfer.log")["val_loss"])


def test_the_whole_base_at_a_high_lr_on_a_tiny_set_reads_lr_too_high_as_lr_over_10_confirms():
    # 40 training images, the base unfrozen at Adam(1e-3): the training loss blows up from 0.28 to 2.7 and comes back.
    d = losslens.diagnose(HERE / "tiny_lr1e-3.log")
    assert d.verdict == "lr_too_high"
    assert "lower the learning rate" in d.cause.actions[0]
    assert _end(_log("tiny_lr1e-4.log")["val_loss"]) < 0.85 * _end(_log("tiny_lr1e-3.log")["val_loss"])
