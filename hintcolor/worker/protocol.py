"""The hintcolor worker protocol: ops, header fields, limits, error codes, request builders, checks.

The one home of what a request and a reply may hold. Standard library only and Python
2.7-compatible: the worker (``hintcolor serve``, :mod:`hintcolor.worker.server`) checks requests
with it, the client (:mod:`hintcolor.worker.client`: transport and the worker's lifecycle) frames
them, and the GIMP plug-ins (GIMP 3's Python 3, GIMP 2.10's Python 2.7) build them with it: install.py
copies this file beside them as ``hintcolor_protocol.py``. What a refusal means in GIMP's words
lives with the plug-ins (gimp_plugin/shared/hintcolor_requests.py), keyed by the codes below.

Protocol (version :data:`VERSION`), over a TCP connection to 127.0.0.1. Each message is a 4-byte
big-endian length (at most :data:`MAX_HEADER`), a UTF-8 JSON object of that length (the header),
then ``header["size"]`` bytes of payload. A connection may carry several requests, one after the other.

- Every request carries the per-user secret (``token``), read from the file ``secret`` in the
  state folder (mode 0600, in a folder of mode 0700). The worker checks it before it reads any
  payload byte; a request without it gets one error reply (:data:`SECRET`) and the connection is closed.
- Requests (``op``): :data:`HELLO` (version handshake, ``protocol``: the client's version; reply
  ``version``, ``protocol``, ``pid``), :data:`SHUTDOWN`, and :data:`COLORIZE`: header ``photo``
  {``width``, ``height``, ``format``: ``"u8"`` | ``"float"`` (:data:`FORMATS`), ``channels``: 1 (Y'),
  2 (Y'A), 3 (R'G'B') or 4 (R'G'B'A, the default)}, ``hints`` (null or {``width``, ``height``,
  ``x``, ``y``}: an RGBA u8 layer and its offset from the photo), ``options`` {``device``,
  ``engine``, ``work_size`` (:data:`MIN_WORK_SIZE`..:data:`MAX_WORK_SIZE`, default
  :data:`DEFAULT_WORK_SIZE`), ``precision``, ``snap_hints``, ``preview`` (protocol 4; true: a fast,
  coarse result, computed at about a screen's pixels and enlarged)}, ``region`` (protocol 5;
  optional: [x, y, w, h], whole photo pixels, see below); payload: the photo's pixels
  (row-major, channels interleaved), then the hint layer's. ``size`` must equal what those layers
  need (:func:`payload_size`), each side is at most :data:`MAX_SIDE` and each layer has at most
  :data:`MAX_PIXELS` pixels; otherwise the request is refused before its payload is read.
- Sparse hint layer (``colorize``, ``suggest``, ``export_hints``): ``hints`` may carry ``patches``, a
  list of [x, y, w, h] rectangles of the hint layer (at most :data:`MAX_PATCHES`, inside it); then
  the payload holds only those rectangles' RGBA pixels, one after the other, and every pixel outside
  them is transparent black (:func:`painted_patches` finds them). The worker rebuilds the same layer.
- Region run (``colorize``, protocol 5): ``region`` [x, y, w, h] (a box of positive size inside the
  photo, e.g. the bounding box of GIMP's selection; :func:`check_region`) asks for that box only,
  colorized in detail: on the engine's grid, with the hints inside the box and the whole-photo
  result's colors in a margin around it as context (the library's ``Colorizer.region_array``; with
  ``preview``, its coarse preview). The reply's ``region`` says the box again, its ``width`` and
  ``height`` are the box's, and its payload is the box's pixels only (as a whole result's, with the
  photo's alpha there); the client blends them in (GIMP: through its selection). A bad box is refused
  with code :data:`REGION`.
- Kept photo (``colorize``, ``suggest``): ``session`` (a string of at most :data:`MAX_SESSION`
  characters) asks the worker to keep this request's photo under that name (the :data:`KEPT_PHOTOS`
  most recent are kept); a later request with the same ``session`` and ``photo`` {..., ``"kept":
  true``} sends no photo pixels. If the worker no longer has it (restarted, or the photo's
  description differs), the reply is an error with code :data:`SESSION`: send the photo again.
- :data:`SUGGEST`: header and payload as ``colorize``, plus ``points`` (a list of at most
  :data:`MAX_POINTS` [x, y] photo pixels; empty or absent: the hint layer's painted dots, the first
  :data:`MAX_POINTS`) and ``k`` (1..:data:`MAX_SUGGESTIONS`, suggestions per point); reply ``points``
  and ``suggestions`` (per point a list of {``color``, ``ab``, ``probability``}, most likely first),
  no payload.
- :data:`EXPORT_HINTS`: header ``photo`` {``width``, ``height``} (no pixels), ``hints`` as for
  ``colorize`` (required), ``options`` {``work_size``}; payload: the hint layer's RGBA pixels;
  reply ``count``, payload: the hints JSON document (UTF-8) of its dots, as colorize reads them.
- :data:`IMPORT_HINTS`: header ``photo`` {``width``, ``height``}, ``name`` (the file's name, for
  messages), ``file_size`` (at most :data:`MAX_HINTS_FILE` bytes); payload: the hints file's bytes;
  reply ``width``, ``height``, ``count``, payload: an RGBA u8 layer of the photo's size with the
  hints painted as dots.
- While it computes, the worker sends progress messages ``{"progress": 0..1, "stage": text}``
  (no payload), then the reply: ``{"ok": true, "channels": 3 | 4, ...}`` with the result's pixels
  as payload in the photo's ``format``: R'G'B' (``channels`` 3) for a photo without alpha, R'G'B'A
  with the photo's own alpha for one with alpha (``channels`` 2 or 4);
  or ``{"ok": false, "code": ..., "error": "one line"}`` (:func:`error_reply`). ``code`` names
  what went wrong (:data:`ERRORS`); a reply may carry ``notice``, a code of :data:`NOTICES`.
- The worker answers before a request's payload only to refuse it (a header it refuses by itself:
  unknown op, layers too large, a ``size`` they do not need, patches outside the hint layer, ...).
  It then stops sending (half-closes), and reads and discards what the client still sends (at most
  :data:`DISCARD_BYTES`, for at most :data:`DISCARD_SECONDS` s) before it closes, so that the
  refusal reaches a client that is still sending; a client should watch for it while it sends.
- Closing the connection cancels the request (so does sending anything while it runs, e.g.
  ``{"op": "cancel"}``, :data:`CANCEL`): the worker notices between stages, abandons it, closes the
  connection and goes on serving others.
- Time limits: a client has :data:`HEADER_TIMEOUT` s to send a header (also between two requests on
  one connection), and may stay silent for at most :data:`TRANSFER_TIMEOUT` s while its payload
  arrives or a reply is sent; the worker serves at most :data:`MAX_CONNECTIONS` connections at once.
"""
from __future__ import absolute_import, division, print_function

