"""The weights-free engine: hints reproduced, edges respected, more hints help, engine choice."""
import numpy as np
import pytest
import torch
from PIL import Image
from skimage import color as skcolor

from hintcolor import AB, Colorizer, Hint
from hintcolor.engines import weights as weights_module
from hintcolor.cli import main
from hintcolor.errors import InputError, WeightsError
from hintcolor.hints import encode_hints
from hintcolor.engines.propagation import affinities, propagate, solve_exact

from conftest import color_photo, gray_photo


@pytest.fixture
def no_weights(tmp_path, monkeypatch):
    """No weights anywhere."""
    monkeypatch.delenv("HINTCOLOR_WEIGHTS", raising=False)
    monkeypatch.setattr(weights_module, "search_dirs", lambda: [tmp_path / "models"])


def _lab(rgb):
    return skcolor.rgb2lab(np.asarray(rgb, float) / 255)


def _photo_hints(lab, count, seed=0):
    """``count`` 3×3 hints of the photo's own color at random places (the benchmark's protocol)."""
    rng = np.random.default_rng(seed)
    h, w = lab.shape[:2]
    hints = []
    for x, y in zip(rng.integers(1, w - 1, count), rng.integers(1, h - 1, count)):
        a, b = lab[y - 1 : y + 2, x - 1 : x + 2, 1:].reshape(-1, 2).mean(0)
        hints.append(Hint(int(x), int(y), AB(float(a), float(b)), size=3))
    return hints


def _psnr(a, b):
    return 10 * np.log10(255**2 / np.mean((np.asarray(a, float) - np.asarray(b, float)) ** 2))


def test_hint_colors_are_reproduced_at_the_hints(no_weights):
    rgb = color_photo("kodim05.png")
    lab = _lab(rgb)
    hints = _photo_hints(lab, 30, seed=3)
    result = Colorizer(engine="propagate").colorize(Image.fromarray(rgb).convert("L"), hints)
    got = _lab(result)
    errors = [np.hypot(*(got[h.y, h.x, 1:] - h.ab)) for h in hints]
    assert np.median(errors) < 2 and max(errors) < 8  # 8-bit rounding and gamut clipping aside


def test_color_does_not_leak_across_a_strong_edge(no_weights):
    """Two real photo regions side by side, one dark, one bright: a red hint on one side and a blue
    hint on the other each color their own side right up to the edge."""
    photo = np.asarray(gray_photo("kodim05.png"))
    dark = photo[photo.mean(1).argsort()[:96]][:, :128]  # the 96 darkest rows
    bright = photo[photo.mean(1).argsort()[-96:]][:, :128]
    dark, bright = np.sort(dark, axis=None)[: 96 * 64].reshape(96, 64), np.sort(bright, axis=None)[-96 * 64 :].reshape(96, 64)
    scene = np.hstack([dark, bright]).astype(np.uint8)
    assert scene[:, 60:64].mean() + 60 < scene[:, 64:68].mean()  # a strong edge at x = 64
    hints = [Hint(10, 48, "#c02020", size=5), Hint(117, 48, "#2040c0", size=5)]
    # hints as given: snapped into the gamut at the dark side's L* ≈ 12, the red keeps less than half
    # its chroma, and the hue there would measure the snapping as much as the leak
    lab = _lab(Colorizer(engine="propagate", snap_hints=False).colorize(scene, hints))
    hue_left = np.arctan2(lab[:, 58:63, 2], lab[:, 58:63, 1])
    hue_right = np.arctan2(lab[:, 65:70, 2], lab[:, 65:70, 1])
    red, blue = np.arctan2(*_lab([[[192, 32, 32]]])[0, 0, [2, 1]]), np.arctan2(*_lab([[[32, 64, 192]]])[0, 0, [2, 1]])
    assert np.abs(np.angle(np.exp(1j * (hue_left - red)))).mean() < 0.3
    assert np.abs(np.angle(np.exp(1j * (hue_right - blue)))).mean() < 0.3


def test_more_hints_never_make_it_worse(no_weights):
    colorizer = Colorizer(engine="propagate")
    scores = {}
    for name in ("kodim03.png", "kodim13.png", "kodim23.png"):
        rgb = np.asarray(Image.fromarray(color_photo(name)).resize((384, 256)))
        gray = Image.fromarray(rgb).convert("L")
        for count in (10, 50, 200):
            result = colorizer.colorize(gray, _photo_hints(_lab(rgb), count))
            scores.setdefault(count, []).append(_psnr(result, rgb))
    means = [np.mean(scores[count]) for count in (10, 50, 200)]
    assert means[0] <= means[1] + 0.1 <= means[2] + 0.2, means
    assert means[2] > means[0] + 1  # and 200 hints clearly help


