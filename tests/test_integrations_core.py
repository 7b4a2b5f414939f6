"""What every callback shares: no framework import, parameter checks, the saved file."""

import json
import subprocess
import sys

import numpy as np
import pytest

FRAMEWORKS = ("torch", "keras", "lightning", "pytorch_lightning", "transformers", "tensorflow", "jax",
              "tensorboard", "mlflow", "wandb", "tbparse")


def test_import_losslens_imports_no_framework(tmp_path):
    log = tmp_path / "history.csv"
    log.write_text("epoch,loss,val_loss\n" + "".join(f"{e},{1 / (e + 1)},{1.1 / (e + 1)}\n" for e in range(20)))
    code = (
        "import sys, losslens, losslens.integrations, losslens.integrations._core\n"
        f"losslens.diagnose({str(log)!r})\n"
        f"print(sorted(m for m in {FRAMEWORKS!r} if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_unknown_causes_and_modes_are_refused():
    from losslens.integrations._core import Watcher

    with pytest.raises(ValueError, match="unknown cause"):
        Watcher(stop_on=("convergd",))
    # one line, as --fail-on words it, with the near name (a typo got the list alone)
    with pytest.raises(ValueError) as e:
        Watcher(stop_on="overfitt")
    assert str(e.value).startswith("stop_on: unknown cause 'overfitt'; choose from ")
    assert str(e.value).endswith("; did you mean overfitting?")
    with pytest.raises(ValueError, match="^reduce_lr_on: unknown cause 'lr_too_hi'.*did you mean lr_too_high[?]$"):
        Watcher(reduce_lr_on=("lr_too_hi",))
    with pytest.raises(ValueError, match="mode"):
        Watcher(mode="lowest")
    assert Watcher(monitor="val_accuracy").mode == "max"
    # mode="auto" reads the direction as the diagnosis does: a Dice score or a reward rises
    assert Watcher(monitor="val_dice_coef").mode == "max" and Watcher(monitor="ep_rew_mean").mode == "max"
    assert Watcher(monitor="val_mean_absolute_error").mode == "min"
    assert Watcher(monitor="loss").monitor_key == "train_loss"


def test_watcher_saves_keras_history_json_that_losslens_reads(tmp_path):
    import losslens
    from losslens.integrations._core import Watcher

    path = tmp_path / "sub" / "run.json"
    w = Watcher(save_path=path, verbose=0, framework="test")
    for e in range(6):
        w.end_epoch(e, {"loss": 1 / (e + 1), "val_loss": None if e == 2 else 1.2 / (e + 1),
                        "accuracy": 0.5 + e / 20, "custom_metric": e})
    saved = json.loads(path.read_text())
    assert saved["epoch"] == [0, 1, 2, 3, 4, 5]
    assert saved["val_loss"][2] is None and saved["loss"][0] == 1.0
    assert set(saved) == {"epoch", "loss", "val_loss", "accuracy", "custom_metric", "meta"}
    assert saved["custom_metric"] == [0, 1, 2, 3, 4, 5]
    assert saved["meta"]["framework"] == "test" and saved["meta"]["format"] == "losslens.run/1"
    [run] = losslens.read(path)
    assert run.train_acc[-1] == pytest.approx(0.75)
    np.testing.assert_array_equal(run.get("custom_metric"), [0, 1, 2, 3, 4, 5])
    np.testing.assert_allclose(run.series["val_loss"], [1.2 / (e + 1) if e != 2 else np.nan for e in range(6)])


def test_stop_gain_is_held_while_a_schedule_runs_and_released_when_it_is_over():
    """The Watcher fed a curve that falls, then flattens at lr 0.1 (forecast gain < 1% to epoch 59),
    while a schedule attached says it will still change the lr: stop_gain did stop there. It holds
    now (one note), stops once the schedule says it is over and an epoch was trained at its last lr,
    and quotes the gain it decided on. A schedule that cannot tell (raises) reads as running."""
    from losslens.integrations._core import LRSchedule, Watcher

    rng = np.random.default_rng(0)
    curve = 0.1 + np.exp(-np.arange(60) / 3) + 0.002 * rng.normal(size=60)

    def feed(over_from, running_when_not_over=True):
        w = Watcher(stop_gain=0.01, horizon=59, verbose=0, framework="test")
        for e, v in enumerate(curve):
            lr = 0.1 if e < over_from else 0.01
            running = running_when_not_over if e < over_from else False
            if w.end_epoch(e, {"loss": v, "val_loss": v}, lr=lr, schedule=LRSchedule("StepDown", running=running)).stop:
                break
        return w

    free = Watcher(stop_gain=0.01, horizon=59, verbose=0, framework="test")
    unscheduled = next(e for e, v in enumerate(curve) if free.end_epoch(e, {"loss": v, "val_loss": v}, lr=0.1).stop)
    assert unscheduled < 30
    held = feed(over_from=30)
    assert held.stopped_epoch == 31   # the lr changed at 30: two epochs recorded at it, one trained
    assert sum("still runs: not stopping" in m for m in held.messages) == 1
    assert held.actions[-1]["cause"] == "forecast" and held.actions[-1]["gain"] < 0.01
    assert feed(over_from=60, running_when_not_over=lambda: 1 / 0).stopped_epoch is None


def test_lightning_per_step_check_falls_back_without_the_private_api():
    """Which names training_step logs per step only is read off trainer._results (Lightning's, private).
    Without it (or with entries that carry no meta) the callback records the loss as logged, as
    before that check, and says once that it cannot tell."""
    import warnings
    from types import SimpleNamespace

    torch = pytest.importorskip("torch")
    pytest.importorskip("lightning.pytorch")
    from losslens.integrations.lightning import LosslensCallback, _per_step_only

    meta = SimpleNamespace(name="train_loss", on_step=True, on_epoch=False)
    assert _per_step_only(SimpleNamespace(_results={"a": SimpleNamespace(meta=meta)})) == ["train_loss"]
    module = SimpleNamespace(automatic_optimization=True)
    for fake in (SimpleNamespace(accumulate_grad_batches=1),
                 SimpleNamespace(accumulate_grad_batches=1, _results={"a": object()})):
        assert _per_step_only(fake) is None
        cb = LosslensCallback(save_path=None, verbose=0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(2):
                cb.on_train_batch_end(fake, module, {"loss": torch.tensor(0.9)}, None, 0)
                cb.on_train_batch_end(fake, module, {"loss": torch.tensor(0.5)}, None, 1)
                logs = {"train_loss": 0.5, "val_loss": 0.6}
                cb._epoch_train_loss(fake, module, logs)
                assert logs["train_loss"] == 0.5   # as logged, not the mean 0.7
        ours = [str(w.message) for w in caught if "losslens" in str(w.message)]
        assert len(ours) == 1 and "cannot tell whether the training loss is logged per step only" in ours[0]
        assert "on_epoch=True" in ours[0]
    quiet = LosslensCallback(save_path=None, verbose=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet._epoch_train_loss(SimpleNamespace(), module, {"val_loss": 0.6})   # no training loss logged
    assert not [w for w in caught if "losslens" in str(w.message)]


def test_a_converged_report_under_a_running_schedule_does_not_advise_stopping():
    """The live report said 'Try: stop at epoch 5: more epochs will not lower the loss' while the
    schedule (held by the callback) was still to lower the lr; the run then fell 5x further. The
    report now says what the schedule will do; without a schedule it keeps the advice."""
    from losslens.integrations._core import LRSchedule, Watcher

    rng = np.random.default_rng(0)
    curve = 0.1 + np.exp(-np.arange(30) / 3) + 0.002 * rng.normal(size=30)

    def reports(schedule):
        # (time_budget_ms=None: which epochs a paced report check lands on depends on the machine's speed)
        w = Watcher(verbose=0, framework="test", time_budget_ms=None)
        for e, v in enumerate(curve):
            w.end_epoch(e, {"loss": v, "val_loss": v}, lr=0.1, schedule=schedule)
        return [r for r in w.messages if "converged" in r and r.startswith("losslens (test")]

    held = reports(LRSchedule("StepLR", running=True))
    assert held and all("Try: stop" not in r and "(StepLR) will still lower the lr" in r for r in held), held
    free = reports(None)
    assert free and any("Try: stop" in r for r in free), free


def test_a_converged_report_during_a_warm_up_says_the_lr_still_rises():
    """A Trainer at constant_with_warmup, flat at step 152 of its 160-step warm-up, was told its schedule "will still
    lower the lr": the lr was rising. The sentence follows the schedule's phase: warming up (the adapter says so, or
    the lrs recorded rise), or a decay still ahead (the sentence as before)."""
    from losslens.integrations._core import LRSchedule, Watcher

    rng = np.random.default_rng(0)
    curve = 0.1 + np.exp(-np.arange(30) / 3) + 0.002 * rng.normal(size=30)

    def reports(schedule, lr):
        w = Watcher(verbose=0, framework="test", time_budget_ms=None)
        for e, v in enumerate(curve):
            w.end_epoch(e, {"loss": v, "val_loss": v}, lr=lr(e), schedule=schedule)
        return [r for r in w.messages if "converged" in r and r.startswith("losslens (test")]

    for schedule, lr in [(LRSchedule("LinearLR", running=True), lambda e: 1e-4 * (e + 1)),
                         (LRSchedule("constant_with_warmup", running=True, warming=True), lambda e: 1e-3)]:
        held = reports(schedule, lr)
        assert held and all(f"({schedule.name}) is still warming the lr up to its peak" in r
                            and "will still lower" not in r for r in held), held
    falling = reports(LRSchedule("ExponentialLR", running=True), lambda e: 0.1 * 0.99 ** e)
    assert falling and all("(ExponentialLR) will still lower the lr" in r and "warming" not in r
                           for r in falling), falling


def test_the_trainers_schedule_says_when_it_is_warming_up(tmp_path):
    """What the Transformers callback tells the Watcher of a Trainer's schedule, from real TrainingArguments: warming
    up while ``global_step`` is short of its warm-up steps; after it a constant_with_warmup is over, a linear decay
    still runs."""
    transformers = pytest.importorskip("transformers")
    from losslens.integrations.transformers import _schedule

    def read(kind, step):
        args = transformers.TrainingArguments(output_dir=str(tmp_path), lr_scheduler_type=kind, warmup_steps=160,
                                              report_to=[], use_cpu=True)
        s = _schedule(args, transformers.TrainerState(global_step=step, max_steps=384), {})
        return s.warming, s.running

    assert read("constant_with_warmup", 152) == (True, True)
    assert read("constant_with_warmup", 200) == (False, False)
    assert read("linear", 152) == (True, True)
    assert read("linear", 200) == (False, True)


# What the Lightning run of test_integrations_lightning.py's test_a_stop_gain_stop_and_the_final_report_tell_one_story
# logged (a 64-wide MLP on digits, SGD(0.3), seed 0) over all 40 epochs, without stop_gain.
DIGITS_SGD_VAL = [1.8618, 1.0732, 0.662, 0.5016, 0.3884, 0.3501, 0.3127, 0.251, 0.251, 0.2121, 0.2036, 0.2175, 0.2083,
                  0.2157, 0.1752, 0.1661, 0.1835, 0.1854, 0.1653, 0.1898, 0.1768, 0.1536, 0.1539, 0.1656, 0.1502,
                  0.1628, 0.1455, 0.1542, 0.1513, 0.1447, 0.1404, 0.1452, 0.1373, 0.1429, 0.1515, 0.1408, 0.143,
                  0.142, 0.1471, 0.1423]
DIGITS_SGD_TRAIN = [2.1405, 1.458, 0.7943, 0.495, 0.3713, 0.3185, 0.2433, 0.1991, 0.1808, 0.1492, 0.1399, 0.1198, 0.1214,
                    0.1081, 0.0952, 0.0948, 0.0859, 0.0754, 0.072, 0.0694, 0.0675, 0.0686, 0.0582, 0.0608, 0.054,
                    0.0504, 0.0476, 0.0445, 0.0464, 0.0457, 0.0382, 0.0416, 0.0364, 0.0361, 0.0363, 0.0346, 0.0328,
                    0.0308, 0.0266, 0.0303]


@pytest.mark.parametrize("horizon, gain, end, left", [(39, 0.01, "epoch 39 (the planned end)", "0.5%"),
                                                     (None, 0.02, "epoch 56", "1.6%")])
def test_the_report_after_a_stop_gain_stop_says_the_rule_stopped_the_run(horizon, gain, end, left):
    """A stop_gain stop (at epoch 19, before a stop at one noisy evaluation had to be decided without it too) was
    followed by "still improving slowly ... Try: keep training", no word of the stop. The final report now says why the
    rule stopped, forecasts to the horizon the rule forecast to (the planned end, else the rule's own twice the
    length), and beside "keep training" says the rule judged the gain left below stop_gain; the verdict stays the
    diagnosis's. (Forecasting to twice the run so far, stop_gain=0.01 does not stop this run: 0.02 does.)"""
    from losslens.integrations._core import Watcher

    w = Watcher(stop_gain=gain, horizon=horizon, verbose=0, framework="test", time_budget_ms=None)
    for e, (v, t) in enumerate(zip(DIGITS_SGD_VAL, DIGITS_SGD_TRAIN)):
        if w.end_epoch(e, {"val_loss": v, "loss": t}).stop:
            break
    w.end_training()
    assert w.stopped_epoch == 28 and w.actions[-1]["cause"] == "forecast"
    final = w.messages[-1]
    assert w.reports[-1]["verdict"] == "still_improving" and "Try: keep training" in final
    assert f"Stopped at epoch 28 by stop_gain={gain:g}: training on to {end} was forecast to improve on the best " \
           f"val_loss so far by {left}, less than the {100 * gain:g}% asked." in final
    assert f"judged the gain left by {end}, {left}, below your stop_gain={gain:g}" in final.split("keep training")[1]
    assert w.diagnosis.forecast["horizon"] == w.actions[-1]["horizon"]
    assert w.reports[-1]["stopped_by"]["horizon"] == w.actions[-1]["horizon"]


def test_the_framework_callbacks_use_only_the_public_api_of_core():
    # The Lightning and Transformers callbacks recorded a row through Watcher._append, and every callback imported
    # _core._to_float: a rename inside _core would break them with no test of _core's own failing. The Watcher's
    # `record` is that row's public door (the saved losslens.json of a Lightning fit stopped at a mid-epoch check,
    # the path that records such a row, is byte-identical before and after the change).
    import ast
    from pathlib import Path

    import losslens.integrations._core as core

    folder = Path(core.__file__).parent
    tree = ast.parse((folder / "_core.py").read_text())
    private = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))
               and n.name.startswith("_") and not n.name.startswith("__")}
    private |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr.startswith("_")
                and not n.attr.startswith("__")}
    used = []
    for module in ("keras", "lightning", "torch", "transformers"):
        for node in ast.walk(ast.parse((folder / f"{module}.py").read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "_core":
                used += [f"{module}.py:{node.lineno} imports {a.name}" for a in node.names if a.name in private]
            elif isinstance(node, ast.Attribute) and node.attr in private and not (
                    isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                used.append(f"{module}.py:{node.lineno} uses .{node.attr}")
    assert not used, used


def test_a_figure_quoted_against_a_cut_reads_on_its_own_side_of_it():
    """The stop line's gain and the evidence's noise count beside their cut: 0.0096 printed "forecast to improve
    1.0% ..., less than stop_gain=0.01" (a Keras digits MLP's stop at epoch 77), and 2.96 sds printed "within its
    noise (3 sds)" (a Lightning digits MLP's overfitting read), each reading as the opposite of its words."""
    from losslens.diagnosis import _beyond_noise
    from losslens.integrations._core import _below

    assert _below(0.0096, 0.01) == "0.96%" and _below(0.004, 0.01) == "0.4%" and _below(0.0099999, 0.01) == "under 1%"
    assert _below(0.0, 0.01) == "0.0%" and _below(0.0149, 0.015) == "1.49%"
    assert _beyond_noise(2.96) == "within its noise (2.96 sds)" and _beyond_noise(9.97) == "beyond its noise (9.97 sds)"
    assert _beyond_noise(2.999) == "within its noise (under 3 sds)"
    # Away from a cut the count keeps its whole number: "far beyond its noise (36 sds)".
    assert _beyond_noise(36.4) == "far beyond its noise (36 sds)" and _beyond_noise(2.4) == "within its noise (2 sds)"
    assert _beyond_noise(3.0) == "beyond its noise (3 sds)"
