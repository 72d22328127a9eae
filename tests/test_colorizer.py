"""Colorizer: full resolution, any mode, lightness and alpha kept, working size, hints, devices."""

import threading

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import color as skcolor

from hintcolor import Colorizer, Hint, fullres, working_size
from hintcolor.errors import InputError
from hintcolor.colorizer import resolve_device

from conftest import color_photo, gray_photo


@pytest.mark.parametrize(
    "size, resize, expected",
    [
        ((4000, 3000), "aspect", (344, 256)),
        ((768, 512), "aspect", (384, 256)),
        ((512, 768), "aspect", (256, 384)),
        ((100, 50), "aspect", (512, 256)),
        ((20000, 100), "aspect", (1024, 256)),  # panoramas: long side capped at 4× the short
        ((4000, 3000), "squash", (256, 256)),
    ],
)
def test_working_size(size, resize, expected):
    assert working_size(*size, resize=resize) == expected


def test_working_size_keeps_the_aspect_ratio():
    for width in range(1000, 3900, 37):
        w, h = working_size(width, 1000)
        assert w % 8 == 0 and h % 8 == 0 and h == 256
        assert abs(w / h - width / 1000) <= 4 / h + 1e-9


def test_output_keeps_size_and_lightness_of_a_real_photo(colorizer):
    photo = gray_photo("kodim23.png")
    result = colorizer.colorize(photo)
    assert result.size == photo.size and result.mode == "RGB"
    got_l = skcolor.rgb2lab(np.asarray(result) / 255.0)[..., 0]
    want_l = skcolor.rgb2lab(np.asarray(photo.convert("RGB")) / 255.0)[..., 0]
    in_gamut = np.abs(got_l - want_l) < 5  # clipping out-of-gamut colors may move L* a little
    assert in_gamut.mean() > 0.95
    assert np.median(np.abs(got_l - want_l)) < 0.5
    chroma = np.hypot(*skcolor.rgb2lab(np.asarray(result) / 255.0)[..., 1:].transpose(2, 0, 1))
    assert chroma.mean() > 2  # it is colored, not gray


@pytest.mark.parametrize("mode", ["1", "L", "LA", "I;16", "I", "RGB", "RGBA", "P", "PA", "CMYK", "F"])
def test_every_pillow_mode(colorizer, mode):
    base = gray_photo("kodim03.png").resize((96, 64))
    image = base.convert("RGBA").convert(mode) if mode in ("PA",) else base.convert(mode)
    if "A" in mode:
        alpha = Image.linear_gradient("L").resize(base.size)
        image.putalpha(alpha)
    result = colorizer.colorize(image)
    assert result.size == (96, 64)
    assert result.mode == ("RGBA" if "A" in mode else "RGB")
    if "A" in mode:
        assert np.array_equal(np.asarray(result)[..., 3], np.asarray(alpha))


def test_sixteen_bit_input_keeps_its_precision_in_the_float_api(colorizer):
    ramp = np.tile(np.linspace(0, 65535, 512).astype(np.uint16), (64, 1))
    out = colorizer.colorize_array(ramp.astype(np.float32) / 65535)
    assert out.dtype == np.float32 and out.shape == (64, 512, 3)
    assert len(np.unique(out[32, :, 0])) > 300  # more levels than 8 bits could hold
    pil = colorizer.colorize(Image.fromarray(ramp))  # 16-bit file in: 8-bit RGB out
    assert pil.mode == "RGB"


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_array_inputs(colorizer, dtype):
    gray = np.asarray(gray_photo().resize((64, 48)), dtype=np.float64) / 255
    scale = {np.uint8: 255, np.uint16: 65535, np.float32: 1}[dtype]
    arrays = [(gray * scale).astype(dtype), np.dstack([gray] * 3) * scale]
    results = [np.asarray(colorizer.colorize(a.astype(dtype)), dtype=float) for a in arrays]
    assert results[0].shape == (48, 64, 3)
    assert np.abs(results[0] - results[1]).max() <= 1


