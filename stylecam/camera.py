"""A live camera source: a reader thread that keeps only the newest frame.

:class:`CameraSource` opens a camera by index (``0``) or device path
(``/dev/video2``) through OpenCV. A reader thread grabs frames as fast as the
camera delivers them and keeps only the newest one, so whoever reads never
sees an old frame: a live preview cannot fall behind (``live = True``).

When the camera stops delivering (unplugged, taken by another program),
:meth:`CameraSource.read` keeps returning *stale* placeholder frames — the last
picture, marked ``frame.stale = True`` with a status line in
``frame.status`` — while the reader thread tries to reopen the camera.
When the camera comes back, fresh frames resume. When it does not come back
within ``reconnect_timeout`` seconds, :meth:`~CameraSource.read` raises an
:class:`~stylecam.errors.InputError`.

Example:
    >>> cam = CameraSource(0, size=(1280, 720), fps=30)  # doctest: +SKIP
    >>> info = cam.open()  # doctest: +SKIP
    >>> frame = cam.read()  # the newest frame  # doctest: +SKIP
    >>> cam.close()  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from .errors import InputError
from .frames import Frame, StreamInfo

#: Frame rate assumed when the camera does not report one.
DEFAULT_FPS = 30.0


def parse_camera(device: int | str) -> int | str:
    """``'0'`` → ``0``; ``'/dev/video2'`` stays a path; an int stays an int."""
    if isinstance(device, int):
        return device
    text = str(device).strip()
    return int(text) if text.isdigit() else text


def looks_like_camera(source: int | str) -> bool:
    """``True`` for a camera index (``0``, ``'1'``) or a device path such as ``/dev/video0``."""
    if isinstance(source, int):
        return True
    text = str(source).strip()
    return text.isdigit() or text.startswith("/dev/video")


def list_cameras() -> list[str]:
    """Cameras that can be found cheaply: on Linux the ``/dev/video*`` nodes with their names.

    Elsewhere finding cameras means opening each one (slow, and it turns the
    camera light on), so an empty list is returned.
    """
    if not sys.platform.startswith("linux"):
        return []
    found = []
    for dev in sorted(Path("/dev").glob("video*"), key=lambda p: (len(p.name), p.name)):
        name_file = Path("/sys/class/video4linux") / dev.name / "name"
        try:
            name = name_file.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            name = ""
        found.append(f"{dev} ({name})" if name else str(dev))
    return found


def _cameras_hint() -> str:
    if not sys.platform.startswith("linux"):
        return "try another index such as --camera 1, or give a video file: stylecam live clip.mp4 --loop"
    cams = list_cameras()
    if not cams:
        return (
            "no cameras found (/dev/video* is empty); plug one in, or give a video file: "
            "stylecam live clip.mp4 --loop"
        )
    return "cameras found: " + ", ".join(cams)


@contextlib.contextmanager
def _quiet_opencv() -> Iterator[None]:
    """Silence OpenCV's own log lines (a missing camera is reported once, as an InputError)."""
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging is None:
        yield
        return
    before = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        logging.setLogLevel(before)


