"""The plug-in's side of the worker: a client for it (hintcolor_requests.connect), layer pixels to send."""
from gi.repository import Gegl

import hintcolor_protocol as protocol
from hintcolor_requests import connect  # noqa: F401


def read_pixels(drawable, fmt, rect=None):
    """The drawable's pixels in babl format ``fmt`` (bytes, row-major): all, or those of ``rect`` [x, y, w, h]."""
    rect = Gegl.Rectangle.new(*(rect or (0, 0, drawable.get_width(), drawable.get_height())))
    return bytes(drawable.get_buffer().get(rect, 1.0, fmt, Gegl.AbyssPolicy.NONE))


def hint_layer_request(photo, hint_layer, data=None):
    """(the worker's description of the hint layer, the payload: its painted patches), see
    hintcolor_protocol.hint_layer_request. The layer is read whole in R'G'B'A u8 (GEGL's fast read;
    ``data``: read already)."""
    data = data if data is not None else read_pixels(hint_layer, "R'G'B'A u8")
    return protocol.hint_layer_request(photo.get_offsets()[1:], hint_layer.get_offsets()[1:],
                                       (hint_layer.get_width(), hint_layer.get_height()), data)


def result_babl(reply, photo_babl):
    """The babl format of the worker's result: R'G'B'A (the photo's alpha) or R'G'B', in the sample
    type of ``photo_babl``, the format the photo was sent in."""
    return ("R'G'B'A" if protocol.result_has_alpha(reply) else "R'G'B'") + photo_babl[photo_babl.index(" "):]
