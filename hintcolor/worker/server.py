"""The worker the GIMP plug-ins talk to: ``hintcolor serve``.

It listens on 127.0.0.1 only and answers only requests carrying the per-user secret (a file only
this user can read, in a folder only this user can enter), checked before any payload byte is
read. Each connection is served by its own thread with its own timeouts; colorizations run one at
a time in a single compute thread. A client that goes away (GIMP's Cancel) is noticed between stages and its
request abandoned; whatever a client sends, the worker logs one line and goes on serving. It
keeps the model loaded between calls and exits after ``idle_timeout`` seconds without a request;
the memory a request frees is kept for the next one (:mod:`hintcolor.worker.memory`) and handed back to
the system after ``keep_memory`` seconds without a request.
Its address is published in ``worker.json`` and its log is ``worker.log``, both in the state
folder; the protocol is described, and requests are checked, in :mod:`hintcolor.worker.protocol`.
"""
from __future__ import annotations

import concurrent.futures
import collections
import contextlib
import hmac
import json
import os
import select
import signal
import socket
import sys
import threading
import time
import traceback
from typing import Callable, TextIO

import numpy as np

from .. import __version__
from .client import (HOST, LOG_FILE, STATE_FILE, WorkerClient, WorkerError, read_secret, receive_exactly, receive_header,
                     send_message, state_dir, write_private)
from ..errors import HintcolorError, InputError, WeightsError
from .pixels import decode_layer, encode_layer, place_hint_layer, split_layer, unpack_patches
from .memory import keep_freed_memory, release_memory
from .protocol import (COLORIZE, DEVICE, DISCARD_BYTES, DISCARD_SECONDS, EXPORT_HINTS, FAILED, HEADER_TIMEOUT, HELLO,
                       IMPORT_HINTS, INPUT, KEPT_PHOTOS, MAX_CONNECTIONS, MAX_POINTS, MAX_SUGGESTIONS, NEEDS_HINTS,
                       NEEDS_HINTS_NO_WEIGHTS, NO_POINTS, RGBA, SECRET, SESSION, SHUTDOWN, SUGGEST, SUGGEST_WEIGHTS,
                       TRANSFER_TIMEOUT, U8, VERSION, WEIGHTS, WEIGHTS_MISSING, ProtocolError, RequestError, check_count,
                       check_options, check_points, check_region, declared_size, error_reply, layer_bytes)

DEFAULT_IDLE_TIMEOUT = 600.0
#: Seconds without a request after which the worker hands the memory its requests freed back to
#: the system (until then the next request reuses it: see hintcolor.worker.memory).
DEFAULT_KEEP_MEMORY = 30.0
#: worker.log is moved to worker.log.1 when a worker starts and finds it larger than this.
LOG_LIMIT = 1 << 20
#: The worker's refusals in the words of the command line (``hintcolor serve --stop``); the
#: plug-ins have GIMP's (gimp_plugin/shared/hintcolor_requests.py).
COMMAND_LINE_MESSAGES = {
    SECRET: "the running hintcolor worker refused this user's secret (the secret file changed since it started): "
            "end its process (pid %(pid)s) and try again",
}
#: How the compute threads (OpenMP's, under PyTorch, oneDNN and MKL) wait between two parallel steps:
#: asleep, not spinning (OpenMP's default spins 300 000 times first). The worker computes while GIMP
#: works too (drawing the last result and the stroke, reading layers for the plug-in); spinning
#: threads take its cores, and a thread GIMP preempts holds the others at the next step. The live
#: panel's first stroke at 12 MP waited 1.2-1.3 s for the worker's preview instead of 0.7 s later,
#: and 0.26-0.36 s with sleeping threads (benchmarks/bench_live.py).
WAIT_POLICY = "PASSIVE"


class ClientGone(Exception):
    """The client closed its connection (or sent something) while its request ran: abandon it."""


