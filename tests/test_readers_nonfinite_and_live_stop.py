"""Two readings of one run that disagreed by reader.

(a) The fp16 run of tests/fixtures/ecosystem/torch_amp_skipped_spike (a digits MLP, two corrupt batches at epoch 15
whose steps the GradScaler skipped, grad_norm inf/NaN on 11 steps) logged through torch's SummaryWriter, MLflow's
sqlite store and a W&B offline run (tests/fixtures/ecosystem/torch_amp_skipped_stores, make.py: the same 1200 rows as
its steps.csv). The CSV read "still improving" with the skipped steps noted and the spike named one batch's loss; each
tracker's log read "learning rate too high ... gradient clipping" (largest jump 2.4e6 sds at epoch 15), nothing said
of the skipped steps (and MLflow's SQL store keeps inf as 1.8e308, a finite number). lr / 10 from epoch 4 kept the
spike and ended 11x higher (torch_amp_skipped_spike/truth_fp16_lr_div10).

(b) A Trainer run its EarlyStoppingCallback(patience=4) ended at step 190 of 960 (hf_earlystop_held's run), read live by
LosslensCallback: "rather than stop, train on with early stopping (P = 70% ...)", where its trainer_state.json reads
"it was stopped early already ... the stop was right" (trained on to 480, it never beat its best 0.3626)."""

from __future__ import annotations

import json
import lzma
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import losslens

ECO = Path(__file__).parent / "fixtures" / "ecosystem"
STORES = ECO / "torch_amp_skipped_stores"
CSV_TWIN = ECO / "torch_amp_skipped_spike" / "fp16_skipped" / "steps.csv"


def _sources(tmp_path: Path) -> dict[str, str]:
    db = tmp_path / "mlflow.db"
    db.write_bytes(lzma.decompress((STORES / "mlflow.db.xz").read_bytes()))
    [packed] = STORES.glob("wandb/offline-run-*/run-*.wandb.xz")
    run = tmp_path / "wandb" / packed.parent.name
    run.mkdir(parents=True)
    (run / packed.name[:-len(".xz")]).write_bytes(lzma.decompress(packed.read_bytes()))
    return {"tensorboard": str(STORES / "tb"), "mlflow": f"mlflow:sqlite:///{db}", "wandb": str(tmp_path / "wandb")}


def test_premise_the_trackers_hold_the_csv_twins_rows(tmp_path):
    """The same 1200 steps, the 11 non-finite grad norms logged as such (MLflow's 1.8e308 read back as inf)."""
    [twin] = losslens.read(CSV_TWIN)
    for kind, source in _sources(tmp_path).items():
        [run] = losslens.read(source)
        assert run.axis_name == "epoch" and len(run.axis) == 30, kind
        assert abs(run.series["train_loss"][15] - twin.series["train_loss"][15]) < 1e-6 * twin.series["train_loss"][15]


def test_each_tracker_reads_the_skipped_steps_as_the_csv_does(tmp_path):
    csv = losslens.diagnose(CSV_TWIN)
    [twin] = losslens.read(CSV_TWIN)
    assert csv.verdict == "still_improving" and twin.meta["grad_norm_nonfinite_at"] == [0.0, 1.0, 2.0, 15.0]
    for kind, source in _sources(tmp_path).items():
        [run] = losslens.read(source)
        assert run.meta.get("grad_norm_nonfinite_at") == twin.meta["grad_norm_nonfinite_at"], (kind, run.meta)
        d = losslens.diagnose(source)
        assert d.verdict == csv.verdict, (kind, d)
        assert all(c.id != "lr_too_high" for c in d.causes), (kind, d)
        lead = d.causes[0]
        assert any("one batch's huge loss" in e and "epoch 15" in e for e in lead.evidence), (kind, lead.evidence)
        assert any(a.startswith("check the data of the batches at the spike") for a in lead.actions), kind
        assert all("gradient clipping" not in a for c in d.causes for a in c.actions), kind
        notes = d.to_dict()["notes"]
        assert any("grad_norm is inf/NaN at 11 of its 1200 logged steps (step 0, 1, 2 and 8 more)" in n
                   and "GradScaler skipped" in n for n in notes), (kind, notes)


