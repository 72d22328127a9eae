"""Hints: colors, painted hint images, encoding on the working grid, the JSON format."""
import json

import numpy as np
import pytest
from skimage import color as skcolor

from hintcolor import AB, Hint, hints_from_image, load_hints, save_hints
from hintcolor.errors import InputError
from hintcolor.hints import encode_hints


def _ab_of(rgb):
    return skcolor.rgb2lab(np.array([[rgb]]) / 255.0)[0, 0, 1:]


@pytest.mark.parametrize("color", ["#2e7d32", "2E7D32", (46, 125, 50)])
def test_rgb_colors_give_the_lab_chroma_of_that_color(color):
    hint = Hint(10, 20, color)
    assert hint.color == "#2e7d32"
    assert np.allclose(hint.ab, _ab_of((46, 125, 50)), atol=1e-3)


def test_a_hint_first_read_under_autocast_keeps_its_exact_chroma():
    """A hint's chroma is computed when first needed (making one needs no PyTorch), which may be while the
    network runs under bf16 autocast: it is the same float32 chroma as anywhere else."""
    import torch

    with torch.autocast("cpu", torch.bfloat16):
        inside = Hint(0, 0, "#2e7d32").ab
    assert inside == Hint(0, 0, "#2e7d32").ab and np.allclose(inside, _ab_of((46, 125, 50)), atol=1e-3)


def test_short_hex_and_explicit_ab():
    assert Hint(0, 0, "#f00").color == "#ff0000"
    hint = Hint(0, 0, AB(30, -12.5))
    assert hint.ab == (30, -12.5) and hint.color == AB(30, -12.5)


@pytest.mark.parametrize("bad", ["green", "#12345", (1, 2), (0, 0, 256), (0.5, 0, 0)])
def test_bad_colors_are_clear_errors(bad):
    with pytest.raises(InputError, match="color"):
        Hint(0, 0, bad)


def test_parse_command_line_form():
    hint = Hint.parse("120, 80,#2e7d32,5")
    assert (hint.x, hint.y, hint.color, hint.size) == (120, 80, "#2e7d32", 5)
    assert Hint.parse("1,2,#000000").size == 1
    for bad in ["1,2", "a,2,#000000", "1,2,#000000,big", "1,2,#000000,0"]:
        with pytest.raises(InputError):
            Hint.parse(bad)


def test_a_3px_dot_on_a_12_megapixel_canvas_reaches_the_network():
    canvas = np.zeros((3000, 4000, 4), np.uint8)
    canvas[1500:1503, 2500:2503] = (200, 40, 40, 255)
    hints = hints_from_image(canvas, cell=11)
    ab, mask = encode_hints(hints, (4000, 3000), (344, 256))
    ys, xs = np.nonzero(mask[0].numpy())
    assert len(ys) >= 1
    assert np.allclose(ys.mean(), 1501.5 * 256 / 3000, atol=1) and np.allclose(xs.mean(), 2501.5 * 344 / 4000, atol=1)
    assert np.allclose(ab[:, ys, xs].numpy().T, _ab_of((200, 40, 40)), atol=1e-3)


def test_soft_edges_do_not_dilute_the_painted_color():
    canvas = np.zeros((64, 64, 4), np.uint8)
    canvas[20:31, 20:31, :3] = (0, 0, 0)  # transparent black around …
    canvas[20:31, 20:31, 3] = 40  # … a faint antialiased rim
    canvas[22:29, 22:29] = (30, 90, 200, 255)  # the solid dot
    canvas[20:31, 20:31, :3] = (30, 90, 200)  # GIMP keeps the brush color in the rim
    canvas[0:5, 0:5] = (255, 0, 0, 0)  # fully transparent garbage color
    hints = hints_from_image(canvas, cell=64)
    assert len(hints) == 1
    assert np.allclose(hints[0].ab, _ab_of((30, 90, 200)), atol=1e-3)
    assert (hints[0].x, hints[0].y) == (25, 25) and hints[0].size == 11


def test_strokes_of_different_colors_stay_separate():
    canvas = np.zeros((400, 600, 4), np.uint8)
    canvas[50:60, 40:300] = (20, 160, 40, 255)  # a long green stroke
    canvas[300:305, 500:505] = (220, 200, 30, 255)  # a yellow dot
    hints = hints_from_image(canvas, cell=20)
    green = [h for h in hints if h.y < 100]
    yellow = [h for h in hints if h.y > 100]
    assert len(green) >= 13 and len(yellow) == 1  # the stroke is followed along its length
    assert min(h.x for h in green) < 50 and max(h.x for h in green) > 285
    assert all(np.allclose(h.ab, _ab_of((20, 160, 40)), atol=1e-3) for h in green)
    assert np.allclose(yellow[0].ab, _ab_of((220, 200, 30)), atol=1e-3)


def test_empty_hint_layer_gives_no_hints():
    assert hints_from_image(np.zeros((10, 10, 4), np.uint8)) == []
    with pytest.raises(InputError, match="RGBA"):
        hints_from_image(np.zeros((10, 10, 3), np.uint8))


def test_encoding_patch_size_and_overlap_average():
    hints = [Hint(40, 40, AB(10, 20), size=20), Hint(44, 40, AB(30, 40), size=1)]
    ab, mask = encode_hints(hints, (100, 100), (50, 50))
    assert mask.sum() == 10 * 10  # 20 px at scale 0.5; the second hint falls inside the first
    assert ab[:, 20, 22].tolist() == [20, 30]  # overlap: mean of both
    assert ab[:, 20, 18].tolist() == [10, 20]
    assert ab[:, 0, 0].tolist() == [0, 0] and mask[0, 0, 0] == 0


def test_hints_at_the_border_stay_inside_and_outside_is_an_error():
    ab, mask = encode_hints([Hint(99, 0, AB(5, 5), size=9)], (100, 100), (8, 8))
    assert mask[0, 0, 7] == 1
    with pytest.raises(InputError, match="outside the 100×100 image"):
        encode_hints([Hint(100, 5, AB(0, 0))], (100, 100), (8, 8))


def test_json_round_trip(tmp_path):
    hints = [Hint(1.5, 2, "#2e7d32", 3), Hint(4, 5, AB(-7.25, 8))]
    path = tmp_path / "h.json"
    save_hints(path, hints, image_size=(640, 480))
    loaded, size = load_hints(path)
    assert loaded == hints and size == (640, 480)
    assert json.loads(path.read_text())["version"] == 1


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ('{"hints": []}', "not a hintcolor hints file"),
        ('{"format": "hintcolor.hints", "version": 99, "hints": []}', "upgrade hintcolor"),
        ('{"format": "hintcolor.hints", "version": 1, "hints": [{"x": 1}]}', "malformed hint"),
        ('{"format": "hintcolor.hints", "version": 1, "hints": [{"x": 1, "y": 1, "color": "red"}]}', "#rrggbb"),
    ],
)
def test_bad_hint_files(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        load_hints(path)


def test_scaling_hints_to_another_size():
    hint = Hint(99.5, 49.5, "#ffffff", size=2).scaled(2, 2)
    assert (hint.x, hint.y, hint.size) == (199.5, 99.5, 4)
