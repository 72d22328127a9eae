"""STAND-IN, NOT GIMP: a recording imitation of GIMP 2.10's ``gimp`` module (pygimp) for running the
hintcolor GIMP 2.10 plug-in's own logic under a real Python 2.7 where no GIMP 2.10 with Python exists.

It follows the documented GIMP 2.10 Python-Fu API (pygimp objects and the PDB procedures' argument
lists) for exactly what the plug-in uses, holds each drawable's 8-bit pixels as a byte string, and
records every PDB call and message in ``CALLS``. It does not render, undo, or check what GIMP would
check beyond argument counts and types named here: passing its tests shows the plug-in's logic and
its use of these signatures, not that it runs in GIMP 2.10.
"""
import itertools

from gimpenums import (ADD_MASK_SELECTION, CHANNEL_OP_REPLACE, FILL_TRANSPARENT, GRAY, GRAY_IMAGE, GRAYA_IMAGE, RGB,
                       RGB_IMAGE, RGBA_IMAGE)

CALLS = []  # (procedure or function name, arguments) in call order
_ids = itertools.count(1)
_tattoos = itertools.count(1)
_items = {}
_global_parasites = {}
PALETTES = {}  # name: {"columns": int, "entries": [(entry name, (r, g, b))]}
CONTEXT = {"palette": None}
BPP = {RGB_IMAGE: 3, RGBA_IMAGE: 4, GRAY_IMAGE: 1, GRAYA_IMAGE: 2}


class error(RuntimeError):
    """What pygimp raises when a call fails (gimp.error)."""


class Parasite(object):
    def __init__(self, name, flags, data):
        self.name, self.flags, self.data = name, flags, data


class Item(object):
    def __init__(self, image, name):
        self.ID, self.tattoo, self.image, self.name = next(_ids), next(_tattoos), image, name
        self.parasites, self.valid, self.parent = {}, True, None
        _items[self.ID] = self

    def parasite_find(self, name):
        return self.parasites.get(name)

    def attach_new_parasite(self, name, flags, data):
        if not isinstance(data, str):
            raise TypeError("parasite data must be a string")
        self.parasites[name] = Parasite(name, flags, data)


class Drawable(Item):
    def __init__(self, image, name, width, height, kind):
        Item.__init__(self, image, name)
        self.width, self.height, self.type = int(width), int(height), kind
        self.offsets = (0, 0)
        self.pixels = bytearray(self.width * self.height * self.bpp)

    @property
    def bpp(self):
        return BPP[self.type]

    @property
    def has_alpha(self):
        return self.type in (RGBA_IMAGE, GRAYA_IMAGE)

    def get_pixel_rgn(self, x, y, width, height, dirty=True, shadow=False):
        if shadow:
            raise error("the stand-in has no shadow tiles")
        return PixelRgn(self, x, y, width, height)

    def flush(self):
        CALLS.append(("drawable.flush", (self.name,)))

    def update(self, x, y, width, height):
        CALLS.append(("drawable.update", (self.name, x, y, width, height)))

    def set_offsets(self, x, y):
        self.offsets = (int(x), int(y))


class PixelRgn(object):
    """A region of a drawable: ``rgn[x1:x2, y1:y2]`` reads the rows' bytes, assigning writes them."""

    def __init__(self, drawable, x, y, width, height):
        self.drawable, self.x, self.y, self.w, self.h, self.bpp = drawable, x, y, width, height, drawable.bpp

    def _rows(self, key):
        xs, ys = key
        x1, x2 = xs.start if xs.start is not None else self.x, xs.stop if xs.stop is not None else self.x + self.w
        y1, y2 = ys.start if ys.start is not None else self.y, ys.stop if ys.stop is not None else self.y + self.h
        if not (self.x <= x1 < x2 <= self.x + self.w and self.y <= y1 < y2 <= self.y + self.h):
            raise IndexError("region out of range")
        stride, bpp = self.drawable.width * self.bpp, self.bpp
        return [(y * stride + x1 * bpp, y * stride + x2 * bpp) for y in range(y1, y2)]

    def __getitem__(self, key):
        return b"".join(bytes(self.drawable.pixels[a:b]) for a, b in self._rows(key))

    def __setitem__(self, key, data):
        rows = self._rows(key)
        if len(data) != sum(b - a for a, b in rows):
            raise ValueError("wrong amount of pixel data")
        offset = 0
        for a, b in rows:
            self.drawable.pixels[a:b] = data[offset:offset + b - a]
            offset += b - a


