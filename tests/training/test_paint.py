"""The painting network: several styles in one network (conditional instance norm), blends, the palette
and coarse-style terms, the bf16 choice, and the two-input ONNX export the runtime reads."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest
import torch

from stylecam.errors import InputError
from stylecam.models import read_metadata
from stylecam.training import train as train_mod
from stylecam.training.cli import train_main
from stylecam.training.losses import (
    colour_directions,
    colour_model,
    palette_loss,
    palette_projections,
    recolour,
)
from stylecam.training.nets import PaintNet
from stylecam.training.train import PAINT_DEFAULTS, TrainConfig, resolve_precision, train


@pytest.fixture(scope="module")
def two_paintings(tiny_data: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The striped painting and a blotchy red one."""
    root = tmp_path_factory.mktemp("paintings")
    rng = np.random.default_rng(3)
    blot = cv2.resize(
        rng.integers(0, 256, (6, 6, 3), dtype=np.uint8), (256, 256), interpolation=cv2.INTER_CUBIC
    )
    blot[..., 2] = 220
    second = root / "red_blotches.png"
    cv2.imwrite(str(second), blot)
    return [tiny_data[0], second]


def test_one_hot_style_is_that_style_and_blends_are_one_run() -> None:
    torch.manual_seed(0)
    net = PaintNet(n_styles=3).eval()
    with torch.no_grad():
        for p in net.parameters():
            if p.dim() == 2:  # the per-style scales and shifts: make the styles differ
                p.add_(torch.randn_like(p) * 0.5)
        x = torch.rand(1, 3, 32, 48)
        e = torch.eye(3)
        outs = [net(x, e[i : i + 1]) for i in range(3)]
        blend = net(x, torch.tensor([[0.5, 0.5, 0.0]]))
    assert outs[0].shape == x.shape
    assert (outs[0] - outs[1]).abs().mean() > 1e-3  # the styles really differ
    # a blend sits between its two styles, not at a third one
    d_mix = (blend - 0.5 * (outs[0] + outs[1])).abs().mean()
    assert d_mix < (outs[0] - outs[2]).abs().mean()


def test_palette_loss_prefers_the_paintings_colours_to_a_tint() -> None:
    rng = torch.Generator().manual_seed(0)
    painting = torch.rand(1, 3, 32, 32, generator=rng)
    dirs = colour_directions()
    target = palette_projections(painting[0].permute(1, 2, 0).reshape(-1, 3), dirs, 64)[None]
    shuffled = painting.flatten(2)[..., torch.randperm(32 * 32, generator=rng)].reshape(1, 3, 32, 32)
    tint = painting.mean(dim=(2, 3), keepdim=True).expand(1, 3, 32, 32)
    assert palette_loss(shuffled, target, dirs) < 0.02  # same colours anywhere: (almost) no loss
    assert palette_loss(tint, target, dirs) > 5 * palette_loss(shuffled, target, dirs)


def test_recolour_gives_the_photo_the_paintings_colours_and_keeps_its_structure() -> None:
    rng = torch.Generator().manual_seed(0)
    # a painting of two colours: dark blue and yellow
    painting = torch.where(
        torch.rand(1, 1, 40, 40, generator=rng) < 0.5,
        torch.tensor([0.1, 0.1, 0.6]).view(1, 3, 1, 1),
        torch.tensor([0.9, 0.8, 0.1]).view(1, 3, 1, 1),
    )
    # a photo whose left half is a dark greyish and whose right half is a bright greyish, with noise
    photo = torch.full((1, 3, 24, 32), 0.3)
    photo[..., 16:] = 0.7
    photo = (photo + 0.02 * torch.randn(photo.shape, generator=rng)).clamp(0, 1)
    mean, axes, quantiles = colour_model(painting[0].permute(1, 2, 0).reshape(-1, 3))
    out = recolour(photo, mean[None], axes[None], quantiles[None])
    assert out.shape == photo.shape and float(out.min()) >= 0 and float(out.max()) <= 1
    left, right = out[..., :16].mean(dim=(2, 3))[0], out[..., 16:].mean(dim=(2, 3))[0]
    # each half takes one of the painting's colours (the dark half the blue, the bright half the yellow):
    # the photo's light stays where it was, the colours are the painting's, not a tint between them
    assert torch.allclose(left, torch.tensor([0.1, 0.1, 0.6]), atol=0.1)
    assert torch.allclose(right, torch.tensor([0.9, 0.8, 0.1]), atol=0.1)
    dirs = colour_directions()
    target = palette_projections(painting[0].permute(1, 2, 0).reshape(-1, 3), dirs, 64)[None]
    assert palette_loss(out, target, dirs) < 0.5 * palette_loss(photo, target, dirs)


@pytest.mark.parametrize(("has_bf16", "want"), [(True, "bf16"), (False, "fp32")])
def test_auto_precision_uses_bf16_only_where_the_cpu_has_it(
    monkeypatch: pytest.MonkeyPatch, has_bf16: bool, want: str
) -> None:
    monkeypatch.setattr(train_mod, "cpu_has_bf16", lambda: has_bf16)
    assert resolve_precision(TrainConfig(precision="auto")) == want
    assert resolve_precision(TrainConfig(precision="fp32")) == "fp32"


