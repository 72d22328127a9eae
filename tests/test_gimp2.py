"""The GIMP 2.10 plug-in (gimpfu, Python 2.7) under a real Python 2.7 — against a STAND-IN for
GIMP 2.10, not GIMP 2.10 itself.

No machine here can run a GIMP 2.10 with Python support (Debian dropped gimp-python after
buster, which is no longer served). So the plug-in, installed by install.py, runs in the Debian
bullseye chroot's python2.7 (tests/gimp/build_gimp_env.sh bullseye; .ci/run builds it) against
tests/gimp2/ — a recording imitation of the gimpfu, gimp and gimpenums modules that follows the
documented GIMP 2.10 signatures and holds each layer's 8-bit pixels as bytes. The plug-in talks
to a real worker (hintcolor serve) on this machine over 127.0.0.1, with weights in the official
layout whose hints pull colors toward them. What this shows: the files compile and import under
Python 2.7, the registration is what gimpfu accepts, and the plug-in's own logic (pixel bytes to
the worker and back, result-layer replacement, offsets, masks, messages) is right. What it does
not show: that GIMP 2.10 itself runs it (menus, dialog, pixel regions, undo in a real GIMP).
"""
import contextlib
import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image
from skimage import color as skcolor

from conftest import ROOT, photo_path
from gimp.harness import PY27, serve, worker_for
from plugin_modules import shared_module
from test_gimp_hints import GRAY, _dot_centres, _expected_entries

REQUESTS = shared_module("hintcolor_requests")  # the plug-ins' words for the worker's codes
MESSAGES, NOTICES = REQUESTS.MESSAGES, REQUESTS.NOTICES
table = shared_module("hintcolor_procedures")

CHROOT_WORK = os.environ.get("HINTCOLOR_GIMP2_TEST_DIR", "/tmp/hintcolor-gimp2-test")
COLORIZE, ADD = "plug-in-hintcolor-colorize", "plug-in-hintcolor-add-hint-layer"
SUGGEST, EXPORT, IMPORT = "plug-in-hintcolor-suggest", "plug-in-hintcolor-export-hints", "plug-in-hintcolor-import-hints"

PRELUDE = '''
import imp, json, sys, traceback
WORK = %r
sys.path.insert(0, WORK + "/standin")
import gimp, gimpfu
from gimpfu import pdb
from gimpenums import *
out = {}
try:
    plugin = imp.load_source("hintcolor_plugin", WORK + "/gimp/plug-ins/hintcolor.py")
except Exception:
    out["error"] = traceback.format_exc()

def new_photo(name, width, height, base_type=GRAY, kind=GRAY_IMAGE, offsets=(0, 0), size=None):
    """An image of ``size`` (default the layer's) with one layer "Background" holding the raw file ``name``."""
    image = gimp.Image(*(size or (width, height)) + (base_type,))
    layer = gimp.Layer(image, "Background", width, height, kind, 100, LAYER_MODE_NORMAL)
    layer.pixels[:] = open(WORK + "/" + name, "rb").read()
    layer.set_offsets(*offsets)
    image.insert_layer(layer, None, 0)
    return image, layer

def colorize(image, drawable, hints=0, hint_layer=None, engine=0, device=1, work_size=256, precision=0, snap=True):
    """The procedure as the menu calls it on the active drawable (device 1: CPU)."""
    image.active_layer = drawable
    return gimpfu._run(%r, [RUN_NONINTERACTIVE, image, drawable, hints, hint_layer, engine, device, work_size,
                            precision, snap])

def run(name, image, drawable, *args):
    """A procedure as the menu calls it on the active drawable, with ``args`` as the dialog gives them."""
    image.active_layer = drawable
    gimpfu._run(name, [RUN_NONINTERACTIVE, image, drawable] + list(args))

def add_hint_layer(image, drawable):
    image.active_layer = drawable
    gimpfu._run(%r, [RUN_NONINTERACTIVE, image, drawable])
    return image.active_layer

def dump(name, drawable):
    with open(WORK + "/" + name, "wb") as f:
        f.write(bytes(drawable.pixels))
    return [drawable.width, drawable.height, drawable.bpp]

def paint(layer, x, y, size, rgba):
    rgn = layer.get_pixel_rgn(0, 0, layer.width, layer.height, True, False)
    rgn[x:x + size, y:y + size] = str(bytearray(rgba)) * (size * size)

def names(image):
    return [layer.name for layer in image.layers]

def calls(name):
    return [args for called, args in gimp.CALLS if called == name]

if "error" not in out:
    try:
%s
    except Exception:
        out["error"] = traceback.format_exc()
json.dump(out, open(WORK + "/out.json", "w"))
'''


