"""Color hints: points given by the user, painted hint images, the JSON file format, and their
encoding into the network's ab / mask planes.

Coordinates are full-resolution pixel coordinates of the displayed image (after EXIF
orientation): ``x`` to the right, ``y`` down, pixel ``(0, 0)`` is the top-left pixel. A hint's
``size`` is the side, in full-resolution pixels, of the square it covers.
"""
from __future__ import annotations

import functools
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Sequence, Union

import numpy as np

from .errors import InputError
from .images import unit_float

if TYPE_CHECKING:
    import torch

HINTS_FORMAT = "hintcolor.hints"
HINTS_VERSION = 1


class AB(NamedTuple):
    """An explicit Lab chroma: a* and b* in Lab units (about -110..110)."""

    a: float
    b: float


Color = Union[str, Sequence[int], AB]
_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


def parse_color(color: Color) -> tuple[int, int, int] | AB:
    """``"#rrggbb"``/``"#rgb"`` or an (r, g, b) of 0..255 ints → (r, g, b); an :class:`AB` unchanged."""
    if isinstance(color, AB):
        return AB(float(color.a), float(color.b))
    if isinstance(color, str):
        match = _HEX.match(color.strip())
        if not match:
            raise InputError(f"color {color!r} is not #rrggbb (e.g. #2e7d32)")
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
    rgb = tuple(color)
    if len(rgb) != 3 or not all(isinstance(c, (int, np.integer)) and 0 <= c <= 255 for c in rgb):
        raise InputError(f"color {color!r} is not an (r, g, b) triple of integers 0..255")
    return tuple(int(c) for c in rgb)  # type: ignore[return-value]


def rgb_to_ab(rgb: np.ndarray) -> np.ndarray:
    """sRGB colors (N×3, float 0..1) → their Lab a*, b* (N×2, float32), in float32 even where the
    caller runs under autocast (a hint's chroma is first needed while the network runs)."""
    import torch  # imported here so that parsing command-line arguments does not load it

    from .color import rgb_to_lab

    planes = torch.as_tensor(np.asarray(rgb, dtype=np.float32).T[:, :, None])  # 3×N×1
    with torch.autocast("cpu", enabled=False):
        return rgb_to_lab(planes)[1:, :, 0].T.numpy()


@dataclass(frozen=True)
class Hint:
    """A user's color hint: "around (x, y) the color is ``color``".

    ``color`` is ``"#rrggbb"``, an (r, g, b) tuple of 0..255 ints, or :class:`AB` for explicit
    Lab a*/b*. Only the chroma counts (the photo keeps its own lightness): ``ab`` holds it.
    ``size`` is the side of the hinted square in full-resolution pixels; it always covers at
    least one pixel of the network's working grid, so a tiny dot on a huge photo still counts.
    """

    x: float
    y: float
    color: Color
    size: float = 1.0

    def __post_init__(self) -> None:
        parsed = parse_color(self.color)
        if not (math.isfinite(self.x) and math.isfinite(self.y)):
            raise InputError(f"hint position ({self.x}, {self.y}) is not a finite number")
        if not (self.size > 0 and math.isfinite(self.size)):
            raise InputError(f"hint size {self.size} must be a positive number of pixels")
        if not isinstance(parsed, AB):
            object.__setattr__(self, "color", "#{:02x}{:02x}{:02x}".format(*parsed))

    @functools.cached_property
    def ab(self) -> AB:
        """The hint's chroma, Lab a*, b* (computed on first use: a hint is made and checked without PyTorch)."""
        parsed = parse_color(self.color)
        if isinstance(parsed, AB):
            return parsed
        return AB(*(float(v) for v in rgb_to_ab(np.array([parsed]) / 255.0)[0]))

    @classmethod
    def parse(cls, text: str) -> "Hint":
        """``"X,Y,COLOR[,SIZE]"`` as on the command line, e.g. ``"120,80,#2e7d32,5"``."""
        parts = [p.strip() for p in text.split(",")]
        if len(parts) not in (3, 4):
            raise InputError(f"hint {text!r} is not X,Y,COLOR[,SIZE] (e.g. 120,80,#2e7d32,5)")
        try:
            x, y = float(parts[0]), float(parts[1])
            size = float(parts[3]) if len(parts) == 4 else 1.0
        except ValueError:
            raise InputError(f"hint {text!r}: X, Y and SIZE must be numbers (e.g. 120,80,#2e7d32,5)") from None
        return cls(x, y, parts[2], size)

    def scaled(self, sx: float, sy: float) -> "Hint":
        """The same hint on an image resized by ``sx`` × ``sy`` (pixel centres map onto pixel centres)."""
        return Hint((self.x + 0.5) * sx - 0.5, (self.y + 0.5) * sy - 0.5, self.color, self.size * max(sx, sy))

    def to_json(self) -> dict:
        color = {"ab": [self.ab.a, self.ab.b]} if isinstance(self.color, AB) else {"color": self.color}
        return {"x": self.x, "y": self.y, **color, "size": self.size}

    @classmethod
    def from_json(cls, item: dict) -> "Hint":
        color = AB(*item["ab"]) if "ab" in item else item["color"]
        return cls(float(item["x"]), float(item["y"]), color, float(item.get("size", 1.0)))


