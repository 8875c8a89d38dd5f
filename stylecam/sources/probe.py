"""What a video file holds: :func:`probe` and the few PyAV helpers the video source and sink share.

:func:`probe` describes a file (size after rotation, exact frame rate and frame count, audio) or raises
:class:`~stylecam.errors.InputError` with a one-line reason.

Rotation convention: ``rotation`` is the clockwise angle (0, 90, 180 or 270) by which the coded picture
must be turned to be upright, as in the classic ``rotate`` tag written by phones. The video source
applies it, so the frames it yields are upright and ``width``/``height`` describe them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..errors import InputError

log = logging.getLogger(__name__)

__all__ = ["VideoProbe", "check_video_path", "first_video_stream", "open_container", "probe", "seconds_of"]

_MOV_FAMILY = "mov,mp4,m4a,3gp,3g2,mj2"


@dataclass
class VideoProbe:
    """What :func:`probe` found out about a video file.

    Attributes:
        path: the file.
        width, height: frame size in pixels after rotation (what the source yields).
        fps: frames per second, from the stream's average rate.
        frame_count: number of frames the file holds (for a truncated MP4: the frames
            present before the cut).
        duration: seconds of video.
        rotation: clockwise degrees (0, 90, 180, 270) applied on decode to make frames upright.
        has_audio: the file has an audio stream.
        audio_codec: FFmpeg name of the first audio stream's codec, or ``None``.
        video_codec: FFmpeg name of the video codec.
        rate: the exact average frame rate as a fraction (``30000/1001`` for 29.97).
        container: FFmpeg's name of the container format.
        start_time: presentation time of the first video frame in seconds (audio is
            aligned against it).
        truncated: the file's index lists more frames than the file holds.
        declared_frames: the frame count the file's index declares (``frame_count`` unless truncated).
        variable_rate: the frames are not evenly spaced (a phone video): some gap between two frames
            differs from the typical one by more than a quarter.
        time_base: the video stream's time base (its timestamps' unit).
    """

    path: Path
    width: int
    height: int
    fps: float
    frame_count: int
    duration: float
    rotation: int
    has_audio: bool
    audio_codec: str | None
    video_codec: str
    rate: Fraction
    container: str = ""
    start_time: float = 0.0
    truncated: bool = False
    declared_frames: int = 0
    variable_rate: bool = False
    time_base: Fraction | None = None


def probe(path: str | os.PathLike[str]) -> VideoProbe:
    """Describe a video file.

    Args:
        path: the file.

    Returns:
        Its :class:`VideoProbe`. The frame count is exact: read from the MP4/MOV
        index, otherwise counted by demuxing the packets (no decoding).

    Raises:
        InputError: the file is missing, empty, a folder, an image or text file, has
            no video stream or no frames, or cannot be read.
    """
    p = check_video_path(path)
    container = open_container(p)
    try:
        return _probe_open(container, p)
    finally:
        container.close()


def check_video_path(path: str | os.PathLike[str]) -> Path:
    """``path`` as a :class:`~pathlib.Path`; raises :class:`InputError` when missing, a folder or empty."""
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(f"video file not found: {p}", hint="check the path and the file name")
    if p.is_dir():
        raise InputError(f"{p} is a folder, not a video file", hint="give the path of a video file")
    if p.stat().st_size == 0:
        raise InputError(f"video file {p} is empty (0 bytes)", hint="re-export or re-download it")
    return p


def _looks_like_text(p: Path) -> bool:
    try:
        head = _read_head(p, 4096)
    except OSError:
        return False
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_head(p: Path, n: int) -> bytes:
    with p.open("rb") as fh:
        return fh.read(n)


def open_container(p: Path) -> av.container.InputContainer:
    """Open ``p`` for reading; raises :class:`InputError` (a text file is named as such)."""
    try:
        return av.open(str(p), "r", metadata_errors="ignore", timeout=10.0)
    except (av.error.FFmpegError, OSError) as exc:
        if _looks_like_text(p):
            raise InputError(
                f"{p} is a text file, not a video", hint="give a video file (.mp4, .mov, .mkv, ...)"
            ) from None
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError(
            f"cannot read {p} as a video: {reason}",
            hint="the file is corrupt, incomplete or not a video; try playing it or re-exporting it",
        ) from None


def _is_image_format(name: str) -> bool:
    return name in {"image2", "image2pipe", "webp", "jpegxl_anim"} or name.endswith("_pipe")


def first_video_stream(container: av.container.InputContainer, p: Path) -> av.video.stream.VideoStream:
    """The first video stream that is not a cover picture; raises :class:`InputError` for images and audio."""
    fmt = container.format.name
    if _is_image_format(fmt):
        raise InputError(
            f"{p} is an image, not a video",
            hint="give a video file; to stylize pictures pass the image or its folder to image mode",
        )
    streams = [
        s
        for s in container.streams.video
        if not (int(s.disposition) & int(av.stream.Disposition.attached_pic))
    ]
    if not streams:
        what = "it is audio only" if container.streams.audio else "it holds no picture"
        raise InputError(f"{p} has no video stream ({what})", hint="give a file with a video track")
    return streams[0]


def _rate_of(stream: av.video.stream.VideoStream) -> Fraction | None:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and rate > 0 and rate < 1000:
            return Fraction(rate)
    return None


def seconds_of(value: int | None, time_base: Fraction | None) -> float | None:
    """A timestamp in seconds, or ``None`` when either part is unknown."""
    if value is None or time_base is None:
        return None
    return float(value * time_base)


def _probe_open(container: av.container.InputContainer, p: Path) -> VideoProbe:
    stream = first_video_stream(container, p)
    fmt = container.format.name
    tb = stream.time_base
    start = seconds_of(stream.start_time, tb) or 0.0

    declared = 0
    truncated = False
    if fmt == _MOV_FAMILY and stream.frames > 0 and len(stream.index_entries) == stream.frames:
        size = p.stat().st_size
        entries = [e for e in stream.index_entries if not e.is_discard]
        declared = len(entries)
        count = sum(1 for e in entries if e.pos + e.size <= size)
        truncated = count < declared
        stamps = [e.timestamp for e in entries]
    else:
        count, stamps = _count_packets(p, stream.index)
        declared = count

    rotation, first_ok = _first_frame_rotation(p, stream.index)
    if count == 0 or not first_ok:
        raise InputError(
            f"{p} has no video frames" if count == 0 else f"cannot decode any frame of {p}",
            hint="the file is empty, unfinished or corrupt; re-export or re-download it",
        )

    rate = _rate_of(stream)
    stream_duration = seconds_of(stream.duration, tb)
    if rate is None:
        total = stream_duration or (container.duration / 1e6 if container.duration else None)
        rate = Fraction(count / total).limit_denominator(1001) if total else Fraction(25)
        log.warning("%s declares no frame rate; using %.3f fps", p, float(rate))
    duration = count / float(rate) if truncated or not stream_duration else stream_duration

    width, height = stream.codec_context.width, stream.codec_context.height
    if rotation in (90, 270):
        width, height = height, width
    audio = container.streams.audio[0] if container.streams.audio else None
    return VideoProbe(
        path=p,
        width=width,
        height=height,
        fps=float(rate),
        frame_count=count,
        duration=duration,
        rotation=rotation,
        has_audio=audio is not None,
        audio_codec=audio.codec.canonical_name if audio is not None else None,
        video_codec=stream.codec.canonical_name,
        rate=rate,
        container=fmt,
        start_time=start,
        truncated=truncated,
        declared_frames=declared,
        variable_rate=_uneven(stamps),
        time_base=Fraction(tb) if tb else None,
    )


def _uneven(stamps: list[int]) -> bool:
    """Whether presentation times (in any unit) are unevenly spaced: a gap off the median by > 25 %."""
    times = sorted(t for t in stamps if t is not None)
    gaps = np.diff(np.asarray(times, dtype=np.float64))
    if gaps.size < 2:
        return False
    typical = float(np.median(gaps))
    return typical > 0 and bool(np.any(np.abs(gaps - typical) > 0.25 * typical))


def _count_packets(p: Path, index: int) -> tuple[int, list[int]]:
    """The video packets of a file without an index, and their presentation times."""
    container = open_container(p)
    count = 0
    stamps: list[int] = []
    try:
        for packet in container.demux(container.streams[index]):
            if packet.size and not packet.is_discard:
                count += 1
                if packet.pts is not None:
                    stamps.append(packet.pts)
    except av.error.FFmpegError as exc:
        log.warning("%s: demuxing stopped after %d video packets: %s", p, count, exc)
    finally:
        container.close()
    return count, stamps


def _first_frame_rotation(p: Path, index: int) -> tuple[int, bool]:
    """Decode the first frame: its display-matrix side data gives the rotation; ``False`` if none decodes."""
    container = open_container(p)
    try:
        stream = container.streams[index]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            return _clockwise(frame.rotation), True
    except av.error.FFmpegError as exc:
        log.warning("%s: cannot decode the first frame: %s", p, exc)
    finally:
        container.close()
    return 0, False


def _clockwise(ccw_degrees: float) -> int:
    """FFmpeg's display matrix turns the picture counter-clockwise; return the clockwise turn, snapped to 90."""
    return round(-ccw_degrees / 90.0) % 4 * 90