import json
import numbers
import re
import struct

VERSION = 5  # 3: suggest, export_hints, import_hints; 4: sparse hint layers, kept photos; 5: region runs

# --- ops (a request's "op") ---
HELLO = "hello"
SHUTDOWN = "shutdown"
COLORIZE = "colorize"
SUGGEST = "suggest"
EXPORT_HINTS = "export_hints"
IMPORT_HINTS = "import_hints"
#: Not answered: anything a client sends while its request runs cancels it; this is the polite form.
CANCEL = "cancel"
#: The requests the worker answers.
OPERATIONS = (HELLO, SHUTDOWN, COLORIZE, SUGGEST, EXPORT_HINTS, IMPORT_HINTS)

# --- layers: sample formats (bytes per sample) and channels ---
U8 = "u8"
FLOAT = "float"
FORMATS = {U8: 1, FLOAT: 4}
#: Channels of a layer: Y' (gray), Y'A, R'G'B', R'G'B'A; a hint layer is always R'G'B'A u8.
CHANNELS = (1, 2, 3, 4)
RGBA = 4

# --- limits ---
#: Bytes of a message's JSON header.
MAX_HEADER = 64 * 1024
#: Pixels of one layer, and the largest side of a layer (GIMP's own limit).
MAX_PIXELS = 150 * 1000 * 1000
MAX_SIDE = 524288
#: The largest payload of a message: a float R'G'B'A layer of MAX_PIXELS.
MAX_PAYLOAD = MAX_PIXELS * RGBA * FORMATS[FLOAT]
#: Rectangles a sparse hint layer may have.
MAX_PATCHES = 4096
#: The working grid's short side: the fewest pixels, the most (the plug-in offers up to it; the
#: grid, up to 4x wider, bounds the memory), and the default of a request that does not say.
MIN_WORK_SIZE = 8
MAX_WORK_SIZE = 1024
DEFAULT_WORK_SIZE = 256
#: Points one suggest request may ask about, and suggestions per point (the reply header stays small).
MAX_POINTS = 32
MAX_SUGGESTIONS = 8
#: Bytes of a hints file an import_hints request may send.
MAX_HINTS_FILE = 16 << 20
#: Photos kept for later requests (``session``), most recent first; the longest name of one.
KEPT_PHOTOS = 2
MAX_SESSION = 64
#: Seconds a client may take to send a header (also between two requests on one connection).
HEADER_TIMEOUT = 30.0
#: Seconds a client may stay silent while its payload arrives, or not read while a reply is sent.
TRANSFER_TIMEOUT = 30.0
#: Connections served at once; more are closed at once.
MAX_CONNECTIONS = 32
#: After refusing a request before its payload: bytes of it read and discarded at most, and for how long.
DISCARD_BYTES = 64 << 20
DISCARD_SECONDS = 10.0

