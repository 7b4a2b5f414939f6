"""The Hugging Face TrainerCallback on a tiny GPT-2 built from a config (nothing downloaded)."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import losslens  # noqa: E402
from losslens.integrations.transformers import LosslensCallback  # noqa: E402
from hf_models import tiny_bert_trainer  # noqa: E402

pytestmark = [pytest.mark.framework, pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]

VOCAB, LENGTH = 32, 16


def markov(n, seed):
    """Token sequences from one fixed Markov chain (each token has 3 likely successors).

    There is something to learn (validation loss falls towards the chain's entropy), and with
    16 training sequences a 2-layer GPT-2 then memorises them: validation turns up.
    """
    g = torch.Generator().manual_seed(123)  # the same chain for training and validation
    successors = torch.stack([torch.randperm(VOCAB, generator=g)[:3] for _ in range(VOCAB)])
    p = torch.tensor([0.6, 0.3, 0.1])
    g = torch.Generator().manual_seed(seed)
    rows = []
    for _ in range(n):
        tokens = [int(torch.randint(0, VOCAB, (1,), generator=g))]
        for _ in range(LENGTH - 1):
            tokens.append(int(successors[tokens[-1], torch.multinomial(p, 1, generator=g)]))
        ids = torch.tensor(tokens)
        rows.append({"input_ids": ids, "labels": ids.clone()})
    return rows


def tiny_gpt2():
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=VOCAB, n_positions=LENGTH, n_embd=64, n_layer=2, n_head=2,
                                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    return transformers.GPT2LMHeadModel(config)


def test_gpt2_overfitting_is_reported_stopped_and_saved(tmp_path, capsys):
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path), num_train_epochs=40, per_device_train_batch_size=8, learning_rate=3e-3,
        eval_strategy="epoch", logging_strategy="epoch", save_strategy="no", report_to=[],
        use_cpu=True, disable_tqdm=True, seed=0, lr_scheduler_type="constant")
    cb = LosslensCallback(stop_on=("overfitting",), restore_best_weights=True, time_budget_ms=None)  # (reports by rule, not timing)
    model = tiny_gpt2()
    trainer = transformers.Trainer(model=model, args=args, train_dataset=markov(16, 0),
                                   eval_dataset=markov(64, 1), callbacks=[cb])
    trainer.train()

    assert cb.actions == [{"action": "stop", "step": cb.stopped_epoch, "cause": "overfitting"}]
    assert cb.stopped_epoch is not None and trainer.state.epoch < 40  # the Trainer stopped early
    # Reported when first firm (converged, as validation flattens, or overfitting), and again if
    # the verdict changed: the last report is the cause it stopped on.
    assert cb.reports[0]["verdict"] in ("converged", "overfitting") and cb.reported.verdict == "overfitting"
    assert capsys.readouterr().out.count("losslens (transformers") == len(cb.reports) <= 2
    run = cb.run()
    assert run.axis_name == "step" and run.has("grad_norm") and run.has("lr")
    assert run.series["epoch_frac"][-1] == pytest.approx(trainer.state.epoch)
    assert np.nanargmin(run.val_loss) < len(run) - 1  # validation turned up before the stop
    # restore_best_weights: the model holds the weights of the validation minimum again.
    assert trainer.evaluate()["eval_loss"] == pytest.approx(np.nanmin(run.val_loss), rel=1e-4)

    saved = tmp_path / "losslens.json"
    assert json.loads(saved.read_text())["meta"]["stopped_epoch"] == pytest.approx(cb.stopped_epoch)
    back = losslens.read(saved)[0]
    assert back.val_loss[:len(run)] == pytest.approx(run.val_loss[:len(back)], nan_ok=True)


def test_gpt2_stop_gain_reads_num_train_epochs(tmp_path):
    """The forecast rule inside the Trainer callback: horizon = max_steps (num_train_epochs on the
    epoch axis); a validation
    loss forecast to rise (memorisation) gains nothing, so it stops once 10% of the way is done."""
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path), num_train_epochs=40, per_device_train_batch_size=8, learning_rate=3e-3,
        eval_strategy="epoch", logging_strategy="epoch", save_strategy="no", report_to=[],
        use_cpu=True, disable_tqdm=True, seed=0, lr_scheduler_type="constant")
    cb = LosslensCallback(stop_gain=0.01, restore_best_weights=True, verbose=0)
    trainer = transformers.Trainer(model=tiny_gpt2(), args=args, train_dataset=markov(16, 0),
                                   eval_dataset=markov(64, 1), callbacks=[cb])
    trainer.train()
    assert cb.watcher.horizon == 40 * 2   # 16 sequences, batches of 8: 2 steps an epoch
    assert cb.actions[-1]["cause"] == "forecast" and trainer.state.epoch < 40
    run = cb.run()
    assert trainer.evaluate()["eval_loss"] == pytest.approx(np.nanmin(run.val_loss), rel=1e-4)


def test_several_eval_datasets_the_first_is_val_loss_not_a_sum(tmp_path):
    """eval_dataset={"clean": ..., "other": ...} logs eval_clean_loss and eval_other_loss. They were
    summed into val_loss as if they were YOLO's loss parts; the first set is the validation loss."""
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path), num_train_epochs=6, per_device_train_batch_size=8, learning_rate=3e-3,
        eval_strategy="epoch", logging_strategy="epoch", save_strategy="epoch", save_total_limit=1,
        report_to=[], use_cpu=True, disable_tqdm=True, seed=0, lr_scheduler_type="constant")
    trainer = transformers.Trainer(model=tiny_gpt2(), args=args, train_dataset=markov(16, 0),
                                   eval_dataset={"clean": markov(32, 1), "other": markov(32, 2)})
    trainer.train()
    state = next(tmp_path.rglob("trainer_state.json"))
    logged = json.loads(state.read_text())["log_history"]
    clean = [r["eval_clean_loss"] for r in logged if "eval_clean_loss" in r]
    [run] = losslens.read(state)
    assert run.val_loss[np.isfinite(run.val_loss)] == pytest.approx(clean, rel=1e-6)
    assert run.has("eval_other_loss") and "loss_parts" not in run.meta
    assert losslens.diagnose(state).metric == "val_loss"


