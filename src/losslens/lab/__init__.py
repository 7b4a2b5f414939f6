"""The lab: the article's three experiments run honestly, and variants that make each phenomenon real.

    >>> from losslens.lab import run_seed_lab, lab_text
    >>> result = run_seed_lab(range(5))          # 3 experiments x 5 seeds x 50 epochs, diagnosed
    >>> print(lab_text(result))                  # claim, measurement, diagnosis per experiment

Modules: :mod:`~losslens.lab.data` (the article's data, scikit-learn's digits),
:mod:`~losslens.lab.nets` (small networks, one copy per seed, Keras's initialisation),
:mod:`~losslens.lab.train` (Keras ``fit`` semantics for all seeds at once),
:mod:`~losslens.lab.experiments` (the article's experiments as specifications),
:mod:`~losslens.lab.runner` (train, diagnose, save), :mod:`~losslens.lab.report` (text),
:mod:`~losslens.lab.variants`, :mod:`~losslens.lab.keras_article` and
:mod:`~losslens.lab.compare` (the article's Keras code against the PyTorch seed spread).

Needs PyTorch (and scikit-learn for the digits variant, Keras 3 for the comparison);
nothing here is imported by ``import losslens``.
"""

from ..exceptions import TORCH_PIN, import_framework

# As the integrations and `losslens lab` say it: a bare "No module named 'torch'" from lab/nets.py, four imports down,
# named no extra, and an unpinned torch is a multi-GB CUDA build.
import_framework("torch", f"losslens.lab needs PyTorch: pip install {TORCH_PIN} 'losslens[lab]'")

from .report import lab_text, write_reports  # noqa: E402
from .runner import run_seed_lab, save_runs  # noqa: E402

__all__ = ["run_seed_lab", "save_runs", "lab_text", "write_reports"]
