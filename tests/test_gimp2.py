"""The GIMP 2.10 plug-in in the real GIMP 2.10.22 with Python-Fu (Python 2.7), headless, driven
through the PDB as a user's script drives it.

GIMP runs in the Debian bullseye chroot built by ``tests/gimp/build_gimp_env.sh bullseye`` (.ci/run
builds it; Python-Fu is built from source there). The plug-in is installed into a GIMP profile there
by install.py and talks to a real worker (hintcolor serve) on this machine over 127.0.0.1, with
weights in the official layout whose hints pull colors toward them and whose class head suggests
SUGGEST_PEAKS. Each test is one gimp-console-2.10 session running a python-fu-eval script; as its
exit status is 0 whatever happens, the script ends by printing a sentinel and the console must show
no traceback. Messages (pdb.gimp_message) are read from the console, where GIMP prints them as
"<menu label>-Warning: <text>". tests/test_gimp2_window.py drives the same GIMP through its window.
"""
import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image
from skimage import color as skcolor

from conftest import ROOT, photo_path
from gimp.harness import GIMP210, serve, worker_for
from plugin_modules import shared_module
from test_gimp_hints import GRAY, _dot_centres, _expected_entries

REQUESTS = shared_module("hintcolor_requests")  # the plug-ins' words for the worker's codes
MESSAGES, NOTICES = REQUESTS.MESSAGES, REQUESTS.NOTICES

CHROOT_WORK = os.environ.get("HINTCOLOR_GIMP2_TEST_DIR", "/tmp/hintcolor-gimp210-test")
COLORIZE, ADD = "plug-in-hintcolor-colorize", "plug-in-hintcolor-add-hint-layer"
SUGGEST, EXPORT, IMPORT = "plug-in-hintcolor-suggest", "plug-in-hintcolor-export-hints", "plug-in-hintcolor-import-hints"
DONE = "hintcolor-test-script-done"

PRELUDE = '''
import json, os, sys, traceback
WORK = %r
out = {}

def step(label):
    """What GIMP shows from here on belongs to ``label`` (a marker line in the console)."""
    sys.stdout.write("@@step %%s\\n" %% label)
    sys.stdout.flush()

def load(name):
    """The image WORK/name as File > Open gives it, and its layer."""
    image = pdb.gimp_file_load(WORK + "/" + name, name)
    return image, image.layers[0]

def save(drawable, name):
    """The drawable's pixels as WORK/name, a PNG written by GIMP (not through this script's tile cache)."""
    pdb.file_png_save_defaults(drawable.image, drawable, WORK + "/" + name, name)

def pixels(drawable):
    """The drawable's 8-bit pixels (bytes), read through a fresh object: one that read them before
    keeps its tiles, and GIMP may have changed them since."""
    fresh = gimp.Item.from_id(drawable.ID)
    return fresh.get_pixel_rgn(0, 0, fresh.width, fresh.height, False, False)[0:fresh.width, 0:fresh.height]

def paint(layer, x, y, size, rgb):
    """A size x size dot of ``rgb`` at (x, y) of ``layer`` (layer coordinates), as a user fills a selection."""
    ox, oy = layer.offsets
    pdb.gimp_image_select_rectangle(layer.image, CHANNEL_OP_REPLACE, ox + x, oy + y, size, size)
    gimp.set_foreground(tuple(rgb))
    pdb.gimp_drawable_edit_fill(layer, FILL_FOREGROUND)
    pdb.gimp_selection_none(layer.image)

def names(image):
    return [layer.name for layer in image.layers]

def layer_named(image, name):
    return [layer for layer in image.layers if layer.name == name][0]

def colorize(image, drawable, hints=0, hint_layer=None, engine=0, device=1, work_size=256, precision=0, snap=True):
    """Colorize with Hints on the active ``drawable`` (device 1: CPU)."""
    pdb.gimp_image_set_active_layer(image, drawable)
    pdb.plug_in_hintcolor_colorize(image, drawable, hints, hint_layer, engine, device, work_size, precision, snap)

def add_hint_layer(image, drawable):
    pdb.gimp_image_set_active_layer(image, drawable)
    pdb.plug_in_hintcolor_add_hint_layer(image, drawable)
    return image.active_layer

try:
%s
except Exception:
    out["error"] = traceback.format_exc()
with open(WORK + "/out.json", "w") as f:
    json.dump(out, f)
print(%r)
'''


