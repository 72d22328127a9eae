"""The siggraph17 weights: where they are described, found, downloaded, verified and loaded.

Resolution order for the weights file: an explicit path (``--weights``, ``Colorizer(weights=...)``),
the environment variable ``HINTCOLOR_WEIGHTS``, the project's ``models/`` folder (source checkout),
the per-user data folder (``platformdirs``). Downloads go through ``pooch`` (hash check, atomic
move into place) with a resuming downloader, so an interrupted download continues where it stopped.
"""
from __future__ import annotations

import hashlib
import os
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
    """One downloadable weights file: where it comes from and how to recognise it."""

    filename: str
    url: str
    sha256: str
    size: int
    meta: dict


SIGGRAPH17_WEIGHTS = WeightsFile(
    filename="siggraph17-df00044c.pth",
    url="https://colorizers.s3.us-east-2.amazonaws.com/siggraph17-df00044c.pth",
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


def how_to_add(spec: WeightsFile = SIGGRAPH17_WEIGHTS) -> str:
    """One sentence telling the user how to provide the weights file."""
    places = " or ".join(str(d) for d in search_dirs())
    return (
        f"run 'hintcolor weights download' (needs internet), or download {spec.url} by hand into "
        f"{places}, or point --weights / {ENV_VAR} at the file"
    )


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

    Already present and intact: returned without downloading. An interrupted download leaves
    ``<file>.part``, which the next call resumes (HTTP range request). A file whose hash does not
    match is deleted; nothing is ever left under the final name unless it is verified.
    """
    import pooch
    import requests

    from .download import ResumingDownloader

    folder = Path(dest) if dest is not None else user_models_dir()
    fetcher = pooch.create(
        path=folder,
        base_url="",
        registry={spec.filename: f"sha256:{spec.sha256}"},
        urls={spec.filename: spec.url},
        retry_if_failed=2,
    )
    downloader = ResumingDownloader(folder / f"{spec.filename}.part", progress=progress)
    try:
        return Path(fetcher.fetch(spec.filename, downloader=downloader))
    except requests.RequestException as e:
        raise WeightsError(f"could not download {spec.url} ({type(e).__name__}); {how_to_add(spec)}") from e
    except ValueError as e:
        raise WeightsError(
            f"the file downloaded from {spec.url} does not have the expected SHA-256 {spec.sha256} and was "
            f"deleted; try again later, or {how_to_add(spec)}"
        ) from e
    except OSError as e:
        raise WeightsError(f"cannot write weights into {folder}: {e.strerror or e}") from e
