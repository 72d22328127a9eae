"""Raw layer pixels as an editor sends them ↔ what :class:`Colorizer` takes and gives.

A photo layer comes as 8-bit (``"u8"``) or 32-bit float (``"float"``) samples, row-major, with
1 to 4 channels: Y' (a grayscale layer), Y'A, R'G'B' or R'G'B'A — only what the layer has, so a
layer without alpha moves no alpha and a gray one a third of the bytes. The result goes back as
R'G'B', or R'G'B'A carrying the photo's own alpha when it has one. The hint layer comes as RGBA u8
with its own size and its offset from the photo layer's top-left corner (layers in GIMP may have
any size and position on the canvas); :func:`place_hint_layer` puts it on the photo's pixel grid.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..images import quantize
from .protocol import FLOAT, RGBA, U8, layer_bytes

#: The array type of each sample format of the protocol.
DTYPES = {U8: np.uint8, FLOAT: np.float32}


def decode_layer(data: bytes | memoryview, width: int, height: int, fmt: str, channels: int = RGBA) -> np.ndarray:
    """Bytes → H×W×channels array of the format's dtype, a view of ``data`` (no copy);
    :class:`InputError` if the size does not match."""
    if len(data) != layer_bytes(width, height, fmt, channels):
        raise InputError(f"layer data has {len(data)} bytes, expected {width}×{height}×{channels} {fmt}")
    return np.frombuffer(data, dtype=DTYPES[fmt]).reshape(height, width, channels)


def split_layer(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """H×W×channels layer → (color: H×W gray or H×W×3 sRGB, alpha: H×W or None), views (no copy)."""
    color = pixels[:, :, 0] if pixels.shape[2] <= 2 else pixels[:, :, :3]
    return color, (pixels[:, :, -1] if pixels.shape[2] in (2, 4) else None)


def encode_layer(rgb: np.ndarray, alpha: np.ndarray | None, fmt: str) -> memoryview:
    """RGB (H×W×3: float 0..1, or uint8 for ``"u8"``, taken as it is) and alpha (H×W, the photo's own
    values; None: no alpha channel) → R'G'B'A or R'G'B' bytes in ``fmt`` (without alpha, a contiguous
    ``rgb`` of the format's dtype is sent as it is, not copied)."""
    rgb = quantize(rgb) if fmt == U8 else rgb
    if alpha is None:
        out = np.ascontiguousarray(rgb, dtype=DTYPES[fmt])
    else:
        out = np.empty((*rgb.shape[:2], RGBA), dtype=DTYPES[fmt])
        out[:, :, :3] = rgb
        out[:, :, 3] = alpha
    return memoryview(out).cast("B")


def place_hint_layer(hints: np.ndarray, offset: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """An RGBA hint layer (h×w×4) whose top-left is at ``offset`` (x, y) from the photo's top-left,
    cropped / padded (transparent) to the photo's ``size`` (width, height); one that matches already
    is returned as it is."""
    width, height = size
    if tuple(offset) == (0, 0) and hints.shape[:2] == (height, width):
        return hints
    placed = np.zeros((height, width, 4), dtype=hints.dtype)
    x, y = offset
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + hints.shape[1], width), min(y + hints.shape[0], height)
    if x0 < x1 and y0 < y1:
        placed[y0:y1, x0:x1] = hints[y0 - y : y1 - y, x0 - x : x1 - x]
    return placed


def unpack_patches(patches: list, data: bytes | memoryview, width: int, height: int) -> np.ndarray:
    """A ``height``×``width``×4 uint8 layer, transparent black but for ``patches`` ([x, y, w, h]
    rectangles inside it, whose RGBA u8 rows follow one another in ``data``; see
    :func:`hintcolor.worker.protocol.painted_patches`)."""
    layer = np.zeros((height, width, 4), dtype=np.uint8)
    start = 0
    for x, y, w, h in patches:
        end = start + w * h * 4
        if end > len(data):
            raise InputError(f"the hint patches need more than the {len(data)} bytes sent")
        layer[y : y + h, x : x + w] = np.frombuffer(data[start:end], dtype=np.uint8).reshape(h, w, 4)
        start = end
    if start != len(data):
        raise InputError(f"the hint patches need {start} bytes, not {len(data)}")
    return layer