@pytest.mark.parametrize(("bf16_gpu", "want"), [(True, "bf16"), (False, "fp16")])
def test_auto_precision_on_cuda_is_bf16_where_the_gpu_has_it(
    monkeypatch: pytest.MonkeyPatch, bf16_gpu: bool, want: str
) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16_gpu)
    assert resolve_precision(TrainConfig(device="cuda")) == want
    assert resolve_precision(TrainConfig(device="cuda", precision="fp16")) == "fp16"  # asked for: kept
    # fp16 (loss-scaled) is a CUDA precision: asked for on the CPU it is refused before training
    with pytest.raises(InputError, match="fp16 is for CUDA"):
        train_mod._check(TrainConfig(arch="paint", precision="fp16"))


def test_cpu_has_bf16_reads_the_flags() -> None:
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    assert train_mod.cpu_has_bf16() == (" avx512_bf16" in flags or " amx_bf16" in flags)


def test_multi_style_training_lowers_the_loss(
    tiny_data: tuple[Path, Path], two_paintings: list[Path], tmp_path: Path
) -> None:
    lines: list[str] = []
    cfg = TrainConfig(
        styles=[str(p) for p in two_paintings],
        content=str(tiny_data[1]),
        name="two",
        size=32,
        steps=24,
        batch=2,
        style_size=64,
        vgg_weights="random",
        seed=1,
        threads=1,
        precision="fp32",
        checkpoint_dir=str(tmp_path / "ck"),
        checkpoint_every=100,
        sample_every=0,
        log_every=1,
        **{**PAINT_DEFAULTS, "arch": "paint", "lr": 3e-3, "colour_target": "painting", "colour_weight": 5.0},
    )
    final = train(cfg, log=lines.append)
    styles = [float(line.split(" style ")[1].split()[0]) for line in lines]
    assert len(styles) == 24 and sum(styles[-4:]) < 0.8 * sum(styles[:4])
    assert {"palette", "coarse", "style", "content", "stability", "colour"} <= set(final["losses"])
    assert "fp32" in lines[-1] and "left" in lines[-1]
    assert final["model"]["down.0.norm.weight"].shape[0] == 2  # one scale per style in every norm


def test_train_cli_several_paintings_exports_a_two_input_model(
    tiny_data: tuple[Path, Path], two_paintings: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "duo.onnx"
    argv = [
        "--style",
        *map(str, two_paintings),
        "--names",
        "stripes,blotches",
        "--content",
        str(tiny_data[1]),
    ]
    argv += ["--size", "32", "--steps", "2", "--batch", "2", "--style-size", "48", "--vgg-weights", "random"]
    argv += [
        "--threads",
        "1",
        "--sample-every",
        "0",
        "--checkpoint-dir",
        str(tmp_path / "ck"),
        "-o",
        str(out),
    ]
    assert train_main([*argv, "--no-variants"]) == 0, capsys.readouterr().err
    meta = read_metadata(out)
    assert meta["arch"] == "paint"
    assert [s["name"] for s in json.loads(meta["styles"])] == ["stripes", "blotches"]
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [(i.name, i.type) for i in sess.get_inputs()] == [
        ("frame", "tensor(uint8)"),
        ("style", "tensor(float)"),
    ]
    frame = np.random.default_rng(0).integers(0, 256, (1, 36, 52, 3), dtype=np.uint8)
    a = sess.run(None, {"frame": frame, "style": np.array([1, 0], np.float32)})[0]
    b = sess.run(None, {"frame": frame, "style": np.array([0, 1], np.float32)})[0]
    assert a.shape == frame.shape and a.dtype == np.uint8
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 0.1  # the style input is used


def test_several_paintings_need_the_paint_network(
    tiny_data: tuple[Path, Path], two_paintings: list[Path], capsys: pytest.CaptureFixture
) -> None:
    argv = ["--style", *map(str, two_paintings), "--content", str(tiny_data[1]), "--arch", "fast"]
    assert train_main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--arch paint" in err[0]


def test_precision_variants_of_a_multi_style_network_keep_the_style_input(tmp_path: Path) -> None:
    from stylecam.training.export import contract_metadata, export_net
    from stylecam.training.variants import build_variants

    torch.manual_seed(0)
    net = PaintNet(n_styles=2)
    meta = contract_metadata("duo", "paint")
    meta["styles"] = json.dumps([{"name": n, "title": n, "artist": "", "year": ""} for n in ("a", "b")])
    path = tmp_path / "duo.onnx"
    export_net(net, path, meta)
    reports = build_variants(path, strict=False)
    assert {r.precision for r in reports if not r.skipped} == {"fp16", "int8"}, [r.summary() for r in reports]
    for r in reports:
        sess = ort.InferenceSession(str(r.path), providers=["CPUExecutionProvider"])
        assert [i.name for i in sess.get_inputs()] == ["frame", "style"]
