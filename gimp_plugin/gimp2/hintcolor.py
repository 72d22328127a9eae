#!/usr/bin/env python2
"""hintcolor for GIMP 2.10 (Python-Fu, gimpfu): Filters > Colors > Add Color Hint Layer, Colorize
with Hints..., Suggest Hint Colors, Export Hints... and Import Hints..., as in the GIMP 3 plug-in.

Glue only: the rules of which photo, hint layer and result a run is about are in
hintcolor_links.py, what is done to the image (the result layer, a hint layer, the palette, a
notice) in hintcolor_steps.py, the worker's messages in hintcolor_requests.py, its requests in
hintcolor_protocol.py and the transport in hintcolor_client.py (all shared with the GIMP 3
plug-in, installed beside this file in hintcolor_lib/); hintcolor2_adapter.py makes GIMP 2.10's
calls for the steps, hintcolor2_layers.py reads gimpfu layers and pixels, hintcolor2_hints.py
has the procedures beyond painting. The procedures (names,
menus, options) are declared in hintcolor_procedures.py, shared with GIMP 3; register_procedure
registers them.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "hintcolor_lib"))
from gimpfu import (GRAY, PF_DIRNAME, PF_DRAWABLE, PF_FILENAME, PF_IMAGE, PF_LAYER, PF_OPTION, PF_SPINNER,  # noqa: E402
                    PF_STRING, PF_TOGGLE, gimp, main, pdb, register)

import hintcolor2_adapter as adapter  # noqa: E402
import hintcolor2_hints  # noqa: E402
import hintcolor_client as client  # noqa: E402
import hintcolor_links as links  # noqa: E402
import hintcolor_protocol as protocol  # noqa: E402
import hintcolor_procedures as table  # noqa: E402
import hintcolor_requests as requests  # noqa: E402
import hintcolor_steps as steps  # noqa: E402
from hintcolor2_layers import Layers, hint_layer_request, progress, read_pixels, selected_layer, show_error  # noqa: E402

# the nicks of Colorize's options, by the index gimpfu passes
HINTS, ENGINES, DEVICES, PRECISIONS = [table.procedure(table.GIMP2, table.COLORIZE).param(name).nicks()
                                       for name in ("hints", "engine", "device", "precision")]


def hint_layer_for(layers, photo, selected_hint, hints, argument):
    """The hint layer of this run (a record, or None): with Hints "The photo's hint layer" the selected
    hint layer, else the photo's own (the one its last result used, ...); with "The layer chosen
    below" the Hint layer argument; with "None" none. Repeat Last repeats Hints and the chosen layer."""
    if hints == "none":
        return None
    if hints == "auto":
        return selected_hint or links.hint_layer_of(layers.records, photo)
    if argument is None or not pdb.gimp_item_is_valid(argument) or argument.ID not in layers.layer:
        raise links.UserError("Choose a Hint layer of this image, or Hints: The photo's hint layer.")
    chosen = layers.record(argument)
    if links.is_result(chosen) or chosen.group:
        raise links.UserError("\"%s\" cannot be a hint layer: choose the layer you painted on." % chosen.name)
    links.check_hint_layer(photo.key, chosen.key)
    return chosen


def colorize_with_worker(image, photo, hint_layer, options, region=None, status=lambda text: text):
    """Ask the worker to colorize the photo layer's pixels (its own channels, 8-bit), or only the box
    ``region`` (x, y, w, h: photo pixels) in detail; returns (reply, pixels). ``status``: the status
    bar's words for a stage's."""
    channels = protocol.layer_channels(image.base_type == GRAY, photo.has_alpha)
    header = protocol.colorize_header((photo.width, photo.height), protocol.U8, channels, None, options, region=region)
    worker = requests.connect()
    worker.start_early()  # a worker that is not running loads the model while GIMP reads the pixels
    progress(0.0, status("Reading the photo"))
    payload = [read_pixels(photo)]
    if hint_layer is not None:
        header["hints"], patches = hint_layer_request(photo, hint_layer)
        payload.extend(patches)
    progress(0.1, status("Sending the photo to hintcolor"))
    return worker.request(header, payload, progress=lambda f, text: progress(0.1 + 0.8 * f, status(text)))


