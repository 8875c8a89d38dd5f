"""``run_live``: the whole session from its options (a looping clip, recordings, a real window under
Xvfb, the virtual camera's place, the processing size), and what it refuses before anything opens."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import make_model, synthetic_frame

from stylecam.errors import DeviceError, InputError
from stylecam.frames import Frame
from stylecam.live import LiveOptions, parse_camera_size, run_live
from stylecam.sinks import VideoFileSink
from stylecam.sources import probe

from .test_controller import H, W, count_frames

__all__ = ["H", "W", "write_clip"]


def test_parse_camera_size():
    assert parse_camera_size("1280x720") == (1280, 720)
    assert parse_camera_size(None) is None
    with pytest.raises(InputError):
        parse_camera_size("720p")


def _live_args(**kw) -> LiveOptions:
    base = {
        "source": "0",
        "style": None,
        "device": "cpu",
        "size": None,
        "scale": None,
        "threads": 1,
        "record": None,
        "loop": False,
        "camera_size": None,
        "camera_fps": None,
        "virtual_cam": False,
        "no_window": True,
        "fullscreen": False,
        "mirror": False,
        "crossfade": 0.5,
        "strength": 1.0,
        "snapshots": "snapshots",
        "max_frames": None,
        "json": False,
        "smooth": "none",
        "smooth_strength": None,
    }
    base.update(kw)
    return LiveOptions(**base)


def write_clip(path: Path, frames: int = 12, fps: int = 25, image: np.ndarray | None = None) -> Path:
    sink = VideoFileSink(path, fps=fps, timing="index")
    from stylecam.frames import StreamInfo

    sink.open(StreamInfo(width=W, height=H, fps=fps))
    for i in range(frames):
        img = synthetic_frame(W, H, t=i) if image is None else image
        sink.write(Frame(index=i, image=img, time=0.0), img)
    sink.close()
    return path


def test_run_live_from_a_looping_file_records_without_a_window(models_dir, tmp_path, capsys):
    clip = write_clip(tmp_path / "clip.mp4", frames=6)
    out = tmp_path / "live.mp4"
    args = _live_args(source=str(clip), loop=True, record=str(out), style="invert", max_frames=15)
    assert run_live(args) == 0
    n, size = count_frames(out)
    assert size == (W, H)
    assert 10 <= n <= 15  # a live source may drop a frame or two when the machine is busy
    err = capsys.readouterr().err
    assert "recorded" in err and str(out) in err


def test_run_live_needs_an_output_and_a_display(models_dir, tmp_path, monkeypatch):
    with pytest.raises(InputError, match="--no-window"):
        run_live(_live_args())
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(DeviceError) as info:
        run_live(_live_args(no_window=False))
    assert "no display" in info.value.message and "--no-window" in info.value.hint


def test_run_live_rejects_a_missing_file_and_bad_options(models_dir, tmp_path):
    with pytest.raises(InputError, match="file not found"):
        run_live(_live_args(source=str(tmp_path / "nope.mp4"), record=str(tmp_path / "o.mp4")))
    with pytest.raises(InputError, match="strength"):
        run_live(_live_args(strength=1.5, record=str(tmp_path / "o.mp4")))


def test_live_runtime_does_not_need_torch():
    import subprocess
    import sys

    code = (
        "import sys, stylecam.live, stylecam.camera, stylecam.window, stylecam.sinks.virtualcam; "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


LIVE_UNDER_XVFB = r"""
import json, threading, time, cv2
from xvfb_util import screen, find_window, send_key
from stylecam.live import LiveOptions, run_live

def driver():
    wid = find_window("stylecam", 30)
    time.sleep(1.0)
    cv2.imwrite(OUT + "/plain.png", screen())
    for key, name in (("v", "split"), ("h", "help")):
        send_key(wid, key)
        time.sleep(0.7)
        cv2.imwrite(OUT + f"/{name}.png", screen())
    send_key(wid, "q")

threading.Thread(target=driver, daemon=True).start()
args = LiveOptions(source=CLIP, loop=True, style="invert", device="cpu", smooth="none", threads=1,
                  snapshots=OUT + "/snaps")
