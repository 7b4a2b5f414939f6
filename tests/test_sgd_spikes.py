"""A run bouncing at a too-high lr from its first epochs: validation jumps far off its best and comes back.

Real Keras CSVLogger logs (tests/fixtures/ecosystem/keras_sgd_spikes/make.py): a digits MLP at SGD lr 1.2 (val 1.68,
3.66, 0.80, 0.55, 8.63, 0.21, 2.77, 0.13, ~0.08 from epoch 8, 4.9 at epoch 20) and at lr 1.0 (4.19 at epoch 4, 1.26
at 6, then 0.05). Read on prefixes, as a live callback or ``losslens watch`` sees them, these read "converged" at
0.89 (a last point 15x the level before it, "plateau at epoch 0") and firmly so by epoch 12: the spikes fell
before the shape rules' 20 points and outside ``unstable``'s second half.
"""

from pathlib import Path

import pytest

import losslens
from losslens.diagnosis import diagnose_run
from losslens.integrations._core import firm_verdict

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "keras_sgd_spikes"
LR12, LR10 = HERE / "sgd_1.2.csv", HERE / "sgd_1.0.csv"


def _head(path, k):
    return losslens.read(str(path))[0].head(k)


def test_a_last_point_fifteen_times_the_level_before_it_is_no_plateau():
    d = diagnose_run(_head(LR12, 5))  # val 1.68, 3.66, 0.80, 0.55, 8.63
    assert d.verdict != "converged" and "converged" not in [c.id for c in d.causes]
    assert d.verdict == "lr_too_high" and d.cause.status == "possible" and d.plateau_epoch is None
    assert "its last point jumped to 8.632 at epoch 4" in d.cause.evidence[0]
    assert "too early to tell" in d.cause.evidence[0]


@pytest.mark.parametrize("k", [8, 10, 13, 16, 20])
def test_early_jumps_that_came_back_read_a_step_too_large_at_every_length(k):
    d = diagnose_run(_head(LR12, k))
    assert d.verdict == "lr_too_high" and d.cause.status == "likely", (k, d.verdict)
    assert d.cause.numbers["jumps"] == 2
    assert "8.632 at epoch 4" in d.cause.evidence[0] and "2.769 at epoch 6" in d.cause.evidence[0]


def test_the_lr_1_run_says_its_jumps():
    d = diagnose_run(losslens.read(str(LR10))[0])
    assert d.verdict == "lr_too_high"
    assert "4.193 at epoch 4" in d.cause.evidence[0] and "1.257 at epoch 6" in d.cause.evidence[0]


def test_one_jump_that_came_back_is_a_one_off_said_but_not_firm_while_in_the_tail():
    # Six epochs: the one jump (8.63 at epoch 4) is back at 0.21 at epoch 5: converged stands, said, not firm.
    d = diagnose_run(_head(LR12, 6))
    assert d.verdict == "converged"
    assert any("jumped off its best once: 8.632 at epoch 4" in e and "one-off" in e for e in d.cause.evidence)
    assert d.cause.confidence < 0.8 and not firm_verdict(d, "converged")


def test_a_lone_glitch_in_a_long_settled_run_does_not_flip_it():
    # A real converged CSVLogger run (keras_focal/clean.csv) with one logged value thrown far off at epoch 20,
    # back at 21: converged all the same, the jump said; firm again once the jump has left the tail.
    run = losslens.read(str(Path(__file__).parent / "fixtures" / "ecosystem" / "keras_focal" / "clean.csv"))[0]
    assert diagnose_run(run).verdict == "converged"
    y = run.series["val_loss"].copy()
    y[20] = y[0]
    glitched = losslens.Run(run.axis, {**run.series, "val_loss": y}, run.axis_name, run.name, run.source,
                            dict(run.meta))
    d = diagnose_run(glitched)
    assert d.verdict == "converged" and "lone_jump" in d.cause.numbers
    assert "jump_in_tail" not in d.cause.numbers and firm_verdict(d, "converged")


def test_converged_on_few_points_swinging_far_is_possible_and_not_firm():
    # The SGD 1.0 run's first 6 epochs: 2.38, 1.51, 0.16, 0.13, 4.19, 0.14 (a jump, back).
    d = diagnose_run(_head(LR10, 6))
    assert d.verdict == "converged" and d.cause.status == "possible" and "unsettled" in d.cause.numbers
    assert any(e.startswith("too early to call it settled") for e in d.cause.evidence)
    assert not firm_verdict(d, "converged")


def test_watch_exit_when_converged_does_not_exit_on_the_bouncing_run(tmp_path):
    from test_watch import Seen, Writer, _append, _follow

    header, *rows = LR12.read_text().splitlines(keepends=True)
    path = tmp_path / "live.csv"
    path.write_text(header + "".join(rows[:3]))
    writer = Writer(_append(path, row) for row in rows[3:13])  # the first 13 epochs, written row by row
    seen = Seen()
    _follow(path, seen, writer, idle=5.0, exit_when={"converged"})
    assert [u[0] for u in seen.updates][-1] == 13
    assert not any(firm and verdict == "converged" for _, verdict, firm, _ in seen.updates)
    assert not any("converged is firm" in n for n in seen.notes)


def test_no_converged_firms_on_the_adam_run_that_went_on_falling():
    # Adam(0.05), diagnosed without the forecast at every epoch as the live callbacks do: it read "converged, stop
    # at epoch 2" firmly from epoch 8 (val 0.07 then 0.21, 0.15, 0.20, 0.43), and went on to 0.05 by epoch 20.
    from losslens.integrations import _core

    # (Before counted_verdict, the verdict's name itself was remembered.)
    counted_verdict = getattr(_core, "counted_verdict", lambda d: d.verdict)
    run = losslens.read(str(HERE / "adam_0.05.csv"))[0]
    previous, firm = None, []
    for k in range(5, len(run) + 1):
        d = diagnose_run(run.head(k), forecast=False)
        if firm_verdict(d, previous):
            firm.append(d.verdict)
        previous = counted_verdict(d)
    assert firm and "converged" not in firm
