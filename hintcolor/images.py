"""Reading images of any Pillow mode into float pixels, and writing results safely."""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InputError

if TYPE_CHECKING:
    import torch

ImageLike = Union[Image.Image, np.ndarray, str, os.PathLike]

_SIXTEEN_BIT = {"I;16", "I;16B", "I;16L", "I;16N", "I"}
_GRAY = {"1", "L", "LA", "La"} | _SIXTEEN_BIT


@dataclass
class Pixels:
    """An image: ``color`` H×W (gray) or H×W×3 (sRGB); ``alpha`` H×W or None. uint8 (0..255) for
    8-bit sources, so they reach :mod:`hintcolor.fullres` as integers; float32 (0..1) otherwise."""

    color: np.ndarray
    alpha: np.ndarray | None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return self.color.shape[1], self.color.shape[0]


def open_image(path: str | os.PathLike) -> Image.Image:
    """Open an image file, upright (EXIF orientation applied); :class:`InputError` if unreadable."""
    try:
        with Image.open(path) as image:
            image.load()
            return ImageOps.exif_transpose(image)
    except FileNotFoundError:
        raise InputError(f"input {path} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"input {path} is a folder; give image files, or a folder with -o FOLDER") from None
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise InputError(f"cannot read {path} as an image ({e})") from None


def to_pixels(image: ImageLike) -> Pixels:
    """Any Pillow image (L, LA, I;16, RGB, RGBA, P, CMYK, …), an image file, or an array → :class:`Pixels`.

    Arrays: H×W, H×W×1, H×W×2 (gray + alpha), H×W×3 or H×W×4; uint8 (0..255), uint16 (0..65535)
    or float (0..1). 8-bit stays uint8; anything else becomes float32.
    """
    if isinstance(image, (str, os.PathLike)):
        image = open_image(image)
    if isinstance(image, Image.Image):
        return _pil_to_pixels(image)
    return _array_to_pixels(np.asarray(image))


def carried_info(image: Image.Image) -> dict:
    """What a result should keep of its source's metadata: ICC profile and DPI."""
    return {key: image.info[key] for key in ("icc_profile", "dpi") if key in image.info}


def _pil_to_pixels(image: Image.Image) -> Pixels:
    mode = image.mode
    has_alpha = "A" in mode or "a" in mode or (mode == "P" and "transparency" in image.info)
    if mode in _SIXTEEN_BIT:
        gray = np.clip(np.asarray(image, dtype=np.float32) / 65535, 0, 1)
        return Pixels(gray, None)
    if mode not in _GRAY:
        image = image.convert("RGBA" if has_alpha else "RGB")
    elif mode != "L":
        image = image.convert("LA" if has_alpha else "L")
    return _array_to_pixels(np.asarray(image))


def _array_to_pixels(array: np.ndarray) -> Pixels:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (2, 3, 4)) or min(array.shape[:2]) < 1:
        raise InputError(f"image array must be H×W, H×W×2, H×W×3 or H×W×4, got shape {array.shape}")
    pixels = array if array.dtype == np.uint8 else unit_float(array)
    if pixels.ndim == 3 and pixels.shape[2] in (2, 4):
        return Pixels(pixels[:, :, :-1].squeeze(2) if pixels.shape[2] == 2 else pixels[:, :, :3], pixels[:, :, -1])
    return Pixels(pixels, None)


def unit_float(array: np.ndarray) -> np.ndarray:
    """uint8 (0..255), uint16 (0..65535) or float / bool array → float32 in 0..1, same shape."""
    import torch  # here, not at the top: the command line reads images before it needs torch

    scale = {np.dtype(np.uint8): 255, np.dtype(np.uint16): 65535}.get(array.dtype)
    if scale is not None:  # torch converts on all cores
        integers = np.ascontiguousarray(array if scale == 255 else array.astype(np.int32))
        return read_only_tensor(integers).to(torch.float32).div_(scale).numpy()
    if array.dtype.kind not in "fb":
        raise InputError(f"image array dtype {array.dtype} is not supported; use uint8, uint16 or float in 0..1")
    return np.clip(np.nan_to_num(array.astype(np.float32)), 0, 1)


