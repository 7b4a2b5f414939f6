"""A still_improving read on its forecast whose tail fell slowly but steadily lists a step too small beside it.

A Lightning 64-32-4 autoencoder on digits at Adam 1e-3, 30 epochs (tests/fixtures/ecosystem/lightning_ae_slow,
make.py): its last quarter fell 4.5 noise sds at t = -11, 0.95% of its improvement, and it read "keep training",
nothing else. Final val_loss 0.04126; twice the epochs 0.03751 (-9%), lr x 10 0.02814 (-32%), lr x 100 0.0388,
a code of 8 0.02978 (-28%), with
the hidden layers 64 wide too 0.02425 (-41%) (make.out): training on paid least. lr_too_low is now listed,
possible, "try 10x the learning rate" first, a bigger model second; the verdict stands.
"""

from __future__ import annotations

from pathlib import Path

import losslens

RUN = Path(__file__).parent / "fixtures" / "ecosystem" / "lightning_ae_slow" / "base" / "version_0" / "metrics.csv"


def test_the_verdict_stands():
    d = losslens.diagnose(RUN)
    assert d.verdict == "still_improving"
    assert d.causes[0].status == "likely"


def test_lr_too_low_listed_possible_with_a_larger_step_first():
    d = losslens.diagnose(RUN)
    low = next(c for c in d.causes if c.id == "lr_too_low")
    assert low.status == "possible" and low.confidence < 0.5
    assert "10x the learning rate" in str(low.actions[0])
    assert "bigger model" in str(low.actions[1])
    assert any("slow, steady pace" in e and "noise" in e for e in low.evidence)
    assert "lr_too_low" in str(d)


def test_a_flattened_tail_lists_no_step_too_small():
    # The same run cut at epoch 15, where its last quarter still fell fast (still_improving by its share, or
    # flattening): the slow-pace line is for a forecast-read tail only.
    import csv

    rows = list(csv.DictReader(open(RUN, newline="")))
    hist = {"train_loss": [], "val_loss": []}
    for r in rows:
        for k in hist:
            if r.get(k):
                hist[k].append(float(r[k]))
    cut = {k: v[:15] for k, v in hist.items()}
    d = losslens.diagnose(cut)
    assert not any(c.id == "lr_too_low" and c.numbers.get("slow_pace") for c in d.causes)
