"""Colorize with Hints - Live...: a window that recolors the photo while the user paints hints.

Glue, like hintcolor.py: hintcolor_schedule.py decides what to ask the worker and when; this
module watches the hint layer, moves pixels, and shows the result in a layer of its own.

- Watching: every ``POLL_MS`` the panel compares a cheap signature of the hint layer (size,
  offsets, and a thumbnail GIMP keeps: a few ms at 12 MP; a 1-pixel pencil dot changes it) and of
  the photo. Only after a change is the hint layer read (whole, in its own format) and its
  painted patches sent (hintcolor_worker.hint_layer_request). The photo is sent once: the worker
  keeps it for this panel (``session``) until the photo changes.
- The rules of Colorize with Hints hold here too, and the panel says them when they matter: a
  hidden hint layer still counts (a user hides it to see the result without the dots; showing or
  hiding it changes no color). What the canvas shows while the panel is open is what Apply writes:
  without a selection the live layer stands in for the photo's result layer, which is hidden; with
  one, the panel asks for region runs of the selection's box (hintcolor_steps.selection_box) and a
  box-sized live detail layer, masked by the selection, shows them above the photo's result layer,
  which stays shown (outside the selection Apply changes nothing); a photo without a result yet gets
  the whole-photo live layer under it too, as Apply writes the whole result first
  (hintcolor_steps.apply_region). A changed selection takes the live layers away and asks again.
- Requests run in a thread (the window stays responsive); their results are written in GIMP's
  main loop. A preview (the worker's ``preview`` option) colorizes about a screen's pixels with the
  network on a 128 grid and enlarges them; the full-quality result follows once the user pauses.
- History: the live layer is added and removed with the undo history frozen (only around those
  two brief steps, never while the user paints), and its pixels are written straight into its
  buffer, which records nothing either; the user's strokes keep their own undo steps. Apply writes
  the final result as Colorize with Hints does: one undo step. Close without applying, closing the
  window, or closing the image leave the image as it was. The photo and hint layer are only read.
"""
import os
import threading
import time
import traceback

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import GLib, Gegl, Gimp, GimpUi, Gtk  # noqa: E402

import hintcolor_adapter as adapter  # noqa: E402
import hintcolor_client as client  # noqa: E402
import hintcolor_layers as layers  # noqa: E402
import hintcolor_protocol as protocol  # noqa: E402
from hintcolor_schedule import CANCEL, FULL, PREVIEW, SUGGEST, Schedule, changed_box, dirty_rect  # noqa: E402
import hintcolor_requests as requests  # noqa: E402
import hintcolor_steps as steps  # noqa: E402
from hintcolor_worker import connect, hint_layer_request, read_pixels, result_babl  # noqa: E402

TITLE = "Colorize with Hints - Live"
PAINT = "Paint on \"%s\": the photo \"%s\" is recolored as you paint."
HIDDEN = "\"%s\" is hidden: its dots still count; show it (eye icon in Layers) to paint more."
SELECTION = "Detail for the selection: %d \u00d7 %d px (Select > None: the whole photo)."
LIVE_LAYER_NAME = "Colorized (hintcolor, live)"
DETAIL_LAYER_NAME = "Colorized (hintcolor, live detail)"
WHOLE, REGION = "whole", "region"  # the parts of a request: the whole photo, the selection's box
POLL_MS = 150
THUMBNAIL = 512  # the watched thumbnail's longer side
PREVIEW_WORK_SIZE = 128  # the working grid of a preview (the full result uses the one chosen, 256)
SUGGESTIONS = 6
MAX_FAILURES = 20  # ticks in a row in which GIMP gives no pixels for a valid image, before that is an error


def has_alpha(babl):
    """Whether pixels in the babl format ``babl`` (as the worker's result) carry alpha."""
    return babl.startswith("R'G'B'A")


