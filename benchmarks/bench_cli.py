"""Command-line benchmark: how long a mistake on the command line takes to be told.

    .venv/bin/python benchmarks/bench_cli.py [--runs 7]

Runs ``hintcolor`` (this environment's ``python -m hintcolor``) with a mistake a user makes — a
photo that does not exist, with and without hints, a hints file that does not exist, an output
folder that does not exist — ``--runs`` times each, and prints the median and worst wall time from
start to exit (the one-line error), with what PyTorch alone costs to import beside them (what
each of these paid before the command line checked what was typed first). Target: 0.3 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PHOTO = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "photos" / "kodim23.png"


def mistakes(folder: Path) -> dict[str, list[str]]:
    """Label → the arguments of one mistaken command."""
    out = str(folder / "out.png")
    return {
        "missing photo": ["colorize", "/nonexistent.png", "-o", out],
        "missing photo, with a hint": ["colorize", "/nonexistent.png", "-o", out, "--hint", "120,80,#2e7d32,5"],
        "missing hints file": ["colorize", str(PHOTO), "-o", out, "--hints", str(folder / "none.json")],
        "missing output folder": ["colorize", str(PHOTO), "-o", str(folder / "none" / "out.png")],
        "suggest, missing photo": ["suggest", "/nonexistent.png", "--at", "10,10"],
    }


def seconds(command: list[str]) -> float:
    """Wall time of one run, which must fail with exit status 2 (a mistake told)."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = {label: [seconds([sys.executable, "-m", "hintcolor", *argv]) for _ in range(args.runs)]
                for label, argv in mistakes(Path(tmp)).items()}
    torch_import = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch"], check=True)
        torch_import.append(time.perf_counter() - start)
    print(f"hintcolor command line, a mistake -> its one-line error, {args.runs} runs each; "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{'mistake':30} median   worst")
    for label, times in rows.items():
        print(f"{label:30} {statistics.median(times):5.2f} s {max(times):5.2f} s")
    print(f"{'(import torch, for comparison)':30} {statistics.median(torch_import):5.2f} s {max(torch_import):5.2f} s")


if __name__ == "__main__":
    main()
