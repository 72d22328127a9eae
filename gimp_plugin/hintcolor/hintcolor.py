#!/usr/bin/env python3
"""hintcolor for GIMP 3: Filters > Colors > Colorize with Hints..., and Add Color Hint Layer.

Glue only: find the photo and its hint layer (hintcolor_layers.py), ask for options
(hintcolor_dialog.py), hand the pixels to the hintcolor worker (hintcolor_client.py; the requests
are built by hintcolor_protocol.py), write the result into the photo's result layer above it as one
undo step (hintcolor_steps.py, shared with GIMP 2.10, through this GIMP's calls in
hintcolor_adapter.py). The procedures (names, menus, options) are declared in hintcolor_procedures.py, shared
with GIMP 2.10; create_procedure registers them.
"""
import os
import sys

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import GLib, GObject, Gegl, Gimp  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hintcolor_adapter as adapter  # noqa: E402
import hintcolor_client as client  # noqa: E402
import hintcolor_hints as hints  # noqa: E402
import hintcolor_layers as layers  # noqa: E402
import hintcolor_protocol as protocol  # noqa: E402
import hintcolor_procedures as table  # noqa: E402
import hintcolor_requests as requests  # noqa: E402
import hintcolor_steps as steps  # noqa: E402
from hintcolor_layers import failure  # noqa: E402
from hintcolor_worker import connect, hint_layer_request, read_pixels, result_babl  # noqa: E402

U8 = (Gimp.Precision.U8_LINEAR, Gimp.Precision.U8_NON_LINEAR, Gimp.Precision.U8_PERCEPTUAL)


def progress(fraction, text):
    Gimp.progress_set_text(text)
    Gimp.progress_update(fraction)


def worker_options(config):
    """The options the worker gets; those of the network alone stay at their defaults for propagation."""
    return protocol.worker_options(*[config.get_property(name) for name in
                                     ("engine", "device", "work-size", "precision", "snap-hints")])


def photo_format(photo):
    """(protocol format, channels, babl format) to read the photo layer in: its own channels only (a
    grayscale layer is Y' itself, a layer without alpha moves none), 8-bit or float as the image is."""
    fmt, sample = (protocol.U8, " u8") if photo.get_image().get_precision() in U8 else (protocol.FLOAT, " float")
    gray = photo.get_image().get_base_type() == Gimp.ImageBaseType.GRAY
    channels = protocol.layer_channels(gray, photo.has_alpha())
    return fmt, channels, ("Y'", "Y'A", "R'G'B'", "R'G'B'A")[channels - 1] + sample


def colorize_with_worker(photo, hint_layer, options, region=None, status=lambda text: text):
    """Ask the worker to colorize the photo layer's pixels, or only the box ``region`` (x, y, w, h:
    photo pixels) in detail; returns (reply, pixels, babl format of the result: R'G'B', or R'G'B'A
    with the photo's alpha when it has alpha). ``status``: the status bar's words for a stage's."""
    fmt, channels, babl = photo_format(photo)
    header = protocol.colorize_header((photo.get_width(), photo.get_height()), fmt, channels, None, options,
                                      region=region)
    worker = connect()
    worker.start_early()  # a worker that is not running loads the model while GIMP reads the pixels
    progress(0.0, status("Reading the photo"))
    payload = [read_pixels(photo, babl)]
    if hint_layer is not None:
        header["hints"], patches = hint_layer_request(photo, hint_layer)
        payload.extend(patches)
    progress(0.1, status("Sending the photo to hintcolor"))
    reply, data = worker.request(header, payload, progress=lambda f, text: progress(0.1 + 0.8 * f, status(text)))
    return reply, data, result_babl(reply, babl)


def request_for(photo, hint_layer, options, box):
    """steps.colorize's request: region -> (reply, (pixels, babl)), in a run on the selection ``box``."""
    def request(region):
        status = lambda text: requests.stage_text(text, box, region, options)  # noqa: E731
        reply, data, babl = colorize_with_worker(photo, hint_layer, options, region, status)
        progress(0.9, status("Writing the result"))
        return reply, (data, babl)
    return request


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


