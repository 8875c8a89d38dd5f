"""CameraSource against a fake camera at the OpenCV boundary (there is no /dev/video* here).

``cv2.VideoCapture`` is replaced by :class:`FakeCapture`, which delivers numbered synthetic frames at a
set rate and can be unplugged and plugged back in, so the real reader thread, newest-frame policy,
reconnection and error paths of :class:`~stylecam.camera.CameraSource` all run.
"""

from __future__ import annotations

import threading
import time
from typing import ClassVar

import cv2
import numpy as np
import pytest

from stylecam.camera import CameraSource, list_cameras, looks_like_camera, parse_camera
from stylecam.errors import InputError
from stylecam.live import LiveController
from stylecam.pipeline import Pipeline
from stylecam.sinks import NullSink


class FakeCamera:
    """One camera on the fake bus: a size, a rate, and a plug."""

    def __init__(self, width: int = 64, height: int = 48, fps: float = 200.0, deliver: bool = True) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.plugged = True
        self.deliver = deliver  # False: opens, but read() never returns a frame in time
        self.produced = 0
        self.props: dict[int, float] = {}
        self.opens = 0
        self.lock = threading.Lock()

    def next_image(self) -> np.ndarray:
        with self.lock:
            n = self.produced
            self.produced += 1
        img = np.full((self.height, self.width, 3), 40, np.uint8)
        img[0, 0] = (n % 256, n // 256 % 256, 7)  # the frame number, readable back
        return img


class FakeCapture:
    """Stands in for cv2.VideoCapture: the same methods the camera source uses."""

    bus: ClassVar[dict[int | str, FakeCamera]] = {}

    def __init__(self, device: int | str, api: int | None = None) -> None:
        self.cam = self.bus.get(device)
        self.open = self.cam is not None and self.cam.plugged
        if self.open:
            self.cam.opens += 1

    def isOpened(self) -> bool:  # OpenCV's name
        return self.open

    def set(self, prop: int, value: float) -> bool:
        self.cam.props[prop] = value
        return True

    def get(self, prop: int) -> float:
        return self.cam.fps if prop == cv2.CAP_PROP_FPS else 0.0

    def read(self) -> tuple[bool, np.ndarray | None]:
        if not self.open:
            return False, None
        if not self.cam.deliver:
            time.sleep(0.05)
            return False, None
        time.sleep(1.0 / self.cam.fps)
        if not self.cam.plugged:
            self.open = False
            return False, None
        return True, self.cam.next_image()

    def release(self) -> None:
        self.open = False


@pytest.fixture
def bus(monkeypatch: pytest.MonkeyPatch) -> dict[int | str, FakeCamera]:
    cams: dict[int | str, FakeCamera] = {}
    monkeypatch.setattr(FakeCapture, "bus", cams)
    monkeypatch.setattr(cv2, "VideoCapture", FakeCapture)
    return cams


def number(frame) -> int:
    return int(frame.image[0, 0, 0]) + 256 * int(frame.image[0, 0, 1])


def test_parse_and_recognise_camera_arguments():
    assert parse_camera("0") == 0 and parse_camera(2) == 2 and parse_camera("/dev/video3") == "/dev/video3"
    assert looks_like_camera("1") and looks_like_camera("/dev/video0") and not looks_like_camera("clip.mp4")
    assert isinstance(list_cameras(), list)


def test_open_reports_the_stream_and_passes_the_requested_size_and_rate(bus):
    bus[0] = FakeCamera(64, 48, fps=120)
    with CameraSource("0", size=(1280, 720), fps=30) as cam:
        info = cam.info
        assert (info.width, info.height, info.live, info.frame_count) == (64, 48, True, None)
        assert info.fps == 120 and info.source == "camera 0"
        assert bus[0].props[cv2.CAP_PROP_FRAME_WIDTH] == 1280
        assert bus[0].props[cv2.CAP_PROP_FRAME_HEIGHT] == 720
        assert bus[0].props[cv2.CAP_PROP_FPS] == 30
        f = cam.read()
        assert f.image.shape == (48, 64, 3) and f.image.dtype == np.uint8 and cam.status == "ok"
    assert cam.read() is None and cam.status == "closed"


def test_read_always_returns_the_newest_frame(bus):
    bus["/dev/video4"] = FakeCamera(fps=500)
    cam = CameraSource("/dev/video4")
    cam.open()
    first = cam.read()
    time.sleep(0.1)  # the camera delivers ~50 frames meanwhile; only the newest is kept
    produced = bus["/dev/video4"].produced
    newest = cam.read()
    assert number(newest) >= produced - 2  # not the frame after `first`, but the last captured
    assert newest.index - first.index > 10  # frames in between were dropped
    assert newest.index == number(newest)  # index counts every captured frame
    again = cam.read()
    assert again.index > newest.index  # never the same frame twice
    cam.close()
    cam.close()  # safe twice


def test_a_camera_that_does_not_exist_is_one_line_with_a_hint(bus):
    bus[0] = FakeCamera()
    with pytest.raises(InputError) as info:
        CameraSource(5).open()
    err = info.value
    assert err.message == "cannot open camera 5"
    assert err.hint and "\n" not in str(err)
    assert err.exit_code == 2


def test_a_camera_that_opens_but_delivers_nothing_fails_in_time(bus):
    bus[1] = FakeCamera(deliver=False)
    t0 = time.monotonic()
    with pytest.raises(InputError, match="delivered no frame"):
        CameraSource(1, open_timeout=0.5).open()
    assert time.monotonic() - t0 < 3


def test_unplugged_camera_shows_stale_frames_and_resumes_when_plugged_back(bus):
    cam_dev = FakeCamera(fps=100)
    bus[0] = cam_dev
    cam = CameraSource(0, frame_timeout=0.3, reconnect_timeout=5, retry_interval=0.05, stale_interval=0.05)
    cam.open()
    last_good = cam.read()
    cam_dev.plugged = False
    stale = None
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        f = cam.read()
        if f.stale:
            stale = f
            break
    assert stale is not None and cam.status == "lost"
    assert "camera 0 lost" in stale.status and "retrying" in stale.status
    assert stale.image.shape == last_good.image.shape
    cam_dev.plugged = True
    fresh = None
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        f = cam.read()
        if not f.stale:
            fresh = f
            break
    assert fresh is not None and fresh.index > last_good.index
    assert cam.status == "ok" and cam.reconnects == 1 and cam_dev.opens == 2
    cam.close()


def test_a_camera_that_does_not_come_back_ends_with_a_clear_error(bus):
    bus[0] = FakeCamera(fps=100)
    cam = CameraSource(0, frame_timeout=0.2, reconnect_timeout=0.6, retry_interval=0.05, stale_interval=0.05)
    cam.open()
    cam.read()
    bus[0].plugged = False
    t0 = time.monotonic()
    with pytest.raises(InputError) as info:
        while time.monotonic() - t0 < 5:
            cam.read()
    assert time.monotonic() - t0 < 3
    assert "stopped delivering frames and did not come back within 0.6 s" in info.value.message
    assert cam.status == "failed"
    cam.close()


def test_camera_frames_of_another_size_after_a_replug_are_resized(bus):
    cam_dev = FakeCamera(64, 48, fps=100)
    bus[0] = cam_dev
    cam = CameraSource(0, frame_timeout=0.2, reconnect_timeout=5, retry_interval=0.05)
    cam.open()
    cam_dev.plugged = False
    time.sleep(0.1)
    cam_dev.width, cam_dev.height = 128, 96
    cam_dev.plugged = True
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        f = cam.read()
        if cam.reconnects and not f.stale:
            break
    assert cam.reconnects == 1 and f.image.shape == (48, 64, 3)
    cam.close()


def test_a_live_pipeline_from_the_camera_through_the_controller(bus, tmp_path):
    from conftest import make_model

    bus[0] = FakeCamera(96, 64, fps=300)
    ctl = LiveController([make_model(tmp_path / "invert.onnx", "invert")], device="cpu")
    sink = NullSink()
    stats = Pipeline(CameraSource(0), ctl.process, [sink], max_frames=20).run()
    assert sink.count == stats.frames_out >= 15
    assert stats.info.live and ctl.fps > 0


def test_live_pipeline_rides_out_an_unplug_and_ends_cleanly_when_the_camera_stays_away(bus, tmp_path):
    """Through the real pipeline and controller: stale frames while lost, fresh ones after the replug,
    then a clear InputError from Pipeline.run when the camera does not come back."""
    from conftest import make_model

    cam_dev = FakeCamera(96, 64, fps=100)
    bus[0] = cam_dev
    ctl = LiveController([make_model(tmp_path / "invert.onnx", "invert")], device="cpu")
    seen: list[str | None] = []
    phase = ["running"]  # running -> unplugged -> replugged -> gone

    def process(frame):
        out = ctl.process(frame)
        seen.append(ctl.status)
        if phase[0] == "running" and len(seen) == 10:
            phase[0], cam_dev.plugged = "unplugged", False
        elif phase[0] == "unplugged" and ctl.status:  # the loss is on screen: plug it back in
            phase[0], cam_dev.plugged = "replugged", True
            phase.append(len(seen))
        elif phase[0] == "replugged" and seen[phase[1] :].count(None) >= 10:  # running again: unplug for good
            phase[0], cam_dev.plugged = "gone", False
        return out

    source = CameraSource(
        0, frame_timeout=0.2, reconnect_timeout=0.8, retry_interval=0.05, stale_interval=0.05
    )
    t0 = time.monotonic()
    with pytest.raises(InputError, match="did not come back"):
        Pipeline(source, process, [NullSink()]).run()
    assert time.monotonic() - t0 < 8
    lost = [i for i, s in enumerate(seen) if s]
    assert lost and "camera 0 lost" in seen[lost[0]]
    assert None in seen[lost[0] :]  # fresh frames came back after the first loss
    assert phase[0] == "gone" and source.reconnects == 1
