"""Suggest Hint Colors, Export Hints... and Import Hints... for GIMP 2.10, as in the GIMP 3 plug-in.

Glue only: the worker computes (see hintcolor_protocol.py, which builds the requests; shared with
GIMP 3), this module moves gimpfu pixels and files; the palette and the imported layer are made by
the steps shared with GIMP 3 (hintcolor_steps.py). GIMP 2.10's PDB has no sample
points, so suggestions are for the painted dots of the photo's hint layer.
"""
import os

import hintcolor2_adapter as adapter
import hintcolor_client as client
import hintcolor_links as links
import hintcolor_protocol as protocol
import hintcolor_requests as requests
import hintcolor_steps as steps
from gimpfu import GRAY, gimp, pdb
from hintcolor2_layers import Layers, hint_layer_request, progress, read_pixels, selected_layer, show_error


def photo_and_hint_layer(image, drawable):
    """(layers, photo, its hint layer or None) for the active layer; UserError as for Colorize."""
    layers = Layers(image)
    photo, selected_hint = links.targets(layers.records, [layers.record(selected_layer(image, drawable))])
    return layers, layers.pick(photo), layers.pick(selected_hint or links.hint_layer_of(layers.records, photo))


def ask(header, payload, title):
    """Send a request to the worker with GIMP's progress bar; WorkerError says what went wrong."""
    gimp.progress_init(title)
    return requests.connect().request(header, payload, progress=progress)


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
    steps.fill_palette(adapter, [(x + px, y + py) for x, y in reply["points"]], reply["suggestions"])
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
    steps.add_imported_layer(adapter, image, layers.pick(photo), os.path.basename(path), pixels)
    pdb.gimp_progress_end()
    gimp.displays_flush()
