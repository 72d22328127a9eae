"""GIMP 2.10's side of the layer bookkeeping, pixels and progress (gimpfu, Python 2.7).

Describes the image's layers to the shared rules (hintcolor_links.py) and hands back the layers
they pick; reads 8-bit pixel regions (gimpfu plug-ins get 8-bit pixels whatever the
image's precision).
"""
import sys

import hintcolor_links as links
import hintcolor_protocol as protocol
import hintcolor_requests as requests
from gimpfu import PARASITE_PERSISTENT, PARASITE_UNDOABLE, gimp, pdb

MESSAGE_TITLE = "hintcolor Message"  # the title of the plug-in's own message box (GIMP's: "GIMP Message")


class Layers(object):
    """The image's layers as the shared rules see them, with the gimpfu objects behind them."""

    def __init__(self, image):
        self.records, self.layer, self.parent = [], {}, {}
        self._walk(image.layers, None)

    def _walk(self, layers, group):
        for layer in layers:
            found = {}
            for name in links.LINKS:
                parasite = layer.parasite_find(name)
                if parasite is not None:
                    found[name] = links.decode_link(parasite.data)
            is_group = bool(pdb.gimp_item_is_group(layer))
            self.records.append(links.LayerInfo(layer.ID, layer.tattoo, layer.name,
                                                group.ID if group is not None else None, is_group, found))
            self.layer[layer.ID], self.parent[layer.ID] = layer, group
            if is_group:
                self._walk(layer.layers, layer)

    def record(self, layer):
        return next(info for info in self.records if info.key == layer.ID)

    def pick(self, info):
        """The gimpfu layer of a record (None for None)."""
        return self.layer[info.key] if info is not None else None


def link(layer, name, value):
    """Attach a link parasite (an undo step; before a layer is inserted: part of the insertion's undo step)."""
    layer.attach_new_parasite(name, PARASITE_PERSISTENT | PARASITE_UNDOABLE, links.encode_link(value))


def selected_layer(image, drawable):
    """The layer the filter was run on: the drawable, or the active layer when a mask or channel is active."""
    return drawable if pdb.gimp_item_is_layer(drawable) else image.active_layer


def read_pixels(layer):
    """The layer's 8-bit pixels, row by row (as many bytes per pixel as the layer has channels), read
    through a fresh object: a gimpfu layer keeps the tiles it has read, and GIMP 2.10 hands them back
    again after the layer changed (e.g. when a procedure converted the image to RGB)."""
    fresh = gimp.Item.from_id(layer.ID)
    return fresh.get_pixel_rgn(0, 0, fresh.width, fresh.height, False, False)[0:fresh.width, 0:fresh.height]


def as_rgba(data, bpp):
    """8-bit pixels of ``bpp`` channels (Y, YA, RGB or RGBA) as RGBA bytes."""
    if bpp == 4:
        return data
    count = len(data) // bpp
    rgba = bytearray(count * 4)
    colors = (0, 0, 0) if bpp < 3 else (0, 1, 2)
    for channel, source in enumerate(colors):
        rgba[channel::4] = data[source::bpp]
    rgba[3::4] = data[bpp - 1::bpp] if bpp == 2 else b"\xff" * count
    return bytes(rgba)


def hint_layer_request(photo, hint_layer):
    """(the worker's description of the hint layer, the payload: its painted patches), see
    hintcolor_protocol.hint_layer_request."""
    return protocol.hint_layer_request(photo.offsets, hint_layer.offsets, (hint_layer.width, hint_layer.height),
                                       as_rgba(read_pixels(hint_layer), hint_layer.bpp))


def show_error(error):
    """End the run's progress (a run from the dialog that leaves it open gets a second message box from
    GIMP 2.10: "Unable to run GimpPdbProgress callback"), then say what went wrong in one message."""
    pdb.gimp_progress_end()
    show_message(requests.sentence(str(error)))


def show_message(text):
    """Show ``text`` in one message box; GIMP's message (pdb.gimp_message), except in a run from the
    dialog (gimpfu runs the procedure inside its GTK dialog's main loop): there GIMP 2.10 would show its
    message later, asking the dialog's progress bar for a window when the plug-in may be gone ("Unable to
    run GimpPdbProgress callback", a second message box), so the box is the plug-in's own, over the dialog."""
    gtk = sys.modules.get("gtk")  # imported by gimpfu for the dialog only
    if gtk is None or gtk.main_level() == 0:
        pdb.gimp_message(text)
        return
    dialogs = [window for window in gtk.window_list_toplevels()
               if isinstance(window, gtk.Dialog) and window.get_property("visible")]
    box = gtk.MessageDialog(dialogs[0] if dialogs else None, gtk.DIALOG_MODAL | gtk.DIALOG_DESTROY_WITH_PARENT,
                            gtk.MESSAGE_WARNING, gtk.BUTTONS_OK)
    box.set_title(MESSAGE_TITLE)
    box.set_property("text", text)
    box.run()
    box.destroy()


def progress(fraction, text):
    """GIMP's progress bar at ``fraction`` (0..1), with ``text`` in the status bar."""
    pdb.gimp_progress_set_text(text)
    gimp.progress_update(fraction)