class LivePanel(object):
    """The panel bound to one photo and its hint layer. ``options``: the worker's colorize options;
    ``photo_format(photo)`` -> (format, channels, babl). Apply writes through the steps the filter
    writes through (hintcolor_steps.apply_result / apply_region), so it gives what the filter gives."""

    def __init__(self, image, photo, hint_layer, options, photo_format):
        self.image, self.photo, self.hint_layer = image, photo, hint_layer
        self.options = options
        self.format, self.channels, self.babl = photo_format(photo)
        self.worker = connect()
        self.session = "live-%d-%d-%d" % (os.getpid(), image.get_id(), photo.get_id())
        self.schedule = Schedule()
        self.signature = None
        self.photo_signature = None
        self.photo_sent = False
        self.last_read = None  # (size and offsets, pixels, thumbnail) of the hint layer as last read
        self.hints_read = None  # (version, header, payload) of the hint layer for the requests of a version
        self.point = (photo.get_width() / 2.0, photo.get_height() / 2.0)  # the last dot (photo pixels); first the centre
        self.result = None  # (box, {part: (pixels, babl)}, hint layer used) of the full-quality result shown
        self.live_layer = None  # the whole photo's live result
        self.detail_layer = None  # the selection box's live result, masked by the selection
        self.result_shown = None  # (the photo's result layer, its visibility before the panel changed it)
        self.selection_signature = None
        self.box = None  # the selection's box (x, y, w, h: photo pixels), or None: the whole photo
        self.box_error = None  # why the selection cannot be colorized (it lies off the photo), or None
        self.advice_given = None
        self.request = None  # the WorkerClient of the running request
        self.capabilities = {}  # what the worker's engine can do, known from the first result
        self.outcome = "closed"
        self.failures = 0
        self.noticed = time.time()  # when the panel noticed the newest change (time.time())
        self.window = self._build_window()

    # -- the window ---------------------------------------------------------------------------

    def _build_window(self):
        GimpUi.init("hintcolor")
        window = Gtk.Window(title=TITLE)
        window.set_default_size(360, -1)
        window.set_keep_above(True)
        window.connect("delete-event", lambda *_: self.close(apply=False) or True)
        box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=8, margin=12)
        window.add(box)
        self.advice = Gtk.Label(label=PAINT % (self.hint_layer.get_name(), self.photo.get_name()), xalign=0, wrap=True)
        box.pack_start(self.advice, False, False, 0)
        self.status = Gtk.Label(label="Starting the colorizer...", xalign=0)
        self.engine = Gtk.Label(label="", xalign=0)
        box.pack_start(self.status, False, False, 0)
        box.pack_start(self.engine, False, False, 0)
        self.where = Gtk.Label(label="", xalign=0)
        box.pack_start(self.where, False, False, 0)
        self.swatches = Gtk.Box(orientation=Gtk.Orientation.HORIZONTAL, spacing=4)
        box.pack_start(self.swatches, False, False, 0)
        self.pause = Gtk.CheckButton(label="_Pause updates", use_underline=True)
        self.pause.connect("toggled", self._pause_toggled)
        box.pack_start(self.pause, False, False, 0)
        buttons = Gtk.Box(orientation=Gtk.Orientation.HORIZONTAL, spacing=8)
        close = Gtk.Button(label="_Close without applying", use_underline=True)
        close.connect("clicked", lambda *_: self.close(apply=False))
        self.apply = Gtk.Button(label="_Apply", use_underline=True)
        self.apply.connect("clicked", lambda *_: self.close(apply=True))
        buttons.pack_end(self.apply, False, False, 0)
        buttons.pack_end(close, False, False, 0)
        box.pack_end(buttons, False, False, 0)
        return window

    def _pause_toggled(self, button):
        self.schedule.paused = button.get_active()
        if self.schedule.paused:
            self.status.set_text("Paused: the result layer keeps what it shows")

    def _show_suggestions(self, point, suggestions):
        _, x, y = self.photo.get_offsets()
        self.where.set_text("Suggested colors at (%d, %d), click one to paint with it:" % (point[0] + x, point[1] + y)
                            if suggestions else "No suggestion at (%d, %d)" % (point[0] + x, point[1] + y))
        for child in self.swatches.get_children():
            self.swatches.remove(child)
        for suggestion in suggestions[:SUGGESTIONS]:
            color = Gegl.Color.new(suggestion["color"])
            button = Gtk.Button()
            button.set_tooltip_text("%s, %d %%" % (suggestion["color"], round(100 * suggestion["probability"])))
            area = GimpUi.ColorArea.new(color, GimpUi.ColorAreaType.FLAT, 0)
            area.set_size_request(36, 24)
            button.add(area)
            button.connect("clicked", lambda _, c=color: Gimp.context_set_foreground(c))
            self.swatches.pack_start(button, False, False, 0)
        self.swatches.show_all()
        if suggestions:  # the most likely one is a key press away (space) in the panel
            self.swatches.get_children()[0].grab_focus()
        self.worker.note("live: suggestions %s" % " ".join(s["color"] for s in suggestions[:SUGGESTIONS]))

    # -- the session --------------------------------------------------------------------------

    def run(self):
        """Show the panel and serve it until Apply, Close, or the image is closed; returns what ended it."""
        self.window.show_all()
        self.schedule.change(time.monotonic())
        GLib.timeout_add(POLL_MS, self._tick)
        Gtk.main()
        return self.outcome

    def _tick(self):
        try:
            if self._gone():
                return False
            now = time.monotonic()
            self._watch(now)
            self._dispatch(now)
        except (AttributeError, TypeError, GLib.Error):  # GIMP gave no pixels: the image is closing,
            if self._gone():  # which is_valid() may tell only a moment later
                return False
            self.failures += 1
            if self.failures > MAX_FAILURES:  # not a closing image: say so, and stop watching
                traceback.print_exc()
                self.status.set_text("Live updates stopped: GIMP gives no pixels for \"%s\"" % self.photo.get_name())
                return False
        else:
            self.failures = 0
        return True

    def _gone(self):
        """End the panel (True) if its image or photo is gone."""
        if self.image.is_valid() and self.photo.is_valid():
            return False
        self.outcome = "image closed"
        self._end()
        return True

    def _watch(self, now):
        """Notice a change of the hint layer (or the photo) at the cost of a thumbnail, and of the
        selection (the live layer's mask) and what the panel advises."""
        signature = self._hint_signature()
        if self.signature is not None and signature != self.signature:
            self.schedule.change(now)
            self.noticed = time.time()
        self.signature = signature
        photo = thumbnail(self.photo) + tuple(self.photo.get_offsets())
        if self.photo_signature is not None and photo != self.photo_signature:
            self.photo_sent = False
            self.schedule.change(now)
        self.photo_signature = photo
        selection = self._selection_signature()
        if selection != self.selection_signature:
            self.selection_signature = selection
            self._selection_changed(now)
        self._advise()

    def _hint_signature(self):
        """What changes when the hint layer's dots do; not its visibility (hidden, its dots still count):
        (width, height, x, y) + thumbnail(layer)."""
        layer = self.hint_layer
        if not layer.is_valid():
            return None
        return (layer.get_width(), layer.get_height()) + tuple(layer.get_offsets()[1:]) + thumbnail(layer)

    def _selection_signature(self):
        """None without a selection; else its bounds and thumbnail."""
        if Gimp.Selection.is_empty(self.image):
            return None
        return tuple(Gimp.Selection.bounds(self.image)) + thumbnail(self.image.get_selection())

    def _selection_changed(self, now):
        """A new selection (or none): its box, the live layers taken away (they showed the old one's),
        and new results asked for."""
        try:
            self.box, self.box_error = steps.selection_box(adapter, self.image, self.photo), None
        except layers.UserError as e:
            self.box, self.box_error = None, requests.sentence(str(e))
        self.apply.set_sensitive(self.box_error is None and not self.schedule.finishing)
        self.result = None
        self._remove_live_layer()
        Gimp.displays_flush()
        self.schedule.change(now)

    def _advise(self):
        """Tell the user where to paint (or that the hint layer is hidden) and what a selection does."""
        hidden = self.hint_layer.is_valid() and not self.hint_layer.get_visible()
        lines = [(HIDDEN % self.hint_layer.get_name()) if hidden
                 else PAINT % (self.hint_layer.get_name(), self.photo.get_name())]
        if self.selection_signature is not None:
            lines.append(self.box_error or SELECTION % tuple(self.box[2:]))
        if lines != self.advice_given:
            self.advice_given = lines
            self.advice.set_text("\n".join(lines))
            self.worker.note("live: says %s" % " ".join(lines))

    def _dispatch(self, now):
        job = self.schedule.next(now, suggestions=self.capabilities.get("suggest", False))
        if job == CANCEL:
            self.request.cancel()
        elif job is not None:
            self._start(job)

    def _start(self, job):
        kind, version = job
        times = {"noticed": self.noticed, "start": time.time()}  # when each step began or ended (time.time())
        asks, hint_layer = self._request(kind)
        self.schedule.started(job)
        if kind != SUGGEST:
            self.status.set_text("Updating the preview..." if kind == PREVIEW else "Computing the full-quality result...")
        self.request = connect()
        times["read"] = time.time()
        thread = threading.Thread(target=self._ask, args=(self.request, asks, job, (self.box, hint_layer), times))
        thread.daemon = True
        thread.start()

    def _parts(self, kind):
        """The parts a request of ``kind`` asks for, in order: suggestions (None); without a selection
        the whole photo; with one its box, after the whole photo if the photo has no result layer
        yet (Apply writes the whole result first, then the box's)."""
        if kind == SUGGEST:
            return [None]
        if self.box is None:
            return [WHOLE]
        return ([WHOLE] if layers.result_of(self.image, self.photo)[0] is None else []) + [REGION]

    def _request(self, kind):
        """([(part, header, payload)] of a request, hint layer used): per part (see _parts) the photo
        only if the worker lacks it, the hint layer's painted patches, shown or hidden."""
        options = dict(self.options)
        if kind == PREVIEW:
            options["work_size"] = min(PREVIEW_WORK_SIZE, options["work_size"])
            options["preview"] = True
        hint_layer = self.hint_layer if self.hint_layer.is_valid() else None
        if hint_layer is not None:
            whole = kind == FULL  # what Apply writes is made from the whole layer, read anew
            if self.hints_read is None or self.hints_read[0] != self.schedule.version or (whole and not self.hints_read[3]):
                data, whole = self._read_hint_layer(hint_layer, whole)
                hints, patches = hint_layer_request(self.photo, hint_layer, data)
                self.hints_read = (self.schedule.version, hints, patches, whole)
        asks = []
        for part in self._parts(kind):
            header = protocol.colorize_header((self.photo.get_width(), self.photo.get_height()), self.format,
                                              self.channels, None, options, self.session, self.photo_sent,
                                              region=self.box if part == REGION else None)
            payload = [] if self.photo_sent else [read_pixels(self.photo, self.babl)]
            self.photo_sent = True
            if hint_layer is not None:
                _, header["hints"], patches, _ = self.hints_read
                payload.extend(patches)
            if kind == SUGGEST:
                header = protocol.suggestions_at(header, [list(self.point)], SUGGESTIONS)
            asks.append((part, header, payload))
        return asks, hint_layer

    def _read_hint_layer(self, layer, whole):
        """The hint layer's RGBA u8 pixels (a bytearray the panel keeps), and whether they were read
        whole: unless ``whole`` is asked for, only the part of a same-sized layer where its thumbnail
        changed since the last read (schedule.dirty_rect; at 12 MP a few kB instead of 48 MB).
        Remembers the last painted dot: where the pixels of such a part changed."""
        place, thumbnail = self.signature[:4], self.signature[4:]  # this tick's, see _hint_signature
        last = self.last_read  # (place, pixels, thumbnail) as last read
        if whole or last is None or last[0] != place or thumbnail[1:] != last[2][1:] or thumbnail[3] != 4:
            data, whole, box = bytearray(read_pixels(layer, "R'G'B'A u8")), True, None  # a first read, or for Apply
        else:
            data, rect = last[1], dirty_rect(last[2][0], thumbnail[0], place[:2], thumbnail[1:3])
            box = rect and self._splice(data, place[0], rect, read_pixels(layer, "R'G'B'A u8", rect))
        if box is not None:
            centre = ((box[0] + box[2]) / 2.0 + place[2] - self.photo.get_offsets()[1],
                      (box[1] + box[3]) / 2.0 + place[3] - self.photo.get_offsets()[2])
            if 0 <= centre[0] < self.photo.get_width() and 0 <= centre[1] < self.photo.get_height():
                self.point = centre
        self.last_read = (place, data, thumbnail)
        return data, whole

    @staticmethod
    def _splice(data, width, rect, pixels):
        """``pixels`` (RGBA u8 rows of ``rect`` [x, y, w, h]) written into ``data`` (a ``width``-pixel
        wide layer); returns the box (x0, y0, x1, y1) of the pixels that changed, or None."""
        x, y, w, h = rect
        stride, row = width * 4, w * 4
        old = b"".join(bytes(data[(y + i) * stride + x * 4:(y + i) * stride + x * 4 + row]) for i in range(h))
        box = changed_box(old, pixels, w, [(0, 0, w, h)])
        for i in range(h):
            data[(y + i) * stride + x * 4:(y + i) * stride + x * 4 + row] = pixels[i * row:(i + 1) * row]
        return box and (box[0] + x, box[1] + y, box[2] + x, box[3] + y)

    def _ask(self, worker, asks, job, made_for, times):
        """In a thread: one request per part (see _request); the outcome, ([(part, reply, pixels)],
        error), goes back to GIMP's main loop with ``made_for``: (box, hint layer) it was made for."""
        replies = []
        try:
            for part, header, payload in asks:
                replies.append((part,) + tuple(worker.request(header, payload)))
            outcome = (replies, None)
        except client.WorkerError as e:
            outcome = (None, e)
        times["replied"] = time.time()
        GLib.idle_add(self._finished, job, outcome, made_for, times)

    def _finished(self, job, outcome, made_for, times):
        times["main"] = time.time()
        replies, error = outcome
        self.request = None
        cancelled = error is not None and self.schedule.running is not None and self.schedule.version > job[1]
        if error is not None and error.code == protocol.SESSION:
            self.photo_sent, cancelled = False, True  # the worker restarted: send the photo again
        self.schedule.finished(error is None, cancelled)
        if self.window is None or not self.image.is_valid():  # ended: ask GIMP nothing more
            return False
        if error is not None:
            if not cancelled:
                self.status.set_text(requests.sentence(str(error)))
                self.status.set_line_wrap(True)
                self.schedule.finishing = False  # Apply waits for a result that will not come: ask again
                self.apply.set_sensitive(True)
                self.pause.set_sensitive(True)
        elif job[0] == SUGGEST:
            self._show_suggestions(replies[0][1]["points"][0], replies[0][1]["suggestions"][0])
        elif made_for[0] == self.box:  # else made for another selection: a new request follows
            self._show(job, replies, made_for, times)
        if self.schedule.finishing and self.schedule.done():
            self._apply()
        return False

    def _show(self, job, replies, made_for, times):
        """The parts of a result written into the live layers (and kept for Apply if full quality)."""
        pixels = {}
        for part, reply, data in replies:
            pixels[part] = (data, result_babl(reply, self.babl))
            self._write_live_layer(part, *pixels[part])
        self.result = (made_for[0], pixels, made_for[1]) if job[0] == FULL else None
        self.capabilities = reply.get("capabilities", {})
        device = reply.get("device", "?")
        self.engine.set_text("Engine: %s on %s" % (self.capabilities.get("label", reply.get("engine")), device.upper()))
        if not self.capabilities.get("suggest"):
            self.where.set_text("Color suggestions need the network's weights (README: Weights).")
        shown = time.time()
        self.status.set_text(("Preview" if job[0] == PREVIEW else "Full quality") + " (%.2f s)" % (shown - times["read"]))
        spans = (times["start"] - times["noticed"], times["read"] - times["start"], times["replied"] - times["read"],
                 times["main"] - times["replied"], shown - times["main"])
        self.worker.note("live: %s shown at %.3f (noticed %.3f s before; waited %.3f s, read the hints in %.3f s, "
                         "asked the worker %.3f s, waited for GIMP %.3f s, wrote the layer in %.3f s)"
                         % ((job[0], shown, shown - times["noticed"]) + spans))

    def _write_live_layer(self, part, data, babl):
        """A live layer's pixels: the whole photo's (``part`` WHOLE) or the selection box's (REGION),
        each layer added at its first result (outside the undo history)."""
        layer = self.live_layer if part == WHOLE else self.detail_layer
        if layer is None or not layer.is_valid():
            layer = self._add_live_layer(part, has_alpha(babl))
        width, height = layer.get_width(), layer.get_height()
        buffer = layer.get_buffer()
        buffer.set(Gegl.Rectangle.new(0, 0, width, height), babl, data)
        buffer.flush()
        layer.update(0, 0, width, height)
        Gimp.displays_flush()

    def _add_live_layer(self, part, alpha):
        """A live layer added above the photo's result (or the photo): for WHOLE the photo's size, the
        result hidden while it stands in for it; for REGION the box's size at its place, above the
        whole live layer if there is one, masked by the selection, the result shown (Apply shows it).
        The layers the user selected stay selected; all outside the undo history."""
        image, photo = self.image, self.photo
        x, y, width, height = (0, 0, photo.get_width(), photo.get_height()) if part == WHOLE else self.box
        kind = Gimp.ImageType.RGBA_IMAGE if alpha else Gimp.ImageType.RGB_IMAGE
        layer = Gimp.Layer.new(image, DETAIL_LAYER_NAME if part == REGION else LIVE_LAYER_NAME, width, height, kind,
                               100, Gimp.LayerMode.NORMAL)
        _, left, top = photo.get_offsets()
        selected = image.get_selected_layers()  # inserting selects the new layer: keep the user's
        result, _ = layers.result_of(image, photo)
        below = result  # the photo's result, if beside it; else the photo
        if (below is None or layers.parent_id(below) != layers.parent_id(photo)
                or image.get_item_position(below) > image.get_item_position(photo)):
            below = photo
        if part == REGION and self.live_layer is not None and self.live_layer.is_valid():
            below = self.live_layer
        image.undo_freeze()
        try:
            image.insert_layer(layer, photo.get_parent(), image.get_item_position(below))
            layer.set_offsets(left + x, top + y)
            image.set_selected_layers(selected)
            if part == REGION:
                layer.add_mask(layer.create_mask(Gimp.AddMaskType.SELECTION))
            if result is not None and result.get_visible() != (part == REGION):
                if self.result_shown is None:
                    self.result_shown = (result, result.get_visible())
                result.set_visible(part == REGION)
        finally:
            image.undo_thaw()
        if part == WHOLE:
            self.live_layer = layer
        else:
            self.detail_layer = layer
        return layer

    def _remove_live_layer(self):
        """The live layers removed, the result layer shown or hidden as it was (outside the undo history)."""
        live = [layer for layer in (self.live_layer, self.detail_layer) if layer is not None and layer.is_valid()]
        result, visible = self.result_shown or (None, None)
        result = result if result is not None and result.is_valid() else None
        self.live_layer = self.detail_layer = self.result_shown = None
        if not live and result is None:
            return
        self.image.undo_freeze()
        try:
            for layer in live:
                self.image.remove_layer(layer)
            if result is not None:
                result.set_visible(visible)
        finally:
            self.image.undo_thaw()

    # -- ending -------------------------------------------------------------------------------

    def close(self, apply):
        """Apply (once the full-quality result of the newest hints is shown) or close without applying."""
        if not apply:
            self.outcome = "closed"
            self._end()
            return
        self.schedule.finishing = True
        self.apply.set_sensitive(False)
        self.pause.set_sensitive(False)
        if self.schedule.done():
            self._apply()
        else:
            self.status.set_text("Finishing the full-quality result...")

    def _apply(self):
        """The full-quality result shown, written as Colorize with Hints writes it: one undo step."""
        box, pixels, hint_layer = self.result
        if box is not None and WHOLE not in pixels and layers.result_of(self.image, self.photo)[0] is None:
            self.schedule.change(time.monotonic())  # its result layer went meanwhile: the whole photo first
            return
        self._remove_live_layer()
        if box is None:
            steps.apply_result(adapter, self.image, self.photo, hint_layer, pixels[WHOLE], has_alpha(pixels[WHOLE][1]))
        else:
            steps.apply_region(adapter, self.image, self.photo, hint_layer, box, pixels[REGION],
                               has_alpha(pixels[REGION][1]), pixels.get(WHOLE))
        self.outcome = "applied"
        self._end()

    def _end(self):
        """Leave the image as it was (unless applied), stop the running request, close the window."""
        if self.request is not None:
            self.request.cancel()
        if self.image.is_valid():
            self._remove_live_layer()
            Gimp.displays_flush()
        if self.window is not None:
            self.window.destroy()
            self.window = None
            Gtk.main_quit()


def thumbnail(drawable):
    """A small preview GIMP keeps of the drawable, as elements of a signature: (bytes, width, height,
    bytes per pixel)."""
    data, width, height, bpp = drawable.get_thumbnail_data(THUMBNAIL, THUMBNAIL)
    return (bytes(data.get_data()), width, height, bpp)  # None (AttributeError) while the image closes
