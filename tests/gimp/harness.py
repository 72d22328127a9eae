"""Driving the real GIMPs of the chroots (tests/gimp/build_gimp_env.sh): GIMP 3 (GIMPS), shared by the
plug-in tests (headless and in the window) and benchmarks/bench_gimp.py, and GIMP 2.10 with Python-Fu
(GIMP210), whose Python 2.7 also runs the client's tests (PY27)."""
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
class Gimp210Env:
    """The Debian bullseye chroot with a real GIMP 2.10.22 and Python-Fu for its Python 2.7, built by
    ``build_gimp_env.sh bullseye``: runs the GIMP 2.10 plug-in headless (python-fu-eval batches) and in
    the window, and its python2.7 runs the client's tests under GIMP 2.10's Python."""

    root: Path
    version = "2.10"
    suite = "bullseye"

    def host_path(self, chroot_path: str) -> Path:
        return self.root / chroot_path.lstrip("/")

    def require(self) -> None:
        """Skip (fail in CI) when the chroot is not built or we are not root."""
        if not (self.root / ".hintcolor-ready").exists() or os.geteuid() != 0:
            if os.environ.get("CI"):
                pytest.fail("the GIMP 2.10 environment is missing: .ci/run builds it with "
                            "tests/gimp/build_gimp_env.sh bullseye")
            pytest.skip("GIMP 2.10 chroot not built (tests/gimp/build_gimp_env.sh bullseye, as root)")

    def prepare(self, work: str) -> Path:
        """Empty work folder ``work`` (chroot path) with a private ``state/`` and ``home/``, /proc mounted;
        returns its host path."""
        self.require()
        host = self.host_path(work)
        shutil.rmtree(host, ignore_errors=True)
        (host / "state").mkdir(parents=True, mode=0o700)
        (host / "home").mkdir()
        subprocess.run(["bash", str(ROOT / "tests" / "gimp" / "build_gimp_env.sh"), self.suite, str(self.root)],
                       check=True, capture_output=True)
        return host

    def install(self, work: str, folder: str = "gimp2", state: str | None = None) -> None:
        """GIMP's profile ``work/folder`` made by GIMP itself (one made by hand skips GIMP's user install),
        then the plug-in installed into it by install.py, told to find the worker in ``state`` (chroot
        path; default ``work/state``)."""
        done = subprocess.run(self.command(work, "gimp-console-2.10", "-idf", "-b", "(gimp-quit 0)", folder=folder),
                              capture_output=True, text=True, timeout=120)
        assert (self.host_path(work) / folder / "pluginrc").exists(), done.stderr[-2000:]
        subprocess.run([sys.executable, str(ROOT / "install.py"), "--plugin-only", "--gimp2-dir",
                        str(self.host_path(work) / folder), "--worker-dir", state or f"{work}/state"], check=True,
                       capture_output=True)

    def command(self, work: str, *program: str, folder: str = "gimp2", **env: str) -> list[str]:
        """``program`` run in the chroot with ``work``'s home and GIMP profile ``work/folder`` (and ``env``)."""
        variables = [f"HOME={work}/home", f"GIMP2_DIRECTORY={work}/{folder}"] + [f"{k}={v}" for k, v in env.items()]
        return ["chroot", str(self.root), "env", *variables, *program]

    def console_command(self, work: str, folder: str = "gimp2") -> list[str]:
        """gimp-console-2.10 running a python-fu-eval script from standard input (all of it is one batch
        command), then quitting (also after an exception; GIMP 2.10 has no --quit). Its exit status is 0
        whatever happened."""
        return self.command(work, "timeout", "600", "gimp-console-2.10", "-idf", "--batch-interpreter",
                            "python-fu-eval", "-b", "-", "-b", "pdb.gimp_quit(1)", folder=folder)

    def python(self, work: str, *args: str) -> list[str]:
        """``python2.7 args`` run in the chroot with ``work/home`` as home."""
        return ["chroot", str(self.root), "env", f"HOME={work}/home", "python2.7", *args]


GIMP210 = Gimp210Env(ROOT / ".gimp210-root")
PY27 = GIMP210  # GIMP 2.10's Python 2.7, for the client's tests


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
