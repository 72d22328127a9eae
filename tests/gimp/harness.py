"""Driving the real GIMP 3 of the chroot (tests/gimp/build_gimp_env.sh): shared by the plug-in
tests and benchmarks/bench_gimp.py."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GIMP_ROOT = ROOT / ".gimp-root"


def host_path(chroot_path: str) -> Path:
    """Where a path inside the chroot lies on this machine."""
    return GIMP_ROOT / chroot_path.lstrip("/")


def prepare(work: str) -> Path:
    """Empty work folder ``work`` (chroot path) with ``state/``, /proc mounted, the plug-in installed
    by install.py into ``work/gimp`` and told to find the worker in ``work/state``; returns its host path."""
    host = host_path(work)
    shutil.rmtree(host, ignore_errors=True)
    (host / "state").mkdir(parents=True)
    subprocess.run(["bash", str(ROOT / "tests" / "gimp" / "build_gimp_env.sh"), str(GIMP_ROOT)], check=True,
                   capture_output=True)
    subprocess.run([sys.executable, str(ROOT / "install.py"), "--plugin-only", "--gimp-dir", str(host / "gimp"),
                    "--worker-dir", f"{work}/state"], check=True, capture_output=True)
    return host


def console_command(work: str) -> list[str]:
    """gimp-console running a python-fu-eval script from standard input, with ``work``'s GIMP folder."""
    return ["chroot", str(GIMP_ROOT), "env", f"HOME={work}/home", f"GIMP3_DIRECTORY={work}/gimp",
            "gimp-console-3.0", "-i", "-d", "-f", "--batch-interpreter=python-fu-eval", "-b", "-", "--quit"]


def start_worker(host: Path, weights: Path, log) -> subprocess.Popen:
    """``hintcolor serve`` on this machine, publishing itself in ``host/state``."""
    return subprocess.Popen([sys.executable, "-m", "hintcolor", "serve", "--state-dir", str(host / "state"),
                             "--weights", str(weights), "--idle-timeout", "600"], stderr=log)
