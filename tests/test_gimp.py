"""The GIMP 3 plug-in in the real GIMP 3.0.4 and 3.2.6, headless, driven through its PDB.

GIMP runs in the Debian trixie and forky chroots built by tests/gimp/build_gimp_env.sh (.ci/run
builds them); the plug-in is installed there by install.py and talks to a real worker (hintcolor
serve) on this machine, started with weights in the official layout whose hints pull colors toward
them. tests/test_gimp_window.py drives the same GIMPs through their window.
"""
import contextlib
import json
import os
import re
import signal
import subprocess
import textwrap
import threading
import time

import numpy as np
import pytest
from PIL import Image
from skimage import color as skcolor

from conftest import photo_path
from plugin_modules import shared_module
from hintcolor.worker.client import WorkerClient
from gimp.harness import GIMPS, serve, worker_for

table = shared_module("hintcolor_procedures")

CHROOT_WORK = os.environ.get("HINTCOLOR_GIMP_TEST_DIR", "/tmp/hintcolor-test")

PRELUDE = '''
import array, json, time, traceback
out = {}
pdb = Gimp.get_pdb()
WORK = %r

def run(name, image, drawables, **props):
    p = pdb.lookup_procedure(name)
    cfg = p.create_config()
    cfg.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    cfg.set_property("image", image)
    cfg.set_core_object_array("drawables", drawables)
    for key, value in props.items():
        cfg.set_property(key, value)
    result = p.run(cfg)
    status = result.index(0).value_nick
    if status != "success" and result.length() > 1:
        out.setdefault("errors", []).append(result.index(1))
    return status

def pixels(drawable, fmt="R'G'B'A u8"):
    rect = Gegl.Rectangle.new(0, 0, drawable.get_width(), drawable.get_height())
    return bytes(drawable.get_buffer().get(rect, 1.0, fmt, Gegl.AbyssPolicy.NONE))

def dump(name, drawable, fmt="R'G'B'A u8"):
    with open(WORK + "/" + name, "wb") as f:
        f.write(pixels(drawable, fmt))
    return [drawable.get_width(), drawable.get_height()]

def paint(layer, x, y, size, rgba):
    buffer = layer.get_buffer()
    buffer.set(Gegl.Rectangle.new(x, y, size, size), "R'G'B'A u8", bytes(rgba) * (size * size))
    buffer.flush()
    layer.update(x, y, size, size)

def load(name):
    return Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(WORK + "/" + name))

def names(image):
    return [layer.get_name() for layer in image.get_layers()]

def with_hint_layer(name):
    """The image ``name`` loaded, its photo layer, and the hint layer Add Color Hint Layer gave it."""
    image = load(name)
    photo = image.get_layers()[0]
    run("plug-in-hintcolor-add-hint-layer", image, [photo])
    return image, photo, image.get_layer_by_name("Color Hints")

try:
%s
except Exception:
    out["error"] = traceback.format_exc()
with open(WORK + "/out.json", "w") as f:
    json.dump(out, f)
'''


@contextlib.contextmanager
def gimp_session(env, weights, work: str):
    """A worker on this machine (with ``weights``) and the plug-in installed in ``env``'s GIMP, with
    the chroot work folder ``work``; yields run(script) -> (out, console text)."""
    env.require()
    host = env.prepare(work)

    def run(body: str) -> tuple[dict, str]:
        script = PRELUDE % (work, textwrap.indent(textwrap.dedent(body), "    "))
        (host / "out.json").unlink(missing_ok=True)
        console = subprocess.run(env.console_command(work), input=script, capture_output=True, text=True,
                                 timeout=600)
        out = json.loads((host / "out.json").read_text())
        assert "error" not in out, out["error"] + console.stderr[-3000:]
        return out, console.stdout + console.stderr

    with worker_for(run, host, weights):
        yield run


@pytest.fixture(scope="module", params=GIMPS, ids=lambda env: f"gimp{env.version}")
def gimp(request, echo_weights_file):
    """A worker on this machine and the plug-in installed in the chroot's GIMP; yields run(script)."""
    with gimp_session(request.param, echo_weights_file, CHROOT_WORK) as run:
        yield run


def _ab_distance(rgb, color):
    """Distance in Lab a*b* (chroma: what a hint sets; the photo keeps its lightness)."""
    lab = skcolor.rgb2lab(np.array([[rgb, color]], float) / 255)[0]
    return float(np.hypot(*(lab[0, 1:] - lab[1, 1:])))


def _raw(gimp, name, size):
    return np.frombuffer((gimp.host / name).read_bytes(), np.uint8).reshape(size[1], size[0], 4)