# --- error codes (a refusal's "code") and what each means: the worker's "error" unless it says more ---
SECRET = "secret"
REQUEST = "request"
INPUT = "input"
DEVICE = "device"
WEIGHTS = "weights"
NEEDS_HINTS = "needs_hints"
NEEDS_HINTS_NO_WEIGHTS = "needs_hints_no_weights"
SUGGEST_WEIGHTS = "suggest_weights"
NO_POINTS = "no_points"
SESSION = "session"
REGION = "region"
FAILED = "failed"
ERRORS = {
    SECRET: "a request without this user's secret",
    REQUEST: "a request this worker does not take",  # the error says which field is wrong
    INPUT: "the photo, hints or hints file cannot be used",  # the error says why
    DEVICE: "the device asked for is not available",
    WEIGHTS: "the network's weights are missing or unusable",
    NEEDS_HINTS: "the propagation engine needs at least one color hint",
    SUGGEST_WEIGHTS: "color suggestions need the network's weights",
    NO_POINTS: "no sample point and no painted dot to suggest colors for",
    SESSION: "no photo kept under this session name with this size and format",
    REGION: "the region is not a box of pixels inside the photo",  # the error says how
    FAILED: "the worker failed",  # the error names the exception; its log has the details
}
#: The same refusal when the propagation engine runs because the network's weights are missing.
ERRORS[NEEDS_HINTS_NO_WEIGHTS] = ERRORS[NEEDS_HINTS]
#: Notices (not errors) a reply may carry: a code, and what it means.
WEIGHTS_MISSING = "weights_missing"
NOTICES = {WEIGHTS_MISSING: "network weights not installed: colors propagated from your hints"}

#: Sparse hint layers: rows scanned together, and the gap in pixels that separates two rectangles
#: of one band (see :func:`painted_patches`).
PATCH_ROWS = 64
PATCH_GAP = 64
_PAINT = re.compile(b"[^\x00]+")
_LENGTH = struct.Struct(">I")
_TIMES = u"\u00d7"


class ProtocolError(ValueError):
    """Bytes that are not a message of this protocol."""


class RequestError(Exception):
    """A request refused: ``code`` (:data:`ERRORS`) and one line (by default the code's sentence).
    ``close``: refused before its payload was read, so the connection cannot go on."""

    def __init__(self, code, message=None, close=False):
        Exception.__init__(self, message or ERRORS[code])
        self.code = code
        self.close = close


