"""GIMP's Export Hints… then ``hintcolor colorize --hints FILE`` gives what Colorize with Hints gave:
the worker exports the hints that a colorize with the same options reads from the layer (in the
cells of the grid of the engine that runs), at 12 megapixels, with both engines."""
import json

import numpy as np
import pytest
from PIL import Image

from hintcolor.cli import main

from conftest import photo_path

WIDTH, HEIGHT = 4000, 3000
#: Four 14-pixel dots, as a person paints them on a 12 MP photo.
DOTS = [((800, 600), (40, 140, 60)), ((2100, 900), (200, 60, 40)), ((3300, 2400), (30, 60, 200)), ((1500, 2200), (220, 190, 40))]


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    """A real photo at 4000×3000, gray 8-bit, as a file and as pixels."""
    gray = Image.open(photo_path()).convert("L").resize((WIDTH, HEIGHT), Image.BICUBIC)
    path = tmp_path_factory.mktemp("photo") / "photo.png"
    gray.save(path)
    return path, np.asarray(gray)


def hint_layer() -> np.ndarray:
    layer = np.zeros((HEIGHT, WIDTH, 4), np.uint8)
    for (x, y), rgb in DOTS:
        layer[y : y + 14, x : x + 14] = (*rgb, 255)
    return layer


@pytest.mark.parametrize("engine", ["siggraph17", "propagate"])
def test_exported_hints_replay_the_layer_s_result_on_the_command_line(worker_process, photo, weights_file, tmp_path, engine):
    path, pixels = photo
    layer = hint_layer()
    options = {"engine": engine, "device": "cpu"}
    colorize = {"op": "colorize", "photo": {"width": WIDTH, "height": HEIGHT, "format": "u8", "channels": 1},
                "hints": {"width": WIDTH, "height": HEIGHT, "x": 0, "y": 0}, "options": options}
    reply, result = worker_process.request(colorize, [pixels.tobytes(), layer.tobytes()])
    assert reply["engine"] == engine and reply["channels"] == 3
    export = dict(colorize, op="export_hints", photo={"width": WIDTH, "height": HEIGHT})
    reply, document = worker_process.request(export, layer.tobytes())
    hints_file = tmp_path / "hints.json"
    hints_file.write_bytes(document)
    exported = json.loads(document)["hints"]
    assert reply["count"] == len(exported)

    out = tmp_path / "replayed.png"
    assert main(["colorize", str(path), "--hints", str(hints_file), "-o", str(out), "--engine", engine,
                 "--weights", str(weights_file), "--device", "cpu"]) == 0
    replayed = np.asarray(Image.open(out))
    from_layer = np.frombuffer(result, np.uint8).reshape(HEIGHT, WIDTH, 3)
    different = np.argwhere((replayed != from_layer).any(axis=2))
    assert len(different) == 0, (
        f"{len(exported)} exported hints of {min(h['size'] for h in exported):g}-{max(h['size'] for h in exported):g} px "
        f"replay differently at {len(different)} pixels, e.g. {different[:3].tolist()}")
