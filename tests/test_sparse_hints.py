"""A hint layer sent as its painted patches, and a photo the worker keeps (protocol 4): exactly
the results of the whole layers, which the live panel and Ctrl+F in GIMP rely on."""
import collections

import numpy as np
import pytest

from hintcolor.worker.client import WorkerClient, WorkerError
from hintcolor.worker.pixels import unpack_patches
from hintcolor.worker.protocol import SESSION, painted_patches

from test_server import _colorize, _photo_rgba, worker  # noqa: F401 (the fixture)


def _round_trip(layer):
    height, width = layer.shape[:2]
    boxes, chunks = painted_patches(layer.tobytes(), width, height)
    return boxes, unpack_patches(boxes, b"".join(chunks), width, height)


def test_single_faint_pixels_anywhere_are_found():
    """A 1-pixel dot of alpha 1 in a corner, at an edge, in the middle: the layer comes back exactly."""
    rng = np.random.default_rng(0)
    for y, x in [(0, 0), (0, 299), (199, 0), (199, 299), (63, 64), (64, 63), (100, 150)]:
        layer = np.zeros((200, 300, 4), np.uint8)
        layer[y, x] = (0, 0, 0, 1)
        boxes, back = _round_trip(layer)
        assert boxes == [[x, y, 1, 1]]
        assert np.array_equal(back, layer)
    for _ in range(20):  # scattered dots, strokes, and erased paint (colour left under alpha 0)
        layer = np.zeros((257, 301, 4), np.uint8)
        for _ in range(rng.integers(1, 12)):
            y, x = rng.integers(0, 257), rng.integers(0, 301)
            layer[y:y + rng.integers(1, 30), x:x + rng.integers(1, 30)] = rng.integers(0, 256, 4)
        boxes, back = _round_trip(layer)
        assert np.array_equal(back, layer)
        assert sum(w * h for _, _, w, h in boxes) < layer.shape[0] * layer.shape[1]


def test_an_empty_layer_has_no_patches():
    assert _round_trip(np.zeros((70, 90, 4), np.uint8))[0] == []


def _sparse_colorize(client, photo, hints, offset=(0, 0), session=None, kept=False):
    height, width = photo.shape[:2]
    boxes, chunks = painted_patches(hints.tobytes(), hints.shape[1], hints.shape[0])
    header = {"op": "colorize", "photo": {"width": width, "height": height, "format": "u8", "kept": kept},
              "hints": {"width": hints.shape[1], "height": hints.shape[0], "x": offset[0], "y": offset[1],
                        "patches": boxes},
              "options": {"device": "cpu", "work_size": 64}}
    if session:
        header["session"] = session
    reply, data = client.request(header, ([] if kept else [photo.tobytes()]) + chunks)
    return reply, np.frombuffer(data, np.uint8).reshape(height, width, reply["channels"])


def test_sparse_hints_and_a_kept_photo_give_the_whole_layers_result(worker):  # noqa: F811
    client = WorkerClient(folder=worker.folder)
    photo = _photo_rgba()
    hints = np.zeros((100, 150, 4), np.uint8)
    hints[10:16, 10:16] = (220, 30, 30, 255)
    hints[70, 140] = (30, 200, 30, 1)  # one faint pixel far from the rest
    hints[40:44, 60:64, :3] = 90  # erased paint: colour under alpha 0
    _, whole = _colorize(client, photo, hints, offset=(20, 10))
    _, sparse = _sparse_colorize(client, photo, hints, offset=(20, 10), session="live-1")
    assert np.array_equal(sparse, whole)
    _, kept = _sparse_colorize(client, photo, hints, offset=(20, 10), session="live-1", kept=True)
    assert np.array_equal(kept, whole)
    hints[70, 140] = 0  # the faint pixel counted: without it the result differs
    _, without = _sparse_colorize(client, photo, hints, offset=(20, 10), session="live-1", kept=True)
    assert not np.array_equal(without, whole)


def test_a_photo_the_worker_does_not_keep_is_asked_for_again(worker):  # noqa: F811
    client = WorkerClient(folder=worker.folder)
    photo, hints = _photo_rgba(), np.zeros((128, 192, 4), np.uint8)
    with pytest.raises(WorkerError) as error:
        _sparse_colorize(client, photo, hints, session="never-sent", kept=True)
    assert error.value.code == SESSION
    _sparse_colorize(client, photo, hints, session="a")
    with pytest.raises(WorkerError) as error:  # another size than the one kept
        _sparse_colorize(client, photo[:64], hints[:64], session="a", kept=True)
    assert error.value.code == SESSION


def test_patches_outside_the_hint_layer_are_refused(worker):  # noqa: F811
    """Refused by its header alone, before the worker reads its body: the refusal reaches the client
    every time (repeated: it used to lose the race with the rest of the request now and then, and the
    client said "the hintcolor worker stopped during the request")."""
    client = WorkerClient(folder=worker.folder)
    header = {"op": "colorize", "photo": {"width": 4, "height": 4, "format": "u8", "channels": 1},
              "hints": {"width": 4, "height": 4, "x": 0, "y": 0, "patches": [[3, 3, 2, 1]]}, "options": {}}
    said = collections.Counter()
    for _ in range(300):
        with pytest.raises(WorkerError) as error:
            client.request(header, [b"\x80" * 16, b"\x00" * 8])
        said[str(error.value)] += 1
    assert list(said) == ["the patch [3, 3, 2, 1] is not inside the hint layer"], said
    assert client.hello()[1]["ok"]
