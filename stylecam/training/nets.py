"""Image transformation networks: fully convolutional, instance-normalised, output the size of the input.

Both take RGB in ``[0, 1]`` (NCHW, float) and return RGB in ``[0, 1]`` through a sigmoid; the export wraps
them with the uint8 BGR NHWC conversion. Input height and width must be multiples of
:func:`size_multiple` (8 for the fast net, 4 for the quality net).

- ``quality``: Johnson et al. 2016 (9x9 conv 32, strided convs to 64 and 128, five residual blocks,
  nearest-neighbour upsampling + conv instead of transposed convs). ~1.7 M parameters, ~300 kFLOP per
  output pixel. For GPUs.
- ``fast``: space-to-depth by 4 at once, dense 3x3 convs at 1/4 and 1/8 resolution, depth-to-space back
  to full resolution: no convolution at full or half resolution. ~11 kFLOP per output pixel, for real
  time on a laptop CPU.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

_PADS = {"reflect": nn.ReflectionPad2d, "edge": nn.ReplicationPad2d}


class ConvNormAct(nn.Sequential):
    """Conv, instance norm (affine, unless ``norm`` is False) and optional ReLU.

    ``padding``: 'zeros' (the conv's own), 'reflect' or 'edge' (repeat the border pixels; any size).
    """

    def __init__(
        self,
        cin: int,
        cout: int,
        k: int,
        stride: int = 1,
        act: bool = True,
        padding: str = "zeros",
        norm: bool = True,
    ) -> None:
        pad = k // 2
        layers: list[nn.Module] = []
        if padding in _PADS and pad:
            layers += [_PADS[padding](pad), nn.Conv2d(cin, cout, k, stride)]
        else:
            layers += [nn.Conv2d(cin, cout, k, stride, padding=pad)]
        if norm:
            layers.append(nn.InstanceNorm2d(cout, affine=True))
        if act:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class ResidualBlock(nn.Module):
    """Two 3x3 conv + instance-norm layers with an identity shortcut."""

    def __init__(self, ch: int, padding: str = "zeros") -> None:
        super().__init__()
        self.body = nn.Sequential(
            ConvNormAct(ch, ch, 3, padding=padding), ConvNormAct(ch, ch, 3, act=False, padding=padding)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class UpConv(nn.Module):
    """Nearest-neighbour x2 upsampling followed by a conv (no checkerboard artefacts)."""

    def __init__(self, cin: int, cout: int, k: int = 3, padding: str = "zeros") -> None:
        super().__init__()
        self.conv = ConvNormAct(cin, cout, k, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class QualityNet(nn.Module):
    """Johnson et al. 2016 transformer network (~1.7 M parameters)."""

    SIZE_MULTIPLE = 4  # two stride-2 convs

    def __init__(self, n_res: int = 5) -> None:
        super().__init__()
        self.down = nn.Sequential(
            ConvNormAct(3, 32, 9, padding="reflect"),
            ConvNormAct(32, 64, 3, 2, padding="reflect"),
            ConvNormAct(64, 128, 3, 2, padding="reflect"),
        )
        self.res = nn.Sequential(*[ResidualBlock(128, padding="reflect") for _ in range(n_res)])
        self.up = nn.Sequential(UpConv(128, 64, padding="reflect"), UpConv(64, 32, padding="reflect"))
        self.out = nn.Sequential(nn.ReflectionPad2d(4), nn.Conv2d(32, 3, 9))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.out(self.up(self.res(self.down(x)))))


class FastNet(nn.Module):
    """Small network for real-time CPU inference: all the work is done at 1/4 and 1/8 resolution.

    The photo is folded into 48 channels at 1/4 resolution by a space-to-depth (pixel unshuffle) step,
    which loses nothing and costs a memory shuffle instead of a strided convolution at full resolution.
    A 3x3 conv at 1/4 resolution, a strided conv to 1/8 and residual blocks there (wide receptive field
    for brush strokes), a 1x1 conv and nearest-neighbour upsampling back to 1/4 joined with the
    1/4-resolution features (the skip keeps fine detail), and a 3x3 conv to 48 channels that a
    depth-to-space step unfolds into the RGB picture: no convolution runs at full or half resolution.
    Every conv pads by repeating the edge, so zero padding does not teach the network to paint a frame.

    In the exported ONNX graph the space-to-depth/depth-to-space steps are ONNX's own operators, and the
    BGR order and the 0-255 scale are folded into the first and last convolutions' weights.

    Args:
        c4: channels at 1/4 resolution.
        c8: channels at 1/8 resolution.
        n_res: residual blocks at 1/8 resolution.
    """

    FACTOR = 4
    #: height and width must be multiples of this (4 for the fold, 2 more for the strided conv)
    SIZE_MULTIPLE = 8

    def __init__(self, c4: int = 32, c8: int = 64, n_res: int = 2) -> None:
        super().__init__()
        cin = 3 * self.FACTOR**2
        self.stem = ConvNormAct(cin, c4, 3, padding="edge")
        self.down = ConvNormAct(c4, c8, 3, 2, padding="edge")
        self.res = nn.Sequential(*[ResidualBlock(c8, padding="edge") for _ in range(n_res)])
        self.reduce = nn.Conv2d(c8, c8 // 4, 1)
        self.up = ConvNormAct(c8 // 4 + c4, c4, 3, padding="edge", norm=False)
        self.out = nn.Sequential(nn.ReplicationPad2d(1), nn.Conv2d(c4, cin, 3))
        last = self.out[-1]
        with torch.no_grad():  # ICNR: every pixel of a 4x4 cell starts with the same weights (no grid)
            r2 = self.FACTOR**2
            last.weight.copy_(last.weight[::r2].repeat_interleave(r2, 0))
            last.bias.copy_(last.bias[::r2].repeat_interleave(r2, 0))

    def trunk(self, s: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, 48, h, w)`` of the output's 4x4 cells from the photo's ``(N, 48, h, w)`` cells."""
        a = self.stem(s)
        b = self.res(self.down(a))
        # nearest x2, not pixel shuffle: a depth-to-space step here lets the style loss paint a grid
        # with an 8-pixel period
        b = F.interpolate(self.reduce(b), scale_factor=2.0, mode="nearest")
        return self.out(self.up(torch.cat([b, a], 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = F.pixel_unshuffle(x, self.FACTOR)
        return torch.sigmoid(F.pixel_shuffle(self.trunk(s), self.FACTOR))


NETS: dict[str, type[nn.Module]] = {"fast": FastNet, "quality": QualityNet}
ARCHS = tuple(NETS)


def build_net(arch: str) -> nn.Module:
    """A freshly initialised network of the named architecture ('fast' or 'quality')."""
    if arch not in NETS:
        raise ValueError(f"unknown architecture {arch!r}; expected one of {', '.join(ARCHS)}")
    return NETS[arch]()


def size_multiple(arch: str) -> int:
    """Height and width of the network's input must be multiples of this."""
    return NETS[arch].SIZE_MULTIPLE


def count_params(net: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


def count_macs(net: nn.Module, height: int, width: int) -> int:
    """Multiply-accumulates of the convolutions for one ``height x width`` image (norms, adds not counted)."""
    macs = 0

    def hook(module: nn.Conv2d, _inp: tuple, out: torch.Tensor) -> None:
        nonlocal macs
        k = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
        macs += out.numel() * k

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.Conv2d)]
    try:
        with torch.no_grad():
            net.eval()(torch.zeros(1, 3, height, width))
    finally:
        for h in handles:
            h.remove()
    return macs