def error_reply(code, message=None):
    """The reply refusing a request: ``code`` and one line (by default the code's sentence)."""
    return {"ok": False, "code": code, "error": message or ERRORS[code]}


# --- framing ---

def encode_header(header):
    """A header's bytes as sent: its length (4 bytes, big-endian), then its UTF-8 JSON."""
    encoded = json.dumps(header).encode("utf-8")
    return _LENGTH.pack(len(encoded)) + encoded


def header_length(data):
    """The length a message's first 4 bytes announce; ProtocolError beyond MAX_HEADER."""
    (length,) = _LENGTH.unpack(bytes(data))
    if length > MAX_HEADER:
        raise ProtocolError("a header of %d bytes (at most %d)" % (length, MAX_HEADER))
    return length


def parse_header(data):
    """A header's bytes to a dict; ProtocolError unless a JSON object with a valid ``size``."""
    try:
        header = json.loads(bytes(data).decode("utf-8"))
    except ValueError:  # includes UnicodeDecodeError
        raise ProtocolError("a header that is not UTF-8 JSON")
    if not isinstance(header, dict):
        raise ProtocolError("a header that is not a JSON object")
    size = header.get("size", 0)
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 0:  # Python 2: int or long
        raise ProtocolError("a header with size %r" % (size,))
    return header


# --- layers ---

def layer_bytes(width, height, fmt, channels=RGBA):
    """Bytes of a ``width`` x ``height`` layer of ``channels`` samples in ``fmt`` (:data:`FORMATS`)."""
    return width * height * channels * FORMATS[fmt]


def layer_channels(gray, alpha):
    """Channels a photo layer moves in: its own (Y' or R'G'B', plus alpha only if it has alpha)."""
    return (1 if gray else 3) + (1 if alpha else 0)


def result_has_alpha(reply):
    """Whether the worker's result carries alpha (R'G'B'A) rather than R'G'B'."""
    return reply.get("channels", RGBA) == RGBA


