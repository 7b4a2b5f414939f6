"""One training, one figure: X and the epoch beside it read the same from each log a library writes of it, and
the text and the JSON quote the same X (session 47's figure walk)."""
import gzip
import json
import re
from pathlib import Path

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"


def test_lightning_tensorboard_and_metrics_csv_quote_one_epoch_at_x():
    """val_check_interval=0.5 on 7-batch epochs, logged by TensorBoardLogger and CSVLogger: X is step 37 in both,
    which the TensorBoard log called epoch 5.5 (its epoch ends read off the last batch logged, step 33, not the
    epoch-end row at step 34 that Lightning stamps with the epoch too) and metrics.csv 5.429 (3 of 7 batches into
    epoch 5, as Lightning counts)."""
    logs = ECO / "lightning_val_interval_tb" / "logs"
    tb = losslens.diagnose(str(logs / "tb" / "version_0"))
    csv = losslens.diagnose(str(logs / "csv" / "version_0" / "metrics.csv"))
    assert tb.plateau_epoch == csv.plateau_epoch == 37
    assert tb.to_dict()["plateau"]["epoch_frac"] == csv.to_dict()["plateau"]["epoch_frac"] == 5.4286
    assert str(tb).splitlines()[0].split(":", 1)[1] == str(csv).splitlines()[0].split(":", 1)[1]
    assert "step 37 (epoch 5.429)" in str(tb)


def test_a_trainer_given_num_train_epochs_is_not_said_to_have_a_max_steps():
    """A Trainer given num_train_epochs=8 (no max_steps), checkpointed at step 40 of 80: trainer_state.json's
    max_steps is the Trainer's own total, and the report named it as the user's setting: "the planned end
    (max_steps)"."""
    state = ECO / "hf_cb_resume" / "hf_out" / "checkpoint-40" / "trainer_state.json"
    d = losslens.diagnose(str(state))
    text = str(d)
    assert "(max_steps)" not in text
    assert "the run is at step 40 of 80, the planned end (8 epochs of 10 steps)" in text
    assert d.forecast["horizon"] == 80 and d.forecast["horizon_from"] == "8 epochs of 10 steps"


def test_a_long_dict_gets_one_x_in_its_text_and_its_json():
    """20,000 full-batch steps of a digits MLP as a dict of lists: read on 2,000 bin means, X was the bin's mean
    axis, 2566.5 in to_dict() and --json beside "epoch 2566" in the text. X is an epoch the log holds."""
    with gzip.open(ECO / "torch_dict_20k" / "history.json.gz", "rt") as fh:
        history = json.load(fh)
    d = losslens.diagnose(history)
    out = d.to_dict()
    x = out["plateau_epoch"]
    assert isinstance(x, int) and out["plateau"]["epoch"] == x == d.plateau_epoch
    assert all(isinstance(v, int) for v in out["plateau"]["interval"])
    assert re.search(rf"plateau at epoch {x} \[", str(d).splitlines()[0])
    assert json.loads(d.to_json())["plateau_epoch"] == x


def test_a_long_dict_names_one_logged_epoch_at_x_in_every_line():
    """The same dict: X was snapped to a logged epoch for the headline and the JSON (2567) while the facts kept the
    bin's mean (2566.5), and the evidence said "since epoch 2566", "at epoch 2566", "stopping at 2566"; the phases
    began at bin means (735.5, 10919.5). The bins stand at logged epochs where the facts are made."""
    with gzip.open(ECO / "torch_dict_20k" / "history.json.gz", "rt") as fh:
        history = json.load(fh)
    d = losslens.diagnose(history)
    x = d.plateau_epoch
    text = str(d)
    assert f"since epoch {x};" in text and f"at epoch {x}," in text and f"stopping at {x} " in text
    near = {int(v) for v in re.findall(r"(?:epoch|at) (\d+)\b", text) if abs(int(v) - x) <= 2}
    assert near == {x}
    logged = set(range(len(history["val_loss"])))
    out = d.to_dict()
    for ph in out["phases"]:
        assert ph["start"] in logged and ph["end"] in logged
    assert out["causes"][0]["numbers"]["flat_from"] in logged
