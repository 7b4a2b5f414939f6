"""Noisy training labels read without --classes (session 48).

tests/fixtures/ecosystem/torch_split_noise/trainnoise.csv (30% random training labels, clean validation and test):
`losslens diagnose trainnoise.csv --classes 10` read converged with the training labels' check; without --classes, as
most users run it, "still improving slowly (68%) ... keep training: it is still improving", on a line since X = 16
that fell 18% while the last quarter did not (t = 0.5). With K given, underfitting led the list when the line since X
was to be read and the line was never read; without it, converged led and the line took the verdict. Twice the epochs
took the clean test loss 0.493 -> 0.557. Now the line since X is not carried on where training errs on its own
examples several times as often as on validation and its loss still falls while validation's last quarter does not:
converged, the line listed as possible behind early stopping. Siblings: Keras (keras_trainnoise) and Lightning
(lightning_trainnoise) runs with noisy training labels, each trained to twice the epochs; Lightning's at Adam 1e-4,
still falling at its end, paid and is still told to keep training."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
TORCH, KERAS, LIGHTNING = ECO / "torch_split_noise", ECO / "keras_trainnoise", ECO / "lightning_trainnoise"


def _made(folder: Path) -> dict[str, str]:
    return {line.split()[0].rstrip(":"): line for line in (folder / "make.out").read_text().splitlines()
            if line.strip()}


def _num(line: str, words: str) -> float:
    return float(line.split(words + " ")[1].split()[0].rstrip(",;"))


def _cut(src: Path, rows: int, tmp_path: Path) -> Path:
    """The log as it stood after its first ``rows`` epochs: what a user diagnosing the run then reads."""
    with open(src, newline="") as fh:
        lines = list(csv.reader(fh))
    out = tmp_path / f"{src.stem}_{rows}.csv"
    with open(out, "w", newline="") as fh:
        csv.writer(fh).writerows(lines[:rows + 1])
    return out


def test_the_premise_training_on_did_not_pay():
    # Twice the epochs, the same fit trained on: the clean test loss ends higher in every run with noisy training
    # labels at Adam 1e-3 (torch and Keras on digits, Lightning on 5 generated classes).
    for folder, pairs in ((TORCH, [("trainnoise", "trainnoise_120")]),
                          (KERAS, [("noise30", "noise30_120"), ("noise45", "noise45_120")]),
                          (LIGHTNING, [("noise30", "noise30_120")])):
        made = _made(folder)
        for short, long in pairs:
            assert _num(made[long], "clean test loss") > _num(made[short], "clean test loss"), (folder, short)


def test_without_classes_it_is_not_told_to_keep_training():
    d = losslens.diagnose(TORCH / "trainnoise.csv")
    assert d.verdict == "converged", d
    assert str(d.cause.actions[0]).startswith("stop"), d
    assert not any(str(a).startswith("keep training") for c in d.causes for a in c.actions), d
    assert any("memorised rather than learned" in e for e in d.cause.evidence), d
    # The fall since X stays listed, as possible, behind early stopping on validation.
    own = next(c for c in d.causes if c.id == "still_improving")
    assert own.status == "possible" and own.confidence <= 0.4, d
    assert "early stopping on val_loss" in str(own.actions[0]), d
    assert d.cause.numbers["train_err_share"] > 1.5


def test_with_and_without_classes_read_alike():
    assert losslens.diagnose(TORCH / "trainnoise.csv").verdict == \
        losslens.diagnose(TORCH / "trainnoise.csv", classes=10).verdict == "converged"


def test_keras_log_read_at_epoch_52_is_not_told_to_keep_training(tmp_path):
    # Keras' own CSVLogger at epoch 51 of the 30%-noise fit: the line since X fell 12% (t = -16.7); at 104 epochs
    # val_loss's median of its last 5 was 0.8% higher than at 52 (noise30_120.csv is the same fit trained on).
    d = losslens.diagnose(_cut(KERAS / "noise30_120.csv", 52, tmp_path))
    assert d.verdict == "converged", d
    assert str(d.cause.actions[0]).startswith("still falling at the end"), d
    assert not any(str(a).startswith("keep training") for c in d.causes for a in c.actions), d
    # Its last quarter still fell by its t-test, too small a share to read by itself: said so, not "no clear fall".
    line = next(e for e in d.cause.evidence if "memorised rather than learned" in e)
    assert "of the whole improvement (t = -5.0)" in line, line


def test_a_tail_still_falling_keeps_still_improving(tmp_path):
    # The torch run read at epoch 24: its last quarter still falls (t = -5.5), and twice the epochs lowered the
    # clean test loss 11% -- the since-X line plays no part, and the verdict stays.
    d = losslens.diagnose(_cut(TORCH / "trainnoise_120.csv", 24, tmp_path))
    assert d.verdict == "still_improving" and d.cause.status == "likely", d
    assert "since_x_gain" not in d.cause.numbers
    assert str(d.cause.actions[0]).startswith("keep training"), d


def test_a_slow_fit_on_noisy_labels_is_still_told_to_keep_training():
    # Lightning's 5-class run at Adam 1e-4: still falling at 60 epochs (its best is its last point); 120 took
    # val_loss 0.8458 -> 0.7913 and the clean test loss 0.849 -> 0.771. Training errs more there too.
    made = _made(LIGHTNING)
    assert _num(made["slow_120"], "clean test loss") < 0.95 * _num(made["slow"], "clean test loss")
    d = losslens.diagnose(LIGHTNING / "slow")
    assert d.verdict == "still_improving" and d.cause.status == "likely", d
    assert str(d.cause.actions[0]).startswith("keep training"), d
    assert d.cause.numbers["train_err_share"] > 1.5


@pytest.mark.parametrize("folder,name", [(KERAS, "noise30.csv"), (KERAS, "noise45.csv"), (LIGHTNING, "noise30")])
def test_the_siblings_are_not_told_to_keep_training(folder, name):
    d = losslens.diagnose(folder / name)
    assert d.verdict in ("converged", "overfitting"), d
    assert not any(str(a).startswith("keep training") for c in d.causes for a in c.actions), d
