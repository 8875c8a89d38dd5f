"""Video files in and out (stylecam.media): probe, decode in order or paced, encode with the input's sound."""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from conftest import decode_audio, decode_video, frame_code, make_clip, shared_path

from stylecam.errors import InputError, OutputError
from stylecam.frames import Frame, StreamInfo
from stylecam.media import VideoFileSink, VideoFileSource, probe
from stylecam.streams import Sink, Source


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


# --------------------------------------------------------------------------- probe


def test_probe_reports_size_rate_count_and_audio(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", 30, (96, 64), 25, audio=True)
    pr = probe(clip)
    assert (pr.width, pr.height, pr.rotation) == (96, 64, 0)
    assert pr.fps == 25.0 and pr.rate == 25
    assert pr.frame_count == 30
    assert pr.duration == pytest.approx(1.2, abs=0.01)
    assert pr.has_audio and pr.audio_codec == "aac" and pr.video_codec == "h264"


def test_probe_counts_packets_in_mkv_and_keeps_ntsc_rate_exact(tmp_path):
    clip = make_clip(tmp_path / "ntsc.mkv", 12, (96, 64), Fraction(30000, 1001), audio=False)
    pr = probe(clip)
    assert pr.frame_count == 12  # Matroska has no frame count: counted by demuxing
    assert pr.rate == Fraction(30000, 1001)
    assert not pr.has_audio and pr.audio_codec is None


def test_probe_and_source_apply_rotation(tmp_path):
    clip = make_clip(tmp_path / "rot.mp4", 4, (96, 64), 25, audio=False, rotation=90)
    pr = probe(clip)
    assert (pr.width, pr.height, pr.rotation) == (64, 96, 90)
    with VideoFileSource(clip) as src:
        assert (src.info.width, src.info.height, src.info.rotation) == (64, 96, 90)
        frame = src.read()
    assert frame.image.shape == (96, 64, 3)
    # Turned back counter-clockwise, the picture is the coded one again (code strip on top).
    assert frame_code(cv2.rotate(frame.image, cv2.ROTATE_90_COUNTERCLOCKWISE)) == 0


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("notes.txt", b"just some text\n", "text file"),
        ("notes.mp4", b"this is not a video at all\n" * 20, "text file"),
        ("empty.mp4", b"", "empty"),
        ("garbage.mp4", bytes(range(256)) * 64, "cannot read"),
    ],
)
def test_probe_rejects_files_that_are_not_videos(tmp_path, name, content, needle):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=needle) as err:
        probe(path)
    assert err.value.hint and "\n" not in str(err.value)


def test_probe_rejects_missing_file_image_audio_only_and_zero_frames(tmp_path):
    with pytest.raises(InputError, match="not found"):
        probe(tmp_path / "nope.mp4")
    image = tmp_path / "picture.jpg"
    cv2.imwrite(str(image), np.zeros((32, 32, 3), np.uint8))
    with pytest.raises(InputError, match="is an image"):
        probe(image)
    audio_only = tmp_path / "song.m4a"
    with av.open(str(audio_only), "w") as c:
        stream = c.add_stream("aac", rate=48000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="flt", layout="mono")
        frame.sample_rate, frame.pts = 48000, 0
        c.mux(stream.encode(frame))
        c.mux(stream.encode(None))
    with pytest.raises(InputError, match="no video stream"):
        probe(audio_only)
    zero = make_clip(tmp_path / "zero.mkv", 0, (64, 48), 25, audio=True, audio_seconds=0.5)
    with pytest.raises(InputError, match="no video frames"):
        probe(zero)
    with pytest.raises(InputError, match="folder"):
        VideoFileSource(tmp_path).open()


# --------------------------------------------------------------------------- source


def test_source_yields_every_frame_in_order(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", 20, (96, 64), 25, audio=True)
    src = VideoFileSource(clip)
    assert isinstance(src, Source)
    info = src.open()
    assert not src.live and not info.live
    assert (info.width, info.height, info.fps, info.frame_count) == (96, 64, 25.0, 20)
    assert info.audio_path == str(clip) and info.time_base == Fraction(1, 25)
    frames = list(iter(src.read, None))
    assert [f.index for f in frames] == list(range(20))
    assert [frame_code(f.image) for f in frames] == list(range(20))
    assert [f.pts for f in frames] == pytest.approx([i / 25 for i in range(20)])
    image = frames[0].image
    assert image.dtype == np.uint8 and image.shape == (64, 96, 3) and image.flags.c_contiguous
    assert src.read() is None
    src.close()
    src.close()
    assert src.read() is None


def test_truncated_file_delivers_frames_then_raises(tmp_path):
    clip = make_clip(tmp_path / "full.mp4", 40, (96, 64), 25, audio=False)
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 6 // 10])
    pr = probe(cut)
    assert pr.truncated and 0 < pr.frame_count < 40 and pr.declared_frames == 40
    src = VideoFileSource(cut)
    src.open()
    codes = []
    with pytest.raises(
        InputError, match=r"cut\.mp4.*truncated: \d+ of its 40 frames could be decoded"
    ) as err:
        while (frame := src.read()) is not None:
            codes.append(frame_code(frame.image))
    # every frame the file holds is delivered, and the message gives that number
    assert len(codes) == pr.frame_count and codes == list(range(len(codes)))
    assert f"{len(codes)} of its 40" in str(err.value)
    assert src.read() is None
    src.close()


def test_unfinished_mp4_without_index_is_an_input_error(tmp_path):
    clip = make_clip(tmp_path / "full.mov", 10, (64, 48), 25, audio=False)
    plain = tmp_path / "plain.mp4"
    with av.open(str(clip)) as c_in, av.open(str(plain), "w") as c_out:  # index at the end
        stream = c_out.add_stream_from_template(c_in.streams.video[0])
        for packet in c_in.demux(c_in.streams.video[0]):
            if packet.size:
                packet.stream = stream
                c_out.mux(packet)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(plain.read_bytes()[: plain.stat().st_size // 2])  # the index (moov) is lost
    with pytest.raises(InputError, match="cannot read"):
        VideoFileSource(cut).open()


def test_realtime_source_paces_at_fps_and_loops(tmp_path):
    clip = make_clip(tmp_path / "a.mkv", 5, (64, 48), 50, audio=False)
    src = VideoFileSource(clip, realtime=True, loop=True)
    info = src.open()
    assert src.live and info.live and info.frame_count is None
    start = time.perf_counter()
    frames = [src.read() for _ in range(13)]
    elapsed = time.perf_counter() - start
    src.close()
    assert elapsed >= 12 / 50 * 0.9  # 12 frame periods after the first, never faster than the file
    assert [f.index for f in frames] == list(range(13))
    assert [frame_code(f.image) for f in frames] == [i % 5 for i in range(13)]
    assert [f.pts for f in frames] == pytest.approx([i / 50 for i in range(13)])
    assert src.read() is None


def test_loop_without_realtime_wraps_immediately(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", 3, (64, 48), 25, audio=False)
    with VideoFileSource(clip, loop=True) as src:
        codes = [frame_code(src.read().image) for _ in range(7)]
    assert codes == [0, 1, 2, 0, 1, 2, 0]


# --------------------------------------------------------------------------- sink


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
