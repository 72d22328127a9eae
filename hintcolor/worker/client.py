"""Talking to the hintcolor worker: protocol, state files, starting the worker on demand.

Standard library only and Python 2.7-compatible: the GIMP plug-ins (GIMP 3's Python 3 and GIMP
2.10's Python 2.7) load this file, copied beside them by install.py as ``hintcolor_client.py``.
The worker (``hintcolor serve``, :mod:`hintcolor.worker.server`) uses the same functions. The messages
of :class:`WorkerError` are shown in GIMP, so they speak of GIMP's dialog, not of flags.

Protocol (version ``PROTOCOL``), over a TCP connection to 127.0.0.1. Each message is a 4-byte
big-endian length (at most ``MAX_HEADER``), a UTF-8 JSON object of that length (the header), then
``header["size"]`` bytes of payload. A connection may carry several requests, one after the other.

- Every request carries the per-user secret (``token``), read from the file ``secret`` in the
  state folder (mode 0600, in a folder of mode 0700). The worker checks it before it reads any
  payload byte; a request without it gets one error reply and the connection is closed.
- Requests: ``hello`` (version handshake; reply ``version``, ``protocol``, ``pid``), ``shutdown``,
  and ``colorize``: header ``photo`` {``width``, ``height``, ``format``: ``"u8"`` | ``"float"``,
  ``channels``: 1 (Y'), 2 (Y'A), 3 (R'G'B') or 4 (R'G'B'A, the default)}, ``hints`` (null or
  {``width``, ``height``, ``x``, ``y``}: an RGBA u8 layer and its offset from the photo),
  ``options`` {``device``, ``engine``, ``work_size``, ``precision``, ``snap_hints``, ``preview``
  (protocol 4; true: a fast, coarse result, computed at about a screen's pixels and enlarged)}; payload: the
  photo's pixels (row-major, channels interleaved), then the hint layer's. ``size`` must equal what
  those layers need, and each layer has at most ``MAX_PIXELS`` pixels; otherwise the request is
  refused before its payload is read.
- Sparse hint layer (``colorize``, ``suggest``, ``export_hints``): ``hints`` may carry ``patches``, a
  list of [x, y, w, h] rectangles of the hint layer (at most ``MAX_PATCHES``, inside it); then the
  payload holds only those rectangles' RGBA pixels, one after the other, and every pixel outside
  them is transparent black (:func:`painted_patches` finds them). The worker rebuilds the same layer.
- Kept photo (``colorize``, ``suggest``): ``session`` (a string of at most 64 characters) asks the
  worker to keep this request's photo under that name (the two most recent are kept); a later
  request with the same ``session`` and ``photo`` {..., ``"kept": true``} sends no photo pixels. If
  the worker no longer has it (restarted, or the photo's description differs), the reply is an
  error with code ``session``: send the photo again.
- ``suggest``: header and payload as ``colorize``, plus
  ``points`` (a list of at most 32 [x, y] photo pixels; empty or absent: the hint layer's painted
  dots, the first 32) and ``k`` (1..8, suggestions per point); reply ``points`` and ``suggestions``
  (per point a list of {``color``, ``ab``, ``probability``}, most likely first), no payload.
- ``export_hints``: header ``photo`` {``width``, ``height``} (no pixels), ``hints`` as for
  ``colorize`` (required), ``options`` {``work_size``}; payload: the hint layer's RGBA pixels;
  reply ``count``, payload: the hints JSON document (UTF-8) of its dots, as colorize reads them.
- ``import_hints``: header ``photo`` {``width``, ``height``}, ``name`` (the file's name, for
  messages), ``file_size`` (at most 16 MiB); payload: the hints file's bytes; reply ``width``,
  ``height``, ``count``, payload: an RGBA u8 layer of the photo's size with the hints painted as dots.
- While it colorizes, the worker sends progress messages ``{"progress": 0..1, "stage": text}``
  (no payload), then the reply: ``{"ok": true, "channels": 3 | 4, ...}`` with the result's pixels
  as payload in the photo's ``format``: R'G'B' (``channels`` 3) for a photo without alpha, R'G'B'A
  with the photo's own alpha for one with alpha (``channels`` 2 or 4);
  or ``{"ok": false, "code": ..., "error": "one line"}``. ``code`` names what went wrong
  (:data:`MESSAGES`); a reply may carry ``notice``, a code of :data:`NOTICES`.
- Closing the connection cancels the request (so does sending anything while it runs, e.g.
  ``{"op": "cancel"}``): the worker notices between stages, abandons it, closes the connection
  and goes on serving others.
"""
from __future__ import absolute_import, division, print_function

