"""The worker against clumsy and hostile local clients, over real sockets to a real worker process:
fuzzed messages and requests, authentication before any payload byte, concurrency with silent and
half-sending clients, cancel by closing the connection, private folders."""
from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hintcolor.worker.client import WorkerClient, WorkerError, read_secret, receive_message, send_message
from hintcolor.worker.protocol import CANCEL, ERRORS, HEADER_TIMEOUT, VERSION

from waiting import wait_for

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


class RunningWorker:
    """A ``hintcolor serve`` process with its state folder, log and secret."""

    def __init__(self, folder: Path, weights: Path, *args: str):
        self.folder = folder
        self.log = folder / "worker.log"
        self.process = subprocess.Popen([sys.executable, "-m", "hintcolor", "serve", "--state-dir", str(folder),
                                         "--weights", str(weights), "--idle-timeout", "600", *args],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        state = wait_for(lambda: self._state(), 120, "the worker to publish worker.json")
        self.port = state["port"]
        self.secret = read_secret(str(folder))
        self.client = WorkerClient(folder=str(folder))

    def _state(self):
        assert self.process.poll() is None, "the worker exited"
        try:
            return json.loads((self.folder / "worker.json").read_text())
        except (OSError, ValueError):
            return None

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=30)

    def alive(self) -> bool:
        """The same process still answers a hello."""
        sock, reply = self.client.hello()
        sock.close()
        return reply["ok"] and reply["pid"] == self.process.pid

    def log_text(self) -> str:
        return self.log.read_text()

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def cpu_seconds(self) -> float:
        fields = self._stat()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def page_faults(self) -> int:
        """Minor page faults so far: memory the kernel had to map in (and zero) for the worker."""
        return int(self._stat()[7])

    def _stat(self) -> list[str]:
        return Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()

    def stop(self):
        self.process.terminate()
        self.process.wait(30)


@pytest.fixture(scope="module")
def running(tmp_path_factory, weights_file):
    worker = RunningWorker(tmp_path_factory.mktemp("worker") / "state", weights_file)
    yield worker
    worker.stop()


def colorize_header(width: int, height: int, fmt: str = "u8", hints=None, **options) -> dict:
    return {"op": "colorize", "photo": {"width": width, "height": height, "format": fmt}, "hints": hints,
            "options": dict({"device": "cpu", "work_size": 64}, **options)}