class Console:
    """What one GIMP 2.10 session printed: ``messages[step]``, the messages shown during each step()."""

    def __init__(self, text: str):
        self.text = text
        self.messages: dict[str, list[str]] = {}
        step, lines = "", text.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("@@step "):
                step = line[len("@@step "):]
                self.messages.setdefault(step, [])
            found = re.match(r"^[A-Z][\w .]*-Warning: (.*)$", line)
            if found:  # a message; a message of several lines would continue until the next empty line
                rest = lines[i + 1:lines.index("", i + 1)] if "" in lines[i + 1:] else lines[i + 1:]
                self.messages.setdefault(step, []).append("\n".join([found.group(1)] + rest))


def gimp210_run(work: str, body: str, folder: str = "gimp2") -> tuple[dict, Console]:
    """Run ``body`` (Python 2.7, indented as a function body) in one headless GIMP 2.10 session with
    the profile ``work/folder``; checks that it ran to its end without a traceback."""
    host = GIMP210.host_path(work)
    script = PRELUDE % (work, textwrap.indent(textwrap.dedent(body), "    "), DONE)
    (host / "out.json").unlink(missing_ok=True)
    done = subprocess.run(GIMP210.console_command(work, folder), input=script, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=660)
    console = Console(done.stdout)
    assert DONE in done.stdout, done.stdout[-5000:]
    out = json.loads((host / "out.json").read_text())
    assert "error" not in out, out["error"] + done.stdout[-5000:]
    assert "Traceback" not in done.stdout and "execution error" not in done.stdout, done.stdout[-5000:]
    return out, console


@pytest.fixture(scope="module")
def gimp2(suggest_weights_file):
    """A worker on this machine (weights whose hints pull colors toward them and whose class head
    suggests SUGGEST_PEAKS) and the plug-in installed in GIMP 2.10's profile; yields run(script)."""
    host = GIMP210.prepare(CHROOT_WORK)
    GIMP210.install(CHROOT_WORK)

    def run(body: str) -> tuple[dict, Console]:
        return gimp210_run(CHROOT_WORK, body)

    with worker_for(run, host, suggest_weights_file):
        yield run


def _png(gimp2, name) -> np.ndarray:
    return np.asarray(Image.open(gimp2.host / name))


def _ab_distance(rgb, color):
    lab = skcolor.rgb2lab(np.array([[rgb, color]], float) / 255)[0]
    return float(np.hypot(*(lab[0, 1:] - lab[1, 1:])))


def _first_upper(text: str) -> str:
    return text[0].upper() + text[1:]


def test_links_written_by_gimp_210_decode_with_their_nul():
    """GIMP 2.10 keeps the C string's NUL after a layer parasite's data (so does an XCF it saved, opened
    in GIMP 3): the link reads the same."""
    sys.path.insert(0, str(ROOT / "gimp_plugin" / "shared"))
    import hintcolor_links as links

    value = {"photo": 2, "hints": 3}
    assert links.decode_link(links.encode_link(value) + b"\0") == value
    assert links.decode_link(list(links.encode_link(7) + b"\0")) == 7  # GIMP 3 hands the data over as byte values
    assert links.decode_link(b"{not json\0") is None