class Worker:
    """One worker process: a listening socket, the secret, and the colorizers it has loaded."""

    def __init__(self, folder: str, weights: str | None = None, idle_timeout: float = DEFAULT_IDLE_TIMEOUT, port: int = 0,
                 keep_memory: float = DEFAULT_KEEP_MEMORY):
        self.secret = read_secret(folder).encode("ascii")  # creates / checks the private folder first
        self.folder = folder
        self.weights = weights
        self.idle_timeout = idle_timeout
        self.keep_memory = keep_memory
        self.log_file, self.echo = open_log(os.path.join(folder, LOG_FILE))
        self.colorizers: dict = {}
        #: Photos kept by ``session`` name: (the photo's description, its pixels), most recent last.
        self.kept: collections.OrderedDict[str, tuple[dict, bytes]] = collections.OrderedDict()
        #: One thread runs every colorization, one at a time: the model is not shared between threads,
        #: and PyTorch's and malloc's per-thread caches stay in that thread.
        self.compute = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="hintcolor-compute")
        self.queued = 0
        self.state_lock = threading.Lock()
        self.connections = 0
        self.requests = 0
        self.last_request = time.monotonic()
        self.memory_released = False  # what the warm-up freed, too
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind((HOST, port))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.running = True

    @property
    def state_path(self) -> str:
        return os.path.join(self.folder, STATE_FILE)

    def log(self, text: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')}] {text}\n"
        with contextlib.suppress(ValueError):  # a connection thread may outlive close()
            self.log_file.write(line)
        if self.echo:
            sys.stderr.write(line)

    def serve_forever(self) -> None:
        state = {"pid": os.getpid(), "port": self.port, "version": __version__, "protocol": VERSION}
        write_private(self.state_path, json.dumps(state))
        self.log(f"hintcolor worker {__version__} listening on {HOST}:{self.port} (pid {os.getpid()})")
        self.compute.submit(self._warm_up)
        try:
            while self.running:
                idle = self._idle_for()
                if idle >= self.idle_timeout:
                    self.log(f"idle for {self.idle_timeout:g} s: exiting")
                    break
                if idle and not self._published():
                    self.log(f"{STATE_FILE} no longer names this worker (another one started meanwhile): exiting")
                    break
                if idle >= self.keep_memory and not self.memory_released:
                    self.memory_released = True
                    release_memory()
                self.listener.settimeout(min(1.0, self.idle_timeout - idle))
                try:
                    connection, _ = self.listener.accept()
                except socket.timeout:
                    continue
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # progress messages are small
                self._start_connection(connection)
        finally:
            self.close()

    def close(self) -> None:
        """Stop listening, withdraw worker.json, let a running colorization finish."""
        self.running = False
        self.listener.close()
        if self._published():
            with contextlib.suppress(OSError):
                os.remove(self.state_path)
        self.compute.shutdown(wait=True)
        self.log("stopped")
        self.log_file.close()

    def _published(self) -> bool:
        """Whether worker.json still names this worker (clients cannot find it otherwise)."""
        try:
            with open(self.state_path) as f:
                return json.load(f).get("pid") == os.getpid()
        except (OSError, ValueError, AttributeError):
            return False

    def _idle_for(self) -> float:
        with self.state_lock:
            return 0.0 if self.requests else time.monotonic() - self.last_request

    @contextlib.contextmanager
    def _request(self):
        """Counts a request in progress: the idle timer starts again when none is left."""
        with self.state_lock:
            self.requests += 1
        try:
            yield
        finally:
            with self.state_lock:
                self.requests -= 1
                self.last_request = time.monotonic()
                self.memory_released = False

    def _start_connection(self, connection: socket.socket) -> None:
        with self.state_lock:
            accepted = self.connections < MAX_CONNECTIONS
            self.connections += accepted
        if not accepted:
            connection.close()
            self.log(f"more than {MAX_CONNECTIONS} connections at once: closed a new one")
            return
        threading.Thread(target=self._serve_connection, args=(connection,), daemon=True).start()

    def _serve_connection(self, connection: socket.socket) -> None:
        """Serve the requests of one connection until it closes or misbehaves (one log line)."""
        try:
            with connection:
                while self.running:
                    connection.settimeout(HEADER_TIMEOUT)
                    if not wait_readable(connection, HEADER_TIMEOUT):
                        self.log(f"a client said nothing for {HEADER_TIMEOUT:g} s: connection closed")
                        return
                    if connection.recv(1, socket.MSG_PEEK) == b"":
                        return  # closed between requests: the normal end
                    if not self._serve_request(connection, receive_header(connection)):
                        return
        except ClientGone as e:
            self.log(f"the client went away during '{e}': request abandoned")
        except (OSError, EOFError, ProtocolError) as e:
            self.log(f"a connection ended badly: {type(e).__name__}: {e}")
        except Exception:  # a bug; the worker still serves the others
            self.log(f"a connection failed:\n{traceback.format_exc().rstrip()}")
        finally:
            with self.state_lock:
                self.connections -= 1

    def _serve_request(self, connection: socket.socket, header: dict) -> bool:
        """Authenticate, check, read the payload, answer; False when the connection must close."""
        token = header.get("token")
        if not isinstance(token, str) or not hmac.compare_digest(token.encode("utf-8"), self.secret):
            self.log("refused a request without this user's secret")
            send_message(connection, error_reply(SECRET))
            return False
        with self._request():
            keep_open = self._answer(connection, header)
        return keep_open and self.running

    def _answer(self, connection: socket.socket, header: dict) -> bool:
        """Read an authenticated request's payload, handle it, send the reply; False to close."""
        start = time.perf_counter()
        try:
            payload = self._receive_payload(connection, header)
            received = time.perf_counter()
            reply, data = self._handle(header, payload, Progress(connection))
        except RequestError as e:
            self.log(f"{header.get('op')!r:.40} request: error: {e}")
            reply, data = error_reply(e.code, str(e)), b""
            if e.close:
                refuse(connection, reply)
                return False
        connection.settimeout(TRANSFER_TIMEOUT)
        computed = time.perf_counter()
        send_message(connection, reply, data)
        if header.get("op") == COLORIZE and reply.get("ok"):
            now = time.perf_counter()
            self.log(f"replied in {now - start:.2f} s (pixels received in {received - start:.2f} s, "
                     f"result sent in {now - computed:.2f} s)")
        return True

    def _receive_payload(self, connection: socket.socket, header: dict) -> bytearray:
        size = declared_size(header)
        connection.settimeout(TRANSFER_TIMEOUT)
        return receive_exactly(connection, size)

    def _handle(self, header: dict, payload: bytearray, progress: Progress) -> tuple[dict, bytes]:
        op = header["op"]
        if op == HELLO:
            return {"ok": True, "version": __version__, "protocol": VERSION, "pid": os.getpid()}, b""
        if op == SHUTDOWN:
            self.running = False
            self.log("asked to exit")
            return {"ok": True}, b""
        try:
            if op == COLORIZE:
                return self._colorize(header, payload, progress)
            compute = {SUGGEST: self._suggest, EXPORT_HINTS: self._export_hints, IMPORT_HINTS: self._import_hints}[op]
            return self._queued(compute, header, payload, progress)
        except (RequestError, ClientGone):
            raise
        except HintcolorError as e:
            raise RequestError(INPUT, str(e)) from None
        except Exception as e:  # keep serving; the log has the details
            self.log(f"{op} failed:\n{traceback.format_exc().rstrip()}")
            raise RequestError(FAILED, f"{type(e).__name__}: {e}") from None

    def _colorize(self, header: dict, payload: bytearray, progress: Progress) -> tuple[dict, bytes]:
        """Queue the request for the compute thread and wait for it, abandoning it if the client goes."""
        options = colorize_options(header.get("options"))
        photo, hint = header["photo"], header.get("hints")
        region = check_region(header.get("region"), photo["width"], photo["height"])
        self.log(f"colorize {photo['width']}×{photo['height']}×{photo.get('channels', RGBA)} {photo['format']}"
                 f"{' (kept)' if photo.get('kept') else ''}, hint layer: "
                 f"{'none' if not hint else 'yes (%d patches)' % len(hint['patches']) if 'patches' in hint else 'yes'}, "
                 f"{options}{', region %s' % (region,) if region else ''}")
        progress(0.02, "Received the pixels")
        return self._in_compute_thread(self._compute, header, payload, options, region, progress)

    def _layers(self, header: dict, payload: bytearray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """A colorize or suggest request's photo (from the payload, or kept from an earlier request of
        its ``session``) and hint layer, decoded (see received_layers); keeps the photo if asked."""
        photo, session = header["photo"], header.get("session")
        description = {key: photo.get(key, RGBA if key == "channels" else None) for key in ("width", "height", "format", "channels")}
        if photo.get("kept"):
            with self.state_lock:
                kept = self.kept.get(session)
                if kept is not None:
                    self.kept.move_to_end(session)
            if kept is None or kept[0] != description:
                raise RequestError(SESSION, f"no photo kept as {session!r:.70} with this size and format")
            photo_data, hint_data = kept[1], memoryview(payload)
        else:
            size = layer_bytes(photo["width"], photo["height"], photo["format"], photo.get("channels", RGBA))
            photo_data, hint_data = memoryview(payload)[:size], memoryview(payload)[size:]
            if session is not None:
                with self.state_lock:
                    self.kept[session] = (description, bytes(photo_data))
                    self.kept.move_to_end(session)
                    while len(self.kept) > KEPT_PHOTOS:
                        self.kept.popitem(last=False)
        return received_layers(photo, header.get("hints"), photo_data, hint_data)

    def _queued(self, compute: Callable, header: dict, payload: bytearray, progress: Progress) -> tuple[dict, bytes]:
        """``compute(header, payload, progress)`` in the compute thread (see _in_compute_thread)."""
        self.log(f"{header['op']} request")
        return self._in_compute_thread(compute, header, payload, progress)

    def _in_compute_thread(self, compute: Callable, *args) -> tuple[dict, bytes]:
        """Queue ``compute(*args)`` (its last argument the Progress) for the compute thread and wait for
        it, abandoning it if the client goes."""
        progress = args[-1]
        with self.state_lock:
            queued = self.queued
            self.queued += 1
        try:
            job = self.compute.submit(compute, *args)
            if queued:
                progress(0.05, "Waiting for another colorization to finish")
            while True:
                try:
                    return job.result(timeout=0.2)
                except concurrent.futures.TimeoutError:  # once running, the compute thread itself looks
                    if not job.running() and progress.gone() and job.cancel():
                        raise ClientGone("Waiting for another colorization to finish") from None
        finally:
            with self.state_lock:
                self.queued -= 1

    def _compute(self, header: dict, payload: bytearray, options: dict, region: tuple[int, int, int, int] | None,
                 progress: Progress) -> tuple[dict, bytes]:
        """Colorize the photo, or with ``region`` (x, y, w, h) only that box in detail (in the compute
        thread: all large arrays are made and freed in this one thread)."""
        start = time.perf_counter()
        photo = header["photo"]
        width, height, fmt = photo["width"], photo["height"], photo["format"]
        pixels, alpha, hint_layer = self._layers(header, payload)
        colorizer = self._colorizer(options["device"], options["engine"], options["precision"], progress)
        if colorizer.needs_hints and (hint_layer is None or not hint_layer[:, :, 3].any()):
            raise RequestError(NEEDS_HINTS_NO_WEIGHTS if colorizer.weights_missing else NEEDS_HINTS)
        call = dict(hint_image=hint_layer, progress=progress.scaled(0.1, 0.9), work_size=options["work_size"],
                    snap_hints=options["snap_hints"])
        if options["preview"]:
            rgb = colorizer.preview_array(pixels, region=region, **call)
        elif region:
            rgb = colorizer.region_array(pixels, region, **call)
        else:
            rgb = colorizer.colorize_array(pixels, **call)
        if region:
            x, y, width, height = region
            alpha = None if alpha is None else alpha[y : y + height, x : x + width]
        data, result_channels = encode_layer(rgb, alpha, fmt), 3 if alpha is None else 4
        del rgb, pixels, alpha, hint_layer
        progress(0.95, "Sending the result")
        self.log(f"done in {time.perf_counter() - start:.2f} s on {colorizer.device} ({colorizer.engine})")
        # capabilities: what the engine that ran can do (suggest colors, needs a dot; label: what it is, in words)
        capabilities = {"suggest": colorizer.can_suggest, "needs_hints": colorizer.needs_hints,
                        "label": colorizer.backend.label}
        reply = {"ok": True, "width": width, "height": height, "format": fmt, "channels": result_channels,
                 "device": str(colorizer.device), "engine": colorizer.engine, "capabilities": capabilities,
                 "notice": WEIGHTS_MISSING if colorizer.weights_missing else None}
        if region:
            reply["region"] = list(region)
        return reply, data

    def _suggest(self, header: dict, payload: bytearray, progress: Progress) -> tuple[dict, bytes]:
        """Suggestions at ``points`` (or, with none, at the hint layer's dots: at most MAX_POINTS)."""
        options = colorize_options(header.get("options"))
        points, k = check_points(header.get("points")), check_count(header.get("k", MAX_SUGGESTIONS))
        pixels, _, hint_layer = self._layers(header, payload)
        colorizer = self._colorizer(options["device"], options["engine"], options["precision"], progress)
        if not colorizer.can_suggest:
            raise RequestError(SUGGEST_WEIGHTS)
        points = points or dot_centres(hint_layer)[:MAX_POINTS]
        if not points:
            raise RequestError(NO_POINTS)
        from ..suggest import suggest_at_points

        progress(0.1, "Asking the network which colors fit")
        call = colorizer.options(options["work_size"], snap_hints=options["snap_hints"])
        found = suggest_at_points(colorizer, pixels, points, k=k, hint_image=hint_layer, options=call)
        suggestions = [[suggestion.to_json() for suggestion in at_point] for at_point in found]
        return {"ok": True, "points": [[round(x, 1), round(y, 1)] for x, y in points], "suggestions": suggestions}, b""

    def _export_hints(self, header: dict, payload: bytearray, progress: Progress) -> tuple[dict, bytes]:
        """The hint layer's dots as a hints JSON document (UTF-8 payload), as a colorize call with the
        same options reads them (in the cells of the grid of the engine that colorize would run)."""
        from ..hint_layer import export_hints

        options = colorize_options(header.get("options"))
        photo, hint = header["photo"], header["hints"]
        layer = place_hint_layer(hint_pixels(hint, payload), (hint["x"], hint["y"]), (photo["width"], photo["height"]))
        colorizer = self._colorizer(options["device"], options["engine"], options["precision"], progress)
        call = colorizer.options(options["work_size"], snap_hints=options["snap_hints"], preview=options["preview"])
        document = export_hints(layer, colorizer, call)
        return {"ok": True, "count": len(document["hints"])}, json.dumps(document, indent=1).encode("utf-8")

    def _import_hints(self, header: dict, payload: bytearray, progress: Progress) -> tuple[dict, bytes]:
        """A hints file (the payload) painted as dots: an RGBA u8 layer of the photo's size."""
        from ..hint_layer import import_hints, paint_hint_layer

        photo, name = header["photo"], str(header.get("name", "the hints file"))[:1000]
        try:
            document = json.loads(bytes(payload).decode("utf-8"))
        except ValueError as e:  # UnicodeDecodeError included
            raise RequestError(INPUT, f"{name} is not a hints file (not JSON: {e})") from None
        dots = import_hints(document, name, photo["width"], photo["height"])
        layer = paint_hint_layer(dots, photo["width"], photo["height"])
        return {"ok": True, "width": photo["width"], "height": photo["height"], "count": len(dots)}, layer.tobytes()

    def _warm_up(self) -> None:
        """In the compute thread, as the worker starts: import PyTorch and load the default colorizer (the
        plug-in's default options), so that the first request, whose pixels GIMP is still reading, finds
        the model ready. (A first forward pass here was measured to cost more than it saves: the first
        forward at a new shape, the live panel's preview grid included, costs 10-30 ms of CPU more than
        the next; a slow first stroke in the live panel was the threads' waiting: WAIT_POLICY.)"""
        start = time.perf_counter()
        try:
            self._colorizer("auto", "auto", "auto", lambda *_: None)
        except Exception as e:  # the first request meets the same problem and reports it
            self.log(f"warm-up failed: {type(e).__name__}: {e}")
            return
        self.log(f"model loaded in {time.perf_counter() - start:.2f} s")

    def _colorizer(self, device: str, engine: str, precision: str, progress: Progress):
        """The colorizer for these options, loaded once (options the chosen engine does not read are
        left at their defaults, so they neither matter nor fail)."""
        from ..colorizer import Colorizer, resolve_device
        from ..engines import options_used

        used = options_used(engine)
        device, precision = (device if "device" in used else "auto"), (precision if "precision" in used else "auto")
        try:
            resolved = str(resolve_device(device))
        except InputError as e:
            raise RequestError(DEVICE, str(e)) from None
        key = (resolved, engine, precision)
        if key not in self.colorizers:
            progress(0.05, "Preparing the model (first run)")
            self.log(f"preparing the {engine} engine on {resolved}")
            try:
                colorizer = Colorizer(self.weights, resolved, engine=engine, precision=precision)
            except WeightsError as e:
                self.log(f"weights: {e}")
                raise RequestError(WEIGHTS) from None
            if colorizer.notice:
                self.log(f"notice: {colorizer.notice}")
            self.colorizers[key] = colorizer
        return self.colorizers[key]


class Progress:
    """Reports a request's progress to its client, and notices when the client has gone."""

    def __init__(self, connection: socket.socket, low: float = 0.0, high: float = 1.0):
        self.connection, self.low, self.high = connection, low, high

    def __call__(self, fraction: float, stage: str) -> None:
        self.check(stage)
        try:
            send_message(self.connection, {"progress": round(self.low + (self.high - self.low) * fraction, 3), "stage": stage})
        except OSError:
            raise ClientGone(stage) from None

    def check(self, stage: str) -> None:
        """ClientGone if the client has gone."""
        if self.gone():
            raise ClientGone(stage)

    def gone(self) -> bool:
        """Whether the client closed the connection or sent anything (a cancel) while its request runs."""
        return wait_readable(self.connection, 0)

    def scaled(self, low: float, high: float) -> Progress:
        """The same reporter, mapping 0..1 to ``low``..``high`` of this one's range."""
        span = self.high - self.low
        return Progress(self.connection, self.low + span * low, self.low + span * high)


def wait_readable(connection: socket.socket, timeout: float) -> bool:
    """True when the connection has bytes to read or was closed, within ``timeout`` seconds."""
    return bool(select.select([connection], [], [], timeout)[0])


def dot_centres(layer: np.ndarray | None) -> list[tuple[float, float]]:
    """The centre (x, y) of each painted dot (a connected patch of paint) of an RGBA layer, top to bottom."""
    from scipy import ndimage

    if layer is None:
        return []
    labels, count = ndimage.label(layer[:, :, 3] > 0)
    centres = ndimage.center_of_mass(labels > 0, labels, range(1, count + 1))
    return [(float(x) + 0.5, float(y) + 0.5) for y, x in centres]


def received_layers(photo: dict, hint: dict | None, photo_data: bytes | memoryview,
                    hint_data: bytes | memoryview) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """A request's photo (color: H×W gray or H×W×3; alpha: H×W or None) and its hint layer placed on
    it (or None), decoded from their bytes (the photo without a copy)."""
    width, height, fmt, channels = photo["width"], photo["height"], photo["format"], photo.get("channels", RGBA)
    color, alpha = split_layer(decode_layer(photo_data, width, height, fmt, channels))
    if not hint:
        return color, alpha, None
    return color, alpha, place_hint_layer(hint_pixels(hint, hint_data), (hint["x"], hint["y"]), (width, height))


def hint_pixels(hint: dict, data: bytes | memoryview) -> np.ndarray:
    """The hint layer (h×w×4 uint8) of a request: its bytes, or rebuilt from its ``patches``."""
    if "patches" in hint:
        return unpack_patches(hint["patches"], data, hint["width"], hint["height"])
    return decode_layer(data, hint["width"], hint["height"], U8)


def colorize_options(options: object) -> dict:
    """A request's options, checked (protocol.check_options) against the engines and precisions the
    library has: device, engine, precision, work_size, snap_hints, preview."""
    from ..colorizer import ENGINES, PRECISIONS

    return check_options(options, ENGINES, PRECISIONS)


def refuse(connection: socket.socket, reply: dict) -> None:
    """Send the refusal of a request whose payload was not read, then stop sending and read and drop
    what the client still sends, until it closes (at most DISCARD_BYTES, for DISCARD_SECONDS): closing
    at once with its bytes unread would reset the connection, and the client, still sending, could
    lose the refusal. Nothing is kept; the caller closes the connection."""
    send_message(connection, reply)
    buffer = bytearray(64 << 10)
    left, deadline = DISCARD_BYTES, time.monotonic() + DISCARD_SECONDS
    try:
        connection.shutdown(socket.SHUT_WR)
        while left > 0 and wait_readable(connection, max(0.0, deadline - time.monotonic())):
            got = connection.recv_into(buffer, min(len(buffer), left))
            if not got:
                return
            left -= got
    except OSError:  # the client has gone: nothing more to wait for
        pass


def open_log(path: str) -> tuple[TextIO, bool]:
    """The worker's log file (moved aside first when past LOG_LIMIT), and whether lines must also go
    to stderr (a worker started by hand; one started by the client has stderr in this file already)."""
    try:
        stderr_is_log = os.path.samestat(os.fstat(sys.stderr.fileno()), os.stat(path))
    except (OSError, ValueError, AttributeError):
        stderr_is_log = False
    if os.path.exists(path) and os.path.getsize(path) > LOG_LIMIT:
        os.replace(path, path + ".1")
    log = open(path, "a", buffering=1, encoding="utf-8")
    if stderr_is_log:
        os.dup2(log.fileno(), sys.stderr.fileno())  # tracebacks follow into the new file
    return log, not stderr_is_log


def serve(folder: str | None, weights: str | None, idle_timeout: float, port: int = 0,
          keep_memory: float = DEFAULT_KEEP_MEMORY) -> int:
    """Run a worker in the foreground until idle, stopped, or interrupted."""
    os.environ.setdefault("OMP_WAIT_POLICY", WAIT_POLICY)  # read when the warm-up imports PyTorch
    folder = folder or state_dir()
    try:
        answer = WorkerClient(folder=folder).hello()
        if answer is not None:
            answer[0].close()
            raise HintcolorError(f"a hintcolor worker is already running (pid {answer[1].get('pid')}); "
                                 "stop it with 'hintcolor serve --stop'")
        worker = Worker(folder, weights, idle_timeout, port, keep_memory)
    except WorkerError as e:
        raise HintcolorError(str(e)) from None
    except OSError as e:
        raise HintcolorError(f"cannot listen on {HOST}:{port} ({e.strerror}): choose another --port, or leave it out") from None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    keep_freed_memory()  # a request reuses what the previous one freed; handed back after keep_memory idle
    worker.serve_forever()
    return 0


def stop(folder: str | None) -> int:
    """Ask the running worker to exit; prints what happened."""
    folder = folder or state_dir()
    try:
        stopped = WorkerClient(folder=folder, messages=COMMAND_LINE_MESSAGES).stop()
    except WorkerError as e:
        raise HintcolorError(str(e)) from None
    if not stopped:
        raise HintcolorError(f"no hintcolor worker is running (state folder {folder})")
    print("hintcolor worker stopped")
    return 0

