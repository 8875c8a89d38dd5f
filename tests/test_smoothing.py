"""Temporal smoothing: identity, EMA blending, and flow smoothing that removes flicker without ghosts."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from stylecam.errors import InputError
from stylecam.smoothing import (
    DEFAULT_STRENGTH,
    FLOW_DETAILS,
    SMOOTH_MODES,
    EmaSmoother,
    FlowSmoother,
    PassThroughSmoother,
    Smoother,
    make_smoother,
)

REPO = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- synthetic scenes


def texture(width: int, height: int, seed: int, blur: float = 1.5) -> np.ndarray:
    """A high-contrast BGR texture that optical flow can follow."""
    rng = np.random.default_rng(seed)
    img = rng.uniform(0, 255, (height, width, 3)).astype(np.float32)
    img = cv2.GaussianBlur(img, (0, 0), blur)
    img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX)
    return img.astype(np.uint8)


def moving_square(t: int, width: int = 192, height: int = 128, step: int = 3, size: int = 48) -> tuple:
    """A textured square sliding right by ``step`` px per frame over a static textured background.

    Returns the frame and the square's ``(x0, y0, size)``.
    """
    frame = texture(width, height, seed=1, blur=2.0)
    patch = texture(size, size, seed=2, blur=1.0)
    patch = (patch // 2 + 128).astype(np.uint8)  # brighter than the background: a clear edge
    x0, y0 = 20 + step * t, (height - size) // 2
    frame[y0 : y0 + size, x0 : x0 + size] = patch
    return frame, (x0, y0, size)


def stylize(frame: np.ndarray) -> np.ndarray:
    """A deterministic stand-in "network": a colour remap of the frame (kept off 0 and 255 so noise stays unbiased)."""
    colour = cv2.applyColorMap(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), cv2.COLORMAP_JET)
    return cv2.convertScaleAbs(colour, alpha=0.7, beta=40)


def flicker(image: np.ndarray, rng: np.random.Generator, sigma: float = 12.0) -> np.ndarray:
    """The per-frame change of a real network: noise that differs from frame to frame."""
    noise = rng.normal(0.0, sigma, image.shape)
    return np.clip(image.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def mad(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference in grey levels."""
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


# --------------------------------------------------------------------------- the factory


def test_make_smoother_modes_and_defaults() -> None:
    assert SMOOTH_MODES == ("none", "ema", "flow")
    kinds = {"none": PassThroughSmoother, "ema": EmaSmoother, "flow": FlowSmoother}
    for mode in SMOOTH_MODES:
        sm = make_smoother(mode)
        assert isinstance(sm, kinds[mode])
        assert isinstance(sm, Smoother)
        assert sm.mode == mode
    assert make_smoother("flow").strength == DEFAULT_STRENGTH
    assert make_smoother("EMA", 0.25).strength == 0.25


def test_unknown_mode_and_bad_strength_raise_value_error_that_the_cli_prints() -> None:
    with pytest.raises(ValueError, match="unknown smoothing mode 'blur'"):
        make_smoother("blur")
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="strength"):
            make_smoother("flow", bad)
    with pytest.raises(InputError) as info:  # the same error is a user-facing InputError
        make_smoother("blur")
    assert "none, ema, flow" in info.value.one_line()


def test_wrong_dtype_and_shape_are_rejected() -> None:
    sm = make_smoother("flow")
    good = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(TypeError):
        sm.update(good, good.astype(np.float32))
    with pytest.raises(ValueError):
        sm.update(good, np.zeros((8, 8, 4), np.uint8))


# --------------------------------------------------------------------------- none and ema


def test_none_is_the_identity() -> None:
    sm = make_smoother("none")
    rng = np.random.default_rng(0)
    for _ in range(3):
        styl = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
        out = sm.update(styl, styl)
        assert out is styl


