"""Image transformation networks: fully convolutional, instance-normalised, output the size of the input.

Both take RGB in ``[0, 1]`` (NCHW, float) and return RGB in ``[0, 1]`` through a sigmoid; the export wraps
them with the uint8 BGR NHWC conversion. Input height and width must be multiples of
:func:`size_multiple` (8 for the fast net, 4 for the quality net).

- ``quality``: Johnson et al. 2016 (9x9 conv 32, strided convs to 64 and 128, five residual blocks,
  nearest-neighbour upsampling + conv instead of transposed convs). ~1.7 M parameters, ~300 kFLOP per
  output pixel. For GPUs.
- ``paint``: :class:`PaintNet`, the painting network: Johnson's layout at reduced width with full-resolution
  input and output layers and conditional instance norm (many styles, blends). ~50 kFLOP per pixel.
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


class CondInstanceNorm(nn.Module):
    """Instance norm with one scale and shift per style (Dumoulin et al. 2017, conditional instance norm).

    ``style`` is ``(N, n_styles)``: each sample's weights over the styles (one-hot for one style, convex
    weights for a blend). The scale and shift used are the weighted sums of the styles' own, so a blend is
    one network run. With one style it is a plain affine instance norm.
    """

    def __init__(self, ch: int, n_styles: int = 1) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n_styles, ch))
        self.bias = nn.Parameter(torch.zeros(n_styles, ch))

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        g = style.to(self.weight.dtype) @ self.weight
        b = style.to(self.bias.dtype) @ self.bias
        if torch.onnx.is_in_onnx_export() and x.shape[0] == 1:  # one fused InstanceNormalization node
            return F.instance_norm(x, weight=g[0], bias=b[0], eps=1e-5)
        return F.instance_norm(x, eps=1e-5) * g[:, :, None, None].to(x.dtype) + b[:, :, None, None].to(
            x.dtype
        )


class _CConv(nn.Module):
    """Reflection pad, conv, conditional instance norm, optional ReLU; optional nearest x2 before."""

    def __init__(
        self, cin: int, cout: int, k: int, n_styles: int, stride: int = 1, act: bool = True, up: bool = False
    ) -> None:
        super().__init__()
        self.up = up
        self.pad = nn.ReflectionPad2d(k // 2)
        self.conv = nn.Conv2d(cin, cout, k, stride)
        self.norm = CondInstanceNorm(cout, n_styles)
        self.act = act

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        if self.up:
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        x = self.norm(self.conv(self.pad(x)), style)
        return F.relu(x) if self.act else x


class PaintNet(nn.Module):
    """The painting network: Johnson et al. 2016's layout at reduced width, one network for many styles.

    Full-resolution layers at the input (a ``k_in x k_in`` conv) and output (nearest x2 + 3x3 conv, then a
    ``k_out x k_out`` conv to RGB), where the strokes are drawn (a 9x9 conv to three channels at the
    output, as in Johnson's, cost half the network's time in ONNX Runtime on a CPU: 3x3 there); two stride-2 convs to 1/4 resolution and
    residual blocks there for the receptive field. Every norm is a :class:`CondInstanceNorm`, so the
    convolutions are shared by all styles and each style is its own set of scales and shifts
    (``n_styles`` of them): ``forward(x, style)`` with ``style`` ``(N, n_styles)`` weights. Reflection
    padding everywhere (zero padding teaches a frame at the border), nearest-neighbour upsampling (no
    checkerboard).
    """

    SIZE_MULTIPLE = 4  # two stride-2 convs

    def __init__(
        self,
        n_styles: int = 1,
        widths: tuple[int, int, int] = (16, 32, 64),
        n_res: int = 4,
        k_in: int = 9,
        k_out: int = 3,
    ) -> None:
        super().__init__()
        c1, c2, c3 = widths
        self.n_styles = n_styles
        self.config = {"widths": list(widths), "n_res": n_res, "k_in": k_in, "k_out": k_out}
        self.down = nn.ModuleList(
            [
                _CConv(3, c1, k_in, n_styles),
                _CConv(c1, c2, 3, n_styles, stride=2),
                _CConv(c2, c3, 3, n_styles, stride=2),
            ]
        )
        self.res = nn.ModuleList(
            [
                nn.ModuleList([_CConv(c3, c3, 3, n_styles), _CConv(c3, c3, 3, n_styles, act=False)])
                for _ in range(n_res)
            ]
        )
        self.up = nn.ModuleList([_CConv(c3, c2, 3, n_styles, up=True), _CConv(c2, c1, 3, n_styles, up=True)])
        self.out = nn.Sequential(nn.ReflectionPad2d(k_out // 2), nn.Conv2d(c1, 3, k_out))

    def forward(self, x: torch.Tensor, style: torch.Tensor | None = None) -> torch.Tensor:
        if style is None:
            style = torch.full((x.shape[0], self.n_styles), 1.0 / self.n_styles, device=x.device)
        for layer in self.down:
            x = layer(x, style)
        for a, b in self.res:
            x = x + b(a(x, style), style)
        for layer in self.up:
            x = layer(x, style)
        return torch.sigmoid(self.out(x))


NETS: dict[str, type[nn.Module]] = {"fast": FastNet, "quality": QualityNet, "paint": PaintNet}
ARCHS = tuple(NETS)


def build_net(arch: str, n_styles: int = 1) -> nn.Module:
    """A freshly initialised network of the named architecture ('paint', 'fast' or 'quality').

    ``n_styles`` > 1 only for 'paint', whose norms hold one scale and shift per style.
    """
    if arch not in NETS:
        raise ValueError(f"unknown architecture {arch!r}; expected one of {', '.join(ARCHS)}")
    if arch == "paint":
        return PaintNet(n_styles)
    if n_styles != 1:
        raise ValueError(f"the {arch!r} network holds one style; use 'paint' for several")
    return NETS[arch]()


def paint_net_from_state(state: dict[str, torch.Tensor]) -> PaintNet:
    """A :class:`PaintNet` shaped after ``state`` (widths, residual blocks, kernels and number of styles are
    read from the tensors' shapes) with those weights loaded. Keys as in ``PaintNet.state_dict()``.

    Raises:
        ValueError: ``state`` is not a painting network's.
    """
    try:
        widths = tuple(int(state[f"down.{i}.conv.weight"].shape[0]) for i in range(3))
        n_res = len({k.split(".")[1] for k in state if k.startswith("res.")})
        k_in = int(state["down.0.conv.weight"].shape[-1])
        k_out = int(state["out.1.weight"].shape[-1])
        n_styles = int(state["down.0.norm.weight"].shape[0])
    except (KeyError, IndexError) as exc:
        raise ValueError(f"not a painting network ({exc})") from None
    net = PaintNet(n_styles, widths, n_res, k_in, k_out)  # type: ignore[arg-type]
    net.load_state_dict(state)
    return net


def is_multi_style(net: nn.Module) -> bool:
    """Whether ``net`` takes the style weights as a second input (``forward(x, style)``)."""
    return isinstance(net, PaintNet)


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
