"""Raw layer pixels as an editor sends them ↔ what :class:`Colorizer` takes and gives.

A photo layer comes as RGBA, 8-bit (``"u8"``) or 32-bit float (``"float"``), row-major. The hint
layer comes as RGBA u8 with its own size and its offset from the photo layer's top-left corner
(layers in GIMP may have any size and position on the canvas); :func:`place_hint_layer` puts it
on the photo's pixel grid.
"""
from __future__ import annotations

import numpy as np

from .errors import InputError
from .images import quantize

FORMATS = {"u8": np.uint8, "float": np.float32}


def layer_bytes(width: int, height: int, fmt: str) -> int:
    """Size in bytes of a ``width``×``height`` RGBA layer in ``fmt``."""
    if fmt not in FORMATS:
        raise InputError(f"pixel format {fmt!r} is not one of {sorted(FORMATS)}")
    return width * height * 4 * np.dtype(FORMATS[fmt]).itemsize


def decode_layer(data: bytes, width: int, height: int, fmt: str) -> np.ndarray:
    """Bytes → H×W×4 array of the format's dtype; :class:`InputError` if the size does not match."""
    if len(data) != layer_bytes(width, height, fmt):
        raise InputError(f"layer data has {len(data)} bytes, expected {width}×{height} RGBA {fmt}")
    return np.frombuffer(data, dtype=FORMATS[fmt]).reshape(height, width, 4)


def encode_layer(rgb: np.ndarray, alpha: np.ndarray, fmt: str) -> bytes:
    """RGB (H×W×3: float 0..1, or uint8 for ``"u8"``, taken as it is) and alpha (H×W, the photo's own
    values) → RGBA bytes in ``fmt``."""
    out = np.empty((*rgb.shape[:2], 4), dtype=FORMATS[fmt])
    out[:, :, :3] = quantize(rgb) if fmt == "u8" else rgb
    out[:, :, 3] = alpha
    return out.tobytes()


def place_hint_layer(hints: np.ndarray, offset: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """An RGBA hint layer (h×w×4) whose top-left is at ``offset`` (x, y) from the photo's top-left,
    cropped / padded (transparent) to the photo's ``size`` (width, height)."""
    width, height = size
    placed = np.zeros((height, width, 4), dtype=hints.dtype)
    x, y = offset
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + hints.shape[1], width), min(y + hints.shape[0], height)
    if x0 < x1 and y0 < y1:
        placed[y0:y1, x0:x1] = hints[y0 - y : y1 - y, x0 - x : x1 - x]
    return placed
