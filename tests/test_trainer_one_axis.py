"""One Hugging Face Trainer run, one X: the live callback and the run's trainer_state.json agree.

The callback reported on the Trainer's fractional epoch ("plateau at epoch 4") while
``losslens diagnose trainer_state.json`` read the log_history's steps ("plateau at step 40"). Both
are on the step axis now (the log_history's index and the checkpoints' names), and both quote the
epoch beside X. A tiny BERT (built from a config, nothing downloaded) trains in a few seconds."""

import json
import re

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import losslens  # noqa: E402
from losslens.integrations.transformers import LosslensCallback  # noqa: E402
from typer.testing import CliRunner  # noqa: E402
from hf_models import tiny_bert_trainer  # noqa: E402

pytestmark = [pytest.mark.framework, pytest.mark.usefixtures("one_torch_thread")]


def test_live_report_and_trainer_state_quote_one_x(tmp_path, capsys):
    cb = LosslensCallback(time_budget_ms=None)  # (which evaluations are diagnosed: all, whatever the machine's speed)
    trainer = tiny_bert_trainer(tmp_path, cb, hidden=32, layers=1, n_train=160, n_eval=128, epochs=8, eval_steps=5,
                                learning_rate=1e-3, lr_scheduler_type="constant")
    trainer.train()
    trainer.save_state()
    printed = capsys.readouterr().out
    live = cb.diagnosis
    state = tmp_path / "trainer_state.json"
    read = losslens.diagnose(state)

    assert live.plateau is not None and read.plateau is not None
    assert (live.axis, live.plateau.epoch) == (read.axis, read.plateau.epoch)   # one X, one unit
    assert live.plateau.interval == read.plateau.interval
    steps_per_epoch = 160 // 16
    x = read.plateau.epoch
    # Both quote the Trainer's epoch beside the step, as the Trainer counts it.
    assert live.epoch_at(x) == read.epoch_at(x) == pytest.approx(x / steps_per_epoch)
    quoted = f"{read.axis} {x:g} (epoch {x / steps_per_epoch:g})"
    assert quoted in live.summary() and quoted in read.summary()
    # The report printed during training (after step 60: X then at step 40, the minimum) quotes it the same way.
    printed_x = re.findall(r"plateau at step (\d+) \(epoch ([\d.]+)\)", printed)
    assert printed_x and all(float(e) == pytest.approx(int(s) / steps_per_epoch) for s, e in printed_x), printed
    # The live report's own header names the epoch beside the step it was written after.
    headers = re.findall(r"losslens \(transformers, after step (\d+) \(epoch ([\d.]+)\)\)", printed)
    assert headers and all(float(e) == pytest.approx(int(s) / steps_per_epoch) for s, e in headers), printed
    assert read.to_dict()["plateau"]["epoch_frac"] == live.to_dict()["plateau"]["epoch_frac"]
    # The file the callback saved reads back on the same axis, and the CLI says the same.
    assert losslens.diagnose(tmp_path / "losslens.json").plateau.epoch == x
    from losslens.cli import app
    out = CliRunner().invoke(app, ["diagnose", str(state), "--json"]).output
    assert json.loads(out.splitlines()[0])["plateau"] == json.loads(read.to_json())["plateau"]  # (7 digits, as --json)
    fc = CliRunner().invoke(app, ["forecast", str(state)]).output
    # (the forecast's X, in words since session 38: "levels off at step N (epoch E) on the fitted curve")
    assert re.search(r"levels off at step \d+ \(epoch [\d.]+\) on the fitted curve", fc), fc


def test_a_trainer_without_evaluation_reads_the_same_live_and_from_its_file(tmp_path):
    # No eval set, the training loss logged every 5 steps of a 10-step epoch: the callback kept a row per
    # epoch (the mean of its two logged losses, 8 points) while trainer_state.json holds a row per log
    # (16 points): the live report said "still improving, no plateau by step 80", the file "converged,
    # plateau at step 65". Now the callback's rows are the logged ones. (Both now read still_improving: trained on
    # to 16 epochs, the logged loss went from 0.49 at steps 65-80 to 0.21; test_ecosystem_logs' hf_no_eval_short.)
    cb = LosslensCallback()
    trainer = tiny_bert_trainer(tmp_path, cb, hidden=32, layers=1, n_train=160, epochs=8, eval_steps=None,
                                learning_rate=1e-3, lr_scheduler_type="constant", logging_steps=5)
    trainer.train()
    trainer.save_state()
    live_run = losslens.read(tmp_path / "losslens.json")[0]
    file_run = losslens.read(tmp_path / "trainer_state.json")[0]
    assert live_run.axis_name == file_run.axis_name == "step"
    assert list(live_run.axis) == list(file_run.axis) == list(range(5, 81, 5))
    assert live_run.series["train_loss"] == pytest.approx(file_run.series["train_loss"], rel=1e-6)
    live, read = cb.diagnosis, losslens.diagnose(tmp_path / "trainer_state.json")
    assert (live.verdict, live.metric, live.length) == (read.verdict, read.metric, read.length)
    assert (live.plateau is None) == (read.plateau is None)
    if read.plateau is not None:
        assert (live.plateau.epoch, live.plateau.interval) == (read.plateau.epoch, read.plateau.interval)
    assert live.summary().split(": ", 1)[1] == read.summary().split(": ", 1)[1]
