"""What both plug-ins (GIMP 3 and GIMP 2.10) do to an image, written once: colorize (the whole
photo, or the selection in detail) and write the result layer, add a hint layer, add an imported hint layer, fill the suggestions palette, show a notice once.

Each step says what to do and in which order (names, positions, what changes, which undo step);
the calls that differ between GIMP versions go through an adapter, one per plug-in: a module
(hintcolor_adapter.py beside the GIMP 3 plug-in, hintcolor2_adapter.py beside GIMP 2.10's) with
these functions, on that GIMP's own image and layer objects (None where a layer may be none):

- ``result_of(image, photo)``: (the photo's result layer, its link) or (None, None);
  ``hint_layer_of(image, photo)``: the photo's hint layer or None (hintcolor_links.py's rules);
- ``tattoo(layer)``, ``parent(layer)`` (its group or None), ``key(layer)`` (its id; None for None),
  ``position(image, layer)`` (its index among its siblings), ``image_size(image)``;
- ``value(layer, what)`` / ``change(layer, what, value)`` for each ``what`` of :data:`PROPERTIES`
  (a change is one undo step; ``"masked"`` only changes to False: the mask is discarded);
- ``new_layer(image, name, size, alpha)``: a layer not in the image yet, RGB(A), 100 %, Normal;
  ``link(layer, name, value)``: the link parasite (undoable); ``insert(image, layer, parent,
  position)``, ``reorder(image, layer, parent, position)``;
- ``write(layer, pixels, shadow)``: ``pixels`` (what the plug-in got from the worker, in its own
  form) into the whole layer, through the shadow buffer as one undo step if ``shadow``, else
  directly (a new layer: its insertion is the undo step); ``blend(layer, pixels, box)``: ``pixels``
  of the box (x, y, w, h: layer pixels) into it through the shadow buffer, merged through the
  image's selection (GIMP applies a filter's shadow buffer through it: a feathered edge blends
  softly, outside the selection nothing changes) as one undo step; ``fill_transparent(layer)``;
  ``update(layer)``: redraw it;
- ``selection_bounds(image)``: (x1, y1, x2, y2) of the selection's bounding box (canvas pixels), or
  None when nothing is selected;
- ``selected(image)`` / ``select(image, layers)``: the selected layers (a list);
- ``make_rgb(image)``: converted to RGB unless it is; ``undo_group(image, start)``: start or end one;
- ``palette(name)``: that palette, made if missing; ``palette_clear``, ``palette_columns``,
  ``palette_add(palette, name, "#rrggbb")``, ``palette_use``;
- ``session_record(name)`` / ``set_session_record(name, data)``: a global parasite (not saved: it
  lasts the GIMP session); ``message(text)``: one message to the user.

Standard library only, Python 2.7-compatible.
"""
import hintcolor_links as links
import hintcolor_protocol as protocol
import hintcolor_requests as requests

NOTICES_SHOWN = "hintcolor-notices-shown"  # the session record of the notices shown (once per GIMP session)
#: A layer's properties a result layer has fixed values of, in the order fit_result sets them.
PROPERTIES = ("size", "offsets", "masked", "alpha", "name", "visible", "opacity", "normal")


class UndoGroup(object):
    """``with UndoGroup(gimp, image):`` one undo step of what is done inside."""

    def __init__(self, gimp, image):
        self.gimp, self.image = gimp, image

    def __enter__(self):
        self.gimp.undo_group(self.image, True)

    def __exit__(self, *exc):
        self.gimp.undo_group(self.image, False)


def selection_box(gimp, image, photo):
    """The box a run colorizes in detail: the selection's bounding box on the photo layer, (x, y, w, h)
    in photo pixels; None without a selection (the whole photo). UserError if the selection lies
    off the photo."""
    bounds = gimp.selection_bounds(image)
    if bounds is None:
        return None
    left, top = gimp.value(photo, "offsets")
    width, height = gimp.value(photo, "size")
    x1, y1 = max(bounds[0] - left, 0), max(bounds[1] - top, 0)
    x2, y2 = min(bounds[2] - left, width), min(bounds[3] - top, height)
    if x2 <= x1 or y2 <= y1:
        raise links.UserError(requests.MESSAGES[protocol.REGION])
    return x1, y1, x2 - x1, y2 - y1


