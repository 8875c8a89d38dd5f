"""Starting a new style from a shipped painting network: its shared convolutions, new norm parameters.

A painting network (:class:`.nets.PaintNet`) keeps everything a style is made of in its conditional
instance norms: one scale and shift per style in every norm layer, the convolutions shared. So a new
painting needs only its own rows of those tables (Dumoulin et al. 2017): :func:`start_from_base` builds
a network with the base's convolutions and new rows (the mean of the base's styles to start from), and
:func:`merge_into_base` puts the trained rows back beside the base's, so the exported file holds the
shipped styles and the new one, and blends across them run in one network.

The base is read from its ONNX file (its initializers keep PyTorch's parameter names), so no separate
PyTorch checkpoint has to ship with the models.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from ..errors import InputError
from .nets import PaintNet, paint_net_from_state


def read_base(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], list[dict[str, str]]]:
    """The weights (``PaintNet.state_dict()`` keys) and the style list of a multi-style painting network.

    Raises:
        InputError: the file is missing, or not a painting network exported by stylecam.
    """
    import onnx
    from onnx import numpy_helper

    path = Path(path)
    if not path.is_file():
        raise InputError(f"painting network not found: {path}", "give a stylecam painting network (.onnx)")
    try:
        model = onnx.load(str(path))
    except Exception as exc:  # onnx raises several types for a bad file
        raise InputError(
            f"{path} is not an ONNX file ({type(exc).__name__})", "give a painting network"
        ) from None
    meta = {p.key: p.value for p in model.metadata_props}
    try:
        styles = json.loads(meta.get("styles", "[]"))
    except json.JSONDecodeError:
        styles = []
    state = {
        init.name.removeprefix("net."): torch.from_numpy(numpy_helper.to_array(init).copy())
        for init in model.graph.initializer
        if init.name.startswith("net.")
    }
    if meta.get("arch") != "paint" or not styles or meta.get("precision", "fp32") != "fp32":
        raise InputError(
            f"{path.name} is not a float32 multi-style painting network",
            "give the .onnx of one (not a variant)",
        )
    try:
        paint_net_from_state(state)
    except (ValueError, RuntimeError) as exc:
        raise InputError(
            f"{path.name} does not hold a painting network's weights ({str(exc)[:100]})"
        ) from None
    return state, styles


def is_style_table(key: str, value: torch.Tensor) -> bool:
    """Whether a parameter is a per-style table of a conditional instance norm ``(n_styles, C)``."""
    return ".norm." in key and value.dim() == 2


def start_from_base(base: dict[str, torch.Tensor], n_styles: int) -> PaintNet:
    """A painting network with the base's shared weights and ``n_styles`` new styles, each starting at the
    mean of the base's styles."""
    state = {
        k: v.mean(0, keepdim=True).repeat(n_styles, 1) if is_style_table(k, v) else v.clone()
        for k, v in base.items()
    }
    return paint_net_from_state(state)


def shared_parameters(net: PaintNet) -> list[torch.nn.Parameter]:
    """The parameters every style shares (all but the per-style norm tables)."""
    return [p for k, p in net.named_parameters() if not is_style_table(k, p)]


def merge_into_base(base: dict[str, torch.Tensor], trained: dict[str, torch.Tensor]) -> PaintNet:
    """The base's styles followed by the trained ones, in one network (the shared weights: the trained
    network's, equal to the base's when only the norms were tuned)."""
    state = {
        k: torch.cat([base[k], v]) if is_style_table(k, v) else v for k, v in trained.items() if k in base
    }
    if set(state) != set(base):
        raise InputError("the checkpoint does not fit its base painting network", "retrain from that network")
    return paint_net_from_state(state)


def combine_networks(
    base: str | os.PathLike, additions: list[str | os.PathLike]
) -> tuple[PaintNet, list[dict[str, str]]]:
    """One network with the base's styles and the new styles of each addition: files written by a
    norms-only fine-tune from ``base`` (its styles first, the new ones after). Their shared weights must
    be the base's, to the bit, so every style paints as it did in its own file.

    Raises:
        InputError: an addition that was not fine-tuned from this base, or a style name twice.
    """
    state, styles = read_base(base)
    state = {k: v.clone() for k, v in state.items()}
    n_base = len(styles)
    for path in additions:
        other, other_styles = read_base(path)
        name = Path(path).name
        if set(other) != set(state) or [s["name"] for s in other_styles[:n_base]] != [
            s["name"] for s in styles[:n_base]
        ]:
            raise InputError(
                f"{name} was not trained from {Path(base).name}", "fine-tune it from that network"
            )
        for k, v in other.items():
            if not is_style_table(k, v) and not torch.equal(v, state[k]):
                raise InputError(
                    f"{name} changed the shared weights of {Path(base).name} (--tune all?)",
                    "only norms-only fine-tunes can be combined",
                )
        new = other_styles[n_base:]
        clash = {s["name"] for s in new} & {s["name"] for s in styles}
        if clash:
            raise InputError(f"style '{sorted(clash)[0]}' is in two of the networks", "rename one")
        for k, v in other.items():
            if is_style_table(k, v):
                state[k] = torch.cat([state[k], v[n_base:]])
        styles = styles + new
    return paint_net_from_state(state), styles
