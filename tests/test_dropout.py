"""A dropout rate the saved settings give, read as evidence and checked by retraining: Lightning's hparams.yaml
(``save_hyperparameters()``), a Transformers model's config.json; underfitting held by dropout leads a drift-only
lr_too_low reading that bent early (listed beside still_improving), and verify retrains it with the rate / 10
(``dropout_factor``). Logs written by the real libraries: tests/fixtures/ecosystem/lightning_dropout/make.py (a
Trainer) and torch_reg_bend/make.py (a plain torch loop; drop_hp is its drop run beside an hparams.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
    # lr_too_low is not listed beside it: the bend is not contrasted with a small step.
    assert not any("step too small" in e for e in under.evidence)


def test_the_common_dropout_on_a_fitted_model_is_no_underfitting():
    # torch_reg_bend's drop5_hp: a 256-unit digits MLP at the default dropout 0.5, Adam 1e-3, training loss 0.044
    # at the end (2% of ln 10); dropout 0.05 ended validation higher, 0.0585 -> 0.071 (make.out). Old code: "also
    # likely: underfitting (60%) ... lower the dropout rate (dropout = 0.5 ...)" beside still_improving.
    d = losslens.diagnose(BEND / "drop5_hp")
    assert measure(losslens.read(BEND / "drop5_hp")[0]).dropout.value == 0.5
    assert d.verdict == "still_improving"
    assert _cause(d, "underfitting") is None
    assert not any("dropout" in c.numbers for c in d.causes)


def test_verify_lowers_the_dropout_it_names():
    from losslens.verification import checks_for

    held = [c for c in checks_for(losslens.diagnose(BEND / "drop_hp")) if c.cause == "underfitting"]
    assert held and all(c.change == {"dropout_factor": 0.1} for c in held)
    # Held by dropout or augmentation the log does not name (validation below training, errors as often): the
    # bigger model and, where train takes dropout_factor, the rate / 10 beside it.
    unnamed = [c for c in checks_for(losslens.diagnose(BEND / "drop.csv", classes=10)) if c.cause == "underfitting"]
    assert {c.name for c in unnamed} == {"a model twice the size", "dropout rate / 10"}
    assert all(c.optional for c in unnamed if "dropout_factor" in c.change)


def _digits_dropout(tmp: Path):
    """make.py's drop run (a 64-64-64-10 MLP on digits, dropout 0.8 after each hidden ReLU, Adam 1e-3, 50 epochs),
    logged by Lightning's CSVLogger (log_hyperparams: lr and dropout; the lr logged each epoch, as make.py's loop does)
    into a folder of ``tmp`` it returns."""

    def train(lr_factor=1.0, dropout_factor=1.0, seed=0):
        import torch
        import torch.nn as nn
        from lightning.pytorch.loggers import CSVLogger
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        torch.set_num_threads(1)
        X, y = load_digits(return_X_y=True)
        Xtr, Xva, ytr, yva = train_test_split(X / 16.0, y, test_size=0.3, random_state=0, stratify=y)
        Xtr, Xva = (torch.tensor(a, dtype=torch.float32) for a in (Xtr, Xva))
        ytr, yva = torch.tensor(ytr), torch.tensor(yva)
        torch.manual_seed(seed)
        p, lr = 0.8 * dropout_factor, 1e-3 * lr_factor
        layers, d = [], 64
        for _ in range(2):
            layers += [nn.Linear(d, 64), nn.ReLU(), nn.Dropout(p)]
            d = 64
        m = nn.Sequential(*layers, nn.Linear(d, 10))
        opt, lossf, g = torch.optim.Adam(m.parameters(), lr), nn.CrossEntropyLoss(), torch.Generator().manual_seed(seed)
        logger = CSVLogger(str(tmp), name=f"lr{lr_factor:g}_drop{dropout_factor:g}")
        logger.log_hyperparams({"lr": lr, "dropout": p})
        for ep in range(50):
            m.train()
            perm, tot = torch.randperm(len(Xtr), generator=g), 0.0
            for s in range(0, len(Xtr), 64):
                idx = perm[s:s + 64]
                opt.zero_grad()
                loss = lossf(m(Xtr[idx]), ytr[idx])
                loss.backward()
                opt.step()
                tot += loss.item() * len(idx)
            m.eval()
            with torch.no_grad():
                val = lossf(m(Xva), yva).item()
            logger.log_metrics({"epoch": ep, "train_loss": tot / len(Xtr), "val_loss": val, "lr": lr}, step=ep)
        logger.save()
        return Path(logger.log_dir)

    return train


@pytest.mark.slow
def test_verify_confirms_underfitting_held_by_dropout(tmp_path):
    # The baseline's hparams.yaml names dropout 0.8: underfitting held by dropout leads, and verify retrains the
    # rate / 10 (0.08) in place of a bigger model: both losses far lower; lr x 10 ends higher. Old code: verify
    # checked lr_too_low alone (x 10: not confirmed) and no keyword lowered the dropout.
    rep = losslens.verify(_digits_dropout(tmp_path), causes=["lr_too_low", "underfitting"], seeds=[0])
    assert rep.diagnosis.verdict == "underfitting"
    under = [r for r in rep.results if r.check.cause == "underfitting"]
    assert under and {r.check.name for r in under} == {"dropout rate / 10"}
    assert all(r.holds for r in under)
    val = next(r for r in under if r.check.metric != "train_loss")
    assert val.change_rel < -0.5
    assert rep.holds("lr_too_low") is False
    assert rep.confirmed is True
    assert "dropout_factor=0.1" in str(rep) or "dropout rate / 10" in str(rep)


def test_compare_reads_the_dropout_change_from_the_saved_settings():
    # drop0.8 -> drop0.1, each hparams.yaml saved by save_hyperparameters(): the change is dropout_factor=0.125, read
    # as underfitting's dropout rate / 10, and its prediction holds (val -78.4%, train -95.8%). Old code: "the change
    # is not named: the logs save no setting that differs", exit 2.
    c = losslens.compare(LT / "drop0.8", LT / "drop0.1")
    assert c.change == {"dropout_factor": 0.125}
    held = [r for r in c.results if r.check.cause == "underfitting"]
    assert held and all(r.holds for r in held)
    assert "dropout 0.8 → 0.1" in str(c)


def test_compare_reads_dropout_removed_and_added(tmp_path):
    # drop0.8 against drop0.1 saved with dropout 0.0: dropout removed states no factor, so it is read as a decay
    # removed is (dropout_factor 0) and checked by underfitting's "lower the dropout" prediction, which holds (train
    # and val end lower). The other way, dropout added: read, and no cause's prediction matches it. Old code: a rate
    # of 0 was left out, "the change is not named: the logs save no setting that differs", exit 2.
    import shutil

    shutil.copytree(LT / "drop0.8", tmp_path / "d08")
    shutil.copytree(LT / "drop0.1", tmp_path / "d0")
    hp = tmp_path / "d0" / "hparams.yaml"
    hp.write_text(hp.read_text().replace("dropout: 0.1", "dropout: 0.0"))
    c = losslens.compare(tmp_path / "d08", tmp_path / "d0")
    assert c.unknown is None and c.change == {"dropout_factor": 0.0}
    assert "dropout removed (dropout 0.8 → 0 (hparams.yaml))" in str(c)
    held = [r for r in c.results if r.check.cause == "underfitting"]
    assert held and all(r.holds for r in held)
    assert c.to_dict()["compare"]["change"] == {"dropout_factor": 0.0}
    back = losslens.compare(tmp_path / "d0", tmp_path / "d08")
    assert back.change == {"dropout_factor": float("inf")} and "dropout added" in str(back)
    assert back.to_dict()["compare"]["change"] == {"dropout_factor": None}  # (JSON has no inf)


def test_the_torch_monitor_reads_the_dropout_modules_live():
    # make.py's drop network in a plain loop under losslens' Monitor, given the model: it reads the nn.Dropout
    # modules' p (0.8) as the callbacks read a weight decay off the optimizer, and the live diagnosis names it. Old
    # code: the Monitor read no dropout, the rate in no log.
    import torch
    import torch.nn as nn
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from torch_loops import minibatch_epoch

    from losslens.integrations.torch import Monitor

    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = train_test_split(X / 16.0, y, test_size=0.3, random_state=0, stratify=y)
    Xtr, Xva = (torch.tensor(a, dtype=torch.float32) for a in (Xtr, Xva))
    ytr, yva = torch.tensor(ytr), torch.tensor(yva)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.8), nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.8),
                          nn.Linear(64, 10))
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    mon = Monitor(model, opt, verbose=0)
    for epoch in range(50):
        model.train()
        minibatch_epoch(model, opt, Xtr, ytr, nn.functional.cross_entropy, 64, torch.Generator().manual_seed(epoch),
                        mon.step)
        model.eval()
        with torch.no_grad():
            val = nn.functional.cross_entropy(model(Xva), yva)
        mon.epoch_end(val_loss=val)
    mon.finish()
    assert mon.run().meta["dropout"] == {"name": "Dropout p", "value": 0.8, "where": "torch modules"}
    under = _cause(mon.diagnosis, "underfitting")
    assert under is not None and under.numbers["dropout"] == 0.8, [c.id for c in mon.diagnosis.causes]
    assert under.actions[0].startswith("lower the dropout rate (Dropout p = 0.8")


def test_the_keras_callback_reads_its_dropout_layers():
    # A Keras 3 model with Dropout(0.8) and Dropout(0.3): the callback keeps the largest rate, as it keeps the largest
    # L2 factor. Old code: no dropout in the run's meta.
    import numpy as np

    keras = pytest.importorskip("keras")
    from losslens.integrations.keras import LosslensCallback

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 8)).astype("float32"), rng.integers(0, 2, 64)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dropout(0.8),
                              keras.layers.Dense(16, activation="relu"), keras.layers.Dropout(0.3),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    cb = LosslensCallback(verbose=0)
    model.fit(x, y, validation_split=0.25, epochs=3, verbose=0, callbacks=[cb])
    assert cb.run().meta["dropout"] == {"name": "Dropout rate", "value": 0.8, "where": "Keras layers"}


def test_the_keras_callback_reads_alpha_and_gaussian_dropout_and_forgets_a_model_without():
    # AlphaDropout and GaussianDropout are no keras.layers.Dropout subclasses; GaussianDropout's rate is a drop rate
    # (its noise's sd sqrt(rate / (1 - rate)) is a Dropout's at that rate). The callback reused for a second fit on
    # a model with neither dropout nor L2 keeps neither. Old code: the 0.2 Dropout read (not GaussianDropout's 0.7),
    # and the second fit kept the first model's dropout and weight decay.
    import numpy as np

    keras = pytest.importorskip("keras")
    from losslens.integrations.keras import LosslensCallback

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 8)).astype("float32"), rng.integers(0, 2, 64)
    keras.utils.set_random_seed(0)
    dense = keras.layers.Dense
    model = keras.Sequential([keras.Input((8,)), dense(16, activation="selu"), keras.layers.AlphaDropout(0.6),
                              dense(16, activation="relu", kernel_regularizer=keras.regularizers.L2(0.01)),
                              keras.layers.GaussianDropout(0.7), keras.layers.Dropout(0.2),
                              dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    cb = LosslensCallback(verbose=0)
    model.fit(x, y, validation_split=0.25, epochs=2, verbose=0, callbacks=[cb])
    assert cb.run().meta["dropout"] == {"name": "GaussianDropout rate", "value": 0.7, "where": "Keras layers"}
    assert cb.run().meta["weight_decay"]["value"] == pytest.approx(0.01)
    alpha = keras.Sequential([keras.Input((8,)), dense(16, activation="selu"), keras.layers.AlphaDropout(0.6),
                              dense(2, activation="softmax")])
    alpha.compile("adam", "sparse_categorical_crossentropy")
    alpha.fit(x, y, validation_split=0.25, epochs=2, verbose=0, callbacks=[cb])
    assert cb.run().meta["dropout"] == {"name": "AlphaDropout rate", "value": 0.6, "where": "Keras layers"}
    plain = keras.Sequential([keras.Input((8,)), dense(16, activation="relu"), dense(2, activation="softmax")])
    plain.compile("adam", "sparse_categorical_crossentropy")
    plain.fit(x, y, validation_split=0.25, epochs=2, verbose=0, callbacks=[cb])
    assert "dropout" not in cb.run().meta and "weight_decay" not in cb.run().meta


def test_a_torch_model_given_only_to_step_is_read_and_restored():
    # Monitor(optimizer=...) told its model only through step(model=...): its dropout is read and, with
    # restore_best_weights, the best weights kept and put back at finish(). A 64-256-10 MLP with Dropout(0.1) on 100
    # digits at Adam 1e-2 overfits: val_loss passes its best well before the last epoch. Old code: no dropout
    # in meta and the last weights left in the model.
    import numpy as np
    import torch
    import torch.nn as nn
    from sklearn.datasets import load_digits
    from torch_loops import minibatch_epoch

    from losslens.integrations.torch import Monitor

    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    X = torch.tensor(X / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    Xtr, ytr, Xva, yva = X[:100], y[:100], X[1000:1400], y[1000:1400]
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Dropout(0.1), nn.Linear(256, 10))
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    mon = Monitor(optimizer=opt, restore_best_weights=True, verbose=0)
    vals, states = [], []
    for epoch in range(30):
        model.train()
        minibatch_epoch(model, opt, Xtr, ytr, nn.functional.cross_entropy, 32, torch.Generator().manual_seed(epoch),
                        lambda loss: mon.step(loss, model=model))
        model.eval()
        with torch.no_grad():
            vals.append(float(nn.functional.cross_entropy(model(Xva), yva)))
        states.append({k: v.clone() for k, v in model.state_dict().items()})
        mon.epoch_end(val_loss=vals[-1])
    mon.finish()
    assert mon.run().meta["dropout"] == {"name": "Dropout p", "value": 0.1, "where": "torch modules"}
    best = int(np.argmin(vals))
    assert best < len(vals) - 3 and vals[-1] > vals[best] * 1.05, vals  # (the run overfit: a best to restore)
    now = model.state_dict()
    assert all(torch.equal(now[k], states[best][k]) for k in now)


@pytest.mark.slow
def test_compare_takes_dropout_factor_0_as_dropout_removed(tmp_path):
    # "--change dropout_factor=0" is the natural counterfactual for "lower the dropout", and was refused ("a finite
    # factor above 0") where the saved settings' 0 was already read as dropout removed. make.py's drop network
    # trained by the plain torch loop above at dropout 0.8 and at dropout_factor=0 (nn.Dropout(0.0): no unit is
    # dropped), AFTER's settings not saved, so only --change names the change: underfitting's "lower the dropout"
    # reading holds on both losses.
    import torch.nn as nn
    from typer.testing import CliRunner

    from losslens.cli import app

    made = []
    real = nn.Dropout.__init__

    def spy(self, p=0.5, *args, **kwargs):
        made.append(p)
        real(self, p, *args, **kwargs)

    train = _digits_dropout(tmp_path)
    before = train()
    nn.Dropout.__init__ = spy
    try:
        after = train(dropout_factor=0.0)
    finally:
        nn.Dropout.__init__ = real
    assert made and all(p == 0 for p in made)  # the retraining really ran without dropout
    (after / "hparams.yaml").unlink()
    res = CliRunner().invoke(app, ["compare", str(before), str(after), "--change", "dropout_factor=0"])
    assert res.exit_code == 0, res.output
    assert "change: dropout removed (given)" in res.output, res.output
    c = losslens.compare(before, after, change={"dropout_factor": 0})
    held = [r for r in c.results if r.check.cause == "underfitting"]
    assert c.change == {"dropout_factor": 0.0} and held and all(r.holds for r in held), str(c)


def test_compare_takes_decay_factor_0_as_the_decay_removed():
    # The weight decay as the dropout (compare_weight_decay: a Lightning MLP at AdamW 0.1 and at 0, each saved in
    # its hparams.yaml, which agrees with the change given: no note). Old code: "a finite factor above 0", exit 2.
    from typer.testing import CliRunner

    from losslens.cli import app

    wd = ECO / "compare_weight_decay"
    c = losslens.compare(wd / "wd0.1", wd / "wd0", change="decay_factor=0")
    assert c.change == {"decay_factor": 0.0} and "weight decay removed (given)" in str(c) and not c.notes, str(c)
    res = CliRunner().invoke(app, ["compare", str(wd / "wd0.1"), str(wd / "wd0"), "--change", "decay_factor=0"])
    assert "change: weight decay removed (given)" in res.output, res.output
    # An lr, a length, a width or a data size of 0 trains nothing: still refused, in one line.
    refused = CliRunner().invoke(app, ["compare", str(wd / "wd0.1"), str(wd / "wd0"), "--change", "lr_factor=0"])
    assert refused.exit_code == 2 and "a finite factor above 0" in refused.output, refused.output
