"""Color suggestions against a colorize call, side by side, in one run.

    .venv/bin/python benchmarks/bench_suggest.py [--repeats 5]

Prints, for a Kodak photo (768×512) and the same photo enlarged to 4000×3000, the median time of
``Colorizer.suggest`` at one point and of ``Colorizer.colorize`` (both with one hint, the model
already loaded, as in the GIMP worker), and their ratio (suggest / colorize; < 1: a suggestion
costs less than a preview). Uses the official weights if found, else random weights in the
official layout (the timing does not depend on the values).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import PHOTO, median_time, weights_file  # noqa: E402

from hintcolor import Colorizer, Hint  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path, kind = weights_file(Path(folder))
        colorizer = Colorizer(path, device="cpu")
    print(f"weights: {kind}; device: cpu; medians of {args.repeats}")
    photo = np.asarray(Image.open(PHOTO).convert("L"))
    hints = [Hint(100, 100, "#2e7d32", 5)]
    for image in (photo, np.asarray(Image.fromarray(photo).resize((4000, 3000)))):
        suggest = median_time(lambda: colorizer.suggest(image, 300, 200, hints), args.repeats)
        colorize = median_time(lambda: colorizer.colorize(image, hints), args.repeats)
        size = f"{image.shape[1]}×{image.shape[0]}"
        print(f"{size:>10}: suggest {suggest:6.2f} s   colorize {colorize:6.2f} s   suggest/colorize {suggest / colorize:.2f}")


if __name__ == "__main__":
    main()
