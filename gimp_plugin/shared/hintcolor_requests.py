"""What both plug-ins (GIMP 3 and GIMP 2.10) say of the worker, and what they do with its answers.

The set-up install.py recorded beside the plug-in (``hintcolor.json``), a client for the worker it
names, the worker's error codes and notices in GIMP's words, and the files and palettes made of its
answers. The requests themselves are built by the protocol (hintcolor_protocol.py). Standard
library only, Python 2.7-compatible.
"""
import json
import math
import os

import hintcolor_client as client
import hintcolor_protocol as protocol
from hintcolor_links import UserError

#: The worker's error codes in the words of GIMP's dialogs; ``%(...)s`` fields come from the reply,
#: plus ``log`` (the worker's log file) and, for a refused secret, ``pid`` (hintcolor_client.py).
MESSAGES = {
    protocol.DEVICE: "the GPU is not available on this machine: choose Device: Automatic or CPU",
    protocol.WEIGHTS: "the network's weights are not installed for the worker: choose Engine: Propagate hints, "
                      "or add the weights (its log, %(log)s, says where)",
    protocol.NEEDS_HINTS: "the propagation engine needs at least one color dot: paint dots on a hint layer and "
                          "choose it as Hint layer, or choose Engine: Network",
    protocol.NEEDS_HINTS_NO_WEIGHTS: "without the network's weights, colors come only from your hints: paint dots on "
                                     "a hint layer and choose it as Hint layer (the worker's log, %(log)s, says how "
                                     "to add the weights)",
    protocol.SECRET: "the hintcolor worker refused this plug-in's secret (the secret file changed since it started): "
                     "end the worker process (pid %(pid)s) and run again",
    protocol.REQUEST: "the hintcolor worker refused the request: %(error)s",
    protocol.INPUT: "%(error)s",
    protocol.SUGGEST_WEIGHTS: "color suggestions need the network's weights, which are not installed for the worker "
                              "(README: Weights; its log, %(log)s, says where they go)",
    protocol.NO_POINTS: "no sample point and no painted dot: add a sample point (Ctrl+click on a ruler and drag) "
                        "or paint dots on the hint layer, then run Suggest Hint Colors again",
    protocol.SESSION: "the hintcolor worker no longer keeps this photo (it restarted): the photo is sent again",
    protocol.REGION: "the selection does not cover the photo layer: select a part of the photo, or choose "
                     "Select > None to colorize the whole photo",
    protocol.FAILED: "the hintcolor worker failed (%(error)s); details are in its log, %(log)s",
}
#: Notices (not errors) a reply may carry, in GIMP's words: one short line, for a status bar.
NOTICES = {
    protocol.WEIGHTS_MISSING: "network weights not installed: colors propagated from your hints (README: Weights)",
}

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
                               serve_args=["--weights", config["weights"]] if config.get("weights") else [],
                               messages=MESSAGES, notices=NOTICES)


def region_line(box, options):
    """What a run with a selection does, for the dialog: "Detail for the selection: 612 \u00d7 480 px,
    at 256 px" (``box``: x, y, w, h; the working size where the chosen engine reads it)."""
    line = u"Detail for the selection: %d \u00d7 %d px" % tuple(box[2:])
    if "work_size" in protocol.options_read(options["engine"]):
        line += u", at %d px" % options["work_size"]
    return _native(line)


def stage_text(text, box, region, options):
    """The status bar's words for the worker's stage ``text`` of a request for ``region`` (None: the
    whole photo) in a run on the selection ``box`` (None: no selection): the stage alone without a
    selection, else after what the request is for."""
    if box is None:
        return _native(text)
    title = _text(region_line(box, options)) if region is not None else u"The whole photo first"
    return _native(u"%s - %s" % (title, _text(text)))


def _text(text):
    """``text`` as unicode (Python 2: UTF-8 bytes decoded)."""
    return text.decode("utf-8") if isinstance(text, bytes) else text


def _native(text):
    """``text`` as the str GIMP's calls take (Python 2: UTF-8 bytes)."""
    return text if str is not bytes else text.encode("utf-8")


def sentence(text):
    """A message as GIMP shows it: first letter capitalised."""
    return text[:1].upper() + text[1:]


def notices_after(shown, text):
    """The record of notices shown this session (JSON bytes, or None for none yet) with ``text``
    added, or None if ``text`` was shown already (then it is not shown again)."""
    seen = json.loads(bytes(bytearray(shown)).decode("utf-8")) if shown is not None else []
    if text in seen:
        return None
    return json.dumps(seen + [text]).encode("utf-8")


PALETTE = "hintcolor suggestions"


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
        if os.path.getsize(path) > protocol.MAX_HINTS_FILE:
            raise UserError("%s is larger than %d MB: not a hints file" % (path, protocol.MAX_HINTS_FILE >> 20))
        with open(path, "rb") as f:
            return f.read()
    except (IOError, OSError) as e:
        raise UserError("Cannot read %s (%s)." % (path, e.strerror or e))