@contextlib.contextmanager
def py27_session(weights, work: str):
    """A worker on this machine and the GIMP 2.10 plug-in installed by install.py into ``work/gimp`` in the
    Python 2.7 chroot, with the stand-in beside it; yields run(script) -> out."""
    host = PY27.prepare(work)
    subprocess.run([sys.executable, str(ROOT / "install.py"), "--plugin-only", "--gimp2-dir", str(host / "gimp"),
                    "--worker-dir", f"{work}/state"], check=True, capture_output=True)
    shutil.copytree(ROOT / "tests" / "gimp2", host / "standin", ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))

    def run(body: str) -> dict:
        script = PRELUDE % (work, COLORIZE, ADD, textwrap.indent(textwrap.dedent(body), " " * 8))
        (host / "driver.py").write_text(script)
        (host / "out.json").unlink(missing_ok=True)
        done = subprocess.run(PY27.python(work, f"{work}/driver.py"), capture_output=True, text=True, timeout=600)
        assert (host / "out.json").exists(), done.stderr[-3000:]
        out = json.loads((host / "out.json").read_text())
        assert "error" not in out, out["error"]
        return out

    with worker_for(run, host, weights):
        yield run


@pytest.fixture(scope="module")
def gimp2(suggest_weights_file):
    """Weights whose hints pull colors toward them and whose distribution head believes SUGGEST_PEAKS."""
    with py27_session(suggest_weights_file, CHROOT_WORK) as run:
        yield run


def _raw(gimp2, name, size):
    width, height, bpp = size
    return np.frombuffer((gimp2.host / name).read_bytes(), np.uint8).reshape(height, width, bpp)


def _ab_distance(rgb, color):
    lab = skcolor.rgb2lab(np.array([[rgb, color]], float) / 255)[0]
    return float(np.hypot(*(lab[0, 1:] - lab[1, 1:])))


IMAGE = [[13, "image", "Input image", None], [16, "drawable", "Input drawable", None]]  # PF_IMAGE, PF_DRAWABLE


def _gimpfu_parameter(param: table.Parameter, home: str) -> list:
    """The gimpfu parameter (as JSON has it) that GIMP 2.10 must get for ``param``: a choice as an index
    into its labels (PF_OPTION), an integer as a spinner (PF_SPINNER), a folder starting at the user's ``home``."""
    if param.kind == table.CHOICE:
        return [1013, param.name, param.label, param.nicks().index(param.default), [label for _, label in param.choices]]
    if param.kind == table.INT:
        return [1002, param.name, param.label, param.default, list(param.limits)]
    if param.kind == table.FOLDER:
        assert param.default == os.path.expanduser("~")
        return [1012, param.name, param.label, home]  # PF_DIRNAME
    pf_type, default = {table.BOOL: (1000, param.default), table.STRING: (4, param.default), table.LAYER: (14, None),
                        table.OPEN_FILE: (1011, "")}[param.kind]  # PF_TOGGLE, PF_STRING, PF_LAYER, PF_FILENAME
    return [pf_type, param.name, param.label, default]


