"""The GIMP 2.10 plug-in in GIMP 2.10.22's real window (Xvfb, display :71), driven as a user drives
it: Add Color Hint Layer and one Ctrl+Z, Colorize with Hints from its dialog, painting with the pencil
and Ctrl+F, Ctrl+Z and Ctrl+Y (the hint layer stays active), the progress in the status bar, a run whose worker is gone, Suggest Hint Colors,
Export Hints and Import Hints from their dialogs, and quitting GIMP.

The worker runs on this machine, first without weights (the automatic engine propagates the hints,
and says once that the weights are missing), then with weights for Suggest Hint Colors. Message boxes are
counted on screen (GIMP's "GIMP Message", the plug-in's own "hintcolor Message", gimpfu's error
dialog); the state of an image is read by saving it (Ctrl+S) and opening the XCF in a headless GIMP
2.10. Screenshots of each step are kept in ``.gimp210-root/tmp/hintcolor-gimp210-window/``.
"""
import json
import os
import re

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from skimage import color as skcolor

from conftest import photo_path
from gimp.harness import GIMP210, serve, worker_for
from gimp.window210 import Gimp210Window, wait_for
from test_gimp2 import gimp210_run

WORK = "/tmp/hintcolor-gimp210-window"
DOT = (300, 200, 7, (200, 40, 160))  # x, y, size, color of the hint dot painted beforehand
RESULT = "Colorized (hintcolor)"

MAKE_IMAGES = '''
        x, y, size, color = %(dot)r
        def with_hints(name, xcf):
            """The photo, a "Color Hints" layer with one dot (Add Color Hint Layer), the photo active."""
            image, photo = load(name)
            hint = add_hint_layer(image, photo)
            paint(hint, x, y, size, color)
            pdb.gimp_image_set_active_layer(image, photo)
            pdb.gimp_xcf_save(0, image, photo, WORK + "/" + xcf, xcf)
        image, photo = load("photo.png")
        pdb.gimp_xcf_save(0, image, photo, WORK + "/gray.xcf", "gray.xcf")
        with_hints("photo.png", "photo.xcf")
        with_hints("big.png", "big.xcf")
'''

INSPECT = '''
        image, _ = load(%r)
        out["base"] = image.base_type
        out["layers"] = [[layer.name, bool(layer.visible), layer.mode == LAYER_MODE_NORMAL] for layer in image.layers]
        out["active"] = image.active_layer.name
        for index, layer in enumerate(image.layers):
            save(layer, "inspect-%%d.png" %% index)
        with open(WORK + "/inspect-selection.raw", "wb") as f:
            f.write(pixels(image.selection))
        out["size"] = [image.width, image.height]
'''


