"""The worker the GIMP plug-ins talk to: ``hintcolor serve``.

It listens on 127.0.0.1 only, answers only requests carrying the per-user secret (a file only
this user can read), keeps the model loaded between calls, and exits after ``idle_timeout``
seconds without a request. Its address is published in ``worker.json`` in the state folder;
the protocol is described in :mod:`hintcolor.client`.
"""
from __future__ import annotations

import hmac
import json
import os
import signal
import socket
import sys
import time
import traceback

from . import __version__
from .client import (HOST, PROTOCOL, STATE_FILE, WorkerClient, WorkerError, read_secret, receive_message, send_message,
                     state_dir, write_private)
from .errors import HintcolorError
from .images import unit_float
from .layers import decode_layer, encode_layer, layer_bytes, place_hint_layer

DEFAULT_IDLE_TIMEOUT = 600.0


class Worker:
    """One worker process: a listening socket, the secret, and the colorizers it has loaded."""

    def __init__(self, folder: str, weights: str | None = None, idle_timeout: float = DEFAULT_IDLE_TIMEOUT, port: int = 0):
        os.makedirs(folder, mode=0o700, exist_ok=True)
        self.folder = folder
        self.weights = weights
        self.idle_timeout = idle_timeout
        self.secret = read_secret(folder)
        self.colorizers: dict = {}
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind((HOST, port))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.running = True

    @property
    def state_path(self) -> str:
        return os.path.join(self.folder, STATE_FILE)

    def serve_forever(self) -> None:
        state = {"pid": os.getpid(), "port": self.port, "version": __version__, "protocol": PROTOCOL}
        write_private(self.state_path, json.dumps(state))
        log(f"hintcolor worker {__version__} listening on {HOST}:{self.port} (pid {os.getpid()})")
        self.listener.settimeout(self.idle_timeout)
        try:
            while self.running:
                try:
                    connection, _ = self.listener.accept()
                except socket.timeout:
                    log(f"idle for {self.idle_timeout:g} s: exiting")
                    break
                with connection:
                    self._serve_connection(connection)
        finally:
            self.close()

    def close(self) -> None:
        self.listener.close()
        try:
            with open(self.state_path) as f:
                if json.load(f).get("pid") == os.getpid():
                    os.remove(self.state_path)
        except (OSError, ValueError):
            pass

    def _serve_connection(self, connection: socket.socket) -> None:
        connection.settimeout(60)
        while self.running:
            try:
                header, payload = receive_message(connection)
            except (EOFError, OSError, ValueError):
                return
            if not hmac.compare_digest(str(header.get("token", "")), self.secret):
                send_message(connection, {"ok": False, "error": "the hintcolor worker refused a request without its user's secret"})
                return
            reply, data = self._handle(header, payload)
            send_message(connection, reply, data)

    def _handle(self, header: dict, payload: bytes) -> tuple[dict, bytes]:
        op = header.get("op")
        try:
            if op == "hello":
                return {"ok": True, "version": __version__, "protocol": PROTOCOL, "pid": os.getpid()}, b""
            if op == "shutdown":
                self.running = False
                return {"ok": True}, b""
            if op == "colorize":
                return self._colorize(header, payload)
            return {"ok": False, "error": f"unknown request {op!r}"}, b""
        except HintcolorError as e:
            return {"ok": False, "error": str(e)}, b""
        except Exception as e:  # keep serving; the log has the details
            traceback.print_exc()
            return {"ok": False, "error": f"the hintcolor worker failed ({type(e).__name__}: {e}); its log has details"}, b""

    def _colorize(self, header: dict, payload: bytes) -> tuple[dict, bytes]:
        photo, hint = header["photo"], header.get("hints")
        options = header.get("options", {})
        width, height, fmt = int(photo["width"]), int(photo["height"]), photo["format"]
        photo_size = layer_bytes(width, height, fmt)
        pixels = decode_layer(payload[:photo_size], width, height, fmt)
        hint_layer = None
        if hint:
            raw = decode_layer(payload[photo_size:], int(hint["width"]), int(hint["height"]), "u8")
            hint_layer = place_hint_layer(raw, (int(hint["x"]), int(hint["y"])), (width, height))
        log(f"colorize {width}×{height} {fmt}, hint layer: {'yes' if hint else 'none'}")
        start = time.perf_counter()
        colorizer = self._colorizer(str(options.get("device", "auto")), str(options.get("engine", "auto")))
        colorizer.work_size = int(options.get("work_size", 256))
        rgb = colorizer.colorize_array(unit_float(pixels[:, :, :3]), hint_image=hint_layer)
        log(f"done in {time.perf_counter() - start:.2f} s on {colorizer.device} ({colorizer.engine})")
        reply = {"ok": True, "width": width, "height": height, "format": fmt, "device": str(colorizer.device),
                 "engine": colorizer.engine, "notice": colorizer.notice}
        return reply, encode_layer(rgb, pixels[:, :, 3], fmt)

    def _colorizer(self, device: str, engine: str):
        from .pipeline import Colorizer, resolve_device

        key = (str(resolve_device(device)), engine)
        if key not in self.colorizers:
            log(f"preparing the {engine} engine on {key[0]}")
            self.colorizers[key] = Colorizer(self.weights, key[0], engine=engine)
        return self.colorizers[key]


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def serve(folder: str | None, weights: str | None, idle_timeout: float, port: int = 0) -> int:
    """Run a worker in the foreground until idle, stopped, or interrupted."""
    folder = folder or state_dir()
    answer = WorkerClient(folder=folder).hello()
    if answer is not None:
        answer[0].close()
        raise HintcolorError(f"a hintcolor worker is already running (pid {answer[1].get('pid')}); stop it with 'hintcolor serve --stop'")
    worker = Worker(folder, weights, idle_timeout, port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    worker.serve_forever()
    return 0


def stop(folder: str | None) -> int:
    """Ask the running worker to exit; prints what happened."""
    client = WorkerClient(folder=folder or state_dir())
    try:
        client.request({"op": "shutdown"}, start=False)
    except WorkerError as e:
        raise HintcolorError(str(e)) from None
    print("hintcolor worker stopped")
    return 0