def hints_from_image(image: np.ndarray, cell: int = 1) -> list[Hint]:
    """Hints painted on a transparent RGBA layer of the photo's canvas.

    ``image``: H×W×4, uint8 / uint16 / float (0..1). Every pixel with alpha > 0 is paint. The
    canvas is cut into ``cell``×``cell`` squares; each square holding paint becomes one hint at
    the alpha-weighted centroid of its painted pixels, whose ab is the alpha-weighted mean of
    their ab (the RGB of transparent pixels never enters, so soft brush edges do not dilute the
    color), and whose size is the extent of the paint in that square. Choose ``cell`` as the
    number of full-resolution pixels per pixel of the network's working grid (the Colorizer does).
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 4:
        raise InputError(f"hint image must be RGBA (H×W×4), got shape {image.shape}")
    rows = np.flatnonzero(image[:, :, 3].any(axis=1))  # a few dots on a big layer: look only where they are
    ys, xs = np.nonzero(image[rows, :, 3])
    ys = rows[ys]
    if len(xs) == 0:
        return []
    painted = unit_float(image[ys, xs])
    weight = painted[:, 3].astype(np.float64)
    ab = rgb_to_ab(painted[:, :3]).astype(np.float64)
    columns = -(-image.shape[1] // cell)
    cells, group = np.unique((ys // cell) * columns + xs // cell, return_inverse=True)

    def weighted_mean(values: np.ndarray) -> np.ndarray:
        return np.bincount(group, weight * values) / np.bincount(group, weight)

    extent = np.zeros((len(cells), 2))
    for axis, coords in enumerate((xs, ys)):
        low = np.full(len(cells), np.inf)
        high = np.full(len(cells), -np.inf)
        np.minimum.at(low, group, coords)
        np.maximum.at(high, group, coords)
        extent[:, axis] = high - low + 1
    centers = zip(weighted_mean(xs), weighted_mean(ys), weighted_mean(ab[:, 0]), weighted_mean(ab[:, 1]))
    return [Hint(float(x), float(y), AB(float(a), float(b)), float(s)) for (x, y, a, b), s in zip(centers, extent.max(1))]


def check_inside(hints: Sequence[Hint], width: int, height: int) -> None:
    """:class:`InputError` for the first hint outside a ``width``×``height`` image."""
    for hint in hints:
        if not (-0.5 <= hint.x < width - 0.5 and -0.5 <= hint.y < height - 0.5):
            raise InputError(f"hint at ({hint.x:g}, {hint.y:g}) lies outside the {width}×{height} image")


def encode_hints(
    hints: Sequence[Hint], image_size: tuple[int, int], work_size: tuple[int, int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Hint planes for the network at its working size.

    ``image_size`` and ``work_size`` are (width, height). Each hint becomes a square patch
    (as in training: small squares of one mean color) centred on the working pixel that holds
    the hint's position, ``max(1, round(size × scale))`` working pixels on a side. Where patches
    overlap, their ab are averaged. Returns ``ab`` (2×h×w float32, Lab units, 0 where no hint)
    and ``mask`` (1×h×w float32, 1 where hinted, 0 elsewhere).
    """
    import torch

    (width, height), (w, h) = image_size, work_size
    check_inside(hints, width, height)
    total = torch.zeros(2, h, w)
    count = torch.zeros(1, h, w)
    sx, sy = w / width, h / height
    for hint in hints:
        x0, x1 = _patch((hint.x + 0.5) * sx, hint.size * sx, w)
        y0, y1 = _patch((hint.y + 0.5) * sy, hint.size * sy, h)
        total[:, y0:y1, x0:x1] += torch.tensor(hint.ab).view(2, 1, 1)
        count[:, y0:y1, x0:x1] += 1
    mask = (count > 0).float()
    return total / count.clamp(min=1), mask


