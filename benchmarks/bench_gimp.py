"""GIMP plug-in benchmark: time from the plug-in's call to the result layer, in the real GIMP 3.

    sudo .venv/bin/python benchmarks/bench_gimp.py [--megapixels 12]

Runs in the GIMP 3 chroot of tests/gimp/build_gimp_env.sh (built on first use, as root). A black-and-white photo of 12
megapixels (a Kodak photo enlarged) gets a hint layer with 10 dots; the colorize procedure runs
twice through GIMP's PDB:

- first run, worker cold: no worker is running, so the plug-in starts one (Python start, torch
  import, model load) and waits for it. GIMP in the chroot cannot run this machine's Python, so
  the plug-in's configured interpreter is a stub that asks this script to start the worker: the
  same steps, one file-system poll later;
- second run, worker warm: the model is loaded; the time is the network, the full-resolution
  conversion and the pixel transfer GIMP → worker → GIMP.

The worker's own compute time (from its log) is printed beside, so the rest is the plug-in's
pixel reading, the transfer and GIMP writing the layer.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from gimp.harness import GIMPS, start_worker  # noqa: E402

GIMP = GIMPS[0]  # GIMP 3.0

WORK = "/tmp/hintcolor-bench"
PHOTO = ROOT.parent / "shared" / "data" / "photos" / "kodim23.png"

SCRIPT = '''
import json, time
pdb = Gimp.get_pdb()
image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path("%(work)s/photo.png"))
photo = image.get_layers()[0]
hint = Gimp.Layer.new(image, "Color Hints", image.get_width(), image.get_height(), Gimp.ImageType.RGBA_IMAGE, 100,
                      Gimp.LayerMode.NORMAL)
image.insert_layer(hint, None, 0)
hint.fill(Gimp.FillType.TRANSPARENT)
buffer = hint.get_buffer()
for i in range(10):
    x, y = image.get_width() * (i + 1) // 11, image.get_height() * ((3 * i) %% 10 + 1) // 11
    buffer.set(Gegl.Rectangle.new(x, y, 9, 9), "R'G'B'A u8", bytes([(37 * i) %% 256, 112, 80, 255]) * 81)
buffer.flush()
times = []
for _ in range(2):
    procedure = pdb.lookup_procedure("plug-in-hintcolor-colorize")
    config = procedure.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", [photo])
    config.set_property("hint-layer", hint)
    config.set_property("device", "cpu")
    start = time.time()
    status = procedure.run(config).index(0).value_nick
    times.append([time.time() - start, status, [l.get_name() for l in image.get_layers()]])
with open("%(work)s/times.json", "w") as f:
    json.dump(times, f)
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=12)
    args = parser.parse_args()
    host = GIMP.prepare(WORK)
    source = Image.open(PHOTO).convert("L")
    scale = (args.megapixels * 1e6 / (source.width * source.height)) ** 0.5
    photo = source.resize((round(source.width * scale), round(source.height * scale)), Image.BICUBIC)
    photo.save(host / "photo.png", compress_level=1)

    stub = host / "start-worker.sh"
    stub.write_text(f"#!/bin/sh\ntouch {WORK}/start-requested\n")
    stub.chmod(0o755)
    config_path = host / "gimp" / "plug-ins" / "hintcolor" / "hintcolor.json"
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps(dict(config, python=f"{WORK}/start-worker.sh")))

    with tempfile.TemporaryDirectory() as tmp:
        weights = _weights(Path(tmp))
        log = open(host / "worker.log", "w")
        gimp = subprocess.Popen(GIMP.console_command(WORK), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
        gimp.stdin.write(SCRIPT % {"work": WORK})
        gimp.stdin.close()
        while not (host / "start-requested").exists():
            if gimp.poll() is not None:
                raise SystemExit("GIMP exited before asking for the worker")
            time.sleep(0.02)
        worker = start_worker(host, weights, log)
        gimp.wait(600)
        worker.terminate()
        worker.wait()
        log.close()
    times = json.loads((host / "times.json").read_text())
    computes = [float(x) for x in re.findall(r"done in ([0-9.]+) s", (host / "worker.log").read_text())]
    print(f"GIMP 3.0.4, photo {photo.width}×{photo.height} ({photo.width * photo.height / 1e6:.1f} MP), 10 painted dots, "
          f"CPU, torch {torch.__version__}, {torch.get_num_threads()} threads")
    for label, (seconds, status, layers), compute in zip(("first run (worker cold)", "second run (worker warm)"), times, computes):
        print(f"{label:<26} {seconds:6.2f} s  (worker compute {compute:5.2f} s; status {status}; layers {layers})")


def _weights(folder: Path) -> Path:
    from hintcolor.errors import WeightsError
    from hintcolor.model import SIGGRAPH17
    from hintcolor.weights import find_weights

    try:
        return find_weights()
    except WeightsError:
        path = folder / "random.pth"
        torch.save(SIGGRAPH17().state_dict(), path)
        return path


if __name__ == "__main__":
    main()
