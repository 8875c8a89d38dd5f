"""Nothing lost, nothing overwritten (issue 11), from the command line, with real files and real signals.

Every run here is a real ``python -m stylecam`` subprocess: SIGINT, SIGTERM, SIGHUP and SIGKILL are sent
to it while it writes; outputs that exist are refused without ``-y``; a full disk is a real small tmpfs
(skipped, with the reason, where ``mount`` is not allowed).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from conftest import REPO, decode_video, frame_code, make_clip
from test_command_line import assert_one_line_error, run_cli

from stylecam.sources import probe


def _files(folder: Path) -> list[str]:
    """The files in ``folder`` (not the fixtures' folders)."""
    return sorted(p.name for p in folder.iterdir() if p.is_file())


def _popen(*args: str, models_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "STYLECAM_MODELS": str(models_dir)}
    env.pop("DISPLAY", None)
    return subprocess.Popen(
        [sys.executable, "-m", "stylecam", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_data(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Until ``path`` holds its first fragment (a second of video), or fail with the run's stderr."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and path.stat().st_size > 0:
            return
        if proc.poll() is not None:
            pytest.fail(f"the run ended early: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"{path} never appeared")


def _boxes(path: Path) -> list[str]:
    """The top-level MP4 boxes, in order."""
    kinds, pos, size = [], 0, path.stat().st_size
    with path.open("rb") as fh:
        while pos + 8 <= size:
            fh.seek(pos)
            head = fh.read(16)
            n = int.from_bytes(head[:4], "big")
            n = int.from_bytes(head[8:16], "big") if n == 1 else (size - pos if n == 0 else n)
            kinds.append(head[4:8].decode("latin-1"))
            pos += max(n, 8)
    return kinds


def _assert_plays(path: Path) -> int:
    """Every frame of ``path`` decodes, in order (the clip's frames carry their index); returns the count."""
    images, times = decode_video(path)
    assert images, path
    codes = [frame_code(im) for im in images]
    assert codes == list(range(len(codes))), codes[:10]
    assert times == sorted(times)
    return len(images)


def _assert_faststart(path: Path) -> None:
    kinds = _boxes(path)
    assert "moof" not in kinds and kinds.index("moov") < kinds.index("mdat"), kinds


@pytest.fixture
def slow_clip(tmp_path):
    """400 frames with sound; at --size 1920x1080 each frame takes long enough to interrupt mid-run."""
    return make_clip(tmp_path / "in.mp4", 400, size=(160, 96), audio=True)


SLOW = ("--style", "identity", "--smooth", "none", "--size", "1920x1080")


# --------------------------------------------------------------------------- item 2: signals, SIGKILL


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_finishes_a_playable_fast_start_file(models_dir, tmp_path, slow_clip, sig):
    out = tmp_path / "out.mp4"
    proc = _popen("video", str(slow_clip), "-o", str(out), *SLOW, models_dir=models_dir)
    _wait_for_data(tmp_path / "out.part.mp4", proc)
    time.sleep(0.5)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    name = "Ctrl-C" if sig == signal.SIGINT else sig.name
    assert f"interrupted ({name})" in last and str(out) in last, err
    frames = _assert_plays(out)
    assert 0 < frames < 400 and f"the {frames} frames done" in last
    assert probe(out).has_audio
    _assert_faststart(out)
    assert _files(tmp_path) == ["in.mp4", "out.mp4"]  # no temporary file left


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_sigkill_leaves_every_second_written_playable(models_dir, tmp_path, slow_clip, suffix):
    out = tmp_path / f"out{suffix}"
    part = tmp_path / f"out.part{suffix}"
    proc = _popen("video", str(slow_clip), "-o", str(out), *SLOW, models_dir=models_dir)
    _wait_for_data(part, proc)
    time.sleep(1.5)
    proc.kill()
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()  # the output name only ever holds a finished file
    # every complete second plays, in order; only the one being written when the process died may be
    # cut short (its frames are then missing or damaged at the very end)
    images, times = decode_video(part)
    codes = [frame_code(im) for im in images]
    whole = next((i for i, c in enumerate(codes) if c != i), len(codes))
    assert whole >= 25, codes[:40]  # at least the first fragment / cluster: a second at 25 fps
    assert len(codes) - whole <= 25, (whole, len(codes))
    assert times == sorted(times)


def test_live_record_ends_with_130_on_ctrl_c_and_143_on_sigterm(models_dir, tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", 50, size=(96, 64), audio=False)
    for sig in (signal.SIGINT, signal.SIGTERM):
        rec = tmp_path / f"rec-{sig.name}.mp4"
        args = ("live", str(clip), "--loop", "--no-window", "--record", str(rec), "--style", "identity")
        proc = _popen(*args, "--device", "cpu", models_dir=models_dir)
        _wait_for_data(tmp_path / f"rec-{sig.name}.part.mp4", proc)
        time.sleep(0.3)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 128 + sig, err
        assert "Traceback" not in err and "interrupted" in err
        assert _assert_plays(rec) >= 25  # the clip loops: codes restart, so only the first pass is checked
        _assert_faststart(rec)


# --------------------------------------------------------------------------- item 3: a second Ctrl-C


@pytest.mark.parametrize("gap", [0.05, 0.5])
def test_a_second_ctrl_c_does_not_break_the_finishing(models_dir, tmp_path, slow_clip, gap):
    out = tmp_path / "out.mp4"
    proc = _popen("video", str(slow_clip), "-o", str(out), *SLOW, models_dir=models_dir)
    _wait_for_data(tmp_path / "out.part.mp4", proc)
    proc.send_signal(signal.SIGINT)
    time.sleep(gap)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    frames = _assert_plays(out)
    assert f"the {frames} frames done are in {out}" in err
    _assert_faststart(out)


def test_a_second_ctrl_c_as_the_process_exits_keeps_its_exit_code(models_dir, tmp_path, slow_clip):
    out = tmp_path / "out.mp4"
    proc = _popen("video", str(slow_clip), "-o", str(out), *SLOW, models_dir=models_dir)
    _wait_for_data(tmp_path / "out.part.mp4", proc)
    proc.send_signal(signal.SIGINT)
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:  # the last line is printed just before the interpreter shuts down
        lines.append(line)
        if "interrupted" in line:
            for _ in range(5):
                if proc.poll() is not None:
                    break
                proc.send_signal(signal.SIGINT)
                time.sleep(0.002)
            break
    rest = proc.communicate(timeout=60)[1]
    err = "".join(lines) + rest
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    _assert_plays(out)


# --------------------------------------------------------------------------- item 5: existing outputs


def test_an_existing_video_output_is_refused_without_y_and_replaced_with_it(models_dir, tmp_path):
    clip = make_clip(tmp_path / "in.mp4", 8, audio=True)
    env = {"STYLECAM_MODELS": str(models_dir)}
    out = tmp_path / "result.mp4"
    out.write_bytes(b"a result worth keeping" * 1000)
    before = out.read_bytes()
    for flags in ((), ("-n",)):
        proc = run_cli("video", str(clip), "-o", str(out), "--style", "invert", *flags, env=env)
        assert_one_line_error(proc, "already exists", "-y", code=2)
        assert out.read_bytes() == before
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    proc = run_cli("video", str(clip), "-o", str(notes), "--style", "invert", env=env)
    assert_one_line_error(proc, "notes.txt", code=2)
    assert notes.read_text() == "my notes\n"
    proc = run_cli("video", str(clip), "-o", str(out), "--style", "invert", "-y", env=env)
    assert proc.returncode == 0, proc.stderr
    assert probe(out).frame_count == 8
    assert _files(tmp_path) == ["in.mp4", "notes.txt", "result.mp4"]


def test_an_interrupted_run_never_destroys_what_was_there(models_dir, tmp_path, slow_clip):
    out = tmp_path / "result.mp4"
    out.write_bytes(b"twenty megabytes of earlier work")
    before = out.read_bytes()
    for delay in (0.0, 1.0):  # as soon as the style is loaded, and around the first frames
        proc = _popen("video", str(slow_clip), "-o", str(out), "-y", *SLOW, models_dir=models_dir)
        assert proc.stderr is not None
        first = proc.stderr.readline()  # "style ... running on CPU": the run is being set up
        assert "running on" in first, first
        deadline = time.time() + delay
        part = tmp_path / "result.part.mp4"
        while time.time() < deadline and not (part.exists() and part.stat().st_size):
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "Traceback" not in err
        if "frames done are in" in err:  # frames were done: -y said they may replace it
            _assert_plays(out)
            out.write_bytes(before)
        else:
            assert out.read_bytes() == before, err
        assert _files(tmp_path) == ["in.mp4", "result.mp4"]


def test_an_existing_image_or_recording_is_refused_without_y(models_dir, tmp_path):
    env = {"STYLECAM_MODELS": str(models_dir)}
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), np.full((40, 60, 3), 90, np.uint8))
    out = tmp_path / "painted.png"
    out.write_bytes(b"keep me")
    proc = run_cli("image", str(photo), "-o", str(out), "--style", "invert", env=env)
    assert_one_line_error(proc, "painted.png", "already exists", code=2)
    assert out.read_bytes() == b"keep me"
    proc = run_cli("image", str(photo), "-o", str(out), "--style", "invert", "-y", env=env)
    assert proc.returncode == 0, proc.stderr
    assert (cv2.imread(str(out)) == 255 - 90).all()
    clip = make_clip(tmp_path / "clip.mp4", 5, audio=False)
    rec = tmp_path / "rec.mp4"
    rec.write_bytes(b"an earlier recording")
    proc = run_cli("live", str(clip), "--no-window", "--record", str(rec), "--style", "invert", env=env)
    assert_one_line_error(proc, "rec.mp4", "already exists", code=2)
    assert rec.read_bytes() == b"an earlier recording"
    assert not list(tmp_path.glob("*.part*"))


# --------------------------------------------------------------------------- item 4: a full disk


@pytest.fixture
def small_disk(tmp_path, request):
    """A small tmpfs (160 kB unless the test's parameter says), or skip: mounting needs root and a kernel
    that allows it."""
    size = getattr(request, "param", "160k")
    where = tmp_path / "small-disk"
    where.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({proc.stderr.strip() or 'mount failed'})")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


# 160 kB: full before the first fragment (nothing kept); 1200 kB: full after some (those are kept)
@pytest.mark.parametrize("small_disk", ["160k", "1200k"], indirect=True)
def test_a_full_disk_is_named_and_leaves_a_playable_file_or_nothing(models_dir, tmp_path, small_disk):
    clip = make_clip(tmp_path / "in.mp4", 300, size=(320, 192), audio=True)
    out = small_disk / "out.mp4"
    proc = run_cli(
        "video",
        str(clip),
        "-o",
        str(out),
        "--style",
        "identity",
        "--crf",
        "0",
        env={"STYLECAM_MODELS": str(models_dir)},
    )
    line = assert_one_line_error(proc, "disk full", str(small_disk), code=2)
    leftovers = _files(small_disk)
    vfs = os.statvfs(small_disk)
    big = vfs.f_blocks * vfs.f_frsize > 1_000_000  # room for a fragment or two
    if "frames done are in" in line:
        assert leftovers == ["out.mp4"]
        frames = _assert_plays(out)
        assert f"the {frames} frames done are in {out}" in line and frames >= 25 and big
    else:
        assert leftovers == [] and "no frames were kept" in line
        assert not big


def test_a_full_disk_for_an_image_leaves_no_part_file(models_dir, tmp_path, small_disk):
    noise = np.random.default_rng(0).integers(0, 256, (400, 600, 3), dtype=np.uint8)
    photo = tmp_path / "noise.png"
    cv2.imwrite(str(photo), noise)
    out = small_disk / "painted.png"
    proc = run_cli(
        "image", str(photo), "-o", str(out), "--style", "invert", env={"STYLECAM_MODELS": str(models_dir)}
    )
    assert_one_line_error(proc, "disk full", str(small_disk), code=2)
    assert list(small_disk.iterdir()) == []


# --------------------------------------------------------------------------- item 6: folders


def test_a_folder_keeps_every_output_distinct_and_skips_bad_files(models_dir, tmp_path):
    env = {"STYLECAM_MODELS": str(models_dir)}
    photos = tmp_path / "photos"
    photos.mkdir()
    img = np.full((30, 40, 3), 50, np.uint8)
    for i, name in enumerate(("photo.jpg", "photo.jpeg", "photo.webp", "other.png")):
        cv2.imwrite(str(photos / name), img + 40 * i)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (photos / "notes.txt").write_text("not an image")
    out = tmp_path / "painted"
    proc = run_cli("image", str(photos), "-o", str(out), "--style", "invert", env=env)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert any("skipped" in ln and "broken.jpg" in ln for ln in lines), proc.stderr
    assert any("not images" in ln and "notes.txt" in ln for ln in lines), proc.stderr
    assert "wrote 4 image(s)" in lines[-1] and "1 failed" in lines[-1] and "broken.jpg" in lines[-1]
    written = sorted(p.name for p in out.iterdir())
    assert written == ["other.png", "photo.jpeg.png", "photo.jpg.png", "photo.webp.png"]
    # each output is its own input, painted (the lossy ones only approximately)
    for name, i in (("photo.jpg", 0), ("photo.jpeg", 1), ("photo.webp", 2), ("other", 3)):
        got = cv2.imread(str(out / (name + ".png" if name != "other" else "other.png")))
        assert abs(float(got.mean()) - (255 - 50 - 40 * i)) < 3, name
    # a second run refuses the outputs that are there
    proc = run_cli("image", str(photos), "-o", str(out), "--style", "invert", env=env)
    assert_one_line_error(proc, "already exists", "3 more", code=2)


def test_a_folder_summary_in_json(models_dir, tmp_path, capsys):
    from stylecam.cli import main

    photos = tmp_path / "photos"
    photos.mkdir()
    cv2.imwrite(str(photos / "a.png"), np.zeros((16, 16, 3), np.uint8))
    (photos / "b.png").write_bytes(b"garbage")
    code = main(["image", str(photos), "-o", str(tmp_path / "out"), "--style", "invert", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 2 and [Path(f).name for f in summary["files"]] == ["a.png"]
    assert [Path(f["file"]).name for f in summary["failed"]] == ["b.png"]


# --------------------------------------------------------------------------- item 8: formats


def test_a_gif_is_written_as_a_gif(models_dir, tmp_path):
    clip = make_clip(tmp_path / "in.mp4", 30, size=(96, 64), fps=25, audio=True)
    out = tmp_path / "x.gif"
    proc = run_cli(
        "video", str(clip), "-o", str(out), "--style", "identity", env={"STYLECAM_MODELS": str(models_dir)}
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:6] == b"GIF89a"
    pr = probe(out)
    assert (pr.container, pr.frame_count, pr.fps, pr.has_audio) == ("gif", 30, 25, False)
    images, times = decode_video(out)
    assert [frame_code(im) for im in images] == list(range(30))
    assert times == pytest.approx([i / 25 for i in range(30)], abs=1e-6)
    # a palette of its own for each frame: the picture stays close to the source
    src, _ = decode_video(clip)
    assert np.mean([np.abs(a.astype(int) - b).mean() for a, b in zip(images, src, strict=True)]) < 4


@pytest.mark.parametrize("name", ["x.txt", "x.flv", "noext"])
def test_a_video_format_that_is_not_written_is_refused_with_the_list(models_dir, tmp_path, name):
    clip = make_clip(tmp_path / "in.mp4", 5, audio=False)
    proc = run_cli(
        "video",
        str(clip),
        "-o",
        str(tmp_path / name),
        "--style",
        "invert",
        env={"STYLECAM_MODELS": str(models_dir)},
    )
    line = assert_one_line_error(proc, ".mp4", ".mkv", ".webm", ".gif", code=2)
    assert name.split(".")[-1] in line
    assert not (tmp_path / name).exists()


# --------------------------------------------------------------------------- item 9: option ranges


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("--crf", "-5"), ("--crf", "0 to 51")),
        (("--crf", "99"), ("--crf", "0 to 51")),
        (("--max-frames", "0"), ("--max-frames", "1 or more")),
        (("--max-frames", "-3"), ("--max-frames", "1 or more")),
        (("--threads", "0"), ("--threads", "1 to")),
        (("--threads", "-2"), ("--threads", "1 to")),
        (("--size", "7x5"), ("--size", "32 to 8192")),
        (("--size", "99999x720"), ("--size", "32 to 8192")),
        (("--scale", "0"), ("--scale",)),
        (("--smooth-strength", "1.5"), ("--smooth-strength", "0 to 1")),
    ],
)
def test_an_option_out_of_range_is_one_line_naming_the_range(models_dir, tmp_path, args, needles):
    clip = make_clip(tmp_path / "in.mp4", 5, audio=False)
    out = tmp_path / "out.mp4"
    proc = run_cli(
        "video",
        str(clip),
        "-o",
        str(out),
        "--style",
        "invert",
        *args,
        env={"STYLECAM_MODELS": str(models_dir)},
    )
    assert_one_line_error(proc, *needles, code=2)
    assert _files(tmp_path) == ["in.mp4"]


def test_live_options_are_checked_too(models_dir, tmp_path):
    clip = make_clip(tmp_path / "in.mp4", 5, audio=False)
    env = {"STYLECAM_MODELS": str(models_dir)}
    for args, needle in ((("--threads", "0"), "--threads"), (("--size", "7x5"), "--size")):
        proc = run_cli("live", str(clip), "--no-window", "--record", str(tmp_path / "r.mp4"), *args, env=env)
        assert_one_line_error(proc, needle, code=2)
    assert _files(tmp_path) == ["in.mp4"]


def test_image_threads_are_checked_too(models_dir, tmp_path):
    photo = tmp_path / "p.png"
    cv2.imwrite(str(photo), np.zeros((16, 16, 3), np.uint8))
    proc = run_cli(
        "image",
        str(photo),
        "-o",
        str(tmp_path / "o.png"),
        "--threads",
        "0",
        env={"STYLECAM_MODELS": str(models_dir)},
    )
    assert_one_line_error(proc, "--threads", code=2)


# --------------------------------------------------------------------------- item 10: the smaller ones


def test_max_frames_counts_what_was_processed(models_dir, tmp_path, capsys):
    from stylecam.cli import main

    clip = make_clip(tmp_path / "in.mp4", 60, audio=False)
    code = main(
        [
            "video",
            str(clip),
            "-o",
            str(tmp_path / "o.mp4"),
            "--style",
            "invert",
            "--max-frames",
            "20",
            "--json",
        ]
    )
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (summary["frames_in"], summary["frames_out"], summary["dropped"]) == (20, 20, 0)
    assert probe(tmp_path / "o.mp4").frame_count == 20


def test_a_truncated_input_writes_and_reports_every_frame_it_holds(models_dir, tmp_path):
    clip = make_clip(tmp_path / "full.mp4", 120, size=(160, 96), audio=True)
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 2 // 3])
    held = probe(cut).frame_count
    out = tmp_path / "out.mp4"
    proc = run_cli(
        "video", str(cut), "-o", str(out), "--style", "identity", env={"STYLECAM_MODELS": str(models_dir)}
    )
    line = assert_one_line_error(proc, "cut.mp4", "truncated", code=2)
    assert f"{held} of its 120 frames" in line and f"the {held} frames done are in {out}" in line
    assert _assert_plays(out) == held


# --------------------------------------------------------------------------- item 7: variable frame rate


def _make_vfr_clip(path: Path, n: int = 90) -> list[float]:
    """A phone-like clip: frames 1/60 to 1/10 s apart, and a tone as long as the picture; their times."""
    from fractions import Fraction

    from conftest import AUDIO_RATE, clip_image

    c = av.open(str(path), "w", options={"movflags": "+faststart"})
    v = c.add_stream("libx264", rate=30)
    v.width, v.height, v.pix_fmt = 96, 64, "yuv420p"
    v.codec_context.time_base = v.time_base = Fraction(1, 90000)
    a = c.add_stream("aac", rate=AUDIO_RATE, layout="mono")
    gaps = [1 / 30, 1 / 30, 1 / 15, 1 / 60, 0.1]
    t, times = 0.0, []
    for i in range(n):
        frame = av.VideoFrame.from_ndarray(clip_image(i, 96, 64), format="bgr24")
        frame.pts, frame.time_base = round(t * 90000), Fraction(1, 90000)
        times.append(frame.pts / 90000)
        c.mux(v.encode(frame))
        t += gaps[i % len(gaps)]
    samples = (0.3 * np.sin(2 * np.pi * 440 * np.arange(round(t * AUDIO_RATE)) / AUDIO_RATE)).astype(
        np.float32
    )
    for k in range(0, len(samples), 1024):
        af = av.AudioFrame.from_ndarray(samples[None, k : k + 1024], format="flt", layout="mono")
        af.sample_rate, af.pts, af.time_base = AUDIO_RATE, k, Fraction(1, AUDIO_RATE)
        c.mux(a.encode(af))
    c.mux(a.encode(None))
    c.mux(v.encode(None))
    c.close()
    return times


def test_a_variable_frame_rate_keeps_every_frame_time(models_dir, tmp_path):
    from conftest import decode_audio

    clip = tmp_path / "phone.mp4"
    times = _make_vfr_clip(clip)
    assert probe(clip).variable_rate and not probe(make_clip(tmp_path / "cfr.mp4", 10)).variable_rate
    out = tmp_path / "out.mp4"
    proc = run_cli(
        "video", str(clip), "-o", str(out), "--style", "identity", env={"STYLECAM_MODELS": str(models_dir)}
    )
    assert proc.returncode == 0, proc.stderr
    images, got = decode_video(out)
    assert [frame_code(im) for im in images] == list(range(len(times)))
    # every frame at its own time (a constant rate would drift by seconds over the clip)
    assert max(abs(a - b) for a, b in zip(got, times, strict=True)) < 1e-3
    samples, rate, start = decode_audio(out)
    in_samples, in_rate, _ = decode_audio(clip)
    assert abs((start + len(samples) / rate) - len(in_samples) / in_rate) < 0.1  # the sound ends with it
