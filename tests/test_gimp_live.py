"""Colorize with Hints - Live in GIMP's real window (GIMP 3.0.4 and 3.2.6 under Xvfb), driven as a
user drives it: open the panel on a photo without a hint layer, paint a dot with the pencil, see
the result layer take the dot's color (the panel adding less than a second to the computation), paint again, pick a suggested color (the
next dot is painted in it), Apply, and one Ctrl+Z gives back the image as it was before the panel
(the hint strokes stay: they are the user's own undo steps). Close without applying leaves the
image as it was, and closing the image ends the panel.

The worker runs with weights in the official layout whose hints pull colors toward them and whose
class head suggests two known colors (conftest.suggest_weights_file). The photo is scikit-image's
astronaut (public domain, NASA), made black and white.
"""
import json
import subprocess

import numpy as np
import pytest
from skimage import color as skcolor

from gimp.harness import GIMPS
from gimp.live import (PANEL, live_gimp, open_panel, pencil_dot, pick_suggestion, preview_timings, said, shown,
                       suggestions)
from gimp.window import wait_for
from test_gimp_window import messages, plugin_process as live_plugin

WORK = "/tmp/hintcolor-live"
DETAIL = "Colorized (hintcolor, live detail)"
#: Seconds from the end of a stroke to the updated result layer, beyond the worker's computing: noticing
#: the change, reading the hint layer, moving and writing the pixels. The whole latency (computing
#: included, which a busy shared machine can stretch at will) is measured by benchmarks/bench_live.py.
PANEL_TARGET = 1.0


INSPECT = '''
import json
image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path("%(work)s/photo.xcf"))
def pixels(layer):
    rect = Gegl.Rectangle.new(0, 0, layer.get_width(), layer.get_height())
    return list(bytes(layer.get_buffer().get(rect, 1.0, "R'G'B'A u8", Gegl.AbyssPolicy.NONE)))
state = {"layers": [layer.get_name() for layer in image.get_layers()],
         "sizes": {layer.get_name(): [layer.get_width(), layer.get_height()] for layer in image.get_layers()},
         "offsets": {layer.get_name(): list(layer.get_offsets())[1:] for layer in image.get_layers()},
         "selected": [layer.get_name() for layer in image.get_selected_layers()],
         "visible": {layer.get_name(): layer.get_visible() for layer in image.get_layers()},
         "masked": {layer.get_name(): layer.get_mask() is not None for layer in image.get_layers()},
         "selection": list(Gimp.Selection.bounds(image))[1:]}
for layer in image.get_layers():
    state[layer.get_name()] = pixels(layer)
state["composite"] = pixels(Gimp.Layer.new_from_visible(image, image, "composite"))  # what the canvas shows
state["size"] = [image.get_width(), image.get_height()]
with open("%(work)s/state.json", "w") as f:
    json.dump(state, f)
'''


@pytest.fixture(scope="module", params=GIMPS, ids=lambda env: f"gimp{env.version}")
def live(request, suggest_weights_file):
    request.param.require()
    with live_gimp(request.param, WORK, suggest_weights_file) as gimp:
        yield gimp


@pytest.fixture
def gimp(live):
    """``live``, and no panel left open afterwards (a test that failed half-way closes its panel
    without applying, so that the next test starts from the image, not from a panel)."""
    yield live
    for panel in live.find(PANEL):
        live.x("xdotool", "windowactivate", "--sync", panel)
        live.x("xdotool", "key", "alt+c")
    wait_for(lambda: not live.find(PANEL), 60, "the panels left open to close")


def inspect(gimp) -> dict:
    path = gimp.host / "photo.xcf"
    saved = path.stat().st_mtime_ns
    gimp.key("ctrl+s")
    wait_for(lambda: path.stat().st_mtime_ns != saved and not gimp.title(gimp.image_window).startswith("*"), 60,
             "photo.xcf saved")
    subprocess.run(gimp.env.console_command(WORK), input=INSPECT % {"work": WORK}, text=True, capture_output=True,
                   timeout=300)
    state = json.loads((gimp.host / "state.json").read_text())
    state["sizes"]["composite"] = state["size"]
    for name in state["layers"] + ["composite"]:
        width, height = state["sizes"][name]
        state[name] = np.array(state[name], np.uint8).reshape(height, width, 4)
    return state


def hue(rgb: np.ndarray) -> np.ndarray:
    """a*, b* of sRGB pixels (N×3 uint8)."""
    return skcolor.rgb2lab(rgb[None].astype(float) / 255)[0, :, 1:]


