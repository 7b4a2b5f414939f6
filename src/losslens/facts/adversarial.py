"""A GAN's two losses, read together: the discriminator's (the metric diagnosed) and the generator's beside it.

They are a two-player game, not one objective: each falls only at the other's expense, so a flat discriminator
loss says the players are balanced, not that anything converged, and neither tracks sample quality (a Lightning
GAN on 8 Gaussians: d_loss flat at 0.5-0.6 for 60 epochs while its samples went from 0 to 5-6 of the 8 modes,
tests/fixtures/ecosystem/lightning_gan). With BCE, the discriminator's loss at the equilibrium where it outputs 1/2
everywhere is ln 2 per term (2 ln 2 where the real and fake terms are summed, not averaged); the generator's
non-saturating loss, -ln D(G(z)), is ln 2 there too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..columns import adversarial_pair, normalise
from .smoothing import median3, noise_sigma, tail_median

#: A BCE discriminator's loss at the equilibrium: the mean of its real and fake terms, or their sum.
EQUILIBRIA = (math.log(2), 2 * math.log(2))
#: g climbed: its last quarter above its lowest by at least this share of that low (and 3 noise sds). Set in 756700a;
#: no measurement recorded.
G_CLIMB_SHARE = 0.1


@dataclass
class AdversarialFacts:
    d: str                      # the discriminator's loss column (the metric diagnosed)
    g: str                      # the generator's, beside it
    d_first: float              # d's first value
    d_tail: float               # its median over the last quarter
    d_low: float                # its lowest value (running median of 3)
    g_first: float
    g_tail: float
    g_low: float
    g_low_at: float             # where g was lowest (axis value)
    g_noise: float              # g's epoch-to-epoch noise (sd)
    equilibrium: float | None   # ln 2 or 2 ln 2: the BCE equilibrium of d's scale; None where d is no BCE (WGAN, hinge)

    @property
    def g_climbed(self) -> bool:
        """g's last quarter well above its lowest point: beyond 3 of its own noise sds and a tenth of that low."""
        return self.g_tail - self.g_low > max(3 * self.g_noise, G_CLIMB_SHARE * abs(self.g_low))

    @property
    def d_share(self) -> float | None:
        """d's last quarter as a share of its equilibrium: ~1 balanced, -> 0 the discriminator winning."""
        return None if self.equilibrium is None else self.d_tail / self.equilibrium

    def to_dict(self) -> dict:
        return {"d": self.d, "g": self.g, "d_first": self.d_first, "d_tail": self.d_tail, "d_low": self.d_low,
                "g_first": self.g_first, "g_tail": self.g_tail, "g_low": self.g_low, "g_low_at": self.g_low_at, "g_noise": self.g_noise,
                "equilibrium": self.equilibrium, "d_share": self.d_share, "g_climbed": self.g_climbed}


def adversarial_facts(run, metric: str) -> AdversarialFacts | None:
    """The GAN pair ``metric`` belongs to (as either player), read with the D loss first; else None."""
    n = normalise(metric)
    for d, g in adversarial_pair(run.series).values():
        if n not in (normalise(d), normalise(g)) or not (run.has(d) and run.has(g)):
            continue
        _, yd = run.finite(d)
        xg, yg = run.finite(g)
        if yd.shape[0] < 3 or yg.shape[0] < 3:
            return None
        sd, sg = median3(yd), median3(yg)
        i = int(np.argmin(sg))
        eq = None
        # A BCE loss is >= 0, and a discriminator's starts near its equilibrium (an untrained D outputs ~1/2):
        # the equilibrium of its scale is the one nearer its highest value. A loss below 0 or far above 2 ln 2
        # (a Wasserstein critic's, a hinge loss summed over batches) has no such level.
        top = float(np.max(sd))
        if float(np.min(yd)) >= 0 and top <= 2 * EQUILIBRIA[1]:
            eq = min(EQUILIBRIA, key=lambda e: abs(math.log(max(top, 1e-12) / e)))
        return AdversarialFacts(d, g, float(yd[0]), tail_median(yd), float(np.min(sd)), float(yg[0]), tail_median(yg), float(sg[i]),
                                float(xg[i]), float(noise_sigma(yg)), eq)
    return None
