"""A task a tiny Hugging Face model learns in seconds on CPU (shared by the Transformers tests)."""

import numpy as np


def keyword_task(n, seed, flip=0.1):
    """Is token 7 or 9 in the sequence? 16 random tokens of 64, 10% of the labels flipped. A tiny
    BERT sits at the chance loss for a few epochs, then learns it in one drop."""
    import torch

    rng = np.random.default_rng(seed)
    ids = rng.integers(1, 64, size=(n, 16))
    labels = ((ids == 7) | (ids == 9)).any(1).astype(int)
    labels = np.where(rng.random(n) < flip, 1 - labels, labels)
    return [{"input_ids": torch.tensor(i), "attention_mask": torch.ones(16, dtype=torch.long),
             "labels": torch.tensor(label)} for i, label in zip(ids, labels)]


def tiny_bert_trainer(tmp_path, cb, *, hidden=64, layers=2, n_train=512, n_eval=256, epochs=10, eval_steps=10,
                      **arguments):
    """A Trainer of a tiny BERT (built from a config: nothing downloaded) on :func:`keyword_task`, with the
    losslens callback ``cb``; evaluated every ``eval_steps`` steps (``None``: never, no eval set), nothing
    saved unless ``arguments`` say (save_strategy="steps", save_steps=20). ``arguments`` go to TrainingArguments
    (learning_rate, lr_scheduler_type, logging_steps ...)."""
    import torch
    import transformers

    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=64, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=2,
                                     intermediate_size=2 * hidden, max_position_embeddings=16, num_labels=2)
    evaluation = {"eval_strategy": "no"} if eval_steps is None else {"eval_strategy": "steps", "eval_steps": eval_steps}
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path), num_train_epochs=epochs, per_device_train_batch_size=16,
        per_device_eval_batch_size=256, use_cpu=True, disable_tqdm=True, seed=0,
        **evaluation, **{"logging_steps": 5, "save_strategy": "no", "report_to": [], **arguments})
    return transformers.Trainer(model=transformers.BertForSequenceClassification(config), args=args,
                                train_dataset=keyword_task(n_train, 0),
                                eval_dataset=None if eval_steps is None else keyword_task(n_eval, 1), callbacks=[cb])
