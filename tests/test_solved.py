"""A task solved on the validation set (accuracy at 100%) while its cross-entropy creeps toward 0: the report leads
with "solved, stop here", not "raise the learning rate" / "keep training". Files written by Keras 3's CSVLogger
(keras_solved/make.py) and by losslens' torch Monitor (torch_gru_long_sequence/seq10.json)."""
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.report.text import render_text

ECO = Path(__file__).parent / "fixtures" / "ecosystem"


def _diagnose(path):
    return losslens.diagnose(str(path))


@pytest.mark.parametrize("name, n, since", [("digits01.log", 108, 4), ("iris_setosa.log", 45, 21),
                                             ("separable.log", 180, 13)])
def test_keras_solved_leads_with_stop(name, n, since):
    d = _diagnose(ECO / "keras_solved" / name)
    # The loss does still fall (twice the epochs: 0.0097 -> 0.0038 on digits01), so the verdict names that ...
    assert d.verdict == "still_improving" and d.plateau is None
    c = d.causes[0]
    assert c.numbers["solved_since"] == since and (c.numbers.get("n_val") or c.numbers.get("acc_step")) == n
    # ... but the advice is the solved task's: stop, and check the validation set.
    assert c.actions[0].startswith("stop here: the task is solved")
    assert "leaked" in c.actions[1]
    assert not any("raise the learning rate" in a or a.startswith("keep training") for a in c.actions)
    assert all(x.status == "possible" for x in d.causes if x.id == "lr_too_low")
    text = render_text(d)
    assert text.splitlines()[0].startswith(f"{name[:-4]}: solved")
    assert f"scored on {n} examples" in text
    # 45 examples: 0 errors still allow 6.7% (rule of three); said as weak evidence, not for 108 or 180.
    assert ("weak evidence" in text) == (n < 60)
    # iris: training accuracy 0.990 beside validation's 1.000 -- the held-out set is the easier one.
    assert ("training accuracy ends lower" in text) == (name == "iris_setosa.log")


def test_interventions_move_the_loss_not_the_accuracy():
    """The counterfactuals of keras_solved/make.py: twice the epochs and lr x10 lower the loss, not the accuracy."""
    runs = {p: losslens.read(str(ECO / "keras_solved" / p))[0] for p in
            ("digits01.log", "digits01_e80.log", "digits01_lr1e-2.log")}
    base = runs["digits01.log"]
    for p, r in runs.items():
        assert np.all(r.series["val_acc"][-10:] == 1.0)
    assert runs["digits01_e80.log"].series["val_loss"][-1] < 0.5 * base.series["val_loss"][-1]
    assert runs["digits01_lr1e-2.log"].series["val_loss"][-1] < 0.1 * base.series["val_loss"][-1]


def test_torch_monitor_gru_solved_is_not_lr_too_low():
    d = _diagnose(ECO / "torch_gru_long_sequence" / "seq10.json")
    assert d.verdict == "still_improving"
    assert d.causes[0].numbers["solved_since"] == 4
    assert d.causes[0].actions[0].startswith("stop here")
    assert "1/1000" in render_text(d)


def test_training_accuracy_alone_is_not_solved():
    """100% on training data only is memorising: the digits MLP that overfits 300 images."""
    d = _diagnose(ECO / "walkthrough_keras_still_falling" / "training.log")
    r = losslens.read(str(ECO / "walkthrough_keras_still_falling" / "training.log"))[0]
    assert np.nanmax(r.series["train_acc"]) >= 0.999 and np.nanmax(r.series["val_acc"]) < 0.999
    assert all("solved_since" not in c.numbers for c in d.causes)
    assert not render_text(d).splitlines()[0].split(": ", 1)[1].startswith("solved")


def test_converged_at_a_floor_says_solved():
    """Label smoothing gives the loss a floor: it flattens (twice the epochs: 0.2035 -> 0.2026), the verdict is
    converged, and the report adds that every validation prediction is right -- no "to go lower" advice."""
    d = _diagnose(ECO / "keras_solved" / "digits01_smooth.log")
    assert d.verdict == "converged" and d.plateau is not None
    c = d.causes[0]
    assert c.numbers["solved_since"] == 0
    assert any("solved on this validation set" in e for e in c.evidence)
    assert "leaked" in c.actions[-1] and not any("to go lower" in a for a in c.actions)
    longer = losslens.read(str(ECO / "keras_solved" / "digits01_smooth_e80.log"))[0]
    assert longer.series["val_loss"][-1] > 0.99 * d.run.series["val_loss"][-1]


def test_lightning_csvlogger_solved():
    """Lightning's CSVLogger (val_acc a batch-size-weighted mean: still multiples of 1/108). Twice the epochs
    (epochs_60/) lowered the validation loss 0.019 -> 0.0064 with the accuracy at 1.000 throughout."""
    d = _diagnose(ECO / "lightning_solved" / "lr_1e-3" / "metrics.csv")
    assert d.verdict == "still_improving" and d.causes[0].numbers["solved_since"] == 4
    assert d.causes[0].actions[0].startswith("stop here")
    assert "scored on 108 examples" in render_text(d)
    longer = losslens.read(str(ECO / "lightning_solved" / "epochs_60" / "metrics.csv"))[0]
    acc = longer.series["val_acc"][np.isfinite(longer.series["val_acc"])]
    loss = longer.series["val_loss"][np.isfinite(longer.series["val_loss"])]
    assert np.all(acc[4:] == 1.0) and loss[-1] < 0.5 * loss[29]


