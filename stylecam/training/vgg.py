"""VGG16 loss network: relu1_2, relu2_2, relu3_3 and relu4_3 features of an RGB [0, 1] batch."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from ..errors import InputError

#: name -> index of the ReLU in torchvision's ``vgg16().features``
LAYERS: dict[str, int] = {"relu1_2": 3, "relu2_2": 8, "relu3_3": 15, "relu4_3": 22}
RANDOM = "random"  # vgg_weights value for a random-init network (tests only)


class VGG16Features(nn.Module):
    """Frozen VGG16 up to relu4_3 with torchvision's input normalisation built in.

    Args:
        weights: ``None`` for torchvision's pretrained ImageNet weights (downloaded once), a path to a
            state dict of ``features.*`` tensors (e.g. ``vgg16_features.pth``), or ``"random"`` for a
            randomly initialised network (tests).

    Raises:
        InputError: the weights file is missing or does not fit.
    """

    def __init__(self, weights: str | os.PathLike | None = None) -> None:
        super().__init__()
        if weights is None:
            from torchvision.models import VGG16_Weights, vgg16

            try:
                features = vgg16(weights=VGG16_Weights.IMAGENET1K_V1).features
            except Exception as exc:  # network errors come in many types
                raise InputError(
                    f"cannot download torchvision's VGG16 weights ({type(exc).__name__})",
                    "pass --vgg-weights FILE with a local vgg16 features state dict",
                ) from None
        else:
            features = _vgg16_features()
            if str(weights) != RANDOM:
                features.load_state_dict(_load_features(Path(weights)), strict=False)
        self.features = features[: LAYERS["relu4_3"] + 1].eval()
        for p in self.features.parameters():
            p.requires_grad_(False)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        self.out_at = {idx: name for name, idx in LAYERS.items()}

    def forward(self, x: torch.Tensor, upto: str = "relu4_3") -> dict[str, torch.Tensor]:
        x = (x - self.mean) / self.std
        feats: dict[str, torch.Tensor] = {}
        last = LAYERS[upto]
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.out_at:
                feats[self.out_at[i]] = x
            if i == last:
                break
        return feats


def _vgg16_features() -> nn.Sequential:
    """torchvision's ``vgg16().features`` layout up to relu4_3, without building the classifier."""
    layers: list[nn.Module] = []
    cin = 3
    for v in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512):
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(cin, int(v), 3, padding=1), nn.ReLU(inplace=True)]
            cin = int(v)
    return nn.Sequential(*layers)


def _load_features(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise InputError(f"VGG weights not found: {path}", "give a vgg16 features state dict (.pth)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt or foreign file
        raise InputError(f"cannot read VGG weights {path} ({type(exc).__name__})", "check the file") from None
    if not isinstance(state, dict):
        raise InputError(f"{path} is not a state dict", "give a vgg16 features state dict (.pth)")
    state = {k.removeprefix("features."): v for k, v in state.items()}
    needed = [f"{i}.weight" for i in (0, 2, 5, 7, 10, 12, 14, 17, 19, 21)]
    missing = [k for k in needed if k not in state]
    if missing:
        raise InputError(f"{path} lacks VGG16 layers ({', '.join(missing[:3])})", "check the file")
    return state
