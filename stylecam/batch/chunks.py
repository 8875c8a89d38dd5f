"""A long video as chunks: split at keyframes, each chunk stylized on its own, joined into one file.

The driver reads where the keyframes are (packets only, nothing decoded), cuts the file into
segments by copying packets (no re-encoding) and sends each segment to a worker. A chunk starts a
few frames early (:func:`warm_up_frames`: until the temporal smoother's memory of the missing past has
faded below a level's worth), so the frames it writes are smoothed as they would be in one run; the
warm-up frames themselves are not written. A segment starts at the keyframe before the warm-up, so
at most one group of pictures is decoded and passed over. A keyframe that does not decode on its own
(some files flag such pictures) is never a segment's start (:func:`plan_clean_chunks`).

A worker writes its chunk losslessly (H.264 4:4:4 at ``crf 0``); the driver joins the chunks by
encoding them once, as ``stylecam video`` does, with the input's frame times and its sound copied
once (:class:`~stylecam.sinks.VideoFileSink`), so there is no seam in the picture, the timing or the
sound. Only constant-rate files are split (a phone video's own frame times stay in one run).

Example:
    >>> keys = scan_keyframes(Path("film.mp4"))  # doctest: +SKIP
    >>> chunks = plan_chunks(keys, keys.frames, chunk_frames=750, warm=21)  # doctest: +SKIP
    >>> [(c.start, c.end) for c in chunks]  # doctest: +SKIP
    [(0, 750), (750, 1500), (1500, 2212)]
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import av

from ..api import VideoOptions, open_stylizer
from ..frames import Frame, StreamInfo
from .work import ModelBundle, Outcome, attempt_name, failed_outcome

#: the temporal smoother's leftover from the missing past that a warm-up brings below (a 255th is one
#: level of 8-bit colour)
WARM_UP_RESIDUE = 1 / 255


def warm_up_frames(smooth: str, strength: float | None) -> int:
    """Frames a chunk starts early so that its smoother has forgotten that it started there:
    ``strength ** n`` (the weight left on the state before the chunk) below :data:`WARM_UP_RESIDUE`."""
    if smooth == "none":
        return 0
    from ..smoothing import DEFAULT_STRENGTH

    s = DEFAULT_STRENGTH if strength is None else strength
    if s <= 0:
        return 0
    if s >= 1:
        return 120
    return min(120, max(1, math.ceil(math.log(WARM_UP_RESIDUE) / math.log(s))))


@dataclass(frozen=True)
class Keyframes:
    """Where a video's keyframes are.

    Attributes:
        frames: frames in the file (presentation order).
        keys: the presentation-order index of each keyframe, sorted.
        key_pts: the keyframes' timestamps (in the stream's time base), in the same order.
    """

    frames: int
    keys: tuple[int, ...]
    key_pts: tuple[int, ...]


def scan_keyframes(path: Path) -> Keyframes | None:
    """Read the video packets' timestamps and keyframe flags (no decoding); ``None`` when the file's
    timestamps cannot place every frame (then it is not split)."""
    pts: list[int] = []
    keys: list[int] = []
    with av.open(str(path)) as container:
        if not container.streams.video:
            return None
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.pts is None:
                if packet.dts is None and packet.size == 0:
                    continue  # the end-of-stream marker
                return None
            pts.append(packet.pts)
            if packet.is_keyframe:
                keys.append(packet.pts)
    order = sorted(pts)
    if len(set(order)) != len(order):
        return None
    rank = {p: i for i, p in enumerate(order)}
    keys.sort()
    return Keyframes(frames=len(order), keys=tuple(rank[p] for p in keys), key_pts=tuple(keys))


@dataclass(frozen=True)
class Chunk:
    """One chunk of a video: frames ``[start, end)`` are written, ``[warm_start, start)`` warm the
    smoother up, the segment sent to the worker runs from keyframe ``seg_start`` to keyframe
    ``seg_end`` (``None``: the end of the file); ``exact``: the segment ends where the chunk ends."""

    index: int
    start: int
    end: int
    warm_start: int
    seg_start: int
    seg_end: int | None
    exact: bool = True

    @property
    def lead(self) -> int:
        """Frames decoded and passed over before the warm-up."""
        return self.warm_start - self.seg_start

    @property
    def warm(self) -> int:
        return self.start - self.warm_start

    @property
    def count(self) -> int:
        return self.end - self.start


def plan_chunks(keys: Keyframes, frames: int, chunk_frames: int, warm: int) -> list[Chunk]:
    """Chunks of about ``chunk_frames`` frames covering frames ``[0, frames)``, each starting at a
    keyframe (none shorter than half of ``chunk_frames``, the last one excepted when the file is
    shorter); one chunk when the keyframes allow no split."""
    starts = [0]
    for k in keys.keys:
        if k - starts[-1] >= chunk_frames and frames - k >= max(1, chunk_frames // 2):
            starts.append(k)
    key_list = sorted({0, *keys.keys})
    chunks = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else frames
        warm_start = max(0, start - warm)
        seg_start = max(k for k in key_list if k <= warm_start)
        after = [k for k in keys.keys if k >= end]
        seg_end = after[0] if after and end < keys.frames else None
        exact = seg_end == end or (seg_end is None and end == keys.frames)
        chunks.append(Chunk(i, start, end, warm_start, seg_start, seg_end, exact))
    return chunks


def decodes_from(path: Path, pts: int, frames: int = 3) -> bool:
    """Whether decoding ``path`` from the keyframe at ``pts`` gives clean pictures (its first
    ``frames``): some files flag keyframes that do not decode on their own (FFmpeg marks the pictures
    corrupt), and a segment must not start at one."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        container.seek(pts, stream=stream, backward=True, any_frame=False)
        seen = 0
        try:
            for frame in container.decode(stream):
                if (seen == 0 and frame.pts != pts) or frame.is_corrupt:
                    return False
                seen += 1
                if seen >= frames:
                    break
        except av.error.FFmpegError:
            return False
    return seen > 0


