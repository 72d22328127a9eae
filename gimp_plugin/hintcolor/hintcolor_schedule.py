"""When the live panel asks the worker for what: a preview right after each change of the hint
layer, the suggestions for the last painted dot, the full-quality result once the user pauses.

Pure logic (standard library, times passed in), so it is tested without GIMP. At most one request
runs at a time and none waits in a queue: what is asked next is decided when the running one ends,
for the newest state of the hint layer, so stale work is never done. A running suggestion or
full-quality request made stale by a new change is cancelled; a running preview is let finish
(it is short, and shows the user something close).
"""

PREVIEW, FULL, SUGGEST = "preview", "full", "suggest"
CANCEL = "cancel"
FAILED = "failed"


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