def test_both_procedures_are_registered_and_add_hint_layer_converts_grayscale(gimp):
    Image.open(photo_path("kodim05.png")).convert("L").save(gimp.host / "gray.png")
    out, _ = gimp('''
        out["registered"] = [pdb.procedure_exists(n) for n in
                             ("plug-in-hintcolor-add-hint-layer", "plug-in-hintcolor-colorize")]
        image = load("gray.png")
        photo = image.get_layers()[0]
        out["before"] = str(image.get_base_type().value_nick)
        gray_before = pixels(photo, "Y' u8")
        out["status"] = run("plug-in-hintcolor-add-hint-layer", image, [photo])
        out["after"] = str(image.get_base_type().value_nick)
        out["layers"] = names(image)
        hint = image.get_layer_by_name("Color Hints")
        out["hint_size"] = [hint.get_width(), hint.get_height(), image.get_width(), image.get_height()]
        out["hint_alpha_max"] = max(pixels(hint)[3::4])
        out["selected"] = [layer.get_name() for layer in image.get_selected_layers()]
        out["photo_unchanged"] = pixels(photo, "Y' u8") == gray_before
    ''')
    assert out["registered"] == [True, True]
    assert out["status"] == "success"
    assert (out["before"], out["after"]) == ("gray", "rgb")
    assert out["layers"] == ["Color Hints", "Background"]
    assert out["hint_size"][:2] == out["hint_size"][2:]
    assert out["hint_alpha_max"] == 0
    assert out["selected"] == ["Color Hints"]
    assert out["photo_unchanged"]


def test_colorize_a_real_photo_with_painted_dots_then_rerun(gimp):
    Image.open(photo_path("kodim23.png")).convert("L").save(gimp.host / "photo.png")
    out, _ = gimp('''
        image = load("photo.png")
        photo = image.get_layers()[0]
        before = pixels(photo)
        run("plug-in-hintcolor-add-hint-layer", image, [photo])
        hint = image.get_layer_by_name("Color Hints")
        out["plain"] = run("plug-in-hintcolor-colorize", image, [photo], device="cpu")
        result = image.get_layer_by_name("Colorized (hintcolor)")
        out["plain_size"] = dump("plain.raw", result)
        paint(hint, 600, 100, 5, [40, 90, 230, 255])
        paint(hint, 500, 30, 3, [230, 200, 30, 255])
        image.set_selected_layers([hint])  # as after painting
        out["hinted"] = run("plug-in-hintcolor-colorize", image, [photo], **{"hint-layer": hint, "device": "cpu"})
        result = image.get_layer_by_name("Colorized (hintcolor)")
        out["hinted_size"] = dump("hinted.raw", result)
        out["offsets"] = list(result.get_offsets())[1:]
        out["layers"] = names(image)
        out["result_above_photo"] = image.get_item_position(result) + 1 == image.get_item_position(photo)
        out["photo_unchanged"] = pixels(photo) == before
        out["hint_unchanged"] = sum(pixels(hint)[3::4]) == 255 * (25 + 9)
        out["selected_after"] = [layer.get_name() for layer in image.get_selected_layers()]
        hinted = pixels(result)
        out["reruns"] = {}
        for label in ("photo", "hint layer", "result", "photo and hint layer"):
            selection = {"photo": [photo], "hint layer": [hint], "result": [result],
                         "photo and hint layer": [photo, hint]}[label]
            status = run("plug-in-hintcolor-colorize", image, selection, device="cpu")
            result = image.get_layer_by_name("Colorized (hintcolor)")
            out["reruns"][label] = [status, pixels(result) == hinted, len(names(image))]
        out["none"] = run("plug-in-hintcolor-colorize", image, [hint], device="cpu", hints="none")
        dump("none.raw", image.get_layer_by_name("Colorized (hintcolor)"))
    ''')
    assert out["plain"] == out["hinted"] == out["none"] == "success"
    assert out["selected_after"] == ["Color Hints"]  # as before the run: Ctrl+F does the same again
    # whichever of its layers is selected, the photo is colorized with its hint layer, the result replaced
    assert out["reruns"] == {label: ["success", True, 3] for label in out["reruns"]} and len(out["reruns"]) == 4
    assert (gimp.host / "none.raw").read_bytes() == (gimp.host / "plain.raw").read_bytes()
    assert out["layers"] == ["Color Hints", "Colorized (hintcolor)", "Background"]  # replaced, not stacked
    assert out["result_above_photo"] and out["photo_unchanged"] and out["hint_unchanged"]
    assert out["hinted_size"] == [768, 512] and out["offsets"] == [0, 0]
    plain, hinted = _raw(gimp, "plain.raw", out["plain_size"]), _raw(gimp, "hinted.raw", out["hinted_size"])
    for (x, y, color) in [(602, 102, (40, 90, 230)), (501, 31, (230, 200, 30))]:
        before, after = _ab_distance(plain[y, x, :3], color), _ab_distance(hinted[y, x, :3], color)
        assert after < 0.5 * before, (x, y, plain[y, x], hinted[y, x])


