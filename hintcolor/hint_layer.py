"""A hint layer as an editor holds it: its painted dots as a hints JSON document, and a hints
document as dots to paint (what GIMP's "Export Hints…" and "Import Hints…" need).

- Export: :func:`export_hints` gives the hints the colorizer itself reads from the layer (the
  same cells, centroids and mean colors as ``--hint-image``), so ``hintcolor colorize --hints``
  replays them exactly on the same photo, and scaled on a larger scan of it.
- Import: :func:`import_hints` turns a document into :class:`Dot` squares of one 8-bit color,
  scaled to the image when the document records another size; :func:`paint_hint_layer` paints
  them into an RGBA layer.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Sequence

import numpy as np
import torch

from .gamut import display_lightness, lab_to_rgb8, snap_chroma
from .hints import AB, Hint, check_inside, fit_hints, hint_pixels, hints_document, parse_color, read_hints_document
from .images import ImageLike, rgba_array

if TYPE_CHECKING:
    from .colorizer import Colorizer
    from .engines import Options


class Dot(NamedTuple):
    """A square to paint: top-left pixel (``x``, ``y``), ``width`` × ``height`` pixels (a
    hint's ``size`` on a side, cut at the image's edges), opaque ``rgb`` (0..255 ints)."""

    x: int
    y: int
    width: int
    height: int
    rgb: tuple[int, int, int]


def export_hints(layer: ImageLike, colorizer: Colorizer, options: Options | None = None) -> dict:
    """The hints JSON document (``image_size`` = the layer's size) of a painted RGBA ``layer``
    of the photo's size, as ``colorizer`` reads it in a call with ``options`` (default: its own;
    its engine's grid for them sets the cell size)."""
    pixels = rgba_array(layer)
    height, width = pixels.shape[:2]
    return hints_document(colorizer.painted_hints(pixels, width, height, options), (width, height))


def import_hints(document: object, name: str, width: int, height: int) -> list[Dot]:
    """Dots to paint on a ``width``×``height`` image for a parsed hints JSON ``document`` (from
    the file ``name``, for messages); scaled if it records another image size."""
    hints, saved_size = read_hints_document(document, name)
    return hint_dots(fit_hints(hints, saved_size, (width, height)), width, height)


def hint_dots(hints: Sequence[Hint], width: int, height: int) -> list[Dot]:
    """One square per hint: its ``size`` (rounded, at least 1 pixel) centred on it, in its color.

    A hint given as ``#rrggbb`` is painted in that color; one given as :class:`AB` in an sRGB
    color with that a*, b* (at the lightness nearest mid-gray where it exists; see
    :func:`hintcolor.gamut.display_lightness`), so reading the dot back gives the same chroma
    to 8-bit precision."""
    check_inside(hints, width, height)
    dots = []
    for hint, rgb in zip(hints, _paint_colors(hints)):
        rows, columns = hint_pixels(hint, width, height)
        dots.append(Dot(columns.start, rows.start, columns.stop - columns.start, rows.stop - rows.start, rgb))
    return dots


def paint_hint_layer(dots: Sequence[Dot], width: int, height: int) -> np.ndarray:
    """A transparent ``height``×``width``×4 uint8 RGBA layer with ``dots`` painted, later over earlier."""
    layer = np.zeros((height, width, 4), dtype=np.uint8)
    for dot in dots:
        layer[dot.y : dot.y + dot.height, dot.x : dot.x + dot.width] = (*dot.rgb, 255)
    return layer


def _paint_colors(hints: Sequence[Hint]) -> list[tuple[int, int, int]]:
    chromas = [hint.ab for hint in hints if isinstance(hint.color, AB)]
    shown = iter(_ab_to_rgb(torch.tensor(chromas, dtype=torch.float64)) if chromas else [])
    return [next(shown) if isinstance(hint.color, AB) else parse_color(hint.color) for hint in hints]


def _ab_to_rgb(ab: torch.Tensor) -> list[tuple[int, int, int]]:
    """8-bit sRGB colors with chromas ``ab`` (N×2), each at a lightness where it exists."""
    l = display_lightness(ab)
    return [tuple(rgb) for rgb in lab_to_rgb8(l, snap_chroma(l, ab)).tolist()]
