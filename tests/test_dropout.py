"""A dropout rate the saved settings give, read as evidence and checked by retraining: Lightning's hparams.yaml
(``save_hyperparameters()``), a Transformers model's config.json; underfitting held by dropout leads a drift-only
lr_too_low reading that bent early (listed beside still_improving). Logs written by the real libraries: tests/fixtures/ecosystem/lightning_dropout/make.py (a
Trainer) and torch_reg_bend/make.py (a plain torch loop; drop_hp is its drop run beside an hparams.yaml)."""

from __future__ import annotations

from pathlib import Path

import losslens
from losslens.facts import measure

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
LT = ECO / "lightning_dropout"
BEND = ECO / "torch_reg_bend"


def _cause(d, cause):
    return next((c for c in d.causes if c.id == cause), None)


def test_the_dropout_a_lightning_module_saved_is_read():
    # DropNet(dropout=0.8) called save_hyperparameters(): hparams.yaml holds dropout, lr and width.
    drop = measure(losslens.read(LT / "drop0.8")[0]).dropout
    assert (drop.name, drop.value, drop.where) == ("dropout", 0.8, "hparams.yaml")
    assert measure(losslens.read(LT / "drop0.1")[0]).dropout.value == 0.1


def test_a_transformers_config_names_its_dropout():
    # BERT's config.json: hidden_dropout_prob and attention_probs_dropout_prob 0.1; GPT-2's resid_pdrop (and
    # embd_pdrop, attn_pdrop) 0.1. A rate, kept out of the settings that name the problem (a sweep's grouping).
    bert = losslens.read(ECO / "hf_two_problems" / "classifier" / "trainer_state.json")[0]
    assert bert.meta["dropout"] == {"name": "hidden_dropout_prob", "value": 0.1, "where": "config.json"}
    assert "hidden_dropout_prob" not in bert.meta["trainer_settings"]
    gpt2 = losslens.read(ECO / "hf_lm_beside" / "language_model" / "trainer_state.json")[0]
    assert measure(gpt2).dropout.name == "resid_pdrop"


def test_heavy_dropout_in_the_settings_leads_a_drift_reading():
    # torch_reg_bend's drop run (dropout 0.8, Adam 1e-3) beside an hparams.yaml naming the rate, no accuracy K given:
    # the curve alone reads lr_too_low 83%; dropout 0.1 ended validation 79% lower, lr x 10 higher (make.out). Old
    # code: lr_too_low, no underfitting listed, the rate unread.
    d = losslens.diagnose(BEND / "drop_hp")
    assert d.verdict == "underfitting"
    assert str(d).splitlines()[0].startswith("version_0: underfitting (held by dropout)")
    assert d.cause.actions[0].startswith("lower the dropout rate (dropout = 0.8; try a tenth of it)")
    assert d.cause.numbers["dropout"] == 0.8
    low = _cause(d, "lr_too_low")
    assert low.status == "possible" and low.confidence <= 0.5
    assert any(e.startswith("but dropout = 0.8 (hparams.yaml) holds") for e in low.evidence)
    # The same curve with no settings beside it keeps the drift's verdict.
    assert losslens.diagnose(BEND / "drop.csv").verdict == "lr_too_low"


def test_heavy_dropout_is_listed_beside_a_curve_still_falling():
    # The Lightning run at dropout 0.8 still falls 17% of its level over its last quarter: still_improving stands,
    # and underfitting held by dropout is listed beside it (dropout 0.1: val 0.400 -> 0.099; lr x 10: 0.810,
    # make.out). Old code: still_improving alone.
    d = losslens.diagnose(LT / "drop0.8")
    assert d.verdict == "still_improving"
    under = _cause(d, "underfitting")
    assert under is not None and under.status == "likely" and under.numbers["dropout"] == 0.8
    assert under.actions[0].startswith("lower the dropout rate (dropout = 0.8")
    # A light rate is no regularizer held: nothing said of it.
    light = losslens.diagnose(LT / "drop0.1")
    assert not any("dropout" in c.numbers for c in light.causes)
