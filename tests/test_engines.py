"""The engines behind one interface: what each says it can do, the one place an engine is chosen,
per-call options that leave the colorizer as it was, and what the worker tells the plug-ins."""
import threading

import numpy as np
import pytest
import torch

from hintcolor import Colorizer, Hint
from hintcolor.engines import ENGINES, load_engine, options_used
from hintcolor.engines import weights as weights_module
from hintcolor.worker.client import WorkerClient

from conftest import gray_photo


@pytest.fixture
def no_weights(tmp_path, monkeypatch):
    monkeypatch.delenv("HINTCOLOR_WEIGHTS", raising=False)
    monkeypatch.setattr(weights_module, "search_dirs", lambda: [tmp_path / "models"])


def test_each_engine_says_what_it_can(weights_file, no_weights):
    network, propagation = Colorizer(weights_file, device="cpu"), Colorizer(engine="propagate")
    assert (network.engine, network.can_suggest, network.needs_hints) == ("siggraph17", True, False)
    assert (propagation.engine, propagation.can_suggest, propagation.needs_hints) == ("propagate", False, True)
    assert network.working_size(4000, 3000) == (344, 256) and propagation.working_size(4000, 3000) == (1024, 768)
    assert propagation.working_size(4000, 3000, propagation.options(preview=True)) == (192, 144)
    assert options_used("propagate") == frozenset() and options_used("siggraph17") <= options_used("auto")
    assert {"device", "precision", "work_size"} <= options_used("auto") and set(ENGINES) == {"auto", "siggraph17", "propagate"}


def test_no_weights_means_propagation_with_one_notice_decided_in_one_place(no_weights, weights_file):
    cpu = torch.device("cpu")
    engine, notice, missing = load_engine("auto", None, cpu, torch.float32)
    assert engine.name == "propagate" and missing and "meanwhile using the propagation engine" in notice
    engine, notice, missing = load_engine("auto", weights_file, cpu, torch.float32)
    assert engine.name == "siggraph17" and notice is None and not missing
    assert load_engine("propagate", None, cpu, torch.float32)[1:] == (None, False)
    colorizer = Colorizer()
    assert colorizer.weights_missing and colorizer.notice == load_engine("auto", None, cpu, torch.float32).notice


def test_one_colorizer_serves_calls_with_different_options_at_once(weights_file):
    """Two threads colorize with one colorizer, each with its own options: each gets what a colorizer
    made with those options gives, and the colorizer keeps its own."""
    photo = np.asarray(gray_photo().resize((192, 128)))
    hints = [Hint(40, 30, "#c02020", 5)]
    shared = Colorizer(weights_file, device="cpu", work_size=64)
    expected = {size: Colorizer(weights_file, device="cpu", work_size=size, snap_hints=False).colorize_array(photo, hints)
                for size in (32, 48)}
    results, errors = {}, []

    def colorize(size: int) -> None:
        try:
            for _ in range(3):
                results[size] = shared.colorize_array(photo, hints, work_size=size, snap_hints=False)
                shared.preview_array(photo, hints, max_pixels=3000)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=colorize, args=(size,)) for size in expected]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert all(np.array_equal(results[size], expected[size]) for size in expected)
    assert (shared.work_size, shared.snap_hints) == (64, True)


def _colorize(worker: WorkerClient, options: dict) -> dict:
    photo = np.full((48, 64), 120, np.uint8)
    layer = np.zeros((48, 64, 4), np.uint8)
    layer[20:23, 30:33] = (200, 40, 40, 255)
    header = {"op": "colorize", "photo": {"width": 64, "height": 48, "format": "u8", "channels": 1},
              "hints": {"width": 64, "height": 48, "x": 0, "y": 0}, "options": options}
    return worker.request(header, [photo.tobytes(), layer.tobytes()])[0]


def test_the_worker_says_what_its_engine_can(worker_process):
    network = _colorize(worker_process, {"engine": "siggraph17", "device": "cpu", "work_size": 64})
    assert network["capabilities"] == {"suggest": True, "needs_hints": False, "label": "network (SIGGRAPH 2017)"}
    propagation = _colorize(worker_process, {"engine": "propagate"})
    assert propagation["capabilities"] == {"suggest": False, "needs_hints": True, "label": "propagation of the hints"}
    assert network["engine"] == "siggraph17" and propagation["engine"] == "propagate"  # as before


@pytest.mark.skipif(torch.cuda.is_available() or torch.backends.mps.is_available(), reason="needs a machine without a GPU")
def test_options_the_engine_does_not_read_neither_matter_nor_fail(worker_process):
    """The plug-ins send the dialog's values as they are: propagation ignores the network's device and precision."""
    reply = _colorize(worker_process, {"engine": "propagate", "device": "gpu", "precision": "fp16", "work_size": 512})
    assert reply["ok"] and reply["engine"] == "propagate"
