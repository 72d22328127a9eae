"""The worker and its client, without GIMP: protocol, secret, layers, idle exit, restart, crashes."""
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import skimage.data
from PIL import Image

from hintcolor import __version__
from hintcolor.client import PROTOCOL, WorkerClient, WorkerError, receive_message, send_message
from hintcolor.layers import place_hint_layer
from hintcolor.server import Worker



@pytest.fixture
def worker(tmp_path, weights_file):
    """A worker serving in a thread (state folder tmp_path/state)."""
    worker = Worker(str(tmp_path / "state"), str(weights_file), idle_timeout=60)
    thread = threading.Thread(target=worker.serve_forever, daemon=True)
    thread.start()
    while not os.path.exists(worker.state_path):
        time.sleep(0.01)
    yield worker
    try:
        WorkerClient(folder=worker.folder).request({"op": "shutdown"}, start=False)
    except WorkerError:  # already stopped by the test
        pass
    thread.join(10)


def _photo_rgba(width=192, height=128):
    gray = np.asarray(Image.fromarray(skimage.data.camera()).resize((width, height)))
    alpha = np.linspace(0, 255, width, dtype=np.uint8)[None].repeat(height, 0)
    return np.dstack([gray, gray, gray, alpha])


def _colorize(client, photo, hints=None, offset=(0, 0), fmt="u8"):
    height, width = photo.shape[:2]
    header = {"op": "colorize", "photo": {"width": width, "height": height, "format": fmt}, "hints": None,
              "options": {"device": "cpu", "work_size": 64}}
    payload = [photo.tobytes()]
    if hints is not None:
        header["hints"] = {"width": hints.shape[1], "height": hints.shape[0], "x": offset[0], "y": offset[1]}
        payload.append(hints.tobytes())
    reply, data = client.request(header, payload)
    dtype = np.uint8 if fmt == "u8" else np.float32
    return reply, np.frombuffer(data, dtype).reshape(height, width, 4)


def test_handshake_and_private_files(worker):
    client = WorkerClient(folder=worker.folder, version=__version__)
    sock, reply = client.hello()
    sock.close()
    assert reply["ok"] and reply["version"] == __version__ and reply["protocol"] == PROTOCOL
    for name in ("secret", "worker.json"):
        mode = stat.S_IMODE(os.stat(os.path.join(worker.folder, name)).st_mode)
        assert mode == 0o600, name
    with open(worker.state_path) as f:
        assert json.load(f)["port"] == worker.port


def test_requests_without_the_secret_are_refused(worker):
    with socket.create_connection(("127.0.0.1", worker.port)) as sock:
        send_message(sock, {"op": "hello", "token": "guess"})
        reply, _ = receive_message(sock)
    assert not reply["ok"] and "secret" in reply["error"]
    with socket.create_connection(("127.0.0.1", worker.port)) as sock:
        send_message(sock, {"op": "shutdown"})
        assert not receive_message(sock)[0]["ok"]
    assert WorkerClient(folder=worker.folder).hello()[1]["ok"]  # still running


def test_listens_on_loopback_only(worker):
    assert worker.listener.getsockname()[0] == "127.0.0.1"


def test_version_mismatch_is_a_clear_error(worker):
    with pytest.raises(WorkerError, match=r"version .* but this plug-in is 0\.0\.1"):
        WorkerClient(folder=worker.folder, version="0.0.1").request({"op": "hello"})


def test_colorize_layers_with_an_offset_hint_layer(worker):
    client = WorkerClient(folder=worker.folder)
    photo = _photo_rgba()
    _, plain = _colorize(client, photo)
    assert np.array_equal(plain[..., 3], photo[..., 3])  # alpha kept
    hints = np.zeros((40, 40, 4), np.uint8)
    hints[10:16, 10:16] = (220, 30, 30, 255)  # a dot at photo (110..115, 60..65)
    _, hinted = _colorize(client, photo, hints, offset=(100, 50))
    change = np.abs(hinted[..., :3].astype(int) - plain[..., :3]).sum(2)
    assert change[60:66, 110:116].mean() > 1
    assert change[60:66, 110:116].mean() > 3 * change[:, :40].mean()


