"""Is reduced precision visible? bf16 (fp16 on CUDA) against fp32 on real photos, with and without hints.

    .venv/bin/python benchmarks/bench_precision.py [--device cpu]

For the 12 Kodak photos (../shared/data/photos) and scikit-image's color samples, each made black
and white and colorized at its own size, prints per hint setting (none; 20 hints of the photo's own
colors at random points) the network's |Δab| on the working grid (mean, 99th percentile, max) and
the CIEDE2000 color difference ΔE00 of the final 8-bit results (mean, 99th percentile), and how
strong the fp32 colors are (mean |ab|). ΔE00 ≈ 1 is about the smallest difference a person can see
side by side. Uses the official weights if found, else the tests' random weights with a path from
the hints to the output (tests/conftest.py: activations in a useful range, hints that matter;
then the figures describe the arithmetic, not the trained network's colors).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from skimage import color as skcolor
from skimage import data as skdata

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))
from bench_core import PHOTO  # noqa: E402
from conftest import hint_echo_state_dict  # noqa: E402


def weights_file(folder: Path) -> tuple[Path, str]:
    from hintcolor.errors import WeightsError
    from hintcolor.engines.weights import find_weights

    try:
        return find_weights(), "official"
    except WeightsError:
        path = folder / "hint-echo.pth"
        torch.save(hint_echo_state_dict(), path)
        return path, "random with a hint path (tests/conftest.py), official layout"


def photos() -> list[tuple[str, np.ndarray]]:
    found = [(p.stem, np.asarray(Image.open(p).convert("RGB"))) for p in sorted(PHOTO.parent.glob("kodim*.png"))]
    return found + [(name, getattr(skdata, name)()) for name in ("astronaut", "chelsea", "coffee", "rocket")]


def own_color_hints(rgb: np.ndarray, count: int, seed: int) -> list:
    from hintcolor import Hint

    rng = np.random.default_rng(seed)
    height, width = rgb.shape[:2]
    points = zip(rng.integers(0, width, count), rng.integers(0, height, count))
    return [Hint(int(x), int(y), tuple(int(c) for c in rgb[y, x]), 3) for x, y in points]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    from hintcolor import Colorizer, fullres
    from hintcolor.fullres import working_lightness

    with tempfile.TemporaryDirectory() as tmp:
        weights, kind = weights_file(Path(tmp))
        fp32 = Colorizer(weights, device=args.device, precision="fp32")
        reduced = Colorizer(weights, device=args.device, precision="auto")
        if reduced.dtype == torch.float32:
            raise SystemExit("no native reduced precision on this device: nothing to compare")
        name = str(reduced.dtype).removeprefix("torch.")
        samples = photos()
        print(f"weights: {kind}; {name} vs fp32 on {len(samples)} photos, device {args.device}\n")
        print(f"{'hints':>6} | {'fp32 |ab|':>9} | {'|Δab| mean':>10} {'p99':>6} {'max':>6} | {'ΔE00 mean':>9} {'p99':>6} {'max':>6}")
        for count in (0, 20):
            dab, de, strength = [], [], []
            for index, (_, rgb) in enumerate(samples):
                gray = np.asarray(Image.fromarray(rgb).convert("L"))
                hints = own_color_hints(rgb, count, index)
                height, width = gray.shape
                work_l = working_lightness(gray, fp32.working_size(width, height), fp32.device)
                ab32, ab16 = (c.predict_ab(work_l, hints, (width, height)) for c in (fp32, reduced))
                dab.append((ab32 - ab16).abs().flatten().numpy())
                strength.append(float(ab32.abs().mean()))
                out32, out16 = (fullres.compose(fullres.lightness(gray), ab, np.uint8) for ab in (ab32, ab16))
                de.append(skcolor.deltaE_ciede2000(skcolor.rgb2lab(out32), skcolor.rgb2lab(out16)).ravel())
            dab_all, de_all = np.concatenate(dab), np.concatenate(de)
            print(f"{count:>6} | {np.mean(strength):>9.1f} | {dab_all.mean():>10.3f} {np.percentile(dab_all, 99):>6.2f} {dab_all.max():>6.2f} | "
                  f"{de_all.mean():>9.3f} {np.percentile(de_all, 99):>6.2f} {de_all.max():>6.2f}", flush=True)


if __name__ == "__main__":
    main()