def test_offset_layers_alpha_a_selection_and_float_precision(gimp):
    out, _ = gimp('''
        image = Gimp.Image.new(600, 500, Gimp.ImageBaseType.RGB)
        photo_file = load("photo.png")
        photo = Gimp.Layer.new_from_drawable(photo_file.get_layers()[0], image)
        image.insert_layer(photo, None, 0)
        photo.add_alpha()
        photo.scale(400, 300, False)
        photo.set_offsets(50, 40)
        paint(photo, 0, 0, 20, [0, 0, 0, 0])  # a transparent corner
        hint = Gimp.Layer.new(image, "Color Hints", 100, 100, Gimp.ImageType.RGBA_IMAGE, 100, Gimp.LayerMode.NORMAL)
        image.insert_layer(hint, None, 0)
        hint.fill(Gimp.FillType.TRANSPARENT)
        hint.set_offsets(300, 200)
        paint(hint, 20, 20, 5, [40, 200, 60, 255])  # canvas (320, 220) = photo (270, 180)
        out["plain"] = run("plug-in-hintcolor-colorize", image, [photo], device="cpu", hints="none")
        dump("offset_plain.raw", image.get_layer_by_name("Colorized (hintcolor)"))
        out["status"] = run("plug-in-hintcolor-colorize", image, [photo], **{"hint-layer": hint, "device": "cpu"})
        result = image.get_layer_by_name("Colorized (hintcolor)")
        out["geometry"] = [result.get_width(), result.get_height()] + list(result.get_offsets())[1:]
        out["size"] = dump("offset.raw", result)
        image.select_rectangle(Gimp.ChannelOps.REPLACE, 250, 150, 80, 60)  # canvas; photo (200, 110)
        out["region"] = run("plug-in-hintcolor-colorize", image, [photo], device="cpu")
        out["has_mask"] = image.get_layer_by_name("Colorized (hintcolor)").get_mask() is not None
        dump("offset_region.raw", image.get_layer_by_name("Colorized (hintcolor)"))
        Gimp.Selection.none(image)
        image.convert_precision(Gimp.Precision.FLOAT_NON_LINEAR)
        out["float"] = run("plug-in-hintcolor-colorize", image, [photo], device="cpu")
        result = image.get_layer_by_name("Colorized (hintcolor)")
        data = pixels(result, "R'G'B'A float")
        out["float_levels"] = len(set(array.array("f", data)[0::4]))
        out["precision"] = result.get_image().get_precision().value_nick
        out["count"] = names(image).count("Colorized (hintcolor)")
    ''')
    assert [out["plain"], out["status"], out["region"], out["float"]] == ["success"] * 4
    assert out["geometry"] == [400, 300, 50, 40]
    result, plain = _raw(gimp, "offset.raw", out["size"]), _raw(gimp, "offset_plain.raw", out["size"])
    assert result[:20, :20, 3].max() == 0 and result[100:, 100:, 3].min() == 255  # the photo's alpha
    green = (40, 200, 60)
    assert _ab_distance(result[182, 272, :3], green) < 0.5 * _ab_distance(plain[182, 272, :3], green)
    region = _raw(gimp, "offset_region.raw", out["size"])
    outside = np.ones((300, 400), bool)
    outside[110:170, 200:280] = False  # the selection, in the photo's pixels
    assert not out["has_mask"] and np.array_equal(region[outside], result[outside])
    assert np.abs(region[~outside].astype(int) - result[~outside]).max() > 0  # the detail, in the selection only
    assert out["precision"] == "float-non-linear" and out["count"] == 1
    assert out["float_levels"] > 1000  # red written as float, not squeezed through 8 bits


