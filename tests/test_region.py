"""Region runs: a box of the photo colorized on the engine's grid, blended into the whole-photo result."""
import re

import numpy as np
import pytest
import torch
from PIL import Image

from hintcolor import Colorizer, Hint, InputError, fullres
from hintcolor.engines import Known
from hintcolor.engines.base import hint_planes
from hintcolor.region import context_box

from conftest import color_photo, gray_photo

BOX = (150, 90, 80, 60)
HINTS = [Hint(40, 40, "#c03020", 5), Hint(330, 200, "#2050c0", 5), Hint(190, 120, "#30a040", 3)]


@pytest.fixture(scope="module")
def photo():
    return np.asarray(gray_photo("kodim23.png").resize((384, 256)))


@pytest.fixture(scope="module")
def propagation():
    return Colorizer(engine="propagate", device="cpu")


@pytest.fixture(scope="module")
def network(weights_file):
    return Colorizer(weights_file, device="cpu", work_size=64)  # random weights: fast and deterministic


@pytest.fixture(params=["siggraph17", "propagate"])
def engine(request, network, propagation):
    return network if request.param == "siggraph17" else propagation


def rows_columns(box):
    x, y, w, h = box
    return slice(y, y + h), slice(x, x + w)


def test_outside_the_box_the_result_is_the_whole_photo_run_and_inside_the_region_run(engine, photo):
    whole = engine.colorize_array(photo, HINTS)
    result = engine.colorize_array(photo, HINTS, region=BOX)
    outside = np.ones(photo.shape, bool)
    outside[rows_columns(BOX)] = False
    assert np.array_equal(result[outside], whole[outside])
    region = engine.region_array(photo, BOX, HINTS)
    assert region.shape == (60, 80, 3) and region.dtype == np.uint8
    assert np.array_equal(result[rows_columns(BOX)], region)
    assert not np.array_equal(region, whole[rows_columns(BOX)])  # the region run is its own


def test_a_mask_blends_the_region_run_in_and_leaves_the_rest_exactly(engine, photo):
    base = engine.colorize_array(photo, HINTS)
    region = engine.region_array(photo, BOX, HINTS, base=base)
    mask = np.zeros(photo.shape, np.float32)
    mask[100:140, 160:220] = 1.0
    mask[95:100, 160:220] = 0.5  # a soft edge
    result = engine.colorize_array(photo, HINTS, region=BOX, mask=mask, base=base)
    assert np.array_equal(result[mask == 0], base[mask == 0])
    inside = mask[rows_columns(BOX)] == 1
    assert np.array_equal(result[rows_columns(BOX)][inside], region[inside])
    soft = result[95:100, 160:220].astype(int)
    low, high = np.minimum(base[95:100, 160:220], region[5:10, 10:70]), np.maximum(base[95:100, 160:220], region[5:10, 10:70])
    assert ((soft >= low) & (soft <= high)).all() and (soft != base[95:100, 160:220]).any()


def test_feather_ramps_the_box_edge_inside_the_box(propagation, photo):
    base = propagation.colorize_array(photo, HINTS, dtype=np.float32)
    region = propagation.region_array(photo, BOX, HINTS, dtype=np.float32, base=base)
    result = propagation.colorize_array(photo, HINTS, dtype=np.float32, region=BOX, feather=10, base=base)
    outside = np.ones(photo.shape, bool)
    outside[rows_columns(BOX)] = False
    assert np.array_equal(result[outside], base[outside])
    x, y, w, h = BOX
    centre = (slice(y + 10, y + h - 10), slice(x + 10, x + w - 10))
    assert np.array_equal(result[centre], region[10:-10, 10:-10])
    edge, base_edge, region_edge = result[y + 10 : y + h - 10, x + 2], base[y + 10 : y + h - 10, x + 2], region[10:-10, 2]
    differs = np.abs(region_edge - base_edge) > 0.002
    assert differs.any()
    weight = (edge - base_edge)[differs] / (region_edge - base_edge)[differs]
    assert np.allclose(weight, 0.25, atol=0.01)  # its centre is 2.5 px of 10 in


