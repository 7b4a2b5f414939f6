"""A language model's fine-tune read from the Trainer's own trainer_state.json: a tiny GPT-2 pretrained on
Python source, fine-tuned 6 epochs on 64 blocks of docstrings (tests/fixtures/ecosystem/hf_lm_finetune,
make.py and make.out)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import losslens
from losslens.facts.epochs import epoch_staircase

HERE = Path(__file__).parent / "fixtures" / "ecosystem" / "hf_lm_finetune"


def _staircase_lines(d) -> list[str]:
    return [line for c in d.causes for line in c.evidence if "epoch boundaries" in line]


def _eval(name: str) -> tuple[list[int], list[float]]:
    log = json.loads((HERE / name / "trainer_state.json").read_text())["log_history"]
    rows = [r for r in log if "eval_loss" in r]
    return [r["step"] for r in rows], [r["eval_loss"] for r in rows]


def test_the_fine_tune_overfits_at_its_eval_minimum_and_its_staircase_is_read_as_memorisation():
    # eval_loss is lowest at step 16, the end of epoch 1 (5.257), and ends at 5.296; 1 epoch alone ended at
    # 5.294. Training fell 0.215 an epoch after the first, +0.06 +- 0.10 inside an epoch: before, the report
    # said nothing of that staircase.
    d = losslens.diagnose(HERE / "ft_e6")
    steps, evals = _eval("ft_e6")
    assert d.verdict == "overfitting" and d.plateau.epoch == steps[int(np.argmin(evals))] == 16
    [line] = _staircase_lines(d)
    assert d.causes[0].evidence[-1] == line and "memorisation" in line and "did not fall" in line
    assert min(_eval("ft_e1")[1]) == pytest.approx(evals[-1], abs=0.01)   # 6 epochs ended where 1 did


@pytest.mark.parametrize("name, before", [("ft_e6_evalepoch", "converged"), ("ft_e6_evalepoch_ls3", "no_signal")])
def test_evaluated_once_an_epoch_the_same_fine_tune_still_reads_overfitting_at_epoch_1(name, before):
    # eval_strategy="epoch" logs ft_e6's evaluations at 16, 32 ... 96: the first is the best (5.257), the rest
    # 5.28-5.33, while training falls 0.215 an epoch, in steps. Validation's improvement is then 0, and the gap
    # growing from 0.14 to 1.91 read as "0% of it" (converged, "stop here"); training's tail t (-1.8: flat inside
    # its last epoch and a half) missed the fall that the staircase measures. With logging_steps=3 (windows
    # across the boundaries) it read no_signal: "val_loss never improved" -- but it was already 0.40 below where
    # training started, 19% of training's gain.
    d = losslens.diagnose(HERE / name)
    steps, evals = _eval(name)
    assert len(steps) == 6 and steps == _eval("ft_e6")[0][1::2]
    assert d.verdict == "overfitting" != before and d.plateau.epoch == 16 == steps[int(np.argmin(evals))]
    assert _staircase_lines(d)


def test_without_an_eval_set_the_staircase_is_said_beside_still_falling():
    # The same training run with no eval set: "still improving slowly" (the training loss does fall with more
    # epochs) now says the fall comes at the epoch boundaries, what an eval set would show of it.
    d = losslens.diagnose(HERE / "ft_e6_noeval")
    assert d.metric == "train_loss"
    [line] = _staircase_lines(d)
    assert "a held-out loss would show" in line and line in d.causes[0].evidence


def test_a_pretraining_run_resumed_with_more_epochs_reads_whole_and_still_improving():
    # pre_e2 (64 steps, cosine run out) read still improving: resumed from its last checkpoint with
    # num_train_epochs=4, eval_loss went 4.095 -> 3.854 (-5.9%; a fresh 4-epoch schedule 3.818, 8 epochs 3.612).
    # The resumed state's step 64 holds the first run's closing evaluation and no training loss (no logging
    # step): that absence was said as "train_loss is NaN at step 64 (1 of 27 points), read as a gap".
    assert losslens.diagnose(HERE / "pre_e2").verdict == "still_improving"
    steps, evals = _eval("pre_e2_resumed_e4")
    assert evals[-1] < 0.95 * dict(zip(steps, evals))[64]
    d = losslens.diagnose(HERE / "pre_e2_resumed_e4")
    [run] = losslens.read(HERE / "pre_e2_resumed_e4")
    assert np.isnan(run.train_loss[list(run.axis).index(64)])
    assert d.verdict == "still_improving" and not [e for c in d.causes for e in c.evidence if "read as a gap" in e]


@pytest.mark.parametrize("name", ["ft_e6_lr3e-4", "pre_e8"])
def test_a_loss_that_also_falls_inside_its_epochs_is_no_staircase(name):
    # lr 3e-4: 53% of the fall at the boundaries, eval_loss still lowest at the end (5.049); pretraining 8 epochs
    # on 504 blocks: the loss falls inside each epoch as much as across (-0.25 +- 0.06 an epoch inside).
    assert not _staircase_lines(losslens.diagnose(HERE / name))


def test_an_lr_stepped_at_the_epoch_boundaries_makes_no_memorisation_staircase():
    # A per-epoch StepLR drops the loss at each boundary for another reason: the lr moved there, not inside.
    e = np.repeat(np.arange(6), 8) + np.tile(np.arange(1, 9) / 8, 6)
    k = np.ceil(e - 1e-9) - 1
    y = 3.0 - 0.2 * k + 0.01 * np.sin(np.arange(e.size))
    assert epoch_staircase(e, y) is not None
    assert epoch_staircase(e, y, lr=1e-3 * 0.5 ** k) is None
    assert epoch_staircase(e, y, lr=1e-3 * (1 - e / 6)) is not None   # a linear decay moves it at every step


def test_a_long_logs_staircase_is_summed_without_blas_threads():
    """A 100,000-step log's staircase took 60 of a diagnosis's 115 ms on a busy 2-core machine: its three sums of
    products went through ``@`` to OpenBLAS, which splits a dot product of more than 10,000 points across threads
    (~20 ms each to wake them there, 0.05 ms on one thread). Summed by numpy itself, the facts are the same bits
    whatever the BLAS thread count, where the threads' partial sums moved their last digits."""
    code = """
import numpy as np
from losslens.facts.epochs import epoch_staircase
rng = np.random.default_rng(0)
e = np.arange(1, 100_001) / 10_000
k = np.ceil(e - 1e-9) - 1
print(repr(epoch_staircase(e, 2.0 - 0.1 * k + 0.02 * (e - k) + rng.normal(0, 0.05, e.size))))
"""
    facts = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "OPENBLAS_NUM_THREADS": threads}
                            ).stdout for threads in ("1", "2")}
    assert len(facts) == 1, facts
    assert "StaircaseFacts(epochs=9" in facts.pop()


