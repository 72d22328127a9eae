"""Colorizing a photo at full resolution: :class:`Colorizer`.

Steps: read the image (8-bit stays 8-bit); read the hints (painted ones in cells of the engine's
grid); the engine (:mod:`hintcolor.engines`: the network, or hint propagation) reads the photo's
L* for its grid and predicts ab; ab is enlarged (bilinear) to full resolution and joined with the
photo's own L*; back to sRGB (float, or 8-bit directly). The full-resolution steps are in
:mod:`hintcolor.fullres`. A region run colorizes a box of the photo on the engine's grid and
blends it into the whole-photo result (:mod:`hintcolor.region`).
"""
from __future__ import annotations

import dataclasses
import functools
import math
import os
from pathlib import Path
from typing import Callable, Literal, Sequence, TypeVar

import numpy as np
import torch
from PIL import Image

from . import fullres, region as regions
from .engines import ENGINES, Engine, EngineName, Known, Options, Resize, load_engine  # noqa: F401 (ENGINES: for the worker's checks)
from .engines.network import working_size
from .errors import InputError
from .fullres import Progress
from .gamut import snap_hints
from .hints import Hint, check_inside, hint_pixels, hints_from_image
from .images import ImageLike, gray_if_equal, rgba_array, to_pil, to_pixels, unit_float
from .region import Box
from .suggest import Suggestion, suggest_colors

T = TypeVar("T")
Precision = Literal["auto", "fp32", "bf16", "fp16"]
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
#: Pixels a preview (:meth:`Colorizer.preview_array`) is computed at, at most: a screen's worth.
PREVIEW_PIXELS = 2_000_000
#: The last stage ``colorize_array`` reports to its ``progress`` callback.
COMPOSING = "Composing the full-resolution result"