def test_the_html_card_and_a_headline_with_x_say_solved():
    """The HTML card showed a bare "still improving" above the solved evidence; and a still_improving verdict that
    keeps an X headlines "still improving slowly", which would have replaced the solved headline."""
    import dataclasses

    from losslens.report.html import card_html
    from losslens.result import Plateau

    d = _diagnose(ECO / "keras_solved" / "digits01.log")
    card = card_html(d)
    verdict_div = card[card.index('class="ll-verdict"'):card.index("</div>")]
    assert "solved" in verdict_div
    with_x = dataclasses.replace(d, plateau=Plateau(20.0, (18.0, 24.0), float(d.causes[0].numbers.get("level", 0.01))))
    assert render_text(with_x).splitlines()[0].startswith("digits01: solved"), render_text(with_x).splitlines()[0]


def _replay(path, **options):
    """Feed a Keras CSVLogger file to the callbacks' Watcher epoch by epoch, as the callback would have seen it."""
    from losslens.integrations._core import Watcher

    run = losslens.read(str(path))[0]
    # (time_budget_ms=None: the decisions by rule, whatever the machine's speed)
    w = Watcher(verbose=0, framework="keras", time_budget_ms=None, horizon=float(run.axis[-1]), **options)
    keys = {"loss": "train_loss", "val_loss": "val_loss", "accuracy": "train_acc", "val_accuracy": "val_acc"}
    for i, e in enumerate(run.axis):
        if w.end_epoch(int(e), {k: float(run.series[v][i]) for k, v in keys.items()}, lr=1e-3).stop:
            break
    w.end_training()
    return w


@pytest.mark.parametrize("name, since", [("digits01.log", 4), ("iris_setosa.log", 21), ("separable.log", 13)])
def test_the_callbacks_report_a_solved_task_once_and_stop_on_it_under_converged(name, since):
    """The callback said nothing while the task sat at 100% (still_improving is too quiet to report live) and, under
    stop_on=("converged",), ran all 40 epochs while its own final report said "stop here"."""
    path = ECO / "keras_solved" / name
    quiet = _replay(path)
    solved = [r for r in quiet.reports if r.get("solved")]
    assert len(solved) == 1 and since + 2 <= solved[0]["epoch"] <= since + 8, quiet.reports
    said = [m for m in quiet.messages if ": solved (validation accuracy at its ceiling)" in m]
    assert len(said) == 1 and "Try: stop here" in said[0]
    assert not quiet.actions   # reports only: stop_on is empty by default
    stopping = _replay(path, stop_on=("converged",))
    assert stopping.stopped_epoch == solved[0]["epoch"] < 39
    assert stopping.actions == [{"action": "stop", "epoch": stopping.stopped_epoch, "cause": "still_improving",
                                 "solved": True}]
    run = losslens.read(str(path))[0]
    assert np.all(run.series["val_acc"][stopping.stopped_epoch:] == 1.0)   # nothing left to gain by going on


@pytest.mark.framework
def test_a_live_keras_fit_stops_once_the_task_is_solved(one_torch_thread):
    """The run of keras_solved/make.py (digits 0 vs 1, Dense(16), Adam(1e-3)) with LosslensCallback: it stops a few
    epochs after validation accuracy reached 100%; the 40-epoch run shows it stays there (twice the epochs too)."""
    import os
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import importlib.util

    import keras

    from losslens.integrations.keras import LosslensCallback

    spec = importlib.util.spec_from_file_location("keras_solved_make", ECO / "keras_solved" / "make.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    Xtr, Xva, ytr, yva = make.data("digits01")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((Xtr.shape[1],)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    cb = LosslensCallback(stop_on=("converged",), verbose=0, save_path=None, time_budget_ms=None)
    h = model.fit(Xtr, ytr, validation_data=(Xva, yva), epochs=40, batch_size=32, verbose=0, callbacks=[cb])
    assert cb.stopped_epoch is not None and cb.stopped_epoch < 15, cb.messages
    assert h.history["val_accuracy"][-1] == 1.0 and cb.reports[-1].get("solved")


AGREE = ECO / "torch_walk46_agree"


def test_jumps_it_came_back_from_before_solved_are_no_lr_verdict():
    """Walk 46's wine MLP (torch, Adam 3e-3, 80 epochs, 54 validation examples): val_loss jumped at epochs 13 and 18
    and came back, validation accuracy within one example of 100% from epoch 19, val_loss ending 2.5e-06. It read
    "lr_too_high: lower the learning rate"; lr / 10 (wine_lr10/) ended at 1.0e-03, 400x higher, no more accurate.
    The solved reading now takes it: converged, solved since 19, lr_too_high a possibility."""
    lower = losslens.read(str(AGREE / "wine_lr10" / "metrics.csv"))[0]
    d = _diagnose(AGREE / "wine")
    assert lower.series["val_loss"][-1] > 100 * d.run.series["val_loss"][-1]
    assert d.verdict == "converged"
    c = d.causes[0]
    assert c.numbers["solved_since"] == 19
    assert any("solved on this validation set" in e for e in c.evidence)
    assert "leaked" in c.actions[-1] and not any("to go lower" in a or "learning rate" in a for a in c.actions)
    [high] = [x for x in d.causes if x.id == "lr_too_high"]
    assert high.status == "possible" and high.confidence <= 0.4
    assert "the last at epoch 18, before epoch 19" in high.evidence[-1]


def test_a_loss_falls_no_more_than_all_of_it():
    """The wine run's val_loss fell 6.3e-06 -> 2.5e-06 over its last quarter: "146% lower" (the fall as a share of
    where it ended). Said as a share of where the quarter began: 59% lower."""
    import re

    text = render_text(_diagnose(AGREE / "wine"))
    assert "59% lower over the last quarter" in text
    assert all(float(v) <= 100 for v in re.findall(r"([\d.]+)% lower", text)), text
