"""Talking to the hintcolor worker: protocol, state files, starting the worker on demand.

Standard library only and Python 2.7-compatible: the GIMP plug-ins (GIMP 3's Python 3 and GIMP
2.10's Python 2.7) load this file, copied beside them by install.py as ``hintcolor_client.py``.
The worker (``hintcolor serve``, :mod:`hintcolor.server`) uses the same functions.

Protocol (version ``PROTOCOL``): over a TCP connection to 127.0.0.1, each message is a 4-byte
big-endian length, a UTF-8 JSON header of that length, then ``header["size"]`` bytes of payload.
Every request carries the per-user secret (``token``), read from the file ``secret`` in the state
folder, which only the user can read. Requests: ``hello`` (version handshake), ``colorize``,
``shutdown``. Replies: ``{"ok": true, ...}`` or ``{"ok": false, "error": "one line"}``.
"""
from __future__ import absolute_import, division, print_function

import binascii
import json
import os
import socket
import struct
import subprocess
import sys
import time

PROTOCOL = 1
HOST = "127.0.0.1"
STATE_FILE = "worker.json"
SECRET_FILE = "secret"
LOG_FILE = "worker.log"
START_TIMEOUT = 120.0
REQUEST_TIMEOUT = 900.0
_MAX_HEADER = 1 << 20


class WorkerError(Exception):
    """The worker could not be reached, refused the request, or failed: the message says what to do."""


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
    """The per-user secret, created (mode 0600) if missing."""
    path = os.path.join(folder, SECRET_FILE)
    if not os.path.exists(path):
        if not os.path.isdir(folder):
            os.makedirs(folder, 0o700)
        write_private(path, binascii.hexlify(os.urandom(32)).decode("ascii"))
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


def receive_message(sock):
    """Receive one message: (header dict, payload bytes)."""
    (length,) = struct.unpack(">I", _receive_exactly(sock, 4))
    if length > _MAX_HEADER:
        raise ValueError("message header too large")
    header = json.loads(_receive_exactly(sock, length).decode("utf-8"))
    return header, _receive_exactly(sock, int(header.get("size", 0)))


def _receive_exactly(sock, count):
    chunks, remaining = [], count
    while remaining:
        chunk = sock.recv(min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (count - remaining, count))
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


class WorkerClient(object):
    """A connection to the worker for one plug-in call, starting the worker if none is running.

    ``python``: the interpreter of the hintcolor environment (recorded by install.py), used to
    start ``python -m hintcolor serve``; ``folder``: the state folder (default :func:`state_dir`);
    ``version``: the hintcolor version this client belongs to, checked against the worker's.
    """

    def __init__(self, python=None, folder=None, version=None, serve_args=()):
        self.python = python
        self.folder = folder or state_dir()
        self.version = version
        self.serve_args = list(serve_args)

    @property
    def log_path(self):
        return os.path.join(self.folder, LOG_FILE)

    def request(self, header, payload=b"", progress=None, start=True):
        """Send one request (starting the worker if needed and ``start``); return (reply header, payload)."""
        sock = self._connect(progress, start)
        try:
            sock.settimeout(REQUEST_TIMEOUT)
            send_message(sock, dict(header, token=read_secret(self.folder)), payload)
            if progress:
                progress(0.5, "Colorizing")
            reply, data = receive_message(sock)
        except (socket.error, EOFError, ValueError) as e:
            raise WorkerError("the hintcolor worker stopped during the request (%s); its log is %s" % (e, self.log_path))
        finally:
            sock.close()
        if not reply.get("ok"):
            raise WorkerError(reply.get("error", "the hintcolor worker refused the request"))
        return reply, data

    def _connect(self, progress, start):
        sock = self._try_existing()
        if sock is None:
            if not start:
                raise WorkerError("no hintcolor worker is running (state folder %s)" % self.folder)
            if progress:
                progress(0.05, "Starting the hintcolor worker")
            self._start()
            sock = self._wait_for_worker()
        return sock

    def _read_state(self):
        try:
            with open(os.path.join(self.folder, STATE_FILE)) as f:
                return json.load(f)
        except (IOError, OSError, ValueError):
            return None

    def hello(self):
        """(open socket, hello reply) of a live worker, or None if none answers (absent or stale)."""
        state = self._read_state()
        if not state:
            return None
        try:
            sock = socket.create_connection((HOST, int(state["port"])), timeout=10)
        except (socket.error, KeyError, ValueError, TypeError):
            return None
        try:
            send_message(sock, {"op": "hello", "token": read_secret(self.folder), "protocol": PROTOCOL})
            return sock, receive_message(sock)[0]
        except (socket.error, EOFError, ValueError):
            sock.close()
            return None

    def _try_existing(self):
        """A connection to a live worker whose version matches, or None; WorkerError on a mismatch."""
        answer = self.hello()
        if answer is None:
            return None
        sock, reply = answer
        try:
            if not reply.get("ok"):
                raise WorkerError(reply.get("error", "the hintcolor worker refused the connection"))
            self._check_version(reply)
        except WorkerError:
            sock.close()
            raise
        return sock

    def _check_version(self, reply):
        if reply.get("protocol") != PROTOCOL or (self.version and reply.get("version") != self.version):
            raise WorkerError(
                "the running hintcolor worker is version %s (protocol %s) but this plug-in is %s (protocol %d): "
                "stop it ('hintcolor serve --stop') or wait for it to exit, and re-run install.py if you upgraded"
                % (reply.get("version"), reply.get("protocol"), self.version, PROTOCOL)
            )

    def _start(self):
        if not self.python:
            raise WorkerError("no hintcolor worker is running and no Python to start one is configured: "
                              "run install.py, or start 'hintcolor serve' yourself")
        if not os.path.isdir(self.folder):
            os.makedirs(self.folder, 0o700)
        read_secret(self.folder)
        command = [self.python, "-m", "hintcolor", "serve", "--state-dir", self.folder] + self.serve_args
        log = open(self.log_path, "ab")
        options = {"stdin": open(os.devnull, "rb"), "stdout": log, "stderr": log}
        if sys.platform == "win32":
            options["creationflags"] = 0x08000000 | 0x00000200  # CREATE_NO_WINDOW | CREATE_NEW_PROCESS_GROUP
        else:
            options["preexec_fn"] = os.setsid
        try:
            subprocess.Popen(command, close_fds=True, **options)
        except OSError as e:
            raise WorkerError("cannot start the hintcolor worker with %s (%s): re-run install.py" % (self.python, e))
        finally:
            log.close()

    def _wait_for_worker(self):
        deadline = time.time() + START_TIMEOUT
        while time.time() < deadline:
            sock = self._try_existing()
            if sock is not None:
                return sock
            time.sleep(0.2)
        raise WorkerError("the hintcolor worker did not start within %d s; its log is %s"
                          % (START_TIMEOUT, self.log_path))