def test_bad_arrays_are_clear_errors(colorizer):
    with pytest.raises(InputError, match="shape"):
        colorizer.colorize(np.zeros((4, 4, 5), np.uint8))
    with pytest.raises(InputError, match="dtype"):
        colorizer.colorize(np.zeros((4, 4), np.complex64))


def test_hints_change_the_colors_where_they_are(colorizer):
    photo = gray_photo("kodim23.png")
    plain = np.asarray(colorizer.colorize(photo), dtype=float)
    hinted = np.asarray(colorizer.colorize(photo, [Hint(600, 100, "#d02020", size=15)]), dtype=float)
    change = np.abs(hinted - plain).sum(axis=2)
    assert change[95:106, 595:606].mean() > 1
    assert change[95:106, 595:606].mean() > 3 * change[400:, :200].mean()  # most at the hint


def test_hint_image_of_the_wrong_size_or_without_alpha(colorizer):
    photo = gray_photo().resize((64, 48))
    with pytest.raises(InputError, match="hint image is 10×10 but the photo is 64×48"):
        colorizer.colorize(photo, hint_image=Image.new("RGBA", (10, 10)))
    with pytest.raises(InputError, match="transparent"):
        colorizer.colorize(photo, hint_image=Image.new("RGB", (64, 48)))
    with pytest.raises(InputError, match="outside"):
        colorizer.colorize(photo, [Hint(64, 10, "#ffffff")])


def test_painted_hint_image_equals_the_same_point_hints(colorizer):
    photo = gray_photo()  # 768×512: 2 photo pixels per working pixel
    layer = np.zeros((512, 768, 4), np.uint8)
    layer[40:44, 70:74] = (20, 150, 220, 255)
    painted = np.asarray(colorizer.colorize(photo, hint_image=layer))
    pointed = np.asarray(colorizer.colorize(photo, [Hint(71.5, 41.5, (20, 150, 220), size=4)]))
    plain = np.asarray(colorizer.colorize(photo))
    assert np.abs(painted.astype(int) - pointed).max() <= 1
    assert np.abs(painted.astype(int) - plain).max() > 2


def test_exif_orientation_is_applied_before_hints(colorizer, tmp_path):
    photo = gray_photo().resize((96, 64))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when displayed
    path = tmp_path / "rotated.jpg"
    photo.save(path, exif=exif)
    result = colorizer.colorize(path, [Hint(10, 90, "#ff0000")])  # valid only in displayed (64×96) coords
    assert result.size == (64, 96)


def test_squash_mode_reproduces_the_released_demo_pipeline(weights_file, reference):
    """Same weights, same photo: our pipeline in 'squash' mode vs colorizers' demo_release steps."""
    rgb = color_photo("kodim05.png")
    gray = np.asarray(Image.fromarray(rgb).convert("L"))
    demo_input = np.tile(gray[:, :, None], 3)
    net = reference.SIGGRAPHGenerator().eval()
    net.load_state_dict(torch.load(weights_file, weights_only=True))
    orig_l, small_l = reference.util.preprocess_img(demo_input, HW=(256, 256))
    with torch.no_grad():
        expected = reference.util.postprocess_tens(orig_l, net(small_l))
    ours = Colorizer(weights_file, device="cpu", resize="squash").colorize(Image.fromarray(gray))
    difference = np.abs(np.asarray(ours, dtype=float) - np.round(expected * 255))
    assert difference.mean() < 0.5 and np.percentile(difference, 99) <= 2


def test_the_model_is_loaded_once(weights_file, monkeypatch):
    calls = []
    original = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: calls.append(a) or original(*a, **k))
    colorizer = Colorizer(weights_file, device="cpu")
    photo = gray_photo().resize((64, 48))
    colorizer.colorize(photo)
    colorizer.colorize(photo, [Hint(5, 5, "#00ff00")])
    assert len(calls) == 1


