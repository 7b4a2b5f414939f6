"""Would more data help? Read from a learning curve over training-set size, when one was measured.

A curve of one run cannot show this (DESIGN.md: ``data_limited`` needs a learning curve). When
the run carries one — ``run.meta["learning_curve"] = {n_train: best validation loss}``, as the
lab's variants and the benchmark scenarios attach — the last two sizes give the log-log slope
and the gain one more doubling of the data would bring, ``1 − 2**slope`` (a power law
L ∝ n^slope, the usual shape of learning curves: Hestness et al. 2017, "Deep Learning Scaling
is Predictable, Empirically").
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class LearningCurveFacts:
    sizes: list[float]
    losses: list[float]
    slope: float            # d log(loss) / d log(n) between the two largest sizes
    gain_if_doubled: float  # 1 - 2**slope: relative fall of the loss from doubling the data


def learning_curve_facts(meta: dict) -> LearningCurveFacts | None:
    curve = meta.get("learning_curve") if isinstance(meta, dict) else None
    if not isinstance(curve, dict) or len(curve) < 2:
        return None
    try:
        pairs = sorted((float(n), float(v)) for n, v in curve.items())
    except (TypeError, ValueError):
        return None
    pairs = [(n, v) for n, v in pairs if n > 0 and v > 0 and math.isfinite(n) and math.isfinite(v)]
    if len(pairs) < 2:
        return None
    (n1, v1), (n2, v2) = pairs[-2], pairs[-1]
    if n2 <= n1:
        return None
    slope = math.log(v2 / v1) / math.log(n2 / n1)
    return LearningCurveFacts([p[0] for p in pairs], [p[1] for p in pairs], slope, 1 - 2 ** slope)
