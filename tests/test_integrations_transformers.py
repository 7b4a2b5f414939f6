"""The Hugging Face TrainerCallback on a tiny GPT-2 built from a config (nothing downloaded)."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import losslens  # noqa: E402
from losslens.integrations.transformers import LosslensCallback  # noqa: E402

pytestmark = [pytest.mark.framework, pytest.mark.slow]

VOCAB, LENGTH = 32, 16


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def sequences(n, seed):
    """Random token sequences: nothing generalises, so a model that memorises them overfits."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, VOCAB, (n, LENGTH), generator=g)
    return [{"input_ids": row, "labels": row.clone()} for row in ids]


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
    cb = LosslensCallback(stop_on=("overfitting",), restore_best_weights=True)
    model = tiny_gpt2()
    trainer = transformers.Trainer(model=model, args=args, train_dataset=sequences(32, 0),
                                   eval_dataset=sequences(32, 1), callbacks=[cb])
    trainer.train()

    assert cb.reported.verdict == "overfitting"
    assert cb.stopped_epoch is not None and trainer.state.epoch < 40  # the Trainer stopped early
    assert capsys.readouterr().out.count("losslens (transformers") == 1
    run = cb.run()
    assert run.axis_name == "epoch" and run.has("grad_norm") and run.has("lr")
    assert np.nanargmin(run.val_loss) < len(run) - 1  # validation turned up before the stop
    # restore_best_weights: the model holds the weights of the validation minimum again.
    assert trainer.evaluate()["eval_loss"] == pytest.approx(np.nanmin(run.val_loss), rel=1e-4)

    saved = tmp_path / "losslens.json"
    assert json.loads(saved.read_text())["meta"]["stopped_epoch"] == pytest.approx(cb.stopped_epoch)
    back = losslens.read(saved)[0]
    assert back.val_loss[:len(run)] == pytest.approx(run.val_loss[:len(back)], nan_ok=True)