def test_registered_with_the_gimp_3_plugins_names_menus_and_parameters(gimp2):
    """What GIMP 2.10 recorded of the registration (its pluginrc: menu, label, image types, the PDB
    arguments), and every installed file compiled by GIMP's Python 2.7."""
    out, _ = gimp2('''
        import py_compile
        plugins = os.environ["GIMP2_DIRECTORY"] + "/plug-ins"
        files = [plugins + "/hintcolor.py"] + [plugins + "/hintcolor_lib/" + name
                                               for name in sorted(os.listdir(plugins + "/hintcolor_lib"))
                                               if name.endswith(".py")]
        for path in files:
            py_compile.compile(path, doraise=True)
        out["compiled"] = [os.path.basename(path) for path in files]
        out["version"] = list(sys.version_info[:2]) + list(gimp.version)
        out["args"] = {}
        for name in %r:
            count = pdb.gimp_procedural_db_proc_info(name)[6]
            out["args"][name] = [list(pdb.gimp_procedural_db_proc_arg(name, i)) for i in range(count)]
        sys.path.insert(0, plugins + "/hintcolor_lib")
        import hintcolor2_layers
        out["as_rgba"] = [list(bytearray(hintcolor2_layers.as_rgba(data, bpp))) for data, bpp in
                          (("\\x10\\x20\\x30", 3), ("\\x10\\x80", 2), ("\\x10", 1), ("\\x01\\x02\\x03\\x04", 4))]
    ''' % ([ADD, COLORIZE, SUGGEST, EXPORT, IMPORT],))
    assert out["version"] == [2, 7, 2, 10, 22]
    assert out["compiled"] == ["hintcolor.py", "hintcolor2_adapter.py", "hintcolor2_hints.py", "hintcolor2_layers.py",
                               "hintcolor_client.py", "hintcolor_links.py", "hintcolor_procedures.py",
                               "hintcolor_protocol.py", "hintcolor_requests.py", "hintcolor_steps.py"]
    # a hint layer of any channels reaches the worker as RGBA (Y, YA, RGB, RGBA)
    assert out["as_rgba"] == [[16, 32, 48, 255], [16, 16, 16, 128], [16, 16, 16, 255], [1, 2, 3, 4]]
    pluginrc = (gimp2.host / "gimp2" / "pluginrc").read_bytes().decode("latin-1")
    for name, label, types in ((ADD, "Add Color _Hint Layer", "*"), (COLORIZE, "Colorize with _Hints...", "RGB*, GRAY*"),
                               (SUGGEST, "Suggest Hint _Colors", "RGB*, GRAY*"), (EXPORT, "E_xport Hints...", "RGB*, GRAY*"),
                               (IMPORT, "I_mport Hints...", "*")):
        entry = pluginrc[pluginrc.index(f'(proc-def "{name}"'):]
        entry = entry[:entry.index("(proc-def", 1)] if "(proc-def" in entry[1:] else entry
        # date, label, type (plug-in), the menu (as the GIMP 3 plug-in's), icon, image types
        assert re.search(rf'"2026"\s+"{re.escape(label)}"\s+1\s+\(menu-path "<Image>/Filters/Colors"\)\s+'
                         rf'\(icon [^)]*\)\s+"{re.escape(types)}"', entry), entry
    args = {name: [(kind, arg) for kind, arg, _ in found] for name, found in out["args"].items()}
    image = [(0, "run-mode"), (13, "image"), (16, "drawable")]  # PDB_INT32, PDB_IMAGE, PDB_DRAWABLE
    assert args[ADD] == image
    assert args[COLORIZE] == image + [(0, "hints"), (14, "hint-layer"), (0, "engine"), (0, "device"),
                                      (0, "work-size"), (0, "precision"), (0, "snap-hints")]  # 14: PDB_LAYER
    assert args[SUGGEST] == image + [(0, "count"), (0, "snap-hints")]
    assert args[EXPORT] == image + [(4, "folder"), (4, "filename")]  # PDB_STRING
    assert args[IMPORT] == image + [(4, "file")]
    descriptions = {arg: text for _, arg, text in out["args"][COLORIZE]}
    assert descriptions["work-size"] == "Working resolution"  # the dialog's labels, without their mnemonics
    assert descriptions["hint-layer"] == "Hint layer (when chosen above)"


