"""Which photo, hint layer and result layer a run is about, for both plug-ins (GIMP 3 and 2.10).

The filters act on a photo, whichever of its layers is selected: the photo itself, its hint
layer or its result layer. The links are parasites (saved in XCF files):

- a result layer carries ``hintcolor-result``: JSON ``{"photo": tattoo, "hints": tattoo or null}``,
  the photo it colorizes and the hint layer it was made with;
- a hint layer made by Add Color Hint Layer carries ``hintcolor-hints``: its photo's tattoo.

A layer named "Color Hints" without the parasite (made by hand) is a hint layer too; it belongs
to the photo whose result used it, else to the first photo layer below it.

Pure functions on :class:`LayerInfo` records (plain values), so that GIMP 3's PyGObject layers and
GIMP 2.10's gimpfu layers share the same rules: each plug-in describes its image's layers as a
list of records, top to bottom, layer groups' children after their group. Standard library only,
Python 2.7-compatible.
"""
import json

HINT_LAYER_NAME = "Color Hints"
RESULT_LAYER_NAME = "Colorized (hintcolor)"
RESULT = "hintcolor-result"
HINTS = "hintcolor-hints"
LINKS = (RESULT, HINTS)


class UserError(Exception):
    """A message for the GIMP user: what to select or do."""


class LayerInfo(object):
    """What the rules need to know of one layer.

    ``key``: the plug-in's handle for the layer (its id); ``parent``: the key of its group or
    None; ``links``: {parasite name: decoded value} for each link parasite it carries (a
    parasite that does not decode is present with the value None)."""

    __slots__ = ("key", "tattoo", "name", "parent", "group", "links")

    def __init__(self, key, tattoo, name, parent, group, links):
        self.key, self.tattoo, self.name, self.parent, self.group, self.links = key, tattoo, name, parent, group, links


def encode_link(value):
    """A link's parasite data (UTF-8 JSON bytes)."""
    return json.dumps(value).encode("utf-8")


def decode_link(data):
    """A link's value from its parasite data (bytes, str or a list of byte values); None if malformed.

    GIMP 2.10's gimpfu stores a layer parasite with the C string's NUL after it, so a link written
    there (and an XCF saved by GIMP 2.10, opened in GIMP 3) ends in a NUL byte: it is ignored."""
    try:
        return json.loads(bytes(bytearray(data)).rstrip(b"\0").decode("utf-8"))
    except ValueError:  # includes UnicodeDecodeError
        return None


def is_result(layer):
    return RESULT in layer.links


def is_hint_layer(layer):
    return not is_result(layer) and (HINTS in layer.links or layer.name == HINT_LAYER_NAME)


def by_tattoo(layers, tattoo):
    if isinstance(tattoo, bool) or not isinstance(tattoo, int):
        return None
    return next((layer for layer in layers if layer.tattoo == tattoo), None)


def result_of(layers, photo):
    """The photo's result layer and its link, or (None, None)."""
    for layer in layers:
        info = layer.links.get(RESULT)
        if info and info.get("photo") == photo.tattoo:
            return layer, info
    return None, None


def photo_of(layers, layer):
    """The photo a selected layer stands for (None if it is gone)."""
    if is_result(layer):
        return by_tattoo(layers, (layer.links[RESULT] or {}).get("photo"))
    if not is_hint_layer(layer):
        return layer
    if layer.links.get(HINTS) is not None:
        return by_tattoo(layers, layer.links[HINTS])
    for other in layers:
        info = other.links.get(RESULT)
        if info and info.get("hints") == layer.tattoo:
            return by_tattoo(layers, info.get("photo"))
    siblings = [other for other in layers if other.parent == layer.parent]
    keys = [other.key for other in siblings]
    below = siblings[keys.index(layer.key) + 1:]
    return next((other for other in below if not is_result(other) and not is_hint_layer(other)), None)


def hint_layer_of(layers, photo):
    """The photo's hint layer: the one its result was made with, else one made for it, else an
    unlinked "Color Hints" layer; None if it has none."""
    _, info = result_of(layers, photo)
    used = by_tattoo(layers, (info or {}).get("hints"))
    if used is not None:
        return used
    candidates = [layer for layer in layers if is_hint_layer(layer)]
    mine = [layer for layer in candidates if layer.links.get(HINTS) == photo.tattoo]
    unlinked = [layer for layer in candidates if layer.links.get(HINTS) is None]
    return (mine + unlinked + [None])[0]


def targets(layers, selected):
    """(photo, selected hint layer or None) for the selected layers (records of ``layers``);
    UserError if they are not one photo's."""
    photos = {}
    for layer in selected:
        photo = photo_of(layers, layer)
        if photo is None:
            raise UserError("Cannot tell which photo the layer \"%s\" belongs to: select the photo layer." % layer.name)
        photos[photo.key] = photo
    if len(photos) != 1:
        raise UserError("Select one photo layer (or its hint layer).")
    photo = list(photos.values())[0]
    if photo.group:
        raise UserError("\"%s\" is a layer group: select the photo layer." % photo.name)
    hints = [layer for layer in selected if layer.key != photo.key and is_hint_layer(layer)]
    return photo, hints[0] if len(hints) == 1 else None


def hint_choices(layers, photo):
    """Layers that can serve as the photo's hint layer: every layer but the photo, results and groups."""
    return [layer for layer in layers if layer.key != photo.key and not is_result(layer) and not layer.group]


def check_hint_layer(photo_key, hint_key):
    """UserError if the chosen hint layer (key, or None for none) is the photo itself."""
    if hint_key is not None and hint_key == photo_key:
        raise UserError("The hint layer cannot be the photo itself: choose the layer you painted on.")
