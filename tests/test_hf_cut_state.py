"""A Transformers Trainer's trainer_state.json cut off mid-write (tests/fixtures/ecosystem/hf_cut_state, written by
its make.py): a 1-layer BERT on the digits at AdamW 5e-5, stuck at ln 10 for its 12 epochs (ended at 2.302590; 24
epochs 2.302595, twice as wide 2.302617, the lr x 100 2.0407). The whole file reads stuck_at_init; cut inside epoch
6's training record (session 49's walk) it read "underfitting (too little capacity)" with still_improving 60% "also
likely" on a fall of 0.00045% of the level, and its warning said "the 164 characters after it left out" of 133
steps lost.
"""

import json
import logging
from pathlib import Path

import losslens
from losslens.readers import read

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "hf_cut_state"
WHOLE, CUT = HERE / "whole", HERE / "cut"


def _diagnose(path, caplog):
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="losslens"):
        d = losslens.diagnose(path)
    return d, [r.getMessage() for r in caplog.records]


def test_the_cut_state_reads_the_whole_files_verdict_and_no_fall_inside_its_rounding(caplog):
    whole, _ = _diagnose(WHOLE, caplog)
    cut, said = _diagnose(CUT, caplog)
    assert whole.verdict == "stuck_at_init"
    # what the cut kept: 5 of the 12 evaluations, its validation loss 2.302613 -> 2.302597
    assert read(CUT)[0].finite("val_loss")[0].tolist() == [19, 38, 57, 76, 95]
    assert cut.verdict == "stuck_at_init", str(cut)
    # (a fall of 1.6e-5 on 2.3026, its last point its best, was "still falling ... a steady fall (t = -6.2)")
    assert "still_improving" not in [c.id for c in cut.causes], str(cut)
    assert len(said) == 1 and "cut off mid-write" in said[0]


def test_the_cut_says_what_it_lost(caplog):
    """global_step (written before log_history: the Trainer sorts the state's keys) survives the cut and says how
    far the run had logged; the planned end and the callbacks' state, written after it, are lost."""
    _, said = _diagnose(CUT, caplog)
    assert "its log_history ends at step 95 of the 228 the state was saved at (global_step): the later records " \
           "were lost, and with them max_steps, num_train_epochs and stateful_callbacks, written after log_history " \
           "(no planned end, no early stop read)" in said[0], said
    # a whole state, or one cut with nothing of the kind lost, says no such thing
    _, said = _diagnose(WHOLE, caplog)
    assert not said


def test_the_cut_reads_as_a_whole_state_of_the_rows_it_kept(tmp_path):
    """The cut's verdict is the one its kept rows give written whole (the same keys, max_steps too): what moved it
    from the whole file's is the lost rows, said in the warning, and nothing the cut did to the reading."""
    state = json.loads((WHOLE / "trainer_state.json").read_text())
    kept = read(CUT)[0]
    steps = {r["step"] for r in state["log_history"]}
    last = max(s for s in steps if s <= kept.axis.max())
    (tmp_path / "trainer_state.json").write_text(json.dumps(
        {**state, "log_history": [r for r in state["log_history"] if r["step"] <= last]}, indent=2))
    same = losslens.diagnose(tmp_path)
    cut = losslens.diagnose(CUT)
    assert [c.id for c in same.causes] == [c.id for c in cut.causes]
