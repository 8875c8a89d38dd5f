"""Networks of several styles: one registry entry per style, blends as one run, weights changed per frame."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import COLOURS, make_model, make_multi_style_model

from stylecam.engine import Stylizer
from stylecam.errors import ModelError
from stylecam.models import find_model, list_models, parse_blend


@pytest.fixture
def multi_dir(models_dir: Path) -> Path:
    make_multi_style_model(models_dir / "trio.onnx", ["red", "green", "blue"])
    make_model(models_dir / "red-fast.onnx", "invert", name="red", extra_meta={"arch": "fast"})
    return models_dir


def _colour(stylizer: Stylizer) -> np.ndarray:
    out = stylizer(np.full((24, 32, 3), 128, np.uint8))
    return out.reshape(-1, 3).mean(0)


def test_each_style_of_a_file_is_listed_with_its_painting(multi_dir: Path) -> None:
    by_name = {m.name: m for m in list_models()}
    assert {"red", "green", "blue"} <= set(by_name)
    assert by_name["green"].title == "The Green" and by_name["green"].artist == "Tester"
    assert by_name["green"].path.name == "trio.onnx"
    # the painting network wins a name; the fast network of the same style is kept beside it
    assert by_name["red"].arch == "paint"
    assert [a.path.name for a in by_name["red"].alternatives] == ["red-fast.onnx"]


def test_one_style_of_a_multi_style_network(multi_dir: Path) -> None:
    s = Stylizer("green", device="cpu")
    assert s.style_names == ["red", "green", "blue"]
    assert s.style_weights == (0.0, 1.0, 0.0)
    np.testing.assert_allclose(_colour(s), COLOURS["green"], atol=1)


@pytest.mark.parametrize("io_binding", [False, True])
def test_a_blend_is_one_run_and_weights_change_per_frame(multi_dir: Path, io_binding: bool) -> None:
    s = Stylizer("red:0.75,blue:0.25", device="cpu", io_binding=io_binding)
    assert s.info.name == "red:0.75+blue:0.25"
    np.testing.assert_allclose(_colour(s), [62.5, 0, 187.5], atol=1)
    s.set_style_weights({"green": 1.0, "blue": 1.0})  # normalised
    np.testing.assert_allclose(_colour(s), [125, 125, 0], atol=1)
    s.set_style_weights([0.0, 0.0, 2.0])
    np.testing.assert_allclose(_colour(s), COLOURS["blue"], atol=1)


def test_bad_blends_name_the_problem(multi_dir: Path) -> None:
    with pytest.raises(ModelError, match="not a number"):
        find_model("red:lots,blue:0.5")
    with pytest.raises(ModelError, match="unknown style 'purple'"):
        find_model("red:0.5,purple:0.5")
    with pytest.raises(ModelError, match="different networks"):
        find_model("invert:0.5,red:0.5")
    s = Stylizer("red", device="cpu")
    with pytest.raises(ModelError, match="positive"):
        s.set_style_weights([0.0, 0.0, 0.0])
    with pytest.raises(ModelError, match=r"not in trio\.onnx"):
        s.set_style_weights({"purple": 1.0})
    with pytest.raises(ModelError, match="cannot blend"):
        Stylizer("invert", device="cpu").set_style_weights([1.0])


def test_parse_blend() -> None:
    assert parse_blend("starry-night") is None
    assert parse_blend("C:\\models\\my.onnx") is None
    assert parse_blend("a:0.7,b:0.3") == {"a": 0.7, "b": 0.3}
    assert parse_blend("a,b") == {"a": 1.0, "b": 1.0}
    assert parse_blend("a:2") == {"a": 2.0}


def test_image_command_paints_a_blend(multi_dir: Path, tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), np.full((20, 28, 3), 90, np.uint8))
    out = tmp_path / "out.png"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "stylecam",
            "image",
            str(photo),
            "-o",
            str(out),
            "--style",
            "red:0.5,green:0.5",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    np.testing.assert_allclose(cv2.imread(str(out)).reshape(-1, 3).mean(0), [0, 125, 125], atol=1)
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "stylecam",
            "image",
            str(photo),
            "-o",
            str(tmp_path / "b.png"),
            "--style",
            "red:x",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode != 0
    assert len(bad.stderr.strip().splitlines()) == 1 and "not a number" in bad.stderr
