"""The plug-in's side of the worker: a client for it (hintcolor_requests.connect), layer pixels to send."""
from gi.repository import Gegl

import hintcolor_client as client
from hintcolor_requests import connect, hint_layer_header  # noqa: F401


def read_pixels(drawable, fmt):
    rect = Gegl.Rectangle.new(0, 0, drawable.get_width(), drawable.get_height())
    return bytes(drawable.get_buffer().get(rect, 1.0, fmt, Gegl.AbyssPolicy.NONE))


def hint_layer_request(photo, hint_layer, data=None):
    """(the worker's description of the hint layer: size, offset from the photo, painted patches;
    the payload: the patches' pixels). The layer is read whole in its own format (the fast read;
    ``data``: read already), and only its painted parts are sent (hintcolor_client.painted_patches:
    exact, even 1-pixel dots)."""
    width, height = hint_layer.get_width(), hint_layer.get_height()
    header = hint_layer_header(photo.get_offsets()[1:], hint_layer.get_offsets()[1:], (width, height))
    data = data if data is not None else read_pixels(hint_layer, "R'G'B'A u8")
    patches, chunks = client.painted_patches(data, width, height)
    if len(patches) > client.MAX_PATCHES:
        return header, [data]
    header["patches"] = patches
    return header, chunks
