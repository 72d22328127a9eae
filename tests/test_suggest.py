"""Color suggestions from the network's distribution head, with a head whose output is known
exactly: its 1×1 conv has zero weights and a bias peaking at chosen bins, so at every point the
distribution is softmax(bias × 0.2), whatever the photo and hints."""
import json
import math
import re

import numpy as np
import pytest
import torch
from PIL import Image
from skimage.color import rgb2lab

from hintcolor import Colorizer, Hint, WeightsError, save_hints
from hintcolor.cli import main
from hintcolor.errors import InputError
from hintcolor.gamut import in_gamut, snap_ab
from hintcolor.engines.model import NUM_AB_BINS
import hintcolor.suggest as suggest_module
from hintcolor.suggest import MIN_PROBABILITY, distribution_at, group_bins, suggest_at_points

from conftest import bin_of, head_weights_file, peak_logits, random_state_dict

@pytest.fixture(scope="module")
def head_colorizer(tmp_path_factory) -> Colorizer:
    """Random weights in the official layout with a zero class-head weight, through the real loader."""
    state = random_state_dict(1)
    state["model_class.0.weight"] = torch.zeros_like(state["model_class.0.weight"])
    state["model_class.0.bias"] = peak_logits({(0, 0): 1.0})
    path = tmp_path_factory.mktemp("weights") / "siggraph17-peaked.pth"
    torch.save(state, path)
    return Colorizer(path, device="cpu", work_size=64)


@pytest.fixture
def peaked(head_colorizer):
    """The head colorizer with its distribution peaking as asked, at every point."""
    def make(peaks: dict[tuple[float, float], float]) -> Colorizer:
        head_colorizer.backend.net.model_class[0].bias.copy_(peak_logits(peaks))
        head_colorizer.snap_hints = True
        return head_colorizer
    return make


GRAY = np.full((96, 128), 0.47, dtype=np.float32)  # L* ≈ 50: moderate chromas are displayable
L_GRAY = float(rgb2lab(np.full((1, 1, 3), 0.47))[0, 0, 0])


def test_two_distant_likely_colors_are_two_suggestions_most_likely_first(peaked):
    colorizer = peaked({(-40, 30): 0.35, (30, -40): 0.65})
    first, second = colorizer.suggest(GRAY, 60, 40)
    assert tuple(first.ab) == pytest.approx((30, -40), abs=1e-4) and first.probability == pytest.approx(0.65, abs=1e-4)
    assert tuple(second.ab) == pytest.approx((-40, 30), abs=1e-4) and second.probability == pytest.approx(0.35, abs=1e-4)
    for s in (first, second):  # the color is that chroma at the photo's L*
        rgb = np.array([int(s.color[i : i + 2], 16) for i in (1, 3, 5)]) / 255
        assert rgb2lab(rgb[None, None])[0, 0] == pytest.approx([L_GRAY, *s.ab], abs=1.2)


def test_neighbouring_bins_of_one_color_are_one_suggestion(peaked):
    colorizer = peaked({(20, 40): 0.5, (20, 50): 0.5})
    (only,) = colorizer.suggest(GRAY, 10, 10)
    assert tuple(only.ab) == pytest.approx((20, 45), abs=1e-4) and only.probability == pytest.approx(1, abs=1e-4)


def test_at_most_k_suggestions_in_order_of_probability(peaked):
    peaks = {(-60, -60): 0.3, (60, 60): 0.25, (-60, 60): 0.2, (60, -60): 0.15, (0, 0): 0.1}
    colorizer = peaked(peaks)
    three = colorizer.suggest(GRAY, 5, 5, k=3)
    expected = [snap_ab(L_GRAY, ab) for ab in list(peaks)[:3]]
    assert np.array([s.ab for s in three]) == pytest.approx(np.array(expected), abs=1e-3)
    assert [s.probability for s in three] == pytest.approx([0.3, 0.25, 0.2], abs=1e-4)
    assert len(colorizer.suggest(GRAY, 5, 5)) == 5
    with pytest.raises(InputError, match="at least 1"):
        colorizer.suggest(GRAY, 5, 5, k=0)


