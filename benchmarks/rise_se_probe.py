"""Would the overfitting rise pass a test on its standard error? (measured, not kept: docs/benchmarks.md)

``python benchmarks/rise_se_probe.py`` (about 10 s). The overfitting rule asks a validation rise of 3 noise
sds: the median of the last quarter over the smoothed minimum, both against one point's noise. Both ends are
levels of several points, so the textbook bar is a two-sample z statistic, the rise over the standard error of
a difference of two levels, ``sd * sqrt(1/w + pi/(2k))`` (the minimum a mean of the smoothing window's w
points; the end a median of k, whose sd is sqrt(pi/2) sd/sqrt(k) under normal noise). The smooth's minimum is
the deepest of many noisy means, though, so under no rise at all the statistic is not centred on 0: this
script draws curves that fall and then hold their floor (iid normal noise) and counts how often the statistic
passes the bars a z-test would set (3, the 1% and 5% one-sided levels), and it replays the one real train-split
case that prompted it (handson-ml2 ch. 10 cell179, labelled overfitting, read converged) under its own noise
with its floor held after the minimum (a residual bootstrap).
"""

from __future__ import annotations

import numpy as np

from losslens.facts.generalization import generalization
from losslens.facts.smoothing import median, noise_sigma, smooth, window_for

BARS = (3.0, 2.33, 1.645)


def rise_z(y: np.ndarray) -> tuple[float, float, int]:
    """``(z, rise in noise sds, index of the smoothed minimum)`` of a validation curve ``y`` (lower is better)."""
    n = y.shape[0]
    g = generalization(np.arange(n, dtype=float), y, None, None)
    sv = smooth(y)
    i = int(np.argmin(sv))
    sd = noise_sigma(y)  # the sd generalization() scales the rise by
    k = max(1, n // 4)
    w = 2 * min(window_for(n) // 2, i, n - 1 - i) + 1
    return float((median(y[-k:]) - sv[i]) / (sd * np.sqrt(1.0 / w + np.pi / (2.0 * k)))), g.val_rise_noise, i


def early(i: int, n: int) -> bool:
    """The rule's own condition on the minimum: before the last 10% of the run."""
    return (n - 1 - i) > 0.1 * (n - 1)


def null_rates(reps: int = 2000, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    rows = ["| points | noise / drop | curves | " + " | ".join(f"P(z > {b})" for b in BARS)
            + " | 95th / 99th pct of z | P(rise > 3 noise sds), the rule's bar |", "|---" * 7 + "|"]
    for n in (20, 28, 50, 100, 300):
        x = np.arange(n, dtype=float)
        for noise in (0.01, 0.05):
            zs, sds = [], []
            for _ in range(reps):
                z, r, i = rise_z(1 + 2 * np.exp(-x / (n / 10)) + 2 * noise * rng.standard_normal(n))
                if early(i, n):
                    zs.append(z)
                    sds.append(r)
            zs, sds = np.array(zs), np.array(sds)
            rows.append(f"| {n} | {noise:.0%} | {zs.size} | " + " | ".join(f"{np.mean(zs > b):.1%}" for b in BARS)
                        + f" | {np.quantile(zs, 0.95):.2f} / {np.quantile(zs, 0.99):.2f} | {np.mean(sds > 3):.1%} |")
    return rows


def cell179(reps: int = 5000, seed: int = 0) -> str:
    from benchmarks import load_cases
    [case] = [c for c in load_cases(("real",)) if c.case_id.endswith("10_neural_nets_with_keras.ipynb#cell179")]
    assert case.split == "train"
    y = np.asarray(case.run.get(case.metric), float)
    z, r, i = rise_z(y)
    sv = smooth(y)
    held = sv.copy()
    held[i:] = sv[i]
    rng = np.random.default_rng(seed)
    null = [zz for zz, _, ii in (rise_z(held + rng.choice(y - sv, y.size)) for _ in range(reps)) if early(ii, y.size)]
    return (f"cell179: z = {z:.2f} ({r:.2f} noise sds); under its own noise with its floor held, "
            f"P(z >= {z:.2f}) = {np.mean(np.array(null) >= z):.3f} over {len(null)} curves; "
            f"95th / 99th pct {np.quantile(null, 0.95):.2f} / {np.quantile(null, 0.99):.2f}")


if __name__ == "__main__":
    print("\n".join(null_rates()))
    print()
    print(cell179())
