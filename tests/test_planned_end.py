"""The end a log plans: a run diagnosed before it is forecast to that end, not to twice its logged length.

"My run is at checkpoint 40 of 80 and the loss went flat: should I let it finish?" The forecast used to go
to twice the logged length (step 75 of a checkpoint logged from step 5 to 40) while the log says where the
run will stop (max_steps 80; Keras' "Epoch 12/40"; "step:750/1500"). Without --horizon the planned end is
the horizon where the run has not reached it; a finished run keeps twice its length; --horizon wins."""

import json
import sys
from pathlib import Path

import pytest

import losslens
from losslens.cli import app
from losslens.readers import read
from typer.testing import CliRunner

TESTS = Path(__file__).parent
LOGS = TESTS / "fixtures" / "logs"


def _cli(*args) -> str:
    out = CliRunner().invoke(app, list(map(str, args)))
    assert out.exit_code == 0, out.output
    return out.output


@pytest.mark.framework
@pytest.mark.usefixtures("one_torch_thread")
def test_a_trainer_checkpoint_is_forecast_to_max_steps_and_the_finished_run_to_twice_its_length(tmp_path):
    """A real Trainer run (tests/hf_models.py's tiny BERT, 160 examples, 8 epochs = 80 steps, the Trainer's
    default linear lr decay from 1e-3, evaluated every 5 steps) saving a checkpoint every 20 steps. Each
    checkpoint's trainer_state.json is forecast to max_steps 80 (the old default: step 75 from checkpoint-40,
    logged from step 5); the finished run's to twice its length, 155. Measured: the forecast of val_loss at
    step 80 from checkpoint-40 was 0.6563 [0.644, 0.6741], from checkpoint-60 0.6433 [0.6332, 0.6579]; the
    run reached 0.6517 there, inside both."""
    transformers = pytest.importorskip("transformers")
    sys.path.insert(0, str(TESTS))
    from hf_models import tiny_bert_trainer

    trainer = tiny_bert_trainer(tmp_path, transformers.TrainerCallback(), hidden=32, layers=1, n_train=160,
                                n_eval=128, epochs=8, eval_steps=5, save_strategy="steps", save_steps=20,
                                learning_rate=1e-3)
    trainer.train()
    trainer.save_state()
    [full] = read(tmp_path / "trainer_state.json")
    x, val = full.finite("val_loss")
    assert x[-1] == 80 and full.meta["planned_end"] == 80
    reached = float(val[-1])
    for k in (40, 60):
        state = tmp_path / f"checkpoint-{k}" / "trainer_state.json"
        [run] = read(state)
        assert (run.meta["planned_end"], run.meta["planned_end_from"]) == (80, "8 epochs of 10 steps")
        fc = losslens.forecast(state)
        assert fc.metric == "val_loss" and fc.horizon == 80 and fc.horizon_from == "8 epochs of 10 steps"
        lo, hi = fc.interval
        # The run's own end against the forecast made half-way (or three quarters of the way) there.
        assert lo - 0.01 <= reached <= hi + 0.01, (k, fc.value, fc.interval, reached)
        d = losslens.diagnose(state)
        text = str(d)
        assert f"the run is at step {k} of 80, the planned end (8 epochs of 10 steps)" in text
        # (Both checkpoints are forecast: asserted only `if d.forecast is not None`, a forecast lost passed.)
        assert d.forecast is not None and d.forecast["horizon"] == 80 and d.forecast["horizon_from"] == "8 epochs of 10 steps"
        assert "step 80, the planned end (8 epochs of 10 steps)" in text
        # The Trainer's linear decay still runs: the forecast cannot see what it does.
        assert "the logged learning rate is still decaying" in text
        printed = json.loads(_cli("diagnose", state, "--json").splitlines()[0])
        assert printed["forecast"]["horizon"] == 80
        assert "at step 80 (the planned end, 8 epochs of 10 steps)" in _cli("forecast", state)
        # --horizon wins.
        assert losslens.forecast(state, horizon=100).horizon == 100
        assert losslens.forecast(state, horizon=100).horizon_from is None
        assert json.loads(_cli("diagnose", state, "--json", "--horizon", 100).splitlines()[0])["forecast"]["horizon"] == 100
    d40 = losslens.diagnose(tmp_path / "checkpoint-40" / "trainer_state.json")
    assert d40.forecast is not None, str(d40)  # (still improving at step 40: the forecast is quoted)
    # The finished run (and its last checkpoint) got there: twice its logged length, 5 + 2 x 75.
    for state in (tmp_path / "trainer_state.json", tmp_path / "checkpoint-80" / "trainer_state.json"):
        fc = losslens.forecast(state)
        assert fc.horizon == 155 and fc.horizon_from is None
        assert "planned end" not in str(losslens.diagnose(state))


