"""Image transformation networks: fully convolutional, instance-normalised, output the size of the input.

Both take RGB in ``[0, 1]`` (NCHW, float) and return RGB, about ``[0, 1]`` (the quality net through a
sigmoid; the fast net adds its output to the photo and is clamped by the export); the export wraps them
with the uint8 BGR NHWC conversion. Input height and width must be multiples of 4.

- ``quality``: Johnson et al. 2016 (9x9 conv 32, strided convs to 64 and 128, five residual blocks,
  nearest-neighbour upsampling + conv instead of transposed convs). ~1.7 M parameters, ~300 kFLOP per
  output pixel. For GPUs.
- ``fast``: downsamples by 4 at once (two strided 3x3 convs), does its work at 1/4 resolution with dense
  3x3 convs in residual blocks, and upsamples with a cheap head (nearest x2 + 3x3 conv at 1/2 resolution,
  then nearest x2 and a 3x3 conv to RGB). ~10 kFLOP per output pixel, for real time on a laptop CPU.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

ARCHS = ("fast", "quality")


class ConvNormAct(nn.Sequential):
    """Conv, instance norm (affine, unless ``norm`` is False) and optional ReLU; reflection or zero padding."""

    def __init__(
        self,
        cin: int,
        cout: int,
        k: int,
        stride: int = 1,
        act: bool = True,
        reflect: bool = False,
        norm: bool = True,
    ) -> None:
        pad = k // 2
        layers: list[nn.Module] = []
        if reflect and pad:
            layers += [nn.ReflectionPad2d(pad), nn.Conv2d(cin, cout, k, stride)]
        else:
            layers += [nn.Conv2d(cin, cout, k, stride, padding=pad)]
        if norm:
            layers.append(nn.InstanceNorm2d(cout, affine=True))
        if act:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class ResidualBlock(nn.Module):
    """Two 3x3 conv + instance-norm layers with an identity shortcut."""

    def __init__(self, ch: int, reflect: bool = False, norm: bool = True) -> None:
        super().__init__()
        self.body = nn.Sequential(
            ConvNormAct(ch, ch, 3, reflect=reflect, norm=norm),
            ConvNormAct(ch, ch, 3, act=False, reflect=reflect, norm=norm),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class UpConv(nn.Module):
    """x2 upsampling (nearest or bilinear) followed by a conv (no checkerboard artefacts)."""

    def __init__(
        self, cin: int, cout: int, k: int = 3, reflect: bool = False, norm: bool = True, mode: str = "nearest"
    ) -> None:
        super().__init__()
        self.mode = mode
        self.conv = ConvNormAct(cin, cout, k, reflect=reflect, norm=norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "nearest":
            return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))
        return self.conv(F.interpolate(x, scale_factor=2.0, mode=self.mode, align_corners=False))


class QualityNet(nn.Module):
    """Johnson et al. 2016 transformer network (~1.7 M parameters)."""

    def __init__(self, n_res: int = 5) -> None:
        super().__init__()
        self.down = nn.Sequential(
            ConvNormAct(3, 32, 9, reflect=True),
            ConvNormAct(32, 64, 3, 2, reflect=True),
            ConvNormAct(64, 128, 3, 2, reflect=True),
        )
        self.res = nn.Sequential(*[ResidualBlock(128, reflect=True) for _ in range(n_res)])
        self.up = nn.Sequential(UpConv(128, 64, reflect=True), UpConv(64, 32, reflect=True))
        self.out = nn.Sequential(nn.ReflectionPad2d(4), nn.Conv2d(32, 3, 9))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.out(self.up(self.res(self.down(x)))))


class FastNet(nn.Module):
    """Small network for real-time CPU inference: the work is done at 1/4 resolution.

    Args:
        ch: channels at 1/2 and at 1/4 resolution.
        n_res: residual blocks at 1/4 resolution.
        residual: the network predicts a change added to the photo rather than the picture itself, so
            it keeps the content from the first step and the style loss moves colours and adds texture:
            it trains in far fewer steps. (An earlier version added the change in logit space; bright
            and dark areas then barely moved and the network compensated with blotches.)
        norm: 'all' (instance norm after every conv) or 'input' (after the first conv only).
    """

    def __init__(
        self, ch: tuple[int, int] = (16, 32), n_res: int = 3, residual: bool = False, norm: str = "all"
    ) -> None:
        super().__init__()
        self.residual = residual
        c2, c4 = ch
        deep = norm == "all"
        # reflection padding on the 3-channel input only (cheap): no dark frame at the image border
        self.down = nn.Sequential(
            ConvNormAct(3, c2, 3, 2, reflect=True), ConvNormAct(c2, c4, 3, 2, norm=deep)
        )
        self.res = nn.Sequential(*[ResidualBlock(c4, norm=deep) for _ in range(n_res)])
        # nearest, not bilinear: with bilinear upsampling the net learns brush texture far more slowly
        # (in a few hundred steps it stays a colour filter)
        self.up = UpConv(c4, c2, norm=deep)
        self.out = nn.Conv2d(c2, 3, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.up(self.res(self.down(x)))
        y = self.out(F.interpolate(y, scale_factor=2.0, mode="nearest"))
        return x + y if self.residual else torch.sigmoid(y)


def build_net(arch: str, residual: bool = False, norm: str = "all") -> nn.Module:
    """A freshly initialised network of the named architecture ('fast' or 'quality').

    ``residual`` and ``norm`` ('all': instance norm after every conv; 'input': after the first only)
    apply to the fast network.
    """
    if arch == "fast":
        return FastNet(residual=residual, norm=norm)
    if arch == "quality":
        return QualityNet()
    raise ValueError(f"unknown architecture {arch!r}; expected one of {', '.join(ARCHS)}")


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
