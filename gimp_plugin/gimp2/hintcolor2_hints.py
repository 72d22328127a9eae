"""Suggest Hint Colors, Export Hints... and Import Hints... for GIMP 2.10, as in the GIMP 3 plug-in.

Glue only: the worker computes (see hintcolor_protocol.py, which builds the requests; shared with
GIMP 3), this module moves gimpfu pixels, palettes and files. GIMP 2.10's PDB has no sample
points, so suggestions are for the painted dots of the photo's hint layer.
"""
import os

import hintcolor_client as client
import hintcolor_links as links
import hintcolor_protocol as protocol
import hintcolor_requests as requests
from gimpfu import GRAY, LAYER_MODE_NORMAL, RGB, RGBA_IMAGE, gimp, pdb
from hintcolor2_layers import (Layers, hint_layer_request, link, progress, read_pixels, selected_layer,
                               show_error, write_pixels)


def photo_and_hint_layer(image, drawable):
    """(layers, photo, its hint layer or None) for the active layer; UserError as for Colorize."""
    layers = Layers(image)
    photo, selected_hint = links.targets(layers.records, [layers.record(selected_layer(image, drawable))])
    return layers, layers.pick(photo), layers.pick(selected_hint or links.hint_layer_of(layers.records, photo))


def ask(header, payload, title):
    """Send a request to the worker with GIMP's progress bar; WorkerError says what went wrong."""
    gimp.progress_init(title)
    return requests.connect().request(header, payload, progress=progress)


def fill_palette(canvas_points, suggestions):
    """The palette "hintcolor suggestions", emptied, one row per point; made the active palette."""
    name = requests.PALETTE
    if name not in pdb.gimp_palettes_get_list(name)[1]:
        name = pdb.gimp_palette_new(name)
    for index in reversed(range(pdb.gimp_palette_get_info(name))):
        pdb.gimp_palette_delete_entry(name, index)
    pdb.gimp_palette_set_columns(name, max([len(found) for found in suggestions] + [1]))
    for entry, color in requests.palette_entries(canvas_points, suggestions):
        pdb.gimp_palette_add_entry(name, entry, tuple(int(color[i:i + 2], 16) for i in (1, 3, 5)))
    pdb.gimp_context_set_palette(name)


def suggest(image, drawable, count, snap_hints):
    """Suggest Hint Colors at the painted dots of the photo's hint layer."""
    try:
        layers, photo, hint_layer = photo_and_hint_layer(image, drawable)
        channels = protocol.layer_channels(image.base_type == GRAY, photo.has_alpha)
        header = protocol.suggest_header((photo.width, photo.height), protocol.U8, channels, None, [], int(count),
                                         bool(snap_hints))
        payload = [read_pixels(photo)]
        if hint_layer is not None:
            header["hints"], patches = hint_layer_request(photo, hint_layer)
            payload.extend(patches)
        reply, _ = ask(header, payload, "Suggesting hint colors")
    except (links.UserError, client.WorkerError) as e:
        show_error(e)
        return
    px, py = photo.offsets
    fill_palette([(x + px, y + py) for x, y in reply["points"]], reply["suggestions"])
    pdb.gimp_progress_end()


def export_hints(image, drawable, folder, filename):
    """Export Hints...: the hint layer's dots as a hints file ``folder/filename``, written whole or not at all."""
    path = os.path.join(folder, filename)
    try:
        layers, photo, hint_layer = photo_and_hint_layer(image, drawable)
        if hint_layer is None:
            raise links.UserError("The photo has no hint layer: add one (Filters > Colors > Add Color Hint Layer) "
                                  "and paint dots on it first.")
        hints, patches = hint_layer_request(photo, hint_layer)
        reply, document = ask(protocol.export_header((photo.width, photo.height), hints), patches, "Exporting hints")
        requests.nothing_to_export(reply, hint_layer.name)
        requests.write_atomically(path, document)
    except (links.UserError, client.WorkerError) as e:
        show_error(e)
        return
    pdb.gimp_progress_end()


def import_hints(image, drawable, path):
    """Import Hints...: a hints file painted as dots on a new hint layer of the photo, in one undo step."""
    try:
        layers = Layers(image)
        photo, _ = links.targets(layers.records, [layers.record(selected_layer(image, drawable))])
        content = requests.read_hints_file(path)
        header = protocol.import_header((layers.pick(photo).width, layers.pick(photo).height), path, len(content))
        _, pixels = ask(header, content, "Importing hints")
    except (links.UserError, client.WorkerError) as e:
        show_error(e)
        return
    add_imported_layer(image, layers, photo, os.path.basename(path), pixels)
    pdb.gimp_progress_end()
    gimp.displays_flush()


def add_imported_layer(image, layers, photo, name, pixels):
    """A new hint layer of the photo's size over it, with ``pixels`` (RGBA), linked to the photo, above
    its current hint layer if it has one; the active layer. One undo step."""
    above = layers.pick(links.hint_layer_of(layers.records, photo) or photo)
    photo = layers.pick(photo)
    pdb.gimp_image_undo_group_start(image)
    try:
        if image.base_type != RGB:
            pdb.gimp_image_convert_rgb(image)
        layer = gimp.Layer(image, "%s (%s)" % (links.HINT_LAYER_NAME, name), photo.width, photo.height, RGBA_IMAGE,
                           100, LAYER_MODE_NORMAL)
        link(layer, links.HINTS, photo.tattoo)
        position = pdb.gimp_image_get_item_position(image, above)
        pdb.gimp_image_insert_layer(image, layer, layers.parent[above.ID], position)
        layer.set_offsets(*photo.offsets)
        write_pixels(layer, pixels)
        pdb.gimp_image_set_active_layer(image, layer)
    finally:
        pdb.gimp_image_undo_group_end(image)
