"""Colorizing a photo at full resolution: :class:`Colorizer`.

Steps: read the image (8-bit stays 8-bit); read the hints (painted ones in cells of the engine's
grid); the engine (:mod:`hintcolor.engines`: the network, or hint propagation) reads the photo's
L* for its grid and predicts ab; ab is enlarged (bilinear) to full resolution and joined with the
photo's own L*; back to sRGB (float, or 8-bit directly). The full-resolution steps are in
:mod:`hintcolor.fullres`.
"""
from __future__ import annotations

import functools
import math
import os
from pathlib import Path
from typing import Callable, Literal, Sequence, TypeVar

import numpy as np
import torch
from PIL import Image

from . import fullres
from .engines import ENGINES, Engine, EngineName, Options, Resize, load_engine  # noqa: F401 (ENGINES: for the worker's checks)
from .engines.network import working_size
from .errors import InputError
from .fullres import Progress
from .gamut import snap_hints
from .hints import Hint, check_inside, hint_pixels, hints_from_image
from .images import ImageLike, gray_if_equal, rgba_array, to_pil, to_pixels, unit_float
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
    ) -> Image.Image:
        """Colorize ``image`` (PIL image, path or array); returns an 8-bit RGB or RGBA Pillow image.

        The result has the input's size and its L* (lightness) at full resolution; alpha is
        kept. ``hints`` are :class:`Hint` points; ``hint_image`` is an RGBA layer of the same
        size whose painted (non-transparent) pixels are hints. ``work_size``, ``resize``,
        ``snap_hints``: this call's options (default: the colorizer's).
        """
        pixels = to_pixels(image)
        rgb = self.colorize_array(pixels.color, hints, hint_image, dtype=np.uint8, work_size=work_size, resize=resize,
                                  snap_hints=snap_hints)
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
        """
        options = self.options(work_size, resize, snap_hints)
        image = _working_array(image)
        dtype = _result_dtype(image, dtype)
        return self._colorize(image, self.prepared_hints(image, hints, hint_image, options), dtype, progress, options)

    @_on_own_threads
    def preview_array(
        self, image: np.ndarray, hints: Sequence[Hint] = (), hint_image: ImageLike | None = None,
        max_pixels: int = PREVIEW_PIXELS, progress: Progress | None = None, *,
        work_size: int | None = None, resize: Resize | None = None, snap_hints: bool | None = None,
    ) -> np.ndarray:
        """A fast, coarse :meth:`colorize_array` (same arguments, same result shape and dtype): the
        engine works on its preview grid (:meth:`hintcolor.engines.Engine.grid`; hints painted on
        ``hint_image`` are read in its cells, at full resolution, so a 1-pixel dot still counts),
        and the photo is colorized at every ``step``-th pixel (at most ``max_pixels``, about what a
        screen shows) and enlarged back by repeating pixels. For a live preview while hints change."""
        options = self.options(work_size, resize, snap_hints, preview=True)
        image = _working_array(image)
        dtype = _result_dtype(image, None)
        all_hints = self.prepared_hints(image, hints, hint_image, options)  # snapped at full resolution
        height, width = image.shape[:2]
        step = math.ceil(math.sqrt(height * width / max_pixels))
        if step <= 1:
            return self._colorize(image, all_hints, dtype, progress, options)
        small = np.ascontiguousarray(image[::step, ::step])
        inside_x, inside_y = small.shape[1] - 0.51, small.shape[0] - 0.51
        coarse = [Hint(min(hint.x / step, inside_x), min(hint.y / step, inside_y), hint.color, max(hint.size / step, 1.0))
                  for hint in all_hints]
        rgb = self._colorize(small, coarse, dtype, progress, options)
        return rgb.repeat(step, axis=1).repeat(step, axis=0)[:height, :width]  # rows last: whole-row copies (3x faster)

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
        layer = rgba_array(hint_image)
        if layer.shape[:2] != (height, width):
            raise InputError(
                f"hint image is {layer.shape[1]}×{layer.shape[0]} but the photo is {width}×{height}; "
                "paint hints on a layer of the photo's size"
            )
        w, h = self.working_size(width, height, options)
        return hints_from_image(layer, cell=max(1, math.floor(min(width / w, height / h))))

    @_on_own_threads
    def predict_ab(self, work_l: torch.Tensor, hints: Sequence[Hint], image_size: tuple[int, int]) -> torch.Tensor:
        """The engine's ab (1×2×h×w, Lab units) for its L* (1×1×h×w, :meth:`hintcolor.engines.Engine.lightness`)
        and full-resolution hints."""
        return self.backend.predict_ab(work_l, hints, image_size)

    def _colorize(self, image: np.ndarray, hints: list[Hint], dtype: np.dtype, progress: Progress | None,
                  options: Options) -> np.ndarray:
        """``image`` (as :func:`_working_array` leaves it) with prepared ``hints`` → sRGB of ``dtype``."""
        if self.needs_hints and not hints:
            raise InputError(
                "the propagation engine needs at least one color hint"
                + (f" ({self.notice})" if self.notice else "; give hints, or use the siggraph17 engine")
            )
        height, width = image.shape[:2]
        engine = self.backend
        _report(progress, 0.15, engine.stage)
        grid = engine.grid(width, height, options)
        l = engine.lightness(image, grid)
        _report(progress, 0.25, engine.stage)
        ab = engine.predict_ab(l, hints, (width, height), grid)
        _report(progress, 0.5, COMPOSING)
        band_done = None if progress is None else (lambda done, _: progress(0.5 + 0.5 * done, COMPOSING))
        # the engine's L* when it is the photo's own; else the photo's, found band by band while composing
        return fullres.compose(l if engine.full_lightness else image, ab, dtype, band_done, self.device)


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


def _report(progress: Progress | None, fraction: float, stage: str) -> None:
    if progress is not None:
        progress(fraction, stage)