def test_add_hint_layer_converts_grayscale_and_activates_it(gimp2):
    Image.open(photo_path("kodim05.png")).convert("L").resize((384, 256)).save(gimp2.host / "gray.png")
    out, console = gimp2('''
        image, photo = load("gray.png")
        step("add")
        hint = add_hint_layer(image, photo)
        out["after"] = [image.base_type == RGB, names(image), hint.name, image.active_layer.name]
        out["hint"] = [hint.width, hint.height, hint.bpp, hint.offsets, hint.mode == LAYER_MODE_NORMAL]
        save(hint, "hint.png")
        save(photo, "photo-rgb.png")
        pdb.gimp_item_set_visible(hint, False)
        pdb.gimp_image_set_active_layer(image, photo)
        step("again")
        again = add_hint_layer(image, photo)
        out["again"] = [again.ID == hint.ID, bool(pdb.gimp_item_get_visible(hint)), len(image.layers)]
    ''')
    assert console.messages == {"add": [], "again": []}
    assert out["after"] == [True, ["Color Hints", "Background"], "Color Hints", "Color Hints"]
    assert out["hint"] == [384, 256, 4, [0, 0], True]  # canvas size; GIMP 2.10's Normal mode (not the legacy one)
    assert _png(gimp2, "hint.png")[..., 3].max() == 0  # transparent
    rgb, gray = _png(gimp2, "photo-rgb.png"), _png(gimp2, "gray.png")
    assert all(np.array_equal(rgb[..., channel], gray) for channel in range(3))  # the photo's grays, kept
    assert out["again"] == [True, True, 2]  # shown and activated, not added again


def test_colorize_a_photo_with_painted_dots_then_rerun_from_each_layer(gimp2):
    Image.open(photo_path("kodim23.png")).convert("L").resize((768, 512)).save(gimp2.host / "photo.png")
    out, console = gimp2('''
        image, photo = load("photo.png")
        hint = add_hint_layer(image, photo)
        step("plain")
        colorize(image, photo)
        save(image.layers[1], "plain.png")
        paint(hint, 600, 100, 5, [40, 90, 230])
        paint(hint, 500, 30, 3, [230, 200, 30])
        save(photo, "photo-before.png")
        save(hint, "hint-before.png")
        step("hinted")
        colorize(image, hint)  # Hints: the photo's hint layer, run with the hint layer active (as after painting)
        result = layer_named(image, "Colorized (hintcolor)")
        save(result, "hinted.png")
        out["layers"] = names(image)
        out["result"] = [result.offsets, result.mode == LAYER_MODE_NORMAL, result.bpp, result.mask is None]
        out["active"] = image.active_layer.name
        save(photo, "photo-after.png")
        save(hint, "hint-after.png")
        out["reruns"], hinted = {}, pixels(result)
        for label, layer in (("photo", photo), ("result", result), ("hint layer", hint)):
            step(label)
            colorize(image, layer if label != "result" else image.layers[1])
            out["reruns"][label] = [pixels(image.layers[1]) == hinted, names(image)]
        step("none")
        colorize(image, hint, hints=2)  # Hints: None
        save(image.layers[1], "none.png")
    ''')
    assert all(messages == [] for step, messages in console.messages.items() if step != "plain"), console.messages
    assert len(console.messages["plain"]) <= 1  # at most a notice, once
    assert out["layers"] == ["Color Hints", "Colorized (hintcolor)", "Background"]  # directly above the photo
    assert out["result"] == [[0, 0], True, 3, True]  # a photo without alpha: RGB; GIMP 2.10's Normal mode
    assert out["active"] == "Color Hints"  # the layer active before the run stays active: paint on, Ctrl+F
    assert np.array_equal(_png(gimp2, "photo-before.png"), _png(gimp2, "photo-after.png"))
    assert np.array_equal(_png(gimp2, "hint-before.png"), _png(gimp2, "hint-after.png"))
    # whichever of its layers is active: the same photo and hint layer, the result replaced (not stacked)
    assert out["reruns"] == {label: [True, out["layers"]] for label in ("photo", "result", "hint layer")}
    assert np.array_equal(_png(gimp2, "none.png"), _png(gimp2, "plain.png"))
    plain, hinted = _png(gimp2, "plain.png"), _png(gimp2, "hinted.png")
    for x, y, color in ((602, 102, (40, 90, 230)), (501, 31, (230, 200, 30))):
        assert _ab_distance(hinted[y, x], color) < 0.5 * _ab_distance(plain[y, x], color), (x, y, hinted[y, x])