def test_ema_blends_with_the_given_strength() -> None:
    sm = make_smoother("ema", 0.3)
    a = np.full((6, 9, 3), 100, np.uint8)
    b = np.full((6, 9, 3), 200, np.uint8)
    np.testing.assert_array_equal(sm.update(a, a), a)  # the first frame passes through
    assert int(sm.update(b, b)[0, 0, 0]) == 170  # 0.7 * 200 + 0.3 * 100
    assert int(sm.update(b, b)[0, 0, 0]) == 191  # 0.7 * 200 + 0.3 * 170
    sm.reset()
    np.testing.assert_array_equal(sm.update(a, a), a)


def test_ema_leaves_a_ghost_trail_behind_motion() -> None:
    """The baseline's weakness, which the flow test below shows is gone."""
    sm = make_smoother("ema", 0.8)
    for t in range(8):
        frame, (x0, y0, s) = moving_square(t, step=4)
        out = sm.update(frame, stylize(frame))
    trail = np.s_[y0 : y0 + s, x0 - 16 : x0]  # where the square was a few frames ago
    assert mad(out[trail], stylize(frame)[trail]) > 25


# --------------------------------------------------------------------------- flow


@pytest.mark.parametrize("fb_check", [True, False])
def test_flow_removes_flicker_on_a_static_scene(fb_check: bool) -> None:
    rng = np.random.default_rng(1)
    frame = texture(160, 96, seed=3)
    clean = stylize(frame)
    sm = FlowSmoother(0.8, fb_check=fb_check)
    raw, smooth = [], []
    prev_raw = prev_out = None
    for t in range(16):
        noisy_input = flicker(frame, rng, sigma=2.0)  # sensor noise
        styl = flicker(clean, rng)
        out = sm.update(noisy_input, styl)
        if t >= 6 and prev_out is not None:
            raw.append(mad(styl, prev_raw))
            smooth.append(mad(out, prev_out))
        prev_raw, prev_out = styl, out
    assert np.mean(smooth) < 0.35 * np.mean(raw)
    assert mad(out, clean) < 0.6 * mad(styl, clean)  # closer to the clean picture, not just frozen
    assert sm.cuts == 0


@pytest.mark.parametrize(("width", "height", "size", "step"), [(192, 128, 48, 3), (640, 360, 120, 6)])
def test_flow_tracks_motion_without_ghosts(width: int, height: int, size: int, step: int) -> None:
    rng = np.random.default_rng(2)
    flow, ema = make_smoother("flow", 0.8), make_smoother("ema", 0.8)
    for t in range(10):
        frame, (x0, y0, s) = moving_square(t, width, height, step, size)
        clean = stylize(frame)
        styl = flicker(clean, rng, sigma=10.0)
        out_flow, out_ema = flow.update(frame, styl), ema.update(frame, styl)
    rows = np.s_[y0 + 4 : y0 + s - 4]
    for cols in (np.s_[x0 - 16 : x0 - 2], np.s_[x0 - 12 : x0 + 12], np.s_[x0 + s - 4 : x0 + s + 8]):
        # behind the square (where it was), across its trailing edge, across its leading edge
        fresh = mad(styl[rows, cols], clean[rows, cols])  # the network's own per-frame error, about 8
        assert mad(out_flow[rows, cols], clean[rows, cols]) < 1.5 * fresh  # the current picture: no trail
        assert mad(out_ema[rows, cols], clean[rows, cols]) > 2.5 * fresh  # where ema shows one
    inside = np.s_[y0 + 8 : y0 + s - 8, x0 + 8 : x0 + s - 8]
    # inside the moving square the flicker is averaged away along the motion, not just passed on
    assert mad(out_flow[inside], clean[inside]) < 0.8 * mad(styl[inside], clean[inside])
    assert flow.cuts == 0


def test_flow_detail_sets_the_working_resolution_and_a_change_starts_afresh() -> None:
    frame = texture(640, 360, seed=6)
    sizes = {}
    for detail in FLOW_DETAILS:
        sm = make_smoother("flow", detail=detail)
        sm.update(frame, stylize(frame))
        sizes[detail] = sm.working_size
    assert sizes == {"fast": (128, 72), "fine": (320, 180)}
    rng = np.random.default_rng(7)
    sm = FlowSmoother()
    for _ in range(3):
        sm.update(frame, flicker(stylize(frame), rng))
    sm.detail = "fine"  # the network changed: the next frame is the network's own
    styl = flicker(stylize(frame), rng)
    np.testing.assert_array_equal(sm.update(frame, styl), styl)
    assert sm.working_size == (320, 180)
    with pytest.raises(InputError, match="flow detail"):
        make_smoother("flow", detail="ultra")


