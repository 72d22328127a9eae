"""The interface every engine has (:class:`Engine`) and the options of one call (:class:`Options`)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal, Sequence

if TYPE_CHECKING:
    import numpy as np
    import torch

    from ..hints import Hint

Resize = Literal["aspect", "squash"]


@dataclass(frozen=True)
class Known:
    """Colors known before an engine runs: the context of a region run (:meth:`hintcolor.Colorizer.region_array`),
    the whole-photo result's chroma in the ring around the region.

    ``ab``: 2×H×W float32 (Lab units) and ``mask``: H×W bool (True where known), both at the full
    resolution of the part of the photo the engine colorizes; ``photo_size``: (width, height) of
    the whole photo that part is cut from. Each engine takes them on its own grid (:meth:`on_grid`)
    as it takes hints: the network as hints in every cell of its grid that is wholly known, the
    propagation engine as fixed values there (boundary values of its solve), which it spreads as far
    through the photo as its whole-photo run does (its coarsest level at the same scale of the photo).
    """

    ab: torch.Tensor
    mask: torch.Tensor
    photo_size: tuple[int, int]

    def on_grid(self, size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        """(ab 2×h×w float32, mask 1×h×w float32: 1 in the cells wholly known) on a grid of ``size`` =
        (w, h): each cell's mean of the known ab (area resampling), kept only where all its pixels are known."""
        import torch.nn.functional as F

        w, h = size
        weight = F.adaptive_avg_pool2d(self.mask[None, None].float(), (h, w))[0]
        total = F.adaptive_avg_pool2d((self.ab * self.mask).float()[None], (h, w))[0]
        whole = (weight > 1 - 1e-6).float()
        return total / weight.clamp(min=1e-6) * whole, whole


@dataclass(frozen=True)
class Options:
    """How one call colorizes (per call; a :class:`~hintcolor.Colorizer`'s attributes give the defaults).

    ``work_size``: short side of the network's working grid; ``resize``: how the photo is fitted to
    it (``"aspect"`` or ``"squash"``); ``snap_hints``: pull each hint's chroma into the sRGB gamut
    at the photo's L* under it; ``preview``: a fast, coarse result for a live preview (an engine may
    then work on a coarser grid, :meth:`Engine.grid`).
    """

    work_size: int = 256
    resize: Resize = "aspect"
    snap_hints: bool = True
    preview: bool = False


def hint_planes(hints: Sequence[Hint], image_size: tuple[int, int], grid: tuple[int, int],
                known: Known | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The hints an engine takes on its ``grid`` = (w, h): ``hints`` (photo pixel coordinates of a photo
    of ``image_size``) encoded as :func:`hintcolor.hints.encode_hints` does, and the cells ``known``
    wholly covers (:meth:`Known.on_grid`) with its ab where no hint is. Returns ab (2×h×w float32,
    Lab units) and mask (1×h×w float32, 1 where hinted or known)."""
    from ..hints import encode_hints

    ab, mask = encode_hints(list(hints), image_size, grid)
    if known is None:
        return ab, mask
    known_ab, known_mask = known.on_grid(grid)
    free = known_mask * (1 - mask)
    return ab + known_ab * free, mask + free


class Engine(ABC):
    """One way of finding a photo's colors. Subclasses say what they can do and predict a*, b*.

    A colorization with an engine: :meth:`grid` gives the grid it works on (hints painted on a
    layer are read in cells of that grid); :meth:`lightness` the L* it reads; :meth:`predict_ab`
    the chroma, which :mod:`hintcolor.fullres` enlarges (bilinear) to the photo's size and joins
    with the photo's own L*.
    """

    #: The engine's name, as ``Colorizer(engine=...)``, ``--engine`` and the worker's ``engine`` option say it.
    name: ClassVar[str]
    #: What the engine is, in a few words for people ("network (SIGGRAPH 2017)").
    label: ClassVar[str]
    #: Whether it needs at least one hint (it has no colors of its own).
    needs_hints: ClassVar[bool]
    #: Whether it can suggest colors at a point (:meth:`distribution`).
    can_suggest: ClassVar[bool]
    #: Whether :meth:`lightness` is the photo's own L* at full resolution (composing then reuses it).
    full_lightness: ClassVar[bool]
    #: The progress stage shown while it predicts.
    stage: ClassVar[str]
    #: The options it reads, of those a Colorizer or the worker takes for the network
    #: (``device``, ``precision``, ``work_size``, ``resize``); the others do not change its result.
    uses: ClassVar[frozenset[str]]

    def __init__(self, device: torch.device, dtype: torch.dtype) -> None:
        self.device, self.dtype = device, dtype

    @abstractmethod
    def grid(self, width: int, height: int, options: Options) -> tuple[int, int]:
        """(width, height) of the grid the engine works on for a ``width``×``height`` photo; with
        ``options.preview``, the grid of a fast preview (coarser, or the same)."""

    @abstractmethod
    def lightness(self, image: np.ndarray, grid: tuple[int, int]) -> torch.Tensor:
        """The L* (0..100, 1×1×h×w float32) the engine reads from ``image`` (H×W gray or H×W×3 sRGB,
        uint8 or float 0..1) to work on ``grid``: the photo resized to the grid, or (with
        :attr:`full_lightness`) the photo's own L* at full resolution."""

    @abstractmethod
    def predict_ab(self, l: torch.Tensor, hints: Sequence[Hint], image_size: tuple[int, int],
                   grid: tuple[int, int] | None = None, known: Known | None = None) -> torch.Tensor:
        """a*, b* (1×2×h×w float32 on the CPU, Lab units) for ``l`` (from :meth:`lightness`, or the
        photo's L* resized to ``grid``, :func:`hintcolor.fullres.working_lightness`: then of the
        grid's size for every engine) and ``hints`` in the pixel coordinates of a photo of
        ``image_size`` = (width, height), worked out on ``grid`` (default: the size of ``l``), with
        the colors ``known`` already (or None) taken as hints in the cells of that grid they wholly
        cover (:meth:`Known.on_grid`)."""

    def distribution(self, l: torch.Tensor, hints: Sequence[Hint], image_size: tuple[int, int]) -> torch.Tensor:
        """The likely colors on the grid of ``l`` (for :mod:`hintcolor.suggest`): probabilities over
        the 529 ab bins, 529×(h/4)×(w/4) float64 on the CPU. Only engines that :attr:`can_suggest` have it."""
        raise NotImplementedError(f"the {self.name} engine does not suggest colors")