class Layer(Drawable):
    def __init__(self, image, name, width, height, kind, opacity, mode):
        Drawable.__init__(self, image, name, width, height, kind)
        self.opacity, self.mode, self.visible, self.mask = opacity, mode, True, None


class GroupLayer(Layer):
    def __init__(self, image, name="Layer Group"):
        Layer.__init__(self, image, name, 1, 1, RGBA_IMAGE, 100, 28)
        self.layers = []


class Channel(Drawable):
    def __init__(self, image, name, width, height):
        Drawable.__init__(self, image, name, width, height, GRAY_IMAGE)


class Image(object):
    def __init__(self, width, height, base_type):
        self.ID = next(_ids)
        self.width, self.height, self.base_type = width, height, base_type
        self.layers, self.active_layer, self.selection_box, self.undo_depth = [], None, None, 0
        _items[self.ID] = self

    def _siblings(self, parent):
        return parent.layers if parent is not None else self.layers

    def insert_layer(self, layer, parent=None, position=-1):
        if layer.image is not self or layer in self._all():
            raise error("the layer is of another image or already in it")
        siblings = self._siblings(parent)
        siblings.insert(len(siblings) if position < 0 else position, layer)
        layer.parent = parent
        self.active_layer = layer  # GIMP makes an inserted layer the active one
        CALLS.append(("image.insert_layer", (layer.name, parent.name if parent else None, position)))

    def remove_layer(self, layer):
        self._siblings(layer.parent).remove(layer)
        layer.valid = False
        if self.active_layer is layer:
            self.active_layer = self._all()[0] if self._all() else None
        CALLS.append(("image.remove_layer", (layer.name,)))

    def _all(self, layers=None):
        found = []
        for layer in self.layers if layers is None else layers:
            found.append(layer)
            if isinstance(layer, GroupLayer):
                found.extend(self._all(layer.layers))
        return found


def _id2drawable(ID):
    return _items.get(ID)


