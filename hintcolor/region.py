"""Colorizing a region of a photo at the working size: the box, its context, the blend.

The network sees a photo at 256 pixels on its short side (the propagation engine at 1024 on its
long side); on a 12-megapixel scan a face is a few cells of that grid. A region run
(:meth:`hintcolor.Colorizer.region_array`) colorizes a box of the photo — the region plus a margin
of context around it (:func:`context_box`, :data:`CONTEXT_MARGIN`) — on the engine's own grid
(never finer than the box's own pixels, :func:`box_options`), so the region gets the grid's full
detail. The hints inside the region guide it; the ring of the margin (inside the context box,
outside the region) keeps the whole photo's colors (:class:`hintcolor.engines.Known`): an earlier
result's, or those of a coarse run of the whole photo (:func:`context_options`), so the colors the
rest of the photo's hints gave reach the region as they did in the whole-photo run. The region's
pixels are then blended into the whole-photo result through a mask (:func:`blend_weight`,
:func:`blend`); outside the mask the result stays exactly as it was.
"""
from __future__ import annotations

import dataclasses
import math
import numbers

import numpy as np
import torch

from .engines.base import Options
from .errors import InputError

#: (x, y, width, height) of a box, in pixels of the photo (x to the right, y down, from its top-left pixel).
Box = tuple[int, int, int, int]

#: The margin of context around a region, as a fraction of the region's longer side (each side; the
#: context box is cut at the photo's edges): the region run sees its surroundings and takes the
#: whole-photo result's colors in that ring as known (benchmarks/bench_region.py measured 0.25).
CONTEXT_MARGIN = 0.25
#: The margin at least, in pixels: a ring some cells wide on the coarsest level of the engine's grid.
MIN_CONTEXT_MARGIN = 32
#: The network's short side for the coarse whole-photo run that gives a region its context. On the
#: CPU a forward pass has a fixed cost whatever its size (its weights are read once per pass: about
#: 0.35 s on 2 cores at 96×64, against about 1 s at 384×256), so smaller saves little more; the
#: propagation engine takes its preview grid (benchmarks/bench_region.py --study: as good a
#: context as a full whole-photo run's, in the region).
CONTEXT_WORK_SIZE = 64


def check_region(region: object, width: int, height: int) -> Box:
    """``region`` = (x, y, width, height) in whole pixels, checked to be a box of positive size inside a
    ``width``×``height`` photo; :class:`InputError` with one sentence otherwise."""
    try:
        values = tuple(region)  # type: ignore[arg-type]
    except TypeError:
        values = ()
    if len(values) != 4 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values):
        raise InputError(f"region {region!r} is not four whole numbers x, y, width, height (e.g. 120, 80, 300, 200)")
    x, y, w, h = (int(v) for v in values)
    if w <= 0 or h <= 0:
        raise InputError(f"region {x},{y},{w},{h} has no pixels; give it a positive width and height")
    if x < 0 or y < 0 or x + w > width or y + h > height:
        raise InputError(f"region {x},{y},{w},{h} does not lie inside the {width}×{height} photo; "
                         f"keep x + width ≤ {width} and y + height ≤ {height}")
    return x, y, w, h


def context_box(box: Box, width: int, height: int) -> Box:
    """The box a region run colorizes: ``box`` grown by the margin (:data:`CONTEXT_MARGIN` of its
    longer side, at least :data:`MIN_CONTEXT_MARGIN` pixels) on each side, cut at the edges of a
    ``width``×``height`` photo."""
    x, y, w, h = box
    margin = max(MIN_CONTEXT_MARGIN, math.ceil(CONTEXT_MARGIN * max(w, h)))
    left, top = max(0, x - margin), max(0, y - margin)
    right, bottom = min(width, x + w + margin), min(height, y + h + margin)
    return left, top, right - left, bottom - top


def context_options(options: Options) -> Options:
    """The options of the coarse whole-photo run whose colors a region run takes around its box (when no
    earlier result is given): the engine's preview grid (:meth:`hintcolor.engines.Engine.grid`), the
    network's at most :data:`CONTEXT_WORK_SIZE` on its short side."""
    return dataclasses.replace(options, preview=True, work_size=min(options.work_size, CONTEXT_WORK_SIZE))


