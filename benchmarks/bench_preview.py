"""The live panel's preview with the propagation engine (no weights installed): the worker's time per stroke.

    .venv/bin/python benchmarks/bench_preview.py [--runs 7]

What the live panel (gimp_plugin/hintcolor/hintcolor_live.py) asks after each stroke: a ``colorize``
request with ``preview: true``, the photo kept in the worker (``session``; sent once), and the hint
layer's painted patches, one dot more each time. The worker runs as the plug-in's would (engine
``auto`` without weights: the propagation engine, as for a new user; memory kept between
requests), in this process so that the engine can be switched back to how it was between requests.
Measured: request sent → reply received, which is the worker's time plus the result's transfer over
loopback (what GIMP then does with it is bench_live.py's).

Columns, interleaved so that load on the machine hits all alike (median of ``--runs`` strokes, ms):
the preview before (solved on the full grid, ``MAX_SOLVE_SIDE``, on PyTorch's threads) and after
(on its own grid, ``PREVIEW_SOLVE_SIDE``, on one thread: what the panel shows while you paint);
the full-quality request (sent when you pause) before (on PyTorch's threads) and after (one thread).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from conftest import photo_path  # noqa: E402

from hintcolor.engines import propagation  # noqa: E402
from hintcolor.worker.client import WorkerClient, painted_patches  # noqa: E402
from hintcolor.worker.memory import keep_freed_memory  # noqa: E402
from hintcolor.worker.server import Worker  # noqa: E402

SIZES = {"1 MP": (1224, 816), "12 MP": (4000, 3000)}
#: Column → (preview solve side, or None for the full-quality request; solved on one thread).
MODES = {"preview before": (propagation.MAX_SOLVE_SIDE, False), "preview after": (propagation.PREVIEW_SOLVE_SIDE, True),
         "full before": (None, False), "full after": (None, True)}
SOLVE_ONE_THREAD = propagation.propagate


def stroke_layer(width: int, height: int, dots: int) -> np.ndarray:
    """A hint layer with ``dots`` dots of 10 px along a diagonal stroke, in three colors."""
    layer = np.zeros((height, width, 4), np.uint8)
    for i in range(dots):
        x, y = width * (i % 17 + 1) // 19, height * (i % 11 + 1) // 13
        layer[y : y + 10, x : x + 10] = ((200, 50, 40), (40, 150, 60), (40, 70, 210))[i % 3] + (255,)
    return layer


def request(client: WorkerClient, photo: np.ndarray, layer: np.ndarray, session: str, kept: bool,
            preview: bool) -> float:
    """One colorize request as the live panel sends it; seconds from sending to the reply."""
    height, width = photo.shape[:2]
    patches, chunks = painted_patches(layer.tobytes(), width, height)
    header = {"op": "colorize", "session": session,
              "photo": {"width": width, "height": height, "format": "u8", "channels": 3, "kept": kept},
              "hints": {"width": width, "height": height, "x": 0, "y": 0, "patches": patches},
              "options": {"engine": "auto", "work_size": 128, "preview": preview}}
    start = time.perf_counter()
    reply, _ = client.request(header, ([] if kept else [photo.tobytes()]) + chunks)
    took = time.perf_counter() - start
    assert reply["engine"] == "propagate" and reply["notice"], reply
    return took


def switch_engine(preview_side: int | None, one_thread: bool) -> None:
    """The propagation engine as it is (one thread) or was (PyTorch's threads), with this preview grid."""
    propagation.PREVIEW_SOLVE_SIDE = preview_side or propagation.PREVIEW_SOLVE_SIDE
    propagation.propagate = SOLVE_ONE_THREAD if one_thread else propagation._propagate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="strokes per size and column (default 7)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hintcolor-bench-preview-") as folder:
        run(folder, args.runs)


def run(folder: str, runs: int) -> None:
    """The benchmark, with the worker's state in ``folder``."""
    os.environ["HINTCOLOR_WEIGHTS"] = os.path.join(folder, "no-weights.pth")  # a new user: no weights
    worker = Worker(os.path.join(folder, "state"), None, idle_timeout=600)
    worker.echo = False  # its log stays in its file
    keep_freed_memory()  # as `hintcolor serve` does
    threading.Thread(target=worker.serve_forever, daemon=True).start()
    client = WorkerClient(folder=worker.folder)
    source = Image.open(photo_path("kodim05.png")).convert("RGB")
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'photo':8}" + "".join(f"{column:>16}" for column in MODES) + f"   ms, median of {runs} strokes")
    after = MODES["preview after"][0]
    for name, (width, height) in SIZES.items():
        photo = np.asarray(source.resize((width, height), Image.BICUBIC))
        session = f"bench-{width}"
        request(client, photo, stroke_layer(width, height, 1), session, kept=False, preview=False)  # photo sent once
        times: dict[str, list[float]] = {column: [] for column in MODES}
        for stroke in range(runs):
            for column, (side, one_thread) in MODES.items():
                switch_engine(side, one_thread)
                layer = stroke_layer(width, height, 2 + stroke)
                times[column].append(request(client, photo, layer, session, kept=True, preview=side is not None))
        switch_engine(after, True)
        medians = {column: 1000 * statistics.median(values) for column, values in times.items()}
        print(f"{name:8}" + "".join(f"{medians[column]:16.0f}" for column in MODES)
              + f"   preview after/before {medians['preview after'] / medians['preview before']:.2f}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    client.request({"op": "shutdown"})


if __name__ == "__main__":
    main()