def test_what_the_trainer_printed_reads_as_its_log_history(tmp_path, capsys):
    """The console of a real Trainer run (disable_tqdm: a Python dict per log, its numbers printed as
    strings in recent versions), captured to a file: the run its log_history holds, the closing
    summary (train_runtime and a mean train_loss) left out."""
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path), num_train_epochs=6, per_device_train_batch_size=8, learning_rate=3e-3,
        eval_strategy="epoch", logging_strategy="epoch", save_strategy="no", report_to=[],
        use_cpu=True, disable_tqdm=True, seed=0, lr_scheduler_type="constant")
    trainer = transformers.Trainer(model=tiny_gpt2(), args=args, train_dataset=markov(16, 0),
                                   eval_dataset=markov(64, 1))
    trainer.train()
    printed = capsys.readouterr().out
    assert "'train_runtime'" in printed
    (tmp_path / "out.txt").write_text(printed)
    [run] = losslens.read(tmp_path / "out.txt")
    history = trainer.state.log_history
    assert run.meta["format"] == "hf_console" and list(run.axis) == [1, 2, 3, 4, 5, 6]
    assert run.val_loss == pytest.approx([h["eval_loss"] for h in history if "eval_loss" in h], rel=1e-3)
    assert run.train_loss == pytest.approx([h["loss"] for h in history if "loss" in h], rel=1e-3)


def test_the_report_follows_the_run_when_the_verdict_changes(tmp_path, capsys):
    """At lr 1e-4 the validation loss sits near ln 2 for 6 epochs, then drops. The callback reported
    'underfitting' on the flat start and never again: the run ended 50% lower with no word. It
    reports again when a firm verdict differs from the one reported (not at every evaluation)."""
    cb = LosslensCallback(time_budget_ms=None)  # (which evaluations report: by rule, not by timing)
    trainer = tiny_bert_trainer(tmp_path, cb, learning_rate=1e-4, lr_scheduler_type="constant")
    trainer.train()
    out = capsys.readouterr().out
    run = cb.run()
    v0 = run.finite("val_loss")[1][0]  # (the run's first row is the first training loss logged, before any evaluation)
    dropped = run.axis[np.argmax(run.val_loss < 0.6 * v0)]   # the first evaluation after the drop
    assert np.nanmin(run.val_loss) < 0.6 * v0 and out.count("losslens (transformers") >= 2
    first, last = cb.reports[0], cb.reports[-1]
    assert first["step"] < dropped <= last["step"]                  # reported on the flat start, then again
    assert last["verdict"] != first["verdict"] and f", no longer {first['verdict']}" in out
    assert out.count("losslens (transformers") == len(cb.reports) <= 3 < len(run) // 4   # not at every evaluation
    assert last["verdict"] == cb.diagnosis.verdict                  # the last word is the run's end
    assert json.loads((tmp_path / "losslens.json").read_text())["meta"]["reports"] == cb.reports
    # K = 2 read off the classifier's head: flat at ln 2, validation 0.2% up while training fell 2% is a model
    # that learned nothing yet, not one that overfits (read overfitting at step 130 before K was known).
    assert cb.watcher.classes == 2
    assert not [r for r in cb.reports if r["step"] < dropped and r["verdict"] == "overfitting"]