def colorize(gimp, image, photo, hint_layer, request):
    """Colorize with Hints, one undo step: without a selection the whole photo (apply_result); with
    one, the selection in detail (apply_region), the whole photo first if it has no result yet.
    ``request(region)``: the worker's (reply, pixels) for the whole photo (``region`` None) or for a
    box (x, y, w, h); it raises what the worker's refusal raises, before anything is changed.
    Returns the last reply."""
    box = selection_box(gimp, image, photo)
    if box is None:
        reply, pixels = request(None)
        apply_result(gimp, image, photo, hint_layer, pixels, protocol.result_has_alpha(reply))
        return reply
    whole = request(None)[1] if gimp.result_of(image, photo)[0] is None else None
    reply, pixels = request(box)
    apply_region(gimp, image, photo, hint_layer, box, pixels, protocol.result_has_alpha(reply), whole)
    return reply


def apply_result(gimp, image, photo, hint_layer, pixels, alpha):
    """A run's result written as one undo step: the image made RGB, then write_result."""
    with UndoGroup(gimp, image):
        gimp.make_rgb(image)
        write_result(gimp, image, photo, hint_layer, pixels, alpha)


def apply_region(gimp, image, photo, hint_layer, box, pixels, alpha, whole):
    """A region run's result written as one undo step: the image made RGB; the photo's result layer
    written whole with ``whole`` first if it is not None (a photo without a result yet); then
    ``pixels`` of ``box`` (x, y, w, h: photo pixels) blended into it through the selection. The
    result layer is made to fit (fit_result) but keeps a mask it has (pixels it hides stay hidden)."""
    with UndoGroup(gimp, image):
        gimp.make_rgb(image)
        if whole is not None:
            write_result(gimp, image, photo, hint_layer, whole, alpha)
        layer, linked = gimp.result_of(image, photo)
        link = result_link(gimp, photo, hint_layer)
        fit_result(gimp, image, photo, layer, alpha, link if link != linked else None, gimp.value(layer, "masked"))
        gimp.blend(layer, pixels, box)
        gimp.update(layer)


def result_link(gimp, photo, hint_layer):
    """The link a result layer records: the tattoos of its photo and hint layer (None: none)."""
    return {"photo": gimp.tattoo(photo), "hints": gimp.tattoo(hint_layer) if hint_layer is not None else None}


def write_result(gimp, image, photo, hint_layer, pixels, alpha):
    """Write ``pixels`` (the photo's size; with alpha if ``alpha``) into the photo's result layer,
    directly above the photo: the one it has (made to fit, see fit_result; a mask it had is
    discarded), else a new one. Each change is an undo step of the caller's group; no layer is
    removed or inserted on a re-run, so undo and redo leave the selected layers alone (GIMP selects
    a layer whose removal it undoes). The layers selected before stay selected."""
    link = result_link(gimp, photo, hint_layer)
    layer, linked = gimp.result_of(image, photo)
    if layer is None:
        selected = gimp.selected(image)
        layer = gimp.new_layer(image, links.RESULT_LAYER_NAME, gimp.value(photo, "size"), alpha)
        gimp.link(layer, links.RESULT, link)  # before the insertion: part of its undo step
        gimp.insert(image, layer, gimp.parent(photo), gimp.position(image, photo))
        gimp.change(layer, "offsets", gimp.value(photo, "offsets"))
        gimp.write(layer, pixels, False)
        gimp.select(image, selected or [layer])  # inserting selected it
    else:
        fit_result(gimp, image, photo, layer, alpha, link if link != linked else None, False)
        gimp.write(layer, pixels, True)
    gimp.update(layer)


def result_properties(gimp, photo, alpha, masked):
    """{what: value} of a result layer (see PROPERTIES): the photo's size and place, ``masked``,
    ``alpha``, its name, shown, opaque, Normal."""
    return {"size": gimp.value(photo, "size"), "offsets": gimp.value(photo, "offsets"), "masked": masked,
            "alpha": alpha, "name": links.RESULT_LAYER_NAME, "visible": True, "opacity": 100, "normal": True}


