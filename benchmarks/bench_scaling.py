"""How the whole program scales with the photo: time and memory at 1, 12, 24 and 50 megapixels.

    .venv/bin/python benchmarks/bench_scaling.py [--megapixels 1 12 24 50] [--reference-up-to 12]

For each size, a black-and-white JPEG (a Kodak photo enlarged) is colorized file → PNG by
``hintcolor colorize`` in its own process (wall time, peak RSS = the process's ru_maxrss), and, up
to ``--reference-up-to`` megapixels, by the reference demo pipeline (see bench_core.py) side by
side. Time and memory per megapixel show whether they grow faster than the pixel count. Then, in
one process with the model loaded, where the time of one photo goes: Pillow decoding the JPEG,
colorizing, and Pillow encoding the PNG (compress_level=1).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import PHOTO, REFERENCE_PIPELINE, run_process, weights_file  # noqa: E402

STAGES = """
import sys, time
from hintcolor import Colorizer
from hintcolor.images import carried_info, open_image, save_image
colorizer = Colorizer(sys.argv[1], device="cpu")
for path in sys.argv[2:]:
    marks = [time.perf_counter()]
    image = open_image(path); marks.append(time.perf_counter())
    result = colorizer.colorize(image); marks.append(time.perf_counter())
    save_image(result, path + ".png", carried_info(image)); marks.append(time.perf_counter())
    print(" ".join(f"{b - a:.3f}" for a, b in zip(marks, marks[1:])))
"""


def make_photo(folder: Path, megapixels: float) -> Path:
    source = Image.open(PHOTO).convert("L")
    scale = (megapixels * 1e6 / (source.width * source.height)) ** 0.5
    path = folder / f"photo{megapixels:g}.jpg"
    source.resize((round(source.width * scale), round(source.height * scale)), Image.BICUBIC).save(path, quality=92)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, nargs="+", default=[1, 12, 24, 50])
    parser.add_argument("--reference-up-to", type=float, default=12, help="run the reference demo up to this size")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        weights, kind = weights_file(folder)
        photos = [make_photo(folder, mp) for mp in args.megapixels]
        print(f"weights: {kind}; hintcolor colorize PHOTO.jpg -o OUT.png --device cpu (default precision)\n")
        print(f"{'MP':>5} {'size':>11} | {'hintcolor s':>11} {'s/MP':>6} {'peak MB':>8} {'MB/MP':>6} | "
              f"{'reference s':>11} {'peak MB':>8} | {'time ratio':>10}")
        for mp, photo in zip(args.megapixels, photos):
            width, height = Image.open(photo).size
            ours_s, ours_mb = run_process([sys.executable, "-m", "hintcolor", "colorize", str(photo), "-o",
                                           str(folder / "ours.png"), "--weights", str(weights), "--device", "cpu", "--overwrite"])
            line = f"{mp:>5g} {f'{width}×{height}':>11} | {ours_s:>11.2f} {ours_s / mp:>6.2f} {ours_mb:>8.0f} {ours_mb / mp:>6.0f} | "
            if mp <= args.reference_up_to:
                ref_s, ref_mb = run_process([sys.executable, "-c", REFERENCE_PIPELINE, str(weights), str(photo), str(folder / "ref.png")])
                line += f"{ref_s:>11.2f} {ref_mb:>8.0f} | {ref_s / ours_s:>9.2f}x"
            else:
                line += f"{'-':>11} {'-':>8} | {'-':>10}"
            print(line, flush=True)

        print("\nwhere one photo's time goes (model loaded; seconds):")
        print(f"{'MP':>5} | {'decode JPEG':>11} {'colorize':>9} {'encode PNG':>10}")
        done = subprocess.run([sys.executable, "-c", STAGES, str(weights), *map(str, photos)],
                              capture_output=True, text=True, check=True)
        for mp, line in zip(args.megapixels, done.stdout.split("\n")):
            decode, colorize, encode = line.split()
            print(f"{mp:>5g} | {decode:>11} {colorize:>9} {encode:>10}")


if __name__ == "__main__":
    main()
