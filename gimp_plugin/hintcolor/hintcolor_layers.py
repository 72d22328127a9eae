"""Which photo, hint layer and result layer a run of Colorize with Hints is about.

The filter acts on a photo, whichever of its layers is selected: the photo itself, its hint
layer or its result layer. The links are parasites (saved in XCF files):

- a result layer carries ``hintcolor-result``: JSON ``{"photo": tattoo, "hints": tattoo or null}``,
  the photo it colorizes and the hint layer it was made with;
- a hint layer made by Add Color Hint Layer carries ``hintcolor-hints``: its photo's tattoo.

A layer named "Color Hints" without the parasite (made by hand) is a hint layer too; it belongs
to the photo whose result used it, else to the first photo layer below it.
"""
import json

from gi.repository import GLib, Gimp

HINT_LAYER_NAME = "Color Hints"
RESULT_LAYER_NAME = "Colorized (hintcolor)"
RESULT = "hintcolor-result"
HINTS = "hintcolor-hints"


class UserError(Exception):
    """A message for the GIMP user: what to select or do."""


def failure(procedure, status, message):
    """An error return: GIMP shows its message to the user once (the plug-in shows nothing itself)."""
    return procedure.new_return_values(status, GLib.Error(message[:1].upper() + message[1:]))


def all_layers(layers):
    """Every layer, layer groups' children included, top to bottom."""
    found = []
    for layer in layers:
        found.append(layer)
        if layer.is_group():
            found.extend(all_layers(layer.get_children()))
    return found


def read_link(layer, name):
    parasite = layer.get_parasite(name)
    if parasite is None:
        return None
    try:
        return json.loads(bytes(parasite.get_data()).decode())
    except ValueError:
        return None


def link(layer, name, value):
    """Attach a link parasite; done before the layer is inserted, it is part of the insertion's undo step."""
    data = list(json.dumps(value).encode())
    layer.attach_parasite(Gimp.Parasite.new(name, Gimp.PARASITE_PERSISTENT | Gimp.PARASITE_UNDOABLE, data))


def is_result(layer):
    return layer.get_parasite(RESULT) is not None


def is_hint_layer(layer):
    return not is_result(layer) and (layer.get_parasite(HINTS) is not None or layer.get_name() == HINT_LAYER_NAME)


def by_tattoo(image, tattoo):
    return image.get_layer_by_tattoo(tattoo) if isinstance(tattoo, int) else None


def result_of(image, photo):
    """The photo's result layer and its link, or (None, None)."""
    for layer in all_layers(image.get_layers()):
        info = read_link(layer, RESULT)
        if info and info.get("photo") == photo.get_tattoo():
            return layer, info
    return None, None


def photo_of(image, layer):
    """The photo a selected layer stands for (None if it is gone)."""
    if is_result(layer):
        return by_tattoo(image, (read_link(layer, RESULT) or {}).get("photo"))
    if not is_hint_layer(layer):
        return layer
    if read_link(layer, HINTS) is not None:
        return by_tattoo(image, read_link(layer, HINTS))
    for other in all_layers(image.get_layers()):
        info = read_link(other, RESULT)
        if info and info.get("hints") == layer.get_tattoo():
            return by_tattoo(image, info.get("photo"))
    siblings = layer.get_parent().get_children() if layer.get_parent() else image.get_layers()
    ids = [other.get_id() for other in siblings]
    below = siblings[ids.index(layer.get_id()) + 1:] if layer.get_id() in ids else []
    return next((other for other in below if not is_result(other) and not is_hint_layer(other)), None)


def hint_layer_of(image, photo):
    """The photo's hint layer: the one its result was made with, else one made for it, else an
    unlinked "Color Hints" layer; None if it has none."""
    _, info = result_of(image, photo)
    used = by_tattoo(image, (info or {}).get("hints"))
    if used is not None:
        return used
    candidates = [layer for layer in all_layers(image.get_layers()) if is_hint_layer(layer)]
    mine = [layer for layer in candidates if read_link(layer, HINTS) == photo.get_tattoo()]
    unlinked = [layer for layer in candidates if read_link(layer, HINTS) is None]
    return (mine + unlinked + [None])[0]


def targets(image, drawables):
    """(photo, selected hint layer or None) for the selected layers; UserError if they are not one photo's."""
    layers = [d for d in drawables if isinstance(d, Gimp.Layer)]
    photos = {}
    for layer in layers:
        photo = photo_of(image, layer)
        if photo is None:
            raise UserError("Cannot tell which photo the layer \"%s\" belongs to: select the photo layer." % layer.get_name())
        photos[photo.get_id()] = photo
    if len(photos) != 1:
        raise UserError("Select one photo layer (or its hint layer).")
    photo = list(photos.values())[0]
    if photo.is_group():
        raise UserError("\"%s\" is a layer group: select the photo layer." % photo.get_name())
    hints = [layer for layer in layers if layer.get_id() != photo.get_id() and is_hint_layer(layer)]
    return photo, hints[0] if len(hints) == 1 else None


def hint_choices(image, photo):
    """Layers that can serve as the photo's hint layer: every layer but the photo, results and groups."""
    return [layer for layer in all_layers(image.get_layers())
            if layer.get_id() != photo.get_id() and not is_result(layer) and not layer.is_group()]