def fit_result(gimp, image, photo, layer, alpha, link, masked):
    """Make the photo's existing result layer what a new one would be (its pixels aside): directly
    above the photo, see result_properties (``masked``: False discards a mask it has, True keeps
    it), ``link`` (None: as it is). Only what differs is changed, each as an undo step (undoing a
    parasite's change makes GIMP 3 print a harmless CRITICAL: only when needed)."""
    if link is not None:
        gimp.link(layer, links.RESULT, link)
    position = gimp.position(image, photo)
    if gimp.key(gimp.parent(layer)) != gimp.key(gimp.parent(photo)) or gimp.position(image, layer) > position:
        gimp.reorder(image, layer, gimp.parent(photo), position)
    elif gimp.position(image, layer) < position - 1:
        gimp.reorder(image, layer, gimp.parent(photo), position - 1)  # the photo moves up once the layer is out
    wanted = result_properties(gimp, photo, alpha, masked)
    for what in PROPERTIES:
        if gimp.value(layer, what) != wanted[what]:
            gimp.change(layer, what, wanted[what])


def add_hint_layer(gimp, image, photo):
    """A transparent canvas-size "Color Hints" layer above the photo (None: at the top), linked to
    it; the image made RGB first. Returns the layer."""
    gimp.make_rgb(image)
    layer = gimp.new_layer(image, links.HINT_LAYER_NAME, gimp.image_size(image), True)
    if photo is not None:
        gimp.link(layer, links.HINTS, gimp.tattoo(photo))
    gimp.insert(image, layer, gimp.parent(photo) if photo is not None else None,
                gimp.position(image, photo) if photo is not None else 0)
    gimp.fill_transparent(layer)
    return layer


def show_hint_layer(gimp, image, photo, hint_layer):
    """Add Color Hint Layer, one undo step: ``hint_layer`` (the photo's, or None) shown if hidden,
    else a new one (add_hint_layer); it is selected. Returns it."""
    with UndoGroup(gimp, image):
        if hint_layer is None:
            hint_layer = add_hint_layer(gimp, image, photo)
        elif not gimp.value(hint_layer, "visible"):
            gimp.change(hint_layer, "visible", True)
        gimp.select(image, [hint_layer])
    return hint_layer


def add_imported_layer(gimp, image, photo, name, pixels):
    """Import Hints..., one undo step: a new hint layer "Color Hints (``name``)" of the photo's size
    over it, with ``pixels`` (RGBA), linked to the photo, above its current hint layer if it has
    one; selected. Returns it."""
    with UndoGroup(gimp, image):
        gimp.make_rgb(image)
        layer = gimp.new_layer(image, "%s (%s)" % (links.HINT_LAYER_NAME, name), gimp.value(photo, "size"), True)
        gimp.link(layer, links.HINTS, gimp.tattoo(photo))
        above = gimp.hint_layer_of(image, photo) or photo
        gimp.insert(image, layer, gimp.parent(above), gimp.position(image, above))
        gimp.change(layer, "offsets", gimp.value(photo, "offsets"))
        gimp.write(layer, pixels, False)
        gimp.update(layer)
        gimp.select(image, [layer])
    return layer


def fill_palette(gimp, canvas_points, suggestions):
    """The palette "hintcolor suggestions", emptied, one row per point (its entries named by
    hintcolor_requests.palette_entries); made the active palette. Returns it."""
    palette = gimp.palette(requests.PALETTE)
    gimp.palette_clear(palette)
    gimp.palette_columns(palette, max([len(found) for found in suggestions] + [1]))
    for name, color in requests.palette_entries(canvas_points, suggestions):
        gimp.palette_add(palette, name, color)
    gimp.palette_use(palette)
    return palette


def notify_once(gimp, text):
    """Show a notice that is not an error once per GIMP session."""
    record = requests.notices_after(gimp.session_record(NOTICES_SHOWN), text)
    if record is not None:
        gimp.set_session_record(NOTICES_SHOWN, record)
        gimp.message(text)
