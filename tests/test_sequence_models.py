"""Sequence models a user brings (a character-level language model, time-series forecasters), each run
by the real library with its counterfactual beside it (tests/fixtures/ecosystem/, README.md there)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"


def _end(path: Path) -> float:
    return float(np.median(json.loads(path.read_text())["val_loss"][-3:]))


def test_charlm_gap_widening_faster_than_validation_falls_is_not_a_small_step():
    # A char-level GRU at Adam 3e-3: validation still falls smoothly (18 noise sds over the last quarter),
    # which read "lr_too_low likely" and told the user to raise the lr. Training fell ~3x faster than
    # validation over that stretch; 10x the lr ended higher, twice the epochs lower.
    here = ECO / "torch_charlm_gap"
    base = _end(here / "run.json")
    assert _end(here / "lr10x.json") > 0.85 * base          # lr_too_low's prediction (>= 15% lower) fails
    assert _end(here / "epochs40.json") < 0.98 * base       # still_improving's (>= 2% lower) holds
    d = losslens.diagnose(here / "run.json")
    assert d.verdict == "still_improving" and d.plateau_epoch is None
    low = [c for c in d.causes if c.id == "lr_too_low"]
    assert low and low[0].status == "possible"
    assert any("gap widens faster than validation falls" in e for e in low[0].evidence)


def test_converged_quotes_the_gap_growing_since_the_plateau_when_validation_creeps_to_its_best():
    # A tiny Transformer char-LM under warm-up + cosine: validation flat from epoch 10 and at its best at the
    # end, training still falling. Measured from that best the gap "grew little (0.077%)": 0.872 at the best,
    # 0.873 at the end. Since the plateau it went 0.53 -> 0.87, and twice the epochs ended higher.
    here = ECO / "torch_tiny_transformer"
    assert _end(here / "epochs60.json") > _end(here / "run.json")
    d = losslens.diagnose(here / "run.json")
    assert d.verdict == "converged" and d.plateau_epoch == 10
    line = next(e for e in d.causes[0].evidence if "gap" in e)
    assert "since the plateau" in line and "at epoch 10" in line and "0.873 at the end" in line, line
    assert "grew little" not in line


def test_a_language_model_logging_perplexity_only_is_read_on_its_cross_entropy():
    # Lightning's CSVLogger with train_ppl / val_ppl and no loss: refused before ("no loss or accuracy
    # column"); now the loss each perplexity is the exp of, and said so under the verdict.
    path = ECO / "lightning_charlm_ppl" / "metrics.csv"
    [run] = losslens.read(str(path))
    for split in ("train", "val"):
        x, ppl = run.finite(f"{split}_ppl")
        x2, loss = run.finite(f"{split}_loss")
        assert np.array_equal(x, x2) and np.allclose(loss, np.log(ppl))
    assert run.meta["loss_from"] == {"train_loss": "ln(train_ppl)", "val_loss": "ln(val_ppl)"}
    d = losslens.diagnose(run)
    assert d.metric == "val_loss"
    assert any("val_loss is ln(val_ppl)" in e for e in d.causes[0].evidence)


def test_bits_per_char_is_the_loss_times_ln2_and_a_logged_loss_wins(tmp_path):
    rows = [(e, 4.0 / (1 + e), 4.2 / (1 + 0.8 * e)) for e in range(12)]
    p = tmp_path / "bpc.csv"
    p.write_text("epoch,train_bpc,valid_bpc\n" + "".join(f"{e},{a},{b}\n" for e, a, b in rows))
    [run] = losslens.read(str(p))
    assert np.allclose(run.finite("val_loss")[1], [b * np.log(2) for *_, b in rows])
    q = tmp_path / "both.csv"
    q.write_text("epoch,loss,val_loss,val_ppl\n" + "".join(f"{e},{a},{b},{np.exp(b) + 1}\n" for e, a, b in rows))
    [run] = losslens.read(str(q))
    assert np.allclose(run.finite("val_loss")[1], [b for *_, b in rows]) and "loss_from" not in run.meta


def _acc_end(path: Path) -> float:
    return float(np.median(json.loads(path.read_text())["val_accuracy"][-3:]))


def test_a_long_sequence_gru_at_chance_says_its_floor_is_a_guess():
    # A GRU must name the first of 60 tokens: validation accuracy at chance (1/4), the training loss crawling
    # just below ln 4. It read "converged: stop at epoch 1" with nothing about the guess. Twice the epochs,
    # twice the width and lr x10 stayed at chance; over 10 tokens the same model reached 100%.
    here = ECO / "torch_gru_long_sequence"
    for name in ("run", "epochs60", "wide64", "lr1e-2"):
        assert _acc_end(here / f"{name}.json") < 0.3, name
    assert _acc_end(here / "seq10.json") > 0.95
    d = losslens.diagnose(here / "run.json")
    assert d.verdict == "converged"
    assert any("at chance 1/4" in e and "a guess's" in e for e in d.causes[0].evidence)
    # One X: the header's first epoch (the curve never moved beyond its noise) is the epoch to stop at too.
    assert d.plateau_epoch == 0 and d.causes[0].actions[0].startswith("stop at epoch 0:"), d.causes[0].actions[0]
    assert any("long sequences" in a for a in d.causes[0].actions)
    # Trained on, the model memorises and the verdict is no_signal: its actions name the same check.
    longer = losslens.diagnose(here / "epochs60.json")
    assert longer.verdict == "no_signal" and any("long sequences" in a for a in longer.causes[0].actions)
