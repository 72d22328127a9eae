"""The Colorize with Hints dialog: the hint layer by name, then the procedure's own options.

GIMP's layer chooser shows a thumbnail without a name and offers no "none", so the hint layer is
a drop-down of the image's layers by name, with "None (automatic colors)" first. Options the
chosen engine does not read (hintcolor_protocol.ENGINE_OPTIONS) are insensitive. With a selection,
a line above them says what will happen: "Detail for the selection: 612 × 480 px, at 256 px".
"""
import gi

gi.require_version("Gtk", "3.0")
from gi.repository import GObject, Gimp, GimpUi, Gtk  # noqa: E402

import hintcolor_protocol as protocol  # noqa: E402
import hintcolor_requests as requests  # noqa: E402

NONE = "none"
OPTIONS = ("engine", "device", "work-size", "precision", "snap-hints")
CHOICES = ("engine", "device", "precision")


def run_dialog(procedure, config, choices, chosen, box):
    """Show the dialog; returns (True, hint layer or None) on OK, (False, None) on Cancel.

    ``choices``: the layers offered as hint layer; ``chosen``: the one pre-selected (or None);
    ``box``: the selection's box on the photo (x, y, w, h), or None."""
    GimpUi.init("hintcolor")
    dialog = GimpUi.ProcedureDialog.new(procedure, config, "Colorize with Hints")
    for name in CHOICES:  # GIMP 3.2 shows a short choice as radio buttons unless asked for a drop-down
        dialog.get_widget(name, Gtk.ComboBox.__gtype__)
    hint_combo = Gtk.ComboBoxText()
    hint_combo.append(NONE, "None (automatic colors)")
    for layer in choices:
        hint_combo.append(str(layer.get_id()), layer.get_name())
    hint_combo.set_active_id(str(chosen.get_id()) if chosen is not None else NONE)
    row = Gtk.Box(orientation=Gtk.Orientation.HORIZONTAL, spacing=12)
    label = Gtk.Label.new_with_mnemonic("Hi_nt layer")  # H: the Help button
    label.set_mnemonic_widget(hint_combo)
    row.pack_start(label, False, False, 0)
    row.pack_start(hint_combo, True, True, 0)
    dialog.fill(list(OPTIONS))
    content = dialog.get_content_area()
    content.pack_start(row, False, False, 0)
    content.reorder_child(row, 0)
    row.show_all()
    region = Gtk.Label(xalign=0)
    if box is not None:
        content.pack_start(region, False, False, 0)
        content.reorder_child(region, 1)
        region.show()

    def update_dialog(*_):
        engine = config.get_property("engine")
        if box is not None:
            region.set_text(requests.region_line(box, {"engine": engine, "work_size": config.get_property("work-size")}))
        read = protocol.options_read(engine)
        for name in OPTIONS:
            option = name.replace("-", "_")  # the worker's name of the option
            widget = dialog.get_widget(name, GObject.TYPE_NONE)
            if widget is not None and option in protocol.options_read("auto"):  # some engine reads it
                widget.set_sensitive(option in read)

    handlers = [config.connect(signal, update_dialog) for signal in ("notify::engine", "notify::work-size")]
    update_dialog()
    ok = dialog.run()
    for handler in handlers:
        config.disconnect(handler)
    chosen_id = hint_combo.get_active_id()
    dialog.destroy()
    if not ok:
        return False, None
    return True, (None if chosen_id in (None, NONE) else Gimp.Layer.get_by_id(int(chosen_id)))