import binascii
import json
import numbers
import os
import re
import socket
import struct
import subprocess
import sys
import time

PROTOCOL = 4  # 3: suggest, export_hints, import_hints; 4: sparse hint layers, kept photos
HOST = "127.0.0.1"
STATE_FILE = "worker.json"
SECRET_FILE = "secret"
LOG_FILE = "worker.log"
MAX_HEADER = 64 * 1024
MAX_PIXELS = 150 * 1000 * 1000
START_TIMEOUT = 120.0
HELLO_TIMEOUT = 5.0
REQUEST_TIMEOUT = 900.0
#: Rectangles a sparse hint layer may have; rows scanned together, and the gap in pixels that
#: separates two rectangles of one band (see :func:`painted_patches`).
MAX_PATCHES = 4096
PATCH_ROWS = 64
PATCH_GAP = 64
_PAINT = re.compile(b"[^\x00]+")

#: What the worker's error codes mean, in the words of GIMP's dialog; ``%(...)s`` fields come from
#: the reply, plus ``log`` (the worker's log file).
MESSAGES = {
    "device": "the GPU is not available on this machine: choose Device: Automatic or CPU",
    "weights": "the network's weights are not installed for the worker: choose Engine: Propagate hints, "
               "or add the weights (its log, %(log)s, says where)",
    "needs_hints": "the propagation engine needs at least one color dot: paint dots on a hint layer and "
                   "choose it as Hint layer, or choose Engine: Network",
    "needs_hints_no_weights": "without the network's weights, colors come only from your hints: paint dots on "
                              "a hint layer and choose it as Hint layer (the worker's log, %(log)s, says how to add the weights)",
    "secret": "the hintcolor worker refused this plug-in's secret (the secret file changed since it started): "
              "end the worker process (pid %(pid)s) and run again",
    "request": "the hintcolor worker refused the request: %(error)s",
    "input": "%(error)s",
    "suggest_weights": "color suggestions need the network's weights, which are not installed for the worker "
                       "(README: Weights; its log, %(log)s, says where they go)",
    "no_points": "no sample point and no painted dot: add a sample point (Ctrl+click on a ruler and drag) "
                 "or paint dots on the hint layer, then run Suggest Hint Colors again",
    "session": "the hintcolor worker no longer keeps this photo (it restarted): the photo is sent again",
    "failed": "the hintcolor worker failed (%(error)s); details are in its log, %(log)s",
}
#: Notices (not errors) a reply may carry: one short line, for a status bar.
NOTICES = {
    "weights_missing": "network weights not installed: colors propagated from your hints (README: Weights)",
}


class WorkerError(Exception):
    """The worker could not be reached, refused the request, or failed: the message says what to do;
    ``code``: the error reply's code (:data:`MESSAGES`), None when there was no reply."""

    def __init__(self, message, code=None):
        Exception.__init__(self, message)
        self.code = code


class ProtocolError(ValueError):
    """Bytes that are not a message of this protocol."""


