"""Suggest Hint Colors, Export Hints... and Import Hints... in the real GIMP 3.0 and 3.2, headless.

The worker runs weights whose hints pull colors toward them (so a round trip of hints shows in
the result) and whose distribution head is set by hand: everywhere it believes SUGGEST_PEAKS, so
the palette's entries are known exactly.
"""
import json
import os

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from skimage import color as skcolor

from conftest import SUGGEST_PEAKS, photo_path
from gimp.harness import GIMPS, start_worker
from test_gimp import _ab_distance, _raw, gimp_session
from waiting import wait_for

CHROOT_WORK = os.environ.get("HINTCOLOR_GIMP_TEST_DIR", "/tmp/hintcolor-test-hints")
GRAY = 120  # L* ≈ 50: the suggested chromas can be shown as they are


@pytest.fixture(scope="module", params=GIMPS, ids=lambda env: f"gimp{env.version}")
def gimp(request, suggest_weights_file):
    with gimp_session(request.param, suggest_weights_file, CHROOT_WORK) as run:
        Image.new("L", (256, 192), GRAY).save(run.host / "gray.png")
        Image.open(photo_path("kodim23.png")).convert("L").save(run.host / "photo.png")
        yield run


READ_PALETTE = '''
        palette = Gimp.context_get_palette()
        out["palette"] = palette.get_name()
        def entry_name(i):
            name = palette.get_entry_name(i)
            return name[1] if isinstance(name, tuple) else name
        out["entries"] = [[entry_name(i), list(palette.get_entry_color(i).get_rgba())]
                          for i in range(palette.get_color_count())]
'''


def _expected_entries(points):
    """(name, sRGB 0..255) for each point and each peak, most likely first, at the gray's L*."""
    l = skcolor.rgb2lab(np.full((1, 1, 3), GRAY / 255))[0, 0, 0]
    entries = []
    for x, y in points:
        for (a, b), p in sorted(SUGGEST_PEAKS.items(), key=lambda item: -item[1]):
            rgb = skcolor.lab2rgb(np.array([[[l, a, b]]]))[0, 0] * 255
            entries.append((f"({x}, {y}) {round(100 * p)} %", rgb))
    return entries


def _srgb(linear):
    linear = np.clip(np.array(linear[:3]), 0, 1)
    return 255 * np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


def _check_palette(out, points):
    assert out["palette"] == "hintcolor suggestions"
    expected = _expected_entries(points)
    assert [name for name, _ in out["entries"]] == [name for name, _ in expected]
    for (_, color), (_, rgb) in zip(out["entries"], expected):
        assert np.abs(_srgb(color) - rgb).max() < 2.5, (color, rgb)


def test_suggest_fills_the_palette_at_sample_points_or_at_painted_dots(gimp):
    out, _ = gimp('''
        image = load("gray.png")
        photo = image.get_layers()[0]
        image.add_sample_point(40, 50)
        image.add_sample_point(200, 100)
        out["points"] = run("plug-in-hintcolor-suggest", image, [photo])
''' + READ_PALETTE + '''
        out["points_entries"] = out["entries"]
        out["again"] = run("plug-in-hintcolor-suggest", image, [photo])  # replaces, not appends
        out["again_count"] = Gimp.context_get_palette().get_color_count()
        image, photo, hint = with_hint_layer("gray.png")
        paint(hint, 100, 60, 5, [200, 40, 40, 255])
        out["dots"] = run("plug-in-hintcolor-suggest", image, [hint], count=1)
''' + READ_PALETTE + '''
        image.remove_layer(hint)
        out["nothing"] = run("plug-in-hintcolor-suggest", image, [photo])
        photo.resize(100, 100, 0, 0)
        image.add_sample_point(150, 150)
        out["off_photo"] = run("plug-in-hintcolor-suggest", image, [photo])
    ''')
    assert out["points"] == out["again"] == out["dots"] == "success"
    _check_palette(dict(out, entries=out["points_entries"]), [(40, 50), (200, 100)])
    assert out["again_count"] == 4
    assert [name for name, _ in out["entries"]] == ["(102, 62) 65 %"]  # the dot's centre, count=1
    assert out["nothing"] == "execution-error"
    assert out["off_photo"] == "calling-error"
    assert out["errors"] == ["No sample point and no painted dot: add a sample point (Ctrl+click on a ruler and "
                             "drag) or paint dots on the hint layer, then run Suggest Hint Colors again",
                             'No sample point lies on the photo layer "Background": move one onto it, or delete '
                             "them to get suggestions at the painted dots."]


def _dot_centres(layer):
    """(x, y) centre of each painted patch of an RGBA layer, in reading order."""
    labels, count = ndimage.label(layer[..., 3] > 0)
    centres = ndimage.center_of_mass(labels > 0, labels, range(1, count + 1))
    return np.array(sorted((x + 0.5, y + 0.5) for y, x in centres))


