"""Which photo, hint layer and result layer a run of Colorize with Hints is about (GIMP 3 side).

The rules live in hintcolor_links.py, shared with the GIMP 2.10 plug-in; this module describes
the image's Gimp.Layer objects to them and hands back the layers they pick.
"""
from gi.repository import GLib, Gimp

import hintcolor_links as links
from hintcolor_links import HINT_LAYER_NAME, HINTS, RESULT, RESULT_LAYER_NAME, UserError, check_hint_layer  # noqa: F401
from hintcolor_requests import sentence


def failure(procedure, status, message):
    """An error return: GIMP shows its message to the user once (the plug-in shows nothing itself)."""
    return procedure.new_return_values(status, GLib.Error(sentence(message)))


def all_layers(layers):
    """Every layer, layer groups' children included, top to bottom."""
    found = []
    for layer in layers:
        found.append(layer)
        if layer.is_group():
            found.extend(all_layers(layer.get_children()))
    return found


def describe(image):
    """(records for hintcolor_links, {id: Gimp.Layer}) of every layer of ``image``."""
    records, by_id = [], {}
    for layer in all_layers(image.get_layers()):
        found = {}
        for name in links.LINKS:
            parasite = layer.get_parasite(name)
            if parasite is not None:
                found[name] = links.decode_link(parasite.get_data())
        parent = layer.get_parent()
        records.append(links.LayerInfo(layer.get_id(), layer.get_tattoo(), layer.get_name(),
                                       parent.get_id() if parent else None, layer.is_group(), found))
        by_id[layer.get_id()] = layer
    return records, by_id


def record(records, layer):
    return next(info for info in records if info.key == layer.get_id())


def parent_id(layer):
    """The id of the layer's group, or None at the image's top level."""
    parent = layer.get_parent()
    return parent.get_id() if parent is not None else None


def link(layer, name, value):
    """Attach a link parasite (an undo step; before a layer is inserted: part of the insertion's undo step)."""
    data = list(links.encode_link(value))
    layer.attach_parasite(Gimp.Parasite.new(name, Gimp.PARASITE_PERSISTENT | Gimp.PARASITE_UNDOABLE, data))


def result_of(image, photo):
    """The photo's result layer and its link, or (None, None)."""
    records, by_id = describe(image)
    found, info = links.result_of(records, record(records, photo))
    return (by_id[found.key], info) if found is not None else (None, None)


def hint_layer_of(image, photo):
    """The photo's hint layer (see hintcolor_links.hint_layer_of), or None."""
    records, by_id = describe(image)
    found = links.hint_layer_of(records, record(records, photo))
    return by_id[found.key] if found is not None else None


def targets(image, drawables):
    """(photo, selected hint layer or None) for the selected layers; UserError if they are not one photo's."""
    records, by_id = describe(image)
    selected = [record(records, d) for d in drawables if isinstance(d, Gimp.Layer)]
    photo, hint = links.targets(records, selected)
    return by_id[photo.key], by_id[hint.key] if hint is not None else None


def hint_choices(image, photo):
    """Layers that can serve as the photo's hint layer: every layer but the photo, results and groups."""
    records, by_id = describe(image)
    return [by_id[info.key] for info in links.hint_choices(records, record(records, photo))]
