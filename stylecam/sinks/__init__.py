"""Where stylized frames go, by kind: image files, video files (with sound), nothing (benchmarks).

- :mod:`~stylecam.sinks.images`: :class:`ImageSink`.
- :mod:`~stylecam.sinks.video`: :class:`VideoFileSink`, with :mod:`~stylecam.sinks.audio`'s muxer.
- :mod:`~stylecam.sinks.null`: :class:`NullSink`.
- :mod:`~stylecam.sinks.files`: safe output files (folder checks, temporary names, moves).
"""

from __future__ import annotations

from .files import check_output_dir, same_file
from .images import ImageSink
from .null import NullSink
from .video import VideoFileSink

__all__ = ["ImageSink", "NullSink", "VideoFileSink", "check_output_dir", "same_file"]
