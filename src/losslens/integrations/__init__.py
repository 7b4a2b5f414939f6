"""Callbacks that diagnose a run while it trains: one module per framework.

* :mod:`losslens.integrations.keras` — ``LosslensCallback`` for Keras 3 (any backend)
* :mod:`losslens.integrations.lightning` — ``LosslensCallback`` for Lightning
* :mod:`losslens.integrations.transformers` — ``LosslensCallback`` for the Hugging Face Trainer
* :mod:`losslens.integrations.torch` — ``Monitor`` for a hand-written PyTorch loop

Each module imports its framework; this package imports none, so ``import losslens``
stays light. The shared logic (recording, diagnosing, deciding, saving) is in ``_core``.
"""
