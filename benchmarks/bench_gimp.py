"""GIMP plug-in benchmark: time from the plug-in's call to the result layer, in the real GIMP 3.

    sudo .venv/bin/python benchmarks/bench_gimp.py [--megapixels 12] [--warm 5]

Runs in the GIMP 3 chroot of tests/gimp/build_gimp_env.sh (built on first use, as root). A black-and-white photo of 12
megapixels (a Kodak photo enlarged) gets a hint layer with 10 dots; the colorize procedure runs
several times through GIMP's PDB:

- first run, worker cold: no worker is running, so the plug-in starts one (Python start, torch
  import, model load, first forward) and waits for it. GIMP in the chroot cannot run this
  machine's Python, so the plug-in's configured interpreter is a stub that asks this script to
  start the worker and lives until the worker has published itself: the same steps, one
  file-system poll later;
- then ``--warm`` runs with the worker warm (precision automatic: bf16 on a CPU with native bf16),
  then one run in fp32 (its model is prepared) and ``--warm`` more in fp32. Medians are printed;
- then, for each engine (the network, automatic precision, and propagation), ``--pairs`` pairs of
  a whole-photo re-run (no selection) and a region run (Ctrl+F with a selection of about 3 % of
  the photo, a rectangle around a painted dot: the detail for the selection), one after the other
  so that both see the same load; their medians are printed side by side.

Beside each total: the worker's compute (from its log: the photo's bytes to the result's bytes),
its receiving the pixels and sending the result (socket time, including waiting for GIMP), and the
rest: starting the plug-in process, GIMP reading the layers, GIMP making the result layer. Last, the
GIMP side alone, measured apart in the same session: reading the photo layer (now RGB) in RGBA and
in RGB, and creating + writing a layer of each.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
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
ENGINES = {"auto": "network", "propagate": "propagation"}  # the engines of the region runs, by their option
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
side = int((0.03 * image.get_width() * image.get_height()) ** 0.5)  # a square of about 3 %% of the photo
for precision, engine, region in %(runs)r:
    if region:
        image.select_rectangle(Gimp.ChannelOps.REPLACE, image.get_width() * 5 // 11 - side // 2,
                               image.get_height() * 6 // 11 - side // 2, side, side)
    else:
        Gimp.Selection.none(image)
    procedure = pdb.lookup_procedure("plug-in-hintcolor-colorize")
    config = procedure.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", [photo])
    config.set_property("hint-layer", hint)
    config.set_property("device", "cpu")
    config.set_property("precision", precision)
    config.set_property("engine", engine)
    start = time.time()
    status = procedure.run(config).index(0).value_nick
    times.append([time.time() - start, status, [l.get_name() for l in image.get_layers()]])
Gimp.Selection.none(image)
rect = Gegl.Rectangle.new(0, 0, photo.get_width(), photo.get_height())
apart = {}
for babl, kind in (("R'G'B'A u8", Gimp.ImageType.RGBA_IMAGE), ("R'G'B' u8", Gimp.ImageType.RGB_IMAGE)):
    for _ in range(3):
        start = time.time()
        data = bytes(photo.get_buffer().get(rect, 1.0, babl, Gegl.AbyssPolicy.NONE))
        read = time.time() - start
        start = time.time()
        layer = Gimp.Layer.new(image, "x", photo.get_width(), photo.get_height(), kind, 100, Gimp.LayerMode.NORMAL)
        image.insert_layer(layer, None, 1)
        buffer = layer.get_buffer()
        buffer.set(rect, babl, data)
        buffer.flush()
        layer.update(0, 0, photo.get_width(), photo.get_height())
        write = time.time() - start
        image.remove_layer(layer)
        apart.setdefault(babl, []).append([read, write])
with open("%(work)s/times.json", "w") as f:
    json.dump({"runs": times, "apart": apart}, f)
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=12)
    parser.add_argument("--warm", type=int, default=5, help="warm runs per precision (median printed)")
    parser.add_argument("--pairs", type=int, default=5,
                        help="pairs of a whole-photo re-run and a region run per engine (medians printed)")
    args = parser.parse_args()
    host = GIMP.prepare(WORK)
    source = Image.open(PHOTO).convert("L")
    scale = (args.megapixels * 1e6 / (source.width * source.height)) ** 0.5
    photo = source.resize((round(source.width * scale), round(source.height * scale)), Image.BICUBIC)
    photo.save(host / "photo.png", compress_level=1)

    stub = host / "start-worker.sh"
    # the stub lives until the worker has published itself, as the worker's own process would
    stub.write_text(f"#!/bin/sh\ntouch {WORK}/start-requested\n"
                    f"while [ ! -e {WORK}/state/worker.json ]; do sleep 0.02; done\n")
    stub.chmod(0o755)
    config_path = host / "gimp" / "plug-ins" / "hintcolor" / "hintcolor.json"
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps(dict(config, python=f"{WORK}/start-worker.sh")))

    with tempfile.TemporaryDirectory() as tmp:
        weights = _weights(Path(tmp))
        log = open(host / "worker.log", "w")
        gimp = subprocess.Popen(GIMP.console_command(WORK), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
        runs = ([("auto", "auto", False)] * (1 + args.warm) + [("fp32", "auto", False)] * (1 + args.warm)
                + [("auto", engine, region) for engine in ENGINES for _ in range(args.pairs) for region in (False, True)])
        gimp.stdin.write(SCRIPT % {"work": WORK, "runs": runs})
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
    found = json.loads((host / "times.json").read_text())
    log = (host / "worker.log").read_text()
    computes = [float(x) for x in re.findall(r"done in ([0-9.]+) s", log)]
    served = [tuple(map(float, m)) for m in re.findall(r"replied in ([0-9.]+) s \(pixels received in ([0-9.]+) s, "
                                                         r"result sent in ([0-9.]+) s\)", log)]
    print(f"GIMP 3.0.4, photo {photo.width}×{photo.height} ({photo.width * photo.height / 1e6:.1f} MP), 10 painted dots, "
          f"CPU, torch {torch.__version__}, load average {os.getloadavg()[0]:.1f} at the end")
    print("run                        total   worker compute  worker receive  worker send   rest (plug-in start, "
          "GIMP read/write, layer, transfer)")
    rows = {}
    for index, ((seconds, status, layers), (precision, engine, region)) in enumerate(zip(found["runs"], runs)):
        compute = computes[index] if index < len(computes) else float("nan")
        received, sent = served[index][1:] if index < len(served) else (float("nan"), float("nan"))
        first = index in (0, 1 + args.warm)
        label = ("first run (worker cold)" if index == 0 else "first fp32 run (model load)") if first else f"warm, {precision}"
        if index >= 2 * (1 + args.warm):
            label = f"{ENGINES[engine]}, {'region (3 %)' if region else 'whole re-run'}"
        if status != "success":
            raise SystemExit(f"run {index} ({label}) failed: {status}")
        rows.setdefault(label, []).append((seconds, compute, received, sent))
    for label, values in rows.items():
        total, compute, received, sent = (statistics.median(v) for v in zip(*values))
        spread = f" ({min(v[0] for v in values):.2f}–{max(v[0] for v in values):.2f}, {len(values)} runs)" if len(values) > 1 else ""
        print(f"{label:<26} {total:5.2f} s  {compute:5.2f} s         {received:5.2f} s         {sent:5.2f} s      "
              f"{total - compute - received - sent:5.2f} s{spread}")
    for engine, name in ENGINES.items():
        whole, region = (statistics.median(v[0] for v in rows[f"{name}, {kind}"]) for kind in ("whole re-run", "region (3 %)"))
        print(f"{name}: region run (3 % selected) {region:.2f} s vs whole-photo re-run {whole:.2f} s: "
              f"{region / whole:.2f}× (medians of {args.pairs} pairs)")
    for babl, values in found["apart"].items():
        read, write = (statistics.median(v) for v in zip(*values))
        print(f"GIMP alone, {babl:<11}: buffer.get {read:.2f} s; new layer + buffer.set + flush {write:.2f} s (median of 3)")


def _weights(folder: Path) -> Path:
    from hintcolor.errors import WeightsError
    from hintcolor.engines.model import SIGGRAPH17
    from hintcolor.engines.weights import find_weights

    try:
        return find_weights()
    except WeightsError:
        path = folder / "random.pth"
        torch.save(SIGGRAPH17().state_dict(), path)
        return path


if __name__ == "__main__":
    main()
