#!/usr/bin/env python3
"""hintcolor for GIMP 3: Filters > Colors > Colorize with Hints..., and Add Color Hint Layer.

Glue only: find the photo and its hint layer (hintcolor_layers.py), ask for options
(hintcolor_dialog.py), hand the pixels to the hintcolor worker (hintcolor_client.py), write the
result into the photo's result layer above it as one undo step.
"""
import os
import sys

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import GLib, GObject, Gegl, Gimp  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hintcolor_client as client  # noqa: E402
import hintcolor_hints as hints  # noqa: E402
import hintcolor_layers as layers  # noqa: E402
import hintcolor_requests as requests  # noqa: E402
from hintcolor_layers import failure  # noqa: E402
from hintcolor_worker import connect, hint_layer_request, read_pixels, result_babl  # noqa: E402

COLORIZE = "plug-in-hintcolor-colorize"
LIVE = "plug-in-hintcolor-live"
ADD_HINT_LAYER = "plug-in-hintcolor-add-hint-layer"
NOTICES_SHOWN = "hintcolor-notices-shown"  # a global parasite that is not saved: once per GIMP session
U8 = (Gimp.Precision.U8_LINEAR, Gimp.Precision.U8_NON_LINEAR, Gimp.Precision.U8_PERCEPTUAL)


def progress(fraction, text):
    Gimp.progress_set_text(text)
    Gimp.progress_update(fraction)


def worker_options(config):
    """The options the worker gets; those of the network alone stay at their defaults for propagation."""
    return requests.worker_options(*[config.get_property(name) for name in
                                     ("engine", "device", "work-size", "precision", "snap-hints")])


def photo_format(photo):
    """(protocol format, channels, babl format) to read the photo layer in: its own channels only (a
    grayscale layer is Y' itself, a layer without alpha moves none), 8-bit or float as the image is."""
    fmt, sample = ("u8", " u8") if photo.get_image().get_precision() in U8 else ("float", " float")
    gray = photo.get_image().get_base_type() == Gimp.ImageBaseType.GRAY
    channels = requests.photo_channels(gray, photo.has_alpha())
    return fmt, channels, ("Y'", "Y'A", "R'G'B'", "R'G'B'A")[channels - 1] + sample


def colorize_with_worker(photo, hint_layer, options):
    """Ask the worker to colorize the photo layer's pixels; returns (reply, pixels, babl format of the
    result: R'G'B', or R'G'B'A with the photo's alpha when it has alpha)."""
    fmt, channels, babl = photo_format(photo)
    header = requests.colorize_header((photo.get_width(), photo.get_height()), fmt, channels, None, options)
    worker = connect()
    worker.start_early()  # a worker that is not running loads the model while GIMP reads the pixels
    progress(0.0, "Reading the photo")
    payload = [read_pixels(photo, babl)]
    if hint_layer is not None:
        header["hints"], patches = hint_layer_request(photo, hint_layer)
        payload.extend(patches)
    progress(0.1, "Sending the photo to hintcolor")
    reply, data = worker.request(header, payload, progress=lambda f, text: progress(0.1 + 0.8 * f, text))
    return reply, data, result_babl(reply, babl)


def write_result(image, photo, hint_layer, data, babl):
    """Write the result into the photo's result layer, directly above the photo: the one it has (made
    to fit, see fit_result), else a new one. Each change is an undo step of the caller's group; no
    layer is removed or inserted on a re-run, so undo and redo leave the selected layers alone (GIMP
    selects a layer whose removal it undoes). The layers selected before stay selected."""
    width, height = photo.get_width(), photo.get_height()
    rectangle = Gegl.Rectangle.new(0, 0, width, height)
    alpha = babl.startswith("R'G'B'A")
    link = {"photo": photo.get_tattoo(), "hints": hint_layer.get_tattoo() if hint_layer is not None else None}
    layer, linked = layers.result_of(image, photo)
    if layer is None:
        selected = image.get_selected_layers()
        layer = new_result_layer(image, photo, alpha, link)
        buffer = layer.get_buffer()  # a new layer's pixels need no undo step: its insertion has one
        buffer.set(rectangle, babl, data)
        buffer.flush()
        image.set_selected_layers(selected or [layer])  # inserting selected it
    else:
        fit_result(image, photo, layer, alpha, link if link != linked else None)
        shadow = layer.get_shadow_buffer()
        shadow.set(rectangle, babl, data)
        shadow.flush()
        layer.merge_shadow(True)
    if not Gimp.Selection.is_empty(image):
        layer.add_mask(layer.create_mask(Gimp.AddMaskType.SELECTION))
    layer.update(0, 0, width, height)