def _keras_fit(stop: int, verbose: int = 2, callbacks=()) -> str:
    """What fit(epochs=40, verbose=2) of the article's MLP printed, stopped by a callback after epoch ``stop``
    (a job preempted, killed, stopped by hand; -1: run to its end); ``callbacks`` go to fit too."""
    import contextlib
    import io

    import keras

    sys.path.insert(0, str(TESTS))
    from keras_models import article_data, mlp

    class Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == stop:
                self.model.stop_training = True

    x, y = article_data(0, n=400)
    model = mlp()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        model.fit(x, y, validation_split=0.2, epochs=40, batch_size=32, verbose=verbose,
                  callbacks=[*callbacks, *([Stop()] if stop >= 0 else [])])
    return printed.getvalue()


@pytest.mark.slow
@pytest.mark.framework
def test_a_keras_fit_stopped_early_is_forecast_to_the_epochs_it_printed(tmp_path):
    """A real Keras 3 fit (torch backend; the article's MLP, fit(epochs=40, verbose=2)) whose training a
    callback stopped (model.stop_training = True) after epoch 11, "Epoch 12/40": the console log plans epochs
    0-39, and the forecast goes to 39 (the old default: 22). The same fit run to its end (same seed) reached
    val_loss 0.0085 at epoch 39; the forecast from epoch 11 said 0.0069 [0, 0.047] (uncertain: the interval
    reaches 0), which holds it. The full fit's log keeps twice its length."""
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("run on the torch backend")
    logs = {}
    for stop in (11, -1):
        logs[stop] = tmp_path / f"stop{stop}.txt"
        logs[stop].write_text(_keras_fit(stop))
    [run] = read(logs[11])
    assert run.meta["format"] == "keras_console" and run.axis[-1] == 11
    assert run.meta["planned_end"] == 39 and run.meta["planned_end_from"] == "Epoch k/40: epochs 0-39"
    fc = losslens.forecast(logs[11])
    assert fc.horizon == 39 and fc.horizon_from.startswith("Epoch k/40")
    [full] = read(logs[-1])
    assert full.axis[-1] == 39
    reached = float(full.finite("val_loss")[1][-1])
    assert fc.interval[0] <= reached <= fc.interval[1], (fc.value, fc.interval, reached)
    d = losslens.diagnose(logs[11])
    assert "the run is at epoch 11 of 39, the planned end (Epoch k/40: epochs 0-39)" in str(d)
    assert d.forecast is not None and d.forecast["horizon"] == 39
    # Run to its end: nothing planned lies ahead, twice its length (0 + 2 x 39).
    assert losslens.forecast(logs[-1]).horizon == 78
    assert "planned end" not in str(losslens.diagnose(logs[-1]))


def _cut(name: str, before: str, tmp_path) -> Path:
    """The committed printed log up to (not including) the first line starting with ``before``: what a job
    killed there left."""
    lines = (LOGS / name).read_text().splitlines(True)
    keep = lines[:next(i for i, ln in enumerate(lines) if ln.lstrip().startswith(before))]
    path = tmp_path / name
    path.write_text("".join(keep))
    return path


