"""Shared fixtures: random weights in the official layout, the reference oracle, real photos."""
from __future__ import annotations

import math
import os
import sys
import tempfile
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from hintcolor.engines.model import AB_GRID_SIDE, NUM_AB_BINS, SIGGRAPH17

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ROOT.parent / "shared" / "data" / "photos"


def random_state_dict(seed: int = 0, with_batches_tracked: bool = False) -> dict[str, torch.Tensor]:
    """Random siggraph17 weights, scaled so activations stay in a useful range (He init,
    BatchNorm statistics away from identity); keys and shapes are the official ones."""
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, value in SIGGRAPH17().state_dict().items():
        if key.endswith("num_batches_tracked"):
            if with_batches_tracked:
                state[key] = torch.tensor(0)
            continue
        if key.endswith("running_var"):
            state[key] = 0.5 + torch.rand(value.shape, generator=generator)
        elif key.endswith("running_mean") or key.endswith("bias"):
            state[key] = 0.1 * torch.randn(value.shape, generator=generator)
        elif value.ndim == 1:  # BatchNorm weight
            state[key] = 0.5 + torch.rand(value.shape, generator=generator)
        else:
            fan_in = value[0].numel() if not key.endswith("up.0.weight") else value.shape[0] * 4
            state[key] = torch.randn(value.shape, generator=generator) * (2 / fan_in) ** 0.5
    state["model_out.0.weight"] *= 0.05  # keep tanh out of saturation
    return state


def hint_echo_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """Random weights plus an exact path from the hint planes to the output: at a hinted pixel the
    prediction is ``110·tanh(hint/110)`` (close to the hint for moderate colors), elsewhere random.
    Stands in for trained weights where a test needs "a hint pulls the color toward it"."""
    state = random_state_dict(seed)
    paths = [(1, +1.0), (1, -1.0), (2, +1.0), (2, -1.0)]  # feature k carries relu(±a), relu(±b)
    for block in ("model1.0", "model1.2", "model10.1", "model1short10.0"):
        state[f"{block}.weight"][:4] = 0
        state[f"{block}.bias"][:4] = 0
    for k, (channel, sign) in enumerate(paths):
        state["model1.0.weight"][k, channel, 1, 1] = sign
        for block in ("model1.2", "model10.1", "model1short10.0"):
            state[f"{block}.weight"][k, k, 1, 1] = 1.0
    state["model1.4.running_mean"][:4], state["model1.4.running_var"][:4] = 0, 1
    state["model1.4.weight"][:4], state["model1.4.bias"][:4] = 1, 0
    state["model10up.0.weight"][:, :4] = 0
    state["model10up.0.bias"][:4] = 0
    state["model_out.0.weight"][:, :4, 0, 0] = torch.tensor([[1.0, -1.0, 0, 0], [0, 0, 1.0, -1.0]])
    return state


@pytest.fixture(scope="session")
def echo_weights_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("weights") / "siggraph17-hint-echo.pth"
    torch.save(hint_echo_state_dict(), path)
    return path


@pytest.fixture(scope="session")
def weights_file(tmp_path_factory) -> Path:
    """Random weights saved like the official file (no num_batches_tracked)."""
    path = tmp_path_factory.mktemp("weights") / "siggraph17-random.pth"
    torch.save(random_state_dict(), path)
    return path


@pytest.fixture(scope="module")
def worker_process(tmp_path_factory, weights_file):
    """The worker as the plug-in starts it (its own process), with the tests' random weights; a
    WorkerClient for it. Shut down after the module's tests."""
    from hintcolor import __version__
    from hintcolor.worker.client import WorkerClient

    client = WorkerClient(python=sys.executable, folder=str(tmp_path_factory.mktemp("state")), version=__version__,
                          serve_args=["--weights", str(weights_file), "--idle-timeout", "120"])
    yield client
    client.request({"op": "shutdown"}, start=False)


@pytest.fixture(scope="session")
def colorizer(weights_file):
    from hintcolor import Colorizer

    return Colorizer(weights_file, device="cpu")


