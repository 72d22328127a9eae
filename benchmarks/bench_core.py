"""Core benchmark: the released reference code vs hintcolor, side by side, in one run.

    .venv/bin/python benchmarks/bench_core.py [--megapixels 12] [--repeats 5]

Prints
1. the network forward at 256×256 (same weights): reference ``SIGGRAPHGenerator`` vs the network
   as :class:`Colorizer` prepares it (``predict_ab``), in fp32 and in bf16 (where the CPU has
   native bf16), with the largest |Δab| against the reference;
2. a whole program, file in → PNG out, on a 12-megapixel black-and-white JPEG (a Kodak photo
   enlarged): the reference demo pipeline (``demo_release.py``'s steps: load_img, preprocess_img,
   the network, postprocess_tens, plt.imsave) vs ``hintcolor colorize`` with 10 hints, each in its
   own process: wall time and peak RSS (the process's ru_maxrss);
3. hintcolor's warm ``colorize_array`` (model already loaded, as in the GIMP worker) of the same
   photo as 8-bit pixels, stage by stage, in fp32 and bf16: as the library runs by default, then
   after ``hintcolor.worker.memory.keep_freed_memory()`` (as the worker runs); and the straightforward
   float path (``hintcolor.color`` on the whole image: what the pipeline did before ``fullres``).

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
from timing import median_time

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
    from hintcolor.engines.model import SIGGRAPH17
    from hintcolor.engines.weights import find_weights

    try:
        return find_weights(), "official"
    except WeightsError:
        path = folder / "random.pth"
        torch.save(SIGGRAPH17().state_dict(), path)
        return path, "random, official layout"


def forward_inputs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    l = torch.rand(1, 1, 256, 256, generator=torch.Generator().manual_seed(0)) * 100
    return l, torch.zeros(1, 2, 256, 256), torch.zeros(1, 1, 256, 256)


def compare_forward(reference: torch.nn.Module, weights: Path, repeats: int) -> None:
    """Reference forward vs Colorizer.predict_ab (fp32, bf16), interleaved so load on the machine hits both."""
    from hintcolor import Colorizer
    from hintcolor.colorizer import native_bf16

    l, ab, mask = forward_inputs()
    with torch.inference_mode():
        expected = reference(l, ab, mask)
    ours = {"fp32": Colorizer(weights, device="cpu", precision="fp32")}
    if native_bf16():
        ours["bf16"] = Colorizer(weights, device="cpu", precision="bf16")
    times: dict[str, list[float]] = {name: [] for name in ["reference", *ours]}
    for _ in range(max(1, repeats // 2)):
        with torch.inference_mode():
            times["reference"].append(median_time(lambda: reference(l, ab, mask), 2))
        for name, colorizer in ours.items():
            times[name].append(median_time(lambda: colorizer.predict_ab(l, [], (256, 256)), 2))
    ref_ms = 1000 * statistics.median(times["reference"])
    for name, colorizer in ours.items():
        error = (colorizer.predict_ab(l, [], (256, 256)) - expected).abs()
        row(f"forward 256×256, {name} (median)", ref_ms, 1000 * statistics.median(times[name]), "ms")
        print(f"{'':<38} |Δab| vs reference: max {error.max():.2e}, mean {error.mean():.2e}")
    if "bf16" not in ours:
        print("(no native bf16 on this CPU: bf16 not measured)")


def warm_call(photo: Path, weights: Path, hints: list[str], repeats: int) -> None:
    """Warm colorize_array of the photo's 8-bit pixels, by stage; and the plain float color path."""
    import numpy as np

    from hintcolor import Colorizer, Hint
    from hintcolor.color import gray_to_l, lab_to_rgb
    from hintcolor.worker.memory import keep_freed_memory
    from hintcolor.colorizer import native_bf16

    pixels = np.asarray(Image.open(photo).convert("L"))
    height, width = pixels.shape
    parsed = [Hint.parse(h) for h in hints]
    print(f"\nwarm colorize_array, {width}×{height} 8-bit gray, 10 hints (medians of {repeats}):")

    def plain() -> None:  # the straightforward path: float pixels, whole-image torch ops
        import torch.nn.functional as F

        l = gray_to_l(torch.tensor(pixels).float().div_(255))[None, None]
        ab = F.interpolate(torch.zeros(1, 2, 256, 344), size=(height, width), mode="bilinear", align_corners=False)
        (lab_to_rgb(torch.cat([l, ab], dim=1))[0].permute(1, 2, 0).mul(255).add_(0.5).to(torch.uint8)).numpy()

    print(f"  straightforward float path (hintcolor.color, whole image), L* + color only: {median_time(plain, 2):.2f} s")
    colorizers = {precision: Colorizer(weights, device="cpu", precision=precision)
                  for precision in (["fp32", "bf16"] if native_bf16() else ["fp32"])}
    for kept in (False, True):  # keeping memory is a setting of the whole process: it cannot be undone, so second
        if kept:
            keep_freed_memory()
        print("  after hintcolor.worker.memory.keep_freed_memory() (as the GIMP worker runs):" if kept else "  as the library runs by default:")
        for precision, colorizer in colorizers.items():
            stages: list[list[float]] = []

            def call() -> None:
                marks = [time.perf_counter()]
                # stage boundaries are reported at fractions up to 0.5 (hints, working copy, network); bands after
                colorizer.colorize_array(pixels, parsed, progress=lambda done, stage: done <= 0.5 and marks.append(time.perf_counter()))
                marks.append(time.perf_counter())
                stages.append([b - a for a, b in zip(marks, marks[1:])])

            total = median_time(call, repeats)
            hints_s, copy_s, engine_s, color_s = (statistics.median(column) for column in zip(*stages[1:]))
            print(f"    {precision}: {total:.2f} s  (hints {hints_s:.2f} s, working copy {copy_s:.2f} s, network {engine_s:.2f} s, "
                  f"L* + ab upsampling + Lab→sRGB + uint8 {color_s:.2f} s)")


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
        compare_forward(reference, weights, args.repeats)
        row(f"{width * height / 1e6:.0f} MP file -> PNG, whole program", ref_time, our_time, "s")
        row(f"{width * height / 1e6:.0f} MP peak RSS", ref_rss, our_rss, "MB")
        warm_call(photo, weights, hints, args.repeats)


if __name__ == "__main__":
    main()