def run_colorize(procedure, run_mode, image, drawables, config, data):
    # no Gegl.init: reading and writing layer buffers needs only babl, which libgimp sets up; GEGL's
    # operations (60-90 ms to load) are not used here, and Ctrl+F runs this in a new process each time
    try:
        photo, selected_hint = layers.targets(image, drawables)
        hint_layer = hint_layer_for(image, photo, selected_hint, config)
        box = steps.selection_box(adapter, image, photo)
        if run_mode == Gimp.RunMode.INTERACTIVE:
            import hintcolor_dialog

            ok, hint_layer = hintcolor_dialog.run_dialog(procedure, config, layers.hint_choices(image, photo), hint_layer,
                                                         box)
            if not ok:
                return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
            # no layer in the config GIMP keeps (it cannot): the result layer records the choice for Repeat Last
            config.set_property("hint-layer", None)
            config.set_property("hints", "auto" if hint_layer is not None else "none")
        layers.check_hint_layer(photo.get_id(), hint_layer.get_id() if hint_layer is not None else None)
    except layers.UserError as e:
        return failure(procedure, Gimp.PDBStatusType.CALLING_ERROR, str(e))
    Gimp.progress_init("Colorizing with hints")
    options = worker_options(config)
    try:
        reply = steps.colorize(adapter, image, photo, hint_layer, request_for(photo, hint_layer, options, box))
    except client.WorkerError as e:
        return failure(procedure, Gimp.PDBStatusType.EXECUTION_ERROR, str(e))
    if reply.get("notice"):  # during the run, with the progress: in the status bar
        steps.notify_once(adapter, requests.sentence(reply["notice"]))
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
        hint_layer = steps.show_hint_layer(adapter, image, photo, None)
        Gimp.displays_flush()
    import hintcolor_live

    options = protocol.worker_options("auto", "auto", protocol.DEFAULT_WORK_SIZE, "auto", True)
    outcome = hintcolor_live.LivePanel(image, photo, hint_layer, options, photo_format).run()
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
    steps.show_hint_layer(adapter, image, photo, hint_layer)
    Gimp.displays_flush()
    return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())


RUNS = {table.ADD_HINT_LAYER: run_add_hint_layer, table.COLORIZE: run_colorize, table.LIVE: run_live,
        table.SUGGEST: hints.run_suggest, table.EXPORT: hints.run_export, table.IMPORT: hints.run_import}
FILE_ACTIONS = {table.OPEN_FILE: Gimp.FileChooserAction.OPEN, table.SAVE_FILE: Gimp.FileChooserAction.SAVE}


def choice(options):
    """A Gimp.Choice of (nick, label) pairs."""
    result = Gimp.Choice.new()
    for index, (nick, label) in enumerate(options):
        result.add(nick, index, label, "")
    return result


def add_argument(procedure, param):
    """``param`` (a hintcolor_procedures.Parameter) as an argument of ``procedure``: a layer may be
    none (the hints choice says what then), a file must be chosen."""
    text, flags = (param.name, param.label, param.blurb), GObject.ParamFlags.READWRITE
    if param.kind == table.CHOICE:
        procedure.add_choice_argument(*text, choice(param.choices), param.default, flags)
    elif param.kind == table.INT:
        procedure.add_int_argument(*text, param.limits[0], param.limits[1], param.default, flags)
    elif param.kind == table.BOOL:
        procedure.add_boolean_argument(*text, param.default, flags)
    elif param.kind == table.LAYER:
        procedure.add_layer_argument(*text, True, flags)
    else:
        procedure.add_file_argument(*text, FILE_ACTIONS[param.kind], False, None, flags)


def create_procedure(plugin, entry, run):
    """The procedure that ``entry`` (a hintcolor_procedures.Procedure) declares, running ``run``."""
    procedure = Gimp.ImageProcedure.new(plugin, entry.name, Gimp.PDBProcType.PLUGIN, run, None)
    procedure.set_image_types(entry.image_types)
    procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE | Gimp.ProcedureSensitivityMask.DRAWABLES
                                   if entry.needs_layer else Gimp.ProcedureSensitivityMask.ALWAYS)
    procedure.set_menu_label(entry.label)
    procedure.add_menu_path(table.MENU)
    procedure.set_documentation(entry.blurb, entry.help, entry.name)
    procedure.set_attribution(table.AUTHORS, table.COPYRIGHT, table.DATE)
    for param in entry.params:
        add_argument(procedure, param)
    return procedure


class HintColor(Gimp.PlugIn):
    def do_query_procedures(self):
        return [entry.name for entry in table.procedures(table.GIMP3)]

    def do_set_i18n(self, name):
        return False

    def do_create_procedure(self, name):
        return create_procedure(self, table.procedure(table.GIMP3, name), RUNS[name])


Gimp.main(HintColor.__gtype__, sys.argv)
