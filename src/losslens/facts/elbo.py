"""A VAE's loss read with its KL term: where a run logs the KL beside the loss (``val_kl``, ``kl_loss``).

The loss is then a negative ELBO, reconstruction + beta * KL, and two things follow that the loss alone
does not show. Its floor is the data's entropy under the decoder, not 0 (digits' pixels / 16 as Bernoulli
means: a perfect reconstruction still costs 13.7 nats), so "flattened at 60% of its starting value" says
nothing about capacity. And a KL term that fell to ~0 is posterior collapse: the encoder's code carries
nothing and the decoder models the data alone, at the level of an average input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..columns import role_and_stem
from .smoothing import median3, tail_median

#: The KL term's names, after a split word is taken off (``val_kl``, ``kl_val``, ``train/kl_loss``, ``kld``).
KL_STEMS = ("kl", "kld", "kl_loss", "kld_loss", "kl_div", "kl_divergence", "kl_term", "loss_kl", "kl_divergence_loss")
#: The KL term's weight, where the run logs it (beta-VAE, KL warm-up / annealing).
WEIGHT_STEMS = ("beta", "kl_weight", "kl_beta", "beta_kl", "kl_coef", "kl_coeff", "kl_scale", "kl_factor",
                "kl_anneal", "kl_annealing", "kl_multiplier")

#: A KL term whose last quarter (median) is at most this share of the loss's own has collapsed: the code
#: carries next to nothing of what the loss measures. Both are nats per example, so the ratio holds on any
#: data size (a beta = 10 VAE on digits: KL 0.0013 against a loss of 27.3, 0.005%, within its first epoch;
#: at beta = 1 the KL ends at 2.5 of 25.4, 10%, and never went below 0.4 of 33: 1.2%).
COLLAPSE = 0.01
#: ... and at most this many nats itself (per example, as the libraries log it: summed over the latent dims,
#: averaged over the batch). The share alone reads the loss's units, not the code: a VAE on 0..255 pixels with a
#: squared-error reconstruction keeps 23.6 nats of KL, 0.019% of its loss (1.2e5), with its reconstruction at 40%
#: of the mean image's (tests/fixtures/ecosystem/torch_vae_pixels). Collapsed controls end at 2.7e-5 (that model's
#: decoder fed z * 0), 0.0016 and 0.0067 (beta = 10, Lightning and Keras); the healthy ones at 2.3 nats and above.
#: Both bars must hold: a KL averaged over the pixels as well shrinks a healthy code below any bar in nats, and its
#: loss with it.
COLLAPSE_NATS = 0.1
#: A KL weight within this share of its last value is that value (float rounding): the schedule had not moved it.
WEIGHT_SAME = 1e-6


@dataclass
class ElboFacts:
    kl: str                   # the KL column read beside the diagnosed loss
    kl_tail: float            # its median over the last quarter
    kl_peak: float            # its highest value (running median of 3)
    kl_peak_at: float         # where (axis value)
    kl_points: int
    loss_tail: float          # the diagnosed loss's median over its last quarter
    weight: str | None = None         # the logged KL weight (beta), if any
    weight_end: float | None = None   # its last value
    weight_start: float | None = None
    weight_settled_at: float | None = None  # axis value from which it holds its last value

    @property
    def collapsed(self) -> bool:
        return self.kl_tail <= COLLAPSE * abs(self.loss_tail) and self.kl_tail <= COLLAPSE_NATS

    def to_dict(self) -> dict:
        return {"kl": self.kl, "kl_tail": self.kl_tail, "kl_peak": self.kl_peak, "kl_peak_at": self.kl_peak_at,
                "kl_points": self.kl_points, "loss_tail": self.loss_tail, "collapsed": self.collapsed, "weight": self.weight,
                "weight_end": self.weight_end, "weight_start": self.weight_start,
                "weight_settled_at": self.weight_settled_at}


def _find(run, stems: tuple[str, ...], role: str) -> str | None:
    found = {}
    for key in run.series:
        r, stem = role_and_stem(key)
        if stem in stems and run.has(key):
            found.setdefault(r, key)
    # (A weight logged once, with the training step, holds for validation too.)
    return found.get(role) or (found.get("train") if stems is WEIGHT_STEMS else None)


def elbo_facts(run, metric: str) -> ElboFacts | None:
    """The KL term logged for ``metric``'s split (``val_kl`` beside ``val_loss``), else None; also the
    logged KL weight. Only for the loss itself (``train_loss``/``val_loss``): a KL column beside an
    accuracy says nothing of the accuracy's floor."""
    if metric not in ("train_loss", "val_loss"):
        return None
    role = "val" if metric == "val_loss" else "train"
    kl_name = _find(run, KL_STEMS, role)
    if kl_name is None:
        return None
    x, kl = run.finite(kl_name)
    if kl.shape[0] < 5:
        return None
    smooth = median3(kl)
    i = int(np.argmax(smooth))
    _, loss = run.finite(metric)
    if loss.shape[0] == 0:
        return None
    facts = ElboFacts(kl_name, tail_median(kl), float(smooth[i]), float(x[i]), int(kl.shape[0]), tail_median(loss))
    w_name = _find(run, WEIGHT_STEMS, role)
    if w_name is not None:
        wx, w = run.finite(w_name)
        if w.shape[0]:
            off = np.flatnonzero(np.abs(w - w[-1]) > WEIGHT_SAME * max(abs(float(w[-1])), 1e-12))
            facts.weight, facts.weight_end, facts.weight_start = w_name, float(w[-1]), float(w[0])
            facts.weight_settled_at = float(wx[off[-1] + 1]) if off.shape[0] else float(wx[0])
    return facts