def dot_colors(layer: np.ndarray) -> set:
    return {"#%02x%02x%02x" % tuple(p[:3]) for p in layer[layer[..., 3] == 255]}


def test_paint_see_pick_apply_undo(live):
    gimp = live
    panel = open_panel(gimp)
    gimp.screenshot("live-1-open.png")
    assert "3 layers" in gimp.title(gimp.image_window)  # a hint layer was added, and the live layer
    picked = pick_suggestion(gimp, panel, 0)  # suggestions at the photo's centre before any dot

    previews, suggested = len(shown(gimp.host, "preview")), len(suggestions(gimp.host))
    stroke = pencil_dot(gimp, 700, 380)
    gimp.screenshot("live-2-stroke.png")
    wait_for(lambda: len(shown(gimp.host, "preview")) > previews, 30, "the preview after the stroke")
    shown_at, computed, _ = preview_timings(gimp.host)[-1]
    latency = shown_at - stroke - computed  # checked last, after the whole session is known to work

    state = inspect(gimp)  # the dot has the picked color, and the live layer holds its hue there
    assert state["layers"] == ["Color Hints", "Colorized (hintcolor, live)", "Background"]
    assert dot_colors(state["Color Hints"]) == {picked}
    painted = state["Color Hints"][..., 3] > 0
    dot = hue(state["Color Hints"][painted][:, :3]).mean(0)
    result = hue(state["Colorized (hintcolor, live)"][painted][:, :3]).mean(0)
    assert np.linalg.norm(dot) > 20 and result @ dot / np.linalg.norm(dot) > 0.5 * np.linalg.norm(dot)

    second = pick_suggestion(gimp, panel, suggested)  # suggestions for the dot
    previews = len(shown(gimp.host, "preview"))
    pencil_dot(gimp, 560, 300)
    wait_for(lambda: len(shown(gimp.host, "preview")) > previews, 30, "the preview after the second stroke")
    gimp.screenshot("live-3-second-dot.png")
    state = inspect(gimp)
    assert dot_colors(state["Color Hints"]) == {picked, second}

    gimp.x("xdotool", "windowactivate", "--sync", panel)
    gimp.x("xdotool", "key", "alt+a")  # Apply
    wait_for(lambda: not gimp.find(PANEL), 60, "the panel to close after Apply")
    wait_for(lambda: "3 layers" in gimp.title(gimp.image_window), 30, "the result layer")
    gimp.screenshot("live-4-applied.png")
    applied = inspect(gimp)
    assert applied["layers"] == ["Color Hints", "Colorized (hintcolor)", "Background"]

    gimp.key("ctrl+z")  # one step: the result goes, the strokes stay
    wait_for(lambda: "2 layers" in gimp.title(gimp.image_window), 30, "the result undone")
    undone = inspect(gimp)
    assert undone["layers"] == ["Color Hints", "Background"]
    assert np.array_equal(undone["Color Hints"], applied["Color Hints"])
    assert latency < PANEL_TARGET, f"the preview came {latency:.2f} s after the stroke, beyond computing it"


def test_a_selection_on_a_photo_without_a_result(gimp):
    """No result layer yet: with a selection the panel shows the whole photo's live result with the
    selection's detail above it, as Apply writes them (the whole result first); one Ctrl+Z undoes both."""
    original = inspect(gimp)
    assert original["layers"] == ["Color Hints", "Background"]
    select_inside(gimp, 150)
    panel = open_panel(gimp)
    shown_state = inspect(gimp)
    assert shown_state["layers"] == ["Color Hints", DETAIL, "Colorized (hintcolor, live)", "Background"]
    apply(gimp, panel)
    applied = inspect(gimp)
    assert applied["layers"] == ["Color Hints", "Colorized (hintcolor)", "Background"]
    assert np.array_equal(applied["composite"], shown_state["composite"])
    gimp.key("ctrl+z", "shift+ctrl+a")  # Apply undone in one step, Select None
    undone = inspect(gimp)
    assert undone["layers"] == original["layers"] and not undone["selection"][0]