def test_offset_layers_alpha_and_a_feathered_selection(gimp2):
    gray = np.asarray(Image.open(photo_path("kodim23.png")).convert("L").resize((400, 300)))
    rgba = np.dstack([gray, gray, gray, np.full_like(gray, 255)])
    rgba[:10, :10, 3] = 0  # a transparent corner
    Image.fromarray(rgba).save(gimp2.host / "offset.png")
    out, console = gimp2('''
        image = gimp.Image(600, 500, RGB)
        photo = pdb.gimp_file_load_layer(image, WORK + "/offset.png")
        pdb.gimp_image_insert_layer(image, photo, None, 0)
        photo.set_offsets(50, 40)
        hint = gimp.Layer(image, "Color Hints", 100, 100, RGBA_IMAGE, 100, LAYER_MODE_NORMAL)  # made by hand
        pdb.gimp_image_insert_layer(image, hint, None, 0)
        pdb.gimp_drawable_fill(hint, FILL_TRANSPARENT)
        hint.set_offsets(300, 200)
        paint(hint, 20, 20, 5, [40, 200, 60])  # canvas (320, 220) = photo (270, 180)
        step("runs")
        colorize(image, photo, hints=2)
        save(image.layers[1], "offset-plain.png")
        colorize(image, photo, hints=1, hint_layer=hint)  # Hints: the layer chosen below
        result = image.layers[1]
        out["geometry"] = [result.name, result.width, result.height] + list(result.offsets) + [result.mask is None]
        save(result, "offset-result.png")
        pdb.gimp_context_set_feather(True)
        pdb.gimp_context_set_feather_radius(16, 16)
        pdb.gimp_image_select_ellipse(image, CHANNEL_OP_REPLACE, 250, 160, 90, 70)  # photo (200, 120)
        pdb.gimp_context_set_feather(False)
        with open(WORK + "/selection.raw", "wb") as f:
            f.write(pixels(image.selection))
        step("region")
        colorize(image, photo, hints=1, hint_layer=hint)
        save(image.layers[1], "offset-region.png")
        out["region"] = [image.layers[1].mask is None, names(image).count("Colorized (hintcolor)")]
        step("off the photo")
        pdb.gimp_image_select_rectangle(image, CHANNEL_OP_REPLACE, 500, 400, 40, 30)
        colorize(image, photo, hints=1, hint_layer=hint)
        save(image.layers[1], "offset-off.png")
    ''')
    assert console.messages["runs"] == [] and console.messages["region"] == []
    assert console.messages["off the photo"] == [_first_upper(MESSAGES["region"])]
    assert out["geometry"] == ["Colorized (hintcolor)", 400, 300, 50, 40, True]
    result, plain = _png(gimp2, "offset-result.png"), _png(gimp2, "offset-plain.png")
    assert result.shape == (300, 400, 4) and result[:10, :10, 3].max() == 0 and result[20:, 20:, 3].min() == 255
    green = (40, 200, 60)
    assert _ab_distance(result[182, 272, :3], green) < 0.5 * _ab_distance(plain[182, 272, :3], green)
    # with a feathered ellipse selected: the detail, through the selection; the rest exactly as it was
    selection = np.frombuffer((gimp2.host / "selection.raw").read_bytes(), np.uint8).reshape(500, 600)[40:340, 50:450]
    region = _png(gimp2, "offset-region.png")
    assert out["region"] == [True, 1]
    assert np.array_equal(region[selection == 0], result[selection == 0])
    changed = np.abs(region[..., :3].astype(int) - result[..., :3]).max(axis=2)
    assert changed[selection == 255].max() > 0  # the detail
    soft = (selection > 0) & (selection < 255)
    assert soft.sum() > 500 and changed[soft].max() > 0  # the feathered edge blends part of it
    assert np.array_equal(_png(gimp2, "offset-off.png"), region)  # a selection off the photo changes nothing