def new_result_layer(image, photo, alpha, link):
    """A new result layer (RGB, with alpha if ``alpha``) of the photo's size and place, directly above it."""
    kind = Gimp.ImageType.RGBA_IMAGE if alpha else Gimp.ImageType.RGB_IMAGE
    layer = Gimp.Layer.new(image, layers.RESULT_LAYER_NAME, photo.get_width(), photo.get_height(), kind, 100,
                           Gimp.LayerMode.NORMAL)
    layers.link(layer, layers.RESULT, link)
    image.insert_layer(layer, photo.get_parent(), image.get_item_position(photo))
    _, x, y = photo.get_offsets()
    layer.set_offsets(x, y)
    return layer


def fit_result(image, photo, layer, alpha, link):
    """Make the photo's existing result layer what new_result_layer would give (its pixels aside):
    the photo's size, place and alpha, directly above it, shown, no mask, ``link`` (None: as it is);
    only what differs is changed, each as an undoable step."""
    if link is not None:  # (undoing a parasite's change makes GIMP 3 print a harmless CRITICAL: only when needed)
        layers.link(layer, layers.RESULT, link)
    position = image.get_item_position(photo)
    if layers.parent_id(layer) != layers.parent_id(photo) or image.get_item_position(layer) > position:
        image.reorder_item(layer, photo.get_parent(), position)
    elif image.get_item_position(layer) < position - 1:
        image.reorder_item(layer, photo.get_parent(), position - 1)  # the photo moves up once the layer is out
    if (layer.get_width(), layer.get_height()) != (photo.get_width(), photo.get_height()):
        layer.resize(photo.get_width(), photo.get_height(), 0, 0)
    if layer.get_offsets()[1:] != photo.get_offsets()[1:]:
        layer.set_offsets(*photo.get_offsets()[1:])
    if layer.get_mask() is not None:
        layer.remove_mask(Gimp.MaskApplyMode.DISCARD)
    if alpha and not layer.has_alpha():
        layer.add_alpha()
    elif layer.has_alpha() and not alpha:
        layer.flatten()
    if layer.get_name() != layers.RESULT_LAYER_NAME:
        layer.set_name(layers.RESULT_LAYER_NAME)
    if not layer.get_visible():
        layer.set_visible(True)
    if layer.get_opacity() != 100:
        layer.set_opacity(100)
    if layer.get_mode() != Gimp.LayerMode.NORMAL:
        layer.set_mode(Gimp.LayerMode.NORMAL)


def hint_layer_for(image, photo, selected_hint, config):
    """The hint layer of this run: the argument (scripts; a layer of this image), none if "hints" says
    so, else the selected hint layer, else the photo's own (the one its last result used, ...).
    Repeat Last gets no layer argument in GIMP 3.0 (it cannot keep one), so it finds the same layer."""
    argument = config.get_property("hint-layer")
    if argument is not None and argument.is_valid() and argument.get_image().get_id() == image.get_id():
        return argument
    if config.get_property("hints") == "none":
        return None
    return selected_hint or layers.hint_layer_of(image, photo)


def notify_once(text):
    """Show a notice that is not an error once per GIMP session: during the run it goes to the
    status bar (GIMP puts a one-line message of a plug-in with a progress there)."""
    shown = Gimp.get_parasite(NOTICES_SHOWN)
    record = requests.notices_after(shown.get_data() if shown is not None else None, text)
    if record is not None:
        Gimp.attach_parasite(Gimp.Parasite.new(NOTICES_SHOWN, 0, list(record)))
        Gimp.message(text)


