"""Where frames come from, by kind: still images, video files (and cameras, :mod:`stylecam.camera`).

- :mod:`~stylecam.sources.images`: :class:`ImageSource`, :func:`read_image`, :func:`list_images`.
- :mod:`~stylecam.sources.video`: :class:`VideoFileSource` (in order, or paced as a live source).
- :mod:`~stylecam.sources.probe`: :func:`probe`, what a video file holds.

None of them knows anything of models.
"""

from __future__ import annotations

from .images import ImageSource, list_images, read_image
from .probe import VideoProbe, probe
from .video import VideoFileSource

__all__ = ["ImageSource", "VideoFileSource", "VideoProbe", "list_images", "probe", "read_image"]
