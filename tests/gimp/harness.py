"""Driving the real GIMP 3 of the chroots (tests/gimp/build_gimp_env.sh): shared by the plug-in
tests (headless and in the window) and benchmarks/bench_gimp.py; and the Python 2.7 chroot the
GIMP 2.10 plug-in's code runs in (PY27)."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class GimpEnv:
    """One chroot with one GIMP version: ``suite`` is what build_gimp_env.sh builds it from."""

    version: str
    suite: str
    root: Path

    def host_path(self, chroot_path: str) -> Path:
        """Where a path inside the chroot lies on this machine."""
        return self.root / chroot_path.lstrip("/")

    def prepare(self, work: str) -> Path:
        """Empty work folder ``work`` (chroot path) with ``state/``, /proc mounted, the plug-in installed
        by install.py into ``work/gimp`` and told to find the worker in ``work/state``; returns its host path."""
        host = self.host_path(work)
        shutil.rmtree(host, ignore_errors=True)
        (host / "state").mkdir(parents=True, mode=0o700)
        subprocess.run(["bash", str(ROOT / "tests" / "gimp" / "build_gimp_env.sh"), self.suite, str(self.root)],
                       check=True, capture_output=True)
        subprocess.run([sys.executable, str(ROOT / "install.py"), "--plugin-only", "--gimp-dir", str(host / "gimp"),
                        "--worker-dir", f"{work}/state"], check=True, capture_output=True)
        return host

    def command(self, work: str, *program: str, **env: str) -> list[str]:
        """``program`` run in the chroot with ``work``'s home and GIMP folder (and ``env``)."""
        variables = [f"HOME={work}/home", f"GIMP3_DIRECTORY={work}/gimp"] + [f"{k}={v}" for k, v in env.items()]
        return ["chroot", str(self.root), "env", *variables, *program]

    def console_command(self, work: str) -> list[str]:
        """gimp-console running a python-fu-eval script from standard input, with ``work``'s GIMP folder."""
        return self.command(work, "gimp-console-3", "-i", "-d", "-f", "--batch-interpreter=python-fu-eval", "-b", "-",
                            "--quit")

    def require(self) -> None:
        """Skip (fail in CI) when this chroot is not built or we are not root."""
        if not (self.root / ".hintcolor-ready").exists() or os.geteuid() != 0:
            if os.environ.get("CI"):
                pytest.fail(f"the GIMP {self.version} environment is missing: .ci/run builds it with "
                            f"tests/gimp/build_gimp_env.sh {self.suite}")
            pytest.skip(f"GIMP {self.version} chroot not built (tests/gimp/build_gimp_env.sh {self.suite}, as root)")


GIMPS = [GimpEnv("3.0", "trixie", ROOT / ".gimp-root"), GimpEnv("3.2", "forky", ROOT / ".gimp-root-3.2")]


@dataclass(frozen=True)
class Py27Env:
    """The Debian bullseye chroot with a real Python 2.7 (GIMP 2.10's Python), built by
    ``build_gimp_env.sh bullseye``; no GIMP 2.10 with Python can be installed anywhere here."""

    root: Path

    def host_path(self, chroot_path: str) -> Path:
        return self.root / chroot_path.lstrip("/")

    def require(self) -> None:
        """Skip (fail in CI) when the chroot is not built or we are not root."""
        if not (self.root / ".hintcolor-ready").exists() or os.geteuid() != 0:
            if os.environ.get("CI"):
                pytest.fail("the Python 2.7 environment is missing: .ci/run builds it with "
                            "tests/gimp/build_gimp_env.sh bullseye")
            pytest.skip("Python 2.7 chroot not built (tests/gimp/build_gimp_env.sh bullseye, as root)")

    def prepare(self, work: str) -> Path:
        """Empty work folder ``work`` (chroot path) with a private ``state/``; returns its host path."""
        self.require()
        host = self.host_path(work)
        shutil.rmtree(host, ignore_errors=True)
        (host / "state").mkdir(parents=True, mode=0o700)
        (host / "home").mkdir()
        return host

    def python(self, work: str, *args: str) -> list[str]:
        """``python2.7 args`` run in the chroot with ``work/home`` as home."""
        return ["chroot", str(self.root), "env", f"HOME={work}/home", "python2.7", *args]


PY27 = Py27Env(ROOT / ".py27-root")


def start_worker(host: Path, weights: Path | None, log, env: dict | None = None) -> subprocess.Popen:
    """``hintcolor serve`` on this machine, publishing itself in ``host/state`` (without weights: the
    automatic engine falls back to propagation, with a notice)."""
    return subprocess.Popen([sys.executable, "-m", "hintcolor", "serve", "--state-dir", str(host / "state"),
                             *(["--weights", str(weights)] if weights else []), "--idle-timeout", "600"], stderr=log, env=env)


def serve(host: Path, weights: Path | None, log, env: dict | None = None, timeout: float = 120) -> subprocess.Popen:
    """:func:`start_worker`, returned once it has published itself in ``host/state/worker.json``."""
    worker = start_worker(host, weights, log, env)
    deadline = time.monotonic() + timeout
    while not (host / "state" / "worker.json").exists():
        assert worker.poll() is None and time.monotonic() < deadline, (host / "worker.log").read_text()
        time.sleep(0.1)
    return worker


@contextlib.contextmanager
def worker_for(run, host: Path, weights: Path | None, env: dict | None = None):
    """A worker (:func:`serve`, logging to ``host/worker.log``; ``env``: its environment) for the
    duration, as ``run.worker`` (a test may replace it; that one is stopped at the end), with
    ``run.host``; yields ``run``."""
    with open(host / "worker.log", "w") as log:
        run.host, run.worker = host, serve(host, weights, log, env)
        try:
            yield run
        finally:
            run.worker.terminate()
            run.worker.wait(10)