def gray_if_equal(image: np.ndarray) -> np.ndarray:
    """H×W×3 whose three channels are equal (a black-and-white photo in an RGB file or layer) → its
    first channel, H×W (a view); anything else is returned as it is. A gray image then gives the same
    result however it is stored, by the faster one-channel path."""
    if image.ndim != 3 or image.shape[2] != 3:
        return image
    red = image[:, :, 0]
    first_row = image[:1]
    if not ((first_row[..., 1] == first_row[..., 0]).all() and (first_row[..., 2] == first_row[..., 0]).all()):
        return image  # a color photo, seen on its first row
    return red if np.array_equal(image[:, :, 1], red) and np.array_equal(image[:, :, 2], red) else image


def read_only_tensor(array: np.ndarray) -> torch.Tensor:
    """A tensor sharing ``array``'s memory, for reading only (no copy even if the array is read-only)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        import torch

        return torch.from_numpy(array)


def quantize(rgb: np.ndarray) -> np.ndarray:
    """Float (0..1, any shape) → uint8 (0..255), rounded; uint8 is returned as it is."""
    import torch

    if rgb.dtype == np.uint8:
        return rgb
    return torch.from_numpy(np.ascontiguousarray(rgb, dtype=np.float32)).mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8).numpy()


def to_pil(rgb: np.ndarray, alpha: np.ndarray | None = None) -> Image.Image:
    """sRGB (H×W×3, float 0..1 or uint8) and optional alpha (H×W, likewise) → 8-bit RGB or RGBA Pillow image."""
    planes = quantize(rgb) if alpha is None else np.dstack([quantize(rgb), quantize(alpha)])
    return Image.fromarray(planes)


def rgba_array(image: ImageLike) -> np.ndarray:
    """A hint image (path, Pillow image with transparency, or H×W×4 array) → H×W×4 array, not converted
    to float (painted pixels are few: only they are converted, later)."""
    if isinstance(image, (str, os.PathLike)):
        image = open_image(image)
    if isinstance(image, Image.Image):
        if not ("A" in image.mode or "a" in image.mode or "transparency" in image.info):
            raise InputError("hint image has no transparency; paint hints on a transparent layer (RGBA)")
        image = image.convert("RGBA")
    array = np.asarray(image)
    if array.ndim != 3 or array.shape[2] != 4:
        raise InputError(f"hint image must be RGBA (H×W×4, transparent where nothing is painted), got shape {array.shape}")
    return array


def save_image(image: Image.Image, path: Path, info: dict | None = None) -> None:
    """Save atomically (temporary file in the same folder, then rename): never a half-written file.

    Formats without alpha (JPEG) get the image flattened on white; ``info`` carries the input's
    ICC profile and DPI over. JPEG and WebP are written at quality 95, PNG with fast compression.
    """
    path = Path(path)
    try:
        fmt = Image.registered_extensions()[path.suffix.lower()]
    except KeyError:
        raise InputError(f"output {path}: unknown image extension {path.suffix!r}; use .png, .jpg, .tif or .webp") from None
    if image.mode == "RGBA" and fmt in ("JPEG", "BMP", "PPM"):
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    options = dict(info or {})
    if fmt in ("JPEG", "WEBP"):
        options.setdefault("quality", 95)
    if fmt == "PNG":  # 3× faster than Pillow's default level for ~15% larger files
        options.setdefault("compress_level", 1)
    temporary = path.with_name(f".{path.name}.part")
    try:
        image.save(temporary, format=fmt, **options)
        os.replace(temporary, path)
    except OSError as e:
        temporary.unlink(missing_ok=True)
        raise InputError(f"cannot write {path}: {e.strerror or e}") from e
