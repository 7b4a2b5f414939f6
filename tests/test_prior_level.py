"""A classifier on imbalanced classes whose validation never beat answering the majority class
(tests/fixtures/ecosystem/prior_level: plain PyTorch loops and a scikit-learn MLP on 90/10 make_classification, their
make.py and make.out). No model that ignores the inputs scores under the split's entropy H(m), the class frequencies'
loss; these runs' construction says which never used the inputs: labels shuffled (it memorises, validation accuracy
falls under the majority's 0.92) read overfitting 99% or converged "stop here"; every ReLU unit dead (biases at -20)
read converged; Adam at 1e-7 read underfitting "training accuracy 0.369 is at chance 1/2 = 0.500". The labels as made
learn (val_loss 0.135, far under the floor 0.279) and keep their overfitting."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.facts.chance import constant_answer
from losslens.report.plot import chart_data

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "prior_level"


def _made() -> dict[str, str]:
    return {line.split(" ")[0]: line for line in (HERE / "make.out").read_text().splitlines()}


def _auc(name: str) -> float:
    return float(_made()[name].split("val ROC AUC ")[1].split(",")[0])


def test_the_premise_shuffled_and_dead_rank_like_a_coin_and_the_control_learns():
    assert _auc("mc_shuffled") < 0.6 and _auc("mc_dead") == 0.5 and _auc("mc_learn") > 0.85
    assert "validation majority 0.9200" in _made()["mc_shuffled"]


def test_the_floor_is_the_entropy_of_the_majority_share_validation_accuracy_held():
    d = losslens.diagnose(HERE / "mc_shuffled.csv")
    c = d.facts.chance
    assert c.prior_share == pytest.approx(0.92, abs=1e-6)
    assert c.prior_loss == pytest.approx(-(0.92 * math.log(0.92) + 0.08 * math.log(0.08)), abs=1e-6)
    # The control holds 0.92 for only its first 3 epochs, then climbs past it: no constant answer to read.
    assert losslens.diagnose(HERE / "mc_learn.csv").facts.chance.prior_share is None


def test_shuffled_labels_that_memorise_are_no_signal_not_overfitting():
    d = losslens.diagnose(HERE / "mc_shuffled.csv")
    assert d.verdict == "no_signal", d
    ev = " ".join(d.cause.evidence)
    assert "val_loss 0.2892 at its best" in ev and "never got below 0.2788" in ev
    assert "validation accuracy ends at 0.8875, below that majority share" in ev
    assert "it memorised its training labels" in ev and "two classes assumed" in ev
    assert d.cause.actions[0].startswith("check that the inputs carry signal about the labels")
    # Validation did rise: overfitting stays listed, as possible; no "a bigger model".
    over = next(c for c in d.causes if c.id == "overfitting")
    assert over.status == "possible" and "underfitting" not in d.cause_ids()


def test_dead_units_are_stuck_at_init_not_converged():
    d = losslens.diagnose(HERE / "mc_dead.csv")
    assert d.verdict == "stuck_at_init", d
    ev = " ".join(d.cause.evidence)
    assert "its accuracy held at 60 of 60 epochs" in ev and "never got below 0.2788" in ev
    assert "it gives every input the same answer" in ev
    assert d.cause_ids() == ["stuck_at_init"]
    assert "a bigger model stays there" in d.cause.actions[0]


def test_scikit_learn_shuffled_labels_are_no_signal_not_converged():
    """Only validation accuracy and the training loss: 0.90 at 55 of 60 iterations from the second, never above
    it, while the training loss fell to 0.191, well under the 0.90 split's 0.325."""
    d = losslens.diagnose(HERE / "sk_shuffled.csv", classes=2)
    assert d.verdict == "no_signal", d
    ev = " ".join(d.cause.evidence)
    assert "validation accuracy is 0.9 at 55 of its 60" in ev and "went on down to 0.1914" in ev
    # K unknown and no training accuracy: nothing but the first loss says two classes, so the reading is not made.
    assert losslens.diagnose(HERE / "sk_shuffled.csv").verdict != "no_signal"