def test_fine_flow_smooths_a_small_moving_thing_that_the_fast_flow_cannot_follow() -> None:
    # a 32 px square moving 4 px a frame in a 640x360 frame: 6 working pixels at the fast detail (DIS
    # patches are 8), 16 at the fine one
    ratios = {}
    for detail in FLOW_DETAILS:
        rng = np.random.default_rng(2)
        sm = make_smoother("flow", 0.8, detail)
        for t in range(12):
            frame, (x0, y0, s) = moving_square(t, 640, 360, step=4, size=32)
            clean = stylize(frame)
            styl = flicker(clean, rng, sigma=10.0)
            out = sm.update(frame, styl)
        inside = np.s_[y0 + 4 : y0 + s - 4, x0 + 4 : x0 + s - 4]
        ratios[detail] = mad(out[inside], clean[inside]) / mad(styl[inside], clean[inside])
        assert sm.cuts == 0
    assert ratios["fine"] < 0.7  # the flicker averaged along the motion
    assert ratios["fast"] > 0.9  # the fresh frame, flicker and all (but no trail)


def test_scene_cut_resets() -> None:
    rng = np.random.default_rng(3)
    sm = make_smoother("flow")
    first = texture(128, 80, seed=4)
    for _ in range(5):
        sm.update(first, flicker(stylize(first), rng))
    other = texture(128, 80, seed=5, blur=3.0)
    styl = flicker(stylize(other), rng)
    out = sm.update(other, styl)
    np.testing.assert_array_equal(out, styl)
    assert sm.cuts == 1
    assert sm.confidence == 0.0
    # and the new scene is smoothed from the next frame on
    styl2 = flicker(stylize(other), rng)
    assert mad(sm.update(other, styl2), styl2) > 2


def test_reset_and_size_change_start_afresh() -> None:
    rng = np.random.default_rng(4)
    sm = make_smoother("flow")
    frame = texture(96, 64, seed=6)
    for _ in range(3):
        sm.update(frame, flicker(stylize(frame), rng))
    bigger = cv2.resize(frame, (120, 80))
    styl = flicker(stylize(bigger), rng)
    out = sm.update(bigger, styl)
    assert out.shape == styl.shape
    np.testing.assert_array_equal(out, styl)
    assert sm.cuts == 0  # a new size is not counted as a cut
    sm.update(bigger, flicker(stylize(bigger), rng))
    sm.reset()
    styl = flicker(stylize(bigger), rng)
    np.testing.assert_array_equal(sm.update(bigger, styl), styl)


@pytest.mark.parametrize("mode", SMOOTH_MODES)
@pytest.mark.parametrize("size", [(7, 5), (1, 1), (5, 33), (641, 359)])
def test_odd_and_tiny_sizes(mode: str, size: tuple[int, int]) -> None:
    width, height = size
    rng = np.random.default_rng(5)
    sm = make_smoother(mode)
    for _ in range(4):
        frame = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        out = sm.update(frame, stylize(frame))
        assert out.shape == (height, width, 3)
        assert out.dtype == np.uint8


def test_input_of_another_size_or_grey_is_accepted() -> None:
    """The flow is estimated on the input; the blending happens at the stylized size."""
    rng = np.random.default_rng(6)
    sm = make_smoother("flow")
    frame = texture(200, 120, seed=7)
    clean = cv2.resize(stylize(frame), (100, 60))
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    for t in range(6):
        out = sm.update(frame if t % 2 else grey, flicker(clean, rng))
    assert out.shape == (60, 100, 3)
    assert sm.cuts == 0 and sm.confidence > 0.5


