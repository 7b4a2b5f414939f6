"""No learnable signal where the log holds no accuracy that says it: targets shuffled against the inputs of a
character-level language model (tests/fixtures/ecosystem/torch_charlm_shuffled) and five independent labels drawn
apart from the inputs under BCE (torch_multilabel_nosignal), each beside its twin on the real targets (make.py,
make.out). Both read overfitting, "regularize"; the level that says "nothing carried over" is the loss of predicting
the label or token frequencies, which the log does not hold: stated with --baseline-loss (losslens.baseline_loss), it
reads no_signal, worded for a classifier's constant, not a regression's mean and R²; unstated, overfitting says how
to state it."""

from __future__ import annotations

from pathlib import Path

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
LM = ECO / "torch_charlm_shuffled"
ML = ECO / "torch_multilabel_nosignal"


def _level(folder: Path, name: str) -> float:
    line = next(x for x in (folder / "make.out").read_text().splitlines() if x.startswith(name))
    cut = "entropy) " if "(y_val)" in line else "'bce') "
    return float(line.split(cut)[1].split()[0])


def _val_best(path: Path) -> float:
    return min(float(r.split(",")[2]) for r in path.read_text().splitlines()[1:])


def test_premise_the_real_twins_learn_and_the_shuffled_never_beat_the_frequencies():
    for folder, bad, good in ((LM, "shuffled.csv", "real.csv"), (ML, "random.csv", "real.csv")):
        level = _level(folder, bad)
        assert _val_best(folder / bad) >= 0.99 * level  # never below what predicting the frequencies scores
        assert _val_best(folder / good) < 0.7 * _level(folder, good)  # the twin learns far under it


def test_unstated_level_reads_overfitting_and_says_how_to_state_it():
    for path in (LM / "shuffled.csv", ML / "random.csv"):
        d = losslens.diagnose(path)
        assert d.verdict == "overfitting", (path, d)
        ev = " ".join(d.cause.evidence)
        assert "targets shuffled against the inputs read so" in ev and "improved only" in ev
        assert any("--baseline-loss" in a and "losslens.baseline_loss(y_val" in a for a in d.cause.actions)
    for path in (LM / "real.csv", ML / "real.csv"):
        d = losslens.diagnose(path)
        assert not any("--baseline-loss" in a for c in d.causes for a in c.actions), path
        assert "targets shuffled against the inputs" not in " ".join(d.cause.evidence)


def test_language_model_on_shuffled_targets_is_no_signal_at_its_stated_level():
    level = _level(LM, "shuffled.csv")  # the validation characters' entropy, 2.866
    d = losslens.diagnose(LM / "shuffled.csv", baseline_loss=level)
    assert d.verdict == "no_signal", d
    ev = " ".join(d.cause.evidence)
    assert "predicting the class (or token) frequencies does" in ev
    assert d.cause.actions[0].startswith("check that the inputs carry signal about the targets")
    assert "class or token frequencies" in d.cause.actions[1]
    # Training memorised its windows: overfitting stays listed.
    assert "overfitting" in [c.id for c in d.causes]
    assert losslens.diagnose(LM / "real.csv", baseline_loss=level).verdict != "no_signal"


def test_multilabel_bce_on_random_labels_is_no_signal_worded_for_labels():
    level = _level(ML, "random.csv")
    d = losslens.diagnose(ML / "random.csv", baseline_loss=level)
    assert d.verdict == "no_signal", d
    ev = " ".join(d.cause.evidence)
    assert "predicting the label frequencies (each label's prevalence" in ev and "above that level" in ev
    assert "R²" not in ev and "targets' mean" not in ev
    assert d.cause.actions[0].startswith("check that the inputs carry signal about the labels")
    assert d.cause.actions[1].startswith("a constant prediction (the training labels' frequencies)")
    assert "overfitting" in [c.id for c in d.causes]
    assert losslens.diagnose(ML / "real.csv", baseline_loss=_level(ML, "real.csv")).verdict != "no_signal"
