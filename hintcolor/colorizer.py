"""Colorizing a photo at full resolution: :class:`Colorizer`.

Steps: read the image (8-bit stays 8-bit); L* at full resolution; a working copy resized for
the network (see :func:`working_size`); hints encoded on the working grid; the network predicts
ab; ab is upsampled (bilinear) to full resolution and joined with the original L*; back to sRGB
(float, or 8-bit directly). The full-resolution steps are in :mod:`hintcolor.fullres`. The
propagation engine (:mod:`hintcolor.engines.propagation`) replaces the network steps and gives ab at full
resolution directly.
"""
from __future__ import annotations

import math
import os
from contextlib import nullcontext
from pathlib import Path
from typing import Iterable, Literal, Sequence

import numpy as np
import torch
from PIL import Image

from . import fullres
from .fullres import Progress
from .errors import InputError, WeightsError
from .gamut import snap_hints
from .hints import Hint, check_inside, encode_hints, hint_pixels, hints_from_image
from .images import ImageLike, gray_if_equal, rgba_array, to_pil, to_pixels, unit_float
from .engines.propagation import propagate, solve_size
from .suggest import Suggestion, suggest_colors
from .engines.weights import find_weights, load_model

Resize = Literal["aspect", "squash"]
Engine = Literal["auto", "siggraph17", "propagate"]
ENGINES = ("auto", "siggraph17", "propagate")
Precision = Literal["auto", "fp32", "bf16", "fp16"]
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
MAX_ASPECT = 4
#: Pixels a preview (:meth:`Colorizer.preview_array`) is computed at, at most: a screen's worth.
PREVIEW_PIXELS = 2_000_000
#: The last stage ``colorize_array`` reports to its ``progress`` callback.
COMPOSING = "Composing the full-resolution result"


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


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX; read from /proc/cpuinfo, so Linux only)."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: str, device: torch.device) -> torch.dtype:
    """The dtype the network computes in on ``device``.

    ``"auto"``: reduced precision only where the hardware runs it natively — fp16 on CUDA, bf16
    on a CPU with native bf16 (:func:`native_bf16`), fp32 elsewhere. ``"bf16"`` is allowed on any
    CPU (correct, but slower than fp32 where not native); ``"fp16"`` needs a GPU.
    """
    if precision not in PRECISIONS:
        raise InputError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if precision == "auto":
        if device.type == "cuda":
            return torch.float16
        return torch.bfloat16 if device.type == "cpu" and native_bf16() else torch.float32
    if precision == "fp16" and device.type == "cpu":
        raise InputError("precision fp16 needs a GPU; on the CPU use --precision bf16, fp32 or auto")
    return {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


class Colorizer:
    """Colorizes photos with optional hints, with the siggraph17 network or hint propagation.

    >>> colorizer = Colorizer()                       # weights found as described in weights.py
    >>> result = colorizer.colorize("old.jpg", [Hint(410, 220, "#2e7d32", size=5)])
    >>> result.save("colorized.png")

    ``engine``: ``"siggraph17"`` (the network; needs its weights), ``"propagate"`` (edge-aware
    propagation of the hints, :mod:`hintcolor.engines.propagation`; needs no weights but at least one hint),
    or ``"auto"`` (default): the network when its weights are found, else propagation, with
    ``notice`` saying so. ``work_size`` is the short side of the network's working grid and
    ``resize`` how the photo is fitted to it (see :func:`working_size`). ``precision``: what the
    network computes in (see :func:`resolve_precision`; ``dtype`` says which was chosen); the
    default ``"auto"`` uses bf16 / fp16 only where the hardware runs it natively, which changes
    colors by far less than can be seen (README, Performance). ``snap_hints`` (default True; an
    attribute, may be changed between calls) pulls each hint's chroma into the sRGB gamut at the
    photo's L* under it (:func:`hintcolor.gamut.snap_hints`), so no hint asks for a color that
    pixel cannot show. The model is loaded here, once; each ``colorize`` call only runs the
    engine and the full-resolution conversion.
    """

    def __init__(
        self,
        weights: str | os.PathLike | None = None,
        device: str | torch.device = "auto",
        work_size: int = 256,
        resize: Resize = "aspect",
        engine: Engine = "auto",
        precision: Precision = "auto",
        snap_hints: bool = True,
    ) -> None:
        working_size(work_size, work_size, work_size, resize)  # validate early
        if engine not in ENGINES:
            raise InputError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
        self.device = resolve_device(device)
        self.dtype = resolve_precision(precision, self.device)
        self.work_size = work_size
        self.resize = resize
        self.snap_hints = snap_hints
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
                # channels-last: the layout oneDNN's convolutions run fastest in on the CPU
                self.net = load_model(path, self.device).to(memory_format=torch.channels_last)
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
        return to_pil(self.colorize_array(pixels.color, hints, hint_image, dtype=np.uint8), pixels.alpha)

    def colorize_array(
        self,
        image: np.ndarray,
        hints: Sequence[Hint] = (),
        hint_image: ImageLike | None = None,
        dtype: np.dtype | type | None = None,
        progress: Progress | None = None,
    ) -> np.ndarray:
        """``image`` H×W gray or H×W×3 sRGB → H×W×3 sRGB, as float32 (0..1) or uint8.

        ``image`` is uint8 (0..255; read through tables, the fast path for 8-bit photos) or float
        (0..1; for 16-bit or float work nothing is quantised on the way; uint16 is converted to
        float). ``dtype``: of the result, ``np.float32`` or ``np.uint8`` (rounded); by default
        uint8 for uint8 input, float32 otherwise. ``progress(fraction of this call done, stage now
        starting)`` is called at stage boundaries (after the hints are read, after the network's
        working copy, after the network or propagation, after each band of the final conversion);
        an exception it raises abandons the call.
        """
        if image.dtype not in (np.uint8, np.float32):
            image = unit_float(image)
        image = gray_if_equal(image)
        dtype = np.dtype(dtype or image.dtype)
        if dtype not in (np.uint8, np.float32):
            raise InputError(f"result dtype must be uint8 or float32, not {dtype}")
        height, width = image.shape[:2]
        all_hints = self.prepared_hints(image, hints, hint_image)
        if self.net is None and not all_hints:
            raise InputError(
                "the propagation engine needs at least one color hint"
                + (f" ({self.notice})" if self.notice else "; give hints, or use the siggraph17 engine")
            )
        if self.net is None:
            lightness = fullres.lightness(image)  # propagation follows its edges
            _report(progress, 0.15, "Propagating the hints")
            ab = propagate(lightness[0, 0], all_hints)[None]
        else:
            lightness = image  # its L* is found band by band while composing
            _report(progress, 0.15, "Computing colors with the network")
            work_l = fullres.working_lightness(image, self.working_size(width, height), self.device)
            _report(progress, 0.25, "Computing colors with the network")
            ab = self.predict_ab(work_l, all_hints, (width, height))
        _report(progress, 0.5, COMPOSING)
        band_done = None if progress is None else (lambda done, _: progress(0.5 + 0.5 * done, COMPOSING))
        return fullres.compose(lightness, ab, dtype, band_done, self.device)

    def preview_array(
        self, image: np.ndarray, hints: Sequence[Hint] = (), hint_image: ImageLike | None = None,
        max_pixels: int = PREVIEW_PIXELS, progress: Progress | None = None,
    ) -> np.ndarray:
        """A fast, coarse :meth:`colorize_array` (same arguments, same result shape and dtype): the
        hints are read at full resolution as for the real result (a 1-pixel dot still counts), the
        photo is colorized at every ``step``-th pixel (at most ``max_pixels``, about what a screen
        shows) and enlarged back by repeating pixels. For a live preview while hints change."""
        height, width = image.shape[:2]
        step = math.ceil(math.sqrt(height * width / max_pixels))
        if step <= 1:
            return self.colorize_array(image, hints, hint_image, progress=progress)
        small = np.ascontiguousarray(image[::step, ::step])
        inside_x, inside_y = small.shape[1] - 0.51, small.shape[0] - 0.51
        coarse = [Hint(min(hint.x / step, inside_x), min(hint.y / step, inside_y), hint.color, max(hint.size / step, 1.0))
                  for hint in self.prepared_hints(image, hints, hint_image)]  # snapped at full resolution
        snap, self.snap_hints = self.snap_hints, False
        try:
            rgb = self.colorize_array(small, coarse, progress=progress)
        finally:
            self.snap_hints = snap
        return rgb.repeat(step, axis=0).repeat(step, axis=1)[:height, :width]

    def suggest(
        self, image: ImageLike, x: float, y: float, hints: Sequence[Hint] = (), k: int = 8,
        hint_image: ImageLike | None = None,
    ) -> list[Suggestion]:
        """Up to ``k`` colors the network thinks likely at pixel (``x``, ``y``) of ``image``, given
        ``hints`` / ``hint_image``, most likely first (:mod:`hintcolor.suggest`). Each has
        ``color`` (``"#rrggbb"`` at the photo's L* there, in gamut), ``ab`` and ``probability``.
        Needs the network: with the propagation engine it raises :class:`WeightsError`."""
        return suggest_colors(self, image, x, y, hints, k, hint_image)

    def prepared_hints(self, image: np.ndarray, hints: Sequence[Hint], hint_image: ImageLike | None) -> list[Hint]:
        """``hints`` plus the painted ones, checked to lie inside ``image`` (H×W or H×W×3 sRGB,
        uint8 or float) and, with ``snap_hints``, pulled into the gamut at the photo's mean L* under each
        (over the hint's square at full resolution: what the result shows there)."""
        height, width = image.shape[:2]
        all_hints = list(hints) + self.painted_hints(hint_image, width, height)
        check_inside(all_hints, width, height)
        if not self.snap_hints:
            return all_hints
        return snap_hints(all_hints, [mean_lightness(image, *hint_pixels(hint, width, height)) for hint in all_hints])

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
        reduced = self.dtype != torch.float32
        with torch.autocast(self.device.type, self.dtype) if reduced else nullcontext():
            ab = self.net(*self.network_inputs(work_l, hints, image_size))
        return ab.float().cpu()

    def network_inputs(
        self, work_l: torch.Tensor, hints: Iterable[Hint], image_size: tuple[int, int]
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(l, ab, mask) for the network, float32 on its device: the working-size L* (1×1×h×w,
        channels-last as the model) and the full-resolution ``hints`` encoded on the working grid."""
        h, w = work_l.shape[-2:]
        ab, mask = encode_hints(list(hints), image_size, (w, h))
        to = dict(device=self.device, dtype=torch.float32)
        return work_l.to(**to).contiguous(memory_format=torch.channels_last), ab[None].to(**to), mask[None].to(**to)


def _report(progress: Progress | None, fraction: float, stage: str) -> None:
    if progress is not None:
        progress(fraction, stage)


def mean_lightness(image: np.ndarray, rows: slice, columns: slice) -> float:
    """Mean L* of a region of an image array (H×W gray or H×W×3 sRGB; uint8, or float in 0..1)."""
    return float(fullres.lightness(image[rows, columns]).double().mean())
