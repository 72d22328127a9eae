"""hintcolor: colorize black-and-white photos with the user-guided SIGGRAPH 2017 network.

>>> from hintcolor import Colorizer, Hint
>>> Colorizer().colorize("photo.jpg", [Hint(120, 80, "#2e7d32")]).save("out.png")

The names below are imported on first use, so ``hintcolor --help`` starts without loading PyTorch.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name → the module that defines it.
_EXPORTS = {
    "HintcolorError": "errors",
    "InputError": "errors",
    "WeightsError": "errors",
    "AB": "hints",
    "Hint": "hints",
    "hints_from_image": "hints",
    "load_hints": "hints",
    "save_hints": "hints",
    "SIGGRAPH17": "engines.model",
    "Colorizer": "colorizer",
    "working_size": "colorizer",
    "snap_ab": "gamut",
    "Suggestion": "suggest",
    "keep_freed_memory": "worker.memory",
    "release_memory": "worker.memory",
}

__all__ = [*_EXPORTS, "__version__"]

if TYPE_CHECKING:
    from .errors import HintcolorError, InputError, WeightsError
    from .hints import AB, Hint, hints_from_image, load_hints, save_hints
    from .engines.model import SIGGRAPH17
    from .colorizer import Colorizer, working_size
    from .gamut import snap_ab
    from .suggest import Suggestion
    from .worker.memory import keep_freed_memory, release_memory


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hintcolor' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
