"""What the live panel asks the worker for, and when (gimp_plugin/hintcolor/hintcolor_schedule.py)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "gimp_plugin", "hintcolor"))
from hintcolor_schedule import CANCEL, FULL, PREVIEW, SUGGEST, Schedule, changed_box, dirty_rect  # noqa: E402


def run(schedule, now, suggestions=False):
    """Start what the schedule asks for at ``now``; returns it."""
    job = schedule.next(now, suggestions)
    if job not in (None, CANCEL):
        schedule.started(job)
    return job


def test_a_change_gives_a_preview_then_suggestions_then_full_quality_after_a_pause():
    schedule = Schedule(pause=0.8)
    schedule.change(0.0)
    assert run(schedule, 0.1, suggestions=True) == (PREVIEW, 1)
    assert schedule.next(0.2) is None  # one request at a time
    schedule.finished(ok=True)
    assert run(schedule, 0.3, suggestions=True) == (SUGGEST, 1)
    schedule.finished(ok=True)
    assert schedule.next(0.5, suggestions=True) is None  # the user may still be painting
    assert run(schedule, 0.9, suggestions=True) == (FULL, 1)
    schedule.finished(ok=True)
    assert schedule.done() and schedule.next(5.0, suggestions=True) is None


def test_changes_during_a_request_are_not_queued_and_stale_full_quality_is_cancelled():
    schedule = Schedule(pause=0.8)
    schedule.change(0.0)
    run(schedule, 0.0)
    for t in (0.1, 0.2, 0.3):  # three strokes while the preview runs: it finishes, then one preview of the newest
        schedule.change(t)
        assert schedule.next(t) is None
    schedule.finished(ok=True)
    assert run(schedule, 0.4) == (PREVIEW, 4)
    schedule.finished(ok=True)
    assert run(schedule, 1.3) == (FULL, 4)
    schedule.change(1.4)
    assert schedule.next(1.4) == CANCEL
    schedule.finished(ok=False, cancelled=True)
    assert run(schedule, 1.5) == (PREVIEW, 5)


def test_a_failed_version_is_not_retried_until_the_next_change():
    schedule = Schedule()
    schedule.change(0.0)
    run(schedule, 0.0)
    schedule.finished(ok=False)
    assert schedule.next(10.0) is None
    schedule.change(11.0)
    assert run(schedule, 11.0) == (PREVIEW, 2)


def test_pause_holds_updates_and_apply_asks_for_full_quality_at_once():
    schedule = Schedule(pause=0.8)
    schedule.paused = True
    schedule.change(0.0)
    assert schedule.next(5.0) is None
    schedule.finishing = True  # Apply: the newest hints at full quality, whatever the pause
    assert run(schedule, 5.0, suggestions=True) == (FULL, 1)
    schedule.finished(ok=True)
    assert schedule.done()


def test_the_last_dot_is_where_the_layer_changed():
    """Two dots in one band of rows share a patch: the change, not the patch, locates the new one."""
    from hintcolor.worker.protocol import painted_patches

    width, height = 300, 100
    old = bytearray(width * height * 4)
    for x in range(10, 16):  # a first dot at x 10..15, rows 20..25
        for y in range(20, 26):
            old[(y * width + x) * 4:(y * width + x) * 4 + 4] = b"\xff\x00\x00\xff"
    new = bytearray(old)
    new[(30 * width + 200) * 4 + 3] = 1  # one faint pixel at (200, 30)
    boxes = painted_patches(bytes(old), width, height)[0] + painted_patches(bytes(new), width, height)[0]
    assert changed_box(bytes(old), bytes(new), width, boxes) == (200, 30, 201, 31)
    assert changed_box(bytes(new), bytes(old), width, boxes) == (200, 30, 201, 31)  # erased
    assert changed_box(bytes(old), bytes(old), width, boxes) is None


def box_thumbnail(layer, size):
    """A thumbnail as GIMP makes one: each pixel the mean of its cell of the layer (H×W×4 uint8)."""
    import numpy as np

    height, width = layer.shape[:2]
    ys = (np.arange(size[1] + 1) * height) // size[1]
    xs = (np.arange(size[0] + 1) * width) // size[0]
    sums = np.add.reduceat(np.add.reduceat(layer.astype(np.int64), ys[:-1], 0), xs[:-1], 1)
    cells = np.diff(ys)[:, None, None] * np.diff(xs)[None, :, None]
    return (sums / cells).round().astype(np.uint8).tobytes()


def test_a_preview_reads_only_the_part_of_the_layer_whose_thumbnail_changed():
    """A 1-pixel dot on a 2000×1500 layer moves its 512×384 thumbnail: the part read holds the dot
    and is a few cells of the thumbnail, also at the layer's edges; nothing changed, nothing read."""
    import numpy as np

    size, thumbnail_size = (2000, 1500), (512, 384)
    layer = np.zeros((1500, 2000, 4), np.uint8)
    layer[100:110, 200:210] = 255  # an earlier dot
    before = box_thumbnail(layer, thumbnail_size)
    assert dirty_rect(before, before, size, thumbnail_size) is None
    for x, y in ((1234, 1345), (0, 0), (1999, 1499)):
        painted = layer.copy()
        painted[y, x] = (255, 0, 0, 255)  # moves its thumbnail pixel by one level of alpha at least
        x0, y0, w, h = dirty_rect(before, box_thumbnail(painted, thumbnail_size), size, thumbnail_size)
        assert x0 <= x < x0 + w and y0 <= y < y0 + h and 0 <= x0 and x0 + w <= 2000 and 0 <= y0 and y0 + h <= 1500
        assert w <= 5 * 2000 / 512 + 2 and h <= 5 * 1500 / 384 + 2  # 5 cells, rounded out
