"""hintcolor: colorize black-and-white photos with the user-guided SIGGRAPH 2017 network.

>>> from hintcolor import Colorizer, Hint
>>> Colorizer().colorize("photo.jpg", [Hint(120, 80, "#2e7d32")]).save("out.png")
"""
from .errors import HintcolorError, InputError, WeightsError
from .gamut import snap_ab
from .hints import AB, Hint, hints_from_image, load_hints, save_hints
from .model import SIGGRAPH17
from .pipeline import Colorizer, working_size
from .suggest import Suggestion

__version__ = "0.1.0"

__all__ = [
    "AB",
    "Colorizer",
    "Hint",
    "HintcolorError",
    "InputError",
    "SIGGRAPH17",
    "Suggestion",
    "WeightsError",
    "hints_from_image",
    "load_hints",
    "save_hints",
    "snap_ab",
    "working_size",
    "__version__",
]
