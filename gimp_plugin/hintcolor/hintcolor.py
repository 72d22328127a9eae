#!/usr/bin/env python3
"""hintcolor for GIMP 3: Filters > Colors > Colorize with Hints…, and Add Color Hint Layer.

Glue only: read the photo and hint layers' pixels, hand them to the hintcolor worker (see
hintcolor_client.py beside this file), write the result into a layer above the photo.
"""
import json
import os
import sys

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import GLib, GObject, Gegl, Gimp, GimpUi  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hintcolor_client as client  # noqa: E402

COLORIZE = "plug-in-hintcolor-colorize"
ADD_HINT_LAYER = "plug-in-hintcolor-add-hint-layer"
HINT_LAYER_NAME = "Color Hints"
RESULT_LAYER_NAME = "Colorized (hintcolor)"
RESULT_PARASITE = "hintcolor-result"
CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hintcolor.json")


def load_config():
    """What install.py recorded: the hintcolor environment's Python, weights, version, state folder."""
    try:
        with open(CONFIG) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def read_pixels(drawable, fmt):
    width, height = drawable.get_width(), drawable.get_height()
    rect = Gegl.Rectangle.new(0, 0, width, height)
    return bytes(drawable.get_buffer().get(rect, 1.0, fmt, Gegl.AbyssPolicy.NONE))


def find_layer(layers, test):
    """Depth-first search through layers and layer groups."""
    for layer in layers:
        if test(layer):
            return layer
        if layer.is_group():
            found = find_layer(layer.get_children(), test)
            if found:
                return found
    return None


def result_tag(photo):
    return str(photo.get_tattoo())


def is_result_of(layer, photo):
    parasite = layer.get_parasite(RESULT_PARASITE)
    return parasite is not None and bytes(parasite.get_data()).decode() == result_tag(photo)


def colorize_with_worker(photo, hint_layer, config, options):
    """Ask the worker to colorize the photo layer's pixels; returns (reply, RGBA bytes, babl format)."""
    high_bit_depth = photo.get_image().get_precision() not in (
        Gimp.Precision.U8_LINEAR, Gimp.Precision.U8_NON_LINEAR, Gimp.Precision.U8_PERCEPTUAL)
    fmt, babl = ("float", "R'G'B'A float") if high_bit_depth else ("u8", "R'G'B'A u8")
    header = {"op": "colorize", "photo": {"width": photo.get_width(), "height": photo.get_height(), "format": fmt},
              "hints": None, "options": options}
    payload = [read_pixels(photo, babl)]
    if hint_layer is not None:
        _, px, py = photo.get_offsets()
        _, hx, hy = hint_layer.get_offsets()
        header["hints"] = {"width": hint_layer.get_width(), "height": hint_layer.get_height(), "x": hx - px, "y": hy - py}
        payload.append(read_pixels(hint_layer, "R'G'B'A u8"))
    worker = client.WorkerClient(python=config.get("python"), folder=config.get("state_dir"),
                                 version=config.get("version"),
                                 serve_args=["--weights", config["weights"]] if config.get("weights") else [])
    reply, data = worker.request(header, payload, progress=lambda f, text: (Gimp.progress_set_text(text), Gimp.progress_update(f)))
    return reply, data, babl


def write_result(image, photo, data, babl):
    """Replace this photo's previous result layer (if any) by a new one directly above the photo."""
    old = find_layer(image.get_layers(), lambda layer: is_result_of(layer, photo))
    if old is not None:
        image.remove_layer(old)
    width, height = photo.get_width(), photo.get_height()
    layer = Gimp.Layer.new(image, RESULT_LAYER_NAME, width, height, Gimp.ImageType.RGBA_IMAGE, 100, Gimp.LayerMode.NORMAL)
    image.insert_layer(layer, photo.get_parent(), image.get_item_position(photo))
    _, x, y = photo.get_offsets()
    layer.set_offsets(x, y)
    buffer = layer.get_buffer()
    buffer.set(Gegl.Rectangle.new(0, 0, width, height), babl, data)
    buffer.flush()
    layer.attach_parasite(Gimp.Parasite.new(RESULT_PARASITE, Gimp.PARASITE_PERSISTENT, list(result_tag(photo).encode())))
    if not Gimp.Selection.is_empty(image):
        layer.add_mask(layer.create_mask(Gimp.AddMaskType.SELECTION))
    layer.update(0, 0, width, height)
    return layer


