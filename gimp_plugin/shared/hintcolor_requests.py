"""What both plug-ins (GIMP 3 and GIMP 2.10) ask the worker, and how they phrase what it says.

The set-up install.py recorded beside the plug-in (``hintcolor.json``), a client for the worker it
names, the headers of the requests (see the protocol in hintcolor_client.py) built from plain
values, and the sentences GIMP shows. Standard library only, Python 2.7-compatible.
"""
import json
import os

import hintcolor_client as client

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
    """The options the worker gets; those of the network alone stay at their defaults for propagation."""
    if engine == "propagate":
        return {"engine": engine, "device": "auto", "work_size": 256, "precision": "auto", "snap_hints": snap_hints}
    return {"engine": engine, "device": device, "work_size": work_size, "precision": precision,
            "snap_hints": snap_hints}


def photo_channels(gray, alpha):
    """Channels the photo layer moves in: its own (Y' or R'G'B', plus alpha only if it has alpha)."""
    return (1 if gray else 3) + (1 if alpha else 0)


def hint_layer_header(photo_offsets, hint_offsets, hint_size):
    """The worker's description of a hint layer: its size and its offset from the photo (canvas
    offsets of both layers, as GIMP gives them)."""
    return {"width": hint_size[0], "height": hint_size[1],
            "x": hint_offsets[0] - photo_offsets[0], "y": hint_offsets[1] - photo_offsets[1]}


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
