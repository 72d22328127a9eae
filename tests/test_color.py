"""Color conversion against scikit-image, on real photo pixels and the whole gamut."""
import numpy as np
import pytest
import torch
from skimage import color as skcolor

from hintcolor.color import gray_to_l, lab_to_rgb, rgb_to_l, rgb_to_lab

from conftest import color_photo


def _planes(array):
    return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1))).float()


def test_rgb_to_lab_matches_skimage_on_a_real_photo():
    rgb = color_photo("kodim05.png")[::4, ::4] / 255.0
    expected = skcolor.rgb2lab(rgb)
    got = rgb_to_lab(_planes(rgb)).numpy().transpose(1, 2, 0)
    assert np.abs(got - expected).max() < 1e-3
    assert np.abs(rgb_to_l(_planes(rgb))[0].numpy() - expected[..., 0]).max() < 1e-3


def test_gray_to_l_is_l_of_the_gray_color():
    gray = np.linspace(0, 1, 1001)
    expected = skcolor.rgb2lab(np.stack([gray] * 3, -1)[None])[0, :, 0]
    assert np.abs(gray_to_l(torch.from_numpy(gray)).numpy() - expected).max() < 1e-6


def test_lab_to_rgb_matches_skimage_including_out_of_gamut():
    rng = np.random.default_rng(0)
    lab = np.stack([rng.uniform(0, 100, (64, 64)), rng.uniform(-110, 110, (64, 64)), rng.uniform(-110, 110, (64, 64))], -1)
    with pytest.warns(UserWarning):  # skimage warns about the negative Z it clips, as we do
        expected = skcolor.lab2rgb(lab)
    got = lab_to_rgb(_planes(lab)).numpy().transpose(1, 2, 0)
    assert np.abs(got - expected).max() < 1e-4
    assert got.min() >= 0 and got.max() <= 1


def test_round_trip_on_a_real_photo_is_lossless_at_8_bits():
    rgb = color_photo("kodim23.png")[::4, ::4] / 255.0
    back = lab_to_rgb(rgb_to_lab(_planes(rgb))).numpy().transpose(1, 2, 0)
    assert np.array_equal(np.round(back * 255), np.round(rgb * 255))
