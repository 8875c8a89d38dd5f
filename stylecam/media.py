"""Video files in and out, kept as a name for older imports.

The code is in :mod:`stylecam.sources` (:func:`~stylecam.sources.probe.probe`,
:class:`~stylecam.sources.video.VideoFileSource`) and :mod:`stylecam.sinks`
(:class:`~stylecam.sinks.video.VideoFileSink`).
"""

from __future__ import annotations

from .sinks.video import VideoFileSink
from .sources.probe import VideoProbe, probe
from .sources.video import VideoFileSource

__all__ = ["VideoFileSink", "VideoFileSource", "VideoProbe", "probe"]