def _convert_rgb(image):
    if image.base_type != GRAY:
        raise error("the image is not grayscale")
    for layer in image._all():
        if not isinstance(layer, GroupLayer):
            gray, bpp = layer.pixels, layer.bpp
            rgb = bytearray(len(gray) // bpp * (bpp + 2))
            for channel in range(3):
                rgb[channel::bpp + 2] = gray[0::bpp]
            if bpp == 2:
                rgb[3::4] = gray[1::2]
            layer.type, layer.pixels = (RGBA_IMAGE if bpp == 2 else RGB_IMAGE), rgb
    image.base_type = RGB


class _PDB(object):
    """The PDB procedures the plug-in calls, with GIMP 2.10's argument lists; every call is recorded."""

    def _record(self, name, *args):
        CALLS.append((name, args))

    def gimp_item_is_group(self, item):
        self._record("gimp-item-is-group", item.ID)
        return int(isinstance(item, GroupLayer))

    def gimp_item_is_layer(self, item):
        self._record("gimp-item-is-layer", item.ID)
        return int(isinstance(item, Layer))

    def gimp_item_is_valid(self, item):
        self._record("gimp-item-is-valid", item.ID)
        return int(item.valid)

    def gimp_image_get_item_position(self, image, item):
        self._record("gimp-image-get-item-position", image.ID, item.ID)
        return image._siblings(item.parent).index(item)

    def gimp_image_set_active_layer(self, image, active_layer):
        self._record("gimp-image-set-active-layer", image.ID, active_layer.ID)
        image.active_layer = active_layer

    def gimp_image_convert_rgb(self, image):
        self._record("gimp-image-convert-rgb", image.ID)
        _convert_rgb(image)

    def gimp_image_undo_group_start(self, image):
        self._record("gimp-image-undo-group-start", image.ID)
        image.undo_depth += 1

    def gimp_image_undo_group_end(self, image):
        self._record("gimp-image-undo-group-end", image.ID)
        image.undo_depth -= 1

    def gimp_image_select_rectangle(self, image, operation, x, y, width, height):
        self._record("gimp-image-select-rectangle", image.ID, operation, x, y, width, height)
        assert operation == CHANNEL_OP_REPLACE, "the stand-in replaces selections only"
        image.selection_box = (x, y, width, height)

    def gimp_selection_none(self, image):
        self._record("gimp-selection-none", image.ID)
        image.selection_box = None

    def gimp_selection_is_empty(self, image):
        self._record("gimp-selection-is-empty", image.ID)
        return int(image.selection_box is None)

    def gimp_layer_create_mask(self, layer, mask_type):
        self._record("gimp-layer-create-mask", layer.ID, mask_type)
        mask = Channel(layer.image, layer.name + " mask", layer.width, layer.height)
        if mask_type == ADD_MASK_SELECTION and layer.image.selection_box is not None:
            x, y, width, height = layer.image.selection_box
            ox, oy = layer.offsets
            for row in range(max(y - oy, 0), min(y - oy + height, layer.height)):
                left, right = max(x - ox, 0), min(x - ox + width, layer.width)
                if left < right:
                    mask.pixels[row * layer.width + left:row * layer.width + right] = b"\xff" * (right - left)
        return mask

    def gimp_layer_add_mask(self, layer, mask):
        self._record("gimp-layer-add-mask", layer.ID, mask.ID)
        if layer.mask is not None:
            raise error("the layer has a mask already")
        layer.mask = mask

    def gimp_drawable_fill(self, drawable, fill_type):
        self._record("gimp-drawable-fill", drawable.ID, fill_type)
        assert fill_type == FILL_TRANSPARENT and drawable.has_alpha, "the stand-in fills transparent layers only"
        drawable.pixels[:] = b"\x00" * len(drawable.pixels)

    def gimp_palettes_get_list(self, filter):
        self._record("gimp-palettes-get-list", filter)
        names = sorted(name for name in PALETTES if filter in name)
        return len(names), names

    def gimp_palette_new(self, name):
        self._record("gimp-palette-new", name)
        actual, number = name, 1
        while actual in PALETTES:  # GIMP makes the name unique
            actual, number = "%s #%d" % (name, number), number + 1
        PALETTES[actual] = {"columns": 0, "entries": []}
        return actual

    def gimp_palette_get_info(self, name):
        self._record("gimp-palette-get-info", name)
        return len(PALETTES[name]["entries"])

    def gimp_palette_delete_entry(self, name, entry_num):
        self._record("gimp-palette-delete-entry", name, entry_num)
        del PALETTES[name]["entries"][entry_num]

    def gimp_palette_set_columns(self, name, columns):
        self._record("gimp-palette-set-columns", name, columns)
        PALETTES[name]["columns"] = columns

    def gimp_palette_add_entry(self, name, entry_name, color):
        self._record("gimp-palette-add-entry", name, entry_name, color)
        if not (isinstance(color, tuple) and len(color) == 3 and all(0 <= int(c) <= 255 for c in color)):
            raise TypeError("a color is an (r, g, b) tuple of 0..255")
        PALETTES[name]["entries"].append((entry_name, color))
        return len(PALETTES[name]["entries"]) - 1

    def gimp_context_set_palette(self, name):
        self._record("gimp-context-set-palette", name)
        if name not in PALETTES:
            raise error("no palette %s" % name)
        CONTEXT["palette"] = name

    def gimp_message(self, message):
        self._record("gimp-message", message)

    def gimp_progress_set_text(self, message):
        self._record("gimp-progress-set-text", message)

    def gimp_progress_end(self):
        self._record("gimp-progress-end")


pdb = _PDB()


def progress_init(message=None):
    CALLS.append(("gimp.progress_init", (message,)))


def progress_update(percentage):
    CALLS.append(("gimp.progress_update", (float(percentage),)))


def displays_flush():
    CALLS.append(("gimp.displays_flush", ()))


def message(text):
    CALLS.append(("gimp.message", (text,)))


def parasite_find(name):
    return _global_parasites.get(name)


def attach_new_parasite(name, flags, data):
    if not isinstance(data, str):
        raise TypeError("parasite data must be a string")
    _global_parasites[name] = Parasite(name, flags, data)


def messages():
    """What the plug-in showed the user, in order (pdb.gimp_message and gimp.message)."""
    return [args[0] for name, args in CALLS if name in ("gimp-message", "gimp.message")]

