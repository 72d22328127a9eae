"""The SIGGRAPH 2017 user-guided colorization network (Zhang et al.).

The module layout (names, indices, shapes) is exactly the one of the released weights
``siggraph17-df00044c.pth``, so they load with ``strict=True``. Unlike the released forward,
the decoder tail is computed once, and the skip sums and activations are
computed in place (the same values, less memory traffic).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

L_CENTER = 50.0
L_NORM = 100.0
AB_NORM = 110.0

#: Side of the ab grid of the class-distribution head: a, b in -110..110, step 10.
AB_GRID_SIDE = 23
#: Number of ab bins of the class-distribution head.
NUM_AB_BINS = AB_GRID_SIDE * AB_GRID_SIDE


def ab_bin_centers() -> Tensor:
    """Lab (a, b) centre of each of the 529 distribution bins, shape 529×2, bin k = (k // 23, k % 23)."""
    axis = torch.arange(-110.0, 111.0, 10.0)
    a, b = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([a.reshape(-1), b.reshape(-1)], dim=1)


def _conv(cin: int, cout: int, dilation: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=3, padding=dilation, dilation=dilation)


def _conv_block(cin: int, cout: int, n_convs: int, dilation: int = 1) -> nn.Sequential:
    """``n_convs`` × (3×3 conv, ReLU), then BatchNorm: one encoder stage."""
    layers: list[nn.Module] = []
    for i in range(n_convs):
        layers += [_conv(cin if i == 0 else cout, cout, dilation), nn.ReLU(True)]
    return nn.Sequential(*layers, nn.BatchNorm2d(cout))


def _decoder_block(channels: int, n_convs: int) -> nn.Sequential:
    """ReLU, then ``n_convs`` × (3×3 conv, ReLU), then BatchNorm: applied after a skip sum."""
    layers: list[nn.Module] = [nn.ReLU(True)]
    for _ in range(n_convs):
        layers += [_conv(channels, channels), nn.ReLU(True)]
    return nn.Sequential(*layers, nn.BatchNorm2d(channels))


def _upsample(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, kernel_size=4, stride=2, padding=1))


class SIGGRAPH17(nn.Module):
    """User-guided colorization network; input and output in Lab units.

    Call as ``net(l, ab, mask)``:

    - ``l``: N×1×H×W float, CIE L* in 0..100.
    - ``ab``: N×2×H×W float, hint a*, b* in Lab units, 0 where there is no hint.
    - ``mask``: N×1×H×W float, 1 where a hint is given, 0 elsewhere (not centred).

    Returns N×2×H×W predicted a*, b* in Lab units (within ±110). H and W must be
    multiples of 8 (the encoder halves the resolution three times).
    """

    def __init__(self) -> None:
        super().__init__()
        self.model1 = _conv_block(4, 64, 2)
        self.model2 = _conv_block(64, 128, 2)
        self.model3 = _conv_block(128, 256, 3)
        self.model4 = _conv_block(256, 512, 3)
        self.model5 = _conv_block(512, 512, 3, dilation=2)
        self.model6 = _conv_block(512, 512, 3, dilation=2)
        self.model7 = _conv_block(512, 512, 3)
        self.model8up = _upsample(512, 256)
        self.model3short8 = nn.Sequential(_conv(256, 256))
        self.model8 = _decoder_block(256, 2)
        self.model9up = _upsample(256, 128)
        self.model2short9 = nn.Sequential(_conv(128, 128))
        self.model9 = _decoder_block(128, 1)
        self.model10up = _upsample(128, 128)
        self.model1short10 = nn.Sequential(_conv(64, 128))
        self.model10 = nn.Sequential(nn.ReLU(True), _conv(128, 128), nn.LeakyReLU(0.2, True))
        self.model_class = nn.Sequential(nn.Conv2d(256, NUM_AB_BINS, kernel_size=1))
        self.model_out = nn.Sequential(nn.Conv2d(128, 2, kernel_size=1), nn.Tanh())

    def _encode(self, l: Tensor, ab: Tensor, mask: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Features at full, 1/2 and 1/4 resolution (conv1_2, conv2_2, conv8_3)."""
        h, w = l.shape[-2:]
        if h % 8 or w % 8:
            raise ValueError(f"SIGGRAPH17 needs height and width multiples of 8, got {h}×{w}")
        x = torch.cat([(l - L_CENTER) / L_NORM, ab / AB_NORM, mask], dim=1)
        conv1_2 = self.model1(x)
        conv2_2 = self.model2(conv1_2[:, :, ::2, ::2])
        conv3_3 = self.model3(conv2_2[:, :, ::2, ::2])
        conv4_3 = self.model4(conv3_3[:, :, ::2, ::2])
        conv7_3 = self.model7(self.model6(self.model5(conv4_3)))
        conv8_3 = self.model8(self.model8up(conv7_3).add_(self.model3short8(conv3_3)))
        return conv1_2, conv2_2, conv8_3

    def forward(self, l: Tensor, ab: Tensor, mask: Tensor) -> Tensor:
        conv1_2, conv2_2, conv8_3 = self._encode(l, ab, mask)
        conv9_3 = self.model9(self.model9up(conv8_3).add_(self.model2short9(conv2_2)))
        conv10_2 = self.model10(self.model10up(conv9_3).add_(self.model1short10(conv1_2)))
        return self.model_out(conv10_2) * AB_NORM

    def class_logits(self, l: Tensor, ab: Tensor, mask: Tensor) -> Tensor:
        """Logits of the ab distribution head: N×529×(H/4)×(W/4); bins as in :func:`ab_bin_centers`."""
        return self.model_class(self._encode(l, ab, mask)[2])

    def distribution(self, l: Tensor, ab: Tensor, mask: Tensor, temperature: float = 0.2) -> Tensor:
        """Probabilities over the 529 ab bins, N×529×(H/4)×(W/4).

        ``softmax(logits × temperature)``; 0.2 is what the interactive demo (ideepcolor) uses
        before suggesting colors at a point.
        """
        return torch.softmax(self.class_logits(l, ab, mask) * temperature, dim=1)