def state_dir():
    """Per-user folder of the worker's state: ``HINTCOLOR_STATE_DIR`` if set, else
    ``$XDG_CONFIG_HOME/hintcolor`` (``~/.config/hintcolor``) on Linux,
    ``~/Library/Application Support/hintcolor`` on macOS, ``%APPDATA%\\hintcolor`` on Windows."""
    if os.environ.get("HINTCOLOR_STATE_DIR"):
        return os.environ["HINTCOLOR_STATE_DIR"]
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        return os.path.join(os.environ.get("APPDATA", home), "hintcolor")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Application Support", "hintcolor")
    return os.path.join(os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config"), "hintcolor")


def private_folder(folder):
    """Create ``folder`` (mode 0700) if missing; WorkerError if other users may enter it.

    On Windows the per-user ``%APPDATA%`` folder's access list protects it; POSIX mode bits
    do not apply there, so nothing is checked.
    """
    if not os.path.isdir(folder):
        os.makedirs(folder, 0o700)
    if os.name != "posix":
        return folder
    info = os.stat(folder)
    if info.st_uid != os.getuid():
        raise WorkerError("the hintcolor state folder %s belongs to another user: use a folder of your own" % folder)
    if info.st_mode & 0o077:
        raise WorkerError("the hintcolor state folder %s can be opened by other users: run 'chmod 700 %s' "
                          "(it holds your worker's secret) and try again" % (folder, folder))
    return folder


def write_private(path, text):
    """Write ``text`` to ``path`` readable only by this user, atomically (temporary file + rename)."""
    temporary = "%s.%d.tmp" % (path, os.getpid())
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as f:
        f.write(text)
    os.chmod(temporary, 0o600)
    if hasattr(os, "replace"):
        os.replace(temporary, path)  # novermin (guarded: Python 3)
    else:  # Python 2.7
        if os.path.exists(path) and sys.platform == "win32":
            os.remove(path)
        os.rename(temporary, path)


def read_secret(folder):
    """The per-user secret, created (mode 0600) if missing; the folder is checked first."""
    path = os.path.join(private_folder(folder), SECRET_FILE)
    if not os.path.exists(path):
        write_private(path, binascii.hexlify(os.urandom(32)).decode("ascii"))
    if os.name == "posix" and os.stat(path).st_mode & 0o077:
        raise WorkerError("the hintcolor secret %s can be read by other users: run 'chmod 600 %s' and try again"
                          % (path, path))
    with open(path) as f:
        return f.read().strip()


def send_message(sock, header, payload=b""):
    """Send one message: length, JSON header (with ``size``), payload (bytes or a list of bytes)."""
    parts = payload if isinstance(payload, list) else [payload]
    header = dict(header, size=sum(len(p) for p in parts))
    encoded = json.dumps(header).encode("utf-8")
    sock.sendall(struct.pack(">I", len(encoded)) + encoded)
    for part in parts:
        sock.sendall(part)


def receive_header(sock):
    """Receive one message's header (a dict with an int ``size`` >= 0); ProtocolError if malformed."""
    (length,) = struct.unpack(">I", bytes(receive_exactly(sock, 4)))
    if length > MAX_HEADER:
        raise ProtocolError("a header of %d bytes (at most %d)" % (length, MAX_HEADER))
    return parse_header(receive_exactly(sock, length))


def parse_header(data):
    """A header's bytes to a dict; ProtocolError unless a JSON object with a valid ``size``."""
    try:
        header = json.loads(bytes(data).decode("utf-8"))
    except ValueError:  # includes UnicodeDecodeError
        raise ProtocolError("a header that is not UTF-8 JSON")
    if not isinstance(header, dict):
        raise ProtocolError("a header that is not a JSON object")
    size = header.get("size", 0)
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 0:  # Python 2: int or long
        raise ProtocolError("a header with size %r" % (size,))
    return header


def receive_message(sock, max_size=MAX_PIXELS * 16):
    """Receive one message: (header dict, payload bytes); ProtocolError if its payload exceeds ``max_size``."""
    header = receive_header(sock)
    size = header.get("size", 0)
    if size > max_size:
        raise ProtocolError("a payload of %d bytes (at most %d)" % (size, max_size))
    return header, bytes(receive_exactly(sock, size))


def receive_exactly(sock, count):
    """Exactly ``count`` bytes (a bytearray); EOFError if the connection closes first."""
    buffer = bytearray(count)
    view = memoryview(buffer)
    received = 0
    while received < count:
        got = sock.recv_into(view[received:], min(count - received, 1 << 20))
        if not got:
            raise EOFError("connection closed after %d of %d bytes" % (received, count))
        received += got
    return buffer


def painted_patches(data, width, height):
    """Where a ``width`` x ``height`` RGBA u8 layer (``data``: bytes, row-major) holds any non-zero byte,
    as (rectangles [[x, y, w, h], ...], their pixels: one bytes object of RGBA rows each); every
    pixel outside the rectangles is transparent black, so a request may send these instead of the
    whole layer (``hints["patches"]``). Paint is found exactly (a single pixel of alpha 1 counts):
    bands of ``PATCH_ROWS`` rows are compared with zeros, then the painted rows of a painted band are
    searched for runs of non-zero bytes, merged when less than ``PATCH_GAP`` pixels apart."""
    stride = width * 4
    zeros = bytes(bytearray(stride * PATCH_ROWS))
    row_zeros = zeros[:stride]
    boxes = []
    for top in range(0, height, PATCH_ROWS):
        bottom = min(top + PATCH_ROWS, height)
        if data.startswith(zeros[:(bottom - top) * stride], top * stride):  # compares in place, no copy
            continue
        rows, runs = [], []
        for y in range(top, bottom):
            if data.startswith(row_zeros, y * stride):
                continue
            rows.append(y)
            runs.extend((m.start() // 4 - y * width, (m.end() + 3) // 4 - y * width)
                        for m in _PAINT.finditer(data, y * stride, (y + 1) * stride))
        for x0, x1 in _merged(runs, PATCH_GAP):
            boxes.append([x0, rows[0], x1 - x0, rows[-1] + 1 - rows[0]])
    chunks = [b"".join(data[(y + i) * stride + x * 4:(y + i) * stride + (x + w) * 4] for i in range(h))
              for x, y, w, h in boxes]
    return boxes, chunks


def _merged(runs, gap):
    """[x0, x1) ranges sorted and joined where less than ``gap`` apart."""
    merged = []
    for x0, x1 in sorted(runs):
        if merged and x0 - merged[-1][1] < gap:
            merged[-1][1] = max(merged[-1][1], x1)
        else:
            merged.append([x0, x1])
    return merged


class _Fields(dict):
    """Fields of a message; one the reply lacks reads as "?"."""

    def __missing__(self, key):
        return "?"


class _NoWorker(Exception):
    """worker.json names a port where no hintcolor worker answers (the message says what answered)."""


class WorkerClient(object):
    """A connection to the worker for one plug-in call, starting the worker if none is running.

    ``python``: the interpreter of the hintcolor environment (recorded by install.py), used to
    start ``python -m hintcolor serve``; without it the worker must have been started by hand.
    ``folder``: the state folder (default :func:`state_dir`); ``version``: the hintcolor version
    this client belongs to, checked against the worker's (a worker of another version that this
    client may replace is asked to exit and a new one is started).
    """

    def __init__(self, python=None, folder=None, version=None, serve_args=()):
        self.python = python
        self.folder = folder or state_dir()
        self.version = version
        self.serve_args = list(serve_args)
        self._starting = None
        self._sock = None

    def cancel(self):
        """End the request in progress from another thread: the worker abandons it, and
        :meth:`request` raises WorkerError. Does nothing when no request runs."""
        sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except socket.error:
                pass

    def start_early(self):
        """Start the worker now if none answers, without waiting: it loads the model while the caller
        reads its pixels; the next :meth:`request` waits for it. Errors are left to that request."""
        if not self.python or self._starting is not None:
            return
        try:
            answer = self.hello()
            if answer is not None:
                answer[0].close()
                return
            self._starting = self._start()
        except WorkerError:
            pass

    @property
    def log_path(self):
        return os.path.join(self.folder, LOG_FILE)

    def request(self, header, payload=b"", progress=None, start=True):
        """Send one request (starting the worker if needed and ``start``); return (reply header, payload).

        ``progress(fraction, text)`` is called with the worker's progress (0..1) while it works.
        """
        sock = self._sock = self._connect(progress, start)
        try:
            sock.settimeout(REQUEST_TIMEOUT)
            send_message(sock, dict(header, token=read_secret(self.folder)), payload)
            reply, data = receive_message(sock)
            while "progress" in reply:
                if progress:
                    progress(float(reply["progress"]), reply.get("stage", ""))
                reply, data = receive_message(sock)
        except (socket.error, EOFError, ProtocolError) as e:
            self.note("the connection broke during a request: %s: %s" % (type(e).__name__, e))
            raise WorkerError("the hintcolor worker stopped during the request; details are in its log, %s"
                              % self.log_path)
        finally:
            self._sock = None
            sock.close()
        if not reply.get("ok"):
            raise WorkerError(self.explain(reply), reply.get("code"))
        if reply.get("notice"):
            reply["notice"] = self._phrase(NOTICES, reply["notice"], reply)
        return reply, data

    def explain(self, reply):
        """The one-line message for an error reply."""
        return self._phrase(MESSAGES, reply.get("code"), reply)

    def _phrase(self, table, code, reply):
        fields = _Fields(reply, log=self.log_path)
        fields.setdefault("error", "no reason given")
        return table.get(code, "%(error)s") % fields

    def _connect(self, progress, start):
        read_secret(self.folder)  # the folder's permissions are checked before anything else
        sock = self._find_worker()
        if sock is None:
            if not start:
                raise WorkerError("no hintcolor worker is running (state folder %s)" % self.folder)
            if progress:
                progress(0.0, "Starting the hintcolor worker")
            process, self._starting = self._starting or self._start(), None
            sock = self._wait_for_worker(process)
        return sock

    def _read_state(self):
        try:
            with open(os.path.join(self.folder, STATE_FILE)) as f:
                state = json.load(f)
            return state, int(state["port"])
        except (IOError, OSError, ValueError, KeyError, TypeError):
            return None

    def hello(self):
        """(open socket, hello reply) of a live worker, or None if none answers (absent or stale)."""
        found = self._read_state()
        if not found:
            return None
        try:
            return self._hello(found[1])
        except _NoWorker:
            return None

    def _hello(self, port):
        try:
            sock = socket.create_connection((HOST, port), timeout=HELLO_TIMEOUT)
        except socket.error:
            raise _NoWorker("nothing listens on port %d" % port)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # progress messages are small
        try:
            send_message(sock, {"op": "hello", "token": read_secret(self.folder), "protocol": PROTOCOL})
            return sock, receive_message(sock, max_size=0)[0]
        except socket.timeout:
            what = "a program that does not answer as a hintcolor worker"
        except (socket.error, EOFError, ProtocolError):
            what = "a program that does not speak the hintcolor protocol"
        except WorkerError:
            sock.close()
            raise
        sock.close()
        raise _NoWorker("port %d is used by %s" % (port, what))

    def _find_worker(self):
        """A hello'd connection to a live worker of this version, or None (then one may be started)."""
        found = self._read_state()
        if not found:
            return None
        state, port = found
        try:
            sock, reply = self._hello(port)
        except _NoWorker as e:
            if not self.python:
                raise WorkerError("no hintcolor worker answers (%s; %s is left from one that stopped): "
                                  "start it again with 'hintcolor serve --state-dir %s'" % (e, STATE_FILE, self.folder))
            self.note("%s named in %s: starting a new worker" % (e, STATE_FILE))
            return None
        if not reply.get("ok"):
            sock.close()
            raise WorkerError(self.explain(dict(reply, pid=state.get("pid"))))
        if self._compatible(reply):
            return sock
        self._replace(sock, reply, port)
        return None

    def _compatible(self, reply):
        return reply.get("protocol") == PROTOCOL and (not self.version or reply.get("version") == self.version)

    def _replace(self, sock, reply, port):
        """Ask a worker of another version to exit (the plug-in starts its own), or say what to do."""
        other = "the running hintcolor worker is version %s but this plug-in is %s" % (reply.get("version"), self.version)
        if not self.python:
            sock.close()
            raise WorkerError("%s: stop it ('hintcolor serve --stop --state-dir %s') and start this version's "
                              "('hintcolor serve --state-dir %s')" % (other, self.folder, self.folder))
        if not self._ask_to_exit(sock, port):
            raise WorkerError("%s, and it did not exit when asked: end the worker process (pid %s) and run again"
                              % (other, reply.get("pid")))
        self.note("%s: it was asked to exit, starting this version's" % other)

    def stop(self):
        """Ask the worker named in worker.json to exit, whatever its version, and wait until it has.
        False if none answers; WorkerError if it refuses or stays."""
        found = self._read_state()
        answer = self.hello()
        if answer is None:
            return False
        sock, reply = answer
        if not reply.get("ok"):
            sock.close()
            raise WorkerError(self.explain(dict(reply, pid=found[0].get("pid"))))
        if not self._ask_to_exit(sock, found[1]):
            raise WorkerError("the hintcolor worker did not exit when asked: end its process (pid %s)" % reply.get("pid"))
        return True

    def _ask_to_exit(self, sock, port):
        """Send ``shutdown`` on a hello'd connection, then wait up to 15 s for the port to close."""
        try:
            sock.settimeout(HELLO_TIMEOUT)
            send_message(sock, {"op": "shutdown", "token": read_secret(self.folder)})
            receive_message(sock, max_size=0)
        except (socket.error, EOFError, ProtocolError):
            pass  # it may close without answering; what counts is that its port closes
        finally:
            sock.close()
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
            except socket.error:
                return True
            time.sleep(0.1)
        return False

    def note(self, text):
        """Append a line to the worker's log (what the client found and did)."""
        try:
            with open(self.log_path, "a") as f:
                f.write("[%s] client: %s\n" % (time.strftime("%H:%M:%S"), text))
        except (IOError, OSError):
            pass

    def _start(self):
        """Start ``python -m hintcolor serve`` in the background; returns its Popen."""
        if not self.python:
            raise WorkerError("no hintcolor worker is running: start it with 'hintcolor serve --state-dir %s'"
                              % self.folder)
        if not os.path.exists(self.python):
            raise WorkerError("no hintcolor worker is running, and %s cannot be found from here to start one: "
                              "start 'hintcolor serve --state-dir %s' outside GIMP's sandbox, or re-run install.py"
                              % (self.python, self.folder))
        read_secret(self.folder)
        command = [self.python, "-m", "hintcolor", "serve", "--state-dir", self.folder] + self.serve_args
        log = open(self.log_path, "ab")
        options = {"stdin": open(os.devnull, "rb"), "stdout": log, "stderr": log}
        if sys.platform == "win32":
            options["creationflags"] = 0x08000000 | 0x00000200  # CREATE_NO_WINDOW | CREATE_NEW_PROCESS_GROUP
        else:
            options["preexec_fn"] = os.setsid
        try:
            return subprocess.Popen(command, close_fds=True, **options)
        except OSError as e:
            raise WorkerError("cannot start the hintcolor worker with %s (%s): re-run install.py" % (self.python, e))
        finally:
            log.close()

    def _wait_for_worker(self, process):
        deadline = time.time() + START_TIMEOUT
        while time.time() < deadline:
            exited = process.poll() is not None
            answer = self.hello()  # ours, or one that another plug-in call started meanwhile
            if answer is not None:
                sock, reply = answer
                if reply.get("ok") and self._compatible(reply):
                    return sock
                sock.close()
            if exited:
                raise WorkerError("the hintcolor worker stopped as it started (status %s); details are in its log, %s"
                                  % (process.returncode, self.log_path))
            time.sleep(0.1)
        raise WorkerError("the hintcolor worker did not start within %d s; details are in its log, %s"
                          % (START_TIMEOUT, self.log_path))
