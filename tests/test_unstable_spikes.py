"""`unstable`: epoch-mean training-loss spikes off the plateau, in either half of the run.

It read the second half alone. A Keras digits MLP at Adam 0.05 (fixture keras_adam_spikes_first_half, 60 epochs)
spikes at epochs 18 and 23-25, off a plateau from epoch 11, and sits at 1e-4 from epoch 30: read "converged", where
the same run at lr / 10 reached a validation best 39% lower. Before the second half a spike must recur (one that
came back is a one-off, as for `jumped`), and none is read while the model memorises.
"""

from pathlib import Path

import numpy as np

import losslens
from losslens.diagnosis import diagnose_run
from losslens.facts import measure

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
SPIKES = ECO / "keras_adam_spikes_first_half"


def _val(path):
    return losslens.read(str(path))[0].series["val_loss"]


def test_repeated_spikes_off_the_plateau_in_the_first_half_read_a_step_too_large():
    run = losslens.read(str(SPIKES / "adam_0.05.csv"))[0]
    d = diagnose_run(run)
    assert d.verdict == "lr_too_high" and "converged" in [c.id for c in d.causes[1:]]
    assert d.cause.evidence[0].startswith("train_loss jumps above its trend: the largest jump, at epoch 23, is ")
    assert "gradient clipping" in d.cause.actions
    # The premise: the same seed at lr / 10 reached a validation best 39% lower, and ends 38% lower.
    cf = _val(SPIKES / "cf_adam_0.005.csv")
    assert cf.min() < 0.65 * _val(SPIKES / "adam_0.05.csv").min()
    assert np.median(cf[-10:]) < 0.65 * np.median(run.series["val_loss"][-10:])


def test_the_spikes_are_scanned_from_the_training_curves_plateau_with_the_second_halfs_bar():
    f = measure(losslens.read(str(SPIKES / "adam_0.05.csv"))[0])
    assert f.train_plateau.epoch == 11 and f.train_spike_at == 23
    assert f.train_spike_points == 30  # (the bar rises with the second half's points, as it did)
    scanned = [i for i, _, _ in f.train_spikes]
    assert min(scanned) >= 11 and {18, 23} <= set(scanned) and f.train_spike_rel > 0.2


def test_one_spike_before_the_second_half_is_a_one_off():
    # A 16-16 MLP on digits at SGD 0.3, the training loss alone (torch_forecast_long): 0.05 -> 0.40 -> 0.16 -> 0.05
    # at epochs 9-12 of 40, then on down to 0.001. At lr / 10 the same net ends at 0.04-0.05: no step too large.
    d = losslens.diagnose(ECO / "torch_forecast_long" / "train_only_digits.csv")
    assert d.verdict == "still_improving" and "lr_too_high" not in [c.id for c in d.causes]
    f = measure(losslens.read(str(ECO / "torch_forecast_long" / "train_only_digits.csv"))[0])
    assert f.train_spike_at == 10 and f.train_spike_rel > 0.2  # seen, and left alone
