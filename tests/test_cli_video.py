"""``stylecam video`` and ``stylecam demo`` end to end: real files in, real files out, sound kept."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import av
import pytest
from conftest import REPO, make_clip, shared_path
from test_command_line import assert_one_line_error, run_cli

from stylecam.cli import main
from stylecam.sources import probe


def test_video_keeps_frames_rate_and_audio(models_dir, tmp_path, capsys):
    clip = make_clip(tmp_path / "in.mp4", 30, size=(98, 66), fps=24, audio=True)
    out = tmp_path / "out.mp4"
    assert main(["video", str(clip), "-o", str(out), "--style", "invert", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["frames_in"] == summary["frames_out"] == 30
    assert summary["device"] == "cpu" and summary["audio"] is True
    assert set(summary["ms_per_frame"]) >= {"read", "inference", "smoothing", "write"}
    meta = probe(out)
    assert meta.frame_count == 30 and abs(meta.fps - 24) < 1e-6 and meta.has_audio
    assert (meta.width, meta.height) == (98, 66)


def test_no_audio_and_default_output_name(models_dir, tmp_path):
    clip = make_clip(tmp_path / "in.mp4", 10, audio=True)
    assert main(["video", str(clip), "--style", "identity", "--no-audio", "--smooth", "none"]) == 0
    out = tmp_path / "in.identity.mp4"
    assert out.exists() and not probe(out).has_audio and probe(out).frame_count == 10


@pytest.mark.parametrize("case", ["missing", "text", "image", "zero", "truncated", "same", "outdir", "cuda"])
def test_video_bad_input(models_dir, tmp_path, case):
    import cv2
    import numpy as np

    clip = make_clip(tmp_path / "in.mp4", 40, audio=True)
    before = clip.read_bytes()
    args = ["video", str(clip), "-o", str(tmp_path / "out.mp4"), "--style", "invert"]
    needles: tuple[str, ...] = ()
    if case == "missing":
        args[1] = str(tmp_path / "nope.mp4")
        needles = ("nope.mp4",)
    elif case == "text":
        (tmp_path / "notes.mp4").write_text("not a video at all\n" * 20)
        args[1] = str(tmp_path / "notes.mp4")
        needles = ("notes.mp4",)
    elif case == "image":
        cv2.imwrite(str(tmp_path / "pic.png"), np.zeros((16, 16, 3), np.uint8))
        args[1] = str(tmp_path / "pic.png")
        needles = ("pic.png",)
    elif case == "zero":
        with av.open(str(tmp_path / "empty.mp4"), "w") as c:
            s = c.add_stream("libx264", rate=25)
            s.width, s.height = 32, 32
        args[1] = str(tmp_path / "empty.mp4")
        needles = ("empty.mp4",)
    elif case == "truncated":
        data = clip.read_bytes()
        cut = tmp_path / "cut.mp4"
        cut.write_bytes(data[: len(data) * 2 // 3])
        args[1] = str(cut)
        needles = ("cut.mp4",)
    elif case == "same":
        args[3] = str(clip)
        needles = ("overwrite",)
    elif case == "outdir":
        args[3] = str(tmp_path / "missing" / "out.mp4")
        needles = ("does not exist",)
    elif case == "cuda":
        args += ["--device", "cuda"]
        needles = ("cuda",)
    proc = run_cli(*args, env={"STYLECAM_MODELS": str(models_dir)})
    assert_one_line_error(proc, *needles)
    assert clip.read_bytes() == before
    if case == "truncated" and (tmp_path / "out.mp4").exists():
        # the frames decoded before the damage were written and the file plays
        assert probe(tmp_path / "out.mp4").frame_count > 0


def test_ctrl_c_leaves_a_playable_file(models_dir, tmp_path):
    clip = make_clip(tmp_path / "in.mp4", 400, size=(160, 96), audio=True)
    out = tmp_path / "out.mp4"
    env = {**os.environ, "STYLECAM_MODELS": str(models_dir)}
    proc = subprocess.Popen(
        # a large processing size makes each frame slow enough to interrupt mid-run
        [
            sys.executable,
            "-m",
            "stylecam",
            "video",
            str(clip),
            "-o",
            str(out),
            "--style",
            "invert",
            "--size",
            "1920x1080",
        ],
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    # wait until some frames are done (they go to out.part.mp4 until the end), then press Ctrl-C
    deadline = time.time() + 60
    while time.time() < deadline and not (tmp_path / "out.part.mp4").exists():
        time.sleep(0.05)
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    meta = probe(out)
    assert 0 < meta.frame_count < 400 and meta.has_audio
    # audio stops with the video (within a frame or two)
    with av.open(str(out)) as c:
        a = c.streams.audio[0]
        c.streams.video[0]
        adur = float(a.duration * a.time_base) if a.duration else None
        vdur = meta.frame_count / meta.fps
    if adur is not None:
        assert abs(adur - vdur) < 0.2


def test_demo_writes_a_stylized_clip(models_dir, tmp_path, capsys):
    out = tmp_path / "demo.mp4"
    code = main(
        ["demo", "-o", str(out), "--no-show", "--workdir", str(tmp_path), "--style", "invert", "--json"]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    meta = probe(out)
    assert meta.frame_count == summary["frames_out"] == 150 and meta.has_audio


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.parametrize(
    "name,frames,fps",
    [("chaplin_silent_film_clip_640x360_9s.mp4", 241, 25), ("cockatoo_handheld_1280x720_14s.mp4", 280, 20)],
)
def test_real_clips_keep_frame_count_rate_and_audio(models_dir, tmp_path, name, frames, fps):
    clip = shared_path("data", "video", name)
    out = tmp_path / "out.mp4"
    assert main(["video", str(clip), "-o", str(out), "--style", "invert", "--size", "320x180"]) == 0
    meta = probe(out)
    assert meta.frame_count == frames and abs(meta.fps - fps) < 1e-6 and meta.has_audio
