"""Image augmentation for the digits variant: random shifts and small rotations.

Both are one affine warp per image (``affine_grid`` + ``grid_sample``, zero padding),
drawn independently for every image of the batch.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F


def shift_rotate(max_shift: float = 0.5, max_degrees: float = 8.0):
    """An ``augment`` callable for :func:`losslens.lab.train.fit`.

    Each image is shifted by a distance drawn uniformly from [-max_shift, max_shift] pixels
    along both axes (bilinear: on 8x8 digits a whole pixel is an eighth of the image) and
    rotated by an angle drawn uniformly from [-max_degrees, max_degrees].
    Input and output: (S, B, C, H, W).
    """

    def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        s, b, c, h, w = x.shape
        n = s * b
        angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(max_degrees)
        shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * max_shift
        cos, sin = torch.cos(angle), torch.sin(angle)
        theta = torch.zeros(n, 2, 3)
        theta[:, 0, 0], theta[:, 0, 1] = cos, -sin
        theta[:, 1, 0], theta[:, 1, 1] = sin, cos
        # affine_grid works in [-1, 1] coordinates: one pixel is 2 / size.
        theta[:, 0, 2] = shift[:, 0] * 2.0 / w
        theta[:, 1, 2] = shift[:, 1] * 2.0 / h
        flat = x.reshape(n, c, h, w)
        grid = F.affine_grid(theta, list(flat.shape), align_corners=False)
        return F.grid_sample(flat, grid, padding_mode="zeros", align_corners=False).reshape(s, b, c, h, w)

    return augment