def run_colorize(procedure, run_mode, image, drawables, config, data):
    # no Gegl.init: reading and writing layer buffers needs only babl, which libgimp sets up; GEGL's
    # operations (60-90 ms to load) are not used here, and Ctrl+F runs this in a new process each time
    try:
        photo, selected_hint = layers.targets(image, drawables)
        hint_layer = hint_layer_for(image, photo, selected_hint, config)
        if run_mode == Gimp.RunMode.INTERACTIVE:
            import hintcolor_dialog

            ok, hint_layer = hintcolor_dialog.run_dialog(procedure, config, layers.hint_choices(image, photo), hint_layer)
            if not ok:
                return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
            # no layer in the config GIMP keeps (it cannot): the result layer records the choice for Repeat Last
            config.set_property("hint-layer", None)
            config.set_property("hints", "auto" if hint_layer is not None else "none")
        layers.check_hint_layer(photo.get_id(), hint_layer.get_id() if hint_layer is not None else None)
    except layers.UserError as e:
        return failure(procedure, Gimp.PDBStatusType.CALLING_ERROR, str(e))
    Gimp.progress_init("Colorizing with hints")
    try:
        reply, pixels, babl = colorize_with_worker(photo, hint_layer, worker_options(config))
    except client.WorkerError as e:
        return failure(procedure, Gimp.PDBStatusType.EXECUTION_ERROR, str(e))
    progress(0.9, "Writing the result")
    image.undo_group_start()
    try:
        if image.get_base_type() != Gimp.ImageBaseType.RGB:
            image.convert_rgb()
        write_result(image, photo, hint_layer, pixels, babl)
    finally:
        image.undo_group_end()
    if reply.get("notice"):
        notify_once(requests.sentence(reply["notice"]))
    Gimp.progress_end()
    Gimp.displays_flush()
    return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())


def run_live(procedure, run_mode, image, drawables, config, data):
    """The live panel for the selected photo and its hint layer (added first if it has none)."""
    Gegl.init(None)
    if run_mode != Gimp.RunMode.INTERACTIVE:
        return failure(procedure, Gimp.PDBStatusType.CALLING_ERROR,
                       "Colorize with Hints - Live is a window: run it from the menu (scripts: plug-in-hintcolor-colorize)")
    try:
        photo, hint_layer = layers.targets(image, drawables)
    except layers.UserError as e:
        return failure(procedure, Gimp.PDBStatusType.CALLING_ERROR, str(e))
    hint_layer = hint_layer or layers.hint_layer_of(image, photo)
    if hint_layer is None:
        image.undo_group_start()
        try:
            hint_layer = add_hint_layer(image, photo)
            image.set_selected_layers([hint_layer])
        finally:
            image.undo_group_end()
        Gimp.displays_flush()
    import hintcolor_live

    options = {"engine": "auto", "device": "auto", "work_size": 256, "precision": "auto", "snap_hints": True}
    outcome = hintcolor_live.LivePanel(image, photo, hint_layer, options, photo_format, write_result).run()
    # only an applied result is a success: GIMP then keeps the run's settings on the image, which may be gone
    status = Gimp.PDBStatusType.SUCCESS if outcome == "applied" else Gimp.PDBStatusType.CANCEL
    return procedure.new_return_values(status, GLib.Error())


def run_add_hint_layer(procedure, run_mode, image, drawables, config, data):
    """Select the photo's hint layer (made visible if hidden), or add one above the photo."""
    try:
        photo, hint_layer = layers.targets(image, drawables)
    except layers.UserError:
        photo, hint_layer = None, None
    hint_layer = hint_layer or (layers.hint_layer_of(image, photo) if photo is not None else None)
    image.undo_group_start()
    try:
        if hint_layer is not None:
            if not hint_layer.get_visible():
                hint_layer.set_visible(True)
        else:
            hint_layer = add_hint_layer(image, photo)
        image.set_selected_layers([hint_layer])
    finally:
        image.undo_group_end()
    Gimp.displays_flush()
    return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())


def add_hint_layer(image, photo):
    """A transparent canvas-size "Color Hints" layer above the photo, linked to it (grayscale images become RGB)."""
    if image.get_base_type() != Gimp.ImageBaseType.RGB:
        image.convert_rgb()
    layer = Gimp.Layer.new(image, layers.HINT_LAYER_NAME, image.get_width(), image.get_height(),
                           Gimp.ImageType.RGBA_IMAGE, 100, Gimp.LayerMode.NORMAL)
    if photo is not None:
        layers.link(layer, layers.HINTS, photo.get_tattoo())
    image.insert_layer(layer, photo.get_parent() if photo else None, image.get_item_position(photo) if photo else 0)
    layer.fill(Gimp.FillType.TRANSPARENT)
    return layer


def choice(*options):
    """A Gimp.Choice of (nick, label) pairs."""
    result = Gimp.Choice.new()
    for index, (nick, label) in enumerate(options):
        result.add(nick, index, label, "")
    return result


