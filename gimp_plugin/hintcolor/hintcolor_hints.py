"""Suggest Hint Colors, Export Hints... and Import Hints...: the hint layer beyond painting.

Glue only, like hintcolor.py: the worker computes (``suggest``, ``export_hints``,
``import_hints``; see hintcolor_protocol.py), this module moves pixels and files; the palette and
the imported layer are made by the steps shared with GIMP 2.10 (hintcolor_steps.py).

- Suggest Hint Colors: for each sample point on the image (or, with none, each painted dot of
  the photo's hint layer), the colors the network thinks likely there fill the palette
  "hintcolor suggestions" (one row per point, entries named "(x, y) 38 %"), made the active one.
- Export Hints...: the hint layer's dots as a hints JSON file (``hintcolor colorize --hints``),
  written atomically.
- Import Hints...: a hints JSON file painted as dots on a new hint layer of the photo, in one undo step.
"""
import os

from gi.repository import GLib, Gegl, Gimp

import hintcolor_adapter as adapter
import hintcolor_client as client
import hintcolor_layers as layers
import hintcolor_protocol as protocol
import hintcolor_requests as requests
import hintcolor_steps as steps
from hintcolor_worker import connect, hint_layer_request, read_pixels


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


def run_suggest(procedure, run_mode, image, drawables, config, data):
    Gegl.init(None)
    try:
        photo, hint_layer = photo_and_hint_layer(image, drawables)
        points, canvas = sample_points(image, photo)
    except layers.UserError as e:
        return layers.failure(procedure, Gimp.PDBStatusType.CALLING_ERROR, str(e))
    header = protocol.suggest_header((photo.get_width(), photo.get_height()), protocol.U8, protocol.RGBA, None, points,
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
    steps.fill_palette(adapter, where, reply["suggestions"])
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
    header = protocol.export_header((photo.get_width(), photo.get_height()), hints)
    try:
        reply, document = ask(header, patches)
        requests.nothing_to_export(reply, hint_layer.get_name())
        requests.write_atomically(path, document)
    except client.WorkerError as e:
        return layers.failure(procedure, Gimp.PDBStatusType.EXECUTION_ERROR, str(e))
    Gimp.progress_end()
    return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())


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
    header = protocol.import_header((photo.get_width(), photo.get_height()), path, len(content))
    try:
        _, pixels = ask(header, content)
    except client.WorkerError as e:
        return layers.failure(procedure, Gimp.PDBStatusType.EXECUTION_ERROR, str(e))
    steps.add_imported_layer(adapter, image, photo, os.path.basename(path), (pixels, "R'G'B'A u8"))
    Gimp.progress_end()
    Gimp.displays_flush()
    return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())
