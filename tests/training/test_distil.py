"""Distillation: a fast live network trained to copy a painting network (the teacher), through
ONNX Runtime; the teacher's pictures cached once; the result listed beside its style and run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from stylecam.engine import Stylizer
from stylecam.models import find_model, list_models, read_metadata
from stylecam.training.cli import train_main
from stylecam.training.export import contract_metadata, export_net
from stylecam.training.nets import PaintNet


@pytest.fixture
def teacher(tmp_path: Path) -> Path:
    """A two-style painting network with distinct styles: 'alpha' and 'beta'."""
    torch.manual_seed(0)
    net = PaintNet(n_styles=2)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if ".norm." in name:
                p.add_(torch.randn_like(p) * 0.5)
    meta = contract_metadata("paint", "paint")
    meta["styles"] = json.dumps(
        [{"name": n, "title": n.title(), "artist": "Teacher", "year": "1900"} for n in ("alpha", "beta")]
    )
    path = tmp_path / "models" / "paint.onnx"
    export_net(net, path, meta)
    return path


def _argv(content: Path, tmp_path: Path, *extra: str) -> list[str]:
    return [
        "--content", str(content), "--size", "32", "--steps", "30", "--batch", "2", "--vgg-weights", "random",
        "--threads", "1", "--sample-every", "0", "--log-every", "1", "--checkpoint-dir", str(tmp_path / "ck"),
        "--no-variants", "--lr", "5e-3", *extra,
    ]  # fmt: skip


def _term(err: str, name: str) -> list[float]:
    return [float(line.split(f" {name} ")[1].split()[0]) for line in err.splitlines() if f" {name} " in line]


def test_distilled_network_copies_its_teacher_and_runs_as_the_styles_live_network(
    tiny_data: tuple[Path, Path],
    teacher: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    _, content = tiny_data
    monkeypatch.setenv("STYLECAM_MODELS", str(teacher.parent))
    user = tmp_path / "xdg"
    monkeypatch.setenv("XDG_DATA_HOME", str(user))
    rc = train_main(_argv(content, tmp_path, "--teacher", "beta"))
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "teacher pictures: 6 (6 new)" in err
    pixel = _term(err, "pixel")
    assert len(pixel) == 30 and np.mean(pixel[-5:]) < 0.9 * np.mean(pixel[:5])  # it learns to copy
    assert not _term(err, "style")  # no style loss: it copies
    out = user / "stylecam" / "models" / "beta.live.onnx"
    meta = read_metadata(out)
    assert (meta["name"], meta["arch"], meta["title"], meta["artist"]) == ("beta", "fast", "Beta", "Teacher")
    assert json.loads(meta["training"])["teacher"] == "beta"
    # listed as the fast network of the teacher's style, beside the painting network
    beta = next(m for m in list_models() if m.name == "beta")
    assert beta.arch == "paint" and [a.path for a in beta.alternatives] == [out]
    listed = subprocess.run(
        [sys.executable, "-m", "stylecam", "styles", "--json"], capture_output=True, text=True, check=True
    )
    entry = next(m for m in json.loads(listed.stdout) if m["name"] == "beta")
    assert [(x["arch"], x["path"]) for x in entry["alternatives"]] == [("fast", str(out))]
    table = subprocess.run([sys.executable, "-m", "stylecam", "styles"], capture_output=True, text=True)
    assert any(line.split()[:2] == ["beta", "paint+fast"] for line in table.stdout.splitlines())
    frame = np.random.default_rng(1).integers(0, 256, (40, 56, 3), dtype=np.uint8)
    student = Stylizer(out, device="cpu", precision="fp32")(frame)
    assert student.shape == frame.shape

    # the teacher's pictures are read back from the cache, not recomputed
    rc = train_main(_argv(content, tmp_path, "--teacher", "beta", "--steps", "2", "-y"))
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "teacher pictures: 6 (0 new)" in err


def test_the_student_is_closer_to_its_teacher_than_to_the_other_style(
    tiny_data: tuple[Path, Path],
    teacher: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    _, content = tiny_data
    monkeypatch.setenv("STYLECAM_MODELS", str(teacher.parent))
    out = tmp_path / "alpha-live.onnx"
    rc = train_main(_argv(content, tmp_path, "--teacher", "alpha", "--steps", "60", "-o", str(out)))
    assert rc == 0, capsys.readouterr().err
    photo = next(iter(sorted(content.iterdir())))
    frame = cv2.imread(str(photo))[:40, :56]
    student = Stylizer(out, device="cpu", precision="fp32")(frame).astype(float)
    alpha = Stylizer(find_model("alpha"), device="cpu", precision="fp32")(frame).astype(float)
    beta = Stylizer(find_model("beta"), device="cpu", precision="fp32")(frame).astype(float)
    assert np.abs(alpha - beta).mean() > 10  # the two styles differ
    assert np.abs(student - alpha).mean() < np.abs(student - beta).mean()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--teacher", "no-such-style"], "--teacher no-such-style:"),
        (["--teacher", "alpha:0.5,beta:0.5"], "--teacher is a blend"),
        (["--teacher", "alpha", "--style", "x.png"], "--teacher copies a network"),
    ],
)
def test_bad_teacher_is_one_line(
    tiny_data: tuple[Path, Path],
    teacher: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    extra: list[str],
    message: str,
) -> None:
    _, content = tiny_data
    monkeypatch.setenv("STYLECAM_MODELS", str(teacher.parent))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    rc = train_main(_argv(content, tmp_path, *extra))
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and message in err, err
    assert not (tmp_path / "ck").exists()
