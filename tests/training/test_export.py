"""Export: the stylecam ONNX contract, metadata, ORT vs PyTorch, and the registry reading the file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from stylecam.errors import InputError
from stylecam.models import find_model
from stylecam.training.export import ExportWrapper, export_checkpoint, load_checkpoint, net_from_checkpoint
from stylecam.training.nets import build_net
from stylecam.training.train import TrainConfig, checkpoint_path, train


@pytest.fixture(scope="module")
def fast_ckpt(tiny_data: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    painting, content = tiny_data
    cfg = TrainConfig(
        style=str(painting),
        content=str(content),
        name="tiny-fast",
        arch="fast",
        size=32,
        steps=3,
        batch=2,
        style_size=64,
        vgg_weights="random",
        threads=1,
        sample_every=0,
        checkpoint_dir=str(tmp_path_factory.mktemp("ckpt")),
    )
    train(cfg, log=lambda _: None)
    return checkpoint_path(cfg)


def test_export_follows_the_contract(fast_ckpt: Path, tmp_path: Path) -> None:
    out = tmp_path / "models" / "tiny-fast.onnx"
    err = export_checkpoint(fast_ckpt, out)
    assert err <= 1.0  # at most one rounding level apart

    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (inp,), (outp,) = sess.get_inputs(), sess.get_outputs()
    assert (inp.name, inp.type, outp.name, outp.type) == (
        "frame",
        "tensor(uint8)",
        "stylized",
        "tensor(uint8)",
    )
    assert (
        inp.shape[0] == 1
        and inp.shape[3] == 3
        and isinstance(inp.shape[1], str)
        and isinstance(inp.shape[2], str)
    )
    for h, w in [(40, 56), (72, 48)]:  # dynamic H and W, multiples of 8
        frame = np.random.default_rng(h).integers(0, 256, (1, h, w, 3), dtype=np.uint8)
        got = sess.run(None, {"frame": frame})[0]
        assert got.shape == (1, h, w, 3) and got.dtype == np.uint8

    info = find_model(out)
    assert info.name == "tiny-fast" and info.arch == "fast"
    assert info.get("input_layout") == "NHWC" and info.get("color_order") == "BGR"
    assert info.get("input_dtype") == "uint8" and info.size_multiple == 8
    assert info.meta["stylecam.format"] == "1" and info.recommended_size == (640, 360)
    training = json.loads(info.meta["training"])
    assert training["steps"] == 3 and training["size"] == 32
    assert set(training["final_losses"]) >= {"content", "style", "tv", "total"}


def test_graph_is_bgr_nhwc_around_an_rgb_net() -> None:
    """A network that returns its input unchanged exports to an identity on uint8 BGR frames."""

    class Identity(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x

    class RedOnly(torch.nn.Module):  # keeps the R channel of RGB, zeroes G and B
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)

    frame = torch.randint(0, 256, (1, 8, 12, 3), dtype=torch.uint8)
    assert torch.equal(ExportWrapper(Identity())(frame), frame)
    red = ExportWrapper(RedOnly())(frame)
    assert torch.equal(red[..., 2], frame[..., 2]) and int(red[..., :2].abs().sum()) == 0  # BGR: red is last


@pytest.mark.parametrize("arch", ["fast", "quality"])
def test_ort_matches_torch_for_each_arch(arch: str, tmp_path: Path) -> None:
    """The exported graph computes what the PyTorch network computes, to one level in 255.

    The last layer is scaled up so that the output spans the whole 0-255 range: a wrong channel order
    in the fast net's folded SpaceToDepth/DepthToSpace or BGR handling would show as large errors.
    """
    from stylecam.training.export import export_net

    torch.manual_seed(0)
    net = build_net(arch)
    last = net.out[-1]
    with torch.no_grad():
        last.weight.mul_(20.0)
    h, w = 32, 48
    frame = torch.randint(0, 256, (1, h + 8, w + 16, 3), dtype=torch.uint8)
    with torch.no_grad():
        spread = ExportWrapper(net.eval())(frame).float().std()
    assert spread > 30  # the check below compares pictures, not flat grey
    err = export_net(net, tmp_path / f"{arch}.onnx", {"name": arch, "arch": arch}, check_size=(h, w))
    assert err <= 1.0


def test_bad_checkpoints(tmp_path: Path, fast_ckpt: Path) -> None:
    with pytest.raises(InputError):
        load_checkpoint(tmp_path / "missing.ckpt")
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"\x00garbage")
    with pytest.raises(InputError):
        load_checkpoint(junk)
    ckpt = load_checkpoint(fast_ckpt)
    ckpt["config"]["arch"] = "quality"  # weights of the other architecture
    with pytest.raises(InputError):
        net_from_checkpoint(ckpt)
