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
  hiding it changes no color), and an active selection masks the result (the live layer carries
  the selection as its mask, as Apply's result will). While the panel is open its live layer
  stands in for the photo's result layer, which is hidden: what the canvas shows is what Apply gives.
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

import hintcolor_client as client  # noqa: E402
import hintcolor_layers as layers  # noqa: E402
import hintcolor_protocol as protocol  # noqa: E402
from hintcolor_schedule import CANCEL, FULL, PREVIEW, SUGGEST, Schedule, changed_box, dirty_rect  # noqa: E402
import hintcolor_requests as requests  # noqa: E402
from hintcolor_worker import connect, hint_layer_request, read_pixels, result_babl  # noqa: E402

TITLE = "Colorize with Hints - Live"
PAINT = "Paint on \"%s\": the photo \"%s\" is recolored as you paint."
HIDDEN = "\"%s\" is hidden: its dots still count; show it (eye icon in Layers) to paint more."
SELECTION = "Only the selection is recolored, here as by Apply (Select > None: the whole photo)."
LIVE_LAYER_NAME = "Colorized (hintcolor, live)"
POLL_MS = 150
THUMBNAIL = 512  # the watched thumbnail's longer side
PREVIEW_WORK_SIZE = 128  # the working grid of a preview (the full result uses the one chosen, 256)
SUGGESTIONS = 6
MAX_FAILURES = 20  # ticks in a row in which GIMP gives no pixels for a valid image, before that is an error


class LivePanel(object):
    """The panel bound to one photo and its hint layer. ``options``: the worker's colorize options;
    ``photo_format(photo)`` -> (format, channels, babl); ``write_result(image, photo, hint_layer,
    pixels, babl)`` writes the final result layer (hintcolor.py's, so Apply gives what the filter gives)."""

    def __init__(self, image, photo, hint_layer, options, photo_format, write_result):
        self.image, self.photo, self.hint_layer = image, photo, hint_layer
        self.options, self.write_result = options, write_result
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
        self.result = None  # (pixels, babl, hint layer used) of the full-quality result shown
        self.live_layer = None
        self.hidden_result = None  # the photo's result layer, hidden while the live layer stands in for it
        self.selection_signature = None
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
            self._mask_live_layer()
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

    def _advise(self):
        """Tell the user where to paint (or that the hint layer is hidden) and what a selection does."""
        hidden = self.hint_layer.is_valid() and not self.hint_layer.get_visible()
        lines = [(HIDDEN % self.hint_layer.get_name()) if hidden
                 else PAINT % (self.hint_layer.get_name(), self.photo.get_name())]
        if self.selection_signature is not None:
            lines.append(SELECTION)
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
        header, payload, hint_layer = self._request(kind)
        self.schedule.started(job)
        if kind != SUGGEST:
            self.status.set_text("Updating the preview..." if kind == PREVIEW else "Computing the full-quality result...")
        self.request = connect()
        times["read"] = time.time()
        thread = threading.Thread(target=self._ask, args=(self.request, header, payload, job, hint_layer, times))
        thread.daemon = True
        thread.start()

    def _request(self, kind):
        """(header, payload, hint layer used) of a request: the photo only if the worker lacks it,
        the hint layer's painted patches, shown or hidden."""
        options = dict(self.options)
        if kind == PREVIEW:
            options["work_size"] = min(PREVIEW_WORK_SIZE, options["work_size"])
            options["preview"] = True
        header = protocol.colorize_header((self.photo.get_width(), self.photo.get_height()), self.format,
                                          self.channels, None, options, self.session, self.photo_sent)
        payload = [] if self.photo_sent else [read_pixels(self.photo, self.babl)]
        self.photo_sent = True
        hint_layer = self.hint_layer if self.hint_layer.is_valid() else None
        if hint_layer is not None:
            whole = kind == FULL  # what Apply writes is made from the whole layer, read anew
            if self.hints_read is None or self.hints_read[0] != self.schedule.version or (whole and not self.hints_read[3]):
                data, whole = self._read_hint_layer(hint_layer, whole)
                hints, patches = hint_layer_request(self.photo, hint_layer, data)
                self.hints_read = (self.schedule.version, hints, patches, whole)
            _, header["hints"], patches, _ = self.hints_read
            payload.extend(patches)
        if kind == SUGGEST:
            header = protocol.suggestions_at(header, [list(self.point)], SUGGESTIONS)
        return header, payload, hint_layer

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

    def _ask(self, worker, header, payload, job, hint_layer, times):
        """In a thread: one request; its outcome goes back to GIMP's main loop."""
        try:
            reply, data = worker.request(header, payload)
            outcome = (reply, data, None)
        except client.WorkerError as e:
            outcome = (None, None, e)
        times["replied"] = time.time()
        GLib.idle_add(self._finished, job, outcome, hint_layer, times)

    def _finished(self, job, outcome, hint_layer, times):
        times["main"] = time.time()
        reply, data, error = outcome
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
            self._show_suggestions(reply["points"][0], reply["suggestions"][0])
        else:
            self._show(job, reply, data, hint_layer, times)
        if self.schedule.finishing and self.schedule.done():
            self._apply()
        return False

    def _show(self, job, reply, data, hint_layer, times):
        babl = result_babl(reply, self.babl)
        self._write_live_layer(data, babl)
        self.result = (data, babl, hint_layer) if job[0] == FULL else None
        self.capabilities = reply.get("capabilities", {})
        device = reply.get("device", "?")
        self.engine.set_text("Engine: %s on %s" % (self.capabilities.get("label", reply.get("engine")), device.upper()))
        if not self.capabilities.get("suggest"):
            self.where.set_text("Color suggestions need the network's weights (README: Weights).")
        shown = time.time()
        self.status.set_text(("Preview" if job[0] == PREVIEW else "Full quality") + " (%.2f s)" % (shown - times["read"]))
        steps = (times["start"] - times["noticed"], times["read"] - times["start"], times["replied"] - times["read"],
                 times["main"] - times["replied"], shown - times["main"])
        self.worker.note("live: %s shown at %.3f (noticed %.3f s before; waited %.3f s, read the hints in %.3f s, "
                         "asked the worker %.3f s, waited for GIMP %.3f s, wrote the layer in %.3f s)"
                         % ((job[0], shown, shown - times["noticed"]) + steps))

    def _write_live_layer(self, data, babl):
        """The live layer's pixels (added above the photo and its result, which it hides, with the
        selection as its mask; outside the undo history)."""
        image = self.image
        width, height = self.photo.get_width(), self.photo.get_height()
        if self.live_layer is None or not self.live_layer.is_valid():
            kind = Gimp.ImageType.RGBA_IMAGE if babl.startswith("R'G'B'A") else Gimp.ImageType.RGB_IMAGE
            layer = Gimp.Layer.new(self.image, LIVE_LAYER_NAME, width, height, kind, 100, Gimp.LayerMode.NORMAL)
            _, x, y = self.photo.get_offsets()
            selected = image.get_selected_layers()  # inserting selects the new layer: keep the user's
            result, _ = layers.result_of(image, self.photo)
            below = result  # the photo's result, if beside it; else the photo
            if (below is None or layers.parent_id(below) != layers.parent_id(self.photo)
                    or image.get_item_position(below) > image.get_item_position(self.photo)):
                below = self.photo
            image.undo_freeze()
            try:
                image.insert_layer(layer, self.photo.get_parent(), image.get_item_position(below))
                layer.set_offsets(x, y)
                image.set_selected_layers(selected)
                if result is not None and result.get_visible():
                    result.set_visible(False)
                    self.hidden_result = result
            finally:
                image.undo_thaw()
            self.live_layer = layer
            self._mask_live_layer()
        buffer = self.live_layer.get_buffer()
        buffer.set(Gegl.Rectangle.new(0, 0, width, height), babl, data)
        buffer.flush()
        self.live_layer.update(0, 0, width, height)
        Gimp.displays_flush()

    def _mask_live_layer(self):
        """The live layer masked to the selection, as Apply's result will be (outside the undo history)."""
        layer = self.live_layer
        if layer is None or not layer.is_valid() or (layer.get_mask() is None and self.selection_signature is None):
            return
        self.image.undo_freeze()
        try:
            if layer.get_mask() is not None:
                layer.remove_mask(Gimp.MaskApplyMode.DISCARD)
            if self.selection_signature is not None:
                layer.add_mask(layer.create_mask(Gimp.AddMaskType.SELECTION))
        finally:
            self.image.undo_thaw()
        Gimp.displays_flush()

    def _remove_live_layer(self):
        """The live layer removed, the result layer it stood in for shown again (outside the undo history)."""
        live = self.live_layer if self.live_layer is not None and self.live_layer.is_valid() else None
        hidden = self.hidden_result if self.hidden_result is not None and self.hidden_result.is_valid() else None
        self.live_layer = self.hidden_result = None
        if live is None and hidden is None:
            return
        self.image.undo_freeze()
        try:
            if live is not None:
                self.image.remove_layer(live)
            if hidden is not None:
                hidden.set_visible(True)
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
        data, babl, hint_layer = self.result
        self._remove_live_layer()
        self.image.undo_group_start()
        try:
            self.write_result(self.image, self.photo, hint_layer, data, babl)
        finally:
            self.image.undo_group_end()
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