def test_scikit_learn_model_passed_in_is_no_signal(tmp_path):
    """``losslens.diagnose(clf)`` reads K off the model: the walker's run, shuffled labels on the same rows."""
    import warnings

    from sklearn.datasets import make_classification
    from sklearn.neural_network import MLPClassifier

    X, y = make_classification(n_samples=2000, n_features=20, n_informative=5, weights=[0.9, 0.1], flip_y=0,
                               random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = MLPClassifier(hidden_layer_sizes=(64, 64), early_stopping=True, n_iter_no_change=200, max_iter=60,
                            random_state=0).fit(X, np.random.RandomState(1).permutation(y))
    assert losslens.diagnose(clf).verdict == "no_signal"


def test_the_control_that_learns_keeps_its_overfitting():
    d = losslens.diagnose(HERE / "mc_learn.csv")
    assert d.verdict == "overfitting", d
    assert "no_signal" not in d.cause_ids() and "stuck_at_init" not in d.cause_ids()


def test_a_training_accuracy_under_chance_is_not_said_to_be_at_it():
    """Adam at 1e-7: training accuracy 0.369, under 1/2, and the loss 0.3% under its start after 60 epochs: nothing
    moved it, so nothing says the capacity ran out (it read "at chance 1/2 = 0.500: a bigger model")."""
    d = losslens.diagnose(HERE / "mc_lr0.csv")
    assert d.verdict != "underfitting", d
    assert not any("is at chance" in e for c in d.causes for e in c.evidence)


@pytest.mark.parametrize("acc, classes, first, expect", [
    ([0.086] + [0.914] * 12, None, 0.71, 0.914),   # the first answer the minority, then the majority
    ([0.9] * 3 + [0.95] * 12, None, 0.4, None),    # held from the 4th: climbed to it
    ([0.9] * 12 + [0.91], None, 0.4, None),        # passed it
    ([0.6] * 12, None, 1.55, None),                # K unknown, a first loss above ln 3
    ([0.6] * 12, 5, 1.55, 0.6),                    # K given
    ([0.5] * 12, 2, 0.69, None),                   # no majority
])
def test_constant_answer_reads_m_only_from_a_share_held_from_the_start_and_never_passed(acc, classes, first, expect):
    got = constant_answer(np.array(acc), classes, first)
    assert (got is None) if expect is None else got[0] == pytest.approx(expect)
    if expect == 0.6:
        assert got[1] == pytest.approx(-(0.6 * math.log(0.6) + 0.4 * math.log(0.1)))


@pytest.mark.parametrize("name", ["lin_prior_sgd1e-4", "lin_prior_sgd1e-3", "lin_zero_sgd1e-4"])
def test_a_live_model_started_at_the_prior_at_a_small_step_keeps_its_step_reading(name):
    """A logistic regression from zero weights, its bias at the log-odds: validation starts on the floor (0.2823
    against 0.2788) and SGD 1e-4 leaves it at 0.2793 after 40 epochs, every validation answer the majority's; its
    labels carry signal (ROC AUC 0.83, and 1e-3 reaches 0.256). Validation falls with training: a step too small,
    not labels without signal, and no constant output."""
    assert _auc(name) > 0.8
    d = losslens.diagnose(HERE / f"{name}.csv")
    assert d.verdict == "lr_too_low", d
    assert "no_signal" not in d.cause_ids() and "stuck_at_init" not in d.cause_ids()


def test_an_accuracy_that_never_moved_is_read_as_the_majority_without_the_set_size():
    """0.92 at all 40 epochs: no steps to read the validation set's size off (n_val None), which the majority's
    reading needed; it now says the model answers the majority class for every input and names class weights."""
    d = losslens.diagnose(HERE / "lin_prior_sgd1e-3.csv")
    assert d.facts.chance.n_val is None and d.facts.chance.val_acc_frozen == 40
    assert any("not one validation decision flipped" in e for e in d.cause.evidence), d
    assert d.cause.actions[0].startswith("imbalanced classes: weight them in the loss")


def test_a_forecast_of_dead_units_still_walking_to_the_floor_stops_at_it():
    """Keras' dead units at its default step (make_keras.py): val_loss 0.41 at epoch 49, still falling toward the
    class frequencies' 0.3251 (val_auc 0.5 at every epoch). Forecast before the verdict was known, the families bent
    on through the floor: 0.258 by epoch 200, its interval from 0.092, beside "only get it there sooner, no lower"."""
    floor = -(0.9 * math.log(0.9) + 0.1 * math.log(0.1))
    d = losslens.diagnose(HERE / "keras_dead.csv", horizon=200)
    assert d.verdict == "stuck_at_init", d
    fc = d.to_dict()["forecast"]
    assert fc["value"] == pytest.approx(floor, rel=1e-4) and fc["interval"][0] >= floor * (1 - 1e-6)
    assert fc["interval"][1] > fc["value"]  # (the top of the interval is the fit's: it may get there slower)
    # Its own label, not the data's noise floor (a regression's target noise).
    assert fc["prior_floor"] == pytest.approx(floor, rel=1e-4) and "noise_floor" not in fc
    line = next(e for e in d.cause.evidence if e.startswith("forecast at epoch 200"))
    assert "held at the constant answer's 0.3251" in line and "noise floor" not in line
    # The forecast at twice the length, the one the rules read, is held too.
    assert d.facts.forecast["value"] >= floor * (1 - 1e-6)


def test_a_run_that_learns_is_forecast_without_the_prior_floor():
    d = losslens.diagnose(HERE / "mc_learn.csv", horizon=240)
    assert d.verdict != "stuck_at_init" and "prior_floor" not in (d.to_dict()["forecast"] or {})


def test_a_k_guessed_from_a_first_loss_between_two_ln_k_says_its_neighbours_fit_too():
    """Five classes at 60/10/10/10/10 (make_k5.py): the first loss 1.749 is nearer ln 6 than ln 5, and "K = 6
    guessed" was said as the one reading; ln 5 and ln 7 pass the same 15% bar."""
    d = losslens.diagnose(HERE / "k5_shuf_small.csv")
    assert d.facts.chance.classes == 6 and d.facts.chance.classes_from == "initial loss"
    text = str(d)
    assert "K = 6 guessed from the first loss 1.749" in text
    assert "ln 5 = 1.609 and ln 7 = 1.946 are within the same 15% of it, so K = 5 or 7 fits as well" in text
    # Told K, nothing is guessed.
    assert "guessed" not in str(losslens.diagnose(HERE / "k5_shuf_small.csv", classes=5))


def test_dead_units_that_fell_onto_the_prior_are_dated_where_they_arrived():
    """Every ReLU unit dead (mc_dead): val_loss fell 0.686 -> 0.283 over its first 15 epochs as the output bias
    fitted the class frequencies, then held, and read "plateau at epoch 0 [0, 0]" (the chart shading the fall as
    plateau from the facts' 95% point, 9). X is the first epoch within 3 noise sds of the level it held, measured
    here on the CSV, in the text, the JSON and the chart; Keras' dead units, still falling toward the floor at
    epoch 49, keep their first point."""
    y = np.loadtxt(HERE / "mc_dead.csv", delimiter=",", skiprows=1, usecols=2)
    held = float(np.median(y[-len(y) // 4:]))
    noise = float(np.std(y[-len(y) // 4:]))
    arrived = int(np.argmax(y <= held + 3 * noise))
    assert 10 <= arrived <= 20 and y[0] - held > 100 * noise  # (the premise: a fall of 0.4 onto the prior, then held)
    d = losslens.diagnose(HERE / "mc_dead.csv")
    assert d.verdict == "stuck_at_init", d
    assert abs(d.plateau.epoch - arrived) <= 2, (d.plateau.epoch, arrived)
    assert f"plateau at epoch {d.plateau.epoch:.0f}" in str(d).splitlines()[0]
    assert d.to_dict()["plateau_epoch"] == d.plateau.epoch
    chart = chart_data(d)
    assert chart["plateau"]["x"] == d.plateau.epoch
    assert [p["start"] for p in chart["phases"] if p["name"] == "plateau"] == [d.plateau.epoch]
    assert losslens.diagnose(HERE / "keras_dead.csv").plateau.epoch == 0
