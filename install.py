#!/usr/bin/env python3
"""One-command set-up of hintcolor: ``python3 install.py``.

1. creates ``.venv`` (a virtual environment beside this file);
2. installs PyTorch (see ``choose_torch``: never a multi-GB CUDA build unless asked for or a
   NVIDIA GPU is present), then hintcolor itself (editable) with its test tools;
3. fetches the network weights into ``models/`` (the authors' address, then public copies, each
   checked by SHA-256); when none delivers them it says in one line which file to get and how to
   add it, and goes on;
4. colorizes an example made from scikit-image's astronaut photo and prints where it is;
5. installs the GIMP plug-in for every GIMP 3.x and GIMP 2.10 user folder found (``--uninstall``
   removes it).

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
PLUGIN = ROOT / "gimp_plugin"
GIMP2_LIB = "hintcolor_lib"  # beside GIMP 2.10's plug-ins/hintcolor.py: its modules, client, protocol and config
#: The worker's modules the plug-ins load, and the names they have beside them.
WORKER_MODULES = {"client.py": "hintcolor_client.py", "protocol.py": "hintcolor_protocol.py"}


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
    parser.add_argument("--gimp2-dir", action="append", default=[], metavar="DIR",
                        help="a GIMP 2.10 user folder to install the plug-in into (repeatable; default: all "
                             "found). With --gimp-dir or --gimp2-dir, only the folders named are used")
    parser.add_argument("--worker-dir", metavar="DIR",
                        help="state folder the plug-in uses to find the worker (for a GIMP in a sandbox that "
                             "reaches a 'hintcolor serve --state-dir DIR' started outside it)")
    parser.add_argument("--plugin-only", action="store_true", help="only (re)install the GIMP plug-in")
    parser.add_argument("--uninstall", action="store_true", help="remove the GIMP plug-in from the GIMP folders")
    args = parser.parse_args()

    venv = Path(args.venv)
    python = venv_python(venv)
    gimp3, gimp2 = gimp_folders(args.gimp_dir, args.gimp2_dir)
    if args.uninstall:
        return uninstall_plugins(gimp3, gimp2)
    if args.plugin_only:
        return install_plugins(gimp3, gimp2, python, None, args.worker_dir)
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
    install_plugins(gimp3, gimp2, python, weights, args.worker_dir)
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


def fetch_weights(python: Path, dest: Path = ROOT / "models") -> str | None:
    """Path of usable weights, downloading them into ``dest`` if needed; None if no source delivers them.

    ``hintcolor weights download`` tries the authors' address, then public copies, and shows its
    progress; when all fail, its one-line error says which file to get, where it goes and the command
    that installs it. The rest of the set-up goes on without weights (the propagation engine).
    """
    found = subprocess.run([str(python), "-m", "hintcolor", "weights", "path"], capture_output=True, text=True)
    if found.returncode == 0:
        step(f"network weights: {found.stdout.strip()}")
        return found.stdout.strip()
    step(f"downloading the network weights (137 MB) into {dest}")
    got = subprocess.run([str(python), "-m", "hintcolor", "weights", "download", "--dest", str(dest)],
                         stdout=subprocess.PIPE, text=True)
    if got.returncode == 0:
        return got.stdout.strip().splitlines()[-1]
    step(f"network weights not installed, as said above ('hintcolor' is {python.parent / 'hintcolor'}); "
         "until they are, colors come only from your hints (the propagation engine)")
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


def gimp_folders(gimp3: list[str], gimp2: list[str]) -> tuple[list[Path], list[Path]]:
    """(GIMP 3.x, GIMP 2.10) user folders: those named (of either kind; then only those), else
    ``GIMP3_DIRECTORY`` / ``GIMP2_DIRECTORY`` where set, else every existing one of Linux (also
    Flatpak), macOS and Windows."""
    if gimp3 or gimp2:
        return [Path(d).expanduser() for d in gimp3], [Path(d).expanduser() for d in gimp2]
    home = Path.home()
    bases = [
        Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "GIMP",
        home / ".var/app/org.gimp.GIMP/config/GIMP",
        home / "Library/Application Support/GIMP",
    ]
    if os.environ.get("APPDATA"):
        bases.append(Path(os.environ["APPDATA"]) / "GIMP")

    def found(variable: str, versions: tuple[str, ...]) -> list[Path]:
        if os.environ.get(variable):
            return [Path(os.environ[variable])]
        return [base / version for base in bases for version in versions if (base / version).is_dir()]

    return found("GIMP3_DIRECTORY", GIMP_VERSIONS), found("GIMP2_DIRECTORY", ("2.10",))


def install_plugins(gimp3: list[Path], gimp2: list[Path], python: Path, weights: str | None,
                    worker_dir: str | None) -> int:
    """Install the GIMP 3 plug-in into each of ``gimp3`` and the GIMP 2.10 one into each of ``gimp2``,
    each with the shared modules, the worker protocol and the config beside it."""
    if not gimp3 and not gimp2:
        step("GIMP: no GIMP 3 or GIMP 2.10 user folder found (start GIMP once, or pass --gimp-dir / "
             "--gimp2-dir DIR); plug-in not installed")
        return 0
    if not python.exists():
        raise SystemExit(f"[install] {python} does not exist: run 'python3 install.py' first")
    facts = subprocess.run([str(python), "-c", "import json, hintcolor, hintcolor.worker.client as c; "
                            "print(json.dumps([hintcolor.__version__, c.state_dir()]))"],
                           check=True, capture_output=True, text=True)
    version, default_state_dir = json.loads(facts.stdout)
    config = {"python": str(python), "weights": weights, "version": version,
              "state_dir": str(Path(worker_dir).resolve()) if worker_dir else default_state_dir}
    for folder in gimp3:  # GIMP 3 loads plug-ins/<name>/<name>.py, executable
        target = folder / "plug-ins" / PLUGIN_NAME
        copy_modules(target, sorted((PLUGIN / PLUGIN_NAME).glob("*.py")), config)
        (target / f"{PLUGIN_NAME}.py").chmod(0o755)
        step(f"GIMP plug-in installed in {target} (Filters > Colors > Colorize with Hints...)")
    for folder in gimp2:  # GIMP 2.10 loads an executable plug-ins/<name>.py; its modules go in a folder beside it
        plugins = folder / "plug-ins"
        copy_modules(plugins / GIMP2_LIB, sorted((PLUGIN / "gimp2").glob("hintcolor2_*.py")), config)
        shutil.copyfile(PLUGIN / "gimp2" / f"{PLUGIN_NAME}.py", plugins / f"{PLUGIN_NAME}.py")
        (plugins / f"{PLUGIN_NAME}.py").chmod(0o755)
        step(f"GIMP 2.10 plug-in installed in {plugins} (Filters > Colors > Colorize with Hints...)")
    return 0


def copy_modules(target: Path, modules: list[Path], config: dict) -> None:
    """``modules``, the modules both plug-ins share, the worker's client and protocol and the config into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for module in modules + sorted((PLUGIN / "shared").glob("*.py")):
        shutil.copyfile(module, target / module.name)
    for module, name in WORKER_MODULES.items():
        shutil.copyfile(ROOT / "hintcolor" / "worker" / module, target / name)
    (target / "hintcolor.json").write_text(json.dumps(config, indent=1) + "\n")


def uninstall_plugins(gimp3: list[Path], gimp2: list[Path]) -> int:
    for folder in gimp3:
        target = folder / "plug-ins" / PLUGIN_NAME
        if (target / f"{PLUGIN_NAME}.py").is_file():
            shutil.rmtree(target)
            step(f"removed {target}")
    for folder in gimp2:
        plugins = folder / "plug-ins"
        if (plugins / GIMP2_LIB / "hintcolor_client.py").is_file():
            shutil.rmtree(plugins / GIMP2_LIB)
            (plugins / f"{PLUGIN_NAME}.py").unlink(missing_ok=True)
            step(f"removed {plugins / (PLUGIN_NAME + '.py')} and {plugins / GIMP2_LIB}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as e:
        print(f"[install] failed: {' '.join(map(str, e.cmd))} exited with {e.returncode}; see the messages above",
              file=sys.stderr)
        sys.exit(1)