def test_files_compile_and_registration_is_what_gimpfu_210_takes(gimp2):
    """Every installed file compiles under Python 2.7; the procedures are registered as
    hintcolor_procedures.py declares them for GIMP 2.10, with the GIMP 3 plug-in's names and menus, and
    image types and parameters as GIMP 2.10's gimpfu requires."""
    out = gimp2('''
        import py_compile, os
        lib = WORK + "/gimp/plug-ins/hintcolor_lib"
        files = [WORK + "/gimp/plug-ins/hintcolor.py"] + [lib + "/" + n for n in sorted(os.listdir(lib)) if n.endswith(".py")]
        for path in files:
            py_compile.compile(path, doraise=True)
        out["compiled"] = [os.path.basename(path) for path in files]
        out["main"] = gimpfu.MAIN_CALLED
        out["version"] = list(sys.version_info[:2])
        out["registered"] = dict((name, dict((k, v) for k, v in entry.items() if k != "function"))
                                 for name, entry in gimpfu._registered_plugins_.items())
        out["executable"] = os.access(WORK + "/gimp/plug-ins/hintcolor.py", os.X_OK)
        out["home"] = os.path.expanduser("~")
        import hintcolor2_layers
        out["as_rgba"] = [list(bytearray(hintcolor2_layers.as_rgba(data, bpp))) for data, bpp in
                          (("\\x10\\x20\\x30", 3), ("\\x10\\x80", 2), ("\\x10", 1), ("\\x01\\x02\\x03\\x04", 4))]
    ''')
    assert out["version"] == [2, 7] and out["main"] == [True] and out["executable"]
    # a hint layer of any channels reaches the worker as RGBA (Y, YA, RGB, RGBA)
    assert out["as_rgba"] == [[16, 32, 48, 255], [16, 16, 16, 128], [16, 16, 16, 255], [1, 2, 3, 4]]
    assert out["compiled"] == ["hintcolor.py", "hintcolor2_hints.py", "hintcolor2_layers.py", "hintcolor_client.py",
                               "hintcolor_links.py", "hintcolor_procedures.py", "hintcolor_protocol.py", "hintcolor_requests.py"]
    registered = out["registered"]
    assert sorted(registered) == sorted([ADD, COLORIZE, SUGGEST, EXPORT, IMPORT])  # the GIMP 3 plug-in's procedures
    for entry in table.procedures(table.GIMP2):  # each as hintcolor_procedures.py declares it for GIMP 2.10
        assert registered[entry.name] == {
            "blurb": entry.blurb, "help": entry.help, "author": table.AUTHORS, "copyright": table.COPYRIGHT,
            "date": table.DATE, "label": entry.label, "imagetypes": entry.image_types, "plugin_type": 1,  # PLUGIN
            "params": IMAGE + [_gimpfu_parameter(param, out["home"]) for param in entry.params], "results": [],
            "menu": table.MENU, "domain": None}, entry.name
    for name, label, types in ((ADD, "Add Color _Hint Layer", "*"), (COLORIZE, "Colorize with _Hints...", "RGB*, GRAY*"),
                               (SUGGEST, "Suggest Hint _Colors", "RGB*, GRAY*"), (EXPORT, "E_xport Hints...", "RGB*, GRAY*"),
                               (IMPORT, "I_mport Hints...", "*")):
        assert registered[name]["menu"] == "<Image>/Filters/Colors"  # as the GIMP 3 plug-in's menus
        assert (registered[name]["label"], registered[name]["imagetypes"]) == (label, types)
        assert [p[:2] for p in registered[name]["params"][:2]] == [[13, "image"], [16, "drawable"]]  # PF_IMAGE, PF_DRAWABLE
    params = {p[1]: p for p in registered[COLORIZE]["params"][2:]}
    assert list(params) == ["hints", "hint-layer", "engine", "device", "work-size", "precision", "snap-hints"]
    assert params["hint-layer"][0] == 14 and params["hint-layer"][3] is None  # PF_LAYER
    assert params["hints"][0] == 1013 and params["hints"][3] == 0 and len(params["hints"][4]) == 3  # PF_OPTION
    assert params["engine"][4][0].startswith("Automatic") and "Propagate" in params["engine"][4][2]
    assert params["device"][4] == ["Automatic (GPU if available)", "CPU", "GPU"]
    assert params["work-size"][0] == 1002 and params["work-size"][3] == 256 and params["work-size"][4] == [64, 1024, 16]
    assert params["precision"][0] == 1013 and params["snap-hints"][:4] == [1000, "snap-hints", "_Snap hints into gamut", True]
    assert [p[:2] + p[3:] for p in registered[SUGGEST]["params"][2:]] == [[1002, "count", 5, [1, 8, 1]],
                                                                        [1000, "snap-hints", True]]
    assert [p[:2] for p in registered[EXPORT]["params"][2:]] == [[1012, "folder"], [4, "filename"]]  # PF_DIRNAME, PF_STRING
    assert [p[:2] for p in registered[IMPORT]["params"][2:]] == [[1011, "file"]]  # PF_FILENAME