def test_devices():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="device cuda is not available"):
            resolve_device("cuda")
        with pytest.raises(InputError, match="not available"):
            resolve_device("gpu")
    with pytest.raises(InputError, match="unknown device"):
        resolve_device("tpu9")


def test_bad_working_options(weights_file):
    with pytest.raises(InputError, match="resize"):
        Colorizer(weights_file, device="cpu", resize="stretch")
    with pytest.raises(InputError, match="too small"):
        Colorizer(weights_file, device="cpu", work_size=4)


def test_unreadable_file_is_a_clear_error(colorizer, tmp_path):
    path = tmp_path / "broken.png"
    path.write_bytes(b"not a png")
    with pytest.raises(InputError, match="cannot read"):
        colorizer.colorize(path)
    with pytest.raises(InputError, match="does not exist"):
        colorizer.colorize(tmp_path / "missing.png")


def test_preview_is_the_result_at_fewer_pixels_with_the_same_hints(colorizer, echo_weights_file):
    """A live preview: the photo's size and dtype, its lightness at the pixels it computes, and a
    single painted pixel (found at full resolution) still pulls the color where it is."""
    photo = np.asarray(gray_photo().resize((384, 256)))
    every_third = 384 * 256 // 9 + 1  # pixels for a step of 3
    colorizer.work_size = 64
    full = colorizer.colorize_array(photo)
    preview = colorizer.preview_array(photo, max_pixels=every_third)
    assert preview.shape == full.shape and preview.dtype == full.dtype == np.uint8
    assert np.array_equal(preview[2::3, 2::3], preview[::3, ::3][:85])  # 3×3 blocks of one computed pixel
    lightness = skcolor.rgb2lab(preview[::3, ::3] / 255.0)[..., 0]  # the photo's own L* where it computed
    assert np.abs(lightness - skcolor.rgb2lab(np.repeat(photo[::3, ::3, None], 3, 2) / 255.0)[..., 0]).mean() < 1

    echo = Colorizer(echo_weights_file, "cpu", work_size=64)
    layer = np.zeros((256, 384, 4), np.uint8)
    layer[57, 101] = (40, 90, 230, 255)
    hinted, plain = echo.preview_array(photo, hint_image=layer, max_pixels=every_third), echo.preview_array(photo, max_pixels=every_third)
    near = (slice(54, 61), slice(98, 105))
    ab_hinted, ab_plain = (skcolor.rgb2lab(x[near] / 255.0)[..., 1:].mean((0, 1)) for x in (hinted, plain))
    target = skcolor.rgb2lab(np.array([[[40, 90, 230]]]) / 255.0)[0, 0, 1:]
    assert np.linalg.norm(ab_hinted - target) < np.linalg.norm(ab_plain - target) - 10
    assert echo.snap_hints  # restored after the coarse pass


@pytest.mark.skipif(torch.get_num_threads() < 2, reason="PyTorch runs on one thread here: no other count to fall into")
def test_a_thread_that_starts_while_another_is_in_its_bands_gets_the_same_pixels(weights_file):
    """PyTorch gives a thread, at its first operation, the thread count last set in any thread: one
    that starts while another is in its single-threaded bands would compute on one thread for good,
    and the network's results depend on the count. The same photo and hints give the same pixels."""
    colorizer = Colorizer(weights_file, device="cpu", precision="fp32")
    photo, hints = np.asarray(gray_photo()), [Hint(300, 200, "#c02020", 9)]
    expected = colorizer.colorize_array(photo, hints, dtype=np.float32)
    result = {}
    with fullres.torch_threads(1):  # as inside fullres.for_each_band, in another thread
        late = threading.Thread(target=lambda: result.update(rgb=colorizer.colorize_array(photo, hints, dtype=np.float32)))
        late.start()
        late.join()
    assert np.array_equal(result["rgb"], expected)