def test_dropped_frames_fall_back_to_the_fresh_frame_where_the_warp_fails() -> None:
    """A jump the flow cannot follow (frames dropped in live mode) must not leave the old picture behind."""
    rng = np.random.default_rng(7)
    sm = make_smoother("flow", 0.9)
    for t in range(6):
        frame, _ = moving_square(t, step=2)
        sm.update(frame, flicker(stylize(frame), rng))
    _, (old_x, y0, s) = moving_square(5, step=2)
    frame, (new_x, _, _) = moving_square(40, step=2)  # 34 frames dropped: the square jumped 70 px
    clean = stylize(frame)
    styl = flicker(clean, rng, sigma=4.0)
    out = sm.update(frame, styl)
    for x in (old_x, new_x):  # where the square was, and where it is now
        region = np.s_[y0 : y0 + s, x : x + s]
        assert mad(out[region], clean[region]) < 8
    # the static background is still smoothed
    assert sm.cuts == 0


@pytest.mark.parametrize("mode", ["ema", "flow"])
def test_drawing_on_an_output_does_not_change_the_next(mode: str) -> None:
    """The live window draws its overlays on the frame it gets; the smoother's state must not see them."""
    frame = texture(64, 48, seed=9)
    styl = stylize(frame)
    results = []
    for draw in (False, True):
        sm = make_smoother(mode, 0.8)
        out = sm.update(frame, styl)
        if draw:
            out[:] = 0
        results.append(sm.update(frame, styl))
    np.testing.assert_array_equal(results[0], results[1])


def test_strength_zero_is_the_identity_and_stronger_smooths_more() -> None:
    frame = texture(96, 64, seed=8)
    clean = stylize(frame)
    errors = {}
    for strength in (0.0, 0.5, 0.9):
        rng = np.random.default_rng(8)
        sm = make_smoother("flow", strength)
        for _ in range(12):
            styl = flicker(clean, rng)
            out = sm.update(frame, styl)
        if strength == 0.0:
            np.testing.assert_array_equal(out, styl)
        errors[strength] = mad(out, clean)
    assert errors[0.0] > errors[0.5] > errors[0.9]


def test_runtime_module_does_not_import_torch() -> None:
    code = "import sys, stylecam.smoothing; sys.exit(1 if 'torch' in sys.modules else 0)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=60, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()


# --------------------------------------------------------------------------- the evaluation's metric


