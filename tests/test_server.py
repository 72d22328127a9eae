"""The worker and its client, without GIMP: protocol, secret, layers, idle exit, restart, crashes."""
import json
import re
import os
import shutil
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
from skimage import color as skcolor
from PIL import Image

from hintcolor import __version__
from hintcolor.worker.client import WorkerClient, WorkerError, receive_message, send_message
from hintcolor.worker.pixels import place_hint_layer
from hintcolor.worker.protocol import VERSION
from hintcolor.worker.server import Worker

from conftest import ROOT
from gimp.harness import PY27
from plugin_modules import shared_module
from waiting import wait_for

#: The plug-ins' side: the worker's error codes and notices in GIMP's words.
REQUESTS = shared_module("hintcolor_requests")


def _gimp_client(**kwargs):
    """A client that phrases the worker's refusals and notices as the plug-ins do."""
    return WorkerClient(messages=REQUESTS.MESSAGES, notices=REQUESTS.NOTICES, **kwargs)


def _serve_in_thread(worker):
    """Run ``worker`` in a thread; returns the thread once worker.json is published."""
    thread = threading.Thread(target=worker.serve_forever, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not os.path.exists(worker.state_path):
        assert time.monotonic() < deadline and thread.is_alive(), "the worker did not start"
        time.sleep(0.01)
    return thread


@pytest.fixture
def worker(tmp_path, weights_file):
    """A worker serving in a thread (state folder tmp_path/state)."""
    worker = Worker(str(tmp_path / "state"), str(weights_file), idle_timeout=60)
    thread = _serve_in_thread(worker)
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


def _colorize(client, photo, hints=None, offset=(0, 0), fmt="u8", progress=None, options=None):
    """Send an H×W×channels layer (RGBA unless said: its channels are sent as the header's ``channels``)."""
    height, width = photo.shape[:2]
    channels = photo.shape[2]
    header = {"op": "colorize", "photo": {"width": width, "height": height, "format": fmt}, "hints": None,
              "options": dict({"device": "cpu", "work_size": 64}, **(options or {}))}
    if channels != 4:
        header["photo"]["channels"] = channels
    payload = [photo.tobytes()]
    if hints is not None:
        header["hints"] = {"width": hints.shape[1], "height": hints.shape[0], "x": offset[0], "y": offset[1]}
        payload.append(hints.tobytes())
    reply, data = client.request(header, payload, progress=progress)
    dtype = np.uint8 if fmt == "u8" else np.float32
    return reply, np.frombuffer(data, dtype).reshape(height, width, reply["channels"])


@pytest.mark.parametrize("precision", ["auto", "fp32"])
@pytest.mark.parametrize("fmt", ["u8", "float"])
def test_lean_formats_give_the_pixels_of_rgba(worker, fmt, precision):
    """A layer sent with only its own channels (Y', Y'A, R'G'B') gets exactly the RGB the RGBA layer
    gets; the result has alpha (the photo's) only when the photo has."""
    client = WorkerClient(folder=worker.folder)
    gray = _photo_rgba()
    color = np.asarray(Image.fromarray(skimage.data.astronaut()).resize((192, 128)))
    color = np.dstack([color, gray[..., 3]])
    hints = np.zeros((128, 192, 4), np.uint8)
    hints[60:64, 100:104] = (40, 200, 60, 255)
    options = {"precision": precision, "work_size": 96}
    for photo, lean in ((gray, [gray[..., :1], gray[..., [0, 3]], gray[..., :3]]), (color, [color[..., :3]])):
        photo = photo if fmt == "u8" else (photo / 255.0).astype(np.float32)
        _, full = _colorize(client, photo, hints, fmt=fmt, options=options)
        assert np.array_equal(full[..., 3], photo[..., 3])
        for layer in lean:
            layer = np.ascontiguousarray(layer if fmt == "u8" else (layer / 255.0).astype(np.float32))
            reply, result = _colorize(client, layer, hints, fmt=fmt, options=options)
            has_alpha = layer.shape[2] in (2, 4)
            assert reply["channels"] == result.shape[2] == (4 if has_alpha else 3)
            assert np.array_equal(result[..., :3], full[..., :3]), (fmt, layer.shape)
            if has_alpha:
                assert np.array_equal(result[..., 3], photo[..., 3])


def test_handshake_and_private_files(worker):
    client = WorkerClient(folder=worker.folder, version=__version__)
    sock, reply = client.hello()
    sock.close()
    assert reply["ok"] and reply["version"] == __version__ and reply["protocol"] == VERSION
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


def test_client_and_protocol_modules_stay_python27_compatible(tmp_path):
    """GIMP 2.10 plug-ins run Python 2.7 and share hintcolor/worker/client.py and protocol.py:
    vermin finds no newer construct, and, under the names install.py gives them, they import with
    the standard library alone."""
    import hintcolor.worker.client
    import hintcolor.worker.protocol

    files = [hintcolor.worker.client.__file__, hintcolor.worker.protocol.__file__]
    result = subprocess.run([os.path.join(os.path.dirname(sys.executable), "vermin"), "--target=2.7-", "--target=3.6-", "--violations",
                             "--no-tips", *files], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    for path in files:
        with open(path, "rb") as f:
            f.read().decode("ascii")  # Python 2 refuses other characters without a coding line
        shutil.copyfile(path, tmp_path / f"hintcolor_{os.path.basename(path)}")
    imported = subprocess.run([sys.executable, "-S", "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                               "import hintcolor_client; print(hintcolor_client.protocol.__name__)", str(tmp_path)],
                              capture_output=True, text=True)  # -S: without site-packages (numpy, the package)
    assert imported.stdout.split() == ["hintcolor_protocol"], imported.stderr


def test_the_client_works_under_python27(weights_file):
    """The client, the protocol and the plug-ins' messages under GIMP 2.10's Python 2.7: the real
    python2.7 of the Debian bullseye chroot (tests/gimp/build_gimp_env.sh bullseye; .ci/run builds
    it), talking to a worker on this machine over 127.0.0.1 (a chroot shares the network), its state
    folder inside the chroot; the modules under the names install.py gives them."""
    import hintcolor.worker.client
    import hintcolor.worker.protocol

    work = "/tmp/hintcolor-py27-client-%d" % os.getpid()
    host = PY27.prepare(work)
    for module in (hintcolor.worker.client, hintcolor.worker.protocol):
        shutil.copyfile(module.__file__, host / f"hintcolor_{os.path.basename(module.__file__)}")
    for path in (ROOT / "gimp_plugin" / "shared").glob("*.py"):
        shutil.copyfile(path, host / path.name)
    worker = Worker(str(host / "state"), str(weights_file), idle_timeout=60)
    thread = _serve_in_thread(worker)
    script = """
import sys
sys.path.insert(0, sys.argv[2])
import hintcolor_client as client, hintcolor_protocol as protocol, hintcolor_requests as requests
c = client.WorkerClient(folder=sys.argv[1], messages=requests.MESSAGES, notices=requests.NOTICES)
stages = []
options = protocol.worker_options("propagate", "auto", 256, "auto", True)
hints, patches = protocol.hint_layer_request((0, 0), (0, 0), (8, 8), b"\\xc8\\x28\\x28\\xff" * 64)
reply, data = c.request(protocol.colorize_header((8, 8), "u8", 1, hints, options), [b"\\x80" * 64] + patches,
                        progress=lambda f, t: stages.append(t))
print("%s %d %s %s" % (reply["ok"], len(data), stages[-1], sys.version_info[:2]))
for header, payload in ((protocol.colorize_header((8, 8), "u8", 1, None, options), b"\\x80" * 64),
                        (protocol.colorize_header((4000, 3000), "u8", 4, dict(hints, patches=[[7, 7, 2, 1]]), options),
                         [b"\\x80" * 48000000, b"\\x00" * 8])):
    try:
        c.request(header, payload)
    except client.WorkerError as e:
        print("error: %s" % e)
"""
    try:
        result = subprocess.run(PY27.python(work, "-c", script, f"{work}/state", work), capture_output=True, text=True,
                                timeout=120)
    finally:
        WorkerClient(folder=worker.folder).request({"op": "shutdown"}, start=False)
        thread.join(10)
        shutil.rmtree(host, ignore_errors=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["True 192 Sending the result (2, 7)",
                                          "error: the propagation engine needs at least one color dot: paint dots on "
                                          "a hint layer and choose it as Hint layer, or choose Engine: Network",
                                          "error: the hintcolor worker refused the request: the patch [7, 7, 2, 1] is "
                                          "not inside the hint layer"]


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
    wait_for(lambda: client.hello() is None, 10, "the killed worker's port to close")
    client.request({"op": "hello"})
    second = client.hello()[1]["pid"]
    assert second != first
    client.request({"op": "shutdown"}, start=False)
    assert "listening on 127.0.0.1" in open(client.log_path).read()


def _plugin_colorize(client):
    """What Colorize with Hints asks, as the plug-ins build it (engine Propagate hints: a dot on a
    small gray photo); returns (reply, the progress texts shown)."""
    protocol = shared_module("hintcolor_protocol")
    hints, patches = protocol.hint_layer_request((0, 0), (0, 0), (16, 16), bytes(4 * 16 * 5) + b"\xc8\x28\x28\xff" * 16 * 11)
    header = protocol.colorize_header((16, 16), protocol.U8, 1, hints,
                                      protocol.worker_options("propagate", "cpu", 256, "auto", True))
    client.start_early()  # as the plug-ins do: the worker starts while GIMP reads the pixels
    shown = []
    reply, _ = client.request(header, [bytes(range(0, 256, 1))] + patches, progress=lambda f, text: shown.append(text))
    return reply, shown


def test_a_worker_killed_between_two_runs_is_replaced_by_the_next_run(tmp_path, weights_file):
    """kill -9 of the worker between two runs: the next run starts a new worker and says so while it
    starts, and gets its result."""
    client = _gimp_client(python=sys.executable, folder=str(tmp_path / "state"), version=__version__,
                          serve_args=["--weights", str(weights_file), "--idle-timeout", "60"])
    reply, shown = _plugin_colorize(client)
    assert reply["ok"] and shown[0] == "Starting the hintcolor worker"
    first = client.hello()[1]["pid"]
    os.kill(first, signal.SIGKILL)  # worker.json stays behind, naming a port nothing listens on
    wait_for(lambda: client.hello() is None, 10, "the killed worker's port to close")
    again = _gimp_client(python=sys.executable, folder=str(tmp_path / "state"), version=__version__,
                         serve_args=["--weights", str(weights_file), "--idle-timeout", "60"])
    reply, shown = _plugin_colorize(again)
    assert reply["ok"] and shown[0] == "The hintcolor worker stopped: starting a new one"
    assert client.hello()[1]["pid"] != first
    assert "client: the worker stopped (nothing listens on port" in open(client.log_path).read()
    client.request({"op": "shutdown"}, start=False)


def test_a_worker_killed_between_two_runs_that_cannot_be_restarted_from_here_says_so(tmp_path, weights_file):
    """A GIMP in a sandbox (the plug-in cannot see the environment's Python) uses a worker started
    outside it ('hintcolor serve --state-dir'); killed between two runs, the next run says in one line
    that the worker stopped and how to go on, and runs once it is started again."""
    folder = tmp_path / "state"

    def serve():
        return subprocess.Popen([sys.executable, "-m", "hintcolor", "serve", "--state-dir", str(folder),
                                 "--weights", str(weights_file), "--idle-timeout", "60"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def sandboxed():
        return _gimp_client(python=str(tmp_path / "outside" / ".venv" / "bin" / "python"), folder=str(folder),
                            version=__version__)

    def answers():
        answer = sandboxed().hello()
        if answer is not None:
            answer[0].close()
        return answer is not None

    worker = serve()
    try:
        wait_for(answers, 120, "the worker to start")
        assert _plugin_colorize(sandboxed())[0]["ok"]
        worker.kill()
        worker.wait(10)
        with pytest.raises(WorkerError) as error:
            _plugin_colorize(sandboxed())
        assert str(error.value) == (
            f"the hintcolor worker stopped, and a new one cannot be started from here ({tmp_path}/outside/.venv/bin/python "
            f"cannot be found): start 'hintcolor serve --state-dir {folder}' again outside GIMP's sandbox, then run again")
        worker = serve()  # as the message says
        wait_for(answers, 120, "the worker to start again")
        assert _plugin_colorize(sandboxed())[0]["ok"]
    finally:
        worker.terminate()
        worker.wait(30)


def test_worker_killed_mid_request_is_reported_with_its_log(tmp_path, weights_file):
    client = _spawning_client(tmp_path, weights_file)
    client.request({"op": "hello"})
    pid = client.hello()[1]["pid"]
    photo = np.zeros((3000, 4000, 4), np.uint8)
    with pytest.raises(WorkerError, match=r"stopped during the request.*worker\.log"):
        _colorize(client, photo, progress=lambda fraction, stage: os.kill(pid, signal.SIGKILL))


def test_serve_command_refuses_a_second_worker_and_stops_the_first(worker, tmp_path):
    env = dict(os.environ)
    result = subprocess.run([sys.executable, "-m", "hintcolor", "serve", "--state-dir", worker.folder],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2 and "already running" in result.stderr
    stop = subprocess.run([sys.executable, "-m", "hintcolor", "serve", "--stop", "--state-dir", worker.folder],
                          capture_output=True, text=True, timeout=60)
    assert stop.returncode == 0 and "stopped" in stop.stdout
    wait_for(lambda: WorkerClient(folder=worker.folder).hello() is None, 10, "the worker to stop")


def test_the_worker_logs_to_its_state_folder_even_when_started_by_hand(worker):
    with open(os.path.join(worker.folder, "worker.log")) as f:
        assert "listening on 127.0.0.1" in f.read()


def test_idle_exit_counts_requests_not_open_connections(tmp_path, weights_file):
    worker = Worker(str(tmp_path / "state"), str(weights_file), idle_timeout=0.5)
    thread = threading.Thread(target=worker.serve_forever, daemon=True)
    thread.start()
    with socket.create_connection(("127.0.0.1", worker.port)):  # a silent connection does not keep it up
        thread.join(10)
        assert not thread.is_alive()


def test_a_worker_of_another_version_is_asked_to_exit_and_replaced(worker, tmp_path, weights_file, monkeypatch):
    import hintcolor.worker.server

    monkeypatch.setattr(hintcolor.worker.server, "__version__", "0.0.1")
    with pytest.raises(WorkerError, match=r"version 0\.0\.1 but this plug-in is .*: stop it .*hintcolor serve --stop"):
        WorkerClient(folder=worker.folder, version=__version__).request({"op": "hello"})  # started by hand: say so
    client = _spawning_client(tmp_path, weights_file)
    client.request({"op": "hello"})
    sock, reply = client.hello()
    sock.close()
    assert reply["version"] == __version__ and reply["pid"] != os.getpid()
    assert "asked to exit" in open(client.log_path).read()


def _publish(folder, port):
    os.makedirs(folder, mode=0o700, exist_ok=True)
    with open(os.path.join(folder, "worker.json"), "w") as f:
        json.dump({"pid": 999999, "port": port, "version": __version__, "protocol": VERSION}, f)


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_stale_worker_json_is_one_line_for_a_worker_started_by_hand(tmp_path):
    folder = str(tmp_path / "state")
    port = _closed_port()
    _publish(folder, port)
    with pytest.raises(WorkerError, match=rf"^the hintcolor worker stopped \(nothing listens on port {port}; worker.json is "
                                          rf"left from it\): start it again with 'hintcolor serve --state-dir .*', then run again$"):
        WorkerClient(folder=folder).request({"op": "hello"})


@pytest.fixture
def foreign_port():
    """A program on a port that is not a hintcolor worker: it answers like a web server, or not at all."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    behaviour = {"answer": b"HTTP/1.1 400 Bad Request\r\n\r\n"}
    connections, done = [], threading.Event()

    def serve():
        while not done.is_set():
            try:
                connection, _ = listener.accept()
            except socket.timeout:
                continue
            connections.append(connection)
            if behaviour["answer"]:
                connection.sendall(behaviour["answer"])
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], behaviour
    done.set()
    thread.join(5)
    for connection in connections:
        connection.close()
    listener.close()


def test_a_port_now_used_by_another_program_does_not_hang_the_client(tmp_path, weights_file, foreign_port):
    port, behaviour = foreign_port
    folder = str(tmp_path / "state")
    _publish(folder, port)
    behaviour["answer"] = None  # silent: the hello times out
    start = time.monotonic()
    with pytest.raises(WorkerError, match=rf"port {port} is used by a program that does not answer as a hintcolor worker"):
        WorkerClient(folder=folder).request({"op": "hello"})
    assert time.monotonic() - start < 30
    behaviour["answer"] = b"HTTP/1.1 400 Bad Request\r\n\r\n"
    client = _spawning_client(tmp_path, weights_file)  # the plug-in starts a worker of its own
    client.request({"op": "hello"})
    assert client.hello()[1]["ok"]
    assert f"port {port} is used by a program that does not speak the hintcolor protocol" in open(client.log_path).read()
    client.request({"op": "shutdown"}, start=False)


def test_a_worker_that_cannot_start_is_reported_at_once(tmp_path):
    client = WorkerClient(python=sys.executable, folder=str(tmp_path / "state"), serve_args=["--idle-timeout", "soon"])
    start = time.monotonic()
    with pytest.raises(WorkerError, match=r"stopped as it started \(status 2\); details are in its log, .*worker\.log"):
        client.request({"op": "hello"})
    assert time.monotonic() - start < 60
    assert "invalid float value" in open(client.log_path).read()


def test_a_missing_python_is_explained_for_a_sandboxed_gimp(tmp_path):
    client = WorkerClient(python=str(tmp_path / "no-venv" / "python"), folder=str(tmp_path / "state"))
    with pytest.raises(WorkerError, match=r"cannot be found from here to start one: start 'hintcolor serve --state-dir"):
        client.request({"op": "hello"})


def test_library_errors_and_notices_reach_gimp_in_its_words(tmp_path, monkeypatch):
    import torch

    monkeypatch.setenv("HINTCOLOR_WEIGHTS", str(tmp_path / "nowhere" / "siggraph17.pth"))
    worker = Worker(str(tmp_path / "state"), None, idle_timeout=60)
    _serve_in_thread(worker)
    client = _gimp_client(folder=worker.folder)
    photo = _photo_rgba(64, 48)
    hints = np.zeros((48, 64, 4), np.uint8)
    hints[20:23, 30:33] = (200, 40, 40, 255)
    reply, _ = _colorize(client, photo, hints)
    assert reply["engine"] == "propagate"
    assert reply["notice"] == "network weights not installed: colors propagated from your hints (README: Weights)"
    assert "nowhere" in open(client.log_path).read()  # the long form, for whoever reads the log
    with pytest.raises(WorkerError, match=r"^without the network's weights, colors come only from your hints: paint dots"):
        _colorize(client, photo)
    header = {"op": "colorize", "photo": {"width": 64, "height": 48, "format": "u8"}, "hints": None,
              "options": {"engine": "siggraph17"}}
    with pytest.raises(WorkerError, match=r"^the network's weights are not installed for the worker: choose Engine: Propagate"):
        client.request(header, photo.tobytes())
    if not (torch.cuda.is_available() or torch.backends.mps.is_available()):
        header["options"] = {"device": "gpu"}
        with pytest.raises(WorkerError) as error:
            client.request(header, photo.tobytes())
        assert str(error.value) == "the GPU is not available on this machine: choose Device: Automatic or CPU"
    client.request({"op": "shutdown"})


def test_a_worker_no_longer_named_in_worker_json_exits(tmp_path, weights_file):
    """Two plug-in calls that both started a worker: the one clients cannot find goes away."""
    worker = Worker(str(tmp_path / "state"), str(weights_file), idle_timeout=60)
    thread = _serve_in_thread(worker)
    _publish(worker.folder, _closed_port())  # another worker's address
    thread.join(10)
    assert not thread.is_alive()
    assert "no longer names this worker" in open(os.path.join(worker.folder, "worker.log")).read()


def test_a_refused_secret_names_the_worker_to_end(worker):
    from hintcolor.errors import HintcolorError
    from hintcolor.worker.server import stop

    with open(os.path.join(worker.folder, "secret"), "w") as f:  # the secret changed after the worker started
        f.write("0" * 64)
    with pytest.raises(WorkerError, match=rf"refused this plug-in's secret .*end the worker process \(pid {os.getpid()}\)"):
        _gimp_client(folder=worker.folder).request({"op": "hello"})
    with pytest.raises(HintcolorError, match=rf"refused this user's secret .*end its process \(pid {os.getpid()}\)"):
        stop(worker.folder)  # hintcolor serve --stop, in the words of the command line
    with open(os.path.join(worker.folder, "secret"), "w") as f:
        f.write(worker.secret.decode())


def test_a_large_log_is_moved_aside_when_a_worker_starts(tmp_path, weights_file):
    folder = tmp_path / "state"
    folder.mkdir(mode=0o700)
    (folder / "worker.log").write_text("old line\n" * 200000)  # 1.8 MB
    worker = Worker(str(folder), str(weights_file), idle_timeout=0.1)
    worker.serve_forever()
    assert (folder / "worker.log.1").read_text().startswith("old line")
    assert "old line" not in (folder / "worker.log").read_text()


def test_serve_stop_stops_a_worker_of_another_protocol(worker, monkeypatch):
    import hintcolor.worker.server

    monkeypatch.setattr(hintcolor.worker.server, "VERSION", 1)
    assert WorkerClient(folder=worker.folder).stop()
    assert WorkerClient(folder=worker.folder).hello() is None
    assert not WorkerClient(folder=worker.folder).stop()


@pytest.fixture
def suggest_worker(tmp_path, suggest_weights_file):
    """A worker (in a thread) whose network suggests SUGGEST_PEAKS everywhere and echoes hints."""
    worker = Worker(str(tmp_path / "suggest-state"), str(suggest_weights_file), idle_timeout=60)
    thread = _serve_in_thread(worker)
    yield worker
    WorkerClient(folder=worker.folder).request({"op": "shutdown"}, start=False)
    thread.join(10)


def _suggest(client, photo, hints=None, points=None, k=8):
    height, width = photo.shape[:2]
    header = {"op": "suggest", "photo": {"width": width, "height": height, "format": "u8"}, "hints": None,
              "points": points, "k": k, "options": {"device": "cpu", "work_size": 64}}
    payload = [photo.tobytes()]
    if hints is not None:
        header["hints"] = {"width": hints.shape[1], "height": hints.shape[0], "x": 0, "y": 0}
        payload.append(hints.tobytes())
    return client.request(header, payload)[0]


def test_suggest_at_points_or_at_the_painted_dots(suggest_worker):
    client = WorkerClient(folder=suggest_worker.folder)
    photo = np.full((128, 192, 4), 120, np.uint8)  # L* ≈ 50: both colors can be shown as they are
    reply = _suggest(client, photo, points=[[20, 30], [150.5, 100]])
    assert reply["points"] == [[20, 30], [150.5, 100]]
    for found in reply["suggestions"]:  # the head's two colors, most likely first
        assert np.allclose([s["ab"] for s in found], [[30, -40], [-40, 30]], atol=1)
        assert [s["probability"] for s in found] == pytest.approx([0.65, 0.35], abs=0.01)
        assert all(re.fullmatch("#[0-9a-f]{6}", s["color"]) for s in found)
    assert len(_suggest(client, photo, points=[[20, 30]], k=1)["suggestions"][0]) == 1
    hints = np.zeros((128, 192, 4), np.uint8)
    hints[40:45, 60:65] = (220, 30, 30, 255)
    hints[100:103, 10:13] = (30, 30, 220, 255)
    reply = _suggest(client, photo, hints)
    assert reply["points"] == [[62.5, 42.5], [11.5, 101.5]]  # the dots' centres
    assert len(reply["suggestions"]) == 2
    with pytest.raises(WorkerError, match="no sample point and no painted dot"):
        _suggest(client, photo)
    with pytest.raises(WorkerError, match="points must be a list"):
        _suggest(client, photo, points=[[1, 2, 3]])


def test_suggest_without_weights_says_they_are_needed(tmp_path, monkeypatch):
    monkeypatch.setenv("HINTCOLOR_WEIGHTS", str(tmp_path / "missing.pth"))
    worker = Worker(str(tmp_path / "state"), None, idle_timeout=60)
    thread = _serve_in_thread(worker)
    client = WorkerClient(folder=worker.folder)
    with pytest.raises(WorkerError, match="^color suggestions need the network's weights"):
        _suggest(client, _photo_rgba(), points=[[5, 5]])
    client.request({"op": "shutdown"}, start=False)
    thread.join(10)


def _export(client, hints, photo_size, offset=(0, 0)):
    header = {"op": "export_hints", "photo": {"width": photo_size[0], "height": photo_size[1]},
              "hints": {"width": hints.shape[1], "height": hints.shape[0], "x": offset[0], "y": offset[1]},
              "options": {"work_size": 64}}
    return client.request(header, hints.tobytes())


def _import(client, data, photo_size, name="hints.json"):
    header = {"op": "import_hints", "photo": {"width": photo_size[0], "height": photo_size[1]}, "name": name,
              "file_size": len(data)}
    reply, layer = client.request(header, data)
    return reply, np.frombuffer(layer, np.uint8).reshape(photo_size[1], photo_size[0], 4)


def test_export_then_import_hints_gives_the_dots_back(worker):
    client = WorkerClient(folder=worker.folder)
    hints = np.zeros((60, 60, 4), np.uint8)
    hints[10:14, 20:24] = (40, 90, 230, 255)  # photo (120..123, 60..63) with the offset
    reply, data = _export(client, hints, (192, 128), offset=(100, 50))
    document = json.loads(data)
    assert reply["count"] == len(document["hints"]) >= 1 and document["image_size"] == [192, 128]
    blue = skcolor.rgb2lab(np.array([[[40, 90, 230]]], float) / 255)[0, 0, 1:]
    assert all(np.allclose(hint["ab"], blue, atol=0.1) for hint in document["hints"])
    reply, layer = _import(client, data, (192, 128))
    assert reply["count"] == len(document["hints"])
    placed = place_hint_layer(hints, (100, 50), (192, 128))
    assert np.array_equal(layer[..., 3], placed[..., 3])  # the same dot, painted where it was
    shown = skcolor.rgb2lab(layer[61:62, 121:122, :3] / 255)[0, 0, 1:]
    assert np.allclose(shown, blue, atol=1.5)  # in its chroma (at a lightness where it exists)
    _, doubled = _import(client, data, (384, 256))  # another size: scaled
    assert np.argwhere(doubled[..., 3] == 255).mean(0) == pytest.approx([123, 243], abs=1.5)


def test_bad_hints_files_are_one_line(worker):
    client = WorkerClient(folder=worker.folder)
    with pytest.raises(WorkerError, match=r"^bad.json is not a hints file \(not JSON"):
        _import(client, b"{nope", (10, 10), "bad.json")
    with pytest.raises(WorkerError, match=r"^x.json is not a hintcolor hints file"):
        _import(client, b'{"a": 1}', (10, 10), "x.json")
    with pytest.raises(WorkerError, match="file_size"):
        client.request({"op": "import_hints", "photo": {"width": 10, "height": 10}, "file_size": 1 << 30})
    assert client.hello()[1]["ok"]
