"""Color suggestions: the colors the network thinks likely at a point of the photo.

Besides its ab prediction, the siggraph17 network has a class head: at ¼ of the working grid, a
distribution over 529 ab bins (a 23×23 grid, 10 Lab units apart), read as
``softmax(logits × 0.2)`` as the released interactive demo does. A suggestion is one color of
that distribution at the point:

1. the distribution is computed with the user's hints (so it answers "given what I painted");
2. it is read at the point's exact position, interpolated (bilinear) between head cells, so a
   small object between cells is not rounded away;
3. its bins are grouped deterministically: every local maximum of the 23×23 grid is a mode,
   modes closer than :data:`GROUP_RADIUS` to a stronger one are dropped (one color, not two),
   and each bin within :data:`GROUP_RADIUS` of a mode joins the nearest one;
4. each group gives its peak's ab (weighted mean of the mode and its neighbours) and its
   summed probability; the ab is pulled into the sRGB gamut at the photo's own L* at the point
   (:mod:`hintcolor.gamut`), so ``color`` is what that pixel would look like with that chroma;
5. groups that then look alike (closer than :data:`SAME_COLOR`) are merged.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import torch
from torch import Tensor

from . import fullres
from .errors import InputError, WeightsError
from .gamut import lab_to_rgb8, snap_chroma
from .hints import AB, Hint
from .images import ImageLike, to_pixels
from .engines.model import ab_bin_centers

if TYPE_CHECKING:  # for annotations only: colorizer.py imports this module
    from .colorizer import Colorizer
    from .engines import Engine, Options

#: Bins closer than this (Lab units) to a mode belong to its color: 21 bins, up to 2 bins away.
GROUP_RADIUS = 25.0
#: Groups holding less probability than this are not suggested (the tail of the distribution).
MIN_PROBABILITY = 0.005
#: Suggestions whose shown chromas are closer than this (Lab units, ΔE at one L*) are one color.
SAME_COLOR = 5.0
#: The class head works at ¼ of the working grid; its cell (i, j) sits on working pixel (4i, 4j).
HEAD_STRIDE = 4


@dataclass(frozen=True)
class Suggestion:
    """A likely color at a point: ``color`` (``"#rrggbb"``, the chroma at the photo's L* there,
    in gamut), ``ab`` (that chroma, Lab a*, b*) and ``probability`` (0..1, the mass of the
    network's distribution that this color gathers)."""

    color: str
    ab: AB
    probability: float

    def to_json(self) -> dict:
        return {"color": self.color, "ab": [round(self.ab.a, 2), round(self.ab.b, 2)],
                "probability": round(self.probability, 4)}


def suggest_colors(
    colorizer: Colorizer,
    image: ImageLike,
    x: float,
    y: float,
    hints: Sequence[Hint] = (),
    k: int = 8,
    hint_image: ImageLike | None = None,
    options: Options | None = None,
) -> list[Suggestion]:
    """Up to ``k`` colors likely at pixel (``x``, ``y``) of ``image``, most likely first;
    see :meth:`hintcolor.Colorizer.suggest`."""
    return suggest_at_points(colorizer, image, [(x, y)], hints, k, hint_image, options)[0]


def suggest_at_points(
    colorizer: Colorizer,
    image: ImageLike,
    points: Sequence[tuple[float, float]],
    hints: Sequence[Hint] = (),
    k: int = 8,
    hint_image: ImageLike | None = None,
    options: Options | None = None,
) -> list[list[Suggestion]]:
    """:func:`suggest_colors` at each of ``points`` (x, y), from one pass of the engine's class
    head; ``options`` of the call (default: the colorizer's)."""
    if not colorizer.can_suggest:
        raise WeightsError(
            "color suggestions need the siggraph17 network weights (propagation knows no colors of its own)"
            + (f": {colorizer.notice}" if colorizer.notice else "")
        )
    if k < 1:
        raise InputError(f"the number of suggestions must be at least 1, not {k}")
    options = options or colorizer.options()
    pixels = to_pixels(image).color
    height, width = pixels.shape[:2]
    for x, y in points:
        if not (-0.5 <= x < width - 0.5 and -0.5 <= y < height - 0.5):
            raise InputError(f"point ({x:g}, {y:g}) lies outside the {width}×{height} image")
    engine = colorizer.backend
    with fullres.torch_threads(colorizer.threads):  # as every call of the colorizer (its results depend on the count)
        all_hints = colorizer.prepared_hints(pixels, hints, hint_image, options)
        work_l = engine.lightness(pixels, engine.grid(width, height, options))
        distribution = _distribution(engine, work_l, all_hints, (width, height))
    found = []
    for x, y in points:
        probabilities = distribution_at(distribution, x, y, (width, height))
        row, column = round(y), round(x)
        l = fullres.mean_lightness(pixels, slice(row, row + 1), slice(column, column + 1))
        found.append(_distinct(_suggestions(l, group_bins(probabilities)))[:k])
    return found


def _distribution(engine: Engine, work_l: Tensor, hints: list[Hint], image_size: tuple[int, int]) -> Tensor:
    """The engine's distribution with these hints (:meth:`hintcolor.engines.Engine.distribution`):
    529×(h/4)×(w/4), float64 on the CPU."""
    return engine.distribution(work_l, hints, image_size)


def distribution_at(distribution: Tensor, x: float, y: float, image_size: tuple[int, int]) -> Tensor:
    """The distribution (529×h4×w4, one image) read at full-resolution pixel (x, y) of an image
    of ``image_size`` = (width, height): bilinear between the four nearest head cells (clamped at
    the borders). Head cell (i, j) covers working pixel (4i, 4j) (the encoder keeps every other
    pixel twice before the head; colorization-pytorch trains it against the ground truth at
    ``[::4, ::4]``).
    Returns 529 probabilities summing to 1."""
    rows, columns = distribution.shape[-2:]
    width, height = image_size
    weights = []
    for coordinate, size, cells in ((y, height, rows), (x, width, columns)):
        working = (coordinate + 0.5) * cells * HEAD_STRIDE / size - 0.5  # working-grid pixel index
        position = min(max(working / HEAD_STRIDE, 0.0), cells - 1.0)
        low = min(math.floor(position), cells - 1)
        high = min(low + 1, cells - 1)
        weights.append(((low, 1 - (position - low)), (high, position - low)))
    return sum(wr * wc * distribution[:, r, c] for r, wr in weights[0] for c, wc in weights[1])


def group_bins(probabilities: Tensor) -> list[tuple[AB, float]]:
    """Groups of nearby bins of one distribution (529 probabilities): (ab, summed probability)
    per color, most probable first, without groups under :data:`MIN_PROBABILITY`.

    Deterministic: bins are ranked by probability (ties: the lower bin index first); a mode is a
    bin that no neighbour on the 23×23 grid outranks and that is more likely than its least
    likely neighbour (a flat distribution has no mode and gives no suggestion); modes within :data:`GROUP_RADIUS` of a
    higher-ranked mode are dropped; every bin within :data:`GROUP_RADIUS` of a mode joins the
    nearest mode (bins farther from every mode are left out: the thin tail). A group's ab is its
    peak: the probability-weighted mean of the mode and its 8 neighbouring bins (so two equally
    likely neighbouring bins give the chroma between them, and distinct modes stay apart)."""
    p = probabilities.double().flatten()
    centers = ab_bin_centers().double()
    order = torch.argsort(-p, stable=True)
    rank = torch.empty_like(order)
    rank[order] = torch.arange(len(order))
    distance = torch.cdist(centers, centers)
    neighbours = (distance > 0) & (distance < 15)  # the 8 bins around each (10 Lab units apart)
    is_peak = ~(neighbours & (rank[None, :] < rank[:, None])).any(dim=1)
    is_peak &= p > torch.where(neighbours, p[None, :], torch.inf).min(dim=1).values  # not on a flat
    modes: list[int] = []
    for bin_ in order[is_peak[order]].tolist():
        if all(distance[bin_, mode] >= GROUP_RADIUS for mode in modes):
            modes.append(bin_)
    if not modes:
        return []
    to_modes = distance[:, modes]
    member = to_modes.min(dim=1).values < GROUP_RADIUS
    mass = torch.zeros(len(modes), dtype=torch.float64).index_add_(0, to_modes.argmin(dim=1)[member], p[member])
    around = (neighbours | (distance == 0))[modes] * p  # M×529: each mode and its 8 neighbours
    peaks = around @ centers / around.sum(dim=1, keepdim=True)
    groups = [(AB(*peaks[i].tolist()), float(mass[i])) for i in range(len(modes))]
    return sorted((g for g in groups if g[1] >= MIN_PROBABILITY), key=lambda g: -g[1])


def _distinct(suggestions: list[Suggestion]) -> list[Suggestion]:
    """Suggestions that look alike at this L* (shown chromas closer than :data:`SAME_COLOR`, e.g.
    two chromas both pulled onto the gamut boundary of a very dark or light pixel) merged into
    the more likely one, their probabilities summed; most likely first."""
    kept: list[Suggestion] = []
    for s in sorted(suggestions, key=lambda s: -s.probability):
        alike = next((i for i, k in enumerate(kept) if math.dist(k.ab, s.ab) < SAME_COLOR), None)
        if alike is None:
            kept.append(s)
        else:
            kept[alike] = Suggestion(kept[alike].color, kept[alike].ab, kept[alike].probability + s.probability)
    return sorted(kept, key=lambda s: -s.probability)


def _suggestions(l: float, groups: list[tuple[AB, float]]) -> list[Suggestion]:
    """Each group's chroma pulled into the gamut at L* ``l`` and shown at that L*."""
    if not groups:
        return []
    lightness = torch.full((len(groups),), l, dtype=torch.float64)
    shown = snap_chroma(lightness, torch.tensor([ab for ab, _ in groups], dtype=torch.float64))
    rgb = lab_to_rgb8(lightness, shown).tolist()
    return [Suggestion("#{:02x}{:02x}{:02x}".format(*color), AB(*ab), mass)
            for color, ab, (_, mass) in zip(rgb, shown.tolist(), groups)]
