"""Stylized frames to a video file, with the sound of another file: :class:`VideoFileSink`.

H.264 (by default) at the input's frame rate, one output frame per :meth:`~VideoFileSink.write`; the
input's sound is copied alongside by :class:`~stylecam.sinks.audio.AudioMuxer`, interleaved as the
video goes, so a run that stops early leaves a playable file whose sound stops where the picture stops.

Example:
    >>> from stylecam.sources import VideoFileSource
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
import logging
import math
import os
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import av
import cv2
import numpy as np

from ..errors import InputError, OutputError
from ..frames import Frame, StreamInfo
from ..sources.probe import probe
from .audio import AudioMuxer
from .containers import (
    CLUSTERED,
    CONTAINERS,
    FRAGMENTED,
    GIF_TIME_BASE,
    SUPPORTED_SUFFIXES,
    as_rate,
    palette_graph,
)
from .files import (
    check_output_dir,
    free_name,
    io_error,
    move_file,
    remove_file,
    same_file,
    trim_to_whole_fragments,
)

log = logging.getLogger(__name__)

__all__ = ["VideoFileSink"]

#: x264 settings on top of the preset. ``mbtree=0``: x264's macroblock tree (core 165, as PyAV's wheels
#: bundle it) reads stack memory it has not written, so its rate control followed what the encoding
#: thread had done before: the same frames came out up to 3-4 grey levels apart, growing along the
#: clip, in a few runs out of a hundred in a process that had already written videos (pipeline threads
#: beside it, sound copied), not seen in a fresh one. Without it every run of the same input gives the same
#: file (tests/sinks/test_video_repeatable.py). The price: more bytes at the same ``crf`` (bikes 640x272,
#: 120 frames, crf 18: 504 kB instead of 391 kB).
X264_PARAMS = "mbtree=0"


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
        if suffix not in CONTAINERS:
            what = f"'{suffix}' files" if suffix else "a file without a suffix"
            raise OutputError(
                f"cannot write {what} ({self.path.name})",
                hint=f"end -o with one of {SUPPORTED_SUFFIXES}",
            )
        self._format, default_codec, self._audio_copy, self._audio_encoder = CONTAINERS[suffix]
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
        self._audio: AudioMuxer | None = None

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
            options.update(FRAGMENTED)
        elif self._format in ("matroska", "webm"):
            options.update(CLUSTERED)
        self._part = free_name(self.path, "part")
        try:
            self._container = av.open(str(self._part), "w", format=self._format, options=options)
        except (av.error.FFmpegError, OSError) as exc:
            remove_file(self._part)
            raise io_error(self.path, exc, "cannot create") from None
        try:
            self._add_video_stream(enc_w, enc_h)
            if self.audio_from is not None:
                self._audio = AudioMuxer.open(
                    self.audio_from,
                    self._container,
                    frame_rate=self.rate,
                    copyable=self._audio_copy,
                    encoder=self._audio_encoder,
                    target=self.path,
                )
                self.audio_mode = self._audio.mode if self._audio else None
        except Exception:
            self._container.close()
            self._container = None
            remove_file(self._part)
            raise
        self._enc_size = (enc_w, enc_h)
        self._first_index: int | None = None
        self._first_time: float | None = None
        self._last_pts = -1
        self._video_end = 0.0
        self._opened = True

    def _pick_rate(self, info: StreamInfo) -> Fraction:
        if self.fps is not None:
            return as_rate(self.fps)
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
        return as_rate(fps)

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
            self._time_base = GIF_TIME_BASE
        elif self._pts_base is not None:  # every frame keeps its own time, in the input's unit
            self._time_base = self._pts_base
        else:
            self._time_base = Fraction(1, 1000) if self._wallclock else 1 / self.rate
        stream.codec_context.time_base = self._time_base
        stream.time_base = self._time_base
        name = stream.codec_context.name
        if name == "gif":
            self._palette = palette_graph(width, height, self._time_base)
        elif name == "libx264":
            stream.options = {"crf": str(self.crf), "preset": self.preset, "x264-params": X264_PARAMS}
        elif name == "libx265":
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
            self._io_failed = io_error(self.path, exc)
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
            remove_file(part)
            return
        failed = self._io_failed
        if failed is None and errors:
            failed = io_error(self.path, errors[0], "cannot finish")
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
            err = io_error(self.path, exc, "cannot finish")
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
        final = free_name(self.path, "faststart")
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
            remove_file(final)
            raise
        self.faststart = True
        self._move_into_place(final)
        remove_file(part)

    def _move_into_place(self, src: Path) -> None:
        move_file(src, self.path, self.overwrite)
        self.kept = self.path
        self.frames_kept = self.frames_written

    def _keep_what_plays(self, part: Path) -> None:
        """After a failed write: keep the complete fragments of an MP4 at ``path``, else nothing."""
        frames = 0
        if self._format in ("mp4", "mov") and trim_to_whole_fragments(part):
            try:
                frames = probe(part).frame_count
            except InputError:
                frames = 0
        if frames == 0:
            remove_file(part)
            return
        try:
            move_file(part, self.path, self.overwrite)
            self.kept = self.path
        except OutputError:
            self.kept = part  # the target appeared meanwhile: the frames stay beside it
        self.frames_kept = frames
