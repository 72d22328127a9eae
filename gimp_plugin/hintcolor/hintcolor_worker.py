"""The plug-in's side of the worker: the set-up install.py recorded, a client for it, layer pixels to send."""
import json
import os

from gi.repository import Gegl

import hintcolor_client as client

CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hintcolor.json")


def load_config():
    """What install.py recorded: the hintcolor environment's Python, weights, version, state folder."""
    try:
        with open(CONFIG) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def connect():
    """A WorkerClient for the worker install.py configured (started on demand)."""
    config = load_config()
    return client.WorkerClient(python=config.get("python"), folder=config.get("state_dir"),
                               version=config.get("version"),
                               serve_args=["--weights", config["weights"]] if config.get("weights") else [])


def read_pixels(drawable, fmt):
    rect = Gegl.Rectangle.new(0, 0, drawable.get_width(), drawable.get_height())
    return bytes(drawable.get_buffer().get(rect, 1.0, fmt, Gegl.AbyssPolicy.NONE))


def hint_layer_request(photo, hint_layer, data=None):
    """(the worker's description of the hint layer: size, offset from the photo, painted patches;
    the payload: the patches' pixels). The layer is read whole in its own format (the fast read;
    ``data``: read already), and only its painted parts are sent (hintcolor_client.painted_patches:
    exact, even 1-pixel dots)."""
    _, px, py = photo.get_offsets()
    _, hx, hy = hint_layer.get_offsets()
    width, height = hint_layer.get_width(), hint_layer.get_height()
    header = {"width": width, "height": height, "x": hx - px, "y": hy - py}
    data = data if data is not None else read_pixels(hint_layer, "R'G'B'A u8")
    patches, chunks = client.painted_patches(data, width, height)
    if len(patches) > client.MAX_PATCHES:
        return header, [data]
    header["patches"] = patches
    return header, chunks
