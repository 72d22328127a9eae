"""The network: official layout, parity with the released reference code, distribution head."""
import pytest
import torch

from hintcolor.engines.model import NUM_AB_BINS, SIGGRAPH17, ab_bin_centers
from hintcolor.engines.weights import load_model

from conftest import random_state_dict


def _inputs(height, width, hinted, seed=1):
    g = torch.Generator().manual_seed(seed)
    l = 100 * torch.rand(2, 1, height, width, generator=g)
    ab = torch.zeros(2, 2, height, width)
    mask = torch.zeros(2, 1, height, width)
    if hinted:  # a few 3×3 patches of random colors, as in training
        for y, x in torch.randint(0, min(height, width) - 3, (6, 2), generator=g).tolist():
            ab[:, :, y : y + 3, x : x + 3] = (torch.rand(2, 2, 1, 1, generator=g) - 0.5) * 200
            mask[:, :, y : y + 3, x : x + 3] = 1
    return l, ab, mask


def test_layout_matches_the_released_generator(reference):
    ours = {k: v.shape for k, v in SIGGRAPH17().state_dict().items()}
    theirs = {k: v.shape for k, v in reference.SIGGRAPHGenerator().state_dict().items()}
    assert ours == theirs
    assert sum(p.numel() for p in SIGGRAPH17().parameters()) == 34_187_027


@pytest.mark.parametrize("size", [(256, 256), (176, 320)])
@pytest.mark.parametrize("hinted", [False, True])
def test_parity_with_reference(reference, weights_file, size, hinted):
    ours = load_model(weights_file)
    theirs = reference.SIGGRAPHGenerator().eval()
    theirs.load_state_dict(torch.load(weights_file, weights_only=True))
    l, ab, mask = _inputs(*size, hinted)
    with torch.no_grad():
        expected = theirs(l, ab, mask)
        got = ours(l, ab, mask)
    assert got.shape == (2, 2, *size)
    assert expected.abs().max() > 1  # the comparison is not between two near-zero outputs
    assert (got - expected).abs().max() <= 1e-3


def test_hints_change_the_prediction(weights_file):
    net = load_model(weights_file)
    l, ab, mask = _inputs(64, 64, hinted=True)
    with torch.no_grad():
        assert (net(l, ab, mask) - net(l, ab * 0, mask * 0)).abs().max() > 0.01


def test_distribution_head(weights_file):
    net = load_model(weights_file)
    l, ab, mask = _inputs(64, 96, hinted=True)
    with torch.no_grad():
        logits = net.class_logits(l, ab, mask)
        probs = net.distribution(l, ab, mask)
    assert logits.shape == probs.shape == (2, NUM_AB_BINS, 16, 24)
    torch.testing.assert_close(probs.sum(1), torch.ones(2, 16, 24))
    torch.testing.assert_close(probs, torch.softmax(logits * 0.2, dim=1))
    centers = ab_bin_centers()
    assert centers.shape == (529, 2)
    assert centers[0].tolist() == [-110, -110] and centers[1].tolist() == [-110, -100] and centers[-1].tolist() == [110, 110]


def test_size_must_be_multiple_of_8():
    net = SIGGRAPH17().eval()
    with pytest.raises(ValueError, match="multiples of 8"):
        net(*_inputs(60, 64, hinted=False))


def test_random_weights_helper_keeps_official_layout():
    state = random_state_dict(with_batches_tracked=True)
    SIGGRAPH17().load_state_dict(state, strict=True)