def create_colorize(plugin, name):
    procedure = Gimp.ImageProcedure.new(plugin, name, Gimp.PDBProcType.PLUGIN, run_colorize, None)
    procedure.set_image_types("RGB*, GRAY*")
    procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE | Gimp.ProcedureSensitivityMask.DRAWABLES)
    procedure.set_menu_label("Colorize with _Hints...")
    procedure.set_documentation(
        "Colorize a photo layer, guided by painted color hints",
        "Colorizes the selected photo layer (or the photo of the selected hint or result layer) with the "
        "SIGGRAPH 2017 user-guided network, or by propagating the hints along edges. Dots painted on the "
        "hint layer say which color belongs where. The result goes into a layer 'Colorized (hintcolor)' "
        "above the photo, replaced on each run; the photo and the hint layer are not changed.", name)
    procedure.add_layer_argument("hint-layer", "_Hint layer",
                                 "Layer with painted color dots (none: as 'hints' says)", True,
                                 GObject.ParamFlags.READWRITE)
    procedure.add_choice_argument("hints", "Hints", "Without a hint layer argument: where the hints come from", choice(
        ("auto", "The photo's hint layer"), ("none", "None (automatic colors)")), "auto", GObject.ParamFlags.READWRITE)
    procedure.add_choice_argument("engine", "_Engine", "How colors are found", choice(
        ("auto", "Automatic (network if installed)"), ("siggraph17", "Network (SIGGRAPH 2017)"),
        ("propagate", "Propagate hints along edges (no network)")), "auto", GObject.ParamFlags.READWRITE)
    procedure.add_choice_argument("device", "_Device", "Where the network runs", choice(
        ("auto", "Automatic (GPU if available)"), ("cpu", "CPU"), ("gpu", "GPU")), "auto",
        GObject.ParamFlags.READWRITE)
    procedure.add_int_argument("work-size", "_Working resolution",
                               "Short side of the network's working grid in pixels (256: as trained)",
                               64, 1024, 256, GObject.ParamFlags.READWRITE)
    procedure.add_choice_argument("precision", "_Precision", "Arithmetic of the network", choice(
        ("auto", "Automatic (fast where exact enough)"), ("fp32", "Full (32-bit float)")), "auto",
        GObject.ParamFlags.READWRITE)
    procedure.add_boolean_argument("snap-hints", "Snap hints into _gamut",
                                   "Pull each hint's color into the colors the photo can show at its lightness "
                                   "(same hue, less chroma where needed)", True, GObject.ParamFlags.READWRITE)
    return procedure


def create_live(plugin, name):
    procedure = Gimp.ImageProcedure.new(plugin, name, Gimp.PDBProcType.PLUGIN, run_live, None)
    procedure.set_image_types("RGB*, GRAY*")
    procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE | Gimp.ProcedureSensitivityMask.DRAWABLES)
    procedure.set_menu_label("Colorize with Hints - _Live...")
    procedure.set_documentation(
        "Colorize a photo while you paint color hints",
        "Opens a window bound to the selected photo and its hint layer (added if missing): each change of "
        "the hint layer recolors the photo at once (a preview, then full quality when you pause), with "
        "suggested colors for the last dot. Apply keeps the result as one undo step; Close without "
        "applying leaves the image as it was.", name)
    return procedure


def create_add_hint_layer(plugin, name):
    procedure = Gimp.ImageProcedure.new(plugin, name, Gimp.PDBProcType.PLUGIN, run_add_hint_layer, None)
    procedure.set_image_types("*")
    procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.ALWAYS)
    procedure.set_menu_label("Add Color _Hint Layer")
    procedure.set_documentation(
        "Add a transparent layer to paint color hints on",
        "Adds a transparent 'Color Hints' layer above the selected photo layer (converting a grayscale "
        "image to RGB) and selects it; if the photo has one already, shows and selects it. Paint dots "
        "of the colors you want, then run Filters > Colors > Colorize with Hints.", name)
    return procedure


class HintColor(Gimp.PlugIn):
    def do_query_procedures(self):
        return [ADD_HINT_LAYER, COLORIZE, LIVE, hints.SUGGEST, hints.EXPORT, hints.IMPORT]

    def do_set_i18n(self, name):
        return False

    def do_create_procedure(self, name):
        creators = {ADD_HINT_LAYER: create_add_hint_layer, COLORIZE: create_colorize, LIVE: create_live}
        procedure = creators.get(name, hints.create)(self, name)
        procedure.add_menu_path("<Image>/Filters/Colors")
        procedure.set_attribution("hintcolor", "hintcolor authors; network by Zhang et al. (SIGGRAPH 2017)", "2026")
        return procedure


Gimp.main(HintColor.__gtype__, sys.argv)