def test_add_hint_layer_converts_grayscale_and_activates_it(gimp2):
    Image.open(photo_path("kodim05.png")).convert("L").resize((384, 256)).save(gimp2.host / "gray.png")
    (gimp2.host / "gray.raw").write_bytes(Image.open(gimp2.host / "gray.png").tobytes())
    out = gimp2('''
        image, photo = new_photo("gray.raw", 384, 256)
        before = str(photo.pixels)
        hint = add_hint_layer(image, photo)
        out["after"] = [image.base_type == RGB, names(image), hint.name, image.active_layer.name]
        out["hint"] = [hint.width, hint.height, hint.bpp, max(bytearray(hint.pixels))]
        out["photo_gray_kept"] = str(photo.pixels[0::3]) == before
        hint.visible = False
        image.active_layer = photo
        again = add_hint_layer(image, photo)
        out["again"] = [again.ID == hint.ID, hint.visible, len(image.layers)]
        out["undo_groups"] = [len(calls("gimp-image-undo-group-start")), image.undo_depth]
    ''')
    assert out["after"] == [True, ["Color Hints", "Background"], "Color Hints", "Color Hints"]
    assert out["hint"] == [384, 256, 4, 0] and out["photo_gray_kept"]
    assert out["again"] == [True, True, 2]  # shown and activated, not added again
    assert out["undo_groups"] == [2, 0]


def test_colorize_a_photo_with_painted_dots_then_rerun_and_repeat_last(gimp2):
    Image.open(photo_path("kodim23.png")).convert("L").resize((768, 512)).save(gimp2.host / "photo.png")
    (gimp2.host / "photo.raw").write_bytes(Image.open(gimp2.host / "photo.png").tobytes())
    out = gimp2('''
        image, photo = new_photo("photo.raw", 768, 512)
        hint = add_hint_layer(image, photo)
        colorize(image, photo)
        out["plain"] = dump("plain.raw", image.layers[1])
        paint(hint, 600, 100, 5, [40, 90, 230, 255])
        paint(hint, 500, 30, 3, [230, 200, 30, 255])
        photo_before, hint_before = str(photo.pixels), str(hint.pixels)
        colorize(image, hint)  # Hints: the photo's hint layer, run with the hint layer active (as after painting)
        result = [layer for layer in image.layers if layer.name == "Colorized (hintcolor)"][0]
        out["hinted"] = dump("hinted.raw", result)
        out["layers"] = names(image)
        out["offsets"] = list(result.offsets)
        out["active"] = image.active_layer.name
        out["unchanged"] = [str(photo.pixels) == photo_before, str(hint.pixels) == hint_before]
        hinted = str(result.pixels)
        out["reruns"] = {}
        layer = {"photo": lambda: photo, "result": lambda: image.layers[1], "hint layer": lambda: hint}
        for label in ("photo", "result", "hint layer"):
            colorize(image, layer[label]())
            out["reruns"][label] = [str(image.layers[1].pixels) == hinted, names(image)]
        gimpfu._set_defaults(%r, [image, photo, 0, None, 0, 1, 256, 0, True])  # the dialog's OK: Hints automatic
        for label in ("photo", "result", "hint layer"):
            image.active_layer = active = layer[label]()
            gimpfu._run(%r, [RUN_WITH_LAST_VALS, image, active])  # Filters > Repeat Last (Ctrl+F)
            out["reruns"]["Ctrl+F, " + label] = [str(image.layers[1].pixels) == hinted, names(image)]
        colorize(image, hint, hints=2)  # Hints: None
        out["none_equals_plain"] = str(image.layers[1].pixels) == open(WORK + "/plain.raw", "rb").read()
        out["messages"] = gimp.messages()
        out["undo"] = [len(calls("gimp-image-undo-group-start")), len(calls("gimp-image-undo-group-end")), image.undo_depth]
        out["progress"] = [args[0] for args in calls("gimp-progress-set-text")][:3]
    ''' % (COLORIZE, COLORIZE))
    assert out["messages"] == []
    assert out["layers"] == ["Color Hints", "Colorized (hintcolor)", "Background"]  # directly above the photo
    assert out["hinted"] == [768, 512, 3] and out["offsets"] == [0, 0]  # a photo without alpha: RGB, no alpha
    assert out["active"] == "Color Hints"  # the layer active before the run stays active: paint on, Ctrl+F
    assert out["unchanged"] == [True, True]
    # whichever of its layers is active, from a script or by Repeat Last: the same photo and hint layer, replaced
    assert len(out["reruns"]) == 6
    assert all(same and layers == out["layers"] for same, layers in out["reruns"].values()), out["reruns"]
    assert out["none_equals_plain"]
    assert out["undo"] == [10, 10, 0]  # one undo group per run (and one for Add Color Hint Layer)
    assert out["progress"][:2] == ["Reading the photo", "Sending the photo to hintcolor"]
    plain, hinted = _raw(gimp2, "plain.raw", out["plain"]), _raw(gimp2, "hinted.raw", out["hinted"])
    for x, y, color in ((602, 102, (40, 90, 230)), (501, 31, (230, 200, 30))):
        assert _ab_distance(hinted[y, x], color) < 0.5 * _ab_distance(plain[y, x], color), (x, y, hinted[y, x])


