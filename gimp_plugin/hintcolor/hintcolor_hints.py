"""Suggest Hint Colors, Export Hints... and Import Hints...: the hint layer beyond painting.

Glue only, like hintcolor.py: the worker computes (``suggest``, ``export_hints``,
``import_hints``; see hintcolor_client.py), this module moves pixels and files.

- Suggest Hint Colors: for each sample point on the image (or, with none, each painted dot of
  the photo's hint layer), the colors the network thinks likely there fill the palette
  "hintcolor suggestions" (one row per point, entries named "(x, y) 38 %"), made the active one.
- Export Hints...: the hint layer's dots as a hints JSON file (``hintcolor colorize --hints``),
  written atomically.
- Import Hints...: a hints JSON file painted as dots on a new hint layer of the photo, in one undo step.
"""
import os

from gi.repository import GLib, GObject, Gegl, Gimp

import hintcolor_client as client
import hintcolor_layers as layers
import hintcolor_requests as requests
from hintcolor_worker import connect, hint_layer_request, read_pixels

SUGGEST = "plug-in-hintcolor-suggest"
EXPORT = "plug-in-hintcolor-export-hints"
IMPORT = "plug-in-hintcolor-import-hints"


def photo_and_hint_layer(image, drawables):
    """(photo, its hint layer or None) for the selected layers; UserError as for Colorize."""
    photo, selected_hint = layers.targets(image, drawables)
    return photo, selected_hint or layers.hint_layer_of(image, photo)


def sample_points(image, photo):
    """The image's sample points on the photo: as photo pixel centres, and their canvas positions
    (for names); UserError if there are sample points but none on the photo."""
    _, px, py = photo.get_offsets()
    found, point = [], image.find_next_sample_point(0)
    while point:
        found.append(tuple(image.get_sample_point_position(point)))
        point = image.find_next_sample_point(point)
    inside = [(x, y) for x, y in found if 0 <= x - px < photo.get_width() and 0 <= y - py < photo.get_height()]
    if found and not inside:
        raise layers.UserError("No sample point lies on the photo layer \"%s\": move one onto it, or delete them "
                               "to get suggestions at the painted dots." % photo.get_name())
    return [[x - px + 0.5, y - py + 0.5] for x, y in inside], inside


def progress(fraction, text):
    Gimp.progress_set_text(text)
    Gimp.progress_update(fraction)


def ask(header, payload):
    """Send a request to the worker with GIMP's progress bar; WorkerError says what went wrong."""
    return connect().request(header, payload, progress=progress)


def fill_palette(canvas_points, suggestions):
    """The palette "hintcolor suggestions", emptied, one row per point; made the active palette."""
    palette = Gimp.Palette.get_by_name(requests.PALETTE) or Gimp.Palette.new(requests.PALETTE)
    while palette.get_color_count():
        palette.delete_entry(palette.get_color_count() - 1)
    palette.set_columns(max([len(found) for found in suggestions] + [1]))
    for name, color in requests.palette_entries(canvas_points, suggestions):
        palette.add_entry(name, Gegl.Color.new(color))
    Gimp.context_set_palette(palette)
    return palette


def run_suggest(procedure, run_mode, image, drawables, config, data):
    Gegl.init(None)
    try:
        photo, hint_layer = photo_and_hint_layer(image, drawables)
        points, canvas = sample_points(image, photo)
    except layers.UserError as e:
        return layers.failure(procedure, Gimp.PDBStatusType.CALLING_ERROR, str(e))
    header = requests.suggest_header((photo.get_width(), photo.get_height()), "u8", 4, None, points,
                                     config.get_property("count"), config.get_property("snap-hints"))
    Gimp.progress_init("Suggesting hint colors")
    payload = [read_pixels(photo, "R'G'B'A u8")]
    if hint_layer is not None:
        header["hints"], patches = hint_layer_request(photo, hint_layer)
        payload.extend(patches)
    try:
        reply, _ = ask(header, payload)
    except client.WorkerError as e:
        return layers.failure(procedure, Gimp.PDBStatusType.EXECUTION_ERROR, str(e))
    _, px, py = photo.get_offsets()
    where = canvas if points else [(x + px, y + py) for x, y in reply["points"]]
    fill_palette(where, reply["suggestions"])
    Gimp.progress_end()
    return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())


def chosen_path(procedure, run_mode, config, title):
    """The file argument's path, after the dialog in interactive mode; None on Cancel."""
    if run_mode == Gimp.RunMode.INTERACTIVE:
        from gi.repository import GimpUi

        GimpUi.init("hintcolor")
        dialog = GimpUi.ProcedureDialog.new(procedure, config, title)
        dialog.fill(["file"])
        ok = dialog.run()
        dialog.destroy()
        if not ok:
            return None
    chosen = config.get_property("file")
    if chosen is None or chosen.get_path() is None:
        raise layers.UserError("Choose a hints file (.json).")
    return chosen.get_path()