def test_hints_outside_the_box_do_not_guide_the_region_run(engine, photo):
    base = engine.colorize_array(photo, HINTS)
    far = HINTS + [Hint(300, 60, "#e0e020", 9)]
    assert np.array_equal(engine.region_array(photo, BOX, HINTS, base=base), engine.region_array(photo, BOX, far, base=base))
    painted = np.zeros((256, 384, 4), np.uint8)
    painted[58:63, 298:303] = (224, 224, 32, 255)
    assert np.array_equal(engine.region_array(photo, BOX, HINTS, base=base),
                          engine.region_array(photo, BOX, HINTS, painted, base=base))
    painted[118:123, 198:203] = (224, 224, 32, 255)  # inside the box: it counts
    assert not np.array_equal(engine.region_array(photo, BOX, HINTS, base=base),
                              engine.region_array(photo, BOX, HINTS, painted, base=base))


def test_the_region_takes_the_colors_around_it_from_the_whole_photo(propagation):
    """Without a hint inside the box, the propagation engine's region run continues the colors the
    whole-photo run has around the box (its ring of context) instead of failing for want of hints."""
    truth = np.asarray(Image.fromarray(color_photo("kodim23.png")).resize((384, 256)))
    photo = np.asarray(Image.fromarray(truth).convert("L"))
    rng = np.random.default_rng(0)
    hints = [Hint(int(x), int(y), tuple(int(v) for v in truth[y, x]), 3)
             for x, y in zip(rng.integers(0, 384, 40), rng.integers(0, 256, 40))]
    outside = [hint for hint in hints if not (140 <= hint.x < 240 and 80 <= hint.y < 160)]
    base = propagation.colorize_array(photo, outside)
    region = propagation.region_array(photo, (150, 90, 80, 60), outside, base=base).astype(float)
    assert np.abs(region - base[rows_columns(BOX)]).mean() < 4
    gray = np.repeat(photo[rows_columns(BOX)][..., None], 3, 2).astype(float)
    assert np.abs(region - gray).mean() > 2 * np.abs(region - base[rows_columns(BOX)]).mean()


