"""Talking to the hintcolor worker: transport, state files, starting the worker on demand.

Standard library only and Python 2.7-compatible: the GIMP plug-ins (GIMP 3's Python 3 and GIMP
2.10's Python 2.7) load this file, copied beside them by install.py as ``hintcolor_client.py``
(with the protocol, :mod:`hintcolor.worker.protocol`, as ``hintcolor_protocol.py``). The worker
(``hintcolor serve``, :mod:`hintcolor.worker.server`) uses the same transport. What is sent is
described and built in the protocol module; this one frames it over a socket, finds or starts
the worker, and says what went wrong with it. A caller shows refusals in its own words: it gives
:class:`WorkerClient` its sentence for each error code (the plug-ins: GIMP's, in
gimp_plugin/shared/hintcolor_requests.py); without one, a refusal says what the worker said.
"""
from __future__ import absolute_import, division, print_function

import binascii
import json
import os
import select
import socket
import subprocess
import sys
import time

try:
    from . import protocol
except (ImportError, ValueError):  # beside the plug-ins, without the package (Python 3: ImportError; 2.7: ValueError)
    import hintcolor_protocol as protocol

HOST = "127.0.0.1"
STATE_FILE = "worker.json"
SECRET_FILE = "secret"
LOG_FILE = "worker.log"
START_TIMEOUT = 120.0
HELLO_TIMEOUT = 5.0
REQUEST_TIMEOUT = 900.0
#: Bytes a request's payload is sent in; between two, the client looks for an early reply (a refusal).
SEND_CHUNK = 1 << 20


class WorkerError(Exception):
    """The worker could not be reached, refused the request, or failed: the message says what to do;
    ``code``: the error reply's code (hintcolor.worker.protocol.ERRORS), None when there was no reply."""

    def __init__(self, message, code=None):
        Exception.__init__(self, message)
        self.code = code


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
    sock.sendall(protocol.encode_header(dict(header, size=sum(len(p) for p in parts))))
    for part in parts:
        sock.sendall(part)


def send_request(sock, header, payload=b""):
    """Send a request as :func:`send_message` does, its payload in slices of SEND_CHUNK bytes, looking
    for an early reply between two: the worker answers before the payload only to refuse the
    request, and the rest is then not sent. Returns whether all was sent (False: a reply waits)."""
    parts = payload if isinstance(payload, list) else [payload]
    try:
        sock.sendall(protocol.encode_header(dict(header, size=sum(len(p) for p in parts))))
        for part in parts:
            view = memoryview(part)
            for start in range(0, len(view), SEND_CHUNK):
                if _readable(sock):
                    return False
                sock.sendall(view[start:start + SEND_CHUNK])
    except socket.error:  # the worker refused and closed: its refusal may have arrived before
        if not _readable(sock):
            raise
        return False
    return True


def _readable(sock):
    """Whether the socket has something to read now (bytes, or its end)."""
    return bool(select.select([sock], [], [], 0)[0])


def receive_header(sock):
    """Receive one message's header (a dict with an int ``size`` >= 0); ProtocolError if malformed."""
    length = protocol.header_length(receive_exactly(sock, 4))
    return protocol.parse_header(receive_exactly(sock, length))


def receive_message(sock, max_size=protocol.MAX_PAYLOAD):
    """Receive one message: (header dict, payload bytes); ProtocolError if its payload exceeds ``max_size``."""
    header = receive_header(sock)
    size = header.get("size", 0)
    if size > max_size:
        raise protocol.ProtocolError("a payload of %d bytes (at most %d)" % (size, max_size))
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
    client may replace is asked to exit and a new one is started). ``messages`` and ``notices``:
    the caller's words for the worker's error codes and notices (protocol.ERRORS, protocol.NOTICES;
    ``%(...)s`` fields come from the reply, plus ``log``, the worker's log file, and for a refused
    secret ``pid``); an error without one says what the worker said, a notice what the protocol says.
    """

    def __init__(self, python=None, folder=None, version=None, serve_args=(), messages=None, notices=None):
        self.python = python
        self.folder = folder or state_dir()
        self.version = version
        self.serve_args = list(serve_args)
        self.messages = messages or {}
        self.notices = notices or protocol.NOTICES
        self._starting = None
        self._sock = None
        self._stopped = None  # why the worker worker.json names is gone, once found so

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
            send_request(sock, dict(header, token=read_secret(self.folder)), payload)
            reply, data = receive_message(sock)
            while "progress" in reply:
                if progress:
                    progress(float(reply["progress"]), reply.get("stage", ""))
                reply, data = receive_message(sock)
        except (socket.error, EOFError, protocol.ProtocolError) as e:
            self.note("the connection broke during a request: %s: %s" % (type(e).__name__, e))
            raise WorkerError("the hintcolor worker stopped during the request; details are in its log, %s"
                              % self.log_path)
        finally:
            self._sock = None
            sock.close()
        if not reply.get("ok"):
            raise WorkerError(self.explain(reply), reply.get("code"))
        if reply.get("notice"):
            reply["notice"] = self._phrase(self.notices, reply["notice"], reply)
        return reply, data

    def explain(self, reply):
        """The one-line message for an error reply."""
        return self._phrase(self.messages, reply.get("code"), reply)

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
            process, self._starting = self._starting or self._start(), None
            if progress:
                progress(0.0, "The hintcolor worker stopped: starting a new one" if self._stopped
                         else "Starting the hintcolor worker")
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
            send_message(sock, dict(protocol.hello_header(), token=read_secret(self.folder)))
            return sock, receive_message(sock, max_size=0)[0]
        except socket.timeout:
            what = "a program that does not answer as a hintcolor worker"
        except (socket.error, EOFError, protocol.ProtocolError):
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
            self._stopped = "%s; %s is left from it" % (e, STATE_FILE)
            if not self.python:
                raise WorkerError("the hintcolor worker stopped (%s): start it again with 'hintcolor serve "
                                  "--state-dir %s', then run again" % (self._stopped, self.folder))
            self.note("the worker stopped (%s): starting a new one" % self._stopped)
            return None
        if not reply.get("ok"):
            sock.close()
            raise WorkerError(self.explain(dict(reply, pid=state.get("pid"))))
        if self._compatible(reply):
            return sock
        self._replace(sock, reply, port)
        return None

    def _compatible(self, reply):
        return reply.get("protocol") == protocol.VERSION and (not self.version or reply.get("version") == self.version)

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
            send_message(sock, dict(protocol.shutdown_header(), token=read_secret(self.folder)))
            receive_message(sock, max_size=0)
        except (socket.error, EOFError, protocol.ProtocolError):
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
        if not os.path.exists(self.python) and self._stopped:
            raise WorkerError("the hintcolor worker stopped, and a new one cannot be started from here (%s cannot be "
                              "found): start 'hintcolor serve --state-dir %s' again outside GIMP's sandbox, then run "
                              "again" % (self.python, self.folder))
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
