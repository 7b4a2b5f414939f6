"""A stated noise floor in the live callbacks (``noise_floor=``) and ``losslens watch --noise-floor``.

The run is the real Keras one of tests/fixtures/ecosystem/keras_at_noise_floor (make.py: y = 2x + N(0, 0.1^2), Dense(1)
at Adam(0.01), seed 0, the lab's experiment 3 data; noise variance 0.01, the lowest expected validation MSE): its
val_loss reaches 0.0100 by epoch 36 and creeps to 0.00974 by 59. Without the floor every forecast bends on below it,
so ``stop_gain=0.01`` never stops a 60-epoch fit and the diagnosis at epoch 49 says "keep training"; stated, the
forecast is held at it as ``losslens forecast --noise-floor`` holds its own.
"""

import csv
from pathlib import Path

import pytest

from losslens.exceptions import UsageError
from losslens.integrations._core import Watcher

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "keras_at_noise_floor"
FLOOR = 0.01


def _replay(noise_floor, rows=60):
    """The callbacks' Watcher fed the logged epochs (CSVLogger's loss, val_loss) as a 60-epoch fit would feed it."""
    table = list(csv.DictReader(open(HERE / "adam01_100.csv")))[:rows]
    w = Watcher(stop_gain=0.01, horizon=rows - 1, noise_floor=noise_floor, verbose=0, framework="keras")
    for r in table:
        if w.end_epoch(int(r["epoch"]), {"train_loss": float(r["loss"]), "val_loss": float(r["val_loss"])}).stop:
            break
    return w, [float(r["val_loss"]) for r in table]


def test_stop_gain_stops_at_the_stated_floor_and_not_without_it():
    without, _ = _replay(None)
    assert without.stopped_epoch is None  # (every forecast below the floor: "more to gain" to the end)
    w, val = _replay(FLOOR)
    assert w.stopped_epoch is not None and w.stopped_epoch < 50
    at = val[int(w.stopped_epoch)]
    assert at <= 1.05 * FLOOR and at <= 1.05 * min(val)  # stopped at the floor, within 5% of what training on reached
    assert w.run().meta["noise_floor"] == FLOOR and w.to_history()["meta"]["noise_floor"] == FLOOR
    assert w.fresh().noise_floor == FLOOR  # (a new run of the same callback states it too)


def test_the_live_diagnosis_reads_converged_at_the_floor():
    """At epoch 49 the diagnosis the callback reports with its forecast (the final report's) says converged with the
    floor (without it, too, since the fit's overshoot is withheld), as ``losslens diagnose --noise-floor`` reads the same 50 epochs."""
    from losslens.integrations._core import diagnose_run_with_forecast

    verdicts = []
    for floor in (None, FLOOR):
        w = Watcher(noise_floor=floor, verbose=0, horizon=98, framework="keras")
        for r in list(csv.DictReader(open(HERE / "adam01_first50.csv"))):
            w.end_epoch(int(r["epoch"]), {"train_loss": float(r["loss"]), "val_loss": float(r["val_loss"])})
        verdicts.append(diagnose_run_with_forecast(w.run(), "val_loss", None).verdict)
    # (Without the floor it read still_improving until session 45: the fit's 15% forecast ended under every one of
    # the last points, a fit falling far faster than them, and is withheld now (forecasting._overshoots_present);
    # the run went on 0.009754 -> 0.009744 by epoch 99. The floor still reads it, and holds the forecast there.)
    assert verdicts == ["converged", "converged"]


@pytest.mark.parametrize("bad", [0, -0.01, float("nan"), "0.01"])
def test_a_bad_noise_floor_is_refused_when_the_callback_is_made(bad):
    with pytest.raises(UsageError, match="noise_floor"):
        Watcher(noise_floor=bad)


def test_keras_callback_takes_noise_floor_and_stops_at_the_floor_live(tmp_path):
    """The real fit (make.py's, 60 epochs) with the callback: stopped at the floor, the saved file states it."""
    keras = pytest.importorskip("keras")
    import numpy as np

    import losslens
    from losslens.integrations.keras import LosslensCallback
    from losslens.lab.data import linear_1d

    x, y, xv, yv = linear_1d(0)
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    m.compile(optimizer=keras.optimizers.Adam(0.01), loss="mean_squared_error")
    cb = LosslensCallback(stop_gain=0.01, noise_floor=FLOOR, verbose=0, save_path=str(tmp_path / "run.json"))
    h = m.fit(x, y, epochs=60, batch_size=32, validation_data=(xv, yv), verbose=0, callbacks=[cb])
    val = np.asarray(h.history["val_loss"])
    assert cb.watcher.stopped_epoch is not None and len(val) < 55  # (without the floor it trains all 60: above)
    assert val[-1] <= 1.05 * FLOOR
    run = losslens.read(str(tmp_path / "run.json"))[0]
    assert run.meta["noise_floor"] == FLOOR
    assert losslens.diagnose(run).verdict == "converged"


@pytest.mark.parametrize("module, name", [("torch", "Monitor"), ("lightning", "LosslensCallback"),
                                          ("transformers", "LosslensCallback")])
def test_every_adapter_passes_noise_floor_to_its_watcher(module, name):
    import importlib

    pytest.importorskip({"torch": "torch", "lightning": "lightning", "transformers": "transformers"}[module])
    adapter = getattr(importlib.import_module(f"losslens.integrations.{module}"), name)
    assert adapter(noise_floor=FLOOR).watcher.run().meta["noise_floor"] == FLOOR


def test_watch_reads_converged_with_noise_floor_and_says_stop(tmp_path):
    """`losslens watch --noise-floor 0.01` on the run's CSVLogger log at epoch 49: converged and "stop now?" stops;
    without it, no stop."""
    from losslens.commands.watch import follow

    class Seen:
        def __init__(self):
            self.last = None

        def note(self, text):
            pass

        def update(self, key, w, stop_gain):
            self.last = w

        def end(self, watched):
            pass

    read = {}
    for floor in (None, FLOOR):
        seen = Seen()
        assert follow(str(HERE / "adam01_first50.csv"), seen, interval=1.0, idle=0.0, noise_floor=floor,
                      sleep=lambda s: None) == 0
        read[floor] = (seen.last.diagnosis.verdict, seen.last.stop_since is not None)
    # (Without the floor: converged since session 45, see above, but no stop: the stopping rule's own reading.)
    assert read == {None: ("converged", False), FLOOR: ("converged", True)}


def test_watch_refuses_a_bad_noise_floor_in_one_line():
    from typer.testing import CliRunner

    from losslens.cli import app

    r = CliRunner().invoke(app, ["watch", str(HERE / "adam01_first50.csv"), "--noise-floor", "0", "--idle", "0"])
    assert r.exit_code == 2 and "--noise-floor" in r.output and "No such option" not in r.output
    assert "Traceback" not in r.output
