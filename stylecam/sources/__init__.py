"""Where frames come from, by kind, each registered once in :data:`SOURCES` and chosen by :func:`open_source`.

- ``"camera"``: :class:`~stylecam.camera.CameraSource`, a webcam by index or ``/dev/video*`` (keeps only
  the newest frame: a live preview never falls behind).
- ``"video"``: :class:`~stylecam.sources.video.VideoFileSource`, a video file in order (no frame ever
  dropped) or paced at its own frame rate as a live source; :func:`~stylecam.sources.probe.probe`
  describes a file.
- ``"images"``: :class:`~stylecam.sources.images.ImageSource`, image files and folders of them
  (:func:`read_image`, :func:`list_images`).

None of them knows anything of models.

Example:
    >>> from stylecam.sources import source_kind
    >>> source_kind(0), source_kind("/dev/video2"), source_kind("clip.mp4"), source_kind("photo.jpg")
    ('camera', 'camera', 'video', 'images')
    >>> source_kind(["a.jpg", "b.png"]), source_kind("photo.jpg", live=True)
    ('images', 'video')
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..formats import IMAGE_SUFFIXES
from .images import ImageSource, list_images, read_image
from .probe import VideoProbe, probe
from .video import VideoFileSource

__all__ = [
    "SOURCES",
    "ImageSource",
    "VideoFileSource",
    "VideoProbe",
    "list_images",
    "open_source",
    "probe",
    "read_image",
    "source_kind",
]

Spec = int | str | os.PathLike[str] | Sequence[str | os.PathLike[str]]


def _camera(spec: Any, *, camera_size=None, camera_fps=None, **_: Any) -> Any:
    from ..camera import CameraSource

    return CameraSource(spec, size=camera_size, fps=camera_fps)


def _video(spec: Any, *, live: bool = False, loop: bool = False, **_: Any) -> VideoFileSource:
    return VideoFileSource(Path(os.fspath(spec)).expanduser(), loop=loop, realtime=live)


def _images(spec: Any, *, on_skip: Callable[[str], None] | None = None, **_: Any) -> ImageSource:
    paths = [spec] if isinstance(spec, str | os.PathLike) else list(spec)
    return ImageSource([os.fspath(p) for p in paths], on_skip=on_skip)


#: every kind of source: a factory taking the spec and :func:`open_source`'s options (each takes the ones
#: it knows)
SOURCES: dict[str, Callable[..., Any]] = {"camera": _camera, "video": _video, "images": _images}


def source_kind(spec: Spec, *, live: bool = False) -> str:
    """Which kind of source ``spec`` names: ``"camera"`` (an index or ``/dev/video*``), ``"images"`` (a
    list of paths, a folder, a file with an image suffix; not for ``live``) or ``"video"``."""
    from ..camera import looks_like_camera

    if isinstance(spec, int | str) and looks_like_camera(spec):
        return "camera"
    if live:
        return "video"
    if not isinstance(spec, str | os.PathLike):
        return "images"
    path = Path(os.fspath(spec)).expanduser()
    return "images" if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES else "video"


def open_source(
    spec: Spec,
    *,
    live: bool = False,
    loop: bool = False,
    camera_size: tuple[int, int] | None = None,
    camera_fps: float | None = None,
    on_skip: Callable[[str], None] | None = None,
) -> Any:
    """The source for what the user named: a camera, a video file, or image files and folders.

    Args:
        spec: a camera index or device path, a video file, an image file or folder, or a list of images.
        live: for ``stylecam live``: a camera, or a video file played at its own frame rate.
        loop: a live video file starts again at its end.
        camera_size, camera_fps: what to ask a camera for.
        on_skip: called with one line for each image skipped because it cannot be read.

    Returns:
        A :class:`~stylecam.streams.Source`, not yet opened.

    Raises:
        InputError: for ``live``, a file that does not exist or a folder; a bad ``camera_fps``.
    """
    if camera_fps is not None and not 0 < camera_fps <= 1000:
        raise InputError(f"bad --camera-fps {camera_fps:g}", "use a frame rate such as 30")
    kind = source_kind(spec, live=live)
    if live and kind == "video":
        path = Path(os.fspath(spec)).expanduser()  # type: ignore[arg-type]
        if not path.exists():
            raise InputError(f"file not found: {spec}", "give a camera index (0, 1, ...) or a video file")
        if path.is_dir():
            raise InputError(
                f"{spec} is a folder",
                "live mode plays a camera or a video file; for images use 'stylecam image'",
            )
    return SOURCES[kind](
        spec, live=live, loop=loop, camera_size=camera_size, camera_fps=camera_fps, on_skip=on_skip
    )
