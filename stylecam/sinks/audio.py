"""The sound of one file copied into another as the video goes: :class:`AudioMuxer`.

The video-file sink (:mod:`stylecam.sinks.video`) owns the output container and tells the muxer how
far the video has come; the muxer writes the audio that lies before that point, so a run that stops
early leaves a file whose sound stops where the picture stops.
"""

from __future__ import annotations

import contextlib
import logging
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from ..errors import OutputError
from ..sources.probe import check_video_path, open_container, seconds_of

log = logging.getLogger(__name__)

__all__ = ["AudioMuxer"]

_ENCODER_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)
_OPUS_RATES = (8000, 12000, 16000, 24000, 48000)


class AudioMuxer:
    """Moves the first audio stream of a file into an output container, progressively and trimmed.

    Times are in output seconds: input time minus the input's first video frame time. Packets are
    remuxed as they are when ``copyable`` accepts the codec, otherwise transcoded with ``encoder``.

    Build one with :meth:`open`; :attr:`mode` is ``"copy"`` or ``"transcode"``.

    Args:
        source: the file whose sound is copied (for messages).
        src: the open input container.
        stream: its first audio stream.
        offset: the input's first video frame time in seconds (audio is aligned against it).
        out: the output container.
        frame_rate: the output video's frame rate (a copied packet may end one frame after the video).
        copyable: audio codecs the output container takes as they are; ``None``: any.
        encoder: the audio encoder used when the codec cannot be copied.
        target: the output file (for messages).
    """

    def __init__(
        self,
        source: Path,
        src: av.container.InputContainer,
        stream: Any,
        offset: float,
        *,
        out: av.container.OutputContainer,
        frame_rate: Fraction,
        copyable: frozenset[str] | None,
        encoder: str,
        target: Path,
    ) -> None:
        self.source = source
        self.target = target
        self.src = src
        self.in_stream = stream
        self.offset = offset
        self.frame_duration = 1.0 / float(frame_rate)
        self.packets = src.demux(stream)
        self.pending: Any = None
        self.exhausted = False
        codec = stream.codec.canonical_name
        self.mode = "copy"
        self.out_stream: Any = None
        if copyable is None or codec in copyable:
            try:
                self.out_stream = out.add_stream_from_template(stream)
            except (ValueError, av.error.FFmpegError):
                self.out_stream = None
        if self.out_stream is None:
            self.mode = "transcode"
            self._setup_transcode(out, codec, encoder)

    @classmethod
    def open(
        cls,
        source: str | Path,
        out: av.container.OutputContainer,
        *,
        frame_rate: Fraction,
        copyable: frozenset[str] | None,
        encoder: str,
        target: Path,
    ) -> AudioMuxer | None:
        """A muxer for the first audio stream of ``source`` into ``out``; ``None`` when it has no sound.

        Raises:
            InputError: ``source`` cannot be read.
            OutputError: its audio can be neither copied nor encoded into ``out``.
        """
        path = check_video_path(source)
        src = open_container(path)
        if not src.streams.audio:
            log.info("%s has no audio stream; writing video only", source)
            src.close()
            return None
        videos = [s for s in src.streams.video if s.start_time is not None]
        offset = (seconds_of(videos[0].start_time, videos[0].time_base) or 0.0) if videos else 0.0
        try:
            return cls(
                path,
                src,
                src.streams.audio[0],
                offset,
                out=out,
                frame_rate=frame_rate,
                copyable=copyable,
                encoder=encoder,
                target=target,
            )
        except Exception:
            src.close()
            raise

    def _setup_transcode(self, out: av.container.OutputContainer, codec: str, encoder: str) -> None:
        in_ctx = self.in_stream.codec_context
        rate = in_ctx.sample_rate or 48000
        if encoder == "libopus":
            rate = min((r for r in _OPUS_RATES if r >= rate), default=48000)
        elif rate not in _ENCODER_RATES:
            rate = 48000
        channels = in_ctx.channels if hasattr(in_ctx, "channels") else in_ctx.layout.nb_channels
        layout = "mono" if channels == 1 else "stereo"
        try:
            self.out_stream = out.add_stream(encoder, rate=rate, layout=layout)
        except (av.error.FFmpegError, ValueError, KeyError) as exc:
            raise OutputError(
                f"cannot encode the audio of {self.source} ({codec}) into {self.target}: {exc}",
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
            log.warning("%s: audio unreadable from here on, copied so far: %s", self.source, exc)
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
            log.warning("%s: skipping an undecodable audio packet: %s", self.source, exc)
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
        """Close the input file; safe to call twice."""
        with contextlib.suppress(av.error.FFmpegError):
            self.src.close()