def run_export(procedure, run_mode, image, drawables, config, data):
    Gegl.init(None)
    try:
        photo, hint_layer = photo_and_hint_layer(image, drawables)
        if hint_layer is None:
            raise layers.UserError("The photo has no hint layer: add one (Filters > Colors > Add Color Hint Layer) "
                                   "and paint dots on it first.")
        path = chosen_path(procedure, run_mode, config, "Export Hints")
    except layers.UserError as e:
        return layers.failure(procedure, Gimp.PDBStatusType.CALLING_ERROR, str(e))
    if path is None:
        return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
    Gimp.progress_init("Exporting hints")
    hints, patches = hint_layer_request(photo, hint_layer)
    header = requests.export_header((photo.get_width(), photo.get_height()), hints)
    try:
        reply, document = ask(header, patches)
        requests.nothing_to_export(reply, hint_layer.get_name())
        requests.write_atomically(path, document)
    except client.WorkerError as e:
        return layers.failure(procedure, Gimp.PDBStatusType.EXECUTION_ERROR, str(e))
    Gimp.progress_end()
    return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())


def add_imported_layer(image, photo, name, pixels):
    """A new hint layer of the photo's size over it, with ``pixels`` (RGBA u8), linked to the photo,
    above its current hint layer if it has one; selected. One undo step."""
    image.undo_group_start()
    try:
        if image.get_base_type() != Gimp.ImageBaseType.RGB:
            image.convert_rgb()
        width, height = photo.get_width(), photo.get_height()
        layer = Gimp.Layer.new(image, "%s (%s)" % (layers.HINT_LAYER_NAME, name), width, height,
                               Gimp.ImageType.RGBA_IMAGE, 100, Gimp.LayerMode.NORMAL)
        layers.link(layer, layers.HINTS, photo.get_tattoo())
        above = layers.hint_layer_of(image, photo) or photo
        image.insert_layer(layer, above.get_parent(), image.get_item_position(above))
        _, x, y = photo.get_offsets()
        layer.set_offsets(x, y)
        buffer = layer.get_buffer()
        buffer.set(Gegl.Rectangle.new(0, 0, width, height), "R'G'B'A u8", pixels)
        buffer.flush()
        layer.update(0, 0, width, height)
        image.set_selected_layers([layer])
    finally:
        image.undo_group_end()
    return layer


def run_import(procedure, run_mode, image, drawables, config, data):
    Gegl.init(None)
    try:
        photo, _ = layers.targets(image, drawables)
        path = chosen_path(procedure, run_mode, config, "Import Hints")
        if path is None:
            return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
        content = requests.read_hints_file(path)
    except layers.UserError as e:
        return layers.failure(procedure, Gimp.PDBStatusType.CALLING_ERROR, str(e))
    Gimp.progress_init("Importing hints")
    header = requests.import_header((photo.get_width(), photo.get_height()), path, len(content))
    try:
        _, pixels = ask(header, content)
    except client.WorkerError as e:
        return layers.failure(procedure, Gimp.PDBStatusType.EXECUTION_ERROR, str(e))
    add_imported_layer(image, photo, os.path.basename(path), pixels)
    Gimp.progress_end()
    Gimp.displays_flush()
    return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())


def file_argument(procedure, action, blurb):
    procedure.add_file_argument("file", "_File", blurb, action, False, None, GObject.ParamFlags.READWRITE)


def create(plugin, name):
    """The procedure ``name`` (SUGGEST, EXPORT or IMPORT)."""
    run = {SUGGEST: run_suggest, EXPORT: run_export, IMPORT: run_import}[name]
    procedure = Gimp.ImageProcedure.new(plugin, name, Gimp.PDBProcType.PLUGIN, run, None)
    procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE | Gimp.ProcedureSensitivityMask.DRAWABLES)
    if name == SUGGEST:
        procedure.set_image_types("RGB*, GRAY*")
        procedure.set_menu_label("Suggest Hint _Colors")
        procedure.set_documentation(
            "Fill the palette 'hintcolor suggestions' with the colors likely at each sample point",
            "For each sample point on the image (or, with none, each painted dot of the photo's hint layer) "
            "the colors the network thinks likely there, given the hints painted so far, go into the "
            "palette 'hintcolor suggestions' (one row per point; entries named by position and probability), "
            "which becomes the active palette: click a swatch and paint. Needs the network's weights.", name)
        procedure.add_int_argument("count", "Colors per _point", "Suggestions per point, most likely first",
                                   1, 8, 5, GObject.ParamFlags.READWRITE)
        procedure.add_boolean_argument("snap-hints", "Snap hints into _gamut",
                                       "Pull each hint's color into the colors the photo can show at its lightness",
                                       True, GObject.ParamFlags.READWRITE)
    elif name == EXPORT:
        procedure.set_image_types("RGB*, GRAY*")
        procedure.set_menu_label("E_xport Hints...")
        procedure.set_documentation(
            "Save the hint layer's dots as a hintcolor hints file (JSON)",
            "Writes the dots of the photo's hint layer as the hints JSON that 'hintcolor colorize --hints' "
            "reads, with the photo's size (hints are scaled on a larger scan).", name)
        file_argument(procedure, Gimp.FileChooserAction.SAVE, "The hints file to write (.json)")
    else:
        procedure.set_image_types("*")
        procedure.set_menu_label("I_mport Hints...")
        procedure.set_documentation(
            "Paint a hintcolor hints file (JSON) as dots on a new hint layer",
            "Reads a hints JSON file (as written by Export Hints or for 'hintcolor colorize --hints') and "
            "paints its hints as dots on a new hint layer of the selected photo, scaled if the file "
            "records another image size.", name)
        file_argument(procedure, Gimp.FileChooserAction.OPEN, "The hints file to read (.json)")
    return procedure