@pytest.mark.parametrize("name, before, axis, last, end, said", [
    ("printed_epochs.txt", "Epoch [7/", "epoch", 6, 12, "Epoch k/12"),  # the tutorial loop: epochs 1-12
    ("printed_modded.txt", "step:875/", "step", 750, 1500, "step k/1500"),  # modded-nanogpt
    ("printed_llmc.txt", "step  201/", "step", 200, 400, "step k/400"),  # llm.c
])
def test_a_loops_printed_total_is_the_planned_end_of_a_job_killed_before_it(tmp_path, name, before, axis, last,
                                                                             end, said):
    """A loop's own prints state the total beside each number ("Epoch [1/12], Step [5/20]", "step:125/1500",
    "step 1/400"): cut where a killed job would have left them, the forecast goes to that total; the whole
    log, which got there, keeps twice its length. A step total beside an epoch number (the tutorial's
    "Step [5/20]": steps of one epoch) is no end of the run."""
    cut = _cut(name, before, tmp_path)
    [run] = read(cut)
    assert run.axis_name == axis and run.axis[-1] == last
    assert (run.meta["planned_end"], run.meta["planned_end_from"]) == (end, said)
    fc = losslens.forecast(cut)
    assert fc.horizon == end and fc.horizon_from == said
    assert f"the run is at {axis} {last} of {end}, the planned end ({said})" in str(losslens.diagnose(cut))
    [whole] = read(LOGS / name)
    assert whole.meta["planned_end"] == end == whole.axis[-1]
    fc = losslens.forecast(LOGS / name)
    assert fc.horizon_from is None and fc.horizon == pytest.approx(whole.axis[0] + 2 * (whole.axis[-1] - whole.axis[0]))


def test_a_single_printed_epoch_reads_no_plan_from_its_steps(tmp_path):
    """One epoch of the tutorial loop is read on its steps (5-20 of "Step [s/20]"), and 20 is that epoch's
    end, not the run's (12 epochs): no planned end."""
    cut = _cut("printed_epochs.txt", "Epoch [2/", tmp_path)
    [run] = read(cut)
    assert run.axis_name == "step" and "planned_end" not in run.meta


@pytest.mark.slow
@pytest.mark.framework
def test_a_keras_autolog_run_stopped_early_is_forecast_to_its_fit_epochs(tmp_path):
    """mlflow.keras.autolog logs fit()'s arguments (epochs=40, initial_epoch, steps_per_epoch) and the metrics at
    step = the 0-based epoch: a fit stopped after epoch 11 is forecast to epoch 39 (the old default: 22), on an axis named epoch."""
    keras = pytest.importorskip("keras")
    mlflow = pytest.importorskip("mlflow")
    if keras.backend.backend() != "torch":
        pytest.skip("run on the torch backend")
    store = tmp_path / "mlflow.db"
    mlflow.set_tracking_uri(f"sqlite:///{store}")
    mlflow.keras.autolog(log_models=False, log_datasets=False, silent=True)
    try:
        _keras_fit(11, verbose=0)
    finally:
        mlflow.keras.autolog(disable=True)
        mlflow.set_tracking_uri(None)
    [run] = read(store)
    assert run.axis[-1] == 11 and run.meta["params"]["epochs"] == "40"
    assert run.meta["planned_end"] == 39 and run.meta["planned_end_from"] == "fit(epochs=40): epochs 0-39"
    fc = losslens.forecast(store)
    assert fc.horizon == 39 and fc.horizon_from == "fit(epochs=40): epochs 0-39"
    assert run.axis_name == "epoch"
    assert "at epoch 11 of 39, the planned end (fit(epochs=40)" in str(losslens.diagnose(store))


