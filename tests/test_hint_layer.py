"""Hint layers ↔ hints documents: export replays exactly, import paints dots that give back the
same hints (what GIMP's Export Hints… / Import Hints… will call)."""
import json

import numpy as np
import pytest
from skimage import data
from skimage.transform import resize

from hintcolor import AB, Colorizer, Hint
from hintcolor.errors import InputError
from hintcolor.hint_layer import Dot, export_hints, hint_dots, import_hints, paint_hint_layer
from hintcolor.hints import hints_document, read_hints_document, rgb_to_ab

WIDTH, HEIGHT = 200, 150


@pytest.fixture(scope="module")
def small_colorizer(weights_file):
    return Colorizer(weights_file, device="cpu", work_size=64)  # a 85×64 grid: 2×2-pixel cells


@pytest.fixture(scope="module")
def photo():
    return resize(data.camera(), (HEIGHT, WIDTH), anti_aliasing=True).astype(np.float32)


def painted_layer() -> np.ndarray:
    """Dots and a stroke as a person paints them, with a soft (half-transparent) edge."""
    layer = np.zeros((HEIGHT, WIDTH, 4), dtype=np.uint8)
    layer[40:45, 60:65] = (40, 140, 60, 255)
    layer[100:102, 20:90] = (200, 60, 40, 255)
    layer[99, 20:90] = (200, 60, 40, 120)
    layer[10, 190] = (30, 60, 200, 255)
    return layer


def _json_round_trip(document: dict) -> dict:
    return json.loads(json.dumps(document))


def test_exported_hints_replay_exactly(small_colorizer, photo):
    layer = painted_layer()
    document = _json_round_trip(export_hints(layer, small_colorizer))
    assert document["image_size"] == [WIDTH, HEIGHT] and len(document["hints"]) > 3
    hints, size = read_hints_document(document, "exported.json")
    from_layer = small_colorizer.colorize_array(photo, hint_image=layer)
    from_file = small_colorizer.colorize_array(photo, hints)
    assert np.array_equal(from_layer, from_file)


def test_imported_dots_give_back_the_painted_result(small_colorizer, photo):
    layer = painted_layer()
    document = _json_round_trip(export_hints(layer, small_colorizer))
    repainted = paint_hint_layer(import_hints(document, "exported.json", WIDTH, HEIGHT), WIDTH, HEIGHT)
    painted, again_painted = layer[..., 3] > 0, repainted[..., 3] > 0
    assert again_painted[painted].all() and again_painted.sum() < 1.1 * painted.sum()  # squares: a few more
    original = small_colorizer.colorize_array(photo, hint_image=layer)
    again = small_colorizer.colorize_array(photo, hint_image=repainted)
    difference = np.abs(original - again) * 255
    assert difference.mean() < 0.1 and difference.max() < 10  # squares, not the painted shapes: close, not equal


def test_a_hint_given_as_ab_is_painted_in_a_color_with_that_chroma():
    hints = [Hint(5, 5, AB(-30.0, 40.0), 3), Hint(20, 5, AB(60.0, -70.0)), Hint(30, 5, "#2e7d32", 2)]
    dots = hint_dots(hints, 40, 10)
    assert dots[0][:4] == (4, 4, 3, 3) and dots[1][:4] == (20, 5, 1, 1) and dots[2] == Dot(30, 5, 2, 2, (0x2E, 0x7D, 0x32))
    for hint, dot in zip(hints[:2], dots):
        assert rgb_to_ab(np.array([dot.rgb]) / 255)[0] == pytest.approx(hint.ab, abs=1.0)


def test_import_scales_a_document_saved_for_another_size():
    document = _json_round_trip(hints_document([Hint(10, 20, "#ff0000", 2)], image_size=(50, 40)))
    (dot,) = import_hints(document, "small.json", 200, 160)  # ×4
    assert dot == Dot(38, 78, 8, 8, (255, 0, 0))
    layer = paint_hint_layer([dot], 200, 160)
    assert layer[78:86, 38:46, 3].min() == 255 and layer[..., 3].sum() == 64 * 255


def test_import_refuses_what_is_not_a_hints_document():
    with pytest.raises(InputError, match="notes.json is not a hintcolor hints file"):
        import_hints({"hints": []}, "notes.json", 10, 10)
    outside = hints_document([Hint(50, 5, "#ff0000")], image_size=None)
    with pytest.raises(InputError, match="outside the 10×10 image"):
        import_hints(outside, "far.json", 10, 10)