def test_close_without_applying_leaves_the_image_as_it_was(live):
    """With a result of Colorize with Hints already there: the live layer shows above it, and Close
    without applying gives back the image as it was, that result included."""
    gimp = live
    gimp.action("guided by painted color")  # the filter by its description: its label matches the live panel too
    dialog = wait_for(lambda: gimp.find("^Colorize with Hints$"), 30, "the dialog")[0]
    gimp.x("xdotool", "windowactivate", "--sync", dialog)
    gimp.x("xdotool", "key", "Return")
    wait_for(lambda: "3 layers" in gimp.title(gimp.image_window), 120, "the filter's result layer")
    before = inspect(gimp)
    assert before["layers"] == ["Color Hints", "Colorized (hintcolor)", "Background"]
    panel = open_panel(gimp)
    previews = len(shown(gimp.host, "preview"))
    pencil_dot(gimp, 640, 450)
    wait_for(lambda: len(shown(gimp.host, "preview")) > previews, 30, "the preview after the stroke")
    during = inspect(gimp)
    assert during["layers"] == ["Color Hints", "Colorized (hintcolor, live)", "Colorized (hintcolor)", "Background"]
    gimp.x("xdotool", "windowactivate", "--sync", panel)
    gimp.x("xdotool", "key", "alt+c")  # Close without applying
    wait_for(lambda: not gimp.find(PANEL), 60, "the panel to close")
    after = inspect(gimp)
    assert after["layers"] == before["layers"]
    assert after["visible"] == before["visible"]
    for name in ("Colorized (hintcolor)", "Background"):
        assert np.array_equal(after[name], before[name]), name
    gimp.key("ctrl+z")  # the stroke is the user's own undo step
    undone = inspect(gimp)
    assert np.array_equal(undone["Color Hints"], before["Color Hints"])


def apply(gimp, panel: str) -> None:
    """Apply in the panel, and wait until it has closed."""
    gimp.x("xdotool", "windowactivate", "--sync", panel)
    gimp.x("xdotool", "key", "alt+a")
    wait_for(lambda: not gimp.find(PANEL), 60, "the panel to close after Apply")


def test_a_hidden_hint_layer_still_counts(gimp):
    """The user hides the hint layer to see the result without the dots: they still count (in the
    panel as in the filter), the panel says so, and showing the layer again changes no color."""
    before = inspect(gimp)  # the filter's result (test_close_without_applying...) made with these dots
    assert before["layers"] == ["Color Hints", "Colorized (hintcolor)", "Background"]
    assert before["selected"] == ["Color Hints"]
    gimp.action("Toggle Layer Visibility")
    panel = open_panel(gimp)
    gimp.screenshot("live-6-hidden.png")
    hidden = inspect(gimp)
    assert hidden["visible"]["Color Hints"] is False
    live_result = hidden["Colorized (hintcolor, live)"].astype(int)
    assert np.abs(live_result - before["Colorized (hintcolor)"]).max() <= 2  # what the filter gives with the dots (±rounding)
    assert any("is hidden: its dots still count" in line for line in said(gimp.host))

    gimp.action("Toggle Layer Visibility")  # shown again: the panel asks for dots again, the colors stay
    wait_for(lambda: said(gimp.host)[-1].startswith("Paint on"), 30, "the panel to ask for dots again")
    apply(gimp, panel)
    applied = inspect(gimp)
    assert applied["visible"]["Color Hints"] is True
    assert np.array_equal(applied["Colorized (hintcolor)"], hidden["Colorized (hintcolor, live)"])
    gimp.key("ctrl+z")


def select_inside(gimp, border: int) -> None:
    """Select All, then Select > Shrink by ``border`` pixels, from the keyboard (a square in the
    middle of the photo: the rectangle tool's drag depends on where an earlier rectangle was)."""
    gimp.key("ctrl+a")
    gimp.action("Shrink")
    dialog = wait_for(lambda: gimp.find("^Shrink Selection$"), 30, "the Shrink Selection dialog")[0]
    gimp.x("xdotool", "windowactivate", "--sync", dialog)
    gimp.x("xdotool", "key", "ctrl+a")
    gimp.type(str(border))
    gimp.x("xdotool", "key", "Return")
    wait_for(lambda: not gimp.find("^Shrink Selection$"), 30, "the Shrink Selection dialog to close")


