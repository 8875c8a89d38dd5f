"""Send the stylized stream to a virtual camera (OBS, Zoom and Teams see it as a webcam).

Uses `pyvirtualcam <https://github.com/letmaik/pyvirtualcam>`_ (the
``virtualcam`` extra: ``pip install 'stylecam[virtualcam]'``), imported only
when a :class:`VirtualCamSink` opens. pyvirtualcam tries each registered
backend (v4l2loopback on Linux, OBS on Windows and macOS, Unity Capture on
Windows); when none can start, the :class:`~stylecam.errors.DeviceError`
says how to set one up on this operating system.

The sink does not pace frames (the pipeline does): frames are sent as they
come, in BGR, which every pyvirtualcam backend accepts.
"""

from __future__ import annotations

import sys

import cv2
import numpy as np

from ..errors import DeviceError
from ..frames import Frame, StreamInfo

__all__ = ["INSTALL_HINT", "VirtualCamSink", "setup_hint"]

INSTALL_HINT = "pip install 'stylecam[virtualcam]'"


def setup_hint(platform: str | None = None) -> str:
    """How to get a virtual camera device on ``platform`` (default: this one), in one line."""
    platform = platform or sys.platform
    if platform.startswith("linux"):
        return (
            "install and load v4l2loopback: sudo apt install v4l2loopback-dkms && "
            "sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label=stylecam"
        )
    if platform == "darwin":
        return "install OBS Studio (28 or newer) and start its virtual camera once (Start Virtual Camera)"
    if platform.startswith("win"):
        return (
            "install OBS Studio and start its virtual camera once (Start Virtual Camera), then stop it again"
        )
    return "pyvirtualcam has no virtual camera backend for this operating system"


def _first_reason(error: BaseException) -> str:
    """pyvirtualcam lists one line per backend tried; keep them short."""
    lines = [ln.strip() for ln in str(error).splitlines() if ln.strip()]
    short = []
    for line in lines:
        sentence = line.split(". ")[0].rstrip(".")
        short.append(sentence[:160])
    return "; ".join(short) or type(error).__name__


class VirtualCamSink:
    """A :class:`~stylecam.streams.Sink` that feeds a virtual camera (runs on the writer thread).

    Args:
        width, height: the camera's frame size; ``None`` takes the stream's
            size when the sink opens; a size that differs from the stream's scales every frame.
            A frame whose size differs from the stream's is a ``ValueError``.
        fps: the frame rate announced to the camera; ``None`` takes the stream's.
        backend: a pyvirtualcam backend name (``'v4l2loopback'``, ``'obs'``,
            ``'unitycapture'``, or one registered with
            ``pyvirtualcam.register_backend``); ``None`` tries them all.
        device: the device to use (``'/dev/video10'``, ``'OBS Virtual Camera'``);
            ``None`` picks the first free one.

    Raises (from :meth:`open`):
        DeviceError: pyvirtualcam is not installed, the backend is unknown, or
            no virtual camera device is available (with the set-up how-to).
    """

    inline = False

    def __init__(
        self,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        backend: str | None = None,
        device: str | None = None,
    ) -> None:
        self.width = width
        self.height = height
        self.fps = fps
        self.backend = backend
        self.device = device
        self.camera = None
        self.frames_sent = 0
        self.expected_shape: tuple[int, int, int] | None = None  # the stream's (H, W, 3), from open()

    @property
    def stopped(self) -> bool:
        return False

    @property
    def device_name(self) -> str | None:
        """The device in use once open (``/dev/video10``, ``OBS Virtual Camera``)."""
        return self.camera.device if self.camera is not None else None

    def open(self, info: StreamInfo) -> None:
        """Start the virtual camera at the stream's (or the given) size and rate.

        Raises:
            DeviceError: see the class docstring.
        """
        try:
            import pyvirtualcam
        except ImportError:
            raise DeviceError(
                "--virtual-cam needs the pyvirtualcam package, which is not installed", INSTALL_HINT
            ) from None
        self.expected_shape = (int(info.height), int(info.width), 3)
        self.width = int(self.width or info.width)
        self.height = int(self.height or info.height)
        self.fps = float(self.fps or info.fps or 30.0)
        if self.backend is not None and self.backend not in pyvirtualcam.camera.BACKENDS:
            known = ", ".join(sorted(pyvirtualcam.camera.BACKENDS)) or "none on this system"
            raise DeviceError(
                f"unknown virtual camera backend '{self.backend}'", f"available backends: {known}"
            )
        if not pyvirtualcam.camera.BACKENDS:
            raise DeviceError("pyvirtualcam has no virtual camera backend for this system", setup_hint())
        try:
            self.camera = pyvirtualcam.Camera(
                width=self.width,
                height=self.height,
                fps=self.fps,
                fmt=pyvirtualcam.PixelFormat.BGR,
                device=self.device,
                backend=self.backend,
            )
        except Exception as exc:  # pyvirtualcam raises RuntimeError listing each backend's failure
            where = f" '{self.device}'" if self.device else ""
            raise DeviceError(
                f"no virtual camera device{where} available ({_first_reason(exc)})", setup_hint()
            ) from None

    def write(self, frame: Frame, image: np.ndarray) -> None:
        """Send one BGR image of the stream's size (scaled to the camera's size when that differs).

        Raises:
            ValueError: the image's shape is not the stream's (the message names both).
        """
        if self.camera is None:
            return
        if image.shape != self.expected_shape:
            raise ValueError(
                f"image has shape {image.shape}, expected {self.expected_shape} (the stream's size)"
            )
        if image.shape[1] != self.width or image.shape[0] != self.height:
            image = cv2.resize(image, (self.width, self.height), interpolation=cv2.INTER_AREA)
        self.camera.send(np.ascontiguousarray(image))
        self.frames_sent += 1

    def close(self) -> None:
        """Release the virtual camera; safe to call twice."""
        camera, self.camera = self.camera, None
        if camera is not None:
            camera.close()