def painted_patches(data, width, height):
    """Where a ``width`` x ``height`` RGBA u8 layer (``data``: bytes, row-major) holds any non-zero byte,
    as (rectangles [[x, y, w, h], ...], their pixels: one bytes object of RGBA rows each); every
    pixel outside the rectangles is transparent black, so a request may send these instead of the
    whole layer (``hints["patches"]``). Paint is found exactly (a single pixel of alpha 1 counts):
    bands of ``PATCH_ROWS`` rows are compared with zeros, then the painted rows of a painted band are
    searched for runs of non-zero bytes, merged when less than ``PATCH_GAP`` pixels apart."""
    stride = width * 4
    zeros = bytes(bytearray(stride * PATCH_ROWS))
    row_zeros = zeros[:stride]
    boxes = []
    for top in range(0, height, PATCH_ROWS):
        bottom = min(top + PATCH_ROWS, height)
        if data.startswith(zeros[:(bottom - top) * stride], top * stride):  # compares in place, no copy
            continue
        rows, runs = [], []
        for y in range(top, bottom):
            if data.startswith(row_zeros, y * stride):
                continue
            rows.append(y)
            runs.extend((m.start() // 4 - y * width, (m.end() + 3) // 4 - y * width)
                        for m in _PAINT.finditer(data, y * stride, (y + 1) * stride))
        for x0, x1 in _merged(runs, PATCH_GAP):
            boxes.append([x0, rows[0], x1 - x0, rows[-1] + 1 - rows[0]])
    chunks = [b"".join(data[(y + i) * stride + x * 4:(y + i) * stride + (x + w) * 4] for i in range(h))
              for x, y, w, h in boxes]
    return boxes, chunks


def _merged(runs, gap):
    """[x0, x1) ranges sorted and joined where less than ``gap`` apart."""
    merged = []
    for x0, x1 in sorted(runs):
        if merged and x0 - merged[-1][1] < gap:
            merged[-1][1] = max(merged[-1][1], x1)
        else:
            merged.append([x0, x1])
    return merged


# --- request builders ---

def hello_header():
    """A ``hello`` request: the client's protocol version (the secret is added as it is sent)."""
    return {"op": HELLO, "protocol": VERSION}


def shutdown_header():
    """A ``shutdown`` request: the worker exits once it has answered."""
    return {"op": SHUTDOWN}


#: The options each engine reads, of those a Colorizer or the worker takes for the network; the
#: others do not change its result. The engines' ``uses`` (hintcolor.engines) are these sets.
ENGINE_OPTIONS = {"siggraph17": frozenset(["device", "precision", "work_size", "resize"]), "propagate": frozenset()}


def options_read(engine):
    """The options (of :data:`ENGINE_OPTIONS`) the engine choice ``engine`` reads; for ``"auto"``,
    those of every engine (either may run)."""
    return frozenset().union(*[used for name, used in ENGINE_OPTIONS.items() if engine in ("auto", name)])


def worker_options(engine, device, work_size, precision, snap_hints):
    """A colorize request's options (the worker leaves those the chosen engine does not read at their
    defaults)."""
    return {"engine": engine, "device": device, "work_size": work_size, "precision": precision,
            "snap_hints": snap_hints}


def hint_layer_request(photo_offsets, hint_offsets, hint_size, data):
    """(the description of a hint layer: its size, its offset from the photo (canvas offsets of both
    layers, as GIMP gives them) and its painted patches; the payload: the patches' pixels).
    ``data``: the layer's RGBA u8 bytes. Only the painted parts are sent (:func:`painted_patches`:
    exact, even 1-pixel dots), the whole layer only when it is painted in more places than a
    request may list."""
    width, height = hint_size
    header = {"width": width, "height": height,
              "x": hint_offsets[0] - photo_offsets[0], "y": hint_offsets[1] - photo_offsets[1]}
    patches, chunks = painted_patches(data, width, height)
    if len(patches) > MAX_PATCHES:
        return header, [data]
    header["patches"] = patches
    return header, chunks


def colorize_header(photo_size, fmt, channels, hints, options, session=None, kept=False, region=None):
    """A ``colorize`` request for a photo layer of ``photo_size`` in ``fmt`` (``u8`` or ``float``)
    with ``channels``, the hint layer's description (or None) and the options; with ``session``,
    the worker keeps the photo under that name, and ``kept`` says it has it already (no photo pixels);
    with ``region`` (x, y, w, h: photo pixels), only that box is colorized, in detail, and sent back."""
    header = {"op": COLORIZE, "hints": hints, "options": options,
              "photo": {"width": photo_size[0], "height": photo_size[1], "format": fmt, "channels": channels}}
    if session is not None:
        header["session"], header["photo"]["kept"] = session, kept
    if region is not None:
        header["region"] = [int(v) for v in region]
    return header


def result_region(reply):
    """Where a colorize reply's pixels go: (x, y, w, h) in the photo, the whole photo's box unless it
    answers a region run."""
    return tuple(reply.get("region") or (0, 0, reply["width"], reply["height"]))


def suggest_header(photo_size, fmt, channels, hints, points, count, snap_hints):
    """A ``suggest`` request: ``count`` colors at each of ``points`` (photo pixels; none: at the hint
    layer's dots), the worker's options but for ``snap_hints``."""
    return suggestions_at(colorize_header(photo_size, fmt, channels, hints, {"snap_hints": snap_hints}), points, count)


def suggestions_at(header, points, count):
    """A ``colorize`` request (:func:`colorize_header`) made a ``suggest`` request for the same photo,
    hints and options: ``count`` colors at each of ``points`` (the first MAX_POINTS)."""
    return dict(header, op=SUGGEST, points=points[:MAX_POINTS], k=count)


def export_header(photo_size, hints):
    """An ``export_hints`` request for a hint layer (its description) over a photo of ``photo_size``."""
    return {"op": EXPORT_HINTS, "photo": {"width": photo_size[0], "height": photo_size[1]}, "hints": hints,
            "options": {"work_size": DEFAULT_WORK_SIZE}}


def import_header(photo_size, path, file_size):
    """An ``import_hints`` request for the hints file ``path`` of ``file_size`` bytes."""
    return {"op": IMPORT_HINTS, "photo": {"width": photo_size[0], "height": photo_size[1]}, "name": path,
            "file_size": file_size}


# --- checks (the worker's, before and after it reads a payload) ---

def _whole(value):
    """Whether ``value`` is a whole number (not a bool)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def payload_size(header):
    """Bytes of payload a request needs; RequestError (close) for an unknown or absurd request.
    Nothing is allocated here: this runs before the payload is read."""
    op = header.get("op")
    if op not in OPERATIONS:
        raise RequestError(REQUEST, "unknown request %.40r" % (op,), close=True)
    if op in (HELLO, SHUTDOWN):
        return 0
    photo = _layer_header(header.get("photo"), "photo")
    if op == IMPORT_HINTS:
        size = header.get("file_size")
        if not _whole(size) or not 0 <= size <= MAX_HINTS_FILE:
            raise RequestError(REQUEST, "file_size %.20r is not from 0 to %d" % (size, MAX_HINTS_FILE), close=True)
        return size
    if op == EXPORT_HINTS:
        return hint_bytes(header.get("hints"))
    if photo.get("format") not in FORMATS:
        raise RequestError(REQUEST, "photo format %.20r is not one of %s" % (photo.get("format"), sorted(FORMATS)),
                           close=True)
    channels = photo.get("channels", RGBA)
    if not _whole(channels) or channels not in CHANNELS:
        raise RequestError(REQUEST, "photo channels %.20r are not one of %s" % (channels, CHANNELS), close=True)
    session = header.get("session")
    if session is not None and (not isinstance(session, type(u"")) or len(session) > MAX_SESSION):
        raise RequestError(REQUEST, "session %.20r is not a name of at most %d characters" % (session, MAX_SESSION),
                           close=True)
    if photo.get("kept") not in (None, False, True) or (photo.get("kept") and session is None):
        raise RequestError(REQUEST, "a kept photo needs its session name", close=True)
    size = 0 if photo.get("kept") else layer_bytes(photo["width"], photo["height"], photo["format"], channels)
    if header.get("hints") is not None:
        size += hint_bytes(header["hints"])
    return size


def declared_size(header):
    """A request's payload size (``size``), checked to be what it needs (:func:`payload_size`);
    RequestError (close) otherwise. Runs before the payload is read."""
    expected = payload_size(header)
    if header.get("size", 0) != expected:
        raise RequestError(REQUEST, "the request declares %d bytes of pixels but its layers need %d"
                           % (header.get("size", 0), expected), close=True)
    return expected


def hint_bytes(hints):
    """Bytes of a hint layer's payload: the whole RGBA u8 layer, or only its ``patches``, checked to
    be at most MAX_PATCHES rectangles inside the layer (RequestError with close otherwise)."""
    hints = _layer_header(hints, "hint layer", offset=True)
    if "patches" not in hints:
        return layer_bytes(hints["width"], hints["height"], U8)
    patches = hints["patches"]
    if not isinstance(patches, list) or len(patches) > MAX_PATCHES or not all(
            isinstance(patch, list) and len(patch) == 4 and all(type(v) is int for v in patch) for patch in patches):
        raise RequestError(REQUEST, "patches must be a list of at most %d [x, y, w, h] whole numbers" % MAX_PATCHES,
                           close=True)
    for x, y, w, h in patches:
        if not (0 <= x and 0 <= y and 0 < w and 0 < h and x + w <= hints["width"] and y + h <= hints["height"]):
            raise RequestError(REQUEST, "the patch %s is not inside the hint layer" % ([x, y, w, h],), close=True)
    return sum(w * h * 4 for _, _, w, h in patches)


def _layer_header(layer, name, offset=False):
    """A layer's description, checked: whole-number sides of 1..MAX_SIDE (and offsets, with
    ``offset``), at most MAX_PIXELS pixels; RequestError with close otherwise."""
    if not isinstance(layer, dict):
        raise RequestError(REQUEST, "the %s is not described" % name, close=True)
    fields = [("width", 1, MAX_SIDE), ("height", 1, MAX_SIDE)]
    if offset:
        fields += [("x", -MAX_SIDE, MAX_SIDE), ("y", -MAX_SIDE, MAX_SIDE)]
    for field, low, high in fields:
        value = layer.get(field)
        if not _whole(value) or not low <= value <= high:
            raise RequestError(REQUEST, "the %s's %s is %.20r, not a whole number from %d to %d"
                               % (name, field, value, low, high), close=True)
    if layer["width"] * layer["height"] > MAX_PIXELS:
        raise RequestError(REQUEST, u"the %s has %d%s%d pixels, more than the %d megapixels the worker takes"
                           % (name, layer["width"], _TIMES, layer["height"], MAX_PIXELS // 1000000), close=True)
    return layer


def check_options(options, engines, precisions):
    """A colorize request's options, checked and completed with their defaults: device, engine
    (one of ``engines``), precision (one of ``precisions``), work_size, snap_hints, preview."""
    options = dict(options) if isinstance(options, dict) else {}
    device, engine = options.get("device", "auto"), options.get("engine", "auto")
    work_size, precision = options.get("work_size", DEFAULT_WORK_SIZE), options.get("precision", "auto")
    snap, preview = options.get("snap_hints", True), options.get("preview", False)
    if not isinstance(device, type(u"")):
        raise RequestError(REQUEST, "device %.20r is not a name" % (device,))
    if engine not in engines:
        raise RequestError(REQUEST, "engine %.20r is not one of %s" % (engine, ", ".join(engines)))
    if precision not in precisions:
        raise RequestError(REQUEST, "precision %.20r is not one of %s" % (precision, ", ".join(precisions)))
    if not _whole(work_size) or not MIN_WORK_SIZE <= work_size <= MAX_WORK_SIZE:
        raise RequestError(REQUEST, "working size %.20r is not from %d to %d" % (work_size, MIN_WORK_SIZE, MAX_WORK_SIZE))
    if not isinstance(snap, bool) or not isinstance(preview, bool):
        raise RequestError(REQUEST, "snap_hints %.20r / preview %.20r is not true or false" % (snap, preview))
    return {"device": device, "engine": engine, "precision": precision, "work_size": work_size, "snap_hints": snap,
            "preview": preview}


def check_region(region, width, height):
    """A colorize request's ``region`` for a ``width`` x ``height`` photo: None (the whole photo) or
    (x, y, w, h), four whole numbers making a box of positive size inside the photo; RequestError
    (:data:`REGION`) otherwise."""
    if region is None:
        return None
    if not isinstance(region, list) or len(region) != 4 or not all(_whole(v) for v in region):
        raise RequestError(REGION, "region %.40r is not [x, y, w, h], four whole numbers" % (region,))
    x, y, w, h = region
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > width or y + h > height:
        raise RequestError(REGION, u"region %s is not a box of pixels inside the %d%s%d photo"
                           % (region, width, _TIMES, height))
    return x, y, w, h


def check_points(points):
    """A suggest request's points: a list of at most MAX_POINTS [x, y] pairs of numbers (may be empty)."""
    if points is None:
        return []
    if not isinstance(points, list) or len(points) > MAX_POINTS or not all(
            isinstance(point, list) and len(point) == 2
            and all(isinstance(v, (numbers.Integral, float)) and not isinstance(v, bool) for v in point)
            for point in points):
        raise RequestError(REQUEST, "points must be a list of at most %d [x, y] pairs of numbers" % MAX_POINTS)
    return [(float(x), float(y)) for x, y in points]


def check_count(k):
    """A suggest request's ``k`` (suggestions per point): a whole number from 1 to MAX_SUGGESTIONS."""
    if not _whole(k) or not 1 <= k <= MAX_SUGGESTIONS:
        raise RequestError(REQUEST, "k %.20r is not from 1 to %d" % (k, MAX_SUGGESTIONS))
    return k