def test_a_selection_is_colorized_in_detail_as_apply_writes_it(gimp):
    """The photo has a result and a hint layer; with a selection the panel shows the selection's
    detail (its box colorized at the working size) through the selection over the photo's result,
    which stays as it was outside; a dot inside changes the colors inside only; Apply writes exactly
    what was shown into the result layer, one Ctrl+Z gives back the earlier result."""
    original = inspect(gimp)
    assert original["layers"] == ["Color Hints", "Colorized (hintcolor)", "Background"]
    select_inside(gimp, 150)
    panel = open_panel(gimp)
    opened = inspect(gimp)
    x1, y1, x2, y2 = opened["selection"][1:]
    assert opened["selection"][0] and (x1, y1) == (150, 150), opened["selection"]
    assert said(gimp.host)[-1].endswith("Detail for the selection: %d \u00d7 %d px (Select > None: the whole photo)."
                                        % (x2 - x1, y2 - y1))
    assert opened["layers"] == ["Color Hints", DETAIL, "Colorized (hintcolor)", "Background"]
    assert opened["sizes"][DETAIL] == [x2 - x1, y2 - y1] and opened["offsets"][DETAIL] == [x1, y1]
    assert opened["visible"]["Colorized (hintcolor)"] and opened["masked"][DETAIL]
    assert np.array_equal(opened["Colorized (hintcolor)"], original["Colorized (hintcolor)"])

    fulls = len(shown(gimp.host, "full"))
    pencil_dot(gimp, 740, 480)
    wait_for(lambda: len(shown(gimp.host, "full")) > fulls, 120, "the full-quality result after the stroke")
    gimp.screenshot("live-7-selection.png")
    during = inspect(gimp)
    dot = np.argwhere(during["Color Hints"][..., 3] != original["Color Hints"][..., 3])
    assert len(dot) and (dot.min(0) >= (y1, x1)).all() and (dot.max(0) < (y2, x2)).all(), "the dot lies in the selection"
    inside = np.zeros(during["composite"].shape[:2], bool)
    inside[y1:y2, x1:x2] = True
    result = original["Colorized (hintcolor)"]
    assert np.array_equal(during["composite"][~inside], original["composite"][~inside])  # outside: as it was
    assert np.abs(during["composite"][inside].astype(int) - original["composite"][inside]).max() > 20  # inside: new

    apply(gimp, panel)
    applied = inspect(gimp)
    assert applied["layers"] == ["Color Hints", "Colorized (hintcolor)", "Background"]
    assert np.array_equal(applied["composite"], during["composite"])  # what was shown
    assert np.array_equal(applied["Colorized (hintcolor)"][~inside], result[~inside])
    assert np.array_equal(applied["Colorized (hintcolor)"][inside].reshape(y2 - y1, x2 - x1, 4), during[DETAIL])

    gimp.key("ctrl+z")  # Apply undone in one step: the earlier result
    undone = inspect(gimp)
    assert np.array_equal(undone["Colorized (hintcolor)"], result)
    gimp.key("shift+ctrl+a")  # Select None


def test_undo_and_redo_of_apply_keep_the_hint_layer_selected(gimp):
    """The photo has a result and a hint layer, selected: paint in the panel, Apply, Ctrl+Z, Ctrl+Y.
    Each gives back exactly the result of its time, and the hint layer stays selected."""
    before = inspect(gimp)
    assert before["layers"] == ["Color Hints", "Colorized (hintcolor)", "Background"]
    assert before["selected"] == ["Color Hints"] and not before["selection"][0]
    panel = open_panel(gimp)
    previews = len(shown(gimp.host, "preview"))
    pencil_dot(gimp, 900, 650)
    wait_for(lambda: len(shown(gimp.host, "preview")) > previews, 30, "the preview after the stroke")
    apply(gimp, panel)
    applied = inspect(gimp)
    assert not np.array_equal(applied["Colorized (hintcolor)"], before["Colorized (hintcolor)"])
    assert applied["selected"] == ["Color Hints"]

    gimp.key("ctrl+z")  # Apply undone: the previous result, the dot kept (the user's own step)
    undone = inspect(gimp)
    assert undone["layers"] == before["layers"]
    assert np.array_equal(undone["Colorized (hintcolor)"], before["Colorized (hintcolor)"])
    assert np.array_equal(undone["Color Hints"], applied["Color Hints"])
    assert undone["selected"] == ["Color Hints"]

    gimp.key("ctrl+y")
    redone = inspect(gimp)
    assert redone["layers"] == applied["layers"]
    assert np.array_equal(redone["Colorized (hintcolor)"], applied["Colorized (hintcolor)"])
    assert redone["selected"] == ["Color Hints"]


def test_closing_the_image_ends_the_panel(live):
    gimp = live
    open_panel(gimp)
    gimp.key("ctrl+w")  # close the image; GIMP asks whether to discard the (saved-since) changes, if any
    wait_for(lambda: not gimp.find(PANEL) or gimp.find("^Close "), 60, "the panel to end or GIMP to ask")
    if gimp.find("^Close "):
        gimp.x("xdotool", "key", "ctrl+d")  # Discard Changes
    wait_for(lambda: not gimp.find(PANEL), 30, "the panel to end with its image")
    wait_for(lambda: live_plugin() is None, 30, "the plug-in process to end")
    gimp.screenshot("live-5-image-closed.png")
    assert messages(gimp) == []
    assert gimp.our_warnings() == []  # GIMP's output, the panel's process included, during the whole session