def run_colorize(procedure, run_mode, image, drawables, config, data):
    if len(drawables) != 1 or not isinstance(drawables[0], Gimp.Layer):
        return error(procedure, Gimp.PDBStatusType.CALLING_ERROR, "Select the photo layer (one layer) to colorize.")
    photo = drawables[0]
    if photo.get_parasite(RESULT_PARASITE) is not None:
        return error(procedure, Gimp.PDBStatusType.CALLING_ERROR,
                     "The selected layer is a hintcolor result: select the original photo layer and run again.")
    if run_mode == Gimp.RunMode.INTERACTIVE:
        if config.get_property("hint-layer") is None:
            config.set_property("hint-layer", image.get_layer_by_name(HINT_LAYER_NAME))
        GimpUi.init("hintcolor")
        dialog = GimpUi.ProcedureDialog.new(procedure, config, "Colorize with Hints")
        dialog.fill(None)
        if not dialog.run():
            dialog.destroy()
            return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
        dialog.destroy()
    hint_layer = config.get_property("hint-layer")
    if hint_layer is not None and hint_layer.get_id() == photo.get_id():
        return error(procedure, Gimp.PDBStatusType.CALLING_ERROR,
                     "The hint layer is the selected layer: select the photo layer, and choose the layer you painted on as hint layer.")
    Gimp.progress_init("Colorizing with hints")
    try:
        options = {name: config.get_property(prop) for name, prop in
                   (("device", "device"), ("engine", "engine"), ("work_size", "work-size"))}
        reply, pixels, babl = colorize_with_worker(photo, hint_layer, load_config(), options)
    except client.WorkerError as e:
        return error(procedure, Gimp.PDBStatusType.EXECUTION_ERROR, "hintcolor: %s" % e)
    if reply.get("notice"):
        Gimp.message("hintcolor: %s" % reply["notice"])
    image.undo_group_start()
    try:
        if image.get_base_type() != Gimp.ImageBaseType.RGB:
            image.convert_rgb()
        write_result(image, photo, pixels, babl)
    finally:
        image.undo_group_end()
    Gimp.progress_end()
    Gimp.displays_flush()
    return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())


def run_add_hint_layer(procedure, run_mode, image, drawables, config, data):
    existing = image.get_layer_by_name(HINT_LAYER_NAME)
    if existing is not None:
        image.set_selected_layers([existing])
        Gimp.displays_flush()
        return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())
    image.undo_group_start()
    try:
        if image.get_base_type() != Gimp.ImageBaseType.RGB:
            image.convert_rgb()
        layer = Gimp.Layer.new(image, HINT_LAYER_NAME, image.get_width(), image.get_height(),
                               Gimp.ImageType.RGBA_IMAGE, 100, Gimp.LayerMode.NORMAL)
        above = drawables[0] if drawables and isinstance(drawables[0], Gimp.Layer) else None
        parent = above.get_parent() if above else None
        image.insert_layer(layer, parent, image.get_item_position(above) if above else 0)
        layer.fill(Gimp.FillType.TRANSPARENT)
        image.set_selected_layers([layer])
    finally:
        image.undo_group_end()
    Gimp.displays_flush()
    return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())


def choice(*options):
    """A Gimp.Choice of (nick, label) pairs."""
    result = Gimp.Choice.new()
    for index, (nick, label) in enumerate(options):
        result.add(nick, index, label, "")
    return result


def error(procedure, status, message):
    Gimp.message(message)
    return procedure.new_return_values(status, GLib.Error(message))


class HintColor(Gimp.PlugIn):
    def do_query_procedures(self):
        return [ADD_HINT_LAYER, COLORIZE]

    def do_set_i18n(self, name):
        return False

    def do_create_procedure(self, name):
        if name == ADD_HINT_LAYER:
            procedure = Gimp.ImageProcedure.new(self, name, Gimp.PDBProcType.PLUGIN, run_add_hint_layer, None)
            procedure.set_image_types("*")
            procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.ALWAYS)
            procedure.set_menu_label("Add Color _Hint Layer")
            procedure.set_documentation(
                "Add a transparent layer to paint color hints on",
                "Adds a transparent 'Color Hints' layer above the selected layer (converting a grayscale "
                "image to RGB) and selects it: paint dots of the colors you want, then run "
                "Filters > Colors > Colorize with Hints.", name)
        else:
            procedure = Gimp.ImageProcedure.new(self, name, Gimp.PDBProcType.PLUGIN, run_colorize, None)
            procedure.set_image_types("RGB*, GRAY*")
            procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE)
            procedure.set_menu_label("Colorize with _Hints...")
            procedure.set_documentation(
                "Colorize the selected photo layer, guided by painted color hints",
                "Runs the SIGGRAPH 2017 user-guided colorization network on the selected layer. Dots painted "
                "on the hint layer say which color belongs where. The result goes into a layer "
                "'Colorized (hintcolor)' above the photo, replaced on each run; the photo is not changed.", name)
            procedure.add_layer_argument("hint-layer", "_Hint layer", "Layer with painted color dots (none: automatic colors)",
                                         True, GObject.ParamFlags.READWRITE)
            procedure.add_choice_argument("engine", "_Engine", "How colors are found", choice(
                ("auto", "Automatic (network if installed)"), ("siggraph17", "Network (SIGGRAPH 2017)"),
                ("propagate", "Propagate hints along edges (no network)")), "auto", GObject.ParamFlags.READWRITE)
            procedure.add_choice_argument("device", "_Device", "Where the network runs", choice(
                ("auto", "Automatic (GPU if available)"), ("cpu", "CPU"), ("gpu", "GPU")), "auto",
                GObject.ParamFlags.READWRITE)
            procedure.add_int_argument("work-size", "_Working resolution",
                                       "Short side of the network's working grid in pixels (256: as trained)",
                                       64, 1024, 256, GObject.ParamFlags.READWRITE)
        procedure.add_menu_path("<Image>/Filters/Colors")
        procedure.set_attribution("hintcolor", "hintcolor authors; network by Zhang et al. (SIGGRAPH 2017)", "2026")
        return procedure


Gimp.main(HintColor.__gtype__, sys.argv)
