"""Two revisions side by side in one run: is a benchmark slower now than at an earlier commit?

    sudo .venv/bin/python benchmarks/bench_revisions.py BASE [--runs 3] -- bench_core.py --repeats 3

Makes a git worktree of ``BASE`` (any commit) in ``.bench-revisions/`` (linked to this checkout's
.venv, GIMP chroots and ``../shared``), then runs the named benchmark of each tree in turn, ``BASE``
first, ``--runs`` times, each with its own tree's ``hintcolor`` first on ``PYTHONPATH`` (so the
worker it starts and the plug-in it installs are that tree's too). Alternating the two spreads the
machine's noise over both sides alike.

Prints every output line that both revisions print alike (the same words, other numbers), with the
median of each number over the runs: ``BASE → this checkout``; then the lines only one of them
prints (a benchmark whose output changed), with their medians. The worktree is removed at the end.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREES = ROOT / ".bench-revisions"
LINKED = (".venv", ".gimp-root", ".gimp-root-3.2", ".gimp210-root")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")

Figures = dict[str, list[list[float]]]  # a line's words -> for each run, its numbers


def make_tree(base: str) -> Path:
    """A worktree of ``base`` beside this checkout's chroots and shared data."""
    tree = TREES / base
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--force", str(tree), base], check=True,
                   stdout=subprocess.DEVNULL)
    for name in LINKED:
        if (ROOT / name).exists():
            (tree / name).symlink_to(ROOT / name)
    if (ROOT.parent / "shared").exists() and not (TREES / "shared").exists():
        (TREES / "shared").symlink_to(ROOT.parent / "shared")
    return tree


def run(tree: Path, command: list[str], into: Figures) -> None:
    """Run ``command`` (a benchmark script of ``tree`` and its arguments); add its figures to ``into``."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, str(tree / "benchmarks" / command[0]), *command[1:]], cwd=tree, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if done.returncode:
        sys.exit(f"{command[0]} failed in {tree} (exit {done.returncode}):\n{done.stdout[-2000:]}")
    for line in done.stdout.splitlines():
        numbers = [float(n) for n in NUMBER.findall(line)]
        if numbers:
            into[NUMBER.sub("#", line.strip())].append(numbers)


def medians(runs: list[list[float]]) -> list[float]:
    """The median of each number over the runs that printed the line with as many numbers as the first."""
    alike = [numbers for numbers in runs if len(numbers) == len(runs[0])]
    return [statistics.median(column) for column in zip(*alike)]


def side_by_side(template: str, base: list[float], head: list[float]) -> str:
    """``template`` with each ``#`` replaced by ``base → head``."""
    pairs = iter(f"{b:g} → {h:g}" if b != h else f"{b:g}" for b, h in zip(base, head))
    return re.sub("#", lambda _: next(pairs), template)


def split_at_dashes(argv: list[str]) -> tuple[list[str], list[str]]:
    """This script's arguments, and the benchmark's (after ``--``)."""
    if "--" not in argv:
        return argv, []
    cut = argv.index("--")
    return argv[:cut], argv[cut + 1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base", help="the earlier commit (a hash, tag or branch)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (alternating)")
    parser.usage = "%(prog)s BASE [--runs N] -- BENCHMARK.py [its arguments]"
    ours, command = split_at_dashes(sys.argv[1:])
    args = parser.parse_args(ours)
    if not command:
        parser.error("name a benchmark after --, e.g. -- bench_core.py --repeats 3")
    figures: dict[str, Figures] = {"base": defaultdict(list), "head": defaultdict(list)}
    tree = make_tree(args.base)
    try:
        for index in range(args.runs):
            for side, where in (("base", tree), ("head", ROOT)):
                print(f"run {index + 1}/{args.runs}: {side} ({where})", file=sys.stderr, flush=True)
                run(where, command, figures[side])
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    print(f"{' '.join(command)}: medians of {args.runs} runs, {args.base} → this checkout "
          f"(load average now {os.getloadavg()[0]:.1f})")
    for template, runs in figures["head"].items():
        if template in figures["base"]:
            print(side_by_side(template, medians(figures["base"][template]), medians(runs)))
    for side, other, label in (("base", "head", args.base), ("head", "base", "this checkout")):
        alone = [template for template in figures[side] if template not in figures[other]]
        if alone:
            print(f"only at {label} (medians):")
            for template in alone:
                print("  " + side_by_side(template, *[medians(figures[side][template])] * 2))


if __name__ == "__main__":
    main()