def test_the_class_count_is_read_only_off_a_single_label_classifier():
    """A language model's config carries num_labels=2 too, and a regression head has problem_type set by its
    first forward pass: neither gets a chance level."""
    from losslens.integrations.transformers import model_classes

    bert = dict(vocab_size=32, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                max_position_embeddings=8)
    ids = torch.randint(0, 32, (4, 8))
    clf = transformers.BertForSequenceClassification(transformers.BertConfig(num_labels=3, **bert))
    assert model_classes(clf) is None                               # before any forward pass: not yet known
    clf(input_ids=ids, labels=torch.tensor([0, 1, 2, 0]))
    assert model_classes(clf) == 3
    reg = transformers.BertForSequenceClassification(transformers.BertConfig(num_labels=1, **bert))
    reg(input_ids=ids, labels=torch.tensor([0.1, 0.2, 0.3, 0.4]))
    multi = transformers.BertForSequenceClassification(transformers.BertConfig(num_labels=3, **bert))
    multi(input_ids=ids, labels=torch.tensor([[1.0, 0, 1]] * 4))
    lm = transformers.GPT2LMHeadModel(transformers.GPT2Config(vocab_size=32, n_embd=16, n_layer=1, n_head=2,
                                                              n_positions=8))
    assert [model_classes(m) for m in (reg, multi, lm)] == [None, None, None]


def test_a_decaying_lr_schedule_keeps_converged_from_stopping(tmp_path, capsys):
    """lr_scheduler_type="linear" (the Trainer's default): stop_on=("converged", ...) stopped at
    epoch 4.06, flat at the current lr while the schedule still lowered it. It goes on now; an
    overfitting stop is kept as it was."""
    cb = LosslensCallback(stop_on=("converged", "overfitting", "diverged"), restore_best_weights=True,
                          time_budget_ms=None)  # (stops and reports by rule, not by the machine's speed)
    trainer = tiny_bert_trainer(tmp_path, cb, learning_rate=5e-4, lr_scheduler_type="linear", warmup_steps=32)
    trainer.train()
    assert not [a for a in cb.actions if a.get("cause") == "converged"]
    out = capsys.readouterr().out
    assert out.count('converged at the current lr, but the lr schedule (lr_scheduler_type="linear") '
                     'still runs: not stopping') == 1
    if cb.stopped_epoch is not None:
        assert cb.actions[-1]["cause"] == "overfitting"
        assert trainer.evaluate()["eval_loss"] == pytest.approx(np.nanmin(cb.run().val_loss), rel=1e-4)


