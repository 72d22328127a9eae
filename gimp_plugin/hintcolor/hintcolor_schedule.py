"""When the live panel asks the worker for what: a preview right after each change of the hint
layer, the suggestions for the last painted dot, the full-quality result once the user pauses;
where that last dot is (:func:`changed_box`), and which part of the hint layer a preview reads
(:func:`dirty_rect`).

Pure logic (standard library, times passed in), so it is tested without GIMP. At most one request
runs at a time and none waits in a queue: what is asked next is decided when the running one ends,
for the newest state of the hint layer, so stale work is never done. A running suggestion or
full-quality request made stale by a new change is cancelled; a running preview is let finish
(it is short, and shows the user something close).
"""
import math

PREVIEW, FULL, SUGGEST = "preview", "full", "suggest"
CANCEL = "cancel"
FAILED = "failed"


def changed_box(old, new, width, boxes):
    """The bounding box (x0, y0, x1, y1), end exclusive, of the pixels that differ between two RGBA
    u8 layers ``old`` and ``new`` (bytes, ``width`` pixels a row) within ``boxes`` ([x, y, w, h]
    rectangles holding every difference, e.g. both layers' painted patches); None if none differs."""
    stride = width * 4
    found = None
    for x, y, w, h in boxes:
        for row in range(y, y + h):
            start = row * stride + x * 4
            a, b = old[start:start + w * 4], new[start:start + w * 4]
            if a == b:
                continue
            first, last = _mismatch(a, b) // 4, (len(a) - 1 - _mismatch(a[::-1], b[::-1])) // 4
            box = (x + first, row, x + last + 1, row + 1)
            found = box if found is None else (min(found[0], box[0]), min(found[1], box[1]),
                                               max(found[2], box[2]), max(found[3], box[3]))
    return found


def dirty_rect(old, new, size, thumbnail_size, margin=2):
    """The rectangle [x, y, w, h] of a ``size`` (width, height) RGBA layer holding every pixel that
    changed between two of its thumbnails ``old`` and ``new`` (RGBA u8 bytes of ``thumbnail_size``),
    ``margin`` thumbnail pixels wider on each side (a thumbnail pixel averages its cell of the layer
    and may reach into the next); None if the thumbnails are equal. A change too faint to move a
    thumbnail pixel is not in it: for previews (the full-quality result reads the whole layer)."""
    (width, height), (thumb_width, thumb_height) = size, thumbnail_size
    box = changed_box(old, new, thumb_width, [(0, 0, thumb_width, thumb_height)])
    if box is None:
        return None
    scale_x, scale_y = float(width) / thumb_width, float(height) / thumb_height
    x0, y0 = max(0, int((box[0] - margin) * scale_x)), max(0, int((box[1] - margin) * scale_y))
    x1 = min(width, int(math.ceil((box[2] + margin) * scale_x)))
    y1 = min(height, int(math.ceil((box[3] + margin) * scale_y)))
    return [x0, y0, x1 - x0, y1 - y0]


def _mismatch(a, b):
    """Index of the first differing byte of two different byte strings of one length (bisection on
    prefixes: C-speed comparisons)."""
    low, high = 0, len(a)  # a[:low] == b[:low], a[:high] != b[:high]
    while high - low > 1:
        middle = (low + high) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle
    return low


class Schedule(object):
    """The live panel's state: ``version`` counts the changes seen; ``shown`` is (kind, version) of
    what the result layer shows (kind ``FAILED`` when that version's request failed: not retried
    until the next change); ``running`` is (kind, version) of the request in progress."""

    def __init__(self, pause=0.8):
        self.pause = pause
        self.version = 0
        self.changed_at = 0.0
        self.shown = None
        self.running = None
        self.suggested = 0
        self.paused = False
        self.finishing = False

    def change(self, now):
        """The hint layer changed (or the panel opened) at time ``now`` (seconds)."""
        self.version += 1
        self.changed_at = now

    def next(self, now, suggestions=False):
        """What to do at time ``now``: (kind, version) to start, ``CANCEL`` (the running request is
        stale: cancel it), or None. ``suggestions``: whether suggestions are wanted for this version."""
        if self.running is not None:
            kind, version = self.running
            return CANCEL if kind != PREVIEW and version < self.version else None
        if self.paused and not self.finishing:
            return None
        if self.shown is None or self.shown[1] < self.version:
            return (FULL if self.finishing else PREVIEW), self.version
        if suggestions and self.suggested < self.version and not self.finishing:
            return SUGGEST, self.version
        if self.shown[0] == PREVIEW and (self.finishing or now - self.changed_at >= self.pause):
            return FULL, self.version
        return None

    def started(self, job):
        self.running = job
        if job[0] == SUGGEST:
            self.suggested = job[1]

    def finished(self, ok, cancelled=False):
        """The running request ended: ``ok`` (its result is shown), failed, or ``cancelled``."""
        kind, version = self.running
        self.running = None
        if cancelled or kind == SUGGEST:
            return
        self.shown = (kind if ok else FAILED, version)

    def done(self):
        """Whether the full-quality result of the newest version is shown (Apply can write it)."""
        return self.running is None and self.shown == (FULL, self.version)
