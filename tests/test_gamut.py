"""In-gamut chroma: out-of-gamut a*b* pulled onto the sRGB boundary at their L*, hue kept."""
import math

import numpy as np
import pytest
import torch
from skimage.color import rgb2lab

from hintcolor import AB, Colorizer, Hint
from hintcolor.gamut import display_lightness, in_gamut, lab_to_rgb8, max_chroma, snap_ab, snap_chroma, snap_hints
from hintcolor.hints import rgb_to_ab

GREEN = tuple(rgb_to_ab(np.array([[0.0, 1.0, 0.0]]))[0])  # #00ff00: L* 88, far too green for a dark pixel
BLUE = tuple(rgb_to_ab(np.array([[0.0, 0.0, 1.0]]))[0])  # #0000ff: L* 32, far too blue for a bright pixel


def _hue(ab) -> float:
    return math.atan2(ab[1], ab[0])


@pytest.mark.parametrize("l, ab", [(10.0, GREEN), (95.0, BLUE), (3.0, (60.0, 40.0)), (98.0, (-20.0, 90.0))])
def test_out_of_gamut_chroma_lands_on_the_boundary_with_its_hue(l, ab):
    assert not in_gamut(torch.tensor(l), torch.tensor(ab))
    snapped = snap_ab(l, ab)
    assert math.hypot(*snapped) < math.hypot(*ab)
    assert _hue(snapped) == pytest.approx(_hue(ab), abs=1e-9)
    # displayable: skimage converts the 8-bit color back to the same Lab, so nothing was clipped
    rgb = lab_to_rgb8(torch.tensor(l), torch.tensor(snapped)).numpy() / 255
    assert rgb2lab(rgb[None, None])[0, 0] == pytest.approx([l, *snapped], abs=1.5)
    # on the boundary: 1 % more chroma along the same hue is out of gamut
    l, snapped = torch.tensor(l, dtype=torch.float64), torch.tensor(snapped, dtype=torch.float64)
    assert in_gamut(l, snapped, tolerance=0.0) and not in_gamut(l, snapped * 1.01, tolerance=0.0)


def test_in_gamut_chroma_is_unchanged():
    rgb = np.random.default_rng(0).random((500, 3))
    lab = torch.from_numpy(rgb2lab(rgb[None])[0])
    snapped = snap_chroma(lab[:, 0], lab[:, 1:])
    assert torch.equal(snapped, lab[:, 1:])


def test_many_points_at_once_equal_one_at_a_time():
    l = torch.tensor([10.0, 50.0, 95.0, 0.0])
    ab = torch.tensor([GREEN, (5.0, 5.0), BLUE, (30.0, 0.0)])
    together = snap_chroma(l, ab)
    for i in range(len(l)):
        assert tuple(together[i].tolist()) == pytest.approx(snap_ab(float(l[i]), ab[i].tolist()), abs=1e-12)
    assert together[3].norm() < 1  # at L* = 0 only black exists


