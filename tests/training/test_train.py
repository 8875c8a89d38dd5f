"""Training: a few steps of each architecture on tiny images with a random-init VGG."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from stylecam.errors import InputError
from stylecam.training.train import TrainConfig, checkpoint_path, train, weights_path


def _cfg(tiny_data: tuple[Path, Path], tmp_path: Path, arch: str, steps: int) -> TrainConfig:
    painting, content = tiny_data
    return TrainConfig(
        style=str(painting),
        content=str(content),
        name=f"tiny-{arch}",
        arch=arch,
        size=32,
        steps=steps,
        batch=2,
        lr=1e-3,
        style_size=64,
        vgg_weights="random",
        seed=1,
        threads=1,
        checkpoint_dir=str(tmp_path / "ckpt"),
        checkpoint_every=5,
        sample_every=0,
        log_every=100,
    )


@pytest.mark.parametrize("arch", ["fast", "quality"])
def test_loss_falls(tiny_data: tuple[Path, Path], tmp_path: Path, arch: str) -> None:
    lines: list[str] = []
    cfg = _cfg(tiny_data, tmp_path, arch, steps=16)
    cfg.log_every = 1
    final = train(cfg, log=lines.append)
    totals = [float(line.split(" total ")[1].split()[0]) for line in lines]
    styles = [float(line.split(" style ")[1].split()[0]) for line in lines]
    assert len(totals) == 16
    # the style term drives it; the fast net's lattice term rises a little as it learns the stripes
    assert sum(styles[-3:]) < 0.8 * sum(styles[:3])
    assert sum(totals[-3:]) < 0.9 * sum(totals[:3])
    assert final["step"] == 16
    expected = {"content", "colour", "style", "tv", "stability", "total"} | (
        {"lattice"} if arch == "fast" else set()
    )
    assert set(final["losses"]) == expected
    assert "steps/s" in lines[-1]
    assert checkpoint_path(cfg).is_file()


def test_resume_continues_from_saved_step(tiny_data: tuple[Path, Path], tmp_path: Path) -> None:
    cfg = _cfg(tiny_data, tmp_path, "fast", steps=6)
    cfg.temporal_weight = 0.0
    cfg.checkpoint_every = 3
    cfg.sample_every = 3
    first = train(cfg, log=lambda _: None)
    assert first["step"] == 6
    assert (tmp_path / "ckpt" / "samples" / "step_000006.png").is_file()
    slim = tmp_path / "weights-at-6.ckpt"
    shutil.copy(weights_path(cfg), slim)

    more = _cfg(tiny_data, tmp_path, "fast", steps=9)
    more.log_every = 1
    lines: list[str] = []
    resumed = train(more, resume=checkpoint_path(cfg), log=lines.append)
    assert [line.split()[1] for line in lines] == ["7/9", "8/9", "9/9"]
    assert resumed["step"] == 9
    assert resumed["config"]["temporal_weight"] == 0.0  # settings come from the checkpoint
    assert resumed["elapsed"] > first["elapsed"]

    # an uninterrupted 9-step run with the same seed ends with the same weights
    straight = _cfg(tiny_data, tmp_path / "straight", "fast", steps=9)
    straight.temporal_weight = 0.0
    full = train(straight, log=lambda _: None)
    for key, value in full["model"].items():
        torch.testing.assert_close(resumed["model"][key], value, rtol=1e-4, atol=1e-5)

    # the weights-only checkpoint (what the repository keeps) continues with a fresh optimizer
    assert slim.stat().st_size < 0.6 * checkpoint_path(cfg).stat().st_size
    again = _cfg(tiny_data, tmp_path / "again", "fast", steps=8)
    again.log_every = 1
    lines.clear()
    cont = train(again, resume=slim, log=lines.append)
    assert cont["step"] == 8 and len(lines) == 2
    assert not torch.equal(
        cont["model"]["out.1.weight"], torch.load(slim, weights_only=False)["model"]["out.1.weight"]
    )


def test_bad_inputs_are_input_errors(tiny_data: tuple[Path, Path], tmp_path: Path) -> None:
    painting, content = tiny_data
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        TrainConfig(style=str(tmp_path / "missing.jpg"), content=str(content), vgg_weights="random"),
        TrainConfig(style=str(painting), content=str(empty), vgg_weights="random"),
        TrainConfig(style=str(painting), content=str(content), vgg_weights=str(tmp_path / "no.pth")),
        TrainConfig(style=str(painting), content=str(content), vgg_weights="random", size=30),
    ]
    for cfg in cases:
        cfg.checkpoint_dir = str(tmp_path / "x")
        with pytest.raises(InputError):
            train(cfg, log=lambda _: None)
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError):
        train(TrainConfig(), resume=bad, log=lambda _: None)
