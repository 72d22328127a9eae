"""GIMP 2.10's calls for the steps both plug-ins share (hintcolor_steps.py, which lists what each
function here does): this module is GIMP 2.10's adapter (gimpfu, Python 2.7). Pixels are 8-bit, of
the layer's own channels (gimpfu plug-ins get 8-bit pixels whatever the image's precision); the
layers a photo has are found with hintcolor2_layers.Layers; palettes are named, not objects."""
import hintcolor_links as links
from gimpfu import (FILL_TRANSPARENT, LAYER_MODE_NORMAL, MASK_DISCARD, RGB, RGB_IMAGE,
                    RGBA_IMAGE, gimp, pdb)
from hintcolor2_layers import Layers, link, show_message  # noqa: F401  (link: the adapter's own)

VALUES = {
    "size": lambda layer: (layer.width, layer.height),
    "offsets": lambda layer: tuple(layer.offsets),
    "masked": lambda layer: layer.mask is not None,
    "alpha": lambda layer: bool(layer.has_alpha),
    "name": lambda layer: layer.name,
    "visible": lambda layer: bool(layer.visible),
    "opacity": lambda layer: layer.opacity,
    "normal": lambda layer: layer.mode == LAYER_MODE_NORMAL,
}
CHANGES = {
    "size": lambda layer, size: layer.resize(size[0], size[1], 0, 0),
    "offsets": lambda layer, offsets: layer.set_offsets(*offsets),
    "masked": lambda layer, _: layer.remove_mask(MASK_DISCARD),
    "alpha": lambda layer, alpha: layer.add_alpha() if alpha else pdb.gimp_layer_flatten(layer),
    "name": lambda layer, name: setattr(layer, "name", name),
    "visible": lambda layer, visible: setattr(layer, "visible", visible),
    "opacity": lambda layer, opacity: setattr(layer, "opacity", float(opacity)),
    "normal": lambda layer, _: setattr(layer, "mode", LAYER_MODE_NORMAL),
}


def value(layer, what):
    return VALUES[what](layer)


def change(layer, what, new):
    CHANGES[what](layer, new)


def result_of(image, photo):
    layers = Layers(image)
    found, info = links.result_of(layers.records, layers.record(photo))
    return layers.pick(found), info


def hint_layer_of(image, photo):
    layers = Layers(image)
    return layers.pick(links.hint_layer_of(layers.records, layers.record(photo)))


def tattoo(layer):
    return layer.tattoo


def parent(layer):
    return layer.parent


def key(layer):
    return layer.ID if layer is not None else None


def position(image, layer):
    return pdb.gimp_image_get_item_position(image, layer)


def image_size(image):
    return image.width, image.height


def new_layer(image, name, size, alpha):
    return gimp.Layer(image, name, size[0], size[1], RGBA_IMAGE if alpha else RGB_IMAGE, 100, LAYER_MODE_NORMAL)


def insert(image, layer, group, index):
    pdb.gimp_image_insert_layer(image, layer, group, index)


def reorder(image, layer, group, index):
    pdb.gimp_image_reorder_item(image, layer, group, index)


def write(layer, pixels, shadow):
    """Through a fresh object: a gimpfu layer keeps its tiles of the size it had (see read_pixels)."""
    fresh = gimp.Item.from_id(layer.ID)
    region = fresh.get_pixel_rgn(0, 0, fresh.width, fresh.height, True, shadow)
    region[0:fresh.width, 0:fresh.height] = pixels
    fresh.flush()
    if shadow:
        fresh.merge_shadow(True)


def blend(layer, pixels, box):
    """Through a fresh object, as write."""
    x, y, w, h = box
    fresh = gimp.Item.from_id(layer.ID)
    region = fresh.get_pixel_rgn(x, y, w, h, True, True)
    region[x:x + w, y:y + h] = pixels
    fresh.flush()
    fresh.merge_shadow(True)


def fill_transparent(layer):
    pdb.gimp_drawable_fill(layer, FILL_TRANSPARENT)


def update(layer):
    layer.update(0, 0, layer.width, layer.height)


def selection_bounds(image):
    selected, x1, y1, x2, y2 = pdb.gimp_selection_bounds(image)
    return (x1, y1, x2, y2) if selected else None


def selected(image):
    """GIMP 2.10 has one active layer."""
    return [image.active_layer] if image.active_layer is not None else []


def select(image, chosen):
    pdb.gimp_image_set_active_layer(image, chosen[0])


def make_rgb(image):
    if image.base_type != RGB:
        pdb.gimp_image_convert_rgb(image)


def undo_group(image, start):
    if start:
        pdb.gimp_image_undo_group_start(image)
    else:
        pdb.gimp_image_undo_group_end(image)


def palette(name):
    return name if name in pdb.gimp_palettes_get_list(name)[1] else pdb.gimp_palette_new(name)


def palette_clear(name):
    for index in reversed(range(pdb.gimp_palette_get_info(name))):
        pdb.gimp_palette_delete_entry(name, index)


def palette_columns(name, columns):
    pdb.gimp_palette_set_columns(name, columns)


def palette_add(name, entry, color):
    pdb.gimp_palette_add_entry(name, entry, tuple(int(color[i:i + 2], 16) for i in (1, 3, 5)))


def palette_use(name):
    pdb.gimp_context_set_palette(name)


def session_record(name):
    parasite = gimp.parasite_find(name)
    return parasite.data if parasite is not None else None


def set_session_record(name, data):
    gimp.attach_new_parasite(name, 0, data)


def message(text):
    """After the run's progress has ended (see hintcolor2_layers.show_error)."""
    show_message(text)
