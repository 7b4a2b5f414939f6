"""K inferred where no --classes is given, from what the loss physically is.

A network whose output no longer depends on its input scores at least the class frequencies' entropy, ln K for
balanced classes, and rests there: tests/fixtures/ecosystem/sgd_dead_relu's Lightning runs (SGD lr 5, ReLUs dead
after the first epoch; CSVLogger's metrics.csv alone: no accuracy, no gradients) read "underfitting: a bigger
model" without --classes, "lr_too_high" with --classes 10. A Keras run thrown at once by its lr
(tests/fixtures/ecosystem/keras_lr_blowup, Adam 0.3 and SGD 5) sits at 14.5, never near ln K: K cannot be read
off it, but its loss is exactly Keras's loss for answers given with certainty, (1 - accuracy) x -ln 1e-7, which no
fresh network gives; it read "stuck_at_init" without --classes, "diverged" with it.
"""
import math

import numpy as np
import pytest

import losslens
from conftest import runs_by_name
from losslens.facts import measure
from losslens.facts.chance import certain_answers, resting_at_ln_k

ECO = __import__("pathlib").Path(__file__).parent / "fixtures" / "ecosystem"
DEAD = ECO / "sgd_dead_relu"
BLOWUP = ECO / "keras_lr_blowup"


@pytest.mark.parametrize("seed", [0, 1])
def test_a_dead_net_resting_at_ln_10_is_read_as_the_step_without_classes(seed):
    path = DEAD / f"lightning_lr5_s{seed}" / "metrics.csv"
    d = losslens.diagnose(path)
    c = d.facts.chance
    assert (c.classes, c.classes_from, c.classes_inferred) == (10, "resting loss", True)
    assert abs(c.first_loss / math.log(10) - 1) < 0.0115  # the lowest point of the later halves, near ln 10
    assert d.verdict == "lr_too_high" and d.cause.numbers["uniform_guess"] == 10
    ids = [x.id for x in d.causes]
    assert "underfitting" not in ids
    assert not any(a.startswith("a bigger model") for x in d.causes for a in x.actions)
    text = str(d)
    assert "(K = 10 inferred: after they moved the losses rest at ln 10" in text
    assert "a uniform guess over 10 classes; pass --classes to set it)" in text
    # The same verdict and first action as with K given; the K said to be inferred only without it.
    given = losslens.diagnose(path, classes=10)
    assert given.verdict == d.verdict and given.cause.actions == d.cause.actions
    assert "inferred" not in str(given)
    # A tenth of the rate learns (val 0.29-0.37): no K is read off its losses.
    cf = losslens.diagnose(DEAD / f"lightning_lr0.5_s{seed}" / "metrics.csv")
    assert cf.facts.chance.classes is None
    assert "uniform_guess" not in cf.cause.numbers and "ln 10" not in str(cf)


def test_a_regression_loss_at_the_same_level_is_no_ln_k():
    # The dead net's own losses, but an error metric logged beside them says the loss is no cross-entropy.
    run = losslens.read(DEAD / "lightning_lr5_s0" / "metrics.csv")[0]
    assert measure(run).chance.classes == 10
    run.series["val_mae"] = run.series["val_loss"] / 3
    assert measure(run).chance.classes is None


@pytest.mark.parametrize("log", ["adam_0.3_s0.csv", "adam_0.3_s1.csv", "sgd_5_s0.csv", "sgd_5_s1.csv"])
def test_a_keras_loss_on_the_certain_answer_line_diverged_without_classes(log):
    d = losslens.diagnose(BLOWUP / log)
    assert abs(d.facts.chance.certain - 1) < 1e-4
    assert d.facts.chance.classes is None  # (14.5 is no ln K of any class count a fresh network starts at)
    assert d.verdict == "diverged" and d.plateau.epoch == 0
    assert d.cause.evidence[0].startswith("val_loss starts at 14.")
    assert "Keras's loss when every answer is given with certainty" in d.cause.evidence[0]
    assert d.cause.actions[0] == ("lower the learning rate (try 1/10) and restart from scratch: units that died or "
                                  "saturated will not recover")
    assert "stuck_at_init" not in [c.id for c in d.causes]
    assert d.verdict == losslens.diagnose(BLOWUP / log, classes=10).verdict
    # A tenth of the rate learns: off the line.
    cf = losslens.diagnose(BLOWUP / log.replace("0.3", "0.03").replace("sgd_5", "sgd_0.5"))
    assert cf.facts.chance.certain is None and cf.verdict != "diverged"


def test_real_runs_at_chance_and_the_false_match_rate(shared_curves):
    """DeepOBS logs K and test accuracy: the runs whose test accuracy ended under 1.5/K are at chance. Among
    those that learned, only the char-RNN runs that predict the characters' frequencies (a constant answer, but
    over 83 unequal classes) rest near an ln K; no Keras notebook or GPT speed-run does (benchmarks/chance_probe.py
    counts them all)."""
    runs = runs_by_name(shared_curves / "deepobs_baselines_curves.csv.gz")
    k = {"cifar10_3c3d": 10, "fmnist_2c2d": 10, "svhn_wrn164": 10}
    found, learned = [], []
    for name, run in runs.items():
        if name.split("/")[0] not in k or "val_acc" not in run.series:
            continue
        acc = run.get("val_acc")
        acc = acc[np.isfinite(acc)]
        if acc.shape[0] == 0:
            continue
        rest = resting_at_ln_k((run.get("val_loss"), run.get("train_loss")))
        (found if acc[-max(1, acc.shape[0] // 4):].mean() < 0.15 else learned).append(rest)
    hits = [r for r in found if r is not None]
    assert len(hits) >= 4 and all(r[0] == 10 for r in hits)
    assert len(learned) > 250 and not any(r is not None for r in learned)
    keras = runs_by_name(shared_curves / "keras_notebook_curves.csv")
    assert not any(resting_at_ln_k((r.get("val_loss"), r.get("train_loss"))) for r in keras.values())
    assert not any(certain_answers(r.get("val_loss"), r.get("val_acc")) for r in keras.values())
