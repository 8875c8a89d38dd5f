"""What each output container gets, by suffix, and the few FFmpeg settings the video sink writes with.

:data:`CONTAINERS` is the one table of the formats :class:`~stylecam.sinks.video.VideoFileSink` writes:
the muxer, the default video codec, the audio codecs copied as they are, and the audio encoder otherwise.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import av

__all__ = [
    "CLUSTERED",
    "CONTAINERS",
    "FRAGMENTED",
    "GIF_TIME_BASE",
    "SUPPORTED_SUFFIXES",
    "as_rate",
    "palette_graph",
]

_NTSC_BASES = (24, 30, 48, 60, 120, 240)

#: Output container by file suffix: (FFmpeg muxer, default video codec, audio codecs that can be copied,
#: audio codec to transcode to). ``None`` in the copy column means "whatever the muxer accepts".
CONTAINERS: dict[str, tuple[str, str, frozenset[str] | None, str]] = {
    ".mp4": ("mp4", "libx264", frozenset({"aac", "mp3", "opus", "flac", "alac", "ac3", "eac3"}), "aac"),
    ".m4v": ("mp4", "libx264", frozenset({"aac", "mp3", "opus", "flac", "alac", "ac3", "eac3"}), "aac"),
    ".mov": (
        "mov",
        "libx264",
        frozenset({"aac", "mp3", "alac", "ac3", "eac3", "pcm_s16le", "pcm_s24le"}),
        "aac",
    ),
    ".mkv": ("matroska", "libx264", None, "aac"),
    ".avi": ("avi", "mpeg4", frozenset({"mp3", "ac3", "pcm_s16le"}), "libmp3lame"),
    ".webm": ("webm", "libvpx-vp9", frozenset({"opus", "vorbis"}), "libopus"),
    ".gif": ("gif", "gif", frozenset(), ""),  # no sound; a palette of its own for every frame
}
SUPPORTED_SUFFIXES = ", ".join(CONTAINERS)
#: GIF frame delays are in hundredths of a second.
GIF_TIME_BASE = Fraction(1, 100)
#: While a file is written: MP4/MOV as fragments of at most a second, so a process killed mid-run
#: (SIGKILL, power loss) leaves every fragment written so far playable; at a clean end the file is
#: rewritten as a normal fast-start MP4. ``delay_moov`` writes the header with the first fragment, so it
#: carries the edit lists that hide the encoders' delays (B-frames, AAC priming) and keep the sound in
#: sync (``empty_moov`` would shift the video by the B-frame delay).
FRAGMENTED = {"movflags": "frag_keyframe+delay_moov+default_base_moof", "frag_duration": "1000000"}
#: Matroska and WebM: clusters of at most a second, likewise.
CLUSTERED = {"cluster_time_limit": "1000"}


def as_rate(fps: float | Fraction) -> Fraction:
    """A frame rate as an exact fraction; 29.97 becomes 30000/1001 and its kin likewise."""
    if isinstance(fps, Fraction):
        return fps
    for base in _NTSC_BASES:
        if abs(fps - base * 1000 / 1001) < 2e-3:
            return Fraction(base * 1000, 1001)
    return Fraction(fps).limit_denominator(1001)


def palette_graph(width: int, height: int, time_base: Fraction) -> Any:
    """FFmpeg's palettegen + paletteuse, a palette of 256 colours chosen for each frame (streaming)."""
    graph = av.filter.Graph()
    src = graph.add_buffer(width=width, height=height, format="bgr24", time_base=time_base)
    split = graph.add("split")
    gen = graph.add("palettegen", "stats_mode=single")
    use = graph.add("paletteuse", "new=1")
    sink = graph.add("buffersink")
    src.link_to(split)
    split.link_to(gen, 0, 0)
    split.link_to(use, 1, 0)
    gen.link_to(use, 0, 1)
    use.link_to(sink)
    graph.configure()
    return graph
