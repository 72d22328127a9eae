"""The siggraph17 weights: where they are described, found, downloaded, verified and loaded.

Resolution order for the weights file: an explicit path (``--weights``, ``Colorizer(weights=...)``),
the environment variable ``HINTCOLOR_WEIGHTS``, the project's ``models/`` folder (source checkout),
the per-user data folder (``platformdirs``). Downloads try the file's sources in order and go
through ``pooch`` (SHA-256 check, atomic move into place) with a resuming downloader, so an
interrupted download continues where it stopped; a file got elsewhere is checked and installed by
:func:`add_weights`.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs
import torch

from ..errors import WeightsError
from .model import SIGGRAPH17

ENV_VAR = "HINTCOLOR_WEIGHTS"
PROJECT_MODELS_DIR = Path(__file__).resolve().parents[2] / "models"  # a source checkout's models/ (install.py fills it)


@dataclass(frozen=True)
class WeightsFile:
    """One downloadable weights file: where it comes from and how to recognise it.

    ``urls`` are its public sources, tried in order (the authors' first); a file from any of them is
    accepted only if its SHA-256 is ``sha256``, so a listed copy can be wrong or gone but never
    installed in its place.
    """

    filename: str
    urls: tuple[str, ...]
    sha256: str
    size: int  # bytes
    meta: dict


SIGGRAPH17_WEIGHTS = WeightsFile(
    filename="siggraph17-df00044c.pth",
    urls=(
        # The authors' address (richzhang/colorization, colorizers/siggraph17.py); their tracker has
        # reports of it answering 403 at times.
        "https://colorizers.s3.us-east-2.amazonaws.com/siggraph17-df00044c.pth",
        # A release asset of the public fork clibdev/colorization, whose README lists it as the
        # original pretrained SIGGRAPH 17 model under this name.
        "https://github.com/clibdev/colorization/releases/latest/download/siggraph17-df00044c.pth",
    ),
    sha256="df00044c0a4d7c3edcecf6f75437ce346a66e7a42612d9b968e1a7e17dbc6f66",
    size=136_787_426,
    meta={
        "paper": "Zhang et al., Real-Time User-Guided Image Colorization with Learned Deep Priors, SIGGRAPH 2017",
        "license": "BSD-2-Clause (richzhang/colorization)",
        "num_params": 34_187_027,
        "trained_size": (256, 256),
    },
)


def user_models_dir() -> Path:
    """Per-user folder for downloaded weights (e.g. ``~/.local/share/hintcolor/models``)."""
    return platformdirs.user_data_path("hintcolor") / "models"


def search_dirs() -> list[Path]:
    """Folders searched for the weights file, in order (after explicit path and env var)."""
    dirs = [user_models_dir()]
    if PROJECT_MODELS_DIR.is_dir():
        dirs.insert(0, PROJECT_MODELS_DIR)
    return dirs


def describe(spec: WeightsFile = SIGGRAPH17_WEIGHTS) -> str:
    """The file in words a person can check another copy against: name, size, SHA-256."""
    return f"{spec.filename} ({spec.size:,} bytes, {spec.size / 1e6:.1f} MB, SHA-256 {spec.sha256})"


def how_to_add(spec: WeightsFile = SIGGRAPH17_WEIGHTS) -> str:
    """One sentence telling the user how to provide the weights file."""
    places = " or ".join(str(d) for d in search_dirs())
    return (
        f"run 'hintcolor weights download' (needs internet), or get {describe(spec)} elsewhere and run "
        f"'hintcolor weights add FILE', or put it into {places}, or point --weights / {ENV_VAR} at the file"
    )


def _add_command(folder: Path) -> str:
    """The command that installs a weights file into ``folder`` (``--dest`` only where it is not the default)."""
    return "hintcolor weights add FILE" + ("" if folder == user_models_dir() else f" --dest {folder}")


def find_weights(explicit: str | os.PathLike | None = None, spec: WeightsFile = SIGGRAPH17_WEIGHTS) -> Path:
    """Path of the weights file to use; :class:`WeightsError` saying how to add it if there is none."""
    for given, origin in ((explicit, "given"), (os.environ.get(ENV_VAR) or None, f"named by {ENV_VAR}")):
        if given is not None:
            path = Path(given).expanduser()
            if not path.is_file():
                raise WeightsError(f"weights file {path} ({origin}) does not exist; check the path")
            return path
    for folder in search_dirs():
        if (folder / spec.filename).is_file():
            return folder / spec.filename
    raise WeightsError(f"siggraph17 weights not found: {how_to_add(spec)}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Read a siggraph17 ``state_dict`` safely (``weights_only=True``) and check its keys and shapes."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for foreign files
        if "GLOBAL" in str(e) or "Unsupported global" in str(e):
            reason = "it holds Python objects, not only tensors, and was refused because loading it could run code"
        else:
            reason = f"it is not a PyTorch weights file (corrupt, truncated or another kind of file: {type(e).__name__})"
        raise WeightsError(f"cannot use weights file {path}: {reason}") from e
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"cannot use weights file {path}: it is not a state_dict of tensors")
    problems = _layout_problems(state)
    if problems:
        raise WeightsError(f"weights file {path} is not a siggraph17 state_dict: {problems}")
    return state


def _layout_problems(state: dict[str, torch.Tensor]) -> str:
    """Empty string if ``state`` matches SIGGRAPH17's keys and shapes (``num_batches_tracked`` optional)."""
    with torch.device("meta"):  # shapes only: no memory, no random initialisation
        expected = {k: v.shape for k, v in SIGGRAPH17().state_dict().items()}
    optional = {k for k in expected if k.endswith("num_batches_tracked")}
    missing = sorted(set(expected) - set(state) - optional)
    unexpected = sorted(set(state) - set(expected))
    reshaped = sorted(k for k in set(state) & set(expected) if state[k].shape != expected[k])
    parts = []
    for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", reshaped)):
        if keys:
            more = f" (+{len(keys) - 3} more)" if len(keys) > 3 else ""
            parts.append(f"{label} {', '.join(keys[:3])}{more}")
    return "; ".join(parts)


def load_model(weights: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> SIGGRAPH17:
    """Build :class:`SIGGRAPH17` from the weights, loaded strictly, on ``device``, in eval mode.

    The module is built without memory (meta device) and takes the file's tensors as they are:
    no random initialisation of 34 M parameters that the weights would overwrite.
    """
    state = load_state_dict(find_weights(weights))
    with torch.device("meta"):
        net = SIGGRAPH17()
    for key in net.state_dict():  # the official file has no BatchNorm counters; strict loading accepts that
        if key.endswith("num_batches_tracked"):
            state.setdefault(key, torch.zeros((), dtype=torch.long))
    net.load_state_dict(state, strict=True, assign=True)
    return net.to(device).eval().requires_grad_(False)


def download_weights(
    dest: str | os.PathLike | None = None, spec: WeightsFile = SIGGRAPH17_WEIGHTS, progress: bool = True
) -> Path:
    """Download ``spec`` into ``dest`` (default :func:`user_models_dir`), verify SHA-256, return its path.

    Already present and intact: returned without downloading. Otherwise each of ``spec.urls`` is
    tried in turn until one delivers the file with the right SHA-256. An interrupted download leaves
    ``<file>.part``, which the next try (of any source) continues; a file whose hash does not match
    is deleted. Nothing is ever left under the final name unless it is verified. When every source
    fails, :class:`WeightsError` says why for each and which file to get, where it goes and how.
    """
    from .download import DownloadFailed  # requests and tqdm: loaded only to download

    folder = Path(dest) if dest is not None else user_models_dir()
    failures = []
    for url in spec.urls:
        if progress:
            print(f"hintcolor: downloading {spec.filename} from {url}", file=sys.stderr)
        try:
            return _download_from(url, folder, spec, progress)
        except DownloadFailed as e:
            failures.append(f"{url}: {e}")
            if progress:
                print(f"hintcolor: that failed: {e}", file=sys.stderr)
        except OSError as e:
            raise WeightsError(f"cannot write weights into {folder}: {e.strerror or e}") from e
    raise WeightsError(
        f"could not download the siggraph17 weights ({'; '.join(failures)}). Get {describe(spec)} from any "
        f"copy you trust and run '{_add_command(folder)}': it checks the file and installs it as "
        f"{folder / spec.filename}"
    )


def _download_from(url: str, folder: Path, spec: WeightsFile, progress: bool) -> Path:
    """``spec`` from ``url`` into ``folder``, continuing the part file; :class:`DownloadFailed` if it fails.

    A part continued from an earlier try may hold another source's bytes; if the whole file's SHA-256
    is wrong then, the part is gone (pooch deleted it) and ``url`` is tried once more from the start.
    """
    import pooch

    from .download import DownloadFailed, ResumingDownloader

    part = folder / f"{spec.filename}.part"
    resumed = part.is_file()
    fetcher = pooch.create(path=folder, base_url="", registry={spec.filename: f"sha256:{spec.sha256}"},
                           urls={spec.filename: url})
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # download_weights says where it downloads from, if progress is wanted
    try:
        return Path(fetcher.fetch(spec.filename, downloader=ResumingDownloader(part, spec.size, progress)))
    except ValueError:  # pooch: SHA-256 mismatch, the file deleted
        if resumed:
            return _download_from(url, folder, spec, progress)
        raise DownloadFailed("it served a file with another SHA-256 (deleted)") from None
    finally:
        logger.setLevel(level)


def add_weights(file: str | os.PathLike, dest: str | os.PathLike | None = None,
                spec: WeightsFile = SIGGRAPH17_WEIGHTS) -> tuple[Path, bool]:
    """Install a copy of ``file`` (got elsewhere) into ``dest`` (default :func:`user_models_dir`).

    Accepted only with ``spec``'s SHA-256 and a siggraph17 layout (read with ``weights_only=True``);
    :class:`WeightsError` otherwise, nothing written. The copy is hashed as it is written to a
    temporary file beside the target and moved into place only if it matches, so the target is never
    half-written; ``file`` itself is never moved or changed. Returns (installed path, whether it was
    copied); False when an intact copy was already there.
    """
    source = Path(file).expanduser()
    target = (Path(dest) if dest is not None else user_models_dir()) / spec.filename
    try:
        digest, size = sha256_of(source), source.stat().st_size
    except OSError as e:
        raise WeightsError(f"cannot read {source}: {e.strerror or e}") from e
    if digest != spec.sha256:
        raise WeightsError(
            f"{source} is not {spec.filename}: its SHA-256 is {digest} ({size:,} bytes), the official file's "
            f"{spec.sha256} ({spec.size:,} bytes); nothing installed"
        )
    load_state_dict(source)
    if target.is_file() and sha256_of(target) == spec.sha256:
        return target, False
    try:
        _copy_verified(source, target, spec.sha256)
    except OSError as e:
        raise WeightsError(f"cannot install weights into {target.parent}: {e.strerror or e}") from e
    return target, True


def _copy_verified(source: Path, target: Path, sha256: str) -> None:
    """Copy ``source`` to ``target`` through a temporary file in its folder, hashing what is written;
    ``os.replace`` puts it in place only if the hash is ``sha256`` (the source may change meanwhile)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with open(source, "rb") as src, os.fdopen(fd, "wb") as out:
            digest = hashlib.sha256()
            for block in iter(lambda: src.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            raise WeightsError(f"{source} changed while it was copied; nothing installed, try again")
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
