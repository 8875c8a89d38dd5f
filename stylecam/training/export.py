"""Export a trained network to a self-describing ONNX file (the stylecam model contract).

The graph takes ``frame``: uint8 NHWC ``[1, H, W, 3]`` BGR 0-255 with dynamic H and W (multiples of the
``size_multiple`` metadata; the runtime pads), and returns ``stylized``: uint8 NHWC ``[1, H, W, 3]`` BGR.

- ``fast`` nets: transpose (uint8) → cast → SpaceToDepth → the network's trunk, whose first and last
  convolutions have the BGR order and the 0-255 scale folded into their weights → sigmoid, x255, round
  → DepthToSpace → cast → transpose. Nothing but these two shuffles and a cast touches full resolution.
- ``quality`` nets: cast, /255, BGR->RGB, NCHW, the network, clamp, x255, round, back to NHWC BGR uint8. The file's
``metadata_props`` carry the registry keys of :data:`stylecam.contract.METADATA_KEYS` and the training
settings, and the export checks that ONNX Runtime's output matches PyTorch's on random input.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..contract import STYLECAM
from ..errors import InputError, ModelError, OutputError
from .nets import FastNet, build_net, is_multi_style, size_multiple
from .styles import painting_info

OPSET = 17
LICENSE = "weights: MIT (stylecam); painting: public domain"


class ExportWrapper(nn.Module):
    """uint8 NHWC BGR in, uint8 NHWC BGR out, around a float NCHW RGB [0, 1] network.

    A network of several styles (:func:`.nets.is_multi_style`) takes a second input, ``style``: float32
    ``[n_styles]`` weights over its styles (one-hot for one style, weights summing to 1 for a blend).
    """

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net
        self.multi = is_multi_style(net) and getattr(net, "n_styles", 1) > 1

    def forward(self, frame: torch.Tensor, style: torch.Tensor | None = None) -> torch.Tensor:
        x = frame.to(torch.float32) / 255.0
        x = x.flip(-1).permute(0, 3, 1, 2)  # NHWC BGR -> NCHW RGB
        y = (self.net(x, None if style is None else style[None]) if self.multi else self.net(x)).clamp(
            0.0, 1.0
        )
        y = torch.round(y * 255.0).permute(0, 2, 3, 1).flip(-1)
        return y.to(torch.uint8)


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a training checkpoint.

    Raises:
        InputError: the file is missing or is not a stylecam checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"checkpoint not found: {path}", "give the .ckpt file written by 'stylecam train'")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many types for a corrupt file
        raise InputError(f"{path} is not a readable checkpoint ({type(exc).__name__})", "retrain") from None
    if not isinstance(ckpt, dict) or "model" not in ckpt or "config" not in ckpt:
        raise InputError(
            f"{path} is not a stylecam checkpoint", "give the .ckpt file written by 'stylecam train'"
        )
    return ckpt


def net_from_checkpoint(ckpt: dict[str, Any]) -> nn.Module:
    """The network stored in a checkpoint, in eval mode, on the CPU."""
    arch = ckpt["config"].get("arch", "fast")
    n_styles = max(1, len(ckpt["config"].get("styles") or []))
    if ckpt["config"].get("base"):  # a new style beside a painting network's: export them together
        from .base import merge_into_base, read_base

        return merge_into_base(read_base(ckpt["config"]["base"])[0], ckpt["model"]).eval()
    try:
        net = build_net(arch, n_styles)
        net.load_state_dict(ckpt["model"])
    except (ValueError, RuntimeError) as exc:
        raise InputError(
            f"checkpoint does not hold a '{arch}' network ({str(exc)[:120]})", "retrain"
        ) from None
    return net.eval()


def build_metadata(ckpt: dict[str, Any]) -> dict[str, str]:
    """The ``metadata_props`` for the network in ``ckpt``."""
    cfg = ckpt["config"]
    paintings = list(cfg.get("styles") or [])
    names = list(cfg.get("names") or [])
    base_styles: list[dict[str, str]] = []
    if cfg.get("base"):
        from .base import read_base

        base_styles = read_base(cfg["base"])[1]
        if not paintings:  # one new painting
            paintings = [cfg.get("style", "")]
            names = [cfg.get("name", "")] if cfg.get("name") else []
    info = painting_info(cfg.get("style", "") or "", cfg.get("name", ""))
    if cfg.get("teacher_style"):  # a distilled network: its teacher's style
        info = {**info, **{k: str(v) for k, v in cfg["teacher_style"].items() if k != "name"}}
    size = int(cfg.get("size", 256))
    training = {
        "arch": cfg.get("arch"),
        "style_image": Path(str(cfg.get("style", ""))).name,
        "style_images": [Path(p).name for p in paintings],
        "palette_weight": cfg.get("palette_weight", 0.0),
        "coarse_weight": cfg.get("coarse_weight", 0.0),
        "coarse_scale": cfg.get("coarse_scale"),
        "precision": cfg.get("precision", "bf16"),
        "steps": int(ckpt.get("step", 0)),
        "size": size,
        "batch": cfg.get("batch"),
        "style_size": cfg.get("style_size"),
        "lr": cfg.get("lr"),
        "content_weight": cfg.get("content_weight"),
        "style_weight": cfg.get("style_weight"),
        "tv_weight": cfg.get("tv_weight"),
        "lattice_weight": cfg.get("lattice_weight", 0.0),
        "colour_weight": cfg.get("colour_weight", 0.0),
        "colour_target": cfg.get("colour_target", "photo"),
        "style_lr_scale": cfg.get("style_lr_scale"),
        "temporal_weight": cfg.get("temporal_weight"),
        "content_layer": cfg.get("content_layer"),
        "style_layer_weights": list(cfg.get("style_layer_weights") or []),
        "vgg": Path(str(cfg.get("vgg_weights") or "torchvision")).name,
        "seed": cfg.get("seed"),
        "device": cfg.get("device"),
        "wall_time_s": round(float(ckpt.get("elapsed", 0.0)), 1),
        "final_losses": {k: round(float(v), 5) for k, v in (ckpt.get("losses") or {}).items()},
    }
    if cfg.get("teacher"):
        training["teacher"] = Path(str(cfg["teacher"])).name
        training["pixel_weight"] = cfg.get("pixel_weight")
        training["perceptual_weight"] = cfg.get("perceptual_weight")
    if cfg.get("base"):
        training["base"] = Path(str(cfg["base"])).name
        training["tune"] = cfg.get("tune", "norms")
    meta = {
        **contract_metadata(str(cfg.get("name") or info["name"]), str(cfg.get("arch", "fast"))),
        "title": info["title"],
        "artist": info["artist"],
        "year": info["year"],
        "license": LICENSE,
        "training": json.dumps(training, sort_keys=True),
    }
    if paintings:  # one network, several styles: the registry lists each one
        styles = list(base_styles)
        for i, p in enumerate(paintings):
            one = painting_info(p, names[i] if len(names) == len(paintings) else "")
            styles.append({k: one[k] for k in ("name", "title", "artist", "year")})
        meta["styles"] = json.dumps(styles)
        meta["title"] = f"{len(styles)} paintings"
        meta["artist"] = ""
        meta["year"] = ""
    return meta


def contract_metadata(name: str, arch: str) -> dict[str, str]:
    """The metadata every exported network carries: name, architecture and the I/O contract
    (:data:`stylecam.contract.STYLECAM`, with the architecture's size multiple)."""
    return {
        "stylecam.format": "1",
        "name": name,
        "arch": arch,
        **dataclasses.replace(STYLECAM, size_multiple=size_multiple(arch)).metadata(),
        "recommended_size": "1280x720" if arch == "quality" else "640x360",
    }


def export_net(
    net: nn.Module, out: str | os.PathLike, metadata: dict[str, str], check_size: tuple[int, int] = (64, 96)
) -> float:
    """Export ``net`` to ``out`` with ``metadata`` and return the max abs error of ORT vs PyTorch.

    Args:
        net: a float NCHW RGB [0, 1] network.
        out: the ``.onnx`` path to write (its folder is created).
        metadata: string key/values stored in ``metadata_props``.
        check_size: (height, width) of the random frame used for the ORT vs PyTorch check.

    Raises:
        OutputError: the file cannot be written.
        ModelError: ONNX Runtime cannot run the exported file.
    """
    import onnx

    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {out.parent} ({exc.strerror})", "choose another -o") from None
    net = net.float().eval().cpu()
    wrapper = ExportWrapper(net)
    h, w = check_size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if isinstance(net, FastNet):
            model = _export_fast(net)
        else:
            model = _export_torch(wrapper, h, w, getattr(net, "n_styles", 1) if wrapper.multi else 0)
    del model.metadata_props[:]
    for key, value in metadata.items():
        prop = model.metadata_props.add()
        prop.key, prop.value = key, str(value)
    model.producer_name = "stylecam"
    onnx.checker.check_model(model)
    try:
        onnx.save(model, str(out))
    except OSError as exc:
        raise OutputError(f"cannot write {out} ({exc.strerror})", "choose another -o") from None
    return check_onnx(out, wrapper, size=(h + 8, w + 16))


def _torch_export(
    module: nn.Module,
    dummy: torch.Tensor,
    name_in: str,
    name_out: str,
    axes: tuple,
    extra: tuple[tuple[str, torch.Tensor], ...] = (),
) -> Any:
    import onnx

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp) / "model.onnx"
        torch.onnx.export(
            module,
            (dummy, *(t for _, t in extra)),
            str(tmp_path),
            input_names=[name_in, *(n for n, _ in extra)],
            output_names=[name_out],
            dynamic_axes={name_in: dict(axes), name_out: dict(axes)},
            opset_version=OPSET,
            dynamo=False,
        )
        return onnx.load(str(tmp_path))