def test_round_trip_paint_export_import_colorize(gimp):
    out, _ = gimp('''
        image, photo, hint = with_hint_layer("photo.png")
        paint(hint, 600, 100, 5, [40, 90, 230, 255])
        paint(hint, 500, 30, 3, [230, 200, 30, 255])
        paint(hint, 200, 300, 9, [40, 180, 60, 255])
        out["original"] = run("plug-in-hintcolor-colorize", image, [photo], **{"hint-layer": hint, "device": "cpu"})
        out["size"] = dump("original.raw", image.get_layer_by_name("Colorized (hintcolor)"))
        hints_file = Gio.File.new_for_path(WORK + "/hints.json")
        out["export"] = run("plug-in-hintcolor-export-hints", image, [hint], file=hints_file)
        out["import"] = run("plug-in-hintcolor-import-hints", image, [photo], file=hints_file)
        imported = image.get_selected_layers()[0]
        out["imported"] = [imported.get_name(), names(image),
                           json.loads(bytes(imported.get_parasite("hintcolor-hints").get_data()).decode())
                           == photo.get_tattoo()]
        out["again"] = run("plug-in-hintcolor-colorize", image, [photo], **{"hint-layer": imported, "device": "cpu"})
        dump("replayed.raw", image.get_layer_by_name("Colorized (hintcolor)"))
        small = load("photo.png")
        small.scale(384, 256)
        out["scaled"] = run("plug-in-hintcolor-import-hints", small, [small.get_layers()[0]], file=hints_file)
        out["scaled_size"] = dump("scaled.raw", small.get_selected_layers()[0])
        out["hint_size"] = dump("hint.raw", hint)
    ''')
    assert [out["original"], out["export"], out["import"], out["again"], out["scaled"]] == ["success"] * 5
    document = json.loads((gimp.host / "hints.json").read_text())
    assert document["format"] == "hintcolor.hints" and document["image_size"] == [768, 512]
    assert out["imported"][0] == "Color Hints (hints.json)" and out["imported"][2]
    assert out["imported"][1] == ["Color Hints (hints.json)", "Color Hints", "Colorized (hintcolor)", "Background"]
    original, replayed = _raw(gimp, "original.raw", out["size"]), _raw(gimp, "replayed.raw", out["size"])
    difference = np.abs(original[..., :3].astype(int) - replayed[..., :3])
    assert difference.mean() < 1.0 and np.percentile(difference, 99.9) <= 8, (difference.mean(), difference.max())
    for x, y, color in [(602, 102, (40, 90, 230)), (501, 31, (230, 200, 30)), (204, 304, (40, 180, 60))]:
        assert abs(_ab_distance(replayed[y, x, :3], color) - _ab_distance(original[y, x, :3], color)) < 3
    hint, scaled = _raw(gimp, "hint.raw", out["hint_size"]), _raw(gimp, "scaled.raw", out["scaled_size"])
    assert out["scaled_size"] == [384, 256]
    painted, halved = _dot_centres(hint), _dot_centres(scaled)
    assert len(halved) == 3 and np.abs(halved - painted / 2).max() < 1.5  # the dots where they were, at half size


def test_bad_hints_files_are_one_message_and_change_nothing(gimp):
    (gimp.host / "bad.json").write_text("{not json")
    (gimp.host / "other.json").write_text('{"format": "something else"}')
    out, _ = gimp('''
        image = load("photo.png")
        photo = image.get_layers()[0]
        for name in ("bad.json", "other.json", "missing.json"):
            out[name] = run("plug-in-hintcolor-import-hints", image, [photo], file=Gio.File.new_for_path(WORK + "/" + name))
        out["layers"] = names(image)
        out["export"] = run("plug-in-hintcolor-export-hints", image, [photo], file=Gio.File.new_for_path(WORK + "/x.json"))
    ''')
    assert out["bad.json"] == out["other.json"] == "execution-error"
    assert out["missing.json"] == out["export"] == "calling-error"
    assert out["layers"] == ["Background"]
    assert out["errors"][0].startswith("%s/bad.json is not a hints file (not JSON" % CHROOT_WORK)
    assert out["errors"][1] == '%s/other.json is not a hintcolor hints file (no "format": "hintcolor.hints")' % CHROOT_WORK
    assert "missing.json" in out["errors"][2] or "file" in out["errors"][2]  # GIMP itself refuses a missing file
    assert out["errors"][3].startswith("The photo has no hint layer")
    assert all("\n" not in error for error in out["errors"]) and len(out["errors"]) == 4
    assert not (gimp.host / "x.json").exists()


def test_colorize_passes_the_snap_toggle(gimp):
    log = gimp.host / "worker.log"
    seen = len(log.read_text())
    out, _ = gimp('''
        image = load("photo.png")
        photo = image.get_layers()[0]
        run("plug-in-hintcolor-add-hint-layer", image, [photo])
        paint(image.get_layer_by_name("Color Hints"), 300, 200, 5, [40, 250, 40, 255])
        out["on"] = run("plug-in-hintcolor-colorize", image, [photo], device="cpu")
        out["off"] = run("plug-in-hintcolor-colorize", image, [photo], **{"device": "cpu", "snap-hints": False})
    ''')
    assert out["on"] == out["off"] == "success"
    requests = [line for line in log.read_text()[seen:].splitlines() if "colorize" in line and "snap_hints" in line]
    assert ["'snap_hints': True" in requests[0], "'snap_hints': False" in requests[1]] == [True, True]


def test_suggest_without_weights_is_one_message(gimp):
    """Last in the module: replaces the worker by one without weights."""
    gimp.worker.terminate()
    gimp.worker.wait(10)
    with open(gimp.host / "worker-noweights.log", "w") as log:
        env = dict(os.environ, HINTCOLOR_WEIGHTS=str(gimp.host / "no-weights.pth"))
        gimp.worker = start_worker(gimp.host, None, log, env=env)
        wait_for(lambda: (gimp.host / "state" / "worker.json").exists(), 60, "the worker without weights to start")
        out, _ = gimp('''
            image = load("gray.png")
            photo = image.get_layers()[0]
            image.add_sample_point(10, 10)
            out["status"] = run("plug-in-hintcolor-suggest", image, [photo])
        ''')
    assert out["status"] == "execution-error"
    assert len(out["errors"]) == 1 and out["errors"][0].startswith(
        "Color suggestions need the network's weights, which are not installed for the worker (README: Weights")