@pytest.fixture
def weights_env(weights_file, monkeypatch) -> Path:
    monkeypatch.setenv("HINTCOLOR_WEIGHTS", str(weights_file))
    return weights_file


@pytest.fixture(scope="session")
def reference():
    """The released reference code (PyPI rz-colorization, module ``colorizers``)."""
    sys.modules.setdefault("IPython", types.SimpleNamespace(embed=lambda *a, **k: None))
    from colorizers import util
    from colorizers.siggraph17 import SIGGRAPHGenerator

    return types.SimpleNamespace(SIGGRAPHGenerator=SIGGRAPHGenerator, util=util)


# Stand-ins from scikit-image's bundled samples when the Kodak photos are not beside this checkout
# (a fresh clone): real photos, made 768×512 like the Kodak ones the tests were written for.
SAMPLE_FOR = {"kodim03.png": "astronaut", "kodim05.png": "rocket", "kodim23.png": "coffee"}


def photo_path(name: str = "kodim23.png") -> Path:
    """A real photo: the Kodak one from ../shared/data/photos, else a scikit-image sample of the same size."""
    path = PHOTOS / name
    if path.is_file():
        return path
    if os.environ.get("CI") and PHOTOS.is_dir():
        pytest.fail(f"test photo {path} is missing from {PHOTOS}")
    return _sample_photo(SAMPLE_FOR.get(name, "coffee"))


def _sample_photo(sample: str) -> Path:
    from skimage import data

    path = Path(tempfile.gettempdir()) / f"hintcolor-sample-{sample}-768x512.png"
    if not path.is_file():
        image = Image.fromarray(getattr(data, sample)())
        width, height = image.size
        crop = min(width, height * 3 // 2), min(height, width * 2 // 3)  # 3:2, centred
        left, top = (width - crop[0]) // 2, (height - crop[1]) // 2
        image = image.crop((left, top, left + crop[0], top + crop[1])).resize((768, 512), Image.LANCZOS)
        partial = path.with_suffix(f".{os.getpid()}.tmp.png")
        image.save(partial)
        os.replace(partial, path)
    return path


def gray_photo(name: str = "kodim23.png") -> Image.Image:
    """A real color photo turned black-and-white (mode L)."""
    return Image.open(photo_path(name)).convert("L")


def color_photo(name: str = "kodim23.png") -> np.ndarray:
    return np.asarray(Image.open(photo_path(name)).convert("RGB"))


PEAK = 20.0  # softmax(logit × 0.2) with logits 5·(PEAK + ln p): the peaks hold p, all other bins ~e^-20


def bin_of(a: float, b: float) -> int:
    """Index of the distribution bin centred on (a, b)."""
    return int(round((a + 110) / 10)) * AB_GRID_SIDE + int(round((b + 110) / 10))


def peak_logits(peaks: dict[tuple[float, float], float]) -> torch.Tensor:
    """Class-head bias giving probability ``p`` at bin ``ab`` for each peak (weights zero)."""
    bias = torch.zeros(NUM_AB_BINS)
    for (a, b), p in peaks.items():
        bias[bin_of(a, b)] = 5 * (PEAK + math.log(p))
    return bias


def head_weights_file(folder, peaks: dict[tuple[float, float], float], state: dict | None = None) -> Path:
    """Weights (``state``, default random) whose class head peaks at ``peaks`` (ab: probability) everywhere."""
    state = dict(state) if state is not None else random_state_dict(2)
    state["model_class.0.weight"] = torch.zeros_like(state["model_class.0.weight"])
    state["model_class.0.bias"] = peak_logits(peaks)
    path = folder / "siggraph17-head.pth"
    torch.save(state, path)
    return path


#: The class head of ``suggest_weights_file``: two distant colors, the second more likely.
SUGGEST_PEAKS = {(-40, 30): 0.35, (30, -40): 0.65}


@pytest.fixture(scope="session")
def suggest_weights_file(tmp_path_factory) -> Path:
    """Hint-echo weights (hints pull colors) whose class head suggests SUGGEST_PEAKS everywhere."""
    return head_weights_file(tmp_path_factory.mktemp("weights"), SUGGEST_PEAKS, hint_echo_state_dict(3))