def test_result_pixels_equal_those_of_the_full_rgba_request(gimp):
    """The plug-in moves only the channels a photo has (Y' of a grayscale image, R'G'B' without alpha)
    and only the painted patches of the hint layer; its result layer holds exactly what the worker
    gives for the same photo sent as full RGBA with the whole hint layer."""
    Image.open(photo_path("kodim05.png")).resize((384, 256)).save(gimp.host / "color.png")
    Image.open(photo_path("kodim05.png")).convert("L").resize((384, 256)).save(gimp.host / "gray_small.png")
    out, _ = gimp('''
        def case(name, image, photo, hint, fmt="R'G'B'A u8"):
            props = {"hint-layer": hint, "device": "cpu"} if hint else {"device": "cpu", "hints": "none"}
            dump(name + "_photo.raw", photo, fmt)
            base = image.get_base_type().value_nick
            status = run("plug-in-hintcolor-colorize", image, [photo], **props)
            result = image.get_layer_by_name("Colorized (hintcolor)")
            dump(name + "_result.raw", result, fmt)
            if hint:
                dump(name + "_hints.raw", hint)
            out[name] = [status, base, photo.has_alpha(), result.has_alpha(), [photo.get_width(), photo.get_height()]]

        gray = load("gray_small.png")
        case("gray", gray, gray.get_layers()[0], None)  # a grayscale image: Y' moves
        rgb = load("gray_small.png")
        run("plug-in-hintcolor-add-hint-layer", rgb, [rgb.get_layers()[0]])
        photo, hint = rgb.get_layer_by_name("Background"), rgb.get_layer_by_name("Color Hints")
        paint(hint, 200, 100, 5, [40, 90, 230, 255])
        paint(hint, 0, 0, 1, [250, 30, 30, 1])  # single faint pixels in two corners: only painted patches
        paint(hint, 383, 255, 1, [30, 250, 30, 1])  # move, and these must be among them
        case("rgb_gray", rgb, photo, hint)  # gray pixels in an RGB layer without alpha: R'G'B' moves
        color = load("color.png")
        photo = color.get_layers()[0]
        photo.add_alpha()
        paint(photo, 0, 0, 30, [0, 0, 0, 0])
        paint(photo, 40, 40, 30, [200, 100, 50, 128])
        hint = Gimp.Layer.new(color, "Color Hints", 384, 256, Gimp.ImageType.RGBA_IMAGE, 100, Gimp.LayerMode.NORMAL)
        color.insert_layer(hint, None, 0)
        hint.fill(Gimp.FillType.TRANSPARENT)
        paint(hint, 300, 60, 5, [230, 200, 30, 255])
        case("color_alpha", color, photo, hint)  # a color photo with alpha: R'G'B'A moves
        rgb.convert_precision(Gimp.Precision.FLOAT_NON_LINEAR)
        case("float", rgb, rgb.get_layer_by_name("Background"), hint=rgb.get_layer_by_name("Color Hints"),
             fmt="R'G'B'A float")
    ''')
    client = WorkerClient(folder=str(gimp.host / "state"))
    expected_layout = {"gray": ["gray", False, False], "rgb_gray": ["rgb", False, False],
                       "color_alpha": ["rgb", True, True], "float": ["rgb", False, False]}
    for name, (status, *layout, (width, height)) in out.items():
        assert status == "success" and layout == expected_layout[name], (name, out[name])
        fmt, dtype = ("float", np.float32) if name == "float" else ("u8", np.uint8)
        photo = (gimp.host / f"{name}_photo.raw").read_bytes()
        header = {"op": "colorize", "photo": {"width": width, "height": height, "format": fmt}, "hints": None,
                  "options": {"device": "cpu", "engine": "auto", "work_size": 256, "precision": "auto"}}
        payload = [photo]
        if (gimp.host / f"{name}_hints.raw").exists():
            header["hints"] = {"width": width, "height": height, "x": 0, "y": 0}
            payload.append((gimp.host / f"{name}_hints.raw").read_bytes())
        _, full = client.request(header, payload, start=False)
        result = (gimp.host / f"{name}_result.raw").read_bytes()
        assert np.array_equal(np.frombuffer(result, dtype), np.frombuffer(full, dtype)), name


def test_a_rerun_writes_into_the_result_layer_the_photo_has(gimp):
    """A re-run keeps the photo's result layer (no layer removed or inserted: undo then leaves the
    selected layers alone) and makes it what a new one would be: the photo's size, place and alpha,
    directly above the photo, shown, named, opaque, without a mask the user gave it; its pixels are
    those a first run gives (the propagation engine: the same pixels for the same input)."""
    out, _ = gimp('''
        image, photo, hint = with_hint_layer("photo.png")
        paint(hint, 300, 200, 7, [200, 40, 160, 255])
        image.set_selected_layers([hint])
        run("plug-in-hintcolor-colorize", image, [photo], engine="propagate")
        result = image.get_layer_by_name("Colorized (hintcolor)")
        result.add_mask(result.create_mask(Gimp.AddMaskType.BLACK))
        image.reorder_item(result, None, 2)  # below the photo
        result.set_name("old colors")
        result.set_visible(False)
        result.set_opacity(40)
        photo.add_alpha()
        photo.scale(500, 300, False)
        photo.set_offsets(30, 20)
        old = result.get_id()
        out["status"] = run("plug-in-hintcolor-colorize", image, [photo], engine="propagate")
        out["layers"] = names(image)
        result = image.get_layer_by_name("Colorized (hintcolor)")
        out["kept"] = result.get_id() == old
        out["above"] = image.get_item_position(result) + 1 == image.get_item_position(photo)
        out["layer"] = [result.get_name(), result.get_visible(), result.get_opacity(), result.get_mask() is None,
                        result.has_alpha(), result.get_width(), result.get_height()] + list(result.get_offsets())[1:]
        out["selected"] = [layer.get_name() for layer in image.get_selected_layers()]
        rerun = pixels(result)
        fresh = image.duplicate()
        fresh.remove_layer(fresh.get_layer_by_name("Colorized (hintcolor)"))
        fresh_photo, fresh_hints = fresh.get_layer_by_name("Background"), fresh.get_layer_by_name("Color Hints")
        out["fresh"] = run("plug-in-hintcolor-colorize", fresh, [fresh_photo], **{"hint-layer": fresh_hints,
                                                                                "engine": "propagate"})
        first = fresh.get_layer_by_name("Colorized (hintcolor)")
        out["as_first_run"] = first is not None and pixels(first) == rerun
        fresh_photo.flatten()
        out["flat"] = run("plug-in-hintcolor-colorize", fresh, [fresh_photo], **{"hint-layer": fresh_hints,
                                                                               "engine": "propagate"})
        out["alpha_dropped"] = first is not None and not first.has_alpha()
    ''')
    assert [out["status"], out["fresh"], out["flat"]] == ["success"] * 3, out.get("errors")
    assert out["layers"] == ["Color Hints", "Colorized (hintcolor)", "Background"] and out["kept"]
    assert out["above"] and out["selected"] == ["Color Hints"]
    assert out["layer"] == ["Colorized (hintcolor)", True, 100.0, True, True, 500, 300, 30, 20]
    assert out["as_first_run"] and out["alpha_dropped"]