def test_suggestions_are_shown_at_the_lightness_of_the_point_and_in_gamut(peaked):
    image = np.full((64, 64), 0.6, dtype=np.float32)
    image[:, :32] = 0.08  # a dark left half
    colorizer = peaked({(-80, 70): 1.0})  # a vivid green: not displayable on the dark side
    (dark,) = colorizer.suggest(image, 10, 30)
    (light,) = colorizer.suggest(image, 50, 30)
    l_dark = float(rgb2lab(np.full((1, 1, 3), 0.08))[0, 0, 0])
    assert in_gamut(torch.tensor(l_dark), torch.tensor(dark.ab))
    assert math.hypot(*dark.ab) < 0.5 * math.hypot(-80, 70) and math.atan2(dark.ab[1], dark.ab[0]) == pytest.approx(math.atan2(70, -80))
    rgb = np.array([int(dark.color[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    assert rgb2lab(rgb[None, None])[0, 0, 0] == pytest.approx(l_dark, abs=1.0)
    assert dark.color != light.color and math.hypot(*light.ab) > math.hypot(*dark.ab)


def test_colors_that_look_alike_at_the_point_are_one_suggestion(peaked):
    image = np.full((64, 64), 0.02, dtype=np.float32)  # nearly black: little chroma can be shown
    l = float(rgb2lab(np.full((1, 1, 3), 0.02))[0, 0, 0])
    assert math.dist(snap_ab(l, (60, 60)), snap_ab(l, (80, 20))) < 5  # distinct chromas, alike here
    (only,) = peaked({(60, 60): 0.6, (80, 20): 0.4}).suggest(image, 30, 30)
    assert tuple(only.ab) == pytest.approx(snap_ab(l, (60, 60))) and only.probability == pytest.approx(1, abs=1e-4)
    assert len(peaked({(60, 60): 0.6, (80, 20): 0.4}).suggest(GRAY, 30, 30)) == 2  # at mid-gray they differ


def test_hints_reach_the_network_snapped_at_their_lightness(peaked, monkeypatch):
    colorizer = peaked({(0, 50): 1.0})
    seen = {}
    real = colorizer.backend.net.distribution

    def spy(l, ab, mask):
        seen.update(ab=ab.clone(), mask=mask.clone())
        return real(l, ab, mask)

    monkeypatch.setattr(colorizer.backend.net, "distribution", spy)
    image = np.full((64, 64), 0.08, dtype=np.float32)  # dark: #00ff00 is far out of gamut here
    colorizer.suggest(image, 5, 5, [Hint(40, 20, "#00ff00", 2)])
    assert seen["mask"][0, 0, 20, 40] == 1 and seen["mask"].sum() == 4
    hinted = seen["ab"][0, :, 20, 40].tolist()
    l = float(rgb2lab(np.full((1, 1, 3), 0.08))[0, 0, 0])
    assert hinted == pytest.approx(snap_ab(l, Hint(0, 0, "#00ff00").ab), abs=1e-3)
    colorizer.snap_hints = False
    colorizer.suggest(image, 5, 5, [Hint(40, 20, "#00ff00", 2)])
    assert seen["ab"][0, :, 20, 40].tolist() == pytest.approx(Hint(0, 0, "#00ff00").ab, abs=1e-3)


def test_a_point_between_head_cells_mixes_them():
    distribution = torch.zeros(NUM_AB_BINS, 2, 2, dtype=torch.float64)
    distribution[10, :, 0] = 1  # left column of cells
    distribution[300, :, 1] = 1  # right column
    # 2 head cells: an 8-pixel working grid; on a 16-pixel-wide image head cell j covers working
    # pixel 4j, i.e. full-resolution x = 8j + 0.5; between the two cells the mass moves linearly
    for x, right in [(0.5, 0.0), (2.5, 0.25), (4.5, 0.5), (8.5, 1.0), (15, 1.0)]:
        p = distribution_at(distribution, x, 3, (16, 16))
        assert p[300].item() == pytest.approx(right) and p[10].item() == pytest.approx(1 - right)
        assert p.sum().item() == pytest.approx(1)


def test_grouping_is_deterministic_and_flat_or_tiny_mass_suggests_nothing():
    p = torch.full((NUM_AB_BINS,), 1e-6)
    p[bin_of(50, 50)] = 0.5
    p[bin_of(-50, -50)] = 0.5
    p /= p.sum()
    groups = group_bins(p)
    # equally likely: the lower bin (a* first) comes first, every time
    assert np.array([ab for ab, _ in groups]) == pytest.approx(np.array([(-50, -50), (50, 50)]), abs=1e-3)
    assert group_bins(p) == groups
    assert group_bins(torch.full((NUM_AB_BINS,), 1 / NUM_AB_BINS)) == []  # no color more likely than another
    p[bin_of(0, 0)] = MIN_PROBABILITY / 2
    assert len(group_bins(p / p.sum())) == 2  # a peak holding too little is left out


def test_a_network_without_an_opinion_suggests_nothing(peaked):
    assert peaked({}).suggest(GRAY, 5, 5) == []  # a flat distribution: no color more likely than another


def test_propagation_engine_cannot_suggest():
    with pytest.raises(WeightsError, match="suggestions need the siggraph17 network weights"):
        Colorizer(engine="propagate").suggest(GRAY, 5, 5)


def test_point_outside_the_photo(peaked):
    with pytest.raises(InputError, match=r"point \(128, 5\) lies outside the 128×96 image"):
        peaked({(0, 0): 1.0}).suggest(GRAY, 128, 5)


@pytest.fixture(scope="module")
def two_peak_weights(tmp_path_factory):
    return head_weights_file(tmp_path_factory.mktemp("weights"), {(-40, 30): 0.35, (30, -40): 0.65})


@pytest.fixture
def gray_file(tmp_path):
    path = tmp_path / "gray.png"
    Image.fromarray((GRAY * 255).round().astype(np.uint8)).save(path)
    return path


def test_cli_lists_the_suggestions(two_peak_weights, gray_file, capsys):
    assert main(["suggest", str(gray_file), "--at", "60,40", "--weights", str(two_peak_weights), "--work-size", "64"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == f"colors likely at (60, 40) of {gray_file}, most likely first:"
    assert len(lines) == 3 and "65.0 %" in lines[1] and "35.0 %" in lines[2]
    assert re.match(r"^  #[0-9a-f]{6} ", lines[1]) and "a*   30.0  b*  -40.0" in lines[1]


def test_cli_json_and_k(two_peak_weights, gray_file, tmp_path, capsys):
    hints = tmp_path / "hints.json"
    save_hints(hints, [Hint(10, 10, "#2e7d32", 3)], image_size=(64, 48))  # scaled ×2 to the photo
    args = ["suggest", str(gray_file), "--at", "60,40", "--weights", str(two_peak_weights), "--json", "--hints", str(hints)]
    assert main(args) == 0
    suggestions = json.loads(capsys.readouterr().out)
    assert [s["ab"] for s in suggestions] == [[30.0, -40.0], [-40.0, 30.0]]
    assert [s["probability"] for s in suggestions] == [0.65, 0.35]
    assert all(set(s) == {"color", "ab", "probability"} and re.match(r"^#[0-9a-f]{6}$", s["color"]) for s in suggestions)
    assert main([*args, "--k", "1"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1


def test_cli_without_weights_says_suggestions_need_the_network(gray_file, tmp_path, monkeypatch, capsys):
    from hintcolor.engines import weights

    monkeypatch.delenv("HINTCOLOR_WEIGHTS", raising=False)
    monkeypatch.setattr(weights, "search_dirs", lambda: [tmp_path / "models"])
    assert main(["suggest", str(gray_file), "--at", "5,5"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert "suggestions need the network" in captured.err and "hintcolor weights download" in captured.err


def test_cli_says_when_no_color_stands_out(gray_file, tmp_path, capsys):
    flat = head_weights_file(tmp_path, {})
    assert main(["suggest", str(gray_file), "--at", "5,5", "--weights", str(flat), "--work-size", "64"]) == 0
    assert capsys.readouterr().out.startswith("no color stands out at (5, 5)")
    assert main(["suggest", str(gray_file), "--at", "5,5", "--weights", str(flat), "--work-size", "64", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_several_points_from_one_pass_are_each_point_s_suggestions(peaked, monkeypatch):
    colorizer = peaked({(-40, 30): 0.35, (30, -40): 0.65})
    ramp = np.linspace(0.1, 0.9, 128, dtype=np.float32)[None].repeat(96, 0)  # the lightness differs per point
    points = [(5, 10), (64.5, 40), (120, 90)]
    one_by_one = [colorizer.suggest(ramp, x, y) for x, y in points]
    passes, distribution = [], suggest_module._distribution
    monkeypatch.setattr(suggest_module, "_distribution", lambda *a: passes.append(1) or distribution(*a))
    assert suggest_at_points(colorizer, ramp, points) == one_by_one
    assert len(passes) == 1 and one_by_one[0][0].color != one_by_one[2][0].color
