"""VirtualCamSink (stylecam.sinks.virtualcam) with a fake backend registered in pyvirtualcam's registry,
and the real library here (no v4l2loopback device) up to its clean error."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from conftest import synthetic_frame

pyvirtualcam = pytest.importorskip("pyvirtualcam")
from pyvirtualcam.util import decode_fourcc  # noqa: E402

from stylecam.errors import DeviceError  # noqa: E402
from stylecam.frames import Frame, StreamInfo  # noqa: E402
from stylecam.sinks.virtualcam import VirtualCamSink, setup_hint  # noqa: E402

BACKEND = "stylecam-fake"


class FakeBackend:
    """A pyvirtualcam backend (the interface of pyvirtualcam.camera.Backend) that keeps what it gets."""

    instances: ClassVar[list[FakeBackend]] = []

    def __init__(self, *, width: int, height: int, fps: float, fourcc: int, device: str | None, **kw) -> None:
        if device not in (None, "/dev/fake0"):
            raise RuntimeError(f"device {device} not found")
        self.width, self.height, self.fps = width, height, fps
        self.fourcc = decode_fourcc(fourcc)
        self._device = device or "/dev/fake0"
        self.frames: list[np.ndarray] = []
        self.closed = 0
        FakeBackend.instances.append(self)

    def send(self, frame: np.ndarray) -> None:
        self.frames.append(frame.copy())

    def close(self) -> None:
        self.closed += 1

    def device(self) -> str:
        return self._device

    def native_fourcc(self) -> int | None:
        return None


@pytest.fixture
def fake_backend(monkeypatch: pytest.MonkeyPatch) -> type[FakeBackend]:
    monkeypatch.setattr(FakeBackend, "instances", [])
    monkeypatch.setitem(pyvirtualcam.camera.BACKENDS, BACKEND, FakeBackend)
    return FakeBackend


def info(w: int = 64, h: int = 48, fps: float = 30.0) -> StreamInfo:
    return StreamInfo(width=w, height=h, fps=fps, live=True)


def test_frames_reach_the_backend_in_bgr_at_the_stream_size(fake_backend):
    sink = VirtualCamSink(backend=BACKEND)
    assert not sink.inline and not sink.stopped
    sink.open(info(64, 48, 25))
    backend = fake_backend.instances[-1]
    assert (backend.width, backend.height, backend.fps, backend.fourcc) == (64, 48, 25.0, "24BG")
    assert sink.device_name == "/dev/fake0"
    images = [synthetic_frame(64, 48, t) for t in range(3)]
    for i, img in enumerate(images):
        sink.write(Frame(index=i, image=img, time=time.perf_counter()), img)
    assert sink.frames_sent == 3
    for sent, img in zip(backend.frames, images, strict=True):
        np.testing.assert_array_equal(sent.reshape(48, 64, 3), img)
    sink.close()
    sink.close()
    assert backend.closed == 1


def test_a_given_size_and_device_are_used_and_frames_are_resized(fake_backend):
    sink = VirtualCamSink(32, 24, fps=15, backend=BACKEND, device="/dev/fake0")
    sink.open(info(64, 48, 30))
    img = np.zeros((48, 64, 3), np.uint8)
    img[:, :32] = (255, 0, 0)
    sink.write(Frame(index=0, image=img, time=0.0), img)
    backend = fake_backend.instances[-1]
    sent = backend.frames[0].reshape(24, 32, 3)
    assert (backend.width, backend.height, backend.fps) == (32, 24, 15.0)
    assert tuple(sent[12, 4]) == (255, 0, 0) and tuple(sent[12, 28]) == (0, 0, 0)
    sink.close()


def test_a_frame_not_of_the_streams_size_is_a_value_error_naming_both_shapes(fake_backend):
    sink = VirtualCamSink(32, 24, backend=BACKEND, device="/dev/fake0")
    sink.open(info(64, 48, 30))
    wrong = np.zeros((24, 32, 3), np.uint8)  # the camera's size, but not the stream's
    with pytest.raises(ValueError, match=r"shape \(24, 32, 3\), expected \(48, 64, 3\)"):
        sink.write(Frame(index=0, image=wrong, time=0.0), wrong)
    assert sink.frames_sent == 0
    sink.close()


def test_no_backend_named_tries_all_registered(fake_backend, monkeypatch):
    monkeypatch.setattr(pyvirtualcam.camera, "BACKENDS", {BACKEND: FakeBackend})
    sink = VirtualCamSink()
    sink.open(info())
    assert sink.device_name == "/dev/fake0"
    sink.close()


def test_a_device_the_backend_does_not_have_is_a_device_error(fake_backend):
    sink = VirtualCamSink(backend=BACKEND, device="/dev/video42")
    with pytest.raises(DeviceError) as err:
        sink.open(info())
    assert "'/dev/video42'" in err.value.message and "not found" in err.value.message
    assert err.value.exit_code == 3


def test_an_unknown_backend_lists_the_available_ones(fake_backend):
    with pytest.raises(DeviceError) as err:
        VirtualCamSink(backend="nope").open(info())
    assert "unknown virtual camera backend 'nope'" in err.value.message
    assert BACKEND in err.value.hint


def test_missing_pyvirtualcam_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyvirtualcam", None)  # import now raises ImportError
    with pytest.raises(DeviceError) as err:
        VirtualCamSink().open(info())
    assert err.value.hint == "pip install 'stylecam[virtualcam]'"


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the real v4l2loopback backend is Linux-only"
)
def test_the_real_library_without_a_loopback_device_fails_with_the_setup_line():
    if list(Path("/dev").glob("video*")):
        pytest.skip("this machine has video devices; a loopback one might exist")
    with pytest.raises(DeviceError) as err:
        VirtualCamSink().open(info())
    text = str(err.value)
    assert "no virtual camera device available" in err.value.message
    assert "v4l2loopback" in err.value.message  # pyvirtualcam's reason, shortened
    assert "sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label=stylecam" in err.value.hint
    assert "\n" not in text and len(text) < 400


def test_setup_hints_per_os():
    assert "v4l2loopback-dkms" in setup_hint("linux")
    assert "OBS" in setup_hint("win32") and "OBS" in setup_hint("darwin")


def test_run_live_sends_the_stylized_stream_to_the_virtual_camera(fake_backend, models_dir, tmp_path):
    from live.test_run import H, W, write_clip

    from stylecam.live import LiveOptions, run_live

    clip = write_clip(tmp_path / "clip.mp4", frames=8, image=np.full((H, W, 3), 30, np.uint8))
    args = LiveOptions(
        source=str(clip),
        style="invert",
        device="cpu",
        virtual_cam=True,
        virtual_cam_backend=BACKEND,
        no_window=True,
        smooth="none",
        max_frames=8,
    )
    assert run_live(args) == 0
    backend = fake_backend.instances[-1]
    assert (backend.width, backend.height) == (W, H)
    assert 5 <= len(backend.frames) <= 8 and backend.closed == 1
    sent = backend.frames[-1].reshape(H, W, 3).astype(int)
    assert np.abs(sent - 225).max() <= 6  # the inverted grey clip (after H.264 and YUV)
