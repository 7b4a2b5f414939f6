"""Two readings that measured a level against the wrong reference.

A 2-unit MLP on digits (tests/fixtures/ecosystem/sklearn_mlp_two_units, make.py): scikit-learn's early stopping
(patience 50) ended it at iteration 228 with validation accuracy flat since ~150, and losslens read "converged:
stop at 147, more epochs will not raise val_acc" beside its own forecast of P = 95% for a gain, with underfitting
not listed though the training loss sat at 45% of ln 10 and still fell. The same seed run to 600 iterations
reached 0.628 (from 0.489); 64 units reached 0.994.

A Lightning fit resumed with CSVLogger(version=0) (tests/fixtures/ecosystem/lightning_resume_late_start, make.py)
writes its log from the resume point (epoch 10): underfitting read "76% of its starting value 0.2943" of a
training loss that started at 1.794 (make.out), about 12% of it.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
MLP = ECO / "sklearn_mlp_two_units"
RESUMED = ECO / "lightning_resume_late_start" / "logs" / "csv" / "version_0" / "metrics.csv"


def _col(path: Path, key: str) -> list[float]:
    with open(path, newline="") as fh:
        return [float(r[key]) for r in csv.DictReader(fh) if r.get(key)]


def test_the_premises_longer_and_wider_both_raise_validation_accuracy():
    short, long, wide = (_col(MLP / f"{n}.csv", "val_acc") for n in ("two_units", "two_units_600", "sixty_four_units"))
    assert len(short) == 228 and long[:228] == short  # the same seed: the stop cut the 600-iteration run short
    assert max(long) > max(short) + 0.1  # 0.628 against 0.489
    assert max(wide) > 0.99
    loss = _col(MLP / "two_units.csv", "loss")
    assert 0.4 * math.log(10) < loss[-1] < 0.5 * math.log(10)  # 1.046: 45% of ln 10


def test_a_converged_score_whose_training_loss_still_falls_does_not_say_more_epochs_will_not_raise_it():
    """Was "stop at epoch 147: more epochs will not raise val_acc", "... not the epoch count", beside P = 95%."""
    d = losslens.diagnose(MLP / "two_units.csv", classes=10)
    assert d.verdict == "converged", d
    first = d.cause.actions[0]
    assert "will not" not in first and first.startswith("rather than stop, train on"), first
    assert "P = 95%" in first and "longer patience" in first
    assert not any("not the epoch count" in a for a in d.cause.actions)
    assert any("train_loss still falls over its own (t = -27.9)" in e for e in d.cause.evidence), d
    assert "did not fall" not in str(d)  # a score's flat tail did not rise


def test_a_score_beside_a_training_loss_high_against_ln_k_lists_underfitting():
    """Was not listed: the training loss's level was judged only against a validation loss beside it."""
    d = losslens.diagnose(MLP / "two_units.csv", classes=10)
    under = next((c for c in d.causes if c.id == "underfitting"), None)
    assert under is not None, d
    assert under.status == "possible" and under.strength < d.cause.strength
    assert "45% of ln 10" in under.evidence[0] and "still falls, t = -27.9" in under.evidence[0]
    assert "a bigger model or better features" in under.actions


def test_the_net_that_fits_digits_is_not_listed_underfitting():
    d = losslens.diagnose(MLP / "sixty_four_units.csv", classes=10)
    assert "underfitting" not in [c.id for c in d.causes], d


def test_a_resumed_log_is_not_read_underfitting_against_its_first_point():
    """Was the verdict: "training loss flattened at 0.223, 76% of its starting value 0.2943"."""
    started = float(next(l for l in (RESUMED.parent.parent.parent.parent / "make.out").read_text().splitlines()
                         if "epoch 0 train_loss" in l).rsplit(" ", 1)[1])
    first = _col(RESUMED, "train_loss")[0]
    assert started > 5 * first  # the real start, overwritten, against the resume point's
    d = losslens.diagnose(RESUMED)
    assert "underfitting" not in [c.id for c in d.causes], d
    assert "starting value" not in str(d)


def test_a_resumed_log_flat_from_its_first_point_is_not_stuck_at_its_initial_value():
    """Was "stuck at initialization: train_loss never moved far from its initial value 0.223": the log resumed at
    epoch 40, where the cuts had left the lr at 3.8e-6 (a converged model frozen by the schedule); the fit began at
    1.794 (make.out)."""
    late = RESUMED.parent.parent / "version_1" / "metrics.csv"
    assert _col(late, "epoch")[0] == 40 and _col(late, "lr-SGD")[0] < 1e-5
    d = losslens.diagnose(late)
    assert d.verdict != "stuck_at_init" and "initial value" not in str(d), d


def test_a_resumed_log_frozen_by_its_schedule_is_not_overfitting_on_a_drift_off_its_first_point():
    """Was "overfitting 99%: val_loss ... rose 3.35e-06: far beyond its noise (29 sds)", a rise of 1.5e-5 of its
    level measured as many times "its improvement", the few 1e-6 it fell inside a log that starts at epoch 40 with
    the lr cut to 3.8e-6; the fit had fallen from 1.794 (make.out) to 0.23 before it."""
    late = RESUMED.parent.parent / "version_1" / "metrics.csv"
    val = _col(late, "val_loss")
    assert max(val) - min(val) < 1e-4 * min(val)  # frozen: what moved is a drift, not a rise
    d = losslens.diagnose(late)
    assert "overfitting" not in [c.id for c in d.causes], d
    assert d.verdict == "converged", d


