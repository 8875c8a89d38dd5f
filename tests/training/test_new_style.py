"""A new style from the user's own painting: started from a painting network, only its norms trained,
exported beside that network's styles so that it blends with them; bad paintings refused in one line."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from stylecam.engine import Stylizer
from stylecam.models import list_models, read_metadata
from stylecam.training.base import read_base
from stylecam.training.cli import train_main
from stylecam.training.export import contract_metadata, export_net
from stylecam.training.nets import PaintNet


@pytest.fixture
def base_network(tmp_path: Path) -> Path:
    """A two-style painting network with distinct styles, exported as a shipped one would be."""
    torch.manual_seed(0)
    net = PaintNet(n_styles=2)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if ".norm." in name:
                p.add_(torch.randn_like(p) * 0.3)
    meta = contract_metadata("paint", "paint")
    meta["styles"] = json.dumps(
        [{"name": n, "title": n.title(), "artist": "Base", "year": "1900"} for n in ("alpha", "beta")]
    )
    path = tmp_path / "base" / "paint.onnx"
    export_net(net, path, meta)
    return path


@pytest.fixture
def user_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user models folder (under a temporary XDG_DATA_HOME), where a new style is written."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("STYLECAM_MODELS", raising=False)
    return tmp_path / "xdg" / "stylecam" / "models"


def _argv(painting: Path, content: Path, tmp_path: Path, *extra: str) -> list[str]:
    return [
        "--style", str(painting), "--content", str(content), "--name", "mine", "--size", "32", "--steps", "12",
        "--batch", "2", "--style-size", "64", "--vgg-weights", "random", "--threads", "1", "--sample-every",
        "0", "--log-every", "1", "--checkpoint-dir", str(tmp_path / "ck"), "--no-variants", *extra,
    ]  # fmt: skip


def test_new_style_from_a_painting_network_blends_with_its_styles(
    tiny_data: tuple[Path, Path],
    base_network: Path,
    user_models: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
) -> None:
    painting, content = tiny_data
    rc = train_main(_argv(painting, content, tmp_path, "--from", str(base_network)))
    captured = capsys.readouterr()
    err = captured.err
    assert rc == 0, err
    # whether it runs live here, and if not, the command that distils a live network for it
    live = [line for line in captured.out.splitlines() if line.startswith("live: ")]
    assert len(live) == 1 and "ms a 640x360 frame on this CPU" in live[0]
    assert "fast enough" in live[0] or "stylecam train --teacher mine --content" in live[0]
    assert "starting from the painting network" in err
    styles = [float(line.split(" style ")[1].split()[0]) for line in err.splitlines() if " style " in line]
    assert sum(styles[-3:]) < sum(styles[:3])  # the new style's norms learn
    out = user_models / "mine.onnx"
    assert out.is_file() and not [p for p in out.parent.iterdir() if p.name.startswith(".")]
    meta = read_metadata(out)
    assert [s["name"] for s in json.loads(meta["styles"])] == ["alpha", "beta", "mine"]
    assert json.loads(meta["training"])["tune"] == "norms"
    # only the norms were trained: the shared convolutions are the base's, to the bit
    base_state, _ = read_base(base_network)
    new_state, _ = read_base(out)
    for k, v in base_state.items():
        if ".norm." in k:
            assert torch.equal(new_state[k][:2], v)
        else:
            assert torch.equal(new_state[k], v), k
    assert "mine" in {m.name for m in list_models()}
    photo = np.random.default_rng(0).integers(0, 256, (40, 56, 3), dtype=np.uint8)
    mine = Stylizer("mine", device="cpu")(photo)
    blend = Stylizer("mine:0.5,alpha:0.5", device="cpu")
    assert blend.style_weights == (0.5, 0.0, 0.5)
    assert blend(photo).shape == photo.shape and mine.shape == photo.shape


def test_an_existing_style_of_that_name_is_kept_unless_asked(
    tiny_data: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    painting, content = tiny_data
    out = tmp_path / "mine.onnx"
    out.write_bytes(b"precious")
    assert train_main([*_argv(painting, content, tmp_path, "--from", "scratch"), "-o", str(out)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "exists" in err[0] and "-y" in err[0]
    assert out.read_bytes() == b"precious"


def _jpeg_with_exif(path: Path, img: np.ndarray, make: bytes) -> None:
    """A JPEG whose APP1 segment holds a one-entry EXIF directory: the camera's Make."""
    ok, data = cv2.imencode(".jpg", img)
    assert ok
    value = make + b"\x00"
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
    tiff += struct.pack("<HHII", 0x010F, 2, len(value), 8 + 2 + 12 + 4) + struct.pack("<I", 0) + value
    app1 = b"Exif\x00\x00" + tiff
    raw = data.tobytes()
    path.write_bytes(raw[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + raw[2:])


@pytest.mark.parametrize("case", ["small", "grey", "phone", "training-photo", "no-photos"])
def test_bad_paintings_get_one_line_and_write_nothing(
    case: str, tiny_data: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    painting, content = tiny_data
    colour = cv2.resize(cv2.imread(str(painting)), (300, 300))
    if case == "small":
        painting = tmp_path / "small.png"
        cv2.imwrite(str(painting), colour[:100, :120])
        want = "only 120x100"
    elif case == "grey":
        painting = tmp_path / "grey.png"
        cv2.imwrite(str(painting), cv2.cvtColor(cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR))
        want = "grey-scale"
    elif case == "phone":
        painting = tmp_path / "holiday.jpg"
        _jpeg_with_exif(painting, colour, b"Apple")
        want = "is a photo (taken with Apple"
    elif case == "training-photo":
        content = tmp_path / "photos"
        content.mkdir()
        for i in range(3):
            cv2.imwrite(str(content / f"p{i}.png"), np.roll(colour, 40 * i, axis=1))
        painting = content / "p1.png"
        want = "one of the training photos"
    else:
        content = tmp_path / "empty"
        content.mkdir()
        want = "no images in"
    out = tmp_path / "models" / "mine.onnx"
    rc = train_main([*_argv(painting, content, tmp_path, "--from", "scratch"), "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and want in err[0], err
    assert not out.parent.exists() or not list(out.parent.iterdir())


def test_new_styles_combine_into_one_network_with_the_base(
    tiny_data: tuple[Path, Path], base_network: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    import subprocess
    import sys

    painting, content = tiny_data
    files = {}
    for name, seed in (("mine", "0"), ("yours", "1")):
        files[name] = tmp_path / f"{name}.onnx"
        argv = _argv(painting, content, tmp_path / name, "--from", str(base_network), "--seed", seed)
        argv[argv.index("mine")] = name
        assert train_main([*argv, "-o", str(files[name])]) == 0, capsys.readouterr().err
    out = tmp_path / "all.onnx"
    script = Path(__file__).resolve().parents[2] / "scripts" / "combine_styles.py"
    run = subprocess.run(
        [
            sys.executable,
            str(script),
            str(base_network),
            str(files["mine"]),
            str(files["yours"]),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    meta = read_metadata(out)
    assert [s["name"] for s in json.loads(meta["styles"])] == ["alpha", "beta", "mine", "yours"]
    photo = np.random.default_rng(2).integers(0, 256, (40, 56, 3), dtype=np.uint8)

    def paint(path: Path, weights: tuple[float, ...]) -> np.ndarray:
        st = Stylizer(path, device="cpu", precision="fp32")
        st.set_style_weights(weights)
        return st(photo).astype(int)

    # every style paints as in its own file
    assert np.abs(paint(out, (0, 0, 1, 0)) - paint(files["mine"], (0, 0, 1))).max() <= 1
    assert np.abs(paint(out, (0, 0, 0, 1)) - paint(files["yours"], (0, 0, 1))).max() <= 1
    assert np.abs(paint(out, (1, 0, 0, 0)) - paint(base_network, (1, 0))).max() <= 1
    assert np.abs(paint(out, (0, 0, 1, 0)) - paint(out, (0, 0, 0, 1))).mean() > 0.5  # two different styles

    # a style twice, or a network that is not a fine-tune of this base: one line, nothing written
    again = subprocess.run(
        [sys.executable, str(script), str(base_network), str(files["mine"]), str(files["mine"]), "-o",
         str(tmp_path / "twice.onnx")], capture_output=True, text=True,
    )  # fmt: skip
    assert again.returncode != 0 and "is in two of the networks" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1 and not (tmp_path / "twice.onnx").exists()


def test_a_new_style_is_trained_with_its_networks_recipe_unless_told_otherwise(
    tiny_data: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from stylecam.training.export import load_checkpoint

    torch.manual_seed(0)
    meta = contract_metadata("paint", "paint")
    meta["styles"] = json.dumps(
        [{"name": n, "title": n, "artist": "", "year": ""} for n in ("alpha", "beta")]
    )
    meta["training"] = json.dumps(
        {"content_weight": 7.5, "colour_weight": 3.0, "colour_target": "painting", "palette_weight": 0.5}
    )
    base = tmp_path / "base.onnx"
    net = PaintNet(n_styles=2)
    with torch.no_grad():  # distinct norm tables (the exporter folds equal initializers into one)
        for name, p in net.named_parameters():
            if ".norm." in name:
                p.add_(torch.randn_like(p) * 0.3)
    export_net(net, base, meta)
    painting, content = tiny_data
    for extra, want in (((), 7.5), (("--content-weight", "1.5"), 1.5)):
        ck = tmp_path / f"ck{want}"
        argv = _argv(painting, content, tmp_path, "--from", str(base), "--steps", "2", *extra)
        argv[argv.index("--checkpoint-dir") + 1] = str(ck)
        assert train_main([*argv, "-o", str(tmp_path / f"out{want}.onnx")]) == 0, capsys.readouterr().err
        cfg = load_checkpoint(ck / "last.ckpt")["config"]
        assert cfg["content_weight"] == want
        assert (cfg["colour_weight"], cfg["colour_target"], cfg["palette_weight"]) == (3.0, "painting", 0.5)


def test_a_second_new_style_also_starts_from_the_shipped_network(
    tiny_data: tuple[Path, Path],
    base_network: Path,
    user_models: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    """The user's first new style holds the shipped styles too and is listed before them; that must not
    hide the shipped painting network from the next new style (which would train a whole network)."""
    import stylecam.models

    painting, content = tiny_data
    monkeypatch.setattr(stylecam.models, "shipped_models_dir", lambda: base_network.parent)
    for name in ("mine", "yours"):
        argv = _argv(painting, content, tmp_path / name, "--steps", "2")
        argv[argv.index("mine")] = name
        assert train_main(argv) == 0, capsys.readouterr().err
        assert f"starting from the painting network {base_network.resolve()}" in capsys.readouterr().err
        meta = read_metadata(user_models / f"{name}.onnx")
        assert [s["name"] for s in json.loads(meta["styles"])] == ["alpha", "beta", name]