def _export_torch(wrapper: nn.Module, h: int, w: int, n_styles: int = 0) -> Any:
    """The whole wrapped network through the PyTorch exporter (the quality and paint nets); with
    ``n_styles``, a second input ``style`` of ``n_styles`` float32 weights."""
    dummy = torch.randint(0, 256, (1, h, w, 3), dtype=torch.uint8)
    c = STYLECAM
    extra = ((c.style_input, torch.eye(n_styles)[0]),) if n_styles else ()
    return _torch_export(wrapper, dummy, c.input_name, c.output_name, ((1, "height"), (2, "width")), extra)


class _Trunk(nn.Module):
    def __init__(self, net: FastNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, cells: torch.Tensor) -> torch.Tensor:
        return self.net.trunk(cells)


def fold_for_onnx(net: FastNet) -> FastNet:
    """A copy of ``net`` whose trunk takes ONNX SpaceToDepth cells of a BGR 0-255 frame and whose logits
    are in the channel order of ONNX DepthToSpace (CRD) for a BGR picture.

    PyTorch's pixel unshuffle orders channels colour-major (``c*16 + i*4 + j``), ONNX's SpaceToDepth
    position-major (``(i*4 + j)*3 + c``); the first convolution's input channels are permuted to match,
    reversed from RGB to BGR and divided by 255. The last convolution's output channels are reversed to BGR.
    """
    folded = copy.deepcopy(net)
    r2 = net.FACTOR**2
    src_in = [(2 - k % 3) * r2 + k // 3 for k in range(3 * r2)]
    src_out = [(2 - k // r2) * r2 + k % r2 for k in range(3 * r2)]
    first, first_src = folded.stem[1], net.stem[1]  # stem: edge pad, conv, norm, relu
    last, last_src = folded.out[-1], net.out[-1]
    with torch.no_grad():
        first.weight.copy_(first_src.weight[:, src_in] / 255.0)
        last.weight.copy_(last_src.weight[src_out])
        last.bias.copy_(last_src.bias[src_out])
    return folded


def _export_fast(net: FastNet) -> Any:
    """The fast net's trunk through the PyTorch exporter, framed by uint8 NHWC in/out nodes."""
    from onnx import TensorProto, helper, numpy_helper

    r = net.FACTOR
    trunk = _torch_export(
        _Trunk(fold_for_onnx(net)),
        torch.rand(1, 3 * r * r, 12, 16) * 255,
        "cells",
        "logits",
        ((2, "h4"), (3, "w4")),
    )
    g = trunk.graph
    pre = [
        helper.make_node("Transpose", [STYLECAM.input_name], ["frame_nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Cast", ["frame_nchw"], ["frame_f"], to=TensorProto.FLOAT),
        helper.make_node("SpaceToDepth", ["frame_f"], ["cells"], blocksize=r),
    ]
    post = [
        helper.make_node("Sigmoid", ["logits"], ["prob"]),
        helper.make_node("Mul", ["prob", "k255"], ["level"]),
        helper.make_node("Add", ["level", "khalf"], ["level_r"]),  # the cast truncates: +0.5 rounds
        helper.make_node("DepthToSpace", ["level_r"], ["pic_f"], blocksize=r, mode="CRD"),
        helper.make_node("Cast", ["pic_f"], ["pic"], to=TensorProto.UINT8),
        helper.make_node("Transpose", ["pic"], [STYLECAM.output_name], perm=[0, 2, 3, 1]),
    ]
    consts = [
        numpy_helper.from_array(np.array(255.0, np.float32), "k255"),
        numpy_helper.from_array(np.array(0.5, np.float32), "khalf"),
    ]
    graph = helper.make_graph(
        pre + list(g.node) + post,
        "stylecam_fast",
        [helper.make_tensor_value_info(STYLECAM.input_name, TensorProto.UINT8, [1, "height", "width", 3])],
        [helper.make_tensor_value_info(STYLECAM.output_name, TensorProto.UINT8, [1, "height", "width", 3])],
        initializer=list(g.initializer) + consts,
    )
    model = helper.make_model(graph, opset_imports=list(trunk.opset_import))
    model.ir_version = trunk.ir_version
    return model


def check_onnx(path: str | os.PathLike, wrapper: nn.Module, size: tuple[int, int]) -> float:
    """Max abs difference (in uint8 levels) between ONNX Runtime and PyTorch on a random frame."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        sess = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's own exception types
        raise ModelError(f"ONNX Runtime cannot load the exported {path} ({str(exc)[:160]})") from None
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (1, *size, 3), dtype=np.uint8)
    feeds = {STYLECAM.input_name: frame}
    style = None
    if getattr(wrapper, "multi", False):  # a blend of the first two styles (or the one)
        n = wrapper.net.n_styles
        style = np.zeros(n, np.float32)
        style[: min(n, 2)] = 1.0 / min(n, 2)
        feeds[STYLECAM.style_input] = style
    got = sess.run([STYLECAM.output_name], feeds)[0]
    with torch.no_grad():
        want = wrapper(torch.from_numpy(frame), None if style is None else torch.from_numpy(style)).numpy()
    if got.shape != want.shape or got.dtype != np.uint8:
        raise ModelError(f"exported model returns {got.dtype}{got.shape}, expected uint8{want.shape}")
    return float(np.abs(got.astype(np.int16) - want.astype(np.int16)).max())


def export_checkpoint(ckpt_path: str | os.PathLike, out: str | os.PathLike) -> float:
    """Export the network in a training checkpoint to ``out``; returns the ORT vs PyTorch max error."""
    ckpt = load_checkpoint(ckpt_path)
    net = net_from_checkpoint(ckpt)
    return export_net(net, out, build_metadata(ckpt))
