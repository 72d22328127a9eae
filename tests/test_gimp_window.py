"""The paint → re-run loop in GIMP's real window (GIMP 3.0.4 and 3.2.6 under Xvfb), driven by the
keyboard as a user drives it: the dialog, Repeat Last (Ctrl+F) with the photo, its result or its
hint layer selected, Re-Show Last (Shift+Ctrl+F), one Ctrl+Z, no message windows, Add Color Hint
Layer on a hidden hint layer, and Cancel on a large photo.

The worker runs on this machine without weights, so the automatic engine propagates the hints
(and says once that the weights are missing). Screenshots of each step are kept in the work folder
(``.gimp-root*/tmp/hintcolor-window/*.png``).
"""
import json
import os
import subprocess
import time

import numpy as np
import pytest
from PIL import Image

from conftest import photo_path
from gimp.harness import GIMPS, worker_for
from gimp.live import pencil_dot
from gimp.window import GimpWindow, wait_for

WORK = "/tmp/hintcolor-window"
DOT = (300, 200, 7, (200, 40, 160))  # x, y, size, color of the painted hint dot

MAKE_IMAGES = '''
def save(image, name):
    Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, image, Gio.File.new_for_path("%(work)s/" + name), None)

def with_hints(name):
    """The photo, a "Color Hints" layer with one dot above it, the photo selected."""
    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path("%(work)s/" + name))
    photo = image.get_layers()[0]
    image.convert_rgb()
    hint = Gimp.Layer.new(image, "Color Hints", image.get_width(), image.get_height(), Gimp.ImageType.RGBA_IMAGE,
                          100, Gimp.LayerMode.NORMAL)
    image.insert_layer(hint, None, 0)
    hint.fill(Gimp.FillType.TRANSPARENT)
    x, y, size, color = %(dot)r
    buffer = hint.get_buffer()
    buffer.set(Gegl.Rectangle.new(x, y, size, size), "R'G'B'A u8", bytes(list(color) + [255]) * (size * size))
    buffer.flush()
    image.set_selected_layers([photo])
    return image

save(with_hints("photo.png"), "photo.xcf")
save(with_hints("big.png"), "big.xcf")
save(Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path("%(work)s/plain.png")), "plain.xcf")
save(with_hints("photo.png"), "region.xcf")
'''

INSPECT = '''
import hashlib, json
image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path("%(work)s/photo.xcf"))
x, y, size, color = %(dot)r
state = {"layers": [[layer.get_name(), layer.get_visible()] for layer in image.get_layers()],
         "selected": [layer.get_name() for layer in image.get_selected_layers()]}
def pixels(layer):
    rect = Gegl.Rectangle.new(0, 0, layer.get_width(), layer.get_height())
    return bytes(layer.get_buffer().get(rect, 1.0, "R'G'B'A u8", Gegl.AbyssPolicy.NONE))
for layer in image.get_layers():  # what each layer holds, as a digest
    state[layer.get_name()] = hashlib.sha1(pixels(layer)).hexdigest()
result = image.get_layer_by_name("Colorized (hintcolor)")
if result is not None:
    pixel = result.get_buffer().get(Gegl.Rectangle.new(x + size // 2, y + size // 2, 1, 1), 1.0, "R'G'B'A u8",
                                    Gegl.AbyssPolicy.NONE)
    state["pixel"] = list(bytes(pixel))
with open("%(work)s/state.json", "w") as f:
    json.dump(state, f)
'''

