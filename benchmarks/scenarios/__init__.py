"""Generated scenarios: small real models trained on CPU, each label verified by an intervention.

See :mod:`benchmarks.scenarios.generate`; ``python -m benchmarks.scenarios`` regenerates the
committed ``curves.csv.gz`` and ``labels.csv``.
"""
