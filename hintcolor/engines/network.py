"""The network engine: the SIGGRAPH 2017 user-guided network (:mod:`.model`) with its weights (:mod:`.weights`).

It works on a small copy of the photo (:func:`working_size`: short side 256 by default, as trained),
resized antialiased-bicubic as Pillow does, with the hints encoded on that grid; its ab is enlarged
to the photo's size afterwards. Besides ab, its class head gives a distribution over 529 ab bins
(:meth:`NetworkEngine.distribution`), from which :mod:`hintcolor.suggest` suggests colors.
"""
from __future__ import annotations

import os
from contextlib import nullcontext
from typing import Sequence

import numpy as np
import torch

from .. import fullres
from ..errors import InputError
from ..hints import Hint
from ..worker.protocol import ENGINE_OPTIONS
from .base import Engine, Known, Options, Resize, hint_planes
from .weights import load_model

#: Longest side of the working grid, at most this many times its short side.
MAX_ASPECT = 4


def working_size(width: int, height: int, short_side: int = 256, resize: Resize = "aspect") -> tuple[int, int]:
    """(width, height) the network runs at for a ``width``×``height`` photo.

    ``"aspect"`` (default): the short side becomes ``short_side`` and the long side keeps the
    photo's aspect ratio (at most ``4 × short_side``), both rounded to multiples of 8. The
    network was trained on 256×256 crops of unsquashed photos, so objects keep the shapes and
    scale it learned, and a hint lands where it was painted. ``"squash"``: ``short_side`` ×
    ``short_side`` whatever the aspect ratio, as the released demo does.
    """
    if resize not in ("aspect", "squash"):
        raise InputError(f"resize must be 'aspect' or 'squash', not {resize!r}")
    if short_side < 8:
        raise InputError(f"working size {short_side} is too small; use at least 8 (256 is what the network was trained on)")
    if resize == "squash":
        side = _multiple_of_8(short_side)
        return side, side
    scale = short_side / min(width, height)
    long_cap = MAX_ASPECT * short_side
    w, h = min(width * scale, long_cap), min(height * scale, long_cap)
    return _multiple_of_8(w), _multiple_of_8(h)


def _multiple_of_8(value: float) -> int:
    return max(8, int(round(value / 8)) * 8)


class NetworkEngine(Engine):
    """The siggraph17 network, loaded once from ``weights`` onto ``device``, computing in ``dtype``
    (reduced precision under autocast; see :func:`hintcolor.colorizer.resolve_precision`). Its
    preview grid is its grid: a preview asks for a smaller ``work_size`` itself."""

    name = "siggraph17"
    label = "network (SIGGRAPH 2017)"
    needs_hints = False
    can_suggest = True
    full_lightness = False
    stage = "Computing colors with the network"
    uses = ENGINE_OPTIONS[name]

    def __init__(self, weights: str | os.PathLike, device: torch.device, dtype: torch.dtype) -> None:
        super().__init__(device, dtype)
        # channels-last: the layout oneDNN's convolutions run fastest in on the CPU
        self.net = load_model(weights, device).to(memory_format=torch.channels_last)

    def grid(self, width: int, height: int, options: Options) -> tuple[int, int]:
        return working_size(width, height, options.work_size, options.resize)

    def lightness(self, image: np.ndarray, grid: tuple[int, int]) -> torch.Tensor:
        return fullres.working_lightness(image, grid, self.device)

    @torch.inference_mode()
    def predict_ab(self, l: torch.Tensor, hints: Sequence[Hint], image_size: tuple[int, int],
                   grid: tuple[int, int] | None = None, known: Known | None = None) -> torch.Tensor:
        reduced = self.dtype != torch.float32
        with torch.autocast(self.device.type, self.dtype) if reduced else nullcontext():
            ab = self.net(*self.inputs(l, hints, image_size, known))
        return ab.float().cpu()

    @torch.inference_mode()
    def distribution(self, l: torch.Tensor, hints: Sequence[Hint], image_size: tuple[int, int]) -> torch.Tensor:
        """The class head's distribution with these hints (softmax of logits × 0.2, the demo's setting
        and :meth:`SIGGRAPH17.distribution`'s default): 529×(h/4)×(w/4), float64 on the CPU. In fp32."""
        return self.net.distribution(*self.inputs(l, hints, image_size))[0].double().cpu()

    def inputs(self, l: torch.Tensor, hints: Sequence[Hint], image_size: tuple[int, int], known: Known | None = None
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(l, ab, mask) for the network, float32 on its device: the working-size L* (1×1×h×w,
        channels-last as the model) and ``hints`` (photo coordinates) and ``known`` colors encoded on
        the working grid (:func:`~hintcolor.engines.base.hint_planes`)."""
        h, w = l.shape[-2:]
        ab, mask = hint_planes(hints, image_size, (w, h), known)
        to = dict(device=self.device, dtype=torch.float32)
        return l.to(**to).contiguous(memory_format=torch.channels_last), ab[None].to(**to), mask[None].to(**to)
