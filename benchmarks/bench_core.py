"""Core benchmark: the released reference code vs hintcolor, side by side, in one run.

    .venv/bin/python benchmarks/bench_core.py [--megapixels 12] [--repeats 5]

Prints
1. the network forward at 256×256 (same weights): reference ``SIGGRAPHGenerator`` vs ``SIGGRAPH17``;
2. a whole program, file in → PNG out, on a 12-megapixel black-and-white JPEG (a Kodak photo
   enlarged): the reference demo pipeline (``demo_release.py``'s steps: load_img, preprocess_img,
   the network, postprocess_tens, plt.imsave) vs ``hintcolor colorize`` with 10 hints, each in its
   own process: wall time and peak RSS (the process's ru_maxrss);
3. hintcolor's warm call (model already loaded, as in the GIMP worker) on the same photo.

Ratios are reference / hintcolor (> 1: hintcolor is faster or smaller). Uses the official weights
if ``hintcolor weights path`` finds them, else random weights in the official layout (the timing
does not depend on the values).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
PHOTO = ROOT.parent / "shared" / "data" / "photos" / "kodim05.png"

REFERENCE_PIPELINE = """
import sys, types
sys.modules["IPython"] = types.SimpleNamespace(embed=None)
import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt, torch
from colorizers.siggraph17 import SIGGRAPHGenerator
from colorizers.util import load_img, preprocess_img, postprocess_tens
net = SIGGRAPHGenerator().eval()
net.load_state_dict(torch.load(sys.argv[1], weights_only=True))
img = load_img(sys.argv[2])
tens_l_orig, tens_l_rs = preprocess_img(img, HW=(256, 256))
with torch.no_grad():
    out = postprocess_tens(tens_l_orig, net(tens_l_rs))
plt.imsave(sys.argv[3], out)
"""


def reference_generator():
    sys.modules.setdefault("IPython", types.SimpleNamespace(embed=None))
    from colorizers.siggraph17 import SIGGRAPHGenerator

    return SIGGRAPHGenerator().eval()


def weights_file(folder: Path) -> tuple[Path, str]:
    from hintcolor.errors import WeightsError
    from hintcolor.model import SIGGRAPH17
    from hintcolor.weights import find_weights

    try:
        return find_weights(), "official"
    except WeightsError:
        path = folder / "random.pth"
        torch.save(SIGGRAPH17().state_dict(), path)
        return path, "random, official layout"


def time_forward(net: torch.nn.Module, repeats: int) -> float:
    l = torch.rand(1, 1, 256, 256) * 100
    ab, mask = torch.zeros(1, 2, 256, 256), torch.zeros(1, 1, 256, 256)
    times = []
    with torch.inference_mode():
        net(l, ab, mask)
        for _ in range(repeats):
            start = time.perf_counter()
            net(l, ab, mask)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_process(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"benchmark command failed ({status}): {' '.join(command)}")
    return elapsed, usage.ru_maxrss / 1024


def make_photo(folder: Path, megapixels: float) -> Path:
    source = Image.open(PHOTO).convert("L")
    scale = (megapixels * 1e6 / (source.width * source.height)) ** 0.5
    path = folder / "photo.jpg"
    source.resize((round(source.width * scale), round(source.height * scale)), Image.BICUBIC).save(path, quality=92)
    return path


def row(label: str, reference: float, ours: float, unit: str) -> None:
    print(f"{label:<38} {reference:>10.2f} {ours:>10.2f}  {unit:<4} {reference / ours:>6.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=12)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from hintcolor import Colorizer, Hint
    from hintcolor.weights import load_model

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        weights, kind = weights_file(folder)
        photo = make_photo(folder, args.megapixels)
        width, height = Image.open(photo).size
        hints = [f"{width * (i + 1) // 11},{height * ((3 * i) % 10 + 1) // 11},#{(37 * i) % 256:02x}7050,9" for i in range(10)]
        print(f"weights: {kind}; photo: {width}×{height} JPEG ({width * height / 1e6:.1f} MP); "
              f"torch {torch.__version__}, {torch.get_num_threads()} threads\n")
        print(f"{'':<38} {'reference':>10} {'hintcolor':>10}  {'':<4} {'ratio':>7}")

        # whole programs first: a child forked from a parent holding models reports the parent's RSS
        ref_time, ref_rss = run_process([sys.executable, "-c", REFERENCE_PIPELINE, str(weights), str(photo), str(folder / "ref.png")])
        our_cmd = [sys.executable, "-m", "hintcolor", "colorize", str(photo), "-o", str(folder / "ours.png"),
                   "--weights", str(weights), "--device", "cpu", "--overwrite"]
        for hint in hints:
            our_cmd += ["--hint", hint]
        our_time, our_rss = run_process(our_cmd)

        reference = reference_generator()
        reference.load_state_dict(torch.load(weights, weights_only=True))
        ours = load_model(weights)
        row("forward 256×256 (median)", 1000 * time_forward(reference, args.repeats),
            1000 * time_forward(ours, args.repeats), "ms")
        row(f"{width * height / 1e6:.0f} MP file -> PNG, whole program", ref_time, our_time, "s")
        row(f"{width * height / 1e6:.0f} MP peak RSS", ref_rss, our_rss, "MB")

        colorizer = Colorizer(weights, device="cpu")
        image = Image.open(photo)
        image.load()
        colorizer.colorize(image)
        start = time.perf_counter()
        colorizer.colorize(image, [Hint.parse(h) for h in hints])
        print(f"\nhintcolor warm call (model loaded, 10 hints, {width}×{height}): {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
