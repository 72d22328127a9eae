"""The fast paths equal the straightforward ones: 8-bit tables, banded color, reduced precision."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage import data as skdata

from hintcolor import Colorizer, fullres
from hintcolor.color import gray_to_l, lab_to_rgb, rgb_to_l
from hintcolor.errors import InputError
from hintcolor.hints import encode_hints
from hintcolor.images import quantize
from hintcolor.worker.pixels import encode_layer
from hintcolor.colorizer import COMPOSING

HALF_LEVEL = 0.5 / 255


def _reference_rgb(l: torch.Tensor, ab: torch.Tensor) -> np.ndarray:
    """The straightforward path: bilinear upsampling of ab, then color.lab_to_rgb on the whole image."""
    ab_full = F.interpolate(ab, size=l.shape[-2:], mode="bilinear", align_corners=False)
    return lab_to_rgb(torch.cat([l, ab_full], dim=1))[0].permute(1, 2, 0).numpy()


def _smooth_ab(height: int, width: int, seed: int = 0) -> torch.Tensor:
    """ab at a working size, reaching far out of the sRGB gamut (clipping is exercised too)."""
    return (torch.rand(1, 2, height, width, generator=torch.Generator().manual_seed(seed)) - 0.5) * 220


def test_8_bit_lightness_tables_equal_the_formulas():
    gray, rgb = skdata.camera(), skdata.astronaut()
    assert gray.dtype == rgb.dtype == np.uint8
    got = fullres.lightness(gray)[0, 0].numpy()
    assert np.abs(got - gray_to_l(torch.from_numpy(gray / 255.0)).numpy()).max() < 1e-3
    got = fullres.lightness(rgb)[0, 0].numpy()
    expected = rgb_to_l(torch.from_numpy(rgb.transpose(2, 0, 1) / 255.0))[0].numpy()
    assert np.abs(got - expected).max() < 1e-3


def test_banded_color_equals_the_plain_conversion(monkeypatch):
    gray = np.tile(skdata.camera(), (1, 2))[:301, :517]  # sizes that are no multiple of the working grid
    l, ab = fullres.lightness(gray), _smooth_ab(24, 40)
    expected = _reference_rgb(l, ab)
    floats = fullres.compose(l, ab)
    assert floats.dtype == np.float32 and floats.shape == (301, 517, 3)
    assert np.abs(floats - expected).max() <= HALF_LEVEL
    eight_bit = fullres.compose(l, ab, np.uint8)
    assert eight_bit.dtype == np.uint8
    assert np.abs(eight_bit / 255.0 - expected).max() <= HALF_LEVEL + 1e-4  # rounding, fused
    assert np.mean(eight_bit == quantize(expected)) > 0.999
    channels_last = ab.contiguous(memory_format=torch.channels_last)  # as the network returns it
    assert np.array_equal(fullres.compose(l, channels_last, np.uint8), eight_bit)
    assert np.array_equal(fullres.compose(gray, ab, np.uint8), eight_bit)  # L* found band by band
    rgb = skdata.astronaut()[:301, :517]
    assert np.array_equal(fullres.compose(rgb, ab, np.uint8), fullres.compose(fullres.lightness(rgb), ab, np.uint8))
    monkeypatch.setattr(fullres, "CPU_BAND_PIXELS", 1000)  # many thin bands (a GPU uses few big ones)
    assert np.array_equal(fullres.compose(l, ab, np.uint8), eight_bit)


@pytest.mark.parametrize("image", [skdata.astronaut(), np.tile(skdata.camera(), (1, 2))[:301, :517],
                                   skdata.astronaut()[::3, ::2].astype(np.float32) / 255], ids=["rgb8", "gray8", "float"])
def test_banded_working_copy_equals_resizing_the_whole_photo(image, monkeypatch):
    size = (96, 64)
    planes = torch.from_numpy(image.astype(np.float32) / (255 if image.dtype == np.uint8 else 1))
    planes = planes[None] if planes.ndim == 2 else planes.permute(2, 0, 1)
    small = F.interpolate(planes[None], size=size[::-1], mode="bicubic", antialias=True, align_corners=False)[0].clamp(0, 1)
    expected = gray_to_l(small) if small.shape[0] == 1 else rgb_to_l(small)
    monkeypatch.setattr(fullres, "CPU_BAND_PIXELS", 5000)  # many bands, in parallel
    got = fullres.working_lightness(image, size)
    assert got.shape == (1, 1, 64, 96)
    assert (got[0] - expected).abs().max() < 1e-4


def test_full_size_ab_is_used_as_it_is():
    gray = skdata.camera()[:64, :96]
    l, ab = fullres.lightness(gray), _smooth_ab(64, 96)
    assert np.abs(fullres.compose(l, ab) - _reference_rgb(l, ab)).max() <= HALF_LEVEL


def test_8_bit_photo_in_8_bit_out_equals_the_float_call(colorizer):
    photo = skdata.astronaut()[::2, ::2]
    eight_bit = colorizer.colorize_array(photo)
    floats = colorizer.colorize_array(photo.astype(np.float32) / 255)
    assert eight_bit.dtype == np.uint8 and floats.dtype == np.float32
    assert np.abs(eight_bit / 255.0 - floats).max() <= HALF_LEVEL + 1e-4
    assert colorizer.colorize_array(photo, dtype=np.float32).dtype == np.float32
    alpha = np.full(photo.shape[:2], 255, np.uint8)  # a worker's u8 layer: the uint8 result is sent as it is
    sent = np.frombuffer(encode_layer(eight_bit, alpha, "u8"), np.uint8).reshape(*photo.shape[:2], 4)
    assert np.array_equal(sent[:, :, :3], eight_bit) and np.array_equal(sent[:, :, 3], alpha)


def test_progress_is_reported_in_order_and_can_abort(colorizer):
    seen = []
    colorizer.colorize_array(skdata.camera(), progress=lambda fraction, stage: seen.append((fraction, stage)))
    fractions = [fraction for fraction, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert [stage for _, stage in seen][0] == "Computing colors with the network"
    assert {stage for _, stage in seen} == {"Computing colors with the network", COMPOSING}

    def cancel(fraction, stage):
        if stage == COMPOSING:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        colorizer.colorize_array(skdata.camera(), progress=cancel)


def test_prepared_fp32_network_matches_the_reference(reference, weights_file):
    colorizer = Colorizer(weights_file, device="cpu", precision="fp32")
    theirs = reference.SIGGRAPHGenerator().eval()
    theirs.load_state_dict(torch.load(weights_file, weights_only=True))
    l = 100 * torch.rand(1, 1, 256, 256, generator=torch.Generator().manual_seed(3))
    ab, mask = encode_hints([], (256, 256), (256, 256))
    with torch.no_grad():
        expected = theirs(l, ab[None], mask[None])
    assert (colorizer.predict_ab(l, [], (256, 256)) - expected).abs().max() <= 1e-3


def test_bf16_colors_a_real_photo_like_fp32(weights_file):
    photo = skdata.astronaut()
    fp32 = Colorizer(weights_file, device="cpu", precision="fp32")
    bf16 = Colorizer(weights_file, device="cpu", precision="bf16")
    assert bf16.dtype == torch.bfloat16
    work_l = fullres.lightness(photo[::2, ::2])  # 256×256, the network's own scale
    difference = (bf16.predict_ab(work_l, [], (256, 256)) - fp32.predict_ab(work_l, [], (256, 256))).abs()
    assert difference.mean() <= 1.0


def test_unsupported_precision_is_one_clear_error(weights_file):
    with pytest.raises(InputError, match="fp16 needs a GPU"):
        Colorizer(weights_file, device="cpu", precision="fp16")
    with pytest.raises(InputError, match="precision must be one of"):
        Colorizer(weights_file, device="cpu", precision="int8")


def test_auto_precision_is_reduced_only_where_native(weights_file, monkeypatch):
    from hintcolor import colorizer as colorizer_module

    for native, expected in [(True, torch.bfloat16), (False, torch.float32)]:
        monkeypatch.setattr(colorizer_module, "native_bf16", lambda: native)
        assert Colorizer(weights_file, device="cpu").dtype == expected
