"""Live: which network of a style runs (painting or fast), and crossfades inside one multi-style network."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import COLOURS, make_model, make_multi_style_model

from stylecam.engine import live_stylizer
from stylecam.errors import InputError
from stylecam.frames import Frame
from stylecam.live import LiveController
from stylecam.models import find_model


@pytest.fixture
def tiers(models_dir: Path) -> Path:
    make_multi_style_model(models_dir / "trio.onnx", ["red", "green", "blue"])
    make_model(models_dir / "red-fast.onnx", "invert", name="red", extra_meta={"arch": "fast"})
    return models_dir


def test_auto_keeps_the_painting_network_when_it_keeps_up(tiers: Path) -> None:
    lines: list[str] = []
    st = live_stylizer("red", "auto", budget_s=60.0, log=lines.append, device="cpu")
    assert st.info.arch == "paint" and st.info.path.name == "trio.onnx"
    assert lines == []


def test_auto_takes_the_fast_network_on_a_cpu_that_cannot_keep_up(tiers: Path) -> None:
    lines: list[str] = []
    st = live_stylizer("red", "auto", budget_s=0.0, log=lines.append, device="cpu")
    assert st.info.path.name == "red-fast.onnx"
    assert len(lines) == 1 and "fast network" in lines[0] and "--network paint" in lines[0]
    assert st.timings["frames"] == 0  # the probe runs are not counted as frames


def test_network_option_overrides(tiers: Path) -> None:
    assert live_stylizer("red", "fast", device="cpu").info.path.name == "red-fast.onnx"
    assert live_stylizer("red", "paint", budget_s=0.0, device="cpu").info.path.name == "trio.onnx"
    # a style without a fast network runs its painting network whatever is asked
    assert live_stylizer("green", "fast", device="cpu").info.path.name == "trio.onnx"
    with pytest.raises(InputError, match="--network"):
        live_stylizer("red", "fastest", device="cpu")


class _Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_crossfade_within_one_network_blends_weights_in_one_run(tiers: Path) -> None:
    clock = _Clock()
    styles = [find_model("red"), find_model("blue")]
    ctl = LiveController(styles, crossfade=1.0, clock=clock, network="paint", device="cpu")
    frame = Frame(image=np.full((24, 32, 3), 100, np.uint8), index=0, time=0.0, pts=0.0)
    np.testing.assert_allclose(ctl.process(frame).reshape(-1, 3).mean(0), COLOURS["red"], atol=1)
    blue = ctl.stylizer(1)  # loaded; now switch to it and fade
    ctl.select_style(1)
    red = ctl.stylizer(0)

    def must_not_run(_image: np.ndarray) -> np.ndarray:
        raise AssertionError("the fading style's network ran: the crossfade should be one run")

    red.stylize_resized = must_not_run  # type: ignore[method-assign]
    clock.t = 0.5
    half = ctl.process(frame).reshape(-1, 3).mean(0)
    np.testing.assert_allclose(half, [125, 0, 125], atol=2)
    assert blue.style_weights == (0.0, 0.0, 1.0)  # its own weights are back after the run
    clock.t = 1.5
    np.testing.assert_allclose(ctl.process(frame).reshape(-1, 3).mean(0), COLOURS["blue"], atol=1)


def test_a_fast_network_in_a_lower_folder_is_still_the_live_alternative(
    models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = tmp_path / "xdg" / "stylecam" / "models"  # the user folder comes after STYLECAM_MODELS
    make_model(user / "red-fast.onnx", "invert", name="red", extra_meta={"arch": "fast"})
    make_multi_style_model(models_dir / "trio.onnx", ["red", "green", "blue"])
    red = find_model("red")
    assert red.path.name == "trio.onnx"
    assert [a.path for a in red.alternatives] == [user / "red-fast.onnx"]
    assert live_stylizer("red", "fast", device="cpu").info.path == user / "red-fast.onnx"


def test_live_starts_at_the_asked_style_of_a_multi_style_network(tiers: Path) -> None:
    """`stylecam live -s blue` started at the file's first style ('red') once the styles shared a file."""
    from stylecam.live.run import styles_and_start

    for name in ("green", "blue", "red"):
        styles, start = styles_and_start(name)
        assert styles[start].name == name and styles[start].path.name == "trio.onnx"
    assert sum(m.path.name == "red-fast.onnx" for m in styles) == 0  # red's fast network: an alternative
    styles, start = styles_and_start(str(tiers / "trio.onnx"))  # a path: the file's first style
    assert styles[start].name == "red"
    styles, start = styles_and_start("green:0.5,blue:0.5")  # a blend: put first, not a listed style
    assert start == 0 and styles[0].path.name == "trio.onnx" and styles[0].style_weights == (0.0, 0.5, 0.5)