t0 = time.monotonic()
rc = run_live(args)
print(json.dumps({"rc": rc, "seconds": time.monotonic() - t0}))
"""


def test_live_window_under_xvfb_split_view_and_help(models_dir, tmp_path):
    """End to end: `stylecam live clip.mp4 --loop` in a real window, keys v, h and q sent through X."""
    from xvfb_util import Xvfb, have_xdotool, have_xvfb, run_child

    if not (have_xvfb() and have_xdotool()):
        pytest.skip("needs Xvfb and xdotool")
    w, h = 320, 180
    grey = np.full((h, w, 3), 60, np.uint8)
    clip = tmp_path / "grey.mp4"
    sink = VideoFileSink(clip, fps=25, timing="index")
    from stylecam.frames import StreamInfo

    sink.open(StreamInfo(width=w, height=h, fps=25))
    for i in range(10):
        sink.write(Frame(index=i, image=grey, time=0.0), grey)
    sink.close()
    with Xvfb(1280, 720) as xvfb:  # larger than the window: the pointer sits in the middle of the screen
        code = f"OUT = {str(tmp_path)!r}\nCLIP = {str(clip)!r}\n" + LIVE_UNDER_XVFB
        result = run_child(code, xvfb, timeout=90)
    assert result["rc"] == 0 and result["seconds"] < 30
    # the 320x180 clip is shown enlarged to 640x360 (room for the overlays), at the screen's top left
    plain, split, helped = (
        cv2.imread(str(tmp_path / f"{n}.png"))[: 2 * h, : 2 * w].astype(int)
        for n in ("plain", "split", "help")
    )
    band = slice(120, 240)  # below the stats line, above the message line
    assert np.abs(plain[band, 40:600] - 195).max() <= 6  # inverted grey everywhere
    assert np.abs(split[band, 40:300] - 60).max() <= 6  # the original on the left
    assert np.abs(split[band, 340:600] - 195).max() <= 6  # the style on the right
    assert (split[band, 319:321] >= 250).all()  # the divider
    middle = helped[100:260, 120:520]
    assert middle.mean() < 0.6 * split[100:260, 120:520].mean() and (middle > 200).any()  # the help panel


def test_live_on_a_cpu_runs_large_frames_at_the_styles_recommended_size_unless_told(tmp_path):
    """`stylecam live clip.mp4 --record`: with no --size the network runs at about the style's recommended
    pixel count and the recording keeps the clip's size; --size full runs at the frame's size."""
    import json
    import subprocess
    import sys

    from stylecam.frames import StreamInfo

    model = make_model(tmp_path / "m" / "small.onnx", "invert", extra_meta={"recommended_size": "64x32"})
    clip = tmp_path / "clip.mp4"
    sink = VideoFileSink(clip, fps=25, timing="index")
    sink.open(StreamInfo(width=192, height=128, fps=25))
    for i in range(12):
        img = synthetic_frame(192, 128, t=i)
        sink.write(Frame(index=i, image=img, time=0.0), img)
    sink.close()
    cpu = ["--device", "cpu", "--no-window", "--json", "--record"]
    for extra, expected in (([], "55x37"), (["--size", "full"], "192x128")):
        rec = tmp_path / f"rec{len(extra)}.mp4"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "stylecam",
                "live",
                str(clip),
                "--style",
                str(model),
                *cpu,
                str(rec),
                *extra,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        summary = json.loads(proc.stdout)
        assert summary["processing_size"] == expected
        assert summary["frames_out"] >= 1
        assert probe(rec).width == 192 and probe(rec).height == 128


def test_run_live_with_overlap_forced_prepares_motion_on_the_helper_thread(models_dir, tmp_path, monkeypatch):
    """`stylecam live` goes through the same step: overlap forced on the CPU provider (as a GPU would
    choose it) computes the flow on the helper thread, and the recording is complete."""
    import threading

    from stylecam.smoothing import FlowSmoother

    names: list[str] = []
    prepare = FlowSmoother.prepare

    def watched(self, image, *args):
        names.append(threading.current_thread().name)
        return prepare(self, image, *args)

    monkeypatch.setattr(FlowSmoother, "prepare", watched)
    clip = write_clip(tmp_path / "clip.mp4", frames=8)
    out = tmp_path / "live.mp4"
    options = _live_args(source=str(clip), record=str(out), style="invert", smooth="flow", max_frames=8)
    assert run_live(options, overlap=True) == 0
    assert names and all(n.startswith("stylecam-motion") for n in names)
    assert count_frames(out)[1] == (W, H)