def colorize(image, drawable, hints, hint_layer, engine, device, work_size, precision, snap_hints):
    """Colorize with Hints: errors are shown once, in one line (pdb.gimp_message), and change nothing.
    With a selection, the status bar says what is done (hintcolor_requests.region_line)."""
    try:
        layers = Layers(image)
        photo, selected_hint = links.targets(layers.records, [layers.record(selected_layer(image, drawable))])
        hint = hint_layer_for(layers, photo, selected_hint, HINTS[hints], hint_layer)
        photo, hint = layers.pick(photo), layers.pick(hint)
        options = protocol.worker_options(ENGINES[engine], DEVICES[device], int(work_size), PRECISIONS[precision],
                                          bool(snap_hints))
        box = steps.selection_box(adapter, image, photo)
        gimp.progress_init("Colorizing with hints")

        def request(region):
            status = lambda text: requests.stage_text(text, box, region, options)  # noqa: E731
            reply, pixels = colorize_with_worker(image, photo, hint, options, region, status)
            progress(0.9, status("Writing the result"))
            return reply, pixels

        reply = steps.colorize(adapter, image, photo, hint, request)
    except (links.UserError, client.WorkerError) as e:
        show_error(e)
        return
    pdb.gimp_progress_end()
    if reply.get("notice"):  # after the progress (see show_error)
        steps.notify_once(adapter, requests.sentence(reply["notice"]))
    gimp.displays_flush()


def add_hint_layer(image, drawable):
    """Select the photo's hint layer (made visible if hidden), or add one above the photo."""
    layers = Layers(image)
    selected = selected_layer(image, drawable)
    try:
        photo, hint = links.targets(layers.records, [layers.record(selected)] if selected is not None else [])
    except links.UserError:
        photo, hint = None, None
    hint = layers.pick(hint or (links.hint_layer_of(layers.records, photo) if photo is not None else None))
    steps.show_hint_layer(adapter, image, layers.pick(photo), hint)
    gimp.displays_flush()


IMAGE = [(PF_IMAGE, "image", "Input image", None), (PF_DRAWABLE, "drawable", "Input drawable", None)]
PF_TYPES = {table.BOOL: PF_TOGGLE, table.STRING: PF_STRING, table.LAYER: PF_LAYER, table.FOLDER: PF_DIRNAME,
            table.OPEN_FILE: PF_FILENAME}
RUNS = {table.ADD_HINT_LAYER: add_hint_layer, table.COLORIZE: colorize, table.SUGGEST: hintcolor2_hints.suggest,
        table.EXPORT: hintcolor2_hints.export_hints, table.IMPORT: hintcolor2_hints.import_hints}


def gimpfu_parameter(param):
    """``param`` (a hintcolor_procedures.Parameter) as gimpfu's (type, name, label, default[, extra]):
    a choice as its index among the option labels, an integer as a spinner (min, max, step), a file
    as its path ("": none chosen)."""
    if param.kind == table.CHOICE:
        return (PF_OPTION, param.name, param.label, param.nicks().index(param.default),
                [label for _, label in param.choices])
    if param.kind == table.INT:
        return (PF_SPINNER, param.name, param.label, param.default, param.limits)
    return (PF_TYPES[param.kind], param.name, param.label, "" if param.kind == table.OPEN_FILE else param.default)


def register_procedure(entry, function):
    """Register the procedure that ``entry`` (a hintcolor_procedures.Procedure) declares, running ``function``."""
    register(entry.name, entry.blurb, entry.help, table.AUTHORS, table.COPYRIGHT, table.DATE, entry.label,
             entry.image_types, IMAGE + [gimpfu_parameter(param) for param in entry.params], [], function,
             menu=table.MENU)


for procedure in table.procedures(table.GIMP2):
    register_procedure(procedure, RUNS[procedure.name])
main()
