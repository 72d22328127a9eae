"""The sRGB gamut in CIE Lab: keeping a chroma displayable at a given lightness.

A hint contributes only its a*, b*; at the photo's own L* under it that chroma may not exist in
sRGB (a bright green dot on a dark shutter: no sRGB color is that dark and that green).
:func:`snap_ab` pulls such a chroma onto the gamut's boundary at that L*, keeping its hue:
constant L*, constant hue angle, reduced chroma. Chromas already inside are unchanged.

Conventions as :mod:`hintcolor.color`: L* in 0..100, a*/b* in Lab units, D65. Points are given
as an L* tensor of any shape ``S`` and an ab tensor of shape ``S×2``; work is done in float64.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable, Sequence

import torch
from torch import Tensor

from .color import lab_to_linear_rgb, lab_to_rgb
from .hints import AB, Hint

#: Slack in linear RGB when testing membership: the D65 white of the Lab conversion maps to 1 ± 1e-4.
GAMUT_TOLERANCE = 1e-4
#: A chroma beyond every sRGB color (the most chromatic, blue-violet, is about 134).
CHROMA_BEYOND_GAMUT = 200.0
#: Points sampled along a hue ray before bisecting the last crossing of the gamut boundary (a
#: stretch of gamut shorter than 1/32 of the ray may be missed: only at the tip of a cusp).
_RAY_SAMPLES = 33
#: Bisection halvings after sampling: the boundary is found to 2e-9 of the ray's length.
_BISECTION_STEPS = 24


def in_gamut(l: Tensor, ab: Tensor, tolerance: float = GAMUT_TOLERANCE) -> Tensor:
    """Whether (L*, a*, b*) is an sRGB color, to ``tolerance`` in linear RGB: ``l`` shape S,
    ``ab`` S×2 → bool, shape S."""
    l, ab = _points(l, ab)
    rgb = _per_point(lab_to_linear_rgb, l, ab)
    return ((rgb >= -tolerance) & (rgb <= 1 + tolerance)).all(dim=-1)


def max_chroma(l: Tensor, hue: Tensor, limit: Tensor | float = CHROMA_BEYOND_GAMUT) -> Tensor:
    """The largest chroma, at most ``limit``, of an sRGB color with lightness ``l`` and hue ``hue``.

    ``l``, ``hue`` (radians, ``atan2(b*, a*)``) and ``limit`` broadcast to one shape S → float64
    chroma, shape S (Lab units; 0 at L* = 0 and L* = 100, where only gray exists). The hue ray
    is sampled from the gray axis out to ``limit`` (it may leave the gamut and touch it again,
    as near the yellow cusp), then the last crossing is refined by bisection, with no tolerance:
    the result is inside the gamut.
    """
    l, hue, limit = torch.broadcast_tensors(*(torch.as_tensor(v, dtype=torch.float64) for v in (l, hue, limit)))
    direction = torch.stack([hue.cos(), hue.sin()], dim=-1)[..., None, :]
    steps = limit[..., None] * torch.linspace(0, 1, _RAY_SAMPLES, dtype=torch.float64)
    inside = in_gamut(l[..., None].expand_as(steps), steps[..., None] * direction, tolerance=0.0)
    index = torch.arange(_RAY_SAMPLES).expand_as(inside)
    last = torch.where(inside, index, 0).max(dim=-1, keepdim=True).values  # 0: only gray (or nothing)
    low = steps.gather(-1, last)[..., 0]
    high = steps.gather(-1, (last + 1).clamp(max=_RAY_SAMPLES - 1))[..., 0]
    direction = direction[..., 0, :]
    for _ in range(_BISECTION_STEPS):
        mid = (low + high) / 2
        within = in_gamut(l, mid[..., None] * direction, tolerance=0.0)
        low, high = torch.where(within, mid, low), torch.where(within, high, mid)
    return low


def snap_chroma(l: Tensor, ab: Tensor) -> Tensor:
    """``ab`` (S×2) pulled into the sRGB gamut at lightness ``l`` (shape S), keeping the hue.

    Out-of-gamut chromas move to the gamut boundary along their hue ray (constant L*, constant
    hue angle); in-gamut ones are returned unchanged. L* is clamped to 0..100. float64, S×2.
    """
    l, ab = _points(l, ab)
    l = l.clamp(0, 100)
    outside = ~in_gamut(l, ab)
    l_out, ab_out = l[outside], ab[outside]
    chroma = ab_out.norm(dim=-1, keepdim=True)
    limit = max_chroma(l_out, torch.atan2(ab_out[:, 1], ab_out[:, 0]), chroma[:, 0])
    snapped = ab.clone()
    snapped[outside] = ab_out * (limit[:, None] / chroma)
    return snapped


def snap_ab(l: float, ab: Sequence[float]) -> AB:
    """One chroma ``ab`` = (a*, b*) pulled into the sRGB gamut at L* ``l``; see :func:`snap_chroma`."""
    a, b = snap_chroma(torch.tensor([float(l)]), torch.tensor([[float(ab[0]), float(ab[1])]]))[0].tolist()
    return AB(a, b)


def snap_hints(hints: Sequence[Hint], lightness: Sequence[float]) -> list[Hint]:
    """``hints`` with each chroma snapped into the gamut at its L* in ``lightness`` (one per hint:
    the photo's L* under it). Hints already in gamut are returned as they are; snapped ones
    carry an explicit :class:`AB`."""
    if not hints:
        return []
    ab = torch.tensor([hint.ab for hint in hints], dtype=torch.float64)
    snapped = snap_chroma(torch.tensor(lightness, dtype=torch.float64), ab)
    return [
        hint if torch.equal(new, old) else replace(hint, color=AB(*new.tolist()))
        for hint, new, old in zip(hints, snapped, ab)
    ]


def lab_to_rgb8(l: Tensor, ab: Tensor) -> Tensor:
    """8-bit sRGB (S×3 int64, clipped, rounded) of the colors (L*, a*, b*): ``l`` shape S, ``ab`` S×2."""
    l, ab = _points(l, ab)
    return (_per_point(lab_to_rgb, l, ab) * 255).round().long()


def display_lightness(ab: Tensor) -> Tensor:
    """For each chroma (N×2), an L* (a whole number, 0..100) at which it is an sRGB color: the
    one nearest 50. A chroma displayable at no L* gets the L* where its hue reaches farthest
    (snap it there). For showing a chroma given without lightness, e.g. painting a hint given as ab."""
    ab = torch.as_tensor(ab, dtype=torch.float64).reshape(-1, 2)
    grid = torch.arange(0.0, 101.0, dtype=torch.float64)[:, None].expand(-1, len(ab))
    inside = in_gamut(grid, ab[None].expand(len(grid), -1, -1))
    lightness = grid[torch.where(inside, -(grid - 50).abs(), -torch.inf).argmax(dim=0), 0]
    nowhere = ~inside.any(dim=0)
    if nowhere.any():
        hue = torch.atan2(ab[nowhere, 1], ab[nowhere, 0])
        lightness[nowhere] = grid[max_chroma(grid[:, : len(hue)], hue[None]).argmax(dim=0), 0]
    return lightness


def _points(l: Tensor, ab: Tensor) -> tuple[Tensor, Tensor]:
    l, ab = torch.as_tensor(l, dtype=torch.float64), torch.as_tensor(ab, dtype=torch.float64)
    if ab.shape != (*l.shape, 2):
        raise ValueError(f"ab must have shape {(*l.shape, 2)} for L* of shape {tuple(l.shape)}, got {tuple(ab.shape)}")
    return l, ab


def _per_point(convert: Callable[[Tensor], Tensor], l: Tensor, ab: Tensor) -> Tensor:
    """A :mod:`hintcolor.color` Lab conversion (channels on dim −3) applied to points: S, S×2 → S×3."""
    lab = torch.cat([l[..., None], ab], dim=-1).reshape(-1, 3).T[:, None, :]  # 3×1×N
    return convert(lab)[:, 0, :].T.reshape(*l.shape, 3)