@pytest.mark.framework
@pytest.mark.usefixtures("one_torch_thread")
def test_a_lightning_autolog_run_stopped_early_is_forecast_to_its_max_epochs(tmp_path):
    """mlflow.pytorch.autolog logs a Lightning fit's Trainer(max_epochs=20) as the param epochs, beside
    optimizer_name, and its epoch metrics at step = the 0-based epoch: a fit stopped after epoch 5 is forecast to
    epoch 19 (before: to 10, twice what was logged, on an axis named step)."""
    pytest.importorskip("torch")
    L = pytest.importorskip("lightning")
    mlflow = pytest.importorskip("mlflow")
    sys.path.insert(0, str(TESTS))
    from lightning_models import LinearRegressor, linear_loaders

    class StopAfter5(L.Callback):
        def on_validation_epoch_end(self, trainer, module):
            trainer.should_stop = trainer.current_epoch >= 5

    store = tmp_path / "mlflow.db"
    mlflow.set_tracking_uri(f"sqlite:///{store}")
    mlflow.pytorch.autolog(log_models=False, silent=True)
    [loader] = linear_loaders(256, [(0, 256)])
    try:
        with mlflow.start_run():
            L.Trainer(max_epochs=20, callbacks=[StopAfter5()], logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False).fit(LinearRegressor(), loader, loader)
    finally:
        mlflow.pytorch.autolog(disable=True)
        mlflow.set_tracking_uri(None)
    [run] = read(store)
    assert run.axis[-1] == 5 and run.meta["params"]["epochs"] == "20" and run.axis_name == "epoch"
    assert run.meta["planned_end"] == 19 and run.meta["planned_end_from"] == "Trainer(max_epochs=20): epochs 0-19"
    assert losslens.forecast(store).horizon == 19
    assert "at epoch 5 of 19, the planned end (Trainer(max_epochs=20)" in str(losslens.diagnose(store))


def test_a_planned_end_far_past_the_calibrated_range_is_said(tmp_path):
    """llm.c's log killed at step 30 of 400: the planned end is 14x the logged length past its start, where the
    forecast's interval width is held at its 10x calibration: said beside "at step 30 of 400"."""
    cut = _cut("printed_llmc.txt", "step   31/", tmp_path)
    text = str(losslens.diagnose(cut))
    assert "the run is at step 30 of 400" in text and "14x the logged length, past the 10x" in text
    assert "14x the logged length" in _cli("forecast", cut)
    # Half-way, inside the calibrated range: not said.
    assert "past the 10x" not in str(losslens.diagnose(_cut("printed_llmc.txt", "step  201/", tmp_path)))


