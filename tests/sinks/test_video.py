"""Video files out (stylecam.sinks.video, stylecam.sinks.audio): encode with the input's sound, in sync, safely."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import decode_audio, decode_video, frame_code, make_clip, shared_path

from stylecam.errors import OutputError
from stylecam.frames import Frame, StreamInfo
from stylecam.sinks.video import VideoFileSink
from stylecam.sources.probe import probe
from stylecam.sources.video import VideoFileSource
from stylecam.streams import Sink


def copy_video(src_path: Path, out_path: Path, *, limit: int | None = None, **sink_args) -> VideoFileSink:
    """Decode ``src_path`` and encode it unchanged to ``out_path`` with its audio (the pipeline's path)."""
    src = VideoFileSource(src_path)
    info = src.open()
    sink = VideoFileSink(out_path, audio_from=info.audio_path, **sink_args)
    sink.open(info)
    n = 0
    while (frame := src.read()) is not None and (limit is None or n < limit):
        sink.write(frame, frame.image)
        n += 1
    sink.close()
    src.close()
    return sink


def audio_onset(path: Path, threshold: float = 0.1) -> float:
    samples, rate, start = decode_audio(path)
    loud = np.flatnonzero(np.abs(samples) > threshold)
    assert loud.size, f"no sound in {path}"
    return start + loud[0] / rate


def test_round_trip_keeps_frames_rate_pictures_and_audio(tmp_path):
    clip = make_clip(tmp_path / "in.mp4", 30, (96, 64), 25, audio=True)
    out = tmp_path / "out.mp4"
    sink = copy_video(clip, out)
    assert isinstance(sink, Sink) and not sink.stopped and sink.audio_mode == "copy"
    pr_out = probe(out)
    assert pr_out.frame_count == 30 and pr_out.rate == 25
    assert (pr_out.width, pr_out.height) == (96, 64) and pr_out.video_codec == "h264"
    assert pr_out.has_audio and pr_out.audio_codec == "aac"
    images, _ = decode_video(out)
    assert [frame_code(im) for im in images] == list(range(30))
    originals, _ = decode_video(clip)
    assert cv2.PSNR(images[10], originals[10]) > 30
    a_in, rate_in, _ = decode_audio(clip)
    a_out, rate_out, _ = decode_audio(out)
    assert abs(len(a_out) / rate_out - len(a_in) / rate_in) <= 1 / 25
    assert abs(len(a_out) / rate_out - pr_out.duration) <= 1 / 25 + 1024 / rate_out


def test_fractional_rate_is_kept_exactly(tmp_path):
    clip = make_clip(tmp_path / "in.mkv", 10, (64, 48), Fraction(30000, 1001), audio=False)
    copy_video(clip, tmp_path / "out.mp4")
    pr = probe(tmp_path / "out.mp4")
    assert pr.rate == Fraction(30000, 1001) and pr.frame_count == 10


@pytest.mark.parametrize(
    ("source", "audio_codec", "output", "mode"),
    [
        ("in.mp4", "aac", "out.mp4", "copy"),  # AAC packets remuxed
        ("in.mkv", "pcm_s16le", "out.mp4", "transcode"),  # PCM does not go in MP4: AAC
        ("in.mkv", "pcm_s16le", "out.mkv", "copy"),
    ],
)
def test_flash_and_beep_stay_in_sync(tmp_path, source, audio_codec, output, mode):
    fps, k = 25, 17
    clip = make_clip(tmp_path / source, 36, (96, 64), fps, flash_at=k, audio_codec=audio_codec)
    out = tmp_path / output
    sink = copy_video(clip, out)
    assert sink.audio_mode == mode
    images, times = decode_video(out)
    flash = int(np.argmax([im.mean() for im in images]))
    assert flash == k
    assert abs(times[flash] - audio_onset(out)) < 1 / fps


def test_early_stop_leaves_playable_file_with_audio_cut_at_the_video_end(tmp_path):
    fps = 25
    clip = make_clip(tmp_path / "in.mp4", 40, (96, 64), fps, audio=True)
    out = tmp_path / "half.mp4"
    copy_video(clip, out, limit=20)
    pr = probe(out)
    assert pr.frame_count == 20
    samples, rate, start = decode_audio(out)
    audio_end = start + len(samples) / rate
    assert pr.duration == pytest.approx(0.8, abs=1e-3)
    assert pr.duration - 1024 / rate <= audio_end <= pr.duration + 1 / fps + 1024 / rate


def test_transcoded_audio_is_cut_at_the_video_end(tmp_path):
    clip = make_clip(tmp_path / "in.mkv", 40, (96, 64), 25, audio=True, audio_codec="pcm_s16le")
    out = tmp_path / "half.mp4"
    sink = copy_video(clip, out, limit=10)
    assert sink.audio_mode == "transcode"
    samples, rate, start = decode_audio(out)
    assert start + len(samples) / rate == pytest.approx(0.4, abs=1024 / rate)


def test_no_audio_when_audio_from_is_none(tmp_path):
    clip = make_clip(tmp_path / "in.mp4", 5, (64, 48), 25, audio=True)
    src = VideoFileSource(clip)
    info = src.open()
    sink = VideoFileSink(tmp_path / "silent.mp4", audio_from=None)
    sink.open(info)
    for frame in iter(src.read, None):
        sink.write(frame, frame.image)
    sink.close()
    src.close()
    pr = probe(tmp_path / "silent.mp4")
    assert not pr.has_audio and pr.frame_count == 5


def test_odd_size_is_padded_with_a_replicated_row_and_column(tmp_path):
    w, h = 321, 241
    sink = VideoFileSink(tmp_path / "odd.mp4")
    sink.open(StreamInfo(width=w, height=h, fps=25))
    image = np.zeros((h, w, 3), np.uint8)
    image[:, -1] = (0, 0, 255)  # last column red
    image[-1, :] = (255, 0, 0)  # last row blue
    for i in range(3):
        sink.write(Frame(index=i, image=image, time=0.0), image)
    sink.close()
    pr = probe(tmp_path / "odd.mp4")
    assert (pr.width, pr.height, pr.frame_count) == (322, 242, 3)
    decoded = decode_video(tmp_path / "odd.mp4")[0][0].astype(int)
    assert decoded[100, -1, 2] > 180 and decoded[100, -2, 2] > 180  # padding repeats the red column
    assert decoded[-1, 100, 0] > 180 and decoded[-2, 100, 0] > 180


def test_wallclock_timing_follows_frame_times(tmp_path):
    sink = VideoFileSink(tmp_path / "live.mp4", fps=30, timing="wallclock")
    sink.open(StreamInfo(width=64, height=48, fps=30, live=True))
    stamps = [100.0, 100.033, 100.1, 100.5, 100.55]  # a camera that stalls
    for i, t in enumerate(stamps):
        image = np.full((48, 64, 3), 40 * i, np.uint8)
        sink.write(Frame(index=i, image=image, time=t), image)
    sink.close()
    _, times = decode_video(tmp_path / "live.mp4")
    assert times == pytest.approx([t - stamps[0] for t in stamps], abs=2e-3)


def test_close_after_a_failed_write_keeps_the_frames_so_far(tmp_path):
    sink = VideoFileSink(tmp_path / "crash.mp4")
    sink.open(StreamInfo(width=64, height=48, fps=25))
    good = np.zeros((48, 64, 3), np.uint8)
    for i in range(4):
        sink.write(Frame(index=i, image=good, time=0.0), good)
    with pytest.raises(TypeError):
        sink.write(Frame(index=4, image=good, time=0.0), good.astype(np.float32))
    sink.close()
    sink.close()
    assert probe(tmp_path / "crash.mp4").frame_count == 4


def test_a_frame_of_the_wrong_size_is_a_value_error_naming_both_shapes(tmp_path):
    sink = VideoFileSink(tmp_path / "sizes.mp4")
    sink.open(StreamInfo(width=64, height=48, fps=25))
    good = np.zeros((48, 64, 3), np.uint8)
    sink.write(Frame(index=0, image=good, time=0.0), good)
    wrong = np.zeros((40, 64, 3), np.uint8)
    with pytest.raises(ValueError, match=r"shape \(40, 64, 3\), expected \(48, 64, 3\)"):
        sink.write(Frame(index=1, image=wrong, time=0.0), wrong)
    sink.close()
    assert probe(tmp_path / "sizes.mp4").frame_count == 1


def test_a_sink_closed_before_any_frame_leaves_no_file(tmp_path):
    sink = VideoFileSink(tmp_path / "nothing.mp4")
    sink.open(StreamInfo(width=64, height=48, fps=25))
    sink.close()
    assert not (tmp_path / "nothing.mp4").exists()


def test_sink_refuses_to_overwrite_its_input_or_write_into_a_missing_folder(tmp_path):
    clip = make_clip(tmp_path / "in.mp4", 3, (64, 48), 25, audio=True)
    before = clip.read_bytes()
    with pytest.raises(OutputError, match="overwrite the input"):
        VideoFileSink(clip, audio_from=clip)
    with pytest.raises(OutputError, match="overwrite the input"):  # no sound copied, still the input
        VideoFileSink(clip, audio_from=None, inputs=(clip,))
    same_via_link = tmp_path / "link.mp4"
    same_via_link.symlink_to(clip)
    src = VideoFileSource(clip)
    info = src.open()
    with pytest.raises(OutputError, match="overwrite the input"):
        VideoFileSink(same_via_link, audio_from=None, overwrite=True).open(info)
    src.close()
    assert clip.read_bytes() == before
    with pytest.raises(OutputError, match="does not exist") as err:
        VideoFileSink(tmp_path / "missing" / "out.mp4")
    assert err.value.hint
    with pytest.raises(OutputError, match="is a folder"):
        VideoFileSink(tmp_path)


def test_other_containers_by_suffix(tmp_path):
    clip = make_clip(tmp_path / "in.mp4", 6, (64, 48), 25, audio=True)
    for suffix, codec in ((".mkv", "h264"), (".mov", "h264"), (".avi", "mpeg4")):
        copy_video(clip, tmp_path / f"out{suffix}")
        pr = probe(tmp_path / f"out{suffix}")
        assert (pr.frame_count, pr.video_codec, pr.has_audio) == (6, codec, True), suffix


# --------------------------------------------------------------------------- real clips


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "frames", "fps"),
    [("chaplin_silent_film_clip_640x360_9s.mp4", 241, 25), ("cockatoo_handheld_1280x720_14s.mp4", 280, 20)],
)
def test_real_clip_round_trip(tmp_path, name, frames, fps):
    clip = shared_path("data", "video", name)
    pr_in = probe(clip)
    assert (pr_in.frame_count, pr_in.fps, pr_in.has_audio) == (frames, fps, True)
    out = tmp_path / "out.mp4"
    copy_video(clip, out, preset="ultrafast", crf=28)
    pr = probe(out)
    assert (pr.frame_count, pr.fps, pr.has_audio) == (frames, fps, True)
    a_in, rate_in, _ = decode_audio(clip)
    a_out, rate_out, _ = decode_audio(out)
    assert abs(len(a_out) / rate_out - len(a_in) / rate_in) <= 1 / fps