def hint_pixels(hint: Hint, width: int, height: int) -> tuple[slice, slice]:
    """(rows, columns) of the square a hint covers on a ``width``×``height`` image: ``size`` ×
    ``size`` pixels (rounded, at least one) centred on its position, shifted to lie inside."""
    x0, x1 = _patch(hint.x + 0.5, hint.size, width)
    y0, y1 = _patch(hint.y + 0.5, hint.size, height)
    return slice(y0, y1), slice(x0, x1)


def _patch(center: float, side: float, limit: int) -> tuple[int, int]:
    """[start, stop) of the run of ``max(1, round(side))`` working pixels centred nearest to the
    continuous coordinate ``center``, shifted to lie inside ``0..limit``."""
    n = min(max(1, round(side)), limit)
    start = min(max(math.floor(center - n / 2 + 0.5), 0), limit - n)
    return start, start + n


def fit_hints(hints: Sequence[Hint], saved_size: tuple[int, int] | None, image_size: tuple[int, int]) -> list[Hint]:
    """Hints saved for an image of ``saved_size`` (width, height; None: this image) placed on an
    image of ``image_size``: scaled when the sizes differ (hints picked on a preview)."""
    if not saved_size or tuple(saved_size) == tuple(image_size):
        return list(hints)
    sx, sy = image_size[0] / saved_size[0], image_size[1] / saved_size[1]
    return [hint.scaled(sx, sy) for hint in hints]


def hints_document(hints: Sequence[Hint], image_size: tuple[int, int] | None = None) -> dict:
    """The hints file's JSON document (a dict ready for ``json.dumps``) for ``hints`` given in the
    coordinates of an image of ``image_size`` (width, height; None: unknown)."""
    return {
        "format": HINTS_FORMAT,
        "version": HINTS_VERSION,
        "image_size": list(image_size) if image_size else None,
        "hints": [hint.to_json() for hint in hints],
    }


def read_hints_document(document: object, name: str) -> tuple[list[Hint], tuple[int, int] | None]:
    """(hints, image_size as (width, height) or None) from a parsed hints JSON document;
    :class:`InputError` naming ``name`` (the file it came from) if it is not one."""
    if not isinstance(document, dict) or document.get("format") != HINTS_FORMAT:
        raise InputError(f"{name} is not a hintcolor hints file (no \"format\": \"{HINTS_FORMAT}\")")
    if document.get("version") != HINTS_VERSION:
        raise InputError(
            f"hints file {name} has version {document.get('version')!r}; this hintcolor reads version "
            f"{HINTS_VERSION}: upgrade hintcolor"
        )
    try:
        hints = [Hint.from_json(item) for item in document["hints"]]
        size = document.get("image_size")
        return hints, (int(size[0]), int(size[1])) if size else None
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise InputError(f"hints file {name} has a malformed hint ({type(e).__name__}: {e})") from e


def save_hints(path: str | os.PathLike, hints: Sequence[Hint], image_size: tuple[int, int] | None = None) -> None:
    """Write hints as versioned JSON (atomically: a temporary file, then a rename)."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(hints_document(hints, image_size), indent=1) + "\n")
    os.replace(temporary, path)


def load_hints(path: str | os.PathLike) -> tuple[list[Hint], tuple[int, int] | None]:
    """Read a hints JSON file: (hints, image_size as (width, height) or None)."""
    path = Path(path)
    try:
        document = json.loads(path.read_text())
    except OSError as e:
        raise InputError(f"cannot read hints file {path}: {e.strerror or e}") from e
    except ValueError as e:
        raise InputError(f"hints file {path} is not valid JSON ({e})") from e
    return read_hints_document(document, str(path))