def test_max_chroma_reaches_the_primaries():
    for rgb in ([1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [1.0, 0, 1.0]):  # they lie on the boundary
        l, a, b = rgb2lab(np.array([[rgb]]))[0, 0]
        assert max_chroma(torch.tensor(l), torch.tensor(math.atan2(b, a))).item() == pytest.approx(math.hypot(a, b), rel=1e-3)


def test_a_hue_ray_that_leaves_the_gamut_and_enters_it_again():
    # near the yellow cusp, at L* 96 and hue 102°, the ray from gray is inside up to chroma ~40,
    # outside up to ~90, inside again up to ~96: chroma 100 snaps to ~96, not to ~40
    hue = math.radians(102)
    l, ab = torch.tensor(96.0), torch.tensor([100 * math.cos(hue), 100 * math.sin(hue)])
    assert not in_gamut(l, ab) and not in_gamut(l, ab * 0.65) and in_gamut(l, ab * 0.93)
    snapped = snap_chroma(l, ab)
    assert in_gamut(l, snapped) and 93 < snapped.norm().item() < 97


def test_display_lightness_finds_where_a_chroma_exists():
    yellow = rgb_to_ab(np.array([[1.0, 1.0, 0.0]]))[0]  # exists only very light
    ab = torch.tensor(np.array([[0.0, 0.0], [20.0, -10.0], np.multiply(BLUE, 0.9), yellow * 0.9, [-150.0, 0.0]]))
    l = display_lightness(ab)
    assert l[0] == 50 and l[1] == 50  # gray and a pale color: anywhere, so mid-gray
    assert l[2] < 40 and l[3] > 80
    assert in_gamut(l[:4], ab[:4]).all()
    cyan_cusp = l[4].item()  # beyond the gamut: the lightness where that hue reaches farthest
    assert max_chroma(torch.tensor(cyan_cusp), torch.tensor(math.pi)) > max_chroma(torch.tensor([cyan_cusp - 10, cyan_cusp + 10]), torch.tensor(math.pi)).max()


def test_hints_are_snapped_at_their_lightness():
    hints = [Hint(5, 20, "#00ff00", size=3), Hint(40, 20, "#00ff00", size=3), Hint(40, 5, "#8a7a6a")]
    dark, mid, beige = snap_hints(hints, [8.0, 50.0, 50.0])
    assert beige is hints[2]  # in gamut at L* 50: untouched
    assert isinstance(dark.color, AB) and _hue(dark.ab) == pytest.approx(_hue(hints[0].ab))
    assert math.hypot(*dark.ab) < 0.3 * math.hypot(*hints[0].ab)
    assert (dark.x, dark.y, dark.size) == (5, 20, 3)
    assert math.hypot(*dark.ab) < math.hypot(*mid.ab) < math.hypot(*hints[1].ab)
    assert tuple(mid.ab) == pytest.approx(snap_ab(50.0, hints[1].ab))


def test_the_lightness_of_a_hint_is_the_mean_over_its_square(echo_weights_file, monkeypatch):
    from hintcolor import colorizer as colorizer_module

    image = np.full((40, 60), 0.5, dtype=np.float32)
    image[:, :20] = 0.05  # dark left part; a 4-pixel hint at x = 19.5 covers 2 dark and 2 light columns
    seen = []
    monkeypatch.setattr(colorizer_module, "snap_hints", lambda hints, lightness: seen.extend(lightness) or list(hints))
    Colorizer(echo_weights_file, device="cpu", work_size=40).prepared_hints(image, [Hint(19.5, 10, "#00ff00", 4)], None)
    dark, light = (rgb2lab(np.full((1, 1, 3), v))[0, 0, 0] for v in (0.05, 0.5))
    assert seen == [pytest.approx((dark + light) / 2, abs=1e-3)]


def test_colorize_shows_a_too_vivid_hint_at_the_photo_lightness(echo_weights_file, tmp_path):
    """A bright green dot on a dark area: snapped, the result keeps the photo's lightness there and
    the dot's hue; as given (--no-snap-hints), clipping to sRGB changes the lightness."""
    image = np.full((64, 64), 0.25, dtype=np.float32)  # L* ≈ 27: #00ff00 (L* 88) is far out of gamut
    hints = [Hint(32, 32, "#00ff00", 9)]
    l_photo = rgb2lab(np.full((1, 1, 3), 0.25))[0, 0, 0]
    lab = {}
    for snap in (True, False):
        colorizer = Colorizer(echo_weights_file, device="cpu", work_size=64, snap_hints=snap)
        lab[snap] = rgb2lab(colorizer.colorize_array(image, hints)[30:35, 30:35].astype(np.float64))
    assert np.abs(lab[True][..., 0] - l_photo).max() < 0.5
    mean_ab = lab[True][..., 1:].reshape(-1, 2).mean(0)  # the echo weights add a little noise per pixel
    assert _hue(mean_ab) == pytest.approx(_hue(hints[0].ab), abs=math.radians(3))
    assert (lab[False][..., 0] - l_photo).mean() > 1.5  # clipped: brighter than the photo


def test_cli_no_snap_hints(echo_weights_file, tmp_path):
    from PIL import Image

    from hintcolor.cli import main

    Image.new("L", (64, 64), 26).save(tmp_path / "dark.png")
    common = ["--hint", "32,32,#00ff00,9", "--weights", str(echo_weights_file), "--work-size", "64"]
    assert main(["colorize", str(tmp_path / "dark.png"), "-o", str(tmp_path / "snapped.png"), *common]) == 0
    assert main(["colorize", str(tmp_path / "dark.png"), "-o", str(tmp_path / "as-given.png"), *common, "--no-snap-hints"]) == 0
    snapped, given = (np.asarray(Image.open(tmp_path / name), dtype=int) for name in ("snapped.png", "as-given.png"))
    assert np.abs(snapped[32, 32] - given[32, 32]).max() > 10
