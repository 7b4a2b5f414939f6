"""Five readings a new-user walk (session 39) found whose evidence or actions contradicted the verdict or the log,
on the runs it made, remade by tests/fixtures/ecosystem/walk39_readings/make.py (torch loops and Lightning's
CSVLogger on digits): a network with every ReLU dead told to check its labels first; "converged at epoch 7" beside
"100% lower after epoch 7"; the summary's lr from hparams.yaml beside "no learning rate in the log"; an 85%
overfitting on a rise of 0.5% of the improvement, with no word of how small; a blow-up under an lr schedule that
multiplied the rate by 1.3 an epoch, with no word of the lr column."""

from __future__ import annotations

from pathlib import Path

import losslens
from losslens.readers import read

DIR = Path(__file__).parent / "fixtures" / "ecosystem" / "walk39_readings"
ECO = DIR.parent


def test_dead_units_answering_alike_put_the_initialization_before_the_labels():
    # Biases at -20: every ReLU dead from the first step, both losses at ln 10, validation accuracy one class's
    # share. stuck_at_init is right; the labels are not what a run that gives every input one answer points to.
    d = losslens.diagnose(DIR / "dead_relu.csv", classes=10)
    assert d.verdict == "stuck_at_init"
    acts = d.causes[0].actions
    assert acts[0].startswith("check the initialization and activations (dead ReLUs")
    assert acts[1].startswith("check that the targets depend on the inputs")
    said = " ".join(d.causes[0].evidence)
    assert "validation accuracy unchanged at 0.08889 over the last 18 epochs" in said
    assert "the same answer" in said
    # A live network at its chance level (NT-Xent on unpaired views: its accuracy moves every epoch) keeps the
    # labels (its pairs) first.
    unpaired = losslens.diagnose(read(ECO / "torch_contrastive" / "unpaired.json")[0])
    assert unpaired.causes[0].actions[0].startswith("check that the targets depend on the inputs")
    assert not any("the same answer" in e for e in unpaired.causes[0].evidence)


def test_a_fall_after_x_is_said_as_its_share_of_the_whole_improvement_too():
    # Training loss only, one row a step (read by epoch): 2.23 -> 0.0864 at epoch 7 (X: 95% of the improvement),
    # then on to 3.9e-05 -- "100% lower" of X's level, the last 3.9% of the whole improvement (2.4% when X's level
    # was read one point late, at epoch 8's 0.054).
    d = losslens.diagnose(DIR / "overfit_steps.csv")
    assert (d.verdict, d.plateau.epoch, d.metric) == ("converged", 7, "train_loss")
    went_on = next(e for e in d.causes[0].evidence if e.startswith("but it went on falling after epoch 7: 100% lower"))
    assert "yet only the last 3.9% of its whole improvement (X marks where 95% of it was made)" in went_on
    assert d.causes[0].actions[0].endswith("stopping at 7 would have given up 100% of its level there (3.9% of its "
                                           "whole improvement)")


def test_an_lr_from_hparams_yaml_is_said_where_it_came_from():
    # Lightning at SGD 1e-4 with no LearningRateMonitor: the summary's lr column reads hparams.yaml (0.0001) and the
    # evidence said "no learning rate in the log".
    from losslens.report.text import learning_rates

    d = losslens.diagnose(DIR / "lightning_lr_low", classes=10)
    assert d.verdict == "lr_too_low"
    assert learning_rates([d]) == [0.0001]
    said = [e for e in d.causes[0].evidence if "learning rate" in e and "log" in e]
    assert said and said[0].startswith("learning rate 0.0001 from hparams.yaml, not logged")
    assert not any(e.startswith("no learning rate in the log") for c in d.causes for e in c.evidence)


def test_a_slight_rise_says_what_the_best_weights_gain():
    # Validation 0.1389 (smoothed) -> 0.148: 0.51% of its improvement, 27 noise sds, training still falling. The
    # verdict stands (the rise is real); its size is said.
    d = losslens.diagnose(DIR / "small_rise.csv", classes=10)
    assert d.verdict == "overfitting"
    first = d.causes[0].evidence[0]
    assert "0.51% of its improvement" in first
    assert first.endswith("a slight rise: the best epoch's weights would lower val_loss by 6.4% from the end's")


def test_a_slight_rise_is_less_sure_than_a_clear_one_by_its_size_and_its_significance():
    # Old code: every one of these read 85%, as sure as the README's Keras run (4.3% of its improvement but 23% of
    # its minimum: no slight rise). A slight rise is surely there but says less about the plateau: the confidence
    # falls with its share of the improvement and with how far it clears its noise, never to a possibility's.
    def verdict(path):
        d = losslens.diagnose(path, classes=10)
        assert d.verdict == "overfitting"
        return d.causes[0]

    clear = verdict(Path(losslens.__file__).parent / "examples" / "keras_csvlogger.csv")
    assert "slight" not in clear.evidence[0] and clear.confidence > 0.84
    # Keras digits MLP, validation 0.1626 -> +7% of its improvement, 26 noise sds: near a clear rise.
    near = verdict(ECO / "keras_valsplit_sorted" / "digits_shuffled.csv")
    # The walk's digits MLP: 0.51% of its improvement at 27 sds.
    sliver = verdict(DIR / "small_rise.csv")
    # Keras Adam 0.005: 1.2% of its improvement at 1 noise sd, climbing at t = 3.1: only just told from its noise.
    barely = verdict(ECO / "keras_adam_spikes_first_half" / "cf_adam_0.005.csv")
    for c in (near, sliver, barely):
        assert "a slight rise" in c.evidence[0]
    assert clear.confidence > near.confidence > sliver.confidence >= barely.confidence
    assert clear.confidence - sliver.confidence > 0.05 and round(barely.strength, 3) == 0.5
    assert barely.strength > max(c.strength for c in losslens.diagnose(ECO / "keras_adam_spikes_first_half" /
                                                                        "cf_adam_0.005.csv", classes=10).causes[1:])


def test_a_blow_up_under_a_rising_lr_names_the_schedule_first():
    # LambdaLR(1.3 ** epoch): the logged lr 0.01 -> 0.179 at the lowest training loss (epoch 11) -> 26 by the NaN.
    d = losslens.diagnose(DIR / "lr_ramp.csv", classes=10)
    assert d.verdict == "diverged"
    ev = d.causes[0].evidence
    assert ev[0] == "train_loss became NaN/inf at epoch 30"
    assert ev[1].startswith("the logged learning rate rose before it blew up: 0.01 at epoch 0, 0.179 where "
                            "train_loss was lowest (0.01317 at epoch 11), 26.2 by the NaN at epoch 30, x1.3 each epoch")
    assert d.causes[0].actions[0].startswith("fix the learning-rate schedule")
    assert d.causes[0].actions[1] == "lower the learning rate"


def test_a_blow_up_at_a_constant_lr_says_nothing_of_a_schedule():
    # A torch RNN at a constant lr 0.05 (logged) whose gradients exploded (pathologies/explode_rnn.csv): clipping
    # stays first, no schedule named.
    d = losslens.diagnose(ECO / "pathologies" / "explode_rnn.csv")
    assert d.verdict == "diverged"
    assert d.causes[0].actions[0].startswith("gradient clipping")
    assert not any(a.startswith("fix the learning-rate schedule") for a in d.causes[0].actions)
    assert not any("rose before it blew up" in e for e in d.causes[0].evidence)