@pytest.mark.slow
@pytest.mark.framework
@pytest.mark.usefixtures("one_torch_thread")
def test_the_callback_evaluating_once_an_epoch_stops_the_fine_tune_on_overfitting(tmp_path):
    # make.py's ft_e6_evalepoch, live (its pretraining too: a minute on one thread). A row per
    # evaluation holds the epoch's mean training loss, 5.36 beside eval_loss 5.26 at epoch 1 (its best: 5.76
    # before training): "val_loss never got below where training started (5.364): no learnable signal", no
    # stop, all 6 epochs. The first training loss logged is now a row of its own, as in trainer_state.json.
    pytest.importorskip("transformers")
    import random
    import sys

    import torch
    import transformers
    from losslens.integrations.transformers import LosslensCallback

    sys.path.insert(0, str(HERE))
    try:
        import make
    finally:
        sys.path.remove(str(HERE))

    def args(out, **more):
        return transformers.TrainingArguments(output_dir=str(tmp_path / out), save_strategy="no", report_to=[], seed=0,
                                              use_cpu=True, disable_tqdm=True, **more)

    code = make.blocks(make.code_text())
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=len(make.VOCAB) + 1, n_positions=make.BLOCK, n_embd=256, n_layer=2,
                                     n_head=4, bos_token_id=0, eos_token_id=0)
    model = transformers.GPT2LMHeadModel(config)
    transformers.Trainer(model=model, train_dataset=code[:-48], args=args(
        "pre", num_train_epochs=4, per_device_train_batch_size=16, learning_rate=2e-3, lr_scheduler_type="cosine",
        warmup_steps=0.05)).train()
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    docs = make.blocks(make.doc_text())
    random.Random(0).shuffle(docs)
    cb = LosslensCallback(stop_on=("overfitting",), restore_best_weights=True, time_budget_ms=None, verbose=0)
    trainer = transformers.Trainer(model=model, train_dataset=docs[40:104], eval_dataset=docs[:40], callbacks=[cb], args=args(
        "ft", num_train_epochs=6, per_device_train_batch_size=4, learning_rate=3e-3, lr_scheduler_type="linear",
        warmup_steps=0.1, logging_steps=2, eval_strategy="epoch"))
    trainer.train()
    run = cb.run()
    xv, val = run.finite("val_loss")
    assert cb.actions and cb.actions[-1]["cause"] == "overfitting" and trainer.state.epoch < 6
    assert np.argmin(val) == 0 and cb.diagnosis.plateau.epoch == xv[0]       # stopped on its best at epoch 1
    assert trainer.evaluate()["eval_loss"] == pytest.approx(val[0], rel=1e-4)  # whose weights it restored
