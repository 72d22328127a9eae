"""sRGB ↔ CIE Lab (D65) as pure functions on tensors.

Conventions (the same as ``skimage.color`` and the released siggraph17 code):

- RGB: gamma-encoded sRGB, float, 0..1, channels on dimension -3 (``*×3×H×W``).
- Lab: CIE L*a*b* with the D65 white point; L* in 0..100, a* and b* in Lab units
  (about -110..110 for sRGB colors), channels on dimension -3.
"""
from __future__ import annotations

import torch
from torch import Tensor

# sRGB (linear) → XYZ, D65; rows give X, Y, Z. Same matrix as skimage.color.
_XYZ_FROM_RGB = torch.tensor(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]],
    dtype=torch.float64,
)
_RGB_FROM_XYZ = torch.linalg.inv(_XYZ_FROM_RGB)
_WHITE_D65 = (0.95047, 1.0, 1.08883)
_EPSILON = 0.008856  # (6/29)**3 as rounded by skimage
_KAPPA = 7.787


def _srgb_to_linear(rgb: Tensor) -> Tensor:
    return torch.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)


def _linear_to_srgb(linear: Tensor) -> Tensor:
    return torch.where(linear > 0.0031308, 1.055 * linear.clamp(min=0.0031308) ** (1 / 2.4) - 0.055, linear * 12.92)


def _f(t: Tensor) -> Tensor:
    return torch.where(t > _EPSILON, t.clamp(min=_EPSILON) ** (1 / 3), _KAPPA * t + 16 / 116)


def _f_inv(t: Tensor) -> Tensor:
    return torch.where(t > 0.2068966, t**3, (t - 16 / 116) / _KAPPA)


def _mix(matrix: Tensor, x: Tensor) -> Tensor:
    """Apply a 3×3 matrix to the channels (dim -3) of ``x``."""
    return torch.einsum("ij,...jhw->...ihw", matrix.to(x), x)


def rgb_to_lab(rgb: Tensor) -> Tensor:
    """sRGB (0..1, ``*×3×H×W``) → Lab (L* 0..100, a*/b* Lab units), same shape and dtype."""
    xyz = _mix(_XYZ_FROM_RGB, _srgb_to_linear(rgb))
    fx, fy, fz = (_f(xyz[..., i : i + 1, :, :] / _WHITE_D65[i]) for i in range(3))
    return torch.cat([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], dim=-3)


def rgb_to_l(rgb: Tensor) -> Tensor:
    """sRGB (0..1, ``*×3×H×W``) → L* (0..100, ``*×1×H×W``); cheaper than :func:`rgb_to_lab`."""
    y = _mix(_XYZ_FROM_RGB[1:2], _srgb_to_linear(rgb))
    return 116 * _f(y) - 16


def gray_to_l(gray: Tensor) -> Tensor:
    """Gamma-encoded gray (0..1, any shape; R = G = B) → L* (0..100), same shape."""
    return 116 * _f(_srgb_to_linear(gray)) - 16


def lab_to_linear_rgb(lab: Tensor) -> Tensor:
    """Lab (``*×3×H×W``) → linear sRGB, not clipped: a channel outside 0..1 means the color lies
    outside the sRGB gamut."""
    l, a, b = lab[..., 0:1, :, :], lab[..., 1:2, :, :], lab[..., 2:3, :, :]
    fy = (l + 16) / 116
    fx, fz = fy + a / 500, (fy - b / 200).clamp(min=0)
    xyz = torch.cat([_f_inv(fx) * _WHITE_D65[0], _f_inv(fy) * _WHITE_D65[1], _f_inv(fz) * _WHITE_D65[2]], dim=-3)
    return _mix(_RGB_FROM_XYZ, xyz)


def lab_to_rgb(lab: Tensor) -> Tensor:
    """Lab (``*×3×H×W``) → sRGB clipped to 0..1, as ``skimage.color.lab2rgb``."""
    return _linear_to_srgb(lab_to_linear_rgb(lab)).clamp(0, 1)
