"""underfitting's "less regularization" names the weight decay or dropout rate a run's saved settings give, as
converged's, overfitting's and data_limited's "regularize" do (diagnosis._regularizers): it said the bare words
beside a logged decay of 0.1 and a Transformers config's dropout of 0.1, as though the run used none.

Logs: tests/fixtures/ecosystem/torch_reg_bend (make.py; a PyTorch loop writing metrics.csv and hparams.yaml) and
hf_lr_sweep (hf_two_problems/make.py: a Transformers Trainer's output folder, its config.json beside
trainer_state.json)."""

from __future__ import annotations

import json
from pathlib import Path

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"


def _under(d):
    return next(c for c in d.causes if c.id == "underfitting")


def test_a_logged_decay_said_first_is_not_followed_by_less_regularization_as_though_none_were_logged():
    # SGD 0.05 at coupled weight_decay 0.1 (hparams.yaml): the decay / 100 ended 84% lower (make.out). Its first
    # action names the decay; the bare "less regularization" after it read as some other regularizer to lower.
    hp = ECO / "torch_reg_bend" / "hp"
    assert "weight_decay: 0.1" in (hp / "version_0" / "hparams.yaml").read_text()  # (the premise: it is logged)
    under = _under(losslens.diagnose(hp, classes=10))
    assert under.actions[0] == "lower the weight decay (weight_decay = 0.1; try 1/100 of it)"
    assert not any(a.startswith("less regularization") for a in under.actions), under.actions
    assert sum("weight decay" in a for a in under.actions) == 1


def test_a_logged_dropout_is_named_with_a_rate_to_try():
    # A one-layer BERT at lr 3e-4, 4 epochs: training at 78% of ln 2, read still_improving with underfitting likely.
    # Its config.json gives hidden_dropout_prob 0.1 (the Trainer's weight_decay is its default 0).
    run = ECO / "hf_lr_sweep" / "lr3e-4"
    assert json.loads((run / "config.json").read_text())["hidden_dropout_prob"] == 0.1  # (the premise)
    under = _under(losslens.diagnose(run))
    assert "less regularization: lower dropout below the logged 0.1 (hidden_dropout_prob), e.g. to 0.01" \
        in under.actions, under.actions
    assert "less regularization" not in under.actions and "weight decay" not in " ".join(under.actions)


def test_a_run_that_logs_no_regularizer_keeps_the_bare_words():
    # A Keras CSVLogger file saves no setting: the words stay general (the control).
    d = losslens.diagnose(ECO / "keras_bottleneck" / "run.csv")
    assert d.verdict == "underfitting" and "less regularization" in _under(d).actions