def plan_clean_chunks(path: Path, keys: Keyframes, frames: int, chunk_frames: int, warm: int) -> list[Chunk]:
    """:func:`plan_chunks` whose segments start only at keyframes that decode on their own
    (:func:`decodes_from`); a keyframe that does not is not used."""
    pts_of = dict(zip(keys.keys, keys.key_pts, strict=True))
    clean: dict[int, bool] = {0: True}
    usable = keys
    while True:
        chunks = plan_chunks(usable, frames, chunk_frames, warm)
        bad = set()
        for c in chunks:
            if c.seg_start not in clean:
                clean[c.seg_start] = decodes_from(path, pts_of[c.seg_start])
            if not clean[c.seg_start]:
                bad.add(c.seg_start)
        if not bad:
            return chunks
        kept = [(k, p) for k, p in zip(usable.keys, usable.key_pts, strict=True) if k not in bad]
        usable = Keyframes(usable.frames, tuple(k for k, _ in kept), tuple(p for _, p in kept))


def cut_segment(path: Path, keys: Keyframes, chunk: Chunk, dst: Path, rotation: int) -> None:
    """Copy the packets of ``chunk``'s segment (keyframe to keyframe) into a Matroska file ``dst``."""
    lookup = dict(zip(keys.keys, keys.key_pts, strict=True))
    first = lookup.get(chunk.seg_start)
    stop = lookup.get(chunk.seg_end) if chunk.seg_end is not None else None
    with av.open(str(path)) as src, av.open(str(dst), "w", format="matroska") as out:
        stream = src.streams.video[0]
        copy = out.add_stream_from_template(stream)
        if rotation:
            copy.set_display_rotation(-rotation)
        if first is not None and chunk.seg_start > 0:
            src.seek(first, stream=stream, backward=True, any_frame=False)
        started = chunk.seg_start == 0
        for packet in src.demux(stream):
            if packet.pts is None:
                continue
            if not started:
                started = packet.is_keyframe and packet.pts == first
                if not started:
                    continue
            elif stop is not None and packet.is_keyframe and packet.pts == stop:
                break
            if first is not None and chunk.seg_start > 0 and packet.pts < first:
                continue  # a leading picture of an open group that refers to the one before
            packet.stream = copy
            out.mux(packet)


# --------------------------------------------------------------------------- worker side


@dataclass(frozen=True)
class ChunkSpec:
    """What a worker does with a segment: pass over ``lead`` frames, stylize ``warm`` more without
    writing them, then write ``count``; ``exact``: the segment holds no frame beyond those."""

    lead: int
    warm: int
    count: int
    exact: bool

    @classmethod
    def of(cls, chunk: Chunk) -> ChunkSpec:
        return cls(lead=chunk.lead, warm=chunk.warm, count=chunk.count, exact=chunk.exact)


class _Window:
    """The frames of a source from ``skip`` on, ``take`` of them (a :class:`~stylecam.streams.Source`)."""

    live = False

    def __init__(self, source, skip: int, take: int) -> None:
        self.source = source
        self.skip = skip
        self.take = take
        self.given = 0
        self.short = False
        self.extra = False

    def open(self) -> StreamInfo:
        return dataclasses.replace(self.source.open(), frame_count=self.take)

    def read(self) -> Frame | None:
        while self.skip > 0:
            self.skip -= 1
            if self.source.read() is None:
                self.short = True
                return None
        if self.given >= self.take:
            return None
        frame = self.source.read()
        if frame is None:
            self.short = True
            return None
        self.given += 1
        if self.given == self.take:
            self.extra = self.source.read() is not None
        return frame

    def close(self) -> None:
        self.source.close()


