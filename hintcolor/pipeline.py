"""Colorizing a photo at full resolution: :class:`Colorizer`.

Steps: read the image as float sRGB; L* at full resolution; a working copy resized for the
network (see :func:`working_size`); hints encoded on the working grid; the network predicts ab;
ab is upsampled (bilinear) to full resolution and joined with the original L*; back to sRGB.
The propagation engine (:mod:`hintcolor.propagate`) replaces the network steps and gives ab at
full resolution directly.
"""
from __future__ import annotations

import math
import os
from typing import Callable, Iterable, Literal, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .color import gray_to_l, lab_to_rgb, rgb_to_l
from .errors import InputError, WeightsError
from .hints import Hint, check_inside, encode_hints, hints_from_image
from .images import ImageLike, rgba_array, to_pil, to_pixels
from .propagate import propagate, solve_size
from .weights import find_weights, load_model

Resize = Literal["aspect", "squash"]
Engine = Literal["auto", "siggraph17", "propagate"]
ENGINES = ("auto", "siggraph17", "propagate")
#: Rows converted at a time at full resolution: bounds the float temporaries (~40 MB at 4000 px wide).
BAND_ROWS = 512
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


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` → CUDA if available, else Apple MPS, else CPU; ``"gpu"`` → CUDA or MPS, whichever
    exists. An unavailable explicit device is an error, never a silent fall-back to the CPU."""
    name = str(device)
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "gpu":  # whichever GPU this machine has
        name = "mps" if not torch.cuda.is_available() and torch.backends.mps.is_available() else "cuda"
    try:
        chosen = torch.device(name)
    except RuntimeError:
        raise InputError(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps") from None
    available = {
        "cpu": True,
        "cuda": torch.cuda.is_available() and (chosen.index or 0) < torch.cuda.device_count(),
        "mps": torch.backends.mps.is_available(),
    }.get(chosen.type, False)
    if not available:
        raise InputError(f"device {name} is not available on this machine (PyTorch {torch.__version__}); use --device auto or cpu")
    return chosen


class Colorizer:
    """Colorizes photos with optional hints, with the siggraph17 network or hint propagation.

    >>> colorizer = Colorizer()                       # weights found as described in weights.py
    >>> result = colorizer.colorize("old.jpg", [Hint(410, 220, "#2e7d32", size=5)])
    >>> result.save("colorized.png")

    ``engine``: ``"siggraph17"`` (the network; needs its weights), ``"propagate"`` (edge-aware
    propagation of the hints, :mod:`hintcolor.propagate`; needs no weights but at least one hint),
    or ``"auto"`` (default): the network when its weights are found, else propagation, with
    ``notice`` saying so. ``work_size`` is the short side of the network's working grid and
    ``resize`` how the photo is fitted to it (see :func:`working_size`). The model is loaded
    here, once; each ``colorize`` call only runs the engine and the full-resolution conversion.
    """

    def __init__(
        self,
        weights: str | os.PathLike | None = None,
        device: str | torch.device = "auto",
        work_size: int = 256,
        resize: Resize = "aspect",
        engine: Engine = "auto",
    ) -> None:
        working_size(work_size, work_size, work_size, resize)  # validate early
        if engine not in ENGINES:
            raise InputError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
        self.device = resolve_device(device)
        self.work_size = work_size
        self.resize = resize
        self.notice: str | None = None
        self.net = None
        if engine != "propagate":
            try:
                path = find_weights(weights)
            except WeightsError as e:
                if engine != "auto" or weights is not None:
                    raise
                self.notice = f"{e}; meanwhile using the propagation engine, which spreads your hints (no network)"
            else:
                self.net = load_model(path, self.device)
        self.engine = "propagate" if self.net is None else "siggraph17"

    def colorize(
        self, image: ImageLike, hints: Sequence[Hint] = (), hint_image: ImageLike | None = None
    ) -> Image.Image:
        """Colorize ``image`` (PIL image, path or array); returns an 8-bit RGB or RGBA Pillow image.

        The result has the input's size and its L* (lightness) at full resolution; alpha is
        kept. ``hints`` are :class:`Hint` points; ``hint_image`` is an RGBA layer of the same
        size whose painted (non-transparent) pixels are hints.
        """
        pixels = to_pixels(image)
        return to_pil(self.colorize_array(pixels.color, hints, hint_image), pixels.alpha)

    def colorize_array(
        self, image: np.ndarray, hints: Sequence[Hint] = (), hint_image: ImageLike | None = None,
        progress: Callable[[float, str], None] | None = None,
    ) -> np.ndarray:
        """Float in, float out: ``image`` H×W gray or H×W×3 sRGB (float32, 0..1) → H×W×3 sRGB float32.

        For high bit depth (16-bit, float) work: nothing is quantised on the way. ``progress``, if
        given, is called as ``progress(fraction of this call done, stage now starting)`` at stage
        boundaries (after the full-resolution L*, after the network or propagation, after each band
        of the full-resolution result); an exception it raises abandons the call.
        """
        report = progress or (lambda fraction, stage: None)
        height, width = image.shape[:2]
        all_hints = list(hints) + self.painted_hints(hint_image, width, height)
        check_inside(all_hints, width, height)
        full_l = _full_resolution_l(image)
        if self.net is None:
            if not all_hints:
                raise InputError(
                    "the propagation engine needs at least one color hint"
                    + (f" ({self.notice})" if self.notice else "; give hints, or use the siggraph17 engine")
                )
            report(0.15, "Propagating the hints")
            ab = propagate(full_l[0, 0], all_hints)[None]
        else:
            report(0.15, "Computing colors with the network")
            ab = self.predict_ab(_working_l(image, self.working_size(width, height)), all_hints, (width, height))
        report(0.5, "Composing the full-resolution result")
        return _compose(full_l, ab, lambda done: report(0.5 + 0.5 * done, "Composing the full-resolution result"))

    def working_size(self, width: int, height: int) -> tuple[int, int]:
        """The grid the engine works on: the network's working size, or propagation's solve size."""
        if self.net is None:
            return solve_size(width, height)
        return working_size(width, height, self.work_size, self.resize)

    def painted_hints(self, hint_image: ImageLike | None, width: int, height: int) -> list[Hint]:
        """Hints from a painted RGBA image of the photo's size (none if ``hint_image`` is None)."""
        if hint_image is None:
            return []
        layer = rgba_array(hint_image)
        if layer.shape[:2] != (height, width):
            raise InputError(
                f"hint image is {layer.shape[1]}×{layer.shape[0]} but the photo is {width}×{height}; "
                "paint hints on a layer of the photo's size"
            )
        w, h = self.working_size(width, height)
        return hints_from_image(layer, cell=max(1, math.floor(min(width / w, height / h))))

    @torch.inference_mode()
    def predict_ab(self, work_l: torch.Tensor, hints: Iterable[Hint], image_size: tuple[int, int]) -> torch.Tensor:
        """Network ab (1×2×h×w, Lab units) for a working-size L* (1×1×h×w) and full-resolution hints."""
        h, w = work_l.shape[-2:]
        ab, mask = encode_hints(list(hints), image_size, (w, h))
        to = dict(device=self.device, dtype=torch.float32)
        return self.net(work_l.to(**to), ab[None].to(**to), mask[None].to(**to)).float().cpu()


def _bands(height: int) -> Iterable[slice]:
    return (slice(top, min(top + BAND_ROWS, height)) for top in range(0, height, BAND_ROWS))


def _planes(image: np.ndarray) -> torch.Tensor:
    """H×W or H×W×3 array → C×H×W tensor (a view where possible)."""
    tensor = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))
    return tensor[None] if tensor.ndim == 2 else tensor.permute(2, 0, 1)


def _to_l(planes: torch.Tensor) -> torch.Tensor:
    return gray_to_l(planes) if planes.shape[0] == 1 else rgb_to_l(planes)


def _full_resolution_l(image: np.ndarray) -> torch.Tensor:
    """L* (1×1×H×W) of the whole image, converted band by band to bound memory."""
    planes = _planes(image)
    l = torch.empty(1, 1, *planes.shape[1:])
    for rows in _bands(planes.shape[1]):
        l[0, :, rows] = _to_l(planes[:, rows])
    return l


def _working_l(image: np.ndarray, size: tuple[int, int]) -> torch.Tensor:
    """L* (1×1×h×w) of the image resized (antialiased bicubic on sRGB, as Pillow) to ``size`` = (w, h)."""
    small = F.interpolate(_planes(image)[None], size=(size[1], size[0]), mode="bicubic", antialias=True, align_corners=False)
    return _to_l(small[0].clamp(0, 1))[None]


def _compose(full_l: torch.Tensor, ab: torch.Tensor, band_done: Callable[[float], None] = lambda done: None) -> np.ndarray:
    """Upsample ab (bilinear) to the size of ``full_l``, join, convert to sRGB: H×W×3 float32.
    ``band_done(fraction of rows done)`` is called after each band."""
    height, width = full_l.shape[-2:]
    ab_full = ab if ab.shape[-2:] == (height, width) else F.interpolate(
        ab, size=(height, width), mode="bilinear", align_corners=False)
    rgb = np.empty((height, width, 3), dtype=np.float32)
    for rows in _bands(height):
        lab = torch.cat([full_l[0, :, rows], ab_full[0, :, rows]], dim=0)
        rgb[rows] = lab_to_rgb(lab).permute(1, 2, 0).numpy()
        band_done(rows.stop / height)
    return rgb