class DigitsMLP(torch.nn.Module):
    """A 64-wide MLP for tests/digits_task.py, in the Trainer's model contract (a dict with the loss)."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))

    def forward(self, x, labels=None):
        out = self.net(x)
        return {"loss": torch.nn.functional.cross_entropy(out, labels), "logits": out}


def digits_trainer_run(tmp_path, **arguments):
    """40 epochs of batch 32, evaluated every epoch, a constant lr; ``arguments``: TrainingArguments."""
    from digits_task import digits_split

    xtr, ytr, xva, yva = digits_split()
    rows = lambda x, y: [{"x": torch.tensor(a), "labels": torch.tensor(int(b))} for a, b in zip(x, y)]  # noqa: E731
    torch.manual_seed(0)
    cb = LosslensCallback(verbose=0, classes=10)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path), num_train_epochs=40, per_device_train_batch_size=32, per_device_eval_batch_size=1000,
        eval_strategy="epoch", logging_strategy="epoch", save_strategy="no", report_to=[], use_cpu=True,
        disable_tqdm=True, seed=0, lr_scheduler_type="constant", **arguments)
    transformers.Trainer(model=DigitsMLP(), args=args, train_dataset=rows(xtr, ytr), eval_dataset=rows(xva, yva),
                         callbacks=[cb]).train()
    return cb


def test_trainer_sgd_weight_decay_that_holds_both_losses_reads_underfitting(tmp_path):
    # optim="sgd" (momentum 0.9), lr 0.05, weight_decay=0.05 on the weights (the Trainer leaves biases at 0):
    # eval_loss 0.721, training 0.679 level at 31% of its start, read "converged" live. weight_decay=1e-5
    # ends at 0.149; a 512-wide model at 0.05 at 0.721 (no lower).
    cb = digits_trainer_run(tmp_path, optim="sgd", optim_args="momentum=0.9", learning_rate=0.05, weight_decay=0.05)
    d = cb.diagnosis
    assert d.verdict == "underfitting" and d.cause.numbers["weight_decay"] == 0.05, d.verdict
    assert "weight_decay = 0.05 (SGD optimizer)" in " ".join(d.cause.evidence)
    assert d.cause.actions[0].startswith("lower the weight decay")
    saved = json.loads((tmp_path / "losslens.json").read_text())
    assert saved["meta"]["weight_decay"] == {"name": "weight_decay", "value": 0.05, "where": "SGD optimizer"}

    weak = digits_trainer_run(tmp_path, optim="sgd", optim_args="momentum=0.9", learning_rate=0.05,
                              weight_decay=1e-5)
    assert weak.diagnosis.verdict == "converged" and weak.run().val_loss[-1] < 0.25
    assert all(r["verdict"] != "underfitting" for r in weak.reports)


def test_trainer_adamw_decay_is_recorded_not_blamed(tmp_path):
    # The Trainer's default optimizer, AdamW (1e-3), at weight_decay=0.05: eval_loss 0.199 (1e-5 in a plain
    # loop: 0.195): decoupled from the loss, that decay holds nothing, and is not quoted.
    cb = digits_trainer_run(tmp_path, learning_rate=1e-3, weight_decay=0.05)
    meta = cb.run().meta
    assert "weight_decay" not in meta and meta["decoupled_weight_decay"]["value"] == 0.05
    assert meta["decoupled_weight_decay"]["where"] == "AdamW optimizer"
    assert cb.diagnosis.verdict != "underfitting" and cb.run().val_loss[-1] < 0.25


def test_report_under_the_trainers_tqdm_bars_starts_a_line_of_its_own(tmp_path):
    """With the Trainer's progress bars (disable_tqdm=False, its default in a terminal), the report printed at an
    evaluation ran on from the evaluation bar ("1/1 [00:00<00:00, 1816.50it/s]\\x1b[Alosslens (transformers, ...");
    it goes through tqdm.write now, which clears the bars first."""
    import contextlib
    import io
    import re

    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    cb = LosslensCallback(start_from_epoch=2, save_path=None, time_budget_ms=None)
    trainer = tiny_bert_trainer(tmp_path, cb, epochs=4, n_train=128, eval_steps=4, learning_rate=1e-3,
                                lr_scheduler_type="constant", logging_steps=4)
    trainer.args.disable_tqdm = False
    trainer.remove_callback(PrinterCallback)
    trainer.add_callback(ProgressCallback)
    out = io.StringIO()  # stdout and stderr (tqdm's) in one stream, as on a terminal
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        trainer.train()
    out = out.getvalue()
    assert cb.reports and not cb.reports[0].get("final")
    starts = [i for i in range(len(out)) if out.startswith("losslens (transformers", i)]
    # (at the start of a line: after a line end, and the cursor moves up to the cleared bar's line)
    assert len(starts) == len(cb.reports) and all(re.search(r"[\r\n](\x1b\[A)*\Z", out[:i]) for i in starts)


def test_load_best_model_at_end_is_said_not_advised(tmp_path):
    """A Trainer with load_best_model_at_end=True loads its best checkpoint when training ends; the overfitting
    report's first action read "early stopping with restore_best_weights: the best weights are from step 80", to
    do what the Trainer does. The run of tests/fixtures/ecosystem/hf_earlystop_rise (stopped at step 128 by its
    EarlyStoppingCallback, best checkpoint-80), live, then read back from the losslens.json the callback saved."""
    cb = LosslensCallback(time_budget_ms=None)
    trainer = tiny_bert_trainer(tmp_path, cb, layers=1, n_train=256, epochs=30, eval_steps=16, learning_rate=1e-3,
                                save_strategy="steps", save_steps=16, load_best_model_at_end=True,
                                metric_for_best_model="eval_loss", greater_is_better=False, save_total_limit=2)
    trainer.add_callback(transformers.EarlyStoppingCallback(early_stopping_patience=3))
    trainer.train()
    assert trainer.state.best_model_checkpoint.endswith("checkpoint-80") and trainer.state.global_step == 128
    said = ("the Trainer loads its best checkpoint at the end (load_best_model_at_end=True: step 80, eval_loss "
            f"{trainer.state.best_metric:.4g}): keep it")
    # Said last: the EarlyStoppingCallback ended the run at that best, so the gap's remedies are what comes next
    # (diagnosis._next_after_stop; more data first, data_limited read beside it, as hf_earlystop_rise's file reads).
    assert cb.reported.verdict == "overfitting" and cb.reported.cause.actions[-1].startswith(said)
    assert cb.reported.cause.actions[0] == "data augmentation or more training data"
    assert "Try: data augmentation or more training data;" in cb.watcher.messages[-1]  # the line printed at the end
    saved = losslens.diagnose(tmp_path / "losslens.json")
    assert saved.verdict == "overfitting" and saved.cause.actions[-1].startswith(said)


def first_token_task(n, g, flip=0.2):
    """Is the first of 16 tokens (of 64) below 32? ``flip`` of the labels flipped: a tiny BERT on 128 of them
    learns it for a few epochs, then memorises them (validation turns up)."""
    ids = torch.randint(1, 64, (n, 16), generator=g)
    labels = (ids[:, 0] < 32).long()
    flipped = torch.rand(n, generator=g) < flip
    labels[flipped] = 1 - labels[flipped]
    return [{"input_ids": ids[i], "attention_mask": torch.ones(16, dtype=torch.long), "labels": labels[i]}
            for i in range(n)]


def first_token_trainer(tmp_path, cb, **arguments):
    g = torch.Generator().manual_seed(0)
    train, val = first_token_task(128, g), first_token_task(256, g)
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=64, max_position_embeddings=16)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path), per_device_train_batch_size=16, learning_rate=1e-3, eval_strategy="steps",
        save_strategy="no", report_to=[], lr_scheduler_type="constant", disable_tqdm=True, use_cpu=True, seed=0,
        **{"num_train_epochs": 30, **arguments})
    return transformers.Trainer(model=transformers.BertForSequenceClassification(config), args=args,
                                train_dataset=train, eval_dataset=val, callbacks=[cb])


def test_accumulated_loss_summed_by_transformers_is_divided_live_and_in_the_state(tmp_path):
    # Transformers 5.x leaves each accumulated batch's loss undivided when the model's forward takes **kwargs, and
    # BERT's classification head ignores num_items_in_batch: the logged loss is the sum over the 2 batches, 1.38
    # at the start where a 2-class guess is ln 2 = 0.69. This run memorises its 128 examples (overfitting), which
    # brings the whole run's training/eval ratio down to 1.3: read undivided it was "learning rate too high ...
    # train_loss never got below it (its lowest 0.6656)", then a generalization gap "grew from -0.341".
    cb = LosslensCallback(stop_on=("overfitting",), time_budget_ms=None)
    trainer = first_token_trainer(tmp_path, cb, gradient_accumulation_steps=2, eval_steps=4, logging_steps=4)
    with pytest.warns(losslens.LosslensWarning, match="logged 2x too high"):
        trainer.train()
    logged = np.array([r["loss"] for r in trainer.state.log_history if "loss" in r])
    assert logged[0] == pytest.approx(2 * np.log(2), rel=0.02)  # (what Transformers logged: the sum)
    run = cb.run()
    assert run.meta["train_loss_divided_by"] == 2
    train = run.series["train_loss"][np.isfinite(run.series["train_loss"])]
    np.testing.assert_allclose(train[0], np.log(2), rtol=0.02)
    assert [r["verdict"] for r in cb.reports] == ["overfitting"]
    # The run's trainer_state.json reads the same: its samples per optimizer step say 2 batches.
    trainer.save_state()
    state = losslens.read(tmp_path / "trainer_state.json")[0]
    assert state.meta["train_loss_divided_by"] == 2
    np.testing.assert_allclose(state.series["train_loss"][np.isfinite(state.series["train_loss"])], logged / 2)
    d = losslens.diagnose(state)
    assert d.verdict == "overfitting" and "gap grew from 0.1" in str(d)


def test_accumulated_loss_of_a_causal_lm_is_logged_right_and_kept(tmp_path):
    # GPT-2's loss divides by num_items_in_batch: with the same 2 accumulated batches Transformers logs the mean,
    # ln 32 = 3.47 at the start, and neither the callback nor the reader divides it.
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path), num_train_epochs=3, per_device_train_batch_size=4, gradient_accumulation_steps=2,
        learning_rate=1e-3, eval_strategy="steps", eval_steps=2, logging_steps=2, save_strategy="no", report_to=[],
        use_cpu=True, disable_tqdm=True, seed=0, lr_scheduler_type="constant")
    cb = LosslensCallback(time_budget_ms=None)
    trainer = transformers.Trainer(model=tiny_gpt2(), args=args, train_dataset=markov(32, 0),
                                   eval_dataset=markov(64, 1), callbacks=[cb])
    trainer.train()
    trainer.save_state()
    logged = np.array([r["loss"] for r in trainer.state.log_history if "loss" in r])
    assert logged[0] == pytest.approx(np.log(VOCAB), rel=0.1)
    for run in (cb.run(), losslens.read(tmp_path / "trainer_state.json")[0]):
        assert "train_loss_divided_by" not in run.meta
        np.testing.assert_allclose(run.series["train_loss"][np.isfinite(run.series["train_loss"])], logged, rtol=1e-6)


def test_validation_below_a_guess_then_memorised_is_overfitting_not_no_signal(tmp_path):
    # 128 examples whose labels carry signal (20% flipped): validation falls from ln 2 = 0.692 to 0.630 by step 32
    # (5 noise sds under the guess), then the model memorises (training 0.03, validation 1.9 at step 240). Against
    # training's gain of 0.66 validation's 0.06 was under the 10% bar, and from step 168 the live report turned from
    # overfitting to no_signal, "check the labels"; on 1024 such examples validation reaches 0.566.
    cb = LosslensCallback(time_budget_ms=None)
    trainer = first_token_trainer(tmp_path, cb, eval_steps=8, logging_steps=8)
    trainer.train()
    run = cb.run()
    assert run.meta["classes"] == 2 and np.nanmin(run.val_loss) < np.log(2) - 0.05
    assert [r["verdict"] for r in cb.reports] == ["overfitting"]
    d = losslens.diagnose(losslens.read(tmp_path / "losslens.json")[0])
    assert d.verdict == "overfitting" and "no_signal" not in [c.id for c in d.causes]
    # X at validation's best, as the report at step 56 said and as its advice restores: on 30 checks the smooth
    # flattened the dip (0.663 at step 32 against 0.630 raw) and X read the first check, "step 8 [8, 8]".
    assert d.plateau.epoch == run.axis[np.nanargmin(run.val_loss)] == 32


def test_a_run_to_its_last_step_ends_with_the_best_weights(tmp_path):
    """restore_best_weights with no losslens stop: the Trainer runs to its last step while validation turns up
    (memorisation), and train() hands back the best evaluation's weights, as Keras's callback does at the end of any
    fit, saying so once. It handed back the last ones (the walk's tiny BERT: eval_loss 1.896 at max_steps, its best
    0.630)."""
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path), num_train_epochs=20, per_device_train_batch_size=8, learning_rate=3e-3,
        eval_strategy="epoch", logging_strategy="epoch", save_strategy="no", report_to=[],
        use_cpu=True, disable_tqdm=True, seed=0, lr_scheduler_type="constant")
    cb = LosslensCallback(restore_best_weights=True, verbose=0)
    trainer = transformers.Trainer(model=tiny_gpt2(), args=args, train_dataset=markov(16, 0),
                                   eval_dataset=markov(64, 1), callbacks=[cb])
    trainer.train()
    run = cb.run()
    best = int(np.nanargmin(run.val_loss))
    assert cb.stopped_epoch is None and best < len(run) - 1  # (else the last weights would pass too)
    assert trainer.evaluate()["eval_loss"] == pytest.approx(float(run.val_loss[best]), rel=1e-4)
    said = [m for m in cb.watcher.messages if "at the end of training (restore_best_weights)" in m]
    assert len(said) == 1 and f"restoring the weights of step {run.axis[best]:g}" in said[0], cb.watcher.messages
