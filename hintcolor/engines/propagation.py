"""The weights-free engine: edge-aware hint propagation (Levin, Lischinski & Weiss, "Colorization
using Optimization", SIGGRAPH 2004).

Each pixel's chroma should be the weighted mean of its 8 neighbours' chroma, with weights that
fall off with the difference in lightness (scaled by the local lightness variance): colors spread
along regions of similar lightness and stop at edges. Hinted pixels are fixed. The chroma planes
a*, b* are the unknowns; L* is the photo's own.

Solving that sparse system exactly at 12 megapixels is far too slow, so :func:`propagate` works
coarse to fine: an exact sparse LU solve (scipy) on a small copy of the photo, then at each
finer level bilinear upsampling and Jacobi smoothing with that level's own edge-aware weights
(cascadic multigrid), up to ``max_side``; from there to full resolution, the fast guided filter
(He & Sun 2015) transfers the photo's full-resolution edges into the chroma.

:class:`PropagationEngine` is this solver behind the engines' interface (:class:`hintcolor.engines.Engine`);
its preview solves on a coarser grid (:data:`PREVIEW_SOLVE_SIDE`).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .. import fullres
from ..hints import Hint
from ..worker.protocol import ENGINE_OPTIONS
from .base import Engine, Known, Options, hint_planes

#: Pixels up to which a level is solved exactly (sparse LU); coarser than that is never needed.
MAX_DIRECT_PIXELS = 20_000
#: Jacobi steps at each finer level.
SMOOTHING_STEPS = 10
#: Longest side the system is solved at; beyond it, guided-filter upsampling.
MAX_SOLVE_SIDE = 1024
#: The same for a live preview (:attr:`Options.preview`): a coarse solve, refined when the user pauses
#: (about the network's preview grid, 128 on the short side of a 3:2 photo).
PREVIEW_SOLVE_SIDE = 192
_OFFSETS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]


def affinities(l: torch.Tensor) -> torch.Tensor:
    """Levin et al.'s weights: ``l`` (h×w, L* 0..100) → 8×h×w, one plane per neighbour offset.

    Weight of neighbour s of r: ``exp(-(Y_s - Y_r)² / σ²)``, Y = L*/100, σ² = max(0.6 · variance
    of Y over the 3×3 window, smallest squared neighbour difference / ln 100, 2e-6); rows sum to
    1; neighbours outside the image weigh 0. (As their reference code, getColorExact.m.)
    """
    y = l.double() / 100
    padded = F.pad(y[None, None], (1, 1, 1, 1), value=float("nan"))[0, 0]
    h, w = y.shape
    neighbours = torch.stack([padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] for dy, dx in _OFFSETS])
    inside = ~torch.isnan(neighbours)
    values = torch.where(inside, neighbours, y)
    count = inside.sum(0) + 1
    mean = (torch.where(inside, neighbours, 0).sum(0) + y) / count
    variance = (torch.where(inside, (neighbours - mean) ** 2, 0).sum(0) + (y - mean) ** 2) / count
    squared = (values - y) ** 2
    smallest = torch.where(inside, squared, math.inf).min(0).values
    sigma2 = torch.maximum(torch.maximum(0.6 * variance, smallest / math.log(100)), torch.tensor(2e-6, dtype=y.dtype))
    weights = torch.where(inside, torch.exp(-squared / sigma2), 0)
    return (weights / weights.sum(0)).float()


def solve_exact(weights: torch.Tensor, ab: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The exact solution (sparse LU): chroma (2×h×w) with hinted pixels fixed at ``ab`` where
    ``mask`` is 1 and every other pixel the weighted mean of its neighbours."""
    import scipy.sparse.linalg  # loaded with the engine, not at the top: it costs the network's users ~0.3 s

    h, w = weights.shape[1:]
    index = np.arange(h * w).reshape(h, w)
    free = ~mask[0].numpy().astype(bool)
    rows, cols, values = [np.arange(h * w)], [np.arange(h * w)], [np.ones(h * w)]
    for k, (dy, dx) in enumerate(_OFFSETS):
        ys, xs = slice(max(-dy, 0), h - max(dy, 0)), slice(max(-dx, 0), w - max(dx, 0))
        source = index[ys, xs]
        target = index[max(dy, 0) : h - max(-dy, 0), max(dx, 0) : w - max(-dx, 0)]
        keep = free[ys, xs]
        rows.append(source[keep])
        cols.append(target[keep])
        values.append(-weights[k].numpy()[ys, xs][keep])
    matrix = scipy.sparse.csc_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=(h * w, h * w)
    )
    rhs = (ab * mask).reshape(2, -1).T.double().numpy()
    solution = scipy.sparse.linalg.splu(matrix).solve(rhs)
    return torch.from_numpy(solution.T.reshape(2, h, w)).float()


def smooth(chroma: torch.Tensor, weights: torch.Tensor, ab: torch.Tensor, mask: torch.Tensor, steps: int) -> torch.Tensor:
    """``steps`` Jacobi iterations of the same system, starting from ``chroma`` (2×h×w)."""
    h, w = chroma.shape[1:]
    for _ in range(steps):
        padded = F.pad(chroma[None], (1, 1, 1, 1), mode="replicate")[0]
        mean = sum(weights[k] * padded[:, 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] for k, (dy, dx) in enumerate(_OFFSETS))
        chroma = torch.where(mask > 0, ab, mean)
    return chroma


