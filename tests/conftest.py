# --- media helpers ---
# Synthetic clips for tests/test_media.py, written with PyAV into tmp_path. Each frame carries its
# index as an 8-bit code in a strip of black/white cells at the top (readable after lossy coding).

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

CODE_BITS = 8
AUDIO_RATE = 48000


def clip_image(index: int, width: int, height: int, flash: bool = False) -> np.ndarray:
    """A BGR test picture: moving diagonal stripes, with ``index`` coded in the top strip."""
    if flash:
        return np.full((height, width, 3), 255, np.uint8)
    y, x = np.mgrid[0:height, 0:width]
    stripes = (((x + y + 4 * index) // 8) % 2 * 96 + 64).astype(np.uint8)
    image = np.stack([stripes, np.full_like(stripes, 40 + index % 50), 255 - stripes], axis=2)
    strip = max(8, height // 6)
    cell = width // CODE_BITS
    for bit in range(CODE_BITS):
        image[:strip, bit * cell : (bit + 1) * cell] = 255 if (index >> bit) & 1 else 0
    return np.ascontiguousarray(image)


def frame_code(image: np.ndarray) -> int:
    """Read back the index written by :func:`clip_image`."""
    height, width = image.shape[:2]
    strip = max(8, height // 6)
    cell = width // CODE_BITS
    value = 0
    for bit in range(CODE_BITS):
        patch = image[2 : strip - 2, bit * cell + 2 : (bit + 1) * cell - 2]
        if patch.mean() > 128:
            value |= 1 << bit
    return value


def make_clip(
    path: Path,
    n_frames: int,
    size: tuple[int, int] = (96, 64),
    fps: float | Fraction = 25,
    audio: bool = True,
    rotation: int = 0,
    *,
    flash_at: int | None = None,
    audio_codec: str = "aac",
    audio_seconds: float | None = None,
) -> Path:
    """Write a test clip: moving coded pattern, and a 440 Hz tone (or, with ``flash_at=k``, a white
    frame ``k`` and silence with a 1 kHz beep starting at ``k / fps``).

    ``rotation`` (clockwise degrees) is stored as a display matrix: the coded picture is
    ``size``, a player shows it turned. MP4 files are written with the index first (faststart).
    """
    path = Path(path)
    width, height = size
    rate = fps if isinstance(fps, Fraction) else Fraction(fps).limit_denominator(1001)
    options = {"movflags": "+faststart"} if path.suffix in (".mp4", ".mov") else {}
    container = av.open(str(path), "w", options=options)
    video = container.add_stream("libx264", rate=rate)
    video.width, video.height = width, height
    video.pix_fmt = "yuv420p"
    video.options = {"crf": "12", "preset": "ultrafast"}
    if rotation:
        video.set_display_rotation(-rotation)
    stream_audio = None
    if audio:
        stream_audio = container.add_stream(audio_codec, rate=AUDIO_RATE, layout="mono")
    for i in range(n_frames):
        frame = av.VideoFrame.from_ndarray(clip_image(i, width, height, flash=i == flash_at), format="bgr24")
        frame.pts = i
        frame.time_base = 1 / rate
        container.mux(video.encode(frame))
    if stream_audio is not None:
        seconds = audio_seconds if audio_seconds is not None else n_frames / float(rate)
        t = np.arange(int(round(seconds * AUDIO_RATE))) / AUDIO_RATE
        if flash_at is None:
            samples = 0.3 * np.sin(2 * np.pi * 440 * t)
        else:
            onset = flash_at / float(rate)
            samples = np.where((t >= onset) & (t < onset + 0.2), 0.5 * np.sin(2 * np.pi * 1000 * t), 0.0)
        samples = samples.astype(np.float32)
        fmt = stream_audio.codec_context.format.name
        for k in range(0, len(samples), 1024):
            chunk = samples[None, k : k + 1024]
            if fmt == "s16":
                chunk = (chunk * 32767).astype(np.int16)
            frame = av.AudioFrame.from_ndarray(chunk, format="flt" if fmt != "s16" else "s16", layout="mono")
            frame.sample_rate = AUDIO_RATE
            frame.pts = k
            frame.time_base = Fraction(1, AUDIO_RATE)
            container.mux(stream_audio.encode(frame))
        container.mux(stream_audio.encode(None))
    container.mux(video.encode(None))
    container.close()
    return path


def decode_video(path: Path) -> tuple[list[np.ndarray], list[float]]:
    """All frames of ``path`` as BGR arrays (no rotation applied) and their times in seconds."""
    images, times = [], []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            images.append(frame.to_ndarray(format="bgr24"))
            times.append(float(frame.time))
    return images, times


def decode_audio(path: Path) -> tuple[np.ndarray, int, float]:
    """The first audio stream of ``path`` as mono float samples, its rate and its start time (s)."""
    chunks, start = [], None
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=stream.codec_context.sample_rate)
        for frame in container.decode(stream):
            if start is None:
                start = float(frame.time) if frame.time is not None else 0.0
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        rate = stream.codec_context.sample_rate
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return samples, rate, start or 0.0