def test_preview_of_a_region_is_the_box_computed_coarsely(engine, photo):
    preview = engine.preview_array(photo, HINTS, max_pixels=12_000, region=BOX)  # every 3rd pixel
    assert preview.shape == (60, 80, 3)
    x, y, _, _ = BOX
    blocks = (np.arange(y, y + 60)[:, None] // 3) * 1000 + np.arange(x, x + 80)[None] // 3
    for block in np.unique(blocks):  # the photo's 3×3 blocks, each one color
        assert len(np.unique(preview[blocks == block], axis=0)) == 1
    whole = engine.preview_array(photo, HINTS, max_pixels=12_000)[rows_columns(BOX)]  # as coarse, of the whole photo
    assert np.abs(preview.reshape(-1, 3).mean(0) - whole.reshape(-1, 3).mean(0)).max() < 6



def test_a_region_preview_of_a_small_photo_is_the_region_run_on_the_preview_grid(network, photo):
    """The network's preview grid is its grid: below a screen's worth of pixels, the preview is the region run."""
    assert np.array_equal(network.preview_array(photo, HINTS, region=BOX), network.region_array(photo, BOX, HINTS))


def test_a_region_run_composes_only_the_box_and_works_no_finer_than_the_photo(engine, photo, monkeypatch):
    """The whole photo is read only on a coarse grid for the context: at full resolution only the
    context box's lightness is read and only the box is composed; the region's own grid is at most
    the context box's pixels, even where the network's working size (256) is larger."""
    full, grids = [], []
    compose, lightness, predict = fullres.compose, fullres.lightness, engine.backend.predict_ab

    def spy_compose(l, ab, *args, **kwargs):
        full.append(("compose", tuple(l.shape[-2:] if isinstance(l, torch.Tensor) else l.shape[:2])))
        return compose(l, ab, *args, **kwargs)

    def spy_lightness(image, *args, **kwargs):
        full.append(("lightness", image.shape[:2]))
        return lightness(image, *args, **kwargs)

    def spy_predict(l, hints, image_size, grid=None, known=None):
        grids.append((grid, known is not None))
        return predict(l, hints, image_size, grid, known)

    monkeypatch.setattr(fullres, "compose", spy_compose)
    monkeypatch.setattr(fullres, "lightness", spy_lightness)
    monkeypatch.setattr(engine.backend, "predict_ab", spy_predict)
    region = engine.region_array(photo, BOX, HINTS, work_size=256)
    assert region.shape == (60, 80, 3)
    x, y, w, h = context_box(BOX, 384, 256)
    assert ("compose", (60, 80)) in full and all(rows <= h and columns <= w for _, (rows, columns) in full)
    (context, _), (own, with_known) = grids
    assert with_known and own[0] <= w and own[1] <= h  # 144×124: not enlarged to 256 on the short side
    assert context[0] * context[1] <= 384 * 256 / 4  # the context: a coarse grid of the whole photo


def test_known_colors_count_in_the_cells_they_wholly_cover():
    ab = torch.stack([torch.full((8, 8), 20.0), torch.full((8, 8), -30.0)])
    mask = torch.zeros(8, 8, dtype=torch.bool)
    mask[:, :3] = True  # columns 0..2: on a 4×4 grid, cell column 0 is wholly known, column 1 half
    known = Known(ab, mask, (8, 8))
    planes, hinted = hint_planes([Hint(7, 7, (200, 30, 30))], (8, 8), (4, 4), known)
    assert hinted[0, :, 0].tolist() == [1, 1, 1, 1] and hinted[0, :3, 1:].sum() == 0 and hinted[0, 3, 3] == 1
    assert planes[:, 0, 0].tolist() == [20.0, -30.0] and planes[0, 3, 3] > 30  # the hint keeps its own color


def test_the_context_box_grows_the_region_and_stays_inside_the_photo():
    assert context_box((150, 90, 80, 60), 384, 256) == (118, 58, 144, 124)  # at least 32 px of margin
    assert context_box((1000, 0, 400, 300), 1500, 1000) == (900, 0, 600, 400)  # a quarter of 400, cut at the edges


@pytest.mark.parametrize("kwargs, words", [
    (dict(region=(300, 200, 100, 100)), "does not lie inside the 384×256 photo"),
    (dict(region=(10, 10, 0, 5)), "has no pixels"),
    (dict(region=(1.5, 2, 3, 4)), "four whole numbers"),
    (dict(region=(10, 10)), "four whole numbers"),
    (dict(region=BOX, mask=np.ones((10, 10))), "give an H×W mask of the photo's size"),
    (dict(region=BOX, mask=np.ones((256, 384))), "selects pixels outside the region"),
    (dict(region=BOX, mask=np.full((256, 384), 2.0)), "between 0 and 1"),
    (dict(region=BOX, mask=np.zeros((256, 384)), feather=3), "give one or the other"),
    (dict(region=BOX, feather=-1), "must be a number of pixels ≥ 0"),
    (dict(mask=np.zeros((256, 384))), "give region=(x, y, width, height) too"),
    (dict(region=BOX, base=np.zeros((10, 10, 3), np.uint8)), "earlier RGB result of the photo's size"),
])
def test_bad_regions_masks_and_bases_are_one_sentence(propagation, photo, kwargs, words):
    with pytest.raises(InputError, match=re.escape(words)) as raised:
        propagation.colorize_array(photo, HINTS, **kwargs)
    assert "\n" not in str(raised.value)


def test_colorize_takes_a_region_and_a_pillow_base(propagation, photo):
    base = Image.fromarray(propagation.colorize_array(photo, HINTS))
    result = propagation.colorize(Image.fromarray(photo), HINTS, region=BOX, base=base, feather=4)
    assert result.size == (384, 256)
    outside = np.ones((256, 384), bool)
    outside[rows_columns(BOX)] = False
    assert np.array_equal(np.asarray(result)[outside], np.asarray(base)[outside])