#: region.xcf's layers, selected layers, result pixels (result.raw) and selection (selection.raw, Y u8).
INSPECT_REGION = '''
import hashlib, json
image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path("%(work)s/region.xcf"))
def save(name, drawable, fmt):
    rect = Gegl.Rectangle.new(0, 0, drawable.get_width(), drawable.get_height())
    with open("%(work)s/" + name, "wb") as f:
        f.write(bytes(drawable.get_buffer().get(rect, 1.0, fmt, Gegl.AbyssPolicy.NONE)))
result = image.get_layer_by_name("Colorized (hintcolor)")
if result is not None:
    save("result.raw", result, "R'G'B'A u8")
save("selection.raw", image.get_selection(), "Y u8")
photo = image.get_layer_by_name("Background")
rect = Gegl.Rectangle.new(0, 0, photo.get_width(), photo.get_height())
state = {"layers": [layer.get_name() for layer in image.get_layers()],
         "selected": [layer.get_name() for layer in image.get_selected_layers()],
         "size": [image.get_width(), image.get_height()],
         "photo": hashlib.sha1(bytes(photo.get_buffer().get(rect, 1.0, "Y' u8", Gegl.AbyssPolicy.NONE))).hexdigest()}
with open("%(work)s/state.json", "w") as f:
    json.dump(state, f)
'''


