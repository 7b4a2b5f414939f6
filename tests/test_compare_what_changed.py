"""compare named one change of two, and refused a metric both logs carry (session 42's walk).

tests/fixtures/ecosystem/compare_two_changes (make.py): a torch regression at lr 1e-3 for 30 epochs against lr 1e-4 for
300, the lr logged: compare said "change: lr_factor=0.1" and read lr_too_high's "lr / 10 ends lower" as holding off
a run that also trained ten times as long; the 300 epochs against 30 were never mentioned. A digits classifier logging
val_loss and val_acc against one logging the accuracies only: "no common metric to compare" and "not run (no
val_loss in both logs)" with --metric val_acc, and without it a refusal, though both log val_acc.
"""

from __future__ import annotations

import csv
from pathlib import Path

import losslens

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "compare_two_changes"


def _rows(name: str) -> list[dict]:
    with open(HERE / name, newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_premises_the_logs_differ_in_lr_and_length_and_one_logs_no_loss():
    short, long = _rows("lr1e-3_e30.csv"), _rows("lr1e-4_e300.csv")
    assert (len(short), len(long)) == (30, 300)
    assert {r["lr"] for r in short} == {"0.001"} and {r["lr"] for r in long} == {"0.0001"}
    assert "val_loss" in _rows("sgd_lr0.5.csv")[0] and "val_loss" not in _rows("acc_only_lr0.05.csv")[0]


def test_an_lr_and_a_length_that_both_changed_are_both_named_and_neither_is_credited_alone():
    c = losslens.compare(HERE / "lr1e-3_e30.csv", HERE / "lr1e-4_e300.csv")
    assert abs(c.change["lr_factor"] - 0.1) < 1e-9 and c.change["epochs_factor"] == 10, c.change
    text = str(c)
    assert "300 epochs logged against 30" in text, text
    # (was "✓ lr_too_high — learning rate / 10 ... holds": the ten times longer run's gain put down to the lr)
    assert not any(r.holds for r in c.results), text
    mixed = [r for r in c.results if r.why == "mixed"]
    assert mixed and all("changed too" in r.skipped for r in mixed)


def test_a_change_given_beside_a_length_the_logs_show_is_noted():
    c = losslens.compare(HERE / "lr1e-3_e30.csv", HERE / "lr1e-4_e300.csv", change={"lr_factor": 0.1})
    assert any("300 epochs logged against 30" in n and "checked as given" in n for n in c.notes), c.notes


def test_metric_named_is_compared_where_only_one_log_has_a_loss():
    c = losslens.compare(HERE / "sgd_lr0.5.csv", HERE / "acc_only_lr0.05.csv", metric="val_acc",
                         change={"lr_factor": 0.1})
    text = str(c)
    assert "no common metric" not in text and "no val_loss in both logs" not in text, text
    assert "1 - val_acc: end (median of the last 3) 0.045 → 0.0725" in text, text


def test_without_metric_the_series_both_log_is_compared():
    """Was refused: "no val_loss, the series BEFORE was diagnosed on (AFTER logs train_acc, val_acc)"."""
    c = losslens.compare(HERE / "sgd_lr0.5.csv", HERE / "acc_only_lr0.05.csv", change={"lr_factor": 0.1})
    assert c.diagnosis.metric == "val_acc"
    assert any("compared on val_acc, which both log: AFTER logs no val_loss" in n for n in c.notes), c.notes
    assert "1 - val_acc: end" in str(c)


def test_two_lightning_logs_of_one_version_are_told_apart_by_their_folders():
    """Was "version_0 → version_0", "before version_0", "after version_0"."""
    bend = HERE.parent / "torch_reg_bend"
    c = losslens.compare(bend / "hp" / "version_0" / "metrics.csv", bend / "drop_hp" / "version_0" / "metrics.csv")
    lines = str(c).splitlines()
    assert lines[0].startswith("hp/version_0 → drop_hp/version_0:"), lines[0]
    assert lines[1].split(":")[0].split() == ["before", "hp/version_0"]
    assert lines[2].split(":")[0].split() == ["after", "drop_hp/version_0"]
