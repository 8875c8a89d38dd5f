"""Video files in and out, with their sound: :func:`probe`, :class:`VideoFileSource`, :class:`VideoFileSink`.

Everything here uses PyAV (FFmpeg) and numpy/OpenCV; frames are ``uint8`` BGR
``(H, W, 3)`` arrays as everywhere in the runtime.

- :func:`probe` describes a file (size after rotation, exact frame rate and
  frame count, audio) or raises :class:`~stylecam.errors.InputError` with a
  one-line reason.
- :class:`VideoFileSource` decodes a file in order without ever dropping a
  frame (``stylecam style clip.mp4``), or paces it at its own frame rate as a
  live source (``stylecam live clip.mp4 --loop``).
- :class:`VideoFileSink` encodes H.264 (by default) with the input's frame rate,
  one output frame per :meth:`~VideoFileSink.write`, and copies the audio of
  another file alongside, interleaved as the video goes, so a run that stops
  early leaves a playable file whose sound stops where the picture stops.

Rotation convention: ``rotation`` is the clockwise angle (0, 90, 180 or 270)
by which the coded picture must be turned to be upright, as in the classic
``rotate`` tag written by phones. The source applies it, so the frames it
yields are upright and ``width``/``height`` describe them.

Example:
    >>> src = VideoFileSource("clip.mp4")  # doctest: +SKIP
    >>> info = src.open()  # doctest: +SKIP
    >>> sink = VideoFileSink("out.mp4", audio_from=info.audio_path)  # doctest: +SKIP
    >>> sink.open(info)  # doctest: +SKIP
    >>> while (frame := src.read()) is not None:  # doctest: +SKIP
    ...     sink.write(frame, frame.image)
    >>> sink.close(); src.close()  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import errno
import logging
import math
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import av
import cv2
import numpy as np

from .errors import InputError, OutputError
from .frames import Frame, StreamInfo
from .sinks import check_output_dir, same_file

log = logging.getLogger(__name__)

__all__ = ["VideoFileSink", "VideoFileSource", "VideoProbe", "probe"]

_MOV_FAMILY = "mov,mp4,m4a,3gp,3g2,mj2"
_ROTATE_CODES = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
_NTSC_BASES = (24, 30, 48, 60, 120, 240)

#: Output container by file suffix: (FFmpeg muxer, default video codec, audio codecs that can be copied,
#: audio codec to transcode to). ``None`` in the copy column means "whatever the muxer accepts".
_CONTAINERS: dict[str, tuple[str, str, frozenset[str] | None, str]] = {
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
_SUPPORTED_SUFFIXES = ".mp4, .m4v, .mov, .mkv, .avi, .webm, .gif"
#: GIF frame delays are in hundredths of a second.
_GIF_TIME_BASE = Fraction(1, 100)
#: While a file is written: MP4/MOV as fragments of at most a second, so a process killed mid-run
#: (SIGKILL, power loss) leaves every fragment written so far playable; at a clean end the file is
#: rewritten as a normal fast-start MP4. ``delay_moov`` writes the header with the first fragment, so it
#: carries the edit lists that hide the encoders' delays (B-frames, AAC priming) and keep the sound in
#: sync (``empty_moov`` would shift the video by the B-frame delay).
_FRAGMENTED = {"movflags": "frag_keyframe+delay_moov+default_base_moof", "frag_duration": "1000000"}
#: Matroska and WebM: clusters of at most a second, likewise.
_CLUSTERED = {"cluster_time_limit": "1000"}


# --------------------------------------------------------------------------- probe


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
    p = _check_input_path(path)
    container = _open_input(p)
    try:
        return _probe_open(container, p)
    finally:
        container.close()


def _check_input_path(path: str | os.PathLike[str]) -> Path:
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


def _open_input(p: Path) -> av.container.InputContainer:
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


def _video_stream(container: av.container.InputContainer, p: Path) -> av.video.stream.VideoStream:
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


def _seconds(value: int | None, time_base: Fraction | None) -> float | None:
    if value is None or time_base is None:
        return None
    return float(value * time_base)


def _probe_open(container: av.container.InputContainer, p: Path) -> VideoProbe:
    stream = _video_stream(container, p)
    fmt = container.format.name
    tb = stream.time_base
    start = _seconds(stream.start_time, tb) or 0.0

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
    stream_duration = _seconds(stream.duration, tb)
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
    container = _open_input(p)
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
    container = _open_input(p)
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


# --------------------------------------------------------------------------- source


class VideoFileSource:
    """Frames of a video file, decoded with PyAV, upright, as ``uint8`` BGR.

    In the normal mode (``live=False``) frames come in order and none is ever
    dropped; the pipeline blocks when busy. With ``realtime=True`` (for
    ``stylecam live clip.mp4``) each frame is released when it is due at the
    file's own frame rate and the source presents itself as ``live``; with
    ``loop=True`` it starts again at the end, ``Frame.index`` and ``Frame.pts``
    keep increasing across passes.

    A truncated or corrupt file delivers the frames decoded before the damage,
    then :meth:`read` raises :class:`~stylecam.errors.InputError` naming the
    file and the frame where decoding stopped.

    Args:
        path: the video file.
        loop: start again at the end (the stream never ends, ``frame_count`` is ``None``).
        realtime: pace frames at the file's frame rate and be a live source.

    Example:
        >>> with VideoFileSource("clip.mp4") as src:  # doctest: +SKIP
        ...     frames = list(iter(src.read, None))
    """

    def __init__(self, path: str | os.PathLike[str], *, loop: bool = False, realtime: bool = False) -> None:
        self.path = Path(path).expanduser()
        self.loop = loop
        self.realtime = realtime
        self.live: bool = realtime
        self.probe: VideoProbe | None = None
        self.info: StreamInfo | None = None
        self._container: av.container.InputContainer | None = None
        self._frames: Iterator[av.VideoFrame] | None = None
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._done = False
        self._index = 0  # next Frame.index
        self._pass_count = 0  # frames decoded in the current pass
        self._pass_offset = 0.0  # seconds added to pts for the current pass
        self._last_pts = 0.0  # pts (with offset) of the last frame
        self._start_pts: int | None = None
        self._clock0: float | None = None  # realtime: perf_counter() at pts 0

    def __enter__(self) -> VideoFileSource:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> StreamInfo:
        """Probe and open the file.

        Returns:
            The stream description; ``audio_path`` is the file itself when it has sound,
            ``time_base`` the exact frame duration as a :class:`~fractions.Fraction`.

        Raises:
            InputError: the file cannot be used (see :func:`probe`).
        """
        if self.info is not None:
            return self.info
        pr = probe(self.path)
        self.probe = pr
        self._open_pass()
        self.info = StreamInfo(
            width=pr.width,
            height=pr.height,
            fps=pr.fps,
            frame_count=None if self.loop else pr.frame_count,
            live=self.live,
            audio_path=str(self.path) if pr.has_audio else None,
            rotation=pr.rotation,
            source=str(self.path),
            time_base=1 / pr.rate,
        )
        return self.info

    def _open_pass(self) -> None:
        if self._container is not None:
            self._container.close()
        container = _open_input(self.path)
        stream = _video_stream(container, self.path)
        stream.thread_type = "AUTO"
        self._container = container
        self._frames = container.decode(stream)
        self._stream = stream
        self._flushed: list[av.VideoFrame] = []
        self._failure: InputError | None = None
        self._time_base = stream.time_base
        self._start_pts = stream.start_time
        self._pass_count = 0

    def read(self) -> Frame | None:
        """The next frame (upright, ``uint8`` BGR), or ``None`` at the end or after :meth:`close`.

        Raises:
            InputError: decoding failed or the file ended before its declared frames.
        """
        if self.info is None:
            self.open()
        with self._lock:
            if self._closed.is_set() or self._done:
                return None
            vf = self._next_decoded()
            if vf is None:
                return None
            frame = self._to_frame(vf)
        if self.realtime:
            self._wait_until_due(frame)
            if self._closed.is_set():
                return None
        return frame

    def _next_decoded(self) -> av.VideoFrame | None:
        assert self.probe is not None and self._frames is not None
        while True:
            if self._flushed:  # frames the decoder still held when the file broke off
                return self._flushed.pop(0)
            if self._failure is not None:
                self._done = True
                raise self._failure
            try:
                vf = next(self._frames)
            except StopIteration:
                vf = None
            except av.error.FFmpegError as exc:
                reason = getattr(exc, "strerror", None) or str(exc)
                self._drain_decoder()
                self._failure = InputError(
                    f"{self.path} is damaged: {self._pass_count + len(self._flushed)} frames could be "
                    f"decoded ({reason})",
                    hint="every frame before the damage was used",
                )
                continue
            if vf is not None:
                return vf
            if self.probe.truncated:
                self._done = True
                raise InputError(
                    f"{self.path} is truncated: {self._pass_count} of its {self.probe.declared_frames} "
                    "frames could be decoded",
                    hint="all of them were used; re-download or re-export the file for the rest",
                )
            if not self.loop or self._pass_count == 0:
                self._done = True
                return None
            self._pass_offset = self._last_pts + 1.0 / self.probe.fps
            self._open_pass()

    def _drain_decoder(self) -> None:
        """After a read error: the frames still inside the decoder (its threads hold a few)."""
        with contextlib.suppress(av.error.FFmpegError, ValueError):
            self._flushed = list(self._stream.codec_context.decode(None))

    def _to_frame(self, vf: av.VideoFrame) -> Frame:
        assert self.probe is not None
        image = vf.to_ndarray(format="bgr24")
        code = _ROTATE_CODES.get(self.probe.rotation)
        if code is not None:
            image = cv2.rotate(image, code)
        elif not image.flags.c_contiguous:
            image = np.ascontiguousarray(image)
        if vf.pts is not None and self._time_base is not None:
            if self._start_pts is None:
                self._start_pts = vf.pts
            rel = float((vf.pts - self._start_pts) * self._time_base)
        else:
            rel = self._pass_count / self.probe.fps
        pts = self._pass_offset + max(rel, 0.0)
        if self._index > 0 and pts <= self._last_pts:  # broken timestamps: keep them increasing
            pts = self._last_pts + 1.0 / self.probe.fps
        self._last_pts = pts
        frame = Frame(index=self._index, image=image, time=time.perf_counter(), pts=pts)
        self._index += 1
        self._pass_count += 1
        return frame

    def _wait_until_due(self, frame: Frame) -> None:
        now = time.perf_counter()
        assert frame.pts is not None
        if self._clock0 is None or now - (self._clock0 + frame.pts) > 1.0:
            # First frame, or more than a second behind (the consumer stalled): re-anchor, don't rush.
            self._clock0 = now - frame.pts
        delay = self._clock0 + frame.pts - now
        if delay > 0:
            self._closed.wait(delay)
        frame.time = time.perf_counter()

    def close(self) -> None:
        """Stop and release the file; safe to call twice and from another thread."""
        self._closed.set()
        if not self._lock.acquire(timeout=5.0):
            log.warning("%s: decoder busy, not closed", self.path)
            return
        try:
            if self._container is not None:
                self._container.close()
            self._container = None
            self._frames = None
        finally:
            self._lock.release()


# --------------------------------------------------------------------------- sink


def _as_rate(fps: float | Fraction) -> Fraction:
    """A frame rate as an exact fraction; 29.97 becomes 30000/1001 and its kin likewise."""
    if isinstance(fps, Fraction):
        return fps
    for base in _NTSC_BASES:
        if abs(fps - base * 1000 / 1001) < 2e-3:
            return Fraction(base * 1000, 1001)
    return Fraction(fps).limit_denominator(1001)


class VideoFileSink:
    """Write stylized frames to a video file, with the sound of another file.

    The container follows the suffix: ``.mp4``/``.m4v``, ``.mov`` and ``.mkv``
    get H.264 (``libx264``), ``.avi`` MPEG-4 Part 2 and ``.webm`` VP9; any
    other suffix gets an MP4 (with a warning). Exactly one output frame is
    encoded per :meth:`write`, at the input's frame rate, so the output has as
    many frames as the input.

    Timing: with ``timing="index"`` a frame's time is ``(frame.index - first
    index) / fps`` (files: exact, gaps left by dropped frames are kept); with
    ``timing="wallclock"`` it is ``frame.time - first frame.time`` (live
    recording from a camera at a variable rate); with ``timing="pts"`` it is the
    source frame's own presentation time (``frame.pts``), in the input stream's
    time base. ``"auto"`` picks wallclock for live streams, pts when the input
    file (``StreamInfo.source``) has a variable frame rate (a phone video, whose
    sound would drift from a constant-rate copy), and index otherwise.

    Odd sizes: ``yuv420p`` needs even width and height, so an odd frame is
    padded by one replicated pixel column and/or row (321x241 is written as
    322x242) rather than rejected.

    Audio: when ``audio_from`` has an audio stream, its first one is copied
    into the output: packets are remuxed as they are when the codec fits the
    container (AAC, MP3, Opus, ... in MP4), otherwise transcoded (AAC; MP3 for
    ``.avi``, Opus for ``.webm``). Audio is written progressively as the video
    advances, aligned to the first video frame of ``audio_from``, and stops
    where the video stops (no more than one frame beyond its end), also when
    the run stops early.

    Args:
        path: output file; its folder must exist. It must not be the input.
        fps: frame rate; default: the input's (``StreamInfo.fps``, exactly as a
            fraction from ``StreamInfo.time_base``).
        audio_from: media file whose sound to copy, or ``None`` for no audio.
        inputs: other files the output must never overwrite (the video being converted, also when
            its sound is not copied); checked here, before any work, and again at ``open``.
        codec: FFmpeg video encoder; default by container (``libx264`` for MP4).
        crf: constant-rate-factor quality for x264/x265/VP9 (lower is better).
        preset: x264/x265 speed preset.
        pix_fmt: encoder pixel format.
        timing: ``"auto"``, ``"index"`` or ``"wallclock"`` (see above).
        overwrite: replace an existing file at ``path`` (only at the end, see below); without it an
            existing file is refused here, before any work (ffmpeg's ``-n``; ``-y`` on the command line).

    Files are never half-replaced: the frames go to a temporary file beside ``path``
    (``NAME.part.mp4``), moved into place by :meth:`close` once it is complete, so a failed, empty or
    interrupted run never destroys a file that was there. MP4 and MOV are written as fragments of at
    most a second, so a killed process (SIGKILL) leaves ``NAME.part.mp4`` playable up to its last second;
    a clean :meth:`close` rewrites it as a normal fast-start MP4 (index first). After :meth:`close`,
    :attr:`kept` is the file that holds the frames (``None`` when none were kept) and
    :attr:`frames_kept` their number.

    Raises:
        OutputError: the folder is missing or not writable, the path is a folder, it is the input file,
            it exists (without ``overwrite``), or its suffix names a format that is not written.
    """

    inline = False

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        fps: float | None = None,
        audio_from: str | os.PathLike[str] | None = None,
        inputs: tuple[str | os.PathLike[str], ...] = (),
        codec: str | None = None,
        crf: int = 18,
        preset: str = "veryfast",
        pix_fmt: str = "yuv420p",
        timing: Literal["auto", "index", "wallclock", "pts"] = "auto",
        overwrite: bool = False,
    ) -> None:
        if timing not in ("auto", "index", "wallclock", "pts"):
            raise ValueError(f"timing must be 'auto', 'index', 'wallclock' or 'pts', not {timing!r}")
        if fps is not None and not (math.isfinite(fps) and fps > 0):
            raise OutputError(f"invalid output frame rate {fps}", hint="give a positive number such as 25")
        self.path = Path(path).expanduser()
        self.fps = fps
        self.audio_from = Path(audio_from).expanduser() if audio_from else None
        self.inputs = tuple(inputs)
        self.crf = crf
        self.preset = preset
        self.pix_fmt = pix_fmt
        self.timing = timing
        self.overwrite = overwrite
        self._check_path(self.audio_from, *self.inputs)
        suffix = self.path.suffix.lower()
        if suffix not in _CONTAINERS:
            what = f"'{suffix}' files" if suffix else "a file without a suffix"
            raise OutputError(
                f"cannot write {what} ({self.path.name})",
                hint=f"end -o with one of {_SUPPORTED_SUFFIXES}",
            )
        self._format, default_codec, self._audio_copy, self._audio_encoder = _CONTAINERS[suffix]
        self.codec = codec or default_codec
        if self._format == "gif":
            if self.audio_from is not None:
                log.info("%s: a GIF has no sound; the sound of %s is left out", self.path, self.audio_from)
            self.audio_from = None
            self.pix_fmt = "pal8"
        self._palette: Any = None
        self.frames_written = 0
        self.kept: Path | None = None
        self.frames_kept = 0
        self.faststart = False
        self._part: Path | None = None
        self._io_failed: OutputError | None = None
        self.audio_mode: str | None = None  # 'copy' | 'transcode' | None, known after open()
        self._container: av.container.OutputContainer | None = None
        self._vstream: av.video.stream.VideoStream | None = None
        self._closed = False
        self._opened = False
        self._audio: _AudioCopier | None = None

    @property
    def stopped(self) -> bool:
        """Always ``False``: a file never asks to end the run."""
        return False

    def __enter__(self) -> VideoFileSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_path(self, *inputs: str | os.PathLike[str] | None) -> None:
        p = self.path
        check_output_dir(p)
        if p.is_dir():
            raise OutputError(f"output path {p} is a folder", hint="give a file name such as out.mp4")
        if p.exists() and not os.access(p, os.W_OK):
            raise OutputError(f"cannot write {p}: permission denied", hint="choose a file you can write to")
        for other in inputs:
            if other and same_file(p, Path(other).expanduser()):
                raise OutputError(
                    f"output would overwrite the input: {p}", hint="choose a different output file name"
                )
        if p.exists() and not self.overwrite:
            raise OutputError(f"{p} already exists", hint="add -y to replace it, or choose another -o")

    def open(self, info: StreamInfo) -> None:
        """Create the file and its streams for ``info.width`` x ``info.height`` frames.

        Raises:
            OutputError: the path is the input, or the file or its encoder cannot be opened.
        """
        if self._opened:
            return
        source = info.source if info.source and Path(info.source).expanduser().is_file() else None
        self._check_path(self.audio_from, *self.inputs, info.audio_path, source)
        self._live = info.live
        self._wallclock = self.timing == "wallclock" or (self.timing == "auto" and info.live)
        self._pts_base: Fraction | None = None
        if not self._wallclock and self.timing in ("auto", "pts") and source is not None:
            with contextlib.suppress(InputError):
                pr = probe(source)
                if pr.time_base and (self.timing == "pts" or pr.variable_rate):
                    self._pts_base = pr.time_base
        self.rate = self._pick_rate(info)
        self.width, self.height = int(info.width), int(info.height)
        if self.width <= 0 or self.height <= 0:
            raise OutputError(f"cannot write {self.path}: invalid frame size {self.width}x{self.height}")
        enc_w, enc_h = self.width, self.height
        if self.pix_fmt in ("yuv420p", "yuvj420p", "nv12", "yuv420p10le"):
            enc_w, enc_h = enc_w + enc_w % 2, enc_h + enc_h % 2
        options = {"flush_packets": "1"}  # every packet to the file at once: a killed run loses nothing muxed
        if self._format in ("mp4", "mov"):
            options.update(_FRAGMENTED)
        elif self._format in ("matroska", "webm"):
            options.update(_CLUSTERED)
        self._part = _free_name(self.path, "part")
        try:
            self._container = av.open(str(self._part), "w", format=self._format, options=options)
        except (av.error.FFmpegError, OSError) as exc:
            _remove(self._part)
            raise _io_error(self.path, exc, "cannot create") from None
        try:
            self._add_video_stream(enc_w, enc_h)
            if self.audio_from is not None:
                self._audio = _AudioCopier.create(self)
                self.audio_mode = self._audio.mode if self._audio else None
        except Exception:
            self._container.close()
            self._container = None
            _remove(self._part)
            raise
        self._enc_size = (enc_w, enc_h)
        self._first_index: int | None = None
        self._first_time: float | None = None
        self._last_pts = -1
        self._video_end = 0.0
        self._opened = True

    def _pick_rate(self, info: StreamInfo) -> Fraction:
        if self.fps is not None:
            return _as_rate(self.fps)
        fps = float(info.fps) if info.fps else 0.0
        tb = info.time_base
        if isinstance(tb, Fraction | int) and tb > 0 and (not fps or abs(1 / float(tb) - fps) < 1e-2):
            return 1 / Fraction(tb)
        if self.audio_from is not None and self.audio_from.is_file():
            try:
                pr = probe(self.audio_from)
                if not fps or abs(pr.fps - fps) < 1e-2:
                    return pr.rate
            except InputError:
                pass
        if not (math.isfinite(fps) and fps > 0):
            log.warning("%s: the input has no frame rate; writing 30 fps", self.path)
            return Fraction(30)
        return _as_rate(fps)

    def _add_video_stream(self, width: int, height: int) -> None:
        assert self._container is not None
        try:
            stream = self._container.add_stream(self.codec, rate=self.rate)
        except (av.error.FFmpegError, ValueError, KeyError) as exc:
            raise OutputError(
                f"cannot encode {self.path} with {self.codec}: {exc}", hint="choose another codec or suffix"
            ) from None
        stream.width, stream.height = width, height
        stream.pix_fmt = self.pix_fmt
        if self._format == "gif":
            self._time_base = _GIF_TIME_BASE
        elif self._pts_base is not None:  # every frame keeps its own time, in the input's unit
            self._time_base = self._pts_base
        else:
            self._time_base = Fraction(1, 1000) if self._wallclock else 1 / self.rate
        stream.codec_context.time_base = self._time_base
        stream.time_base = self._time_base
        name = stream.codec_context.name
        if name == "gif":
            self._palette = _palette_graph(width, height, self._time_base)
        elif name in ("libx264", "libx265"):
            stream.options = {"crf": str(self.crf), "preset": self.preset}
        elif name == "libvpx-vp9":
            stream.options = {"crf": str(self.crf + 13), "b": "0", "deadline": "realtime", "cpu-used": "8"}
        else:
            stream.bit_rate = int(width * height * float(self.rate) * 0.2)
        self._vstream = stream

    def write(self, frame: Frame, image: np.ndarray) -> None:
        """Encode one ``uint8`` BGR image as the next output frame.

        Args:
            frame: the source frame it came from (its ``index`` or ``time`` gives the timing).
            image: ``uint8`` ``(H, W, 3)`` at the size the sink was opened with.

        Raises:
            TypeError, ValueError: ``image`` is not a ``uint8`` array of the opened shape (the
                message names the actual and the expected shape).
            OutputError: the file cannot be written (disk full, ...).
        """
        if not self._opened or self._closed or self._container is None or self._vstream is None:
            raise RuntimeError("VideoFileSink.write() called before open() or after close()")
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
            raise TypeError(f"image must be a uint8 numpy array, got {getattr(image, 'dtype', type(image))}")
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"image must have shape (H, W, 3), got {image.shape}")
        expected = (self.height, self.width, 3)
        if image.shape != expected:
            raise ValueError(
                f"image has shape {image.shape}, expected {expected} (the size the sink opened with)"
            )
        image = self._pad_for_encoder(image)
        pts = self._next_pts(frame)
        vf = av.VideoFrame.from_ndarray(image, format="bgr24")
        vf.pts = pts
        vf.time_base = self._time_base
        try:
            self._encode(self._container, vf)
            self._last_pts = pts
            self.frames_written += 1
            self._video_end = float(pts * self._time_base) + 1.0 / float(self.rate)
            if self._audio is not None:
                self._audio.pump(self._container, self._video_end, final=False)
        except (av.error.FFmpegError, OSError) as exc:
            self._io_failed = _io_error(self.path, exc)
            raise self._io_failed from None

    def _encode(self, container: av.container.OutputContainer, vf: av.VideoFrame | None) -> None:
        """Encode and mux one frame (``None``: flush); a GIF's frames get their palette first."""
        assert self._vstream is not None
        if self._palette is None:
            container.mux(self._vstream.encode(vf))
            return
        self._palette.push(vf)
        while True:
            try:
                out = self._palette.pull()
            except (av.error.BlockingIOError, av.error.EOFError):
                break
            container.mux(self._vstream.encode(out))
        if vf is None:
            container.mux(self._vstream.encode(None))

    def _pad_for_encoder(self, image: np.ndarray) -> np.ndarray:
        """Pad (edge pixels repeated) to the size the encoder needs (even sides for 4:2:0)."""
        enc_w, enc_h = self._enc_size
        if (enc_w, enc_h) != (self.width, self.height):
            image = cv2.copyMakeBorder(
                image, 0, enc_h - self.height, 0, enc_w - self.width, cv2.BORDER_REPLICATE
            )
        return np.ascontiguousarray(image)

    def _next_pts(self, frame: Frame) -> int:
        if self._pts_base is not None and frame.pts is not None:
            if self._first_time is None:
                self._first_time = frame.pts
            pts = round((frame.pts - self._first_time) / self._time_base)
        elif self._wallclock:
            if self._first_time is None:
                self._first_time = frame.time
            pts = round((frame.time - self._first_time) / self._time_base)
        else:
            if self._first_index is None:
                self._first_index = frame.index
            pts = round((frame.index - self._first_index) / self.rate / self._time_base)
        return max(int(pts), self._last_pts + 1)

    def close(self) -> None:
        """Flush the encoder, write the rest of the audio (up to the video's end) and the trailer, and
        move the file into place (MP4/MOV: rewritten as a fast-start file first).

        Safe to call twice, and after an exception mid-stream: the frames written so far stay playable.
        When no frame was written, nothing is left and a file that was at ``path`` is untouched. After a
        write failed (a full disk), the frames whose fragments are complete are kept at ``path`` (a
        fragmented MP4, not rewritten: there is no room) or, for other formats, nothing.

        Raises:
            OutputError: the file could not be finalised; its message says what was kept, and where.
        """
        if self._closed:
            return
        self._closed = True
        container, self._container = self._container, None
        if container is None:
            return
        part = self._part
        assert part is not None
        errors: list[BaseException] = []
        if self.frames_written and self._io_failed is None:
            try:
                self._encode(container, None)
            except (av.error.FFmpegError, OSError, ValueError) as exc:
                errors.append(exc)
            if self._audio is not None and not errors:
                try:
                    self._audio.pump(container, self._video_end, final=True)
                except (av.error.FFmpegError, OSError, ValueError) as exc:
                    errors.append(exc)
        if self._audio is not None:
            self._audio.close()
        try:
            container.close()
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            errors.append(exc)
        if not self.frames_written:
            _remove(part)
            return
        failed = self._io_failed
        if failed is None and errors:
            failed = _io_error(self.path, errors[0], "cannot finish")
        if failed is not None:
            self._keep_what_plays(part)
            if self._io_failed is None:  # the write itself went well: this is news for the caller
                raise OutputError(failed.message, hint=self.outcome())
            return
        try:
            if self._format in ("mp4", "mov"):
                self._rewrite_faststart(part)
            else:
                self._move_into_place(part)
        except OutputError:
            raise
        except (av.error.FFmpegError, OSError) as exc:
            err = _io_error(self.path, exc, "cannot finish")
            self._keep_what_plays(part)
            raise OutputError(err.message, hint=self.outcome()) from None

    def outcome(self) -> str:
        """What :meth:`close` left, in words: the file and frames kept, or that nothing was kept."""
        if self.kept is None:
            before = "; the file that was there is untouched" if self.path.exists() else ""
            return f"no frames were kept{before}"
        how = (
            ""
            if self.faststart or self.kept.suffix.lower() not in (".mp4", ".m4v", ".mov")
            else (", playable but not fast-start")
        )
        return f"the {self.frames_kept} frames done are in {self.kept}{how}"

    def _rewrite_faststart(self, part: Path) -> None:
        """Remux the fragmented ``part`` into a normal MP4 with its index first, then move it into place."""
        final = _free_name(self.path, "faststart")
        try:
            with av.open(str(part), "r") as src:
                streams = [s for s in src.streams if s.type in ("video", "audio")]
                with av.open(str(final), "w", format=self._format, options={"movflags": "+faststart"}) as dst:
                    out = {s.index: dst.add_stream_from_template(s) for s in streams}
                    for packet in src.demux(*streams):
                        if packet.dts is None and packet.pts is None:
                            continue  # the demuxer's end-of-stream marker
                        packet.stream = out[packet.stream_index]
                        dst.mux(packet)
        except BaseException:
            _remove(final)
            raise
        self.faststart = True
        self._move_into_place(final)
        _remove(part)

    def _move_into_place(self, src: Path) -> None:
        _move(src, self.path, self.overwrite)
        self.kept = self.path
        self.frames_kept = self.frames_written

    def _keep_what_plays(self, part: Path) -> None:
        """After a failed write: keep the complete fragments of an MP4 at ``path``, else nothing."""
        frames = 0
        if self._format in ("mp4", "mov") and _trim_to_whole_fragments(part):
            try:
                frames = probe(part).frame_count
            except InputError:
                frames = 0
        if frames == 0:
            _remove(part)
            return
        try:
            _move(part, self.path, self.overwrite)
            self.kept = self.path
        except OutputError:
            self.kept = part  # the target appeared meanwhile: the frames stay beside it
        self.frames_kept = frames


def _palette_graph(width: int, height: int, time_base: Fraction) -> Any:
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


def _free_name(path: Path, tag: str) -> Path:
    """``NAME.TAG.SUFFIX`` beside ``path`` (``NAME.TAG2.SUFFIX``, ... when taken)."""
    for n in range(1, 1000):
        candidate = path.with_name(f"{path.stem}.{tag}{n if n > 1 else ''}{path.suffix}")
        if not candidate.exists():
            return candidate
    raise OutputError(f"too many {tag} files beside {path}", hint="remove them")


def _move(src: Path, dst: Path, overwrite: bool) -> None:
    """Rename ``src`` to ``dst``; without ``overwrite`` never replace a ``dst`` that exists (also one that
    appeared while the run went on)."""
    if overwrite:
        os.replace(src, dst)
        return
    try:
        os.link(src, dst)  # fails if dst exists: no race between a check and the rename
    except FileExistsError:
        raise OutputError(
            f"{dst} appeared while stylecam was writing", hint=f"the frames are in {src}"
        ) from None
    except OSError:  # a file system without hard links
        if dst.exists():
            raise OutputError(
                f"{dst} appeared while stylecam was writing", hint=f"the frames are in {src}"
            ) from None
        os.replace(src, dst)
        return
    src.unlink()


def _is_disk_full(exc: BaseException) -> bool:
    code = getattr(exc, "errno", None)
    return code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "No space left" in str(exc)


def _io_error(path: Path, exc: BaseException, doing: str = "cannot write") -> OutputError:
    """One line for a failed write: a full disk named as such, with the folder."""
    folder = path.parent.resolve()
    if _is_disk_full(exc):
        return OutputError(f"disk full: no space left to write {path.name} in {folder}", "free some space")
    reason = getattr(exc, "strerror", None) or str(exc)
    return OutputError(f"{doing} {path}: {reason}", hint="check the folder and its free space")


def _trim_to_whole_fragments(path: Path) -> bool:
    """Cut a fragmented MP4 after its last complete fragment (``moof`` + ``mdat``); ``False`` if it has
    no index (``moov``) or no complete fragment."""
    try:
        size = path.stat().st_size
        good = 0
        pos = 0
        have_moov = in_fragment = False
        fragments = 0
        with path.open("rb") as fh:
            while pos + 8 <= size:
                fh.seek(pos)
                head = fh.read(16)
                n, kind = int.from_bytes(head[:4], "big"), head[4:8]
                if n == 1 and len(head) == 16:
                    n = int.from_bytes(head[8:16], "big")
                elif n == 0:
                    n = size - pos
                if n < 8 or pos + n > size:
                    break
                pos += n
                if kind == b"moov":
                    have_moov, good = True, pos
                elif kind == b"moof":
                    in_fragment = True
                elif kind == b"mdat" and in_fragment:
                    in_fragment, good = False, pos
                    fragments += 1
                elif not in_fragment:
                    good = pos
        if not have_moov or not fragments:
            return False
        if good < size:
            os.truncate(path, good)
        return True
    except OSError:
        return False


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


class _AudioCopier:
    """Moves the first audio stream of a file into the sink's container, progressively and trimmed.

    Times are in output seconds: input time minus the input's first video frame time.
    """

    def __init__(
        self, sink: VideoFileSink, src: av.container.InputContainer, stream: Any, offset: float
    ) -> None:
        self.sink = sink
        self.src = src
        self.in_stream = stream
        self.offset = offset
        self.frame_duration = 1.0 / float(sink.rate)
        self.packets = src.demux(stream)
        self.pending: Any = None
        self.exhausted = False
        assert sink._container is not None
        out = sink._container
        codec = stream.codec.canonical_name
        copyable = sink._audio_copy is None or codec in sink._audio_copy
        self.mode = "copy"
        self.out_stream: Any = None
        if copyable:
            try:
                self.out_stream = out.add_stream_from_template(stream)
            except (ValueError, av.error.FFmpegError):
                self.out_stream = None
        if self.out_stream is None:
            self.mode = "transcode"
            self._setup_transcode(out, codec)

    @classmethod
    def create(cls, sink: VideoFileSink) -> _AudioCopier | None:
        assert sink.audio_from is not None
        src = _open_input(_check_input_path(sink.audio_from))
        if not src.streams.audio:
            log.info("%s has no audio stream; writing video only", sink.audio_from)
            src.close()
            return None
        videos = [s for s in src.streams.video if s.start_time is not None]
        offset = (_seconds(videos[0].start_time, videos[0].time_base) or 0.0) if videos else 0.0
        try:
            return cls(sink, src, src.streams.audio[0], offset)
        except Exception:
            src.close()
            raise

    def _setup_transcode(self, out: av.container.OutputContainer, codec: str) -> None:
        in_ctx = self.in_stream.codec_context
        rate = in_ctx.sample_rate or 48000
        if self.sink._audio_encoder == "libopus":
            rate = min((r for r in (8000, 12000, 16000, 24000, 48000) if r >= rate), default=48000)
        elif rate not in (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000):
            rate = 48000
        channels = in_ctx.channels if hasattr(in_ctx, "channels") else in_ctx.layout.nb_channels
        layout = "mono" if channels == 1 else "stereo"
        try:
            self.out_stream = out.add_stream(self.sink._audio_encoder, rate=rate, layout=layout)
        except (av.error.FFmpegError, ValueError, KeyError) as exc:
            raise OutputError(
                f"cannot encode the audio of {self.sink.audio_from} ({codec}) into {self.sink.path}: {exc}",
                hint="use another suffix or --no-audio",
            ) from None
        self.out_rate = rate
        self.resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        self.next_sample: int | None = None  # output position of the next sample to encode

    def _next_packet(self) -> Any:
        if self.pending is not None:
            packet, self.pending = self.pending, None
            return packet
        if self.exhausted:
            return None
        try:
            for packet in self.packets:
                if packet.size and packet.pts is not None:
                    return packet
        except av.error.FFmpegError as exc:
            log.warning("%s: audio unreadable from here on, copied so far: %s", self.sink.audio_from, exc)
        self.exhausted = True
        return None

    def pump(self, out: av.container.OutputContainer, video_end: float, *, final: bool) -> None:
        """Write the audio that lies before ``video_end`` (output seconds) into ``out``.

        While the video is still coming only audio wholly inside it is written. At the
        end (``final``) a copied packet that starts before the video's end is written
        too if it ends no more than one frame after it; transcoded audio is cut
        exactly at the video's end.
        """
        limit = video_end + self.frame_duration if final else video_end
        while True:
            packet = self._next_packet()
            if packet is None:
                break
            tb = packet.time_base
            start = float(packet.pts * tb) - self.offset
            end = start + float((packet.duration or 0) * tb)
            if end <= 0:
                continue  # wholly before the first video frame
            if start >= video_end or (end > limit + 1e-6 and (self.mode == "copy" or not final)):
                self.pending = packet
                break
            if self.mode == "copy":
                packet.stream = self.out_stream
                packet.pts = packet.dts = round(start / tb)
                out.mux(packet)
            else:
                self._transcode(out, packet, start, video_end if final else None)
        if final and self.mode == "transcode":
            out.mux(self.out_stream.encode(None))

    def _transcode(
        self, out: av.container.OutputContainer, packet: Any, start: float, cut: float | None
    ) -> None:
        try:
            frames = packet.decode()
        except av.error.FFmpegError as exc:
            log.warning("%s: skipping an undecodable audio packet: %s", self.sink.audio_from, exc)
            return
        for frame in frames:
            t0 = float(frame.pts * frame.time_base) - self.offset if frame.pts is not None else start
            for rf in self.resampler.resample(frame):
                data = rf.to_ndarray()
                pos = round(t0 * self.out_rate) if self.next_sample is None else self.next_sample
                first = max(0, -pos)
                last = data.shape[1]
                if cut is not None:
                    last = min(last, round(cut * self.out_rate) - pos)
                if last > first:
                    chunk = np.ascontiguousarray(data[:, first:last])
                    af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=rf.layout.name)
                    af.sample_rate = self.out_rate
                    af.pts = pos + first
                    af.time_base = Fraction(1, self.out_rate)
                    out.mux(self.out_stream.encode(af))
                    self.next_sample = pos + last
                else:
                    self.next_sample = pos + data.shape[1]
                t0 += data.shape[1] / self.out_rate

    def close(self) -> None:
        with contextlib.suppress(av.error.FFmpegError):
            self.src.close()