def test_float_layers_round_trip(worker):
    client = WorkerClient(folder=worker.folder)
    photo = (_photo_rgba() / 255.0).astype(np.float32)
    reply, result = _colorize(client, photo, fmt="float")
    assert reply["format"] == "float" and result.dtype == np.float32
    assert np.allclose(result[..., 3], photo[..., 3])


def test_bad_requests_get_one_line_errors_and_the_worker_goes_on(worker):
    client = WorkerClient(folder=worker.folder)
    header = {"op": "colorize", "photo": {"width": 10, "height": 10, "format": "u8"}, "hints": None}
    with pytest.raises(WorkerError, match="declares 5 bytes of pixels but its layers need 400"):
        client.request(header, b"short")
    with pytest.raises(WorkerError, match="unknown request"):
        client.request({"op": "dance"})
    assert client.hello()[1]["ok"]


def test_client_module_stays_python27_compatible():
    """GIMP 2.10 plug-ins run Python 2.7 and will share hintcolor/client.py."""
    import hintcolor.client

    result = subprocess.run([os.path.join(os.path.dirname(sys.executable), "vermin"), "--target=2.7-", "--target=3.6-", "--violations",
                             "--no-tips", hintcolor.client.__file__], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_place_hint_layer_crops_and_pads():
    hints = np.arange(4 * 4 * 4, dtype=np.uint8).reshape(4, 4, 4)
    placed = place_hint_layer(hints, (-2, 3), (5, 5))
    assert placed.shape == (5, 5, 4)
    assert np.array_equal(placed[3:5, 0:2], hints[0:2, 2:4])
    assert placed[:3].sum() == 0 and placed[:, 2:].sum() == 0


def test_idle_worker_exits_and_removes_its_state(tmp_path, weights_file):
    worker = Worker(str(tmp_path / "state"), str(weights_file), idle_timeout=0.3)
    start = time.time()
    worker.serve_forever()
    assert time.time() - start < 5
    assert not os.path.exists(worker.state_path)


def _spawning_client(tmp_path, weights_file):
    return WorkerClient(python=sys.executable, folder=str(tmp_path / "state"), version=__version__,
                        serve_args=["--weights", str(weights_file), "--idle-timeout", "60"])


def test_client_starts_a_worker_and_restarts_a_crashed_one(tmp_path, weights_file):
    client = _spawning_client(tmp_path, weights_file)
    steps = []
    client.request({"op": "hello"}, progress=lambda f, text: steps.append(text))
    assert "Starting the hintcolor worker" in steps
    first = client.hello()[1]["pid"]
    os.kill(first, signal.SIGKILL)  # crash: worker.json stays behind, stale
    time.sleep(0.2)
    client.request({"op": "hello"})
    second = client.hello()[1]["pid"]
    assert second != first
    client.request({"op": "shutdown"}, start=False)
    assert "listening on 127.0.0.1" in open(client.log_path).read()


def test_worker_killed_mid_request_is_reported_with_its_log(tmp_path, weights_file):
    client = _spawning_client(tmp_path, weights_file)
    client.request({"op": "hello"})
    pid = client.hello()[1]["pid"]
    photo = np.zeros((3000, 4000, 4), np.uint8)
    killer = threading.Timer(0.3, os.kill, (pid, signal.SIGKILL))
    killer.start()
    with pytest.raises(WorkerError, match=r"stopped during the request.*worker\.log"):
        _colorize(client, photo)


def test_serve_command_refuses_a_second_worker_and_stops_the_first(worker, tmp_path):
    env = dict(os.environ)
    result = subprocess.run([sys.executable, "-m", "hintcolor", "serve", "--state-dir", worker.folder],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2 and "already running" in result.stderr
    stop = subprocess.run([sys.executable, "-m", "hintcolor", "serve", "--stop", "--state-dir", worker.folder],
                          capture_output=True, text=True, timeout=60)
    assert stop.returncode == 0 and "stopped" in stop.stdout
    time.sleep(0.5)
    assert WorkerClient(folder=worker.folder).hello() is None
