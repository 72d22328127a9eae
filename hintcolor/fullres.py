"""Full-resolution lightness and color at memory speed: the per-pixel work of :class:`Colorizer`.

The formulas are those of :mod:`hintcolor.color` (which stays the plain reference they are
tested against), arranged for speed:

- 8-bit input is read through tables: L* of an 8-bit gray is one of 256 values, and an 8-bit
  sRGB channel has 256 linear values; no per-pixel gamma.
- Work goes in bands of rows that fit in the CPU's cache, with in-place float32 operations, so
  each full-resolution plane is read and written about once. On the CPU the bands run in
  parallel, one per core, each single-threaded (:func:`for_each_band`; PyTorch's thread count is
  set to 1 while they run, and restored).
- ab is upsampled separably (bilinear, the same weights as ``F.interpolate(align_corners=False)``):
  across once at the working height, then down, band by band.
- The result is written once, as float32 or directly as uint8 (quantisation fused).

Everything runs on the device the tensors are on: on a GPU the photo goes there as 8-bit (or
float) and only the result comes back, band by band.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Callable, Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .color import _EPSILON, _KAPPA, _RGB_FROM_XYZ, _WHITE_D65, _XYZ_FROM_RGB, _srgb_to_linear, gray_to_l, rgb_to_l
from .images import read_only_tensor

#: Rows per band on the CPU (about 1 MB per float plane at 4000 pixels wide); on a GPU, bigger bands.
CPU_BAND_PIXELS = 1 << 18
GPU_BAND_PIXELS = 1 << 24

#: ``progress(fraction done, stage)``, called at stage boundaries; it may raise to abort the call.
Progress = Callable[[float, str], None]

_LINEAR_OF_U8 = _srgb_to_linear(torch.arange(256, dtype=torch.float64) / 255)
_L_OF_U8 = gray_to_l(torch.arange(256, dtype=torch.float64) / 255).float()
#: Linear sRGB → Y (luminance) weights.
_Y_FROM_RGB = _XYZ_FROM_RGB[1].tolist()
#: (X/Xn, Y, Z/Zn) scaled back by the white point, then → linear sRGB: one 3×3 matrix.
_RGB_FROM_FXYZ = (_RGB_FROM_XYZ * torch.tensor(_WHITE_D65, dtype=torch.float64)).tolist()
_F_INV_KNEE = 0.2068966  # f⁻¹: t³ above, (t − 16/116) / κ below
_SRGB_KNEE = 0.0031308  # linear → sRGB: 12.92·v below, 1.055·v^(1/2.4) − 0.055 above


def bands(height: int, width: int, device: torch.device) -> Iterator[slice]:
    """Row slices covering ``height`` rows, each band about a cache-sized number of pixels."""
    rows = max(1, (GPU_BAND_PIXELS if device.type != "cpu" else CPU_BAND_PIXELS) // max(width, 1))
    return (slice(top, min(top + rows, height)) for top in range(0, height, rows))


def for_each_band(height: int, width: int, device: torch.device, work: Callable[[slice], None]) -> Iterator[slice]:
    """Run ``work(rows)`` over all bands; yields each band's rows once done, in order.

    On the CPU, bands run in parallel, one single-threaded band per core: many small operations
    on PyTorch's own thread pool would make every core wait for the others at each operation,
    which costs seconds when other programs share the cores. On a GPU, bands run in turn.
    """
    rows = list(bands(height, width, device))
    threads = torch.get_num_threads()
    if device.type != "cpu" or threads == 1 or len(rows) == 1:
        for band in rows:
            work(band)
            yield band
        return
    with torch_threads(1), ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(work, band) for band in rows]
        try:
            for band, future in zip(rows, futures):
                future.result()
                yield band
        finally:
            for future in futures:
                future.cancel()


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """PyTorch's operations in this thread run on ``count`` threads while inside (restored after).

    PyTorch keeps the count per thread, but a thread takes its count, at its first operation, from
    the count last set in any thread: one that starts while another is inside ``torch_threads(1)``
    would compute on one thread from then on. Results depend on the count (the network's
    convolutions, vectorised math split across threads), so :class:`hintcolor.Colorizer` runs every
    call on the count it was made with."""
    previous = torch.get_num_threads()
    if previous == count:
        yield
        return
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def lightness(image: np.ndarray, device: torch.device | str = "cpu") -> Tensor:
    """L* (0..100) of a whole image, 1×1×H×W float32 on ``device``.

    ``image``: H×W gray or H×W×3 sRGB; uint8 (read through tables), or float in 0..1 (the
    formulas of :mod:`hintcolor.color`, band by band).
    """
    device = torch.device(device)
    height, width = image.shape[:2]
    out = torch.empty(1, 1, height, width, device=device)
    band_l = _band_lightness_of(image, device)

    def work(rows: slice) -> None:
        out[0, 0, rows] = band_l(rows)

    for _ in for_each_band(height, width, device, work):
        pass
    return out


def mean_lightness(image: np.ndarray, rows: slice, columns: slice) -> float:
    """Mean L* of a region of an image array (H×W gray or H×W×3 sRGB; uint8, or float in 0..1)."""
    return float(lightness(image[rows, columns]).double().mean())


def working_lightness(image: np.ndarray, size: tuple[int, int], device: torch.device | str = "cpu") -> Tensor:
    """L* (1×1×h×w float32 on ``device``) of ``image`` resized to ``size`` = (w, h): antialiased
    bicubic on the sRGB values, as Pillow resizes. ``image`` as for :func:`lightness`.

    The resampling is separable: each band of rows is resized across (in parallel, as
    :func:`for_each_band`), then the narrow result down, so the photo is never held as float.
    """
    device = torch.device(device)
    height, width = image.shape[:2]
    source = read_only_tensor(image)
    across = torch.empty(1, 1 if image.ndim == 2 else image.shape[2], height, size[0], device=device)

    def work(rows: slice) -> None:
        band = source[rows].to(device, non_blocking=True)
        band = (band[None] if band.ndim == 2 else band.permute(2, 0, 1))[None]
        band = band.float().div_(255) if band.dtype == torch.uint8 else band.float()
        across[:, :, rows] = _bicubic(band, (band.shape[-2], size[0]))

    for _ in for_each_band(height, width, device, work):
        pass
    small = _bicubic(across, (size[1], size[0]))[0].clamp_(0, 1)
    return (gray_to_l(small) if small.shape[0] == 1 else rgb_to_l(small))[None]


def _bicubic(planes: Tensor, size: tuple[int, int]) -> Tensor:
    return F.interpolate(planes, size=size, mode="bicubic", antialias=True, align_corners=False)


def _band_lightness(pixels: Tensor) -> Tensor:
    if pixels.dtype == torch.uint8:
        if pixels.ndim == 2:
            return _look_up(_L_OF_U8, pixels)
        linear = _LINEAR_OF_U8.float()
        y = _look_up(linear, pixels[..., 0]).mul_(_Y_FROM_RGB[0])
        y.add_(_look_up(linear, pixels[..., 1]), alpha=_Y_FROM_RGB[1]).add_(_look_up(linear, pixels[..., 2]), alpha=_Y_FROM_RGB[2])
        return _l_of_y(y)
    pixels = pixels.float()
    return gray_to_l(pixels) if pixels.ndim == 2 else rgb_to_l(pixels.permute(2, 0, 1))[0]


def _look_up(table: Tensor, pixels: Tensor) -> Tensor:
    """``table[pixels]`` for 8-bit ``pixels`` (int32 indices: a quarter of the time of int64 ones)."""
    return table.to(pixels.device).index_select(0, pixels.reshape(-1).int()).view(pixels.shape)


def _l_of_y(y: Tensor) -> Tensor:
    """L* of luminance Y (white = 1), in place."""
    cube_root = y.clamp(min=_EPSILON).pow_(1 / 3)
    return torch.where(y > _EPSILON, cube_root, y.mul_(_KAPPA).add_(16 / 116)).mul_(116).sub_(16)


def compose(
    l: Tensor | np.ndarray, ab: Tensor, dtype: np.dtype | type = np.float32, progress: Progress | None = None,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    """Join full-resolution lightness with ab (1×2×h×w, upsampled bilinearly to H×W) → sRGB.

    ``l``: L* (1×1×H×W, the work then runs on its device), or the photo itself (an array as for
    :func:`lightness`; the work runs on ``device``), whose L* is then found band by band and never
    held whole. Returns an H×W×3 numpy array: float32 in 0..1, or uint8 (rounded) for
    ``dtype=np.uint8``. Out-of-gamut colors are clipped, as :func:`hintcolor.color.lab_to_rgb`
    does. ``progress`` is called after each band with the fraction done.
    """
    if isinstance(l, Tensor):
        (height, width), device, band_l = l.shape[-2:], l.device, lambda rows: l[0, 0, rows]
    else:
        (height, width), device = l.shape[:2], torch.device(device)
        band_l = _band_lightness_of(l, device)
    ab = ab.to(device, torch.float32).contiguous()  # the network's output is channels-last: rows would be strided
    across = ab[0] if ab.shape[-1] == width else F.interpolate(ab, size=(ab.shape[-2], width), mode="bilinear", align_corners=False)[0]
    out = np.empty((height, width, 3), dtype=dtype)
    out_tensor = torch.from_numpy(out)

    def work(rows: slice) -> None:
        a, b = _rows_down(across, rows, height)
        rgb = _lab_band_to_rgb(band_l(rows), a, b)
        if dtype == np.uint8:
            rgb = rgb.mul_(255).add_(0.5)
        for channel in range(3):  # interleave (and quantise) one plane at a time: contiguous reads
            out_tensor[rows, :, channel].copy_(rgb[channel])

    for rows in for_each_band(height, width, device, work):
        if progress is not None:
            progress(rows.stop / height, "composing")
    return out


def ab_at(ab: Tensor, size: tuple[int, int], box: tuple[int, int, int, int]) -> Tensor:
    """The chroma ``ab`` (1×2×h×w) of a photo of ``size`` = (W, H), enlarged bilinearly as :func:`compose`
    enlarges it, at the pixels of ``box`` = (x, y, width, height) only: 1×2×height×width float32 on
    ``ab``'s device (the whole photo's chroma is never held at full resolution)."""
    x, y, width, height = box
    ab = ab.float()
    for axis, start, count, full in ((3, x, width, size[0]), (2, y, height, size[1])):
        n = ab.shape[axis]
        if n == full:
            ab = ab.narrow(axis, start, count)
            continue
        position = torch.arange(start, start + count, device=ab.device, dtype=torch.float32)
        source = ((position + 0.5) * (n / full) - 0.5).clamp_(min=0)
        low = source.long()
        weight = (source - low).view(-1, 1) if axis == 2 else source - low
        ab = ab.index_select(axis, low).lerp_(ab.index_select(axis, (low + 1).clamp_(max=n - 1)), weight)
    return ab.contiguous()


def _band_lightness_of(image: np.ndarray, device: torch.device) -> Callable[[slice], Tensor]:
    """``rows`` → L* of those rows of ``image`` (r×W float32 on ``device``)."""
    source = read_only_tensor(image)
    return lambda rows: _band_lightness(source[rows].to(device, non_blocking=True))


def _rows_down(across: Tensor, rows: slice, height: int) -> tuple[Tensor, Tensor]:
    """Rows ``rows`` of ``across`` (2×h×W) upsampled to ``height`` rows: a, b planes (fresh tensors)."""
    h = across.shape[1]
    if h == height:
        return across[0, rows].clone(), across[1, rows].clone()
    y = torch.arange(rows.start, rows.stop, device=across.device, dtype=torch.float32)
    source = ((y + 0.5) * (h / height) - 0.5).clamp_(min=0)
    top = source.long()
    weight = (source - top)[:, None]
    below = (top + 1).clamp_(max=h - 1)
    mixed = across.index_select(1, top).lerp_(across.index_select(1, below), weight)
    return mixed[0], mixed[1]


def _lab_band_to_rgb(l: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """L*, a*, b* planes (r×W; a and b are overwritten) → sRGB 3×r×W clipped to 0..1."""
    fy = l.add(16).mul_(1 / 116)
    fx = _f_inv(a.mul_(1 / 500).add_(fy))
    fz = _f_inv(b.mul_(-1 / 200).add_(fy).clamp_(min=0))
    fy = _f_inv(fy)
    rgb = torch.empty((3, *l.shape), device=l.device)
    for channel, (mx, my, mz) in enumerate(_RGB_FROM_FXYZ):
        linear = torch.mul(fx, mx, out=rgb[channel]).add_(fy, alpha=my).add_(fz, alpha=mz)
        _linear_to_srgb_(linear)
    return rgb


def _f_inv(t: Tensor) -> Tensor:
    """CIE f⁻¹ (t³ above the knee, linear below), in place on ``t``.

    The linear piece is tangent to t³ at the knee, so f⁻¹(t) = line(min(t, knee)) + max(t, knee)³ − knee³:
    arithmetic only, no branch evaluated twice.
    """
    cube = t.clamp(min=_F_INV_KNEE).pow_(3).sub_(_F_INV_KNEE**3)
    return t.clamp_(max=_F_INV_KNEE).sub_(16 / 116).mul_(1 / _KAPPA).add_(cube)


def _linear_to_srgb_(linear: Tensor) -> Tensor:
    """Linear → gamma-encoded sRGB clipped to 0..1, in place.

    As :func:`_f_inv`: 12.92·min(v, knee) + 1.055·max(v, knee)^(1/2.4) − (0.055 + 12.92·knee), the two
    pieces meeting at the knee.
    """
    gamma = linear.clamp(min=_SRGB_KNEE).log2_().mul_(1 / 2.4).exp2_().mul_(1.055)  # v^(1/2.4), faster than pow
    return linear.clamp_(max=_SRGB_KNEE).mul_(12.92).add_(gamma).sub_(0.055 + 12.92 * _SRGB_KNEE).clamp_(0, 1)
