#!/usr/bin/env python3
"""One-command set-up of hintcolor: ``python3 install.py``.

1. creates ``.venv`` (a virtual environment beside this file);
2. installs PyTorch (see ``choose_torch``: never a multi-GB CUDA build unless asked for or a
   NVIDIA GPU is present), then hintcolor itself (editable) with its test tools;
3. fetches the network weights into ``models/`` when the internet is reachable; offline it says
   in one line how to add them and goes on;
4. colorizes an example made from scikit-image's astronaut photo and prints where it is;
5. installs the GIMP 3 plug-in for every GIMP 3.x user folder found (``--uninstall`` removes it).

Standard library only: it runs with any Python >= 3.9.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
EXAMPLES = ROOT / "examples"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PLUGIN_NAME = "hintcolor"
GIMP_VERSIONS = ("3.0", "3.2")


def main() -> int:
    parser = argparse.ArgumentParser(description="Set up hintcolor in a virtual environment.")
    parser.add_argument("--venv", default=str(ROOT / ".venv"), help="virtual environment folder (default .venv)")
    parser.add_argument("--torch", metavar="PIP-ARGS",
                        help='how to install PyTorch, as pip arguments, e.g. "torch --index-url '
                             'https://download.pytorch.org/whl/cu124" (default: chosen for this machine)')
    parser.add_argument("--no-weights", action="store_true", help="do not try to download the network weights")
    parser.add_argument("--no-example", action="store_true", help="do not colorize the example photo")
    parser.add_argument("--gimp-dir", action="append", default=[], metavar="DIR",
                        help="a GIMP 3 user folder to install the plug-in into (repeatable; default: all found)")
    parser.add_argument("--worker-dir", metavar="DIR",
                        help="state folder the plug-in uses to find the worker (for a GIMP in a sandbox that "
                             "reaches a 'hintcolor serve --state-dir DIR' started outside it)")
    parser.add_argument("--plugin-only", action="store_true", help="only (re)install the GIMP plug-in")
    parser.add_argument("--uninstall", action="store_true", help="remove the GIMP plug-in from the GIMP folders")
    args = parser.parse_args()

    venv = Path(args.venv)
    python = venv_python(venv)
    if args.uninstall:
        return uninstall_plugins(gimp_folders(args.gimp_dir))
    if args.plugin_only:
        return install_plugins(gimp_folders(args.gimp_dir), python, None, args.worker_dir)
    if not python.exists():
        step(f"creating virtual environment {venv}")
        run([sys.executable, "-m", "venv", str(venv)])
    if has_torch(python):
        step("PyTorch already installed in the environment: kept")
    else:
        torch_args = shlex.split(args.torch) if args.torch else choose_torch()
        step(f"installing PyTorch: pip install {' '.join(torch_args)}")
        pip(python, *torch_args)
    step("installing hintcolor and its test tools")
    pip(python, "-e", f"{ROOT}[test]")
    weights = None if args.no_weights else fetch_weights(python)
    if not args.no_example:
        colorize_example(python, weights)
    install_plugins(gimp_folders(args.gimp_dir), python, weights, args.worker_dir)
    print(f"done. Use: {python.parent / 'hintcolor'} --help   (tests: {python} -m pytest)")
    return 0


def step(text: str) -> None:
    print(f"[install] {text}", flush=True)


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, **kwargs)


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def pip(python: Path, *args: str) -> None:
    run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args])


def has_torch(python: Path) -> bool:
    return subprocess.run([str(python), "-c", "import torch"], capture_output=True).returncode == 0


def choose_torch() -> list[str]:
    """pip arguments for a PyTorch that fits this machine.

    - A torch wheel in pip's configured ``find-links`` (a machine with a local wheel, as our CI):
      that exact version, so pip takes the local file.
    - Linux without an NVIDIA driver: the CPU build from PyTorch's CPU index (~200 MB instead of
      several GB of CUDA libraries).
    - Otherwise (NVIDIA Linux, Windows, macOS): PyPI's default build (CUDA on Linux, CPU on
      Windows, MPS-capable on macOS). Other builds: ``--torch``.
    """
    local = local_torch_wheels()
    if local:
        version = Path(local[-1]).name.split("-")[1].split("+")[0]
        return [f"torch=={version}"]
    has_nvidia = Path("/proc/driver/nvidia").exists() or shutil.which("nvidia-smi") is not None
    if platform.system() == "Linux" and not has_nvidia:
        return ["torch", "--index-url", CPU_INDEX]
    return ["torch"]


def local_torch_wheels() -> list[str]:
    """torch wheels in the folders pip is configured to look in (``PIP_FIND_LINKS`` / pip config)."""
    folders = os.environ.get("PIP_FIND_LINKS", "").split()
    config = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True)
    for line in config.stdout.splitlines():
        if "find-links" in line:
            folders += line.split("=", 1)[1].strip().strip("'\"").split()
    return sorted(w for f in folders if os.path.isdir(f) for w in glob.glob(os.path.join(f, "torch-*.whl")))


def fetch_weights(python: Path) -> str | None:
    """Path of usable weights, downloading them into models/ if needed; None (one line said) if offline."""
    found = subprocess.run([str(python), "-m", "hintcolor", "weights", "path"], capture_output=True, text=True)
    if found.returncode == 0:
        step(f"network weights: {found.stdout.strip()}")
        return found.stdout.strip()
    step("downloading the network weights (130 MB) into models/")
    got = subprocess.run([str(python), "-m", "hintcolor", "weights", "download", "--dest", str(ROOT / "models")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if got.returncode == 0:
        return got.stdout.strip().splitlines()[-1]
    print("[install] network weights missing (no download possible here): put siggraph17-df00044c.pth into "
          f"{ROOT / 'models'} or set HINTCOLOR_WEIGHTS, then run 'hintcolor weights verify'", flush=True)
    return None


def colorize_example(python: Path, weights: str | None) -> None:
    """Make a black-and-white astronaut from scikit-image's sample and colorize it with example hints
    (with the network, or without weights with the propagation engine)."""
    out = EXAMPLES / "output"
    out.mkdir(parents=True, exist_ok=True)
    gray = out / "astronaut_bw.png"
    run([str(python), "-c", "import sys; from PIL import Image; from skimage import data; "
         "Image.fromarray(data.astronaut()).convert('L').save(sys.argv[1])", str(gray)])
    result = out / "astronaut_colorized.png"
    run([str(python), "-m", "hintcolor", "colorize", str(gray), "-o", str(result), "--overwrite",
         "--hints", str(EXAMPLES / "astronaut_hints.json")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if weights is None:
        step("example: the network weights are missing, so the example used the propagation engine (hints only)")
    step(f"example: colorized {gray.name} with examples/astronaut_hints.json -> {result}")


def gimp_folders(explicit: list[str]) -> list[Path]:
    """GIMP 3.x user folders: those named, else ``GIMP3_DIRECTORY``, else every existing one of
    Linux (also Flatpak), macOS and Windows for GIMP 3.0 and 3.2."""
    if explicit:
        return [Path(d).expanduser() for d in explicit]
    if os.environ.get("GIMP3_DIRECTORY"):
        return [Path(os.environ["GIMP3_DIRECTORY"])]
    home = Path.home()
    bases = [
        Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "GIMP",
        home / ".var/app/org.gimp.GIMP/config/GIMP",
        home / "Library/Application Support/GIMP",
    ]
    if os.environ.get("APPDATA"):
        bases.append(Path(os.environ["APPDATA"]) / "GIMP")
    return [base / version for base in bases for version in GIMP_VERSIONS if (base / version).is_dir()]


def install_plugins(folders: list[Path], python: Path, weights: str | None, worker_dir: str | None) -> int:
    """Copy the plug-in (GIMP 3 rule: plug-ins/<name>/<name>.py, executable), the modules beside it,
    the worker protocol and the config."""
    if not folders:
        step("GIMP 3: no user folder found (start GIMP once, or pass --gimp-dir DIR); plug-in not installed")
        return 0
    if not python.exists():
        raise SystemExit(f"[install] {python} does not exist: run 'python3 install.py' first")
    facts = subprocess.run([str(python), "-c", "import json, hintcolor, hintcolor.client as c; "
                            "print(json.dumps([hintcolor.__version__, c.state_dir()]))"],
                           check=True, capture_output=True, text=True)
    version, default_state_dir = json.loads(facts.stdout)
    config = {"python": str(python), "weights": weights, "version": version,
              "state_dir": str(Path(worker_dir).resolve()) if worker_dir else default_state_dir}
    for folder in folders:
        target = folder / "plug-ins" / PLUGIN_NAME
        target.mkdir(parents=True, exist_ok=True)
        for module in sorted((ROOT / "gimp_plugin" / PLUGIN_NAME).glob("*.py")):
            shutil.copyfile(module, target / module.name)
        (target / f"{PLUGIN_NAME}.py").chmod(0o755)
        shutil.copyfile(ROOT / "hintcolor" / "client.py", target / "hintcolor_client.py")
        (target / "hintcolor.json").write_text(json.dumps(config, indent=1) + "\n")
        step(f"GIMP plug-in installed in {target} (Filters > Colors > Colorize with Hints...)")
    return 0


def uninstall_plugins(folders: list[Path]) -> int:
    for folder in folders:
        target = folder / "plug-ins" / PLUGIN_NAME
        if (target / f"{PLUGIN_NAME}.py").is_file():
            shutil.rmtree(target)
            step(f"removed {target}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as e:
        print(f"[install] failed: {' '.join(map(str, e.cmd))} exited with {e.returncode}; see the messages above",
              file=sys.stderr)
        sys.exit(1)