def test_a_selection_is_colorized_in_detail_and_blended_through_it(gimp):
    """With a feathered ellipse selected, Colorize with Hints colorizes the selection's box in detail
    (the worker's region run) and blends it into the result layer through the selection: outside it
    the result is exactly as it was, inside it is the region's pixels, on the feathered edge in
    between; the result layer keeps a mask it has. A photo without a result gets the whole result
    first, then the detail. A selection off the photo is one line and changes nothing."""
    Image.open(photo_path("kodim23.png")).convert("L").save(gimp.host / "photo.png")
    out, _ = gimp('''
        image, photo, hint = with_hint_layer("photo.png")
        paint(hint, 300, 200, 7, [200, 40, 160, 255])
        paint(hint, 420, 260, 5, [40, 200, 60, 255])
        image.set_selected_layers([hint])
        out["whole"] = run("plug-in-hintcolor-colorize", image, [hint], device="cpu")
        result = image.get_layer_by_name("Colorized (hintcolor)")
        dump("region_before.raw", result)
        Gimp.context_set_feather(True)
        Gimp.context_set_feather_radius(24, 24)
        image.select_ellipse(Gimp.ChannelOps.REPLACE, 360, 200, 150, 110)
        dump("region_mask.raw", image.get_selection(), "Y u8")
        out["bounds"] = list(Gimp.Selection.bounds(image))[2:]
        out["region"] = run("plug-in-hintcolor-colorize", image, [hint], device="cpu")
        out["same_layer"] = image.get_layer_by_name("Colorized (hintcolor)").get_id() == result.get_id()
        out["selected"] = [layer.get_name() for layer in image.get_selected_layers()]
        out["size"] = dump("region_after.raw", result)
        dump("region_photo.raw", photo, "R'G'B' u8")
        dump("region_hints.raw", hint)
        result.add_mask(result.create_mask(Gimp.AddMaskType.WHITE))
        out["masked"] = run("plug-in-hintcolor-colorize", image, [hint], device="cpu")
        out["mask_kept"] = result.get_mask() is not None
        result.remove_mask(Gimp.MaskApplyMode.DISCARD)
        fresh, fresh_photo, fresh_hint = with_hint_layer("photo.png")
        paint(fresh_hint, 300, 200, 7, [200, 40, 160, 255])
        paint(fresh_hint, 420, 260, 5, [40, 200, 60, 255])
        fresh.select_ellipse(Gimp.ChannelOps.REPLACE, 360, 200, 150, 110)
        out["first"] = run("plug-in-hintcolor-colorize", fresh, [fresh_hint], device="cpu")
        out["first_layers"] = names(fresh)
        dump("region_first.raw", fresh.get_layer_by_name("Colorized (hintcolor)"))
        fresh.resize(1000, 700, 0, 0)
        fresh.select_rectangle(Gimp.ChannelOps.REPLACE, 900, 600, 50, 50)  # on the canvas, off the 768x512 photo
        kept = pixels(fresh.get_layer_by_name("Colorized (hintcolor)"))
        out["off"] = run("plug-in-hintcolor-colorize", fresh, [fresh_hint], device="cpu")
        out["off_unchanged"] = pixels(fresh.get_layer_by_name("Colorized (hintcolor)")) == kept
    ''')
    assert [out["whole"], out["region"], out["masked"], out["first"]] == ["success"] * 4, out.get("errors")
    assert out["same_layer"] and out["selected"] == ["Color Hints"] and out["mask_kept"]
    width, height = out["size"]
    before, after = _raw(gimp, "region_before.raw", out["size"]), _raw(gimp, "region_after.raw", out["size"])
    mask = np.frombuffer((gimp.host / "region_mask.raw").read_bytes(), np.uint8).reshape(height, width)
    assert np.array_equal(after[mask == 0], before[mask == 0])  # outside the selection: exactly as it was
    x1, y1, x2, y2 = out["bounds"]
    box = (x1, y1, x2 - x1, y2 - y1)
    client = WorkerClient(folder=str(gimp.host / "state"))
    header = {"op": "colorize", "photo": {"width": width, "height": height, "format": "u8", "channels": 3},
              "hints": {"width": width, "height": height, "x": 0, "y": 0}, "region": list(box),
              "options": {"device": "cpu", "engine": "auto", "work_size": 256, "precision": "auto"}}
    reply, data = client.request(header, [(gimp.host / "region_photo.raw").read_bytes(),
                                          (gimp.host / "region_hints.raw").read_bytes()], start=False)
    detail = np.frombuffer(data, np.uint8).reshape(box[3], box[2], 3).astype(int)
    inside = after[y1:y2, x1:x2, :3].astype(int)
    full = mask[y1:y2, x1:x2] == 255
    assert full.sum() > 2000 and np.abs(inside[full] - detail[full]).max() <= 1  # the region run's pixels
    assert np.abs(inside[full] - before[y1:y2, x1:x2, :3][full]).max() > 10  # which differ from the whole run's
    edge = (mask[y1:y2, x1:x2] > 40) & (mask[y1:y2, x1:x2] < 215)
    old = before[y1:y2, x1:x2, :3].astype(int)
    low, high = np.minimum(old, detail), np.maximum(old, detail)
    assert edge.sum() > 500 and ((inside[edge] >= low[edge] - 1) & (inside[edge] <= high[edge] + 1)).all()
    mixed = edge[..., None] & (np.abs(detail - old) > 20)
    assert ((inside > low + 3) & (inside < high - 3))[mixed].mean() > 0.5  # the feather blends softly
    assert out["first_layers"] == ["Color Hints", "Colorized (hintcolor)", "Background"]
    first = _raw(gimp, "region_first.raw", out["size"])
    assert np.array_equal(first, after)  # a photo without a result: the whole result, then the same detail
    assert out["off"] != "success" and out["off_unchanged"]
    assert out["errors"][-1].startswith("The selection does not cover the photo layer")