def test_the_note_is_in_the_text_and_json_of_each(tmp_path):
    for kind, source in _sources(tmp_path).items():
        out = subprocess.run([sys.executable, "-m", "losslens", "diagnose", source, "--json"], capture_output=True,
                             text=True, check=True)
        body = json.loads(out.stdout)
        body = body[0] if isinstance(body, list) else body
        assert any("GradScaler skipped" in n for n in body["notes"]), kind
        text = subprocess.run([sys.executable, "-m", "losslens", "diagnose", source], capture_output=True, text=True,
                              check=True)
        assert "GradScaler skipped" in text.stderr and "one batch's huge loss" in text.stdout, kind


def test_a_finite_grad_norm_log_gets_no_such_note():
    """The control: a TensorBoard run whose grad norms are all finite carries no skipped steps."""
    for path in (ECO / "hf_tb_accum4", ECO / "torch_tb"):
        for run in losslens.read(path):
            assert "grad_norm_nonfinite_at" not in run.meta, path


@pytest.mark.framework
@pytest.mark.slow
@pytest.mark.usefixtures("one_torch_thread")
def test_a_live_trainer_early_stopping_callback_stop_reads_as_its_trainer_state(tmp_path):
    pytest.importorskip("transformers")
    import transformers

    from hf_models import tiny_bert_trainer
    from losslens.integrations.transformers import LosslensCallback

    transformers.logging.set_verbosity_error()
    cb = LosslensCallback()
    trainer = tiny_bert_trainer(tmp_path / "out", cb, n_train=512, epochs=30, eval_steps=10, learning_rate=1e-3,
                                save_strategy="steps", save_steps=10, load_best_model_at_end=True,
                                metric_for_best_model="eval_loss", greater_is_better=False, save_total_limit=1)
    trainer.add_callback(transformers.EarlyStoppingCallback(early_stopping_patience=4))
    trainer.train()
    trainer.save_state()
    assert trainer.state.global_step == 190  # hf_earlystop_held's run, whose trained-on twin never beat its best
    stop = cb.watcher.meta["stopped_early"]
    assert (stop["by"], stop["monitor"], stop["patience"], stop["wait_count"], stop["epochs_run"], stop["epochs"],
            stop["checkpoint"], stop["best_step"]) == ("EarlyStoppingCallback", "eval_loss", 4, 4, 190, 960,
                                                       "checkpoint-150", 150)
    live = cb.watcher.diagnosis
    state = losslens.diagnose(tmp_path / "out" / "trainer_state.json")
    saved = losslens.diagnose(tmp_path / "out" / "losslens.json")
    first = str(live.causes[0].actions[0])
    assert first.startswith("it was stopped early already: EarlyStoppingCallback ended it after 190 of its 960 steps")
    assert "the stop was right on what the log shows" in first
    assert (live.verdict, first) == (state.verdict, str(state.causes[0].actions[0]))
    assert (saved.verdict, str(saved.causes[0].actions[0])) == (state.verdict, first)
    for d in (live, saved):
        text = str(d.to_dict())
        assert "train on with early stopping" not in text and "rather than stop" not in text


@pytest.mark.framework
@pytest.mark.slow
@pytest.mark.usefixtures("one_torch_thread")
def test_a_live_trainer_that_ran_its_course_reads_no_such_stop(tmp_path):
    """The control: EarlyStoppingCallback beside it, patience never exhausted: the run reached max_steps."""
    pytest.importorskip("transformers")
    import transformers

    from hf_models import tiny_bert_trainer
    from losslens.integrations.transformers import LosslensCallback

    transformers.logging.set_verbosity_error()
    cb = LosslensCallback()
    trainer = tiny_bert_trainer(tmp_path / "out", cb, n_train=128, epochs=3, eval_steps=8, learning_rate=1e-3,
                                save_strategy="steps", save_steps=8, load_best_model_at_end=True,
                                metric_for_best_model="eval_loss", greater_is_better=False, save_total_limit=1)
    trainer.add_callback(transformers.EarlyStoppingCallback(early_stopping_patience=50))
    trainer.train()
    assert trainer.state.global_step == trainer.state.max_steps
    assert "stopped_early" not in cb.watcher.meta