def test_errors_are_one_message_in_gimps_words_and_change_nothing(gimp2):
    """Wrong options, and a worker that is not running and cannot be started (the plug-in installed in
    a second profile, told to find the worker in an empty folder): one message each, nothing changed."""
    Image.fromarray(np.arange(128 * 128, dtype=np.uint8).reshape(128, 128)).save(gimp2.host / "small.png")
    (gimp2.host / "nowhere").mkdir(mode=0o700)
    GIMP210.install(CHROOT_WORK, "gimp2-nowhere", state=f"{CHROOT_WORK}/nowhere")
    body = '''
        image, photo = load("small.png")
        hint = add_hint_layer(image, photo)
        paint(hint, 5, 5, 3, [200, 40, 40])
        def state(image):
            return [names(image), image.base_type] + [pixels(layer) for layer in image.layers]
        before = state(image)
        out["unchanged"] = {}
        for label, options in %r:
            step(label)
            colorize(image, photo, hint_layer=photo if options.pop("photo", False) else None, **options)
            out["unchanged"][label] = state(image) == before
    '''
    cases = (("gpu", {"device": 2}), ("no layer chosen", {"hints": 1}), ("photo as hint layer", {"hints": 1, "photo": 1}))
    out, console = gimp2(body % (cases,))
    out_nowhere, nowhere = gimp210_run(CHROOT_WORK, body % ((("no worker", {}),),), folder="gimp2-nowhere")
    gpu = MESSAGES["device"]
    assert console.messages["gpu"] == [_first_upper(gpu)]
    assert console.messages["no layer chosen"] == ["Choose a Hint layer of this image, or Hints: The photo's hint layer."]
    assert console.messages["photo as hint layer"] == [
        "The hint layer cannot be the photo itself: choose the layer you painted on."]
    (message,) = nowhere.messages["no worker"]
    assert message.startswith("No hintcolor worker is running, and ") and "hintcolor serve --state-dir" in message
    assert "\n" not in message
    assert all(out["unchanged"].values()) and out_nowhere["unchanged"] == {"no worker": True}


def test_suggest_fills_the_palette_at_the_painted_dots(gimp2):
    """GIMP 2.10's PDB has no sample points: the suggestions are for the hint layer's painted dots."""
    Image.new("L", (256, 192), GRAY).save(gimp2.host / "flat.png")
    out, console = gimp2('''
        image, photo = load("flat.png")
        step("no hint layer")
        pdb.plug_in_hintcolor_suggest(image, photo, 5, True)
        hint = add_hint_layer(image, photo)
        paint(hint, 100, 60, 5, [200, 40, 40])
        step("suggest")
        pdb.plug_in_hintcolor_suggest(image, hint, 5, True)
        def entries(name):
            return [[pdb.gimp_palette_entry_get_name(name, i), list(pdb.gimp_palette_entry_get_color(name, i))[:3]]
                    for i in range(pdb.gimp_palette_get_info(name))]
        out["palette"] = pdb.gimp_context_get_palette()
        out["entries"] = entries(out["palette"])
        step("again")
        pdb.plug_in_hintcolor_suggest(image, photo, 1, True)  # again: the same palette, emptied first
        out["again"] = [pdb.gimp_palettes_get_list("hintcolor")[1], [name for name, _ in entries(out["palette"])]]
    ''')
    no_points = MESSAGES["no_points"]
    assert console.messages == {"no hint layer": [_first_upper(no_points)], "suggest": [], "again": []}
    assert out["palette"] == "hintcolor suggestions"
    expected = _expected_entries([(102, 62)])
    assert [name for name, _ in out["entries"]] == [name for name, _ in expected] == ["(102, 62) 65 %", "(102, 62) 35 %"]
    for (_, color), (_, rgb) in zip(out["entries"], expected):
        assert np.abs(np.array(color) - rgb).max() < 2.5, (color, rgb)
    assert out["again"] == [["hintcolor suggestions"], ["(102, 62) 65 %"]]