class CameraSource:
    """A camera as a live :class:`~stylecam.streams.Source` that always hands out the newest frame.

    Args:
        device: camera index (``0``) or device path (``'/dev/video2'``).
        size: requested capture size ``(width, height)``; the camera may pick
            the nearest size it supports (the actual size is in the
            :class:`~stylecam.frames.StreamInfo`). ``None`` keeps its default.
        fps: requested frame rate; ``None`` keeps the camera's default.
        open_timeout: seconds to wait for the camera to open and deliver its
            first frame.
        frame_timeout: seconds without a frame after which the camera counts
            as lost.
        reconnect_timeout: seconds to keep trying to reopen a lost camera
            before :meth:`read` raises.
        retry_interval: seconds between attempts to reopen a lost camera.
        stale_interval: while the camera is lost, :meth:`read` returns a stale
            placeholder frame this often (so a window keeps responding).

    Raises (from :meth:`open` and :meth:`read`):
        InputError: the camera does not exist, does not deliver frames, or was
            lost and did not come back.
    """

    live = True

    def __init__(
        self,
        device: int | str = 0,
        *,
        size: tuple[int, int] | None = None,
        fps: float | None = None,
        open_timeout: float = 10.0,
        frame_timeout: float = 2.0,
        reconnect_timeout: float = 10.0,
        retry_interval: float = 0.5,
        stale_interval: float = 0.1,
    ) -> None:
        self.device = parse_camera(device)
        self.size = size
        self.fps = fps
        self.open_timeout = open_timeout
        self.frame_timeout = frame_timeout
        self.reconnect_timeout = reconnect_timeout
        self.retry_interval = retry_interval
        self.stale_interval = stale_interval
        self.info: StreamInfo | None = None
        self._cap = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._latest: Frame | None = None
        self._returned = -1  # index of the last frame handed out
        self._captured = 0  # frames captured so far (the next frame's index)
        self._last_frame_time = 0.0
        self._lost_since: float | None = None
        self._reconnects = 0
        self._last_stale = 0.0
        self._error: InputError | None = None
        self._closed = False

    @property
    def name(self) -> str:
        return f"camera {self.device}"

    # ------------------------------------------------------------------ state

    @property
    def status(self) -> str:
        """``'ok'``, ``'lost'`` (retrying), ``'failed'``, ``'closed'`` or ``'new'`` (not opened)."""
        with self._cond:
            if self._closed:
                return "closed"
            if self._error is not None:
                return "failed"
            if self._thread is None:
                return "new"
            return "lost" if self._is_lost(time.perf_counter()) else "ok"

    @property
    def reconnects(self) -> int:
        """How many times a lost camera came back."""
        return self._reconnects

    def _is_lost(self, now: float) -> bool:
        return self._lost_since is not None or now - self._last_frame_time > self.frame_timeout

    # ------------------------------------------------------------------ opening

    def _open_capture(self) -> object | None:
        """A ``cv2.VideoCapture`` that is open, with the requested size and rate, or ``None``."""
        # On Linux ask V4L2 directly: the default also tries FFmpeg and depth-camera back ends, each of
        # which logs its own complaint about a missing camera.
        api = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
        with _quiet_opencv():
            try:
                cap = cv2.VideoCapture(self.device, api)
            except cv2.error:
                return None
        if not cap.isOpened():
            with contextlib.suppress(Exception):
                cap.release()
            return None
        with contextlib.suppress(Exception):
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
            if self.size is not None:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, float(self.size[0]))
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, float(self.size[1]))
            if self.fps is not None:
                cap.set(cv2.CAP_PROP_FPS, float(self.fps))
        return cap

    def _open_with_timeout(self) -> object | None:
        result: list = []
        worker = threading.Thread(target=lambda: result.append(self._open_capture()), daemon=True)
        worker.start()
        worker.join(self.open_timeout)
        if worker.is_alive():
            raise InputError(
                f"{self.name} did not open within {self.open_timeout:g} s",
                "close other programs that use the camera, or try another --camera",
            )
        return result[0] if result else None

    def open(self) -> StreamInfo:
        """Open the camera, start the reader thread and wait for the first frame.

        Raises:
            InputError: no such camera, or it delivers no frame within ``open_timeout``.
        """
        if self.info is not None:
            return self.info
        if self._closed:
            raise InputError(f"{self.name} was closed", "open a new CameraSource")
        cap = self._open_with_timeout()
        if cap is None:
            raise InputError(f"cannot open {self.name}", _cameras_hint())
        self._cap = cap
        self._last_frame_time = time.perf_counter()
        self._thread = threading.Thread(target=self._reader, name="stylecam-camera", daemon=True)
        self._thread.start()
        deadline = time.perf_counter() + self.open_timeout
        with self._cond:
            while self._latest is None and self._error is None:
                left = deadline - time.perf_counter()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.1))
            first = self._latest
        if first is None:
            self.close()
            raise InputError(
                f"{self.name} opened but delivered no frame within {self.open_timeout:g} s",
                "another program may be using it; close it, or try another --camera",
            )
        h, w = first.image.shape[:2]
        reported = 0.0
        with contextlib.suppress(Exception):
            reported = float(cap.get(cv2.CAP_PROP_FPS))
        fps = reported if 0 < reported < 1000 else (self.fps or DEFAULT_FPS)
        self.info = StreamInfo(width=w, height=h, fps=fps, frame_count=None, live=True, source=self.name)
        return self.info

    # ------------------------------------------------------------------ reader thread

    def _reader(self) -> None:
        cap = self._cap
        while not self._stop.is_set():
            if cap is None:
                cap = self._reconnect()
                if cap is None:
                    continue
            try:
                ok, image = cap.read()
            except cv2.error:
                ok, image = False, None
            now = time.perf_counter()
            if self._stop.is_set():
                break
            if not ok or image is None or image.size == 0:
                with contextlib.suppress(Exception):
                    cap.release()
                cap = None
                with self._cond:
                    self._cap = None
                    if self._lost_since is None:
                        self._lost_since = now
                    self._cond.notify_all()
                continue
            image = self._normalise(image)
            with self._cond:
                self._latest = Frame(index=self._captured, image=image, time=now)
                self._captured += 1
                self._last_frame_time = now
                if self._lost_since is not None:
                    self._lost_since = None
                    self._reconnects += 1
                self._cond.notify_all()
        if cap is not None:
            with contextlib.suppress(Exception):
                cap.release()

    def _reconnect(self) -> object | None:
        """One attempt to reopen a lost camera; gives up (sets the error) after ``reconnect_timeout``."""
        with self._cond:
            lost_since = self._lost_since if self._lost_since is not None else time.perf_counter()
        if time.perf_counter() - lost_since > self.reconnect_timeout:
            self._give_up()
            self._stop.set()
            return None
        cap = self._open_capture()
        if cap is None:
            self._stop.wait(self.retry_interval)
            return None
        with self._cond:
            self._cap = cap
        return cap

    def _give_up(self) -> None:
        with self._cond:
            if self._error is None:
                self._error = InputError(
                    f"{self.name} stopped delivering frames and did not come back "
                    f"within {self.reconnect_timeout:g} s",
                    "check the cable and that no other program took the camera, then start again",
                )
            self._cond.notify_all()

    def _normalise(self, image: np.ndarray) -> np.ndarray:
        """Frames are ``uint8`` BGR ``(H, W, 3)`` at the stream's size (a camera that comes back may differ)."""
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        elif image.shape[2] == 4:
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
        if image.dtype != np.uint8:
            image = cv2.convertScaleAbs(image)
        info = self.info
        if info is not None and (image.shape[1], image.shape[0]) != (info.width, info.height):
            image = cv2.resize(image, (info.width, info.height), interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(image)

    # ------------------------------------------------------------------ reading

    def read(self) -> Frame | None:
        """The newest frame not yet returned; waits for one.

        While the camera is lost this returns a stale placeholder (the last
        picture, ``frame.stale`` and ``frame.status`` set) every
        ``stale_interval`` seconds. Returns ``None`` once closed.

        Raises:
            InputError: the camera was lost and did not come back within ``reconnect_timeout``.
        """
        if self.info is None and not self._closed:
            self.open()
        with self._cond:
            while True:
                if self._closed:
                    return None
                if self._error is not None:
                    raise self._error
                now = time.perf_counter()
                latest = self._latest
                if latest is not None and latest.index != self._returned:
                    self._returned = latest.index
                    return latest
                if self._is_lost(now):
                    since = self._lost_since if self._lost_since is not None else self._last_frame_time
                    if now - since > self.reconnect_timeout + self.frame_timeout:
                        # the reader thread is stuck inside the driver: give up from here
                        self._error = InputError(
                            f"{self.name} stopped delivering frames and did not come back "
                            f"within {self.reconnect_timeout:g} s",
                            "check the cable and that no other program took the camera, then start again",
                        )
                        raise self._error
                    if now - self._last_stale >= self.stale_interval:
                        self._last_stale = now
                        return self._stale_frame(now, now - since)
                self._cond.wait(self.stale_interval / 2)

    def _stale_frame(self, now: float, lost_for: float) -> Frame:
        latest = self._latest
        if latest is not None:
            image, index = latest.image, latest.index
        else:
            info = self.info
            image = np.zeros((info.height if info else 360, info.width if info else 640, 3), np.uint8)
            index = -1
        left = max(0.0, self.reconnect_timeout - lost_for)
        status = f"{self.name} lost - retrying ({left:.0f} s left)"
        return Frame(index=index, image=image, time=now, stale=True, status=status)

    def close(self) -> None:
        """Stop the reader thread and release the camera; safe to call twice."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)
        cap = self._cap
        self._cap = None
        if cap is not None and (thread is None or not thread.is_alive()):
            with contextlib.suppress(Exception):
                cap.release()

    def __enter__(self) -> CameraSource:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