def test_offset_layers_alpha_and_selection_mask(gimp2):
    rgba = np.asarray(Image.open(photo_path("kodim23.png")).convert("L").resize((400, 300)))
    rgba = np.dstack([rgba, rgba, rgba, np.full_like(rgba, 255)])
    rgba[:10, :10, 3] = 0  # a transparent corner
    (gimp2.host / "offset.raw").write_bytes(rgba.tobytes())
    out = gimp2('''
        image, photo = new_photo("offset.raw", 400, 300, RGB, RGBA_IMAGE, offsets=(50, 40), size=(600, 500))
        hint = gimp.Layer(image, "Color Hints", 100, 100, RGBA_IMAGE, 100, LAYER_MODE_NORMAL)
        image.insert_layer(hint, None, 0)
        hint.set_offsets(300, 200)
        paint(hint, 20, 20, 5, [40, 200, 60, 255])  # canvas (320, 220) = photo (270, 180)
        colorize(image, photo, hints=2)
        out["plain"] = dump("offset_plain.raw", image.layers[1])
        colorize(image, photo, hints=1, hint_layer=hint)  # Hints: the layer chosen below
        result = image.layers[1]
        out["geometry"] = [result.width, result.height] + list(result.offsets) + [result.mask is None]
        out["result"] = dump("offset_result.raw", result)
        gimpfu._set_defaults(%r, [image, photo, 1, hint, 0, 1, 256, 0, True])  # the dialog's OK: this layer
        image.active_layer = result
        gimpfu._run(%r, [RUN_WITH_LAST_VALS, image, result])  # Ctrl+F with the result active: the same layer
        out["repeated"] = [str(image.layers[1].pixels) == str(result.pixels), names(image)]
        pdb.gimp_image_select_rectangle(image, CHANNEL_OP_REPLACE, 100, 100, 40, 30)
        colorize(image, photo, hints=1, hint_layer=hint)
        mask = image.layers[1].mask
        out["mask"] = dump("mask.raw", mask)
        out["count"] = names(image).count("Colorized (hintcolor)")
        out["messages"] = gimp.messages()
    ''' % (COLORIZE, COLORIZE))
    assert out["messages"] == []
    assert out["geometry"] == [400, 300, 50, 40, True]
    assert out["repeated"] == [True, ["Color Hints", "Colorized (hintcolor)", "Background"]]
    result, plain = _raw(gimp2, "offset_result.raw", out["result"]), _raw(gimp2, "offset_plain.raw", out["plain"])
    assert out["result"][2] == 4 and result[:10, :10, 3].max() == 0 and result[20:, 20:, 3].min() == 255  # the photo's alpha
    green = (40, 200, 60)
    assert _ab_distance(result[182, 272, :3], green) < 0.5 * _ab_distance(plain[182, 272, :3], green)
    mask = _raw(gimp2, "mask.raw", out["mask"])[..., 0]
    assert mask[60:90, 50:90].min() == 255 and mask.sum() == 255 * 40 * 30  # canvas (100, 100) = layer (50, 60)
    assert out["count"] == 1