@pytest.fixture(scope="module")
def gimp(suggest_weights_file, tmp_path_factory):
    """GIMP 2.10's window with gray.xcf (a black-and-white photo), photo.xcf (the photo, a "Color
    Hints" layer with one dot above it, the photo active) and big.xcf (the same at 12 MP) in tabs 1 to
    3, and a worker without weights (the automatic engine propagates the hints; ``gimp.weights``: the
    weights of the worker that replaces it); stopped afterwards, process by process."""
    GIMP210.require()
    host = GIMP210.prepare(WORK)
    GIMP210.install(WORK)
    gray = Image.open(photo_path("kodim23.png")).convert("L")
    gray.save(host / "photo.png")
    gray.resize((4000, 3000), Image.BICUBIC).save(host / "big.png", compress_level=1)
    gimp210_run(WORK, MAKE_IMAGES % {"dot": DOT})
    window = Gimp210Window(GIMP210, WORK)
    worker_env = {k: v for k, v in os.environ.items() if k != "HINTCOLOR_WEIGHTS"}
    worker_env["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("no-weights"))
    with worker_for(window, host, None, worker_env):
        try:
            window.start(f"{WORK}/gray.xcf", f"{WORK}/photo.xcf", f"{WORK}/big.xcf")
            wait_for(lambda: window.title(window.image_window).startswith("big.xcf"), 120, "big.xcf opened")
            window.weights = suggest_weights_file
            yield window
        finally:
            window.stop()


def finished(gimp) -> int:
    """How many requests the worker has answered."""
    return (gimp.host / "worker.log").read_text().count("replied in")


def plugin_running() -> bool:
    """Whether a hintcolor plug-in process is there (a child of GIMP in the chroot; one that has ended
    is there until GIMP has taken note of it)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"gimp2/plug-ins/hintcolor.py" in f.read():
                    return True
        except OSError:
            continue
    return False


def show(gimp, tab: int, name: str) -> None:
    """Switch to image tab ``tab`` (Alt+N) and wait until the window shows ``name``."""
    gimp.key(f"alt+{tab}")
    wait_for(lambda: gimp.title(gimp.image_window).startswith(name), 30, f"{name} shown")


def layers_in_title(gimp, count: int) -> None:
    word = "layer" if count == 1 else "layers"
    try:
        wait_for(lambda: f", {count} {word})" in gimp.title(gimp.image_window), 60, f"{count} {word} in the title")
    except AssertionError:
        gimp.screenshot(f"failed-{count}-{word}.png")
        raise


def settle(gimp, name: str) -> None:
    """Wait until the plug-in has ended, save the image (Ctrl+S) and wait for GIMP to have saved it, and
    until every message box the run brought is on screen."""
    wait_for(lambda: not plugin_running(), 120, "the plug-in to end")
    path = gimp.host / name
    saved = path.stat().st_mtime_ns
    gimp.key("ctrl+s")
    wait_for(lambda: path.stat().st_mtime_ns != saved and not gimp.title(gimp.image_window).startswith("*"), 60,
             f"{name} saved")
    gimp.sync()


def inspect(gimp, name: str) -> dict:
    """Save the image (Ctrl+S) and read it in a headless GIMP 2.10: base type, [name, visible, normal
    mode] of each layer from the top, the active layer; each layer's pixels as ``pixels[i]``, the
    selection as ``selection`` (H×W uint8)."""
    settle(gimp, name)
    out, _ = gimp210_run(WORK, INSPECT % name, folder="gimp2-batch")
    out["pixels"] = [np.asarray(Image.open(gimp.host / f"inspect-{i}.png")) for i in range(len(out["layers"]))]
    width, height = out["size"]
    out["selection"] = np.frombuffer((gimp.host / "inspect-selection.raw").read_bytes(), np.uint8).reshape(height, width)
    return out


def run_dialog(gimp, label: str, procedure: str, text: str = "", keys: tuple[str, ...] = ()) -> None:
    """Open ``label``'s dialog through the action search, type ``text`` into its first field, press
    ``keys``, then OK (Alt+O)."""
    gimp.action(label)
    gimp.dialog(f"^{procedure}$")
    if text:
        gimp.type(text)
    if keys:
        gimp.x("xdotool", "key", "--delay", "200", *keys)
    gimp.screenshot(f"dialog-{procedure}.png")
    gimp.x("xdotool", "key", "alt+o")


def dismiss(gimp) -> None:
    """Close the message box on screen (Return) and wait until it is gone."""
    (box,) = gimp.find("Message$")
    gimp.key("Return", window=box)
    wait_for(lambda: not gimp.messages(), 30, "the message box to close")


def chroma(rgb) -> float:
    lab = skcolor.rgb2lab(np.array([[rgb[:3]]], float) / 255)[0, 0]
    return float(np.hypot(lab[1], lab[2]))


def test_add_color_hint_layer_and_one_undo(gimp):
    """A grayscale photo becomes RGB, the hint layer goes above it and is active; one Ctrl+Z undoes both."""
    show(gimp, 1, "gray.xcf")
    assert "Grayscale" in gimp.title(gimp.image_window)
    gimp.action("Add Color Hint Layer")
    layers_in_title(gimp, 2)
    gimp.screenshot("1-hint-layer.png")
    state = inspect(gimp, "gray.xcf")
    assert gimp.messages() == []
    assert state["layers"] == [["Color Hints", True, True], ["Background", True, True]] and state["base"] == 0
    assert state["active"] == "Color Hints"
    assert state["pixels"][0][..., 3].max() == 0  # transparent
    gimp.key("ctrl+z")
    layers_in_title(gimp, 1)
    assert "Grayscale" in gimp.title(gimp.image_window)  # the conversion to RGB went with it
    assert gimp.messages() == []


def test_colorize_from_the_dialog_then_paint_ctrl_f_and_undo(gimp):
    show(gimp, 2, "photo.xcf")
    before = inspect(gimp, "photo.xcf")
    served = finished(gimp)
    run_dialog(gimp, "Colorize with Hints", "plug-in-hintcolor-colorize")  # the dialog's defaults
    wait_for(lambda: finished(gimp) > served, 120, "the worker to answer the dialog's run")
    wait_for(gimp.messages, 60, "the notice that the weights are missing")
    gimp.screenshot("2-dialog-run.png")
    assert gimp.messages() == ["hintcolor Message"]  # once, not followed by "Unable to run GimpPdbProgress callback"
    dismiss(gimp)
    layers_in_title(gimp, 3)
    state = inspect(gimp, "photo.xcf")
    assert gimp.messages() == []
    (run,) = [line for line in (gimp.host / "worker.log").read_text().splitlines() if "colorize " in line]
    assert run.endswith("hint layer: yes (1 patches), {'device': 'auto', 'engine': 'auto', 'precision': 'auto', "
                        "'work_size': 256, 'snap_hints': True, 'preview': False}")  # the dialog's defaults
    assert [name for name, _, _ in state["layers"]] == ["Color Hints", RESULT, "Background"]
    assert all(normal for _, _, normal in state["layers"])  # GIMP 2.10's Normal mode, not the legacy one
    assert state["active"] == "Background"  # the layer active before the run
    assert np.array_equal(state["pixels"][0], before["pixels"][0])  # the hint layer untouched
    assert np.array_equal(state["pixels"][2], before["pixels"][1])  # the photo untouched
    x, y, size, color = DOT
    result = state["pixels"][1]
    red, green, blue = result[y + size // 2, x + size // 2, :3].astype(int)
    assert red > green + 30 and blue > green + 30  # the dot's magenta
    gimp.key("ctrl+z")  # one undo removes the result
    layers_in_title(gimp, 2)
    gimp.key("ctrl+y")
    layers_in_title(gimp, 3)

    gimp.action("Select Top Layer")  # the hint layer, to paint on
    gimp.key("n")  # the pencil, black
    geometry = dict(line.split("=") for line in gimp.x("xdotool", "getwindowgeometry", "--shell",
                                                        gimp.image_window).split())
    gimp.click(int(geometry["X"]) + 900, int(geometry["Y"]) + 600)  # a black dot on the photo's right
    wait_for(lambda: gimp.title(gimp.image_window).startswith("*"), 30, "the stroke")
    served = finished(gimp)
    gimp.key("ctrl+f")  # Repeat Last, with the hint layer active
    wait_for(lambda: finished(gimp) > served, 120, "the worker to answer Ctrl+F")
    state = inspect(gimp, "photo.xcf")
    gimp.screenshot("3-ctrl-f.png")
    assert gimp.messages() == []
    assert [name for name, _, _ in state["layers"]] == ["Color Hints", RESULT, "Background"]  # replaced
    assert state["active"] == "Color Hints"
    labels, count = ndimage.label(state["pixels"][0][..., 3] > 0)
    assert count == 2  # the dot painted beforehand and the pencil's
    sizes = ndimage.sum(labels > 0, labels, [1, 2])
    cy, cx = (int(round(c)) for c in ndimage.center_of_mass(labels > 0, labels, 1 + int(np.argmax(sizes))))
    assert chroma(state["pixels"][1][cy, cx]) < 5 < chroma(result[cy, cx])  # the black dot's gray, where it is
    assert np.array_equal(state["pixels"][2], before["pixels"][1])
    rerun = state["pixels"][1]

    # one undo brings the earlier result back, the hint layer still active: the next dots land on it
    assert np.array_equal(undo_step(gimp, "ctrl+z")["pixels"][1], result)
    assert np.array_equal(undo_step(gimp, "ctrl+y")["pixels"][1], rerun)  # and redo the re-run's


def test_a_rectangle_dragged_with_rectangle_select_is_colorized_in_detail(gimp):
    """photo.xcf with a result, the hint layer active (as the test before leaves it): a rectangle
    dragged over the pencil's dot with Rectangle Select, Ctrl+F: only the selection changes; one
    Ctrl+Z gives the result back."""
    show(gimp, 2, "photo.xcf")
    before = inspect(gimp, "photo.xcf")
    assert [name for name, _, _ in before["layers"]] == ["Color Hints", RESULT, "Background"]
    assert before["active"] == "Color Hints"
    gimp.key("r")  # Rectangle Select
    geometry = dict(line.split("=") for line in gimp.x("xdotool", "getwindowgeometry", "--shell",
                                                        gimp.image_window).split())
    left, top = int(geometry["X"]), int(geometry["Y"])
    gimp.drag((left + 780, top + 480), (left + 960, top + 640))  # around the pencil's dot (see above)
    served = finished(gimp)
    gimp.key("ctrl+f")
    wait_for(lambda: finished(gimp) > served, 120, "the worker to answer Ctrl+F")
    after = inspect(gimp, "photo.xcf")
    gimp.screenshot("4-region.png")
    selected = after["selection"] > 0
    assert 5000 < selected.sum() and after["selection"][selected].min() == 255
    result = before["pixels"][1]
    assert np.array_equal(after["pixels"][1][~selected], result[~selected])  # outside: exactly as it was
    assert not np.array_equal(after["pixels"][1][selected], result[selected])  # the detail
    assert after["active"] == "Color Hints" and gimp.messages() == []
    assert np.array_equal(undo_step(gimp, "ctrl+z")["pixels"][1], result)
    gimp.key("shift+ctrl+a")  # Select > None: the next runs are whole-photo runs again
    assert inspect(gimp, "photo.xcf")["selection"].max() == 0  # (and saved, as the next tests find it)


def undo_step(gimp, key: str) -> dict:
    """Press ``key`` (Ctrl+Z or Ctrl+Y) in photo.xcf after a re-run; its state (see inspect): the same
    layers, the hint layer still active, no message."""
    gimp.key(key)
    wait_for(lambda: gimp.title(gimp.image_window).startswith("*"), 30, key)
    state = inspect(gimp, "photo.xcf")
    assert [name for name, _, _ in state["layers"]] == ["Color Hints", RESULT, "Background"]
    assert state["active"] == "Color Hints"
    assert gimp.messages() == []
    return state


def test_progress_in_the_status_bar_and_its_cancel(gimp):
    """Ctrl+F on a 12 MP photo: while the worker works, the status bar shows the progress; its Cancel
    ends the run at once and leaves the image as it was; the next Ctrl+F is served by the same worker."""
    show(gimp, 3, "big.xcf")
    title = gimp.title(gimp.image_window)
    idle = np.asarray(Image.open(gimp.screenshot("4-big-idle.png")).convert("L"), int)
    log = (gimp.host / "worker.log").read_text
    requests = log().count("colorize ")
    gimp.key("ctrl+f")
    wait_for(lambda: log().count("colorize ") > requests, 120, "the worker to start on the big photo")
    running = np.asarray(Image.open(gimp.screenshot("5-big-running.png")).convert("L"), int)
    assert log().count("done in") == requests, "the run ended before the screenshot: use a larger photo"
    bar = slice(850, 880), slice(440, 1130)  # the status bar's message, where the progress bar shows
    assert np.abs(running[bar] - idle[bar]).mean() > 5
    geometry = dict(line.split("=") for line in gimp.x("xdotool", "getwindowgeometry", "--shell",
                                                        gimp.image_window).split())
    gimp.click(int(geometry["X"]) + int(geometry["WIDTH"]) - 250, int(geometry["Y"]) + int(geometry["HEIGHT"]) - 38)
    gimp.screenshot("6-big-cancel-clicked.png")
    wait_for(lambda: not plugin_running(), 3, f"the run to stop after Cancel ({geometry})")
    assert log().count("done in") == requests, "the run ended by itself, not by Cancel"
    gimp.screenshot("6-big-cancelled.png")
    assert gimp.title(gimp.image_window) == title and gimp.messages() == []  # not even marked as changed
    assert gimp.worker.poll() is None
    served = finished(gimp)
    gimp.key("ctrl+f")
    wait_for(lambda: finished(gimp) > served, 300, "the worker to answer")
    layers_in_title(gimp, 3)
    settle(gimp, "big.xcf")
    assert gimp.messages() == [] and "stopped" not in log()


def test_a_run_without_its_worker_is_one_message(gimp):
    """The worker is gone and cannot be started from GIMP's sandbox: one message from Ctrl+F, one from
    the dialog, nothing changed; then a new worker serves the next run."""
    show(gimp, 2, "photo.xcf")
    title = gimp.title(gimp.image_window)
    gimp.worker.terminate()
    gimp.worker.wait(10)
    gimp.key("ctrl+f")
    wait_for(gimp.messages, 120, "the message")
    wait_for(lambda: not plugin_running(), 60, "the plug-in to end")
    gimp.sync()
    gimp.screenshot("7-no-worker-ctrl-f.png")
    assert gimp.messages() == ["GIMP Message"]
    dismiss(gimp)
    run_dialog(gimp, "Colorize with Hints", "plug-in-hintcolor-colorize")
    wait_for(gimp.messages, 120, "the message")
    gimp.screenshot("8-no-worker-dialog.png")
    assert gimp.messages() == ["hintcolor Message"]
    dismiss(gimp)
    wait_for(lambda: not plugin_running(), 60, "the plug-in to end")
    gimp.sync()
    assert gimp.messages() == [] and gimp.title(gimp.image_window) == title
    with open(gimp.host / "worker.log", "a") as log:
        gimp.worker = serve(gimp.host, gimp.weights, log)


def test_ctrl_f_repeats_the_dialogs_choices(gimp):
    """Hints: None chosen in the dialog; Ctrl+F (with the hint layer active, as after painting) repeats it."""
    show(gimp, 2, "photo.xcf")
    log = (gimp.host / "worker.log").read_text
    runs = log().count("colorize ")
    run_dialog(gimp, "Colorize with Hints", "plug-in-hintcolor-colorize", keys=("alt+i", "End"))  # None
    wait_for(lambda: log().count("colorize ") > runs, 120, "the dialog's run")
    # the hint layer, active since the re-run's undo and redo, stays active (as after painting)
    assert inspect(gimp, "photo.xcf")["active"] == "Color Hints"
    gimp.key("ctrl+f")
    wait_for(lambda: log().count("colorize ") > runs + 1, 120, "Ctrl+F's run")
    settle(gimp, "photo.xcf")
    assert [line.split("hint layer: ")[1][:4] for line in log().splitlines()
            if "colorize " in line][-2:] == ["none", "none"]
    assert gimp.messages() == []


def test_suggest_export_and_import_hints_from_their_dialogs(gimp):
    show(gimp, 2, "photo.xcf")
    asked = (gimp.host / "worker.log").read_text().count("suggest request")
    run_dialog(gimp, "Suggest Hint Colors", "plug-in-hintcolor-suggest")
    wait_for(lambda: (gimp.host / "worker.log").read_text().count("suggest request") > asked, 120, "the request")
    settle(gimp, "photo.xcf")  # the palette is read when GIMP quits (GIMP saves it then)
    assert gimp.messages() == []

    exported = gimp.host / "home" / "hints.json"  # the dialog's defaults: the home folder, hints.json
    run_dialog(gimp, "Export Hints", "plug-in-hintcolor-export-hints")
    wait_for(exported.exists, 120, "the hints file")
    wait_for(lambda: not plugin_running(), 60, "the plug-in to end")
    document = json.loads(exported.read_text())
    assert document["format"] == "hintcolor.hints" and len(document["hints"]) >= 2

    run_dialog(gimp, "Import Hints", "plug-in-hintcolor-import-hints", f"{WORK}/home/hints.json")
    layers_in_title(gimp, 4)
    state = inspect(gimp, "photo.xcf")
    gimp.screenshot("9-imported.png")
    assert gimp.messages() == []
    assert [name for name, _, _ in state["layers"]] == ["Color Hints (hints.json)", "Color Hints", RESULT, "Background"]
    assert state["active"] == "Color Hints (hints.json)"
    imported, painted = state["pixels"][0][..., 3] > 0, state["pixels"][1][..., 3] > 0
    assert ndimage.label(imported)[1] == ndimage.label(painted)[1] == 2  # the same two dots


def test_quit_keeps_the_suggestions_palette(gimp):
    """File > Quit, discarding the changes: GIMP saves its palettes, "hintcolor suggestions" among them,
    with Suggest Hint Colors' colors for the two dots."""
    gimp.key("ctrl+q")
    quit_dialog = gimp.dialog("^Quit GIMP$")
    gimp.key("ctrl+d", window=quit_dialog)  # Discard Changes
    wait_for(lambda: gimp.gimp.poll() is not None, 60, "GIMP to quit")
    palettes = [path.read_text() for path in (gimp.host / "gimp2" / "palettes").glob("*.gpl")]
    (palette,) = [text for text in palettes if "Name: hintcolor suggestions" in text]
    entries = re.findall(r"^ *\d+ +\d+ +\d+\t(.*)$", palette, re.M)
    x, y, size, _ = DOT
    centre = f"({x + size // 2}, {y + size // 2})"
    # each dot, the two colors the weights believe in (SUGGEST_PEAKS), the more likely first
    assert entries[:2] == [f"{centre} 65 %", f"{centre} 35 %"] and len(entries) == 4, palette
    assert entries[2].endswith(" 65 %") and entries[3].endswith(" 35 %"), palette
