"""The live controller, driven without a window: every key is a method, every result checked on pixels."""

from __future__ import annotations

import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from conftest import make_model, synthetic_frame

from stylecam.engine import Stylizer
from stylecam.frames import Frame
from stylecam.live import (
    KEY_DOWN,
    KEY_LEFT,
    KEY_RIGHT,
    KEY_UP,
    LiveController,
    divider_columns,
)
from stylecam.smoothing import make_smoother

W, H = 96, 64


CONSTANT = np.array([10, 200, 60], np.uint8)  # the 'constant' test style's BGR colour


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def styles(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "styles"
    return [make_model(folder / f"{k}.onnx", k) for k in ("invert", "constant", "identity")]


def frame(i: int = 0, image: np.ndarray | None = None) -> Frame:
    img = synthetic_frame(W, H, t=i) if image is None else image
    return Frame(index=i, image=img, time=time.perf_counter())


def controller(styles: list[Path], tmp_path: Path, **kw) -> LiveController:
    kw.setdefault("device", "cpu")
    kw.setdefault("snapshot_dir", tmp_path / "snaps")
    kw.setdefault("record_dir", tmp_path / "recs")
    return LiveController(styles, **kw)


def test_full_strength_is_the_style_and_zero_strength_gives_back_the_input(styles, tmp_path):
    ctl = controller(styles, tmp_path)
    f = frame()
    np.testing.assert_array_equal(ctl.process(f), 255 - f.image)
    assert ctl.device == "cpu"
    for _ in range(10):
        ctl.strength_down()
    assert ctl.strength == 0.0
    out = ctl.process(f)
    np.testing.assert_array_equal(out, f.image)


def test_strength_blends_original_and_stylized(styles, tmp_path):
    ctl = controller(styles, tmp_path, strength=0.3)
    f = frame()
    out = ctl.process(f).astype(np.float64)
    expected = 0.7 * f.image + 0.3 * (255.0 - f.image)
    assert np.abs(out - expected).max() <= 0.51
    ctl.strength_up()
    ctl.strength_up()
    assert ctl.strength == pytest.approx(0.5)
    ctl.set_strength(7)
    assert ctl.strength == 1.0


def test_split_view_shows_the_original_on_the_left(styles, tmp_path):
    ctl = controller(styles, tmp_path, split=True)
    f = frame()
    out = ctl.process(f)
    start, stop = divider_columns(W)
    np.testing.assert_array_equal(out[:, :start], f.image[:, :start])
    np.testing.assert_array_equal(out[:, stop:], 255 - f.image[:, stop:])
    assert (out[:, start:stop] == 255).all()
    ctl.toggle_split()
    np.testing.assert_array_equal(ctl.process(f), 255 - f.image)


def test_crossfade_half_way_is_the_mean_of_the_two_styles(styles, tmp_path):
    clock = Clock()
    ctl = controller(styles, tmp_path, crossfade=0.5, clock=clock)
    f = frame()
    inverted = ctl.process(f)
    ctl.next_style()  # invert -> constant, fade starts now
    assert ctl.current == 1 and ctl.fading
    np.testing.assert_array_equal(ctl.process(f), inverted)  # t = 0: still all the old style
    clock.now += 0.25
    half = ctl.process(f).astype(np.float64)
    mean = (inverted.astype(np.float64) + CONSTANT) / 2
    assert np.abs(half - mean).max() <= 0.5
    clock.now += 0.125
    three_quarters = ctl.process(f).astype(np.float64)
    assert np.abs(three_quarters - (0.25 * inverted + 0.75 * CONSTANT.astype(np.float64))).max() <= 0.5
    clock.now += 0.2
    np.testing.assert_array_equal(ctl.process(f), np.broadcast_to(CONSTANT, f.image.shape))
    assert not ctl.fading


def test_no_crossfade_switches_at_once_and_number_keys_pick_styles(styles, tmp_path):
    ctl = controller(styles, tmp_path, crossfade=0)
    f = frame()
    ctl.process(f)
    assert ctl.handle_key(ord("3")) == "select_style(2)"
    np.testing.assert_array_equal(ctl.process(f), f.image)  # identity
    for code in KEY_RIGHT:  # the arrow codes of Qt, GTK, Windows and macOS
        assert ctl.handle_key(code) == "next_style"
    assert ctl.current == (2 + len(KEY_RIGHT)) % 3  # wraps around
    for code in KEY_LEFT:
        assert ctl.handle_key(code) == "previous_style"
    assert ctl.current == 2
    ctl.handle_key(ord("9"))  # there is no ninth style: ignored, with a message
    assert ctl.current == 2 and "no style 9" in ctl.message


def test_keep_colours_keeps_the_input_chroma(styles, tmp_path):
    ctl = controller(styles, tmp_path, start=1, keep_colors=True)  # the constant style
    rng = np.random.default_rng(1)
    # moderate colours, so the stylized luminance with the input's chroma stays inside the RGB cube
    img = rng.integers(90, 170, (H, W, 3), dtype=np.uint8)
    out = ctl.process(frame(image=img))
    ycc_out = cv2.cvtColor(out, cv2.COLOR_BGR2YCrCb).astype(int)
    ycc_in = cv2.cvtColor(img, cv2.COLOR_BGR2YCrCb).astype(int)
    y_style = int(cv2.cvtColor(CONSTANT.reshape(1, 1, 3), cv2.COLOR_BGR2YCrCb)[0, 0, 0])
    assert np.abs(ycc_out[..., 1:] - ycc_in[..., 1:]).max() <= 2
    assert np.abs(ycc_out[..., 0] - y_style).max() <= 2
    assert np.abs(ycc_out[..., 0] - ycc_in[..., 0]).mean() > 10  # the luminance really is the style's
    ctl.toggle_keep_colors()
    np.testing.assert_array_equal(ctl.process(frame(image=img)), np.broadcast_to(CONSTANT, img.shape))


def test_mirror_flips_the_input_and_pause_keeps_the_last_picture(styles, tmp_path):
    ctl = controller(styles, tmp_path, start=2)  # identity
    f0, f1 = frame(0), frame(1)
    ctl.handle_key(ord("m"))
    np.testing.assert_array_equal(ctl.process(f0), f0.image[:, ::-1])
    ctl.handle_key(ord("m"))
    first = ctl.process(f0)
    ctl.handle_key(ord(" "))
    assert ctl.paused
    np.testing.assert_array_equal(ctl.process(f1), first)
    ctl.toggle_pause()
    np.testing.assert_array_equal(ctl.process(f1), f1.image)


def test_snapshot_writes_the_clean_picture_as_png(styles, tmp_path):
    ctl = controller(styles, tmp_path)
    assert ctl.snapshot() is None  # nothing shown yet
    f = frame()
    out = ctl.process(f)
    ctl.show_help = True
    ctl.overlay(f, out)  # overlays go on a copy, never into snapshots
    assert ctl.handle_key(ord("s")) == "snapshot"
    path = ctl.snapshots[0]
    assert (
        path.parent == tmp_path / "snaps"
        and path.suffix == ".png"
        and path.name.startswith("stylecam-invert-")
    )
    np.testing.assert_array_equal(cv2.imread(str(path)), out)
    second = ctl.snapshot()
    assert second is not None and second != path


def test_snapshot_into_an_unwritable_place_is_a_message_not_a_crash(styles, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    ctl = controller(styles, tmp_path, snapshot_dir=blocker / "snaps")
    ctl.process(frame())
    assert ctl.snapshot() is None
    assert "snapshot failed" in ctl.message


def count_frames(path: Path) -> tuple[int, tuple[int, int]]:
    with av.open(str(path)) as container:
        frames = [f for f in container.decode(video=0)]
    return len(frames), (frames[0].width, frames[0].height)


def test_recording_started_and_stopped_mid_stream_is_a_valid_mp4(styles, tmp_path):
    ctl = controller(styles, tmp_path)
    t0 = time.perf_counter()
    for i in range(30):
        if i == 8:
            assert ctl.handle_key(ord("r")) == "toggle_recording"
            assert ctl.recording
        if i == 20:
            path = ctl.stop_recording(wait=True)
        f = frame(i)
        f.time = t0 + i / 25  # a 25 fps camera
        ctl.process(f)
    ctl.close()
    assert path.parent == tmp_path / "recs" and path.suffix == ".mp4"
    assert count_frames(path) == (12, (W, H))
    assert not ctl.recording


def test_recording_with_a_given_path_and_toggle_keeps_files_apart(styles, tmp_path):
    ctl = controller(styles, tmp_path)
    target = tmp_path / "take1.mp4"
    ctl.start_recording(target)
    for i in range(5):
        ctl.process(frame(i))
    ctl.toggle_recording()  # stop, finished in the background
    ctl.toggle_recording()  # a new file in record_dir
    for i in range(5, 8):
        ctl.process(frame(i))
    ctl.close()  # waits for both files
    assert ctl.recordings[0] == target and ctl.recordings[1].parent == tmp_path / "recs"
    assert count_frames(ctl.recordings[0])[0] == 5
    assert count_frames(ctl.recordings[1])[0] == 3


def test_recording_that_cannot_be_written_is_reported(styles, tmp_path):
    lines = []
    ctl = controller(styles, tmp_path, log=lines.append)
    ctl.start_recording(tmp_path / "missing-folder" / "x.mp4")  # the controller creates the folder
    ctl.process(frame())
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    ctl.stop_recording()
    ctl.start_recording(blocker / "y.mp4")  # a folder that cannot exist
    ctl.process(frame(1))
    assert not ctl.recording
    assert any("cannot record" in line for line in lines)
    ctl.close()
    assert count_frames(tmp_path / "missing-folder" / "x.mp4")[0] == 1


def test_keys_map_to_actions(styles, tmp_path):
    ctl = controller(styles, tmp_path)
    quits = []
    fulls = []
    ctl.on_quit = lambda: quits.append(1)
    ctl.on_fullscreen = fulls.append
    assert all(ctl.handle_key(code) == "strength_up" for code in KEY_UP)
    assert ctl.strength == 1.0
    assert ctl.handle_key(max(KEY_DOWN)) == "strength_down" and ctl.strength == pytest.approx(0.9)
    assert ctl.handle_key(ord("-")) == "strength_down" and ctl.strength == pytest.approx(0.8)
    assert ctl.handle_key(ord("+")) == "strength_up" and ctl.strength == pytest.approx(0.9)
    assert ctl.handle_key(ord("c")) == "toggle_keep_colors" and ctl.keep_colors
    assert ctl.handle_key(ord("v")) == "toggle_split" and ctl.split
    assert ctl.handle_key(ord("h")) == "toggle_help" and ctl.show_help
    assert ctl.handle_key(ord("f")) == "toggle_fullscreen" and fulls == [True]
    assert ctl.handle_key(ord("x")) is None
    assert ctl.handle_key(-1) is None
    assert ctl.handle_key(27) == "quit" and quits == [1] and ctl.quit_requested


def test_a_style_that_cannot_load_leaves_the_current_one(styles, tmp_path):
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    lines = []
    ctl = controller([*styles, broken], tmp_path, log=lines.append)
    f = frame()
    ctl.process(f)
    ctl.select_style(3)
    assert ctl.current == 0
    assert "cannot load broken" in lines[-1]
    np.testing.assert_array_equal(ctl.process(f), 255 - f.image)


def test_background_loading_keeps_the_picture_running_until_the_style_is_ready(styles, tmp_path):
    ctl = controller(styles, tmp_path, background_loading=True, crossfade=0)
    f = frame()
    ctl.stylizer()  # the first style is loaded up front (run_live does the same)
    ctl.process(f)
    ctl.select_style(1)
    assert ctl.current == 0 and "loading" in ctl.message
    deadline = time.monotonic() + 5
    while ctl.current != 1 and time.monotonic() < deadline:
        out = ctl.process(f)
        time.sleep(0.01)
    assert ctl.current == 1
    np.testing.assert_array_equal(ctl.process(f), np.broadcast_to(CONSTANT, f.image.shape))
    ctl.close()
    assert out is not None


def test_smoother_is_reset_on_style_change(styles, tmp_path):
    smoother = make_smoother("ema", 0.5)
    ctl = controller(styles, tmp_path, start=2, smoother=smoother, crossfade=0)  # identity
    black = np.zeros((H, W, 3), np.uint8)
    ctl.process(frame(image=black))
    white = np.full((H, W, 3), 200, np.uint8)
    assert int(ctl.process(frame(image=white))[0, 0, 0]) == 100  # half of the past kept
    ctl.select_style(0)  # invert, and the smoother forgets
    np.testing.assert_array_equal(ctl.process(frame(image=white)), 255 - white)


def test_stale_frames_keep_the_last_picture_and_show_the_status(styles, tmp_path):
    ctl = controller(styles, tmp_path)
    f = frame()
    out = ctl.process(f)
    stale = Frame(index=0, image=f.image, time=time.perf_counter(), stale=True, status="camera 0 lost")
    np.testing.assert_array_equal(ctl.process(stale), out)
    assert ctl.status == "camera 0 lost"
    shown = ctl.overlay(stale, out)
    centre = (slice(H // 3, 2 * H // 3), slice(W // 4, 3 * W // 4))
    assert not np.array_equal(shown[centre], out[centre])
    ctl.process(frame(1))
    assert ctl.status is None


def test_overlay_draws_on_a_copy_and_the_help_panel_covers_the_middle(styles, tmp_path):
    ctl = controller(styles, tmp_path)
    big = synthetic_frame(640, 360)
    f = frame(image=big)
    for _ in range(3):
        out = ctl.process(f)
    before = out.copy()
    plain = ctl.overlay(f, out)
    np.testing.assert_array_equal(out, before)
    assert "invert" in ctl.stats_line() and "cpu" in ctl.stats_line() and "fps" in ctl.stats_line()
    assert ctl.latency_ms >= 0
    ctl.toggle_help()
    helped = ctl.overlay(f, out)
    middle = (slice(120, 240), slice(200, 440))
    assert helped[middle].mean() < 0.6 * plain[middle].mean()  # darkened panel
    assert (helped[middle] > 200).any()  # with text on it


def test_stylizer_factory_defaults_to_the_engine(styles, tmp_path):
    ctl = controller(styles, tmp_path)
    assert isinstance(ctl.stylizer(), Stylizer)


def test_smoothing_runs_at_the_processing_size_and_only_its_result_is_scaled_up(styles, tmp_path):
    from stylecam.smoothing import make_smoother

    class Recording:
        """The real flow smoother, noting the size of what it is given."""

        mode = "flow"

        def __init__(self) -> None:
            self.inner = make_smoother("flow")
            self.shapes: list[tuple[int, ...]] = []

        def update(self, image, styled):
            self.shapes.append(image.shape)
            assert styled.shape == image.shape
            return self.inner.update(image, styled)

        def reset(self) -> None:
            self.inner.reset()

    small = (W // 2 // 4 * 4, H // 2 // 4 * 4)
    smoother = Recording()
    ctl = controller(styles, tmp_path, size=small, smoother=smoother, crossfade=10.0)
    for i in range(3):
        out = ctl.process(frame(i))
        assert out.shape == (H, W, 3)
    ctl.next_style()  # a crossfade of two styles, both at the processing size
    out = ctl.process(frame(3))
    assert out.shape == (H, W, 3) and ctl.fading
    assert smoother.shapes == [(small[1], small[0], 3)] * 4
    # the picture is the inverted input, smoothed small and scaled up: close to the full-size inversion
    ctl2 = controller(styles, tmp_path, size=small)
    f = frame(0)
    assert np.abs(ctl2.process(f).astype(int) - (255 - f.image)).mean() < 40


@pytest.mark.parametrize("device", ["cpu", "cuda"])  # in sequence, and with motion on the helper thread
def test_live_on_a_gpu_overlaps_motion_with_inference_as_video_does(tmp_path, device):
    """The controller runs the video command's step: with the network on a GPU (here the CPU provider,
    its device named cuda, as the video overlap test does) the flow smoother's motion is computed on the
    helper thread during inference, and the pictures are exactly those of the step run in sequence."""
    import threading

    from stylecam.stage import StylizeStep

    model = make_model(tmp_path / "p.onnx", "pool4")
    frames = [synthetic_frame(192, 128, t=i) for i in range(6)]
    reference = StylizeStep(
        Stylizer(model, device="cpu", size=(96, 64)), make_smoother("flow"), overlap=False
    )
    expected = [reference(frame(i, f)) for i, f in enumerate(frames)]

    def factory(spec):
        st = Stylizer(spec, device="cpu", size=(96, 64))
        st.device = device  # the overlap decision only reads this; the network still runs on the CPU
        return st

    smoother = make_smoother("flow")
    prepared_on: list[str] = []
    prepare = smoother.prepare

    def watched(image, *args):
        prepared_on.append(threading.current_thread().name)
        return prepare(image, *args)

    smoother.prepare = watched
    ctl = controller([model], tmp_path, stylizer_factory=factory, smoother=smoother)
    try:
        got = [ctl.process(frame(i, f)) for i, f in enumerate(frames)]
    finally:
        ctl.close()
    assert ctl.step.overlaps == (device == "cuda")
    helper = [n.startswith("stylecam-motion") for n in prepared_on]
    assert len(prepared_on) == len(frames) and helper == [device == "cuda"] * len(frames)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)