def test_engine_choice_propagate(gimp):
    out, _ = gimp('''
        image, photo, hint = with_hint_layer("photo.png")
        paint(hint, 300, 200, 7, [200, 40, 160, 255])
        out["status"] = run("plug-in-hintcolor-colorize", image, [photo], **{"hint-layer": hint, "engine": "propagate"})
        out["size"] = dump("propagated.raw", image.get_layer_by_name("Colorized (hintcolor)"))
    ''')
    assert out["status"] == "success"
    result = _raw(gimp, "propagated.raw", out["size"])
    lab = skcolor.rgb2lab(np.array([[result[203, 303, :3], (200, 40, 160)]], float) / 255)[0]
    hue = np.angle(np.exp(1j * (np.arctan2(lab[0, 2], lab[0, 1]) - np.arctan2(lab[1, 2], lab[1, 1]))))
    assert abs(hue) < 0.2 and np.hypot(*lab[0, 1:]) > 20  # the painted magenta, as far as the photo's L allows
    assert "propagate" in (gimp.host / "worker.log").read_text()


def test_worker_killed_mid_way_leaves_the_image_as_it_was(gimp):
    big = Image.open(photo_path("kodim23.png")).convert("L").resize((4000, 3000), Image.BICUBIC)
    big.save(gimp.host / "big.png", compress_level=1)
    log = gimp.host / "worker.log"
    seen = len(log.read_text())

    def kill_when_busy():
        deadline = time.time() + 300
        while time.time() < deadline and "colorize 4000×3000" not in log.read_text()[seen:]:
            time.sleep(0.05)
        os.kill(gimp.worker.pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_when_busy)
    killer.start()
    out, console = gimp('''
        image = load("big.png")
        photo = image.get_layers()[0]
        out["before"] = [names(image), image.get_base_type().value_nick]
        out["status"] = run("plug-in-hintcolor-colorize", image, [photo], device="cpu")
        out["after"] = [names(image), image.get_base_type().value_nick]
    ''')
    killer.join()
    assert out["status"] == "execution-error"
    assert out["after"] == out["before"] == [["Background"], "gray"]
    assert len(out["errors"]) == 1 and "worker" in out["errors"][0] and "\n" not in out["errors"][0]


def test_a_worker_killed_between_two_runs_is_said_in_one_line_and_a_new_one_is_used(gimp, echo_weights_file):
    """Colorize with Hints, kill -9 of the worker, Colorize with Hints again in the same GIMP. GIMP in
    the chroot cannot start a worker itself (the environment's Python lies outside it, as for a
    sandboxed GIMP), so the second run says in one line that the worker stopped and how to go on,
    and leaves the image as it was; with the worker started again, the next run works."""
    if gimp.worker.poll() is not None:  # an earlier test killed it
        with open(gimp.host / "worker.log", "a") as log:
            gimp.worker = serve(gimp.host, echo_weights_file, log)
    Image.open(photo_path("kodim23.png")).convert("L").resize((384, 256)).save(gimp.host / "killed.png")
    script = '''
        KILL = %s
        image, photo, hint = with_hint_layer("killed.png")
        paint(hint, 150, 100, 7, [200, 40, 160, 255])
        out["runs"] = [run("plug-in-hintcolor-colorize", image, [photo], **{"hint-layer": hint, "device": "cpu"})]
        result = pixels(image.get_layer_by_name("Colorized (hintcolor)"))
        if KILL:
            import os, signal, socket
            with open(WORK + "/state/worker.json") as f:
                state = json.load(f)
            os.kill(state["pid"], signal.SIGKILL)  # as 'kill -9' of 'hintcolor serve' between two runs
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", state["port"]), timeout=1).close()
                    time.sleep(0.05)
                except OSError:
                    break
            out["runs"].append(run("plug-in-hintcolor-colorize", image, [photo], **{"hint-layer": hint, "device": "cpu"}))
        out["layers"] = names(image)
        out["unchanged"] = pixels(image.get_layer_by_name("Colorized (hintcolor)")) == result
    '''
    out, _ = gimp(script % True)
    assert out["runs"] == ["success", "execution-error"]
    (error,) = out["errors"]
    assert error.startswith("The hintcolor worker stopped, and a new one cannot be started from here (") and error.endswith(
        f"cannot be found): start 'hintcolor serve --state-dir {CHROOT_WORK}/state' again outside GIMP's sandbox, "
        "then run again"), error
    assert "\n" not in error
    assert out["layers"] == ["Color Hints", "Colorized (hintcolor)", "Background"] and out["unchanged"]
    gimp.worker.wait(10)
    with open(gimp.host / "worker.log", "a") as log:  # as the message says: the worker started again
        gimp.worker = serve(gimp.host, echo_weights_file, log)
    out, _ = gimp(script % False)
    assert out["runs"] == ["success"] and "errors" not in out