def test_round_trip_paint_export_import_colorize(gimp2):
    Image.open(photo_path("kodim23.png")).convert("L").resize((768, 512)).save(gimp2.host / "photo.png")
    (gimp2.host / "bad.json").write_text("{not json")
    out, console = gimp2('''
        image, photo = load("photo.png")
        hint = add_hint_layer(image, photo)
        paint(hint, 600, 100, 5, [40, 90, 230])
        paint(hint, 500, 30, 3, [230, 200, 30])
        paint(hint, 200, 300, 9, [40, 180, 60])
        step("round trip")
        colorize(image, photo, hints=1, hint_layer=hint)
        save(image.layers[1], "original.png")
        save(hint, "hint.png")
        pdb.plug_in_hintcolor_export_hints(image, hint, WORK, "hints.json")
        pdb.plug_in_hintcolor_import_hints(image, photo, WORK + "/hints.json")
        imported = image.active_layer
        link = gimp.Item.from_id(imported.ID).parasite_find("hintcolor-hints").data
        out["imported"] = [imported.name, names(image), json.loads(link.rstrip("\\0")) == photo.tattoo]
        colorize(image, photo, hints=1, hint_layer=imported)
        save(image.layers[2], "replayed.png")
        layers = names(image)
        step("bad file")
        pdb.plug_in_hintcolor_import_hints(image, photo, WORK + "/bad.json")
        step("no folder")
        pdb.plug_in_hintcolor_export_hints(image, hint, WORK + "/no-such-folder", "x.json")
        plain, layer = load("photo.png")
        step("no hint layer")
        pdb.plug_in_hintcolor_export_hints(plain, layer, WORK, "y.json")
        out["unchanged"] = names(image) == layers and names(plain) == ["Background"]
    ''')
    assert console.messages["round trip"] == []
    document = json.loads((gimp2.host / "hints.json").read_text())
    assert document["format"] == "hintcolor.hints" and document["image_size"] == [768, 512]
    assert out["imported"] == ["Color Hints (hints.json)",
                               ["Color Hints (hints.json)", "Color Hints", "Colorized (hintcolor)", "Background"], True]
    original, replayed = _png(gimp2, "original.png"), _png(gimp2, "replayed.png")
    difference = np.abs(original.astype(int) - replayed)
    assert difference.mean() < 1.0 and np.percentile(difference, 99.9) <= 8, (difference.mean(), difference.max())
    assert len(_dot_centres(_png(gimp2, "hint.png"))) == 3
    errors = [console.messages[step] for step in ("bad file", "no folder", "no hint layer")]
    assert all(len(messages) == 1 and "\n" not in messages[0] for messages in errors), errors
    assert errors[0][0].startswith("%s/bad.json is not a hints file (not JSON" % CHROOT_WORK)
    assert errors[1][0].startswith("Cannot write %s/no-such-folder/x.json (" % CHROOT_WORK)
    assert errors[2][0].startswith("The photo has no hint layer")
    assert out["unchanged"] and not (gimp2.host / "y.json").exists()


def test_without_weights_one_notice_per_session_and_suggest_is_one_message(gimp2):
    """Last in the module: replaces the worker by one without weights (the automatic engine propagates)."""
    gimp2.worker.terminate()
    gimp2.worker.wait(10)
    Image.new("L", (256, 192), GRAY).save(gimp2.host / "flat.png")
    with open(gimp2.host / "worker-noweights.log", "w") as log:
        env = dict(os.environ, HINTCOLOR_WEIGHTS=str(gimp2.host / "no-weights.pth"))
        gimp2.worker = serve(gimp2.host, None, log, env=env)
        out, console = gimp2('''
            image, photo = load("flat.png")
            hint = add_hint_layer(image, photo)
            paint(hint, 100, 60, 5, [200, 40, 40])
            step("colorize")
            colorize(image, photo)
            colorize(image, hint)
            out["layers"] = names(image)
            step("suggest")
            pdb.plug_in_hintcolor_suggest(image, photo, 5, True)
        ''')
    assert console.messages["colorize"] == [_first_upper(NOTICES["weights_missing"])]
    assert out["layers"] == ["Color Hints", "Colorized (hintcolor)", "Background"]
    (message,) = console.messages["suggest"]
    assert message.startswith("Color suggestions need the network's weights, which are not installed for the "
                              "worker (README: Weights")
