"""What both plug-ins (GIMP 3 and GIMP 2.10) ask the worker, and how they phrase what it says.

The set-up install.py recorded beside the plug-in (``hintcolor.json``), a client for the worker it
names, the headers of the requests (see the protocol in hintcolor_client.py) built from plain
values, and the sentences GIMP shows. Standard library only, Python 2.7-compatible.
"""
import json
import math
import os

import hintcolor_client as client
from hintcolor_links import UserError

CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hintcolor.json")


def load_config():
    """What install.py recorded: the hintcolor environment's Python, weights, version, state folder."""
    try:
        with open(CONFIG) as f:
            return json.load(f)
    except (IOError, OSError, ValueError):
        return {}


def connect():
    """A WorkerClient for the worker install.py configured (started on demand)."""
    config = load_config()
    return client.WorkerClient(python=config.get("python"), folder=config.get("state_dir"),
                               version=config.get("version"),
                               serve_args=["--weights", config["weights"]] if config.get("weights") else [])


def sentence(text):
    """A message as GIMP shows it: first letter capitalised."""
    return text[:1].upper() + text[1:]


def worker_options(engine, device, work_size, precision, snap_hints):
    """The options the worker gets (it leaves those the chosen engine does not read at their defaults)."""
    return {"engine": engine, "device": device, "work_size": work_size, "precision": precision,
            "snap_hints": snap_hints}


def photo_channels(gray, alpha):
    """Channels the photo layer moves in: its own (Y' or R'G'B', plus alpha only if it has alpha)."""
    return (1 if gray else 3) + (1 if alpha else 0)


def hint_layer_request(photo_offsets, hint_offsets, hint_size, data):
    """(the worker's description of a hint layer: its size, its offset from the photo (canvas
    offsets of both layers, as GIMP gives them) and its painted patches; the payload: the patches'
    pixels). ``data``: the layer's RGBA u8 bytes. Only the painted parts are sent
    (hintcolor_client.painted_patches: exact, even 1-pixel dots), the whole layer only when it is
    painted in more places than a request may list."""
    width, height = hint_size
    header = {"width": width, "height": height,
              "x": hint_offsets[0] - photo_offsets[0], "y": hint_offsets[1] - photo_offsets[1]}
    patches, chunks = client.painted_patches(data, width, height)
    if len(patches) > client.MAX_PATCHES:
        return header, [data]
    header["patches"] = patches
    return header, chunks


def colorize_header(photo_size, fmt, channels, hints, options):
    """A ``colorize`` request for a photo layer of ``photo_size`` in ``fmt`` (``u8`` or ``float``)
    with ``channels``, and the hint layer's header (or None)."""
    return {"op": "colorize", "hints": hints, "options": options,
            "photo": {"width": photo_size[0], "height": photo_size[1], "format": fmt, "channels": channels}}


def result_has_alpha(reply):
    """Whether the worker's result carries alpha (R'G'B'A) rather than R'G'B'."""
    return reply.get("channels", 4) == 4


def notices_after(shown, text):
    """The record of notices shown this session (JSON bytes, or None for none yet) with ``text``
    added, or None if ``text`` was shown already (then it is not shown again)."""
    seen = json.loads(bytes(bytearray(shown)).decode("utf-8")) if shown is not None else []
    if text in seen:
        return None
    return json.dumps(seen + [text]).encode("utf-8")


MAX_POINTS = 32  # what the worker answers for at once
MAX_FILE = 16 << 20  # the largest hints file the worker reads
PALETTE = "hintcolor suggestions"


def suggest_header(photo_size, fmt, channels, hints, points, count, snap_hints):
    """A ``suggest`` request: ``count`` colors at each of ``points`` (photo pixels; none: at the hint layer's dots)."""
    header = colorize_header(photo_size, fmt, channels, hints, {"snap_hints": snap_hints})
    header.update(op="suggest", points=points[:MAX_POINTS], k=count)
    return header


def export_header(photo_size, hints):
    """An ``export_hints`` request for a hint layer (its header) over a photo of ``photo_size``."""
    return {"op": "export_hints", "photo": {"width": photo_size[0], "height": photo_size[1]}, "hints": hints,
            "options": {"work_size": 256}}


def import_header(photo_size, path, file_size):
    """An ``import_hints`` request for the hints file ``path`` of ``file_size`` bytes."""
    return {"op": "import_hints", "photo": {"width": photo_size[0], "height": photo_size[1]}, "name": path,
            "file_size": file_size}


def palette_entries(canvas_points, suggestions):
    """(name, "#rrggbb") of each suggestion, point by point, named by where (the canvas pixel) and how
    likely: "(410, 220) 38 %" (the same in Python 2 and 3, whose round() differ)."""
    return [("(%d, %d) %d %%" % (math.floor(x), math.floor(y), math.floor(100 * found["probability"] + 0.5)),
             found["color"])
            for (x, y), row in zip(canvas_points, suggestions) for found in row]


def nothing_to_export(reply, name):
    """WorkerError if an export found no painted dot on the hint layer ``name``."""
    if not reply.get("count"):
        raise client.WorkerError("the hint layer \"%s\" has no painted dots over the photo: nothing to export" % name)


def write_atomically(path, data):
    """Write ``data`` to ``path`` through a temporary file beside it: never a half-written file.
    WorkerError (a message naming the file) if it cannot be written."""
    temporary = "%s.%d.tmp" % (path, os.getpid())
    try:
        with open(temporary, "wb") as f:
            f.write(data)
        if hasattr(os, "replace"):
            os.replace(temporary, path)  # novermin (guarded: Python 3)
        else:  # Python 2.7 (GIMP 2.10): rename does not replace on Windows
            if os.path.exists(path) and os.name == "nt":
                os.remove(path)
            os.rename(temporary, path)
    except (IOError, OSError) as e:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise client.WorkerError("cannot write %s (%s): choose another file" % (path, e.strerror or e))


def read_hints_file(path):
    """The bytes of a hints file; UserError if it cannot be read or is too large."""
    try:
        if os.path.getsize(path) > MAX_FILE:
            raise UserError("%s is larger than %d MB: not a hints file" % (path, MAX_FILE >> 20))
        with open(path, "rb") as f:
            return f.read()
    except (IOError, OSError) as e:
        raise UserError("Cannot read %s (%s)." % (path, e.strerror or e))