def test_a_training_loss_climbing_back_at_the_peak_lr_in_a_resumed_log_counts_the_fall_before_it(tmp_path):
    """The StepLR run that reads lr_too_high ("climbed back from 0.4141 to 2.366") from its first epoch, read as a
    fit resumed at epoch 3 (its log from there: the first point is its best so far, so the climb measured against
    what the log itself gained was against nothing, no relapse at all, and it read overfitting 81%)."""
    import json

    run = json.loads((ECO / "torch_monitor_steplr" / "lr0.3.json").read_text())
    k = run["epoch"].index(3)
    resumed = {key: v[k:] for key, v in run.items() if isinstance(v, list)}
    resumed["meta"] = {m: run["meta"][m] for m in ("format", "framework", "name", "monitor", "classes")}
    (tmp_path / "resumed.json").write_text(json.dumps(resumed))
    d = losslens.diagnose(str(tmp_path / "resumed.json"))
    assert d.verdict == "lr_too_high", d
    assert "climbed back from 0.4141 to 2.366 at epoch 7" in d.causes[0].evidence[0]


def test_a_resumed_log_held_by_weight_decay_measures_its_floor_against_the_fall_before_it(tmp_path):
    """Lightning's weight_decay 0.05 digits MLP (tests/fixtures/ecosystem/lightning_weight_decay/wd_0.05), its log
    from epoch 5 as a fit resumed there would write it: "flattened at 0.6925 (89% of its start 0.7762)" of a training
    loss that began at 2.22. The reading (held by the penalty) stands; the share counts the unseen fall."""
    src = ECO / "lightning_weight_decay" / "wd_0.05"
    (tmp_path / "hparams.yaml").write_text((src / "hparams.yaml").read_text())
    with open(src / "metrics.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(tmp_path / "metrics.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(r for r in rows if r["epoch"] and int(r["epoch"]) >= 5)
    assert _col(src / "metrics.csv", "train_loss")[0] > 2.5 * _col(tmp_path / "metrics.csv", "train_loss")[0]
    d = losslens.diagnose(str(tmp_path / "metrics.csv"))
    held = next(c for c in d.causes if c.id == "underfitting")
    assert held.actions[0].startswith("lower the weight decay")
    assert "89% of its start" not in held.evidence[0]
    assert "(45% of its start 1.552, counting its first value, 0.7762, for the unseen fall" in held.evidence[0], held


SCORE = ECO / "torch_score_only"


def test_a_score_whose_forecast_expects_its_error_to_fall_does_not_say_stop():
    # val_accuracy alone (540 held out, label smoothing 0.2): flat from epoch 20 by its 5% band and read "stop at
    # epoch 20: more epochs will not raise val_acc" beside "P = 95% that training on to 118 lowers 1 - val_acc by
    # > 1%" (error -27%). Trained on to 118 (acc118.csv, the same seed), its error fell as forecast.
    short, long = _col(SCORE / "acc60.csv", "val_accuracy"), _col(SCORE / "acc118.csv", "val_accuracy")
    assert long[:60] == short
    med = lambda y: sorted(y[-5:])[2]  # noqa: E731
    assert 1 - med(long) < 0.8 * (1 - med(short)) and max(long) > max(short) + 2 / 540 and short[20] < 0.97
    d = losslens.diagnose(str(SCORE / "acc60.csv"))
    fc = d.to_dict()["forecast"]
    assert d.metric == "val_acc" and fc["p_improve"] >= 0.9
    first = str(d.causes[0].actions[0])
    assert not first.startswith("stop at") and "will not raise" not in str(d)
    assert first.startswith("rather than stop, train on with early stopping on val_acc") and "P = 9" in first


def test_the_same_run_read_on_its_cross_entropy_still_converges():
    # The control: the same 60 epochs with their (label-smoothed) cross-entropy, read on val_loss, keep their verdict
    # and their stop; the score's branch does not reach a loss.
    d = losslens.diagnose(str(SCORE / "full60.csv"))
    assert d.metric == "val_loss" and d.verdict == "converged" and d.plateau_epoch == 23
    # (Its first action names the 5.4% val_loss fell after X, FELL_AFTER_X, not the score's forecast.)
    first = str(d.causes[0].actions[0])
    assert first.startswith("still falling at the end") and "stopping at 23 would have given up 5.4%" in first


def test_a_resumed_log_under_a_cut_schedule_reads_its_fall_against_the_one_before_it():
    """The joined versions (epochs 10-59) read lr_too_low, "later half at 171% of the whole run's pace ... try 10x
    the peak 0.06": the whole run's pace per unit of lr was measured from the resume point, without the fall before it
    (diagnosis.decayed_in_line). Retrained from make.py's model and schedule for 60 epochs (session 49): SGD 0.3 ends
    val 0.2292 (the log 0.2307), 0.6 ends 0.968, 3.0 diverges, 0.03 ends 0.2295: converged."""
    d = losslens.diagnose(str(RESUMED.parent.parent))
    assert d.verdict == "converged", [c.id for c in d.causes]
    assert "lr_too_low" not in [c.id for c in d.causes]
