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