def solve_size(width: int, height: int, max_side: int | None = None) -> tuple[int, int]:
    """(width, height) the system is solved at: the photo's, shrunk to ``max_side`` (default
    :data:`MAX_SOLVE_SIDE`) if longer."""
    scale = min(1.0, (max_side or MAX_SOLVE_SIDE) / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def propagate(l: torch.Tensor, hints: Sequence[Hint], max_side: int | None = None, known: Known | None = None,
              image_size: tuple[int, int] | None = None) -> torch.Tensor:
    """Chroma (2×H×W, Lab units) for a photo's L* (H×W, 0..100) and its hints (pixel coordinates of a
    photo of ``image_size`` = (width, height); default ``l``'s: an ``l`` of another size is the photo
    resized); the cells of each level that ``known`` wholly covers are fixed at its colors, as hinted pixels are.
    With ``known`` (``l`` is then a part of a larger photo: a region run), the coarsest level, solved
    exactly, is as coarse a grid of the whole photo as a whole-photo run's (:func:`direct_pixels`):
    how far colors spread is set there, and a finer one spreads them less far than the whole-photo
    run did (benchmarks/bench_region.py: up to 1 dB worse in the region).

    Runs on one thread: its many small operations would otherwise make each core wait for the
    other at every one of them, which costs 3–4× the time when other programs share the cores
    (the result is the same bits; benchmarks/bench_preview.py)."""
    with fullres.torch_threads(1):
        return _propagate(l, hints, max_side, known, image_size)


def _propagate(l: torch.Tensor, hints: Sequence[Hint], max_side: int | None, known: Known | None,
               image_size: tuple[int, int] | None) -> torch.Tensor:
    height, width = l.shape
    size = solve_size(width, height, max_side)
    levels = [size]
    direct = direct_pixels((width, height), known)
    while levels[-1][0] * levels[-1][1] > direct and min(levels[-1]) > 8:
        levels.append(((levels[-1][0] + 1) // 2, (levels[-1][1] + 1) // 2))
    chroma = None
    for w, h in reversed(levels):
        level_l = _resize(l, (h, w))
        weights = affinities(level_l)
        ab, mask = hint_planes(hints, image_size or (width, height), (w, h), known)
        if chroma is None:
            chroma = solve_exact(weights, ab, mask)
        else:
            chroma = smooth(F.interpolate(chroma[None], size=(h, w), mode="bilinear", align_corners=False)[0],
                            weights, ab, mask, SMOOTHING_STEPS)
    if size == (width, height):
        return chroma
    return guided_upsample(_resize(l, chroma.shape[1:]), chroma, l)


def direct_pixels(size: tuple[int, int], known: Known | None) -> float:
    """Pixels up to which a level of a photo part of ``size`` = (width, height) is solved exactly:
    :data:`MAX_DIRECT_PIXELS`, or for a part of a larger photo (``known``) its share of them by area."""
    if known is None:
        return MAX_DIRECT_PIXELS
    (width, height), (whole_width, whole_height) = size, known.photo_size
    return MAX_DIRECT_PIXELS * min(1.0, width * height / (whole_width * whole_height))


def _resize(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    return F.interpolate(image[None, None], size=size, mode="area")[0, 0]


def guided_upsample(guide_small: torch.Tensor, source: torch.Tensor, guide: torch.Tensor, radius: int = 2,
                    eps: float = 1e-4) -> torch.Tensor:
    """Fast guided filter (He & Sun 2015): ``source`` (C×h×w) follows the edges of the full-size
    ``guide`` (H×W) through a local linear model fitted at the small size."""
    y = guide_small[None] / 100
    box = lambda x: F.avg_pool2d(x[None], 2 * radius + 1, stride=1, padding=radius, count_include_pad=False)[0]  # noqa: E731
    mean_y, mean_s = box(y), box(source)
    a = (box(y * source) - mean_y * mean_s) / (box(y * y) - mean_y**2 + eps)
    b = mean_s - a * mean_y
    size = guide.shape
    a_up = F.interpolate(box(a)[None], size=size, mode="bilinear", align_corners=False)[0]
    b_up = F.interpolate(box(b)[None], size=size, mode="bilinear", align_corners=False)[0]
    return a_up * (guide[None] / 100) + b_up


class PropagationEngine(Engine):
    """The weights-free engine: :func:`propagate` on the grid :func:`solve_size` gives (at most
    :data:`MAX_SOLVE_SIDE` on the long side; :data:`PREVIEW_SOLVE_SIDE` for a preview), guided by
    the photo's L* at full resolution. It runs on the CPU whatever the device."""

    name = "propagate"
    label = "propagation of the hints"
    needs_hints = True
    can_suggest = False
    full_lightness = True
    stage = "Propagating the hints"
    uses = ENGINE_OPTIONS[name]

    def __init__(self, device: torch.device, dtype: torch.dtype) -> None:
        super().__init__(device, dtype)
        # Loaded with the engine (as the network loads its weights), not by the first solve: it is
        # 0.2-0.7 s, which the live panel's first preview waited for (benchmarks/bench_live.py).
        import scipy.sparse.linalg  # noqa: F401

    def grid(self, width: int, height: int, options: Options) -> tuple[int, int]:
        return solve_size(width, height, PREVIEW_SOLVE_SIDE if options.preview else MAX_SOLVE_SIDE)

    def lightness(self, image: np.ndarray, grid: tuple[int, int]) -> torch.Tensor:
        return fullres.lightness(image)

    def predict_ab(self, l: torch.Tensor, hints: Sequence[Hint], image_size: tuple[int, int],
                   grid: tuple[int, int] | None = None, known: Known | None = None) -> torch.Tensor:
        return propagate(l[0, 0], hints, max(grid or l.shape[-2:]), known, image_size)[None]
