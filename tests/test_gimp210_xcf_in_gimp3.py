"""An XCF colorized in the real GIMP 2.10 and saved, then opened in the real GIMP 3.0: GIMP 2.10 keeps a
NUL after each layer parasite's data, so the links in the file end in one; GIMP 3's plug-in reads them
all the same (the shared hintcolor_links.py), and Colorize with Hints replaces GIMP 2.10's result.

Runs GIMP 3 (as every GIMP 3 test: under the shared lock, see tests/test_gimp.py).
"""
import os
import shutil

import pytest
from PIL import Image

from conftest import photo_path
from gimp.harness import GIMP210, GIMPS, worker_for
from test_gimp import gimp_session
from test_gimp2 import gimp210_run

WORK210 = "/tmp/hintcolor-gimp210-xcf"
WORK3 = os.environ.get("HINTCOLOR_GIMP_TEST_DIR", "/tmp/hintcolor-test") + "-from-gimp210"


@pytest.fixture(scope="module")
def xcf_from_gimp210(echo_weights_file, tmp_path_factory):
    """photo.xcf as GIMP 2.10 saves it after Add Color Hint Layer, a dot and Colorize with Hints; the
    value of its result's link as GIMP 2.10 reads it back."""
    host = GIMP210.prepare(WORK210)
    GIMP210.install(WORK210)
    Image.open(photo_path("kodim23.png")).convert("L").resize((384, 256)).save(host / "photo.png")

    def run(body):
        return gimp210_run(WORK210, body)

    with worker_for(run, host, echo_weights_file):
        out, _ = run('''
            image, photo = load("photo.png")
            hint = add_hint_layer(image, photo)
            paint(hint, 100, 60, 5, [40, 90, 230])
            colorize(image, photo)
            result = layer_named(image, "Colorized (hintcolor)")
            out["link"] = result.parasite_find("hintcolor-result").data
            pdb.gimp_xcf_save(0, image, photo, WORK + "/photo.xcf", "photo.xcf")
        ''')
    path = tmp_path_factory.mktemp("gimp210") / "photo.xcf"
    shutil.copyfile(host / "photo.xcf", path)
    return path, out["link"]


def test_gimp_3_colorizes_again_what_gimp_210_colorized(xcf_from_gimp210, echo_weights_file):
    xcf, link = xcf_from_gimp210
    assert link.endswith("\0")  # what GIMP 2.10 wrote
    env = GIMPS[0]
    env.require()
    with gimp_session(env, echo_weights_file, WORK3) as gimp3:
        shutil.copyfile(xcf, gimp3.host / "photo.xcf")
        out, _ = gimp3('''
            image = load("photo.xcf")
            result = image.get_layer_by_name("Colorized (hintcolor)")
            out["before"] = names(image)
            out["status"] = run("plug-in-hintcolor-colorize", image, [result], device="cpu")  # its photo's
            out["after"] = names(image)
        ''')
    assert out["before"] == ["Color Hints", "Colorized (hintcolor)", "Background"]
    assert out["status"] == "success" and "errors" not in out
    assert out["after"] == out["before"]  # GIMP 2.10's result replaced, not a second one
