"""A Trainer output folder trained with LosslensCallback and resumed from checkpoint-96
(tests/fixtures/ecosystem/hf_cb_state_lost_eval, written by its make.py): the checkpoint was saved before step 96's
evaluation, so the resumed trainer_state.json holds 5 of the 6 evaluations, and the callback's losslens.json, carried
on from the earlier session, all 6. The folder read "2 runs" (losslens.json and trainer_state.json, the same run) and
named one of them the best.
"""

import json
from pathlib import Path

import losslens
from losslens.readers import read

FOLDER = Path(__file__).parent / "fixtures" / "ecosystem" / "hf_cb_state_lost_eval" / "out"


def test_a_trainer_state_that_lost_an_evaluation_on_resume_beside_the_callbacks_record_is_one_run():
    state = json.loads((FOLDER / "trainer_state.json").read_text())["log_history"]
    record = json.loads((FOLDER / "losslens.json").read_text())
    steps = [r["step"] for r in state if "eval_loss" in r]
    assert steps == [32, 64, 128, 160, 192] and len([v for v in record["val_loss"] if v is not None]) == 6
    runs = read(FOLDER)
    assert len(runs) == 1, [r.source for r in runs]
    # The fuller record of the evaluations is the one kept, and the reading says which file it read once.
    assert Path(runs[0].source).name == "losslens.json"
    assert [Path(c).name for c in runs[0].meta["copies"]] == ["trainer_state.json"]
    assert any("trainer_state.json" in n and "read once" in n for n in runs[0].meta["notes"])
    d = losslens.diagnose(FOLDER)
    assert not isinstance(d, list) and d.verdict == "still_improving"