def test_selections_that_are_not_one_photo_are_explained(gimp):
    out, _ = gimp('''
        image = load("photo.png")
        photo = image.get_layers()[0]
        other = Gimp.Layer.new_from_drawable(photo, image)
        image.insert_layer(other, None, 0)
        group = Gimp.GroupLayer.new(image, "Group")
        image.insert_layer(group, None, 0)
        out["two"] = run("plug-in-hintcolor-colorize", image, [photo, other])
        out["group"] = run("plug-in-hintcolor-colorize", image, [group])
        out["layers"] = names(image)
    ''')
    assert out["two"] == out["group"] == "calling-error"
    assert out["errors"] == ["Select one photo layer (or its hint layer).",
                             "\"Group\" is a layer group: select the photo layer."]
    assert len(out["layers"]) == 3


def test_add_hint_layer_shows_and_selects_a_hidden_hint_layer(gimp):
    out, _ = gimp('''
        image, photo, hint = with_hint_layer("photo.png")
        hint.set_visible(False)
        image.set_selected_layers([photo])
        out["status"] = run("plug-in-hintcolor-add-hint-layer", image, [photo])
        out["layers"] = names(image)
        out["visible"] = hint.get_visible()
        out["selected"] = [layer.get_id() for layer in image.get_selected_layers()] == [hint.get_id()]
    ''')
    assert out["status"] == "success"
    assert out["layers"] == ["Color Hints", "Background"] and out["visible"] and out["selected"]


def test_a_one_pixel_dot_anywhere_changes_the_thumbnail_the_live_panel_watches(gimp):
    """The live panel notices changes by GIMP's 512-pixel thumbnail of the hint layer
    (hintcolor_live.THUMBNAIL): on a 12 MP layer, a single opaque pixel anywhere changes it."""
    out, _ = gimp('''
        image = Gimp.Image.new(4000, 3000, Gimp.ImageBaseType.RGB)
        hint = Gimp.Layer.new(image, "Color Hints", 4000, 3000, Gimp.ImageType.RGBA_IMAGE, 100, Gimp.LayerMode.NORMAL)
        image.insert_layer(hint, None, 0)
        hint.fill(Gimp.FillType.TRANSPARENT)
        def thumbnail():
            return bytes(hint.get_thumbnail_data(512, 512)[0].get_data())
        seen, before = [], thumbnail()
        for x, y in [(0, 0), (3999, 2999), (3999, 0), (1234, 2345), (7, 1500), (2000, 2999)]:
            paint(hint, x, y, 1, [20, 200, 30, 255])
            after = thumbnail()
            seen.append(after != before)
            before = after
        out["seen"] = seen
    ''')
    assert out["seen"] == [True] * 6


#: What scripts call and GIMP's pluginrc keys on, as it was before the procedures were declared in one
#: table: each procedure's menu label and its arguments after image and drawables (name, default, a
#: choice's nicks). Changing one of these breaks users' scripts: do it on purpose, here and in the table.
GIMP3_INTERFACE = {
    "plug-in-hintcolor-add-hint-layer": ("Add Color _Hint Layer", []),
    "plug-in-hintcolor-colorize": ("Colorize with _Hints...", [
        ("hint-layer", None), ("hints", "auto", ["auto", "none"]), ("engine", "auto", ["auto", "siggraph17", "propagate"]),
        ("device", "auto", ["auto", "cpu", "gpu"]), ("work-size", 256), ("precision", "auto", ["auto", "fp32"]),
        ("snap-hints", True)]),
    "plug-in-hintcolor-live": ("Colorize with Hints - _Live...", []),
    "plug-in-hintcolor-suggest": ("Suggest Hint _Colors", [("count", 5), ("snap-hints", True)]),
    "plug-in-hintcolor-export-hints": ("E_xport Hints...", [("file", None)]),
    "plug-in-hintcolor-import-hints": ("I_mport Hints...", [("file", None)]),
}