def photo(width: int, height: int, seed: int = 0, fmt: str = "u8") -> np.ndarray:
    """A smooth gray RGBA photo with some texture (deterministic)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    gray = (127 + 60 * np.sin(x / 7.0 + seed) * np.cos(y / 5.0) + rng.normal(0, 8, (height, width))).clip(0, 255)
    rgba = np.dstack([gray, gray, gray, np.full_like(gray, 255)]).astype(np.uint8)
    return rgba if fmt == "u8" else (rgba / 255.0).astype(np.float32)


def hint_dots(width: int, height: int) -> np.ndarray:
    layer = np.zeros((height, width, 4), np.uint8)
    layer[height // 3: height // 3 + 3, width // 3: width // 3 + 3] = (200, 40, 40, 255)
    layer[2 * height // 3: 2 * height // 3 + 3, 2 * width // 3: 2 * width // 3 + 3] = (40, 160, 60, 255)
    return layer


def exchange(worker: RunningWorker, data: bytes, timeout: float = 20) -> bytes:
    """Send raw bytes, close our sending side, and return everything the worker answers until it closes."""
    with worker.connect() as sock:
        sock.settimeout(timeout)
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:  # the worker may have closed already
            pass
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    return b"".join(chunks)


def parse_replies(data: bytes) -> list[dict]:
    """The messages in a byte stream from the worker (each must be complete and well-formed)."""
    replies = []
    while data:
        (length,) = struct.unpack(">I", data[:4])
        header = json.loads(data[4:4 + length])
        data = data[4 + length + header["size"]:]
        replies.append(header)
    return replies


def message(header: dict, payload: bytes = b"") -> bytes:
    return raw_header(dict(header, size=len(payload))) + payload


def raw_header(header: dict) -> bytes:
    """A header as sent, its ``size`` whatever it says (send_message would set the true one)."""
    encoded = json.dumps(header).encode()
    return struct.pack(">I", len(encoded)) + encoded


# --- whatever a client sends, the worker answers in one line or closes, and goes on serving ---

valid_messages = st.sampled_from([
    message({"op": "hello", "protocol": VERSION}),
    message(colorize_header(4, 4), bytes(64)),
    message({"op": "shutdown"}),
])


@st.composite
def raw_streams(draw) -> bytes:
    """Truncated, corrupted or random byte streams, and headers with absurd sizes."""
    kind = draw(st.sampled_from(["truncated", "flipped", "random", "length", "json"]))
    if kind == "random":
        return draw(st.binary(max_size=200))
    if kind == "length":  # a length prefix alone, possibly huge
        return struct.pack(">I", draw(st.integers(0, 2**32 - 1))) + draw(st.binary(max_size=20))
    if kind == "json":  # any JSON value as header, with any size field
        value = draw(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
                                  lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                                  max_leaves=8))
        if isinstance(value, dict) and draw(st.booleans()):
            value["size"] = draw(st.integers(-2**40, 2**40) | st.floats() | st.text(max_size=3))
        encoded = json.dumps(value).encode()
        return struct.pack(">I", len(encoded)) + encoded
    data = bytearray(draw(valid_messages))
    if kind == "truncated":
        return bytes(data[:draw(st.integers(0, len(data) - 1))])
    position = draw(st.integers(0, len(data) - 1))
    data[position] ^= draw(st.integers(1, 255))
    return bytes(data)


@FUZZ
@given(stream=raw_streams())
def test_any_bytes_without_the_secret_get_at_most_a_refusal(running, stream):
    for reply in parse_replies(exchange(running, stream)):
        assert reply["ok"] is False and "\n" not in reply["error"]
    assert running.alive()


dimension = st.one_of(st.integers(-3, 12), st.just(0), st.integers(2**31, 2**63), st.none(), st.text(max_size=3),
                      st.floats(allow_nan=False), st.booleans())
layer = st.fixed_dictionaries({"width": dimension, "height": dimension},
                              optional={"format": st.sampled_from(["u8", "float", "u16", ""]), "x": dimension, "y": dimension})
options = st.fixed_dictionaries({}, optional={
    "device": st.sampled_from(["cpu", "auto", "cuda", "gpu", "mps", "tpu", 3]),
    "engine": st.sampled_from(["auto", "siggraph17", "propagate", "magic", None]),
    "work_size": st.sampled_from([8, 64, 7, 5000, "256", None, True])})


def _pixels(layer: object) -> int | None:
    """Pixels of a fuzzed layer whose width and height are small non-negative integers, else None."""
    if not isinstance(layer, dict):
        return None
    sides = [layer.get("width"), layer.get("height")]
    if all(type(side) is int and 0 <= side <= 4096 for side in sides):
        return sides[0] * sides[1]
    return None


def _small_payload(header: dict) -> int | None:
    """The payload the layers need, when they are small and valid; None otherwise."""
    photo, hints = _pixels(header["photo"]), _pixels(header["hints"])
    sample = {"u8": 1, "float": 4}.get(header["photo"].get("format")) if photo is not None else None
    if sample is None or (header["hints"] is not None and hints is None):
        return None
    need = photo * 4 * sample + 4 * (hints or 0)
    return need if 0 < need <= 4096 else None


@st.composite
def authenticated_requests(draw) -> tuple[dict, bytes]:
    """Requests carrying the secret, with fuzzed layers, options and payload lengths."""
    header = {"op": draw(st.sampled_from(["colorize", "colorize", "suggest", "export_hints", "import_hints", "hello",
                                          "dance", None])),
              "photo": draw(layer | st.none() | st.integers()), "hints": draw(st.none() | layer),
              "options": draw(options | st.none() | st.text(max_size=3))}
    header["photo"] = dict(header["photo"], format=draw(st.sampled_from(["u8", "float", "rgb"]))) \
        if isinstance(header["photo"], dict) else header["photo"]
    need = _small_payload(header)
    length = draw(st.sampled_from([need, need, 0, 7, 300]) if need else st.sampled_from([0, 7, 300]))
    return header, draw(st.binary(min_size=length, max_size=length))


@FUZZ
@given(request=authenticated_requests())
def test_fuzzed_requests_get_a_result_or_one_coded_line(running, request):
    header, payload = request
    replies = parse_replies(exchange(running, message(dict(header, token=running.secret), payload), timeout=60))
    final = [reply for reply in replies if "progress" not in reply]
    assert len(final) <= 1
    for reply in final:
        assert reply["ok"] or (reply["code"] in ERRORS and "\n" not in reply["error"])
    assert running.alive()


# --- authentication and sizes before any payload byte ---

def test_a_huge_request_without_the_secret_is_refused_before_its_body(running):
    rss_before = running.rss_kib()
    with running.connect() as sock:
        sock.sendall(raw_header(dict(colorize_header(50000, 10000), size=2_000_000_000)))  # header only
        reply, _ = receive_message(sock)
        assert not reply["ok"] and reply["code"] == "secret"
        assert sock.recv(1) == b""  # closed: the worker does not wait for the body
    with running.connect() as sock:  # even with the secret, a size that the layers do not need
        sock.sendall(raw_header(dict(colorize_header(10, 10), token=running.secret, size=2_000_000_000)))
        reply, _ = receive_message(sock)
        assert reply["code"] == "request" and "declares 2000000000 bytes of pixels but its layers need 400" in reply["error"]
        assert sock.recv(1) == b""
    with running.connect() as sock:  # sending the body anyway finds the connection closed
        sock.sendall(raw_header({"op": "hello", "size": 64 << 20}))
        with pytest.raises(OSError):
            for _ in range(64):
                sock.sendall(bytes(1 << 20))
    assert running.rss_kib() - rss_before < 16 << 10
    assert running.alive()


def test_a_layer_over_the_maximum_is_refused_before_its_body(running):
    with running.connect() as sock:
        sock.sendall(raw_header(dict(colorize_header(20000, 20000), token=running.secret, size=20000 * 20000 * 4)))
        reply, _ = receive_message(sock)
        assert reply["code"] == "request" and "megapixels" in reply["error"]
        assert sock.recv(1) == b""


# --- concurrency ---

def colorize(worker: RunningWorker, image: np.ndarray, hints: np.ndarray | None = None, **options):
    height, width = image.shape[:2]
    fmt = "u8" if image.dtype == np.uint8 else "float"
    hint_header = None if hints is None else {"width": hints.shape[1], "height": hints.shape[0], "x": 0, "y": 0}
    payload = [image.tobytes()] + ([] if hints is None else [hints.tobytes()])
    stages = []
    reply, data = worker.client.request(colorize_header(width, height, fmt, hint_header, **options), payload,
                                        progress=lambda fraction, stage: stages.append((fraction, stage)))
    return np.frombuffer(data, image.dtype).reshape(height, width, 4), stages


def test_concurrent_clients_with_a_silent_and_a_half_sending_one_all_get_correct_results(running):
    jobs = [(photo(96, 64, 1), None, {}), (photo(64, 80, 2, "float"), hint_dots(64, 80), {}),
            (photo(120, 90, 3), hint_dots(120, 90), {"engine": "propagate"}), (photo(70, 70, 4, "float"), None, {})]
    alone = [colorize(running, *job[:2], **job[2])[0] for job in jobs]
    silent = running.connect()  # says nothing
    half = running.connect()  # a header and half its body, then nothing
    half.sendall(raw_header(dict(colorize_header(100, 100), token=running.secret, size=40000)) + bytes(20000))
    results: dict[int, np.ndarray] = {}
    started = time.monotonic()
    threads = [threading.Thread(target=lambda i=i, job=job: results.__setitem__(i, colorize(running, *job[:2], **job[2])[0]))
               for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HEADER_TIMEOUT)
    elapsed = time.monotonic() - started
    assert sorted(results) == [0, 1, 2, 3]
    for got, expected in zip((results[i] for i in range(4)), alone):
        assert np.array_equal(got, expected)
    assert elapsed < HEADER_TIMEOUT / 2  # nobody waited for the silent ones
    half.close()  # mid-body: the worker logs it and goes on
    silent.close()
    wait_for(lambda: "connection ended badly: EOFError: connection closed after 20000 of 40000 bytes" in running.log_text(),
             10, "the half-sent body to be logged")
    assert running.alive()


def test_progress_moves_through_stages(running):
    _, stages = colorize(running, photo(64, 64, 5), hint_dots(64, 64))
    fractions = [fraction for fraction, _ in stages]
    assert fractions == sorted(fractions) and 0 <= fractions[0] and fractions[-1] <= 1
    texts = [text for _, text in stages]
    for stage in ("Received the pixels", "Computing colors with the network", "Composing the full-resolution result",
                  "Sending the result"):
        assert stage in texts


# --- cancel: the client goes away ---

def test_a_cancelled_12_megapixel_request_is_abandoned_and_the_worker_goes_on(running):
    image = np.zeros((3000, 4000, 4), np.uint8)
    image[..., :3] = photo(400, 300, 6)[..., :3].repeat(10, 0).repeat(10, 1)
    image[..., 3] = 255
    header = dict(colorize_header(4000, 3000, work_size=256), token=running.secret)
    with running.connect() as sock:  # the whole request, for its CPU time
        cpu = running.cpu_seconds()
        send_message(sock, header, image.tobytes())
        while "progress" in receive_message(sock)[0]:
            pass
        whole = running.cpu_seconds() - cpu
    sock = running.connect()
    send_message(sock, header, image.tobytes())
    while receive_message(sock)[0].get("stage") != "Composing the full-resolution result":
        pass
    cpu, closed = running.cpu_seconds(), time.monotonic()
    sock.close()  # what GIMP's Cancel does (the plug-in process ends)
    wait_for(lambda: "went away during 'Composing the full-resolution result'" in running.log_text(), 30,
             "the worker to abandon the request")
    after = running.cpu_seconds() - cpu
    print(f"whole request {whole:.2f} s CPU; after the cancel {after:.2f} s CPU, {time.monotonic() - closed:.2f} s")
    assert after < whole / 3
    assert running.alive()
    assert colorize(running, photo(32, 32, 7))[0].shape == (32, 32, 4)


# --- memory: reused while the user works, handed back when the worker is idle ---

def test_the_next_request_reuses_memory_and_an_idle_worker_hands_it_back(tmp_path, weights_file):
    worker = RunningWorker(tmp_path / "state", weights_file, "--keep-memory", "2")
    try:
        image = photo(300, 200, 8).repeat(10, 0).repeat(10, 1)  # 6 MP
        expected = colorize(worker, image)[0]  # the model is loaded
        before = worker.page_faults()
        assert np.array_equal(colorize(worker, image)[0], expected)
        kept_faults = worker.page_faults() - before
        kept = worker.rss_kib()
        wait_for(lambda: worker.rss_kib() < kept - (40 << 10), 30, "the idle worker to hand at least 40 MB back")
        before = worker.page_faults()
        assert np.array_equal(colorize(worker, image)[0], expected)
        released_faults = worker.page_faults() - before
        print(f"page faults of a request: {kept_faults} right after another, {released_faults} after the memory "
              f"was handed back; RSS {kept >> 10} MB kept, handed back to under {(kept >> 10) - 40} MB")
        assert kept_faults < released_faults / 5
    finally:
        worker.stop()


# --- sharing the CPU with GIMP ---

def _openmp_environment(folder: Path, weights: Path, env: dict) -> str:
    """What the OpenMP runtime of a worker started with ``env`` says it uses (OMP_DISPLAY_ENV), once the
    warm-up has imported PyTorch (which loads that runtime)."""
    folder.mkdir(mode=0o700)
    errors = folder.parent / "stderr.txt"
    with open(errors, "wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "hintcolor", "serve", "--state-dir", str(folder), "--weights",
                                    str(weights), "--idle-timeout", "600"], stdout=subprocess.DEVNULL, stderr=stderr,
                                   env=dict(env, OMP_DISPLAY_ENV="VERBOSE"))
    try:
        wait_for(lambda: "model loaded" in errors.read_text() or process.poll() is not None, 120, "the warm-up")
    finally:
        process.terminate()
        process.wait(30)
    return errors.read_text()


@pytest.mark.parametrize("chosen", [None, "ACTIVE"])
def test_the_compute_threads_sleep_while_they_wait_unless_the_user_says_otherwise(tmp_path, weights_file, chosen):
    """The worker's OpenMP threads wait asleep between parallel steps, not spinning: GIMP works at the same
    moments and needs the cores (benchmarks/bench_live.py). A policy the user set is kept."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "GOMP_"))}
    if chosen:
        env["OMP_WAIT_POLICY"] = chosen
    said = _openmp_environment(tmp_path / "state", weights_file, env)
    if "GOMP_SPINCOUNT" not in said:
        pytest.skip("PyTorch here does not run on GNU OpenMP, whose settings this test reads")
    assert f"OMP_WAIT_POLICY = '{chosen or 'PASSIVE'}'" in said
    assert ("GOMP_SPINCOUNT = '0'" in said) == (chosen is None), said


