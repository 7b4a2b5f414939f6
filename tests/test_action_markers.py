"""An action a later rule finds again carries a marker (``result.Action``'s ``kind`` and ``claim``), not found by its
words; the markers stay out of the JSON, whose actions are plain strings (docs/ARCHITECTURE.md's JSON section), and
travel with a pickled diagnosis (the live callbacks broadcast one across DDP ranks)."""
import json
import pickle
from pathlib import Path

import losslens
from losslens.diagnosis import ACTIONS, DATA_OR_MODEL, NO_GAIN, STOP_AT

ECO = Path(__file__).parent / "fixtures" / "ecosystem"


def test_converged_actions_carry_their_markers_in_python_and_none_in_the_json():
    # A linear regression at its data's noise floor (constant SGD 0.03, batch 4, the lr logged): converged, its stop at
    # X and "change the data or the model" both kept. (The 13-1-3 net on wine that read so, capacity_or_floor/wine_w1.csv, fell 5.6% after X
    # and still falls: its stop is no longer X; nor is that of keras_rlrop_noise_floor/rlrop_40_s1.csv, which read so
    # next, its val_loss 3.3% lower after X and its lr's cut, 23 noise sds: diagnosis._stop_gives_up.)
    d = losslens.diagnose(str(ECO / "torch_sgd_noise_floor" / "sreg_flat.csv"))
    assert d.verdict == "converged"
    stop, change = d.cause.actions
    assert stop == "stop at epoch 0" + NO_GAIN and (stop.kind, stop.claim) == (STOP_AT, NO_GAIN)
    assert change == ACTIONS["converged"][1] and change.kind == DATA_OR_MODEL
    out = d.to_dict()
    assert all(type(a) is str for c in out["causes"] for a in c["actions"])
    assert json.loads(json.dumps(out))["causes"][0]["actions"] == [str(a) for a in d.cause.actions]
    back = pickle.loads(pickle.dumps(d))
    # Both markers: a later rule prices converged's NO_GAIN by its claim as it finds the action by its kind.
    assert [(a, a.kind, a.claim) for a in back.cause.actions] == [(a, a.kind, a.claim) for a in d.cause.actions]
    assert back.cause.actions[0].claim == NO_GAIN