def test_errors_are_one_message_in_gimps_words_and_change_nothing(gimp2):
    (gimp2.host / "small.raw").write_bytes(bytes(range(256)) * 64)
    nowhere = gimp2.host / "nowhere"
    (nowhere / "state").mkdir(parents=True, mode=0o700)
    subprocess.run([sys.executable, str(ROOT / "install.py"), "--plugin-only", "--gimp2-dir", str(nowhere / "gimp"),
                    "--worker-dir", f"{CHROOT_WORK}/nowhere/state"], check=True, capture_output=True)
    out = gimp2('''
        image, photo = new_photo("small.raw", 128, 128)
        hint = add_hint_layer(image, photo)
        paint(hint, 5, 5, 3, [200, 40, 40, 255])
        state = [names(image), image.base_type, str(photo.pixels), str(hint.pixels)]
        cases = {}
        for label, options in (("gpu", {"device": 2}), ("no layer chosen", {"hints": 1}),
                               ("photo as hint layer", {"hints": 1, "hint_layer": photo})):
            del gimp.CALLS[:]
            colorize(image, photo, **options)
            cases[label] = [gimp.messages(), [names(image), image.base_type, str(photo.pixels), str(hint.pixels)] == state,
                            image.undo_depth]
        plugin.requests.CONFIG = WORK + "/nowhere/gimp/plug-ins/hintcolor_lib/hintcolor.json"
        del gimp.CALLS[:]
        gray, layer = new_photo("small.raw", 128, 128)
        colorize(gray, layer)
        cases["no worker"] = [gimp.messages(), [names(gray), gray.base_type == GRAY], gray.undo_depth]
        out["cases"] = cases
    ''')
    cases = out["cases"]
    gpu = MESSAGES["device"]
    assert cases["gpu"] == [[gpu[0].upper() + gpu[1:]], True, 0]
    assert cases["no layer chosen"] == [["Choose a Hint layer of this image, or Hints: The photo's hint layer."], True, 0]
    assert cases["photo as hint layer"] == [["The hint layer cannot be the photo itself: choose the layer you painted on."],
                                            True, 0]
    (message,), unchanged, depth = cases["no worker"]
    assert message.startswith("No hintcolor worker is running, and ") and "hintcolor serve --state-dir" in message
    assert unchanged == [["Background"], True] and depth == 0 and "\n" not in message


def test_suggest_fills_the_palette_at_the_painted_dots(gimp2):
    """GIMP 2.10's PDB has no sample points: the suggestions are for the hint layer's painted dots."""
    (gimp2.host / "flat.raw").write_bytes(bytes([GRAY]) * (256 * 192))
    out = gimp2('''
        image, photo = new_photo("flat.raw", 256, 192)
        run(%r, image, photo, 5, True)
        out["no hint layer"] = gimp.messages()
        hint = add_hint_layer(image, photo)
        paint(hint, 100, 60, 5, [200, 40, 40, 255])
        del gimp.CALLS[:]
        run(%r, image, hint, 5, True)
        out["palette"] = gimp.CONTEXT["palette"]
        out["entries"] = list(gimp.PALETTES[out["palette"]]["entries"])
        run(%r, image, photo, 1, True)  # again: the same palette, emptied first
        out["again"] = [sorted(gimp.PALETTES), [name for name, _ in gimp.PALETTES[out["palette"]]["entries"]]]
        out["messages"] = gimp.messages()
    ''' % (SUGGEST, SUGGEST, SUGGEST))
    assert out["no hint layer"] == [MESSAGES["no_points"][0].upper() + MESSAGES["no_points"][1:]]
    assert out["messages"] == []
    assert out["palette"] == "hintcolor suggestions"
    expected = _expected_entries([(102, 62)])
    assert [name for name, _ in out["entries"]] == [name for name, _ in expected] == ["(102, 62) 65 %", "(102, 62) 35 %"]
    for (_, color), (_, rgb) in zip(out["entries"], expected):
        assert np.abs(np.array(color) - rgb).max() < 2.5, (color, rgb)
    assert out["again"] == [["hintcolor suggestions"], ["(102, 62) 65 %"]]