class _From:
    """A sink that writes the frames from index ``first`` on (the warm-up frames are not written)."""

    inline = False

    def __init__(self, sink, first: int) -> None:
        self.sink = sink
        self.first = first
        self.written = 0

    def open(self, info: StreamInfo) -> None:
        self.sink.open(info)

    def write(self, frame: Frame, image) -> None:
        if frame.index >= self.first:
            self.sink.write(frame, image)
            self.written += 1

    def close(self) -> None:
        self.sink.close()

    @property
    def stopped(self) -> bool:
        return False


def stylize_chunk(
    bundle: ModelBundle,
    segment: bytes | str,
    spec: ChunkSpec,
    options: VideoOptions,
    out: str | None = None,
    report: Callable[[int], None] | None = None,
) -> Outcome:
    """Stylize one chunk of a video from its segment (its bytes, or a path every node sees); the chunk's
    lossless file comes back as bytes, or is written to ``out`` (a path every node sees). ``report``
    gets the chunk's frames written so far (not its warm-up), about twice a second."""
    from ..pipeline import Pipeline
    from ..sinks import VideoFileSink
    from ..smoothing import make_smoother
    from ..sources import VideoFileSource
    from ..stage import StylizeStep

    began = time.perf_counter()
    try:
        opts = dataclasses.replace(options, style=bundle.install())
        with tempfile.TemporaryDirectory(prefix="stylecam-chunk-") as tmp:
            chunk_file = Path(tmp) / "chunk.mkv"
            if isinstance(segment, str):
                seg = Path(segment)
            else:
                seg = Path(tmp) / "segment.mkv"
                seg.write_bytes(segment)
            source = _Window(VideoFileSource(seg), skip=spec.lead, take=spec.warm + spec.count)
            lossless = VideoFileSink(chunk_file, codec="ffv1", pix_fmt="bgr0", timing="index")
            sink = _From(lossless, first=spec.lead + spec.warm)
            step = StylizeStep(open_stylizer(opts), make_smoother(opts.smooth, opts.smooth_strength))
            try:
                tell = None if report is None else (lambda _stats: report(sink.written))
                Pipeline(source, step, [sink], progress=tell).run()
            finally:
                step.close()
            if source.short or sink.written != spec.count or (spec.exact and source.extra):
                return Outcome(
                    ok=False,
                    why=f"the segment did not hold the frames its keyframes promised ({sink.written} of "
                    f"{spec.count} written)",
                )
            data = None
            if out is None:
                data = chunk_file.read_bytes()
            else:
                attempt = attempt_name(Path(out))
                shutil.copyfile(chunk_file, attempt)
                os.replace(attempt, out)
            return Outcome(
                ok=True,
                frames=sink.written,
                seconds=time.perf_counter() - began,
                data=data,
                device=getattr(step.stylizer, "device", ""),
            )
    except Exception as exc:
        return failed_outcome(exc)


# --------------------------------------------------------------------------- driver side


class _Joined:
    """The frames of the chunk files in order, numbered as in the whole video, described as the input."""

    live = False

    def __init__(self, info: StreamInfo, files: Sequence[Path]) -> None:
        self.info = info
        self.files = list(files)
        self.current = None
        self.index = 0

    def open(self) -> StreamInfo:
        return self.info

    def read(self) -> Frame | None:
        from ..sources import VideoFileSource

        while True:
            if self.current is None:
                if not self.files:
                    return None
                self.current = VideoFileSource(self.files.pop(0))
            frame = self.current.read()
            if frame is not None:
                frame.index = self.index
                frame.pts = self.index / self.info.fps
                self.index += 1
                return frame
            self.current.close()
            self.current = None

    def close(self) -> None:
        if self.current is not None:
            self.current.close()


def join_chunks(src: Path, files: Sequence[Path], frames: int, dst: Path, options: VideoOptions) -> int:
    """Encode the chunk files into ``dst`` as one video with ``src``'s frame rate and sound; returns the
    frames written.

    Raises:
        StylecamError: the output cannot be written.
    """
    from ..pipeline import Pipeline
    from ..sinks import VideoFileSink
    from ..sources import VideoFileSource

    probe_source = VideoFileSource(src)
    try:
        info = dataclasses.replace(probe_source.open(), frame_count=frames)
    finally:
        probe_source.close()
    sink = VideoFileSink(
        dst,
        audio_from=str(src) if options.audio else None,
        inputs=(src,),
        crf=options.crf,
        overwrite=True,
    )
    stats = Pipeline(_Joined(info, files), lambda frame: frame.image, [sink]).run()
    return stats.frames_out
