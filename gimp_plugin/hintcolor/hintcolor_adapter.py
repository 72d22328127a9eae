"""GIMP 3's calls for the steps both plug-ins share (hintcolor_steps.py, which lists what each
function here does): this module is GIMP 3's adapter. Pixels are (bytes, babl format)."""
from gi.repository import Gegl, Gimp

from hintcolor_layers import hint_layer_of, link, result_of  # noqa: F401  (the adapter's own)

VALUES = {
    "size": lambda layer: (layer.get_width(), layer.get_height()),
    "offsets": lambda layer: tuple(layer.get_offsets()[1:]),
    "masked": lambda layer: layer.get_mask() is not None,
    "alpha": lambda layer: layer.has_alpha(),
    "name": lambda layer: layer.get_name(),
    "visible": lambda layer: layer.get_visible(),
    "opacity": lambda layer: layer.get_opacity(),
    "normal": lambda layer: layer.get_mode() == Gimp.LayerMode.NORMAL,
}
CHANGES = {
    "size": lambda layer, size: layer.resize(size[0], size[1], 0, 0),
    "offsets": lambda layer, offsets: layer.set_offsets(*offsets),
    "masked": lambda layer, _: layer.remove_mask(Gimp.MaskApplyMode.DISCARD),
    "alpha": lambda layer, alpha: layer.add_alpha() if alpha else layer.flatten(),
    "name": lambda layer, name: layer.set_name(name),
    "visible": lambda layer, visible: layer.set_visible(visible),
    "opacity": lambda layer, opacity: layer.set_opacity(opacity),
    "normal": lambda layer, _: layer.set_mode(Gimp.LayerMode.NORMAL),
}


def value(layer, what):
    return VALUES[what](layer)


def change(layer, what, new):
    CHANGES[what](layer, new)


def tattoo(layer):
    return layer.get_tattoo()


def parent(layer):
    return layer.get_parent()


def key(layer):
    return layer.get_id() if layer is not None else None


def position(image, layer):
    return image.get_item_position(layer)


def image_size(image):
    return image.get_width(), image.get_height()


def new_layer(image, name, size, alpha):
    kind = Gimp.ImageType.RGBA_IMAGE if alpha else Gimp.ImageType.RGB_IMAGE
    return Gimp.Layer.new(image, name, size[0], size[1], kind, 100, Gimp.LayerMode.NORMAL)


def insert(image, layer, group, index):
    image.insert_layer(layer, group, index)


def reorder(image, layer, group, index):
    image.reorder_item(layer, group, index)


def write(layer, pixels, shadow):
    data, babl = pixels
    buffer = layer.get_shadow_buffer() if shadow else layer.get_buffer()
    buffer.set(Gegl.Rectangle.new(0, 0, layer.get_width(), layer.get_height()), babl, data)
    buffer.flush()
    if shadow:
        layer.merge_shadow(True)


def blend(layer, pixels, box):
    data, babl = pixels
    buffer = layer.get_shadow_buffer()
    buffer.set(Gegl.Rectangle.new(*box), babl, data)
    buffer.flush()
    layer.merge_shadow(True)


def fill_transparent(layer):
    layer.fill(Gimp.FillType.TRANSPARENT)


def update(layer):
    layer.update(0, 0, layer.get_width(), layer.get_height())


def selection_bounds(image):
    _, selected, x1, y1, x2, y2 = Gimp.Selection.bounds(image)
    return (x1, y1, x2, y2) if selected else None


def selected(image):
    return list(image.get_selected_layers())


def select(image, chosen):
    image.set_selected_layers(chosen)


def make_rgb(image):
    if image.get_base_type() != Gimp.ImageBaseType.RGB:
        image.convert_rgb()


def undo_group(image, start):
    if start:
        image.undo_group_start()
    else:
        image.undo_group_end()


def palette(name):
    return Gimp.Palette.get_by_name(name) or Gimp.Palette.new(name)


def palette_clear(found):
    while found.get_color_count():
        found.delete_entry(found.get_color_count() - 1)


def palette_columns(found, columns):
    found.set_columns(columns)


def palette_add(found, name, color):
    found.add_entry(name, Gegl.Color.new(color))


def palette_use(found):
    Gimp.context_set_palette(found)


def session_record(name):
    parasite = Gimp.get_parasite(name)
    return parasite.get_data() if parasite is not None else None


def set_session_record(name, data):
    Gimp.attach_parasite(Gimp.Parasite.new(name, 0, list(data)))


def message(text):
    """During a run with a progress, GIMP shows a one-line message in the status bar."""
    Gimp.message(text)