@pytest.fixture(scope="module", params=GIMPS, ids=lambda env: f"gimp{env.version}")
def window(request, tmp_path_factory):
    """GIMP's window with big.xcf (a 12 MP photo with hints), plain.xcf (a photo without hints),
    photo.xcf and region.xcf (a photo, a "Color Hints" layer with one dot, the photo selected), in
    tabs 1 to 4 (photo.xcf shown), and a worker without weights; stopped afterwards, process by process."""
    env = request.param
    env.require()
    host = env.prepare(WORK)
    gray = Image.open(photo_path("kodim23.png")).convert("L")
    gray.save(host / "photo.png")
    gray.resize((4000, 3000), Image.BICUBIC).save(host / "big.png", compress_level=1)
    gray.resize((96, 64)).save(host / "plain.png")  # a photo without hints
    params = {"work": WORK, "dot": DOT}
    subprocess.run(env.console_command(WORK), input=MAKE_IMAGES % params, text=True, capture_output=True, timeout=300)
    assert (host / "big.xcf").is_file()
    worker_env = {k: v for k, v in os.environ.items() if k != "HINTCOLOR_WEIGHTS"}
    worker_env["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("no-weights"))
    gimp = GimpWindow(env, WORK)
    with worker_for(gimp, host, None, worker_env):
        try:
            gimp.start(f"{WORK}/big.xcf", f"{WORK}/plain.xcf", f"{WORK}/photo.xcf", f"{WORK}/region.xcf")
            wait_for(lambda: "region.xcf" in gimp.title(gimp.image_window), 60, "region.xcf opened (the last image shown)")
            show(gimp, "photo.xcf", "alt+3")
            gimp.params = params
            yield gimp
        finally:
            gimp.stop()


def open_dialog(gimp, screenshot: str) -> None:
    """Colorize with Hints... from the action search: its dialog shown (``screenshot`` of it) and focused."""
    gimp.action("Colorize with Hints")
    dialog = wait_for(lambda: gimp.find("^Colorize with Hints$"), 30, "the dialog")
    gimp.screenshot(screenshot)
    gimp.x("xdotool", "windowactivate", "--sync", dialog[0])


def runs(gimp) -> list[str]:
    """The worker's log lines of finished colorize requests with their hint-layer line before them."""
    lines = (gimp.host / "worker.log").read_text().splitlines()
    return [line for line in lines if "hint layer:" in line]


def finished(gimp) -> int:
    return (gimp.host / "worker.log").read_text().count("done in")


def run_and_wait(gimp, *keys, layers=3):
    """Press keys that run the filter, wait until the worker has answered and the image shows the result."""
    before = finished(gimp)
    gimp.key(*keys)
    wait_for(lambda: finished(gimp) > before, 120, f"the worker to answer after {keys}")
    wait_for(lambda: f"{layers} layers" in gimp.title(gimp.image_window), 30, f"{layers} layers in the title")


def messages(gimp) -> list[str]:
    """Message windows on screen (errors, warnings, notices shown as a dialog)."""
    return [t for t in gimp.titles() if "Message" in t or "Error" in t or "Warning" in t]


def inspect(gimp) -> dict:
    """Save photo.xcf (Ctrl+S) and read its layers, visibility, selection and a result pixel in batch GIMP."""
    path = gimp.host / "photo.xcf"
    saved = path.stat().st_mtime_ns
    gimp.key("ctrl+s")
    try:
        wait_for(lambda: path.stat().st_mtime_ns != saved and not gimp.title(gimp.image_window).startswith("*"), 60,
                 "photo.xcf saved")
    except AssertionError:
        gimp.screenshot("save-failed.png")
        raise
    subprocess.run(gimp.env.console_command(WORK), input=INSPECT % gimp.params, text=True, capture_output=True,
                   timeout=300)
    return json.loads((gimp.host / "state.json").read_text())


def test_the_loop_dialog_repeat_undo_and_messages(window):
    gimp = window
    assert "photo.xcf" in gimp.title(gimp.image_window) and "2 layers" in gimp.title(gimp.image_window)
    open_dialog(gimp, "1-dialog.png")
    before = finished(gimp)
    gimp.x("xdotool", "key", "Return")
    wait_for(lambda: finished(gimp) > before, 120, "the worker to answer the dialog's run")
    wait_for(lambda: "3 layers" in gimp.title(gimp.image_window), 30, "the result layer")
    gimp.screenshot("2-first-run.png")
    assert messages(gimp) == []  # the "weights missing" notice is not a dialog

    gimp.key("ctrl+z")  # one undo removes the result (no "Can't undo" that would keep it)
    wait_for(lambda: "2 layers" in gimp.title(gimp.image_window), 30, "the result to be undone")
    assert messages(gimp) == []

    run_and_wait(gimp, "ctrl+f")  # Repeat Last, the photo selected
    gimp.action("Select Previous Layer")  # the result layer selected
    run_and_wait(gimp, "ctrl+f")
    gimp.action("Select Previous Layer")  # the hint layer selected (as after painting)
    run_and_wait(gimp, "ctrl+f")
    gimp.key("shift+ctrl+f")  # Re-Show Last: the dialog with the last values
    dialog = wait_for(lambda: gimp.find("^Colorize with Hints$"), 30, "the dialog again")
    gimp.x("xdotool", "windowactivate", "--sync", dialog[0])
    gimp.x("xdotool", "key", "alt+e", "End")  # engine: propagate; the network's options turn grey
    gimp.screenshot("1-dialog-propagate.png")
    before = finished(gimp)
    gimp.x("xdotool", "key", "alt+o")  # OK (Return would open the focused drop-down)
    wait_for(lambda: finished(gimp) > before, 120, "the worker to answer the re-shown dialog")
    gimp.screenshot("3-reruns.png")
    assert messages(gimp) == []
    assert gimp.our_warnings() == []  # GIMP's output: nothing about our dialog (each run of it is logged there)
    # every run got the hint layer: the dialog's, Ctrl+F's (photo, result, hint layer selected), Shift+Ctrl+F's
    assert ["hint layer: yes" in line for line in runs(gimp)] == [True] * 5

    state = inspect(gimp)
    assert [name for name, _ in state["layers"]] == ["Color Hints", "Colorized (hintcolor)", "Background"]
    assert state["selected"] == ["Color Hints"]  # still the layer the user was painting on
    red, green, blue, _ = state["pixel"]
    assert red > green + 30 and blue > green + 30  # the dot's magenta, propagated

    # Ctrl+F on a photo without hints and without weights: the error, once
    show(gimp, "plain.xcf", "alt+2")
    gimp.key("ctrl+f")
    wait_for(lambda: messages(gimp), 120, "the error message")
    wait_for(lambda: plugin_process() is None, 30, "the failed run to end")
    gimp.screenshot("3-error.png")
    assert messages(gimp) == ["GIMP Message"]
    gimp.x("xdotool", "windowactivate", "--sync", gimp.find("^GIMP Message$")[0])
    gimp.x("xdotool", "key", "Return")
    wait_for(lambda: not messages(gimp), 30, "the message closed")
    show(gimp, "photo.xcf", "alt+3")


def test_undo_and_redo_of_a_rerun_keep_the_hint_layer_selected(window):
    """The photo has a result and a hint layer, selected: paint, Ctrl+F, Ctrl+Z, Ctrl+Y. Each gives
    back exactly the result of its time, and the hint layer stays selected: the next dots go on it."""
    gimp = window
    before = inspect(gimp)
    assert [name for name, _ in before["layers"]] == ["Color Hints", "Colorized (hintcolor)", "Background"]
    assert before["selected"] == ["Color Hints"]
    pencil_dot(gimp, 995, 649)  # photo (600, 400), in the foreground color (black)
    run_and_wait(gimp, "ctrl+f")
    gimp.screenshot("7-rerun.png")
    rerun = inspect(gimp)
    assert rerun["Color Hints"] != before["Color Hints"]  # the dot went on the hint layer
    assert rerun["Colorized (hintcolor)"] != before["Colorized (hintcolor)"]  # and changed the result
    assert rerun["selected"] == ["Color Hints"]

    gimp.key("ctrl+z")  # the re-run undone: the previous result, the dot kept (the user's own step)
    undone = inspect(gimp)
    gimp.screenshot("8-rerun-undone.png")
    assert undone["layers"] == before["layers"]
    assert undone["Colorized (hintcolor)"] == before["Colorized (hintcolor)"]
    assert undone["Color Hints"] == rerun["Color Hints"]
    assert undone["selected"] == ["Color Hints"]

    gimp.key("ctrl+y")  # and redone
    redone = inspect(gimp)
    assert redone["layers"] == rerun["layers"]
    assert redone["Colorized (hintcolor)"] == rerun["Colorized (hintcolor)"]
    assert redone["selected"] == ["Color Hints"]
    assert messages(gimp) == []


def show(gimp, name, key):
    """Switch to the image tab ``key`` (alt+N) and wait until it shows ``name``."""
    gimp.key(key)
    wait_for(lambda: name in gimp.title(gimp.image_window), 30, f"{name} shown")


def test_add_color_hint_layer_shows_a_hidden_hint_layer(window):
    gimp = window
    gimp.action("Add Color Hint Layer")  # selects the photo's hint layer
    gimp.action("Toggle Layer Visibility")  # hides it
    state = inspect(gimp)
    assert ["Color Hints", False] in state["layers"]
    gimp.action("Add Color Hint Layer")
    wait_for(lambda: gimp.title(gimp.image_window).startswith("*") and plugin_process() is None, 30,
             "Add Color Hint Layer to finish")
    state = inspect(gimp)
    assert ["Color Hints", True] in state["layers"] and len(state["layers"]) == 3
    assert state["selected"] == ["Color Hints"]
    assert messages(gimp) == []


def test_cancel_leaves_the_image_as_it_was_and_the_worker_alive(window):
    gimp = window
    show(gimp, "big.xcf", "alt+1")
    title = gimp.title(gimp.image_window)
    pid = json.loads((gimp.host / "state" / "worker.json").read_text())["pid"]
    seen = len(runs(gimp))
    gimp.action("Colorize with Hints")  # (Ctrl+F would repeat Add Color Hint Layer now)
    dialog = wait_for(lambda: gimp.find("^Colorize with Hints$"), 30, "the dialog")
    gimp.x("xdotool", "windowactivate", "--sync", dialog[0])
    gimp.x("xdotool", "key", "Return")
    wait_for(lambda: len(runs(gimp)) > seen, 120, "the worker to start on the big photo")
    plugin = wait_for(plugin_process, 10, "the plug-in process")
    gimp.screenshot("4-big-running.png")
    gimp.click_progress_cancel()
    start = time.monotonic()
    try:
        wait_for(lambda: not running(plugin), 5, "the plug-in to stop after Cancel", interval=0.05)
    except AssertionError:
        gimp.screenshot("cancel-failed.png")
        raise
    assert time.monotonic() - start < 1.0
    gimp.screenshot("5-cancelled.png")
    assert gimp.title(gimp.image_window) == title  # not even marked as changed
    assert messages(gimp) == []
    # the next run works, served by the same worker (needs the worker to abandon a cancelled request)
    show(gimp, "photo.xcf", "alt+3")
    seen = len(runs(gimp))
    gimp.key("ctrl+f")
    wait_for(lambda: len(runs(gimp)) > seen, 120, "the next request to reach the worker")
    wait_for(lambda: plugin_process() is None, 120, "the next run to finish")
    gimp.screenshot("6-next-run.png")
    assert messages(gimp) == []
    assert gimp.worker.poll() is None
    assert json.loads((gimp.host / "state" / "worker.json").read_text())["pid"] == pid


def running(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie waiting for GIMP to collect it does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def plugin_process():
    """PID of the running hintcolor plug-in (a GIMP child in the chroot), or None."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"plug-ins/hintcolor/hintcolor.py" in f.read() and running(int(pid)):
                    return int(pid)
        except OSError:
            continue
    return None


def inspect_region(gimp) -> dict:
    """Save region.xcf (Ctrl+S) and read its layers, selected layers, result pixels (``result``: H×W×4
    uint8) and selection (``selection``: H×W uint8) in batch GIMP."""
    path = gimp.host / "region.xcf"
    saved = path.stat().st_mtime_ns
    gimp.key("ctrl+s")
    wait_for(lambda: path.stat().st_mtime_ns != saved and not gimp.title(gimp.image_window).startswith("*"), 60,
             "region.xcf saved")
    (gimp.host / "result.raw").unlink(missing_ok=True)
    subprocess.run(gimp.env.console_command(WORK), input=INSPECT_REGION % gimp.params, text=True, capture_output=True,
                   timeout=300)
    state = json.loads((gimp.host / "state.json").read_text())
    width, height = state["size"]
    state["selection"] = np.frombuffer((gimp.host / "selection.raw").read_bytes(), np.uint8).reshape(height, width)
    if (gimp.host / "result.raw").exists():
        state["result"] = np.frombuffer((gimp.host / "result.raw").read_bytes(), np.uint8).reshape(height, width, 4)
    return state


def drag(gimp, tool: str, start: tuple[int, int], end: tuple[int, int]) -> None:
    """Drag from screen ``start`` to ``end`` (Window.drag) with the tool of the shortcut key ``tool``
    (a key reaches the canvas once it has the keyboard focus, which a press on it gives: after Alt+N
    the image tabs have it); region.xcf is shown at 100 % in the 1600×940 image window: photo pixel
    (x, y) is at screen (x + 395, y + 249) in GIMP 3.0, about 10 pixels to the left in 3.2."""
    gimp.key(tool)
    gimp.drag(start, end)
    gimp.screenshot(f"9-drag-{tool}.png")


def detail_then_undo(gimp, before: dict, name: str) -> np.ndarray:
    """Ctrl+F with the selection ``before`` has: only the selected pixels of the result change (a
    feathered edge partly); one Ctrl+Z gives the result back exactly, the hint layer still
    selected. Returns the detail's result (H×W×4)."""
    run_and_wait(gimp, "ctrl+f")
    gimp.screenshot(f"9-{name}.png")
    after = inspect_region(gimp)
    selection = after["selection"]
    assert np.array_equal(selection, before["selection"]) and selection.max() == 255
    outside = selection == 0
    assert np.array_equal(after["result"][outside], before["result"][outside])  # exactly as it was
    assert not np.array_equal(after["result"][~outside], before["result"][~outside])  # the detail
    assert after["selected"] == ["Color Hints"]
    gimp.key("ctrl+z")
    undone = inspect_region(gimp)
    assert np.array_equal(undone["result"], before["result"]) and undone["selected"] == ["Color Hints"]
    assert messages(gimp) == []
    return after["result"]


def test_a_selection_is_colorized_in_detail_and_one_undo_restores(window):
    """region.xcf, its hint layer selected (as after painting), no result yet: a rectangle dragged with
    Rectangle Select, then the dialog (it says "Detail for the selection: ...") makes the whole result
    and the detail in the rectangle, one undo step; without a selection Ctrl+F makes the whole result,
    equal to it outside the rectangle. Then, on that result, Ctrl+F with a rectangle, and with a
    feathered ellipse (Ellipse Select, Select > Feather): only the selection changes, one Ctrl+Z
    gives the result back."""
    gimp = window
    show(gimp, "region.xcf", "alt+4")
    # the window's size again: GIMP may have fitted it to an image it opened
    gimp.x("xdotool", "windowsize", "--sync", gimp.image_window, *map(str, gimp.window_size))
    # a click on the canvas, below the image (no tool changes anything there), gives it the keyboard focus
    gimp.x("xdotool", "mousemove", "--sync", "800", "850", "click", "1")
    drag(gimp, "r", (645, 399), (795, 529))  # photo (250, 150) to (400, 280)
    gimp.key("Home")  # Select Top Layer: the hint layer
    assert inspect_region(gimp)["selection"].max() == 255
    open_dialog(gimp, "9-region-dialog.png")  # it says "Detail for the selection: 150 × 130 px, at 256 px"
    before = finished(gimp)
    gimp.x("xdotool", "key", "alt+o")
    wait_for(lambda: finished(gimp) >= before + 2, 120, "the whole result, then the detail")
    wait_for(lambda: "3 layers" in gimp.title(gimp.image_window), 30, "the result layer")
    first = inspect_region(gimp)
    assert first["layers"] == ["Color Hints", "Colorized (hintcolor)", "Background"]
    assert first["selected"] == ["Color Hints"]
    photo = first["photo"]  # the photo layer, never written to
    rectangle = first["selection"] == 255
    rows, columns = np.nonzero(rectangle)
    assert [columns.max() + 1 - columns.min(), rows.max() + 1 - rows.min()] == [150, 130]  # as dragged
    assert rectangle.sum() == 150 * 130 and first["selection"][~rectangle].max() == 0
    gimp.key("ctrl+z")  # one step: the result layer and its detail
    wait_for(lambda: "2 layers" in gimp.title(gimp.image_window), 30, "the result to be undone")
    gimp.key("shift+ctrl+a")  # Select > None
    run_and_wait(gimp, "ctrl+f")
    whole = inspect_region(gimp)
    assert whole["selection"].max() == 0 and whole["selected"] == ["Color Hints"]
    assert np.array_equal(first["result"][~rectangle], whole["result"][~rectangle])
    assert not np.array_equal(first["result"][rectangle], whole["result"][rectangle])

    # another rectangle over the dot, pressed outside the last one (a press inside would move that one)
    drag(gimp, "r", (595, 369), (725, 479))  # photo (200, 120) to (330, 230)
    detail_then_undo(gimp, inspect_region(gimp), "rectangle")

    drag(gimp, "e", (735, 379), (615, 509))  # photo (340, 130) to (220, 260), around the dot
    gimp.action("Feather")
    feather = wait_for(lambda: gimp.find("^Feather Selection$"), 30, "the Feather Selection dialog")
    gimp.x("xdotool", "windowactivate", "--sync", feather[0])
    gimp.x("xdotool", "key", "ctrl+a")
    gimp.type("30")
    gimp.screenshot("9-feather.png")
    gimp.x("xdotool", "key", "alt+o")  # OK
    wait_for(lambda: not gimp.find("^Feather Selection$"), 30, "the Feather Selection dialog closed")
    with_ellipse = inspect_region(gimp)
    soft = (with_ellipse["selection"] > 0) & (with_ellipse["selection"] < 255)
    assert soft.sum() > 1000  # feathered
    detail = detail_then_undo(gimp, with_ellipse, "ellipse")
    changed = np.abs(detail[..., :3].astype(int) - whole["result"][..., :3]).max(axis=2) > 0
    assert changed[soft].any()  # the feathered edge blends in part of the detail
    assert inspect_region(gimp)["photo"] == photo
