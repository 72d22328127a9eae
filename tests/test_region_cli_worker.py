"""Region runs from the command line (--region, --feather) and through the worker (colorize "region")."""
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from hintcolor.cli import main
from hintcolor.worker.client import WorkerClient, WorkerError
from hintcolor.worker.protocol import REGION, RequestError, check_region, colorize_header, result_region

from test_cli import TELLS_TORCH, photo  # noqa: F401 (fixture)
from test_server import _colorize, _photo_rgba, worker  # noqa: F401 (fixture)


def test_region_on_the_command_line_changes_only_the_box(photo, tmp_path, capsys):  # noqa: F811
    plain, detail, soft = tmp_path / "plain.png", tmp_path / "detail.png", tmp_path / "soft.png"
    common = ["--engine", "propagate", "--hint", "100,100,#c03020,7", "--hint", "420,260,#2050c0,7"]
    assert main(["colorize", str(photo), "-o", str(plain), *common]) == 0
    assert main(["colorize", str(photo), "-o", str(detail), *common, "--region", "380,220,120,90"]) == 0
    assert main(["colorize", str(photo), "-o", str(soft), *common, "--region", "380,220,120,90", "--feather", "20"]) == 0
    assert f"wrote {soft}" in capsys.readouterr().out
    plain, detail, soft = (np.asarray(Image.open(p), dtype=int) for p in (plain, detail, soft))
    outside = np.ones(plain.shape[:2], bool)
    outside[220:310, 380:500] = False
    assert np.array_equal(detail[outside], plain[outside]) and np.array_equal(soft[outside], plain[outside])
    assert not np.array_equal(detail[~outside], plain[~outside])
    assert np.array_equal(soft[245:285, 405:475], detail[245:285, 405:475])  # 20 px in: the region run's own
    edge = np.abs(soft[230:300, 381] - plain[230:300, 381]).sum()  # 1.5 px in: mostly the whole-photo run
    assert edge < np.abs(detail[230:300, 381] - plain[230:300, 381]).sum() / 5


@pytest.mark.parametrize("args, message", [
    (["--region", "1,2,3"], "is not X,Y,W,H in whole pixels"),
    (["--region", "1,2,0,5"], "needs X, Y ≥ 0 and a positive W and H"),
    (["--region", "1,2,3,4", "--feather", "-2"], "is not a number of pixels ≥ 0"),
    (["--feather", "5"], "--feather softens the edge of a --region"),
    (["--region", "700,500,100,100"], "--region: region 700,500,100,100 does not lie inside the 768×512 photo"),
])
def test_bad_regions_on_the_command_line_are_one_line(weights_file, photo, tmp_path, args, message):  # noqa: F811
    result = subprocess.run([sys.executable, "-c", TELLS_TORCH, "colorize", str(photo), "-o", str(tmp_path / "o.png"),
                             "--hint", "10,10,#ff0000", *args], capture_output=True, text=True,
                            env=dict(os.environ, HINTCOLOR_WEIGHTS=str(weights_file)), timeout=120)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.png").exists()


def _hint_layer():
    hints = np.zeros((128, 192, 4), np.uint8)
    hints[20:24, 20:24] = (220, 40, 40, 255)
    hints[80:84, 120:124] = (40, 60, 220, 255)
    return hints


@pytest.mark.parametrize("preview", [False, True])
def test_the_worker_sends_back_the_region_runs_box(worker, preview):  # noqa: F811
    """A region request's reply is the box's pixels (with the photo's alpha there), the pixels the
    library's region run gives; its header says where they go."""
    from hintcolor import Colorizer

    client = WorkerClient(folder=worker.folder)
    photo = _photo_rgba()
    options = {"engine": "propagate", "preview": preview}
    header = colorize_header((192, 128), "u8", 4, {"width": 192, "height": 128, "x": 0, "y": 0},
                             dict({"device": "cpu", "work_size": 64}, **options), region=(100, 60, 50, 40))
    reply, data = client.request(header, [photo.tobytes(), _hint_layer().tobytes()])
    assert reply["ok"] and reply["region"] == [100, 60, 50, 40] and (reply["width"], reply["height"]) == (50, 40)
    assert result_region(reply) == (100, 60, 50, 40)
    box = np.frombuffer(data, np.uint8).reshape(40, 50, 4)
    assert np.array_equal(box[..., 3], photo[60:100, 100:150, 3])
    colorizer, gray = Colorizer(engine="propagate", device="cpu"), np.ascontiguousarray(photo[..., 0])
    if preview:
        expected = colorizer.preview_array(gray, hint_image=_hint_layer(), region=(100, 60, 50, 40))
    else:
        expected = colorizer.region_array(gray, (100, 60, 50, 40), hint_image=_hint_layer())
    assert np.array_equal(box[..., :3], expected)
    reply, whole = _colorize(client, photo, _hint_layer(), options=options)
    assert result_region(reply) == (0, 0, 192, 128) and "region" not in reply


@pytest.mark.parametrize("region, words", [
    ([150, 60, 50, 40], "is not a box of pixels inside the 192×128 photo"),
    ([10, 10, 0, 40], "is not a box of pixels inside"),
    ([10, 10, 5], "is not [x, y, w, h], four whole numbers"),
    ([10, 10, 5.5, 3], "is not [x, y, w, h], four whole numbers"),
])
def test_bad_regions_are_refused_with_their_code_and_the_worker_goes_on(worker, region, words):  # noqa: F811
    client = WorkerClient(folder=worker.folder)
    header = colorize_header((192, 128), "u8", 4, None, {"device": "cpu", "engine": "siggraph17", "work_size": 64})
    header["region"] = region
    with pytest.raises(WorkerError, match=words.replace("[", r"\[")) as raised:
        client.request(header, [_photo_rgba().tobytes()])
    assert raised.value.code == REGION
    assert client.hello()[1]["ok"]


def test_check_region_accepts_boxes_inside_the_photo_only():
    assert check_region(None, 10, 10) is None
    assert check_region([0, 0, 10, 10], 10, 10) == (0, 0, 10, 10)
    for bad in ([0, 0, 11, 10], [-1, 0, 5, 5], [0, 0, True, 5], "0,0,5,5"):
        with pytest.raises(RequestError) as raised:
            check_region(bad, 10, 10)
        assert raised.value.code == REGION and not raised.value.close