# --- only its own user ---

def test_a_folder_other_users_can_open_is_refused(tmp_path, weights_file):
    folder = tmp_path / "state"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    with pytest.raises(WorkerError, match=r"can be opened by other users: run 'chmod 700 .*state'"):
        WorkerClient(folder=str(folder)).request({"op": "hello"}, start=False)
    result = subprocess.run([sys.executable, "-m", "hintcolor", "serve", "--state-dir", str(folder)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "chmod 700" in result.stderr and "Traceback" not in result.stderr
    assert not (folder / "secret").exists()


def test_an_explicit_cancel_message_abandons_the_request(running):
    image = photo(1200, 900, 8)
    with running.connect() as sock:
        send_message(sock, dict(colorize_header(1200, 900, hints=None), token=running.secret), image.tobytes())
        assert receive_message(sock)[0]["stage"] == "Received the pixels"
        send_message(sock, {"op": CANCEL, "token": running.secret})
        wait_for(lambda: "request abandoned" in running.log_text().rsplit("colorize 1200×900", 1)[-1], 30,
                 "the worker to abandon the request")
    assert running.alive()


def test_a_queued_request_whose_client_leaves_is_dropped_before_it_starts(running):
    big = photo(1600, 1200, 9)
    with running.connect() as first, running.connect() as second:
        send_message(first, dict(colorize_header(1600, 1200, work_size=256), token=running.secret), big.tobytes())
        while receive_message(first)[0].get("stage") != "Computing colors with the network":
            pass
        send_message(second, dict(colorize_header(64, 64), token=running.secret), photo(64, 64, 10).tobytes())
        stages = [receive_message(second)[0]["stage"] for _ in range(2)]
        assert stages == ["Received the pixels", "Waiting for another colorization to finish"]
        second.close()
        wait_for(lambda: "went away during 'Waiting for another colorization to finish'" in running.log_text(), 30,
                 "the queued request to be dropped")
        reply = receive_message(first)[0]
        while "progress" in reply:
            reply = receive_message(first)[0]
        assert reply["ok"]  # the running request was not disturbed
    assert running.alive()


# --- a refusal reaches the user, whatever the size of the body the client is still sending ---

def test_a_refusal_reaches_the_client_even_while_it_still_sends_a_large_body(running):
    """The worker refuses some requests by their header alone, before their body (a patch outside the
    hint layer, a body of another size than the layers need): the client, still sending a 48 MB photo
    when the refusal comes, reports the refusal, never "the worker stopped during the request"."""
    photo = bytes(4000 * 3000 * 4)
    outside = {"op": "colorize", "photo": {"width": 4000, "height": 3000, "format": "u8"}, "options": {},
               "hints": {"width": 4, "height": 4, "x": 0, "y": 0, "patches": [[3, 3, 2, 1]]}}
    for _ in range(3):
        with pytest.raises(WorkerError, match=r"the patch \[3, 3, 2, 1\] is not inside the hint layer"):
            running.client.request(outside, [photo, bytes(8)])
    declared = dict(colorize_header(10, 10))
    with pytest.raises(WorkerError, match="declares 48000000 bytes of pixels but its layers need 400"):
        running.client.request(declared, photo)
    assert running.alive()

