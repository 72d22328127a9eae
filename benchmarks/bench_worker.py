"""Worker soak benchmark: many consecutive requests to one real worker process, with clumsy clients between.

    .venv/bin/python benchmarks/bench_worker.py [--requests 500]

Starts ``hintcolor serve`` the way the GIMP plug-in does (:class:`hintcolor.worker.client.WorkerClient`),
with random weights in the official layout (so no download is needed; speed is that of the real
network). Then N requests, cycling through photo sizes (mostly small, 64×48 to 1024×768), pixel
formats (u8, float), with or without a hint layer (offset, partly outside the photo) and engines
(network at working size 64, sometimes 256; propagation). Each result is checked (size, format, the
photo's alpha kept, hinted pixels of the propagation engine take their hint's color). Every 20 requests a clumsy client comes
in between: one that sends garbage, one that leaves mid-body, one that cancels (closes) after the
first progress message, one that stays silent; none of them counts as a request.

Prints: the worker's pid at the start and at the end (the same process served everything), the
number of failed requests (must be 0), the worker's resident memory (RSS, from /proc: Linux only)
after the first request, every 100 requests and at the end (flat: no growth per request; the memory
a request freed is kept for the next one), then once the worker has been idle long enough to hand
that memory back (``hintcolor serve --keep-memory``, 30 s by default), and the median
and 95th percentile latency (request sent → reply received, ms) per photo size and overall.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import socket
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from conftest import random_state_dict  # noqa: E402

from hintcolor import __version__  # noqa: E402
from hintcolor.worker.client import WorkerClient, WorkerError, read_secret, receive_message, send_message  # noqa: E402
from hintcolor.worker.server import DEFAULT_KEEP_MEMORY  # noqa: E402

SIZES = [(64, 48)] * 4 + [(200, 150)] * 3 + [(320, 240)] * 2 + [(640, 480), (1024, 768)]
SETUPS = [("siggraph17", 64), ("propagate", 256), ("siggraph17", 64), ("propagate", 256), ("siggraph17", 256)]


def photo(width: int, height: int, fmt: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    gray = 127 + 60 * np.sin(x / 9.0 + seed) * np.cos(y / 7.0) + rng.normal(0, 6, (height, width))
    alpha = np.linspace(40, 255, width)[None].repeat(height, 0)
    rgba = np.dstack([gray, gray, gray, alpha]).clip(0, 255).astype(np.uint8)
    return rgba if fmt == "u8" else (rgba / 255.0).astype(np.float32)


def request(index: int) -> tuple[dict, list[bytes], np.ndarray]:
    width, height = SIZES[index % len(SIZES)]
    fmt = ("u8", "float")[index % 2]
    engine, work_size = SETUPS[(index // 2) % len(SETUPS)]
    with_hints = engine == "propagate" or index % 3 == 0
    image = photo(width, height, fmt, index)
    header = {"op": "colorize", "photo": {"width": width, "height": height, "format": fmt}, "hints": None,
              "options": {"device": "cpu", "engine": engine, "work_size": work_size}}
    payload = [image.tobytes()]
    if with_hints:  # a layer larger than the photo, offset up-left: partly outside
        hints = np.zeros((height, width + 20, 4), np.uint8)
        hints[height // 2: height // 2 + 5, width // 2: width // 2 + 5] = (210, 40, 40, 255)
        header["hints"] = {"width": width + 20, "height": height, "x": -10, "y": 0}
        payload.append(hints.tobytes())
    return header, payload, image


def check(header: dict, image: np.ndarray, reply: dict, data: bytes) -> None:
    height, width = image.shape[:2]
    result = np.frombuffer(data, image.dtype).reshape(height, width, 4)
    assert reply["width"] == width and reply["format"] == header["photo"]["format"]
    assert np.array_equal(result[..., 3], image[..., 3]), "alpha changed"
    if header["options"]["engine"] == "propagate":  # random weights do not follow hints; propagation does
        red = result[height // 2: height // 2 + 5, width // 2 - 10: width // 2 - 5, :3].astype(np.float64).mean((0, 1))
        assert red[0] > red[2], "the hint's color is missing"


def rss_mb(pid: int) -> str:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return f"{int(line.split()[1]) / 1024:.0f} MB"
    except OSError:
        pass
    return "n/a"


def clumsy_clients(port: int, secret: str, round_: int) -> None:
    """Garbage, a body cut short, a cancel after the first progress message, a silent connection.
    What happens to these clients does not matter (the worker may reset them); the worker must go on."""
    header, payload, _ = request(round_ * 7 + 3)
    encoded = json.dumps(dict(header, token=secret, size=sum(map(len, payload)))).encode()
    clients = [
        lambda sock: sock.sendall(b"\x00\x00\x00\x05{oops" + bytes(100)),
        lambda sock: sock.sendall(struct.pack(">I", len(encoded)) + encoded + payload[0][: len(payload[0]) // 2]),
        lambda sock: (send_message(sock, dict(header, token=secret), payload), receive_message(sock)),
        lambda sock: None,
    ]
    for client in clients:
        with contextlib.suppress(OSError, EOFError), socket.create_connection(("127.0.0.1", port)) as sock:
            client(sock)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        weights = Path(work) / "siggraph17-random.pth"
        torch.save(random_state_dict(), weights)
        client = WorkerClient(python=sys.executable, folder=str(Path(work) / "state"), version=__version__,
                              serve_args=["--weights", str(weights), "--idle-timeout", "600"])
        client.request({"op": "hello"})
        sock, hello = client.hello()
        sock.close()
        pid, secret = hello["pid"], read_secret(client.folder)
        port = int(json.loads((Path(client.folder) / "worker.json").read_text())["port"])
        latencies: dict[tuple[int, int], list[float]] = {}
        failures, memory = [], {}
        for index in range(args.requests):
            header, payload, image = request(index)
            start = time.perf_counter()
            try:
                reply, data = client.request(header, payload)
                latencies.setdefault(tuple(image.shape[1::-1]), []).append(time.perf_counter() - start)
                check(header, image, reply, data)
            except (WorkerError, AssertionError) as e:
                failures.append(f"request {index}: {e}")
            if index == 0 or (index + 1) % 100 == 0 or index == args.requests - 1:
                memory[index + 1] = rss_mb(pid)
            if index % 20 == 19:
                clumsy_clients(port, secret, index // 20)
        time.sleep(DEFAULT_KEEP_MEMORY + 2)  # no request: the worker hands back what its requests freed
        idle_rss = rss_mb(pid)
        sock, hello = client.hello()
        sock.close()
        client.request({"op": "shutdown"}, start=False)
    print(f"worker pid {pid} at the start, {hello['pid']} at the end; {args.requests} requests, {len(failures)} failed, "
          f"{args.requests // 20} rounds of clumsy clients in between")
    for failure in failures[:10]:
        print("  " + failure)
    print("worker RSS after request " + ", ".join(f"{n}: {mb}" for n, mb in memory.items())
          + f"; {DEFAULT_KEEP_MEMORY + 2:g} s after the last: {idle_rss}")
    print(f"{'photo size':>12} {'requests':>9} {'median ms':>10} {'p95 ms':>8}")
    everything = []
    for size in sorted(latencies, key=lambda s: s[0] * s[1]):
        times = sorted(latencies[size])
        everything += times
        print(f"{size[0]:>6}×{size[1]:<5} {len(times):>9} {1000 * statistics.median(times):>10.0f} "
              f"{1000 * times[int(0.95 * (len(times) - 1))]:>8.0f}")
    everything.sort()
    print(f"{'all':>12} {len(everything):>9} {1000 * statistics.median(everything):>10.0f} "
          f"{1000 * everything[int(0.95 * (len(everything) - 1))]:>8.0f}")


if __name__ == "__main__":
    main()