@pytest.mark.framework
def test_a_loop_that_numbers_its_epochs_from_0_plans_n_minus_1(tmp_path):
    """A PyTorch loop printing ``Epoch {epoch}/{epochs}`` for ``epoch in range(10)`` ends at "Epoch 9/10": run to
    its end it keeps twice its length (not "at epoch 9 of 10, 1 short"); killed after epoch 5 it is forecast to 9."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = x @ torch.tensor([1.0, 2.0, 3.0]) + 0.1 * torch.randn(64)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    lines = []
    for epoch in range(10):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x).squeeze(1), y)
        loss.backward()
        opt.step()
        lines.append(f"Epoch {epoch}/10 loss: {loss.item():.4f}\n")
    (tmp_path / "done.txt").write_text("".join(lines))
    (tmp_path / "killed.txt").write_text("".join(lines[:6]))
    [done] = read(tmp_path / "done.txt")
    assert done.axis_name == "epoch" and done.axis[-1] == 9 and done.meta["planned_end"] == 9
    assert losslens.forecast(tmp_path / "done.txt").horizon == 18
    assert "planned end" not in str(losslens.diagnose(tmp_path / "done.txt"))
    fc = losslens.forecast(tmp_path / "killed.txt")
    assert fc.horizon == 9 and fc.horizon_from == "Epoch k/10: epochs 0-9"


YOLO = TESTS / "fixtures" / "ecosystem"


def test_ultralytics_args_yaml_states_the_planned_end_and_the_lr_schedule():
    """A real Ultralytics 8.4 run folder (fixture yolo_args: YOLOv8n from scratch, epochs=12, a job killed after
    epoch 6): args.yaml beside results.csv gives the planned end in the CSV's numbering (rows 1-6: epoch 12), the
    forecast goes there, the report says how far short the run stopped, and the lr schedule is kept."""
    for path in (YOLO / "yolo_args" / "results.csv", YOLO / "yolo_args"):
        [run] = read(path)
        assert run.axis[0] == 1 and run.axis[-1] == 6
        assert run.meta["planned_end"] == 12 and run.meta["planned_end_from"] == "args.yaml epochs=12"
        s = run.meta["lr_schedule"]
        assert (s["shape"], s["end"], s["final_ratio"], s["offset"], s["warmup"]) == ("linear", 12, 0.01, 1, 3)
    fc = losslens.forecast(YOLO / "yolo_args" / "results.csv")
    assert fc.horizon == 12 and fc.horizon_from == "args.yaml epochs=12"
    assert "the run is at epoch 6 of 12, the planned end (args.yaml epochs=12)" in str(
        losslens.diagnose(YOLO / "yolo_args"))


def test_ultralytics_lr_factor_is_the_logged_schedule():
    """Ultralytics 8.3's real results.csv (fixture yolo_results/v8_3: epochs=50, lrf=0.01, cos_lr=False, rows
    numbered 1-50): past the 3-epoch warm-up, the logged lr over the schedule's lf is one constant (the initial
    rate optimizer=auto chose), so the schedule read from args.yaml is the one the trainer ran."""
    import numpy as np

    from losslens.readers.ultralytics import apply_args
    from losslens.schedules import lr_factor

    [run] = read(YOLO / "yolo_results" / "v8_3" / "results.csv")
    apply_args([run], {"epochs": 50.0, "lrf": 0.01, "cos_lr": "false", "warmup_epochs": 3.0})
    assert "planned_end" in run.meta  # setdefault: a finished run's end is its last epoch
    ratio = np.asarray(run.get("lr"))[4:] / lr_factor(run.meta["lr_schedule"], run.axis[4:])
    assert np.allclose(ratio, ratio[0], rtol=1e-3), ratio
    assert losslens.forecast(YOLO / "yolo_results" / "v8_3" / "results.csv").horizon_from is None


@pytest.mark.parametrize("args, end", [
    (None, 24),  # the real args.yaml, epochs=25: 8.0 numbers rows 0-24, so the run got to its end
    ("epochs: 40\n", 39),  # killed before epoch 40's row 39
    ("epochs: 40\ntime: 0.5\n", None),  # a time budget overrides epochs in the trainer
    ("epochs: [\n", None),  # not YAML
    ("epochs: many\n", None),
    ("- epochs\n- 40\n", None),  # not a mapping
    ("\x00\x01\x02", None),
])
def test_ultralytics_args_yaml_numbering_and_a_bad_one_passed_over(tmp_path, args, end):
    """Ultralytics 8.0's results.csv (fixture yolo_results/v8_0) numbers its rows from 0: args.yaml's
    ``epochs=N`` is epoch N-1 there. An args.yaml that is not YAML, not a mapping, or has no whole ``epochs`` is
    passed over like a malformed hparams.yaml: results.csv reads as without it (the one warning that says so is
    tests/test_bad_input.py's)."""
    import shutil

    shutil.copy(YOLO / "yolo_results" / "v8_0" / "results.csv", tmp_path / "results.csv")
    text = (YOLO / "yolo_args" / "args.yaml").read_text().replace("epochs: 12\n", "epochs: 25\n")
    (tmp_path / "args.yaml").write_text(text if args is None else args)
    [run] = read(tmp_path / "results.csv")
    assert run.axis[0] == 0 and run.axis[-1] == 24
    assert run.meta.get("planned_end") == end
    horizon = losslens.forecast(tmp_path / "results.csv").horizon
    assert horizon == (48 if end in (None, 24) else end)
    out = _cli("diagnose", tmp_path / "results.csv")
    assert ("of 39, the planned end (args.yaml epochs=40)" in out) == (end == 39)


def test_a_stated_schedule_says_how_far_the_lr_still_falls(tmp_path):
    """Ultralytics 8.3's real results.csv (fixture yolo_results/v8_3, epochs=50, lrf=0.01, linear) cut after epoch 25,
    beside an args.yaml in the trainer's own format (the yolo_args fixture's, with this run's epochs=50): the caveat
    said only that the lr still decays; it now says the rate the schedule reaches by the planned end, which is the
    rate the full run logged at epoch 50."""
    import re

    rows = (YOLO / "yolo_results" / "v8_3" / "results.csv").read_text().splitlines()
    (tmp_path / "results.csv").write_text("\n".join(rows[:26]) + "\n")
    args = (YOLO / "yolo_args" / "args.yaml").read_text()
    assert "epochs: 12\n" in args and "lrf: 0.01\n" in args and "cos_lr: false\n" in args
    (tmp_path / "args.yaml").write_text(args.replace("epochs: 12\n", "epochs: 50\n"))
    text = str(losslens.diagnose(tmp_path / "results.csv"))
    m = re.search(r"args\.yaml \(linear to lrf=0\.01 at epochs=50\) takes it to ([0-9.e-]+), [0-9.]+% of now, by epoch 50",
                  text)
    assert m, text
    [full] = read(YOLO / "yolo_results" / "v8_3" / "results.csv")
    assert float(m.group(1)) == pytest.approx(float(full.get("lr")[-1]), rel=0.01)


def test_a_schedule_still_decaying_is_a_measured_fact():
    """Whether the logged lr is still falling at the end (the forecast caveat "the logged learning rate is still
    decaying" reads it) is measured with the other lr facts, OptimizerFacts.lr_falling: a Trainer's linear
    decay still running at its last logged step is; ReduceLROnPlateau's last cut, held flat since, is not."""
    o = losslens.diagnose(LOGS / "hf_output" / "trainer_state.json").facts.optimizer
    assert o.lr_falling and o.lr_schedule == "decayed"
    o = losslens.diagnose(TESTS / "fixtures" / "ecosystem" / "torch_rlrop_high_lr" / "run.csv").facts.optimizer
    assert not o.lr_falling and o.lr_schedule == "decayed" and o.lr_last < 1e-8


def test_still_improving_quotes_the_forecast_at_the_planned_end_it_reports():
    """A Trainer's checkpoint at step 50 of max_steps 75 (tests/fixtures/logs/hf_output): still_improving's evidence
    said "the learning-curve forecast expects 15% more by step 95 (P = 96%)", twice the logged length, while the
    forecast the same report quotes (and the JSON's ``forecast``) goes to step 75, the planned end; one horizon now,
    in the text and in --json. The rule still decides on twice the length, the yardstick its thresholds were set on."""
    log = LOGS / "hf_output" / "checkpoint-50" / "trainer_state.json"
    d = losslens.diagnose(log)
    assert d.verdict == "still_improving" and d.forecast["horizon"] == 75
    quoted = [e for e in d.cause.evidence if "forecast expects" in e]
    assert quoted and all("by step 75, the planned end" in e for e in quoted), d.cause.evidence
    assert f"(P = {d.forecast['p_improve']:.0%})" in quoted[0]
    assert not any("step 95" in e for c in d.causes for e in c.evidence)
    out = json.loads(CliRunner().invoke(app, ["diagnose", str(log), "--json"]).stdout)
    assert out["forecast"]["horizon"] == 75 and "by step 75" in " ".join(out["causes"][0]["evidence"])
    # A horizon the user asks for is the one quoted.
    d = losslens.diagnose(log, horizon=150)
    assert any("more by step 150 (P = " in e for e in d.cause.evidence), d.cause.evidence


def _monitor_loop(path, stop: int):
    """A hand-written loop under ``Monitor(epochs=60)`` that the user breaks after ``stop`` epochs: a linear model
    y = 2 x1 + 3 x2 + N(0, 0.1²), full-batch SGD(0.05), still falling when the loop ends."""
    import torch

    from losslens.integrations.torch import Monitor

    torch.manual_seed(0)
    x = torch.rand(200, 2)
    y = x @ torch.tensor([[2.0], [3.0]]) + 0.1 * torch.randn(200, 1)
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    monitor = Monitor(model, opt, epochs=60, save_path=path, time_budget_ms=None, verbose=False)
    for _ in range(stop):
        opt.zero_grad()
        loss = torch.mean((model(x[:150]) - y[:150]) ** 2)
        loss.backward()
        opt.step()
        with torch.no_grad():
            monitor.epoch_end(train_loss=loss.item(), val_loss=torch.mean((model(x[150:]) - y[150:]) ** 2).item())
    monitor.finish()
    return monitor


def _keras_callback_fit(path, stop: int):
    """The article's MLP, fit(epochs=40) under the Keras LosslensCallback, stopped after epoch ``stop``."""
    from losslens.integrations.keras import LosslensCallback

    cb = LosslensCallback(save_path=path, time_budget_ms=None, verbose=False)
    _keras_fit(stop, verbose=0, callbacks=[cb])
    return cb


@pytest.mark.framework
@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("train, end, said", [
    pytest.param(lambda p: _monitor_loop(p, 25), 59, "epochs=60", id="torch_monitor"),
    pytest.param(lambda p: _keras_callback_fit(p, 11), 39, "fit(epochs=40)", id="keras", marks=pytest.mark.slow)])
def test_the_file_a_callback_saved_keeps_the_planned_end(tmp_path, train, end, said):
    """A callback's live report forecasts to the end the trainer plans (Monitor(epochs=60), fit(epochs=40));
    the file it saved did not keep that end, so `losslens diagnose run.json` afterwards forecast the same
    curve to twice its logged length (epoch 48 of a loop stopped after 25 epochs: 0.4161 against the live
    0.4008 at 59), another horizon and another number than the report the user saw."""
    if said.startswith("fit"):
        keras = pytest.importorskip("keras")
        if keras.backend.backend() != "torch":
            pytest.skip("run on the torch backend")
    path = tmp_path / "run.json"
    cb = train(path)
    live = losslens.diagnose(cb.watcher.run())
    saved = json.loads(path.read_text())["meta"]
    assert (saved["planned_end"], saved["planned_end_from"]) == (end, cb.watcher.run().meta["planned_end_from"])
    assert said in saved["planned_end_from"]
    read_back = losslens.diagnose(path)
    assert live.forecast["horizon"] == read_back.forecast["horizon"] == end
    assert read_back.forecast["value"] == pytest.approx(live.forecast["value"], rel=1e-9)
    assert f"of {end}, the planned end ({saved['planned_end_from']})" in str(read_back)
    assert losslens.forecast(path).horizon == end


RISE = TESTS / "fixtures" / "ecosystem" / "hf_earlystop_rise"


def test_an_overfitting_run_short_of_its_planned_end_gets_no_forecast():
    """A Trainer stopped at step 112 of max_steps 480, its validation loss past its minimum (step 80): the
    planned end brought a forecast in whatever the verdict, "0.2915 at step 480, -31%, P(gain > 1%) 71%", while
    the same run carried on (stop128: the next evaluations) rose on. The JSON's contract holds: an overfitting
    run's forecast is null, in the text no forecast line, and the planned end is still said."""
    d = losslens.diagnose(str(RISE / "stop112_trainer_state.json"))
    assert d.verdict == "overfitting"
    assert d.run.meta.get("planned_end") == 480  # (the case: a planned end not reached)
    later = losslens.diagnose(str(RISE / "stop128_trainer_state.json")).run
    x, y = later.finite("val_loss")
    assert y[-1] > y[x <= 112][-1]  # the run carried on rose, where the forecast said it would fall
    assert d.to_dict()["forecast"] is None
    text = str(d)
    assert "forecast at step" not in text and "probability that training on" not in text
    assert "of 480, the planned end (30 epochs of 16 steps)" in text
    # asked for, a forecast is given all the same
    assert losslens.diagnose(str(RISE / "stop112_trainer_state.json"), horizon=480).to_dict()["forecast"] is not None