def box_options(options: Options, outer: Box) -> Options:
    """The options of a region's own run on the context box ``outer``: the network's short side at
    most the box's own (rounded down to a multiple of 8, at least 8), so a small box is not enlarged
    (the propagation engine never solves finer than the photo's pixels)."""
    native = max(8, min(outer[2], outer[3]) // 8 * 8)
    return dataclasses.replace(options, work_size=min(options.work_size, native))


def inner(box: Box, outer: Box) -> Box:
    """``box`` in the coordinates of the box ``outer`` that holds it."""
    return box[0] - outer[0], box[1] - outer[1], box[2], box[3]


def pixels(box: Box) -> tuple[slice, slice]:
    """(rows, columns) of an array covered by ``box``."""
    x, y, w, h = box
    return slice(y, y + h), slice(x, x + w)


def ring(outer: Box, box: Box) -> torch.Tensor:
    """Where the colors of the context are known: the pixels of ``outer`` outside ``box`` (an h×w bool
    tensor of ``outer``'s size)."""
    known = torch.ones(outer[3], outer[2], dtype=torch.bool)
    known[pixels(inner(box, outer))] = False
    return known


def inside(x: float, y: float, box: Box) -> bool:
    """Whether the point (x, y) (photo pixels; a pixel's centre is a whole number) lies in the pixels of ``box``."""
    bx, by, w, h = box
    return bx - 0.5 <= x < bx + w - 0.5 and by - 0.5 <= y < by + h - 0.5


def blend_weight(box: Box, mask: np.ndarray | None, feather: float, width: int, height: int) -> np.ndarray:
    """How much of the region run each pixel of ``box`` takes (h×w float32, 0..1).

    ``mask``: None, or an H×W array of the photo's size: float (0..1), uint8 (0..255) or bool; it
    must be empty (0) outside ``box``. Without a mask the box's rectangle is the mask, its edge
    softened over ``feather`` pixels inside the box (a linear ramp from 0 at the box's edge to 1
    ``feather`` pixels in), so the photo outside the box never changes. :class:`InputError` for a
    negative or non-finite ``feather``, a feather with a mask, or a mask of another size, type or range.
    """
    if not (isinstance(feather, numbers.Real) and math.isfinite(feather) and feather >= 0):
        raise InputError(f"feather {feather!r} must be a number of pixels ≥ 0")
    if mask is None:
        x, y, w, h = box
        return np.outer(_ramp(h, feather), _ramp(w, feather)).astype(np.float32)
    if feather:
        raise InputError("feather softens the region's rectangle; a mask brings its own edge: give one or the other")
    return _mask_weight(np.asarray(mask), box, width, height)


def _ramp(count: int, feather: float) -> np.ndarray:
    """0..1 across ``count`` pixels: rising over ``feather`` pixels from each end (their centres
    at 0.5, 1.5, ... pixels from the edge), 1 between; all 1 without feather."""
    if not feather:
        return np.ones(count)
    distance = np.minimum(np.arange(count), np.arange(count)[::-1]) + 0.5
    return np.clip(distance / feather, 0, 1)


def _mask_weight(mask: np.ndarray, box: Box, width: int, height: int) -> np.ndarray:
    if mask.shape != (height, width):
        raise InputError(f"mask has shape {mask.shape} but the photo is {width}×{height}; "
                         f"give an H×W mask of the photo's size ({height}, {width})")
    if mask.dtype == np.uint8:
        weight = mask.astype(np.float32) / 255
    elif mask.dtype == bool or np.issubdtype(mask.dtype, np.floating):
        weight = mask.astype(np.float32)
        if not (np.isfinite(weight).all() and weight.min(initial=0) >= 0 and weight.max(initial=0) <= 1):
            raise InputError("mask values must lie between 0 and 1 (floats), or be uint8 0..255 or bool")
    else:
        raise InputError(f"mask of {mask.dtype} is not float (0..1), uint8 (0..255) or bool")
    rows, columns = pixels(box)
    outside = weight.copy()
    outside[rows, columns] = 0
    if outside.any():
        raise InputError(f"the mask selects pixels outside the region {','.join(map(str, box))}; "
                         "give a region that holds the whole mask (its bounding box)")
    return np.ascontiguousarray(weight[rows, columns])


def blend(base: np.ndarray, rgb: np.ndarray, box: Box, weight: np.ndarray) -> np.ndarray:
    """``base`` (H×W×3 sRGB, uint8 or float32) with the region run's pixels ``rgb`` (h×w×3 of the box,
    same dtype) blended into ``box`` by ``weight`` (h×w, 0..1): a new array; ``base`` itself is not changed.
    Where the weight is 0 the result is ``base`` exactly, where it is 1 ``rgb`` exactly."""
    out = base.copy()
    rows, columns = pixels(box)
    w = weight[:, :, None]
    mixed = base[rows, columns].astype(np.float32) * (1 - w) + rgb.astype(np.float32) * w
    out[rows, columns] = np.floor(mixed + 0.5) if out.dtype == np.uint8 else mixed
    return out
