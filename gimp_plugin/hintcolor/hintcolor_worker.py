"""The plug-in's side of the worker: a client for it (hintcolor_requests.connect), layer pixels to send."""
from gi.repository import Gegl

from hintcolor_requests import connect  # noqa: F401


def read_pixels(drawable, fmt):
    rect = Gegl.Rectangle.new(0, 0, drawable.get_width(), drawable.get_height())
    return bytes(drawable.get_buffer().get(rect, 1.0, fmt, Gegl.AbyssPolicy.NONE))