@pytest.mark.parametrize("name", ["kodim05.png", "kodim23.png"])
def test_coarse_to_fine_costs_no_quality_against_the_exact_solution(name):
    """Against the true colors, the fast scheme is as good as the exact sparse solve of the 2004
    method (same weights, same hints), also when solved at half size and guided-upsampled."""
    rgb = np.asarray(Image.fromarray(color_photo(name)).resize((384, 256)))
    lab = _lab(rgb)
    hints = _photo_hints(lab, 50)
    l = torch.from_numpy(lab[:, :, 0]).float()
    ab, mask = encode_hints(hints, (384, 256), (384, 256))

    def score(chroma):
        out = skcolor.lab2rgb(np.dstack([lab[:, :, 0], chroma.numpy().transpose(1, 2, 0)]))
        return _psnr(np.round(out * 255), rgb)

    exact = score(solve_exact(affinities(l), ab, mask))
    assert score(propagate(l, hints)) > exact - 0.3
    assert score(propagate(l, hints, max_side=192)) > exact - 0.5


def test_weights_are_a_normalised_edge_aware_stencil():
    l = torch.zeros(5, 6)
    l[:, 3:] = 100  # a vertical edge between columns 2 and 3
    weights = affinities(l)
    torch.testing.assert_close(weights.sum(0), torch.ones(5, 6))
    right = [k for k, (dy, dx) in enumerate([(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]) if dx == 1]
    assert weights[right, 2, 2].sum() < 1e-3  # next to nothing flows across the edge
    assert weights[:, 0, 0].count_nonzero() == 3  # a corner has three neighbours


def test_deterministic_and_full_resolution(no_weights):
    photo = gray_photo("kodim03.png").resize((1500, 1000))
    hints = [Hint(300, 200, "#306090", 9), Hint(1200, 800, "#a06020", 9)]
    colorizer = Colorizer(engine="propagate")
    first, second = colorizer.colorize(photo, hints), colorizer.colorize(photo, hints)
    assert first.size == (1500, 1000) and np.array_equal(np.asarray(first), np.asarray(second))


def test_auto_engine_without_weights_falls_back_with_a_notice(no_weights):
    colorizer = Colorizer()
    assert colorizer.engine == "propagate" and "weights not found" in colorizer.notice
    with pytest.raises(InputError, match="needs at least one color hint.*weights not found"):
        colorizer.colorize(gray_photo().resize((64, 48)))
    with pytest.raises(WeightsError):
        Colorizer(engine="siggraph17")


def test_auto_engine_uses_the_network_when_weights_exist(weights_env):
    colorizer = Colorizer(device="cpu")
    assert colorizer.engine == "siggraph17" and colorizer.notice is None
    with pytest.raises(InputError, match="engine"):
        Colorizer(engine="magic")


def test_cli_engine_choice_and_notice(no_weights, tmp_path, capsys):
    photo = tmp_path / "photo.png"
    gray_photo().save(photo)
    assert main(["colorize", str(photo), "-o", str(tmp_path / "a.png"), "--hint", "300,200,#d02020,5"]) == 0
    assert "using the propagation engine" in capsys.readouterr().err
    assert Image.open(tmp_path / "a.png").size == (768, 512)
    assert main(["colorize", str(photo), "-o", str(tmp_path / "b.png"), "--engine", "propagate"]) == 2
    assert "needs at least one color hint" in capsys.readouterr().err
    assert not (tmp_path / "b.png").exists()


def test_painted_hint_image_with_propagation(no_weights):
    photo = gray_photo("kodim23.png")
    layer = np.zeros((512, 768, 4), np.uint8)
    layer[300:306, 100:106] = (30, 160, 60, 255)
    result = _lab(Colorizer(engine="propagate").colorize(photo, hint_image=layer))[302, 102]
    painted = _lab([[[30, 160, 60]]])[0, 0]
    hue = np.angle(np.exp(1j * (np.arctan2(result[2], result[1]) - np.arctan2(painted[2], painted[1]))))
    assert abs(hue) < 0.15 and np.hypot(*result[1:]) > 30  # the painted green (as far as the photo's L allows)


def test_the_preview_solves_on_a_coarser_grid_and_looks_like_the_result(no_weights):
    """The live preview without weights: solved on a grid about the network preview's (so it comes
    at once), the hints read in its cells; it shows the painted colors where they are, close to
    what the full-quality result then shows."""
    rgb = color_photo("kodim05.png")
    lab = _lab(rgb)
    photo = np.asarray(Image.fromarray(rgb).convert("L"))
    layer = np.zeros((512, 768, 4), np.uint8)
    for hint in _photo_hints(lab, 12, seed=4):  # 6-pixel dots of the photo's own colors
        layer[hint.y - 3 : hint.y + 3, hint.x - 3 : hint.x + 3] = (*rgb[hint.y, hint.x], 255)
    colorizer = Colorizer(engine="propagate")
    assert colorizer.working_size(768, 512, colorizer.options(preview=True)) == (192, 128)
    assert colorizer.working_size(768, 512) == (768, 512)
    preview, full = _lab(colorizer.preview_array(photo, hint_image=layer)), _lab(colorizer.colorize_array(photo, hint_image=layer))
    painted = layer[..., 3] > 0
    preview_error, full_error = (np.median(np.hypot(*(result[painted, 1:] - lab[painted, 1:]).T)) for result in (preview, full))
    assert preview_error < min(full_error + 1, 4)  # the painted colors, where painted (kodim05: 3.3, full 2.9)
    assert np.mean(np.hypot(*(preview[..., 1:] - full[..., 1:]).transpose(2, 0, 1))) < 1  # ΔE in chroma, on average