def test_round_trip_paint_export_import_colorize(gimp2):
    Image.open(photo_path("kodim23.png")).convert("L").resize((768, 512)).save(gimp2.host / "photo.png")
    (gimp2.host / "photo.raw").write_bytes(Image.open(gimp2.host / "photo.png").tobytes())
    (gimp2.host / "bad.json").write_text("{not json")
    out = gimp2('''
        image, photo = new_photo("photo.raw", 768, 512)
        hint = add_hint_layer(image, photo)
        paint(hint, 600, 100, 5, [40, 90, 230, 255])
        paint(hint, 500, 30, 3, [230, 200, 30, 255])
        paint(hint, 200, 300, 9, [40, 180, 60, 255])
        colorize(image, photo, hints=1, hint_layer=hint)
        out["size"] = dump("original.raw", image.layers[1])
        out["hint_size"] = dump("hint.raw", hint)
        run(%r, image, hint, WORK, "hints.json")
        run(%r, image, photo, WORK + "/hints.json")
        imported = image.active_layer
        out["imported"] = [imported.name, names(image),
                           json.loads(imported.parasite_find("hintcolor-hints").data) == photo.tattoo, image.undo_depth]
        colorize(image, photo, hints=1, hint_layer=imported)
        dump("replayed.raw", image.layers[2])
        out["messages"] = gimp.messages()
        layers = names(image)
        run(%r, image, photo, WORK + "/bad.json")
        run(%r, image, hint, WORK + "/no-such-folder", "x.json")
        plain, layer = new_photo("photo.raw", 768, 512)
        run(%r, plain, layer, WORK, "y.json")
        out["errors"] = gimp.messages()[len(out["messages"]):]
        out["unchanged"] = names(image) == layers and names(plain) == ["Background"]
    ''' % (EXPORT, IMPORT, IMPORT, EXPORT, EXPORT))
    assert out["messages"] == []
    document = json.loads((gimp2.host / "hints.json").read_text())
    assert document["format"] == "hintcolor.hints" and document["image_size"] == [768, 512]
    assert out["imported"] == ["Color Hints (hints.json)",
                               ["Color Hints (hints.json)", "Color Hints", "Colorized (hintcolor)", "Background"], True, 0]
    original, replayed = _raw(gimp2, "original.raw", out["size"]), _raw(gimp2, "replayed.raw", out["size"])
    difference = np.abs(original.astype(int) - replayed)
    assert difference.mean() < 1.0 and np.percentile(difference, 99.9) <= 8, (difference.mean(), difference.max())
    assert len(_dot_centres(_raw(gimp2, "hint.raw", out["hint_size"]))) == 3
    assert len(out["errors"]) == 3 and all("\n" not in error for error in out["errors"])
    assert out["errors"][0].startswith("%s/bad.json is not a hints file (not JSON" % CHROOT_WORK)
    assert out["errors"][1].startswith("Cannot write %s/no-such-folder/x.json (" % CHROOT_WORK)
    assert out["errors"][2].startswith("The photo has no hint layer")
    assert out["unchanged"] and not (gimp2.host / "y.json").exists()


def test_without_weights_one_notice_per_session_and_suggest_is_one_message(gimp2):
    """Last in the module: replaces the worker by one without weights (the automatic engine propagates)."""
    gimp2.worker.terminate()
    gimp2.worker.wait(10)
    (gimp2.host / "flat.raw").write_bytes(bytes([GRAY]) * (256 * 192))
    with open(gimp2.host / "worker-noweights.log", "w") as log:
        env = dict(os.environ, HINTCOLOR_WEIGHTS=str(gimp2.host / "no-weights.pth"))
        gimp2.worker = serve(gimp2.host, None, log, env=env)
        out = gimp2('''
            image, photo = new_photo("flat.raw", 256, 192)
            hint = add_hint_layer(image, photo)
            paint(hint, 100, 60, 5, [200, 40, 40, 255])
            colorize(image, photo)
            colorize(image, hint)
            out["colorize"] = [gimp.messages(), names(image)]
            del gimp.CALLS[:]
            run(%r, image, photo, 5, True)
            out["suggest"] = gimp.messages()
        ''' % SUGGEST)
    notice = NOTICES["weights_missing"]
    assert out["colorize"] == [[notice[0].upper() + notice[1:]], ["Color Hints", "Colorized (hintcolor)", "Background"]]
    assert len(out["suggest"]) == 1 and out["suggest"][0].startswith(
        "Color suggestions need the network's weights, which are not installed for the worker (README: Weights")