def _on_own_threads(method: Callable[..., T]) -> Callable[..., T]:
    """``method`` of a :class:`Colorizer`, run on the number of PyTorch threads the colorizer was made
    with, whichever thread calls it (see :func:`hintcolor.fullres.torch_threads`): the same photo,
    hints and options give the same pixels every time."""

    @functools.wraps(method)
    def on_own_threads(self: Colorizer, *args, **kwargs) -> T:
        with fullres.torch_threads(self.threads):
            return method(self, *args, **kwargs)

    return on_own_threads


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
    ``notice`` saying so (:func:`hintcolor.engines.load_engine`). ``precision``: what the network
    computes in (see :func:`resolve_precision`; ``dtype`` says which was chosen); the default
    ``"auto"`` uses bf16 / fp16 only where the hardware runs it natively, which changes colors by
    far less than can be seen (README, Performance). The model is loaded here, once; each call only
    runs the engine and the full-resolution conversion, on as many PyTorch threads as the thread that
    made the colorizer had (``threads``; ``torch.set_num_threads`` before making it to change it).

    ``work_size`` (the short side of the network's working grid), ``resize`` (how the photo is
    fitted to it, see :func:`working_size`) and ``snap_hints`` (default True: pull each hint's
    chroma into the sRGB gamut at the photo's L* under it, :func:`hintcolor.gamut.snap_hints`, so
    no hint asks for a color that pixel cannot show) are the defaults of every call; each call may
    give its own as keyword arguments, without changing the colorizer (one colorizer may serve
    calls with different options).
    """

    def __init__(
        self,
        weights: str | os.PathLike | None = None,
        device: str | torch.device = "auto",
        work_size: int = 256,
        resize: Resize = "aspect",
        engine: EngineName = "auto",
        precision: Precision = "auto",
        snap_hints: bool = True,
    ) -> None:
        working_size(work_size, work_size, work_size, resize)  # validate early
        #: PyTorch threads every call runs on (results depend on the count).
        self.threads = torch.get_num_threads()
        self.device = resolve_device(device)
        self.dtype = resolve_precision(precision, self.device)
        self.work_size = work_size
        self.resize = resize
        self.snap_hints = snap_hints
        loaded = load_engine(engine, weights, self.device, self.dtype)
        #: The engine that runs (:class:`hintcolor.engines.Engine`).
        self.backend: Engine = loaded.engine
        #: One line saying why the engine that runs is not the one asked for, or None.
        self.notice: str | None = loaded.notice
        #: Whether the network was asked for ("auto") but its weights are missing (propagation runs instead).
        self.weights_missing: bool = loaded.weights_missing

    @property
    def engine(self) -> str:
        """The name of the engine that runs: ``"siggraph17"`` or ``"propagate"``."""
        return self.backend.name

    @property
    def needs_hints(self) -> bool:
        """Whether the engine needs at least one hint (it has no colors of its own)."""
        return self.backend.needs_hints

    @property
    def can_suggest(self) -> bool:
        """Whether :meth:`suggest` works with this engine."""
        return self.backend.can_suggest

    def options(self, work_size: int | None = None, resize: Resize | None = None, snap_hints: bool | None = None,
                preview: bool = False) -> Options:
        """The options of one call: those given, the colorizer's attributes for the others (checked)."""
        chosen = Options(self.work_size if work_size is None else work_size, self.resize if resize is None else resize,
                         self.snap_hints if snap_hints is None else snap_hints, preview)
        working_size(chosen.work_size, chosen.work_size, chosen.work_size, chosen.resize)  # InputError if bad
        return chosen

    def colorize(
        self, image: ImageLike, hints: Sequence[Hint] = (), hint_image: ImageLike | None = None, *,
        work_size: int | None = None, resize: Resize | None = None, snap_hints: bool | None = None,
        region: Box | None = None, mask: np.ndarray | None = None, feather: float = 0,
        base: ImageLike | None = None,
    ) -> Image.Image:
        """Colorize ``image`` (PIL image, path or array); returns an 8-bit RGB or RGBA Pillow image.

        The result has the input's size and its L* (lightness) at full resolution; alpha is
        kept. ``hints`` are :class:`Hint` points; ``hint_image`` is an RGBA layer of the same
        size whose painted (non-transparent) pixels are hints. ``work_size``, ``resize``,
        ``snap_hints``: this call's options (default: the colorizer's). ``region``, ``mask``,
        ``feather``, ``base``: colorize a region in detail, as :meth:`colorize_array` (``base`` may
        also be a Pillow image or a path: a previous result of the photo's size).
        """
        pixels = to_pixels(image)
        if base is not None and not isinstance(base, np.ndarray):
            base = to_pixels(base).color
        rgb = self.colorize_array(pixels.color, hints, hint_image, dtype=np.uint8, work_size=work_size, resize=resize,
                                  snap_hints=snap_hints, region=region, mask=mask, feather=feather, base=base)
        return to_pil(rgb, pixels.alpha)

    @_on_own_threads
    def colorize_array(
        self,
        image: np.ndarray,
        hints: Sequence[Hint] = (),
        hint_image: ImageLike | None = None,
        dtype: np.dtype | type | None = None,
        progress: Progress | None = None,
        *,
        work_size: int | None = None,
        resize: Resize | None = None,
        snap_hints: bool | None = None,
        region: Box | None = None,
        mask: np.ndarray | None = None,
        feather: float = 0,
        base: np.ndarray | None = None,
    ) -> np.ndarray:
        """``image`` H×W gray or H×W×3 sRGB → H×W×3 sRGB, as float32 (0..1) or uint8.

        ``image`` is uint8 (0..255; read through tables, the fast path for 8-bit photos) or float
        (0..1; for 16-bit or float work nothing is quantised on the way; uint16 is converted to
        float). ``dtype``: of the result, ``np.float32`` or ``np.uint8`` (rounded); by default
        uint8 for uint8 input, float32 otherwise. ``progress(fraction of this call done, stage now
        starting)`` is called at stage boundaries (after the hints are read, after the engine's
        lightness, after the engine's colors, after each band of the final conversion); an
        exception it raises abandons the call. ``work_size``, ``resize``, ``snap_hints``: this
        call's options (default: the colorizer's).

        ``region`` = (x, y, width, height) (whole photo pixels; x to the right, y down from the
        top-left pixel): colorize that box in detail (:meth:`region_array`: on the engine's full
        grid, with the hints inside the box, the whole photo's colors around it as context) and blend
        it into the whole-photo result through ``mask``: an H×W array of the photo's size, float
        0..1, uint8 0..255 or bool, empty outside the box (by default the box itself, its edge
        softened over ``feather`` pixels inside the box). Outside the mask the result is the
        whole-photo result, exactly. ``base``: an earlier result (H×W×3 sRGB, uint8 or float 0..1)
        to blend into and take the context from, instead of a fresh whole-photo run. ``mask``,
        ``feather`` and ``base`` need a ``region``; bad values raise :class:`InputError`.
        """
        options = self.options(work_size, resize, snap_hints)
        image = _working_array(image)
        dtype = _result_dtype(image, dtype)
        if region is None:
            if mask is not None or feather or base is not None:
                raise InputError("mask, feather and base apply to a region: give region=(x, y, width, height) too")
            return self._colorize(image, self.prepared_hints(image, hints, hint_image, options), dtype, progress, options)
        height, width = image.shape[:2]
        box = regions.check_region(region, width, height)
        weight = regions.blend_weight(box, mask, feather, width, height)
        base = None if base is None else _base_array(base, width, height, dtype)
        whole, rgb = self._region(image, hints, hint_image, box, base, dtype, progress, options, whole=True)
        return regions.blend(whole, rgb, box, weight)

    @_on_own_threads
    def region_array(
        self, image: np.ndarray, region: Box, hints: Sequence[Hint] = (), hint_image: ImageLike | None = None,
        dtype: np.dtype | type | None = None, progress: Progress | None = None, *, base: np.ndarray | None = None,
        work_size: int | None = None, resize: Resize | None = None, snap_hints: bool | None = None,
    ) -> np.ndarray:
        """The colors of one box of ``image`` from a region run: h×w×3 sRGB (``dtype`` as for
        :meth:`colorize_array`) for ``region`` = (x, y, w, h) in photo pixels.

        The engine colorizes the box grown by a margin of context (:func:`hintcolor.region.context_box`)
        on its own grid, so the box gets all the grid's detail. Only the hints whose position lies in
        the box guide it (painted ones are read in the cells of the finer grid); in the margin's ring
        the colors are known: those of a coarse whole-photo run with all the hints (on the engine's
        preview grid, :func:`hintcolor.region.context_options`; nothing outside the context box is
        composed at full resolution), or ``base``'s (an earlier result H×W×3 sRGB uint8 or float
        0..1), so the box's colors continue those around it. Arguments otherwise as :meth:`colorize_array`; :meth:`colorize_array` with
        ``region`` blends this into the whole photo.
        """
        options = self.options(work_size, resize, snap_hints)
        image = _working_array(image)
        dtype = _result_dtype(image, dtype)
        height, width = image.shape[:2]
        box = regions.check_region(region, width, height)
        base = None if base is None else _base_array(base, width, height, dtype)
        return self._region(image, hints, hint_image, box, base, dtype, progress, options, whole=False)[1]

    @_on_own_threads
    def preview_array(
        self, image: np.ndarray, hints: Sequence[Hint] = (), hint_image: ImageLike | None = None,
        max_pixels: int = PREVIEW_PIXELS, progress: Progress | None = None, *,
        work_size: int | None = None, resize: Resize | None = None, snap_hints: bool | None = None,
        region: Box | None = None,
    ) -> np.ndarray:
        """A fast, coarse :meth:`colorize_array` (same arguments, same result shape and dtype): the
        engine works on its preview grid (:meth:`hintcolor.engines.Engine.grid`; hints painted on
        ``hint_image`` are read in its cells, at full resolution, so a 1-pixel dot still counts),
        and the photo is colorized at every ``step``-th pixel (at most ``max_pixels``, about what a
        screen shows) and enlarged back by repeating pixels. For a live preview while hints change.
        With ``region`` (x, y, w, h): the preview of a region run (:meth:`region_array`), the box's
        pixels only (h×w×3), computed as coarsely."""
        options = self.options(work_size, resize, snap_hints, preview=True)
        image = _working_array(image)
        dtype = _result_dtype(image, None)
        height, width = image.shape[:2]
        box = None if region is None else regions.check_region(region, width, height)
        all_hints = self.prepared_hints(image, hints, hint_image, options)  # snapped at full resolution
        step = math.ceil(math.sqrt(height * width / max_pixels))
        if step <= 1:
            if box is None:
                return self._colorize(image, all_hints, dtype, progress, options)
            return self._region(image, all_hints, None, box, None, dtype, progress, options, whole=False)[1]
        small = np.ascontiguousarray(image[::step, ::step])
        inside_x, inside_y = small.shape[1] - 0.51, small.shape[0] - 0.51
        coarse = [Hint(min(hint.x / step, inside_x), min(hint.y / step, inside_y), hint.color, max(hint.size / step, 1.0))
                  for hint in all_hints]
        if box is None:
            rgb = self._colorize(small, coarse, dtype, progress, options)
            return rgb.repeat(step, axis=1).repeat(step, axis=0)[:height, :width]  # rows last: whole-row copies (3x faster)
        x, y, w, h = box
        left, top = x // step, y // step
        covering = (left, top, -(-(x + w) // step) - left, -(-(y + h) // step) - top)
        rgb = self._region(small, coarse, None, covering, None, dtype, progress, options, whole=False)[1]
        enlarged = rgb.repeat(step, axis=1).repeat(step, axis=0)
        return enlarged[y - top * step : y - top * step + h, x - left * step : x - left * step + w]

    def suggest(
        self, image: ImageLike, x: float, y: float, hints: Sequence[Hint] = (), k: int = 8,
        hint_image: ImageLike | None = None, *,
        work_size: int | None = None, resize: Resize | None = None, snap_hints: bool | None = None,
    ) -> list[Suggestion]:
        """Up to ``k`` colors the network thinks likely at pixel (``x``, ``y``) of ``image``, given
        ``hints`` / ``hint_image``, most likely first (:mod:`hintcolor.suggest`). Each has
        ``color`` (``"#rrggbb"`` at the photo's L* there, in gamut), ``ab`` and ``probability``.
        Needs an engine that :attr:`can_suggest` (the network): otherwise it raises :class:`WeightsError`."""
        return suggest_colors(self, image, x, y, hints, k, hint_image, self.options(work_size, resize, snap_hints))

    def prepared_hints(self, image: np.ndarray, hints: Sequence[Hint], hint_image: ImageLike | None,
                       options: Options | None = None) -> list[Hint]:
        """``hints`` plus the painted ones, checked to lie inside ``image`` (H×W or H×W×3 sRGB,
        uint8 or float) and, with ``snap_hints``, pulled into the gamut at the photo's mean L* under each
        (over the hint's square at full resolution: what the result shows there)."""
        options = options or self.options()
        height, width = image.shape[:2]
        all_hints = list(hints) + self.painted_hints(hint_image, width, height, options)
        check_inside(all_hints, width, height)
        if not options.snap_hints:
            return all_hints
        lightness = [fullres.mean_lightness(image, *hint_pixels(hint, width, height)) for hint in all_hints]
        return snap_hints(all_hints, lightness)

    def working_size(self, width: int, height: int, options: Options | None = None) -> tuple[int, int]:
        """The grid the engine works on for a ``width``×``height`` photo with ``options`` (default: the colorizer's)."""
        return self.backend.grid(width, height, options or self.options())

    def painted_hints(self, hint_image: ImageLike | None, width: int, height: int,
                      options: Options | None = None) -> list[Hint]:
        """Hints from a painted RGBA image of the photo's size (none if ``hint_image`` is None),
        one per cell of the engine's grid for ``options`` (default: the colorizer's) that holds paint."""
        if hint_image is None:
            return []
        return hints_from_image(_hint_layer(hint_image, width, height), cell=self.cell(width, height, options))

    def cell(self, width: int, height: int, options: Options | None = None) -> int:
        """Side, in photo pixels, of the cells painted hints are read in for a ``width``×``height``
        photo: the photo pixels per pixel of the engine's grid (at least 1)."""
        w, h = self.working_size(width, height, options)
        return max(1, math.floor(min(width / w, height / h)))

    @_on_own_threads
    def predict_ab(self, work_l: torch.Tensor, hints: Sequence[Hint], image_size: tuple[int, int]) -> torch.Tensor:
        """The engine's ab (1×2×h×w, Lab units) for its L* (1×1×h×w, :meth:`hintcolor.engines.Engine.lightness`)
        and full-resolution hints."""
        return self.backend.predict_ab(work_l, hints, image_size)

    def _colorize(self, image: np.ndarray, hints: list[Hint], dtype: np.dtype, progress: Progress | None,
                  options: Options) -> np.ndarray:
        """``image`` (as :func:`_working_array` leaves it) with prepared ``hints`` → sRGB of ``dtype``."""
        l, ab = self._predict(image, hints, progress, options)
        return self._compose(image, l, ab, dtype, progress)

    def _predict(self, image: np.ndarray, hints: list[Hint], progress: Progress | None, options: Options,
                 known: Known | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The engine's L* (:meth:`Engine.lightness`) and ab (:meth:`Engine.predict_ab`) for ``image``
        with prepared ``hints`` and the colors ``known`` (or None)."""
        self._check_hints(hints, known)
        height, width = image.shape[:2]
        engine = self.backend
        _report(progress, 0.15, engine.stage)
        grid = engine.grid(width, height, options)
        l = engine.lightness(image, grid)
        _report(progress, 0.25, engine.stage)
        return l, engine.predict_ab(l, hints, (width, height), grid, known)

    def _check_hints(self, hints: Sequence[Hint], known: Known | None = None) -> None:
        """:class:`InputError` if the engine needs hints and has neither ``hints`` nor ``known`` colors."""
        if self.needs_hints and not hints and known is None:
            raise InputError(
                "the propagation engine needs at least one color hint"
                + (f" ({self.notice})" if self.notice else "; give hints, or use the siggraph17 engine")
            )

    def _compose(self, image: np.ndarray, l: torch.Tensor, ab: torch.Tensor, dtype: np.dtype,
                 progress: Progress | None) -> np.ndarray:
        """sRGB of ``dtype`` from the engine's ``l`` and ``ab`` (:meth:`_predict`) for ``image``."""
        _report(progress, 0.5, COMPOSING)
        band_done = None if progress is None else (lambda done, _: progress(0.5 + 0.5 * done, COMPOSING))
        # the engine's L* when it is the photo's own; else the photo's, found band by band while composing
        return fullres.compose(l if self.backend.full_lightness else image, ab, dtype, band_done, self.device)

    def _region(self, image: np.ndarray, hints: Sequence[Hint], hint_image: ImageLike | None, box: Box,
                base: np.ndarray | None, dtype: np.dtype, progress: Progress | None, options: Options, whole: bool
                ) -> tuple[np.ndarray | None, np.ndarray]:
        """A region run (:meth:`region_array`) of ``box``: (the whole-photo result if ``whole`` and no
        ``base``, else ``base``; the box's pixels h×w×3). The context is ``base``'s chroma, or a coarse
        whole-photo run's (:meth:`_context`). Nothing of the photo outside the context box is composed,
        unless ``whole`` asks for the whole-photo result."""
        height, width = image.shape[:2]
        outer = regions.context_box(box, width, height)
        if hint_image is not None:  # a file or Pillow image read once, for the context's hints and the region's
            hint_image = _hint_layer(hint_image, width, height)
        if base is None:
            all_hints = self.prepared_hints(image, hints, hint_image, options)
            if whole:
                base = self._colorize(image, all_hints, dtype, _part(progress, 0, 0.5), options)
            context = self._context(image, all_hints, outer, options)
        else:
            context = _chroma(base[regions.pixels(outer)])
        known = Known(context, regions.ring(outer, box), (width, height))
        crop = np.ascontiguousarray(image[regions.pixels(outer)])
        local = regions.inner(box, outer)
        own = regions.box_options(options, outer)
        second = _part(progress, 0.5 if whole else 0, 1)
        l, ab = self._predict(crop, self._region_hints(image, hints, hint_image, box, outer, own), second, own, known)
        ab = fullres.ab_at(ab, (outer[2], outer[3]), local)
        rows, columns = regions.pixels(local)
        light = l[..., rows, columns] if self.backend.full_lightness else crop[rows, columns]
        _report(second, 0.5, COMPOSING)
        return base, fullres.compose(light, ab, dtype, None, self.device)

    def _context(self, image: np.ndarray, hints: list[Hint], outer: Box, options: Options) -> torch.Tensor:
        """The whole photo's chroma in the box ``outer`` (2×h×w float32, Lab units) from a coarse run of
        ``image`` with prepared ``hints``: the engine on its context grid (:func:`hintcolor.region.context_options`),
        reading the photo's L* resized to that grid; only ``outer``'s pixels are enlarged to full resolution."""
        self._check_hints(hints)
        height, width = image.shape[:2]
        grid = self.backend.grid(width, height, regions.context_options(options))
        l = fullres.working_lightness(image, grid, self.device)
        ab = self.backend.predict_ab(l, hints, (width, height), grid)
        return fullres.ab_at(ab, (width, height), outer)[0].cpu()

    def _region_hints(self, image: np.ndarray, hints: Sequence[Hint], hint_image: ImageLike | None, box: Box,
                      outer: Box, options: Options) -> list[Hint]:
        """The hints of a region run, prepared, in the coordinates of the context box ``outer``: the
        point hints whose position lies in ``box``, and the dots painted on ``hint_image`` there, read in
        the cells of the grid the engine colorizes ``outer`` on."""
        height, width = image.shape[:2]
        check_inside(hints, width, height)
        x, y = outer[:2]
        points = [dataclasses.replace(hint, x=hint.x - x, y=hint.y - y) for hint in hints if regions.inside(hint.x, hint.y, box)]
        if hint_image is not None:
            layer = _hint_layer(hint_image, width, height)
            local = regions.inner(box, outer)
            painted = self.painted_hints(layer[regions.pixels(outer)], outer[2], outer[3], options)
            points += [hint for hint in painted if regions.inside(hint.x, hint.y, local)]
        return self.prepared_hints(image[regions.pixels(outer)], points, None, options)


def _working_array(image: np.ndarray) -> np.ndarray:
    """An image array as the engines take it: uint8 or float32 (others converted to float 0..1),
    H×W for a gray photo even if stored as three equal channels."""
    if image.dtype not in (np.uint8, np.float32):
        image = unit_float(image)
    return gray_if_equal(image)


def _result_dtype(image: np.ndarray, dtype: np.dtype | type | None) -> np.dtype:
    """``dtype`` (by default the image's), checked to be uint8 or float32."""
    dtype = np.dtype(dtype or image.dtype)
    if dtype not in (np.uint8, np.float32):
        raise InputError(f"result dtype must be uint8 or float32, not {dtype}")
    return dtype


def _hint_layer(hint_image: ImageLike, width: int, height: int) -> np.ndarray:
    """A painted hint image as an H×W×4 array (:func:`rgba_array`), checked to be of the photo's size."""
    layer = rgba_array(hint_image)
    if layer.shape[:2] != (height, width):
        raise InputError(
            f"hint image is {layer.shape[1]}×{layer.shape[0]} but the photo is {width}×{height}; "
            "paint hints on a layer of the photo's size"
        )
    return layer


def _base_array(base: np.ndarray, width: int, height: int, dtype: np.dtype) -> np.ndarray:
    """An earlier result to blend into: H×W×3 sRGB (uint8, or float 0..1) of a ``width``×``height``
    photo, in ``dtype``; :class:`InputError` for another shape."""
    base = np.asarray(base)
    if base.shape != (height, width, 3):
        raise InputError(f"base has shape {base.shape} but the photo is {width}×{height}; "
                         f"give an earlier RGB result of the photo's size ({height}, {width}, 3)")
    if base.dtype == dtype:
        return base
    if dtype == np.uint8:
        return np.floor(np.clip(unit_float(base), 0, 1) * 255 + 0.5).astype(np.uint8)
    return unit_float(base).astype(np.float32)


def _chroma(rgb: np.ndarray) -> torch.Tensor:
    """a*, b* (2×h×w float32, Lab units) of sRGB pixels (h×w×3, uint8 or float 0..1)."""
    from .color import rgb_to_lab

    planes = torch.from_numpy(np.ascontiguousarray(unit_float(rgb).transpose(2, 0, 1))).float()
    return rgb_to_lab(planes)[1:]


def _part(progress: Progress | None, low: float, high: float) -> Progress | None:
    """``progress`` for one part of a call: its 0..1 mapped to ``low``..``high``."""
    return None if progress is None else (lambda fraction, stage: progress(low + (high - low) * fraction, stage))


def _report(progress: Progress | None, fraction: float, stage: str) -> None:
    if progress is not None:
        progress(fraction, stage)