DESCRIBE = '''
def argument(spec):
    """What GIMP holds of one argument of a procedure (its parameter spec)."""
    kind = spec.__gtype__.name
    arg = {"name": spec.get_name(), "label": spec.get_nick(), "blurb": spec.get_blurb(), "kind": kind}
    if kind == "GimpParamChoice":
        choice = Gimp.param_spec_choice_get_choice(spec)
        arg["choices"] = [[nick, choice.get_label(nick)] for nick in choice.list_nicks()]
        arg["default"] = Gimp.param_spec_choice_get_default(spec)
    elif kind == "GParamInt":
        arg["limits"], arg["default"] = [spec.minimum, spec.maximum], spec.default_value
    elif kind == "GParamBoolean":
        arg["default"] = spec.default_value
    elif kind == "GimpParamLayer":
        arg["none_ok"] = Gimp.param_spec_item_none_allowed(spec)
    elif kind == "GimpParamFile":
        arg["action"] = Gimp.param_spec_file_get_action(spec).value_nick
        arg["none_ok"] = Gimp.param_spec_file_none_allowed(spec)
        arg["default"] = Gimp.param_spec_object_get_default(spec)
    return arg

out["names"] = pdb.query_procedures("plug-in-hintcolor-.*", "", "", "", "", "", "", "")
out["procedures"] = {}
for name in out["names"]:
    p = pdb.lookup_procedure(name)
    out["procedures"][name] = {
        "label": p.get_menu_label(), "menus": list(p.get_menu_paths()), "blurb": p.get_blurb(), "help": p.get_help(),
        "help_id": p.get_help_id(), "image_types": p.get_image_types(),
        "attribution": [p.get_authors(), p.get_copyright(), p.get_date()],
        "arguments": [argument(spec) for spec in p.get_arguments()]}
'''


def _gimp3_argument(param: table.Parameter) -> dict:
    """What GIMP 3 must hold of an argument declared as ``param``: a layer may be none, a file must be chosen."""
    arg = {"name": param.name, "label": param.label, "blurb": param.blurb}
    if param.kind == table.CHOICE:
        arg.update(kind="GimpParamChoice", choices=[list(c) for c in param.choices], default=param.default)
    elif param.kind == table.INT:
        arg.update(kind="GParamInt", limits=list(param.limits[:2]), default=param.default)
    elif param.kind == table.BOOL:
        arg.update(kind="GParamBoolean", default=param.default)
    elif param.kind == table.LAYER:
        arg.update(kind="GimpParamLayer", none_ok=True)
    else:
        action = {table.OPEN_FILE: "open", table.SAVE_FILE: "save"}[param.kind]
        arg.update(kind="GimpParamFile", action=action, none_ok=False, default=None)
    return arg


def _sensitivity_masks(pluginrc: bytes) -> dict:
    """{procedure: sensitivity mask} of hintcolor's procedures in GIMP's pluginrc (the libgimp of a
    script cannot read it: a looked-up procedure says "always")."""
    found = re.finditer(rb'\(proc-def "(plug-in-hintcolor-[^"]+)" \d+\n.*?\(icon [^\n]*\n\s+"[^"]*"\n\s+(\d+)\n',
                        pluginrc, re.S)
    return {m.group(1).decode(): int(m.group(2)) for m in found}


def _interface(arguments: list[dict]) -> list[tuple]:
    """(name, default) of each argument, and the nicks of a choice."""
    found = []
    for arg in arguments:
        entry = (arg["name"], arg.get("default"))
        found.append(entry + ([nick for nick, _ in arg["choices"]],) if "choices" in arg else entry)
    return found


def test_registration_is_the_declared_table(gimp):
    """Each procedure GIMP 3 knows of hintcolor is the one hintcolor_procedures.py declares for GIMP 3
    (menu, texts, arguments with their labels, tooltips, defaults, choices and limits), and its
    scripting interface is as it was."""
    out, _ = gimp(DESCRIBE)
    declared = table.procedures(table.GIMP3)
    assert sorted(out["names"]) == sorted(entry.name for entry in declared) == sorted(GIMP3_INTERFACE)
    masks = _sensitivity_masks((gimp.host / "gimp" / "pluginrc").read_bytes())
    for entry in declared:
        got = out["procedures"][entry.name]
        assert {k: got[k] for k in ("label", "menus", "blurb", "help", "help_id", "image_types", "attribution")} == {
            "label": entry.label, "menus": [table.MENU], "blurb": entry.blurb, "help": entry.help,
            "help_id": entry.name, "image_types": entry.image_types,
            "attribution": [table.AUTHORS, table.COPYRIGHT, table.DATE]}, entry.name
        assert [arg["name"] for arg in got["arguments"][:3]] == ["run-mode", "image", "drawables"]
        assert got["arguments"][3:] == [_gimp3_argument(param) for param in entry.params], entry.name
        # one or more layers selected (DRAWABLE | DRAWABLES), or always (Add Color Hint Layer: an empty image too)
        assert masks[entry.name] == (5 if entry.needs_layer else 2 ** 31 - 1), entry.name
        assert (got["label"], _interface(got["arguments"][3:])) == GIMP3_INTERFACE[entry.name], entry.name
