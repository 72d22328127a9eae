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
import time

import numpy as np
import pytest
from PIL import Image
from skimage import color as skcolor

from conftest import ROOT, photo_path
from gimp.harness import PY27, start_worker
from hintcolor.client import MESSAGES

CHROOT_WORK = os.environ.get("HINTCOLOR_GIMP2_TEST_DIR", "/tmp/hintcolor-gimp2-test")
COLORIZE, ADD = "plug-in-hintcolor-colorize", "plug-in-hintcolor-add-hint-layer"

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
with open(WORK + "/out.json", "w") as f:
    json.dump(out, f)
'''


@contextlib.contextmanager
def py27_session(weights, work: str):
    """A worker on this machine and the GIMP 2.10 plug-in installed by install.py into ``work/gimp`` in the
    Python 2.7 chroot, with the stand-in beside it; yields run(script) -> out."""
    host = PY27.prepare(work)
    subprocess.run([sys.executable, str(ROOT / "install.py"), "--plugin-only", "--gimp2-dir", str(host / "gimp"),
                    "--worker-dir", f"{work}/state"], check=True, capture_output=True)
    shutil.copytree(ROOT / "tests" / "gimp2", host / "standin", ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))
    log = open(host / "worker.log", "w")
    worker = start_worker(host, weights, log)
    while not (host / "state" / "worker.json").exists():
        assert worker.poll() is None, (host / "worker.log").read_text()
        time.sleep(0.1)

    def run(body: str) -> dict:
        script = PRELUDE % (work, COLORIZE, ADD, textwrap.indent(textwrap.dedent(body), " " * 8))
        (host / "driver.py").write_text(script)
        (host / "out.json").unlink(missing_ok=True)
        done = subprocess.run(PY27.python(work, f"{work}/driver.py"), capture_output=True, text=True, timeout=600)
        assert (host / "out.json").exists(), done.stderr[-3000:]
        out = json.loads((host / "out.json").read_text())
        assert "error" not in out, out["error"]
        return out

    run.host = host
    try:
        yield run
    finally:
        worker.terminate()
        worker.wait(10)
        log.close()


@pytest.fixture(scope="module")
def gimp2(echo_weights_file):
    with py27_session(echo_weights_file, CHROOT_WORK) as run:
        yield run


def _raw(gimp2, name, size):
    width, height, bpp = size
    return np.frombuffer((gimp2.host / name).read_bytes(), np.uint8).reshape(height, width, bpp)


def _ab_distance(rgb, color):
    lab = skcolor.rgb2lab(np.array([[rgb, color]], float) / 255)[0]
    return float(np.hypot(*(lab[0, 1:] - lab[1, 1:])))


def test_files_compile_and_registration_is_what_gimpfu_210_takes(gimp2):
    """Every installed file compiles under Python 2.7; the two procedures are registered with the GIMP 3
    plug-in's names and menus, image types and parameters as GIMP 2.10's gimpfu requires."""
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
    ''')
    assert out["version"] == [2, 7] and out["main"] == [True] and out["executable"]
    assert out["compiled"] == ["hintcolor.py", "hintcolor2_layers.py", "hintcolor_client.py", "hintcolor_links.py",
                               "hintcolor_requests.py"]
    registered = out["registered"]
    assert sorted(registered) == [ADD, COLORIZE]  # the GIMP 3 plug-in's procedure names
    for name, label, types in ((ADD, "Add Color _Hint Layer", "*"), (COLORIZE, "Colorize with _Hints...", "RGB*, GRAY*")):
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
    rgba = np.asarray(Image.open(photo_path("kodim23.png")).convert("L").resize((200, 150)))
    rgba = np.dstack([rgba, rgba, rgba, np.full_like(rgba, 255)])
    rgba[:10, :10, 3] = 0  # a transparent corner
    (gimp2.host / "offset.raw").write_bytes(rgba.tobytes())
    out = gimp2('''
        image, photo = new_photo("offset.raw", 200, 150, RGB, RGBA_IMAGE, offsets=(50, 40), size=(300, 250))
        hint = gimp.Layer(image, "Color Hints", 60, 60, RGBA_IMAGE, 100, LAYER_MODE_NORMAL)
        image.insert_layer(hint, None, 0)
        hint.set_offsets(180, 120)
        paint(hint, 10, 10, 4, [40, 200, 60, 255])  # canvas (190, 130) = photo (140, 90)
        colorize(image, photo, hints=2)
        out["plain"] = dump("offset_plain.raw", image.layers[1])
        colorize(image, photo, hints=1, hint_layer=hint)  # Hints: the layer chosen below
        result = image.layers[1]
        out["geometry"] = [result.width, result.height] + list(result.offsets) + [result.mask is None]
        out["result"] = dump("offset_result.raw", result)
        pdb.gimp_image_select_rectangle(image, CHANNEL_OP_REPLACE, 100, 100, 40, 30)
        colorize(image, photo, hints=1, hint_layer=hint)
        mask = image.layers[1].mask
        out["mask"] = dump("mask.raw", mask)
        out["count"] = names(image).count("Colorized (hintcolor)")
        out["messages"] = gimp.messages()
    ''')
    assert out["messages"] == []
    assert out["geometry"] == [200, 150, 50, 40, True]
    result, plain = _raw(gimp2, "offset_result.raw", out["result"]), _raw(gimp2, "offset_plain.raw", out["plain"])
    assert out["result"][2] == 4 and result[:10, :10, 3].max() == 0 and result[20:, 20:, 3].min() == 255  # the photo's alpha
    green = (40, 200, 60)
    assert _ab_distance(result[91, 141, :3], green) < 0.5 * _ab_distance(plain[91, 141, :3], green)
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