def _eval_module():
    path = REPO / "scripts" / "eval_temporal.py"
    spec = importlib.util.spec_from_file_location("eval_temporal", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_warping_error_is_zero_for_consistent_motion_and_large_for_flicker() -> None:
    ev = _eval_module()
    a, _ = moving_square(0, step=3)
    b, _ = moving_square(1, step=3)
    ga, gb = cv2.cvtColor(a, cv2.COLOR_BGR2GRAY), cv2.cvtColor(b, cv2.COLOR_BGR2GRAY)
    ref = ev.ReferenceFlow("dis-medium")
    base = ev.grid(*ga.shape)
    fwd, bwd = ref(ga, gb), ref(gb, ga)
    mask = ev.consistent_mask(fwd, bwd, base)
    assert mask.mean() > 0.8
    consistent = ev.warping_error(stylize(a), stylize(b), fwd, mask, base)
    flickering = ev.warping_error(stylize(a), flicker(stylize(b), np.random.default_rng(9)), fwd, mask, base)
    assert consistent < 2e-3
    assert flickering > 1.5e-3 + consistent


def test_the_bar_allows_the_fine_flow_its_cost_only_beside_a_slow_network() -> None:
    ev = _eval_module()

    def result(detail: str, flow_ms: float, network_ms: float) -> dict:
        modes = {
            "none": {"warping_error": {"dis-medium": 1.0}, "psnr_moving": float("inf"), "ms": {}},
            "ema": {"warping_error": {"dis-medium": 0.6}, "psnr_moving": 30.0, "ms": {}},
            "flow": {"warping_error": {"dis-medium": 0.4}, "psnr_moving": 28.0, "ms": {"640x360": flow_ms}},
        }
        return {"modes": modes, "flow_detail": detail, "network_ms": network_ms, "size": "640x360"}

    assert ev.verdict(result("fast", 4.0, 15.0))["bar_met"]
    assert not ev.verdict(result("fast", 12.0, 200.0))["bar_met"]  # a live network has no 12 ms to spare
    assert ev.verdict(result("fine", 12.0, 200.0))["bar_met"]  # 6 % of the painting network's time
    assert not ev.verdict(result("fine", 12.0, 40.0))["bar_met"]


def test_motion_prepared_on_a_helper_thread_gives_the_frames_of_update() -> None:
    """With a GPU, `stylecam video` runs the flow part on a helper thread during inference: same frames."""
    from stylecam.frames import Frame
    from stylecam.stage import StylizeStep

    rng = np.random.default_rng(11)
    frames = [moving_square(t)[0] for t in range(10)]
    frames[6] = texture(192, 128, seed=9, blur=3.0)  # a cut in the middle
    outputs = iter([flicker(stylize(f), rng) for f in frames])

    class Net:  # the network's place in the step: returns the prepared "stylized" frames in order
        device = "cpu"

        def __init__(self) -> None:
            self.timings = {"pre": 0.0, "infer": 0.0, "post": 0.0, "frames": 0}

        def to_processing_size(self, image: np.ndarray) -> np.ndarray:
            return image

        def stylize_resized(self, image: np.ndarray) -> np.ndarray:
            return next(outputs)

        def to_frame_size(self, image: np.ndarray, width: int, height: int) -> np.ndarray:
            return image

    rng = np.random.default_rng(11)
    expected_in = [flicker(stylize(f), rng) for f in frames]
    sequential = make_smoother("flow")
    expected = [sequential.update(f, s) for f, s in zip(frames, expected_in, strict=True)]

    smoother = make_smoother("flow")
    assert not StylizeStep(Net(), make_smoother("flow")).overlaps  # a CPU network: in sequence
    Net.device = "cuda"
    step = StylizeStep(Net(), smoother)
    assert step.overlaps
    threads: list[str] = []
    prepare = smoother.prepare

    def prepare_and_note(image: np.ndarray):
        threads.append(threading.current_thread().name)
        return prepare(image)

    smoother.prepare = prepare_and_note  # type: ignore[method-assign]
    try:
        got = [step(Frame(index=i, image=f, time=0.0)) for i, f in enumerate(frames)]
    finally:
        step.close()
    # the motion of every frame was computed on the helper thread, not the caller's
    assert len(threads) == len(frames) and threading.current_thread().name not in threads
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)
    assert smoother.cuts == sequential.cuts >= 1
    assert mad(got[5], expected_in[5]) > 1  # it did smooth
    assert step.stage_ms()["smoothing"] > 0


@pytest.mark.parametrize("device", ["cpu", "cuda"])  # in sequence, and with motion on the helper thread
def test_video_smooths_at_the_processing_size_then_scales_up_once(tmp_path, device) -> None:
    """``--size`` below the frame size: the smoother works on the small pictures (a ninth of the pixels
    for 640x360 out of 1080p) and only the smoothed result is scaled to the frame size."""
    from conftest import make_model

    from stylecam.engine import Stylizer
    from stylecam.frames import Frame
    from stylecam.stage import StylizeStep

    st = Stylizer(make_model(tmp_path / "p.onnx", "pool4"), device="cpu", size=(96, 64))
    st.device = device  # the overlap decision only reads this; the network still runs on the CPU
    frames = [cv2.resize(moving_square(t)[0], (288, 192)) for t in range(6)]
    reference = make_smoother("flow")
    expected = []
    for f in frames:
        small = cv2.resize(f, (96, 64), interpolation=cv2.INTER_AREA)
        out = reference.update(small, st.stylize_resized(small))
        expected.append(cv2.resize(out, (288, 192), interpolation=cv2.INTER_CUBIC))

    smoother = make_smoother("flow")
    step = StylizeStep(st, smoother)
    assert step.overlaps == (device == "cuda")
    try:
        got = [step(Frame(index=i, image=f, time=0.0)) for i, f in enumerate(frames)]
    finally:
        step.close()
    for a, b in zip(got, expected, strict=True):
        assert a.shape == (192, 288, 3)
        np.testing.assert_array_equal(a, b)
